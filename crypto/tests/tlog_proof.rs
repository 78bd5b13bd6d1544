//! C2SP tlog-proof@v1: round trips through text, verification of entries against
//! signed checkpoints, and one negative test per failure mode.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use shoal_crypto::hash::leaf_hash;
use shoal_crypto::merkle::inclusion_proof;
use shoal_crypto::note::NoteError;
use shoal_crypto::tlog_proof::{MAX_PROOF_HASHES, TLOG_PROOF_HEADER};
use shoal_crypto::{
    Checkpoint, CheckpointError, MemoryTree, NodeKey, ProofError, TlogProof, TlogProofError,
    Verifier,
};

const ORIGIN: &str = "shoal.example/node-a";

fn key() -> NodeKey {
    NodeKey::from_seed([11; 32])
}

fn verifier() -> Verifier {
    Verifier::new(ORIGIN, key().public()).unwrap()
}

fn entry(i: u64) -> Vec<u8> {
    format!("{{\"entry\":{i}}}").into_bytes()
}

fn log(size: u64) -> MemoryTree {
    let mut t = MemoryTree::new();
    for i in 0..size {
        t.append(leaf_hash(&entry(i)));
    }
    t
}

fn proof_for(t: &MemoryTree, index: u64, extra: Option<Vec<u8>>) -> TlogProof {
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: t.size(),
        root: t.root(),
        extensions: vec![],
    };
    TlogProof {
        extra,
        index,
        proof: inclusion_proof(t, index, t.size()).unwrap(),
        checkpoint: cp.sign(&key()).unwrap(),
    }
}

#[test]
fn round_trip_and_verify_every_index() {
    for size in [1u64, 2, 5, 16, 37] {
        let t = log(size);
        for index in 0..size {
            let p = proof_for(&t, index, None);
            let text = p.to_text();
            let back = TlogProof::parse(&text).unwrap();
            assert_eq!(back, p);
            assert_eq!(back.to_text(), text);
            let cp = back.verify(&entry(index), &verifier()).unwrap();
            assert_eq!((cp.size, cp.root), (size, t.root()));
        }
    }
}

#[test]
fn text_layout_follows_the_spec() {
    let t = log(5);
    let p = proof_for(&t, 3, Some(b"vrf proof".to_vec()));
    let text = p.to_text();
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(lines[0], TLOG_PROOF_HEADER);
    assert_eq!(lines[1], format!("extra {}", STANDARD.encode("vrf proof")));
    assert_eq!(lines[2], "index 3");
    assert_eq!(
        lines.len() - 1,
        3 + p.proof.len() + 1 + p.checkpoint.to_text().split('\n').count() - 1
    );
    assert_eq!(lines[3 + p.proof.len()], "");
    assert_eq!(lines[4 + p.proof.len()], ORIGIN);
    assert!(text.ends_with(&p.checkpoint.to_text()));
    let back = TlogProof::parse(&text).unwrap();
    assert_eq!(back.extra.as_deref(), Some(&b"vrf proof"[..]));
    back.verify(&entry(3), &verifier()).unwrap();
    // Empty extra data and an empty proof (tree of one) also round-trip.
    let p = proof_for(&log(1), 0, Some(Vec::new()));
    assert!(p
        .to_text()
        .starts_with("c2sp.org/tlog-proof@v1\nextra \nindex 0\n\nshoal.example/node-a\n1\n"));
    assert_eq!(TlogProof::parse(&p.to_text()).unwrap(), p);
}

#[test]
fn wrong_entry_is_rejected() {
    let p = proof_for(&log(9), 4, None);
    assert_eq!(
        p.verify(&entry(5), &verifier()),
        Err(TlogProofError::Proof(ProofError::RootMismatch))
    );
    assert_eq!(
        p.verify(b"", &verifier()),
        Err(TlogProofError::Proof(ProofError::RootMismatch))
    );
}

#[test]
fn wrong_index_is_rejected() {
    let mut p = proof_for(&log(9), 4, None);
    p.index = 5;
    assert_eq!(
        p.verify(&entry(4), &verifier()),
        Err(TlogProofError::Proof(ProofError::RootMismatch))
    );
    p.index = 9;
    assert_eq!(
        p.verify(&entry(4), &verifier()),
        Err(TlogProofError::Proof(ProofError::IndexOutOfRange {
            index: 9,
            size: 9
        }))
    );
    p.index = 8;
    assert!(matches!(
        p.verify(&entry(4), &verifier()),
        Err(TlogProofError::Proof(ProofError::WrongProofLength { .. }))
    ));
}

#[test]
fn tampered_proof_hash_is_rejected() {
    let p = proof_for(&log(9), 4, None);
    for i in 0..p.proof.len() {
        let mut bad = p.clone();
        bad.proof[i][17] ^= 0x10;
        let text = bad.to_text();
        let parsed = TlogProof::parse(&text).unwrap();
        assert_eq!(
            parsed.verify(&entry(4), &verifier()),
            Err(TlogProofError::Proof(ProofError::RootMismatch))
        );
    }
    let mut short = p.clone();
    short.proof.pop();
    assert!(matches!(
        short.verify(&entry(4), &verifier()),
        Err(TlogProofError::Proof(ProofError::WrongProofLength { .. }))
    ));
}

#[test]
fn checkpoint_signed_by_another_key_is_rejected() {
    let t = log(9);
    let mut p = proof_for(&t, 4, None);
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size: t.size(),
        root: t.root(),
        extensions: vec![],
    };
    p.checkpoint = cp.sign(&NodeKey::from_seed([12; 32])).unwrap();
    assert!(matches!(
        p.verify(&entry(4), &verifier()),
        Err(TlogProofError::Checkpoint(CheckpointError::Note(
            NoteError::UnknownKey { .. }
        )))
    ));
    // A verifier for another origin.
    let p = proof_for(&t, 4, None);
    let v = Verifier::new("shoal.example/node-b", key().public()).unwrap();
    assert!(matches!(
        p.verify(&entry(4), &v),
        Err(TlogProofError::Checkpoint(
            CheckpointError::OriginMismatch { .. }
        ))
    ));
    // A checkpoint whose signed root was altered.
    let text = p.to_text();
    let root_b64 = STANDARD.encode(t.root());
    let mut other = t.root();
    other[0] ^= 1;
    let forged = TlogProof::parse(&text.replace(&root_b64, &STANDARD.encode(other))).unwrap();
    assert!(matches!(
        forged.verify(&entry(4), &verifier()),
        Err(TlogProofError::Checkpoint(CheckpointError::Note(
            NoteError::BadSignature { .. }
        )))
    ));
}

#[test]
fn malformed_text_is_rejected() {
    let good = proof_for(&log(9), 4, Some(b"x".to_vec())).to_text();
    let first_hash = STANDARD.encode(proof_for(&log(9), 4, None).proof[0]);
    let cp = proof_for(&log(9), 4, None).checkpoint.to_text();
    type Check = fn(&TlogProofError) -> bool;
    let cases: Vec<(String, Check)> = vec![
        (good.replace("@v1", "@v2"), |e| {
            *e == TlogProofError::BadHeader
        }),
        (good.replacen("c2sp", "C2SP", 1), |e| {
            *e == TlogProofError::BadHeader
        }),
        (format!(" {good}"), |e| *e == TlogProofError::BadHeader),
        (String::new(), |e| *e == TlogProofError::BadHeader),
        (good.replace("index 4", "index 04"), |e| {
            matches!(e, TlogProofError::InvalidIndex(_))
        }),
        (good.replace("index 4", "index -4"), |e| {
            matches!(e, TlogProofError::InvalidIndex(_))
        }),
        (good.replace("index 4", "index "), |e| {
            matches!(e, TlogProofError::InvalidIndex(_))
        }),
        (good.replace("index 4", "index 99999999999999999999"), |e| {
            matches!(e, TlogProofError::InvalidIndex(_))
        }),
        (good.replace("index 4", "index  4"), |e| {
            matches!(e, TlogProofError::InvalidIndex(_))
        }),
        (good.replace("index 4", "Index 4"), |e| {
            *e == TlogProofError::MissingIndex
        }),
        (good.replace("index 4\n", ""), |e| {
            *e == TlogProofError::MissingIndex
        }),
        (format!("{TLOG_PROOF_HEADER}\n\n{cp}"), |e| {
            *e == TlogProofError::MissingIndex
        }),
        (good.replace("extra eA==", "extra eA="), |e| {
            matches!(e, TlogProofError::InvalidExtra(_))
        }),
        (good.replace(&first_hash, "AAAA"), |e| {
            *e == TlogProofError::InvalidHash { line: 1 }
        }),
        (
            good.replace(&first_hash, &first_hash.replace('=', "")),
            |e| *e == TlogProofError::InvalidHash { line: 1 },
        ),
        (good.replace(&first_hash, &format!("{first_hash} ")), |e| {
            *e == TlogProofError::InvalidHash { line: 1 }
        }),
        (
            good.replace(&format!("{first_hash}\n"), &format!("{first_hash}\r\n")),
            |e| *e == TlogProofError::InvalidHash { line: 1 },
        ),
        (
            good.replace(
                "index 4\n",
                &format!(
                    "index 4\n{}",
                    format!("{first_hash}\n").repeat(MAX_PROOF_HASHES + 1)
                ),
            ),
            |e| {
                *e == TlogProofError::TooManyHashes {
                    max: MAX_PROOF_HASHES,
                }
            },
        ),
        (good.replace("\n\nshoal", "\nshoal"), |e| {
            matches!(e, TlogProofError::InvalidHash { .. })
        }),
        (format!("{TLOG_PROOF_HEADER}\nindex 4"), |e| {
            *e == TlogProofError::MissingSeparator
        }),
        (good.replace(&cp, ""), |e| {
            matches!(e, TlogProofError::Note(_))
        }),
        (good.replace("\u{2014}", "-"), |e| {
            matches!(e, TlogProofError::Note(_))
        }),
    ];
    for (text, ok) in cases {
        let err = TlogProof::parse(&text).unwrap_err();
        assert!(ok(&err), "{text:?}: {err:?}");
    }
}

#[test]
fn oversized_input_is_rejected() {
    let huge = format!(
        "{TLOG_PROOF_HEADER}\nextra {}\n",
        "A".repeat(shoal_crypto::tlog_proof::MAX_TLOG_PROOF_BYTES)
    );
    assert!(matches!(
        TlogProof::parse(&huge),
        Err(TlogProofError::TooLarge { .. })
    ));
}
