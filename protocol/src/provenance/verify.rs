//! Verifying equivocation proofs: opening a publisher's checkpoint notes (the rules
//! `node/src/net/heads.rs` applies to gossiped checkpoints, plus the canonical form proofs
//! require), checking envelopes and inclusion proofs, and finding the contradiction.

use shoal_crypto::checkpoint::Checkpoint;
use shoal_crypto::merkle::verify_inclusion;
use shoal_crypto::note::{Note, NoteError, Verifier};
use shoal_crypto::PublicKey;

use super::{
    EquivocationProof, Evidence, EvidenceKind, Included, ProofError, Side, Summary,
    MAX_CHECKPOINT_BYTES,
};
use crate::envelope::Envelope;

/// The publisher's peer id as text: checkpoint origins must end in `/<peer id>`.
fn peer_id(publisher: &PublicKey) -> Result<String, ProofError> {
    publisher
        .peer_id()
        .map(|p| p.to_string())
        .map_err(|_| ProofError::InvalidPublisherKey)
}

/// Whether a checkpoint `origin` names `peer`: every Shoal log's origin is
/// `<name>/<peer id>`.
fn names_peer(origin: &str, peer: &str) -> bool {
    origin
        .strip_suffix(peer)
        .is_some_and(|rest| rest.ends_with('/'))
}

/// Whether a checkpoint `origin` names `publisher`'s peer id (`<name>/<peer id>`): the
/// one rule every reader of another publisher's checkpoint applies.
pub fn origin_names(origin: &str, publisher: &PublicKey) -> bool {
    peer_id(publisher).is_ok_and(|peer| names_peer(origin, &peer))
}

/// A parsed note whose publisher signature verified.
struct Signed {
    note: Note,
    checkpoint: Checkpoint,
    verifier: Verifier,
}

/// Parse `text` as a signed checkpoint of `publisher` and verify the publisher's
/// signature under its origin, which must name `peer`.
fn open_signed(
    publisher: &PublicKey,
    peer: &str,
    text: &str,
    side: Side,
) -> Result<Signed, ProofError> {
    let note = Note::parse(text).map_err(|source| ProofError::MalformedNote { side, source })?;
    let checkpoint = Checkpoint::parse_body(&note.text)
        .map_err(|source| ProofError::MalformedCheckpoint { side, source })?;
    let wrong_origin = || ProofError::WrongOrigin {
        side,
        origin: checkpoint.origin.clone(),
    };
    if !names_peer(&checkpoint.origin, peer) {
        return Err(wrong_origin());
    }
    let verifier = Verifier::new(&checkpoint.origin, *publisher).map_err(|e| match e {
        NoteError::InvalidPublicKey => ProofError::InvalidPublisherKey,
        _ => wrong_origin(),
    })?;
    note.verify(&verifier).map_err(|e| match e {
        NoteError::UnknownKey { .. } => ProofError::Unsigned { side },
        NoteError::BadSignature { .. } => ProofError::BadSignature { side },
        source => ProofError::MalformedNote { side, source },
    })?;
    Ok(Signed {
        note,
        checkpoint,
        verifier,
    })
}

/// Open a checkpoint as carried in a proof: signed by the publisher and in canonical form
/// (only the publisher's signature, serialised exactly as [`Note::to_text`] does).
fn open_canonical(
    publisher: &PublicKey,
    peer: &str,
    text: &str,
    side: Side,
) -> Result<Checkpoint, ProofError> {
    if text.len() > MAX_CHECKPOINT_BYTES {
        return Err(ProofError::FieldTooLong {
            field: "checkpoint",
            len: u64::try_from(text.len()).unwrap_or(u64::MAX),
            max: MAX_CHECKPOINT_BYTES,
        });
    }
    let signed = open_signed(publisher, peer, text, side)?;
    if signed.note.signatures.len() != 1 || signed.note.to_text() != text {
        return Err(ProofError::NoteNotCanonical { side });
    }
    Ok(signed.checkpoint)
}

/// The canonical form of a checkpoint note signed by `publisher`: other signatures
/// dropped, and of several valid publisher signatures (only possible with randomised
/// signing) the smallest kept, so every node normalises a note the same way.
pub(super) fn normalize_note(
    publisher: &PublicKey,
    text: &str,
    side: Side,
) -> Result<String, ProofError> {
    let peer = peer_id(publisher)?;
    let Signed {
        mut note, verifier, ..
    } = open_signed(publisher, &peer, text, side)?;
    note.signatures
        .retain(|s| s.name == verifier.name && s.key_id == verifier.key_id);
    note.signatures
        .sort_by(|x, y| x.signature.cmp(&y.signature));
    note.signatures.truncate(1);
    Ok(note.to_text())
}

/// See [`EquivocationProof::verify`].
pub(super) fn verify(
    proof: &EquivocationProof,
    max_envelope_bytes: usize,
) -> Result<Summary, ProofError> {
    proof.evidence.check_order()?;
    let publisher = &proof.publisher;
    match &proof.evidence {
        Evidence::Checkpoints { a, b } => checkpoints(publisher, a, b),
        Evidence::Entries { a, b } => entries(publisher, a, b, max_envelope_bytes),
        Evidence::Inclusion { a, b } => inclusion(publisher, a, b),
    }
}

/// Both checkpoints open, name the same log, and disagree about the same size.
fn checkpoints(publisher: &PublicKey, a: &str, b: &str) -> Result<Summary, ProofError> {
    let peer = peer_id(publisher)?;
    let ca = open_canonical(publisher, &peer, a, Side::A)?;
    let cb = open_canonical(publisher, &peer, b, Side::B)?;
    same_origin(&ca, &cb)?;
    if ca.size != cb.size {
        return Err(ProofError::SizeMismatch {
            a: ca.size,
            b: cb.size,
        });
    }
    if ca.root == cb.root {
        return Err(ProofError::SameRoot);
    }
    Ok(Summary {
        publisher: *publisher,
        origin: Some(ca.origin),
        kind: EvidenceKind::Checkpoints,
        index: None,
        sizes: Some((ca.size, cb.size)),
    })
}

/// Both envelopes verify, are the publisher's and are for the same index. (They differ:
/// the sides are strictly ordered.)
fn entries(
    publisher: &PublicKey,
    a: &[u8],
    b: &[u8],
    max_envelope_bytes: usize,
) -> Result<Summary, ProofError> {
    let open = |bytes: &[u8], side| {
        let envelope = Envelope::decode_verified(bytes, max_envelope_bytes)
            .map_err(|source| ProofError::Envelope { side, source })?;
        if envelope.body.publisher != *publisher {
            return Err(ProofError::WrongPublisher { side });
        }
        Ok(envelope.body.ledger_index)
    };
    let (ia, ib) = (open(a, Side::A)?, open(b, Side::B)?);
    if ia != ib {
        return Err(ProofError::IndexMismatch { a: ia, b: ib });
    }
    Ok(Summary {
        publisher: *publisher,
        origin: None,
        kind: EvidenceKind::Entries,
        index: Some(ia),
        sizes: None,
    })
}

/// Both checkpoints open and name the same log, and each proves a different leaf at the
/// same index.
fn inclusion(publisher: &PublicKey, a: &Included, b: &Included) -> Result<Summary, ProofError> {
    let peer = peer_id(publisher)?;
    let ca = open_canonical(publisher, &peer, &a.checkpoint, Side::A)?;
    let cb = open_canonical(publisher, &peer, &b.checkpoint, Side::B)?;
    same_origin(&ca, &cb)?;
    if a.index != b.index {
        return Err(ProofError::IndexMismatch {
            a: a.index,
            b: b.index,
        });
    }
    if a.leaf_hash == b.leaf_hash {
        return Err(ProofError::SameLeaf);
    }
    for (inc, cp, side) in [(a, &ca, Side::A), (b, &cb, Side::B)] {
        verify_inclusion(&inc.leaf_hash, inc.index, cp.size, &inc.proof, &cp.root)
            .map_err(|source| ProofError::Inclusion { side, source })?;
    }
    Ok(Summary {
        publisher: *publisher,
        origin: Some(ca.origin),
        kind: EvidenceKind::Inclusion,
        index: Some(a.index),
        sizes: Some((ca.size, cb.size)),
    })
}

fn same_origin(a: &Checkpoint, b: &Checkpoint) -> Result<(), ProofError> {
    if a.origin == b.origin {
        Ok(())
    } else {
        Err(ProofError::OriginMismatch {
            a: a.origin.clone(),
            b: b.origin.clone(),
        })
    }
}
