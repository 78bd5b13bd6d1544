//! Witnessing (C2SP tlog-witness style), both sides.
//!
//! **As a witness** (anchors, by default) a node cosigns a publisher's checkpoint only
//! under `protocol::witness::check`: the checkpoint must be consistent with the last one
//! it cosigned for that log (kept durably in the store), proven by an RFC 9162
//! consistency proof. Checkpoints reach it three ways, all through [`Driver::cosign`]:
//! pushed directly by the publisher (`SyncRequest::AddCheckpoint`, with the proof);
//! gossiped on the control topic (the first of a log is trusted on first use, later ones
//! wait for a proof fetched with `SyncRequest::Consistency` from the peer that forwarded
//! them); and after its own replica verified the log (the proof is computed from the
//! held leaves). Cosigned checkpoints are gossiped back. A publisher that signed two
//! roots for one size is caught here too (the equivocation proof is gossiped), and
//! equivocating publishers are never cosigned.
//!
//! **As a publisher** a node pushes each new checkpoint to every trusted witness it is
//! connected to, naming the size the witness last cosigned (learnt from its `Conflict`
//! answers, as C2SP's 409) and proving consistency from there.
//!
//! Every node merges cosignatures by its trusted witnesses into the notes it keeps (its
//! own checkpoints included, so `GET /api/v1/ledger/checkpoint` shows them), and records
//! per log the size up to which items are witnessed under its k-of-n policy.

use std::collections::HashMap;

use libp2p::PeerId;
use shoal_crypto::checkpoint::Checkpoint;
use shoal_crypto::cosignature::{Witness, WitnessPolicy, WitnessVerifier};
use shoal_crypto::keys::PublicKey;
use shoal_crypto::note::Note;
use shoal_crypto::Hash;
use shoal_protocol::wire::{Control, SyncRequest, SyncResponse, MAX_REFUSAL_BYTES};
use shoal_protocol::witness::{self, Refusal};

use super::driver::Driver;
use super::sync::Asked;
use super::{heads, now_ms, topics};

/// Retry a push to a witness no sooner than this after the last try.
const PUSH_RETRY_MS: u64 = 2_000;

/// The witness settings and state of a node.
#[derive(Default)]
pub struct Witnessing {
    /// Our own witness identity, when we cosign.
    pub witness: Option<Witness>,
    /// The witnesses we trust and how many cosignatures make a checkpoint witnessed.
    pub policy: Option<WitnessPolicy>,
    /// Every trusted witness (also when `min` is 0), for merging cosignatures.
    pub trusted: Vec<WitnessVerifier>,
    /// Our pushes to trusted witnesses, by the witness's peer id.
    pub pushes: HashMap<PeerId, Push>,
    /// As a witness: gossiped checkpoints waiting for a consistency proof.
    pub awaiting_proof: HashMap<PublicKey, String>,
}

/// Where our log's push to one witness stands.
#[derive(Debug, Default, Clone, Copy)]
pub struct Push {
    /// The size the witness last cosigned for our log, as far as we know.
    pub witnessed: u64,
    /// The newest size whose cosignature we got back from it.
    pub cosigned: u64,
    /// A request is out.
    pub in_flight: bool,
    /// When we last sent one (unix ms).
    pub last_try_ms: u64,
}

/// Why a witness did not cosign.
#[derive(Debug, thiserror::Error)]
pub enum CosignError {
    /// This node is not a witness.
    #[error("this node is not a witness")]
    NotWitness,
    /// The note does not open under the publisher's key.
    #[error("checkpoint: {0}")]
    BadNote(String),
    /// The publisher is not admitted.
    #[error("the publisher is not admitted")]
    NotAdmitted,
    /// A verified equivocation proof against the publisher is held.
    #[error("the publisher is equivocating")]
    Equivocating,
    /// The witness rule refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Signing or storing failed.
    #[error("{0}")]
    Internal(String),
}

/// Add to `ours` the cosignatures of `theirs` (the same checkpoint text) that verify
/// under a trusted witness; returns the merged note text if anything was added.
pub fn merge(ours: &str, theirs: &str, trusted: &[WitnessVerifier]) -> Option<String> {
    let mut a = Note::parse(ours).ok()?;
    let b = Note::parse(theirs).ok()?;
    if a.text != b.text {
        return None;
    }
    let mut added = false;
    for w in trusted {
        let have = a
            .signatures
            .iter()
            .any(|s| s.name == w.name && s.key_id == w.key_id);
        if have || w.verify(&b).is_err() {
            continue;
        }
        if let Some(sig) = b
            .signatures
            .iter()
            .find(|s| s.name == w.name && s.key_id == w.key_id)
        {
            a.signatures.push(sig.clone());
            added = true;
        }
    }
    added.then(|| a.to_text())
}

/// A refusal as a sync answer (C2SP: 409 with the witnessed size, or an error).
fn refusal_response(e: &CosignError) -> SyncResponse {
    match e {
        CosignError::Refused(Refusal::Conflict { witnessed, .. }) => {
            SyncResponse::Conflict(*witnessed)
        }
        other => {
            let mut reason = other.to_string();
            if reason.len() > MAX_REFUSAL_BYTES {
                let mut cut = MAX_REFUSAL_BYTES;
                while !reason.is_char_boundary(cut) {
                    cut -= 1;
                }
                reason.truncate(cut);
            }
            SyncResponse::Refused(reason)
        }
    }
}

impl Driver {
    /// Cosign `publisher`'s checkpoint `note_text` if the witness rule allows it, given
    /// the size the requester names and its consistency proof; stores the new witnessed
    /// state (durably) before returning the cosigned note.
    pub(super) fn cosign(
        &mut self,
        publisher: &PublicKey,
        note_text: &str,
        old_size: u64,
        proof: &[Hash],
    ) -> Result<String, CosignError> {
        let Some(witness) = self.witnessing.witness.as_ref() else {
            return Err(CosignError::NotWitness);
        };
        if *publisher == self.own {
            return Err(CosignError::NotWitness);
        }
        let cp =
            heads::open(publisher, note_text).map_err(|e| CosignError::BadNote(e.to_string()))?;
        if self.store.is_equivocating(publisher).unwrap_or(true) {
            return Err(CosignError::Equivocating);
        }
        if self.dir.admitted(publisher, now_ms() / 1000).is_none() {
            return Err(CosignError::NotAdmitted);
        }
        let state = self
            .store
            .cosigned(publisher)
            .map_err(|e| CosignError::Internal(e.to_string()))?;
        let next = match witness::check(state.as_ref(), *publisher, &cp, note_text, old_size, proof)
        {
            Ok(next) => next,
            Err(refusal) => {
                // A conflict only tells the requester the witnessed size (C2SP's 409).
                if !matches!(refusal, Refusal::Conflict { .. }) {
                    self.counters.witness_refusals += 1;
                }
                if let Refusal::Equivocation { proof, .. } = &refusal {
                    self.report_equivocation(Ok((**proof).clone()));
                }
                return Err(refusal.into());
            }
        };
        let mut note = Note::parse(note_text).map_err(|e| CosignError::BadNote(e.to_string()))?;
        let me = witness.verifier();
        note.signatures
            .retain(|s| !(s.name == me.name && s.key_id == me.key_id));
        witness
            .add_cosignature(&mut note, now_ms() / 1000)
            .map_err(|e| CosignError::Internal(e.to_string()))?;
        let cosigned = note.to_text();
        let record = witness::Witnessed {
            note: cosigned.clone(),
            ..next
        };
        self.store
            .set_cosigned(publisher, &record)
            .map_err(|e| CosignError::Internal(e.to_string()))?;
        let advanced = state.as_ref().map_or(0, |w| w.size);
        if record.size > advanced {
            self.counters.cosigned += 1;
            if advanced > 0 {
                self.counters.cosigned_with_proof += 1;
            }
        }
        // Keep our cosignature on the replica's note too, when it is the same checkpoint.
        if let Some(verified) = self.replicas.verified_note(publisher) {
            if let Some(merged) = merge(&verified, &cosigned, std::slice::from_ref(&me)) {
                self.replicas.set_verified_note(publisher, &merged);
            }
        }
        self.update_witnessed(publisher);
        tracing::debug!(
            publisher = %hex::encode(publisher.0),
            size = record.size,
            from = advanced,
            "cosigned checkpoint"
        );
        Ok(cosigned)
    }

    /// Gossip a cosigned checkpoint on the control topic.
    fn gossip_checkpoint(&mut self, publisher: &PublicKey, note: String) {
        let msg = Control::Checkpoint {
            publisher: *publisher,
            note,
        }
        .encode();
        let _ = self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(topics::control(), msg);
    }

    /// After our replica verified `publisher`'s log up to a checkpoint: cosign it if we
    /// witness, proving consistency from the held leaves.
    pub(super) fn witness_checkpoint(&mut self, publisher: &PublicKey) {
        if self.witnessing.witness.is_none() {
            return;
        }
        let Some(note_text) = self.replicas.verified_note(publisher) else {
            return;
        };
        let Ok(cp) = heads::open(publisher, &note_text) else {
            return;
        };
        let old = match self.store.cosigned(publisher) {
            Ok(w) => w.map_or(0, |w| {
                if w.size == cp.size && w.root == cp.root {
                    u64::MAX // already cosigned
                } else {
                    w.size
                }
            }),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the witnessed state");
                return;
            }
        };
        if old == u64::MAX || old > cp.size {
            return;
        }
        let proof = if old == 0 {
            Vec::new()
        } else {
            let verified = self.replicas.verified_size(publisher);
            match crate::provenance::replica_consistency(
                &self.store,
                publisher,
                old,
                cp.size,
                verified,
            ) {
                Ok(p) => p,
                Err(e) => {
                    tracing::debug!(error = %e, "no consistency proof from the replica");
                    return;
                }
            }
        };
        match self.cosign(publisher, &note_text, old, &proof) {
            Ok(cosigned) => self.gossip_checkpoint(publisher, cosigned),
            Err(e) => tracing::debug!(error = %e, "not cosigned"),
        }
    }

    /// A checkpoint of `publisher` arrived by gossip from `source`: as a witness, cosign
    /// it at once if it is the first of its log, or fetch a consistency proof from the
    /// forwarder (unless our replica already holds the leaves, then the replica path
    /// cosigns).
    pub(super) fn witness_gossiped(
        &mut self,
        source: PeerId,
        publisher: &PublicKey,
        cp: &Checkpoint,
        note: &str,
    ) {
        if self.witnessing.witness.is_none() || *publisher == self.own {
            return;
        }
        let old = match self.store.cosigned(publisher) {
            Ok(w) => w.map_or(0, |w| w.size),
            Err(_) => return,
        };
        if cp.size <= old {
            return;
        }
        if old == 0 {
            match self.cosign(publisher, note, 0, &[]) {
                Ok(cosigned) => self.gossip_checkpoint(publisher, cosigned),
                Err(e) => tracing::debug!(error = %e, "not cosigned"),
            }
            return;
        }
        if self.replicas.verified_size(publisher) >= cp.size {
            self.witness_checkpoint(publisher);
            return;
        }
        self.witnessing
            .awaiting_proof
            .insert(*publisher, note.to_owned());
        let req = SyncRequest::Consistency {
            publisher: *publisher,
            old_size: old,
            new_size: cp.size,
        };
        let id = self
            .swarm
            .behaviour_mut()
            .sync
            .send_request(&source, req.encode());
        self.asked.insert(id, Asked::Consistency(*publisher));
    }

    /// A consistency proof we asked for (to cosign a gossiped checkpoint) arrived.
    pub(super) fn on_consistency_proof(
        &mut self,
        peer: PeerId,
        publisher: &PublicKey,
        old_size: u64,
        new_size: u64,
        proof: &[Hash],
    ) {
        let Some(note) = self.witnessing.awaiting_proof.get(publisher).cloned() else {
            return;
        };
        let Ok(cp) = heads::open(publisher, &note) else {
            self.witnessing.awaiting_proof.remove(publisher);
            return;
        };
        if cp.size != new_size {
            return;
        }
        self.witnessing.awaiting_proof.remove(publisher);
        match self.cosign(publisher, &note, old_size, proof) {
            Ok(cosigned) => self.gossip_checkpoint(publisher, cosigned),
            // A peer holding another branch of a forked log cannot prove consistency with
            // ours; that is not its fault, so it is not penalised.
            Err(e) => tracing::debug!(%peer, error = %e, "gossiped checkpoint not cosigned"),
        }
    }

    /// Serve `SyncRequest::AddCheckpoint`.
    pub(super) fn serve_add_checkpoint(
        &mut self,
        publisher: &PublicKey,
        old_size: u64,
        proof: &[Hash],
        note: &str,
    ) -> SyncResponse {
        self.counters.witness_requests += 1;
        match self.cosign(publisher, note, old_size, proof) {
            Ok(cosigned) => {
                self.gossip_checkpoint(publisher, cosigned.clone());
                SyncResponse::Cosigned(cosigned)
            }
            Err(e) => refusal_response(&e),
        }
    }

    /// Serve `SyncRequest::Consistency` from our own ledger or a verified replica.
    pub(super) fn serve_consistency(
        &self,
        publisher: &PublicKey,
        old_size: u64,
        new_size: u64,
    ) -> SyncResponse {
        let proof = if *publisher == self.own {
            let checkpointed = self.ledger_state.borrow().checkpoint.unwrap_or(0);
            if old_size == 0 || old_size > new_size || new_size > checkpointed {
                Err(format!(
                    "no consistency proof from {old_size} to {new_size} (checkpointed: {checkpointed})"
                ))
            } else {
                shoal_crypto::merkle::consistency_proof(&self.store, old_size, new_size)
                    .map_err(|e| e.to_string())
            }
        } else {
            let verified = self.replicas.verified_size(publisher);
            crate::provenance::replica_consistency(
                &self.store,
                publisher,
                old_size,
                new_size,
                verified,
            )
            .map_err(|e| e.to_string())
        };
        match proof {
            Ok(proof) => SyncResponse::Consistency {
                publisher: *publisher,
                old_size,
                new_size,
                proof,
            },
            Err(reason) => refusal_response(&CosignError::Internal(reason)),
        }
    }

    /// Push our newest checkpoint to every connected trusted witness that has not
    /// cosigned it (C2SP add-checkpoint), at most one request per witness at a time.
    pub(super) fn push_to_witnesses(&mut self) {
        let Some(size) = self.ledger_state.borrow().checkpoint else {
            return;
        };
        if self.dir.own.is_none() || self.witnessing.trusted.is_empty() {
            return;
        }
        let now = now_ms();
        let targets: Vec<PeerId> = self
            .witnessing
            .trusted
            .iter()
            .filter_map(|w| w.key.peer_id().ok())
            .filter(|p| *p != self.own_peer)
            .filter(|p| self.peers.get(p).is_some_and(|x| x.admitted.is_some()))
            .collect();
        for peer in targets {
            let push = self.witnessing.pushes.entry(peer).or_default();
            if push.cosigned >= size
                || push.in_flight
                || now.saturating_sub(push.last_try_ms) < PUSH_RETRY_MS
            {
                continue;
            }
            let old_size = push.witnessed;
            let note = match self.store.checkpoint(size) {
                Ok(Some(n)) => n,
                _ => return,
            };
            let proof = if old_size == 0 || old_size >= size {
                Vec::new()
            } else {
                match shoal_crypto::merkle::consistency_proof(&self.store, old_size, size) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(error = %e, old_size, size, "cannot prove our own log consistent");
                        continue;
                    }
                }
            };
            let req = SyncRequest::AddCheckpoint {
                publisher: self.own,
                old_size,
                proof,
                note,
            };
            let id = self
                .swarm
                .behaviour_mut()
                .sync
                .send_request(&peer, req.encode());
            self.asked.insert(id, Asked::AddCheckpoint);
            if let Some(push) = self.witnessing.pushes.get_mut(&peer) {
                push.in_flight = true;
                push.last_try_ms = now;
            }
        }
    }

    /// A witness answered our push (`None`: the request failed).
    pub(super) fn on_push_answer(&mut self, peer: PeerId, answer: Option<SyncResponse>) {
        let push = self.witnessing.pushes.entry(peer).or_default();
        push.in_flight = false;
        match answer {
            Some(SyncResponse::Cosigned(note)) => {
                let Ok(cp) = heads::open(&self.own, &note) else {
                    tracing::warn!(%peer, "witness answered with a checkpoint we did not sign");
                    return;
                };
                let signed_by_it = Note::parse(&note).is_ok_and(|n| {
                    self.witnessing
                        .trusted
                        .iter()
                        .filter(|w| w.key.peer_id().is_ok_and(|p| p == peer))
                        .any(|w| w.verify(&n).is_ok())
                });
                if !signed_by_it {
                    tracing::warn!(%peer, "witness answered without a valid cosignature of its own");
                    return;
                }
                self.counters.own_cosignatures += 1;
                let own = self.own;
                self.merge_cosignatures(&own, &cp, &note);
                if let Some(push) = self.witnessing.pushes.get_mut(&peer) {
                    push.witnessed = push.witnessed.max(cp.size);
                    push.cosigned = push.cosigned.max(cp.size);
                }
            }
            Some(SyncResponse::Conflict(size)) => {
                let ours = self.ledger_state.borrow().checkpoint.unwrap_or(0);
                if size > ours {
                    tracing::warn!(
                        %peer,
                        witnessed = size,
                        ours,
                        "a witness cosigned more of our log than we hold: is a copy of this data directory publishing elsewhere?"
                    );
                }
                push.witnessed = size;
                if size > ours {
                    // Nothing we hold can be proven against it: stop pushing.
                    push.cosigned = size;
                } else {
                    // Retry at once from the size the witness named (the same size gets
                    // the same checkpoint cosigned again).
                    push.last_try_ms = 0;
                }
            }
            Some(SyncResponse::Refused(reason)) => {
                tracing::debug!(%peer, reason, "witness refused our checkpoint");
            }
            Some(_) | None => {}
        }
    }

    /// A valid checkpoint note of `publisher` arrived: keep its trusted cosignatures.
    /// Returns true if it brought cosignatures we did not have.
    pub(super) fn merge_cosignatures(
        &mut self,
        publisher: &PublicKey,
        cp: &Checkpoint,
        note: &str,
    ) -> bool {
        if self.witnessing.trusted.is_empty() {
            return false;
        }
        if *publisher == self.own {
            // Our own checkpoint, cosigned by a witness: store it with the cosignature.
            if let Ok(Some(ours)) = self.store.checkpoint(cp.size) {
                if let Some(merged) = merge(&ours, note, &self.witnessing.trusted) {
                    if let Err(e) = self.store.set_checkpoint_note(cp.size, &merged) {
                        tracing::error!(error = %e, "cannot store cosigned checkpoint");
                    }
                    return true;
                }
            }
            return false;
        }
        if let Some(ours) = self.replicas.verified_note(publisher) {
            if let Some(merged) = merge(&ours, note, &self.witnessing.trusted) {
                self.replicas.set_verified_note(publisher, &merged);
                self.update_witnessed(publisher);
                return true;
            }
        }
        false
    }

    /// Record up to which size `publisher`'s items are witnessed under our policy.
    pub(super) fn update_witnessed(&mut self, publisher: &PublicKey) {
        let Some(policy) = self.witnessing.policy.as_ref() else {
            return;
        };
        let Some(text) = self.replicas.verified_note(publisher) else {
            return;
        };
        let Ok(note) = Note::parse(&text) else {
            return;
        };
        if policy.check(&note).is_ok() {
            if let Ok(cp) = Checkpoint::parse_body(&note.text) {
                if let Err(e) = self.store.set_witnessed_size(publisher, cp.size) {
                    tracing::error!(error = %e, "cannot store witnessed size");
                }
            }
        }
    }
}
