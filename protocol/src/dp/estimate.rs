//! Estimators for receivers of privatized objects: unbiased sums of noisy counts and
//! debiased randomized-response histograms, with variances and 95 % confidence intervals,
//! from the parameters in each object's [`super::PrivacyReceipt`].
//!
//! Privacy unit and guarantee: these functions only post-process released values and public
//! receipt parameters, so they cost no privacy and reveal nothing beyond the releases.
//! Confidence intervals use the normal approximation (`± 1.96 σ`), which is accurate once a
//! handful of releases are pooled; for a single small count prefer the exact tail bounds of
//! the discrete Laplace distribution.
//!
//! # Counts and clamping
//!
//! A count is released as `clamp(c + Z, min, max)` with `P(Z = k) ∝ exp(−|k|/s)` (`s` =
//! receipt `scale`), so `E[c + Z] = c` and `Var Z = 2 e^{−1/s} / (1 − e^{−1/s})²`
//! ([`discrete_laplace_variance`]). [`sum_noisy_counts`] is unbiased for values that were
//! not clamped. Clamping at `min` (0, or 1 for `number_observed`) is post-processing that
//! keeps releases valid but **biases small counts upwards**: `E[max(min, c + Z)] ≥ c`, with
//! equality only in the limit `c − min ≫ s` ([`expected_clamped`] gives the exact mean, so
//! the bias of a sum is the sum of `expected_clamped(c_i) − c_i`, which vanishes
//! geometrically as `c_i` grows). Sums over many small counts should therefore either be
//! debiased with [`expected_clamped`] (solving for `c`), or be read as upper-biased.

use super::mechanisms::rr_probability;
use super::DpError;

/// The standard normal 97.5 % quantile.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A point estimate with its variance and a 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its variance.
    pub variance: f64,
    /// `value ± 1.96 √variance`.
    pub ci95: (f64, f64),
}

impl Estimate {
    /// An estimate with a normal-approximation 95 % interval.
    pub fn new(value: f64, variance: f64) -> Self {
        let half = Z95 * variance.sqrt();
        Self {
            value,
            variance,
            ci95: (value - half, value + half),
        }
    }

    /// An estimate whose uncertainty is unknown (infinite variance, unbounded interval).
    pub fn unknown(value: f64) -> Self {
        Self {
            value,
            variance: f64::INFINITY,
            ci95: (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// Standard error `√variance`.
    pub fn std_error(&self) -> f64 {
        self.variance.sqrt()
    }
}

/// Variance of discrete Laplace noise `P(k) ∝ exp(−|k|/scale)`:
/// `2 e^{−1/s} / (1 − e^{−1/s})²` (≈ `2 s²` for large `s`). 0 for scale 0, NaN for a
/// negative or NaN scale.
pub fn discrete_laplace_variance(scale: f64) -> f64 {
    if scale.is_nan() || scale < 0.0 {
        return f64::NAN;
    }
    if scale == 0.0 {
        return 0.0;
    }
    let q = (-1.0 / scale).exp();
    let one_minus_q = -(-1.0 / scale).exp_m1();
    2.0 * q / (one_minus_q * one_minus_q)
}

/// Sum of noisy counts released with the given scales (one per value): unbiased for the sum
/// of the true counts when no value was clamped (see the module notes), with variance the
/// sum of the noise variances. Mismatched lengths or a bad scale give an estimate of
/// unknown uncertainty ([`Estimate::unknown`]); [`try_sum_noisy_counts`] reports them.
pub fn sum_noisy_counts(values: &[i64], scales: &[f64]) -> Estimate {
    let value = sum(values);
    try_sum_noisy_counts(values, scales).unwrap_or_else(|_| Estimate::unknown(value))
}

/// [`sum_noisy_counts`], refusing mismatched lengths and invalid scales.
pub fn try_sum_noisy_counts(values: &[i64], scales: &[f64]) -> Result<Estimate, DpError> {
    if values.len() != scales.len() {
        return Err(DpError::BadParams(format!(
            "{} values but {} scales",
            values.len(),
            scales.len()
        )));
    }
    let mut variance = 0.0;
    for s in scales {
        let v = discrete_laplace_variance(*s);
        if !v.is_finite() {
            return Err(DpError::BadParams(format!("bad scale {s}")));
        }
        variance += v;
    }
    Ok(Estimate::new(sum(values), variance))
}

fn sum(values: &[i64]) -> f64 {
    values.iter().map(|v| *v as f64).sum()
}

/// The exact mean of a release clamped below: `E[max(min, c + Z)]` for discrete Laplace `Z`
/// of `scale`. With `a = min − c` and `q = e^{−1/s}`:
/// `c + q^{1−a} / (1 − q²)` if `a ≤ 0`, `c + a + q^{1+a} / (1 − q²)` otherwise.
/// The clamping bias is `expected_clamped(c, s, min) − c`.
pub fn expected_clamped(true_count: i64, scale: f64, min: i64) -> f64 {
    let c = true_count as f64;
    if scale.is_nan() || scale <= 0.0 {
        return c.max(min as f64);
    }
    let a = min as f64 - c;
    let q = (-1.0 / scale).exp();
    let denom = -(-2.0 / scale).exp_m1(); // 1 − q²
    if a <= 0.0 {
        c + q.powf(1.0 - a) / denom
    } else {
        c + a + q.powf(1.0 + a) / denom
    }
}

/// `(p, q)` of `k`-ary randomized response with privacy `epsilon`: the probability of
/// reporting the true category, and of reporting one particular other category.
pub fn rr_probabilities(epsilon: f64, k: usize) -> (f64, f64) {
    let p = rr_probability(epsilon, k);
    (p, p * (-epsilon).exp())
}

/// Debiased histogram of the true categories behind `counts` (how many randomized-response
/// reports named each of the `k` categories, all released with the same `epsilon` and
/// category list): one estimate per category of how many reporters truly had it,
/// `N̂_j = (n_j − n q) / (p − q)`, with variance `n λ̂_j (1 − λ̂_j) / (p − q)²`
/// (`λ̂_j = n_j / n`; multinomial sampling plus the randomization). Unbiased; estimates may
/// be negative for rare categories. Invalid input (fewer than 2 categories, `counts.len() ≠
/// k`, `ε ≤ 0`) gives estimates of unknown uncertainty; [`try_rr_debias`] reports it.
pub fn rr_debias(counts: &[u64], epsilon: f64, k: usize) -> Vec<Estimate> {
    try_rr_debias(counts, epsilon, k)
        .unwrap_or_else(|_| counts.iter().map(|_| Estimate::unknown(f64::NAN)).collect())
}

/// [`rr_debias`], refusing invalid input.
pub fn try_rr_debias(counts: &[u64], epsilon: f64, k: usize) -> Result<Vec<Estimate>, DpError> {
    if k < 2 || counts.len() != k {
        return Err(DpError::BadParams(format!(
            "{} counts for {k} categories (at least 2 needed)",
            counts.len()
        )));
    }
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(DpError::BadParams(format!("bad ε {epsilon}")));
    }
    let (p, q) = rr_probabilities(epsilon, k);
    let gap = p - q;
    if gap.is_nan() || gap <= 0.0 {
        return Err(DpError::BadParams(format!(
            "ε {epsilon} is too small to debias"
        )));
    }
    let n: f64 = counts.iter().map(|c| *c as f64).sum();
    Ok(counts
        .iter()
        .map(|c| {
            let nj = *c as f64;
            if n == 0.0 {
                return Estimate::new(0.0, 0.0);
            }
            let lambda = nj / n;
            Estimate::new(
                (nj - n * q) / gap,
                n * lambda * (1.0 - lambda) / (gap * gap),
            )
        })
        .collect())
}

/// [`rr_debias`] as proportions of the reporters (each estimate divided by `n`).
pub fn rr_debias_proportions(counts: &[u64], epsilon: f64, k: usize) -> Vec<Estimate> {
    let n: f64 = counts.iter().map(|c| *c as f64).sum();
    rr_debias(counts, epsilon, k)
        .into_iter()
        .map(|e| {
            if n > 0.0 {
                Estimate::new(e.value / n, e.variance / (n * n))
            } else {
                e
            }
        })
        .collect()
}
