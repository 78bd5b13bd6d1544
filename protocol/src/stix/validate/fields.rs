//! Typed property accessors for validation: each reads one property of a JSON object and
//! either returns it in the shape STIX requires or a [`Violation`] naming the property path
//! and the reason.

use serde_json::{Map, Value};

use crate::stix::ident;
use crate::stix::timestamp::Timestamp;
use crate::stix::types::{self, Category};

/// A broken rule: where (JSON path-ish) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub property: String,
    pub reason: String,
}

/// Result of a check.
pub(crate) type Check<T = ()> = Result<T, Violation>;

/// Build a [`Violation`].
pub(crate) fn violation(property: impl Into<String>, reason: impl Into<String>) -> Violation {
    Violation {
        property: property.into(),
        reason: reason.into(),
    }
}

/// A JSON object's members.
pub(crate) type Obj = Map<String, Value>;

/// `parent.child`, or `child` at the top.
pub(crate) fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}.{child}")
    }
}

/// `parent[i]`.
pub(crate) fn at(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// The JSON kind of a value, for messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A property that must be present.
pub(crate) fn required<'a>(map: &'a Obj, path: &str, name: &str) -> Check<&'a Value> {
    map.get(name)
        .ok_or_else(|| violation(join(path, name), "required property is missing"))
}

/// A value that must be a string.
pub(crate) fn as_str<'a>(value: &'a Value, path: &str) -> Check<&'a str> {
    value
        .as_str()
        .ok_or_else(|| violation(path, format!("expected a string, found {}", kind(value))))
}

/// An optional string property.
pub(crate) fn opt_str<'a>(map: &'a Obj, path: &str, name: &str) -> Check<Option<&'a str>> {
    map.get(name)
        .map(|v| str_at(v, || join(path, name)))
        .transpose()
}

/// A required string property.
pub(crate) fn req_str<'a>(map: &'a Obj, path: &str, name: &str) -> Check<&'a str> {
    str_at(required(map, path, name)?, || join(path, name))
}

/// [`as_str`] with the path written out only for a violation.
fn str_at(value: &Value, path: impl FnOnce() -> String) -> Check<&str> {
    match value.as_str() {
        Some(s) => Ok(s),
        None => as_str(value, &path()),
    }
}

/// An optional boolean property.
pub(crate) fn opt_bool(map: &Obj, name: &str) -> Check<Option<bool>> {
    map.get(name).map(|v| as_bool(v, name)).transpose()
}

/// A value that must be a boolean.
pub(crate) fn as_bool(value: &Value, path: &str) -> Check<bool> {
    value
        .as_bool()
        .ok_or_else(|| violation(path, format!("expected a boolean, found {}", kind(value))))
}

/// An optional integer property within `lo..=hi`.
pub(crate) fn opt_int_in(map: &Obj, name: &str, lo: i64, hi: i64) -> Check<Option<i64>> {
    let Some(v) = map.get(name) else {
        return Ok(None);
    };
    let n = v
        .as_i64()
        .ok_or_else(|| violation(name, format!("expected an integer, found {v}")))?;
    if !(lo..=hi).contains(&n) {
        return Err(violation(
            name,
            format!("{n} is outside the allowed range {lo}..={hi}"),
        ));
    }
    Ok(Some(n))
}

/// An optional number property within `lo..=hi`.
pub(crate) fn opt_number_in(map: &Obj, name: &str, lo: f64, hi: f64) -> Check<Option<f64>> {
    let Some(v) = map.get(name) else {
        return Ok(None);
    };
    let n = v
        .as_f64()
        .ok_or_else(|| violation(name, format!("expected a number, found {}", kind(v))))?;
    if !(lo..=hi).contains(&n) {
        return Err(violation(
            name,
            format!("{n} is outside the allowed range {lo}..={hi}"),
        ));
    }
    Ok(Some(n))
}

/// A value that must be a STIX timestamp.
pub(crate) fn as_timestamp(value: &Value, path: &str) -> Check<Timestamp> {
    let s = as_str(value, path)?;
    Timestamp::parse(s).map_err(|e| violation(path, format!("{s:?} is not a STIX timestamp: {e}")))
}

/// An optional timestamp property.
pub(crate) fn opt_timestamp(map: &Obj, name: &str) -> Check<Option<Timestamp>> {
    map.get(name).map(|v| as_timestamp(v, name)).transpose()
}

/// `later` must not precede `earlier` (or must strictly follow it when `strict`).
pub(crate) fn ordered(map: &Obj, earlier: &str, later: &str, strict: bool) -> Check {
    let (a, b) = (opt_timestamp(map, earlier)?, opt_timestamp(map, later)?);
    in_order(a.as_ref(), b.as_ref(), earlier, later, strict)
}

/// [`ordered`] for times already parsed.
pub(crate) fn in_order(
    a: Option<&Timestamp>,
    b: Option<&Timestamp>,
    earlier: &str,
    later: &str,
    strict: bool,
) -> Check {
    if let (Some(a), Some(b)) = (a, b) {
        let bad = if strict { b <= a } else { b < a };
        if bad {
            let relation = if strict {
                "later than"
            } else {
                "later than or equal to"
            };
            return Err(violation(later, format!("must be {relation} {earlier}")));
        }
    }
    Ok(())
}

/// What [`as_identifier`] returns when it accepts `value` (`None` when it does not).
fn identifier_type<'a>(value: &'a Value, allowed: &[&str]) -> Option<&'a str> {
    let object_type = ident::check_identifier(value.as_str()?).ok()?;
    (allowed.is_empty() || allowed.contains(&object_type)).then_some(object_type)
}

/// A value that must be an identifier, optionally of one of `allowed` types. Returns its type.
pub(crate) fn as_identifier<'a>(value: &'a Value, path: &str, allowed: &[&str]) -> Check<&'a str> {
    let id = as_str(value, path)?;
    let object_type = ident::check_identifier(id).map_err(|e| violation(path, e.0))?;
    if !allowed.is_empty() && !allowed.contains(&object_type) {
        return Err(violation(
            path,
            format!(
                "{id:?} must reference an object of type {}",
                allowed.join(" or ")
            ),
        ));
    }
    Ok(object_type)
}

/// A value that must be an identifier of an object in one of `categories`.
pub(crate) fn as_identifier_in(
    value: &Value,
    path: &str,
    categories: &[Category],
    what: &str,
) -> Check {
    let object_type = as_identifier(value, path, &[])?;
    if !categories.contains(&types::category(object_type)) {
        return Err(violation(
            path,
            format!("must reference {what}, not a {object_type}"),
        ));
    }
    Ok(())
}

/// A value that must be a non-empty list (STIX §2.8: empty lists are prohibited).
pub(crate) fn as_list<'a>(value: &'a Value, path: &str) -> Check<&'a [Value]> {
    match value {
        Value::Array(items) if items.is_empty() => Err(violation(path, "lists must not be empty")),
        Value::Array(items) => Ok(items),
        other => Err(violation(
            path,
            format!("expected a list, found {}", kind(other)),
        )),
    }
}

/// A value that must be a non-empty list of strings.
pub(crate) fn as_string_list<'a>(value: &'a Value, path: &str) -> Check<Vec<&'a str>> {
    as_list(value, path)?
        .iter()
        .enumerate()
        .map(|(i, v)| str_at(v, || at(path, i)))
        .collect()
}

/// [`as_string_list`] without collecting the strings.
pub(crate) fn check_string_list(value: &Value, path: &str) -> Check {
    for (i, v) in as_list(value, path)?.iter().enumerate() {
        str_at(v, || at(path, i))?;
    }
    Ok(())
}

/// A value that must be a non-empty list of identifiers of `allowed` types (any if empty).
pub(crate) fn as_identifier_list(value: &Value, path: &str, allowed: &[&str]) -> Check {
    for (i, v) in as_list(value, path)?.iter().enumerate() {
        if identifier_type(v, allowed).is_none() {
            as_identifier(v, &at(path, i), allowed)?;
        }
    }
    Ok(())
}

/// A value that must be a JSON object.
pub(crate) fn as_object<'a>(value: &'a Value, path: &str) -> Check<&'a Obj> {
    value
        .as_object()
        .ok_or_else(|| violation(path, format!("expected an object, found {}", kind(value))))
}

/// A value that must be a dictionary (§2.7): an object with at least one member and valid keys.
pub(crate) fn as_dictionary<'a>(value: &'a Value, path: &str) -> Check<&'a Obj> {
    let map = as_object(value, path)?;
    if map.is_empty() {
        return Err(violation(path, "dictionaries must have at least one entry"));
    }
    for key in map.keys() {
        ident::check_dictionary_key(key).map_err(|e| violation(join(path, key), e.0))?;
    }
    Ok(map)
}

/// A hashes dictionary: valid keys, every value a non-empty string.
pub(crate) fn as_hashes(value: &Value, path: &str) -> Check {
    for (algorithm, digest) in as_dictionary(value, path)? {
        if digest.as_str().is_some_and(|d| !d.is_empty()) {
            continue;
        }
        let p = join(path, algorithm);
        if as_str(digest, &p)?.is_empty() {
            return Err(violation(p, "hash values must not be empty"));
        }
    }
    Ok(())
}
