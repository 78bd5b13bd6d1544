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

    pub(super) fn publish_entry(&mut self, bytes: Vec<u8>) {
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
}
