//! `POST /api/v1/publish`: a STIX 2.1 bundle or object in, one result per object out.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use shoal_protocol::Tlp;

use super::{ApiError, AppState};
use crate::ledger::writer::WriterError;
use crate::publish::{PublishError, PublishOptions};

/// Publish a STIX bundle. Query: `community=NAME`, `tlp=LEVEL` (for unmarked objects),
/// `dry_run=true` (show the desensitized and privatized objects and what changed,
/// without charging the privacy budget or logging anything).
/// 200 when at least one object was logged or already present, 422 when every object
/// was rejected, 400 when the input is not usable as a whole.
pub async fn publish(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let body =
        body.map_err(|e| ApiError::new(e.status(), "request body rejected", json!(e.body_text())))?;
    if let Some(ct) = headers.get(axum::http::header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        if !(ct.starts_with("application/json")
            || ct.starts_with("application/stix+json")
            || ct.starts_with("application/taxii+json"))
        {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a JSON body (application/json or application/stix+json)",
                json!(ct),
            ));
        }
    }
    let community = super::community::choose(&st, q.get("community").map(String::as_str))?;
    let default_tlp = match q.get("tlp") {
        Some(t) => t
            .parse::<Tlp>()
            .map_err(|_| ApiError::bad_request(format!("`tlp` {t:?} is not a TLP level")))?,
        None => st.default_tlp,
    };
    let dry_run = match q.get("dry_run").map(String::as_str) {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") | Some("") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "`dry_run` must be true or false, got {other:?}"
            )))
        }
    };
    let now_unix = crate::daemon::unix_now();
    let opts = PublishOptions {
        community,
        default_tlp,
        time_granularity_secs: st.time_granularity_secs,
        now_unix,
        dry_run,
    };
    let started = std::time::Instant::now();
    match st.publisher.publish(&body, &opts).await {
        Ok(report) => {
            st.metrics.observe_publish(&report, started.elapsed());
            let status = if report.appended + report.duplicates == 0 && report.rejected > 0 {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            Ok((status, Json(report)))
        }
        Err(PublishError::Input(e)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid STIX input",
            json!(e.to_string()),
        )),
        Err(PublishError::Writer(WriterError::Stopped)) | Err(PublishError::Accountant(_)) => {
            Err(ApiError::unavailable("the node is shutting down"))
        }
        Err(PublishError::Store(e)) if e.is_io() => {
            tracing::error!(error = %e, "the data directory refused a write; nothing was logged");
            Err(ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "nothing was logged",
                json!(e.to_string()),
            ))
        }
        Err(PublishError::Store(e)) => Err(ApiError::internal(e)),
        Err(PublishError::Writer(e @ WriterError::Storage(_))) => Err(ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "nothing was logged",
            json!(e.to_string()),
        )),
    }
}
