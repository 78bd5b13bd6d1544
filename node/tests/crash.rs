//! Crash consistency: the daemon is killed with SIGKILL at seeded random moments
//! while concurrent clients publish (some of it charged to the privacy budget); after
//! every restart each acknowledged item is present byte for byte, the whole ledger
//! verifies and the privacy budget spent never went backwards. A member killed again
//! and again while it catches up by sync keeps a replica that audits clean and never
//! shrinks, and in the end holds everything exactly once.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::net::{
    distinct_items_from, publish, verified_size, wait_admitted_peers, wait_until, Net,
};
use common::*;
use rand::{Rng, SeedableRng};

/// ε spent over the node's lifetime, from `GET /api/v1/budget`.
async fn lifetime_spent(api: &Api) -> f64 {
    let v: serde_json::Value = api.get("/api/v1/budget").await.json().await.unwrap();
    v["lifetime_spent"].as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_ingest_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "crashy");
    let d = dir.to_str().unwrap().to_string();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5_0a1);
    // (ledger index, leaf hash) of every acknowledged item
    let acked: Arc<Mutex<Vec<(u64, String)>>> = Arc::default();
    let mut counter = 0u64;
    let mut spent_seen = 0.0f64;
    for round in 0..6u64 {
        let node = Daemon::start(&dir);
        let api = node.client();
        // Whatever was spent before the crash is still spent after it.
        let spent = lifetime_spent(&api).await;
        assert!(
            spent >= spent_seen,
            "round {round}: the budget went backwards ({spent} < {spent_seen})"
        );
        spent_seen = spent;
        let mut tasks = Vec::new();
        for w in 0..4u64 {
            let api = api.clone();
            let acked = acked.clone();
            let base = counter + w * 1_000_000 + round * 10_000_000;
            tasks.push(tokio::spawn(async move {
                for b in 0.. {
                    let mut objs: Vec<_> = (0..20)
                        .map(|i| indicator(base + b * 20 + i, round))
                        .collect();
                    if w == 0 {
                        // A count: released with DP noise and charged to the budget.
                        objs[0] = common::sighting(base + b, 40 + b);
                    }
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
        // Watch the budget while the clients publish, up to the moment of the kill.
        let deadline =
            tokio::time::Instant::now() + Duration::from_millis(rng.random_range(150..900));
        while tokio::time::Instant::now() < deadline {
            if let Ok(r) = api
                .http
                .get(format!("{}/api/v1/budget", api.base))
                .bearer_auth(&api.token)
                .send()
                .await
            {
                if let Ok(v) = r.json::<serde_json::Value>().await {
                    spent_seen = spent_seen.max(v["lifetime_spent"].as_f64().unwrap_or(0.0));
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
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
    assert!(spent_seen > 0.0, "no sighting was charged to the budget");
    let node = Daemon::start(&dir);
    assert!(lifetime_spent(&node.client()).await >= spent_seen);
}

/// Offline audit of `publisher`'s log as replicated in the (stopped) node at `dir`:
/// the number of leaves it verified.
fn audited_leaves(dir: &str, publisher: &str) -> u64 {
    let (code, out, err) = shoal(&[
        "ledger",
        "--data-dir",
        dir,
        "audit",
        "--publisher",
        publisher,
    ]);
    if out.contains("no verified checkpoint of this log is held") {
        return 0; // killed before the first checkpoint verified: nothing to audit yet
    }
    assert_eq!(code, 0, "the replica does not audit clean: {out}{err}");
    let leaves = out
        .strip_prefix("ok: ")
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    leaves.unwrap_or_else(|| panic!("unexpected audit output: {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_sync_keeps_a_replica_that_audits_and_catches_up() {
    let energy: [(&str, &[&str]); 2] = [("m1", &["energy"]), ("m2", &["energy"])];
    let mut net = Net::create(&energy);
    net.start_all(2).await;
    net.members[1].daemon.take().unwrap().kill9();
    let publisher = net.members[0].peer_id.clone();
    let m1 = net.members[0].api();
    let mut published = 0u64;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5_9c);
    let mut held_before = 0u64;
    let mut interrupted = 0;
    for round in 0..8u64 {
        // The publisher runs ahead while m2 is down...
        let batches = if round == 0 { 60 } else { 40 };
        for b in 0..batches {
            let salt = round * 1_000 + b;
            let objects = (0..100)
                .map(|i| indicator(published + i, 77))
                .collect::<Vec<_>>();
            assert_eq!(publish(&m1, objects, salt, "energy", "green").await, 100);
            published += 100;
        }
        // ...and m2 dies again: in even rounds at a seeded random moment of its
        // start-up and catch-up, in odd rounds after it caught up and sled's periodic
        // flush (0.5 s) has run.
        net.start_member(1);
        let m2 = net.members[1].api();
        let pause = if round % 2 == 0 {
            rng.random_range(0..300)
        } else {
            wait_admitted_peers(&m2, 1).await;
            wait_until(60, "m2 caught up", || async {
                verified_size(&m2, &publisher).await == published
            })
            .await;
            1_500
        };
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let at_kill = verified_size(&m2, &publisher).await;
        net.members[1].daemon.take().unwrap().kill9();
        if round % 2 == 0 && at_kill < published {
            interrupted += 1;
        }
        let held = audited_leaves(net.members[1].d(), &publisher);
        // What reached the disk stays; what was verified in sled's last flush
        // interval (≤ 0.5 s) before the kill is fetched again by sync.
        assert!(
            held >= held_before,
            "round {round}: the replica shrank ({held_before} before, {held} after)"
        );
        if round % 2 == 1 {
            assert_eq!(
                held, published,
                "round {round}: a flushed replica lost items"
            );
        }
        eprintln!(
            "round {round}: killed {pause} ms after start holding {at_kill}/{published}, \
             {held} after restart"
        );
        held_before = held;
    }
    assert!(
        interrupted >= 1,
        "no kill landed before the catch-up completed: the test proves too little"
    );
    net.start_member(1);
    let m2 = net.members[1].api();
    wait_until(120, "m2 holds everything m1 published", || async {
        verified_size(&m2, &publisher).await == published
            && distinct_items_from(&m2, &publisher).await == published as usize
    })
    .await;
}
