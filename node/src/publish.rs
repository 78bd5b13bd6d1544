//! The publish pipeline of the node: STIX 2.1 input → per-object validation → TLP
//! (RED and AMBER+STRICT never leave) → desensitize (the whole input at once, so
//! references stay consistent) → differential privacy (budget charged
//! durably before noise is drawn) → final leak check on the exact object to be signed →
//! sign, log, durable → one result per input object. A dry run stops before charging
//! the budget and logging, and shows what would be published and what was changed.

use std::sync::Arc;

use serde::Serialize;
use shoal_protocol::desensitize::{self, leak_check, Change, Keys};
use shoal_protocol::envelope::coarse_time;
use shoal_protocol::{stix, tlp, StixObject, Tlp};

use crate::ledger::writer::{WriterError, WriterHandle};
use crate::ledger::{AppendRequest, ItemResult};
use crate::privacy::accountant::AccountantError;
use crate::privacy::PrivacyEngine;
use crate::store::Store;

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
    /// Show what would be published without charging the budget or logging.
    pub dry_run: bool,
}

/// The outcome for one input object.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ObjectOutcome {
    /// Position of the object in the input (0 for a single object).
    pub position: usize,
    /// STIX id of the input object, when it could be read (shown to the publisher only).
    pub id: Option<String>,
    /// `appended`, `duplicate`, `rejected`, or in a dry run `would_append`.
    pub status: &'static str,
    /// Id of the object as published (desensitization may change SCO ids).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_id: Option<String>,
    /// Ledger index (appended or duplicate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_index: Option<u64>,
    /// Leaf hash, hex (appended).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_hash: Option<String>,
    /// Effective TLP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tlp: Option<Tlp>,
    /// Privacy budget charged for this object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
    /// Why the object was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The class of the rejection: `invalid`, `tlp`, `desensitization`, `privacy`,
    /// `leak`, `encoding` or `ledger` (for counting; `error` says exactly what).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// Result of a publish call.
#[derive(Debug, Clone, Serialize)]
pub struct PublishReport {
    /// Objects newly logged (0 in a dry run).
    pub appended: usize,
    /// Objects already logged before.
    pub duplicates: usize,
    /// Objects rejected.
    pub rejected: usize,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// One outcome per input object, in input order.
    pub results: Vec<ObjectOutcome>,
    /// What desensitization changed and why (paths and classes, never values).
    pub changes: Vec<Change>,
    /// Dry run only: the objects exactly as they would be signed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<serde_json::Value>,
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
    /// The privacy accountant is not running.
    #[error(transparent)]
    Accountant(#[from] AccountantError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// The pipeline's long-lived parts.
#[derive(Clone)]
pub struct Publisher {
    /// The ledger writer.
    pub writer: WriterHandle,
    /// The store (duplicate checks before any budget is spent).
    pub store: Store,
    /// Desensitization and DP.
    pub privacy: Arc<PrivacyEngine>,
}

fn outcome(position: usize, id: Option<String>, status: &'static str) -> ObjectOutcome {
    ObjectOutcome {
        position,
        id,
        status,
        published_id: None,
        ledger_index: None,
        leaf_hash: None,
        tlp: None,
        epsilon: None,
        error: None,
        reason: None,
    }
}

fn rejected(
    position: usize,
    id: Option<String>,
    reason: &'static str,
    error: String,
) -> ObjectOutcome {
    ObjectOutcome {
        error: Some(error),
        reason: Some(reason),
        ..outcome(position, id, "rejected")
    }
}

/// An object on its way through the pipeline.
struct Pending {
    position: usize,
    id: String,
    tlp: Tlp,
    digest: shoal_crypto::Hash,
}

impl Publisher {
    /// Validate, desensitize, privatize and (unless a dry run) log `input`.
    pub async fn publish(
        &self,
        input: &[u8],
        opts: &PublishOptions,
    ) -> Result<PublishReport, PublishError> {
        let parsed = stix::parse_input(input)?;
        let mut outcomes: Vec<Option<ObjectOutcome>> = vec![None; parsed.len()];
        let set = |outcomes: &mut Vec<Option<ObjectOutcome>>, o: ObjectOutcome| {
            if let Some(slot) = outcomes.get_mut(o.position) {
                *slot = Some(o);
            }
        };

        // 1. Validation, TLP, duplicates (before any budget is spent).
        let mut pending = Vec::new();
        let mut objects = Vec::new();
        for (position, item) in parsed.into_iter().enumerate() {
            let obj = match item {
                Ok(obj) => obj,
                Err(e) => {
                    set(
                        &mut outcomes,
                        rejected(position, e.id.clone(), "invalid", e.to_string()),
                    );
                    continue;
                }
            };
            let id = obj.id().to_string();
            let effective = match tlp::object_tlp(&obj) {
                Ok(Some(t)) => t,
                Ok(None) => opts.default_tlp,
                Err(e) => {
                    set(
                        &mut outcomes,
                        rejected(position, Some(id), "tlp", e.to_string()),
                    );
                    continue;
                }
            };
            if !effective.is_shareable() {
                set(
                    &mut outcomes,
                    rejected(
                        position,
                        Some(id),
                        "tlp",
                        format!(
                            "{} intel is never shared; keep it out of the network",
                            effective.label()
                        ),
                    ),
                );
                continue;
            }
            let canonical = match obj.canonical_bytes() {
                Ok(b) => b,
                Err(e) => {
                    set(
                        &mut outcomes,
                        rejected(position, Some(id), "encoding", e.to_string()),
                    );
                    continue;
                }
            };
            let digest = shoal_crypto::hash::sha256(&canonical);
            if let Some(index) = self.store.object_index(&digest)? {
                set(
                    &mut outcomes,
                    ObjectOutcome {
                        ledger_index: Some(index),
                        tlp: Some(effective),
                        ..outcome(position, Some(id), "duplicate")
                    },
                );
                continue;
            }
            pending.push(Pending {
                position,
                id,
                tlp: effective,
                digest,
            });
            objects.push(obj);
        }

        // 2. Desensitize the whole input.
        let privacy = &self.privacy;
        let pseudonyms = privacy.pseudonym_key(opts.now_unix);
        let keys = Keys {
            cryptopan: &privacy.cryptopan,
            pseudonyms: &pseudonyms,
        };
        let out = desensitize::desensitize(objects, &privacy.policy, &keys);
        let changes: Vec<Change> = out
            .changes
            .into_iter()
            .filter_map(|mut c| {
                let p = pending.get(c.position)?;
                c.position = p.position;
                Some(c)
            })
            .collect();
        let mut to_release: Vec<(usize, StixObject)> = Vec::new();
        for item in out.items {
            let Some(p) = pending.get(item.position) else {
                continue;
            };
            match item.result {
                // The leak check runs once, on the exact object to be signed (step 4).
                Ok(obj) => to_release.push((item.position, obj)),
                Err(dropped) => set(
                    &mut outcomes,
                    rejected(
                        p.position,
                        Some(p.id.clone()),
                        "desensitization",
                        format!("dropped by desensitization: {}", dropped.reason),
                    ),
                ),
            }
        }

        // 3. Differential privacy (charges the budget unless this is a dry run).
        let (which, objs): (Vec<usize>, Vec<StixObject>) = to_release.into_iter().unzip();
        let released = privacy
            .accountant
            .release(objs, opts.now_unix, !opts.dry_run)
            .await?;

        // 4. Final leak check on the exact object, then sign and log.
        let published_at = coarse_time(opts.now_unix, opts.time_granularity_secs);
        let mut requests = Vec::new();
        let mut logged = Vec::new();
        let mut shown = Vec::new();
        for (k, r) in which.into_iter().zip(released) {
            let Some(p) = pending.get(k) else { continue };
            let rel = match r {
                Ok(rel) => rel,
                Err(e) => {
                    set(
                        &mut outcomes,
                        rejected(p.position, Some(p.id.clone()), "privacy", e.to_string()),
                    );
                    continue;
                }
            };
            if let Err(leak) = leak_check(&rel.object, &privacy.policy) {
                set(
                    &mut outcomes,
                    rejected(p.position, Some(p.id.clone()), "leak", leak.to_string()),
                );
                continue;
            }
            let prepared = rel
                .object
                .canonical_bytes()
                .map_err(|e| e.to_string())
                .and_then(|c| {
                    let ext = rel.receipt.to_extension().map_err(|e| e.to_string())?;
                    Ok((c, ext))
                });
            let (canonical, extension) = match prepared {
                Ok(v) => v,
                Err(e) => {
                    set(
                        &mut outcomes,
                        rejected(p.position, Some(p.id.clone()), "encoding", e),
                    );
                    continue;
                }
            };
            let base = ObjectOutcome {
                published_id: Some(rel.object.id().to_string()),
                tlp: Some(p.tlp),
                epsilon: Some(rel.receipt.epsilon),
                ..outcome(p.position, Some(p.id.clone()), "would_append")
            };
            if opts.dry_run {
                shown.push(rel.object.into_value());
                set(&mut outcomes, base);
                continue;
            }
            requests.push(AppendRequest {
                object: canonical,
                object_digest: p.digest,
                tlp: p.tlp,
                community: opts.community.clone(),
                published_at,
                extensions: vec![extension],
            });
            logged.push(base);
        }
        if !requests.is_empty() {
            let results = self.writer.append(requests).await?;
            for (base, r) in logged.into_iter().zip(results) {
                let o = match r {
                    ItemResult::Appended { index, leaf_hash } => ObjectOutcome {
                        status: "appended",
                        ledger_index: Some(index),
                        leaf_hash: Some(hex::encode(leaf_hash)),
                        ..base
                    },
                    ItemResult::Duplicate { index } => ObjectOutcome {
                        status: "duplicate",
                        ledger_index: Some(index),
                        ..base
                    },
                    ItemResult::Rejected(reason) => ObjectOutcome {
                        status: "rejected",
                        error: Some(reason),
                        reason: Some("ledger"),
                        ..base
                    },
                };
                set(&mut outcomes, o);
            }
        }
        let results: Vec<ObjectOutcome> = outcomes.into_iter().flatten().collect();
        let count = |s: &str| results.iter().filter(|o| o.status == s).count();
        Ok(PublishReport {
            appended: count("appended"),
            duplicates: count("duplicate"),
            rejected: count("rejected"),
            dry_run: opts.dry_run,
            results,
            changes,
            objects: shown,
        })
    }
}
