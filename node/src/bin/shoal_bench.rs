//! `shoal-bench`: prints the ledger and envelope figures quoted in the README.
//!
//! `shoal-bench report` runs the whole performance report (in-process figures, and the
//! network figures through `shoal-netbench`) and prints one Markdown table, each
//! figure next to a reference measured in the same run; see `bench/report.rs` and
//! docs/performance.md. Build first: `cargo build --release -p shoal-node --bins`.
//!
//! Without a subcommand: run with `cargo run --release -p shoal-node --bin shoal-bench`
//! (add `--quick` for a smaller run). Sections: in-memory append + root, RAM at 1M and 10M leaves,
//! rs_merkle's rebuild at 1M for comparison, durable group-commit appends through the
//! real ledger and store, inclusion proofs from the store at 10M leaves, and envelope
//! sign/verify next to raw Ed25519, the privacy pipeline, and the network receive path
//! (decode + verify + dedup + store) with and without batch verification.

#[path = "bench/report.rs"]
mod report;
#[path = "bench/situation.rs"]
mod situation;

use std::time::{Duration, Instant};

use anyhow::Result;
use clap::{Parser, Subcommand};
use shoal_crypto::hash::leaf_hash;
use shoal_crypto::merkle::{self, CompactRange};
use shoal_crypto::NodeKey;
use shoal_node::ledger::{AppendRequest, Ledger};
use shoal_node::store::{Store, WriteBatch};
use shoal_protocol::envelope::{EnvelopeBody, DEFAULT_MAX_ENVELOPE_BYTES};
use shoal_protocol::{Envelope, Tlp};

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn entry(i: u64) -> [u8; 256] {
    let mut e = [0u8; 256];
    e[..8].copy_from_slice(&i.to_be_bytes());
    e
}

fn in_memory(leaves: u64) -> f64 {
    println!("\n## In-memory append (leaf hash of a 256-byte entry + compact-range append)");
    let mut range = CompactRange::new();
    let t = Instant::now();
    let mut rss_1m = f64::NAN;
    for i in 0..leaves {
        range.append(leaf_hash(&entry(i)));
        if i + 1 == 1_000_000 {
            rss_1m = rss_mib();
        }
    }
    let d = t.elapsed();
    let root = range.root();
    println!(
        "appends: {leaves} in {d:.2?} = {:.0} appends/s (root {})",
        rate(leaves, d),
        &hex::encode(root)[..16]
    );
    let rss_end = rss_mib();
    println!("RSS after 1M leaves: {rss_1m:.1} MiB; after {leaves} leaves: {rss_end:.1} MiB");

    let mut range = CompactRange::new();
    let n = leaves.min(2_000_000);
    let t = Instant::now();
    let mut acc = 0u8;
    for i in 0..n {
        range.append(leaf_hash(&entry(i)));
        acc ^= range.root()[0];
    }
    let d = t.elapsed();
    println!(
        "append + root after every append: {n} in {d:.2?} = {:.0}/s (x{acc})",
        rate(n, d)
    );
    d.as_secs_f64() / n as f64
}

fn rs_merkle_compare(per_append_secs: f64) {
    use rs_merkle::algorithms::Sha256;
    use rs_merkle::MerkleTree;
    println!("\n## rs_merkle at 1M leaves (insert one leaf + commit, which rebuilds)");
    let leaves: Vec<[u8; 32]> = (0..1_000_000u64).map(|i| leaf_hash(&entry(i))).collect();
    let t = Instant::now();
    let mut tree = MerkleTree::<Sha256>::from_leaves(&leaves);
    println!("from_leaves(1M): {:.2?}", t.elapsed());
    let rounds = 5;
    let t = Instant::now();
    for i in 0..rounds {
        tree.insert(leaf_hash(&entry(2_000_000 + i))).commit();
        let _ = tree.root();
    }
    let per = t.elapsed().as_secs_f64() / rounds as f64;
    println!(
        "rs_merkle insert+commit+root at 1M: {:.2} ms per append; Shoal append+root: {:.2} µs; ratio {:.0}x",
        per * 1e3,
        per_append_secs * 1e6,
        per / per_append_secs
    );
}

fn durable(total: u64, batch: usize) -> Result<()> {
    println!("\n## Durable appends through the ledger (sign envelope + log + group commit)");
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 64)?;
    let key = NodeKey::from_seed([42; 32]);
    let mut ledger = Ledger::open(store.clone(), key, "bench", DEFAULT_MAX_ENVELOPE_BYTES)?;
    let t = Instant::now();
    let mut done = 0u64;
    while done < total {
        let items: Vec<AppendRequest> = (0..batch as u64)
            .map(|j| {
                let obj = format!(
                    r#"{{"id":"indicator--{:032x}","pattern":"[ipv4-addr:value = '198.51.100.7']","type":"indicator"}}"#,
                    done + j
                )
                .into_bytes();
                AppendRequest {
                    object_digest: shoal_crypto::hash::sha256(&obj),
                    object: obj,
                    tlp: Tlp::Green,
                    community: "bench".into(),
                    published_at: 1_700_000_000,
                    extensions: Vec::new(),
                }
            })
            .collect();
        ledger.append_batch(items)?;
        done += batch as u64;
    }
    let d = t.elapsed();
    println!(
        "{done} durable appends in batches of {batch}: {d:.2?} = {:.0} appends/s, store {:.1} MiB on disk, RSS {:.1} MiB",
        rate(done, d),
        store.size_on_disk() as f64 / (1 << 20) as f64,
        rss_mib()
    );
    Ok(())
}

fn proofs(leaves: u64) -> Result<()> {
    println!("\n## Inclusion proofs from the store at {leaves} leaves");
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path(), 64)?;
    let mut range = CompactRange::new();
    let t = Instant::now();
    let chunk = 20_000u64;
    let mut i = 0;
    let mut rss_at_1m = f64::NAN;
    while i < leaves {
        let mut batch = WriteBatch::default();
        let mut nodes = Vec::new();
        for j in i..(i + chunk).min(leaves) {
            nodes.extend(range.append(leaf_hash(&entry(j))));
        }
        store.stage_nodes(&mut batch, &nodes)?;
        i = (i + chunk).min(leaves);
        batch.size(i);
        store.apply(batch)?;
        store.flush()?;
        if i == 1_000_000 {
            rss_at_1m = rss_mib();
        }
    }
    store.flush()?;
    println!(
        "stored {leaves} leaves' subtree hashes in {:.2?}; RSS at 1M leaves {rss_at_1m:.1} MiB, at {leaves} {:.1} MiB",
        t.elapsed(),
        rss_mib()
    );
    let root = merkle::root(&store, leaves)?;
    assert_eq!(root, range.root());
    let n = 10_000u64;
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let t = Instant::now();
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let idx = x % leaves;
        let p = merkle::inclusion_proof(&store, idx, leaves)?;
        merkle::verify_inclusion(&leaf_hash(&entry(idx)), idx, leaves, &p, &root)?;
    }
    let per = t.elapsed() / n as u32;
    println!("inclusion proof (generate from store + verify), random index: {per:.2?} each");
    Ok(())
}

fn signing(n: u32) -> Result<()> {
    use shoal_crypto::keys::SIGNATURE_LEN;
    println!("\n## Envelope sign/verify vs raw Ed25519 ({n} each, 1 KiB object)");
    let key = NodeKey::from_seed([5; 32]);
    let object = format!(
        r#"{{"id":"note--x","pad":"{}","type":"note"}}"#,
        "a".repeat(1000)
    )
    .into_bytes();
    let body = EnvelopeBody {
        publisher: key.public(),
        ledger_index: 1,
        published_at: 1_700_000_000,
        tlp: Tlp::Green,
        community: "bench".into(),
        object,
        extensions: Vec::new(),
    };
    let msg = body.encode()?;
    let t = Instant::now();
    let mut last = [0u8; SIGNATURE_LEN];
    for _ in 0..n {
        last = key.sign_raw(&msg);
    }
    let raw_sign = t.elapsed();
    let t = Instant::now();
    let mut bytes = Vec::new();
    for _ in 0..n {
        bytes = body.sign_encoded(&key)?;
    }
    let env_sign = t.elapsed();
    let t = Instant::now();
    for _ in 0..n {
        key.public().verify_raw(&msg, &last).ok();
    }
    let raw_verify = t.elapsed();
    let t = Instant::now();
    for _ in 0..n {
        Envelope::decode_verified(&bytes, DEFAULT_MAX_ENVELOPE_BYTES)?;
    }
    let env_verify = t.elapsed();
    println!(
        "sign:   raw {:.0}/s, envelope (encode+canonical check+sign) {:.0}/s, overhead {:+.1}%",
        rate(n as u64, raw_sign),
        rate(n as u64, env_sign),
        (env_sign.as_secs_f64() / raw_sign.as_secs_f64() - 1.0) * 100.0
    );
    println!(
        "verify: raw {:.0}/s, envelope (decode+canonical check+verify) {:.0}/s, overhead {:+.1}%",
        rate(n as u64, raw_verify),
        rate(n as u64, env_verify),
        (env_verify.as_secs_f64() / raw_verify.as_secs_f64() - 1.0) * 100.0
    );
    Ok(())
}

const CORPUS: [&str; 6] = [
    include_str!("../../../protocol/tests/data/desensitize/phishing-campaign.json"),
    include_str!("../../../protocol/tests/data/desensitize/lateral-movement.json"),
    include_str!("../../../protocol/tests/data/desensitize/host-forensics.json"),
    include_str!("../../../protocol/tests/data/desensitize/vuln-exposure.json"),
    include_str!("../../../protocol/tests/data/desensitize/c2-infrastructure.json"),
    include_str!("../../../protocol/tests/data/desensitize/insider-report.json"),
];

fn privacy_pipeline(rounds: u32) -> Result<()> {
    use shoal_crypto::{CryptoPan, PseudonymKey};
    use shoal_protocol::desensitize::{self, Actions, Keys, Policy};
    use shoal_protocol::dp::{self, DpParams};
    println!("\n## Privacy pipeline (desensitize + leak check + DP) vs raw Ed25519 sign");
    let policy = Policy::new(
        vec!["192.0.2.0/24".parse()?],
        vec!["corp.example.com".into()],
        vec!["Example Industrial Co".into()],
        vec!["PROJECT-NIGHTJAR".into()],
        Actions::default(),
        false,
        "identity--5c1e0a1b-6e7d-4f3a-9b2c-8d1e0f4a7b6c".into(),
    );
    let pan = CryptoPan::new(&[1; 32]);
    let pseudo = PseudonymKey::derive(&[2; 32], 1);
    let keys = Keys {
        cryptopan: &pan,
        pseudonyms: &pseudo,
    };
    let params = DpParams {
        count_epsilon: 0.5,
        member_sector: Some("energy".into()),
        sectors: vec!["energy".into(), "water".into(), "other".into()],
        regions: vec!["north".into(), "south".into()],
        ..DpParams::default()
    };
    let bundles: Vec<Vec<shoal_protocol::StixObject>> = CORPUS
        .iter()
        .map(|b| {
            shoal_protocol::parse_input(b.as_bytes())
                .map(|v| v.into_iter().filter_map(|o| o.ok()).collect())
        })
        .collect::<Result<_, _>>()?;
    let per_round: usize = bundles.iter().map(Vec::len).sum();
    let t = Instant::now();
    let mut released = 0u64;
    for _ in 0..rounds {
        for b in &bundles {
            let out = desensitize::desensitize(b.clone(), &policy, &keys);
            for obj in out.kept() {
                let (_, obj, _receipt) =
                    dp::release_with(obj.clone(), &params, |_| Ok::<(), ()>(()))
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                desensitize::leak_check(&obj, &policy)?;
                released += 1;
            }
        }
    }
    let d = t.elapsed();
    let objects = per_round as u64 * rounds as u64;
    // Where the time goes.
    let t1 = Instant::now();
    let mut kept = Vec::new();
    for b in &bundles {
        let out = desensitize::desensitize(b.clone(), &policy, &keys);
        kept.extend(out.kept().cloned());
    }
    let des = t1.elapsed();
    let t2 = Instant::now();
    for obj in &kept {
        desensitize::leak_check(obj, &policy)?;
    }
    let leak = t2.elapsed();
    let t3 = Instant::now();
    for obj in &kept {
        let r = dp::release_with(obj.clone(), &params, |_| Ok::<(), ()>(()));
        std::hint::black_box(r.map_err(|e| anyhow::anyhow!("{e:?}"))?);
    }
    let dpt = t3.elapsed();
    println!(
        "one round: desensitize {des:.2?} ({per_round} objects), leak check {leak:.2?}, DP {dpt:.2?} ({} objects)",
        kept.len()
    );
    let key = NodeKey::from_seed([5; 32]);
    let msg = vec![7u8; 1024];
    let n = 20_000u32;
    let ts = Instant::now();
    for _ in 0..n {
        std::hint::black_box(key.sign_raw(&msg));
    }
    let sign = ts.elapsed();
    let per_obj = d.as_secs_f64() / objects as f64;
    let per_sign = sign.as_secs_f64() / n as f64;
    println!(
        "{objects} corpus objects ({released} released) in {d:.2?}: {:.1} µs per object = {:.0} objects/s; raw sign {:.1} µs = {:.0}/s; pipeline/sign = {:.2}",
        per_obj * 1e6,
        1.0 / per_obj,
        per_sign * 1e6,
        1.0 / per_sign,
        per_obj / per_sign
    );
    Ok(())
}

/// `n` signed envelopes of distinct small indicators by one publisher.
fn sample_envelopes(key: &NodeKey, n: u64) -> Result<Vec<Vec<u8>>> {
    (0..n)
        .map(|i| {
            let v = serde_json::json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--00000000-0000-4000-8000-{i:012x}"),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "name": format!("scanner {i}"),
                "pattern": format!("[ipv4-addr:value = '203.0.{}.{}']", (i >> 8) & 0xff, i & 0xff),
                "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
            });
            let body = EnvelopeBody {
                publisher: key.public(),
                ledger_index: i,
                published_at: 1_700_000_000,
                tlp: Tlp::Amber,
                community: "bench".into(),
                object: shoal_protocol::jcs::canonicalize(&v)?,
                extensions: Vec::new(),
            };
            Ok(body.sign_encoded(key)?)
        })
        .collect()
}

/// The receive path of gossip and sync: decode + verify + dedup + store (the node's
/// replica store on sled), next to raw Ed25519 verification in the same run.
/// Returns raw verifications/s and receive-path items/s without and with batch verification.
fn receive_path(n: u64) -> Result<(f64, f64, f64)> {
    use shoal_crypto::keys::SIGNATURE_LEN;
    use shoal_node::net::replicas::Replicas;
    use shoal_protocol::envelope::{decode_verified_batch, SIGNING_DOMAIN};
    eprintln!("\n## Receive path: decode + verify + dedup + store ({n} envelopes, ~330 B each)");
    let key = NodeKey::from_seed([6; 32]);
    let envs = sample_envelopes(&key, n)?;
    let pk = key.public();
    let t = Instant::now();
    for e in &envs {
        let (msg, sig) = e.split_at(e.len() - SIGNATURE_LEN);
        let sig: [u8; SIGNATURE_LEN] = sig.try_into()?;
        pk.verify(SIGNING_DOMAIN, msg, &sig).ok();
    }
    let raw = rate(n, t.elapsed());
    let run = |batched: bool| -> Result<f64> {
        let tmp = tempfile::tempdir()?;
        let store = Store::open(tmp.path(), 64)?;
        let mut replicas = Replicas::load(store.clone())?;
        let t = Instant::now();
        for chunk in envs.chunks(2048) {
            let refs: Vec<&[u8]> = chunk.iter().map(Vec::as_slice).collect();
            let decoded: Vec<_> = if batched {
                decode_verified_batch(&refs, DEFAULT_MAX_ENVELOPE_BYTES)
            } else {
                refs.iter()
                    .map(|b| Envelope::decode_verified(b, DEFAULT_MAX_ENVELOPE_BYTES))
                    .collect()
            };
            for (bytes, env) in chunk.iter().zip(decoded) {
                let env = env?;
                let b = &env.body;
                if store.held(&b.publisher, b.ledger_index)?.is_some() {
                    continue;
                }
                replicas.add_full(&b.publisher, b.ledger_index, bytes, 0);
            }
            replicas.commit()?;
        }
        store.flush()?;
        Ok(rate(n, t.elapsed()))
    };
    let single = run(false)?;
    let batch = run(true)?;
    eprintln!(
        "raw Ed25519 verify {raw:.0}/s; receive path {single:.0} items/s ({:.0}% of raw); with batch verification {batch:.0} items/s ({:.0}% of raw)",
        single / raw * 100.0,
        batch / raw * 100.0
    );
    Ok((raw, single, batch))
}

/// Witness throughput: an anchor's work per member checkpoint under the witness rule —
/// open and verify the signed note, check it against the last checkpoint cosigned for
/// that log with the RFC 9162 consistency proof the member sent
/// (`protocol::witness::check`), add a cosignature and store the new witnessed state
/// durably (sled, flushed before the cosignature would leave) — with `logs` member logs
/// each advancing by one entry per round. Returns cosignatures per second.
fn witness(logs: usize, rounds: u64) -> Result<f64> {
    use shoal_crypto::checkpoint::Checkpoint;
    use shoal_crypto::cosignature::Witness;
    use shoal_crypto::merkle::{consistency_proof, MemoryTree};
    eprintln!(
        "\n## Witness throughput: {logs} member logs, each advancing one entry per round, {rounds} rounds"
    );
    let witness = Witness::new("anchor/bench", NodeKey::from_seed([7; 32]))?;
    let dir = tempfile::tempdir()?;
    let store = shoal_node::store::Store::open(dir.path(), 64)?;
    let members: Vec<(NodeKey, String)> = (0..logs)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_be_bytes());
            seed[8] = 1;
            let k = NodeKey::from_seed(seed);
            let origin = format!(
                "m{i}/{}",
                k.public()
                    .peer_id()
                    .map(|p| p.to_string())
                    .unwrap_or_default()
            );
            (k, origin)
        })
        .collect();
    let mut trees: Vec<MemoryTree> = (0..logs).map(|_| MemoryTree::new()).collect();
    // Every log starts with some history the witness already cosigned.
    for (i, t) in trees.iter_mut().enumerate() {
        for j in 0..100u64 {
            t.append(leaf_hash(&entry(j * logs as u64 + i as u64 + 1_000_000)));
        }
    }
    let (mut total, mut flush_total) = (Duration::ZERO, Duration::ZERO);
    let mut cosigned = 0u64;
    let mut with_proof = 0u64;
    for round in 0..=rounds {
        // The members' side (not timed): append an entry, sign a checkpoint, prove it
        // consistent with the size the witness is at.
        let mut requests = Vec::with_capacity(logs);
        for (i, (k, origin)) in members.iter().enumerate() {
            let old = trees[i].size();
            trees[i].append(leaf_hash(&entry(round * logs as u64 + i as u64)));
            let cp = Checkpoint {
                origin: origin.clone(),
                size: trees[i].size(),
                root: trees[i].root(),
                extensions: Vec::new(),
            };
            let proof = if round == 0 {
                Vec::new()
            } else {
                consistency_proof(&trees[i], old, cp.size)?
            };
            requests.push((
                if round == 0 { 0 } else { old },
                proof,
                cp.sign(k)?.to_text(),
            ));
        }
        // The witness's side. Round 0 is each log's first checkpoint (trusted on first
        // use) and is not timed.
        let t = Instant::now();
        let mut flush = Duration::ZERO;
        for (i, (old, proof, note)) in requests.iter().enumerate() {
            let publisher = members[i].0.public();
            let cp = shoal_node::net::heads::open(&publisher, note)?;
            let state = store.cosigned(&publisher)?;
            let next =
                shoal_protocol::witness::check(state.as_ref(), publisher, &cp, note, *old, proof)
                    .map_err(|e| anyhow::anyhow!("log {i}: {e}"))?;
            let mut n = shoal_crypto::Note::parse(note)?;
            witness.add_cosignature(&mut n, 1_800_000_000 + round)?;
            let record = shoal_protocol::witness::Witnessed {
                note: n.to_text(),
                ..next
            };
            let f = Instant::now();
            store.set_cosigned(&publisher, &record)?;
            flush += f.elapsed();
            if round > 0 {
                cosigned += 1;
                with_proof += u64::from(!proof.is_empty());
            }
        }
        if round > 0 {
            total += t.elapsed();
            flush_total += flush;
        }
    }
    eprintln!(
        "{cosigned} checkpoints ({with_proof} with a consistency proof) checked and cosigned in {total:.2?} = {:.0} cosignatures/s ({:.1} µs each, of which {:.1} µs storing the witnessed state durably)",
        rate(cosigned, total),
        total.as_secs_f64() * 1e6 / cosigned as f64,
        flush_total.as_secs_f64() * 1e6 / cosigned as f64
    );
    Ok(rate(cosigned, total))
}

/// RSS growth per envelope taken into the credibility evidence set, for `n` distinct
/// indicators: in memory (the simulator's set) and in the store (a node's, which must
/// not grow with the items held), with the time each takes per envelope.
fn evidence_memory(n: u64) -> Result<()> {
    use shoal_protocol::credibility::EvidenceSet;
    let key = NodeKey::from_seed([8; 32]);
    // Decoded one at a time (each envelope freed before the next), so the set cannot
    // settle into memory freed just before the measurement. The exact per-claim cost
    // in memory, from a counting allocator, is in protocol/tests/credibility_memory.rs.
    let bytes = sample_envelopes(&key, n)?;
    let envelope = |b: &Vec<u8>| Envelope::decode_verified(b, DEFAULT_MAX_ENVELOPE_BYTES);

    let dir = tempfile::tempdir()?;
    let cache_mb = 16;
    let store = Store::open(dir.path(), cache_mb)?;
    let mut on_disk = EvidenceSet::with_backend(store.fresh_evidence()?);
    // Fill the store's cache first, so the growth measured is the steady state.
    let warm = (n / 2) as usize;
    for b in bytes.iter().take(warm) {
        on_disk.try_add(&envelope(b)?)?;
    }
    let before = rss_mib();
    let started = Instant::now();
    for b in bytes.iter().skip(warm) {
        on_disk.try_add(&envelope(b)?)?;
    }
    let took = started.elapsed();
    let after = rss_mib();
    let rest = n - warm as u64;
    println!(
        "evidence in the store ({cache_mb} MiB cache): the second {rest} of {} envelopes took RSS from {before:.1} to {after:.1} MiB = {:.0} B per envelope, {:.1} µs per envelope (decode and verify included)",
        on_disk.len(),
        (after - before) * 1_048_576.0 / rest as f64,
        took.as_secs_f64() * 1e6 / rest as f64
    );
    drop(on_disk);
    drop(store);

    let before = rss_mib();
    let started = Instant::now();
    let mut set = EvidenceSet::new();
    for b in &bytes {
        set.add(&envelope(b)?);
    }
    let took = started.elapsed();
    let after = rss_mib();
    let clone = set.clone();
    let cloned = rss_mib();
    println!(
        "evidence in memory: {} envelopes (~330 B each) took RSS from {before:.1} to {after:.1} MiB = {:.0} B per envelope, {:.1} µs per envelope; one clone of the set {:.0} B per envelope more",
        set.len(),
        (after - before) * 1_048_576.0 / n as f64,
        took.as_secs_f64() * 1e6 / n as f64,
        (cloned - after) * 1_048_576.0 / n as f64
    );
    drop(clone);
    Ok(())
}

/// Ledger, envelope and pipeline benchmarks of Shoal.
///
/// `shoal-bench report` runs the whole performance report and prints one Markdown
/// table (every figure next to a reference measured in the same run). Without a
/// subcommand it prints the older per-section figures.
#[derive(Parser)]
#[command(name = "shoal-bench", version)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// Smaller sizes (for the sections run without a subcommand).
    #[arg(long)]
    quick: bool,
    /// Only the receive path (decode + verify + dedup + store).
    #[arg(long)]
    receive_only: bool,
    /// Only the witness throughput.
    #[arg(long)]
    witness_only: bool,
    /// Only the privacy pipeline on the desensitization corpus.
    #[arg(long)]
    privacy_only: bool,
    /// Only the memory the credibility evidence set takes per envelope, in the store (a
    /// node's) and in memory (the simulator's); see docs/performance.md, soak.
    #[arg(long)]
    evidence_memory: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// The performance report: ledger append and proof latency at 1M and 10M leaves,
    /// publish, receive and catch-up pipelines, propagation over 20 node processes and
    /// witness cosignatures, each next to its raw reference (Ed25519, SHA-256,
    /// rs_merkle); needs `shoal` and `shoal-netbench` next to this binary.
    Report(report::ReportArgs),
    /// The situation view at an anchor holding thousands of members' data: first
    /// gathering, aggregate, JSON answer, incremental refresh, neighbourhood, memory.
    Situation(situation::SituationArgs),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Some(Cmd::Report(args)) => return report::run(args),
        Some(Cmd::Situation(args)) => return situation::run(args),
        None => {}
    }
    if cli.receive_only {
        return receive_path(100_000).map(|_| ());
    }
    if cli.evidence_memory {
        return evidence_memory(if cli.quick { 20_000 } else { 300_000 });
    }
    if cli.witness_only {
        return witness(1000, 5).map(|_| ());
    }
    let quick = cli.quick;
    if cli.privacy_only {
        return privacy_pipeline(if quick { 20 } else { 200 });
    }
    let (mem_leaves, durable_n, proof_leaves, sign_n) = if quick {
        (1_000_000, 50_000, 1_000_000, 5_000)
    } else {
        (10_000_000, 300_000, 10_000_000, 50_000)
    };
    println!(
        "# shoal-bench ({} run)",
        if quick { "quick" } else { "full" }
    );
    let per_append = in_memory(mem_leaves);
    rs_merkle_compare(per_append);
    signing(sign_n)?;
    privacy_pipeline(if quick { 20 } else { 200 })?;
    receive_path(if quick { 20_000 } else { 100_000 })?;
    witness(1000, if quick { 2 } else { 5 })?;
    durable(durable_n, 1000)?;
    proofs(proof_leaves)?;
    Ok(())
}
