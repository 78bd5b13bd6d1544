//! The acknowledgement: a member's signed, logged status for one advisory, a STIX 2.1
//! custom object of type [`ACK_TYPE`] (`x-shoal-advisory-ack`).
//!
//! | property       | rule                                                                  |
//! |----------------|-----------------------------------------------------------------------|
//! | `type`         | `"x-shoal-advisory-ack"`                                              |
//! | `spec_version` | `"2.1"`                                                               |
//! | `id`           | `x-shoal-advisory-ack--<UUID>`                                        |
//! | `created`, `modified` | STIX timestamps to the millisecond, `modified >= created`      |
//! | `advisory_ref` | the acknowledged `x-shoal-advisory--<UUID>`                           |
//! | `status`       | `received`, `assessing`, `mitigated` or `not_affected`                |
//! | `note`         | optional, 1 to [`MAX_NOTE_CHARS`] characters of free text; must pass the desensitization pipeline ([`Ack::FREE_TEXT_FIELDS`]) |
//!
//! plus the STIX common optional properties; anything else is rejected.
//!
//! # Status transitions
//!
//! Statuses only move forward: `received → assessing → mitigated | not_affected`, and
//! `received → mitigated | not_affected` directly. Any status may be a member's first
//! ack. A later ack for the same advisory by the same member (the same envelope
//! publisher) supersedes the one in force only if [`may_follow`] holds; otherwise it is
//! ignored (it stays in the ledger, which is append-only, but does not change the view).
//! `mitigated` and `not_affected` are final. Repeating a status is not a move. "Later"
//! means later in the member's ledger: the node feeds a member's acks in ledger order.
//!
//! The member is never in the object: it is the envelope's publisher, which the node
//! shows pseudonymously with its admitted sector and region ([`AckBook`] is generic over
//! that key).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use super::model::{Advisory, ADVISORY_TYPE};
use super::{
    as_object, as_str, bounded_text, head, invalid, required, AdvisoryError, Obj, MAX_NOTE_CHARS,
};
use crate::stix::{check_identifier, Timestamp};

/// The STIX type of acknowledgements.
pub const ACK_TYPE: &str = "x-shoal-advisory-ack";

const OWN_PROPERTIES: &[&str] = &["advisory_ref", "status", "note"];

/// Whether a JSON object claims to be an acknowledgement (by its `type`; validate with
/// [`Ack::from_object`]).
pub fn is_ack(object: &Value) -> bool {
    object.get("type").and_then(Value::as_str) == Some(ACK_TYPE)
}

/// A member's status for an advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AckStatus {
    /// Seen.
    Received,
    /// Checking whether and how it applies.
    Assessing,
    /// Done (final).
    Mitigated,
    /// Does not apply (final).
    NotAffected,
}

impl AckStatus {
    /// The JSON value.
    pub fn as_str(self) -> &'static str {
        match self {
            AckStatus::Received => "received",
            AckStatus::Assessing => "assessing",
            AckStatus::Mitigated => "mitigated",
            AckStatus::NotAffected => "not_affected",
        }
    }

    /// Whether the status is final (`mitigated`, `not_affected`).
    pub fn is_final(self) -> bool {
        matches!(self, AckStatus::Mitigated | AckStatus::NotAffected)
    }

    fn rank(self) -> u8 {
        match self {
            AckStatus::Received => 0,
            AckStatus::Assessing => 1,
            AckStatus::Mitigated | AckStatus::NotAffected => 2,
        }
    }
}

impl fmt::Display for AckStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AckStatus {
    type Err = AdvisoryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "received" => Ok(AckStatus::Received),
            "assessing" => Ok(AckStatus::Assessing),
            "mitigated" => Ok(AckStatus::Mitigated),
            "not_affected" => Ok(AckStatus::NotAffected),
            other => Err(invalid(
                "status",
                format!(
                    "{other:?} is not an acknowledgement status (received, assessing, mitigated or not_affected)"
                ),
            )),
        }
    }
}

/// Whether a member's ack with status `next` supersedes its ack with status `prev`:
/// strictly forward along `received → assessing → mitigated | not_affected`.
pub fn may_follow(prev: AckStatus, next: AckStatus) -> bool {
    next.rank() > prev.rank()
}

/// A validated acknowledgement.
#[derive(Debug, Clone, PartialEq)]
pub struct Ack {
    /// `x-shoal-advisory-ack--<UUID>`.
    pub id: String,
    /// When acknowledged.
    pub created: Timestamp,
    /// This version's time.
    pub modified: Timestamp,
    /// The advisory acknowledged.
    pub advisory_ref: String,
    /// The member's status.
    pub status: AckStatus,
    /// Optional free text (desensitized before publishing).
    pub note: Option<String>,
    /// STIX common optional properties as given.
    pub common: Map<String, Value>,
}

impl Ack {
    /// The properties whose text is free-form and must pass the desensitization pipeline
    /// before a member publishes the ack (and are leak-checked after).
    pub const FREE_TEXT_FIELDS: &'static [&'static str] = &["note"];

    /// Parse and validate an acknowledgement object strictly.
    pub fn from_object(value: &Value) -> Result<Ack, AdvisoryError> {
        let head = head(value, ACK_TYPE, OWN_PROPERTIES)?;
        let map: &Obj = as_object(value, "")?;
        let advisory_ref = as_str(required(map, "", "advisory_ref")?, "advisory_ref")?;
        match check_identifier(advisory_ref) {
            Ok(ADVISORY_TYPE) => {}
            Ok(other) => {
                return Err(invalid(
                    "advisory_ref",
                    format!(
                    "{advisory_ref:?} is a {other} identifier; expected {ADVISORY_TYPE}--<UUID>"
                ),
                ))
            }
            Err(e) => return Err(invalid("advisory_ref", e.0)),
        }
        let status: AckStatus = as_str(required(map, "", "status")?, "status")?.parse()?;
        let note = map
            .get("note")
            .map(|v| bounded_text(v, "note", MAX_NOTE_CHARS).map(str::to_owned))
            .transpose()?;
        Ok(Ack {
            id: head.id,
            created: head.created,
            modified: head.modified,
            advisory_ref: advisory_ref.to_owned(),
            status,
            note,
            common: head.common,
        })
    }

    /// Parse untrusted bytes (strict JSON) as an acknowledgement.
    pub fn from_bytes(bytes: &[u8]) -> Result<Ack, AdvisoryError> {
        Ack::from_object(&super::parse_bytes(bytes)?)
    }

    /// The STIX object. `from_object(&a.to_object()) == Ok(a)`.
    pub fn to_object(&self) -> Value {
        let mut map = self.common.clone();
        let s = |v: &str| Value::String(v.to_owned());
        map.insert("type".into(), s(ACK_TYPE));
        map.insert("spec_version".into(), s("2.1"));
        map.insert("id".into(), s(&self.id));
        map.insert("created".into(), s(self.created.as_str()));
        map.insert("modified".into(), s(self.modified.as_str()));
        map.insert("advisory_ref".into(), s(&self.advisory_ref));
        map.insert("status".into(), s(self.status.as_str()));
        if let Some(note) = &self.note {
            map.insert("note".into(), s(note));
        }
        Value::Object(map)
    }
}

/// One member's acknowledgement state for an advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRecord {
    /// The status in force.
    pub status: AckStatus,
    /// The ack that set it.
    pub ack_id: String,
    /// `created` of the member's first accepted ack: when it acknowledged.
    pub first_at: Timestamp,
    /// `created` of the ack in force: when the status was last moved.
    pub updated_at: Timestamp,
}

/// Per advisory: who acknowledged, with what status, and when. `K` is the member as the
/// node shows it (e.g. a pseudonym with the admitted sector and region).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckBook<K: Ord> {
    advisory_id: String,
    members: BTreeMap<K, AckRecord>,
}

impl<K: Ord + Clone> AckBook<K> {
    /// An empty book for advisory `advisory_id`.
    pub fn new(advisory_id: impl Into<String>) -> Self {
        Self {
            advisory_id: advisory_id.into(),
            members: BTreeMap::new(),
        }
    }

    /// The advisory this book is for.
    pub fn advisory_id(&self) -> &str {
        &self.advisory_id
    }

    /// Record `member`'s `ack` (fed in the member's ledger order). `Ok(true)`: it is now in
    /// force; [`AdvisoryError::Regression`]: it does not move forward and is ignored;
    /// [`AdvisoryError::OtherAdvisory`]: it acknowledges another advisory.
    pub fn record(&mut self, member: K, ack: &Ack) -> Result<bool, AdvisoryError> {
        if ack.advisory_ref != self.advisory_id {
            return Err(AdvisoryError::OtherAdvisory {
                expected: self.advisory_id.clone(),
                found: ack.advisory_ref.clone(),
            });
        }
        match self.members.get_mut(&member) {
            None => {
                self.members.insert(
                    member,
                    AckRecord {
                        status: ack.status,
                        ack_id: ack.id.clone(),
                        first_at: ack.created.clone(),
                        updated_at: ack.created.clone(),
                    },
                );
                Ok(true)
            }
            Some(record) if may_follow(record.status, ack.status) => {
                record.status = ack.status;
                record.ack_id = ack.id.clone();
                record.updated_at = ack.created.clone();
                Ok(true)
            }
            Some(record) => Err(AdvisoryError::Regression {
                from: record.status,
                to: ack.status,
            }),
        }
    }

    /// A member's state, if it acknowledged.
    pub fn get(&self, member: &K) -> Option<&AckRecord> {
        self.members.get(member)
    }

    /// Every member that acknowledged, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &AckRecord)> {
        self.members.iter()
    }

    /// How many members acknowledged.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether nobody acknowledged yet.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The members of `in_scope` (those the advisory concerns, as the node knows them)
    /// that are overdue at `now_unix` ([`is_overdue`]): the reminder list.
    pub fn overdue_members(
        &self,
        advisory: &Advisory,
        in_scope: impl IntoIterator<Item = K>,
        now_unix: i64,
    ) -> Vec<K> {
        in_scope
            .into_iter()
            .filter(|m| is_overdue(advisory, self.members.get(m).map(|r| r.status), now_unix))
            .collect()
    }
}

/// Whether a member whose status in force is `latest` (`None`: never acknowledged) is
/// overdue on `advisory` at `now_unix` (seconds): the advisory needs reminders (critical,
/// not revoked), its deadline has passed, and the member has not reported `mitigated` or
/// `not_affected`. Drills are reminded like real advisories (that is the exercise); the
/// node labels them.
pub fn is_overdue(advisory: &Advisory, latest: Option<AckStatus>, now_unix: i64) -> bool {
    advisory.needs_reminders()
        && now_unix > advisory.deadline.unix_seconds()
        && !latest.is_some_and(AckStatus::is_final)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AckStatus::*;

    #[test]
    fn transitions() {
        for (prev, next, ok) in [
            (Received, Assessing, true),
            (Received, Mitigated, true),
            (Received, NotAffected, true),
            (Assessing, Mitigated, true),
            (Assessing, NotAffected, true),
            (Received, Received, false),
            (Assessing, Received, false),
            (Assessing, Assessing, false),
            (Mitigated, NotAffected, false),
            (NotAffected, Mitigated, false),
            (Mitigated, Received, false),
            (NotAffected, Assessing, false),
        ] {
            assert_eq!(may_follow(prev, next), ok, "{prev} -> {next}");
        }
    }
}
