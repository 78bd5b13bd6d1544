//! The node's local HTTP API (axum): routing, bearer-token authentication, request
//! limits and the JSON error shape `{"error": "...", "detail": ...}` shared by every
//! endpoint. Handlers live in [`ledger`], [`publish`], [`budget`], [`revocations`],
//! [`intel`] (received items) and [`peers`] (network status).

pub mod block;
pub mod budget;
pub mod community;
pub mod credibility;
pub mod error;
pub mod export;
pub mod intel;
pub mod ledger;
pub mod logs;
pub mod misbehaviour;
pub mod peers;
pub mod proofs;
pub mod publish;
pub mod revocations;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use shoal_crypto::PublicKey;
use shoal_protocol::Tlp;
use tokio::sync::watch;

use crate::ledger::reader::LedgerReader;
use crate::ledger::writer::LedgerState;
use crate::publish::Publisher;
use crate::store::Store;
pub use error::ApiError;

/// Everything the handlers share.
pub struct AppState {
    /// Read side of the ledger.
    pub reader: LedgerReader,
    /// The store (for full verification).
    pub store: Store,
    /// The publish pipeline.
    pub publisher: Publisher,
    /// Size and checkpoint as last reported by the writer.
    pub ledger_state: watch::Receiver<LedgerState>,
    /// This node's public key.
    pub public_key: PublicKey,
    /// The API token every request must present.
    pub token: String,
    /// Default community of published items (empty: the first admitted community).
    pub community: String,
    /// The peer network (status, admission).
    pub net: crate::net::NetHandle,
    /// TLP of unmarked objects.
    pub default_tlp: Tlp,
    /// Publication time granularity.
    pub time_granularity_secs: u64,
    /// Envelope size limit.
    pub max_envelope_bytes: usize,
    /// The `[provenance]` witness policy (k of n), when one is set.
    pub witness_policy: Option<shoal_crypto::cosignature::WitnessPolicy>,
    /// Credibility scores and reputation.
    pub credibility: Arc<crate::credibility::Credibility>,
    /// Largest request body (`api.max_body_bytes`).
    pub max_body_bytes: usize,
    /// The TAXII server's state.
    pub taxii: crate::taxii::TaxiiState,
    /// Prometheus metrics.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Situation awareness: cached facts, the local asset inventory.
    pub situation: Arc<crate::situation::Situations>,
    /// Advisories and acknowledgements (`crate::advisory`).
    pub advisories: Arc<crate::advisory::Advisories>,
}

/// Build the API router.
pub fn router(state: Arc<AppState>, max_body_bytes: usize, max_concurrent: usize) -> Router {
    let taxii = crate::taxii::router(state.clone())
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(tower::limit::ConcurrencyLimitLayer::new(max_concurrent));
    let api = Router::new()
        .route("/api/v1/publish", post(publish::publish))
        .route("/api/v1/budget", get(budget::budget))
        .route("/api/v1/ledger/status", get(ledger::status))
        .route("/api/v1/ledger/checkpoint", get(ledger::checkpoint))
        .route("/api/v1/ledger/entries/{index}", get(ledger::entry))
        .route("/api/v1/ledger/proof/{index}", get(ledger::proof))
        .route("/api/v1/ledger/consistency", get(ledger::consistency))
        .route("/api/v1/ledger/verify", post(ledger::verify))
        .route("/api/v1/revocations", post(revocations::post))
        .route("/api/v1/misbehaviour", get(misbehaviour::misbehaviour))
        .route("/api/v1/logs/{publisher}/checkpoint", get(logs::checkpoint))
        .route("/api/v1/logs/{publisher}/audit", get(logs::audit))
        .route(
            "/api/v1/intel/{publisher}/{index}/proof",
            get(proofs::proof),
        )
        .route(
            "/api/v1/intel/{publisher}/{index}/entry",
            get(proofs::entry),
        )
        .route("/api/v1/intel/{publisher}/{index}/stix", get(proofs::stix))
        .route("/api/v1/intel", get(intel::query))
        .route(
            "/api/v1/intel/{id}/credibility",
            get(credibility::credibility),
        )
        .route("/api/v1/reputation", get(credibility::reputation))
        .route("/api/v1/export", get(export::export))
        .route("/api/v1/situation", get(crate::situation::api::situation))
        .route(
            "/api/v1/situation/graph/{id}",
            get(crate::situation::api::graph),
        )
        .route(
            "/api/v1/advisories",
            get(crate::advisory::api::list).post(crate::advisory::api::publish),
        )
        .route("/api/v1/advisories/{id}", get(crate::advisory::api::show))
        .route(
            "/api/v1/advisories/{id}/ack",
            post(crate::advisory::api::ack),
        )
        .route("/metrics", get(metrics))
        .route("/api/v1/peers", get(peers::peers))
        .route("/api/v1/peers/{peer_id}/block", post(block::block))
        .route("/api/v1/peers/{peer_id}/unblock", post(block::unblock))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            refuse_oversized(max_body_bytes, req, next)
        }))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(tower::limit::ConcurrencyLimitLayer::new(max_concurrent))
        .with_state(state);
    // The situation page is static and holds no data: served without the token.
    let page = crate::situation::page::router()
        .layer(tower::limit::ConcurrencyLimitLayer::new(max_concurrent));
    taxii.merge(page).merge(api)
}

/// `GET /metrics` (Prometheus text format; `crate::metrics`).
async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    let budget = st
        .publisher
        .privacy
        .accountant
        .status(crate::daemon::unix_now())
        .await
        .ok()
        .map(|s| (s.epoch_remaining, s.lifetime_remaining));
    let summary = st.credibility.summary();
    let snapshot = crate::metrics::Snapshot {
        net: st.net.status(),
        ledger: *st.ledger_state.borrow(),
        budget,
        credibility: (summary.evidence, summary.nodes),
        now_ms: crate::net::now_ms(),
    };
    let text = st.metrics.render(&snapshot);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// Constant-time comparison of two byte strings.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuse a body whose declared length is over the limit before reading any of it
/// (a chunked body is still cut off at the limit by `DefaultBodyLimit`).
async fn refuse_oversized(max: usize, req: Request, next: Next) -> Result<Response, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(len) if len > max as u64 => Err(ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body of {len} bytes is over the {max}-byte limit (api.max_body_bytes)"
            ),
            serde_json::Value::Null,
        )),
        _ => Ok(next.run(req).await),
    }
}

async fn authenticate(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(t) if ct_eq(t.as_bytes(), state.token.as_bytes()) => Ok(next.run(req).await),
        Some(_) => Err(ApiError::unauthorized("the API token is wrong")),
        None => Err(ApiError::unauthorized(
            "missing `Authorization: Bearer <token>` (the token is in the data directory's api.token)",
        )),
    }
}
