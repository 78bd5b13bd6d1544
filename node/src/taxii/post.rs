//! Adding objects (§5.4): a TAXII envelope posted to the outbox goes through the full
//! publish pipeline (validation, TLP, desensitization, differential privacy, signing,
//! the ledger); the answer is a status resource with each object's success or failure
//! and the reason.

use serde_json::{json, Value};

use super::error::TaxiiError;
use crate::api::AppState;
use crate::publish::{PublishError, PublishOptions};

/// A status resource for `report`'s outcomes.
fn status(id: &str, requested: &str, report: &crate::publish::PublishReport) -> Value {
    let mut successes = Vec::new();
    let mut failures = Vec::new();
    for o in &report.results {
        let object_id =
            o.id.clone()
                .unwrap_or_else(|| format!("object #{}", o.position));
        match o.status {
            "appended" | "duplicate" => successes.push(json!({
                "id": object_id,
                "message": match (o.status, o.ledger_index) {
                    ("appended", Some(i)) => format!(
                        "published as {} at ledger index {i}",
                        o.published_id.as_deref().unwrap_or(&object_id)
                    ),
                    (_, Some(i)) => format!("already published at ledger index {i}"),
                    _ => o.status.to_string(),
                },
            })),
            _ => failures.push(json!({
                "id": object_id,
                "message": o.error.clone().unwrap_or_else(|| o.status.to_string()),
            })),
        }
    }
    json!({
        "id": id,
        "status": "complete",
        "request_timestamp": requested,
        "total_count": report.results.len(),
        "success_count": successes.len(),
        "successes": successes,
        "failure_count": failures.len(),
        "failures": failures,
        "pending_count": 0,
        "pendings": [],
    })
}

/// Publish the objects of a posted envelope; returns the status resource.
pub async fn add(st: &AppState, body: &[u8]) -> Result<Value, TaxiiError> {
    let unprocessable = |why: String| {
        TaxiiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable entity",
            why,
        )
    };
    let envelope: Value = serde_json::from_slice(body)
        .map_err(|e| TaxiiError::bad_request(format!("the body is not JSON: {e}")))?;
    let objects = envelope
        .get("objects")
        .and_then(Value::as_array)
        .ok_or_else(|| unprocessable("expected a TAXII envelope: {\"objects\": [...]}".into()))?;
    if objects.is_empty() {
        return Err(unprocessable("the envelope holds no objects".into()));
    }
    let requested = super::objects::timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    );
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(TaxiiError::internal)?;
    let status_id = uuid::Builder::from_random_bytes(random)
        .into_uuid()
        .to_string();
    let bundle = json!({
        "type": "bundle",
        "id": format!("bundle--{status_id}"),
        "objects": objects,
    });
    let community = crate::api::community::choose(st, None)
        .map_err(|e| TaxiiError::new(e.status(), "Cannot publish", e.message()))?;
    let opts = PublishOptions {
        community,
        default_tlp: st.default_tlp,
        time_granularity_secs: st.time_granularity_secs,
        now_unix: crate::daemon::unix_now(),
        dry_run: false,
    };
    let started = std::time::Instant::now();
    let report = match st
        .publisher
        .publish(bundle.to_string().as_bytes(), &opts)
        .await
    {
        Ok(r) => {
            st.metrics.observe_publish(&r, started.elapsed());
            r
        }
        Err(PublishError::Input(e)) => return Err(unprocessable(e.to_string())),
        Err(e) => return Err(TaxiiError::internal(e)),
    };
    let resource = status(&status_id, &requested, &report);
    st.taxii.statuses.put(status_id, resource.clone());
    Ok(resource)
}
