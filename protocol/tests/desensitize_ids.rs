//! STIX 2.1 deterministic SCO identifiers (§2.9): UUIDv5 in namespace
//! `00abedb4-aa42-466c-9c01-fed23315a9b7` over the canonical JSON of the ID-contributing
//! properties. Known answers come from the OASIS `stix2` library's own tests
//! (`stix2/test/v21/test_deterministic_ids.py`); the simple `value` ones were checked
//! with Python's `uuid.uuid5`. Then: desensitization recomputes the id of every rewritten
//! observable and rewrites every reference to it, everywhere in the input.

use serde_json::{json, Map, Value};
use shoal_crypto::{CryptoPan, PseudonymKey};
use shoal_protocol::desensitize::{
    desensitize, deterministic_sco_id, Actions, Keys, Outcome, Policy, SCO_ID_NAMESPACE,
};
use shoal_protocol::stix::{validate_object, StixObject};

fn props(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn known_answers_from_the_oasis_library() {
    assert_eq!(
        SCO_ID_NAMESPACE.to_string(),
        "00abedb4-aa42-466c-9c01-fed23315a9b7"
    );
    // test_id_gen_recursive_dict_conversion_1: a file with a PE extension (nested
    // objects, a float, only one hash contributing).
    let file = props(json!({
        "type": "file",
        "name": "example.exe",
        "size": 68000,
        "magic_number_hex": "50000000",
        "hashes": {"SHA-256": "841a8921140aba50671ebb0770fecc4ee308c4952cfeff8de154ab14eeef4649"},
        "extensions": {"windows-pebinary-ext": {
            "pe_type": "exe",
            "machine_hex": "014c",
            "sections": [{
                "name": ".data",
                "size": 4096,
                "entropy": 7.980693,
                "hashes": {"SHA-256": "6e3b6f3978e5cd96ba7abee35c24e867b7e64072e2ecb22d0ee7a6e6af6894d0"}
            }]
        }}
    }));
    assert_eq!(
        deterministic_sco_id("file", &file).as_deref(),
        Some("file--ced31cd4-bdcb-537d-aefa-92d291bfc11d")
    );
    // test_id_gen_recursive_dict_conversion_2: a registry key identified by its values.
    let key = props(json!({
        "type": "windows-registry-key",
        "values": [{"name": "Foo", "data": "qwerty"}, {"name": "Bar", "data": "42"}]
    }));
    assert_eq!(
        deterministic_sco_id("windows-registry-key", &key).as_deref(),
        Some("windows-registry-key--36594eba-bcc7-5014-9835-0e154264e588")
    );
}

#[test]
fn known_answers_for_value_observables() {
    // uuid.uuid5(UUID('00abedb4-…'), '{"value":"…"}') in Python.
    for (object_type, value, id) in [
        (
            "ipv4-addr",
            "198.51.100.3",
            "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4",
        ),
        (
            "ipv6-addr",
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "ipv6-addr--85a85a8c-ee99-5722-946d-3c3a3270fc6f",
        ),
        (
            "email-addr",
            "john@example.com",
            "email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934",
        ),
        (
            "domain-name",
            "example.com",
            "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7",
        ),
    ] {
        // Non-contributing properties (display_name, resolves_to_refs) do not count.
        let p = props(json!({"value": value, "display_name": "x", "resolves_to_refs": ["a--b"]}));
        assert_eq!(deterministic_sco_id(object_type, &p).as_deref(), Some(id));
    }
    // Hash preference: MD5 first.
    let a = props(json!({"hashes": {"MD5": "aa", "SHA-256": "bb"}, "name": "f"}));
    let b = props(json!({"hashes": {"MD5": "aa"}, "name": "f"}));
    assert_eq!(
        deterministic_sco_id("file", &a),
        deterministic_sco_id("file", &b)
    );
    // No contributing property, or no contributing list: no deterministic id.
    assert_eq!(
        deterministic_sco_id("process", &props(json!({"pid": 1}))),
        None
    );
    assert_eq!(
        deterministic_sco_id("user-account", &props(json!({"is_disabled": true}))),
        None
    );
}

const NODE: &str = "identity--5a1e1b9c-0d2e-4f3a-8b4c-5d6e7f8a9b0c";

fn run(objects: Vec<Value>) -> (Vec<StixObject>, Outcome) {
    let input: Vec<StixObject> = objects
        .into_iter()
        .enumerate()
        .map(|(i, v)| validate_object(v, i).unwrap())
        .collect();
    let policy = Policy::new(
        vec![],
        vec!["corp.example.com".into()],
        vec![],
        vec![],
        Actions::default(),
        false,
        NODE.into(),
    );
    let pan = CryptoPan::new(&[1; 32]);
    let key = PseudonymKey::derive(&[2; 32], 3);
    let keys = Keys {
        cryptopan: &pan,
        pseudonyms: &key,
    };
    let outcome = desensitize(input.clone(), &policy, &keys);
    (input, outcome)
}

fn id_of(o: &Value) -> String {
    o["id"].as_str().unwrap().to_owned()
}

fn sco(object_type: &str, value: &str) -> Value {
    let p = props(json!({ "value": value }));
    json!({
        "type": object_type,
        "spec_version": "2.1",
        "id": deterministic_sco_id(object_type, &p).unwrap(),
        "value": value
    })
}

#[test]
fn rewritten_observables_get_recomputed_ids_and_every_reference_follows() {
    let internal = sco("ipv4-addr", "10.1.2.3");
    let external = sco("ipv4-addr", "203.0.113.5");
    let host = sco("domain-name", "db.corp.example.com");
    let mut host_with_ref = host.clone();
    host_with_ref["resolves_to_refs"] = json!([id_of(&internal)]);
    let traffic = {
        let p = props(
            json!({"src_ref": id_of(&internal), "dst_ref": id_of(&external), "protocols": ["tcp"]}),
        );
        json!({
            "type": "network-traffic", "spec_version": "2.1",
            "id": deterministic_sco_id("network-traffic", &p).unwrap(),
            "src_ref": id_of(&internal), "dst_ref": id_of(&external), "protocols": ["tcp"]
        })
    };
    let observed = json!({
        "type": "observed-data", "spec_version": "2.1",
        "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
        "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
        "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z",
        "number_observed": 1,
        "object_refs": [id_of(&internal), id_of(&external), id_of(&traffic), id_of(&host)]
    });
    let relationship = json!({
        "type": "relationship", "spec_version": "2.1",
        "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
        "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
        "relationship_type": "communicates-with",
        "source_ref": id_of(&internal), "target_ref": id_of(&external),
        "x_related": {"nested_refs": [id_of(&host)]}
    });
    let grouping = json!({
        "type": "grouping", "spec_version": "2.1",
        "id": "grouping--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3",
        "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
        "context": "suspicious-activity",
        "object_refs": [id_of(&observed), id_of(&relationship), id_of(&host)]
    });
    let objects = vec![
        internal.clone(),
        external.clone(),
        host_with_ref,
        traffic.clone(),
        observed,
        relationship,
        grouping,
    ];
    let (input, outcome) = run(objects);
    let out: Vec<Value> = outcome
        .items
        .iter()
        .map(|i| i.result.clone().unwrap().into_value())
        .collect();

    // Rewritten observables: their ids are the deterministic ids of their new values.
    for i in [0, 2, 3] {
        let object_type = out[i]["type"].as_str().unwrap();
        let new_id = id_of(&out[i]);
        assert_ne!(new_id, input[i].id());
        assert_eq!(
            deterministic_sco_id(object_type, out[i].as_object().unwrap()),
            Some(new_id.clone()),
            "{object_type}"
        );
    }
    // The external one keeps its id.
    assert_eq!(id_of(&out[1]), id_of(&external));
    // No old id is referenced anywhere; the new ones are, wherever the old ones were.
    let all = serde_json::to_string(&out).unwrap();
    for old in [id_of(&internal), id_of(&host), id_of(&traffic)] {
        assert!(!all.contains(&old), "{old} still referenced");
    }
    let (ip, dn, nt) = (id_of(&out[0]), id_of(&out[2]), id_of(&out[3]));
    assert_eq!(out[2]["resolves_to_refs"], json!([ip]));
    assert_eq!(out[3]["src_ref"], json!(ip));
    assert_eq!(out[4]["object_refs"], json!([ip, id_of(&external), nt, dn]));
    assert_eq!(out[5]["source_ref"], json!(ip));
    assert_eq!(out[5]["x_related"]["nested_refs"], json!([dn]));
    assert_eq!(out[6]["object_refs"][2], json!(dn));
    // The report shows the id changes and the references rewritten.
    assert!(outcome
        .changes
        .iter()
        .any(|c| c.position == 3 && c.path == "src_ref"));
    assert!(outcome
        .changes
        .iter()
        .any(|c| c.position == 3 && c.path == "id"));
    assert!(outcome
        .changes
        .iter()
        .any(|c| c.position == 5 && c.path == "x_related.nested_refs[0]"));
}

#[test]
fn dropped_observables_disappear_from_every_reference() {
    let policy_drop = Actions {
        host: shoal_protocol::desensitize::Action::Drop,
        ..Actions::default()
    };
    let host = sco("domain-name", "db.corp.example.com");
    let other = sco("domain-name", "evil.example.net");
    let observed = json!({
        "type": "observed-data", "spec_version": "2.1",
        "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
        "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
        "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z",
        "number_observed": 1,
        "object_refs": [id_of(&host), id_of(&other)]
    });
    let only_host = json!({
        "type": "observed-data", "spec_version": "2.1",
        "id": "observed-data--c67d30ff-02ac-498a-92f9-32f845f448cf",
        "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
        "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z",
        "number_observed": 1,
        "object_refs": [id_of(&host)]
    });
    let sighting = json!({
        "type": "sighting", "spec_version": "2.1",
        "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
        "created": "2016-04-06T20:08:31.000Z", "modified": "2016-04-06T20:08:31.000Z",
        "sighting_of_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
        "observed_data_refs": [id_of(&only_host), id_of(&observed)]
    });
    let relationship = json!({
        "type": "relationship", "spec_version": "2.1",
        "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
        "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
        "relationship_type": "resolves-to",
        "source_ref": id_of(&host), "target_ref": id_of(&other)
    });
    let input: Vec<StixObject> = [
        host.clone(),
        other,
        observed,
        only_host,
        sighting,
        relationship,
    ]
    .into_iter()
    .enumerate()
    .map(|(i, v)| validate_object(v, i).unwrap())
    .collect();
    let policy = Policy::new(
        vec![],
        vec!["corp.example.com".into()],
        vec![],
        vec![],
        policy_drop,
        false,
        NODE.into(),
    );
    let pan = CryptoPan::new(&[1; 32]);
    let key = PseudonymKey::derive(&[2; 32], 3);
    let keys = Keys {
        cryptopan: &pan,
        pseudonyms: &key,
    };
    let outcome = desensitize(input, &policy, &keys);
    let items = &outcome.items;
    let host_drop = items[0].result.as_ref().unwrap_err();
    assert_eq!(
        host_drop.id, "domain-name #0",
        "a value-derived id is never shown"
    );
    assert!(items[1].result.is_ok());
    let observed = items[2].result.as_ref().unwrap().clone().into_value();
    assert_eq!(observed["object_refs"].as_array().unwrap().len(), 1);
    assert!(
        items[3].result.is_err(),
        "observed data with nothing left is dropped"
    );
    let sighting = items[4].result.as_ref().unwrap().clone().into_value();
    assert_eq!(sighting["observed_data_refs"], json!([id_of(&observed)]));
    assert!(
        items[5].result.is_err(),
        "a relationship without its source is dropped"
    );
    let all = serde_json::to_string(
        &outcome
            .kept()
            .map(|o| o.clone().into_value())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(!all.contains(&id_of(&host)));
    let report = serde_json::to_string(&outcome.changes).unwrap()
        + &serde_json::to_string(&outcome.dropped().collect::<Vec<_>>()).unwrap();
    assert!(!report.contains(&id_of(&host)));
}

#[test]
fn embedded_observables_are_rewritten_and_local_references_follow() {
    let observed = json!({
        "type": "observed-data", "spec_version": "2.1",
        "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
        "created": "2016-04-06T19:58:16.000Z", "modified": "2016-04-06T19:58:16.000Z",
        "first_observed": "2015-12-21T19:00:00Z", "last_observed": "2015-12-21T19:00:00Z",
        "number_observed": 1,
        "objects": {
            "0": {"type": "ipv4-addr", "value": "192.168.0.10"},
            "1": {"type": "domain-name", "value": "www.corp.example.com", "resolves_to_refs": ["0"]},
            "2": {"type": "ipv4-addr", "value": "198.51.100.2"},
            "3": {"type": "domain-name", "value": "evil.example.net", "resolves_to_refs": ["2"]}
        }
    });
    let (_, outcome) = run(vec![observed]);
    let out = outcome.items[0]
        .result
        .as_ref()
        .unwrap()
        .clone()
        .into_value();
    let objects = &out["objects"];
    assert_ne!(objects["0"]["value"], json!("192.168.0.10"));
    assert!(objects["1"]["value"]
        .as_str()
        .unwrap()
        .ends_with(".pseudo.invalid"));
    assert_eq!(objects["1"]["resolves_to_refs"], json!(["0"]));
    assert_eq!(
        objects["3"],
        json!({"type": "domain-name", "value": "evil.example.net", "resolves_to_refs": ["2"]})
    );
}
