//! [`EnvelopeError`]: every way encoding, decoding or verifying an envelope can fail, one
//! variant per rejection so callers (and tests) can tell them apart.

use crate::jcs::JcsError;
use crate::json::JsonError;
use crate::stix::ObjectError;

/// Envelope encoding, decoding and verification errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The input is longer than the caller's limit (checked before parsing).
    #[error("envelope is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input ends inside `field`.
    #[error("envelope truncated in {field}")]
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// The input does not start with `SHE`.
    #[error("not a Shoal envelope (bad magic)")]
    BadMagic,
    /// A version this implementation does not speak.
    #[error("unsupported envelope version {0}")]
    UnsupportedVersion(u8),
    /// A TLP byte outside 0..=4.
    #[error("invalid TLP byte {0}")]
    InvalidTlp(u8),
    /// TLP:RED and TLP:AMBER+STRICT intel is never logged for sharing nor sent: no
    /// envelope can carry it, so no layer above can bypass the rule.
    #[error("TLP:{0} intel is never shared; it cannot be put in an envelope")]
    NotShareable(crate::tlp::Tlp),
    /// The community name is empty.
    #[error("community name is empty")]
    EmptyCommunity,
    /// The community name is longer than the limit.
    #[error("community name is {len} bytes, more than {max}")]
    CommunityTooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The community bytes are not UTF-8.
    #[error("community name is not UTF-8")]
    CommunityNotUtf8,
    /// The community name has a character outside `[a-z0-9._-]`.
    #[error("community name {0:?} may only contain a-z, 0-9, '.', '_' and '-'")]
    InvalidCommunity(String),
    /// The object is larger than its `u32` length prefix allows.
    #[error("object is {0} bytes, more than a u32 length allows")]
    ObjectTooLarge(usize),
    /// The object bytes are not JSON.
    #[error("object is not valid JSON: {0}")]
    ObjectNotJson(JsonError),
    /// The object is JSON but not a JSON object.
    #[error("object is JSON but not a JSON object")]
    ObjectNotAnObject,
    /// The object is JSON but not in RFC 8785 canonical form.
    #[error("object is not in RFC 8785 canonical form")]
    ObjectNotCanonical,
    /// The object has no canonical form.
    #[error("object cannot be canonicalised: {0}")]
    Canonicalization(JcsError),
    /// The object is not a valid STIX 2.1 object.
    #[error("object is not valid STIX 2.1: {0}")]
    InvalidObject(ObjectError),
    /// More extensions than a `u16` count allows.
    #[error("{0} extensions, more than a u16 count allows")]
    TooManyExtensions(usize),
    /// Extension data larger than its `u32` length prefix allows.
    #[error("extension of kind {kind} is {len} bytes, more than a u32 length allows")]
    ExtensionTooLarge {
        /// The extension kind.
        kind: u16,
        /// Its length.
        len: usize,
    },
    /// Two extensions of the same kind.
    #[error("duplicate extension kind {0}")]
    DuplicateExtension(u16),
    /// Extension kinds not in increasing order.
    #[error("extension kind {kind} follows kind {previous}; kinds must be strictly increasing")]
    ExtensionsOutOfOrder {
        /// The preceding kind.
        previous: u16,
        /// The out-of-order kind.
        kind: u16,
    },
    /// Bytes after the signature.
    #[error("{0} unexpected bytes after the signature")]
    TrailingBytes(usize),
    /// Signing with a key that is not the body's publisher.
    #[error("signing key does not match the envelope's publisher")]
    PublisherMismatch,
    /// The publisher bytes are not a valid Ed25519 public key.
    #[error("publisher is not a valid Ed25519 public key")]
    InvalidPublisherKey,
    /// The signature does not verify.
    #[error("envelope signature does not verify")]
    BadSignature,
}
