//! The publish pipeline of the node: STIX 2.1 input → per-object validation →
//! effective TLP and community → canonical JSON → the ledger writer (sign, log,
//! durable) → one result per object. Later features insert desensitization and
//! differential privacy between validation and signing.

use serde::Serialize;
use shoal_protocol::envelope::coarse_time;
use shoal_protocol::{stix, tlp, Tlp};

use crate::ledger::writer::{WriterError, WriterHandle};
use crate::ledger::{AppendRequest, ItemResult};

/// Options of one publish call.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Community to publish to.
    pub community: String,
    /// TLP for objects that carry no TLP marking.
    pub default_tlp: Tlp,
    /// Publication time granularity in seconds.
    pub time_granularity_secs: u64,
    /// Current unix time in seconds.
    pub now_unix: u64,
}

/// The outcome for one input object.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ObjectOutcome {
    /// Position of the object in the input (0 for a single object).
    pub position: usize,
    /// STIX id, when it could be read.
    pub id: Option<String>,
    /// `appended`, `duplicate` or `rejected`.
    pub status: &'static str,
    /// Ledger index (appended or duplicate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_index: Option<u64>,
    /// Leaf hash, hex (appended).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_hash: Option<String>,
    /// Effective TLP (appended or duplicate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    /// Why the object was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Result of a publish call.
#[derive(Debug, Clone, Serialize)]
pub struct PublishReport {
    /// Objects newly logged.
    pub appended: usize,
    /// Objects already logged before.
    pub duplicates: usize,
    /// Objects rejected.
    pub rejected: usize,
    /// One outcome per input object, in input order.
    pub results: Vec<ObjectOutcome>,
}

/// Errors that reject the input as a whole.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The input is not a usable STIX document.
    #[error("invalid STIX input: {0}")]
    Input(#[from] stix::InputError),
    /// The ledger could not log the items.
    #[error(transparent)]
    Writer(#[from] WriterError),
}

fn rejected(position: usize, id: Option<String>, error: String) -> ObjectOutcome {
    ObjectOutcome {
        position,
        id,
        status: "rejected",
        ledger_index: None,
        leaf_hash: None,
        tlp: None,
        error: Some(error),
    }
}

/// Validate `input` and log every acceptable object.
pub async fn publish(
    writer: &WriterHandle,
    input: &[u8],
    opts: &PublishOptions,
) -> Result<PublishReport, PublishError> {
    let parsed = stix::parse_input(input)?;
    let published_at = coarse_time(opts.now_unix, opts.time_granularity_secs);
    let mut outcomes: Vec<Option<ObjectOutcome>> = Vec::with_capacity(parsed.len());
    let mut pending = Vec::new();
    let mut requests = Vec::new();
    for (position, item) in parsed.into_iter().enumerate() {
        let obj = match item {
            Ok(obj) => obj,
            Err(e) => {
                outcomes.push(Some(rejected(position, e.id.clone(), e.to_string())));
                continue;
            }
        };
        let id = Some(obj.id().to_string());
        let effective = match tlp::object_tlp(&obj) {
            Ok(Some(t)) => t,
            Ok(None) => opts.default_tlp,
            Err(e) => {
                outcomes.push(Some(rejected(position, id, e.to_string())));
                continue;
            }
        };
        if effective == Tlp::Red {
            outcomes.push(Some(rejected(
                position,
                id,
                "TLP:RED objects are never shared; keep them out of the network".into(),
            )));
            continue;
        }
        let canonical = match obj.canonical_bytes() {
            Ok(b) => b,
            Err(e) => {
                outcomes.push(Some(rejected(position, id, e.to_string())));
                continue;
            }
        };
        let object_digest = shoal_crypto::hash::sha256(&canonical);
        requests.push(AppendRequest {
            object: canonical,
            object_digest,
            tlp: effective,
            community: opts.community.clone(),
            published_at,
        });
        pending.push((outcomes.len(), position, id, effective));
        outcomes.push(None);
    }
    if !requests.is_empty() {
        let results = writer.append(requests).await?;
        for ((slot, position, id, t), r) in pending.into_iter().zip(results) {
            let outcome = match r {
                ItemResult::Appended { index, leaf_hash } => ObjectOutcome {
                    position,
                    id,
                    status: "appended",
                    ledger_index: Some(index),
                    leaf_hash: Some(hex::encode(leaf_hash)),
                    tlp: Some(t),
                    error: None,
                },
                ItemResult::Duplicate { index } => ObjectOutcome {
                    position,
                    id,
                    status: "duplicate",
                    ledger_index: Some(index),
                    leaf_hash: None,
                    tlp: Some(t),
                    error: None,
                },
                ItemResult::Rejected(reason) => rejected(position, id, reason),
            };
            if let Some(s) = outcomes.get_mut(slot) {
                *s = Some(outcome);
            }
        }
    }
    let results: Vec<ObjectOutcome> = outcomes.into_iter().flatten().collect();
    let count = |s: &str| results.iter().filter(|o| o.status == s).count();
    Ok(PublishReport {
        appended: count("appended"),
        duplicates: count("duplicate"),
        rejected: count("rejected"),
        results,
    })
}
