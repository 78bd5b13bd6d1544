//! Data markings (§7.2): `object_marking_refs`, `granular_markings` (whose selectors must
//! point at content the object really has), and the body of `marking-definition` objects —
//! the STIX 2.1 `definition_type`/`definition` form (statement, TLP 1.0 with its four
//! standard ids) and the TLP 2.0 extension form with its five standard ids.

use serde_json::Value;

use super::fields::{
    as_identifier, as_identifier_list, as_list, as_object, as_str, as_string_list, at, join,
    opt_str, required, violation, Check, Obj,
};
use crate::stix::ident;
use crate::tlp::{Tlp, TLP2_EXTENSION_ID};

/// `object_marking_refs`: a non-empty list of marking-definition identifiers.
pub(crate) fn check_object_markings(map: &Obj) -> Check {
    match map.get("object_marking_refs") {
        Some(v) => as_identifier_list(v, "object_marking_refs", &["marking-definition"]),
        None => Ok(()),
    }
}

/// `granular_markings`: each has non-empty `selectors` resolving inside the object and
/// exactly one of `marking_ref` (a marking-definition id) or `lang` (a language tag).
pub(crate) fn check_granular_markings(map: &Obj) -> Check {
    let Some(value) = map.get("granular_markings") else {
        return Ok(());
    };
    for (i, item) in as_list(value, "granular_markings")?.iter().enumerate() {
        let path = at("granular_markings", i);
        let marking = as_object(item, &path)?;
        let selectors_path = join(&path, "selectors");
        let selectors = as_string_list(required(marking, &path, "selectors")?, &selectors_path)?;
        for (j, selector) in selectors.into_iter().enumerate() {
            if !selector_resolves(map, selector) {
                return Err(violation(
                    at(&selectors_path, j),
                    format!(
                        "selector {selector:?} does not refer to content present in this object"
                    ),
                ));
            }
        }
        match (marking.get("marking_ref"), opt_str(marking, &path, "lang")?) {
            (Some(r), None) => {
                as_identifier(r, &join(&path, "marking_ref"), &["marking-definition"])?;
            }
            (None, Some(lang)) => {
                ident::check_language_tag(lang).map_err(|e| violation(join(&path, "lang"), e.0))?;
            }
            _ => return Err(violation(path, "needs exactly one of marking_ref or lang")),
        }
    }
    Ok(())
}

/// Resolve a granular-marking selector (`description`, `labels.[1]`,
/// `external_references.[0].source_name`) against the object.
fn selector_resolves(map: &Obj, selector: &str) -> bool {
    let mut steps = selector.split('.');
    let Some(mut current) = steps.next().and_then(|first| map.get(first)) else {
        return false;
    };
    for step in steps {
        let next = match (
            step.strip_prefix('[').and_then(|s| s.strip_suffix(']')),
            current,
        ) {
            (Some(index), Value::Array(items)) => {
                let ok = !index.is_empty() && index.bytes().all(|c| c.is_ascii_digit());
                index
                    .parse::<usize>()
                    .ok()
                    .filter(|_| ok)
                    .and_then(|n| items.get(n))
            }
            (None, Value::Object(members)) => members.get(step),
            _ => None,
        };
        match next {
            Some(v) => current = v,
            None => return false,
        }
    }
    true
}

/// The body of a `marking-definition`.
pub(crate) fn check_marking_definition(map: &Obj) -> Check {
    let id = map.get("id").and_then(Value::as_str).unwrap_or_default();
    let tlp2_extension = map.get("extensions").and_then(|e| e.get(TLP2_EXTENSION_ID));
    if let Some(name) = map.get("name") {
        as_str(name, "name")?;
    }
    match (Tlp::from_tlp2_marking_id(id), tlp2_extension) {
        (Some(level), Some(ext)) => check_tlp2(map, level, ext)?,
        (Some(level), None) => {
            return Err(violation(
                "extensions",
                format!(
                    "the standard {} marking must carry the TLP 2.0 extension {TLP2_EXTENSION_ID}",
                    level.label()
                ),
            ));
        }
        (None, Some(_)) => {
            return Err(violation(
                "id",
                "a TLP 2.0 marking must use the standard marking-definition id of its level"
                    .to_owned(),
            ));
        }
        (None, None) => {}
    }
    let definition_type = opt_str(map, "", "definition_type")?;
    if Tlp::from_tlp1_marking_id(id).is_some() && definition_type != Some("tlp") {
        return Err(violation(
            "definition_type",
            "the standard TLP 1.0 marking ids have definition_type \"tlp\"",
        ));
    }
    match (definition_type, map.get("definition")) {
        (Some(kind), Some(definition)) => check_definition(id, kind, definition),
        (None, None) if tlp2_extension.is_some() || map.contains_key("extensions") => Ok(()),
        (None, None) => Err(violation(
            "definition_type",
            "needs definition_type and definition, or extensions",
        )),
        (Some(_), None) => Err(violation(
            "definition",
            "required when definition_type is present",
        )),
        (None, Some(_)) => Err(violation(
            "definition_type",
            "required when definition is present",
        )),
    }
}

fn check_tlp2(map: &Obj, level: Tlp, ext: &Value) -> Check {
    let path = join("extensions", TLP2_EXTENSION_ID);
    let body = as_object(ext, &path)?;
    match opt_str(map, "", "name")? {
        Some(name) if name == level.label() => {}
        _ => {
            return Err(violation(
                "name",
                format!(
                    "the standard TLP 2.0 marking of this id is named {:?}",
                    level.label()
                ),
            ))
        }
    }
    if opt_str(body, &path, "extension_type")? != Some("property-extension") {
        return Err(violation(
            join(&path, "extension_type"),
            "must be \"property-extension\"",
        ));
    }
    let tlp_path = join(&path, "tlp_2_0");
    let stated = as_str(required(body, &path, "tlp_2_0")?, &tlp_path)?;
    if stated != level.as_str() {
        return Err(violation(
            tlp_path,
            format!(
                "{stated:?} does not match the marking id, which is {:?}",
                level.as_str()
            ),
        ));
    }
    if let Some(extra) = body
        .keys()
        .find(|k| !matches!(k.as_str(), "extension_type" | "tlp_2_0"))
    {
        return Err(violation(
            join(&path, extra),
            "the TLP 2.0 extension defines no such property",
        ));
    }
    Ok(())
}

/// The STIX 2.1 `definition_type`/`definition` form.
fn check_definition(id: &str, kind: &str, definition: &Value) -> Check {
    let body = as_object(definition, "definition")?;
    match kind {
        "tlp" => {
            let colour = as_str(required(body, "definition", "tlp")?, "definition.tlp")?;
            let level = match colour {
                "white" => Tlp::Clear,
                "green" => Tlp::Green,
                "amber" => Tlp::Amber,
                "red" => Tlp::Red,
                other => {
                    return Err(violation(
                        "definition.tlp",
                        format!("{other:?} is not a TLP 1.0 colour"),
                    ))
                }
            };
            if Tlp::from_tlp1_marking_id(id) != Some(level) {
                return Err(violation(
                    "id",
                    format!(
                        "TLP:{} must use its standard STIX 2.1 id (§7.2.1.4)",
                        colour.to_ascii_uppercase()
                    ),
                ));
            }
            Ok(())
        }
        "statement" => as_str(
            required(body, "definition", "statement")?,
            "definition.statement",
        )
        .map(|_| ()),
        _ => Ok(()),
    }
}
