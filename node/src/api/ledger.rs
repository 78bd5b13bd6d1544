//! Ledger endpoints: status, the latest signed checkpoint, raw entries, tlog-proofs,
//! consistency proofs and a full verification run.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use base64::Engine;
use serde_json::json;

use super::error::parse_u64;
use super::{ApiError, AppState};
use crate::ledger::verify::verify_store;

type Params = Query<HashMap<String, String>>;

/// `GET /api/v1/ledger/status`
pub async fn status(State(st): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    let state = *st.ledger_state.borrow();
    // After a storage failure the store's memory may be ahead of what was
    // acknowledged; the writer's last acknowledged size is the truth then.
    let size = if state.stopped {
        state.size
    } else {
        st.reader.size()?
    };
    Ok(Json(json!({
        "size": size,
        "logging": !state.stopped,
        "checkpoint_size": state.checkpoint,
        "origin": st.reader.verifier().name,
        "verifier_key": st.reader.verifier().to_vkey(),
        "public_key": hex::encode(st.public_key.0),
    })))
}

/// `GET /api/v1/ledger/checkpoint` → the signed checkpoint note.
pub async fn checkpoint(State(st): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    let (_, note) = st.reader.latest_checkpoint()?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note))
}

/// `GET /api/v1/ledger/entries/{index}` → the exact logged bytes.
pub async fn entry(
    State(st): State<Arc<AppState>>,
    Path(index): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let index = parse_u64("index", &index)?;
    let bytes = st.reader.entry(index)?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}

/// `GET /api/v1/ledger/proof/{index}[?size=N]` → `c2sp.org/tlog-proof@v1` text.
pub async fn proof(
    State(st): State<Arc<AppState>>,
    Path(index): Path<String>,
    Query(q): Params,
) -> Result<impl IntoResponse, ApiError> {
    let index = parse_u64("index", &index)?;
    let size = q.get("size").map(|s| parse_u64("size", s)).transpose()?;
    let proof = st.reader.proof(index, size)?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        proof.to_text(),
    ))
}

/// `GET /api/v1/ledger/consistency?old=M&new=N` → one base64 hash per line.
pub async fn consistency(
    State(st): State<Arc<AppState>>,
    Query(q): Params,
) -> Result<impl IntoResponse, ApiError> {
    let get = |k: &str| {
        q.get(k)
            .ok_or_else(|| ApiError::bad_request(format!("missing query parameter `{k}`")))
            .and_then(|v| parse_u64(k, v))
    };
    let (old, new) = (get("old")?, get("new")?);
    let proof = st.reader.consistency(old, new)?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let text: String = proof.iter().map(|h| b64.encode(h) + "\n").collect();
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

/// `POST /api/v1/ledger/verify` → re-check the whole stored log.
pub async fn verify(State(st): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    let store = st.store.clone();
    let verifier = st.reader.verifier().clone();
    let key = st.public_key;
    let max = st.max_envelope_bytes;
    let report =
        tokio::task::spawn_blocking(move || verify_store(&store, &verifier, &key, max, |_, _| {}))
            .await
            .map_err(ApiError::internal)?;
    match report {
        Ok(r) => Ok(Json(json!({ "ok": true, "report": r }))),
        Err(e) => Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "ledger verification failed",
            json!({ "reason": e.to_string() }),
        )),
    }
}
