//! The configuration schema: sections, fields and their documented defaults.

use serde::{Deserialize, Serialize};

use crate::privacy::PrivacyConfig;

/// The whole `shoal.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[node]`: who this node is.
    pub node: NodeConfig,
    /// `[api]`: the local HTTP API.
    pub api: ApiConfig,
    /// `[network]`: the libp2p peer network, admission trust roots and sync.
    pub network: NetworkConfig,
    /// `[provenance]`: witnessing of checkpoints.
    pub provenance: ProvenanceConfig,
    /// `[ledger]`: the append-only Merkle ledger.
    pub ledger: LedgerConfig,
    /// `[envelope]`: limits and coarsening of signed envelopes.
    pub envelope: EnvelopeConfig,
    /// `[publish]`: defaults applied to published intel.
    pub publish: PublishConfig,
    /// `[privacy]`: desensitization and differential privacy.
    pub privacy: PrivacyConfig,
    /// `[situation]`: the situation-awareness view (`/situation`).
    pub situation: SituationConfig,
}

/// The node's role in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An enterprise member (default).
    #[default]
    Member,
    /// A regulator's anchor node: admits members, witnesses checkpoints, relays.
    Anchor,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Member => "member",
            Role::Anchor => "anchor",
        })
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "member" => Ok(Role::Member),
            "anchor" => Ok(Role::Anchor),
            other => Err(format!(
                "unknown role {other:?} (expected member or anchor)"
            )),
        }
    }
}

/// `[node]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Log name: the checkpoint origin is `<name>/<peer-id>`. Default `shoal`.
    pub name: String,
    /// `member` (default) or `anchor`.
    pub role: Role,
    /// Key file, relative to the data directory. Default `node.key`.
    pub key_file: String,
    /// API token file, relative to the data directory. Default `api.token`.
    pub api_token_file: String,
    /// Store directory, relative to the data directory. Default `store`.
    pub store_dir: String,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            name: "shoal".into(),
            role: Role::Member,
            key_file: "node.key".into(),
            api_token_file: "api.token".into(),
            store_dir: "store".into(),
        }
    }
}

/// `[api]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Listen address of the HTTP API. Default `127.0.0.1:7341`.
    pub listen: String,
    /// Largest accepted request body in bytes. Default 8 MiB.
    pub max_body_bytes: usize,
    /// Largest number of concurrently served requests. Default 256.
    pub max_concurrent_requests: usize,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:7341".into(),
            max_body_bytes: 8 << 20,
            max_concurrent_requests: 256,
        }
    }
}

/// `[network]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Run the peer network at all. Default true; false keeps the node standalone
    /// (publishing into its own ledger only).
    pub enabled: bool,
    /// libp2p listen multiaddrs. Default `/ip4/0.0.0.0/tcp/7342` and `/ip4/0.0.0.0/udp/7342/quic-v1`.
    /// Empty: the node only dials out (reachable through an anchor's relay).
    pub listen: Vec<String>,
    /// Bootstrap peers, multiaddrs ending in `/p2p/<peer-id>`: normally the anchors. Default none.
    pub bootstrap: Vec<String>,
    /// Addresses to advertise in addition to the observed ones (e.g. a port forward). Default none.
    pub external_addresses: Vec<String>,
    /// Trust roots: C2SP verifier keys (`shoal id` prints them) of the anchors whose
    /// admission certificates this node accepts. Default none.
    pub trust_anchors: Vec<String>,
    /// Admission certificate chain file, relative to the data directory. Default `admission.json`.
    pub admission_file: String,
    /// Serve as a relay v2 for members behind NAT. Default: on for anchors, off for members.
    pub relay_server: Option<bool>,
    /// Reserve a relay slot on every bootstrap anchor (so peers can reach this node through
    /// it when it has no reachable address). Default true.
    pub use_relays: bool,
    /// Most established connections in total. Default 256.
    pub max_connections: u32,
    /// Most established connections per peer. Default 4 (AutoNAT dial-backs and hole
    /// punching open extra connections).
    pub max_connections_per_peer: u32,
    /// Gossipsub mesh degree D. Default 6.
    pub mesh_n: usize,
    /// Gossipsub heartbeat in milliseconds. Default 700.
    pub heartbeat_ms: u64,
    /// Anti-entropy: ask a peer for its checkpoints this often, in milliseconds. Default 5000.
    pub sync_interval_ms: u64,
    /// Most leaves requested in one sync request. Default 2048.
    pub sync_batch: u64,
    /// A sync request not answered within this many milliseconds is retried elsewhere. Default 15000.
    pub sync_timeout_ms: u64,
    /// Most sync requests in flight at once. Default 8.
    pub sync_parallel: usize,
    /// Gossip drops repeats of a message seen within this many milliseconds; a copy of
    /// an item this node has held for longer than 1.25 times this is a replay and costs
    /// the peer that sent it. Default 120000.
    pub duplicate_window_ms: u64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: vec![
                "/ip4/0.0.0.0/tcp/7342".into(),
                "/ip4/0.0.0.0/udp/7342/quic-v1".into(),
            ],
            bootstrap: Vec::new(),
            external_addresses: Vec::new(),
            trust_anchors: Vec::new(),
            admission_file: "admission.json".into(),
            relay_server: None,
            use_relays: true,
            max_connections: 256,
            max_connections_per_peer: 4,
            mesh_n: 6,
            heartbeat_ms: 700,
            sync_interval_ms: 5000,
            sync_batch: 2048,
            sync_timeout_ms: 15_000,
            sync_parallel: 8,
            duplicate_window_ms: 120_000,
        }
    }
}

/// `[provenance]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ProvenanceConfig {
    /// Witness verifier keys (C2SP cosignature/v1, as `shoal id` prints for anchors) this
    /// node trusts to cosign publishers' checkpoints. Default none.
    pub witnesses: Vec<String>,
    /// Cosignatures by distinct trusted witnesses a checkpoint needs before the items under
    /// it count as witnessed (k of n). Default 0 (no witnessing required).
    pub min_witnesses: usize,
    /// Cosign the checkpoints of other publishers after verifying them against their
    /// log. Default: on for anchors, off for members.
    pub witness: Option<bool>,
}

/// `[ledger]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerConfig {
    /// Sign a new checkpoint at most this often while the log grows, in milliseconds. Default 1000.
    pub checkpoint_interval_ms: u64,
    /// Most entries committed in one durable batch (group commit). Default 1024.
    pub batch_max: usize,
    /// Capacity of the bounded queue in front of the ledger writer. Default 8192.
    pub queue_capacity: usize,
    /// sled page cache in MiB. Default 64.
    pub cache_mb: u64,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            checkpoint_interval_ms: 1000,
            batch_max: 1024,
            queue_capacity: 8192,
            cache_mb: 64,
        }
    }
}

/// `[envelope]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnvelopeConfig {
    /// Largest encoded envelope in bytes (sent or accepted). Default 1 MiB.
    pub max_bytes: usize,
    /// Publication times are truncated to this many seconds. Default 3600 (one hour).
    pub time_granularity_secs: u64,
}

impl Default for EnvelopeConfig {
    fn default() -> Self {
        Self {
            max_bytes: 1 << 20,
            time_granularity_secs: 3600,
        }
    }
}

/// `[publish]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PublishConfig {
    /// Community an item is published to when none is given. Default empty: the node's
    /// first admitted community (`default` while the node holds no admission certificate).
    pub community: String,
    /// TLP applied to objects without a TLP marking: clear, green or amber. Default `amber`.
    pub default_tlp: String,
}

impl Default for PublishConfig {
    fn default() -> Self {
        Self {
            community: String::new(),
            default_tlp: "amber".into(),
        }
    }
}

/// `[situation]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SituationConfig {
    /// The local asset inventory (JSON: `ip_ranges`, `domains`, `software`, `cves`),
    /// relative to the data directory unless absolute. It is read only by this node and
    /// never published. Default none.
    pub assets: Option<String>,
    /// Re-read the store for new items at most this often, in milliseconds. Default 2000.
    pub refresh_ms: u64,
}

impl Default for SituationConfig {
    fn default() -> Self {
        Self {
            assets: None,
            refresh_ms: 2000,
        }
    }
}
