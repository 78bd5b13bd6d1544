//! Observability: `GET /metrics` in the Prometheus text format (published, rejected by
//! reason, pipeline latency, ledger, checkpoint age, privacy budget), and the daemon's
//! logs as JSON lines with `--log-format json` — at debug level, through a publish full
//! of internal data — never carrying the API token, the node key or a
//! pre-desensitization value.

mod common;

use common::{init_node, Daemon};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_prometheus_text_and_json_logs_carry_no_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "observed");
    common::configure(&dir, |c| {
        c.privacy.desensitize.internal_networks = vec!["192.0.2.0/24".into()];
        c.privacy.desensitize.internal_domains = vec!["corp.example.com".into()];
    });
    let log = tmp.path().join("node.log");
    let d = Daemon::start_logged(&dir, &["--log-format", "json"], "debug", &log);
    let api = d.client();

    // Internal data everywhere: an internal host, address, user and e-mail.
    let bundle = json!({
        "type": "bundle",
        "id": "bundle--2c1f4e6a-1b0d-4e3a-9c62-7d1e5b9a0f31",
        "objects": [
            common::indicator(1, 9),
            {"type": "indicator", "spec_version": "2.1", "id": "indicator--2c1f4e6a-1b0d-4e3a-9c62-7d1e5b9a0f32",
             "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
             "name": "beacon from fileserver7.corp.example.com (192.0.2.44) seen by jsmith@corp.example.com",
             "pattern": "[ipv4-addr:value = '192.0.2.44']", "pattern_type": "stix",
             "valid_from": "2026-01-01T00:00:00Z"},
            {"type": "indicator", "spec_version": "2.1", "id": "not-an-id"}
        ]
    });
    let r = api.publish(bundle.to_string().into_bytes()).await;
    assert!(r.status().is_success(), "{}", r.status());
    let _ = api.checkpoint_covering(1).await;

    // Metrics.
    let m = api.get("/metrics").await;
    assert!(m.status().is_success());
    let text = m.text().await.unwrap();
    for needle in [
        "# TYPE shoal_items_published counter",
        "shoal_items_rejected_total{reason=\"invalid\"} 1",
        "shoal_publish_seconds_count 1",
        "shoal_ledger_size ",
        "shoal_checkpoint_age_seconds ",
        "shoal_privacy_epsilon_remaining_epoch ",
        "shoal_peers 0",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let published: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("shoal_items_published_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!(published >= 1, "{text}");
    assert!(text.trim_end().ends_with("# EOF"));
    // Unauthenticated scrapes are refused like any API call.
    let anonymous = reqwest::get(format!("{}/metrics", api.base)).await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    // Logs: JSON lines only, and none of the secrets or planted values.
    d.terminate();
    let logged = std::fs::read_to_string(&log).unwrap();
    let key_file = std::fs::read(dir.join("node.key")).unwrap_or_default();
    assert!(
        logged.lines().count() > 5,
        "debug logging produced little: {logged}"
    );
    for line in logged.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not a JSON line: {line}"
        );
    }
    for secret in [
        api.token.as_str(),
        "fileserver7",
        "192.0.2.44",
        "jsmith",
        "corp.example.com",
    ] {
        assert!(!logged.contains(secret), "{secret:?} appears in the log");
    }
    if !key_file.is_empty() {
        assert!(!logged.contains(&hex::encode(&key_file)));
    }
}
