//! `GET /api/v1/export?format=stix|csv|txt[&min_credibility=X][&since=T][&community=C]`:
//! everything this node received that the filters select, as a STIX 2.1 bundle with
//! provenance and credibility, CSV, or plain indicator values one per line
//! (`crate::export`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;

use super::{ApiError, AppState};
use crate::export::{Exporter, Format, Selection};

/// Parse the export parameters.
pub fn selection(q: &HashMap<String, String>) -> Result<(Format, Selection), String> {
    let mut sel = Selection::default();
    let mut format = Format::Stix;
    for (k, v) in q {
        match k.as_str() {
            "format" => format = v.parse()?,
            "min_credibility" => {
                sel.min_credibility = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| (0.0..=1.0).contains(x))
                        .ok_or_else(|| {
                            format!("`min_credibility` {v:?} is not a number from 0 to 1")
                        })?,
                )
            }
            "since" => {
                sel.since = Some(crate::intel::parse_since(v).map_err(|e| format!("`since`: {e}"))?)
            }
            "community" => sel.community = Some(v.clone()),
            other => {
                return Err(format!(
                    "unknown parameter `{other}` (format, min_credibility, since, community)"
                ))
            }
        }
    }
    Ok((format, sel))
}

/// `GET /api/v1/export`.
pub async fn export(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ApiError> {
    let (format, sel) = selection(&q).map_err(ApiError::bad_request)?;
    let body = tokio::task::spawn_blocking(move || {
        let ex = Exporter {
            store: &st.store,
            proofs: &st.taxii.proofs,
            witness_policy: st.witness_policy.as_ref(),
            credibility: &st.credibility,
            now: crate::daemon::unix_now(),
        };
        crate::export::export(&ex, &sel, format, st.max_envelope_bytes)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let ct = match format {
        Format::Stix => "application/stix+json;version=2.1",
        Format::Csv => "text/csv; charset=utf-8",
        Format::Txt => "text/plain; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, ct)], body))
}
