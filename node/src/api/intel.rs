//! `GET /api/v1/intel`: query the intel this node received from other publishers
//! (filters and paging in [`crate::intel`]).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use super::{ApiError, AppState};

/// `GET /api/v1/intel?type=&value=&since=&publisher=&community=&limit=&after=` →
/// `{"count": n, "items": [...], "next": "<cursor>"|null}`; a bad parameter is a 400
/// whose detail is `{"parameter": "<name>"}`.
pub async fn query(
    State(st): State<Arc<AppState>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<impl IntoResponse, ApiError> {
    let q = crate::intel::Query::from_params(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                e.to_string(),
                json!({ "parameter": e.param }),
            )
        })?;
    let store = st.store.clone();
    let max = st.max_envelope_bytes;
    let cred = st.credibility.clone();
    let now = crate::daemon::unix_now();
    let result =
        tokio::task::spawn_blocking(move || crate::intel::run(&store, &q, max, &cred, now))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
    Ok(Json(result))
}
