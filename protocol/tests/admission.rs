//! Admission: requests, certificates and chains round-trip; a national → provincial →
//! member chain verifies; every verification failure class is reported as its own error;
//! any change to signed data is caught; revocations apply exactly per the documented rule;
//! readers reject garbage without panicking; and the TLP eligibility table.

use std::collections::BTreeSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{json, Value};
use shoal_crypto::note::verifier_key;
use shoal_crypto::NodeKey;
use shoal_protocol::admission::{
    verify_chain, verify_peer, AdmissionError, AdmissionRequest, Admitted, Certificate, Chain,
    Communities, Grant, Revocation, RevocationSet, Role, TrustRoots, CERTIFICATE_DOMAIN,
    ISSUE_BACKDATE_SECS, MAX_CHAIN_BYTES, MAX_COMMUNITIES, MAX_TIME, REQUEST_DOMAIN,
    REVOCATION_DOMAIN,
};
use shoal_protocol::jcs::canonicalize;
use shoal_protocol::Tlp;

const NOW: u64 = 1_700_000_000;
const DAY: u64 = 86_400;

fn key(n: u8) -> NodeKey {
    NodeKey::from_seed([n; 32])
}

/// The national CERT: the trust root.
fn national() -> NodeKey {
    key(1)
}
/// A provincial CERT: an anchor certified by the national CERT.
fn provincial() -> NodeKey {
    key(2)
}
/// A member certified by the provincial CERT.
fn member() -> NodeKey {
    key(3)
}
/// A key nobody certified.
fn stranger() -> NodeKey {
    key(9)
}

fn roots() -> TrustRoots {
    let mut roots = TrustRoots::new();
    roots.insert(national().public(), "cert.example");
    roots
}

fn no_revocations() -> RevocationSet {
    RevocationSet::new()
}

fn request(k: &NodeKey, name: &str) -> AdmissionRequest {
    AdmissionRequest::new(k, name, NOW).unwrap()
}

fn serial(n: u8) -> [u8; 8] {
    [n, 1, 2, 3, 4, 5, 6, n]
}

/// Provincial anchor's chain: [provincial ← national], communities prov-ab and shared.
fn provincial_chain() -> Chain {
    Chain::issue(
        &national(),
        None,
        &request(&provincial(), "Provincial CERT AB"),
        &Grant::new(
            Role::Anchor,
            ["prov-ab", "shared"],
            NOW - DAY,
            NOW + 365 * DAY,
        ),
        NOW,
        serial(1),
    )
    .unwrap()
}

/// Member's chain: [member ← provincial ← national], community prov-ab.
fn member_chain() -> Chain {
    Chain::issue(
        &provincial(),
        Some(&provincial_chain()),
        &request(&member(), "Acme Power Ltd"),
        &Grant::new(Role::Member, ["prov-ab"], NOW - DAY, NOW + 90 * DAY),
        NOW,
        serial(2),
    )
    .unwrap()
}

/// A certificate for `subject` straight from `issuer`, bypassing `Chain::issue`'s checks.
fn cert(
    issuer: &NodeKey,
    subject: &NodeKey,
    name: &str,
    role: Role,
    communities: &[&str],
) -> Certificate {
    Certificate::issue(
        issuer,
        subject.public(),
        name,
        &Grant::new(role, communities.iter().copied(), NOW - DAY, NOW + DAY),
        serial(7),
    )
    .unwrap()
}

fn verify(chain: &Chain) -> Result<Admitted, AdmissionError> {
    verify_chain(chain, &roots(), &no_revocations(), NOW)
}

fn hex_key(k: &NodeKey) -> String {
    hex::encode(k.public().0)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

// ---- Role ----------------------------------------------------------------------------------

#[test]
fn role_text_forms() {
    for (role, text) in [(Role::Member, "member"), (Role::Anchor, "anchor")] {
        assert_eq!(role.to_string(), text);
        assert_eq!(text.parse::<Role>().unwrap(), role);
        assert_eq!(text.to_uppercase().parse::<Role>().unwrap(), role);
        assert_eq!(serde_json::to_value(role).unwrap(), json!(text));
        assert_eq!(serde_json::from_value::<Role>(json!(text)).unwrap(), role);
    }
    assert!("root".parse::<Role>().is_err());
    assert!(serde_json::from_value::<Role>(json!("Anchor")).is_err());
}

// ---- Requests ------------------------------------------------------------------------------

#[test]
fn request_round_trip_and_proof_of_possession() {
    let req = request(&member(), "Acme Power Ltd — Ünïcode");
    let text = req.to_json_pretty();
    let parsed = AdmissionRequest::parse(&text).unwrap();
    assert_eq!(parsed, req);
    assert_eq!(parsed.public_key(), member().public());
    assert_eq!(parsed.name(), "Acme Power Ltd — Ünïcode");
    assert_eq!(parsed.created_at(), NOW);

    // The signature is over REQUEST_DOMAIN || JCS(object without "signature").
    let mut value: Value = serde_json::from_str(&text).unwrap();
    let sig = value.as_object_mut().unwrap().remove("signature").unwrap();
    let sig: [u8; 64] = STANDARD
        .decode(sig.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    member()
        .public()
        .verify(REQUEST_DOMAIN, &canonicalize(&value).unwrap(), &sig)
        .unwrap();
}

#[test]
fn tampered_request_is_rejected() {
    let text = request(&member(), "Acme").to_json_pretty();
    let value: Value = serde_json::from_str(&text).unwrap();
    let mutations: Vec<(&str, Value)> = vec![
        ("name", json!("Acme2")),
        ("created_at", json!(NOW + 1)),
        ("public_key", json!(hex_key(&stranger()))),
    ];
    for (field, new) in mutations {
        let mut v = value.clone();
        v[field] = new;
        assert_eq!(
            AdmissionRequest::parse(v.to_string()),
            Err(AdmissionError::BadRequestSignature),
            "{field}"
        );
    }
    // A request signed by one key but naming another.
    let mut v = value.clone();
    let other = request(&stranger(), "Acme").to_json_pretty();
    let other: Value = serde_json::from_str(&other).unwrap();
    v["signature"] = other["signature"].clone();
    assert_eq!(
        AdmissionRequest::parse(v.to_string()),
        Err(AdmissionError::BadRequestSignature)
    );
    // Wrong format tag / extra members / wrong types.
    let mut v = value.clone();
    v["shoal_admission_request"] = json!(2);
    assert!(matches!(
        AdmissionRequest::parse(v.to_string()),
        Err(AdmissionError::UnsupportedVersion { found: 2, .. })
    ));
    let mut v = value.clone();
    v["extra"] = json!(1);
    assert!(matches!(
        AdmissionRequest::parse(v.to_string()),
        Err(AdmissionError::Malformed { .. })
    ));
    let mut v = value;
    v["public_key"] = json!(hex_key(&member()).to_uppercase());
    assert_eq!(
        AdmissionRequest::parse(v.to_string()),
        Err(AdmissionError::InvalidKey {
            field: "public_key"
        })
    );
}

#[test]
fn names_are_checked() {
    let k = member();
    let ok_128: String = "é".repeat(128);
    assert!(AdmissionRequest::new(&k, &ok_128, NOW).is_ok());
    assert!(AdmissionRequest::new(&k, "A", NOW).is_ok());
    for bad in [
        String::new(),
        "é".repeat(129),
        "Acme\nPower".to_owned(),
        "Acme\u{0}".to_owned(),
        "Acme\u{202E}rewoP".to_owned(),
        "Ac\u{200B}me".to_owned(),
        " Acme".to_owned(),
        "Acme ".to_owned(),
    ] {
        assert!(
            matches!(
                AdmissionRequest::new(&k, &bad, NOW),
                Err(AdmissionError::InvalidName { .. })
            ),
            "{bad:?}"
        );
    }
}

// ---- Issuing and verifying -----------------------------------------------------------------

#[test]
fn national_provincial_member_chain_verifies() {
    let chain = member_chain();
    assert_eq!(chain.len(), 2);
    let leaf = chain.leaf().unwrap();
    assert_eq!(leaf.subject, member().public());
    assert_eq!(leaf.issuer, provincial().public());
    assert_eq!(leaf.serial_hex(), "0201020304050602");
    assert_eq!(chain.certificates[1], provincial_chain().certificates[0]);

    let admitted = verify(&chain).unwrap();
    assert_eq!(
        admitted,
        Admitted {
            key: member().public(),
            name: "Acme Power Ltd".to_owned(),
            role: Role::Member,
            communities: Communities::Only(set(&["prov-ab"])),
            expires_at: NOW + 90 * DAY,
            issuer: provincial().public(),
        }
    );
    assert!(admitted.is_current(NOW));
    assert!(!admitted.is_current(NOW + 90 * DAY));

    let anchor = verify(&provincial_chain()).unwrap();
    assert_eq!(anchor.role, Role::Anchor);
    assert_eq!(anchor.issuer, national().public());
    assert_eq!(
        anchor.communities,
        Communities::Only(set(&["prov-ab", "shared"]))
    );
}

#[test]
fn chain_file_round_trips() {
    let chain = member_chain();
    let text = chain.to_json_pretty();
    assert_eq!(Chain::parse(&text).unwrap(), chain);
    assert_eq!(Chain::parse(text.as_bytes()).unwrap(), chain);
    assert_eq!(Chain::parse(&text).unwrap().to_json_pretty(), text);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["shoal_admission_chain"], json!(1));
    let leaf = &value["certificates"][0];
    assert_eq!(leaf["version"], json!(1));
    assert_eq!(leaf["role"], json!("member"));
    assert_eq!(leaf["communities"], json!(["prov-ab"]));
    assert_eq!(leaf["subject"], json!(hex_key(&member())));
    assert_eq!(leaf["issuer"], json!(hex_key(&provincial())));
}

#[test]
fn certificate_signature_is_domain_then_jcs_without_signature() {
    for cert in member_chain().certificates {
        let mut value = cert.to_json_value();
        let sig = value.as_object_mut().unwrap().remove("signature").unwrap();
        let sig: [u8; 64] = STANDARD
            .decode(sig.as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let message = canonicalize(&value).unwrap();
        cert.issuer
            .verify(CERTIFICATE_DOMAIN, &message, &sig)
            .unwrap();
        // Another domain does not verify.
        assert!(cert.issuer.verify(REQUEST_DOMAIN, &message, &sig).is_err());
    }
}

#[test]
fn verify_peer_binds_the_chain_to_the_peer_key() {
    let chain = member_chain();
    let revs = no_revocations();
    let ok = verify_peer(&member().public(), Some(&chain), &roots(), &revs, NOW).unwrap();
    assert_eq!(ok.key, member().public());
    assert_eq!(
        verify_peer(&stranger().public(), Some(&chain), &roots(), &revs, NOW),
        Err(AdmissionError::SubjectMismatch {
            peer: hex_key(&stranger()),
            subject: hex_key(&member()),
        })
    );
    assert_eq!(
        verify_peer(&member().public(), None, &roots(), &revs, NOW),
        Err(AdmissionError::MissingChain {
            peer: hex_key(&member())
        })
    );
    let root = verify_peer(&national().public(), None, &roots(), &revs, NOW).unwrap();
    assert_eq!(root, Admitted::root(national().public(), "cert.example"));
    assert_eq!(root.communities, Communities::All);
    assert_eq!(root.role, Role::Anchor);
}

#[test]
fn grant_for_days() {
    let g = Grant::for_days(Role::Member, ["b", "a", "a"], NOW, 30);
    assert_eq!(g.not_before, NOW - ISSUE_BACKDATE_SECS);
    assert_eq!(g.not_after, NOW + 30 * DAY);
    assert_eq!(g.communities, set(&["a", "b"]));
    let g = Grant::for_days(Role::Member, Vec::<String>::new(), u64::MAX - 5, u64::MAX);
    assert_eq!(g.not_after, u64::MAX);
}

#[test]
fn certificate_issue_checks_fields() {
    let issue = |grant: Grant| {
        Certificate::issue(&national(), member().public(), "Acme", &grant, serial(1))
    };
    assert!(matches!(
        issue(Grant::new(Role::Member, ["Bad Name"], NOW, NOW + 1)),
        Err(AdmissionError::InvalidCommunity { .. })
    ));
    assert!(matches!(
        issue(Grant::new(Role::Member, [""], NOW, NOW + 1)),
        Err(AdmissionError::InvalidCommunity { .. })
    ));
    assert_eq!(
        issue(Grant::new(Role::Member, ["a"], NOW, NOW)),
        Err(AdmissionError::EmptyValidity {
            not_before: NOW,
            not_after: NOW
        })
    );
    assert!(matches!(
        issue(Grant::new(Role::Member, ["a"], NOW, MAX_TIME + 1)),
        Err(AdmissionError::TimeOutOfRange { .. })
    ));
    let many: Vec<String> = (0..=MAX_COMMUNITIES).map(|i| format!("c{i}")).collect();
    assert!(matches!(
        issue(Grant::new(Role::Member, many, NOW, NOW + 1)),
        Err(AdmissionError::TooManyCommunities { .. })
    ));
    assert!(matches!(
        Certificate::issue(
            &national(),
            member().public(),
            "",
            &Grant::new(Role::Member, ["a"], NOW, NOW + 1),
            serial(1)
        ),
        Err(AdmissionError::InvalidName { .. })
    ));
    // An empty community list is allowed (such a member receives CLEAR only).
    assert!(issue(Grant::new(Role::Member, Vec::<String>::new(), NOW, NOW + 1)).is_ok());
}

// ---- Tampering -----------------------------------------------------------------------------

/// Change one member of certificate `index` in the chain's JSON, keeping it well-formed.
fn mutated(chain: &Chain, index: usize, field: &str) -> String {
    let mut value: Value = serde_json::from_str(&chain.to_json_pretty()).unwrap();
    let cert = &mut value["certificates"][index];
    let new = match field {
        "serial" => {
            let s = cert[field].as_str().unwrap();
            let flipped = if s.starts_with('0') { "1" } else { "0" };
            json!(format!("{flipped}{}", &s[1..]))
        }
        "subject" | "issuer" => json!(hex_key(&stranger())),
        "name" => json!(format!("{}x", cert[field].as_str().unwrap())),
        "role" => {
            if cert[field] == json!("member") {
                json!("anchor")
            } else {
                json!("member")
            }
        }
        "communities" => {
            let mut c: Vec<Value> = cert[field].as_array().unwrap().clone();
            if c.len() > 1 {
                c.pop();
            } else {
                c.push(json!("zzz"));
            }
            json!(c)
        }
        "not_before" => json!(cert[field].as_u64().unwrap() - 1),
        "not_after" => json!(cert[field].as_u64().unwrap() + 1),
        "signature" => {
            let mut sig = STANDARD.decode(cert[field].as_str().unwrap()).unwrap();
            sig[10] ^= 0x01;
            json!(STANDARD.encode(sig))
        }
        other => panic!("unknown field {other}"),
    };
    cert[field] = new;
    value.to_string()
}

#[test]
fn changing_any_signed_field_of_any_certificate_breaks_its_signature() {
    let chain = member_chain();
    for index in 0..chain.len() {
        for field in [
            "serial",
            "subject",
            "name",
            "role",
            "communities",
            "not_before",
            "not_after",
            "issuer",
            "signature",
        ] {
            let text = mutated(&chain, index, field);
            let parsed = Chain::parse(&text).unwrap();
            match verify(&parsed) {
                Err(AdmissionError::BadSignature { index: i, .. }) => {
                    assert_eq!(i, index, "{field} of #{index}");
                }
                other => panic!("{field} of #{index}: {other:?}"),
            }
        }
    }
}

#[test]
fn every_single_bit_flip_of_a_chain_file_is_rejected() {
    let text = member_chain().to_json_pretty().into_bytes();
    let mut parse_errors = 0usize;
    for i in 0..text.len() {
        for bit in 0..8 {
            let mut bytes = text.clone();
            bytes[i] ^= 1 << bit;
            match Chain::parse(&bytes) {
                Err(_) => parse_errors += 1,
                Ok(chain) => assert!(
                    verify(&chain).is_err(),
                    "flip of bit {bit} at byte {i} still verifies"
                ),
            }
        }
    }
    assert!(parse_errors > 0);
}

#[test]
fn wrong_link_is_rejected() {
    // The leaf was issued by the provincial CERT, but the next certificate is someone else's.
    let other = cert(
        &national(),
        &stranger(),
        "Other",
        Role::Anchor,
        &["prov-ab"],
    );
    let chain = Chain::new(vec![member_chain().certificates[0].clone(), other]);
    assert_eq!(
        verify(&chain),
        Err(AdmissionError::BrokenLink {
            index: 0,
            issuer: hex_key(&provincial()),
            next_subject: hex_key(&stranger()),
        })
    );
    // Reversed order is not accepted either.
    let mut reversed = member_chain();
    reversed.certificates.reverse();
    assert!(matches!(
        verify(&reversed),
        Err(AdmissionError::BrokenLink { index: 0, .. })
    ));
}

#[test]
fn unknown_root_is_rejected() {
    let mut other_roots = TrustRoots::new();
    other_roots.insert(stranger().public(), "other");
    for roots in [other_roots, TrustRoots::new()] {
        assert_eq!(
            verify_chain(&member_chain(), &roots, &no_revocations(), NOW),
            Err(AdmissionError::UnknownRoot {
                issuer: hex_key(&national())
            })
        );
    }
    // A truncated chain (the leaf alone) ends at the provincial key, not a root.
    let leaf_only = Chain::new(vec![member_chain().certificates[0].clone()]);
    assert_eq!(
        verify(&leaf_only),
        Err(AdmissionError::UnknownRoot {
            issuer: hex_key(&provincial())
        })
    );
}

#[test]
fn member_cannot_act_as_issuer() {
    let q = key(4);
    let q_cert = cert(&national(), &q, "Member Q", Role::Member, &["prov-ab"]);
    let m_cert = cert(&q, &member(), "Acme", Role::Member, &["prov-ab"]);
    let chain = Chain::new(vec![m_cert, q_cert.clone()]);
    assert_eq!(
        verify(&chain),
        Err(AdmissionError::IssuerNotAnchor {
            index: 1,
            name: "Member Q".to_owned(),
            issued: 0,
        })
    );
    // And Chain::issue refuses to issue from a member's chain.
    assert_eq!(
        Chain::issue(
            &q,
            Some(&Chain::new(vec![q_cert])),
            &request(&member(), "Acme"),
            &Grant::new(Role::Member, ["prov-ab"], NOW, NOW + DAY),
            NOW,
            serial(3),
        ),
        Err(AdmissionError::NotAnAnchor)
    );
}

#[test]
fn chains_longer_than_three_are_rejected() {
    let (a1, a2, a3) = (key(11), key(12), key(13));
    let c1 = cert(&national(), &a1, "A1", Role::Anchor, &["x"]);
    let c2 = cert(&a1, &a2, "A2", Role::Anchor, &["x"]);
    let c3 = cert(&a2, &a3, "A3", Role::Anchor, &["x"]);
    let leaf3 = cert(&a2, &member(), "M", Role::Member, &["x"]);
    let leaf4 = cert(&a3, &member(), "M", Role::Member, &["x"]);

    // Three certificates (two anchor levels) is the maximum and verifies.
    let three = Chain::new(vec![leaf3, c2.clone(), c1.clone()]);
    assert_eq!(verify(&three).unwrap().key, member().public());
    assert_eq!(Chain::parse(three.to_json_pretty()).unwrap(), three);

    let four = Chain::new(vec![leaf4, c3, c2.clone(), c1.clone()]);
    assert_eq!(
        verify(&four),
        Err(AdmissionError::ChainTooLong { len: 4, max: 3 })
    );
    assert_eq!(
        Chain::parse(four.to_json_pretty()),
        Err(AdmissionError::ChainTooLong { len: 4, max: 3 })
    );
    assert_eq!(verify(&Chain::default()), Err(AdmissionError::EmptyChain));

    // Chain::issue refuses to make a third-level anchor (its members could never verify)…
    let a2_chain = Chain::new(vec![c2, c1]);
    assert_eq!(
        Chain::issue(
            &a2,
            Some(&a2_chain),
            &request(&a3, "A3"),
            &Grant::new(Role::Anchor, ["x"], NOW, NOW + DAY),
            NOW,
            serial(4),
        ),
        Err(AdmissionError::AnchorTooDeep { max: 3 })
    );
    // …and to extend a chain that is already full.
    assert_eq!(
        Chain::issue(
            &a3,
            Some(&Chain::new(four.certificates[1..].to_vec())),
            &request(&member(), "M"),
            &Grant::new(Role::Member, ["x"], NOW, NOW + DAY),
            NOW,
            serial(5),
        ),
        Err(AdmissionError::ChainTooLong { len: 4, max: 3 })
    );
    // A member certified by a second-level anchor via Chain::issue verifies.
    let chain = Chain::issue(
        &a2,
        Some(&a2_chain),
        &request(&member(), "M"),
        &Grant::new(Role::Member, ["x"], NOW - 1, NOW + DAY),
        NOW,
        serial(6),
    )
    .unwrap();
    assert_eq!(chain.len(), 3);
    assert!(verify(&chain).is_ok());
}

#[test]
fn validity_periods_are_enforced_per_certificate() {
    let chain = member_chain();
    let leaf = &chain.certificates[0];
    let revs = no_revocations();
    let at = |now| verify_chain(&chain, &roots(), &revs, now);

    assert!(at(leaf.not_before).is_ok());
    assert!(at(leaf.not_after - 1).is_ok());
    assert_eq!(
        at(leaf.not_after),
        Err(AdmissionError::Expired {
            index: 0,
            name: "Acme Power Ltd".to_owned(),
            not_after: leaf.not_after,
            now: leaf.not_after,
        })
    );
    assert_eq!(
        at(leaf.not_before - 1),
        Err(AdmissionError::NotYetValid {
            index: 0,
            name: "Acme Power Ltd".to_owned(),
            not_before: leaf.not_before,
            now: leaf.not_before - 1,
        })
    );

    // The intermediate expires first: the error names certificate #1.
    let p_cert = Certificate::issue(
        &national(),
        provincial().public(),
        "Provincial CERT AB",
        &Grant::new(Role::Anchor, ["prov-ab"], NOW - DAY, NOW + 10),
        serial(8),
    )
    .unwrap();
    let m_cert = cert(&provincial(), &member(), "Acme", Role::Member, &["prov-ab"]);
    let short = Chain::new(vec![m_cert, p_cert]);
    assert_eq!(verify(&short).unwrap().expires_at, NOW + 10);
    assert!(matches!(
        verify_chain(&short, &roots(), &revs, NOW + 10),
        Err(AdmissionError::Expired { index: 1, .. })
    ));

    // An intermediate not valid yet.
    let p_cert = Certificate::issue(
        &national(),
        provincial().public(),
        "Provincial CERT AB",
        &Grant::new(Role::Anchor, ["prov-ab"], NOW + 5, NOW + DAY),
        serial(8),
    )
    .unwrap();
    let m_cert = cert(&provincial(), &member(), "Acme", Role::Member, &["prov-ab"]);
    assert!(matches!(
        verify(&Chain::new(vec![m_cert, p_cert])),
        Err(AdmissionError::NotYetValid { index: 1, .. })
    ));
}

#[test]
fn intermediate_anchor_cannot_escalate_communities() {
    // The provincial anchor holds prov-ab and shared; it grants prov-bc too.
    let m_cert = cert(
        &provincial(),
        &member(),
        "Acme",
        Role::Member,
        &["prov-ab", "prov-bc"],
    );
    let chain = Chain::new(vec![m_cert, provincial_chain().certificates[0].clone()]);
    assert_eq!(
        verify(&chain),
        Err(AdmissionError::CommunityEscalation {
            index: 0,
            name: "Acme".to_owned(),
            community: "prov-bc".to_owned(),
        })
    );
    // Chain::issue refuses to do it.
    assert_eq!(
        Chain::issue(
            &provincial(),
            Some(&provincial_chain()),
            &request(&member(), "Acme"),
            &Grant::new(Role::Member, ["prov-ab", "prov-bc"], NOW, NOW + DAY),
            NOW,
            serial(3),
        ),
        Err(AdmissionError::CommunityNotHeld {
            community: "prov-bc".to_owned()
        })
    );
    // Escalation one level up (a sub-anchor granted more than its anchor holds).
    let a1 = key(11);
    let a2 = key(12);
    let c1 = cert(&national(), &a1, "A1", Role::Anchor, &["x"]);
    let c2 = cert(&a1, &a2, "A2", Role::Anchor, &["x", "y"]);
    let leaf = cert(&a2, &member(), "M", Role::Member, &["x"]);
    assert!(matches!(
        verify(&Chain::new(vec![leaf, c2, c1])),
        Err(AdmissionError::CommunityEscalation { index: 1, ref community, .. }) if community == "y"
    ));
    // A root may grant any community.
    let any = cert(
        &national(),
        &member(),
        "M",
        Role::Member,
        &["anything.at_all-1"],
    );
    assert!(verify(&Chain::new(vec![any])).is_ok());
}

#[test]
fn issuing_requires_the_anchors_own_current_chain() {
    let req = request(&member(), "Acme");
    let grant = Grant::new(Role::Member, ["prov-ab"], NOW, NOW + DAY);
    assert_eq!(
        Chain::issue(
            &stranger(),
            Some(&provincial_chain()),
            &req,
            &grant,
            NOW,
            serial(1)
        ),
        Err(AdmissionError::AnchorChainMismatch {
            anchor: hex_key(&stranger()),
            subject: hex_key(&provincial()),
        })
    );
    assert!(matches!(
        Chain::issue(
            &provincial(),
            Some(&provincial_chain()),
            &req,
            &grant,
            NOW + 400 * DAY,
            serial(1)
        ),
        Err(AdmissionError::AnchorCertificateNotValid { .. })
    ));
    assert_eq!(
        Chain::issue(
            &provincial(),
            Some(&Chain::default()),
            &req,
            &grant,
            NOW,
            serial(1)
        ),
        Err(AdmissionError::EmptyChain)
    );
}

#[test]
fn invalid_in_memory_certificate_is_rejected() {
    let mut c = cert(&national(), &member(), "Acme", Role::Member, &["a"]);
    c.communities.insert("NOT VALID".to_owned());
    assert!(matches!(
        verify(&Chain::new(vec![c])),
        Err(AdmissionError::InvalidCertificate { index: 0, .. })
    ));
}

// ---- Revocations ---------------------------------------------------------------------------

fn revoke(by: &NodeKey, subject: &NodeKey) -> Revocation {
    Revocation::issue(by, subject.public(), "key compromised", NOW).unwrap()
}

#[test]
fn revocation_round_trip_and_signature() {
    let rev = revoke(&provincial(), &member());
    let text = rev.to_json_pretty();
    let parsed = Revocation::parse(&text).unwrap();
    assert_eq!(parsed, rev);
    assert_eq!(parsed.issuer(), provincial().public());
    assert_eq!(parsed.subject(), member().public());
    assert_eq!(parsed.revoked_at(), NOW);
    assert_eq!(parsed.reason(), "key compromised");

    let mut value: Value = serde_json::from_str(&text).unwrap();
    for (field, new) in [
        ("reason", json!("oops")),
        ("revoked_at", json!(NOW + 1)),
        ("subject", json!(hex_key(&stranger()))),
        ("issuer", json!(hex_key(&national()))),
    ] {
        let mut v = value.clone();
        v[field] = new;
        assert_eq!(
            Revocation::parse(v.to_string()),
            Err(AdmissionError::BadRevocationSignature),
            "{field}"
        );
    }
    let sig = value.as_object_mut().unwrap().remove("signature").unwrap();
    let sig: [u8; 64] = STANDARD
        .decode(sig.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    provincial()
        .public()
        .verify(REVOCATION_DOMAIN, &canonicalize(&value).unwrap(), &sig)
        .unwrap();

    assert!(Revocation::issue(&national(), member().public(), "", NOW).is_ok());
    assert!(Revocation::issue(&national(), member().public(), &"r".repeat(256), NOW).is_ok());
    assert!(matches!(
        Revocation::issue(&national(), member().public(), &"r".repeat(257), NOW),
        Err(AdmissionError::InvalidReason { .. })
    ));
    assert!(matches!(
        Revocation::issue(&national(), member().public(), "a\nb", NOW),
        Err(AdmissionError::InvalidReason { .. })
    ));
}

fn provincial_admitted() -> Admitted {
    verify(&provincial_chain()).unwrap()
}

#[test]
fn revoked_leaf_is_rejected() {
    // By its own issuer.
    let mut revs = RevocationSet::new();
    assert!(revs
        .insert(
            revoke(&provincial(), &member()),
            &roots(),
            Some(&provincial_admitted())
        )
        .unwrap());
    assert_eq!(revs.len(), 1);
    assert_eq!(
        verify_chain(&member_chain(), &roots(), &revs, NOW),
        Err(AdmissionError::Revoked {
            index: 0,
            name: "Acme Power Ltd".to_owned(),
            revoked_at: NOW,
            reason: "key compromised".to_owned(),
        })
    );
    // The same revocation again is not new.
    assert!(!revs
        .insert(
            revoke(&provincial(), &member()),
            &roots(),
            Some(&provincial_admitted())
        )
        .unwrap());
    assert_eq!(revs.len(), 1);

    // By a trust root.
    let mut revs = RevocationSet::new();
    assert!(revs
        .insert(revoke(&national(), &member()), &roots(), None)
        .unwrap());
    assert!(matches!(
        verify_chain(&member_chain(), &roots(), &revs, NOW),
        Err(AdmissionError::Revoked { index: 0, .. })
    ));
}

#[test]
fn revoked_intermediate_revokes_its_members() {
    let mut revs = RevocationSet::new();
    revs.insert(revoke(&national(), &provincial()), &roots(), None)
        .unwrap();
    assert!(matches!(
        verify_chain(&member_chain(), &roots(), &revs, NOW),
        Err(AdmissionError::Revoked { index: 1, ref name, .. }) if name == "Provincial CERT AB"
    ));
    assert!(matches!(
        verify_chain(&provincial_chain(), &roots(), &revs, NOW),
        Err(AdmissionError::Revoked { index: 0, .. })
    ));
}

#[test]
fn revocation_by_an_unrelated_key_is_ignored() {
    // Not stored without authority.
    let mut revs = RevocationSet::new();
    assert_eq!(
        revs.insert(revoke(&stranger(), &member()), &roots(), None),
        Err(AdmissionError::RevocationNotAuthorized {
            issuer: hex_key(&stranger())
        })
    );
    // An admission of someone else does not authorise it.
    assert!(revs
        .insert(
            revoke(&stranger(), &member()),
            &roots(),
            Some(&provincial_admitted())
        )
        .is_err());
    // A member is not an anchor.
    let member_admitted = verify(&member_chain()).unwrap();
    assert!(revs
        .insert(
            revoke(&member(), &member()),
            &roots(),
            Some(&member_admitted)
        )
        .is_err());
    assert!(revs.is_empty());

    // Another anchor's revocation is stored but does not apply to certificates it did not
    // issue.
    let other_anchor = key(20);
    let other_chain = Chain::issue(
        &national(),
        None,
        &request(&other_anchor, "Other Anchor"),
        &Grant::new(Role::Anchor, ["prov-ab"], NOW - DAY, NOW + DAY),
        NOW,
        serial(9),
    )
    .unwrap();
    let other_admitted = verify(&other_chain).unwrap();
    assert!(revs
        .insert(
            revoke(&other_anchor, &member()),
            &roots(),
            Some(&other_admitted)
        )
        .unwrap());
    assert!(revs
        .insert(
            revoke(&other_anchor, &provincial()),
            &roots(),
            Some(&other_admitted)
        )
        .unwrap());
    assert_eq!(revs.len(), 2);
    assert_eq!(revs.iter().count(), 2);
    assert!(verify_chain(&member_chain(), &roots(), &revs, NOW).is_ok());
    assert!(revs
        .find(&member().public(), &provincial().public(), &roots())
        .is_none());
    assert!(revs
        .find(&member().public(), &other_anchor.public(), &roots())
        .is_some());
}

// ---- Trust roots ---------------------------------------------------------------------------

#[test]
fn trust_roots_from_verifier_keys() {
    let vkeys = vec![
        verifier_key("cert.example", &national().public()),
        format!(
            "  {}\n",
            verifier_key("other.example", &stranger().public())
        ),
    ];
    let roots = TrustRoots::from_vkeys(&vkeys).unwrap();
    assert_eq!(roots.len(), 2);
    assert!(roots.contains(&national().public()));
    assert!(!roots.contains(&member().public()));
    assert_eq!(roots.name(&stranger().public()), Some("other.example"));
    assert_eq!(
        roots.admitted(&national().public()),
        Some(Admitted::root(national().public(), "cert.example"))
    );
    assert!(verify_chain(&member_chain(), &roots, &no_revocations(), NOW).is_ok());

    let bad = [
        verifier_key("cert.example", &national().public()),
        "nonsense".to_owned(),
    ];
    assert!(matches!(
        TrustRoots::from_vkeys(&bad),
        Err(AdmissionError::BadTrustRoot { index: 1, .. })
    ));
    // A corrupted key id.
    let mut vk = verifier_key("cert.example", &national().public());
    let plus = vk.find('+').unwrap();
    let id_char = vk.as_bytes()[plus + 1];
    let replacement = if id_char == b'0' { "1" } else { "0" };
    vk.replace_range(plus + 1..plus + 2, replacement);
    assert!(matches!(
        TrustRoots::from_vkeys(&[vk]),
        Err(AdmissionError::BadTrustRoot { index: 0, .. })
    ));
    assert!(TrustRoots::from_vkeys::<String>(&[]).unwrap().is_empty());
}

// ---- Eligibility ---------------------------------------------------------------------------

#[test]
fn may_receive_table() {
    let member_of_a = Admitted {
        key: member().public(),
        name: "M".to_owned(),
        role: Role::Member,
        communities: Communities::Only(set(&["a"])),
        expires_at: NOW + DAY,
        issuer: national().public(),
    };
    let no_communities = Admitted {
        communities: Communities::Only(BTreeSet::new()),
        ..member_of_a.clone()
    };
    let root = Admitted::root(national().public(), "root");

    // (tlp, community, member_of_a, no_communities, root)
    let table = [
        (Tlp::Clear, "a", true, true, true),
        (Tlp::Clear, "b", true, true, true),
        (Tlp::Green, "a", true, false, true),
        (Tlp::Green, "b", false, false, true),
        (Tlp::Amber, "a", true, false, true),
        (Tlp::Amber, "b", false, false, true),
        (Tlp::AmberStrict, "a", false, false, false),
        (Tlp::AmberStrict, "b", false, false, false),
        (Tlp::Red, "a", false, false, false),
        (Tlp::Red, "b", false, false, false),
    ];
    for tlp in Tlp::ALL {
        assert!(
            table.iter().any(|row| row.0 == tlp),
            "{tlp} missing from table"
        );
    }
    for (tlp, community, m, n, r) in table {
        assert_eq!(
            member_of_a.may_receive(tlp, community),
            m,
            "member {tlp} {community}"
        );
        assert_eq!(
            no_communities.may_receive(tlp, community),
            n,
            "none {tlp} {community}"
        );
        assert_eq!(
            root.may_receive(tlp, community),
            r,
            "root {tlp} {community}"
        );
    }
    assert!(member_of_a.is_member_of("a"));
    assert!(!member_of_a.is_member_of("b"));
    assert!(root.is_member_of("anything"));
}

// ---- Hostile input -------------------------------------------------------------------------

#[test]
fn garbage_truncated_and_huge_chain_files_are_rejected() {
    for junk in [
        "",
        " ",
        "null",
        "[]",
        "{}",
        "1",
        "\"x\"",
        "{\"shoal_admission_chain\":1}",
        "{\"shoal_admission_chain\":\"1\",\"certificates\":[]}",
        "{\"shoal_admission_chain\":-1,\"certificates\":[]}",
        "{\"shoal_admission_chain\":1,\"certificates\":[1]}",
        "{\"shoal_admission_chain\":1,\"certificates\":[{}]}",
        "{\"shoal_admission_chain\":1,\"certificates\":{}}",
    ] {
        assert!(Chain::parse(junk).is_err(), "{junk:?}");
    }
    assert_eq!(
        Chain::parse("{\"shoal_admission_chain\":1,\"certificates\":[]}"),
        Err(AdmissionError::EmptyChain)
    );
    assert!(matches!(
        Chain::parse("{\"shoal_admission_chain\":2,\"certificates\":[]}"),
        Err(AdmissionError::UnsupportedVersion {
            found: 2,
            supported: 1,
            ..
        })
    ));
    assert!(matches!(
        Chain::parse("not json"),
        Err(AdmissionError::Json { .. })
    ));
    assert!(matches!(
        Chain::parse("{\"shoal_admission_chain\":1,\"shoal_admission_chain\":1}"),
        Err(AdmissionError::Json { .. })
    ));

    let text = member_chain().to_json_pretty();
    for end in 0..text.len() {
        if text.is_char_boundary(end) {
            assert!(Chain::parse(&text[..end]).is_err(), "prefix {end}");
        }
    }

    let mut huge = text.clone().into_bytes();
    huge.resize(MAX_CHAIN_BYTES + 1, b' ');
    assert_eq!(
        Chain::parse(&huge),
        Err(AdmissionError::TooLarge {
            what: "admission chain",
            size: MAX_CHAIN_BYTES + 1,
            max: MAX_CHAIN_BYTES,
        })
    );
    // Within the limit, trailing whitespace is fine.
    huge.truncate(MAX_CHAIN_BYTES);
    assert_eq!(Chain::parse(&huge).unwrap(), member_chain());

    assert!(AdmissionRequest::parse(vec![b'{'; 10_000]).is_err());
    assert!(Revocation::parse(vec![b'['; 10_000]).is_err());
}

/// Parse a chain whose leaf certificate had `f` applied to its JSON.
fn parse_with_leaf(f: impl FnOnce(&mut Value)) -> Result<Chain, AdmissionError> {
    let mut value: Value = serde_json::from_str(&member_chain().to_json_pretty()).unwrap();
    f(&mut value["certificates"][0]);
    Chain::parse(value.to_string())
}

fn leaf_error(f: impl FnOnce(&mut Value)) -> AdmissionError {
    match parse_with_leaf(f) {
        Err(AdmissionError::InvalidCertificate { index: 0, source }) => *source,
        other => panic!("expected an invalid leaf, got {other:?}"),
    }
}

#[test]
fn malformed_certificates_are_rejected_with_specific_errors() {
    assert!(matches!(
        leaf_error(|c| c["version"] = json!(2)),
        AdmissionError::UnsupportedVersion { found: 2, .. }
    ));
    assert!(matches!(
        leaf_error(|c| {
            c.as_object_mut().unwrap().remove("version");
        }),
        AdmissionError::Malformed { .. }
    ));
    assert!(matches!(
        leaf_error(|c| c["extra"] = json!(true)),
        AdmissionError::Malformed { .. }
    ));
    assert!(matches!(
        leaf_error(|c| {
            c.as_object_mut().unwrap().remove("issuer");
        }),
        AdmissionError::Malformed { .. }
    ));
    assert!(matches!(
        leaf_error(|c| c["role"] = json!("root")),
        AdmissionError::Malformed { .. }
    ));
    assert!(matches!(
        leaf_error(|c| c["not_after"] = json!(1.5)),
        AdmissionError::Malformed { .. }
    ));
    assert!(matches!(
        leaf_error(|c| c["not_before"] = json!(-1)),
        AdmissionError::Malformed { .. }
    ));
    assert_eq!(
        leaf_error(|c| c["subject"] = json!(hex_key(&member()).to_uppercase())),
        AdmissionError::InvalidKey { field: "subject" }
    );
    assert_eq!(
        leaf_error(|c| c["issuer"] = json!("abcd")),
        AdmissionError::InvalidKey { field: "issuer" }
    );
    assert_eq!(
        leaf_error(|c| c["serial"] = json!("0201020304050602ff")),
        AdmissionError::InvalidSerial
    );
    assert_eq!(
        leaf_error(|c| c["serial"] = json!("020102030405060G")),
        AdmissionError::InvalidSerial
    );
    assert_eq!(
        leaf_error(|c| c["signature"] = json!("AAAA")),
        AdmissionError::InvalidSignatureEncoding { field: "signature" }
    );
    assert_eq!(
        leaf_error(|c| c["communities"] = json!(["b", "a"])),
        AdmissionError::CommunitiesNotCanonical {
            community: "a".to_owned()
        }
    );
    assert_eq!(
        leaf_error(|c| c["communities"] = json!(["a", "a"])),
        AdmissionError::CommunitiesNotCanonical {
            community: "a".to_owned()
        }
    );
    assert!(matches!(
        leaf_error(|c| c["communities"] = json!(["Upper"])),
        AdmissionError::InvalidCommunity { .. }
    ));
    assert!(matches!(
        leaf_error(|c| c["name"] = json!("")),
        AdmissionError::InvalidName { .. }
    ));
    assert!(matches!(
        leaf_error(|c| c["not_before"] = c["not_after"].clone()),
        AdmissionError::EmptyValidity { .. }
    ));
    assert!(matches!(
        leaf_error(|c| c["not_after"] = json!(MAX_TIME + 1)),
        AdmissionError::TimeOutOfRange { .. }
    ));
    // Non-canonical base64 (a non-zero trailing bit) is rejected, not silently accepted.
    let err = leaf_error(|c| {
        let sig = c["signature"].as_str().unwrap().to_owned();
        let mut chars: Vec<char> = sig.chars().collect();
        let last = chars.len() - 3; // before the "==" padding
        chars[last] = match chars[last] {
            'A' => 'B',
            'Q' => 'R',
            'g' => 'h',
            _ => 'x',
        };
        c["signature"] = json!(chars.into_iter().collect::<String>());
    });
    assert_eq!(
        err,
        AdmissionError::InvalidSignatureEncoding { field: "signature" }
    );
}

#[test]
fn errors_read_well() {
    let e = verify_chain(
        &member_chain(),
        &roots(),
        &no_revocations(),
        NOW + 400 * DAY,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("certificate #0") && e.contains("expired"), "{e}");
    let e = verify_chain(&member_chain(), &TrustRoots::new(), &no_revocations(), NOW)
        .unwrap_err()
        .to_string();
    assert!(e.contains("trust roots"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        if let Ok(chain) = Chain::parse(&bytes) {
            let _ = verify_chain(&chain, &roots(), &no_revocations(), NOW);
        }
        let _ = AdmissionRequest::parse(&bytes);
        let _ = Revocation::parse(&bytes);
    }

    #[test]
    fn arbitrary_edits_of_a_valid_chain_never_panic_or_verify(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let original = member_chain().to_json_pretty().into_bytes();
        let mut bytes = original.clone();
        for (at, byte) in &edits {
            let i = at.index(bytes.len());
            bytes[i] = *byte;
        }
        if let Ok(chain) = Chain::parse(&bytes) {
            let verified = verify_chain(&chain, &roots(), &no_revocations(), NOW);
            if bytes != original {
                prop_assert!(verified.is_err() || chain == member_chain());
            }
        }
    }

    #[test]
    fn json_shaped_input_never_panics(
        version in any::<i64>(),
        certs in prop::collection::vec(
            prop::collection::btree_map("[a-z_]{1,12}", any::<i64>().prop_map(Value::from), 0..12)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            0..5,
        )
    ) {
        let doc = json!({"shoal_admission_chain": version, "certificates": certs});
        let _ = Chain::parse(doc.to_string());
    }

    #[test]
    fn names_never_panic(name in "\\PC{0,200}") {
        let _ = AdmissionRequest::new(&member(), &name, NOW);
    }
}

/// A provincial anchor limited to region `north`, issued by the national root.
fn northern_provincial_chain() -> Chain {
    Chain::issue(
        &national(),
        None,
        &request(&provincial(), "Provincial CERT North"),
        &Grant::new(Role::Anchor, ["prov-ab"], NOW - DAY, NOW + 365 * DAY)
            .with_attributes(None, Some("north".to_owned())),
        NOW,
        serial(21),
    )
    .unwrap()
}

#[test]
fn sector_and_region_are_signed_round_trip_and_narrow_down_the_chain() {
    // A member admitted with the sector and region the provincial anchor vouches for.
    let chain = Chain::issue(
        &provincial(),
        Some(&northern_provincial_chain()),
        &request(&member(), "Acme"),
        &Grant::new(Role::Member, ["prov-ab"], NOW - DAY, NOW + DAY)
            .with_attributes(Some("energy".to_owned()), Some("north".to_owned())),
        NOW,
        serial(22),
    )
    .unwrap();
    let leaf = chain.leaf().unwrap();
    assert_eq!(leaf.sector.as_deref(), Some("energy"));
    assert_eq!(leaf.region.as_deref(), Some("north"));
    assert!(verify(&chain).is_ok());
    // They are in the file, and the file reads back to the same chain.
    let text = chain.to_json_pretty();
    assert!(text.contains("\"sector\": \"energy\"") && text.contains("\"region\": \"north\""));
    assert_eq!(Chain::parse(text.as_bytes()).unwrap(), chain);
    // They are signed: changing one breaks the leaf's signature.
    let forged = text.replacen("\"energy\"", "\"water\"", 1);
    let forged = Chain::parse(forged.as_bytes()).unwrap();
    assert!(matches!(
        verify(&forged),
        Err(AdmissionError::BadSignature { index: 0, .. })
    ));
    // A certificate without them has neither member (old certificates stay valid).
    let plain = member_chain().to_json_pretty();
    assert!(!plain.contains("sector") && !plain.contains("region"));

    // `null` is not a spelling of "not granted".
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["certificates"][0]["sector"] = Value::Null;
    assert!(matches!(
        Chain::parse(v.to_string().as_bytes()),
        Err(AdmissionError::InvalidCertificate { index: 0, ref source })
            if matches!(**source, AdmissionError::Malformed { ref reason, .. }
                if reason.contains("\"sector\" is null"))
    ));
    // Names follow the community rules.
    assert!(matches!(
        Certificate::issue(
            &national(),
            member().public(),
            "Acme",
            &Grant::new(Role::Member, ["x"], NOW, NOW + DAY)
                .with_attributes(Some("Energy Sector!".to_owned()), None),
            serial(23),
        ),
        Err(AdmissionError::InvalidAttribute {
            attribute: "sector",
            ..
        })
    ));

    // The northern anchor cannot vouch for another region, nor for none.
    for region in [Some("south".to_owned()), None] {
        assert_eq!(
            Chain::issue(
                &provincial(),
                Some(&northern_provincial_chain()),
                &request(&member(), "Acme"),
                &Grant::new(Role::Member, ["prov-ab"], NOW - DAY, NOW + DAY)
                    .with_attributes(None, region.clone()),
                NOW,
                serial(24),
            ),
            Err(AdmissionError::AttributeNotHeld {
                attribute: "region",
                held: "north".to_owned(),
                granted: region,
            })
        );
    }
    // ...and a chain where it did (bypassing Chain::issue) does not verify.
    let south = Certificate::issue(
        &provincial(),
        member().public(),
        "Acme",
        &Grant::new(Role::Member, ["prov-ab"], NOW - DAY, NOW + DAY)
            .with_attributes(None, Some("south".to_owned())),
        serial(25),
    )
    .unwrap();
    let mut certs = vec![south];
    certs.extend(northern_provincial_chain().certificates);
    assert_eq!(
        verify(&Chain::new(certs)),
        Err(AdmissionError::AttributeEscalation {
            index: 0,
            name: "Acme".to_owned(),
            attribute: "region",
            value: Some("south".to_owned()),
            held: "north".to_owned(),
        })
    );
}
