//! Minimal scenario: simulated publishers sign envelopes and append them to their
//! own in-memory RFC 9162 ledgers on the virtual clock. The seed fixes everything.

use shoal_crypto::merkle::MemoryTree;
use shoal_crypto::NodeKey;
use shoal_protocol::envelope::EnvelopeBody;
use shoal_protocol::Tlp;

use crate::clock::EventQueue;

/// A simulated publisher.
pub struct SimNode {
    key: NodeKey,
    ledger: MemoryTree,
}

/// Errors of a simulation run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// An envelope could not be built.
    #[error("envelope: {0}")]
    Envelope(String),
}

/// SplitMix64: the harness's seeded generator (the protocol crates have no RNG).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Run `nodes` publishers each publishing `items` objects at random virtual times;
/// returns every ledger's final root.
pub fn run(seed: u64, nodes: usize, items: usize) -> Result<Vec<[u8; 32]>, SimError> {
    let mut rng = SplitMix64::new(seed);
    let mut sim: Vec<SimNode> = (0..nodes)
        .map(|_| {
            let mut s = [0u8; 32];
            for chunk in s.chunks_mut(8) {
                chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
            }
            SimNode {
                key: NodeKey::from_seed(s),
                ledger: MemoryTree::new(),
            }
        })
        .collect();
    let mut q = EventQueue::new();
    for n in 0..nodes {
        for i in 0..items {
            q.schedule(rng.next_u64() % 1_000_000, (n, i));
        }
    }
    while let Some((now, (n, i))) = q.pop() {
        let Some(node) = sim.get_mut(n) else { continue };
        let object = format!(r#"{{"id":"note--{n}-{i}","type":"note"}}"#).into_bytes();
        let body = EnvelopeBody {
            publisher: node.key.public(),
            ledger_index: node.ledger.size(),
            published_at: now / 1_000_000,
            tlp: Tlp::Green,
            community: "sim".into(),
            object,
            extensions: Vec::new(),
        };
        let env = body
            .sign(&node.key)
            .map_err(|e| SimError::Envelope(e.to_string()))?;
        let bytes = env
            .encode()
            .map_err(|e| SimError::Envelope(e.to_string()))?;
        node.ledger.append(shoal_crypto::hash::leaf_hash(&bytes));
    }
    Ok(sim.iter().map(|n| n.ledger.root()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_roots_other_seed_other_roots() {
        let a = run(7, 5, 20).unwrap();
        assert_eq!(a, run(7, 5, 20).unwrap());
        assert_ne!(a, run(8, 5, 20).unwrap());
        assert_eq!(a.len(), 5);
    }
}
