//! The collection index over received intel, for TAXII (tree `replicas`; uppercase
//! prefixes, so they never fall inside the lowercase leaf and state ranges):
//!
//! - `T` ‖ be64(added ms) ‖ publisher(32) ‖ be64(index) → [`Entry`] value: the order of
//!   `date_added`, so `added_after` and paging seek instead of scanning;
//! - `I` ‖ STIX id ‖ `0x00` ‖ be64(version ms) ‖ publisher(32) ‖ be64(index) → the same
//!   value: every version of an id, oldest first (object by id, versions, and the
//!   `match[version]` filters);
//! - `M` → the index format version; an older store is indexed once when opened
//!   ([`Store::ensure_collection_index`]).
//!
//! Entries are written in the same atomic batch as the full leaf they index
//! (`ReplicaBatch::leaf`), so the index never disagrees with the leaves after a crash.
//! `date_added` is the time this node received the item; the version is the object's
//! `modified` (else `created`, else `date_added`), compared at millisecond precision.

use shoal_crypto::keys::PublicKey;
use shoal_protocol::stix::Timestamp;
use shoal_protocol::Envelope;

use super::replicas::Held;
use super::{be64, Store, StoreError};

/// Version of the index format.
const INDEX_FORMAT: u8 = 1;
const MARKER: &[u8] = b"M";

/// One indexed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When this node received it (unix ms): TAXII `date_added`.
    pub added_ms: u64,
    /// Its publisher.
    pub publisher: PublicKey,
    /// Its ledger index.
    pub index: u64,
    /// The STIX id.
    pub id: String,
    /// The STIX type.
    pub object_type: String,
    /// The version text (`modified`, `created`, or empty when neither).
    pub version: String,
    /// The version instant (unix ms; `added_ms` when the object has no timestamps).
    pub version_ms: u64,
    /// `spec_version` (`2.1` when absent: SCOs may omit it).
    pub spec_version: String,
}

impl Entry {
    /// The index entry of a held envelope (`None` when it does not decode).
    pub fn of(
        publisher: &PublicKey,
        index: u64,
        added_ms: u64,
        bytes: &[u8],
        max_envelope: usize,
    ) -> Option<Entry> {
        let env = Envelope::decode(bytes, max_envelope).ok()?;
        let object = env.object_json().ok()?;
        let text = |k: &str| object.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let id = text("id")?;
        let version = text("modified")
            .or_else(|| text("created"))
            .unwrap_or_default();
        let version_ms = Timestamp::parse(&version)
            .ok()
            .and_then(|t| u64::try_from(t.unix_millis()).ok())
            .unwrap_or(added_ms);
        Some(Entry {
            added_ms,
            publisher: *publisher,
            index,
            object_type: text("type")?,
            spec_version: text("spec_version").unwrap_or_else(|| "2.1".into()),
            id,
            version,
            version_ms,
        })
    }

    fn value(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(16 + self.id.len() + self.version.len());
        for s in [
            &self.id,
            &self.object_type,
            &self.version,
            &self.spec_version,
        ] {
            v.extend_from_slice(&(s.len().min(u16::MAX as usize) as u16).to_be_bytes());
            v.extend_from_slice(s.as_bytes());
        }
        v.extend_from_slice(&self.added_ms.to_be_bytes());
        v.extend_from_slice(&self.version_ms.to_be_bytes());
        v
    }

    fn decode(publisher: PublicKey, index: u64, v: &[u8]) -> Result<Entry, StoreError> {
        let bad = || StoreError::Corrupt("collection index value is malformed".into());
        let mut rest = v;
        let mut texts = Vec::with_capacity(4);
        for _ in 0..4 {
            let (len, r) = rest.split_at_checked(2).ok_or_else(bad)?;
            let len = u16::from_be_bytes(len.try_into().map_err(|_| bad())?) as usize;
            let (s, r) = r.split_at_checked(len).ok_or_else(bad)?;
            texts.push(String::from_utf8(s.to_vec()).map_err(|_| bad())?);
            rest = r;
        }
        let (added, version_ms) = rest.split_at_checked(8).ok_or_else(bad)?;
        let mut texts = texts.into_iter();
        let mut next = || texts.next().ok_or_else(bad);
        Ok(Entry {
            id: next()?,
            object_type: next()?,
            version: next()?,
            spec_version: next()?,
            added_ms: be64(added, "added time")?,
            version_ms: be64(version_ms, "version time")?,
            publisher,
            index,
        })
    }

    /// The `T` key: date-added order.
    pub fn time_key(&self) -> Vec<u8> {
        time_key(self.added_ms, &self.publisher, self.index)
    }

    fn id_key(&self) -> Vec<u8> {
        let mut k = id_prefix(&self.id);
        k.extend_from_slice(&self.version_ms.to_be_bytes());
        k.extend_from_slice(&self.publisher.0);
        k.extend_from_slice(&self.index.to_be_bytes());
        k
    }

    /// The index records of this entry (key, value).
    pub(super) fn records(&self) -> [(Vec<u8>, Vec<u8>); 2] {
        let v = self.value();
        [(self.time_key(), v.clone()), (self.id_key(), v)]
    }
}

/// The `T` key of a position.
pub fn time_key(added_ms: u64, publisher: &PublicKey, index: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(49);
    k.push(b'T');
    k.extend_from_slice(&added_ms.to_be_bytes());
    k.extend_from_slice(&publisher.0);
    k.extend_from_slice(&index.to_be_bytes());
    k
}

fn id_prefix(id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + id.len() + 48);
    k.push(b'I');
    k.extend_from_slice(id.as_bytes());
    k.push(0);
    k
}

/// Split a `T` key into its position.
fn parse_time_key(k: &[u8]) -> Result<(u64, PublicKey, u64), StoreError> {
    let bad = || StoreError::Corrupt("collection time key is malformed".into());
    if k.len() != 49 || k.first() != Some(&b'T') {
        return Err(bad());
    }
    let added = be64(k.get(1..9).ok_or_else(bad)?, "added time")?;
    let pk: [u8; 32] = k
        .get(9..41)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    let index = be64(k.get(41..49).ok_or_else(bad)?, "ledger index")?;
    Ok((added, PublicKey(pk), index))
}

impl Store {
    /// Indexed objects in `date_added` order, strictly after the position `after`
    /// (a `T` key) or from `added_after_ms` (exclusive) — a seek, not a scan.
    pub fn collection_from(
        &self,
        after: Option<Vec<u8>>,
        added_after_ms: Option<u64>,
    ) -> impl Iterator<Item = Result<Entry, StoreError>> + '_ {
        use std::ops::Bound;
        let from_time =
            added_after_ms.map(|ms| time_key(ms.saturating_add(1), &PublicKey([0; 32]), 0));
        let start = match (after, from_time) {
            (Some(a), Some(t)) if t > a => Bound::Included(t),
            (Some(a), _) => Bound::Excluded(a),
            (None, Some(t)) => Bound::Included(t),
            (None, None) => Bound::Included(b"T".to_vec()),
        };
        self.replicas
            .range((start, Bound::Excluded(b"U".to_vec())))
            .map(|r| {
                let (k, v) = r?;
                let (_, publisher, index) = parse_time_key(&k)?;
                Entry::decode(publisher, index, &v)
            })
    }

    /// Every indexed version of a STIX id, oldest first.
    pub fn versions_of(&self, id: &str) -> Result<Vec<Entry>, StoreError> {
        let prefix = id_prefix(id);
        let mut out = Vec::new();
        for r in self.replicas.scan_prefix(&prefix) {
            let (k, v) = r?;
            let bad = || StoreError::Corrupt("collection id key is malformed".into());
            let tail = k.get(prefix.len()..).ok_or_else(bad)?;
            let pk: [u8; 32] = tail
                .get(8..40)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?;
            let index = be64(tail.get(40..48).ok_or_else(bad)?, "ledger index")?;
            out.push(Entry::decode(PublicKey(pk), index, &v)?);
        }
        Ok(out)
    }

    /// Index every full leaf of a store written before the index existed (once; later
    /// leaves are indexed as they are stored). Returns how many entries were written.
    pub fn ensure_collection_index(&self, max_envelope: usize) -> Result<u64, StoreError> {
        if self.replicas.get(MARKER)?.as_deref() == Some(&[INDEX_FORMAT][..]) {
            return Ok(0);
        }
        let mut batch = sled::Batch::default();
        let mut n = 0u64;
        for item in self.all_held() {
            let (publisher, index, held) = item?;
            if let Held::Full { received_ms, bytes } = held {
                if let Some(e) = Entry::of(&publisher, index, received_ms, &bytes, max_envelope) {
                    for (k, v) in e.records() {
                        batch.insert(k, v);
                    }
                    n = n.saturating_add(1);
                }
            }
        }
        batch.insert(MARKER, &[INDEX_FORMAT][..]);
        self.replicas.apply_batch(batch)?;
        self.replicas.flush()?;
        Ok(n)
    }
}
