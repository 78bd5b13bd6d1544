//! `GET /api/v1/intel/{id}/credibility`: the credibility of every claim of a STIX id
//! (one per publisher), with each input's contribution (`protocol::credibility::score`);
//! `GET /api/v1/reputation`: the trust vector, highest first.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::{ApiError, AppState};
use crate::credibility::Credibility;

/// The JSON answer for `id` (`None`: no claim of it is held).
pub fn explain_json(
    cred: &Credibility,
    id: &str,
    now: u64,
) -> Result<Option<Value>, crate::store::StoreError> {
    let claims = cred.explain(id, now)?;
    if claims.is_empty() {
        return Ok(None);
    }
    Ok(Some(json!({
        "id": id,
        "evaluated_at": now,
        "claims": claims,
        "trust": cred.summary(),
    })))
}

/// The trust vector as JSON.
pub fn reputation_json(cred: &Credibility) -> Value {
    let publishers: Vec<Value> = cred
        .trust_table()
        .into_iter()
        .map(|(k, global, relative)| {
            json!({
                "publisher": hex::encode(k.0),
                "peer_id": k.peer_id().map(|p| p.to_string()).unwrap_or_default(),
                "global_trust": global,
                "relative_trust": relative,
                "reliability": shoal_protocol::credibility::admiralty::reliability(Some(relative)).to_string(),
            })
        })
        .collect();
    json!({ "trust": cred.summary(), "publishers": publishers })
}

/// `GET /api/v1/intel/{id}/credibility`.
pub async fn credibility(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    shoal_protocol::stix::check_identifier(&id)
        .map_err(|e| ApiError::bad_request(format!("`{id}` is not a STIX id: {e}")))?;
    explain_json(&st.credibility, &id, crate::daemon::unix_now())
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no item with id {id} is held"),
                json!(null),
            )
        })
}

/// `GET /api/v1/reputation`.
pub async fn reputation(State(st): State<Arc<AppState>>) -> Json<Value> {
    Json(reputation_json(&st.credibility))
}
