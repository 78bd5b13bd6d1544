//! [`AdmissionRequest`]: what a prospective member hands an anchor — its public key, a
//! display name and a creation time, signed by that key to prove the requester holds it.
//!
//! Text format (JSON, signature = base64 Ed25519 over [`REQUEST_DOMAIN`] ‖ RFC 8785 canonical
//! JSON of the object without `"signature"`):
//!
//! ```json
//! {"shoal_admission_request": 1, "public_key": "<64 hex>", "name": "…",
//!  "created_at": 1700000000, "signature": "<base64>"}
//! ```

use serde::Deserialize;
use serde_json::{Map, Value};
use shoal_crypto::keys::SIGNATURE_LEN;
use shoal_crypto::{NodeKey, PublicKey};

use super::codec;
use super::AdmissionError;

/// Domain separator of the request's proof-of-possession signature.
pub const REQUEST_DOMAIN: &[u8] = b"shoal/admission-request/v1\0";
/// Format version of admission requests (the `shoal_admission_request` member).
pub const REQUEST_FORMAT_VERSION: u64 = 1;
/// Largest request text accepted.
pub const MAX_REQUEST_BYTES: usize = 4096;

const WHAT: &str = "admission request";
const TAG: &str = "shoal_admission_request";

/// A member's signed admission request. Every value of this type has a verified
/// proof-of-possession signature and a valid name: it is only made by
/// [`AdmissionRequest::new`] or [`AdmissionRequest::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionRequest {
    public_key: PublicKey,
    name: String,
    created_at: u64,
    signature: [u8; SIGNATURE_LEN],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(rename = "shoal_admission_request")]
    _version: u64,
    public_key: String,
    name: String,
    created_at: u64,
    signature: String,
}

impl AdmissionRequest {
    /// Sign a request for `key` under the display `name` at `now` (unix seconds).
    pub fn new(key: &NodeKey, name: &str, now: u64) -> Result<Self, AdmissionError> {
        codec::check_name(name)?;
        codec::check_time(now, "created_at")?;
        let public_key = key.public();
        let body = body(&public_key, name, now);
        let signature = codec::sign_body(key, REQUEST_DOMAIN, &body)?;
        Ok(Self {
            public_key,
            name: name.to_owned(),
            created_at: now,
            signature,
        })
    }

    /// Parse request text and verify its signature (size-bounded by [`MAX_REQUEST_BYTES`]).
    /// Does not judge `created_at`: how fresh a request must be is the anchor's call.
    pub fn parse(input: impl AsRef<[u8]>) -> Result<Self, AdmissionError> {
        let map = codec::parse_object(input.as_ref(), MAX_REQUEST_BYTES, WHAT)?;
        codec::check_tag(&map, TAG, REQUEST_FORMAT_VERSION, WHAT)?;
        let wire: Wire = codec::from_map(map, WHAT)?;
        let public_key = codec::parse_key(&wire.public_key, "public_key")?;
        codec::check_name(&wire.name)?;
        codec::check_time(wire.created_at, "created_at")?;
        let signature = codec::parse_signature(&wire.signature, "signature")?;
        let body = body(&public_key, &wire.name, wire.created_at);
        if !codec::verify_body(&public_key, REQUEST_DOMAIN, &body, &signature) {
            return Err(AdmissionError::BadRequestSignature);
        }
        Ok(Self {
            public_key,
            name: wire.name,
            created_at: wire.created_at,
            signature,
        })
    }

    /// The request as pretty-printed JSON text.
    pub fn to_json_pretty(&self) -> String {
        let mut map = body(&self.public_key, &self.name, self.created_at);
        map.insert(
            "signature".to_owned(),
            Value::String(codec::signature_b64(&self.signature)),
        );
        codec::pretty(map)
    }

    /// The key asking to be admitted.
    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }

    /// The requested display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When the request was made (unix seconds, as claimed by the requester).
    pub fn created_at(&self) -> u64 {
        self.created_at
    }
}

fn body(public_key: &PublicKey, name: &str, created_at: u64) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(TAG.to_owned(), Value::from(REQUEST_FORMAT_VERSION));
    map.insert(
        "public_key".to_owned(),
        Value::String(codec::key_hex(public_key)),
    );
    map.insert("name".to_owned(), Value::String(name.to_owned()));
    map.insert("created_at".to_owned(), Value::from(created_at));
    map
}
