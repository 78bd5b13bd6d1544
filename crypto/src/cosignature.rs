//! Witness cosignatures (<https://c2sp.org/tlog-cosignature>, Ed25519
//! `cosignature/v1`, signature type 0x04) on checkpoint notes, and a witness
//! policy that counts them.
//!
//! A cosignature is an ordinary signed-note signature line whose signature bytes
//! are a timestamped Ed25519 signature:
//!
//! ```text
//! — <witness name> base64(key id (4) || timestamp (8, big-endian) || Ed25519 signature (64))
//! ```
//!
//! where the key id is `SHA-256(name || 0x0A || 0x04 || public key)[:4]` and the
//! signed message is two newline-terminated lines followed by the whole
//! checkpoint body (extension lines included, signature lines excluded):
//!
//! ```text
//! cosignature/v1
//! time <timestamp, decimal seconds since the epoch, no leading zeroes>
//! <checkpoint body>
//! ```
//!
//! The message does not commit to the witness name, so one Ed25519 key must
//! never serve two witness names; [`WitnessPolicy`] refuses such configurations
//! and never counts one key or one name twice.

use std::collections::HashSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::keys::{NodeKey, PublicKey, PUBLIC_KEY_LEN, SIGNATURE_LEN};
use crate::note::{validate_name, validate_text, Note, NoteError, NoteSignature, MAX_SIGNATURES};

/// Signature type byte of Ed25519 `cosignature/v1` witness cosignatures.
pub const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;

/// The header line (without its newline) that starts every signed message.
pub const COSIGNATURE_V1_HEADER: &str = "cosignature/v1";

/// Length of a cosignature's bytes after the key id: timestamp and Ed25519 signature.
pub const COSIGNATURE_LEN: usize = 8 + SIGNATURE_LEN;

/// Largest timestamp a cosignature may carry (2^63 - 1, as the spec requires).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// Why a witness key or cosignature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    /// The note, a key name or the verifier key text is malformed (signed-note rules).
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The cosigned text is not a valid checkpoint body.
    #[error("cosigned text is not a checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The timestamp is above [`MAX_TIMESTAMP`].
    #[error("cosignature timestamp {0} exceeds 2^63 - 1")]
    TimestampTooLarge(u64),
    /// A signature by the witness's name and key id is not 72 bytes long.
    #[error("cosignature by {name}+{key_id:08x} is {len} bytes, not {COSIGNATURE_LEN}")]
    Malformed {
        /// The witness name.
        name: String,
        /// The key id.
        key_id: u32,
        /// The signature's length after the key id.
        len: usize,
    },
    /// A signature by the witness's name and key id does not verify.
    #[error("cosignature by {name}+{key_id:08x} does not verify")]
    BadSignature {
        /// The witness name.
        name: String,
        /// The key id.
        key_id: u32,
    },
    /// The note carries no signature by the witness's name and key id.
    #[error("note has no cosignature by {name}+{key_id:08x}")]
    NotFound {
        /// The witness name.
        name: String,
        /// The key id.
        key_id: u32,
    },
}

/// The witness key id: the first four bytes, big-endian, of
/// `SHA-256(name || 0x0A || 0x04 || 32-byte public key)`.
pub fn witness_key_id(name: &str, key: &PublicKey) -> u32 {
    crate::note::typed_key_id(name, SIG_TYPE_COSIGNATURE_V1, key)
}

/// The witness verifier key text `name+hex8(keyid)+base64(0x04 || pubkey)`.
pub fn witness_verifier_key(name: &str, key: &PublicKey) -> String {
    crate::note::typed_verifier_key(name, SIG_TYPE_COSIGNATURE_V1, key)
}

/// The exact bytes a witness signs for `body` (the checkpoint note text, ending in
/// a newline) at `timestamp`: `cosignature/v1\ntime <timestamp>\n<body>`.
pub fn cosignature_message(body: &str, timestamp: u64) -> Result<Vec<u8>, CosignatureError> {
    validate_text(body)?;
    check_timestamp(timestamp)?;
    let head = format!("{COSIGNATURE_V1_HEADER}\ntime {timestamp}\n");
    let mut msg = Vec::with_capacity(head.len().saturating_add(body.len()));
    msg.extend_from_slice(head.as_bytes());
    msg.extend_from_slice(body.as_bytes());
    Ok(msg)
}

/// The timestamp carried by a cosignature, without verifying it. Fails if the
/// signature is not 72 bytes long or its timestamp exceeds [`MAX_TIMESTAMP`].
pub fn cosignature_timestamp(sig: &NoteSignature) -> Result<u64, CosignatureError> {
    let (timestamp, _) = split_signature(sig)?;
    Ok(timestamp)
}

/// A trusted witness: the name and Ed25519 key its cosignatures must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessVerifier {
    /// The witness name.
    pub name: String,
    /// The key id derived from the name and key with type 0x04.
    pub key_id: u32,
    /// The witness's Ed25519 public key.
    pub key: PublicKey,
}

/// A witness's public key as configured by clients; the same type as
/// [`WitnessVerifier`] (its verifier key text is `name+hex8+base64(0x04 || key)`).
pub type WitnessKey = WitnessVerifier;

impl WitnessVerifier {
    /// A verifier for `key` under `name`; the name must be a valid key name and the
    /// key a valid Ed25519 point.
    pub fn new(name: &str, key: PublicKey) -> Result<Self, CosignatureError> {
        validate_name(name)?;
        check_point(&key)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: witness_key_id(name, &key),
            key,
        })
    }

    /// Parse witness verifier key text `<name>+<hex8 key id>+<base64(0x04 || key)>`,
    /// checking that the key id matches the name and key. Keys of other signature
    /// types (including plain Ed25519 note keys, 0x01) are refused.
    pub fn parse(vkey: &str) -> Result<Self, CosignatureError> {
        let malformed = |why| CosignatureError::Note(NoteError::MalformedVerifierKey(why));
        let (name, rest) = vkey.split_once('+').ok_or(malformed("missing '+'"))?;
        let (id_hex, key_b64) = rest
            .split_once('+')
            .ok_or(malformed("missing second '+'"))?;
        validate_name(name)?;
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed("key id is not 8 hex digits"));
        }
        let got =
            u32::from_str_radix(id_hex, 16).map_err(|_| malformed("key id is not 8 hex digits"))?;
        let raw = STANDARD
            .decode(key_b64)
            .map_err(|_| malformed("key is not valid base64"))?;
        let (&alg, key) = raw.split_first().ok_or(malformed("key is empty"))?;
        if alg != SIG_TYPE_COSIGNATURE_V1 {
            return Err(NoteError::UnsupportedAlgorithm(alg).into());
        }
        let key: [u8; PUBLIC_KEY_LEN] = key
            .try_into()
            .map_err(|_| malformed("Ed25519 key is not 32 bytes"))?;
        let key = PublicKey(key);
        let expected = witness_key_id(name, &key);
        if got != expected {
            return Err(NoteError::KeyIdMismatch { expected, got }.into());
        }
        check_point(&key)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: expected,
            key,
        })
    }

    /// The verifier key text of this witness.
    pub fn to_vkey(&self) -> String {
        witness_verifier_key(&self.name, &self.key)
    }

    /// Verify this witness's cosignature on `note`: see [`verify_cosignature`].
    pub fn verify(&self, note: &Note) -> Result<u64, CosignatureError> {
        verify_cosignature(note, self)
    }
}

/// A witness's signing side: its name and key.
#[derive(Debug, Clone)]
pub struct Witness {
    name: String,
    key: NodeKey,
}

impl Witness {
    /// A witness signing as `name` (which must be a valid key name) with `key`.
    pub fn new(name: &str, key: NodeKey) -> Result<Self, CosignatureError> {
        validate_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key,
        })
    }

    /// The witness name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier clients configure for this witness.
    pub fn verifier(&self) -> WitnessVerifier {
        let key = self.key.public();
        WitnessVerifier {
            name: self.name.clone(),
            key_id: witness_key_id(&self.name, &key),
            key,
        }
    }

    /// Cosign the checkpoint `note` at `timestamp`: see [`cosign`].
    pub fn cosign(&self, note: &Note, timestamp: u64) -> Result<NoteSignature, CosignatureError> {
        cosign(note, &self.key, &self.name, timestamp)
    }

    /// Cosign the checkpoint `note` at `timestamp` and add the line to it: see
    /// [`add_cosignature`].
    pub fn add_cosignature(&self, note: &mut Note, timestamp: u64) -> Result<(), CosignatureError> {
        add_cosignature(note, &self.key, &self.name, timestamp)
    }
}

/// The `cosignature/v1` signature line of witness `name` with `key` on the
/// checkpoint `note` at `timestamp` (seconds since the epoch).
///
/// The note text must be a valid checkpoint body; its existing signatures are
/// neither checked nor changed (a witness verifies the log's signature and the
/// checkpoint's consistency before cosigning: that is the caller's job).
pub fn cosign(
    note: &Note,
    key: &NodeKey,
    name: &str,
    timestamp: u64,
) -> Result<NoteSignature, CosignatureError> {
    validate_name(name)?;
    Checkpoint::parse_body(&note.text)?;
    let msg = cosignature_message(&note.text, timestamp)?;
    let mut signature = Vec::with_capacity(COSIGNATURE_LEN);
    signature.extend_from_slice(&timestamp.to_be_bytes());
    signature.extend_from_slice(&key.sign_raw(&msg));
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: witness_key_id(name, &key.public()),
        signature,
    })
}

/// Cosign `note` (see [`cosign`]) and add the line to it. An existing line with the
/// same name and key id is replaced in place, so the log's signature stays first
/// and a witness never appears twice; otherwise the line goes last.
pub fn add_cosignature(
    note: &mut Note,
    key: &NodeKey,
    name: &str,
    timestamp: u64,
) -> Result<(), CosignatureError> {
    let line = cosign(note, key, name, timestamp)?;
    let same = |s: &NoteSignature| s.name == line.name && s.key_id == line.key_id;
    match note.signatures.iter().position(same) {
        Some(first) => {
            // Keep the first matching line's place; drop any later duplicates.
            let mut index = 0usize;
            note.signatures.retain(|s| {
                let keep = index == first || !same(s);
                index = index.saturating_add(1);
                keep
            });
            if let Some(slot) = note.signatures.get_mut(first) {
                *slot = line;
            }
        }
        None => {
            if note.signatures.len() >= MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures {
                    max: MAX_SIGNATURES,
                }
                .into());
            }
            note.signatures.push(line);
        }
    }
    Ok(())
}

/// Verify the cosignature of witness `v` on `note` and return its timestamp.
///
/// Lines by other keys are ignored (log signatures, other witnesses, the same name
/// under another key id). Every line matching `v`'s name and key id must be a
/// valid cosignature over the note text, which must be a checkpoint body;
/// otherwise the note is rejected. With several valid lines the latest timestamp
/// is returned. [`CosignatureError::NotFound`] if no line matches.
pub fn verify_cosignature(note: &Note, v: &WitnessVerifier) -> Result<u64, CosignatureError> {
    let mut latest: Option<u64> = None;
    for sig in note
        .signatures
        .iter()
        .filter(|s| s.name == v.name && s.key_id == v.key_id)
    {
        if latest.is_none() {
            Checkpoint::parse_body(&note.text)?;
        }
        let (timestamp, raw) = split_signature(sig)?;
        let msg = cosignature_message(&note.text, timestamp)?;
        v.key
            .verify_raw(&msg, raw)
            .map_err(|_| CosignatureError::BadSignature {
                name: v.name.clone(),
                key_id: v.key_id,
            })?;
        latest = Some(latest.map_or(timestamp, |t| t.max(timestamp)));
    }
    latest.ok_or_else(|| CosignatureError::NotFound {
        name: v.name.clone(),
        key_id: v.key_id,
    })
}

/// Why a witness policy was not met or could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The policy asks for more cosignatures than it has witnesses.
    #[error("policy needs {min} cosignatures but lists only {witnesses} witnesses")]
    Unsatisfiable {
        /// The required number of cosignatures.
        min: usize,
        /// The number of witnesses listed.
        witnesses: usize,
    },
    /// Two witnesses of the policy share a name or a public key.
    #[error("policy lists witness {0:?} twice (same name or same key)")]
    DuplicateWitness(String),
    /// A trusted witness's cosignature line is present but invalid.
    #[error("invalid cosignature by a trusted witness: {0}")]
    Cosignature(#[from] CosignatureError),
    /// Too few distinct trusted witnesses cosigned the note.
    #[error("found {found} valid cosignatures by distinct trusted witnesses, need {needed}")]
    NotEnough {
        /// Distinct trusted witnesses with a valid cosignature.
        found: usize,
        /// The policy's minimum.
        needed: usize,
    },
}

/// A client's witness policy: at least `min` of `witnesses` must have cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessPolicy {
    /// The trusted witnesses.
    pub witnesses: Vec<WitnessVerifier>,
    /// How many distinct witnesses must have cosigned.
    pub min: usize,
}

impl WitnessPolicy {
    /// A policy requiring `min` of `witnesses`; refuses a `min` above the number of
    /// witnesses and witnesses sharing a name or a key.
    pub fn new(witnesses: Vec<WitnessVerifier>, min: usize) -> Result<Self, PolicyError> {
        if min > witnesses.len() {
            return Err(PolicyError::Unsatisfiable {
                min,
                witnesses: witnesses.len(),
            });
        }
        let mut names = HashSet::new();
        let mut keys = HashSet::new();
        for w in &witnesses {
            if !names.insert(w.name.as_str()) || !keys.insert(w.key) {
                return Err(PolicyError::DuplicateWitness(w.name.clone()));
            }
        }
        Ok(Self { witnesses, min })
    }

    /// Check `note` against the policy: returns the (name, timestamp) of every
    /// distinct trusted witness with a valid cosignature, in policy order, if there
    /// are at least `min` of them.
    ///
    /// Lines by unknown signers are ignored. A witness is counted once however many
    /// lines it has, and a name or key already counted is never counted again (the
    /// fields are public, so this holds even for policies not built by
    /// [`WitnessPolicy::new`]). A present but invalid line by a trusted witness
    /// rejects the note, as the signed-note spec recommends.
    pub fn check(&self, note: &Note) -> Result<Vec<(String, u64)>, PolicyError> {
        let mut names = HashSet::new();
        let mut keys = HashSet::new();
        let mut found = Vec::new();
        for w in &self.witnesses {
            let timestamp = match verify_cosignature(note, w) {
                Ok(t) => t,
                Err(CosignatureError::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            if names.contains(w.name.as_str()) || keys.contains(&w.key) {
                continue;
            }
            names.insert(w.name.as_str());
            keys.insert(w.key);
            found.push((w.name.clone(), timestamp));
        }
        if found.len() < self.min {
            return Err(PolicyError::NotEnough {
                found: found.len(),
                needed: self.min,
            });
        }
        Ok(found)
    }
}

/// Split a cosignature's bytes into its timestamp and Ed25519 signature.
fn split_signature(sig: &NoteSignature) -> Result<(u64, &[u8; SIGNATURE_LEN]), CosignatureError> {
    let malformed = || CosignatureError::Malformed {
        name: sig.name.clone(),
        key_id: sig.key_id,
        len: sig.signature.len(),
    };
    let (timestamp, raw) = sig
        .signature
        .split_first_chunk::<8>()
        .ok_or_else(malformed)?;
    let raw: &[u8; SIGNATURE_LEN] = raw.try_into().map_err(|_| malformed())?;
    let timestamp = u64::from_be_bytes(*timestamp);
    check_timestamp(timestamp)?;
    Ok((timestamp, raw))
}

fn check_timestamp(timestamp: u64) -> Result<(), CosignatureError> {
    if timestamp > MAX_TIMESTAMP {
        return Err(CosignatureError::TimestampTooLarge(timestamp));
    }
    Ok(())
}

fn check_point(key: &PublicKey) -> Result<(), CosignatureError> {
    ed25519_dalek::VerifyingKey::from_bytes(&key.0)
        .map(|_| ())
        .map_err(|_| NoteError::InvalidPublicKey.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layout() {
        let msg = cosignature_message("o\n1\nAA==\n", 0).unwrap();
        assert_eq!(msg, b"cosignature/v1\ntime 0\no\n1\nAA==\n");
        assert_eq!(
            cosignature_message("x\n", MAX_TIMESTAMP + 1),
            Err(CosignatureError::TimestampTooLarge(MAX_TIMESTAMP + 1))
        );
        assert!(cosignature_message("no newline", 1).is_err());
    }

    #[test]
    fn key_id_differs_from_note_key_id() {
        let key = NodeKey::from_seed([1; 32]).public();
        assert_ne!(witness_key_id("w", &key), crate::note::key_id("w", &key));
    }
}
