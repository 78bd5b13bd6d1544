//! The situation endpoints of the API (behind the API token like the rest of `/api/v1`):
//! `GET /api/v1/situation?from=&to=&bucket=` (the [`super::View`]: aggregates, each
//! estimate with `value`, `ci_low`, `ci_high`, `exact`) and
//! `GET /api/v1/situation/graph/{id}?depth=&max_nodes=` (the relationship
//! neighbourhood). A bad parameter is a 400 whose detail is `{"parameter": "<name>"}`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::api::{ApiError, AppState};
use crate::intel::ParamError;

fn param_error(e: ParamError) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        e.to_string(),
        json!({ "parameter": e.param }),
    )
}

fn failed(e: super::Error) -> ApiError {
    match e {
        super::Error::Store(e) if e.is_io() => ApiError::disk_failed(&e),
        super::Error::Situation(shoal_protocol::situation::SituationError::Query(m)) => {
            ApiError::bad_request(format!("invalid query: {m}"))
        }
        e => ApiError::internal(e),
    }
}

/// `GET /api/v1/situation?from=&to=&bucket=`.
pub async fn situation(
    State(st): State<Arc<AppState>>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<impl IntoResponse, ApiError> {
    let window = super::Window::from_params(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(param_error)?;
    let q = window
        .query(crate::daemon::unix_now())
        .map_err(param_error)?;
    let svc = st.situation.clone();
    let view = tokio::task::spawn_blocking(move || svc.view(&q))
        .await
        .map_err(ApiError::internal)?
        .map_err(failed)?;
    let body = serde_json::to_vec(&*view).map_err(ApiError::internal)?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    ))
}

/// `GET /api/v1/situation/graph/{id}?depth=&max_nodes=`.
pub async fn graph(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<impl IntoResponse, ApiError> {
    super::check_stix_id(&id).map_err(|r| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("path parameter `id`: {r}"),
            json!({ "parameter": "id" }),
        )
    })?;
    let (depth, max_nodes) =
        super::graph_params(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(param_error)?;
    let svc = st.situation.clone();
    let now = crate::daemon::unix_now();
    let wanted = id.clone();
    let g = tokio::task::spawn_blocking(move || svc.graph(&wanted, depth, max_nodes, now))
        .await
        .map_err(ApiError::internal)?
        .map_err(failed)?;
    match g {
        Some(g) => Ok(Json(g)),
        None => Err(ApiError::not_found(format!(
            "no item with id {id} is held by this node"
        ))),
    }
}
