//! `leak_check` on objects built by hand, bypassing `desensitize`: a planted canary,
//! internal address, internal domain or organisation name left anywhere blocks the
//! publish; the error names the object and the JSON path, and never the value.

use serde_json::{json, Value};
use shoal_protocol::desensitize::{leak_check, Actions, Class, Leak, Policy};
use shoal_protocol::stix::{validate_object, StixObject};

const ID: &str = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b";

fn policy(share: bool) -> Policy {
    Policy::new(
        vec!["192.0.2.0/24".parse().unwrap()],
        vec!["corp.example.com".into()],
        vec!["Example Industrial Co".into()],
        vec!["PROJECT-NIGHTJAR".into()],
        Actions::default(),
        share,
        "identity--5a1e1b9c-0d2e-4f3a-8b4c-5d6e7f8a9b0c".into(),
    )
}

fn malware(extra: Value) -> StixObject {
    let mut v = json!({
        "type": "malware", "spec_version": "2.1", "id": ID,
        "created": "2024-03-11T09:12:44.000Z", "modified": "2024-03-11T09:12:44.000Z",
        "name": "Sliver implant", "is_family": false,
        "description": "Talks to 203.0.113.5 and evil.example.net."
    });
    for (k, val) in extra.as_object().unwrap() {
        v[k] = val.clone();
    }
    validate_object(v, 0).unwrap()
}

fn blocked(object: &StixObject, planted: &str) -> Leak {
    let leak = leak_check(object, &policy(false)).expect_err("must be blocked");
    let text = leak.to_string();
    assert!(
        !text.to_lowercase().contains(&planted.to_lowercase()),
        "error shows the value: {text}"
    );
    assert!(!format!("{leak:?}")
        .to_lowercase()
        .contains(&planted.to_lowercase()));
    assert!(
        text.contains(ID) && text.contains("the publish is blocked"),
        "{text}"
    );
    leak
}

#[test]
fn clean_objects_pass() {
    leak_check(&malware(json!({})), &policy(false)).unwrap();
    leak_check(
        &malware(json!({"x_note": "h-0123456789abcdef.pseudo.invalid at 198.18.3.4, 2001:db8::5, user-0123456789abcdef"})),
        &policy(false),
    )
    .unwrap();
}

#[test]
fn planted_values_are_found_anywhere() {
    for (extra, planted, class, path) in [
        (
            json!({"description": "beacon to 10.1.2.3"}),
            "10.1.2.3",
            Class::InternalIp,
            "description",
        ),
        (
            json!({"description": "beacon to 010.001.002.003"}),
            "010.001.002.003",
            Class::InternalIp,
            "description",
        ),
        (
            json!({"x_hosts": ["a", "b 172.16.9.9"]}),
            "172.16.9.9",
            Class::InternalIp,
            "x_hosts[1]",
        ),
        (
            json!({"x_net": {"range": "192.0.2.0/24"}}),
            "192.0.2.0",
            Class::InternalIp,
            "x_net.range",
        ),
        (
            json!({"x_v6": "fd00::beef"}),
            "fd00::beef",
            Class::InternalIp,
            "x_v6",
        ),
        (
            json!({"x_v6": "::ffff:192.168.1.1"}),
            "192.168.1.1",
            Class::InternalIp,
            "x_v6",
        ),
        (
            json!({"x_ll": "169.254.0.9 and 100.64.3.3"}),
            "169.254.0.9",
            Class::InternalIp,
            "x_ll",
        ),
        (
            json!({"external_references": [{"source_name": "wiki", "url": "https://WIKI.Corp.Example.COM/ir/1"}]}),
            "corp.example.com",
            Class::InternalHost,
            "external_references[0].url",
        ),
        (
            json!({"x_regex": "^.+@corp\\.example\\.com$"}),
            "corp",
            Class::InternalHost,
            "x_regex",
        ),
        (
            json!({"kill_chain_phases": [{"kill_chain_name": "x", "phase_name": "example industrial co"}]}),
            "example industrial co",
            Class::Organisation,
            "kill_chain_phases[0].phase_name",
        ),
        (
            json!({"labels": ["project-nightjar"]}),
            "project-nightjar",
            Class::Canary,
            "labels[0]",
        ),
        (
            json!({"name": "PROJECT-NIGHTJAR"}),
            "PROJECT-NIGHTJAR",
            Class::Canary,
            "name",
        ),
        (
            json!({"extensions": {"x-ext": {"deep": [{"deeper": {"v": "at 127.0.0.1"}}]}}}),
            "127.0.0.1",
            Class::InternalIp,
            "extensions['x-ext'].deep[0].deeper.v",
        ),
        (
            json!({"x_map": {"srv.corp.example.com": 1}}),
            "srv.corp.example.com",
            Class::InternalHost,
            "x_map.{key}",
        ),
    ] {
        let object = malware(extra);
        let leak = blocked(&object, planted);
        assert_eq!(leak.class, class, "{planted}");
        assert_eq!(leak.path, path, "{planted}");
        assert_eq!(leak.object, ID);
    }
}

#[test]
fn patterns_and_sco_values_are_checked_too() {
    let indicator = validate_object(
        json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2024-03-11T09:12:44.000Z", "modified": "2024-03-11T09:12:44.000Z",
            "pattern": "[ipv4-addr:value = '203.0.113.5' OR ipv4-addr:value = '192.168.7.7']",
            "pattern_type": "stix", "valid_from": "2024-03-11T00:00:00Z"
        }),
        0,
    )
    .unwrap();
    let leak = leak_check(&indicator, &policy(false)).unwrap_err();
    assert_eq!(
        (leak.class, leak.path.as_str()),
        (Class::InternalIp, "pattern")
    );
    assert!(!leak.to_string().contains("192.168"));
    let ip = validate_object(
        json!({"type": "ipv4-addr", "spec_version": "2.1",
               "id": "ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8", "value": "10.0.0.0/8"}),
        0,
    )
    .unwrap();
    let leak = leak_check(&ip, &policy(false)).unwrap_err();
    assert_eq!(
        (leak.class, leak.path.as_str()),
        (Class::InternalIp, "value")
    );
}

#[test]
fn shared_member_identity_may_carry_the_organisation_name() {
    let identity = validate_object(
        json!({"type": "identity", "spec_version": "2.1",
               "id": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
               "created": "2024-03-11T09:12:44.000Z", "modified": "2024-03-11T09:12:44.000Z",
               "name": "Example Industrial Co", "identity_class": "organization"}),
        0,
    )
    .unwrap();
    assert_eq!(
        leak_check(&identity, &policy(false)).unwrap_err().class,
        Class::Organisation
    );
    leak_check(&identity, &policy(true)).unwrap();
    // Elsewhere the name still blocks.
    let m = malware(json!({"description": "by Example Industrial Co"}));
    assert_eq!(
        leak_check(&m, &policy(true)).unwrap_err().class,
        Class::Organisation
    );
}
