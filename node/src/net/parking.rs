//! Intel held back while its publisher's admission is unknown (the publisher's chain
//! has not reached this node yet). Bounded in every direction: items and bytes in
//! total and per forwarding peer, and time — a parked publisher whose admission does not
//! arrive within [`PARK_TTL_MS`] is dropped and every peer that forwarded its items is
//! charged (`Offence::Unadmitted`): honest peers only forward items they validated, so
//! they can always show the publisher's chain when asked.

use std::collections::{HashMap, VecDeque};

use libp2p::gossipsub::TopicHash;
use libp2p::PeerId;
use shoal_crypto::keys::PublicKey;

use super::driver::Driver;
use super::now_ms;
use super::penalty::Offence;

/// How long items wait for their publisher's admission.
pub const PARK_TTL_MS: u64 = 30_000;
/// Most items parked in total.
pub const MAX_ITEMS: usize = 10_000;
/// Most bytes parked in total.
pub const MAX_BYTES: usize = 64 << 20;
/// Most items parked on behalf of one forwarding peer.
pub const MAX_ITEMS_PER_PEER: usize = 500;
/// Most bytes parked on behalf of one forwarding peer.
pub const MAX_BYTES_PER_PEER: usize = 8 << 20;

/// One parked message.
pub struct Parked {
    pub topic: TopicHash,
    pub data: Vec<u8>,
    pub from: Option<PeerId>,
}

/// Parked messages by publisher.
#[derive(Default)]
pub struct Parking {
    by_publisher: HashMap<PublicKey, (u64, VecDeque<Parked>)>,
    per_peer: HashMap<PeerId, (usize, usize)>,
    items: usize,
    bytes: usize,
}

/// Whether a message could be parked.
#[derive(Debug, PartialEq, Eq)]
pub enum ParkResult {
    /// Parked; `first` is true for the first item of this publisher (ask for its chain).
    Yes { first: bool },
    /// Over a bound: the forwarder has too much parked, or the node does.
    Full,
}

impl Parking {
    /// Park `data` from `publisher`, forwarded by `from`.
    pub fn park(
        &mut self,
        publisher: PublicKey,
        topic: TopicHash,
        data: Vec<u8>,
        from: Option<PeerId>,
        now: u64,
    ) -> ParkResult {
        let len = data.len();
        if self.items >= MAX_ITEMS || self.bytes.saturating_add(len) > MAX_BYTES {
            return ParkResult::Full;
        }
        if let Some(p) = from {
            let (n, b) = self.per_peer.entry(p).or_default();
            if *n >= MAX_ITEMS_PER_PEER || b.saturating_add(len) > MAX_BYTES_PER_PEER {
                return ParkResult::Full;
            }
            *n += 1;
            *b += len;
        }
        self.items += 1;
        self.bytes += len;
        let entry = self
            .by_publisher
            .entry(publisher)
            .or_insert_with(|| (now, VecDeque::new()));
        let first = entry.1.is_empty();
        entry.1.push_back(Parked { topic, data, from });
        ParkResult::Yes { first }
    }

    fn release(&mut self, items: &VecDeque<Parked>) {
        for it in items {
            self.items = self.items.saturating_sub(1);
            self.bytes = self.bytes.saturating_sub(it.data.len());
            if let Some(p) = it.from {
                if let Some((n, b)) = self.per_peer.get_mut(&p) {
                    *n = n.saturating_sub(1);
                    *b = b.saturating_sub(it.data.len());
                    if *n == 0 {
                        self.per_peer.remove(&p);
                    }
                }
            }
        }
    }

    /// Take everything parked for `publisher`.
    pub fn take(&mut self, publisher: &PublicKey) -> VecDeque<Parked> {
        match self.by_publisher.remove(publisher) {
            Some((_, items)) => {
                self.release(&items);
                items
            }
            None => VecDeque::new(),
        }
    }

    /// Drop publishers parked longer than [`PARK_TTL_MS`]; returns the forwarders of
    /// their items (one entry per forwarder and publisher).
    pub fn expire(&mut self, now: u64) -> Vec<PeerId> {
        let old: Vec<PublicKey> = self
            .by_publisher
            .iter()
            .filter(|(_, (since, _))| now.saturating_sub(*since) >= PARK_TTL_MS)
            .map(|(k, _)| *k)
            .collect();
        let mut blame = Vec::new();
        for k in old {
            let items = self.take(&k);
            let mut from: Vec<PeerId> = items.iter().filter_map(|i| i.from).collect();
            from.sort();
            from.dedup();
            blame.extend(from);
        }
        blame
    }

    /// Items and bytes parked.
    pub fn size(&self) -> (usize, usize) {
        (self.items, self.bytes)
    }
}

impl Driver {
    /// Park an item of an unknown publisher; on the first one, ask the forwarder for the
    /// publisher's chain. Returns false when over a bound (the caller rejects the item).
    pub(super) fn park(
        &mut self,
        publisher: PublicKey,
        topic: TopicHash,
        data: Vec<u8>,
        from: Option<PeerId>,
    ) -> bool {
        match self.parking.park(publisher, topic, data, from, now_ms()) {
            ParkResult::Yes { first } => {
                if first {
                    if let Some(peer) = from {
                        self.ask_chains(peer, vec![publisher]);
                    }
                }
                true
            }
            ParkResult::Full => false,
        }
    }

    /// The publisher's admission arrived: process what was parked for it.
    pub(super) fn unpark(&mut self, publisher: &PublicKey) {
        for it in self.parking.take(publisher) {
            let _ = self.ingest_intel(None, &it.topic, &it.data);
        }
    }

    /// Drop expired parked items and charge their forwarders.
    pub(super) fn expire_parked(&mut self) {
        for peer in self.parking.expire(now_ms()) {
            self.punish(peer, Offence::Unadmitted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parking_is_bounded_per_peer_and_expires() {
        let mut p = Parking::default();
        let peer = PeerId::random();
        let topic = TopicHash::from_raw("t");
        let key = PublicKey([1; 32]);
        assert_eq!(
            p.park(key, topic.clone(), vec![0; 10], Some(peer), 0),
            ParkResult::Yes { first: true }
        );
        for _ in 1..MAX_ITEMS_PER_PEER {
            assert_eq!(
                p.park(key, topic.clone(), vec![0; 10], Some(peer), 0),
                ParkResult::Yes { first: false }
            );
        }
        assert_eq!(
            p.park(key, topic.clone(), vec![0; 10], Some(peer), 0),
            ParkResult::Full
        );
        // Another forwarder still has room; a huge item does not.
        let other = PeerId::random();
        assert_eq!(
            p.park(
                key,
                topic.clone(),
                vec![0; MAX_BYTES_PER_PEER + 1],
                Some(other),
                0
            ),
            ParkResult::Full
        );
        assert_eq!(p.size().0, MAX_ITEMS_PER_PEER);
        assert!(p.expire(PARK_TTL_MS - 1).is_empty());
        assert_eq!(p.expire(PARK_TTL_MS), vec![peer]);
        assert_eq!(p.size(), (0, 0));
        // Taking releases the per-peer budget.
        p.park(key, topic.clone(), vec![0; 10], Some(peer), 0);
        assert_eq!(p.take(&key).len(), 1);
        assert_eq!(p.size(), (0, 0));
    }
}
