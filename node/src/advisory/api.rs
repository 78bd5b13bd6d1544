//! The advisory endpoints:
//!
//! - `POST /api/v1/advisories[?community=NAME&tlp=LEVEL]`: publish an `x-shoal-advisory`
//!   object (defaults filled as [`super::compose`] says). 422 with the precise error when
//!   the object (e.g. its CACAO playbook) is invalid, or when the publish pipeline refuses
//!   it or desensitization made it invalid. The community is the one asked for, else the
//!   first of the scope's communities this node may publish to, else the node's default;
//!   the TLP is the one asked for, else the object's marking, else `publish.default_tlp`.
//!   201 with its ledger position (200 when it was already logged).
//! - `GET /api/v1/advisories`: every advisory held, newest first, with ack counts, the
//!   authority of its publisher and this node's own status and overdue flag.
//! - `GET /api/v1/advisories/{id}`: one advisory with its playbook, ledger position, proof
//!   URL and its acknowledgements ([`super::view`]).
//! - `POST /api/v1/advisories/{id}/ack` with `{"status": "...", "note": "..."}`: this
//!   node's acknowledgement, forward-only (409 on a regression), published with the
//!   advisory's TLP to its community (the note is desensitized like any free text).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use shoal_protocol::advisory::{may_follow, Ack, AckStatus, Advisory, AdvisoryError};
use shoal_protocol::Tlp;

use super::view::{self, Ctx};
use super::{compose, reminders, Advisories};
use crate::api::{community, ApiError, AppState};
use crate::ledger::writer::WriterError;
use crate::publish::{ObjectOutcome, PublishError, PublishOptions};

fn invalid(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("invalid {what}: {e}"),
        Value::Null,
    )
}

fn publish_error(e: PublishError) -> ApiError {
    match e {
        PublishError::Input(e) => invalid("STIX input", e),
        PublishError::Writer(WriterError::Stopped) | PublishError::Accountant(_) => {
            ApiError::unavailable("the node is shutting down")
        }
        PublishError::Store(e) if e.is_io() => ApiError::disk_failed(&e),
        PublishError::Store(e) => ApiError::internal(e),
        PublishError::Writer(e) => ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "nothing was logged",
            json!(e.to_string()),
        ),
    }
}

fn blocking_failed(e: tokio::task::JoinError) -> ApiError {
    ApiError::internal(format!("advisory task failed: {e}"))
}

/// Bring the index up to date.
async fn refresh(adv: &Arc<Advisories>) -> Result<(), ApiError> {
    let a = adv.clone();
    tokio::task::spawn_blocking(move || a.refresh())
        .await
        .map_err(blocking_failed)?
        .map_err(|e| {
            if e.is_io() {
                ApiError::disk_failed(&e)
            } else {
                ApiError::internal(e)
            }
        })?;
    Ok(())
}

/// One object through the publish pipeline: a dry run first, whose desensitized object
/// `check` must still accept, then the real publish. Returns the outcome and the
/// desensitization changes.
async fn publish_one(
    st: &AppState,
    object: &Value,
    community: String,
    tlp: Tlp,
    check: impl Fn(&Value) -> Result<(), AdvisoryError>,
    what: &str,
) -> Result<(ObjectOutcome, Value), ApiError> {
    let bytes = serde_json::to_vec(object).map_err(ApiError::internal)?;
    let mut opts = PublishOptions {
        community,
        default_tlp: tlp,
        time_granularity_secs: st.time_granularity_secs,
        now_unix: crate::daemon::unix_now(),
        dry_run: true,
    };
    let refused = |o: &ObjectOutcome| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "the publish pipeline refused the {what}: {}",
                o.error.as_deref().unwrap_or("rejected")
            ),
            json!({ "reason": o.reason }),
        )
    };
    let dry = st
        .publisher
        .publish(&bytes, &opts)
        .await
        .map_err(publish_error)?;
    let first = dry
        .results
        .first()
        .ok_or_else(|| ApiError::internal("publish returned no result"))?;
    if first.status == "rejected" {
        return Err(refused(first));
    }
    if let Some(shown) = dry.objects.first() {
        check(shown).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("after desensitization the {what} is no longer valid: {e}"),
                json!({ "changes": dry.changes }),
            )
        })?;
    }
    opts.dry_run = false;
    let started = std::time::Instant::now();
    let report = st
        .publisher
        .publish(&bytes, &opts)
        .await
        .map_err(publish_error)?;
    st.metrics.observe_publish(&report, started.elapsed());
    let outcome = report
        .results
        .first()
        .cloned()
        .ok_or_else(|| ApiError::internal("publish returned no result"))?;
    if outcome.status == "rejected" {
        return Err(refused(&outcome));
    }
    Ok((outcome, json!(report.changes)))
}

fn tlp_param(q: &HashMap<String, String>) -> Result<Option<Tlp>, ApiError> {
    q.get("tlp")
        .map(|t| {
            t.parse::<Tlp>()
                .map_err(|_| ApiError::bad_request(format!("`tlp` {t:?} is not a TLP level")))
        })
        .transpose()
}

/// `POST /api/v1/advisories`.
pub async fn publish(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body =
        body.map_err(|e| ApiError::new(e.status(), "request body rejected", json!(e.body_text())))?;
    let (advisory, object) =
        compose::advisory(&body, crate::net::now_ms()).map_err(|e| invalid("advisory", e))?;
    refresh(&st.advisories).await?;
    let owner = st
        .advisories
        .index()
        .and_then(|i| i.advisories.get(&advisory.id).map(|e| e.publisher));
    if owner.is_some_and(|p| p != st.public_key) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "advisory {} was published by another node; only its publisher may issue new versions",
                advisory.id
            ),
            Value::Null,
        ));
    }
    let community = match q.get("community") {
        Some(c) => community::choose(&st, Some(c))?,
        None => advisory
            .scope
            .communities
            .iter()
            .find_map(|c| community::choose(&st, Some(c)).ok())
            .map_or_else(|| community::choose(&st, None), Ok)?,
    };
    let tlp = tlp_param(&q)?.unwrap_or(st.default_tlp);
    let check = |v: &Value| Advisory::from_object(v).map(|_| ());
    let (outcome, changes) =
        publish_one(&st, &object, community.clone(), tlp, check, "advisory").await?;
    refresh(&st.advisories).await?;
    let index = outcome.ledger_index;
    let status = if outcome.status == "appended" {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({
            "id": advisory.id,
            "status": outcome.status,
            "severity": advisory.severity.as_str(),
            "publisher": hex::encode(st.public_key.0),
            "authoritative": st.advisories.me.anchor,
            "community": community,
            "tlp": outcome.tlp,
            "ledger_index": index,
            "proof": index.map(|i| view::proof_url(&st.public_key, i)),
            "changes": changes,
        })),
    ))
}

/// The body of an acknowledgement request.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckRequest {
    /// `received`, `assessing`, `mitigated` or `not_affected`.
    pub status: String,
    /// Optional free text (desensitized before it leaves the node).
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/v1/advisories/{id}/ack`.
pub async fn ack(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body =
        body.map_err(|e| ApiError::new(e.status(), "request body rejected", json!(e.body_text())))?;
    let req: AckRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "expected {{\"status\": \"received|assessing|mitigated|not_affected\", \"note\": \"...\"}}: {e}"
        ))
    })?;
    let status: AckStatus = req
        .status
        .parse()
        .map_err(|e: AdvisoryError| invalid("acknowledgement", e))?;
    let adv = st.advisories.clone();
    let _serial = adv.ack_lock.lock().await;
    refresh(&adv).await?;
    let (entry_tlp, entry_community, previous) = {
        let index = adv
            .index()
            .ok_or_else(|| ApiError::internal("advisory index poisoned"))?;
        let entry = index.advisories.get(&id).ok_or_else(|| {
            ApiError::not_found(format!("no advisory {id:?} is held by this node"))
        })?;
        (
            entry.tlp,
            entry.community.clone(),
            index.status_of(&id, &adv.me.key),
        )
    };
    if let Some(prev) = previous {
        if !may_follow(prev, status) {
            let e = AdvisoryError::Regression {
                from: prev,
                to: status,
            };
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("acknowledgement refused: {e}"),
                json!({ "in_force": prev.as_str(), "asked": status.as_str() }),
            ));
        }
    }
    let (ack, object) = compose::ack(&id, status, req.note.as_deref(), crate::net::now_ms())
        .map_err(|e| invalid("acknowledgement", e))?;
    // The advisory's audience: its TLP, its community (a CLEAR advisory of a community
    // this node is not in is acknowledged in the node's own default community).
    let community = match community::choose(&st, Some(&entry_community)) {
        Ok(c) => c,
        Err(_) if entry_tlp == Tlp::Clear => community::choose(&st, None)?,
        Err(e) => return Err(e),
    };
    let check = |v: &Value| Ack::from_object(v).map(|_| ());
    let (outcome, changes) = publish_one(
        &st,
        &object,
        community.clone(),
        entry_tlp,
        check,
        "acknowledgement",
    )
    .await?;
    refresh(&adv).await?;
    let index = outcome.ledger_index;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": ack.id,
            "advisory": id,
            "status": status.as_str(),
            "previous": previous.map(AckStatus::as_str),
            "community": community,
            "tlp": outcome.tlp,
            "ledger_index": index,
            "proof": index.map(|i| view::proof_url(&st.public_key, i)),
            "changes": changes,
        })),
    ))
}

/// Build a view on a blocking thread (store reads for roles and signatures).
async fn with_view<T: Send + 'static>(
    st: &Arc<AppState>,
    f: impl FnOnce(&super::index::Index, &Ctx) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    refresh(&st.advisories).await?;
    let adv = st.advisories.clone();
    let communities = reminders::own_communities(&st.net);
    let now_unix = crate::daemon::unix_now();
    let pseudonyms = st.publisher.privacy.pseudonym_key(now_unix);
    tokio::task::spawn_blocking(move || {
        let roles = adv.roles().map_err(ApiError::internal)?;
        let index = adv
            .index()
            .ok_or_else(|| ApiError::internal("advisory index poisoned"))?;
        let ctx = Ctx {
            adv: &adv,
            roles: &roles,
            communities: &communities,
            now: i64::try_from(now_unix).unwrap_or(i64::MAX),
            pseudonyms: &pseudonyms,
        };
        f(&index, &ctx)
    })
    .await
    .map_err(blocking_failed)?
}

/// `GET /api/v1/advisories`.
pub async fn list(State(st): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let metrics = st.metrics.clone();
    let v = with_view(&st, move |index, ctx| {
        let mut entries: Vec<_> = index.advisories.values().collect();
        entries.sort_by(|a, b| {
            b.advisory
                .modified
                .cmp(&a.advisory.modified)
                .then_with(|| a.advisory.id.cmp(&b.advisory.id))
        });
        let items: Vec<Value> = entries
            .iter()
            .map(|e| view::summary(index, e, ctx))
            .collect();
        let overdue = items.iter().filter(|i| i["overdue"] == true).count();
        metrics.set_advisories_overdue(overdue);
        Ok(json!({
            "count": items.len(),
            "overdue": overdue,
            "advisories": items,
        }))
    })
    .await?;
    Ok(Json(v))
}

/// `GET /api/v1/advisories/{id}`.
pub async fn show(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let v = with_view(&st, move |index, ctx| {
        let e = index.advisories.get(&id).ok_or_else(|| {
            ApiError::not_found(format!("no advisory {id:?} is held by this node"))
        })?;
        Ok(view::detail(index, e, ctx))
    })
    .await?;
    Ok(Json(v))
}
