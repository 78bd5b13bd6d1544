//! RFC 8785 JSON Canonicalization Scheme (JCS): the one byte encoding of a JSON value
//! that Shoal signs and hashes.
//!
//! * Object members are sorted by their names as arrays of UTF-16 code units (§3.2.3).
//! * No insignificant whitespace; strings use the minimal escaping of §3.2.2.2
//!   (`\"`, `\\`, `\b`, `\t`, `\n`, `\f`, `\r`, other controls as lowercase `\u00xx`,
//!   everything else verbatim UTF-8).
//! * Numbers are serialised as IEEE-754 doubles with ECMAScript's `Number.prototype.toString`
//!   (§3.2.2.3), via `ryu-js`; `-0` becomes `0`.
//!
//! # Integers beyond 2^53
//!
//! `serde_json` keeps integer literals as exact `u64`/`i64`, but RFC 8785 serialises every
//! number as a double. Converting silently would rewrite signed data (a byte count of
//! `9007199254740993` would be published as `9007199254740992`), so this module **rejects**
//! an integer unless serialising it as a double reproduces exactly its own decimal text
//! ([`JcsError::InexactInteger`]). Every integer of magnitude up to 2^53 passes, as do
//! larger ones that are already in ECMAScript form (e.g. `10000000000000000000`). This keeps
//! canonicalisation idempotent: canonical text always re-canonicalises to itself.
//!
//! Non-finite numbers cannot occur in a `serde_json::Value`, but are still rejected
//! ([`JcsError::NonFinite`]) should a future representation allow them. Nesting deeper than
//! [`MAX_DEPTH`] is rejected instead of recursing without bound.

use serde_json::{Map, Number, Value};

/// Deepest nesting of arrays and objects [`canonicalize`] accepts.
pub const MAX_DEPTH: usize = 128;

/// Why a value has no RFC 8785 canonical form here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JcsError {
    /// NaN or an infinity: RFC 8785 §3.2.2.3 forbids them.
    #[error("number {0} is not finite; RFC 8785 forbids NaN and infinities")]
    NonFinite(String),
    /// An integer that an IEEE double cannot carry without changing its decimal text.
    #[error("integer {0} cannot be represented exactly as an IEEE-754 double (RFC 8785 numbers are doubles)")]
    InexactInteger(String),
    /// Arrays/objects nested deeper than [`MAX_DEPTH`].
    #[error("JSON nesting deeper than {max} levels")]
    TooDeep {
        /// The limit that was exceeded.
        max: usize,
    },
}

/// The RFC 8785 canonical UTF-8 bytes of `value`.
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, JcsError> {
    let mut out = Vec::new();
    write_value(&mut out, value, 0)?;
    Ok(out)
}

/// The RFC 8785 canonical bytes of a JSON object given as its member map.
pub fn canonicalize_object(map: &Map<String, Value>) -> Result<Vec<u8>, JcsError> {
    let mut out = Vec::new();
    write_object(&mut out, map, 0)?;
    Ok(out)
}

/// The RFC 8785 (ECMAScript) text of a finite double.
pub fn format_f64(f: f64) -> Result<String, JcsError> {
    if !f.is_finite() {
        return Err(JcsError::NonFinite(f.to_string()));
    }
    if f == 0.0 {
        // Covers -0.0, which ECMAScript prints as "0".
        return Ok("0".to_owned());
    }
    Ok(ryu_js::Buffer::new().format_finite(f).to_owned())
}

fn write_value(out: &mut Vec<u8>, value: &Value, depth: usize) -> Result<(), JcsError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(format_number(n)?.as_bytes()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            let depth = deeper(depth)?;
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, depth)?;
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(out, map, depth)?,
    }
    Ok(())
}

fn write_object(out: &mut Vec<u8>, map: &Map<String, Value>, depth: usize) -> Result<(), JcsError> {
    let depth = deeper(depth)?;
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    out.push(b'{');
    for (i, (name, item)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(out, name);
        out.push(b':');
        write_value(out, item, depth)?;
    }
    out.push(b'}');
    Ok(())
}

fn deeper(depth: usize) -> Result<usize, JcsError> {
    let next = depth.saturating_add(1);
    if next > MAX_DEPTH {
        return Err(JcsError::TooDeep { max: MAX_DEPTH });
    }
    Ok(next)
}

fn format_number(n: &Number) -> Result<String, JcsError> {
    if let Some(u) = n.as_u64() {
        return exact_integer(u.to_string(), u as f64);
    }
    if let Some(i) = n.as_i64() {
        return exact_integer(i.to_string(), i as f64);
    }
    match n.as_f64() {
        Some(f) => format_f64(f),
        None => Err(JcsError::NonFinite(n.to_string())),
    }
}

/// Accept an integer only if its double's ECMAScript text is the integer's own text.
fn exact_integer(text: String, as_double: f64) -> Result<String, JcsError> {
    let formatted = format_f64(as_double)?;
    if formatted == text {
        Ok(formatted)
    } else {
        Err(JcsError::InexactInteger(text))
    }
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0d => out.extend_from_slice(b"\\r"),
            0x00..=0x1f => {
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
            }
            // Multi-byte UTF-8 sequences pass through byte by byte unchanged.
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon_str(v: &Value) -> String {
        String::from_utf8(canonicalize(v).unwrap()).unwrap()
    }

    /// RFC 8785 §3.2.3: sorting of property names by UTF-16 code units.
    #[test]
    fn rfc8785_sorting_example() {
        let input: Value = serde_json::from_str(
            r#"{
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }"#,
        )
        .unwrap();
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
            \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
            \"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canon_str(&input), expected);
    }

    /// RFC 8785 §3.2.2: the worked example of primitive serialisation.
    #[test]
    fn rfc8785_primitives_example() {
        let input: Value = serde_json::from_str(
            r#"{
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }"#,
        )
        .unwrap();
        let expected = "{\"literals\":[null,true,false],\
            \"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\
            \"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        assert_eq!(canon_str(&input), expected);
    }

    /// RFC 8785 Appendix B: number serialisation samples (IEEE-754 bits -> JSON text).
    #[test]
    fn rfc8785_appendix_b_numbers() {
        let samples: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for &(bits, text) in samples {
            let f = f64::from_bits(bits);
            assert_eq!(format_f64(f).unwrap(), text, "bits {bits:016x}");
            let v = Value::Number(Number::from_f64(f).unwrap());
            assert_eq!(canon_str(&v), text, "bits {bits:016x}");
        }
        // The samples RFC 8785 marks as errors.
        assert!(matches!(
            format_f64(f64::from_bits(0x7fffffffffffffff)),
            Err(JcsError::NonFinite(_))
        ));
        assert!(matches!(
            format_f64(f64::from_bits(0x7ff0000000000000)),
            Err(JcsError::NonFinite(_))
        ));
    }

    #[test]
    fn string_escaping_is_minimal() {
        let s = "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}\u{2028}\"\\/é";
        assert_eq!(
            canon_str(&json!(s)),
            "\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \u{7f}\u{2028}\\\"\\\\/é\""
        );
    }

    #[test]
    fn large_integers_are_rejected_unless_exact() {
        assert_eq!(canon_str(&json!(9007199254740992u64)), "9007199254740992");
        assert_eq!(canon_str(&json!(-9007199254740992i64)), "-9007199254740992");
        assert_eq!(
            canon_str(&json!(10000000000000000000u64)),
            "10000000000000000000"
        );
        assert_eq!(
            canonicalize(&json!(9007199254740993u64)),
            Err(JcsError::InexactInteger("9007199254740993".into()))
        );
        assert!(canonicalize(&json!(u64::MAX)).is_err());
        assert!(canonicalize(&json!(i64::MIN)).is_err());
        assert!(canonicalize(&json!(1152921504606846976u64)).is_err());
    }

    #[test]
    fn whitespace_and_nesting() {
        let v: Value =
            serde_json::from_str(r#" { "b" : [ 1 , { "d":1, "c":2 } ], "a" : {} } "#).unwrap();
        assert_eq!(canon_str(&v), r#"{"a":{},"b":[1,{"c":2,"d":1}]}"#);
    }

    #[test]
    fn depth_is_bounded() {
        let mut v = json!(1);
        for _ in 0..MAX_DEPTH {
            v = json!([v]);
        }
        assert!(canonicalize(&v).is_ok());
        let v = json!([v]);
        assert_eq!(canonicalize(&v), Err(JcsError::TooDeep { max: MAX_DEPTH }));
    }
}
