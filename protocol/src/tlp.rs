//! FIRST Traffic Light Protocol 2.0 as STIX 2.1 marking definitions: the [`Tlp`] levels,
//! their standard marking-definition ids (TLP 2.0 from the OASIS `cti-stix-common-objects`
//! TLP 2.0 extension, and the TLP 1.0 ids of STIX 2.1 §7.2.1.4, where WHITE maps to CLEAR),
//! and [`object_tlp`], the level a STIX object is marked with.

use std::fmt;
use std::str::FromStr;

use serde_json::{json, Value};

use crate::stix::StixObject;

/// Id of the OASIS extension definition that carries TLP 2.0 markings in STIX 2.1.
pub const TLP2_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
/// `created` timestamp of the standard TLP 2.0 marking definitions.
pub const TLP2_CREATED: &str = "2022-10-01T00:00:00.000Z";

const TLP2_CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const TLP2_GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const TLP2_AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const TLP2_AMBER_STRICT: &str = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003";
const TLP2_RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

const TLP1_WHITE: &str = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
const TLP1_GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
const TLP1_AMBER: &str = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82";
const TLP1_RED: &str = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";

/// A TLP 2.0 level. Ordered from least to most restrictive, so `max` picks the strictest.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Tlp {
    /// TLP:CLEAR (TLP 1.0 WHITE): disclosure is not limited.
    #[serde(rename = "clear")]
    Clear,
    /// TLP:GREEN: limited disclosure, the recipient's community.
    #[serde(rename = "green")]
    Green,
    /// TLP:AMBER: the recipient's organisation and its clients.
    #[serde(rename = "amber")]
    Amber,
    /// TLP:AMBER+STRICT: the recipient's organisation only.
    #[serde(rename = "amber+strict")]
    AmberStrict,
    /// TLP:RED: for the eyes and ears of individual recipients only.
    #[serde(rename = "red")]
    Red,
}

/// A TLP level name that is not one of clear/white, green, amber, amber+strict, red.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown TLP level {0:?} (expected clear, white, green, amber, amber+strict or red)")]
pub struct ParseTlpError(pub String);

/// The object's markings cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlpError {
    /// `object_marking_refs` (or a granular marking's `marking_ref`) is not what STIX requires.
    #[error("{property} is malformed: {reason}")]
    MalformedMarkings {
        /// Which property.
        property: String,
        /// What is wrong.
        reason: String,
    },
}

impl Tlp {
    /// All levels, least restrictive first.
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// The standard STIX 2.1 TLP 2.0 marking-definition id of this level.
    pub fn marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => TLP2_CLEAR,
            Tlp::Green => TLP2_GREEN,
            Tlp::Amber => TLP2_AMBER,
            Tlp::AmberStrict => TLP2_AMBER_STRICT,
            Tlp::Red => TLP2_RED,
        }
    }

    /// The STIX 2.1 TLP 1.0 marking-definition id, for the levels TLP 1.0 has
    /// (CLEAR maps to WHITE; AMBER+STRICT has none).
    pub fn tlp1_marking_id(self) -> Option<&'static str> {
        match self {
            Tlp::Clear => Some(TLP1_WHITE),
            Tlp::Green => Some(TLP1_GREEN),
            Tlp::Amber => Some(TLP1_AMBER),
            Tlp::AmberStrict => None,
            Tlp::Red => Some(TLP1_RED),
        }
    }

    /// The level of a standard TLP marking-definition id, TLP 2.0 or TLP 1.0 (WHITE is CLEAR).
    pub fn from_marking_id(id: &str) -> Option<Tlp> {
        Self::from_tlp2_marking_id(id).or_else(|| Self::from_tlp1_marking_id(id))
    }

    /// The level of a TLP 2.0 marking-definition id only.
    pub fn from_tlp2_marking_id(id: &str) -> Option<Tlp> {
        Self::ALL.into_iter().find(|t| t.marking_id() == id)
    }

    /// The level of a TLP 1.0 (STIX 2.1 §7.2.1.4) marking-definition id only.
    pub fn from_tlp1_marking_id(id: &str) -> Option<Tlp> {
        Self::ALL
            .into_iter()
            .find(|t| t.tlp1_marking_id() == Some(id))
    }

    /// The lowercase name: `clear`, `green`, `amber`, `amber+strict`, `red`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// The label FIRST uses and the TLP 2.0 marking definitions carry as `name`, e.g. `TLP:AMBER+STRICT`.
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// Whether intel at this level may ever be logged for sharing or sent: TLP:RED and
    /// TLP:AMBER+STRICT never leave the organisation (FIRST TLP 2.0: AMBER+STRICT is for
    /// the recipient's own organisation only). This is the protocol's enforcement
    /// point: envelopes refuse to encode or decode other levels.
    pub fn is_shareable(self) -> bool {
        !matches!(self, Tlp::Red | Tlp::AmberStrict)
    }

    /// The envelope's one-byte encoding (0 = clear ... 4 = red).
    pub fn to_byte(self) -> u8 {
        match self {
            Tlp::Clear => 0,
            Tlp::Green => 1,
            Tlp::Amber => 2,
            Tlp::AmberStrict => 3,
            Tlp::Red => 4,
        }
    }

    /// Inverse of [`Tlp::to_byte`]; `None` for any other byte.
    pub fn from_byte(b: u8) -> Option<Tlp> {
        Self::ALL.into_iter().find(|t| t.to_byte() == b)
    }

    /// The standard TLP 2.0 STIX 2.1 marking-definition object of this level, exactly as
    /// OASIS publishes it (to ship alongside objects that reference it).
    pub fn marking_definition(self) -> Value {
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.marking_id(),
            "created": TLP2_CREATED,
            "name": self.label(),
            "extensions": {
                TLP2_EXTENSION_ID: {
                    "extension_type": "property-extension",
                    "tlp_2_0": self.as_str(),
                }
            }
        })
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tlp {
    type Err = ParseTlpError;

    /// Case-insensitive; accepts an optional `TLP:` prefix and `white` for CLEAR.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let name = lower.strip_prefix("tlp:").unwrap_or(&lower);
        match name {
            "clear" | "white" => Ok(Tlp::Clear),
            "green" => Ok(Tlp::Green),
            "amber" => Ok(Tlp::Amber),
            "amber+strict" => Ok(Tlp::AmberStrict),
            "red" => Ok(Tlp::Red),
            _ => Err(ParseTlpError(s.to_owned())),
        }
    }
}

/// The TLP level `obj` is marked with: the most restrictive standard TLP marking among its
/// `object_marking_refs` **and** its `granular_markings` (a part marked RED makes the whole
/// object RED for sharing decisions). Non-TLP markings are ignored; `None` when there is no
/// TLP marking at all (the caller decides the default).
pub fn object_tlp(obj: &StixObject) -> Result<Option<Tlp>, TlpError> {
    let json = obj.json();
    let mut level: Option<Tlp> = None;
    let mut note = |id: &str| {
        if let Some(t) = Tlp::from_marking_id(id) {
            level = level.max(Some(t));
        }
    };
    if let Some(refs) = json.get("object_marking_refs") {
        let Value::Array(items) = refs else {
            return Err(malformed("object_marking_refs", "not a list"));
        };
        for (i, item) in items.iter().enumerate() {
            let id = item
                .as_str()
                .ok_or_else(|| malformed(&format!("object_marking_refs[{i}]"), "not a string"))?;
            note(id);
        }
    }
    if let Some(granular) = json.get("granular_markings") {
        let Value::Array(items) = granular else {
            return Err(malformed("granular_markings", "not a list"));
        };
        for (i, item) in items.iter().enumerate() {
            match item.get("marking_ref") {
                None => {}
                Some(Value::String(id)) => note(id),
                Some(_) => {
                    return Err(malformed(
                        &format!("granular_markings[{i}].marking_ref"),
                        "not a string",
                    ))
                }
            }
        }
    }
    Ok(level)
}

fn malformed(property: &str, reason: &str) -> TlpError {
    TlpError::MalformedMarkings {
        property: property.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_distinct() {
        for t in Tlp::ALL {
            assert_eq!(Tlp::from_marking_id(t.marking_id()), Some(t));
            if let Some(id) = t.tlp1_marking_id() {
                assert_eq!(Tlp::from_marking_id(id), Some(t));
                assert_ne!(id, t.marking_id());
            }
            assert_eq!(Tlp::from_byte(t.to_byte()), Some(t));
            assert_eq!(t.to_string().parse::<Tlp>(), Ok(t));
            assert_eq!(t.label().parse::<Tlp>(), Ok(t));
        }
        assert_eq!(
            Tlp::from_marking_id("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"),
            Some(Tlp::Clear)
        );
        assert_eq!(
            Tlp::from_marking_id("marking-definition--00000000-0000-4000-8000-000000000000"),
            None
        );
        assert_eq!(Tlp::from_byte(5), None);
        assert_eq!(Tlp::from_byte(255), None);
    }

    #[test]
    fn parsing_is_case_insensitive_and_accepts_white() {
        assert_eq!("WHITE".parse::<Tlp>(), Ok(Tlp::Clear));
        assert_eq!("Amber+Strict".parse::<Tlp>(), Ok(Tlp::AmberStrict));
        assert_eq!("tlp:red".parse::<Tlp>(), Ok(Tlp::Red));
        assert!("amber-strict".parse::<Tlp>().is_err());
        assert!("".parse::<Tlp>().is_err());
    }

    #[test]
    fn serde_names_are_lowercase() {
        assert_eq!(
            serde_json::to_string(&Tlp::AmberStrict).unwrap(),
            "\"amber+strict\""
        );
        assert_eq!(
            serde_json::from_str::<Tlp>("\"clear\"").unwrap(),
            Tlp::Clear
        );
        assert!(serde_json::from_str::<Tlp>("\"white\"").is_err());
    }

    #[test]
    fn ordering_is_by_restriction() {
        assert!(Tlp::Clear < Tlp::Green && Tlp::Green < Tlp::Amber);
        assert!(Tlp::Amber < Tlp::AmberStrict && Tlp::AmberStrict < Tlp::Red);
    }
}
