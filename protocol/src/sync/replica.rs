//! [`Replica`]: the anti-entropy state of one publisher's ledger — the verified prefix as a
//! compact range, the best known checkpoint and the unverified leaf hashes above it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use shoal_crypto::hash::Hash;
use shoal_crypto::merkle::{CompactRange, StoredNode};
use shoal_crypto::PublicKey;

use super::{ranges, SyncError, MAX_RANGES};

/// Default bound on how far above the verified size a leaf may be held.
pub const DEFAULT_MAX_AHEAD: u64 = 1_000_000;

/// A checkpoint of the publisher's ledger: tree size, root hash and the signed-note text
/// it came in (already verified by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHead {
    /// Number of leaves.
    pub size: u64,
    /// RFC 9162 root of the first `size` leaves.
    pub root: Hash,
    /// The C2SP signed-note text of the checkpoint.
    pub note: String,
}

/// Where an unverified leaf hash came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source<P> {
    /// From a full envelope whose publisher signature verified: authentic as the
    /// publisher's statement.
    Signed,
    /// A bare hash served by this peer: unauthenticated until the root check.
    Peer(P),
}

/// An unverified leaf at an index at or above the verified size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending<P> {
    /// The leaf hash.
    pub hash: Hash,
    /// Its provenance.
    pub source: Source<P>,
}

/// Two signed checkpoints of the same size with different roots: the publisher forked its
/// ledger. Both notes are kept so a proof can be built from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivocation {
    /// The checkpoint held (the target).
    pub known: TreeHead,
    /// The conflicting checkpoint just observed.
    pub conflicting: TreeHead,
}

/// What [`Replica::observe_checkpoint`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observe {
    /// The checkpoint is newer (larger) than the target and is the new target.
    Updated,
    /// Not newer: the same checkpoint again, or a smaller one (checking older
    /// checkpoints needs consistency proofs, which this state machine does not hold).
    Ignored,
    /// Same size as the target, different root.
    Equivocation(Box<Equivocation>),
    /// Same size as the verified prefix (with no target of that size to compare notes
    /// with), but a root different from the verified one.
    ContradictsVerified {
        /// The verified size.
        size: u64,
    },
}

impl Observe {
    /// Whether the checkpoint became the new target.
    pub fn is_newer(&self) -> bool {
        matches!(self, Self::Updated)
    }
}

/// Leaf conflicts [`Replica::insert`] detects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict<P> {
    /// Two different publisher-signed leaves at one index: the publisher equivocated.
    /// The first one is kept.
    Equivocation {
        /// The ledger index.
        index: u64,
        /// The hash held.
        kept: Hash,
        /// The other signed hash.
        other: Hash,
    },
    /// A signed leaf replaced a different bare hash that `offender` had served.
    PeerOverruled {
        /// The ledger index.
        index: u64,
        /// The peer that served the wrong hash.
        offender: P,
    },
    /// `offender` served a bare hash that differs from the signed leaf held; it was
    /// discarded.
    PeerContradicted {
        /// The ledger index.
        index: u64,
        /// The peer that served the wrong hash.
        offender: P,
    },
    /// Two peers served different bare hashes; the first is kept until the root check
    /// decides (and names its peer if it was wrong).
    Disputed {
        /// The ledger index.
        index: u64,
        /// The peer whose hash is kept.
        kept_from: P,
        /// The peer whose hash was discarded.
        rejected_from: P,
    },
}

/// What [`Replica::insert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insert<P> {
    /// A leaf hash not held before.
    New,
    /// The same hash was already held (a signed copy upgrades a peer-served one).
    Duplicate,
    /// The index is below the verified size: nothing to do (old hashes are in the
    /// caller's store, not here).
    BelowVerified,
    /// The index is `max_ahead` or more above the verified size: refused to bound memory.
    TooFarAhead,
    /// A different hash was held at the index.
    Conflict(Conflict<P>),
}

/// What [`Replica::try_advance`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advance<P> {
    /// No target, or the verified prefix already reaches it.
    UpToDate,
    /// Some leaf of `[verified size, target size)` is still missing.
    NotReady,
    /// The leaves reproduce the target root: the verified prefix grew to `to`.
    Advanced {
        /// Old verified size.
        from: u64,
        /// New verified size (the target size).
        to: u64,
        /// The new compact range hashes (to persist for [`Replica::restore`]).
        hashes: Vec<Hash>,
        /// Every perfect subtree the new leaves completed, leaves (level 0) included,
        /// in append order: what a store needs to serve hashes and proofs.
        nodes: Vec<StoredNode>,
    },
    /// The leaves do not reproduce the target root. Every peer-served hash of the range
    /// was dropped (to be fetched again); `offenders` are the peers that served them — at
    /// least one of them served a wrong hash (all of them, if only one is named).
    ///
    /// The range checked is `[verified_size(), target().size)`, both unchanged. Pass it
    /// with the offenders to [`SyncPlanner::on_mismatch`](super::SyncPlanner::on_mismatch),
    /// which isolates sources when several peers are named.
    Mismatch {
        /// The peers whose hashes were dropped.
        offenders: BTreeSet<P>,
    },
    /// Every leaf of the range is publisher-signed, yet they do not reproduce the
    /// publisher's own checkpoint root: the publisher is inconsistent. Nothing is dropped.
    Inconsistent {
        /// The target size.
        size: u64,
        /// The target root.
        expected: Hash,
        /// The root the signed leaves give.
        computed: Hash,
    },
}

/// The anti-entropy replica of one publisher's ledger (sans-IO). `P` tags peers.
///
/// Leaves `[0, verified_size)` are proven against a checkpoint and summarised by a compact
/// range (O(log n) memory). Leaf hashes at or above the verified size wait in `pending`
/// (at most `max_ahead` of them) until they cover the target checkpoint, whose root then
/// decides whether they are committed.
///
/// Only the target can be verified against: if the publisher grows by `max_ahead` leaves
/// or more between the checkpoints this replica sees, it cannot catch up.
#[derive(Debug, Clone)]
pub struct Replica<P> {
    publisher: PublicKey,
    verified: CompactRange,
    target: Option<TreeHead>,
    pending: BTreeMap<u64, Pending<P>>,
    max_ahead: u64,
}

impl<P: Clone + Ord + Debug> Replica<P> {
    /// An empty replica (nothing verified, no target).
    pub fn new(publisher: PublicKey) -> Self {
        Self {
            publisher,
            verified: CompactRange::new(),
            target: None,
            pending: BTreeMap::new(),
            max_ahead: DEFAULT_MAX_AHEAD,
        }
    }

    /// Reload from a store: the verified size, its compact range hashes (one per set bit
    /// of the size, largest subtree first) and the target checkpoint, if any.
    ///
    /// Fails if the hash count does not fit the size, or the target is smaller than the
    /// verified size, or of equal size with a different root.
    pub fn restore(
        publisher: PublicKey,
        verified_size: u64,
        hashes: &[Hash],
        target: Option<TreeHead>,
    ) -> Result<Self, SyncError> {
        let verified = compact_range(verified_size, hashes)?;
        if let Some(t) = &target {
            if t.size < verified_size {
                return Err(SyncError::TargetBehind {
                    target: t.size,
                    verified: verified_size,
                });
            }
            if t.size == verified_size && t.root != verified.root() {
                return Err(SyncError::TargetRootMismatch { size: t.size });
            }
        }
        Ok(Self {
            publisher,
            verified,
            target,
            pending: BTreeMap::new(),
            max_ahead: DEFAULT_MAX_AHEAD,
        })
    }

    /// Set the bound on how far above the verified size leaves are held (at least 1).
    #[must_use]
    pub fn with_max_ahead(mut self, max_ahead: u64) -> Self {
        self.max_ahead = max_ahead.max(1);
        self
    }

    /// The publisher.
    pub fn publisher(&self) -> PublicKey {
        self.publisher
    }

    /// The verified prefix.
    pub fn verified(&self) -> &CompactRange {
        &self.verified
    }

    /// Number of verified leaves.
    pub fn verified_size(&self) -> u64 {
        self.verified.size()
    }

    /// The best known checkpoint.
    pub fn target(&self) -> Option<&TreeHead> {
        self.target.as_ref()
    }

    /// The unverified leaves, by index.
    pub fn pending(&self) -> &BTreeMap<u64, Pending<P>> {
        &self.pending
    }

    /// The bound on how far above the verified size leaves are held.
    pub fn max_ahead(&self) -> u64 {
        self.max_ahead
    }

    /// Whether the verified prefix reaches the target (or there is none).
    pub fn is_synced(&self) -> bool {
        self.target
            .as_ref()
            .is_none_or(|t| t.size <= self.verified.size())
    }

    /// Take note of a (signature-checked) checkpoint of this publisher.
    pub fn observe_checkpoint(&mut self, size: u64, root: Hash, note: String) -> Observe {
        if let Some(target) = &self.target {
            if size < target.size {
                return Observe::Ignored;
            }
            if size == target.size {
                if root == target.root {
                    return Observe::Ignored;
                }
                return Observe::Equivocation(Box::new(Equivocation {
                    known: target.clone(),
                    conflicting: TreeHead { size, root, note },
                }));
            }
        } else {
            let verified = self.verified.size();
            if size < verified {
                return Observe::Ignored;
            }
            if size == verified && root != self.verified.root() {
                return Observe::ContradictsVerified { size };
            }
        }
        self.target = Some(TreeHead { size, root, note });
        Observe::Updated
    }

    /// Record the leaf hash at `index`.
    pub fn insert(&mut self, index: u64, hash: Hash, source: Source<P>) -> Insert<P> {
        let verified = self.verified.size();
        if index < verified {
            return Insert::BelowVerified;
        }
        if index >= verified.saturating_add(self.max_ahead) {
            return Insert::TooFarAhead;
        }
        let Some(held) = self.pending.get_mut(&index) else {
            self.pending.insert(index, Pending { hash, source });
            return Insert::New;
        };
        if held.hash == hash {
            if source == Source::Signed {
                held.source = Source::Signed;
            }
            return Insert::Duplicate;
        }
        let conflict = match (&held.source, source) {
            (Source::Signed, Source::Signed) => Conflict::Equivocation {
                index,
                kept: held.hash,
                other: hash,
            },
            (Source::Signed, Source::Peer(offender)) => {
                Conflict::PeerContradicted { index, offender }
            }
            (Source::Peer(offender), Source::Signed) => {
                let offender = offender.clone();
                *held = Pending {
                    hash,
                    source: Source::Signed,
                };
                Conflict::PeerOverruled { index, offender }
            }
            (Source::Peer(kept_from), Source::Peer(rejected_from)) => Conflict::Disputed {
                index,
                kept_from: kept_from.clone(),
                rejected_from,
            },
        };
        Insert::Conflict(conflict)
    }

    /// The holes of `[verified size, target size)` not covered by pending leaves, in
    /// order, at most `max_leaves` leaves and [`MAX_RANGES`] ranges in total (and never
    /// reaching `max_ahead` above the verified size, where inserts would be refused).
    pub fn missing(&self, max_leaves: u64) -> Vec<(u64, u64)> {
        let Some(target) = &self.target else {
            return Vec::new();
        };
        let from = self.verified.size();
        let to = target.size.min(from.saturating_add(self.max_ahead));
        let held = self.pending.range(from..to).map(|(index, _)| *index);
        ranges::holes(from, to, held, max_leaves, MAX_RANGES)
    }

    /// Verify the pending leaves against the target and commit them if they match.
    pub fn try_advance(&mut self) -> Advance<P> {
        let from = self.verified.size();
        let Some(target) = self.target.as_ref().filter(|t| t.size > from) else {
            return Advance::UpToDate;
        };
        let to = target.size;
        // The range must be covered contiguously; the map is keyed by index, so checking
        // that the keys run without gaps from `from` up to `to` suffices.
        let mut expected = from;
        for index in self.pending.range(from..to).map(|(index, _)| *index) {
            if index != expected {
                return Advance::NotReady;
            }
            expected = expected.saturating_add(1);
        }
        if expected != to {
            return Advance::NotReady;
        }
        let mut extended = self.verified.clone();
        let mut nodes = Vec::new();
        for pending in self.pending.range(from..to).map(|(_, p)| p) {
            nodes.extend(extended.append(pending.hash));
        }
        let computed = extended.root();
        if computed == target.root {
            let hashes = extended.hashes().to_vec();
            self.verified = extended;
            self.pending = self.pending.split_off(&to);
            return Advance::Advanced {
                from,
                to,
                hashes,
                nodes,
            };
        }
        let offenders: BTreeSet<P> = self
            .pending
            .range(from..to)
            .filter_map(|(_, p)| match &p.source {
                Source::Peer(peer) => Some(peer.clone()),
                Source::Signed => None,
            })
            .collect();
        if offenders.is_empty() {
            return Advance::Inconsistent {
                size: to,
                expected: target.root,
                computed,
            };
        }
        self.pending.retain(|index, p| {
            !(*index >= from && *index < to && matches!(p.source, Source::Peer(_)))
        });
        Advance::Mismatch { offenders }
    }
}

/// Rebuild a compact range from its size and hashes (largest subtree first).
fn compact_range(size: u64, hashes: &[Hash]) -> Result<CompactRange, SyncError> {
    CompactRange::from_parts(size, hashes.to_vec()).ok_or(SyncError::CompactRangeShape {
        size,
        hashes: hashes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_crypto::hash::leaf_hash;
    use shoal_crypto::MemoryTree;

    #[test]
    fn compact_range_round_trips_through_hashes() {
        let mut tree = MemoryTree::new();
        for i in 0u32..40 {
            let range = tree.compact_range();
            let rebuilt = compact_range(range.size(), range.hashes()).unwrap();
            assert_eq!(&rebuilt, range);
            tree.append(leaf_hash(&i.to_be_bytes()));
        }
    }

    #[test]
    fn compact_range_rejects_wrong_hash_count() {
        assert_eq!(
            compact_range(5, &[[0; 32]]),
            Err(SyncError::CompactRangeShape { size: 5, hashes: 1 })
        );
    }
}
