//! Outbound gossip of this node's own log: every new entry on the topic its TLP and
//! community call for (RED and AMBER+STRICT have none), the newest checkpoint on the
//! control topic (retried until gossip takes it), and the admission chain, so that nodes
//! not directly connected can check our items.

use libp2p::gossipsub::IdentTopic;
use shoal_protocol::wire::Control;

use super::driver::{Driver, ADMISSION_REANNOUNCE_MS};
use super::{now_ms, topics};

impl Driver {
    /// Gossip our admission chain on the control topic (so that nodes not directly
    /// connected to us can check our items).
    pub(super) fn announce_admission(&mut self) {
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
    pub(super) fn gossip_own(&mut self) {
        let state = *self.ledger_state.borrow();
        if self.dir.own.is_some() {
            let mut idx = self.gossiped_size;
            let mut new = Vec::new();
            while idx < state.size {
                match self.store.entry(idx) {
                    Ok(Some(bytes)) => new.push(bytes),
                    Ok(None) => break,
                    Err(e) => {
                        tracing::error!(index = idx, error = %e, "cannot read own entry to gossip");
                        break;
                    }
                }
                idx += 1;
            }
            for bytes in advisories_first(new) {
                self.publish_entry(bytes);
            }
        }
        self.gossiped_size = state.size;
        self.announce_checkpoint();
    }

    pub(super) fn publish_entry(&mut self, bytes: Vec<u8>) {
        let env = match shoal_protocol::Envelope::decode(&bytes, self.max_envelope) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "own entry does not decode; not gossiped");
                return;
            }
        };
        // RED and AMBER+STRICT never leave; `for_item` has no topic for them. Advisories
        // and acks go on the priority topics.
        let topic = if topics::carries_advisory(&env.body.object) {
            topics::for_advisory(env.body.tlp, &env.body.community)
        } else {
            topics::for_item(env.body.tlp, &env.body.community)
        };
        let Some(topic): Option<IdentTopic> = topic else {
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
}

/// Advisories and acknowledgements ahead of everything else (each group in ledger
/// order): of the entries appended since the last gossip round, those are handed to
/// gossipsub first, so a bulk import in the same batch does not delay them in the
/// peers' send queues.
fn advisories_first(entries: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let (mut first, rest): (Vec<_>, Vec<_>) = entries.into_iter().partition(|bytes| {
        shoal_protocol::Envelope::decode(bytes, usize::MAX)
            .is_ok_and(|env| topics::carries_advisory(&env.body.object))
    });
    first.extend(rest);
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use shoal_crypto::NodeKey;
    use shoal_protocol::{EnvelopeBody, Tlp};

    fn entry(key: &NodeKey, index: u64, object: serde_json::Value) -> Vec<u8> {
        EnvelopeBody {
            publisher: key.public(),
            ledger_index: index,
            published_at: 1_800_000_000,
            tlp: Tlp::Green,
            community: "energy".into(),
            object: serde_json::to_vec(&object).unwrap(),
            extensions: Vec::new(),
        }
        .sign_encoded(key)
        .unwrap()
    }

    #[test]
    fn advisories_and_acks_are_gossiped_before_bulk_intel() {
        let key = NodeKey::from_seed([4; 32]);
        let advisory: serde_json::Value = serde_json::from_slice(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../protocol/tests/data/advisory/advisory.json"
            ))
            .unwrap(),
        )
        .unwrap();
        let ack: serde_json::Value = serde_json::from_slice(
            &std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../protocol/tests/data/advisory/ack.json"
            ))
            .unwrap(),
        )
        .unwrap();
        let ind = |n: u64| {
            json!({"type": "indicator", "id": format!("indicator--00000000-0000-4000-8000-{n:012x}"),
                   "note": "mentions x-shoal-advisory in passing"})
        };
        let entries = vec![
            entry(&key, 0, ind(0)),
            entry(&key, 1, ind(1)),
            entry(&key, 2, advisory),
            entry(&key, 3, ind(3)),
            entry(&key, 4, ack),
            entry(&key, 5, ind(5)),
        ];
        let order: Vec<u64> = advisories_first(entries.clone())
            .iter()
            .map(|b| {
                shoal_protocol::Envelope::decode(b, usize::MAX)
                    .unwrap()
                    .body
                    .ledger_index
            })
            .collect();
        assert_eq!(order, vec![2, 4, 0, 1, 3, 5]);
        // Nothing lost, nothing added.
        assert_eq!(advisories_first(entries.clone()).len(), entries.len());
        assert!(advisories_first(Vec::new()).is_empty());
    }
}
