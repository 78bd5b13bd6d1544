//! `shoal-netbench`: network figures from real node processes on loopback.
//!
//! - `propagation [--nodes N] [--items K] [--rate R]`: one anchor and N-1 members (all in
//!   one community); one member publishes K items, one per request at R per second; for
//!   every item, the time from sending the publish request to the moment the last other
//!   node stored it (each node records its receive time). Prints median, p99 and max.
//! - `catchup [--items K]`: a member publishes K items while a second member is not
//!   running; the second member then starts and the time until it holds and has
//!   verified all K against the publisher's checkpoint gives verified items per second.
//!
//! Build first: `cargo build --release --bin shoal --bin shoal-netbench`, then run
//! `target/release/shoal-netbench propagation` (it starts `target/release/shoal`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use shoal_node::client::{ApiClient, Reach};
use shoal_node::datadir::DataDir;
use shoal_node::localnet::{configure, create_anchor, create_member, start, Proc};

fn arg(name: &str, default: u64) -> Result<u64> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .context(format!("{name} needs a value"))?
            .parse()
            .with_context(|| format!("{name} must be a number")),
        None => Ok(default),
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn indicator(n: u64, salt: u64) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{:08x}-0000-4000-8000-{n:012x}", salt as u32),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("scanner {n}"),
        "pattern": format!("[ipv4-addr:value = '203.{}.{}.{}']", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    })
}

fn bundle(objects: Vec<Value>, salt: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "bundle",
        "id": format!("bundle--{:08x}-0000-4000-8000-000000000000", salt as u32),
        "objects": objects
    }))
    .unwrap_or_default()
}

async fn get(c: &ApiClient, path: &str) -> Result<Value> {
    match c.get(path).await? {
        Reach::Answered(b) => Ok(serde_json::from_slice(&b)?),
        Reach::NotRunning => bail!("a node stopped"),
    }
}

async fn publish(c: &ApiClient, body: Vec<u8>) -> Result<Value> {
    match c
        .post("/api/v1/publish?community=bench&tlp=amber", body)
        .await?
    {
        Reach::Answered((s, b)) if s.is_success() => Ok(serde_json::from_slice(&b)?),
        Reach::Answered((s, b)) => bail!("publish failed: {s} {}", String::from_utf8_lossy(&b)),
        Reach::NotRunning => bail!("the publisher stopped"),
    }
}

async fn verified(c: &ApiClient, publisher: &str) -> Result<u64> {
    let s = get(c, "/api/v1/peers").await?;
    Ok(s["logs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["peer_id"].as_str() == Some(publisher))
        .and_then(|l| l["verified_size"].as_u64())
        .unwrap_or(0))
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn setup(root: &std::path::Path, members: usize) -> Result<(DataDir, Vec<DataDir>)> {
    let anchor = create_anchor(root, "anchor")?;
    let fast = |c: &mut shoal_config::Config| {
        c.ledger.checkpoint_interval_ms = 200;
        c.network.sync_interval_ms = 1000;
    };
    configure(&anchor.dir.root, fast)?;
    let mut dirs = Vec::new();
    for i in 0..members {
        let (d, _) = create_member(root, &format!("m{i}"), &anchor, &["bench".to_string()])?;
        configure(&d.root, fast)?;
        dirs.push(d);
    }
    Ok((DataDir::open(&anchor.dir.root)?, dirs))
}

async fn wait_peers(clients: &[ApiClient], min: usize, secs: u64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let mut ok = true;
        for c in clients {
            let s = get(c, "/api/v1/peers").await?;
            let n = s["peers"]
                .as_array()
                .map(|a| a.iter().filter(|p| p["admitted"] == true).count())
                .unwrap_or(0);
            ok &= n >= min;
        }
        if ok {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the network did not form within {secs} s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn propagation() -> Result<()> {
    let nodes = arg("--nodes", 20)? as usize;
    let items = arg("--items", 1000)?;
    let rate = arg("--rate", 50)?.max(1);
    if nodes < 3 {
        bail!("--nodes must be at least 3");
    }
    let tmp = tempfile::tempdir()?;
    let (anchor_dir, member_dirs) = setup(tmp.path(), nodes - 1)?;
    let mut procs: Vec<Proc> = vec![start(
        "anchor",
        anchor_dir,
        None,
        &tmp.path().join("anchor.log"),
    )?];
    let boot = procs[0].p2p.clone();
    for (i, d) in member_dirs.into_iter().enumerate() {
        let name = format!("m{i}");
        let log = tmp.path().join(format!("{name}.log"));
        procs.push(start(&name, d, Some(&boot), &log)?);
    }
    let result = async {
        let clients: Vec<ApiClient> = procs
            .iter()
            .map(|p| ApiClient::for_datadir(&p.dir))
            .collect::<Result<_>>()?;
        let t = Instant::now();
        wait_peers(&clients, 4.min(nodes - 1), 60).await?;
        // Let gossipsub build its meshes (a few heartbeats).
        tokio::time::sleep(Duration::from_secs(3)).await;
        println!(
            "# propagation: {nodes} node processes (1 anchor + {} members), {items} items at {rate}/s; network formed in {:.1} s",
            nodes - 1,
            t.elapsed().as_secs_f64()
        );
        let publisher = &clients[1];
        let pub_peer = procs[1].peer_id.clone();
        let mut sent_at: HashMap<u64, u64> = HashMap::new();
        let gap = Duration::from_micros(1_000_000 / rate);
        let start_all = Instant::now();
        for n in 0..items {
            let due = start_all + gap * n as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                tokio::time::sleep(wait).await;
            }
            let t0 = now_ms();
            let r = publish(publisher, bundle(vec![indicator(n, 7)], n)).await?;
            let idx = r["results"][0]["ledger_index"]
                .as_u64()
                .context("publish answer lacks a ledger index")?;
            sent_at.insert(idx, t0);
        }
        // Wait until every other node verified the whole log.
        let deadline = Instant::now() + Duration::from_secs(120);
        for (p, c) in procs.iter().zip(&clients) {
            if p.peer_id == pub_peer {
                continue;
            }
            while verified(c, &pub_peer).await? < items {
                if Instant::now() > deadline {
                    bail!("{} did not receive everything within 120 s", p.name);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let mut last: HashMap<u64, u64> = HashMap::new();
        let mut per_node = Vec::new();
        let (mut gossip, mut synced) = (0u64, 0u64);
        for (p, c) in procs.iter().zip(&clients) {
            if p.peer_id == pub_peer {
                continue;
            }
            let v = get(c, &format!("/api/v1/intel?publisher={pub_peer}&limit=10000")).await?;
            for it in v["items"].as_array().into_iter().flatten() {
                let (Some(idx), Some(at)) = (it["ledger_index"].as_u64(), it["received_at_ms"].as_u64()) else {
                    continue;
                };
                if let Some(&sent) = sent_at.get(&idx) {
                    let d = at.saturating_sub(sent);
                    per_node.push(d);
                    let e = last.entry(idx).or_insert(0);
                    *e = (*e).max(d);
                }
            }
            let s = get(c, "/api/v1/peers").await?;
            gossip += s["counters"]["gossip_accepted"].as_u64().unwrap_or(0);
            synced += s["counters"]["synced_items"].as_u64().unwrap_or(0);
        }
        let mut to_last: Vec<u64> = last.values().copied().collect();
        to_last.sort_unstable();
        per_node.sort_unstable();
        println!(
            "publish → last eligible node: median {} ms, p99 {} ms, max {} ms ({} items)",
            percentile(&to_last, 0.5),
            percentile(&to_last, 0.99),
            to_last.last().copied().unwrap_or(0),
            to_last.len()
        );
        println!(
            "publish → each node: median {} ms, p99 {} ms ({} deliveries: {gossip} by gossip, {synced} by sync)",
            percentile(&per_node, 0.5),
            percentile(&per_node, 0.99),
            per_node.len()
        );
        Ok::<(), anyhow::Error>(())
    }
    .await;
    for p in procs.iter_mut() {
        p.terminate();
    }
    result
}

async fn catchup() -> Result<()> {
    let items = arg("--items", 100_000)?;
    let tmp = tempfile::tempdir()?;
    if std::env::var_os("SHOAL_NETBENCH_KEEP").is_some() {
        eprintln!("data and logs in {}", tmp.path().display());
    }
    let (anchor_dir, mut member_dirs) = setup(tmp.path(), 2)?;
    let late_dir = member_dirs.pop().context("two members")?;
    let pub_dir = member_dirs.pop().context("two members")?;
    let mut procs = vec![start(
        "anchor",
        anchor_dir,
        None,
        &tmp.path().join("anchor.log"),
    )?];
    let boot = procs[0].p2p.clone();
    procs.push(start(
        "publisher",
        pub_dir,
        Some(&boot),
        &tmp.path().join("publisher.log"),
    )?);
    let result = async {
        let publisher = ApiClient::for_datadir(&procs[1].dir)?;
        let pub_peer = procs[1].peer_id.clone();
        let t = Instant::now();
        let per = 1000u64;
        let mut n = 0;
        while n < items {
            let k = per.min(items - n);
            publish(&publisher, bundle((n..n + k).map(|i| indicator(i, 3)).collect(), n)).await?;
            n += k;
        }
        println!(
            "# catch-up: published {items} items at the publisher in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        // The anchor has them too (gossip and sync while publishing): wait for it, so
        // the late node can fetch from two peers.
        let anchor = ApiClient::for_datadir(&procs[0].dir)?;
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut shown = Instant::now();
        loop {
            let v = verified(&anchor, &pub_peer).await?;
            if v >= items {
                break;
            }
            if shown.elapsed() > Duration::from_secs(5) {
                let s = get(&anchor, "/api/v1/peers").await?;
                eprintln!("  anchor: {v} of {items} verified; logs {}; counters {}", s["logs"], s["counters"]);
                shown = Instant::now();
            }
            if Instant::now() > deadline {
                bail!("the anchor did not catch up within 300 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let t = Instant::now();
        procs.push(start("late", late_dir, Some(&boot), &tmp.path().join("late.log"))?);
        let started = t.elapsed();
        let late = ApiClient::for_datadir(&procs[2].dir)?;
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let v = verified(&late, &pub_peer).await?;
            if v >= items {
                break;
            }
            if Instant::now() > deadline {
                bail!("the late node verified only {v} of {items} within 600 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let d = t.elapsed();
        let s = get(&late, "/api/v1/peers").await?;
        println!(
            "late node: process ready in {:.2} s; all {items} items held and verified against the checkpoint {:.2} s after start = {:.0} verified items/s ({} by sync)",
            started.as_secs_f64(),
            d.as_secs_f64(),
            items as f64 / d.as_secs_f64(),
            s["counters"]["synced_items"]
        );
        Ok::<(), anyhow::Error>(())
    }
    .await;
    for p in procs.iter_mut() {
        p.terminate();
    }
    if std::env::var_os("SHOAL_NETBENCH_KEEP").is_some() {
        let _ = tmp.keep();
    }
    result
}

#[tokio::main]
async fn main() -> Result<()> {
    match std::env::args().nth(1).as_deref() {
        Some("propagation") => propagation().await,
        Some("catchup") => catchup().await,
        _ => {
            eprintln!("usage: shoal-netbench propagation [--nodes 20] [--items 1000] [--rate 50]\n       shoal-netbench catchup [--items 100000]");
            std::process::exit(2)
        }
    }
}
