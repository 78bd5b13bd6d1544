//! Turning two inconsistent histories into an [`Evidence::Inclusion`] proof.
//!
//! A cloned data directory whose copies keep publishing forks the log below the sizes of
//! their checkpoints: copy A signs size 5, copy B signs size 7, and the leaves they
//! disagree on are below 5, so no two checkpoints share a size and no two envelopes meet
//! at one index in a node that only extends its verified prefix. A node that holds the
//! leaves of both histories (its verified replica for one, the leaves a peer serves for
//! the other) finds the first index where they differ and proves it: the leaf under each
//! checkpoint, with its RFC 9162 audit path. [`diverging_logs`] builds that proof from
//! the two notes and the two leaf-hash sequences, after checking that each sequence
//! reproduces its own checkpoint's root (so the proof does not depend on trusting the
//! peer that served the leaves).

use shoal_crypto::checkpoint::Checkpoint;
use shoal_crypto::merkle::{inclusion_proof, MemoryTree};
use shoal_crypto::note::Note;
use shoal_crypto::{Hash, PublicKey};

use super::{EquivocationProof, Included, ProofError, Side};

/// Why two histories gave no proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForkError {
    /// A note does not parse as a checkpoint.
    #[error("side {side}: {reason}")]
    Checkpoint {
        /// Which history.
        side: Side,
        /// What failed.
        reason: String,
    },
    /// A leaf sequence does not reproduce its checkpoint (wrong length or root): the
    /// leaves are not that history's.
    #[error("side {side}: the {got} leaves do not reproduce the checkpoint of size {size}")]
    LeavesDoNotMatch {
        /// Which history.
        side: Side,
        /// The checkpoint size.
        size: u64,
        /// Leaves given.
        got: u64,
    },
    /// The histories agree on every common index: one extends the other.
    #[error("the histories are consistent: no index holds different leaves")]
    Consistent,
    /// The proof builder refused.
    #[error(transparent)]
    Proof(#[from] ProofError),
}

fn tree(side: Side, note: &str, leaves: &[Hash]) -> Result<(Checkpoint, MemoryTree), ForkError> {
    let parsed = Note::parse(note).map_err(|e| ForkError::Checkpoint {
        side,
        reason: e.to_string(),
    })?;
    let cp = Checkpoint::parse_body(&parsed.text).map_err(|e| ForkError::Checkpoint {
        side,
        reason: e.to_string(),
    })?;
    let mut t = MemoryTree::new();
    for h in leaves {
        t.append(*h);
    }
    if t.size() != cp.size || t.root() != cp.root {
        return Err(ForkError::LeavesDoNotMatch {
            side,
            size: cp.size,
            got: t.size(),
        });
    }
    Ok((cp, t))
}

/// Prove that `publisher` signed two histories that differ at some index: `note_a` over
/// the leaves `leaves_a`, `note_b` over `leaves_b` (each the full leaf-hash sequence of
/// its checkpoint). Signatures are checked by the proof builder.
pub fn diverging_logs(
    publisher: PublicKey,
    note_a: &str,
    leaves_a: &[Hash],
    note_b: &str,
    leaves_b: &[Hash],
) -> Result<EquivocationProof, ForkError> {
    let (cp_a, tree_a) = tree(Side::A, note_a, leaves_a)?;
    let (cp_b, tree_b) = tree(Side::B, note_b, leaves_b)?;
    let index = leaves_a
        .iter()
        .zip(leaves_b)
        .position(|(x, y)| x != y)
        .ok_or(ForkError::Consistent)?;
    let index = u64::try_from(index).map_err(|_| ForkError::Consistent)?;
    let side =
        |cp: &Checkpoint, t: &MemoryTree, note: &str, s: Side| -> Result<Included, ForkError> {
            let leaf_hash = t.leaf(index).ok_or(ForkError::LeavesDoNotMatch {
                side: s,
                size: cp.size,
                got: t.size(),
            })?;
            let proof = inclusion_proof(t, index, cp.size).map_err(|e| ForkError::Checkpoint {
                side: s,
                reason: e.to_string(),
            })?;
            Ok(Included {
                checkpoint: note.to_owned(),
                index,
                leaf_hash,
                proof,
            })
        };
    let a = side(&cp_a, &tree_a, note_a, Side::A)?;
    let b = side(&cp_b, &tree_b, note_b, Side::B)?;
    Ok(EquivocationProof::from_inclusions(publisher, a, b)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_crypto::hash::leaf_hash;
    use shoal_crypto::NodeKey;

    fn leaves(prefix: u64, fork: &str, n: u64) -> Vec<Hash> {
        (0..n)
            .map(|i| {
                if i < prefix {
                    leaf_hash(format!("common {i}").as_bytes())
                } else {
                    leaf_hash(format!("{fork} {i}").as_bytes())
                }
            })
            .collect()
    }

    fn note(key: &NodeKey, l: &[Hash]) -> String {
        let mut t = MemoryTree::new();
        for h in l {
            t.append(*h);
        }
        let origin = format!(
            "shoal/{}",
            key.public()
                .peer_id()
                .map(|p| p.to_string())
                .unwrap_or_default()
        );
        Checkpoint {
            origin,
            size: t.size(),
            root: t.root(),
            extensions: vec![],
        }
        .sign(key)
        .map(|n| n.to_text())
        .unwrap_or_default()
    }

    #[test]
    fn a_fork_below_both_sizes_is_proven_at_the_first_differing_index() {
        let key = NodeKey::from_seed([6; 32]);
        let (a, b) = (leaves(3, "a", 5), leaves(3, "b", 7));
        let proof = diverging_logs(key.public(), &note(&key, &a), &a, &note(&key, &b), &b).unwrap();
        let summary = proof.verify(crate::DEFAULT_MAX_ENVELOPE_BYTES).unwrap();
        assert_eq!(summary.index, Some(3));
        assert_eq!(summary.kind, super::super::EvidenceKind::Inclusion);
    }

    #[test]
    fn consistent_histories_and_foreign_leaves_prove_nothing() {
        let key = NodeKey::from_seed([6; 32]);
        let b = leaves(3, "b", 7);
        let prefix = &b[..5];
        assert_eq!(
            diverging_logs(
                key.public(),
                &note(&key, prefix),
                prefix,
                &note(&key, &b),
                &b
            ),
            Err(ForkError::Consistent)
        );
        // Leaves that are not the checkpoint's (a lying peer) are refused.
        let a = leaves(3, "a", 5);
        let other = leaves(0, "x", 7);
        assert!(matches!(
            diverging_logs(key.public(), &note(&key, &a), &a, &note(&key, &b), &other),
            Err(ForkError::LeavesDoNotMatch { side: Side::B, .. })
        ));
        // A different key's checkpoint is refused by the proof builder.
        let other_key = NodeKey::from_seed([7; 32]);
        assert!(matches!(
            diverging_logs(key.public(), &note(&key, &a), &a, &note(&other_key, &b), &b),
            Err(ForkError::Proof(_))
        ));
    }
}
