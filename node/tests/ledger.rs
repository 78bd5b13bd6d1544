//! The ledger over the real store, without the daemon: appends, duplicates,
//! checkpoints (never two for one size), reopen, and verification that catches
//! tampering with entries, hashes and checkpoints.

mod common;

use common::note_item as item;
use shoal_crypto::merkle::{self, SubtreeSource};
use shoal_crypto::{Checkpoint, NodeKey};
use shoal_node::ledger::verify::verify_store;
use shoal_node::ledger::{AppendRequest, ItemResult, Ledger, LedgerError};
use shoal_node::store::{Store, WriteBatch};
use shoal_protocol::Tlp;

const MAX: usize = 1 << 20;

fn open(dir: &std::path::Path) -> (Store, Ledger, NodeKey) {
    let store = Store::open(dir, 8).unwrap();
    let key = NodeKey::from_seed([11; 32]);
    let ledger = Ledger::open(store.clone(), key.clone(), "t", MAX).unwrap();
    (store, ledger, key)
}

#[test]
fn append_duplicate_checkpoint_reopen_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, mut ledger, key) = open(tmp.path());
    let res = ledger.append_batch((0..100).map(item).collect()).unwrap();
    assert!(matches!(res[99], ItemResult::Appended { index: 99, .. }));
    // Duplicates within a batch and against the log.
    let res = ledger
        .append_batch(vec![item(5), item(100), item(100)])
        .unwrap();
    assert_eq!(res[0], ItemResult::Duplicate { index: 5 });
    assert!(matches!(res[1], ItemResult::Appended { index: 100, .. }));
    assert_eq!(res[2], ItemResult::Duplicate { index: 100 });
    assert_eq!(ledger.size(), 101);
    assert_eq!(ledger.checkpoint().unwrap(), Some(101));
    assert_eq!(
        ledger.checkpoint().unwrap(),
        None,
        "no growth, no new checkpoint"
    );
    let root = ledger.root();
    assert_eq!(merkle::root(&store, 101).unwrap(), root);
    drop(ledger);

    let (store2, ledger, _) = {
        drop(store);
        open(tmp.path())
    };
    assert_eq!(ledger.size(), 101);
    assert_eq!(ledger.root(), root);
    let v = ledger.verifier().unwrap();
    let report = verify_store(&store2, &v, &key.public(), MAX, |_, _| {}).unwrap();
    assert_eq!(report.size, 101);
    assert_eq!(report.checkpoints, 1);
    assert_eq!(report.root, root);
}

#[test]
fn never_signs_a_second_checkpoint_for_one_size() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, mut ledger, key) = open(tmp.path());
    ledger.append_batch((0..3).map(item).collect()).unwrap();
    // Plant a validly signed checkpoint for size 3 with another root.
    let other = Checkpoint {
        origin: ledger.origin().to_string(),
        size: 3,
        root: [0xAB; 32],
        extensions: vec![],
    };
    let note = other.sign(&key).unwrap().to_text();
    let mut b = WriteBatch::default();
    b.checkpoint(3, &note);
    store.apply(b).unwrap();
    let err = ledger.checkpoint().unwrap_err();
    assert!(matches!(err, LedgerError::Inconsistent(_)), "{err}");
    // The planted checkpoint also makes reopening refuse.
    drop(ledger);
    drop(store);
    let store = Store::open(tmp.path(), 8).unwrap();
    assert!(Ledger::open(store, key, "t", MAX).is_err());
}

#[test]
fn verify_catches_tampered_entries_hashes_and_sizes() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, mut ledger, key) = open(tmp.path());
    ledger.append_batch((0..10).map(item).collect()).unwrap();
    ledger.checkpoint().unwrap();
    let v = ledger.verifier().unwrap();
    let pk = key.public();
    verify_store(&store, &v, &pk, MAX, |_, _| {}).unwrap();

    // A flipped byte in an entry.
    let good = store.entry(4).unwrap().unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let mut b = WriteBatch::default();
    b.entry(4, &bad);
    store.apply(b).unwrap();
    assert!(verify_store(&store, &v, &pk, MAX, |_, _| {}).is_err());
    let mut b = WriteBatch::default();
    b.entry(4, &good);
    store.apply(b).unwrap();
    verify_store(&store, &v, &pk, MAX, |_, _| {}).unwrap();

    // A wrong stored subtree hash.
    let h = store.subtree(1, 2).unwrap().unwrap();
    let node = |hash| shoal_crypto::merkle::StoredNode {
        level: 1,
        index: 2,
        hash,
    };
    let mut b = WriteBatch::default();
    store.stage_nodes(&mut b, &[node([0u8; 32])]).unwrap();
    store.apply(b).unwrap();
    let e = verify_store(&store, &v, &pk, MAX, |_, _| {}).unwrap_err();
    assert!(e.to_string().contains("level 1, index 2"), "{e}");
    let mut b = WriteBatch::default();
    store.stage_nodes(&mut b, &[node(h)]).unwrap();
    store.apply(b).unwrap();

    // An entry past the committed size (a half-written batch would look like this).
    let mut b = WriteBatch::default();
    b.entry(10, &good);
    store.apply(b).unwrap();
    let e = verify_store(&store, &v, &pk, MAX, |_, _| {}).unwrap_err();
    assert!(e.to_string().contains("beyond the committed size"), "{e}");
}

#[test]
fn oversized_envelope_is_rejected_per_item() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), 8).unwrap();
    let mut ledger = Ledger::open(store, NodeKey::from_seed([1; 32]), "t", 4096).unwrap();
    let big = format!(
        r#"{{"id":"note--big","pad":"{}","type":"note"}}"#,
        "x".repeat(5000)
    )
    .into_bytes();
    let res = ledger
        .append_batch(vec![
            AppendRequest {
                object_digest: shoal_crypto::hash::sha256(&big),
                object: big,
                tlp: Tlp::Clear,
                community: "t".into(),
                published_at: 0,
                extensions: Vec::new(),
            },
            item(1),
        ])
        .unwrap();
    assert!(matches!(&res[0], ItemResult::Rejected(r) if r.contains("envelope.max_bytes")));
    assert!(matches!(res[1], ItemResult::Appended { index: 0, .. }));
}
