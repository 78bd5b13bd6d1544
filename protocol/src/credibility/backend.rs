//! Where an evidence set keeps what it knows: the [`Backend`] trait, and [`Memory`],
//! ordered maps in memory (the simulator, tests, tools).
//!
//! An [`super::evidence::EvidenceSet`] holds one [`Target`] per STIX id and an index of
//! indicator patterns to the ids claiming them; that is one entry per item held, so a
//! node that must run for months keeps them on disk behind a bounded cache instead (the
//! node's store implements this trait). The set's logic is the same over either.
//!
//! Most targets are **lone**: one claim, no reports, a pattern no other id claims. A lone
//! target is in no group with another and has one node on its side, so it adds nothing
//! to the outcome counts; the set [`Backend::link`]s every target that is not lone, and
//! the outcome counts visit only the linked ones ([`Backend::visit_linked`]), so their
//! cost follows the evidence that relates nodes, not the items held.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;

use super::evidence::Target;
use super::vecmap::SortedVecSet;

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

    /// Note that `id`'s target is not lone (see the module docs).
    fn link(&mut self, id: &str) -> Result<(), Self::Error>;

    /// Call `visit` with every linked id, in order. A backend may also visit ids it was
    /// never asked to link (lone targets add nothing to the counts).
    fn visit_linked(
        &self,
        visit: &mut dyn FnMut(&str) -> Result<(), Self::Error>,
    ) -> Result<(), Self::Error>;
}

/// Everything in ordered maps in memory. Ids and patterns are shared (`Arc<str>`)
/// between the maps that name them. It visits every id as linked: scanning memory is
/// cheap, and it keeps no second index.
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

    fn link(&mut self, _id: &str) -> Result<(), Infallible> {
        Ok(())
    }

    fn visit_linked(
        &self,
        visit: &mut dyn FnMut(&str) -> Result<(), Infallible>,
    ) -> Result<(), Infallible> {
        for id in self.targets.keys() {
            visit(id)?;
        }
        Ok(())
    }
}
