//! Where an evidence set keeps what it knows: the [`Backend`] trait, and [`Memory`],
//! ordered maps in memory (the simulator, tests, tools).
//!
//! An [`super::evidence::EvidenceSet`] holds one [`Target`] per STIX id and an index of
//! indicator patterns to the ids claiming them; that is one entry per item held, so a
//! node that must run for months keeps them on disk behind a bounded cache instead (the
//! node's store implements this trait). The set's logic is the same over either.
//!
//! The pattern index is exact: an id is indexed under a pattern while one of its
//! current claims has that pattern. A set over a backend that keeps its targets on disk
//! tallies the outcome counts as statements arrive
//! ([`super::evidence::EvidenceSet::with_backend`]), reading only the groups a
//! statement touches, so nothing ever scans the backend; the visits below serve the
//! full count of a set in memory and the tests that check one against the other.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;

use super::evidence::Target;
use super::vecmap::SortedVecSet;

/// Called with each id and its target ([`Backend::visit_targets`]).
pub type TargetVisitor<'v, E> = dyn FnMut(&str, &Target) -> Result<(), E> + 'v;

/// Called with the ids indexed under one pattern ([`Backend::visit_patterns`]).
pub type PatternVisitor<'v, E> = dyn FnMut(&[Cow<'_, str>]) -> Result<(), E> + 'v;

/// Storage of an evidence set's targets and pattern index.
pub trait Backend {
    /// What a read or a write can fail with.
    type Error;

    /// The target of `id`, if any.
    fn target(&self, id: &str) -> Result<Option<Cow<'_, Target>>, Self::Error>;

    /// Change the target of `id` with `f` (an empty target if it is new); returns what
    /// `f` returns.
    fn update<R>(&mut self, id: &str, f: impl FnOnce(&mut Target) -> R) -> Result<R, Self::Error>;

    /// Index `id` under the indicator pattern `pattern` (a repeat changes nothing);
    /// returns the pattern as claim records keep it.
    fn index(&mut self, pattern: String, id: &str) -> Result<Arc<str>, Self::Error>;

    /// The first `limit` ids indexed under `pattern`, in order.
    fn pattern_ids(&self, pattern: &str, limit: usize) -> Result<Vec<Cow<'_, str>>, Self::Error>;

    /// Remove `id` from the ids indexed under `pattern` (absent: nothing changes).
    fn unindex(&mut self, pattern: &str, id: &str) -> Result<(), Self::Error>;

    /// Call `visit` with every id and its target, in id order.
    fn visit_targets(&self, visit: &mut TargetVisitor<'_, Self::Error>) -> Result<(), Self::Error>;

    /// Call `visit` with the ids indexed under each pattern, in pattern order.
    fn visit_patterns(
        &self,
        visit: &mut PatternVisitor<'_, Self::Error>,
    ) -> Result<(), Self::Error>;
}

/// Everything in ordered maps in memory. Ids and patterns are shared (`Arc<str>`)
/// between the maps that name them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    /// By STIX id.
    pub targets: BTreeMap<Arc<str>, Target>,
    /// Indicator pattern → ids claiming it (the ids shared with [`Memory::targets`]).
    pub patterns: BTreeMap<Arc<str>, SortedVecSet<Arc<str>>>,
}

impl Memory {
    /// The shared key of `id`, its target created empty if new.
    fn key(&mut self, id: &str) -> Arc<str> {
        if let Some((k, _)) = self.targets.get_key_value(id) {
            return Arc::clone(k);
        }
        let key: Arc<str> = Arc::from(id);
        self.targets.insert(Arc::clone(&key), Target::default());
        key
    }
}

impl Backend for Memory {
    type Error = Infallible;

    fn target(&self, id: &str) -> Result<Option<Cow<'_, Target>>, Infallible> {
        Ok(self.targets.get(id).map(Cow::Borrowed))
    }

    fn update<R>(&mut self, id: &str, f: impl FnOnce(&mut Target) -> R) -> Result<R, Infallible> {
        let key = self.key(id);
        Ok(f(self.targets.entry(key).or_default()))
    }

    fn index(&mut self, pattern: String, id: &str) -> Result<Arc<str>, Infallible> {
        let id = self.key(id);
        let pattern = match self.patterns.get_key_value(pattern.as_str()) {
            Some((k, _)) => Arc::clone(k),
            None => Arc::from(pattern),
        };
        self.patterns
            .entry(Arc::clone(&pattern))
            .or_default()
            .insert(id);
        Ok(pattern)
    }

    fn pattern_ids(&self, pattern: &str, limit: usize) -> Result<Vec<Cow<'_, str>>, Infallible> {
        Ok(self
            .patterns
            .get(pattern)
            .map(|ids| {
                ids.iter()
                    .take(limit)
                    .map(|id| Cow::Borrowed(&**id))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn unindex(&mut self, pattern: &str, id: &str) -> Result<(), Infallible> {
        if let Some(ids) = self.patterns.get_mut(pattern) {
            ids.remove(id);
            if ids.is_empty() {
                self.patterns.remove(pattern);
            }
        }
        Ok(())
    }

    fn visit_targets(&self, visit: &mut TargetVisitor<'_, Infallible>) -> Result<(), Infallible> {
        for (id, t) in &self.targets {
            visit(id, t)?;
        }
        Ok(())
    }

    fn visit_patterns(&self, visit: &mut PatternVisitor<'_, Infallible>) -> Result<(), Infallible> {
        for ids in self.patterns.values() {
            let ids: Vec<Cow<'_, str>> = ids.iter().map(|id| Cow::Borrowed(&**id)).collect();
            visit(&ids)?;
        }
        Ok(())
    }
}
