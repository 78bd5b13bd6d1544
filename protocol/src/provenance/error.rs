//! [`ProofError`]: every way reading, building or verifying an equivocation proof can
//! fail, one variant per rejection so callers (and tests) can tell them apart; and
//! [`Side`], which of the two sides of a proof a rejection is about.

use std::fmt;

use shoal_crypto::checkpoint::CheckpointError;
use shoal_crypto::merkle::ProofError as MerkleProofError;
use shoal_crypto::note::NoteError;

use crate::envelope::EnvelopeError;
use crate::json::JsonError;

/// One of the two sides of a proof, in canonical order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The first side (`a`).
    A,
    /// The second side (`b`).
    B,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::A => "a",
            Self::B => "b",
        })
    }
}

/// Why an equivocation proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    // ---- reading encodings -------------------------------------------------------------
    /// The input is longer than the limit (checked before parsing anything).
    #[error("equivocation proof is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The binary input ends inside `field`.
    #[error("equivocation proof truncated in {field}")]
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// The binary input does not start with the proof magic.
    #[error("not a Shoal equivocation proof (bad magic)")]
    BadMagic,
    /// A format version this implementation does not speak.
    #[error("unsupported equivocation proof version {0}")]
    UnsupportedVersion(u64),
    /// An evidence kind this implementation does not know.
    #[error("unknown evidence kind {0}")]
    UnknownKind(String),
    /// Bytes after the end of the binary proof.
    #[error("{0} unexpected bytes after the equivocation proof")]
    TrailingBytes(usize),
    /// A length-prefixed field is longer than its limit.
    #[error("{field} is {len} bytes, more than the {max}-byte limit")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its (claimed) length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// An audit path has more hashes than any tree of `u64` size needs.
    #[error("inclusion proof of side {side} has {len} hashes, more than {max}")]
    AuditPathTooLong {
        /// The side.
        side: Side,
        /// Its number of hashes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A text field is not UTF-8.
    #[error("{field} is not UTF-8")]
    NotUtf8 {
        /// The field.
        field: &'static str,
    },
    /// The JSON text is not acceptable JSON (syntax, duplicate names, nesting).
    #[error("equivocation proof is not valid JSON: {0}")]
    Json(JsonError),
    /// The JSON is well-formed but not shaped like a proof (missing, unknown or mistyped
    /// members).
    #[error("equivocation proof JSON is malformed: {0}")]
    Malformed(String),
    /// A hex field is not lowercase hex of the right length.
    #[error("{field} is not {len} lowercase hex digits")]
    InvalidHex {
        /// The field.
        field: &'static str,
        /// The expected number of hex digits.
        len: usize,
    },
    /// A base64 field is not canonical padded standard base64.
    #[error("{field} is not canonical padded base64")]
    InvalidBase64 {
        /// The field.
        field: &'static str,
    },
    /// The JSON's `id` is not the id of the evidence it carries.
    #[error("the proof id does not match its evidence")]
    IdMismatch,

    // ---- the shape of the evidence -----------------------------------------------------
    /// Both sides are the same: nothing is contradicted.
    #[error("both sides of the proof are identical")]
    IdenticalSides,
    /// The sides are not in canonical order (`a` must sort before `b`).
    #[error("the sides of the proof are not in canonical order")]
    SidesOutOfOrder,
    /// The publisher key is not a valid Ed25519 key (so it has no peer id).
    #[error("the publisher is not a valid Ed25519 public key")]
    InvalidPublisherKey,
    /// The two envelopes given to a builder are signed by different publishers.
    #[error("the two envelopes are signed by different publishers")]
    PublishersDiffer,

    // ---- envelopes ---------------------------------------------------------------------
    /// An envelope does not decode or its signature does not verify.
    #[error("envelope of side {side}: {source}")]
    Envelope {
        /// The side.
        side: Side,
        /// Why.
        #[source]
        source: EnvelopeError,
    },
    /// An envelope is validly signed, but by another publisher than the proof's.
    #[error("envelope of side {side} is not by the proof's publisher")]
    WrongPublisher {
        /// The side.
        side: Side,
    },

    // ---- checkpoints -------------------------------------------------------------------
    /// A checkpoint is not a well-formed signed note.
    #[error("checkpoint of side {side} is not a well-formed signed note: {source}")]
    MalformedNote {
        /// The side.
        side: Side,
        /// Why.
        #[source]
        source: NoteError,
    },
    /// A note's text is not a well-formed checkpoint body.
    #[error("checkpoint of side {side} has a malformed body: {source}")]
    MalformedCheckpoint {
        /// The side.
        side: Side,
        /// Why.
        #[source]
        source: CheckpointError,
    },
    /// A checkpoint's origin does not name the publisher's peer id (`<name>/<peer id>`),
    /// or is not a valid key name.
    #[error("checkpoint of side {side} has origin {origin:?}, which does not name the publisher")]
    WrongOrigin {
        /// The side.
        side: Side,
        /// The origin found.
        origin: String,
    },
    /// A checkpoint carries no signature by the publisher's key under its origin.
    #[error("checkpoint of side {side} is not signed by the publisher")]
    Unsigned {
        /// The side.
        side: Side,
    },
    /// A checkpoint's signature by the publisher's key does not verify.
    #[error("checkpoint of side {side} has a publisher signature that does not verify")]
    BadSignature {
        /// The side.
        side: Side,
    },
    /// A checkpoint note is validly signed but not in the one form proofs carry: exactly
    /// the publisher's signature, serialised canonically. (The builders strip cosignatures.)
    #[error("checkpoint of side {side} is not in canonical form (only the publisher's signature, canonically serialised)")]
    NoteNotCanonical {
        /// The side.
        side: Side,
    },
    /// The two checkpoints are of different logs.
    #[error("the checkpoints are of different logs ({a:?} and {b:?})")]
    OriginMismatch {
        /// Origin of side `a`.
        a: String,
        /// Origin of side `b`.
        b: String,
    },

    // ---- the contradiction -------------------------------------------------------------
    /// Two checkpoints of different sizes do not contradict each other by themselves
    /// (inclusion evidence is needed).
    #[error("the checkpoints have different sizes ({a} and {b}); only same-size checkpoints contradict by themselves")]
    SizeMismatch {
        /// Size of side `a`.
        a: u64,
        /// Size of side `b`.
        b: u64,
    },
    /// The two sides are about different ledger indices.
    #[error("the sides are about different ledger indices ({a} and {b})")]
    IndexMismatch {
        /// Index of side `a`.
        a: u64,
        /// Index of side `b`.
        b: u64,
    },
    /// Two same-size checkpoints with the same root: both can be true.
    #[error("the checkpoints agree (same size, same root)")]
    SameRoot,
    /// Both sides prove the same leaf at the index: both can be true.
    #[error("both sides hold the same leaf at the index")]
    SameLeaf,
    /// An inclusion proof does not verify against its checkpoint.
    #[error("inclusion proof of side {side} does not verify: {source}")]
    Inclusion {
        /// The side.
        side: Side,
        /// Why.
        #[source]
        source: MerkleProofError,
    },
}
