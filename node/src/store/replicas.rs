//! What a node holds of other publishers' logs (tree `replicas`): every received
//! envelope and every leaf hash learnt by sync, indexed by (publisher, ledger index),
//! each log's verified state, and the admission chains and revocations it has seen.
//!
//! Key layout:
//! - `r` ‖ publisher(32) ‖ be64(index) → [`Held`]: tag 0 = full envelope, tag 1 = leaf hash
//!   only; then be64(received unix ms) and the payload
//! - `s` ‖ publisher(32) → [`LogState`]: verified size, its compact range, the checkpoint
//!   note proving it and the best known (target) checkpoint note
//! - `a` ‖ subject(32) → admission chain JSON of that key
//! - `v` ‖ SHA-256(revocation) → revocation JSON
//! - `h` ‖ publisher(32) ‖ be64(size) → every checkpoint note a log was verified against
//!   (its history, for audits)
//! - `k` ‖ publisher(32) ‖ be64(size) → the compact range (frontier) of the log at each of
//!   those sizes, 32 bytes per set bit of the size: proofs about a leaf or from a size read
//!   only the leaves after the nearest frontier below it ([`Store::frontier_below`])
//! - `w` ‖ publisher → be64 size up to which the publisher's items are witnessed
//! - `c` ‖ publisher → the newest checkpoint this node cosigned for the log, as a witness
//!   (`protocol::witness::encode_witnessed`)
//! - `x` ‖ proof id → an equivocation proof (binary form); `q` ‖ publisher → the id of
//!   the first proof against that publisher (the publisher is equivocating)
//! - `T`, `I`, `M`: the collection index (`store::collection`)

use shoal_crypto::keys::PublicKey;
use shoal_crypto::merkle::CompactRange;
use shoal_crypto::Hash;

use super::{be64, Store, StoreError};

/// One held leaf of a publisher's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// The signed envelope bytes (the node is eligible for the item).
    Full {
        /// When it was received (unix ms).
        received_ms: u64,
        /// Encoded envelope.
        bytes: Vec<u8>,
    },
    /// Only the leaf hash (the node is not eligible for the item).
    Hash {
        /// When it was learnt (unix ms).
        received_ms: u64,
        /// RFC 9162 leaf hash.
        hash: Hash,
    },
}

impl Held {
    fn encode(&self) -> Vec<u8> {
        match self {
            Held::Full { received_ms, bytes } => {
                let mut v = Vec::with_capacity(9 + bytes.len());
                v.push(0);
                v.extend_from_slice(&received_ms.to_be_bytes());
                v.extend_from_slice(bytes);
                v
            }
            Held::Hash { received_ms, hash } => {
                let mut v = Vec::with_capacity(41);
                v.push(1);
                v.extend_from_slice(&received_ms.to_be_bytes());
                v.extend_from_slice(hash);
                v
            }
        }
    }

    fn decode(v: &[u8]) -> Result<Self, StoreError> {
        let bad = || StoreError::Corrupt("replica leaf record is malformed".into());
        let (&tag, rest) = v.split_first().ok_or_else(bad)?;
        let (ms, payload) = rest.split_at_checked(8).ok_or_else(bad)?;
        let received_ms = be64(ms, "received time")?;
        match tag {
            0 => Ok(Held::Full {
                received_ms,
                bytes: payload.to_vec(),
            }),
            1 => Ok(Held::Hash {
                received_ms,
                hash: payload.try_into().map_err(|_| bad())?,
            }),
            _ => Err(bad()),
        }
    }

    /// The leaf hash of this entry.
    pub fn leaf_hash(&self) -> Hash {
        match self {
            Held::Full { bytes, .. } => shoal_crypto::hash::leaf_hash(bytes),
            Held::Hash { hash, .. } => *hash,
        }
    }
}

/// Verified state of one publisher's log as held here.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogState {
    /// Leaves [0, size) are checked against `verified_note`.
    pub verified_size: u64,
    /// The compact range of those leaves.
    pub compact: Vec<Hash>,
    /// The publisher's checkpoint note at `verified_size` (empty when 0).
    pub verified_note: String,
    /// The newest checkpoint note known for this log (may be ahead of what is held).
    pub target_note: String,
}

impl LogState {
    fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&self.verified_size.to_be_bytes());
        v.push(self.compact.len() as u8);
        for h in &self.compact {
            v.extend_from_slice(h);
        }
        for s in [&self.verified_note, &self.target_note] {
            v.extend_from_slice(&(s.len() as u32).to_be_bytes());
            v.extend_from_slice(s.as_bytes());
        }
        v
    }

    fn decode(v: &[u8]) -> Result<Self, StoreError> {
        let bad = || StoreError::Corrupt("replica state record is malformed".into());
        let (size, rest) = v.split_at_checked(8).ok_or_else(bad)?;
        let verified_size = be64(size, "verified size")?;
        let (&n, mut rest) = rest.split_first().ok_or_else(bad)?;
        let mut compact = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let (h, r) = rest.split_at_checked(32).ok_or_else(bad)?;
            compact.push(h.try_into().map_err(|_| bad())?);
            rest = r;
        }
        let mut notes = Vec::with_capacity(2);
        for _ in 0..2 {
            let (len, r) = rest.split_at_checked(4).ok_or_else(bad)?;
            let len = u32::from_be_bytes(len.try_into().map_err(|_| bad())?) as usize;
            let (s, r) = r.split_at_checked(len).ok_or_else(bad)?;
            notes.push(String::from_utf8(s.to_vec()).map_err(|_| bad())?);
            rest = r;
        }
        let target_note = notes.pop().unwrap_or_default();
        let verified_note = notes.pop().unwrap_or_default();
        Ok(Self {
            verified_size,
            compact,
            verified_note,
            target_note,
        })
    }
}

fn leaf_key(publisher: &PublicKey, index: u64) -> [u8; 41] {
    sized_key(b'r', publisher, index)
}

/// `prefix` ‖ publisher ‖ be64(n): the keys of a log's leaves, history and frontiers.
fn sized_key(prefix: u8, publisher: &PublicKey, size: u64) -> [u8; 41] {
    let mut k = [0u8; 41];
    k[0] = prefix;
    k[1..33].copy_from_slice(&publisher.0);
    k[33..].copy_from_slice(&size.to_be_bytes());
    k
}

fn keyed(prefix: u8, id: &[u8; 32]) -> [u8; 33] {
    let mut k = [0u8; 33];
    k[0] = prefix;
    k[1..].copy_from_slice(id);
    k
}

/// Atomic group of replica writes.
#[derive(Default)]
pub struct ReplicaBatch {
    batch: sled::Batch,
    /// Number of operations staged.
    pub len: usize,
}

impl ReplicaBatch {
    /// Store a leaf (a full one is also indexed for the TAXII collections, in the same
    /// batch: see `store::collection`).
    pub fn leaf(&mut self, publisher: &PublicKey, index: u64, held: &Held) {
        self.batch
            .insert(&leaf_key(publisher, index)[..], held.encode());
        self.len += 1;
        if let Held::Full { received_ms, bytes } = held {
            // Already accepted under the configured envelope limit.
            if let Some(e) =
                super::collection::Entry::of(publisher, index, *received_ms, bytes, usize::MAX >> 1)
            {
                for (k, v) in e.records() {
                    self.batch.insert(k, v);
                }
            }
        }
    }
    /// Forget a leaf (an unverified hash that failed the checkpoint check).
    pub fn remove_leaf(&mut self, publisher: &PublicKey, index: u64) {
        self.batch.remove(&leaf_key(publisher, index)[..]);
        self.len += 1;
    }
    /// Remember a checkpoint the log was verified against, with the log's compact range
    /// at its size.
    pub fn history(&mut self, publisher: &PublicKey, size: u64, note: &str, frontier: &[Hash]) {
        self.batch
            .insert(&sized_key(b'h', publisher, size)[..], note.as_bytes());
        self.batch
            .insert(&sized_key(b'k', publisher, size)[..], frontier.concat());
        self.len += 2;
    }
    /// Store a log's state.
    pub fn state(&mut self, publisher: &PublicKey, state: &LogState) {
        self.batch
            .insert(&keyed(b's', &publisher.0)[..], state.encode());
        self.len += 1;
    }
}

impl Store {
    /// Apply a replica batch atomically (durable after [`Store::flush`]).
    pub fn apply_replicas(&self, batch: ReplicaBatch) -> Result<(), StoreError> {
        self.replicas.apply_batch(batch.batch)?;
        Ok(())
    }

    /// The leaf held at (publisher, index).
    pub fn held(&self, publisher: &PublicKey, index: u64) -> Result<Option<Held>, StoreError> {
        self.replicas
            .get(leaf_key(publisher, index))?
            .map(|v| Held::decode(&v))
            .transpose()
    }

    /// Leaves of `publisher` from `start` (inclusive) in index order.
    pub fn held_from(
        &self,
        publisher: &PublicKey,
        start: u64,
    ) -> impl Iterator<Item = Result<(u64, Held), StoreError>> + '_ {
        self.replicas
            .range(leaf_key(publisher, start)..=leaf_key(publisher, u64::MAX))
            .map(|r| {
                let (k, v) = r?;
                let idx = be64(k.get(33..).unwrap_or_default(), "replica leaf key")?;
                Ok((idx, Held::decode(&v)?))
            })
    }

    /// Every held leaf of every publisher (for queries).
    pub fn all_held(
        &self,
    ) -> impl Iterator<Item = Result<(PublicKey, u64, Held), StoreError>> + '_ {
        self.held_after(None)
    }

    /// Every held leaf in (publisher, index) order, starting just after `after` (from
    /// the first leaf when `None`): a query cursor seeks instead of re-reading the
    /// leaves before it.
    pub fn held_after(
        &self,
        after: Option<(PublicKey, u64)>,
    ) -> impl Iterator<Item = Result<(PublicKey, u64, Held), StoreError>> + '_ {
        use std::ops::Bound;
        let start = match after {
            Some((pk, idx)) => Bound::Excluded(leaf_key(&pk, idx).to_vec()),
            None => Bound::Included(b"r".to_vec()),
        };
        self.replicas
            .range((start, Bound::Excluded(b"s".to_vec())))
            .map(|r| {
                let (k, v) = r?;
                let bad = || StoreError::Corrupt("replica leaf key is malformed".into());
                let pk: [u8; 32] = k
                    .get(1..33)
                    .ok_or_else(bad)?
                    .try_into()
                    .map_err(|_| bad())?;
                let idx = be64(k.get(33..).unwrap_or_default(), "replica leaf key")?;
                Ok((PublicKey(pk), idx, Held::decode(&v)?))
            })
    }

    /// The state of a publisher's log.
    pub fn log_state(&self, publisher: &PublicKey) -> Result<Option<LogState>, StoreError> {
        self.replicas
            .get(keyed(b's', &publisher.0))?
            .map(|v| LogState::decode(&v))
            .transpose()
    }

    /// Every log state.
    pub fn log_states(
        &self,
    ) -> impl Iterator<Item = Result<(PublicKey, LogState), StoreError>> + '_ {
        self.replicas.scan_prefix(b"s").map(|r| {
            let (k, v) = r?;
            let bad = || StoreError::Corrupt("replica state key is malformed".into());
            let pk: [u8; 32] = k
                .get(1..33)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?;
            Ok((PublicKey(pk), LogState::decode(&v)?))
        })
    }

    /// Remember the admission chain of `subject`.
    pub fn put_chain(&self, subject: &PublicKey, chain: &[u8]) -> Result<(), StoreError> {
        self.replicas.insert(keyed(b'a', &subject.0), chain)?;
        Ok(())
    }

    /// Every remembered admission chain.
    pub fn chains(&self) -> impl Iterator<Item = Result<(PublicKey, Vec<u8>), StoreError>> + '_ {
        self.replicas.scan_prefix(b"a").map(|r| {
            let (k, v) = r?;
            let bad = || StoreError::Corrupt("admission key is malformed".into());
            let pk: [u8; 32] = k
                .get(1..33)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?;
            Ok((PublicKey(pk), v.to_vec()))
        })
    }

    /// Remember a revocation.
    pub fn put_revocation(&self, bytes: &[u8]) -> Result<(), StoreError> {
        let id = shoal_crypto::hash::sha256(bytes);
        self.replicas.insert(keyed(b'v', &id), bytes)?;
        Ok(())
    }

    /// Record a verified equivocation proof; returns false if it was already known.
    pub fn put_equivocation(
        &self,
        id: &Hash,
        publisher: &PublicKey,
        proof: &[u8],
    ) -> Result<bool, StoreError> {
        if self.replicas.contains_key(keyed(b'x', id))? {
            return Ok(false);
        }
        self.replicas.insert(keyed(b'x', id), proof)?;
        let _ = self.replicas.compare_and_swap(
            keyed(b'q', &publisher.0),
            None as Option<&[u8]>,
            Some(&id[..]),
        )?;
        self.flush()?;
        Ok(true)
    }

    /// The compact range of `publisher`'s log at the largest size at or below `at` at
    /// which it was verified (a size of its history, or the current verified size); the
    /// empty range when there is none.
    pub fn frontier_below(
        &self,
        publisher: &PublicKey,
        at: u64,
    ) -> Result<CompactRange, StoreError> {
        let corrupt = || StoreError::Corrupt("a stored frontier is malformed".into());
        let decode = |size: u64, hashes: Vec<Hash>| {
            CompactRange::from_parts(size, hashes).ok_or_else(corrupt)
        };
        let mut best = CompactRange::new();
        if let Some(r) = self
            .replicas
            .range(sized_key(b'k', publisher, 0)..=sized_key(b'k', publisher, at))
            .next_back()
        {
            let (k, v) = r?;
            let size = be64(k.get(33..).unwrap_or_default(), "frontier key")?;
            let hashes = v
                .chunks(32)
                .map(|c| Hash::try_from(c).ok())
                .collect::<Option<Vec<Hash>>>()
                .ok_or_else(corrupt)?;
            best = decode(size, hashes)?;
        }
        if let Some(state) = self.log_state(publisher)? {
            if state.verified_size <= at && state.verified_size > best.size() {
                best = decode(state.verified_size, state.compact)?;
            }
        }
        Ok(best)
    }

    /// Every checkpoint `publisher`'s log was verified against, by size.
    pub fn log_history(
        &self,
        publisher: &PublicKey,
    ) -> impl Iterator<Item = Result<(u64, String), StoreError>> + '_ {
        self.replicas
            .scan_prefix(keyed(b'h', &publisher.0))
            .map(|r| {
                let (k, v) = r?;
                let size = be64(k.get(33..).unwrap_or_default(), "history key")?;
                let note = String::from_utf8(v.to_vec())
                    .map_err(|_| StoreError::Corrupt("history note is not UTF-8".into()))?;
                Ok((size, note))
            })
    }

    /// Record that `publisher`'s items below `size` are witnessed (never goes down).
    pub fn set_witnessed_size(&self, publisher: &PublicKey, size: u64) -> Result<(), StoreError> {
        if self.witnessed_size(publisher)? < size {
            self.replicas
                .insert(keyed(b'w', &publisher.0), &size.to_be_bytes()[..])?;
        }
        Ok(())
    }

    /// Size up to which `publisher`'s items are witnessed (0 if none).
    pub fn witnessed_size(&self, publisher: &PublicKey) -> Result<u64, StoreError> {
        match self.replicas.get(keyed(b'w', &publisher.0))? {
            Some(v) => be64(&v, "witnessed size"),
            None => Ok(0),
        }
    }

    /// The newest checkpoint this node cosigned for `publisher`'s log, as a witness.
    pub fn cosigned(
        &self,
        publisher: &PublicKey,
    ) -> Result<Option<shoal_protocol::witness::Witnessed>, StoreError> {
        match self.replicas.get(keyed(b'c', &publisher.0))? {
            Some(v) => shoal_protocol::witness::decode_witnessed(&v)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt("cosigned checkpoint record".into())),
            None => Ok(None),
        }
    }

    /// Record the checkpoint this node just cosigned, durably (flushed before the
    /// cosignature leaves: a witness must never cosign two conflicting checkpoints, also
    /// across a crash).
    pub fn set_cosigned(
        &self,
        publisher: &PublicKey,
        w: &shoal_protocol::witness::Witnessed,
    ) -> Result<(), StoreError> {
        self.replicas.insert(
            keyed(b'c', &publisher.0),
            shoal_protocol::witness::encode_witnessed(w),
        )?;
        self.replicas.flush()?;
        Ok(())
    }

    /// Whether a verified equivocation proof against `publisher` is held.
    pub fn is_equivocating(&self, publisher: &PublicKey) -> Result<bool, StoreError> {
        Ok(self.replicas.contains_key(keyed(b'q', &publisher.0))?)
    }

    /// Every held equivocation proof (binary form).
    pub fn equivocations(&self) -> impl Iterator<Item = Result<Vec<u8>, StoreError>> + '_ {
        self.replicas.scan_prefix(b"x").map(|r| Ok(r?.1.to_vec()))
    }

    /// Every remembered revocation.
    pub fn revocations(&self) -> impl Iterator<Item = Result<Vec<u8>, StoreError>> + '_ {
        self.replicas.scan_prefix(b"v").map(|r| Ok(r?.1.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        for h in [
            Held::Full {
                received_ms: 7,
                bytes: b"abc".to_vec(),
            },
            Held::Hash {
                received_ms: 9,
                hash: [3u8; 32],
            },
        ] {
            assert_eq!(Held::decode(&h.encode()).ok(), Some(h));
        }
        let s = LogState {
            verified_size: 5,
            compact: vec![[1u8; 32], [2u8; 32]],
            verified_note: "a\n".into(),
            target_note: "b\n".into(),
        };
        assert_eq!(LogState::decode(&s.encode()).ok(), Some(s));
        assert!(Held::decode(&[2, 0]).is_err());
        assert!(LogState::decode(&[0; 9]).is_err());
    }
}
