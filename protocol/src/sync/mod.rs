//! Ledger anti-entropy, sans-IO: the per-publisher [`Replica`] state machine (verified
//! prefix as a compact range, best known checkpoint, unverified leaf hashes above it) and
//! the node-wide [`SyncPlanner`] (which ranges are requested from which peer, deadlines,
//! timeouts).
//!
//! A node replicates every publisher's ledger: full envelopes it is eligible for, leaf
//! hashes for the rest. Hashes served by peers are unauthenticated until the leaves of a
//! whole range reproduce the root of a checkpoint the publisher signed; a mismatch names
//! the peers that served them. The caller verifies notes and envelope signatures, keeps
//! leaves in its store and moves messages; this module only decides.

mod planner;
mod ranges;
mod replica;

pub use planner::{Need, PlannerConfig, SyncPlanner, DEFAULT_REQUEST_TIMEOUT_MS};
pub use replica::{
    Advance, Conflict, Equivocation, Insert, Observe, Pending, Replica, Source, TreeHead,
    DEFAULT_MAX_AHEAD,
};

/// Most ranges [`Replica::missing`] returns and one request carries (the wire default).
pub const MAX_RANGES: usize = 64;

/// Errors restoring a replica from stored state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// A compact range of `size` leaves has one hash per set bit of `size`.
    #[error("a compact range of {size} leaves cannot have {hashes} hashes")]
    CompactRangeShape {
        /// The verified size.
        size: u64,
        /// The number of hashes given.
        hashes: usize,
    },
    /// The stored target is smaller than the verified prefix.
    #[error("target size {target} is below the verified size {verified}")]
    TargetBehind {
        /// The target size.
        target: u64,
        /// The verified size.
        verified: u64,
    },
    /// The stored target has the verified size but another root.
    #[error("target of size {size} does not match the verified root")]
    TargetRootMismatch {
        /// The size.
        size: u64,
    },
}
