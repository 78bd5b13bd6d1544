//! The simulator's libp2p backend: real swarms with Shoal's gossipsub over the
//! in-memory transport, real signed envelopes verified by every receiver; a small
//! network delivers every item to every eligible node, and the results have the shape
//! `shoal-sim compare` reads.

use shoal_simnet::network::scenario::NetScenario;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_swarms_deliver_every_item_to_every_eligible_node() {
    let s = NetScenario::from_toml_str(
        r#"
kind = "network"
name = "libp2p-small"
seed = 2
duration_s = 9.0
drain_s = 3.0
[nodes]
members = 24
anchors = 1
communities = ["energy", "water"]
[workload]
publish_rate = 0.1
clear_fraction = 0.5
"#,
    )
    .unwrap();
    let run = shoal_node::netsim::run(&s, &mut |_| {}).await.unwrap();
    let r = &run.results;
    assert_eq!(r.nodes, 25);
    assert!(r.items >= 5, "{r:?}");
    assert_eq!(r.delivery_ratio, 1.0, "{r:?}");
    assert!(r.latency_ms.p50 > 0.0 && r.latency_ms.p99 < 3000.0, "{r:?}");
    // The same file format as the discrete-event backend.
    let dir = tempfile::tempdir().unwrap();
    shoal_simnet::network::output::write_all(dir.path(), &run).unwrap();
    let back = shoal_simnet::network::output::read_results(dir.path()).unwrap();
    assert_eq!(&back, r);
}
