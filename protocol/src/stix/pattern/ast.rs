//! The syntax tree of a STIX 2.1 pattern (§9): observation expressions joined by
//! `AND`/`OR`/`FOLLOWEDBY` and qualified by `WITHIN`/`REPEATS`/`START…STOP`, each holding
//! comparison expressions over object paths.

use crate::stix::timestamp::Timestamp;

/// A whole pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// The top-level observation expression.
    pub expr: ObservationExpr,
}

/// An observation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservationExpr {
    /// `[ comparison ]`.
    Observation(ComparisonExpr),
    /// `a AND b AND …` (two or more).
    And(Vec<ObservationExpr>),
    /// `a OR b OR …` (two or more).
    Or(Vec<ObservationExpr>),
    /// `a FOLLOWEDBY b FOLLOWEDBY …` (two or more).
    FollowedBy(Vec<ObservationExpr>),
    /// An expression with one or more qualifiers, applied in order (kept flat so that a
    /// long run of qualifiers cannot build a deep tree).
    Qualified {
        /// The qualified expression.
        expr: Box<ObservationExpr>,
        /// The qualifiers, innermost first (at least one).
        qualifiers: Vec<Qualifier>,
    },
}

/// An observation qualifier.
#[derive(Debug, Clone, PartialEq)]
pub enum Qualifier {
    /// `WITHIN n SECONDS` (n > 0).
    Within {
        /// The window in seconds.
        seconds: f64,
    },
    /// `REPEATS n TIMES` (n > 0).
    Repeats {
        /// How many times.
        times: u64,
    },
    /// `START t'…' STOP t'…'` (start before stop).
    StartStop {
        /// Window start.
        start: Timestamp,
        /// Window end.
        stop: Timestamp,
    },
}

/// A comparison expression inside `[ ]`.
#[derive(Debug, Clone, PartialEq)]
pub enum ComparisonExpr {
    /// A single test.
    Test(Comparison),
    /// `EXISTS path`.
    Exists(ObjectPath),
    /// `a AND b AND …` (two or more).
    And(Vec<ComparisonExpr>),
    /// `a OR b OR …` (two or more).
    Or(Vec<ComparisonExpr>),
}

/// `path [NOT] op value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The tested property.
    pub path: ObjectPath,
    /// Whether `NOT` precedes the operator.
    pub negated: bool,
    /// The operator.
    pub op: CmpOp,
    /// The right-hand side.
    pub value: Operand,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=` or `==`.
    Eq,
    /// `!=` or `<>`.
    Ne,
    /// `>`.
    Gt,
    /// `<`.
    Lt,
    /// `>=`.
    Ge,
    /// `<=`.
    Le,
    /// `IN`.
    In,
    /// `LIKE`.
    Like,
    /// `MATCHES`.
    Matches,
    /// `ISSUBSET`.
    IsSubset,
    /// `ISSUPERSET`.
    IsSuperset,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A single literal.
    Literal(Literal),
    /// `( lit, lit, … )` for `IN`.
    Set(Vec<Literal>),
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'` (escapes resolved).
    String(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `b'base64'` (the base64 text).
    Binary(String),
    /// `h'hex'` (the hex digits).
    Hex(String),
    /// `t'timestamp'`.
    Timestamp(Timestamp),
}

/// `type:property.sub[0].'quoted key'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    /// The SCO type, e.g. `file`.
    pub object_type: String,
    /// The property steps (at least one).
    pub steps: Vec<PathStep>,
}

/// One step of an object path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// A property or dictionary key.
    Key(String),
    /// `[n]` (negative counts from the end).
    Index(i64),
    /// `[*]`.
    AnyIndex,
}
