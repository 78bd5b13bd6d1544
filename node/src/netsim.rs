//! The simulator's libp2p backend: many nodes in one process, each a real libp2p swarm
//! with Shoal's gossipsub (`net::behaviour::shoal_gossipsub`: the node's configuration,
//! content-addressed ids, peer scoring) over libp2p's in-memory transport with Noise and
//! Yamux, every message a real signed envelope that every receiver decodes and verifies
//! before accepting it (as the node's gossip validation does). It runs a network
//! scenario (`shoal_simnet::network::scenario`) in real time — nodes, communities, mesh
//! degree, heartbeat, publish rate, duration — and measures delivery and propagation
//! latency into the same `Results` the discrete-event backend writes, so the two can be
//! compared on one scenario (`shoal-sim compare`). Link latency, loss, bandwidth, churn,
//! partitions and adversaries are the discrete-event backend's: here the links are
//! in-memory and the latency is the real stack's own (scheduling, crypto, framing).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::StreamExt;
use libp2p::core::transport::MemoryTransport;
use libp2p::core::upgrade::Version;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm, Transport};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use shoal_crypto::NodeKey;
use shoal_protocol::{Envelope, EnvelopeBody, Tlp};
use shoal_simnet::network::histogram::Histogram;
use shoal_simnet::network::results::{Percentiles, Results, Run};
use shoal_simnet::network::scenario::NetScenario;
use tokio::sync::mpsc;

/// Largest message accepted (an envelope and its framing).
const MAX_MESSAGE: usize = 1 << 20;
/// How long meshes get to form before the first publication.
const WARM_UP: Duration = Duration::from_secs(4);

/// The next free in-memory port (runs in one process must not share addresses).
static NEXT_PORT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1_000_001);

/// Published items by message id: (item number, when published).
type Items = Arc<Mutex<HashMap<Vec<u8>, (u32, Instant)>>>;

/// Arrivals: (item, node) → seconds after the item was published.
type Arrivals = Arc<Mutex<HashMap<(u32, u32), f64>>>;

fn topic_name(t: usize) -> IdentTopic {
    IdentTopic::new(format!("shoal-sim/{t}"))
}

fn build(key: &NodeKey, heartbeat: Duration, mesh_n: usize) -> Result<Swarm<gossipsub::Behaviour>> {
    let keypair = key.libp2p_keypair()?;
    let swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_other_transport(|k| -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
            Ok(MemoryTransport::default()
                .upgrade(Version::V1)
                .authenticate(libp2p::noise::Config::new(k)?)
                .multiplex(libp2p::yamux::Config::default())
                .boxed())
        })
        .map_err(|e| anyhow::anyhow!("memory transport: {e}"))?
        .with_behaviour(|_| {
            crate::net::behaviour::shoal_gossipsub(
                mesh_n,
                heartbeat,
                MAX_MESSAGE,
                Duration::from_millis(shoal_config::NetworkConfig::default().duplicate_window_ms),
            )
            .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { e.to_string().into() })
        })
        .map_err(|e| anyhow::anyhow!("gossipsub: {e}"))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build();
    Ok(swarm)
}

/// One node's loop: publish what it is told to, validate and record what arrives.
async fn drive(
    mut swarm: Swarm<gossipsub::Behaviour>,
    me: u32,
    mut publish: mpsc::Receiver<(IdentTopic, Vec<u8>)>,
    items: Items,
    arrivals: Arrivals,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut stop = stop;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            Some((topic, data)) = publish.recv() => {
                let _ = swarm.behaviour_mut().publish(topic, data);
            }
            ev = swarm.select_next_some() => {
                if let SwarmEvent::Behaviour(gossipsub::Event::Message { propagation_source, message_id, message }) = ev {
                    // The node's validation: decode and verify the signed envelope.
                    let ok = Envelope::decode_verified(&message.data, MAX_MESSAGE).is_ok();
                    let verdict = if ok { MessageAcceptance::Accept } else { MessageAcceptance::Reject };
                    let _ = swarm.behaviour_mut().report_message_validation_result(&message_id, &propagation_source, verdict);
                    if !ok {
                        continue;
                    }
                    let found = items.lock().ok().and_then(|m| m.get(message_id.0.as_slice()).copied());
                    if let (Some((item, at)), Ok(mut a)) = (found, arrivals.lock()) {
                        a.entry((item, me)).or_insert_with(|| at.elapsed().as_secs_f64());
                    }
                }
            }
        }
    }
}

/// Run `s` with real swarms; `progress` gets the seconds elapsed of the workload.
pub async fn run(s: &NetScenario, progress: &mut dyn FnMut(f64)) -> Result<Run> {
    let mut rng = ChaCha20Rng::seed_from_u64(s.seed);
    let communities = s.nodes.communities.len().max(1);
    let n = s.nodes.anchors + s.nodes.members;
    let heartbeat = Duration::from_secs_f64(s.topology.heartbeat_ms / 1000.0);
    // Topics of each node: CLEAR (0) and its community, or every community (anchors).
    let topics_of = |i: usize| -> Vec<usize> {
        if i < s.nodes.anchors {
            (0..=communities).collect()
        } else {
            vec![0, 1 + (i - s.nodes.anchors) % communities]
        }
    };
    let keys: Vec<NodeKey> = (0..n)
        .map(|i| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&s.seed.to_be_bytes());
            seed[8..16].copy_from_slice(&(i as u64).to_be_bytes());
            seed[16] = 0x5a;
            NodeKey::from_seed(seed)
        })
        .collect();
    let items: Items = Arc::default();
    let arrivals: Arrivals = Arc::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut senders = Vec::with_capacity(n);
    let mut tasks = Vec::with_capacity(n);
    // Memory addresses are global to the process: each run takes its own block.
    let base = NEXT_PORT.fetch_add(n as u64 + 1, std::sync::atomic::Ordering::Relaxed);
    let addr = |i: usize| -> Result<Multiaddr> {
        format!("/memory/{}", base + i as u64)
            .parse()
            .context("memory address")
    };
    let mut peers: Vec<PeerId> = Vec::with_capacity(n);
    for (i, key) in keys.iter().enumerate() {
        let mut swarm = build(key, heartbeat, s.topology.mesh_degree)?;
        swarm.listen_on(addr(i)?)?;
        for t in topics_of(i) {
            swarm.behaviour_mut().subscribe(&topic_name(t))?;
        }
        peers.push(*swarm.local_peer_id());
        // Dial D random earlier nodes (the mesh forms over these connections).
        for _ in 0..s.topology.mesh_degree.min(i) {
            let j = rng.random_range(0..i);
            let _ = swarm.dial(addr(j)?.with(libp2p::multiaddr::Protocol::P2p(
                *peers.get(j).context("peer")?,
            )));
        }
        let (tx, rx) = mpsc::channel(64);
        senders.push(tx);
        tasks.push(tokio::spawn(drive(
            swarm,
            i as u32,
            rx,
            items.clone(),
            arrivals.clone(),
            stop_rx.clone(),
        )));
    }
    tokio::time::sleep(WARM_UP).await;
    // The workload: Poisson publications of the members, in real time.
    let publish_until = s.duration_s - s.drain_s;
    let mut schedule: Vec<(f64, usize, usize)> = Vec::new();
    for i in s.nodes.anchors..n {
        let mut t = -(1.0 - rng.random::<f64>()).ln() / s.workload.publish_rate.max(1e-9);
        while t < publish_until {
            let topic = if rng.random_bool(s.workload.clear_fraction) {
                0
            } else {
                1 + (i - s.nodes.anchors) % communities
            };
            schedule.push((t, i, topic));
            t += -(1.0 - rng.random::<f64>()).ln() / s.workload.publish_rate.max(1e-9);
        }
    }
    schedule.sort_by(|a, b| a.0.total_cmp(&b.0));
    let started = Instant::now();
    let mut owed = 0u64;
    let mut published: Vec<(usize, usize)> = Vec::new();
    for (seq, (t, i, topic)) in schedule.iter().enumerate() {
        let wait = Duration::from_secs_f64(*t).saturating_sub(started.elapsed());
        tokio::time::sleep(wait).await;
        progress(*t);
        let key = keys.get(*i).context("key")?;
        let object = shoal_protocol::validate_object(
            json!({"type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--{}", crate::export::v4_from(&format!("{}/{seq}", s.seed))),
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "name": format!("simulated item {seq}"),
                "pattern": format!("[ipv4-addr:value = '198.51.{}.{}']", (seq >> 8) & 0xff, seq & 0xff),
                "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}),
            0,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let community = s
            .nodes
            .communities
            .get(topic.saturating_sub(1))
            .cloned()
            .unwrap_or_else(|| "all".into());
        let tlp = if *topic == 0 { Tlp::Clear } else { Tlp::Amber };
        let bytes = EnvelopeBody::for_object(
            key.public(),
            seq as u64,
            1_767_225_600,
            tlp,
            community,
            &object,
        )?
        .sign_encoded(key)?;
        let id = shoal_crypto::hash::leaf_hash(&bytes).to_vec();
        if let Ok(mut m) = items.lock() {
            m.insert(id, (published.len() as u32, Instant::now()));
        }
        owed += (0..n)
            .filter(|j| j != i && topics_of(*j).contains(topic))
            .count() as u64;
        published.push((*i, *topic));
        if let Some(tx) = senders.get(*i) {
            tx.send((topic_name(*topic), bytes)).await.ok();
        }
    }
    let remaining = Duration::from_secs_f64(s.duration_s).saturating_sub(started.elapsed());
    tokio::time::sleep(remaining).await;
    progress(s.duration_s);
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    let arrivals = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
    let mut latency = Histogram::default();
    let mut delivered = 0u64;
    for ((item, node), secs) in &arrivals {
        if published
            .get(*item as usize)
            .is_some_and(|(p, _)| *p as u32 != *node)
        {
            delivered += 1;
            latency.add(secs * 1000.0);
        }
    }
    let results = Results {
        scenario: format!("{} (libp2p)", s.name),
        nodes: n,
        seed: s.seed,
        duration_s: s.duration_s,
        items: published.len() as u64,
        delivery_ratio: if owed == 0 {
            1.0
        } else {
            delivered as f64 / owed as f64
        },
        latency_ms: Percentiles {
            p50: latency.percentile(0.5),
            p90: latency.percentile(0.9),
            p99: latency.percentile(0.99),
        },
        epsilon_budget: s.privacy.lifetime_epsilon,
        events: delivered,
        ..Results::default()
    };
    Ok(Run {
        results,
        ..Run::default()
    })
}
