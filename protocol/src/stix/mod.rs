//! STIX 2.1 ingestion: parse a bundle or a single object from untrusted bytes and validate
//! each object against the OASIS STIX 2.1 specification, keeping every object whole.
//!
//! [`parse_input`] separates two kinds of failure: the input as a whole being unusable
//! ([`InputError`]: too large, not JSON, duplicate member names, too deep, a malformed
//! bundle) and individual objects being invalid ([`ObjectError`], one result per object,
//! in order) so that one bad object does not sink a bundle.
//!
//! What is checked is documented on the validation rules in `validate`; in short: the
//! common properties of §3 for every object (type and identifier syntax, `spec_version`,
//! timestamps, references, markings, extensions, property names), the per-type rules of the
//! types a sharing network lives on, and STIX Patterning for `pattern_type: "stix"`. Unknown
//! types pass with the common rules only.

mod ident;
mod object;
pub mod pattern;
pub mod provenance;
pub mod timestamp;
mod types;
pub(crate) mod validate;

use serde_json::Value;

use crate::json::{self, JsonError};

pub use ident::{check_identifier, check_property_name, check_type_name, check_uuid, NameError};
pub use object::{ObjectError, StixObject};
pub use timestamp::{Timestamp, TimestampError};
pub use types::{category, Category};
pub use validate::validate_object;

/// Default largest input [`parse_input`] accepts: 16 MiB.
pub const DEFAULT_MAX_INPUT_BYTES: usize = 16 << 20;
/// Default deepest JSON nesting accepted (a bundle counts two levels).
pub const DEFAULT_MAX_DEPTH: usize = 64;
/// Default largest number of objects in one bundle.
pub const DEFAULT_MAX_OBJECTS: usize = 100_000;

/// Resource limits applied to untrusted input before and while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest input in bytes, checked before parsing.
    pub max_bytes: usize,
    /// Deepest nesting of arrays/objects.
    pub max_depth: usize,
    /// Most objects in a bundle.
    pub max_objects: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_INPUT_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
            max_objects: DEFAULT_MAX_OBJECTS,
        }
    }
}

/// The input as a whole is unusable.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Larger than the limit (checked before parsing).
    #[error("input is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not well-formed JSON.
    #[error("input is not JSON: line {line}, column {column}: {message}")]
    NotJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// An object repeats a member name, so its meaning is ambiguous.
    #[error("input repeats the member name {key:?} in one object (line {line}, column {column})")]
    DuplicateKey {
        /// The repeated name.
        key: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// Nested deeper than the limit.
    #[error("input nests deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// The top-level value is not a JSON object.
    #[error("input must be a STIX bundle or object, found {found}")]
    NotAnObject {
        /// What was found instead.
        found: &'static str,
    },
    /// A `type: "bundle"` value that is not a valid bundle.
    #[error("malformed bundle: {property}: {reason}")]
    MalformedBundle {
        /// The offending bundle property.
        property: String,
        /// What is wrong.
        reason: String,
    },
    /// More objects in the bundle than the limit.
    #[error("bundle holds {count} objects, more than the limit of {max}")]
    TooManyObjects {
        /// Objects in the bundle.
        count: usize,
        /// The limit.
        max: usize,
    },
}

/// Parse a bundle or a single object. Outer Err: the input as a whole is unusable.
/// Inner: one result per object, in order. Uses [`ParseLimits::default`].
pub fn parse_input(bytes: &[u8]) -> Result<Vec<Result<StixObject, ObjectError>>, InputError> {
    parse_input_with(bytes, &ParseLimits::default())
}

/// [`parse_input`] with explicit limits.
pub fn parse_input_with(
    bytes: &[u8],
    limits: &ParseLimits,
) -> Result<Vec<Result<StixObject, ObjectError>>, InputError> {
    if bytes.len() > limits.max_bytes {
        return Err(InputError::TooLarge {
            len: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value = json::parse_strict(bytes, limits.max_depth).map_err(|e| match e {
        JsonError::Syntax {
            line,
            column,
            message,
        } => InputError::NotJson {
            line,
            column,
            message,
        },
        JsonError::DuplicateKey { key, line, column } => {
            InputError::DuplicateKey { key, line, column }
        }
        JsonError::TooDeep { max } => InputError::TooDeep { max },
    })?;
    let Value::Object(mut map) = value else {
        return Err(InputError::NotAnObject {
            found: validate::fields::kind(&value),
        });
    };
    if map.get("type").and_then(Value::as_str) != Some("bundle") {
        return Ok(vec![validate_object(Value::Object(map), 0)]);
    }
    let bundle_error = |property: &str, reason: String| InputError::MalformedBundle {
        property: property.to_owned(),
        reason,
    };
    match map.get("id") {
        None => {
            return Err(bundle_error(
                "id",
                "required property is missing".to_owned(),
            ))
        }
        Some(Value::String(id)) => match check_identifier(id) {
            Ok("bundle") => {}
            Ok(other) => {
                return Err(bundle_error(
                    "id",
                    format!("{id:?} is a {other} identifier, not bundle--<UUID>"),
                ))
            }
            Err(e) => return Err(bundle_error("id", e.0)),
        },
        Some(other) => {
            return Err(bundle_error(
                "id",
                format!("expected a string, found {}", validate::fields::kind(other)),
            ))
        }
    }
    let objects = match map.remove("objects") {
        None => Vec::new(),
        Some(Value::Array(objects)) => objects,
        Some(other) => {
            return Err(bundle_error(
                "objects",
                format!("expected a list, found {}", validate::fields::kind(&other)),
            ))
        }
    };
    if objects.len() > limits.max_objects {
        return Err(InputError::TooManyObjects {
            count: objects.len(),
            max: limits.max_objects,
        });
    }
    Ok(objects
        .into_iter()
        .enumerate()
        .map(|(i, obj)| validate_object(obj, i))
        .collect())
}
