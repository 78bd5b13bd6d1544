//! Proofs for received items: an item of another publisher's log, held by this node,
//! comes with a `c2sp.org/tlog-proof@v1` against the newest checkpoint this node
//! verified for that log (with every trusted witness cosignature collected), built from
//! the leaf hashes the node holds for the verified prefix. With the entry bytes and the
//! publisher's (and witnesses') public keys anyone can check it offline (`shoal verify`).

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
    let mut tree = MemoryTree::new();
    for held in store.held_from(publisher, 0) {
        let (i, h) = held?;
        if i >= cp.size {
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
    if tree.size() != cp.size || tree.root() != cp.root {
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
