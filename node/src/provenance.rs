//! Proofs for received items: an item of another publisher's log, held by this node,
//! comes with a `c2sp.org/tlog-proof@v1` against the newest checkpoint this node
//! verified for that log (with every trusted witness cosignature collected), built from
//! the leaf hashes the node holds for the verified prefix. With the entry bytes and the
//! publisher's (and witnesses') public keys anyone can check it offline (`shoal verify`).
//! [`audit`] re-verifies a whole replicated log: every entry, every signature, and every
//! checkpoint the log was verified against, in order (so the chain of checkpoints is
//! consistent: each root is recomputed from the same leaves).

use shoal_crypto::keys::PublicKey;
use shoal_crypto::merkle::{self, MemoryTree};
use shoal_crypto::note::Note;
use shoal_crypto::{Checkpoint, TlogProof};

use crate::store::replicas::Held;
use crate::store::{Store, StoreError};

/// Why no proof could be made.
#[derive(Debug, thiserror::Error)]
pub enum ItemProofError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The item is not held, or not yet covered by a verified checkpoint.
    #[error("{0}")]
    NotFound(String),
    /// Held data is inconsistent (should not happen).
    #[error("held data is inconsistent: {0}")]
    Inconsistent(String),
}

/// The entry bytes of a received item (only items this node holds in full).
pub fn entry(store: &Store, publisher: &PublicKey, index: u64) -> Result<Vec<u8>, ItemProofError> {
    match store.held(publisher, index)? {
        Some(Held::Full { bytes, .. }) => Ok(bytes),
        Some(Held::Hash { .. }) => Err(ItemProofError::NotFound(format!(
            "entry {index} is held as a leaf hash only (this node is not eligible for it)"
        ))),
        None => Err(ItemProofError::NotFound(format!(
            "entry {index} is not held"
        ))),
    }
}

/// A tlog-proof of `publisher`'s entry `index` against the verified checkpoint.
pub fn proof(
    store: &Store,
    publisher: &PublicKey,
    index: u64,
) -> Result<TlogProof, ItemProofError> {
    let state = store
        .log_state(publisher)?
        .ok_or_else(|| ItemProofError::NotFound("no log of this publisher is held".into()))?;
    let note = Note::parse(&state.verified_note)
        .map_err(|_| ItemProofError::NotFound("no verified checkpoint of this log yet".into()))?;
    let cp = Checkpoint::parse_body(&note.text)
        .map_err(|e| ItemProofError::Inconsistent(e.to_string()))?;
    if index >= cp.size {
        return Err(ItemProofError::NotFound(format!(
            "entry {index} is not covered by the verified checkpoint of size {} yet",
            cp.size
        )));
    }
    let tree = held_extension(store, publisher, index, cp.size)?;
    if tree.root() != cp.root {
        return Err(ItemProofError::Inconsistent(
            "held leaves do not match the verified checkpoint".into(),
        ));
    }
    let proof = merkle::inclusion_proof(&tree, index, cp.size)
        .map_err(|e| ItemProofError::Inconsistent(e.to_string()))?;
    Ok(TlogProof {
        extra: None,
        index,
        proof,
        checkpoint: note,
    })
}

/// The held leaf hashes of `publisher`'s log below `size`, as an extension of the
/// largest stored frontier at or below `from` ([`Store::frontier_below`]): only the
/// leaves after that frontier are read. Every leaf from the frontier to `size` must be
/// held. Proofs about leaf `from` (inclusion) or from size `from` (consistency) need no
/// node inside the frontier.
pub(crate) fn held_extension(
    store: &Store,
    publisher: &PublicKey,
    from: u64,
    size: u64,
) -> Result<merkle::Extension, ItemProofError> {
    let mut tree = merkle::Extension::new(store.frontier_below(publisher, from.min(size))?);
    for held in store.held_from(publisher, tree.size()) {
        let (i, h) = held?;
        if i >= size {
            break;
        }
        if i != tree.size() {
            return Err(ItemProofError::Inconsistent(format!(
                "leaf {} missing",
                tree.size()
            )));
        }
        tree.append(h.leaf_hash());
    }
    if tree.size() != size {
        return Err(ItemProofError::NotFound(format!(
            "only {} leaves of this log are held, not {size}",
            tree.size()
        )));
    }
    Ok(tree)
}

/// An RFC 9162 consistency proof between two sizes of a replicated log, from the leaves
/// this node holds (both sizes must be within the verified prefix).
pub fn replica_consistency(
    store: &Store,
    publisher: &PublicKey,
    old_size: u64,
    new_size: u64,
    verified_size: u64,
) -> Result<Vec<shoal_crypto::Hash>, ItemProofError> {
    if old_size == 0 || old_size > new_size || new_size > verified_size {
        return Err(ItemProofError::NotFound(format!(
            "no consistency proof from {old_size} to {new_size} (verified prefix: {verified_size})"
        )));
    }
    // From a verified size (a witness's last cosigned checkpoint, a peer's last known
    // one) only the leaves after it are read.
    let tree = held_extension(store, publisher, old_size, new_size)?;
    merkle::consistency_proof(&tree, old_size, new_size)
        .map_err(|e| ItemProofError::Inconsistent(e.to_string()))
}

/// What an audit of a replicated log checked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditReport {
    /// The publisher (hex).
    pub publisher: String,
    /// Leaves checked (the verified prefix).
    pub leaves: u64,
    /// Of those, full envelopes whose signature and position were checked.
    pub full_entries: u64,
    /// Of those, bare leaf hashes (items of communities this node is not in).
    pub hashes_only: u64,
    /// Checkpoints of the history whose signature and root were checked.
    pub checkpoints: u64,
    /// Size of the first and the last checkpoint checked.
    pub first_size: Option<u64>,
    /// Size of the last checkpoint checked.
    pub last_size: Option<u64>,
    /// A verified equivocation proof against the publisher is held.
    pub equivocating: bool,
}

/// Re-verify `publisher`'s replicated log. Err names the first thing that failed.
pub fn audit(
    store: &Store,
    publisher: &PublicKey,
    max_envelope: usize,
) -> Result<AuditReport, ItemProofError> {
    let history: Vec<(u64, String)> = store.log_history(publisher).collect::<Result<_, _>>()?;
    let Some((last, _)) = history.last().cloned() else {
        return Err(ItemProofError::NotFound(
            "no verified checkpoint of this log is held".into(),
        ));
    };
    let mut cps = Vec::with_capacity(history.len());
    for (size, note) in &history {
        let cp = crate::net::heads::open(publisher, note)
            .map_err(|e| ItemProofError::Inconsistent(format!("checkpoint of size {size}: {e}")))?;
        if cp.size != *size {
            return Err(ItemProofError::Inconsistent(format!(
                "checkpoint stored for size {size} says {}",
                cp.size
            )));
        }
        cps.push(cp);
    }
    let mut tree = MemoryTree::new();
    let (mut full, mut hashes) = (0u64, 0u64);
    let mut next_cp = cps.iter().peekable();
    let mut checked = 0u64;
    let check = |tree: &MemoryTree, cp: &Checkpoint| -> Result<(), ItemProofError> {
        if tree.root() != cp.root {
            return Err(ItemProofError::Inconsistent(format!(
                "the held leaves do not give the root of the checkpoint of size {}",
                cp.size
            )));
        }
        Ok(())
    };
    let mut chunk: Vec<(u64, Vec<u8>)> = Vec::new();
    let flush = |chunk: &mut Vec<(u64, Vec<u8>)>| -> Result<(), ItemProofError> {
        let refs: Vec<&[u8]> = chunk.iter().map(|(_, b)| b.as_slice()).collect();
        let out = shoal_protocol::envelope::decode_verified_batch(&refs, max_envelope);
        for ((i, _), r) in chunk.iter().zip(out) {
            let env = r.map_err(|e| ItemProofError::Inconsistent(format!("entry {i}: {e}")))?;
            if env.body.publisher != *publisher || env.body.ledger_index != *i {
                return Err(ItemProofError::Inconsistent(format!(
                    "entry {i} is not the publisher's entry at that index"
                )));
            }
        }
        chunk.clear();
        Ok(())
    };
    for held in store.held_from(publisher, 0) {
        let (i, h) = held?;
        if i >= last {
            break;
        }
        if i != tree.size() {
            return Err(ItemProofError::Inconsistent(format!(
                "leaf {} is missing",
                tree.size()
            )));
        }
        match &h {
            Held::Full { bytes, .. } => {
                full += 1;
                chunk.push((i, bytes.clone()));
                if chunk.len() >= 2048 {
                    flush(&mut chunk)?;
                }
            }
            Held::Hash { .. } => hashes += 1,
        }
        tree.append(h.leaf_hash());
        while let Some(cp) = next_cp.peek() {
            if cp.size == tree.size() {
                check(&tree, cp)?;
                checked += 1;
                next_cp.next();
            } else {
                break;
            }
        }
    }
    flush(&mut chunk)?;
    if tree.size() != last {
        return Err(ItemProofError::Inconsistent(format!(
            "only {} of the {last} leaves are held",
            tree.size()
        )));
    }
    Ok(AuditReport {
        publisher: hex::encode(publisher.0),
        leaves: tree.size(),
        full_entries: full,
        hashes_only: hashes,
        checkpoints: checked,
        first_size: cps.first().map(|c| c.size),
        last_size: Some(last),
        equivocating: store.is_equivocating(publisher)?,
    })
}

#[cfg(test)]
mod tests {
    use shoal_crypto::hash::leaf_hash;

    use super::*;
    use crate::store::replicas::{Held, ReplicaBatch};

    /// Proofs about a replica come out the same whether they start from a stored
    /// frontier (a verified size) or from the first leaf, and read only the leaves after
    /// the nearest frontier.
    #[test]
    fn replica_proofs_from_frontiers_match_the_whole_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 8).unwrap();
        let publisher = PublicKey([7; 32]);
        let verified_sizes = [1u64, 5, 8, 13, 32, 33, 50];
        let mut full = MemoryTree::new();
        let mut batch = ReplicaBatch::default();
        for i in 0..50u64 {
            let hash = leaf_hash(&i.to_be_bytes());
            full.append(hash);
            batch.leaf(
                &publisher,
                i,
                &Held::Hash {
                    received_ms: 0,
                    hash,
                },
            );
            if verified_sizes.contains(&(i + 1)) {
                batch.history(&publisher, i + 1, "note", full.compact_range().hashes());
            }
        }
        store.apply_replicas(batch).unwrap();
        for at in 0..=60u64 {
            let want = verified_sizes.iter().rev().find(|s| **s <= at).copied();
            assert_eq!(
                store.frontier_below(&publisher, at).unwrap().size(),
                want.unwrap_or(0)
            );
        }
        for new in 1..=50u64 {
            for old in 1..=new {
                let want = merkle::consistency_proof(&full, old, new).unwrap();
                let got = replica_consistency(&store, &publisher, old, new, 50).unwrap();
                assert_eq!(got, want, "consistency {old} → {new}");
            }
            for index in 0..new {
                let tree = held_extension(&store, &publisher, index, new).unwrap();
                assert_eq!(tree.root(), full_root(&full, new));
                assert_eq!(
                    merkle::inclusion_proof(&tree, index, new).unwrap(),
                    merkle::inclusion_proof(&full, index, new).unwrap(),
                    "inclusion of {index} in {new}"
                );
            }
        }
        // A leaf missing after the frontier is an inconsistency, not a wrong proof.
        let mut gap = ReplicaBatch::default();
        gap.remove_leaf(&publisher, 40);
        store.apply_replicas(gap).unwrap();
        assert!(matches!(
            replica_consistency(&store, &publisher, 33, 50, 50),
            Err(ItemProofError::Inconsistent(_))
        ));
        assert!(replica_consistency(&store, &publisher, 33, 40, 50).is_ok());
        // Only the leaves after the frontier are read: with leaf 2 gone, proofs from
        // size 5 or about leaf 6 still come out; from size 4 or about leaf 3 they need it.
        let mut early = ReplicaBatch::default();
        early.remove_leaf(&publisher, 2);
        store.apply_replicas(early).unwrap();
        assert_eq!(
            replica_consistency(&store, &publisher, 5, 33, 50).unwrap(),
            merkle::consistency_proof(&full, 5, 33).unwrap()
        );
        assert!(held_extension(&store, &publisher, 6, 33).is_ok());
        assert!(replica_consistency(&store, &publisher, 4, 33, 50).is_err());
        assert!(held_extension(&store, &publisher, 3, 33).is_err());
    }

    fn full_root(full: &MemoryTree, size: u64) -> shoal_crypto::Hash {
        merkle::root(full, size).unwrap()
    }
}
