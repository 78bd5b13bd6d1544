//! Provenance across processes: a member's data directory cloned onto a "second
//! machine" (a copy run as its own process with the same key) and both copies
//! publishing different items is detected by every node as an equivocation, with a
//! proof that verifies offline, and the publisher's items are flagged.

mod common;

use std::time::Instant;

use common::net::{intel, publish, wait_until, Net};
use common::{indicator, Daemon};
use shoal_protocol::provenance::EquivocationProof;

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloned_data_directory_publishing_twice_is_caught_by_every_node() {
    let mut net = Net::create(&[
        ("m1", &["energy"]),
        ("m2", &["energy"]),
        ("m3", &["energy"]),
    ]);
    net.start_all(2).await;
    let m1 = net.members[0].api();
    assert_eq!(
        publish(&m1, vec![indicator(1, 1)], 1, "energy", "amber").await,
        1
    );
    // Clone m1's data directory while it is stopped, then run both copies.
    net.members[0].daemon.take().unwrap().terminate();
    let clone_dir = net.tmp.path().join("m1-clone");
    copy_dir(&net.members[0].dir, &clone_dir);
    for f in ["api.addr", "p2p.addr"] {
        let _ = std::fs::remove_file(clone_dir.join(f));
    }
    net.start_member(0);
    let boot = net.bootstrap();
    let clone = Daemon::start_with(&clone_dir, &["--bootstrap", &boot]);
    assert_eq!(
        clone.peer_id, net.members[0].peer_id,
        "same key, same peer id"
    );
    common::net::wait_admitted_peers(&clone.client(), 1).await;
    // Both copies publish their next item: two different envelopes at ledger index 1.
    let m1 = net.members[0].api();
    let started = Instant::now();
    assert_eq!(
        publish(&m1, vec![indicator(2, 2)], 2, "energy", "amber").await,
        1
    );
    assert_eq!(
        publish(&clone.client(), vec![indicator(3, 3)], 3, "energy", "amber").await,
        1
    );
    let publisher = net.members[0].peer_id.clone();
    for node in [&net.anchor, &net.members[1], &net.members[2]] {
        let api = node.api();
        wait_until(
            10,
            &format!("{} detects the equivocation", node.name),
            || async {
                let v: serde_json::Value =
                    api.get("/api/v1/misbehaviour").await.json().await.unwrap();
                v["equivocations"].as_array().is_some_and(|a| {
                    a.iter()
                        .any(|e| e["publisher_peer_id"] == publisher.as_str())
                })
            },
        )
        .await;
        eprintln!("{} detected it after {:?}", node.name, started.elapsed());
        // The proof verifies offline, from its JSON alone.
        let v: serde_json::Value = api.get("/api/v1/misbehaviour").await.json().await.unwrap();
        for e in v["equivocations"].as_array().unwrap() {
            let proof = EquivocationProof::from_json(&e["proof"].to_string()).unwrap();
            let summary = proof.verify(1 << 20).expect("the proof verifies offline");
            assert_eq!(proof.publisher.peer_id().unwrap().to_string(), publisher);
            eprintln!("  {} proof: {:?}", node.name, summary.kind);
        }
        // The publisher's items are flagged.
        let items = intel(&api, &format!("publisher={publisher}")).await;
        assert!(!items.is_empty());
        assert!(items.iter().all(|i| i["equivocating"] == true), "{items:?}");
    }
    // The CLI lists it too, from the stopped node's store.
    let m2 = net.members[1].daemon.take().unwrap();
    m2.terminate();
    let (code, out, err) = common::shoal(&["misbehaviour", "--data-dir", net.members[1].d()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("EQUIVOCATION") && out.contains(&publisher),
        "{out}"
    );
    drop(clone);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anchor_cosigns_checkpoints_and_a_member_requiring_one_witness_sees_items_witnessed() {
    use shoal_crypto::cosignature::{WitnessPolicy, WitnessVerifier};
    let mut net = Net::create(&[("m1", &["energy"]), ("m2", &["energy"])]);
    let (code, out, err) = common::shoal(&["id", "--data-dir", net.anchor.d(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let id: serde_json::Value = serde_json::from_str(&out).unwrap();
    let wkey = id["witness_key"].as_str().unwrap().to_string();
    // m2 requires 1 of 1 (the anchor); m1 trusts it too, so it keeps the cosignatures of
    // its own checkpoints.
    for (i, min) in [(0usize, 0usize), (1, 1)] {
        let w = wkey.clone();
        common::configure(&net.members[i].dir, move |c| {
            c.provenance.witnesses = vec![w];
            c.provenance.min_witnesses = min;
        });
    }
    net.start_all(1).await;
    let m1 = net.members[0].api();
    assert_eq!(
        publish(
            &m1,
            (0..5).map(|n| indicator(n, 5)).collect(),
            5,
            "energy",
            "amber"
        )
        .await,
        5
    );
    let publisher = net.members[0].peer_id.clone();
    let m2 = net.members[1].api();
    wait_until(20, "m2 sees m1's items as witnessed", || async {
        let items = intel(&m2, &format!("publisher={publisher}")).await;
        items.len() == 5 && items.iter().all(|i| i["witnessed"] == true)
    })
    .await;
    let policy = WitnessPolicy::new(vec![WitnessVerifier::parse(&wkey).unwrap()], 1).unwrap();
    // The member's own checkpoint now carries the anchor's cosignature...
    wait_until(20, "m1's checkpoint is cosigned", || async {
        let text = m1
            .get("/api/v1/ledger/checkpoint")
            .await
            .text()
            .await
            .unwrap();
        shoal_crypto::Note::parse(&text)
            .map(|n| policy.check(&n).is_ok())
            .unwrap_or(false)
    })
    .await;
    // ...and so does the copy m2 serves for m1's log.
    let text = m2
        .get(&format!("/api/v1/logs/{publisher}/checkpoint"))
        .await
        .text()
        .await
        .unwrap();
    let note = shoal_crypto::Note::parse(&text).unwrap();
    let found = policy.check(&note).expect("witnessed checkpoint");
    assert_eq!(found.len(), 1);
    // The anchor counted its cosignatures; m1's ledger still verifies with the extra lines.
    let anchor = net.anchor.api();
    wait_until(5, "the anchor's status counts its cosignatures", || async {
        let s = common::net::status(&anchor).await;
        s["counters"]["cosigned"].as_u64().unwrap_or(0) >= 1
    })
    .await;
    // m1 pushes its checkpoints to the anchor (C2SP add-checkpoint) and gets the
    // cosignature back directly.
    wait_until(
        10,
        "m1 pushed its checkpoint and got a cosignature",
        || async {
            let a = common::net::status(&anchor).await;
            let m = common::net::status(&m1).await;
            a["counters"]["witness_requests"].as_u64().unwrap_or(0) >= 1
                && m["counters"]["own_cosignatures"].as_u64().unwrap_or(0) >= 1
        },
    )
    .await;
    // The log grows: the anchor cosigns the new checkpoint only after an RFC 9162
    // consistency proof from the one it cosigned before.
    assert_eq!(
        publish(
            &m1,
            (5..8).map(|n| indicator(n, 5)).collect(),
            5,
            "energy",
            "amber"
        )
        .await,
        3
    );
    wait_until(20, "m2 sees the new items witnessed too", || async {
        let items = intel(&m2, &format!("publisher={publisher}")).await;
        items.len() == 8 && items.iter().all(|i| i["witnessed"] == true)
    })
    .await;
    wait_until(
        10,
        "the anchor cosigned with a consistency proof",
        || async {
            let a = common::net::status(&anchor).await;
            a["counters"]["cosigned_with_proof"].as_u64().unwrap_or(0) >= 1
                && a["counters"]["witness_refusals"].as_u64().unwrap_or(0) == 0
        },
    )
    .await;
    let r = m1
        .http
        .post(format!("{}/api/v1/ledger/verify", m1.base))
        .bearer_auth(&m1.token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());

    // An item m2 received carries a proof that verifies offline with `shoal verify`...
    let proof = m2
        .get(&format!("/api/v1/intel/{publisher}/2/proof"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let entry = m2
        .get(&format!("/api/v1/intel/{publisher}/2/entry"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let dir = net.tmp.path().join("offline");
    std::fs::create_dir_all(&dir).unwrap();
    let (pf, ef) = (dir.join("proof.txt"), dir.join("entry.bin"));
    std::fs::write(&pf, &proof).unwrap();
    std::fs::write(&ef, &entry).unwrap();
    let verify = |p: &std::path::Path, e: &std::path::Path| {
        common::shoal(&[
            "verify",
            p.to_str().unwrap(),
            e.to_str().unwrap(),
            "--witness",
            &wkey,
            "--min-witnesses",
            "1",
        ])
    };
    let (code, out, err) = verify(&pf, &ef);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("VERIFIED") && out.contains("cosigned by witness"),
        "{out}"
    );
    // m2 audits m1's whole replicated log: entries, signatures, checkpoint history.
    let (code, out, err) = common::shoal(&[
        "ledger",
        "audit",
        "--data-dir",
        net.members[1].d(),
        "--publisher",
        &publisher,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ok: 8 leaves (8 entries"), "{out}");
    // The STIX export carries the same proof in Shoal's provenance extension and verifies
    // offline; a changed object or proof does not.
    let bundle: serde_json::Value = m2
        .get(&format!("/api/v1/intel/{publisher}/2/stix"))
        .await
        .json()
        .await
        .unwrap();
    use shoal_protocol::stix::provenance::EXTENSION_ID;
    let objects = bundle["objects"].as_array().unwrap();
    assert_eq!(objects[1]["type"], "extension-definition");
    let ext = &objects[2]["extensions"][EXTENSION_ID];
    assert_eq!(ext["witnessed"], true, "{bundle}");
    assert_eq!(ext["ledger_index"], 2);
    assert_eq!(ext["publisher_peer_id"], publisher.as_str());
    let sf = dir.join("export.json");
    let verify_stix = |b: &serde_json::Value| {
        std::fs::write(&sf, b.to_string()).unwrap();
        common::shoal(&[
            "verify",
            "--stix",
            sf.to_str().unwrap(),
            "--witness",
            &wkey,
            "--min-witnesses",
            "1",
        ])
    };
    let (code, out, err) = verify_stix(&bundle);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("VERIFIED") && out.contains("cosigned by witness"),
        "{out}"
    );
    let mut changed = bundle.clone();
    changed["objects"][2]["pattern"] = serde_json::json!("[ipv4-addr:value = '192.0.2.1']");
    let (code, out, _) = verify_stix(&changed);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("differs from the one the publisher signed"),
        "{out}"
    );
    let mut bad_proof = bundle.clone();
    let text = ext["tlog_proof"].as_str().unwrap().to_string();
    let flipped = text.replacen(
        "c2sp.org/tlog-proof@v1\nindex 2",
        "c2sp.org/tlog-proof@v1\nindex 3",
        1,
    );
    assert_ne!(flipped, text);
    bad_proof["objects"][2]["extensions"][EXTENSION_ID]["tlog_proof"] = serde_json::json!(flipped);
    let (code, out, _) = verify_stix(&bad_proof);
    assert_eq!(code, 1, "{out}");
    // ...and is rejected, naming what failed, after flipping any single byte of the proof
    // or of the entry.
    let (bad_p, bad_e) = (dir.join("bad-proof.txt"), dir.join("bad-entry.bin"));
    std::fs::write(&bad_e, &entry).unwrap();
    for i in 0..proof.len() {
        let mut b = proof.clone();
        b[i] ^= 0x01;
        std::fs::write(&bad_p, &b).unwrap();
        let (code, out, _) = verify(&bad_p, &bad_e);
        assert_ne!(code, 0, "flipping proof byte {i} still verified: {out}");
    }
    std::fs::write(&bad_p, &proof).unwrap();
    for i in 0..entry.len() {
        let mut b = entry.clone();
        b[i] ^= 0x01;
        std::fs::write(&bad_e, &b).unwrap();
        let (code, out, _) = verify(&bad_p, &bad_e);
        assert_ne!(code, 0, "flipping entry byte {i} still verified: {out}");
        assert!(out.contains("NOT VERIFIED") || code == 2, "{out}");
    }
}

/// A clone whose history forks below every checkpoint size a node verified: the node
/// verified the original up to 5, was offline while the clone (forked at 3) published
/// up to 7, and on its return only fetches leaves 5..7, which do not reproduce the
/// clone's checkpoint. No two checkpoints share a size and no two envelopes meet at an
/// index, so the node fetches the other branch and proves the fork by inclusion proofs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_below_the_verified_size_is_proven_by_inclusion() {
    let mut net = Net::create(&[("m1", &["energy"]), ("m2", &["energy"])]);
    net.start_all(1).await;
    let publisher = net.members[0].peer_id.clone();
    let m1 = net.members[0].api();
    assert_eq!(
        publish(
            &m1,
            (0..3).map(|n| indicator(n, 1)).collect(),
            1,
            "energy",
            "amber"
        )
        .await,
        3
    );
    let m2 = net.members[1].api();
    wait_until(10, "m2 verified 3", || async {
        common::net::verified_size(&m2, &publisher).await == 3
    })
    .await;
    // Copy the directory at size 3, then the original grows to 5.
    net.members[0].daemon.take().unwrap().terminate();
    let clone_dir = net.tmp.path().join("m1-clone");
    copy_dir(&net.members[0].dir, &clone_dir);
    for f in ["api.addr", "p2p.addr"] {
        let _ = std::fs::remove_file(clone_dir.join(f));
    }
    net.start_member(0);
    let m1 = net.members[0].api();
    assert_eq!(
        publish(
            &m1,
            (3..5).map(|n| indicator(n, 2)).collect(),
            2,
            "energy",
            "amber"
        )
        .await,
        2
    );
    wait_until(10, "m2 verified 5", || async {
        common::net::verified_size(&m2, &publisher).await == 5
    })
    .await;
    net.members[0].daemon.take().unwrap().terminate();
    net.members[1].daemon.take().unwrap().terminate();
    // The clone (size 3) publishes four items of its own while m2 is away.
    let boot = net.bootstrap();
    let clone = Daemon::start_with(&clone_dir, &["--bootstrap", &boot]);
    common::net::wait_admitted_peers(&clone.client(), 1).await;
    assert_eq!(
        publish(
            &clone.client(),
            (10..14).map(|n| indicator(n, 3)).collect(),
            3,
            "energy",
            "amber"
        )
        .await,
        4
    );
    // m2 returns and learns the clone's checkpoint of size 7.
    net.start_member(1);
    let m2 = net.members[1].api();
    let started = Instant::now();
    wait_until(15, "m2 proves the fork", || async {
        let v: serde_json::Value = m2.get("/api/v1/misbehaviour").await.json().await.unwrap();
        v["equivocations"].as_array().is_some_and(|a| {
            a.iter()
                .any(|e| e["publisher_peer_id"] == publisher.as_str() && e["kind"] == "inclusion")
        })
    })
    .await;
    eprintln!("m2 proved the fork after {:?}", started.elapsed());
    let v: serde_json::Value = m2.get("/api/v1/misbehaviour").await.json().await.unwrap();
    let e = v["equivocations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "inclusion")
        .unwrap()
        .clone();
    let proof = EquivocationProof::from_json(&e["proof"].to_string()).unwrap();
    let summary = proof.verify(1 << 20).expect("the proof verifies offline");
    assert_eq!(
        summary.index,
        Some(3),
        "the first index the branches disagree on"
    );
    let sizes = summary.sizes.unwrap();
    assert!(sizes == (5, 7) || sizes == (7, 5), "{sizes:?}");
    let items = intel(&m2, &format!("publisher={publisher}")).await;
    assert!(items.iter().all(|i| i["equivocating"] == true), "{items:?}");
    drop(clone);
}
