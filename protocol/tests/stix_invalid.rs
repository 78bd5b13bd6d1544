//! Invalid STIX input: one negative case per validation rule class, each checked for the
//! object index, id, property path and reason the error reports; and every way the input
//! as a whole can be unusable.

use std::path::PathBuf;

use serde_json::{json, Map, Value};
use shoal_protocol::stix::{
    parse_input, parse_input_with, validate_object, InputError, ObjectError, ParseLimits,
};

fn fixture(name: &str) -> Map<String, Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/valid")
        .join(name);
    match serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap() {
        Value::Object(map) => map,
        _ => panic!("{name} is not an object"),
    }
}

/// Apply `mutate` to fixture `base` and expect rejection at `property` with `reason` in the message.
fn rejects(
    base: &str,
    mutate: impl FnOnce(&mut Map<String, Value>),
    property: &str,
    reason: &str,
) -> ObjectError {
    let mut map = fixture(base);
    mutate(&mut map);
    let id = map.get("id").and_then(Value::as_str).map(str::to_owned);
    let err = validate_object(Value::Object(map), 7).expect_err("object should be rejected");
    assert_eq!(err.index, 7);
    assert_eq!(err.id, id);
    assert_eq!(err.property, property, "{err}");
    assert!(
        err.reason.contains(reason),
        "reason {:?} lacks {reason:?}",
        err.reason
    );
    let text = err.to_string();
    assert!(text.contains("#7") && text.contains(property), "{text}");
    err
}

fn set(name: &str, value: Value) -> impl FnOnce(&mut Map<String, Value>) {
    let name = name.to_owned();
    move |m| {
        m.insert(name, value);
    }
}

fn remove(name: &str) -> impl FnOnce(&mut Map<String, Value>) {
    let name = name.to_owned();
    move |m| {
        m.remove(&name);
    }
}

// ---- common properties ----------------------------------------------------------------

#[test]
fn type_rules() {
    rejects("indicator.json", remove("type"), "type", "required");
    rejects(
        "indicator.json",
        set("type", json!(5)),
        "type",
        "expected a string",
    );
    rejects(
        "indicator.json",
        set("type", json!("Indicator")),
        "type",
        "a-z",
    );
    rejects("indicator.json", set("type", json!("x--y")), "type", "--");
    rejects(
        "indicator.json",
        set("type", json!("bundle")),
        "type",
        "cannot be nested",
    );
}

#[test]
fn id_rules() {
    rejects("indicator.json", remove("id"), "id", "required");
    rejects(
        "indicator.json",
        set("id", json!("indicator--1234")),
        "id",
        "UUID",
    );
    rejects(
        "indicator.json",
        set(
            "id",
            json!("indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f"),
        ),
        "id",
        "variant",
    );
    rejects(
        "indicator.json",
        set("id", json!("malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")),
        "id",
        "does not match",
    );
}

#[test]
fn spec_version_rules() {
    rejects(
        "indicator.json",
        remove("spec_version"),
        "spec_version",
        "required",
    );
    rejects(
        "indicator.json",
        set("spec_version", json!("2.0")),
        "spec_version",
        "not supported",
    );
    // Optional on SCOs, but must still be 2.1 when present.
    validate_object(
        Value::Object({
            let mut m = fixture("ipv4-addr.json");
            m.remove("spec_version");
            m
        }),
        0,
    )
    .unwrap();
    rejects(
        "ipv4-addr.json",
        set("spec_version", json!(2.1)),
        "spec_version",
        "expected a string",
    );
}

#[test]
fn timestamp_rules() {
    rejects("indicator.json", remove("created"), "created", "required");
    rejects("indicator.json", remove("modified"), "modified", "required");
    rejects(
        "indicator.json",
        set("created", json!("2016-04-06 20:03:48.000Z")),
        "created",
        "not a STIX timestamp",
    );
    rejects(
        "indicator.json",
        set("created", json!("2016-04-06T20:03:48.000+01:00")),
        "created",
        "'Z'",
    );
    rejects(
        "indicator.json",
        set("created", json!("2016-04-06T20:03:48Z")),
        "created",
        "millisecond",
    );
    rejects(
        "indicator.json",
        set("modified", json!("2016-04-06T20:03:47.999Z")),
        "modified",
        "later than or equal to created",
    );
    rejects(
        "indicator.json",
        set("valid_from", json!("yesterday")),
        "valid_from",
        "not a STIX timestamp",
    );
}

#[test]
fn reference_rules() {
    rejects(
        "indicator.json",
        set(
            "created_by_ref",
            json!("malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"),
        ),
        "created_by_ref",
        "identity",
    );
    rejects(
        "indicator.json",
        set("x_acme_source_ref", json!("not an id")),
        "x_acme_source_ref",
        "identifier",
    );
    rejects(
        "indicator.json",
        set("x_acme_related_refs", json!([])),
        "x_acme_related_refs",
        "must not be empty",
    );
    rejects(
        "indicator.json",
        set("x_acme_related_refs", json!(["identity--1"])),
        "x_acme_related_refs[0]",
        "UUID",
    );
}

#[test]
fn optional_common_property_rules() {
    rejects(
        "indicator.json",
        set("labels", json!([])),
        "labels",
        "must not be empty",
    );
    rejects(
        "indicator.json",
        set("labels", json!("a")),
        "labels",
        "expected a list",
    );
    rejects(
        "indicator.json",
        set("labels", json!(["a", 1])),
        "labels[1]",
        "expected a string",
    );
    rejects(
        "indicator.json",
        set("confidence", json!(101)),
        "confidence",
        "range",
    );
    rejects(
        "indicator.json",
        set("confidence", json!(50.5)),
        "confidence",
        "integer",
    );
    rejects(
        "indicator.json",
        set("lang", json!("english please")),
        "lang",
        "RFC 5646",
    );
    rejects(
        "indicator.json",
        set("revoked", json!("no")),
        "revoked",
        "boolean",
    );
}

#[test]
fn external_reference_rules() {
    rejects(
        "vulnerability.json",
        set("external_references", json!([{ "external_id": "CVE-1" }])),
        "external_references[0].source_name",
        "required",
    );
    rejects(
        "vulnerability.json",
        set("external_references", json!([{ "source_name": "cve" }])),
        "external_references[0]",
        "at least one of",
    );
    rejects(
        "vulnerability.json",
        set(
            "external_references",
            json!([
                { "source_name": "a", "external_id": "1" },
                { "source_name": "b", "description": "x" },
                { "source_name": "c", "url": "not a url" }
            ]),
        ),
        "external_references[2].url",
        "not a URL",
    );
    rejects(
        "vulnerability.json",
        set(
            "external_references",
            json!([{ "source_name": "a", "url": "https://x.example", "hashes": { "SHA 256": "ab" } }]),
        ),
        "external_references[0].hashes.SHA 256",
        "dictionary key",
    );
}

#[test]
fn marking_reference_rules() {
    rejects(
        "indicator.json",
        set(
            "object_marking_refs",
            json!(["identity--023d105b-752e-4e3c-941c-7d3f3cb15e9e"]),
        ),
        "object_marking_refs[0]",
        "marking-definition",
    );
    let marking = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
    rejects(
        "indicator.json",
        set(
            "granular_markings",
            json!([{ "marking_ref": marking, "selectors": ["nope"] }]),
        ),
        "granular_markings[0].selectors[0]",
        "does not refer",
    );
    rejects(
        "indicator.json",
        set(
            "granular_markings",
            json!([{ "marking_ref": marking, "selectors": ["labels.[0]"] }]),
        ),
        "granular_markings[0].selectors[0]",
        "does not refer",
    );
    rejects(
        "indicator.json",
        set(
            "granular_markings",
            json!([{ "marking_ref": marking, "lang": "en", "selectors": ["name"] }]),
        ),
        "granular_markings[0]",
        "exactly one",
    );
    rejects(
        "indicator.json",
        set("granular_markings", json!([{ "marking_ref": marking }])),
        "granular_markings[0].selectors",
        "required",
    );
}

#[test]
fn extension_rules() {
    rejects(
        "indicator.json",
        set("extensions", json!({})),
        "extensions",
        "at least one",
    );
    rejects(
        "indicator.json",
        set("extensions", json!({ "extension-definition--1": {} })),
        "extensions.extension-definition--1",
        "UUID",
    );
    rejects(
        "indicator.json",
        set("extensions", json!({ "x-ext": 5 })),
        "extensions.x-ext",
        "expected an object",
    );
    rejects(
        "indicator.json",
        set(
            "extensions",
            json!({ "x-ext": { "extension_type": "magic" } }),
        ),
        "extensions.x-ext.extension_type",
        "not an extension type",
    );
}

#[test]
fn custom_property_name_rules() {
    rejects(
        "indicator.json",
        set("x-acme", json!(1)),
        "x-acme",
        "property name",
    );
    rejects(
        "indicator.json",
        set("X_acme", json!(1)),
        "X_acme",
        "property name",
    );
    rejects("indicator.json", set("ab", json!(1)), "ab", "property name");
    rejects(
        "indicator.json",
        set("_acme", json!(1)),
        "_acme",
        "property name",
    );
    rejects(
        "indicator.json",
        set(&"x".repeat(251), json!(1)),
        &"x".repeat(251),
        "property name",
    );
}

#[test]
fn binary_and_hex_property_rules() {
    rejects(
        "indicator.json",
        set("x_acme_blob_bin", json!("not base64!")),
        "x_acme_blob_bin",
        "base64",
    );
    rejects(
        "indicator.json",
        set("x_acme_digest_hex", json!("abc")),
        "x_acme_digest_hex",
        "hexadecimal",
    );
}

// ---- per type ---------------------------------------------------------------------------

#[test]
fn indicator_rules() {
    rejects("indicator.json", remove("pattern"), "pattern", "required");
    rejects(
        "indicator.json",
        remove("pattern_type"),
        "pattern_type",
        "required",
    );
    rejects(
        "indicator.json",
        remove("valid_from"),
        "valid_from",
        "required",
    );
    rejects(
        "indicator.json",
        set("pattern", json!("[file:name = 'x'")),
        "pattern",
        "not a valid STIX pattern",
    );
    rejects(
        "indicator.json",
        set("pattern", json!("file:name = 'x'")),
        "pattern",
        "not a valid STIX pattern",
    );
    rejects(
        "indicator.json",
        set("valid_until", json!("2016-01-01T00:00:00Z")),
        "valid_until",
        "later than valid_from",
    );
    // Other pattern languages are not parsed.
    let mut snort = fixture("indicator.json");
    snort.insert("pattern_type".into(), json!("snort"));
    snort.insert(
        "pattern".into(),
        json!("alert tcp any any -> any any (msg:\"x\";)"),
    );
    validate_object(Value::Object(snort), 0).unwrap();
}

#[test]
fn sighting_rules() {
    rejects(
        "sighting.json",
        remove("sighting_of_ref"),
        "sighting_of_ref",
        "required",
    );
    rejects(
        "sighting.json",
        set(
            "sighting_of_ref",
            json!("ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"),
        ),
        "sighting_of_ref",
        "an SDO",
    );
    rejects(
        "sighting.json",
        set("count", json!(1_000_000_000)),
        "count",
        "range",
    );
    rejects("sighting.json", set("count", json!(-1)), "count", "range");
    rejects(
        "sighting.json",
        set("last_seen", json!("2015-12-21T18:59:59Z")),
        "last_seen",
        "later than or equal to first_seen",
    );
    rejects(
        "sighting.json",
        set(
            "where_sighted_refs",
            json!(["malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]),
        ),
        "where_sighted_refs[0]",
        "identity or location",
    );
    rejects(
        "sighting.json",
        set(
            "observed_data_refs",
            json!(["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]),
        ),
        "observed_data_refs[0]",
        "observed-data",
    );
}

#[test]
fn observed_data_rules() {
    rejects(
        "observed-data.json",
        remove("first_observed"),
        "first_observed",
        "required",
    );
    rejects(
        "observed-data.json",
        remove("number_observed"),
        "number_observed",
        "required",
    );
    rejects(
        "observed-data.json",
        set("number_observed", json!(0)),
        "number_observed",
        "range",
    );
    rejects(
        "observed-data.json",
        set("number_observed", json!(1_000_000_000)),
        "number_observed",
        "range",
    );
    rejects(
        "observed-data.json",
        set("last_observed", json!("2015-12-21T18:00:00Z")),
        "last_observed",
        "later than or equal",
    );
    rejects(
        "observed-data.json",
        remove("object_refs"),
        "object_refs",
        "required",
    );
    rejects(
        "observed-data.json",
        set("objects", json!({ "0": { "type": "file", "name": "x" } })),
        "objects",
        "must not both",
    );
    rejects(
        "observed-data.json",
        set(
            "object_refs",
            json!(["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]),
        ),
        "object_refs[0]",
        "an SCO or SRO",
    );
}

#[test]
fn simple_required_name_rules() {
    rejects("vulnerability.json", remove("name"), "name", "required");
    rejects("attack-pattern.json", remove("name"), "name", "required");
    rejects("identity.json", remove("name"), "name", "required");
    rejects(
        "identity.json",
        set("identity_class", json!(["individual"])),
        "identity_class",
        "expected a string",
    );
}

#[test]
fn malware_rules() {
    rejects("malware.json", remove("is_family"), "is_family", "required");
    rejects(
        "malware.json",
        set("is_family", json!("yes")),
        "is_family",
        "boolean",
    );
    rejects(
        "malware.json",
        |m| {
            m.insert("is_family".into(), json!(true));
            m.remove("name");
        },
        "name",
        "required when is_family is true",
    );
    // Not a family: name is optional.
    let mut m = fixture("malware.json");
    m.remove("name");
    validate_object(Value::Object(m), 0).unwrap();
}

#[test]
fn relationship_rules() {
    rejects(
        "relationship.json",
        remove("relationship_type"),
        "relationship_type",
        "required",
    );
    rejects(
        "relationship.json",
        remove("source_ref"),
        "source_ref",
        "required",
    );
    rejects(
        "relationship.json",
        remove("target_ref"),
        "target_ref",
        "required",
    );
    rejects(
        "relationship.json",
        set("relationship_type", json!("Indicates Strongly")),
        "relationship_type",
        "a-z",
    );
    rejects(
        "relationship.json",
        set(
            "target_ref",
            json!("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
        ),
        "target_ref",
        "an SDO or SCO",
    );
}

#[test]
fn report_rules() {
    rejects("report.json", remove("published"), "published", "required");
    rejects(
        "report.json",
        set("object_refs", json!([])),
        "object_refs",
        "must not be empty",
    );
    rejects(
        "report.json",
        remove("object_refs"),
        "object_refs",
        "required",
    );
}

#[test]
fn marking_definition_rules() {
    rejects(
        "marking-definition-tlp1-white.json",
        set("definition", json!({ "tlp": "green" })),
        "id",
        "standard STIX 2.1 id",
    );
    rejects(
        "marking-definition-tlp1-white.json",
        set("definition", json!({ "tlp": "amber+strict" })),
        "definition.tlp",
        "TLP 1.0 colour",
    );
    rejects(
        "marking-definition-tlp1-white.json",
        remove("definition"),
        "definition",
        "required when definition_type",
    );
    rejects(
        "marking-definition-statement.json",
        remove("definition_type"),
        "definition_type",
        "required when definition",
    );
    rejects(
        "marking-definition-statement.json",
        set("definition", json!({})),
        "definition.statement",
        "required",
    );
    rejects(
        "marking-definition-statement.json",
        set(
            "id",
            json!("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"),
        ),
        "definition_type",
        "TLP 1.0",
    );
    rejects(
        "marking-definition-statement.json",
        |m| {
            m.remove("definition_type");
            m.remove("definition");
        },
        "definition_type",
        "or extensions",
    );

    let tlp2 = shoal_protocol::Tlp::Amber.marking_definition();
    let tlp2 = tlp2.as_object().unwrap().clone();
    let ext = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
    let check = |mutate: &dyn Fn(&mut Map<String, Value>), property: &str, reason: &str| {
        let mut m = tlp2.clone();
        mutate(&mut m);
        let err = validate_object(Value::Object(m), 0).unwrap_err();
        assert_eq!(err.property, property, "{err}");
        assert!(err.reason.contains(reason), "{err}");
    };
    check(
        &|m| {
            m["extensions"][ext]["tlp_2_0"] = json!("red");
        },
        &format!("extensions.{ext}.tlp_2_0"),
        "does not match",
    );
    check(
        &|m| {
            m["name"] = json!("TLP:RED");
        },
        "name",
        "TLP:AMBER",
    );
    check(
        &|m| {
            m["extensions"][ext]["extension_type"] = json!("new-sdo");
        },
        &format!("extensions.{ext}.extension_type"),
        "property-extension",
    );
    check(
        &|m| {
            m["extensions"][ext]["x_extra"] = json!(1);
        },
        &format!("extensions.{ext}.x_extra"),
        "no such property",
    );
    check(
        &|m| {
            m["id"] = json!("marking-definition--2f2d2e8a-3c55-4b0e-8d43-6a1b4c1e5f70");
        },
        "id",
        "standard marking-definition id",
    );
    check(
        &|m| {
            m["extensions"] = json!({ "x-other": { "a": 1 } });
        },
        "extensions",
        "must carry the TLP 2.0 extension",
    );
}

#[test]
fn unknown_types_still_obey_common_rules() {
    rejects(
        "x-custom-object.json",
        set("id", json!("x-acme-honeypot-hit--nope")),
        "id",
        "UUID",
    );
    rejects(
        "x-custom-object.json",
        set("spec_version", json!("2.0")),
        "spec_version",
        "not supported",
    );
    rejects(
        "x-custom-object.json",
        set("modified", json!("2023-11-05T08:29:59.000Z")),
        "modified",
        "later than or equal",
    );
    rejects(
        "x-custom-object.json",
        set("x-bad-name", json!(1)),
        "x-bad-name",
        "property name",
    );
}

#[test]
fn non_object_members_are_reported_per_object() {
    let err = validate_object(json!([1, 2]), 3).unwrap_err();
    assert_eq!(
        (err.index, err.id.as_deref(), err.property.as_str()),
        (3, None, "")
    );
    assert!(err.reason.contains("a list"));
}

// ---- bundles and whole-input errors ------------------------------------------------------

#[test]
fn bundle_errors_name_index_and_id() {
    let mut bad = fixture("malware.json");
    bad.remove("is_family");
    let bundle = json!({
        "type": "bundle",
        "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [fixture("identity.json"), bad, "not an object", { "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d" }]
    });
    let results = parse_input(bundle.to_string().as_bytes()).unwrap();
    assert_eq!(results.len(), 4);
    assert!(results[0].is_ok());
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.index, 1);
    assert_eq!(
        err.id.as_deref(),
        Some("malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061")
    );
    assert_eq!(err.property, "is_family");
    assert_eq!(
        err.to_string(),
        "object #1 (malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061): is_family: required property is missing"
    );
    assert_eq!(results[2].as_ref().unwrap_err().index, 2);
    assert!(results[3]
        .as_ref()
        .unwrap_err()
        .reason
        .contains("cannot be nested"));
}

#[test]
fn malformed_bundles_are_input_errors() {
    let cases = [
        (json!({ "type": "bundle", "objects": [] }), "id"),
        (
            json!({ "type": "bundle", "id": "report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3", "objects": [] }),
            "id",
        ),
        (
            json!({ "type": "bundle", "id": "bundle--nope", "objects": [] }),
            "id",
        ),
        (json!({ "type": "bundle", "id": 5, "objects": [] }), "id"),
        (
            json!({ "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": {} }),
            "objects",
        ),
    ];
    for (input, property) in cases {
        match parse_input(input.to_string().as_bytes()) {
            Err(InputError::MalformedBundle { property: p, .. }) => {
                assert_eq!(p, property, "{input}")
            }
            other => panic!("{input}: {other:?}"),
        }
    }
}

#[test]
fn whole_input_errors() {
    let limits = ParseLimits {
        max_bytes: 10,
        ..ParseLimits::default()
    };
    assert!(matches!(
        parse_input_with(&[b' '; 11], &limits),
        Err(InputError::TooLarge { len: 11, max: 10 })
    ));

    match parse_input(b"{\n  \"type\": \"indicator\",\n  oops\n}") {
        Err(InputError::NotJson {
            line: 3, column, ..
        }) => assert!(column > 0),
        other => panic!("{other:?}"),
    }
    assert!(matches!(parse_input(b""), Err(InputError::NotJson { .. })));
    assert!(matches!(
        parse_input(b"{\"a\":1} trailing"),
        Err(InputError::NotJson { .. })
    ));
    assert!(matches!(
        parse_input(b"\xff\xfe"),
        Err(InputError::NotJson { .. })
    ));
    match parse_input(br#"{"type":"indicator","type":"malware"}"#) {
        Err(InputError::DuplicateKey { key, line: 1, .. }) => assert_eq!(key, "type"),
        other => panic!("{other:?}"),
    }
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    assert!(matches!(
        parse_input(deep.as_bytes()),
        Err(InputError::TooDeep { max: 64 })
    ));
    assert!(matches!(
        parse_input(b"[1,2]"),
        Err(InputError::NotAnObject { found: "a list" })
    ));
    assert!(matches!(
        parse_input(b"\"indicator\""),
        Err(InputError::NotAnObject { .. })
    ));

    let limits = ParseLimits {
        max_objects: 2,
        ..ParseLimits::default()
    };
    let bundle = json!({ "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [1, 2, 3] });
    assert!(matches!(
        parse_input_with(bundle.to_string().as_bytes(), &limits),
        Err(InputError::TooManyObjects { count: 3, max: 2 })
    ));
}
