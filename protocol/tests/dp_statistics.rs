//! Statistical checks of released values (the noise comes from OpenSSL's CSPRNG through
//! OpenDP, which cannot be seeded, so every bound has at least a 6σ margin: a correct
//! implementation fails one of these tests with probability below about 1e-8 each).
//!
//! * released counts (true count 1000, never clamped) have mean 1000 and the variance
//!   `discrete_laplace_variance(scale)` of the receipt's scale;
//! * the variance formula matches the discrete Laplace pmf summed numerically;
//! * clamped releases of 0 have the mean `expected_clamped` predicts (the documented bias);
//! * sums of noisy counts have 95 % intervals that cover the truth about 95 % of the time;
//! * a debiased randomized-response histogram over many simulated members recovers the true
//!   sector distribution, with the variance the estimator claims.

use serde_json::json;
use shoal_protocol::dp::estimate::{
    discrete_laplace_variance, expected_clamped, rr_debias, rr_debias_proportions,
    rr_probabilities, sum_noisy_counts, try_rr_debias, try_sum_noisy_counts,
};
use shoal_protocol::dp::{plan, release, DpParams, PrivacyReceipt};
use shoal_protocol::stix::StixObject;

const DRAWS: usize = 20_000;

fn sighting(count: Option<i64>) -> StixObject {
    let mut v = json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
        "created": "2016-04-06T20:08:31.000Z",
        "modified": "2016-04-06T20:08:31.000Z",
        "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    });
    if let Some(c) = count {
        v["count"] = json!(c);
    }
    StixObject::try_from(v).unwrap()
}

fn count_params(epsilon: f64) -> DpParams {
    DpParams {
        count_epsilon: epsilon,
        count_sensitivity: 1,
        ..DpParams::default()
    }
}

/// `n` releases of a sighting with this true count: the released counts and the receipt's
/// scale.
fn released_counts(true_count: i64, params: &DpParams, n: usize) -> (Vec<i64>, f64) {
    let mut out = Vec::with_capacity(n);
    let mut scale = None;
    for _ in 0..n {
        let obj = sighting(Some(true_count));
        let p = plan(&obj, params).unwrap();
        let (released, receipt) = release(obj, &p, params).unwrap();
        out.push(released.json()["count"].as_i64().unwrap());
        let s = receipt
            .entries
            .iter()
            .find(|e| e.path == "count")
            .unwrap()
            .scale;
        assert!(scale.is_none() || scale == s);
        scale = s;
    }
    (out, scale.unwrap())
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Central moments 2 and 4 of discrete Laplace(scale), by summing its pmf.
fn pmf_moments(scale: f64) -> (f64, f64) {
    let q = (-1.0 / scale).exp();
    let norm = (1.0 - q) / (1.0 + q);
    let (mut m2, mut m4) = (0.0, 0.0);
    for k in 1..100_000i64 {
        let p = 2.0 * norm * q.powi(k as i32);
        let k = k as f64;
        m2 += k * k * p;
        m4 += k * k * k * k * p;
        if p < 1e-300 {
            break;
        }
    }
    (m2, m4)
}

#[test]
fn variance_formula_matches_the_pmf() {
    for scale in [0.3, 1.0, 2.0, 7.5, 40.0] {
        let (m2, _) = pmf_moments(scale);
        let v = discrete_laplace_variance(scale);
        assert!(
            (v - m2).abs() <= 1e-9 * m2.max(1e-300),
            "scale {scale}: {v} vs {m2}"
        );
    }
    assert_eq!(discrete_laplace_variance(0.0), 0.0);
    assert!(discrete_laplace_variance(-1.0).is_nan());
    // Large scales approach the continuous Laplace variance 2s².
    let s = 1e4;
    assert!((discrete_laplace_variance(s) / (2.0 * s * s) - 1.0).abs() < 1e-6);
}

#[test]
fn released_counts_are_unbiased_with_the_receipt_variance() {
    let params = count_params(0.5);
    let (counts, scale) = released_counts(1000, &params, DRAWS);
    assert_eq!(scale, 2.0);
    let xs: Vec<f64> = counts.iter().map(|c| *c as f64).collect();
    assert!(
        xs.iter().all(|x| *x > 0.0),
        "1000 is never clamped at this scale"
    );

    let var = discrete_laplace_variance(scale);
    let (m2, m4) = pmf_moments(scale);
    assert!((var - m2).abs() < 1e-9 * m2);
    let n = xs.len() as f64;

    let m = mean(&xs);
    let se_mean = (var / n).sqrt();
    assert!(
        (m - 1000.0).abs() < 6.0 * se_mean,
        "mean {m}, 6σ = {}",
        6.0 * se_mean
    );

    // Sample variance about the known mean: its sd is √((μ4 − σ⁴)/n).
    let s2 = xs.iter().map(|x| (x - 1000.0).powi(2)).sum::<f64>() / n;
    let se_var = ((m4 - var * var) / n).sqrt();
    assert!(
        (s2 - var).abs() < 6.0 * se_var,
        "variance {s2} vs {var}, 6σ = {}",
        6.0 * se_var
    );

    // The same draws through the sum estimator: 200 sums of 100 releases each.
    let mut covered = 0;
    for chunk in counts.chunks(100) {
        let est = sum_noisy_counts(chunk, &vec![scale; chunk.len()]);
        assert!((est.variance - 100.0 * var).abs() < 1e-9 * est.variance);
        if est.ci95.0 <= 100_000.0 && 100_000.0 <= est.ci95.1 {
            covered += 1;
        }
    }
    // Binomial(200, 0.95): sd ≈ 3.1, so 6σ ≈ 18.5.
    assert!(
        covered >= 171,
        "95% intervals covered the truth {covered}/200 times"
    );
}

#[test]
fn clamped_releases_have_the_documented_bias() {
    let params = count_params(0.5);
    let (counts, scale) = released_counts(0, &params, DRAWS);
    assert!(counts.iter().all(|c| *c >= 0));
    let xs: Vec<f64> = counts.iter().map(|c| *c as f64).collect();
    let m = mean(&xs);
    let sd = (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
    let expected = expected_clamped(0, scale, 0);
    assert!(
        expected > 0.5,
        "clamping at 0 biases a true 0 upwards: {expected}"
    );
    assert!(
        (m - expected).abs() < 6.0 * sd / (xs.len() as f64).sqrt(),
        "mean {m}, expected {expected}"
    );
    // Far from the clamp the bias vanishes.
    assert!((expected_clamped(1000, scale, 0) - 1000.0).abs() < 1e-12);
    // Closed form against the pmf for a few cases.
    for (c, min) in [(0i64, 0i64), (3, 0), (1, 1), (-2, 0), (5, 1)] {
        let q = (-1.0f64 / scale).exp();
        let norm = (1.0 - q) / (1.0 + q);
        let exact: f64 = (-400i64..=400)
            .map(|z| (c + z).max(min) as f64 * norm * q.powi(z.abs() as i32))
            .sum();
        assert!(
            (expected_clamped(c, scale, min) - exact).abs() < 1e-9,
            "{c} {min}"
        );
    }
}

#[test]
fn estimator_inputs_are_checked() {
    assert!(try_sum_noisy_counts(&[1, 2], &[1.0]).is_err());
    assert!(try_sum_noisy_counts(&[1], &[f64::NAN]).is_err());
    let e = sum_noisy_counts(&[1, 2], &[1.0]);
    assert_eq!(e.value, 3.0);
    assert!(e.variance.is_infinite());
    assert!(try_rr_debias(&[1, 2], 1.0, 3).is_err());
    assert!(try_rr_debias(&[1, 2], 0.0, 2).is_err());
    assert!(try_rr_debias(&[1], 1.0, 1).is_err());
    assert!(rr_debias(&[1, 2], f64::NAN, 2)
        .iter()
        .all(|e| e.variance.is_infinite()));
    assert_eq!(try_rr_debias(&[0, 0], 1.0, 2).unwrap()[0].value, 0.0);
}

#[test]
fn debiased_sector_histogram_recovers_the_true_distribution() {
    let sectors: Vec<String> = ["energy", "finance", "health", "government", "retail"]
        .map(String::from)
        .to_vec();
    let truth = [0.40, 0.25, 0.20, 0.10, 0.05];
    let k = sectors.len();
    let mut members = Vec::with_capacity(DRAWS);
    for (j, share) in truth.iter().enumerate() {
        members.extend(std::iter::repeat_n(
            j,
            (share * DRAWS as f64).round() as usize,
        ));
    }
    assert_eq!(members.len(), DRAWS);

    let mut reported = vec![0u64; k];
    let mut receipt: Option<PrivacyReceipt> = None;
    for &j in &members {
        let params = DpParams {
            category_epsilon: 1.0,
            member_sector: Some(sectors[j].clone()),
            sectors: sectors.clone(),
            ..DpParams::default()
        };
        let obj = sighting(None);
        let p = plan(&obj, &params).unwrap();
        let (out, r) = release(obj, &p, &params).unwrap();
        let name = out.json()["x_shoal_sector"].as_str().unwrap();
        reported[sectors.iter().position(|s| s == name).unwrap()] += 1;
        receipt = Some(r);
    }
    let receipt = receipt.unwrap();
    let entry = &receipt.entries[0];
    assert_eq!(entry.path, "x_shoal_sector");
    assert_eq!(entry.categories.as_deref(), Some(&sectors[..]));
    let epsilon = entry.epsilon;
    assert!((epsilon - 1.0).abs() < 1e-12);

    let n = DRAWS as f64;
    let (p, q) = rr_probabilities(epsilon, k);
    let proportions = rr_debias_proportions(&reported, epsilon, k);
    let counts = rr_debias(&reported, epsilon, k);
    for j in 0..k {
        let est = proportions[j];
        // The estimator's own variance should match the theoretical one.
        let lambda = q + truth[j] * (p - q);
        let theory = lambda * (1.0 - lambda) / (n * (p - q).powi(2));
        assert!(
            (est.variance / theory - 1.0).abs() < 0.15,
            "sector {j}: variance {} vs {theory}",
            est.variance
        );
        assert!(
            (est.value - truth[j]).abs() < 6.0 * theory.sqrt(),
            "sector {j}: {} vs {} (6σ = {})",
            est.value,
            truth[j],
            6.0 * theory.sqrt()
        );
        assert!((counts[j].value - est.value * n).abs() < 1e-6);
    }
    // Randomized response hides individuals: the raw histogram is visibly flattened.
    let raw_top = reported[0] as f64 / n;
    assert!(
        raw_top < 0.40 - 0.05,
        "raw share of the top sector {raw_top}"
    );
    let total: f64 = proportions.iter().map(|e| e.value).sum();
    assert!(
        (total - 1.0).abs() < 1e-9,
        "debiased shares sum to 1: {total}"
    );
}
