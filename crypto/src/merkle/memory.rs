//! An in-memory [`SubtreeSource`]: every perfect subtree kept in a vector per level.

use std::convert::Infallible;

use super::{CompactRange, SubtreeSource};
use crate::hash::Hash;

/// In-memory SubtreeSource (a Vec per level), for tests, the simulator and small
/// trees. `append(leaf)` keeps a [`CompactRange`] and stores all nodes it returns.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` is the perfect subtree at level `l`, index `i`.
    levels: Vec<Vec<Hash>>,
    range: CompactRange,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append one leaf hash.
    pub fn append(&mut self, leaf: Hash) {
        for node in self.range.append(leaf) {
            let level = usize::from(node.level);
            while self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            let Some(row) = self.levels.get_mut(level) else {
                continue;
            };
            // Nodes of a level complete left to right, so each one is the next index.
            match usize::try_from(node.index) {
                Ok(i) if i == row.len() => row.push(node.hash),
                Ok(i) => {
                    if let Some(slot) = row.get_mut(i) {
                        *slot = node.hash;
                    }
                }
                Err(_) => {}
            }
        }
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.range.size()
    }

    /// The RFC 9162 root.
    pub fn root(&self) -> Hash {
        self.range.root()
    }

    /// The frontier of the tree.
    pub fn compact_range(&self) -> &CompactRange {
        &self.range
    }

    /// The hash of leaf `index`, if present.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.get(0, index)
    }

    fn get(&self, level: u8, index: u64) -> Option<Hash> {
        let row = self.levels.get(usize::from(level))?;
        row.get(usize::try_from(index).ok()?).copied()
    }
}

impl SubtreeSource for MemoryTree {
    type Error = Infallible;

    fn subtree(&self, level: u8, index: u64) -> Result<Option<Hash>, Self::Error> {
        Ok(self.get(level, index))
    }
}
