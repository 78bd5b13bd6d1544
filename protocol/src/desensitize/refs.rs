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
use super::report::Path;
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
    record: &mut dyn FnMut(&Path<'_>, Class, Action),
) -> Result<(), String> {
    if ids.is_empty() {
        return Ok(());
    }
    rewrite_members(map, object_type, &Path::ROOT, 0, ids, true, record)
}

/// [`rewrite_refs`] as a dry run: the same calls to `record` and the same result, but
/// `map` is left as it is (no copy needed to learn what the rewrite would do).
pub(crate) fn probe_refs(
    map: &mut Map<String, Value>,
    object_type: &str,
    ids: &IdMap,
    record: &mut dyn FnMut(&Path<'_>, Class, Action),
) -> Result<(), String> {
    if ids.is_empty() {
        return Ok(());
    }
    rewrite_members(map, object_type, &Path::ROOT, 0, ids, false, record)
}

/// Whether [`rewrite_refs`] could change anything in `map`: it holds a reference (where
/// the rewrite looks for them) to an id in `ids`, or a list of references with a repeated
/// entry. When it does not, the rewrite would leave `map` as it is and record nothing.
pub(crate) fn may_rewrite(map: &Map<String, Value>, ids: &IdMap) -> bool {
    !ids.is_empty() && members_may_rewrite(map, 0, ids)
}

/// The members at the top of `map` that [`rewrite_refs`] could change (see
/// [`may_rewrite`]); it leaves every other one as it is.
pub(crate) fn members_to_rewrite<'m>(
    map: &'m Map<String, Value>,
    ids: &'m IdMap,
) -> impl Iterator<Item = (&'m String, &'m Value)> {
    map.iter()
        .filter(move |(key, value)| !ids.is_empty() && member_may_rewrite(key, value, 0, ids))
}

fn members_may_rewrite(map: &Map<String, Value>, depth: usize, ids: &IdMap) -> bool {
    depth <= MAX_WALK_DEPTH
        && map
            .iter()
            .any(|(key, value)| member_may_rewrite(key, value, depth, ids))
}

/// Whether the rewrite could change one member of a map at `depth`.
fn member_may_rewrite(key: &str, value: &Value, depth: usize, ids: &IdMap) -> bool {
    if depth == 0 && key == "id" {
        return false;
    }
    if key.ends_with("_ref") {
        if let Value::String(target) = value {
            return ids.contains_key(target.as_str());
        }
    }
    if key.ends_with("_refs") {
        if let Value::Array(items) = value {
            if items.iter().all(Value::is_string) {
                return list_may_change(items, ids);
            }
        }
    }
    let inner = depth.saturating_add(1);
    match value {
        Value::Object(map) => members_may_rewrite(map, inner, ids),
        Value::Array(items) => items
            .iter()
            .any(|i| matches!(i, Value::Object(map) if members_may_rewrite(map, inner, ids))),
        _ => false,
    }
}

/// Whether a list of references (all strings) names an id in `ids` or repeats one.
fn list_may_change(items: &[Value], ids: &IdMap) -> bool {
    let targets = || items.iter().filter_map(Value::as_str);
    if targets().any(|t| ids.contains_key(t)) {
        return true;
    }
    if items.len() <= 16 {
        targets()
            .enumerate()
            .any(|(i, a)| targets().skip(i.saturating_add(1)).any(|b| a == b))
    } else {
        let mut seen = HashSet::with_capacity(items.len());
        !targets().all(|t| seen.insert(t))
    }
}

/// The rewrite of one object's members (`mutate`: apply it, or only report it). Each
/// member is rewritten on its own, so removals wait until every member has been seen.
fn rewrite_members(
    map: &mut Map<String, Value>,
    object_type: &str,
    path: &Path<'_>,
    depth: usize,
    ids: &IdMap,
    mutate: bool,
    record: &mut dyn FnMut(&Path<'_>, Class, Action),
) -> Result<(), String> {
    if depth > MAX_WALK_DEPTH {
        return Ok(());
    }
    let top = depth == 0;
    let mut gone: Vec<String> = Vec::new();
    for (key, value) in map.iter_mut() {
        if top && key == "id" {
            continue;
        }
        let child = path.key(key);
        if key.ends_with("_ref") {
            if let Value::String(target) = value {
                if let Some(fate) = ids.get(target.as_str()) {
                    match &fate.target {
                        Some(new) => {
                            if new != target {
                                if mutate {
                                    *target = new.clone();
                                }
                                record(&child, fate.class, fate.action);
                            }
                        }
                        None => {
                            record(&child, fate.class, Action::Drop);
                            if single_required(object_type, key, top) {
                                return Err(child.render());
                            }
                            gone.push(key.clone());
                        }
                    }
                }
                continue;
            }
        }
        if key.ends_with("_refs") {
            if let Value::Array(items) = value {
                if items.iter().all(Value::is_string) {
                    // Nothing to rename, drop or deduplicate: the loop below would
                    // change and record nothing.
                    if !list_may_change(items, ids) {
                        continue;
                    }
                    let (any_loss, non_empty) = list_rule(object_type, key, top);
                    // The new list, borrowed until it is known to be needed.
                    let mut seen: HashSet<&str> = HashSet::new();
                    let mut kept: Vec<&str> = Vec::with_capacity(items.len());
                    let mut changed = false;
                    let mut lost = false;
                    for (i, item) in items.iter().enumerate() {
                        let Some(target) = item.as_str() else {
                            continue;
                        };
                        let new = match ids.get(target) {
                            None => Some(target),
                            Some(fate) => {
                                let item_path = child.index(i);
                                match fate.target.as_deref() {
                                    Some(new) if new == target => Some(new),
                                    Some(new) => {
                                        record(&item_path, fate.class, fate.action);
                                        changed = true;
                                        Some(new)
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
                            if seen.insert(new) {
                                kept.push(new);
                            } else {
                                changed = true;
                            }
                        }
                    }
                    if lost && any_loss {
                        return Err(child.render());
                    }
                    if changed {
                        if kept.is_empty() {
                            if non_empty {
                                return Err(child.render());
                            }
                            gone.push(key.clone());
                        } else if mutate {
                            let out = kept
                                .iter()
                                .map(|k| Value::String((*k).to_owned()))
                                .collect();
                            *items = out;
                        }
                    }
                    continue;
                }
            }
        }
        let inner = depth.saturating_add(1);
        match value {
            Value::Object(map) => {
                rewrite_members(map, object_type, &child, inner, ids, mutate, record)?
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    if let Value::Object(map) = item {
                        let item_path = child.index(i);
                        rewrite_members(map, object_type, &item_path, inner, ids, mutate, record)?;
                    }
                }
            }
            _ => {}
        }
    }
    if mutate {
        for key in gone {
            map.remove(&key);
        }
    }
    Ok(())
}

#[cfg(test)]
mod shortcuts;

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
        let r = rewrite_refs(&mut map, ty, &ids(), &mut |p, _, _| paths.push(p.render()));
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
