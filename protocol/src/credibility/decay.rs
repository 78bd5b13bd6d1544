//! Age decay of a claim's credibility, after MISP's polynomial decay model:
//! `factor = max(0, 1 − (age / lifetime)^(1/δ))`, with a lifetime and a speed `δ` per
//! observable type (IP addresses go stale in weeks, file hashes in a year). The clock
//! restarts at the latest confirmation: a new sighting resets it.

/// Lifetime (seconds) and speed `δ` for an observable type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecayModel {
    /// Seconds after which the claim has decayed to 0.
    pub lifetime_secs: u64,
    /// MISP's decay speed `δ`: below 1, the score holds longer and drops late.
    pub speed: f64,
}

const DAY: u64 = 86_400;

/// The model for an observable type (`None`: the default).
pub fn model_for(observable: Option<&str>) -> DecayModel {
    let (days, speed): (u64, f64) = match observable.unwrap_or("") {
        "ipv4-addr" | "ipv6-addr" | "network-traffic" => (30, 0.5),
        "url" => (60, 0.5),
        "domain-name" | "email-addr" | "email-message" => (120, 0.4),
        "file" | "artifact" => (365, 0.3),
        "malware" | "threat-actor" | "intrusion-set" | "campaign" | "attack-pattern" | "tool"
        | "vulnerability" => (730, 0.3),
        _ => (180, 0.4),
    };
    DecayModel {
        lifetime_secs: days.saturating_mul(DAY),
        speed,
    }
}

/// The decay factor in `[0, 1]` of something `age_secs` old under `model`.
pub fn factor(age_secs: u64, model: &DecayModel) -> f64 {
    if model.lifetime_secs == 0 || age_secs >= model.lifetime_secs {
        return 0.0;
    }
    let x = age_secs as f64 / model.lifetime_secs as f64;
    (1.0 - x.powf(1.0 / model.speed)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_follows_misp_polynomial_model() {
        let m = DecayModel {
            lifetime_secs: 100,
            speed: 1.0,
        };
        assert_eq!(factor(0, &m), 1.0);
        assert!((factor(25, &m) - 0.75).abs() < 1e-12);
        assert_eq!(factor(100, &m), 0.0);
        assert_eq!(factor(1000, &m), 0.0);
        // δ = 0.5: 1 − (1/2)² = 0.75 at half the lifetime.
        let slow = DecayModel {
            lifetime_secs: 100,
            speed: 0.5,
        };
        assert!((factor(50, &slow) - 0.75).abs() < 1e-12);
        assert!(model_for(Some("ipv4-addr")).lifetime_secs < model_for(Some("file")).lifetime_secs);
        assert_eq!(model_for(None), model_for(Some("x-unknown")));
    }
}
