//! Situation awareness end to end through real daemons: the JSON API against the
//! hand-computed aggregates of the protocol's fixture (`protocol/tests/data/situation`),
//! precise 400s and 401s, the `/situation` page rendered by headless Chromium from a node
//! with seeded data (screenshot saved under `target/test-artifacts/situation.png`), and
//! the local asset inventory: its matches appear, it reloads, and its contents never reach
//! anything the node publishes. Also `shoal situation` online and offline.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use common::browser::{between, chromium, dump_dom, run_chromium};
use common::*;
use serde_json::{json, Value};
use shoal_crypto::NodeKey;
use shoal_node::store::replicas::{Held, ReplicaBatch};
use shoal_node::store::Store;
use shoal_protocol::dp::PrivacyReceipt;
use shoal_protocol::{EnvelopeBody, Tlp};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../protocol/tests/data/situation"
);

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Writes other publishers' signed envelopes into a stopped node's store, as if
/// received from the network.
struct Seeder {
    batch: ReplicaBatch,
    next: HashMap<[u8; 32], u64>,
    received_ms: u64,
}

impl Seeder {
    fn new() -> Self {
        Self {
            batch: ReplicaBatch::default(),
            next: HashMap::new(),
            received_ms: now_ms(),
        }
    }

    fn put(
        &mut self,
        key: &NodeKey,
        at: u64,
        community: &str,
        object: &Value,
        receipt: Option<&Value>,
    ) {
        let idx = self.next.entry(key.public().0).or_insert(0);
        let index = *idx;
        *idx += 1;
        let mut extensions = Vec::new();
        if let Some(r) = receipt.filter(|r| !r.is_null()) {
            let r: PrivacyReceipt = serde_json::from_value(r.clone()).unwrap();
            extensions.push(r.to_extension().unwrap());
        }
        let body = EnvelopeBody {
            publisher: key.public(),
            ledger_index: index,
            published_at: at,
            tlp: Tlp::Green,
            community: community.into(),
            object: serde_json::to_vec(object).unwrap(),
            extensions,
        };
        let bytes = body.sign_encoded(key).unwrap();
        self.received_ms += 1;
        self.batch.leaf(
            &key.public(),
            index,
            &Held::Full {
                received_ms: self.received_ms,
                bytes,
            },
        );
    }

    fn write(self, dir: &Path) {
        let store_path = shoal_node::datadir::DataDir::open(dir)
            .unwrap()
            .store_path();
        let store = Store::open(&store_path, 16).unwrap();
        store.apply_replicas(self.batch).unwrap();
        store.flush().unwrap();
    }
}

fn key(seed: u8) -> NodeKey {
    NodeKey::from_seed([seed; 32])
}

async fn get_json(api: &Api, path: &str) -> (u16, Value) {
    let r = api.get(path).await;
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Every `{value, ci_low, ci_high, exact}` in `v` is a proper estimate.
fn check_estimates(v: &Value, path: &str, seen: &mut usize) {
    match v {
        Value::Object(m) => {
            if let (Some(value), Some(lo), Some(hi), Some(exact)) = (
                m.get("value").and_then(Value::as_f64),
                m.get("ci_low").and_then(Value::as_f64),
                m.get("ci_high").and_then(Value::as_f64),
                m.get("exact").and_then(Value::as_bool),
            ) {
                *seen += 1;
                assert!(
                    lo <= value + 1e-9 && value <= hi + 1e-9,
                    "{path}: {lo} <= {value} <= {hi}"
                );
                if exact {
                    assert!(lo == value && hi == value, "{path}: exact with an interval");
                }
            }
            for (k, x) in m {
                check_estimates(x, &format!("{path}.{k}"), seen);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                check_estimates(x, &format!("{path}[{i}]"), seen);
            }
        }
        _ => {}
    }
}

/// `got` equals `want`, numbers within a relative 1e-9.
fn assert_close(got: &Value, want: &Value, path: &str) {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                "{path}: got {a}, hand-computed {b}"
            );
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: length");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_close(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            let ka: BTreeSet<_> = a.keys().collect();
            let kb: BTreeSet<_> = b.keys().collect();
            assert_eq!(ka, kb, "{path}: keys");
            for (k, y) in b {
                assert_close(&a[k], y, &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}

fn by_key<'a>(list: &'a Value, field: &str) -> BTreeMap<String, &'a Value> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| (x[field].as_str().unwrap().to_owned(), x))
        .collect()
}

/// (a) The JSON API against the hand-computed aggregates of the protocol fixture, the
/// bad-parameter 400s, the 401s, the graph endpoint and the unauthenticated page assets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn situation_api_matches_hand_computed_fixture_and_checks_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "fixture");
    std::fs::copy(format!("{DATA}/inventory.json"), dir.join("assets.json")).unwrap();
    configure(&dir, |c| c.situation.assets = Some("assets.json".into()));
    let fixture: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/fixture.json")).unwrap())
            .unwrap();
    let mut expected: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/expected.json")).unwrap())
            .unwrap();
    let q = expected["query"].clone();
    let (from, to, bucket) = (
        q["from_unix"].as_u64().unwrap(),
        q["to_unix"].as_u64().unwrap(),
        q["bucket_secs"].as_u64().unwrap(),
    );

    // The fixture's three publishers become three real keys. A received envelope always
    // carries a typed STIX object (the collection index the node reads new items from
    // holds only those), so the fixture's one malformed item is left out and its part in
    // the hand-computed numbers taken back out: one item, one `skipped`, one in its
    // community's bucket.
    let keys: HashMap<&str, NodeKey> = [("aa", key(0xa1)), ("bb", key(0xb2)), ("cc", key(0xc3))]
        .into_iter()
        .collect();
    let mut seeder = Seeder::new();
    for it in &fixture {
        let publisher = it["publisher"].as_str().unwrap();
        let k = &keys[&publisher[..2]];
        let at = it["published_at"].as_u64().unwrap();
        let community = it["community"].as_str().unwrap();
        if it["object"].get("type").is_none() {
            let e = &mut expected;
            e["items"] = json!(e["items"].as_u64().unwrap() - 1);
            e["skipped"] = json!(e["skipped"].as_u64().unwrap() - 1);
            let b = ((at - from) / bucket) as usize;
            for bd in e["breakdowns"].as_array_mut().unwrap() {
                if bd["dimension"] != "community" {
                    continue;
                }
                for s in bd["series"].as_array_mut().unwrap() {
                    if s["key"] == community {
                        let less = |est: &mut Value| {
                            for f in ["value", "ci_low", "ci_high"] {
                                est[f] = json!(est[f].as_f64().unwrap() - 1.0);
                            }
                        };
                        less(&mut s["points"][b]);
                        less(&mut s["total"]);
                    }
                }
            }
            continue;
        }
        seeder.put(k, at, community, &it["object"], Some(&it["receipt"]));
    }
    seeder.write(&dir);
    let hexkey = |p: &str| hex::encode(keys[&p[..2]].public().0);

    let node = Daemon::start(&dir);
    let api = node.client();
    let path = format!("/api/v1/situation?from={from}&to={to}&bucket={bucket}");
    let (status, got) = get_json(&api, &path).await;
    assert_eq!(status, 200, "{got}");

    // Query, counts, exact breakdowns and the estimates: as hand-computed.
    for k in ["from_unix", "to_unix", "bucket_secs"] {
        assert_eq!(got["query"][k], q[k], "query.{k}");
    }
    for k in ["items", "publishers", "skipped"] {
        assert_eq!(got[k], expected[k], "{k}");
    }
    let got_bd = by_key(&got["breakdowns"], "dimension");
    let want_bd = by_key(&expected["breakdowns"], "dimension");
    assert_eq!(
        got_bd.keys().collect::<Vec<_>>(),
        want_bd.keys().collect::<Vec<_>>()
    );
    for (dim, want) in &want_bd {
        let (g, w) = (
            by_key(&got_bd[dim]["series"], "key"),
            by_key(&want["series"], "key"),
        );
        assert_eq!(
            g.keys().collect::<Vec<_>>(),
            w.keys().collect::<Vec<_>>(),
            "{dim}"
        );
        for (k, ws) in &w {
            assert_close(g[k], ws, &format!("breakdowns.{dim}.{k}"));
            assert_eq!(
                g[k]["total"]["exact"], true,
                "{dim}.{k}: item counts are exact"
            );
        }
    }
    assert_close(&got["sightings"], &expected["sightings"], "sightings");
    assert_close(&got["sectors"], &expected["sectors"], "sectors");
    assert_close(&got["regions"], &expected["regions"], "regions");
    assert_eq!(
        got["sectors"][0][1]["exact"], false,
        "sectors are estimates"
    );
    // Top indicators: the node scores credibility itself, so compare everything else.
    let (gt, wt) = (
        by_key(&got["top_indicators"], "id"),
        by_key(&expected["top_indicators"], "id"),
    );
    assert_eq!(gt.keys().collect::<Vec<_>>(), wt.keys().collect::<Vec<_>>());
    for (id, w) in &wt {
        let g = gt[id];
        for k in ["label", "sources", "new", "accelerating"] {
            assert_eq!(g[k], w[k], "top {id}.{k}");
        }
        assert_close(
            &g["sightings"],
            &w["sightings"],
            &format!("top {id}.sightings"),
        );
        let c = g["credibility"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "{c}");
    }
    // Asset matches against the fixture inventory, with the real publisher keys.
    let matches = |v: &Value, map: &dyn Fn(&str) -> String| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| {
                format!(
                    "{} {} {} {} {} {}",
                    m["asset"],
                    m["kind"],
                    m["item_id"],
                    m["item_type"],
                    m["label"],
                    map(m["publisher"].as_str().unwrap())
                )
            })
            .collect()
    };
    assert_eq!(
        matches(&got["asset_matches"], &|p| p.to_owned()),
        matches(&expected["asset_matches"], &hexkey)
    );
    assert_eq!(
        got["inventory"],
        json!({"configured": true, "loaded": true, "ip_ranges": 1, "domains": 1, "software": 1, "cves": 1})
    );
    let mut n = 0;
    check_estimates(&got, "", &mut n);
    assert!(n > 50, "{n} estimates checked");

    // Defaults: the last 7 days in 1-hour buckets ending at the current hour's end.
    let (status, d) = get_json(&api, "/api/v1/situation").await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["query"]["bucket_secs"], 3600);
    let dq = &d["query"];
    assert_eq!(
        dq["to_unix"].as_u64().unwrap() - dq["from_unix"].as_u64().unwrap(),
        7 * 86_400
    );
    assert_eq!(dq["to_unix"].as_u64().unwrap() % 3600, 0);
    let (status, r) = get_json(
        &api,
        "/api/v1/situation?from=2026-01-01T00:00:00Z&to=2026-01-05&bucket=1d",
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["items"], got["items"], "RFC 3339 and dates as from/to");

    // Bad parameters: 400 naming the parameter.
    for (query, param) in [
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("bucket=0", "bucket"),
        ("bucket=5parsecs", "bucket"),
        ("bucket=-1h", "bucket"),
        ("from=2000&to=1000", "from"),
        ("from=0&to=1800000000&bucket=1m", "bucket"),
        ("window=7d", "window"),
        ("from=1&from=2", "from"),
    ] {
        let (status, body) = get_json(&api, &format!("/api/v1/situation?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["detail"]["parameter"], param, "{query}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains(&format!("`{param}`")),
            "{query}: {body}"
        );
    }

    // The relationship graph of an indicator.
    let i1 = "indicator--00000000-0000-4000-8000-000000000001";
    let (status, g) = get_json(&api, &format!("/api/v1/situation/graph/{i1}?depth=2")).await;
    assert_eq!(status, 200, "{g}");
    let nodes: BTreeSet<&str> = g["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(nodes.contains(i1), "{g}");
    assert!(
        nodes.contains("malware--00000000-0000-4000-8000-000000000001"),
        "{g}"
    );
    assert!(!g["edges"].as_array().unwrap().is_empty(), "{g}");
    for e in g["edges"].as_array().unwrap() {
        assert!(nodes.contains(e["source"].as_str().unwrap()), "{e}");
        assert!(nodes.contains(e["target"].as_str().unwrap()), "{e}");
    }
    for (p, status, param) in [
        ("/api/v1/situation/graph/not-an-id", 400, Some("id")),
        (
            &format!("/api/v1/situation/graph/{i1}?depth=0") as &str,
            400,
            Some("depth"),
        ),
        (
            &format!("/api/v1/situation/graph/{i1}?depth=2&max_nodes=x"),
            400,
            Some("max_nodes"),
        ),
        (
            "/api/v1/situation/graph/indicator--00000000-0000-4000-8000-00000000ffff",
            404,
            None,
        ),
    ] {
        let (s, body) = get_json(&api, p).await;
        assert_eq!(s, status, "{p}: {body}");
        if let Some(param) = param {
            assert_eq!(body["detail"]["parameter"], param, "{p}: {body}");
        }
    }

    // No token, or a wrong one: 401.
    let http = reqwest::Client::new();
    for p in [
        "/api/v1/situation",
        &format!("/api/v1/situation/graph/{i1}"),
    ] {
        let r = http.get(node.url(p)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{p}");
        let r = http
            .get(node.url(p))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{p}");
    }
    // The page and its assets need no token and allow nothing but the node itself.
    let r = http.get(node.url("/situation")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("/situation/app.js") && html.contains("id=\"errors\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resources"
    );
    for (p, ct) in [
        ("/situation/app.js", "text/javascript"),
        ("/situation/app.css", "text/css"),
    ] {
        let r = http.get(node.url(p)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{p}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(ct),
            "{p}"
        );
        let body = r.text().await.unwrap();
        assert!(!body.contains("https://"), "{p}: no external resources");
    }
}

/// A few dozen items published through the real pipeline now (noised sightings with
/// sector and region, an attack pattern, malware, relationships).
async fn publish_seed(api: &Api) -> u64 {
    let malware = json!({
        "type": "malware", "spec_version": "2.1",
        "id": "malware--6b0a4d3c-0d1e-4f8e-9a51-3d6f1f0c2a11",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "GridLock", "is_family": true
    });
    let attack = json!({
        "type": "attack-pattern", "spec_version": "2.1",
        "id": "attack-pattern--0c8a4f5e-5b1d-4b7a-8f3e-2a9c1d0e6b22",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "Spearphishing Attachment",
        "external_references": [{"source_name": "mitre-attack", "external_id": "T1566.001"}]
    });
    let mut objects = vec![malware.clone(), attack.clone()];
    let mut ids = Vec::new();
    for n in 0..12u64 {
        let ind = indicator(n + 1, 0x5171);
        let id = ind["id"].as_str().unwrap().to_owned();
        objects.push(ind);
        objects.push(json!({
            "type": "relationship", "spec_version": "2.1",
            "id": format!("relationship--00000000-0000-4000-8000-{:012x}", 0x900 + n),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "relationship_type": "indicates", "source_ref": id, "target_ref": malware["id"]
        }));
        ids.push(id);
    }
    objects.push(json!({
        "type": "relationship", "spec_version": "2.1",
        "id": "relationship--00000000-0000-4000-8000-000000000a01",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "relationship_type": "uses", "source_ref": malware["id"], "target_ref": attack["id"]
    }));
    for n in 0..16u64 {
        let mut s = sighting(0x700 + n, 3 + n % 5);
        s["sighting_of_ref"] = json!(ids[(n % 4) as usize]);
        objects.push(s);
    }
    let r = api.publish(bundle(objects, 0x5171)).await;
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    let appended = report["appended"].as_u64().unwrap();
    assert!(appended >= 40, "{report}");
    appended
}

/// A week of other publishers' sightings, hour by hour, with receipts like the pipeline's
/// (discrete Laplace counts, randomized-response sector and region), a burst near the end.
fn seed_week(seeder: &mut Seeder, to: u64) -> u64 {
    let mut n = 0;
    let pubs = [key(0x31), key(0x32), key(0x33)];
    let from = to - 7 * 86_400;
    let sectors = ["energy", "manufacturing", "water", "transport", "finance"];
    let regions = ["north", "south", "east", "west"];
    let receipt = json!({
        "version": 1,
        "privacy_unit": "one internal host or event of the reporting member",
        "epsilon": 2.5,
        "entries": [
            {"path": "count", "mechanism": "discrete_laplace", "epsilon": 0.5, "scale": 2.0,
             "clamped_min": 0, "clamped_max": 999_999_999, "sensitivity": 1},
            {"path": "x_shoal_sector", "mechanism": "randomized_response", "epsilon": 1.0,
             "categories": sectors},
            {"path": "x_shoal_region", "mechanism": "randomized_response", "epsilon": 1.0,
             "categories": regions}
        ]
    });
    let mut indicators = Vec::new();
    for n in 0..8u64 {
        let ind = indicator(n + 1, 0x3eed);
        indicators.push(ind["id"].as_str().unwrap().to_owned());
        seeder.put(
            &pubs[(n % 3) as usize],
            from + 1800 + n * 600,
            "energy",
            &ind,
            None,
        );
    }
    // The family the indicators point at, and the technique it uses.
    let malware = json!({
        "type": "malware", "spec_version": "2.1",
        "id": "malware--1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "VoltSpike", "is_family": true
    });
    let attack = json!({
        "type": "attack-pattern", "spec_version": "2.1",
        "id": "attack-pattern--2e3d4c5b-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "Exploit Public-Facing Application",
        "external_references": [{"source_name": "mitre-attack", "external_id": "T1190"}]
    });
    seeder.put(&pubs[0], from + 900, "energy", &malware, None);
    seeder.put(&pubs[1], from + 960, "energy", &attack, None);
    let rel = |n: u64, kind: &str, src: &Value, dst: &Value| {
        json!({
            "type": "relationship", "spec_version": "2.1",
            "id": format!("relationship--00000000-0000-4000-a000-{n:012x}"),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "relationship_type": kind, "source_ref": src, "target_ref": dst
        })
    };
    seeder.put(
        &pubs[0],
        from + 1000,
        "energy",
        &rel(99, "uses", &malware["id"], &attack["id"]),
        None,
    );
    for (n, id) in indicators.iter().enumerate() {
        let r = rel(n as u64, "indicates", &json!(id), &malware["id"]);
        seeder.put(
            &pubs[n % 3],
            from + 3600 + n as u64 * 60,
            "energy",
            &r,
            None,
        );
    }
    let vuln = json!({
        "type": "vulnerability", "spec_version": "2.1",
        "id": "vulnerability--3f0c9d1e-7a5b-4c2d-9e8f-1a2b3c4d5e6f",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "CVE-2026-0001"
    });
    seeder.put(&pubs[2], from + 7200, "water", &vuln, None);
    for h in 0..168u64 {
        let burst = if (150..156).contains(&h) { 25 } else { 0 };
        let base = 2 + h / 24 + (h * 7 % 5);
        let n_reports = 1 + (h % 3);
        for r in 0..n_reports {
            let i = (h * 3 + r) as usize;
            let s = json!({
                "type": "sighting", "spec_version": "2.1",
                "id": format!("sighting--00000000-0000-4000-9000-{:012x}", h * 10 + r),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "count": (base + burst) / n_reports + r,
                "sighting_of_ref": indicators[(h as usize + r as usize) % 5],
                "x_shoal_sector": sectors[(i * 7) % 5 % if h % 2 == 0 { 2 } else { 5 }],
                "x_shoal_region": regions[(i * 3) % 4]
            });
            let p = &pubs[i % 3];
            seeder.put(
                p,
                from + h * 3600 + 60 + r * 60,
                "energy",
                &s,
                Some(&receipt),
            );
            n += 1;
        }
    }
    n + 9 + 3 + indicators.len() as u64
}

/// (b) The page in a real browser: headless Chromium loads `/situation#token=...` from a
/// node with seeded data; every section draws (SVG paths, rects, circles), no script or
/// policy error is recorded, and a screenshot is saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn situation_page_renders_in_headless_chromium() {
    let Some(bin) = chromium() else {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("chromium is not installed (CI must install Debian's chromium package)");
        }
        eprintln!("skipped: chromium is not installed");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "viewer");
    std::fs::write(
        dir.join("assets.json"),
        r#"{"ip_ranges": ["203.0.0.0/16"], "domains": [], "software": [], "cves": ["CVE-2026-0001"]}"#,
    )
    .unwrap();
    configure(&dir, |c| {
        c.situation.assets = Some("assets.json".into());
        c.privacy.dp.epsilon_per_epoch = 1000.0;
        c.privacy.dp.lifetime_epsilon = 10_000.0;
        c.privacy.dp.member_sector = Some("energy".into());
        c.privacy.dp.member_region = Some("west".into());
    });
    let now = now_ms() / 1000;
    let mut seeder = Seeder::new();
    let seeded = seed_week(&mut seeder, now.div_ceil(3600) * 3600);
    seeder.write(&dir);
    let node = Daemon::start(&dir);
    let api = node.client();
    let held = seeded + publish_seed(&api).await;
    // Wait until the view holds the published items (the cache refreshes every 2 s).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, v) = get_json(&api, "/api/v1/situation").await;
        assert_eq!(status, 200, "{v}");
        if v["held"].as_u64() == Some(held) {
            assert!(!v["top_indicators"].as_array().unwrap().is_empty());
            assert!(!v["sectors"].as_array().unwrap().is_empty());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the published items never showed: {} of {held} held",
            v["held"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let url = format!("{}#token={}", node.url("/situation"), node.token);
    let (dom, log) = dump_dom(&bin, &url).await;
    let body_tag = between(&dom, "<body", ">").unwrap_or_else(|| panic!("no body in {dom}"));
    assert!(
        body_tag.contains("data-rendered=\"true\""),
        "the page did not finish drawing: {body_tag}\n{}\n{log}",
        between(&dom, "id=\"errors\"", "</pre>").unwrap_or("")
    );
    let errors = between(&dom, "id=\"errors\"", "</pre>").expect("#errors element");
    let errors = errors.split_once('>').map_or("", |(_, t)| t);
    assert!(errors.trim().is_empty(), "errors on the page: {errors}");
    for line in log.lines().filter(|l| l.contains("CONSOLE")) {
        assert!(
            !line.contains("ERROR") && !line.contains("Uncaught"),
            "console error: {line}"
        );
    }
    // Every section drew.
    let section = |id: &str| {
        between(&dom, &format!("id=\"{id}\""), "</article>")
            .unwrap_or_else(|| panic!("no #{id}"))
            .to_owned()
    };
    let sightings = section("chart-sightings");
    assert!(sightings.contains("<svg"), "{sightings}");
    assert!(
        sightings.contains("class=\"band\""),
        "confidence band drawn"
    );
    assert!(
        sightings.contains("class=\"line s0\""),
        "sighting line drawn"
    );
    assert!(
        sightings.contains("class=\"fcband\"") && sightings.contains("class=\"fcline\""),
        "forecast drawn"
    );
    assert!(section("chart-types").contains("<path"));
    for id in ["sectors", "regions"] {
        let s = section(id);
        assert!(
            s.contains("<rect") && s.contains("class=\"whisker\""),
            "{id}: {s}"
        );
    }
    let top = section("top");
    assert!(
        top.contains("class=\"link\"") && top.contains("class=\"ci\""),
        "{top}"
    );
    let graph = section("graph");
    assert!(
        graph.contains("<circle") && graph.contains("class=\"edge\""),
        "{graph}"
    );
    assert!(section("breakdowns").contains("T1566.001"));
    let assets = section("assets");
    assert!(
        assets.contains("203.0.0.0/16") && assets.contains("CVE-2026-0001"),
        "{assets}"
    );
    // The token left the address bar.
    assert!(
        !dom.contains(&node.token),
        "the token must not stay in the DOM"
    );

    // Screenshot, kept as a test artefact.
    let artefacts = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("test-artifacts");
    std::fs::create_dir_all(&artefacts).unwrap();
    let png = artefacts.join("situation.png");
    let _ = std::fs::remove_file(&png);
    let profile = tempfile::tempdir().unwrap();
    tokio::task::spawn_blocking({
        let (bin, p, png) = (bin.clone(), profile.path().to_owned(), png.clone());
        move || {
            run_chromium(
                &bin,
                &p,
                &[
                    "--virtual-time-budget=10000".into(),
                    format!("--screenshot={}", png.display()),
                    "--window-size=1400,3400".into(),
                    url,
                ],
                Duration::from_secs(90),
            )
        }
    })
    .await
    .unwrap();
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert!(
        bytes.len() > 50_000,
        "a non-trivial screenshot: {} bytes",
        bytes.len()
    );
    eprintln!("screenshot: {}", png.display());
}

/// (c) The local asset inventory: matches appear in the API and the CLI, the file is
/// reloaded when it changes, and nothing of it reaches what the node publishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn situation_asset_inventory_matches_and_never_leaves_the_node() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "assets");
    // Entries only the inventory holds: they must never appear in anything published.
    let secret = [
        "100.64.12.0/24",
        "crown-jewels.example",
        "cpe:2.3:a:acme:scada-hmi:4.2:*:*:*:*:*:*:*",
        "CVE-2026-31337",
        "198.51.100.0/24",
    ];
    let inventory = json!({
        "ip_ranges": ["198.51.100.0/24", "100.64.12.0/24"],
        "domains": ["acme-energy.example", "crown-jewels.example"],
        "software": ["cpe:2.3:a:acme:scada-hmi:4.2:*:*:*:*:*:*:*"],
        "cves": ["CVE-2026-4242", "CVE-2026-31337"]
    });
    std::fs::write(dir.join("assets.json"), inventory.to_string()).unwrap();
    configure(&dir, |c| c.situation.assets = Some("assets.json".into()));
    let node = Daemon::start(&dir);
    let api = node.client();
    let ind = |n: u64, pattern: &str| {
        let mut i = indicator(n, 0xa55e);
        i["pattern"] = json!(pattern);
        i["name"] = json!(format!("intel {n}"));
        i
    };
    let hit_ip = ind(1, "[ipv4-addr:value = '198.51.100.23']");
    let hit_domain = ind(2, "[domain-name:value = 'portal.acme-energy.example']");
    let miss = ind(3, "[ipv4-addr:value = '203.0.113.5']");
    let vuln = json!({
        "type": "vulnerability", "spec_version": "2.1",
        "id": "vulnerability--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "CVE-2026-4242",
        "external_references": [{"source_name": "cve", "external_id": "CVE-2026-4242"}]
    });
    let r = api
        .publish(bundle(
            vec![
                hit_ip.clone(),
                hit_domain.clone(),
                miss.clone(),
                vuln.clone(),
            ],
            0xa55e,
        ))
        .await;
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["appended"], 4, "{report}");

    let want: BTreeSet<(String, String, String)> = [
        ("198.51.100.0/24", "ip", &hit_ip),
        ("acme-energy.example", "domain", &hit_domain),
        ("CVE-2026-4242", "cve", &vuln),
    ]
    .iter()
    .map(|(a, k, o)| {
        (
            a.to_string(),
            k.to_string(),
            o["id"].as_str().unwrap().to_owned(),
        )
    })
    .collect();
    let found = |v: &Value| -> BTreeSet<(String, String, String)> {
        v["asset_matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["asset"].as_str().unwrap().to_owned(),
                    m["kind"].as_str().unwrap().to_owned(),
                    m["item_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let v = loop {
        let (status, v) = get_json(&api, "/api/v1/situation").await;
        assert_eq!(status, 200, "{v}");
        if found(&v) == want {
            break v;
        }
        assert!(
            Instant::now() < deadline,
            "asset matches {:?} != {want:?}",
            found(&v)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        v["inventory"],
        json!({"configured": true, "loaded": true, "ip_ranges": 2, "domains": 2, "software": 1, "cves": 2})
    );
    // Through the real pipeline, item counts stay exact: 3 indicators, 1 vulnerability.
    assert_eq!(v["items"], 4);
    let types = v["breakdowns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["dimension"] == "type")
        .unwrap();
    let totals: BTreeMap<&str, &Value> = types["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["key"].as_str().unwrap(), &s["total"]))
        .collect();
    assert_eq!(
        totals["indicator"],
        &json!({"value": 3.0, "ci_low": 3.0, "ci_high": 3.0, "exact": true})
    );
    assert_eq!(
        totals["vulnerability"],
        &json!({"value": 1.0, "ci_low": 1.0, "ci_high": 1.0, "exact": true})
    );

    // Nothing of the inventory is in the ledger (what the node publishes).
    let entries = all_entries(&api).await;
    assert_eq!(entries.len(), 4);
    let published = String::from_utf8_lossy(&entries.concat()).to_lowercase();
    for s in secret {
        assert!(!published.contains(&s.to_lowercase()), "{s} was published");
    }
    // The published intel itself survived desensitization (the matches are real).
    assert!(
        published.contains("198.51.100.23") && published.contains("portal.acme-energy.example")
    );

    // The CLI through the running node.
    let d = dir.to_str().unwrap();
    let (code, out, err) = shoal(&["situation", "--data-dir", d]);
    assert_eq!(code, 0, "{err}");
    for s in [
        "Top indicators",
        "Asset matches",
        "198.51.100.0/24",
        "acme-energy.example",
        "CVE-2026-4242",
    ] {
        assert!(out.contains(s), "{s} missing from:\n{out}");
    }
    let (code, _, err) = shoal(&["situation", "--data-dir", d, "--bucket", "0"]);
    assert_ne!(code, 0);
    assert!(err.contains("--bucket"), "{err}");

    // Editing the inventory takes effect without a restart.
    let mut smaller = inventory.clone();
    smaller["domains"] = json!(["crown-jewels.example"]);
    std::fs::write(dir.join("assets.json"), smaller.to_string()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = get_json(&api, "/api/v1/situation").await;
        let f = found(&v);
        if f.len() == 2 && !f.iter().any(|m| m.1 == "domain") {
            assert_eq!(v["inventory"]["domains"], 1);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the inventory was not reloaded: {f:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A broken file keeps the last good inventory and says why.
    std::fs::write(dir.join("assets.json"), r#"{"ip_ranges": ["not an ip"]}"#).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = get_json(&api, "/api/v1/situation").await;
        if let Some(e) = v["inventory"]["error"].as_str() {
            assert!(e.contains("ip_ranges[0]"), "{e}");
            assert_eq!(found(&v).len(), 2, "the last good inventory still answers");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the broken inventory was not reported"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    std::fs::write(dir.join("assets.json"), inventory.to_string()).unwrap();

    // Offline, from the store.
    assert!(node.terminate().success());
    let (code, out, err) = shoal(&["situation", "--data-dir", d, "--json"]);
    assert_eq!(code, 0, "{err}");
    let offline: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(found(&offline), want);
    let (code, out, err) = shoal(&["situation", "--data-dir", d]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Asset matches") && out.contains("198.51.100.0/24"),
        "{out}"
    );
    // A broken inventory is refused with its path and the entry at fault.
    std::fs::write(dir.join("assets.json"), r#"{"domains": ["bad domain!"]}"#).unwrap();
    let (code, _, err) = shoal(&["situation", "--data-dir", d]);
    assert_ne!(code, 0);
    assert!(
        err.contains("assets.json") && err.contains("domains[0]"),
        "{err}"
    );
}
