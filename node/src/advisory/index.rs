//! The in-memory index of the advisories and acknowledgements this node holds: fed every
//! envelope of the own ledger and of the verified prefix of every replica, in each
//! publisher's ledger order (see [`super::Advisories::refresh`]).
//!
//! Every object whose `type` is `x-shoal-advisory` / `x-shoal-advisory-ack` goes through
//! [`Advisory::from_object`] / [`Ack::from_object`]; what they reject is counted and
//! dropped. An advisory is keyed by its STIX id; a later version is taken only from the
//! publisher of the first one, and only if its `modified` is not earlier (the publish
//! pipeline coarsens timestamps to `envelope.time_granularity_secs`, so versions within
//! one period tie and the publisher's ledger order decides). An acknowledgement's member is the
//! envelope's publisher; acks are kept per advisory (also for advisories not seen yet)
//! in an [`AckBook`], with each member's recent acks and their ledger positions.
//!
//! Bounded: at most [`MAX_ADVISORIES`] advisories and as many ack books, at most
//! [`MAX_MEMBERS`] members per advisory and [`MAX_HISTORY`] acks per member.

use std::collections::BTreeMap;

use serde_json::Value;
use shoal_crypto::keys::PublicKey;
use shoal_protocol::advisory::{
    is_ack, is_advisory, Ack, AckBook, AckStatus, Advisory, AdvisoryError,
};
use shoal_protocol::{Envelope, Tlp};

/// Most advisories indexed (and most ack books).
pub const MAX_ADVISORIES: usize = 10_000;
/// Most acknowledging members per advisory.
pub const MAX_MEMBERS: usize = 10_000;
/// Most acks kept per member and advisory (the ones in force always fit: a status moves
/// at most three times).
pub const MAX_HISTORY: usize = 16;

/// Bytes every advisory and ack object contains (a cheap filter before JSON parsing).
const MARKER: &[u8] = b"x-shoal-advisory";

/// One advisory as this node holds it.
#[derive(Debug, Clone)]
pub struct AdvisoryEntry {
    /// The validated advisory (the latest version).
    pub advisory: Advisory,
    /// The object exactly as logged.
    pub object: Value,
    /// Who published it (envelope publisher).
    pub publisher: PublicKey,
    /// Its position in the publisher's ledger.
    pub index: u64,
    /// The envelope's community.
    pub community: String,
    /// The envelope's TLP.
    pub tlp: Tlp,
    /// The envelope's coarse publication time (unix seconds).
    pub published_at: u64,
    /// Versions seen.
    pub versions: u32,
}

/// One acknowledgement of a member.
#[derive(Debug, Clone)]
pub struct AckEntry {
    /// Position in the member's ledger.
    pub index: u64,
    /// The ack's STIX id.
    pub ack_id: String,
    /// Its status.
    pub status: AckStatus,
    /// Its `created` (coarsened by the publish pipeline).
    pub created: String,
    /// Its (desensitized) note.
    pub note: Option<String>,
    /// Whether it is the member's status in force.
    pub in_force: bool,
    /// Why it does not count (a regression), if it does not.
    pub ignored: Option<String>,
}

/// The acknowledgements of one advisory.
#[derive(Debug, Clone)]
pub struct Acks {
    /// Status in force per member.
    pub book: AckBook<PublicKey>,
    /// Each member's acks in its ledger order.
    pub history: BTreeMap<PublicKey, Vec<AckEntry>>,
}

/// What [`Index::observe`] made of an envelope.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// Not an advisory or ack.
    Other,
    /// An advisory (new or a newer version).
    Advisory,
    /// An acknowledgement (in force or ignored as a regression).
    Ack,
    /// Refused by the protocol's validation (dropped).
    Invalid(AdvisoryError),
    /// Dropped: a version from another publisher, an older version, or over a bound.
    Dropped(&'static str),
}

/// The index.
#[derive(Debug, Default)]
pub struct Index {
    /// Advisories by STIX id.
    pub advisories: BTreeMap<String, AdvisoryEntry>,
    /// Acknowledgements by advisory id.
    pub acks: BTreeMap<String, Acks>,
    /// Objects dropped as invalid.
    pub invalid: u64,
}

impl Index {
    /// Take in one envelope (of a publisher's ledger, in its ledger order).
    pub fn observe(&mut self, env: &Envelope) -> Seen {
        let body = &env.body;
        if !body.object.windows(MARKER.len()).any(|w| w == MARKER) {
            return Seen::Other;
        }
        let Ok(value) = serde_json::from_slice::<Value>(&body.object) else {
            return Seen::Other;
        };
        if is_advisory(&value) {
            match Advisory::from_object(&value) {
                Ok(a) => self.advisory(env, a, value),
                Err(e) => {
                    self.invalid = self.invalid.saturating_add(1);
                    Seen::Invalid(e)
                }
            }
        } else if is_ack(&value) {
            match Ack::from_object(&value) {
                Ok(a) => self.ack(env, &a),
                Err(e) => {
                    self.invalid = self.invalid.saturating_add(1);
                    Seen::Invalid(e)
                }
            }
        } else {
            Seen::Other
        }
    }

    fn advisory(&mut self, env: &Envelope, advisory: Advisory, object: Value) -> Seen {
        let body = &env.body;
        let versions = match self.advisories.get(&advisory.id) {
            Some(known) if known.publisher != body.publisher => {
                return Seen::Dropped("a version of an advisory from another publisher")
            }
            Some(known) if advisory.modified < known.advisory.modified => {
                return Seen::Dropped("older than the version held")
            }
            Some(known) => known.versions.saturating_add(1),
            None if self.advisories.len() >= MAX_ADVISORIES => {
                return Seen::Dropped("the advisory index is full")
            }
            None => 1,
        };
        self.advisories.insert(
            advisory.id.clone(),
            AdvisoryEntry {
                publisher: body.publisher,
                index: body.ledger_index,
                community: body.community.clone(),
                tlp: body.tlp,
                published_at: body.published_at,
                versions,
                advisory,
                object,
            },
        );
        Seen::Advisory
    }

    fn ack(&mut self, env: &Envelope, ack: &Ack) -> Seen {
        let member = env.body.publisher;
        if !self.acks.contains_key(&ack.advisory_ref) && self.acks.len() >= MAX_ADVISORIES {
            return Seen::Dropped("the acknowledgement index is full");
        }
        let acks = self
            .acks
            .entry(ack.advisory_ref.clone())
            .or_insert_with(|| Acks {
                book: AckBook::new(ack.advisory_ref.clone()),
                history: BTreeMap::new(),
            });
        if !acks.history.contains_key(&member) && acks.history.len() >= MAX_MEMBERS {
            return Seen::Dropped("too many members acknowledged this advisory");
        }
        let recorded = acks.book.record(member, ack);
        let history = acks.history.entry(member).or_default();
        let mut item = AckEntry {
            index: env.body.ledger_index,
            ack_id: ack.id.clone(),
            status: ack.status,
            created: ack.created.as_str().to_owned(),
            note: ack.note.clone(),
            in_force: false,
            ignored: None,
        };
        match recorded {
            Ok(_) => {
                for h in history.iter_mut() {
                    h.in_force = false;
                }
                item.in_force = true;
                history.push(item);
            }
            Err(e) => {
                // Keep room for the acks that can still come into force (at most 3).
                if history.len() + 3 < MAX_HISTORY {
                    item.ignored = Some(e.to_string());
                    history.push(item);
                }
            }
        }
        Seen::Ack
    }

    /// The status in force of `member` for `advisory_id`.
    pub fn status_of(&self, advisory_id: &str, member: &PublicKey) -> Option<AckStatus> {
        self.acks
            .get(advisory_id)
            .and_then(|a| a.book.get(member))
            .map(|r| r.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shoal_crypto::NodeKey;
    use shoal_protocol::envelope::EnvelopeBody;

    fn env(key: &NodeKey, index: u64, object: &Value) -> Envelope {
        let stix = shoal_protocol::stix::validate_object(object.clone(), 0).unwrap();
        let body =
            EnvelopeBody::for_object(key.public(), index, 1_800_000_000, Tlp::Green, "ot", &stix)
                .unwrap();
        body.sign(key).unwrap()
    }

    fn data(name: &str) -> Value {
        let path = format!(
            "{}/../protocol/tests/data/advisory/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    fn ack(n: u32, status: &str) -> Value {
        let mut a = data("ack.json");
        a["id"] = format!("x-shoal-advisory-ack--c004074c-2653-453e-b00b-0e1d4950{n:04}").into();
        a["status"] = status.into();
        a
    }

    #[test]
    fn advisories_and_acks_are_indexed_in_ledger_order() {
        let anchor = NodeKey::from_seed([1; 32]);
        let member = NodeKey::from_seed([2; 32]);
        let mut index = Index::default();
        let adv = data("advisory.json");
        let id = adv["id"].as_str().unwrap().to_owned();
        assert_eq!(index.observe(&env(&anchor, 0, &adv)), Seen::Advisory);
        // Another publisher cannot replace it.
        let mut newer = adv.clone();
        newer["modified"] = "2026-11-26T09:00:00.000Z".into();
        assert!(matches!(
            index.observe(&env(&member, 0, &newer)),
            Seen::Dropped(_)
        ));
        assert_eq!(index.observe(&env(&anchor, 1, &newer)), Seen::Advisory);
        assert_eq!(index.advisories[&id].versions, 2);
        assert_eq!(index.advisories[&id].index, 1);

        assert_eq!(
            index.observe(&env(&member, 1, &ack(1, "assessing"))),
            Seen::Ack
        );
        assert_eq!(
            index.observe(&env(&member, 2, &ack(2, "received"))),
            Seen::Ack
        );
        assert_eq!(
            index.observe(&env(&member, 3, &ack(3, "mitigated"))),
            Seen::Ack
        );
        assert_eq!(
            index.status_of(&id, &member.public()),
            Some(AckStatus::Mitigated)
        );
        let history = &index.acks[&id].history[&member.public()];
        assert_eq!(history.len(), 3);
        assert!(history[1].ignored.is_some() && !history[1].in_force);
        assert!(history[2].in_force && !history[0].in_force);

        let mut bad = adv.clone();
        bad["id"] = "x-shoal-advisory--87ac376d-9528-46a4-80b4-8d3c4d210163".into();
        bad["playbook"]["workflow_start"] = "start--00000000-0000-4000-8000-000000000000".into();
        assert!(matches!(
            index.observe(&env(&anchor, 2, &bad)),
            Seen::Invalid(_)
        ));
        assert_eq!(index.invalid, 1);
    }
}
