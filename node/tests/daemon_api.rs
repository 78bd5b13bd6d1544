//! End to end through the real daemon: publish, per-object results, proofs that
//! verify offline with the C2SP formats, consistency across checkpoints, restarts,
//! clean shutdown, authentication and precise API errors.

mod common;

use base64::Engine;
use common::*;
use shoal_crypto::{merkle, Checkpoint, TlogProof};

const POISON_IVY: &[u8] = include_bytes!("data/poison-ivy.json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_prove_restart_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "acme");
    let verifier = verifier(&dir);
    let node = Daemon::start(&dir);
    let api = node.client();

    // Publish: three valid objects, one with a broken pattern.
    let resp = api.publish(POISON_IVY.to_vec()).await;
    assert_eq!(resp.status(), 200);
    let report: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(report["appended"], 3, "{report}");
    assert_eq!(report["rejected"], 1, "{report}");
    let results = report["results"].as_array().unwrap();
    assert_eq!(results[3]["status"], "rejected");
    assert!(
        results[3]["error"].as_str().unwrap().contains("pattern"),
        "{report}"
    );
    let leaf0 = results[0]["leaf_hash"].as_str().unwrap().to_string();

    // Publishing the same bundle again logs nothing new.
    let again: serde_json::Value = api.publish(POISON_IVY.to_vec()).await.json().await.unwrap();
    assert_eq!(again["appended"], 0);
    assert_eq!(again["duplicates"], 3);

    // Entry bytes: leaf hash matches, envelope verifies and keeps the custom property.
    let entry = api
        .get("/api/v1/ledger/entries/0")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(hex::encode(shoal_crypto::hash::leaf_hash(&entry)), leaf0);
    let env = shoal_protocol::Envelope::decode_verified(&entry, 1 << 20).unwrap();
    assert_eq!(env.body.ledger_index, 0);
    assert_eq!(
        env.object_json().unwrap()["x_acme_campaign_tag"],
        "kept-as-is"
    );

    // tlog-proof verifies against the signed checkpoint.
    let cp1 = api.checkpoint_covering(3).await;
    let (cp1, _) = Checkpoint::open(&cp1, &verifier).unwrap();
    assert_eq!(cp1.size, 3);
    let proof_text = api
        .get("/api/v1/ledger/proof/0")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        proof_text.starts_with("c2sp.org/tlog-proof@v1\n"),
        "{proof_text}"
    );
    let proof = TlogProof::parse(&proof_text).unwrap();
    let cp = proof.verify(&entry, &verifier).unwrap();
    assert_eq!(cp.size, 3);
    // The same proof does not verify another entry.
    let entry1 = api
        .get("/api/v1/ledger/entries/1")
        .await
        .bytes()
        .await
        .unwrap();
    assert!(proof.verify(&entry1, &verifier).is_err());

    // Grow the log, then a consistency proof links the two checkpoints.
    let more: Vec<_> = (0..10).map(|i| indicator(i, 1)).collect();
    let r: serde_json::Value = api.publish(bundle(more, 1)).await.json().await.unwrap();
    assert_eq!(r["appended"], 10, "{r}");
    let cp2 = api.checkpoint_covering(13).await;
    let (cp2, _) = Checkpoint::open(&cp2, &verifier).unwrap();
    let text = api
        .get(&format!(
            "/api/v1/ledger/consistency?old=3&new={}",
            cp2.size
        ))
        .await
        .text()
        .await
        .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let hashes: Vec<[u8; 32]> = text
        .lines()
        .map(|l| b64.decode(l).unwrap().try_into().unwrap())
        .collect();
    merkle::verify_consistency(3, cp2.size, &cp1.root, &cp2.root, &hashes).unwrap();
    // An old proof can still be asked for against the first checkpoint.
    let old = api
        .get("/api/v1/ledger/proof/1?size=3")
        .await
        .text()
        .await
        .unwrap();
    TlogProof::parse(&old)
        .unwrap()
        .verify(&entry1, &verifier)
        .unwrap();

    // Online verification through the CLI while the node runs.
    let d = dir.to_str().unwrap();
    let (code, out, err) = shoal(&["ledger", "--data-dir", d, "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ok: 13 entries"), "{out}");

    // Clean shutdown on SIGTERM, then offline verification and a restart.
    let status = node.terminate();
    assert!(status.success(), "{status:?}");
    let (code, out, err) = shoal(&["ledger", "--data-dir", d, "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ok: 13 entries"), "{out}");
    let (code, out, _) = shoal(&["ledger", "--data-dir", d, "proof", "0"]);
    assert_eq!(code, 0);
    TlogProof::parse(&out)
        .unwrap()
        .verify(&entry, &verifier)
        .unwrap();

    let node = Daemon::start(&dir);
    let api = node.client();
    let entry_after = api
        .get("/api/v1/ledger/entries/0")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(entry_after, entry);
    let status: serde_json::Value = api.get("/api/v1/ledger/status").await.json().await.unwrap();
    assert_eq!(status["size"], 13);
    // Proofs from before the restart still verify against the new checkpoint's history.
    let r: serde_json::Value = api
        .publish(bundle(vec![indicator(99, 2)], 2))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["results"][0]["ledger_index"], 13, "{r}");
    let cp3 = api.checkpoint_covering(14).await;
    let (cp3, _) = Checkpoint::open(&cp3, &verifier).unwrap();
    let text = api
        .get("/api/v1/ledger/consistency?old=13&new=14")
        .await
        .text()
        .await
        .unwrap();
    let hashes: Vec<[u8; 32]> = text
        .lines()
        .map(|l| b64.decode(l).unwrap().try_into().unwrap())
        .collect();
    merkle::verify_consistency(13, 14, &cp2.root, &cp3.root, &hashes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_rejects_bad_requests_precisely_and_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = init_node(tmp.path(), "errs");
    let node = Daemon::start(&dir);
    let api = node.client();
    let http = reqwest::Client::new();

    // No token, wrong token.
    let r = http
        .get(node.url("/api/v1/ledger/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Authorization"));
    let r = http
        .get(node.url("/api/v1/ledger/status"))
        .bearer_auth("wrong-token-wrong-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Malformed JSON, not STIX, a wrong content type, a huge body.
    let r = api.publish(b"{ not json".to_vec()).await;
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid STIX input");
    let r = api.publish(b"[1,2,3]".to_vec()).await;
    assert_eq!(r.status(), 400);
    let r = api
        .http
        .post(node.url("/api/v1/publish"))
        .bearer_auth(&api.token)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    // A body over api.max_body_bytes (8 MiB) is refused from its Content-Length alone.
    // Raw HTTP so the check does not race with the client still sending the body.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(&node.addr).await.unwrap();
        let req = format!(
            "POST /api/v1/publish HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            api.token,
            9 << 20
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut head = vec![0u8; 64];
        let n = s.read(&mut head).await.unwrap();
        let head = String::from_utf8_lossy(&head[..n]);
        assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    }
    // Every object invalid → 422 with per-object reasons.
    let bad = serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--not-a-uuid"});
    let r = api.publish(serde_json::to_vec(&bad).unwrap()).await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["results"][0]["status"], "rejected");

    // TLP:RED never enters the ledger.
    let mut red = indicator(1, 9);
    red["object_marking_refs"] =
        serde_json::json!(["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]);
    let r = api.publish(serde_json::to_vec(&red).unwrap()).await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["results"][0]["error"]
            .as_str()
            .unwrap()
            .contains("RED"),
        "{body}"
    );

    // Bad paths and parameters.
    for (path, code) in [
        ("/api/v1/ledger/entries/abc", 400),
        ("/api/v1/ledger/entries/-1", 400),
        ("/api/v1/ledger/entries/99999", 404),
        ("/api/v1/ledger/proof/0?size=zz", 400),
        ("/api/v1/ledger/proof/5", 404),
        ("/api/v1/ledger/consistency?old=2&new=1", 400),
        ("/api/v1/ledger/consistency?old=1", 400),
        ("/api/v1/ledger/consistency?old=1&new=500", 404),
        ("/api/v1/../../etc/passwd", 404),
        ("/nope", 404),
    ] {
        let r = api.get(path).await;
        assert_eq!(r.status().as_u16(), code, "{path}");
        let body: serde_json::Value = r.json().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    // Path traversal sent raw (no client-side normalisation), encoded and not: never
    // a file, always a precise JSON 4xx.
    for path in [
        "/api/v1/../../etc/passwd",
        "/api/v1/ledger/entries/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/v1/logs/..%2F..%2Fetc%2Fpasswd/checkpoint",
        "/api/v1/intel/%2e%2e%2f%2e%2e/0/proof",
        "/taxii2/..%2F..%2Fetc/passwd/",
        "/api/v1/ledger/entries/0%00.json",
    ] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(&node.addr).await.unwrap();
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Accept: application/json\r\nConnection: close\r\n\r\n",
            api.token
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).await.unwrap();
        let resp = String::from_utf8_lossy(&resp);
        let code: u16 = resp[9..12].parse().unwrap();
        assert!((400..500).contains(&code), "{path}: {resp}");
        assert!(!resp.contains("root:"), "{path} served a file: {resp}");
    }
    // Malformed JSON on the other write endpoints.
    for path in ["/api/v1/revocations", "/api/v1/peers/not-a-peer-id/block"] {
        let r = api
            .http
            .post(node.url(path))
            .bearer_auth(&api.token)
            .header("content-type", "application/json")
            .body("{\"truncated\": ")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{path}: {}", r.status());
    }
    let r = api
        .http
        .delete(node.url("/api/v1/ledger/checkpoint"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);

    // Still serving.
    let r = api.publish(bundle(vec![indicator(5, 5)], 5)).await;
    assert_eq!(r.status(), 200);
    let status: serde_json::Value = api.get("/api/v1/ledger/status").await.json().await.unwrap();
    assert_eq!(status["size"], 1);
}
