//! The credibility of one claim, and the explanation of every input's part in it.
//!
//! Evidence is weighed Beta-style: with relative trust `τ` in `[0, 1)`
//! ([`super::trust::TrustVector::relative`]),
//!
//! ```text
//! for     = prior + w_pub · τ(publisher) · (0.5 + confidence/200) + Σ w_conf · τ(confirmer)
//! against = prior + Σ w_ref · τ(refuter)
//! score   = for / (for + against)
//! credibility = score · decay(age)          (0 if the publisher revoked it)
//! ```
//!
//! Confirmers are distinct reporters other than the publisher: sightings and agreeing
//! opinions of the claim's id or of the same indicator pattern, and other publishers'
//! own claims of the same thing. Refuters likewise. The declared STIX `confidence` (50
//! when absent) only scales the publisher's own vote. The age is counted from the latest
//! of the claim and its confirmations ([`super::decay`]). An equivocating publisher has
//! trust 0 and is flagged; independent confirmations still count.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use shoal_crypto::PublicKey;

use super::admiralty;
use super::backend::{Backend, Memory};
use super::decay;
use super::evidence::EvidenceSet;
use super::trust::TrustVector;

/// Weights of the credibility formula.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreParams {
    /// Pseudo-count on each side (the score of an item nobody knows anything about is
    /// 0.5 before the publisher's vote).
    pub prior: f64,
    /// Weight of the publisher's own vote.
    pub publisher_weight: f64,
    /// Weight of one confirmation.
    pub confirmation_weight: f64,
    /// Weight of one refutation.
    pub refutation_weight: f64,
}

impl Default for ScoreParams {
    fn default() -> Self {
        Self {
            prior: 1.0,
            publisher_weight: 2.0,
            confirmation_weight: 1.0,
            refutation_weight: 1.5,
        }
    }
}

/// One reporter's part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// The reporter's key, hex.
    pub reporter: String,
    /// Its relative trust.
    pub trust: f64,
    /// The weight it adds.
    pub weight: f64,
    /// When it last reported (unix seconds).
    pub at: u64,
    /// How: `sighting/opinion` (a report on the id), `same claim` (its own claim).
    pub how: &'static str,
}

/// The age decay applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecayInfo {
    /// The observable type the lifetime is chosen by.
    pub observable: Option<String>,
    /// Seconds since the claim or its latest confirmation.
    pub age_secs: u64,
    /// The type's lifetime.
    pub lifetime_secs: u64,
    /// MISP's decay speed δ.
    pub speed: f64,
    /// The factor.
    pub factor: f64,
}

/// A claim's credibility and how it came about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The STIX id.
    pub id: String,
    /// The publisher, hex.
    pub publisher: String,
    /// Credibility in `[0, 1]`.
    pub credibility: f64,
    /// As STIX `confidence` (0-100).
    pub confidence: u8,
    /// Admiralty code (source reliability and information credibility), e.g. `B2`.
    pub admiralty: String,
    /// The publisher's relative trust.
    pub publisher_trust: f64,
    /// The publisher's global trust (EigenTrust, sums to 1 over the network).
    pub publisher_global_trust: f64,
    /// The confidence the publisher declared.
    pub declared_confidence: Option<u8>,
    /// Weight of the publisher's own vote.
    pub publisher_weight: f64,
    /// Confirmations, one per distinct reporter.
    pub confirmations: Vec<Contribution>,
    /// Refutations, one per distinct reporter.
    pub refutations: Vec<Contribution>,
    /// `for / (for + against)` before decay.
    pub evidence_score: f64,
    /// The decay applied.
    pub decay: DecayInfo,
    /// The publisher retired it.
    pub revoked: bool,
    /// A verified equivocation proof against the publisher is held.
    pub equivocating_publisher: bool,
}

/// [`try_explain`] over an evidence set in memory.
pub fn explain(
    set: &EvidenceSet<Memory>,
    trust: &TrustVector,
    equivocating: &BTreeSet<PublicKey>,
    id: &str,
    publisher: &PublicKey,
    now: u64,
    params: &ScoreParams,
) -> Option<Explanation> {
    let Ok(e) = try_explain(set, trust, equivocating, id, publisher, now, params);
    e
}

/// Explain the credibility of `publisher`'s claim `id` at `now` (unix seconds); `None`
/// if that publisher made no such claim.
pub fn try_explain<B: Backend>(
    set: &EvidenceSet<B>,
    trust: &TrustVector,
    equivocating: &BTreeSet<PublicKey>,
    id: &str,
    publisher: &PublicKey,
    now: u64,
    params: &ScoreParams,
) -> Result<Option<Explanation>, B::Error> {
    let Some(target) = set.backend().target(id)? else {
        return Ok(None);
    };
    let Some(record) = target.claims.get(publisher) else {
        return Ok(None);
    };
    let tau = |k: &PublicKey| {
        if equivocating.contains(k) {
            0.0
        } else {
            trust.relative(k)
        }
    };
    let mut confirms: BTreeMap<PublicKey, (u64, &'static str)> = BTreeMap::new();
    let mut refutes: BTreeMap<PublicKey, u64> = BTreeMap::new();
    for t in set.try_same_claim_targets(id)? {
        for (r, rep) in &t.confirmations {
            let e = confirms.entry(*r).or_insert((rep.at, "sighting/opinion"));
            e.0 = e.0.max(rep.at);
        }
        for (r, c) in &t.claims {
            let e = confirms.entry(*r).or_insert((c.published_at, "same claim"));
            e.0 = e.0.max(c.published_at);
        }
        for (r, rep) in &t.refutations {
            let e = refutes.entry(*r).or_insert(rep.at);
            *e = (*e).max(rep.at);
        }
    }
    confirms.remove(publisher);
    refutes.remove(publisher);
    let contributions = |m: Vec<(PublicKey, u64, &'static str)>, w: f64| -> Vec<Contribution> {
        m.into_iter()
            .map(|(k, at, how)| Contribution {
                reporter: hex::encode(k.0),
                trust: tau(&k),
                weight: w * tau(&k),
                at,
                how,
            })
            .collect()
    };
    let confirmations = contributions(
        confirms
            .iter()
            .map(|(k, (at, how))| (*k, *at, *how))
            .collect(),
        params.confirmation_weight,
    );
    let refutations = contributions(
        refutes
            .iter()
            .map(|(k, at)| (*k, *at, "sighting/opinion"))
            .collect(),
        params.refutation_weight,
    );
    let declared = record.confidence;
    let publisher_trust = tau(publisher);
    let publisher_weight = params.publisher_weight
        * publisher_trust
        * (0.5 + f64::from(declared.unwrap_or(50)) / 200.0);
    let confirm_weight: f64 = confirmations.iter().map(|c| c.weight).sum();
    let refute_weight: f64 = refutations.iter().map(|c| c.weight).sum();
    let support = params.prior + publisher_weight + confirm_weight;
    let against = params.prior + refute_weight;
    let evidence_score = support / (support + against);
    let latest = confirms
        .values()
        .map(|(at, _)| *at)
        .fold(record.published_at, u64::max);
    let model = decay::model_for(record.observable.as_deref());
    let age_secs = now.saturating_sub(latest);
    let factor = decay::factor(age_secs, &model);
    let revoked = record.revoked;
    let credibility = if revoked {
        0.0
    } else {
        (evidence_score * factor).clamp(0.0, 1.0)
    };
    let reliability = admiralty::reliability(
        trust
            .trust
            .contains_key(publisher)
            .then_some(publisher_trust),
    );
    let info = admiralty::credibility(
        confirmations.len(),
        confirm_weight,
        refutations.len(),
        refute_weight,
        revoked,
    );
    Ok(Some(Explanation {
        id: id.to_owned(),
        publisher: hex::encode(publisher.0),
        credibility,
        confidence: (credibility * 100.0).round().clamp(0.0, 100.0) as u8,
        admiralty: format!("{reliability}{info}"),
        publisher_trust,
        publisher_global_trust: trust.get(publisher),
        declared_confidence: declared,
        publisher_weight,
        confirmations,
        refutations,
        evidence_score,
        decay: DecayInfo {
            observable: record.observable.as_deref().map(str::to_owned),
            age_secs,
            lifetime_secs: model.lifetime_secs,
            speed: model.speed,
            factor,
        },
        revoked,
        equivocating_publisher: equivocating.contains(publisher),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::evidence::{Claim, Statement};
    use super::super::trust::{compute, Graph, TrustParams};
    use super::*;

    fn key(n: u8) -> PublicKey {
        PublicKey([n; 32])
    }

    fn claim(id: &str, revoked: bool) -> Statement {
        Statement::Claim(Claim {
            id: id.into(),
            object_type: "indicator".into(),
            pattern: Some(format!("[ipv4-addr:value = '{id}']")),
            confidence: Some(80),
            revoked,
            observable: Some("ipv4-addr".into()),
        })
    }

    fn world() -> (EvidenceSet, Graph) {
        let mut set = EvidenceSet::new();
        set.add_statement(key(1), 0, 1000, claim("indicator--x", false));
        set.add_statement(
            key(2),
            0,
            2000,
            Statement::Confirms(vec!["indicator--x".into()]),
        );
        set.add_statement(
            key(3),
            0,
            1500,
            Statement::Refutes(vec!["indicator--x".into()]),
        );
        let graph = Graph {
            anchors: BTreeSet::from([key(0)]),
            admitted: (1..4u8)
                .map(|i| (key(i), BTreeSet::from([key(0)])))
                .collect(),
            outcomes: set.outcomes(),
            ..Graph::default()
        };
        (set, graph)
    }

    #[test]
    fn every_input_is_explained_and_the_arithmetic_adds_up() {
        let (set, graph) = world();
        let trust = compute(&graph, &TrustParams::default());
        let p = ScoreParams::default();
        let e = explain(
            &set,
            &trust,
            &BTreeSet::new(),
            "indicator--x",
            &key(1),
            2000,
            &p,
        )
        .unwrap();
        assert_eq!(e.confirmations.len(), 1);
        assert_eq!(e.refutations.len(), 1);
        let tau = |k| trust.relative(&key(k));
        let support = 1.0 + 2.0 * tau(1) * (0.5 + 0.4) + tau(2);
        let against = 1.0 + 1.5 * tau(3);
        assert!((e.evidence_score - support / (support + against)).abs() < 1e-12);
        // Age counts from the confirmation at 2000: none at now = 2000.
        assert_eq!(e.decay.age_secs, 0);
        assert!((e.credibility - e.evidence_score).abs() < 1e-12);
        assert_eq!(e.confidence, (e.credibility * 100.0).round() as u8);
        assert_eq!(e.admiralty.len(), 2);
        // 40 days later an IP address claim has decayed away.
        let old = explain(
            &set,
            &trust,
            &BTreeSet::new(),
            "indicator--x",
            &key(1),
            2000 + 40 * 86_400,
            &p,
        )
        .unwrap();
        assert_eq!(old.credibility, 0.0);
        assert!(explain(
            &set,
            &trust,
            &BTreeSet::new(),
            "indicator--x",
            &key(9),
            2000,
            &p
        )
        .is_none());
    }

    #[test]
    fn revocation_retires_and_equivocation_zeroes_the_publisher() {
        let (mut set, graph) = world();
        let trust = compute(&graph, &TrustParams::default());
        let p = ScoreParams::default();
        let eq = BTreeSet::from([key(1)]);
        let e = explain(&set, &trust, &eq, "indicator--x", &key(1), 2000, &p).unwrap();
        assert_eq!(e.publisher_trust, 0.0);
        assert!(e.equivocating_publisher);
        set.add_statement(key(1), 1, 2500, claim("indicator--x", true));
        let e = explain(
            &set,
            &trust,
            &BTreeSet::new(),
            "indicator--x",
            &key(1),
            2600,
            &p,
        )
        .unwrap();
        assert!(e.revoked);
        assert_eq!(e.credibility, 0.0);
        assert_eq!(e.admiralty.chars().nth(1), Some('6'));
    }

    #[test]
    fn trusted_confirmations_raise_and_trusted_refutations_lower() {
        let (set, graph) = world();
        let trust = compute(&graph, &TrustParams::default());
        let p = ScoreParams::default();
        let base = explain(
            &set,
            &trust,
            &BTreeSet::new(),
            "indicator--x",
            &key(1),
            2000,
            &p,
        )
        .unwrap();
        let mut more = set.clone();
        more.add_statement(
            key(4),
            0,
            2000,
            Statement::Confirms(vec!["indicator--x".into()]),
        );
        let mut g2 = graph.clone();
        g2.admitted.insert(key(4), BTreeSet::from([key(0)]));
        g2.outcomes = more.outcomes();
        let t2 = compute(&g2, &TrustParams::default());
        let up = explain(
            &more,
            &t2,
            &BTreeSet::new(),
            "indicator--x",
            &key(1),
            2000,
            &p,
        )
        .unwrap();
        assert!(up.credibility > base.credibility);
        let mut less = set.clone();
        less.add_statement(
            key(4),
            0,
            2000,
            Statement::Refutes(vec!["indicator--x".into()]),
        );
        g2.outcomes = less.outcomes();
        let t3 = compute(&g2, &TrustParams::default());
        let down = explain(
            &less,
            &t3,
            &BTreeSet::new(),
            "indicator--x",
            &key(1),
            2000,
            &p,
        )
        .unwrap();
        assert!(down.credibility < base.credibility);
    }
}
