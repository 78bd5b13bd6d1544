//! [`StixObject`], a validated STIX 2.1 object kept as its full JSON, and [`ObjectError`],
//! the precise reason one object was rejected.

use serde_json::{Map, Value};

use crate::jcs::{self, JcsError};

/// A validated STIX 2.1 object. Keeps the full JSON (unknown types and custom properties
/// are preserved, never dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct StixObject {
    map: Map<String, Value>,
}

/// Precise error: which object, which property, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("object #{index}{}: {}{reason}", display_id(.id), display_property(.property))]
pub struct ObjectError {
    /// Position in the bundle, 0 for a single object.
    pub index: usize,
    /// The object's `id`, when it has a string one.
    pub id: Option<String>,
    /// JSON path-ish location, e.g. `pattern` or `external_references[2].url`; empty for
    /// the object as a whole.
    pub property: String,
    /// Which rule is broken.
    pub reason: String,
}

fn display_id(id: &Option<String>) -> String {
    id.as_ref().map(|id| format!(" ({id})")).unwrap_or_default()
}

fn display_property(property: &str) -> String {
    if property.is_empty() {
        String::new()
    } else {
        format!("{property}: ")
    }
}

impl StixObject {
    /// Wrap a map that validation accepted.
    pub(crate) fn from_validated(map: Map<String, Value>) -> Self {
        Self { map }
    }

    /// The object's `id` (`<type>--<UUID>`).
    pub fn id(&self) -> &str {
        self.str_prop("id").unwrap_or_default()
    }

    /// The object's `type`.
    pub fn object_type(&self) -> &str {
        self.str_prop("type").unwrap_or_default()
    }

    /// `spec_version`, absent on SCOs that rely on the default.
    pub fn spec_version(&self) -> Option<&str> {
        self.str_prop("spec_version")
    }

    /// `modified`, the version timestamp (absent on SCOs and marking definitions).
    pub fn modified(&self) -> Option<&str> {
        self.str_prop("modified")
    }

    /// `created` (absent on SCOs).
    pub fn created(&self) -> Option<&str> {
        self.str_prop("created")
    }

    /// The full JSON members.
    pub fn json(&self) -> &Map<String, Value> {
        &self.map
    }

    /// The object as a JSON value.
    pub fn into_value(self) -> Value {
        Value::Object(self.map)
    }

    /// The RFC 8785 canonical bytes of the object (what envelopes carry).
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, JcsError> {
        jcs::canonicalize_object(&self.map)
    }

    /// A string-valued top-level property.
    pub fn str_prop(&self, name: &str) -> Option<&str> {
        self.map.get(name).and_then(Value::as_str)
    }
}

impl TryFrom<Value> for StixObject {
    type Error = ObjectError;

    /// Validate a single object (index 0).
    fn try_from(value: Value) -> Result<Self, Self::Error> {
        super::validate_object(value, 0)
    }
}

impl From<StixObject> for Value {
    fn from(obj: StixObject) -> Value {
        obj.into_value()
    }
}

impl serde::Serialize for StixObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for StixObject {
    /// Deserialises and validates; invalid objects are a deserialisation error.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        super::validate_object(value, 0).map_err(serde::de::Error::custom)
    }
}
