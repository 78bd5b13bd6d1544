//! C2SP signed notes (<https://c2sp.org/signed-note>), Ed25519 signatures only:
//! parsing with the spec's limits, serialising, signing and verifying.
//!
//! ```text
//! <text, ending in a newline>
//!
//! — <key name> base64(key id (4 bytes, big-endian) || Ed25519 signature)
//! ```

mod error;
mod syntax;
mod verifier;

pub use error::NoteError;
pub use syntax::{validate_name, validate_text, MAX_NOTE_BYTES, MAX_SIGNATURES};
pub use verifier::{
    key_id, typed_key_id, typed_verifier_key, verifier_key, Verifier, SIG_TYPE_ED25519,
};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::keys::{NodeKey, SIGNATURE_LEN};
use syntax::check_controls;

/// Prefix of every signature line: em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// One signature line of a note. Not verified by itself: see [`Note::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer's key name.
    pub name: String,
    /// The key id carried in the signature's first four bytes.
    pub key_id: u32,
    /// The signature bytes after the key id (64 bytes for Ed25519).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The signature line, without its final newline: `— <name> base64(key id || sig)`.
    fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(self.signature.len().saturating_add(4));
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!("{SIG_PREFIX}{} {}", self.name, STANDARD.encode(raw))
    }

    /// Parse one signature line (without its newline); `line` is its 1-based number.
    fn parse_line(text: &str, line: usize) -> Result<Self, NoteError> {
        let malformed = |reason| NoteError::MalformedSignatureLine { line, reason };
        let rest = text
            .strip_prefix(SIG_PREFIX)
            .ok_or(malformed("does not start with an em dash and a space"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or(malformed("no space between key name and signature"))?;
        validate_name(name)?;
        if b64.is_empty() {
            return Err(malformed("empty signature"));
        }
        let raw = STANDARD
            .decode(b64)
            .map_err(|source| NoteError::InvalidBase64 { line, source })?;
        match raw.split_first_chunk::<4>() {
            Some((id, sig)) if !sig.is_empty() => Ok(Self {
                name: name.to_owned(),
                key_id: u32::from_be_bytes(*id),
                signature: sig.to_vec(),
            }),
            _ => Err(malformed("signature shorter than 5 bytes")),
        }
    }
}

/// A note text with its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, including its final newline.
    pub text: String,
    /// The signatures, in order of appearance.
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Sign `text` (must be valid note text: non-empty, ends in '\n', no other rule violations per spec) as `name` with `key`.
    pub fn sign(text: &str, name: &str, key: &NodeKey) -> Result<Note, NoteError> {
        validate_text(text)?;
        let mut note = Note {
            text: text.to_owned(),
            signatures: Vec::new(),
        };
        note.add_signature(name, key)?;
        Ok(note)
    }

    /// Add a signature by `key` under `name`. An existing signature with the same name
    /// and key id is replaced; the new one goes last.
    pub fn add_signature(&mut self, name: &str, key: &NodeKey) -> Result<(), NoteError> {
        validate_text(&self.text)?;
        validate_name(name)?;
        let key_id = key_id(name, &key.public());
        let same = |s: &NoteSignature| s.name == name && s.key_id == key_id;
        let kept = self.signatures.iter().filter(|s| !same(s)).count();
        if kept >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures {
                max: MAX_SIGNATURES,
            });
        }
        self.signatures.retain(|s| !same(s));
        self.signatures.push(NoteSignature {
            name: name.to_owned(),
            key_id,
            signature: key.sign_raw(self.text.as_bytes()).to_vec(),
        });
        Ok(())
    }

    /// Parse a signed note (text, blank line, signature lines "— name base64(keyid_be||sig)\n").
    ///
    /// Enforces the spec's rules (no control characters but newline, valid key names,
    /// at least one signature) and this implementation's limits ([`MAX_NOTE_BYTES`],
    /// [`MAX_SIGNATURES`]). Signatures are not verified here: see [`Note::verify`].
    pub fn parse(input: &str) -> Result<Note, NoteError> {
        if input.len() > MAX_NOTE_BYTES {
            return Err(NoteError::TooLarge {
                size: input.len(),
                max: MAX_NOTE_BYTES,
            });
        }
        check_controls(input)?;
        // The text ends at the last blank line: signature lines are never empty.
        let split = input.rfind("\n\n").ok_or(NoteError::MissingSeparator)?;
        let text = input.get(..=split).ok_or(NoteError::MissingSeparator)?;
        let block = input
            .get(split..)
            .and_then(|rest| rest.strip_prefix("\n\n"))
            .ok_or(NoteError::MissingSeparator)?;
        let lines = block.strip_suffix('\n').ok_or(NoteError::NoSignatures)?;
        let mut signatures = Vec::new();
        for (i, line) in lines.split('\n').enumerate() {
            if i >= MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures {
                    max: MAX_SIGNATURES,
                });
            }
            signatures.push(NoteSignature::parse_line(line, i.saturating_add(1))?);
        }
        validate_text(text)?;
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed note text: the text, a blank line and one line per signature.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(
            self.text
                .len()
                .saturating_add(self.signatures.len().saturating_mul(100)),
        );
        out.push_str(&self.text);
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.to_line());
            out.push('\n');
        }
        out
    }

    /// Ok if a signature by `v` (matching name AND key id) is present and valid; error otherwise.
    ///
    /// Signatures by other keys are ignored, as the spec requires. If any signature
    /// matching `v` fails to verify, the whole note is rejected.
    pub fn verify(&self, v: &Verifier) -> Result<(), NoteError> {
        validate_text(&self.text)?;
        let bad = || NoteError::BadSignature {
            name: v.name.clone(),
            key_id: v.key_id,
        };
        let mut verified = false;
        for s in self
            .signatures
            .iter()
            .filter(|s| s.name == v.name && s.key_id == v.key_id)
        {
            let sig: &[u8; SIGNATURE_LEN] = s.signature.as_slice().try_into().map_err(|_| bad())?;
            v.key
                .verify_raw(self.text.as_bytes(), sig)
                .map_err(|_| bad())?;
            verified = true;
        }
        if verified {
            Ok(())
        } else {
            Err(NoteError::UnknownKey {
                name: v.name.clone(),
                key_id: v.key_id,
            })
        }
    }
}
