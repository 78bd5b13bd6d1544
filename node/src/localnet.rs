//! A local Shoal network of real `shoal node` processes on 127.0.0.1, for `shoal demo`
//! and the network benchmarks: create data directories (an anchor that is its own
//! trust root, members it admits to communities), start the processes with the anchor
//! as bootstrap peer, read their readiness lines, and stop them with SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use shoal_protocol::admission::{AdmissionRequest, Chain, Grant, Role as AdmissionRole};

use crate::daemon::unix_now;
use crate::datadir::{init, random_bytes, DataDir, InitOptions};

/// A running node process.
pub struct Proc {
    /// Its name.
    pub name: String,
    /// Its data directory.
    pub dir: DataDir,
    /// The process.
    pub child: Child,
    /// HTTP API address.
    pub api: String,
    /// First libp2p address with `/p2p/<peer id>`.
    pub p2p: String,
    /// Peer id.
    pub peer_id: String,
}

impl Proc {
    /// Stop with SIGTERM (the node signs a last checkpoint and flushes); SIGKILL after 10 s.
    pub fn terminate(&mut self) {
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `shoal` binary next to the running executable (for `shoal-netbench`), or the
/// running executable itself (for `shoal demo`).
pub fn shoal_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the running binary")?;
    if exe.file_stem().and_then(|s| s.to_str()) == Some("shoal") {
        return Ok(exe);
    }
    let sibling = exe.with_file_name(format!("shoal{}", std::env::consts::EXE_SUFFIX));
    if sibling.exists() {
        Ok(sibling)
    } else {
        bail!(
            "cannot find the shoal binary next to {} (build it: cargo build --release --bin shoal)",
            exe.display()
        )
    }
}

/// Start `shoal node` on `dir` (API and libp2p on free loopback ports), with `bootstrap`
/// as bootstrap peer; stderr goes to `log`. Waits for the readiness line.
pub fn start(name: &str, dir: DataDir, bootstrap: Option<&str>, log: &Path) -> Result<Proc> {
    let mut cmd = Command::new(shoal_binary()?);
    cmd.args(["node", "--data-dir"]).arg(&dir.root).args([
        "--api-listen",
        "127.0.0.1:0",
        "--p2p-listen",
        "/ip4/127.0.0.1/tcp/0",
    ]);
    if let Some(b) = bootstrap {
        cmd.args(["--bootstrap", b]);
    }
    let logf = std::fs::File::create(log)?;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::from(logf))
        .spawn()
        .with_context(|| format!("starting node {name}"))?;
    let stdout = child.stdout.take().context("node stdout")?;
    let mut line = String::new();
    let mut reader = BufReader::new(stdout);
    // The readiness line: `shoal node ready api=ADDR peer=ID p2p=MULTIADDR`.
    let n = reader.read_line(&mut line)?;
    if n == 0 || !line.starts_with("shoal node ready") {
        let _ = child.kill();
        bail!(
            "node {name} did not start; see its log at {}",
            log.display()
        );
    }
    let field = |k: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .unwrap_or_default()
            .to_string()
    };
    Ok(Proc {
        name: name.to_string(),
        dir,
        api: field("api="),
        peer_id: field("peer="),
        p2p: field("p2p="),
        child,
    })
}

/// Rewrite a data directory's configuration with `edit`.
pub fn configure(dir: &Path, edit: impl FnOnce(&mut shoal_config::Config)) -> Result<()> {
    let path = dir.join(shoal_config::CONFIG_FILE);
    let mut cfg = shoal_config::Config::load(&path)?;
    edit(&mut cfg);
    cfg.validate()
        .map_err(|(k, p)| anyhow::anyhow!("`{k}` {p}"))?;
    std::fs::write(&path, cfg.to_toml())?;
    Ok(())
}

/// An anchor being set up: its directory, key and verifier key.
pub struct Anchor {
    /// Its data directory.
    pub dir: DataDir,
    /// Its key (signs certificates).
    pub key: shoal_crypto::NodeKey,
    /// Its verifier key (the members' trust root).
    pub vkey: String,
}

/// Create an anchor under `root/name` that is its own trust root.
pub fn create_anchor(root: &Path, name: &str) -> Result<Anchor> {
    let (dir, key) = init(
        &root.join(name),
        &InitOptions {
            name: Some(name.into()),
            role: shoal_config::Role::Anchor,
            api_listen: Some("127.0.0.1:0".into()),
            p2p_listen: vec!["/ip4/127.0.0.1/tcp/0".into()],
            trust_anchors: vec![],
            bootstrap: vec![],
        },
    )?;
    let origin = crate::ledger::origin(name, &key)?;
    let vkey = shoal_crypto::note::verifier_key(&origin, &key.public());
    configure(&dir.root, |c| c.network.trust_anchors = vec![vkey.clone()])?;
    Ok(Anchor {
        dir: DataDir::open(&dir.root)?,
        key,
        vkey,
    })
}

/// Create a member under `root/name`, admitted by `anchor` to `communities` for 30 days.
pub fn create_member(
    root: &Path,
    name: &str,
    anchor: &Anchor,
    communities: &[String],
) -> Result<(DataDir, shoal_crypto::NodeKey)> {
    let (d, key) = init(
        &root.join(name),
        &InitOptions {
            name: Some(name.into()),
            role: shoal_config::Role::Member,
            api_listen: Some("127.0.0.1:0".into()),
            p2p_listen: vec!["/ip4/127.0.0.1/tcp/0".into()],
            trust_anchors: vec![anchor.vkey.clone()],
            bootstrap: vec![],
        },
    )?;
    let now = unix_now();
    let req = AdmissionRequest::new(&key, name, now)?;
    let grant = Grant::for_days(
        AdmissionRole::Member,
        communities.iter().map(String::as_str),
        now,
        30,
    );
    let chain = Chain::issue(&anchor.key, None, &req, &grant, now, random_bytes::<8>()?)?;
    std::fs::write(d.admission_path(), chain.to_json_pretty())?;
    Ok((DataDir::open(&d.root)?, key))
}
