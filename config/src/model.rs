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
    /// `[p2p]`: peer-to-peer networking (used once networking lands).
    pub p2p: P2pConfig,
    /// `[ledger]`: the append-only Merkle ledger.
    pub ledger: LedgerConfig,
    /// `[envelope]`: limits and coarsening of signed envelopes.
    pub envelope: EnvelopeConfig,
    /// `[publish]`: defaults applied to published intel.
    pub publish: PublishConfig,
    /// `[privacy]`: desensitization and differential privacy.
    pub privacy: PrivacyConfig,
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

/// `[p2p]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct P2pConfig {
    /// libp2p listen multiaddrs. Default `/ip4/0.0.0.0/tcp/7342` and `/ip4/0.0.0.0/udp/7342/quic-v1`.
    pub listen: Vec<String>,
    /// Bootstrap peers (multiaddrs with `/p2p/<peer-id>`); anchors by default. Default none.
    pub bootstrap: Vec<String>,
}

impl Default for P2pConfig {
    fn default() -> Self {
        Self {
            listen: vec![
                "/ip4/0.0.0.0/tcp/7342".into(),
                "/ip4/0.0.0.0/udp/7342/quic-v1".into(),
            ],
            bootstrap: Vec::new(),
        }
    }
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
    /// Community an item is published to when none is given. Default `default`.
    pub community: String,
    /// TLP applied to objects without a TLP marking: clear, green or amber. Default `amber`.
    pub default_tlp: String,
}

impl Default for PublishConfig {
    fn default() -> Self {
        Self {
            community: "default".into(),
            default_tlp: "amber".into(),
        }
    }
}
