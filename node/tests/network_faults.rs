//! Multi-process network tests under faults, with the real binary on loopback: a member
//! killed with SIGKILL catches up on everything it missed after a restart, a network
//! partition (operator block lists) heals with nothing lost or duplicated, a member with
//! no listen address works through an anchor's relay, and a revoked member is
//! disconnected everywhere and receives nothing afterwards.

mod common;

use std::time::{Duration, Instant};

use common::indicator;
use common::net::{
    distinct_items_from, has_admitted, intel, is_connected, publish, set_blocked, status,
    verified_size, wait_until, Net, Node,
};

/// Every member in `energy`.
const ENERGY4: [(&str, &[&str]); 4] = [
    ("m1", &["energy"]),
    ("m2", &["energy"]),
    ("m3", &["energy"]),
    ("m4", &["energy"]),
];

/// Wait until `node` holds exactly `n` verified items of `publisher`, none twice.
async fn wait_holds(secs: u64, node: &Node, publisher: &Node, n: u64) {
    let api = node.api();
    let p = publisher.peer_id.clone();
    wait_until(
        secs,
        &format!("{} holds {n} items of {}", node.name, publisher.name),
        || async {
            verified_size(&api, &p).await == n && distinct_items_from(&api, &p).await == n as usize
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_member_catches_up_on_everything_it_missed() {
    let mut net = Net::create(&ENERGY4);
    net.start_all(2).await;
    // m4 dies without any chance to clean up.
    net.members[3].daemon.take().unwrap().kill9();
    let m1 = net.members[0].api();
    for b in 0..10u64 {
        let objects = (b * 100..(b + 1) * 100).map(|n| indicator(n, 41)).collect();
        assert_eq!(publish(&m1, objects, 100 + b, "energy", "amber").await, 100);
    }
    // The rest of the network has it all before m4 comes back.
    wait_holds(60, &net.anchor, &net.members[0], 1000).await;
    let started = Instant::now();
    net.start_member(3);
    let ready = started.elapsed();
    let (m4, publisher) = (net.members[3].api(), net.members[0].peer_id.clone());
    wait_until(60, "restarted m4 holds m1's 1,000 items", || async {
        verified_size(&m4, &publisher).await == 1000
            && intel(&m4, &format!("publisher={publisher}")).await.len() == 1000
    })
    .await;
    eprintln!(
        "m4 caught up on 1,000 items {:.2} s after restart ({:.2} s after it was ready)",
        started.elapsed().as_secs_f64(),
        (started.elapsed() - ready).as_secs_f64()
    );
    assert_eq!(distinct_items_from(&m4, &publisher).await, 1000);
    let items = intel(&m4, &format!("publisher={publisher}")).await;
    assert!(items
        .iter()
        .all(|i| i["tlp"] == "amber" && i["community"] == "energy"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_heals_with_nothing_lost_or_duplicated() {
    let mut net = Net::create(&ENERGY4);
    net.start_all(2).await;
    // m3 and m4 only know the anchor: wait until discovery connected them to each other,
    // so that their half stays connected.
    let (m3, m4) = (net.members[2].api(), net.members[3].api());
    let (p3, p4) = (
        net.members[2].peer_id.clone(),
        net.members[3].peer_id.clone(),
    );
    wait_until(30, "m3 and m4 admitted each other", || async {
        has_admitted(&m3, &p4).await && has_admitted(&m4, &p3).await
    })
    .await;

    let half_a: Vec<&Node> = vec![&net.anchor, &net.members[0], &net.members[1]];
    let half_b: Vec<&Node> = vec![&net.members[2], &net.members[3]];
    for a in &half_a {
        for b in &half_b {
            set_blocked(&a.api(), &b.peer_id, true).await;
            set_blocked(&b.api(), &a.peer_id, true).await;
        }
    }
    let pairs: Vec<(&Node, &Node)> = half_a
        .iter()
        .flat_map(|a| half_b.iter().flat_map(move |b| [(*a, *b), (*b, *a)]))
        .collect();
    wait_until(30, "no connection across the partition", || async {
        for (x, y) in &pairs {
            if is_connected(&x.api(), &y.peer_id).await {
                return false;
            }
        }
        true
    })
    .await;
    assert!(
        has_admitted(&m3, &p4).await,
        "m3 and m4 stay connected inside their half"
    );

    // Each half publishes.
    let m1 = net.members[0].api();
    let objects = (0..50).map(|n| indicator(n, 51)).collect();
    assert_eq!(publish(&m1, objects, 51, "energy", "amber").await, 50);
    let objects = (0..50).map(|n| indicator(n, 53)).collect();
    assert_eq!(publish(&m3, objects, 53, "energy", "amber").await, 50);
    let (pub1, pub3) = (&net.members[0], &net.members[2]);
    for node in [&net.anchor, &net.members[1]] {
        wait_holds(30, node, pub1, 50).await;
    }
    wait_holds(30, &net.members[3], pub3, 50).await;
    // Nothing crossed the partition (checked after each side got its own items).
    for node in &half_a {
        let api = node.api();
        assert_eq!(
            distinct_items_from(&api, &pub3.peer_id).await,
            0,
            "{}",
            node.name
        );
        assert_eq!(verified_size(&api, &pub3.peer_id).await, 0, "{}", node.name);
    }
    for node in &half_b {
        let api = node.api();
        assert_eq!(
            distinct_items_from(&api, &pub1.peer_id).await,
            0,
            "{}",
            node.name
        );
        assert_eq!(verified_size(&api, &pub1.peer_id).await, 0, "{}", node.name);
    }

    // Heal.
    let healed = Instant::now();
    for a in &half_a {
        for b in &half_b {
            set_blocked(&a.api(), &b.peer_id, false).await;
            set_blocked(&b.api(), &a.peer_id, false).await;
        }
    }
    for node in std::iter::once(&net.anchor).chain(net.members.iter()) {
        for publisher in [pub1, pub3] {
            if node.peer_id != publisher.peer_id {
                wait_holds(60, node, publisher, 50).await;
            }
        }
    }
    eprintln!(
        "the partition healed: every node holds both sides' items {:.2} s after unblocking",
        healed.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_only_dials_out_works_through_the_relay() {
    let mut net = Net::create(&ENERGY4[..3]);
    common::configure(&net.members[2].dir, |c| c.network.listen = vec![]);
    net.start_all(1).await;
    through_the_relay(&net).await;
}

/// The same with an anchor that knows its public address (`network.external_addresses`,
/// as a deployed anchor would have): its relay serves from the first connection on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_only_dials_out_works_through_the_relay_of_an_anchor_with_a_known_address() {
    let mut net = Net::create(&ENERGY4[..3]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("/ip4/127.0.0.1/tcp/{port}");
    common::configure(&net.anchor.dir, |c| {
        c.network.listen = vec![addr.clone()];
        c.network.external_addresses = vec![addr.clone()];
    });
    common::configure(&net.members[2].dir, |c| c.network.listen = vec![]);
    net.start_all(1).await;
    through_the_relay(&net).await;
}

/// m3 (no listen address) holds a reservation on the anchor, listens through it, and
/// exchanges items with m1 both ways.
async fn through_the_relay(net: &Net) {
    let m3 = net.members[2].api();
    let anchor_peer = net.anchor.peer_id.clone();
    wait_until(30, "m3 holds a relay reservation on the anchor", || async {
        let s = status(&m3).await;
        s["relay_reservations"]
            .as_array()
            .is_some_and(|r| r.iter().any(|p| p.as_str() == Some(anchor_peer.as_str())))
    })
    .await;
    wait_until(30, "m3 listens through the relay", || async {
        let s = status(&m3).await;
        s["listen_addrs"].as_array().is_some_and(|a| {
            a.iter()
                .any(|x| x.as_str().is_some_and(|x| x.contains("/p2p-circuit")))
        })
    })
    .await;
    let s = status(&m3).await;
    let addrs = s["listen_addrs"].as_array().unwrap();
    assert!(
        addrs
            .iter()
            .all(|a| a.as_str().is_some_and(|a| a.contains("/p2p-circuit"))),
        "m3 has a direct listen address: {addrs:?}"
    );

    let m1 = net.members[0].api();
    assert_eq!(
        publish(&m1, vec![indicator(1, 61)], 61, "energy", "amber").await,
        1
    );
    wait_holds(30, &net.members[2], &net.members[0], 1).await;
    assert_eq!(
        publish(&m3, vec![indicator(1, 63)], 63, "energy", "amber").await,
        1
    );
    wait_holds(30, &net.members[0], &net.members[2], 1).await;

    // Informational: did any peer reach m3 through the circuit?
    for node in std::iter::once(&net.anchor).chain(net.members.iter()) {
        let s = status(&node.api()).await;
        for p in s["peers"].as_array().into_iter().flatten() {
            if p["relayed"] == true {
                eprintln!(
                    "{} is connected to {} through a relay: {}",
                    node.name, p["name"], p["addresses"]
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_member_is_disconnected_and_cut_off() {
    let mut net = Net::create(&ENERGY4[..3]);
    net.start_all(2).await;
    let p3 = net.members[2].peer_id.clone();
    let p1 = net.members[0].peer_id.clone();
    let (m1, m2, m3) = (
        net.members[0].api(),
        net.members[1].api(),
        net.members[2].api(),
    );
    wait_until(30, "m1 and m2 admitted m3", || async {
        has_admitted(&m1, &p3).await && has_admitted(&m2, &p3).await
    })
    .await;
    // Before the revocation m3 receives m1's items.
    assert_eq!(
        publish(&m1, vec![indicator(1, 71)], 71, "energy", "amber").await,
        1
    );
    wait_holds(30, &net.members[2], &net.members[0], 1).await;

    let anchor_dir = net.anchor.d().to_string();
    let revoke_peer = p3.clone();
    let (code, out, err) = tokio::task::spawn_blocking(move || {
        common::shoal(&[
            "admission",
            "revoke",
            "--data-dir",
            &anchor_dir,
            &revoke_peer,
        ])
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "revoke: {out}{err}");
    assert!(
        err.contains("the running node applied the revocation"),
        "the running anchor did not take the revocation: {out}{err}"
    );

    let revoked = Instant::now();
    let everyone = [&net.anchor, &net.members[0], &net.members[1]];
    wait_until(30, "every node disconnected m3", || async {
        for node in everyone {
            if is_connected(&node.api(), &p3).await {
                return false;
            }
        }
        true
    })
    .await;
    eprintln!(
        "every node dropped the revoked m3 within {:.2} s",
        revoked.elapsed().as_secs_f64()
    );

    assert_eq!(
        publish(&m1, vec![indicator(2, 71)], 72, "energy", "amber").await,
        1
    );
    wait_holds(30, &net.members[1], &net.members[0], 2).await;
    wait_holds(30, &net.anchor, &net.members[0], 2).await;
    // m2 has it; m3 still has only the item from before its revocation, over several
    // sync rounds (sync_interval 500 ms), and nobody lets it connect again (it keeps
    // redialling its bootstrap anchor).
    let window = Instant::now() + Duration::from_secs(3);
    while Instant::now() < window {
        assert_eq!(verified_size(&m3, &p1).await, 1, "m3 got m1's new item");
        assert_eq!(intel(&m3, &format!("publisher={p1}")).await.len(), 1);
        for node in everyone {
            assert!(
                !is_connected(&node.api(), &p3).await,
                "{} let the revoked m3 connect again",
                node.name
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
