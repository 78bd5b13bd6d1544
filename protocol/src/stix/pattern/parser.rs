//! Recursive-descent parser for the STIX Patterning grammar (`STIXPattern.g4`), with the
//! grammar's precedence: in observation expressions `AND` binds tighter than `OR`, which
//! binds tighter than `FOLLOWEDBY`; inside `[ ]`, `AND` binds tighter than `OR`.
//! Nesting of brackets and parentheses is bounded by [`MAX_NESTING`].

use super::ast::{
    CmpOp, Comparison, ComparisonExpr, Literal, ObjectPath, ObservationExpr, Operand, PathStep,
    Pattern, Qualifier,
};
use super::lexer::{tokenize, Keyword, Op, Tok, Token};
use super::PatternError;
use crate::stix::ident;

/// Deepest nesting of `[ ]` and `( )` accepted.
pub const MAX_NESTING: usize = 64;

/// Parse a complete pattern.
pub(crate) fn parse(src: &str) -> Result<Pattern, PatternError> {
    let tokens = tokenize(src)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        end: src.len(),
    };
    let expr = parser.followed_by(0)?;
    if let Some(token) = parser.tokens.get(parser.pos) {
        return Err(PatternError::Unexpected {
            offset: token.offset,
            found: token.kind.describe(),
            expected: "end of pattern",
        });
    }
    Ok(Pattern { expr })
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.kind)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |t| t.offset)
    }

    fn next(&mut self, expected: &'static str) -> Result<Token, PatternError> {
        let token = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or(PatternError::UnexpectedEnd { expected })?;
        self.pos = self.pos.saturating_add(1);
        Ok(token)
    }

    fn unexpected(&self, expected: &'static str) -> PatternError {
        match self.tokens.get(self.pos) {
            Some(t) => PatternError::Unexpected {
                offset: t.offset,
                found: t.kind.describe(),
                expected,
            },
            None => PatternError::UnexpectedEnd { expected },
        }
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos = self.pos.saturating_add(1);
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &Tok, expected: &'static str) -> Result<(), PatternError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn eat_keyword(&mut self, kw: Keyword) -> bool {
        self.eat(&Tok::Keyword(kw))
    }

    fn nest(&self, depth: usize) -> Result<usize, PatternError> {
        let depth = depth.saturating_add(1);
        if depth > MAX_NESTING {
            return Err(PatternError::TooDeep {
                offset: self.offset(),
                max: MAX_NESTING,
            });
        }
        Ok(depth)
    }

    // ---- observation expressions -------------------------------------------------------

    fn followed_by(&mut self, depth: usize) -> Result<ObservationExpr, PatternError> {
        let mut items = vec![self.obs_or(depth)?];
        while self.eat_keyword(Keyword::FollowedBy) {
            items.push(self.obs_or(depth)?);
        }
        Ok(collapse(items, ObservationExpr::FollowedBy))
    }

    fn obs_or(&mut self, depth: usize) -> Result<ObservationExpr, PatternError> {
        let mut items = vec![self.obs_and(depth)?];
        while self.eat_keyword(Keyword::Or) {
            items.push(self.obs_and(depth)?);
        }
        Ok(collapse(items, ObservationExpr::Or))
    }

    fn obs_and(&mut self, depth: usize) -> Result<ObservationExpr, PatternError> {
        let mut items = vec![self.obs_qualified(depth)?];
        while self.eat_keyword(Keyword::And) {
            items.push(self.obs_qualified(depth)?);
        }
        Ok(collapse(items, ObservationExpr::And))
    }

    fn obs_qualified(&mut self, depth: usize) -> Result<ObservationExpr, PatternError> {
        let expr = self.obs_primary(depth)?;
        let mut qualifiers = Vec::new();
        while let Some(qualifier) = self.qualifier()? {
            qualifiers.push(qualifier);
        }
        if qualifiers.is_empty() {
            Ok(expr)
        } else {
            Ok(ObservationExpr::Qualified {
                expr: Box::new(expr),
                qualifiers,
            })
        }
    }

    fn obs_primary(&mut self, depth: usize) -> Result<ObservationExpr, PatternError> {
        let depth = self.nest(depth)?;
        if self.eat(&Tok::LBrack) {
            let cmp = self.cmp_or(depth)?;
            self.expect(&Tok::RBrack, "']' closing the observation expression")?;
            Ok(ObservationExpr::Observation(cmp))
        } else if self.eat(&Tok::LParen) {
            let inner = self.followed_by(depth)?;
            self.expect(&Tok::RParen, "')'")?;
            Ok(inner)
        } else {
            Err(self.unexpected("'[' or '(' starting an observation expression"))
        }
    }

    fn qualifier(&mut self) -> Result<Option<Qualifier>, PatternError> {
        let offset = self.offset();
        let invalid = |reason: &str| PatternError::InvalidQualifier {
            offset,
            reason: reason.to_owned(),
        };
        if self.eat_keyword(Keyword::Within) {
            let seconds = match self.next("a number of seconds")?.kind {
                Tok::Int(n) => n as f64,
                Tok::Float(f) => f,
                _ => return Err(invalid("WITHIN takes a number of seconds")),
            };
            if seconds <= 0.0 {
                return Err(invalid("WITHIN must be a positive number of seconds"));
            }
            if !self.eat_keyword(Keyword::Seconds) {
                return Err(self.unexpected("SECONDS"));
            }
            Ok(Some(Qualifier::Within { seconds }))
        } else if self.eat_keyword(Keyword::Repeats) {
            let times = match self.next("a repeat count")?.kind {
                Tok::Int(n) if n > 0 => n.unsigned_abs(),
                _ => return Err(invalid("REPEATS takes a positive integer")),
            };
            if !self.eat_keyword(Keyword::Times) {
                return Err(self.unexpected("TIMES"));
            }
            Ok(Some(Qualifier::Repeats { times }))
        } else if self.eat_keyword(Keyword::Start) {
            let Tok::Timestamp(start) = self.next("a t'…' timestamp")?.kind else {
                return Err(invalid("START takes a t'…' timestamp"));
            };
            if !self.eat_keyword(Keyword::Stop) {
                return Err(self.unexpected("STOP"));
            }
            let Tok::Timestamp(stop) = self.next("a t'…' timestamp")?.kind else {
                return Err(invalid("STOP takes a t'…' timestamp"));
            };
            if stop <= start {
                return Err(invalid("STOP must be later than START"));
            }
            Ok(Some(Qualifier::StartStop { start, stop }))
        } else {
            Ok(None)
        }
    }

    // ---- comparison expressions --------------------------------------------------------

    fn cmp_or(&mut self, depth: usize) -> Result<ComparisonExpr, PatternError> {
        let mut items = vec![self.cmp_and(depth)?];
        while self.eat_keyword(Keyword::Or) {
            items.push(self.cmp_and(depth)?);
        }
        Ok(collapse(items, ComparisonExpr::Or))
    }

    fn cmp_and(&mut self, depth: usize) -> Result<ComparisonExpr, PatternError> {
        let mut items = vec![self.cmp_primary(depth)?];
        while self.eat_keyword(Keyword::And) {
            items.push(self.cmp_primary(depth)?);
        }
        Ok(collapse(items, ComparisonExpr::And))
    }

    fn cmp_primary(&mut self, depth: usize) -> Result<ComparisonExpr, PatternError> {
        if self.eat(&Tok::LParen) {
            let inner = self.cmp_or(self.nest(depth)?)?;
            self.expect(&Tok::RParen, "')'")?;
            return Ok(inner);
        }
        if self.eat_keyword(Keyword::Exists) {
            return Ok(ComparisonExpr::Exists(self.object_path()?));
        }
        let path = self.object_path()?;
        let negated = self.eat_keyword(Keyword::Not);
        let op_offset = self.offset();
        let op = match self.next("a comparison operator")?.kind {
            Tok::Op(Op::Eq) => CmpOp::Eq,
            Tok::Op(Op::Ne) => CmpOp::Ne,
            Tok::Op(Op::Gt) => CmpOp::Gt,
            Tok::Op(Op::Lt) => CmpOp::Lt,
            Tok::Op(Op::Ge) => CmpOp::Ge,
            Tok::Op(Op::Le) => CmpOp::Le,
            Tok::Keyword(Keyword::In) => CmpOp::In,
            Tok::Keyword(Keyword::Like) => CmpOp::Like,
            Tok::Keyword(Keyword::Matches) => CmpOp::Matches,
            Tok::Keyword(Keyword::IsSubset) => CmpOp::IsSubset,
            Tok::Keyword(Keyword::IsSuperset) => CmpOp::IsSuperset,
            other => {
                return Err(PatternError::Unexpected {
                    offset: op_offset,
                    found: other.describe(),
                    expected: "a comparison operator",
                })
            }
        };
        let value = self.operand(op)?;
        Ok(ComparisonExpr::Test(Comparison {
            path,
            negated,
            op,
            value,
        }))
    }

    fn operand(&mut self, op: CmpOp) -> Result<Operand, PatternError> {
        let offset = self.offset();
        if op == CmpOp::In {
            self.expect(&Tok::LParen, "'(' starting the IN set")?;
            let mut items = Vec::new();
            if !self.eat(&Tok::RParen) {
                loop {
                    items.push(self.literal(true)?);
                    if self.eat(&Tok::RParen) {
                        break;
                    }
                    self.expect(&Tok::Comma, "',' or ')' in the IN set")?;
                }
            }
            return Ok(Operand::Set(items));
        }
        let literal = self.literal(matches!(op, CmpOp::Eq | CmpOp::Ne))?;
        let string_only = matches!(
            op,
            CmpOp::Like | CmpOp::Matches | CmpOp::IsSubset | CmpOp::IsSuperset
        );
        if string_only && !matches!(literal, Literal::String(_)) {
            return Err(PatternError::InvalidLiteral {
                offset,
                reason: format!("{op:?} takes a string literal"),
            });
        }
        Ok(Operand::Literal(literal))
    }

    fn literal(&mut self, allow_bool: bool) -> Result<Literal, PatternError> {
        let token = self.next("a literal")?;
        Ok(match token.kind {
            Tok::Str(s) => Literal::String(s),
            Tok::Int(n) => Literal::Int(n),
            Tok::Float(f) => Literal::Float(f),
            Tok::Binary(b) => Literal::Binary(b),
            Tok::Hex(h) => Literal::Hex(h),
            Tok::Timestamp(t) => Literal::Timestamp(t),
            Tok::Bool(b) if allow_bool => Literal::Bool(b),
            other => {
                return Err(PatternError::Unexpected {
                    offset: token.offset,
                    found: other.describe(),
                    expected: if allow_bool {
                        "a literal"
                    } else {
                        "an orderable literal (not a boolean)"
                    },
                })
            }
        })
    }

    /// `type ':' first ( '.' key | '[' index ']' )*`.
    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let offset = self.offset();
        let Tok::Ident(object_type) = self.next("an object type")?.kind else {
            return Err(PatternError::Unexpected {
                offset,
                found: "something else".to_owned(),
                expected: "an object path such as file:name",
            });
        };
        ident::check_type_name(&object_type).map_err(|e| PatternError::InvalidPath {
            offset,
            reason: e.0,
        })?;
        self.expect(&Tok::Colon, "':' after the object type")?;
        let mut steps = vec![PathStep::Key(self.path_key()?)];
        loop {
            if self.eat(&Tok::Dot) {
                steps.push(PathStep::Key(self.path_key()?));
            } else if self.peek() == Some(&Tok::LBrack) {
                self.pos = self.pos.saturating_add(1);
                let index_offset = self.offset();
                let step = match self.next("a list index")?.kind {
                    Tok::Star => PathStep::AnyIndex,
                    Tok::Int(n) => PathStep::Index(n),
                    _ => {
                        return Err(PatternError::InvalidPath {
                            offset: index_offset,
                            reason: "list indexes are integers or *".to_owned(),
                        })
                    }
                };
                self.expect(&Tok::RBrack, "']' closing the list index")?;
                steps.push(step);
            } else {
                return Ok(ObjectPath { object_type, steps });
            }
        }
    }

    /// A property name (identifier without hyphens) or a quoted key.
    fn path_key(&mut self) -> Result<String, PatternError> {
        let token = self.next("a property name")?;
        match token.kind {
            Tok::Ident(name) if !name.contains('-') => Ok(name),
            Tok::Ident(name) => Err(PatternError::InvalidPath {
                offset: token.offset,
                reason: format!("property {name:?} contains '-'; quote it as '{name}'"),
            }),
            Tok::Str(key) => Ok(key),
            other => Err(PatternError::Unexpected {
                offset: token.offset,
                found: other.describe(),
                expected: "a property name",
            }),
        }
    }
}

/// One item stays itself; several become the n-ary node.
fn collapse<T>(mut items: Vec<T>, node: fn(Vec<T>) -> T) -> T {
    if items.len() == 1 {
        if let Some(only) = items.pop() {
            return only;
        }
    }
    node(items)
}
