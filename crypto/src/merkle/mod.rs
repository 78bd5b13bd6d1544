//! RFC 9162 Merkle tree math, kept apart from storage.
//!
//! A tree is never held in memory as a whole: it is read through a
//! [`SubtreeSource`], which only has to return the stored hashes of *perfect*
//! subtrees. The perfect subtree at `(level, index)` covers the leaves
//! `[index << level, (index + 1) << level)`; level 0 holds the leaf hashes.
//! Every other node a root or proof needs (the non-perfect right edges such as
//! `MTH(D[k:n])`) is computed from O(log n) perfect subtrees by binary
//! decomposition.
//!
//! * [`CompactRange`] is the right frontier of a growing tree: it appends leaves,
//!   reports the perfect nodes each append completes, and gives the root.
//! * [`root`], [`inclusion_proof`] and [`consistency_proof`] read a source.
//! * [`verify_inclusion`] and [`verify_consistency`] check proofs (RFC 9162
//!   §2.1.3.2 and §2.1.4.2) and never panic on hostile input.
//! * [`MemoryTree`] is an in-memory source for tests and small trees.
//! * [`Extension`] is a frontier plus the leaves after it: consistency proofs from the
//!   frontier's size without the leaves before it.

mod compact;
mod error;
mod extension;
mod memory;
mod prove;
mod shape;
mod subtree;
mod verify;

pub use compact::CompactRange;
pub use error::{MerkleError, ProofError};
pub use extension::Extension;
pub use memory::MemoryTree;
pub use prove::{consistency_proof, inclusion_proof, root};
pub use shape::{consistency_proof_len, inclusion_proof_len};
pub use verify::{verify_consistency, verify_inclusion};

use crate::hash::Hash;

/// Read access to the stored hashes of perfect subtrees.
pub trait SubtreeSource {
    /// The error of the underlying storage.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The stored hash of the perfect subtree at (level, index), if present.
    fn subtree(&self, level: u8, index: u64) -> Result<Option<Hash>, Self::Error>;
}

impl<S: SubtreeSource + ?Sized> SubtreeSource for &S {
    type Error = S::Error;

    fn subtree(&self, level: u8, index: u64) -> Result<Option<Hash>, Self::Error> {
        (**self).subtree(level, index)
    }
}

/// One perfect-subtree hash to persist: the node at `(level, index)` covering the
/// leaves `[index << level, (index + 1) << level)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredNode {
    /// Height of the subtree; 0 for a leaf hash.
    pub level: u8,
    /// Position of the subtree among those of the same level, from the left.
    pub index: u64,
    /// The subtree's RFC 9162 hash.
    pub hash: Hash,
}
