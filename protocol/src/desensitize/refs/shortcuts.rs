//! The shortcuts around the reference rewrite agree with it, for generated objects with
//! references (single, lists with repeats, nested in objects and lists) and id maps that
//! rename (to the same id or another), drop, or do not know an id:
//!
//! * when [`may_rewrite`] says no, the rewrite changes and records nothing;
//! * [`probe_refs`] records and returns what [`rewrite_refs`] does, changing nothing;
//! * every top-level member the rewrite changes or removes is one of
//!   [`members_to_rewrite`].

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::*;

const IDS: &[&str] = &[
    "identity--1",
    "identity--2",
    "ipv4-addr--3",
    "marking-definition--4",
    "malware--5",
];

fn id() -> impl Strategy<Value = String> {
    prop::sample::select(IDS).prop_map(str::to_owned)
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "created_by_ref",
        "object_refs",
        "object_marking_refs",
        "marking_ref",
        "source_ref",
        "x_refs",
        "x_ref",
        "description",
        "extensions",
        "granular_markings",
        "id",
    ])
    .prop_map(str::to_owned)
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        id().prop_map(Value::String),
        prop::collection::vec(id().prop_map(Value::String), 0..4).prop_map(Value::Array),
        Just(Value::Bool(true)),
        "[a-z]{0,4}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..3).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 1..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

fn object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((key(), value()), 0..6).prop_map(|kv| kv.into_iter().collect())
}

fn fate() -> impl Strategy<Value = Fate> {
    (
        prop_oneof![Just(None), id().prop_map(Some)],
        prop::sample::select(vec![
            Class::InternalIp,
            Class::MemberIdentity,
            Class::Canary,
        ]),
        prop::sample::select(vec![Action::Drop, Action::Hmac]),
    )
        .prop_map(|(target, class, action)| Fate {
            target,
            class,
            action,
        })
}

fn id_map() -> impl Strategy<Value = IdMap> {
    prop::collection::vec((id(), fate()), 0..4).prop_map(|v| v.into_iter().collect())
}

type Records = Vec<(String, Class, Action)>;

fn rewrite(map: &mut Map<String, Value>, ty: &str, ids: &IdMap) -> (Result<(), String>, Records) {
    let mut records = Vec::new();
    let result = rewrite_refs(map, ty, ids, &mut |p, c, a| {
        records.push((p.render(), c, a))
    });
    (result, records)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn shortcuts_agree_with_the_rewrite(
        map in object(),
        ids in id_map(),
        ty in prop::sample::select(vec!["report", "relationship", "indicator", "x-thing"]),
    ) {
        let mut rewritten = map.clone();
        let (result, records) = rewrite(&mut rewritten, ty, &ids);

        if !may_rewrite(&map, &ids) {
            prop_assert_eq!(&rewritten, &map);
            prop_assert!(records.is_empty());
            prop_assert!(result.is_ok());
        }

        let mut probed = map.clone();
        let mut probe_records = Vec::new();
        let probe_result = probe_refs(&mut probed, ty, &ids, &mut |p, c, a| {
            probe_records.push((p.render(), c, a))
        });
        prop_assert_eq!(&probed, &map);
        prop_assert_eq!(&probe_result, &result);
        prop_assert_eq!(&probe_records, &records);

        if result.is_ok() {
            let listed: Vec<&String> = members_to_rewrite(&map, &ids).map(|(k, _)| k).collect();
            for (key, before) in &map {
                if rewritten.get(key) != Some(before) {
                    prop_assert!(listed.contains(&key), "{key} changed but was not listed");
                }
            }
        }
    }
}
