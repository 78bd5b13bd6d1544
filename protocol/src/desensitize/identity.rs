//! The member's own STIX identity. Identity objects whose `name` is one of the member's
//! organisation names (ignoring case and spacing, optionally followed by a unit such as
//! `Example Industrial Co — SOC`), and every identity an object of the input names as its
//! `created_by_ref`, are the member's: unless the policy shares them they are dropped and
//! every reference to them (`created_by_ref`, `where_sighted_refs`, `object_refs`, ...)
//! points at the node's pseudonymous identity instead.
//!
//! `created_by_ref` of marking and extension definitions does not count: those are
//! normally third-party (OASIS) definitions shared as they are.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::policy::Policy;
use crate::stix::check_identifier;

fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Whether an identity's `name` names the member: one of its organisation names, alone
/// or followed by a separator and a unit ("Example Industrial Co SOC", "… — CERT",
/// "… (Poland)"), but not a longer word ("Example Industrial Colombia") nor a mention
/// ("Partner of Example Industrial Co").
pub(crate) fn names_member(name: &str, policy: &Policy) -> bool {
    let name = normalise(name);
    policy.organisation_names.iter().any(|org| {
        let org = normalise(org);
        !org.is_empty()
            && name.strip_prefix(org.as_str()).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with(|c: char| !c.is_alphanumeric())
            })
    })
}

/// Whether the policy's node identity is a usable `identity--<uuid>`.
pub(crate) fn node_identity_is_valid(policy: &Policy) -> bool {
    check_identifier(&policy.node_identity) == Ok("identity")
}

/// The ids of the member's identities among `objects` (none when the policy shares them).
pub(crate) fn member_identities<'a>(
    objects: impl Iterator<Item = &'a Map<String, Value>> + Clone,
    policy: &Policy,
) -> HashSet<String> {
    let mut ids = HashSet::new();
    if policy.share_member_identity {
        return ids;
    }
    let str_of = |map: &'a Map<String, Value>, key: &str| map.get(key).and_then(Value::as_str);
    for map in objects.clone() {
        let object_type = str_of(map, "type").unwrap_or_default();
        if object_type == "identity" {
            let named = str_of(map, "name").is_some_and(|n| names_member(n, policy));
            if let (true, Some(id)) = (named, str_of(map, "id")) {
                ids.insert(id.to_owned());
            }
        }
        if !matches!(object_type, "marking-definition" | "extension-definition") {
            if let Some(creator) = str_of(map, "created_by_ref") {
                ids.insert(creator.to_owned());
            }
        }
    }
    ids.remove(&policy.node_identity);
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desensitize::policy::Actions;
    use serde_json::json;

    #[test]
    fn finds_the_member() {
        let node = "identity--11111111-1111-4111-8111-111111111111";
        let policy = Policy::new(
            vec![],
            vec![],
            vec!["Example Industrial Co".into()],
            vec![],
            Actions::default(),
            false,
            node.into(),
        );
        let objects: Vec<Map<String, Value>> = [
            json!({"type": "identity", "id": "identity--a", "name": "EXAMPLE INDUSTRIAL CO SOC"}),
            json!({"type": "identity", "id": "identity--b", "name": "ACME Bank"}),
            json!({"type": "indicator", "id": "indicator--c", "created_by_ref": "identity--d"}),
            json!({"type": "indicator", "id": "indicator--e", "created_by_ref": node}),
            json!({"type": "marking-definition", "id": "marking-definition--f", "created_by_ref": "identity--oasis"}),
        ]
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        let ids = member_identities(objects.iter(), &policy);
        let mut ids: Vec<_> = ids.into_iter().collect();
        ids.sort();
        assert_eq!(ids, ["identity--a", "identity--d"]);
        assert!(node_identity_is_valid(&policy));
        for (name, member) in [
            ("Example Industrial Co", true),
            ("  example   INDUSTRIAL co ", true),
            ("Example Industrial Co — SOC", true),
            ("Example Industrial Co (Poland)", true),
            ("Example Industrial Colombia", false),
            ("Partner of Example Industrial Co", false),
        ] {
            assert_eq!(names_member(name, &policy), member, "{name}");
        }
        let shared = Policy {
            share_member_identity: true,
            ..policy
        };
        assert!(member_identities(objects.iter(), &shared).is_empty());
    }
}
