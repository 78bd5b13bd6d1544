//! `shoal-netbench`: network figures from real `shoal node` processes on loopback.
//!
//! - `propagation [--nodes N] [--items K] [--rate R]`: one anchor and N-1 members (all in
//!   one community); one member publishes K items, one per request at R per second; for
//!   every item, the time from sending the publish request to the moment the last other
//!   node stored it (each node records its receive time). Prints median, p99 and max,
//!   and, as the local reference of the same run, the latency of the publish call itself.
//! - `catchup [--items K]`: a member publishes K items while a second member is not
//!   running; the second member then starts and the time until it holds and has
//!   verified all K against the publisher's checkpoint gives verified items per second.
//! - `soak [--nodes 5] [--minutes 30] [--rate 40] [--cache-mb 16]`: one anchor and N-1 members publish
//!   continuously; every node's RSS and queue/backlog gauges are sampled, written to a
//!   CSV, and judged at the end (flat memory, no growing queues, everything delivered).
//!   Not for CI: it runs for as long as it is told.
//!
//! `propagation` and `catchup` end with one line `RESULT {json}` that `shoal-bench
//! report` reads. Build first: `cargo build --release -p shoal-node --bins`, then run
//! e.g. `target/release/shoal-netbench propagation` (it starts `target/release/shoal`).

#[path = "bench/soak.rs"]
mod soak;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use shoal_node::client::{ApiClient, Reach};
use shoal_node::datadir::DataDir;
use shoal_node::localnet::{configure, create_anchor, create_member, start, Proc};

/// Network benchmarks over real `shoal node` processes on 127.0.0.1.
///
/// The `shoal` binary must sit next to this one (build both with
/// `cargo build --release -p shoal-node --bins`). Data directories live in a temporary
/// directory that is removed at the end (set SHOAL_NETBENCH_KEEP=1 to keep it).
#[derive(Parser)]
#[command(name = "shoal-netbench", version)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Publish-to-last-node latency over N node processes (1 anchor + N-1 members).
    ///
    /// One member publishes ITEMS items, one per publish call at RATE calls/s; for every
    /// item, the time from sending the call to the moment the last other node stored it
    /// (nodes record receive times). Also reports the publish call's own latency as the
    /// same-run reference, and ends with a `RESULT {json}` line.
    Propagation {
        /// Node processes in total (at least 3).
        #[arg(long, default_value_t = 20)]
        nodes: usize,
        /// Items to publish, one per publish call.
        #[arg(long, default_value_t = 1000)]
        items: u64,
        /// Publish calls per second.
        #[arg(long, default_value_t = 50)]
        rate: u64,
    },
    /// Verified items per second of a member that starts late and catches up by sync.
    ///
    /// A member publishes ITEMS items (bundles of 1,000 over HTTP) while a second member
    /// is not running; once the anchor holds them all the second member starts, and the
    /// time until it holds and has verified all of them against the publisher's
    /// checkpoint gives verified items/s. Ends with a `RESULT {json}` line.
    Catchup {
        /// Items the publisher logs before the late member starts.
        #[arg(long, default_value_t = 100_000)]
        items: u64,
    },
    /// Continuous publishing on a small network, sampling memory and queues (not for CI).
    ///
    /// One anchor and NODES-1 members publish one indicator per call, round robin, at
    /// RATE items/s in total for MINUTES. Every SAMPLE_SECS each node's RSS, threads,
    /// open descriptors (from /proc) and its queue gauges (sync backlog = known minus
    /// verified size over the logs it replicates, items parked for a missing admission,
    /// own entries not yet under a checkpoint; from GET /metrics and /api/v1/peers) are
    /// printed and written to OUT/samples.csv. At the end the harness waits for every
    /// node to hold every item and prints a per-node summary and a PASS/FAIL verdict
    /// (also in OUT/summary.md; exit status 1 on FAIL): RSS growth after the warm-up at
    /// most MAX_RSS_GROWTH_PCT, or the second-half slope at most MAX_RSS_SLOPE_MIB_H, or
    /// the second half's growth per further item held at most MAX_BYTES_PER_ITEM; no
    /// queue's last-quarter mean above twice its first-quarter mean + 10; no backlog after
    /// the drain; no failed publish; every item delivered. Every node runs with a store
    /// cache of CACHE_MB, small enough to be full by the end of the warm-up.
    ///
    /// Example (the documented run): shoal-netbench soak --rate 40 --warmup-minutes 12 --out soak-out
    Soak(soak::SoakArgs),
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub(crate) fn indicator(n: u64, salt: u64) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{:08x}-0000-4000-8000-{n:012x}", salt as u32),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("scanner {n}"),
        "pattern": format!("[ipv4-addr:value = '203.{}.{}.{}']", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    })
}

pub(crate) fn bundle(objects: Vec<Value>, salt: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "bundle",
        "id": format!("bundle--{:08x}-0000-4000-8000-{:012x}", salt as u32, salt >> 32),
        "objects": objects
    }))
    .unwrap_or_default()
}

pub(crate) async fn get(c: &ApiClient, path: &str) -> Result<Value> {
    match c.get(path).await? {
        Reach::Answered(b) => Ok(serde_json::from_slice(&b)?),
        Reach::NotRunning => bail!("a node stopped"),
    }
}

pub(crate) async fn get_text(c: &ApiClient, path: &str) -> Result<String> {
    match c.get(path).await? {
        Reach::Answered(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
        Reach::NotRunning => bail!("a node stopped"),
    }
}

pub(crate) async fn publish(c: &ApiClient, body: Vec<u8>) -> Result<Value> {
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

pub(crate) fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub(crate) fn setup(root: &std::path::Path, members: usize) -> Result<(DataDir, Vec<DataDir>)> {
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

pub(crate) async fn wait_peers(clients: &[ApiClient], min: usize, secs: u64) -> Result<()> {
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

/// Start the anchor, then the members with the anchor as bootstrap peer.
pub(crate) fn start_all(
    root: &std::path::Path,
    anchor_dir: DataDir,
    member_dirs: Vec<DataDir>,
) -> Result<Vec<Proc>> {
    let mut procs: Vec<Proc> = vec![start("anchor", anchor_dir, None, &root.join("anchor.log"))?];
    let boot = procs[0].p2p.clone();
    for (i, d) in member_dirs.into_iter().enumerate() {
        let name = format!("m{i}");
        let log = root.join(format!("{name}.log"));
        match start(&name, d, Some(&boot), &log) {
            Ok(p) => procs.push(p),
            Err(e) => {
                for p in procs.iter_mut() {
                    p.terminate();
                }
                return Err(e);
            }
        }
    }
    Ok(procs)
}

async fn propagation(nodes: usize, items: u64, rate: u64) -> Result<()> {
    let rate = rate.max(1);
    if nodes < 3 {
        bail!("--nodes must be at least 3");
    }
    let tmp = tempfile::tempdir()?;
    let (anchor_dir, member_dirs) = setup(tmp.path(), nodes - 1)?;
    let mut procs = start_all(tmp.path(), anchor_dir, member_dirs)?;
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
        let mut call_us: Vec<u64> = Vec::with_capacity(items as usize);
        let gap = Duration::from_micros(1_000_000 / rate);
        let start_all = Instant::now();
        for n in 0..items {
            let due = start_all + gap * n as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                tokio::time::sleep(wait).await;
            }
            let t0 = now_ms();
            let c0 = Instant::now();
            let r = publish(publisher, bundle(vec![indicator(n, 7)], n)).await?;
            call_us.push(c0.elapsed().as_micros() as u64);
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
        call_us.sort_unstable();
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
        println!(
            "reference, same run: the publish call itself (HTTP request → pipeline → durable log → answer) median {:.1} ms, p99 {:.1} ms",
            percentile(&call_us, 0.5) as f64 / 1e3,
            percentile(&call_us, 0.99) as f64 / 1e3
        );
        println!(
            "RESULT {}",
            json!({
                "bench": "propagation", "nodes": nodes, "items": items, "rate": rate,
                "last_p50_ms": percentile(&to_last, 0.5),
                "last_p99_ms": percentile(&to_last, 0.99),
                "last_max_ms": to_last.last().copied().unwrap_or(0),
                "each_p50_ms": percentile(&per_node, 0.5),
                "each_p99_ms": percentile(&per_node, 0.99),
                "deliveries": per_node.len(), "by_gossip": gossip, "by_sync": synced,
                "call_p50_ms": percentile(&call_us, 0.5) as f64 / 1e3,
                "call_p99_ms": percentile(&call_us, 0.99) as f64 / 1e3,
            })
        );
        Ok::<(), anyhow::Error>(())
    }
    .await;
    for p in procs.iter_mut() {
        p.terminate();
    }
    result
}

async fn catchup(items: u64) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let keep = std::env::var_os("SHOAL_NETBENCH_KEEP").is_some();
    if keep {
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
    let result = async {
        procs.push(start(
            "publisher",
            pub_dir,
            Some(&boot),
            &tmp.path().join("publisher.log"),
        )?);
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
        let publish_secs = t.elapsed().as_secs_f64();
        println!(
            "# catch-up: published {items} items at the publisher in {publish_secs:.1} s (bundles of {per} over HTTP = {:.0} items/s)",
            items as f64 / publish_secs
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
        let per_s = items as f64 / d.as_secs_f64();
        println!(
            "late node: process ready in {:.2} s; all {items} items held and verified against the checkpoint {:.2} s after start = {per_s:.0} verified items/s ({} by sync)",
            started.as_secs_f64(),
            d.as_secs_f64(),
            s["counters"]["synced_items"]
        );
        println!(
            "RESULT {}",
            json!({
                "bench": "catchup", "items": items,
                "seconds": d.as_secs_f64(), "ready_seconds": started.as_secs_f64(),
                "items_per_s": per_s, "by_sync": s["counters"]["synced_items"],
                "publish_http_items_per_s": items as f64 / publish_secs,
            })
        );
        Ok::<(), anyhow::Error>(())
    }
    .await;
    for p in procs.iter_mut() {
        p.terminate();
    }
    if keep {
        let _ = tmp.keep();
    }
    result
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::Propagation { nodes, items, rate } => propagation(nodes, items, rate).await,
        Cmd::Catchup { items } => catchup(items).await,
        Cmd::Soak(args) => {
            if !soak::run(args).await? {
                // The verdict is printed; no error trace for a failed soak.
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
