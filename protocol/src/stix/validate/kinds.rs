//! Type-specific rules of the STIX 2.1 objects Shoal handles (§4 SDOs, §5 SROs, §6 SCOs,
//! §7 SMOs): required properties, property types, value ranges, time ordering, and the
//! indicator pattern. Unknown types get none of these: only the common rules apply.

use serde_json::Value;

use super::fields::{
    as_bool, as_dictionary, as_hashes, as_identifier_in, as_identifier_list, as_list, as_object,
    as_str, as_timestamp, at, check_string_list, join, opt_bool, opt_int_in, opt_number_in,
    ordered, req_str, required, violation, Check, Obj,
};
use super::lookup::Names;
use super::markings;
use crate::stix::pattern;
use crate::stix::types::{self, Category};

/// Check the rules specific to `object_type`.
pub(crate) fn check(map: &Obj, object_type: &str, category: Category) -> Check {
    if !category.is_known() {
        return Ok(());
    }
    for name in types::required_properties(object_type) {
        required(map, "", name)?;
    }
    check_property_types(map, category)?;
    match object_type {
        "indicator" => indicator(map),
        "sighting" => sighting(map),
        "observed-data" => observed_data(map),
        "malware" => malware(map),
        "relationship" => relationship(map),
        "report" | "grouping" | "note" | "opinion" => with_object_refs(map, object_type),
        "location" => location(map),
        "malware-analysis" => malware_analysis(map),
        "marking-definition" => markings::check_marking_definition(map),
        "campaign" | "intrusion-set" | "threat-actor" | "infrastructure" => {
            ordered(map, "first_seen", "last_seen", false)
        }
        "file" => one_of(map, &["hashes", "name"]),
        "artifact" => artifact(map),
        "autonomous-system" => opt_int_in(map, "number", 0, i64::MAX).map(|_| ()),
        _ => Ok(()),
    }
}

/// Types of the properties STIX defines with one meaning across known types.
fn check_property_types(map: &Obj, category: Category) -> Check {
    static TIMESTAMPS: Names = Names::new(types::TIMESTAMP_PROPERTIES);
    static STRING_LISTS: Names = Names::new(types::STRING_LIST_PROPERTIES);
    static STRINGS: Names = Names::new(types::STRING_PROPERTIES);
    static BOOLEANS: Names = Names::new(types::BOOLEAN_PROPERTIES);
    if category != Category::Observable {
        for (name, v) in TIMESTAMPS.members(map) {
            as_timestamp(v, name)?;
        }
        for (name, v) in STRING_LISTS.members(map) {
            check_string_list(v, name)?;
        }
        if let Some(v) = map.get("kill_chain_phases") {
            kill_chain_phases(v)?;
        }
    } else if let Some(v) = map.get("protocols") {
        check_string_list(v, "protocols")?;
    }
    for (name, v) in STRINGS.members(map) {
        as_str(v, name)?;
    }
    for (name, v) in BOOLEANS.members(map) {
        as_bool(v, name)?;
    }
    if let Some(v) = map.get("hashes") {
        as_hashes(v, "hashes")?;
    }
    Ok(())
}

/// Kill chain phases (§2.10): `kill_chain_name` and `phase_name` strings.
fn kill_chain_phases(value: &Value) -> Check {
    for (i, item) in as_list(value, "kill_chain_phases")?.iter().enumerate() {
        let path = at("kill_chain_phases", i);
        let phase = as_object(item, &path)?;
        req_str(phase, &path, "kill_chain_name")?;
        req_str(phase, &path, "phase_name")?;
    }
    Ok(())
}

/// Indicator (§4.7): `valid_until` after `valid_from`; STIX patterns must parse.
fn indicator(map: &Obj) -> Check {
    ordered(map, "valid_from", "valid_until", true)?;
    let pattern_type = req_str(map, "", "pattern_type")?;
    let text = req_str(map, "", "pattern")?;
    if pattern_type == "stix" {
        pattern::validate(text)
            .map_err(|e| violation("pattern", format!("not a valid STIX pattern: {e}")))?;
    }
    Ok(())
}

/// Sighting (§5.2): what was sighted, where, how often and when.
fn sighting(map: &Obj) -> Check {
    let target = required(map, "", "sighting_of_ref")?;
    as_identifier_in(
        target,
        "sighting_of_ref",
        &[Category::Domain, Category::Unknown],
        "an SDO",
    )?;
    opt_int_in(map, "count", 0, 999_999_999)?;
    ordered(map, "first_seen", "last_seen", false)?;
    if let Some(v) = map.get("where_sighted_refs") {
        identifier_list(v, "where_sighted_refs", &["identity", "location"])?;
    }
    if let Some(v) = map.get("observed_data_refs") {
        identifier_list(v, "observed_data_refs", &["observed-data"])?;
    }
    Ok(())
}

/// Observed data (§4.14): a time window, a count, and `object_refs` xor (deprecated) `objects`.
fn observed_data(map: &Obj) -> Check {
    opt_int_in(map, "number_observed", 1, 999_999_999)?;
    ordered(map, "first_observed", "last_observed", false)?;
    match (map.get("object_refs"), map.get("objects")) {
        (Some(_), Some(_)) => Err(violation(
            "objects",
            "objects and object_refs must not both be present",
        )),
        (None, None) => Err(violation(
            "object_refs",
            "required property is missing (or the deprecated objects)",
        )),
        (Some(refs), None) => {
            for (i, r) in as_list(refs, "object_refs")?.iter().enumerate() {
                let p = at("object_refs", i);
                as_identifier_in(
                    r,
                    &p,
                    &[
                        Category::Observable,
                        Category::Relationship,
                        Category::Unknown,
                    ],
                    "an SCO or SRO",
                )?;
            }
            Ok(())
        }
        (None, Some(objects)) => {
            for (key, obj) in as_dictionary(objects, "objects")? {
                let path = join("objects", key);
                req_str(as_object(obj, &path)?, &path, "type")?;
            }
            Ok(())
        }
    }
}

/// Malware (§4.11): `is_family` required; a family needs a `name`.
fn malware(map: &Obj) -> Check {
    let is_family = opt_bool(map, "is_family")?;
    if is_family == Some(true) {
        req_str(map, "", "name")
            .map_err(|v| violation(v.property, "required when is_family is true"))?;
    }
    ordered(map, "first_seen", "last_seen", false)
}

/// Relationship (§5.1): a typed edge between two SDOs/SCOs.
fn relationship(map: &Obj) -> Check {
    let kind = req_str(map, "", "relationship_type")?;
    let valid = (1..=250).contains(&kind.len())
        && kind
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-');
    if !valid {
        return Err(violation(
            "relationship_type",
            format!("{kind:?} may only contain a-z, 0-9 and '-'"),
        ));
    }
    let ends = [Category::Domain, Category::Observable, Category::Unknown];
    as_identifier_in(
        required(map, "", "source_ref")?,
        "source_ref",
        &ends,
        "an SDO or SCO",
    )?;
    as_identifier_in(
        required(map, "", "target_ref")?,
        "target_ref",
        &ends,
        "an SDO or SCO",
    )?;
    ordered(map, "start_time", "stop_time", true)
}

/// Report, grouping, note, opinion: non-empty `object_refs` (+ `published` / `opinion`).
fn with_object_refs(map: &Obj, object_type: &str) -> Check {
    identifier_list(required(map, "", "object_refs")?, "object_refs", &[])?;
    if object_type == "opinion" {
        const OPINIONS: &[&str] = &[
            "strongly-disagree",
            "disagree",
            "neutral",
            "agree",
            "strongly-agree",
        ];
        let opinion = req_str(map, "", "opinion")?;
        if !OPINIONS.contains(&opinion) {
            return Err(violation(
                "opinion",
                format!("{opinion:?} is not in opinion-enum"),
            ));
        }
    }
    Ok(())
}

/// Location (§4.10): region, country, or latitude+longitude.
fn location(map: &Obj) -> Check {
    let lat = opt_number_in(map, "latitude", -90.0, 90.0)?;
    let lon = opt_number_in(map, "longitude", -180.0, 180.0)?;
    if lat.is_some() != lon.is_some() {
        return Err(violation(
            if lat.is_some() {
                "longitude"
            } else {
                "latitude"
            },
            "latitude and longitude go together",
        ));
    }
    if map.contains_key("precision") && lat.is_none() {
        return Err(violation("precision", "requires latitude and longitude"));
    }
    opt_number_in(map, "precision", 0.0, f64::MAX)?;
    if lat.is_none() {
        one_of(map, &["region", "country"]).map_err(|v| {
            violation(
                v.property,
                "needs region, country, or latitude and longitude",
            )
        })?;
    }
    Ok(())
}

/// Malware analysis (§4.12): a `result` or the SCOs it captured.
fn malware_analysis(map: &Obj) -> Check {
    one_of(map, &["result", "analysis_sco_refs"])?;
    ordered(map, "analysis_started", "analysis_ended", false)
}

/// Artifact (§6.1): exactly one of `payload_bin` or `url`; a `url` needs `hashes`.
fn artifact(map: &Obj) -> Check {
    match (map.contains_key("payload_bin"), map.contains_key("url")) {
        (true, true) => Err(violation(
            "url",
            "payload_bin and url must not both be present",
        )),
        (false, false) => Err(violation(
            "payload_bin",
            "one of payload_bin or url is required",
        )),
        (false, true) => required(map, "", "hashes").map(|_| ()),
        (true, false) => Ok(()),
    }
}

/// At least one of `names` must be present.
fn one_of(map: &Obj, names: &[&str]) -> Check {
    if names.iter().any(|n| map.contains_key(*n)) {
        Ok(())
    } else {
        Err(violation(
            names.first().copied().unwrap_or_default(),
            format!("at least one of {} is required", names.join(", ")),
        ))
    }
}

fn identifier_list(value: &Value, path: &str, allowed: &[&str]) -> Check {
    as_identifier_list(value, path, allowed)
}
