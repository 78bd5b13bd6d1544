//! C2SP signed notes: the golang.org/x/mod/sumdb/note documentation example as a
//! known answer, round trips, limits, and rejection of tampered or malformed notes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use shoal_crypto::note::{key_id, verifier_key, MAX_NOTE_BYTES, MAX_SIGNATURES};
use shoal_crypto::{NodeKey, Note, NoteError, NoteSignature, PublicKey, Verifier};

const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
/// The signer key printed in the package documentation. (Its base64 ends in
/// `...9iUvxdXHKDFz`; it is the seed that yields the public key of `VKEY`.)
const SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIG_LINE: &str =
    "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

fn signed() -> String {
    format!("{TEXT}\n{SIG_LINE}")
}

/// The seed from the `PRIVATE+KEY+<name>+<id>+base64(0x01 || seed)` signer key.
fn peter_key() -> NodeKey {
    // The base64 may itself contain '+': it is everything after the fourth one.
    let b64 = SKEY.splitn(5, '+').nth(4).unwrap();
    let raw = STANDARD.decode(b64).unwrap();
    assert_eq!(raw[0], 0x01);
    NodeKey::from_seed(raw[1..].try_into().unwrap())
}

fn other_key() -> NodeKey {
    NodeKey::from_seed([42; 32])
}

#[test]
fn verifier_key_known_answer() {
    let v = Verifier::parse(VKEY).unwrap();
    assert_eq!(v.name, "PeterNeumann");
    assert_eq!(v.key_id, 0xc74f20a3);
    assert_eq!(v.key, peter_key().public());
    assert_eq!(v.to_vkey(), VKEY);
    assert_eq!(key_id("PeterNeumann", &v.key), 0xc74f20a3);
    assert_eq!(verifier_key("PeterNeumann", &v.key), VKEY);
    assert_eq!(Verifier::new("PeterNeumann", v.key).unwrap(), v);
}

#[test]
fn go_example_verifies() {
    let note = Note::parse(&signed()).unwrap();
    assert_eq!(note.text, TEXT);
    assert_eq!(note.signatures.len(), 1);
    assert_eq!(note.signatures[0].name, "PeterNeumann");
    assert_eq!(note.signatures[0].key_id, 0xc74f20a3);
    note.verify(&Verifier::parse(VKEY).unwrap()).unwrap();
    assert_eq!(note.to_text(), signed());
}

#[test]
fn go_example_resigns_byte_for_byte() {
    let note = Note::sign(TEXT, "PeterNeumann", &peter_key()).unwrap();
    assert_eq!(note.to_text(), signed());
}

#[test]
fn cosigning_and_replacing_signatures() {
    let v_peter = Verifier::parse(VKEY).unwrap();
    let enoch = other_key();
    let v_enoch = Verifier::new("EnochRoot", enoch.public()).unwrap();
    let mut note = Note::parse(&signed()).unwrap();
    note.add_signature("EnochRoot", &enoch).unwrap();
    let text = note.to_text();
    assert!(text.starts_with(&signed()));
    let back = Note::parse(&text).unwrap();
    assert_eq!(back, note);
    back.verify(&v_peter).unwrap();
    back.verify(&v_enoch).unwrap();
    // Re-signing with the same key replaces, not duplicates.
    note.add_signature("PeterNeumann", &peter_key()).unwrap();
    assert_eq!(note.signatures.len(), 2);
    assert_eq!(note.signatures[1].name, "PeterNeumann");
}

#[test]
fn wrong_key_is_unknown() {
    let note = Note::parse(&signed()).unwrap();
    // Same name, other key: another key id, so the signature is not by this verifier.
    let v = Verifier::new("PeterNeumann", other_key().public()).unwrap();
    assert_eq!(
        note.verify(&v),
        Err(NoteError::UnknownKey {
            name: v.name.clone(),
            key_id: v.key_id
        })
    );
    // Same key, other name.
    let v = Verifier::new("PaulNeumann", peter_key().public()).unwrap();
    assert!(matches!(note.verify(&v), Err(NoteError::UnknownKey { .. })));
}

#[test]
fn forged_key_id_with_wrong_key_is_a_bad_signature() {
    // A verifier that claims Peter's name and id but holds another key.
    let v = Verifier {
        name: "PeterNeumann".into(),
        key_id: 0xc74f20a3,
        key: other_key().public(),
    };
    let note = Note::parse(&signed()).unwrap();
    assert_eq!(
        note.verify(&v),
        Err(NoteError::BadSignature {
            name: v.name.clone(),
            key_id: v.key_id
        })
    );
}

#[test]
fn altered_text_fails() {
    let v = Verifier::parse(VKEY).unwrap();
    let altered = signed().replace("answer", "Answer");
    let note = Note::parse(&altered).unwrap();
    assert!(matches!(
        note.verify(&v),
        Err(NoteError::BadSignature { .. })
    ));
    // Altered signature bytes.
    let mut note = Note::parse(&signed()).unwrap();
    note.signatures[0].signature[10] ^= 1;
    assert!(matches!(
        note.verify(&v),
        Err(NoteError::BadSignature { .. })
    ));
    // Truncated signature bytes.
    let mut note = Note::parse(&signed()).unwrap();
    note.signatures[0].signature.pop();
    assert!(matches!(
        note.verify(&v),
        Err(NoteError::BadSignature { .. })
    ));
}

#[test]
fn one_bad_signature_by_the_known_key_rejects_the_note() {
    let v = Verifier::parse(VKEY).unwrap();
    let mut note = Note::parse(&signed()).unwrap();
    let mut bad = note.signatures[0].clone();
    bad.signature[0] ^= 1;
    note.signatures.push(bad);
    assert!(matches!(
        note.verify(&v),
        Err(NoteError::BadSignature { .. })
    ));
}

#[test]
fn unknown_key_id_is_ignored() {
    let v = Verifier::parse(VKEY).unwrap();
    let mut note = Note::parse(&signed()).unwrap();
    note.signatures[0].key_id ^= 1;
    let reparsed = Note::parse(&note.to_text()).unwrap();
    assert_eq!(reparsed.signatures[0].key_id, 0xc74f20a2);
    assert_eq!(
        reparsed.verify(&v),
        Err(NoteError::UnknownKey {
            name: "PeterNeumann".into(),
            key_id: 0xc74f20a3
        })
    );
    // Alongside a good signature, an unknown one is harmless.
    let mut both = Note::parse(&signed()).unwrap();
    both.signatures.insert(0, note.signatures[0].clone());
    Note::parse(&both.to_text()).unwrap().verify(&v).unwrap();
}

#[test]
fn bad_base64_is_rejected() {
    for sig in ["x08go/ZJkuBS9UG!", "x08go/ZJkuBS9UG", "x08g o/ZJ", "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM"] {
        let text = format!("{TEXT}\n\u{2014} PeterNeumann {sig}\n");
        assert!(matches!(Note::parse(&text), Err(NoteError::InvalidBase64 { line: 1, .. })), "{sig}");
    }
    // Too short to hold a key id and a signature.
    let text = format!("{TEXT}\n\u{2014} PeterNeumann AAAAAA==\n");
    assert!(matches!(
        Note::parse(&text),
        Err(NoteError::MalformedSignatureLine { line: 1, .. })
    ));
    let text = format!("{TEXT}\n\u{2014} PeterNeumann \n");
    assert!(matches!(
        Note::parse(&text),
        Err(NoteError::MalformedSignatureLine { line: 1, .. })
    ));
}

#[test]
fn malformed_notes_are_rejected() {
    // Missing blank line.
    assert_eq!(
        Note::parse(&format!("{TEXT}{SIG_LINE}")),
        Err(NoteError::MissingSeparator)
    );
    // No signatures, or signature block without final newline.
    assert_eq!(
        Note::parse(&format!("{TEXT}\n")),
        Err(NoteError::NoSignatures)
    );
    assert_eq!(
        Note::parse(signed().trim_end_matches('\n')),
        Err(NoteError::NoSignatures)
    );
    // Not an em dash (a hyphen, an en dash), no space, bad names.
    for line in [
        "- PeterNeumann x08go/ZJ\n",
        "\u{2013} PeterNeumann x08go/ZJ\n",
        "\u{2014}PeterNeumann x08go/ZJ\n",
        "\u{2014} PeterNeumann\n",
    ] {
        let text = format!("{TEXT}\n{line}");
        assert!(
            matches!(
                Note::parse(&text),
                Err(NoteError::MalformedSignatureLine { .. })
            ),
            "{line:?}"
        );
    }
    let text = format!("{TEXT}\n\u{2014} Peter+Neumann x08go/ZJkuBS9UG/Sffc\n");
    assert!(matches!(Note::parse(&text), Err(NoteError::InvalidName(_))));
    // Control characters anywhere.
    let text = signed().replace("problem,", "problem,\r");
    assert!(matches!(
        Note::parse(&text),
        Err(NoteError::ControlCharacter { .. })
    ));
    assert!(matches!(
        Note::parse("\t\n\n\u{2014} a AAAAAAA=\n"),
        Err(NoteError::ControlCharacter { offset: 0 })
    ));
    assert_eq!(Note::parse(""), Err(NoteError::MissingSeparator));
}

#[test]
fn limits_are_enforced() {
    let key = other_key();
    let mut note = Note::sign("hello\n", "a", &key).unwrap();
    let sig = note.signatures[0].clone();
    note.signatures = (0..MAX_SIGNATURES as u32)
        .map(|i| NoteSignature {
            name: format!("n{i}"),
            ..sig.clone()
        })
        .collect();
    assert_eq!(
        Note::parse(&note.to_text()).unwrap().signatures.len(),
        MAX_SIGNATURES
    );
    assert_eq!(
        note.add_signature("another", &key),
        Err(NoteError::TooManySignatures {
            max: MAX_SIGNATURES
        })
    );
    note.signatures.push(sig);
    assert_eq!(
        Note::parse(&note.to_text()),
        Err(NoteError::TooManySignatures {
            max: MAX_SIGNATURES
        })
    );
    let huge = format!("{}\n\n{SIG_LINE}", "a".repeat(MAX_NOTE_BYTES));
    assert!(matches!(
        Note::parse(&huge),
        Err(NoteError::TooLarge { .. })
    ));
}

#[test]
fn signing_checks_text_and_name() {
    let key = other_key();
    assert_eq!(Note::sign("", "a", &key), Err(NoteError::EmptyText));
    assert_eq!(
        Note::sign("no newline", "a", &key),
        Err(NoteError::MissingFinalNewline)
    );
    assert!(matches!(
        Note::sign("a\u{7}\n", "a", &key),
        Err(NoteError::ControlCharacter { offset: 1 })
    ));
    for name in ["", "a b", "a+b", "a\nb"] {
        assert!(
            matches!(
                Note::sign("t\n", name, &key),
                Err(NoteError::InvalidName(_))
            ),
            "{name:?}"
        );
    }
    // Text with blank lines, even at its end, round-trips.
    for text in [
        "\n",
        "a\n\nb\n",
        "a\n\n",
        "\u{2014} looks like a signature\n\n",
    ] {
        let note = Note::sign(text, "k", &key).unwrap();
        let back = Note::parse(&note.to_text()).unwrap();
        assert_eq!(back, note);
        back.verify(&Verifier::new("k", key.public()).unwrap())
            .unwrap();
    }
}

#[test]
fn malformed_verifier_keys_are_rejected() {
    let good_b64 = VKEY.rsplit('+').next().unwrap();
    assert!(matches!(
        Verifier::parse("PeterNeumann"),
        Err(NoteError::MalformedVerifierKey(_))
    ));
    assert!(matches!(
        Verifier::parse("PeterNeumann+c74f20a3"),
        Err(NoteError::MalformedVerifierKey(_))
    ));
    assert!(matches!(
        Verifier::parse(&format!("PeterNeumann+c74f20a+{good_b64}")),
        Err(NoteError::MalformedVerifierKey(_))
    ));
    assert!(matches!(
        Verifier::parse(&format!("PeterNeumann+c74f20ag+{good_b64}")),
        Err(NoteError::MalformedVerifierKey(_))
    ));
    assert!(matches!(
        Verifier::parse("PeterNeumann+c74f20a3+AR!"),
        Err(NoteError::MalformedVerifierKey(_))
    ));
    assert!(matches!(
        Verifier::parse("PeterNeumann+c74f20a3+"),
        Err(NoteError::MalformedVerifierKey(_))
    ));
    assert_eq!(
        Verifier::parse(&format!("PeterNeumann+c74f20a4+{good_b64}")),
        Err(NoteError::KeyIdMismatch {
            expected: 0xc74f20a3,
            got: 0xc74f20a4
        })
    );
    assert!(matches!(
        Verifier::parse(&format!("PaulNeumann+c74f20a3+{good_b64}")),
        Err(NoteError::KeyIdMismatch { .. })
    ));
    let mut raw = STANDARD.decode(good_b64).unwrap();
    raw[0] = 0x02;
    assert_eq!(
        Verifier::parse(&format!("PeterNeumann+c74f20a3+{}", STANDARD.encode(&raw))),
        Err(NoteError::UnsupportedAlgorithm(2))
    );
    raw[0] = 0x01;
    raw.push(0);
    assert!(matches!(
        Verifier::parse(&format!("PeterNeumann+c74f20a3+{}", STANDARD.encode(&raw))),
        Err(NoteError::MalformedVerifierKey(_))
    ));
    assert!(matches!(
        Verifier::parse(&format!("+c74f20a3+{good_b64}")),
        Err(NoteError::InvalidName(_))
    ));
    // y = 2 has no x on the Ed25519 curve: (y^2 - 1) / (d y^2 + 1) is not a square.
    let mut y2 = [0u8; 32];
    y2[0] = 2;
    let not_a_point = PublicKey(y2);
    assert_eq!(
        Verifier::new("x", not_a_point),
        Err(NoteError::InvalidPublicKey)
    );
    assert_eq!(
        Verifier::parse(&verifier_key("x", &not_a_point)),
        Err(NoteError::InvalidPublicKey)
    );
}
