//! Shared text encodings and field rules of admission documents: bounded strict JSON
//! reading, format tags, lowercase-hex keys, base64 signatures, names, communities, times
//! and the RFC 8785 bytes that are signed.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use shoal_crypto::keys::{PUBLIC_KEY_LEN, SIGNATURE_LEN};
use shoal_crypto::{NodeKey, PublicKey};

use super::{AdmissionError, MAX_NAME_CHARS, MAX_TIME};

/// Deepest JSON nesting of any admission document (chain → certificates → certificate →
/// communities is 4).
const MAX_DEPTH: usize = 8;

/// Length of a signature in padded standard base64.
const SIGNATURE_B64_LEN: usize = 88;

/// Read `bytes` (at most `max`) as one strict JSON object.
pub(super) fn parse_object(
    bytes: &[u8],
    max: usize,
    what: &'static str,
) -> Result<Map<String, Value>, AdmissionError> {
    if bytes.len() > max {
        return Err(AdmissionError::TooLarge {
            what,
            size: bytes.len(),
            max,
        });
    }
    match crate::json::parse_strict(bytes, MAX_DEPTH) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(AdmissionError::Malformed {
            what,
            reason: "expected a JSON object".to_owned(),
        }),
        Err(source) => Err(AdmissionError::Json { what, source }),
    }
}

/// Check the member `tag` of `map` holds exactly `supported` (the format version).
pub(super) fn check_tag(
    map: &Map<String, Value>,
    tag: &'static str,
    supported: u64,
    what: &'static str,
) -> Result<(), AdmissionError> {
    match map.get(tag) {
        None => Err(AdmissionError::Malformed {
            what,
            reason: format!("member {tag:?} is missing; is this a {what}?"),
        }),
        Some(value) => match value.as_u64() {
            Some(found) if found == supported => Ok(()),
            Some(found) => Err(AdmissionError::UnsupportedVersion {
                what,
                found,
                supported,
            }),
            None => Err(AdmissionError::Malformed {
                what,
                reason: format!("member {tag:?} must be a non-negative integer"),
            }),
        },
    }
}

/// Deserialize the wire struct of a document from its (already tag-checked) members.
pub(super) fn from_map<T: DeserializeOwned>(
    map: Map<String, Value>,
    what: &'static str,
) -> Result<T, AdmissionError> {
    serde_json::from_value(Value::Object(map)).map_err(|e| AdmissionError::Malformed {
        what,
        reason: e.to_string(),
    })
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A public key from 64 lowercase hex digits (the one encoding, so signed text round-trips).
pub(super) fn parse_key(text: &str, field: &'static str) -> Result<PublicKey, AdmissionError> {
    let mut key = [0u8; PUBLIC_KEY_LEN];
    if !is_lower_hex(text) || hex::decode_to_slice(text, &mut key).is_err() {
        return Err(AdmissionError::InvalidKey { field });
    }
    Ok(PublicKey(key))
}

/// The hex text of a key.
pub(super) fn key_hex(key: &PublicKey) -> String {
    hex::encode(key.0)
}

/// A serial from 16 lowercase hex digits.
pub(super) fn parse_serial(text: &str) -> Result<[u8; 8], AdmissionError> {
    let mut serial = [0u8; 8];
    if !is_lower_hex(text) || hex::decode_to_slice(text, &mut serial).is_err() {
        return Err(AdmissionError::InvalidSerial);
    }
    Ok(serial)
}

/// A signature from padded standard base64 (canonical: non-zero trailing bits rejected).
pub(super) fn parse_signature(
    text: &str,
    field: &'static str,
) -> Result<[u8; SIGNATURE_LEN], AdmissionError> {
    let err = || AdmissionError::InvalidSignatureEncoding { field };
    if text.len() != SIGNATURE_B64_LEN {
        return Err(err());
    }
    let raw = STANDARD.decode(text).map_err(|_| err())?;
    raw.as_slice().try_into().map_err(|_| err())
}

/// The base64 text of a signature.
pub(super) fn signature_b64(sig: &[u8; SIGNATURE_LEN]) -> String {
    STANDARD.encode(sig)
}

/// Invisible formatting characters that could make one name look like another (bidi
/// overrides and isolates, zero-width characters, BOM, soft hyphen, interlinear marks).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Display names: 1..=[`MAX_NAME_CHARS`] characters, no control or invisible formatting
/// characters, no leading or trailing whitespace.
pub(super) fn check_name(name: &str) -> Result<(), AdmissionError> {
    let bad = |reason| {
        Err(AdmissionError::InvalidName {
            name: name.chars().take(MAX_NAME_CHARS).collect(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("is empty");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return bad("is longer than 128 characters");
    }
    if name.chars().any(|c| c.is_control() || is_invisible(c)) {
        return bad("contains a control or invisible formatting character");
    }
    if name.trim() != name {
        return bad("has leading or trailing whitespace");
    }
    Ok(())
}

/// Free text (a revocation reason): at most `max` characters, no control or invisible
/// formatting characters.
pub(super) fn check_reason(reason: &str, max: usize) -> Result<(), AdmissionError> {
    if reason.chars().count() > max {
        return Err(AdmissionError::InvalidReason {
            reason: "is longer than 256 characters",
        });
    }
    if reason.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(AdmissionError::InvalidReason {
            reason: "contains a control or invisible formatting character",
        });
    }
    Ok(())
}

/// Times must survive RFC 8785's double-precision numbers exactly.
pub(super) fn check_time(value: u64, field: &'static str) -> Result<(), AdmissionError> {
    if value > MAX_TIME {
        return Err(AdmissionError::TimeOutOfRange {
            field,
            value,
            max: MAX_TIME,
        });
    }
    Ok(())
}

/// `domain || RFC 8785 canonical JSON of body`, the bytes a document's signature covers.
fn canonical(body: &Map<String, Value>) -> Result<Vec<u8>, AdmissionError> {
    Ok(crate::jcs::canonicalize_object(body)?)
}

/// Sign the canonical form of `body` under `domain`.
pub(super) fn sign_body(
    key: &NodeKey,
    domain: &[u8],
    body: &Map<String, Value>,
) -> Result<[u8; SIGNATURE_LEN], AdmissionError> {
    Ok(key.sign(domain, &canonical(body)?))
}

/// Whether `sig` by `signer` covers the canonical form of `body` under `domain`.
pub(super) fn verify_body(
    signer: &PublicKey,
    domain: &[u8],
    body: &Map<String, Value>,
    sig: &[u8; SIGNATURE_LEN],
) -> bool {
    canonical(body).is_ok_and(|bytes| signer.verify(domain, &bytes, sig).is_ok())
}

/// Pretty JSON text of an object (infallible: built from a `Value`).
pub(super) fn pretty(map: Map<String, Value>) -> String {
    format!("{:#}", Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lowercase_hex_only() {
        let hex64 = "ab".repeat(32);
        assert_eq!(parse_key(&hex64, "k").unwrap().0, [0xab; 32]);
        for bad in [
            "AB".repeat(32),
            "ab".repeat(31),
            "ab".repeat(33),
            "zz".repeat(32),
        ] {
            assert_eq!(
                parse_key(&bad, "k"),
                Err(AdmissionError::InvalidKey { field: "k" })
            );
        }
        assert_eq!(
            parse_serial("00ff00ff00ff00ff").unwrap(),
            [0, 255, 0, 255, 0, 255, 0, 255]
        );
        assert!(parse_serial("00FF00FF00FF00FF").is_err());
        assert!(parse_serial("00ff").is_err());
    }

    #[test]
    fn signatures_are_canonical_padded_base64() {
        let sig = [7u8; SIGNATURE_LEN];
        let text = signature_b64(&sig);
        assert_eq!(text.len(), SIGNATURE_B64_LEN);
        assert_eq!(parse_signature(&text, "s").unwrap(), sig);
        let unpadded = text.trim_end_matches('=');
        assert!(parse_signature(unpadded, "s").is_err());
        assert!(parse_signature(&STANDARD.encode([7u8; 63]), "s").is_err());
        assert!(parse_signature(&"A".repeat(SIGNATURE_B64_LEN), "s").is_err());
    }

    #[test]
    fn name_and_reason_rules() {
        assert!(check_name("Acme CERT").is_ok());
        assert!(check_name(&"x".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(check_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(check_name("").is_err());
        assert!(check_name("\tAcme").is_err());
        assert!(check_name("Ac\u{2066}me").is_err());
        assert!(check_reason("", 256).is_ok());
        assert!(check_reason(&"r".repeat(257), 256).is_err());
        assert!(check_reason("a\u{7f}", 256).is_err());
        assert!(check_time(MAX_TIME, "t").is_ok());
        assert!(check_time(MAX_TIME + 1, "t").is_err());
    }

    #[test]
    fn documents_are_bounded_objects() {
        assert!(matches!(
            parse_object(b"{}", 1, "doc"),
            Err(AdmissionError::TooLarge {
                size: 2,
                max: 1,
                ..
            })
        ));
        assert!(matches!(
            parse_object(b"[]", 10, "doc"),
            Err(AdmissionError::Malformed { .. })
        ));
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(20), "]".repeat(20));
        assert!(matches!(
            parse_object(deep.as_bytes(), 1000, "doc"),
            Err(AdmissionError::Json { .. })
        ));
        let map = parse_object(br#"{"tag": 1}"#, 100, "doc").unwrap();
        assert!(check_tag(&map, "tag", 1, "doc").is_ok());
        assert!(matches!(
            check_tag(&map, "tag", 2, "doc"),
            Err(AdmissionError::UnsupportedVersion {
                found: 1,
                supported: 2,
                ..
            })
        ));
        assert!(matches!(
            check_tag(&map, "other", 1, "doc"),
            Err(AdmissionError::Malformed { .. })
        ));
    }
}
