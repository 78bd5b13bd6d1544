//! The witness rule (C2SP `tlog-witness` add-checkpoint semantics), sans-IO: whether an
//! anchor may cosign a publisher's checkpoint, given the last checkpoint it cosigned for
//! that log and an RFC 9162 consistency proof between the two.
//!
//! A witness keeps, per log, the newest checkpoint it cosigned ([`Witnessed`]). A request
//! to cosign names the size the requester believes the witness is at (`old_size`) and
//! carries the consistency proof from that size to the new checkpoint. [`check`]:
//!
//! * refuses with [`Refusal::Conflict`] when `old_size` is not the witness's size (the
//!   requester retries with the size it is told — C2SP's 409);
//! * refuses an `old_size` beyond the new checkpoint, or a checkpoint older than what it
//!   cosigned ([`Refusal::OldSizeAhead`]);
//! * accepts the first checkpoint of a log with an empty proof (trust on first use, as
//!   C2SP witnesses do: every tree extends the empty tree);
//! * for the same size, accepts only the same root with an empty proof, and turns a
//!   different root into an [`EquivocationProof`] — both notes carry the publisher's
//!   signature, so the contradiction is provable to anyone ([`Refusal::Equivocation`]);
//! * otherwise verifies the proof from the witnessed root to the new root
//!   ([`Refusal::Inconsistent`] when it fails: the requester, not necessarily the
//!   publisher, sent a bad proof).
//!
//! The caller has checked the note's signature by the publisher (and that its origin
//! names the publisher) before calling; [`check`] works on the parsed checkpoint. Time and
//! signing stay with the caller: this module decides, the node cosigns and persists.

use shoal_crypto::checkpoint::Checkpoint;
use shoal_crypto::keys::PublicKey;
use shoal_crypto::merkle::{verify_consistency, ProofError as MerkleProofError};
use shoal_crypto::Hash;

use crate::provenance::{EquivocationProof, ProofError};

/// The newest checkpoint a witness cosigned for one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witnessed {
    /// Tree size.
    pub size: u64,
    /// RFC 9162 root at that size.
    pub root: Hash,
    /// The publisher-signed note (cosignatures may be attached).
    pub note: String,
}

/// Why a witness will not cosign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The requester's `old_size` is not the size the witness last cosigned.
    #[error("the witness last cosigned size {witnessed}, not {old_size}")]
    Conflict {
        /// The size the witness last cosigned (0: none).
        witnessed: u64,
        /// The size the request named.
        old_size: u64,
    },
    /// The request goes backwards: `old_size` beyond the new size.
    #[error("old size {old_size} is beyond the checkpoint's size {size}")]
    OldSizeAhead {
        /// The size the request named.
        old_size: u64,
        /// The new checkpoint's size.
        size: u64,
    },
    /// The consistency proof does not prove the new checkpoint extends the witnessed one.
    #[error("consistency proof from {old_size} to {size} does not verify: {reason}")]
    Inconsistent {
        /// The witnessed size.
        old_size: u64,
        /// The new checkpoint's size.
        size: u64,
        /// What failed.
        reason: MerkleProofError,
    },
    /// The publisher signed two different roots for the same size: here is the proof.
    #[error("the publisher signed two different roots for size {size}")]
    Equivocation {
        /// The size both checkpoints claim.
        size: u64,
        /// The offline-verifiable proof.
        proof: Box<EquivocationProof>,
    },
    /// Two different roots for one size, but no proof could be built from the notes
    /// (should not happen with notes the caller verified).
    #[error("conflicting roots for size {size}, but no proof: {reason}")]
    Unprovable {
        /// The size both checkpoints claim.
        size: u64,
        /// Why the proof builder refused.
        reason: ProofError,
    },
}

/// Decide whether a witness at `witnessed` may cosign `cp` (signed by `publisher` in
/// `note`) given the requester's `old_size` and consistency `proof`; see the module
/// docs. On success the caller cosigns and stores the returned [`Witnessed`].
pub fn check(
    witnessed: Option<&Witnessed>,
    publisher: PublicKey,
    cp: &Checkpoint,
    note: &str,
    old_size: u64,
    proof: &[Hash],
) -> Result<Witnessed, Refusal> {
    let known = witnessed.map_or(0, |w| w.size);
    if old_size > cp.size {
        return Err(Refusal::OldSizeAhead {
            old_size,
            size: cp.size,
        });
    }
    if old_size != known {
        return Err(Refusal::Conflict {
            witnessed: known,
            old_size,
        });
    }
    let next = Witnessed {
        size: cp.size,
        root: cp.root,
        note: note.to_owned(),
    };
    let Some(w) = witnessed.filter(|w| w.size > 0) else {
        // Every tree extends the empty tree; a proof from size 0 must be empty.
        return if proof.is_empty() {
            Ok(next)
        } else {
            Err(Refusal::Inconsistent {
                old_size: 0,
                size: cp.size,
                reason: MerkleProofError::WrongProofLength {
                    expected: 0,
                    got: proof.len(),
                },
            })
        };
    };
    if w.size == cp.size && w.root != cp.root {
        return match EquivocationProof::from_checkpoints(publisher, &w.note, note) {
            Ok(p) => Err(Refusal::Equivocation {
                size: cp.size,
                proof: Box::new(p),
            }),
            Err(reason) => Err(Refusal::Unprovable {
                size: cp.size,
                reason,
            }),
        };
    }
    verify_consistency(w.size, cp.size, &w.root, &cp.root, proof).map_err(|reason| {
        Refusal::Inconsistent {
            old_size: w.size,
            size: cp.size,
            reason,
        }
    })?;
    Ok(next)
}

/// Encode a [`Witnessed`] for storage: `u64` size (big-endian) ‖ 32-byte root ‖ note.
pub fn encode_witnessed(w: &Witnessed) -> Vec<u8> {
    let mut out = Vec::with_capacity(40usize.saturating_add(w.note.len()));
    out.extend_from_slice(&w.size.to_be_bytes());
    out.extend_from_slice(&w.root);
    out.extend_from_slice(w.note.as_bytes());
    out
}

/// Decode what [`encode_witnessed`] wrote; `None` if malformed.
pub fn decode_witnessed(bytes: &[u8]) -> Option<Witnessed> {
    let size = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    let root: Hash = bytes.get(8..40)?.try_into().ok()?;
    let note = std::str::from_utf8(bytes.get(40..)?).ok()?.to_owned();
    Some(Witnessed { size, root, note })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_crypto::checkpoint::Checkpoint;
    use shoal_crypto::merkle::{consistency_proof, MemoryTree};
    use shoal_crypto::note::Note;
    use shoal_crypto::NodeKey;

    fn key() -> NodeKey {
        NodeKey::from_seed([3; 32])
    }

    fn origin(k: &NodeKey) -> String {
        format!(
            "shoal/{}",
            k.public()
                .peer_id()
                .map(|p| p.to_string())
                .unwrap_or_default()
        )
    }

    fn tree(n: u64) -> MemoryTree {
        let mut t = MemoryTree::new();
        for i in 0..n {
            t.append(shoal_crypto::hash::leaf_hash(&i.to_be_bytes()));
        }
        t
    }

    fn signed(k: &NodeKey, size: u64, root: Hash) -> (Checkpoint, String) {
        let cp = Checkpoint {
            origin: origin(k),
            size,
            root,
            extensions: vec![],
        };
        let note = cp.sign(k).map(|n: Note| n.to_text()).unwrap_or_default();
        (cp, note)
    }

    fn witnessed(k: &NodeKey, n: u64) -> Witnessed {
        let (cp, note) = signed(k, n, tree(n).root());
        Witnessed {
            size: n,
            root: cp.root,
            note,
        }
    }

    #[test]
    fn first_checkpoint_is_trusted_with_an_empty_proof() {
        let k = key();
        let (cp, note) = signed(&k, 5, tree(5).root());
        let got = check(None, k.public(), &cp, &note, 0, &[]).map(|w| w.size);
        assert_eq!(got, Ok(5));
        let bad = check(None, k.public(), &cp, &note, 0, &[[0; 32]]);
        assert!(matches!(bad, Err(Refusal::Inconsistent { .. })));
    }

    #[test]
    fn a_consistent_extension_is_cosigned_and_any_tampering_refused() {
        let k = key();
        let w = witnessed(&k, 5);
        let t = tree(13);
        let (cp, note) = signed(&k, 13, t.root());
        let proof = consistency_proof(&t, 5, 13).unwrap_or_default();
        assert!(!proof.is_empty());
        assert_eq!(
            check(Some(&w), k.public(), &cp, &note, 5, &proof).map(|w| (w.size, w.root)),
            Ok((13, t.root()))
        );
        for i in 0..proof.len() {
            let mut bad = proof.clone();
            if let Some(h) = bad.get_mut(i) {
                h[0] ^= 1;
            }
            assert!(matches!(
                check(Some(&w), k.public(), &cp, &note, 5, &bad),
                Err(Refusal::Inconsistent {
                    old_size: 5,
                    size: 13,
                    ..
                })
            ));
        }
        // A checkpoint of a different history of size 13.
        let mut other = MemoryTree::new();
        for i in 0..13u64 {
            other.append(shoal_crypto::hash::leaf_hash(&(i + 100).to_be_bytes()));
        }
        let (cp2, note2) = signed(&k, 13, other.root());
        assert!(matches!(
            check(Some(&w), k.public(), &cp2, &note2, 5, &proof),
            Err(Refusal::Inconsistent { .. })
        ));
    }

    #[test]
    fn a_stale_old_size_is_a_conflict_naming_the_witnessed_size() {
        let k = key();
        let w = witnessed(&k, 5);
        let t = tree(8);
        let (cp, note) = signed(&k, 8, t.root());
        assert_eq!(
            check(Some(&w), k.public(), &cp, &note, 3, &[]),
            Err(Refusal::Conflict {
                witnessed: 5,
                old_size: 3
            })
        );
        assert_eq!(
            check(None, k.public(), &cp, &note, 3, &[]),
            Err(Refusal::Conflict {
                witnessed: 0,
                old_size: 3
            })
        );
        assert_eq!(
            check(Some(&w), k.public(), &cp, &note, 9, &[]),
            Err(Refusal::OldSizeAhead {
                old_size: 9,
                size: 8
            })
        );
        // Going backwards: the witness is at 5, a checkpoint of size 4 cannot name 5.
        let (cp4, note4) = signed(&k, 4, tree(4).root());
        assert!(matches!(
            check(Some(&w), k.public(), &cp4, &note4, 5, &[]),
            Err(Refusal::OldSizeAhead { .. })
        ));
    }

    #[test]
    fn the_same_size_recosigns_the_same_root_and_proves_a_different_one() {
        let k = key();
        let w = witnessed(&k, 5);
        let (cp, note) = signed(&k, 5, w.root);
        assert!(check(Some(&w), k.public(), &cp, &note, 5, &[]).is_ok());
        let (fork, fork_note) = signed(&k, 5, [9; 32]);
        match check(Some(&w), k.public(), &fork, &fork_note, 5, &[]) {
            Err(Refusal::Equivocation { size, proof }) => {
                assert_eq!(size, 5);
                assert!(proof.verify(crate::DEFAULT_MAX_ENVELOPE_BYTES).is_ok());
            }
            other => panic!("expected an equivocation proof, got {other:?}"),
        }
    }

    #[test]
    fn stored_state_round_trips_and_garbage_is_refused() {
        let w = witnessed(&key(), 7);
        assert_eq!(decode_witnessed(&encode_witnessed(&w)), Some(w));
        assert_eq!(decode_witnessed(&[0; 39]), None);
        let mut bad = vec![0u8; 40];
        bad.extend_from_slice(&[0xff, 0xfe]);
        assert_eq!(decode_witnessed(&bad), None);
    }
}
