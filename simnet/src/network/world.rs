//! The simulated world: who every node is (role, community, key), when it is online,
//! which side of each partition it is on, the gossip meshes of every topic (the CLEAR
//! topic and one per community) and the link model. Built once from the scenario and the
//! seed; read-only afterwards.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, RngCore};
use rand_chacha::ChaCha20Rng;
use shoal_crypto::{NodeKey, PublicKey};

use super::scenario::NetScenario;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A pre-trusted anchor (in every community).
    Anchor,
    /// An honest member.
    Honest,
    /// A colluding liar.
    Liar,
    /// A member that never forwards.
    FreeRider,
    /// A member publishing at the flood rate.
    Flooder,
    /// A member whose data directory is cloned.
    Equivocator,
    /// The clone (same key as `Equivocator` node `of`).
    Clone {
        /// The original.
        of: u32,
    },
    /// An identity no anchor admitted.
    Sybil,
    /// A node sending garbage.
    Garbage,
}

impl Role {
    /// Whether it forwards what it receives.
    pub fn forwards(self) -> bool {
        !matches!(self, Role::FreeRider | Role::Sybil | Role::Garbage)
    }

    /// Whether it is an admitted node that fetches what it misses (lazy gossip, sync).
    pub fn catches_up(self) -> bool {
        !matches!(self, Role::Sybil | Role::Garbage)
    }

    /// Whether deliveries to it count in the delivery ratio (admitted members and
    /// anchors; not the clones, Sybils or garbage senders).
    pub fn owed(self) -> bool {
        !matches!(self, Role::Sybil | Role::Garbage | Role::Clone { .. })
    }

    /// Whether it is adversarial (for the trust plot).
    pub fn adversarial(self) -> bool {
        !matches!(self, Role::Anchor | Role::Honest)
    }
}

/// Topic 0 is TLP:CLEAR (everyone); topic `1 + c` is community `c`.
pub type Topic = usize;

/// The world.
pub struct World {
    /// Node count.
    pub n: usize,
    /// Roles.
    pub role: Vec<Role>,
    /// Community of each member (`None` for anchors, which are in all).
    pub community: Vec<Option<usize>>,
    /// Keys (clones share their original's).
    pub keys: Vec<PublicKey>,
    /// Signing keys (by node).
    pub signers: Vec<NodeKey>,
    /// Offline intervals `[from, to)` of each node (seconds), sorted.
    pub offline: Vec<Vec<(f64, f64)>>,
    /// Partitions: (start, heal, which nodes are cut off).
    pub partitions: Vec<(f64, f64, Vec<bool>)>,
    /// Per topic: the subscribers.
    pub subscribers: Vec<Vec<u32>>,
    /// Per topic: the mesh adjacency (by node): each peer with the link's one-way
    /// latency (seconds).
    pub mesh: Vec<Vec<Vec<(u32, f32)>>>,
    /// Heartbeat phase of each node (seconds).
    pub heartbeat_phase: Vec<f64>,
    /// Sync phase of each node (seconds).
    pub sync_phase: Vec<f64>,
    /// When each garbage node is banned by its peers (seconds).
    pub banned_at: Vec<f64>,
    seed: u64,
    latency: f64,
    spread: f64,
}

fn exp_sample(rng: &mut ChaCha20Rng, mean: f64) -> f64 {
    let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    -mean * u.ln()
}

/// A standard normal sample from two uniforms (Box-Muller).
fn normal_from(u1: f64, u2: f64) -> f64 {
    (-2.0 * u1.max(f64::MIN_POSITIVE).ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A uniform in (0, 1) from a 64-bit hash.
fn unit(h: u64) -> f64 {
    ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// SplitMix64: a well-mixed 64-bit hash of `x`.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The one-way latency of the link `u`–`v`: log-normal around `mean` with `sigma`,
/// derived from `seed` (the same for both directions).
fn link_latency(seed: u64, mean: f64, sigma: f64, u: usize, v: usize) -> f64 {
    let (a, b) = if u < v { (u, v) } else { (v, u) };
    let h = mix(seed ^ mix((a as u64) << 32 | b as u64));
    let z = normal_from(unit(h), unit(mix(h)));
    mean * (sigma * z - sigma * sigma / 2.0).exp()
}

impl World {
    /// Build the world for `s` from the seeded generator.
    pub fn build(s: &NetScenario, rng: &mut ChaCha20Rng) -> World {
        let members = s.nodes.members;
        let anchors = s.nodes.anchors;
        let a = &s.adversaries;
        let communities = s.nodes.communities.len().max(1);
        let mut role = Vec::new();
        let mut community = Vec::new();
        role.extend(std::iter::repeat_n(Role::Anchor, anchors));
        community.extend(std::iter::repeat_n(None, anchors));
        // Members: assign adversarial roles to a random subset.
        let mut member_roles = vec![Role::Honest; members];
        let mut order: Vec<usize> = (0..members).collect();
        order.shuffle(rng);
        let liars = (a.liars * members as f64).round() as usize;
        let free = (a.free_riders * members as f64).round() as usize;
        let mut it = order.into_iter();
        for (count, r) in [
            (liars, Role::Liar),
            (free, Role::FreeRider),
            (a.flooders, Role::Flooder),
            (a.equivocators, Role::Equivocator),
        ] {
            for _ in 0..count {
                if let Some(i) = it.next() {
                    if let Some(slot) = member_roles.get_mut(i) {
                        *slot = r;
                    }
                }
            }
        }
        for (i, r) in member_roles.into_iter().enumerate() {
            role.push(r);
            community.push(Some(i % communities));
        }
        // Clones of the equivocators (same key, same community), Sybils, garbage nodes.
        let originals: Vec<u32> = (0..role.len())
            .filter(|i| role.get(*i) == Some(&Role::Equivocator))
            .map(|i| i as u32)
            .collect();
        for o in &originals {
            role.push(Role::Clone { of: *o });
            community.push(community.get(*o as usize).copied().flatten());
        }
        for k in 0..a.sybils {
            role.push(Role::Sybil);
            community.push(Some(k % communities));
        }
        for k in 0..a.garbage {
            role.push(Role::Garbage);
            community.push(Some(k % communities));
        }
        let n = role.len();
        let signers: Vec<NodeKey> = (0..n)
            .map(|i| {
                let owner = match role.get(i) {
                    Some(Role::Clone { of }) => *of as usize,
                    _ => i,
                };
                let mut seed = [0u8; 32];
                seed[..8].copy_from_slice(&s.seed.to_be_bytes());
                seed[8..16].copy_from_slice(&(owner as u64).to_be_bytes());
                NodeKey::from_seed(seed)
            })
            .collect();
        let keys = signers.iter().map(NodeKey::public).collect();
        // Churn.
        let churners = (s.churn.fraction * members as f64).round() as usize;
        let mut offline = vec![Vec::new(); n];
        let mut member_ids: Vec<usize> = (anchors..anchors + members).collect();
        member_ids.shuffle(rng);
        for i in member_ids.into_iter().take(churners) {
            let mut t = exp_sample(rng, s.churn.mean_online_s);
            while t < s.duration_s {
                let off = exp_sample(rng, s.churn.mean_offline_s);
                if let Some(v) = offline.get_mut(i) {
                    v.push((t, t + off));
                }
                t += off + exp_sample(rng, s.churn.mean_online_s);
            }
        }
        // Partitions: a random share of the nodes on the far side.
        let partitions = s
            .partitions
            .iter()
            .map(|p| {
                let cut: Vec<bool> = (0..n).map(|_| rng.random_bool(p.fraction)).collect();
                (p.start_s, p.heal_s, cut)
            })
            .collect();
        // Topics and meshes.
        let admitted = |i: usize| !matches!(role.get(i), Some(Role::Sybil));
        let mut subscribers: Vec<Vec<u32>> = vec![Vec::new(); communities + 1];
        for i in 0..n {
            if !admitted(i) {
                continue;
            }
            if let Some(t) = subscribers.get_mut(0) {
                t.push(i as u32);
            }
            match community.get(i).copied().flatten() {
                Some(c) => {
                    if let Some(t) = subscribers.get_mut(1 + c) {
                        t.push(i as u32);
                    }
                }
                None => {
                    for c in 0..communities {
                        if let Some(t) = subscribers.get_mut(1 + c) {
                            t.push(i as u32);
                        }
                    }
                }
            }
        }
        let d = s.topology.mesh_degree;
        let link_seed = rng.next_u64();
        let latency = s.link.latency_ms / 1000.0;
        let spread = s.link.latency_spread;
        let mesh = subscribers
            .iter()
            .map(|subs| -> Vec<Vec<(u32, f32)>> {
                let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n];
                if subs.len() < 2 {
                    return vec![Vec::new(); n];
                }
                for &u in subs {
                    let mut added = 0;
                    let mut tries = 0;
                    while added < d.div_ceil(2) && tries < 8 * d {
                        tries += 1;
                        let Some(&v) = subs.choose(rng) else { break };
                        if v == u || adj.get(u as usize).is_some_and(|a| a.contains(&v)) {
                            continue;
                        }
                        if let Some(a) = adj.get_mut(u as usize) {
                            a.push(v);
                        }
                        if let Some(a) = adj.get_mut(v as usize) {
                            a.push(u);
                        }
                        added += 1;
                    }
                }
                adj.into_iter()
                    .enumerate()
                    .map(|(u, peers)| {
                        peers
                            .into_iter()
                            .map(|v| {
                                let l = link_latency(link_seed, latency, spread, u, v as usize);
                                (v, l as f32)
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let hb = s.topology.heartbeat_ms / 1000.0;
        let sync = s.topology.sync_interval_ms / 1000.0;
        let heartbeat_phase = (0..n).map(|_| rng.random_range(0.0..hb)).collect();
        let sync_phase = (0..n).map(|_| rng.random_range(0.0..sync)).collect();
        let ban_after = if a.garbage_rate > 0.0 {
            // Four malformed messages (weight 20 each) reach the disconnect threshold (80).
            4.0 / a.garbage_rate
        } else {
            f64::INFINITY
        };
        let banned_at = role
            .iter()
            .map(|r| {
                if *r == Role::Garbage {
                    ban_after
                } else {
                    f64::INFINITY
                }
            })
            .collect();
        World {
            n,
            role,
            community,
            keys,
            signers,
            offline,
            partitions,
            subscribers,
            mesh,
            heartbeat_phase,
            sync_phase,
            banned_at,
            seed: link_seed,
            latency,
            spread,
        }
    }

    /// Whether node `i` is online at `t`.
    pub fn online(&self, i: usize, t: f64) -> bool {
        self.offline
            .get(i)
            .is_none_or(|v| !v.iter().any(|(a, b)| t >= *a && t < *b))
    }

    /// The first time at or after `t` that `i` is online.
    pub fn next_online(&self, i: usize, t: f64) -> f64 {
        let mut t = t;
        if let Some(v) = self.offline.get(i) {
            for (a, b) in v {
                if t >= *a && t < *b {
                    t = *b;
                }
            }
        }
        t
    }

    /// Whether `u` and `v` are cut off from each other at `t`.
    pub fn cut(&self, u: usize, v: usize, t: f64) -> bool {
        self.partitions
            .iter()
            .any(|(start, heal, side)| t >= *start && t < *heal && side.get(u) != side.get(v))
    }

    /// The first time at or after `t` when `u` and `v` are not cut off.
    pub fn next_joined(&self, u: usize, v: usize, t: f64) -> f64 {
        let mut t = t;
        for (start, heal, side) in &self.partitions {
            if t >= *start && t < *heal && side.get(u) != side.get(v) {
                t = *heal;
            }
        }
        t
    }

    /// The one-way latency of the link `u`–`v` (seconds): log-normal around the mean,
    /// fixed per link (symmetric), derived from the seed.
    pub fn link_latency(&self, u: usize, v: usize) -> f64 {
        link_latency(self.seed, self.latency, self.spread, u, v)
    }

    /// Whether node `i` may be used at `t` (garbage nodes are banned after a while).
    pub fn usable(&self, i: usize, t: f64) -> bool {
        self.banned_at.get(i).is_none_or(|b| t < *b)
    }

    /// The topic an item of `community` (`None`: CLEAR) goes to.
    pub fn topic(community: Option<usize>) -> Topic {
        community.map_or(0, |c| c + 1)
    }

    /// Whether node `i` is eligible for items of `topic`.
    pub fn eligible(&self, i: usize, topic: Topic) -> bool {
        if matches!(self.role.get(i), Some(Role::Sybil)) {
            return false;
        }
        topic == 0
            || match self.community.get(i).copied().flatten() {
                None => true,
                Some(c) => c + 1 == topic,
            }
    }
}
