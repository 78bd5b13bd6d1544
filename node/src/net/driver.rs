//! The network driver: owns the swarm and every piece of network state, and runs one
//! event loop (swarm events, the own ledger's progress, commands, timers, shutdown).
//! Peer life cycle and admission are in `peers.rs`, gossip validation in `gossip.rs`,
//! outbound gossip in `announce.rs`, sync in `sync.rs`, the status snapshot in
//! `status.rs`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::{Context, Result};
use futures::StreamExt;
use libp2p::gossipsub::TopicHash;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::SwarmEvent;
use libp2p::{identify, kad, noise, relay, tcp, yamux, Multiaddr, PeerId, Swarm};
use shoal_config::{NetworkConfig, Role};
use shoal_crypto::keys::PublicKey;
use shoal_crypto::NodeKey;
use shoal_protocol::admission::{Admitted, TrustRoots};
use shoal_protocol::sync::{PlannerConfig, SyncPlanner};
use shoal_protocol::wire::{self, Control};
use tokio::sync::{mpsc, watch};

use super::behaviour::{Behaviour, BehaviourEvent, Settings, PROTOCOL_VERSION};
use super::directory::Directory;
use super::penalty::Penalties;
use super::replicas::Replicas;
use super::status::{Counters, NetStatus};
use super::{now_ms, topics, NetCommand, NetParams, FAST_TICK};
use crate::ledger::writer::LedgerState;
use crate::store::Store;

/// How many connected peers the node tries to keep through discovery.
const TARGET_PEERS: usize = 16;
/// Re-gossip our admission chain this often (longer than gossipsub's duplicate window).
pub(super) const ADMISSION_REANNOUNCE_MS: u64 = 130_000;

/// State of one connected peer.
#[derive(Debug, Default)]
pub(super) struct Peer {
    /// Its key (from the peer id).
    pub key: Option<PublicKey>,
    /// Its verified admission.
    pub admitted: Option<Admitted>,
    /// Remote addresses of its connections.
    pub addrs: Vec<Multiaddr>,
    /// Topics it subscribed to before its admission was known.
    pub early_subscriptions: Vec<TopicHash>,
    /// Sizes of publishers' logs it holds (from its `Heads` answers).
    pub heads: HashMap<PublicKey, u64>,
    /// Connections open to it.
    pub connections: usize,
}

pub(super) struct Driver {
    pub swarm: Swarm<Behaviour>,
    pub own: PublicKey,
    pub own_peer: PeerId,
    pub role: Role,
    pub store: Store,
    pub cfg: NetworkConfig,
    pub limits: wire::Limits,
    pub max_envelope: usize,
    pub dir: Directory,
    pub replicas: Replicas,
    pub planner: SyncPlanner<PeerId>,
    pub penalties: Penalties,
    pub peers: HashMap<PeerId, Peer>,
    pub joined: HashSet<String>,
    pub parking: super::parking::Parking,
    pub ledger_state: watch::Receiver<LedgerState>,
    pub gossiped_size: u64,
    pub gossiped_checkpoint: Option<u64>,
    pub status_tx: watch::Sender<NetStatus>,
    pub counters: Counters,
    pub reservations: HashSet<PeerId>,
    pub nat: String,
    pub heads_turn: usize,
    pub bootstrap: Vec<(PeerId, Multiaddr)>,
    pub shutdown: watch::Receiver<bool>,
    pub listen_addrs: Vec<Multiaddr>,
    pub asked: HashMap<libp2p::request_response::OutboundRequestId, super::sync::Asked>,
    pub cmd_rx: mpsc::Receiver<NetCommand>,
    pub admission_announced_ms: u64,
    /// Relayed listeners by relay peer (members reserve a slot on admitted anchors).
    pub circuits: HashMap<PeerId, libp2p::core::transport::ListenerId>,
    /// Peers the operator blocked (kept blocked when a penalty ban expires).
    pub operator_blocked: HashSet<PeerId>,
    /// Witnessing settings.
    pub witnessing: super::witness::Witnessing,
    /// Forks being proven, by publisher.
    pub forks: HashMap<PublicKey, super::fork::ForkProbe>,
    /// Credibility state (evidence in, reputation out).
    pub credibility: std::sync::Arc<crate::credibility::Credibility>,
}

fn parse_bootstrap(addrs: &[String]) -> Result<Vec<(PeerId, Multiaddr)>> {
    addrs
        .iter()
        .map(|a| {
            let ma: Multiaddr = a
                .parse()
                .with_context(|| format!("bootstrap address {a:?} is not a multiaddr"))?;
            let peer = ma
                .iter()
                .find_map(|p| match p {
                    Protocol::P2p(id) => Some(id),
                    _ => None,
                })
                .with_context(|| format!("bootstrap address {a:?} lacks /p2p/<peer-id>"))?;
            Ok((peer, ma))
        })
        .collect()
}

fn build_swarm(key: &NodeKey, s: &Settings) -> Result<Swarm<Behaviour>> {
    let keypair = key.libp2p_keypair()?;
    let swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .context("TCP transport")?
        .with_quic()
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .context("relay client transport")?
        .with_behaviour(|k, relay_client| {
            Behaviour::new(k, relay_client, s)
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.into() })
        })
        .map_err(|e| anyhow::anyhow!("network behaviour: {e}"))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
        .build();
    Ok(swarm)
}

impl Driver {
    pub fn new(
        p: NetParams,
        status_tx: watch::Sender<NetStatus>,
        cmd_rx: mpsc::Receiver<NetCommand>,
    ) -> Result<Self> {
        let limits = wire::Limits {
            max_envelope_bytes: p.max_envelope_bytes,
            max_leaves: p.cfg.sync_batch.max(1) as usize,
            ..wire::Limits::default()
        };
        let settings = Settings {
            max_connections: p.cfg.max_connections,
            max_connections_per_peer: p.cfg.max_connections_per_peer,
            relay_server: p.cfg.relay_server.unwrap_or(p.role == Role::Anchor),
            mesh_n: p.cfg.mesh_n,
            heartbeat: Duration::from_millis(p.cfg.heartbeat_ms),
            duplicate_window: Duration::from_millis(p.cfg.duplicate_window_ms),
            max_message_bytes: p.max_envelope_bytes.saturating_add(4096),
            max_sync_response: limits.max_message_bytes,
            sync_timeout: Duration::from_millis(p.cfg.sync_timeout_ms),
        };
        let swarm = build_swarm(&p.key, &settings)?;
        let own = p.key.public();
        let roots =
            TrustRoots::from_vkeys(&p.cfg.trust_anchors).context("network.trust_anchors")?;
        let dir = Directory::new(roots, &own, &p.name, p.own_chain, &p.store, now_ms() / 1000)
            .context("the installed admission certificate")?;
        let replicas = Replicas::load(p.store.clone())?;
        let planner = SyncPlanner::new(PlannerConfig {
            request_timeout_ms: p.cfg.sync_timeout_ms,
            max_leaves: p.cfg.sync_batch,
            max_in_flight_per_peer: 4,
            ..PlannerConfig::default()
        });
        let state = *p.ledger_state.borrow();
        Ok(Self {
            own_peer: *swarm.local_peer_id(),
            swarm,
            own,
            role: p.role,
            bootstrap: parse_bootstrap(&p.cfg.bootstrap)?,
            store: p.store,
            cfg: p.cfg,
            limits,
            max_envelope: p.max_envelope_bytes,
            dir,
            replicas,
            planner,
            penalties: Penalties::default(),
            peers: HashMap::new(),
            joined: HashSet::new(),
            parking: super::parking::Parking::default(),
            ledger_state: p.ledger_state,
            gossiped_size: state.size,
            gossiped_checkpoint: None,
            status_tx,
            counters: Counters::default(),
            reservations: HashSet::new(),
            nat: "unknown".into(),
            heads_turn: 0,
            shutdown: p.shutdown,
            listen_addrs: Vec::new(),
            asked: HashMap::new(),
            cmd_rx,
            admission_announced_ms: 0,
            circuits: HashMap::new(),
            operator_blocked: HashSet::new(),
            witnessing: p.witnessing,
            forks: HashMap::new(),
            credibility: p.credibility,
        })
    }

    /// Listen, subscribe and dial the bootstrap peers.
    pub async fn start(&mut self) -> Result<()> {
        for a in &self.cfg.listen {
            let ma: Multiaddr = a
                .parse()
                .with_context(|| format!("network.listen {a:?} is not a multiaddr"))?;
            self.swarm
                .listen_on(ma)
                .with_context(|| format!("cannot listen on {a}"))?;
        }
        for a in &self.cfg.external_addresses {
            if let Ok(ma) = a.parse::<Multiaddr>() {
                self.swarm.add_external_address(ma);
            }
        }
        if self.dir.own.is_none() {
            tracing::warn!(
                "this node holds no admission certificate: peers will not exchange intel with it \
                 (see `shoal admission request`)"
            );
        }
        self.join_topics();
        for (peer, addr) in self.bootstrap.clone() {
            self.swarm
                .behaviour_mut()
                .kad
                .add_address(&peer, addr.clone());
            if let Err(e) = self.swarm.dial(addr.clone()) {
                tracing::warn!(%addr, error = %e, "cannot dial bootstrap peer");
            }
        }
        Ok(())
    }

    /// Subscribe to the control topic, the CLEAR topic and the topics of every community
    /// this node is admitted to (a trust root joins every community it has seen), each
    /// with its advisory (priority) topic.
    pub fn join_topics(&mut self) {
        if self.dir.own.is_none() {
            return;
        }
        let mut wanted = vec![
            topics::control(),
            topics::clear(),
            topics::advisories_clear(),
        ];
        for c in self.dir.own_communities() {
            wanted.push(topics::community(&c));
            wanted.push(topics::advisories(&c));
        }
        for t in wanted {
            let name = t.hash().into_string();
            if self.joined.insert(name.clone()) {
                if let Err(e) = self.swarm.behaviour_mut().gossipsub.subscribe(&t) {
                    tracing::warn!(topic = name, error = %e, "cannot subscribe");
                    self.joined.remove(&name);
                }
            }
        }
    }

    pub async fn run(mut self) -> Result<()> {
        let mut fast = tokio::time::interval(FAST_TICK);
        fast.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut slow = tokio::time::interval(Duration::from_millis(self.cfg.sync_interval_ms));
        slow.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut status = tokio::time::interval(Duration::from_millis(500));
        status.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = self.shutdown.changed() => break,
                ev = self.swarm.select_next_some() => self.on_swarm_event(ev),
                Some(cmd) = self.cmd_rx.recv() => self.on_command(cmd),
                changed = self.ledger_state.changed() => {
                    if changed.is_err() { break; }
                    self.gossip_own();
                }
                _ = fast.tick() => {
                    self.plan_sync();
                    self.push_to_witnesses();
                    self.commit();
                }
                _ = slow.tick() => self.maintain(),
                _ = status.tick() => self.publish_status(),
            }
            if self.replicas.staged() >= 512 {
                self.commit();
            }
        }
        self.commit();
        tracing::info!("peer network stopped");
        Ok(())
    }

    fn on_command(&mut self, cmd: NetCommand) {
        match cmd {
            NetCommand::Revoke(bytes, reply) => {
                let result = self.apply_revocation(&bytes).map(|_| {
                    let msg = Control::Revocation(bytes).encode();
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .gossipsub
                        .publish(topics::control(), msg);
                });
                let _ = reply.send(result);
            }
            NetCommand::RefreshHeads(reply) => {
                let peers: Vec<PeerId> = self
                    .peers
                    .iter()
                    .filter(|(_, p)| p.admitted.is_some())
                    .map(|(id, _)| *id)
                    .collect();
                for p in &peers {
                    self.ask_heads(*p);
                }
                let _ = reply.send(peers.len());
            }
            NetCommand::Block(peer, block, reply) => {
                let b = &mut self.swarm.behaviour_mut().blocked;
                if block {
                    self.operator_blocked.insert(peer);
                    b.block_peer(peer);
                    tracing::info!(%peer, "peer blocked by the operator");
                } else {
                    self.operator_blocked.remove(&peer);
                    b.unblock_peer(peer);
                    tracing::info!(%peer, "peer unblocked by the operator");
                    if let Some(addr) = self
                        .bootstrap
                        .iter()
                        .find(|(p, _)| *p == peer)
                        .map(|(_, a)| a.clone())
                    {
                        let _ = self.swarm.dial(addr);
                    } else {
                        let _ = self.swarm.dial(peer);
                    }
                }
                let _ = reply.send(());
            }
        }
    }

    pub fn commit(&mut self) {
        if let Err(e) = self.replicas.commit() {
            tracing::error!(error = %e, "cannot store received intel; it will be fetched again by sync");
        }
    }

    /// Periodic work: ask a peer for its heads, announce our admission and checkpoint,
    /// keep enough peers, refresh relay reservations.
    fn maintain(&mut self) {
        self.ask_heads_round_robin();
        self.announce_admission();
        self.announce_checkpoint();
        self.reserve_relays();
        self.expire_parked();
        self.lift_expired_bans();
        self.refresh_scores();
        let connected = self.peers.len();
        for (peer, addr) in self.bootstrap.clone() {
            if !self.swarm.is_connected(&peer) {
                let _ = self.swarm.dial(addr);
            }
        }
        if connected > 0 && connected < TARGET_PEERS {
            let _ = self.swarm.behaviour_mut().kad.bootstrap();
        }
    }

    fn on_swarm_event(&mut self, ev: SwarmEvent<BehaviourEvent>) {
        match ev {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "listening");
                if !self.listen_addrs.contains(&address) {
                    self.listen_addrs.push(address);
                }
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_addrs.retain(|a| a != &address);
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                addresses,
                reason,
            } => {
                for a in &addresses {
                    self.listen_addrs.retain(|x| x != a);
                }
                let relay = self
                    .circuits
                    .iter()
                    .find(|(_, id)| **id == listener_id)
                    .map(|(p, _)| *p);
                if let Some(p) = relay {
                    tracing::debug!(relay = %p, ?reason, "relayed listener closed; will retry");
                    self.circuits.remove(&p);
                    self.reservations.remove(&p);
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                num_established,
                ..
            } => self.on_connected(
                peer_id,
                endpoint.get_remote_address().clone(),
                num_established.get(),
            ),
            SwarmEvent::ConnectionClosed {
                peer_id,
                endpoint,
                num_established,
                ..
            } => {
                if let Some(p) = self.peers.get_mut(&peer_id) {
                    let addr = endpoint.get_remote_address();
                    if let Some(i) = p.addrs.iter().position(|a| a == addr) {
                        p.addrs.remove(i);
                    }
                    p.connections = num_established as usize;
                }
                if num_established == 0 {
                    self.peers.remove(&peer_id);
                    self.planner.forget_peer(&peer_id);
                    self.reservations.remove(&peer_id);
                    tracing::debug!(peer = %peer_id, "disconnected");
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(peer = ?peer_id, error = %error, "dial failed");
            }
            SwarmEvent::Behaviour(b) => self.on_behaviour_event(b),
            _ => {}
        }
    }

    fn on_behaviour_event(&mut self, ev: BehaviourEvent) {
        match ev {
            BehaviourEvent::Gossipsub(e) => self.on_gossipsub(e),
            BehaviourEvent::Admission(e) => self.on_admission(e),
            BehaviourEvent::Sync(e) => self.on_sync(e),
            BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. }) => {
                if info.protocol_version != PROTOCOL_VERSION {
                    tracing::info!(peer = %peer_id, version = info.protocol_version, "not a Shoal peer; closing");
                    let _ = self.swarm.disconnect_peer_id(peer_id);
                    return;
                }
                for a in info.listen_addrs {
                    if is_dialable(&a) {
                        self.swarm.behaviour_mut().kad.add_address(&peer_id, a);
                    }
                }
            }
            BehaviourEvent::Kad(kad::Event::RoutingUpdated {
                peer, addresses, ..
            }) if self.peers.len() < TARGET_PEERS
                && !self.swarm.is_connected(&peer)
                && peer != self.own_peer =>
            {
                let opts = libp2p::swarm::dial_opts::DialOpts::peer_id(peer)
                    .addresses(addresses.into_vec())
                    .build();
                let _ = self.swarm.dial(opts);
            }
            BehaviourEvent::RelayClient(relay::client::Event::ReservationReqAccepted {
                relay_peer_id,
                ..
            }) => {
                tracing::info!(relay = %relay_peer_id, "relay reservation accepted");
                self.reservations.insert(relay_peer_id);
            }
            BehaviourEvent::Autonat(libp2p::autonat::Event::StatusChanged { new, .. }) => {
                self.nat = format!("{new:?}");
                tracing::info!(status = self.nat, "NAT status");
            }
            BehaviourEvent::Dcutr(e) => {
                tracing::debug!(peer = %e.remote_peer_id, result = ?e.result.is_ok(), "hole punch");
            }
            _ => {}
        }
    }

    /// Our own admission, if any.
    pub(super) fn own_admission(&self) -> Option<&Admitted> {
        self.dir.own.as_ref()
    }
}

/// Whether an address is worth giving to Kademlia (not unspecified).
fn is_dialable(a: &Multiaddr) -> bool {
    !a.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_unspecified(),
        Protocol::Ip6(ip) => ip.is_unspecified(),
        _ => false,
    })
}
