//! Emergency-response advisories: the CACAO 2.0 playbook validator (one malformed playbook
//! per rule, each rejected with a precise error), advisory and acknowledgement parsing,
//! status transitions, reminders, and the trip through a signed envelope.

use std::path::PathBuf;

use serde_json::{json, Value};
use shoal_crypto::NodeKey;
use shoal_protocol::advisory::cacao::{self, MAX_DEPTH, MAX_STEPS, MAX_STRING_BYTES};
use shoal_protocol::advisory::{
    authority, is_ack, is_advisory, is_overdue, may_follow, validate_playbook, Ack, AckBook,
    AckStatus, Advisory, AdvisoryError, Authority, Severity, StepType, MAX_NOTE_CHARS,
    MAX_TITLE_CHARS,
};
use shoal_protocol::{validate_object, Envelope, EnvelopeBody, Tlp, DEFAULT_MAX_ENVELOPE_BYTES};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/advisory")
        .join(name)
}

fn load(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(data(name)).unwrap()).unwrap()
}

fn advisory_json() -> Value {
    load("advisory.json")
}

fn ack_json() -> Value {
    load("ack.json")
}

const FW: &str = "action--e7e53ebc-974a-4c03-a4ee-6c7c5216417a";
const NOTIFY: &str = "action--09522924-ba58-44d7-a49d-ea29c841940a";
const REIMAGE: &str = "action--7fd86c0d-afc9-4719-9cbc-c67908cce240";
const IF: &str = "if-condition--498f6906-6b50-4372-9405-ce04f7a69be4";
const START: &str = "start--f101d170-f39b-4ca0-8cc7-330fb653df7e";

// ---- CACAO 2.0 ----------------------------------------------------------------------

#[test]
fn valid_playbook_passes() {
    let playbook = validate_playbook(&load("playbook-valid.json")).unwrap();
    assert_eq!(
        playbook.id(),
        "playbook--99b582b0-9d48-44f0-a1c7-6d2fa64a7e9c"
    );
    assert_eq!(playbook.workflow_start(), START);
    assert_eq!(playbook.steps().len(), 10);
    assert_eq!(playbook.steps().get(IF), Some(&StepType::IfCondition));
    assert_eq!(
        playbook
            .steps()
            .values()
            .filter(|t| **t == StepType::End)
            .count(),
        4
    );
    // Bytes with a strict parser give the same result.
    let bytes = std::fs::read(data("playbook-valid.json")).unwrap();
    assert_eq!(cacao::validate_playbook_bytes(&bytes).unwrap(), playbook);
}

#[test]
fn cycles_are_allowed() {
    // reimage -> while-condition -> (on_true) reimage: a loop, every step reachable.
    let playbook = validate_playbook(&load("playbook-valid-loop.json")).unwrap();
    assert!(playbook
        .steps()
        .values()
        .any(|t| *t == StepType::WhileCondition));
}

/// Each file under `malformed/` has exactly one defect; the error must name the place
/// (JSON path) and the rule.
#[test]
fn malformed_playbooks_are_rejected_precisely() {
    let cases: &[(&str, &str)] = &[
        (
            "missing-workflow-start",
            "playbook.workflow_start: required property is missing",
        ),
        (
            "workflow-start-not-start",
            "playbook.workflow_start: references \"action--e7e53ebc-974a-4c03-a4ee-6c7c5216417a\", which is a action step, not a start step",
        ),
        (
            "dangling-on-success",
            "playbook.workflow[\"action--7fd86c0d-afc9-4719-9cbc-c67908cce240\"].on_success: references \"action--6b1e3f0a-2c4d-4e5f-8a9b-0c1d2e3f4a5b\" which is not a step",
        ),
        (
            "unreachable-step",
            "playbook.workflow[\"action--1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f\"]: step is unreachable from workflow_start",
        ),
        (
            "end-with-on-completion",
            "playbook.workflow[\"end--5d18d9ac-5528-4f8e-b3e0-24af27ceabf4\"].on_completion: an end step must not have on_completion, on_success or on_failure",
        ),
        (
            "wrong-spec-version",
            "playbook.spec_version: \"cacao-1.0\" is not supported; expected \"cacao-2.0\"",
        ),
        (
            "bad-step-id-prefix",
            "playbook.workflow[\"if-condition--e7e53ebc-974a-4c03-a4ee-6c7c5216417a\"]: a action step's id must start with \"action--\", not \"if-condition--\"",
        ),
        (
            "action-without-commands",
            "playbook.workflow[\"action--09522924-ba58-44d7-a49d-ea29c841940a\"].commands: required property is missing",
        ),
        (
            "if-without-on-true",
            "playbook.workflow[\"if-condition--498f6906-6b50-4372-9405-ce04f7a69be4\"].on_true: required property is missing",
        ),
        (
            "switch-case-missing-step",
            "playbook.workflow[\"switch-condition--498f6906-6b50-4372-9405-ce04f7a69be4\"].cases[\"default\"]: references \"end--6b1e3f0a-2c4d-4e5f-8a9b-0c1d2e3f4a5b\" which is not a step",
        ),
        (
            "modified-before-created",
            "playbook.modified: 2026-11-19T09:00:00.000Z is earlier than created (2026-11-20T09:00:00.000Z)",
        ),
        (
            "parallel-single-branch",
            "playbook.workflow[\"parallel--9adea88e-4828-4652-bc47-fcc64f41f8af\"].next_steps: a parallel step needs at least two next_steps, found 1",
        ),
        (
            "start-with-on-success",
            "playbook.workflow[\"start--f101d170-f39b-4ca0-8cc7-330fb653df7e\"].on_success: a start step must not have on_success or on_failure",
        ),
        (
            "dead-end-step",
            "playbook.workflow[\"action--09522924-ba58-44d7-a49d-ea29c841940a\"]: dangling step: it needs on_completion or on_success",
        ),
        (
            "unknown-step-type",
            "playbook.workflow[\"action--09522924-ba58-44d7-a49d-ea29c841940a\"].type: \"single\" is not a workflow step type",
        ),
        (
            "agent-not-defined",
            "playbook.workflow[\"action--09522924-ba58-44d7-a49d-ea29c841940a\"].agent: \"individual--0d9c8b7a-6f5e-4d3c-9b2a-1f0e9d8c7b6a\" is not in agent_definitions",
        ),
        (
            "two-start-steps",
            "playbook.workflow: must contain exactly one start step, found 2",
        ),
        (
            "completion-and-success",
            "playbook.workflow[\"action--e7e53ebc-974a-4c03-a4ee-6c7c5216417a\"].on_success: must not be defined together with on_completion",
        ),
        (
            "missing-created-by",
            "playbook.created_by: required property is missing",
        ),
        (
            "created-not-milliseconds",
            "playbook.created: must be given to the millisecond",
        ),
        ("priority-out-of-range", "playbook.priority: 101 is out of range 0..=100"),
        ("unknown-playbook-property", "playbook.x_comment: unknown property"),
        (
            "bad-variable-name",
            "playbook.playbook_variables[\"ews\"]: variable names must look like __name__",
        ),
        (
            "valid-until-before-from",
            "playbook.valid_until: 2026-01-01T00:00:00.000Z must be later than valid_from",
        ),
        (
            "step-id-not-uuid",
            "playbook.workflow[\"end--not-a-uuid\"]: step ids must be <step-type>--<UUID>",
        ),
    ];
    let on_disk = std::fs::read_dir(data("malformed")).unwrap().count();
    assert_eq!(on_disk, cases.len(), "every malformed file has a row");
    for (name, expected) in cases {
        let value = load(&format!("malformed/{name}.json"));
        let err = validate_playbook(&value)
            .expect_err(&format!("{name} should be rejected"))
            .to_string();
        assert!(
            err.contains(expected),
            "{name}: error {err:?} lacks {expected:?}"
        );
    }
}

#[test]
fn dangling_reference_error_is_typed() {
    let err = validate_playbook(&load("malformed/dangling-on-success.json")).unwrap_err();
    assert_eq!(
        err,
        AdvisoryError::DanglingReference {
            path: format!("playbook.workflow[{REIMAGE:?}].on_success"),
            target: "action--6b1e3f0a-2c4d-4e5f-8a9b-0c1d2e3f4a5b".into(),
        }
    );
    let err = validate_playbook(&load("malformed/unreachable-step.json")).unwrap_err();
    assert!(
        matches!(err, AdvisoryError::UnreachableStep { .. }),
        "{err}"
    );
}

#[test]
fn playbooks_are_bounded() {
    // Too many steps.
    let mut pb = load("playbook-valid.json");
    let workflow = pb["workflow"].as_object_mut().unwrap();
    for i in 0..MAX_STEPS {
        workflow.insert(
            format!("end--00000000-0000-4000-8000-{i:012}"),
            json!({"type": "end"}),
        );
    }
    let err = validate_playbook(&pb).unwrap_err();
    assert!(
        matches!(err, AdvisoryError::TooMany { ref path, .. } if path == "playbook.workflow"),
        "{err}"
    );

    // Too deep.
    let mut deep = json!("x");
    for _ in 0..=MAX_DEPTH {
        deep = json!({ "a": deep });
    }
    let mut pb = load("playbook-valid.json");
    pb["playbook_variables"]["__ews_compromised__"]["value"] = deep;
    let err = validate_playbook(&pb).unwrap_err();
    assert!(matches!(err, AdvisoryError::TooComplex { .. }), "{err}");

    // Too long a string.
    let mut pb = load("playbook-valid.json");
    pb["workflow"][FW]["commands"][0]["command"] = json!("a".repeat(MAX_STRING_BYTES + 1));
    let err = validate_playbook(&pb).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "playbook.workflow[{FW:?}].commands[0].command: 65537 characters"
        )),
        "{err}"
    );

    // Not an object, wrong kinds: errors, never panics.
    for bad in [
        json!(null),
        json!([]),
        json!("playbook"),
        json!({"workflow": 3}),
    ] {
        assert!(validate_playbook(&bad).is_err());
    }
    let mut pb = load("playbook-valid.json");
    pb["workflow"][NOTIFY]["commands"] = json!([]);
    assert!(validate_playbook(&pb)
        .unwrap_err()
        .to_string()
        .contains("commands: must not be an empty list"));
    let mut pb = load("playbook-valid.json");
    pb["workflow"][NOTIFY]["commands"] = json!([{"command": "no type"}]);
    assert!(validate_playbook(&pb)
        .unwrap_err()
        .to_string()
        .contains("commands[0].type: required property is missing"));
    assert!(matches!(
        cacao::validate_playbook_bytes(br#"{"type":"playbook","type":"playbook"}"#),
        Err(AdvisoryError::Json(_))
    ));
}

// ---- advisories -----------------------------------------------------------------------

#[test]
fn advisory_parses_and_round_trips() {
    let value = advisory_json();
    assert!(is_advisory(&value) && !is_ack(&value));
    let advisory = Advisory::from_object(&value).unwrap();
    assert_eq!(advisory.severity, Severity::Critical);
    assert_eq!(advisory.scope.sectors, ["energy", "water"]);
    assert_eq!(advisory.scope.cves, ["CVE-2026-10231"]);
    assert_eq!(advisory.related_refs.len(), 2);
    assert!(!advisory.drill);
    assert_eq!(
        advisory.playbook.as_ref().map(|p| p.workflow_start()),
        Some(START)
    );
    assert!(advisory.scope.includes(Some("energy"), Some("north")));
    assert!(!advisory.scope.includes(Some("finance"), Some("north")));
    // The canonical object is the input (nothing defaulted away) and re-parses equal.
    assert_eq!(advisory.to_object(), value);
    assert_eq!(
        Advisory::from_object(&advisory.to_object()).unwrap(),
        advisory
    );
    // It is a valid STIX 2.1 (custom) object.
    validate_object(advisory.to_object(), 0).unwrap();
    // Authority comes from the publisher's role, never from the object.
    assert_eq!(authority(true), Authority::Authoritative);
    assert_eq!(authority(false), Authority::Member);
    assert_eq!(
        Advisory::FREE_TEXT_FIELDS,
        ["title", "description", "playbook"]
    );
}

#[test]
fn advisory_through_a_signed_envelope() {
    let advisory = Advisory::from_object(&advisory_json()).unwrap();
    let key = NodeKey::from_seed([7; 32]);
    let stix = validate_object(advisory.to_object(), 0).unwrap();
    let body = EnvelopeBody::for_object(
        key.public(),
        0,
        1_764_144_000,
        Tlp::Amber,
        "ot-energy",
        &stix,
    )
    .unwrap();
    let bytes = body.sign_encoded(&key).unwrap();
    let envelope = Envelope::decode_verified(&bytes, DEFAULT_MAX_ENVELOPE_BYTES).unwrap();
    envelope.stix_object().unwrap();
    let object = envelope.object_json().unwrap();
    assert!(is_advisory(&object));
    assert_eq!(Advisory::from_object(&object).unwrap(), advisory);

    let ack = Ack::from_object(&ack_json()).unwrap();
    let stix = validate_object(ack.to_object(), 0).unwrap();
    let body = EnvelopeBody::for_object(
        key.public(),
        1,
        1_764_144_000,
        Tlp::Amber,
        "ot-energy",
        &stix,
    )
    .unwrap();
    let envelope = body.sign(&key).unwrap();
    assert_eq!(
        Ack::from_object(&envelope.object_json().unwrap()).unwrap(),
        ack
    );
}

/// Mutate the sample advisory and expect `expected` in the error.
fn advisory_rejects(mutate: impl FnOnce(&mut Value), expected: &str) {
    let mut value = advisory_json();
    mutate(&mut value);
    let err = Advisory::from_object(&value)
        .expect_err(expected)
        .to_string();
    assert!(err.contains(expected), "error {err:?} lacks {expected:?}");
}

#[test]
fn advisory_rejections() {
    advisory_rejects(
        |v| v["severity"] = json!("urgent"),
        "severity: \"urgent\" is not a severity (critical, high, medium or low)",
    );
    advisory_rejects(
        |v| v["severity"] = json!(5),
        "severity: expected a string, found a number",
    );
    advisory_rejects(
        |v| v["deadline"] = json!("2026-11-25T00:00:00.000Z"),
        "deadline: 2026-11-25T00:00:00.000Z must be after created (2026-11-26T08:00:00.000Z)",
    );
    advisory_rejects(
        |v| v["deadline"] = v["created"].clone(),
        "deadline: 2026-11-26T08:00:00.000Z must be after created",
    );
    advisory_rejects(
        |v| v["deadline"] = json!("tomorrow"),
        "deadline: not an RFC 3339 UTC timestamp",
    );
    advisory_rejects(
        |v| {
            v.as_object_mut().unwrap().remove("deadline");
        },
        "deadline: required property is missing",
    );
    advisory_rejects(
        |v| v["x_authoritative"] = json!(true),
        "x_authoritative: unknown property",
    );
    advisory_rejects(
        |v| v["scope"]["assets"] = json!(["plc"]),
        "scope.assets: unknown property",
    );
    advisory_rejects(
        |v| v["scope"]["cves"] = json!(["CVE-2026-10231", "cve-2026-1"]),
        "scope.cves[1]: \"cve-2026-1\" is not a CVE identifier",
    );
    advisory_rejects(
        |v| v["scope"]["products"] = json!(["cpe:/a:siemens:simatic_step_7:5.7"]),
        "scope.products[0]: \"cpe:/a:siemens:simatic_step_7:5.7\" is not a CPE 2.3 formatted string",
    );
    advisory_rejects(
        |v| v["scope"]["products"] = json!(["cpe:2.3:a:siemens:simatic_step_7:5.7:*:*:*"]),
        "has 7 components after \"cpe:2.3:\", expected 11",
    );
    advisory_rejects(
        |v| v["scope"]["sectors"] = json!(["energy", "energy"]),
        "scope.sectors[1]: \"energy\" is listed twice",
    );
    advisory_rejects(
        |v| v["scope"]["sectors"] = json!(["Energy"]),
        "scope.sectors[0]: \"Energy\" must be 1 to 64 characters",
    );
    advisory_rejects(
        |v| v["scope"]["communities"] = json!(["OT energy"]),
        "scope.communities[0]:",
    );
    advisory_rejects(
        |v| v["title"] = json!("t".repeat(MAX_TITLE_CHARS + 1)),
        "title: 257 characters, more than the limit of 256",
    );
    advisory_rejects(|v| v["title"] = json!("  "), "title: must not be empty");
    advisory_rejects(
        |v| v["drill"] = json!("yes"),
        "drill: expected a boolean, found a string",
    );
    advisory_rejects(
        |v| {
            v["related_refs"] = json!([
                "indicator--9de5af7f-f905-4feb-959c-73d0184b1c92",
                "indicator--9de5af7f-f905-4feb-959c-73d0184b1c92"
            ])
        },
        "related_refs[1]: \"indicator--9de5af7f-f905-4feb-959c-73d0184b1c92\" is listed twice",
    );
    // STIX common rules apply (identifier syntax, spec_version, timestamps).
    advisory_rejects(
        |v| v["related_refs"] = json!(["not-an-id"]),
        "not a valid STIX 2.1 object",
    );
    advisory_rejects(
        |v| {
            v.as_object_mut().unwrap().remove("spec_version");
        },
        "spec_version: required property is missing",
    );
    advisory_rejects(
        |v| v["id"] = json!("x-shoal-advisory--1234"),
        "not a valid STIX 2.1 object",
    );
    advisory_rejects(
        |v| v["type"] = json!("x-shoal-advisory-ack"),
        "type: expected \"x-shoal-advisory\", found \"x-shoal-advisory-ack\"",
    );
    // A malformed embedded playbook is reported under `playbook.`.
    advisory_rejects(
        |v| {
            v["playbook"]["workflow"][REIMAGE]
                .as_object_mut()
                .unwrap()
                .remove("on_completion");
        },
        &format!("playbook.workflow[{REIMAGE:?}]: dangling step"),
    );
    advisory_rejects(
        |v| v["playbook"]["workflow"][IF]["on_true"] = json!("action--6b1e3f0a-2c4d-4e5f-8a9b-0c1d2e3f4a5b"),
        &format!("playbook.workflow[{IF:?}].on_true: references \"action--6b1e3f0a-2c4d-4e5f-8a9b-0c1d2e3f4a5b\" which is not a step"),
    );
}

#[test]
fn advisory_defaults_and_optional_parts() {
    let mut value = advisory_json();
    let map = value.as_object_mut().unwrap();
    map.remove("drill");
    map.remove("playbook");
    map.remove("related_refs");
    map.insert("scope".into(), json!({}));
    map.insert(
        "object_marking_refs".into(),
        json!([Tlp::Amber.marking_id()]),
    );
    let advisory = Advisory::from_object(&value).unwrap();
    assert!(!advisory.drill && advisory.playbook.is_none() && advisory.related_refs.is_empty());
    assert!(advisory.scope.includes(None, None));
    let back = advisory.to_object();
    assert_eq!(back["drill"], json!(false));
    assert_eq!(
        back["object_marking_refs"],
        json!([Tlp::Amber.marking_id()])
    );
    assert_eq!(Advisory::from_object(&back).unwrap(), advisory);
    // Strict bytes: duplicate members are refused.
    assert!(matches!(
        Advisory::from_bytes(br#"{"type":"x-shoal-advisory","type":"x-shoal-advisory"}"#),
        Err(AdvisoryError::Json(_))
    ));
    let bytes = std::fs::read(data("advisory.json")).unwrap();
    assert!(Advisory::from_bytes(&bytes).is_ok());
}

// ---- acknowledgements -----------------------------------------------------------------

fn ack_rejects(mutate: impl FnOnce(&mut Value), expected: &str) {
    let mut value = ack_json();
    mutate(&mut value);
    let err = Ack::from_object(&value).expect_err(expected).to_string();
    assert!(err.contains(expected), "error {err:?} lacks {expected:?}");
}

#[test]
fn ack_parses_and_round_trips() {
    let value = ack_json();
    assert!(is_ack(&value) && !is_advisory(&value));
    let ack = Ack::from_object(&value).unwrap();
    assert_eq!(ack.status, AckStatus::Assessing);
    assert_eq!(
        ack.advisory_ref,
        "x-shoal-advisory--87ac376d-9528-46a4-80b4-8d3c4d210162"
    );
    assert_eq!(ack.to_object(), value);
    assert_eq!(Ack::FREE_TEXT_FIELDS, ["note"]);
    let mut bare = value.clone();
    bare.as_object_mut().unwrap().remove("note");
    assert_eq!(Ack::from_object(&bare).unwrap().note, None);
}

#[test]
fn ack_rejections() {
    ack_rejects(
        |v| v["status"] = json!("done"),
        "status: \"done\" is not an acknowledgement status (received, assessing, mitigated or not_affected)",
    );
    ack_rejects(
        |v| v["note"] = json!("n".repeat(MAX_NOTE_CHARS + 1)),
        "note: 2001 characters, more than the limit of 2000",
    );
    ack_rejects(|v| v["note"] = json!(""), "note: must not be empty");
    ack_rejects(
        |v| v["note"] = json!(["a"]),
        "note: expected a string, found a list",
    );
    ack_rejects(
        |v| v["advisory_ref"] = json!("indicator--9de5af7f-f905-4feb-959c-73d0184b1c92"),
        "advisory_ref: \"indicator--9de5af7f-f905-4feb-959c-73d0184b1c92\" is a indicator identifier; expected x-shoal-advisory--<UUID>",
    );
    ack_rejects(
        |v| {
            v.as_object_mut().unwrap().remove("advisory_ref");
        },
        "advisory_ref: required property is missing",
    );
    ack_rejects(|v| v["member"] = json!("acme"), "member: unknown property");
    ack_rejects(
        |v| v["modified"] = json!("2026-11-26T09:00:00.000Z"),
        "not a valid STIX 2.1 object",
    );
    ack_rejects(
        |v| {
            v.as_object_mut().unwrap().remove("created");
        },
        "created: required property is missing",
    );
}

fn ack_with(status: AckStatus, created: &str, n: u8) -> Ack {
    let mut value = ack_json();
    value["status"] = json!(status.as_str());
    value["created"] = json!(created);
    value["modified"] = json!(created);
    value["id"] = json!(format!(
        "x-shoal-advisory-ack--c004074c-2653-453e-b00b-0e1d4950bc{n:02x}"
    ));
    Ack::from_object(&value).unwrap()
}

#[test]
fn transitions_only_move_forward() {
    use AckStatus::*;
    assert!(may_follow(Received, Assessing));
    assert!(may_follow(Received, Mitigated));
    assert!(may_follow(Received, NotAffected));
    assert!(may_follow(Assessing, Mitigated));
    assert!(may_follow(Assessing, NotAffected));
    for (prev, next) in [
        (Assessing, Received),
        (Mitigated, Assessing),
        (Mitigated, NotAffected),
        (NotAffected, Mitigated),
        (Received, Received),
    ] {
        assert!(!may_follow(prev, next), "{prev} -> {next}");
    }

    let advisory_id = "x-shoal-advisory--87ac376d-9528-46a4-80b4-8d3c4d210162";
    let mut book: AckBook<&str> = AckBook::new(advisory_id);
    assert!(book
        .record(
            "member-a",
            &ack_with(Received, "2026-11-26T08:10:00.000Z", 1)
        )
        .unwrap());
    assert!(book
        .record(
            "member-a",
            &ack_with(Assessing, "2026-11-26T09:00:00.000Z", 2)
        )
        .unwrap());
    let err = book
        .record(
            "member-a",
            &ack_with(Received, "2026-11-26T09:30:00.000Z", 3),
        )
        .unwrap_err();
    assert_eq!(
        err,
        AdvisoryError::Regression {
            from: Assessing,
            to: Received
        }
    );
    assert!(book
        .record(
            "member-a",
            &ack_with(Mitigated, "2026-11-26T12:00:00.000Z", 4)
        )
        .unwrap());
    assert!(book
        .record(
            "member-a",
            &ack_with(NotAffected, "2026-11-26T13:00:00.000Z", 5)
        )
        .is_err());
    let record = book.get(&"member-a").unwrap();
    assert_eq!(record.status, Mitigated);
    assert_eq!(record.first_at.as_str(), "2026-11-26T08:10:00.000Z");
    assert_eq!(record.updated_at.as_str(), "2026-11-26T12:00:00.000Z");
    assert!(record.ack_id.ends_with("bc04"));
    // A member's first ack may be final.
    assert!(book
        .record(
            "member-b",
            &ack_with(NotAffected, "2026-11-26T08:30:00.000Z", 6)
        )
        .unwrap());
    assert_eq!(book.len(), 2);

    // An ack for another advisory does not belong in this book.
    let mut other = ack_json();
    other["advisory_ref"] = json!("x-shoal-advisory--11111111-2222-4333-8444-555555555555");
    let other = Ack::from_object(&other).unwrap();
    assert!(matches!(
        book.record("member-c", &other),
        Err(AdvisoryError::OtherAdvisory { .. })
    ));
}

#[test]
fn reminders_for_critical_advisories_past_deadline() {
    let advisory = Advisory::from_object(&advisory_json()).unwrap();
    let deadline = advisory.deadline.unix_seconds();
    assert!(advisory.needs_reminders());
    let mut book: AckBook<&str> = AckBook::new(advisory.id.clone());
    book.record(
        "assessing",
        &ack_with(AckStatus::Assessing, "2026-11-26T09:00:00.000Z", 1),
    )
    .unwrap();
    book.record(
        "done",
        &ack_with(AckStatus::Mitigated, "2026-11-26T09:00:00.000Z", 2),
    )
    .unwrap();
    let members = ["assessing", "done", "silent"];
    assert!(book
        .overdue_members(&advisory, members, deadline)
        .is_empty());
    assert_eq!(
        book.overdue_members(&advisory, members, deadline + 1),
        ["assessing", "silent"]
    );
    assert!(is_overdue(&advisory, None, deadline + 1));
    assert!(!is_overdue(
        &advisory,
        Some(AckStatus::NotAffected),
        deadline + 1
    ));

    // Not critical, or revoked: no reminders.
    let mut high = advisory_json();
    high["severity"] = json!("high");
    let high = Advisory::from_object(&high).unwrap();
    assert!(!is_overdue(&high, None, deadline + 1));
    let mut revoked = advisory_json();
    revoked["revoked"] = json!(true);
    let revoked = Advisory::from_object(&revoked).unwrap();
    assert!(!is_overdue(&revoked, None, deadline + 1));

    // Drills are reminded like the real thing.
    let mut drill = advisory_json();
    drill["drill"] = json!(true);
    let drill = Advisory::from_object(&drill).unwrap();
    assert!(drill.drill && is_overdue(&drill, None, deadline + 1));
}

#[test]
fn arbitrary_values_never_panic() {
    let samples = [
        json!(null),
        json!(1),
        json!("x-shoal-advisory"),
        json!({"type": "x-shoal-advisory"}),
        json!({"type": "x-shoal-advisory-ack"}),
        json!({"type": "x-shoal-advisory", "playbook": {"workflow": {"start--x": 1}}}),
    ];
    for s in &samples {
        assert!(Advisory::from_object(s).is_err());
        assert!(Ack::from_object(s).is_err());
        assert!(validate_playbook(s).is_err());
    }
    let mut v = advisory_json();
    v["playbook"] = json!({"workflow": {"start--x": 1}});
    assert!(Advisory::from_object(&v).is_err());
}

// ---- desensitization ------------------------------------------------------------------

#[test]
fn notes_and_playbooks_survive_desensitization() {
    use shoal_crypto::{CryptoPan, PseudonymKey};
    use shoal_protocol::desensitize::{desensitize, leak_check, Actions, Keys, Policy};

    let policy = Policy::new(
        vec!["192.0.2.0/24".parse().unwrap()],
        vec!["corp.example.com".into()],
        vec!["Example Industrial Co".into()],
        vec![],
        Actions::default(),
        false,
        "identity--5a1e1b9c-0d2e-4f3a-8b4c-5d6e7f8a9b0c".into(),
    );
    let pan = CryptoPan::new(&[0x11; 32]);
    let key = PseudonymKey::derive(&[0x22; 32], 19_800);
    let keys = Keys {
        cryptopan: &pan,
        pseudonyms: &key,
    };

    let mut ack = ack_json();
    ack["note"] = json!(
        "Example Industrial Co: EWS at 192.0.2.15 (ews01.corp.example.com) reimaged, PLCs verified."
    );
    let mut advisory = advisory_json();
    advisory["playbook"]["workflow"][FW]["commands"][0]["command"] =
        json!("Block 203.0.113.45; ask admin@corp.example.com to check jump host 192.0.2.7.");
    let objects = vec![
        validate_object(ack, 0).unwrap(),
        validate_object(advisory, 1).unwrap(),
    ];
    let outcome = desensitize(objects, &policy, &keys);
    let kept: Vec<_> = outcome.kept().cloned().collect();
    assert_eq!(kept.len(), 2, "{:?}", outcome.dropped().collect::<Vec<_>>());
    for object in &kept {
        assert!(leak_check(object, &policy).is_ok(), "{object:?}");
        let text = serde_json::to_string(object).unwrap();
        for secret in [
            "192.0.2.15",
            "corp.example.com",
            "Example Industrial Co",
            "192.0.2.7",
        ] {
            assert!(!text.contains(secret), "{secret} survived in {text}");
        }
    }
    let ack = Ack::from_object(&kept[0].clone().into_value()).unwrap();
    assert!(ack.note.unwrap().contains("PLCs verified"));
    let advisory = Advisory::from_object(&kept[1].clone().into_value()).unwrap();
    assert!(advisory.playbook.is_some());
}
