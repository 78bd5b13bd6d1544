//! [`SyncPlanner`]: which leaf ranges of which publishers are in flight to which peer, with
//! deadlines, so the same range is never requested twice at once and slow peers time out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use shoal_crypto::PublicKey;

use super::{ranges, MAX_RANGES};
use crate::wire::SyncRequest;

/// Default time a peer has to answer a leaf request.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 10_000;

/// Planner settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannerConfig {
    /// How long a request may stay unanswered before its ranges are freed (default 10 s).
    pub request_timeout_ms: u64,
    /// Most leaves per request (default 4096, the wire default).
    pub max_leaves: u64,
    /// Most ranges per request (default and at most [`MAX_RANGES`], the wire default).
    pub max_ranges: usize,
    /// Most requests in flight to one peer across all publishers (default 4).
    pub max_in_flight_per_peer: usize,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        Self {
            request_timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS,
            max_leaves: 4096,
            max_ranges: MAX_RANGES,
            max_in_flight_per_peer: 4,
        }
    }
}

/// What one publisher's replica still lacks, and which peers may serve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need<P> {
    /// The ledger.
    pub publisher: PublicKey,
    /// The missing ranges, sorted and disjoint (as [`Replica::missing`] returns them).
    ///
    /// [`Replica::missing`]: super::Replica::missing
    pub missing: Vec<(u64, u64)>,
    /// Peers that can serve this ledger.
    pub peers: Vec<P>,
}

/// A request awaiting its response.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InFlight {
    ranges: Vec<(u64, u64)>,
    deadline_ms: u64,
}

/// Request bookkeeping across publishers (sans-IO: the caller passes the time).
///
/// At most one leaf request per (publisher, peer) is in flight, so a response is matched
/// by its sender and publisher alone. Peers are chosen deterministically: fewest requests
/// in flight first, ties broken round robin; a peer that failed (timed out on, or was
/// reported for) an overlapping range is passed over while some candidate has not.
///
/// A root mismatch that names several peers cannot tell the liar from the honest ones, so
/// [`on_mismatch`](Self::on_mismatch) puts the publisher in *single-source* mode: its
/// missing ranges are then fetched from one peer at a time, one request at a time, until
/// [`on_verified`](Self::on_verified). A mismatch in that mode names the one peer alone,
/// which is then passed over like any failed peer, so sync converges while at least one
/// candidate is honest.
#[derive(Debug, Clone)]
pub struct SyncPlanner<P> {
    config: PlannerConfig,
    in_flight: BTreeMap<(PublicKey, P), InFlight>,
    /// The ranges each peer last failed, per publisher.
    failed: BTreeMap<(PublicKey, P), Vec<(u64, u64)>>,
    timeouts: BTreeMap<P, u64>,
    /// Publishers in single-source mode, with the peer currently serving them.
    single_source: BTreeMap<PublicKey, Option<P>>,
    turn: usize,
}

impl<P: Clone + Ord + Debug> Default for SyncPlanner<P> {
    fn default() -> Self {
        Self::new(PlannerConfig::default())
    }
}

impl<P: Clone + Ord + Debug> SyncPlanner<P> {
    /// A planner with nothing in flight. `max_ranges` is capped at [`MAX_RANGES`] and
    /// `max_leaves` and `max_in_flight_per_peer` raised to at least 1.
    pub fn new(config: PlannerConfig) -> Self {
        let config = PlannerConfig {
            max_leaves: config.max_leaves.max(1),
            max_ranges: config.max_ranges.clamp(1, MAX_RANGES),
            max_in_flight_per_peer: config.max_in_flight_per_peer.max(1),
            ..config
        };
        Self {
            config,
            in_flight: BTreeMap::new(),
            failed: BTreeMap::new(),
            timeouts: BTreeMap::new(),
            single_source: BTreeMap::new(),
            turn: 0,
        }
    }

    /// The settings in use.
    pub fn config(&self) -> &PlannerConfig {
        &self.config
    }

    /// Expire overdue requests, then assign the free parts of every need (missing ranges
    /// not already in flight) to peers, in request-sized chunks.
    pub fn plan(&mut self, now_ms: u64, needs: &[Need<P>]) -> Vec<(P, SyncRequest)> {
        self.expire(now_ms);
        let mut out = Vec::new();
        for need in needs {
            let peers: Vec<P> = need
                .peers
                .iter()
                .cloned()
                .collect::<BTreeSet<P>>()
                .into_iter()
                .collect();
            if peers.is_empty() {
                continue;
            }
            let single = self.single_source.contains_key(&need.publisher);
            if single && self.in_flight.keys().any(|(p, _)| *p == need.publisher) {
                continue;
            }
            let mut free = ranges::subtract(&need.missing, &self.in_flight_ranges(&need.publisher));
            while !free.is_empty() {
                let (chunk, rest) =
                    ranges::take_chunk(&free, self.config.max_leaves, self.config.max_ranges);
                free = rest;
                if chunk.is_empty() {
                    break;
                }
                let choice = if single {
                    self.choose_single(&need.publisher, &peers, &chunk)
                } else {
                    self.choose(&need.publisher, &peers, &chunk)
                };
                match choice {
                    Choice::Peer(peer) => {
                        self.in_flight.insert(
                            (need.publisher, peer.clone()),
                            InFlight {
                                ranges: chunk.clone(),
                                deadline_ms: now_ms.saturating_add(self.config.request_timeout_ms),
                            },
                        );
                        out.push((
                            peer,
                            SyncRequest::Leaves {
                                publisher: need.publisher,
                                ranges: chunk,
                            },
                        ));
                    }
                    Choice::WaitForOther => {}
                    Choice::NoneFree => break,
                }
                if single {
                    break;
                }
            }
        }
        out
    }

    /// Free every request whose deadline has passed (`now_ms >= deadline`), counting a
    /// timeout for its peer and remembering its ranges as failed by that peer. Returns
    /// the (peer, publisher) pairs that timed out. [`plan`](Self::plan) calls this first.
    pub fn expire(&mut self, now_ms: u64) -> Vec<(P, PublicKey)> {
        let overdue: Vec<(PublicKey, P)> = self
            .in_flight
            .iter()
            .filter(|(_, f)| now_ms >= f.deadline_ms)
            .map(|(key, _)| key.clone())
            .collect();
        let mut expired = Vec::with_capacity(overdue.len());
        for (publisher, peer) in overdue {
            self.on_failure(&peer, &publisher);
            let count = self.timeouts.entry(peer.clone()).or_insert(0);
            *count = count.saturating_add(1);
            expired.push((peer, publisher));
        }
        expired
    }

    /// `peer` answered its request for `publisher`: free it. Returns the ranges that were
    /// requested (to check the response against), or `None` if nothing was in flight.
    pub fn on_response(&mut self, peer: &P, publisher: &PublicKey) -> Option<Vec<(u64, u64)>> {
        self.in_flight
            .remove(&(*publisher, peer.clone()))
            .map(|f| f.ranges)
    }

    /// `peer` failed its request for `publisher` (refused, undecodable, wrong answer):
    /// free it and remember its ranges as failed by that peer. Returns the ranges.
    pub fn on_failure(&mut self, peer: &P, publisher: &PublicKey) -> Option<Vec<(u64, u64)>> {
        let ranges = self.on_response(peer, publisher)?;
        self.mark_failed(peer, publisher, ranges.clone());
        Some(ranges)
    }

    /// Remember that `peer` failed `ranges` of `publisher` (e.g. named as an offender by
    /// a root mismatch after its response was taken). Replaces what it failed before.
    pub fn mark_failed(&mut self, peer: &P, publisher: &PublicKey, ranges: Vec<(u64, u64)>) {
        self.failed.insert((*publisher, peer.clone()), ranges);
    }

    /// A root check of `publisher`'s range `[from, to)` failed, naming `offenders`
    /// ([`Advance::Mismatch`](super::Advance::Mismatch)). One offender alone is certainly
    /// wrong: it is marked as having failed the range. Several cannot be told apart: the
    /// publisher switches to single-source mode and its requests in flight are cancelled
    /// (their responses then count as unsolicited).
    pub fn on_mismatch(
        &mut self,
        publisher: &PublicKey,
        offenders: &BTreeSet<P>,
        (from, to): (u64, u64),
    ) {
        let mut names = offenders.iter();
        match (names.next(), names.next()) {
            (None, _) => {}
            (Some(offender), None) => self.mark_failed(offender, publisher, vec![(from, to)]),
            (Some(_), Some(_)) => {
                self.single_source.insert(*publisher, None);
                self.in_flight.retain(|(p, _), _| p != publisher);
            }
        }
    }

    /// `publisher`'s replica advanced: leave single-source mode.
    pub fn on_verified(&mut self, publisher: &PublicKey) {
        self.single_source.remove(publisher);
    }

    /// Whether `publisher` is in single-source mode.
    pub fn is_single_source(&self, publisher: &PublicKey) -> bool {
        self.single_source.contains_key(publisher)
    }

    /// Drop everything about `peer` (disconnected): its requests are freed.
    pub fn forget_peer(&mut self, peer: &P) {
        self.in_flight.retain(|(_, p), _| p != peer);
        self.failed.retain(|(_, p), _| p != peer);
        self.timeouts.remove(peer);
        for serving in self.single_source.values_mut() {
            if serving.as_ref() == Some(peer) {
                *serving = None;
            }
        }
    }

    /// Every range of `publisher` in flight, sorted.
    pub fn in_flight_ranges(&self, publisher: &PublicKey) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = self
            .in_flight
            .iter()
            .filter(|((p, _), _)| p == publisher)
            .flat_map(|(_, f)| f.ranges.iter().copied())
            .collect();
        out.sort_unstable();
        out
    }

    /// Number of requests in flight to `peer`.
    pub fn in_flight_count(&self, peer: &P) -> usize {
        self.in_flight.keys().filter(|(_, p)| p == peer).count()
    }

    /// Number of requests `peer` let time out.
    pub fn timeouts(&self, peer: &P) -> u64 {
        self.timeouts.get(peer).copied().unwrap_or(0)
    }

    /// Single-source mode: keep the current peer while it is a candidate, has not failed
    /// the chunk and can take a request; otherwise choose a new one and keep it.
    fn choose_single(
        &mut self,
        publisher: &PublicKey,
        peers: &[P],
        chunk: &[(u64, u64)],
    ) -> Choice<P> {
        if let Some(Some(current)) = self.single_source.get(publisher) {
            let keep = peers.contains(current)
                && self.in_flight_count(current) < self.config.max_in_flight_per_peer
                && !self
                    .failed
                    .get(&(*publisher, current.clone()))
                    .is_some_and(|failed| ranges::overlaps(failed, chunk));
            if keep {
                return Choice::Peer(current.clone());
            }
        }
        let choice = self.choose(publisher, peers, chunk);
        if let Choice::Peer(peer) = &choice {
            self.single_source.insert(*publisher, Some(peer.clone()));
        }
        choice
    }

    /// Pick a peer for `chunk` of `publisher` among `peers` (sorted, unique).
    fn choose(&mut self, publisher: &PublicKey, peers: &[P], chunk: &[(u64, u64)]) -> Choice<P> {
        let len = peers.len().max(1);
        let turn = self.turn.checked_rem(len).unwrap_or(0);
        let mut eligible: Vec<(usize, usize, &P)> = peers
            .iter()
            .enumerate()
            .filter(|(_, peer)| {
                !self.in_flight.contains_key(&(*publisher, (*peer).clone()))
                    && self.in_flight_count(peer) < self.config.max_in_flight_per_peer
            })
            .map(|(i, peer)| {
                // Position in the rotation that starts at `turn`.
                let rotated = i
                    .wrapping_add(len)
                    .wrapping_sub(turn)
                    .checked_rem(len)
                    .unwrap_or(0);
                (self.in_flight_count(peer), rotated, peer)
            })
            .collect();
        if eligible.is_empty() {
            return Choice::NoneFree;
        }
        eligible.sort_unstable_by_key(|(load, rotated, _)| (*load, *rotated));
        let failed_it = |peer: &P| {
            self.failed
                .get(&(*publisher, peer.clone()))
                .is_some_and(|failed| ranges::overlaps(failed, chunk))
        };
        let chosen = match eligible.iter().find(|(_, _, peer)| !failed_it(peer)) {
            Some((_, _, peer)) => (*peer).clone(),
            // Fall back to a peer that failed it only when every candidate has.
            None if peers.iter().all(failed_it) => match eligible.first() {
                Some((_, _, peer)) => (*peer).clone(),
                None => return Choice::NoneFree,
            },
            None => return Choice::WaitForOther,
        };
        self.turn = self.turn.wrapping_add(1);
        Choice::Peer(chosen)
    }
}

/// The outcome of choosing a peer for a chunk.
enum Choice<P> {
    /// Send it to this peer.
    Peer(P),
    /// Only peers that failed it are free; one that has not is busy.
    WaitForOther,
    /// No candidate can take another request.
    NoneFree,
}
