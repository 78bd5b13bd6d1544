//! STIX 2.1 object validation: turns one JSON value into a [`StixObject`] or an
//! [`ObjectError`] naming the object, the property and the rule it breaks. The common
//! rules are in `common` and `markings`, the per-type rules in `kinds`.

mod common;
pub(crate) mod fields;
mod kinds;
mod lookup;
mod markings;

use serde_json::Value;

use super::ident;
use super::object::{ObjectError, StixObject};
use super::types;
use fields::{kind, req_str, violation, Check, Obj};

/// Validate one object (`index` is its position in the bundle, 0 for a single object).
/// The object is kept whole: unknown types and custom properties are preserved.
pub fn validate_object(value: Value, index: usize) -> Result<StixObject, ObjectError> {
    let map = match value {
        Value::Object(map) => map,
        other => {
            return Err(ObjectError {
                index,
                id: None,
                property: String::new(),
                reason: format!("expected a JSON object, found {}", kind(&other)),
            })
        }
    };
    match check(&map) {
        Ok(()) => Ok(StixObject::from_validated(map)),
        Err(v) => Err(ObjectError {
            index,
            id: map.get("id").and_then(Value::as_str).map(str::to_owned),
            property: v.property,
            reason: v.reason,
        }),
    }
}

fn check(map: &Obj) -> Check {
    let object_type = req_str(map, "", "type")?;
    ident::check_type_name(object_type).map_err(|e| violation("type", e.0))?;
    if object_type == "bundle" {
        return Err(violation(
            "type",
            "a bundle is a container, not an object; bundles cannot be nested",
        ));
    }
    let category = types::category(object_type);
    common::check(map, object_type, category)?;
    kinds::check(map, object_type, category)
}
