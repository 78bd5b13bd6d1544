//! Roots and RFC 9162 proofs computed from a [`SubtreeSource`] in O(log n) reads.

use super::error::MerkleError;
use super::shape::{consistency_spans, inclusion_spans, Span};
use super::subtree::span_hash;
use super::SubtreeSource;
use crate::hash::{empty_root, Hash};

/// Root of the tree of `size` leaves from stored perfect subtrees (O(log n) reads).
pub fn root<S: SubtreeSource>(src: &S, size: u64) -> Result<Hash, MerkleError<S::Error>> {
    if size == 0 {
        return Ok(empty_root());
    }
    span_hash(
        src,
        Span {
            start: 0,
            end: size,
        },
    )
}

/// RFC 9162 §2.1.3.1 inclusion proof (audit path) for leaf `index` in the tree of `size`. O(log n) reads.
pub fn inclusion_proof<S: SubtreeSource>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, MerkleError<S::Error>> {
    hash_spans(src, inclusion_spans(index, size)?)
}

/// RFC 9162 §2.1.4.1 consistency proof between sizes `old` and `new` (0 < old <= new; old == new gives an empty proof). O(log n) reads.
pub fn consistency_proof<S: SubtreeSource>(
    src: &S,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, MerkleError<S::Error>> {
    hash_spans(src, consistency_spans(old, new)?)
}

/// Hash each span. At most one span of a proof is a non-perfect right edge, so the
/// total number of reads stays O(log n).
fn hash_spans<S: SubtreeSource>(
    src: &S,
    spans: Vec<Span>,
) -> Result<Vec<Hash>, MerkleError<S::Error>> {
    spans.into_iter().map(|span| span_hash(src, span)).collect()
}
