//! Peer penalties: the one place that decides how much each kind of misbehaviour costs
//! a peer, how penalties decay, and when a peer is disconnected and banned.
//!
//! Every rejection the node makes on a peer's input ends here as an [`Offence`]:
//!
//! | offence | weight | raised when |
//! |---|---|---|
//! | `Malformed` | 20 | gossip or sync bytes that do not decode (size, framing, envelope codec) |
//! | `BadSignature` | 50 | an envelope, checkpoint or certificate whose signature fails |
//! | `Unadmitted` | 20 | a message from or about a publisher with no valid admission |
//! | `WrongTopic` | 30 | an item on a topic its TLP/community does not allow, or relayed by a peer outside that community |
//! | `BadSync` | 40 | sync leaves that do not match the publisher's signed checkpoint |
//! | `Replay` | 1 | an old item re-sent after gossip's duplicate window (cheap: honest peers do it rarely) |
//! | `Equivocation` | 100 | two different signed items at one ledger index |
//!
//! A peer's penalty is the sum of weights, halving every [`HALF_LIFE_MS`]. It is fed to
//! gossipsub as the (negative) application-specific score, so a penalised peer first
//! stops receiving gossip from us (below the gossip threshold), then its messages are
//! ignored (graylist) — at that same point, [`DISCONNECT_AT`], it is disconnected and
//! banned for [`BAN_MS`] (refused by the block list until then). A peer that has not completed admission has score [`UNADMITTED_SCORE`]:
//! it is graylisted, so it can neither inject nor receive gossip.

use std::collections::HashMap;

use libp2p::PeerId;
use serde::Serialize;

/// Penalty halves over this many milliseconds.
pub const HALF_LIFE_MS: u64 = 10 * 60 * 1000;
/// At this penalty a peer is disconnected and banned: the graylist threshold, because
/// below it gossipsub drops the peer's messages unseen, so no further offence could be
/// counted.
pub const DISCONNECT_AT: f64 = 80.0;
/// How long a disconnected offender stays banned.
pub const BAN_MS: u64 = 15 * 60 * 1000;
/// Application score of a connected peer whose admission is not (yet) verified.
pub const UNADMITTED_SCORE: f64 = -1000.0;

/// Gossipsub thresholds matching the weights above (application score weight 1).
pub fn thresholds() -> libp2p::gossipsub::PeerScoreThresholds {
    libp2p::gossipsub::PeerScoreThresholds {
        gossip_threshold: -10.0,
        publish_threshold: -50.0,
        graylist_threshold: -80.0,
        accept_px_threshold: 10.0,
        opportunistic_graft_threshold: 5.0,
    }
}

/// What a peer did wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Offence {
    /// Undecodable bytes.
    Malformed,
    /// A signature that fails.
    BadSignature,
    /// Intel or control from a publisher without valid admission.
    Unadmitted,
    /// Intel on the wrong topic or relayed outside its community.
    WrongTopic,
    /// Sync data that contradicts a signed checkpoint.
    BadSync,
    /// An old item sent again.
    Replay,
    /// Two signed items at one index.
    Equivocation,
}

impl Offence {
    /// The penalty weight (see the module table).
    pub fn weight(self) -> f64 {
        match self {
            Offence::Malformed => 20.0,
            Offence::BadSignature => 50.0,
            Offence::Unadmitted => 20.0,
            Offence::WrongTopic => 30.0,
            Offence::BadSync => 40.0,
            Offence::Replay => 1.0,
            Offence::Equivocation => 100.0,
        }
    }

    /// Name used in counters and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Offence::Malformed => "malformed",
            Offence::BadSignature => "bad_signature",
            Offence::Unadmitted => "unadmitted",
            Offence::WrongTopic => "wrong_topic",
            Offence::BadSync => "bad_sync",
            Offence::Replay => "replay",
            Offence::Equivocation => "equivocation",
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Record {
    penalty: f64,
    at_ms: u64,
}

/// Penalties of every peer, with decay; time comes from the caller.
#[derive(Debug, Default)]
pub struct Penalties {
    peers: HashMap<PeerId, Record>,
    banned: HashMap<PeerId, u64>,
    counts: HashMap<Offence, u64>,
}

/// What the caller must do after an offence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Update the peer's gossipsub application score to this value.
    Score(f64),
    /// Disconnect and ban the peer (its penalty reached [`DISCONNECT_AT`]).
    Ban,
}

fn decayed(r: &Record, now_ms: u64) -> f64 {
    let dt = now_ms.saturating_sub(r.at_ms) as f64;
    r.penalty * 0.5f64.powf(dt / HALF_LIFE_MS as f64)
}

impl Penalties {
    /// Record `offence` by `peer` at `now_ms`.
    pub fn punish(&mut self, peer: PeerId, offence: Offence, now_ms: u64) -> Verdict {
        *self.counts.entry(offence).or_default() += 1;
        let r = self.peers.entry(peer).or_default();
        let p = decayed(r, now_ms) + offence.weight();
        *r = Record {
            penalty: p,
            at_ms: now_ms,
        };
        tracing::debug!(%peer, offence = offence.as_str(), penalty = p, "peer penalised");
        if p >= DISCONNECT_AT {
            self.banned.insert(peer, now_ms.saturating_add(BAN_MS));
            Verdict::Ban
        } else {
            Verdict::Score(-p)
        }
    }

    /// The current application score of an admitted peer (0 or negative).
    pub fn score(&self, peer: &PeerId, now_ms: u64) -> f64 {
        self.peers
            .get(peer)
            .map(|r| -decayed(r, now_ms))
            .unwrap_or(0.0)
    }

    /// Whether `peer` is banned at `now_ms`.
    pub fn is_banned(&mut self, peer: &PeerId, now_ms: u64) -> bool {
        match self.banned.get(peer) {
            Some(&until) if until > now_ms => true,
            Some(_) => {
                self.banned.remove(peer);
                self.peers.remove(peer);
                false
            }
            None => false,
        }
    }

    /// Ban `peer` outright (failed admission, revoked certificate).
    pub fn ban(&mut self, peer: PeerId, now_ms: u64) {
        self.banned.insert(peer, now_ms.saturating_add(BAN_MS));
    }

    /// Peers whose ban ended by `now_ms` (each returned once).
    pub fn expired_bans(&mut self, now_ms: u64) -> Vec<PeerId> {
        let over: Vec<PeerId> = self
            .banned
            .iter()
            .filter(|(_, &until)| until <= now_ms)
            .map(|(p, _)| *p)
            .collect();
        for p in &over {
            self.banned.remove(p);
            self.peers.remove(p);
        }
        over
    }

    /// Offences counted by kind since start.
    pub fn counts(&self) -> std::collections::BTreeMap<&'static str, u64> {
        self.counts.iter().map(|(k, v)| (k.as_str(), *v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalties_add_decay_and_ban() {
        let mut p = Penalties::default();
        let peer = PeerId::random();
        assert_eq!(p.punish(peer, Offence::Malformed, 0), Verdict::Score(-20.0));
        // Half-life: 20 decays to 10, plus 50 = 60.
        assert_eq!(
            p.punish(peer, Offence::BadSignature, HALF_LIFE_MS),
            Verdict::Score(-60.0)
        );
        assert_eq!(
            p.punish(peer, Offence::WrongTopic, HALF_LIFE_MS),
            Verdict::Ban
        );
        assert!(p.is_banned(&peer, HALF_LIFE_MS + 1));
        assert!(!p.is_banned(&peer, HALF_LIFE_MS + BAN_MS + 1));
        assert_eq!(p.score(&peer, HALF_LIFE_MS + BAN_MS + 1), 0.0);
        assert_eq!(p.counts()["bad_signature"], 1);
        assert_eq!(p.counts()["wrong_topic"], 1);
        p.ban(peer, 0);
        assert!(p.expired_bans(BAN_MS - 1).is_empty());
        assert_eq!(p.expired_bans(BAN_MS), vec![peer]);
        assert!(p.expired_bans(BAN_MS).is_empty());
    }

    #[test]
    fn thresholds_order_and_unadmitted_is_graylisted() {
        let t = thresholds();
        assert!(t.gossip_threshold > t.publish_threshold);
        assert!(t.publish_threshold > t.graylist_threshold);
        assert!(UNADMITTED_SCORE < t.graylist_threshold);
        // Banned exactly when gossipsub would stop showing us the peer's messages.
        assert_eq!(-DISCONNECT_AT, t.graylist_threshold);
        // One malformed message does not cut a peer off; a bad signature does stop gossip to it.
        assert!(-Offence::Malformed.weight() > t.graylist_threshold);
        assert!(-Offence::BadSignature.weight() < t.gossip_threshold);
    }
}
