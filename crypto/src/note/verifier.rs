//! Ed25519 note keys: key ids, verifier key text (`<name>+<hex8 id>+<base64 key>`)
//! and the [`Verifier`] type.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::error::NoteError;
use super::syntax::validate_name;
use crate::hash::sha256;
use crate::keys::{PublicKey, PUBLIC_KEY_LEN};

/// Signature type byte of Ed25519 note signatures.
pub const SIG_TYPE_ED25519: u8 = 0x01;

/// The C2SP key id of a key of signature type `sig_type`: the first four bytes,
/// big-endian, of `SHA-256(name || 0x0A || sig_type || 32-byte public key)`.
pub fn typed_key_id(name: &str, sig_type: u8, key: &PublicKey) -> u32 {
    let mut data = Vec::with_capacity(name.len().saturating_add(2 + PUBLIC_KEY_LEN));
    data.extend_from_slice(name.as_bytes());
    data.push(b'\n');
    data.push(sig_type);
    data.extend_from_slice(&key.0);
    let h = sha256(&data);
    u32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// The verifier key text `name+hex8(keyid)+base64(sig_type || pubkey)`.
pub fn typed_verifier_key(name: &str, sig_type: u8, key: &PublicKey) -> String {
    let mut raw = Vec::with_capacity(PUBLIC_KEY_LEN + 1);
    raw.push(sig_type);
    raw.extend_from_slice(&key.0);
    format!(
        "{name}+{:08x}+{}",
        typed_key_id(name, sig_type, key),
        STANDARD.encode(raw)
    )
}

/// The C2SP key id of an Ed25519 note key (type 0x01).
pub fn key_id(name: &str, key: &PublicKey) -> u32 {
    typed_key_id(name, SIG_TYPE_ED25519, key)
}

/// The verifier key text `name+hex8(keyid)+base64(0x01||pubkey)`.
pub fn verifier_key(name: &str, key: &PublicKey) -> String {
    typed_verifier_key(name, SIG_TYPE_ED25519, key)
}

/// A trusted note key: the name and Ed25519 key a signature must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// The key name (for a log, its origin).
    pub name: String,
    /// The key id derived from the name and key.
    pub key_id: u32,
    /// The Ed25519 public key.
    pub key: PublicKey,
}

impl Verifier {
    /// A verifier for `key` under `name`; the name must be a valid key name and the
    /// key a valid Ed25519 point.
    pub fn new(name: &str, key: PublicKey) -> Result<Self, NoteError> {
        validate_name(name)?;
        check_point(&key)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, &key),
            key,
        })
    }

    /// Parse verifier key text `<name>+<hex8 key id>+<base64(0x01 || key)>`, checking
    /// that the key id matches the name and key.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let (name, rest) = vkey
            .split_once('+')
            .ok_or(NoteError::MalformedVerifierKey("missing '+'"))?;
        let (id_hex, key_b64) = rest
            .split_once('+')
            .ok_or(NoteError::MalformedVerifierKey("missing second '+'"))?;
        validate_name(name)?;
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(NoteError::MalformedVerifierKey(
                "key id is not 8 hex digits",
            ));
        }
        let got = u32::from_str_radix(id_hex, 16)
            .map_err(|_| NoteError::MalformedVerifierKey("key id is not 8 hex digits"))?;
        let raw = STANDARD
            .decode(key_b64)
            .map_err(|_| NoteError::MalformedVerifierKey("key is not valid base64"))?;
        let (&alg, key) = raw
            .split_first()
            .ok_or(NoteError::MalformedVerifierKey("key is empty"))?;
        if alg != SIG_TYPE_ED25519 {
            return Err(NoteError::UnsupportedAlgorithm(alg));
        }
        let key: [u8; PUBLIC_KEY_LEN] = key
            .try_into()
            .map_err(|_| NoteError::MalformedVerifierKey("Ed25519 key is not 32 bytes"))?;
        let key = PublicKey(key);
        let expected = key_id(name, &key);
        if got != expected {
            return Err(NoteError::KeyIdMismatch { expected, got });
        }
        check_point(&key)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: expected,
            key,
        })
    }

    /// The verifier key text of this verifier.
    pub fn to_vkey(&self) -> String {
        verifier_key(&self.name, &self.key)
    }
}

fn check_point(key: &PublicKey) -> Result<(), NoteError> {
    ed25519_dalek::VerifyingKey::from_bytes(&key.0)
        .map(|_| ())
        .map_err(|_| NoteError::InvalidPublicKey)
}
