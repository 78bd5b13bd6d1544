//! Privacy budget accounting: refusals leave the state unchanged and say what is left and
//! when it renews; epochs roll over, the lifetime never resets, a clock going backwards
//! cannot reset anything, and floating-point accumulation cannot overspend.

use proptest::prelude::*;
use shoal_protocol::dp::budget::{Budget, Exhausted, Spent, EPSILON_TOLERANCE};

const DAY: u64 = 86_400;

fn budget() -> Budget {
    Budget {
        epsilon_per_epoch: 1.0,
        lifetime_epsilon: 2.5,
        epoch_secs: DAY,
    }
}

/// Noon of day `d`.
fn noon(d: u64) -> u64 {
    d * DAY + DAY / 2
}

#[test]
fn spends_within_the_epoch_and_refuses_beyond_it_unchanged() {
    let b = budget();
    let s0 = Spent::default();
    let s1 = s0.try_spend(&b, noon(10), 0.6).unwrap();
    assert_eq!(s1.epoch, 10);
    assert!((s1.epoch_spent - 0.6).abs() < 1e-12 && (s1.lifetime_spent - 0.6).abs() < 1e-12);

    let before = s1;
    let err = s1.try_spend(&b, noon(10), 0.5).unwrap_err();
    assert_eq!(s1, before, "a refused spend changes nothing");
    assert_eq!(err.needed, 0.5);
    assert!((err.epoch_remaining - 0.4).abs() < 1e-12);
    assert!((err.lifetime_remaining - 1.9).abs() < 1e-12);
    assert_eq!(err.renews_at_unix, 11 * DAY);
    let text = err.to_string();
    assert!(
        text.contains("needs ε=0.5") && text.contains(&format!("{}", 11 * DAY)),
        "{text}"
    );

    // What is left can still be spent exactly.
    let s2 = s1.try_spend(&b, noon(10), 0.4).unwrap();
    assert!(s2.try_spend(&b, noon(10), 1e-6).is_err());
    let st = s2.status(&b, noon(10));
    assert_eq!(st.epoch_remaining, 0.0);
    assert_eq!(st.renews_at_unix, 11 * DAY);
}

#[test]
fn epoch_rolls_over_at_the_boundary_but_lifetime_never_resets() {
    let b = budget();
    let s = Spent::default().try_spend(&b, 11 * DAY - 1, 1.0).unwrap();
    assert_eq!(s.epoch, 10);
    assert!(s.try_spend(&b, 11 * DAY - 1, 0.1).is_err());
    // The first second of the next epoch renews the epoch allowance.
    let s = s.try_spend(&b, 11 * DAY, 1.0).unwrap();
    assert_eq!(s.epoch, 11);
    assert!((s.epoch_spent - 1.0).abs() < 1e-12);
    assert!((s.lifetime_spent - 2.0).abs() < 1e-12);
    let st = s.status(&b, noon(12));
    assert_eq!((st.epoch, st.epoch_spent), (12, 0.0));
    assert!((st.epoch_remaining - 1.0).abs() < 1e-12);
    assert!((st.lifetime_remaining - 0.5).abs() < 1e-12);
    assert_eq!(st.renews_at_unix, 13 * DAY);

    // Lifetime: only 0.5 left whatever the epoch.
    let s = s.try_spend(&b, noon(12), 0.5).unwrap();
    for day in [13, 100, 10_000] {
        let err = s.try_spend(&b, noon(day), 0.01).unwrap_err();
        assert!(
            err.epoch_remaining > 0.99,
            "the epoch allowance is there..."
        );
        assert!(
            err.lifetime_remaining < 1e-9,
            "...but the lifetime is spent"
        );
        assert_eq!(err.renews_at_unix, (day + 1) * DAY);
    }
}

#[test]
fn time_going_backwards_cannot_reset_the_spend() {
    let b = budget();
    let s = Spent::default().try_spend(&b, noon(20), 1.0).unwrap();
    for earlier in [0, noon(3), noon(19), 20 * DAY] {
        let err = s.try_spend(&b, earlier, 0.1).unwrap_err();
        assert!(err.epoch_remaining < 1e-9);
        assert_eq!(err.renews_at_unix, 21 * DAY, "still epoch 20");
        let st = s.status(&b, earlier);
        assert_eq!(st.epoch, 20);
        assert!((st.epoch_spent - 1.0).abs() < 1e-12);
    }
    // A spend at an earlier clock is charged to the stored (later) epoch.
    let s = Spent::default().try_spend(&b, noon(20), 0.5).unwrap();
    let s = s.try_spend(&b, noon(2), 0.5).unwrap();
    assert_eq!(s.epoch, 20);
    assert!((s.epoch_spent - 1.0).abs() < 1e-12);
}

#[test]
fn invalid_requests_and_budgets_are_refused() {
    let b = budget();
    let s = Spent::default().try_spend(&b, noon(1), 0.5).unwrap();
    for bad in [f64::NAN, -0.1, f64::INFINITY, f64::NEG_INFINITY] {
        let before = s;
        assert!(s.try_spend(&b, noon(1), bad).is_err(), "{bad}");
        assert_eq!(s, before);
    }
    // Zero costs nothing and is always allowed, even when exhausted.
    let full = s.try_spend(&b, noon(1), 0.5).unwrap();
    assert_eq!(full.try_spend(&b, noon(1), 0.0).unwrap(), full);

    let nan_budget = Budget {
        epsilon_per_epoch: f64::NAN,
        ..b
    };
    assert!(Spent::default().try_spend(&nan_budget, 0, 0.1).is_err());
    let corrupt = Spent {
        epoch: 1,
        epoch_spent: f64::NAN,
        lifetime_spent: 0.0,
    };
    assert!(corrupt.try_spend(&b, noon(1), 0.1).is_err());

    // epoch_secs 0: a single epoch that never renews.
    let once = Budget { epoch_secs: 0, ..b };
    let s = Spent::default().try_spend(&once, 5, 1.0).unwrap();
    let err: Exhausted = s.try_spend(&once, u64::MAX, 0.1).unwrap_err();
    assert_eq!(err.renews_at_unix, u64::MAX);
    // Far-future epochs do not overflow.
    let st = Spent::default().status(&b, u64::MAX);
    assert_eq!(st.renews_at_unix, u64::MAX);
}

#[test]
fn many_small_spends_cannot_exceed_the_budget() {
    let b = Budget {
        epsilon_per_epoch: 1.0,
        lifetime_epsilon: 1.0,
        epoch_secs: DAY,
    };
    // 0.1 is not representable: ten of them add up to 1 only approximately; all ten fit,
    // the eleventh does not.
    let mut s = Spent::default();
    for i in 0..10 {
        s = s
            .try_spend(&b, noon(0), 0.1)
            .unwrap_or_else(|e| panic!("spend {i}: {e}"));
    }
    assert!(s.try_spend(&b, noon(0), 0.1).is_err());

    // A flood of tiny charges stops at the limit (plus the tolerance, not more).
    let tiny = 1e-4 / 3.0;
    let mut s = Spent::default();
    let mut accepted = 0u64;
    let mut exact_total = 0.0f64;
    while let Ok(next) = s.try_spend(&b, noon(0), tiny) {
        s = next;
        accepted += 1;
        exact_total += tiny;
        assert!(accepted < 40_000, "never stops");
    }
    assert!(s.epoch_spent <= 1.0 + EPSILON_TOLERANCE);
    assert!(
        s.epoch_spent >= exact_total - 1e-9,
        "the stored spend is never below the sum"
    );
    assert!((accepted as f64 * tiny) <= 1.0 + EPSILON_TOLERANCE);
    assert!(accepted >= 29_990, "{accepted}");

    // Charges smaller than the tolerance cannot sneak past it either.
    let mut s = Spent {
        epoch: 0,
        epoch_spent: 1.0,
        lifetime_spent: 1.0,
    };
    let mut n = 0;
    while let Ok(next) = s.try_spend(&b, noon(0), 1e-12) {
        s = next;
        n += 1;
        assert!(n < 100_000, "never stops");
    }
    assert!(s.epoch_spent <= 1.0 + EPSILON_TOLERANCE);
}

proptest! {
    /// Whatever the sequence of charges and (possibly backwards) clocks, neither the spend
    /// of any epoch nor the lifetime spend exceeds its limit (plus the tolerance), refused
    /// charges change nothing, and the lifetime spend never decreases.
    #[test]
    fn random_sequences_never_overspend(
        steps in prop::collection::vec((0u64..5 * DAY, 0.0f64..0.7), 1..200)
    ) {
        let b = budget();
        let mut s = Spent::default();
        let mut per_epoch = std::collections::HashMap::<u64, f64>::new();
        let mut lifetime = 0.0f64;
        for (now, eps) in steps {
            let before = s;
            match s.try_spend(&b, now, eps) {
                Ok(next) => {
                    prop_assert!(next.lifetime_spent >= before.lifetime_spent);
                    prop_assert!(next.epoch >= before.epoch);
                    *per_epoch.entry(next.epoch).or_default() += eps;
                    lifetime += eps;
                    s = next;
                }
                Err(e) => {
                    prop_assert_eq!(s, before);
                    prop_assert!(e.epoch_remaining >= 0.0 && e.lifetime_remaining >= 0.0);
                    prop_assert!(
                        eps > e.epoch_remaining - EPSILON_TOLERANCE
                            || eps > e.lifetime_remaining - EPSILON_TOLERANCE
                    );
                }
            }
        }
        for spent in per_epoch.values() {
            prop_assert!(*spent <= b.epsilon_per_epoch + EPSILON_TOLERANCE);
        }
        prop_assert!(lifetime <= b.lifetime_epsilon + EPSILON_TOLERANCE);
    }
}
