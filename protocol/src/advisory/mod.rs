//! Emergency response: advisories, acknowledgements and their CACAO 2.0 playbooks.
//!
//! An **advisory** ([`Advisory`], STIX 2.1 custom object `x-shoal-advisory`) tells members
//! that something needs doing by a deadline: a severity, the affected scope (sectors,
//! regions, communities, CPE 2.3 products, CVEs), the related intel, a deadline, a drill
//! flag and optionally a response playbook in OASIS CACAO 2.0 JSON ([`cacao`]).
//!
//! An **acknowledgement** ([`Ack`], custom object `x-shoal-advisory-ack`) is a member's
//! signed status for one advisory: `received → assessing → mitigated | not_affected`,
//! with an optional free-text note that must pass the desensitization pipeline
//! ([`Ack::FREE_TEXT_FIELDS`]). [`may_follow`] says which later ack supersedes an earlier
//! one and [`AckBook`] keeps, per advisory, who acknowledged what and when.
//!
//! # Transport
//!
//! Both travel as the envelope's object, so the existing ledger, gossip and sync machinery
//! carries them unchanged. They are STIX 2.1 custom objects (§11.1: a `type` starting with
//! `x-`, `spec_version` `"2.1"`, `id` `<type>--<UUID>`, `created`, `modified`), which
//! [`crate::stix::validate_object`] accepts with the common rules only (unknown types are
//! [`crate::stix::Category::Unknown`]). That generic check is **not** enough: the node must
//! route every object for which [`is_advisory`] / [`is_ack`] holds through
//! [`Advisory::from_object`] / [`Ack::from_object`], both on publish (after
//! desensitization, which may rewrite strings) and on ingest, and drop what they reject.
//!
//! # What the protocol does not decide
//!
//! * **Authority.** Whether an advisory is authoritative depends on the publisher's
//!   admission role (anchor or member), which only the node knows from the envelope's
//!   publisher key: see [`authority`]. Nothing in the object can claim it (unknown
//!   properties are rejected).
//! * **Who acknowledged.** An ack's member is the publisher of the envelope carrying it,
//!   shown pseudonymously with its admitted sector/region; [`AckBook`] is generic over the
//!   member key the node chooses.
//! * **Time.** Deadlines are compared with a `now` the caller passes ([`is_overdue`]).
//!
//! Parsing is strict and bounded: unknown properties, wrong types, oversize strings and
//! lists are errors ([`AdvisoryError`]) naming the JSON path; nothing panics on input.

mod ack;
pub mod cacao;
mod model;

use serde_json::Value;

use crate::stix::{ObjectError, Timestamp};

pub use ack::{is_ack, is_overdue, may_follow, Ack, AckBook, AckRecord, AckStatus, ACK_TYPE};
pub use cacao::{validate_playbook, Playbook, StepType};
pub use model::{authority, is_advisory, Advisory, Authority, Scope, Severity, ADVISORY_TYPE};

/// Longest advisory `title`, in characters.
pub const MAX_TITLE_CHARS: usize = 256;
/// Longest advisory `description`, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 16_384;
/// Longest acknowledgement `note`, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// Most entries in one `scope` list.
pub const MAX_SCOPE_ITEMS: usize = 256;
/// Longest entry of a `scope` list, in characters.
pub const MAX_SCOPE_ITEM_CHARS: usize = 256;
/// Most `related_refs`.
pub const MAX_RELATED_REFS: usize = 1_000;

/// Why an advisory, an acknowledgement or a playbook is rejected. Every variant names the
/// JSON path of the offending value (`scope.cves[2]`,
/// `playbook.workflow["action--…"].on_success`), never more of the value than needed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdvisoryError {
    /// A required property is absent.
    #[error("{path}: required property is missing")]
    Missing {
        /// Where.
        path: String,
    },
    /// A property this object does not define (strict parsing).
    #[error("{path}: unknown property")]
    UnknownProperty {
        /// Where.
        path: String,
    },
    /// A value of the wrong JSON kind.
    #[error("{path}: expected {expected}, found {found}")]
    WrongType {
        /// Where.
        path: String,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// A value that breaks a rule.
    #[error("{path}: {reason}")]
    Invalid {
        /// Where.
        path: String,
        /// Which rule.
        reason: String,
    },
    /// A list or dictionary with more entries than allowed.
    #[error("{path}: {count} entries, more than the limit of {max}")]
    TooMany {
        /// Where.
        path: String,
        /// Entries found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A string longer than allowed.
    #[error("{path}: {len} characters, more than the limit of {max}")]
    TooLong {
        /// Where.
        path: String,
        /// Length found.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A playbook nests deeper or holds more values than allowed.
    #[error("{path}: {reason}")]
    TooComplex {
        /// Where.
        path: String,
        /// Which limit.
        reason: String,
    },
    /// A workflow step reference that resolves to no step of the workflow.
    #[error("{path}: references {target:?} which is not a step")]
    DanglingReference {
        /// The referencing property.
        path: String,
        /// The missing step id.
        target: String,
    },
    /// A workflow step no path from `workflow_start` (or `workflow_exception`) reaches.
    #[error("{path}: step is unreachable from workflow_start")]
    UnreachableStep {
        /// The step (`playbook.workflow["…"]`).
        path: String,
    },
    /// The object is not of the expected custom type.
    #[error("type: expected {expected:?}, found {found:?}")]
    WrongObjectType {
        /// The expected type.
        expected: &'static str,
        /// What the object says (empty when it has no string `type`).
        found: String,
    },
    /// The object fails the STIX 2.1 common rules.
    #[error("not a valid STIX 2.1 object: {0}")]
    Stix(#[from] ObjectError),
    /// The bytes are not one strict JSON value (duplicate names, too deep, syntax).
    #[error("not strict JSON: {0}")]
    Json(String),
    /// An acknowledgement that would move a member's status backwards or sideways.
    #[error("status {to} cannot follow {from} (statuses only move forward: received → assessing → mitigated | not_affected)")]
    Regression {
        /// The status in force.
        from: AckStatus,
        /// The refused status.
        to: AckStatus,
    },
    /// An acknowledgement given to an [`AckBook`] of another advisory.
    #[error("advisory_ref: acknowledges {found:?}, not {expected:?}")]
    OtherAdvisory {
        /// The book's advisory.
        expected: String,
        /// The ack's advisory.
        found: String,
    },
}

/// Deepest JSON accepted by the `from_bytes` parsers.
pub(crate) const MAX_JSON_DEPTH: usize = 64;

/// Parse untrusted bytes strictly (duplicate member names rejected, depth bounded).
pub(crate) fn parse_bytes(bytes: &[u8]) -> Result<Value, AdvisoryError> {
    crate::json::parse_strict(bytes, MAX_JSON_DEPTH).map_err(|e| AdvisoryError::Json(e.to_string()))
}

// ---- small typed accessors shared by the three parsers -------------------------------

pub(crate) use crate::stix::validate::fields::{at, join, kind, Obj};

/// `parent["key"]` (dictionary entry).
pub(crate) fn entry(parent: &str, key: &str) -> String {
    format!("{parent}[{key:?}]")
}

pub(crate) fn invalid(path: impl Into<String>, reason: impl Into<String>) -> AdvisoryError {
    AdvisoryError::Invalid {
        path: path.into(),
        reason: reason.into(),
    }
}

fn wrong(path: &str, expected: &'static str, v: &Value) -> AdvisoryError {
    AdvisoryError::WrongType {
        path: path.to_owned(),
        expected,
        found: kind(v),
    }
}

pub(crate) fn required<'a>(
    map: &'a Obj,
    path: &str,
    name: &str,
) -> Result<&'a Value, AdvisoryError> {
    map.get(name).ok_or_else(|| AdvisoryError::Missing {
        path: join(path, name),
    })
}

pub(crate) fn as_object<'a>(v: &'a Value, path: &str) -> Result<&'a Obj, AdvisoryError> {
    v.as_object().ok_or_else(|| wrong(path, "an object", v))
}

pub(crate) fn as_list<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, AdvisoryError> {
    v.as_array().ok_or_else(|| wrong(path, "a list", v))
}

pub(crate) fn as_bool(v: &Value, path: &str) -> Result<bool, AdvisoryError> {
    v.as_bool().ok_or_else(|| wrong(path, "a boolean", v))
}

pub(crate) fn as_str<'a>(v: &'a Value, path: &str) -> Result<&'a str, AdvisoryError> {
    v.as_str().ok_or_else(|| wrong(path, "a string", v))
}

/// A string of 1 to `max` characters.
pub(crate) fn bounded_text<'a>(
    v: &'a Value,
    path: &str,
    max: usize,
) -> Result<&'a str, AdvisoryError> {
    let s = as_str(v, path)?;
    let len = s.chars().count();
    if len > max {
        return Err(AdvisoryError::TooLong {
            path: path.to_owned(),
            len,
            max,
        });
    }
    if s.trim().is_empty() {
        return Err(invalid(path, "must not be empty"));
    }
    Ok(s)
}

/// A list of at most `max` entries (empty allowed: callers decide).
pub(crate) fn bounded_list<'a>(
    v: &'a Value,
    path: &str,
    max: usize,
) -> Result<&'a Vec<Value>, AdvisoryError> {
    let list = as_list(v, path)?;
    if list.len() > max {
        return Err(AdvisoryError::TooMany {
            path: path.to_owned(),
            count: list.len(),
            max,
        });
    }
    Ok(list)
}

/// A STIX/CACAO timestamp (`YYYY-MM-DDTHH:mm:ss[.s+]Z`).
pub(crate) fn timestamp(v: &Value, path: &str) -> Result<Timestamp, AdvisoryError> {
    Timestamp::parse(as_str(v, path)?)
        .map_err(|e| invalid(path, format!("not an RFC 3339 UTC timestamp: {e}")))
}

/// Reject any member of `map` not in `known` (strict parsing).
pub(crate) fn only_known(map: &Obj, path: &str, known: &[&str]) -> Result<(), AdvisoryError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(AdvisoryError::UnknownProperty {
            path: join(path, k),
        }),
        None => Ok(()),
    }
}

/// The optional STIX 2.1 common properties (§3.2) both custom objects may carry; they are
/// checked by [`crate::stix::validate_object`] and kept as given.
pub(crate) const STIX_COMMON_OPTIONAL: &[&str] = &[
    "created_by_ref",
    "revoked",
    "labels",
    "confidence",
    "lang",
    "external_references",
    "object_marking_refs",
    "granular_markings",
];

/// Common head of both custom objects: the type, the STIX common rules, the required
/// `spec_version`/`created`/`modified`, and the STIX common optional members to keep.
pub(crate) struct Head {
    pub id: String,
    pub created: Timestamp,
    pub modified: Timestamp,
    pub common: Obj,
}

pub(crate) fn head(
    value: &Value,
    expected: &'static str,
    own: &[&str],
) -> Result<Head, AdvisoryError> {
    let found = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if found != expected {
        return Err(AdvisoryError::WrongObjectType {
            expected,
            found: found.to_owned(),
        });
    }
    let stix = crate::stix::validate_object(value.clone(), 0)?;
    let map = stix.json();
    for name in map.keys() {
        let name = name.as_str();
        let base = matches!(
            name,
            "type" | "spec_version" | "id" | "created" | "modified"
        );
        if !base && !own.contains(&name) && !STIX_COMMON_OPTIONAL.contains(&name) {
            return Err(AdvisoryError::UnknownProperty {
                path: name.to_owned(),
            });
        }
    }
    // validate_object checked their syntax, precision and order when present; custom
    // objects must carry them (§11.1).
    required(map, "", "spec_version")?;
    let created = timestamp(required(map, "", "created")?, "created")?;
    let modified = timestamp(required(map, "", "modified")?, "modified")?;
    let common = map
        .iter()
        .filter(|(k, _)| STIX_COMMON_OPTIONAL.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Head {
        id: stix.id().to_owned(),
        created,
        modified,
        common,
    })
}
