//! The node's credibility service: the evidence it holds (`protocol::credibility`) kept
//! in the store's evidence tree ([`crate::store::evidence`]: memory stays bounded
//! whatever the node holds), the trust vector recomputed from it, and scores with
//! explanations.
//!
//! At start it empties the evidence tree and reads every envelope the store holds (own
//! ledger and received intel) into it;
//! afterwards the network driver hands it every envelope it accepts, and new entries of
//! the own ledger are read on each recomputation. What the driver hands over is queued
//! ([`MAX_PENDING`] at most; beyond, it is taken in at once) and taken in on a blocking
//! thread ([`Credibility::take_in_pending`], every [`TAKE_IN_INTERVAL`]), so the store
//! writes stay off the network path; every reader takes the queue in first, so answers
//! never miss an envelope already accepted. The trust vector is recomputed on a
//! blocking thread every `credibility.recompute_interval_ms` when evidence changed, with
//! the trust roots (`network.trust_anchors`) and every node certified as an anchor as the
//! pre-trusted set, the admissions held in the store (each member seeded by the anchor
//! that issued its certificate) and the equivocation proofs held. Readers (the API, the CLI, peer scoring) take a read lock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use shoal_crypto::keys::PublicKey;
use shoal_protocol::credibility::{
    self, Backend, EvidenceSet, Explanation, ScoreParams, TrustParams, TrustVector,
};
use shoal_protocol::provenance::{EquivocationProof, Limits};
use shoal_protocol::Envelope;

use crate::store::evidence::Evidence;
use crate::store::replicas::Held;
use crate::store::{Store, StoreError};

/// The evidence and the latest trust vector.
#[derive(Debug)]
struct State {
    set: EvidenceSet<Evidence>,
    trust: TrustVector,
    equivocating: BTreeSet<PublicKey>,
    /// Evidence changed since the last recomputation.
    dirty: bool,
    /// Own ledger entries read so far.
    own_read: u64,
    /// When the trust vector was computed (unix ms).
    computed_ms: u64,
    /// How many nodes it covers.
    nodes: usize,
    /// The pre-trusted set and admissions it was computed with.
    inputs: (
        BTreeSet<PublicKey>,
        BTreeMap<PublicKey, BTreeSet<PublicKey>>,
    ),
}

/// A summary for status pages.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// Envelopes taken in as evidence.
    pub evidence: usize,
    /// Nodes in the trust graph.
    pub nodes: usize,
    /// Iterations of the last computation.
    pub iterations: usize,
    /// Its final L1 change.
    pub residual: f64,
    /// When it ran (unix ms; 0: not yet).
    pub computed_ms: u64,
}

/// Most envelopes waiting to be taken in as evidence.
pub const MAX_PENDING: usize = 4096;

/// How often the daemon takes the waiting envelopes in.
pub const TAKE_IN_INTERVAL: Duration = Duration::from_millis(100);

/// Shared credibility state.
#[derive(Debug)]
pub struct Credibility {
    state: RwLock<State>,
    /// Envelopes accepted but not yet taken in (see the module docs).
    pending: Mutex<Vec<Envelope>>,
    roots: BTreeSet<PublicKey>,
    own_chain: Option<Vec<u8>>,
    max_envelope: usize,
    trust_params: TrustParams,
    score_params: ScoreParams,
}

impl Credibility {
    /// Load the evidence the store holds.
    pub fn load(
        store: &Store,
        roots: BTreeSet<PublicKey>,
        own_chain: Option<Vec<u8>>,
        max_envelope: usize,
    ) -> Result<Arc<Self>, StoreError> {
        let mut state = State {
            set: EvidenceSet::with_backend(store.fresh_evidence()?),
            trust: TrustVector::default(),
            equivocating: BTreeSet::new(),
            dirty: true,
            own_read: 0,
            computed_ms: 0,
            nodes: 0,
            inputs: Default::default(),
        };
        for item in store.all_held() {
            if let (_, _, Held::Full { bytes, .. }) = item? {
                if let Ok(env) = Envelope::decode(&bytes, max_envelope) {
                    state.set.try_add(&env)?;
                }
            }
        }
        let this = Arc::new(Self {
            state: RwLock::new(state),
            pending: Mutex::new(Vec::new()),
            roots,
            own_chain,
            max_envelope,
            trust_params: TrustParams::default(),
            score_params: ScoreParams::default(),
        });
        this.recompute(store)?;
        Ok(this)
    }

    /// Hand over an envelope the node accepted (signature already checked): queued, or
    /// taken in at once if [`MAX_PENDING`] are already waiting.
    pub fn observe(&self, env: &Envelope) {
        let queued = match self.pending.lock() {
            Ok(mut p) if p.len() < MAX_PENDING => {
                p.push(env.clone());
                true
            }
            _ => false,
        };
        if !queued {
            self.take_in_pending();
            self.take_in(std::slice::from_ref(env));
        }
    }

    /// Take in the envelopes waiting (blocking: the store is written).
    pub fn take_in_pending(&self) {
        let batch = match self.pending.lock() {
            Ok(mut p) if !p.is_empty() => std::mem::take(&mut *p),
            _ => return,
        };
        self.take_in(&batch);
    }

    /// Whether envelopes are waiting to be taken in.
    pub fn has_pending(&self) -> bool {
        self.pending.lock().is_ok_and(|p| !p.is_empty())
    }

    /// Take envelopes in. If the store fails to keep one, the error is logged: the
    /// envelope is held all the same, and the evidence is rebuilt from the envelopes at
    /// the next start.
    fn take_in(&self, envelopes: &[Envelope]) {
        let Ok(mut s) = self.state.write() else {
            return;
        };
        for env in envelopes {
            match s.set.try_add(env) {
                Ok(true) => s.dirty = true,
                Ok(false) => {}
                Err(e) => tracing::warn!(
                    error = %e,
                    publisher = %hex::encode(env.body.publisher.0),
                    ledger_index = env.body.ledger_index,
                    "evidence not kept (rebuilt at the next start)"
                ),
            }
        }
    }

    /// Read new own entries, and recompute the trust vector if anything changed.
    pub fn recompute(&self, store: &Store) -> Result<bool, StoreError> {
        self.take_in_pending();
        // New own entries first (outside the write lock: decoding is the slow part).
        let from = self.state.read().map(|s| s.own_read).unwrap_or(0);
        let mut own = Vec::new();
        let mut next = from;
        for e in store.entries_from(from) {
            let (i, bytes) = e?;
            next = i.saturating_add(1);
            if let Ok(env) = Envelope::decode(&bytes, self.max_envelope) {
                own.push(env);
            }
        }
        let equivocating = equivocating(store, self.max_envelope)?;
        let (anchors, admitted) = admissions(store, &self.roots, self.own_chain.as_deref())?;
        let (graph, was_dirty) = {
            let Ok(mut s) = self.state.write() else {
                return Ok(false);
            };
            for env in &own {
                if s.set.try_add(env)? {
                    s.dirty = true;
                }
            }
            s.own_read = next;
            if s.equivocating != equivocating || s.inputs.0 != anchors || s.inputs.1 != admitted {
                s.dirty = true;
                s.inputs = (anchors.clone(), admitted.clone());
            }
            if !s.dirty {
                return Ok(false);
            }
            s.dirty = false;
            // The set tallies its outcome counts: this copies them, it reads nothing.
            (
                credibility::Graph {
                    anchors,
                    admitted,
                    equivocating: equivocating.clone(),
                    outcomes: s.set.try_outcomes()?,
                },
                true,
            )
        };
        let trust = credibility::compute(&graph, &self.trust_params);
        let nodes = trust.trust.len();
        if let Ok(mut s) = self.state.write() {
            s.trust = trust;
            s.equivocating = equivocating;
            s.computed_ms = crate::net::now_ms();
            s.nodes = nodes;
        }
        Ok(was_dirty)
    }

    /// Explanations of every claim of `id` (one per publisher), at `now` (unix seconds).
    pub fn explain(&self, id: &str, now: u64) -> Result<Vec<Explanation>, StoreError> {
        self.take_in_pending();
        let Ok(s) = self.state.read() else {
            return Ok(Vec::new());
        };
        let publishers: Vec<PublicKey> = s
            .set
            .backend()
            .target(id)?
            .map(|t| t.claims.keys().copied().collect())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(publishers.len());
        for p in &publishers {
            out.extend(credibility::try_explain(
                &s.set,
                &s.trust,
                &s.equivocating,
                id,
                p,
                now,
                &self.score_params,
            )?);
        }
        Ok(out)
    }

    /// The credibility of `publisher`'s claim `id` at `now`, if known. A store that
    /// fails to read is logged and gives `None` (listings show the item unscored).
    pub fn score(&self, id: &str, publisher: &PublicKey, now: u64) -> Option<Explanation> {
        self.take_in_pending();
        let s = self.state.read().ok()?;
        credibility::try_explain(
            &s.set,
            &s.trust,
            &s.equivocating,
            id,
            publisher,
            now,
            &self.score_params,
        )
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the evidence to score an item");
            None
        })
    }

    /// The relative trust of `key` (`None` if it is not in the trust graph).
    pub fn relative_trust(&self, key: &PublicKey) -> Option<f64> {
        let s = self.state.read().ok()?;
        if s.equivocating.contains(key) {
            return Some(0.0);
        }
        s.trust
            .trust
            .contains_key(key)
            .then(|| s.trust.relative(key))
    }

    /// Every node's global and relative trust, highest first.
    pub fn trust_table(&self) -> Vec<(PublicKey, f64, f64)> {
        let Ok(s) = self.state.read() else {
            return Vec::new();
        };
        let mut v: Vec<(PublicKey, f64, f64)> = s
            .trust
            .trust
            .iter()
            .map(|(k, t)| (*k, *t, s.trust.relative(k)))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// A summary of the state.
    pub fn summary(&self) -> Summary {
        self.take_in_pending();
        match self.state.read() {
            Ok(s) => Summary {
                evidence: s.set.len(),
                nodes: s.nodes,
                iterations: s.trust.iterations,
                residual: s.trust.residual,
                computed_ms: s.computed_ms,
            },
            Err(_) => Summary {
                evidence: 0,
                nodes: 0,
                iterations: 0,
                residual: 0.0,
                computed_ms: 0,
            },
        }
    }
}

/// The trust roots of a configuration (`network.trust_anchors`).
pub fn roots(cfg: &shoal_config::Config) -> Result<BTreeSet<PublicKey>, RootsError> {
    Ok(
        shoal_protocol::admission::TrustRoots::from_vkeys(&cfg.network.trust_anchors)
            .map_err(|e| RootsError(e.to_string()))?
            .keys()
            .copied()
            .collect(),
    )
}

/// `network.trust_anchors` does not parse (validated configs always do).
#[derive(Debug, thiserror::Error)]
#[error("`network.trust_anchors`: {0}")]
pub struct RootsError(String);

/// Publishers with a verified equivocation proof in the store.
fn equivocating(store: &Store, max_envelope: usize) -> Result<BTreeSet<PublicKey>, StoreError> {
    let limits = Limits {
        max_envelope_bytes: max_envelope,
        ..Limits::default()
    };
    let mut out = BTreeSet::new();
    for bytes in store.equivocations() {
        if let Ok(p) = EquivocationProof::decode(&bytes?, &limits) {
            out.insert(p.publisher);
        }
    }
    Ok(out)
}

/// The pre-trusted set, and each admitted member with the anchors that seed it.
type Admissions = (
    BTreeSet<PublicKey>,
    BTreeMap<PublicKey, BTreeSet<PublicKey>>,
);

/// The pre-trusted set and the admitted members: every trust root and every node whose
/// certificate gives it the anchor role is pre-trusted; every other admitted node is
/// seeded by the anchor (or root) that issued its certificate.
fn admissions(
    store: &Store,
    roots: &BTreeSet<PublicKey>,
    own_chain: Option<&[u8]>,
) -> Result<Admissions, StoreError> {
    use shoal_protocol::admission::{Chain, Role};
    let mut chains: Vec<Chain> = Vec::new();
    if let Some(own) = own_chain.filter(|c| !c.is_empty()) {
        if let Ok(c) = Chain::parse(own) {
            chains.push(c);
        }
    }
    for item in store.chains() {
        let (_, bytes) = item?;
        if let Ok(c) = Chain::parse(&bytes) {
            chains.push(c);
        }
    }
    let rooted = |c: &Chain| {
        c.certificates
            .last()
            .is_some_and(|root_cert| roots.contains(&root_cert.issuer))
    };
    let mut anchors = roots.clone();
    for c in chains.iter().filter(|c| rooted(c)) {
        if let Some(leaf) = c.leaf().filter(|l| l.role == Role::Anchor) {
            anchors.insert(leaf.subject);
        }
    }
    let mut admitted: BTreeMap<PublicKey, BTreeSet<PublicKey>> = BTreeMap::new();
    for c in chains.iter().filter(|c| rooted(c)) {
        if let Some(leaf) = c.leaf() {
            if !anchors.contains(&leaf.subject) && anchors.contains(&leaf.issuer) {
                admitted
                    .entry(leaf.subject)
                    .or_default()
                    .insert(leaf.issuer);
            }
        }
    }
    Ok((anchors, admitted))
}

#[cfg(test)]
mod tests {
    use shoal_crypto::NodeKey;
    use shoal_protocol::envelope::{EnvelopeBody, DEFAULT_MAX_ENVELOPE_BYTES};
    use shoal_protocol::Tlp;

    use super::*;

    fn envelope(key: &NodeKey, i: u64) -> Envelope {
        let object = serde_json::json!({
            "type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--00000000-0000-4000-8000-{i:012x}"),
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "pattern": format!("[ipv4-addr:value = '203.0.113.{}']", i % 200),
            "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"
        });
        let body = EnvelopeBody {
            publisher: key.public(),
            ledger_index: i,
            published_at: 1_700_000_000,
            tlp: Tlp::Green,
            community: "test".into(),
            object: shoal_protocol::jcs::canonicalize(&object).unwrap(),
            extensions: Vec::new(),
        };
        Envelope::decode(&body.sign_encoded(key).unwrap(), DEFAULT_MAX_ENVELOPE_BYTES).unwrap()
    }

    /// What the network path hands over waits in a bounded queue, and no reader misses
    /// it: readers take the queue in first.
    #[test]
    fn accepted_envelopes_are_queued_boundedly_and_seen_by_every_reader() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 4).unwrap();
        let cred =
            Credibility::load(&store, BTreeSet::new(), None, DEFAULT_MAX_ENVELOPE_BYTES).unwrap();
        let key = NodeKey::from_seed([5; 32]);
        let first = envelope(&key, 0);
        cred.observe(&first);
        assert!(cred.has_pending());
        let id = "indicator--00000000-0000-4000-8000-000000000000";
        assert!(cred.score(id, &key.public(), 1_700_000_000).is_some());
        assert!(!cred.has_pending());
        let total = MAX_PENDING as u64 + 10;
        for i in 1..total {
            cred.observe(&envelope(&key, i));
            assert!(cred.pending.lock().unwrap().len() <= MAX_PENDING);
        }
        assert_eq!(cred.summary().evidence as u64, total);
        assert!(!cred.has_pending());
        // Taken in by the daemon's task, without a reader.
        cred.observe(&envelope(&key, total));
        cred.take_in_pending();
        assert!(!cred.has_pending());
        assert_eq!(cred.explain(id, 1_700_000_000).unwrap().len(), 1);
    }
}
