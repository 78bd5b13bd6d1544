//! Gossipsub topic names: one control topic (checkpoints, admissions, revocations), one
//! topic for TLP:CLEAR intel that every admitted node joins, and one topic per community
//! for its TLP:GREEN and TLP:AMBER intel, joined only by that community's members.
//!
//! Advisories and their acknowledgements (`crate::advisory`) travel on priority topics
//! laid out the same way (`shoal/1/advisory/clear`, `shoal/1/advisory/c/<community>`),
//! with the same admission, TLP and community rules, so they never wait in a topic's
//! mesh behind bulk intel; only advisory and ack objects are accepted there.

use libp2p::gossipsub::{IdentTopic, TopicHash};
use shoal_protocol::Tlp;

/// Checkpoints, admission chains and revocations.
pub const CONTROL: &str = "shoal/1/control";
/// TLP:CLEAR intel of every community.
pub const CLEAR: &str = "shoal/1/intel/clear";
/// Prefix of the per-community topics.
pub const COMMUNITY_PREFIX: &str = "shoal/1/intel/c/";

/// The control topic.
pub fn control() -> IdentTopic {
    IdentTopic::new(CONTROL)
}

/// The TLP:CLEAR topic.
pub fn clear() -> IdentTopic {
    IdentTopic::new(CLEAR)
}

/// The topic of a community's GREEN and AMBER intel.
pub fn community(name: &str) -> IdentTopic {
    IdentTopic::new(format!("{COMMUNITY_PREFIX}{name}"))
}

/// The topic an envelope of `tlp` in `community` travels on; `None` for levels that
/// never leave the node (RED, AMBER+STRICT).
pub fn for_item(tlp: Tlp, community_name: &str) -> Option<IdentTopic> {
    match tlp {
        Tlp::Clear => Some(clear()),
        Tlp::Green | Tlp::Amber => Some(community(community_name)),
        _ => None,
    }
}

/// TLP:CLEAR advisories and acknowledgements of every community.
pub const ADVISORY_CLEAR: &str = "shoal/1/advisory/clear";
/// Prefix of the per-community advisory topics.
pub const ADVISORY_PREFIX: &str = "shoal/1/advisory/c/";

/// The CLEAR advisory topic.
pub fn advisories_clear() -> IdentTopic {
    IdentTopic::new(ADVISORY_CLEAR)
}

/// The topic of a community's GREEN and AMBER advisories and acknowledgements.
pub fn advisories(name: &str) -> IdentTopic {
    IdentTopic::new(format!("{ADVISORY_PREFIX}{name}"))
}

/// The priority topic of an advisory or ack envelope of `tlp` in `community`.
pub fn for_advisory(tlp: Tlp, community_name: &str) -> Option<IdentTopic> {
    match tlp {
        Tlp::Clear => Some(advisories_clear()),
        Tlp::Green | Tlp::Amber => Some(advisories(community_name)),
        _ => None,
    }
}

/// Whether an envelope's object (its canonical JSON) is an advisory or an
/// acknowledgement, by its `type`: those go on the priority topics.
pub fn carries_advisory(object: &[u8]) -> bool {
    const MARKER: &[u8] = b"x-shoal-advisory";
    if !object.windows(MARKER.len()).any(|w| w == MARKER) {
        return false;
    }
    serde_json::from_slice::<serde_json::Value>(object).is_ok_and(|v| {
        shoal_protocol::advisory::is_advisory(&v) || shoal_protocol::advisory::is_ack(&v)
    })
}

/// What a topic hash names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The control topic.
    Control,
    /// The CLEAR intel topic.
    Clear,
    /// A community's intel topic.
    Community(String),
    /// The CLEAR advisory topic.
    AdvisoryClear,
    /// A community's advisory topic.
    AdvisoryCommunity(String),
    /// Not a Shoal topic.
    Unknown,
}

/// Classify a topic hash (identity topics: the hash is the name).
pub fn classify(hash: &TopicHash) -> Kind {
    let s = hash.as_str();
    if s == CONTROL {
        Kind::Control
    } else if s == CLEAR {
        Kind::Clear
    } else if s == ADVISORY_CLEAR {
        Kind::AdvisoryClear
    } else if let Some(name) = s.strip_prefix(COMMUNITY_PREFIX) {
        if shoal_protocol::envelope::check_community(name).is_ok() {
            Kind::Community(name.to_string())
        } else {
            Kind::Unknown
        }
    } else if let Some(name) = s.strip_prefix(ADVISORY_PREFIX) {
        if shoal_protocol::envelope::check_community(name).is_ok() {
            Kind::AdvisoryCommunity(name.to_string())
        } else {
            Kind::Unknown
        }
    } else {
        Kind::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip() {
        assert_eq!(classify(&control().hash()), Kind::Control);
        assert_eq!(classify(&clear().hash()), Kind::Clear);
        assert_eq!(
            classify(&community("energy").hash()),
            Kind::Community("energy".into())
        );
        assert_eq!(
            classify(&IdentTopic::new("shoal/1/intel/c/BAD NAME").hash()),
            Kind::Unknown
        );
        assert_eq!(classify(&advisories_clear().hash()), Kind::AdvisoryClear);
        assert_eq!(
            classify(&advisories("energy").hash()),
            Kind::AdvisoryCommunity("energy".into())
        );
        assert_eq!(
            for_advisory(Tlp::Green, "x").map(|t| t.hash()),
            Some(advisories("x").hash())
        );
        assert!(for_advisory(Tlp::Red, "x").is_none());
        assert!(carries_advisory(
            br#"{"id":"x","type":"x-shoal-advisory-ack"}"#
        ));
        assert!(!carries_advisory(
            br#"{"description":"see x-shoal-advisory","type":"indicator"}"#
        ));
        assert!(for_item(Tlp::Red, "x").is_none());
        assert!(for_item(Tlp::AmberStrict, "x").is_none());
        assert_eq!(
            for_item(Tlp::Clear, "x").map(|t| t.hash()),
            Some(clear().hash())
        );
        assert_eq!(
            for_item(Tlp::Amber, "x").map(|t| t.hash()),
            Some(community("x").hash())
        );
    }
}
