//! Printing a pattern syntax tree back to STIX Patterning text, so that
//! `parse(print(ast)) == ast`: strings are re-escaped, property names that are not plain
//! identifiers (or are keywords) are quoted, floats always carry a decimal point, and
//! parentheses are added exactly where precedence or nesting needs them.
//!
//! Every node implements [`std::fmt::Display`]; `pattern.to_string()` prints a whole
//! pattern. Printing never fails.

use std::fmt::{self, Display, Formatter, Write};

use super::ast::{
    CmpOp, Comparison, ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operand, PathStep,
    Pattern, Qualifier,
};

/// Words the lexer reads as keywords or booleans, so property names spelt like them must
/// be quoted.
const RESERVED: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "LIKE",
    "MATCHES",
    "ISSUPERSET",
    "ISSUBSET",
    "EXISTS",
    "IN",
    "START",
    "STOP",
    "SECONDS",
    "WITHIN",
    "REPEATS",
    "TIMES",
    "LAST",
    "true",
    "false",
];

impl Display for Pattern {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

/// Binding strength of an observation expression (higher binds tighter).
fn obs_level(expr: &ObservationExpr) -> u8 {
    match expr {
        ObservationExpr::FollowedBy(_) => 0,
        ObservationExpr::Or(_) => 1,
        ObservationExpr::And(_) => 2,
        ObservationExpr::Qualified { .. } => 3,
        ObservationExpr::Observation(_) => 4,
    }
}

fn write_obs_operand(f: &mut Formatter<'_>, child: &ObservationExpr, min: u8) -> fmt::Result {
    if obs_level(child) < min {
        write!(f, "({child})")
    } else {
        write!(f, "{child}")
    }
}

fn write_joined_obs(
    f: &mut Formatter<'_>,
    items: &[ObservationExpr],
    op: &str,
    level: u8,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            write!(f, " {op} ")?;
        }
        // A child of the same kind must be parenthesised to stay a separate node.
        write_obs_operand(f, item, level.saturating_add(1))?;
    }
    Ok(())
}

impl Display for ObservationExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ObservationExpr::Observation(cmp) => write!(f, "[{cmp}]"),
            ObservationExpr::And(items) => write_joined_obs(f, items, "AND", 2),
            ObservationExpr::Or(items) => write_joined_obs(f, items, "OR", 1),
            ObservationExpr::FollowedBy(items) => write_joined_obs(f, items, "FOLLOWEDBY", 0),
            ObservationExpr::Qualified { expr, qualifiers } => {
                write_obs_operand(f, expr, 4)?;
                for q in qualifiers {
                    write!(f, " {q}")?;
                }
                Ok(())
            }
        }
    }
}

impl Display for Qualifier {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Qualifier::Within { seconds } => {
                // Whole seconds read back exactly as an integer (the parser widens it).
                if seconds.fract() == 0.0 && seconds.abs() < 9.0e15 {
                    write!(f, "WITHIN {} SECONDS", *seconds as i64)
                } else {
                    write!(f, "WITHIN {} SECONDS", Float(*seconds))
                }
            }
            Qualifier::Repeats { times } => write!(f, "REPEATS {times} TIMES"),
            Qualifier::StartStop { start, stop } => {
                write!(f, "START t'{}' STOP t'{}'", start.as_str(), stop.as_str())
            }
        }
    }
}

/// Binding strength of a comparison expression (higher binds tighter).
fn cmp_level(expr: &ComparisonExpr) -> u8 {
    match expr {
        ComparisonExpr::Or(_) => 0,
        ComparisonExpr::And(_) => 1,
        ComparisonExpr::Test(_) | ComparisonExpr::Exists(_) => 2,
    }
}

fn write_joined_cmp(
    f: &mut Formatter<'_>,
    items: &[ComparisonExpr],
    op: &str,
    level: u8,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            write!(f, " {op} ")?;
        }
        if cmp_level(item) <= level {
            write!(f, "({item})")?;
        } else {
            write!(f, "{item}")?;
        }
    }
    Ok(())
}

impl Display for ComparisonExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ComparisonExpr::Test(c) => c.fmt(f),
            ComparisonExpr::Exists(path) => write!(f, "EXISTS {path}"),
            ComparisonExpr::And(items) => write_joined_cmp(f, items, "AND", 1),
            ComparisonExpr::Or(items) => write_joined_cmp(f, items, "OR", 0),
        }
    }
}

impl Display for Comparison {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.path)?;
        if self.negated {
            f.write_str("NOT ")?;
        }
        write!(f, "{} {}", self.op, self.value)
    }
}

impl Display for CmpOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Gt => ">",
            CmpOp::Lt => "<",
            CmpOp::Ge => ">=",
            CmpOp::Le => "<=",
            CmpOp::In => "IN",
            CmpOp::Like => "LIKE",
            CmpOp::Matches => "MATCHES",
            CmpOp::IsSubset => "ISSUBSET",
            CmpOp::IsSuperset => "ISSUPERSET",
        })
    }
}

impl Display for Operand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Literal(lit) => lit.fmt(f),
            Operand::Set(items) => {
                f.write_char('(')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    item.fmt(f)?;
                }
                f.write_char(')')
            }
        }
    }
}

/// A float that always reads back as a float: Rust's shortest round-trip form (never
/// exponent notation) with `.0` added when it has no decimal point. Non-finite values
/// cannot occur in a parsed pattern and print as `0.0`.
struct Float(f64);

impl Display for Float {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if !self.0.is_finite() {
            return f.write_str("0.0");
        }
        let text = self.0.to_string();
        f.write_str(&text)?;
        if !text.contains('.') {
            f.write_str(".0")?;
        }
        Ok(())
    }
}

/// `'text'` with `\` and `'` escaped.
struct Quoted<'a>(&'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('\'')?;
        for c in self.0.chars() {
            if c == '\'' || c == '\\' {
                f.write_char('\\')?;
            }
            f.write_char(c)?;
        }
        f.write_char('\'')
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::String(s) => Quoted(s).fmt(f),
            Literal::Int(n) => write!(f, "{n}"),
            Literal::Float(x) => Float(*x).fmt(f),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Binary(b) => write!(f, "b'{b}'"),
            Literal::Hex(h) => write!(f, "h'{h}'"),
            Literal::Timestamp(t) => write!(f, "t'{}'", t.as_str()),
        }
    }
}

/// Whether a property name can be written bare: `[A-Za-z_][A-Za-z0-9_]*` and not a word
/// the lexer reserves.
fn is_bare_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.contains(&key)
}

impl Display for ObjectPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key(key) => {
                    if i > 0 {
                        f.write_char('.')?;
                    }
                    if is_bare_key(key) {
                        f.write_str(key)?;
                    } else {
                        Quoted(key).fmt(f)?;
                    }
                }
                PathStep::Index(n) => write!(f, "[{n}]")?,
                PathStep::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    #[test]
    fn prints_readably_and_round_trips() {
        for (src, printed) in [
            ("[ipv4-addr:value = '203.0.113.5']", "[ipv4-addr:value = '203.0.113.5']"),
            (
                "[file:hashes.'SHA-256' == 'ab\\'c\\\\']",
                "[file:hashes.'SHA-256' = 'ab\\'c\\\\']",
            ),
            (
                "([a-b:c = 1] OR [a-b:c = 2]) AND [a-b:d NOT IN (1, 2.5, 'x')] WITHIN 5 SECONDS",
                "([a-b:c = 1] OR [a-b:c = 2]) AND [a-b:d NOT IN (1, 2.5, 'x')] WITHIN 5 SECONDS",
            ),
            (
                "[x-y:list[*].'AND'[-1] > 1.5]",
                "[x-y:list[*].'AND'[-1] > 1.5]",
            ),
            (
                "([a-b:c = 1] REPEATS 2 TIMES) WITHIN 3 SECONDS",
                "([a-b:c = 1] REPEATS 2 TIMES) WITHIN 3 SECONDS",
            ),
            (
                "[(a-b:c = 1 OR a-b:c = 2) AND EXISTS a-b:d] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
                "[(a-b:c = 1 OR a-b:c = 2) AND EXISTS a-b:d] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
            ),
        ] {
            let ast = parse(src).unwrap();
            assert_eq!(ast.to_string(), printed, "{src}");
            assert_eq!(parse(&ast.to_string()).unwrap(), ast, "{src}");
        }
    }

    #[test]
    fn nested_same_kind_keeps_its_parentheses() {
        for src in [
            "([a-b:c = 1] AND [a-b:c = 2]) AND [a-b:c = 3]",
            "[(a-b:c = 1 AND a-b:c = 2) AND a-b:c = 3]",
            "([a-b:c = 1] FOLLOWEDBY [a-b:c = 2]) FOLLOWEDBY [a-b:c = 3]",
            "[a-b:c = 1.0] OR [a-b:c = -0.5] AND [a-b:c = 100000000000000000000.0]",
            "[a-b:'true' = true AND a-b:'9x' = b'AAAA' AND a-b:h = h'00ff']",
        ] {
            let ast = parse(src).unwrap();
            assert_eq!(parse(&ast.to_string()).unwrap(), ast, "{src} -> {ast}");
        }
    }
}
