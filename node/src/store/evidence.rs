//! The credibility evidence on disk: a `protocol::credibility::Backend` over the
//! store's `evidence` tree, so that a node's memory does not grow with the items it
//! holds (sled's page cache, bounded by `store.cache_mb`, holds the hot part).
//!
//! Key layout of the `evidence` tree (ids and patterns as UTF-8, so the keys sort as the
//! in-memory maps do):
//! - `t` ‖ id → the target (`Target::encode`)
//! - `p` ‖ be32(pattern length) ‖ pattern ‖ id → empty: one of `id`'s claims has the
//!   pattern
//!
//! The set over it tallies the outcome counts as statements arrive
//! (`protocol::credibility::tally`), so nothing scans the tree while the node runs.
//!
//! The tree is derived data: [`super::Store::fresh_evidence`] empties it and the
//! credibility service rebuilds it from the envelopes held at every start, so it is
//! never flushed on its own and a crash between an envelope and its evidence loses
//! nothing.

use std::borrow::Cow;
use std::sync::Arc;

use shoal_protocol::credibility::backend::{PatternVisitor, TargetVisitor};
use shoal_protocol::credibility::evidence::Target;
use shoal_protocol::credibility::Backend;

use super::StoreError;

const TARGET: u8 = b't';
const PATTERN: u8 = b'p';

/// The evidence tree (see the module docs).
#[derive(Clone)]
pub struct Evidence {
    tree: sled::Tree,
}

impl std::fmt::Debug for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evidence").finish_non_exhaustive()
    }
}

fn key(prefix: u8, id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len().saturating_add(1));
    k.push(prefix);
    k.extend_from_slice(id.as_bytes());
    k
}

/// `p` ‖ be32(length) ‖ pattern: the prefix of the pattern's ids.
fn pattern_prefix(pattern: &str) -> Vec<u8> {
    let len = u32::try_from(pattern.len()).unwrap_or(u32::MAX);
    let mut k = Vec::with_capacity(pattern.len().saturating_add(5));
    k.push(PATTERN);
    k.extend_from_slice(&len.to_be_bytes());
    k.extend_from_slice(pattern.as_bytes());
    k
}

fn text(bytes: &[u8], what: &str) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| StoreError::Corrupt(format!("evidence {what} key is not UTF-8")))
}

impl Evidence {
    /// The evidence in `tree`.
    pub(super) fn new(tree: sled::Tree) -> Self {
        Self { tree }
    }
}

impl Backend for Evidence {
    type Error = StoreError;

    fn target(&self, id: &str) -> Result<Option<Cow<'_, Target>>, StoreError> {
        match self.tree.get(key(TARGET, id))? {
            None => Ok(None),
            Some(v) => Target::decode(&v)
                .map(|t| Some(Cow::Owned(t)))
                .map_err(|e| StoreError::Corrupt(format!("evidence of {id}: {e}"))),
        }
    }

    fn update<R>(&mut self, id: &str, f: impl FnOnce(&mut Target) -> R) -> Result<R, StoreError> {
        let mut target = self.target(id)?.map(Cow::into_owned).unwrap_or_default();
        let out = f(&mut target);
        self.tree.insert(key(TARGET, id), target.encode())?;
        Ok(out)
    }

    fn index(&mut self, pattern: String, id: &str) -> Result<Arc<str>, StoreError> {
        let mut k = pattern_prefix(&pattern);
        k.extend_from_slice(id.as_bytes());
        if !self.tree.contains_key(&k)? {
            self.tree.insert(k, &[][..])?;
        }
        Ok(Arc::from(pattern))
    }

    fn pattern_ids(&self, pattern: &str, limit: usize) -> Result<Vec<Cow<'_, str>>, StoreError> {
        let prefix = pattern_prefix(pattern);
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(&prefix).take(limit) {
            let (k, _) = kv?;
            let id = k.get(prefix.len()..).unwrap_or_default();
            out.push(Cow::Owned(text(id, "pattern")?));
        }
        Ok(out)
    }

    fn unindex(&mut self, pattern: &str, id: &str) -> Result<(), StoreError> {
        let mut k = pattern_prefix(pattern);
        k.extend_from_slice(id.as_bytes());
        self.tree.remove(k)?;
        Ok(())
    }

    fn visit_targets(&self, visit: &mut TargetVisitor<'_, StoreError>) -> Result<(), StoreError> {
        for kv in self.tree.scan_prefix([TARGET]) {
            let (k, v) = kv?;
            let id = text(k.get(1..).unwrap_or_default(), "target")?;
            let target = Target::decode(&v)
                .map_err(|e| StoreError::Corrupt(format!("evidence of {id}: {e}")))?;
            visit(&id, &target)?;
        }
        Ok(())
    }

    fn visit_patterns(&self, visit: &mut PatternVisitor<'_, StoreError>) -> Result<(), StoreError> {
        // Keys sort by pattern length, then pattern, then id: each pattern's ids are
        // consecutive.
        let mut current: Option<Vec<u8>> = None;
        let mut ids: Vec<Cow<'_, str>> = Vec::new();
        for kv in self.tree.scan_prefix([PATTERN]) {
            let (k, _) = kv?;
            let len = k
                .get(1..5)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_be_bytes)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| StoreError::Corrupt("evidence pattern key is cut".into()))?;
            let end = len.saturating_add(5);
            let (Some(prefix), Some(id)) = (k.get(..end), k.get(end..)) else {
                return Err(StoreError::Corrupt("evidence pattern key is cut".into()));
            };
            if current.as_deref() != Some(prefix) {
                if !ids.is_empty() {
                    visit(&ids)?;
                    ids.clear();
                }
                current = Some(prefix.to_vec());
            }
            ids.push(Cow::Owned(text(id, "pattern")?));
        }
        if !ids.is_empty() {
            visit(&ids)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;
    use shoal_crypto::PublicKey;
    use shoal_protocol::credibility::evidence::{Claim, Statement};
    use shoal_protocol::credibility::{
        explain, try_explain, EvidenceSet, ScoreParams, TrustVector,
    };

    use super::*;
    use crate::store::Store;

    fn key(n: u8) -> PublicKey {
        PublicKey([n; 32])
    }

    fn claim(id: &str, pattern: Option<String>, revoked: bool) -> Statement {
        Statement::Claim(Claim {
            id: id.into(),
            object_type: "indicator".into(),
            pattern,
            confidence: Some(70),
            revoked,
            observable: Some("ipv4-addr".into()),
        })
    }

    /// A random statement about a few ids and patterns, as in the protocol's own
    /// equivalence test: ids share patterns, one id is claimed with different patterns.
    fn statement() -> impl Strategy<Value = (u8, u64, u64, Statement)> {
        let id = (0u8..8).prop_map(|i| format!("indicator--{i}"));
        let ids = proptest::collection::vec(id.clone(), 1..3);
        let claim =
            (id, proptest::option::of(0u8..5), any::<bool>()).prop_map(|(id, pattern, revoked)| {
                claim(
                    &id,
                    pattern.map(|p| format!("[ipv4-addr:value = '10.0.0.{p}']")),
                    revoked,
                )
            });
        let what = prop_oneof![
            3 => claim,
            1 => ids.clone().prop_map(Statement::Confirms),
            1 => ids.prop_map(Statement::Refutes),
        ];
        (0u8..6, 0u64..6, 0u64..1000, what)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The set on disk holds the same targets, tallies the same outcome counts as a
        /// full count (on disk and in memory) and explains every claim the same as the
        /// set in memory.
        #[test]
        fn the_store_backend_matches_the_memory_one(
            statements in proptest::collection::vec(statement(), 0..40),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path(), 4).unwrap();
            let mut disk = EvidenceSet::with_backend(store.fresh_evidence().unwrap());
            let mut memory = EvidenceSet::new();
            let mut entries = BTreeSet::new();
            for (k, i, at, s) in statements {
                if !entries.insert((k, i)) {
                    continue;
                }
                memory.add_statement(key(k), i, at, s.clone());
                disk.try_add_statement(key(k), i, at, s).unwrap();
            }
            for (id, target) in &memory.backend().targets {
                let on_disk = disk.backend().target(id).unwrap();
                prop_assert_eq!(on_disk.as_deref(), Some(target));
                prop_assert_eq!(disk.try_same_claim(id).unwrap(), memory.same_claim(id));
            }
            let outcomes = memory.outcomes();
            prop_assert_eq!(disk.try_outcomes().unwrap(), outcomes.clone());
            prop_assert_eq!(disk.try_count_outcomes().unwrap(), outcomes);
            let trust = TrustVector::default();
            let params = ScoreParams::default();
            let none = BTreeSet::new();
            for (id, target) in &memory.backend().targets {
                for p in target.claims.keys() {
                    let m = explain(&memory, &trust, &none, id, p, 2000, &params);
                    let d = try_explain(&disk, &trust, &none, id, p, 2000, &params).unwrap();
                    prop_assert_eq!(
                        serde_json::to_value(d).unwrap(),
                        serde_json::to_value(m).unwrap()
                    );
                }
            }
        }
    }

    /// The tally answers without reading the tree: a damaged record of an unrelated
    /// target fails a full count, not the tallied one, nor statements about others.
    #[test]
    fn outcomes_come_from_the_tally_not_a_scan() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 4).unwrap();
        let mut set = EvidenceSet::with_backend(store.fresh_evidence().unwrap());
        let pattern = |n: u8| Some(format!("[ipv4-addr:value = '192.0.2.{n}']"));
        for n in 0..50u8 {
            let id = format!("indicator--{n:02}");
            set.try_add_statement(key(1), u64::from(n), 100, claim(&id, pattern(n), false))
                .unwrap();
        }
        set.try_add_statement(key(2), 0, 110, claim("indicator--a", pattern(7), false))
            .unwrap();
        set.try_add_statement(
            key(3),
            0,
            120,
            Statement::Refutes(vec!["indicator--20".into()]),
        )
        .unwrap();
        let outcomes = set.try_outcomes().unwrap();
        assert_eq!(outcomes.get(&key(2), &key(1)), Some((1, 0)));
        assert_eq!(outcomes.get(&key(3), &key(1)), Some((0, 1)));
        assert_eq!(set.try_count_outcomes().unwrap(), outcomes);
        set.backend()
            .tree
            .insert(super::key(TARGET, "indicator--40"), &[9][..])
            .unwrap();
        assert!(matches!(
            set.try_count_outcomes(),
            Err(StoreError::Corrupt(_))
        ));
        set.try_add_statement(
            key(3),
            1,
            130,
            Statement::Confirms(vec!["indicator--07".into()]),
        )
        .unwrap();
        let tallied = set.try_outcomes().unwrap();
        assert_eq!(tallied.get(&key(3), &key(2)), Some((1, 0)));
        // Emptied at the next start.
        let again = store.fresh_evidence().unwrap();
        assert!(again.target("indicator--07").unwrap().is_none());
    }

    #[test]
    fn a_damaged_target_is_a_corrupt_store_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 4).unwrap();
        let evidence = store.fresh_evidence().unwrap();
        evidence
            .tree
            .insert(super::key(TARGET, "indicator--x"), &[1, 0][..])
            .unwrap();
        assert!(matches!(
            evidence.target("indicator--x"),
            Err(StoreError::Corrupt(_))
        ));
    }
}
