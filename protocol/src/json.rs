//! Strict JSON reading for untrusted bytes: RFC 8259 syntax via `serde_json`, plus two
//! I-JSON (RFC 7493) rules that signed data needs — no duplicate member names (which value
//! would a signature cover?) and a nesting limit enforced while parsing, so nothing later
//! recurses without bound.

use std::cell::RefCell;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why bytes are not acceptable JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Not well-formed JSON (or not UTF-8), with the 1-based position `serde_json` reports.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line (0 if unknown).
        line: usize,
        /// 1-based column (0 if unknown).
        column: usize,
        /// What the parser found wrong.
        message: String,
    },
    /// An object names the same member twice.
    #[error("duplicate member name {key:?} at line {line}, column {column}")]
    DuplicateKey {
        /// The repeated name.
        key: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// Arrays/objects nested deeper than allowed.
    #[error("JSON nesting deeper than {max} levels")]
    TooDeep {
        /// The limit that was exceeded.
        max: usize,
    },
}

enum Failure {
    Duplicate(String),
    TooDeep,
}

struct Ctx {
    max_depth: usize,
    failure: RefCell<Option<Failure>>,
}

/// Parse `bytes` as one JSON value, rejecting duplicate member names, nesting deeper than
/// `max_depth` (arrays and objects count one level each) and trailing non-whitespace.
pub fn parse_strict(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    let ctx = Ctx {
        max_depth,
        failure: RefCell::new(None),
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = Seed {
        ctx: &ctx,
        depth: 0,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    result.map_err(|e| {
        let (line, column) = (e.line(), e.column());
        match ctx.failure.borrow_mut().take() {
            Some(Failure::Duplicate(key)) => JsonError::DuplicateKey { key, line, column },
            Some(Failure::TooDeep) => JsonError::TooDeep { max: max_depth },
            None => {
                let full = e.to_string();
                let suffix = format!(" at line {line} column {column}");
                let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
                JsonError::Syntax {
                    line,
                    column,
                    message,
                }
            }
        }
    })
}

struct Seed<'a> {
    ctx: &'a Ctx,
    depth: usize,
}

impl Seed<'_> {
    fn child<E: de::Error>(&self) -> Result<Seed<'_>, E> {
        let depth = self.depth.saturating_add(1);
        if depth > self.ctx.max_depth {
            *self.ctx.failure.borrow_mut() = Some(Failure::TooDeep);
            return Err(E::custom("nesting too deep"));
        }
        Ok(Seed {
            ctx: self.ctx,
            depth,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // One number, one representation: `1.0`, `1e3` and `1` are the same JSON number
        // (RFC 8785 prints them alike), so an integral value within the exactly
        // representable range becomes an integer. Without this a value read as `8.82e14`
        // would be a float here and an integer once canonicalised and read back.
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
        if v.fract() == 0.0 && v.abs() <= EXACT {
            // In range and integral: the conversion is exact. `-0.0` becomes `0`.
            #[allow(clippy::cast_possible_truncation)]
            let i = v as i64;
            return Ok(Value::Number(i.into()));
        }
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let child = self.child()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Seed {
            ctx: child.ctx,
            depth: child.depth,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let child = self.child()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                *self.ctx.failure.borrow_mut() = Some(Failure::Duplicate(key));
                return Err(de::Error::custom("duplicate member name"));
            }
            let value = access.next_value_seed(Seed {
                ctx: child.ctx,
                depth: child.depth,
            })?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ordinary_json() {
        let v = parse_strict(br#"{"a":[1,2.5,"x",null,true],"b":{}}"#, 8).unwrap();
        assert_eq!(v, serde_json::json!({"a":[1,2.5,"x",null,true],"b":{}}));
    }

    #[test]
    fn integral_numbers_have_one_representation() {
        let v = parse_strict(br#"[1.0, 8.82e14, -0.0, 2.5, 1e300, 1e16]"#, 8).unwrap();
        assert_eq!(v[0], serde_json::json!(1));
        assert!(v[0].is_i64());
        assert_eq!(v[1], serde_json::json!(882_000_000_000_000_i64));
        assert!(v[1].is_i64());
        assert!(v[2].is_i64());
        assert!(v[3].is_f64());
        // Beyond 2^53 an integral float stays a float: not every integer there is exact.
        assert!(v[4].is_f64());
        assert!(v[5].is_f64());
        // What it prints reads back as the same value.
        let again = parse_strict(v.to_string().as_bytes(), 8).unwrap();
        assert_eq!(again, v);
    }

    #[test]
    fn rejects_duplicates() {
        let e = parse_strict(b"{\"a\":1,\n\"a\":2}", 8).unwrap_err();
        assert!(
            matches!(e, JsonError::DuplicateKey { ref key, line: 2, .. } if key == "a"),
            "{e:?}"
        );
    }

    #[test]
    fn rejects_deep_nesting() {
        assert!(parse_strict(b"[[[1]]]", 3).is_ok());
        assert_eq!(
            parse_strict(b"[[[[1]]]]", 3),
            Err(JsonError::TooDeep { max: 3 })
        );
    }

    #[test]
    fn reports_position_of_syntax_errors() {
        match parse_strict(b"{\n  \"a\": tru }", 8) {
            Err(JsonError::Syntax {
                line: 2,
                column,
                message,
            }) => {
                assert!(column > 0);
                assert!(!message.contains("at line"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_strict(b"{} x", 8),
            Err(JsonError::Syntax { .. })
        ));
        assert!(matches!(
            parse_strict(b"\"\\ud800\"", 8),
            Err(JsonError::Syntax { .. })
        ));
    }
}
