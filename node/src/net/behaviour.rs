//! The composed libp2p behaviour of a Shoal node, in poll-priority order: the operator's
//! block list and connection limits first (they refuse connections before anything else sees them), then relay
//! and hole punching (connectivity), identify and Kademlia (discovery), AutoNAT, the
//! admission exchange, gossipsub (delivery) and anti-entropy sync.

use std::time::Duration;

use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::NetworkBehaviour;
use libp2p::{
    allow_block_list, autonat, connection_limits, dcutr, gossipsub, identify, identity::Keypair,
    kad, ping, relay, request_response, StreamProtocol,
};
use shoal_crypto::hash::sha256;

use super::codec::{FrameCodec, ADMISSION_PROTOCOL, SYNC_PROTOCOL};
use super::penalty;

/// Identify's protocol version string; peers on another network id are ignored.
pub const PROTOCOL_VERSION: &str = "/shoal/1.0.0";
/// Kademlia protocol of Shoal's private DHT (kept apart from the public IPFS DHT).
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/shoal/kad/1.0.0");

/// Everything the behaviour needs from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Most established connections.
    pub max_connections: u32,
    /// Most established connections per peer.
    pub max_connections_per_peer: u32,
    /// Serve as a relay v2.
    pub relay_server: bool,
    /// Gossipsub mesh degree.
    pub mesh_n: usize,
    /// Gossipsub heartbeat.
    pub heartbeat: Duration,
    /// Largest gossip message (an envelope plus framing).
    pub max_message_bytes: usize,
    /// Largest sync response frame.
    pub max_sync_response: usize,
    /// Sync request timeout.
    pub sync_timeout: Duration,
    /// Gossipsub's duplicate cache time.
    pub duplicate_window: Duration,
}

/// The node's behaviour.
#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// Peers the operator blocked (`shoal peers block`): refused before anything else.
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    /// Connection limits (a refused connection reaches nothing else).
    pub limits: connection_limits::Behaviour,
    /// Relay v2 client: reservations on anchors, reachable behind NAT.
    pub relay_client: relay::client::Behaviour,
    /// Relay v2 server (anchors).
    pub relay: Toggle<relay::Behaviour>,
    /// Direct connection upgrade through relay (hole punching).
    pub dcutr: dcutr::Behaviour,
    /// Identify: listen addresses, observed address, protocols.
    pub identify: identify::Behaviour,
    /// Liveness.
    pub ping: ping::Behaviour,
    /// Kademlia peer discovery inside the network.
    pub kad: kad::Behaviour<kad::store::MemoryStore>,
    /// AutoNAT: are we reachable?
    pub autonat: autonat::Behaviour,
    /// Certificate exchange right after connecting.
    pub admission: request_response::Behaviour<FrameCodec>,
    /// Intel and control delivery.
    pub gossipsub: gossipsub::Behaviour,
    /// Anti-entropy: heads and leaves.
    pub sync: request_response::Behaviour<FrameCodec>,
}

/// The gossip message id: the ledger leaf hash for intel (the envelope bytes are the
/// ledger entry), SHA-256 of the bytes for control messages — duplicates by content.
pub fn message_id(msg: &gossipsub::Message) -> gossipsub::MessageId {
    if msg.topic.as_str() == super::topics::CONTROL {
        gossipsub::MessageId::from(sha256(&msg.data).to_vec())
    } else {
        gossipsub::MessageId::from(shoal_crypto::hash::leaf_hash(&msg.data).to_vec())
    }
}

/// Peer scoring: only the application-specific score (our penalties, see
/// [`penalty`]) and gossipsub's own behaviour penalties; IP colocation is off because
/// members behind one NAT, and every node of a local test network, share an address.
fn score_params() -> gossipsub::PeerScoreParams {
    gossipsub::PeerScoreParams {
        app_specific_weight: 1.0,
        ip_colocation_factor_weight: 0.0,
        ..Default::default()
    }
}

/// Shoal's gossipsub: anonymous messages (envelopes carry their own signatures),
/// content-addressed ids ([`message_id`]), validation reported by the node, mesh degree
/// `mesh_n`, flood publishing, and peer scoring by the application score (penalties and
/// reputation). The node and the simulator's libp2p backend both build it here.
pub fn shoal_gossipsub(
    mesh_n: usize,
    heartbeat: Duration,
    max_message_bytes: usize,
    duplicate_window: Duration,
) -> anyhow::Result<gossipsub::Behaviour> {
    let mesh_low = (mesh_n * 5 / 6).max(1);
    let gs_cfg = gossipsub::ConfigBuilder::default()
        .validation_mode(gossipsub::ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(message_id)
        .max_transmit_size(max_message_bytes)
        .heartbeat_interval(heartbeat)
        .mesh_n(mesh_n)
        .mesh_n_low(mesh_low)
        .mesh_n_high(mesh_n * 2)
        .mesh_outbound_min((mesh_n / 3).min(mesh_low.saturating_sub(1)))
        .duplicate_cache_time(duplicate_window)
        .flood_publish(true)
        .build()
        .map_err(|e| anyhow::anyhow!("gossipsub configuration: {e}"))?;
    let mut gossipsub =
        gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Anonymous, gs_cfg)
            .map_err(|e| anyhow::anyhow!("gossipsub: {e}"))?;
    gossipsub
        .with_peer_score(score_params(), penalty::thresholds())
        .map_err(|e| anyhow::anyhow!("gossipsub peer scoring: {e}"))?;
    Ok(gossipsub)
}

impl Behaviour {
    /// Build the behaviour.
    pub fn new(
        key: &Keypair,
        relay_client: relay::client::Behaviour,
        s: &Settings,
    ) -> anyhow::Result<Self> {
        let peer_id = key.public().to_peer_id();
        let limits = connection_limits::Behaviour::new(
            connection_limits::ConnectionLimits::default()
                .with_max_established(Some(s.max_connections))
                .with_max_established_per_peer(Some(s.max_connections_per_peer))
                .with_max_pending_incoming(Some(s.max_connections.min(128)))
                .with_max_pending_outgoing(Some(s.max_connections.min(128))),
        );
        let relay = Toggle::from(s.relay_server.then(|| {
            let mut r = relay::Behaviour::new(
                peer_id,
                relay::Config {
                    max_reservations: 1024,
                    max_reservations_per_peer: 4,
                    max_circuits: 1024,
                    max_circuits_per_peer: 16,
                    max_circuit_duration: Duration::from_secs(3600),
                    max_circuit_bytes: 1 << 30,
                    ..Default::default()
                },
            );
            // An anchor is configured to relay: serve at once instead of waiting for
            // AutoNAT to confirm an external address (members connect within
            // milliseconds and would otherwise be refused).
            r.set_status(Some(relay::Status::Enable));
            r
        }));
        let identify = identify::Behaviour::new(
            identify::Config::new(PROTOCOL_VERSION.into(), key.public())
                .with_agent_version(format!("shoal/{}", env!("CARGO_PKG_VERSION"))),
        );
        let mut kad_cfg = kad::Config::new(KAD_PROTOCOL);
        kad_cfg.set_query_timeout(Duration::from_secs(30));
        let mut kad =
            kad::Behaviour::with_config(peer_id, kad::store::MemoryStore::new(peer_id), kad_cfg);
        kad.set_mode(Some(kad::Mode::Server));
        let autonat = autonat::Behaviour::new(
            peer_id,
            autonat::Config {
                only_global_ips: false,
                boot_delay: Duration::from_secs(5),
                ..Default::default()
            },
        );
        let admission = request_response::Behaviour::with_codec(
            FrameCodec {
                max_request: 128 << 10,
                max_response: 128 << 10,
            },
            [(ADMISSION_PROTOCOL, request_response::ProtocolSupport::Full)],
            request_response::Config::default().with_request_timeout(Duration::from_secs(20)),
        );
        let sync = request_response::Behaviour::with_codec(
            FrameCodec {
                max_request: 64 << 10,
                max_response: s.max_sync_response,
            },
            [(SYNC_PROTOCOL, request_response::ProtocolSupport::Full)],
            request_response::Config::default()
                .with_request_timeout(s.sync_timeout)
                .with_max_concurrent_streams(64),
        );
        let gossipsub = shoal_gossipsub(
            s.mesh_n,
            s.heartbeat,
            s.max_message_bytes,
            s.duplicate_window,
        )?;
        Ok(Self {
            blocked: allow_block_list::Behaviour::default(),
            limits,
            relay_client,
            relay,
            dcutr: dcutr::Behaviour::new(peer_id),
            identify,
            ping: ping::Behaviour::new(ping::Config::new()),
            kad,
            autonat,
            admission,
            gossipsub,
            sync,
        })
    }
}
