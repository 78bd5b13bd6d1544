//! Anti-entropy sync over request-response: asking peers for their heads (the newest
//! verified checkpoint of every log they hold), fetching missing leaf ranges planned by
//! `protocol::sync::SyncPlanner`, checking what comes back (signatures, indices, then the
//! RFC 9162 root against the publisher's checkpoint), and serving the same to peers —
//! full envelopes only to peers eligible for them, bare leaf hashes otherwise.

use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::PeerId;
use shoal_crypto::keys::PublicKey;
use shoal_protocol::admission::Admitted;
use shoal_protocol::sync::{Advance, Conflict, Insert, Need, Observe};
use shoal_protocol::wire::{Head, Leaf, SyncRequest, SyncResponse};
use shoal_protocol::Envelope;

use super::driver::Driver;
use super::penalty::Offence;
use super::{heads, now_ms};
use crate::store::replicas::Held;
use crate::store::Store;

/// What an outstanding sync request was for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Asked {
    Heads,
    Leaves(PublicKey),
    Chains,
    /// A consistency proof, to cosign this publisher's gossiped checkpoint (witness).
    Consistency(PublicKey),
    /// A witness's cosignature of our checkpoint.
    AddCheckpoint,
    /// Leaves of another branch of this publisher's forked log.
    Fork(PublicKey),
}

impl Driver {
    pub(super) fn on_sync(&mut self, ev: request_response::Event<Vec<u8>, Vec<u8>>) {
        use request_response::{Event, Message};
        match ev {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => self.serve(peer, &request, channel),
            Event::Message {
                peer,
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                let asked = self.asked.remove(&request_id);
                self.on_sync_response(peer, asked, &response);
            }
            Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                tracing::debug!(%peer, %error, "sync request failed");
                match self.asked.remove(&request_id) {
                    Some(Asked::Leaves(p)) => {
                        self.planner.on_failure(&peer, &p);
                    }
                    Some(Asked::AddCheckpoint) => self.on_push_answer(peer, None),
                    Some(Asked::Fork(p)) => self.on_fork_leaves(peer, &p, None),
                    _ => {}
                }
                // An answer over the size limit (refused unread by the codec).
                if let request_response::OutboundFailure::Io(e) = &error {
                    if e.kind() == std::io::ErrorKind::InvalidData {
                        self.punish(peer, Offence::Malformed);
                    }
                }
            }
            _ => {}
        }
    }

    /// Ask `peer` for its heads.
    pub(super) fn ask_heads(&mut self, peer: PeerId) {
        let id = self
            .swarm
            .behaviour_mut()
            .sync
            .send_request(&peer, SyncRequest::Heads.encode());
        self.asked.insert(id, Asked::Heads);
    }

    /// Ask `peer` for the admission chains of `keys` (publishers of items it forwarded).
    pub(super) fn ask_chains(&mut self, peer: PeerId, keys: Vec<PublicKey>) {
        let id = self
            .swarm
            .behaviour_mut()
            .sync
            .send_request(&peer, SyncRequest::Chains(keys).encode());
        self.asked.insert(id, Asked::Chains);
    }

    /// Ask the next admitted peer (round robin) for its heads.
    pub(super) fn ask_heads_round_robin(&mut self) {
        let mut admitted: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.admitted.is_some())
            .map(|(id, _)| *id)
            .collect();
        if admitted.is_empty() {
            return;
        }
        admitted.sort();
        self.heads_turn = self.heads_turn.wrapping_add(1);
        let peer = admitted[self.heads_turn % admitted.len()];
        self.ask_heads(peer);
    }

    /// Plan and send leaf requests for every log behind its newest checkpoint.
    pub(super) fn plan_sync(&mut self) {
        let needs = self.replicas.needs(self.cfg.sync_batch.saturating_mul(4));
        if needs.is_empty() {
            return;
        }
        let mut planned = Vec::new();
        for (publisher, missing) in needs {
            let (_, known) = self.replicas.sizes(&publisher).unwrap_or((0, 0));
            let publisher_peer = publisher.peer_id().ok();
            // Peers known to hold the range first (their heads), the publisher itself,
            // then any admitted peer.
            let mut peers: Vec<PeerId> = self
                .peers
                .iter()
                .filter(|(_, p)| p.admitted.is_some())
                .filter(|(id, p)| {
                    Some(**id) == publisher_peer
                        || p.heads
                            .get(&publisher)
                            .is_some_and(|&s| s >= known.min(s.max(1)))
                })
                .map(|(id, _)| *id)
                .collect();
            if peers.is_empty() {
                peers = self
                    .peers
                    .iter()
                    .filter(|(_, p)| p.admitted.is_some())
                    .map(|(id, _)| *id)
                    .collect();
            }
            peers.sort();
            if peers.is_empty() {
                continue;
            }
            planned.push(Need {
                publisher,
                missing,
                peers,
            });
        }
        let now = now_ms();
        let mut budget = self
            .cfg
            .sync_parallel
            .saturating_sub(self.leaves_in_flight());
        for (peer, req) in self.planner.plan(now, &planned) {
            if budget == 0 {
                // Over the parallelism budget: release and plan again next tick.
                if let SyncRequest::Leaves { publisher, .. } = &req {
                    self.planner.on_response(&peer, publisher);
                }
                continue;
            }
            budget -= 1;
            let publisher = match &req {
                SyncRequest::Leaves { publisher, .. } => *publisher,
                _ => continue,
            };
            let id: OutboundRequestId = self
                .swarm
                .behaviour_mut()
                .sync
                .send_request(&peer, req.encode());
            self.asked.insert(id, Asked::Leaves(publisher));
        }
    }

    fn leaves_in_flight(&self) -> usize {
        self.asked
            .values()
            .filter(|a| matches!(a, Asked::Leaves(_)))
            .count()
    }

    fn on_sync_response(&mut self, peer: PeerId, asked: Option<Asked>, bytes: &[u8]) {
        let now = now_ms();
        let resp = match SyncResponse::decode(bytes, &self.limits) {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "undecodable sync response");
                if let Some(Asked::Leaves(p)) = asked {
                    self.planner.on_failure(&peer, &p);
                }
                self.punish(peer, Offence::Malformed);
                return;
            }
        };
        match (asked, resp) {
            (Some(Asked::AddCheckpoint), answer) => self.on_push_answer(peer, Some(answer)),
            (Some(Asked::Fork(asked_for)), SyncResponse::Leaves { publisher, items })
                if asked_for == publisher =>
            {
                self.on_fork_leaves(peer, &publisher, Some(items));
            }
            (Some(Asked::Fork(asked_for)), _) => self.on_fork_leaves(peer, &asked_for, None),
            (_, SyncResponse::Refused(reason)) => {
                tracing::debug!(%peer, reason, "sync refused");
                if let Some(Asked::Leaves(p)) = asked {
                    self.planner.on_failure(&peer, &p);
                }
            }
            (
                Some(Asked::Consistency(asked_for)),
                SyncResponse::Consistency {
                    publisher,
                    old_size,
                    new_size,
                    proof,
                },
            ) if asked_for == publisher => {
                self.on_consistency_proof(peer, &publisher, old_size, new_size, &proof);
            }
            (Some(Asked::Heads), SyncResponse::Heads(list)) => {
                let mut unknown = Vec::new();
                for Head { publisher, note } in list {
                    if publisher == self.own {
                        continue;
                    }
                    let Ok(cp) = heads::open(&publisher, &note) else {
                        self.punish(peer, Offence::BadSignature);
                        return;
                    };
                    if self.dir.admitted(&publisher, now / 1000).is_none() {
                        // A publisher whose admission we have not seen: ask this peer
                        // for the chain, then for its heads again.
                        if !self.dir.knows(&publisher) {
                            unknown.push(publisher);
                        }
                        continue;
                    }
                    if let Some(p) = self.peers.get_mut(&peer) {
                        let e = p.heads.entry(publisher).or_insert(0);
                        *e = (*e).max(cp.size);
                    }
                    self.merge_cosignatures(&publisher, &cp, &note);
                    match self.replicas.observe(&publisher, &cp, &note) {
                        Observe::Updated => self.counters.checkpoints += 1,
                        Observe::Equivocation(eq) => self.conflicting_checkpoints(
                            &publisher,
                            &eq.known.note,
                            &eq.conflicting.note,
                        ),
                        _ => {}
                    }
                    self.try_advance(&publisher);
                }
                if !unknown.is_empty() {
                    unknown.truncate(shoal_protocol::wire::MAX_CHAIN_KEYS);
                    self.ask_chains(peer, unknown);
                }
            }
            (Some(Asked::Chains), SyncResponse::Chains(chains)) => {
                let mut learnt = false;
                for chain in chains {
                    let subject = shoal_protocol::admission::Chain::parse(&chain)
                        .ok()
                        .and_then(|c| c.leaf().map(|l| l.subject));
                    let Some(subject) = subject else {
                        self.punish(peer, Offence::Malformed);
                        return;
                    };
                    let new = !self.dir.knows(&subject);
                    match self.dir.learn(&subject, &chain, now / 1000) {
                        Ok(_) => {
                            learnt |= new;
                            let _ = self.store.put_chain(&subject, &chain);
                            self.unpark(&subject);
                        }
                        Err(_) => {
                            self.punish(peer, Offence::Unadmitted);
                            return;
                        }
                    }
                }
                if learnt {
                    self.ask_heads(peer);
                }
            }
            (Some(Asked::Leaves(asked_for)), SyncResponse::Leaves { publisher, items }) => {
                let Some(ranges) = self.planner.on_response(&peer, &asked_for) else {
                    return;
                };
                if publisher != asked_for {
                    self.planner.mark_failed(&peer, &asked_for, ranges);
                    self.punish(peer, Offence::BadSync);
                    return;
                }
                self.take_leaves(peer, publisher, &ranges, items, now);
            }
            _ => {
                // An answer of the wrong kind.
                self.punish(peer, Offence::Malformed);
            }
        }
    }

    fn take_leaves(
        &mut self,
        peer: PeerId,
        publisher: PublicKey,
        ranges: &[(u64, u64)],
        items: Vec<(u64, Leaf)>,
        now: u64,
    ) {
        let own = self.own_admission().cloned();
        // One batch signature check for every full envelope of the response.
        let fulls: Vec<&[u8]> = items
            .iter()
            .filter_map(|(_, l)| match l {
                Leaf::Full(b) => Some(b.as_slice()),
                Leaf::Hash(_) => None,
            })
            .collect();
        let mut verified =
            shoal_protocol::envelope::decode_verified_batch(&fulls, self.max_envelope).into_iter();
        for (idx, leaf) in items {
            if !ranges.iter().any(|&(a, b)| idx >= a && idx < b) {
                let detail = format!(
                    "log {}: leaf {idx} outside the asked ranges",
                    short(&publisher)
                );
                self.punish_with(peer, Offence::BadSync, Some(detail));
                return;
            }
            let out = match leaf {
                Leaf::Full(bytes) => {
                    let env = match verified.next() {
                        Some(Ok(e)) => e,
                        _ => {
                            self.punish(peer, Offence::BadSignature);
                            return;
                        }
                    };
                    if env.body.publisher != publisher || env.body.ledger_index != idx {
                        let detail = format!(
                            "log {}: served an entry of log {} index {} as index {idx}",
                            short(&publisher),
                            short(&env.body.publisher),
                            env.body.ledger_index
                        );
                        self.punish_with(peer, Offence::BadSync, Some(detail));
                        return;
                    }
                    let eligible = own
                        .as_ref()
                        .is_some_and(|o| o.may_receive(env.body.tlp, &env.body.community));
                    if eligible {
                        if let Ok(Some(Held::Full { bytes: held, .. })) =
                            self.store.held(&publisher, idx)
                        {
                            if held != bytes {
                                // Two signed items at one index: the publisher's doing.
                                self.conflicting_entries(&held, &bytes);
                            }
                            continue;
                        }
                        self.counters.synced_items += 1;
                        self.credibility.observe(&env);
                        self.replicas.add_full(&publisher, idx, &bytes, now)
                    } else {
                        self.counters.synced_hashes += 1;
                        self.replicas.add_hash(
                            &publisher,
                            idx,
                            shoal_crypto::hash::leaf_hash(&bytes),
                            peer,
                            now,
                        )
                    }
                }
                Leaf::Hash(h) => {
                    self.counters.synced_hashes += 1;
                    self.replicas.add_hash(&publisher, idx, h, peer, now)
                }
            };
            if let Insert::Conflict(c) = out {
                match c {
                    Conflict::PeerOverruled {
                        offender: Some(p), ..
                    }
                    | Conflict::PeerContradicted {
                        offender: Some(p), ..
                    } => {
                        let detail = format!(
                            "log {}: leaf {idx} contradicts the publisher's signed entry",
                            short(&publisher)
                        );
                        self.punish_with(p, Offence::BadSync, Some(detail));
                    }
                    Conflict::Equivocation { index, .. } => tracing::warn!(
                        publisher = %hex::encode(publisher.0),
                        index,
                        "publisher signed two different items at one ledger index"
                    ),
                    _ => {}
                }
            }
        }
        self.try_advance(&publisher);
    }

    /// Move a log's verified prefix forward if everything up to its checkpoint is held.
    pub(super) fn try_advance(&mut self, publisher: &PublicKey) {
        let from = self.replicas.verified_size(publisher);
        let to = self
            .replicas
            .sizes(publisher)
            .map(|(_, k)| k)
            .unwrap_or(from);
        match self.replicas.advance(publisher) {
            Ok(Advance::Advanced { from, to, .. }) => {
                self.planner.on_verified(publisher);
                self.witness_checkpoint(publisher);
                self.update_witnessed(publisher);
                tracing::debug!(publisher = %hex::encode(publisher.0), from, to, "log verified against checkpoint");
            }
            Ok(Advance::Mismatch { offenders }) => {
                let peers: std::collections::BTreeSet<PeerId> =
                    offenders.into_iter().flatten().collect();
                // Only a sole source is certainly the liar; with several, the planner
                // fetches from one peer at a time until the next check names it alone.
                if peers.len() == 1 {
                    for p in &peers {
                        tracing::info!(peer = %p, "sync leaves did not match the publisher's checkpoint");
                        let detail = format!(
                            "log {}: leaves {from}..{to} do not match the publisher's checkpoint of size {to}",
                            short(publisher)
                        );
                        self.punish_with(*p, Offence::BadSync, Some(detail));
                    }
                }
                self.planner.on_mismatch(publisher, &peers, (from, to));
            }
            Ok(Advance::Inconsistent { size, .. }) => {
                tracing::warn!(publisher = %hex::encode(publisher.0), size, "publisher's signed items contradict its own checkpoint");
                self.investigate_fork(publisher);
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "cannot store replica state"),
        }
    }

    fn serve(&mut self, peer: PeerId, bytes: &[u8], channel: ResponseChannel<Vec<u8>>) {
        let admitted = self.peers.get(&peer).and_then(|p| p.admitted.clone());
        let response = match (admitted, SyncRequest::decode(bytes, &self.limits)) {
            (None, _) => SyncResponse::Refused("not admitted".into()).encode(),
            (Some(_), Err(_)) => {
                self.punish(peer, Offence::Malformed);
                SyncResponse::Refused("malformed request".into()).encode()
            }
            (Some(_), Ok(SyncRequest::Heads)) => self.heads_response().encode(),
            (Some(_), Ok(SyncRequest::Chains(keys))) => SyncResponse::Chains(
                keys.iter()
                    .filter_map(|k| self.dir.chain_bytes(k))
                    .take(shoal_protocol::wire::MAX_CHAIN_KEYS)
                    .collect(),
            )
            .encode(),
            (
                Some(_),
                Ok(SyncRequest::AddCheckpoint {
                    publisher,
                    old_size,
                    proof,
                    note,
                }),
            ) => self
                .serve_add_checkpoint(&publisher, old_size, &proof, &note)
                .encode(),
            (
                Some(_),
                Ok(SyncRequest::Consistency {
                    publisher,
                    old_size,
                    new_size,
                }),
            ) => self
                .serve_consistency(&publisher, old_size, new_size)
                .encode(),
            (Some(adm), Ok(SyncRequest::Leaves { publisher, ranges })) => {
                let own_size = self.ledger_state.borrow().size;
                let verified = self.replicas.verified_size(&publisher);
                leaves_response(
                    &self.store,
                    &adm,
                    publisher,
                    publisher == self.own,
                    own_size,
                    verified,
                    &ranges,
                    self.max_envelope,
                )
                .encode()
            }
        };
        self.counters.sync_served += 1;
        let _ = self
            .swarm
            .behaviour_mut()
            .sync
            .send_response(channel, response);
    }

    fn heads_response(&self) -> SyncResponse {
        let mut list: Vec<Head> = self
            .replicas
            .verified_heads()
            .into_iter()
            .map(|(publisher, note)| Head { publisher, note })
            .collect();
        if let Some(size) = self.ledger_state.borrow().checkpoint {
            if let Ok(Some(note)) = self.store.checkpoint(size) {
                list.push(Head {
                    publisher: self.own,
                    note,
                });
            }
        }
        list.sort_by_key(|h| h.publisher);
        list.dedup_by(|a, b| a.publisher == b.publisher);
        list.truncate(self.limits.max_heads);
        SyncResponse::Heads(list)
    }
}

/// Build a `Leaves` answer: own entries come from the ledger, others' from the
/// replicas; a full envelope goes only to a peer eligible for it, a bare leaf hash
/// otherwise; hashes of others' logs are only served inside the verified prefix.
#[allow(clippy::too_many_arguments)]
fn leaves_response(
    store: &Store,
    requester: &Admitted,
    publisher: PublicKey,
    is_own: bool,
    own_size: u64,
    verified: u64,
    ranges: &[(u64, u64)],
    max_envelope: usize,
) -> SyncResponse {
    let mut items = Vec::new();
    let full_or_hash = |bytes: Vec<u8>| -> Leaf {
        match Envelope::decode(&bytes, max_envelope) {
            Ok(env) if requester.may_receive(env.body.tlp, &env.body.community) => {
                Leaf::Full(bytes)
            }
            _ => Leaf::Hash(shoal_crypto::hash::leaf_hash(&bytes)),
        }
    };
    for &(from, to) in ranges {
        if is_own {
            for idx in from..to.min(own_size) {
                match store.entry(idx) {
                    Ok(Some(bytes)) => items.push((idx, full_or_hash(bytes))),
                    _ => break,
                }
            }
        } else {
            for held in store.held_from(&publisher, from) {
                let Ok((idx, held)) = held else { break };
                if idx >= to {
                    break;
                }
                match held {
                    Held::Full { bytes, .. } => items.push((idx, full_or_hash(bytes))),
                    Held::Hash { hash, .. } if idx < verified => {
                        items.push((idx, Leaf::Hash(hash)))
                    }
                    Held::Hash { .. } => {}
                }
            }
        }
    }
    SyncResponse::Leaves { publisher, items }
}

/// A publisher key, shortened for messages (the first 8 bytes in hex).
fn short(publisher: &PublicKey) -> String {
    hex::encode(publisher.0.get(..8).unwrap_or_default())
}
