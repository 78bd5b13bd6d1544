//! Multi-process network tests on loopback with the real binary: delivery to every
//! eligible member, community isolation checked on the receiving side's store, an
//! unadmitted node that gets nothing and cannot inject.

mod common;

use common::net::{intel, publish, status, verified_size, wait_until, Net};
use common::{indicator, shoal};

const MEMBERS: [(&str, &[&str]); 4] = [
    ("m1", &["energy"]),
    ("m2", &["energy", "water"]),
    ("m3", &["water"]),
    ("m4", &["energy"]),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_reaches_every_eligible_member_and_only_them() {
    let mut net = Net::create(&MEMBERS);
    net.start_all(2).await;
    let m1 = net.members[0].api();
    // 20 AMBER items for energy, 10 CLEAR items (community energy, but CLEAR goes to all).
    let amber: Vec<_> = (0..20).map(|n| indicator(n, 1)).collect();
    let clear: Vec<_> = (100..110).map(|n| indicator(n, 1)).collect();
    assert_eq!(publish(&m1, amber, 1, "energy", "amber").await, 20);
    assert_eq!(publish(&m1, clear, 2, "energy", "clear").await, 10);
    let publisher = net.members[0].peer_id.clone();
    // Every other node verifies the whole log of m1 (30 leaves) against its checkpoint.
    for node in std::iter::once(&net.anchor).chain(net.members[1..].iter()) {
        let api = node.api();
        wait_until(30, &format!("{} verifies m1's log", node.name), || async {
            verified_size(&api, &publisher).await == 30
        })
        .await;
    }
    for (i, node) in net.members.iter().enumerate().skip(1) {
        let items = intel(&node.api(), &format!("publisher={publisher}")).await;
        let amber = items.iter().filter(|i| i["tlp"] == "amber").count();
        let clear = items.iter().filter(|i| i["tlp"] == "clear").count();
        let in_energy = node.communities.iter().any(|c| c == "energy");
        assert_eq!(clear, 10, "{}: CLEAR reaches everyone", node.name);
        assert_eq!(
            amber,
            if in_energy { 20 } else { 0 },
            "{} (member {i}): AMBER only inside the community",
            node.name
        );
        // Items are stored once: no duplicates by (publisher, index).
        let mut idx: Vec<u64> = items
            .iter()
            .map(|i| i["ledger_index"].as_u64().unwrap())
            .collect();
        idx.sort();
        idx.dedup();
        assert_eq!(idx.len(), items.len());
    }
    // The anchor (a trust root) is eligible for everything.
    assert_eq!(
        intel(&net.anchor.api(), &format!("publisher={publisher}"))
            .await
            .len(),
        30
    );
    // The store of the member outside the community holds no AMBER bytes at all, also
    // when read offline by the CLI after the node stopped.
    let m3 = net.members[2].daemon.take().unwrap();
    m3.terminate();
    let (code, out, err) = shoal(&["query", "--data-dir", net.members[2].d(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    assert!(items.iter().all(|i| i["tlp"] == "clear"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unadmitted_node_receives_nothing_and_cannot_inject() {
    let mut net = Net::create(&MEMBERS[..2]);
    net.start_all(1).await;
    let i = net.add_member("outsider", &["energy"], false);
    net.start_member(i);
    let out = net.members[i].api();
    // It publishes into its own ledger (nothing stops a standalone node)...
    assert_eq!(
        publish(&out, vec![indicator(7, 9)], 9, "energy", "clear").await,
        1
    );
    let m1 = net.members[0].api();
    assert_eq!(
        publish(
            &m1,
            (0..5).map(|n| indicator(n, 3)).collect(),
            3,
            "energy",
            "clear"
        )
        .await,
        5
    );
    let m2 = net.members[1].api();
    let p1 = net.members[0].peer_id.clone();
    wait_until(30, "m2 gets m1's items", || async {
        verified_size(&m2, &p1).await == 5
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    // ...but no admitted node takes its items, and it receives nothing.
    let outsider_peer = net.members[i].peer_id.clone();
    for node in [&net.anchor, &net.members[0], &net.members[1]] {
        let items = intel(&node.api(), &format!("publisher={outsider_peer}")).await;
        assert!(items.is_empty(), "{} took an outsider's item", node.name);
        let s = status(&node.api()).await;
        let admitted_outsider = s["peers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["peer_id"] == outsider_peer.as_str() && p["admitted"] == true);
        assert!(!admitted_outsider);
    }
    assert!(
        intel(&out, "").await.is_empty(),
        "the outsider received intel"
    );
    let s = status(&out).await;
    assert!(s["admission"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_that_only_speak_quic_form_the_network_and_deliver() {
    let mut net = Net::create(&MEMBERS[..2]);
    let quic = |c: &mut shoal_config::Config| {
        c.network.listen = vec!["/ip4/127.0.0.1/udp/0/quic-v1".into()];
    };
    common::configure(&net.anchor.dir, quic);
    for m in &net.members {
        common::configure(&m.dir, quic);
    }
    net.start_all(1).await;
    assert!(net.bootstrap().contains("/quic-v1/"), "{}", net.bootstrap());
    let m1 = net.members[0].api();
    assert_eq!(
        publish(
            &m1,
            (0..5).map(|n| indicator(n, 11)).collect(),
            11,
            "energy",
            "amber"
        )
        .await,
        5
    );
    let m2 = net.members[1].api();
    let p1 = net.members[0].peer_id.clone();
    wait_until(30, "m2 gets m1's items over QUIC", || async {
        verified_size(&m2, &p1).await == 5
            && intel(&m2, &format!("publisher={p1}")).await.len() == 5
    })
    .await;
    let s = status(&m2).await;
    assert!(
        s["peers"].as_array().unwrap().iter().all(|p| p["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a.as_str().unwrap().contains("/quic-v1"))),
        "{s}"
    );
}
