//! The `[drill]` table of a network scenario: which anchor publishes which advisories
//! (when, how severe, the deadline, the drill flag) and how members respond (a seeded
//! delay distribution per status, slow, stuck and silent members). Unknown keys are
//! refused by serde; [`DrillSpec::validate`] range-checks every value and names the key
//! (`drill.advisories.deadline_s`, with the advisory's number in the message).

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use shoal_protocol::advisory::Severity;

use crate::network::scenario::{fraction, invalid, positive, NetScenarioError};

/// `[drill]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DrillSpec {
    /// Which anchor publishes (0-based, among `nodes.anchors`).
    pub anchor: usize,
    /// Whether advisories and acks go on the priority topic: they are sent ahead of
    /// ordinary traffic (no queueing behind the sender's uplink load).
    pub priority: bool,
    /// Least wire size of an advisory envelope (bytes; the real envelope when larger).
    pub advisory_bytes: usize,
    /// Least wire size of an acknowledgement envelope (bytes).
    pub ack_bytes: usize,
    /// The advisories (`[[drill.advisories]]`), at least one.
    pub advisories: Vec<DrillAdvisory>,
    /// How members respond.
    pub response: Response,
}

/// One `[[drill.advisories]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillAdvisory {
    /// When the anchor publishes it (simulated seconds).
    pub at_s: f64,
    /// `critical`, `high`, `medium` or `low`.
    #[serde(default = "default_severity")]
    pub severity: String,
    /// Deadline, in seconds after publication.
    pub deadline_s: f64,
    /// The advisory's `drill` flag (an exercise, not a real emergency).
    #[serde(default = "default_true")]
    pub drill: bool,
}

/// The shape of a response delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    /// Log-normal around the median with `response.sigma`.
    Lognormal,
    /// Exponential with the given median (mean = median / ln 2).
    Exponential,
}

/// `[drill.response]`: each member's delays, drawn from its own seeded stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Response {
    /// Shape of every delay.
    pub distribution: Distribution,
    /// Median delay from holding the advisory to the `received` ack (seconds).
    pub received_median_s: f64,
    /// Median delay from `received` to `assessing` (seconds).
    pub assess_median_s: f64,
    /// Median delay from `assessing` to the final status (seconds).
    pub final_median_s: f64,
    /// Log-normal sigma (ignored for `exponential`).
    pub sigma: f64,
    /// Share of members whose every delay is `slow_factor` times longer.
    pub slow_fraction: f64,
    /// How much slower the slow members are (at least 1).
    pub slow_factor: f64,
    /// Share of members that never acknowledge.
    pub silent_fraction: f64,
    /// Share of members that stop at `assessing` (never a final status).
    pub stuck_fraction: f64,
    /// Share of final statuses that are `not_affected` (the rest `mitigated`).
    pub not_affected_fraction: f64,
}

fn default_severity() -> String {
    "critical".into()
}

fn default_true() -> bool {
    true
}

impl Default for DrillSpec {
    fn default() -> Self {
        Self {
            anchor: 0,
            priority: true,
            advisory_bytes: 0,
            ack_bytes: 0,
            advisories: Vec::new(),
            response: Response::default(),
        }
    }
}

impl Default for Response {
    fn default() -> Self {
        Self {
            distribution: Distribution::Lognormal,
            received_median_s: 30.0,
            assess_median_s: 300.0,
            final_median_s: 900.0,
            sigma: 0.8,
            slow_fraction: 0.1,
            slow_factor: 4.0,
            silent_fraction: 0.02,
            stuck_fraction: 0.05,
            not_affected_fraction: 0.4,
        }
    }
}

impl DrillSpec {
    /// The severity of advisory `i` (validated).
    pub fn severity(&self, i: usize) -> Option<Severity> {
        self.advisories
            .get(i)
            .and_then(|a| Severity::from_str(&a.severity).ok())
    }

    /// Check every value against the scenario it is part of (`anchors`, `duration_s`).
    pub fn validate(&self, anchors: usize, duration_s: f64) -> Result<(), NetScenarioError> {
        if anchors == 0 {
            return Err(invalid("drill.anchor", "a drill needs nodes.anchors ≥ 1"));
        }
        if self.anchor >= anchors {
            return Err(invalid(
                "drill.anchor",
                format!(
                    "{} is not an anchor (nodes.anchors = {anchors}; counted from 0)",
                    self.anchor
                ),
            ));
        }
        if self.advisories.is_empty() {
            return Err(invalid(
                "drill.advisories",
                "at least one [[drill.advisories]] entry",
            ));
        }
        for (i, a) in self.advisories.iter().enumerate() {
            let n = i + 1;
            if !(a.at_s.is_finite() && a.at_s >= 0.0 && a.at_s < duration_s) {
                return Err(invalid(
                    "drill.advisories.at_s",
                    format!(
                        "advisory #{n}: {} must be from 0 to before duration_s ({duration_s})",
                        a.at_s
                    ),
                ));
            }
            if let Err(e) = Severity::from_str(&a.severity) {
                return Err(invalid(
                    "drill.advisories.severity",
                    format!("advisory #{n}: {e}"),
                ));
            }
            if !(a.deadline_s.is_finite() && a.deadline_s >= 1.0) {
                return Err(invalid(
                    "drill.advisories.deadline_s",
                    format!("advisory #{n}: {} must be at least 1 second", a.deadline_s),
                ));
            }
        }
        let r = &self.response;
        positive("drill.response.received_median_s", r.received_median_s)?;
        positive("drill.response.assess_median_s", r.assess_median_s)?;
        positive("drill.response.final_median_s", r.final_median_s)?;
        if !(r.sigma.is_finite() && (0.0..=5.0).contains(&r.sigma)) {
            return Err(invalid(
                "drill.response.sigma",
                format!("{} must be from 0 to 5", r.sigma),
            ));
        }
        fraction("drill.response.slow_fraction", r.slow_fraction)?;
        if !(r.slow_factor.is_finite() && (1.0..=1000.0).contains(&r.slow_factor)) {
            return Err(invalid(
                "drill.response.slow_factor",
                format!("{} must be from 1 to 1000", r.slow_factor),
            ));
        }
        fraction("drill.response.silent_fraction", r.silent_fraction)?;
        fraction("drill.response.stuck_fraction", r.stuck_fraction)?;
        if r.silent_fraction + r.stuck_fraction > 1.0 {
            return Err(invalid(
                "drill.response.stuck_fraction",
                "silent_fraction + stuck_fraction exceed the members",
            ));
        }
        fraction(
            "drill.response.not_affected_fraction",
            r.not_affected_fraction,
        )?;
        Ok(())
    }
}
