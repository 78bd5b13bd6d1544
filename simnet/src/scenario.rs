//! The scenario file format (TOML) of the credibility experiment, and its validation.
//!
//! A scenario has a name, a seed and four sections; every key has a default (the values
//! of issue #6), unknown keys are refused and every value is range-checked, so a typo
//! is an error, never a silently different experiment:
//!
//! ```toml
//! name = "colluders-30"
//! seed = 6
//!
//! [population]
//! members = 200              # admitted members (honest + colluders)
//! colluder_fraction = 0.30   # of the members
//! anchors = 3                # pre-trusted regulators that admit the members
//! admission = "split"        # "split": each member admitted by one anchor; "all": by every anchor
//! sybils = 40                # extra colluder identities, admitted by no anchor
//!
//! [publishing]
//! items_per_member = 10
//! shared_pattern = 0.20         # a true item re-publishes another honest member's pattern
//! colluder_true_fraction = 0.20 # of a colluder's items, true ones (cover)
//! honest_confidence = 70        # declared STIX confidence
//! colluder_confidence = 100
//!
//! [behaviour]
//! encounter = 0.05          # a member comes across a given item
//! p_confirm_true = 0.6      # honest: sighting of an encountered true item
//! p_detect_false = 0.5      # honest: false-positive report of an encountered false item
//! p_fooled = 0.05           # honest, not detecting: sighting of the false item anyway
//! collusion_confirm = 0.8   # colluder: sighting of another colluder's false item
//! poison_refute = 0.5       # colluder: false-positive report of an encountered honest item
//! sybil_confirm = 0.8       # Sybil: sighting of a colluder's item
//! sybil_refute = 0.5        # Sybil: false-positive report of an encountered honest item
//! anchor_sample = 0.05      # anchor: verifies an item against ground truth
//!
//! [time]
//! start_unix = 1767225600   # publications and reports spread over [start, start + duration)
//! duration_secs = 86400     # credibility is evaluated at start + duration
//! ```

use serde::{Deserialize, Serialize};

/// Largest population of any kind (keeps a typo from asking for terabytes).
pub const MAX_NODES: usize = 100_000;
/// Most items one member may publish.
pub const MAX_ITEMS_PER_MEMBER: usize = 10_000;

/// Why a scenario was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not TOML, or a key unknown or of the wrong type (the message names it).
    #[error("scenario file: {0}")]
    Parse(String),
    /// A value out of range.
    #[error("scenario key `{key}`: {message}")]
    Invalid {
        /// The dotted key, e.g. `population.colluder_fraction`.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// How the anchors admit the members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Admission {
    /// Member `i` is admitted by anchor `i mod anchors` (each regulator its own sector).
    #[default]
    Split,
    /// Every anchor admits every member.
    All,
}

/// The whole scenario.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// A label for the report.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Seed of the one ChaCha RNG every random choice comes from.
    pub seed: u64,
    /// Who is in the network.
    pub population: Population,
    /// What the members publish.
    pub publishing: Publishing,
    /// How they report on each other's items.
    pub behaviour: Behaviour,
    /// The simulated time span.
    pub time: Time,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            name: "unnamed".into(),
            description: String::new(),
            seed: 6,
            population: Population::default(),
            publishing: Publishing::default(),
            behaviour: Behaviour::default(),
            time: Time::default(),
        }
    }
}

/// `[population]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Population {
    /// Admitted members, honest and colluders.
    pub members: usize,
    /// Fraction of the members that collude (rounded to a whole number).
    pub colluder_fraction: f64,
    /// Pre-trusted anchors (regulators).
    pub anchors: usize,
    /// How the anchors admit the members.
    pub admission: Admission,
    /// Colluder-controlled identities no anchor admitted.
    pub sybils: usize,
}

impl Default for Population {
    fn default() -> Self {
        Self {
            members: 200,
            colluder_fraction: 0.30,
            anchors: 3,
            admission: Admission::Split,
            sybils: 40,
        }
    }
}

/// `[publishing]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Publishing {
    /// Indicators each member publishes.
    pub items_per_member: usize,
    /// Probability a true item re-publishes a pattern another honest member published
    /// earlier (corroboration).
    pub shared_pattern: f64,
    /// Fraction of a colluder's items that are true (rounded), published as cover.
    pub colluder_true_fraction: f64,
    /// STIX `confidence` honest members declare.
    pub honest_confidence: u8,
    /// STIX `confidence` colluders declare.
    pub colluder_confidence: u8,
}

impl Default for Publishing {
    fn default() -> Self {
        Self {
            items_per_member: 10,
            shared_pattern: 0.20,
            colluder_true_fraction: 0.20,
            honest_confidence: 70,
            colluder_confidence: 100,
        }
    }
}

/// `[behaviour]`: probabilities of each kind of report.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    /// A member (honest, colluder or Sybil) comes across a given item.
    pub encounter: f64,
    /// Honest: confirm an encountered true item.
    pub p_confirm_true: f64,
    /// Honest: refute an encountered false item.
    pub p_detect_false: f64,
    /// Honest, not detecting it: confirm the false item anyway.
    pub p_fooled: f64,
    /// Colluder: confirm another colluder's false item (no encounter needed).
    pub collusion_confirm: f64,
    /// Colluder: refute an encountered honest item.
    pub poison_refute: f64,
    /// Sybil: confirm a colluder's item, true or false (no encounter needed).
    pub sybil_confirm: f64,
    /// Sybil: refute an encountered honest item.
    pub sybil_refute: f64,
    /// Anchor: verify an item against ground truth (confirm true, refute false).
    pub anchor_sample: f64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            encounter: 0.05,
            p_confirm_true: 0.6,
            p_detect_false: 0.5,
            p_fooled: 0.05,
            collusion_confirm: 0.8,
            poison_refute: 0.5,
            sybil_confirm: 0.8,
            sybil_refute: 0.5,
            anchor_sample: 0.05,
        }
    }
}

/// `[time]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Time {
    /// Start of the simulated span (unix seconds).
    pub start_unix: u64,
    /// Its length; credibility is evaluated at its end.
    pub duration_secs: u64,
}

impl Default for Time {
    fn default() -> Self {
        Self {
            start_unix: 1_767_225_600, // 2026-01-01T00:00:00Z
            duration_secs: 86_400,
        }
    }
}

fn fraction(key: &'static str, v: f64) -> Result<(), ScenarioError> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(ScenarioError::Invalid {
            key,
            message: format!("{v} is not a fraction in [0, 1]"),
        })
    }
}

fn count(key: &'static str, v: usize, min: usize, max: usize) -> Result<(), ScenarioError> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(ScenarioError::Invalid {
            key,
            message: format!("{v} is not in [{min}, {max}]"),
        })
    }
}

fn confidence(key: &'static str, v: u8) -> Result<(), ScenarioError> {
    if v <= 100 {
        Ok(())
    } else {
        Err(ScenarioError::Invalid {
            key,
            message: format!("{v} is not a STIX confidence in [0, 100]"),
        })
    }
}

impl Scenario {
    /// Parse and validate a scenario file's text.
    pub fn from_toml_str(text: &str) -> Result<Self, ScenarioError> {
        let s: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Parse(e.to_string()))?;
        s.validate()?;
        Ok(s)
    }

    /// Colluders among the members.
    pub fn colluders(&self) -> usize {
        let c = (self.population.members as f64 * self.population.colluder_fraction).round();
        (c as usize).min(self.population.members)
    }

    /// Honest members.
    pub fn honest(&self) -> usize {
        self.population.members.saturating_sub(self.colluders())
    }

    /// True items per colluder.
    pub fn colluder_true_items(&self) -> usize {
        let n = self.publishing.items_per_member;
        ((n as f64 * self.publishing.colluder_true_fraction).round() as usize).min(n)
    }

    /// Unix time the credibility is evaluated at.
    pub fn end_unix(&self) -> u64 {
        self.time.start_unix.saturating_add(self.time.duration_secs)
    }

    /// Check every value's range.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let p = &self.population;
        count("population.members", p.members, 1, MAX_NODES)?;
        count("population.anchors", p.anchors, 1, MAX_NODES)?;
        count("population.sybils", p.sybils, 0, MAX_NODES)?;
        fraction("population.colluder_fraction", p.colluder_fraction)?;
        if self.honest() == 0 {
            return Err(ScenarioError::Invalid {
                key: "population.colluder_fraction",
                message: format!(
                    "{} leaves no honest member among {}",
                    p.colluder_fraction, p.members
                ),
            });
        }
        let u = &self.publishing;
        if self.colluders() == 0 || u.colluder_true_fraction >= 1.0 {
            return Err(ScenarioError::Invalid {
                key: "population.colluder_fraction",
                message: "no false items to score: needs at least one colluder and \
                          publishing.colluder_true_fraction < 1"
                    .into(),
            });
        }
        count(
            "publishing.items_per_member",
            u.items_per_member,
            1,
            MAX_ITEMS_PER_MEMBER,
        )?;
        fraction("publishing.shared_pattern", u.shared_pattern)?;
        fraction(
            "publishing.colluder_true_fraction",
            u.colluder_true_fraction,
        )?;
        confidence("publishing.honest_confidence", u.honest_confidence)?;
        confidence("publishing.colluder_confidence", u.colluder_confidence)?;
        let b = &self.behaviour;
        for (key, v) in [
            ("behaviour.encounter", b.encounter),
            ("behaviour.p_confirm_true", b.p_confirm_true),
            ("behaviour.p_detect_false", b.p_detect_false),
            ("behaviour.p_fooled", b.p_fooled),
            ("behaviour.collusion_confirm", b.collusion_confirm),
            ("behaviour.poison_refute", b.poison_refute),
            ("behaviour.sybil_confirm", b.sybil_confirm),
            ("behaviour.sybil_refute", b.sybil_refute),
            ("behaviour.anchor_sample", b.anchor_sample),
        ] {
            fraction(key, v)?;
        }
        if self.time.duration_secs == 0 {
            return Err(ScenarioError::Invalid {
                key: "time.duration_secs",
                message: "must be > 0".into(),
            });
        }
        if self
            .time
            .start_unix
            .checked_add(self.time.duration_secs)
            .is_none()
        {
            return Err(ScenarioError::Invalid {
                key: "time.duration_secs",
                message: "start_unix + duration_secs overflows".into(),
            });
        }
        Ok(())
    }
}
