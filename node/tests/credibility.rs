//! Credibility across processes: a member's indicator confirmed by another member's
//! sighting and one refuted by a third member's false-positive report are scored on every
//! node from that signed, logged evidence; `GET /api/v1/intel/{id}/credibility` and
//! `shoal explain` show each input, `shoal query --min-credibility` filters, the STIX
//! export carries the score as `confidence` and the Admiralty code, and the reputation
//! endpoint lists the trust vector.

mod common;

use common::indicator;
use common::net::{intel, publish, wait_until, Net};
use serde_json::{json, Value};

fn sighting(n: u64, of: &str, false_positive: bool) -> Value {
    let mut s = json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": format!("sighting--6a0c5f1e-0000-4000-8000-{n:012x}"),
        "created": "2026-01-02T00:00:00.000Z",
        "modified": "2026-01-02T00:00:00.000Z",
        "sighting_of_ref": of,
        "count": 3
    });
    if false_positive {
        s["x_shoal_false_positive"] = json!(true);
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmations_and_refutations_move_credibility_on_every_node() {
    let mut net = Net::create(&[
        ("m1", &["energy"]),
        ("m2", &["energy"]),
        ("m3", &["energy"]),
    ]);
    net.start_all(2).await;
    let (m1, m2, m3) = (
        net.members[0].api(),
        net.members[1].api(),
        net.members[2].api(),
    );
    let (x, y) = (indicator(1, 77), indicator(2, 77));
    let (x_id, y_id) = (
        x["id"].as_str().unwrap().to_string(),
        y["id"].as_str().unwrap().to_string(),
    );
    assert_eq!(publish(&m1, vec![x, y], 1, "energy", "amber").await, 2);
    let publisher = net.members[0].peer_id.clone();
    for api in [&m2, &m3] {
        wait_until(15, "m1's items arrive", || async {
            intel(api, &format!("publisher={publisher}")).await.len() == 2
        })
        .await;
    }
    // m2 saw X in its network; m3 found Y to be a false positive.
    assert_eq!(
        publish(&m2, vec![sighting(1, &x_id, false)], 2, "energy", "amber").await,
        1
    );
    assert_eq!(
        publish(&m3, vec![sighting(2, &y_id, true)], 3, "energy", "amber").await,
        1
    );
    let anchor = net.anchor.api();
    let explain = |api: common::Api, id: String| async move {
        let r = api.get(&format!("/api/v1/intel/{id}/credibility")).await;
        assert!(r.status().is_success(), "{}", r.status());
        r.json::<Value>().await.unwrap()
    };
    for (name, api) in [
        ("anchor", anchor.clone()),
        ("m2", m2.clone()),
        ("m3", m3.clone()),
    ] {
        wait_until(20, &format!("{name} scores the evidence"), || {
            let api = api.clone();
            let (x_id, y_id) = (x_id.clone(), y_id.clone());
            async move {
                let ex = explain(api.clone(), x_id).await;
                let ey = explain(api, y_id).await;
                ex["claims"][0]["confirmations"]
                    .as_array()
                    .is_some_and(|a| a.len() == 1)
                    && ey["claims"][0]["refutations"]
                        .as_array()
                        .is_some_and(|a| a.len() == 1)
            }
        })
        .await;
    }
    let ex = explain(anchor.clone(), x_id.clone()).await;
    let ey = explain(anchor.clone(), y_id.clone()).await;
    let (cx, cy) = (
        ex["claims"][0]["credibility"].as_f64().unwrap(),
        ey["claims"][0]["credibility"].as_f64().unwrap(),
    );
    eprintln!("credibility: confirmed {cx:.3}, refuted {cy:.3}");
    assert!(cx > cy + 0.1, "confirmed {cx} vs refuted {cy}");
    let claim = &ex["claims"][0];
    assert_eq!(
        claim["confidence"].as_u64(),
        Some((cx * 100.0).round() as u64)
    );
    assert_eq!(
        claim["confirmations"][0]["reporter"].as_str().unwrap(),
        net.members[1].public_key_hex()
    );
    assert!(claim["publisher_trust"].as_f64().unwrap() > 0.0);
    assert!(claim["decay"]["factor"].as_f64().unwrap() > 0.9);
    let code = claim["admiralty"].as_str().unwrap();
    assert_eq!(code.len(), 2, "{code}");
    // Every node computes the same scores from the same evidence.
    let ex2 = explain(m2.clone(), x_id.clone()).await;
    assert_eq!(
        ex2["claims"][0]["evidence_score"],
        ex["claims"][0]["evidence_score"]
    );

    // Filtering by credibility.
    let mid = (cx + cy) / 2.0;
    let items = intel(
        &anchor,
        &format!("publisher={publisher}&min_credibility={mid}"),
    )
    .await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["object"]["id"], x_id.as_str());
    assert!(items[0]["credibility"]["credibility"].as_f64().is_some());
    let (code_cli, out, err) = common::shoal(&[
        "query",
        "--data-dir",
        net.anchor.d(),
        "--publisher",
        &publisher,
        "--min-credibility",
        &format!("{mid}"),
    ]);
    assert_eq!(code_cli, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let bad = anchor.get("/api/v1/intel?min_credibility=2").await;
    assert_eq!(bad.status().as_u16(), 400);

    // `shoal explain` through the running node.
    let (code_cli, out, err) = common::shoal(&["explain", "--data-dir", net.anchor.d(), &x_id]);
    assert_eq!(code_cli, 0, "{err}");
    assert!(
        out.contains("confirmed by") && out.contains("Admiralty"),
        "{out}"
    );
    let (code_cli, out, _) = common::shoal(&[
        "explain",
        "--data-dir",
        net.anchor.d(),
        "indicator--00000000-0000-4000-8000-000000000000",
    ]);
    assert_eq!(code_cli, 1, "{out}");

    // The STIX export carries the score.
    let index = items[0]["ledger_index"].as_u64().unwrap();
    let bundle: Value = anchor
        .get(&format!("/api/v1/intel/{publisher}/{index}/stix"))
        .await
        .json()
        .await
        .unwrap();
    let object = &bundle["objects"][2];
    let ext = &object["extensions"][shoal_protocol::stix::provenance::EXTENSION_ID];
    assert_eq!(
        object["confidence"].as_u64(),
        Some((ext["credibility"].as_f64().unwrap() * 100.0).round() as u64)
    );
    assert_eq!(ext["admiralty"].as_str().map(str::len), Some(2));

    // The trust vector: the anchor (pre-trusted) and m1..m3 all known, highest first.
    let rep: Value = anchor.get("/api/v1/reputation").await.json().await.unwrap();
    let publishers = rep["publishers"].as_array().unwrap();
    assert!(publishers.len() >= 4, "{rep}");
    let global = |p: &Value| p["global_trust"].as_f64().unwrap();
    assert!(
        publishers
            .windows(2)
            .all(|w| global(&w[0]) >= global(&w[1])),
        "{rep}"
    );
    let anchor_entry = publishers
        .iter()
        .find(|p| p["peer_id"] == net.anchor.peer_id.as_str())
        .unwrap_or_else(|| panic!("{rep}"));
    // Pre-trusted: it keeps at least about α = 0.15 of the mass.
    assert!(global(anchor_entry) > 0.1, "{rep}");

    // Reputation feeds peer scoring: the anchor scores m3 (alone against m1 and m2)
    // below m2, and gossipsub sees it.
    wait_until(10, "reputation reaches peer scores", || async {
        let s = common::net::status(&anchor).await;
        let peer = |id: &str| {
            s["peers"]
                .as_array()
                .and_then(|a| a.iter().find(|p| p["peer_id"] == id).cloned())
        };
        match (peer(&net.members[1].peer_id), peer(&net.members[2].peer_id)) {
            (Some(m2p), Some(m3p)) => {
                let rep = |p: &Value| p["reputation"].as_f64().unwrap_or(0.0);
                rep(&m2p) > rep(&m3p)
                    && m3p["gossip_score"]
                        .as_f64()
                        .is_some_and(|g| g <= rep(&m3p) + 1.0)
            }
            _ => false,
        }
    })
    .await;

    // Offline: the stopped node explains from its store.
    net.anchor.daemon.take().unwrap().terminate();
    let (code_cli, out, err) = common::shoal(&["explain", "--data-dir", net.anchor.d(), &y_id]);
    assert_eq!(code_cli, 0, "{err}");
    assert!(out.contains("refuted by"), "{out}");
}
