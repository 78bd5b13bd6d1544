//! Step 4 without copies: when an object turns out invalid only after scrubbing, the
//! round is repeated from the scrubbed content of every other object (restored from its
//! output), so that references to the dropped object go too — and the objects that come
//! through untouched are the very objects given.

use serde_json::{json, Value};
use shoal_crypto::{CryptoPan, PseudonymKey};

use super::*;
use crate::stix::validate_object;

const NODE: &str = "identity--5a1e1b9c-0d2e-4f3a-8b4c-5d6e7f8a9b0c";
const MEMBER: &str = "identity--e31ab643-c44f-4a0e-8824-b59d1194d60d";
const INDICATOR: &str = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const MALWARE: &str = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b";
const REPORT: &str = "report--84f20cef-c3c0-4a2a-972d-4a6603a82e84";

fn object(v: Value) -> StixObject {
    validate_object(v, 0).unwrap()
}

fn input() -> Vec<StixObject> {
    let t23 = "2023-05-01T00:00:00.000Z";
    vec![
        object(
            json!({"type": "identity", "spec_version": "2.1", "id": MEMBER,
            "created": t23, "modified": t23, "name": "Example Industrial Co"}),
        ),
        // Its timestamps hold the canary: redacted, it is no longer valid STIX.
        object(
            json!({"type": "indicator", "spec_version": "2.1", "id": INDICATOR,
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '203.0.113.5']", "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z"}),
        ),
        object(
            json!({"type": "malware", "spec_version": "2.1", "id": MALWARE,
            "created": t23, "modified": t23, "name": "x", "is_family": false}),
        ),
        object(
            json!({"type": "report", "spec_version": "2.1", "id": REPORT,
            "created": t23, "modified": t23, "name": "r", "published": t23,
            "created_by_ref": MEMBER, "object_refs": [INDICATOR, MALWARE]}),
        ),
    ]
}

fn run(input: Vec<StixObject>) -> Outcome {
    let policy = Policy::new(
        vec![],
        vec![],
        vec!["Example Industrial Co".into()],
        vec!["2024".into()],
        Actions::default(),
        false,
        NODE.into(),
    );
    let pan = CryptoPan::new(&[1; 32]);
    let key = PseudonymKey::derive(&[2; 32], 1);
    desensitize(
        input,
        &policy,
        &Keys {
            cryptopan: &pan,
            pseudonyms: &key,
        },
    )
}

#[test]
fn a_repeated_round_starts_from_the_scrubbed_content() {
    let given = input();
    let outcome = run(given.clone());
    let dropped: Vec<&str> = outcome.dropped().map(|d| d.reason.as_str()).collect();
    assert_eq!(dropped.len(), 2, "{dropped:?}");
    assert!(dropped
        .iter()
        .any(|r| r.contains("no longer be a valid STIX object")));
    let kept: Vec<&StixObject> = outcome.kept().collect();
    assert_eq!(kept.len(), 2);
    // The malware came through untouched: exactly as given.
    assert_eq!(kept[0].json(), given[2].json());
    // The report: its creator is the node, and the dropped indicator is gone from its
    // references (learnt in the second round).
    let report = kept[1].json();
    assert_eq!(report["created_by_ref"], json!(NODE));
    assert_eq!(report["object_refs"], json!([MALWARE]));
    assert!(outcome
        .changes
        .iter()
        .any(|c| c.path == "object_refs[0]" && c.action == Action::Drop));
    // And it is stable.
    let again = run(given);
    assert_eq!(again.changes, outcome.changes);
    let again_kept: Vec<&StixObject> = again.kept().collect();
    assert_eq!(again_kept, kept);
}
