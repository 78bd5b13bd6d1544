//! What a drill measures: per advisory, time-to-notify (publication → the member holds
//! the advisory) and time-to-acknowledge (publication → the publishing anchor holds the
//! member's final ack) over members, the shares done by the deadline, who was never
//! notified, and the same for the members that were offline at publication (churned:
//! notified only after they return) — [`DrillResults`], in `results.json` — and the
//! per-member detail behind it ([`DrillRun`], in `drill.csv` and the CDF plot).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Order statistics of a set of durations (seconds; nearest rank; zeros when empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    /// How many values.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// The figures of a group of members for one advisory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Members in the group.
    pub members: usize,
    /// Members that held the advisory before the end of the run.
    pub notified: usize,
    /// Members that never held it.
    pub never_notified: usize,
    /// Members whose final ack the anchor held before the end of the run.
    pub acknowledged: usize,
    /// Seconds from publication until the member held the advisory.
    pub time_to_notify_s: Quantiles,
    /// Seconds from publication until the anchor held the member's final ack.
    pub time_to_ack_s: Quantiles,
    /// Share of the group's members notified by the deadline.
    pub notified_by_deadline: f64,
    /// Share of the group's members whose final ack the anchor held by the deadline.
    pub acknowledged_by_deadline: f64,
}

/// The members offline when the advisory was published.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Churned {
    /// Their figures.
    #[serde(flatten)]
    pub group: Group,
    /// How many were notified at or after their return (all of those notified).
    pub notified_after_return: usize,
    /// Seconds from their return until they held the advisory (the sync catch-up).
    pub return_to_notify_s: Quantiles,
}

/// One advisory's outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryOutcome {
    /// The advisory's STIX id.
    pub id: String,
    /// Its severity.
    pub severity: String,
    /// Its drill flag.
    pub drill: bool,
    /// When the anchor published it (simulated seconds).
    pub published_s: f64,
    /// Its deadline, seconds after publication.
    pub deadline_s: f64,
    /// Every member.
    #[serde(flatten)]
    pub all: Group,
    /// Seconds from publication until the anchor held the member's first ack (any
    /// status, usually `received`).
    pub time_to_first_ack_s: Quantiles,
    /// Members meant to reach a final status (neither silent nor stuck).
    pub responders: usize,
    /// How members got the advisory: `push`, `lazy` (gossip IHAVE/IWANT), `sync`.
    pub notified_via: BTreeMap<String, usize>,
    /// Members online at publication.
    pub online_at_publish: Group,
    /// Members offline at publication.
    pub churned: Churned,
    /// Acks published by members (every status).
    pub acks_published: usize,
    /// Acks the anchor held (verified, parsed and recorded) by the end.
    pub acks_at_anchor: usize,
    /// Acks the anchor got after a later status of the same member and ignored.
    pub acks_superseded: usize,
}

/// Every advisory of the drill (`results.json`, key `drill`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DrillResults {
    /// One per `[[drill.advisories]]`, in order.
    pub advisories: Vec<AdvisoryOutcome>,
}

/// One member and one advisory (absolute simulated seconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    /// Advisory number (0-based).
    pub advisory: usize,
    /// The member's node.
    pub node: u32,
    /// `normal`, `slow`, `stuck` or `silent`.
    pub behaviour: String,
    /// Offline when the advisory was published.
    pub offline_at_publish: bool,
    /// When it came back, if it was offline at publication (and came back in the run).
    pub back_s: Option<f64>,
    /// Never offline from publication to the end of the run.
    pub online_throughout: bool,
    /// When it held the advisory.
    pub notified_s: Option<f64>,
    /// How: `push`, `lazy` or `sync`.
    pub via: Option<String>,
    /// When the anchor held its first ack.
    pub first_ack_s: Option<f64>,
    /// When the anchor held its final ack.
    pub final_ack_s: Option<f64>,
    /// The status in force at the anchor at the end.
    pub status: Option<String>,
}

/// The per-member detail of a drill.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DrillRun {
    /// Publication time of each advisory (simulated seconds).
    pub published_s: Vec<f64>,
    /// Deadline of each advisory (seconds after publication).
    pub deadline_s: Vec<f64>,
    /// Every (advisory, member).
    pub rows: Vec<MemberRow>,
}
