//! Running a drill on the simulated network, after the scenario's ordinary workload:
//!
//! 1. the anchor builds each advisory (a real [`Advisory`](shoal_protocol::advisory::Advisory)
//!    with the drill flag), signs it into its ledger and publishes it on the priority
//!    topic, which every admitted node subscribes to; the engine spreads it (push, lazy
//!    gossip, and sync for whoever was offline: such a member is notified only after it
//!    returns and runs a sync round);
//! 2. each notified member follows its seeded [plan](super::response::plan): after each
//!    delay it publishes the next status (`received`, `assessing`, then `mitigated` or
//!    `not_affected`) as a real signed `x-shoal-advisory-ack` envelope — when its node
//!    is offline at that moment, as soon as it is back — and the engine spreads the ack
//!    like any item;
//! 3. the publishing anchor takes the acks in the order they reach it: it decodes and
//!    verifies each envelope once, parses the ack strictly and records it in an
//!    [`AckBook`] (a status that arrives after a later one is ignored, as the node does).
//!
//! The drill's messages see the uplink load of the ordinary workload (the engine keeps
//! it per second) but not the reverse, and they draw from their own seeded stream, so
//! adding a drill to a scenario leaves its other results unchanged.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use shoal_crypto::merkle::MemoryTree;
use shoal_protocol::advisory::{AckBook, AckStatus, AdvisoryError};

use super::measure::{outcome, Meta};
use super::objects;
use super::response::plan;
use super::results::{DrillResults, DrillRun, MemberRow};
use super::spec::DrillSpec;
use crate::network::engine::{Engine, Via};
use crate::network::scenario::NetScenario;
use crate::network::world::{Role, World};

/// The publishers' ledgers: node → (tree, next index).
pub type Ledgers = BTreeMap<u32, (MemoryTree, u64)>;

/// What a drill produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drilled {
    /// The summary.
    pub results: DrillResults,
    /// The per-member detail.
    pub run: DrillRun,
    /// Engine events processed.
    pub events: u64,
}

/// The topic every admitted node subscribes to (the priority topic's mesh).
const PRIORITY_TOPIC: usize = 0;

fn via_name(v: Via) -> &'static str {
    match v {
        Via::Push => "push",
        Via::Lazy => "lazy",
        Via::Sync => "sync",
    }
}

/// Sign `object` as the next entry of `node`'s ledger; the wire bytes.
fn publish(
    w: &World,
    ledgers: &mut Ledgers,
    node: u32,
    object: serde_json::Value,
    at_s: f64,
) -> Result<Vec<u8>, String> {
    let signer = w.signers.get(node as usize).ok_or("drill: no signer")?;
    let key = w.keys.get(node as usize).copied().ok_or("drill: no key")?;
    let entry = ledgers
        .entry(node)
        .or_insert_with(|| (MemoryTree::new(), 0));
    let at = crate::network::run::EPOCH + at_s.max(0.0) as u64;
    let wire = objects::seal(object, signer, key, entry.1, at)?;
    entry.0.append(shoal_crypto::hash::leaf_hash(&wire));
    entry.1 += 1;
    Ok(wire)
}

/// Unix milliseconds of simulated time `t`.
fn unix_ms(t: f64) -> i64 {
    crate::network::run::EPOCH as i64 * 1000 + (t * 1000.0).round() as i64
}

/// Run the drill `spec` of scenario `s` on world `w`.
pub fn simulate(
    spec: &DrillSpec,
    s: &NetScenario,
    w: &World,
    engine: &mut Engine,
    ledgers: &mut Ledgers,
) -> Result<Drilled, String> {
    let mut rng = ChaCha20Rng::seed_from_u64(s.seed ^ 0xd211_0000_0000_0001);
    let anchor = spec.anchor as u32;
    let anchor_key = w
        .keys
        .get(anchor as usize)
        .copied()
        .ok_or("drill: no anchor")?;
    let end = s.duration_s;
    let members: Vec<u32> = (s.nodes.anchors..s.nodes.anchors + s.nodes.members)
        .filter(|i| {
            w.role
                .get(*i)
                .is_some_and(|r| r.owed() && *r != Role::Anchor)
        })
        .map(|i| i as u32)
        .collect();
    engine.set_priority(spec.priority);
    let mut out = Drilled::default();
    let mut ack_seq = 0u64;
    for (k, a) in spec.advisories.iter().enumerate() {
        let t0 = a.at_s;
        let severity = spec
            .severity(k)
            .ok_or_else(|| format!("drill advisory #{}: bad severity", k + 1))?;
        let at_ms = unix_ms(t0);
        let advisory = objects::advisory(
            s.seed,
            k,
            severity,
            at_ms,
            at_ms + (a.deadline_s * 1000.0).round() as i64,
            a.drill,
        )?;
        let wire = publish(w, ledgers, anchor, advisory.to_object(), t0)?;
        // What every receiver checks (once here: each check is the same verification).
        let (publisher, opened) = objects::open_advisory(&wire)?;
        if publisher != anchor_key || opened != advisory {
            return Err("drill: the advisory did not survive its envelope".into());
        }
        let bytes = wire.len().max(spec.advisory_bytes);
        let spread = engine.spread(w, PRIORITY_TOPIC, &[(anchor, t0, 0)], bytes, &mut rng);
        out.events += spread.events;
        let notified: BTreeMap<u32, (f64, Via)> = spread
            .arrivals
            .iter()
            .filter(|a| a.1 <= end)
            .map(|a| (a.0, (a.1, a.3)))
            .collect();
        // Every ack the members will publish: (time, member, status).
        let mut due: Vec<(f64, u32, AckStatus)> = Vec::new();
        for &m in &members {
            let Some(&(tn, _)) = notified.get(&m) else {
                continue;
            };
            let mut t = tn;
            for (status, delay) in plan(&spec.response, s.seed, k, m).steps {
                t = w.next_online(m as usize, t + delay);
                if t >= end {
                    break;
                }
                due.push((t, m, status));
            }
        }
        due.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        let acks_published = due.len();
        let mut at_anchor = Vec::new();
        for (t, m, status) in due {
            ack_seq += 1;
            let ack = objects::ack(s.seed, ack_seq, &advisory.id, status, unix_ms(t))?;
            let wire = publish(w, ledgers, m, ack.to_object(), t)?;
            let bytes = wire.len().max(spec.ack_bytes);
            let spread = engine.spread(w, PRIORITY_TOPIC, &[(m, t, 0)], bytes, &mut rng);
            out.events += spread.events;
            let reached = spread
                .arrivals
                .iter()
                .find(|a| a.0 == anchor)
                .map(|a| a.1)
                .filter(|ta| *ta <= end);
            if let Some(ta) = reached {
                let (publisher, opened) = objects::open_ack(&wire)?;
                if Some(&publisher) != w.keys.get(m as usize) || opened != ack {
                    return Err("drill: an ack did not survive its envelope".into());
                }
                at_anchor.push((ta, ack_seq, m, opened));
            }
        }
        at_anchor.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        let acks_at_anchor = at_anchor.len();
        let mut book: AckBook<u32> = AckBook::new(advisory.id.clone());
        let mut first: BTreeMap<u32, f64> = BTreeMap::new();
        let mut last_final: BTreeMap<u32, f64> = BTreeMap::new();
        let mut superseded = 0usize;
        for (ta, _, m, ack) in at_anchor {
            match book.record(m, &ack) {
                Ok(_) => {
                    first.entry(m).or_insert(ta);
                    if ack.status.is_final() {
                        last_final.insert(m, ta);
                    }
                }
                Err(AdvisoryError::Regression { .. }) => superseded += 1,
                Err(e) => return Err(format!("drill: the anchor refused an ack: {e}")),
            }
        }
        let first_row = out.run.rows.len();
        for &m in &members {
            let mu = m as usize;
            let offline_at_publish = !w.online(mu, t0);
            let back = w.next_online(mu, t0);
            let online_throughout = w
                .offline
                .get(mu)
                .is_none_or(|v| !v.iter().any(|(a, b)| *b > t0 && *a < end));
            let got = notified.get(&m);
            out.run.rows.push(MemberRow {
                advisory: k,
                node: m,
                behaviour: plan(&spec.response, s.seed, k, m).behaviour.as_str().into(),
                offline_at_publish,
                back_s: (offline_at_publish && back < end).then_some(back),
                online_throughout,
                notified_s: got.map(|g| g.0),
                via: got.map(|g| via_name(g.1).into()),
                first_ack_s: first.get(&m).copied(),
                final_ack_s: last_final.get(&m).copied(),
                status: book.get(&m).map(|r| r.status.as_str().into()),
            });
        }
        out.run.published_s.push(t0);
        out.run.deadline_s.push(a.deadline_s);
        let meta = Meta {
            id: advisory.id.clone(),
            severity: severity.as_str().into(),
            drill: advisory.drill,
            published_s: t0,
            deadline_s: a.deadline_s,
            acks_published,
            acks_at_anchor,
            acks_superseded: superseded,
        };
        let rows = out.run.rows.get(first_row..).unwrap_or_default();
        out.results.advisories.push(outcome(meta, rows));
    }
    engine.set_priority(false);
    Ok(out)
}
