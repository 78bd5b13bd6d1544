//! The embedded store (sled 0.34): one tree holding the ledger's entries, its
//! perfect-subtree hashes, its size and its signed checkpoints, so that one
//! atomic batch commits an entry together with every hash it completes.
//!
//! Key layout of the `ledger` tree:
//! - `e` ‖ be64(index) → the exact signed envelope bytes of that entry
//! - `t` ‖ tile-level ‖ be64(tile index) → a tile of perfect-subtree hashes ([`tiles`])
//! - `o` ‖ SHA-256(canonical object) → be64(index) of the entry carrying it
//! - `c` ‖ be64(size) → the signed checkpoint note for that size
//! - `m:size` → be64 committed size; `m:checkpoint` → be64 size of the latest checkpoint
//!
//! Other trees: `privacy` (the budget), `replicas` ([`replicas`]) and `evidence`
//! ([`evidence`]).

pub mod collection;
pub mod evidence;
pub mod replicas;
pub mod tiles;

use std::path::Path;

use shoal_crypto::merkle::{StoredNode, SubtreeSource};
use shoal_crypto::Hash;

use tiles::Tile;

/// Errors of the embedded store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (I/O, corruption, lock held by another process...).
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    /// A stored value has the wrong shape.
    #[error("store is corrupt: {0}")]
    Corrupt(String),
    /// The data directory is locked by a running daemon.
    #[error("the store at {0} is in use by a running node (stop it or use the API)")]
    Locked(String),
}

impl StoreError {
    /// Whether the disk refused a read or write (full, read-only, failing): the
    /// store's data is fine, the data directory needs the operator's attention.
    pub fn is_io(&self) -> bool {
        matches!(self, StoreError::Sled(sled::Error::Io(_)))
    }
}

const META_SIZE: &[u8] = b"m:size";
const META_CHECKPOINT: &[u8] = b"m:checkpoint";

/// Handle to the store. Cheap to clone; all clones see the same data.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    tree: sled::Tree,
    privacy: sled::Tree,
    replicas: sled::Tree,
    evidence: sled::Tree,
}

const PRIVACY_SPENT: &[u8] = b"spent";

/// Key of an entry.
pub fn entry_key(index: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = b'e';
    k[1..].copy_from_slice(&index.to_be_bytes());
    k
}

/// Key of a tile of subtree hashes.
pub fn tile_key(tile_level: u8, tile_index: u64) -> [u8; 10] {
    let mut k = [0u8; 10];
    k[0] = b't';
    k[1] = tile_level;
    k[2..].copy_from_slice(&tile_index.to_be_bytes());
    k
}

/// Key of an object-digest → index mapping (duplicate detection).
pub fn object_key(digest: &Hash) -> [u8; 33] {
    let mut k = [0u8; 33];
    k[0] = b'o';
    k[1..].copy_from_slice(digest);
    k
}

/// Key of a checkpoint.
pub fn checkpoint_key(size: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = b'c';
    k[1..].copy_from_slice(&size.to_be_bytes());
    k
}

pub(crate) fn be64(v: &[u8], what: &str) -> Result<u64, StoreError> {
    let a: [u8; 8] = v
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} is {} bytes, expected 8", v.len())))?;
    Ok(u64::from_be_bytes(a))
}

/// One atomic group of writes.
#[derive(Default)]
pub struct WriteBatch {
    batch: sled::Batch,
}

impl WriteBatch {
    /// Store an entry's bytes.
    pub fn entry(&mut self, index: u64, bytes: &[u8]) {
        self.batch.insert(&entry_key(index)[..], bytes);
    }
    /// Record which entry carries an object.
    pub fn object(&mut self, digest: &Hash, index: u64) {
        self.batch
            .insert(&object_key(digest)[..], &index.to_be_bytes()[..]);
    }
    /// Set the committed size.
    pub fn size(&mut self, size: u64) {
        self.batch.insert(META_SIZE, &size.to_be_bytes()[..]);
    }
    /// Store a checkpoint and make it the latest.
    pub fn checkpoint(&mut self, size: u64, note: &str) {
        self.batch
            .insert(&checkpoint_key(size)[..], note.as_bytes());
        self.batch.insert(META_CHECKPOINT, &size.to_be_bytes()[..]);
    }
}

/// How long [`Store::open`] waits for a lock to be released.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

impl Store {
    /// Open (or create) the store in `dir` with a page cache of `cache_mb` MiB. A store
    /// that is locked is retried for up to [`LOCK_WAIT`]: sled's background flusher lets
    /// go of the file lock a moment after the last handle of a closed store is dropped,
    /// so a store closed just before (a restart, an offline CLI command right after the
    /// node stopped) opens instead of failing; a store held by a running process still
    /// fails with [`StoreError::Locked`].
    pub fn open(dir: &Path, cache_mb: u64) -> Result<Self, StoreError> {
        let started = std::time::Instant::now();
        loop {
            match Self::try_open(dir, cache_mb) {
                Err(StoreError::Locked(_)) if started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                other => return other,
            }
        }
    }

    /// Open (or create) the store without waiting for a lock.
    pub fn try_open(dir: &Path, cache_mb: u64) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_mb.saturating_mul(1 << 20))
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(ref io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("lock") =>
                {
                    StoreError::Locked(dir.display().to_string())
                }
                other => StoreError::Sled(other),
            })?;
        let tree = db.open_tree("ledger")?;
        let privacy = db.open_tree("privacy")?;
        let replicas = db.open_tree("replicas")?;
        let evidence = db.open_tree("evidence")?;
        Ok(Self {
            db,
            tree,
            privacy,
            replicas,
            evidence,
        })
    }

    /// The credibility evidence tree, emptied ([`evidence`]: it is rebuilt from the
    /// envelopes held at every start).
    pub fn fresh_evidence(&self) -> Result<evidence::Evidence, StoreError> {
        self.evidence.clear()?;
        Ok(evidence::Evidence::new(self.evidence.clone()))
    }

    /// Stage perfect-subtree hashes into `batch`: the tiles they fall in are read,
    /// updated and written back as part of the batch. Call once per batch with all of
    /// its nodes (a second call would not see the first call's staged tiles).
    pub fn stage_nodes(
        &self,
        batch: &mut WriteBatch,
        nodes: &[StoredNode],
    ) -> Result<(), StoreError> {
        for ((level, index), slots) in tiles::group(nodes) {
            let key = tile_key(level, index);
            let mut tile = match self.tree.get(key)? {
                Some(v) => Tile::from_bytes(&v).ok_or_else(|| {
                    StoreError::Corrupt(format!("tile ({level}, {index}) is {} bytes", v.len()))
                })?,
                None => Tile::empty(),
            };
            for (slot, hash) in slots {
                tile.set(slot, &hash);
            }
            batch.batch.insert(&key[..], tile.as_bytes());
        }
        Ok(())
    }

    /// Apply a batch atomically (not yet durable: call [`Store::flush`]).
    pub fn apply(&self, batch: WriteBatch) -> Result<(), StoreError> {
        self.tree.apply_batch(batch.batch)?;
        Ok(())
    }

    /// Make everything applied so far durable. Blocking: call from a blocking thread.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Committed number of entries.
    pub fn size(&self) -> Result<u64, StoreError> {
        match self.tree.get(META_SIZE)? {
            Some(v) => be64(&v, "ledger size"),
            None => Ok(0),
        }
    }

    /// The entry at `index`, if present.
    pub fn entry(&self, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tree.get(entry_key(index))?.map(|v| v.to_vec()))
    }

    /// Iterate entries in index order from `start`.
    pub fn entries_from(
        &self,
        start: u64,
    ) -> impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + '_ {
        self.tree
            .range(entry_key(start)..=entry_key(u64::MAX))
            .map(|r| {
                let (k, v) = r?;
                let idx = be64(k.get(1..).unwrap_or_default(), "entry key")?;
                Ok((idx, v.to_vec()))
            })
    }

    /// Ledger index of an already logged object.
    pub fn object_index(&self, digest: &Hash) -> Result<Option<u64>, StoreError> {
        match self.tree.get(object_key(digest))? {
            Some(v) => Ok(Some(be64(&v, "object index")?)),
            None => Ok(None),
        }
    }

    /// The checkpoint note for exactly `size`, if one was signed.
    pub fn checkpoint(&self, size: u64) -> Result<Option<String>, StoreError> {
        match self.tree.get(checkpoint_key(size))? {
            Some(v) => String::from_utf8(v.to_vec())
                .map(Some)
                .map_err(|_| StoreError::Corrupt(format!("checkpoint {size} is not UTF-8"))),
            None => Ok(None),
        }
    }

    /// Replace the stored note of the checkpoint of `size` (the same checkpoint with
    /// witness cosignatures added). Nothing happens if no checkpoint of that size exists.
    pub fn set_checkpoint_note(&self, size: u64, note: &str) -> Result<(), StoreError> {
        if self.tree.contains_key(checkpoint_key(size))? {
            self.tree.insert(checkpoint_key(size), note.as_bytes())?;
        }
        Ok(())
    }

    /// Size of the latest checkpoint, if any.
    pub fn latest_checkpoint_size(&self) -> Result<Option<u64>, StoreError> {
        match self.tree.get(META_CHECKPOINT)? {
            Some(v) => Ok(Some(be64(&v, "checkpoint size")?)),
            None => Ok(None),
        }
    }

    /// All checkpoints in size order.
    pub fn checkpoints(&self) -> impl Iterator<Item = Result<(u64, String), StoreError>> + '_ {
        self.tree
            .range(checkpoint_key(0)..=checkpoint_key(u64::MAX))
            .map(|r| {
                let (k, v) = r?;
                let size = be64(k.get(1..).unwrap_or_default(), "checkpoint key")?;
                let note = String::from_utf8(v.to_vec())
                    .map_err(|_| StoreError::Corrupt(format!("checkpoint {size} is not UTF-8")))?;
                Ok((size, note))
            })
    }

    /// The privacy budget spent so far (tree `privacy`, key `spent`, JSON).
    pub fn privacy_spent(&self) -> Result<Option<shoal_protocol::dp::budget::Spent>, StoreError> {
        match self.privacy.get(PRIVACY_SPENT)? {
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("privacy spend record: {e}"))),
            None => Ok(None),
        }
    }

    /// Record the privacy budget spent, durably (flushed before returning).
    pub fn set_privacy_spent(
        &self,
        spent: &shoal_protocol::dp::budget::Spent,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(spent)
            .map_err(|e| StoreError::Corrupt(format!("privacy spend record: {e}")))?;
        self.privacy.insert(PRIVACY_SPENT, bytes)?;
        self.db.flush()?;
        Ok(())
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}

impl SubtreeSource for Store {
    type Error = StoreError;

    fn subtree(&self, level: u8, index: u64) -> Result<Option<Hash>, StoreError> {
        let ((tl, ti), slot) = tiles::locate(level, index);
        match self.tree.get(tile_key(tl, ti))? {
            Some(v) if v.len() == tiles::TILE_BYTES => Ok(Tile::get(&v, slot)),
            Some(v) => Err(StoreError::Corrupt(format!(
                "tile ({tl}, {ti}) is {} bytes",
                v.len()
            ))),
            None => Ok(None),
        }
    }
}
