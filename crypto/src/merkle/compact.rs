//! The compact range: the right frontier of an append-only Merkle tree, one
//! perfect-subtree hash per set bit of its size.

use super::error::MerkleError;
use super::subtree::perfect;
use super::{StoredNode, SubtreeSource};
use crate::hash::{empty_root, node_hash, Hash};

/// `(level, index)` of the frontier's perfect subtrees for a tree of `size` leaves: one
/// per set bit of `size`, from the most significant, each starting where the previous
/// one ended.
fn positions(size: u64) -> impl Iterator<Item = (u8, u64)> {
    let mut start = 0u64;
    (0..64u8).rev().filter_map(move |level| {
        let width = 1u64 << level;
        (size & width != 0).then(|| {
            let index = start >> level;
            // The widths are distinct bits of `size`, so `start` stays <= size.
            start |= width;
            (level, index)
        })
    })
}

/// The right frontier ("compact range") of a tree: one hash per set bit of `size`. O(log n) memory.
///
/// `hashes[i]` is the perfect subtree for the `i`-th set bit of `size` counted from
/// the most significant one, so the hashes run left to right across the tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    hashes: Vec<Hash>,
}

impl CompactRange {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuild the frontier for a tree of `size` leaves from stored perfect subtrees.
    ///
    /// Reads one subtree per set bit of `size`.
    pub fn from_source<S: SubtreeSource>(
        src: &S,
        size: u64,
    ) -> Result<Self, MerkleError<S::Error>> {
        let hashes = positions(size)
            .map(|(level, index)| perfect(src, level, index))
            .collect::<Result<_, _>>()?;
        Ok(Self { size, hashes })
    }

    /// The frontier's perfect subtrees with their positions, left to right.
    pub fn nodes(&self) -> impl Iterator<Item = StoredNode> + '_ {
        positions(self.size)
            .zip(&self.hashes)
            .map(|((level, index), hash)| StoredNode {
                level,
                index,
                hash: *hash,
            })
    }

    /// The frontier of a tree of `size` leaves from its hashes (as [`CompactRange::hashes`]
    /// gives them); `None` unless there is exactly one hash per set bit of `size`.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Option<Self> {
        (hashes.len() == size.count_ones() as usize).then_some(Self { size, hashes })
    }

    /// The number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The frontier hashes, left to right (largest subtree first).
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Append one leaf hash; returns every new perfect-subtree node this append completes,
    /// starting with the leaf itself at level 0 (the caller persists them). Amortised O(1), worst O(log n).
    ///
    /// A tree holds at most `u64::MAX` leaves: appending to a full range changes
    /// nothing and returns an empty list.
    pub fn append(&mut self, leaf: Hash) -> Vec<StoredNode> {
        let Some(new_size) = self.size.checked_add(1) else {
            return Vec::new();
        };
        let old = self.size;
        let mut nodes = vec![StoredNode {
            level: 0,
            index: old,
            hash: leaf,
        }];
        let mut acc = leaf;
        // Each trailing set bit of the old size is a left sibling on the frontier that
        // the new leaf completes: merging with it yields the node one level up.
        for level in 1..=old.trailing_ones() {
            let (Some(left), Ok(level_u8)) = (self.hashes.pop(), u8::try_from(level)) else {
                break;
            };
            acc = node_hash(&left, &acc);
            // `old` has its low `level` bits set, so the new node starts at
            // `old + 1 - 2^level` and its index is `old >> level`.
            let index = old.checked_shr(level).unwrap_or(0);
            nodes.push(StoredNode {
                level: level_u8,
                index,
                hash: acc,
            });
        }
        self.hashes.push(acc);
        self.size = new_size;
        nodes
    }

    /// The RFC 9162 root of the current tree (empty_root() for size 0).
    pub fn root(&self) -> Hash {
        let mut rev = self.hashes.iter().rev();
        let Some(mut acc) = rev.next().copied() else {
            return empty_root();
        };
        for left in rev {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn append_reports_completed_nodes() {
        let mut r = CompactRange::new();
        assert_eq!(r.root(), empty_root());
        let l: Vec<Hash> = (0u8..4).map(|i| leaf_hash(&[i])).collect();
        assert_eq!(r.append(l[0]).len(), 1);
        let n = r.append(l[1]);
        assert_eq!(n.len(), 2);
        assert_eq!(
            n[1],
            StoredNode {
                level: 1,
                index: 0,
                hash: node_hash(&l[0], &l[1])
            }
        );
        assert_eq!(r.append(l[2]).len(), 1);
        let n = r.append(l[3]);
        assert_eq!(
            n.iter().map(|n| (n.level, n.index)).collect::<Vec<_>>(),
            [(0, 3), (1, 1), (2, 0)]
        );
        assert_eq!(r.size(), 4);
        assert_eq!(r.hashes().len(), 1);
        assert_eq!(r.root(), n[2].hash);
    }

    #[test]
    fn full_range_ignores_appends() {
        let mut r = CompactRange {
            size: u64::MAX,
            hashes: vec![[0; 32]; 64],
        };
        let before = r.clone();
        assert!(r.append([1; 32]).is_empty());
        assert_eq!(r, before);
    }
}
