//! Pseudonyms: the same internal value gives the same pseudonym within an input and
//! across inputs under the same key (and an unrelated one under another epoch's key);
//! Crypto-PAn keeps prefixes; every format stays valid where the value was.

use std::net::IpAddr;

use serde_json::{json, Value};
use shoal_crypto::{CryptoPan, PseudonymKey};
use shoal_protocol::desensitize::{desensitize, Action, Actions, IpNet, Keys, Policy};
use shoal_protocol::stix::{validate_object, StixObject};

const NODE: &str = "identity--5a1e1b9c-0d2e-4f3a-8b4c-5d6e7f8a9b0c";

fn policy(actions: Actions) -> Policy {
    Policy::new(
        vec![],
        vec!["corp.example.com".into()],
        vec!["Example Industrial Co".into()],
        vec![],
        actions,
        false,
        NODE.into(),
    )
}

fn note(text: &str, n: u8) -> Value {
    json!({
        "type": "note", "spec_version": "2.1",
        "id": format!("note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd00{n:02}"),
        "created": "2024-03-11T09:12:44.000Z", "modified": "2024-03-11T09:12:44.000Z",
        "content": text,
        "object_refs": ["malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"]
    })
}

fn sco(object_type: &str, value: &str, n: u8) -> Value {
    json!({
        "type": object_type, "spec_version": "2.1",
        "id": format!("{object_type}--0c7b5b88-8ff7-4a4d-aa9d-feb398cd00{n:02}"),
        "value": value
    })
}

fn run(values: Vec<Value>, epoch: u64, actions: Actions) -> Vec<Value> {
    let input: Vec<StixObject> = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| validate_object(v, i).unwrap())
        .collect();
    let pan = CryptoPan::new(&[0x5a; 32]);
    let key = PseudonymKey::derive(&[0xa5; 32], epoch);
    let keys = Keys {
        cryptopan: &pan,
        pseudonyms: &key,
    };
    desensitize(input, &policy(actions), &keys)
        .items
        .into_iter()
        .map(|i| i.result.unwrap().into_value())
        .collect()
}

#[test]
fn same_value_same_pseudonym_within_and_across_inputs() {
    let text = "db01.corp.example.com (10.20.30.40) mailed alice@corp.example.com from /home/alice/x, MAC 00:11:22:33:44:55";
    let first = run(
        vec![
            note(text, 1),
            note(text, 2),
            sco("ipv4-addr", "10.20.30.40", 3),
            sco("domain-name", "DB01.corp.example.com", 4),
            sco("email-addr", "Alice@corp.example.com", 5),
            sco("mac-addr", "00-11-22-33-44-55", 6),
        ],
        100,
        Actions::default(),
    );
    let content = first[0]["content"].as_str().unwrap();
    assert_eq!(first[1]["content"], first[0]["content"], "within one input");
    // Typed values and free text agree (host and e-mail case-insensitively, MAC in any
    // notation).
    for (i, _) in [(2, "ip"), (3, "host"), (4, "email"), (5, "mac")] {
        let v = first[i]["value"].as_str().unwrap();
        assert!(content.contains(v), "{v} not in {content}");
    }
    // Across inputs: a later run with the same key gives the same pseudonyms.
    let again = run(vec![note(text, 9)], 100, Actions::default());
    assert_eq!(again[0]["content"], first[0]["content"], "across inputs");
    // Another epoch's key: unrelated tokens (Crypto-PAn has its own key and stays).
    let other = run(vec![note(text, 9)], 101, Actions::default());
    assert_ne!(other[0]["content"], first[0]["content"]);
}

#[test]
fn formats_stay_valid_for_their_field() {
    let out = run(
        vec![
            sco("domain-name", "db01.corp.example.com", 1),
            sco("email-addr", "bob@example.org", 2),
            sco("mac-addr", "00:11:22:33:44:55", 3),
            sco("ipv4-addr", "10.9.8.7", 4),
            sco("ipv6-addr", "fd00::1", 5),
            json!({"type": "user-account", "spec_version": "2.1",
                   "id": "user-account--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0006",
                   "account_login": "bob"}),
        ],
        7,
        Actions {
            ip: Action::Hmac,
            ..Actions::default()
        },
    );
    let hex16 = |s: &str| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let host = out[0]["value"].as_str().unwrap();
    assert!(host
        .strip_prefix("h-")
        .and_then(|h| h.strip_suffix(".pseudo.invalid"))
        .is_some_and(hex16));
    let email = out[1]["value"].as_str().unwrap();
    assert!(email
        .strip_prefix("u-")
        .and_then(|h| h.strip_suffix("@pseudo.invalid"))
        .is_some_and(hex16));
    let mac = out[2]["value"].as_str().unwrap();
    let octets: Vec<u8> = mac
        .split(':')
        .map(|o| u8::from_str_radix(o, 16).unwrap())
        .collect();
    assert_eq!(octets.len(), 6);
    assert_eq!(octets[0] & 0b11, 0b10, "locally administered, unicast");
    let v4: IpAddr = out[3]["value"].as_str().unwrap().parse().unwrap();
    assert!(
        "198.18.0.0/15".parse::<IpNet>().unwrap().contains(&v4),
        "{v4}"
    );
    let v6: IpAddr = out[4]["value"].as_str().unwrap().parse().unwrap();
    assert!(
        "2001:db8::/32".parse::<IpNet>().unwrap().contains(&v6),
        "{v6}"
    );
    let user = out[5]["account_login"].as_str().unwrap();
    assert!(user.strip_prefix("user-").is_some_and(hex16));
}

fn common_prefix(a: IpAddr, b: IpAddr) -> u32 {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) ^ u32::from(b)).leading_zeros(),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a) ^ u128::from(b)).leading_zeros(),
        _ => 0,
    }
}

#[test]
fn cryptopan_keeps_prefixes() {
    let addresses = [
        "10.1.2.3",
        "10.1.2.77",
        "10.1.9.9",
        "10.200.0.1",
        "172.16.0.1",
        "fd00:1:2:3::1",
        "fd00:1:2:3::2",
        "fd00:1:2:4::1",
    ];
    let input: Vec<Value> = addresses
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let t = if a.contains(':') {
                "ipv6-addr"
            } else {
                "ipv4-addr"
            };
            sco(t, a, i as u8)
        })
        .collect();
    let out = run(input, 1, Actions::default());
    let images: Vec<IpAddr> = out
        .iter()
        .map(|o| o["value"].as_str().unwrap().parse().unwrap())
        .collect();
    for (i, a) in addresses.iter().enumerate() {
        for (j, b) in addresses.iter().enumerate() {
            let (a, b): (IpAddr, IpAddr) = (a.parse().unwrap(), b.parse().unwrap());
            if a.is_ipv4() != b.is_ipv4() {
                continue;
            }
            assert_eq!(
                common_prefix(images[i], images[j]),
                common_prefix(a, b),
                "{a} {b} -> {} {}",
                images[i],
                images[j]
            );
        }
    }
    // Networks keep their prefix length, host bits cleared.
    let out = run(
        vec![sco("ipv4-addr", "10.1.0.0/16", 1)],
        1,
        Actions::default(),
    );
    let net = out[0]["value"].as_str().unwrap();
    assert!(net.ends_with(".0.0/16"), "{net}");
    assert!(net.starts_with(&images[0].to_string()[..images[0].to_string().find('.').unwrap()]));
}
