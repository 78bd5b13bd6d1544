//! Read side of the ledger, safe to use concurrently with the writer: entries,
//! signed checkpoints, `c2sp.org/tlog-proof@v1` inclusion proofs and RFC 9162
//! consistency proofs, all computed from stored perfect-subtree hashes.

use shoal_crypto::merkle;
use shoal_crypto::{Checkpoint, Note, TlogProof, Verifier};

use super::LedgerError;
use crate::store::Store;

/// Why a read request cannot be answered (mapped to 404/400 by the API).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The entry or checkpoint does not exist (yet).
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed (e.g. old > new).
    #[error("{0}")]
    BadRequest(String),
    /// The ledger itself failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl From<crate::store::StoreError> for ReadError {
    fn from(e: crate::store::StoreError) -> Self {
        ReadError::Ledger(e.into())
    }
}

/// Parse and verify a stored checkpoint note.
pub fn parse_checkpoint(note: &str, verifier: &Verifier) -> Result<Checkpoint, LedgerError> {
    Checkpoint::open(note, verifier)
        .map(|(cp, _)| cp)
        .map_err(|e| LedgerError::Inconsistent(format!("stored checkpoint does not verify: {e}")))
}

/// Load and verify the checkpoint stored for `size`.
pub fn load_checkpoint(
    store: &Store,
    size: u64,
    verifier: &Verifier,
) -> Result<Checkpoint, LedgerError> {
    let note = store
        .checkpoint(size)?
        .ok_or_else(|| LedgerError::Inconsistent(format!("checkpoint {size} is missing")))?;
    parse_checkpoint(&note, verifier)
}

/// Concurrent reader of one node's ledger.
#[derive(Clone)]
pub struct LedgerReader {
    store: Store,
    verifier: Verifier,
}

impl LedgerReader {
    /// A reader over `store` whose checkpoints verify with `verifier`.
    pub fn new(store: Store, verifier: Verifier) -> Self {
        Self { store, verifier }
    }

    /// The log's verifier (origin and key).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Committed size.
    pub fn size(&self) -> Result<u64, ReadError> {
        Ok(self.store.size()?)
    }

    /// The latest signed checkpoint note, as text.
    pub fn latest_checkpoint(&self) -> Result<(u64, String), ReadError> {
        let size = self
            .store
            .latest_checkpoint_size()?
            .ok_or_else(|| ReadError::NotFound("no checkpoint has been signed yet".into()))?;
        let note = self
            .store
            .checkpoint(size)?
            .ok_or_else(|| ReadError::NotFound(format!("checkpoint {size} is missing")))?;
        Ok((size, note))
    }

    /// The exact bytes of entry `index`.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>, ReadError> {
        self.store
            .entry(index)?
            .ok_or_else(|| ReadError::NotFound(format!("no entry at index {index}")))
    }

    /// A tlog-proof for `index` against the latest checkpoint, or the one for `size`.
    pub fn proof(&self, index: u64, size: Option<u64>) -> Result<TlogProof, ReadError> {
        let (cp_size, note_text) = match size {
            Some(s) => {
                let note = self.store.checkpoint(s)?.ok_or_else(|| {
                    ReadError::NotFound(format!("no checkpoint was signed for size {s}"))
                })?;
                (s, note)
            }
            None => self.latest_checkpoint()?,
        };
        if index >= cp_size {
            return Err(ReadError::NotFound(format!(
                "entry {index} is not covered by the checkpoint of size {cp_size} (yet); \
                 checkpoints are signed at most every ledger.checkpoint_interval_ms"
            )));
        }
        let checkpoint = Note::parse(&note_text)
            .map_err(|e| LedgerError::Inconsistent(format!("stored checkpoint: {e}")))?;
        let proof = merkle::inclusion_proof(&self.store, index, cp_size)
            .map_err(|e| LedgerError::Inconsistent(e.to_string()))?;
        Ok(TlogProof {
            extra: None,
            index,
            proof,
            checkpoint,
        })
    }

    /// RFC 9162 consistency proof between sizes `old` and `new` of the committed log.
    pub fn consistency(&self, old: u64, new: u64) -> Result<Vec<shoal_crypto::Hash>, ReadError> {
        let size = self.store.size()?;
        if old == 0 || old > new {
            return Err(ReadError::BadRequest(format!(
                "need 0 < old <= new, got old={old} new={new}"
            )));
        }
        if new > size {
            return Err(ReadError::NotFound(format!(
                "new={new} is beyond the log size {size}"
            )));
        }
        merkle::consistency_proof(&self.store, old, new)
            .map_err(|e| ReadError::Ledger(LedgerError::Inconsistent(e.to_string())))
    }
}
