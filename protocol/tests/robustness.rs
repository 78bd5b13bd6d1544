//! Property tests: untrusted input never panics the STIX parser, the pattern parser or the
//! canonicaliser, and RFC 8785 canonicalisation is a fixed point.

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use shoal_protocol::jcs;
use shoal_protocol::stix::{parse_input, pattern, validate_object};

fn fixtures() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    out.sort();
    out
}

/// Arbitrary JSON values, including awkward numbers, keys and nesting.
fn json_value() -> impl Strategy<Value = Value> {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        (-1000i64..1000).prop_map(|n| Value::Number(n.into())),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number,
        any::<String>().prop_map(Value::String),
        "[a-z_\\-:'\\[\\]\\.]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Insert, delete or overwrite bytes of `base` at the given positions.
fn mutate(mut base: Vec<u8>, edits: &[(u8, usize, u8)]) -> Vec<u8> {
    for &(op, pos, byte) in edits {
        if base.is_empty() {
            base.push(byte);
            continue;
        }
        let pos = pos % base.len();
        match op % 3 {
            0 => base[pos] = byte,
            1 => base.insert(pos, byte),
            _ => {
                base.remove(pos);
            }
        }
    }
    base
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_input_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_input(&bytes);
    }

    #[test]
    fn parse_input_never_panics_on_mutated_stix(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..8),
    ) {
        let all = fixtures();
        let base = which.get(&all).clone();
        let _ = parse_input(&mutate(base, &edits));
    }

    #[test]
    fn validation_never_panics_on_arbitrary_json(value in json_value()) {
        let _ = validate_object(value.clone(), 0);
        let bundle = serde_json::json!({
            "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [value]
        });
        let _ = parse_input(bundle.to_string().as_bytes());
    }

    #[test]
    fn validation_never_panics_when_known_properties_hold_arbitrary_json(
        which in any::<prop::sample::Index>(),
        key in prop::sample::select(vec![
            "type", "id", "spec_version", "created", "modified", "created_by_ref", "labels", "confidence",
            "lang", "external_references", "object_marking_refs", "granular_markings", "extensions",
            "pattern", "pattern_type", "valid_from", "valid_until", "count", "first_seen", "last_seen",
            "sighting_of_ref", "where_sighted_refs", "observed_data_refs", "number_observed", "objects",
            "object_refs", "is_family", "name", "definition", "definition_type", "kill_chain_phases",
            "hashes", "latitude", "x_custom_ref", "x_custom_refs", "x_custom_bin", "x_custom_hex",
        ]),
        value in json_value(),
    ) {
        let all = fixtures();
        let mut base: Value = serde_json::from_slice(which.get(&all).as_slice()).unwrap();
        if let Some(objects) = base.get_mut("objects").and_then(Value::as_array_mut) {
            if let Some(Value::Object(first)) = objects.first_mut() {
                first.insert(key.to_owned(), value.clone());
            }
        } else if let Value::Object(map) = &mut base {
            map.insert(key.to_owned(), value);
        }
        let _ = parse_input(base.to_string().as_bytes());
    }

    #[test]
    fn pattern_parser_never_panics(text in "\\PC{0,80}") {
        let _ = pattern::validate(&text);
    }

    #[test]
    fn pattern_parser_never_panics_on_mutated_patterns(
        edits in prop::collection::vec((any::<u8>(), any::<usize>(), 0x20u8..0x7f), 1..6),
    ) {
        let base = b"([network-traffic:extensions.'http-request-ext'.request_method = 'POST' AND x:y[*].z IN (1, -2.5, b'AAAA', h'00', t'2016-01-01T00:00:00Z', true)] REPEATS 3 TIMES) FOLLOWEDBY [file:name NOT MATCHES '^a\\\\'] START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'".to_vec();
        if let Ok(text) = String::from_utf8(mutate(base, &edits)) {
            let _ = pattern::validate(&text);
        }
    }

    #[test]
    fn canonicalisation_is_a_fixed_point(value in json_value()) {
        if let Ok(canonical) = jcs::canonicalize(&value) {
            let reparsed: Value = serde_json::from_slice(&canonical).unwrap();
            prop_assert_eq!(jcs::canonicalize(&reparsed).unwrap(), canonical);
        }
    }
}
