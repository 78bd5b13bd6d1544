//! The peer network (libp2p): admission-gated gossip of signed envelopes, anti-entropy
//! sync of every publisher's log, discovery and NAT traversal. [`spawn`] starts the
//! driver task; the API and CLI read its [`status::NetStatus`] snapshot.
//!
//! Files: [`behaviour`] (the composed libp2p behaviour), [`codec`] (request-response
//! framing), [`topics`] (topic names), [`penalty`] (the one place peer penalties are
//! decided), [`directory`] (admission knowledge), [`replicas`] (other publishers' logs),
//! [`heads`] (opening their checkpoints), `peers` (connection life cycle, admission, bans),
//! `announce` (gossip of the own log), `equivocation` (conflicting histories), `parking` (bounded holding of items whose
//! publisher's admission is not known yet), [`driver`] (the event loop), [`gossip`]
//! (validation of gossip at the boundary), [`sync`] (serving and fetching leaves),
//! [`status`] (what the API shows), [`witness`] (cosigning and witnessed status).

mod announce;
pub mod behaviour;
pub mod codec;
pub mod directory;
mod driver;
mod equivocation;
mod fork;
mod gossip;
pub mod heads;
mod parking;
pub mod peer_key;
mod peers;
pub mod penalty;
pub mod replicas;
pub mod status;
mod sync;
pub mod topics;
pub mod witness;

use std::time::Duration;

use anyhow::{Context, Result};
use shoal_config::{NetworkConfig, Role};
use shoal_crypto::NodeKey;
use tokio::sync::{mpsc, oneshot, watch};

use crate::ledger::writer::LedgerState;
use crate::store::Store;

pub use status::NetStatus;

/// Everything the network needs to start.
pub struct NetParams {
    /// `[network]` settings (already validated).
    pub cfg: NetworkConfig,
    /// The node's role.
    pub role: Role,
    /// The node's name (log name).
    pub name: String,
    /// The node key (also the libp2p identity).
    pub key: NodeKey,
    /// The store (own ledger and replicas).
    pub store: Store,
    /// Largest envelope accepted.
    pub max_envelope_bytes: usize,
    /// Progress of the own ledger (new entries and checkpoints are gossiped).
    pub ledger_state: watch::Receiver<LedgerState>,
    /// Contents of the admission certificate file (empty if none is installed).
    pub own_chain: Vec<u8>,
    /// Stops the driver.
    pub shutdown: watch::Receiver<bool>,
    /// Witnessing: own witness identity and trusted witnesses.
    pub witnessing: witness::Witnessing,
    /// Credibility: accepted envelopes are evidence; reputation feeds peer scores.
    pub credibility: std::sync::Arc<crate::credibility::Credibility>,
}

/// Requests to the driver.
pub(crate) enum NetCommand {
    /// Apply a revocation locally and gossip it.
    Revoke(Vec<u8>, oneshot::Sender<Result<(), String>>),
    /// Block (true) or unblock (false) a peer.
    Block(libp2p::PeerId, bool, oneshot::Sender<()>),
    /// Ask every admitted peer for its heads now (before an audit).
    RefreshHeads(oneshot::Sender<usize>),
}

/// Handle to the running network.
#[derive(Clone)]
pub struct NetHandle {
    status: watch::Receiver<NetStatus>,
    cmd: Option<mpsc::Sender<NetCommand>>,
}

impl NetHandle {
    /// A handle for a node without a network.
    pub fn disabled() -> Self {
        let (_tx, rx) = watch::channel(NetStatus::default());
        Self {
            status: rx,
            cmd: None,
        }
    }

    /// The latest status snapshot.
    pub fn status(&self) -> NetStatus {
        self.status.borrow().clone()
    }

    /// Block a peer (disconnect it and refuse its connections) or unblock it.
    pub async fn block(&self, peer: libp2p::PeerId, block: bool) -> Result<(), String> {
        let Some(cmd) = &self.cmd else {
            return Err("the peer network is disabled on this node".into());
        };
        let (tx, rx) = oneshot::channel();
        cmd.send(NetCommand::Block(peer, block, tx))
            .await
            .map_err(|_| "the peer network has stopped".to_string())?;
        rx.await
            .map_err(|_| "the peer network has stopped".to_string())
    }

    /// Ask every admitted peer for its heads now; returns how many were asked.
    pub async fn refresh_heads(&self) -> Result<usize, String> {
        let Some(cmd) = &self.cmd else {
            return Err("the peer network is disabled on this node".into());
        };
        let (tx, rx) = oneshot::channel();
        cmd.send(NetCommand::RefreshHeads(tx))
            .await
            .map_err(|_| "the peer network has stopped".to_string())?;
        rx.await
            .map_err(|_| "the peer network has stopped".to_string())
    }

    /// Apply a revocation (JSON) and gossip it to the network.
    pub async fn revoke(&self, bytes: Vec<u8>) -> Result<(), String> {
        let Some(cmd) = &self.cmd else {
            return Err("the peer network is disabled on this node".into());
        };
        let (tx, rx) = oneshot::channel();
        cmd.send(NetCommand::Revoke(bytes, tx))
            .await
            .map_err(|_| "the peer network has stopped".to_string())?;
        rx.await
            .map_err(|_| "the peer network has stopped".to_string())?
    }
}

/// Build the swarm, start listening and dialling, and run the driver on a task.
pub async fn spawn(params: NetParams) -> Result<(NetHandle, tokio::task::JoinHandle<Result<()>>)> {
    let (status_tx, status_rx) = watch::channel(NetStatus::default());
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let mut driver =
        driver::Driver::new(params, status_tx, cmd_rx).context("starting the peer network")?;
    driver.start().await?;
    let task = tokio::spawn(async move { driver.run().await });
    Ok((
        NetHandle {
            status: status_rx,
            cmd: Some(cmd_tx),
        },
        task,
    ))
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// How often the driver plans sync requests and commits staged writes.
pub(crate) const FAST_TICK: Duration = Duration::from_millis(100);
