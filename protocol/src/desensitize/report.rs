//! What desensitization did, for `shoal publish --dry-run` and logs: one [`Item`] per
//! input object (kept and rewritten, or [`Dropped`] with a reason) and the [`Change`]s,
//! each naming the object, the JSON path, the class and the action — never a value.

use std::collections::hash_map::{Entry, HashMap, RandomState};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

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
    /// Where each change is in `changes`, by its hash under `keys`.
    seen: HashMap<u64, usize, BuildHasherDefault<Prehashed>>,
    keys: RandomState,
    changes: Vec<PendingChange>,
}

/// Hashes a `u64` that is already a (keyed) hash to itself.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl ChangeLog {
    /// Record a change unless the same one (object, path, class, action) already was.
    pub fn record(&mut self, position: usize, path: &str, class: Class, action: Action) {
        let same = |c: &PendingChange| {
            c.position == position && c.path == path && c.class == class && c.action == action
        };
        let hash = self.keys.hash_one((position, path, class, action));
        match self.seen.entry(hash) {
            Entry::Occupied(at) => {
                if self.changes.get(*at.get()).is_some_and(same) {
                    return;
                }
                // Another change with the same hash (practically never): compare them all.
                if self.changes.iter().any(same) {
                    return;
                }
            }
            Entry::Vacant(at) => {
                at.insert(self.changes.len());
            }
        }
        self.changes.push(PendingChange {
            position,
            path: path.to_owned(),
            class,
            action,
        });
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
    let mut out = path.to_owned();
    push_key(&mut out, key);
    out
}

/// [`join_key`] in place.
fn push_key(path: &mut String, key: &str) {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push_str("['");
        for c in key.chars() {
            if matches!(c, '\\' | '\'') {
                path.push('\\');
            }
            path.push(c);
        }
        path.push_str("']");
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

/// A JSON path under construction, kept as links to its parent on the stack: it is
/// written out ([`Path::render`]) only when something is recorded at it, so that a walk
/// that finds nothing builds no strings.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'a> {
    /// A path already written out (`""` for the object root).
    Text(&'a str),
    /// A property of the parent ([`join_key`]).
    Key(&'a Path<'a>, &'a str),
    /// An item of the parent list ([`join_index`]).
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    /// The object root.
    pub const ROOT: Path<'static> = Path::Text("");

    /// The property `key` of this path.
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    /// The list item `index` of this path.
    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    /// The path as text: the same as [`join_key`] / [`join_index`] step by step.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }

    /// Append the path to `out` (parents first; as deep as the walk that built it, which
    /// is bounded).
    fn write_to(&self, out: &mut String) {
        match self {
            Path::Text(text) => out.push_str(text),
            Path::Key(parent, key) => {
                parent.write_to(out);
                push_key(out, key);
            }
            Path::Index(parent, index) => {
                use std::fmt::Write;
                parent.write_to(out);
                let _ = write!(out, "[{index}]");
            }
        }
    }

    /// [`join_hidden_key`] of this path.
    pub fn hidden(&self) -> String {
        join_hidden_key(&self.render())
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
    fn lazy_paths_render_like_joins() {
        let objects = Path::Text("objects");
        let sco = objects.key("0");
        let ext = sco.key("extensions");
        let http = ext.key("http-request-ext");
        let list = http.key("x_list");
        let item = list.index(3);
        let odd = item.key("it's a \\ key");
        let expected = join_key(
            &join_index(
                &join_key(
                    &join_key(
                        &join_key(&join_key("objects", "0"), "extensions"),
                        "http-request-ext",
                    ),
                    "x_list",
                ),
                3,
            ),
            "it's a \\ key",
        );
        assert_eq!(odd.render(), expected);
        assert_eq!(Path::ROOT.render(), "");
        let root = Path::ROOT;
        assert_eq!(root.key("description").render(), "description");
        assert_eq!(root.key("").render(), join_key("", ""));
        assert_eq!(root.index(0).render(), join_index("", 0));
        assert_eq!(root.hidden(), "{key}");
        assert_eq!(list.hidden(), join_hidden_key(&list.render()));
    }

    #[test]
    fn log_dedupes_even_when_hashes_collide() {
        let mut log = ChangeLog::default();
        log.record(0, "a", Class::Email, Action::Hmac);
        // Forge a collision: the next change is filed under the first one's hash.
        let forged = log.keys.hash_one((1usize, "b", Class::Mac, Action::Redact));
        log.seen.insert(forged, 0);
        log.record(1, "b", Class::Mac, Action::Redact);
        log.record(1, "b", Class::Mac, Action::Redact);
        log.record(0, "a", Class::Email, Action::Hmac);
        let changes = log.into_changes(|p| p.to_string());
        assert_eq!(changes.len(), 2);
        assert_eq!((changes[1].position, changes[1].path.as_str()), (1, "b"));
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
