//! Fork investigation: when a publisher's signed leaves do not reproduce its own newer
//! checkpoint (`Advance::Inconsistent`), its history forked below our verified prefix —
//! what a cloned data directory produces when the copies' checkpoints never share a
//! size. The node fetches the other history's leaves from a peer that holds them (in
//! `sync_batch`-sized requests, bounded to [`MAX_FORK_LEAVES`]), and proves the fork
//! with `protocol::provenance::fork::diverging_logs` (an inclusion-kind equivocation
//! proof: the first index holding different leaves, under each signed checkpoint). The
//! proof is recorded and gossiped like any other. Leaves that do not reproduce the
//! checkpoint they were fetched for cost the serving peer a `BadSync`.

use libp2p::PeerId;
use shoal_crypto::keys::PublicKey;
use shoal_crypto::Hash;
use shoal_protocol::provenance::fork::{diverging_logs, ForkError};
use shoal_protocol::provenance::Side;
use shoal_protocol::wire::{Leaf, SyncRequest};

use super::driver::Driver;
use super::penalty::Offence;
use super::sync::Asked;
use super::{heads, now_ms};

/// Largest history fetched to prove a fork.
pub const MAX_FORK_LEAVES: u64 = 1 << 20;
/// An investigation with no answer for this long is given up (and may start again).
const FORK_TIMEOUT_MS: u64 = 60_000;

/// One fork being investigated.
#[derive(Debug)]
pub struct ForkProbe {
    /// The checkpoint the leaves do not reproduce.
    note: String,
    /// Its size.
    size: u64,
    /// The peer asked.
    peer: PeerId,
    /// Leaf hashes fetched so far, from index 0.
    leaves: Vec<Hash>,
    /// When the last request went out (unix ms).
    asked_ms: u64,
}

impl Driver {
    /// Start proving that `publisher`'s log forked below its target checkpoint.
    pub(super) fn investigate_fork(&mut self, publisher: &PublicKey) {
        let now = now_ms();
        if self
            .forks
            .get(publisher)
            .is_some_and(|p| now.saturating_sub(p.asked_ms) < FORK_TIMEOUT_MS)
            || self.store.is_equivocating(publisher).unwrap_or(true)
        {
            return;
        }
        let Some(note) = self.replicas.target_note(publisher) else {
            return;
        };
        let Ok(cp) = heads::open(publisher, &note) else {
            return;
        };
        if cp.size == 0 || cp.size > MAX_FORK_LEAVES {
            tracing::warn!(publisher = %hex::encode(publisher.0), size = cp.size, "forked log too large to prove");
            return;
        }
        // A peer that verified the other history: its heads reach the checkpoint's size,
        // or the publisher itself.
        let publisher_peer = publisher.peer_id().ok();
        let Some(peer) = self
            .peers
            .iter()
            .filter(|(_, p)| p.admitted.is_some())
            .find(|(id, p)| {
                p.heads.get(publisher).is_some_and(|s| *s >= cp.size)
                    || Some(**id) == publisher_peer
            })
            .map(|(id, _)| *id)
        else {
            tracing::debug!(publisher = %hex::encode(publisher.0), "no peer holds the other history yet");
            return;
        };
        tracing::info!(publisher = %hex::encode(publisher.0), size = cp.size, %peer, "publisher's history forked; fetching the other branch to prove it");
        self.forks.insert(
            *publisher,
            ForkProbe {
                note,
                size: cp.size,
                peer,
                leaves: Vec::new(),
                asked_ms: now,
            },
        );
        self.ask_fork_leaves(publisher);
    }

    fn ask_fork_leaves(&mut self, publisher: &PublicKey) {
        let batch = self.cfg.sync_batch.max(1);
        let Some(probe) = self.forks.get_mut(publisher) else {
            return;
        };
        let from = probe.leaves.len() as u64;
        let to = probe.size.min(from.saturating_add(batch));
        probe.asked_ms = now_ms();
        let peer = probe.peer;
        let req = SyncRequest::Leaves {
            publisher: *publisher,
            ranges: vec![(from, to)],
        };
        let id = self
            .swarm
            .behaviour_mut()
            .sync
            .send_request(&peer, req.encode());
        self.asked.insert(id, Asked::Fork(*publisher));
    }

    /// Leaves of the other history arrived (`None`: the request failed or was refused).
    pub(super) fn on_fork_leaves(
        &mut self,
        peer: PeerId,
        publisher: &PublicKey,
        items: Option<Vec<(u64, Leaf)>>,
    ) {
        let Some(items) = items else {
            self.forks.remove(publisher);
            return;
        };
        let Some(probe) = self.forks.get_mut(publisher) else {
            return;
        };
        for (index, leaf) in items {
            if index != probe.leaves.len() as u64 || index >= probe.size {
                self.forks.remove(publisher);
                self.punish_with(
                    peer,
                    Offence::BadSync,
                    Some(format!("fork probe: unexpected leaf index {index}")),
                );
                return;
            }
            probe.leaves.push(leaf.leaf_hash());
        }
        if (probe.leaves.len() as u64) < probe.size {
            self.ask_fork_leaves(publisher);
            return;
        }
        let Some(probe) = self.forks.remove(publisher) else {
            return;
        };
        let Some(note_a) = self.replicas.verified_note(publisher) else {
            return;
        };
        let verified = self.replicas.verified_size(publisher);
        let mut held = Vec::new();
        for item in self.store.held_from(publisher, 0) {
            match item {
                Ok((i, h)) if i < verified => held.push(h.leaf_hash()),
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read held leaves");
                    return;
                }
            }
        }
        match diverging_logs(*publisher, &note_a, &held, &probe.note, &probe.leaves) {
            Ok(proof) => self.report_equivocation(Ok(proof)),
            Err(ForkError::LeavesDoNotMatch { side: Side::B, .. }) => self.punish_with(
                peer,
                Offence::BadSync,
                Some(format!(
                    "log {}: served leaves that do not reproduce the checkpoint of size {}",
                    hex::encode(publisher.0.get(..8).unwrap_or_default()),
                    probe.size
                )),
            ),
            Err(e) => tracing::warn!(error = %e, "fork not proven"),
        }
    }
}
