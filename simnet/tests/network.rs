//! Network simulation: determinism, one small scenario per adversary class with its
//! expected outcome, partition-heal convergence, privacy accounting, the shipped
//! scenarios parse, and a 1,000-node run kept well under a minute.

use shoal_simnet::network::output;
use shoal_simnet::network::results::{Results, Run};
use shoal_simnet::network::run::run;
use shoal_simnet::network::scenario::NetScenario;

const BASE: &str = r#"
kind = "network"
name = "test"
seed = 21
duration_s = 60.0
bucket_s = 10.0
drain_s = 10.0
[nodes]
members = 60
anchors = 2
communities = ["energy", "water"]
[workload]
publish_rate = 0.03
sighting_prob = 0.03
"#;

fn scenario(extra: &str) -> NetScenario {
    match NetScenario::from_toml_str(&format!("{BASE}\n{extra}")) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

fn go(s: &NetScenario) -> Run {
    match run(s, &mut |_, _| {}) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn results(extra: &str) -> Results {
    go(&scenario(extra)).results
}

#[test]
fn the_same_seed_gives_byte_identical_results() {
    let s = scenario("[churn]\nfraction = 0.2\n[link]\nloss = 0.02\n");
    let (a, b) = (go(&s), go(&s));
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    output::write_all(da.path(), &a).unwrap();
    output::write_all(db.path(), &b).unwrap();
    for f in ["results.json", "series.csv", "roc.csv"] {
        assert_eq!(
            std::fs::read(da.path().join(f)).unwrap(),
            std::fs::read(db.path().join(f)).unwrap(),
            "{f}"
        );
    }
    let mut other = s.clone();
    other.seed = 22;
    assert_ne!(go(&other).results, a.results);
}

#[test]
fn a_healthy_network_delivers_everything_fast() {
    let r = results("");
    assert_eq!(r.delivery_ratio, 1.0, "{r:?}");
    assert!(r.latency_ms.p99 < 500.0, "{r:?}");
    assert!(r.duplicates_per_delivery > 1.0, "gossip duplicates: {r:?}");
    assert!(r.items > 50);
    // Every item went through desensitization: what was planted never left.
    assert!(r.adversaries["internal_values_planted"] > 5.0, "{r:?}");
    assert_eq!(r.adversaries["internal_values_leaked"], 0.0);
}

#[test]
fn liars_are_told_apart_and_lose_trust() {
    let mut s = scenario("[adversaries]\nliars = 0.3\n");
    s.workload.sighting_prob = 0.05;
    s.workload.anchor_sample = 0.1;
    let r = go(&s).results;
    let (auc, base) = (r.credibility_auc.unwrap(), r.baseline_auc.unwrap());
    assert!(auc > 0.95 && auc > base + 0.3, "{auc} vs {base}");
    assert!(r.adversaries["liar_trust_final"] < r.adversaries["honest_trust_final"]);
}

#[test]
fn sybils_get_nothing_through() {
    let r = results("[adversaries]\nsybils = 40\n");
    assert!(r.adversaries["sybil_messages_refused"] > 0.0);
    assert_eq!(r.adversaries["sybil_items_delivered"], 0.0);
    assert_eq!(r.delivery_ratio, 1.0);
}

#[test]
fn every_equivocation_is_caught_within_a_second() {
    let r = results("[adversaries]\nequivocators = 3\n");
    assert_eq!(r.adversaries["equivocations_detected"], 3.0);
    assert!(r.equivocation_detection_s.unwrap() < 1.0, "{r:?}");
}

#[test]
fn flooders_slow_honest_traffic_on_thin_links_but_lose_nothing() {
    let thin = "[link]\nbandwidth_kbps = 2000.0\n";
    let calm = results(thin);
    let flooded = results(&format!(
        "{thin}[adversaries]\nflooders = 3\nflood_rate = 15.0\n"
    ));
    assert!(flooded.adversaries["flooder_deliveries"] > 0.0);
    assert_eq!(flooded.delivery_ratio, 1.0);
    assert!(
        flooded.latency_ms.p50 > calm.latency_ms.p50,
        "{} vs {}",
        flooded.latency_ms.p50,
        calm.latency_ms.p50
    );
}

#[test]
fn free_riders_and_loss_are_repaired_by_lazy_gossip_and_sync() {
    let r = results("[link]\nloss = 0.05\n[adversaries]\nfree_riders = 0.4\n");
    assert_eq!(r.delivery_ratio, 1.0, "{r:?}");
    let healthy = results("");
    assert!(r.duplicates_per_delivery < healthy.duplicates_per_delivery);
}

#[test]
fn garbage_senders_are_banned_and_delivery_holds() {
    let r = results("[adversaries]\ngarbage = 10\ngarbage_rate = 10.0\n");
    assert_eq!(r.adversaries["garbage_accepted"], 0.0);
    assert!(r.adversaries["garbage_banned_after_s"] <= 1.0);
    assert_eq!(r.delivery_ratio, 1.0);
}

#[test]
fn churned_members_catch_up_by_sync() {
    let r = results("[churn]\nfraction = 0.3\nmean_online_s = 20.0\nmean_offline_s = 10.0\n");
    assert!(r.delivery_ratio > 0.99, "{r:?}");
    assert!(
        r.latency_ms.p99 > 1000.0,
        "returning members wait for sync: {r:?}"
    );
    // Every catch-up went through the node's real replica and verified.
    assert!(r.adversaries["sync_catchups_verified"] > 0.0, "{r:?}");
    assert_eq!(r.adversaries["sync_catchups_failed"], 0.0);
}

#[test]
fn a_healed_partition_converges_to_full_delivery() {
    let r = results("[[partitions]]\nstart_s = 10.0\nheal_s = 30.0\nfraction = 0.5\n");
    assert_eq!(r.delivery_ratio, 1.0, "{r:?}");
    let c = r.heal_convergence_s.unwrap();
    assert!(c > 0.0 && c <= 11.0, "about one or two sync intervals: {c}");
    assert!(r.adversaries["sync_catchups_verified"] > 0.0);
    assert_eq!(r.adversaries["sync_catchups_failed"], 0.0);
}

#[test]
fn privacy_budgets_hold_and_less_epsilon_means_more_error() {
    let tight = results("[privacy]\nlifetime_epsilon = 1.0\n");
    assert!(tight.epsilon_spent_max <= 1.0 + 1e-9);
    assert!(tight.adversaries["reports_over_budget"] > 0.0);
    let loose = results("[privacy]\nepsilon_per_sighting = 2.0\n");
    let strict = results("[privacy]\nepsilon_per_sighting = 0.2\n");
    assert!(strict.aggregate_rel_error.unwrap() > loose.aggregate_rel_error.unwrap());
}

#[test]
fn a_thousand_nodes_run_in_the_test_suite() {
    let s = match NetScenario::from_toml_str(
        "kind = \"network\"\nname = \"k1\"\nseed = 3\nduration_s = 40.0\n[nodes]\nmembers = 1000\nanchors = 3\n[workload]\npublish_rate = 0.01\nsighting_prob = 0.002\n",
    ) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let started = std::time::Instant::now();
    let r = go(&s).results;
    assert_eq!(r.nodes, 1003);
    assert_eq!(r.delivery_ratio, 1.0, "{r:?}");
    assert!(r.items > 200);
    eprintln!(
        "1,000 nodes: {} items, {} events in {:?}",
        r.items,
        r.events,
        started.elapsed()
    );
}

#[test]
fn every_shipped_scenario_parses() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("kind = \"network\"") {
            NetScenario::from_toml_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            n += 1;
        }
    }
    assert!(n >= 10, "{n} network scenarios");
}
