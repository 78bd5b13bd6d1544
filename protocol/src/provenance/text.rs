//! The JSON form of equivocation proofs (layout in the module docs): bounded strict
//! reading (no duplicate or unknown members, nesting limit), lowercase hex and canonical
//! base64 only, and the carried proof id checked against the evidence.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shoal_crypto::hash::Hash;
use shoal_crypto::PublicKey;

use super::{
    EquivocationProof, Evidence, Included, ProofError, Side, MAX_AUDIT_PATH, MAX_CHECKPOINT_BYTES,
    MAX_JSON_BYTES, PROOF_VERSION,
};

/// The member naming the format and its version.
const TAG: &str = "shoal_equivocation_proof";
/// Deepest nesting of a proof (proof → evidence → side → audit path is 4).
const MAX_DEPTH: usize = 6;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofJson {
    shoal_equivocation_proof: u64,
    id: String,
    publisher: String,
    detected_at: u64,
    evidence: EvidenceJson,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
enum EvidenceJson {
    Checkpoints { a: String, b: String },
    Entries { a: String, b: String },
    Inclusion { a: IncludedJson, b: IncludedJson },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IncludedJson {
    checkpoint: String,
    index: u64,
    leaf_hash: String,
    proof: Vec<String>,
}

impl IncludedJson {
    fn from_included(inc: &Included) -> Self {
        Self {
            checkpoint: inc.checkpoint.clone(),
            index: inc.index,
            leaf_hash: hex::encode(inc.leaf_hash),
            proof: inc.proof.iter().map(hex::encode).collect(),
        }
    }

    fn into_included(self, side: Side) -> Result<Included, ProofError> {
        if self.proof.len() > MAX_AUDIT_PATH {
            return Err(ProofError::AuditPathTooLong {
                side,
                len: self.proof.len(),
                max: MAX_AUDIT_PATH,
            });
        }
        let proof = self
            .proof
            .iter()
            .map(|h| parse_hex(h, "audit path"))
            .collect::<Result<Vec<Hash>, _>>()?;
        Ok(Included {
            checkpoint: check_note(self.checkpoint)?,
            index: self.index,
            leaf_hash: parse_hex(&self.leaf_hash, "leaf hash")?,
            proof,
        })
    }
}

/// 32 bytes from exactly 64 lowercase hex digits (one spelling per value).
fn parse_hex(text: &str, field: &'static str) -> Result<[u8; 32], ProofError> {
    let lower = text
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let mut out = [0u8; 32];
    if !lower || hex::decode_to_slice(text, &mut out).is_err() {
        return Err(ProofError::InvalidHex { field, len: 64 });
    }
    Ok(out)
}

/// Bytes from canonical padded standard base64 (one spelling per value).
fn parse_base64(text: &str, field: &'static str) -> Result<Vec<u8>, ProofError> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| ProofError::InvalidBase64 { field })?;
    if STANDARD.encode(&bytes) != text {
        return Err(ProofError::InvalidBase64 { field });
    }
    Ok(bytes)
}

fn check_note(note: String) -> Result<String, ProofError> {
    if note.len() > MAX_CHECKPOINT_BYTES {
        return Err(ProofError::FieldTooLong {
            field: "checkpoint",
            len: u64::try_from(note.len()).unwrap_or(u64::MAX),
            max: MAX_CHECKPOINT_BYTES,
        });
    }
    Ok(note)
}

pub(super) fn to_json(proof: &EquivocationProof) -> String {
    let evidence = match &proof.evidence {
        Evidence::Checkpoints { a, b } => EvidenceJson::Checkpoints {
            a: a.clone(),
            b: b.clone(),
        },
        Evidence::Entries { a, b } => EvidenceJson::Entries {
            a: STANDARD.encode(a),
            b: STANDARD.encode(b),
        },
        Evidence::Inclusion { a, b } => EvidenceJson::Inclusion {
            a: IncludedJson::from_included(a),
            b: IncludedJson::from_included(b),
        },
    };
    let json = ProofJson {
        shoal_equivocation_proof: u64::from(PROOF_VERSION),
        id: hex::encode(proof.proof_id()),
        publisher: hex::encode(proof.publisher.0),
        detected_at: proof.detected_at,
        evidence,
    };
    // Strings, integers and derived structs only: serialisation cannot fail.
    serde_json::to_string_pretty(&json).unwrap_or_default()
}

pub(super) fn from_json(text: &str) -> Result<EquivocationProof, ProofError> {
    if text.len() > MAX_JSON_BYTES {
        return Err(ProofError::TooLarge {
            len: text.len(),
            max: MAX_JSON_BYTES,
        });
    }
    let value = crate::json::parse_strict(text.as_bytes(), MAX_DEPTH).map_err(ProofError::Json)?;
    let Value::Object(map) = &value else {
        return Err(ProofError::Malformed("expected a JSON object".to_owned()));
    };
    match map.get(TAG).map(Value::as_u64) {
        None => {
            return Err(ProofError::Malformed(format!(
                "member {TAG:?} is missing; is this an equivocation proof?"
            )))
        }
        Some(None) => {
            return Err(ProofError::Malformed(format!(
                "member {TAG:?} must be a non-negative integer"
            )))
        }
        Some(Some(v)) if v != u64::from(PROOF_VERSION) => {
            return Err(ProofError::UnsupportedVersion(v))
        }
        Some(Some(_)) => {}
    }
    let json: ProofJson =
        serde_json::from_value(value).map_err(|e| ProofError::Malformed(e.to_string()))?;
    let evidence = match json.evidence {
        EvidenceJson::Checkpoints { a, b } => Evidence::Checkpoints {
            a: check_note(a)?,
            b: check_note(b)?,
        },
        EvidenceJson::Entries { a, b } => Evidence::Entries {
            a: parse_base64(&a, "envelope")?,
            b: parse_base64(&b, "envelope")?,
        },
        EvidenceJson::Inclusion { a, b } => Evidence::Inclusion {
            a: a.into_included(Side::A)?,
            b: b.into_included(Side::B)?,
        },
    };
    evidence.check_order()?;
    let proof = EquivocationProof {
        publisher: PublicKey(parse_hex(&json.publisher, "publisher")?),
        evidence,
        detected_at: json.detected_at,
    };
    if parse_hex(&json.id, "id")? != proof.proof_id() {
        return Err(ProofError::IdMismatch);
    }
    Ok(proof)
}
