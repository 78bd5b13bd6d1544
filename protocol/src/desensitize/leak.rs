//! The final check on the exact object about to be signed: every string and every
//! dictionary key, at any depth, is searched for internal addresses (IPv4/IPv6, also
//! zero-padded or as networks), internal domains, the member's organisation names and
//! canary strings — case-insensitively, and again with backslashes removed so that
//! escaped text (`corp\.example\.com`) is caught too. The first hit blocks the publish
//! with a [`Leak`] naming the object and the JSON path; the value itself never appears.
//!
//! Organisation names are not searched in `identity` objects when the policy shares the
//! member's identity.

use serde_json::Value;

use super::policy::{Class, Policy};
use super::report::{join_hidden_key, join_index, join_key};
use super::text::{leak_class, Matchers};
use crate::stix::StixObject;

/// A sensitive value found in an object about to be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{class:?} found in {object} at {path}; the publish is blocked")]
pub struct Leak {
    /// The object's id.
    pub object: String,
    /// JSON path of the property (a sensitive dictionary key shows as `{key}`; empty
    /// when the policy itself could not be compiled).
    pub path: String,
    /// What kind of value was found.
    pub class: Class,
}

/// Final check on the exact object about to be signed (internal IPs in any string,
/// internal domains, organisation names, canaries; case-insensitive for
/// names/domains/canaries).
pub fn leak_check(object: &StixObject, policy: &Policy) -> Result<(), Leak> {
    let leak = |path: String, class: Class| Leak {
        object: object.id().to_owned(),
        path,
        class,
    };
    // Fail closed: a policy that cannot be compiled blocks everything.
    let matchers = Matchers::for_policy(policy).map_err(|_| leak(String::new(), Class::Canary))?;
    let orgs = !(policy.share_member_identity && object.object_type() == "identity");
    let check = |s: &str| leak_class(s, policy, &matchers, orgs);
    // Depth-first with an explicit stack: no recursion, whatever the nesting. Paths are
    // kept as links into `steps` and written out only for a leak.
    let mut steps: Vec<Step<'_>> = Vec::new();
    let mut stack: Vec<(Option<usize>, &Value)> = Vec::new();
    for (key, value) in object.json().iter().rev() {
        stack.push((Some(steps.len()), value));
        steps.push(Step {
            parent: None,
            seg: Seg::Top(key),
        });
    }
    // Top-level keys: checked as keys of the root.
    for key in object.json().keys() {
        if let Some(class) = check(key) {
            return Err(leak(join_hidden_key(""), class));
        }
    }
    while let Some((at, value)) = stack.pop() {
        match value {
            Value::String(s) => {
                if let Some(class) = check(s) {
                    return Err(leak(render(&steps, at), class));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((Some(steps.len()), item));
                    steps.push(Step {
                        parent: at,
                        seg: Seg::Index(i),
                    });
                }
            }
            Value::Object(map) => {
                for key in map.keys() {
                    if let Some(class) = check(key) {
                        return Err(leak(join_hidden_key(&render(&steps, at)), class));
                    }
                }
                for (key, item) in map.iter().rev() {
                    stack.push((Some(steps.len()), item));
                    steps.push(Step {
                        parent: at,
                        seg: Seg::Key(key),
                    });
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    Ok(())
}

/// One step of a JSON path: a property or a list index, under its parent step.
struct Step<'a> {
    parent: Option<usize>,
    seg: Seg<'a>,
}

enum Seg<'a> {
    /// A property of the object itself: the path starts with its bare name.
    Top(&'a str),
    Key(&'a str),
    Index(usize),
}

/// The JSON path ending at step `at` (`None`: the root), as [`join_key`] and
/// [`join_index`] write it.
fn render(steps: &[Step<'_>], at: Option<usize>) -> String {
    let mut chain = Vec::new();
    let mut next = at;
    while let Some(step) = next.and_then(|i| steps.get(i)) {
        chain.push(&step.seg);
        next = step.parent;
    }
    let mut path = String::new();
    for seg in chain.iter().rev() {
        path = match seg {
            Seg::Top(key) => (*key).to_owned(),
            Seg::Key(key) => join_key(&path, key),
            Seg::Index(i) => join_index(&path, *i),
        };
    }
    path
}

#[cfg(test)]
mod tests;
