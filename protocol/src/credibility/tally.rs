//! The outcome counts kept up to date as evidence arrives, for evidence sets whose
//! targets live on disk ([`super::evidence::EvidenceSet::with_backend`]).
//!
//! The counts are a sum over groups of claims ([`super::evidence::EvidenceSet::try_outcomes`]
//! says what a group is and what it adds). When a statement changes a target, the set
//! takes the contributions of the groups it can change away ([`Tally::apply`] with
//! `add = false`), applies it, and adds their new contributions back, so the counts
//! always equal a full count over everything held while only the touched groups are
//! read. What is kept in memory is one entry per ordered pair of nodes that rated each
//! other, however many items are held.

use std::collections::{BTreeMap, BTreeSet};

use shoal_crypto::PublicKey;

use super::evidence::Target;
use super::outcomes::Outcomes;

/// The two sides of one group of claims, and its publishers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sides {
    /// Nodes that said it is true (publishers and confirmers), not also refuters.
    pub yes: BTreeSet<PublicKey>,
    /// Nodes that said it is false, not also on the `yes` side.
    pub no: BTreeSet<PublicKey>,
    /// The publishers of the group's claims.
    pub publishers: BTreeSet<PublicKey>,
}

impl Sides {
    /// The sides of a group made of `targets`; `None` if nobody published any of them
    /// (such groups are not rated).
    pub fn of<'a>(targets: impl IntoIterator<Item = &'a Target>) -> Option<Self> {
        let mut yes = BTreeSet::new();
        let mut no = BTreeSet::new();
        let mut publishers = BTreeSet::new();
        for t in targets {
            publishers.extend(t.claims.keys().copied());
            yes.extend(t.claims.keys().chain(t.confirmations.keys()).copied());
            no.extend(t.refutations.keys().copied());
        }
        if publishers.is_empty() {
            return None;
        }
        let both: Vec<PublicKey> = yes.intersection(&no).copied().collect();
        for k in &both {
            yes.remove(k);
            no.remove(k);
        }
        Some(Self {
            yes,
            no,
            publishers,
        })
    }
}

/// `(rater, rated) → (agreed, disagreed)`, kept up to date (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pairs: BTreeMap<(PublicKey, PublicKey), (u64, u64)>,
}

impl Tally {
    /// Add (`add`) or take away one group's contribution: two nodes on the same side
    /// agree, a node on one side disagrees with every node on the other unless it is a
    /// publisher of the group; nodes never rate themselves. Pairs whose counts fall to
    /// zero are dropped.
    pub fn apply(&mut self, sides: &Sides, add: bool) {
        for (side, other) in [(&sides.yes, &sides.no), (&sides.no, &sides.yes)] {
            for i in side {
                for x in side.iter().filter(|x| *x != i) {
                    self.bump(*i, *x, (1, 0), add);
                }
                if sides.publishers.contains(i) {
                    continue;
                }
                for x in other {
                    self.bump(*i, *x, (0, 1), add);
                }
            }
        }
    }

    fn bump(&mut self, rater: PublicKey, rated: PublicKey, by: (u64, u64), add: bool) {
        let e = self.pairs.entry((rater, rated)).or_default();
        if add {
            e.0 = e.0.saturating_add(by.0);
            e.1 = e.1.saturating_add(by.1);
        } else {
            e.0 = e.0.saturating_sub(by.0);
            e.1 = e.1.saturating_sub(by.1);
        }
        if *e == (0, 0) {
            self.pairs.remove(&(rater, rated));
        }
    }

    /// The counts in their compact form.
    pub fn outcomes(&self) -> Outcomes {
        self.pairs.iter().map(|(k, v)| (*k, *v)).collect()
    }
}
