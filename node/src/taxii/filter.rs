//! TAXII 2.1 URL filtering and paging parameters (§3.4, §3.5): `added_after`, `limit`,
//! `next`, `match[id]`, `match[type]`, `match[version]`, `match[spec_version]`. Parsed
//! once per request into [`Filters`]; bad values are 400s naming the parameter.

use std::collections::BTreeSet;

use base64::Engine as _;
use shoal_protocol::stix::Timestamp;

use super::error::TaxiiError;
use crate::store::collection::Entry;

/// Objects per page when the client names no `limit`.
pub const DEFAULT_LIMIT: usize = 100;
/// Most objects per page.
pub const MAX_LIMIT: usize = 1000;

/// Which versions of an object to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versions {
    /// The newest (the default).
    Last,
    /// The oldest.
    First,
    /// Every version.
    All,
    /// Versions with these `modified` instants (unix ms).
    At(BTreeSet<u64>),
}

/// Where a page starts: a position in the date-added index, or one of the objects every
/// collection that carries the provenance extension starts with (its definition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// After the `n`-th leading object.
    Lead(usize),
    /// After this date-added index key.
    After(Vec<u8>),
}

/// A request's filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    /// `added_after` (unix ms, exclusive).
    pub added_after_ms: Option<u64>,
    /// `limit`.
    pub limit: usize,
    /// `next`.
    pub next: Option<Cursor>,
    /// `match[id]`.
    pub ids: Option<BTreeSet<String>>,
    /// `match[type]`.
    pub types: Option<BTreeSet<String>>,
    /// `match[version]` (default: last).
    pub versions: Versions,
    /// `match[spec_version]` (default: the newest, 2.1).
    pub spec_versions: Option<BTreeSet<String>>,
}

fn list(v: &str) -> BTreeSet<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn timestamp_ms(param: &str, v: &str) -> Result<u64, TaxiiError> {
    let t = Timestamp::parse(v)
        .map_err(|e| TaxiiError::bad_request(format!("`{param}` {v:?} is not a timestamp: {e}")))?;
    u64::try_from(t.unix_millis())
        .map_err(|_| TaxiiError::bad_request(format!("`{param}` {v:?} is before 1970")))
}

/// Encode a cursor for `next`.
pub fn encode_cursor(c: &Cursor) -> String {
    match c {
        Cursor::Lead(n) => format!("lead-{n}"),
        Cursor::After(key) => base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key),
    }
}

fn decode_cursor(v: &str) -> Result<Cursor, TaxiiError> {
    let bad = || TaxiiError::bad_request(format!("`next` {v:?} is not a cursor this server gave"));
    if let Some(n) = v.strip_prefix("lead-") {
        return n.parse().map(Cursor::Lead).map_err(|_| bad());
    }
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(v)
        .map_err(|_| bad())?;
    if key.len() != 49 || key.first() != Some(&b'T') {
        return Err(bad());
    }
    Ok(Cursor::After(key))
}

impl Filters {
    /// Parse the query parameters. Unknown `match[...]` fields are refused; other
    /// unknown parameters are ignored, as the specification allows.
    pub fn parse<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, TaxiiError> {
        let mut f = Filters {
            added_after_ms: None,
            limit: DEFAULT_LIMIT,
            next: None,
            ids: None,
            types: None,
            versions: Versions::Last,
            spec_versions: None,
        };
        for (k, v) in params {
            match k {
                "added_after" => f.added_after_ms = Some(timestamp_ms(k, v)?),
                "limit" => {
                    let n: usize = v.parse().map_err(|_| {
                        TaxiiError::bad_request(format!("`limit` {v:?} is not a positive number"))
                    })?;
                    if n == 0 {
                        return Err(TaxiiError::bad_request("`limit` must be at least 1"));
                    }
                    f.limit = n.min(MAX_LIMIT);
                }
                "next" => f.next = Some(decode_cursor(v)?),
                "match[id]" => f.ids = Some(list(v)),
                "match[type]" => f.types = Some(list(v)),
                "match[spec_version]" => f.spec_versions = Some(list(v)),
                "match[version]" => {
                    let vals = list(v);
                    f.versions = if vals.contains("all") {
                        Versions::All
                    } else if vals.len() == 1 && vals.contains("last") {
                        Versions::Last
                    } else if vals.len() == 1 && vals.contains("first") {
                        Versions::First
                    } else {
                        Versions::At(
                            vals.iter()
                                .map(|t| timestamp_ms(k, t))
                                .collect::<Result<_, _>>()?,
                        )
                    };
                }
                other if other.starts_with("match[") => {
                    return Err(TaxiiError::bad_request(format!(
                        "`{other}` is not a filter this server supports (id, type, version, spec_version)"
                    )))
                }
                _ => {}
            }
        }
        Ok(f)
    }

    /// Whether an entry passes the id, type and spec_version filters (the version
    /// filter needs the other versions: [`Filters::version_ok`]).
    pub fn matches(&self, e: &Entry) -> bool {
        self.ids.as_ref().is_none_or(|s| s.contains(&e.id))
            && self
                .types
                .as_ref()
                .is_none_or(|s| s.contains(&e.object_type))
            && self
                .spec_versions
                .as_ref()
                .map_or(e.spec_version == "2.1", |s| s.contains(&e.spec_version))
    }

    /// Whether `e` is a version `match[version]` asks for, among `all` versions of its
    /// id (ordered oldest first; ties broken by publisher and index).
    pub fn version_ok(&self, e: &Entry, all: &[Entry]) -> bool {
        let rank = |x: &Entry| (x.version_ms, x.publisher, x.index);
        match &self.versions {
            Versions::All => true,
            Versions::At(set) => set.contains(&e.version_ms),
            Versions::Last => all.iter().map(rank).max() == Some(rank(e)),
            Versions::First => all.iter().map(rank).min() == Some(rank(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_crypto::PublicKey;

    fn entry(id: &str, t: &str, v: u64, idx: u64) -> Entry {
        Entry {
            added_ms: 1000 + idx,
            publisher: PublicKey([1; 32]),
            index: idx,
            id: id.into(),
            object_type: t.into(),
            version: String::new(),
            version_ms: v,
            spec_version: "2.1".into(),
        }
    }

    #[test]
    fn parameters_parse_and_refuse_bad_values() {
        let f = Filters::parse([
            ("added_after", "2026-01-01T00:00:00.500Z"),
            ("limit", "5000"),
            ("match[type]", "indicator,malware"),
            ("match[version]", "all"),
            ("unknown", "ignored"),
        ])
        .unwrap();
        assert_eq!(f.added_after_ms, Some(1_767_225_600_500));
        assert_eq!(f.limit, MAX_LIMIT);
        assert_eq!(f.types.as_ref().map(|t| t.len()), Some(2));
        assert_eq!(f.versions, Versions::All);
        for bad in [
            ("added_after", "yesterday"),
            ("limit", "0"),
            ("limit", "-3"),
            ("next", "garbage!"),
            ("match[version]", "2026-13-01T00:00:00Z"),
            ("match[color]", "red"),
        ] {
            assert_eq!(
                Filters::parse([bad]).unwrap_err().status,
                axum::http::StatusCode::BAD_REQUEST,
                "{bad:?}"
            );
        }
        let c = Cursor::After(crate::store::collection::time_key(
            7,
            &PublicKey([2; 32]),
            9,
        ));
        let f = Filters::parse([("next", encode_cursor(&c).as_str())]).unwrap();
        assert_eq!(f.next, Some(c));
        assert_eq!(
            Filters::parse([("next", "lead-1")]).unwrap().next,
            Some(Cursor::Lead(1))
        );
    }

    #[test]
    fn matching_and_versions() {
        let f = Filters::parse([("match[type]", "indicator")]).unwrap();
        let (a, b, c) = (
            entry("indicator--a", "indicator", 10, 1),
            entry("indicator--a", "indicator", 20, 2),
            entry("malware--m", "malware", 10, 3),
        );
        assert!(f.matches(&a) && !f.matches(&c));
        let all = vec![a.clone(), b.clone()];
        assert!(!f.version_ok(&a, &all) && f.version_ok(&b, &all));
        let first = Filters::parse([("match[version]", "first")]).unwrap();
        assert!(first.version_ok(&a, &all) && !first.version_ok(&b, &all));
        let at = Filters::parse([("match[version]", "1970-01-01T00:00:00.020Z")]).unwrap();
        assert!(at.version_ok(&b, &all) && !at.version_ok(&a, &all));
        let spec = Filters::parse([("match[spec_version]", "2.0")]).unwrap();
        assert!(!spec.matches(&a));
    }
}
