//! The report of a credibility run: the AUCs of credibility and of the unweighted
//! baselines, trust by role, where each item class's score comes from, and the
//! renderings (`report.json`, `scores.csv`, the terminal table).
//!
//! Everything in [`Report`] is a deterministic function of the scenario and seed; the
//! wall time is kept apart ([`crate::credibility_sim::Timing`]).

use std::fmt::Write as _;

use serde::Serialize;
use shoal_protocol::credibility::score::ScoreParams;
use shoal_protocol::credibility::trust::TrustParams;

use crate::credibility_sim::{Counts, ItemScore, PerRole, Role, Run, Timing};
use crate::metrics::{roc_auc, MetricsError};
use crate::scenario::{Admission, Scenario};

/// What the run did and did not do.
pub const NOTE: &str = "Drives shoal_protocol::credibility (EvidenceSet::add_statement → \
trust::compute → score::explain, default parameters) directly, not the network: no \
envelopes, signatures, gossip or ledgers; every node holds all the evidence. Keys are \
real Ed25519 public keys derived from node numbers; nothing is signed.";

/// Population as simulated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationReport {
    /// Anchors.
    pub anchors: usize,
    /// Admitted members.
    pub members: usize,
    /// Honest members.
    pub honest: usize,
    /// Colluders.
    pub colluders: usize,
    /// Sybils.
    pub sybils: usize,
    /// How the anchors admitted the members.
    pub admission: Admission,
}

/// Item counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemCounts {
    /// All items.
    pub items: usize,
    /// True items.
    pub true_items: usize,
    /// False items.
    pub false_items: usize,
    /// Honest members' items (all true).
    pub honest_true: usize,
    /// Colluders' true items.
    pub colluder_true: usize,
    /// Colluders' false items.
    pub colluder_false: usize,
    /// True items re-publishing another honest member's pattern.
    pub shared_pattern_items: usize,
}

/// The headline numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Aucs {
    /// ROC AUC of credibility, true vs false items.
    pub credibility: f64,
    /// ROC AUC of the baseline: distinct confirmers, unweighted (MISP sighting count).
    pub baseline_confirmations: f64,
    /// ROC AUC of distinct confirmers minus distinct refuters, unweighted.
    pub baseline_net: f64,
}

/// Trust by role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrustReport {
    /// EigenTrust iterations.
    pub iterations: usize,
    /// Last L1 change.
    pub residual: f64,
    /// Mean global trust of the non-anchor nodes with positive trust.
    pub mean_member: f64,
    /// Mean global trust by role.
    pub mean_global: PerRole<f64>,
    /// Mean relative trust `t / (t + mean_member)` by role.
    pub mean_relative: PerRole<f64>,
    /// Total global trust by role (sums to 1).
    pub mass: PerRole<f64>,
    /// Nodes with zero trust by role.
    pub zero_trust: PerRole<usize>,
}

/// Means over one class of items.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClassReport {
    /// Items in the class.
    pub items: usize,
    /// Mean credibility.
    pub credibility: f64,
    /// Mean baseline (distinct confirmers).
    pub baseline: f64,
    /// Mean publisher relative trust.
    pub publisher_trust: f64,
    /// Mean weight of the publisher's own vote.
    pub publisher_weight: f64,
    /// Mean confirmers by role.
    pub confirmers: PerRole<f64>,
    /// Mean confirmation weight by role.
    pub confirm_weight: PerRole<f64>,
    /// Mean refuters by role.
    pub refuters: PerRole<f64>,
    /// Mean refutation weight by role.
    pub refute_weight: PerRole<f64>,
}

/// The item classes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classes {
    /// Honest members' items.
    pub honest_true: ClassReport,
    /// Colluders' true items.
    pub colluder_true: ClassReport,
    /// Colluders' false items.
    pub colluder_false: ClassReport,
}

/// Parameters of the protocol code used (its defaults).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProtocolParams {
    /// `TrustParams::alpha`.
    pub trust_alpha: f64,
    /// `TrustParams::refutation_weight`.
    pub trust_refutation_weight: f64,
    /// `TrustParams::admission_prior`.
    pub trust_admission_prior: f64,
    /// `TrustParams::tolerance`.
    pub trust_tolerance: f64,
    /// `TrustParams::max_iterations`.
    pub trust_max_iterations: usize,
    /// `ScoreParams::prior`.
    pub score_prior: f64,
    /// `ScoreParams::publisher_weight`.
    pub score_publisher_weight: f64,
    /// `ScoreParams::confirmation_weight`.
    pub score_confirmation_weight: f64,
    /// `ScoreParams::refutation_weight`.
    pub score_refutation_weight: f64,
}

/// The deterministic report of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// What the experiment drives.
    pub note: &'static str,
    /// Evaluation time (unix seconds).
    pub now_unix: u64,
    /// Population.
    pub population: PopulationReport,
    /// Items.
    pub items: ItemCounts,
    /// Statements.
    pub statements: Counts,
    /// AUCs.
    pub auc: Aucs,
    /// Trust.
    pub trust: TrustReport,
    /// Per item class.
    pub classes: Classes,
    /// The highest-scoring false items.
    pub top_false: Vec<ItemScore>,
    /// The protocol parameters.
    pub params: ProtocolParams,
}

/// `report.json`: the report and the wall time.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFile<'a> {
    /// The deterministic part.
    #[serde(flatten)]
    pub report: &'a Report,
    /// Wall time.
    pub wall_time: Timing,
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

fn per_role_mean(items: &[&ItemScore], f: impl Fn(&ItemScore, Role) -> f64) -> PerRole<f64> {
    let mut out = PerRole::default();
    for role in Role::ALL {
        *out.get_mut(role) = mean(items.iter().map(|s| f(s, role)));
    }
    out
}

fn class(items: &[&ItemScore]) -> ClassReport {
    ClassReport {
        items: items.len(),
        credibility: mean(items.iter().map(|s| s.credibility)),
        baseline: mean(items.iter().map(|s| s.baseline as f64)),
        publisher_trust: mean(items.iter().map(|s| s.publisher_trust)),
        publisher_weight: mean(items.iter().map(|s| s.publisher_weight)),
        confirmers: per_role_mean(items, |s, r| *s.confirmers.get(r) as f64),
        confirm_weight: per_role_mean(items, |s, r| *s.confirm_weight.get(r)),
        refuters: per_role_mean(items, |s, r| *s.refuters_by_role.get(r) as f64),
        refute_weight: per_role_mean(items, |s, r| *s.refute_weight.get(r)),
    }
}

impl Report {
    /// Build the report of `run` of `scenario`.
    pub fn new(scenario: &Scenario, run: &Run) -> Result<Self, MetricsError> {
        let s = &run.scores;
        let auc = Aucs {
            credibility: roc_auc(
                &s.iter()
                    .map(|x| (x.credibility, x.truth))
                    .collect::<Vec<_>>(),
            )?,
            baseline_confirmations: roc_auc(
                &s.iter()
                    .map(|x| (x.baseline as f64, x.truth))
                    .collect::<Vec<_>>(),
            )?,
            baseline_net: roc_auc(
                &s.iter()
                    .map(|x| (x.baseline as f64 - x.refuters as f64, x.truth))
                    .collect::<Vec<_>>(),
            )?,
        };
        let of = |role: Role, truth: bool| -> Vec<&ItemScore> {
            s.iter()
                .filter(|x| x.publisher_role == role && x.truth == truth)
                .collect()
        };
        let (honest_true, colluder_true, colluder_false) = (
            of(Role::Honest, true),
            of(Role::Colluder, true),
            of(Role::Colluder, false),
        );
        let mut top_false: Vec<ItemScore> = s.iter().filter(|x| !x.truth).cloned().collect();
        top_false.sort_by(|a, b| {
            b.credibility
                .total_cmp(&a.credibility)
                .then_with(|| a.id.cmp(&b.id))
        });
        top_false.truncate(10);

        let t = &run.trust;
        let mut mean_global = PerRole::default();
        let mut mean_relative = PerRole::default();
        let mut mass = PerRole::default();
        let mut zero_trust = PerRole::default();
        for role in Role::ALL {
            let nodes: Vec<_> = run.world.nodes.iter().filter(|n| n.role == role).collect();
            *mean_global.get_mut(role) = mean(nodes.iter().map(|n| t.get(&n.key)));
            *mean_relative.get_mut(role) = mean(nodes.iter().map(|n| t.relative(&n.key)));
            *mass.get_mut(role) = nodes.iter().map(|n| t.get(&n.key)).sum();
            *zero_trust.get_mut(role) = nodes.iter().filter(|n| t.get(&n.key) <= 0.0).count();
        }
        let tp = TrustParams::default();
        let sp = ScoreParams::default();
        let shared = {
            let mut seen = std::collections::BTreeSet::new();
            run.world
                .items
                .iter()
                .filter(|i| !seen.insert(i.pattern.as_str()))
                .count()
        };
        Ok(Report {
            scenario: scenario.name.clone(),
            seed: scenario.seed,
            note: NOTE,
            now_unix: scenario.end_unix(),
            population: PopulationReport {
                anchors: scenario.population.anchors,
                members: scenario.population.members,
                honest: scenario.honest(),
                colluders: scenario.colluders(),
                sybils: scenario.population.sybils,
                admission: scenario.population.admission,
            },
            items: ItemCounts {
                items: s.len(),
                true_items: s.iter().filter(|x| x.truth).count(),
                false_items: s.iter().filter(|x| !x.truth).count(),
                honest_true: honest_true.len(),
                colluder_true: colluder_true.len(),
                colluder_false: colluder_false.len(),
                shared_pattern_items: shared,
            },
            statements: run.counts.clone(),
            auc,
            trust: TrustReport {
                iterations: t.iterations,
                residual: t.residual,
                mean_member: t.mean_member,
                mean_global,
                mean_relative,
                mass,
                zero_trust,
            },
            classes: Classes {
                honest_true: class(&honest_true),
                colluder_true: class(&colluder_true),
                colluder_false: class(&colluder_false),
            },
            top_false,
            params: ProtocolParams {
                trust_alpha: tp.alpha,
                trust_refutation_weight: tp.refutation_weight,
                trust_admission_prior: tp.admission_prior,
                trust_tolerance: tp.tolerance,
                trust_max_iterations: tp.max_iterations,
                score_prior: sp.prior,
                score_publisher_weight: sp.publisher_weight,
                score_confirmation_weight: sp.confirmation_weight,
                score_refutation_weight: sp.refutation_weight,
            },
        })
    }

    /// The terminal table.
    pub fn table(&self, timing: &Timing) -> String {
        let mut o = String::new();
        let p = &self.population;
        let c = &self.statements;
        let _ = writeln!(o, "scenario {} (seed {})", self.scenario, self.seed);
        let _ = writeln!(o, "{NOTE}");
        let _ = writeln!(
            o,
            "population: {} anchors ({:?} admission), {} members = {} honest + {} colluders, {} Sybils",
            p.anchors, p.admission, p.members, p.honest, p.colluders, p.sybils
        );
        let i = &self.items;
        let _ = writeln!(
            o,
            "items: {} = {} true ({} honest, {} colluder cover) + {} false; {} re-publish a pattern",
            i.items, i.true_items, i.honest_true, i.colluder_true, i.false_items,
            i.shared_pattern_items
        );
        let _ = writeln!(
            o,
            "statements: {} ({} trust edges)\n  {:<10} {:>8} {:>14} {:>12}",
            c.statements, c.trust_edges, "by", "claims", "confirmations", "refutations"
        );
        for role in Role::ALL {
            let _ = writeln!(
                o,
                "  {:<10} {:>8} {:>14} {:>12}",
                role.name(),
                c.claims.get(role),
                c.confirmations.get(role),
                c.refutations.get(role)
            );
        }
        let a = &self.auc;
        let _ = writeln!(
            o,
            "\nROC AUC, true vs false items ({} vs {}):",
            i.true_items, i.false_items
        );
        let _ = writeln!(
            o,
            "  credibility (score::explain)            {:.4}",
            a.credibility
        );
        let _ = writeln!(
            o,
            "  baseline: distinct confirmers (MISP)    {:.4}",
            a.baseline_confirmations
        );
        let _ = writeln!(
            o,
            "  reference: confirmers - refuters        {:.4}",
            a.baseline_net
        );
        let t = &self.trust;
        let _ = writeln!(
            o,
            "\ntrust: {} iterations, residual {:.2e}, mean member {:.6}",
            t.iterations, t.residual, t.mean_member
        );
        let _ = writeln!(
            o,
            "  {:<10} {:>12} {:>10} {:>8} {:>6}",
            "role", "mean global", "relative", "mass", "zero"
        );
        for role in Role::ALL {
            let _ = writeln!(
                o,
                "  {:<10} {:>12.6} {:>10.4} {:>8.4} {:>6}",
                role.name(),
                t.mean_global.get(role),
                t.mean_relative.get(role),
                t.mass.get(role),
                t.zero_trust.get(role)
            );
        }
        let _ = writeln!(
            o,
            "\nper item class (means): credibility, baseline, publisher trust, confirm weight by anchor/honest/colluder/sybil, refute weight"
        );
        for (name, k) in [
            ("honest true", &self.classes.honest_true),
            ("colluder true", &self.classes.colluder_true),
            ("colluder false", &self.classes.colluder_false),
        ] {
            let w = &k.confirm_weight;
            let r = &k.refute_weight;
            let _ = writeln!(
                o,
                "  {:<14} n={:<5} cred {:.3}  base {:>5.1}  pub {:.3}  conf {:.2}/{:.2}/{:.2}/{:.2}  ref {:.2}/{:.2}/{:.2}/{:.2}",
                name, k.items, k.credibility, k.baseline, k.publisher_trust,
                w.anchor, w.honest, w.colluder, w.sybil, r.anchor, r.honest, r.colluder, r.sybil
            );
        }
        let _ = writeln!(
            o,
            "\nwall time: {:.0} ms (generate {:.0}, trust {:.0}, score {:.0})",
            timing.total_ms, timing.generate_ms, timing.trust_ms, timing.score_ms
        );
        o
    }
}

/// `scores.csv`: one row per item.
pub fn scores_csv(scores: &[ItemScore]) -> String {
    let mut o = String::from(
        "id,publisher,colluder,truth,credibility,baseline,refuters,publisher_trust,evidence_score\n",
    );
    for s in scores {
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{}",
            s.id,
            s.publisher,
            s.publisher_role == Role::Colluder,
            s.truth,
            s.credibility,
            s.baseline,
            s.refuters,
            s.publisher_trust,
            s.evidence_score
        );
    }
    o
}
