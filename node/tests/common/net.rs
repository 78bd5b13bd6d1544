//! A local Shoal network for multi-process tests: one anchor (a trust root) and members
//! admitted by it to chosen communities, each a real `shoal node` process on 127.0.0.1
//! with its own store, started with the anchor as bootstrap peer.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{configure, shoal, Api, Daemon};

/// One node of the test network.
pub struct Node {
    pub name: String,
    pub dir: PathBuf,
    pub daemon: Option<Daemon>,
    pub peer_id: String,
    /// Communities it is admitted to.
    pub communities: Vec<String>,
}

impl Node {
    /// The node's public key, hex (from its peer id).
    #[allow(dead_code)]
    pub fn public_key_hex(&self) -> String {
        let peer: libp2p::PeerId = self.peer_id.parse().expect("peer id");
        hex::encode(
            shoal_node::net::peer_key::public_key(&peer)
                .expect("ed25519 peer id")
                .0,
        )
    }

    pub fn api(&self) -> Api {
        self.daemon.as_ref().expect("node is running").client()
    }

    pub fn d(&self) -> &str {
        self.dir.to_str().unwrap()
    }
}

/// The network.
pub struct Net {
    pub tmp: tempfile::TempDir,
    pub anchor: Node,
    pub members: Vec<Node>,
    pub vkey: String,
}

/// Tight timings so tests converge quickly.
pub fn fast(cfg: &mut shoal_config::Config) {
    cfg.ledger.checkpoint_interval_ms = 100;
    cfg.network.sync_interval_ms = 500;
    cfg.network.heartbeat_ms = 200;
    cfg.network.sync_timeout_ms = 5000;
}

fn init(parent: &Path, name: &str, role: &str, extra: &[&str]) -> PathBuf {
    let dir = parent.join(name);
    let d = dir.to_str().unwrap();
    let mut args = vec![
        "init",
        "--data-dir",
        d,
        "--name",
        name,
        "--role",
        role,
        "--api-listen",
        "127.0.0.1:0",
        "--p2p-listen",
        "/ip4/127.0.0.1/tcp/0",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = shoal(&args);
    assert_eq!(code, 0, "init {name}: {out}{err}");
    configure(&dir, fast);
    dir
}

fn peer_id(dir: &Path) -> String {
    let (code, out, err) = shoal(&["id", "--data-dir", dir.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v["peer_id"].as_str().unwrap().to_string()
}

impl Net {
    /// Create (not start) an anchor and members `(name, communities)`.
    pub fn create(members: &[(&str, &[&str])]) -> Net {
        let tmp = tempfile::tempdir().unwrap();
        let adir = init(tmp.path(), "anchor", "anchor", &[]);
        let (code, out, err) = shoal(&["id", "--data-dir", adir.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{err}");
        let id: Value = serde_json::from_str(&out).unwrap();
        let vkey = id["verifier_key"].as_str().unwrap().to_string();
        configure(&adir, |c| c.network.trust_anchors = vec![vkey.clone()]);
        let anchor = Node {
            name: "anchor".into(),
            peer_id: id["peer_id"].as_str().unwrap().to_string(),
            dir: adir,
            daemon: None,
            communities: vec!["*".into()],
        };
        let mut net = Net {
            tmp,
            anchor,
            members: Vec::new(),
            vkey,
        };
        for (name, comms) in members {
            net.add_member(name, comms, true);
        }
        net
    }

    /// Create a member; `admit` false leaves it without a certificate.
    pub fn add_member(&mut self, name: &str, communities: &[&str], admit: bool) -> usize {
        let vkey = self.vkey.clone();
        let dir = init(self.tmp.path(), name, "member", &["--trust-anchor", &vkey]);
        if admit {
            self.admit(&dir, communities);
        }
        self.members.push(Node {
            name: name.into(),
            peer_id: peer_id(&dir),
            dir,
            daemon: None,
            communities: communities.iter().map(|c| c.to_string()).collect(),
        });
        self.members.len() - 1
    }

    /// Have the anchor admit the node at `dir` to `communities` (request, issue, install).
    pub fn admit(&self, dir: &Path, communities: &[&str]) {
        self.admit_with(dir, communities, &[]);
    }

    /// [`Self::admit`] with more `shoal admission issue` arguments (e.g. `--sector`).
    pub fn admit_with(&self, dir: &Path, communities: &[&str], issue_args: &[&str]) {
        let req = dir.join("request.json");
        let cert = dir.join("cert.json");
        let (c, _, e) = shoal(&[
            "admission",
            "request",
            "--data-dir",
            dir.to_str().unwrap(),
            "--out",
            req.to_str().unwrap(),
        ]);
        assert_eq!(c, 0, "{e}");
        let comms = communities.join(",");
        let mut args = vec![
            "admission",
            "issue",
            "--data-dir",
            self.anchor.d(),
            req.to_str().unwrap(),
            "--communities",
            &comms,
            "--out",
            cert.to_str().unwrap(),
        ];
        args.extend_from_slice(issue_args);
        let (c, _, e) = shoal(&args);
        assert_eq!(c, 0, "{e}");
        let (c, _, e) = shoal(&[
            "admission",
            "install",
            "--data-dir",
            dir.to_str().unwrap(),
            cert.to_str().unwrap(),
        ]);
        assert_eq!(c, 0, "{e}");
    }

    /// Start the anchor.
    pub fn start_anchor(&mut self) {
        self.anchor.daemon = Some(Daemon::start(&self.anchor.dir));
    }

    /// The anchor's bootstrap multiaddr.
    pub fn bootstrap(&self) -> String {
        self.anchor
            .daemon
            .as_ref()
            .expect("anchor runs")
            .p2p
            .clone()
    }

    /// Start member `i` with the anchor as bootstrap peer and `extra` arguments.
    pub fn start_member_with(&mut self, i: usize, extra: &[&str]) {
        let boot = self.bootstrap();
        let mut args = vec!["--bootstrap", boot.as_str()];
        args.extend_from_slice(extra);
        let d = Daemon::start_with(&self.members[i].dir, &args);
        self.members[i].daemon = Some(d);
    }

    pub fn start_member(&mut self, i: usize) {
        self.start_member_with(i, &[]);
    }

    /// Start the anchor and every member, and wait until each member is admitted by
    /// the anchor and connected to `min_peers` admitted peers.
    pub async fn start_all(&mut self, min_peers: usize) {
        self.start_anchor();
        for i in 0..self.members.len() {
            self.start_member(i);
        }
        for i in 0..self.members.len() {
            wait_admitted_peers(&self.members[i].api(), min_peers).await;
        }
    }
}

/// Poll `f` every 100 ms until it returns true; panic with `what` after `secs`.
pub async fn wait_until<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if f().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs} s: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The node's `/api/v1/peers` status.
pub async fn status(api: &Api) -> Value {
    api.get("/api/v1/peers").await.json().await.unwrap()
}

/// Wait until the node has at least `n` admitted peers.
pub async fn wait_admitted_peers(api: &Api, n: usize) {
    wait_until(30, &format!("{n} admitted peers"), || async {
        let s = status(api).await;
        s["peers"]
            .as_array()
            .map(|a| a.iter().filter(|p| p["admitted"] == true).count() >= n)
            .unwrap_or(false)
    })
    .await;
}

/// Every item the node received (`/api/v1/intel`, following `next`), optionally filtered
/// by a query string such as `publisher=<peer id>`.
pub async fn intel(api: &Api, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/intel?limit=10000&{query}");
        if let Some(a) = &after {
            path.push_str(&format!("&after={a}"));
        }
        let v: Value = api.get(&path).await.json().await.unwrap();
        out.extend(v["items"].as_array().cloned().unwrap_or_default());
        match v["next"].as_str() {
            Some(n) if !n.is_empty() => after = Some(n.to_string()),
            _ => return out,
        }
    }
}

/// Verified size of `publisher_peer`'s log as replicated by the node.
pub async fn verified_size(api: &Api, publisher_peer: &str) -> u64 {
    let s = status(api).await;
    s["logs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["peer_id"].as_str() == Some(publisher_peer))
        .and_then(|l| l["verified_size"].as_u64())
        .unwrap_or(0)
}

/// Publish `objects` as one bundle at the node, to `community` with `tlp` for unmarked
/// objects; returns the number appended.
pub async fn publish(api: &Api, objects: Vec<Value>, salt: u64, community: &str, tlp: &str) -> u64 {
    let body = super::bundle(objects, salt);
    let r = api
        .http
        .post(format!(
            "{}/api/v1/publish?community={community}&tlp={tlp}",
            api.base
        ))
        .bearer_auth(&api.token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "publish failed: {v}");
    v["appended"].as_u64().unwrap()
}

/// Block (`true`) or unblock (`false`) `peer` at the node through the operator API.
pub async fn set_blocked(api: &Api, peer: &str, blocked: bool) {
    let action = if blocked { "block" } else { "unblock" };
    let r = api
        .http
        .post(format!("{}/api/v1/peers/{peer}/{action}", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    assert!(status.is_success(), "{action} {peer}: {status} {body}");
}

/// The node's peer entry for `peer`, if it is connected to it.
pub async fn peer_entry(api: &Api, peer: &str) -> Option<Value> {
    let s = status(api).await;
    s["peers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["peer_id"].as_str() == Some(peer))
        .cloned()
}

/// Whether the node holds a connection to `peer` (admitted or not).
pub async fn is_connected(api: &Api, peer: &str) -> bool {
    peer_entry(api, peer).await.is_some()
}

/// Whether the node has `peer` connected and admitted.
pub async fn has_admitted(api: &Api, peer: &str) -> bool {
    peer_entry(api, peer)
        .await
        .is_some_and(|p| p["admitted"] == true)
}

/// The node's items from publisher `publisher_peer`, asserting that none is stored twice
/// (distinct ledger indices); returns how many there are.
pub async fn distinct_items_from(api: &Api, publisher_peer: &str) -> usize {
    let items = intel(api, &format!("publisher={publisher_peer}")).await;
    let mut idx: Vec<u64> = items
        .iter()
        .map(|i| i["ledger_index"].as_u64().expect("ledger_index"))
        .collect();
    idx.sort_unstable();
    idx.dedup();
    assert_eq!(
        idx.len(),
        items.len(),
        "an item of {publisher_peer} is stored twice"
    );
    items.len()
}
