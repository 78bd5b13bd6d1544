//! Tokens of the STIX Patterning grammar (the OASIS `STIXPattern.g4` lexer rules):
//! keywords, identifiers, quoted and prefixed literals (`b'…'`, `h'…'`, `t'…'`), numbers,
//! operators and punctuation. Whitespace and `/* */` / `//` comments are skipped.

use super::PatternError;
use crate::stix::ident;
use crate::stix::timestamp::Timestamp;

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub offset: usize,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Binary(String),
    Hex(String),
    Timestamp(Timestamp),
    Keyword(Keyword),
    Op(Op),
    LBrack,
    RBrack,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
}

/// Reserved words (uppercase only, as in the grammar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
    Last,
}

/// Symbolic comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Tok {
    /// A short description for error messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("identifier {s:?}"),
            Tok::Str(_) => "string literal".to_owned(),
            Tok::Int(n) => format!("integer {n}"),
            Tok::Float(f) => format!("float {f}"),
            Tok::Bool(b) => format!("{b}"),
            Tok::Binary(_) => "binary literal".to_owned(),
            Tok::Hex(_) => "hex literal".to_owned(),
            Tok::Timestamp(_) => "timestamp literal".to_owned(),
            Tok::Keyword(k) => format!("{k:?}").to_uppercase(),
            Tok::Op(op) => format!("operator {op:?}"),
            Tok::LBrack => "'['".to_owned(),
            Tok::RBrack => "']'".to_owned(),
            Tok::LParen => "'('".to_owned(),
            Tok::RParen => "')'".to_owned(),
            Tok::Colon => "':'".to_owned(),
            Tok::Dot => "'.'".to_owned(),
            Tok::Comma => "','".to_owned(),
            Tok::Star => "'*'".to_owned(),
        }
    }
}

/// Split `src` into tokens.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, PatternError> {
    let mut lexer = Lexer { src, pos: 0 };
    let mut out = Vec::new();
    while let Some(token) = lexer.next_token()? {
        out.push(token);
    }
    Ok(out)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.advance(c.len_utf8());
        Some(c)
    }

    fn skip_trivia(&mut self) -> Result<(), PatternError> {
        loop {
            let rest = self.rest();
            if let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
                self.advance(c.len_utf8());
            } else if rest.starts_with("/*") {
                let end =
                    rest.get(2..)
                        .and_then(|r| r.find("*/"))
                        .ok_or(PatternError::Unterminated {
                            offset: self.pos,
                            what: "comment",
                        })?;
                self.advance(end.saturating_add(4));
            } else if rest.starts_with("//") {
                self.advance(rest.find(['\r', '\n']).unwrap_or(rest.len()));
            } else {
                return Ok(());
            }
        }
    }

    fn next_token(&mut self) -> Result<Option<Token>, PatternError> {
        self.skip_trivia()?;
        let offset = self.pos;
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let single = |kind: Tok| Some(Token { kind, offset });
        let kind = match c {
            '[' => single(Tok::LBrack),
            ']' => single(Tok::RBrack),
            '(' => single(Tok::LParen),
            ')' => single(Tok::RParen),
            ':' => single(Tok::Colon),
            ',' => single(Tok::Comma),
            '*' => single(Tok::Star),
            _ => None,
        };
        if let Some(token) = kind {
            self.advance(1);
            return Ok(Some(token));
        }
        let kind = match c {
            '\'' => Tok::Str(self.quoted()?),
            'b' | 'h' | 't' if self.peek2() == Some('\'') => self.prefixed(c)?,
            '=' | '!' | '<' | '>' => Tok::Op(self.operator()?),
            '.' if !self.peek2().is_some_and(|d| d.is_ascii_digit()) => {
                self.advance(1);
                Tok::Dot
            }
            '+' | '-' | '.' | '0'..='9' => self.number()?,
            c if c.is_ascii_alphabetic() || c == '_' => self.word(),
            other => return Err(PatternError::UnexpectedChar { offset, ch: other }),
        };
        Ok(Some(Token { kind, offset }))
    }

    /// `'…'` with only `\'` and `\\` escapes.
    fn quoted(&mut self) -> Result<String, PatternError> {
        let start = self.pos;
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(PatternError::Unterminated {
                        offset: start,
                        what: "string literal",
                    })
                }
                Some('\'') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some(c @ ('\'' | '\\')) => out.push(c),
                    _ => {
                        return Err(PatternError::InvalidLiteral {
                            offset: start,
                            reason: "only \\' and \\\\ escapes are allowed in strings".to_owned(),
                        })
                    }
                },
                Some(c) => out.push(c),
            }
        }
    }

    /// `b'…'`, `h'…'`, `t'…'`.
    fn prefixed(&mut self, prefix: char) -> Result<Tok, PatternError> {
        let offset = self.pos;
        self.bump();
        let body = self.quoted()?;
        let invalid = |reason: String| PatternError::InvalidLiteral { offset, reason };
        match prefix {
            'b' => {
                ident::check_base64(&body)
                    .map_err(|e| invalid(format!("binary literal: {}", e.0)))?;
                Ok(Tok::Binary(body))
            }
            'h' => {
                ident::check_hex(&body).map_err(|e| invalid(format!("hex literal: {}", e.0)))?;
                Ok(Tok::Hex(body))
            }
            _ => Timestamp::parse(&body)
                .map(Tok::Timestamp)
                .map_err(|e| invalid(format!("timestamp literal: {e}"))),
        }
    }

    fn operator(&mut self) -> Result<Op, PatternError> {
        let offset = self.pos;
        let two = self.rest().get(..2).unwrap_or_default();
        let (op, len) = match two {
            "==" => (Op::Eq, 2),
            "!=" | "<>" => (Op::Ne, 2),
            "<=" => (Op::Le, 2),
            ">=" => (Op::Ge, 2),
            _ => match self.peek() {
                Some('=') => (Op::Eq, 1),
                Some('<') => (Op::Lt, 1),
                Some('>') => (Op::Gt, 1),
                _ => return Err(PatternError::UnexpectedChar { offset, ch: '!' }),
            },
        };
        self.advance(len);
        Ok(op)
    }

    /// `[+-]? digits` or `[+-]? digits? '.' digits`; integers have no leading zeros.
    fn number(&mut self) -> Result<Tok, PatternError> {
        let offset = self.pos;
        let rest = self.rest();
        let sign_len = usize::from(rest.starts_with(['+', '-']));
        let body = rest.get(sign_len..).unwrap_or_default();
        let int_len = body.bytes().take_while(u8::is_ascii_digit).count();
        let after_int = body.get(int_len..).unwrap_or_default();
        let frac_len = match after_int.strip_prefix('.') {
            Some(f) => f.bytes().take_while(u8::is_ascii_digit).count(),
            None => 0,
        };
        let invalid = |reason: &str| PatternError::InvalidLiteral {
            offset,
            reason: reason.to_owned(),
        };
        if frac_len > 0 {
            let len = sign_len
                .saturating_add(int_len)
                .saturating_add(1)
                .saturating_add(frac_len);
            let text = rest.get(..len).unwrap_or_default();
            self.advance(len);
            let f: f64 = text.parse().map_err(|_| invalid("malformed float"))?;
            return if f.is_finite() {
                Ok(Tok::Float(f))
            } else {
                Err(invalid("float out of range"))
            };
        }
        if int_len == 0 {
            return Err(invalid("expected digits"));
        }
        let digits = body.get(..int_len).unwrap_or_default();
        if int_len > 1 && digits.starts_with('0') {
            return Err(invalid("integers must not have leading zeros"));
        }
        let len = sign_len.saturating_add(int_len);
        let text = rest.get(..len).unwrap_or_default();
        self.advance(len);
        text.parse::<i64>()
            .map(Tok::Int)
            .map_err(|_| invalid("integer out of range"))
    }

    /// Identifiers (`[A-Za-z_][A-Za-z0-9_-]*`), keywords and `true`/`false`.
    fn word(&mut self) -> Tok {
        let rest = self.rest();
        let len = rest
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
            .count();
        let word = rest.get(..len).unwrap_or_default();
        self.advance(len);
        let keyword = match word {
            "AND" => Keyword::And,
            "OR" => Keyword::Or,
            "NOT" => Keyword::Not,
            "FOLLOWEDBY" => Keyword::FollowedBy,
            "LIKE" => Keyword::Like,
            "MATCHES" => Keyword::Matches,
            "ISSUPERSET" => Keyword::IsSuperset,
            "ISSUBSET" => Keyword::IsSubset,
            "EXISTS" => Keyword::Exists,
            "IN" => Keyword::In,
            "START" => Keyword::Start,
            "STOP" => Keyword::Stop,
            "SECONDS" => Keyword::Seconds,
            "WITHIN" => Keyword::Within,
            "REPEATS" => Keyword::Repeats,
            "TIMES" => Keyword::Times,
            "LAST" => Keyword::Last,
            "true" => return Tok::Bool(true),
            "false" => return Tok::Bool(false),
            _ => return Tok::Ident(word.to_owned()),
        };
        Tok::Keyword(keyword)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokenize(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            kinds("[file:hashes.'SHA-256' = 'ab\\'c'] /* c */ AND // x\n [x:y != -1.5]"),
            vec![
                Tok::LBrack,
                Tok::Ident("file".into()),
                Tok::Colon,
                Tok::Ident("hashes".into()),
                Tok::Dot,
                Tok::Str("SHA-256".into()),
                Tok::Op(Op::Eq),
                Tok::Str("ab'c".into()),
                Tok::RBrack,
                Tok::Keyword(Keyword::And),
                Tok::LBrack,
                Tok::Ident("x".into()),
                Tok::Colon,
                Tok::Ident("y".into()),
                Tok::Op(Op::Ne),
                Tok::Float(-1.5),
                Tok::RBrack,
            ]
        );
        assert_eq!(
            kinds("h'00ff' b'AAAA' .5 +3 <>"),
            vec![
                Tok::Hex("00ff".into()),
                Tok::Binary("AAAA".into()),
                Tok::Float(0.5),
                Tok::Int(3),
                Tok::Op(Op::Ne)
            ]
        );
    }

    #[test]
    fn bad_tokens() {
        for bad in [
            "'open",
            "h'0'",
            "b'A'",
            "t'2016'",
            "'\\n'",
            "/* open",
            "01",
            "#",
            "!",
            "99999999999999999999",
        ] {
            assert!(tokenize(bad).is_err(), "{bad}");
        }
    }
}
