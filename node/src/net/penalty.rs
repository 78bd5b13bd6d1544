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
//! A peer's penalty is the sum of weights, halving every [`HALF_LIFE_MS`]. Its reputation
//! (the publisher's relative trust from `credibility`) adds [`reputation_score`], between
//! −[`REPUTATION_SPAN`] and +[`REPUTATION_SPAN`], to the application score. It is fed to
//! gossipsub as the (negative) application-specific score, so a penalised peer first
//! stops receiving gossip from us (below the gossip threshold), then its messages are
//! ignored (graylist) — at that same point, [`DISCONNECT_AT`], it is disconnected and
//! banned for [`BAN_MS`] (refused by the block list until then). A peer that has not completed admission has score [`UNADMITTED_SCORE`]:
//! it is graylisted, so it can neither inject nor receive gossip.
//!
//! Every offence is also recorded: per peer (counts by kind, current penalty, last
//! offence, ban) for up to [`MAX_OFFENDERS`] peers, and as a journal of the last
//! [`MAX_INCIDENTS`] incidents with what was wrong (e.g. which publisher's entry did not
//! match its checkpoint). `GET /api/v1/misbehaviour` and `shoal misbehaviour` show both.

use std::collections::{BTreeMap, HashMap, VecDeque};

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
/// Peers whose offence record is kept (the least recently offending is dropped).
pub const MAX_OFFENDERS: usize = 4096;
/// Incidents kept in the journal (oldest dropped first).
pub const MAX_INCIDENTS: usize = 1024;

/// Most a publisher's reputation adds to or takes from its application score.
pub const REPUTATION_SPAN: f64 = 15.0;

/// The reputation part of an admitted peer's application score: its relative trust
/// (`credibility`, 0.5 for an average member) mapped linearly onto
/// `[-REPUTATION_SPAN, +REPUTATION_SPAN]`; 0 when the trust graph does not know it. A
/// persistent liar (trust near 0) sits below the gossip threshold: we stop sending it
/// gossip metadata, and its offences push it to the graylist sooner.
pub fn reputation_score(relative_trust: Option<f64>) -> f64 {
    match relative_trust {
        Some(t) if t.is_finite() => (2.0 * (t.clamp(0.0, 1.0) - 0.5) * REPUTATION_SPAN)
            .clamp(-REPUTATION_SPAN, REPUTATION_SPAN),
        _ => 0.0,
    }
}

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

/// One recorded offence.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Incident {
    /// The offending peer.
    pub peer: String,
    /// What it did.
    pub offence: Offence,
    /// When (unix ms).
    pub at_ms: u64,
    /// Its penalty right after.
    pub penalty: f64,
    /// Whether this offence got it banned.
    pub banned: bool,
    /// What exactly was wrong, when the caller knows (never secret material).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A peer's offence record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Offender {
    /// The peer.
    pub peer: String,
    /// Its current (decayed) penalty.
    pub penalty: f64,
    /// Offences by kind since start.
    pub offences: BTreeMap<&'static str, u64>,
    /// Its last offence (unix ms).
    pub last_at_ms: u64,
    /// Banned until (unix ms), if banned now.
    pub banned_until_ms: Option<u64>,
}

#[derive(Debug, Clone, Default)]
struct History {
    offences: BTreeMap<Offence, u64>,
    last_at_ms: u64,
}

/// Penalties of every peer, with decay; time comes from the caller.
#[derive(Debug, Default)]
pub struct Penalties {
    peers: HashMap<PeerId, Record>,
    banned: HashMap<PeerId, u64>,
    counts: HashMap<Offence, u64>,
    history: HashMap<PeerId, History>,
    journal: VecDeque<Incident>,
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
        self.punish_with(peer, offence, now_ms, None)
    }

    /// Record `offence` by `peer` at `now_ms`, with what exactly was wrong.
    pub fn punish_with(
        &mut self,
        peer: PeerId,
        offence: Offence,
        now_ms: u64,
        detail: Option<String>,
    ) -> Verdict {
        *self.counts.entry(offence).or_default() += 1;
        let r = self.peers.entry(peer).or_default();
        let p = decayed(r, now_ms) + offence.weight();
        *r = Record {
            penalty: p,
            at_ms: now_ms,
        };
        tracing::debug!(%peer, offence = offence.as_str(), penalty = p, detail = detail.as_deref().unwrap_or(""), "peer penalised");
        let banned = p >= DISCONNECT_AT;
        self.remember(peer, offence, now_ms);
        if self.journal.len() >= MAX_INCIDENTS {
            self.journal.pop_front();
        }
        self.journal.push_back(Incident {
            peer: peer.to_string(),
            offence,
            at_ms: now_ms,
            penalty: p,
            banned,
            detail,
        });
        if banned {
            self.banned.insert(peer, now_ms.saturating_add(BAN_MS));
            Verdict::Ban
        } else {
            Verdict::Score(-p)
        }
    }

    fn remember(&mut self, peer: PeerId, offence: Offence, now_ms: u64) {
        if !self.history.contains_key(&peer) && self.history.len() >= MAX_OFFENDERS {
            if let Some(oldest) = self
                .history
                .iter()
                .min_by_key(|(_, h)| h.last_at_ms)
                .map(|(p, _)| *p)
            {
                self.history.remove(&oldest);
            }
        }
        let h = self.history.entry(peer).or_default();
        *h.offences.entry(offence).or_default() += 1;
        h.last_at_ms = now_ms;
    }

    /// Every recorded offender, most recent first.
    pub fn offenders(&self, now_ms: u64) -> Vec<Offender> {
        let mut out: Vec<Offender> = self
            .history
            .iter()
            .map(|(peer, h)| Offender {
                peer: peer.to_string(),
                penalty: self
                    .peers
                    .get(peer)
                    .map_or(0.0, |r| (decayed(r, now_ms) * 10.0).round() / 10.0),
                offences: h.offences.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
                last_at_ms: h.last_at_ms,
                banned_until_ms: self.banned.get(peer).copied().filter(|u| *u > now_ms),
            })
            .collect();
        out.sort_by(|a, b| b.last_at_ms.cmp(&a.last_at_ms).then(a.peer.cmp(&b.peer)));
        out
    }

    /// The last `n` incidents, newest first.
    pub fn incidents(&self, n: usize) -> Vec<Incident> {
        self.journal.iter().rev().take(n).cloned().collect()
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
    fn offences_are_recorded_per_peer_and_in_a_bounded_journal() {
        let mut p = Penalties::default();
        let (a, b) = (PeerId::random(), PeerId::random());
        p.punish_with(a, Offence::BadSync, 10, Some("entry 3 of log x".into()));
        p.punish(b, Offence::Malformed, 20);
        p.punish(a, Offence::BadSync, 30);
        let offenders = p.offenders(30);
        assert_eq!(offenders.len(), 2);
        assert_eq!(offenders[0].peer, a.to_string());
        assert_eq!(offenders[0].offences["bad_sync"], 2);
        assert_eq!(offenders[0].last_at_ms, 30);
        assert!(offenders[0].banned_until_ms.is_none());
        let journal = p.incidents(10);
        assert_eq!(journal.len(), 3);
        assert_eq!(journal[2].detail.as_deref(), Some("entry 3 of log x"));
        // A third BadSync crosses the disconnect threshold: the incident says so.
        p.punish(a, Offence::BadSync, 40);
        assert!(p.incidents(1)[0].banned);
        assert!(p.offenders(40)[0].banned_until_ms.is_some());
        for i in 0..(MAX_INCIDENTS as u64 + 5) {
            p.punish(PeerId::random(), Offence::Replay, 100 + i);
        }
        assert_eq!(p.incidents(usize::MAX).len(), MAX_INCIDENTS);
        assert!(p.offenders(0).len() <= MAX_OFFENDERS);
    }

    #[test]
    fn reputation_moves_the_score_within_its_span() {
        let t = thresholds();
        assert_eq!(reputation_score(None), 0.0);
        assert_eq!(reputation_score(Some(f64::NAN)), 0.0);
        assert_eq!(reputation_score(Some(0.5)), 0.0);
        assert_eq!(reputation_score(Some(1.0)), REPUTATION_SPAN);
        // A liar loses gossip from us, but reputation alone never graylists anyone.
        assert!(reputation_score(Some(0.0)) < t.gossip_threshold);
        assert!(reputation_score(Some(0.0)) > t.publish_threshold);
        assert!(reputation_score(Some(0.25)) > t.gossip_threshold);
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
