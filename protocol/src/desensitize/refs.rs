//! References between the objects of one input. Every `*_ref` / `*_refs` property, at
//! any depth (extensions, embedded observables, granular markings), is rewritten through
//! one map from original ids to their fate: renamed (a recomputed SCO id, the node's
//! pseudonymous identity in place of the member's) or removed (the object was dropped).
//!
//! Losing a reference the object cannot do without drops the object instead: the ends of
//! a relationship, what a sighting is of, a non-empty `object_refs`, and any marking (a
//! dropped marking must never leave an object less restricted than it was).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::policy::{Action, Class};
use super::report::{join_index, join_key};
use super::walk::MAX_WALK_DEPTH;

/// What became of one original id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fate {
    /// The new id, or `None` when the object is gone.
    pub target: Option<String>,
    /// Why (the class of the value that caused it).
    pub class: Class,
    /// What was done (reported on every reference rewritten).
    pub action: Action,
}

/// Original id → fate.
pub(crate) type IdMap = HashMap<String, Fate>;

/// Whether removing this single reference leaves the object invalid or unsafe.
fn single_required(object_type: &str, key: &str, top: bool) -> bool {
    key == "marking_ref"
        || (top
            && matches!(
                (object_type, key),
                ("relationship", "source_ref" | "target_ref")
                    | ("sighting", "sighting_of_ref")
                    | ("language-content", "object_ref")
                    | ("extension-definition", "created_by_ref")
            ))
}

/// Whether removing any entry of this list is unsafe (markings), or emptying it leaves the
/// object invalid.
fn list_rule(object_type: &str, key: &str, top: bool) -> (bool, bool) {
    let any_loss = key == "object_marking_refs";
    let non_empty = top
        && key == "object_refs"
        && matches!(
            object_type,
            "report" | "grouping" | "note" | "opinion" | "observed-data"
        );
    (any_loss, non_empty)
}

/// Rewrite every reference in `map` (an object of `object_type`) through `ids`, calling
/// `record` for each one changed. `Err(property)` when a reference the object cannot lose
/// was removed.
pub(crate) fn rewrite_refs(
    map: &mut Map<String, Value>,
    object_type: &str,
    ids: &IdMap,
    record: &mut dyn FnMut(&str, Class, Action),
) -> Result<(), String> {
    if ids.is_empty() {
        return Ok(());
    }
    rewrite_members(map, object_type, "", 0, ids, record)
}

fn rewrite_members(
    map: &mut Map<String, Value>,
    object_type: &str,
    path: &str,
    depth: usize,
    ids: &IdMap,
    record: &mut dyn FnMut(&str, Class, Action),
) -> Result<(), String> {
    if depth > MAX_WALK_DEPTH {
        return Ok(());
    }
    let top = depth == 0;
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        if top && key == "id" {
            continue;
        }
        let child = join_key(path, &key);
        let Some(value) = map.get_mut(&key) else {
            continue;
        };
        if key.ends_with("_ref") {
            if let Value::String(target) = value {
                if let Some(fate) = ids.get(target.as_str()) {
                    match &fate.target {
                        Some(new) => {
                            if new != target {
                                *target = new.clone();
                                record(&child, fate.class, fate.action);
                            }
                        }
                        None => {
                            record(&child, fate.class, Action::Drop);
                            map.remove(&key);
                            if single_required(object_type, &key, top) {
                                return Err(child);
                            }
                        }
                    }
                }
                continue;
            }
        }
        if key.ends_with("_refs") {
            if let Value::Array(items) = value {
                if items.iter().all(Value::is_string) {
                    let (any_loss, non_empty) = list_rule(object_type, &key, top);
                    let mut seen = HashSet::new();
                    let mut out = Vec::with_capacity(items.len());
                    let mut changed = false;
                    let mut lost = false;
                    for (i, item) in items.iter().enumerate() {
                        let Some(target) = item.as_str() else {
                            continue;
                        };
                        let new = match ids.get(target) {
                            None => Some(target.to_owned()),
                            Some(fate) => {
                                let item_path = join_index(&child, i);
                                match &fate.target {
                                    Some(new) if new == target => Some(new.clone()),
                                    Some(new) => {
                                        record(&item_path, fate.class, fate.action);
                                        changed = true;
                                        Some(new.clone())
                                    }
                                    None => {
                                        record(&item_path, fate.class, Action::Drop);
                                        changed = true;
                                        lost = true;
                                        None
                                    }
                                }
                            }
                        };
                        if let Some(new) = new {
                            if seen.insert(new.clone()) {
                                out.push(Value::String(new));
                            } else {
                                changed = true;
                            }
                        }
                    }
                    if lost && any_loss {
                        return Err(child);
                    }
                    if changed {
                        if out.is_empty() {
                            map.remove(&key);
                            if non_empty {
                                return Err(child);
                            }
                        } else {
                            *items = out;
                        }
                    }
                    continue;
                }
            }
        }
        match value {
            Value::Object(inner) => rewrite_members(
                inner,
                object_type,
                &child,
                depth.saturating_add(1),
                ids,
                record,
            )?,
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if let Value::Object(inner) = item {
                        let item_path = join_index(&child, i);
                        rewrite_members(
                            inner,
                            object_type,
                            &item_path,
                            depth.saturating_add(1),
                            ids,
                            record,
                        )?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids() -> IdMap {
        let mut ids = IdMap::new();
        ids.insert(
            "ipv4-addr--a".into(),
            Fate {
                target: Some("ipv4-addr--b".into()),
                class: Class::InternalIp,
                action: Action::Cryptopan,
            },
        );
        ids.insert(
            "domain-name--x".into(),
            Fate {
                target: None,
                class: Class::InternalHost,
                action: Action::Drop,
            },
        );
        ids
    }

    fn run(v: Value, ty: &str) -> (Result<(), String>, Value, Vec<String>) {
        let mut map = v.as_object().unwrap().clone();
        let mut paths = Vec::new();
        let r = rewrite_refs(&mut map, ty, &ids(), &mut |p, _, _| {
            paths.push(p.to_owned())
        });
        (r, Value::Object(map), paths)
    }

    #[test]
    fn renames_removes_and_dedupes() {
        let (r, v, paths) = run(
            json!({"object_refs": ["ipv4-addr--a", "domain-name--x", "ipv4-addr--b"],
                   "extensions": {"e": {"src_ref": "ipv4-addr--a", "x_refs": ["domain-name--x"]}}}),
            "observed-data",
        );
        assert!(r.is_ok());
        assert_eq!(
            v,
            json!({"object_refs": ["ipv4-addr--b"], "extensions": {"e": {"src_ref": "ipv4-addr--b"}}})
        );
        assert_eq!(paths.len(), 4);
        assert!(paths.contains(&"extensions.e.src_ref".to_owned()));
    }

    #[test]
    fn required_losses() {
        let (r, _, _) = run(
            json!({"source_ref": "domain-name--x", "target_ref": "malware--1"}),
            "relationship",
        );
        assert_eq!(r, Err("source_ref".into()));
        let (r, _, _) = run(json!({"object_refs": ["domain-name--x"]}), "report");
        assert_eq!(r, Err("object_refs".into()));
        let (r, _, _) = run(
            json!({"object_marking_refs": ["domain-name--x", "marking-definition--1"]}),
            "indicator",
        );
        assert_eq!(r, Err("object_marking_refs".into()));
        let (r, v, _) = run(
            json!({"where_sighted_refs": ["domain-name--x"]}),
            "sighting",
        );
        assert!(r.is_ok());
        assert_eq!(v, json!({}));
    }
}
