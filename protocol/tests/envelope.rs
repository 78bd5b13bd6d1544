//! Envelopes: deterministic round trips, every decoding rejection as its own error, bit
//! flips caught by decode or verify, a signature that covers every field, and arbitrary
//! bytes that never panic the decoder.

use proptest::prelude::*;
use serde_json::json;
use shoal_crypto::{NodeKey, PublicKey};
use shoal_protocol::envelope::{MAGIC, MAX_COMMUNITY_LEN};
use shoal_protocol::stix::StixObject;
use shoal_protocol::{
    coarse_time, Envelope, EnvelopeBody, EnvelopeError, Extension, ExtensionKind, Tlp,
    DEFAULT_MAX_ENVELOPE_BYTES, ENVELOPE_VERSION, SIGNING_DOMAIN,
};

const MAX: usize = DEFAULT_MAX_ENVELOPE_BYTES;

fn key() -> NodeKey {
    NodeKey::from_seed([42; 32])
}

fn indicator() -> StixObject {
    StixObject::try_from(json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2016-04-06T20:03:48.000Z",
        "modified": "2016-04-06T20:03:48.000Z",
        "name": "Poison Ivy Malware — ünïcode",
        "pattern": "[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
        "pattern_type": "stix",
        "valid_from": "2016-01-01T00:00:00Z",
        "confidence": 80,
        "x_acme_score": 0.25
    }))
    .unwrap()
}

fn body() -> EnvelopeBody {
    let mut body = EnvelopeBody::for_object(
        key().public(),
        7,
        1_700_000_000,
        Tlp::Amber,
        "sector.energy-eu_1",
        &indicator(),
    )
    .unwrap();
    body.extensions = vec![
        Extension {
            kind: ExtensionKind::PRIVACY_RECEIPT,
            data: vec![1, 2, 3],
        },
        Extension {
            kind: ExtensionKind::CREDIBILITY,
            data: vec![],
        },
    ];
    body
}

fn signed() -> Envelope {
    body().sign(&key()).unwrap()
}

fn encoded() -> Vec<u8> {
    signed().encode().unwrap()
}

/// Offsets of the fixed-width fields.
const PUBLISHER: usize = 4;
const LEDGER_INDEX: usize = 36;
const TLP: usize = 52;
const COMMUNITY_LEN: usize = 53;
const COMMUNITY: usize = 54;

fn object_len_offset(bytes: &[u8]) -> usize {
    COMMUNITY + usize::from(bytes[COMMUNITY_LEN])
}

fn object_offset(bytes: &[u8]) -> usize {
    object_len_offset(bytes) + 4
}

fn extensions_offset(bytes: &[u8]) -> usize {
    let at = object_len_offset(bytes);
    let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    object_offset(bytes) + len
}

/// Re-sign whatever bytes precede the signature, so a test reaches checks past `verify`.
fn resign(mut bytes: Vec<u8>) -> Vec<u8> {
    let signed_len = bytes.len() - 64;
    let sig = key().sign(SIGNING_DOMAIN, &bytes[..signed_len]);
    bytes[signed_len..].copy_from_slice(&sig);
    bytes
}

#[test]
fn round_trip_is_exact_and_verifies() {
    let env = signed();
    let bytes = env.encode().unwrap();
    assert_eq!(&bytes[..3], MAGIC);
    assert_eq!(bytes[3], ENVELOPE_VERSION);
    let decoded = Envelope::decode(&bytes, MAX).unwrap();
    assert_eq!(decoded, env);
    assert_eq!(decoded.encode().unwrap(), bytes);
    decoded.verify().unwrap();
    assert_eq!(Envelope::decode_verified(&bytes, MAX).unwrap(), env);
    assert_eq!(decoded.stix_object().unwrap(), indicator());
    assert_eq!(decoded.object_json().unwrap(), indicator().into_value());
    assert_eq!(
        decoded.leaf_hash().unwrap(),
        shoal_crypto::hash::leaf_hash(&bytes)
    );
    // Deterministic: the same body always encodes the same way.
    assert_eq!(body().encode().unwrap(), body().encode().unwrap());
    assert_eq!(bytes.len(), body().encode().unwrap().len() + 64);
}

#[test]
fn minimal_envelope_round_trips() {
    let body = EnvelopeBody {
        publisher: key().public(),
        ledger_index: u64::MAX,
        published_at: 0,
        tlp: Tlp::Clear,
        community: "a".into(),
        object: b"{}".to_vec(),
        extensions: vec![],
    };
    let env = body.sign(&key()).unwrap();
    let bytes = env.encode().unwrap();
    assert_eq!(Envelope::decode_verified(&bytes, MAX).unwrap(), env);
    assert!(matches!(
        env.stix_object(),
        Err(EnvelopeError::InvalidObject(_))
    ));
}

#[test]
fn signing_requires_the_publishers_key() {
    let other = NodeKey::from_seed([1; 32]);
    assert_eq!(body().sign(&other), Err(EnvelopeError::PublisherMismatch));
}

#[test]
fn size_limit_is_checked_before_parsing() {
    let bytes = encoded();
    assert_eq!(
        Envelope::decode(&bytes, bytes.len() - 1),
        Err(EnvelopeError::TooLarge {
            len: bytes.len(),
            max: bytes.len() - 1
        })
    );
    assert!(Envelope::decode(&bytes, bytes.len()).is_ok());
    // Garbage over the limit is refused as too large, not parsed.
    assert!(matches!(
        Envelope::decode(&[0; 100], 99),
        Err(EnvelopeError::TooLarge { .. })
    ));
}

#[test]
fn header_rejections() {
    let good = encoded();
    let mut b = good.clone();
    b[0] = b'X';
    assert_eq!(Envelope::decode(&b, MAX), Err(EnvelopeError::BadMagic));
    let mut b = good.clone();
    b[3] = 2;
    assert_eq!(
        Envelope::decode(&b, MAX),
        Err(EnvelopeError::UnsupportedVersion(2))
    );
    let mut b = good.clone();
    b[TLP] = 5;
    assert_eq!(Envelope::decode(&b, MAX), Err(EnvelopeError::InvalidTlp(5)));
    assert_eq!(
        Envelope::decode(&[], MAX),
        Err(EnvelopeError::Truncated { field: "magic" })
    );
    assert_eq!(
        Envelope::decode(b"SHE", MAX),
        Err(EnvelopeError::Truncated { field: "version" })
    );
}

#[test]
fn truncation_anywhere_is_rejected() {
    let good = encoded();
    for len in 0..good.len() {
        match Envelope::decode(&good[..len], MAX) {
            Err(EnvelopeError::Truncated { .. }) => {}
            other => panic!("prefix of {len} bytes: {other:?}"),
        }
    }
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut b = encoded();
    b.push(0);
    assert_eq!(
        Envelope::decode(&b, MAX),
        Err(EnvelopeError::TrailingBytes(1))
    );
}

#[test]
fn community_rejections() {
    let good = encoded();
    let replace = |community: &[u8]| {
        let mut b = good[..COMMUNITY_LEN].to_vec();
        b.push(community.len() as u8);
        b.extend_from_slice(community);
        b.extend_from_slice(&good[object_len_offset(&good)..]);
        b
    };
    assert_eq!(
        Envelope::decode(&replace(b""), MAX),
        Err(EnvelopeError::EmptyCommunity)
    );
    assert_eq!(
        Envelope::decode(&replace(&[b'a'; 65]), MAX),
        Err(EnvelopeError::CommunityTooLong {
            len: 65,
            max: MAX_COMMUNITY_LEN
        })
    );
    assert_eq!(
        Envelope::decode(&replace(b"ab\xffcd"), MAX),
        Err(EnvelopeError::CommunityNotUtf8)
    );
    assert_eq!(
        Envelope::decode(&replace(b"Sector"), MAX),
        Err(EnvelopeError::InvalidCommunity("Sector".into()))
    );
    assert_eq!(
        Envelope::decode(&replace("été".as_bytes()), MAX),
        Err(EnvelopeError::InvalidCommunity("été".into()))
    );
    assert!(Envelope::decode(&replace(&[b'z'; 64]), MAX).is_ok());

    // Encoding checks the same limits.
    for (community, expected) in [
        ("", EnvelopeError::EmptyCommunity),
        ("UPPER", EnvelopeError::InvalidCommunity("UPPER".into())),
        ("a b", EnvelopeError::InvalidCommunity("a b".into())),
    ] {
        let mut b = body();
        b.community = community.into();
        assert_eq!(b.encode(), Err(expected));
    }
    let mut b = body();
    b.community = "x".repeat(65);
    assert!(matches!(
        b.encode(),
        Err(EnvelopeError::CommunityTooLong { len: 65, .. })
    ));
}

/// Replace the object bytes of a valid envelope (keeping the rest).
fn with_object(good: &[u8], object: &[u8]) -> Vec<u8> {
    let mut b = good[..object_len_offset(good)].to_vec();
    b.extend_from_slice(&(object.len() as u32).to_be_bytes());
    b.extend_from_slice(object);
    b.extend_from_slice(&good[extensions_offset(good)..]);
    b
}

#[test]
fn object_rejections() {
    let good = encoded();
    assert!(matches!(
        Envelope::decode(&with_object(&good, b"{\"a\":"), MAX),
        Err(EnvelopeError::ObjectNotJson(_))
    ));
    assert!(matches!(
        Envelope::decode(&with_object(&good, b"{\"a\":1,\"a\":1}"), MAX),
        Err(EnvelopeError::ObjectNotJson(_))
    ));
    assert_eq!(
        Envelope::decode(&with_object(&good, b"[1,2]"), MAX),
        Err(EnvelopeError::ObjectNotAnObject)
    );
    for not_canonical in [
        &b"{\"b\":1,\"a\":2}"[..],
        b"{ \"a\":1}",
        b"{\"a\":1.0}",
        b"{\"a\":\"\\u0041\"}",
        b"{\"a\":1e2}",
    ] {
        assert_eq!(
            Envelope::decode(&with_object(&good, not_canonical), MAX),
            Err(EnvelopeError::ObjectNotCanonical),
            "{}",
            String::from_utf8_lossy(not_canonical)
        );
    }
    assert!(matches!(
        Envelope::decode(&with_object(&good, b"{\"a\":9007199254740993}"), MAX),
        Err(EnvelopeError::Canonicalization(_))
    ));
    // Encoding refuses non-canonical objects too, so nothing unsendable gets signed.
    let mut b = body();
    b.object = b"{\"b\":1,\"a\":2}".to_vec();
    assert_eq!(b.encode(), Err(EnvelopeError::ObjectNotCanonical));
    // A length running past the input.
    let mut b = good.clone();
    let at = object_len_offset(&b);
    b[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(
        Envelope::decode(&b, MAX),
        Err(EnvelopeError::Truncated { field: "object" })
    );
}

#[test]
fn extension_rejections() {
    let good = encoded();
    let ext_at = extensions_offset(&good);
    let with_extensions = |exts: &[(u16, &[u8])]| {
        let mut b = good[..ext_at].to_vec();
        b.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        for (kind, data) in exts {
            b.extend_from_slice(&kind.to_be_bytes());
            b.extend_from_slice(&(data.len() as u32).to_be_bytes());
            b.extend_from_slice(data);
        }
        b.extend_from_slice(&[0; 64]);
        b
    };
    assert_eq!(
        Envelope::decode(&with_extensions(&[(2, b"x"), (2, b"y")]), MAX),
        Err(EnvelopeError::DuplicateExtension(2))
    );
    assert_eq!(
        Envelope::decode(&with_extensions(&[(2, b""), (1, b"")]), MAX),
        Err(EnvelopeError::ExtensionsOutOfOrder {
            previous: 2,
            kind: 1
        })
    );
    assert!(Envelope::decode(
        &with_extensions(&[(1, b""), (9, b"abc"), (65535, b"z")]),
        MAX
    )
    .is_ok());
    let mut b = with_extensions(&[(1, b"abc")]);
    let len_at = ext_at + 4;
    b[len_at..len_at + 4].copy_from_slice(&1000u32.to_be_bytes());
    assert_eq!(
        Envelope::decode(&b, MAX),
        Err(EnvelopeError::Truncated {
            field: "extension data"
        })
    );
    let mut b = with_extensions(&[]);
    b[ext_at..ext_at + 2].copy_from_slice(&20u16.to_be_bytes());
    assert!(matches!(
        Envelope::decode(&b, MAX),
        Err(EnvelopeError::Truncated { .. })
    ));

    let mut unordered = body();
    unordered.extensions.reverse();
    assert_eq!(
        unordered.encode(),
        Err(EnvelopeError::ExtensionsOutOfOrder {
            previous: 2,
            kind: 1
        })
    );
}

#[test]
fn signature_rejections() {
    let mut b = encoded();
    let last = b.len() - 1;
    b[last] ^= 0x01;
    let env = Envelope::decode(&b, MAX).unwrap();
    assert_eq!(env.verify(), Err(EnvelopeError::BadSignature));
    assert_eq!(
        Envelope::decode_verified(&b, MAX),
        Err(EnvelopeError::BadSignature)
    );

    // A publisher that is not a curve point.
    let mut env = signed();
    env.body.publisher = PublicKey([0xff; 32]);
    let mut invalid = None;
    for i in 0..=255u8 {
        env.body.publisher = PublicKey([i; 32]);
        if env.verify() == Err(EnvelopeError::InvalidPublisherKey) {
            invalid = Some(i);
            break;
        }
    }
    assert!(
        invalid.is_some(),
        "expected some 32-byte pattern to be an invalid Ed25519 key"
    );
}

#[test]
fn every_bit_flip_is_caught_by_decode_or_verify() {
    let good = encoded();
    for byte in 0..good.len() {
        for bit in 0..8 {
            let mut b = good.clone();
            b[byte] ^= 1 << bit;
            if let Ok(env) = Envelope::decode(&b, MAX) {
                assert!(
                    env.verify().is_err(),
                    "flip of bit {bit} in byte {byte} went unnoticed"
                );
            }
            assert!(
                Envelope::decode_verified(&b, MAX).is_err(),
                "byte {byte} bit {bit}"
            );
        }
    }
}

#[test]
fn signature_covers_every_field() {
    let env = signed();
    type Mutation = Box<dyn Fn(&mut EnvelopeBody)>;
    let other_object = StixObject::try_from({
        let mut v = indicator().into_value();
        v["confidence"] = json!(81);
        v
    })
    .unwrap();
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "publisher",
            Box::new(|b| b.publisher = NodeKey::from_seed([9; 32]).public()),
        ),
        ("ledger_index", Box::new(|b| b.ledger_index += 1)),
        ("published_at", Box::new(|b| b.published_at -= 60)),
        ("tlp", Box::new(|b| b.tlp = Tlp::Clear)),
        ("community", Box::new(|b| b.community.push('x'))),
        (
            "object",
            Box::new(move |b| b.object = other_object.canonical_bytes().unwrap()),
        ),
        ("extension data", Box::new(|b| b.extensions[0].data.push(0))),
        (
            "extension kind",
            Box::new(|b| b.extensions[1].kind = ExtensionKind(3)),
        ),
        (
            "extension removed",
            Box::new(|b| {
                b.extensions.pop();
            }),
        ),
        (
            "extension added",
            Box::new(|b| {
                b.extensions.push(Extension {
                    kind: ExtensionKind(9),
                    data: vec![],
                })
            }),
        ),
    ];
    for (field, mutate) in mutations {
        let mut tampered = env.clone();
        mutate(&mut tampered.body);
        assert_ne!(tampered.body, env.body, "{field}");
        assert_eq!(
            tampered.verify(),
            Err(EnvelopeError::BadSignature),
            "{field} is not covered"
        );
        let bytes = tampered.encode().unwrap();
        assert!(Envelope::decode_verified(&bytes, MAX).is_err(), "{field}");
    }
    // And the signature is domain-separated: the same bytes signed without the domain fail.
    let mut raw = env.clone();
    raw.signature = key().sign_raw(&env.body.encode().unwrap());
    assert_eq!(raw.verify(), Err(EnvelopeError::BadSignature));
}

#[test]
fn checks_past_the_signature_hold_for_resigned_bytes() {
    // A publisher signing garbage still cannot get a non-canonical object accepted.
    let good = encoded();
    let b = resign(with_object(&good, b"{\"b\":1,\"a\":2}"));
    assert_eq!(
        Envelope::decode_verified(&b, MAX),
        Err(EnvelopeError::ObjectNotCanonical)
    );
    let mut b = good.clone();
    b[LEDGER_INDEX + 7] ^= 1;
    let b = resign(b);
    assert_eq!(
        Envelope::decode_verified(&b, MAX)
            .unwrap()
            .body
            .ledger_index,
        6
    );
    assert_eq!(&b[PUBLISHER..PUBLISHER + 32], &key().public().0);
}

#[test]
fn coarse_time_truncates() {
    assert_eq!(coarse_time(1_700_000_123, 0), 1_700_000_123);
    assert_eq!(coarse_time(1_700_000_123, 1), 1_700_000_123);
    assert_eq!(coarse_time(1_700_000_123, 60), 1_700_000_100);
    assert_eq!(coarse_time(1_700_000_123, 3600), 1_699_999_200);
    assert_eq!(coarse_time(59, 60), 0);
    assert_eq!(coarse_time(u64::MAX, u64::MAX), u64::MAX);
    assert_eq!(coarse_time(u64::MAX, 2), u64::MAX - 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_decode(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Envelope::decode(&bytes, MAX);
        let _ = Envelope::decode_verified(&bytes, MAX);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_header_never_panic(tail in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = encoded()[..COMMUNITY_LEN].to_vec();
        bytes.extend_from_slice(&tail);
        let _ = Envelope::decode_verified(&bytes, MAX);
    }

    #[test]
    fn mutated_envelopes_never_panic_and_never_verify(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
    ) {
        let good = encoded();
        let mut b = good.clone();
        for (pos, byte) in edits {
            let pos = pos % b.len();
            b[pos] = byte;
        }
        if b != good {
            prop_assert!(Envelope::decode_verified(&b, MAX).is_err());
        }
    }

    #[test]
    fn any_valid_body_round_trips(
        ledger_index in any::<u64>(),
        published_at in any::<u64>(),
        tlp in prop::sample::select(Tlp::ALL.iter().copied().filter(|t| t.is_shareable()).collect::<Vec<_>>()),
        community in "[a-z0-9._-]{1,64}",
        kinds in prop::collection::btree_set(any::<u16>(), 0..5),
        data in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut body = EnvelopeBody::for_object(key().public(), ledger_index, published_at, tlp, community, &indicator()).unwrap();
        body.extensions = kinds.into_iter().map(|k| Extension { kind: ExtensionKind(k), data: data.clone() }).collect();
        let env = body.sign(&key()).unwrap();
        let bytes = env.encode().unwrap();
        let back = Envelope::decode_verified(&bytes, MAX).unwrap();
        prop_assert_eq!(&back, &env);
        prop_assert_eq!(back.encode().unwrap(), bytes);
    }
}

#[test]
fn sign_encoded_equals_sign_then_encode() {
    let b = body();
    assert_eq!(
        b.sign_encoded(&key()).unwrap(),
        b.clone().sign(&key()).unwrap().encode().unwrap()
    );
    let other = shoal_crypto::NodeKey::from_seed([0xEE; 32]);
    assert_eq!(
        b.sign_encoded(&other),
        Err(EnvelopeError::PublisherMismatch)
    );
}

#[test]
fn red_and_amber_strict_never_fit_in_an_envelope() {
    for tlp in [Tlp::Red, Tlp::AmberStrict] {
        let mut b = body();
        b.tlp = tlp;
        assert_eq!(b.encode(), Err(EnvelopeError::NotShareable(tlp)));
        assert_eq!(
            b.clone().sign(&key()),
            Err(EnvelopeError::NotShareable(tlp))
        );
        // Bytes carrying such a TLP (even validly signed) are refused on decode.
        let mut bytes = encoded();
        bytes[TLP] = tlp.to_byte();
        let bytes = resign(bytes);
        assert_eq!(
            Envelope::decode(&bytes, MAX),
            Err(EnvelopeError::NotShareable(tlp))
        );
    }
    assert!(Tlp::Amber.is_shareable() && Tlp::Green.is_shareable() && Tlp::Clear.is_shareable());
}
