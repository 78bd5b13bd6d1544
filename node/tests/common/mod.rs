//! Shared helpers of the node's integration tests: create data directories with the
//! real `shoal` binary, start and stop real daemons on free loopback ports, and talk
//! to their API.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod browser;
pub mod net;

pub const SHOAL: &str = env!("CARGO_BIN_EXE_shoal");

/// Run `shoal ARGS`, returning (exit code, stdout, stderr).
pub fn shoal(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(SHOAL)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run shoal");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `shoal init` into `dir/name` with a loopback API on a free port.
pub fn init_node(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    let d = dir.to_str().unwrap();
    let (code, out, err) = shoal(&[
        "init",
        "--data-dir",
        d,
        "--name",
        name,
        "--api-listen",
        "127.0.0.1:0",
        "--p2p-listen",
        "/ip4/127.0.0.1/tcp/0",
    ]);
    assert_eq!(code, 0, "init failed: {out}{err}");
    dir
}

/// A running daemon; killed (SIGKILL) on drop if still running.
pub struct Daemon {
    pub child: Child,
    pub addr: String,
    pub token: String,
    pub dir: PathBuf,
    /// The readiness line's `p2p=` multiaddr (with `/p2p/<peer id>`), if any.
    pub p2p: String,
    /// The readiness line's `peer=` peer id.
    pub peer_id: String,
}

impl Daemon {
    /// Start `shoal node` on `dir` and wait for its readiness line.
    pub fn start(dir: &Path) -> Daemon {
        Self::start_with(dir, &[])
    }

    /// Start `shoal node` on `dir` with extra arguments.
    pub fn start_with(dir: &Path, extra: &[&str]) -> Daemon {
        let log = std::env::var("SHOAL_TEST_LOG").unwrap_or_else(|_| "warn".into());
        Self::spawn(dir, extra, &log, Stdio::inherit())
    }

    /// Start `shoal node` on `dir` with `extra` arguments, logging at `level` into `log`.
    #[allow(dead_code)]
    pub fn start_logged(dir: &Path, extra: &[&str], level: &str, log: &Path) -> Daemon {
        let file = std::fs::File::create(log).expect("log file");
        Self::spawn(dir, extra, level, Stdio::from(file))
    }

    fn spawn(dir: &Path, extra: &[&str], level: &str, stderr: Stdio) -> Daemon {
        let mut child = Command::new(SHOAL)
            .args(["node", "--data-dir", dir.to_str().unwrap()])
            .args(extra)
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn shoal node");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            while let Some(Ok(line)) = lines.next() {
                if let Some(rest) = line.strip_prefix("shoal node ready api=") {
                    let _ = tx.send(rest.to_string());
                }
            }
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                panic!("daemon did not become ready");
            }
        };
        let mut words = line.split_whitespace();
        let addr = words.next().unwrap_or("").to_string();
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(k))
                .unwrap_or("")
                .to_string()
        };
        let (p2p, peer_id) = (field("p2p="), field("peer="));
        let token = std::fs::read_to_string(dir.join("api.token"))
            .unwrap()
            .trim()
            .to_string();
        Daemon {
            child,
            addr,
            token,
            dir: dir.to_path_buf(),
            p2p,
            peer_id,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                return st;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("daemon did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// An authenticated HTTP client.
    pub fn client(&self) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: format!("http://{}", self.addr),
            token: self.token.clone(),
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Minimal API client for tests.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn publish(&self, body: Vec<u8>) -> reqwest::Response {
        self.http
            .post(format!("{}/api/v1/publish", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    /// Wait until a checkpoint covers at least `size` entries; returns the note.
    pub async fn checkpoint_covering(&self, size: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self
                .get("/api/v1/ledger/checkpoint")
                .await
                .text()
                .await
                .unwrap();
            let cp_size: u64 = text
                .lines()
                .nth(1)
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            if cp_size >= size {
                return text;
            }
            assert!(Instant::now() < deadline, "no checkpoint covering {size}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A STIX 2.1 indicator with a UUID derived from `n` and `salt`.
pub fn indicator(n: u64, salt: u64) -> serde_json::Value {
    let id = format!(
        "indicator--{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (salt & 0xffff_ffff) as u32,
        (n >> 48) & 0xffff,
        (n >> 36) & 0xfff,
        (n >> 24) & 0xfff,
        n & 0xffff_ffff_ffff
    );
    let a = (n >> 16) & 0xff;
    let b = (n >> 8) & 0xff;
    let c = n & 0xff;
    serde_json::json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": id,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("scanner {n}"),
        "pattern": format!("[ipv4-addr:value = '203.{a}.{b}.{c}']"),
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    })
}

/// A bundle of objects.
pub fn bundle(objects: Vec<serde_json::Value>, salt: u64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": "bundle",
        "id": format!("bundle--{:08x}-0000-4000-8000-000000000000", salt as u32),
        "objects": objects
    }))
    .unwrap()
}

/// The node's C2SP verifier, from `shoal id --json`.
pub fn verifier(dir: &Path) -> shoal_crypto::Verifier {
    let (code, out, err) = shoal(&["id", "--data-dir", dir.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    shoal_crypto::Verifier::parse(v["verifier_key"].as_str().unwrap()).unwrap()
}

/// Rewrite `dir`'s configuration with `edit`.
pub fn configure(dir: &Path, edit: impl FnOnce(&mut shoal_config::Config)) {
    let path = dir.join("shoal.toml");
    let mut cfg = shoal_config::Config::load(&path).unwrap();
    edit(&mut cfg);
    std::fs::write(&path, cfg.to_toml()).unwrap();
}

/// Every entry of a running node's ledger, in order.
pub async fn all_entries(api: &Api) -> Vec<Vec<u8>> {
    let status: serde_json::Value = api.get("/api/v1/ledger/status").await.json().await.unwrap();
    let size = status["size"].as_u64().unwrap();
    let mut out = Vec::new();
    for i in 0..size {
        let r = api.get(&format!("/api/v1/ledger/entries/{i}")).await;
        assert_eq!(r.status(), 200);
        out.push(r.bytes().await.unwrap().to_vec());
    }
    out
}

/// A STIX 2.1 sighting of `indicator` with a `count`.
pub fn sighting(n: u64, count: u64) -> serde_json::Value {
    serde_json::json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": format!("sighting--{:08x}-0000-4000-8000-{:012x}", n as u32, n),
        "created": "2026-03-01T10:17:23.456Z",
        "modified": "2026-03-01T10:17:23.456Z",
        "first_seen": "2026-03-01T09:05:00.000Z",
        "last_seen": "2026-03-01T09:55:00.000Z",
        "count": count,
        "sighting_of_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    })
}

/// A small logged item (`note--<n>`) for tests that drive the ledger directly.
pub fn note_item(n: u64) -> shoal_node::ledger::AppendRequest {
    let obj = format!(r#"{{"id":"note--{n}","type":"note"}}"#).into_bytes();
    shoal_node::ledger::AppendRequest {
        object_digest: shoal_crypto::hash::sha256(&obj),
        object: obj,
        tlp: shoal_protocol::Tlp::Green,
        community: "test".into(),
        published_at: 1_700_000_000,
        extensions: Vec::new(),
    }
}
