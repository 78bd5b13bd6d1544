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
    let tree = held_tree(store, publisher, cp.size)?;
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

/// The held leaf hashes of `publisher`'s log below `size`, as a tree (every one must be
/// held: the verified prefix is).
fn held_tree(
    store: &Store,
    publisher: &PublicKey,
    size: u64,
) -> Result<MemoryTree, ItemProofError> {
    let mut tree = MemoryTree::new();
    for held in store.held_from(publisher, 0) {
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
    let tree = held_tree(store, publisher, new_size)?;
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
