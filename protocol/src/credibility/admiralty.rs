//! The Admiralty (NATO STANAG 2511) code of an item: source reliability `A`-`F` from the
//! publisher's trust, information credibility `1`-`6` from the evidence about it.

/// Source reliability from the publisher's relative trust (`None`: not in the trust
/// graph at all, "F — cannot be judged").
pub fn reliability(relative_trust: Option<f64>) -> char {
    match relative_trust {
        None => 'F',
        Some(t) if t >= 0.8 => 'A',
        Some(t) if t >= 0.6 => 'B',
        Some(t) if t >= 0.4 => 'C',
        Some(t) if t >= 0.2 => 'D',
        Some(_) => 'E',
    }
}

/// Information credibility from trust-weighted confirmations and refutations: 1
/// confirmed by at least two independent sources and not refuted; 2 probably true; 3
/// possibly true (no reports); 4 doubtful; 5 improbable (refuted, nothing confirms it); 6
/// cannot be judged (retired by its publisher).
pub fn credibility(
    confirmations: usize,
    confirm_weight: f64,
    refutations: usize,
    refute_weight: f64,
    revoked: bool,
) -> char {
    if revoked {
        '6'
    } else if confirmations >= 2 && refutations == 0 {
        '1'
    } else if confirmations > 0 && confirm_weight > refute_weight {
        '2'
    } else if confirmations == 0 && refutations == 0 {
        '3'
    } else if confirmations > 0 {
        '4'
    } else {
        '5'
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(reliability(None), 'F');
        assert_eq!(reliability(Some(0.9)), 'A');
        assert_eq!(reliability(Some(0.5)), 'C');
        assert_eq!(reliability(Some(0.0)), 'E');
        assert_eq!(credibility(3, 2.0, 0, 0.0, false), '1');
        assert_eq!(credibility(1, 1.0, 1, 0.5, false), '2');
        assert_eq!(credibility(0, 0.0, 0, 0.0, false), '3');
        assert_eq!(credibility(1, 0.2, 2, 1.0, false), '4');
        assert_eq!(credibility(0, 0.0, 2, 1.0, false), '5');
        assert_eq!(credibility(5, 5.0, 0, 0.0, true), '6');
    }
}
