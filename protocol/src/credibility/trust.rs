//! Global trust of publishers, EigenTrust-style (Kamvar, Schlosser and Garcia-Molina,
//! WWW 2003), computed from logged evidence only, so every node holding the same evidence
//! gets the same vector.
//!
//! **Local trust.** For nodes `i ≠ j`, `s_ij = sat_ij − κ · unsat_ij`, where `sat_ij` is
//! the number of things `i` and `j` agreed on (both claimed or confirmed it, or both
//! refuted it) and `unsat_ij` the number they disagreed on
//! ([`super::evidence::EvidenceSet::outcomes`]): `j`'s claims that `i` confirmed raise it,
//! those `i` refuted lower it, and so do `j`'s confirmations of things `i` refuted — a
//! confirmation is a claim too, so vouching for false intel costs the voucher. Anchors add `prior` to
//! `s_aj` for every member `j` they admitted: that is how regulators seed reputation.
//! `c_ij = max(s_ij, 0) / Σ_k max(s_ik, 0)`; a node that trusts nobody (`Σ = 0`) defers to
//! the pre-trusted distribution, `c_i = p`.
//!
//! **Pre-trusted set.** `p` is uniform over the anchors (over every node if there are
//! none).
//!
//! **Iteration.** `t⁽⁰⁾ = p`, `t⁽ᵏ⁺¹⁾ = (1 − α) Cᵀ t⁽ᵏ⁾ + α p`, until
//! `‖t⁽ᵏ⁺¹⁾ − t⁽ᵏ⁾‖₁ < tolerance` or `max_iterations`. The vector sums to 1.
//!
//! **Distrust** (one-step, after Guha, Kumar, Raghavan and Tomkins, WWW 2004). A clique
//! that receives any trust at all keeps it circulating (EigenTrust amplifies a small
//! inflow by about `1/α`), and clipping local trust at 0 throws away what honest nodes
//! know about it. So once `t` has converged, each node `i` also spends its trust on
//! distrust: `D_ix = max(−s_ix, 0) / Σ_k |s_ik|`, and
//! `t_x ← max(0, t_x − λ · Σ_i t_i · D_ix)`, renormalised. Nodes that trusted nodes keep
//! disagreeing with lose their trust, whatever their friends say of them.
//!
//! **Equivocating publishers** (a verified equivocation proof is held) have trust 0: no
//! one's trust flows to them, their own ratings are ignored (their row is `p`), and
//! their entry is forced to 0 (the mass is renormalised over the others).
//!
//! **Sybils** that only vouch for each other receive nothing: trust enters the graph at
//! the anchors (`α p`) and flows only along positive local trust, so a cluster no
//! trusted node confirms keeps a total of 0.
//!
//! Everything iterates in key order (ordered maps, and vectors sorted by node number,
//! the numbers following the key order) with a fixed summation order, so the result is
//! bit-for-bit the same on every node. The local trust rows are kept in one compressed
//! sparse-row array, so the memory is a few words per rated pair.

use std::collections::{BTreeMap, BTreeSet};

use shoal_crypto::PublicKey;

use super::outcomes::Outcomes;

/// Parameters of the trust computation (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrustParams {
    /// Weight of the pre-trusted distribution (teleport), `α`.
    pub alpha: f64,
    /// How much one refutation outweighs one confirmation, `κ`.
    pub refutation_weight: f64,
    /// Local trust an anchor gives each member it admitted.
    pub admission_prior: f64,
    /// Weight of one-step distrust, `λ` (0: plain EigenTrust).
    pub distrust_weight: f64,
    /// Convergence tolerance on the L1 change.
    pub tolerance: f64,
    /// Iteration cap.
    pub max_iterations: usize,
}

impl Default for TrustParams {
    fn default() -> Self {
        Self {
            alpha: 0.15,
            refutation_weight: 3.0,
            admission_prior: 1.0,
            distrust_weight: 1.0,
            tolerance: 1e-10,
            max_iterations: 1000,
        }
    }
}

/// The inputs besides the outcome counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// The pre-trusted anchors.
    pub anchors: BTreeSet<PublicKey>,
    /// Admitted members and the anchors that admitted them.
    pub admitted: BTreeMap<PublicKey, BTreeSet<PublicKey>>,
    /// Publishers with a verified equivocation proof against them.
    pub equivocating: BTreeSet<PublicKey>,
    /// `(rater, rated) → (agreed, disagreed)` counts
    /// ([`super::evidence::EvidenceSet::outcomes`]; collect pairs
    /// `((rater, rated), (agreed, disagreed))` to build one by hand).
    pub outcomes: Outcomes,
}

/// The result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrustVector {
    /// Global trust by node (sums to 1 over all nodes; 0 for unknown keys).
    pub trust: BTreeMap<PublicKey, f64>,
    /// Iterations run.
    pub iterations: usize,
    /// The last L1 change.
    pub residual: f64,
    /// Mean trust of the non-anchor nodes with positive trust (the scale of
    /// [`TrustVector::relative`]).
    pub mean_member: f64,
}

impl TrustVector {
    /// Global trust of `key` (0 if unknown).
    pub fn get(&self, key: &PublicKey) -> f64 {
        self.trust.get(key).copied().unwrap_or(0.0)
    }

    /// Trust relative to the average member, in `[0, 1)`: `t / (t + mean)`; 0.5 for an
    /// average member, 0 for no trust.
    pub fn relative(&self, key: &PublicKey) -> f64 {
        let t = self.get(key);
        if t <= 0.0 || self.mean_member <= 0.0 {
            0.0
        } else {
            t / (t + self.mean_member)
        }
    }
}

/// Local trust rows in compressed sparse-row form: row `i` is
/// `cells[starts[i]..starts[i + 1]]`, `(j, value)` by ascending `j`.
struct Rows {
    starts: Vec<usize>,
    cells: Vec<(usize, f64)>,
}

impl Rows {
    fn row(&self, i: usize) -> &[(usize, f64)] {
        let (Some(&a), Some(&b)) = (self.starts.get(i), self.starts.get(i.saturating_add(1)))
        else {
            return &[];
        };
        self.cells.get(a..b).unwrap_or(&[])
    }
}

/// Compute the global trust vector.
pub fn compute(graph: &Graph, params: &TrustParams) -> TrustVector {
    // Every node: anchors, admitted members, and everyone rated or rating.
    let mut nodes: BTreeSet<PublicKey> = graph.anchors.clone();
    nodes.extend(graph.admitted.keys().copied());
    nodes.extend(graph.outcomes.nodes().iter().copied());
    let n = nodes.len();
    if n == 0 {
        return TrustVector::default();
    }
    let keys: Vec<PublicKey> = nodes.into_iter().collect();
    let index = |k: &PublicKey| keys.binary_search(k).ok();
    let pre: Vec<f64> = if graph.anchors.is_empty() {
        vec![1.0 / n as f64; n]
    } else {
        let share = 1.0 / graph.anchors.len() as f64;
        keys.iter()
            .map(|k| {
                if graph.anchors.contains(k) {
                    share
                } else {
                    0.0
                }
            })
            .collect()
    };
    let rows = local_trust(graph, params, &keys);
    // Normalise; rows with no positive trust defer to `pre` (`None`).
    let normalised: Vec<Option<Vec<(usize, f64)>>> = (0..n)
        .map(|i| {
            let row = rows.row(i);
            let total: f64 = row.iter().map(|(_, s)| s).filter(|s| **s > 0.0).sum();
            (total > 0.0).then(|| {
                row.iter()
                    .filter(|(_, s)| *s > 0.0)
                    .map(|(j, s)| (*j, s / total))
                    .collect()
            })
        })
        .collect();
    let mut t = pre.clone();
    let mut iterations = 0;
    let mut residual = f64::INFINITY;
    while iterations < params.max_iterations && residual >= params.tolerance {
        let mut next: Vec<f64> = pre.iter().map(|p| params.alpha * p).collect();
        let mut deferred = 0.0;
        for (i, row) in normalised.iter().enumerate() {
            let ti = t.get(i).copied().unwrap_or(0.0);
            match row {
                Some(entries) => {
                    for (j, c) in entries {
                        if let Some(x) = next.get_mut(*j) {
                            *x += (1.0 - params.alpha) * c * ti;
                        }
                    }
                }
                None => deferred += ti,
            }
        }
        for (x, p) in next.iter_mut().zip(&pre) {
            *x += (1.0 - params.alpha) * deferred * p;
        }
        residual = next.iter().zip(&t).map(|(a, b)| (a - b).abs()).sum();
        t = next;
        iterations = iterations.saturating_add(1);
    }
    drop(normalised);
    // One-step distrust from the converged trust.
    if params.distrust_weight > 0.0 {
        let mut distrust = vec![0.0; n];
        for i in 0..n {
            let row = rows.row(i);
            let ti = t.get(i).copied().unwrap_or(0.0);
            let mass: f64 = row.iter().map(|(_, s)| s.abs()).sum();
            if ti <= 0.0 || mass <= 0.0 {
                continue;
            }
            for (x, s) in row.iter().filter(|(_, s)| *s < 0.0) {
                if let Some(d) = distrust.get_mut(*x) {
                    *d += ti * (-s) / mass;
                }
            }
        }
        for (x, d) in t.iter_mut().zip(&distrust) {
            *x = (*x - params.distrust_weight * d).max(0.0);
        }
    }
    drop(rows);
    // Equivocators: forced to zero, the rest renormalised.
    for k in &graph.equivocating {
        if let Some(x) = index(k).and_then(|i| t.get_mut(i)) {
            *x = 0.0;
        }
    }
    let total: f64 = t.iter().sum();
    if total > 0.0 {
        for x in &mut t {
            *x /= total;
        }
    }
    let members: Vec<f64> = keys
        .iter()
        .zip(&t)
        .filter(|(k, x)| !graph.anchors.contains(*k) && **x > 0.0)
        .map(|(_, x)| *x)
        .collect();
    let mean_member = if members.is_empty() {
        0.0
    } else {
        members.iter().sum::<f64>() / members.len() as f64
    };
    TrustVector {
        trust: keys.into_iter().zip(t).collect(),
        iterations,
        residual,
        mean_member,
    }
}

/// The local trust rows `s_ij` over `keys` (sorted): the outcome counts, skipping
/// self-ratings and equivocators, plus the admission priors of the anchors. Each cell is
/// summed as a map would be (`0.0`, then the outcome, then the prior), so the values are
/// bit-for-bit those of the definition.
fn local_trust(graph: &Graph, params: &TrustParams, keys: &[PublicKey]) -> Rows {
    let n = keys.len();
    let index = |k: &PublicKey| keys.binary_search(k).ok();
    let equivocating: Vec<bool> = keys
        .iter()
        .map(|k| graph.equivocating.contains(k))
        .collect();
    let equivocates = |i: usize| equivocating.get(i).copied().unwrap_or(false);
    // Outcome node numbers → rows (both follow the key order).
    let renumber: Vec<Option<usize>> = graph.outcomes.nodes().iter().map(index).collect();
    let row_of = |x: u32| {
        usize::try_from(x)
            .ok()
            .and_then(|x| renumber.get(x).copied().flatten())
    };
    // Admission priors: anchor row → the members it admitted, ascending (`admitted` is
    // in key order, and each member appears once per anchor).
    let mut priors: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (member, anchors) in &graph.admitted {
        if graph.equivocating.contains(member) {
            continue;
        }
        let Some(j) = index(member) else {
            continue;
        };
        for a in anchors
            .iter()
            .filter(|a| graph.anchors.contains(*a) && *a != member)
        {
            if let Some(i) = index(a) {
                priors.entry(i).or_default().push(j);
            }
        }
    }
    let prior = params.admission_prior;
    let mut starts: Vec<usize> = Vec::with_capacity(n.saturating_add(1));
    let mut cells: Vec<(usize, f64)> = Vec::with_capacity(graph.outcomes.len());
    let mut by_rater = graph
        .outcomes
        .pairs()
        .chunk_by(|a, b| a.rater == b.rater)
        .peekable();
    for i in 0..n {
        starts.push(cells.len());
        // This row's outcomes (pairs are sorted by rater, numbered in key order).
        let mut rated: &[super::outcomes::Outcome] = &[];
        while let Some(chunk) = by_rater.peek() {
            match chunk.first().and_then(|o| row_of(o.rater)) {
                Some(r) if r > i => break,
                Some(r) if r == i => {
                    rated = chunk;
                    by_rater.next();
                    break;
                }
                _ => {
                    by_rater.next();
                }
            }
        }
        let mut extra = priors
            .get(&i)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .peekable();
        for o in rated {
            let Some(j) = row_of(o.rated) else {
                continue;
            };
            if i == j || equivocates(i) || equivocates(j) {
                continue;
            }
            while let Some(pj) = extra.next_if(|pj| *pj < j) {
                cells.push((pj, 0.0 + prior));
            }
            let s = o.agreed as f64 - params.refutation_weight * o.disagreed as f64;
            let mut value = 0.0 + s;
            if extra.next_if_eq(&j).is_some() {
                value += prior;
            }
            cells.push((j, value));
        }
        for pj in extra {
            cells.push((pj, 0.0 + prior));
        }
    }
    starts.push(cells.len());
    Rows { starts, cells }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> PublicKey {
        PublicKey([n; 32])
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// One anchor admitting two members who rate nobody. By hand, with α = 0.15:
    /// a = 0.85 · (x + y) + 0.15 (the members' rows defer to the anchor),
    /// x = y = 0.85 · a / 2, so a = 0.15 / (1 − 0.85²) = 0.540540…, x = y = 0.229729….
    #[test]
    fn an_anchor_seeds_the_members_it_admitted() {
        let g = Graph {
            anchors: BTreeSet::from([key(0)]),
            admitted: BTreeMap::from([
                (key(1), BTreeSet::from([key(0)])),
                (key(2), BTreeSet::from([key(0)])),
            ]),
            ..Graph::default()
        };
        let t = compute(&g, &TrustParams::default());
        let a = 0.15 / (1.0 - 0.85 * 0.85);
        assert!(close(t.get(&key(0)), a), "{t:?}");
        assert!(close(t.get(&key(1)), 0.85 * a / 2.0));
        assert!(close(t.get(&key(2)), 0.85 * a / 2.0));
        assert!(close(t.trust.values().sum::<f64>(), 1.0));
        assert!(close(t.relative(&key(1)), 0.5));
        assert!(t.residual < 1e-10);
    }

    /// The anchor refuted member 1's claim (1 − 3 < 0: no trust) and member 2 confirmed
    /// member 3's. By hand: the anchor's row is all member 2 (prior 1) and member 3
    /// (prior 1): c = ½, ½; member 2's row is member 3; members 1 and 3 defer to the
    /// anchor. a = 0.15 + 0.85 (x1 + x3), x1 = 0, x2 = 0.425 a, x3 = 0.425 a + 0.85 x2.
    #[test]
    fn refutations_cut_trust_and_confirmations_pass_it_on() {
        let g = Graph {
            anchors: BTreeSet::from([key(0)]),
            admitted: BTreeMap::from([
                (key(2), BTreeSet::from([key(0)])),
                (key(3), BTreeSet::from([key(0)])),
            ]),
            outcomes: [((key(0), key(1)), (1, 1)), ((key(2), key(3)), (1, 0))]
                .into_iter()
                .collect(),
            ..Graph::default()
        };
        let t = compute(&g, &TrustParams::default());
        // a = 0.15 + 0.85 · (0.425 a + 0.85 · 0.425 a) → a = 0.15 / (1 − 0.85 · 0.425 · 1.85)
        let a = 0.15 / (1.0 - 0.85 * 0.425 * 1.85);
        assert!(close(t.get(&key(0)), a), "{t:?}");
        assert!(close(t.get(&key(1)), 0.0));
        assert!(close(t.get(&key(2)), 0.425 * a));
        assert!(close(t.get(&key(3)), 0.425 * a * 1.85));
    }

    /// Sybils confirming each other gain nothing without trust from the anchors; the
    /// honest members are unaffected.
    #[test]
    fn a_sybil_cluster_without_inflow_has_no_trust() {
        let mut outcomes = BTreeMap::new();
        for a in 10..15u8 {
            for b in 10..15u8 {
                if a != b {
                    outcomes.insert((key(a), key(b)), (50, 0));
                }
            }
            // The Sybils also refute the honest member.
            outcomes.insert((key(a), key(1)), (0, 10));
        }
        let g = Graph {
            anchors: BTreeSet::from([key(0)]),
            admitted: BTreeMap::from([(key(1), BTreeSet::from([key(0)]))]),
            outcomes: outcomes.into_iter().collect(),
            ..Graph::default()
        };
        let t = compute(&g, &TrustParams::default());
        for s in 10..15u8 {
            assert_eq!(t.get(&key(s)), 0.0, "sybil {s}");
        }
        assert!(t.get(&key(1)) > 0.4);
    }

    /// A Sybil pair that an honest member agreed with once (against ten agreements with
    /// the other honest member) gets a trickle of trust and amplifies it between
    /// themselves; the other honest member, who keeps disagreeing with them, cancels it.
    #[test]
    fn distrust_cancels_what_a_clique_amplified() {
        let mut outcomes = BTreeMap::from([
            ((key(1), key(2)), (10, 0)),
            ((key(1), key(10)), (1, 0)),
            ((key(10), key(11)), (20, 0)),
            ((key(11), key(10)), (20, 0)),
            ((key(2), key(10)), (0, 4)),
            ((key(2), key(11)), (0, 4)),
        ]);
        let g = Graph {
            anchors: BTreeSet::from([key(0)]),
            admitted: BTreeMap::from([
                (key(1), BTreeSet::from([key(0)])),
                (key(2), BTreeSet::from([key(0)])),
            ]),
            outcomes: outcomes.clone().into_iter().collect(),
            ..Graph::default()
        };
        let plain = compute(
            &g,
            &TrustParams {
                distrust_weight: 0.0,
                ..TrustParams::default()
            },
        );
        let sybils = plain.get(&key(10)) + plain.get(&key(11));
        // Member 1 passes on 1/11 of its trust; the pair keeps most of what it gets.
        assert!(sybils > 0.02, "the clique amplified its trickle: {plain:?}");
        let with = compute(&g, &TrustParams::default());
        assert_eq!(with.get(&key(10)), 0.0, "{with:?}");
        assert_eq!(with.get(&key(11)), 0.0);
        assert!(with.get(&key(1)) > 0.0 && with.get(&key(2)) > 0.0);
        assert!(close(with.trust.values().sum::<f64>(), 1.0));
        // Without the honest member's disagreements the Sybils keep their share.
        outcomes.remove(&(key(2), key(10)));
        outcomes.remove(&(key(2), key(11)));
        let g2 = Graph {
            outcomes: outcomes.into_iter().collect(),
            ..g
        };
        assert!(compute(&g2, &TrustParams::default()).get(&key(10)) > 0.0);
    }

    #[test]
    fn an_equivocating_publisher_has_zero_trust_and_no_say() {
        let g = Graph {
            anchors: BTreeSet::from([key(0)]),
            admitted: BTreeMap::from([
                (key(1), BTreeSet::from([key(0)])),
                (key(2), BTreeSet::from([key(0)])),
            ]),
            equivocating: BTreeSet::from([key(1)]),
            outcomes: [((key(1), key(2)), (0, 5))].into_iter().collect(),
        };
        let t = compute(&g, &TrustParams::default());
        assert_eq!(t.get(&key(1)), 0.0);
        assert!(t.get(&key(2)) > 0.0);
        assert!(close(t.trust.values().sum::<f64>(), 1.0));
        // The same without the equivocation: key(1)'s refutations do not matter to key(2)
        // either way (trust flows only along positive ratings), but key(1) has trust.
        let mut g2 = g.clone();
        g2.equivocating.clear();
        assert!(compute(&g2, &TrustParams::default()).get(&key(1)) > 0.0);
    }

    #[test]
    fn the_result_is_the_same_whatever_order_the_evidence_was_built_in() {
        let mut a = Graph::default();
        let mut b = Graph::default();
        a.anchors.insert(key(0));
        b.anchors.insert(key(0));
        let pairs: Vec<((PublicKey, PublicKey), (u64, u64))> = (1..30u8)
            .map(|i| {
                (
                    (key(i), key((i * 7) % 30)),
                    (u64::from(i), u64::from(i % 3)),
                )
            })
            .collect();
        a.outcomes = pairs.iter().copied().collect();
        b.outcomes = pairs.iter().rev().copied().collect();
        for i in 1..30u8 {
            a.admitted.entry(key(i)).or_default().insert(key(0));
        }
        for i in (1..30u8).rev() {
            b.admitted.entry(key(i)).or_default().insert(key(0));
        }
        let (ta, tb) = (
            compute(&a, &TrustParams::default()),
            compute(&b, &TrustParams::default()),
        );
        assert_eq!(ta, tb);
        for (x, y) in ta.trust.values().zip(tb.trust.values()) {
            assert_eq!(x.to_bits(), y.to_bits());
        }
    }

    /// The computation as first written, with the outcomes in a `BTreeMap` and the rows
    /// as maps: the compact form must give bit-for-bit the same vector.
    fn reference(
        graph: &Graph,
        outcomes: &BTreeMap<(PublicKey, PublicKey), (u64, u64)>,
        params: &TrustParams,
    ) -> TrustVector {
        // Every node: anchors, admitted members, and everyone rated or rating.
        let mut nodes: BTreeSet<PublicKey> = graph.anchors.clone();
        nodes.extend(graph.admitted.keys().copied());
        for (r, p) in outcomes.keys() {
            nodes.insert(*r);
            nodes.insert(*p);
        }
        let index: BTreeMap<PublicKey, usize> =
            nodes.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let n = nodes.len();
        if n == 0 {
            return TrustVector::default();
        }
        let keys: Vec<PublicKey> = nodes.iter().copied().collect();
        let pre: Vec<f64> = if graph.anchors.is_empty() {
            vec![1.0 / n as f64; n]
        } else {
            let share = 1.0 / graph.anchors.len() as f64;
            keys.iter()
                .map(|k| {
                    if graph.anchors.contains(k) {
                        share
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        // Local trust rows, sparse: row i → [(j, s_ij)].
        let mut rows: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); n];
        for ((r, p), (sat, unsat)) in outcomes {
            if r == p || graph.equivocating.contains(r) || graph.equivocating.contains(p) {
                continue;
            }
            let (Some(&i), Some(&j)) = (index.get(r), index.get(p)) else {
                continue;
            };
            let s = *sat as f64 - params.refutation_weight * *unsat as f64;
            if let Some(row) = rows.get_mut(i) {
                *row.entry(j).or_insert(0.0) += s;
            }
        }
        for (member, anchors) in &graph.admitted {
            if graph.equivocating.contains(member) {
                continue;
            }
            let Some(&j) = index.get(member) else {
                continue;
            };
            for a in anchors
                .iter()
                .filter(|a| graph.anchors.contains(*a) && *a != member)
            {
                if let Some(row) = index.get(a).and_then(|&i| rows.get_mut(i)) {
                    *row.entry(j).or_insert(0.0) += params.admission_prior;
                }
            }
        }
        // Normalise; rows with no positive trust defer to `pre`.
        let normalised: Vec<Option<Vec<(usize, f64)>>> = rows
            .iter()
            .map(|row| {
                let total: f64 = row.values().filter(|s| **s > 0.0).sum();
                (total > 0.0).then(|| {
                    row.iter()
                        .filter(|(_, s)| **s > 0.0)
                        .map(|(j, s)| (*j, s / total))
                        .collect()
                })
            })
            .collect();
        let mut t = pre.clone();
        let mut iterations = 0;
        let mut residual = f64::INFINITY;
        while iterations < params.max_iterations && residual >= params.tolerance {
            let mut next: Vec<f64> = pre.iter().map(|p| params.alpha * p).collect();
            let mut deferred = 0.0;
            for (i, row) in normalised.iter().enumerate() {
                let ti = t.get(i).copied().unwrap_or(0.0);
                match row {
                    Some(entries) => {
                        for (j, c) in entries {
                            if let Some(x) = next.get_mut(*j) {
                                *x += (1.0 - params.alpha) * c * ti;
                            }
                        }
                    }
                    None => deferred += ti,
                }
            }
            for (x, p) in next.iter_mut().zip(&pre) {
                *x += (1.0 - params.alpha) * deferred * p;
            }
            residual = next.iter().zip(&t).map(|(a, b)| (a - b).abs()).sum();
            t = next;
            iterations = iterations.saturating_add(1);
        }
        // One-step distrust from the converged trust.
        if params.distrust_weight > 0.0 {
            let mut distrust = vec![0.0; n];
            for (i, row) in rows.iter().enumerate() {
                let ti = t.get(i).copied().unwrap_or(0.0);
                let mass: f64 = row.values().map(|s| s.abs()).sum();
                if ti <= 0.0 || mass <= 0.0 {
                    continue;
                }
                for (x, s) in row.iter().filter(|(_, s)| **s < 0.0) {
                    if let Some(d) = distrust.get_mut(*x) {
                        *d += ti * (-s) / mass;
                    }
                }
            }
            for (x, d) in t.iter_mut().zip(&distrust) {
                *x = (*x - params.distrust_weight * d).max(0.0);
            }
        }
        // Equivocators: forced to zero, the rest renormalised.
        for k in &graph.equivocating {
            if let Some(x) = index.get(k).and_then(|&i| t.get_mut(i)) {
                *x = 0.0;
            }
        }
        let total: f64 = t.iter().sum();
        if total > 0.0 {
            for x in &mut t {
                *x /= total;
            }
        }
        let members: Vec<f64> = keys
            .iter()
            .zip(&t)
            .filter(|(k, x)| !graph.anchors.contains(*k) && **x > 0.0)
            .map(|(_, x)| *x)
            .collect();
        let mean_member = if members.is_empty() {
            0.0
        } else {
            members.iter().sum::<f64>() / members.len() as f64
        };
        TrustVector {
            trust: keys.into_iter().zip(t).collect(),
            iterations,
            residual,
            mean_member,
        }
    }

    fn bits(t: &TrustVector) -> (Vec<(PublicKey, u64)>, usize, u64, u64) {
        (
            t.trust.iter().map(|(k, x)| (*k, x.to_bits())).collect(),
            t.iterations,
            t.residual.to_bits(),
            t.mean_member.to_bits(),
        )
    }

    proptest::proptest! {
        #[test]
        fn the_compact_rows_give_the_same_bits_as_the_maps(
            anchors in proptest::collection::btree_set(0u8..4, 0..3),
            admitted in proptest::collection::btree_map(0u8..24, proptest::collection::btree_set(0u8..5, 0..3), 0..16),
            equivocating in proptest::collection::btree_set(0u8..24, 0..3),
            outcomes in proptest::collection::btree_map((0u8..24, 0u8..24), (0u64..6, 0u64..4), 0..120),
            distrust in proptest::bool::ANY,
        ) {
            let outcomes: BTreeMap<(PublicKey, PublicKey), (u64, u64)> = outcomes
                .into_iter()
                .map(|((r, p), v)| ((key(r), key(p)), v))
                .collect();
            let g = Graph {
                anchors: anchors.into_iter().map(key).collect(),
                admitted: admitted
                    .into_iter()
                    .map(|(m, by)| (key(m), by.into_iter().map(key).collect()))
                    .collect(),
                equivocating: equivocating.into_iter().map(key).collect(),
                outcomes: outcomes.clone().into_iter().collect(),
            };
            proptest::prop_assert_eq!(g.outcomes.to_map(), outcomes.clone());
            let params = TrustParams {
                distrust_weight: if distrust { 1.0 } else { 0.0 },
                ..TrustParams::default()
            };
            proptest::prop_assert_eq!(bits(&compute(&g, &params)), bits(&reference(&g, &outcomes, &params)));
        }
    }
}
