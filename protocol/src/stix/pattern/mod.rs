//! STIX Patterning (STIX 2.1 §9): validate an indicator's `pattern` when its
//! `pattern_type` is `stix`, or parse it into an [`ast::Pattern`].
//!
//! Supported: observation expressions in `[ ]` joined by `AND`, `OR`, `FOLLOWEDBY` and
//! parenthesised; qualifiers `WITHIN n SECONDS`, `REPEATS n TIMES`, `START t'…' STOP t'…'`;
//! comparisons `=`/`==`, `!=`/`<>`, `>`, `<`, `>=`, `<=`, `IN`, `LIKE`, `MATCHES`,
//! `ISSUBSET`, `ISSUPERSET` (each optionally preceded by `NOT`) and `EXISTS`, joined by
//! `AND`/`OR` with parentheses; object paths such as `file:hashes.'SHA-256'`,
//! `network-traffic:extensions.'http-request-ext'.request_method`, `x:list[*]`, `x:list[0]`;
//! string, integer, float, boolean, `b'…'` (base64), `h'…'` (hex) and `t'…'` literals.
//! Semantic checks: qualifier values positive, `START` before `STOP`, string-only operators
//! take strings, ordering operators do not take booleans. `MATCHES` regular expressions
//! are not compiled.

pub mod ast;
mod lexer;
mod parser;
pub mod print;

pub use parser::MAX_NESTING;

/// Why a pattern does not parse. Offsets are byte offsets into the pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// A character that starts no token.
    #[error("unexpected character {ch:?} at offset {offset}")]
    UnexpectedChar {
        /// Byte offset.
        offset: usize,
        /// The character.
        ch: char,
    },
    /// A string, literal or comment that never closes.
    #[error("unterminated {what} starting at offset {offset}")]
    Unterminated {
        /// Byte offset of its start.
        offset: usize,
        /// What was left open.
        what: &'static str,
    },
    /// A malformed literal.
    #[error("invalid literal at offset {offset}: {reason}")]
    InvalidLiteral {
        /// Byte offset.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A token where the grammar does not allow it.
    #[error("unexpected {found} at offset {offset}; expected {expected}")]
    Unexpected {
        /// Byte offset.
        offset: usize,
        /// What was found.
        found: String,
        /// What the grammar wanted.
        expected: &'static str,
    },
    /// The pattern ends too early.
    #[error("pattern ends early; expected {expected}")]
    UnexpectedEnd {
        /// What the grammar wanted.
        expected: &'static str,
    },
    /// A malformed object path.
    #[error("invalid object path at offset {offset}: {reason}")]
    InvalidPath {
        /// Byte offset.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A qualifier with an impossible value.
    #[error("invalid qualifier at offset {offset}: {reason}")]
    InvalidQualifier {
        /// Byte offset.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// Brackets/parentheses nested deeper than [`MAX_NESTING`].
    #[error("pattern nests deeper than {max} levels at offset {offset}")]
    TooDeep {
        /// Byte offset.
        offset: usize,
        /// The limit.
        max: usize,
    },
}

/// Parse a STIX pattern into its syntax tree.
pub fn parse(pattern: &str) -> Result<ast::Pattern, PatternError> {
    parser::parse(pattern)
}

/// Check that `pattern` is a valid STIX 2.1 pattern.
pub fn validate(pattern: &str) -> Result<(), PatternError> {
    parse(pattern).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::ast::*;
    use super::*;

    #[test]
    fn spec_style_patterns_parse() {
        for p in [
            "[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
            "[url:value = 'http://x4z9arb.cn/4712/']",
            "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
            "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
            "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
            "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
            "[network-traffic:extensions.'http-request-ext'.request_method = 'POST'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
            "[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
            "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32'] AND [file:size > 1048576] OR [x509-certificate:issuer NOT LIKE 'CN=%']",
            "[network-traffic:dst_port IN (80, 443, 8080)] AND [file:mime_type NOT IN ('a', 'b')]",
            "[user-account:account_type = 'unix' AND user-account:extensions.'unix-account-ext'.groups ISSUPERSET 'wheel']",
            "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
            "[file:content_ref.payload_bin = b'dGhpcyBpcyBhIHRlc3Q='] OR [artifact:payload_bin = h'0badcafe']",
            "[process:opened_connection_refs[0].dst_port >= 1024 AND process:pid != -1 AND process:x_score <= 1.5]",
            "[windows-registry-key:values[*].name = 'x' AND EXISTS windows-registry-key:key]",
            "[file:created = t'2016-01-01T00:00:00.123Z'] AND [x-custom-obj:is_bad = true]",
            "(([a-b:c = 1] AND [a-b:d = 2]) OR [a-b:e = 3]) FOLLOWEDBY ([x-y:z == 'q'] WITHIN 0.5 SECONDS)",
            "[file:name <> 'x' AND (file:size < 10 OR file:size > 100)]",
        ] {
            assert!(validate(p).is_ok(), "{p}: {:?}", validate(p));
        }
    }

    #[test]
    fn precedence_and_shape() {
        let p = parse(
            "[a-b:c = 1] OR [a-b:c = 2] AND [a-b:c = 3] FOLLOWEDBY [a-b:c = 4] WITHIN 5 SECONDS",
        )
        .unwrap();
        let ObservationExpr::FollowedBy(parts) = p.expr else {
            panic!()
        };
        assert_eq!(parts.len(), 2);
        assert!(
            matches!(&parts[0], ObservationExpr::Or(items) if items.len() == 2 && matches!(items[1], ObservationExpr::And(_)))
        );
        assert!(
            matches!(&parts[1], ObservationExpr::Qualified { qualifiers, .. } if qualifiers == &[Qualifier::Within { seconds: 5.0 }])
        );

        let p = parse("[file:hashes.'SHA-256'[*] NOT = 'x']").unwrap();
        let ObservationExpr::Observation(ComparisonExpr::Test(c)) = p.expr else {
            panic!()
        };
        assert_eq!(c.path.object_type, "file");
        assert_eq!(
            c.path.steps,
            vec![
                PathStep::Key("hashes".into()),
                PathStep::Key("SHA-256".into()),
                PathStep::AnyIndex
            ]
        );
        assert!(c.negated);
        assert_eq!(c.op, CmpOp::Eq);
        assert_eq!(c.value, Operand::Literal(Literal::String("x".into())));
    }

    #[test]
    fn invalid_patterns_are_rejected() {
        for p in [
            "",
            "file:name = 'x'",
            "[file:name = 'x'",
            "[file:name = 'x']]",
            "[file:name 'x']",
            "[file:name = ]",
            "[file = 'x']",
            "[file:name = 'x' AND]",
            "[file:name = 'x'] AND",
            "[file:name = 'x'] WITHIN SECONDS",
            "[file:name = 'x'] WITHIN 0 SECONDS",
            "[file:name = 'x'] WITHIN -5 SECONDS",
            "[file:name = 'x'] REPEATS 0 TIMES",
            "[file:name = 'x'] REPEATS 1.5 TIMES",
            "[file:name = 'x'] START t'2016-07-01T00:00:00Z' STOP t'2016-06-01T00:00:00Z'",
            "[file:name = 'x'] START '2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
            "[file:size > true]",
            "[file:name LIKE 5]",
            "[file:name IN 'x']",
            "[file:name IN ('x',)]",
            "[file:name = 'x'] and [file:name = 'y']",
            "[file:hashes.SHA-256 = 'x']",
            "[file:list[x] = 1]",
            "[File:name = 'x']",
            "[file:name = t'2016-13-01T00:00:00Z']",
            "[file:name = \"x\"]",
            "[EXISTS]",
            "[]",
            "()",
        ] {
            assert!(validate(p).is_err(), "{p} should be rejected");
        }
    }

    #[test]
    fn long_qualifier_runs_stay_flat() {
        let p = format!("[a-b:c = 1]{}", " REPEATS 2 TIMES".repeat(100_000));
        let ObservationExpr::Qualified { qualifiers, .. } = parse(&p).unwrap().expr else {
            panic!()
        };
        assert_eq!(qualifiers.len(), 100_000);
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!(
            "{}[a-b:c = 1]{}",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert!(matches!(validate(&deep), Err(PatternError::TooDeep { .. })));
        let ok = format!(
            "{}[a-b:c = 1]{}",
            "(".repeat(MAX_NESTING - 2),
            ")".repeat(MAX_NESTING - 2)
        );
        assert!(validate(&ok).is_ok());
        let deep_cmp = format!(
            "[{}a-b:c = 1{}]",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert!(matches!(
            validate(&deep_cmp),
            Err(PatternError::TooDeep { .. })
        ));
    }
}
