//! `shoal-netbench soak`: a small network of real `shoal node` processes (one anchor,
//! the rest members of one community) publishing continuously for a long time, to show
//! flat memory and no growing queues.
//!
//! The members publish one indicator per call, round robin, at a steady total rate.
//! Every `--sample-secs` the harness reads, for every node, its resident memory and
//! thread and file-descriptor counts from `/proc/<pid>/`, its gauges from `GET /metrics`
//! (ledger size, checkpoint size and age, peers, items received) and its replication
//! state from `GET /api/v1/peers` (items parked until their publisher's admission
//! arrives, and the sync backlog: for every log it replicates, the best known size
//! minus the verified size). It prints one progress line per sample and writes every
//! sample to `OUT/samples.csv`. The first `--warmup-minutes` are excluded from the
//! judgement. At the end publishing stops, the harness waits for every node to hold
//! every item, takes a last sample and prints (and writes to `OUT/summary.md`) a
//! summary per node and a PASS/FAIL verdict:
//!
//! - memory: RSS growth from the start of the measured window (mean of its first three
//!   samples) to its end (mean of the last three) at most `--max-rss-growth-pct`, or
//!   the regression slope over the second half of the window at most
//!   `--max-rss-slope-mib-h` (growth that levelled off, e.g. a cache filling to its bound),
//!   or the second half's growth per further item held at most `--max-bytes-per-item`
//!   (what a node keeps in memory per item by design, the credibility evidence: memory
//!   that follows the data held, not time, and not a leak of the items themselves);
//! - queues: the mean of each backlog gauge (parked items, sync backlog, own entries not
//!   yet under a checkpoint) over the last quarter of the window at most twice its mean
//!   over the first quarter plus 10, and parked items and sync backlog 0 after the drain;
//! - delivery: no publish call failed, and every item reached every other node.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::Value;
use shoal_node::client::ApiClient;
use shoal_node::localnet::Proc;

use crate::{bundle, get, get_text, indicator, publish, setup, start_all, wait_peers};

/// Options of `shoal-netbench soak`.
#[derive(Args, Debug, Clone)]
pub struct SoakArgs {
    /// Node processes in total: one anchor and NODES-1 publishing members (at least 3).
    #[arg(long, default_value_t = 5)]
    nodes: usize,
    /// How long to publish, in minutes (the warm-up included).
    #[arg(long, default_value_t = 30.0)]
    minutes: f64,
    /// Items per second published by all members together (one item per publish call).
    #[arg(long, default_value_t = 40.0)]
    rate: f64,
    /// Seconds between two samples.
    #[arg(long, default_value_t = 10)]
    sample_secs: u64,
    /// Minutes at the start left out of the verdict (caches filling, meshes forming).
    #[arg(long, default_value_t = 12.0)]
    warmup_minutes: f64,
    /// Every node's store page cache in MiB (`ledger.cache_mb`). The measured window
    /// should be the steady state, so the cache has to be full by the end of the
    /// warm-up: at 40 items/s a 16 MiB cache is, the 64 MiB default is not within 30
    /// minutes. Memory bounded by the cache does not depend on this choice.
    #[arg(long, default_value_t = 16)]
    cache_mb: u64,
    /// Directory for samples.csv and summary.md (created if missing).
    #[arg(long, default_value = "soak-out")]
    out: PathBuf,
    /// Memory verdict: most RSS growth over the measured window, in percent.
    #[arg(long, default_value_t = 10.0)]
    max_rss_growth_pct: f64,
    /// Memory verdict: or at most this RSS slope over the second half of the window (MiB/h).
    #[arg(long, default_value_t = 5.0)]
    max_rss_slope_mib_h: f64,
    /// Memory verdict: or at most this many bytes of RSS per further item held over the
    /// second half of the window (state a node keeps per item by design: the credibility
    /// evidence, ~290 B per claim; see protocol/tests/credibility_memory.rs).
    #[arg(long, default_value_t = 512.0)]
    max_bytes_per_item: f64,
}

/// One reading of one node.
#[derive(Debug, Clone, Default)]
struct Sample {
    t: f64,
    rss_mib: f64,
    threads: u64,
    fds: u64,
    cpu_s: f64,
    ledger_size: u64,
    checkpoint_lag: u64,
    checkpoint_age_s: f64,
    peers: u64,
    parked_items: u64,
    parked_bytes: u64,
    sync_backlog: u64,
    delivered: u64,
    received_gossip: u64,
    received_sync: u64,
}

/// What `/proc/<pid>/` says: RSS (MiB), threads, open descriptors, CPU seconds.
fn proc_stats(pid: u32) -> (f64, u64, u64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count() as u64)
        .unwrap_or(0);
    // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100/s);
    // the command name (field 2) may hold spaces, so count from the closing parenthesis.
    let cpu = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.to_string();
            let f: Vec<&str> = rest.split_whitespace().collect();
            let u = f.get(11)?.parse::<f64>().ok()?;
            let s = f.get(12)?.parse::<f64>().ok()?;
            Some((u + s) / 100.0)
        })
        .unwrap_or(f64::NAN);
    (field("VmRSS:") / 1024.0, field("Threads:") as u64, fds, cpu)
}

/// The value of an unlabelled metric in Prometheus text.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (k, v) = l.split_once(' ')?;
            (k == name).then(|| v.trim().parse::<f64>().ok()).flatten()
        })
        .unwrap_or(0.0)
}

/// Read one node.
async fn sample(p: &Proc, c: &ApiClient, t: f64, member_peers: &[String]) -> Result<Sample> {
    let (rss_mib, threads, fds, cpu_s) = proc_stats(p.child.id());
    let m = get_text(c, "/metrics").await?;
    let s: Value = get(c, "/api/v1/peers").await?;
    let logs = s["logs"].as_array().cloned().unwrap_or_default();
    let mut sync_backlog = 0;
    let mut delivered = 0;
    for l in &logs {
        let v = l["verified_size"].as_u64().unwrap_or(0);
        let k = l["known_size"].as_u64().unwrap_or(0);
        sync_backlog += k.saturating_sub(v);
        if let Some(peer) = l["peer_id"].as_str() {
            if peer != p.peer_id && member_peers.iter().any(|m| m == peer) {
                delivered += v;
            }
        }
    }
    let ledger_size = metric(&m, "shoal_ledger_size") as u64;
    Ok(Sample {
        t,
        rss_mib,
        threads,
        fds,
        cpu_s,
        ledger_size,
        checkpoint_lag: ledger_size.saturating_sub(metric(&m, "shoal_checkpoint_size") as u64),
        checkpoint_age_s: metric(&m, "shoal_checkpoint_age_seconds"),
        peers: metric(&m, "shoal_peers") as u64,
        parked_items: s["counters"]["parked_items"].as_u64().unwrap_or(0),
        parked_bytes: s["counters"]["parked_bytes"].as_u64().unwrap_or(0),
        sync_backlog,
        delivered,
        received_gossip: metric(&m, "shoal_items_received_gossip_total") as u64,
        received_sync: metric(&m, "shoal_items_received_sync_total") as u64,
    })
}

/// Least-squares slope of `ys` over `xs`.
fn slope(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    if xs.len() < 2 {
        return 0.0;
    }
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Publishing state shared with the publisher task.
struct Publishing {
    per_member: Vec<AtomicU64>,
    errors: AtomicU64,
    call_us_total: AtomicU64,
    calls: AtomicU64,
    stop: AtomicBool,
    last_error: std::sync::Mutex<Option<String>>,
}

/// Publish round robin from the members at `rate` items/s until told to stop.
async fn publisher_task(clients: Vec<ApiClient>, rate: f64, state: Arc<Publishing>) {
    let gap = Duration::from_secs_f64(1.0 / rate.max(0.01));
    let begin = Instant::now();
    let mut n: u64 = 0;
    while !state.stop.load(Ordering::Relaxed) {
        let due = begin + gap.mul_f64(n as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
        let k = (n % clients.len() as u64) as usize;
        let seq = n / clients.len() as u64;
        let salt = 0x50a4_0000 + k as u64;
        let t0 = Instant::now();
        match publish(
            &clients[k],
            bundle(vec![indicator(seq, salt)], salt | (seq << 32)),
        )
        .await
        {
            Ok(r) if r["appended"].as_u64() == Some(1) => {
                state.per_member[k].fetch_add(1, Ordering::Relaxed);
            }
            Ok(r) => {
                state.errors.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut e) = state.last_error.lock() {
                    *e = Some(format!("m{k}: not appended: {r}"));
                }
            }
            Err(e) => {
                state.errors.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut le) = state.last_error.lock() {
                    *le = Some(format!("m{k}: {e:#}"));
                }
            }
        }
        state
            .call_us_total
            .fetch_add(t0.elapsed().as_micros() as u64, Ordering::Relaxed);
        state.calls.fetch_add(1, Ordering::Relaxed);
        n += 1;
    }
}

const CSV_HEADER: &str = "t_s,phase,node,pid,rss_mib,threads,fds,cpu_s,ledger_size,checkpoint_lag,checkpoint_age_s,peers,parked_items,parked_bytes,sync_backlog,delivered,received_gossip,received_sync,published_by_node,publish_errors_total";

/// Run the soak; `Ok(false)` when it ran to the end and the verdict is FAIL.
pub async fn run(args: SoakArgs) -> Result<bool> {
    if args.nodes < 3 {
        bail!("--nodes must be at least 3 (one anchor and two members)");
    }
    if args.rate <= 0.0 || args.minutes <= 0.0 || args.sample_secs == 0 {
        bail!("--rate, --minutes and --sample-secs must be positive");
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let csv_path = args.out.join("samples.csv");
    let mut csv = std::io::BufWriter::new(
        std::fs::File::create(&csv_path)
            .with_context(|| format!("creating {}", csv_path.display()))?,
    );
    writeln!(csv, "{CSV_HEADER}")?;

    let tmp = tempfile::tempdir()?;
    let keep = std::env::var_os("SHOAL_NETBENCH_KEEP").is_some();
    let (anchor_dir, member_dirs) = setup(tmp.path(), args.nodes - 1)?;
    for d in std::iter::once(&anchor_dir).chain(&member_dirs) {
        shoal_node::localnet::configure(&d.root, |c| c.ledger.cache_mb = args.cache_mb)?;
    }
    let mut procs = start_all(tmp.path(), anchor_dir, member_dirs)?;
    let result = soak(&args, &procs, &mut csv).await;
    for p in procs.iter_mut() {
        p.terminate();
    }
    csv.flush()?;
    if keep {
        eprintln!("node data and logs kept in {}", tmp.keep().display());
    }
    let summary = result?;
    let path = args.out.join("summary.md");
    std::fs::write(&path, &summary).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "samples: {}; summary: {}",
        csv_path.display(),
        path.display()
    );
    Ok(!summary.contains("VERDICT: FAIL"))
}

async fn soak(args: &SoakArgs, procs: &[Proc], csv: &mut impl std::io::Write) -> Result<String> {
    let clients: Vec<ApiClient> = procs
        .iter()
        .map(|p| ApiClient::for_datadir(&p.dir))
        .collect::<Result<_>>()?;
    let members = procs.len() - 1;
    let formed = Instant::now();
    wait_peers(&clients, 2.min(members), 60).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let member_peers: Vec<String> = procs[1..].iter().map(|p| p.peer_id.clone()).collect();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let header = format!(
        "# soak: {} node processes (1 anchor + {members} members, one community), {} items/s in total for {} min (warm-up {} min), a sample every {} s; network formed in {:.1} s; {cores} cores",
        procs.len(),
        args.rate,
        args.minutes,
        args.warmup_minutes,
        args.sample_secs,
        formed.elapsed().as_secs_f64()
    );
    println!("{header}");

    let state = Arc::new(Publishing {
        per_member: (0..members).map(|_| AtomicU64::new(0)).collect(),
        errors: AtomicU64::new(0),
        call_us_total: AtomicU64::new(0),
        calls: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        last_error: std::sync::Mutex::new(None),
    });
    let pub_clients: Vec<ApiClient> = procs[1..]
        .iter()
        .map(|p| ApiClient::for_datadir(&p.dir))
        .collect::<Result<_>>()?;
    let task = tokio::spawn(publisher_task(pub_clients, args.rate, state.clone()));

    let begin = Instant::now();
    let total = Duration::from_secs_f64(args.minutes * 60.0);
    let every = Duration::from_secs(args.sample_secs);
    let mut series: Vec<Vec<Sample>> = vec![Vec::new(); procs.len()];
    let mut k: u32 = 0;
    let (mut last_calls, mut last_us, mut last_pub) = (0u64, 0u64, 0u64);
    let write_row = |csv: &mut dyn std::io::Write,
                     phase: &str,
                     i: usize,
                     s: &Sample,
                     state: &Publishing|
     -> Result<()> {
        let published = if i == 0 {
            0
        } else {
            state.per_member[i - 1].load(Ordering::Relaxed)
        };
        writeln!(
            csv,
            "{:.1},{phase},{},{},{:.2},{},{},{:.2},{},{},{:.1},{},{},{},{},{},{},{},{},{}",
            s.t,
            procs[i].name,
            procs[i].child.id(),
            s.rss_mib,
            s.threads,
            s.fds,
            s.cpu_s,
            s.ledger_size,
            s.checkpoint_lag,
            s.checkpoint_age_s,
            s.peers,
            s.parked_items,
            s.parked_bytes,
            s.sync_backlog,
            s.delivered,
            s.received_gossip,
            s.received_sync,
            published,
            state.errors.load(Ordering::Relaxed)
        )?;
        Ok(())
    };
    let run = async {
        loop {
            k += 1;
            let due = begin + every * k;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                tokio::time::sleep(wait).await;
            }
            let t = begin.elapsed().as_secs_f64();
            let phase = if t < args.warmup_minutes * 60.0 {
                "warmup"
            } else {
                "measure"
            };
            let published: u64 = state
                .per_member
                .iter()
                .map(|a| a.load(Ordering::Relaxed))
                .sum();
            let calls = state.calls.load(Ordering::Relaxed);
            let us = state.call_us_total.load(Ordering::Relaxed);
            let call_ms = if calls > last_calls {
                (us - last_us) as f64 / (calls - last_calls) as f64 / 1e3
            } else {
                0.0
            };
            let mut line = format!(
                "[{t:>6.0} s {phase:>7}] published {published} (+{}, {} errors, call {call_ms:.1} ms)",
                published - last_pub,
                state.errors.load(Ordering::Relaxed)
            );
            (last_calls, last_us, last_pub) = (calls, us, published);
            for (i, (p, c)) in procs.iter().zip(&clients).enumerate() {
                let s = sample(p, c, t, &member_peers)
                    .await
                    .with_context(|| format!("sampling {}", p.name))?;
                let _ = write!(
                    line,
                    " | {} {:.1} MiB bl {} pk {} lag {}",
                    p.name, s.rss_mib, s.sync_backlog, s.parked_items, s.checkpoint_lag
                );
                write_row(csv, phase, i, &s, &state)?;
                series[i].push(s);
            }
            csv.flush()?;
            println!("{line}");
            if begin.elapsed() >= total {
                break;
            }
        }
        Ok::<(), anyhow::Error>(())
    };
    let sampled = run.await;
    state.stop.store(true, Ordering::Relaxed);
    let _ = task.await;
    sampled?;
    let published_secs = begin.elapsed().as_secs_f64();

    // Drain: wait until every node holds every member's items (not its own).
    let per_member: Vec<u64> = state
        .per_member
        .iter()
        .map(|a| a.load(Ordering::Relaxed))
        .collect();
    let drain_start = Instant::now();
    let deadline = drain_start + Duration::from_secs(180);
    let mut missing: Vec<String>;
    loop {
        missing = Vec::new();
        for (p, c) in procs.iter().zip(&clients) {
            let s: Value = get(c, "/api/v1/peers").await?;
            for (j, peer) in member_peers.iter().enumerate() {
                if *peer == p.peer_id {
                    continue;
                }
                let v = s["logs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|l| l["peer_id"].as_str() == Some(peer))
                    .and_then(|l| l["verified_size"].as_u64())
                    .unwrap_or(0);
                if v < per_member[j] {
                    missing.push(format!("{} holds {v} of m{j}'s {}", p.name, per_member[j]));
                }
            }
        }
        if missing.is_empty() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let drain_secs = drain_start.elapsed().as_secs_f64();
    let t = begin.elapsed().as_secs_f64();
    let mut drained = Vec::new();
    for (i, (p, c)) in procs.iter().zip(&clients).enumerate() {
        let s = sample(p, c, t, &member_peers).await?;
        write_row(csv, "drained", i, &s, &state)?;
        drained.push(s);
    }
    csv.flush()?;

    Ok(summarise(
        args,
        procs,
        &header,
        &series,
        &drained,
        &per_member,
        &state,
        published_secs,
        drain_secs,
        &missing,
    ))
}

#[allow(clippy::too_many_arguments)]
fn summarise(
    args: &SoakArgs,
    procs: &[Proc],
    header: &str,
    series: &[Vec<Sample>],
    drained: &[Sample],
    per_member: &[u64],
    state: &Publishing,
    published_secs: f64,
    drain_secs: f64,
    missing: &[String],
) -> String {
    let warm = args.warmup_minutes * 60.0;
    let published: u64 = per_member.iter().sum();
    let errors = state.errors.load(Ordering::Relaxed);
    let calls = state.calls.load(Ordering::Relaxed).max(1);
    let mean_call = state.call_us_total.load(Ordering::Relaxed) as f64 / calls as f64 / 1e3;
    let mut out = String::new();
    let _ = writeln!(out, "{header}");
    let _ = writeln!(
        out,
        "\npublished {published} items in {published_secs:.0} s = {:.2} items/s (per member {per_member:?}); {errors} failed publish calls; mean publish call {mean_call:.1} ms; drained in {drain_secs:.1} s",
        published as f64 / published_secs
    );
    let _ = writeln!(
        out,
        "\nthresholds: RSS growth over the measured window (after {} min warm-up) ≤ {}%, or second-half slope ≤ {} MiB/h, or second-half growth ≤ {} B per further item held; each queue's last-quarter mean ≤ 2 × first-quarter mean + 10; parked items and sync backlog 0 after the drain; 0 failed publishes; every item at every other node\n",
        args.warmup_minutes,
        args.max_rss_growth_pct,
        args.max_rss_slope_mib_h,
        args.max_bytes_per_item
    );
    let _ = writeln!(
        out,
        "| node | RSS start MiB | RSS end MiB | RSS max MiB | growth | B per item held | slope MiB/h | 2nd-half slope MiB/h | 2nd-half B per item held | threads start→end | fds start→end | CPU s | sync backlog max/last/drained | parked max/last/drained | checkpoint lag max/last | delivered (drained) | memory | queues |"
    );
    let _ = writeln!(
        out,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    let mut all_ok = errors == 0 && missing.is_empty();
    for (i, s) in series.iter().enumerate() {
        let w: Vec<&Sample> = s.iter().filter(|x| x.t >= warm).collect();
        let d = &drained[i];
        if w.len() < 4 {
            let _ = writeln!(
                out,
                "| {} | too few samples after the warm-up ({}) | | | | | | | | | | | | | | | FAIL | FAIL |",
                procs[i].name,
                w.len()
            );
            all_ok = false;
            continue;
        }
        let xs: Vec<f64> = w.iter().map(|x| x.t / 3600.0).collect();
        let rss: Vec<f64> = w.iter().map(|x| x.rss_mib).collect();
        let head = mean(&rss[..3]);
        let tail = mean(&rss[rss.len() - 3..]);
        let max = rss.iter().cloned().fold(f64::MIN, f64::max);
        let growth = (tail - head) / head * 100.0;
        let sl = slope(&xs, &rss);
        let h = w.len() / 2;
        let sl2 = slope(&xs[h..], &rss[h..]);
        // Items held per hour over the second half, and the RSS growth per item held.
        let (first2, last2) = (w[h], w[w.len() - 1]);
        let held2 = |x: &Sample| (x.delivered + x.ledger_size) as f64;
        let hours2 = ((last2.t - first2.t) / 3600.0).max(1e-9);
        let items_per_h = (held2(last2) - held2(first2)) / hours2;
        let per_item2 = if items_per_h > 0.0 {
            sl2 * 1_048_576.0 / items_per_h
        } else {
            f64::INFINITY
        };
        let mem_ok = growth <= args.max_rss_growth_pct
            || sl2 <= args.max_rss_slope_mib_h
            || per_item2 <= args.max_bytes_per_item;
        let q = w.len() / 4;
        let trend_ok = |f: &dyn Fn(&Sample) -> u64| {
            let v: Vec<f64> = w.iter().map(|x| f(x) as f64).collect();
            mean(&v[v.len() - q.max(1)..]) <= 2.0 * mean(&v[..q.max(1)]) + 10.0
        };
        let maxof = |f: &dyn Fn(&Sample) -> u64| w.iter().map(|x| f(x)).max().unwrap_or(0);
        let last = w[w.len() - 1].clone();
        let held = |x: &Sample| x.delivered + x.ledger_size;
        let per_item =
            (tail - head) * 1_048_576.0 / (held(&last).saturating_sub(held(w[0])).max(1)) as f64;
        let queues_ok = trend_ok(&|x| x.sync_backlog)
            && trend_ok(&|x| x.parked_items)
            && trend_ok(&|x| x.checkpoint_lag)
            && d.sync_backlog == 0
            && d.parked_items == 0;
        all_ok &= mem_ok && queues_ok;
        let _ = writeln!(
            out,
            "| {} | {head:.1} | {tail:.1} | {max:.1} | {growth:+.1}% | {per_item:.0} | {sl:+.2} | {sl2:+.2} | {per_item2:.0} | {}→{} | {}→{} | {:.0} | {}/{}/{} | {}/{}/{} | {}/{} | {} | {} | {} |",
            procs[i].name,
            w[0].threads,
            last.threads,
            w[0].fds,
            last.fds,
            d.cpu_s,
            maxof(&|x| x.sync_backlog),
            last.sync_backlog,
            d.sync_backlog,
            maxof(&|x| x.parked_items),
            last.parked_items,
            d.parked_items,
            maxof(&|x| x.checkpoint_lag),
            last.checkpoint_lag,
            d.delivered,
            if mem_ok { "PASS" } else { "FAIL" },
            if queues_ok { "PASS" } else { "FAIL" },
        );
    }
    let _ = writeln!(out);
    if !missing.is_empty() {
        let _ = writeln!(out, "not delivered after the drain: {}", missing.join("; "));
    }
    if let Ok(Some(e)) = state.last_error.lock().map(|e| e.clone()) {
        let _ = writeln!(out, "last publish error: {e}");
    }
    let _ = writeln!(
        out,
        "delivery: {} ({} items published, {errors} failed calls, every node expected to hold every other member's items)",
        if errors == 0 && missing.is_empty() {
            "PASS"
        } else {
            "FAIL"
        },
        published
    );
    let _ = writeln!(out, "VERDICT: {}", if all_ok { "PASS" } else { "FAIL" });
    print!("\n{out}");
    out
}
