//! Gossip at the boundary: every gossipsub message is decoded and checked here and the
//! verdict (accept / ignore / reject) is reported back to gossipsub, which forwards only
//! accepted messages. Rejections penalise the forwarding peer (see `penalty.rs`).
//!
//! Intel checks, in order: the forwarding peer is admitted; the bytes decode as an
//! envelope within the size limit and the publisher's signature verifies; the TLP and
//! community fit the topic (CLEAR on the CLEAR topic, GREEN/AMBER on their community's
//! topic; the priority advisory topics likewise, carrying only advisories and acks) and
//! the forwarding peer belongs to that community; the publisher is admitted
//! (unknown publishers are held back until their admission arrives) and may publish to
//! that community; this node may receive it; it is not a replay of a held item.

use libp2p::gossipsub::{self, MessageAcceptance, TopicHash};
use libp2p::PeerId;
use shoal_protocol::sync::{Conflict, Insert, Observe};
use shoal_protocol::wire::Control;
use shoal_protocol::{Envelope, EnvelopeError};

use super::driver::Driver;
use super::penalty::Offence;
use super::{heads, now_ms, topics};
use crate::store::replicas::Held;

/// A copy of an item this node has held for longer than gossip's duplicate window
/// (`network.duplicate_window_ms`) plus a quarter is a replay and costs the sender;
/// earlier copies are honest races.
fn replay_after_ms(duplicate_window_ms: u64) -> u64 {
    duplicate_window_ms.saturating_add(duplicate_window_ms / 4)
}

/// The verdict on one message, and who is to blame for a rejection.
pub(super) enum Verdict {
    Accept,
    Ignore,
    /// Not forwarded and not invalid, but the sender is charged (replays).
    IgnoreAndCharge(Offence),
    Reject(Offence),
}

impl Driver {
    pub(super) fn on_gossipsub(&mut self, ev: gossipsub::Event) {
        match ev {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                let verdict = match topics::classify(&message.topic) {
                    topics::Kind::Control => self.on_control(propagation_source, &message.data),
                    topics::Kind::Clear
                    | topics::Kind::Community(_)
                    | topics::Kind::AdvisoryClear
                    | topics::Kind::AdvisoryCommunity(_) => {
                        self.ingest_intel(Some(propagation_source), &message.topic, &message.data)
                    }
                    topics::Kind::Unknown => Verdict::Reject(Offence::WrongTopic),
                };
                let acceptance = match verdict {
                    Verdict::Accept => MessageAcceptance::Accept,
                    Verdict::Ignore => {
                        self.counters.gossip_ignored += 1;
                        MessageAcceptance::Ignore
                    }
                    Verdict::IgnoreAndCharge(offence) => {
                        self.counters.gossip_ignored += 1;
                        self.punish(propagation_source, offence);
                        MessageAcceptance::Ignore
                    }
                    Verdict::Reject(offence) => {
                        self.counters.gossip_rejected += 1;
                        self.punish(propagation_source, offence);
                        MessageAcceptance::Reject
                    }
                };
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&message_id, &propagation_source, acceptance);
            }
            gossipsub::Event::Subscribed { peer_id, topic } => {
                self.check_subscription(peer_id, &topic);
            }
            _ => {}
        }
    }

    /// Validate and store one intel message; `source` is the forwarding peer (`None` for
    /// a message released from the parking area).
    pub(super) fn ingest_intel(
        &mut self,
        source: Option<PeerId>,
        topic: &TopicHash,
        data: &[u8],
    ) -> Verdict {
        let now = now_ms();
        let source_adm = match source {
            Some(peer) => match self.peers.get(&peer).and_then(|p| p.admitted.clone()) {
                Some(a) => Some(a),
                None => return Verdict::Reject(Offence::Unadmitted),
            },
            None => None,
        };
        let env = match Envelope::decode_verified(data, self.max_envelope) {
            Ok(e) => e,
            Err(EnvelopeError::BadSignature) | Err(EnvelopeError::InvalidPublisherKey) => {
                return Verdict::Reject(Offence::BadSignature)
            }
            Err(_) => return Verdict::Reject(Offence::Malformed),
        };
        let b = &env.body;
        let fits = match topics::classify(topic) {
            topics::Kind::Clear => b.tlp == shoal_protocol::Tlp::Clear,
            topics::Kind::Community(c) => {
                matches!(
                    b.tlp,
                    shoal_protocol::Tlp::Green | shoal_protocol::Tlp::Amber
                ) && b.community == c
            }
            topics::Kind::AdvisoryClear => {
                b.tlp == shoal_protocol::Tlp::Clear && topics::carries_advisory(&b.object)
            }
            topics::Kind::AdvisoryCommunity(c) => {
                matches!(
                    b.tlp,
                    shoal_protocol::Tlp::Green | shoal_protocol::Tlp::Amber
                ) && b.community == c
                    && topics::carries_advisory(&b.object)
            }
            _ => false,
        };
        if !fits {
            return Verdict::Reject(Offence::WrongTopic);
        }
        // The forwarding peer must itself be allowed to hold the item.
        if let Some(a) = &source_adm {
            if !a.may_receive(b.tlp, &b.community) {
                return Verdict::Reject(Offence::WrongTopic);
            }
        }
        if b.publisher == self.own {
            return Verdict::Ignore;
        }
        let Some(publisher) = self.dir.admitted(&b.publisher, now / 1000).cloned() else {
            if self.dir.knows(&b.publisher) {
                // Known but expired or revoked.
                return Verdict::Reject(Offence::Unadmitted);
            }
            // Held back (bounded) until its admission arrives; the forwarder is asked
            // for the publisher's chain. Over the bounds, the forwarder is charged.
            return if self.park(b.publisher, topic.clone(), data.to_vec(), source) {
                Verdict::Ignore
            } else {
                Verdict::Reject(Offence::Unadmitted)
            };
        };
        if b.tlp != shoal_protocol::Tlp::Clear && !publisher.is_member_of(&b.community) {
            return Verdict::Reject(Offence::Unadmitted);
        }
        match self.own_admission() {
            Some(own) if own.may_receive(b.tlp, &b.community) => {}
            _ => return Verdict::Ignore,
        }
        match self.store.held(&b.publisher, b.ledger_index) {
            Ok(Some(Held::Full {
                bytes, received_ms, ..
            })) => {
                if bytes == data {
                    // Gossip drops repeats inside its duplicate window; a copy arriving
                    // shortly after we stored the item is an honest race with sync. Only
                    // a copy of an item held for longer than the window is a replay.
                    let replay = now.saturating_sub(received_ms)
                        > replay_after_ms(self.cfg.duplicate_window_ms);
                    return if replay && source.is_some() {
                        Verdict::IgnoreAndCharge(Offence::Replay)
                    } else {
                        Verdict::Ignore
                    };
                }
                // The publisher signed two items at one index: its fault, not the
                // forwarder's. Not forwarded; the proof is gossiped instead.
                self.conflicting_entries(&bytes, data);
                return Verdict::Ignore;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "store read failed");
                return Verdict::Ignore;
            }
        }
        let publisher_key = b.publisher;
        let index = b.ledger_index;
        let out = self.replicas.add_full(&publisher_key, index, data, now);
        match out {
            Insert::TooFarAhead => return Verdict::Ignore,
            Insert::Conflict(Conflict::Equivocation { .. }) => return Verdict::Ignore,
            Insert::Conflict(Conflict::PeerOverruled {
                offender: Some(p), ..
            })
            | Insert::Conflict(Conflict::PeerContradicted {
                offender: Some(p), ..
            }) => {
                self.punish(p, Offence::BadSync);
            }
            _ => {}
        }
        self.counters.gossip_accepted += 1;
        self.credibility.observe(&env);
        self.try_advance(&publisher_key);
        Verdict::Accept
    }

    fn on_control(&mut self, source: PeerId, data: &[u8]) -> Verdict {
        let now = now_ms();
        if self
            .peers
            .get(&source)
            .and_then(|p| p.admitted.as_ref())
            .is_none()
        {
            return Verdict::Reject(Offence::Unadmitted);
        }
        let msg = match Control::decode(data, &self.limits) {
            Ok(m) => m,
            Err(_) => return Verdict::Reject(Offence::Malformed),
        };
        match msg {
            Control::Checkpoint { publisher, note } => {
                let cp = match heads::open(&publisher, &note) {
                    Ok(cp) => cp,
                    Err(_) => return Verdict::Reject(Offence::BadSignature),
                };
                // New witness cosignatures travel on (the bytes differ from the
                // checkpoint gossiped before, so gossip does not see a duplicate).
                let cosigned = self.merge_cosignatures(&publisher, &cp, &note);
                if publisher == self.own {
                    return if cosigned {
                        Verdict::Accept
                    } else {
                        Verdict::Ignore
                    };
                }
                if self.dir.admitted(&publisher, now / 1000).is_none() {
                    return Verdict::Ignore;
                }
                match self.replicas.observe(&publisher, &cp, &note) {
                    Observe::Updated => {
                        self.counters.checkpoints += 1;
                        self.witness_gossiped(source, &publisher, &cp, &note);
                        if let Some(p) = self.peers.get_mut(&source) {
                            // The forwarder saw it; it may or may not hold the entries.
                            p.heads.entry(publisher).or_insert(0);
                        }
                        self.try_advance(&publisher);
                        Verdict::Accept
                    }
                    Observe::Ignored if cosigned => Verdict::Accept,
                    Observe::Ignored => Verdict::Ignore,
                    Observe::Equivocation(eq) => {
                        self.conflicting_checkpoints(
                            &publisher,
                            &eq.known.note,
                            &eq.conflicting.note,
                        );
                        Verdict::Ignore
                    }
                    Observe::ContradictsVerified { size } => {
                        tracing::warn!(
                            publisher = %hex::encode(publisher.0),
                            size,
                            "publisher signed a checkpoint that contradicts its verified log"
                        );
                        Verdict::Ignore
                    }
                }
            }
            Control::Admission(chain) => {
                let Ok(parsed) = shoal_protocol::admission::Chain::parse(&chain) else {
                    return Verdict::Reject(Offence::Malformed);
                };
                let Some(subject) = parsed.leaf().map(|c| c.subject) else {
                    return Verdict::Reject(Offence::Malformed);
                };
                if self.dir.admitted(&subject, now / 1000).is_some()
                    && self.dir.chain_bytes(&subject).as_deref() == Some(&chain[..])
                {
                    return Verdict::Ignore;
                }
                match self.dir.learn(&subject, &chain, now / 1000) {
                    Ok(_) => {
                        let _ = self.store.put_chain(&subject, &chain);
                        self.unpark(&subject);
                        Verdict::Accept
                    }
                    Err(_) => Verdict::Reject(Offence::Unadmitted),
                }
            }
            Control::Equivocation(bytes) => self.on_equivocation_proof(&bytes),
            Control::Revocation(bytes) => match self.apply_revocation(&bytes) {
                Ok(()) => Verdict::Accept,
                Err(_) => Verdict::Reject(Offence::BadSignature),
            },
        }
    }
}
