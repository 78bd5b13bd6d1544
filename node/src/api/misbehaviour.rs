//! `GET /api/v1/misbehaviour`: every verified equivocation proof this node holds (a
//! publisher key that signed two conflicting histories), each with its summary and the
//! proof itself in its JSON form, which anyone can verify offline; the offences the
//! network layer counted, by kind; every peer that misbehaved (offences by kind, penalty,
//! ban); and the latest incidents, each with what exactly was wrong.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::{ApiError, AppState};

/// The JSON list of equivocations held in `store`.
pub fn equivocations(
    store: &crate::store::Store,
    max_envelope: usize,
) -> Result<Vec<Value>, crate::store::StoreError> {
    use shoal_protocol::provenance::{EquivocationProof, Limits};
    let limits = Limits {
        max_envelope_bytes: max_envelope,
        ..Limits::default()
    };
    let mut out = Vec::new();
    for bytes in store.equivocations() {
        let bytes = bytes?;
        let Ok(proof) = EquivocationProof::decode(&bytes, &limits) else {
            continue;
        };
        let Ok(summary) = proof.verify(max_envelope) else {
            continue;
        };
        let proof_json: Value = serde_json::from_str(&proof.to_json()).unwrap_or(Value::Null);
        out.push(json!({
            "id": hex::encode(proof.proof_id()),
            "publisher": hex::encode(proof.publisher.0),
            "publisher_peer_id": proof.publisher.peer_id().map(|p| p.to_string()).unwrap_or_default(),
            "origin": summary.origin,
            "kind": summary.kind.as_str(),
            "index": summary.index,
            "sizes": summary.sizes,
            "detected_at": proof.detected_at,
            "proof": proof_json,
        }));
    }
    Ok(out)
}

/// `GET /api/v1/misbehaviour`.
pub async fn misbehaviour(State(st): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let store = st.store.clone();
    let max = st.max_envelope_bytes;
    let list = tokio::task::spawn_blocking(move || equivocations(&store, max))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let status = st.net.status();
    Ok(Json(json!({
        "equivocations": list,
        "offences": status.offences,
        "offenders": status.offenders,
        "incidents": status.incidents,
    })))
}
