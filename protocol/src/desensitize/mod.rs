//! Desensitization: before a member's node shares STIX objects, everything that would
//! identify the member or reveal its internals is removed or pseudonymised — internal
//! addresses, host names and URLs, e-mail addresses, user names, MAC addresses, the
//! organisation's names and STIX identity, and configured canary strings — wherever it
//! hides: indicator patterns, observables (top-level and embedded in observed data),
//! free text, custom properties, external references, dictionary keys, and the
//! identifiers derived from such values.
//!
//! [`desensitize`] rewrites a whole input consistently:
//!
//! 1. the member's identities are found ([`Policy::share_member_identity`] aside) and
//!    replaced by [`Policy::node_identity`];
//! 2. each object is scrubbed: its pattern (`pattern`), its observables' typed values
//!    (`sco`), every other string (`walk`, `text`), with the action the policy sets per
//!    [`Class`];
//! 3. identifiers are settled: an observable whose ID-contributing values changed gets
//!    its new STIX deterministic id, an object that was dropped disappears from every
//!    reference, and objects that cannot lose a reference go with it (`refs`);
//! 4. each result is validated again as STIX; one that no longer is, is dropped.
//!
//! Objects are scrubbed in place, not copied: the walk notes whether it changed anything
//! (an untouched object needs no second validation), and step 4 keeps what it rewrites
//! so that a round it must repeat starts again from the scrubbed content.
//!
//! [`leak_check`] is the last line: it scans the exact object about to be signed and
//! blocks the publish naming the field, never the value. The [`Outcome`] lists every
//! [`Change`] (object, JSON path, class, action) and every [`Dropped`] object with its
//! reason — never a value — for `shoal publish --dry-run`.

mod address;
mod identity;
mod leak;
mod pattern;
mod policy;
mod prefilter;
mod pseudonym;
mod refs;
mod report;
mod sco;
mod text;
mod walk;

use serde_json::{Map, Value};
use shoal_crypto::{CryptoPan, PseudonymKey};

pub use ipnet::IpNet;
pub use leak::{leak_check, Leak};
pub use policy::{
    builtin_internal_networks, Action, Actions, Class, Policy, BUILTIN_INTERNAL_NETWORKS,
};
pub use pseudonym::PSEUDO_DOMAIN;
pub use report::{Change, Dropped, Item, Outcome};
pub use sco::{contributing_properties, deterministic_sco_id, SCO_ID_NAMESPACE};
pub use text::REDACTED;

use pattern::PatternOutcome;
use pseudonym::Pseudonyms;
use refs::{Fate, IdMap};
use report::{ChangeLog, Path};
use text::{Matchers, Scrubber};
use walk::{is_structural, DropReason, Walker};

use crate::stix::{category, validate_object, Category, StixObject};

/// The node's pseudonymisation keys (their `Debug` output shows no key material).
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    /// Prefix-preserving IP address pseudonymisation.
    pub cryptopan: &'a CryptoPan,
    /// The epoch's HMAC pseudonym key.
    pub pseudonyms: &'a PseudonymKey,
}

/// Most rounds spent settling identifiers and references before giving up (fail closed).
const MAX_ROUNDS: usize = 16;
/// Most rounds of re-validation after which remaining references are left dangling.
const MAX_VALIDATION_ROUNDS: usize = 4;

/// One input object on its way through.
struct Unit {
    position: usize,
    object_type: String,
    original_id: String,
    /// What deciding on a new id needs of the object as given ([`sco::id_basis`]).
    before: Map<String, Value>,
    /// As given until step 2 scrubs it; then until references are rewritten (moved
    /// into `output` by step 4, and back should another round be needed).
    content: Map<String, Value>,
    /// Whether step 2 left `content` exactly as given.
    pristine: bool,
    /// What step 4 changed in `content` on its way to `output`: the members as they were
    /// (`None`: absent).
    replaced: Vec<(String, Option<Value>)>,
    /// For an observable whose id derives from its values: the ID-contributing
    /// properties step 3 last saw, and the id they gave.
    id_memo: Option<(Map<String, Value>, Option<String>)>,
    dropped: Option<String>,
    /// The validated result.
    output: Option<StixObject>,
    /// Whether a dropped object's id must not be shown (an SCO, the member's identity).
    hide_id: bool,
}

impl Unit {
    fn new(position: usize, object: StixObject) -> Self {
        let object_type = object.object_type().to_owned();
        let original_id = object.id().to_owned();
        let map = match object.into_value() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let hide_id = is_observable_like(&object_type, &map);
        let before = sco::id_basis(&object_type, &original_id, &map);
        Self {
            position,
            object_type,
            original_id,
            before,
            content: map,
            pristine: true,
            replaced: Vec::new(),
            id_memo: None,
            dropped: None,
            output: None,
            hide_id,
        }
    }

    fn label(&self) -> String {
        format!("{} #{}", self.object_type, self.position)
    }

    fn live(&self) -> bool {
        self.dropped.is_none()
    }

    /// Undo step 4: the content comes back from the output (if any) as it was.
    fn restore(&mut self) {
        let Some(object) = self.output.take() else {
            return;
        };
        let Value::Object(mut map) = object.into_value() else {
            return;
        };
        for (key, value) in self.replaced.drain(..) {
            match value {
                Some(value) => map.insert(key, value),
                None => map.remove(&key),
            };
        }
        self.content = map;
    }
}

/// STIX observables, and unknown types shaped like them (no `created`).
fn is_observable_like(object_type: &str, map: &Map<String, Value>) -> bool {
    match category(object_type) {
        Category::Observable => true,
        Category::Unknown => !map.contains_key("created"),
        _ => false,
    }
}

/// Desensitize a whole input (positions are indices in `objects`): references between
/// objects are rewritten consistently. Output objects still pass
/// [`crate::stix::validate_object`].
pub fn desensitize(objects: Vec<StixObject>, policy: &Policy, keys: &Keys) -> Outcome {
    let mut units: Vec<Unit> = objects
        .into_iter()
        .enumerate()
        .map(|(position, object)| Unit::new(position, object))
        .collect();
    let Ok(matchers) = Matchers::for_policy(policy) else {
        for unit in &mut units {
            unit.dropped =
                Some("the policy's names, domains or canaries could not be compiled".to_owned());
        }
        return finish(units, ChangeLog::default());
    };
    let scrub = Scrubber::new(policy, &matchers, Pseudonyms::new(keys, policy));
    let mut log = ChangeLog::default();
    let mut ids = IdMap::new();

    // 1. The member's identities.
    // (Before step 2, every unit's content is as given.)
    let members = identity::member_identities(units.iter().map(|u| &u.content), policy);
    let node_ok = identity::node_identity_is_valid(policy);
    if !policy.share_member_identity {
        for id in &members {
            let fate = Fate {
                target: node_ok.then(|| policy.node_identity.clone()),
                class: Class::MemberIdentity,
                action: if node_ok { Action::Hmac } else { Action::Drop },
            };
            ids.insert(id.clone(), fate);
        }
        for unit in units.iter_mut() {
            if unit.object_type == "identity" && members.contains(&unit.original_id) {
                log.record(unit.position, "", Class::MemberIdentity, Action::Drop);
                unit.hide_id = true;
                unit.dropped = Some(
                    "the member's own identity (references now point at the node's pseudonymous identity)"
                        .to_owned(),
                );
            }
        }
    }

    // 2. Content.
    for unit in units.iter_mut().filter(|u| u.live()) {
        let shared_member = policy.share_member_identity
            && unit.object_type == "identity"
            && members.contains(&unit.original_id);
        #[cfg(debug_assertions)]
        let given = unit.content.clone();
        let mut walker = Walker::new(&scrub, &mut log, unit.position);
        walker.orgs_allowed = !shared_member;
        let scrubbed = scrub_content(&mut walker, &unit.object_type, &mut unit.content);
        unit.pristine = !walker.changed;
        match scrubbed {
            Ok(fates) => ids.extend(fates),
            Err(reason) => unit.dropped = Some(reason.describe()),
        }
        #[cfg(debug_assertions)]
        debug_assert!(
            !unit.live() || !unit.pristine || unit.content == given,
            "an object changed by step 2 was taken as untouched"
        );
    }
    for unit in units.iter().filter(|u| !u.live()) {
        if !ids.contains_key(&unit.original_id) {
            let (class, _) = log
                .first_for(unit.position)
                .unwrap_or((Class::Canary, Action::Drop));
            ids.insert(
                unit.original_id.clone(),
                Fate {
                    target: None,
                    class,
                    action: Action::Drop,
                },
            );
        }
    }

    // 3 and 4. Identifiers, references, validation.
    for round in 0..MAX_VALIDATION_ROUNDS {
        settle_ids(&mut units, &mut ids, &scrub.pseudo, &log);
        let mut pending = ChangeLog::default();
        let mut invalid = false;
        for unit in units.iter_mut().filter(|u| u.live()) {
            match finalize(unit, &ids, &mut pending) {
                Ok(object) => unit.output = Some(object),
                Err(reason) => {
                    unit.output = None;
                    unit.dropped = Some(reason);
                    invalid = true;
                }
            }
        }
        if invalid && round.saturating_add(1) < MAX_VALIDATION_ROUNDS {
            for unit in units.iter_mut() {
                unit.restore();
                if !unit.live() {
                    ids.entry(unit.original_id.clone()).or_insert(Fate {
                        target: None,
                        class: Class::Canary,
                        action: Action::Drop,
                    });
                }
            }
            continue;
        }
        log.extend(pending);
        break;
    }
    finish(units, log)
}

/// Scrub one object's content (step 2). Returns the fates of embedded observables.
fn scrub_content(
    walker: &mut Walker<'_, '_>,
    object_type: &str,
    map: &mut Map<String, Value>,
) -> Result<Vec<(String, Fate)>, DropReason> {
    let mut fates = Vec::new();
    walker.check_type_name(object_type, &Path::ROOT)?;
    if object_type == "indicator" {
        match walker.scrub_pattern(map) {
            PatternOutcome::Unchanged => {}
            PatternOutcome::Rewritten(text) => {
                map.insert("pattern".to_owned(), Value::String(text));
                walker.changed = true;
            }
            PatternOutcome::Dropped(reason) => return Err(reason),
        }
    }
    if object_type == "observed-data" {
        fates = walker.scrub_embedded(map)?;
    }
    if is_observable_like(object_type, map) {
        walker.scrub_sco(map, object_type, &Path::ROOT)?;
    } else {
        walker.scrub_external_references(map, &Path::ROOT)?;
        let skip = |key: &str| {
            is_structural(key)
                || key == "external_references"
                || (object_type == "indicator" && key == "pattern")
                || (object_type == "observed-data" && key == "objects")
        };
        walker.scrub_fields(map, &Path::ROOT, &skip)?;
    }
    Ok(fates)
}

/// Step 3: find every object that loses a reference it needs, and every new id, until
/// nothing changes. Ids that cannot be settled drop their objects (fail closed).
fn settle_ids(units: &mut [Unit], ids: &mut IdMap, pseudo: &Pseudonyms<'_>, log: &ChangeLog) {
    let mut settled = false;
    for _ in 0..MAX_ROUNDS {
        let mut changed = false;
        for unit in units.iter_mut().filter(|u| u.live()) {
            let mut cause = None;
            let derived = sco::derives_id_from_values(&unit.object_type);
            // What the id depends on, references rewritten: for an observable whose id
            // derives from its values, the ID-contributing properties (each is rewritten
            // on its own, so the copy rewrites as the whole would); for any other object
            // whose id may change, the whole content. No copy when nothing can change.
            let mut probe = None;
            if refs::may_rewrite(&unit.content, ids) {
                let mut record = |_: &Path<'_>, class, _| cause = Some(class);
                let lost = refs::probe_refs(&mut unit.content, &unit.object_type, ids, &mut record);
                if lost.is_ok() && sco::id_may_change(&unit.object_type, &unit.original_id) {
                    let mut copy = if derived {
                        sco::contributing_members(&unit.object_type, &unit.content)
                    } else {
                        unit.content.clone()
                    };
                    // The whole content lost nothing, so neither does a part of it.
                    let _ =
                        refs::rewrite_refs(&mut copy, &unit.object_type, ids, &mut |_, _, _| {});
                    probe = Some(copy);
                }
                if let Err(property) = lost {
                    unit.dropped = Some(format!("it lost the reference it needs in {property}"));
                    ids.insert(
                        unit.original_id.clone(),
                        Fate {
                            target: None,
                            class: cause.unwrap_or(Class::Canary),
                            action: Action::Drop,
                        },
                    );
                    changed = true;
                    continue;
                }
            }
            let new = if derived {
                // The same contributing properties give the same id as last round.
                let inputs = probe
                    .unwrap_or_else(|| sco::contributing_members(&unit.object_type, &unit.content));
                match &unit.id_memo {
                    Some((seen, id)) if *seen == inputs => id.clone(),
                    _ => {
                        let id = sco::new_id(
                            pseudo,
                            &unit.object_type,
                            &unit.original_id,
                            &unit.before,
                            &inputs,
                        );
                        unit.id_memo = Some((inputs, id.clone()));
                        id
                    }
                }
            } else {
                sco::new_id(
                    pseudo,
                    &unit.object_type,
                    &unit.original_id,
                    &unit.before,
                    probe.as_ref().unwrap_or(&unit.content),
                )
            };
            let Some(new) = new else {
                continue;
            };
            let (class, action) = log
                .first_for(unit.position)
                .or(cause.map(|c| (c, Action::Hmac)))
                .unwrap_or((Class::Canary, Action::Hmac));
            let fate = Fate {
                target: Some(new),
                class,
                action,
            };
            if ids.get(&unit.original_id) != Some(&fate) {
                ids.insert(unit.original_id.clone(), fate);
                changed = true;
            }
        }
        if !changed {
            settled = true;
            break;
        }
    }
    if !settled {
        for unit in units.iter_mut().filter(|u| u.live()) {
            if ids
                .get(&unit.original_id)
                .is_some_and(|f| f.target.as_deref() != Some(unit.original_id.as_str()))
            {
                unit.dropped = Some("its identifier could not be settled".to_owned());
                ids.insert(
                    unit.original_id.clone(),
                    Fate {
                        target: None,
                        class: Class::Canary,
                        action: Action::Drop,
                    },
                );
            }
        }
    }
}

/// Step 4 for one object: rewrite its references and id, and validate it again.
/// The content moves into the result (no copy): what changes on the way is kept in
/// `unit.replaced` so that [`Unit::restore`] can undo it. A unit that fails here is
/// dropped, and its content is not needed again.
fn finalize(unit: &mut Unit, ids: &IdMap, log: &mut ChangeLog) -> Result<StixObject, String> {
    let mut map = std::mem::take(&mut unit.content);
    let position = unit.position;
    unit.replaced.clear();
    if refs::may_rewrite(&map, ids) {
        unit.replaced
            .extend(refs::members_to_rewrite(&map, ids).map(|(k, v)| (k.clone(), Some(v.clone()))));
        refs::rewrite_refs(
            &mut map,
            &unit.object_type,
            ids,
            &mut |path, class, action| log.record(position, &path.render(), class, action),
        )
        .map_err(|property| format!("it lost the reference it needs in {property}"))?;
    }
    if let Some(fate) = ids.get(&unit.original_id) {
        if let Some(new) = fate.target.as_ref().filter(|t| **t != unit.original_id) {
            let old = map.insert("id".to_owned(), Value::String(new.clone()));
            unit.replaced.push(("id".to_owned(), old));
            log.record(position, "id", fate.class, fate.action);
        }
    }
    // An object that came through untouched was validated when it was parsed. (Should a
    // rewrite that may change a reference have changed nothing, the object is validated
    // again, which it passes as it did then.)
    if unit.pristine && unit.replaced.is_empty() {
        return Ok(StixObject::from_validated(map));
    }
    validate_object(Value::Object(map), position).map_err(|e| {
        let property = e
            .property
            .split(['.', '['])
            .next()
            .filter(|p| !p.is_empty())
            .unwrap_or("the object");
        format!("it would no longer be a valid STIX object ({property})")
    })
}

#[cfg(test)]
mod tests;

/// Build the outcome: kept objects (validated in step 4), dropped ones with their
/// reasons.
fn finish(units: Vec<Unit>, log: ChangeLog) -> Outcome {
    // Units are in input order: the unit at index `position` has that position.
    let name = |u: &Unit| match (&u.output, &u.dropped) {
        (Some(object), None) => object.id().to_owned(),
        (_, Some(_)) if u.hide_id => u.label(),
        _ => u.original_id.clone(),
    };
    let changes = log.into_changes(|position| units.get(position).map(name).unwrap_or_default());
    let items = units
        .into_iter()
        .map(|unit| {
            let position = unit.position;
            let label = unit.hide_id.then(|| unit.label());
            let result = match (unit.output, unit.dropped) {
                (Some(object), None) => Ok(object),
                (_, reason) => Err(Dropped {
                    position,
                    id: label.unwrap_or(unit.original_id),
                    reason: reason.unwrap_or_else(|| "it could not be desensitized".to_owned()),
                }),
            };
            Item { position, result }
        })
        .collect();
    Outcome { items, changes }
}
