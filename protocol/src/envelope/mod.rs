//! Shoal's signed unit: an [`Envelope`] wraps one STIX object (as RFC 8785 canonical JSON)
//! with its publisher, ledger position, coarse publication time, TLP level, community and
//! optional extensions, signed by the publisher's node key.
//!
//! # Wire format (version 1)
//!
//! All integers are big-endian; `‖` is concatenation.
//!
//! | field          | encoding                                                              |
//! |----------------|-----------------------------------------------------------------------|
//! | magic          | `b"SHE"` (3 bytes)                                                    |
//! | version        | `u8` = [`ENVELOPE_VERSION`]                                           |
//! | publisher      | 32-byte Ed25519 public key                                            |
//! | ledger_index   | `u64`                                                                 |
//! | published_at   | `u64` coarse Unix seconds                                             |
//! | tlp            | `u8` ([`Tlp::to_byte`]: 0 clear … 4 red)                              |
//! | community      | `u8` length (1..=[`MAX_COMMUNITY_LEN`]) ‖ bytes of `[a-z0-9._-]`      |
//! | object         | `u32` length (≥ 2) ‖ RFC 8785 canonical JSON of one STIX object       |
//! | extensions     | `u16` count ‖ per extension: kind `u16` ‖ `u32` length ‖ data         |
//! | signature      | 64-byte Ed25519 signature over [`SIGNING_DOMAIN`] ‖ all bytes above   |
//!
//! Extension kinds are strictly increasing (so no duplicates and one order). Decoding checks
//! the size limit before reading anything, then rejects bad magic, unknown versions, bad
//! TLP bytes, invalid or non-UTF-8 communities, lengths running past the input, unordered
//! extensions, object bytes that are not canonical JSON of a JSON object (re-canonicalised
//! and compared, so an object has exactly one encoding) and trailing bytes. Encoding is
//! deterministic: `decode(encode(e)) == e` and `encode(decode(b)) == b`.
//!
//! [`Envelope::decode`] does not check the signature; [`Envelope::verify`] and
//! [`Envelope::decode_verified`] do. Neither validates the object against STIX rules:
//! [`Envelope::stix_object`] does that.

mod batch;
mod codec;
mod error;

use serde_json::Value;
use shoal_crypto::hash::{leaf_hash, Hash};
use shoal_crypto::{NodeKey, PublicKey};

use crate::stix::{self, StixObject};
use crate::tlp::Tlp;

pub use batch::decode_verified_batch;
pub use error::EnvelopeError;

/// Current (and only) envelope format version.
pub const ENVELOPE_VERSION: u8 = 1;
/// Default largest encoded envelope accepted by decoders: 1 MiB.
pub const DEFAULT_MAX_ENVELOPE_BYTES: usize = 1 << 20;
/// Domain separator prefixed to the signed bytes.
pub const SIGNING_DOMAIN: &[u8] = b"shoal/envelope/v1\0";
/// The three magic bytes every envelope starts with (the version byte follows).
pub const MAGIC: &[u8; 3] = b"SHE";
/// Longest community name in bytes.
pub const MAX_COMMUNITY_LEN: usize = 64;
/// Deepest JSON nesting accepted in an envelope's object.
pub const MAX_OBJECT_DEPTH: usize = 64;

/// Reserved extension kinds: later features add a privacy receipt and credibility data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtensionKind(pub u16);

impl ExtensionKind {
    /// A privacy receipt.
    pub const PRIVACY_RECEIPT: Self = Self(1);
    /// Credibility data.
    pub const CREDIBILITY: Self = Self(2);
}

/// An opaque, typed extension carried (and signed) with the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// What the data is.
    pub kind: ExtensionKind,
    /// The data.
    pub data: Vec<u8>,
}

/// Everything the publisher signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeBody {
    /// The publishing node's key; must be the signing key.
    pub publisher: PublicKey,
    /// Position of this envelope in the publisher's ledger.
    pub ledger_index: u64,
    /// Coarse Unix seconds (see [`coarse_time`]).
    pub published_at: u64,
    /// Sharing restriction.
    pub tlp: Tlp,
    /// Community the envelope is shared in (`[a-z0-9._-]`, 1 to 64 bytes).
    pub community: String,
    /// RFC 8785 canonical JSON of one STIX object.
    pub object: Vec<u8>,
    /// Extensions, kinds strictly increasing.
    pub extensions: Vec<Extension>,
}

/// A signed envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The signed content.
    pub body: EnvelopeBody,
    /// Ed25519 signature over [`SIGNING_DOMAIN`] ‖ `body.encode()`.
    pub signature: [u8; 64],
}

impl EnvelopeBody {
    /// Build a body for a validated STIX object (canonicalising it).
    pub fn for_object(
        publisher: PublicKey,
        ledger_index: u64,
        published_at: u64,
        tlp: Tlp,
        community: impl Into<String>,
        object: &StixObject,
    ) -> Result<Self, EnvelopeError> {
        Ok(Self {
            publisher,
            ledger_index,
            published_at,
            tlp,
            community: community.into(),
            object: object
                .canonical_bytes()
                .map_err(EnvelopeError::Canonicalization)?,
            extensions: Vec::new(),
        })
    }

    /// The signed bytes (everything before the signature). Checks every field limit and
    /// that `object` is canonical JSON, so anything encoded also decodes.
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        codec::encode_body(self)
    }

    /// Sign with `key` and return the envelope's wire bytes directly, encoding the body
    /// once (the ledger's hot path). Equal to `self.sign(key)?.encode()?`.
    pub fn sign_encoded(&self, key: &NodeKey) -> Result<Vec<u8>, EnvelopeError> {
        if key.public() != self.publisher {
            return Err(EnvelopeError::PublisherMismatch);
        }
        let mut bytes = self.encode()?;
        let signature = key.sign(SIGNING_DOMAIN, &bytes);
        bytes.extend_from_slice(&signature);
        Ok(bytes)
    }

    /// Sign with `key`, whose public key must be `publisher`.
    pub fn sign(self, key: &NodeKey) -> Result<Envelope, EnvelopeError> {
        if key.public() != self.publisher {
            return Err(EnvelopeError::PublisherMismatch);
        }
        let signature = key.sign(SIGNING_DOMAIN, &self.encode()?);
        Ok(Envelope {
            body: self,
            signature,
        })
    }
}

impl Envelope {
    /// The full encoding: body bytes followed by the signature.
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        let mut out = self.body.encode()?;
        out.extend_from_slice(&self.signature);
        Ok(out)
    }

    /// Decode untrusted bytes (at most `max_len`, checked first). Does not verify the signature.
    pub fn decode(bytes: &[u8], max_len: usize) -> Result<Envelope, EnvelopeError> {
        codec::decode(bytes, max_len).map(|(envelope, _)| envelope)
    }

    /// Check the signature against `body.publisher`.
    pub fn verify(&self) -> Result<(), EnvelopeError> {
        verify_signed(&self.body.publisher, &self.body.encode()?, &self.signature)
    }

    /// [`Envelope::decode`] then verify the signature over the received bytes.
    pub fn decode_verified(bytes: &[u8], max_len: usize) -> Result<Envelope, EnvelopeError> {
        let (envelope, signed_len) = codec::decode(bytes, max_len)?;
        let signed = bytes
            .get(..signed_len)
            .ok_or(EnvelopeError::Truncated { field: "signature" })?;
        verify_signed(&envelope.body.publisher, signed, &envelope.signature)?;
        Ok(envelope)
    }

    /// The carried object as JSON.
    pub fn object_json(&self) -> Result<Value, EnvelopeError> {
        codec::parse_object(&self.body.object)
    }

    /// The carried object, validated as STIX 2.1.
    pub fn stix_object(&self) -> Result<StixObject, EnvelopeError> {
        stix::validate_object(self.object_json()?, 0).map_err(EnvelopeError::InvalidObject)
    }

    /// The RFC 9162 leaf hash of the encoded envelope (signature included): the ledger entry.
    pub fn leaf_hash(&self) -> Result<Hash, EnvelopeError> {
        Ok(leaf_hash(&self.encode()?))
    }
}

fn verify_signed(
    publisher: &PublicKey,
    signed: &[u8],
    signature: &[u8; 64],
) -> Result<(), EnvelopeError> {
    publisher
        .verify(SIGNING_DOMAIN, signed, signature)
        .map_err(|e| match e {
            shoal_crypto::keys::KeyError::InvalidPublicKey => EnvelopeError::InvalidPublisherKey,
            _ => EnvelopeError::BadSignature,
        })
}

/// Whether `name` is a valid community name (1 to 64 of `[a-z0-9._-]`): the one rule
/// envelopes enforce, for callers that want to refuse a name before building one.
pub fn check_community(name: &str) -> Result<(), EnvelopeError> {
    codec::check_community(name.as_bytes())
}

/// Truncate a unix time to `granularity_secs` (0 or 1 = unchanged).
pub fn coarse_time(unix_secs: u64, granularity_secs: u64) -> u64 {
    if granularity_secs <= 1 {
        unix_secs
    } else {
        unix_secs.saturating_sub(unix_secs.checked_rem(granularity_secs).unwrap_or(0))
    }
}
