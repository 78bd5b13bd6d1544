//! A network simulation run: the workload (publications at Poisson times, reports on
//! what nodes receive, adversaries), every message spread by the engine in time order,
//! and the measurements.
//!
//! What is real and what is modelled:
//! * real: every item is a STIX object, desensitized by `protocol::desensitize` (a share
//!   of them names an internal host, address and user that must never leave; every
//!   signed object is checked for them), validated by `protocol::stix`, in an envelope
//!   signed with its publisher's Ed25519 key (`protocol::envelope`), appended to the
//!   publisher's RFC 9162 ledger (`crypto::merkle`); each equivocation yields a real
//!   `protocol::provenance` proof built and verified from the two signed envelopes;
//!   every report is charged to its reporter's privacy budget (`protocol::dp::budget`)
//!   and its count noised at the discrete Laplace scale `protocol::dp` uses; credibility
//!   and trust come from `protocol::credibility` over the reports actually delivered;
//!   every catch-up by anti-entropy sync drives the node's `protocol::sync` replica of the
//!   publisher's log (checkpoint in, missing ranges out, leaves in, verified against the
//!   root), created when the node first needs it;
//! * modelled: the network (the engine's mesh, links, lazy gossip and the timing of sync
//!   rounds) — per-delivery signature checks are not repeated (each would be the same
//!   verification), and the noise is drawn from the run's seeded generator rather than
//!   OpenSSL's (so a seed reproduces the run exactly).
//!
//! A scenario's `[drill]` runs after the workload ([`super::drill::sim`]).

use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use shoal_crypto::merkle::MemoryTree;
use shoal_crypto::PublicKey;
use shoal_protocol::credibility::evidence::{Claim, EvidenceSet, Statement};
use shoal_protocol::credibility::{self, Graph, ScoreParams, TrustParams};
use shoal_protocol::dp::budget::{Budget, Spent};
use shoal_protocol::sync::{Advance, Replica, Source};
use shoal_protocol::{EnvelopeBody, Tlp};

use super::engine::Engine;
use super::histogram::Histogram;
use super::results::{NodeEpsilon, Percentiles, Results, Roc, RocPoint, Run, Series};
use super::scenario::NetScenario;
use super::world::{Role, World};

/// Simulation start (unix seconds) for timestamps in objects.
pub(crate) const EPOCH: u64 = 1_767_225_600;
/// The simulated organisations' internal domain.
const INTERNAL_DOMAIN: &str = "corp.example.com";
/// An internal host and a user named in some items.
const PLANTED_HOST: &str = "fileserver7";
const PLANTED_USER: &str = "jsmith";
/// Share of claims that name internal data.
const PLANTED_SHARE: f64 = 0.2;

/// What a message is.
#[derive(Debug, Clone)]
enum Kind {
    /// An indicator; `truth` whether it is true intel.
    Claim { truth: bool },
    /// A report on item `target`.
    Report {
        target: usize,
        refutes: bool,
        count: i64,
        noised: i64,
    },
    /// An equivocation: the original and its clone publish at once.
    Equivocation { clone: u32 },
}

#[derive(Debug, Clone)]
struct Msg {
    t: f64,
    seq: u64,
    publisher: u32,
    community: Option<usize>,
    kind: Kind,
}

impl PartialEq for Msg {
    fn eq(&self, o: &Self) -> bool {
        self.seq == o.seq
    }
}
impl Eq for Msg {}
impl Ord for Msg {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        o.t.total_cmp(&self.t).then(o.seq.cmp(&self.seq))
    }
}
impl PartialOrd for Msg {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// A published item, for scoring.
#[derive(Debug, Clone)]
struct Published {
    id: String,
    publisher: u32,
    truth: bool,
}

/// Per time bucket.
#[derive(Debug, Clone, Default)]
struct Bucket {
    owed: u64,
    delivered: u64,
    latency: Histogram,
    duplicates: u64,
    bytes: u64,
    items: u64,
}

fn exp_sample(rng: &mut ChaCha20Rng, mean: f64) -> f64 {
    let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    -mean * u.ln()
}

/// A discrete Laplace sample of scale `scale` (the difference of two geometric draws).
fn discrete_laplace(rng: &mut ChaCha20Rng, scale: f64) -> i64 {
    let p = 1.0 - (-1.0 / scale).exp();
    let geo = |rng: &mut ChaCha20Rng| -> i64 {
        let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
        (u.ln() / (1.0 - p).ln()).floor() as i64
    };
    geo(rng) - geo(rng)
}

fn poisson_times(rng: &mut ChaCha20Rng, rate: f64, duration: f64) -> Vec<f64> {
    let mut v = Vec::new();
    if rate <= 0.0 {
        return v;
    }
    let mut t = exp_sample(rng, 1.0 / rate);
    while t < duration {
        v.push(t);
        t += exp_sample(rng, 1.0 / rate);
    }
    v
}

/// Progress callback: (simulated seconds reached, events so far).
pub type Progress<'a> = &'a mut dyn FnMut(f64, u64);

/// Run a scenario.
pub fn run(s: &NetScenario, progress: Progress<'_>) -> Result<Run, String> {
    let mut rng = ChaCha20Rng::seed_from_u64(s.seed);
    let w = World::build(s, &mut rng);
    let mut engine = Engine::new(s, w.n);
    let mut net_rng = ChaCha20Rng::seed_from_u64(s.seed ^ 0x5eed);
    let mut queue: BinaryHeap<Msg> = BinaryHeap::new();
    let mut seq = 0u64;
    let push = |queue: &mut BinaryHeap<Msg>, m: Msg| queue.push(m);
    // Publications.
    let clear = s.workload.clear_fraction;
    for i in 0..w.n {
        let role = w.role.get(i).copied().unwrap_or(Role::Honest);
        let rate = match role {
            Role::Flooder => s.adversaries.flood_rate,
            Role::Honest | Role::Liar | Role::FreeRider | Role::Equivocator | Role::Sybil => {
                s.workload.publish_rate
            }
            _ => 0.0,
        };
        for t in poisson_times(&mut rng, rate, s.duration_s - s.drain_s) {
            let community = if rng.random_bool(clear) {
                None
            } else {
                w.community.get(i).copied().flatten()
            };
            seq += 1;
            push(
                &mut queue,
                Msg {
                    t,
                    seq,
                    publisher: i as u32,
                    community,
                    kind: Kind::Claim {
                        truth: role != Role::Liar,
                    },
                },
            );
        }
        if let Role::Clone { of } = role {
            seq += 1;
            let t = rng.random_range(0.1 * s.duration_s..0.5 * s.duration_s.max(1e-3));
            push(
                &mut queue,
                Msg {
                    t,
                    seq,
                    publisher: of,
                    community: w.community.get(of as usize).copied().flatten(),
                    kind: Kind::Equivocation { clone: i as u32 },
                },
            );
        }
    }
    let buckets_n = (s.duration_s / s.bucket_s).ceil().max(1.0) as usize;
    let mut buckets = vec![Bucket::default(); buckets_n];
    let mut all_latency = Histogram::default();
    let (mut owed, mut delivered, mut dups, mut bytes, mut events) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut items = 0u64;
    let mut ledgers: BTreeMap<u32, (MemoryTree, u64)> = BTreeMap::new();
    let mut published: Vec<Published> = Vec::new();
    let mut evidence = EvidenceSet::new();
    let mut statement_times: Vec<(f64, PublicKey, u64, Statement)> = Vec::new();
    let budget = Budget {
        epsilon_per_epoch: s.privacy.lifetime_epsilon,
        lifetime_epsilon: s.privacy.lifetime_epsilon,
        epoch_secs: u64::MAX / 4,
    };
    let mut spent: Vec<Spent> = vec![Spent::default(); w.n];
    let mut over_budget = 0u64;
    let mut aggregates: BTreeMap<usize, (i64, i64)> = BTreeMap::new();
    let scale = shoal_protocol::dp::mechanisms::count_scale(
        s.privacy.count_sensitivity,
        s.privacy.epsilon_per_sighting,
    )
    .map_err(|e| e.to_string())?;
    // The privacy pipeline's desensitization, with an organisation's internal names.
    let policy = shoal_protocol::desensitize::Policy::new(
        Vec::new(),
        vec![INTERNAL_DOMAIN.into()],
        vec!["Example Industrial Co".into()],
        Vec::new(),
        shoal_protocol::desensitize::Actions::default(),
        false,
        "identity--5f6a1c1e-6c6d-4a4e-9a4b-0a0c6a0e2b11".into(),
    );
    let cryptopan = shoal_crypto::CryptoPan::new(&[7; 32]);
    let pseudonyms = shoal_crypto::PseudonymKey::derive(&[9; 32], 0);
    let keys = shoal_protocol::desensitize::Keys {
        cryptopan: &cryptopan,
        pseudonyms: &pseudonyms,
    };
    let (mut planted, mut leaked) = (0u64, 0u64);
    let mut replicas: BTreeMap<(u32, u32), Replica<u32>> = BTreeMap::new();
    let (mut sync_verified, mut sync_failed, mut sync_leaves) = (0u64, 0u64, 0u64);
    let mut equivocation_detect: Vec<f64> = Vec::new();
    let mut equivocating: BTreeSet<PublicKey> = BTreeSet::new();
    let mut sybil_rejected = 0u64;
    let mut flooder_items = (0u64, 0u64);
    let mut last_heal = s
        .partitions
        .iter()
        .map(|p| p.heal_s)
        .fold(f64::NEG_INFINITY, f64::max);
    let heals: Vec<f64> = s.partitions.iter().map(|p| p.heal_s).collect();
    let mut heal_last_delivery: Option<f64> = None;
    if !last_heal.is_finite() {
        last_heal = f64::INFINITY;
    }
    while let Some(m) = queue.pop() {
        // Nothing new in the drain period (reports due then are never sent).
        if m.t >= s.duration_s - s.drain_s {
            continue;
        }
        progress(m.t, events);
        let topic = World::topic(m.community);
        let publisher = m.publisher as usize;
        let key = w.keys.get(publisher).copied().unwrap_or(PublicKey([0; 32]));
        // The envelope: a real signed STIX object in the publisher's ledger.
        let (index, object) = {
            let entry = ledgers
                .entry(m.publisher)
                .or_insert_with(|| (MemoryTree::new(), 0));
            let index = entry.1;
            entry.1 += 1;
            let id = format!("{}", uuid_for(s.seed, m.seq));
            let object = match &m.kind {
                Kind::Claim { .. } | Kind::Equivocation { .. } => json!({
                    "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{id}"),
                    "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                    "name": format!("simulated item {}", m.seq),
                    "pattern": format!("[ipv4-addr:value = '198.51.{}.{}']", (m.seq >> 8) & 0xff, m.seq & 0xff),
                    "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"}),
                Kind::Report {
                    target,
                    refutes,
                    noised,
                    ..
                } => {
                    let target_id = published
                        .get(*target)
                        .map(|p| p.id.clone())
                        .unwrap_or_default();
                    let mut o = json!({"type": "sighting", "spec_version": "2.1", "id": format!("sighting--{id}"),
                        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                        "sighting_of_ref": target_id, "count": (*noised).clamp(0, 999_999_999)});
                    if *refutes {
                        o["x_shoal_false_positive"] = json!(true);
                    }
                    o
                }
            };
            (index, object)
        };
        // A share of the claims carries internal data, as real reports do.
        let mut object = object;
        let plant = matches!(m.kind, Kind::Claim { .. }) && net_rng.random_bool(PLANTED_SHARE);
        if plant {
            planted += 1;
            object["description"] = json!(format!(
                "seen from {PLANTED_HOST}.{INTERNAL_DOMAIN} (10.20.30.40) by {PLANTED_USER}@{INTERNAL_DOMAIN}"
            ));
        }
        let stix = shoal_protocol::validate_object(object.clone(), 0).map_err(|e| e.to_string())?;
        let cleaned = shoal_protocol::desensitize::desensitize(vec![stix], &policy, &keys);
        let Some(Ok(stix)) = cleaned.items.into_iter().next().map(|i| i.result) else {
            return Err("desensitization dropped a simulated item".into());
        };
        let signed_text =
            String::from_utf8_lossy(&stix.canonical_bytes().map_err(|e| e.to_string())?)
                .into_owned();
        if [PLANTED_HOST, PLANTED_USER, "10.20.30.40", INTERNAL_DOMAIN]
            .iter()
            .any(|v| signed_text.contains(v))
        {
            leaked += 1;
        }
        let object = stix.clone().into_value();
        let tlp = if m.community.is_some() {
            Tlp::Amber
        } else {
            Tlp::Clear
        };
        let community = m
            .community
            .and_then(|c| s.nodes.communities.get(c).cloned())
            .unwrap_or_else(|| "all".into());
        let signer = w.signers.get(publisher).cloned().ok_or("no signer")?;
        let at = EPOCH + m.t as u64;
        let body = EnvelopeBody::for_object(key, index, at, tlp, community.clone(), &stix)
            .map_err(|e| e.to_string())?;
        let envelope = body.sign_encoded(&signer).map_err(|e| e.to_string())?;
        if let Some(e) = ledgers.get_mut(&m.publisher) {
            e.0.append(shoal_crypto::hash::leaf_hash(&envelope));
        }
        let wire = envelope.len().max(s.workload.item_bytes);
        // Sources: one, or the original and its clone (same key, same index).
        let mut sources = vec![(m.publisher, m.t, 0u8)];
        let mut other_envelope = None;
        if let Kind::Equivocation { clone } = m.kind {
            let mut o = object.clone();
            o["name"] = json!(format!("conflicting item {}", m.seq));
            let stix2 = shoal_protocol::validate_object(o, 0).map_err(|e| e.to_string())?;
            let body2 = EnvelopeBody::for_object(key, index, at, tlp, community, &stix2)
                .map_err(|e| e.to_string())?;
            other_envelope = Some(body2.sign_encoded(&signer).map_err(|e| e.to_string())?);
            sources.push((clone, m.t + 0.001, 1));
        }
        let spread = engine.spread(&w, topic, &sources, wire, &mut net_rng);
        events += spread.events;
        // Catching up by sync drives the node's real replica of the publisher's log: it
        // takes the checkpoint, lists the missing ranges, takes their leaves from a
        // holder and must verify them against the checkpoint's root.
        if other_envelope.is_none() {
            if let Some((tree, _)) = ledgers.get(&m.publisher) {
                let size = index + 1;
                let root = shoal_crypto::merkle::root(tree, size).map_err(|e| e.to_string())?;
                for &(node, _, _, via) in &spread.arrivals {
                    if via != super::engine::Via::Sync {
                        continue;
                    }
                    let replica = replicas
                        .entry((node, m.publisher))
                        .or_insert_with(|| Replica::new(key));
                    replica.observe_checkpoint(size, root, String::new());
                    for (from, to) in replica.missing(u64::MAX) {
                        for i in from..to {
                            if let Some(leaf) = tree.leaf(i) {
                                replica.insert(i, leaf, Source::Peer(m.publisher));
                                sync_leaves += 1;
                            }
                        }
                    }
                    match replica.try_advance() {
                        Advance::Advanced { .. } | Advance::UpToDate => sync_verified += 1,
                        _ => sync_failed += 1,
                    }
                }
            }
        }
        if matches!(w.role.get(publisher), Some(Role::Sybil)) {
            sybil_rejected += 1;
            continue;
        }
        items += 1;
        let b = ((m.t / s.bucket_s) as usize).min(buckets_n - 1);
        // Owed: eligible admitted nodes online at some point before the end.
        let mut owed_here = 0u64;
        for &sub in w.subscribers.get(topic).map(Vec::as_slice).unwrap_or(&[]) {
            let su = sub as usize;
            let counts = w.role.get(su).is_some_and(|r| r.owed());
            if counts && sub != m.publisher && w.next_online(su, m.t) < s.duration_s {
                owed_here += 1;
            }
        }
        let mut delivered_here = 0u64;
        let is_flood = matches!(w.role.get(publisher), Some(Role::Flooder));
        for &(node, t, _, _) in &spread.arrivals {
            let nu = node as usize;
            let counts = w.role.get(nu).is_some_and(|r| r.owed());
            if node == m.publisher || !counts || t > s.duration_s {
                continue;
            }
            delivered_here += 1;
            let ms = (t - m.t) * 1000.0;
            if !is_flood {
                all_latency.add(ms);
                if let Some(bk) = buckets.get_mut(b) {
                    bk.latency.add(ms);
                }
            }
            // Convergence after the last heal: when the last item published before it
            // reached its last owed node.
            if m.t < last_heal {
                heal_last_delivery = Some(heal_last_delivery.map_or(t, |h: f64| h.max(t)));
            }
        }
        if is_flood {
            flooder_items.0 += 1;
            flooder_items.1 += delivered_here;
        }
        owed += owed_here;
        delivered += delivered_here;
        dups += spread.duplicates;
        bytes += spread.bytes;
        if let Some(bk) = buckets.get_mut(b) {
            bk.owed += owed_here;
            bk.delivered += delivered_here;
            bk.duplicates += spread.duplicates;
            bk.bytes += spread.bytes;
            bk.items += 1;
        }
        // Equivocation: the first node holding both versions builds and checks the proof.
        if let (Some((t_detect, _)), Some(other)) = (spread.conflict, other_envelope.as_ref()) {
            let proof = shoal_protocol::provenance::EquivocationProof::from_envelopes(
                &envelope,
                other,
                usize::MAX >> 1,
            )
            .map_err(|e| format!("equivocation proof: {e}"))?;
            proof
                .verify(usize::MAX >> 1)
                .map_err(|e| format!("equivocation proof: {e}"))?;
            equivocation_detect.push(t_detect - m.t);
            equivocating.insert(key);
        }
        // Evidence and reports.
        let item_index = published.len();
        let id = object["id"].as_str().unwrap_or_default().to_owned();
        match &m.kind {
            Kind::Claim { truth } => {
                published.push(Published {
                    id: id.clone(),
                    publisher: m.publisher,
                    truth: *truth,
                });
                let claim = Statement::Claim(Claim {
                    id,
                    object_type: "indicator".into(),
                    pattern: object["pattern"].as_str().map(str::to_owned),
                    confidence: None,
                    revoked: false,
                    observable: Some("ipv4-addr".into()),
                });
                statement_times.push((m.t, key, index, claim));
                // Who reports on it.
                for &(node, t, _, _) in &spread.arrivals {
                    let nu = node as usize;
                    if node == m.publisher {
                        continue;
                    }
                    let role = w.role.get(nu).copied().unwrap_or(Role::Honest);
                    let publisher_liar = matches!(w.role.get(publisher), Some(Role::Liar));
                    let report = match role {
                        Role::Anchor if net_rng.random_bool(s.workload.anchor_sample) => {
                            Some(!*truth)
                        }
                        Role::Honest | Role::FreeRider | Role::Flooder | Role::Equivocator => {
                            if *truth && net_rng.random_bool(s.workload.sighting_prob) {
                                Some(false)
                            } else if !*truth && net_rng.random_bool(s.workload.detect_false) {
                                Some(true)
                            } else {
                                None
                            }
                        }
                        Role::Liar if publisher_liar && !*truth => net_rng
                            .random_bool(s.adversaries.collusion_confirm)
                            .then_some(false),
                        Role::Liar if !publisher_liar => net_rng
                            .random_bool(s.adversaries.poison_refute)
                            .then_some(true),
                        _ => None,
                    };
                    if let Some(refutes) = report {
                        let count =
                            1 + exp_sample(&mut net_rng, s.privacy.mean_count - 1.0).round() as i64;
                        let noised = count + discrete_laplace(&mut net_rng, scale);
                        let delay = exp_sample(&mut net_rng, s.workload.report_delay_s.max(1e-3));
                        seq += 1;
                        queue.push(Msg {
                            t: t + delay,
                            seq,
                            publisher: node,
                            community: m.community,
                            kind: Kind::Report {
                                target: item_index,
                                refutes,
                                count,
                                noised,
                            },
                        });
                    }
                }
            }
            Kind::Report {
                target,
                refutes,
                count,
                noised,
            } => {
                // Charged when published; over budget, it is not sent at all.
                let reporter = publisher;
                let ok = spent.get(reporter).map(|sp| {
                    sp.try_spend(&budget, EPOCH + m.t as u64, s.privacy.epsilon_per_sighting)
                });
                match ok {
                    Some(Ok(next)) => {
                        if let Some(sp) = spent.get_mut(reporter) {
                            *sp = next;
                        }
                        let target_id = published
                            .get(*target)
                            .map(|p| p.id.clone())
                            .unwrap_or_default();
                        let st = if *refutes {
                            Statement::Refutes(vec![target_id])
                        } else {
                            Statement::Confirms(vec![target_id])
                        };
                        statement_times.push((m.t, key, index, st));
                        let e = aggregates.entry(*target).or_insert((0, 0));
                        e.0 += count;
                        e.1 += noised;
                    }
                    _ => over_budget += 1,
                }
            }
            Kind::Equivocation { .. } => {}
        }
    }
    // The emergency-response drill, after the workload (its own seeded stream).
    let drilled = match &s.drill {
        Some(spec) => Some(super::drill::sim::simulate(
            spec,
            s,
            &w,
            &mut engine,
            &mut ledgers,
        )?),
        None => None,
    };
    if let Some(d) = &drilled {
        events += d.events;
    }
    progress(s.duration_s, events);
    // Credibility at the end, and trust over time.
    let anchors: BTreeSet<PublicKey> = (0..w.n)
        .filter(|i| w.role.get(*i) == Some(&Role::Anchor))
        .filter_map(|i| w.keys.get(i).copied())
        .collect();
    let anchor_list: Vec<PublicKey> = anchors.iter().copied().collect();
    let mut admitted: BTreeMap<PublicKey, BTreeSet<PublicKey>> = BTreeMap::new();
    for i in 0..w.n {
        if matches!(
            w.role.get(i),
            Some(Role::Anchor | Role::Sybil | Role::Clone { .. })
        ) {
            continue;
        }
        if let (Some(k), Some(a)) = (w.keys.get(i), anchor_list.get(i % anchor_list.len().max(1))) {
            admitted.entry(*k).or_default().insert(*a);
        }
    }
    statement_times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let checkpoints = 8usize;
    let mut trust_points: Vec<(f64, f64, f64)> = Vec::new();
    let mut next = 0usize;
    let mut trust = credibility::TrustVector::default();
    for k in 1..=checkpoints {
        let until = s.duration_s * k as f64 / checkpoints as f64;
        while let Some((t, key, index, st)) = statement_times.get(next) {
            if *t > until {
                break;
            }
            evidence.add_statement(*key, *index, EPOCH + *t as u64, st.clone());
            next += 1;
        }
        let graph = Graph {
            anchors: anchors.clone(),
            admitted: admitted.clone(),
            equivocating: equivocating.clone(),
            outcomes: evidence.outcomes(),
        };
        trust = credibility::compute(&graph, &TrustParams::default());
        let mean = |adv: bool| {
            let v: Vec<f64> = (0..w.n)
                .filter(|i| {
                    let r = w.role.get(*i).copied().unwrap_or(Role::Honest);
                    r != Role::Anchor && !matches!(r, Role::Clone { .. }) && r.adversarial() == adv
                })
                .filter_map(|i| w.keys.get(i))
                .map(|k| trust.relative(k))
                .collect();
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        trust_points.push((until, mean(false), mean(true)));
    }
    let end = EPOCH + s.duration_s as u64;
    let mut scored = Vec::new();
    let mut baseline = Vec::new();
    for p in &published {
        let Some(k) = w.keys.get(p.publisher as usize) else {
            continue;
        };
        if let Some(e) = credibility::explain(
            &evidence,
            &trust,
            &equivocating,
            &p.id,
            k,
            end,
            &ScoreParams::default(),
        ) {
            scored.push((e.credibility, p.truth));
            baseline.push((e.confirmations.len() as f64, p.truth));
        }
    }
    let has_false = scored.iter().any(|(_, t)| !t) && scored.iter().any(|(_, t)| *t);
    let (credibility_auc, baseline_auc) = if has_false {
        (
            crate::metrics::roc_auc(&scored).ok(),
            crate::metrics::roc_auc(&baseline).ok(),
        )
    } else {
        (None, None)
    };
    let roc = Roc {
        credibility: if has_false {
            roc_curve(&scored)
        } else {
            Vec::new()
        },
        baseline: if has_false {
            roc_curve(&baseline)
        } else {
            Vec::new()
        },
    };
    // Privacy.
    let mut eps: Vec<f64> = spent.iter().map(|sp| sp.lifetime_spent).collect();
    eps.sort_by(f64::total_cmp);
    let eps_max = eps.last().copied().unwrap_or(0.0);
    let rel_errors: Vec<f64> = aggregates
        .values()
        .filter(|(truth, _)| *truth > 0)
        .map(|(truth, est)| (*est - *truth).abs() as f64 / *truth as f64)
        .collect();
    let aggregate_rel_error =
        (!rel_errors.is_empty()).then(|| rel_errors.iter().sum::<f64>() / rel_errors.len() as f64);
    // Series.
    let mut series = Series {
        bucket_s: s.bucket_s,
        ..Series::default()
    };
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    for (i, bk) in buckets.iter().enumerate() {
        let t = i as f64 * s.bucket_s;
        series.t_s.push(t);
        series.delivery_ratio.push(ratio(bk.delivered, bk.owed));
        series.latency_p50_ms.push(bk.latency.percentile(0.5));
        series.latency_p90_ms.push(bk.latency.percentile(0.9));
        series.latency_p99_ms.push(bk.latency.percentile(0.99));
        series.duplicates_per_delivery.push(if bk.delivered == 0 {
            0.0
        } else {
            bk.duplicates as f64 / bk.delivered as f64
        });
        series.bytes_per_node_per_item.push(if bk.items == 0 {
            0.0
        } else {
            bk.bytes as f64 / w.n as f64 / bk.items as f64
        });
        let tp = trust_points
            .iter()
            .find(|p| p.0 >= t + s.bucket_s)
            .or(trust_points.last());
        series.trust_honest.push(tp.map_or(0.0, |p| p.1));
        series.trust_adversarial.push(tp.map_or(0.0, |p| p.2));
        series.epsilon_spent_mean.push(if eps.is_empty() {
            0.0
        } else {
            eps.iter().sum::<f64>() / eps.len() as f64
        });
        series.epsilon_spent_max.push(eps_max);
        series.online.push(
            (0..w.n)
                .filter(|n| w.online(*n, t + s.bucket_s / 2.0))
                .count() as f64,
        );
    }
    let mut adversaries = BTreeMap::new();
    if s.adversaries.sybils > 0 {
        adversaries.insert("sybil_messages_refused".into(), sybil_rejected as f64);
        adversaries.insert("sybil_items_delivered".into(), 0.0);
    }
    if s.adversaries.flooders > 0 {
        adversaries.insert("flooder_items".into(), flooder_items.0 as f64);
        adversaries.insert("flooder_deliveries".into(), flooder_items.1 as f64);
    }
    if s.adversaries.garbage > 0 {
        adversaries.insert(
            "garbage_banned_after_s".into(),
            if s.adversaries.garbage_rate > 0.0 {
                4.0 / s.adversaries.garbage_rate
            } else {
                0.0
            },
        );
        adversaries.insert("garbage_accepted".into(), 0.0);
    }
    if s.adversaries.equivocators > 0 {
        adversaries.insert(
            "equivocations_detected".into(),
            equivocation_detect.len() as f64,
        );
    }
    if s.adversaries.liars > 0.0 {
        adversaries.insert(
            "liar_trust_final".into(),
            trust_points.last().map_or(0.0, |p| p.2),
        );
        adversaries.insert(
            "honest_trust_final".into(),
            trust_points.last().map_or(0.0, |p| p.1),
        );
    }
    adversaries.insert("reports_over_budget".into(), over_budget as f64);
    adversaries.insert("internal_values_planted".into(), planted as f64);
    if sync_verified + sync_failed > 0 {
        adversaries.insert("sync_catchups_verified".into(), sync_verified as f64);
        adversaries.insert("sync_catchups_failed".into(), sync_failed as f64);
        adversaries.insert("sync_leaves_fetched".into(), sync_leaves as f64);
    }
    adversaries.insert("internal_values_leaked".into(), leaked as f64);
    let results = Results {
        scenario: s.name.clone(),
        nodes: w.n,
        seed: s.seed,
        duration_s: s.duration_s,
        items,
        delivery_ratio: ratio(delivered, owed),
        latency_ms: Percentiles {
            p50: all_latency.percentile(0.5),
            p90: all_latency.percentile(0.9),
            p99: all_latency.percentile(0.99),
        },
        duplicates_per_delivery: if delivered == 0 {
            0.0
        } else {
            dups as f64 / delivered as f64
        },
        bytes_per_node_per_item: if items == 0 {
            0.0
        } else {
            bytes as f64 / w.n as f64 / items as f64
        },
        credibility_auc,
        baseline_auc,
        epsilon_spent_max: eps_max,
        epsilon_budget: s.privacy.lifetime_epsilon,
        aggregate_rel_error,
        heal_convergence_s: if heals.is_empty() {
            None
        } else {
            Some(heal_last_delivery.map_or(0.0, |t| (t - last_heal).max(0.0)))
        },
        equivocation_detection_s: equivocation_detect.iter().copied().reduce(f64::max),
        adversaries,
        events,
        drill: drilled.as_ref().map(|d| d.results.clone()),
    };
    Ok(Run {
        results,
        series,
        roc,
        epsilon: NodeEpsilon {
            spent: eps,
            budget: s.privacy.lifetime_epsilon,
        },
        heals_s: heals,
        drill: drilled.map(|d| d.run),
    })
}

/// A UUIDv4-shaped id from the seed and a sequence number.
fn uuid_for(seed: u64, seq: u64) -> uuid::Uuid {
    let a = super::world::mix(seed ^ seq.wrapping_mul(0x9e37_79b9));
    let b = super::world::mix(a ^ seq);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The ROC curve of scores (positives are `true`), from the highest threshold down.
fn roc_curve(scores: &[(f64, bool)]) -> Vec<RocPoint> {
    let mut v: Vec<(f64, bool)> = scores.to_vec();
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    let pos = v.iter().filter(|x| x.1).count().max(1) as f64;
    let neg = v.iter().filter(|x| !x.1).count().max(1) as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut out = vec![RocPoint { fpr: 0.0, tpr: 0.0 }];
    let mut i = 0;
    while i < v.len() {
        let score = v.get(i).map_or(0.0, |x| x.0);
        while let Some(x) = v.get(i).filter(|x| x.0 == score) {
            if x.1 {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        out.push(RocPoint {
            fpr: fp / neg,
            tpr: tp / pos,
        });
    }
    out
}
