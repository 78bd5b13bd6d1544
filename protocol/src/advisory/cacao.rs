//! A strict validator for OASIS CACAO Security Playbooks Version 2.0 (Committee
//! Specification 01) in their JSON form, for the response playbooks advisories carry.
//!
//! # What is checked, and where the specification says so
//!
//! Section numbers are those of CACAO Security Playbooks v2.0 CS01; the property tables were
//! cross-checked against the OASIS CACAO TC's non-normative JSON schemas
//! (`oasis-open/cacao-json-schemas`, `schemas/playbook.json`, `schemas/workflows/*.json`).
//!
//! * **§3.1 Playbook properties.** Required: `type` (`"playbook"`), `spec_version`
//!   (`"cacao-2.0"`), `id` (`playbook--<UUID>`), `name`, `created_by` (a STIX `identity--`
//!   id), `created`, `modified` (millisecond timestamps, `modified >= created`),
//!   `workflow_start`, `workflow`. Optional properties are type-checked: `description`,
//!   `playbook_types`, `playbook_activities`, `labels`, `industry_sectors` (non-empty
//!   string lists), `revoked`, `valid_from` < `valid_until`, `derived_from`
//!   (`playbook--` ids), `related_to`, `priority`/`severity`/`impact` (whole numbers
//!   0–100), `markings` (each in `data_marking_definitions`), `playbook_variables`
//!   (§10.18: keys `__name__`, values with a `type`), `workflow_exception` (a step),
//!   `playbook_extensions`, and the definition dictionaries (`agent_definitions`,
//!   `target_definitions`, `authentication_info_definitions`, `extension_definitions`,
//!   `data_marking_definitions`), whose keys are identifiers (§10.10) whose type part is
//!   the entry's `type`. Any other property is rejected (the TC schema is closed).
//! * **§3.1 `workflow`.** A dictionary of step id → step, at least a start step, an end
//!   step and an action or playbook-action step; exactly one start step.
//! * **§4.1 common step properties / §4.2 `workflow-step-type-enum`.** `type` is one of
//!   `start`, `end`, `action`, `playbook-action`, `parallel`, `if-condition`,
//!   `while-condition`, `switch-condition`; the step's key is `<type>--<UUID>` (§10.10);
//!   `on_completion` excludes `on_success`/`on_failure`; every step but an end step has
//!   an `on_completion` or `on_success` (no dead ends); `delay`/`timeout` are whole
//!   numbers; `owner` is an `identity--` id; `step_variables` as `playbook_variables`.
//! * **§4.3 start step** uses neither `on_success` nor `on_failure`; `workflow_start`
//!   must reference a start step (§3.1).
//! * **§4.4 end step** uses none of `on_completion`, `on_success`, `on_failure`.
//! * **§4.5 action step:** `commands` non-empty, each command (§5) an object with a
//!   `type`; `agent` in `agent_definitions`, `targets` in `target_definitions`;
//!   `in_args`/`out_args` non-empty string lists.
//! * **§4.6 playbook-action step:** `playbook_id` (`playbook--` id), `playbook_version`
//!   (timestamp).
//! * **§4.7 parallel step:** `next_steps` with at least two distinct step ids.
//! * **§4.8 if-condition step:** `condition`, `on_true`, optional `on_false`.
//! * **§4.9 while-condition step:** `condition`, `on_true`.
//! * **§4.10 switch-condition step:** `switch`, `cases` (non-empty; each value a step id,
//!   a `default` case allowed).
//! * **References.** Every `on_completion`, `on_success`, `on_failure`, `next_steps[i]`,
//!   `on_true`, `on_false`, `cases[k]`, `workflow_start` and `workflow_exception` must
//!   resolve to a step of `workflow` ([`AdvisoryError::DanglingReference`]), and every
//!   step must be reachable from `workflow_start` or `workflow_exception`
//!   ([`AdvisoryError::UnreachableStep`]). Cycles are allowed (a while loop is one).
//!
//! Not checked: the contents of commands, agents, targets, variables and extensions
//! beyond their `type`, the uniqueness of branch end steps, and conditions' STIX
//! patterning syntax. A playbook is bounded before anything else: at most
//! [`MAX_STEPS`] steps, [`MAX_ENTRIES`] entries in any list or dictionary,
//! [`MAX_STRING_BYTES`] per string, [`MAX_DEPTH`] levels and [`MAX_VALUES`] values.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use serde_json::{Map, Value};

use super::{
    as_bool, as_list, as_object, as_str, at, entry, invalid, join, only_known, required, timestamp,
    AdvisoryError, Obj,
};
use crate::stix::{check_identifier, Timestamp};

/// Most workflow steps in one playbook.
pub const MAX_STEPS: usize = 1_000;
/// Most entries in any list or dictionary of a playbook (other than `workflow`).
pub const MAX_ENTRIES: usize = 1_000;
/// Longest string (or dictionary key) in a playbook, in bytes.
pub const MAX_STRING_BYTES: usize = 65_536;
/// Deepest nesting inside a playbook.
pub const MAX_DEPTH: usize = 32;
/// Most JSON values in one playbook.
pub const MAX_VALUES: usize = 100_000;

/// The CACAO 2.0 `spec_version`.
pub const SPEC_VERSION: &str = "cacao-2.0";

/// The workflow step types of §4.2 (`workflow-step-type-enum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepType {
    /// §4.3.
    Start,
    /// §4.4.
    End,
    /// §4.5.
    Action,
    /// §4.6.
    PlaybookAction,
    /// §4.7.
    Parallel,
    /// §4.8.
    IfCondition,
    /// §4.9.
    WhileCondition,
    /// §4.10.
    SwitchCondition,
}

impl StepType {
    /// Every step type.
    pub const ALL: [StepType; 8] = [
        StepType::Start,
        StepType::End,
        StepType::Action,
        StepType::PlaybookAction,
        StepType::Parallel,
        StepType::IfCondition,
        StepType::WhileCondition,
        StepType::SwitchCondition,
    ];

    /// The `type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            StepType::Start => "start",
            StepType::End => "end",
            StepType::Action => "action",
            StepType::PlaybookAction => "playbook-action",
            StepType::Parallel => "parallel",
            StepType::IfCondition => "if-condition",
            StepType::WhileCondition => "while-condition",
            StepType::SwitchCondition => "switch-condition",
        }
    }

    /// Parse a `type` value.
    pub fn parse(s: &str) -> Option<StepType> {
        StepType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The properties this step type defines beyond the common ones (§4.1).
    fn own_properties(self) -> &'static [&'static str] {
        match self {
            StepType::Start | StepType::End => &[],
            StepType::Action => &["commands", "agent", "targets", "in_args", "out_args"],
            StepType::PlaybookAction => &["playbook_id", "playbook_version", "in_args", "out_args"],
            StepType::Parallel => &["next_steps"],
            StepType::IfCondition => &["condition", "on_true", "on_false"],
            StepType::WhileCondition => &["condition", "on_true"],
            StepType::SwitchCondition => &["switch", "cases"],
        }
    }
}

impl fmt::Display for StepType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A playbook that passed [`validate_playbook`]. Keeps the full JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Playbook {
    json: Map<String, Value>,
    steps: BTreeMap<String, StepType>,
}

impl Playbook {
    /// The playbook's `id`.
    pub fn id(&self) -> &str {
        self.str_prop("id")
    }

    /// The playbook's `name`.
    pub fn name(&self) -> &str {
        self.str_prop("name")
    }

    /// The `workflow_start` step id.
    pub fn workflow_start(&self) -> &str {
        self.str_prop("workflow_start")
    }

    /// Step ids and their types.
    pub fn steps(&self) -> &BTreeMap<String, StepType> {
        &self.steps
    }

    /// The playbook as JSON members.
    pub fn json(&self) -> &Map<String, Value> {
        &self.json
    }

    /// The playbook as a JSON value.
    pub fn to_value(&self) -> Value {
        Value::Object(self.json.clone())
    }

    fn str_prop(&self, name: &str) -> &str {
        self.json
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// Validate a CACAO 2.0 playbook. Error paths start at `playbook`.
pub fn validate_playbook(value: &Value) -> Result<Playbook, AdvisoryError> {
    validate_at(value, "playbook")
}

/// Validate a CACAO 2.0 playbook from untrusted bytes (strict JSON: duplicate member names
/// rejected).
pub fn validate_playbook_bytes(bytes: &[u8]) -> Result<Playbook, AdvisoryError> {
    validate_playbook(&super::parse_bytes(bytes)?)
}

/// Validate a playbook found at `root` (its path in the enclosing object).
pub(crate) fn validate_at(value: &Value, root: &str) -> Result<Playbook, AdvisoryError> {
    let mut budget = MAX_VALUES;
    check_bounds(value, root, 0, &mut budget)?;
    let map = as_object(value, root)?;
    only_known(map, root, PLAYBOOK_PROPERTIES)?;
    check_metadata(map, root)?;
    let defs = Definitions::read(map, root)?;
    let workflow_path = join(root, "workflow");
    let workflow = as_object(required(map, root, "workflow")?, &workflow_path)?;
    if workflow.len() > MAX_STEPS {
        return Err(AdvisoryError::TooMany {
            path: workflow_path,
            count: workflow.len(),
            max: MAX_STEPS,
        });
    }
    let mut steps = BTreeMap::new();
    let mut edges: Vec<(String, Vec<(String, String)>)> = Vec::with_capacity(workflow.len());
    for (id, step) in workflow {
        let path = entry(&workflow_path, id);
        let (step_type, out) = check_step(id, step, &path, &defs)?;
        steps.insert(id.clone(), step_type);
        edges.push((id.clone(), out));
    }

    // Every reference resolves to a step.
    for (_, out) in &edges {
        for (path, target) in out {
            if !steps.contains_key(target) {
                return Err(AdvisoryError::DanglingReference {
                    path: path.clone(),
                    target: target.clone(),
                });
            }
        }
    }
    let start_path = join(root, "workflow_start");
    let start = as_str(required(map, root, "workflow_start")?, &start_path)?;
    match steps.get(start) {
        None => {
            return Err(AdvisoryError::DanglingReference {
                path: start_path,
                target: start.to_owned(),
            })
        }
        Some(StepType::Start) => {}
        Some(other) => {
            return Err(invalid(
                start_path,
                format!("references {start:?}, which is a {other} step, not a start step"),
            ))
        }
    }
    let mut roots = vec![start];
    if let Some(v) = map.get("workflow_exception") {
        let path = join(root, "workflow_exception");
        let target = as_str(v, &path)?;
        if !steps.contains_key(target) {
            return Err(AdvisoryError::DanglingReference {
                path,
                target: target.to_owned(),
            });
        }
        roots.push(target);
    }

    // Composition (§3.1 `workflow`, §4.3).
    let count = |t: &[StepType]| steps.values().filter(|s| t.contains(s)).count();
    if count(&[StepType::Start]) != 1 {
        return Err(invalid(
            workflow_path,
            format!(
                "must contain exactly one start step, found {}",
                count(&[StepType::Start])
            ),
        ));
    }
    if count(&[StepType::End]) == 0 {
        return Err(invalid(workflow_path, "must contain at least one end step"));
    }
    if count(&[StepType::Action, StepType::PlaybookAction]) == 0 {
        return Err(invalid(
            workflow_path,
            "must contain at least one action or playbook-action step",
        ));
    }

    // Reachability (cycles allowed).
    let adjacency: BTreeMap<&str, Vec<&str>> = edges
        .iter()
        .map(|(id, out)| (id.as_str(), out.iter().map(|(_, t)| t.as_str()).collect()))
        .collect();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut queue: VecDeque<&str> = roots.into_iter().collect();
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        for next in adjacency.get(id).into_iter().flatten() {
            if !seen.contains(next) {
                queue.push_back(next);
            }
        }
    }
    if let Some(lost) = steps.keys().find(|id| !seen.contains(id.as_str())) {
        return Err(AdvisoryError::UnreachableStep {
            path: entry(&workflow_path, lost),
        });
    }

    Ok(Playbook {
        json: map.clone(),
        steps,
    })
}

const PLAYBOOK_PROPERTIES: &[&str] = &[
    "type",
    "spec_version",
    "id",
    "name",
    "description",
    "playbook_types",
    "playbook_activities",
    "playbook_processing_summary",
    "created_by",
    "created",
    "modified",
    "revoked",
    "valid_from",
    "valid_until",
    "derived_from",
    "related_to",
    "priority",
    "severity",
    "impact",
    "industry_sectors",
    "labels",
    "external_references",
    "markings",
    "playbook_variables",
    "workflow_start",
    "workflow_exception",
    "workflow",
    "playbook_extensions",
    "authentication_info_definitions",
    "agent_definitions",
    "target_definitions",
    "extension_definitions",
    "data_marking_definitions",
    "signatures",
];

const COMMON_STEP_PROPERTIES: &[&str] = &[
    "type",
    "name",
    "description",
    "external_references",
    "delay",
    "timeout",
    "step_variables",
    "owner",
    "on_completion",
    "on_success",
    "on_failure",
    "step_extensions",
];

/// Sizes, depth and value count, before any other rule (so later checks iterate freely).
fn check_bounds(
    v: &Value,
    path: &str,
    depth: usize,
    budget: &mut usize,
) -> Result<(), AdvisoryError> {
    if depth > MAX_DEPTH {
        return Err(AdvisoryError::TooComplex {
            path: path.to_owned(),
            reason: format!("nests deeper than {MAX_DEPTH} levels"),
        });
    }
    *budget = budget
        .checked_sub(1)
        .ok_or_else(|| AdvisoryError::TooComplex {
            path: path.to_owned(),
            reason: format!("the playbook holds more than {MAX_VALUES} JSON values"),
        })?;
    let long = |len: usize, path: String| AdvisoryError::TooLong {
        path,
        len,
        max: MAX_STRING_BYTES,
    };
    let deeper = depth.saturating_add(1);
    match v {
        Value::String(s) if s.len() > MAX_STRING_BYTES => Err(long(s.len(), path.to_owned())),
        Value::Array(items) => {
            if items.len() > MAX_ENTRIES {
                return Err(AdvisoryError::TooMany {
                    path: path.to_owned(),
                    count: items.len(),
                    max: MAX_ENTRIES,
                });
            }
            for (i, item) in items.iter().enumerate() {
                check_bounds(item, &at(path, i), deeper, budget)?;
            }
            Ok(())
        }
        Value::Object(map) => {
            // `workflow` is bounded by MAX_STEPS (== MAX_ENTRIES) after this pass.
            if map.len() > MAX_ENTRIES.max(MAX_STEPS) {
                return Err(AdvisoryError::TooMany {
                    path: path.to_owned(),
                    count: map.len(),
                    max: MAX_ENTRIES.max(MAX_STEPS),
                });
            }
            for (key, item) in map {
                if key.len() > MAX_STRING_BYTES {
                    return Err(long(key.len(), format!("{path} (a key)")));
                }
                check_bounds(item, &member_path(path, key), deeper, budget)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `parent.key` for property names, `parent["key"]` for other dictionary keys.
fn member_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
    if plain {
        join(parent, key)
    } else {
        entry(parent, key)
    }
}

/// §3.1 metadata: everything but the workflow and the definition dictionaries.
fn check_metadata(map: &Obj, root: &str) -> Result<(), AdvisoryError> {
    let p = |name: &str| join(root, name);
    let ty = as_str(required(map, root, "type")?, &p("type"))?;
    if ty != "playbook" {
        return Err(invalid(p("type"), format!("{ty:?} must be \"playbook\"")));
    }
    let version = as_str(required(map, root, "spec_version")?, &p("spec_version"))?;
    if version != SPEC_VERSION {
        return Err(invalid(
            p("spec_version"),
            format!("{version:?} is not supported; expected \"{SPEC_VERSION}\""),
        ));
    }
    identifier_of(required(map, root, "id")?, &p("id"), "playbook")?;
    nonempty_str(required(map, root, "name")?, &p("name"))?;
    identifier_of(
        required(map, root, "created_by")?,
        &p("created_by"),
        "identity",
    )?;
    let created = millisecond_time(required(map, root, "created")?, &p("created"))?;
    let modified = millisecond_time(required(map, root, "modified")?, &p("modified"))?;
    if modified < created {
        return Err(invalid(
            p("modified"),
            format!("{modified} is earlier than created ({created})"),
        ));
    }
    if let Some(v) = map.get("description") {
        as_str(v, &p("description"))?;
    }
    for name in [
        "playbook_types",
        "playbook_activities",
        "industry_sectors",
        "labels",
    ] {
        if let Some(v) = map.get(name) {
            string_list(v, &p(name))?;
        }
    }
    if let Some(v) = map.get("playbook_processing_summary") {
        as_object(v, &p("playbook_processing_summary"))?;
    }
    if let Some(v) = map.get("revoked") {
        as_bool(v, &p("revoked"))?;
    }
    let from = map
        .get("valid_from")
        .map(|v| timestamp(v, &p("valid_from")))
        .transpose()?;
    let until = map
        .get("valid_until")
        .map(|v| timestamp(v, &p("valid_until")))
        .transpose()?;
    if let (Some(from), Some(until)) = (&from, &until) {
        if until <= from {
            return Err(invalid(
                p("valid_until"),
                format!("{until} must be later than valid_from ({from})"),
            ));
        }
    }
    if let Some(v) = map.get("derived_from") {
        for (i, item) in nonempty_list(v, &p("derived_from"))?.iter().enumerate() {
            identifier_of(item, &at(&p("derived_from"), i), "playbook")?;
        }
    }
    if let Some(v) = map.get("related_to") {
        for (i, item) in nonempty_list(v, &p("related_to"))?.iter().enumerate() {
            identifier(item, &at(&p("related_to"), i))?;
        }
    }
    for name in ["priority", "severity", "impact"] {
        if let Some(v) = map.get(name) {
            whole_number(v, &p(name), Some(100))?;
        }
    }
    if let Some(v) = map.get("external_references") {
        external_references(v, &p("external_references"))?;
    }
    if let Some(v) = map.get("playbook_variables") {
        variables(v, &p("playbook_variables"))?;
    }
    if let Some(v) = map.get("playbook_extensions") {
        extensions(v, &p("playbook_extensions"))?;
    }
    if let Some(v) = map.get("signatures") {
        for (i, item) in nonempty_list(v, &p("signatures"))?.iter().enumerate() {
            as_object(item, &at(&p("signatures"), i))?;
        }
    }
    Ok(())
}

/// The playbook-level definition dictionaries steps and markings refer to.
struct Definitions<'a> {
    agents: Option<&'a Obj>,
    targets: Option<&'a Obj>,
}

impl<'a> Definitions<'a> {
    fn read(map: &'a Obj, root: &str) -> Result<Self, AdvisoryError> {
        let mut found: BTreeMap<&str, &'a Obj> = BTreeMap::new();
        for name in [
            "agent_definitions",
            "target_definitions",
            "authentication_info_definitions",
            "extension_definitions",
            "data_marking_definitions",
        ] {
            if let Some(v) = map.get(name) {
                found.insert(name, definitions(v, &join(root, name))?);
            }
        }
        if let Some(v) = map.get("markings") {
            let path = join(root, "markings");
            let marks = found.get("data_marking_definitions");
            for (i, item) in nonempty_list(v, &path)?.iter().enumerate() {
                let item_path = at(&path, i);
                let id = identifier(item, &item_path)?;
                if !marks.is_some_and(|m| m.contains_key(id)) {
                    return Err(invalid(
                        item_path,
                        format!("{id:?} is not in data_marking_definitions"),
                    ));
                }
            }
        }
        Ok(Definitions {
            agents: found.get("agent_definitions").copied(),
            targets: found.get("target_definitions").copied(),
        })
    }
}

/// A definitions dictionary: identifier keys whose type part is the entry's `type`.
fn definitions<'a>(v: &'a Value, path: &str) -> Result<&'a Obj, AdvisoryError> {
    let map = as_object(v, path)?;
    if map.is_empty() {
        return Err(invalid(path, "must not be empty when present"));
    }
    for (key, def) in map {
        let def_path = entry(path, key);
        let key_type = check_identifier(key).map_err(|e| invalid(def_path.clone(), e.0))?;
        let def = as_object(def, &def_path)?;
        let ty = as_str(required(def, &def_path, "type")?, &join(&def_path, "type"))?;
        if ty != key_type {
            return Err(invalid(
                join(&def_path, "type"),
                format!("{ty:?} does not match the key's type {key_type:?}"),
            ));
        }
    }
    Ok(map)
}

/// One workflow step (§4): its properties and its outgoing references (path, target).
#[allow(clippy::type_complexity)]
fn check_step(
    id: &str,
    step: &Value,
    path: &str,
    defs: &Definitions,
) -> Result<(StepType, Vec<(String, String)>), AdvisoryError> {
    let p = |name: &str| join(path, name);
    let key_type = check_identifier(id).map_err(|e| {
        invalid(
            path,
            format!("step ids must be <step-type>--<UUID>: {}", e.0),
        )
    })?;
    let map = as_object(step, path)?;
    let ty = as_str(required(map, path, "type")?, &p("type"))?;
    let step_type = StepType::parse(ty).ok_or_else(|| {
        invalid(
            p("type"),
            format!(
                "{ty:?} is not a workflow step type (start, end, action, playbook-action, parallel, if-condition, while-condition, switch-condition)"
            ),
        )
    })?;
    if key_type != ty {
        return Err(invalid(
            path,
            format!("a {ty} step's id must start with \"{ty}--\", not \"{key_type}--\""),
        ));
    }
    for name in map.keys() {
        let name = name.as_str();
        if !COMMON_STEP_PROPERTIES.contains(&name) && !step_type.own_properties().contains(&name) {
            return Err(AdvisoryError::UnknownProperty { path: p(name) });
        }
    }

    // §4.1 common properties.
    if let Some(v) = map.get("name") {
        as_str(v, &p("name"))?;
    }
    if let Some(v) = map.get("description") {
        as_str(v, &p("description"))?;
    }
    if let Some(v) = map.get("external_references") {
        external_references(v, &p("external_references"))?;
    }
    for name in ["delay", "timeout"] {
        if let Some(v) = map.get(name) {
            whole_number(v, &p(name), None)?;
        }
    }
    if let Some(v) = map.get("step_variables") {
        variables(v, &p("step_variables"))?;
    }
    if let Some(v) = map.get("owner") {
        identifier_of(v, &p("owner"), "identity")?;
    }
    if let Some(v) = map.get("step_extensions") {
        extensions(v, &p("step_extensions"))?;
    }

    let mut out = Vec::new();
    let reference = |name: &str, out: &mut Vec<(String, String)>| -> Result<bool, AdvisoryError> {
        match map.get(name) {
            None => Ok(false),
            Some(v) => {
                let target = as_str(v, &p(name))?;
                out.push((p(name), target.to_owned()));
                Ok(true)
            }
        }
    };
    let completion = reference("on_completion", &mut out)?;
    let success = reference("on_success", &mut out)?;
    let failure = reference("on_failure", &mut out)?;
    match step_type {
        StepType::End => {
            if let Some(name) = ["on_completion", "on_success", "on_failure"]
                .into_iter()
                .find(|n| map.contains_key(*n))
            {
                return Err(invalid(
                    p(name),
                    "an end step must not have on_completion, on_success or on_failure (§4.4)",
                ));
            }
        }
        _ => {
            if step_type == StepType::Start && (success || failure) {
                let name = if success { "on_success" } else { "on_failure" };
                return Err(invalid(
                    p(name),
                    "a start step must not have on_success or on_failure (§4.3)",
                ));
            }
            if completion && (success || failure) {
                let name = if success { "on_success" } else { "on_failure" };
                return Err(invalid(
                    p(name),
                    "must not be defined together with on_completion (§4.1)",
                ));
            }
            if !completion && !success {
                return Err(invalid(
                    path,
                    "dangling step: it needs on_completion or on_success (only end steps finish a workflow)",
                ));
            }
        }
    }

    match step_type {
        StepType::Start | StepType::End => {}
        StepType::Action => {
            let commands_path = p("commands");
            let commands = nonempty_list(required(map, path, "commands")?, &commands_path)?;
            for (i, command) in commands.iter().enumerate() {
                let cpath = at(&commands_path, i);
                let command = as_object(command, &cpath)?;
                nonempty_str(required(command, &cpath, "type")?, &join(&cpath, "type"))?;
            }
            if let Some(v) = map.get("agent") {
                let agent = identifier(v, &p("agent"))?;
                if !defs.agents.is_some_and(|d| d.contains_key(agent)) {
                    return Err(invalid(
                        p("agent"),
                        format!("{agent:?} is not in agent_definitions"),
                    ));
                }
            }
            if let Some(v) = map.get("targets") {
                for (i, item) in nonempty_list(v, &p("targets"))?.iter().enumerate() {
                    let target = identifier(item, &at(&p("targets"), i))?;
                    if !defs.targets.is_some_and(|d| d.contains_key(target)) {
                        return Err(invalid(
                            at(&p("targets"), i),
                            format!("{target:?} is not in target_definitions"),
                        ));
                    }
                }
            }
            args(map, path)?;
        }
        StepType::PlaybookAction => {
            identifier_of(
                required(map, path, "playbook_id")?,
                &p("playbook_id"),
                "playbook",
            )?;
            if let Some(v) = map.get("playbook_version") {
                timestamp(v, &p("playbook_version"))?;
            }
            args(map, path)?;
        }
        StepType::Parallel => {
            let list_path = p("next_steps");
            let list = as_list(required(map, path, "next_steps")?, &list_path)?;
            if list.len() < 2 {
                return Err(invalid(
                    list_path,
                    format!(
                        "a parallel step needs at least two next_steps, found {} (§4.7)",
                        list.len()
                    ),
                ));
            }
            let mut distinct = BTreeSet::new();
            for (i, item) in list.iter().enumerate() {
                let item_path = at(&list_path, i);
                let target = as_str(item, &item_path)?;
                if !distinct.insert(target) {
                    return Err(invalid(item_path, format!("{target:?} is listed twice")));
                }
                out.push((item_path, target.to_owned()));
            }
        }
        StepType::IfCondition | StepType::WhileCondition => {
            nonempty_str(required(map, path, "condition")?, &p("condition"))?;
            let on_true = as_str(required(map, path, "on_true")?, &p("on_true"))?;
            out.push((p("on_true"), on_true.to_owned()));
            if step_type == StepType::IfCondition {
                reference("on_false", &mut out)?;
            }
        }
        StepType::SwitchCondition => {
            nonempty_str(required(map, path, "switch")?, &p("switch"))?;
            let cases_path = p("cases");
            let cases = as_object(required(map, path, "cases")?, &cases_path)?;
            if cases.is_empty() {
                return Err(invalid(cases_path, "must define at least one case (§4.10)"));
            }
            for (case, target) in cases {
                let case_path = entry(&cases_path, case);
                let target = as_str(target, &case_path)?;
                out.push((case_path, target.to_owned()));
            }
        }
    }
    Ok((step_type, out))
}

fn args(map: &Obj, path: &str) -> Result<(), AdvisoryError> {
    for name in ["in_args", "out_args"] {
        if let Some(v) = map.get(name) {
            string_list(v, &join(path, name))?;
        }
    }
    Ok(())
}

/// §10.18: variables dictionary, keys `__name__`, values objects with a `type`.
fn variables(v: &Value, path: &str) -> Result<(), AdvisoryError> {
    for (key, var) in as_object(v, path)? {
        let var_path = entry(path, key);
        let inner = key
            .strip_prefix("__")
            .and_then(|k| k.strip_suffix("__"))
            .unwrap_or_default();
        let valid = (1..=200).contains(&inner.len())
            && inner.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && inner
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-');
        if !valid {
            return Err(invalid(
                var_path,
                "variable names must look like __name__ (letters, digits, '_' and '-')",
            ));
        }
        let var = as_object(var, &var_path)?;
        nonempty_str(required(var, &var_path, "type")?, &join(&var_path, "type"))?;
    }
    Ok(())
}

/// Extension dictionaries: `extension-definition--<UUID>` keys, object values.
fn extensions(v: &Value, path: &str) -> Result<(), AdvisoryError> {
    let map = as_object(v, path)?;
    if map.is_empty() {
        return Err(invalid(path, "must not be empty when present"));
    }
    for (key, ext) in map {
        let ext_path = entry(path, key);
        match check_identifier(key) {
            Ok("extension-definition") => {}
            Ok(other) => {
                return Err(invalid(
                    ext_path,
                    format!("keys must be extension-definition ids, not {other} ids"),
                ))
            }
            Err(e) => return Err(invalid(ext_path, e.0)),
        }
        as_object(ext, &ext_path)?;
    }
    Ok(())
}

/// CACAO external references (§10 `external-reference` data type): non-empty list of objects with a `name`.
fn external_references(v: &Value, path: &str) -> Result<(), AdvisoryError> {
    for (i, item) in nonempty_list(v, path)?.iter().enumerate() {
        let item_path = at(path, i);
        let reference = as_object(item, &item_path)?;
        nonempty_str(
            required(reference, &item_path, "name")?,
            &join(&item_path, "name"),
        )?;
    }
    Ok(())
}

fn nonempty_list<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, AdvisoryError> {
    let list = as_list(v, path)?;
    if list.is_empty() {
        return Err(invalid(path, "must not be an empty list"));
    }
    Ok(list)
}

fn string_list(v: &Value, path: &str) -> Result<(), AdvisoryError> {
    for (i, item) in nonempty_list(v, path)?.iter().enumerate() {
        as_str(item, &at(path, i))?;
    }
    Ok(())
}

fn nonempty_str<'a>(v: &'a Value, path: &str) -> Result<&'a str, AdvisoryError> {
    let s = as_str(v, path)?;
    if s.trim().is_empty() {
        return Err(invalid(path, "must not be empty"));
    }
    Ok(s)
}

/// An identifier (§10.10): `<type>--<UUID>`; returns it.
fn identifier<'a>(v: &'a Value, path: &str) -> Result<&'a str, AdvisoryError> {
    let s = as_str(v, path)?;
    check_identifier(s).map_err(|e| invalid(path, e.0))?;
    Ok(s)
}

/// An identifier of one object type.
fn identifier_of<'a>(v: &'a Value, path: &str, ty: &str) -> Result<&'a str, AdvisoryError> {
    let s = as_str(v, path)?;
    match check_identifier(s) {
        Ok(t) if t == ty => Ok(s),
        Ok(t) => Err(invalid(
            path,
            format!("{s:?} is a {t} identifier; expected {ty}--<UUID>"),
        )),
        Err(e) => Err(invalid(path, e.0)),
    }
}

/// A whole number (𝕎), at most `max`.
fn whole_number(v: &Value, path: &str, max: Option<u64>) -> Result<u64, AdvisoryError> {
    let n = v.as_u64().ok_or_else(|| {
        invalid(
            path,
            format!("expected a whole number, found {}", super::kind(v)),
        )
    })?;
    if let Some(max) = max {
        if n > max {
            return Err(invalid(path, format!("{n} is out of range 0..={max}")));
        }
    }
    Ok(n)
}

/// `created`/`modified`: timestamps to the millisecond (exactly three fractional digits).
fn millisecond_time(v: &Value, path: &str) -> Result<Timestamp, AdvisoryError> {
    let ts = timestamp(v, path)?;
    if ts.precision() != 3 {
        return Err(invalid(
            path,
            "must be given to the millisecond (exactly three fractional digits, e.g. .000Z)",
        ));
    }
    Ok(ts)
}
