//! Peer life cycle: a new connection starts the admission exchange (the peer stays
//! graylisted until its certificate chain verifies), admission lets it into gossip and
//! sync, subscriptions to communities it does not belong to and revocations cut it off,
//! and offences are charged and bans enforced (weights in `penalty.rs`). Members also
//! keep relay reservations on their admitted bootstrap anchors here.

use libp2p::gossipsub::TopicHash;
use libp2p::multiaddr::Protocol;
use libp2p::{request_response, Multiaddr, PeerId};
use shoal_config::Role;
use shoal_crypto::keys::PublicKey;
use shoal_protocol::admission::{Admitted, Communities};
use shoal_protocol::wire::Hello;

use super::driver::Driver;
use super::penalty::{Offence, Verdict, UNADMITTED_SCORE};
use super::{now_ms, peer_key, topics};

impl Driver {
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

    pub(super) fn on_connected(&mut self, peer: PeerId, addr: Multiaddr, n: u32) {
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

    pub(super) fn on_admission(&mut self, ev: request_response::Event<Vec<u8>, Vec<u8>>) {
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
    pub(super) fn check_hello(&mut self, peer: PeerId, bytes: &[u8]) -> bool {
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

    pub(super) fn dir_chain_bytes(&self, key: &PublicKey) -> Vec<u8> {
        self.dir.chain_bytes(key).unwrap_or_default()
    }

    pub(super) fn on_peer_admitted(&mut self, peer: PeerId, adm: Admitted) {
        let now = now_ms();
        let early = match self.peers.get_mut(&peer) {
            Some(p) => {
                p.admitted = Some(adm.clone());
                std::mem::take(&mut p.early_subscriptions)
            }
            None => return,
        };
        let score = self.penalties.score(&peer, now) + self.reputation(&peer);
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
    pub(super) fn reserve_relays(&mut self) {
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
        if let topics::Kind::Community(c) | topics::Kind::AdvisoryCommunity(c) =
            topics::classify(topic)
        {
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
        self.punish_with(peer, offence, None);
    }

    /// [`Self::punish`], recording what exactly was wrong.
    pub(super) fn punish_with(&mut self, peer: PeerId, offence: Offence, detail: Option<String>) {
        match self.penalties.punish_with(peer, offence, now_ms(), detail) {
            Verdict::Score(s) => {
                if self.peers.get(&peer).is_some_and(|p| p.admitted.is_some()) {
                    let s = s + self.reputation(&peer);
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

    /// The reputation part of an admitted peer's application score
    /// ([`super::penalty::reputation_score`] of its relative trust).
    pub(super) fn reputation(&self, peer: &PeerId) -> f64 {
        let trust = self
            .peers
            .get(peer)
            .and_then(|p| p.key)
            .and_then(|k| self.credibility.relative_trust(&k));
        super::penalty::reputation_score(trust)
    }

    /// Re-apply every admitted peer's application score (penalty decay, reputation).
    pub(super) fn refresh_scores(&mut self) {
        let now = now_ms();
        let admitted: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.admitted.is_some())
            .map(|(id, _)| *id)
            .collect();
        for peer in admitted {
            let s = self.penalties.score(&peer, now) + self.reputation(&peer);
            self.swarm
                .behaviour_mut()
                .gossipsub
                .set_application_score(&peer, s);
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
    pub(super) fn lift_expired_bans(&mut self) {
        let now = now_ms();
        for peer in self.penalties.expired_bans(now) {
            if !self.operator_blocked.contains(&peer) {
                self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            }
        }
    }
}
