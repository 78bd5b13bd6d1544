//! `shoal-bench report`: the whole performance report in one run, printed as one
//! Markdown table (metric | Shoal | reference measured in the same run | ratio) with
//! the machine, the date and the git commit, ready to paste into the README.
//!
//! In process: raw SHA-256, raw Ed25519 sign and verify (the references); at each tree
//! size (1M and 10M leaves, `--quick`: 100k and 1M) the in-memory compact range,
//! rs_merkle's rebuild (`from_leaves`, and `insert` + `commit` per append) and proof,
//! and the durable store-backed ledger (the node's `Ledger` on sled: appends with group
//! commit and with one commit per item, inclusion proofs through the node's
//! `LedgerReader` against a signed checkpoint); the publish pipeline (the node's
//! `Publisher::publish`, which the API's publish handler calls: STIX → validation →
//! desensitization → DP → leak check → sign → durable log); the receive pipeline
//! (decode + verify + dedup + store) with and without batch verification; witness
//! cosignatures; envelope sign/verify.
//!
//! Over the network, as subprocesses (`shoal-netbench` and `shoal` next to this
//! binary): propagation over 20 node processes and a late member's catch-up.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::Value;
use shoal_crypto::hash::{leaf_hash, node_hash, sha256};
use shoal_crypto::merkle::{self, CompactRange};
use shoal_crypto::NodeKey;
use shoal_node::ledger::reader::LedgerReader;
use shoal_node::ledger::{AppendRequest, ItemResult, Ledger};
use shoal_node::store::{Store, WriteBatch};
use shoal_protocol::envelope::{EnvelopeBody, DEFAULT_MAX_ENVELOPE_BYTES};
use shoal_protocol::Tlp;

use crate::{entry, rate};

/// Options of `shoal-bench report`.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Smoke run with small sizes (trees of 100k and 1M leaves, 5 nodes, 5,000 items to
    /// catch up); well under a minute. The figures are not the report's.
    #[arg(long)]
    quick: bool,
    /// Skip the network figures (propagation, catch-up), which start node processes.
    #[arg(long)]
    no_net: bool,
    /// Also write the report (Markdown) to this file.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// One row of the table.
struct Row {
    metric: String,
    shoal: String,
    reference: String,
    ratio: String,
}

fn row(
    metric: impl Into<String>,
    shoal: impl Into<String>,
    reference: impl Into<String>,
    ratio: impl Into<String>,
) -> Row {
    Row {
        metric: metric.into(),
        shoal: shoal.into(),
        reference: reference.into(),
        ratio: ratio.into(),
    }
}

/// `shoal ÷ reference`, as `0.42×`, or `1/1,234` when far below 0.1.
fn ratio(shoal: f64, reference: f64) -> String {
    if !(shoal.is_finite() && reference.is_finite()) || reference == 0.0 {
        return "—".into();
    }
    let r = shoal / reference;
    if r < 0.1 && r > 0.0 {
        format!("1/{}", thousands(1.0 / r))
    } else if r >= 100.0 {
        format!("{}×", thousands(r))
    } else {
        format!("{r:.2}×")
    }
}

/// An integer with thousands separators.
fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// A duration in seconds, in a readable unit.
fn dur(secs: f64) -> String {
    if secs >= 1.0 {
        format!("{secs:.2} s")
    } else if secs >= 1e-3 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{:.2} µs", secs * 1e6)
    }
}

fn per_s(v: f64) -> String {
    format!("{}/s", thousands(v))
}

fn leaves_label(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

/// p-th percentile of sorted durations (seconds).
fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// Progress goes to stderr; the report to stdout.
macro_rules! say {
    ($($t:tt)*) => { eprintln!($($t)*) };
}

/// The references: raw primitives in this run.
struct Refs {
    sha_64_per_s: f64,
    sha_1m_mb_s: f64,
    sign_per_s: f64,
    verify_per_s: f64,
}

/// A typical envelope body (one indicator, ~330 bytes encoded) and its encoding.
fn typical_body(key: &NodeKey) -> Result<(EnvelopeBody, Vec<u8>)> {
    let v = serde_json::json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": "scanner 1", "pattern": "[ipv4-addr:value = '203.0.113.7']",
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
    });
    let body = EnvelopeBody {
        publisher: key.public(),
        ledger_index: 1,
        published_at: 1_700_000_000,
        tlp: Tlp::Amber,
        community: "bench".into(),
        object: shoal_protocol::jcs::canonicalize(&v)?,
        extensions: Vec::new(),
    };
    let msg = body.encode()?;
    Ok((body, msg))
}

fn references(quick: bool) -> Result<Refs> {
    say!("## references: raw SHA-256, raw Ed25519");
    let n: u64 = if quick { 300_000 } else { 3_000_000 };
    let block = [7u8; 64];
    let t = Instant::now();
    let mut acc = 0u8;
    for i in 0..n {
        let mut b = block;
        b[0] = i as u8;
        acc ^= sha256(&b)[0];
    }
    let sha_64_per_s = rate(n, t.elapsed());
    let big = vec![0x5au8; 1 << 20];
    let rounds: u64 = if quick { 50 } else { 500 };
    let t = Instant::now();
    for _ in 0..rounds {
        acc ^= sha256(&big)[0];
    }
    let sha_1m_mb_s = rounds as f64 * 1.048_576 / t.elapsed().as_secs_f64();
    std::hint::black_box(acc);

    let key = NodeKey::from_seed([5; 32]);
    let (_, msg) = typical_body(&key)?;
    let m: u64 = if quick { 5_000 } else { 50_000 };
    let t = Instant::now();
    let mut sig = [0u8; 64];
    for _ in 0..m {
        sig = key.sign_raw(std::hint::black_box(&msg));
    }
    let sign_per_s = rate(m, t.elapsed());
    let pk = key.public();
    let t = Instant::now();
    for _ in 0..m {
        pk.verify_raw(std::hint::black_box(&msg), &sig)?;
    }
    let verify_per_s = rate(m, t.elapsed());
    say!(
        "SHA-256 64 B {sha_64_per_s:.0}/s, 1 MiB blocks {sha_1m_mb_s:.0} MB/s; Ed25519 sign {sign_per_s:.0}/s verify {verify_per_s:.0}/s"
    );
    Ok(Refs {
        sha_64_per_s,
        sha_1m_mb_s,
        sign_per_s,
        verify_per_s,
    })
}

/// Raw Ed25519 signatures (or, with `verify`, verifications) per second over `n`
/// operations on the typical envelope message.
fn raw_ed25519(verify: bool, n: u64) -> Result<f64> {
    let key = NodeKey::from_seed([5; 32]);
    let (_, msg) = typical_body(&key)?;
    let sig = key.sign_raw(&msg);
    let pk = key.public();
    let t = Instant::now();
    for _ in 0..n {
        if verify {
            pk.verify_raw(std::hint::black_box(&msg), &sig)?;
        } else {
            std::hint::black_box(key.sign_raw(std::hint::black_box(&msg)));
        }
    }
    Ok(rate(n, t.elapsed()))
}

/// Run `f` between two measurements of the raw Ed25519 reference (sign, or verify), so
/// that the reference sees the same machine load as the figure; returns `f`'s result
/// and the mean of the two reference rates.
fn bracketed<T>(verify: bool, quick: bool, f: impl FnOnce() -> Result<T>) -> Result<(T, f64)> {
    let n = if quick { 3_000 } else { 20_000 };
    let before = raw_ed25519(verify, n)?;
    let out = f()?;
    let after = raw_ed25519(verify, n)?;
    say!(
        "reference raw Ed25519 {}: {before:.0}/s before, {after:.0}/s after",
        if verify { "verify" } else { "sign" }
    );
    Ok((out, (before + after) / 2.0))
}

/// The least work of one append, per append: the leaf hash of a 256-byte entry and one
/// interior node (a compact range does one on average).
fn append_floor(n: u64) -> f64 {
    let t = Instant::now();
    let mut h = leaf_hash(&entry(1));
    for i in 0..n {
        let leaf = leaf_hash(&entry(i));
        h = node_hash(&h, &leaf);
    }
    std::hint::black_box(h);
    t.elapsed().as_secs_f64() / n as f64
}

/// Figures at one tree size.
struct TreeFigures {
    leaves: u64,
    append_floor_s: f64,
    mem_append_s: f64,
    mem_append_root_s: f64,
    rs_build_s: f64,
    rs_append_s: f64,
    rs_proof_p50_s: f64,
    prefill_s: f64,
    group_item_s: f64,
    group_items_per_s: f64,
    single_p50_s: f64,
    single_p99_s: f64,
    proof_p50_s: f64,
    proof_p99_s: f64,
    disk_mib: f64,
}

/// An object the ledger logs in the durable sections.
fn append_request(i: u64) -> AppendRequest {
    let obj = format!(
        r#"{{"id":"indicator--{i:032x}","pattern":"[ipv4-addr:value = '198.51.100.7']","type":"indicator"}}"#
    )
    .into_bytes();
    AppendRequest {
        object_digest: sha256(&obj),
        object: obj,
        tlp: Tlp::Green,
        community: "bench".into(),
        published_at: 1_700_000_000,
        extensions: Vec::new(),
    }
}

fn tree_figures(leaves: u64, quick: bool) -> Result<TreeFigures> {
    use rs_merkle::algorithms::Sha256;
    use rs_merkle::MerkleTree;
    let label = leaves_label(leaves);
    say!("## trees of {label} leaves");

    // In memory: the compact range the ledger keeps.
    let hashes: Vec<[u8; 32]> = (0..leaves).map(|i| leaf_hash(&entry(i))).collect();
    let floor_n = if quick { 200_000 } else { 1_000_000 };
    let floor_before = append_floor(floor_n);
    let mut range = CompactRange::new();
    let t = Instant::now();
    for i in 0..leaves {
        range.append(leaf_hash(&entry(i)));
    }
    let mem_append_s = t.elapsed().as_secs_f64() / leaves as f64;
    let append_floor_s = (floor_before + append_floor(floor_n)) / 2.0;
    let k: u64 = if quick { 20_000 } else { 200_000 };
    let mut r2 = range.clone();
    let t = Instant::now();
    let mut acc = 0u8;
    for i in 0..k {
        r2.append(leaf_hash(&entry(leaves + i)));
        acc ^= r2.root()[0];
    }
    std::hint::black_box(acc);
    let mem_append_root_s = t.elapsed().as_secs_f64() / k as f64;
    drop(r2);

    // rs_merkle: build, append (insert + commit rebuilds), proof + verify.
    let t = Instant::now();
    let mut tree = MerkleTree::<Sha256>::from_leaves(&hashes);
    let rs_build_s = t.elapsed().as_secs_f64();
    let root = tree.root().context("rs_merkle root")?;
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let probes = if quick { 1_000 } else { 5_000 };
    let mut rs_proofs = Vec::with_capacity(probes);
    for _ in 0..probes {
        let idx = next(leaves) as usize;
        let t = Instant::now();
        let p = tree.proof(&[idx]);
        let ok = p.verify(root, &[idx], &hashes[idx..=idx], hashes.len());
        rs_proofs.push(t.elapsed().as_secs_f64());
        if !ok {
            bail!("rs_merkle proof did not verify");
        }
    }
    let rs_proof_p50_s = pct(&sorted(rs_proofs), 0.5);
    let rounds = if leaves >= 10_000_000 { 3 } else { 5 };
    let t = Instant::now();
    for i in 0..rounds {
        tree.insert(leaf_hash(&entry(leaves + 1_000_000_000 + i)))
            .commit();
        std::hint::black_box(tree.root());
    }
    let rs_append_s = t.elapsed().as_secs_f64() / rounds as f64;
    drop(tree);
    drop(hashes);
    say!(
        "memory: append {} (append + root {}); rs_merkle from_leaves {}, insert+commit {}, proof+verify p50 {}",
        dur(mem_append_s),
        dur(mem_append_root_s),
        dur(rs_build_s),
        dur(rs_append_s),
        dur(rs_proof_p50_s)
    );

    // Durable: the store holds `leaves` leaves (their subtree hashes, written directly,
    // as fast as the store takes them); the node's Ledger opens on it and appends.
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 64)?;
    let t = Instant::now();
    let mut prefill = CompactRange::new();
    let chunk = 20_000u64;
    let mut i = 0;
    while i < leaves {
        let mut batch = WriteBatch::default();
        let mut nodes = Vec::new();
        let end = (i + chunk).min(leaves);
        for j in i..end {
            nodes.extend(prefill.append(leaf_hash(&entry(j))));
        }
        store.stage_nodes(&mut batch, &nodes)?;
        batch.size(end);
        store.apply(batch)?;
        store.flush()?;
        i = end;
    }
    let prefill_s = t.elapsed().as_secs_f64();
    if prefill.root() != range.root() {
        bail!("the stored tree disagrees with the compact range");
    }
    let key = NodeKey::from_seed([42; 32]);
    let mut ledger = Ledger::open(store.clone(), key, "bench", DEFAULT_MAX_ENVELOPE_BYTES)?;
    if ledger.size() != leaves || ledger.root() != range.root() {
        bail!("the ledger did not open at {leaves} leaves");
    }
    let batches: u64 = if quick { 5 } else { 30 };
    let batch = 1000u64;
    let mut next_obj = 0u64;
    let t = Instant::now();
    for _ in 0..batches {
        let items: Vec<AppendRequest> = (0..batch).map(|j| append_request(next_obj + j)).collect();
        next_obj += batch;
        let r = ledger.append_batch(items)?;
        if !r.iter().all(|x| matches!(x, ItemResult::Appended { .. })) {
            bail!("a durable append was not appended");
        }
    }
    let group = t.elapsed().as_secs_f64();
    let group_item_s = group / (batches * batch) as f64;
    let group_items_per_s = (batches * batch) as f64 / group;
    let singles = if quick { 100 } else { 500 };
    let mut lat = Vec::with_capacity(singles);
    for _ in 0..singles {
        let t = Instant::now();
        ledger.append_batch(vec![append_request(next_obj)])?;
        lat.push(t.elapsed().as_secs_f64());
        next_obj += 1;
    }
    let lat = sorted(lat);
    ledger.checkpoint()?;
    let cp_size = ledger.size();
    let cp_root = ledger.root();
    let reader = LedgerReader::new(store.clone(), ledger.verifier()?);
    let mut plat = Vec::with_capacity(probes);
    for _ in 0..probes {
        let idx = next(leaves);
        let t = Instant::now();
        let p = reader.proof(idx, None)?;
        merkle::verify_inclusion(&leaf_hash(&entry(idx)), idx, cp_size, &p.proof, &cp_root)?;
        plat.push(t.elapsed().as_secs_f64());
    }
    let plat = sorted(plat);
    store.flush()?;
    let disk_mib = store.size_on_disk() as f64 / (1 << 20) as f64;
    say!(
        "durable: prefill {} ({disk_mib:.0} MiB on disk); group commit {} per item = {:.0}/s; one item per commit p50 {} p99 {}; proof p50 {} p99 {}",
        dur(prefill_s),
        dur(group_item_s),
        group_items_per_s,
        dur(pct(&lat, 0.5)),
        dur(pct(&lat, 0.99)),
        dur(pct(&plat, 0.5)),
        dur(pct(&plat, 0.99))
    );
    Ok(TreeFigures {
        leaves,
        append_floor_s,
        mem_append_s,
        mem_append_root_s,
        rs_build_s,
        rs_append_s,
        rs_proof_p50_s,
        prefill_s,
        group_item_s,
        group_items_per_s,
        single_p50_s: pct(&lat, 0.5),
        single_p99_s: pct(&lat, 0.99),
        proof_p50_s: pct(&plat, 0.5),
        proof_p99_s: pct(&plat, 0.99),
        disk_mib,
    })
}

/// The publish pipeline as the node runs it: a data directory, its store, ledger
/// writer task, privacy engine and accountant, and `Publisher::publish` on STIX input.
struct PublishFigures {
    bundle: usize,
    bundle_items_per_s: f64,
    single_items_per_s: f64,
    single_p50_s: f64,
    internal_share: &'static str,
}

fn stix_bundle(from: u64, n: u64) -> Vec<u8> {
    let objects: Vec<Value> = (from..from + n)
        .map(|i| {
            // Every fourth indicator's description names an internal (RFC 1918)
            // address, which the desensitizer pseudonymises (Crypto-PAn) before signing.
            let (a, b, c) = ((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
            let mut v = serde_json::json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--00000000-0000-4000-8000-{i:012x}"),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "name": format!("scanner {i}"),
                "pattern": format!("[ipv4-addr:value = '203.{a}.{b}.{c}']"),
                "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
            });
            if i % 4 == 0 {
                v["description"] = format!("beaconing seen from our host 10.{a}.{b}.{c}").into();
            }
            v
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "type": "bundle",
        "id": format!("bundle--00000000-0000-4000-8000-{from:012x}"),
        "objects": objects
    }))
    .unwrap_or_default()
}

fn publish_pipeline(quick: bool) -> Result<PublishFigures> {
    use shoal_node::datadir::{init, InitOptions};
    use shoal_node::ledger::writer::{self, WriterConfig};
    use shoal_node::publish::{PublishOptions, Publisher};
    say!("## publish pipeline (Publisher::publish: STIX → desensitize → DP → leak check → sign → durable log)");
    let tmp = tempfile::tempdir()?;
    let (dir, key) = init(
        &tmp.path().join("node"),
        &InitOptions {
            name: Some("bench".into()),
            role: shoal_config::Role::Member,
            api_listen: Some("127.0.0.1:0".into()),
            p2p_listen: vec![],
            trust_anchors: vec![],
            bootstrap: vec![],
        },
    )?;
    let cfg = dir.config.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = Store::open(&dir.store_path(), cfg.ledger.cache_mb)?;
        let ledger = Ledger::open(store.clone(), key.clone(), "bench", cfg.envelope.max_bytes)?;
        let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
        let (writer, _state, task) = writer::spawn(
            ledger,
            WriterConfig {
                batch_max: cfg.ledger.batch_max,
                queue_capacity: cfg.ledger.queue_capacity,
                checkpoint_interval: Duration::from_millis(cfg.ledger.checkpoint_interval_ms),
            },
            shutdown_rx,
        );
        let privacy = Arc::new(shoal_node::daemon::privacy_engine(&dir, &store, &key)?);
        let publisher = Publisher {
            writer,
            store: store.clone(),
            privacy,
        };
        let opts = PublishOptions {
            community: "bench".into(),
            default_tlp: Tlp::Amber,
            time_granularity_secs: cfg.envelope.time_granularity_secs,
            now_unix: shoal_node::daemon::unix_now(),
            dry_run: false,
        };
        let bundle = 100usize;
        let total: u64 = if quick { 2_000 } else { 20_000 };
        let inputs: Vec<Vec<u8>> = (0..total / bundle as u64)
            .map(|b| stix_bundle(b * bundle as u64, bundle as u64))
            .collect();
        let t = Instant::now();
        let mut appended = 0;
        for input in &inputs {
            let r = publisher.publish(input, &opts).await?;
            appended += r.appended;
            if r.rejected > 0 {
                bail!("publish rejected objects: {:?}", r.results.iter().find(|o| o.status == "rejected"));
            }
        }
        let bundle_items_per_s = rate(appended as u64, t.elapsed());
        let singles: u64 = if quick { 200 } else { 2_000 };
        let inputs: Vec<Vec<u8>> = (0..singles).map(|i| stix_bundle(total + i, 1)).collect();
        let mut lat = Vec::with_capacity(inputs.len());
        let t = Instant::now();
        for input in &inputs {
            let t1 = Instant::now();
            let r = publisher.publish(input, &opts).await?;
            lat.push(t1.elapsed().as_secs_f64());
            if r.appended != 1 {
                bail!("a single publish was not appended: {:?}", r.results);
            }
        }
        let single_items_per_s = rate(singles, t.elapsed());
        let _ = shutdown_tx.send(true);
        drop(publisher);
        task.await??;
        let lat = sorted(lat);
        say!(
            "bundles of {bundle}: {bundle_items_per_s:.0} items/s; one object per call: {single_items_per_s:.0} items/s, p50 {}",
            dur(pct(&lat, 0.5))
        );
        Ok(PublishFigures {
            bundle,
            bundle_items_per_s,
            single_items_per_s,
            single_p50_s: pct(&lat, 0.5),
            internal_share: "1 in 4 with an internal address in its description",
        })
    })
}

/// Envelope sign and verify (encode + canonical check + sign; decode + check + verify),
/// each between two raw Ed25519 measurements: (sign/s, raw sign/s, verify/s, raw verify/s).
fn envelopes(quick: bool) -> Result<(f64, f64, f64, f64)> {
    use shoal_protocol::Envelope;
    say!("## envelope sign/verify");
    let key = NodeKey::from_seed([5; 32]);
    let (body, _) = typical_body(&key)?;
    let n: u64 = if quick { 5_000 } else { 30_000 };
    let bytes = body.sign_encoded(&key)?;
    let (sign, raw_sign) = bracketed(false, quick, || {
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(body.sign_encoded(&key)?);
        }
        Ok(rate(n, t.elapsed()))
    })?;
    let (verify, raw_verify) = bracketed(true, quick, || {
        let t = Instant::now();
        for _ in 0..n {
            Envelope::decode_verified(&bytes, DEFAULT_MAX_ENVELOPE_BYTES)?;
        }
        Ok(rate(n, t.elapsed()))
    })?;
    Ok((sign, raw_sign, verify, raw_verify))
}

/// Run `shoal-netbench ARGS` (next to this binary) and read its `RESULT` line.
fn netbench(args: &[&str]) -> Result<Value> {
    let exe = std::env::current_exe()?;
    let nb = exe.with_file_name(format!("shoal-netbench{}", std::env::consts::EXE_SUFFIX));
    if !nb.exists() {
        bail!(
            "{} not found (build it: cargo build --release -p shoal-node --bins)",
            nb.display()
        );
    }
    say!("## shoal-netbench {}", args.join(" "));
    let out = Command::new(&nb)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", nb.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    for l in stdout.lines().filter(|l| !l.starts_with("RESULT ")) {
        say!("{l}");
    }
    if !out.status.success() {
        bail!("shoal-netbench {} failed ({})", args.join(" "), out.status);
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .context("shoal-netbench printed no RESULT line")?;
    Ok(serde_json::from_str(line)?)
}

/// The machine: CPU model and cores.
fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let procs = info.lines().filter(|l| l.starts_with("processor")).count();
    let usable = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| format!(", {:.0} GiB RAM", kb / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("{model}, {procs} logical CPUs ({usable} usable){mem}")
}

/// The git commit of the working tree, with `+changes` when it has uncommitted changes.
fn commit() -> String {
    let run = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "--short=12", "HEAD"]) {
        Some(c) => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{c} (+ uncommitted changes)")
            } else {
                c
            }
        }
        None => "unknown (not a git checkout)".into(),
    }
}

/// UTC date and time from the system clock (civil-from-days, no time zone database).
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let t =
        shoal_protocol::dp::time::format_unix(i64::try_from(secs).unwrap_or(0)).unwrap_or_default();
    // `YYYY-MM-DDTHH:MM:SS.000Z` → `YYYY-MM-DD HH:MM UTC`.
    match (t.get(..10), t.get(11..16)) {
        (Some(day), Some(hm)) => format!("{day} {hm} UTC"),
        _ => t,
    }
}

/// Run the report.
pub fn run(args: ReportArgs) -> Result<()> {
    let started = Instant::now();
    let quick = args.quick;
    let sizes: [u64; 2] = if quick {
        [100_000, 1_000_000]
    } else {
        [1_000_000, 10_000_000]
    };
    let (prop_nodes, prop_items, prop_rate, catch_items) = if quick {
        (5usize, 100u64, 50u64, 5_000u64)
    } else {
        (20, 1000, 50, 100_000)
    };
    let refs = references(quick)?;
    let mut trees = Vec::new();
    for &n in &sizes {
        trees.push(tree_figures(n, quick)?);
    }
    let (publish, pub_sign) = bracketed(false, quick, || publish_pipeline(quick))?;
    // The receive path measures raw verification itself, right before.
    let (raw_v, recv_single, recv_batch) =
        crate::receive_path(if quick { 20_000 } else { 100_000 })?;
    let (cosig, cosig_sign) = bracketed(false, quick, || {
        crate::witness(1000, if quick { 2 } else { 5 })
    })?;
    let (env_sign, env_sign_ref, env_verify, env_verify_ref) = envelopes(quick)?;
    let (prop, catch) = if args.no_net {
        (None, None)
    } else {
        let p = netbench(&[
            "propagation",
            "--nodes",
            &prop_nodes.to_string(),
            "--items",
            &prop_items.to_string(),
            "--rate",
            &prop_rate.to_string(),
        ]);
        // The node processes need the cores: the references are taken before and after.
        let n = if quick { 3_000 } else { 20_000 };
        let (v0, s0) = (raw_ed25519(true, n)?, raw_ed25519(false, n)?);
        let c = netbench(&["catchup", "--items", &catch_items.to_string()]);
        let (v1, s1) = (raw_ed25519(true, n)?, raw_ed25519(false, n)?);
        say!("reference raw Ed25519 verify {v0:.0}/s before, {v1:.0}/s after; sign {s0:.0}/s, {s1:.0}/s");
        (
            Some(p),
            Some(c.map(|c| (c, (v0 + v1) / 2.0, (s0 + s1) / 2.0))),
        )
    };

    let mut rows: Vec<Row> = Vec::new();
    let sign_ref = |v: f64| format!("raw Ed25519 sign {}", per_s(v));
    let verify_ref = |v: f64| format!("raw Ed25519 verify {}", per_s(v));
    for t in &trees {
        let l = leaves_label(t.leaves);
        let rs_ref = format!("rs_merkle insert + commit (rebuild) {}", dur(t.rs_append_s));
        rows.push(row(
            format!("Ledger append at {l} leaves, durable (sign + log + group commit of 1,000)"),
            format!(
                "{} per item ({})",
                dur(t.group_item_s),
                per_s(t.group_items_per_s)
            ),
            rs_ref.clone(),
            ratio(t.group_item_s, t.rs_append_s),
        ));
        rows.push(row(
            format!("Ledger append at {l} leaves, durable, one item per commit (p50 / p99)"),
            format!("{} / {}", dur(t.single_p50_s), dur(t.single_p99_s)),
            rs_ref.clone(),
            ratio(t.single_p50_s, t.rs_append_s),
        ));
        rows.push(row(
            format!("Ledger append at {l} leaves, in memory (compact range: leaf hash + append; + root)"),
            format!("{} ({} with root)", dur(t.mem_append_s), dur(t.mem_append_root_s)),
            format!("raw SHA-256 leaf + 1 node {}; {rs_ref}", dur(t.append_floor_s)),
            format!(
                "{} (vs SHA-256); {} (with root, vs rs_merkle)",
                ratio(t.mem_append_s, t.append_floor_s),
                ratio(t.mem_append_root_s, t.rs_append_s)
            ),
        ));
        rows.push(row(
            format!("Inclusion proof at {l} leaves, from the durable store against a signed checkpoint + verify (p50 / p99)"),
            format!("{} / {}", dur(t.proof_p50_s), dur(t.proof_p99_s)),
            format!("rs_merkle proof + verify in memory p50 {}", dur(t.rs_proof_p50_s)),
            ratio(t.proof_p50_s, t.rs_proof_p50_s),
        ));
    }
    rows.push(row(
        format!("Publish pipeline, bundles of {} (STIX → validate → desensitize → DP → leak check → sign → durable log)", publish.bundle),
        format!("{} items/s", thousands(publish.bundle_items_per_s)),
        sign_ref(pub_sign),
        ratio(publish.bundle_items_per_s, pub_sign),
    ));
    rows.push(row(
        "Publish pipeline, one object per call (durable commit each)",
        format!(
            "{} items/s (p50 {})",
            thousands(publish.single_items_per_s),
            dur(publish.single_p50_s)
        ),
        sign_ref(pub_sign),
        ratio(publish.single_items_per_s, pub_sign),
    ));
    rows.push(row(
        "Receive pipeline (decode + verify + dedup + store), one verification per item",
        format!("{} items/s", thousands(recv_single)),
        verify_ref(raw_v),
        ratio(recv_single, raw_v),
    ));
    rows.push(row(
        "Receive pipeline with batch verification",
        format!("{} items/s", thousands(recv_batch)),
        verify_ref(raw_v),
        ratio(recv_batch, raw_v),
    ));
    match &catch {
        Some(Ok((c, vref, sref))) => {
            let (vref, sref) = (*vref, *sref);
            let v = c["items_per_s"].as_f64().unwrap_or(f64::NAN);
            rows.push(row(
                format!(
                    "Catch-up: a late member syncs and verifies {} items (node processes on loopback)",
                    thousands(catch_items as f64)
                ),
                format!("{} items/s", thousands(v)),
                verify_ref(vref),
                ratio(v, vref),
            ));
            let h = c["publish_http_items_per_s"].as_f64().unwrap_or(f64::NAN);
            rows.push(row(
                "Publish over the HTTP API, bundles of 1,000 (the catch-up run's publisher process)",
                format!("{} items/s", thousands(h)),
                sign_ref(sref),
                ratio(h, sref),
            ));
        }
        Some(Err(e)) => rows.push(row("Catch-up", format!("failed: {e:#}"), "", "")),
        None => {}
    }
    match &prop {
        Some(Ok(p)) => {
            let f = |k: &str| p[k].as_f64().unwrap_or(f64::NAN);
            rows.push(row(
                format!(
                    "Propagation publish → last of {} other nodes, {prop_nodes} node processes, {prop_items} items at {prop_rate}/s (p50 / p99)",
                    prop_nodes - 1
                ),
                format!("{:.0} ms / {:.0} ms", f("last_p50_ms"), f("last_p99_ms")),
                format!(
                    "the publish call itself {:.1} ms / {:.1} ms",
                    f("call_p50_ms"),
                    f("call_p99_ms")
                ),
                ratio(f("last_p50_ms"), f("call_p50_ms")),
            ));
            rows.push(row(
                "Propagation publish → each node (p50 / p99)",
                format!("{:.0} ms / {:.0} ms", f("each_p50_ms"), f("each_p99_ms")),
                format!(
                    "the publish call itself {:.1} ms / {:.1} ms",
                    f("call_p50_ms"),
                    f("call_p99_ms")
                ),
                ratio(f("each_p50_ms"), f("call_p50_ms")),
            ));
        }
        Some(Err(e)) => rows.push(row("Propagation", format!("failed: {e:#}"), "", "")),
        None => {}
    }
    rows.push(row(
        "Witness cosignatures (open note + consistency proof check + cosign + durable state), 1,000 logs",
        format!("{} cosignatures/s", thousands(cosig)),
        sign_ref(cosig_sign),
        ratio(cosig, cosig_sign),
    ));
    rows.push(row(
        "Envelope sign (encode + canonical check + sign)",
        per_s(env_sign),
        sign_ref(env_sign_ref),
        ratio(env_sign, env_sign_ref),
    ));
    rows.push(row(
        "Envelope verify (decode + canonical check + verify)",
        per_s(env_verify),
        verify_ref(env_verify_ref),
        ratio(env_verify, env_verify_ref),
    ));
    rows.push(row(
        "*Reference:* raw SHA-256 (start of the run)",
        "—",
        format!(
            "{} hashes/s of 64 B; {:.0} MB/s on 1 MiB",
            thousands(refs.sha_64_per_s),
            refs.sha_1m_mb_s
        ),
        "—",
    ));
    rows.push(row(
        "*Reference:* raw Ed25519 (ed25519-dalek, ~330 B message; start of the run)",
        "—",
        format!(
            "sign {}, verify {}",
            per_s(refs.sign_per_s),
            per_s(refs.verify_per_s)
        ),
        "—",
    ));
    for t in &trees {
        rows.push(row(
            format!(
                "*Reference:* rs_merkle `from_leaves` (full build) at {} leaves",
                leaves_label(t.leaves)
            ),
            "—",
            dur(t.rs_build_s),
            "—",
        ));
    }

    let mut md = String::new();
    let _ = writeln!(
        md,
        "Measured {} on {}; commit {}; `shoal-bench report{}` ({} run, {:.0} s).\n",
        utc_now(),
        machine(),
        commit(),
        if quick { " --quick" } else { "" },
        if quick { "quick smoke" } else { "full" },
        started.elapsed().as_secs_f64()
    );
    let _ = writeln!(
        md,
        "| Metric | Shoal | Reference (same run) | Shoal ÷ reference |"
    );
    let _ = writeln!(md, "|---|---|---|---|");
    for r in &rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            r.metric, r.shoal, r.reference, r.ratio
        );
    }
    let _ = writeln!(
        md,
        "\nDurable store at {}: prefilled in {} ({:.0} MiB on disk); at {}: {} ({:.0} MiB).",
        leaves_label(trees[0].leaves),
        dur(trees[0].prefill_s),
        trees[0].disk_mib,
        leaves_label(trees[1].leaves),
        dur(trees[1].prefill_s),
        trees[1].disk_mib
    );
    let _ = writeln!(
        md,
        "Publish input: STIX indicators, {} (pseudonymised before signing).",
        publish.internal_share
    );
    let _ = writeln!(
        md,
        "\nReproduce: `cargo build --release -p shoal-node --bins && target/release/shoal-bench report{}`",
        if quick { " --quick" } else { "" }
    );
    println!("{md}");
    if let Some(path) = &args.out {
        std::fs::write(path, &md).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
