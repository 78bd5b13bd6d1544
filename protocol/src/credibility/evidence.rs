//! Evidence: what a signed envelope says about other intel, and the deterministic set of
//! all of it a node holds.
//!
//! Every envelope is one of:
//!
//! * a **claim** — any intel object; it also corroborates the same claim by other
//!   publishers: the same STIX id (SCO ids are deterministic, so two members sharing one
//!   IP address share its id) or, for indicators, the same pattern;
//! * a **confirmation** — a STIX `sighting` of an object (`sighting_of_ref`), or an
//!   `opinion` of `agree` / `strongly-agree` about objects (`object_refs`);
//! * a **refutation** — a `sighting` flagged `x_shoal_false_positive: true`, or an
//!   `opinion` of `disagree` / `strongly-disagree`;
//! * a **revocation** — the publisher's own object with `revoked: true` retires every
//!   claim of that id by that publisher.
//!
//! (`neutral` opinions say nothing.) Reports count once per (reporter, target): repeats
//! do not add up, the latest time is kept (a new sighting resets the age clock). A
//! publisher cannot confirm or refute its own claims.
//!
//! [`EvidenceSet`] keeps everything in ordered maps, so iterating it — and everything
//! computed from it — is the same on every node that holds the same envelopes,
//! whatever the order they arrived in.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use shoal_crypto::PublicKey;

use crate::envelope::Envelope;

/// Most targets one opinion may name (more are ignored).
pub const MAX_OPINION_REFS: usize = 64;

/// What one envelope is, as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// An intel object, published by its envelope's publisher.
    Claim(Claim),
    /// Confirms the targets (STIX ids).
    Confirms(Vec<String>),
    /// Refutes the targets (STIX ids).
    Refutes(Vec<String>),
}

/// An intel object as a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Its STIX id.
    pub id: String,
    /// Its STIX type.
    pub object_type: String,
    /// For indicators, the pattern (also a corroboration key).
    pub pattern: Option<String>,
    /// Declared STIX `confidence` (0-100).
    pub confidence: Option<u8>,
    /// `revoked: true`.
    pub revoked: bool,
    /// The observable type the claim is about (`ipv4-addr`, `domain-name`, `file`...),
    /// for age decay: the SCO's own type, or the first object type in a pattern.
    pub observable: Option<String>,
}

fn refs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .take(MAX_OPINION_REFS)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The observable type a pattern starts with: `[ipv4-addr:value = ...]` → `ipv4-addr`.
pub fn pattern_observable(pattern: &str) -> Option<String> {
    let start = pattern.find('[')?.checked_add(1)?;
    let rest = pattern.get(start..)?.trim_start();
    let end = rest.find(':')?;
    let t = rest.get(..end)?.trim();
    (!t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then(|| t.to_ascii_lowercase())
}

/// Classify one STIX object (the object an envelope carries).
pub fn classify(object: &Value) -> Option<Statement> {
    let map = object.as_object()?;
    let object_type = map.get("type")?.as_str()?;
    match object_type {
        "sighting" => {
            let target = map.get("sighting_of_ref")?.as_str()?.to_owned();
            let fp = map
                .get("x_shoal_false_positive")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            Some(if fp {
                Statement::Refutes(vec![target])
            } else {
                Statement::Confirms(vec![target])
            })
        }
        "opinion" => {
            let targets = refs(map.get("object_refs")?);
            match map.get("opinion")?.as_str()? {
                "agree" | "strongly-agree" => Some(Statement::Confirms(targets)),
                "disagree" | "strongly-disagree" => Some(Statement::Refutes(targets)),
                _ => None,
            }
        }
        _ => {
            let id = map.get("id")?.as_str()?.to_owned();
            let pattern = if object_type == "indicator" {
                map.get("pattern")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            } else {
                None
            };
            let observable = match &pattern {
                Some(p) => pattern_observable(p),
                None => Some(object_type.to_owned()),
            };
            Some(Statement::Claim(Claim {
                id,
                object_type: object_type.to_owned(),
                confidence: map
                    .get("confidence")
                    .and_then(Value::as_u64)
                    .and_then(|c| u8::try_from(c.min(100)).ok()),
                revoked: map.get("revoked").and_then(Value::as_bool).unwrap_or(false),
                pattern,
                observable,
            }))
        }
    }
}

/// One published claim, as the set keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    /// The claim.
    pub claim: Claim,
    /// Its ledger index in the publisher's log.
    pub ledger_index: u64,
    /// When it was published (unix seconds, the envelope's coarse time).
    pub published_at: u64,
}

/// A report about a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// The latest time the reporter made it (unix seconds).
    pub at: u64,
}

/// Everything known about one STIX id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// Publishers that claimed it (the latest claim of each).
    pub claims: BTreeMap<PublicKey, ClaimRecord>,
    /// Confirmations by reporter.
    pub confirmations: BTreeMap<PublicKey, Report>,
    /// Refutations by reporter.
    pub refutations: BTreeMap<PublicKey, Report>,
}

/// All evidence a node holds, in a canonical order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvidenceSet {
    /// By STIX id.
    pub targets: BTreeMap<String, Target>,
    /// Indicator pattern → ids claiming it.
    pub patterns: BTreeMap<String, BTreeSet<String>>,
    /// Envelopes taken in (leaf identity: publisher and index), to ignore repeats.
    seen: BTreeSet<(PublicKey, u64)>,
}

impl EvidenceSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Envelopes taken in.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing was taken in.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Take in a (signature-checked) envelope; returns whether it was new evidence.
    pub fn add(&mut self, env: &Envelope) -> bool {
        let key = (env.body.publisher, env.body.ledger_index);
        if self.seen.contains(&key) {
            return false;
        }
        let Ok(object) = env.object_json() else {
            return false;
        };
        let Some(statement) = classify(&object) else {
            return false;
        };
        self.seen.insert(key);
        self.add_statement(
            env.body.publisher,
            env.body.ledger_index,
            env.body.published_at,
            statement,
        );
        true
    }

    /// Take in a statement directly (the simulator, tests).
    pub fn add_statement(
        &mut self,
        publisher: PublicKey,
        ledger_index: u64,
        at: u64,
        statement: Statement,
    ) {
        let report = |m: &mut BTreeMap<PublicKey, Report>| {
            let r = m.entry(publisher).or_insert(Report { at });
            r.at = r.at.max(at);
        };
        match statement {
            Statement::Claim(claim) => {
                if let Some(p) = &claim.pattern {
                    self.patterns
                        .entry(p.clone())
                        .or_default()
                        .insert(claim.id.clone());
                }
                let target = self.targets.entry(claim.id.clone()).or_default();
                let newer = target
                    .claims
                    .get(&publisher)
                    .is_none_or(|c| c.ledger_index < ledger_index);
                if newer {
                    // A revocation sticks: a later unrevoked copy does not revive it.
                    let revoked = claim.revoked
                        || target
                            .claims
                            .get(&publisher)
                            .is_some_and(|c| c.claim.revoked);
                    target.claims.insert(
                        publisher,
                        ClaimRecord {
                            claim: Claim { revoked, ..claim },
                            ledger_index,
                            published_at: at,
                        },
                    );
                }
            }
            Statement::Confirms(ids) => {
                for id in ids {
                    report(&mut self.targets.entry(id).or_default().confirmations);
                }
            }
            Statement::Refutes(ids) => {
                for id in ids {
                    report(&mut self.targets.entry(id).or_default().refutations);
                }
            }
        }
    }

    /// The ids that corroborate `id` (the same indicator pattern), `id` included.
    pub fn same_claim(&self, id: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::from([id.to_owned()]);
        let pattern = self
            .targets
            .get(id)
            .and_then(|t| t.claims.values().find_map(|c| c.claim.pattern.clone()));
        if let Some(ids) = pattern.and_then(|p| self.patterns.get(&p)) {
            out.extend(ids.iter().cloned());
        }
        out
    }

    /// The groups of claims about one thing: the ids sharing an indicator pattern, or a
    /// single id. Each group once, in a canonical order.
    fn groups(&self) -> Vec<BTreeSet<String>> {
        let mut done: BTreeSet<&str> = BTreeSet::new();
        let mut out = Vec::new();
        for id in self.targets.keys() {
            if done.contains(id.as_str()) {
                continue;
            }
            let group = self.same_claim(id);
            for g in &group {
                if let Some((k, _)) = self.targets.get_key_value(g) {
                    done.insert(k.as_str());
                }
            }
            out.push(group);
        }
        out
    }

    /// The outcome counts of the trust computation: for each ordered pair of nodes
    /// `(i, x)`, on how many things they agreed and disagreed. For each group of claims
    /// about one thing ([`EvidenceSet::same_claim`]), the nodes that said it is true
    /// (its publishers and the reporters that confirmed it) and those that said it is
    /// false (the refuters) rate each other: two nodes on the same side agree, on
    /// opposite sides disagree. A confirmation is itself a claim, so a node that confirms
    /// something later refuted is charged like its publisher; a publisher whose claim is
    /// confirmed gains. A publisher does not mark down the refuters of its own claim (no
    /// one is judge in their own cause). A node on both sides of one thing counts on
    /// neither; nodes never rate themselves.
    pub fn outcomes(&self) -> BTreeMap<(PublicKey, PublicKey), (u64, u64)> {
        let mut out: BTreeMap<(PublicKey, PublicKey), (u64, u64)> = BTreeMap::new();
        for group in self.groups() {
            let mut yes: BTreeSet<PublicKey> = BTreeSet::new();
            let mut no: BTreeSet<PublicKey> = BTreeSet::new();
            let mut publishers: BTreeSet<PublicKey> = BTreeSet::new();
            for id in &group {
                if let Some(t) = self.targets.get(id) {
                    publishers.extend(t.claims.keys().copied());
                    yes.extend(t.claims.keys().copied());
                    yes.extend(t.confirmations.keys().copied());
                    no.extend(t.refutations.keys().copied());
                }
            }
            // Reports about something nobody published are not rated.
            if publishers.is_empty() {
                continue;
            }
            let both: BTreeSet<PublicKey> = yes.intersection(&no).copied().collect();
            yes.retain(|k| !both.contains(k));
            no.retain(|k| !both.contains(k));
            for (side, other) in [(&yes, &no), (&no, &yes)] {
                for i in side.iter() {
                    for x in side.iter().filter(|x| *x != i) {
                        let e = out.entry((*i, *x)).or_default();
                        e.0 = e.0.saturating_add(1);
                    }
                    // No one is judge in their own cause: a publisher does not mark
                    // down the refuters of its own claim.
                    if publishers.contains(i) {
                        continue;
                    }
                    for x in other.iter() {
                        let e = out.entry((*i, *x)).or_default();
                        e.1 = e.1.saturating_add(1);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(n: u8) -> PublicKey {
        PublicKey([n; 32])
    }

    #[test]
    fn objects_are_classified() {
        let claim = classify(&json!({"type": "indicator", "id": "indicator--1",
            "pattern": "[ipv4-addr:value = '198.51.100.1']", "confidence": 80}));
        match claim {
            Some(Statement::Claim(c)) => {
                assert_eq!(c.observable.as_deref(), Some("ipv4-addr"));
                assert_eq!(c.confidence, Some(80));
                assert!(!c.revoked);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            classify(
                &json!({"type": "sighting", "id": "sighting--1", "sighting_of_ref": "indicator--1"})
            ),
            Some(Statement::Confirms(vec!["indicator--1".into()]))
        );
        assert_eq!(
            classify(
                &json!({"type": "sighting", "id": "sighting--1", "sighting_of_ref": "indicator--1",
                "x_shoal_false_positive": true})
            ),
            Some(Statement::Refutes(vec!["indicator--1".into()]))
        );
        assert_eq!(
            classify(
                &json!({"type": "opinion", "id": "opinion--1", "opinion": "strongly-disagree",
                "object_refs": ["indicator--1", "indicator--2"]})
            ),
            Some(Statement::Refutes(vec![
                "indicator--1".into(),
                "indicator--2".into()
            ]))
        );
        assert_eq!(
            classify(
                &json!({"type": "opinion", "id": "opinion--1", "opinion": "neutral",
                "object_refs": ["indicator--1"]})
            ),
            None
        );
        assert_eq!(
            pattern_observable("[file:hashes.'SHA-256' = 'ab']"),
            Some("file".into())
        );
        assert_eq!(pattern_observable("no brackets"), None);
    }

    #[test]
    fn reports_count_once_per_reporter_and_the_set_is_order_independent() {
        let claim = |id: &str, pattern: &str| {
            Statement::Claim(Claim {
                id: id.into(),
                object_type: "indicator".into(),
                pattern: Some(pattern.into()),
                confidence: None,
                revoked: false,
                observable: Some("ipv4-addr".into()),
            })
        };
        let statements = vec![
            (
                key(1),
                0,
                100,
                claim("indicator--a", "[ipv4-addr:value = '1.2.3.4']"),
            ),
            (
                key(2),
                0,
                110,
                Statement::Confirms(vec!["indicator--a".into()]),
            ),
            (
                key(2),
                1,
                120,
                Statement::Confirms(vec!["indicator--a".into()]),
            ),
            (
                key(3),
                0,
                130,
                claim("indicator--b", "[ipv4-addr:value = '1.2.3.4']"),
            ),
            (
                key(4),
                0,
                140,
                Statement::Refutes(vec!["indicator--a".into()]),
            ),
            (
                key(1),
                1,
                150,
                Statement::Confirms(vec!["indicator--a".into()]),
            ),
        ];
        let mut forward = EvidenceSet::new();
        for (k, i, at, s) in statements.clone() {
            forward.add_statement(k, i, at, s);
        }
        let mut backward = EvidenceSet::new();
        for (k, i, at, s) in statements.into_iter().rev() {
            backward.add_statement(k, i, at, s);
        }
        assert_eq!(forward.targets, backward.targets);
        let a = &forward.targets["indicator--a"];
        assert_eq!(a.confirmations.len(), 2);
        assert_eq!(a.confirmations[&key(2)].at, 120);
        let outcomes = forward.outcomes();
        // key(2) confirmed, key(3) corroborated by claiming the same pattern, key(4)
        // refuted; key(1) rating its own claim does not count.
        assert_eq!(outcomes[&(key(2), key(1))], (1, 0));
        assert_eq!(outcomes[&(key(3), key(1))], (1, 0));
        assert_eq!(outcomes[&(key(1), key(3))], (1, 0));
        assert_eq!(outcomes[&(key(4), key(1))], (0, 1));
        // The refuter and the confirmer disagree, both ways: confirming something later
        // refuted costs the confirmer too.
        assert_eq!(outcomes[&(key(4), key(2))], (0, 1));
        assert_eq!(outcomes[&(key(2), key(4))], (0, 1));
        // The publishers do not mark down the refuter of their claim.
        assert!(!outcomes.contains_key(&(key(1), key(4))));
        assert!(!outcomes.contains_key(&(key(3), key(4))));
        assert_eq!(outcomes[&(key(2), key(3))], (1, 0));
        assert!(!outcomes.contains_key(&(key(1), key(1))));
        assert_eq!(outcomes, backward.outcomes());
    }
}
