//! The node's replicas of other publishers' logs: one `protocol::sync::Replica` per
//! publisher in memory, mirrored in the store (`store::replicas`). Writes are staged in
//! one batch and applied together ([`Replicas::commit`]); a log's verified state is only
//! written in the same batch as the leaves it covers, so a crash never leaves a verified
//! size pointing at leaves that are not stored.

use std::collections::HashMap;

use libp2p::PeerId;
use shoal_crypto::checkpoint::Checkpoint;
use shoal_crypto::keys::PublicKey;
use shoal_crypto::Hash;
use shoal_protocol::sync::{Advance, Insert, Observe, Replica, Source, TreeHead};

use crate::store::replicas::{Held, LogState, ReplicaBatch};
use crate::store::{Store, StoreError};

/// Peer tag of unauthenticated leaves; `None` for leaves reloaded from the store.
pub type Tag = Option<PeerId>;

/// All replicas.
pub struct Replicas {
    store: Store,
    logs: HashMap<PublicKey, Replica<Tag>>,
    states: HashMap<PublicKey, LogState>,
    batch: ReplicaBatch,
}

fn head_of(note: &str, publisher: &PublicKey) -> Option<TreeHead> {
    if note.is_empty() {
        return None;
    }
    let cp = super::heads::open(publisher, note).ok()?;
    Some(TreeHead {
        size: cp.size,
        root: cp.root,
        note: note.to_string(),
    })
}

impl Replicas {
    /// Reload every replica from the store.
    pub fn load(store: Store) -> Result<Self, StoreError> {
        let mut r = Self {
            store: store.clone(),
            logs: HashMap::new(),
            states: HashMap::new(),
            batch: ReplicaBatch::default(),
        };
        for item in store.log_states() {
            let (publisher, state) = item?;
            let target = head_of(&state.target_note, &publisher);
            let mut rep = match Replica::restore(
                publisher,
                state.verified_size,
                &state.compact,
                target.clone(),
            ) {
                Ok(rep) => rep,
                Err(e) => {
                    tracing::warn!(error = %e, "replica state unusable; resynchronising that log");
                    Replica::new(publisher)
                }
            };
            for held in store.held_from(&publisher, rep.verified_size()) {
                let (idx, held) = held?;
                let source = match held {
                    Held::Full { .. } => Source::Signed,
                    Held::Hash { .. } => Source::Peer(None),
                };
                let _ = rep.insert(idx, held.leaf_hash(), source);
            }
            r.logs.insert(publisher, rep);
            r.states.insert(publisher, state);
        }
        Ok(r)
    }

    fn replica(&mut self, publisher: &PublicKey) -> &mut Replica<Tag> {
        self.logs
            .entry(*publisher)
            .or_insert_with(|| Replica::new(*publisher))
    }

    /// A verified checkpoint of `publisher`.
    pub fn observe(&mut self, publisher: &PublicKey, cp: &Checkpoint, note: &str) -> Observe {
        let out = self
            .replica(publisher)
            .observe_checkpoint(cp.size, cp.root, note.to_string());
        if out.is_newer() {
            let state = self.states.entry(*publisher).or_default();
            state.target_note = note.to_string();
            self.batch.state(publisher, state);
        }
        out
    }

    /// A full, signature-verified envelope at `index`.
    pub fn add_full(
        &mut self,
        publisher: &PublicKey,
        index: u64,
        bytes: &[u8],
        now_ms: u64,
    ) -> Insert<Tag> {
        let hash = shoal_crypto::hash::leaf_hash(bytes);
        let out = self.replica(publisher).insert(index, hash, Source::Signed);
        if matches!(
            out,
            Insert::New | Insert::BelowVerified | Insert::Conflict(_)
        ) {
            // Below the verified size a full copy can still replace a bare hash.
            if !matches!(
                out,
                Insert::Conflict(shoal_protocol::sync::Conflict::Equivocation { .. })
            ) {
                self.batch.leaf(
                    publisher,
                    index,
                    &Held::Full {
                        received_ms: now_ms,
                        bytes: bytes.to_vec(),
                    },
                );
            }
        }
        out
    }

    /// A bare leaf hash at `index` served by `peer`.
    pub fn add_hash(
        &mut self,
        publisher: &PublicKey,
        index: u64,
        hash: Hash,
        peer: PeerId,
        now_ms: u64,
    ) -> Insert<Tag> {
        let out = self
            .replica(publisher)
            .insert(index, hash, Source::Peer(Some(peer)));
        if matches!(out, Insert::New) {
            self.batch.leaf(
                publisher,
                index,
                &Held::Hash {
                    received_ms: now_ms,
                    hash,
                },
            );
        }
        out
    }

    /// Try to move `publisher`'s verified prefix up to its target checkpoint.
    pub fn advance(&mut self, publisher: &PublicKey) -> Result<Advance<Tag>, StoreError> {
        let Some(rep) = self.logs.get_mut(publisher) else {
            return Ok(Advance::UpToDate);
        };
        let out = rep.try_advance();
        match &out {
            Advance::Advanced { to, hashes, .. } => {
                let state = self.states.entry(*publisher).or_default();
                state.verified_size = *to;
                state.compact = hashes.clone();
                state.verified_note = rep.target().map(|t| t.note.clone()).unwrap_or_default();
                self.batch.state(publisher, state);
                if !state.verified_note.is_empty() {
                    let note = state.verified_note.clone();
                    self.batch.history(publisher, *to, &note, hashes);
                }
            }
            Advance::Mismatch { .. } => {
                // Forget stored bare hashes the replica dropped.
                let from = rep.verified_size();
                let keep: std::collections::HashSet<u64> = rep.pending().keys().copied().collect();
                self.commit()?;
                for held in self.store.held_from(publisher, from) {
                    let (idx, held) = held?;
                    if matches!(held, Held::Hash { .. }) && !keep.contains(&idx) {
                        self.batch.remove_leaf(publisher, idx);
                    }
                }
            }
            _ => {}
        }
        Ok(out)
    }

    /// Apply staged writes.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        if self.batch.len == 0 {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        self.store.apply_replicas(batch)
    }

    /// Number of staged writes.
    pub fn staged(&self) -> usize {
        self.batch.len
    }

    /// Missing ranges of every log that is behind its target.
    pub fn needs(&self, max_leaves: u64) -> Vec<(PublicKey, Vec<(u64, u64)>)> {
        self.logs
            .iter()
            .filter(|(_, r)| !r.is_synced())
            .map(|(p, r)| (*p, r.missing(max_leaves)))
            .filter(|(_, m)| !m.is_empty())
            .collect()
    }

    /// Every publisher whose log is replicated here.
    pub fn publishers(&self) -> Vec<PublicKey> {
        self.logs.keys().copied().collect()
    }

    /// The verified checkpoint note of every log (for `Heads` answers).
    pub fn verified_heads(&self) -> Vec<(PublicKey, String)> {
        self.states
            .iter()
            .filter(|(_, s)| !s.verified_note.is_empty())
            .map(|(p, s)| (*p, s.verified_note.clone()))
            .collect()
    }

    /// The checkpoint note proving a log's verified prefix (with any cosignatures).
    pub fn verified_note(&self, publisher: &PublicKey) -> Option<String> {
        self.states
            .get(publisher)
            .map(|s| s.verified_note.clone())
            .filter(|n| !n.is_empty())
    }

    /// Replace the verified note by the same checkpoint with more (co)signatures.
    pub fn set_verified_note(&mut self, publisher: &PublicKey, note: &str) {
        if let Some(state) = self.states.get_mut(publisher) {
            state.verified_note = note.to_string();
            self.batch.state(publisher, state);
        }
    }

    /// (verified size, known size) of a log.
    pub fn sizes(&self, publisher: &PublicKey) -> Option<(u64, u64)> {
        self.logs.get(publisher).map(|r| {
            (
                r.verified_size(),
                r.target()
                    .map(|t| t.size)
                    .unwrap_or(0)
                    .max(r.verified_size()),
            )
        })
    }

    /// The newest (target) checkpoint note known for a log.
    pub fn target_note(&self, publisher: &PublicKey) -> Option<String> {
        self.logs
            .get(publisher)
            .and_then(|r| r.target())
            .map(|t| t.note.clone())
    }

    /// Verified size of a log (0 if unknown).
    pub fn verified_size(&self, publisher: &PublicKey) -> u64 {
        self.logs
            .get(publisher)
            .map(|r| r.verified_size())
            .unwrap_or(0)
    }
}
