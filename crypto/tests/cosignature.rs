//! c2sp.org/tlog-cosignature (Ed25519 `cosignature/v1`): known answers from the
//! specs, transparency-dev/formats and golang.org/x/mod, vectors derived with an
//! independent Go implementation (see `data/cosignature/README.md`), rejection of
//! tampered cosignatures, witness policies, witnessed tlog-proofs, and property
//! tests that arbitrary input never panics.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use proptest::prelude::*;
use shoal_crypto::cosignature::{
    cosignature_message, cosignature_timestamp, witness_key_id, witness_verifier_key,
    COSIGNATURE_LEN, MAX_TIMESTAMP, SIG_TYPE_COSIGNATURE_V1,
};
use shoal_crypto::hash::leaf_hash;
use shoal_crypto::merkle::inclusion_proof;
use shoal_crypto::note::{key_id, MAX_SIGNATURES};
use shoal_crypto::{
    add_cosignature, cosign, verify_cosignature, Checkpoint, CheckpointError, CosignatureError,
    MemoryTree, NodeKey, Note, NoteError, NoteSignature, PolicyError, PublicKey, TlogProof,
    TlogProofError, Verifier, Witness, WitnessKey, WitnessPolicy, WitnessVerifier,
    WitnessedProofError,
};

const KEYS: &str = include_str!("data/cosignature/keys.txt");
const PUBLISHED: &str = include_str!("data/cosignature/published.txt");
const CHECKPOINT: &str = include_str!("data/cosignature/checkpoint.note");
const CHECKPOINT_EXT: &str = include_str!("data/cosignature/checkpoint-extensions.note");
const W1_MESSAGE: &str = include_str!("data/cosignature/checkpoint.w1-message");
const WITNESSED_PROOF: &str = include_str!("data/cosignature/witnessed.tlog-proof");
const SPEC_NOTE: &str = include_str!("data/cosignature/spec-cosignature-example.note");
const SPEC_MESSAGE: &str = include_str!("data/cosignature/spec-cosignature-message.txt");
const SPEC_SIGNED_NOTE: &str = include_str!("data/cosignature/spec-signed-note-example.note");
const XMOD_NOTE: &str = include_str!("data/cosignature/xmod-two-signers.note");

const ORIGIN: &str = "example.com/behind-the-sofa";
const W1: &str = "witness.example.com/w1";
const W2: &str = "witness.example.com/w2";
const T1: u64 = 1679315147;
const T2: u64 = 1679315207;

/// `name value` lines of a vector file, `#` lines skipped.
fn table(text: &str) -> HashMap<&str, &str> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split_once(' ').unwrap())
        .collect()
}

fn keys() -> HashMap<&'static str, &'static str> {
    table(KEYS)
}

fn published() -> HashMap<&'static str, &'static str> {
    table(PUBLISHED)
}

fn seed(name: &str) -> NodeKey {
    NodeKey::from_seed(hex::decode(keys()[name]).unwrap().try_into().unwrap())
}

fn log_key() -> NodeKey {
    seed("log-seed")
}

fn w1_key() -> NodeKey {
    seed("w1-seed")
}

fn w2_key() -> NodeKey {
    seed("w2-seed")
}

fn log_verifier() -> Verifier {
    Verifier::parse(keys()["log-vkey"]).unwrap()
}

fn w1() -> WitnessVerifier {
    WitnessVerifier::parse(keys()["w1-vkey"]).unwrap()
}

fn w2() -> WitnessVerifier {
    WitnessVerifier::parse(keys()["w2-vkey"]).unwrap()
}

fn body(note: &str) -> &str {
    &note[..note.rfind("\n\n").unwrap() + 1]
}

fn cosigned() -> Note {
    Note::parse(CHECKPOINT).unwrap()
}

// ---------------------------------------------------------------------------
// Key ids and verifier keys.

#[test]
fn witness_key_id_matches_transparency_dev_formats() {
    let p = published();
    let v = WitnessVerifier::parse(p["formats-witness-vkey"]).unwrap();
    assert_eq!(v.name, "remora.n621.de");
    assert_eq!(v.key_id, 0xda77ade7);
    assert_eq!(witness_key_id(&v.name, &v.key), 0xda77ade7);
    assert_eq!(v.to_vkey(), p["formats-witness-vkey"]);
    assert_eq!(
        witness_verifier_key(&v.name, &v.key),
        p["formats-witness-vkey"]
    );
    assert_eq!(WitnessVerifier::new("remora.n621.de", v.key).unwrap(), v);
    // The same key as a plain note key (type 0x01) has another id.
    assert_ne!(key_id(&v.name, &v.key), v.key_id);
    // A wrong key id is refused, naming the right one.
    let wrong = p["formats-witness-vkey"].replace("da77ade7", "da77ade8");
    assert_eq!(
        WitnessVerifier::parse(&wrong),
        Err(CosignatureError::Note(NoteError::KeyIdMismatch {
            expected: 0xda77ade7,
            got: 0xda77ade8
        }))
    );
}

#[test]
fn note_keys_are_not_witness_keys() {
    let p = published();
    // formats' type-0x01 vkey is a valid note key but not a witness key.
    let note_key = Verifier::parse(p["formats-ed25519-vkey"]).unwrap();
    assert_eq!(note_key.key_id, 0x7997405c);
    assert_eq!(
        WitnessVerifier::parse(p["formats-ed25519-vkey"]),
        Err(CosignatureError::Note(NoteError::UnsupportedAlgorithm(
            0x01
        )))
    );
    let as_witness = WitnessVerifier::new("TEST", note_key.key).unwrap();
    assert_ne!(as_witness.key_id, note_key.key_id);
    assert!(WitnessVerifier::parse(&as_witness.to_vkey()).is_ok());
    assert_eq!(
        WitnessVerifier::parse(p["formats-bad-alg-vkey"]),
        Err(CosignatureError::Note(NoteError::UnsupportedAlgorithm(
            0x03
        )))
    );
    // And witness keys are not note keys.
    assert!(matches!(
        Verifier::parse(p["formats-witness-vkey"]),
        Err(NoteError::UnsupportedAlgorithm(SIG_TYPE_COSIGNATURE_V1))
    ));
}

#[test]
fn derived_keys_match_their_seeds() {
    let k = keys();
    assert_eq!(log_verifier().key, log_key().public());
    assert_eq!(log_verifier().name, ORIGIN);
    for (vkey, key, name) in [(k["w1-vkey"], w1_key(), W1), (k["w2-vkey"], w2_key(), W2)] {
        let v = WitnessVerifier::parse(vkey).unwrap();
        assert_eq!(v.name, name);
        assert_eq!(v.key, key.public());
        assert_eq!(witness_verifier_key(name, &key.public()), vkey);
        let witness = Witness::new(name, key).unwrap();
        assert_eq!(witness.name(), name);
        assert_eq!(witness.verifier(), v);
    }
    assert_eq!(w1().key_id, 0x579bcd41);
    assert_eq!(w2().key_id, 0x03c4c493);
    let alias: WitnessKey = w1();
    assert_eq!(alias, w1());
}

#[test]
fn malformed_witness_keys_are_rejected() {
    let good = keys()["w1-vkey"];
    let b64 = good.splitn(3, '+').nth(2).unwrap();
    let mut raw = STANDARD.decode(b64).unwrap();
    raw.pop();
    let short = format!("{W1}+579bcd41+{}", STANDARD.encode(&raw));
    for bad in [
        "",
        "name",
        "name+579bcd41",
        "+579bcd41+BBqD",
        "a b+579bcd41+BBqDL70t9piLKs90/snm1+8DI0CKZPTcNDhxaFJrA3vx",
        "w+579bcd4+BBqDL70t9piLKs90/snm1+8DI0CKZPTcNDhxaFJrA3vx",
        "w+579bcd4g+BBqDL70t9piLKs90/snm1+8DI0CKZPTcNDhxaFJrA3vx",
        "w+579bcd41+not base64!",
        "w+579bcd41+",
        &short,
    ] {
        assert!(WitnessVerifier::parse(bad).is_err(), "{bad:?}");
    }
    // Encodings that are not curve points (about half of all y values).
    let mut invalid = 0;
    for y in 0..=255u8 {
        let mut k = [0u8; 32];
        k[0] = y;
        if let Err(e) = WitnessVerifier::new("w", PublicKey(k)) {
            assert_eq!(e, CosignatureError::Note(NoteError::InvalidPublicKey));
            invalid += 1;
        }
    }
    assert!(invalid > 0);
    assert!(matches!(
        WitnessVerifier::new("bad name", w1_key().public()),
        Err(CosignatureError::Note(NoteError::InvalidName(_)))
    ));
    assert!(Witness::new("bad+name", w1_key()).is_err());
}

// ---------------------------------------------------------------------------
// The signed message and the published examples.

#[test]
fn signed_message_is_the_spec_example_byte_for_byte() {
    let spec = body(SPEC_NOTE);
    let msg = cosignature_message(spec, T1).unwrap();
    assert_eq!(msg, SPEC_MESSAGE.as_bytes());
    assert_eq!(msg, W1_MESSAGE.as_bytes());
    assert!(msg.starts_with(b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n"));
    // Timestamps are plain decimals: zero, no leading zeroes, up to 2^63 - 1.
    assert!(cosignature_message(spec, 0)
        .unwrap()
        .starts_with(b"cosignature/v1\ntime 0\n"));
    assert!(cosignature_message(spec, MAX_TIMESTAMP)
        .unwrap()
        .starts_with(b"cosignature/v1\ntime 9223372036854775807\n"));
    assert_eq!(
        cosignature_message(spec, MAX_TIMESTAMP + 1),
        Err(CosignatureError::TimestampTooLarge(1 << 63))
    );
    // Extension lines are part of the message.
    let ext = body(CHECKPOINT_EXT);
    let msg = cosignature_message(ext, T1).unwrap();
    assert!(msg.ends_with(b"\nextension one\nextension two\n"));
}

#[test]
fn spec_cosignature_example_framing() {
    let p = published();
    let note = Note::parse(SPEC_NOTE).unwrap();
    assert_eq!(note.to_text(), SPEC_NOTE);
    assert_eq!(note.signatures.len(), 2);
    let log = &note.signatures[0];
    let witness = &note.signatures[1];
    assert_eq!(log.name, ORIGIN);
    assert_eq!(log.signature.len(), 64);
    assert_eq!(witness.name, W1);
    assert_eq!(
        witness.key_id,
        u32::from_str_radix(p["spec-cosig-key-id"], 16).unwrap()
    );
    assert_eq!(witness.signature.len(), COSIGNATURE_LEN);
    assert_eq!(
        cosignature_timestamp(witness).unwrap(),
        p["spec-cosig-time"].parse::<u64>().unwrap()
    );
    // The log's 64-byte Ed25519 signature is not a cosignature.
    assert!(matches!(
        cosignature_timestamp(log),
        Err(CosignatureError::Malformed { len: 64, .. })
    ));
    // The body is a checkpoint, and none of our keys signed it.
    Checkpoint::parse_body(&note.text).unwrap();
    assert!(matches!(
        verify_cosignature(&note, &w1()),
        Err(CosignatureError::NotFound { .. })
    ));
}

#[test]
fn signed_note_spec_example_parses() {
    let note = Note::parse(SPEC_SIGNED_NOTE).unwrap();
    assert_eq!(
        note.text,
        "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    );
    assert_eq!(note.signatures.len(), 1);
    assert_eq!(note.signatures[0].name, "quasimodo.example/salvatore");
    assert_eq!(
        note.signatures[0].key_id,
        u32::from_str_radix(published()["spec-note-key-id"], 16).unwrap()
    );
    assert_eq!(note.signatures[0].signature.len(), 64);
    assert_eq!(note.to_text(), SPEC_SIGNED_NOTE);
}

#[test]
fn xmod_two_signer_example_verifies() {
    let p = published();
    let note = Note::parse(XMOD_NOTE).unwrap();
    assert_eq!(note.to_text(), XMOD_NOTE);
    let peter = Verifier::parse(p["xmod-peter-vkey"]).unwrap();
    let enoch = Verifier::parse(p["xmod-enoch-vkey"]).unwrap();
    note.verify(&peter).unwrap();
    note.verify(&enoch).unwrap();
    // A witness with Enoch's key and name is another key id: its line is not there.
    let as_witness = WitnessVerifier::new("EnochRoot", enoch.key).unwrap();
    assert!(matches!(
        verify_cosignature(&note, &as_witness),
        Err(CosignatureError::NotFound { .. })
    ));
}

#[test]
fn transparency_dev_formats_timestamp_vectors() {
    let p = published();
    let raw = STANDARD.decode(p["formats-cosig"]).unwrap();
    let sig = NoteSignature {
        name: "w".into(),
        key_id: u32::from_be_bytes(raw[..4].try_into().unwrap()),
        signature: raw[4..].to_vec(),
    };
    assert_eq!(
        cosignature_timestamp(&sig).unwrap(),
        p["formats-cosig-time"].parse::<u64>().unwrap()
    );
    let raw = STANDARD.decode(p["formats-not-cosig"]).unwrap();
    let sig = NoteSignature {
        name: "w".into(),
        key_id: 0,
        signature: raw[4..].to_vec(),
    };
    assert!(matches!(
        cosignature_timestamp(&sig),
        Err(CosignatureError::Malformed { len: 64, .. })
    ));
    // formats' "gibberish" signature does not even form a signature line.
    assert!(Note::parse(&format!("{}\n\u{2014} w 5%/$!\n", body(CHECKPOINT))).is_err());
}

// ---------------------------------------------------------------------------
// Derived vectors: verify the Go output, and reproduce it byte for byte.

#[test]
fn go_cosigned_checkpoint_verifies() {
    let note = cosigned();
    assert_eq!(note.to_text(), CHECKPOINT);
    let (cp, _) = Checkpoint::open(CHECKPOINT, &log_verifier()).unwrap();
    assert_eq!((cp.origin.as_str(), cp.size), (ORIGIN, 20852163));
    assert_eq!(verify_cosignature(&note, &w1()), Ok(T1));
    assert_eq!(w2().verify(&note), Ok(T2));
    assert_eq!(keys()["w1-time"].parse::<u64>().unwrap(), T1);
    assert_eq!(keys()["w2-time"].parse::<u64>().unwrap(), T2);
    assert_eq!(cosignature_timestamp(&note.signatures[1]), Ok(T1));
    // The log's key cannot verify a cosignature and vice versa.
    let log_as_witness = WitnessVerifier::new(ORIGIN, log_key().public()).unwrap();
    assert!(matches!(
        verify_cosignature(&note, &log_as_witness),
        Err(CosignatureError::NotFound { .. })
    ));
}

#[test]
fn go_extension_checkpoint_verifies() {
    let note = Note::parse(CHECKPOINT_EXT).unwrap();
    let (cp, _) = Checkpoint::open(CHECKPOINT_EXT, &log_verifier()).unwrap();
    assert_eq!(cp.extensions, ["extension one", "extension two"]);
    assert_eq!(verify_cosignature(&note, &w1()), Ok(T1));
    // The cosignature covers the extension lines.
    let altered = CHECKPOINT_EXT.replace("extension two", "extension X");
    let note = Note::parse(&altered).unwrap();
    assert!(matches!(
        verify_cosignature(&note, &w1()),
        Err(CosignatureError::BadSignature { .. })
    ));
}

#[test]
fn cosign_reproduces_go_output_byte_for_byte() {
    for (expected, witnesses) in [
        (CHECKPOINT, &[(w1_key(), W1, T1), (w2_key(), W2, T2)][..]),
        (CHECKPOINT_EXT, &[(w1_key(), W1, T1)][..]),
    ] {
        let cp = Checkpoint::parse_body(body(expected)).unwrap();
        let mut note = cp.sign(&log_key()).unwrap();
        for (key, name, t) in witnesses {
            add_cosignature(&mut note, key, name, *t).unwrap();
        }
        assert_eq!(note.to_text(), expected);
        // The free function and the Witness type agree.
        let line = cosign(&note, &w1_key(), W1, T1).unwrap();
        assert_eq!(line, note.signatures[1]);
        let witness = Witness::new(W1, w1_key()).unwrap();
        assert_eq!(witness.cosign(&note, T1).unwrap(), line);
        assert_eq!(line.key_id, w1().key_id);
        assert_eq!(&line.signature[..8], &T1.to_be_bytes());
    }
}

// ---------------------------------------------------------------------------
// Rejections.

#[test]
fn wrong_key_is_not_found_or_bad() {
    let note = cosigned();
    // Same name, another key: another key id, so the line is not by this witness.
    let other = WitnessVerifier::new(W1, NodeKey::from_seed([9; 32]).public()).unwrap();
    assert_eq!(
        verify_cosignature(&note, &other),
        Err(CosignatureError::NotFound {
            name: W1.into(),
            key_id: other.key_id
        })
    );
    // A verifier claiming w1's name and key id but holding another key.
    let forged = WitnessVerifier {
        key: other.key,
        ..w1()
    };
    assert_eq!(
        verify_cosignature(&note, &forged),
        Err(CosignatureError::BadSignature {
            name: W1.into(),
            key_id: w1().key_id
        })
    );
    // w2's key under w1's name and id.
    let swapped = WitnessVerifier {
        key: w2().key,
        ..w1()
    };
    assert!(matches!(
        verify_cosignature(&note, &swapped),
        Err(CosignatureError::BadSignature { .. })
    ));
}

#[test]
fn wrong_name_is_not_found() {
    let note = cosigned();
    // w1's key under another name: another key id.
    let renamed = WitnessVerifier::new("witness.example.com/w3", w1_key().public()).unwrap();
    assert!(matches!(
        verify_cosignature(&note, &renamed),
        Err(CosignatureError::NotFound { .. })
    ));
    // The line relabelled with another name keeps w1's key id: nobody's line.
    let mut relabelled = note.clone();
    relabelled.signatures[1].name = "witness.example.com/w3".into();
    let relabelled = Note::parse(&relabelled.to_text()).unwrap();
    for v in [w1(), renamed] {
        assert!(matches!(
            verify_cosignature(&relabelled, &v),
            Err(CosignatureError::NotFound { .. })
        ));
    }
    // The Ed25519 message does not commit to the name: only the key id (which no
    // vkey for another name can carry, see `WitnessVerifier::parse`) binds it, so
    // a hand-built verifier pairing the new name with w1's id and key accepts it.
    let claims = WitnessVerifier {
        name: "witness.example.com/w3".into(),
        ..w1()
    };
    assert_eq!(verify_cosignature(&relabelled, &claims), Ok(T1));
}

#[test]
fn altered_timestamp_fails() {
    for t in [T1 + 1, T1 - 1, 0, MAX_TIMESTAMP] {
        let mut note = cosigned();
        note.signatures[1].signature[..8].copy_from_slice(&t.to_be_bytes());
        let note = Note::parse(&note.to_text()).unwrap();
        assert_eq!(cosignature_timestamp(&note.signatures[1]), Ok(t));
        assert_eq!(
            verify_cosignature(&note, &w1()),
            Err(CosignatureError::BadSignature {
                name: W1.into(),
                key_id: w1().key_id
            })
        );
        // w2's line is untouched.
        assert_eq!(verify_cosignature(&note, &w2()), Ok(T2));
    }
    // Above 2^63 - 1 the timestamp itself is refused.
    let mut note = cosigned();
    note.signatures[1].signature[0] |= 0x80;
    let t = u64::from_be_bytes(note.signatures[1].signature[..8].try_into().unwrap());
    assert_eq!(
        verify_cosignature(&note, &w1()),
        Err(CosignatureError::TimestampTooLarge(t))
    );
    assert_eq!(
        cosign(&note, &w1_key(), W1, MAX_TIMESTAMP + 1),
        Err(CosignatureError::TimestampTooLarge(MAX_TIMESTAMP + 1))
    );
}

#[test]
fn altered_checkpoint_body_fails() {
    for (from, to) in [
        ("20852163", "20852164"),
        ("CsUYapGG", "CsUYapGH"),
        (ORIGIN, "example.com/behind-the-sofb"),
    ] {
        let text = CHECKPOINT.replacen(from, to, 1);
        let note = Note::parse(&text).unwrap();
        for v in [w1(), w2()] {
            assert!(
                matches!(
                    verify_cosignature(&note, &v),
                    Err(CosignatureError::BadSignature { .. })
                ),
                "{from} -> {to}"
            );
        }
    }
    // An added extension line.
    let mut note = cosigned();
    note.text.push_str("extension\n");
    assert!(matches!(
        verify_cosignature(&note, &w1()),
        Err(CosignatureError::BadSignature { .. })
    ));
    // Cosignatures are only over checkpoints.
    let mut note = cosigned();
    note.text = "not\na\ncheckpoint\n".into();
    assert!(matches!(
        verify_cosignature(&note, &w1()),
        Err(CosignatureError::Checkpoint(_))
    ));
    assert!(matches!(
        cosign(&note, &w1_key(), W1, T1),
        Err(CosignatureError::Checkpoint(CheckpointError::InvalidSize(
            _
        )))
    ));
}

#[test]
fn truncated_and_garbage_signatures_are_rejected() {
    // Truncated or extended signature bytes.
    for len in [0usize, 1, 8, 63, 64, 71, 73, 200] {
        let mut note = cosigned();
        note.signatures[1].signature.resize(len, 7);
        let r = verify_cosignature(&note, &w1());
        if len == 0 {
            // Too short even to serialise (the note layer needs 5 bytes).
            assert!(matches!(r, Err(CosignatureError::Malformed { len: 0, .. })));
            continue;
        }
        assert_eq!(
            r,
            Err(CosignatureError::Malformed {
                name: W1.into(),
                key_id: w1().key_id,
                len
            })
        );
        let reparsed = Note::parse(&note.to_text()).unwrap();
        assert_eq!(
            verify_cosignature(&reparsed, &w1()),
            Err(CosignatureError::Malformed {
                name: W1.into(),
                key_id: w1().key_id,
                len
            })
        );
    }
    // A flipped bit in the Ed25519 part.
    let mut note = cosigned();
    note.signatures[1].signature[40] ^= 1;
    assert!(matches!(
        verify_cosignature(&note, &w1()),
        Err(CosignatureError::BadSignature { .. })
    ));
    // Truncated signature lines in the text.
    let line = CHECKPOINT.lines().nth(5).unwrap();
    assert!(line.starts_with("\u{2014} witness.example.com/w1 "));
    for cut in [
        line.len() - 1,
        line.len() - 2,
        line.len() - 4,
        line.len() - 8,
    ] {
        let text = CHECKPOINT.replacen(line, &line[..cut], 1);
        match Note::parse(&text) {
            Err(_) => {}
            Ok(note) => assert!(verify_cosignature(&note, &w1()).is_err(), "{cut}"),
        }
    }
    // Garbage lines.
    for garbage in [
        "\u{2014} witness.example.com/w1 !!!!",
        "\u{2014} witness.example.com/w1 ",
        "\u{2014} witness.example.com/w1",
        "- witness.example.com/w1 V5vNQQAAAABk",
        "\u{2014} witness.example.com/w1 V5vNQQ==",
        "\u{2014}  V5vNQQAAAABkGFDL",
    ] {
        let text = CHECKPOINT.replacen(line, garbage, 1);
        assert!(Note::parse(&text).is_err(), "{garbage:?}");
    }
    // Short but well-formed base64: the key id matches, the bytes are too few.
    let text = CHECKPOINT.replacen(line, "\u{2014} witness.example.com/w1 V5vNQQAAAABkGFDL", 1);
    let note = Note::parse(&text).unwrap();
    assert!(matches!(
        verify_cosignature(&note, &w1()),
        Err(CosignatureError::Malformed { len: 8, .. })
    ));
}

#[test]
fn one_bad_line_by_a_known_witness_rejects_the_note() {
    let mut note = cosigned();
    let mut bad = note.signatures[1].clone();
    bad.signature[20] ^= 1;
    note.signatures.push(bad);
    assert!(matches!(
        verify_cosignature(&note, &w1()),
        Err(CosignatureError::BadSignature { .. })
    ));
    // Two valid lines by the same witness: the latest timestamp wins.
    let mut note = cosigned();
    let later = cosign(&note, &w1_key(), W1, T1 + 100).unwrap();
    note.signatures.push(later);
    assert_eq!(verify_cosignature(&note, &w1()), Ok(T1 + 100));
}

// ---------------------------------------------------------------------------
// Adding cosignatures.

#[test]
fn adding_keeps_the_log_first_and_never_duplicates() {
    let cp = Checkpoint::parse_body(body(CHECKPOINT)).unwrap();
    let mut note = cp.sign(&log_key()).unwrap();
    let witness = Witness::new(W1, w1_key()).unwrap();
    witness.add_cosignature(&mut note, T1).unwrap();
    add_cosignature(&mut note, &w2_key(), W2, T2).unwrap();
    assert_eq!(note.to_text(), CHECKPOINT);
    // Re-cosigning replaces in place.
    witness.add_cosignature(&mut note, T1 + 5).unwrap();
    assert_eq!(note.signatures.len(), 3);
    assert_eq!(note.signatures[0].name, ORIGIN);
    assert_eq!(note.signatures[1].name, W1);
    assert_eq!(note.signatures[2].name, W2);
    assert_eq!(verify_cosignature(&note, &w1()), Ok(T1 + 5));
    Checkpoint::from_note(&note, &log_verifier()).unwrap();
    // Duplicate lines (from elsewhere) collapse into one.
    let dup = note.signatures[1].clone();
    note.signatures.push(dup);
    witness.add_cosignature(&mut note, T1 + 6).unwrap();
    assert_eq!(note.signatures.len(), 3);
    assert_eq!(note.signatures[1].name, W1);
    let text = note.to_text();
    let back = Note::parse(&text).unwrap();
    assert_eq!(back, note);
    assert_eq!(verify_cosignature(&back, &w1()), Ok(T1 + 6));
    assert_eq!(verify_cosignature(&back, &w2()), Ok(T2));
    // The same name under another key is another witness line.
    add_cosignature(&mut note, &NodeKey::from_seed([4; 32]), W1, T1).unwrap();
    assert_eq!(note.signatures.len(), 4);
    // Bad names, texts and full notes are refused.
    assert!(matches!(
        add_cosignature(&mut note, &w1_key(), "w 1", T1),
        Err(CosignatureError::Note(NoteError::InvalidName(_)))
    ));
    let mut full = cosigned();
    while full.signatures.len() < MAX_SIGNATURES {
        let s = full.signatures[0].clone();
        full.signatures.push(s);
    }
    assert_eq!(
        add_cosignature(&mut full, &NodeKey::from_seed([8; 32]), "w8", T1),
        Err(CosignatureError::Note(NoteError::TooManySignatures {
            max: MAX_SIGNATURES
        }))
    );
    // Replacing needs no room.
    add_cosignature(&mut full, &w1_key(), W1, T1).unwrap();
}

// ---------------------------------------------------------------------------
// Witness policies.

fn w3() -> WitnessVerifier {
    WitnessVerifier::new(
        "witness.example.com/w3",
        NodeKey::from_seed([3; 32]).public(),
    )
    .unwrap()
}

#[test]
fn policy_counts_distinct_trusted_witnesses() {
    let note = cosigned();
    let both = WitnessPolicy::new(vec![w1(), w2()], 2).unwrap();
    assert_eq!(
        both.check(&note),
        Ok(vec![(W1.to_string(), T1), (W2.to_string(), T2)])
    );
    // Policy order, not line order.
    let reversed = WitnessPolicy::new(vec![w3(), w2(), w1()], 1).unwrap();
    assert_eq!(
        reversed.check(&note),
        Ok(vec![(W2.to_string(), T2), (W1.to_string(), T1)])
    );
    let none = WitnessPolicy::new(vec![], 0).unwrap();
    assert_eq!(none.check(&note), Ok(vec![]));
    // Not enough.
    let three = WitnessPolicy::new(vec![w1(), w2(), w3()], 3).unwrap();
    let err = three.check(&note).unwrap_err();
    assert_eq!(
        err,
        PolicyError::NotEnough {
            found: 2,
            needed: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "found 2 valid cosignatures by distinct trusted witnesses, need 3"
    );
    let only_w1 = Note::parse(CHECKPOINT_EXT).unwrap();
    assert_eq!(
        both.check(&only_w1),
        Err(PolicyError::NotEnough {
            found: 1,
            needed: 2
        })
    );
}

#[test]
fn policy_ignores_unknown_signers_and_never_counts_twice() {
    let mut note = cosigned();
    // Unknown witness and an unknown line under a trusted name.
    add_cosignature(
        &mut note,
        &NodeKey::from_seed([3; 32]),
        "witness.example.com/w3",
        5,
    )
    .unwrap();
    add_cosignature(&mut note, &NodeKey::from_seed([6; 32]), W1, 6).unwrap();
    // Duplicate lines by w1.
    let dup = note.signatures[1].clone();
    note.signatures.push(dup);
    let policy = WitnessPolicy::new(vec![w1()], 1).unwrap();
    assert_eq!(policy.check(&note), Ok(vec![(W1.to_string(), T1)]));
    // A policy listing w1 twice (built by hand: `new` refuses it) still counts one.
    let twice = WitnessPolicy {
        witnesses: vec![w1(), w1()],
        min: 2,
    };
    assert_eq!(
        twice.check(&note),
        Err(PolicyError::NotEnough {
            found: 1,
            needed: 2
        })
    );
    // One key under two names: a copied line must not count as a second witness.
    let alias = WitnessVerifier::new("witness.example.com/alias", w1_key().public()).unwrap();
    let mut copied = cosigned();
    let mut line = copied.signatures[1].clone();
    line.name = alias.name.clone();
    line.key_id = alias.key_id;
    copied.signatures.push(line);
    assert_eq!(verify_cosignature(&copied, &alias), Ok(T1));
    let shared = WitnessPolicy {
        witnesses: vec![w1(), alias.clone()],
        min: 2,
    };
    assert_eq!(
        shared.check(&copied),
        Err(PolicyError::NotEnough {
            found: 1,
            needed: 2
        })
    );
    assert_eq!(
        WitnessPolicy::new(vec![w1(), alias], 1),
        Err(PolicyError::DuplicateWitness(
            "witness.example.com/alias".into()
        ))
    );
    // One name under two keys.
    let rotated = WitnessVerifier::new(W1, NodeKey::from_seed([6; 32]).public()).unwrap();
    assert_eq!(
        WitnessPolicy::new(vec![w1(), rotated.clone()], 1),
        Err(PolicyError::DuplicateWitness(W1.into()))
    );
    let rotation = WitnessPolicy {
        witnesses: vec![w1(), rotated],
        min: 2,
    };
    assert_eq!(
        rotation.check(&note),
        Err(PolicyError::NotEnough {
            found: 1,
            needed: 2
        })
    );
    assert_eq!(
        WitnessPolicy::new(vec![w1()], 2),
        Err(PolicyError::Unsatisfiable {
            min: 2,
            witnesses: 1
        })
    );
}

#[test]
fn policy_rejects_an_invalid_trusted_line() {
    let mut note = cosigned();
    note.signatures[2].signature[30] ^= 1;
    let policy = WitnessPolicy::new(vec![w1(), w2()], 1).unwrap();
    assert_eq!(
        policy.check(&note),
        Err(PolicyError::Cosignature(CosignatureError::BadSignature {
            name: W2.into(),
            key_id: w2().key_id
        }))
    );
    // The same corruption in an untrusted line is ignored.
    let w1_only = WitnessPolicy::new(vec![w1()], 1).unwrap();
    assert_eq!(w1_only.check(&note), Ok(vec![(W1.to_string(), T1)]));
}

// ---------------------------------------------------------------------------
// Witnessed tlog-proofs.

fn policy() -> WitnessPolicy {
    WitnessPolicy::new(vec![w1(), w2()], 2).unwrap()
}

fn proof_entry() -> Vec<u8> {
    STANDARD.decode(keys()["tlog-proof-entry"]).unwrap()
}

#[test]
fn go_witnessed_tlog_proof_verifies() {
    let proof = TlogProof::parse(WITNESSED_PROOF).unwrap();
    assert_eq!(proof.to_text(), WITNESSED_PROOF);
    assert_eq!(proof.index, 5);
    assert_eq!(proof.extra.as_deref(), Some(&b"shoal KAT"[..]));
    assert_eq!(proof.checkpoint.signatures.len(), 3);
    let entry = proof_entry();
    assert_eq!(entry, b"shoal entry 5\n");
    // The plain verification still works with cosignature lines present.
    let cp = proof.verify(&entry, &log_verifier()).unwrap();
    assert_eq!(cp.size, 7);
    let (cp2, witnesses) = proof
        .verify_witnessed(&entry, &log_verifier(), &policy())
        .unwrap();
    assert_eq!(cp2, cp);
    assert_eq!(witnesses, [(W1.to_string(), T1), (W2.to_string(), T2)]);
    // Our own tree agrees with the Go tree.
    let mut t = MemoryTree::new();
    for i in 0..7 {
        t.append(leaf_hash(format!("shoal entry {i}\n").as_bytes()));
    }
    assert_eq!(t.root(), cp.root);
    assert_eq!(inclusion_proof(&t, 5, 7).unwrap(), proof.proof);
}

#[test]
fn witnessed_tlog_proof_failures() {
    let proof = TlogProof::parse(WITNESSED_PROOF).unwrap();
    let entry = proof_entry();
    // Wrong entry: the inclusion proof fails before the policy is looked at.
    assert!(matches!(
        proof.verify_witnessed(b"other", &log_verifier(), &policy()),
        Err(WitnessedProofError::Proof(TlogProofError::Proof(_)))
    ));
    // Wrong log key.
    let other_log = Verifier::new(ORIGIN, NodeKey::from_seed([1; 32]).public()).unwrap();
    assert!(matches!(
        proof.verify_witnessed(&entry, &other_log, &policy()),
        Err(WitnessedProofError::Proof(TlogProofError::Checkpoint(_)))
    ));
    // Not enough witnesses.
    let three = WitnessPolicy::new(vec![w1(), w2(), w3()], 3).unwrap();
    let err = proof
        .verify_witnessed(&entry, &log_verifier(), &three)
        .unwrap_err();
    assert_eq!(
        err,
        WitnessedProofError::Witnesses(PolicyError::NotEnough {
            found: 2,
            needed: 3
        })
    );
    assert!(err.to_string().contains("found 2"), "{err}");
    // Dropping a cosignature line from the text.
    let w2_line = WITNESSED_PROOF.lines().last().unwrap();
    let text = WITNESSED_PROOF.replace(&format!("{w2_line}\n"), "");
    let fewer = TlogProof::parse(&text).unwrap();
    assert_eq!(
        fewer.verify_witnessed(&entry, &log_verifier(), &policy()),
        Err(WitnessedProofError::Witnesses(PolicyError::NotEnough {
            found: 1,
            needed: 2
        }))
    );
    // A tampered cosignature.
    let mut bad = proof.clone();
    bad.checkpoint.signatures[1].signature[50] ^= 1;
    assert!(matches!(
        bad.verify_witnessed(&entry, &log_verifier(), &policy()),
        Err(WitnessedProofError::Witnesses(PolicyError::Cosignature(
            CosignatureError::BadSignature { .. }
        )))
    ));
}

#[test]
fn tlog_proof_with_cosignatures_round_trips() {
    let mut t = MemoryTree::new();
    for i in 0u8..13 {
        t.append(leaf_hash(&[i]));
    }
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: 13,
        root: t.root(),
        extensions: vec!["ext".into()],
    };
    let mut checkpoint = cp.sign(&log_key()).unwrap();
    add_cosignature(&mut checkpoint, &w2_key(), W2, 42).unwrap();
    add_cosignature(&mut checkpoint, &w1_key(), W1, 41).unwrap();
    let proof = TlogProof {
        extra: None,
        index: 9,
        proof: inclusion_proof(&t, 9, 13).unwrap(),
        checkpoint,
    };
    let text = proof.to_text();
    let back = TlogProof::parse(&text).unwrap();
    assert_eq!(back, proof);
    assert_eq!(back.to_text(), text);
    let (got, witnesses) = back
        .verify_witnessed(&[9], &log_verifier(), &policy())
        .unwrap();
    assert_eq!(got, cp);
    assert_eq!(witnesses, [(W1.to_string(), 41), (W2.to_string(), 42)]);
}

// ---------------------------------------------------------------------------
// Property tests: nothing panics on arbitrary input.

fn exercise(text: &str) {
    let policy = WitnessPolicy {
        witnesses: vec![w1(), w2(), w1()],
        min: 1,
    };
    let _ = WitnessVerifier::parse(text);
    if let Ok(note) = Note::parse(text) {
        for v in [w1(), w2()] {
            if verify_cosignature(&note, &v).is_ok() {
                // Only the texts the witnesses signed verify.
                let proof_body = body(WITNESSED_PROOF.split_once("\n\n").unwrap().1);
                assert!(note.text == body(CHECKPOINT) || note.text == proof_body);
            }
        }
        let _ = policy.check(&note);
        for s in &note.signatures {
            let _ = cosignature_timestamp(s);
        }
        let mut n = note.clone();
        let _ = add_cosignature(&mut n, &w1_key(), W1, T1);
    }
    if let Ok(p) = TlogProof::parse(text) {
        let _ = p.verify_witnessed(&proof_entry(), &log_verifier(), &policy);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_signature_bytes_never_verify_or_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..160),
    ) {
        let mut note = cosigned();
        note.signatures[1].signature = bytes.clone();
        let r = verify_cosignature(&note, &w1());
        prop_assert!(r.is_err() || bytes == cosigned().signatures[1].signature);
        let _ = cosignature_timestamp(&note.signatures[1]);
        let _ = policy().check(&note);
        let _ = Note::parse(&note.to_text()).map(|n| verify_cosignature(&n, &w1()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        exercise(&String::from_utf8_lossy(&bytes));
        // As the base64 of a cosignature line.
        let text = format!("{}\n\u{2014} {W1} {}\n", body(CHECKPOINT), STANDARD.encode(&bytes));
        exercise(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "(\\PC|\n|\u{2014} |\n\n|\\+|witness.example.com/w1 |V5vNQQ)*") {
        exercise(&s);
    }

    #[test]
    fn mutated_cosigned_notes_never_panic(
        pos in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        insert in prop_oneof![Just(""), Just("\n"), Just("\n\n"), Just("A"), Just("="), Just("\u{2014} "), Just(" ")],
        delete in 0usize..4,
        proof in any::<bool>(),
    ) {
        let source = if proof { WITNESSED_PROOF } else { CHECKPOINT };
        let chars: Vec<char> = source.chars().collect();
        let at = pos.index(chars.len());
        let end = (at + delete).min(chars.len());
        let mut mutated: String = chars[..at].iter().collect();
        mutated.push_str(insert);
        mutated.extend(&chars[end..]);
        exercise(&mutated);
        let truncated: String = chars[..cut.index(chars.len())].iter().collect();
        exercise(&truncated);
    }

    #[test]
    fn cosign_then_verify_round_trips(seed in any::<[u8; 32]>(), t in 0..=MAX_TIMESTAMP) {
        let key = NodeKey::from_seed(seed);
        let v = WitnessVerifier::new("w.example/p", key.public()).unwrap();
        let mut note = cosigned();
        add_cosignature(&mut note, &key, "w.example/p", t).unwrap();
        let back = Note::parse(&note.to_text()).unwrap();
        prop_assert_eq!(verify_cosignature(&back, &v), Ok(t));
        prop_assert_eq!(verify_cosignature(&back, &w1()), Ok(T1));
        prop_assert!(WitnessVerifier::parse(&v.to_vkey()).unwrap() == v);
    }
}
