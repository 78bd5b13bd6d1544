//! Emergency-response drills (`scenarios/drill.toml`): the drill reports time-to-notify
//! and time-to-acknowledge percentiles; members online throughout are all notified,
//! churned ones only after they return; acks reach the anchor after the member held the
//! advisory; the same seed gives identical results; churn slows notification; a drill
//! leaves the rest of a run unchanged; a bad `[drill]` table is refused naming the key.
//!
//! The shipped scenario is run without its background workload (`publish_rate = 0`):
//! the drill itself is unchanged (it draws from its own seeded stream) and a debug build
//! runs it in seconds.

use shoal_simnet::network::drill::summary::summary;
use shoal_simnet::network::drill::{AdvisoryOutcome, Quantiles};
use shoal_simnet::network::output;
use shoal_simnet::network::results::Run;
use shoal_simnet::network::run::run;
use shoal_simnet::network::scenario::NetScenario;

fn shipped() -> NetScenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/drill.toml");
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => panic!("{path}: {e}"),
    };
    let mut s = match NetScenario::from_toml_str(&text) {
        Ok(s) => s,
        Err(e) => panic!("{path}: {e}"),
    };
    s.workload.publish_rate = 0.0;
    s
}

/// A smaller seeded copy of the shipped drill.
fn small(churn: bool) -> NetScenario {
    let mut s = shipped();
    s.nodes.members = 120;
    if !churn {
        s.churn.fraction = 0.0;
    }
    s
}

fn go(s: &NetScenario) -> Run {
    match run(s, &mut |_, _| {}) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn first_advisory(r: &Run) -> AdvisoryOutcome {
    let Some(d) = &r.results.drill else {
        panic!("no drill results")
    };
    assert_eq!(d.advisories.len(), 1);
    match d.advisories.first() {
        Some(a) => a.clone(),
        None => panic!("no advisory"),
    }
}

fn ordered_and_positive(what: &str, q: &Quantiles) {
    assert!(q.count > 0, "{what}: {q:?}");
    assert!(q.p50 > 0.0, "{what}: {q:?}");
    assert!(
        q.p50 <= q.p90 && q.p90 <= q.p99 && q.p99 <= q.max,
        "{what}: {q:?}"
    );
}

#[test]
fn the_drill_scenario_reports_time_to_acknowledge_percentiles() {
    let s = shipped();
    let r = go(&s);
    let a = first_advisory(&r);
    assert!(a.drill);
    assert_eq!(a.severity, "critical");
    assert!(a.id.starts_with("x-shoal-advisory--"));
    assert_eq!(a.all.members, 400);
    ordered_and_positive("time_to_ack_s", &a.all.time_to_ack_s);
    ordered_and_positive("time_to_notify_s", &a.all.time_to_notify_s);
    ordered_and_positive("time_to_first_ack_s", &a.time_to_first_ack_s);
    ordered_and_positive(
        "churned.time_to_notify_s",
        &a.churned.group.time_to_notify_s,
    );
    ordered_and_positive("churned.time_to_ack_s", &a.churned.group.time_to_ack_s);
    // A human answers in minutes; the network notifies in well under a second.
    assert!(a.all.time_to_ack_s.p50 > 60.0, "{a:?}");
    assert!(a.online_at_publish.time_to_notify_s.max < 2.0, "{a:?}");
    assert!(
        a.all.time_to_ack_s.p50 > a.all.time_to_notify_s.p99,
        "{a:?}"
    );
    // Most members answer by the deadline; the silent and stuck ones never do.
    assert!(a.all.acknowledged_by_deadline > 0.5, "{a:?}");
    assert!(a.all.acknowledged <= a.responders && a.responders < a.all.members);
    assert_eq!(a.all.notified_by_deadline, 1.0, "{a:?}");
    assert!(a.churned.group.members > 10, "{a:?}");
    assert!(a.acks_at_anchor > 2 * a.all.acknowledged);
    // results.json carries them; drill.csv and drill.svg are written.
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    if let Err(e) = output::write_all(dir.path(), &r) {
        panic!("{e}");
    }
    let json = std::fs::read_to_string(dir.path().join("results.json")).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    let ack = &v["drill"]["advisories"][0]["time_to_ack_s"];
    for p in ["p50", "p90", "p99", "max"] {
        assert!(ack[p].as_f64().is_some_and(|x| x > 0.0), "{p}: {json}");
    }
    assert!(v["drill"]["advisories"][0]["churned"]["time_to_ack_s"]["p99"].is_f64());
    let csv = std::fs::read_to_string(dir.path().join("drill.csv")).unwrap_or_default();
    assert_eq!(csv.lines().count(), 401);
    let svg = std::fs::read_to_string(dir.path().join("drill.svg")).unwrap_or_default();
    assert!(svg.contains("acknowledged") && svg.contains("deadline"));
    let text = summary(r.results.drill.as_ref().unwrap_or(&Default::default()));
    assert!(text.contains("time to acknowledge"), "{text}");
}

#[test]
fn members_online_throughout_are_notified_and_churned_ones_only_after_their_return() {
    let r = go(&small(true));
    let Some(d) = &r.drill else {
        panic!("no drill rows")
    };
    let t0 = d.published_s.first().copied().unwrap_or(f64::NAN);
    let (mut throughout, mut churned) = (0, 0);
    for row in &d.rows {
        if row.online_throughout {
            throughout += 1;
            // Push, or lazy gossip after a loss; at worst one sync round.
            let notified = row.notified_s.unwrap_or(f64::INFINITY);
            assert!(notified - t0 < 15.0, "{row:?}");
        }
        if row.offline_at_publish {
            churned += 1;
            if let (Some(n), Some(back)) = (row.notified_s, row.back_s) {
                assert!(n >= back, "notified before its return: {row:?}");
                assert_ne!(row.via.as_deref(), Some("push"), "{row:?}");
            }
        }
        if let Some(fin) = row.final_ack_s {
            let notified = row.notified_s.unwrap_or(f64::INFINITY);
            assert!(fin > notified, "ack before the advisory: {row:?}");
            assert!(row.first_ack_s.is_some_and(|f| f <= fin), "{row:?}");
            assert!(
                matches!(row.status.as_deref(), Some("mitigated" | "not_affected")),
                "{row:?}"
            );
        }
        match row.behaviour.as_str() {
            "silent" => assert!(row.first_ack_s.is_none(), "{row:?}"),
            "stuck" => assert!(row.final_ack_s.is_none(), "{row:?}"),
            _ => {}
        }
    }
    assert!(throughout > 60 && churned > 0, "{throughout} {churned}");
    let a = first_advisory(&r);
    assert_eq!(a.churned.notified_after_return, a.churned.group.notified);
    assert_eq!(a.churned.group.members, churned);
}

#[test]
fn the_same_seed_gives_identical_results() {
    let s = small(true);
    let (a, b) = (go(&s), go(&s));
    assert_eq!(a, b);
    let (da, db) = match (tempfile::tempdir(), tempfile::tempdir()) {
        (Ok(a), Ok(b)) => (a, b),
        _ => panic!("tempdir"),
    };
    assert!(output::write_all(da.path(), &a).is_ok() && output::write_all(db.path(), &b).is_ok());
    for f in ["results.json", "drill.csv", "drill.svg"] {
        let (x, y) = (
            std::fs::read(da.path().join(f)).unwrap_or_default(),
            std::fs::read(db.path().join(f)).unwrap_or_default(),
        );
        assert!(!x.is_empty() && x == y, "{f}");
    }
    let mut other = s.clone();
    other.seed += 1;
    assert_ne!(go(&other).results.drill, a.results.drill);
}

#[test]
fn without_churn_everyone_is_notified_at_once_and_acknowledges_sooner() {
    let (calm_run, churn_run) = (go(&small(false)), go(&small(true)));
    let (calm, churn) = (first_advisory(&calm_run), first_advisory(&churn_run));
    let table = output::compare(&calm_run.results, &churn_run.results);
    assert!(table.contains("drill.time_to_ack_s.p99"), "{table}");
    assert_eq!(calm.all.never_notified, 0);
    assert_eq!(calm.churned.group.members, 0);
    assert!(calm.all.time_to_notify_s.max < 2.0, "{calm:?}");
    assert!(
        churn.all.time_to_notify_s.max > 10.0 * calm.all.time_to_notify_s.max,
        "{} vs {}",
        churn.all.time_to_notify_s.max,
        calm.all.time_to_notify_s.max
    );
    // The same members with the same plans: churn only delays their acks.
    assert!(calm.all.acknowledged >= churn.all.acknowledged);
    assert!(calm.all.acknowledged_by_deadline >= churn.all.acknowledged_by_deadline);
    assert!(calm.all.time_to_ack_s.p90 <= churn.all.time_to_ack_s.p90);
}

#[test]
fn a_drill_leaves_the_rest_of_the_run_unchanged() {
    let mut with = small(true);
    with.workload.publish_rate = 0.01;
    with.duration_s = 1200.0;
    with.drain_s = 100.0;
    let mut without = with.clone();
    without.drill = None;
    let (a, b) = (go(&with).results, go(&without).results);
    assert!(a.drill.is_some() && b.drill.is_none());
    assert!(a.events > b.events);
    assert_eq!(a.items, b.items);
    assert_eq!(a.delivery_ratio, b.delivery_ratio);
    assert_eq!(a.latency_ms, b.latency_ms);
}

#[test]
fn a_bad_drill_table_is_refused_naming_the_key() {
    let base = "kind = \"network\"\n[nodes]\nanchors = 2\n";
    let advisory = "[[drill.advisories]]\nat_s = 5.0\ndeadline_s = 30.0\n";
    let cases = [
        (format!("{base}{advisory}"), None),
        (format!("{base}[drill]\n"), Some("drill.advisories")),
        (
            format!("{base}[drill]\nanchor = 2\n{advisory}"),
            Some("drill.anchor"),
        ),
        (
            format!("{base}[[drill.advisories]]\nat_s = 5.0\ndeadline_s = 0.0\n"),
            Some("drill.advisories.deadline_s"),
        ),
        (
            format!("{base}[[drill.advisories]]\nat_s = 500.0\ndeadline_s = 9.0\n"),
            Some("drill.advisories.at_s"),
        ),
        (
            format!(
                "{base}[[drill.advisories]]\nat_s = 5.0\ndeadline_s = 9.0\nseverity = \"urgent\"\n"
            ),
            Some("drill.advisories.severity"),
        ),
        (
            format!("{base}[[drill.advisories]]\nat_s = 5.0\ndeadlin_s = 9.0\n"),
            Some("deadlin_s"),
        ),
        (
            format!(
                "{base}{advisory}[drill.response]\nsilent_fraction = 0.7\nstuck_fraction = 0.5\n"
            ),
            Some("drill.response.stuck_fraction"),
        ),
        (
            format!("{base}{advisory}[drill.response]\nassess_median_s = -1.0\n"),
            Some("drill.response.assess_median_s"),
        ),
        (
            format!("{base}{advisory}[drill.response]\ndistribution = \"gamma\"\n"),
            Some("gamma"),
        ),
    ];
    for (text, key) in cases {
        match (NetScenario::from_toml_str(&text), key) {
            (Ok(_), None) => {}
            (Err(e), Some(key)) => assert!(e.to_string().contains(key), "{key}: {e}"),
            (got, want) => panic!("{text}\nwant {want:?}, got {got:?}"),
        }
    }
}
