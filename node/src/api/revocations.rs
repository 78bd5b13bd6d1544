//! `POST /api/v1/revocations`: an anchor hands a signed revocation (JSON, from
//! `shoal admission revoke`) to its node, which applies it and gossips it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::{ApiError, AppState};

/// Apply and gossip a revocation.
pub async fn post(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    st.net.revoke(body.to_vec()).await.map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "revocation refused",
            json!(e),
        )
    })?;
    Ok((StatusCode::OK, Json(json!({"applied": true}))))
}
