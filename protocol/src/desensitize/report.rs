//! What desensitization did, for `shoal publish --dry-run` and logs: one [`Item`] per
//! input object (kept and rewritten, or [`Dropped`] with a reason) and the [`Change`]s,
//! each naming the object, the JSON path, the class and the action — never a value.

use std::collections::HashSet;

use super::policy::{Action, Class};
use crate::stix::StixObject;

/// One change made to one object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// Index of the object in the input.
    pub position: usize,
    /// The object's id after rewriting (for a dropped SCO: its type and position).
    pub object: String,
    /// JSON path of the changed property, e.g. `description`,
    /// `external_references[0].url`, `objects['1'].value`, `pattern`. A dictionary key
    /// that was itself sensitive appears as `{key}`.
    pub path: String,
    /// What kind of value was found.
    pub class: Class,
    /// What was done with it.
    pub action: Action,
}

/// Why an object was not kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dropped {
    /// Index of the object in the input.
    pub position: usize,
    /// The original id when it reveals nothing; for an SCO (whose id may be derived from
    /// its values) and for the member's own identity, `<type> #<position>` instead.
    pub id: String,
    /// Why, without any value.
    pub reason: String,
}

/// The result for one input object.
#[derive(Debug, Clone)]
pub struct Item {
    /// Index of the object in the input.
    pub position: usize,
    /// The desensitized object, or why it was dropped.
    pub result: Result<StixObject, Dropped>,
}

/// The result of [`super::desensitize`].
#[derive(Debug, Clone)]
pub struct Outcome {
    /// One item per input object, in input order.
    pub items: Vec<Item>,
    /// Every change, in the order made (deduplicated).
    pub changes: Vec<Change>,
}

impl Outcome {
    /// The objects that were kept, in order.
    pub fn kept(&self) -> impl Iterator<Item = &StixObject> {
        self.items.iter().filter_map(|i| i.result.as_ref().ok())
    }

    /// The objects that were dropped, in order.
    pub fn dropped(&self) -> impl Iterator<Item = &Dropped> {
        self.items.iter().filter_map(|i| i.result.as_ref().err())
    }
}

/// A change before the object's final id is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PendingChange {
    pub position: usize,
    pub path: String,
    pub class: Class,
    pub action: Action,
}

/// Collects changes, deduplicated, in order.
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    seen: HashSet<PendingChange>,
    changes: Vec<PendingChange>,
}

impl ChangeLog {
    pub fn record(&mut self, position: usize, path: &str, class: Class, action: Action) {
        let change = PendingChange {
            position,
            path: path.to_owned(),
            class,
            action,
        };
        if self.seen.insert(change.clone()) {
            self.changes.push(change);
        }
    }

    /// Append another log's changes (deduplicated).
    pub fn extend(&mut self, other: ChangeLog) {
        for c in other.changes {
            self.record(c.position, &c.path, c.class, c.action);
        }
    }

    /// The first class recorded for `position` (used as the cause of an id change).
    pub fn first_for(&self, position: usize) -> Option<(Class, Action)> {
        self.changes
            .iter()
            .find(|c| c.position == position)
            .map(|c| (c.class, c.action))
    }

    pub fn into_changes(self, object_name: impl Fn(usize) -> String) -> Vec<Change> {
        self.changes
            .into_iter()
            .map(|c| Change {
                object: object_name(c.position),
                position: c.position,
                path: c.path,
                class: c.class,
                action: c.action,
            })
            .collect()
    }
}

/// Append a property name to a JSON path (`a.b`, or `a['x-y']` for names that are not
/// plain identifiers).
pub(crate) fn join_key(path: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match (path.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!(
            "{path}['{}']",
            key.replace('\\', "\\\\").replace('\'', "\\'")
        ),
    }
}

/// Append a list index to a JSON path.
pub(crate) fn join_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

/// The path of a dictionary key that is itself sensitive (the key is not shown).
pub(crate) fn join_hidden_key(path: &str) -> String {
    if path.is_empty() {
        "{key}".to_owned()
    } else {
        format!("{path}.{{key}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(join_key("", "description"), "description");
        assert_eq!(
            join_index(&join_key("", "external_references"), 2),
            "external_references[2]"
        );
        assert_eq!(join_key("objects", "0"), "objects['0']");
        assert_eq!(
            join_key("extensions", "http-request-ext"),
            "extensions['http-request-ext']"
        );
        assert_eq!(join_hidden_key("x_map"), "x_map.{key}");
    }

    #[test]
    fn log_dedupes() {
        let mut log = ChangeLog::default();
        log.record(0, "description", Class::Email, Action::Hmac);
        log.record(0, "description", Class::Email, Action::Hmac);
        log.record(0, "name", Class::Email, Action::Hmac);
        assert_eq!(log.first_for(0), Some((Class::Email, Action::Hmac)));
        let changes = log.into_changes(|p| format!("obj{p}"));
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].object, "obj0");
    }
}
