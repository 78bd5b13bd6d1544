//! Full re-check of a stored log: every entry decodes and carries a valid signature
//! of this node at its own index, every stored subtree hash equals the one recomputed
//! from the entries, and every signed checkpoint verifies and matches the root
//! recomputed at its size. Also checks that nothing past the committed size exists.

use shoal_crypto::merkle::{CompactRange, SubtreeSource};
use shoal_crypto::{Hash, PublicKey, Verifier};
use shoal_protocol::Envelope;

use super::reader::parse_checkpoint;
use super::LedgerError;
use crate::store::Store;

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    /// Entries checked.
    pub size: u64,
    /// Root recomputed from the entries.
    #[serde(with = "hex_hash")]
    pub root: Hash,
    /// Signed checkpoints checked.
    pub checkpoints: u64,
    /// Size of the latest checkpoint.
    pub latest_checkpoint: Option<u64>,
}

mod hex_hash {
    pub fn serialize<S: serde::Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }
}

fn bad(msg: String) -> LedgerError {
    LedgerError::Inconsistent(msg)
}

/// Re-check the whole log in `store`. `progress(done, total)` is called every 65,536 entries.
pub fn verify_store(
    store: &Store,
    verifier: &Verifier,
    publisher: &PublicKey,
    max_envelope_bytes: usize,
    mut progress: impl FnMut(u64, u64),
) -> Result<VerifyReport, LedgerError> {
    let size = store.size()?;
    let mut checkpoints = Vec::new();
    for cp in store.checkpoints() {
        let (cp_size, note) = cp?;
        let cp = parse_checkpoint(&note, verifier)?;
        if cp.size != cp_size {
            return Err(bad(format!(
                "checkpoint stored under size {cp_size} says size {}",
                cp.size
            )));
        }
        if cp.size > size {
            return Err(bad(format!(
                "checkpoint for size {} is beyond the log size {size}",
                cp.size
            )));
        }
        checkpoints.push(cp);
    }
    let latest_checkpoint = checkpoints.last().map(|c| c.size);
    let mut next_cp = checkpoints.iter().peekable();
    let mut range = CompactRange::new();
    let mut check_checkpoints = |range: &CompactRange| -> Result<(), LedgerError> {
        while let Some(cp) = next_cp.peek() {
            if cp.size != range.size() {
                break;
            }
            if cp.root != range.root() {
                return Err(bad(format!(
                    "checkpoint at size {} does not match the entries' root",
                    cp.size
                )));
            }
            next_cp.next();
        }
        Ok(())
    };
    check_checkpoints(&range)?;
    for item in store.entries_from(0) {
        let (index, bytes) = item?;
        if index >= size {
            return Err(bad(format!(
                "entry {index} is stored beyond the committed size {size}"
            )));
        }
        if index != range.size() {
            return Err(bad(format!(
                "entry {} is missing (found {index} next)",
                range.size()
            )));
        }
        let env = Envelope::decode_verified(&bytes, max_envelope_bytes)
            .map_err(|e| bad(format!("entry {index}: {e}")))?;
        if env.body.publisher != *publisher {
            return Err(bad(format!("entry {index} is signed by another key")));
        }
        if env.body.ledger_index != index {
            return Err(bad(format!(
                "entry {index} claims ledger index {}",
                env.body.ledger_index
            )));
        }
        for node in range.append(shoal_crypto::hash::leaf_hash(&bytes)) {
            let stored = store.subtree(node.level, node.index)?;
            if stored != Some(node.hash) {
                return Err(bad(format!(
                    "stored hash of subtree (level {}, index {}) does not match entry data",
                    node.level, node.index
                )));
            }
        }
        check_checkpoints(&range)?;
        if range.size().is_multiple_of(65_536) {
            progress(range.size(), size);
        }
    }
    if range.size() != size {
        return Err(bad(format!(
            "log size is {size} but only {} entries are stored",
            range.size()
        )));
    }
    progress(size, size);
    Ok(VerifyReport {
        size,
        root: range.root(),
        checkpoints: checkpoints.len() as u64,
        latest_checkpoint,
    })
}
