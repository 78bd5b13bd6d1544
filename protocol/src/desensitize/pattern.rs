//! Indicator patterns. A STIX pattern is parsed; every comparison whose value (or
//! object path) is sensitive is removed — a pseudonymised value would match nothing real,
//! and a Crypto-PAn image may be someone else's real address, so detection content never
//! carries pseudonyms — unless the class's action is `drop`, which drops the indicator.
//! `IN` sets lose only their sensitive members. Emptied expressions disappear with them;
//! an indicator left with nothing is dropped, never published empty. A pattern that needs
//! no change keeps its original text byte for byte; a changed one is printed back
//! ([`crate::stix::pattern::print`]) and re-parsed to prove it valid.
//!
//! Patterns of other languages (Snort, YARA, Sigma, ...) cannot be rewritten safely: one
//! holding any sensitive value drops its indicator.

use serde_json::{Map, Value};

use super::policy::{Action, Class};
use super::walk::{DropReason, Walker};
use crate::stix::pattern::ast::{
    CmpOp, Comparison, ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operand, PathStep,
};
use crate::stix::pattern::{self};

/// What became of an indicator's pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PatternOutcome {
    /// Nothing sensitive: keep the original text.
    Unchanged,
    /// Some comparisons were removed: the new text.
    Rewritten(String),
    /// The indicator must go.
    Dropped(DropReason),
}

/// For paths whose values are sensitive whatever they look like (an e-mail address, a
/// MAC, a user name), the class of their exact values.
fn exact_class(path: &ObjectPath) -> Option<Class> {
    let keys: Vec<&str> = path
        .steps
        .iter()
        .filter_map(|s| match s {
            PathStep::Key(k) => Some(k.as_str()),
            _ => None,
        })
        .collect();
    let last = keys.last().copied()?;
    let via_ref = keys.len() > 1
        && keys
            .iter()
            .take(keys.len().saturating_sub(1))
            .any(|k| k.ends_with("_ref") || k.ends_with("_refs"));
    match (path.object_type.as_str(), last) {
        ("email-addr", "value") if keys.len() == 1 => Some(Class::Email),
        ("mac-addr", "value") if keys.len() == 1 => Some(Class::Mac),
        ("email-addr", "display_name") => Some(Class::UserName),
        ("user-account", "user_id" | "account_login" | "display_name" | "credential") => {
            Some(Class::UserName)
        }
        ("email-message", "value") if via_ref => Some(Class::Email),
        ("email-message", "display_name") if via_ref => Some(Class::UserName),
        (_, "account_login" | "user_id" | "credential") if via_ref => Some(Class::UserName),
        _ => None,
    }
}

/// Rewrites one pattern, recording removals.
struct Rewriter<'w, 's, 'l> {
    walker: &'w mut Walker<'s, 'l>,
    removed: Vec<Class>,
}

impl Rewriter<'_, '_, '_> {
    /// A sensitive value of `class`: remove it (Ok) or drop the indicator (Err).
    fn sensitive(&mut self, class: Class) -> Result<(), DropReason> {
        let action = self.walker.scrub.policy.action_for(class);
        if action == Action::Drop {
            return Err(self.walker.drop_for("pattern", class, action));
        }
        self.walker.record("pattern", class, Action::Redact);
        self.removed.push(class);
        Ok(())
    }

    fn literal_class(&self, exact: Option<Class>, op: CmpOp, lit: &Literal) -> Option<Class> {
        let Literal::String(s) = lit else {
            return None;
        };
        match exact {
            Some(class) if matches!(op, CmpOp::Eq | CmpOp::In) && !s.is_empty() => Some(class),
            _ => self.walker.scrub.detect(s),
        }
    }

    fn path_class(&self, path: &ObjectPath) -> Option<Class> {
        self.walker.scrub.detect(&path.object_type).or_else(|| {
            path.steps.iter().find_map(|s| match s {
                PathStep::Key(k) => self.walker.scrub.detect(k),
                _ => None,
            })
        })
    }

    fn test(&mut self, mut c: Comparison) -> Result<Option<Comparison>, DropReason> {
        if let Some(class) = self.path_class(&c.path) {
            self.sensitive(class)?;
            return Ok(None);
        }
        let exact = if c.negated {
            None
        } else {
            exact_class(&c.path)
        };
        match &mut c.value {
            Operand::Literal(lit) => {
                if let Some(class) = self.literal_class(exact, c.op, lit) {
                    self.sensitive(class)?;
                    return Ok(None);
                }
            }
            Operand::Set(items) => {
                if items.is_empty() {
                    return Ok(Some(c));
                }
                let mut kept = Vec::with_capacity(items.len());
                for lit in std::mem::take(items) {
                    match self.literal_class(exact, c.op, &lit) {
                        Some(class) => self.sensitive(class)?,
                        None => kept.push(lit),
                    }
                }
                if kept.is_empty() {
                    return Ok(None);
                }
                *items = kept;
            }
        }
        Ok(Some(c))
    }

    fn cmp(&mut self, expr: ComparisonExpr) -> Result<Option<ComparisonExpr>, DropReason> {
        Ok(match expr {
            ComparisonExpr::Test(c) => self.test(c)?.map(ComparisonExpr::Test),
            ComparisonExpr::Exists(path) => match self.path_class(&path) {
                Some(class) => {
                    self.sensitive(class)?;
                    None
                }
                None => Some(ComparisonExpr::Exists(path)),
            },
            ComparisonExpr::And(items) => self.cmp_list(items, ComparisonExpr::And)?,
            ComparisonExpr::Or(items) => self.cmp_list(items, ComparisonExpr::Or)?,
        })
    }

    fn cmp_list(
        &mut self,
        items: Vec<ComparisonExpr>,
        node: fn(Vec<ComparisonExpr>) -> ComparisonExpr,
    ) -> Result<Option<ComparisonExpr>, DropReason> {
        let mut kept = Vec::with_capacity(items.len());
        for item in items {
            if let Some(item) = self.cmp(item)? {
                kept.push(item);
            }
        }
        Ok(collapse(kept, node))
    }

    fn obs(&mut self, expr: ObservationExpr) -> Result<Option<ObservationExpr>, DropReason> {
        Ok(match expr {
            ObservationExpr::Observation(c) => self.cmp(c)?.map(ObservationExpr::Observation),
            ObservationExpr::And(items) => self.obs_list(items, ObservationExpr::And)?,
            ObservationExpr::Or(items) => self.obs_list(items, ObservationExpr::Or)?,
            ObservationExpr::FollowedBy(items) => {
                self.obs_list(items, ObservationExpr::FollowedBy)?
            }
            ObservationExpr::Qualified { expr, qualifiers } => {
                self.obs(*expr)?.map(|e| ObservationExpr::Qualified {
                    expr: Box::new(e),
                    qualifiers,
                })
            }
        })
    }

    fn obs_list(
        &mut self,
        items: Vec<ObservationExpr>,
        node: fn(Vec<ObservationExpr>) -> ObservationExpr,
    ) -> Result<Option<ObservationExpr>, DropReason> {
        let mut kept = Vec::with_capacity(items.len());
        for item in items {
            if let Some(item) = self.obs(item)? {
                kept.push(item);
            }
        }
        Ok(collapse(kept, node))
    }
}

/// None for no items, the item for one, the n-ary node for several.
fn collapse<T>(mut items: Vec<T>, node: fn(Vec<T>) -> T) -> Option<T> {
    match items.len() {
        0 => None,
        1 => items.pop(),
        _ => Some(node(items)),
    }
}

fn classes_text(classes: &[Class]) -> String {
    let mut names: Vec<&str> = classes.iter().map(|c| c.as_str()).collect();
    names.dedup();
    names.join(", ")
}

impl Walker<'_, '_> {
    /// Desensitize the `pattern` of an indicator.
    pub(crate) fn scrub_pattern(&mut self, map: &Map<String, Value>) -> PatternOutcome {
        let Some(text) = map.get("pattern").and_then(Value::as_str) else {
            return PatternOutcome::Unchanged;
        };
        if map.get("pattern_type").and_then(Value::as_str) != Some("stix") {
            return match self.scrub.detect(text) {
                None => PatternOutcome::Unchanged,
                Some(class) => {
                    self.record("pattern", class, Action::Drop);
                    PatternOutcome::Dropped(DropReason::Other(format!(
                        "its non-STIX pattern holds sensitive values ({})",
                        class.as_str()
                    )))
                }
            };
        }
        let Ok(ast) = pattern::parse(text) else {
            return PatternOutcome::Dropped(DropReason::Other(
                "its pattern does not parse".to_owned(),
            ));
        };
        let mut rewriter = Rewriter {
            walker: self,
            removed: Vec::new(),
        };
        let result = rewriter.obs(ast.expr);
        let removed = rewriter.removed;
        let expr = match result {
            Err(reason) => return PatternOutcome::Dropped(reason),
            Ok(None) => {
                if let Some(first) = removed.first() {
                    self.record("pattern", *first, Action::Drop);
                }
                return PatternOutcome::Dropped(DropReason::Other(format!(
                    "its pattern holds only sensitive values ({})",
                    classes_text(&removed)
                )));
            }
            Ok(Some(expr)) => expr,
        };
        // Nothing removed and nothing sensitive anywhere in the text (comments included):
        // the original text stays, byte for byte.
        let text_class = self.scrub.detect(text);
        if removed.is_empty() && text_class.is_none() {
            return PatternOutcome::Unchanged;
        }
        let printed = pattern::ast::Pattern { expr }.to_string();
        if let Some(class) = self.scrub.detect(&printed) {
            self.record("pattern", class, Action::Drop);
            return PatternOutcome::Dropped(DropReason::Other(format!(
                "its pattern holds sensitive values that cannot be removed ({})",
                class.as_str()
            )));
        }
        if removed.is_empty() {
            // Only a comment was sensitive: it is gone with the reprint.
            self.record(
                "pattern",
                text_class.unwrap_or(Class::Canary),
                Action::Redact,
            );
        }
        if pattern::validate(&printed).is_ok() {
            PatternOutcome::Rewritten(printed)
        } else {
            PatternOutcome::Dropped(DropReason::Other(
                "its rewritten pattern would not be valid".to_owned(),
            ))
        }
    }
}
