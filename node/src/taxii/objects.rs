//! Reading a network collection (§5.3-§5.7): pages of objects or manifest records in
//! `date_added` order, walked through the collection index (`store::collection`) from
//! the cursor or `added_after` — a seek per page, never a scan of what came before —
//! and the versions of one object through its id index.
//!
//! Each object is served with Shoal's provenance extension (`stix::provenance`): the
//! signed entry, its tlog-proof against the newest checkpoint verified for the log (from
//! a per-log tree kept in memory and extended as the log grows, so a page costs one
//! inclusion proof per object), witness status, and credibility (`confidence`). Every
//! network collection starts with the two objects that define the extension (its
//! producer identity and the extension-definition), dated 1970-01-01.

use serde_json::{json, Value};
use shoal_protocol::stix::provenance as ext;
use shoal_protocol::Envelope;

use super::collections::Kind;
use super::error::TaxiiError;
use super::filter::{encode_cursor, Cursor, Filters, Versions};
use super::media::STIX;
use crate::api::AppState;
pub use crate::export::ProofCache;
use crate::store::collection::Entry;
use crate::store::replicas::Held;
use crate::store::StoreError;

/// A TAXII timestamp (millisecond precision) of unix milliseconds.
pub fn timestamp(ms: u64) -> String {
    let secs = i64::try_from(ms / 1000).unwrap_or(0);
    shoal_protocol::dp::time::format_unix(secs)
        .map(|t| t.replace(".000Z", &format!(".{:03}Z", ms % 1000)))
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

/// The objects every network collection starts with.
fn leads() -> [Value; 2] {
    [ext::producer(), ext::definition()]
}

/// One page.
#[derive(Debug, Default)]
pub struct Page {
    /// Objects (or manifest records).
    pub items: Vec<Value>,
    /// More match after this page.
    pub more: bool,
    /// The cursor of the next page.
    pub next: Option<String>,
    /// `date_added` of the first and last item (unix ms).
    pub added: Option<(u64, u64)>,
}

/// What to produce for each matching object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The object with its provenance.
    Objects,
    /// A manifest record.
    Manifest,
}

/// The served form of an indexed object, if it is still held in full and belongs to
/// the collection.
fn materialise(
    st: &AppState,
    cache: &ProofCache,
    kind: &Kind,
    e: &Entry,
    shape: Shape,
) -> Result<Option<Value>, TaxiiError> {
    let held = st
        .store
        .held(&e.publisher, e.index)
        .map_err(TaxiiError::internal)?;
    let Some(Held::Full { received_ms, bytes }) = held else {
        return Ok(None);
    };
    // A leaf stored twice before its first commit leaves a stale time entry behind.
    if received_ms != e.added_ms {
        return Ok(None);
    }
    let Ok(env) = Envelope::decode(&bytes, st.max_envelope_bytes) else {
        return Ok(None);
    };
    if let Kind::Network(Some(c)) = kind {
        if &env.body.community != c {
            return Ok(None);
        }
    }
    if shape == Shape::Manifest {
        return Ok(Some(json!({
            "id": e.id,
            "date_added": timestamp(e.added_ms),
            "version": if e.version.is_empty() { timestamp(e.added_ms) } else { e.version.clone() },
            "media_type": STIX,
        })));
    }
    let object = crate::export::Exporter {
        store: &st.store,
        proofs: cache,
        witness_policy: st.witness_policy.as_ref(),
        credibility: &st.credibility,
        now: crate::daemon::unix_now(),
    }
    .object(&e.publisher, e.index, &env, bytes)
    .map_err(TaxiiError::internal)?;
    Ok(Some(object))
}

/// Whether an entry passes every filter, its versions included.
fn passes(st: &AppState, f: &Filters, e: &Entry) -> Result<bool, TaxiiError> {
    if !f.matches(e) {
        return Ok(false);
    }
    if f.versions == Versions::All {
        return Ok(true);
    }
    let all = st.store.versions_of(&e.id).map_err(TaxiiError::internal)?;
    Ok(f.version_ok(e, &all))
}

/// A page of a network collection.
pub fn page(
    st: &AppState,
    cache: &ProofCache,
    kind: &Kind,
    f: &Filters,
    shape: Shape,
) -> Result<Page, TaxiiError> {
    let mut page = Page::default();
    let mut last: Option<Cursor> = None;
    let note_added = |page: &mut Page, ms: u64| {
        page.added = Some(match page.added {
            None => (ms, ms),
            Some((first, _)) => (first, ms),
        });
    };
    // The leading definition objects (dated 1970: any `added_after` skips them).
    let lead_from = match &f.next {
        None => Some(0),
        Some(Cursor::Lead(n)) => Some(n.saturating_add(1)),
        Some(Cursor::After(_)) => None,
    };
    if let (Some(from), None, None) = (lead_from, f.added_after_ms, &f.ids) {
        for (i, obj) in leads().into_iter().enumerate().skip(from) {
            let t = obj["type"].as_str().unwrap_or_default().to_owned();
            if f.types.as_ref().is_some_and(|s| !s.contains(&t))
                || f.spec_versions.as_ref().is_some_and(|s| !s.contains("2.1"))
            {
                continue;
            }
            if page.items.len() >= f.limit {
                page.more = true;
                break;
            }
            page.items.push(match shape {
                Shape::Objects => obj,
                Shape::Manifest => json!({
                    "id": obj["id"],
                    "date_added": timestamp(0),
                    "version": obj["modified"],
                    "media_type": STIX,
                }),
            });
            note_added(&mut page, 0);
            last = Some(Cursor::Lead(i));
        }
    }
    let after = match &f.next {
        Some(Cursor::After(k)) => Some(k.clone()),
        _ => None,
    };
    if !page.more {
        let entries: Box<dyn Iterator<Item = Result<Entry, StoreError>>> = match &f.ids {
            // A few ids: their versions, in date-added order.
            Some(ids) => {
                let mut v = Vec::new();
                for id in ids {
                    v.extend(st.store.versions_of(id).map_err(TaxiiError::internal)?);
                }
                v.sort_by_key(Entry::time_key);
                v.retain(|e| {
                    after.as_ref().is_none_or(|a| e.time_key() > *a)
                        && f.added_after_ms.is_none_or(|t| e.added_ms > t)
                });
                Box::new(v.into_iter().map(Ok))
            }
            None => Box::new(st.store.collection_from(after, f.added_after_ms)),
        };
        for e in entries {
            let e = e.map_err(TaxiiError::internal)?;
            if !passes(st, f, &e)? {
                continue;
            }
            if page.items.len() >= f.limit {
                // Only a served object counts as "more".
                if materialise(st, cache, kind, &e, Shape::Manifest)?.is_some() {
                    page.more = true;
                    break;
                }
                continue;
            }
            let Some(item) = materialise(st, cache, kind, &e, shape)? else {
                continue;
            };
            page.items.push(item);
            note_added(&mut page, e.added_ms);
            last = Some(Cursor::After(e.time_key()));
        }
    }
    if page.more {
        page.next = last.as_ref().map(encode_cursor);
    }
    Ok(page)
}
