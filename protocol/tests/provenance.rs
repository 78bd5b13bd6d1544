//! Equivocation proofs: real ledgers (MemoryTree, signed envelopes and checkpoints, real
//! keys) cloned onto two "machines" that both keep publishing yield valid proofs of all
//! three kinds; honest pairs are refused with their own errors; every single-byte change of
//! an encoded proof (binary and JSON) is caught by decoding or verification, except in the
//! informational, unsigned `detected_at`; arbitrary input never panics the readers.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::json;
use shoal_crypto::checkpoint::Checkpoint;
use shoal_crypto::hash::{leaf_hash, Hash};
use shoal_crypto::merkle::{self, MemoryTree, ProofError as MerkleProofError};
use shoal_crypto::note::Note;
use shoal_crypto::{NodeKey, PublicKey};
use shoal_protocol::provenance::{
    EquivocationProof, Evidence, EvidenceKind, Included, Limits, ProofError, Side, Summary,
    MAX_JSON_BYTES,
};
use shoal_protocol::stix::StixObject;
use shoal_protocol::{EnvelopeBody, EnvelopeError, Tlp, DEFAULT_MAX_ENVELOPE_BYTES};

const MAX: usize = DEFAULT_MAX_ENVELOPE_BYTES;
const DETECTED_AT: u64 = 1_700_000_123;

fn key() -> NodeKey {
    NodeKey::from_seed([7; 32])
}

fn other_key() -> NodeKey {
    NodeKey::from_seed([8; 32])
}

fn origin_of(name: &str, key: &NodeKey) -> String {
    format!("{name}/{}", key.public().peer_id().unwrap())
}

fn indicator(n: u64, tag: &str) -> StixObject {
    StixObject::try_from(json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--8e2e2d2b-17d4-4cbf-938f-{n:012x}"),
        "created": "2016-04-06T20:03:48.000Z",
        "modified": "2016-04-06T20:03:48.000Z",
        "name": format!("indicator {n} from {tag}"),
        "pattern": "[ ipv4-addr:value = '198.51.100.7' ]",
        "pattern_type": "stix",
        "valid_from": "2016-01-01T00:00:00Z"
    }))
    .unwrap()
}

/// A publisher's ledger: envelopes, their Merkle tree, and checkpoints of it.
#[derive(Clone)]
struct Log {
    key: NodeKey,
    origin: String,
    tree: MemoryTree,
    entries: Vec<Vec<u8>>,
}

impl Log {
    fn new(key: NodeKey) -> Self {
        Self::named("shoal-test", key)
    }

    fn named(name: &str, key: NodeKey) -> Self {
        Self {
            origin: origin_of(name, &key),
            key,
            tree: MemoryTree::new(),
            entries: Vec::new(),
        }
    }

    fn publish(&mut self, n: usize, tag: &str) {
        for _ in 0..n {
            let index = self.entries.len() as u64;
            let bytes = EnvelopeBody::for_object(
                self.key.public(),
                index,
                1_700_000_000 + index,
                Tlp::Green,
                "sector.energy",
                &indicator(index, tag),
            )
            .unwrap()
            .sign_encoded(&self.key)
            .unwrap();
            self.tree.append(leaf_hash(&bytes));
            self.entries.push(bytes);
        }
    }

    fn checkpoint_body(&self, size: u64) -> Checkpoint {
        Checkpoint {
            origin: self.origin.clone(),
            size,
            root: merkle::root(&self.tree, size).unwrap(),
            extensions: vec![],
        }
    }

    fn checkpoint(&self, size: u64) -> String {
        self.checkpoint_body(size)
            .sign(&self.key)
            .unwrap()
            .to_text()
    }

    fn included(&self, index: u64, size: u64) -> Included {
        Included {
            checkpoint: self.checkpoint(size),
            index,
            leaf_hash: self.tree.leaf(index).unwrap(),
            proof: merkle::inclusion_proof(&self.tree, index, size).unwrap(),
        }
    }

    fn publisher(&self) -> PublicKey {
        self.key.public()
    }
}

/// One ledger cloned after 3 entries; machine A then publishes 3 more, machine B 2 more.
fn clones() -> (Log, Log) {
    let mut a = Log::new(key());
    a.publish(3, "shared");
    let mut b = a.clone();
    a.publish(3, "machine-a");
    b.publish(2, "machine-b");
    (a, b)
}

fn checkpoint_proof() -> EquivocationProof {
    let (a, b) = clones();
    EquivocationProof::from_checkpoints(a.publisher(), &a.checkpoint(5), &b.checkpoint(5))
        .unwrap()
        .with_detected_at(DETECTED_AT)
}

fn entry_proof() -> EquivocationProof {
    let (a, b) = clones();
    EquivocationProof::from_envelopes(&a.entries[4], &b.entries[4], MAX)
        .unwrap()
        .with_detected_at(DETECTED_AT)
}

fn inclusion_proof() -> EquivocationProof {
    let (a, b) = clones();
    EquivocationProof::from_inclusions(a.publisher(), a.included(3, 6), b.included(3, 5))
        .unwrap()
        .with_detected_at(DETECTED_AT)
}

fn all_proofs() -> Vec<EquivocationProof> {
    static PROOFS: OnceLock<Vec<EquivocationProof>> = OnceLock::new();
    PROOFS
        .get_or_init(|| vec![checkpoint_proof(), entry_proof(), inclusion_proof()])
        .clone()
}

/// Swap the sides of a proof (so they are out of canonical order).
fn swapped(proof: &EquivocationProof) -> EquivocationProof {
    let evidence = match proof.evidence.clone() {
        Evidence::Checkpoints { a, b } => Evidence::Checkpoints { a: b, b: a },
        Evidence::Entries { a, b } => Evidence::Entries { a: b, b: a },
        Evidence::Inclusion { a, b } => Evidence::Inclusion { a: b, b: a },
    };
    EquivocationProof {
        evidence,
        ..proof.clone()
    }
}

// ---- the clone case yields valid proofs of all three kinds ------------------------------

#[test]
fn divergent_checkpoints_of_the_same_size_prove_equivocation() {
    let (a, b) = clones();
    let proof = checkpoint_proof();
    assert_eq!(
        proof.verify(MAX),
        Ok(Summary {
            publisher: key().public(),
            origin: Some(a.origin.clone()),
            kind: EvidenceKind::Checkpoints,
            index: None,
            sizes: Some((5, 5)),
        })
    );
    // Either order of the inputs builds the same bytes and id.
    let reversed =
        EquivocationProof::from_checkpoints(a.publisher(), &b.checkpoint(5), &a.checkpoint(5))
            .unwrap()
            .with_detected_at(DETECTED_AT);
    assert_eq!(reversed.encode(), proof.encode());
    assert_eq!(reversed.proof_id(), proof.proof_id());
    // The clones also disagree at size 4, the first diverging size.
    let at4 =
        EquivocationProof::from_checkpoints(a.publisher(), &a.checkpoint(4), &b.checkpoint(4))
            .unwrap();
    assert_eq!(at4.verify(MAX).unwrap().sizes, Some((4, 4)));
    assert_ne!(at4.proof_id(), proof.proof_id());
}

#[test]
fn divergent_entries_at_the_same_index_prove_equivocation() {
    let (a, b) = clones();
    let proof = entry_proof();
    assert_eq!(
        proof.verify(MAX),
        Ok(Summary {
            publisher: key().public(),
            origin: None,
            kind: EvidenceKind::Entries,
            index: Some(4),
            sizes: None,
        })
    );
    let reversed = EquivocationProof::from_envelopes(&b.entries[4], &a.entries[4], MAX)
        .unwrap()
        .with_detected_at(DETECTED_AT);
    assert_eq!(reversed, proof);
    assert_eq!(reversed.encode(), proof.encode());
    // The first diverging index works too.
    let at3 = EquivocationProof::from_envelopes(&a.entries[3], &b.entries[3], MAX).unwrap();
    assert_eq!(at3.verify(MAX).unwrap().index, Some(3));
}

#[test]
fn divergent_inclusions_under_checkpoints_of_different_sizes_prove_equivocation() {
    let (a, b) = clones();
    let proof = inclusion_proof();
    assert_eq!(
        proof.verify(MAX),
        Ok(Summary {
            publisher: key().public(),
            origin: Some(a.origin.clone()),
            kind: EvidenceKind::Inclusion,
            index: Some(3),
            sizes: match &proof.evidence {
                Evidence::Inclusion { a: first, .. } if first.checkpoint == a.checkpoint(6) => {
                    Some((6, 5))
                }
                _ => Some((5, 6)),
            },
        })
    );
    let reversed =
        EquivocationProof::from_inclusions(a.publisher(), b.included(3, 5), a.included(3, 6))
            .unwrap()
            .with_detected_at(DETECTED_AT);
    assert_eq!(reversed.encode(), proof.encode());
    // Checkpoint 4 of B is not consistent with checkpoint 6 of A: index 3 shows it.
    let proof =
        EquivocationProof::from_inclusions(a.publisher(), a.included(3, 6), b.included(3, 4))
            .unwrap();
    assert_eq!(proof.verify(MAX).unwrap().index, Some(3));
    // Same-size checkpoints work as inclusion evidence too.
    let proof =
        EquivocationProof::from_inclusions(a.publisher(), a.included(4, 5), b.included(4, 5))
            .unwrap();
    assert_eq!(proof.verify(MAX).unwrap().sizes, Some((5, 5)));
}

#[test]
fn cosignatures_are_dropped_so_every_node_builds_the_same_proof() {
    let (a, b) = clones();
    let witness = NodeKey::from_seed([99; 32]);
    let mut cosigned = Note::parse(&a.checkpoint(5)).unwrap();
    cosigned
        .add_signature("witness.example/w1", &witness)
        .unwrap();
    let cosigned = cosigned.to_text();
    let plain = checkpoint_proof().with_detected_at(0);
    let from_cosigned =
        EquivocationProof::from_checkpoints(a.publisher(), &cosigned, &b.checkpoint(5)).unwrap();
    assert_eq!(from_cosigned, plain);
    let from_cosigned = EquivocationProof::from_inclusions(
        a.publisher(),
        Included {
            checkpoint: cosigned.clone(),
            ..a.included(3, 5)
        },
        b.included(3, 5),
    )
    .unwrap();
    let plain =
        EquivocationProof::from_inclusions(a.publisher(), a.included(3, 5), b.included(3, 5))
            .unwrap();
    assert_eq!(from_cosigned, plain);

    // A proof carrying the cosigned note itself is not in canonical form.
    let (x, y) = if cosigned < b.checkpoint(5) {
        (cosigned, b.checkpoint(5))
    } else {
        (b.checkpoint(5), cosigned)
    };
    let side = if x == b.checkpoint(5) {
        Side::B
    } else {
        Side::A
    };
    let proof = EquivocationProof {
        publisher: a.publisher(),
        evidence: Evidence::Checkpoints { a: x, b: y },
        detected_at: 0,
    };
    assert_eq!(
        proof.verify(MAX),
        Err(ProofError::NoteNotCanonical { side })
    );
}

#[test]
fn detected_at_is_informational_and_not_part_of_the_id() {
    for proof in all_proofs() {
        let later = proof.clone().with_detected_at(DETECTED_AT + 1000);
        assert_eq!(later.proof_id(), proof.proof_id());
        assert_eq!(later.canonical_bytes(), proof.canonical_bytes());
        assert_ne!(later.encode(), proof.encode());
        assert_eq!(later.verify(MAX), proof.verify(MAX));
        let encoded = proof.encode();
        assert_eq!(
            &encoded[..encoded.len() - 8],
            proof.canonical_bytes().as_slice()
        );
        assert_eq!(
            proof.proof_id(),
            shoal_crypto::hash::sha256(&proof.canonical_bytes())
        );
    }
    let ids: Vec<Hash> = all_proofs().iter().map(|p| p.proof_id()).collect();
    assert_ne!(ids[0], ids[1]);
    assert_ne!(ids[1], ids[2]);
    assert_ne!(ids[0], ids[2]);
}

// ---- honest pairs are refused ------------------------------------------------------------

#[test]
fn the_same_checkpoint_twice_proves_nothing() {
    let (a, b) = clones();
    assert_eq!(
        EquivocationProof::from_checkpoints(a.publisher(), &a.checkpoint(5), &a.checkpoint(5)),
        Err(ProofError::IdenticalSides)
    );
    // Both clones signed the same checkpoint of their shared prefix.
    assert_eq!(b.checkpoint(3), a.checkpoint(3));
    assert_eq!(
        EquivocationProof::from_checkpoints(a.publisher(), &a.checkpoint(3), &b.checkpoint(3)),
        Err(ProofError::IdenticalSides)
    );
    // Same size and root, different extension lines: both can be true.
    let mut extended = a.checkpoint_body(5);
    extended.extensions = vec!["witnessed".to_owned()];
    let extended = extended.sign(&a.key).unwrap().to_text();
    assert_eq!(
        EquivocationProof::from_checkpoints(a.publisher(), &a.checkpoint(5), &extended),
        Err(ProofError::SameRoot)
    );
}

#[test]
fn a_prefix_checkpoint_and_its_extension_prove_nothing() {
    let (a, b) = clones();
    assert_eq!(
        EquivocationProof::from_checkpoints(a.publisher(), &a.checkpoint(3), &a.checkpoint(6)),
        Err(ProofError::SizeMismatch { a: 3, b: 6 })
    );
    // As inclusion evidence: the same leaf under both.
    assert_eq!(
        EquivocationProof::from_inclusions(a.publisher(), a.included(1, 3), a.included(1, 6)),
        Err(ProofError::SameLeaf)
    );
    // The shared prefix of the clones holds the same leaves.
    assert_eq!(
        EquivocationProof::from_inclusions(a.publisher(), a.included(2, 6), b.included(2, 5)),
        Err(ProofError::SameLeaf)
    );
    // Different indices say nothing about each other.
    assert!(matches!(
        EquivocationProof::from_inclusions(a.publisher(), a.included(3, 6), b.included(4, 5)),
        Err(ProofError::IndexMismatch { .. })
    ));
    // The same inclusion twice.
    assert_eq!(
        EquivocationProof::from_inclusions(a.publisher(), a.included(4, 6), a.included(4, 6)),
        Err(ProofError::IdenticalSides)
    );
}

#[test]
fn the_same_envelope_twice_or_different_indices_prove_nothing() {
    let (a, b) = clones();
    assert_eq!(
        EquivocationProof::from_envelopes(&a.entries[4], &a.entries[4], MAX),
        Err(ProofError::IdenticalSides)
    );
    // Shared prefix: byte-identical envelopes on both machines.
    assert_eq!(
        EquivocationProof::from_envelopes(&a.entries[1], &b.entries[1], MAX),
        Err(ProofError::IdenticalSides)
    );
    assert!(matches!(
        EquivocationProof::from_envelopes(&a.entries[1], &a.entries[2], MAX),
        Err(ProofError::IndexMismatch { .. })
    ));
    assert!(matches!(
        EquivocationProof::from_envelopes(&a.entries[3], &b.entries[4], MAX),
        Err(ProofError::IndexMismatch { .. })
    ));
}

// ---- different publishers, unsigned and wrongly signed sides ------------------------------

#[test]
fn different_publishers_are_refused() {
    let (a, _) = clones();
    let mut other = Log::new(other_key());
    other.publish(5, "other");
    // Same index, two publishers: that is two ledgers, not a fork.
    assert_eq!(
        EquivocationProof::from_envelopes(&a.entries[4], &other.entries[4], MAX),
        Err(ProofError::PublishersDiffer)
    );
    // Another publisher's checkpoint names another peer id.
    let err =
        EquivocationProof::from_checkpoints(a.publisher(), &a.checkpoint(5), &other.checkpoint(5))
            .unwrap_err();
    assert_eq!(
        err,
        ProofError::WrongOrigin {
            side: Side::B,
            origin: other.origin.clone()
        }
    );
    // A valid proof re-attributed to another publisher.
    for proof in all_proofs() {
        let forged = EquivocationProof {
            publisher: other_key().public(),
            ..proof.clone()
        };
        let err = forged.verify(MAX).unwrap_err();
        match proof.evidence.kind() {
            EvidenceKind::Entries => {
                assert_eq!(err, ProofError::WrongPublisher { side: Side::A })
            }
            _ => assert!(
                matches!(err, ProofError::WrongOrigin { side: Side::A, .. }),
                "{err:?}"
            ),
        }
    }
    // Same key, two differently named logs: not one history.
    let mut renamed = Log::named("other-name", key());
    renamed.publish(5, "renamed");
    assert!(matches!(
        EquivocationProof::from_checkpoints(
            a.publisher(),
            &a.checkpoint(5),
            &renamed.checkpoint(5)
        ),
        Err(ProofError::OriginMismatch { .. })
    ));
    assert!(matches!(
        EquivocationProof::from_inclusions(a.publisher(), a.included(0, 6), renamed.included(0, 5)),
        Err(ProofError::OriginMismatch { .. })
    ));
    // An invalid publisher key.
    let invalid = (0..=255u8)
        .map(|b| PublicKey([b; 32]))
        .find(|k| k.peer_id().is_err())
        .unwrap();
    let bad = EquivocationProof {
        publisher: invalid,
        ..checkpoint_proof()
    };
    assert_eq!(bad.verify(MAX), Err(ProofError::InvalidPublisherKey));
}

#[test]
fn unsigned_and_wrongly_signed_checkpoints_are_refused() {
    let (a, b) = clones();
    // The publisher's origin, signed by someone else's key.
    let impostor = a.checkpoint_body(5).sign(&other_key()).unwrap().to_text();
    let publisher = a.publisher();
    assert_eq!(
        EquivocationProof::from_checkpoints(publisher, &impostor, &b.checkpoint(5)),
        Err(ProofError::Unsigned { side: Side::A })
    );
    // A note with a changed root keeping the publisher's signature.
    let note = Note::parse(&b.checkpoint(5)).unwrap();
    let mut body = b.checkpoint_body(5);
    body.root = [0x42; 32];
    let tampered = Note {
        text: body.to_body(),
        signatures: note.signatures.clone(),
    }
    .to_text();
    assert_eq!(
        EquivocationProof::from_checkpoints(publisher, &a.checkpoint(5), &tampered),
        Err(ProofError::BadSignature { side: Side::B })
    );
    // Not a note at all / not a checkpoint body.
    assert!(matches!(
        EquivocationProof::from_checkpoints(publisher, "hello", &b.checkpoint(5)),
        Err(ProofError::MalformedNote { side: Side::A, .. })
    ));
    let not_checkpoint = Note::sign("just text\n", &a.origin, &a.key)
        .unwrap()
        .to_text();
    assert!(matches!(
        EquivocationProof::from_checkpoints(publisher, &a.checkpoint(5), &not_checkpoint),
        Err(ProofError::MalformedCheckpoint { side: Side::B, .. })
    ));
    // In a proof built by hand, the unsigned side is caught by verify.
    let (x, y) = if impostor < b.checkpoint(5) {
        (impostor, b.checkpoint(5))
    } else {
        (b.checkpoint(5), impostor)
    };
    let side = if x == b.checkpoint(5) {
        Side::B
    } else {
        Side::A
    };
    let proof = EquivocationProof {
        publisher,
        evidence: Evidence::Checkpoints { a: x, b: y },
        detected_at: 0,
    };
    assert_eq!(proof.verify(MAX), Err(ProofError::Unsigned { side }));
}

#[test]
fn badly_signed_envelopes_are_refused() {
    let (a, b) = clones();
    let mut forged = b.entries[4].clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(
        EquivocationProof::from_envelopes(&a.entries[4], &forged, MAX),
        Err(ProofError::Envelope {
            side: if a.entries[4] < forged {
                Side::B
            } else {
                Side::A
            },
            source: EnvelopeError::BadSignature
        })
    );
    // Too large for the caller's limit.
    assert!(matches!(
        EquivocationProof::from_envelopes(&a.entries[4], &b.entries[4], 100),
        Err(ProofError::Envelope {
            source: EnvelopeError::TooLarge { .. },
            ..
        })
    ));
    // An entry proof verified with a smaller limit fails the same way.
    assert!(matches!(
        entry_proof().verify(100),
        Err(ProofError::Envelope {
            source: EnvelopeError::TooLarge { .. },
            ..
        })
    ));
}

#[test]
fn wrong_inclusion_proofs_are_refused() {
    let (a, b) = clones();
    let publisher = a.publisher();
    // B's checkpoint does not contain A's leaf.
    let lying = Included {
        leaf_hash: a.tree.leaf(3).unwrap(),
        ..b.included(3, 5)
    };
    let lying_b = Included {
        leaf_hash: b.tree.leaf(3).unwrap(),
        ..a.included(3, 6)
    };
    assert!(matches!(
        EquivocationProof::from_inclusions(publisher, lying, b.included(3, 5)),
        Err(ProofError::Inclusion {
            source: MerkleProofError::RootMismatch,
            ..
        })
    ));
    assert!(matches!(
        EquivocationProof::from_inclusions(publisher, a.included(3, 6), lying_b),
        Err(ProofError::Inclusion {
            source: MerkleProofError::RootMismatch,
            ..
        })
    ));
    // A truncated audit path.
    let mut short = b.included(3, 5);
    short.proof.pop();
    assert!(matches!(
        EquivocationProof::from_inclusions(publisher, a.included(3, 6), short),
        Err(ProofError::Inclusion {
            source: MerkleProofError::WrongProofLength { .. },
            ..
        })
    ));
    // An index beyond the checkpoint.
    let beyond = Included {
        index: 5,
        ..b.included(4, 5)
    };
    let a5 = a.included(5, 6);
    assert!(matches!(
        EquivocationProof::from_inclusions(publisher, a5, beyond),
        Err(ProofError::Inclusion {
            source: MerkleProofError::IndexOutOfRange { .. },
            ..
        })
    ));
}

#[test]
fn sides_out_of_canonical_order_are_refused() {
    for proof in all_proofs() {
        let bad = swapped(&proof);
        assert_eq!(bad.verify(MAX), Err(ProofError::SidesOutOfOrder));
        assert_eq!(
            EquivocationProof::decode(&bad.encode(), &Limits::default()),
            Err(ProofError::SidesOutOfOrder)
        );
        assert_eq!(
            EquivocationProof::from_json(&bad.to_json()),
            Err(ProofError::SidesOutOfOrder)
        );
    }
}

// ---- encodings -----------------------------------------------------------------------------

#[test]
fn encodings_round_trip() {
    for proof in all_proofs() {
        let bytes = proof.encode();
        let decoded = EquivocationProof::decode(&bytes, &Limits::default()).unwrap();
        assert_eq!(decoded, proof);
        assert_eq!(decoded.encode(), bytes);
        let text = proof.to_json();
        let parsed = EquivocationProof::from_json(&text).unwrap();
        assert_eq!(parsed, proof);
        assert_eq!(parsed.to_json(), text);
        assert!(text.contains(&hex::encode(proof.proof_id())));
        assert!(text.contains(&format!("\"kind\": \"{}\"", proof.evidence.kind())));
        assert_eq!(parsed.verify(MAX), proof.verify(MAX));
    }
}

#[test]
fn binary_decoding_is_bounded_and_strict() {
    let proof = entry_proof();
    let bytes = proof.encode();
    let limits = Limits {
        max_bytes: bytes.len() - 1,
        ..Limits::default()
    };
    assert_eq!(
        EquivocationProof::decode(&bytes, &limits),
        Err(ProofError::TooLarge {
            len: bytes.len(),
            max: bytes.len() - 1
        })
    );
    let limits = Limits {
        max_envelope_bytes: 100,
        ..Limits::default()
    };
    assert!(matches!(
        EquivocationProof::decode(&bytes, &limits),
        Err(ProofError::FieldTooLong {
            field: "envelope",
            ..
        })
    ));
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(
        EquivocationProof::decode(&trailing, &Limits::default()),
        Err(ProofError::TrailingBytes(1))
    );
    for cut in 0..bytes.len() {
        assert!(EquivocationProof::decode(&bytes[..cut], &Limits::default()).is_err());
    }
    let mut version = bytes.clone();
    version[3] = 2;
    assert_eq!(
        EquivocationProof::decode(&version, &Limits::default()),
        Err(ProofError::UnsupportedVersion(2))
    );
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_eq!(
        EquivocationProof::decode(&magic, &Limits::default()),
        Err(ProofError::BadMagic)
    );
    let mut kind = bytes.clone();
    kind[36] = 9;
    assert_eq!(
        EquivocationProof::decode(&kind, &Limits::default()),
        Err(ProofError::UnknownKind("9".to_owned()))
    );
}

fn json_with(proof: &EquivocationProof, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut value: serde_json::Value = serde_json::from_str(&proof.to_json()).unwrap();
    edit(&mut value);
    serde_json::to_string(&value).unwrap()
}

#[test]
fn json_reading_is_bounded_and_strict() {
    let proof = inclusion_proof();
    let text = proof.to_json();
    // Whitespace does not matter.
    let compact = json_with(&proof, |_| {});
    assert_eq!(EquivocationProof::from_json(&compact), Ok(proof.clone()));

    let too_big = " ".repeat(MAX_JSON_BYTES + 1);
    assert_eq!(
        EquivocationProof::from_json(&too_big),
        Err(ProofError::TooLarge {
            len: MAX_JSON_BYTES + 1,
            max: MAX_JSON_BYTES
        })
    );
    assert!(matches!(
        EquivocationProof::from_json("{\"a\": 1,}"),
        Err(ProofError::Json(_))
    ));
    assert!(matches!(
        EquivocationProof::from_json("[]"),
        Err(ProofError::Malformed(_))
    ));
    let duplicate = text.replacen('{', "{\"detected_at\": 5,", 1);
    assert!(matches!(
        EquivocationProof::from_json(&duplicate),
        Err(ProofError::Json(_))
    ));
    let unknown = json_with(&proof, |v| {
        v["extra"] = json!(1);
    });
    assert!(matches!(
        EquivocationProof::from_json(&unknown),
        Err(ProofError::Malformed(_))
    ));
    let unknown_in_side = json_with(&proof, |v| {
        v["evidence"]["a"]["extra"] = json!(1);
    });
    assert!(matches!(
        EquivocationProof::from_json(&unknown_in_side),
        Err(ProofError::Malformed(_))
    ));
    let unknown_in_evidence = json_with(&proof, |v| {
        v["evidence"]["extra"] = json!(1);
    });
    assert!(matches!(
        EquivocationProof::from_json(&unknown_in_evidence),
        Err(ProofError::Malformed(_))
    ));
    let missing_tag = json_with(&proof, |v| {
        v.as_object_mut()
            .unwrap()
            .remove("shoal_equivocation_proof");
    });
    assert!(matches!(
        EquivocationProof::from_json(&missing_tag),
        Err(ProofError::Malformed(_))
    ));
    let version = json_with(&proof, |v| v["shoal_equivocation_proof"] = json!(2));
    assert_eq!(
        EquivocationProof::from_json(&version),
        Err(ProofError::UnsupportedVersion(2))
    );
    let kind = json_with(&proof, |v| v["evidence"]["kind"] = json!("rumour"));
    assert!(matches!(
        EquivocationProof::from_json(&kind),
        Err(ProofError::Malformed(_))
    ));
    let upper = json_with(&proof, |v| {
        let hex = v["publisher"].as_str().unwrap().to_uppercase();
        v["publisher"] = json!(hex);
    });
    assert_eq!(
        EquivocationProof::from_json(&upper),
        Err(ProofError::InvalidHex {
            field: "publisher",
            len: 64
        })
    );
    let wrong_id = json_with(&proof, |v| v["id"] = json!(hex::encode([0u8; 32])));
    assert_eq!(
        EquivocationProof::from_json(&wrong_id),
        Err(ProofError::IdMismatch)
    );
    let long_path = json_with(&proof, |v| {
        v["evidence"]["b"]["proof"] = json!(vec![hex::encode([0u8; 32]); 65]);
    });
    assert!(matches!(
        EquivocationProof::from_json(&long_path),
        Err(ProofError::AuditPathTooLong {
            side: Side::B,
            len: 65,
            ..
        })
    ));
    let negative = json_with(&proof, |v| v["detected_at"] = json!(-1));
    assert!(matches!(
        EquivocationProof::from_json(&negative),
        Err(ProofError::Malformed(_))
    ));

    // Envelopes are canonical base64 only.
    let entries = entry_proof();
    let a = match &entries.evidence {
        Evidence::Entries { a, .. } => a.clone(),
        _ => unreachable!(),
    };
    // Lengths of 1 mod 3 need padding; then drop it.
    let mut base = a.clone();
    base.resize(a.len() + (3 - a.len() % 3) % 3, 0);
    let padded = EquivocationProof {
        evidence: Evidence::Entries {
            a: [base.clone(), vec![0]].concat(),
            b: [base, vec![1]].concat(),
        },
        ..entries.clone()
    };
    let text = padded.to_json();
    assert!(text.contains("=\","));
    let unpadded = text.replacen("=\",", "\",", 1);
    assert_eq!(
        EquivocationProof::from_json(&unpadded),
        Err(ProofError::InvalidBase64 { field: "envelope" })
    );
    let url_safe = entries.to_json().replacen("\"a\": \"", "\"a\": \"-", 1);
    assert_eq!(
        EquivocationProof::from_json(&url_safe),
        Err(ProofError::InvalidBase64 { field: "envelope" })
    );
}

// ---- single-byte changes ---------------------------------------------------------------

/// Whether `bytes` is rejected by decoding or verification; if not, it must be the
/// original proof with only `detected_at` changed.
fn binary_survives(original: &EquivocationProof, bytes: &[u8]) -> bool {
    let Ok(decoded) = EquivocationProof::decode(bytes, &Limits::default()) else {
        return false;
    };
    if decoded.verify(MAX).is_err() {
        return false;
    }
    assert_eq!(decoded.publisher, original.publisher);
    assert_eq!(decoded.evidence, original.evidence);
    assert_eq!(decoded.proof_id(), original.proof_id());
    true
}

#[test]
fn every_single_byte_change_of_the_binary_form_is_caught() {
    for proof in all_proofs() {
        let bytes = proof.encode();
        let detected_at = bytes.len() - 8..bytes.len();
        let mut survivors = 0;
        for i in 0..bytes.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut flipped = bytes.clone();
                flipped[i] ^= mask;
                if binary_survives(&proof, &flipped) {
                    assert!(
                        detected_at.contains(&i),
                        "{} proof: flipping byte {i} with {mask:#04x} still verifies",
                        proof.evidence.kind()
                    );
                    survivors += 1;
                }
            }
        }
        // Only the informational, unsigned detected_at may change.
        assert_eq!(survivors, 8 * 3);
    }
}

#[test]
fn every_single_byte_change_of_the_json_form_is_caught() {
    for proof in all_proofs() {
        let text = proof.to_json();
        let bytes = text.as_bytes();
        let key = "\"detected_at\": ";
        let start = text.find(key).unwrap() + key.len();
        let digits = start..start + DETECTED_AT.to_string().len();
        assert_eq!(&text[digits.clone()], DETECTED_AT.to_string());
        for i in 0..bytes.len() {
            for mask in [0x01u8, 0x20] {
                let mut flipped = bytes.to_vec();
                flipped[i] ^= mask;
                // Not UTF-8: cannot even be presented as JSON text.
                let Ok(flipped) = String::from_utf8(flipped) else {
                    continue;
                };
                let Ok(parsed) = EquivocationProof::from_json(&flipped) else {
                    continue;
                };
                if parsed.verify(MAX).is_err() {
                    continue;
                }
                assert!(
                    digits.contains(&i),
                    "{} proof: changing byte {i} ({:?}) with {mask:#04x} still verifies",
                    proof.evidence.kind(),
                    char::from(bytes[i])
                );
                assert_eq!(parsed.evidence, proof.evidence);
                assert_eq!(parsed.publisher, proof.publisher);
                assert_ne!(parsed.detected_at, proof.detected_at);
            }
        }
    }
}

// ---- arbitrary input never panics -----------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(proof) = EquivocationProof::decode(&bytes, &Limits::default()) {
            let _ = proof.verify(MAX);
        }
        let mut framed = b"SHP\x01".to_vec();
        framed.extend_from_slice(&bytes);
        if let Ok(proof) = EquivocationProof::decode(&framed, &Limits::default()) {
            let _ = proof.verify(MAX);
        }
    }

    #[test]
    fn from_json_never_panics(text in ".{0,512}") {
        if let Ok(proof) = EquivocationProof::from_json(&text) {
            let _ = proof.verify(MAX);
        }
    }

    #[test]
    fn from_json_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(proof) = EquivocationProof::from_json(&text) {
            let _ = proof.verify(MAX);
        }
    }

    #[test]
    fn mutated_proofs_never_panic(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let proof = all_proofs().swap_remove(which);
        let mut bytes = proof.encode();
        let mut text = proof.to_json().into_bytes();
        for (at, value) in &edits {
            let i = at % bytes.len();
            bytes[i] = *value;
            let j = at % text.len();
            text[j] = *value;
        }
        bytes.truncate(bytes.len() - cut % 4);
        if let Ok(p) = EquivocationProof::decode(&bytes, &Limits::default()) {
            let _ = p.verify(MAX);
        }
        if let Ok(p) = EquivocationProof::from_json(&String::from_utf8_lossy(&text)) {
            let _ = p.verify(MAX);
        }
    }
}
