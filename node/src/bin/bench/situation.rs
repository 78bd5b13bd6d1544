//! `shoal-bench situation`: the situation view on an anchor holding thousands of
//! members' data.
//!
//! Fills a fresh store, as the network would (signed envelopes of `--members`
//! publishers stored as verified replicas, `ReplicaBatch` like the sync path), with a week
//! of each member's intel: indicators from a shared pool, sightings of them with privacy
//! receipts like the pipeline's (discrete-Laplace counts, randomized-response sector and
//! region), `indicates` relationships to a pool of malware families, and a vulnerability
//! now and then. Then it times what the node does for `GET /api/v1/situation`: loading
//! the credibility state (node start), the first gathering of every held item, the
//! aggregate over the default window (a week in hourly buckets) with the cache off,
//! its JSON answer, an incremental refresh after one new item per member, and the
//! relationship neighbourhood of the most sighted indicator; with the process's RSS.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use serde_json::{json, Value};
use shoal_crypto::NodeKey;
use shoal_node::credibility::Credibility;
use shoal_node::situation::Situations;
use shoal_node::store::replicas::{Held, ReplicaBatch};
use shoal_node::store::Store;
use shoal_protocol::dp::PrivacyReceipt;
use shoal_protocol::envelope::DEFAULT_MAX_ENVELOPE_BYTES;
use shoal_protocol::situation::Query;
use shoal_protocol::{EnvelopeBody, Tlp};

use crate::rss_mib;

/// Options of `shoal-bench situation`.
#[derive(Args, Debug, Clone)]
pub struct SituationArgs {
    /// Publishing members whose data the anchor holds.
    #[arg(long, default_value_t = 2000)]
    members: u64,
    /// Sightings each member reported over the week (plus 2 indicators, 2 relationships
    /// and now and then a vulnerability each).
    #[arg(long, default_value_t = 20)]
    sightings: u64,
    /// The store's page cache in MiB (`ledger.cache_mb`).
    #[arg(long, default_value_t = 64)]
    cache_mb: u64,
    /// Timed repetitions of the aggregate (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
}

const SECTORS: [&str; 5] = ["energy", "manufacturing", "water", "transport", "finance"];
const REGIONS: [&str; 4] = ["north", "south", "east", "west"];
const INDICATORS: u64 = 500;
const MALWARE: u64 = 20;
const WEEK: u64 = 7 * 86_400;

/// A small deterministic generator (the figures must not depend on the run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn stamp() -> &'static str {
    "2026-01-01T00:00:00.000Z"
}

fn indicator(n: u64) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--00000000-0000-4000-8000-{n:012x}"),
        "created": stamp(), "modified": stamp(), "valid_from": stamp(),
        "name": format!("C2 endpoint {n}"),
        "indicator_types": ["malicious-activity"],
        "pattern_type": "stix",
        "pattern": format!("[ipv4-addr:value = '198.51.{}.{}']", n / 250, n % 250 + 1),
    })
}

fn malware_id(n: u64) -> String {
    format!("malware--00000000-0000-4000-9000-{n:012x}")
}

fn receipt() -> Result<PrivacyReceipt> {
    Ok(serde_json::from_value(json!({
        "version": 1,
        "privacy_unit": "one internal host or event of the reporting member",
        "epsilon": 2.5,
        "entries": [
            {"path": "count", "mechanism": "discrete_laplace", "epsilon": 0.5, "scale": 2.0,
             "clamped_min": 0, "clamped_max": 999_999_999, "sensitivity": 1},
            {"path": "x_shoal_sector", "mechanism": "randomized_response", "epsilon": 1.0,
             "categories": SECTORS},
            {"path": "x_shoal_region", "mechanism": "randomized_response", "epsilon": 1.0,
             "categories": REGIONS}
        ]
    }))?)
}

/// One member's week: its signed envelopes, in ledger order, from index `first`.
fn member_items(
    key: &NodeKey,
    m: u64,
    now: u64,
    sightings: u64,
    first: u64,
    rng: &mut Lcg,
) -> Result<Vec<(u64, Vec<u8>)>> {
    let from = now - WEEK;
    let receipt = receipt()?.to_extension()?;
    let mut objects: Vec<(u64, Value, bool)> = Vec::new();
    let own = [rng.below(INDICATORS), rng.below(INDICATORS)];
    for (k, &n) in own.iter().enumerate() {
        objects.push((from + rng.below(WEEK / 2), indicator(n), false));
        objects.push((
            from + rng.below(WEEK / 2),
            json!({
                "type": "relationship", "spec_version": "2.1",
                "id": format!("relationship--00000000-0000-4000-a000-{:012x}", m * 2 + k as u64),
                "created": stamp(), "modified": stamp(),
                "relationship_type": "indicates",
                "source_ref": indicator(n)["id"], "target_ref": malware_id(n % MALWARE)
            }),
            false,
        ));
    }
    if m.is_multiple_of(10) {
        objects.push((
            from + rng.below(WEEK),
            json!({
                "type": "vulnerability", "spec_version": "2.1",
                "id": format!("vulnerability--00000000-0000-4000-b000-{m:012x}"),
                "created": stamp(), "modified": stamp(),
                "name": format!("CVE-2026-{:04}", m % 9000 + 1000)
            }),
            false,
        ));
    }
    for s in 0..sightings {
        // Sightings lean towards the low end of the pool (a few indicators are hot) and
        // towards the end of the week (an outbreak).
        let a = rng.below(INDICATORS);
        let target = a.min(rng.below(INDICATORS));
        let late = WEEK - rng.below(WEEK).min(rng.below(WEEK));
        objects.push((
            from + late.min(WEEK - 1),
            json!({
                "type": "sighting", "spec_version": "2.1",
                "id": format!("sighting--00000000-0000-4000-c{:03x}-{:012x}", s % 4096, m),
                "created": stamp(), "modified": stamp(),
                "count": 1 + rng.below(12),
                "sighting_of_ref": indicator(target)["id"],
                "x_shoal_sector": SECTORS[rng.below(5) as usize],
                "x_shoal_region": REGIONS[rng.below(4) as usize]
            }),
            true,
        ));
    }
    objects.sort_by_key(|(at, _, _)| *at);
    let mut out = Vec::with_capacity(objects.len());
    for (i, (at, object, with_receipt)) in objects.into_iter().enumerate() {
        let index = first + i as u64;
        let body = EnvelopeBody {
            publisher: key.public(),
            ledger_index: index,
            published_at: at,
            tlp: Tlp::Green,
            community: "energy".into(),
            object: serde_json::to_vec(&object)?,
            extensions: if with_receipt {
                vec![receipt.clone()]
            } else {
                Vec::new()
            },
        };
        out.push((index, body.sign_encoded(key)?));
    }
    Ok(out)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Run the measurement and print its figures.
pub fn run(args: SituationArgs) -> Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("store"), args.cache_mb).context("open the store")?;
    let rss_start = rss_mib();
    println!(
        "# situation at an anchor: {} members, {} sightings each over a week",
        args.members, args.sightings
    );

    let t = Instant::now();
    let mut rng = Lcg(0x5117);
    let mut held = 0u64;
    let mut next = Vec::with_capacity(args.members as usize);
    let keys: Vec<NodeKey> = (0..args.members)
        .map(|m| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&m.to_be_bytes());
            seed[31] = 0x5a;
            NodeKey::from_seed(seed)
        })
        .collect();
    let mut received_ms = now.saturating_sub(WEEK) * 1000;
    for chunk in keys.chunks(100) {
        let mut batch = ReplicaBatch::default();
        for key in chunk {
            let m = next.len() as u64;
            let items = member_items(key, m, now, args.sightings, 0, &mut rng)?;
            next.push(items.len() as u64);
            for (index, bytes) in items {
                received_ms += 1;
                batch.leaf(&key.public(), index, &Held::Full { received_ms, bytes });
                held += 1;
            }
        }
        store.apply_replicas(batch)?;
    }
    store.flush()?;
    println!(
        "store filled: {held} items of {} publishers in {:.1?} (RSS {:.0} MiB)",
        args.members,
        t.elapsed(),
        rss_mib()
    );

    let t = Instant::now();
    let cred = Credibility::load(&store, BTreeSet::new(), None, DEFAULT_MAX_ENVELOPE_BYTES)?;
    let cred_load = t.elapsed();
    let own = NodeKey::from_seed([0xa7; 32]).public();
    let svc = Situations::new(
        store.clone(),
        own,
        DEFAULT_MAX_ENVELOPE_BYTES,
        cred,
        None,
        Duration::ZERO,
    )?;
    let rss_before = rss_mib();
    let t = Instant::now();
    let facts = svc.facts(now)?;
    let gather = t.elapsed();
    let rss_after = rss_mib();
    println!(
        "credibility state loaded in {cred_load:.1?}; first gathering of {} items in {gather:.1?}; \
         RSS {rss_before:.0} -> {rss_after:.0} MiB (+{:.0} B per item held)",
        facts.len(),
        (rss_after - rss_before) * 1_048_576.0 / facts.len().max(1) as f64
    );
    // As a request handler would: the snapshot is let go once answered (a refresh copies
    // it only while a reader still holds it).
    drop(facts);

    let to = now.div_ceil(3600) * 3600;
    let q = Query {
        from_unix: to - WEEK,
        to_unix: to,
        bucket_secs: 3600,
        now_unix: now,
    };
    let mut times = Vec::new();
    let mut json_times = Vec::new();
    let mut bytes = 0;
    let mut sightings_est = String::new();
    for _ in 0..args.repeat.max(1) {
        let t = Instant::now();
        let view = svc.view(&q)?;
        times.push(t.elapsed());
        let t = Instant::now();
        let body = serde_json::to_vec(&*view)?;
        json_times.push(t.elapsed());
        bytes = body.len();
        if sightings_est.is_empty() {
            let v: Value = serde_json::from_slice(&body)?;
            sightings_est = v
                .get("sightings")
                .map(|s| s.to_string())
                .unwrap_or_default()
                .chars()
                .take(160)
                .collect();
        }
    }
    println!(
        "aggregate over a week in hourly buckets (cache off): median {:.1?} over {} runs; \
         JSON answer {} KiB in {:.1?}",
        median(times),
        args.repeat.max(1),
        bytes / 1024,
        median(json_times)
    );
    if !sightings_est.is_empty() {
        println!("  sightings: {sightings_est}…");
    }

    // One new item per member arrives: the refresh decodes only those.
    let mut batch = ReplicaBatch::default();
    let mut added = 0;
    for (m, key) in keys.iter().enumerate() {
        let items = member_items(key, m as u64, now, 1, next[m], &mut rng)?;
        if let Some((index, bytes)) = items.into_iter().find(|(_, b)| !b.is_empty()) {
            received_ms += 1;
            batch.leaf(&key.public(), index, &Held::Full { received_ms, bytes });
            added += 1;
        }
    }
    store.apply_replicas(batch)?;
    let t = Instant::now();
    let facts = svc.facts(now)?;
    println!(
        "incremental refresh after {added} new items: {:.1?} ({} held)",
        t.elapsed(),
        facts.len()
    );

    let hot = indicator(0)["id"].as_str().unwrap_or_default().to_owned();
    let t = Instant::now();
    let graph = svc.graph(&hot, 2, 150, now)?;
    println!(
        "neighbourhood of the most sighted indicator (depth 2, ≤ 150 nodes): {:.1?}, {} nodes",
        t.elapsed(),
        graph.map(|g| g.nodes.len()).unwrap_or(0)
    );
    println!(
        "process RSS: {rss_start:.0} MiB at start, {:.0} MiB at the end",
        rss_mib()
    );
    Ok(())
}
