//! The outcome counts the trust computation runs on, in a compact form.
//!
//! For each ordered pair of nodes `(rater, rated)`, on how many things they agreed and
//! disagreed ([`super::evidence::EvidenceSet::outcomes`] says how they are counted). With
//! thousands of members reporting the same indicators there are millions of pairs, so
//! [`Outcomes`] numbers the nodes (in key order) and keeps one 24-byte [`Outcome`] per
//! pair in a vector sorted by `(rater, rated)` — the order a
//! `BTreeMap<(PublicKey, PublicKey), _>` would iterate in, since the numbering follows
//! the key order.
//!
//! The counts are built row by row (Gustavson's sparse product): every node's share of
//! each group of claims is listed once, and each node's row is accumulated in a dense
//! scratch vector, then emitted in order. The work is the number of increments, each
//! O(1), and the memory the result plus a linear index of the evidence.

use std::collections::BTreeMap;

use shoal_crypto::PublicKey;

/// The counts of one ordered pair of nodes, by their numbers in [`Outcomes::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Outcome {
    /// The node rating.
    pub rater: u32,
    /// The node rated.
    pub rated: u32,
    /// Things they agreed on.
    pub agreed: u64,
    /// Things they disagreed on.
    pub disagreed: u64,
}

/// `(rater, rated) → (agreed, disagreed)` counts (see the module docs).
///
/// Invariants: [`Outcomes::nodes`] is sorted, without repeats, and holds exactly the
/// nodes named by some pair; [`Outcomes::pairs`] is sorted by `(rater, rated)` without
/// repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcomes {
    nodes: Vec<PublicKey>,
    pairs: Vec<Outcome>,
}

impl Outcomes {
    /// No pairs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The nodes named by the pairs, in key order; a node's number is its position.
    pub fn nodes(&self) -> &[PublicKey] {
        &self.nodes
    }

    /// The pairs, sorted by `(rater, rated)`.
    pub fn pairs(&self) -> &[Outcome] {
        &self.pairs
    }

    fn number(&self, key: &PublicKey) -> Option<u32> {
        let i = self.nodes.binary_search(key).ok()?;
        u32::try_from(i).ok()
    }

    /// The counts `(agreed, disagreed)` of `rater` about `rated`.
    pub fn get(&self, rater: &PublicKey, rated: &PublicKey) -> Option<(u64, u64)> {
        let key = (self.number(rater)?, self.number(rated)?);
        let i = self
            .pairs
            .binary_search_by(|o| (o.rater, o.rated).cmp(&key))
            .ok()?;
        self.pairs.get(i).map(|o| (o.agreed, o.disagreed))
    }

    /// Every pair `(rater, rated, agreed, disagreed)`, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&PublicKey, &PublicKey, u64, u64)> + '_ {
        self.pairs.iter().filter_map(|o| {
            let r = self.nodes.get(usize::try_from(o.rater).ok()?)?;
            let p = self.nodes.get(usize::try_from(o.rated).ok()?)?;
            Some((r, p, o.agreed, o.disagreed))
        })
    }

    /// The same counts as an ordered map (for tests and small sets: it takes far more
    /// memory).
    pub fn to_map(&self) -> BTreeMap<(PublicKey, PublicKey), (u64, u64)> {
        self.iter().map(|(r, p, a, d)| ((*r, *p), (a, d))).collect()
    }

    /// Build from pairs sorted by `(rater, rated)` without repeats, over `nodes` sorted
    /// without repeats; keeps only the nodes some pair names, renumbered.
    fn compacted(nodes: Vec<PublicKey>, mut pairs: Vec<Outcome>) -> Self {
        let mut used = vec![false; nodes.len()];
        for o in &pairs {
            for x in [o.rater, o.rated] {
                if let Some(u) = usize::try_from(x).ok().and_then(|x| used.get_mut(x)) {
                    *u = true;
                }
            }
        }
        let mut renumber: Vec<u32> = Vec::with_capacity(nodes.len());
        let mut kept: Vec<PublicKey> = Vec::new();
        for (k, u) in nodes.into_iter().zip(&used) {
            // Fits: there are no more kept nodes than numbered ones.
            renumber.push(u32::try_from(kept.len()).unwrap_or(u32::MAX));
            if *u {
                kept.push(k);
            }
        }
        for o in &mut pairs {
            let at = |x: u32| {
                usize::try_from(x)
                    .ok()
                    .and_then(|x| renumber.get(x))
                    .copied()
                    .unwrap_or(u32::MAX)
            };
            o.rater = at(o.rater);
            o.rated = at(o.rated);
        }
        pairs.shrink_to_fit();
        Self { nodes: kept, pairs }
    }
}

impl FromIterator<((PublicKey, PublicKey), (u64, u64))> for Outcomes {
    /// Later repeats of a pair replace earlier ones, as with `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = ((PublicKey, PublicKey), (u64, u64))>>(iter: I) -> Self {
        let map: BTreeMap<(PublicKey, PublicKey), (u64, u64)> = iter.into_iter().collect();
        let mut nodes: Vec<PublicKey> = map.keys().flat_map(|(r, p)| [*r, *p]).collect();
        nodes.sort_unstable();
        nodes.dedup();
        nodes.truncate(MAX_NODES);
        let number = |k: &PublicKey| {
            let i = nodes.binary_search(k).ok()?;
            u32::try_from(i).ok()
        };
        let pairs = map
            .iter()
            .filter_map(|((r, p), (a, d))| {
                Some(Outcome {
                    rater: number(r)?,
                    rated: number(p)?,
                    agreed: *a,
                    disagreed: *d,
                })
            })
            .collect();
        Self::compacted(nodes, pairs)
    }
}

/// Most nodes numbered (nodes past these in key order are not rated; each node costs at
/// least a signed envelope in memory, so this is never reached).
const MAX_NODES: usize = u32::MAX as usize;

/// One group of claims about one thing: the nodes on each side, numbered.
#[derive(Debug, Clone, Copy)]
struct Group {
    /// Where its sides start in [`Builder::sides`]: `yes` then `no`.
    start: usize,
    yes: usize,
    no: usize,
}

/// A node's part in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Part {
    node: u32,
    group: usize,
    /// On the `yes` side (else `no`).
    yes: bool,
    /// A publisher of the group's claims (does not mark down the other side).
    publisher: bool,
}

/// Collects the groups of claims, then counts ([`super::evidence::EvidenceSet::outcomes`]).
#[derive(Debug)]
pub(crate) struct Builder {
    /// Every node that may appear, sorted without repeats.
    nodes: Vec<PublicKey>,
    groups: Vec<Group>,
    /// The groups' sides, one after the other.
    sides: Vec<u32>,
    parts: Vec<Part>,
}

impl Builder {
    /// A builder over `nodes` (any order, repeats allowed): every node of the groups
    /// added must be among them.
    pub(crate) fn new(mut nodes: Vec<PublicKey>) -> Self {
        nodes.sort_unstable();
        nodes.dedup();
        nodes.truncate(MAX_NODES);
        nodes.shrink_to_fit();
        Self {
            nodes,
            groups: Vec::new(),
            sides: Vec::new(),
            parts: Vec::new(),
        }
    }

    fn numbered<'a>(&self, keys: impl Iterator<Item = &'a PublicKey>) -> Vec<u32> {
        let mut out: Vec<u32> = keys
            .filter_map(|k| {
                let i = self.nodes.binary_search(k).ok()?;
                u32::try_from(i).ok()
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Add one group of claims about one thing: the nodes that said it is true, those
    /// that said it is false, and its publishers. A node on both sides counts on neither.
    /// Groups without publishers are not rated.
    pub(crate) fn group<'a>(
        &mut self,
        yes: impl Iterator<Item = &'a PublicKey>,
        no: impl Iterator<Item = &'a PublicKey>,
        publishers: impl Iterator<Item = &'a PublicKey>,
    ) {
        let publishers = self.numbered(publishers);
        if publishers.is_empty() {
            return;
        }
        let mut yes = self.numbered(yes);
        let mut no = self.numbered(no);
        let both: Vec<u32> = yes
            .iter()
            .filter(|x| no.binary_search(x).is_ok())
            .copied()
            .collect();
        if !both.is_empty() {
            yes.retain(|x| both.binary_search(x).is_err());
            no.retain(|x| both.binary_search(x).is_err());
        }
        let group = self.groups.len();
        for (side, on_yes) in [(&yes, true), (&no, false)] {
            for &node in side.iter() {
                self.parts.push(Part {
                    node,
                    group,
                    yes: on_yes,
                    publisher: publishers.binary_search(&node).is_ok(),
                });
            }
        }
        self.groups.push(Group {
            start: self.sides.len(),
            yes: yes.len(),
            no: no.len(),
        });
        self.sides.extend_from_slice(&yes);
        self.sides.extend_from_slice(&no);
    }

    fn sides(&self, group: usize) -> (&[u32], &[u32]) {
        let Some(g) = self.groups.get(group) else {
            return (&[], &[]);
        };
        let yes_end = g.start.saturating_add(g.yes);
        let no_end = yes_end.saturating_add(g.no);
        (
            self.sides.get(g.start..yes_end).unwrap_or(&[]),
            self.sides.get(yes_end..no_end).unwrap_or(&[]),
        )
    }

    /// Count: two nodes on the same side of a group agree, on opposite sides disagree,
    /// except that a publisher does not mark down the other side; nodes never rate
    /// themselves.
    pub(crate) fn finish(mut self) -> Outcomes {
        #[derive(Clone, Copy, Default)]
        struct Cell {
            agreed: u64,
            disagreed: u64,
            touched: bool,
        }
        /// `x`'s cell in the row being counted, noting it was touched.
        fn cell<'c>(
            scratch: &'c mut [Cell],
            touched: &mut Vec<u32>,
            x: u32,
        ) -> Option<&'c mut Cell> {
            let c = scratch.get_mut(usize::try_from(x).ok()?)?;
            if !c.touched {
                c.touched = true;
                touched.push(x);
            }
            Some(c)
        }
        self.parts.sort_unstable();
        let mut scratch = vec![Cell::default(); self.nodes.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut pairs: Vec<Outcome> = Vec::new();
        for row in self.parts.chunk_by(|a, b| a.node == b.node) {
            let Some(i) = row.first().map(|p| p.node) else {
                continue;
            };
            for part in row {
                let (yes, no) = self.sides(part.group);
                let (same, other) = if part.yes { (yes, no) } else { (no, yes) };
                for &x in same.iter().filter(|x| **x != i) {
                    if let Some(c) = cell(&mut scratch, &mut touched, x) {
                        c.agreed = c.agreed.saturating_add(1);
                    }
                }
                if part.publisher {
                    continue;
                }
                for &x in other {
                    if let Some(c) = cell(&mut scratch, &mut touched, x) {
                        c.disagreed = c.disagreed.saturating_add(1);
                    }
                }
            }
            touched.sort_unstable();
            for x in touched.drain(..) {
                if let Some(c) = usize::try_from(x).ok().and_then(|x| scratch.get_mut(x)) {
                    pairs.push(Outcome {
                        rater: i,
                        rated: x,
                        agreed: c.agreed,
                        disagreed: c.disagreed,
                    });
                    *c = Cell::default();
                }
            }
        }
        Outcomes::compacted(self.nodes, pairs)
    }
}
