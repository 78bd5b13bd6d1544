//! Differential privacy for what a shared STIX object could still reveal about the member
//! that shares it: counts, victim numbers, times, and the member's sector and region.
//!
//! # Privacy unit
//!
//! One **internal host or event** of the reporting member. Such a unit changes every
//! privatized count of one object by at most [`DpParams::count_sensitivity`]; the member's
//! sector and region are protected as a whole (randomized response: any value may be
//! swapped for any other). Formally the private input of one release is the vector of the
//! object's true counts followed by the one-hot encodings of the member's sector and
//! region; neighbouring inputs are at L∞ distance at most `count_sensitivity` (see
//! [`mechanisms`]).
//!
//! # Guarantee
//!
//! A release by [`release`] is `ε`-differentially private (pure DP, OpenDP's
//! `MaxDivergence`) for that unit, where `ε` is [`Plan::epsilon`] = the privacy map of the
//! OpenDP composition of the per-field mechanisms, evaluated at `count_sensitivity`:
//!
//! * counts (`count` of sightings, `number_observed` of observed data, and the configured
//!   [`DpParams::count_properties`]): discrete Laplace noise of scale
//!   `count_sensitivity / count_epsilon` (OpenDP `make_laplace` on `i64`), then clamped
//!   into the range STIX allows (post-processing, free);
//! * the member's sector and region on sightings: `k`-ary randomized response over the
//!   configured lists with `ε = category_epsilon` each (OpenDP `make_randomized_response`),
//!   attached as `x_shoal_sector` / `x_shoal_region`;
//! * times: floored to a bucket (deterministic generalisation, `ε = 0`; it limits precision,
//!   it is not a DP guarantee).
//!
//! Repeated releases compose: the node charges every release's `ε` against a per-epoch and a
//! lifetime budget ([`budget`]) *before* drawing noise. Every release carries a
//! [`PrivacyReceipt`] so receivers can build unbiased aggregates ([`estimate`]).
//!
//! Noise comes from OpenDP's samplers, which draw from OpenSSL's CSPRNG. OpenDP measurements
//! are neither `Send` nor `Sync`: every function here builds the measurements it needs inside
//! the call and keeps none.

pub mod budget;
pub mod estimate;
pub mod mechanisms;
mod params;
mod plan;
mod receipt;
mod release;
pub mod time;

pub use params::{DpParams, DEFAULT_TIME_BUCKET_SECS, MAX_CATEGORIES, MAX_TIME_BUCKET_SECS};
pub use plan::{plan, Plan, PlannedField, Source};
pub use receipt::{
    PrivacyReceipt, ReceiptEntry, MAX_RECEIPT_BYTES, MAX_RECEIPT_ENTRIES, RECEIPT_VERSION,
};
pub use release::{release, release_with, ReleaseFailure, REGION_PROPERTY, SECTOR_PROPERTY};

use crate::stix::ObjectError;

/// Why a plan, a release or a receipt failed.
#[derive(Debug, thiserror::Error)]
pub enum DpError {
    /// OpenDP refused to build, map or run a measurement.
    #[error("OpenDP: {0}")]
    OpenDp(String),
    /// The parameters cannot give a meaningful guarantee (non-positive ε, empty category
    /// list, member sector not in the list, zero bucket ...).
    #[error("bad differential-privacy parameters: {0}")]
    BadParams(String),
    /// A property that must be privatized has an unusable value.
    #[error("property {path}: {reason}")]
    BadProperty {
        /// The property name.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The plan given to [`release`] is not the plan of this object under these parameters.
    #[error("the plan does not match the object and parameters being released")]
    PlanMismatch,
    /// The privatized object failed STIX validation (a bug: releases keep objects valid).
    #[error("privatized object is not valid STIX: {0}")]
    InvalidOutput(#[from] ObjectError),
    /// A receipt could not be encoded or decoded.
    #[error("privacy receipt: {0}")]
    Receipt(String),
}

impl From<opendp::error::Error> for DpError {
    fn from(e: opendp::error::Error) -> Self {
        match e.message {
            Some(message) => DpError::OpenDp(format!("{}: {message}", e.variant)),
            None => DpError::OpenDp(e.variant.to_string()),
        }
    }
}
