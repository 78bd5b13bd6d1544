//! How a member responds to an advisory: its behaviour (normal, slow, stuck at
//! `assessing`, silent) and the delay before each acknowledgement status, drawn from a
//! stream seeded by (run seed, member) for the behaviour and (run seed, advisory,
//! member) for the delays — so a member's plan does not depend on the order the
//! simulator meets members in, nor on churn or the network.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use shoal_protocol::advisory::AckStatus;

use super::spec::{Distribution, Response};
use crate::network::world::mix;

/// A member's disposition for the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers at the configured pace.
    Normal,
    /// Every delay is `slow_factor` times longer.
    Slow,
    /// Acknowledges `received` and `assessing`, never a final status.
    Stuck,
    /// Never acknowledges.
    Silent,
}

impl Behaviour {
    /// Lower-case name (CSV).
    pub fn as_str(self) -> &'static str {
        match self {
            Behaviour::Normal => "normal",
            Behaviour::Slow => "slow",
            Behaviour::Stuck => "stuck",
            Behaviour::Silent => "silent",
        }
    }
}

/// What a member will do about one advisory: each status with its delay after the
/// previous step (the first after the member holds the advisory).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The member's disposition.
    pub behaviour: Behaviour,
    /// `(status, delay in seconds)`, in order.
    pub steps: Vec<(AckStatus, f64)>,
}

fn unit(rng: &mut ChaCha20Rng) -> f64 {
    rng.random_range(f64::MIN_POSITIVE..1.0)
}

/// One delay with median `median` (seconds).
fn delay(r: &Response, rng: &mut ChaCha20Rng, median: f64) -> f64 {
    match r.distribution {
        Distribution::Exponential => -median / std::f64::consts::LN_2 * unit(rng).ln(),
        Distribution::Lognormal => {
            // Box-Muller.
            let (u1, u2) = (unit(rng), unit(rng));
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            median * (r.sigma * z).exp()
        }
    }
}

/// The member's disposition (the same for every advisory of the run).
pub fn behaviour(r: &Response, seed: u64, member: u32) -> Behaviour {
    let mut rng = ChaCha20Rng::seed_from_u64(mix(seed ^ 0xbe4a_7100 ^ mix(u64::from(member))));
    let u = unit(&mut rng);
    if u < r.silent_fraction {
        Behaviour::Silent
    } else if u < r.silent_fraction + r.stuck_fraction {
        Behaviour::Stuck
    } else if unit(&mut rng) < r.slow_fraction {
        Behaviour::Slow
    } else {
        Behaviour::Normal
    }
}

/// The plan of `member` for advisory number `advisory`.
pub fn plan(r: &Response, seed: u64, advisory: usize, member: u32) -> Plan {
    let behaviour = behaviour(r, seed, member);
    let key = (advisory as u64) << 32 | u64::from(member);
    let mut rng = ChaCha20Rng::seed_from_u64(mix(seed ^ 0xd211_1000 ^ mix(key)));
    let factor = if behaviour == Behaviour::Slow {
        r.slow_factor
    } else {
        1.0
    };
    let received = factor * delay(r, &mut rng, r.received_median_s);
    let assessing = factor * delay(r, &mut rng, r.assess_median_s);
    let fin = factor * delay(r, &mut rng, r.final_median_s);
    let final_status = if unit(&mut rng) < r.not_affected_fraction {
        AckStatus::NotAffected
    } else {
        AckStatus::Mitigated
    };
    let steps = match behaviour {
        Behaviour::Silent => Vec::new(),
        Behaviour::Stuck => vec![
            (AckStatus::Received, received),
            (AckStatus::Assessing, assessing),
        ],
        Behaviour::Normal | Behaviour::Slow => vec![
            (AckStatus::Received, received),
            (AckStatus::Assessing, assessing),
            (final_status, fin),
        ],
    };
    Plan { behaviour, steps }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_are_respected_and_plans_are_reproducible() {
        for distribution in [Distribution::Lognormal, Distribution::Exponential] {
            let r = Response {
                distribution,
                silent_fraction: 0.0,
                stuck_fraction: 0.0,
                slow_fraction: 0.0,
                ..Response::default()
            };
            let mut v: Vec<f64> = (0..4000u32)
                .map(|m| plan(&r, 7, 0, m).steps.get(1).map_or(0.0, |s| s.1))
                .collect();
            v.sort_by(f64::total_cmp);
            let median = v.get(v.len() / 2).copied().unwrap_or(0.0);
            assert!(
                (median / r.assess_median_s - 1.0).abs() < 0.1,
                "{distribution:?}: {median}"
            );
            assert_eq!(plan(&r, 7, 0, 5), plan(&r, 7, 0, 5));
        }
        let r = Response {
            silent_fraction: 0.5,
            ..Response::default()
        };
        let silent = (0..1000u32)
            .filter(|m| behaviour(&r, 1, *m) == Behaviour::Silent)
            .count();
        assert!((400..600).contains(&silent), "{silent}");
    }
}
