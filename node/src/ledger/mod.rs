//! The node's own append-only ledger: RFC 9162 Merkle math from `shoal_crypto`
//! over perfect-subtree hashes kept in the [`Store`], so an append is O(log n)
//! and RAM does not grow with the log.
//!
//! [`Ledger`] is the single writer (owned by the [`writer`] task); [`reader`] serves
//! entries, checkpoints and proofs concurrently from the same store; [`verify`]
//! re-checks the whole stored log.

pub mod reader;
pub mod verify;
pub mod writer;

use shoal_crypto::merkle::{self, CompactRange};
use shoal_crypto::{Checkpoint, Hash, NodeKey};
use shoal_protocol::envelope::EnvelopeBody;
use shoal_protocol::Tlp;

use crate::store::{Store, StoreError, WriteBatch};

/// Errors of the ledger as a whole (per-item problems are [`ItemResult`] rejections).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The store failed; nothing of the failed batch was acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Stored hashes are missing or inconsistent.
    #[error("ledger is inconsistent: {0}")]
    Inconsistent(String),
    /// Signing a checkpoint failed.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// A batch was applied but could not be made durable: the writer must stop, and a
    /// restart recovers the durable prefix. Nothing of the batch was acknowledged.
    #[error("could not make the log durable: {0}")]
    Durability(StoreError),
}

/// One object to log, already validated and canonicalised by the publish pipeline.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    /// RFC 8785 canonical JSON of the STIX object.
    pub object: Vec<u8>,
    /// SHA-256 of `object`, for duplicate detection.
    pub object_digest: Hash,
    /// Effective TLP.
    pub tlp: Tlp,
    /// Community the item is published to.
    pub community: String,
    /// Coarse publication time (unix seconds).
    pub published_at: u64,
    /// Envelope extensions (e.g. the privacy receipt), kinds strictly increasing.
    pub extensions: Vec<shoal_protocol::Extension>,
}

/// What happened to one appended item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemResult {
    /// Logged at `index`; durable when returned.
    Appended { index: u64, leaf_hash: Hash },
    /// The same object was already logged at `index`; nothing new was written.
    Duplicate { index: u64 },
    /// Not logged, with the reason.
    Rejected(String),
}

/// The single writer of the node's log.
pub struct Ledger {
    store: Store,
    key: NodeKey,
    origin: String,
    range: CompactRange,
    max_envelope_bytes: usize,
    last_checkpoint: Option<(u64, Hash)>,
}

/// The checkpoint origin of a node: `<name>/<peer-id>`.
pub fn origin(name: &str, key: &NodeKey) -> Result<String, LedgerError> {
    let peer = key
        .public()
        .peer_id()
        .map_err(|e| LedgerError::Checkpoint(e.to_string()))?;
    Ok(format!("{name}/{peer}"))
}

impl Ledger {
    /// Open the ledger in `store`: rebuild the compact range from stored hashes and
    /// check it against the latest checkpoint.
    pub fn open(
        store: Store,
        key: NodeKey,
        name: &str,
        max_envelope_bytes: usize,
    ) -> Result<Self, LedgerError> {
        let size = store.size()?;
        let range = CompactRange::from_source(&store, size)
            .map_err(|e| LedgerError::Inconsistent(format!("rebuilding frontier: {e}")))?;
        let origin = origin(name, &key)?;
        let mut ledger = Self {
            store,
            key,
            origin,
            range,
            max_envelope_bytes,
            last_checkpoint: None,
        };
        if let Some(cp_size) = ledger.store.latest_checkpoint_size()? {
            let cp = reader::load_checkpoint(&ledger.store, cp_size, &ledger.verifier()?)?;
            if cp.size > size {
                return Err(LedgerError::Inconsistent(format!(
                    "latest checkpoint has size {} but only {size} entries are stored",
                    cp.size
                )));
            }
            let root = merkle::root(&ledger.store, cp.size)
                .map_err(|e| LedgerError::Inconsistent(e.to_string()))?;
            if root != cp.root {
                return Err(LedgerError::Inconsistent(format!(
                    "stored hashes give a different root at size {} than its signed checkpoint",
                    cp.size
                )));
            }
            ledger.last_checkpoint = Some((cp.size, cp.root));
        }
        Ok(ledger)
    }

    /// Number of committed entries.
    pub fn size(&self) -> u64 {
        self.range.size()
    }

    /// Current root.
    pub fn root(&self) -> Hash {
        self.range.root()
    }

    /// The checkpoint origin (`<name>/<peer-id>`).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The C2SP note verifier of this log.
    pub fn verifier(&self) -> Result<shoal_crypto::Verifier, LedgerError> {
        shoal_crypto::Verifier::new(&self.origin, self.key.public())
            .map_err(|e| LedgerError::Checkpoint(e.to_string()))
    }

    /// Size of the latest signed checkpoint.
    pub fn checkpoint_size(&self) -> Option<u64> {
        self.last_checkpoint.map(|(s, _)| s)
    }

    /// Sign, log and durably commit a batch (group commit: one flush for the batch).
    /// On a store error nothing of the batch is acknowledged and the in-memory frontier
    /// is restored.
    pub fn append_batch(
        &mut self,
        items: Vec<AppendRequest>,
    ) -> Result<Vec<ItemResult>, LedgerError> {
        let saved = self.range.clone();
        let mut batch = WriteBatch::default();
        let mut seen: std::collections::HashMap<Hash, u64> = Default::default();
        let mut results = Vec::with_capacity(items.len());
        let mut nodes = Vec::with_capacity(items.len() * 2);
        for item in items {
            if let Some(&index) = seen.get(&item.object_digest) {
                results.push(ItemResult::Duplicate { index });
                continue;
            }
            if let Some(index) = self.store.object_index(&item.object_digest)? {
                results.push(ItemResult::Duplicate { index });
                continue;
            }
            let index = self.range.size();
            match self.encode_entry(index, item.clone()) {
                Ok(bytes) => {
                    let leaf = shoal_crypto::hash::leaf_hash(&bytes);
                    batch.entry(index, &bytes);
                    nodes.extend(self.range.append(leaf));
                    batch.object(&item.object_digest, index);
                    seen.insert(item.object_digest, index);
                    results.push(ItemResult::Appended {
                        index,
                        leaf_hash: leaf,
                    });
                }
                Err(reason) => results.push(ItemResult::Rejected(reason)),
            }
        }
        if self.range.size() == saved.size() {
            return Ok(results);
        }
        batch.size(self.range.size());
        let staged = self
            .store
            .stage_nodes(&mut batch, &nodes)
            .and_then(|()| self.store.apply(batch));
        if let Err(e) = staged {
            // Not acknowledged; the old frontier is right again. A disk that refused
            // (full, read-only) may have left sled's memory ahead of the disk: the
            // writer must stop until a restart re-reads what is durable.
            self.range = saved;
            return Err(if e.is_io() {
                LedgerError::Durability(e)
            } else {
                e.into()
            });
        }
        if let Err(e) = self.store.flush() {
            // Not durable, not acknowledged: no checkpoint may ever cover it. The
            // store's memory may hold the batch; the writer stops logging until a
            // restart re-reads what reached the disk.
            self.range = saved;
            return Err(LedgerError::Durability(e));
        }
        Ok(results)
    }

    fn encode_entry(&self, index: u64, item: AppendRequest) -> Result<Vec<u8>, String> {
        let body = EnvelopeBody {
            publisher: self.key.public(),
            ledger_index: index,
            published_at: item.published_at,
            tlp: item.tlp,
            community: item.community,
            object: item.object,
            extensions: item.extensions,
        };
        let bytes = body.sign_encoded(&self.key).map_err(|e| e.to_string())?;
        if bytes.len() > self.max_envelope_bytes {
            return Err(format!(
                "envelope would be {} bytes, over the limit of {} (envelope.max_bytes)",
                bytes.len(),
                self.max_envelope_bytes
            ));
        }
        Ok(bytes)
    }

    /// Sign a checkpoint for the current size if the log grew since the last one.
    /// Never signs two checkpoints for one size with different roots. Returns the new size.
    pub fn checkpoint(&mut self) -> Result<Option<u64>, LedgerError> {
        let size = self.range.size();
        let root = self.range.root();
        match self.last_checkpoint {
            Some((s, _)) if s == size => return Ok(None),
            Some((s, _)) if s > size => {
                return Err(LedgerError::Inconsistent(format!(
                    "checkpoint size {s} is ahead of the log size {size}"
                )))
            }
            _ => {}
        }
        if let Some(existing) = self.store.checkpoint(size)? {
            // A checkpoint for this size exists already: never sign a second one.
            let cp = reader::parse_checkpoint(&existing, &self.verifier()?)?;
            if cp.root != root {
                return Err(LedgerError::Inconsistent(format!(
                    "a checkpoint for size {size} with another root exists; refusing to sign"
                )));
            }
            self.last_checkpoint = Some((size, root));
            return Ok(None);
        }
        let cp = Checkpoint {
            origin: self.origin.clone(),
            size,
            root,
            extensions: Vec::new(),
        };
        let note = cp
            .sign(&self.key)
            .map_err(|e| LedgerError::Checkpoint(e.to_string()))?;
        let mut batch = WriteBatch::default();
        batch.checkpoint(size, &note.to_text());
        self.store.apply(batch)?;
        self.store.flush()?;
        self.last_checkpoint = Some((size, root));
        Ok(Some(size))
    }
}
