//! Known answers from RFC 6962 / transparency-dev/merkle (tests/data/rfc6962.json):
//! leaf hashes, roots by size, inclusion and consistency proofs generated and
//! verified, and typed errors for every kind of tampering.

use serde_json::Value;
use shoal_crypto::hash::{empty_root, leaf_hash};
use shoal_crypto::merkle::{
    consistency_proof, consistency_proof_len, inclusion_proof, inclusion_proof_len, root,
    verify_consistency, verify_inclusion, CompactRange, MemoryTree, MerkleError, ProofError,
};
use shoal_crypto::Hash;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rfc6962.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn h(v: &Value) -> Hash {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(h).collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

fn leaves(v: &Value) -> Vec<Hash> {
    v["leaves_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| leaf_hash(&hex::decode(l.as_str().unwrap()).unwrap()))
        .collect()
}

fn tree(leaves: &[Hash]) -> MemoryTree {
    let mut t = MemoryTree::new();
    for l in leaves {
        t.append(*l);
    }
    t
}

#[test]
fn leaf_hashes() {
    let v = vectors();
    assert_eq!(leaves(&v), hashes(&v["leaf_hashes"]));
}

#[test]
fn roots_by_size() {
    let v = vectors();
    let leaves = leaves(&v);
    let full = tree(&leaves);
    let roots = v["roots_by_size"].as_object().unwrap();
    assert_eq!(roots.len(), leaves.len() + 1);
    for (size, want) in roots {
        let size: usize = size.parse().unwrap();
        let want = h(want);
        let partial = tree(&leaves[..size]);
        assert_eq!(partial.root(), want, "MemoryTree root at {size}");
        assert_eq!(root(&full, size as u64).unwrap(), want, "root() at {size}");
        assert_eq!(root(&partial, size as u64).unwrap(), want);
        assert_eq!(
            CompactRange::from_source(&full, size as u64)
                .unwrap()
                .root(),
            want
        );
    }
    assert_eq!(root(&full, 0).unwrap(), empty_root());
}

#[test]
fn inclusion_proofs_generate_and_verify() {
    let v = vectors();
    let leaves = leaves(&v);
    let full = tree(&leaves);
    for case in v["inclusion"].as_array().unwrap() {
        let (index, size) = (u(&case["leaf_index"]), u(&case["tree_size"]));
        let (leaf, want_root, want) = (
            h(&case["leaf_hash"]),
            h(&case["root"]),
            hashes(&case["proof"]),
        );
        let exact = tree(&leaves[..size as usize]);
        assert_eq!(
            inclusion_proof(&full, index, size).unwrap(),
            want,
            "({index}, {size})"
        );
        assert_eq!(inclusion_proof(&exact, index, size).unwrap(), want);
        assert_eq!(
            verify_inclusion(&leaf, index, size, &want, &want_root),
            Ok(())
        );
    }
}

#[test]
fn consistency_proofs_generate_and_verify() {
    let v = vectors();
    let leaves = leaves(&v);
    let full = tree(&leaves);
    for case in v["consistency"].as_array().unwrap() {
        let (old, new) = (u(&case["size1"]), u(&case["size2"]));
        let (r1, r2, want) = (h(&case["root1"]), h(&case["root2"]), hashes(&case["proof"]));
        assert_eq!(
            consistency_proof(&full, old, new).unwrap(),
            want,
            "({old}, {new})"
        );
        assert_eq!(
            consistency_proof(&tree(&leaves[..new as usize]), old, new).unwrap(),
            want
        );
        assert_eq!(verify_consistency(old, new, &r1, &r2, &want), Ok(()));
    }
}

#[test]
fn tampered_inclusion_proofs_are_rejected() {
    let v = vectors();
    for case in v["inclusion"].as_array().unwrap() {
        let (index, size) = (u(&case["leaf_index"]), u(&case["tree_size"]));
        let (leaf, r, proof) = (
            h(&case["leaf_hash"]),
            h(&case["root"]),
            hashes(&case["proof"]),
        );
        // A flipped bit anywhere in any proof hash.
        for i in 0..proof.len() {
            for bit in [0usize, 7, 100, 255] {
                let mut bad = proof.clone();
                bad[i][bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    verify_inclusion(&leaf, index, size, &bad, &r),
                    Err(ProofError::RootMismatch)
                );
            }
        }
        // Wrong leaf and wrong root.
        let mut other = leaf;
        other[0] ^= 1;
        assert_eq!(
            verify_inclusion(&other, index, size, &proof, &r),
            Err(ProofError::RootMismatch)
        );
        assert_eq!(
            verify_inclusion(&leaf, index, size, &proof, &other),
            Err(ProofError::RootMismatch)
        );
        // Wrong index (any other in-range index of the same proof length still mismatches).
        for wrong in (0..size).filter(|i| *i != index) {
            assert!(verify_inclusion(&leaf, wrong, size, &proof, &r).is_err());
        }
        // Wrong sizes. RFC 9162 binds the size only through the proof's shape, so a
        // size whose audit path has another length must be rejected as such.
        let mut rejected = 0;
        for wrong in (1..=40).filter(|s| *s != size) {
            let res = verify_inclusion(&leaf, index, wrong, &proof, &r);
            if index >= wrong {
                assert_eq!(res, Err(ProofError::IndexOutOfRange { index, size: wrong }));
                rejected += 1;
            } else if inclusion_proof_len(index, wrong) != Ok(proof.len()) {
                assert!(
                    matches!(res, Err(ProofError::WrongProofLength { .. })),
                    "size {wrong}: {res:?}"
                );
                rejected += 1;
            }
        }
        assert!(rejected > 30);
        // Truncated and extended proofs.
        if !proof.is_empty() {
            let got = proof.len() - 1;
            assert_eq!(
                verify_inclusion(&leaf, index, size, &proof[..got], &r),
                Err(ProofError::WrongProofLength {
                    expected: proof.len(),
                    got
                })
            );
        }
        let mut longer = proof.clone();
        longer.push(leaf);
        assert_eq!(
            verify_inclusion(&leaf, index, size, &longer, &r),
            Err(ProofError::WrongProofLength {
                expected: proof.len(),
                got: proof.len() + 1
            })
        );
        // Index outside the tree.
        assert_eq!(
            verify_inclusion(&leaf, size, size, &proof, &r),
            Err(ProofError::IndexOutOfRange { index: size, size })
        );
    }
}

#[test]
fn tampered_consistency_proofs_are_rejected() {
    let v = vectors();
    for case in v["consistency"].as_array().unwrap() {
        let (old, new) = (u(&case["size1"]), u(&case["size2"]));
        let (r1, r2, proof) = (h(&case["root1"]), h(&case["root2"]), hashes(&case["proof"]));
        for i in 0..proof.len() {
            for bit in [0usize, 9, 128, 255] {
                let mut bad = proof.clone();
                bad[i][bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    verify_consistency(old, new, &r1, &r2, &bad),
                    Err(ProofError::RootMismatch)
                );
            }
        }
        let mut other = r1;
        other[31] ^= 0x80;
        assert_eq!(
            verify_consistency(old, new, &other, &r2, &proof),
            Err(ProofError::RootMismatch)
        );
        assert_eq!(
            verify_consistency(old, new, &r1, &other, &proof),
            Err(ProofError::RootMismatch)
        );
        if !proof.is_empty() {
            let got = proof.len() - 1;
            assert_eq!(
                verify_consistency(old, new, &r1, &r2, &proof[..got]),
                Err(ProofError::WrongProofLength {
                    expected: proof.len(),
                    got
                })
            );
        }
        let mut longer = proof.clone();
        longer.push(r1);
        assert_eq!(
            verify_consistency(old, new, &r1, &r2, &longer),
            Err(ProofError::WrongProofLength {
                expected: proof.len(),
                got: proof.len() + 1
            })
        );
        // Wrong sizes: any pair whose proof has another shape is rejected.
        for o in 1..=20 {
            for n in o..=20 {
                if (o, n) == (old, new) || consistency_proof_len(o, n) == Ok(proof.len()) {
                    continue;
                }
                let res = verify_consistency(o, n, &r1, &r2, &proof);
                assert!(
                    matches!(res, Err(ProofError::WrongProofLength { .. })),
                    "({o}, {n}): {res:?}"
                );
            }
        }
        // The same proof never verifies for a different old size with these roots
        // (the old root is recomputed from the proof's shape).
        for o in (1..=new).filter(|o| *o != old) {
            assert!(
                verify_consistency(o, new, &r1, &r2, &proof).is_err(),
                "({o}, {new})"
            );
        }
        // Old > new and old == 0.
        assert_eq!(
            verify_consistency(new + 1, new, &r1, &r2, &proof),
            Err(ProofError::InvalidSizes { old: new + 1, new })
        );
        assert_eq!(
            verify_consistency(0, new, &r1, &r2, &proof),
            Err(ProofError::InvalidSizes { old: 0, new })
        );
        assert_eq!(
            verify_consistency(0, 0, &r1, &r2, &[]),
            Err(ProofError::InvalidSizes { old: 0, new: 0 })
        );
    }
}

#[test]
fn generation_rejects_bad_requests() {
    let v = vectors();
    let full = tree(&leaves(&v));
    assert!(matches!(
        inclusion_proof(&full, 0, 0),
        Err(MerkleError::IndexOutOfRange { index: 0, size: 0 })
    ));
    assert!(matches!(
        inclusion_proof(&full, 8, 8),
        Err(MerkleError::IndexOutOfRange { index: 8, size: 8 })
    ));
    assert!(matches!(
        consistency_proof(&full, 0, 8),
        Err(MerkleError::InvalidSizes { old: 0, new: 8 })
    ));
    assert!(matches!(
        consistency_proof(&full, 5, 4),
        Err(MerkleError::InvalidSizes { old: 5, new: 4 })
    ));
    assert_eq!(consistency_proof(&full, 8, 8).unwrap(), Vec::<Hash>::new());
    // Beyond what is stored: a typed Missing error, not a panic.
    assert!(matches!(
        root(&full, 9),
        Err(MerkleError::Missing { level: 0, index: 8 })
    ));
    assert!(matches!(
        inclusion_proof(&full, 3, 16),
        Err(MerkleError::Missing { .. })
    ));
    assert!(matches!(
        consistency_proof(&full, 3, u64::MAX),
        Err(MerkleError::Missing { .. })
    ));
    assert!(matches!(
        CompactRange::from_source(&full, u64::MAX),
        Err(MerkleError::Missing { .. })
    ));
}

#[test]
fn empty_and_degenerate_verification_inputs() {
    let z = [0u8; 32];
    assert_eq!(
        verify_inclusion(&z, 0, 0, &[], &z),
        Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(
        verify_inclusion(&z, u64::MAX, u64::MAX, &[], &z),
        Err(ProofError::IndexOutOfRange {
            index: u64::MAX,
            size: u64::MAX
        })
    );
    assert_eq!(verify_inclusion(&z, 0, 1, &[], &z), Ok(()));
    assert_eq!(
        verify_inclusion(&z, 0, 1, &[], &[1; 32]),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(verify_consistency(3, 3, &z, &z, &[]), Ok(()));
    assert_eq!(
        verify_consistency(3, 3, &z, &[1; 32], &[]),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        verify_consistency(3, 3, &z, &z, &[z]),
        Err(ProofError::WrongProofLength {
            expected: 0,
            got: 1
        })
    );
    let big = vec![z; 64];
    assert!(verify_inclusion(&z, u64::MAX - 1, u64::MAX, &big, &z).is_err());
    assert!(verify_consistency(u64::MAX - 1, u64::MAX, &z, &z, &big).is_err());
    assert!(verify_consistency(1 << 63, u64::MAX, &z, &z, &big).is_err());
}
