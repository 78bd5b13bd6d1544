//! The network driver: owns the swarm and every piece of network state, and runs one
//! event loop (swarm events, the own ledger's progress, timers, shutdown). Connection
//! life cycle and admission live here; gossip validation is in `gossip.rs`, sync in
//! `sync.rs`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use anyhow::{Context, Result};
use futures::StreamExt;
use libp2p::gossipsub::{IdentTopic, TopicHash};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::SwarmEvent;
use libp2p::{identify, kad, noise, relay, request_response, tcp, yamux, Multiaddr, PeerId, Swarm};
use shoal_config::{NetworkConfig, Role};
use shoal_crypto::keys::PublicKey;
use shoal_crypto::NodeKey;
use shoal_protocol::admission::{Admitted, Communities, TrustRoots};
use shoal_protocol::sync::{PlannerConfig, SyncPlanner};
use shoal_protocol::wire::{self, Control, Hello};
use tokio::sync::{mpsc, watch};

use super::behaviour::{Behaviour, BehaviourEvent, Settings, PROTOCOL_VERSION};
use super::directory::Directory;
use super::penalty::{Offence, Penalties, Verdict, UNADMITTED_SCORE};
use super::replicas::Replicas;
use super::status::{Counters, LogInfo, NetStatus, OwnAdmission, PeerInfo};
use super::{now_ms, peer_key, topics, NetCommand, NetParams, FAST_TICK};
use crate::ledger::writer::LedgerState;
use crate::store::Store;

/// How many connected peers the node tries to keep through discovery.
const TARGET_PEERS: usize = 16;
/// Re-gossip our admission chain this often (longer than gossipsub's duplicate window).
const ADMISSION_REANNOUNCE_MS: u64 = 130_000;

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
    /// this node is admitted to (a trust root joins every community it has seen).
    pub fn join_topics(&mut self) {
        if self.dir.own.is_none() {
            return;
        }
        let mut wanted = vec![topics::control(), topics::clear()];
        for c in self.dir.own_communities() {
            wanted.push(topics::community(&c));
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

    /// Take a revocation: remember it, drop the admissions it ends and disconnect those peers.
    pub(super) fn apply_revocation(&mut self, bytes: &[u8]) -> Result<(), String> {
        let now = now_ms();
        let removed = self
            .dir
            .add_revocation(bytes, now / 1000)
            .map_err(|e| e.to_string())?;
        let _ = self.store.put_revocation(bytes);
        let gone: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.key.is_some_and(|k| removed.contains(&k)))
            .map(|(id, _)| *id)
            .collect();
        for peer in gone {
            tracing::info!(%peer, "peer's admission revoked; disconnecting");
            self.ban(peer);
        }
        Ok(())
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

    fn on_connected(&mut self, peer: PeerId, addr: Multiaddr, n: u32) {
        let now = now_ms();
        if self.penalties.is_banned(&peer, now) {
            tracing::debug!(%peer, "banned peer connected; closing");
            let _ = self.swarm.disconnect_peer_id(peer);
            return;
        }
        let entry = self.peers.entry(peer).or_default();
        entry.addrs.push(addr.clone());
        entry.connections = n as usize;
        if n > 1 {
            return;
        }
        entry.key = peer_key::public_key(&peer);
        if entry.key.is_none() {
            tracing::info!(%peer, "peer id carries no Ed25519 key; closing");
            let _ = self.swarm.disconnect_peer_id(peer);
            return;
        }
        // Until its admission is verified, the peer is graylisted: it can neither inject
        // gossip nor receive any.
        self.swarm
            .behaviour_mut()
            .gossipsub
            .set_application_score(&peer, UNADMITTED_SCORE);
        let hello = Hello {
            chain: self.dir.own_chain.clone(),
        };
        self.swarm
            .behaviour_mut()
            .admission
            .send_request(&peer, hello.encode());
        tracing::debug!(%peer, %addr, "connected; admission exchange started");
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

    fn on_admission(&mut self, ev: request_response::Event<Vec<u8>, Vec<u8>>) {
        use request_response::{Event, Message};
        match ev {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                let ok = self.check_hello(peer, &request);
                // Only an admitted peer learns our chain (and with it our communities).
                let reply = if ok {
                    Hello {
                        chain: self.dir.own_chain.clone(),
                    }
                } else {
                    Hello { chain: Vec::new() }
                };
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .admission
                    .send_response(channel, reply.encode());
            }
            Event::Message {
                peer,
                message: Message::Response { response, .. },
                ..
            } => {
                self.check_hello(peer, &response);
            }
            Event::OutboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, %error, "admission exchange failed");
            }
            _ => {}
        }
    }

    /// Verify a peer's `Hello`; on success mark it admitted, otherwise disconnect and ban it.
    fn check_hello(&mut self, peer: PeerId, bytes: &[u8]) -> bool {
        let now = now_ms();
        let Some(key) = self.peers.get(&peer).and_then(|p| p.key) else {
            return false;
        };
        if self
            .peers
            .get(&peer)
            .and_then(|p| p.admitted.as_ref())
            .is_some()
        {
            return true;
        }
        let result = Hello::decode(bytes, &self.limits)
            .map_err(|e| e.to_string())
            .and_then(|h| {
                self.dir
                    .learn(&key, &h.chain, now / 1000)
                    .map_err(|e| e.to_string())
            });
        match result {
            Ok(adm) => {
                let _ = self.store.put_chain(&key, &self.dir_chain_bytes(&key));
                tracing::info!(%peer, name = adm.name, role = %adm.role, "peer admitted");
                self.on_peer_admitted(peer, adm);
                true
            }
            Err(reason) => {
                tracing::info!(%peer, reason, "peer failed admission; disconnecting");
                self.ban(peer);
                false
            }
        }
    }

    fn dir_chain_bytes(&self, key: &PublicKey) -> Vec<u8> {
        self.dir.chain_bytes(key).unwrap_or_default()
    }

    fn on_peer_admitted(&mut self, peer: PeerId, adm: Admitted) {
        let now = now_ms();
        let early = match self.peers.get_mut(&peer) {
            Some(p) => {
                p.admitted = Some(adm.clone());
                std::mem::take(&mut p.early_subscriptions)
            }
            None => return,
        };
        let score = self.penalties.score(&peer, now);
        self.swarm
            .behaviour_mut()
            .gossipsub
            .set_application_score(&peer, score);
        for t in early {
            self.check_subscription(peer, &t);
        }
        // A trust root follows every community its members belong to.
        if matches!(
            self.dir.own.as_ref().map(|o| &o.communities),
            Some(Communities::All)
        ) {
            self.join_topics();
        }
        if let Some(key) = self.peers.get(&peer).and_then(|p| p.key) {
            self.unpark(&key);
        }
        self.reserve_relays();
        self.ask_heads(peer);
        self.announce_admission();
    }

    /// Members reserve a relay slot on every connected, admitted bootstrap anchor that
    /// they hold no relayed listener on, so that peers can reach them behind NAT. Called
    /// on admission and periodically (a refused or expired reservation is retried).
    fn reserve_relays(&mut self) {
        if !self.cfg.use_relays || self.role != Role::Member {
            return;
        }
        let anchors: Vec<(PeerId, Multiaddr)> = self
            .bootstrap
            .iter()
            .filter(|(p, _)| !self.circuits.contains_key(p))
            .filter(|(p, _)| {
                self.peers
                    .get(p)
                    .and_then(|x| x.admitted.as_ref())
                    .is_some_and(|a| a.role == shoal_protocol::admission::Role::Anchor)
            })
            .cloned()
            .collect();
        for (peer, addr) in anchors {
            let circuit = addr.with(Protocol::P2pCircuit);
            match self.swarm.listen_on(circuit.clone()) {
                Ok(id) => {
                    self.circuits.insert(peer, id);
                }
                Err(e) => tracing::debug!(%circuit, error = %e, "cannot listen through relay"),
            }
        }
    }

    /// A peer subscribed to `topic`: community topics are for that community's members only.
    pub(super) fn check_subscription(&mut self, peer: PeerId, topic: &TopicHash) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let Some(adm) = p.admitted.clone() else {
            p.early_subscriptions.push(topic.clone());
            return;
        };
        if let topics::Kind::Community(c) = topics::classify(topic) {
            if !adm.is_member_of(&c) {
                tracing::info!(%peer, community = c, "peer subscribed to a community it is not admitted to");
                self.punish(peer, Offence::WrongTopic);
                self.swarm.behaviour_mut().gossipsub.blacklist_peer(&peer);
                self.ban(peer);
            }
        }
    }

    /// Penalise a peer (see `penalty.rs`); disconnects and bans at the threshold.
    pub(super) fn punish(&mut self, peer: PeerId, offence: Offence) {
        match self.penalties.punish(peer, offence, now_ms()) {
            Verdict::Score(s) => {
                if self.peers.get(&peer).is_some_and(|p| p.admitted.is_some()) {
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .set_application_score(&peer, s);
                }
            }
            Verdict::Ban => {
                tracing::warn!(%peer, "peer banned after repeated offences");
                self.ban(peer);
            }
        }
    }

    /// Ban `peer` for [`super::penalty::BAN_MS`]: disconnected, and its connections refused
    /// by the block list until the ban expires.
    pub(super) fn ban(&mut self, peer: PeerId) {
        self.penalties.ban(peer, now_ms());
        self.swarm.behaviour_mut().blocked.block_peer(peer);
        let _ = self.swarm.disconnect_peer_id(peer);
    }

    /// Let banned peers back once their ban expired (operator blocks stay).
    fn lift_expired_bans(&mut self) {
        let now = now_ms();
        for peer in self.penalties.expired_bans(now) {
            if !self.operator_blocked.contains(&peer) {
                self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            }
        }
    }

    /// Gossip our admission chain on the control topic (so that nodes not directly
    /// connected to us can check our items).
    fn announce_admission(&mut self) {
        let now = now_ms();
        // gossipsub refuses to publish the same bytes again within its duplicate window.
        if self.dir.own_chain.is_empty()
            || self.peers.is_empty()
            || now.saturating_sub(self.admission_announced_ms) < ADMISSION_REANNOUNCE_MS
        {
            return;
        }
        let msg = Control::Admission(self.dir.own_chain.clone()).encode();
        if self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(topics::control(), msg)
            .is_ok()
        {
            self.admission_announced_ms = now;
        }
    }

    /// Gossip our latest checkpoint if it changed.
    pub(super) fn announce_checkpoint(&mut self) {
        let Some(size) = self.ledger_state.borrow().checkpoint else {
            return;
        };
        if self.gossiped_checkpoint == Some(size) {
            return;
        }
        let note = match self.store.checkpoint(size) {
            Ok(Some(n)) => n,
            _ => return,
        };
        let msg = Control::Checkpoint {
            publisher: self.own,
            note,
        }
        .encode();
        // Remember it only once sent: under load gossip may refuse it (queues full), and
        // then the next tick tries again.
        if self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(topics::control(), msg)
            .is_ok()
        {
            self.gossiped_checkpoint = Some(size);
        }
    }

    /// Gossip own entries appended since the last call, then the new checkpoint.
    fn gossip_own(&mut self) {
        let state = *self.ledger_state.borrow();
        if self.dir.own.is_some() {
            let mut idx = self.gossiped_size;
            while idx < state.size {
                match self.store.entry(idx) {
                    Ok(Some(bytes)) => self.publish_entry(bytes),
                    Ok(None) => break,
                    Err(e) => {
                        tracing::error!(index = idx, error = %e, "cannot read own entry to gossip");
                        break;
                    }
                }
                idx += 1;
            }
        }
        self.gossiped_size = state.size;
        self.announce_checkpoint();
    }

    fn publish_entry(&mut self, bytes: Vec<u8>) {
        let env = match shoal_protocol::Envelope::decode(&bytes, self.max_envelope) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "own entry does not decode; not gossiped");
                return;
            }
        };
        // RED and AMBER+STRICT never leave; `for_item` has no topic for them.
        let Some(topic): Option<IdentTopic> = topics::for_item(env.body.tlp, &env.body.community)
        else {
            return;
        };
        match self.swarm.behaviour_mut().gossipsub.publish(topic, bytes) {
            Ok(_) => self.counters.published += 1,
            // No peer in the topic yet: sync delivers it once peers learn the checkpoint.
            Err(e) => {
                tracing::debug!(error = %e, index = env.body.ledger_index, "gossip publish deferred to sync")
            }
        }
    }

    fn publish_status(&mut self) {
        let now = now_ms();
        let gs = &self.swarm.behaviour().gossipsub;
        let mut peers: Vec<PeerInfo> = self
            .peers
            .iter()
            .map(|(id, p)| PeerInfo {
                peer_id: id.to_string(),
                admitted: p.admitted.is_some(),
                name: p.admitted.as_ref().map(|a| a.name.clone()),
                role: p.admitted.as_ref().map(|a| a.role.to_string()),
                communities: p
                    .admitted
                    .as_ref()
                    .map(|a| communities_list(&a.communities))
                    .unwrap_or_default(),
                score: self.penalties.score(id, now),
                gossip_score: gs.peer_score(id),
                addresses: p.addrs.iter().map(|a| a.to_string()).collect(),
                relayed: p
                    .addrs
                    .iter()
                    .any(|a| a.iter().any(|x| matches!(x, Protocol::P2pCircuit))),
            })
            .collect();
        peers.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
        let mut logs: Vec<LogInfo> = self
            .replicas
            .publishers()
            .into_iter()
            .filter_map(|p| {
                let (v, k) = self.replicas.sizes(&p)?;
                Some(LogInfo {
                    publisher: hex::encode(p.0),
                    peer_id: p.peer_id().map(|x| x.to_string()).unwrap_or_default(),
                    verified_size: v,
                    known_size: k,
                })
            })
            .collect();
        logs.sort_by(|a, b| a.publisher.cmp(&b.publisher));
        let status = NetStatus {
            enabled: true,
            peer_id: self.own_peer.to_string(),
            listen_addrs: self.listen_addrs.iter().map(|a| a.to_string()).collect(),
            admission: self.dir.own.as_ref().map(|a| OwnAdmission {
                name: a.name.clone(),
                role: a.role.to_string(),
                communities: communities_list(&a.communities),
                expires_at: a.expires_at,
            }),
            peers,
            offences: self
                .penalties
                .counts()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            counters: {
                let (items, bytes) = self.parking.size();
                let mut c = self.counters.clone();
                c.parked_items = items as u64;
                c.parked_bytes = bytes as u64;
                c
            },
            relay_reservations: self.reservations.iter().map(|p| p.to_string()).collect(),
            nat_status: self.nat.clone(),
            logs,
        };
        self.status_tx.send_if_modified(|s| {
            if *s != status {
                *s = status;
                true
            } else {
                false
            }
        });
    }

    /// Our own admission, if any.
    pub(super) fn own_admission(&self) -> Option<&Admitted> {
        self.dir.own.as_ref()
    }
}

/// Communities as a list (`*` for all).
pub(super) fn communities_list(c: &Communities) -> Vec<String> {
    match c {
        Communities::All => vec!["*".into()],
        Communities::Only(s) => s.iter().cloned().collect(),
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
