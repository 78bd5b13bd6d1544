//! Situation awareness on the node: gathers [`ItemFacts`] from the store (the node's own
//! ledger entries and every replicated publisher's full envelopes, each with its privacy
//! receipt and credibility), keeps them cached and refreshed incrementally, loads the
//! local asset inventory (`[situation] assets`, never published), and answers
//! [`shoal_protocol::situation::aggregate`] and
//! [`shoal_protocol::situation::neighbourhood`] for `GET /api/v1/situation`,
//! `GET /api/v1/situation/graph/{id}`, the `/situation` page ([`page`]) and
//! `shoal situation`.
//!
//! Refresh: the own ledger is read from the next unread index; received items are found
//! through the collection index's date-added order (`store::collection`), re-reading a
//! short slack window and skipping positions already held, so an anchor with many
//! members' items answers from memory and only decodes what is new. Stores are re-read
//! at most every `situation.refresh_ms`; credibility is re-scored when the trust vector
//! changes or once a minute.

pub mod api;
pub mod page;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shoal_crypto::keys::PublicKey;
use shoal_protocol::dp::PrivacyReceipt;
use shoal_protocol::situation::{
    self, AssetInventory, Graph, ItemFacts, Query, Situation, MAX_BUCKETS,
};
use shoal_protocol::{Envelope, ExtensionKind};

use crate::credibility::Credibility;
use crate::intel::{bad, distinct_params, ParamError};
use crate::store::{Store, StoreError};

/// Window used when `from` is not given.
pub const DEFAULT_WINDOW_SECS: u64 = 7 * 86_400;
/// Bucket width used when `bucket` is not given.
pub const DEFAULT_BUCKET_SECS: u64 = 3600;
/// Graph depth used when `depth` is not given.
pub const DEFAULT_DEPTH: usize = 2;
/// Deepest neighbourhood served.
pub const MAX_DEPTH: usize = 6;
/// Graph size used when `max_nodes` is not given.
pub const DEFAULT_MAX_NODES: usize = 150;
/// Largest graph served.
pub const MAX_NODES: usize = 2000;
/// Largest asset inventory file read.
pub const MAX_INVENTORY_BYTES: u64 = 16 << 20;
/// Received items re-read behind the newest one seen (receive times of concurrently
/// stored batches need not be monotonic).
const SLACK_MS: u64 = 300_000;
/// Credibility of cached items is re-scored at least this often (scores decay)...
const RESCORE: Duration = Duration::from_secs(60);
/// ...and when the trust vector changed, at most this often.
const RESCORE_MIN: Duration = Duration::from_secs(10);

/// A bucket width: a duration with a unit (`15m`, `1h`, `1d`, `1w`, `30s`) or whole
/// seconds.
pub fn parse_bucket(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("must be a positive number of seconds, got {s:?}")),
        };
    }
    shoal_config::parse_duration(s)
}

/// The window and bucket asked for, as given (times as unix seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    /// `from`, if given.
    pub from: Option<u64>,
    /// `to`, if given.
    pub to: Option<u64>,
    /// `bucket`, if given.
    pub bucket: Option<u64>,
}

impl Window {
    /// Parse `from`, `to` (unix seconds, RFC 3339 or a date) and `bucket` (`1h`, `15m`,
    /// `1d` or seconds). Empty values count as absent; unknown or repeated names are
    /// errors.
    pub fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ParamError> {
        let mut w = Window::default();
        for p in distinct_params(params) {
            let (name, v, _) = p?;
            match name {
                "from" => w.from = Some(crate::intel::parse_since(v).map_err(|r| bad(name, r))?),
                "to" => w.to = Some(crate::intel::parse_since(v).map_err(|r| bad(name, r))?),
                "bucket" => w.bucket = Some(parse_bucket(v).map_err(|r| bad(name, r))?),
                _ => return Err(bad(name, "unknown (expected from, to or bucket)")),
            }
        }
        Ok(w)
    }

    /// The query at `now`: defaults are the last 7 days up to the end of the current
    /// bucket, in 1-hour buckets.
    pub fn query(&self, now: u64) -> Result<Query, ParamError> {
        let bucket = self.bucket.unwrap_or(DEFAULT_BUCKET_SECS);
        let aligned_now = now
            .div_ceil(bucket)
            .checked_mul(bucket)
            .ok_or_else(|| bad("bucket", "is too large"))?;
        let to = match (self.to, self.from) {
            (Some(t), _) => t,
            (None, _) => aligned_now.max(1),
        };
        let from = match self.from {
            Some(f) => f,
            None => to.saturating_sub(DEFAULT_WINDOW_SECS),
        };
        if from >= to {
            let which = if self.from.is_some() { "from" } else { "to" };
            return Err(bad(
                which,
                format!("the window is empty: `from` ({from}) must be before `to` ({to})"),
            ));
        }
        let buckets = (to - from).div_ceil(bucket);
        if buckets > MAX_BUCKETS {
            return Err(bad(
                "bucket",
                format!(
                    "{bucket}-second buckets over a {}-second window make {buckets} buckets, more than {MAX_BUCKETS}; widen the bucket or narrow the window",
                    to - from
                ),
            ));
        }
        Ok(Query {
            from_unix: from,
            to_unix: to,
            bucket_secs: bucket,
            now_unix: now,
        })
    }
}

/// Graph parameters: `depth` (1 to [`MAX_DEPTH`], default 2) and `max_nodes` (1 to
/// [`MAX_NODES`], default 150).
pub fn graph_params<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(usize, usize), ParamError> {
    let (mut depth, mut max_nodes) = (DEFAULT_DEPTH, DEFAULT_MAX_NODES);
    for p in distinct_params(params) {
        let (name, v, _) = p?;
        let n = |max: usize| match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(bad(
                name,
                format!("must be an integer from 1 to {max}, got {v:?}"),
            )),
        };
        match name {
            "depth" => depth = n(MAX_DEPTH)?,
            "max_nodes" => max_nodes = n(MAX_NODES)?,
            _ => return Err(bad(name, "unknown (expected depth or max_nodes)")),
        }
    }
    Ok((depth, max_nodes))
}

/// Check that `id` looks like a STIX id (`type--uuid`).
pub fn check_stix_id(id: &str) -> Result<(), String> {
    let ok = id.len() <= 256
        && id.split_once("--").is_some_and(|(t, u)| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && uuid::Uuid::parse_str(u).is_ok()
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a STIX id such as indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
        ))
    }
}

/// What the local asset inventory holds (counts only) and whether it loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryStatus {
    /// An inventory is configured (`[situation] assets`).
    pub configured: bool,
    /// It is loaded (possibly an older version when `error` is set).
    pub loaded: bool,
    /// IP ranges in it.
    pub ip_ranges: usize,
    /// Domains in it.
    pub domains: usize,
    /// Software (CPE) entries in it.
    pub software: usize,
    /// CVE ids in it.
    pub cves: usize,
    /// Why the current file could not be loaded, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The answer of `GET /api/v1/situation`: the [`Situation`] with the inventory status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// The aggregates.
    #[serde(flatten)]
    pub situation: Situation,
    /// The local asset inventory, in counts.
    pub inventory: InventoryStatus,
    /// Items this node holds in all (own and received, any time).
    pub held: usize,
}

/// Errors of the situation service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The protocol refused the query or inventory.
    #[error(transparent)]
    Situation(#[from] situation::SituationError),
    /// The asset inventory could not be loaded.
    #[error("asset inventory {path}: {reason}")]
    Inventory {
        /// Its path.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Read and parse an asset inventory file.
pub fn load_inventory(path: &Path) -> Result<AssetInventory, Error> {
    let fail = |reason: String| Error::Inventory {
        path: path.display().to_string(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.len() > MAX_INVENTORY_BYTES {
        return Err(fail(format!(
            "is {} bytes, more than {MAX_INVENTORY_BYTES}",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    parse_inventory(&bytes).map_err(fail)
}

/// Parse inventory JSON (the protocol's checks included).
pub fn parse_inventory(bytes: &[u8]) -> Result<AssetInventory, String> {
    AssetInventory::from_json(bytes).map_err(|e| e.to_string())
}

fn status_of(inv: &AssetInventory) -> InventoryStatus {
    InventoryStatus {
        configured: true,
        loaded: true,
        ip_ranges: inv.ip_ranges.len(),
        domains: inv.domains.len(),
        software: inv.software.len(),
        cves: inv.cves.len(),
        error: None,
    }
}

/// The facts of one encoded envelope (`None` when it does not decode or carries no
/// JSON object); `expect` is the (publisher, index) it is stored under.
pub fn facts_of(bytes: &[u8], max_envelope: usize, expect: (&PublicKey, u64)) -> Option<ItemFacts> {
    let env = match Envelope::decode(bytes, max_envelope) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(publisher = %hex::encode(expect.0 .0), index = expect.1, error = %e, "situation: skipping an envelope that does not decode");
            return None;
        }
    };
    if env.body.publisher != *expect.0 || env.body.ledger_index != expect.1 {
        tracing::warn!(publisher = %hex::encode(expect.0 .0), index = expect.1, "situation: skipping an envelope stored under the wrong position");
        return None;
    }
    let object = env.object_json().ok().filter(Value::is_object)?;
    let receipt = env
        .body
        .extensions
        .iter()
        .find(|e| e.kind == ExtensionKind::PRIVACY_RECEIPT)
        .and_then(|e| match PrivacyReceipt::from_extension(e) {
            Ok(r) => Some(r),
            Err(err) => {
                tracing::warn!(publisher = %hex::encode(expect.0 .0), index = expect.1, error = %err, "situation: ignoring a privacy receipt that does not decode");
                None
            }
        });
    Some(ItemFacts {
        publisher: hex::encode(env.body.publisher.0),
        community: env.body.community,
        published_at: env.body.published_at,
        object,
        receipt,
        credibility: None,
    })
}

/// How far the store has been read.
#[derive(Default)]
struct Cursor {
    /// (publisher, index) of every received item read.
    seen: HashSet<(PublicKey, u64)>,
    /// Next own ledger index to read.
    own_next: u64,
    /// Newest date-added (ms) seen in the collection index.
    newest_ms: Option<u64>,
}

impl Cursor {
    /// The items stored since the last call.
    fn read_new(
        &mut self,
        store: &Store,
        own: &PublicKey,
        max: usize,
    ) -> Result<Vec<ItemFacts>, StoreError> {
        let mut out = Vec::new();
        let mut next = self.own_next;
        for e in store.entries_from(self.own_next) {
            let (i, bytes) = e?;
            next = i.saturating_add(1);
            if let Some(f) = facts_of(&bytes, max, (own, i)) {
                out.push(f);
            }
        }
        self.own_next = next;
        let after = self.newest_ms.map(|ms| ms.saturating_sub(SLACK_MS));
        let mut newest = self.newest_ms;
        for entry in store.collection_from(None, after) {
            let entry = entry?;
            newest = Some(newest.map_or(entry.added_ms, |n: u64| n.max(entry.added_ms)));
            let pos = (entry.publisher, entry.index);
            if entry.publisher == *own || self.seen.contains(&pos) {
                continue;
            }
            let Some(crate::store::replicas::Held::Full { bytes, .. }) =
                store.held(&entry.publisher, entry.index)?
            else {
                continue;
            };
            self.seen.insert(pos);
            if let Some(f) = facts_of(&bytes, max, (&entry.publisher, entry.index)) {
                out.push(f);
            }
        }
        self.newest_ms = newest;
        Ok(out)
    }
}

fn score_of(f: &ItemFacts, credibility: &Credibility, now: u64) -> Option<f64> {
    let id = f.object.get("id").and_then(Value::as_str)?;
    let pk = hex::decode(&f.publisher)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())?;
    credibility
        .score(id, &PublicKey(pk), now)
        .map(|e| e.credibility)
}

/// The loaded inventory and the file state it came from.
#[derive(Default)]
struct InventoryState {
    inventory: Option<Arc<AssetInventory>>,
    /// (modified, length) of the file last tried.
    stamp: Option<(Option<SystemTime>, u64)>,
    status: InventoryStatus,
    version: u64,
}

/// The refresh side (one refresher at a time).
#[derive(Default)]
struct Refresher {
    cursor: Cursor,
    refreshed: Option<Instant>,
    /// When every item was last scored, and the trust computation it used.
    scored: Option<(Instant, u64)>,
}

/// A published snapshot of the facts.
#[derive(Default, Clone)]
struct Snapshot {
    facts: Arc<Vec<ItemFacts>>,
    version: u64,
}

type ViewKey = (u64, u64, u64, u64, u64);

/// The node's situation service: cached facts, the inventory and the last answer.
pub struct Situations {
    store: Store,
    own: PublicKey,
    max_envelope: usize,
    credibility: Arc<Credibility>,
    assets: Option<PathBuf>,
    refresh: Duration,
    refresher: Mutex<Refresher>,
    snapshot: RwLock<Snapshot>,
    inventory: Mutex<InventoryState>,
    last: Mutex<Option<(ViewKey, Instant, Arc<View>)>>,
}

impl Situations {
    /// The service over `store`; `assets` is the inventory file (already resolved
    /// against the data directory). Loads the inventory now: a configured inventory that
    /// does not load is an error.
    pub fn new(
        store: Store,
        own: PublicKey,
        max_envelope: usize,
        credibility: Arc<Credibility>,
        assets: Option<PathBuf>,
        refresh: Duration,
    ) -> Result<Self, Error> {
        let this = Self {
            store,
            own,
            max_envelope,
            credibility,
            assets,
            refresh,
            refresher: Mutex::new(Refresher::default()),
            snapshot: RwLock::new(Snapshot::default()),
            inventory: Mutex::new(InventoryState::default()),
            last: Mutex::new(None),
        };
        if let Some(path) = &this.assets {
            let inv = load_inventory(path)?;
            let mut st = this.lock_inventory();
            st.stamp = file_stamp(path);
            st.status = status_of(&inv);
            st.inventory = Some(Arc::new(inv));
            st.version = 1;
        }
        Ok(this)
    }

    /// The service for a data directory's configuration.
    pub fn for_config(
        root: &Path,
        cfg: &shoal_config::Config,
        store: Store,
        own: PublicKey,
        credibility: Arc<Credibility>,
    ) -> Result<Self, Error> {
        Self::new(
            store,
            own,
            cfg.envelope.max_bytes,
            credibility,
            cfg.situation.assets.as_ref().map(|a| root.join(a)),
            Duration::from_millis(cfg.situation.refresh_ms),
        )
    }

    fn lock_inventory(&self) -> std::sync::MutexGuard<'_, InventoryState> {
        self.inventory.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Re-read the inventory file if it changed; a file that no longer loads keeps the
    /// previous inventory and reports the error.
    fn inventory(&self) -> (Option<Arc<AssetInventory>>, InventoryStatus, u64) {
        let Some(path) = &self.assets else {
            return (None, InventoryStatus::default(), 0);
        };
        let mut st = self.lock_inventory();
        let stamp = file_stamp(path);
        if stamp != st.stamp {
            st.stamp = stamp;
            st.version = st.version.wrapping_add(1);
            match load_inventory(path) {
                Ok(inv) => {
                    tracing::info!(path = %path.display(), "asset inventory reloaded");
                    st.status = status_of(&inv);
                    st.inventory = Some(Arc::new(inv));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "asset inventory not reloaded");
                    st.status.error = Some(e.to_string());
                    st.status.loaded = st.inventory.is_some();
                    st.status.configured = true;
                }
            }
        }
        (st.inventory.clone(), st.status.clone(), st.version)
    }

    /// Bring the cached facts up to date (at most every `refresh`); if another request
    /// is refreshing, answer from the current snapshot unless there is none yet.
    pub fn refresh(&self, now: u64) -> Result<(), StoreError> {
        let mut r = match self.refresher.try_lock() {
            Ok(r) => r,
            Err(std::sync::TryLockError::WouldBlock) => {
                if self.snapshot_now().version > 0 {
                    return Ok(());
                }
                self.refresher.lock().unwrap_or_else(|p| p.into_inner())
            }
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        };
        if r.refreshed.is_some_and(|t| t.elapsed() < self.refresh) {
            return Ok(());
        }
        let mut new = r
            .cursor
            .read_new(&self.store, &self.own, self.max_envelope)?;
        r.refreshed = Some(Instant::now());
        for f in &mut new {
            f.credibility = score_of(f, &self.credibility, now);
        }
        // Re-score what is held when the trust vector changed (at most every
        // RESCORE_MIN) or once per RESCORE: scores also decay with age.
        let computed = self.credibility.summary().computed_ms;
        let rescore = r.scored.is_none_or(|(at, c)| {
            at.elapsed() >= RESCORE || (c != computed && at.elapsed() >= RESCORE_MIN)
        });
        let first = self.snapshot_now().version == 0;
        if new.is_empty() && !rescore && !first {
            return Ok(());
        }
        let scores: Option<Vec<Option<f64>>> = rescore.then(|| {
            self.snapshot_now()
                .facts
                .iter()
                .map(|f| score_of(f, &self.credibility, now))
                .collect()
        });
        if rescore {
            r.scored = Some((Instant::now(), computed));
        }
        let added = new.len();
        let mut s = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
        // Copies only if a reader still holds the previous snapshot.
        let facts = Arc::make_mut(&mut s.facts);
        if let Some(scores) = scores {
            for (f, c) in facts.iter_mut().zip(scores) {
                f.credibility = c;
            }
        }
        facts.extend(new);
        s.version = s.version.wrapping_add(1).max(1);
        if added > 0 {
            tracing::debug!(added, held = s.facts.len(), "situation facts refreshed");
        }
        Ok(())
    }

    fn snapshot_now(&self) -> Snapshot {
        self.snapshot
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The facts as of now (refreshing first).
    pub fn facts(&self, now: u64) -> Result<Arc<Vec<ItemFacts>>, StoreError> {
        self.refresh(now)?;
        Ok(self.snapshot_now().facts)
    }

    /// The situation for `q`, from cache when the same window was answered within
    /// `refresh` over the same facts and inventory.
    pub fn view(&self, q: &Query) -> Result<Arc<View>, Error> {
        self.refresh(q.now_unix)?;
        let snap = self.snapshot_now();
        let (inventory, status, inv_version) = self.inventory();
        let key = (
            q.from_unix,
            q.to_unix,
            q.bucket_secs,
            snap.version,
            inv_version,
        );
        {
            let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((k, at, v)) = last.as_ref() {
                if *k == key && at.elapsed() < self.refresh {
                    return Ok(v.clone());
                }
            }
        }
        let situation = situation::aggregate(&snap.facts, q, inventory.as_deref())?;
        let view = Arc::new(View {
            situation,
            inventory: status,
            held: snap.facts.len(),
        });
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((key, Instant::now(), view.clone()));
        Ok(view)
    }

    /// The relationship neighbourhood of `id` (`None` when no held item has that id).
    pub fn graph(
        &self,
        id: &str,
        depth: usize,
        max_nodes: usize,
        now: u64,
    ) -> Result<Option<Graph>, Error> {
        let facts = self.facts(now)?;
        let known = facts.iter().any(|f| {
            f.object.get("id").and_then(Value::as_str) == Some(id)
                || ["sighting_of_ref", "source_ref", "target_ref"]
                    .iter()
                    .any(|k| f.object.get(*k).and_then(Value::as_str) == Some(id))
        });
        if !known {
            return Ok(None);
        }
        Ok(Some(situation::neighbourhood(&facts, id, depth, max_nodes)))
    }
}

fn file_stamp(path: &Path) -> Option<(Option<SystemTime>, u64)> {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.modified().ok(), m.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::replicas::{Held, ReplicaBatch};
    use serde_json::json;
    use shoal_crypto::NodeKey;
    use shoal_protocol::{EnvelopeBody, Tlp};

    const MAX: usize = 1 << 20;

    fn sighting_bytes(key: &NodeKey, index: u64, at: u64) -> Vec<u8> {
        let obj = json!({
            "type": "sighting", "spec_version": "2.1",
            "id": format!("sighting--00000000-0000-4000-8000-{:012x}", index),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "count": 1 + index % 4,
            "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
        });
        EnvelopeBody {
            publisher: key.public(),
            ledger_index: index,
            published_at: at,
            tlp: Tlp::Green,
            community: "energy".into(),
            object: serde_json::to_vec(&obj).unwrap(),
            extensions: Vec::new(),
        }
        .sign_encoded(key)
        .unwrap()
    }

    fn put(store: &Store, keys: &[NodeKey], range: std::ops::Range<u64>, received_ms: u64) {
        let mut batch = ReplicaBatch::default();
        for k in keys {
            for i in range.clone() {
                let bytes = sighting_bytes(k, i, 1_795_600_000 + i * 60);
                batch.leaf(&k.public(), i, &Held::Full { received_ms, bytes });
            }
        }
        store.apply_replicas(batch).unwrap();
    }

    /// Many publishers' items are read once; later refreshes read only what is new, even
    /// when it was stored with an older receive time, and never twice.
    #[test]
    fn situation_facts_refresh_incrementally_without_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store"), 16).unwrap();
        let keys: Vec<NodeKey> = (1..=40u8).map(|s| NodeKey::from_seed([s; 32])).collect();
        put(&store, &keys, 0..25, 1_000_000);
        let cred = Credibility::load(&store, Default::default(), None, MAX).unwrap();
        let own = NodeKey::from_seed([200; 32]).public();
        let svc = Situations::new(store.clone(), own, MAX, cred, None, Duration::ZERO).unwrap();
        let started = Instant::now();
        assert_eq!(svc.facts(0).unwrap().len(), 1000);
        let first = started.elapsed();
        // Nothing new: nothing read again.
        assert_eq!(svc.facts(0).unwrap().len(), 1000);
        // New items, some stored with a receive time before the newest already read.
        put(&store, &keys[..10], 25..30, 999_000);
        put(&store, &keys[10..], 25..27, 2_000_000);
        let facts = svc.facts(0).unwrap();
        assert_eq!(facts.len(), 1000 + 50 + 60);
        let distinct: HashSet<(String, String)> = facts
            .iter()
            .map(|f| (f.publisher.clone(), f.object["id"].to_string()))
            .collect();
        assert_eq!(distinct.len(), facts.len());
        // The aggregate over them answers from memory.
        let q = Query {
            from_unix: 1_795_600_000,
            to_unix: 1_795_600_000 + 7200,
            bucket_secs: 600,
            now_unix: 1_795_700_000,
        };
        let v = svc.view(&q).unwrap();
        assert_eq!(v.held, 1110);
        assert_eq!(v.situation.items, 1110);
        assert!(!v.inventory.configured);
        let again = svc.view(&q).unwrap();
        assert_eq!(again.situation, v.situation);
        eprintln!("first gathering of 1000 items: {first:?}");
    }

    fn w(kv: &[(&str, &str)]) -> Result<Window, ParamError> {
        Window::from_params(kv.iter().copied())
    }

    #[test]
    fn situation_window_defaults_align_to_buckets() {
        let q = w(&[]).unwrap().query(1_795_651_234).unwrap();
        assert_eq!(q.bucket_secs, 3600);
        assert_eq!(q.to_unix, 1_795_654_800);
        assert_eq!(q.from_unix, 1_795_654_800 - DEFAULT_WINDOW_SECS);
        assert_eq!(q.now_unix, 1_795_651_234);
        let q = w(&[
            ("from", "2026-11-26"),
            ("to", "2026-11-27T00:00:00Z"),
            ("bucket", "15m"),
        ])
        .unwrap()
        .query(0)
        .unwrap();
        assert_eq!(
            (q.from_unix, q.to_unix, q.bucket_secs),
            (1_795_651_200, 1_795_737_600, 900)
        );
        assert_eq!(w(&[("bucket", "600")]).unwrap().bucket, Some(600));
        assert_eq!(w(&[("bucket", "1d")]).unwrap().bucket, Some(86_400));
    }

    #[test]
    fn situation_window_errors_name_the_parameter() {
        let err = |kv: &[(&str, &str)]| match w(kv) {
            Err(e) => e.param,
            Ok(win) => win.query(1_795_651_234).unwrap_err().param,
        };
        assert_eq!(err(&[("from", "yesterday")]), "from");
        assert_eq!(err(&[("to", "2026-13-01")]), "to");
        assert_eq!(err(&[("bucket", "0")]), "bucket");
        assert_eq!(err(&[("bucket", "5 parsecs")]), "bucket");
        assert_eq!(err(&[("bucket", "0h")]), "bucket");
        assert_eq!(err(&[("from", "200"), ("to", "100")]), "from");
        assert_eq!(err(&[("to", "0")]), "to");
        assert_eq!(err(&[("from", "0"), ("bucket", "1s")]), "bucket");
        assert_eq!(err(&[("colour", "red")]), "colour");
        assert_eq!(err(&[("from", "1"), ("from", "2")]), "from");
    }

    #[test]
    fn situation_graph_parameters_and_ids_are_checked() {
        let p = |kv: &[(&str, &str)]| graph_params(kv.iter().copied());
        assert_eq!(p(&[]).unwrap(), (DEFAULT_DEPTH, DEFAULT_MAX_NODES));
        assert_eq!(p(&[("depth", "3"), ("max_nodes", "10")]).unwrap(), (3, 10));
        assert_eq!(p(&[("depth", "0")]).unwrap_err().param, "depth");
        assert_eq!(p(&[("depth", "99")]).unwrap_err().param, "depth");
        assert_eq!(p(&[("max_nodes", "x")]).unwrap_err().param, "max_nodes");
        assert_eq!(p(&[("size", "1")]).unwrap_err().param, "size");
        assert!(check_stix_id("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").is_ok());
        assert!(check_stix_id("attack-pattern--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").is_ok());
        assert!(check_stix_id("indicator").is_err());
        assert!(check_stix_id("Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").is_err());
        assert!(check_stix_id("indicator--nope").is_err());
    }
}
