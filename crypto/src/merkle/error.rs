//! Errors of proof generation (which reads a store) and of proof verification
//! (which checks data from peers).

/// Why a root or proof could not be computed from a [`super::SubtreeSource`].
#[derive(Debug, thiserror::Error)]
pub enum MerkleError<E> {
    /// The store failed.
    #[error("subtree store failed")]
    Store(#[source] E),
    /// A perfect subtree the computation needs is not stored.
    #[error("perfect subtree at level {level}, index {index} is not stored")]
    Missing {
        /// Level of the missing subtree.
        level: u8,
        /// Index of the missing subtree.
        index: u64,
    },
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is out of range for a tree of size {size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The sizes do not satisfy `0 < old <= new`.
    #[error("invalid consistency proof sizes: old {old}, new {new} (need 0 < old <= new)")]
    InvalidSizes {
        /// The older tree size.
        old: u64,
        /// The newer tree size.
        new: u64,
    },
}

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is out of range for a tree of size {size}")]
    IndexOutOfRange {
        /// The claimed leaf index.
        index: u64,
        /// The claimed tree size.
        size: u64,
    },
    /// The proof has the wrong number of hashes for the claimed sizes.
    #[error("proof has {got} hashes, expected {expected}")]
    WrongProofLength {
        /// The number of hashes a proof of this shape has.
        expected: usize,
        /// The number of hashes supplied.
        got: usize,
    },
    /// The proof does not lead to the claimed root(s).
    #[error("proof does not lead to the expected root")]
    RootMismatch,
    /// The sizes do not satisfy `0 < old <= new`.
    #[error("invalid consistency proof sizes: old {old}, new {new} (need 0 < old <= new)")]
    InvalidSizes {
        /// The claimed older tree size.
        old: u64,
        /// The claimed newer tree size.
        new: u64,
    },
}

/// A request whose sizes make no proof possible; converted into either error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShapeError {
    IndexOutOfRange { index: u64, size: u64 },
    InvalidSizes { old: u64, new: u64 },
}

impl<E> From<ShapeError> for MerkleError<E> {
    fn from(e: ShapeError) -> Self {
        match e {
            ShapeError::IndexOutOfRange { index, size } => Self::IndexOutOfRange { index, size },
            ShapeError::InvalidSizes { old, new } => Self::InvalidSizes { old, new },
        }
    }
}

impl From<ShapeError> for ProofError {
    fn from(e: ShapeError) -> Self {
        match e {
            ShapeError::IndexOutOfRange { index, size } => Self::IndexOutOfRange { index, size },
            ShapeError::InvalidSizes { old, new } => Self::InvalidSizes { old, new },
        }
    }
}
