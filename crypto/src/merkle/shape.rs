//! The shape of RFC 9162 proofs: which leaf ranges their hashes cover.
//!
//! These functions depend only on sizes and indices, so proof generation (which
//! hashes each range) and verification (which checks the proof length) share them.

use super::error::{ProofError, ShapeError};

/// A half-open leaf range `[start, end)` with `start < end`, whose RFC 9162 hash
/// (`MTH(D[start:end])`) is one hash of a proof.
///
/// Every span produced here is a node of the RFC 9162 tree: `start` is a multiple of
/// the smallest power of two that is `>= end - start`, so the span splits into
/// aligned perfect subtrees by binary decomposition of its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u64,
    pub end: u64,
}

/// The largest power of two strictly below `n`; `None` for `n < 2`.
pub(crate) fn largest_pow2_below(n: u64) -> Option<u64> {
    let below = n.checked_sub(1)?;
    1u64.checked_shl(below.checked_ilog2()?)
}

/// Where RFC 9162 splits the range `[lo, hi)`: `lo + k` for the largest power of two
/// `k < hi - lo`; `None` for ranges of fewer than two leaves.
fn split_point(lo: u64, hi: u64) -> Option<u64> {
    // k < hi - lo, so lo + k < hi: the addition cannot overflow.
    lo.checked_add(largest_pow2_below(hi.checked_sub(lo)?)?)
}

/// The spans of the inclusion proof (audit path) of leaf `index` in a tree of `size`
/// leaves, in proof order: from the leaf's sibling up to the root's child
/// (RFC 9162 §2.1.3.1).
pub(crate) fn inclusion_spans(index: u64, size: u64) -> Result<Vec<Span>, ShapeError> {
    if index >= size {
        return Err(ShapeError::IndexOutOfRange { index, size });
    }
    let (mut lo, mut hi) = (0u64, size);
    let mut top_down = Vec::new();
    // Invariant: lo <= index < hi.
    while let Some(mid) = split_point(lo, hi) {
        if index < mid {
            top_down.push(Span {
                start: mid,
                end: hi,
            });
            hi = mid;
        } else {
            top_down.push(Span {
                start: lo,
                end: mid,
            });
            lo = mid;
        }
    }
    top_down.reverse();
    Ok(top_down)
}

/// The spans of the consistency proof between tree sizes `old` and `new`, in proof
/// order (RFC 9162 §2.1.4.1). Empty when `old == new`.
pub(crate) fn consistency_spans(old: u64, new: u64) -> Result<Vec<Span>, ShapeError> {
    if old == 0 || old > new {
        return Err(ShapeError::InvalidSizes { old, new });
    }
    let (mut lo, mut hi) = (0u64, new);
    // `whole` is the `b` flag of SUBPROOF: true while the current range starts at 0,
    // i.e. while its old-tree part is the whole old tree (whose root the verifier has).
    let mut whole = true;
    let mut top_down = Vec::new();
    // Invariant: lo < old <= hi.
    while old != hi {
        // lo < old < hi, so the range has at least two leaves and a split point.
        let Some(mid) = split_point(lo, hi) else {
            break;
        };
        if old <= mid {
            top_down.push(Span {
                start: mid,
                end: hi,
            });
            hi = mid;
        } else {
            top_down.push(Span {
                start: lo,
                end: mid,
            });
            lo = mid;
            whole = false;
        }
    }
    if !whole {
        top_down.push(Span { start: lo, end: hi });
    }
    top_down.reverse();
    Ok(top_down)
}

/// The number of hashes in the inclusion proof of leaf `index` in a tree of `size`.
pub fn inclusion_proof_len(index: u64, size: u64) -> Result<usize, ProofError> {
    Ok(inclusion_spans(index, size)?.len())
}

/// The number of hashes in the consistency proof between sizes `old` and `new`
/// (`0 < old <= new`).
pub fn consistency_proof_len(old: u64, new: u64) -> Result<usize, ProofError> {
    Ok(consistency_spans(old, new)?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_power_of_two_below() {
        assert_eq!(largest_pow2_below(0), None);
        assert_eq!(largest_pow2_below(1), None);
        assert_eq!(largest_pow2_below(2), Some(1));
        assert_eq!(largest_pow2_below(3), Some(2));
        assert_eq!(largest_pow2_below(4), Some(2));
        assert_eq!(largest_pow2_below(5), Some(4));
        assert_eq!(largest_pow2_below(u64::MAX), Some(1 << 63));
        assert_eq!(largest_pow2_below(1 << 63), Some(1 << 62));
    }

    /// The lengths agree with the bit-trick formulas of transparency-dev/merkle.
    #[test]
    fn lengths_match_closed_forms() {
        fn incl(index: u64, size: u64) -> usize {
            let inner = 64 - (index ^ (size - 1)).leading_zeros();
            (inner + index.checked_shr(inner).unwrap_or(0).count_ones()) as usize
        }
        fn cons(old: u64, new: u64) -> usize {
            if old == new {
                return 0;
            }
            let shift = old.trailing_zeros();
            let start = usize::from(old != 1 << shift);
            start + incl((old - 1) >> shift, ((new - 1) >> shift) + 1)
        }
        for size in 1..200u64 {
            for index in 0..size {
                assert_eq!(inclusion_proof_len(index, size).unwrap(), incl(index, size));
            }
            for old in 1..=size {
                assert_eq!(consistency_proof_len(old, size).unwrap(), cons(old, size));
            }
        }
        let big = [
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            (1 << 63) + 1,
            (1 << 63) - 1,
        ];
        for &size in &big {
            for &index in &[0, 1, size / 2, size - 2, size - 1] {
                assert_eq!(inclusion_proof_len(index, size).unwrap(), incl(index, size));
                if index > 0 {
                    assert_eq!(
                        consistency_proof_len(index, size).unwrap(),
                        cons(index, size)
                    );
                }
            }
        }
    }

    #[test]
    fn invalid_shapes() {
        assert_eq!(
            inclusion_spans(0, 0),
            Err(ShapeError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(
            inclusion_spans(u64::MAX, u64::MAX),
            Err(ShapeError::IndexOutOfRange {
                index: u64::MAX,
                size: u64::MAX
            })
        );
        assert_eq!(
            consistency_spans(0, 5),
            Err(ShapeError::InvalidSizes { old: 0, new: 5 })
        );
        assert_eq!(
            consistency_spans(6, 5),
            Err(ShapeError::InvalidSizes { old: 6, new: 5 })
        );
        assert_eq!(consistency_spans(5, 5), Ok(Vec::new()));
    }
}
