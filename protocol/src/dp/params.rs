//! [`DpParams`]: what the node's configuration says to privatize and how strongly.
//!
//! Privacy unit: one internal host or event of the reporting member, which changes each
//! privatized count by at most `count_sensitivity`; the member's sector and region are
//! protected as a whole. The per-field `ε` here are *targets*: the `ε` actually charged is
//! what OpenDP's privacy maps report for the measurements built from them (equal up to
//! rounding towards +∞). Validation refuses parameters that would give no guarantee
//! (non-positive or infinite `ε`, zero sensitivity, fewer than two categories, a member
//! value outside its list) rather than releasing without one.

use std::collections::HashSet;

use super::DpError;

/// Default time bucket: one hour.
pub const DEFAULT_TIME_BUCKET_SECS: u64 = 3_600;
/// Largest time bucket accepted: about 100 years (keeps bucket arithmetic and the receipt's
/// integers far inside exact IEEE-754 range).
pub const MAX_TIME_BUCKET_SECS: u64 = 100 * 366 * 86_400;
/// Most categories in a sector or region list.
pub const MAX_CATEGORIES: usize = 1_024;
/// Largest per-field `ε` accepted. Beyond this randomized response is the identity in
/// floating point, i.e. no privacy at all.
pub(crate) const MAX_FIELD_EPSILON: f64 = 30.0;
/// Most configured count properties.
pub(crate) const MAX_COUNT_PROPERTIES: usize = 64;

/// Differential-privacy parameters of one node (from its configuration), plus the member's
/// true sector and region that randomized response protects.
#[derive(Debug, Clone, PartialEq)]
pub struct DpParams {
    /// `ε` spent on each privatized count (discrete Laplace, scale
    /// `count_sensitivity / count_epsilon`).
    pub count_epsilon: f64,
    /// How much one privacy unit (an internal host or an event) can change any one count.
    pub count_sensitivity: u32,
    /// Extra top-level integer properties to privatize like counts on any object type
    /// (e.g. `x_victim_count`). `count` on sightings and `number_observed` on observed data
    /// are always privatized.
    pub count_properties: Vec<String>,
    /// Times are floored to multiples of this many seconds since the Unix epoch.
    pub time_bucket_secs: u64,
    /// `ε` spent on each of sector and region (randomized response).
    pub category_epsilon: f64,
    /// The member's true sector; `None` attaches no sector.
    pub member_sector: Option<String>,
    /// The member's true region; `None` attaches no region.
    pub member_region: Option<String>,
    /// Every sector a member may report (the randomized-response alphabet, order kept).
    pub sectors: Vec<String>,
    /// Every region a member may report.
    pub regions: Vec<String>,
}

impl Default for DpParams {
    /// `ε = 1` per count and per category, sensitivity 1, one-hour buckets, no sector or
    /// region.
    fn default() -> Self {
        Self {
            count_epsilon: 1.0,
            count_sensitivity: 1,
            count_properties: Vec::new(),
            time_bucket_secs: DEFAULT_TIME_BUCKET_SECS,
            category_epsilon: 1.0,
            member_sector: None,
            member_region: None,
            sectors: Vec::new(),
            regions: Vec::new(),
        }
    }
}

impl DpParams {
    /// Check the parameters that every release uses (sensitivity, bucket, count property
    /// names). Field-specific checks (`ε`, category lists) happen when a field is planned.
    pub fn validate(&self) -> Result<(), DpError> {
        if self.count_sensitivity == 0 {
            return Err(DpError::BadParams(
                "count_sensitivity must be at least 1".to_owned(),
            ));
        }
        if self.time_bucket_secs == 0 || self.time_bucket_secs > MAX_TIME_BUCKET_SECS {
            return Err(DpError::BadParams(format!(
                "time_bucket_secs must be within 1..={MAX_TIME_BUCKET_SECS}, not {}",
                self.time_bucket_secs
            )));
        }
        if self.count_properties.len() > MAX_COUNT_PROPERTIES {
            return Err(DpError::BadParams(format!(
                "at most {MAX_COUNT_PROPERTIES} count properties"
            )));
        }
        if self.count_properties.iter().any(String::is_empty) {
            return Err(DpError::BadParams(
                "count property names must not be empty".to_owned(),
            ));
        }
        Ok(())
    }

    /// The count `ε`, checked.
    pub(crate) fn checked_count_epsilon(&self) -> Result<f64, DpError> {
        field_epsilon("count_epsilon", self.count_epsilon)
    }

    /// The category `ε`, checked.
    pub(crate) fn checked_category_epsilon(&self) -> Result<f64, DpError> {
        field_epsilon("category_epsilon", self.category_epsilon)
    }
}

fn field_epsilon(name: &str, epsilon: f64) -> Result<f64, DpError> {
    if epsilon.is_finite() && epsilon > 0.0 && epsilon <= MAX_FIELD_EPSILON {
        Ok(epsilon)
    } else {
        Err(DpError::BadParams(format!(
            "{name} must be within (0, {MAX_FIELD_EPSILON}], not {epsilon}"
        )))
    }
}

/// Check a category list and find the member's value in it: at least two distinct,
/// non-empty entries, at most [`MAX_CATEGORIES`], and the member's value among them.
pub(crate) fn category_index(
    what: &str,
    categories: &[String],
    member_value: &str,
) -> Result<usize, DpError> {
    if categories.len() < 2 || categories.len() > MAX_CATEGORIES {
        return Err(DpError::BadParams(format!(
            "the {what} list needs 2..={MAX_CATEGORIES} entries for randomized response, has {}",
            categories.len()
        )));
    }
    let mut seen = HashSet::with_capacity(categories.len());
    for c in categories {
        if c.is_empty() || !seen.insert(c.as_str()) {
            return Err(DpError::BadParams(format!(
                "the {what} list must hold distinct non-empty names ({c:?})"
            )));
        }
    }
    categories
        .iter()
        .position(|c| c == member_value)
        .ok_or_else(|| {
            DpError::BadParams(format!(
                "the member's {what} {member_value:?} is not in the configured {what} list"
            ))
        })
}
