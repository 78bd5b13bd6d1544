//! [`plan`]: which properties of an object a release privatizes, with which mechanism, and
//! what it costs — without drawing noise, so the node can check and charge its budget first.
//!
//! Privacy unit: one internal host or event of the reporting member (each count moves by at
//! most `count_sensitivity`), with the member's sector and region. Guarantee: a release of
//! the planned object is [`Plan::epsilon`]-DP for that unit, where `epsilon` is the privacy
//! map of the OpenDP composition of the planned mechanisms (not a hand-made sum); an object
//! with nothing to privatize costs 0.

use serde_json::Value;

use super::mechanisms::{self, FieldMeasurement, FieldSpec, ReleaseMeasurement};
use super::params::category_index;
use super::time::TIME_PROPERTIES;
use super::{DpError, DpParams};
use crate::stix::StixObject;

/// STIX's largest `count` / `number_observed`.
pub(crate) const STIX_MAX_COUNT: i64 = 999_999_999;
/// 2^53 − 1: the largest integer JSON numbers (IEEE doubles, RFC 8785) carry exactly.
pub(crate) const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;

/// What a release of an object will do and cost, without drawing noise.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Total `ε` of the release (OpenDP composition); 0 when nothing is randomized.
    pub epsilon: f64,
    fields: Vec<PlannedField>,
    times: Vec<String>,
    bucket_secs: u64,
    sensitivity: u32,
}

/// One randomized property of a [`Plan`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedField {
    /// The property it writes.
    pub path: String,
    /// Which true value it reads.
    pub source: Source,
    /// The mechanism.
    pub spec: FieldSpec,
    /// `ε` of this field alone (its OpenDP privacy map).
    pub epsilon: f64,
}

/// Where a planned field's true value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The integer property itself; the noisy value is clamped into `min..=max`.
    Count {
        /// Lowest value released.
        min: i64,
        /// Highest value released.
        max: i64,
    },
    /// [`DpParams::member_sector`] over [`DpParams::sectors`].
    Sector,
    /// [`DpParams::member_region`] over [`DpParams::regions`].
    Region,
}

impl Plan {
    /// The randomized fields, in release order.
    pub fn fields(&self) -> &[PlannedField] {
        &self.fields
    }

    /// The time properties the release coarsens.
    pub fn time_properties(&self) -> &[String] {
        &self.times
    }

    /// The time bucket in seconds.
    pub fn bucket_secs(&self) -> u64 {
        self.bucket_secs
    }

    /// The input distance every privacy map is evaluated at (`count_sensitivity`).
    pub fn sensitivity(&self) -> u32 {
        self.sensitivity
    }
}

/// What a release of `obj` under `params` will do and cost.
pub fn plan(obj: &StixObject, params: &DpParams) -> Result<Plan, DpError> {
    build(obj, params).map(|(plan, _)| plan)
}

/// The plan and, when anything is randomized, the composed OpenDP measurement.
pub(crate) fn build(
    obj: &StixObject,
    params: &DpParams,
) -> Result<(Plan, Option<ReleaseMeasurement>), DpError> {
    params.validate()?;
    let map = obj.json();
    let object_type = obj.object_type();

    let mut wanted: Vec<(String, Source)> = Vec::new();
    let inherent = match object_type {
        "sighting" => Some(("count", 0)),
        "observed-data" => Some(("number_observed", 1)),
        _ => None,
    };
    if let Some((name, min)) = inherent {
        wanted.push((
            name.to_owned(),
            Source::Count {
                min,
                max: STIX_MAX_COUNT,
            },
        ));
    }
    for name in &params.count_properties {
        if !wanted.iter().any(|(n, _)| n == name) {
            wanted.push((
                name.clone(),
                Source::Count {
                    min: 0,
                    max: MAX_SAFE_INTEGER,
                },
            ));
        }
    }
    wanted.retain(|(name, _)| map.contains_key(name));
    for (name, _) in &wanted {
        count_value(map.get(name), name)?;
    }

    let mut specs: Vec<(String, Source, FieldSpec)> = Vec::new();
    if !wanted.is_empty() {
        let scale =
            mechanisms::count_scale(params.count_sensitivity, params.checked_count_epsilon()?)?;
        for (name, source) in wanted {
            specs.push((name, source, FieldSpec::Count { scale }));
        }
    }
    if object_type == "sighting" {
        for (path, source, member, list) in [
            (
                super::SECTOR_PROPERTY,
                Source::Sector,
                &params.member_sector,
                &params.sectors,
            ),
            (
                super::REGION_PROPERTY,
                Source::Region,
                &params.member_region,
                &params.regions,
            ),
        ] {
            if let Some(member) = member {
                category_index(path, list, member)?;
                let epsilon = params.checked_category_epsilon()?;
                let k = list.len();
                specs.push((
                    path.to_owned(),
                    source,
                    FieldSpec::Category {
                        k,
                        prob: mechanisms::rr_probability(epsilon, k),
                    },
                ));
            }
        }
    }

    let d_in = i64::from(params.count_sensitivity);
    let field_specs: Vec<FieldSpec> = specs.iter().map(|(_, _, s)| s.clone()).collect();
    let measured = mechanisms::field_measurements(&field_specs, d_in)?;
    let mut fields = Vec::with_capacity(specs.len());
    let mut measurements: Vec<FieldMeasurement> = Vec::with_capacity(specs.len());
    for ((path, source, spec), (m, epsilon)) in specs.into_iter().zip(measured) {
        if !epsilon.is_finite() {
            return Err(DpError::BadParams(format!(
                "{path}: the mechanism gives no finite ε"
            )));
        }
        fields.push(PlannedField {
            path,
            source,
            spec,
            epsilon,
        });
        measurements.push(m);
    }
    let (epsilon, composed) = match mechanisms::compose(measurements, d_in)? {
        Some((m, epsilon)) => (epsilon, Some(m)),
        None => (0.0, None),
    };
    if !epsilon.is_finite() {
        return Err(DpError::BadParams(
            "the release gives no finite ε".to_owned(),
        ));
    }

    let times = TIME_PROPERTIES
        .iter()
        .filter(|name| map.contains_key(**name))
        .map(|name| (*name).to_owned())
        .collect();

    Ok((
        Plan {
            epsilon,
            fields,
            times,
            bucket_secs: params.time_bucket_secs,
            sensitivity: params.count_sensitivity,
        },
        composed,
    ))
}

/// The integer value of a count property.
pub(crate) fn count_value(value: Option<&Value>, name: &str) -> Result<i64, DpError> {
    let bad = |reason: String| DpError::BadProperty {
        path: name.to_owned(),
        reason,
    };
    let value = value.ok_or_else(|| bad("missing".to_owned()))?;
    value
        .as_i64()
        .ok_or_else(|| bad(format!("a count must be an integer, found {value}")))
}
