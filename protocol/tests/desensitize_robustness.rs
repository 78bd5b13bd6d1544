//! Robustness: arbitrary valid-ish objects — the corpus bundles and the STIX fixtures with
//! random properties and values planted in them (sensitive snippets, escapes, arbitrary
//! Unicode, nesting), and objects built from scratch — never panic `desensitize` or
//! `leak_check`. And whatever comes out is still valid STIX and passes `leak_check`.

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use shoal_crypto::{CryptoPan, PseudonymKey};
use shoal_protocol::desensitize::{desensitize, leak_check, Action, Actions, Keys, Policy};
use shoal_protocol::stix::{parse_input, validate_object, StixObject};

const NODE: &str = "identity--5a1e1b9c-0d2e-4f3a-8b4c-5d6e7f8a9b0c";

fn policy(actions: Actions) -> Policy {
    Policy::new(
        vec!["192.0.2.0/24".parse().unwrap()],
        vec!["corp.example.com".into(), "internal".into()],
        vec!["Example Industrial Co".into(), "EIC".into()],
        vec!["PROJECT-NIGHTJAR".into()],
        actions,
        false,
        NODE.into(),
    )
}

fn bundles() -> Vec<Vec<Value>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut out = Vec::new();
    for dir in ["desensitize", "valid"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p.ends_with("expectations.json")
                    && !p.ends_with("planted.json")
            })
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).unwrap();
            let objects: Vec<Value> = parse_input(&bytes)
                .unwrap()
                .into_iter()
                .map(|r| r.unwrap().into_value())
                .collect();
            out.push(objects);
        }
    }
    out
}

const SENSITIVE: &[&str] = &[
    "10.1.2.3",
    "010.1.2.3",
    "10.0.0.0/8",
    "172.31.255.1",
    "192.168.0.1:8080",
    "100.64.0.7",
    "127.0.0.1",
    "169.254.1.1",
    "192.0.2.55",
    "fd00::1",
    "fe80::1%eth0",
    "::ffff:10.9.9.9",
    "[fc00::7]:443",
    "db.corp.example.com",
    "CORP.EXAMPLE.COM",
    "corp\\.example\\.com",
    "https://wiki.corp.example.com/a?b=c",
    "printer.internal",
    "alice@corp.example.com",
    "x@y.org",
    "/home/alice/.ssh/id_rsa",
    "/Users/bob/Library",
    "C:\\Users\\carol\\AppData",
    "c:/users/dave/",
    "00:11:22:33:44:55",
    "AA-BB-CC-DD-EE-FF",
    "0011.2233.4455",
    "Example Industrial Co",
    "example industrial co",
    "EIC",
    "PROJECT-NIGHTJAR",
    "project-nightjar",
    "203.0.113.5",
    "evil.example.net",
    "2001:db8::1",
    "[REDACTED]",
    "h-0123456789abcdef.pseudo.invalid",
    "'",
    "\\",
    "%",
    "",
];

fn snippet() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(SENSITIVE).prop_map(str::to_owned),
        2 => (prop::sample::select(SENSITIVE), "[ -~]{0,6}", prop::sample::select(SENSITIVE))
            .prop_map(|(a, mid, b)| format!("{a}{mid}{b}")),
        1 => any::<String>(),
        1 => "[a-z0-9.:@/\\\\ %_-]{0,24}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        4 => snippet().prop_map(Value::String),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => any::<bool>().prop_map(Value::Bool),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(Value::Array),
            prop::collection::vec((snippet(), inner), 1..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// A STIX pattern with sensitive snippets in literals (possibly not valid; then the
/// mutation is simply rejected by validation).
fn pattern() -> impl Strategy<Value = Value> {
    let literal =
        snippet().prop_map(|s| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")));
    let path = prop::sample::select(vec![
        "ipv4-addr:value",
        "ipv6-addr:value",
        "domain-name:value",
        "url:value",
        "email-addr:value",
        "mac-addr:value",
        "user-account:account_login",
        "file:parent_directory_ref.path",
        "x-custom:'corp.example.com'",
        "network-traffic:dst_ref.value",
    ]);
    let cmp = (
        path,
        prop::sample::select(vec!["=", "!=", "LIKE", "MATCHES", "ISSUBSET"]),
        literal,
    )
        .prop_map(|(p, op, l)| format!("{p} {op} {l}"));
    (
        prop::collection::vec(cmp, 1..4),
        prop::sample::select(vec![" AND ", " OR "]),
        prop::sample::select(vec!["", " WITHIN 5 SECONDS", " /* PROJECT-NIGHTJAR */"]),
        any::<bool>(),
    )
        .prop_map(|(cmps, join, tail, split)| {
            let text = if split {
                cmps.iter()
                    .map(|c| format!("[{c}]"))
                    .collect::<Vec<_>>()
                    .join(join)
            } else {
                format!("[{}]", cmps.join(join))
            };
            Value::String(format!("{text}{tail}"))
        })
}

const KEYS: &[&str] = &[
    "description",
    "name",
    "x_note",
    "x_map",
    "value",
    "labels",
    "display_name",
    "account_login",
    "user_id",
    "path",
    "command_line",
    "cwd",
    "contact_information",
    "content",
    "subject",
    "body",
    "extensions",
    "external_references",
    "environment_variables",
    "resolves_to_refs",
    "x_custom_refs",
];

fn mutation() -> impl Strategy<Value = (prop::sample::Index, String, Value)> {
    (
        any::<prop::sample::Index>(),
        prop::sample::select(KEYS).prop_map(str::to_owned),
        prop_oneof![
            6 => json_value(),
            1 => pattern(),
            1 => snippet().prop_map(|s| json!([{"source_name": "x", "url": format!("https://{s}/")}])),
            1 => snippet().prop_map(|s| json!({"USERNAME": s.clone(), "COMPUTERNAME": s})),
        ],
    )
}

fn apply(
    objects: &[Value],
    mutations: Vec<(prop::sample::Index, String, Value)>,
) -> Vec<StixObject> {
    let mut objects = objects.to_vec();
    for (at, key, value) in mutations {
        if objects.is_empty() {
            break;
        }
        let i = at.index(objects.len());
        let mut candidate = objects[i].clone();
        let key = if key == "value" && candidate.get("pattern").is_some() {
            "pattern".to_owned()
        } else {
            key
        };
        candidate[key.as_str()] = value;
        // Keep the mutation only if the object is still valid STIX.
        if validate_object(candidate.clone(), i).is_ok() {
            objects[i] = candidate;
        }
    }
    objects
        .into_iter()
        .enumerate()
        .map(|(i, v)| validate_object(v, i).unwrap())
        .collect()
}

fn keys_for<R>(f: impl FnOnce(&Keys) -> R) -> R {
    let pan = CryptoPan::new(&[9; 32]);
    let key = PseudonymKey::derive(&[8; 32], 4);
    f(&Keys {
        cryptopan: &pan,
        pseudonyms: &key,
    })
}

fn check(input: Vec<StixObject>, actions: Actions) -> Result<(), TestCaseError> {
    let policy = policy(actions);
    for object in &input {
        let _ = leak_check(object, &policy);
    }
    let n = input.len();
    let outcome = keys_for(|keys| desensitize(input, &policy, keys));
    prop_assert_eq!(outcome.items.len(), n);
    for (i, item) in outcome.items.iter().enumerate() {
        prop_assert_eq!(item.position, i);
        if let Ok(object) = &item.result {
            let revalidated = validate_object(object.clone().into_value(), i);
            prop_assert!(revalidated.is_ok(), "{:?}", revalidated);
            let leak = leak_check(object, &policy);
            prop_assert!(
                leak.is_ok(),
                "{:?} in {}",
                leak,
                serde_json::to_string(&object.clone().into_value()).unwrap()
            );
        }
    }
    Ok(())
}

fn actions() -> impl Strategy<Value = Actions> {
    let action = || {
        prop::sample::select(vec![
            Action::Drop,
            Action::Redact,
            Action::Hmac,
            Action::Cryptopan,
        ])
    };
    prop_oneof![
        3 => Just(Actions::default()),
        1 => (action(), action(), action(), action(), action(), action()).prop_map(
            |(ip, host, email, user, mac, organisation)| Actions {
                ip,
                host,
                email,
                user,
                mac,
                organisation,
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_bundles_never_panic_and_never_leak(
        bundle in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..8),
        actions in actions(),
    ) {
        let all = bundles();
        let objects = &all[bundle.index(all.len())];
        check(apply(objects, mutations), actions)?;
    }

    #[test]
    fn objects_from_scratch_never_panic_and_never_leak(
        object_type in prop::sample::select(vec![
            "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "mac-addr",
            "user-account", "directory", "file", "process", "x-custom-sco", "note", "x-thing",
        ]),
        properties in prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..6),
        actions in actions(),
    ) {
        let mut v = json!({
            "type": object_type,
            "spec_version": "2.1",
            "id": format!("{object_type}--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0001"),
        });
        if object_type == "note" {
            v["created"] = json!("2024-03-11T09:12:44.000Z");
            v["modified"] = json!("2024-03-11T09:12:44.000Z");
            v["content"] = json!("x");
            v["object_refs"] = json!(["malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]);
        }
        for (key, value) in properties {
            v[key] = value;
        }
        if let Ok(object) = validate_object(v, 0) {
            check(vec![object], actions)?;
        }
    }
}
