//! Equivocation: a publisher key that signed two histories that cannot both be true —
//! two different envelopes at one ledger index, or two checkpoints of one size with
//! different roots (what a data directory cloned onto a second machine produces). The
//! node that sees it builds an offline-verifiable proof (`protocol::provenance`),
//! records it, marks the publisher as equivocating and gossips the proof; every node
//! that verifies a gossiped proof does the same. The forwarders of the conflicting
//! items are not to blame and are not charged.

use shoal_crypto::keys::PublicKey;
use shoal_protocol::provenance::{EquivocationProof, Limits, ProofError};
use shoal_protocol::wire::Control;

use super::driver::Driver;
use super::gossip::Verdict;
use super::penalty::Offence;
use super::{now_ms, topics};

impl Driver {
    /// A contradiction this node observed itself.
    pub(super) fn report_equivocation(&mut self, built: Result<EquivocationProof, ProofError>) {
        match built {
            Ok(proof) => {
                let proof = proof.with_detected_at(now_ms() / 1000);
                if self.record_equivocation(&proof) {
                    let msg = Control::Equivocation(proof.encode()).encode();
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .gossipsub
                        .publish(topics::control(), msg);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "conflicting data does not make an equivocation proof")
            }
        }
    }

    /// An equivocation proof from the network: verified, recorded and forwarded.
    pub(super) fn on_equivocation_proof(&mut self, bytes: &[u8]) -> Verdict {
        let limits = Limits {
            max_envelope_bytes: self.max_envelope,
            ..Limits::default()
        };
        let proof = match EquivocationProof::decode(bytes, &limits) {
            Ok(p) => p,
            Err(_) => return Verdict::Reject(Offence::Malformed),
        };
        if proof.verify(self.max_envelope).is_err() {
            return Verdict::Reject(Offence::BadSignature);
        }
        if self.record_equivocation(&proof) {
            Verdict::Accept
        } else {
            Verdict::Ignore
        }
    }

    /// Verify and store a proof and mark its publisher; true if it was new.
    fn record_equivocation(&mut self, proof: &EquivocationProof) -> bool {
        let summary = match proof.verify(self.max_envelope) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "equivocation proof does not verify");
                return false;
            }
        };
        match self
            .store
            .put_equivocation(&proof.proof_id(), &proof.publisher, &proof.encode())
        {
            Ok(true) => {
                self.counters.equivocations += 1;
                tracing::warn!(
                    publisher = %hex::encode(proof.publisher.0),
                    peer = %proof.publisher.peer_id().map(|p| p.to_string()).unwrap_or_default(),
                    kind = %summary.kind,
                    index = ?summary.index,
                    sizes = ?summary.sizes,
                    "publisher equivocated: it signed two conflicting histories; its items are flagged"
                );
                true
            }
            Ok(false) => false,
            Err(e) => {
                tracing::error!(error = %e, "cannot store an equivocation proof");
                false
            }
        }
    }

    /// Two different signed envelopes at one index of `publisher`'s log.
    pub(super) fn conflicting_entries(&mut self, held: &[u8], other: &[u8]) {
        let built = EquivocationProof::from_envelopes(held, other, self.max_envelope);
        self.report_equivocation(built);
    }

    /// Two signed checkpoints of `publisher` that cannot both be true.
    pub(super) fn conflicting_checkpoints(&mut self, publisher: &PublicKey, a: &str, b: &str) {
        let built = EquivocationProof::from_checkpoints(*publisher, a, b);
        self.report_equivocation(built);
    }
}
