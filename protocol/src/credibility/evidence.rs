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
//! [`EvidenceSet`] keeps everything in ordered maps (small ones as sorted vectors,
//! [`super::vecmap`]), so iterating it — and everything computed from it — is the same
//! on every node that holds the same envelopes, whatever the order they arrived in.
//!
//! Its targets and pattern index are one entry per item held; a [`Backend`] keeps them,
//! in memory ([`Memory`]) or on disk (the node's store). The records are compact: the
//! standard STIX type names are not allocated ([`TypeName`]), a claim's id is not
//! stored again in its record, and the envelopes taken in are remembered, in memory, as
//! ranges of ledger indices per publisher.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use shoal_crypto::PublicKey;

use super::backend::{Backend, Memory};
use super::outcomes::{Builder, Outcomes};
use super::tally::{Sides, Tally};
use super::vecmap::SortedVecMap;
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

/// A STIX type name as the set keeps it: the names of STIX 2.1 are borrowed from a
/// static table, others owned.
pub type TypeName = Cow<'static, str>;

/// The object types of STIX 2.1 (sorted).
const STIX_TYPES: [&str; 42] = [
    "artifact",
    "attack-pattern",
    "autonomous-system",
    "campaign",
    "course-of-action",
    "directory",
    "domain-name",
    "email-addr",
    "email-message",
    "extension-definition",
    "file",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "ipv4-addr",
    "ipv6-addr",
    "language-content",
    "location",
    "mac-addr",
    "malware",
    "malware-analysis",
    "marking-definition",
    "mutex",
    "network-traffic",
    "note",
    "observed-data",
    "opinion",
    "process",
    "relationship",
    "report",
    "sighting",
    "software",
    "threat-actor",
    "tool",
    "url",
    "user-account",
    "vulnerability",
    "windows-registry-key",
    "x509-certificate",
];

/// `name` as a [`TypeName`]: borrowed from the static table if it is a STIX type.
pub fn type_name(name: String) -> TypeName {
    match STIX_TYPES.binary_search(&name.as_str()) {
        Ok(i) => STIX_TYPES
            .get(i)
            .map_or(Cow::Owned(name), |s| Cow::Borrowed(*s)),
        Err(_) => Cow::Owned(name),
    }
}

/// One published claim, as the set keeps it (under its id, [`Target::claims`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRecord {
    /// Its STIX type.
    pub object_type: TypeName,
    /// For indicators, the pattern (in memory, shared with the key of
    /// [`Memory::patterns`]).
    pub pattern: Option<Arc<str>>,
    /// Declared STIX `confidence` (0-100).
    pub confidence: Option<u8>,
    /// Retired: this claim or an earlier one of the same id by the same publisher was
    /// `revoked: true` (a revocation sticks).
    pub revoked: bool,
    /// The observable type the claim is about ([`Claim::observable`]).
    pub observable: Option<TypeName>,
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
    pub claims: SortedVecMap<PublicKey, ClaimRecord>,
    /// Confirmations by reporter.
    pub confirmations: SortedVecMap<PublicKey, Report>,
    /// Refutations by reporter.
    pub refutations: SortedVecMap<PublicKey, Report>,
}

/// Ledger indices taken in, per publisher, as maximal ranges `first → last` (inclusive):
/// a publisher's envelopes mostly arrive as runs of consecutive indices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Seen {
    ranges: BTreeMap<PublicKey, BTreeMap<u64, u64>>,
    count: usize,
}

impl Seen {
    fn contains(&self, publisher: &PublicKey, index: u64) -> bool {
        self.ranges.get(publisher).is_some_and(|r| {
            r.range(..=index)
                .next_back()
                .is_some_and(|(_, last)| index <= *last)
        })
    }

    /// Note `index`; returns whether it was new.
    fn insert(&mut self, publisher: PublicKey, index: u64) -> bool {
        if self.contains(&publisher, index) {
            return false;
        }
        let ranges = self.ranges.entry(publisher).or_default();
        // The range ending just before `index`, and the one starting just after.
        let before = index.checked_sub(1).and_then(|prev| {
            ranges
                .range(..index)
                .next_back()
                .filter(|(_, last)| **last == prev)
                .map(|(first, _)| *first)
        });
        let after = index
            .checked_add(1)
            .and_then(|next| ranges.remove(&next).map(|last| (next, last)));
        let last = after.map_or(index, |(_, last)| last);
        ranges.insert(before.unwrap_or(index), last);
        self.count = self.count.saturating_add(1);
        true
    }
}

/// All evidence a node holds, in a canonical order, its targets and pattern index kept
/// by a [`Backend`] ([`Memory`] unless said otherwise).
///
/// The methods named `try_*` work over any backend and pass its errors on; the
/// in-memory set has infallible ones of the same names without the prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvidenceSet<B = Memory> {
    backend: B,
    /// Envelopes taken in (leaf identity: publisher and index), to ignore repeats.
    seen: Seen,
    /// The outcome counts kept up to date, if this set tallies ([`super::tally`]).
    tally: Option<Tally>,
}

impl EvidenceSet<Memory> {
    /// An empty set in memory, counting outcomes on demand over everything it holds.
    pub fn new() -> Self {
        Self::default()
    }

    /// Take in a (signature-checked) envelope; returns whether it was new evidence.
    pub fn add(&mut self, env: &Envelope) -> bool {
        let Ok(new) = self.try_add(env);
        new
    }

    /// Take in a statement directly (the simulator, tests).
    pub fn add_statement(
        &mut self,
        publisher: PublicKey,
        ledger_index: u64,
        at: u64,
        statement: Statement,
    ) {
        let Ok(()) = self.try_add_statement(publisher, ledger_index, at, statement);
    }

    /// The ids that corroborate `id` ([`EvidenceSet::try_same_claim`]).
    pub fn same_claim(&self, id: &str) -> BTreeSet<String> {
        let Ok(ids) = self.try_same_claim(id);
        ids
    }

    /// The outcome counts ([`EvidenceSet::try_outcomes`]).
    pub fn outcomes(&self) -> Outcomes {
        let Ok(outcomes) = self.try_outcomes();
        outcomes
    }
}

/// A group of claims about one thing, by what names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum GroupKey {
    /// The ids indexed under an indicator pattern.
    Pattern(String),
    /// One id, if none of its claims has a pattern.
    Single(String),
}

/// Whether one of the target's claims has an indicator pattern.
fn has_pattern(target: &Target) -> bool {
    target.claims.values().any(|c| c.pattern.is_some())
}

/// Note `publisher`'s report at `at` (the latest time is kept).
fn report(reports: &mut SortedVecMap<PublicKey, Report>, publisher: PublicKey, at: u64) {
    let r = reports.get_or_insert(publisher, Report { at });
    r.at = r.at.max(at);
}

impl<B: Backend> EvidenceSet<B> {
    /// An empty set over `backend` (which must hold nothing yet) that tallies the
    /// outcome counts as evidence arrives ([`super::tally`]): what a node uses, so that
    /// counting never reads more than the groups a statement touches.
    pub fn with_backend(backend: B) -> Self {
        Self {
            backend,
            seen: Seen::default(),
            tally: Some(Tally::default()),
        }
    }

    /// The backend, to read targets.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Envelopes taken in.
    pub fn len(&self) -> usize {
        self.seen.count
    }

    /// Whether nothing was taken in.
    pub fn is_empty(&self) -> bool {
        self.seen.count == 0
    }

    /// Take in a (signature-checked) envelope; returns whether it was new evidence. An
    /// envelope whose statement the backend failed to keep is not marked seen, so it
    /// can be taken in again.
    pub fn try_add(&mut self, env: &Envelope) -> Result<bool, B::Error> {
        if self
            .seen
            .contains(&env.body.publisher, env.body.ledger_index)
        {
            return Ok(false);
        }
        let Ok(object) = env.object_json() else {
            return Ok(false);
        };
        let Some(statement) = classify(&object) else {
            return Ok(false);
        };
        self.try_add_statement(
            env.body.publisher,
            env.body.ledger_index,
            env.body.published_at,
            statement,
        )?;
        self.seen.insert(env.body.publisher, env.body.ledger_index);
        Ok(true)
    }

    /// Take in a statement directly. Taking the same statement in again changes
    /// nothing.
    pub fn try_add_statement(
        &mut self,
        publisher: PublicKey,
        ledger_index: u64,
        at: u64,
        statement: Statement,
    ) -> Result<(), B::Error> {
        match statement {
            Statement::Claim(claim) => {
                let id = claim.id.clone();
                let pattern = claim.pattern.clone();
                self.tallied(&id, pattern.as_deref(), |set| {
                    set.put_claim(publisher, ledger_index, at, claim)
                })
            }
            Statement::Confirms(ids) => {
                for id in ids {
                    self.tallied(&id, None, |set| {
                        set.backend
                            .update(&id, |t| report(&mut t.confirmations, publisher, at))
                    })?;
                }
                Ok(())
            }
            Statement::Refutes(ids) => {
                for id in ids {
                    self.tallied(&id, None, |set| {
                        set.backend
                            .update(&id, |t| report(&mut t.refutations, publisher, at))
                    })?;
                }
                Ok(())
            }
        }
    }

    /// Record a claim, keeping the pattern index exact (one read and write of its
    /// target).
    fn put_claim(
        &mut self,
        publisher: PublicKey,
        ledger_index: u64,
        at: u64,
        claim: Claim,
    ) -> Result<(), B::Error> {
        let Claim {
            id,
            object_type,
            pattern,
            confidence,
            revoked,
            observable,
        } = claim;
        let pattern = match pattern {
            Some(p) => Some(self.backend.index(p, &id)?),
            None => None,
        };
        // The patterns this claim may leave no current claim of `id` carrying: the one
        // of the claim it replaces, or its own if it is an older copy.
        let dropped = self.backend.update(&id, |target| {
            let previous = target.claims.get_mut(&publisher);
            let mut dropped: Vec<Arc<str>> = Vec::new();
            if let Some(c) = previous.filter(|c| c.ledger_index >= ledger_index) {
                // An older copy: only its revocation counts (it retires the claim
                // whatever order the copies arrive in).
                c.revoked |= revoked;
                dropped.extend(pattern.clone());
            } else {
                // A revocation sticks: a later unrevoked copy does not revive it.
                let revoked = revoked || target.claims.get(&publisher).is_some_and(|c| c.revoked);
                let replaced = target.claims.insert(
                    publisher,
                    ClaimRecord {
                        object_type: type_name(object_type),
                        pattern: pattern.clone(),
                        confidence,
                        revoked,
                        observable: observable.map(type_name),
                        ledger_index,
                        published_at: at,
                    },
                );
                dropped.extend(replaced.and_then(|c| c.pattern));
            }
            dropped.retain(|p| {
                !target
                    .claims
                    .values()
                    .any(|c| c.pattern.as_ref() == Some(p))
            });
            dropped
        })?;
        for p in dropped {
            self.backend.unindex(&p, &id)?;
        }
        Ok(())
    }

    /// The patterns of `id`'s current claims.
    fn claim_patterns(&self, id: &str) -> Result<BTreeSet<String>, B::Error> {
        Ok(self
            .backend
            .target(id)?
            .map(|t| {
                t.claims
                    .values()
                    .filter_map(|c| c.pattern.as_deref().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Apply `change` to the evidence about `id` (a claim of it with `pattern`, or a
    /// report), keeping the tally: the contributions of every group the change can
    /// alter are taken away before and added back after.
    fn tallied(
        &mut self,
        id: &str,
        pattern: Option<&str>,
        change: impl FnOnce(&mut Self) -> Result<(), B::Error>,
    ) -> Result<(), B::Error> {
        if self.tally.is_none() {
            return change(self);
        }
        let mut keys: Vec<GroupKey> = self
            .claim_patterns(id)?
            .into_iter()
            .chain(pattern.map(str::to_owned))
            .map(GroupKey::Pattern)
            .collect();
        keys.push(GroupKey::Single(id.to_owned()));
        keys.sort_unstable();
        keys.dedup();
        let before = self.contributions(&keys)?;
        let changed = change(self);
        // Counted after a failed change too: the tally follows what the backend holds.
        let after = self.contributions(&keys)?;
        if let Some(tally) = self.tally.as_mut() {
            for sides in &before {
                tally.apply(sides, false);
            }
            for sides in &after {
                tally.apply(sides, true);
            }
        }
        changed
    }

    /// The sides of the groups named (those without publishers left out).
    fn contributions(&self, keys: &[GroupKey]) -> Result<Vec<Sides>, B::Error> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            match key {
                GroupKey::Pattern(p) => {
                    let mut targets = Vec::new();
                    for id in self.backend.pattern_ids(p, usize::MAX)? {
                        if let Some(t) = self.backend.target(&id)? {
                            targets.push(t);
                        }
                    }
                    out.extend(Sides::of(targets.iter().map(|t| &**t)));
                }
                GroupKey::Single(id) => {
                    if let Some(t) = self.backend.target(id)? {
                        if !has_pattern(&t) {
                            out.extend(Sides::of([&*t]));
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// The ids that corroborate `id` (the same indicator pattern), `id` included, in
    /// order.
    fn same_claim_ids<'a>(&'a self, id: &'a str) -> Result<Vec<Cow<'a, str>>, B::Error> {
        let mut out = vec![Cow::Borrowed(id)];
        let pattern = self
            .backend
            .target(id)?
            .and_then(|t| t.claims.values().find_map(|c| c.pattern.clone()));
        if let Some(p) = pattern {
            out.extend(self.backend.pattern_ids(&p, usize::MAX)?);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The ids that corroborate `id` (the same indicator pattern), `id` included.
    pub fn try_same_claim(&self, id: &str) -> Result<BTreeSet<String>, B::Error> {
        Ok(self
            .same_claim_ids(id)?
            .into_iter()
            .map(Cow::into_owned)
            .collect())
    }

    /// The targets of `id`'s group ([`EvidenceSet::try_same_claim`]), in id order.
    pub fn try_same_claim_targets(&self, id: &str) -> Result<Vec<Cow<'_, Target>>, B::Error> {
        let mut out = Vec::new();
        for g in self.same_claim_ids(id)? {
            if let Some(t) = self.backend.target(&g)? {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// The outcome counts of the trust computation: for each ordered pair of nodes
    /// `(i, x)`, on how many things they agreed and disagreed.
    ///
    /// A thing is a group of claims: the ids indexed under one indicator pattern (the
    /// ids one of whose current claims has it), or a single id none of whose claims has
    /// a pattern. For each group, the nodes that said it is true (its publishers and the
    /// reporters that confirmed it) and those that said it is false (the refuters) rate
    /// each other: two nodes on the same side agree, on opposite sides disagree. A
    /// confirmation is itself a claim, so a node that confirms something later refuted
    /// is charged like its publisher; a publisher whose claim is confirmed gains. A
    /// publisher does not mark down the refuters of its own claim (no one is judge in
    /// their own cause). A node on both sides of one thing counts on neither; nodes never
    /// rate themselves; groups nobody published are not rated.
    ///
    /// A tallying set answers from its tally; otherwise everything is counted
    /// ([`EvidenceSet::try_count_outcomes`]). The result is compact ([`Outcomes`]): the
    /// nodes numbered, one small record per pair.
    pub fn try_outcomes(&self) -> Result<Outcomes, B::Error> {
        match &self.tally {
            Some(tally) => Ok(tally.outcomes()),
            None => self.try_count_outcomes(),
        }
    }

    /// The outcome counts, counted over everything held ([`EvidenceSet::try_outcomes`]).
    pub fn try_count_outcomes(&self) -> Result<Outcomes, B::Error> {
        let mut nodes: BTreeSet<PublicKey> = BTreeSet::new();
        self.backend.visit_targets(&mut |_, t| {
            nodes.extend(
                t.claims
                    .keys()
                    .chain(t.confirmations.keys())
                    .chain(t.refutations.keys())
                    .copied(),
            );
            Ok(())
        })?;
        let mut builder = Builder::new(nodes.into_iter().collect());
        let group = |builder: &mut Builder, targets: &[&Target]| {
            builder.group(
                targets
                    .iter()
                    .flat_map(|t| t.claims.keys().chain(t.confirmations.keys())),
                targets.iter().flat_map(|t| t.refutations.keys()),
                targets.iter().flat_map(|t| t.claims.keys()),
            );
        };
        self.backend.visit_patterns(&mut |ids| {
            let mut held = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(t) = self.backend.target(id)? {
                    held.push(t);
                }
            }
            let targets: Vec<&Target> = held.iter().map(|t| &**t).collect();
            group(&mut builder, &targets);
            Ok(())
        })?;
        self.backend.visit_targets(&mut |_, t| {
            if !has_pattern(t) {
                group(&mut builder, &[t]);
            }
            Ok(())
        })?;
        Ok(builder.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
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
        assert_eq!(forward.backend().targets, backward.backend().targets);
        let a = &forward.backend().targets["indicator--a"];
        assert_eq!(a.confirmations.len(), 2);
        assert_eq!(a.confirmations.get(&key(2)).map(|r| r.at), Some(120));
        let outcomes = forward.outcomes();
        // key(2) confirmed, key(3) corroborated by claiming the same pattern, key(4)
        // refuted; key(1) rating its own claim does not count.
        assert_eq!(outcomes.get(&key(2), &key(1)), Some((1, 0)));
        assert_eq!(outcomes.get(&key(3), &key(1)), Some((1, 0)));
        assert_eq!(outcomes.get(&key(1), &key(3)), Some((1, 0)));
        assert_eq!(outcomes.get(&key(4), &key(1)), Some((0, 1)));
        // The refuter and the confirmer disagree, both ways: confirming something later
        // refuted costs the confirmer too.
        assert_eq!(outcomes.get(&key(4), &key(2)), Some((0, 1)));
        assert_eq!(outcomes.get(&key(2), &key(4)), Some((0, 1)));
        // The publishers do not mark down the refuter of their claim.
        assert_eq!(outcomes.get(&key(1), &key(4)), None);
        assert_eq!(outcomes.get(&key(3), &key(4)), None);
        assert_eq!(outcomes.get(&key(2), &key(3)), Some((1, 0)));
        assert_eq!(outcomes.get(&key(1), &key(1)), None);
        assert_eq!(outcomes, backward.outcomes());
    }

    /// The outcome counts as first written, over ordered maps and sets: a group per
    /// pattern (its indexed ids) and per id none of whose claims has a pattern.
    fn reference(set: &EvidenceSet) -> BTreeMap<(PublicKey, PublicKey), (u64, u64)> {
        let memory = set.backend();
        let mut groups: Vec<BTreeSet<String>> = memory
            .patterns
            .values()
            .map(|ids| ids.iter().map(|id| id.to_string()).collect())
            .collect();
        for (id, t) in &memory.targets {
            if t.claims.values().all(|c| c.pattern.is_none()) {
                groups.push(BTreeSet::from([id.to_string()]));
            }
        }
        let mut out: BTreeMap<(PublicKey, PublicKey), (u64, u64)> = BTreeMap::new();
        for group in groups {
            let mut yes: BTreeSet<PublicKey> = BTreeSet::new();
            let mut no: BTreeSet<PublicKey> = BTreeSet::new();
            let mut publishers: BTreeSet<PublicKey> = BTreeSet::new();
            for id in &group {
                if let Some(t) = memory.targets.get(id.as_str()) {
                    publishers.extend(t.claims.keys().copied());
                    yes.extend(t.claims.keys().copied());
                    yes.extend(t.confirmations.keys().copied());
                    no.extend(t.refutations.keys().copied());
                }
            }
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

    /// The pattern index is exact: an id is under a pattern while one of its current
    /// claims has it.
    fn index_is_exact(set: &EvidenceSet) -> bool {
        let memory = set.backend();
        let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (id, t) in &memory.targets {
            for p in t.claims.values().filter_map(|c| c.pattern.as_deref()) {
                expected
                    .entry(p.to_owned())
                    .or_default()
                    .insert(id.to_string());
            }
        }
        let actual: BTreeMap<String, BTreeSet<String>> = memory
            .patterns
            .iter()
            .map(|(p, ids)| (p.to_string(), ids.iter().map(|i| i.to_string()).collect()))
            .collect();
        expected == actual
    }

    /// A random statement about a few ids and patterns (so that ids share patterns, and
    /// one id is claimed with different patterns by different publishers).
    fn statement() -> impl Strategy<Value = (u8, u64, u64, Statement)> {
        let id = (0u8..6).prop_map(|i| format!("indicator--{i}"));
        let ids = proptest::collection::vec(id.clone(), 1..3);
        let claim =
            (id, proptest::option::of(0u8..4), any::<bool>()).prop_map(|(id, pattern, revoked)| {
                Statement::Claim(Claim {
                    id,
                    object_type: "indicator".into(),
                    pattern: pattern.map(|p| format!("[ipv4-addr:value = '10.0.0.{p}']")),
                    confidence: None,
                    revoked,
                    observable: Some("ipv4-addr".into()),
                })
            });
        let what = prop_oneof![
            claim,
            ids.clone().prop_map(Statement::Confirms),
            ids.prop_map(Statement::Refutes),
        ];
        (0u8..7, 0u64..6, 0u64..1000, what)
    }

    proptest! {
        #[test]
        fn outcomes_match_the_reference_whatever_the_order(
            statements in proptest::collection::vec(statement(), 0..40),
        ) {
            // One statement per ledger entry (two different ones would be an
            // equivocation: the first to arrive is kept).
            let mut entries = BTreeSet::new();
            let statements: Vec<_> = statements
                .into_iter()
                .filter(|(k, i, _, _)| entries.insert((*k, *i)))
                .collect();
            let mut forward = EvidenceSet::new();
            for (k, i, at, s) in statements.clone() {
                forward.add_statement(key(k), i, at, s);
            }
            let mut backward = EvidenceSet::new();
            let mut tallied = EvidenceSet::with_backend(Memory::default());
            for (k, i, at, s) in statements.into_iter().rev() {
                backward.add_statement(key(k), i, at, s.clone());
                let Ok(()) = tallied.try_add_statement(key(k), i, at, s);
            }
            let outcomes = forward.outcomes();
            prop_assert_eq!(outcomes.to_map(), reference(&forward));
            prop_assert!(index_is_exact(&forward));
            // Tallied as statements arrive, in the other order: the same counts.
            prop_assert_eq!(&tallied.outcomes(), &outcomes);
            prop_assert_eq!(&tallied.backend().targets, &forward.backend().targets);
            prop_assert_eq!(outcomes.len(), outcomes.to_map().len());
            let mut named: Vec<PublicKey> = outcomes
                .to_map()
                .keys()
                .flat_map(|(r, p)| [*r, *p])
                .collect();
            named.sort_unstable();
            named.dedup();
            prop_assert_eq!(outcomes.nodes(), &named[..]);
            prop_assert_eq!(&forward.backend().targets, &backward.backend().targets);
            prop_assert_eq!(&outcomes, &backward.outcomes());
        }

        #[test]
        fn seen_ranges_behave_like_a_set(
            indices in proptest::collection::vec((0u8..3, prop_oneof![0u64..40, Just(u64::MAX), Just(u64::MAX - 1), Just(0)]), 0..200),
        ) {
            let mut seen = Seen::default();
            let mut set: BTreeSet<(u8, u64)> = BTreeSet::new();
            for (k, i) in indices {
                prop_assert_eq!(seen.contains(&key(k), i), set.contains(&(k, i)));
                prop_assert_eq!(seen.insert(key(k), i), set.insert((k, i)));
                prop_assert_eq!(seen.count, set.len());
            }
            // Ranges are maximal and disjoint: the same indices give the same ranges.
            let mut again = Seen::default();
            for (k, i) in &set {
                again.insert(key(*k), *i);
            }
            prop_assert_eq!(&seen, &again);
            for ranges in seen.ranges.values() {
                let v: Vec<(u64, u64)> = ranges.iter().map(|(a, b)| (*a, *b)).collect();
                for w in v.windows(2) {
                    if let [(_, last), (first, _)] = w {
                        prop_assert!(last.saturating_add(1) < *first);
                    }
                }
            }
        }
    }

    /// A revocation retires the claim whichever copy arrives first.
    #[test]
    fn a_revocation_sticks_in_either_order() {
        let claim = |revoked| {
            Statement::Claim(Claim {
                id: "indicator--r".into(),
                object_type: "indicator".into(),
                pattern: None,
                confidence: None,
                revoked,
                observable: Some("ipv4-addr".into()),
            })
        };
        for order in [[(0, true), (1, false)], [(1, false), (0, true)]] {
            let mut set = EvidenceSet::new();
            for (index, revoked) in order {
                set.add_statement(key(2), index, 10 * index, claim(revoked));
            }
            let record = set
                .backend()
                .targets
                .get("indicator--r")
                .and_then(|t| t.claims.get(&key(2)));
            assert_eq!(record.map(|r| (r.ledger_index, r.revoked)), Some((1, true)));
        }
    }

    #[test]
    fn standard_type_names_are_not_allocated() {
        assert!(STIX_TYPES.windows(2).all(|w| w[0] < w[1]), "sorted");
        assert!(matches!(
            type_name("ipv4-addr".into()),
            Cow::Borrowed("ipv4-addr")
        ));
        assert!(matches!(type_name("x-custom".into()), Cow::Owned(s) if s == "x-custom"));
    }
}
