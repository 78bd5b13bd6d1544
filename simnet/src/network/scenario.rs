//! The network scenario format (TOML, `kind = "network"`): nodes, anchors and
//! communities, the gossip topology, the link model, the workload, churn, partitions,
//! adversaries, privacy settings, duration and seed, and an optional drill (`[drill]`,
//! [`super::drill::spec`]). Every key has a default; unknown
//! keys are refused and values range-checked (the error names the key). See
//! `scenarios/smoke.toml` for every key with a comment.

use serde::{Deserialize, Serialize};

/// Most nodes of any kind.
pub const MAX_NODES: usize = 200_000;

/// Why a scenario was refused.
#[derive(Debug, thiserror::Error)]
pub enum NetScenarioError {
    /// Not TOML, or an unknown key or a value of the wrong type.
    #[error("scenario file: {0}")]
    Parse(String),
    /// A value out of range.
    #[error("scenario key `{key}`: {message}")]
    Invalid {
        /// The dotted key.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// A network scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetScenario {
    /// Must be `"network"`.
    pub kind: String,
    /// Name (reports).
    pub name: String,
    /// A description.
    pub description: String,
    /// Seed of every random choice.
    pub seed: u64,
    /// Simulated seconds.
    pub duration_s: f64,
    /// Width of the time-series buckets (seconds).
    pub bucket_s: f64,
    /// Nothing new is published in the last `drain_s` seconds, so what was published
    /// can arrive before the end (at least one sync interval).
    pub drain_s: f64,
    /// Nodes.
    pub nodes: Nodes,
    /// Gossip topology.
    pub topology: Topology,
    /// Links.
    pub link: Link,
    /// Workload.
    pub workload: Workload,
    /// Churn.
    pub churn: Churn,
    /// Partitions (each cuts a share of the nodes off, then heals).
    pub partitions: Vec<Partition>,
    /// Adversaries.
    pub adversaries: Adversaries,
    /// Privacy.
    pub privacy: Privacy,
    /// An emergency-response drill (`[drill]`, optional): see `scenarios/drill.toml`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drill: Option<super::drill::DrillSpec>,
}

/// `[nodes]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Nodes {
    /// Admitted members (honest and adversarial).
    pub members: usize,
    /// Anchors (pre-trusted; admit the members, join every community, verify a sample).
    pub anchors: usize,
    /// Communities; members are spread over them round-robin.
    pub communities: Vec<String>,
}

/// `[topology]`: gossipsub's mesh and lazy gossip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Topology {
    /// Mesh degree D (each node links to D random subscribers of a topic).
    pub mesh_degree: usize,
    /// Peers a node sends IHAVE to per heartbeat (D_lazy).
    pub lazy_degree: usize,
    /// Heartbeat interval (ms).
    pub heartbeat_ms: f64,
    /// Heartbeats a message stays in the gossip window (mcache_gossip).
    pub gossip_window: u32,
    /// Anti-entropy sync interval (ms): a node that missed items fetches them.
    pub sync_interval_ms: f64,
}

/// `[link]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Link {
    /// Mean one-way latency (ms); each link gets its own, log-normally spread.
    pub latency_ms: f64,
    /// Spread of link latencies (log-normal sigma).
    pub latency_spread: f64,
    /// Per-message jitter (ms, exponential mean).
    pub jitter_ms: f64,
    /// Loss probability per transmission.
    pub loss: f64,
    /// Uplink bandwidth per node (kbit/s); sends queue behind each other.
    pub bandwidth_kbps: f64,
    /// Processing per hop (ms): decode, verify, forward.
    pub processing_ms: f64,
}

/// `[workload]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Workload {
    /// Items per member per second (Poisson).
    pub publish_rate: f64,
    /// Size of an item on the wire (bytes).
    pub item_bytes: usize,
    /// Share of items shared TLP:CLEAR (to everyone) rather than in the community.
    pub clear_fraction: f64,
    /// Probability that an honest member that receives a true item reports a sighting.
    pub sighting_prob: f64,
    /// Probability that an honest member that receives a false item reports it as a
    /// false positive.
    pub detect_false: f64,
    /// Probability that an anchor verifies an item it receives against ground truth.
    pub anchor_sample: f64,
    /// Delay between receiving an item and reporting on it (seconds, exponential mean).
    pub report_delay_s: f64,
}

/// `[churn]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Churn {
    /// Share of members that go offline and come back.
    pub fraction: f64,
    /// Mean time online (seconds, exponential).
    pub mean_online_s: f64,
    /// Mean time offline (seconds, exponential).
    pub mean_offline_s: f64,
}

/// One `[[partitions]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// When it starts (seconds).
    pub start_s: f64,
    /// When it heals (seconds).
    pub heal_s: f64,
    /// Share of the nodes cut off from the rest.
    pub fraction: f64,
}

/// `[adversaries]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Adversaries {
    /// Share of members colluding on false intel (publish false items, confirm each
    /// other's, refute honest items they receive).
    pub liars: f64,
    /// Probability a liar confirms another liar's false item it receives.
    pub collusion_confirm: f64,
    /// Probability a liar refutes an honest item it receives.
    pub poison_refute: f64,
    /// Sybil identities (admitted by no anchor): their messages are refused at the first
    /// hop; they confirm liars' items and refute honest ones.
    pub sybils: usize,
    /// Members whose data directory is cloned: the copy publishes a conflicting entry.
    pub equivocators: usize,
    /// Members publishing valid items at `flood_rate`.
    pub flooders: usize,
    /// Items per second per flooder.
    pub flood_rate: f64,
    /// Share of members that never forward.
    pub free_riders: f64,
    /// Nodes sending garbage to their mesh peers (rejected, penalised, banned).
    pub garbage: usize,
    /// Garbage messages per second per garbage node.
    pub garbage_rate: f64,
}

/// `[privacy]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Privacy {
    /// ε charged per sighting (its count gets discrete Laplace noise of scale
    /// sensitivity / ε).
    pub epsilon_per_sighting: f64,
    /// Lifetime budget per node (sightings over it are not published).
    pub lifetime_epsilon: f64,
    /// Count sensitivity.
    pub count_sensitivity: u32,
    /// Mean true count of a sighting.
    pub mean_count: f64,
}

impl Default for NetScenario {
    fn default() -> Self {
        Self {
            kind: "network".into(),
            name: "unnamed".into(),
            description: String::new(),
            seed: 1,
            duration_s: 60.0,
            bucket_s: 5.0,
            drain_s: 10.0,
            nodes: Nodes::default(),
            topology: Topology::default(),
            link: Link::default(),
            workload: Workload::default(),
            churn: Churn::default(),
            partitions: Vec::new(),
            adversaries: Adversaries::default(),
            privacy: Privacy::default(),
            drill: None,
        }
    }
}

impl Default for Nodes {
    fn default() -> Self {
        Self {
            members: 50,
            anchors: 2,
            communities: vec!["energy".into(), "water".into()],
        }
    }
}

impl Default for Topology {
    fn default() -> Self {
        Self {
            mesh_degree: 6,
            lazy_degree: 6,
            heartbeat_ms: 700.0,
            gossip_window: 3,
            sync_interval_ms: 5000.0,
        }
    }
}

impl Default for Link {
    fn default() -> Self {
        Self {
            latency_ms: 20.0,
            latency_spread: 0.5,
            jitter_ms: 2.0,
            loss: 0.0,
            bandwidth_kbps: 10_000.0,
            processing_ms: 0.5,
        }
    }
}

impl Default for Workload {
    fn default() -> Self {
        Self {
            publish_rate: 0.05,
            item_bytes: 1200,
            clear_fraction: 0.2,
            sighting_prob: 0.05,
            detect_false: 0.5,
            anchor_sample: 0.05,
            report_delay_s: 2.0,
        }
    }
}

impl Default for Churn {
    fn default() -> Self {
        Self {
            fraction: 0.0,
            mean_online_s: 60.0,
            mean_offline_s: 20.0,
        }
    }
}

impl Default for Adversaries {
    fn default() -> Self {
        Self {
            liars: 0.0,
            collusion_confirm: 0.8,
            poison_refute: 0.5,
            sybils: 0,
            equivocators: 0,
            flooders: 0,
            flood_rate: 20.0,
            free_riders: 0.0,
            garbage: 0,
            garbage_rate: 5.0,
        }
    }
}

impl Default for Privacy {
    fn default() -> Self {
        Self {
            epsilon_per_sighting: 0.5,
            lifetime_epsilon: 100.0,
            count_sensitivity: 1,
            mean_count: 5.0,
        }
    }
}

pub(crate) fn invalid(key: &'static str, message: impl Into<String>) -> NetScenarioError {
    NetScenarioError::Invalid {
        key,
        message: message.into(),
    }
}

pub(crate) fn fraction(key: &'static str, v: f64) -> Result<(), NetScenarioError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(key, format!("{v} is not a fraction from 0 to 1")))
    }
}

pub(crate) fn positive(key: &'static str, v: f64) -> Result<(), NetScenarioError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(key, format!("{v} must be a positive number")))
    }
}

fn non_negative(key: &'static str, v: f64) -> Result<(), NetScenarioError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(invalid(key, format!("{v} must be zero or more")))
    }
}

impl NetScenario {
    /// Parse and validate.
    pub fn from_toml_str(text: &str) -> Result<Self, NetScenarioError> {
        let s: NetScenario =
            toml::from_str(text).map_err(|e| NetScenarioError::Parse(e.to_string()))?;
        s.validate()?;
        Ok(s)
    }

    /// Every node: anchors, members, Sybils, equivocators' clones and garbage nodes.
    pub fn total_nodes(&self) -> usize {
        self.nodes
            .anchors
            .saturating_add(self.nodes.members)
            .saturating_add(self.adversaries.sybils)
            .saturating_add(self.adversaries.equivocators)
            .saturating_add(self.adversaries.garbage)
    }

    /// Check every value.
    pub fn validate(&self) -> Result<(), NetScenarioError> {
        if self.kind != "network" {
            return Err(invalid("kind", "must be \"network\""));
        }
        positive("duration_s", self.duration_s)?;
        positive("bucket_s", self.bucket_s)?;
        non_negative("drain_s", self.drain_s)?;
        if self.drain_s >= self.duration_s {
            return Err(invalid("drain_s", "must be shorter than duration_s"));
        }
        if self.nodes.members < 2 {
            return Err(invalid("nodes.members", "at least 2"));
        }
        if self.nodes.communities.is_empty() {
            return Err(invalid("nodes.communities", "at least one community"));
        }
        if self.total_nodes() > MAX_NODES {
            return Err(invalid(
                "nodes.members",
                format!("more than {MAX_NODES} nodes in all"),
            ));
        }
        let t = &self.topology;
        if t.mesh_degree == 0 || t.mesh_degree > 64 {
            return Err(invalid("topology.mesh_degree", "from 1 to 64"));
        }
        if t.lazy_degree > 64 {
            return Err(invalid("topology.lazy_degree", "at most 64"));
        }
        positive("topology.heartbeat_ms", t.heartbeat_ms)?;
        positive("topology.sync_interval_ms", t.sync_interval_ms)?;
        let l = &self.link;
        positive("link.latency_ms", l.latency_ms)?;
        non_negative("link.latency_spread", l.latency_spread)?;
        non_negative("link.jitter_ms", l.jitter_ms)?;
        fraction("link.loss", l.loss)?;
        if l.loss >= 1.0 {
            return Err(invalid("link.loss", "below 1"));
        }
        positive("link.bandwidth_kbps", l.bandwidth_kbps)?;
        non_negative("link.processing_ms", l.processing_ms)?;
        let w = &self.workload;
        non_negative("workload.publish_rate", w.publish_rate)?;
        if w.item_bytes == 0 {
            return Err(invalid("workload.item_bytes", "at least 1"));
        }
        fraction("workload.clear_fraction", w.clear_fraction)?;
        fraction("workload.sighting_prob", w.sighting_prob)?;
        fraction("workload.detect_false", w.detect_false)?;
        fraction("workload.anchor_sample", w.anchor_sample)?;
        non_negative("workload.report_delay_s", w.report_delay_s)?;
        fraction("churn.fraction", self.churn.fraction)?;
        positive("churn.mean_online_s", self.churn.mean_online_s)?;
        positive("churn.mean_offline_s", self.churn.mean_offline_s)?;
        for p in &self.partitions {
            fraction("partitions.fraction", p.fraction)?;
            if !(p.start_s >= 0.0 && p.heal_s > p.start_s) {
                return Err(invalid("partitions.heal_s", "must come after start_s"));
            }
        }
        let a = &self.adversaries;
        fraction("adversaries.liars", a.liars)?;
        fraction("adversaries.collusion_confirm", a.collusion_confirm)?;
        fraction("adversaries.poison_refute", a.poison_refute)?;
        fraction("adversaries.free_riders", a.free_riders)?;
        if a.liars + a.free_riders > 1.0 {
            return Err(invalid(
                "adversaries.free_riders",
                "liars + free_riders exceed the members",
            ));
        }
        if a.equivocators + a.flooders > self.nodes.members {
            return Err(invalid(
                "adversaries.flooders",
                "more equivocators and flooders than members",
            ));
        }
        non_negative("adversaries.flood_rate", a.flood_rate)?;
        non_negative("adversaries.garbage_rate", a.garbage_rate)?;
        let p = &self.privacy;
        positive("privacy.epsilon_per_sighting", p.epsilon_per_sighting)?;
        positive("privacy.lifetime_epsilon", p.lifetime_epsilon)?;
        if p.count_sensitivity == 0 {
            return Err(invalid("privacy.count_sensitivity", "at least 1"));
        }
        positive("privacy.mean_count", p.mean_count)?;
        if let Some(d) = &self.drill {
            d.validate(self.nodes.anchors, self.duration_s)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_mistakes_name_their_key() {
        assert!(NetScenario::from_toml_str("kind = \"network\"").is_ok());
        let e = NetScenario::from_toml_str("kind = \"network\"\n[link]\nlos = 0.1\n").unwrap_err();
        assert!(e.to_string().contains("los"), "{e}");
        let e = NetScenario::from_toml_str("kind = \"network\"\n[link]\nloss = 1.5\n").unwrap_err();
        assert!(e.to_string().contains("link.loss"), "{e}");
        let e = NetScenario::from_toml_str(
            "kind = \"network\"\n[[partitions]]\nstart_s = 5.0\nheal_s = 2.0\nfraction = 0.5\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("partitions.heal_s"), "{e}");
        assert!(NetScenario::from_toml_str("kind = \"credibility\"").is_err());
    }
}
