//! RFC 9162 proof verification (§2.1.3.2 inclusion, §2.1.4.2 consistency).
//!
//! Inputs come from peers: lengths are checked against the proof shape before any
//! hashing, and all index arithmetic is shifts and comparisons that cannot overflow.

use super::error::ProofError;
use super::shape::{consistency_proof_len, inclusion_proof_len};
use crate::hash::{node_hash, Hash};

/// RFC 9162 §2.1.3.2 verification.
///
/// Checks that `leaf` (a leaf hash) is at `index` in the tree of `size` leaves whose
/// root is `root`, given the audit path `proof`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let expected = inclusion_proof_len(index, size)?;
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    // `index < size`, so `size - 1` cannot underflow.
    let Some(last) = size.checked_sub(1) else {
        return Err(ProofError::IndexOutOfRange { index, size });
    };
    let (mut fnode, mut snode) = (index, last);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongProofLength {
                expected,
                got: proof.len(),
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 || r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2 verification.
///
/// Checks that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root`. Requires `0 < old_size <= new_size`; equal
/// sizes need an empty proof and equal roots. (Every tree extends the empty tree, so
/// callers have nothing to check when `old_size` is 0.)
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    let expected = consistency_proof_len(old_size, new_size)?;
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    if old_size == new_size {
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    // Step 1: when the old tree is a perfect subtree its root is the first node.
    let mut path = proof.iter();
    let first = if old_size.is_power_of_two() {
        *old_root
    } else {
        match path.next() {
            Some(h) => *h,
            None => {
                return Err(ProofError::WrongProofLength {
                    expected,
                    got: proof.len(),
                })
            }
        }
    };
    // 0 < old_size < new_size, so neither subtraction underflows.
    let (Some(mut fnode), Some(mut snode)) = (old_size.checked_sub(1), new_size.checked_sub(1))
    else {
        return Err(ProofError::InvalidSizes {
            old: old_size,
            new: new_size,
        });
    };
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (first, first);
    for c in path {
        if snode == 0 {
            return Err(ProofError::WrongProofLength {
                expected,
                got: proof.len(),
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 || fr != *old_root || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}
