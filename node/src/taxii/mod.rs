//! The TAXII 2.1 server (OASIS TAXII 2.1, §4-§5), on the node's HTTP listener:
//!
//! | path | |
//! |---|---|
//! | `GET /taxii2/` | discovery |
//! | `GET /taxii2/shoal/` | the API root |
//! | `GET /taxii2/shoal/collections/` | the collections (`collections.rs`) |
//! | `GET /taxii2/shoal/collections/{id}/` | one collection |
//! | `GET, POST /taxii2/shoal/collections/{id}/objects/` | objects (paged, filtered) / add objects |
//! | `GET, DELETE /taxii2/shoal/collections/{id}/objects/{object_id}/` | one object's versions / delete (refused: ledgers are append-only) |
//! | `GET /taxii2/shoal/collections/{id}/objects/{object_id}/versions/` | its versions |
//! | `GET /taxii2/shoal/collections/{id}/manifest/` | manifest records |
//! | `GET /taxii2/shoal/status/{status_id}/` | the status of a POST |
//!
//! Every answer is `application/taxii+json;version=2.1`; errors are TAXII error
//! objects (`error.rs`: 400, 401, 403, 404, 406, 413, 415, 422). Authentication is HTTP
//! Basic with the API token as password, or Bearer (`auth.rs`). Filters and paging are in
//! `filter.rs`, reading in `objects.rs`, adding in `post.rs`.

pub mod auth;
pub mod collections;
pub mod error;
pub mod filter;
pub mod media;
pub mod objects;
pub mod post;
pub mod status;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::api::AppState;
use collections::{Collection, Kind};
use error::TaxiiError;
use filter::Filters;
use media::TAXII;
use objects::Shape;

/// The API root's path.
pub const API_ROOT: &str = "/taxii2/shoal/";

/// The TAXII server's own state.
#[derive(Debug, Default)]
pub struct TaxiiState {
    /// Status resources of recent POSTs.
    pub statuses: status::Statuses,
    /// Trees for the tlog-proofs of served objects.
    pub proofs: objects::ProofCache,
}

/// A TAXII JSON answer.
fn taxii(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII));
    r
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

async fn discovery(headers: HeaderMap) -> Response {
    let root = format!("{}{API_ROOT}", base_url(&headers));
    taxii(
        StatusCode::OK,
        &json!({
            "title": "Shoal TAXII 2.1",
            "description": "Privacy-preserving threat intelligence from the Shoal network: what this node received, with provenance and credibility, and an outbox that shares through desensitization, differential privacy and the signed ledger.",
            "default": root,
            "api_roots": [root],
        }),
    )
}

async fn api_root(State(st): State<Arc<AppState>>) -> Response {
    taxii(
        StatusCode::OK,
        &json!({
            "title": "Shoal",
            "description": "This node's collections.",
            "versions": [TAXII],
            "max_content_length": st.max_body_bytes,
        }),
    )
}

async fn list_collections(State(st): State<Arc<AppState>>) -> Response {
    let list: Vec<Value> = collections::all(&st)
        .iter()
        .map(Collection::resource)
        .collect();
    taxii(StatusCode::OK, &json!({ "collections": list }))
}

fn collection(st: &AppState, id: &str) -> Result<Collection, TaxiiError> {
    collections::find(st, id)
        .ok_or_else(|| TaxiiError::not_found(format!("there is no collection {id:?}")))
}

fn readable(c: &Collection) -> Result<(), TaxiiError> {
    if c.can_read {
        Ok(())
    } else {
        Err(TaxiiError::forbidden(format!(
            "the {} collection cannot be read",
            c.title
        )))
    }
}

async fn get_collection(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, TaxiiError> {
    Ok(taxii(StatusCode::OK, &collection(&st, &id)?.resource()))
}

/// Run a page read on a blocking thread and answer it with the date-added headers.
async fn read_page(
    st: Arc<AppState>,
    c: Collection,
    filters: Filters,
    shape: Shape,
    wrap: fn(Vec<Value>, bool, Option<String>) -> Value,
) -> Result<Response, TaxiiError> {
    readable(&c)?;
    let page = tokio::task::spawn_blocking(move || {
        objects::page(&st, &st.taxii.proofs, &c.kind, &filters, shape)
    })
    .await
    .map_err(TaxiiError::internal)??;
    let mut r = taxii(StatusCode::OK, &wrap(page.items, page.more, page.next));
    if let Some((first, last)) = page.added {
        for (name, ms) in [
            ("x-taxii-date-added-first", first),
            ("x-taxii-date-added-last", last),
        ] {
            if let Ok(v) = HeaderValue::from_str(&objects::timestamp(ms)) {
                r.headers_mut().insert(name, v);
            }
        }
    }
    Ok(r)
}

/// An envelope (§3.7) or a manifest (§5.3): the same shape, objects or records.
fn envelope(objects: Vec<Value>, more: bool, next: Option<String>) -> Value {
    let mut v = json!({ "more": more });
    if let Some(n) = next {
        v["next"] = json!(n);
    }
    if !objects.is_empty() {
        v["objects"] = json!(objects);
    }
    v
}

fn versions(objects: Vec<Value>, more: bool, next: Option<String>) -> Value {
    let mut v = json!({ "more": more });
    if let Some(n) = next {
        v["next"] = json!(n);
    }
    let list: Vec<Value> = objects.into_iter().map(|o| o["version"].clone()).collect();
    if !list.is_empty() {
        v["versions"] = json!(list);
    }
    v
}

fn filters(q: &[(String, String)]) -> Result<Filters, TaxiiError> {
    Filters::parse(q.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

async fn get_objects(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, TaxiiError> {
    let c = collection(&st, &id)?;
    let f = filters(&q)?;
    read_page(st, c, f, Shape::Objects, envelope).await
}

async fn post_objects(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, TaxiiError> {
    let c = collection(&st, &id)?;
    if !c.can_write || c.kind != Kind::Outbox {
        return Err(TaxiiError::forbidden(format!(
            "the {} collection cannot be written to; post to the outbox",
            c.title
        )));
    }
    media::check_content_type(&headers)?;
    let too_large = |len: String| {
        TaxiiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too large",
            format!(
                "{len} is over the API root's max_content_length of {} bytes",
                st.max_body_bytes
            ),
        )
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|len| *len > st.max_body_bytes as u64)
    {
        return Err(too_large(format!("a body of {len} bytes")));
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large("the body".into())
        } else {
            TaxiiError::bad_request(e.body_text())
        }
    })?;
    let status = post::add(&st, &body).await?;
    Ok(taxii(StatusCode::ACCEPTED, &status))
}

fn one_object(q: &[(String, String)], object_id: &str) -> Result<Filters, TaxiiError> {
    let mut f = filters(q)?;
    f.ids = Some(std::iter::once(object_id.to_owned()).collect());
    Ok(f)
}

async fn get_object(
    State(st): State<Arc<AppState>>,
    Path((id, object_id)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, TaxiiError> {
    let c = collection(&st, &id)?;
    readable(&c)?;
    let f = one_object(&q, &object_id)?;
    let st2 = st.clone();
    let found = {
        let oid = object_id.clone();
        tokio::task::spawn_blocking(move || st2.store.versions_of(&oid))
            .await
            .map_err(TaxiiError::internal)?
            .map_err(TaxiiError::internal)?
    };
    if found.is_empty() {
        return Err(TaxiiError::not_found(format!(
            "no object {object_id} in the {} collection",
            c.title
        )));
    }
    read_page(st, c, f, Shape::Objects, envelope).await
}

async fn delete_object(
    State(st): State<Arc<AppState>>,
    Path((id, _object_id)): Path<(String, String)>,
) -> Result<Response, TaxiiError> {
    let c = collection(&st, &id)?;
    Err(TaxiiError::forbidden(format!(
        "objects cannot be deleted from the {} collection: every ledger is append-only (publish a version with \"revoked\": true to retire an object)",
        c.title
    )))
}

async fn get_versions(
    State(st): State<Arc<AppState>>,
    Path((id, object_id)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, TaxiiError> {
    let c = collection(&st, &id)?;
    readable(&c)?;
    let mut f = one_object(&q, &object_id)?;
    if !q.iter().any(|(k, _)| k == "match[version]") {
        f.versions = filter::Versions::All;
    }
    read_page(st, c, f, Shape::Manifest, versions).await
}

async fn get_manifest(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, TaxiiError> {
    let c = collection(&st, &id)?;
    let f = filters(&q)?;
    read_page(st, c, f, Shape::Manifest, envelope).await
}

async fn get_status(
    State(st): State<Arc<AppState>>,
    Path(status_id): Path<String>,
) -> Result<Response, TaxiiError> {
    st.taxii
        .statuses
        .get(&status_id)
        .map(|s| taxii(StatusCode::OK, &s))
        .ok_or_else(|| TaxiiError::not_found(format!("no status {status_id:?} is kept")))
}

async fn method_not_allowed() -> TaxiiError {
    TaxiiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        "this TAXII endpoint does not support that method",
    )
}

/// The TAXII routes, with their own authentication and error answers.
pub fn router(state: Arc<AppState>) -> Router {
    let r = |p: &str| format!("{API_ROOT}{p}");
    Router::new()
        .route("/taxii2/", get(discovery))
        .route(API_ROOT, get(api_root))
        .route(&r("collections/"), get(list_collections))
        .route(&r("collections/{id}/"), get(get_collection))
        .route(
            &r("collections/{id}/objects/"),
            get(get_objects).post(post_objects),
        )
        .route(
            &r("collections/{id}/objects/{object_id}/"),
            get(get_object).delete(delete_object),
        )
        .route(
            &r("collections/{id}/objects/{object_id}/versions/"),
            get(get_versions),
        )
        .route(&r("collections/{id}/manifest/"), get(get_manifest))
        .route(&r("status/{status_id}/"), get(get_status))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .with_state(state)
}
