//! The advisory: a STIX 2.1 custom object of type [`ADVISORY_TYPE`] (`x-shoal-advisory`).
//!
//! | property       | rule                                                                   |
//! |----------------|------------------------------------------------------------------------|
//! | `type`         | `"x-shoal-advisory"`                                                   |
//! | `spec_version` | `"2.1"`                                                                |
//! | `id`           | `x-shoal-advisory--<UUID>`                                             |
//! | `created`, `modified` | STIX timestamps to the millisecond, `modified >= created`       |
//! | `severity`     | `critical`, `high`, `medium` or `low`                                  |
//! | `title`        | 1 to [`MAX_TITLE_CHARS`](super::MAX_TITLE_CHARS) characters            |
//! | `description`  | 1 to [`MAX_DESCRIPTION_CHARS`](super::MAX_DESCRIPTION_CHARS) characters|
//! | `scope`        | object of optional lists `sectors`, `regions`, `communities`, `products` (CPE 2.3 formatted strings), `cves` (`CVE-YYYY-NNNN…`); no duplicates; an absent or empty list does not restrict |
//! | `related_refs` | optional, non-empty list of STIX identifiers (the related intel)       |
//! | `deadline`     | STIX timestamp strictly after `created`                                |
//! | `drill`        | optional boolean, default `false` (always written)                     |
//! | `playbook`     | optional CACAO 2.0 playbook ([`super::cacao`])                         |
//!
//! plus the STIX common optional properties (`created_by_ref`, `object_marking_refs`,
//! `labels`, …), checked by the STIX validator and kept as given. Anything else is
//! rejected, so an object cannot claim to be authoritative: [`authority`] is decided by
//! the node from the publisher's admission role.
//!
//! A new version of an advisory keeps its `id` and `created` and moves `modified` forward
//! (STIX versioning); the node should accept versions only from the original publisher.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use super::cacao::{self, Playbook};
use super::{
    as_bool, as_object, as_str, at, bounded_list, bounded_text, head, invalid, join, required,
    timestamp, AdvisoryError, Obj, MAX_DESCRIPTION_CHARS, MAX_RELATED_REFS, MAX_SCOPE_ITEMS,
    MAX_SCOPE_ITEM_CHARS, MAX_TITLE_CHARS,
};
use crate::envelope::check_community;
use crate::stix::{check_identifier, Timestamp};

/// The STIX type of advisories.
pub const ADVISORY_TYPE: &str = "x-shoal-advisory";

const OWN_PROPERTIES: &[&str] = &[
    "severity",
    "title",
    "description",
    "scope",
    "related_refs",
    "deadline",
    "drill",
    "playbook",
];

/// Whether a JSON object claims to be an advisory (by its `type`; validate with
/// [`Advisory::from_object`]).
pub fn is_advisory(object: &Value) -> bool {
    object.get("type").and_then(Value::as_str) == Some(ADVISORY_TYPE)
}

/// How severe an advisory is. Ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
    /// `critical`: members are reminded until they report mitigated or not affected.
    Critical,
}

impl Severity {
    /// The JSON value.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = AdvisoryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "critical" => Ok(Severity::Critical),
            "high" => Ok(Severity::High),
            "medium" => Ok(Severity::Medium),
            "low" => Ok(Severity::Low),
            other => Err(invalid(
                "severity",
                format!("{other:?} is not a severity (critical, high, medium or low)"),
            )),
        }
    }
}

/// Whether an advisory is authoritative: decided by the node from the publisher's
/// admission role, never by the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Authority {
    /// Published by an anchor (regulator).
    Authoritative,
    /// Published by a member.
    Member,
}

/// The authority of an advisory whose envelope publisher is (or is not) an admitted anchor.
pub fn authority(publisher_is_anchor: bool) -> Authority {
    if publisher_is_anchor {
        Authority::Authoritative
    } else {
        Authority::Member
    }
}

/// Who an advisory concerns. An empty list does not restrict on that axis.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Sector names (`[a-z0-9._-]`, as members are admitted with).
    pub sectors: Vec<String>,
    /// Region names (`[a-z0-9._-]`).
    pub regions: Vec<String>,
    /// Community names (the envelope community rule).
    pub communities: Vec<String>,
    /// Affected products as CPE 2.3 formatted strings.
    pub products: Vec<String>,
    /// CVE identifiers.
    pub cves: Vec<String>,
}

impl Scope {
    const LISTS: [&'static str; 5] = ["sectors", "regions", "communities", "products", "cves"];

    fn list(&self, name: &str) -> &Vec<String> {
        match name {
            "sectors" => &self.sectors,
            "regions" => &self.regions,
            "communities" => &self.communities,
            "products" => &self.products,
            _ => &self.cves,
        }
    }

    fn list_mut(&mut self, name: &str) -> &mut Vec<String> {
        match name {
            "sectors" => &mut self.sectors,
            "regions" => &mut self.regions,
            "communities" => &mut self.communities,
            "products" => &mut self.products,
            _ => &mut self.cves,
        }
    }

    /// Whether a member admitted with `sector` and `region` is in scope (empty lists match
    /// everyone; a member with no sector/region matches only an unrestricted axis).
    pub fn includes(&self, sector: Option<&str>, region: Option<&str>) -> bool {
        let axis = |list: &Vec<String>, v: Option<&str>| {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x == v))
        };
        axis(&self.sectors, sector) && axis(&self.regions, region)
    }

    fn parse(v: &Value) -> Result<Scope, AdvisoryError> {
        let map = as_object(v, "scope")?;
        super::only_known(map, "scope", &Self::LISTS)?;
        let mut scope = Scope::default();
        for name in Self::LISTS {
            let Some(v) = map.get(name) else { continue };
            let path = join("scope", name);
            let items = bounded_list(v, &path, MAX_SCOPE_ITEMS)?;
            let out = scope.list_mut(name);
            for (i, item) in items.iter().enumerate() {
                let item_path = at(&path, i);
                let s = bounded_text(item, &item_path, MAX_SCOPE_ITEM_CHARS)?;
                match name {
                    "sectors" | "regions" => check_token(s, &item_path)?,
                    "communities" => {
                        check_community(s).map_err(|e| invalid(item_path.clone(), e.to_string()))?
                    }
                    "products" => check_cpe23(s).map_err(|r| invalid(item_path.clone(), r))?,
                    _ => check_cve(s).map_err(|r| invalid(item_path.clone(), r))?,
                }
                if out.iter().any(|x| x == s) {
                    return Err(invalid(item_path, format!("{s:?} is listed twice")));
                }
                out.push(s.to_owned());
            }
        }
        Ok(scope)
    }

    fn to_value(&self) -> Value {
        let mut map = Map::new();
        for name in Self::LISTS {
            let list = self.list(name);
            if !list.is_empty() {
                map.insert(
                    name.to_owned(),
                    Value::Array(list.iter().cloned().map(Value::String).collect()),
                );
            }
        }
        Value::Object(map)
    }
}

/// A validated advisory.
#[derive(Debug, Clone, PartialEq)]
pub struct Advisory {
    /// `x-shoal-advisory--<UUID>`.
    pub id: String,
    /// First version's time.
    pub created: Timestamp,
    /// This version's time.
    pub modified: Timestamp,
    /// How severe.
    pub severity: Severity,
    /// Short title.
    pub title: String,
    /// What happened and what to do.
    pub description: String,
    /// Who is concerned.
    pub scope: Scope,
    /// The related intel (STIX identifiers).
    pub related_refs: Vec<String>,
    /// When members should have acted.
    pub deadline: Timestamp,
    /// An exercise, not a real emergency.
    pub drill: bool,
    /// The response playbook, validated against CACAO 2.0.
    pub playbook: Option<Playbook>,
    /// STIX common optional properties (`created_by_ref`, `object_marking_refs`, …) as given.
    pub common: Map<String, Value>,
}

impl Advisory {
    /// The properties whose text is free-form and must pass the desensitization pipeline
    /// when a member publishes (the playbook's strings included).
    pub const FREE_TEXT_FIELDS: &'static [&'static str] = &["title", "description", "playbook"];

    /// Parse and validate an advisory object strictly.
    pub fn from_object(value: &Value) -> Result<Advisory, AdvisoryError> {
        let head = head(value, ADVISORY_TYPE, OWN_PROPERTIES)?;
        let map: &Obj = as_object(value, "")?;
        let severity: Severity = as_str(required(map, "", "severity")?, "severity")?.parse()?;
        let title = bounded_text(required(map, "", "title")?, "title", MAX_TITLE_CHARS)?;
        let description = bounded_text(
            required(map, "", "description")?,
            "description",
            MAX_DESCRIPTION_CHARS,
        )?;
        let scope = Scope::parse(required(map, "", "scope")?)?;
        let mut related_refs: Vec<String> = Vec::new();
        if let Some(v) = map.get("related_refs") {
            // validate_object already checked these are identifiers in a non-empty list.
            for (i, item) in bounded_list(v, "related_refs", MAX_RELATED_REFS)?
                .iter()
                .enumerate()
            {
                let path = at("related_refs", i);
                let id = as_str(item, &path)?;
                check_identifier(id).map_err(|e| invalid(path.clone(), e.0))?;
                if related_refs.iter().any(|x| x == id) {
                    return Err(invalid(path, format!("{id:?} is listed twice")));
                }
                related_refs.push(id.to_owned());
            }
        }
        let deadline = timestamp(required(map, "", "deadline")?, "deadline")?;
        if deadline <= head.created {
            return Err(invalid(
                "deadline",
                format!("{deadline} must be after created ({})", head.created),
            ));
        }
        let drill = map
            .get("drill")
            .map(|v| as_bool(v, "drill"))
            .transpose()?
            .unwrap_or(false);
        let playbook = map
            .get("playbook")
            .map(|v| cacao::validate_at(v, "playbook"))
            .transpose()?;
        Ok(Advisory {
            id: head.id,
            created: head.created,
            modified: head.modified,
            severity,
            title: title.to_owned(),
            description: description.to_owned(),
            scope,
            related_refs,
            deadline,
            drill,
            playbook,
            common: head.common,
        })
    }

    /// Parse untrusted bytes (strict JSON) as an advisory.
    pub fn from_bytes(bytes: &[u8]) -> Result<Advisory, AdvisoryError> {
        Advisory::from_object(&super::parse_bytes(bytes)?)
    }

    /// The STIX object (canonical content: empty lists omitted, `drill` always written;
    /// the envelope applies RFC 8785). `from_object(&a.to_object()) == Ok(a)`.
    pub fn to_object(&self) -> Value {
        let mut map = self.common.clone();
        let s = |v: &str| Value::String(v.to_owned());
        map.insert("type".into(), s(ADVISORY_TYPE));
        map.insert("spec_version".into(), s("2.1"));
        map.insert("id".into(), s(&self.id));
        map.insert("created".into(), s(self.created.as_str()));
        map.insert("modified".into(), s(self.modified.as_str()));
        map.insert("severity".into(), s(self.severity.as_str()));
        map.insert("title".into(), s(&self.title));
        map.insert("description".into(), s(&self.description));
        map.insert("scope".into(), self.scope.to_value());
        if !self.related_refs.is_empty() {
            map.insert(
                "related_refs".into(),
                Value::Array(self.related_refs.iter().map(|r| s(r)).collect()),
            );
        }
        map.insert("deadline".into(), s(self.deadline.as_str()));
        map.insert("drill".into(), Value::Bool(self.drill));
        if let Some(playbook) = &self.playbook {
            map.insert("playbook".into(), playbook.to_value());
        }
        Value::Object(map)
    }

    /// Whether members are reminded until they report a final status (critical advisories).
    pub fn needs_reminders(&self) -> bool {
        self.severity == Severity::Critical && !self.revoked()
    }

    /// Whether this version is revoked (STIX `revoked`).
    pub fn revoked(&self) -> bool {
        self.common.get("revoked").and_then(Value::as_bool) == Some(true)
    }
}

/// Sector and region names: 1 to 64 of `[a-z0-9._-]`.
fn check_token(s: &str, path: &str) -> Result<(), AdvisoryError> {
    let ok = s.len() <= 64
        && s.bytes().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(invalid(
            path,
            format!("{s:?} must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'"),
        ))
    }
}

/// `CVE-YYYY-NNNN…` (four to nineteen digits of sequence number).
fn check_cve(s: &str) -> Result<(), String> {
    let bad = || format!("{s:?} is not a CVE identifier (CVE-YYYY-NNNN)");
    let rest = s.strip_prefix("CVE-").ok_or_else(bad)?;
    let (year, number) = rest.split_once('-').ok_or_else(bad)?;
    let digits = |d: &str| d.bytes().all(|c| c.is_ascii_digit());
    if year.len() == 4 && digits(year) && (4..=19).contains(&number.len()) && digits(number) {
        Ok(())
    } else {
        Err(bad())
    }
}

/// A CPE 2.3 formatted string binding (NISTIR 7695 §6.2):
/// `cpe:2.3:part:vendor:product:version:update:edition:language:sw_edition:target_sw:target_hw:other`,
/// part one of `a`, `o`, `h`, `*`, `-`; components non-empty, printable ASCII without
/// spaces, `\` escaping the next character.
fn check_cpe23(s: &str) -> Result<(), String> {
    let rest = s
        .strip_prefix("cpe:2.3:")
        .ok_or_else(|| format!("{s:?} is not a CPE 2.3 formatted string (cpe:2.3:…)"))?;
    let mut components: Vec<String> = vec![String::new()];
    let mut escaped = false;
    for c in rest.chars() {
        if !c.is_ascii_graphic() {
            return Err(format!(
                "{s:?}: CPE components are printable ASCII without spaces"
            ));
        }
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ':' {
            components.push(String::new());
            continue;
        }
        if let Some(last) = components.last_mut() {
            last.push(c);
        }
    }
    if escaped {
        return Err(format!("{s:?}: a trailing '\\' escapes nothing"));
    }
    if components.len() != 11 {
        return Err(format!(
            "{s:?} has {} components after \"cpe:2.3:\", expected 11 (part through other)",
            components.len()
        ));
    }
    if components.iter().any(String::is_empty) {
        return Err(format!(
            "{s:?}: CPE components must not be empty (use * for any)"
        ));
    }
    let part = components.first().map(String::as_str).unwrap_or_default();
    if !matches!(part, "a" | "o" | "h" | "*" | "-") {
        return Err(format!("{s:?}: part {part:?} must be a, o, h, * or -"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe_and_cve() {
        assert!(
            check_cpe23("cpe:2.3:o:siemens:simatic_s7-1500_firmware:2.9.2:*:*:*:*:*:*:*").is_ok()
        );
        assert!(check_cpe23("cpe:2.3:a:vendor:prod\\:uct:1.0:*:*:*:*:*:*:*").is_ok());
        assert!(check_cpe23("cpe:2.3:x:v:p:1:*:*:*:*:*:*:*").is_err());
        assert!(check_cpe23("cpe:2.3:a:v:p:1:*:*:*:*:*:*").is_err());
        assert!(check_cpe23("cpe:/a:v:p:1").is_err());
        assert!(check_cpe23("cpe:2.3:a:v::1:*:*:*:*:*:*:*").is_err());
        assert!(check_cve("CVE-2024-12345").is_ok());
        assert!(check_cve("cve-2024-1234").is_err());
        assert!(check_cve("CVE-24-1234").is_err());
        assert!(check_cve("CVE-2024-123").is_err());
    }

    #[test]
    fn scope_matching() {
        let scope = Scope {
            sectors: vec!["energy".into()],
            ..Scope::default()
        };
        assert!(scope.includes(Some("energy"), None));
        assert!(!scope.includes(Some("water"), Some("north")));
        assert!(!scope.includes(None, None));
        assert!(Scope::default().includes(None, None));
    }
}
