//! Shoal's cryptography: node keys and domain-separated Ed25519 signatures
//! ([`keys`]), RFC 9162 hashing ([`hash`]), Merkle tree math and proofs kept apart
//! from storage ([`merkle`]), and the C2SP text formats transparency-log tools
//! speak: signed notes ([`note`]), checkpoints ([`checkpoint`]), witness
//! cosignatures and witness policies ([`cosignature`]) and tlog-proofs
//! ([`tlog_proof`]); and the keyed pseudonymisation the privacy pipeline uses:
//! prefix-preserving Crypto-PAn for IP addresses ([`cryptopan`]) and per-epoch
//! HMAC pseudonyms ([`pseudonym`]).

#![warn(missing_docs)]
// Nothing here may panic or overflow on data from peers or files.
#![cfg_attr(
    not(test),
    warn(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented,
        clippy::unreachable
    )
)]

pub mod checkpoint;
pub mod cosignature;
pub mod cryptopan;
mod encoding;
pub mod hash;
pub mod keys;
pub mod merkle;
pub mod note;
pub mod pseudonym;
pub mod tlog_proof;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use cosignature::{
    add_cosignature, cosign, verify_cosignature, CosignatureError, PolicyError, Witness,
    WitnessKey, WitnessPolicy, WitnessVerifier,
};
pub use cryptopan::{CryptoPan, CryptoPanError};
pub use hash::Hash;
pub use keys::{KeyError, NodeKey, PublicKey};
pub use merkle::{CompactRange, MemoryTree, MerkleError, ProofError, StoredNode, SubtreeSource};
pub use note::{Note, NoteError, NoteSignature, Verifier};
pub use pseudonym::PseudonymKey;
pub use tlog_proof::{TlogProof, TlogProofError, WitnessedProofError};
