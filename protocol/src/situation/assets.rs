//! The local asset inventory and its matcher: which network intel and vulnerabilities a
//! node holds touch the member's own IP ranges, domains, software (CPE 2.3) and CVEs.
//!
//! **Privacy: matching happens locally.** The inventory is read from the member's own
//! configuration, used only inside [`match_assets`] (a pure function on data already held)
//! and never published, logged, sent to peers or put into any envelope; the matches are
//! shown only to the member. Nothing here does I/O.
//!
//! # Matching
//!
//! * **Indicators**: the `pattern` (STIX patterns only, parsed with
//!   [`crate::stix::pattern::parse`]) is walked for non-negated `=` / `IN` comparisons on
//!   `ipv4-addr:value`, `ipv6-addr:value` (addresses or CIDR ranges), `domain-name:value`,
//!   `url:value` (its host), `network-traffic:src_ref.value` / `dst_ref.value` and
//!   `software:cpe`.
//! * **Cyber observables** held as objects: `ipv4-addr` / `ipv6-addr` / `domain-name` /
//!   `url` `value` and `software` `cpe`.
//! * **Vulnerabilities**: a CVE id (see [`super::aggregate::cve_ids`]) listed in the
//!   inventory, or a `software` object linked to the vulnerability by any relationship whose
//!   CPE matches an inventory CPE.
//!
//! An IP matches when the ranges overlap (either contains the other); a domain matches the
//! inventory domain and its subdomains; CPEs match on part, vendor and product
//! (case-insensitive) and version — a version `*`, `-` or absent on either side matches any
//! version. With a [`Query`], only items published inside its window are matched (links to
//! software are resolved over all items). Matches are deduplicated per (asset, kind, item),
//! keeping the best credibility; ordered by credibility (unknown last), then item id, asset.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::aggregate::{bucket_of, cve_id, cve_ids, label_of};
use super::{ItemFacts, Query, SituationError};
use crate::stix::pattern::ast::{
    CmpOp, ComparisonExpr, Literal, ObservationExpr, Operand, PathStep,
};

/// Largest inventory accepted by [`AssetInventory::from_json`].
pub const MAX_INVENTORY_BYTES: usize = 4 * 1024 * 1024;
/// Most entries per inventory list.
pub const MAX_INVENTORY_ENTRIES: usize = 100_000;

/// A member's own assets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssetInventory {
    /// IP ranges (CIDR) and addresses.
    pub ip_ranges: Vec<String>,
    /// Domains (a domain matches itself and its subdomains).
    pub domains: Vec<String>,
    /// Software as CPE 2.3 names (`cpe:2.3:a:vendor:product:version:...`).
    pub software: Vec<String>,
    /// CVE ids known to affect the assets.
    pub cves: Vec<String>,
}

/// One piece of network intel that touches a local asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetMatch {
    /// The local asset it touches (as written in the inventory).
    pub asset: String,
    /// `ip`, `domain`, `software` or `cve`.
    pub kind: String,
    /// STIX id of the item.
    pub item_id: String,
    /// STIX type of the item.
    pub item_type: String,
    /// Display label (name or pattern).
    pub label: String,
    /// Publisher key, hex.
    pub publisher: String,
    /// Credibility of the item, if known.
    pub credibility: Option<f64>,
}

impl AssetInventory {
    /// Parse and validate an inventory (JSON object with `ip_ranges`, `domains`,
    /// `software`, `cves`, each optional). Returns it normalized (see [`Self::validated`]).
    pub fn from_json(bytes: &[u8]) -> Result<Self, SituationError> {
        if bytes.len() > MAX_INVENTORY_BYTES {
            return Err(SituationError::Assets(format!(
                "{} bytes, more than {MAX_INVENTORY_BYTES}",
                bytes.len()
            )));
        }
        let inv: AssetInventory = serde_json::from_slice(bytes)
            .map_err(|e| SituationError::Assets(format!("not an inventory: {e}")))?;
        inv.validated()
    }

    /// Check every entry and normalize: IPs and CIDRs parse (prefix within the address
    /// length; a bare address is a /32 or /128), domains are lowercased without a trailing
    /// dot and have valid labels, software entries are CPE 2.3 names with part, vendor and
    /// product, CVE ids have the form `CVE-yyyy-nnnn` (uppercased). The first bad entry is
    /// reported with its list and index.
    pub fn validated(&self) -> Result<Self, SituationError> {
        for (name, list) in [
            ("ip_ranges", &self.ip_ranges),
            ("domains", &self.domains),
            ("software", &self.software),
            ("cves", &self.cves),
        ] {
            if list.len() > MAX_INVENTORY_ENTRIES {
                return Err(SituationError::Assets(format!(
                    "{name}: {} entries, more than {MAX_INVENTORY_ENTRIES}",
                    list.len()
                )));
            }
        }
        let bad = |list: &str, i: usize, entry: &str, why: String| {
            SituationError::Assets(format!("{list}[{i}]: {entry:?} {why}"))
        };
        let mut out = AssetInventory::default();
        for (i, e) in self.ip_ranges.iter().enumerate() {
            let net = parse_net(e).map_err(|why| bad("ip_ranges", i, e, why))?;
            out.ip_ranges.push(if e.contains('/') {
                net.to_string()
            } else {
                net.addr().to_string()
            });
        }
        for (i, e) in self.domains.iter().enumerate() {
            out.domains
                .push(normalize_domain(e).map_err(|why| bad("domains", i, e, why))?);
        }
        for (i, e) in self.software.iter().enumerate() {
            Cpe::parse(e).map_err(|why| bad("software", i, e, why))?;
            out.software.push(e.trim().to_owned());
        }
        for (i, e) in self.cves.iter().enumerate() {
            out.cves.push(
                cve_id(e).ok_or_else(|| {
                    bad("cves", i, e, "is not a CVE id (CVE-yyyy-nnnn)".to_owned())
                })?,
            );
        }
        Ok(out)
    }

    /// Whether the inventory lists nothing.
    pub fn is_empty(&self) -> bool {
        self.ip_ranges.is_empty()
            && self.domains.is_empty()
            && self.software.is_empty()
            && self.cves.is_empty()
    }
}

/// Parse an address or CIDR range.
fn parse_net(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    if let Some((addr, prefix)) = s.split_once('/') {
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("is not an IP range: {addr:?} is not an IP address"))?;
        let len: u8 = prefix
            .parse()
            .map_err(|_| format!("is not an IP range: prefix {prefix:?} is not a number"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if len > max {
            return Err(format!(
                "is not an IP range: prefix /{len} is longer than {max} bits"
            ));
        }
        IpNet::new(addr, len).map_err(|e| format!("is not an IP range: {e}"))
    } else {
        let addr: IpAddr = s
            .parse()
            .map_err(|_| "is not an IP address or CIDR range".to_owned())?;
        Ok(IpNet::from(addr))
    }
}

/// Lowercase, drop a trailing dot, check labels.
fn normalize_domain(s: &str) -> Result<String, String> {
    let d = s.trim().trim_end_matches('.').to_ascii_lowercase();
    if d.is_empty() {
        return Err("is not a domain name (empty)".to_owned());
    }
    if d.len() > 253 {
        return Err("is not a domain name (longer than 253 characters)".to_owned());
    }
    for label in d.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "is not a domain name (label {label:?} must have 1 to 63 characters)"
            ));
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "is not a domain name (label {label:?} has a character other than letters, \
                 digits, '-' and '_')"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "is not a domain name (label {label:?} starts or ends with '-')"
            ));
        }
    }
    Ok(d)
}

/// The parts of a CPE 2.3 formatted string that matching uses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cpe {
    part: String,
    vendor: String,
    product: String,
    version: Option<String>,
}

impl Cpe {
    fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("cpe:2.3:") else {
            return Err("is not a CPE 2.3 name (must start with \"cpe:2.3:\")".to_owned());
        };
        // Split on ':' not escaped by a backslash.
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut escaped = false;
        for c in rest.chars() {
            if escaped {
                cur.push(c);
                escaped = false;
            } else if c == '\\' {
                cur.push(c);
                escaped = true;
            } else if c == ':' {
                fields.push(std::mem::take(&mut cur));
            } else {
                cur.push(c);
            }
        }
        fields.push(cur);
        if fields.len() > 11 {
            return Err(format!(
                "is not a CPE 2.3 name ({} components after \"cpe:2.3:\", at most 11)",
                fields.len()
            ));
        }
        let mut it = fields.into_iter();
        let part = it.next().unwrap_or_default();
        let vendor = it.next().unwrap_or_default();
        let product = it.next().unwrap_or_default();
        let version = it.next().filter(|v| !v.is_empty() && v != "*" && v != "-");
        if !matches!(part.as_str(), "a" | "o" | "h" | "*") {
            return Err(format!(
                "is not a CPE 2.3 name (part {part:?} must be a, o, h or *)"
            ));
        }
        if vendor.is_empty() || product.is_empty() {
            return Err("is not a CPE 2.3 name (vendor and product are required)".to_owned());
        }
        Ok(Cpe {
            part,
            vendor,
            product,
            version,
        })
    }

    fn matches(&self, other: &Cpe) -> bool {
        let eq = |a: &str, b: &str| a == b || a == "*" || b == "*";
        eq(&self.part, &other.part)
            && eq(&self.vendor, &other.vendor)
            && eq(&self.product, &other.product)
            && match (&self.version, &other.version) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// A value an item mentions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Mention {
    Ip(String),
    Domain(String),
    Cpe(String),
}

/// The host of a URL (`scheme://[user@]host[:port]/…`), lowercased, brackets removed.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// A host (domain or IP) as a mention.
fn host_mention(host: &str) -> Mention {
    if parse_net(host).is_ok() {
        Mention::Ip(host.to_owned())
    } else {
        Mention::Domain(host.to_ascii_lowercase())
    }
}

fn mention_of(object_type: &str, steps: &[PathStep], value: &str) -> Option<Mention> {
    let keys: Vec<&str> = steps
        .iter()
        .map(|s| match s {
            PathStep::Key(k) => k.as_str(),
            _ => "",
        })
        .collect();
    match (object_type, keys.as_slice()) {
        ("ipv4-addr" | "ipv6-addr", ["value"]) => Some(Mention::Ip(value.to_owned())),
        ("domain-name", ["value"]) => Some(Mention::Domain(value.to_ascii_lowercase())),
        ("url", ["value"]) => url_host(value).map(|h| host_mention(&h)),
        ("network-traffic", ["src_ref" | "dst_ref", "value"]) => Some(host_mention(value)),
        ("software", ["cpe"]) => Some(Mention::Cpe(value.to_owned())),
        _ => None,
    }
}

fn walk_comparison(e: &ComparisonExpr, out: &mut BTreeSet<Mention>) {
    match e {
        ComparisonExpr::Test(c) => {
            if c.negated || !matches!(c.op, CmpOp::Eq | CmpOp::In) {
                return;
            }
            let literals: Vec<&Literal> = match &c.value {
                Operand::Literal(l) => vec![l],
                Operand::Set(ls) => ls.iter().collect(),
            };
            for l in literals {
                if let Literal::String(s) = l {
                    if let Some(m) = mention_of(&c.path.object_type, &c.path.steps, s) {
                        out.insert(m);
                    }
                }
            }
        }
        ComparisonExpr::Exists(_) => {}
        ComparisonExpr::And(v) | ComparisonExpr::Or(v) => {
            for x in v {
                walk_comparison(x, out);
            }
        }
    }
}

fn walk_observation(e: &ObservationExpr, out: &mut BTreeSet<Mention>) {
    match e {
        ObservationExpr::Observation(c) => walk_comparison(c, out),
        ObservationExpr::And(v) | ObservationExpr::Or(v) | ObservationExpr::FollowedBy(v) => {
            for x in v {
                walk_observation(x, out);
            }
        }
        ObservationExpr::Qualified { expr, .. } => walk_observation(expr, out),
    }
}

/// IPs, domains and CPEs an object mentions (indicator patterns, SCO values).
fn mentions(o: &Value) -> BTreeSet<Mention> {
    let mut out = BTreeSet::new();
    let s = |k: &str| o.get(k).and_then(Value::as_str);
    match o.get("type").and_then(Value::as_str) {
        Some("indicator") => {
            let stix = s("pattern_type").is_none_or(|t| t == "stix");
            if let (true, Some(p)) = (stix, s("pattern")) {
                if let Ok(ast) = crate::stix::pattern::parse(p) {
                    walk_observation(&ast.expr, &mut out);
                }
            }
        }
        Some("ipv4-addr" | "ipv6-addr") => {
            if let Some(v) = s("value") {
                out.insert(Mention::Ip(v.to_owned()));
            }
        }
        Some("domain-name") => {
            if let Some(v) = s("value") {
                out.insert(Mention::Domain(v.to_ascii_lowercase()));
            }
        }
        Some("url") => {
            if let Some(h) = s("value").and_then(url_host) {
                out.insert(host_mention(&h));
            }
        }
        Some("software") => {
            if let Some(v) = s("cpe") {
                out.insert(Mention::Cpe(v.to_owned()));
            }
        }
        _ => {}
    }
    out
}

/// The inventory, parsed for matching.
struct Compiled<'a> {
    nets: Vec<(&'a str, IpNet)>,
    /// Normalized domain → the inventory entries that name it.
    domains: HashMap<String, Vec<&'a str>>,
    cpes: Vec<(&'a str, Cpe)>,
    cves: BTreeSet<String>,
    cve_names: BTreeMap<String, &'a str>,
}

impl<'a> Compiled<'a> {
    fn new(inv: &'a AssetInventory) -> Self {
        let mut cve_names = BTreeMap::new();
        let mut cves = BTreeSet::new();
        for c in &inv.cves {
            if let Some(id) = cve_id(c) {
                cve_names.entry(id.clone()).or_insert(c.as_str());
                cves.insert(id);
            }
        }
        Compiled {
            nets: inv
                .ip_ranges
                .iter()
                .filter_map(|e| parse_net(e).ok().map(|n| (e.as_str(), n)))
                .collect(),
            domains: inv.domains.iter().fold(HashMap::new(), |mut m, d| {
                let key = d.trim().trim_end_matches('.').to_ascii_lowercase();
                m.entry(key).or_insert_with(Vec::new).push(d.as_str());
                m
            }),
            cpes: inv
                .software
                .iter()
                .filter_map(|e| Cpe::parse(e).ok().map(|c| (e.as_str(), c)))
                .collect(),
            cves,
            cve_names,
        }
    }

    /// Inventory entries a mention touches, with their kind.
    fn touched(&self, m: &Mention) -> Vec<(&'a str, &'static str)> {
        let mut out = Vec::new();
        match m {
            Mention::Ip(v) => {
                if let Ok(net) = parse_net(v) {
                    for (name, n) in &self.nets {
                        if n.contains(&net) || net.contains(n) {
                            out.push((*name, "ip"));
                        }
                    }
                }
            }
            Mention::Domain(d) => {
                // The domain itself and each parent: `a.b.c`, `b.c`, `c`.
                let mut rest = Some(d.trim_end_matches('.'));
                while let Some(suffix) = rest {
                    for name in self.domains.get(suffix).into_iter().flatten() {
                        out.push((*name, "domain"));
                    }
                    rest = suffix.split_once('.').map(|(_, parent)| parent);
                }
            }
            Mention::Cpe(c) => {
                if let Ok(cpe) = Cpe::parse(c) {
                    for (name, mine) in &self.cpes {
                        if mine.matches(&cpe) {
                            out.push((*name, "software"));
                        }
                    }
                }
            }
        }
        out
    }
}

/// Everything held that touches the inventory (see the module notes). Local only.
pub fn match_assets(
    items: &[ItemFacts],
    inventory: &AssetInventory,
    window: Option<&Query>,
) -> Vec<AssetMatch> {
    let inv = Compiled::new(inventory);
    if inventory.is_empty() {
        return Vec::new();
    }
    // Software objects by id, and relationship neighbours, over all items.
    let mut software: HashMap<&str, &str> = HashMap::new();
    let mut adjacent: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for it in items {
        let o = &it.object;
        let s = |k: &str| o.get(k).and_then(Value::as_str);
        match s("type") {
            Some("software") => {
                if let (Some(id), Some(cpe)) = (s("id"), s("cpe")) {
                    software.insert(id, cpe);
                }
            }
            Some("relationship") => {
                if let (Some(a), Some(b)) = (s("source_ref"), s("target_ref")) {
                    adjacent.entry(a).or_default().insert(b);
                    adjacent.entry(b).or_default().insert(a);
                }
            }
            _ => {}
        }
    }

    let mut found: BTreeMap<(String, &'static str, String), AssetMatch> = BTreeMap::new();
    let mut record = |asset: &str, kind: &'static str, it: &ItemFacts, id: &str, ty: &str| {
        let key = (asset.to_owned(), kind, id.to_owned());
        let candidate = AssetMatch {
            asset: asset.to_owned(),
            kind: kind.to_owned(),
            item_id: id.to_owned(),
            item_type: ty.to_owned(),
            label: label_of(&it.object),
            publisher: it.publisher.clone(),
            credibility: it.credibility.filter(|c| c.is_finite()),
        };
        match found.get_mut(&key) {
            Some(existing) => {
                let better = match (candidate.credibility, existing.credibility) {
                    (Some(a), Some(b)) => a > b,
                    (Some(_), None) => true,
                    _ => false,
                };
                if better {
                    *existing = candidate;
                }
            }
            None => {
                found.insert(key, candidate);
            }
        }
    };

    for it in items {
        if let Some(q) = window {
            if bucket_of(q, it.published_at).is_none() {
                continue;
            }
        }
        let o = &it.object;
        let (Some(id), Some(ty)) = (
            o.get("id").and_then(Value::as_str),
            o.get("type").and_then(Value::as_str),
        ) else {
            continue;
        };
        if ty == "vulnerability" {
            for cve in cve_ids(o) {
                if inv.cves.contains(&cve) {
                    let name = inv.cve_names.get(&cve).copied().unwrap_or(cve.as_str());
                    record(name, "cve", it, id, ty);
                }
            }
            for other in adjacent.get(id).into_iter().flatten() {
                if let Some(cpe) = software.get(other) {
                    for (asset, kind) in inv.touched(&Mention::Cpe((*cpe).to_owned())) {
                        record(asset, kind, it, id, ty);
                    }
                }
            }
            continue;
        }
        for m in mentions(o) {
            for (asset, kind) in inv.touched(&m) {
                record(asset, kind, it, id, ty);
            }
        }
    }

    let mut out: Vec<AssetMatch> = found.into_values().collect();
    out.sort_by(|a, b| {
        let ca = a.credibility.unwrap_or(f64::NEG_INFINITY);
        let cb = b.credibility.unwrap_or(f64::NEG_INFINITY);
        cb.total_cmp(&ca)
            .then_with(|| a.item_id.cmp(&b.item_id))
            .then_with(|| a.asset.cmp(&b.asset))
            .then_with(|| a.kind.cmp(&b.kind))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("https://a.B.com:443/x?y").as_deref(),
            Some("a.b.com")
        );
        assert_eq!(
            url_host("http://u:p@[2001:db8::1]:80/").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            url_host("evil.example/path").as_deref(),
            Some("evil.example")
        );
        assert_eq!(url_host("https:///x"), None);
    }

    #[test]
    fn cpes() {
        let a = Cpe::parse("cpe:2.3:a:Acme:web:2.4:*:*:*:*:*:*:*").unwrap();
        assert_eq!(a.vendor, "acme");
        assert_eq!(a.version.as_deref(), Some("2.4"));
        let any = Cpe::parse("cpe:2.3:a:acme:web:*").unwrap();
        let other = Cpe::parse("cpe:2.3:a:acme:web:3.0").unwrap();
        assert!(a.matches(&any) && any.matches(&other) && !a.matches(&other));
        assert!(!a.matches(&Cpe::parse("cpe:2.3:o:acme:web:2.4").unwrap()));
        // An escaped colon stays inside its component.
        let esc = Cpe::parse(r"cpe:2.3:a:ac\:me:web:1").unwrap();
        assert_eq!(esc.vendor, r"ac\:me");
        assert!(Cpe::parse("cpe:2.3:a:v:p:1:2:3:4:5:6:7:8:9").is_err());
    }

    #[test]
    fn ranges_overlap_both_ways() {
        let inv = AssetInventory {
            ip_ranges: vec!["10.1.0.0/16".into(), "192.0.2.7".into()],
            ..AssetInventory::default()
        };
        let c = Compiled::new(&inv);
        let hits = |v: &str| c.touched(&Mention::Ip(v.into())).len();
        assert_eq!(hits("10.1.2.3"), 1);
        assert_eq!(hits("10.0.0.0/8"), 1); // the indicator's range contains the asset's
        assert_eq!(hits("192.0.2.0/24"), 1);
        assert_eq!(hits("10.2.0.1"), 0);
        assert_eq!(hits("not an ip"), 0);
    }
}
