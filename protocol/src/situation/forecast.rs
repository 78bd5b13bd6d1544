//! Short-horizon forecasts with prediction intervals, and alerts when an observed bucket
//! leaves its one-step-ahead interval. Owns Holt's linear trend method (double exponential
//! smoothing) as used by [`super::aggregate()`].
//!
//! # Method
//!
//! * **Initial state**: an ordinary least-squares line through the first `m` points,
//!   `m = clamp(n/2, 2, 6)`.
//! * **Fit**: `(α, β)` on the grid `α ∈ {0.05, 0.10, …, 0.95}`, `β ∈ {0, 0.05, …, 0.50}`
//!   minimising the sum of squared one-step-ahead errors over points `m..n` (ties: the
//!   first on the grid, so results are deterministic).
//! * **Residual scale**: the root mean square of those errors, leaving out errors beyond
//!   [`TRIM`] robust standard deviations (`1.4826 · median |e_t|`) and dividing by
//!   `count − 2` for the two fitted parameters ([`residual_sigma`]: one spike does not
//!   widen every interval), at least [`MIN_SIGMA`] (the series are counts: a quiet series
//!   should not alert on a single sighting).
//! * **One-step intervals** (for alerts): a second pass with the fitted `(α, β)`; from
//!   bucket `max(m, WARMUP)` on, the interval is `ŷ ± 1.96 σ`; an observation outside it
//!   raises an [`Alert`] and is clipped to the interval before it updates the level and
//!   trend, so a spike does not drag the following forecasts (a lasting level shift is
//!   still followed, one interval-width per bucket).
//! * **Forecast**: from the final state of that pass, `ŷ_{n+h} = ℓ + h b` with the 95 %
//!   prediction interval `± 1.96 σ √(1 + Σ_{j=1}^{h−1} α² (1 + jβ)²)` (Hyndman et al.,
//!   ETS(A,A,N)). Intervals are not clipped at 0.
//!
//! Fewer than [`MIN_HISTORY`] points, or any non-finite point or result, give no forecast
//! and no alerts (the JSON never carries a NaN or an infinity).

use serde::{Deserialize, Serialize};

use super::Alert;
use crate::dp::estimate::Z95;

/// Fewest points that give a forecast.
pub const MIN_HISTORY: usize = 4;
/// No alerts before this bucket (nor before the initialisation points).
pub const WARMUP: usize = 4;
/// Buckets forecast past the history by [`super::aggregate()`].
pub const DEFAULT_HORIZON: usize = 6;
/// Smallest residual standard deviation used.
pub const MIN_SIGMA: f64 = 1.0;
/// Method name in [`Forecast::method`].
pub const METHOD: &str = "holt";

/// A forecast of one series past the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// The series forecast, e.g. `sightings`.
    pub series: String,
    /// The method, e.g. `holt`.
    pub method: String,
    /// Level smoothing parameter.
    pub alpha: f64,
    /// Trend smoothing parameter.
    pub beta: f64,
    /// Forecast points.
    pub points: Vec<ForecastPoint>,
}

/// One forecast bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ForecastPoint {
    /// Start of the bucket, Unix seconds.
    pub bucket_start: u64,
    /// Point forecast.
    pub value: f64,
    /// Lower end of the 95 % prediction interval.
    pub pi_low: f64,
    /// Upper end of the 95 % prediction interval.
    pub pi_high: f64,
}

/// A fitted Holt model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoltFit {
    /// Level smoothing parameter.
    pub alpha: f64,
    /// Trend smoothing parameter.
    pub beta: f64,
    /// Residual standard deviation (robust, floored at [`MIN_SIGMA`]).
    pub sigma: f64,
    /// Initialisation points (no intervals before `max(init, WARMUP)`).
    pub init: usize,
}

/// A one-step-ahead prediction with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Point prediction.
    pub predicted: f64,
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

impl Interval {
    /// Whether `y` lies inside (ends included).
    pub fn contains(&self, y: f64) -> bool {
        self.low <= y && y <= self.high
    }
}

fn init_points(n: usize) -> usize {
    (n / 2).clamp(2, 6)
}

/// OLS line through `y`: the state *before* the first point, `(ℓ, b)` such that the
/// first one-step forecast `ℓ + b` is the line's value at 0.
fn initial_state(y: &[f64]) -> (f64, f64) {
    let n = y.len() as f64;
    if y.is_empty() {
        return (0.0, 0.0);
    }
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in y.iter().enumerate() {
        let dx = i as f64 - mean_x;
        sxy += dx * (v - mean_y);
        sxx += dx * dx;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let intercept = mean_y - slope * mean_x;
    (intercept - slope, slope)
}

/// One pass of Holt's recursions. With `clip = Some((sigma, start))`, points from `start`
/// on that fall outside `ŷ ± 1.96 σ` are clipped before updating. Returns the one-step
/// predictions and the final `(ℓ, b)`.
fn pass(
    y: &[f64],
    init: usize,
    alpha: f64,
    beta: f64,
    clip: Option<(f64, usize)>,
) -> (Vec<f64>, f64, f64) {
    let (mut level, mut trend) = initial_state(y.get(..init).unwrap_or(y));
    let mut predictions = Vec::with_capacity(y.len());
    for (t, v) in y.iter().enumerate() {
        let predicted = level + trend;
        predictions.push(predicted);
        let used = match clip {
            Some((sigma, start)) if t >= start => {
                let half = Z95 * sigma;
                v.clamp(predicted - half, predicted + half)
            }
            _ => *v,
        };
        let new_level = alpha * used + (1.0 - alpha) * (level + trend);
        trend = beta * (new_level - level) + (1.0 - beta) * trend;
        level = new_level;
    }
    (predictions, level, trend)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v.get(mid).copied().unwrap_or(0.0)
    } else {
        let a = v.get(mid.saturating_sub(1)).copied().unwrap_or(0.0);
        let b = v.get(mid).copied().unwrap_or(0.0);
        (a + b) / 2.0
    }
}

/// Robust residual standard deviation: the root mean square of the errors within
/// [`TRIM`] robust standard deviations (`1.4826 · median |e|`) of 0, with the degrees of
/// freedom of the two fitted parameters removed. Gaussian errors are all kept (the trim
/// only drops outliers such as spikes), so this is as efficient as the plain residual
/// variance, while one spike cannot widen every interval.
pub fn residual_sigma(errors: &[f64]) -> f64 {
    let robust = 1.482_602_218_505_602 * median(errors.iter().map(|e| e.abs()).collect());
    let kept: Vec<f64> = errors
        .iter()
        .copied()
        .filter(|e| e.abs() <= TRIM * robust)
        .collect();
    let df = (kept.len() as f64 - 2.0).max(1.0);
    (kept.iter().map(|e| e * e).sum::<f64>() / df).sqrt()
}

/// Errors beyond this many robust standard deviations are left out of the residual scale.
pub const TRIM: f64 = 3.5;

/// Fit Holt's method to `y` (see the module notes). `None` with fewer than
/// [`MIN_HISTORY`] points or a non-finite point.
pub fn fit(y: &[f64]) -> Option<HoltFit> {
    if y.len() < MIN_HISTORY || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let init = init_points(y.len());
    let mut best: Option<(f64, f64, f64)> = None;
    for ai in 1..=19u32 {
        let alpha = f64::from(ai) * 0.05;
        for bi in 0..=10u32 {
            let beta = f64::from(bi) * 0.05;
            let (pred, _, _) = pass(y, init, alpha, beta, None);
            let sse: f64 = y
                .iter()
                .zip(&pred)
                .skip(init)
                .map(|(v, p)| (v - p) * (v - p))
                .sum();
            if best.is_none_or(|(s, _, _)| sse < s) {
                best = Some((sse, alpha, beta));
            }
        }
    }
    let (_, alpha, beta) = best?;
    let (pred, _, _) = pass(y, init, alpha, beta, None);
    let errors: Vec<f64> = y.iter().zip(&pred).skip(init).map(|(v, p)| v - p).collect();
    let sigma = residual_sigma(&errors).max(MIN_SIGMA);
    if !sigma.is_finite() {
        return None;
    }
    Some(HoltFit {
        alpha,
        beta,
        sigma,
        init,
    })
}

/// The fitted model's clipped pass: one-step intervals (`None` during the warm-up) and
/// the final state.
fn run(y: &[f64], f: &HoltFit) -> (Vec<Option<Interval>>, f64, f64) {
    let start = f.init.max(WARMUP);
    let (pred, level, trend) = pass(y, f.init, f.alpha, f.beta, Some((f.sigma, start)));
    let half = Z95 * f.sigma;
    let intervals = pred
        .into_iter()
        .enumerate()
        .map(|(t, p)| {
            (t >= start).then_some(Interval {
                predicted: p,
                low: p - half,
                high: p + half,
            })
        })
        .collect();
    (intervals, level, trend)
}

/// One-step-ahead 95 % prediction intervals over the history: entry `t` predicts `y[t]`
/// from `y[..t]` (with the parameters fitted on all of `y`); `None` during the warm-up.
/// Empty when [`fit`] gives nothing.
pub fn one_step_intervals(y: &[f64]) -> Vec<Option<Interval>> {
    match fit(y) {
        Some(f) => run(y, &f).0,
        None => Vec::new(),
    }
}

/// Forecast `horizon` buckets after `y`, the first starting at `first_start`.
pub fn forecast(
    series: &str,
    y: &[f64],
    first_start: u64,
    bucket_secs: u64,
    horizon: usize,
) -> Option<Forecast> {
    let f = fit(y)?;
    let (_, level, trend) = run(y, &f);
    let mut points = Vec::with_capacity(horizon);
    let mut spread = 0.0;
    for h in 1..=horizon {
        let hf = h as f64;
        if h > 1 {
            let j = hf - 1.0;
            let c = f.alpha * (1.0 + j * f.beta);
            spread += c * c;
        }
        let value = level + hf * trend;
        let half = Z95 * f.sigma * (1.0 + spread).sqrt();
        let offset = u64::try_from(h.saturating_sub(1))
            .unwrap_or(u64::MAX)
            .saturating_mul(bucket_secs);
        points.push(ForecastPoint {
            bucket_start: first_start.saturating_add(offset),
            value,
            pi_low: value - half,
            pi_high: value + half,
        });
    }
    if points
        .iter()
        .any(|p| !(p.value.is_finite() && p.pi_low.is_finite() && p.pi_high.is_finite()))
    {
        return None;
    }
    Some(Forecast {
        series: series.to_owned(),
        method: METHOD.to_owned(),
        alpha: f.alpha,
        beta: f.beta,
        points,
    })
}

/// An [`Alert`] for every point of `y` (bucket `t` starting at `from + t·bucket_secs`)
/// outside its one-step-ahead 95 % prediction interval.
pub fn alerts(series: &str, y: &[f64], from: u64, bucket_secs: u64) -> Vec<Alert> {
    let intervals = one_step_intervals(y);
    let mut out = Vec::new();
    for (t, (v, iv)) in y.iter().zip(intervals).enumerate() {
        let Some(iv) = iv else {
            continue;
        };
        if iv.contains(*v) || !(iv.low.is_finite() && iv.high.is_finite()) {
            continue;
        }
        let start = from.saturating_add(
            u64::try_from(t)
                .unwrap_or(u64::MAX)
                .saturating_mul(bucket_secs),
        );
        let when = crate::dp::time::format_unix(i64::try_from(start).unwrap_or(i64::MAX))
            .unwrap_or_else(|_| start.to_string());
        let direction = if *v > iv.high { "above" } else { "below" };
        out.push(Alert {
            series: series.to_owned(),
            bucket_start: start,
            observed: *v,
            predicted_low: iv.low,
            predicted_high: iv.high,
            message: format!(
                "{series}: {v:.1} in the bucket starting {when} is {direction} the 95 % \
                 prediction interval {:.1} to {:.1} (forecast {:.1})",
                iv.low, iv.high, iv.predicted
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_does_not_widen_the_residual_scale() {
        let mut e: Vec<f64> = (0..40)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let calm = residual_sigma(&e);
        e.push(100.0);
        assert!(
            (residual_sigma(&e) - calm).abs() < 0.05,
            "{}",
            residual_sigma(&e)
        );
    }

    #[test]
    fn exact_line_is_followed() {
        let y: Vec<f64> = (0..20).map(|t| 10.0 + 2.0 * f64::from(t)).collect();
        let f = forecast("s", &y, 0, 1, 3).unwrap();
        assert!((f.points[0].value - 50.0).abs() < 1e-6, "{:?}", f.points[0]);
        assert!((f.points[2].value - 54.0).abs() < 1e-6);
        // σ is floored at MIN_SIGMA: intervals never collapse.
        assert!(f.points[0].pi_high - f.points[0].pi_low >= 2.0 * Z95 * MIN_SIGMA - 1e-9);
        assert!(alerts("s", &y, 0, 1).is_empty());
    }
}
