//! Known answers of the exact ROC AUC.

use shoal_simnet::metrics::{roc_auc, MetricsError};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn perfect_separation_is_one_and_reversed_is_zero() {
    let perfect = [(0.9, true), (0.8, true), (0.3, false), (0.1, false)];
    assert_eq!(roc_auc(&perfect), Ok(1.0));
    let reversed: Vec<(f64, bool)> = perfect.iter().map(|(s, p)| (*s, !p)).collect();
    assert_eq!(roc_auc(&reversed), Ok(0.0));
}

#[test]
fn all_ties_are_one_half() {
    let ties = [
        (0.5, true),
        (0.5, false),
        (0.5, false),
        (0.5, true),
        (0.5, true),
    ];
    assert_eq!(roc_auc(&ties), Ok(0.5));
}

/// Positives 0.9, 0.6, 0.4 against negatives 0.5, 0.4, 0.1, pair by pair:
/// 0.9 beats all three (3); 0.6 beats all three (3); 0.4 loses to 0.5, ties 0.4 (½),
/// beats 0.1 (1). 7.5 of 9 pairs: 5/6.
#[test]
fn a_small_case_by_hand() {
    let scores = [
        (0.5, false),
        (0.9, true),
        (0.4, false),
        (0.4, true),
        (0.1, false),
        (0.6, true),
    ];
    let auc = roc_auc(&scores).unwrap_or(f64::NAN);
    assert!(close(auc, 7.5 / 9.0), "{auc}");
}

#[test]
fn one_class_or_nan_is_refused() {
    assert_eq!(
        roc_auc(&[(0.1, true), (0.2, true)]),
        Err(MetricsError::OneClass {
            positives: 2,
            negatives: 0
        })
    );
    assert_eq!(
        roc_auc(&[]),
        Err(MetricsError::OneClass {
            positives: 0,
            negatives: 0
        })
    );
    assert_eq!(
        roc_auc(&[(0.1, true), (f64::NAN, false)]),
        Err(MetricsError::NaN { index: 1 })
    );
}
