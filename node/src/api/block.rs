//! `POST /api/v1/peers/{peer_id}/block` and `/unblock`: the operator cuts a peer off
//! (disconnected, its connections refused) or lets it back in.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::{ApiError, AppState};

fn parse(peer: &str) -> Result<libp2p::PeerId, ApiError> {
    peer.parse()
        .map_err(|_| ApiError::bad_request(format!("{peer:?} is not a peer id")))
}

async fn set(st: &AppState, peer: &str, block: bool) -> Result<Json<Value>, ApiError> {
    let id = parse(peer)?;
    st.net.block(id, block).await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "peer network unavailable",
            json!(e),
        )
    })?;
    Ok(Json(json!({"peer_id": id.to_string(), "blocked": block})))
}

/// Block a peer.
pub async fn block(
    State(st): State<Arc<AppState>>,
    Path(peer): Path<String>,
) -> Result<Json<Value>, ApiError> {
    set(&st, &peer, true).await
}

/// Unblock a peer.
pub async fn unblock(
    State(st): State<Arc<AppState>>,
    Path(peer): Path<String>,
) -> Result<Json<Value>, ApiError> {
    set(&st, &peer, false).await
}
