//! A tree known only from a frontier onwards: the compact range of its first `base`
//! leaves plus the leaves appended after them. That is exactly what the RFC 9162
//! consistency proof from `base` to any later size reads (every hash of that proof
//! covers either a node of the frontier or leaves after it), so a replica or a witness
//! proves consistency in O(new − base) work instead of re-reading the whole log.

use std::collections::HashMap;
use std::convert::Infallible;

use super::{CompactRange, SubtreeSource};
use crate::hash::Hash;

/// [`SubtreeSource`] over a frontier and the leaves appended to it. It holds the
/// frontier's perfect subtrees and every perfect subtree an append completes; other
/// subtrees (inside the frontier's nodes) are absent, so a proof that would need them
/// fails with [`super::MerkleError::Missing`] rather than giving a wrong hash.
#[derive(Debug, Clone, Default)]
pub struct Extension {
    base: u64,
    nodes: HashMap<(u8, u64), Hash>,
    range: CompactRange,
}

impl Extension {
    /// Start from the frontier of the first `frontier.size()` leaves.
    pub fn new(frontier: CompactRange) -> Self {
        let base = frontier.size();
        let nodes = frontier
            .nodes()
            .map(|n| ((n.level, n.index), n.hash))
            .collect();
        Self {
            base,
            nodes,
            range: frontier,
        }
    }

    /// Append the next leaf hash.
    pub fn append(&mut self, leaf: Hash) {
        for node in self.range.append(leaf) {
            self.nodes.insert((node.level, node.index), node.hash);
        }
    }

    /// Size of the frontier it started from.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Leaves in the tree (the frontier's and the appended ones).
    pub fn size(&self) -> u64 {
        self.range.size()
    }

    /// RFC 9162 root of the whole tree.
    pub fn root(&self) -> Hash {
        self.range.root()
    }
}

impl SubtreeSource for Extension {
    type Error = Infallible;

    fn subtree(&self, level: u8, index: u64) -> Result<Option<Hash>, Self::Error> {
        Ok(self.nodes.get(&(level, index)).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::merkle::{consistency_proof, verify_consistency, MemoryTree};

    fn leaf(i: u64) -> Hash {
        leaf_hash(&i.to_be_bytes())
    }

    #[test]
    fn consistency_from_a_frontier_matches_the_full_tree() {
        for new in 1..=70u64 {
            let mut full = MemoryTree::new();
            for i in 0..new {
                full.append(leaf(i));
            }
            for old in 1..=new {
                let mut prefix = MemoryTree::new();
                for i in 0..old {
                    prefix.append(leaf(i));
                }
                let mut ext = Extension::new(prefix.compact_range().clone());
                for i in old..new {
                    ext.append(leaf(i));
                }
                assert_eq!(ext.base(), old);
                assert_eq!(ext.size(), new);
                assert_eq!(ext.root(), full.root());
                let want = consistency_proof(&full, old, new).unwrap();
                let got = consistency_proof(&ext, old, new).unwrap();
                assert_eq!(got, want, "old {old} new {new}");
                verify_consistency(old, new, &prefix.root(), &full.root(), &got).unwrap();
            }
        }
    }

    #[test]
    fn proofs_needing_nodes_inside_the_frontier_fail_cleanly() {
        let mut prefix = MemoryTree::new();
        for i in 0..6 {
            prefix.append(leaf(i));
        }
        let mut ext = Extension::new(prefix.compact_range().clone());
        for i in 6..9 {
            ext.append(leaf(i));
        }
        // From size 3 the proof needs leaf 2 and the node of leaves 0-1, both inside
        // the frontier's node of leaves 0-3.
        assert!(consistency_proof(&ext, 3, 9).is_err());
        assert!(crate::merkle::inclusion_proof(&ext, 1, 9).is_err());
    }
}
