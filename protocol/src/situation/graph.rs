//! The association graph: the STIX neighbourhood of an item — indicators, malware,
//! vulnerabilities, attack patterns, campaigns… linked by relationships and sightings.
//!
//! # Edges
//!
//! * every `relationship` object: `source_ref → target_ref`, labelled with its
//!   `relationship_type` (relationships are edges, not nodes);
//! * every `sighting` (a node itself): `sighting → sighting_of_ref` (`sighting-of`),
//!   `sighting → observed_data_refs[i]` (`observed-data`), `sighting →
//!   where_sighted_refs[i]` (`where-sighted`);
//! * `object_refs` of reports, groupings, notes and opinions: `report → ref`
//!   (`refers-to`).
//!
//! Edges are followed in both directions. The search is breadth-first from `id`, up to
//! `depth` hops and `max_nodes` nodes; neighbours are visited in a fixed order
//! (relationship type, then id) so the same items always give the same graph. Edges are
//! those between kept nodes, deduplicated, sorted. A referenced object the node does not
//! hold is still a node (its type from its id, its id as label). Objects held in several
//! copies take their label from the first copy. An unknown `id` gives an empty graph.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::aggregate::label_of;
use super::ItemFacts;

/// A graph of STIX objects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// Its nodes.
    pub nodes: Vec<GraphNode>,
    /// Its edges.
    pub edges: Vec<GraphEdge>,
}

/// A STIX object in a graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphNode {
    /// STIX id.
    pub id: String,
    /// STIX type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Display label.
    pub label: String,
}

/// A relationship or sighting between two objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphEdge {
    /// Source STIX id.
    pub source: String,
    /// Target STIX id.
    pub target: String,
    /// Relationship type (`indicates`, `uses`, `sighting-of`...).
    pub relationship: String,
}

/// Most nodes a caller may ask for (larger `max_nodes` are lowered to this).
pub const MAX_GRAPH_NODES: usize = 1_000;

type Edge<'a> = (&'a str, &'a str, String);

fn refs<'a>(o: &'a Value, key: &str) -> Vec<&'a str> {
    match o.get(key) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// All edges the items define (see the module notes).
fn edges_of(items: &[ItemFacts]) -> BTreeSet<Edge<'_>> {
    let mut out = BTreeSet::new();
    for it in items {
        let o = &it.object;
        let s = |k: &str| o.get(k).and_then(Value::as_str);
        match s("type") {
            Some("relationship") => {
                if let (Some(a), Some(b)) = (s("source_ref"), s("target_ref")) {
                    let kind = s("relationship_type").unwrap_or("related-to");
                    out.insert((a, b, kind.to_owned()));
                }
            }
            Some("sighting") => {
                let Some(id) = s("id") else {
                    continue;
                };
                for (key, kind) in [
                    ("sighting_of_ref", "sighting-of"),
                    ("observed_data_refs", "observed-data"),
                    ("where_sighted_refs", "where-sighted"),
                ] {
                    for r in refs(o, key) {
                        out.insert((id, r, kind.to_owned()));
                    }
                }
            }
            Some("report" | "grouping" | "note" | "opinion") => {
                let Some(id) = s("id") else {
                    continue;
                };
                for r in refs(o, "object_refs") {
                    out.insert((id, r, "refers-to".to_owned()));
                }
            }
            _ => {}
        }
    }
    out.retain(|(a, b, _)| a != b);
    out
}

/// The neighbourhood of `id` up to `depth` hops, at most `max_nodes` nodes (at most
/// [`MAX_GRAPH_NODES`]). See the module notes.
pub fn neighbourhood(items: &[ItemFacts], id: &str, depth: usize, max_nodes: usize) -> Graph {
    let max_nodes = max_nodes.min(MAX_GRAPH_NODES);
    let mut held: HashMap<&str, &Value> = HashMap::new();
    for it in items {
        if let Some(oid) = it.object.get("id").and_then(Value::as_str) {
            held.entry(oid).or_insert(&it.object);
        }
    }
    let edges = edges_of(items);
    let mut adjacent: HashMap<&str, BTreeSet<(&str, &str)>> = HashMap::new();
    for (a, b, kind) in &edges {
        adjacent.entry(a).or_default().insert((kind.as_str(), b));
        adjacent.entry(b).or_default().insert((kind.as_str(), a));
    }
    if max_nodes == 0 || (!held.contains_key(id) && !adjacent.contains_key(id)) {
        return Graph::default();
    }

    // Breadth-first search: node → hop count, in visit order.
    let mut order: Vec<&str> = Vec::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut queue: VecDeque<(&str, usize)> = VecDeque::new();
    let start = held
        .get_key_value(id)
        .map(|(k, _)| *k)
        .or_else(|| adjacent.get_key_value(id).map(|(k, _)| *k));
    if let Some(start) = start {
        seen.insert(start, 0);
        order.push(start);
        queue.push_back((start, 0));
    }
    'search: while let Some((node, hops)) = queue.pop_front() {
        if hops >= depth {
            continue;
        }
        for (_, next) in adjacent.get(node).into_iter().flatten() {
            if seen.contains_key(next) {
                continue;
            }
            if order.len() >= max_nodes {
                break 'search;
            }
            let h = hops.saturating_add(1);
            seen.insert(next, h);
            order.push(next);
            queue.push_back((next, h));
        }
    }

    let nodes = order
        .iter()
        .map(|n| {
            let (kind, label) = match held.get(n) {
                Some(o) => (
                    o.get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown")
                        .to_owned(),
                    label_of(o),
                ),
                None => (
                    n.split_once("--").map_or("unknown", |(t, _)| t).to_owned(),
                    (*n).to_owned(),
                ),
            };
            GraphNode {
                id: (*n).to_owned(),
                kind,
                label,
            }
        })
        .collect();
    let edges = edges
        .into_iter()
        .filter(|(a, b, _)| seen.contains_key(a) && seen.contains_key(b))
        .map(|(a, b, kind)| GraphEdge {
            source: a.to_owned(),
            target: b.to_owned(),
            relationship: kind,
        })
        .collect();
    Graph { nodes, edges }
}
