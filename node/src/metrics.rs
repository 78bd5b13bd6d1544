//! `GET /metrics`: the node's metrics in the Prometheus text format (prometheus-client,
//! as libp2p's own metrics use), all prefixed `shoal_`.
//!
//! Counted as they happen: objects published, duplicates and rejections by reason
//! (`invalid`, `tlp`, `desensitization`, `privacy`, `leak`, `encoding`, `ledger`), and
//! publish latency. Read from the node's state at each scrape: items received by gossip
//! and sync, gossip messages rejected by offence, sync requests served, checkpoints
//! verified and cosigned, equivocations, peers, ledger and checkpoint size, seconds since
//! the last checkpoint, privacy budget left, evidence and trust-graph size. Set by the
//! advisory reminders: critical advisories overdue (`crate::advisory::reminders`). Counters read
//! from state only ever move forward (by the difference since the last scrape).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::publish::PublishReport;

/// A `reason` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    /// The reason.
    pub reason: String,
}

/// A float gauge.
type FGauge = Gauge<f64, AtomicU64>;

/// Every metric of the node.
pub struct Metrics {
    registry: Registry,
    published: Counter,
    duplicates: Counter,
    rejected: Family<Reason, Counter>,
    publish_seconds: Histogram,
    received_gossip: Counter,
    received_sync: Counter,
    hashes_sync: Counter,
    gossip_rejected: Family<Reason, Counter>,
    sync_served: Counter,
    checkpoints_verified: Counter,
    cosigned: Counter,
    equivocations: Counter,
    peers: Gauge,
    ledger_size: Gauge,
    checkpoint_size: Gauge,
    checkpoint_age: FGauge,
    epoch_remaining: FGauge,
    lifetime_remaining: FGauge,
    evidence: Gauge,
    trust_nodes: Gauge,
    advisories_overdue: Gauge,
    /// When the own checkpoint last advanced (unix ms).
    last_checkpoint_ms: AtomicU64,
    /// Serialises scrapes (counter catch-up is read-modify-write).
    scrape: Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// What a scrape reads from the node.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Network counters and offences.
    pub net: crate::net::status::NetStatus,
    /// Own ledger state.
    pub ledger: crate::ledger::writer::LedgerState,
    /// Privacy budget left this epoch and over the lifetime (ε).
    pub budget: Option<(f64, f64)>,
    /// Evidence envelopes and trust-graph nodes.
    pub credibility: (usize, usize),
    /// Now (unix ms).
    pub now_ms: u64,
}

fn catch_up(c: &Counter, value: u64) {
    let current = c.get();
    if value > current {
        c.inc_by(value - current);
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Register everything.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("shoal");
        let m = Self {
            published: Counter::default(),
            duplicates: Counter::default(),
            rejected: Family::default(),
            publish_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 16)),
            received_gossip: Counter::default(),
            received_sync: Counter::default(),
            hashes_sync: Counter::default(),
            gossip_rejected: Family::default(),
            sync_served: Counter::default(),
            checkpoints_verified: Counter::default(),
            cosigned: Counter::default(),
            equivocations: Counter::default(),
            peers: Gauge::default(),
            ledger_size: Gauge::default(),
            checkpoint_size: Gauge::default(),
            checkpoint_age: FGauge::default(),
            epoch_remaining: FGauge::default(),
            lifetime_remaining: FGauge::default(),
            evidence: Gauge::default(),
            trust_nodes: Gauge::default(),
            advisories_overdue: Gauge::default(),
            last_checkpoint_ms: AtomicU64::new(0),
            scrape: Mutex::new(()),
            registry: Registry::default(),
        };
        registry.register(
            "items_published",
            "Objects newly logged and shared",
            m.published.clone(),
        );
        registry.register(
            "items_duplicate",
            "Objects published again (already logged)",
            m.duplicates.clone(),
        );
        registry.register(
            "items_rejected",
            "Objects rejected at publication, by reason",
            m.rejected.clone(),
        );
        registry.register(
            "publish_seconds",
            "Publish pipeline latency per call",
            m.publish_seconds.clone(),
        );
        registry.register(
            "items_received_gossip",
            "Intel items accepted from gossip",
            m.received_gossip.clone(),
        );
        registry.register(
            "items_received_sync",
            "Intel items obtained by sync",
            m.received_sync.clone(),
        );
        registry.register(
            "leaf_hashes_received_sync",
            "Leaf hashes obtained by sync (items this node is not eligible for)",
            m.hashes_sync.clone(),
        );
        registry.register(
            "peer_offences",
            "Offences counted against peers (rejected input), by kind",
            m.gossip_rejected.clone(),
        );
        registry.register(
            "sync_requests_served",
            "Sync requests answered",
            m.sync_served.clone(),
        );
        registry.register(
            "checkpoints_verified",
            "Checkpoints of other publishers verified and applied",
            m.checkpoints_verified.clone(),
        );
        registry.register(
            "checkpoints_cosigned",
            "Checkpoints cosigned as a witness",
            m.cosigned.clone(),
        );
        registry.register(
            "equivocations",
            "Equivocation proofs verified and recorded",
            m.equivocations.clone(),
        );
        registry.register("peers", "Connected peers", m.peers.clone());
        registry.register(
            "ledger_size",
            "Entries in the own ledger",
            m.ledger_size.clone(),
        );
        registry.register(
            "checkpoint_size",
            "Size of the own latest checkpoint",
            m.checkpoint_size.clone(),
        );
        registry.register(
            "checkpoint_age_seconds",
            "Seconds since the own checkpoint last advanced (or since start)",
            m.checkpoint_age.clone(),
        );
        registry.register(
            "privacy_epsilon_remaining_epoch",
            "Privacy budget left this epoch (epsilon)",
            m.epoch_remaining.clone(),
        );
        registry.register(
            "privacy_epsilon_remaining_lifetime",
            "Privacy budget left over the node's lifetime (epsilon)",
            m.lifetime_remaining.clone(),
        );
        registry.register(
            "credibility_evidence",
            "Envelopes taken in as credibility evidence",
            m.evidence.clone(),
        );
        registry.register(
            "trust_graph_nodes",
            "Nodes in the trust graph",
            m.trust_nodes.clone(),
        );
        registry.register(
            "advisories_overdue",
            "Critical advisories concerning this node past their deadline without a final acknowledgement",
            m.advisories_overdue.clone(),
        );
        Self { registry, ..m }
    }

    /// Set how many critical advisories this node is overdue on (`crate::advisory`).
    pub fn set_advisories_overdue(&self, n: usize) {
        self.advisories_overdue.set(to_i64(n as u64));
    }

    /// Count a publish call.
    pub fn observe_publish(&self, report: &PublishReport, took: Duration) {
        if report.dry_run {
            return;
        }
        self.publish_seconds.observe(took.as_secs_f64());
        self.published.inc_by(report.appended as u64);
        self.duplicates.inc_by(report.duplicates as u64);
        for o in report.results.iter().filter(|o| o.status == "rejected") {
            self.rejected
                .get_or_create(&Reason {
                    reason: o.reason.unwrap_or("other").to_owned(),
                })
                .inc();
        }
    }

    /// Note that the own checkpoint advanced at `now_ms`.
    pub fn checkpoint_advanced(&self, now_ms: u64) {
        self.last_checkpoint_ms.store(now_ms, Ordering::Relaxed);
    }

    /// The text exposition, after reading `s`.
    pub fn render(&self, s: &Snapshot) -> String {
        let _guard = self.scrape.lock();
        let c = &s.net.counters;
        catch_up(&self.received_gossip, c.gossip_accepted);
        catch_up(&self.received_sync, c.synced_items);
        catch_up(&self.hashes_sync, c.synced_hashes);
        catch_up(&self.sync_served, c.sync_served);
        catch_up(&self.checkpoints_verified, c.checkpoints);
        catch_up(&self.cosigned, c.cosigned);
        catch_up(&self.equivocations, c.equivocations);
        for (kind, n) in &s.net.offences {
            catch_up(
                &self.gossip_rejected.get_or_create(&Reason {
                    reason: kind.clone(),
                }),
                *n,
            );
        }
        self.peers.set(to_i64(s.net.peers.len() as u64));
        self.ledger_size.set(to_i64(s.ledger.size));
        self.checkpoint_size
            .set(to_i64(s.ledger.checkpoint.unwrap_or(0)));
        let last = self.last_checkpoint_ms.load(Ordering::Relaxed);
        self.checkpoint_age
            .set(s.now_ms.saturating_sub(last) as f64 / 1000.0);
        if let Some((epoch, lifetime)) = s.budget {
            self.epoch_remaining.set(epoch);
            self.lifetime_remaining.set(lifetime);
        }
        self.evidence.set(to_i64(s.credibility.0 as u64));
        self.trust_nodes.set(to_i64(s.credibility.1 as u64));
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_counters_only_move_forward_and_the_text_is_prometheus() {
        let m = Metrics::new();
        let mut s = Snapshot::default();
        s.net.counters.gossip_accepted = 5;
        s.net.offences.insert("bad_signature".into(), 2);
        s.ledger.size = 7;
        s.budget = Some((1.5, 90.0));
        let text = m.render(&s);
        assert!(
            text.contains("shoal_items_received_gossip_total 5"),
            "{text}"
        );
        assert!(
            text.contains("shoal_peer_offences_total{reason=\"bad_signature\"} 2"),
            "{text}"
        );
        assert!(text.contains("shoal_ledger_size 7"), "{text}");
        assert!(
            text.contains("shoal_privacy_epsilon_remaining_epoch 1.5"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
        // A smaller reading (e.g. after a restart of the network task) never decreases a counter.
        s.net.counters.gossip_accepted = 3;
        assert!(m.render(&s).contains("shoal_items_received_gossip_total 5"));
        s.net.counters.gossip_accepted = 9;
        assert!(m.render(&s).contains("shoal_items_received_gossip_total 9"));
    }
}
