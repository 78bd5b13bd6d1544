//! The node's TAXII collections: `outbox` (write-only: what is posted goes through the
//! full publish pipeline), `network` (read-only: everything this node received and is
//! eligible to see, with provenance and credibility), and `network-<community>` for each
//! community the node is admitted to (the same, one community).

use serde_json::{json, Value};

use super::media::STIX;
use crate::api::AppState;

/// Id of the outbox collection.
pub const OUTBOX_ID: &str = "087fd608-8960-4b58-89b0-91dcc9db376c";
/// Id of the network collection.
pub const NETWORK_ID: &str = "a50ebc3e-9d00-44ba-835a-abc5f6e1bcf0";
/// Namespace of the community collections' ids (UUIDv5 of `network/<community>`).
const COMMUNITY_NAMESPACE: uuid::Uuid = uuid::uuid!("b0001e4d-4125-43e2-888b-743a0fc1a739");

/// What a collection serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Posted objects are published.
    Outbox,
    /// Received intel, of one community or all.
    Network(Option<String>),
}

/// One collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// A description.
    pub description: String,
    /// Whether objects can be read.
    pub can_read: bool,
    /// Whether objects can be added.
    pub can_write: bool,
    /// What it serves.
    pub kind: Kind,
}

impl Collection {
    /// The TAXII collection resource.
    pub fn resource(&self) -> Value {
        json!({
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "can_read": self.can_read,
            "can_write": self.can_write,
            "media_types": [STIX],
        })
    }
}

/// Every collection of the node.
pub fn all(st: &AppState) -> Vec<Collection> {
    let mut out = vec![
        Collection {
            id: OUTBOX_ID.into(),
            title: "outbox".into(),
            description: "Post STIX 2.1 objects here to share them: each goes through desensitization, differential privacy, signing and the ledger, then to the network; the status resource reports each object's outcome.".into(),
            can_read: false,
            can_write: true,
            kind: Kind::Outbox,
        },
        Collection {
            id: NETWORK_ID.into(),
            title: "network".into(),
            description: "Everything this node received from the network and is eligible to see, each object with its provenance (publisher, ledger index, leaf hash, tlog-proof, witness status) and credibility in Shoal's provenance extension; confidence is the node's credibility score.".into(),
            can_read: true,
            can_write: false,
            kind: Kind::Network(None),
        },
    ];
    let communities = st
        .net
        .status()
        .admission
        .map(|a| a.communities)
        .unwrap_or_default();
    for c in communities.into_iter().filter(|c| c != "*") {
        out.push(Collection {
            id: uuid::Uuid::new_v5(&COMMUNITY_NAMESPACE, format!("network/{c}").as_bytes())
                .to_string(),
            title: format!("network-{c}"),
            description: format!(
                "What this node received in the community {c:?}, as in the network collection."
            ),
            can_read: true,
            can_write: false,
            kind: Kind::Network(Some(c)),
        });
    }
    out
}

/// The collection with this id.
pub fn find(st: &AppState, id: &str) -> Option<Collection> {
    all(st).into_iter().find(|c| c.id == id)
}
