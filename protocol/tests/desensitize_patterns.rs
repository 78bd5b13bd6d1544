//! Indicator patterns under desensitization: an indicator whose only content is internal
//! is dropped; a mixed one keeps only its external side, in valid pattern syntax; an
//! external one keeps its text byte for byte. And the pattern printer round-trips:
//! parse → print → parse gives the same syntax tree, for generated trees and for
//! mutated real patterns.

use proptest::prelude::*;
use serde_json::json;
use shoal_crypto::{CryptoPan, PseudonymKey};
use shoal_protocol::desensitize::{
    desensitize, leak_check, Action, Actions, Class, Keys, Outcome, Policy,
};
use shoal_protocol::stix::pattern::ast::{
    CmpOp, Comparison, ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operand, PathStep,
    Pattern, Qualifier,
};
use shoal_protocol::stix::pattern::parse;
use shoal_protocol::stix::timestamp::Timestamp;
use shoal_protocol::stix::{validate_object, StixObject};

const NODE: &str = "identity--5a1e1b9c-0d2e-4f3a-8b4c-5d6e7f8a9b0c";

fn policy(actions: Actions) -> Policy {
    Policy::new(
        vec!["192.0.2.0/24".parse().unwrap()],
        vec!["corp.example.com".into()],
        vec!["Example Industrial Co".into()],
        vec!["PROJECT-NIGHTJAR".into()],
        actions,
        false,
        NODE.into(),
    )
}

fn indicator(pattern: &str, pattern_type: &str) -> StixObject {
    validate_object(
        json!({
            "type": "indicator",
            "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2024-03-11T09:12:44.000Z",
            "modified": "2024-03-11T09:12:44.000Z",
            "pattern": pattern,
            "pattern_type": pattern_type,
            "valid_from": "2024-03-11T00:00:00Z"
        }),
        0,
    )
    .unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

fn run_with(pattern: &str, pattern_type: &str, actions: Actions) -> Outcome {
    let pan = CryptoPan::new(&[5; 32]);
    let key = PseudonymKey::derive(&[6; 32], 1);
    let keys = Keys {
        cryptopan: &pan,
        pseudonyms: &key,
    };
    desensitize(
        vec![indicator(pattern, pattern_type)],
        &policy(actions),
        &keys,
    )
}

/// The pattern after desensitization, or None when the indicator was dropped.
fn rewrite(pattern: &str) -> Option<String> {
    let outcome = run_with(pattern, "stix", Actions::default());
    let object = outcome.items.into_iter().next()?.result.ok()?;
    leak_check(&object, &policy(Actions::default())).unwrap();
    let text = object.str_prop("pattern")?.to_owned();
    parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    Some(text)
}

#[test]
fn only_internal_comparisons_drop_the_indicator() {
    for pattern in [
        "[ipv4-addr:value = '10.0.0.1']",
        "[ipv4-addr:value = '172.16.5.4' OR ipv4-addr:value = '192.168.1.1']",
        "[ipv4-addr:value = '100.64.1.1'] AND [ipv6-addr:value = 'fd00::1']",
        "[ipv4-addr:value ISSUBSET '192.0.2.0/24']",
        "[ipv4-addr:value = '169.254.1.1'] FOLLOWEDBY [ipv4-addr:value = '127.0.0.1'] WITHIN 60 SECONDS",
        "[domain-name:value = 'dc01.corp.example.com']",
        "[url:value = 'https://intranet.corp.example.com/login']",
        "[email-addr:value = 'alice@corp.example.com']",
        "[email-message:from_ref.value MATCHES '^.+@corp\\\\.example\\\\.com$']",
        "[mac-addr:value = '00:11:22:33:44:55']",
        "[user-account:account_login = 'jdoe']",
        "[file:parent_directory_ref.path = '/home/jdoe/.ssh']",
        "[x-custom:note = 'PROJECT-NIGHTJAR']",
        "[x-custom:owner LIKE '%Example Industrial Co%']",
        "[ipv4-addr:value IN ('10.0.0.1', '10.0.0.2')]",
    ] {
        assert_eq!(rewrite(pattern), None, "{pattern} should be dropped");
        let outcome = run_with(pattern, "stix", Actions::default());
        let dropped = outcome.items[0].result.as_ref().unwrap_err();
        assert!(dropped.reason.starts_with("its pattern holds only sensitive values"));
        assert!(!dropped.reason.contains("10.0") && !dropped.reason.contains("corp"));
    }
}

#[test]
fn mixed_indicators_keep_only_their_external_side() {
    for (pattern, expected) in [
        (
            "[ipv4-addr:value = '10.0.0.1' OR ipv4-addr:value = '203.0.113.5']",
            "[ipv4-addr:value = '203.0.113.5']",
        ),
        (
            "[ipv4-addr:value = '10.0.0.1'] AND [ipv4-addr:value = '203.0.113.5']",
            "[ipv4-addr:value = '203.0.113.5']",
        ),
        (
            "[network-traffic:src_ref.value = '192.168.1.5' AND network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]",
            "[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]",
        ),
        (
            "([domain-name:value = 'evil.example.net'] OR [domain-name:value = 'wpad.corp.example.com']) FOLLOWEDBY [url:value = 'http://evil.example.net/x'] WITHIN 300 SECONDS",
            "[domain-name:value = 'evil.example.net'] FOLLOWEDBY [url:value = 'http://evil.example.net/x'] WITHIN 300 SECONDS",
        ),
        (
            "[ipv4-addr:value IN ('10.0.0.1', '203.0.113.5', '192.0.2.9', '198.51.100.1')]",
            "[ipv4-addr:value IN ('203.0.113.5', '198.51.100.1')]",
        ),
        (
            "[file:name = 'svc.exe' AND file:parent_directory_ref.path = 'C:\\\\Users\\\\jdoe\\\\AppData']",
            "[file:name = 'svc.exe']",
        ),
        (
            "([ipv6-addr:value = 'fe80::1'] OR [ipv6-addr:value = '2001:db8::7']) REPEATS 3 TIMES",
            "[ipv6-addr:value = '2001:db8::7'] REPEATS 3 TIMES",
        ),
        (
            "[(file:name = 'a.exe' OR file:name = 'PROJECT-NIGHTJAR.doc') AND file:size > 10]",
            "[file:name = 'a.exe' AND file:size > 10]",
        ),
    ] {
        assert_eq!(rewrite(pattern).as_deref(), Some(expected), "{pattern}");
    }
}

#[test]
fn external_patterns_stay_byte_for_byte() {
    for pattern in [
        "[ipv4-addr:value = '203.0.113.5']",
        "[domain-name:value = 'evil.example.net']",
        "[ ipv4-addr:value   =   '198.51.100.1/32' ]",
        "[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",
        "[url:value = 'http://x4z9arb.cn/4712/'] WITHIN 1800 SECONDS",
        "[network-traffic:dst_port IN (80, 443)] /* a comment */",
    ] {
        assert_eq!(rewrite(pattern).as_deref(), Some(pattern), "{pattern}");
    }
    // A sensitive comment is not published: the pattern is printed anew without it.
    let out = rewrite("[ipv4-addr:value = '203.0.113.5'] /* PROJECT-NIGHTJAR */").unwrap();
    assert_eq!(out, "[ipv4-addr:value = '203.0.113.5']");
}

#[test]
fn drop_action_drops_even_a_mixed_indicator() {
    let actions = Actions {
        ip: Action::Drop,
        ..Actions::default()
    };
    let outcome = run_with(
        "[ipv4-addr:value = '10.0.0.1' OR ipv4-addr:value = '203.0.113.5']",
        "stix",
        actions,
    );
    let dropped = outcome.items[0].result.as_ref().unwrap_err();
    assert!(dropped.reason.contains("internal_ip"), "{}", dropped.reason);
    assert!(outcome
        .changes
        .iter()
        .any(|c| c.path == "pattern" && c.class == Class::InternalIp && c.action == Action::Drop));
}

#[test]
fn non_stix_patterns_with_internal_values_are_dropped() {
    let outcome = run_with(
        "alert tcp 10.1.2.0/24 any -> 203.0.113.5 80 (msg:\"x\";)",
        "snort",
        Actions::default(),
    );
    assert!(outcome.items[0].result.is_err());
    let outcome = run_with(
        "rule x { strings: $a = \"evil.example.net\" condition: $a }",
        "yara",
        Actions::default(),
    );
    assert!(outcome.items[0].result.is_ok());
}

// ---- printer round trip ------------------------------------------------------------

const TIMESTAMPS: &[&str] = &[
    "2016-06-01T00:00:00Z",
    "2016-07-01T00:00:00.123Z",
    "2020-02-29T23:59:60Z",
    "2024-03-11T09:12:44.000000001Z",
];

fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop::sample::select(TIMESTAMPS).prop_map(|t| Timestamp::parse(t).unwrap())
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_]{0,8}",
        prop::sample::select(vec![
            "AND", "true", "IN", "value", "SHA-256", "9lives", "b", "t"
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,8}",
        any::<String>(),
    ]
}

fn object_path() -> impl Strategy<Value = ObjectPath> {
    let step = prop_oneof![
        key().prop_map(PathStep::Key),
        any::<i64>().prop_map(PathStep::Index),
        Just(PathStep::AnyIndex),
    ];
    (
        prop::sample::select(vec![
            "file",
            "ipv4-addr",
            "x-custom-obj",
            "network-traffic",
            "a-b",
        ]),
        key(),
        prop::collection::vec(step, 0..4),
    )
        .prop_map(|(t, first, rest)| {
            let mut steps = vec![PathStep::Key(first)];
            steps.extend(rest);
            ObjectPath {
                object_type: t.to_owned(),
                steps,
            }
        })
}

fn orderable_literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<String>().prop_map(Literal::String),
        "[ -~]{0,10}".prop_map(Literal::String),
        any::<i64>().prop_map(Literal::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Literal::Float),
        (-1e6f64..1e6).prop_map(Literal::Float),
        "([A-Za-z0-9+/]{4}){0,3}([A-Za-z0-9+/]{2}==)?".prop_map(Literal::Binary),
        "([0-9a-fA-F]{2}){0,6}".prop_map(Literal::Hex),
        timestamp().prop_map(Literal::Timestamp),
    ]
}

fn any_literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        4 => orderable_literal(),
        1 => any::<bool>().prop_map(Literal::Bool),
    ]
}

fn comparison() -> impl Strategy<Value = Comparison> {
    let string = || prop_oneof![any::<String>(), "[ -~]{0,10}"].prop_map(Literal::String);
    let op_value = prop_oneof![
        (
            prop::sample::select(vec![CmpOp::Eq, CmpOp::Ne]),
            any_literal()
        )
            .prop_map(|(op, l)| (op, Operand::Literal(l))),
        (
            prop::sample::select(vec![CmpOp::Gt, CmpOp::Lt, CmpOp::Ge, CmpOp::Le]),
            orderable_literal()
        )
            .prop_map(|(op, l)| (op, Operand::Literal(l))),
        (
            prop::sample::select(vec![
                CmpOp::Like,
                CmpOp::Matches,
                CmpOp::IsSubset,
                CmpOp::IsSuperset
            ]),
            string()
        )
            .prop_map(|(op, l)| (op, Operand::Literal(l))),
        prop::collection::vec(any_literal(), 0..4).prop_map(|s| (CmpOp::In, Operand::Set(s))),
    ];
    (object_path(), any::<bool>(), op_value).prop_map(|(path, negated, (op, value))| Comparison {
        path,
        negated,
        op,
        value,
    })
}

fn comparison_expr() -> impl Strategy<Value = ComparisonExpr> {
    let leaf = prop_oneof![
        4 => comparison().prop_map(ComparisonExpr::Test),
        1 => object_path().prop_map(ComparisonExpr::Exists),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(ComparisonExpr::And),
            prop::collection::vec(inner, 2..4).prop_map(ComparisonExpr::Or),
        ]
    })
}

fn qualifier() -> impl Strategy<Value = Qualifier> {
    prop_oneof![
        (1u32..100_000).prop_map(|s| Qualifier::Within {
            seconds: f64::from(s)
        }),
        (0.001f64..1e9).prop_map(|seconds| Qualifier::Within { seconds }),
        (1u64..1_000_000).prop_map(|times| Qualifier::Repeats { times }),
        (0usize..TIMESTAMPS.len(), 0usize..TIMESTAMPS.len())
            .prop_filter("start before stop", |(a, b)| a < b)
            .prop_map(|(a, b)| Qualifier::StartStop {
                start: Timestamp::parse(TIMESTAMPS[a]).unwrap(),
                stop: Timestamp::parse(TIMESTAMPS[b]).unwrap(),
            }),
    ]
}

fn observation_expr() -> impl Strategy<Value = ObservationExpr> {
    comparison_expr()
        .prop_map(ObservationExpr::Observation)
        .prop_recursive(3, 10, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::Or),
                prop::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::FollowedBy),
                (inner, prop::collection::vec(qualifier(), 1..3)).prop_map(|(e, qualifiers)| {
                    ObservationExpr::Qualified {
                        expr: Box::new(e),
                        qualifiers,
                    }
                }),
            ]
        })
}

/// Real patterns (the parser's own examples and the corpus), to be mutated.
const SEEDS: &[&str] = &[
    "[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
    "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
    "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
    "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
    "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
    "[network-traffic:extensions.'http-request-ext'.request_method = 'POST'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
    "[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
    "[network-traffic:dst_port IN (80, 443, 8080)] AND [file:mime_type NOT IN ('a', 'b')]",
    "[file:content_ref.payload_bin = b'dGhpcyBpcyBhIHRlc3Q='] OR [artifact:payload_bin = h'0badcafe']",
    "[process:opened_connection_refs[0].dst_port >= 1024 AND process:pid != -1 AND process:x_score <= 1.5]",
    "(([a-b:c = 1] AND [a-b:d = 2]) OR [a-b:e = 3]) FOLLOWEDBY ([x-y:z == 'q'] WITHIN 0.5 SECONDS)",
    "[file:name <> 'x' AND (file:size < 10 OR file:size > 100)]",
    "[network-traffic:src_ref.value = '172.20.3.44' AND network-traffic:dst_ref.value = '203.0.113.5'] WITHIN 600 SECONDS",
];

/// Replace one literal or key character of a seed: a mutation that keeps it parseable
/// often enough to be interesting (unparseable mutants are skipped).
fn mutated_seed() -> impl Strategy<Value = String> {
    (
        prop::sample::select(SEEDS),
        any::<prop::sample::Index>(),
        prop::sample::select(vec![
            "'", "\\\\", "x", "0", " ", "AND", "(", ")", "é", "1.5",
        ]),
    )
        .prop_map(|(seed, at, insert)| {
            let chars: Vec<char> = seed.chars().collect();
            let i = at.index(chars.len() + 1);
            let mut out: String = chars[..i].iter().collect();
            out.push_str(insert);
            out.extend(&chars[i..]);
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printed_patterns_parse_back_to_the_same_tree(expr in observation_expr()) {
        let ast = Pattern { expr };
        let text = ast.to_string();
        let back = parse(&text);
        prop_assert!(back.is_ok(), "{} does not parse: {:?}", text, back);
        prop_assert_eq!(back.unwrap(), ast, "{}", text);
    }

    #[test]
    fn mutated_real_patterns_round_trip(src in mutated_seed()) {
        if let Ok(ast) = parse(&src) {
            let text = ast.to_string();
            let back = parse(&text);
            prop_assert!(back.is_ok(), "{} -> {} does not parse: {:?}", src, text, back);
            prop_assert_eq!(back.unwrap(), ast, "{} -> {}", src, text);
        }
    }
}

#[test]
fn seeds_round_trip() {
    for seed in SEEDS {
        let ast = parse(seed).unwrap();
        assert_eq!(parse(&ast.to_string()).unwrap(), ast, "{seed}");
    }
}
