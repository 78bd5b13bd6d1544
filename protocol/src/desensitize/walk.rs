//! The generic walk over one object: every string anywhere (free text such as `name`,
//! `description`, `x_*` properties, extension bodies, dictionary values) is scanned and
//! rewritten, every dictionary key that is itself sensitive is removed with its value,
//! and external references keep a valid `url` or lose it. Identifiers and references are
//! left to the reference pass; what a sensitive value does to the whole object is
//! reported as a [`DropReason`].

use serde_json::{Map, Value};

use super::policy::{Action, Class};
use super::report::{ChangeLog, Path};
use super::text::{Fatal, Mode, Scrubber};
use crate::stix::check_identifier;

/// Deepest nesting the walk follows; deeper objects are dropped (fail closed).
pub const MAX_WALK_DEPTH: usize = 128;

/// Why an object (or an embedded SCO) is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DropReason {
    /// A sensitive value whose handling drops the object.
    Sensitive {
        class: Class,
        action: Action,
        path: String,
    },
    /// Anything else (no value in the text).
    Other(String),
}

impl DropReason {
    /// A reason for the report; never contains a value.
    pub fn describe(&self) -> String {
        match self {
            DropReason::Sensitive {
                class,
                action,
                path,
            } => format!(
                "{} at {} (action {})",
                class.as_str(),
                if path.is_empty() { "the object" } else { path },
                action.as_str()
            ),
            DropReason::Other(reason) => reason.clone(),
        }
    }
}

/// Whether a property holds references by its name (`*_ref`, `*_refs`).
pub(crate) fn is_ref_key(key: &str) -> bool {
    key.ends_with("_ref") || key.ends_with("_refs")
}

/// Whether a value is an identifier or a list of identifiers (left to the reference pass).
fn is_identifier_value(value: &Value) -> bool {
    match value {
        Value::String(s) => check_identifier(s).is_ok(),
        Value::Array(items) => items
            .iter()
            .all(|i| i.as_str().is_some_and(|s| check_identifier(s).is_ok())),
        _ => false,
    }
}

/// The properties of an object root the walk never rewrites.
pub(crate) fn is_structural(key: &str) -> bool {
    matches!(key, "id" | "type" | "spec_version")
}

/// What to do with a child after scrubbing it.
enum Fate {
    Keep,
    Remove,
}

/// Scrubs one object, recording changes under its position.
pub(crate) struct Walker<'s, 'l> {
    pub scrub: &'s Scrubber<'s>,
    pub log: &'l mut ChangeLog,
    pub position: usize,
    /// False while scrubbing the member's identity under a policy that shares it.
    pub orgs_allowed: bool,
    /// Set by anything that changes what is being scrubbed (a value rewritten, a member
    /// or item removed): while false, the object is exactly as it was given.
    pub changed: bool,
    last: Option<(Class, Action)>,
}

impl<'s, 'l> Walker<'s, 'l> {
    pub fn new(scrub: &'s Scrubber<'s>, log: &'l mut ChangeLog, position: usize) -> Self {
        Self {
            scrub,
            log,
            position,
            orgs_allowed: true,
            changed: false,
            last: None,
        }
    }

    /// Record a change at `path`.
    pub fn record(&mut self, path: &str, class: Class, action: Action) {
        self.log.record(self.position, path, class, action);
        self.last = Some((class, action));
    }

    /// Record a change at a path under construction.
    pub fn record_at(&mut self, path: &Path<'_>, class: Class, action: Action) {
        self.record(&path.render(), class, action);
    }

    /// The class of the last change recorded.
    pub fn last_class(&self) -> Option<Class> {
        self.last.map(|(class, _)| class)
    }

    /// The class and action of the last change recorded (the cause of a change that
    /// follows from it, such as a recomputed id).
    pub fn last_change(&self) -> (Class, Action) {
        self.last.unwrap_or((Class::Canary, Action::Redact))
    }

    /// Record that `class` at `path` drops the object, and say so.
    pub fn drop_for(&mut self, path: &str, class: Class, action: Action) -> DropReason {
        self.record(path, class, Action::Drop);
        DropReason::Sensitive {
            class,
            action,
            path: path.to_owned(),
        }
    }

    /// Drop an object whose very type name is sensitive (it is in its id and in every
    /// reference to it).
    pub fn check_type_name(
        &mut self,
        object_type: &str,
        path: &Path<'_>,
    ) -> Result<(), DropReason> {
        match self.scrub.detect(object_type) {
            None => Ok(()),
            Some(class) => Err(self.drop_for(&path.key("type").render(), class, Action::Drop)),
        }
    }

    /// References whose identifier itself is sensitive (a custom type named after a
    /// canary, say) are removed: `Err` when nothing is left to keep.
    fn scrub_identifiers(&mut self, value: &mut Value, path: &Path<'_>) -> Fate {
        match value {
            Value::String(id) => match self.scrub.detect(id) {
                Some(class) => {
                    self.record_at(path, class, Action::Redact);
                    Fate::Remove
                }
                None => Fate::Keep,
            },
            Value::Array(items) => {
                let mut i = 0usize;
                let mut index = 0usize;
                while let Some(item) = items.get(i) {
                    let class = item.as_str().and_then(|id| self.scrub.detect(id));
                    match class {
                        Some(class) => {
                            self.record_at(&path.index(index), class, Action::Redact);
                            items.remove(i);
                            self.changed = true;
                        }
                        None => i = i.saturating_add(1),
                    }
                    index = index.saturating_add(1);
                }
                if items.is_empty() {
                    Fate::Remove
                } else {
                    Fate::Keep
                }
            }
            _ => Fate::Keep,
        }
    }

    /// Scrub every member of an object root except those `skip` names (and identifier
    /// references, left to the reference pass).
    pub fn scrub_fields(
        &mut self,
        map: &mut Map<String, Value>,
        path: &Path<'_>,
        skip: &dyn Fn(&str) -> bool,
    ) -> Result<(), DropReason> {
        self.scrub_members(map, path, 0, skip).map(|_| ())
    }

    fn scrub_members(
        &mut self,
        map: &mut Map<String, Value>,
        path: &Path<'_>,
        depth: usize,
        skip: &dyn Fn(&str) -> bool,
    ) -> Result<Fate, DropReason> {
        if depth > MAX_WALK_DEPTH {
            return Err(DropReason::Other(
                "nests too deeply to desensitize".to_owned(),
            ));
        }
        let was_empty = map.is_empty();
        // In key order, as the map iterates; once a member drops the object the rest
        // are left alone (the object is gone anyway).
        let mut outcome = Ok(());
        map.retain(|key, value| {
            if outcome.is_err() || skip(key) {
                return true;
            }
            match self.scrub_member(key, value, path, depth) {
                Ok(Fate::Keep) => true,
                Ok(Fate::Remove) => {
                    self.changed = true;
                    false
                }
                Err(reason) => {
                    outcome = Err(reason);
                    true
                }
            }
        });
        outcome?;
        Ok(if map.is_empty() && !was_empty {
            Fate::Remove
        } else {
            Fate::Keep
        })
    }

    /// One member of an object: a sensitive key goes with its value; references are
    /// checked as identifiers; anything else is scrubbed.
    fn scrub_member(
        &mut self,
        key: &str,
        value: &mut Value,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Fate, DropReason> {
        if let Some(class) = self.key_class(key) {
            let action = self.scrub.policy.action_for(class);
            let hidden = path.hidden();
            if action == Action::Drop {
                return Err(self.drop_for(&hidden, class, action));
            }
            self.record(&hidden, class, Action::Redact);
            return Ok(Fate::Remove);
        }
        let child = path.key(key);
        if is_ref_key(key) && is_identifier_value(value) {
            return Ok(self.scrub_identifiers(value, &child));
        }
        self.scrub_value(value, &child, depth.saturating_add(1))
    }

    fn key_class(&self, key: &str) -> Option<Class> {
        let class = self.scrub.detect(key)?;
        (self.orgs_allowed || class != Class::Organisation).then_some(class)
    }

    fn scrub_value(
        &mut self,
        value: &mut Value,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<Fate, DropReason> {
        if depth > MAX_WALK_DEPTH {
            return Err(DropReason::Other(
                "nests too deeply to desensitize".to_owned(),
            ));
        }
        match value {
            Value::String(s) => {
                let scan = self.scrub.scan(s, Mode::Free, self.orgs_allowed);
                if !scan.hits.is_empty() || scan.fatal.is_some() {
                    let path = path.render();
                    for (class, action) in &scan.hits {
                        self.record(&path, *class, *action);
                    }
                    match scan.fatal {
                        Some(Fatal::DropObject(class)) | Some(Fatal::RemoveField(class)) => {
                            let action = self.scrub.policy.action_for(class);
                            return Err(self.drop_for(&path, class, action));
                        }
                        None => {}
                    }
                }
                if let Some(text) = scan.text {
                    *s = text;
                    self.changed = true;
                }
                Ok(Fate::Keep)
            }
            Value::Array(items) => {
                let was_empty = items.is_empty();
                let mut remove = Vec::new();
                for (i, item) in items.iter_mut().enumerate() {
                    let item_path = path.index(i);
                    if let Fate::Remove =
                        self.scrub_value(item, &item_path, depth.saturating_add(1))?
                    {
                        remove.push(i);
                    }
                }
                for i in remove.into_iter().rev() {
                    if i < items.len() {
                        items.remove(i);
                        self.changed = true;
                    }
                }
                Ok(if items.is_empty() && !was_empty {
                    Fate::Remove
                } else {
                    Fate::Keep
                })
            }
            Value::Object(map) => self.scrub_members(map, path, depth, &|_| false),
            Value::Null | Value::Bool(_) | Value::Number(_) => Ok(Fate::Keep),
        }
    }

    /// External references (§2.5): `url` must stay a URL (a value that would need
    /// redaction removes it); `source_name`, `description`, `external_id` and `hashes`
    /// are scrubbed as text. A reference left with none of description, url or
    /// external_id is removed, and an emptied list with it.
    pub fn scrub_external_references(
        &mut self,
        map: &mut Map<String, Value>,
        path: &Path<'_>,
    ) -> Result<(), DropReason> {
        let base = path.key("external_references");
        let Some(Value::Array(list)) = map.get_mut("external_references") else {
            return Ok(());
        };
        let items = std::mem::take(list);
        let mut keep = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let path = base.index(i);
            let Value::Object(mut entry) = item else {
                keep.push(item);
                continue;
            };
            if let Some(Value::String(url)) = entry.get("url") {
                let url_path = path.key("url");
                match self.typed_scan_value(url, &url_path)? {
                    Some(Some(new)) => {
                        entry.insert("url".to_owned(), Value::String(new));
                        self.changed = true;
                    }
                    Some(None) => {
                        entry.remove("url");
                        self.changed = true;
                    }
                    None => {}
                }
            }
            self.scrub_fields(&mut entry, &path, &|k| k == "url")?;
            if ["description", "url", "external_id"]
                .iter()
                .any(|k| entry.contains_key(*k))
            {
                keep.push(Value::Object(entry));
            } else {
                let class = self.last_class().unwrap_or(Class::Canary);
                self.record_at(&path, class, Action::Redact);
                self.changed = true;
            }
        }
        // The list was taken out to be rebuilt; put back as it was, it is no change.
        if keep.is_empty() {
            map.remove("external_references");
            self.changed = true;
        } else if let Some(Value::Array(list)) = map.get_mut("external_references") {
            *list = keep;
        }
        Ok(())
    }

    /// Scan a value that must stay valid: `None` unchanged, `Some(Some)` replaced,
    /// `Some(None)` removed.
    pub fn typed_scan_value(
        &mut self,
        value: &str,
        path: &Path<'_>,
    ) -> Result<Option<Option<String>>, DropReason> {
        let scan = self.scrub.scan(value, Mode::Typed, self.orgs_allowed);
        if scan.hits.is_empty() && scan.fatal.is_none() {
            return Ok(scan.text.map(Some));
        }
        let path = path.render();
        for (class, action) in &scan.hits {
            self.record(&path, *class, *action);
        }
        match scan.fatal {
            Some(Fatal::DropObject(class)) => Err(self.drop_for(&path, class, Action::Drop)),
            Some(Fatal::RemoveField(_)) => Ok(Some(None)),
            None => Ok(scan.text.map(Some)),
        }
    }
}
