//! Hashes of tree nodes read from a [`SubtreeSource`]: perfect subtrees directly,
//! other spans as a fold of the perfect subtrees of their binary decomposition.

use super::error::MerkleError;
use super::shape::Span;
use super::SubtreeSource;
use crate::hash::{node_hash, Hash};

/// The stored hash of the perfect subtree at `(level, index)`, or [`MerkleError::Missing`].
pub(crate) fn perfect<S: SubtreeSource>(
    src: &S,
    level: u8,
    index: u64,
) -> Result<Hash, MerkleError<S::Error>> {
    src.subtree(level, index)
        .map_err(MerkleError::Store)?
        .ok_or(MerkleError::Missing { level, index })
}

/// `MTH(D[start:end])` for a span of the RFC 9162 tree, from at most 64 perfect
/// subtrees (one per set bit of the span's length).
///
/// The span is cut, left to right, into the largest aligned perfect subtrees that
/// fit; for a node of the RFC tree these are exactly its binary decomposition, and
/// folding them from the right (`H(p1, H(p2, ... pk))`) is the RFC's recursive split.
pub(crate) fn span_hash<S: SubtreeSource>(
    src: &S,
    span: Span,
) -> Result<Hash, MerkleError<S::Error>> {
    let mut parts = Vec::new();
    let mut pos = span.start;
    while let Some(remaining) = span.end.checked_sub(pos).filter(|r| *r > 0) {
        // Largest power of two that fits the remaining length and keeps `pos` aligned.
        let Some(level) = remaining
            .checked_ilog2()
            .map(|l| l.min(pos.trailing_zeros()))
        else {
            break;
        };
        // `level <= 63`, so the shifts are in range and `pos + width <= span.end`.
        let (Some(width), Some(index), Ok(level_u8)) = (
            1u64.checked_shl(level),
            pos.checked_shr(level),
            u8::try_from(level),
        ) else {
            break;
        };
        parts.push(perfect(src, level_u8, index)?);
        let Some(next) = pos.checked_add(width) else {
            break;
        };
        pos = next;
    }
    let mut parts = parts.into_iter().rev();
    let Some(mut acc) = parts.next() else {
        return Ok(crate::hash::empty_root());
    };
    for left in parts {
        acc = node_hash(&left, &acc);
    }
    Ok(acc)
}
