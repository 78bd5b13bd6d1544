//! Witnessing (C2SP tlog-witness style). A node acting as witness (anchors, by default)
//! cosigns a publisher's checkpoint once its replica has verified the log up to it —
//! the replica extends the compact range it already verified for that log, so the new
//! checkpoint is proven consistent with every checkpoint it cosigned before — and
//! gossips the cosigned checkpoint. Every node merges cosignatures by its trusted
//! witnesses into the notes it keeps (its own checkpoints included, so
//! `GET /api/v1/ledger/checkpoint` shows them), and records per log the size up to which
//! items are witnessed under its k-of-n policy. Equivocating publishers are not cosigned.

use shoal_crypto::checkpoint::Checkpoint;
use shoal_crypto::cosignature::{Witness, WitnessPolicy, WitnessVerifier};
use shoal_crypto::keys::PublicKey;
use shoal_crypto::note::Note;
use shoal_protocol::wire::Control;

use super::driver::Driver;
use super::{now_ms, topics};

/// The witness settings of a node.
pub struct Witnessing {
    /// Our own witness identity, when we cosign.
    pub witness: Option<Witness>,
    /// The witnesses we trust and how many cosignatures make a checkpoint witnessed.
    pub policy: Option<WitnessPolicy>,
    /// Every trusted witness (also when `min` is 0), for merging cosignatures.
    pub trusted: Vec<WitnessVerifier>,
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

impl Driver {
    /// After a log advanced to a checkpoint we verified: cosign it if we witness.
    pub(super) fn witness_checkpoint(&mut self, publisher: &PublicKey) {
        let Some(witness) = self.witnessing.witness.as_ref() else {
            return;
        };
        if self.store.is_equivocating(publisher).unwrap_or(true) {
            return;
        }
        let Some(note_text) = self.replicas.verified_note(publisher) else {
            return;
        };
        let Ok(mut note) = Note::parse(&note_text) else {
            return;
        };
        if let Err(e) = witness.add_cosignature(&mut note, now_ms() / 1000) {
            tracing::warn!(error = %e, "cannot cosign checkpoint");
            return;
        }
        let cosigned = note.to_text();
        self.counters.cosigned += 1;
        self.replicas.set_verified_note(publisher, &cosigned);
        self.update_witnessed(publisher);
        let msg = Control::Checkpoint {
            publisher: *publisher,
            note: cosigned,
        }
        .encode();
        let _ = self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(topics::control(), msg);
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
