//! The ledger writer task: group commit answers every job, checkpoints are signed at
//! most once per interval while the log grows (plus one at shutdown), and the final
//! checkpoint covers every acknowledged item.

mod common;

use common::note_item as item;
use std::time::{Duration, Instant};

use shoal_crypto::NodeKey;
use shoal_node::ledger::writer::{spawn, WriterConfig};
use shoal_node::ledger::{ItemResult, Ledger};
use shoal_node::store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_are_rate_limited_and_cover_everything_at_shutdown() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path(), 8).unwrap();
    let ledger = Ledger::open(store.clone(), NodeKey::from_seed([3; 32]), "w", 1 << 20).unwrap();
    let interval = Duration::from_millis(100);
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let (handle, _state, task) = spawn(
        ledger,
        WriterConfig {
            batch_max: 64,
            queue_capacity: 16,
            checkpoint_interval: interval,
        },
        shutdown_rx,
    );
    // Concurrent publishers: every item gets exactly one answer, indices are unique.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..4u64 {
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            let mut indices = Vec::new();
            for b in 0..25u64 {
                let items = (0..8).map(|i| item(w * 10_000 + b * 8 + i)).collect();
                for r in h.append(items).await.unwrap() {
                    match r {
                        ItemResult::Appended { index, .. } => indices.push(index),
                        other => panic!("unexpected {other:?}"),
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            indices
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort_unstable();
    assert_eq!(all, (0..800).collect::<Vec<u64>>());
    shutdown_tx.send(true).unwrap();
    task.await.unwrap().unwrap();

    let sizes: Vec<u64> = store.checkpoints().map(|c| c.unwrap().0).collect();
    // At most one per started interval while growing, plus the one at shutdown.
    let bound = (elapsed.as_millis() / interval.as_millis()) as usize + 2;
    assert!(
        sizes.len() <= bound,
        "{} checkpoints in {elapsed:?} (bound {bound}): {sizes:?}",
        sizes.len()
    );
    assert!(
        sizes.len() >= 2,
        "the log grew over several intervals: {sizes:?}"
    );
    assert_eq!(
        sizes.last(),
        Some(&800),
        "the last checkpoint covers everything"
    );
    assert!(sizes.windows(2).all(|w| w[0] < w[1]));
    // After shutdown the handle is refused, not hung.
    assert!(handle.append(vec![item(1)]).await.is_err());
}
