//! C2SP transparency-log proofs (<https://c2sp.org/tlog-proof>, version 1): an
//! offline-verifiable proof that an entry is in a log, made of the entry's index,
//! its RFC 9162 inclusion proof and the signed checkpoint it leads to.
//!
//! ```text
//! c2sp.org/tlog-proof@v1
//! extra <base64>            (optional, unauthenticated)
//! index <decimal>
//! <base64 proof hash>       (zero or more, leaf's sibling first)
//!
//! <signed checkpoint note>
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::cosignature::{PolicyError, WitnessPolicy};
use crate::encoding::{decode_hash, encode_hash, parse_decimal};
use crate::hash::{leaf_hash, Hash};
use crate::merkle::{verify_inclusion, ProofError};
use crate::note::{Note, NoteError, Verifier, MAX_NOTE_BYTES};

/// The first line of every proof.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";

/// Most inclusion-proof hashes a proof may carry (the depth of a tree of `u64::MAX` leaves).
pub const MAX_PROOF_HASHES: usize = 64;

/// Largest proof text [`TlogProof::parse`] accepts, in bytes (the checkpoint note
/// limit plus room for the proof lines and extra data).
pub const MAX_TLOG_PROOF_BYTES: usize = 2 * MAX_NOTE_BYTES;

/// Why a tlog-proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlogProofError {
    /// The input is larger than [`MAX_TLOG_PROOF_BYTES`].
    #[error("proof is {size} bytes, more than the limit of {max}")]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The first line is not `c2sp.org/tlog-proof@v1`.
    #[error("proof does not start with the line {TLOG_PROOF_HEADER:?}")]
    BadHeader,
    /// No empty line separates the proof lines from the checkpoint.
    #[error("proof has no empty line before its checkpoint")]
    MissingSeparator,
    /// The `extra` line's data is not valid base64.
    #[error("proof extra data is not valid base64")]
    InvalidExtra(#[source] base64::DecodeError),
    /// The `index` line is missing.
    #[error("proof has no index line")]
    MissingIndex,
    /// The index is not a canonical decimal `u64`.
    #[error("proof index {0:?} is not a decimal number without leading zeroes")]
    InvalidIndex(String),
    /// A proof line is not base64 of a 32-byte hash.
    #[error("proof hash line {line} is not base64 of a 32-byte hash")]
    InvalidHash {
        /// 1-based number of the hash line.
        line: usize,
    },
    /// More than [`MAX_PROOF_HASHES`] proof lines.
    #[error("proof has more than {max} hashes")]
    TooManyHashes {
        /// The limit.
        max: usize,
    },
    /// The checkpoint note is malformed.
    #[error("proof checkpoint: {0}")]
    Note(#[from] NoteError),
    /// The checkpoint is malformed or its signature does not verify.
    #[error("proof checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The entry is not at the index under the checkpoint's root.
    #[error("inclusion proof: {0}")]
    Proof(#[from] ProofError),
}

/// Why a proof failed [`TlogProof::verify_witnessed`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessedProofError {
    /// The log signature or the inclusion proof failed (see [`TlogProof::verify`]).
    #[error(transparent)]
    Proof(#[from] TlogProofError),
    /// The checkpoint's cosignatures do not meet the witness policy.
    #[error("proof checkpoint witnesses: {0}")]
    Witnesses(#[from] PolicyError),
}

/// An offline-verifiable proof that an entry is in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Optional opaque, unauthenticated application data.
    pub extra: Option<Vec<u8>>,
    /// Zero-based index of the entry in the log.
    pub index: u64,
    /// RFC 9162 inclusion proof of the entry in the checkpointed tree, leaf's sibling first.
    pub proof: Vec<Hash>,
    /// The log's signed checkpoint (possibly with cosignatures).
    pub checkpoint: Note,
}

impl TlogProof {
    /// The proof text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(TLOG_PROOF_HEADER);
        out.push('\n');
        if let Some(extra) = &self.extra {
            out.push_str("extra ");
            out.push_str(&STANDARD.encode(extra));
            out.push('\n');
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.proof {
            out.push_str(&encode_hash(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint.to_text());
        out
    }

    /// Parse proof text. The checkpoint note is parsed but not verified: see
    /// [`TlogProof::verify`].
    pub fn parse(text: &str) -> Result<Self, TlogProofError> {
        if text.len() > MAX_TLOG_PROOF_BYTES {
            return Err(TlogProofError::TooLarge {
                size: text.len(),
                max: MAX_TLOG_PROOF_BYTES,
            });
        }
        let rest = text
            .strip_prefix(TLOG_PROOF_HEADER)
            .and_then(|r| r.strip_prefix('\n'))
            .ok_or(TlogProofError::BadHeader)?;
        // Proof lines are never empty, so the first empty line ends them (possibly
        // right after the header, when the index line is missing).
        let (head, note) = if let Some(note) = rest.strip_prefix('\n') {
            ("", note)
        } else {
            let split = rest.find("\n\n").ok_or(TlogProofError::MissingSeparator)?;
            let head = rest.get(..split).ok_or(TlogProofError::MissingSeparator)?;
            let note = rest
                .get(split..)
                .and_then(|r| {
                    r.strip_prefix(
                        "

",
                    )
                })
                .ok_or(TlogProofError::MissingSeparator)?;
            (head, note)
        };
        let mut lines = head.split('\n').peekable();
        let extra = match lines
            .next_if(|l| l.starts_with("extra "))
            .and_then(|l| l.strip_prefix("extra "))
        {
            Some(data) => Some(
                STANDARD
                    .decode(data)
                    .map_err(TlogProofError::InvalidExtra)?,
            ),
            None => None,
        };
        let index_line = lines.next().ok_or(TlogProofError::MissingIndex)?;
        let index_text = index_line
            .strip_prefix("index ")
            .ok_or(TlogProofError::MissingIndex)?;
        let index = parse_decimal(index_text)
            .ok_or_else(|| TlogProofError::InvalidIndex(index_text.to_owned()))?;
        let mut proof = Vec::new();
        for (i, line) in lines.enumerate() {
            if i >= MAX_PROOF_HASHES {
                return Err(TlogProofError::TooManyHashes {
                    max: MAX_PROOF_HASHES,
                });
            }
            proof.push(decode_hash(line).ok_or(TlogProofError::InvalidHash {
                line: i.saturating_add(1),
            })?);
        }
        let checkpoint = Note::parse(note)?;
        Ok(Self {
            extra,
            index,
            proof,
            checkpoint,
        })
    }

    /// Verify the checkpoint signature with `v`, then that `entry` (the raw logged entry bytes; leaf hash computed here) is at `index` under the checkpoint's root. Returns the checkpoint.
    ///
    /// The `extra` data is not authenticated and plays no part in verification.
    pub fn verify(&self, entry: &[u8], v: &Verifier) -> Result<Checkpoint, TlogProofError> {
        let checkpoint = Checkpoint::from_note(&self.checkpoint, v)?;
        verify_inclusion(
            &leaf_hash(entry),
            self.index,
            checkpoint.size,
            &self.proof,
            &checkpoint.root,
        )?;
        Ok(checkpoint)
    }

    /// [`TlogProof::verify`] with the log's verifier `log`, then check the
    /// checkpoint's cosignatures against `policy`. Returns the checkpoint and the
    /// (name, timestamp) of each distinct trusted witness that cosigned it.
    ///
    /// Cosignature lines travel in the checkpoint note after the log's signature;
    /// the log signature check ignores them and the policy ignores the log's line.
    pub fn verify_witnessed(
        &self,
        entry: &[u8],
        log: &Verifier,
        policy: &WitnessPolicy,
    ) -> Result<(Checkpoint, Vec<(String, u64)>), WitnessedProofError> {
        let checkpoint = self.verify(entry, log)?;
        let witnesses = policy.check(&self.checkpoint)?;
        Ok((checkpoint, witnesses))
    }
}
