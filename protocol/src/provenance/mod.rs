//! Provenance evidence: **equivocation proofs**, self-contained and offline-verifiable
//! evidence that a publisher's key signed two histories that cannot both be true.
//!
//! Every Shoal publisher keeps an RFC 9162 Merkle ledger of signed envelopes and signs
//! C2SP checkpoints of it (origin `<name>/<peer id>`) with the same Ed25519 key. An honest
//! publisher's history only grows. When it forks — typically because a node's data
//! directory was cloned onto a second machine and both copies keep publishing — the key
//! ends up signing statements that contradict each other. An [`EquivocationProof`] carries
//! one such pair, as [`Evidence`] of one of three kinds:
//!
//! * [`Evidence::Checkpoints`]: two signed checkpoints of the same log with the same size
//!   and different roots;
//! * [`Evidence::Entries`]: two validly signed envelopes of the same publisher with the same
//!   ledger index and different bytes (hence different leaves at that index);
//! * [`Evidence::Inclusion`]: the same index proven (RFC 9162 inclusion proofs) to hold
//!   different leaves under two signed checkpoints of the log, possibly of different sizes.
//!   This also covers checkpoints that are not consistent with each other.
//!
//! [`EquivocationProof::verify`] needs nothing but the proof: every signature is checked
//! against the proof's publisher (checkpoint origins must name its peer id, as
//! `node/src/net/heads.rs` requires of gossiped checkpoints), both sides must be about the
//! same publisher, log and position, and the contradiction must really be there. Pairs that
//! prove nothing (identical sides, a prefix checkpoint and its extension, the same entry
//! twice, different publishers) are refused, each with its own [`ProofError`]. The builders
//! ([`EquivocationProof::from_envelopes`], [`EquivocationProof::from_checkpoints`],
//! [`EquivocationProof::from_inclusions`]) refuse them the same way.
//!
//! # Canonical form and identity
//!
//! A proof has exactly one form, so two nodes that catch the same pair build the same
//! bytes: the two sides are ordered (`a` sorts strictly before `b`: byte order of the notes
//! or envelopes, field by field for [`Included`]) and checkpoint notes carry exactly the
//! publisher's signature, serialised canonically (the builders strip witness cosignatures).
//! Decoders and [`EquivocationProof::verify`] reject anything else.
//! [`EquivocationProof::proof_id`] is the SHA-256 of [`EquivocationProof::canonical_bytes`]
//! — the binary form without `detected_at`, which is informational, unsigned, and differs
//! between nodes that detect the same equivocation at different times.
//!
//! # Binary form (version 1)
//!
//! For gossip; all integers big-endian, `‖` is concatenation.
//!
//! | field       | encoding                                                              |
//! |-------------|-----------------------------------------------------------------------|
//! | magic       | `b"SHP"` ([`MAGIC`])                                                  |
//! | version     | `u8` = [`PROOF_VERSION`]                                              |
//! | publisher   | 32-byte Ed25519 public key                                            |
//! | kind        | `u8`: 1 checkpoints, 2 entries, 3 inclusion                           |
//! | side a, b   | checkpoints: `u32` length ‖ signed note (UTF-8)                       |
//! |             | entries: `u32` length ‖ envelope bytes                                |
//! |             | inclusion: `u32` length ‖ note ‖ `u64` index ‖ 32-byte leaf hash ‖   |
//! |             | `u8` count (≤ [`MAX_AUDIT_PATH`]) ‖ count × 32-byte hashes           |
//! | detected_at | `u64` unix seconds (not part of the canonical bytes)                  |
//!
//! [`EquivocationProof::decode`] checks the overall size against [`Limits`] before reading
//! and every length against its limit and the remaining input before allocating; it rejects
//! unknown versions and kinds, non-canonical side order and trailing bytes. It does not
//! verify: call [`EquivocationProof::verify`].
//!
//! # JSON form (version 1)
//!
//! For people, exports and the API ([`EquivocationProof::to_json`],
//! [`EquivocationProof::from_json`]): at most [`MAX_JSON_BYTES`], strict JSON (no duplicate
//! member names, no unknown members), keys and hashes as lowercase hex, envelopes as padded
//! base64, notes as JSON strings, and the proof id (checked when read):
//!
//! ```json
//! {
//!   "shoal_equivocation_proof": 1,
//!   "id": "<hex proof id>",
//!   "publisher": "<hex key>",
//!   "detected_at": 1700000000,
//!   "evidence": { "kind": "inclusion",
//!     "a": { "checkpoint": "<note>", "index": 4, "leaf_hash": "<hex>", "proof": ["<hex>"] },
//!     "b": { ... } }
//! }
//! ```
//!
//! `"kind": "checkpoints"` has notes as `a` and `b`; `"kind": "entries"` base64 envelopes.

mod binary;
mod error;
pub mod fork;
mod text;
mod verify;

use shoal_crypto::hash::{sha256, Hash};
use shoal_crypto::PublicKey;

use crate::envelope::{Envelope, DEFAULT_MAX_ENVELOPE_BYTES};

pub use error::{ProofError, Side};
pub use verify::origin_names;

/// Current (and only) proof format version, binary and JSON.
pub const PROOF_VERSION: u8 = 1;
/// The three magic bytes every binary proof starts with (the version byte follows).
pub const MAGIC: &[u8; 3] = b"SHP";
/// Default largest binary proof accepted ([`Limits::default`]): 4 MiB.
pub const MAX_PROOF_BYTES: usize = 4 << 20;
/// Largest JSON proof [`EquivocationProof::from_json`] accepts: 4 MiB.
pub const MAX_JSON_BYTES: usize = 4 << 20;
/// Largest checkpoint note a proof carries (one signature: a few hundred bytes in practice).
pub const MAX_CHECKPOINT_BYTES: usize = 16 << 10;
/// Most hashes in an audit path: a tree of at most `u64::MAX` leaves is at most 64 deep.
pub const MAX_AUDIT_PATH: usize = 64;

/// Bounds for [`EquivocationProof::decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest whole binary proof, checked before anything is read.
    pub max_bytes: usize,
    /// Largest envelope carried by [`Evidence::Entries`].
    pub max_envelope_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: MAX_PROOF_BYTES,
            max_envelope_bytes: DEFAULT_MAX_ENVELOPE_BYTES,
        }
    }
}

/// One side of [`Evidence::Inclusion`]: a leaf proven to be at `index` under a signed
/// checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Included {
    /// The signed checkpoint note (text, blank line, the publisher's signature line).
    pub checkpoint: String,
    /// The leaf index.
    pub index: u64,
    /// The RFC 9162 leaf hash at `index` (of the envelope's bytes).
    pub leaf_hash: Hash,
    /// The RFC 9162 audit path from the leaf to the checkpoint's root.
    pub proof: Vec<Hash>,
}

/// The contradiction a proof carries. Sides are in canonical order: `a < b`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Evidence {
    /// Two signed checkpoint notes of the same log, same size, different roots.
    Checkpoints {
        /// The first note.
        a: String,
        /// The second note.
        b: String,
    },
    /// Two validly signed envelopes of the publisher, same ledger index, different bytes.
    Entries {
        /// The first envelope's bytes.
        a: Vec<u8>,
        /// The second envelope's bytes.
        b: Vec<u8>,
    },
    /// One index proven to hold different leaves under two signed checkpoints of the log.
    Inclusion {
        /// The first inclusion.
        a: Included,
        /// The second inclusion.
        b: Included,
    },
}

/// Which kind of [`Evidence`] a proof carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EvidenceKind {
    /// [`Evidence::Checkpoints`].
    Checkpoints,
    /// [`Evidence::Entries`].
    Entries,
    /// [`Evidence::Inclusion`].
    Inclusion,
}

impl EvidenceKind {
    /// The name used in the JSON form: `checkpoints`, `entries` or `inclusion`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checkpoints => "checkpoints",
            Self::Entries => "entries",
            Self::Inclusion => "inclusion",
        }
    }
}

impl std::fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Evidence {
    /// Which kind of evidence this is.
    pub fn kind(&self) -> EvidenceKind {
        match self {
            Self::Checkpoints { .. } => EvidenceKind::Checkpoints,
            Self::Entries { .. } => EvidenceKind::Entries,
            Self::Inclusion { .. } => EvidenceKind::Inclusion,
        }
    }

    /// `Ok` if the sides are in canonical order (`a` strictly before `b`).
    fn check_order(&self) -> Result<(), ProofError> {
        let order = match self {
            Self::Checkpoints { a, b } => a.cmp(b),
            Self::Entries { a, b } => a.cmp(b),
            Self::Inclusion { a, b } => a.cmp(b),
        };
        match order {
            std::cmp::Ordering::Less => Ok(()),
            std::cmp::Ordering::Equal => Err(ProofError::IdenticalSides),
            std::cmp::Ordering::Greater => Err(ProofError::SidesOutOfOrder),
        }
    }
}

/// What a verified proof shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The equivocating publisher.
    pub publisher: PublicKey,
    /// The log's origin (`<name>/<peer id>`); `None` for [`EvidenceKind::Entries`], whose
    /// envelopes do not name it.
    pub origin: Option<String>,
    /// The kind of evidence.
    pub kind: EvidenceKind,
    /// The ledger index holding two different entries ([`EvidenceKind::Entries`] and
    /// [`EvidenceKind::Inclusion`]).
    pub index: Option<u64>,
    /// The tree sizes of the two checkpoints, in side order ([`EvidenceKind::Checkpoints`],
    /// where they are equal, and [`EvidenceKind::Inclusion`]).
    pub sizes: Option<(u64, u64)>,
}

/// Evidence that `publisher`'s key signed two histories that cannot both be true.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EquivocationProof {
    /// The publisher whose key signed both sides.
    pub publisher: PublicKey,
    /// The contradiction.
    pub evidence: Evidence,
    /// When the equivocation was detected (unix seconds). Informational: not signed, not
    /// part of [`EquivocationProof::proof_id`].
    pub detected_at: u64,
}

/// Order two values canonically, refusing equal ones.
fn ordered<T: Ord>(x: T, y: T) -> Result<(T, T), ProofError> {
    match x.cmp(&y) {
        std::cmp::Ordering::Less => Ok((x, y)),
        std::cmp::Ordering::Equal => Err(ProofError::IdenticalSides),
        std::cmp::Ordering::Greater => Ok((y, x)),
    }
}

impl EquivocationProof {
    /// Build a proof from two envelopes (wire bytes, each at most `max_envelope_bytes`)
    /// that the same publisher signed for the same ledger index. `detected_at` is 0: set it
    /// with [`EquivocationProof::with_detected_at`].
    pub fn from_envelopes(
        a: &[u8],
        b: &[u8],
        max_envelope_bytes: usize,
    ) -> Result<Self, ProofError> {
        let (a, b) = ordered(a, b)?;
        let publisher_of = |bytes: &[u8], side| {
            Envelope::decode_verified(bytes, max_envelope_bytes)
                .map(|e| e.body.publisher)
                .map_err(|source| ProofError::Envelope { side, source })
        };
        let publisher = publisher_of(a, Side::A)?;
        if publisher_of(b, Side::B)? != publisher {
            return Err(ProofError::PublishersDiffer);
        }
        let proof = Self {
            publisher,
            evidence: Evidence::Entries {
                a: a.to_vec(),
                b: b.to_vec(),
            },
            detected_at: 0,
        };
        proof.verify(max_envelope_bytes)?;
        Ok(proof)
    }

    /// Build a proof from two signed checkpoint notes of `publisher`'s log with the same
    /// size and different roots. Signatures other than the publisher's (witness
    /// cosignatures) are dropped, so the proof does not depend on who cosigned what.
    pub fn from_checkpoints(publisher: PublicKey, a: &str, b: &str) -> Result<Self, ProofError> {
        let a = verify::normalize_note(&publisher, a, Side::A)?;
        let b = verify::normalize_note(&publisher, b, Side::B)?;
        let (a, b) = ordered(a, b)?;
        let proof = Self {
            publisher,
            evidence: Evidence::Checkpoints { a, b },
            detected_at: 0,
        };
        proof.verify(DEFAULT_MAX_ENVELOPE_BYTES)?;
        Ok(proof)
    }

    /// Build a proof from two inclusion proofs of different leaves at the same index under
    /// two signed checkpoints of `publisher`'s log. Cosignatures are dropped from the notes.
    pub fn from_inclusions(
        publisher: PublicKey,
        mut a: Included,
        mut b: Included,
    ) -> Result<Self, ProofError> {
        a.checkpoint = verify::normalize_note(&publisher, &a.checkpoint, Side::A)?;
        b.checkpoint = verify::normalize_note(&publisher, &b.checkpoint, Side::B)?;
        let (a, b) = ordered(a, b)?;
        let proof = Self {
            publisher,
            evidence: Evidence::Inclusion { a, b },
            detected_at: 0,
        };
        proof.verify(DEFAULT_MAX_ENVELOPE_BYTES)?;
        Ok(proof)
    }

    /// The same proof with `detected_at` set (unix seconds).
    #[must_use]
    pub fn with_detected_at(mut self, unix_secs: u64) -> Self {
        self.detected_at = unix_secs;
        self
    }

    /// Check the proof completely and offline: every signature against the publisher, both
    /// sides about the same publisher, log and position, canonical form, and the
    /// contradiction itself. Envelopes are accepted up to `max_envelope_bytes`.
    pub fn verify(&self, max_envelope_bytes: usize) -> Result<Summary, ProofError> {
        verify::verify(self, max_envelope_bytes)
    }

    /// The canonical encoding: the binary form without `detected_at`. Equal for every
    /// proof of the same pair.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        binary::canonical(self)
    }

    /// SHA-256 of [`EquivocationProof::canonical_bytes`]: the proof's identity, for
    /// deduplication.
    pub fn proof_id(&self) -> Hash {
        sha256(&self.canonical_bytes())
    }

    /// The binary form (see the module docs). Fields too long for their length prefix are
    /// written so that decoding refuses them; verified proofs always round-trip.
    pub fn encode(&self) -> Vec<u8> {
        binary::encode(self)
    }

    /// Read the binary form from untrusted bytes within `limits`. Does not verify.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, ProofError> {
        binary::decode(bytes, limits)
    }

    /// The JSON form (see the module docs), pretty-printed.
    pub fn to_json(&self) -> String {
        text::to_json(self)
    }

    /// Read the JSON form from untrusted text (at most [`MAX_JSON_BYTES`]). Checks the
    /// carried id against the evidence; does not verify.
    pub fn from_json(text: &str) -> Result<Self, ProofError> {
        text::from_json(text)
    }
}
