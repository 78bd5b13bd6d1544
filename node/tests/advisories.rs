//! Emergency response across real `shoal node` processes: an anchor publishes a critical
//! advisory with a CACAO playbook; every running member receives it; two members
//! acknowledge (with a note whose internal address and host name never leave them); the
//! anchor sees both acknowledgements with verified signatures and tlog-proofs that verify
//! offline; a member that was down receives the advisory on restart (sync); a malformed
//! playbook is refused with the precise defect; an ack regression is refused; a critical
//! advisory past its deadline without a final ack is overdue (list flag and metric) until
//! acknowledged. The CLI does the same through the running node.

mod common;
#[path = "common/hostile.rs"]
mod hostile_peer;

use std::path::PathBuf;
use std::time::Instant;

use common::net::{status, wait_admitted_peers, wait_until, Net};
use common::Api;
use hostile_peer::{signed_envelope, HostilePeer};
use libp2p::PeerId;
use serde_json::{json, Value};
use shoal_node::net::topics;
use shoal_protocol::Tlp;

const COMMUNITY: &str = "ot-energy";
const SECRET_IP: &str = "10.20.30.40";
const SECRET_HOST: &str = "ews01.plant.internal";

fn data(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../protocol/tests/data/advisory")
        .join(name);
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

async fn post(api: &Api, path: &str, body: &Value) -> (u16, Value) {
    let r = api
        .http
        .post(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get_json(api: &Api, path: &str) -> Value {
    api.get(path).await.json().await.unwrap()
}

async fn listed(api: &Api, id: &str) -> Option<Value> {
    let v = get_json(api, "/api/v1/advisories").await;
    v["advisories"]
        .as_array()?
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
}

async fn metric(api: &Api, name: &str) -> Option<f64> {
    let text = api.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn advisories_reach_members_and_acknowledgements_reach_the_anchor() {
    let started = Instant::now();
    let mut net = Net::create(&[
        ("m1", &[COMMUNITY]),
        ("m2", &[COMMUNITY]),
        ("m3", &[COMMUNITY]),
    ]);
    for m in &net.members {
        common::configure(&m.dir, |c| {
            c.privacy.desensitize.internal_domains = vec!["plant.internal".into()];
        });
    }
    // The anchor vouches for m1's and m2's sector and region in their certificates.
    net.admit_with(
        &net.members[0].dir,
        &[COMMUNITY],
        &["--sector", "energy", "--region", "north"],
    );
    net.admit_with(
        &net.members[1].dir,
        &[COMMUNITY],
        &["--sector", "water", "--region", "south"],
    );
    // m1 is an energy operator in the north: the advisories below concern it.
    common::configure(&net.members[0].dir, |c| {
        c.privacy.dp.member_sector = Some("energy".into());
        c.privacy.dp.member_region = Some("north".into());
    });
    net.start_all(1).await;
    let anchor = net.anchor.api();
    let (m1, m2) = (net.members[0].api(), net.members[1].api());
    // m3 is down when the advisory is published.
    net.members[2].daemon.take().unwrap().kill9();

    // A malformed playbook is refused with the precise defect.
    let mut bad = data("advisory.json");
    bad["playbook"] = data("malformed/dangling-on-success.json");
    let (code, v) = post(&anchor, "/api/v1/advisories", &bad).await;
    assert_eq!(code, 422, "{v}");
    let err = v["error"].as_str().unwrap();
    assert!(
        err.contains(
            "playbook.workflow[\"action--7fd86c0d-afc9-4719-9cbc-c67908cce240\"].on_success: \
             references \"action--6b1e3f0a-2c4d-4e5f-8a9b-0c1d2e3f4a5b\" which is not a step"
        ),
        "{err}"
    );

    // The anchor publishes the critical advisory with its CACAO playbook (created and
    // modified filled by the node, deadline tomorrow).
    let mut adv = data("advisory.json");
    let id = adv["id"].as_str().unwrap().to_owned();
    let map = adv.as_object_mut().unwrap();
    map.remove("created");
    map.remove("modified");
    map.insert(
        "deadline".into(),
        shoal_node::advisory::compose::stix_time(now_ms() + 86_400_000).into(),
    );
    let (code, v) = post(&anchor, "/api/v1/advisories?tlp=green", &adv).await;
    assert_eq!(code, 201, "{v}");
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["community"], COMMUNITY);
    assert_eq!(v["authoritative"], true);

    // Every running member receives it, authoritative, with its playbook.
    for api in [&m1, &m2] {
        wait_until(30, "a member receives the advisory", || async {
            listed(api, &id).await.is_some()
        })
        .await;
        let line = listed(api, &id).await.unwrap();
        assert_eq!(line["severity"], "critical");
        assert_eq!(line["authoritative"], true, "{line}");
        assert_eq!(line["overdue"], false);
        let full = get_json(api, &format!("/api/v1/advisories/{id}")).await;
        assert_eq!(full["playbook"]["type"], "playbook");
        assert_eq!(full["ledger"]["signature_verified"], true);
    }
    assert_eq!(listed(&m1, &id).await.unwrap()["concerns_me"], true);
    // It travelled on the priority topic: the anchor's gossip published it (nothing else
    // was published before) and no member rejected a message.
    wait_until(10, "the anchor gossips the advisory", || async {
        status(&anchor).await["counters"]["published"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    })
    .await;
    for api in [&m1, &m2] {
        let c = &status(api).await["counters"];
        assert_eq!(c["gossip_rejected"], 0, "{c}");
    }
    eprintln!(
        "members received the advisory after {:?}",
        started.elapsed()
    );

    // Two members acknowledge; m1 in two steps, with a note naming internal assets.
    let note = format!("Blocked at {SECRET_IP}; reviewing {SECRET_HOST}");
    let ack = |status: &str, note: Option<&str>| json!({ "status": status, "note": note });
    let path = format!("/api/v1/advisories/{id}/ack");
    let (code, v) = post(&m1, &path, &ack("assessing", Some(&note))).await;
    assert_eq!(code, 201, "{v}");
    let (code, v) = post(&m1, &path, &ack("mitigated", Some("Workstations reimaged"))).await;
    assert_eq!(code, 201, "{v}");
    assert_eq!(v["previous"], "assessing");
    // Statuses only move forward.
    let (code, v) = post(&m1, &path, &ack("assessing", None)).await;
    assert_eq!(code, 409, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("cannot follow"),
        "{v}"
    );
    let (code, v) = post(&m2, &path, &ack("not_affected", Some(&note))).await;
    assert_eq!(code, 201, "{v}");
    let (code, v) = post(&m2, &path, &ack("finished", None)).await;
    assert_eq!(code, 422, "{v}");
    let (code, _) = post(
        &m2,
        "/api/v1/advisories/x-shoal-advisory--00000000-0000-4000-8000-000000000000/ack",
        &ack("received", None),
    )
    .await;
    assert_eq!(code, 404);

    // The anchor sees both acknowledgements, pseudonymous, signed, provable.
    let show = format!("/api/v1/advisories/{id}");
    wait_until(
        30,
        "the anchor sees both final acknowledgements",
        || async {
            let v = get_json(&anchor, &show).await;
            let acks = v["acknowledgements"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            acks.len() == 2
                && acks
                    .iter()
                    .all(|a| a["status"] == "mitigated" || a["status"] == "not_affected")
        },
    )
    .await;
    let v = get_json(&anchor, &show).await;
    assert_eq!(v["acks"]["mitigated"], 1);
    assert_eq!(v["acks"]["not_affected"], 1);
    let text = v.to_string();
    assert!(
        !text.contains(SECRET_IP),
        "the internal IP left the member: {text}"
    );
    assert!(
        !text.contains(SECRET_HOST),
        "the internal host left the member: {text}"
    );
    assert!(
        !text.contains("\"m1\"") && !text.contains("\"m2\""),
        "{text}"
    );
    let publishers = [
        net.members[0].public_key_hex(),
        net.members[1].public_key_hex(),
    ];
    let offline = net.tmp.path().join("offline");
    std::fs::create_dir_all(&offline).unwrap();
    for a in v["acknowledgements"].as_array().unwrap() {
        assert!(a["member"].as_str().unwrap().starts_with("m-"), "{a}");
        assert_eq!(a["communities"], json!([COMMUNITY]));
        assert_eq!(a["role"], "member");
        assert!(publishers.contains(&a["publisher"].as_str().unwrap().to_owned()));
        // The admitted sector and region, as the anchor vouched for them.
        let (sector, region) = if a["publisher"] == publishers[0].as_str() {
            ("energy", "north")
        } else {
            ("water", "south")
        };
        assert_eq!(
            (a["sector"].as_str(), a["region"].as_str()),
            (Some(sector), Some(region)),
            "{a}"
        );
        let history = a["history"].as_array().unwrap();
        let expect = if a["status"] == "mitigated" { 2 } else { 1 };
        assert_eq!(history.len(), expect, "{a}");
        for h in history {
            assert_eq!(h["signature_verified"], true, "{h}");
            let proof_url = h["proof"].as_str().unwrap().to_owned();
            let entry_url = proof_url.replace("/proof", "/entry");
            wait_until(30, "the ack's proof is available", || async {
                anchor.get(&proof_url).await.status() == 200
            })
            .await;
            let proof = anchor.get(&proof_url).await.text().await.unwrap();
            let entry = anchor.get(&entry_url).await.bytes().await.unwrap();
            let (pf, ef) = (
                offline.join(format!("{}.proof", h["ack_id"].as_str().unwrap())),
                offline.join(format!("{}.entry", h["ack_id"].as_str().unwrap())),
            );
            std::fs::write(&pf, &proof).unwrap();
            std::fs::write(&ef, &entry).unwrap();
            let (code, out, err) =
                common::shoal(&["verify", pf.to_str().unwrap(), ef.to_str().unwrap()]);
            assert_eq!(code, 0, "{out}{err}");
            assert!(out.contains("VERIFIED"), "{out}");
        }
    }
    eprintln!(
        "the anchor verified both acks after {:?}",
        started.elapsed()
    );

    // The member that was down receives the advisory on restart (sync).
    net.start_member(2);
    let m3 = net.members[2].api();
    wait_until(60, "the restarted member receives the advisory", || async {
        listed(&m3, &id).await.is_some()
    })
    .await;
    eprintln!("m3 received it after restart at {:?}", started.elapsed());

    // A critical advisory past its deadline without a final ack is overdue on m1 (in its
    // scope), not on m2 (no sector: outside the scope) nor on the anchor (its publisher).
    let deadline = now_ms() + 4_000;
    let urgent = json!({
        "severity": "critical",
        "title": "Drill: rotate OT VPN credentials",
        "description": "Rotate the shared OT VPN credentials and confirm.",
        "scope": { "sectors": ["energy"], "communities": [COMMUNITY] },
        "deadline": shoal_node::advisory::compose::stix_time(deadline),
        "drill": true,
    });
    let (code, v) = post(&anchor, "/api/v1/advisories", &urgent).await;
    assert_eq!(code, 201, "{v}");
    let urgent_id = v["id"].as_str().unwrap().to_owned();
    wait_until(30, "m1 is reminded of the overdue advisory", || async {
        listed(&m1, &urgent_id)
            .await
            .is_some_and(|a| a["overdue"] == true)
    })
    .await;
    assert!(now_ms() > deadline);
    wait_until(15, "the overdue gauge counts it", || async {
        metric(&m1, "shoal_advisories_overdue").await == Some(1.0)
    })
    .await;
    // ...and on the situation page, rendered by headless Chromium.
    if let Some(bin) = common::browser::chromium() {
        let d = net.members[0].daemon.as_ref().unwrap();
        let url = format!("{}#token={}", d.url("/situation"), d.token);
        let (dom, log) = common::browser::dump_dom(&bin, &url).await;
        let between = common::browser::between;
        let note = between(&dom, "id=\"advisories-note\"", "</span>").unwrap_or("");
        assert!(note.contains("1 overdue"), "{note}\n{log}");
        let table = between(&dom, "<table id=\"advisories\"", "</table>").unwrap_or("");
        let row = table
            .split("<tr")
            .find(|r| r.contains("Drill: "))
            .unwrap_or_else(|| panic!("no row for the drill: {table}"));
        assert!(
            row.contains(">overdue<") && row.contains("critical · drill"),
            "{row}"
        );
    } else {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
            "chromium is not installed (CI must install Debian's chromium package)"
        );
        eprintln!("page check skipped: chromium is not installed");
    }
    wait_until(30, "m2 receives the drill", || async {
        listed(&m2, &urgent_id).await.is_some()
    })
    .await;
    let on_m2 = listed(&m2, &urgent_id).await.unwrap();
    assert_eq!(on_m2["concerns_me"], false);
    assert_eq!(on_m2["overdue"], false);
    assert_eq!(listed(&anchor, &urgent_id).await.unwrap()["overdue"], false);
    assert_eq!(listed(&m1, &urgent_id).await.unwrap()["drill"], true);

    // The CLI, through the running node: list, show, and the final ack ends the reminder.
    let d1 = net.members[0].d().to_owned();
    let (code, out, err) = common::shoal(&["advisory", "list", "--data-dir", &d1]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&urgent_id) && out.contains("OVERDUE"), "{out}");
    let (code, out, err) = common::shoal(&["advisory", "show", &id, "--data-dir", &d1]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("mitigated") && out.contains("playbook"),
        "{out}"
    );
    let (code, out, err) = common::shoal(&[
        "advisory",
        "ack",
        &urgent_id,
        "--status",
        "mitigated",
        "--note",
        "rotated",
        "--data-dir",
        &d1,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = common::shoal(&[
        "advisory",
        "ack",
        &urgent_id,
        "--status",
        "assessing",
        "--data-dir",
        &d1,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot follow"), "{err}");
    assert_eq!(
        listed(&m1, &urgent_id).await.unwrap()["overdue"],
        false,
        "a final ack ends the reminder"
    );
    wait_until(15, "the overdue gauge drops", || async {
        metric(&m1, "shoal_advisories_overdue").await == Some(0.0)
    })
    .await;
    // Publishing from a file through the CLI, and a malformed one refused precisely.
    let file = net.tmp.path().join("advisory.json");
    let mut third = urgent.clone();
    third["title"] = "Patch the historian".into();
    third["severity"] = "high".into();
    third["deadline"] = shoal_node::advisory::compose::stix_time(now_ms() + 86_400_000).into();
    std::fs::write(&file, third.to_string()).unwrap();
    let da = net.anchor.d().to_owned();
    let (code, out, err) = common::shoal(&[
        "advisory",
        "publish",
        file.to_str().unwrap(),
        "--data-dir",
        &da,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("x-shoal-advisory--"), "{out}");
    std::fs::write(&file, bad.to_string()).unwrap();
    let (code, _, err) = common::shoal(&[
        "advisory",
        "publish",
        file.to_str().unwrap(),
        "--data-dir",
        &da,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("which is not a step"), "{err}");
    let (code, out, _) = common::shoal(&["advisory", "list", "--json", "--data-dir", &da]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["count"], 3, "{v}");
    eprintln!("done after {:?}", started.elapsed());
}

/// The priority topic follows the intel rules and carries only advisories and acks: an
/// admitted member's acknowledgement is accepted there, its ordinary indicator is a
/// wrong-topic offence.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_priority_topic_carries_only_advisories_and_acks() {
    let mut net = Net::create(&[("m1", &[COMMUNITY]), ("hx", &[COMMUNITY])]);
    net.start_anchor();
    net.start_member(0);
    let m1 = net.members[0].api();
    wait_admitted_peers(&m1, 1).await;
    let wanted = [
        topics::control(),
        topics::community(COMMUNITY),
        topics::advisories(COMMUNITY),
    ];
    let h = HostilePeer::from_member_dir(&net.members[1].dir, &wanted);
    let m1_addr = net.members[0].daemon.as_ref().unwrap().p2p.clone();
    let m1_id: PeerId = net.members[0].peer_id.parse().unwrap();
    h.dial(&m1_addr).await.expect("dial m1");
    let hx = h.peer_id.to_string();
    wait_until(30, "m1 admits hx", || async {
        status(&m1).await["peers"].as_array().is_some_and(|ps| {
            ps.iter()
                .any(|p| p["peer_id"] == hx.as_str() && p["admitted"] == true)
        })
    })
    .await;
    wait_until(30, "hx sees m1's subscriptions", || async {
        wanted.iter().all(|t| h.sees_subscription(&m1_id, t))
    })
    .await;

    // An acknowledgement signed by hx, on the priority topic: accepted.
    let ack = data("ack.json");
    let stix = shoal_protocol::stix::validate_object(ack, 0).unwrap();
    let body = shoal_protocol::EnvelopeBody::for_object(
        h.key.public(),
        0,
        hostile_peer::now_secs(),
        Tlp::Green,
        COMMUNITY,
        &stix,
    )
    .unwrap();
    let bytes = body.sign_encoded(&h.key).unwrap();
    let accepted = |s: &Value| s["counters"]["gossip_accepted"].as_u64().unwrap_or(0);
    let before = accepted(&status(&m1).await);
    h.publish(topics::advisories(COMMUNITY), bytes)
        .await
        .expect("publish the ack");
    wait_until(20, "m1 accepts the ack on the priority topic", || async {
        accepted(&status(&m1).await) > before
    })
    .await;

    // An ordinary indicator on the priority topic: refused, the sender charged.
    let item = signed_envelope(&h.key, 1, Tlp::Green, COMMUNITY, 1);
    h.publish(topics::advisories(COMMUNITY), item)
        .await
        .expect("publish the indicator");
    wait_until(20, "m1 charges a wrong-topic offence", || async {
        status(&m1).await["offences"]["wrong_topic"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    })
    .await;
}
