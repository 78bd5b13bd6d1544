//! The privacy pipeline end to end through the real daemon: nothing planted in the
//! desensitization corpus reaches the ledger while external indicators survive, the
//! privacy budget is charged durably (exhaustion refuses, restart keeps the spend,
//! concurrent publishes cannot overspend), receipts travel in the envelopes, dry runs
//! change nothing, and TLP:AMBER+STRICT never leaves.

mod common;

use common::*;
use shoal_protocol::dp::PrivacyReceipt;
use shoal_protocol::{Envelope, ExtensionKind};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../protocol/tests/data/desensitize"
);
const BUNDLES: [&str; 6] = [
    "phishing-campaign.json",
    "lateral-movement.json",
    "host-forensics.json",
    "vuln-exposure.json",
    "c2-infrastructure.json",
    "insider-report.json",
];

fn corpus_policy(cfg: &mut shoal_config::Config) {
    let d = &mut cfg.privacy.desensitize;
    d.internal_networks = vec!["192.0.2.0/24".into()];
    d.internal_domains = vec!["corp.example.com".into()];
    d.organisation_names = vec!["Example Industrial Co".into()];
    d.canaries = vec!["PROJECT-NIGHTJAR".into()];
}

fn receipt(env: &Envelope) -> Option<PrivacyReceipt> {
    env.body
        .extensions
        .iter()
        .find(|e| e.kind == ExtensionKind::PRIVACY_RECEIPT)
        .map(|e| PrivacyReceipt::from_extension(e).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_planted_reaches_the_ledger_and_external_intel_survives() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "leaky");
    configure(&dir, corpus_policy);
    let node = Daemon::start(&dir);
    let api = node.client();
    let mut appended = 0;
    for b in BUNDLES {
        let body = std::fs::read(format!("{CORPUS}/{b}")).unwrap();
        let r = api.publish(body).await;
        let report: serde_json::Value = r.json().await.unwrap();
        appended += report["appended"].as_u64().unwrap();
        // The report shows paths and classes, never the planted values.
        let text = report.to_string();
        assert!(
            !text.contains("PROJECT-NIGHTJAR") && !text.contains("10.14.22.7"),
            "{b}"
        );
    }
    assert!(
        appended > 20,
        "most of the corpus is publishable: {appended}"
    );

    let planted: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{CORPUS}/planted.json")).unwrap())
            .unwrap();
    let expectations: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{CORPUS}/expectations.json")).unwrap(),
    )
    .unwrap();
    let entries = all_entries(&api).await;
    let haystack: Vec<u8> = entries.concat();
    let lower = String::from_utf8_lossy(&haystack).to_lowercase();
    for v in planted["values"].as_array().unwrap() {
        let v = v.as_str().unwrap().to_lowercase();
        assert!(
            !lower.contains(&v),
            "planted value {v:?} reached the ledger"
        );
    }
    let mut published = std::collections::HashMap::new();
    for e in &entries {
        let env = Envelope::decode_verified(e, 1 << 20).unwrap();
        let obj = env.object_json().unwrap();
        published.insert(obj["id"].as_str().unwrap().to_string(), obj);
    }
    for (bundle, exp) in expectations.as_object().unwrap() {
        for id in exp["forbidden_ids"].as_array().into_iter().flatten() {
            let id = id.as_str().unwrap();
            assert!(
                !lower.contains(id),
                "{bundle}: forbidden id {id} reached the ledger"
            );
        }
        // External indicators keep their pattern byte for byte (times are coarsened by DP).
        let original: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{CORPUS}/{bundle}")).unwrap())
                .unwrap();
        for key in ["unchanged", "pattern_unchanged"] {
            for id in exp[key].as_array().into_iter().flatten() {
                let id = id.as_str().unwrap();
                let obj = published
                    .get(id)
                    .unwrap_or_else(|| panic!("{bundle}: {id} should have been published"));
                let orig = original["objects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|o| o["id"] == id)
                    .unwrap();
                if let Some(p) = orig.get("pattern") {
                    assert_eq!(&obj["pattern"], p, "{bundle}: {id}");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_is_charged_durably_refuses_when_spent_and_survives_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "budget");
    configure(&dir, |c| {
        c.privacy.dp.epsilon_per_epoch = 1.0;
        c.privacy.dp.lifetime_epsilon = 10.0;
        c.privacy.dp.count_epsilon = 0.5;
    });
    let node = Daemon::start(&dir);
    let api = node.client();

    // Two sightings fit (ε 0.5 each); the receipt in the envelope says so.
    for n in 0..2 {
        let r: serde_json::Value = api
            .publish(serde_json::to_vec(&sighting(n, 40)).unwrap())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(r["appended"], 1, "{r}");
        assert_eq!(r["results"][0]["epsilon"], 0.5, "{r}");
    }
    let entry = api
        .get("/api/v1/ledger/entries/1")
        .await
        .bytes()
        .await
        .unwrap();
    let env = Envelope::decode_verified(&entry, 1 << 20).unwrap();
    let rc = receipt(&env).expect("a privacy receipt");
    assert!((rc.epsilon - 0.5).abs() < 1e-9);
    assert!(rc
        .entries
        .iter()
        .any(|e| e.path == "count" && e.mechanism == "discrete_laplace"));
    let obj = env.object_json().unwrap();
    assert_eq!(
        obj["first_seen"], "2026-03-01T09:00:00.000Z",
        "times are coarsened"
    );

    // The third is refused with how much is left and when it renews.
    let r = api
        .publish(serde_json::to_vec(&sighting(2, 40)).unwrap())
        .await;
    assert_eq!(r.status(), 422);
    let r: serde_json::Value = r.json().await.unwrap();
    let err = r["results"][0]["error"].as_str().unwrap();
    assert!(
        err.contains("budget exhausted") && err.contains("renews"),
        "{err}"
    );
    // Objects that need no budget still go through.
    let r: serde_json::Value = api
        .publish(bundle(vec![indicator(1, 77)], 77))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["appended"], 1, "{r}");

    let b: serde_json::Value = api.get("/api/v1/budget").await.json().await.unwrap();
    assert!(
        (b["epoch_spent"].as_f64().unwrap() - 1.0).abs() < 1e-9,
        "{b}"
    );
    assert!(b["epoch_remaining"].as_f64().unwrap().abs() < 1e-9, "{b}");

    // A crash does not give the budget back.
    node.kill9();
    let node = Daemon::start(&dir);
    let api = node.client();
    let b: serde_json::Value = api.get("/api/v1/budget").await.json().await.unwrap();
    assert!(
        (b["lifetime_spent"].as_f64().unwrap() - 1.0).abs() < 1e-9,
        "{b}"
    );
    let r = api
        .publish(serde_json::to_vec(&sighting(3, 40)).unwrap())
        .await;
    assert_eq!(r.status(), 422);
    let d = dir.to_str().unwrap();
    let (code, out, err) = shoal(&["budget", "--data-dir", d]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("remaining ε=0.0000"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishes_cannot_overspend() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "racy");
    configure(&dir, |c| {
        c.privacy.dp.epsilon_per_epoch = 2.0;
        c.privacy.dp.count_epsilon = 0.5;
    });
    let node = Daemon::start(&dir);
    let api = node.client();
    let mut tasks = Vec::new();
    for n in 0..12u64 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let r: serde_json::Value = api
                .publish(serde_json::to_vec(&sighting(100 + n, 7)).unwrap())
                .await
                .json()
                .await
                .unwrap();
            r["appended"].as_u64().unwrap()
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 4, "ε 2.0 buys exactly four counts at ε 0.5");
    let b: serde_json::Value = api.get("/api/v1/budget").await.json().await.unwrap();
    assert!(b["epoch_spent"].as_f64().unwrap() <= 2.0 + 1e-9, "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_shows_changes_and_logs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "dry");
    configure(&dir, corpus_policy);
    let node = Daemon::start(&dir);
    let d = dir.to_str().unwrap();
    let file = format!("{CORPUS}/lateral-movement.json");
    let (code, out, err) = shoal(&["publish", "--data-dir", d, "--dry-run", &file]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(out.contains("would be published as"), "{out}");
    assert!(
        out.contains("internal_ip"),
        "the report names classes: {out}"
    );
    assert!(!out.contains("10.14.22.7"), "{out}");
    assert!(err.contains("nothing was logged"), "{err}");
    let api = node.client();
    let status: serde_json::Value = api.get("/api/v1/ledger/status").await.json().await.unwrap();
    assert_eq!(status["size"], 0);
    let b: serde_json::Value = api.get("/api/v1/budget").await.json().await.unwrap();
    assert_eq!(b["lifetime_spent"], 0.0);
    // The same input for real is logged.
    let (code, out, _) = shoal(&["publish", "--data-dir", d, &file]);
    assert!(code == 0 || code == 1);
    assert!(out.contains("appended index=0"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amber_strict_and_red_never_leave() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "tlp");
    let node = Daemon::start(&dir);
    let api = node.client();
    for (marking, label) in [
        (
            "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            "AMBER+STRICT",
        ),
        (
            "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
            "RED",
        ),
    ] {
        let mut obj = indicator(5, 5);
        obj["object_marking_refs"] = serde_json::json!([marking]);
        let r = api.publish(serde_json::to_vec(&obj).unwrap()).await;
        assert_eq!(r.status(), 422);
        let body: serde_json::Value = r.json().await.unwrap();
        let e = body["results"][0]["error"].as_str().unwrap();
        assert!(e.contains(label) && e.contains("never shared"), "{e}");
    }
    let status: serde_json::Value = api.get("/api/v1/ledger/status").await.json().await.unwrap();
    assert_eq!(status["size"], 0);
}
