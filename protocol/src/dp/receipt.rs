//! [`PrivacyReceipt`]: what was done to a released object, so that receivers can account
//! for the noise (unbiased sums, debiased histograms, confidence intervals: see
//! [`super::estimate`]). It travels as the envelope extension
//! [`crate::ExtensionKind::PRIVACY_RECEIPT`], encoded as RFC 8785 canonical JSON.
//!
//! Privacy unit: stated in [`PrivacyReceipt::privacy_unit`] (one internal host or event of
//! the reporting member, with the member's sector and region). The receipt reveals only
//! public parameters (mechanism, `ε`, scale, bucket, category list, clamping), never a true
//! value, so publishing it costs no privacy. [`PrivacyReceipt::epsilon`] is the privacy map
//! of the OpenDP composition of the release's mechanisms; each entry's `epsilon` is that
//! mechanism's own map.
//!
//! Decoding is bounded ([`MAX_RECEIPT_BYTES`], nesting depth, [`MAX_RECEIPT_ENTRIES`]) and
//! never panics.

use serde::{Deserialize, Serialize};

use super::DpError;
use crate::envelope::{Extension, ExtensionKind};
use crate::{jcs, json};

/// The receipt format version this code writes and reads.
pub const RECEIPT_VERSION: u8 = 1;
/// Largest encoded receipt accepted.
pub const MAX_RECEIPT_BYTES: usize = 64 * 1024;
/// Most entries in a receipt.
pub const MAX_RECEIPT_ENTRIES: usize = 256;
/// Deepest JSON nesting in a receipt (object → entries → entry → categories).
const MAX_RECEIPT_DEPTH: usize = 4;

/// Largest integer magnitude a receipt may hold: 2^53, the last exact double.
const MAX_EXACT_INTEGER: u128 = 1 << 53;

/// One privatized (or coarsened) property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptEntry {
    /// The top-level property, e.g. `count`, `x_shoal_sector`, `first_seen`.
    pub path: String,
    /// `discrete_laplace`, `randomized_response` or `time_bucket`.
    pub mechanism: String,
    /// `ε` of this mechanism (OpenDP's privacy map); 0 for `time_bucket`.
    pub epsilon: f64,
    /// Discrete Laplace scale `s`: noise `P(k) ∝ exp(−|k|/s)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// Time bucket in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_secs: Option<u64>,
    /// The randomized-response alphabet, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// The noisy value was raised to at least this (post-processing; 1 for
    /// `number_observed`, which STIX requires to be positive, 0 for other counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clamped_min: Option<i64>,
    /// The noisy value was lowered to at most this (STIX's 999,999,999 for `count` and
    /// `number_observed`, 2^53 − 1 for other counts so that the value stays exact in JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clamped_max: Option<i64>,
    /// How much one privacy unit can change the true value (counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<u32>,
}

/// What a release did, for receivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyReceipt {
    /// [`RECEIPT_VERSION`].
    pub version: u8,
    /// What one privacy unit is.
    pub privacy_unit: String,
    /// Total `ε` of the release: OpenDP's composition of all entries' mechanisms.
    pub epsilon: f64,
    /// One entry per privatized or coarsened property.
    pub entries: Vec<ReceiptEntry>,
}

impl PrivacyReceipt {
    /// RFC 8785 canonical JSON.
    pub fn to_bytes(&self) -> Result<Vec<u8>, DpError> {
        self.check()?;
        let value = serde_json::to_value(self).map_err(|e| DpError::Receipt(e.to_string()))?;
        let bytes = jcs::canonicalize(&value).map_err(|e| DpError::Receipt(e.to_string()))?;
        if bytes.len() > MAX_RECEIPT_BYTES {
            return Err(DpError::Receipt(format!(
                "encoded receipt is {} bytes, more than {MAX_RECEIPT_BYTES}",
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    /// Decode untrusted bytes: at most [`MAX_RECEIPT_BYTES`], strict JSON (no duplicate
    /// names, bounded depth), known fields only, this [`RECEIPT_VERSION`], finite
    /// non-negative `ε` and scales.
    pub fn from_bytes(b: &[u8]) -> Result<Self, DpError> {
        if b.len() > MAX_RECEIPT_BYTES {
            return Err(DpError::Receipt(format!(
                "receipt is {} bytes, more than {MAX_RECEIPT_BYTES}",
                b.len()
            )));
        }
        let value = json::parse_strict(b, MAX_RECEIPT_DEPTH)
            .map_err(|e| DpError::Receipt(e.to_string()))?;
        let receipt: PrivacyReceipt =
            serde_json::from_value(value).map_err(|e| DpError::Receipt(e.to_string()))?;
        receipt.check()?;
        Ok(receipt)
    }

    /// The receipt as the envelope extension [`ExtensionKind::PRIVACY_RECEIPT`].
    pub fn to_extension(&self) -> Result<Extension, DpError> {
        Ok(Extension {
            kind: ExtensionKind::PRIVACY_RECEIPT,
            data: self.to_bytes()?,
        })
    }

    /// Decode a [`ExtensionKind::PRIVACY_RECEIPT`] extension (any other kind is refused).
    pub fn from_extension(extension: &Extension) -> Result<Self, DpError> {
        if extension.kind != ExtensionKind::PRIVACY_RECEIPT {
            return Err(DpError::Receipt(format!(
                "extension kind {} is not a privacy receipt",
                extension.kind.0
            )));
        }
        Self::from_bytes(&extension.data)
    }

    fn check(&self) -> Result<(), DpError> {
        let bad = |what: String| Err(DpError::Receipt(what));
        if self.version != RECEIPT_VERSION {
            return bad(format!("unsupported version {}", self.version));
        }
        if self.entries.len() > MAX_RECEIPT_ENTRIES {
            return bad(format!("more than {MAX_RECEIPT_ENTRIES} entries"));
        }
        if !(self.epsilon.is_finite() && self.epsilon >= 0.0) {
            return bad(format!("bad total ε {}", self.epsilon));
        }
        for e in &self.entries {
            if !(e.epsilon.is_finite() && e.epsilon >= 0.0) {
                return bad(format!("{}: bad ε {}", e.path, e.epsilon));
            }
            if let Some(scale) = e.scale {
                if !(scale.is_finite() && scale > 0.0) {
                    return bad(format!("{}: bad scale {scale}", e.path));
                }
            }
            // Receipts are RFC 8785 JSON, whose numbers are doubles: an integer beyond
            // 2^53 could not be written back exactly, so it is not a receipt value.
            let integers = [
                ("bucket_secs", e.bucket_secs.map(i128::from)),
                ("clamped_min", e.clamped_min.map(i128::from)),
                ("clamped_max", e.clamped_max.map(i128::from)),
            ];
            for (name, v) in integers {
                if v.is_some_and(|v| v.unsigned_abs() > MAX_EXACT_INTEGER) {
                    return bad(format!(
                        "{}: {name} {} is beyond ±2^53, not exact in JSON",
                        e.path,
                        v.unwrap_or_default()
                    ));
                }
            }
        }
        Ok(())
    }
}
