//! MISP in: a MISP event (JSON as MISP exports it, `{"Event": {...}}`, or as PyMISP's
//! `MISPEvent.to_json()` writes it, without the wrapper) converted to STIX 2.1 objects
//! for the normal publish pipeline.
//!
//! | MISP attribute | STIX 2.1 |
//! |---|---|
//! | `ip-src`, `ip-dst` (and `…|port`: the address) | `ipv4-addr` / `ipv6-addr` |
//! | `domain`, `hostname` (and `domain|ip`: the domain) | `domain-name` |
//! | `url`, `uri`, `link` | `url` |
//! | `email`, `email-src`, `email-dst` | `email-addr` |
//! | `md5`, `sha1`, `sha256`, `sha512` (and `filename|<hash>`) | `file` with `hashes` (and `name`) |
//! | `filename` | `file` `name` |
//! | `mutex` | `mutex` |
//! | `regkey` | `windows-registry-key` |
//! | `AS` | `autonomous-system` |
//! | `mac-address` | `mac-addr` |
//! | `vulnerability` | `vulnerability` (an SDO, whatever `to_ids` says) |
//!
//! An attribute with `to_ids` becomes an `indicator` whose pattern matches the
//! observable (id `indicator--<attribute uuid>`, `valid_from` its timestamp); without it,
//! the observable itself. Attribute sightings become STIX `sighting`s of the indicator
//! (MISP type 1, false positive, sets `x_shoal_false_positive`); tags `tlp:*` become TLP
//! 2.0 markings (an attribute's own TLP tag wins over the event's), other tags `labels`;
//! the event becomes a `report` referring to everything converted. Attributes inside MISP
//! objects are converted the same way. Every other attribute type, and every value that
//! does not make a valid object, is **reported** in [`Conversion::unsupported`] with its
//! uuid, type and the reason — never its value — rather than dropped silently.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::stix::validate_object;
use crate::tlp::Tlp;

/// Most attributes converted from one event.
pub const MAX_ATTRIBUTES: usize = 100_000;

/// Why an input is not a MISP event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MispError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// JSON, but not a MISP event.
    #[error("not a MISP event: {0}")]
    NotAnEvent(&'static str),
    /// Too many attributes.
    #[error("the event has more than {MAX_ATTRIBUTES} attributes")]
    TooLarge,
}

/// One attribute that was not converted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unsupported {
    /// The attribute's uuid (or its position when it has none).
    pub attribute: String,
    /// Its MISP type.
    pub misp_type: String,
    /// Why.
    pub reason: String,
}

/// The result of a conversion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversion {
    /// The STIX 2.1 bundle to publish.
    pub bundle: Value,
    /// Attributes converted.
    pub converted: usize,
    /// Sightings converted.
    pub sightings: usize,
    /// What was not converted, and why.
    pub unsupported: Vec<Unsupported>,
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "1" || s.eq_ignore_ascii_case("true"),
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    }
}

fn unix(v: Option<&Value>) -> Option<i64> {
    text(v).and_then(|s| s.parse::<i64>().ok())
}

/// `YYYY-MM-DD` to unix seconds at midnight UTC.
fn date(s: &str) -> Option<i64> {
    crate::stix::Timestamp::parse(&format!("{s}T00:00:00Z"))
        .ok()
        .map(|t| t.unix_seconds())
}

fn stix_time(unix: i64) -> String {
    crate::dp::time::format_unix(unix).unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
}

fn tags(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The TLP of a set of MISP tags, and the other tags.
fn split_tags(all: &[String]) -> (Option<Tlp>, Vec<String>) {
    let mut tlp = None;
    let mut labels = Vec::new();
    for t in all {
        match t.to_ascii_lowercase().strip_prefix("tlp:") {
            Some("white") | Some("clear") => tlp = Some(Tlp::Clear),
            Some(level) => match level.parse::<Tlp>() {
                Ok(l) => tlp = Some(l),
                Err(_) => labels.push(t.clone()),
            },
            None => labels.push(t.clone()),
        }
    }
    (tlp, labels)
}

/// A UUIDv4-shaped id derived from `name` (STIX asks SDOs and SROs for UUIDv4; derived,
/// so converting the same event twice gives the same ids).
fn v4_from(name: &str) -> String {
    let digest = shoal_crypto::hash::sha256(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Give an observable its STIX deterministic id (UUIDv5 of its ID-contributing
/// properties).
fn with_sco_id(mut sco: Value) -> Value {
    let t = sco
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(id) = sco
        .as_object()
        .and_then(|m| crate::desensitize::deterministic_sco_id(&t, m))
    {
        set(&mut sco, "id", json!(id));
    }
    sco
}

/// Set a member of a JSON object (no-op on anything else).
fn set(v: &mut Value, key: &str, value: Value) {
    if let Some(m) = v.as_object_mut() {
        m.insert(key.to_owned(), value);
    }
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

/// The observable an attribute describes: (SCO, pattern), or why not.
fn observable(misp_type: &str, value: &str, uuid: &str) -> Result<(Value, String), String> {
    let ip = |v: &str| -> Result<(Value, String), String> {
        let addr: std::net::IpAddr = v
            .parse()
            .map_err(|_| "the value is not an IP address".to_owned())?;
        let t = if addr.is_ipv4() {
            "ipv4-addr"
        } else {
            "ipv6-addr"
        };
        Ok((
            json!({"type": t, "spec_version": "2.1", "id": format!("{t}--{uuid}"), "value": v}),
            format!("[{t}:value = '{}']", quote(v)),
        ))
    };
    let simple = |t: &str, prop: &str, v: &str| -> Result<(Value, String), String> {
        if v.trim().is_empty() {
            return Err("the value is empty".into());
        }
        let mut o = json!({"type": t, "spec_version": "2.1", "id": format!("{t}--{uuid}")});
        set(&mut o, prop, json!(v));
        Ok((o, format!("[{t}:{prop} = '{}']", quote(v))))
    };
    let hash_name = |h: &str| match h {
        "md5" => Some("MD5"),
        "sha1" => Some("SHA-1"),
        "sha256" => Some("SHA-256"),
        "sha512" => Some("SHA-512"),
        _ => None,
    };
    let before_bar = |v: &str| v.split('|').next().unwrap_or(v).to_owned();
    match misp_type {
        "ip-src" | "ip-dst" => ip(value),
        "ip-src|port" | "ip-dst|port" => ip(&before_bar(value)),
        "domain" | "hostname" => simple("domain-name", "value", value),
        "domain|ip" | "hostname|port" => simple("domain-name", "value", &before_bar(value)),
        "url" | "uri" | "link" => simple("url", "value", value),
        "email" | "email-src" | "email-dst" => simple("email-addr", "value", value),
        "filename" => simple("file", "name", value),
        "mutex" => simple("mutex", "name", value),
        "regkey" => simple("windows-registry-key", "key", value),
        "mac-address" => simple("mac-addr", "value", &value.to_ascii_lowercase()),
        "AS" => {
            let n: u64 = value
                .trim_start_matches("AS")
                .trim_start_matches("as")
                .parse()
                .map_err(|_| "the value is not an AS number".to_owned())?;
            Ok((
                json!({"type": "autonomous-system", "spec_version": "2.1",
                       "id": format!("autonomous-system--{uuid}"), "number": n}),
                format!("[autonomous-system:number = {n}]"),
            ))
        }
        t => {
            let (name, hash_type) = match t.split_once('|') {
                Some(("filename", h)) => (value.split('|').next(), h),
                _ => (None, t),
            };
            let Some(alg) = hash_name(hash_type) else {
                return Err(format!(
                    "MISP attribute type {t:?} has no STIX 2.1 observable mapping"
                ));
            };
            let hash = if name.is_some() {
                value.split('|').nth(1).unwrap_or("")
            } else {
                value
            };
            if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err("the value is not a hexadecimal hash".into());
            }
            let mut o = json!({"type": "file", "spec_version": "2.1", "id": format!("file--{uuid}"),
                               "hashes": {alg: hash.to_ascii_lowercase()}});
            let mut pattern = format!("[file:hashes.'{alg}' = '{}'", hash.to_ascii_lowercase());
            if let Some(n) = name.filter(|n| !n.is_empty()) {
                set(&mut o, "name", json!(n));
                pattern.push_str(&format!(" AND file:name = '{}'", quote(n)));
            }
            pattern.push(']');
            Ok((o, pattern))
        }
    }
}

fn uuid_of(attr: &Value, position: usize) -> String {
    text(attr.get("uuid"))
        .filter(|u| crate::stix::check_uuid(u).is_ok())
        .unwrap_or_else(|| {
            // A stable UUID for an attribute without one.
            v4_from(&format!("misp-attribute/{position}"))
        })
}

fn mark(object: &mut Value, tlp: Option<Tlp>, labels: &[String]) {
    if let Some(t) = tlp {
        set(object, "object_marking_refs", json!([t.marking_id()]));
    }
    if !labels.is_empty() && object.get("spec_version").is_some() && !is_sco(object) {
        set(object, "labels", json!(labels));
    }
}

fn is_sco(object: &Value) -> bool {
    object
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| crate::stix::category(t) == crate::stix::Category::Observable)
}

/// Convert a MISP event; `now_unix` dates attributes without a timestamp.
pub fn convert(input: &[u8], now_unix: i64) -> Result<Conversion, MispError> {
    let root: Value =
        serde_json::from_slice(input).map_err(|e| MispError::NotJson(e.to_string()))?;
    let event = root.get("Event").unwrap_or(&root);
    let event = event
        .as_object()
        .ok_or(MispError::NotAnEvent("expected a JSON object"))?;
    if !event.contains_key("Attribute")
        && !event.contains_key("Object")
        && !event.contains_key("info")
    {
        return Err(MispError::NotAnEvent(
            "no `info`, `Attribute` or `Object` member",
        ));
    }
    let event_time = unix(event.get("timestamp"))
        .or_else(|| text(event.get("date")).and_then(|d| date(&d)))
        .or_else(|| unix(event.get("publish_timestamp")))
        .unwrap_or(now_unix);
    let (event_tlp, event_labels) = split_tags(&tags(event.get("Tag")));
    let info = text(event.get("info")).unwrap_or_else(|| "MISP event".into());
    let mut attributes: Vec<&Value> = event
        .get("Attribute")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    for o in event
        .get("Object")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        attributes.extend(
            o.get("Attribute")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    }
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(MispError::TooLarge);
    }
    let mut objects: Vec<Value> = Vec::new();
    let mut refs: Vec<Value> = Vec::new();
    let mut unsupported = Vec::new();
    let (mut converted, mut sightings) = (0usize, 0usize);
    for (position, attr) in attributes.into_iter().enumerate() {
        let uuid = uuid_of(attr, position);
        let misp_type = text(attr.get("type")).unwrap_or_default();
        let report = |reason: String| Unsupported {
            attribute: uuid.clone(),
            misp_type: misp_type.clone(),
            reason,
        };
        let Some(value) = text(attr.get("value")) else {
            unsupported.push(report("the attribute has no value".into()));
            continue;
        };
        let at = unix(attr.get("timestamp")).unwrap_or(event_time);
        let created = stix_time(at);
        let (attr_tlp, mut labels) = split_tags(&tags(attr.get("Tag")));
        let tlp = attr_tlp.or(event_tlp);
        labels.extend(event_labels.iter().cloned());
        labels.sort();
        labels.dedup();
        let object = if misp_type == "vulnerability" {
            let mut v = json!({"type": "vulnerability", "spec_version": "2.1",
                "id": format!("vulnerability--{uuid}"), "created": created, "modified": created,
                "name": value});
            if value.to_ascii_uppercase().starts_with("CVE-") {
                set(
                    &mut v,
                    "external_references",
                    json!([{"source_name": "cve", "external_id": value.to_ascii_uppercase()}]),
                );
            }
            v
        } else {
            let (sco, pattern) = match observable(&misp_type, &value, &uuid) {
                Ok(x) => x,
                Err(reason) => {
                    unsupported.push(report(reason));
                    continue;
                }
            };
            if flag(attr.get("to_ids")) {
                let mut ind = json!({"type": "indicator", "spec_version": "2.1",
                    "id": format!("indicator--{uuid}"), "created": created, "modified": created,
                    "name": info, "indicator_types": ["malicious-activity"],
                    "pattern": pattern, "pattern_type": "stix", "valid_from": created});
                if let Some(c) = text(attr.get("comment")).filter(|c| !c.is_empty()) {
                    set(&mut ind, "description", json!(c));
                }
                ind
            } else {
                with_sco_id(sco)
            }
        };
        let mut object = object;
        mark(&mut object, tlp, &labels);
        if let Err(e) = validate_object(object.clone(), 0) {
            unsupported.push(report(format!("does not make a valid STIX object: {e}")));
            continue;
        }
        let id = object.get("id").cloned().unwrap_or(Value::Null);
        let is_indicator = object.get("type").and_then(Value::as_str) == Some("indicator");
        objects.push(object);
        refs.push(id.clone());
        converted = converted.saturating_add(1);
        for (i, s) in attr
            .get("Sighting")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let kind = text(s.get("type")).unwrap_or_else(|| "0".into());
            if !is_indicator || !(kind == "0" || kind == "1") {
                unsupported.push(report(format!(
                    "sighting {i} (type {kind}) has no STIX counterpart here: only sightings (0) and false positives (1) of to_ids attributes convert"
                )));
                continue;
            }
            let when = stix_time(unix(s.get("date_sighting")).unwrap_or(at));
            let sid = v4_from(&format!("misp-sighting/{uuid}/{i}"));
            let mut sighting = json!({"type": "sighting", "spec_version": "2.1",
                "id": format!("sighting--{sid}"), "created": when, "modified": when,
                "first_seen": when, "last_seen": when, "count": 1, "sighting_of_ref": id});
            if kind == "1" {
                set(&mut sighting, "x_shoal_false_positive", json!(true));
            }
            mark(&mut sighting, tlp, &[]);
            if validate_object(sighting.clone(), 0).is_ok() {
                objects.push(sighting);
                sightings = sightings.saturating_add(1);
            }
        }
    }
    if !refs.is_empty() {
        let event_uuid = text(event.get("uuid"))
            .filter(|u| crate::stix::check_uuid(u).is_ok())
            .unwrap_or_else(|| v4_from(&format!("misp-event/{info}")));
        let when = stix_time(event_time);
        let mut report = json!({"type": "report", "spec_version": "2.1",
            "id": format!("report--{event_uuid}"), "created": when, "modified": when,
            "name": info, "report_types": ["threat-report"], "published": when,
            "object_refs": refs});
        mark(&mut report, event_tlp, &event_labels);
        if validate_object(report.clone(), 0).is_ok() {
            objects.push(report);
        }
    }
    let mut bundle = Map::new();
    bundle.insert("type".into(), json!("bundle"));
    bundle.insert(
        "id".into(),
        json!(format!(
            "bundle--{}",
            uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_OID,
                format!("misp/{info}/{event_time}").as_bytes()
            )
        )),
    );
    bundle.insert("objects".into(), Value::Array(objects));
    Ok(Conversion {
        bundle: Value::Object(bundle),
        converted,
        sightings,
        unsupported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"Event": {"uuid": "5f6a1c1e-6c6d-4a4e-9a4b-0a0c6a0e2b11", "info": "Phishing wave",
        "date": "2026-11-20", "timestamp": "1795000000", "Tag": [{"name": "tlp:amber"}, {"name": "misp-galaxy:threat-actor=\"X\""}],
        "Attribute": [
          {"uuid": "86a181d5-5aa6-4e5d-9667-222c62dd749a", "type": "ip-dst", "value": "198.51.100.23", "to_ids": true,
           "Sighting": [{"type": "0", "date_sighting": "1795000100"}, {"type": "1", "date_sighting": "1795000200"}, {"type": "2"}]},
          {"uuid": "fac6e25e-4854-443c-a7e1-5897dbc70cf0", "type": "domain", "value": "evil.example", "to_ids": "1",
           "Tag": [{"name": "tlp:green"}]},
          {"uuid": "274858c8-891b-4325-8074-6418f5f8d22d", "type": "sha256", "value": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "to_ids": false},
          {"uuid": "613e4446-5f73-43ee-9f37-a104f6997f70", "type": "text", "value": "internal notes", "to_ids": false},
          {"uuid": "713e4446-5f73-43ee-9f37-a104f6997f70", "type": "ip-src", "value": "not-an-ip", "to_ids": true},
          {"uuid": "813e4446-5f73-43ee-9f37-a104f6997f70", "type": "vulnerability", "value": "CVE-2026-1234"}],
        "Object": [{"name": "file", "Attribute": [
          {"uuid": "913e4446-5f73-43ee-9f37-a104f6997f70", "type": "filename|md5", "value": "dropper.exe|d41d8cd98f00b204e9800998ecf8427e", "to_ids": true}]}]}}"#;

    #[test]
    fn a_misp_event_converts_and_reports_what_it_cannot() {
        let c = convert(EVENT.as_bytes(), 0).unwrap();
        let objects = c.bundle["objects"].as_array().unwrap();
        assert_eq!(c.converted, 5);
        assert_eq!(c.sightings, 2);
        let kinds: Vec<&str> = objects
            .iter()
            .map(|o| o["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "indicator",
                "sighting",
                "sighting",
                "indicator",
                "file",
                "vulnerability",
                "indicator",
                "report"
            ]
        );
        let ip = &objects[0];
        assert_eq!(ip["id"], "indicator--86a181d5-5aa6-4e5d-9667-222c62dd749a");
        assert_eq!(ip["pattern"], "[ipv4-addr:value = '198.51.100.23']");
        assert_eq!(ip["object_marking_refs"][0], Tlp::Amber.marking_id());
        assert_eq!(ip["labels"][0], "misp-galaxy:threat-actor=\"X\"");
        assert_eq!(objects[2]["x_shoal_false_positive"], true);
        assert_eq!(
            objects[3]["object_marking_refs"][0],
            Tlp::Green.marking_id()
        );
        assert_eq!(objects[4]["hashes"]["SHA-256"], "a".repeat(64));
        assert_eq!(
            objects[6]["pattern"],
            "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e' AND file:name = 'dropper.exe']"
        );
        assert_eq!(objects[7]["object_refs"].as_array().unwrap().len(), 5);
        for o in objects {
            assert!(validate_object(o.clone(), 0).is_ok(), "{o}");
        }
        // What did not convert is reported by uuid and type, never by value.
        let reasons: Vec<(&str, &str)> = c
            .unsupported
            .iter()
            .map(|u| (u.misp_type.as_str(), u.attribute.as_str()))
            .collect();
        assert!(reasons.contains(&("text", "613e4446-5f73-43ee-9f37-a104f6997f70")));
        assert!(reasons.contains(&("ip-src", "713e4446-5f73-43ee-9f37-a104f6997f70")));
        assert!(
            reasons.iter().any(|(t, _)| *t == "ip-dst"),
            "the type-2 sighting"
        );
        let text = serde_json::to_string(&c.unsupported).unwrap();
        assert!(!text.contains("internal notes") && !text.contains("not-an-ip"));
    }

    #[test]
    fn pymisp_flat_form_and_garbage() {
        let flat = r#"{"info": "x", "Attribute": [{"type": "url", "value": "http://evil.example/a", "to_ids": true}]}"#;
        let c = convert(flat.as_bytes(), 1_700_000_000).unwrap();
        assert_eq!(c.converted, 1);
        assert!(matches!(
            convert(b"[1,2]", 0),
            Err(MispError::NotAnEvent(_))
        ));
        assert!(matches!(convert(b"{nope", 0), Err(MispError::NotJson(_))));
        assert!(matches!(
            convert(b"{\"a\": 1}", 0),
            Err(MispError::NotAnEvent(_))
        ));
    }
}
