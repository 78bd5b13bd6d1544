//! What a network simulation measures: the summary written to `results.json`, the
//! time series written as CSV, and the ROC curves of the credibility evaluation. Plain
//! data (serde), so plots, comparison and tests share one shape. Wall-clock figures are
//! kept out of [`Results`] (they go to `run.json`), so the same seed gives a
//! byte-identical `results.json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// p50 / p90 / p99 of a distribution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// The summary of a run (`results.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Scenario name.
    pub scenario: String,
    /// Nodes simulated (members, anchors and adversaries).
    pub nodes: usize,
    /// The seed.
    pub seed: u64,
    /// Simulated duration (seconds).
    pub duration_s: f64,
    /// Items published.
    pub items: u64,
    /// Deliveries made / deliveries owed (every eligible online node, every item).
    pub delivery_ratio: f64,
    /// Propagation latency of deliveries (milliseconds from publication).
    pub latency_ms: Percentiles,
    /// Copies received per delivery beyond the first (gossip duplicates).
    pub duplicates_per_delivery: f64,
    /// Bytes received per node per item published.
    pub bytes_per_node_per_item: f64,
    /// ROC AUC of credibility at separating true from false items (when the workload
    /// has false items).
    pub credibility_auc: Option<f64>,
    /// ROC AUC of the unweighted baseline (distinct confirmations).
    pub baseline_auc: Option<f64>,
    /// Largest privacy budget spent by one node (ε).
    pub epsilon_spent_max: f64,
    /// The per-node lifetime budget (ε).
    pub epsilon_budget: f64,
    /// Mean relative error of network-wide aggregates (total sightings per indicator,
    /// summed from noised counts) against the ground truth.
    pub aggregate_rel_error: Option<f64>,
    /// Seconds from the last partition heal until every owed delivery was made.
    pub heal_convergence_s: Option<f64>,
    /// Seconds from an equivocation until some node held both conflicting entries (the
    /// proof can be built), worst case over equivocators.
    pub equivocation_detection_s: Option<f64>,
    /// Per adversary class: what it achieved (e.g. `flooder_items_delivered`).
    pub adversaries: BTreeMap<String, f64>,
    /// Events processed by the simulator.
    pub events: u64,
    /// The emergency-response drill, when the scenario has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<super::drill::DrillResults>,
}

/// Time series, one row per bucket of simulated time (`series.csv`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Bucket width (seconds).
    pub bucket_s: f64,
    /// Bucket start (seconds of simulated time).
    pub t_s: Vec<f64>,
    /// Of the items published in the bucket: deliveries made / owed.
    pub delivery_ratio: Vec<f64>,
    /// Latency percentiles of the deliveries of items published in the bucket (ms).
    pub latency_p50_ms: Vec<f64>,
    /// 90th percentile.
    pub latency_p90_ms: Vec<f64>,
    /// 99th percentile.
    pub latency_p99_ms: Vec<f64>,
    /// Duplicates per delivery in the bucket.
    pub duplicates_per_delivery: Vec<f64>,
    /// Bytes received per node per item in the bucket.
    pub bytes_per_node_per_item: Vec<f64>,
    /// Mean relative trust of honest members at the end of the bucket.
    pub trust_honest: Vec<f64>,
    /// Mean relative trust of adversarial nodes at the end of the bucket.
    pub trust_adversarial: Vec<f64>,
    /// Mean privacy budget spent per node at the end of the bucket (ε).
    pub epsilon_spent_mean: Vec<f64>,
    /// Largest privacy budget spent by a node at the end of the bucket (ε).
    pub epsilon_spent_max: Vec<f64>,
    /// Nodes online.
    pub online: Vec<f64>,
}

/// One point of a ROC curve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    /// False positive rate.
    pub fpr: f64,
    /// True positive rate.
    pub tpr: f64,
}

/// The ROC curves of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Roc {
    /// Credibility.
    pub credibility: Vec<RocPoint>,
    /// The unweighted baseline.
    pub baseline: Vec<RocPoint>,
}

/// Per node at the end of the run: privacy budget spent (ε), for the privacy plot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeEpsilon {
    /// ε spent by each publishing node, sorted ascending.
    pub spent: Vec<f64>,
    /// The budget.
    pub budget: f64,
}

/// Everything a run produces.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The summary.
    pub results: Results,
    /// Time series.
    pub series: Series,
    /// ROC curves.
    pub roc: Roc,
    /// Privacy per node.
    pub epsilon: NodeEpsilon,
    /// Times (seconds) at which partitions healed, for the convergence plot.
    pub heals_s: Vec<f64>,
    /// The drill's per-member detail, when the scenario has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<super::drill::DrillRun>,
}
