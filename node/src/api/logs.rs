//! `GET /api/v1/logs/{publisher}/checkpoint`: the newest checkpoint this node knows of
//! any publisher's log (its own included), as a C2SP signed note with every trusted
//! witness cosignature collected so far. `{publisher}` is a peer id or a hex key.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;

use super::{ApiError, AppState};

/// The newest known checkpoint of `publisher`.
pub async fn checkpoint(
    State(st): State<Arc<AppState>>,
    Path(publisher): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let key = crate::intel::parse_publisher(&publisher)
        .map_err(|e| ApiError::bad_request(format!("`publisher`: {e}")))?;
    let note = if key == st.public_key {
        let (_, note) = st.reader.latest_checkpoint()?;
        Some(note)
    } else {
        let state = st
            .store
            .log_state(&key)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        state.and_then(|s| {
            let size = |n: &str| {
                shoal_crypto::Note::parse(n)
                    .ok()
                    .and_then(|n| shoal_crypto::Checkpoint::parse_body(&n.text).ok())
                    .map(|c| c.size)
            };
            match (size(&s.verified_note), size(&s.target_note)) {
                (Some(v), Some(t)) if t > v => Some(s.target_note),
                (Some(_), _) => Some(s.verified_note),
                (None, Some(_)) => Some(s.target_note),
                (None, None) => None,
            }
        })
    };
    match note {
        Some(n) => Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], n)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no checkpoint of this publisher is known here",
            json!(publisher),
        )),
    }
}

/// `GET /api/v1/logs/{publisher}/audit`: fetch the newest state of the log from the
/// network (every admitted peer is asked for its heads; the node syncs up to the newest
/// checkpoint, waiting at most 30 s), then re-verify the replicated log.
pub async fn audit(
    State(st): State<Arc<AppState>>,
    Path(publisher): Path<String>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let key = crate::intel::parse_publisher(&publisher)
        .map_err(|e| ApiError::bad_request(format!("`publisher`: {e}")))?;
    let hex_key = hex::encode(key.0);
    let mut caught_up = true;
    if st.net.refresh_heads().await.unwrap_or(0) > 0 {
        // Give the heads time to arrive, then wait for sync to reach the newest size.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let done = st
                .net
                .status()
                .logs
                .iter()
                .find(|l| l.publisher == hex_key)
                .is_none_or(|l| l.verified_size >= l.known_size);
            if done {
                break;
            }
            if std::time::Instant::now() > deadline {
                caught_up = false;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    let store = st.store.clone();
    let max = st.max_envelope_bytes;
    let out = tokio::task::spawn_blocking(move || crate::provenance::audit(&store, &key, max))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    match out {
        Ok(r) => Ok(axum::Json(
            json!({"ok": true, "report": r, "caught_up_with_network": caught_up}),
        )),
        Err(crate::provenance::ItemProofError::NotFound(m)) => {
            Err(ApiError::new(StatusCode::NOT_FOUND, m, json!(publisher)))
        }
        Err(e) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the log does not verify",
            json!({"reason": e.to_string()}),
        )),
    }
}
