//! Rules every STIX 2.1 object obeys whatever its type (§3.1–§3.2): `id`, `spec_version`,
//! `created`/`modified`, property names, the reference, binary and hex naming conventions,
//! and the optional common properties (labels, confidence, lang, external references,
//! extensions). Markings live in `markings`.

use serde_json::Value;

use super::fields::{
    as_dictionary, as_hashes, as_identifier, as_identifier_list, as_list, as_object, as_str, at,
    check_string_list, in_order, join, opt_bool, opt_int_in, opt_str, opt_timestamp, required,
    violation, Check, Obj,
};
use super::markings;
use crate::stix::ident;
use crate::stix::timestamp::Timestamp;
use crate::stix::types::Category;

/// Check the common rules for an object of `object_type` in `category`.
pub(crate) fn check(map: &Obj, object_type: &str, category: Category) -> Check {
    check_id(map, object_type)?;
    check_spec_version(map, category)?;
    check_property_names(map)?;
    check_created_modified(map, object_type, category)?;
    check_conventions(map)?;
    if let Some(v) = map.get("created_by_ref") {
        as_identifier(v, "created_by_ref", &["identity"])?;
    }
    opt_bool(map, "revoked")?;
    if let Some(v) = map.get("labels") {
        check_string_list(v, "labels")?;
    }
    opt_int_in(map, "confidence", 0, 100)?;
    if let Some(lang) = opt_str(map, "", "lang")? {
        ident::check_language_tag(lang).map_err(|e| violation("lang", e.0))?;
    }
    if let Some(v) = map.get("external_references") {
        check_external_references(v)?;
    }
    markings::check_object_markings(map)?;
    markings::check_granular_markings(map)?;
    if let Some(v) = map.get("extensions") {
        check_extensions(v)?;
    }
    Ok(())
}

fn check_id(map: &Obj, object_type: &str) -> Check {
    let id_type = as_identifier(required(map, "", "id")?, "id", &[])?;
    if id_type != object_type {
        return Err(violation(
            "id",
            format!("identifier type {id_type:?} does not match the object type {object_type:?}"),
        ));
    }
    Ok(())
}

fn check_spec_version(map: &Obj, category: Category) -> Check {
    match map.get("spec_version") {
        None if category.requires_spec_version() => {
            Err(violation("spec_version", "required property is missing"))
        }
        None => Ok(()),
        Some(v) => match as_str(v, "spec_version")? {
            "2.1" => Ok(()),
            other => Err(violation(
                "spec_version",
                format!("{other:?} is not supported; expected \"2.1\""),
            )),
        },
    }
}

fn check_property_names(map: &Obj) -> Check {
    for name in map.keys().filter(|k| k.as_str() != "id") {
        ident::check_property_name(name).map_err(|e| violation(name.as_str(), e.0))?;
    }
    Ok(())
}

/// `created`/`modified`: required on SDOs, SROs and the SMOs that version (marking
/// definitions have `created` only); at least millisecond precision; `modified >= created`.
fn check_created_modified(map: &Obj, object_type: &str, category: Category) -> Check {
    let (need_created, need_modified) = match category {
        Category::Domain | Category::Relationship => (true, true),
        Category::Meta => (true, object_type != "marking-definition"),
        Category::Observable | Category::Unknown => (false, false),
    };
    if category == Category::Observable {
        // SCOs do not define these properties; any that appear are kept untouched.
        return Ok(());
    }
    let created = version_time(map, "created", need_created)?;
    let modified = version_time(map, "modified", need_modified)?;
    // `ordered(map, "created", "modified", false)` on the times already parsed.
    in_order(
        created.as_ref(),
        modified.as_ref(),
        "created",
        "modified",
        false,
    )
}

/// `created` or `modified`: present if `needed`, precise to the millisecond.
fn version_time(map: &Obj, name: &str, needed: bool) -> Check<Option<Timestamp>> {
    let ts = opt_timestamp(map, name)?;
    match &ts {
        None if needed => Err(violation(name, "required property is missing")),
        Some(ts) if ts.precision() < 3 => Err(violation(
            name,
            "must be precise to at least the millisecond (e.g. .000Z)",
        )),
        _ => Ok(ts),
    }
}

/// Naming conventions (§2.9, §2.1, §2.5): `*_ref` holds an identifier, `*_refs` a non-empty
/// list of identifiers, `*_hex` hex and `*_bin` base64 text.
fn check_conventions(map: &Obj) -> Check {
    for (name, value) in map {
        if name.ends_with("_refs") {
            as_identifier_list(value, name, &[])?;
        } else if name.ends_with("_ref") {
            as_identifier(value, name, &[])?;
        } else if name.ends_with("_hex") {
            ident::check_hex(as_str(value, name)?).map_err(|e| violation(name.as_str(), e.0))?;
        } else if name.ends_with("_bin") {
            ident::check_base64(as_str(value, name)?).map_err(|e| violation(name.as_str(), e.0))?;
        }
    }
    Ok(())
}

/// External references (§2.5): `source_name` required, plus at least one of
/// `description`, `url` or `external_id`; optional `hashes`.
fn check_external_references(value: &Value) -> Check {
    for (i, item) in as_list(value, "external_references")?.iter().enumerate() {
        let path = at("external_references", i);
        let reference = as_object(item, &path)?;
        super::fields::req_str(reference, &path, "source_name")?;
        let mut has_detail = false;
        for name in ["description", "url", "external_id"] {
            if opt_str(reference, &path, name)?.is_some() {
                has_detail = true;
            }
        }
        if let Some(url) = opt_str(reference, &path, "url")? {
            if !looks_like_url(url) {
                return Err(violation(
                    join(&path, "url"),
                    format!("{url:?} is not a URL (RFC 3986 scheme:rest)"),
                ));
            }
        }
        if let Some(hashes) = reference.get("hashes") {
            as_hashes(hashes, &join(&path, "hashes"))?;
        }
        if !has_detail {
            return Err(violation(
                path,
                "needs at least one of description, url or external_id besides source_name",
            ));
        }
    }
    Ok(())
}

fn looks_like_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once(':') else {
        return false;
    };
    !rest.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        && !url.chars().any(char::is_whitespace)
}

/// Extensions (§7.3): a dictionary whose keys are extension-definition identifiers or
/// predefined extension names, each value an object.
fn check_extensions(value: &Value) -> Check {
    for (key, ext) in as_dictionary(value, "extensions")? {
        let path = join("extensions", key);
        if key.starts_with("extension-definition--") {
            ident::check_identifier(key).map_err(|e| violation(path.clone(), e.0))?;
        }
        let body = as_object(ext, &path)?;
        if let Some(kind) = opt_str(body, &path, "extension_type")? {
            const KINDS: &[&str] = &[
                "new-sdo",
                "new-sco",
                "new-sro",
                "property-extension",
                "toplevel-property-extension",
            ];
            if !KINDS.contains(&kind) {
                return Err(violation(
                    join(&path, "extension_type"),
                    format!("{kind:?} is not an extension type"),
                ));
            }
        }
    }
    Ok(())
}
