//! Crash consistency: the daemon is killed with SIGKILL at seeded random moments
//! while concurrent clients publish; after every restart each acknowledged item is
//! present byte for byte and the whole ledger verifies.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use rand::{Rng, SeedableRng};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_ingest_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "crashy");
    let d = dir.to_str().unwrap().to_string();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5_0a1);
    // (ledger index, leaf hash) of every acknowledged item
    let acked: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
    let mut counter = 0u64;
    for round in 0..6u64 {
        let node = Daemon::start(&dir);
        let api = node.client();
        let mut tasks = Vec::new();
        for w in 0..4u64 {
            let api = api.clone();
            let acked = acked.clone();
            let base = counter + w * 1_000_000 + round * 10_000_000;
            tasks.push(tokio::spawn(async move {
                for b in 0.. {
                    let objs: Vec<_> = (0..20)
                        .map(|i| indicator(base + b * 20 + i, round))
                        .collect();
                    let resp = match api
                        .http
                        .post(format!("{}/api/v1/publish", api.base))
                        .bearer_auth(&api.token)
                        .header("content-type", "application/json")
                        .body(bundle(objs, b))
                        .send()
                        .await
                    {
                        Ok(r) => r,
                        Err(_) => return, // the daemon died mid-request: not acknowledged
                    };
                    let Ok(v) = resp.json::<serde_json::Value>().await else {
                        return;
                    };
                    for r in v["results"].as_array().into_iter().flatten() {
                        if r["status"] == "appended" {
                            acked.lock().unwrap().push((
                                r["ledger_index"].as_u64().unwrap(),
                                r["leaf_hash"].as_str().unwrap().to_string(),
                            ));
                        }
                    }
                }
            }));
        }
        counter += 100_000_000;
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..900))).await;
        node.kill9();
        for t in tasks {
            let _ = t.await;
        }
        // Offline: the whole log verifies and every acknowledged entry is there.
        let (code, out, err) = shoal(&["ledger", "--data-dir", &d, "verify"]);
        assert_eq!(code, 0, "round {round}: {out}{err}");
        let store = shoal_node::store::Store::open(&dir.join("store"), 16).unwrap();
        let acked_now = acked.lock().unwrap().clone();
        for (index, leaf) in &acked_now {
            let entry = store
                .entry(*index)
                .unwrap()
                .unwrap_or_else(|| panic!("round {round}: acknowledged entry {index} lost"));
            assert_eq!(&hex::encode(shoal_crypto::hash::leaf_hash(&entry)), leaf);
        }
        assert!(store.size().unwrap() >= acked_now.len() as u64);
        drop(store);
    }
    assert!(
        acked.lock().unwrap().len() > 100,
        "the test acknowledged too little to mean anything"
    );
}
