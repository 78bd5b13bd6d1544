//! Property tests: the storage-backed Merkle math agrees with a naive recursive
//! RFC 9162 implementation, every generated proof verifies, and verification of
//! random garbage never panics.

use proptest::prelude::*;
use shoal_crypto::hash::{empty_root, leaf_hash, node_hash};
use shoal_crypto::merkle::{
    consistency_proof, inclusion_proof, root, verify_consistency, verify_inclusion, CompactRange,
    MemoryTree,
};
use shoal_crypto::Hash;

fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]) straight from RFC 9162 §2.1.1.
fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => empty_root(),
        1 => d[0],
        n => {
            let k = split(n);
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

/// PATH(m, D[n]) straight from RFC 9162 §2.1.3.1.
fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    if d.len() <= 1 {
        return Vec::new();
    }
    let k = split(d.len());
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b) straight from RFC 9162 §2.1.4.1.
fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { Vec::new() } else { vec![mth(d)] };
    }
    let k = split(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn leaves(n: usize, seed: u64) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(format!("{seed}/{i}").as_bytes()))
        .collect()
}

fn build(d: &[Hash]) -> (MemoryTree, Vec<CompactRange>) {
    let mut t = MemoryTree::new();
    let mut ranges = vec![t.compact_range().clone()];
    for l in d {
        t.append(*l);
        ranges.push(t.compact_range().clone());
    }
    (t, ranges)
}

fn check_tree(d: &[Hash], indices: &[usize], pairs: &[(usize, usize)]) {
    let (t, ranges) = build(d);
    for size in 0..=d.len() {
        let want = mth(&d[..size]);
        assert_eq!(ranges[size].root(), want, "CompactRange root at {size}");
        assert_eq!(root(&t, size as u64).unwrap(), want, "root() at {size}");
        assert_eq!(
            CompactRange::from_source(&t, size as u64).unwrap(),
            ranges[size]
        );
    }
    let size = d.len();
    for &index in indices {
        let p = inclusion_proof(&t, index as u64, size as u64).unwrap();
        assert_eq!(p, path(index, d), "PATH({index}, {size})");
        verify_inclusion(&d[index], index as u64, size as u64, &p, &mth(d)).unwrap();
    }
    for &(old, new) in pairs {
        let p = consistency_proof(&t, old as u64, new as u64).unwrap();
        assert_eq!(p, subproof(old, &d[..new], true), "PROOF({old}, {new})");
        verify_consistency(old as u64, new as u64, &mth(&d[..old]), &mth(&d[..new]), &p).unwrap();
        // Inclusion in an older size than the store holds.
        let i = old - 1;
        let p = inclusion_proof(&t, i as u64, new as u64).unwrap();
        verify_inclusion(&d[i], i as u64, new as u64, &p, &mth(&d[..new])).unwrap();
    }
}

/// Every index and every size pair of all trees up to 40 leaves.
#[test]
fn exhaustive_small_trees() {
    let d = leaves(40, 0);
    let (t, _) = build(&d);
    for new in 1..=d.len() {
        let r = mth(&d[..new]);
        for i in 0..new {
            let p = inclusion_proof(&t, i as u64, new as u64).unwrap();
            assert_eq!(p, path(i, &d[..new]));
            verify_inclusion(&d[i], i as u64, new as u64, &p, &r).unwrap();
        }
        for old in 1..=new {
            let p = consistency_proof(&t, old as u64, new as u64).unwrap();
            assert_eq!(p, subproof(old, &d[..new], true));
            verify_consistency(old as u64, new as u64, &mth(&d[..old]), &r, &p).unwrap();
        }
    }
}

fn tree_case() -> impl Strategy<Value = (usize, u64, Vec<usize>, Vec<(usize, usize)>)> {
    (1usize..=300, any::<u64>()).prop_flat_map(|(n, seed)| {
        let indices = proptest::collection::vec(0..n, 1..20);
        let pairs = proptest::collection::vec(
            (1..=n, 1..=n).prop_map(|(a, b)| (a.min(b), a.max(b))),
            1..20,
        );
        (Just(n), Just(seed), indices, pairs)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_trees_agree_with_naive_rfc((n, seed, indices, pairs) in tree_case()) {
        check_tree(&leaves(n, seed), &indices, &pairs);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn garbage_inclusion_never_panics(
        index in prop_oneof![any::<u64>(), 0u64..64],
        size in prop_oneof![any::<u64>(), 0u64..64, Just(u64::MAX)],
        proof in proptest::collection::vec(any::<[u8; 32]>(), 0..70),
        leaf in any::<[u8; 32]>(),
        r in any::<[u8; 32]>(),
    ) {
        let _ = verify_inclusion(&leaf, index, size, &proof, &r);
    }

    #[test]
    fn garbage_consistency_never_panics(
        old in prop_oneof![any::<u64>(), 0u64..64, Just(u64::MAX)],
        new in prop_oneof![any::<u64>(), 0u64..64, Just(u64::MAX)],
        proof in proptest::collection::vec(any::<[u8; 32]>(), 0..70),
        r1 in any::<[u8; 32]>(),
        r2 in any::<[u8; 32]>(),
    ) {
        let _ = verify_consistency(old, new, &r1, &r2, &proof);
    }

    /// A proof of the right length but random content fails with RootMismatch.
    #[test]
    fn random_proof_of_right_length_mismatches(
        (index, size) in (1u64..1000).prop_flat_map(|s| (0..s, Just(s))),
        seed in any::<u8>(),
    ) {
        let len = shoal_crypto::merkle::inclusion_proof_len(index, size).unwrap();
        let proof: Vec<Hash> = (0..len).map(|i| leaf_hash(&[seed, i as u8])).collect();
        prop_assert_eq!(
            verify_inclusion(&[seed; 32], index, size, &proof, &[0; 32]),
            Err(shoal_crypto::ProofError::RootMismatch)
        );
    }
}
