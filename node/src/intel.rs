//! Queries over the intel this node received from other publishers (the store's
//! `replicas` tree): filters by STIX type, a case-insensitive value substring,
//! publication time, publisher and community, paged by a (publisher, index) cursor.
//! The one implementation behind `GET /api/v1/intel` and `shoal query`, with the
//! parameter parsing they share and the one-line summaries the CLI prints.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shoal_crypto::keys::PublicKey;
use shoal_protocol::{Envelope, Tlp};

use crate::store::replicas::Held;
use crate::store::{Store, StoreError};

/// Items answered when no limit is given.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page.
pub const MAX_LIMIT: usize = 10_000;
/// Longest `value` needle accepted (bytes).
pub const MAX_VALUE_LEN: usize = 1024;

/// What to look for. Every filter given must match; items come in (publisher, index)
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// STIX type of the object (`indicator`, `ipv4-addr`, ...), ASCII case-insensitive.
    pub kind: Option<String>,
    /// Case-insensitive substring of the object's canonical JSON: matches indicator
    /// patterns, SCO values, names (and any other property text).
    pub value: Option<String>,
    /// Only items with `published_at >= since` (unix seconds).
    pub since: Option<u64>,
    /// Only this publisher's items.
    pub publisher: Option<PublicKey>,
    /// Only items shared in this community.
    pub community: Option<String>,
    /// Page size (1 to [`MAX_LIMIT`]; clamped).
    pub limit: usize,
    /// Cursor: only items after this (publisher, index).
    pub after: Option<(PublicKey, u64)>,
    /// Only items whose credibility is at least this (0 to 1).
    pub min_credibility: Option<f64>,
}

impl Default for Query {
    fn default() -> Self {
        Self {
            kind: None,
            value: None,
            since: None,
            publisher: None,
            community: None,
            limit: DEFAULT_LIMIT,
            after: None,
            min_credibility: None,
        }
    }
}

/// One received item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Publisher public key, hex.
    pub publisher: String,
    /// Publisher's libp2p peer id.
    pub publisher_peer_id: String,
    /// Position in the publisher's ledger.
    pub ledger_index: u64,
    /// RFC 9162 leaf hash of the envelope, hex.
    pub leaf_hash: String,
    /// Coarse publication time (unix seconds).
    pub published_at: u64,
    /// When this node received it (unix ms).
    pub received_at_ms: u64,
    /// TLP level.
    pub tlp: Tlp,
    /// Community it was shared in.
    pub community: String,
    /// The STIX object.
    pub object: Value,
    /// The publisher signed two conflicting histories (a verified equivocation proof is
    /// held: `GET /api/v1/misbehaviour`); treat its items with suspicion.
    pub equivocating: bool,
    /// The item is under a checkpoint cosigned by enough trusted witnesses
    /// (`[provenance] min_witnesses` of `witnesses`).
    pub witnessed: bool,
    /// Its credibility (`GET /api/v1/intel/{id}/credibility` explains it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credibility: Option<Scored>,
}

/// An item's credibility in short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// In `[0, 1]`.
    pub credibility: f64,
    /// As STIX `confidence` (0-100).
    pub confidence: u8,
    /// Admiralty code.
    pub admiralty: String,
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    /// Number of items in this page.
    pub count: usize,
    /// The items.
    pub items: Vec<Item>,
    /// Cursor for the next page (pass as `after`), `None` when nothing more matches.
    pub next: Option<String>,
}

/// A bad query parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query parameter `{param}`: {reason}")]
pub struct ParamError {
    /// The parameter's name.
    pub param: String,
    /// What is wrong with it.
    pub reason: String,
}

/// `param` is wrong because of `reason`.
pub(crate) fn bad(param: &str, reason: impl Into<String>) -> ParamError {
    ParamError {
        param: param.to_owned(),
        reason: reason.into(),
    }
}

/// Query parameters as `(name, trimmed value, raw value)`, in order: a name given twice
/// is an error, and empty values count as absent (skipped). Every query string is read
/// through this.
pub(crate) fn distinct_params<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> impl Iterator<Item = Result<(&'a str, &'a str, &'a str), ParamError>> {
    let mut seen: Vec<&'a str> = Vec::new();
    params.into_iter().filter_map(move |(name, raw)| {
        if seen.contains(&name) {
            return Some(Err(bad(name, "given more than once")));
        }
        seen.push(name);
        let v = raw.trim();
        (!v.is_empty()).then_some(Ok((name, v, raw)))
    })
}

impl Query {
    /// Build a query from `name=value` parameters (`type`, `value`, `since`,
    /// `publisher`, `community`, `limit`, `after`). Empty values count as absent;
    /// unknown or repeated names are errors.
    pub fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ParamError> {
        let mut q = Query::default();
        for p in distinct_params(params) {
            let (name, v, raw) = p?;
            match name {
                "type" => q.kind = Some(v.to_owned()),
                "value" => {
                    if v.len() > MAX_VALUE_LEN {
                        return Err(bad(name, format!("longer than {MAX_VALUE_LEN} bytes")));
                    }
                    q.value = Some(raw.to_owned());
                }
                "since" => q.since = Some(parse_since(v).map_err(|r| bad(name, r))?),
                "publisher" => q.publisher = Some(parse_publisher(v).map_err(|r| bad(name, r))?),
                "community" => {
                    shoal_protocol::envelope::check_community(v)
                        .map_err(|e| bad(name, e.to_string()))?;
                    q.community = Some(v.to_owned());
                }
                "limit" => q.limit = parse_limit(v).map_err(|r| bad(name, r))?,
                "after" => q.after = Some(parse_cursor(v).map_err(|r| bad(name, r))?),
                "min_credibility" => {
                    q.min_credibility = Some(
                        v.parse::<f64>()
                            .ok()
                            .filter(|x| (0.0..=1.0).contains(x))
                            .ok_or_else(|| bad(name, format!("{v:?} is not a number from 0 to 1")))?,
                    )
                }
                _ => return Err(bad(
                    name,
                    "unknown (expected type, value, since, publisher, community, limit, after or min_credibility)",
                )),
            }
        }
        Ok(q)
    }
}

/// A page size: 1 to [`MAX_LIMIT`].
pub fn parse_limit(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(format!(
            "must be an integer from 1 to {MAX_LIMIT}, got {s:?}"
        )),
    }
}

/// A time: unix seconds, an RFC 3339 date-time (`2026-11-26T00:00:00Z`, fractions and
/// `±HH:MM` offsets allowed) or a date (`2026-11-26`, midnight UTC).
pub fn parse_since(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let shape = || {
        format!(
            "expected unix seconds, an RFC 3339 time like 2026-11-26T00:00:00Z or a date like 2026-11-26, got {s:?}"
        )
    };
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u64>().map_err(|_| shape());
    }
    let upper = s.to_ascii_uppercase();
    if upper.len() == 10 {
        return rfc3339_utc(&format!("{upper}T00:00:00Z"), 0, s);
    }
    if upper.ends_with('Z') {
        return rfc3339_utc(&upper, 0, s);
    }
    // A numeric offset: `...±HH:MM`.
    let split = upper.len().checked_sub(6).ok_or_else(shape)?;
    let (base, offset) = (
        upper.get(..split).ok_or_else(shape)?,
        upper.get(split..).ok_or_else(shape)?,
    );
    let ob = offset.as_bytes();
    let sign: i64 = match ob.first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(shape()),
    };
    let two = |i: usize| -> Option<i64> {
        let t = offset.get(i..i.checked_add(2)?)?;
        if t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse::<i64>().ok()
        } else {
            None
        }
    };
    let (hh, mm) = match (two(1), ob.get(3), two(4)) {
        (Some(h), Some(b':'), Some(m)) if h <= 23 && m <= 59 => (h, m),
        _ => return Err(shape()),
    };
    let offset_secs = sign * (hh * 3600 + mm * 60);
    rfc3339_utc(&format!("{base}Z"), offset_secs, s)
}

/// Unix seconds of a UTC RFC 3339 text, minus `offset_secs`.
fn rfc3339_utc(text: &str, offset_secs: i64, original: &str) -> Result<u64, String> {
    let ts = shoal_protocol::stix::Timestamp::parse(text)
        .map_err(|e| format!("{original:?} is not a valid time: {e}"))?;
    let unix = ts
        .unix_seconds()
        .checked_sub(offset_secs)
        .ok_or_else(|| format!("{original:?} is out of range"))?;
    u64::try_from(unix).map_err(|_| format!("{original:?} is before 1970"))
}

/// A publisher: its 64-hex public key or its peer id.
pub fn parse_publisher(s: &str) -> Result<PublicKey, String> {
    let s = s.trim();
    if s.len() == 64 {
        if let Ok(bytes) = hex::decode(s) {
            if let Ok(arr) = <[u8; 32]>::try_from(bytes.as_slice()) {
                return Ok(PublicKey(arr));
            }
        }
    }
    let peer: libp2p::PeerId = s
        .parse()
        .map_err(|_| format!("expected a 64-hex public key or a peer id, got {s:?}"))?;
    crate::net::peer_key::public_key(&peer)
        .ok_or_else(|| format!("peer id {s} does not embed an Ed25519 key"))
}

/// A cursor as returned in `next`: `<publisher hex>:<index>`.
pub fn parse_cursor(s: &str) -> Result<(PublicKey, u64), String> {
    let shape = || {
        format!("expected a cursor `<64-hex publisher>:<index>` as returned in `next`, got {s:?}")
    };
    let (pk, idx) = s.trim().split_once(':').ok_or_else(shape)?;
    let bytes = hex::decode(pk).map_err(|_| shape())?;
    let arr = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| shape())?;
    let idx = idx.parse::<u64>().map_err(|_| shape())?;
    Ok((PublicKey(arr), idx))
}

/// The cursor text of a position.
pub fn format_cursor(publisher: &PublicKey, index: u64) -> String {
    format!("{}:{index}", hex::encode(publisher.0))
}

type HeldIter<'a> = Box<dyn Iterator<Item = Result<(PublicKey, u64, Held), StoreError>> + 'a>;

/// Run `q` over the held replicas, scoring each item with `credibility` at `now` (unix
/// seconds). Hash-only leaves are skipped, as are (with a warning) envelopes that no
/// longer decode.
pub fn run(
    store: &Store,
    q: &Query,
    max_envelope: usize,
    credibility: &crate::credibility::Credibility,
    now: u64,
) -> Result<QueryResult, StoreError> {
    let limit = q.limit.clamp(1, MAX_LIMIT);
    let needle = q.value.as_deref().map(str::to_lowercase);
    let leaves: HeldIter<'_> = match q.publisher {
        Some(pk) => {
            let start = match q.after {
                None => Some(0),
                Some((a, _)) if a < pk => Some(0),
                Some((a, i)) if a == pk => i.checked_add(1),
                Some(_) => None,
            };
            match start {
                Some(s) => Box::new(
                    store
                        .held_from(&pk, s)
                        .map(move |r| r.map(|(i, h)| (pk, i, h))),
                ),
                None => Box::new(std::iter::empty()),
            }
        }
        None => Box::new(store.held_after(q.after)),
    };
    let mut items = Vec::new();
    let mut next = None;
    for leaf in leaves {
        let (publisher, index, held) = leaf?;
        let Held::Full { received_ms, bytes } = held else {
            continue;
        };
        let Some(mut item) = matching(
            q,
            needle.as_deref(),
            &publisher,
            index,
            received_ms,
            &bytes,
            max_envelope,
        ) else {
            continue;
        };
        item.credibility = item
            .object
            .get("id")
            .and_then(Value::as_str)
            .and_then(|id| credibility.score(id, &publisher, now))
            .map(|e| Scored {
                credibility: e.credibility,
                confidence: e.confidence,
                admiralty: e.admiralty,
            });
        if let Some(min) = q.min_credibility {
            if item
                .credibility
                .as_ref()
                .is_none_or(|c| c.credibility < min)
            {
                continue;
            }
        }
        if items.len() >= limit {
            next = items
                .last()
                .map(|i: &(PublicKey, u64, Item)| format_cursor(&i.0, i.1));
            break;
        }
        items.push((publisher, index, item));
    }
    let mut flagged: std::collections::HashMap<PublicKey, (bool, u64)> =
        std::collections::HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    for (publisher, index, mut item) in items {
        let (f, w) = match flagged.get(&publisher) {
            Some(f) => *f,
            None => {
                let f = (
                    store.is_equivocating(&publisher)?,
                    store.witnessed_size(&publisher)?,
                );
                flagged.insert(publisher, f);
                f
            }
        };
        item.equivocating = f;
        item.witnessed = index < w;
        out.push(item);
    }
    let items = out;
    Ok(QueryResult {
        count: items.len(),
        items,
        next,
    })
}

/// The item for a held envelope if it matches every filter of `q`.
fn matching(
    q: &Query,
    needle: Option<&str>,
    publisher: &PublicKey,
    index: u64,
    received_ms: u64,
    bytes: &[u8],
    max_envelope: usize,
) -> Option<Item> {
    let env = match Envelope::decode(bytes, max_envelope) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(publisher = %hex::encode(publisher.0), index, error = %e, "skipping a held envelope that does not decode");
            return None;
        }
    };
    let body = &env.body;
    if body.publisher != *publisher || body.ledger_index != index {
        tracing::warn!(publisher = %hex::encode(publisher.0), index, "skipping a held envelope stored under the wrong position");
        return None;
    }
    if q.since.is_some_and(|s| body.published_at < s) {
        return None;
    }
    if q.community.as_deref().is_some_and(|c| c != body.community) {
        return None;
    }
    if let Some(n) = needle {
        if !String::from_utf8_lossy(&body.object)
            .to_lowercase()
            .contains(n)
        {
            return None;
        }
    }
    let object = match env.object_json() {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(publisher = %hex::encode(publisher.0), index, error = %e, "skipping a held envelope whose object does not parse");
            return None;
        }
    };
    if let Some(kind) = &q.kind {
        let t = object
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !t.eq_ignore_ascii_case(kind) {
            return None;
        }
    }
    Some(Item {
        publisher: hex::encode(publisher.0),
        publisher_peer_id: publisher
            .peer_id()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        ledger_index: index,
        leaf_hash: hex::encode(shoal_crypto::hash::leaf_hash(bytes)),
        published_at: body.published_at,
        received_at_ms: received_ms,
        tlp: body.tlp,
        community: body.community.clone(),
        object,
        equivocating: false,
        witnessed: false,
        credibility: None,
    })
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (the raw number when out of range).
pub fn format_time(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|u| shoal_protocol::dp::time::format_unix(u).ok())
        .map(|t| t.replace(".000Z", "Z"))
        .unwrap_or_else(|| unix.to_string())
}

/// What identifies an object to a reader: an indicator's pattern, an SCO's value, a
/// name, a file hash, else the id. Whitespace runs become single spaces.
pub fn summary(object: &Value) -> String {
    let s = |k: &str| object.get(k).and_then(Value::as_str);
    let text = s("pattern")
        .or_else(|| s("value"))
        .or_else(|| s("name"))
        .map(str::to_owned)
        .or_else(|| {
            object
                .get("hashes")
                .and_then(Value::as_object)
                .and_then(|h| h.iter().next())
                .and_then(|(alg, v)| v.as_str().map(|v| format!("{alg}:{v}")))
        })
        .or_else(|| s("id").map(str::to_owned))
        .unwrap_or_default();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A peer id shortened for tables: `…` and its last 8 characters.
pub fn short_peer_id(peer_id: &str) -> String {
    let n = peer_id.chars().count();
    if n <= 12 {
        return peer_id.to_owned();
    }
    let tail: String = peer_id.chars().skip(n.saturating_sub(8)).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::replicas::ReplicaBatch;
    use serde_json::json;
    use shoal_crypto::NodeKey;
    use shoal_protocol::EnvelopeBody;

    const MAX: usize = 1 << 20;

    fn indicator(n: u32, pattern: &str) -> Value {
        json!({
            "type": "indicator",
            "spec_version": "2.1",
            "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z"
        })
    }

    fn ipv4(n: u32, value: &str) -> Value {
        json!({
            "type": "ipv4-addr",
            "spec_version": "2.1",
            "id": format!("ipv4-addr--00000000-0000-4000-8000-{n:012}"),
            "value": value
        })
    }

    fn malware(n: u32, name: &str) -> Value {
        json!({
            "type": "malware",
            "spec_version": "2.1",
            "id": format!("malware--00000000-0000-4000-8000-{n:012}"),
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": name,
            "is_family": true
        })
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        store: Store,
        a: NodeKey,
        b: NodeKey,
    }

    impl Fixture {
        /// Credibility over the fixture's store (no trust roots).
        fn cred(&self) -> std::sync::Arc<crate::credibility::Credibility> {
            crate::credibility::Credibility::load(&self.store, Default::default(), None, MAX)
                .unwrap()
        }
    }

    fn put(
        batch: &mut ReplicaBatch,
        key: &NodeKey,
        index: u64,
        at: u64,
        tlp: Tlp,
        community: &str,
        obj: Value,
    ) {
        let obj = shoal_protocol::validate_object(obj, 0).unwrap();
        let bytes = EnvelopeBody::for_object(key.public(), index, at, tlp, community, &obj)
            .unwrap()
            .sign_encoded(key)
            .unwrap();
        batch.leaf(
            &key.public(),
            index,
            &Held::Full {
                received_ms: at * 1000 + 5,
                bytes,
            },
        );
    }

    /// Publisher A (5 items, one hash-only), publisher B (3 items), keys ordered A < B.
    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store"), 4).unwrap();
        let (mut a, mut b) = (NodeKey::from_seed([1; 32]), NodeKey::from_seed([2; 32]));
        if b.public() < a.public() {
            std::mem::swap(&mut a, &mut b);
        }
        let mut batch = ReplicaBatch::default();
        put(
            &mut batch,
            &a,
            0,
            1_000,
            Tlp::Clear,
            "energy",
            indicator(1, "[ipv4-addr:value = '198.51.100.7']"),
        );
        put(
            &mut batch,
            &a,
            1,
            2_000,
            Tlp::Green,
            "energy",
            ipv4(2, "198.51.100.7"),
        );
        batch.leaf(
            &a.public(),
            2,
            &Held::Hash {
                received_ms: 1,
                hash: [9; 32],
            },
        );
        put(
            &mut batch,
            &a,
            3,
            3_000,
            Tlp::Amber,
            "water",
            malware(3, "BlackEnergy"),
        );
        put(
            &mut batch,
            &a,
            4,
            4_000,
            Tlp::Clear,
            "water",
            indicator(4, "[domain-name:value = 'evil.example']"),
        );
        put(
            &mut batch,
            &b,
            0,
            1_500,
            Tlp::Clear,
            "energy",
            ipv4(5, "203.0.113.9"),
        );
        put(
            &mut batch,
            &b,
            1,
            2_500,
            Tlp::Green,
            "water",
            indicator(6, "[url:value = 'http://EVIL.example/x']"),
        );
        put(
            &mut batch,
            &b,
            2,
            3_500,
            Tlp::Clear,
            "energy",
            malware(7, "Industroyer"),
        );
        store.apply_replicas(batch).unwrap();
        Fixture {
            _dir: dir,
            store,
            a,
            b,
        }
    }

    fn positions(f: &Fixture, q: &Query) -> Vec<(char, u64)> {
        run(&f.store, q, MAX, &f.cred(), 0)
            .unwrap()
            .items
            .iter()
            .map(|i| {
                let who = if i.publisher == hex::encode(f.a.public().0) {
                    'a'
                } else {
                    'b'
                };
                (who, i.ledger_index)
            })
            .collect()
    }

    #[test]
    fn intel_lists_full_items_in_order_with_their_metadata() {
        let f = fixture();
        let r = run(&f.store, &Query::default(), MAX, &f.cred(), 0).unwrap();
        assert_eq!(r.count, 7);
        assert_eq!(r.next, None);
        assert_eq!(
            positions(&f, &Query::default()),
            vec![
                ('a', 0),
                ('a', 1),
                ('a', 3),
                ('a', 4),
                ('b', 0),
                ('b', 1),
                ('b', 2)
            ]
        );
        let first = &r.items[0];
        assert_eq!(
            first.publisher_peer_id,
            f.a.public().peer_id().unwrap().to_string()
        );
        assert_eq!(first.published_at, 1_000);
        assert_eq!(first.received_at_ms, 1_000_005);
        assert_eq!(first.tlp, Tlp::Clear);
        assert_eq!(first.community, "energy");
        assert_eq!(first.object["type"], "indicator");
        let held = f.store.held(&f.a.public(), 0).unwrap().unwrap();
        assert_eq!(first.leaf_hash, hex::encode(held.leaf_hash()));
        // The JSON shape of the API.
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["count"], 7);
        assert!(v["next"].is_null());
        assert_eq!(v["items"][1]["tlp"], "green");
        for k in [
            "publisher",
            "publisher_peer_id",
            "ledger_index",
            "leaf_hash",
            "published_at",
            "received_at_ms",
            "tlp",
            "community",
            "object",
        ] {
            assert!(v["items"][0].get(k).is_some(), "missing {k}");
        }
    }

    #[test]
    fn intel_filters_each_field() {
        let f = fixture();
        let q = |kv: &[(&str, &str)]| Query::from_params(kv.iter().copied()).unwrap();
        assert_eq!(
            positions(&f, &q(&[("type", "indicator")])),
            vec![('a', 0), ('a', 4), ('b', 1)]
        );
        assert_eq!(
            positions(&f, &q(&[("type", "IPv4-Addr")])),
            vec![('a', 1), ('b', 0)]
        );
        // Value: case-insensitive, hits patterns, SCO values and names.
        assert_eq!(
            positions(&f, &q(&[("value", "198.51.100.7")])),
            vec![('a', 0), ('a', 1)]
        );
        assert_eq!(
            positions(&f, &q(&[("value", "evil.EXAMPLE")])),
            vec![('a', 4), ('b', 1)]
        );
        assert_eq!(
            positions(&f, &q(&[("value", "blackenergy")])),
            vec![('a', 3)]
        );
        assert_eq!(
            positions(&f, &q(&[("type", "indicator"), ("value", "198.51")])),
            vec![('a', 0)]
        );
        // Since: inclusive, unix or RFC 3339.
        assert_eq!(
            positions(&f, &q(&[("since", "3000")])),
            vec![('a', 3), ('a', 4), ('b', 2)]
        );
        assert_eq!(
            positions(&f, &q(&[("since", "1970-01-01T00:50:00Z")])),
            vec![('a', 3), ('a', 4), ('b', 2)]
        );
        // Publisher: hex or peer id.
        let b_hex = hex::encode(f.b.public().0);
        let b_peer = f.b.public().peer_id().unwrap().to_string();
        assert_eq!(
            positions(&f, &q(&[("publisher", &b_hex)])),
            vec![('b', 0), ('b', 1), ('b', 2)]
        );
        assert_eq!(
            positions(&f, &q(&[("publisher", &b_peer)])),
            vec![('b', 0), ('b', 1), ('b', 2)]
        );
        assert_eq!(
            positions(&f, &q(&[("community", "water")])),
            vec![('a', 3), ('a', 4), ('b', 1)]
        );
        assert_eq!(
            positions(
                &f,
                &q(&[
                    ("community", "energy"),
                    ("since", "1500"),
                    ("type", "ipv4-addr")
                ])
            ),
            vec![('a', 1), ('b', 0)]
        );
        assert!(positions(&f, &q(&[("value", "no such thing")])).is_empty());
        // Empty parameters are absent.
        assert_eq!(positions(&f, &q(&[("type", ""), ("value", "")])).len(), 7);
    }

    #[test]
    fn intel_pages_with_limit_and_cursor() {
        let f = fixture();
        let mut q = Query {
            limit: 3,
            ..Query::default()
        };
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let r = run(&f.store, &q, MAX, &f.cred(), 0).unwrap();
            pages += 1;
            assert!(r.count <= 3);
            seen.extend(
                r.items
                    .iter()
                    .map(|i| (i.publisher.clone(), i.ledger_index)),
            );
            match r.next {
                Some(c) => q.after = Some(parse_cursor(&c).unwrap()),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), 7);
        let all: Vec<_> = run(&f.store, &Query::default(), MAX, &f.cred(), 0)
            .unwrap()
            .items
            .into_iter()
            .map(|i| (i.publisher, i.ledger_index))
            .collect();
        assert_eq!(seen, all);

        // A page that ends exactly on the last match has no `next`.
        let r = run(
            &f.store,
            &Query {
                limit: 7,
                ..Query::default()
            },
            MAX,
            &f.cred(),
            0,
        )
        .unwrap();
        assert_eq!((r.count, r.next), (7, None));
        let r = run(
            &f.store,
            &Query {
                limit: 6,
                ..Query::default()
            },
            MAX,
            &f.cred(),
            0,
        )
        .unwrap();
        assert_eq!(r.next, Some(format_cursor(&f.b.public(), 1)));

        // The cursor with a publisher filter, before, at and after that publisher.
        let a = f.a.public();
        let b = f.b.public();
        let with = |publisher, after| Query {
            publisher: Some(publisher),
            after: Some(after),
            ..Query::default()
        };
        assert_eq!(
            positions(&f, &with(b, (a, 3))),
            vec![('b', 0), ('b', 1), ('b', 2)]
        );
        assert_eq!(positions(&f, &with(a, (a, 1))), vec![('a', 3), ('a', 4)]);
        assert!(positions(&f, &with(a, (b, 0))).is_empty());
        assert!(positions(&f, &with(a, (a, u64::MAX))).is_empty());
        // Filtered paging: `next` is the last returned match.
        let q = Query {
            kind: Some("indicator".into()),
            limit: 1,
            ..Query::default()
        };
        let r = run(&f.store, &q, MAX, &f.cred(), 0).unwrap();
        assert_eq!(r.next, Some(format_cursor(&a, 0)));
        let q = Query {
            after: Some((a, 0)),
            ..q
        };
        assert_eq!(positions(&f, &q), vec![('a', 4)]);
    }

    #[test]
    fn intel_parameters_are_checked() {
        let err = |kv: &[(&str, &str)]| Query::from_params(kv.iter().copied()).unwrap_err().param;
        assert_eq!(err(&[("limit", "0")]), "limit");
        assert_eq!(err(&[("limit", "10001")]), "limit");
        assert_eq!(err(&[("limit", "x")]), "limit");
        assert_eq!(err(&[("since", "yesterday")]), "since");
        assert_eq!(err(&[("since", "2026-13-01")]), "since");
        assert_eq!(err(&[("publisher", "abc")]), "publisher");
        assert_eq!(err(&[("community", "Bad Name")]), "community");
        assert_eq!(err(&[("after", "zz:1")]), "after");
        assert_eq!(err(&[("colour", "red")]), "colour");
        assert_eq!(err(&[("type", "a"), ("type", "b")]), "type");
        let long = "x".repeat(MAX_VALUE_LEN + 1);
        assert_eq!(err(&[("value", long.as_str())]), "value");
        let q = Query::from_params([("limit", "10000")]).unwrap();
        assert_eq!(q.limit, MAX_LIMIT);
        assert_eq!(Query::from_params([]).unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn intel_since_accepts_unix_rfc3339_and_dates() {
        assert_eq!(parse_since("0"), Ok(0));
        assert_eq!(parse_since("1795651200"), Ok(1_795_651_200));
        assert_eq!(parse_since("2026-11-26T00:00:00Z"), Ok(1_795_651_200));
        assert_eq!(parse_since("2026-11-26t00:00:00z"), Ok(1_795_651_200));
        assert_eq!(parse_since("2026-11-26T00:00:00.750Z"), Ok(1_795_651_200));
        assert_eq!(parse_since("2026-11-26"), Ok(1_795_651_200));
        assert_eq!(parse_since("2026-11-26T02:00:00+02:00"), Ok(1_795_651_200));
        assert_eq!(parse_since("2026-11-25T19:00:00-05:00"), Ok(1_795_651_200));
        assert_eq!(parse_since("2024-02-29T00:00:00Z"), Ok(1_709_164_800));
        for bad in [
            "",
            "-5",
            "2026-11-26T00:00:00",
            "2026-02-30",
            "2026-11-26T00:00:00+24:00",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00+00:01",
            "soon",
        ] {
            assert!(parse_since(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn intel_publisher_and_display_helpers() {
        let k = NodeKey::from_seed([4; 32]).public();
        assert_eq!(parse_publisher(&hex::encode(k.0)), Ok(k));
        assert_eq!(parse_publisher(&k.peer_id().unwrap().to_string()), Ok(k));
        assert!(parse_publisher("12D3KooWnotapeer").is_err());
        assert_eq!(parse_cursor(&format_cursor(&k, 42)), Ok((k, 42)));
        assert_eq!(format_time(1_795_651_200), "2026-11-26T00:00:00Z");
        assert_eq!(
            summary(&indicator(1, "[a:b = 'c']\n AND  [d:e = 'f']")),
            "[a:b = 'c'] AND [d:e = 'f']"
        );
        assert_eq!(summary(&ipv4(1, "10.0.0.1")), "10.0.0.1");
        assert_eq!(summary(&malware(1, "X")), "X");
        assert_eq!(
            summary(&json!({"type": "file", "hashes": {"SHA-256": "ab"}})),
            "SHA-256:ab"
        );
        assert_eq!(summary(&json!({"type": "x", "id": "x--1"})), "x--1");
        assert_eq!(short_peer_id("12D3KooWAbcdefghijklmnop"), "…ijklmnop");
        assert_eq!(short_peer_id("short"), "short");
    }
}
