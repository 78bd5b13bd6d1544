//! STIX Cyber-observable Objects: the properties whose whole value is of one sensitive
//! class (an address, an e-mail, a MAC, a user name, a credential), how they are
//! rewritten, and the deterministic identifiers of STIX 2.1 §2.9.
//!
//! An SCO's id is `<type>--<UUIDv5>` with namespace `00abedb4-aa42-466c-9c01-fed23315a9b7`
//! over the RFC 8785 canonical JSON of its ID-contributing properties (for `hashes`, one
//! hash: MD5, else SHA-1, else SHA-256, else SHA-512, else the first by name), as in the
//! specification and the OASIS `stix2` library. Such an id reveals the values to anyone
//! who hashes candidates, so when a contributing property changes the id is recomputed
//! ([`deterministic_sco_id`]), or replaced by a keyed one when none is left.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::policy::{Action, Class};
use super::pseudonym::Pseudonyms;
use super::refs::Fate;
use super::report::{join_hidden_key, Path};
use super::text::{parse_ip_value, Scrubber};
use super::walk::{is_structural, DropReason, Walker, MAX_WALK_DEPTH};
use crate::stix::Category;

/// The STIX 2.1 namespace for deterministic SCO identifiers.
pub const SCO_ID_NAMESPACE: Uuid = Uuid::from_bytes([
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
]);

/// The ID-contributing properties of each STIX 2.1 SCO type (§6). `process` has none
/// (its ids are UUIDv4); unknown types are `None`.
pub fn contributing_properties(object_type: &str) -> Option<&'static [&'static str]> {
    Some(match object_type {
        "artifact" => &["hashes", "payload_bin"],
        "autonomous-system" => &["number"],
        "directory" => &["path"],
        "domain-name" | "email-addr" | "ipv4-addr" | "ipv6-addr" | "mac-addr" | "url" => &["value"],
        "email-message" => &["from_ref", "subject", "body"],
        "file" => &["hashes", "name", "extensions", "parent_directory_ref"],
        "mutex" => &["name"],
        "network-traffic" => &[
            "start",
            "end",
            "src_ref",
            "dst_ref",
            "src_port",
            "dst_port",
            "protocols",
            "extensions",
        ],
        "process" => &[],
        "software" => &["name", "cpe", "swid", "vendor", "version"],
        "user-account" => &["account_type", "user_id", "account_login"],
        "windows-registry-key" => &["key", "values"],
        "x509-certificate" => &["hashes", "serial_number"],
        _ => return None,
    })
}

/// The one hash that contributes to an id.
fn choose_hash(hashes: &Map<String, Value>) -> Option<Map<String, Value>> {
    let (key, value) = chosen_hash(hashes)?;
    let mut one = Map::new();
    one.insert(key.to_owned(), value.clone());
    Some(one)
}

/// The name and value of the one hash that contributes to an id.
fn chosen_hash(hashes: &Map<String, Value>) -> Option<(&str, &Value)> {
    let key = ["MD5", "SHA-1", "SHA-256", "SHA-512"]
        .iter()
        .copied()
        .find(|k| hashes.contains_key(*k))
        .or_else(|| hashes.keys().next().map(String::as_str))?;
    Some((key, hashes.get(key)?))
}

/// What one ID-contributing property puts into [`contributing_subset`] (`None`: nothing).
fn contribution<'a>(name: &str, value: Option<&'a Value>) -> Option<(&'a str, &'a Value)> {
    let value = value?;
    if name == "hashes" {
        value.as_object().and_then(chosen_hash)
    } else {
        Some(("", value))
    }
}

/// The ID-contributing properties of `map` as they are (`hashes` whole): what
/// [`new_id`] and [`deterministic_sco_id`] read of an object of `object_type`.
pub(crate) fn contributing_members(
    object_type: &str,
    map: &Map<String, Value>,
) -> Map<String, Value> {
    contributing_properties(object_type)
        .unwrap_or_default()
        .iter()
        .filter_map(|name| map.get(*name).map(|v| ((*name).to_owned(), v.clone())))
        .collect()
}

/// Whether `a` and `b` have the same [`contributing_subset`] (without building either).
pub(crate) fn same_contribution(
    object_type: &str,
    a: &Map<String, Value>,
    b: &Map<String, Value>,
) -> bool {
    contributing_properties(object_type)
        .unwrap_or_default()
        .iter()
        .all(|name| contribution(name, a.get(*name)) == contribution(name, b.get(*name)))
}

/// The ID-contributing part of an SCO (empty when it has none, or the type is unknown).
pub(crate) fn contributing_subset(
    object_type: &str,
    map: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for name in contributing_properties(object_type).unwrap_or_default() {
        let Some(value) = map.get(*name) else {
            continue;
        };
        if *name == "hashes" {
            if let Some(one) = value.as_object().and_then(choose_hash) {
                out.insert((*name).to_owned(), Value::Object(one));
            }
        } else {
            out.insert((*name).to_owned(), value.clone());
        }
    }
    out
}

/// The STIX 2.1 deterministic id of an SCO of `object_type` with these properties, or
/// `None` when the type is unknown or none of its ID-contributing properties is present
/// (STIX then uses a UUIDv4).
pub fn deterministic_sco_id(object_type: &str, properties: &Map<String, Value>) -> Option<String> {
    let subset = contributing_subset(object_type, properties);
    if subset.is_empty() {
        return None;
    }
    let canonical = crate::jcs::canonicalize_object(&subset).ok()?;
    Some(format!(
        "{object_type}--{}",
        Uuid::new_v5(&SCO_ID_NAMESPACE, &canonical)
    ))
}

/// Whether an identifier's UUID is a version 5 (name-based, so possibly value-derived).
pub(crate) fn is_v5_id(id: &str) -> bool {
    id.split_once("--")
        .and_then(|(_, u)| Uuid::parse_str(u).ok())
        .is_some_and(|u| u.get_version_num() == 5)
}

/// How an SCO property is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// Free text (strings anywhere inside are scanned).
    Text,
    /// An IP address or network.
    Ip,
    /// A host/domain name or URL: scanned, and must stay valid.
    Typed,
    /// An e-mail address (always sensitive).
    Email,
    /// A MAC address (always sensitive).
    Mac,
    /// A user name or a person's display name (always sensitive).
    User,
    /// A credential: always removed.
    Secret,
}

/// The kind of top-level property `key` of an SCO of `object_type`.
pub(crate) fn field_kind(object_type: &str, key: &str) -> FieldKind {
    match (object_type, key) {
        ("ipv4-addr" | "ipv6-addr", "value") => FieldKind::Ip,
        ("domain-name" | "url", "value") => FieldKind::Typed,
        ("email-addr", "value") => FieldKind::Email,
        ("email-addr", "display_name") => FieldKind::User,
        ("mac-addr", "value") => FieldKind::Mac,
        ("user-account", "user_id" | "account_login" | "display_name") => FieldKind::User,
        ("user-account", "credential") => FieldKind::Secret,
        _ => FieldKind::Text,
    }
}

/// Whether STIX requires the (string) property, so that removing it removes the object.
fn is_required(object_type: &str, key: &str) -> bool {
    matches!(
        (object_type, key),
        (
            "domain-name" | "email-addr" | "ipv4-addr" | "ipv6-addr" | "mac-addr" | "url",
            "value"
        ) | ("directory", "path")
            | ("mutex" | "software", "name")
    )
}

/// What happens to one typed property.
enum Typed {
    Keep,
    Replace(String),
    Remove,
}

/// Environment variables whose value names a user or a machine/domain.
fn environment_kind(name: &str) -> Option<Class> {
    match name.to_ascii_uppercase().as_str() {
        "USER" | "USERNAME" | "LOGNAME" => Some(Class::UserName),
        "COMPUTERNAME" | "HOSTNAME" | "USERDOMAIN" | "USERDNSDOMAIN" | "LOGONSERVER"
        | "CLIENTNAME" => Some(Class::InternalHost),
        _ => None,
    }
}

/// Apply `class`'s action to a whole value: `Ok(Some)` replacement, `Ok(None)` remove,
/// `Err` drop the object.
fn whole_value(
    scrub: &Scrubber<'_>,
    class: Class,
    value: &str,
) -> Result<(Option<String>, Action), Action> {
    let action = scrub.policy.action_for(class);
    let pseudonym = match (action, class) {
        (Action::Drop, _) => return Err(Action::Drop),
        (Action::Redact, _) => None,
        (_, Class::Email) => Some(scrub.pseudo.email(value)),
        (_, Class::Mac) => Some(scrub.pseudo.mac(value)),
        (_, Class::UserName) => Some(scrub.pseudo.user(value)),
        (_, Class::InternalHost) => Some(scrub.pseudo.host(value)),
        (_, Class::Organisation) => Some(scrub.pseudo.organisation(value)),
        (_, Class::InternalIp | Class::Canary | Class::MemberIdentity) => None,
    };
    let reported = match (&pseudonym, action) {
        (None, _) => Action::Redact,
        (Some(_), Action::Cryptopan) => Action::Hmac,
        (Some(_), a) => a,
    };
    Ok((pseudonym, reported))
}

impl Walker<'_, '_> {
    /// Rewrite one SCO (a top-level object or an entry of observed-data `objects`):
    /// typed properties by their kind, everything else as free text. `path` is the
    /// SCO's own path (empty at top level).
    pub(crate) fn scrub_sco(
        &mut self,
        map: &mut Map<String, Value>,
        object_type: &str,
        path: &Path<'_>,
    ) -> Result<(), DropReason> {
        self.check_type_name(object_type, path)?;
        self.scrub_external_references(map, path)?;
        // The typed properties (string values of a kind other than text), in key order;
        // rewriting one never changes another.
        let handled: Vec<String> = map
            .iter()
            .filter(|(key, value)| {
                value.is_string() && field_kind(object_type, key) != FieldKind::Text
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in &handled {
            let kind = field_kind(object_type, key);
            let Some(Value::String(value)) = map.get(key) else {
                continue;
            };
            let field_path = path.key(key).render();
            let outcome = match kind {
                FieldKind::Text => continue,
                FieldKind::Secret => {
                    self.record(&field_path, Class::UserName, Action::Redact);
                    Typed::Remove
                }
                FieldKind::Email | FieldKind::Mac | FieldKind::User => {
                    let class = match kind {
                        FieldKind::Email => Class::Email,
                        FieldKind::Mac => Class::Mac,
                        _ => Class::UserName,
                    };
                    if value.is_empty() || self.is_own_pseudonym(class, value) {
                        continue;
                    }
                    match whole_value(self.scrub, class, value) {
                        Err(action) => {
                            return Err(self.drop_for(&field_path, class, action));
                        }
                        Ok((replacement, action)) => {
                            self.record(&field_path, class, action);
                            replacement.map_or(Typed::Remove, Typed::Replace)
                        }
                    }
                }
                FieldKind::Ip => match parse_ip_value(value) {
                    Some((addr, prefix))
                        if prefix.map_or(self.scrub.policy.is_internal_ip(addr), |p| {
                            self.scrub.policy.is_internal_net(addr, p)
                        }) =>
                    {
                        let action = self.scrub.policy.actions.ip;
                        match action {
                            Action::Drop => {
                                return Err(self.drop_for(&field_path, Class::InternalIp, action))
                            }
                            Action::Redact => {
                                self.record(&field_path, Class::InternalIp, Action::Redact);
                                Typed::Remove
                            }
                            Action::Hmac | Action::Cryptopan => {
                                match self.scrub.pseudo.ip(addr, prefix, action) {
                                    Some(p) => {
                                        self.record(&field_path, Class::InternalIp, action);
                                        Typed::Replace(p)
                                    }
                                    None => {
                                        self.record(&field_path, Class::InternalIp, Action::Redact);
                                        Typed::Remove
                                    }
                                }
                            }
                        }
                    }
                    _ => self.typed_scan(value, &field_path)?,
                },
                FieldKind::Typed => self.typed_scan(value, &field_path)?,
            };
            match outcome {
                Typed::Keep => {}
                Typed::Replace(new) => {
                    map.insert(key.clone(), Value::String(new));
                    self.changed = true;
                }
                Typed::Remove => {
                    if is_required(object_type, key) {
                        let class = self.last_class().unwrap_or(Class::Canary);
                        return Err(DropReason::Sensitive {
                            class,
                            action: Action::Redact,
                            path: field_path,
                        });
                    }
                    map.remove(key);
                    self.changed = true;
                }
            }
        }
        if object_type == "process" {
            self.scrub_environment(map, path)?;
        }
        let skip = |key: &str| {
            is_structural(key) || key == "external_references" || handled.iter().any(|h| h == key)
        };
        self.scrub_fields(map, path, &skip)
    }

    fn typed_scan(&mut self, value: &str, path: &str) -> Result<Typed, DropReason> {
        Ok(match self.typed_scan_value(value, &Path::Text(path))? {
            None => Typed::Keep,
            Some(Some(new)) => Typed::Replace(new),
            Some(None) => Typed::Remove,
        })
    }

    /// `process.environment_variables`: values of USERNAME, COMPUTERNAME and the like are
    /// a user or a machine whatever they look like.
    fn scrub_environment(
        &mut self,
        map: &mut Map<String, Value>,
        path: &Path<'_>,
    ) -> Result<(), DropReason> {
        let env_path = path.key("environment_variables");
        let Some(Value::Object(env)) = map.get_mut("environment_variables") else {
            return Ok(());
        };
        let names: Vec<String> = env.keys().cloned().collect();
        for name in names {
            let Some(class) = environment_kind(&name) else {
                continue;
            };
            let Some(Value::String(value)) = env.get(&name) else {
                continue;
            };
            if value.is_empty() || self.is_own_pseudonym(class, value) {
                continue;
            }
            let var_path = env_path.key(&name).render();
            match whole_value(self.scrub, class, value) {
                Err(action) => return Err(self.drop_for(&var_path, class, action)),
                Ok((replacement, action)) => {
                    self.record(&var_path, class, action);
                    match replacement {
                        Some(new) => {
                            env.insert(name, Value::String(new));
                        }
                        None => {
                            env.remove(&name);
                        }
                    }
                    self.changed = true;
                }
            }
        }
        if env.is_empty() {
            map.remove("environment_variables");
            self.changed = true;
        }
        Ok(())
    }

    /// Whether `value` is already a pseudonym of `class` (so a second pass is a no-op).
    fn is_own_pseudonym(&self, class: Class, value: &str) -> bool {
        let hex16 = |s: &str| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit());
        match class {
            Class::Email => value
                .strip_prefix("u-")
                .and_then(|r| r.strip_suffix("@pseudo.invalid"))
                .is_some_and(hex16),
            Class::UserName => value.strip_prefix("user-").is_some_and(hex16),
            Class::InternalHost => value
                .strip_prefix("h-")
                .and_then(|r| r.strip_suffix(".pseudo.invalid"))
                .is_some_and(hex16),
            _ => false,
        }
    }
}

/// The new id of an object whose content went from `before` to `after` (references
/// already rewritten), or `None` if it keeps its id. Known SCO types get the STIX
/// deterministic id of their new ID-contributing properties when those changed (a keyed
/// id when none is left); any other object whose id is a UUIDv5 (possibly derived from
/// its values) and whose content changed gets a keyed id.
pub(crate) fn new_id(
    pseudo: &Pseudonyms<'_>,
    object_type: &str,
    original_id: &str,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Option<String> {
    let keyed = || format!("{object_type}--{}", pseudo.keyed_uuid(original_id));
    if derives_id_from_values(object_type) {
        if same_contribution(object_type, before, after) {
            None
        } else {
            Some(deterministic_sco_id(object_type, after).unwrap_or_else(keyed))
        }
    } else {
        (is_v5_id(original_id) && before != after).then(keyed)
    }
}

/// Whether objects of `object_type` get STIX deterministic ids from their values (a
/// known SCO type with ID-contributing properties).
pub(crate) fn derives_id_from_values(object_type: &str) -> bool {
    contributing_properties(object_type).is_some_and(|props| !props.is_empty())
        && crate::stix::category(object_type) == Category::Observable
}

/// What [`new_id`] needs of an object as it was given (`before`): its ID-contributing
/// properties when its id derives from them, all of it when its id is a UUIDv5 of another
/// kind, nothing otherwise (it keeps its id whatever happens).
pub(crate) fn id_basis(
    object_type: &str,
    original_id: &str,
    map: &Map<String, Value>,
) -> Map<String, Value> {
    if derives_id_from_values(object_type) {
        contributing_members(object_type, map)
    } else if is_v5_id(original_id) {
        map.clone()
    } else {
        Map::new()
    }
}

/// Whether [`new_id`] can give an object of `object_type` with `original_id` a new id
/// at all; when not, it is `None` whatever the object's content.
pub(crate) fn id_may_change(object_type: &str, original_id: &str) -> bool {
    derives_id_from_values(object_type) || is_v5_id(original_id)
}

/// Remove references to dropped local keys (`"0"`, `"1"`, ...) inside the remaining
/// embedded observables.
fn remove_local_refs(value: &mut Value, gone: &[String], depth: usize) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let Some(v) = map.get_mut(&key) else { continue };
                if key.ends_with("_ref") && v.as_str().is_some_and(|r| gone.iter().any(|g| g == r))
                {
                    map.remove(&key);
                } else if key.ends_with("_refs") && v.is_array() {
                    if let Value::Array(items) = v {
                        items.retain(|i| !i.as_str().is_some_and(|r| gone.iter().any(|g| g == r)));
                        if items.is_empty() {
                            map.remove(&key);
                        }
                    }
                } else {
                    remove_local_refs(v, gone, depth.saturating_add(1));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                remove_local_refs(item, gone, depth.saturating_add(1));
            }
        }
        _ => {}
    }
}

impl Walker<'_, '_> {
    /// The deprecated `objects` dictionary of observed data: each embedded SCO is
    /// rewritten like a top-level one; one that must go is removed with the local
    /// references to it. Returns the fates of embedded SCOs that carry an `id`; `Err`
    /// when nothing is left.
    pub(crate) fn scrub_embedded(
        &mut self,
        map: &mut Map<String, Value>,
    ) -> Result<Vec<(String, Fate)>, DropReason> {
        let mut fates = Vec::new();
        let Some(Value::Object(objects)) = map.get_mut("objects") else {
            return Ok(fates);
        };
        let mut gone: Vec<String> = Vec::new();
        let keys: Vec<String> = objects.keys().cloned().collect();
        let objects_path = Path::Text("objects");
        for key in keys {
            let path = objects_path.key(&key);
            if let Some(class) = self.scrub.detect(&key) {
                let action = self.scrub.policy.action_for(class);
                let reported = if action == Action::Drop {
                    Action::Drop
                } else {
                    Action::Redact
                };
                self.record(&join_hidden_key("objects"), class, reported);
                objects.remove(&key);
                self.changed = true;
                gone.push(key);
                continue;
            }
            let Some(Value::Object(sco)) = objects.get_mut(&key) else {
                continue;
            };
            let object_type = sco
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let original_id = sco.get("id").and_then(Value::as_str).map(str::to_owned);
            // Only an SCO with an id can need a new one.
            let before = original_id
                .as_ref()
                .map(|id| id_basis(&object_type, id, sco));
            match self.scrub_sco(sco, &object_type, &path) {
                Ok(()) => {
                    if let (Some(id), Some(before)) = (original_id, before) {
                        if let Some(new) =
                            new_id(&self.scrub.pseudo, &object_type, &id, &before, sco)
                        {
                            let (class, action) = self.last_change();
                            self.record_at(&path.key("id"), class, action);
                            sco.insert("id".to_owned(), Value::String(new.clone()));
                            self.changed = true;
                            fates.push((
                                id,
                                Fate {
                                    target: Some(new),
                                    class,
                                    action,
                                },
                            ));
                        }
                    }
                }
                Err(_) => {
                    objects.remove(&key);
                    self.changed = true;
                    gone.push(key);
                    if let Some(id) = original_id {
                        let (class, _) = self.last_change();
                        fates.push((
                            id,
                            Fate {
                                target: None,
                                class,
                                action: Action::Drop,
                            },
                        ));
                    }
                }
            }
        }
        if !gone.is_empty() {
            for sco in objects.values_mut() {
                remove_local_refs(sco, &gone, 0);
            }
            self.changed = true;
        }
        if objects.is_empty() {
            return Err(DropReason::Other(
                "every observable it held was dropped".to_owned(),
            ));
        }
        Ok(fates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn spec_namespace() {
        assert_eq!(
            SCO_ID_NAMESPACE.to_string(),
            "00abedb4-aa42-466c-9c01-fed23315a9b7"
        );
    }

    #[test]
    fn hash_choice_and_subset() {
        let m = obj(json!({"type": "file", "name": "a", "size": 3,
            "hashes": {"SHA-256": "aa", "MD5": "bb"}}));
        assert_eq!(
            Value::Object(contributing_subset("file", &m)),
            json!({"name": "a", "hashes": {"MD5": "bb"}})
        );
        assert!(deterministic_sco_id("process", &obj(json!({"pid": 1}))).is_none());
        assert!(deterministic_sco_id("x-custom", &obj(json!({"value": 1}))).is_none());
        let id = deterministic_sco_id("ipv4-addr", &obj(json!({"value": "1.2.3.4"}))).unwrap();
        assert!(is_v5_id(&id));
        // Comparing contributions agrees with comparing the subsets.
        let variants = [
            json!({"type": "file", "name": "a"}),
            json!({"type": "file", "name": "b"}),
            json!({"type": "file", "name": "a", "size": 4}),
            json!({"type": "file", "name": "a", "hashes": {"MD5": "bb"}}),
            json!({"type": "file", "name": "a", "hashes": {"MD5": "bb", "SHA-1": "cc"}}),
            json!({"type": "file", "name": "a", "hashes": {"MD5": "bc"}}),
            json!({"type": "file", "name": "a", "hashes": {"SHA-1": "bb"}}),
            json!({"type": "file", "name": "a", "hashes": {"x": "bb"}}),
            json!({"type": "file", "name": "a", "hashes": {}}),
            json!({"type": "file", "name": "a", "hashes": "bb"}),
            json!({"type": "file", "name": "a", "hashes": ["bb"]}),
        ];
        for a in &variants {
            for b in &variants {
                let (a, b) = (obj(a.clone()), obj(b.clone()));
                for ty in ["file", "x-custom", "process"] {
                    assert_eq!(
                        same_contribution(ty, &a, &b),
                        contributing_subset(ty, &a) == contributing_subset(ty, &b),
                        "{ty} {a:?} {b:?}"
                    );
                }
            }
        }
        assert!(!is_v5_id("ipv4-addr--efcd5e80-570d-4131-b213-62cb18eaa6a8"));
    }
}
