//! The OpenDP measurements behind a release, and their composition.
//!
//! # Privacy unit and input space
//!
//! One internal host or event of the reporting member. The private input of one release is
//! a vector of `i64`: the object's true counts, one coordinate each, followed by the one-hot
//! encodings (0/1 coordinates) of the member's sector and region. One privacy unit changes
//! each count by at most `count_sensitivity` and may replace the sector and the region by
//! any other value, which moves every coordinate by at most `max(count_sensitivity, 1)`;
//! so neighbouring inputs are those at OpenDP `LInfDistance` at most `count_sensitivity`
//! (which is at least 1), and `d_in = count_sensitivity` is where every privacy map is
//! evaluated.
//!
//! # Mechanisms (all OpenDP; no noise is drawn here by hand)
//!
//! * A count: the projection to its coordinate (stability `d ↦ d`, since
//!   `|x_i − x'_i| ≤ max_j |x_j − x'_j|`) chained with `make_laplace` on
//!   `(AtomDomain<i64>, AbsoluteDistance<i64>)`: discrete Laplace noise,
//!   `P(k) ∝ exp(−|k|/scale)`, privacy map `d ↦ d / scale`.
//! * A category: the projection to the index of its one-hot block (stability `d ↦ 0` if
//!   `d = 0`, else `1`: equal inputs have equal indices and the discrete metric is at most 1)
//!   chained with `make_randomized_response` over the indices `0..k`: the true index with
//!   probability `p`, otherwise one of the `k − 1` others uniformly; privacy map
//!   `ln(p (k − 1) / (1 − p))`.
//! * The release: `make_composition` of those (basic composition of pure DP: the privacy
//!   maps add up, rounded towards +∞).
//!
//! OpenDP measurements are neither `Send` nor `Sync`; these functions build them on each
//! call.

use std::backtrace::Backtrace;
use std::collections::HashSet;

use opendp::combinators::{make_chain_mt, make_composition};
use opendp::core::{Function, Measurement, StabilityMap, Transformation};
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::error::{Error as OpenDpError, ErrorVariant};
use opendp::measurements::{make_laplace, make_randomized_response};
use opendp::measures::MaxDivergence;
use opendp::metrics::{AbsoluteDistance, DiscreteDistance, LInfDistance};

use super::DpError;

/// Discrete Laplace on one integer: OpenDP `make_laplace` over `AtomDomain<i64>`.
pub type CountMeasurement = Measurement<AtomDomain<i64>, AbsoluteDistance<i64>, MaxDivergence, i64>;
/// Randomized response over category indices `0..k`.
pub type CategoryMeasurement = Measurement<AtomDomain<i64>, DiscreteDistance, MaxDivergence, i64>;
/// The private input of a release (see the module documentation).
pub type InputDomain = VectorDomain<AtomDomain<i64>>;
/// Projection of the private input to one count.
type CountProjection =
    Transformation<InputDomain, LInfDistance<i64>, AtomDomain<i64>, AbsoluteDistance<i64>>;
/// Projection of the private input to one category index.
type CategoryProjection =
    Transformation<InputDomain, LInfDistance<i64>, AtomDomain<i64>, DiscreteDistance>;
/// One field's mechanism, on the whole private input.
pub type FieldMeasurement = Measurement<InputDomain, LInfDistance<i64>, MaxDivergence, i64>;
/// All of a release's mechanisms, composed: one output per field, in order.
pub type ReleaseMeasurement = Measurement<InputDomain, LInfDistance<i64>, MaxDivergence, Vec<i64>>;

/// One field's mechanism, described by value (what a [`super::Plan`] holds).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSpec {
    /// Discrete Laplace noise of this scale on one count.
    Count {
        /// `count_sensitivity / count_epsilon`.
        scale: f64,
    },
    /// Randomized response over `k` categories, honest with probability `prob`.
    Category {
        /// Number of categories.
        k: usize,
        /// Probability of reporting the true category.
        prob: f64,
    },
}

impl FieldSpec {
    /// How many input coordinates the field occupies.
    pub fn width(&self) -> usize {
        match self {
            FieldSpec::Count { .. } => 1,
            FieldSpec::Category { k, .. } => *k,
        }
    }
}

/// The discrete Laplace scale that gives `epsilon` for `sensitivity`:
/// `sensitivity / epsilon`.
pub fn count_scale(sensitivity: u32, epsilon: f64) -> Result<f64, DpError> {
    let scale = f64::from(sensitivity) / epsilon;
    if scale.is_finite() && scale > 0.0 {
        Ok(scale)
    } else {
        Err(DpError::BadParams(format!(
            "no discrete Laplace scale for sensitivity {sensitivity} and ε {epsilon}"
        )))
    }
}

/// The probability of an honest answer that gives `k`-ary randomized response privacy
/// `epsilon`: `e^ε / (e^ε + k − 1)` (computed as `1 / (1 + (k − 1) e^{−ε})`).
pub fn rr_probability(epsilon: f64, k: usize) -> f64 {
    let others = k.saturating_sub(1) as f64;
    1.0 / (1.0 + others * (-epsilon).exp())
}

/// OpenDP's discrete Laplace mechanism on one `i64` (`make_laplace`, pure DP).
pub fn count_measurement(scale: f64) -> Result<CountMeasurement, DpError> {
    Ok(make_laplace(
        AtomDomain::<i64>::default(),
        AbsoluteDistance::<i64>::default(),
        scale,
        None,
    )?)
}

/// OpenDP's randomized response over the category indices `0..k`.
pub fn category_measurement(k: usize, prob: f64) -> Result<CategoryMeasurement, DpError> {
    let k = i64::try_from(k).map_err(|_| DpError::BadParams("too many categories".to_owned()))?;
    let indices: HashSet<i64> = (0..k).collect();
    Ok(make_randomized_response(indices, prob)?)
}

fn opendp_error(message: String) -> OpenDpError {
    OpenDpError {
        variant: ErrorVariant::FailedFunction,
        message: Some(message),
        backtrace: Backtrace::capture(),
    }
}

fn input_domain(width: usize) -> InputDomain {
    VectorDomain::new(AtomDomain::default()).with_size(width)
}

/// The projection of the private input to coordinate `at` (a count).
fn project_count(width: usize, at: usize) -> Result<CountProjection, DpError> {
    Ok(Transformation::new(
        input_domain(width),
        LInfDistance::default(),
        AtomDomain::default(),
        AbsoluteDistance::default(),
        Function::new_fallible(move |x: &Vec<i64>| {
            x.get(at)
                .copied()
                .ok_or_else(|| opendp_error(format!("input has no coordinate {at}")))
        }),
        // |x_at − x'_at| ≤ max_j |x_j − x'_j|.
        StabilityMap::new(|d_in: &i64| *d_in),
    )?)
}

/// The projection of the private input to the index of the one-hot block at `at..at + k`
/// (`-1`, which randomized response answers uniformly, when the block has no single 1).
fn project_category(width: usize, at: usize, k: usize) -> Result<CategoryProjection, DpError> {
    Ok(Transformation::new(
        input_domain(width),
        LInfDistance::default(),
        AtomDomain::default(),
        DiscreteDistance,
        Function::new_fallible(move |x: &Vec<i64>| {
            let block = at
                .checked_add(k)
                .and_then(|end| x.get(at..end))
                .ok_or_else(|| opendp_error(format!("input has no block {at}+{k}")))?;
            let mut ones = block.iter().enumerate().filter(|(_, v)| **v == 1);
            Ok(match (ones.next(), ones.next()) {
                (Some((i, _)), None) => i64::try_from(i).unwrap_or(-1),
                _ => -1,
            })
        }),
        // Equal inputs give equal indices; the discrete distance is never more than 1.
        StabilityMap::new_fallible(|d_in: &i64| match *d_in {
            0 => Ok(0u32),
            d if d > 0 => Ok(1u32),
            d => Err(opendp_error(format!("negative input distance {d}"))),
        }),
    )?)
}

/// Every field's mechanism on the whole private input (in `specs` order), each with its
/// privacy map evaluated at `d_in`.
pub fn field_measurements(
    specs: &[FieldSpec],
    d_in: i64,
) -> Result<Vec<(FieldMeasurement, f64)>, DpError> {
    let width = specs
        .iter()
        .try_fold(0usize, |acc, s| acc.checked_add(s.width()))
        .ok_or_else(|| DpError::BadParams("too many fields".to_owned()))?;
    let mut at = 0usize;
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        let m = match spec {
            FieldSpec::Count { scale } => {
                make_chain_mt(&count_measurement(*scale)?, &project_count(width, at)?)?
            }
            FieldSpec::Category { k, prob } => make_chain_mt(
                &category_measurement(*k, *prob)?,
                &project_category(width, at, *k)?,
            )?,
        };
        let epsilon = m.map(&d_in)?;
        out.push((m, epsilon));
        at = at
            .checked_add(spec.width())
            .ok_or_else(|| DpError::BadParams("too many fields".to_owned()))?;
    }
    Ok(out)
}

/// The composition (OpenDP `make_composition`) of the given field measurements and its
/// privacy map at `d_in`; `None` when there are no fields (nothing is released, `ε = 0`).
pub fn compose(
    fields: Vec<FieldMeasurement>,
    d_in: i64,
) -> Result<Option<(ReleaseMeasurement, f64)>, DpError> {
    if fields.is_empty() {
        return Ok(None);
    }
    let composed = make_composition(fields)?;
    let epsilon = composed.map(&d_in)?;
    Ok(Some((composed, epsilon)))
}

/// The private input vector for `specs`: each count's value, and for each category a
/// one-hot block with a 1 at the given index. `values` holds one entry per spec: the count,
/// or the category index.
pub fn encode_input(specs: &[FieldSpec], values: &[i64]) -> Result<Vec<i64>, DpError> {
    if specs.len() != values.len() {
        return Err(DpError::BadParams(
            "one value per field is needed".to_owned(),
        ));
    }
    let mut x = Vec::new();
    for (spec, value) in specs.iter().zip(values) {
        match spec {
            FieldSpec::Count { .. } => x.push(*value),
            FieldSpec::Category { k, .. } => {
                let index = usize::try_from(*value)
                    .ok()
                    .filter(|i| i < k)
                    .ok_or_else(|| {
                        DpError::BadParams(format!("category index {value} out of range"))
                    })?;
                x.extend((0..*k).map(|i| i64::from(i == index)));
            }
        }
    }
    Ok(x)
}
