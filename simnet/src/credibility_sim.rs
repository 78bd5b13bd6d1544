//! The credibility experiment of issue #6: colluders and Sybils against the real
//! evidence → trust → score state machines of `shoal_protocol::credibility`.
//!
//! This drives the sans-IO state machines directly, not the network: statements go
//! straight into an [`EvidenceSet`] with [`EvidenceSet::add_statement`] (no envelopes,
//! no signatures, no gossip — every node is assumed to hold all the evidence), the trust
//! vector comes from [`trust::compute`] with [`TrustParams::default`] and every item's
//! credibility from [`score::explain`] with [`ScoreParams::default`]. Keys are real
//! Ed25519 public keys derived from the node's role and number (nothing is signed).
//!
//! # The model
//!
//! All randomness comes from one `ChaCha20Rng` seeded with the scenario's seed and is
//! drawn in a fixed order, so the same scenario and seed give the same numbers.
//!
//! * **Population.** `anchors` pre-trusted regulators; `members` admitted members, of
//!   which `round(members × colluder_fraction)` chosen at random collude; `sybils`
//!   colluder-controlled identities that no anchor admitted. With `admission = "split"`
//!   member `i` is admitted by anchor `i mod anchors`; with `"all"` by every anchor.
//! * **Publishing.** Each member publishes `items_per_member` indicators at uniform times
//!   over the simulated span. Honest members' items are all true; a colluder's are false
//!   except `round(items_per_member × colluder_true_fraction)` true ones (cover). A true
//!   item re-publishes, with probability `shared_pattern`, the pattern of an earlier true
//!   item of another honest member (corroboration: a new id, the same pattern); otherwise
//!   it has a fresh pattern. False patterns are always fresh. Observable types (IPv4
//!   address, domain, URL, file hash) are drawn uniformly.
//! * **Reports**, each at a uniform time between the item's publication and the end,
//!   one STIX sighting (confirmation) or false-positive sighting (refutation) each:
//!   - an honest member encounters each other member's item with probability
//!     `encounter`; a true one it confirms with `p_confirm_true`; a false one it refutes
//!     with `p_detect_false`, or else, fooled, confirms with `p_fooled`;
//!   - a colluder confirms each other colluder's false item with `collusion_confirm`,
//!     and refutes each honest member's item it encounters with `poison_refute`;
//!   - a Sybil confirms each colluder's item (true or false) with `sybil_confirm`, and
//!     refutes each honest member's item it encounters with `sybil_refute`;
//!   - an anchor verifies each item with probability `anchor_sample` against ground
//!     truth: confirms a true one, refutes a false one.
//!
//!   Nobody reports on its own items, nor refutes a pattern it published itself.
//! * **Evaluation** at the end of the span (`now = start + duration`), so age decay is
//!   mild and the same for every item: each item's credibility, and the unweighted
//!   baseline — the number of distinct confirmers the score itself counts (sightings of
//!   the id or its pattern and other publishers' claims of the same pattern), the
//!   MISP-style sighting count — plus, for reference, that count minus the distinct
//!   refuters (MISP's false-positive sightings).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use shoal_crypto::{NodeKey, PublicKey};
use shoal_protocol::credibility::evidence::Claim;
use shoal_protocol::credibility::score::{self, ScoreParams};
use shoal_protocol::credibility::trust::{self, Graph, TrustParams, TrustVector};
use shoal_protocol::credibility::{EvidenceSet, Statement};

use crate::scenario::{Admission, Scenario};

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The score found no claim for an item the simulation published (a bug).
    #[error("no claim of {id} by its publisher in the evidence set")]
    MissingClaim {
        /// The item.
        id: String,
    },
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Pre-trusted regulator.
    Anchor,
    /// Honest admitted member.
    Honest,
    /// Colluding admitted member.
    Colluder,
    /// Colluder-controlled identity admitted by no anchor.
    Sybil,
}

impl Role {
    /// All roles, in report order.
    pub const ALL: [Role; 4] = [Role::Anchor, Role::Honest, Role::Colluder, Role::Sybil];

    /// Lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            Role::Anchor => "anchor",
            Role::Honest => "honest",
            Role::Colluder => "colluder",
            Role::Sybil => "sybil",
        }
    }

    fn slot(self) -> usize {
        match self {
            Role::Anchor => 0,
            Role::Honest => 1,
            Role::Colluder => 2,
            Role::Sybil => 3,
        }
    }
}

/// A simulated node.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its public key.
    pub key: PublicKey,
    /// What it is.
    pub role: Role,
}

/// A published indicator.
#[derive(Debug, Clone)]
pub struct Item {
    /// STIX id.
    pub id: String,
    /// Index of the publisher in [`World::nodes`].
    pub publisher: usize,
    /// Ground truth.
    pub truth: bool,
    /// STIX pattern.
    pub pattern: String,
    /// Observable type of the pattern.
    pub observable: &'static str,
    /// Publication time (unix seconds).
    pub published_at: u64,
    /// Declared STIX confidence.
    pub confidence: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Claim,
    Confirm,
    Refute,
}

/// One statement: a node claims, confirms or refutes an item at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Event {
    at: u64,
    node: usize,
    item: usize,
    kind: Kind,
}

/// Per-role numbers (anchor, honest, colluder, Sybil).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct PerRole<T> {
    /// Anchors.
    pub anchor: T,
    /// Honest members.
    pub honest: T,
    /// Colluders.
    pub colluder: T,
    /// Sybils.
    pub sybil: T,
}

impl<T> PerRole<T> {
    /// The entry of `role`.
    pub fn get_mut(&mut self, role: Role) -> &mut T {
        match role {
            Role::Anchor => &mut self.anchor,
            Role::Honest => &mut self.honest,
            Role::Colluder => &mut self.colluder,
            Role::Sybil => &mut self.sybil,
        }
    }

    /// The entry of `role`.
    pub fn get(&self, role: Role) -> &T {
        match role {
            Role::Anchor => &self.anchor,
            Role::Honest => &self.honest,
            Role::Colluder => &self.colluder,
            Role::Sybil => &self.sybil,
        }
    }
}

/// The generated world: nodes, items and every statement.
#[derive(Debug, Clone)]
pub struct World {
    /// Anchors first, then members, then Sybils.
    pub nodes: Vec<Node>,
    /// Every published item.
    pub items: Vec<Item>,
    events: Vec<Event>,
}

/// One item's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemScore {
    /// STIX id.
    pub id: String,
    /// Publisher key, hex.
    pub publisher: String,
    /// Publisher's role.
    pub publisher_role: Role,
    /// Ground truth.
    pub truth: bool,
    /// Credibility from `score::explain`.
    pub credibility: f64,
    /// Evidence score before decay.
    pub evidence_score: f64,
    /// Baseline: distinct confirmers, unweighted.
    pub baseline: usize,
    /// Distinct refuters, unweighted.
    pub refuters: usize,
    /// Publisher's relative trust.
    pub publisher_trust: f64,
    /// Weight of the publisher's own vote.
    pub publisher_weight: f64,
    /// Confirmers by role.
    pub confirmers: PerRole<usize>,
    /// Confirmation weight by role.
    pub confirm_weight: PerRole<f64>,
    /// Refuters by role.
    pub refuters_by_role: PerRole<usize>,
    /// Refutation weight by role.
    pub refute_weight: PerRole<f64>,
}

/// Statement counts by reporter role.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Claims published.
    pub claims: PerRole<usize>,
    /// Confirmations (sightings).
    pub confirmations: PerRole<usize>,
    /// Refutations (false-positive sightings).
    pub refutations: PerRole<usize>,
    /// Statements in the evidence set.
    pub statements: usize,
    /// Distinct (reporter, publisher) pairs in the trust graph.
    pub trust_edges: usize,
    /// Distinct indicator patterns.
    pub patterns: usize,
}

/// Wall time of the phases (not part of the deterministic result).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timing {
    /// Generating the world and filling the evidence set.
    pub generate_ms: f64,
    /// `set.outcomes()` and `trust::compute`.
    pub trust_ms: f64,
    /// `score::explain` of every item.
    pub score_ms: f64,
    /// All of it.
    pub total_ms: f64,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The world simulated.
    pub world: World,
    /// The trust vector.
    pub trust: TrustVector,
    /// Every item's scores, in item order.
    pub scores: Vec<ItemScore>,
    /// Statement counts.
    pub counts: Counts,
    /// Wall time.
    pub timing: Timing,
}

/// A deterministic real Ed25519 public key for node `index` of a role.
pub fn node_key(role: Role, index: usize) -> PublicKey {
    let mut seed = [0u8; 32];
    seed[..9].copy_from_slice(b"shoal-sim");
    seed[9] = role.slot() as u8;
    seed[10..18].copy_from_slice(&(index as u64).to_le_bytes());
    NodeKey::from_seed(seed).public()
}

const OBSERVABLES: [&str; 4] = ["ipv4-addr", "domain-name", "url", "file"];

fn fresh_pattern(n: u64, observable: &str) -> String {
    match observable {
        "ipv4-addr" => format!(
            "[ipv4-addr:value = '10.{}.{}.{}']",
            (n >> 16) & 0xff,
            (n >> 8) & 0xff,
            n & 0xff
        ),
        "domain-name" => format!("[domain-name:value = 'n{n}.sim.example']"),
        "url" => format!("[url:value = 'http://n{n}.sim.example/p']"),
        _ => format!("[file:hashes.'SHA-256' = '{n:064x}']"),
    }
}

impl World {
    /// Generate the world of `scenario`.
    pub fn generate(scenario: &Scenario) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(scenario.seed);
        let pop = &scenario.population;
        let start = scenario.time.start_unix;
        let end = scenario.end_unix();

        // Nodes: anchors, members (colluders chosen at random), Sybils.
        let mut member_roles: Vec<Role> = (0..pop.members)
            .map(|i| {
                if i < scenario.colluders() {
                    Role::Colluder
                } else {
                    Role::Honest
                }
            })
            .collect();
        member_roles.shuffle(&mut rng);
        let mut nodes: Vec<Node> = (0..pop.anchors)
            .map(|i| Node {
                key: node_key(Role::Anchor, i),
                role: Role::Anchor,
            })
            .collect();
        nodes.extend(member_roles.iter().enumerate().map(|(i, role)| Node {
            key: node_key(Role::Honest, i),
            role: *role,
        }));
        nodes.extend((0..pop.sybils).map(|i| Node {
            key: node_key(Role::Sybil, i),
            role: Role::Sybil,
        }));

        // Publication slots at random times, then filled in time order.
        let per = scenario.publishing.items_per_member;
        let colluder_true = scenario.colluder_true_items();
        let mut slots: Vec<(u64, usize, usize, bool)> = Vec::new();
        for (n, node) in nodes.iter().enumerate() {
            let true_items = match node.role {
                Role::Honest => per,
                Role::Colluder => colluder_true,
                Role::Anchor | Role::Sybil => continue,
            };
            for k in 0..per {
                slots.push((rng.random_range(start..end), n, k, k < true_items));
            }
        }
        slots.sort_unstable();
        let mut items: Vec<Item> = Vec::with_capacity(slots.len());
        // (pattern, observable, publisher) of honest members' true items so far.
        let mut honest_true: Vec<(String, &'static str, usize)> = Vec::new();
        let mut claimed: BTreeSet<(usize, String)> = BTreeSet::new();
        let mut fresh = 0u64;
        for (at, n, _, truth) in slots {
            let mut shared = None;
            if truth
                && !honest_true.is_empty()
                && rng.random_bool(scenario.publishing.shared_pattern)
            {
                let pick = rng.random_range(0..honest_true.len());
                if let Some((p, o, by)) = honest_true.get(pick) {
                    if *by != n && !claimed.contains(&(n, p.clone())) {
                        shared = Some((p.clone(), *o));
                    }
                }
            }
            let (pattern, observable) = match shared {
                Some(s) => s,
                None => {
                    let o = OBSERVABLES[rng.random_range(0..OBSERVABLES.len())];
                    fresh += 1;
                    (fresh_pattern(fresh, o), o)
                }
            };
            let role = nodes.get(n).map(|x| x.role);
            if truth && role == Some(Role::Honest) {
                honest_true.push((pattern.clone(), observable, n));
            }
            claimed.insert((n, pattern.clone()));
            items.push(Item {
                id: format!(
                    "indicator--5e1f0000-0000-4000-8000-{:012x}",
                    items.len() + 1
                ),
                publisher: n,
                truth,
                pattern,
                observable,
                published_at: at,
                confidence: if role == Some(Role::Colluder) {
                    scenario.publishing.colluder_confidence
                } else {
                    scenario.publishing.honest_confidence
                },
            });
        }

        // Reports.
        let b = &scenario.behaviour;
        let mut events: Vec<Event> = items
            .iter()
            .enumerate()
            .map(|(i, it)| Event {
                at: it.published_at,
                node: it.publisher,
                item: i,
                kind: Kind::Claim,
            })
            .collect();
        for (i, item) in items.iter().enumerate() {
            let publisher_role = nodes.get(item.publisher).map(|x| x.role);
            for (r, reporter) in nodes.iter().enumerate() {
                if r == item.publisher {
                    continue;
                }
                let kind = match (reporter.role, publisher_role) {
                    (Role::Anchor, _) => {
                        rng.random_bool(b.anchor_sample).then_some(if item.truth {
                            Kind::Confirm
                        } else {
                            Kind::Refute
                        })
                    }
                    (Role::Honest, _) => {
                        if !rng.random_bool(b.encounter) {
                            None
                        } else if item.truth {
                            rng.random_bool(b.p_confirm_true).then_some(Kind::Confirm)
                        } else if rng.random_bool(b.p_detect_false) {
                            Some(Kind::Refute)
                        } else {
                            rng.random_bool(b.p_fooled).then_some(Kind::Confirm)
                        }
                    }
                    (Role::Colluder, Some(Role::Colluder)) => (!item.truth
                        && rng.random_bool(b.collusion_confirm))
                    .then_some(Kind::Confirm),
                    (Role::Colluder, Some(Role::Honest)) => (rng.random_bool(b.encounter)
                        && rng.random_bool(b.poison_refute))
                    .then_some(Kind::Refute),
                    (Role::Sybil, Some(Role::Colluder)) => {
                        rng.random_bool(b.sybil_confirm).then_some(Kind::Confirm)
                    }
                    (Role::Sybil, Some(Role::Honest)) => (rng.random_bool(b.encounter)
                        && rng.random_bool(b.sybil_refute))
                    .then_some(Kind::Refute),
                    _ => None,
                };
                let Some(kind) = kind else { continue };
                if kind == Kind::Refute && claimed.contains(&(r, item.pattern.clone())) {
                    continue;
                }
                events.push(Event {
                    at: rng.random_range(item.published_at..end),
                    node: r,
                    item: i,
                    kind,
                });
            }
        }
        events.sort_unstable();
        World {
            nodes,
            items,
            events,
        }
    }

    /// The evidence set every node would hold: each node's statements in time order get
    /// consecutive ledger indices.
    pub fn evidence(&self) -> (EvidenceSet, Counts) {
        let mut set = EvidenceSet::new();
        let mut counts = Counts::default();
        let mut next_index: BTreeMap<usize, u64> = BTreeMap::new();
        for ev in &self.events {
            let (Some(item), Some(node)) = (self.items.get(ev.item), self.nodes.get(ev.node))
            else {
                continue;
            };
            let index = next_index.entry(ev.node).or_insert(0);
            let statement = match ev.kind {
                Kind::Claim => {
                    *counts.claims.get_mut(node.role) += 1;
                    Statement::Claim(Claim {
                        id: item.id.clone(),
                        object_type: "indicator".into(),
                        pattern: Some(item.pattern.clone()),
                        confidence: Some(item.confidence),
                        revoked: false,
                        observable: Some(item.observable.into()),
                    })
                }
                Kind::Confirm => {
                    *counts.confirmations.get_mut(node.role) += 1;
                    Statement::Confirms(vec![item.id.clone()])
                }
                Kind::Refute => {
                    *counts.refutations.get_mut(node.role) += 1;
                    Statement::Refutes(vec![item.id.clone()])
                }
            };
            set.add_statement(node.key, *index, ev.at, statement);
            *index += 1;
            counts.statements += 1;
        }
        counts.patterns = set.backend().patterns.len();
        (set, counts)
    }

    /// The trust graph's admissions: members by the anchors that admitted them.
    pub fn admitted(&self, admission: Admission) -> BTreeMap<PublicKey, BTreeSet<PublicKey>> {
        let anchors: Vec<PublicKey> = self
            .nodes
            .iter()
            .filter(|n| n.role == Role::Anchor)
            .map(|n| n.key)
            .collect();
        let mut out = BTreeMap::new();
        let members = self
            .nodes
            .iter()
            .filter(|n| matches!(n.role, Role::Honest | Role::Colluder));
        for (i, m) in members.enumerate() {
            let by: BTreeSet<PublicKey> = match admission {
                Admission::All => anchors.iter().copied().collect(),
                Admission::Split => anchors
                    .get(i % anchors.len().max(1))
                    .copied()
                    .into_iter()
                    .collect(),
            };
            out.insert(m.key, by);
        }
        out
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Run the experiment of `scenario` (already validated).
pub fn run(scenario: &Scenario) -> Result<Run, SimError> {
    let t0 = Instant::now();
    let world = World::generate(scenario);
    let (set, mut counts) = world.evidence();
    let generate_ms = ms(t0);

    let t1 = Instant::now();
    let graph = Graph {
        anchors: world
            .nodes
            .iter()
            .filter(|n| n.role == Role::Anchor)
            .map(|n| n.key)
            .collect(),
        admitted: world.admitted(scenario.population.admission),
        equivocating: BTreeSet::new(),
        outcomes: set.outcomes(),
    };
    counts.trust_edges = graph.outcomes.len();
    let trust = trust::compute(&graph, &TrustParams::default());
    let trust_ms = ms(t1);

    let t2 = Instant::now();
    let role_of: BTreeMap<String, Role> = world
        .nodes
        .iter()
        .map(|n| (hex::encode(n.key.0), n.role))
        .collect();
    let now = scenario.end_unix();
    let params = ScoreParams::default();
    let mut scores = Vec::with_capacity(world.items.len());
    for item in &world.items {
        let Some(publisher) = world.nodes.get(item.publisher) else {
            return Err(SimError::MissingClaim {
                id: item.id.clone(),
            });
        };
        let e = score::explain(
            &set,
            &trust,
            &graph.equivocating,
            &item.id,
            &publisher.key,
            now,
            &params,
        )
        .ok_or_else(|| SimError::MissingClaim {
            id: item.id.clone(),
        })?;
        let mut s = ItemScore {
            id: item.id.clone(),
            publisher: e.publisher.clone(),
            publisher_role: publisher.role,
            truth: item.truth,
            credibility: e.credibility,
            evidence_score: e.evidence_score,
            baseline: e.confirmations.len(),
            refuters: e.refutations.len(),
            publisher_trust: e.publisher_trust,
            publisher_weight: e.publisher_weight,
            confirmers: PerRole::default(),
            confirm_weight: PerRole::default(),
            refuters_by_role: PerRole::default(),
            refute_weight: PerRole::default(),
        };
        for c in &e.confirmations {
            if let Some(role) = role_of.get(&c.reporter) {
                *s.confirmers.get_mut(*role) += 1;
                *s.confirm_weight.get_mut(*role) += c.weight;
            }
        }
        for c in &e.refutations {
            if let Some(role) = role_of.get(&c.reporter) {
                *s.refuters_by_role.get_mut(*role) += 1;
                *s.refute_weight.get_mut(*role) += c.weight;
            }
        }
        scores.push(s);
    }
    let score_ms = ms(t2);
    Ok(Run {
        world,
        trust,
        scores,
        counts,
        timing: Timing {
            generate_ms,
            trust_ms,
            score_ms,
            total_ms: ms(t0),
        },
    })
}
