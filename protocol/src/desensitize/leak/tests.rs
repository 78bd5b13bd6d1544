//! The final check reports the same leak, at the same path, as a walk that writes out
//! every path as it goes (the way paths were built before they were kept as links):
//! for generated objects with plain and odd keys (quotes, backslashes, hyphens, empty),
//! nested objects and lists, and sensitive values anywhere.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::*;
use crate::desensitize::policy::Actions;

fn policy() -> Policy {
    Policy::new(
        vec![],
        vec!["corp.example.com".into()],
        vec!["Example Industrial Co".into()],
        vec!["PROJECT-NIGHTJAR".into()],
        Actions::default(),
        false,
        String::new(),
    )
}

/// The walk as it was: a path string per value.
fn reference(object: &StixObject, policy: &Policy) -> Result<(), Leak> {
    let leak = |path: String, class: Class| Leak {
        object: object.id().to_owned(),
        path,
        class,
    };
    let matchers = Matchers::for_policy(policy).map_err(|_| leak(String::new(), Class::Canary))?;
    let check = |s: &str| leak_class(s, policy, &matchers, true);
    let mut stack: Vec<(String, &Value)> = Vec::new();
    for (key, value) in object.json().iter().rev() {
        stack.push((key.clone(), value));
    }
    for key in object.json().keys() {
        if let Some(class) = check(key) {
            return Err(leak(join_hidden_key(""), class));
        }
    }
    while let Some((path, value)) = stack.pop() {
        match value {
            Value::String(s) => {
                if let Some(class) = check(s) {
                    return Err(leak(path, class));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((join_index(&path, i), item));
                }
            }
            Value::Object(map) => {
                for key in map.keys() {
                    if let Some(class) = check(key) {
                        return Err(leak(join_hidden_key(&path), class));
                    }
                }
                for (key, item) in map.iter().rev() {
                    stack.push((join_key(&path, key), item));
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    Ok(())
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,8}",
        "[a-z' \\\\-]{0,6}",
        Just("x-corp.example.com".to_owned()),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => "[a-z ]{0,8}".prop_map(Value::String),
        1 => Just(Value::String("seen at 10.1.2.3".into())),
        1 => Just(Value::String("project-nightjar".into())),
        1 => Just(Value::String("corp\\.example\\.com".into())),
        1 => Just(Value::Bool(true)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn same_leaks_at_the_same_paths(members in prop::collection::vec((key(), value()), 0..6)) {
        let mut map: Map<String, Value> = members.into_iter().collect();
        map.insert("type".into(), Value::String("x-thing".into()));
        map.insert("id".into(), Value::String("x-thing--1".into()));
        let object = StixObject::from_validated(map);
        let policy = policy();
        prop_assert_eq!(leak_check(&object, &policy), reference(&object, &policy));
    }
}
