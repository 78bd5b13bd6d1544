//! Valid STIX 2.1 input: the specification's examples for each type, the standard TLP
//! marking definitions, bundles, custom properties and unknown types all validate and come
//! back unchanged.

use std::path::PathBuf;

use serde_json::Value;
use shoal_protocol::stix::{parse_input, StixObject};
use shoal_protocol::{jcs, object_tlp, Tlp};

fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/valid")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse_one(name: &str) -> StixObject {
    let mut results = parse_input(&data(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(results.len(), 1, "{name}");
    results.remove(0).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The objects of a fixture as plain JSON (bundle members, or the object itself).
fn raw_objects(name: &str) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&data(name)).unwrap();
    if v["type"] == "bundle" {
        v["objects"].as_array().unwrap().clone()
    } else {
        vec![v]
    }
}

#[test]
fn every_valid_fixture_validates_and_round_trips_unchanged() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".json") {
            continue;
        }
        let results = parse_input(&data(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let raw = raw_objects(&name);
        assert_eq!(results.len(), raw.len(), "{name}");
        for (result, original) in results.into_iter().zip(raw) {
            let obj = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(obj.clone().into_value(), original, "{name}: object changed");
            // Canonical bytes re-parse to the same object and are a fixed point.
            let canonical = obj.canonical_bytes().unwrap();
            let reparsed: Value = serde_json::from_slice(&canonical).unwrap();
            assert_eq!(jcs::canonicalize(&reparsed).unwrap(), canonical, "{name}");
            seen += 1;
        }
    }
    assert!(seen >= 18, "only {seen} fixture objects found");
}

#[test]
fn spec_examples_for_each_type() {
    for (file, object_type) in [
        ("indicator.json", "indicator"),
        ("sighting.json", "sighting"),
        ("observed-data.json", "observed-data"),
        ("vulnerability.json", "vulnerability"),
        ("malware.json", "malware"),
        ("attack-pattern.json", "attack-pattern"),
        ("identity.json", "identity"),
        ("relationship.json", "relationship"),
        ("report.json", "report"),
        ("marking-definition-statement.json", "marking-definition"),
        ("marking-definition-tlp1-white.json", "marking-definition"),
        ("ipv4-addr.json", "ipv4-addr"),
    ] {
        let obj = parse_one(file);
        assert_eq!(obj.object_type(), object_type);
        assert!(obj.id().starts_with(&format!("{object_type}--")));
        assert_eq!(obj.spec_version(), Some("2.1"));
    }
}

#[test]
fn accessors_expose_common_properties() {
    let obj = parse_one("indicator.json");
    assert_eq!(obj.id(), "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
    assert_eq!(obj.object_type(), "indicator");
    assert_eq!(obj.created(), Some("2016-04-06T20:03:48.000Z"));
    assert_eq!(obj.modified(), Some("2016-04-06T20:03:48.000Z"));
    assert_eq!(obj.json()["name"], "Poison Ivy Malware");
    let sco = parse_one("ipv4-addr.json");
    assert_eq!(sco.created(), None);
    assert_eq!(sco.modified(), None);
}

#[test]
fn bundle_yields_one_result_per_object_in_order() {
    let results = parse_input(&data("bundle.json")).unwrap();
    let types: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().unwrap().object_type().to_owned())
        .collect();
    assert_eq!(
        types,
        ["indicator", "malware", "relationship", "marking-definition"]
    );
    let indicator = results[0].as_ref().unwrap();
    assert_eq!(object_tlp(indicator).unwrap(), Some(Tlp::Green));
}

#[test]
fn custom_properties_and_unknown_types_are_preserved() {
    let obj = parse_one("indicator-full.json");
    assert_eq!(obj.json()["x_acme_priority"], "high");
    assert_eq!(obj.json()["x_acme_tags"]["Sub-Team"][2], 2.5e-7);
    assert!(
        obj.json()["extensions"]["extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e"]
            ["rank"]
            == 5
    );

    let custom = parse_one("x-custom-object.json");
    assert_eq!(custom.object_type(), "x-acme-honeypot-hit");
    assert_eq!(custom.json()["payload"]["unicode"], "Ünïcödé ✓ \u{7}");
    assert_eq!(object_tlp(&custom).unwrap(), Some(Tlp::Red));
    let value = custom.clone().into_value();
    assert_eq!(StixObject::try_from(value).unwrap(), custom);
}

#[test]
fn granular_markings_count_towards_the_object_tlp() {
    // Object-level AMBER, but a granular RED marking: the strictest wins.
    assert_eq!(
        object_tlp(&parse_one("indicator-full.json")).unwrap(),
        Some(Tlp::Red)
    );
    assert_eq!(object_tlp(&parse_one("indicator.json")).unwrap(), None);
}

#[test]
fn tlp_marking_definitions_validate() {
    let results = parse_input(&data("marking-definition-tlp2-amber-strict.json")).unwrap();
    let md = results[0].as_ref().unwrap();
    assert_eq!(Tlp::from_marking_id(md.id()), Some(Tlp::AmberStrict));
    for level in Tlp::ALL {
        let obj = StixObject::try_from(level.marking_definition()).unwrap();
        assert_eq!(obj.id(), level.marking_id());
    }
}

#[test]
fn serde_round_trip_validates() {
    let obj = parse_one("sighting.json");
    let text = serde_json::to_string(&obj).unwrap();
    let back: StixObject = serde_json::from_str(&text).unwrap();
    assert_eq!(back, obj);
    assert!(serde_json::from_str::<StixObject>(r#"{"type":"indicator"}"#).is_err());
}

#[test]
fn byte_order_mark_and_empty_bundle_are_accepted() {
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(&data("identity.json"));
    assert!(parse_input(&with_bom).unwrap()[0].is_ok());
    let empty = br#"{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}"#;
    assert!(parse_input(empty).unwrap().is_empty());
}
