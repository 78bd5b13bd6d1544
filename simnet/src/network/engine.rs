//! How one message spreads, on the virtual clock: an event queue (Dijkstra's priority
//! queue over arrival times) per message, over the topic's gossip mesh.
//!
//! * **Eager push**: a node forwards the first copy it receives to every mesh peer but
//!   the one it came from (free-riders, Sybils and garbage nodes do not forward; a
//!   publisher always sends its own). Each send waits for the sender's uplink (the
//!   message's bytes at the link bandwidth, one copy after another, plus the M/D/1
//!   mean queueing delay of the sender's uplink load in that second),
//!   then takes the link's latency (log-normal per link, fixed for the run) plus an
//!   exponential jitter; it is lost with the loss probability, refused across a
//!   partition, and missed by a receiver that is offline when it arrives. Every copy
//!   received after the first is a duplicate (bytes counted).
//! * **Lazy gossip**: a subscriber the push missed hears an IHAVE from up to `D_lazy`
//!   random holders at their next heartbeat and fetches the message (IHAVE, IWANT,
//!   message: three link crossings).
//! * **Anti-entropy sync**: whoever is still missing it (offline, partitioned) fetches
//!   it at its first sync round once it is online and joined to a holder.
//!
//! With several sources (an equivocation: two copies of one key publishing different
//! entries at one index), each node keeps and forwards only the first version it gets;
//! the first node to receive the other version has both and can build the proof.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rand::Rng;
use rand_chacha::ChaCha20Rng;

use super::scenario::NetScenario;
use super::world::{Role, Topic, World};

/// One arrival event.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ev {
    t: f64,
    node: u32,
    from: u32,
    color: u8,
}

impl Eq for Ev {}

impl Ord for Ev {
    fn cmp(&self, other: &Self) -> Ordering {
        // Min-heap on time; ties broken by node, then source, for determinism.
        other
            .t
            .total_cmp(&self.t)
            .then(other.node.cmp(&self.node))
            .then(other.from.cmp(&self.from))
            .then(other.color.cmp(&self.color))
    }
}

impl PartialOrd for Ev {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

const NONE: u32 = u32::MAX;

/// A uniform in (0, 1) from a 64-bit hash.
fn unit(h: u64) -> f64 {
    ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// How a node got a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Eager push.
    Push,
    /// Lazy gossip.
    Lazy,
    /// Anti-entropy sync.
    Sync,
}

/// The result of spreading one message.
#[derive(Debug, Default)]
pub struct Spread {
    /// (node, arrival time, first version's color, how) for every node that got it.
    pub arrivals: Vec<(u32, f64, u8, Via)>,
    /// Copies received beyond the first.
    pub duplicates: u64,
    /// Bytes received by all nodes.
    pub bytes: u64,
    /// Events processed.
    pub events: u64,
    /// The first time a node received a second, different version, and which node.
    pub conflict: Option<(f64, u32)>,
}

/// The message engine (reusable buffers).
pub struct Engine {
    first: Vec<f64>,
    /// Best arrival known per node and version (two versions at most).
    best: Vec<[f64; 2]>,
    color: Vec<u8>,
    touched: Vec<u32>,
    heap: BinaryHeap<Ev>,
    proc_s: f64,
    jitter_s: f64,
    loss: f64,
    bandwidth_bps: f64,
    heartbeat_s: f64,
    sync_s: f64,
    lazy_degree: usize,
    duration_s: f64,
    /// Bytes each node sent, per simulated second (its uplink load).
    uplink: Vec<Vec<u64>>,
    /// Priority messages go out ahead of ordinary traffic: no queueing delay.
    priority: bool,
}

impl Engine {
    /// An engine for a world of `n` nodes.
    pub fn new(s: &NetScenario, n: usize) -> Self {
        Self {
            first: vec![f64::INFINITY; n],
            best: vec![[f64::INFINITY; 2]; n],
            color: vec![0; n],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
            proc_s: s.link.processing_ms / 1000.0,
            jitter_s: s.link.jitter_ms / 1000.0,
            loss: s.link.loss,
            bandwidth_bps: s.link.bandwidth_kbps * 1000.0,
            heartbeat_s: s.topology.heartbeat_ms / 1000.0,
            sync_s: s.topology.sync_interval_ms / 1000.0,
            lazy_degree: s.topology.lazy_degree,
            duration_s: s.duration_s,
            uplink: vec![Vec::new(); n],
            priority: false,
        }
    }

    /// Whether the next messages are priority messages (sent ahead of the ordinary
    /// traffic queued on the sender's uplink; their bytes still count in its load).
    pub fn set_priority(&mut self, priority: bool) {
        self.priority = priority;
    }

    /// Add `bytes` to node `i`'s uplink in the second of `t`; returns the load (the
    /// share of the uplink's capacity used in that second).
    fn uplink_load(&mut self, i: usize, t: f64, bytes: f64) -> f64 {
        let sec = t.max(0.0) as usize;
        let Some(v) = self.uplink.get_mut(i) else {
            return 0.0;
        };
        if v.len() <= sec {
            v.resize(sec + 1, 0);
        }
        let Some(slot) = v.get_mut(sec) else {
            return 0.0;
        };
        *slot = slot.saturating_add(bytes as u64);
        *slot as f64 * 8.0 / self.bandwidth_bps
    }

    fn lost(&self, rng: &mut ChaCha20Rng) -> bool {
        self.loss > 0.0 && rng.random_bool(self.loss)
    }

    /// Spread a message of `bytes` on `topic` from `sources` (node, time, color).
    ///
    /// Dijkstra with a tentative arrival per node and version: a copy that would arrive
    /// after one already on its way is counted (a duplicate, its bytes) but never
    /// queued, so the queue holds about one event per node.
    pub fn spread(
        &mut self,
        w: &World,
        topic: Topic,
        sources: &[(u32, f64, u8)],
        bytes: usize,
        rng: &mut ChaCha20Rng,
    ) -> Spread {
        let mut out = Spread::default();
        let publishers: Vec<u32> = sources.iter().map(|s| s.0).collect();
        let salt: u64 = rng.random();
        let mut draws = 0u64;
        for &(node, t, color) in sources {
            // Identities no anchor admitted are refused at the first hop.
            if matches!(w.role.get(node as usize), Some(Role::Sybil)) {
                continue;
            }
            self.offer(node, t, color);
            self.heap.push(Ev {
                t,
                node,
                from: NONE,
                color,
            });
        }
        let tx = bytes as f64 * 8.0 / self.bandwidth_bps;
        let mut sends = 0u64;
        while let Some(ev) = self.heap.pop() {
            out.events += 1;
            let v = ev.node as usize;
            // A stale entry: a better copy of this version is already on its way.
            if self.tentative(v, ev.color) < ev.t {
                continue;
            }
            let Some(&first) = self.first.get(v) else {
                continue;
            };
            if first.is_finite() {
                if self.color.get(v) != Some(&ev.color) && out.conflict.is_none() {
                    out.conflict = Some((ev.t, ev.node));
                }
                continue;
            }
            if let Some(f) = self.first.get_mut(v) {
                *f = ev.t;
            }
            if let Some(c) = self.color.get_mut(v) {
                *c = ev.color;
            }
            out.arrivals.push((ev.node, ev.t, ev.color, Via::Push));
            let role = w.role.get(v).copied().unwrap_or(Role::Honest);
            let own = publishers.contains(&ev.node);
            if !(role.forwards() || own) || !w.online(v, ev.t) || !w.usable(v, ev.t) {
                continue;
            }
            let Some(peers) = w.mesh.get(topic).and_then(|m| m.get(v)) else {
                continue;
            };
            // The uplink: this message's copies go out one after another, after a
            // queueing delay from the node's load in this second (M/D/1 mean wait).
            let fanout = peers.len().saturating_sub(1) as f64;
            let rho = self.uplink_load(v, ev.t, bytes as f64 * fanout);
            let wait = if self.priority {
                0.0
            } else {
                tx * rho / (2.0 * (1.0 - rho.min(0.99)))
            };
            let mut send_at = ev.t + self.proc_s + wait;
            for &(p, latency) in peers {
                if p == ev.from {
                    continue;
                }
                let pu = p as usize;
                if !w.usable(pu, ev.t) || w.cut(v, pu, ev.t) {
                    continue;
                }
                send_at += tx;
                draws += 1;
                let h = super::world::mix(salt ^ draws);
                if self.loss > 0.0 && unit(h) < self.loss {
                    continue;
                }
                let jitter = if self.jitter_s > 0.0 {
                    -self.jitter_s * unit(super::world::mix(h)).ln()
                } else {
                    0.0
                };
                let arrive = send_at + f64::from(latency) + jitter;
                if !w.online(pu, arrive) {
                    continue;
                }
                sends += 1;
                if self.offer(p, arrive, ev.color) {
                    self.heap.push(Ev {
                        t: arrive,
                        node: p,
                        from: ev.node,
                        color: ev.color,
                    });
                }
            }
        }
        // Every copy sent reached its receiver: all but the first per node are duplicates.
        let firsts = out
            .arrivals
            .iter()
            .filter(|a| !publishers.contains(&a.0))
            .count() as u64;
        out.duplicates = sends.saturating_sub(firsts);
        out.bytes = sends.saturating_mul(bytes as u64);
        self.recover(w, topic, bytes, rng, &mut out);
        for &i in &self.touched {
            let i = i as usize;
            if let Some(f) = self.first.get_mut(i) {
                *f = f64::INFINITY;
            }
            if let Some(t) = self.best.get_mut(i) {
                *t = [f64::INFINITY; 2];
            }
        }
        self.touched.clear();
        out
    }

    /// The best arrival time known for node `v`, version `color`.
    fn tentative(&self, v: usize, color: u8) -> f64 {
        self.best
            .get(v)
            .and_then(|b| b.get(usize::from(color.min(1))))
            .copied()
            .unwrap_or(f64::INFINITY)
    }

    /// Offer an arrival; true if it is the best so far for that node and version.
    fn offer(&mut self, v: u32, t: f64, color: u8) -> bool {
        let Some(b) = self.best.get_mut(v as usize) else {
            return false;
        };
        let fresh = b.iter().all(|x| x.is_infinite());
        let Some(cur) = b.get_mut(usize::from(color.min(1))) else {
            return false;
        };
        if t < *cur {
            *cur = t;
            if fresh {
                self.touched.push(v);
            }
            true
        } else {
            false
        }
    }

    /// Lazy gossip, then sync, for the eligible subscribers the push missed.
    fn recover(
        &mut self,
        w: &World,
        topic: Topic,
        bytes: usize,
        rng: &mut ChaCha20Rng,
        out: &mut Spread,
    ) {
        let holders: Vec<(u32, f64, u8)> = out.arrivals.iter().map(|a| (a.0, a.1, a.2)).collect();
        if holders.is_empty() {
            return;
        }
        let subs: Vec<u32> = w.subscribers.get(topic).cloned().unwrap_or_default();
        for s in subs {
            let su = s as usize;
            if self.first.get(su).is_some_and(|f| f.is_finite())
                || !w.role.get(su).is_some_and(|r| r.catches_up())
            {
                continue;
            }
            out.events += 1;
            // Lazy gossip: IHAVE from random holders at their next heartbeat.
            let mut best: Option<(f64, u8)> = None;
            for _ in 0..self.lazy_degree {
                let Some(&(h, t_h, color)) = holders.get(rng.random_range(0..holders.len())) else {
                    continue;
                };
                let hu = h as usize;
                let phase = w.heartbeat_phase.get(hu).copied().unwrap_or(0.0);
                let k = ((t_h - phase) / self.heartbeat_s).floor() + 1.0;
                let beat = phase + k.max(0.0) * self.heartbeat_s;
                if w.cut(hu, su, beat) || !w.online(hu, beat) || !w.usable(hu, beat) {
                    continue;
                }
                if self.lost(rng) || self.lost(rng) || self.lost(rng) {
                    continue;
                }
                let arrive = beat + 3.0 * w.link_latency(hu, su) + self.proc_s;
                if w.online(su, arrive) && best.is_none_or(|b| arrive < b.0) {
                    best = Some((arrive, color));
                }
            }
            let got = match best {
                Some((t, c)) => Some((t, c, Via::Lazy)),
                None => self
                    .sync_time(w, su, &holders, rng)
                    .map(|(t, c)| (t, c, Via::Sync)),
            };
            if let Some((t, c, via)) = got.filter(|g| g.0 <= self.duration_s) {
                if let Some(f) = self.first.get_mut(su) {
                    *f = t;
                }
                self.touched.push(s);
                out.bytes += bytes as u64;
                out.arrivals.push((s, t, c, via));
            }
        }
    }

    /// When `s` gets the message by anti-entropy sync: its first sync round once it is
    /// online and joined to a holder, plus a request and an answer.
    fn sync_time(
        &self,
        w: &World,
        su: usize,
        holders: &[(u32, f64, u8)],
        rng: &mut ChaCha20Rng,
    ) -> Option<(f64, u8)> {
        let &(h, t_h, color) = holders.get(rng.random_range(0..holders.len()))?;
        let hu = h as usize;
        let phase = w.sync_phase.get(su).copied().unwrap_or(0.0);
        let mut ready = t_h;
        for _ in 0..64 {
            ready = w.next_online(su, w.next_joined(su, hu, ready));
            let k = ((ready - phase) / self.sync_s).ceil().max(0.0);
            let tick = phase + k * self.sync_s;
            let arrive = tick + 2.0 * w.link_latency(hu, su) + self.proc_s;
            if tick > self.duration_s {
                return None;
            }
            if w.online(su, tick) && w.online(su, arrive) && !w.cut(su, hu, tick) {
                return Some((arrive, color));
            }
            ready = tick + 1e-6;
        }
        None
    }
}
