//! Empirical differential-privacy audit of the count mechanism.
//!
//! Release the same sighting with neighbouring true counts `c` and `c + 1` (one privacy unit,
//! sensitivity 1) many times each, then for every output event `S` (each single value, each
//! left tail `≤ t` and each right tail `≥ t`) bound `ln(P[M(c) ∈ S] / P[M(c+1) ∈ S])` (and
//! the reverse) from below with one-sided binomial confidence bounds. The bounds are the
//! Chernoff–KL (relative-entropy) bounds — valid for every sample size and slightly more
//! conservative than Clopper–Pearson — at a Bonferroni-corrected level, so with probability
//! at least `1 − 1e-6` every estimate is a true lower bound on the mechanism's privacy loss.
//!
//! The audit asserts that the largest lower bound does not exceed the claimed `ε` (a correct
//! mechanism passes except with probability `1e-6`) and that it exceeds `ε/4` (the audit has
//! the power to see the loss at all). A negative control runs the same audit on a broken
//! mechanism (OpenDP discrete Laplace at half the scale, i.e. true `ε = 2`, claimed `ε = 1`)
//! and asserts the audit catches it.

use std::collections::BTreeMap;

use opendp::domains::AtomDomain;
use opendp::measurements::make_laplace;
use opendp::metrics::AbsoluteDistance;
use serde_json::json;
use shoal_protocol::dp::{plan, release, DpParams};
use shoal_protocol::stix::StixObject;

/// Draws per input. The events that drive the bound (left tails of `M(c+1)` below `c`)
/// have about 10 % mass, i.e. ~5,000 hits: enough for the bound to come within ~0.1 of
/// the true ε = 1.
const DRAWS: usize = 50_000;
/// Total probability that any confidence bound fails.
const ALPHA: f64 = 1e-6;
const TRUE_COUNT: i64 = 100;

fn sighting(count: i64) -> StixObject {
    StixObject::try_from(json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": "sighting--ee20065d-2555-424f-ad9e-0f8428623c75",
        "created": "2016-04-06T20:08:31.000Z",
        "modified": "2016-04-06T20:08:31.000Z",
        "count": count,
        "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    }))
    .unwrap()
}

/// Histogram of `DRAWS` outputs of `draw`.
fn histogram(mut draw: impl FnMut() -> i64) -> BTreeMap<i64, u64> {
    let mut h = BTreeMap::new();
    for _ in 0..DRAWS {
        *h.entry(draw()).or_insert(0) += 1;
    }
    h
}

/// Relative entropy KL(a ‖ b) of Bernoulli distributions.
fn kl(a: f64, b: f64) -> f64 {
    let term = |x: f64, y: f64| if x == 0.0 { 0.0 } else { x * (x / y).ln() };
    term(a, b) + term(1.0 - a, 1.0 - b)
}

/// One-sided Chernoff–KL bound on a binomial proportion from `k` of `n`: the lower bound if
/// `upper` is false, else the upper bound, each failing with probability at most `delta`.
fn bound(k: u64, n: u64, delta: f64, upper: bool) -> f64 {
    let p_hat = k as f64 / n as f64;
    let budget = (1.0 / delta).ln() / n as f64;
    let (mut lo, mut hi) = if upper { (p_hat, 1.0) } else { (0.0, p_hat) };
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let inside = kl(p_hat, mid) <= budget;
        // Inside the set: move outwards; outside: move back towards p_hat.
        match (upper, inside) {
            (true, true) | (false, false) => lo = mid,
            (true, false) | (false, true) => hi = mid,
        }
    }
    if upper {
        hi
    } else {
        lo
    }
}

/// The audit: the largest lower confidence bound on the privacy loss over all events, in
/// both directions.
fn audit(h0: &BTreeMap<i64, u64>, h1: &BTreeMap<i64, u64>) -> f64 {
    let min = *h0.keys().chain(h1.keys()).min().unwrap();
    let max = *h0.keys().chain(h1.keys()).max().unwrap();
    let n = DRAWS as u64;
    let mass = |h: &BTreeMap<i64, u64>, range: std::ops::RangeInclusive<i64>| -> u64 {
        h.range(range).map(|(_, c)| *c).sum()
    };
    let mut events: Vec<(u64, u64)> = Vec::new();
    for t in min..=max {
        events.push((mass(h0, t..=t), mass(h1, t..=t)));
        events.push((mass(h0, min..=t), mass(h1, min..=t)));
        events.push((mass(h0, t..=max), mass(h1, t..=max)));
    }
    // Each event is tested in two directions with two bounds each.
    let delta = ALPHA / (4.0 * events.len() as f64);
    let mut best = f64::NEG_INFINITY;
    for (a, b) in events {
        for (x, y) in [(a, b), (b, a)] {
            if x == 0 {
                continue;
            }
            let lower = bound(x, n, delta, false);
            let upper = bound(y, n, delta, true);
            if lower > 0.0 && upper > 0.0 {
                best = best.max((lower / upper).ln());
            }
        }
    }
    best
}

#[test]
fn count_mechanism_passes_an_empirical_privacy_audit() {
    let params = DpParams {
        count_epsilon: 1.0,
        count_sensitivity: 1,
        ..DpParams::default()
    };
    let claimed = plan(&sighting(TRUE_COUNT), &params).unwrap().epsilon;
    assert!((claimed - 1.0).abs() < 1e-12);

    let run = |count: i64| {
        histogram(|| {
            let obj = sighting(count);
            let p = plan(&obj, &params).unwrap();
            let (out, _) = release(obj, &p, &params).unwrap();
            out.json()["count"].as_i64().unwrap()
        })
    };
    let h0 = run(TRUE_COUNT);
    let h1 = run(TRUE_COUNT + 1);
    let estimate = audit(&h0, &h1);
    eprintln!("audited privacy loss lower bound {estimate:.4} (claimed ε = {claimed})");
    assert!(
        estimate <= claimed + 1e-9,
        "empirical privacy loss {estimate} exceeds the claimed ε {claimed}"
    );
    assert!(
        estimate > claimed / 4.0,
        "the audit is too weak to see the privacy loss at all: {estimate}"
    );
}

#[test]
fn audit_catches_a_mechanism_with_too_little_noise() {
    // Claimed ε = 1 (scale 1) but the noise has scale 0.5: true ε = 2.
    let broken = make_laplace(
        AtomDomain::<i64>::default(),
        AbsoluteDistance::<i64>::default(),
        0.5,
        None,
    )
    .unwrap();
    let h0 = histogram(|| broken.invoke(&TRUE_COUNT).unwrap());
    let h1 = histogram(|| broken.invoke(&(TRUE_COUNT + 1)).unwrap());
    let estimate = audit(&h0, &h1);
    eprintln!("broken mechanism: audited lower bound {estimate:.4} (true ε = 2)");
    assert!(
        estimate > 1.0 + 0.3,
        "the audit missed a broken mechanism: {estimate}"
    );
    assert!(estimate <= 2.0 + 1e-9);
}
