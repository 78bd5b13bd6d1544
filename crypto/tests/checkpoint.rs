//! C2SP checkpoints: body round trips, signing as the origin, opening with a
//! verifier, and rejection of malformed bodies and wrong keys.

use shoal_crypto::hash::leaf_hash;
use shoal_crypto::{Checkpoint, CheckpointError, MemoryTree, NodeKey, NoteError, Verifier};

const ORIGIN: &str = "example.com/shoal/log";

fn key() -> NodeKey {
    NodeKey::from_seed([5; 32])
}

fn checkpoint(extensions: &[&str]) -> Checkpoint {
    let mut t = MemoryTree::new();
    for i in 0u32..13 {
        t.append(leaf_hash(&i.to_be_bytes()));
    }
    Checkpoint {
        origin: ORIGIN.into(),
        size: t.size(),
        root: t.root(),
        extensions: extensions.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn spec_example_body_parses() {
    let body =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let cp = Checkpoint::parse_body(body).unwrap();
    assert_eq!(cp.origin, "example.com/behind-the-sofa");
    assert_eq!(cp.size, 20852163);
    assert!(cp.extensions.is_empty());
    assert_eq!(cp.to_body(), body);
}

#[test]
fn sign_and_open_round_trip() {
    for ext in [&[][..], &["ext one", "two"][..]] {
        let cp = checkpoint(ext);
        assert_eq!(Checkpoint::parse_body(&cp.to_body()).unwrap(), cp);
        let note = cp.sign(&key()).unwrap();
        assert_eq!(note.signatures[0].name, ORIGIN);
        let v = Verifier::new(ORIGIN, key().public()).unwrap();
        let (opened, n) = Checkpoint::open(&note.to_text(), &v).unwrap();
        assert_eq!(opened, cp);
        assert_eq!(n, note);
    }
}

#[test]
fn empty_tree_checkpoint() {
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: 0,
        root: shoal_crypto::hash::empty_root(),
        extensions: vec![],
    };
    assert!(cp
        .to_body()
        .contains("\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"));
    let v = Verifier::new(ORIGIN, key().public()).unwrap();
    let (opened, _) = Checkpoint::open(&cp.sign(&key()).unwrap().to_text(), &v).unwrap();
    assert_eq!(opened, cp);
}

#[test]
fn wrong_key_or_origin_is_rejected() {
    let note = checkpoint(&[]).sign(&key()).unwrap().to_text();
    let other = NodeKey::from_seed([6; 32]);
    let v = Verifier::new(ORIGIN, other.public()).unwrap();
    assert!(matches!(
        Checkpoint::open(&note, &v),
        Err(CheckpointError::Note(NoteError::UnknownKey { .. }))
    ));
    let v = Verifier::new("example.com/other", key().public()).unwrap();
    assert!(matches!(
        Checkpoint::open(&note, &v),
        Err(CheckpointError::OriginMismatch { .. })
    ));
    // Tampered size.
    let v = Verifier::new(ORIGIN, key().public()).unwrap();
    let tampered = note.replace("\n13\n", "\n14\n");
    assert!(matches!(
        Checkpoint::open(&tampered, &v),
        Err(CheckpointError::Note(NoteError::BadSignature { .. }))
    ));
}

#[test]
fn malformed_bodies_are_rejected() {
    let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    type Check = fn(&CheckpointError) -> bool;
    let cases: Vec<(String, Check)> = vec![
        ("o\n1\n".into(), |e| {
            matches!(e, CheckpointError::TooFewLines)
        }),
        ("o\n".into(), |e| matches!(e, CheckpointError::TooFewLines)),
        (format!("\n1\n{root}\n"), |e| {
            matches!(e, CheckpointError::EmptyOrigin)
        }),
        (format!("o\n01\n{root}\n"), |e| {
            matches!(e, CheckpointError::InvalidSize(_))
        }),
        (format!("o\n-1\n{root}\n"), |e| {
            matches!(e, CheckpointError::InvalidSize(_))
        }),
        (format!("o\n\n{root}\n"), |e| {
            matches!(e, CheckpointError::InvalidSize(_))
        }),
        (format!("o\n18446744073709551616\n{root}\n"), |e| {
            matches!(e, CheckpointError::InvalidSize(_))
        }),
        ("o\n1\nAAAA\n".into(), |e| {
            matches!(e, CheckpointError::InvalidRoot(_))
        }),
        ("o\n1\nnot base64!\n".into(), |e| {
            matches!(e, CheckpointError::InvalidRoot(_))
        }),
        (format!("o\n1\n{root}\n\n"), |e| {
            matches!(e, CheckpointError::EmptyExtension(1))
        }),
        (format!("o\n1\n{root}\nx\n\ny\n"), |e| {
            matches!(e, CheckpointError::EmptyExtension(2))
        }),
        (format!("o\n1\n{root}"), |e| {
            matches!(e, CheckpointError::Note(NoteError::MissingFinalNewline))
        }),
        (format!("o\n1\r\n{root}\n"), |e| {
            matches!(e, CheckpointError::Note(NoteError::ControlCharacter { .. }))
        }),
        (String::new(), |e| {
            matches!(e, CheckpointError::Note(NoteError::EmptyText))
        }),
    ];
    for (body, ok) in cases {
        let err = Checkpoint::parse_body(&body).unwrap_err();
        assert!(ok(&err), "{body:?}: {err:?}");
    }
}

#[test]
fn signing_rejects_fields_that_do_not_round_trip() {
    let mut cp = checkpoint(&[]);
    cp.extensions = vec![String::new()];
    assert_eq!(cp.sign(&key()), Err(CheckpointError::NotCanonical));
    let mut cp = checkpoint(&[]);
    cp.origin = "a\nb".into();
    assert_eq!(cp.sign(&key()), Err(CheckpointError::NotCanonical));
    let mut cp = checkpoint(&[]);
    cp.origin = "has space".into();
    assert!(matches!(
        cp.sign(&key()),
        Err(CheckpointError::Note(NoteError::InvalidName(_)))
    ));
}
