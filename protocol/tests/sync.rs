//! Anti-entropy: a replica catches up with a real Merkle log from peer hashes and signed
//! envelopes in any order and batch split and lands exactly on the tree root; wrong hashes
//! name their peer and are refetched; equivocating checkpoints and leaves are reported;
//! memory stays bounded; `missing()` lists exactly the holes; the planner never requests a
//! range twice at once, times peers out and routes around them.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use shoal_crypto::hash::{leaf_hash, Hash};
use shoal_crypto::merkle::{root, MemoryTree, SubtreeSource};
use shoal_crypto::{NodeKey, PublicKey};
use shoal_protocol::sync::{
    Advance, Conflict, Insert, Need, Observe, Pending, PlannerConfig, Replica, Source, SyncError,
    SyncPlanner, TreeHead, DEFAULT_MAX_AHEAD, DEFAULT_REQUEST_TIMEOUT_MS,
};
use shoal_protocol::wire::{check_ranges, Leaf, Limits, SyncRequest, SyncResponse};
use shoal_protocol::{Envelope, EnvelopeBody, Tlp, DEFAULT_MAX_ENVELOPE_BYTES};

type Peer = u8;

fn publisher() -> PublicKey {
    PublicKey([7; 32])
}

/// A log of `n` synthetic leaves.
struct Log {
    tree: MemoryTree,
    leaves: Vec<Hash>,
}

impl Log {
    fn new(n: u64) -> Self {
        let mut tree = MemoryTree::new();
        let mut leaves = Vec::new();
        for i in 0..n {
            let h = leaf_hash(format!("entry {i}").as_bytes());
            tree.append(h);
            leaves.push(h);
        }
        Self { tree, leaves }
    }

    fn leaf(&self, i: u64) -> Hash {
        self.leaves[i as usize]
    }

    /// The root of the first `size` leaves.
    fn root(&self, size: u64) -> Hash {
        root(&self.tree, size).unwrap()
    }

    fn note(&self, size: u64) -> String {
        format!("shoal.test/log\n{size}\nroot-of-{size}\n")
    }

    fn observe(&self, r: &mut Replica<Peer>, size: u64) -> Observe {
        r.observe_checkpoint(size, self.root(size), self.note(size))
    }
}

fn replica() -> Replica<Peer> {
    Replica::new(publisher())
}

fn advanced_to(a: &Advance<Peer>) -> Option<u64> {
    match a {
        Advance::Advanced { to, .. } => Some(*to),
        _ => None,
    }
}

/// Insert `[from, to)` from `source`.
fn feed(r: &mut Replica<Peer>, log: &Log, from: u64, to: u64, source: Source<Peer>) {
    for i in from..to {
        assert_eq!(r.insert(i, log.leaf(i), source), Insert::New, "index {i}");
    }
}

// ---------------------------------------------------------------------------------------
// Catching up.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Leaves arrive in any order, split in any batches, some signed and some as peer
    /// hashes, with an intermediate checkpoint: the replica advances exactly when a target
    /// is covered and ends on the tree's root, compact range and stored nodes.
    #[test]
    fn catches_up_in_any_order(
        (n, first, order, signed, cuts) in (1u64..80).prop_flat_map(|n| (
            Just(n),
            1..=n,
            Just((0..n).collect::<Vec<u64>>()).prop_shuffle(),
            proptest::collection::vec(any::<bool>(), n as usize),
            proptest::collection::btree_set(0..n as usize, 0..8),
        ))
    ) {
        let log = Log::new(n);
        let mut r = replica();
        prop_assert!(log.observe(&mut r, first).is_newer());
        let mut inserted = BTreeSet::new();
        let mut stored: BTreeMap<(u8, u64), Hash> = BTreeMap::new();
        let mut batches = Vec::new();
        let mut start = 0;
        for cut in cuts.iter().copied().chain([n as usize]) {
            batches.push(&order[start..cut.max(start)]);
            start = cut.max(start);
        }
        for (b, batch) in batches.iter().enumerate() {
            for &i in *batch {
                let source = if signed[i as usize] { Source::Signed } else { Source::Peer(1) };
                let outcome = r.insert(i, log.leaf(i), source);
                if i < r.verified_size() {
                    prop_assert_eq!(outcome, Insert::BelowVerified);
                } else {
                    prop_assert_eq!(outcome, Insert::New);
                }
                inserted.insert(i);
            }
            drain(&mut r, &log, &inserted, &mut stored)?;
            // Once past the first checkpoint (or after the first batch), learn the final one.
            if b >= 1 || r.verified_size() == first {
                log.observe(&mut r, n);
                drain(&mut r, &log, &inserted, &mut stored)?;
            }
        }
        prop_assert_eq!(r.verified_size(), n);
        prop_assert!(r.is_synced());
        prop_assert_eq!(r.verified().root(), log.tree.root());
        prop_assert_eq!(r.verified(), log.tree.compact_range());
        prop_assert!(r.pending().is_empty());
        prop_assert!(r.missing(u64::MAX).is_empty());
        // The reported nodes are exactly the tree's perfect subtrees.
        prop_assert_eq!(stored.keys().filter(|(level, _)| *level == 0).count() as u64, n);
        for ((level, index), hash) in stored {
            prop_assert_eq!(log.tree.subtree(level, index).unwrap(), Some(hash));
        }
    }
}

/// Advance as far as the inserted leaves allow, checking every outcome.
fn drain(
    r: &mut Replica<Peer>,
    log: &Log,
    inserted: &BTreeSet<u64>,
    stored: &mut BTreeMap<(u8, u64), Hash>,
) -> Result<(), TestCaseError> {
    loop {
        let before = r.verified_size();
        let target = r.target().unwrap().size;
        let covered = (before..target).all(|i| inserted.contains(&i));
        match r.try_advance() {
            Advance::Advanced {
                from,
                to,
                hashes,
                nodes,
            } => {
                prop_assert!(covered);
                prop_assert_eq!((from, to), (before, target));
                prop_assert_eq!(r.verified().root(), log.root(to));
                prop_assert_eq!(&hashes[..], r.verified().hashes());
                prop_assert!(r.pending().keys().all(|i| *i >= to));
                for node in nodes {
                    stored.insert((node.level, node.index), node.hash);
                }
            }
            Advance::NotReady => {
                prop_assert!(!covered);
                return Ok(());
            }
            Advance::UpToDate => {
                prop_assert_eq!(before, target);
                return Ok(());
            }
            other => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}

#[test]
fn catches_up_from_real_envelopes_and_hashes_over_the_wire() {
    let key = NodeKey::from_seed([3; 32]);
    let mut tree = MemoryTree::new();
    let mut envelopes = Vec::new();
    for i in 0..12u64 {
        let body = EnvelopeBody {
            publisher: key.public(),
            ledger_index: i,
            published_at: 1_700_000_000,
            tlp: Tlp::Clear,
            community: "c".into(),
            object: format!(r#"{{"n":{i}}}"#).into_bytes(),
            extensions: vec![],
        };
        let bytes = body.sign_encoded(&key).unwrap();
        tree.append(leaf_hash(&bytes));
        envelopes.push(bytes);
    }
    // The responder sends full envelopes for even indices and hashes for odd ones.
    let items = envelopes
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let leaf = if i % 2 == 0 {
                Leaf::Full(bytes.clone())
            } else {
                Leaf::Hash(leaf_hash(bytes))
            };
            (i as u64, leaf)
        })
        .collect();
    let wire = SyncResponse::Leaves {
        publisher: key.public(),
        items,
    }
    .encode();
    let SyncResponse::Leaves { items, .. } =
        SyncResponse::decode(&wire, &Limits::default()).unwrap()
    else {
        panic!("not leaves")
    };

    let mut r: Replica<Peer> = Replica::new(key.public());
    r.observe_checkpoint(12, tree.root(), "note".into());
    for (index, leaf) in items {
        let source = match &leaf {
            Leaf::Full(bytes) => {
                let env = Envelope::decode_verified(bytes, DEFAULT_MAX_ENVELOPE_BYTES).unwrap();
                assert_eq!(
                    (env.body.publisher, env.body.ledger_index),
                    (key.public(), index)
                );
                Source::Signed
            }
            Leaf::Hash(_) => Source::Peer(9),
        };
        assert_eq!(r.insert(index, leaf.leaf_hash(), source), Insert::New);
    }
    assert_eq!(advanced_to(&r.try_advance()), Some(12));
    assert_eq!(r.verified().root(), tree.root());
}

#[test]
fn empty_checkpoint_and_up_to_date() {
    let log = Log::new(0);
    let mut r = replica();
    assert!(r.is_synced());
    assert_eq!(r.try_advance(), Advance::UpToDate);
    assert_eq!(log.observe(&mut r, 0), Observe::Updated);
    assert_eq!(r.try_advance(), Advance::UpToDate);
    assert!(r.missing(10).is_empty());
}

// ---------------------------------------------------------------------------------------
// Wrong hashes and inconsistent publishers.

#[test]
fn a_lying_peer_is_named_and_the_replica_recovers() {
    let log = Log::new(20);
    let mut r = replica();
    log.observe(&mut r, 20);
    // Signed leaves for [0, 5), peer 1 serves [5, 20) with index 13 wrong.
    feed(&mut r, &log, 0, 5, Source::Signed);
    for i in 5..20 {
        let hash = if i == 13 { [0xEE; 32] } else { log.leaf(i) };
        assert_eq!(r.insert(i, hash, Source::Peer(1)), Insert::New);
    }
    assert_eq!(
        r.try_advance(),
        Advance::Mismatch {
            offenders: BTreeSet::from([1])
        }
    );
    // The peer's hashes are gone, the signed ones stay.
    assert_eq!(r.verified_size(), 0);
    assert_eq!(r.missing(u64::MAX), [(5, 20)]);
    assert!(r.pending().values().all(|p| p.source == Source::Signed));
    assert_eq!(r.try_advance(), Advance::NotReady);
    // Refetch from peer 2.
    feed(&mut r, &log, 5, 20, Source::Peer(2));
    assert_eq!(advanced_to(&r.try_advance()), Some(20));
    assert_eq!(r.verified().root(), log.tree.root());
}

#[test]
fn mismatch_names_every_contributing_peer() {
    let log = Log::new(8);
    let mut r = replica();
    log.observe(&mut r, 8);
    feed(&mut r, &log, 0, 4, Source::Peer(1));
    feed(&mut r, &log, 4, 7, Source::Peer(2));
    r.insert(7, [0; 32], Source::Peer(3));
    assert_eq!(
        r.try_advance(),
        Advance::Mismatch {
            offenders: BTreeSet::from([1, 2, 3])
        }
    );
    assert!(r.pending().is_empty());
}

#[test]
fn signed_leaves_inconsistent_with_the_checkpoint() {
    let log = Log::new(6);
    let mut r = replica();
    r.observe_checkpoint(6, [0xAB; 32], "forged".into());
    feed(&mut r, &log, 0, 6, Source::Signed);
    assert_eq!(
        r.try_advance(),
        Advance::Inconsistent {
            size: 6,
            expected: [0xAB; 32],
            computed: log.root(6)
        }
    );
    // Nothing was dropped.
    assert_eq!(r.pending().len(), 6);
    assert_eq!(r.verified_size(), 0);
}

#[test]
fn leaf_conflicts() {
    let mut r = replica();
    let (a, b) = ([1; 32], [2; 32]);
    // Two signed leaves: publisher equivocation, the first is kept.
    assert_eq!(r.insert(0, a, Source::Signed), Insert::New);
    assert_eq!(r.insert(0, a, Source::Signed), Insert::Duplicate);
    assert_eq!(
        r.insert(0, b, Source::Signed),
        Insert::Conflict(Conflict::Equivocation {
            index: 0,
            kept: a,
            other: b
        })
    );
    // A peer contradicting a signed leaf.
    assert_eq!(
        r.insert(0, b, Source::Peer(4)),
        Insert::Conflict(Conflict::PeerContradicted {
            index: 0,
            offender: 4
        })
    );
    assert_eq!(r.insert(0, a, Source::Peer(4)), Insert::Duplicate);
    assert_eq!(
        r.pending()[&0],
        Pending {
            hash: a,
            source: Source::Signed
        }
    );
    // A signed leaf overruling a peer hash.
    assert_eq!(r.insert(1, b, Source::Peer(5)), Insert::New);
    assert_eq!(
        r.insert(1, a, Source::Signed),
        Insert::Conflict(Conflict::PeerOverruled {
            index: 1,
            offender: 5
        })
    );
    assert_eq!(
        r.pending()[&1],
        Pending {
            hash: a,
            source: Source::Signed
        }
    );
    // Two peers disagreeing: the first is kept.
    assert_eq!(r.insert(2, a, Source::Peer(6)), Insert::New);
    assert_eq!(
        r.insert(2, b, Source::Peer(7)),
        Insert::Conflict(Conflict::Disputed {
            index: 2,
            kept_from: 6,
            rejected_from: 7
        })
    );
    assert_eq!(
        r.pending()[&2],
        Pending {
            hash: a,
            source: Source::Peer(6)
        }
    );
    // A signed copy of a peer hash upgrades it.
    assert_eq!(r.insert(2, a, Source::Signed), Insert::Duplicate);
    assert_eq!(r.pending()[&2].source, Source::Signed);
}

// ---------------------------------------------------------------------------------------
// Checkpoints.

#[test]
fn checkpoint_ordering_and_equivocation() {
    let log = Log::new(10);
    let mut r = replica();
    assert_eq!(log.observe(&mut r, 5), Observe::Updated);
    assert_eq!(log.observe(&mut r, 5), Observe::Ignored);
    assert_eq!(log.observe(&mut r, 3), Observe::Ignored);
    assert_eq!(r.target().unwrap().size, 5);
    let Observe::Equivocation(e) = r.observe_checkpoint(5, [9; 32], "evil".into()) else {
        panic!("no equivocation")
    };
    assert_eq!(
        e.known,
        TreeHead {
            size: 5,
            root: log.root(5),
            note: log.note(5)
        }
    );
    assert_eq!(
        e.conflicting,
        TreeHead {
            size: 5,
            root: [9; 32],
            note: "evil".into()
        }
    );
    // The target is unchanged; a larger checkpoint replaces it.
    assert_eq!(r.target().unwrap().root, log.root(5));
    assert!(log.observe(&mut r, 10).is_newer());
    assert_eq!(r.target().unwrap().size, 10);
}

#[test]
fn a_checkpoint_contradicting_the_verified_prefix() {
    let log = Log::new(4);
    let c = log.tree.compact_range();
    let mut r: Replica<Peer> = Replica::restore(publisher(), 4, c.hashes(), None).unwrap();
    assert_eq!(
        r.observe_checkpoint(4, [1; 32], "x".into()),
        Observe::ContradictsVerified { size: 4 }
    );
    assert_eq!(
        r.observe_checkpoint(2, [1; 32], "x".into()),
        Observe::Ignored
    );
    assert_eq!(log.observe(&mut r, 4), Observe::Updated);
    assert_eq!(r.try_advance(), Advance::UpToDate);
}

// ---------------------------------------------------------------------------------------
// Bounds and holes.

#[test]
fn too_far_ahead_and_below_verified() {
    let log = Log::new(30);
    let mut r = replica().with_max_ahead(10);
    assert_eq!(r.max_ahead(), 10);
    assert_eq!(
        Replica::<Peer>::new(publisher()).max_ahead(),
        DEFAULT_MAX_AHEAD
    );
    log.observe(&mut r, 5);
    assert_eq!(
        r.insert(10, log.leaf(10), Source::Signed),
        Insert::TooFarAhead
    );
    assert_eq!(
        r.insert(u64::MAX, [0; 32], Source::Signed),
        Insert::TooFarAhead
    );
    assert_eq!(r.insert(9, log.leaf(9), Source::Signed), Insert::New);
    feed(&mut r, &log, 0, 5, Source::Peer(1));
    assert_eq!(advanced_to(&r.try_advance()), Some(5));
    // The window moved with the verified size.
    assert_eq!(
        r.insert(4, log.leaf(4), Source::Signed),
        Insert::BelowVerified
    );
    assert_eq!(r.insert(14, log.leaf(14), Source::Signed), Insert::New);
    assert_eq!(
        r.insert(15, log.leaf(15), Source::Signed),
        Insert::TooFarAhead
    );
    assert!(r.pending().len() <= 10);
    // missing() never reaches past the window either.
    log.observe(&mut r, 30);
    assert_eq!(r.missing(u64::MAX), [(5, 9), (10, 14)]);
}

#[test]
fn missing_lists_exactly_the_holes() {
    let log = Log::new(40);
    let mut r = replica();
    assert!(r.missing(100).is_empty(), "no target, nothing to fetch");
    log.observe(&mut r, 40);
    assert_eq!(r.missing(100), [(0, 40)]);
    for i in [0u64, 1, 5, 6, 7, 20, 39] {
        r.insert(i, log.leaf(i), Source::Signed);
    }
    // Beyond the target: held, not a hole.
    r.insert(45, [0; 32], Source::Signed);
    assert_eq!(r.missing(100), [(2, 5), (8, 20), (21, 39)]);
    assert_eq!(r.missing(10), [(2, 5), (8, 15)]);
    assert_eq!(r.missing(3), [(2, 5)]);
    assert!(r.missing(0).is_empty());

    // At most 64 ranges.
    let log = Log::new(400);
    let mut r = replica();
    log.observe(&mut r, 400);
    for i in (0..400).step_by(2) {
        r.insert(i, log.leaf(i), Source::Signed);
    }
    let holes = r.missing(u64::MAX);
    assert_eq!(holes.len(), 64);
    assert_eq!(holes[0], (1, 2));
    assert_eq!(holes[63], (127, 128));
}

proptest! {
    /// missing() is exactly the complement of pending within [verified, target).
    #[test]
    fn missing_is_the_complement_of_pending(
        held in proptest::collection::btree_set(0u64..200, 0..150),
        size in 0u64..200,
    ) {
        let mut r = replica();
        r.observe_checkpoint(size, [0; 32], String::new());
        for &i in &held {
            r.insert(i, [1; 32], Source::Peer(0));
        }
        let holes = r.missing(u64::MAX);
        let mut covered = BTreeSet::new();
        let mut previous_end = 0;
        for &(from, to) in &holes {
            prop_assert!(from < to && from >= previous_end);
            previous_end = to;
            covered.extend(from..to);
        }
        if holes.len() < 64 {
            let expected: BTreeSet<u64> = (0..size).filter(|i| !held.contains(i)).collect();
            prop_assert_eq!(covered, expected);
        } else {
            prop_assert!(covered.iter().all(|i| !held.contains(i) && *i < size));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Restore.

#[test]
fn restore_continues_where_it_left_off() {
    let log = Log::new(23);
    let mut r = replica();
    log.observe(&mut r, 13);
    feed(&mut r, &log, 0, 13, Source::Peer(1));
    let Advance::Advanced { to, hashes, .. } = r.try_advance() else {
        panic!("not advanced")
    };
    let target = r.target().cloned();
    let mut back: Replica<Peer> = Replica::restore(publisher(), to, &hashes, target).unwrap();
    assert_eq!(back.verified(), r.verified());
    assert_eq!(back.publisher(), publisher());
    log.observe(&mut back, 23);
    feed(&mut back, &log, 13, 23, Source::Signed);
    assert_eq!(advanced_to(&back.try_advance()), Some(23));
    assert_eq!(back.verified().root(), log.tree.root());
}

#[test]
fn restore_errors() {
    let log = Log::new(6);
    let hashes = log.tree.compact_range().hashes().to_vec();
    assert_eq!(hashes.len(), 2);
    assert_eq!(
        Replica::<Peer>::restore(publisher(), 7, &hashes, None).unwrap_err(),
        SyncError::CompactRangeShape { size: 7, hashes: 2 }
    );
    assert_eq!(
        Replica::<Peer>::restore(publisher(), 0, &hashes, None).unwrap_err(),
        SyncError::CompactRangeShape { size: 0, hashes: 2 }
    );
    let head = |size, root| TreeHead {
        size,
        root,
        note: String::new(),
    };
    assert_eq!(
        Replica::<Peer>::restore(publisher(), 6, &hashes, Some(head(5, log.root(5)))).unwrap_err(),
        SyncError::TargetBehind {
            target: 5,
            verified: 6
        }
    );
    assert_eq!(
        Replica::<Peer>::restore(publisher(), 6, &hashes, Some(head(6, [0; 32]))).unwrap_err(),
        SyncError::TargetRootMismatch { size: 6 }
    );
    assert!(Replica::<Peer>::restore(publisher(), 6, &hashes, Some(head(6, log.root(6)))).is_ok());
    assert!(Replica::<Peer>::restore(publisher(), 0, &[], None).is_ok());
}

// ---------------------------------------------------------------------------------------
// Planner.

fn pk(b: u8) -> PublicKey {
    PublicKey([b; 32])
}

fn need(publisher: u8, missing: &[(u64, u64)], peers: &[Peer]) -> Need<Peer> {
    Need {
        publisher: pk(publisher),
        missing: missing.to_vec(),
        peers: peers.to_vec(),
    }
}

fn ranges_of(req: &SyncRequest) -> (PublicKey, Vec<(u64, u64)>) {
    match req {
        SyncRequest::Leaves { publisher, ranges } => (*publisher, ranges.clone()),
        other => panic!("not a leaves request: {other:?}"),
    }
}

fn small_planner() -> SyncPlanner<Peer> {
    SyncPlanner::new(PlannerConfig {
        max_leaves: 10,
        ..PlannerConfig::default()
    })
}

#[test]
fn planner_splits_and_never_duplicates() {
    let mut p = small_planner();
    let needs = [need(1, &[(0, 25)], &[1, 2, 3])];
    let out = p.plan(0, &needs);
    assert_eq!(
        out.iter()
            .map(|(peer, r)| (*peer, ranges_of(r).1))
            .collect::<Vec<_>>(),
        [(1, vec![(0, 10)]), (2, vec![(10, 20)]), (3, vec![(20, 25)])]
    );
    // Everything is in flight: planning again yields nothing.
    assert!(p.plan(1, &needs).is_empty());
    assert_eq!(p.in_flight_ranges(&pk(1)), [(0, 10), (10, 20), (20, 25)]);
    // A response frees its ranges; the rest stay in flight.
    assert_eq!(p.on_response(&2, &pk(1)), Some(vec![(10, 20)]));
    assert_eq!(p.on_response(&2, &pk(1)), None, "answered already");
    assert_eq!(p.on_response(&9, &pk(1)), None, "never asked");
    let out = p.plan(2, &[need(1, &[(12, 25)], &[1, 2, 3])]);
    assert_eq!(
        out.iter()
            .map(|(peer, r)| (*peer, ranges_of(r)))
            .collect::<Vec<_>>(),
        [(2, (pk(1), vec![(12, 20)]))]
    );
}

#[test]
fn planner_times_out_and_avoids_the_failed_peer() {
    let mut p = small_planner();
    let t = DEFAULT_REQUEST_TIMEOUT_MS;
    let out = p.plan(100, &[need(1, &[(0, 5)], &[1, 2])]);
    assert_eq!(out.len(), 1);
    let first = out[0].0;
    let other = if first == 1 { 2 } else { 1 };
    assert!(p
        .plan(100 + t - 1, &[need(1, &[(0, 5)], &[1, 2])])
        .is_empty());
    assert_eq!(p.timeouts(&first), 0);
    // At the deadline the range is freed and goes to the other peer.
    let out = p.plan(100 + t, &[need(1, &[(0, 5)], &[1, 2])]);
    assert_eq!(p.timeouts(&first), 1);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, other);
    // The other peer times out too: every candidate failed, so either may get it again.
    let out = p.plan(100 + 2 * t, &[need(1, &[(0, 5)], &[1, 2])]);
    assert_eq!(p.timeouts(&other), 1);
    assert_eq!(out.len(), 1);
}

#[test]
fn planner_waits_for_a_busy_good_peer_rather_than_retry_the_failed_one() {
    let mut p = small_planner();
    assert_eq!(p.plan(0, &[need(1, &[(0, 5)], &[1])])[0].0, 1);
    assert_eq!(p.plan(0, &[need(1, &[(5, 10)], &[2])])[0].0, 2);
    // Peer 1 fails [0, 5); peer 2 is busy with this publisher.
    assert_eq!(p.on_failure(&1, &pk(1)), Some(vec![(0, 5)]));
    assert!(p.plan(1, &[need(1, &[(0, 5)], &[1, 2])]).is_empty());
    // A range peer 1 did not fail can still go to it.
    // (The first chunk, [0, 5) + [20, 25), overlaps the failure and waits.)
    let out = p.plan(1, &[need(1, &[(0, 5), (20, 35)], &[1, 2])]);
    assert_eq!(
        out.iter()
            .map(|(peer, r)| (*peer, ranges_of(r).1))
            .collect::<Vec<_>>(),
        [(1, vec![(25, 35)])]
    );
    p.on_response(&1, &pk(1));
    p.on_response(&2, &pk(1));
    let out = p.plan(2, &[need(1, &[(0, 5)], &[1, 2])]);
    assert_eq!(out.iter().map(|(peer, _)| *peer).collect::<Vec<_>>(), [2]);
    // With a single candidate the failed peer is retried.
    let mut p = small_planner();
    p.plan(0, &[need(1, &[(0, 5)], &[1])]);
    p.on_failure(&1, &pk(1));
    assert_eq!(p.plan(0, &[need(1, &[(0, 5)], &[1])])[0].0, 1);
    // mark_failed after a response (e.g. a root mismatch) works the same way.
    let mut p = small_planner();
    p.mark_failed(&3, &pk(1), vec![(0, 100)]);
    assert_eq!(p.plan(0, &[need(1, &[(0, 5)], &[3, 4])])[0].0, 4);
}

#[test]
fn planner_balances_load_and_caps_per_peer() {
    let mut p = SyncPlanner::new(PlannerConfig {
        max_in_flight_per_peer: 2,
        ..PlannerConfig::default()
    });
    let needs: Vec<Need<Peer>> = (0..5).map(|i| need(i, &[(0, 3)], &[1, 2])).collect();
    let out = p.plan(0, &needs);
    // Two peers, two requests each: four publishers served, alternating peers.
    assert_eq!(
        out.iter().map(|(peer, _)| *peer).collect::<Vec<_>>(),
        [1, 2, 1, 2]
    );
    assert_eq!(p.in_flight_count(&1), 2);
    assert_eq!(p.in_flight_count(&2), 2);
    // Peer 1 answers both of its requests: it is now the least loaded.
    p.on_response(&1, &pk(0));
    p.on_response(&1, &pk(2));
    let out = p.plan(1, &needs);
    assert_eq!(
        out.iter()
            .map(|(peer, r)| (*peer, ranges_of(r).0))
            .collect::<Vec<_>>(),
        [(1, pk(0)), (1, pk(2))]
    );
    // Forgetting a peer frees its requests.
    p.forget_peer(&2);
    assert_eq!(p.in_flight_count(&2), 0);
    assert_eq!(p.in_flight_ranges(&pk(1)), []);
}

#[test]
fn planner_ignores_needs_without_peers_or_gaps() {
    let mut p = SyncPlanner::<Peer>::default();
    assert!(p
        .plan(0, &[need(1, &[(0, 5)], &[]), need(2, &[], &[1])])
        .is_empty());
    // Duplicate candidates count once.
    let out = p.plan(0, &[need(1, &[(0, 5)], &[4, 4, 4])]);
    assert_eq!(out.len(), 1);
    assert_eq!(p.config().max_ranges, 64);
    // A request carries at most max_ranges ranges.
    let mut p = SyncPlanner::<Peer>::new(PlannerConfig {
        max_ranges: 2,
        ..PlannerConfig::default()
    });
    let out = p.plan(0, &[need(1, &[(0, 1), (2, 3), (4, 5)], &[1, 2])]);
    assert_eq!(
        out.iter()
            .map(|(peer, r)| (*peer, ranges_of(r).1))
            .collect::<Vec<_>>(),
        [(1, vec![(0, 1), (2, 3)]), (2, vec![(4, 5)])]
    );
}

#[derive(Debug, Clone)]
enum Op {
    Plan { advance_ms: u64 },
    Respond { peer: Peer, publisher: u8 },
    Fail { peer: Peer, publisher: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..6_000).prop_map(|advance_ms| Op::Plan { advance_ms }),
        (0u8..4, 0u8..3).prop_map(|(peer, publisher)| Op::Respond { peer, publisher }),
        (0u8..4, 0u8..3).prop_map(|(peer, publisher)| Op::Fail { peer, publisher }),
    ]
}

proptest! {
    /// Under any interleaving of plans, responses, failures and timeouts, in-flight ranges
    /// of a publisher never overlap, every request is valid on the wire, lies inside the
    /// need, and goes to a candidate with at most one request per publisher.
    #[test]
    fn planner_never_double_books(
        ops in proptest::collection::vec(op(), 1..40),
        gaps in proptest::collection::vec(proptest::collection::btree_set(0u64..300, 0..20), 3),
    ) {
        let mut p = small_planner();
        let needs: Vec<Need<Peer>> = gaps
            .iter()
            .enumerate()
            .map(|(i, held)| {
                let mut r = replica();
                r.observe_checkpoint(300, [0; 32], String::new());
                for &h in held {
                    r.insert(h, [1; 32], Source::Signed);
                }
                need(i as u8, &r.missing(200), &[0, 1, 2, 3])
            })
            .collect();
        let mut now = 0;
        for op in ops {
            match op {
                Op::Plan { advance_ms } => {
                    now += advance_ms;
                    let mut seen = BTreeSet::new();
                    for (peer, req) in p.plan(now, &needs) {
                        let (publisher, ranges) = ranges_of(&req);
                        prop_assert!(check_ranges(&ranges, &Limits::default()).is_ok());
                        prop_assert!(seen.insert((publisher, peer)), "two requests to one peer");
                        let need = needs.iter().find(|n| n.publisher == publisher).unwrap();
                        prop_assert!(need.peers.contains(&peer));
                        for &(from, to) in &ranges {
                            prop_assert!(to - from <= 10);
                            prop_assert!(need.missing.iter().any(|&(a, b)| a <= from && to <= b));
                        }
                    }
                }
                Op::Respond { peer, publisher } => { p.on_response(&peer, &pk(publisher)); }
                Op::Fail { peer, publisher } => { p.on_failure(&peer, &pk(publisher)); }
            }
            for n in &needs {
                let flying = p.in_flight_ranges(&n.publisher);
                for pair in flying.windows(2) {
                    prop_assert!(pair[0].1 <= pair[1].0, "overlap {:?}", flying);
                }
            }
        }
    }
}

#[test]
fn planner_isolates_sources_after_an_ambiguous_mismatch() {
    let mut p = small_planner();
    let needs = [need(1, &[(0, 30)], &[1, 2, 3])];
    assert_eq!(p.plan(0, &needs).len(), 3);
    // One offender: only that peer is marked.
    p.on_mismatch(&pk(1), &BTreeSet::from([2]), (0, 30));
    assert!(!p.is_single_source(&pk(1)));
    // Several: single-source mode, in-flight requests cancelled.
    p.on_mismatch(&pk(1), &BTreeSet::from([1, 3]), (0, 30));
    assert!(p.is_single_source(&pk(1)));
    assert_eq!(p.on_response(&1, &pk(1)), None);
    assert!(p.in_flight_ranges(&pk(1)).is_empty());
    // One request at a time, always to the same peer (not 2, which failed the range).
    let out = p.plan(1, &needs);
    assert_eq!(out.len(), 1);
    let serving = out[0].0;
    assert_ne!(serving, 2);
    assert_eq!(ranges_of(&out[0].1).1, [(0, 10)]);
    assert!(p.plan(2, &needs).is_empty());
    p.on_response(&serving, &pk(1));
    let out = p.plan(3, &[need(1, &[(10, 30)], &[1, 2, 3])]);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, serving);
    p.on_response(&serving, &pk(1));
    // It alone is named next time: it is passed over from then on.
    p.on_mismatch(&pk(1), &BTreeSet::from([serving]), (0, 30));
    let out = p.plan(4, &needs);
    assert_eq!(out.len(), 1);
    let next = out[0].0;
    assert!(next != serving && next != 2, "{next}");
    p.on_response(&next, &pk(1));
    // Verified: back to parallel fetching.
    p.on_verified(&pk(1));
    assert!(!p.is_single_source(&pk(1)));
    assert_eq!(p.plan(5, &[need(1, &[(30, 60)], &[1, 2, 3])]).len(), 3);
}

/// End to end: three peers serve a log, one of them (each in turn) lies about every leaf
/// ending in 3; the planner and replica converge on the right root, and a peer is only
/// ever named alone if it is the liar. Returns (mismatches, convicted).
fn converge_with_liar(liar: Peer) -> (u32, BTreeSet<Peer>) {
    let log = Log::new(300);
    let mut r = replica();
    log.observe(&mut r, 300);
    let mut p = small_planner();
    let mut convicted = BTreeSet::new();
    let mut mismatches = 0;
    for now in 0..500 {
        if r.is_synced() {
            break;
        }
        let needs = [Need {
            publisher: publisher(),
            missing: r.missing(1000),
            peers: vec![1, 2, 3],
        }];
        for (peer, req) in p.plan(now, &needs) {
            let (_, ranges) = ranges_of(&req);
            assert_eq!(p.on_response(&peer, &publisher()), Some(ranges.clone()));
            for (from, to) in ranges {
                for i in from..to {
                    let hash = if peer == liar && i % 10 == 3 {
                        [0; 32]
                    } else {
                        log.leaf(i)
                    };
                    r.insert(i, hash, Source::Peer(peer));
                }
            }
        }
        match r.try_advance() {
            Advance::Mismatch { offenders } => {
                let range = (r.verified_size(), r.target().unwrap().size);
                mismatches += 1;
                if offenders.len() == 1 {
                    convicted.extend(offenders.iter().copied());
                }
                p.on_mismatch(&publisher(), &offenders, range);
            }
            Advance::Advanced { .. } => p.on_verified(&publisher()),
            _ => {}
        }
    }
    assert!(r.is_synced(), "liar {liar}");
    assert_eq!(r.verified().root(), log.tree.root());
    assert!(mismatches >= 1, "the lies were caught");
    assert!(convicted.iter().all(|peer| *peer == liar), "{convicted:?}");
    (mismatches, convicted)
}

#[test]
fn converges_with_a_lying_peer() {
    let runs: Vec<_> = [1, 2, 3].into_iter().map(converge_with_liar).collect();
    // Whichever peer single-source mode picks first, the liar among them gets named alone.
    assert!(
        runs.iter().any(|(_, convicted)| !convicted.is_empty()),
        "{runs:?}"
    );
}
