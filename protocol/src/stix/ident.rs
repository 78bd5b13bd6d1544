//! Lexical rules of STIX 2.1 names: object type names (§3.1 `type`), identifiers
//! (`<type>--<UUID>`, §2.9), property names (§3.1 / §11.1 custom properties), dictionary
//! keys (§2.7) and the small encodings (`_hex`, `_bin`, language tags) properties use.

/// Why a string is not a valid STIX identifier or name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NameError(pub String);

/// STIX object type names: 3–250 characters of `a-z`, `0-9` and `-`, starting with a letter,
/// not ending with `-`, never two hyphens in a row (so `<type>--<uuid>` splits unambiguously).
pub fn check_type_name(name: &str) -> Result<(), NameError> {
    let len = name.len();
    if !(3..=250).contains(&len) {
        return Err(NameError(format!(
            "type name {name:?} must be 3 to 250 characters long"
        )));
    }
    if !name
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err(NameError(format!(
            "type name {name:?} may only contain a-z, 0-9 and '-'"
        )));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) || name.ends_with('-') {
        return Err(NameError(format!(
            "type name {name:?} must start with a letter and not end with '-'"
        )));
    }
    if double_hyphen(name).is_some() {
        return Err(NameError(format!(
            "type name {name:?} must not contain \"--\""
        )));
    }
    Ok(())
}

/// Where the first `--` in `s` starts (a byte scan: cheaper than a substring search on
/// these short strings).
fn double_hyphen(s: &str) -> Option<usize> {
    s.as_bytes().windows(2).position(|w| w == b"--")
}

/// Split and check a STIX identifier `<type>--<UUID>`; returns the type part.
/// The UUID must be RFC 4122/9562 form: 8-4-4-4-12 hex digits, version 1–8, variant `10xx`.
pub fn check_identifier(id: &str) -> Result<&str, NameError> {
    let split =
        double_hyphen(id).and_then(|at| Some((id.get(..at)?, id.get(at.checked_add(2)?..)?)));
    let Some((object_type, uuid)) = split else {
        return Err(NameError(format!(
            "{id:?} is not an identifier of the form <type>--<UUID>"
        )));
    };
    check_type_name(object_type).map_err(|e| NameError(format!("identifier {id:?}: {}", e.0)))?;
    check_uuid(uuid).map_err(|e| NameError(format!("identifier {id:?}: {}", e.0)))?;
    Ok(object_type)
}

/// Check an RFC 4122 UUID in its 36-character text form (either hex case).
pub fn check_uuid(uuid: &str) -> Result<(), NameError> {
    let b = uuid.as_bytes();
    if b.len() != 36 {
        return Err(NameError(format!(
            "{uuid:?} is not a UUID (expected 36 characters)"
        )));
    }
    for (i, c) in b.iter().enumerate() {
        let ok = if matches!(i, 8 | 13 | 18 | 23) {
            *c == b'-'
        } else {
            c.is_ascii_hexdigit()
        };
        if !ok {
            return Err(NameError(format!(
                "{uuid:?} is not a UUID (expected 8-4-4-4-12 hex digits)"
            )));
        }
    }
    if !matches!(b.get(14), Some(b'1'..=b'8')) {
        return Err(NameError(format!(
            "{uuid:?} is not an RFC 4122 UUID (version must be 1 to 8)"
        )));
    }
    if !matches!(b.get(19), Some(b'8' | b'9' | b'a' | b'b' | b'A' | b'B')) {
        return Err(NameError(format!(
            "{uuid:?} is not an RFC 4122 UUID (variant bits must be 10)"
        )));
    }
    Ok(())
}

/// Top-level property names other than `id`: 3–250 characters of `a-z`, `0-9` and `_`,
/// starting with a letter (STIX 2.1 §3.1; custom properties §11.1, `x_` prefixes included).
pub fn check_property_name(name: &str) -> Result<(), NameError> {
    let valid = (3..=250).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
    if valid {
        Ok(())
    } else {
        Err(NameError(format!(
            "property name {name:?} must be 3 to 250 characters of a-z, 0-9 and '_', starting with a letter"
        )))
    }
}

/// Dictionary keys (§2.7): 1–250 ASCII characters of `a-z`, `A-Z`, `0-9`, `-` and `_`.
pub fn check_dictionary_key(key: &str) -> Result<(), NameError> {
    let valid = (1..=250).contains(&key.len())
        && key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
    if valid {
        Ok(())
    } else {
        Err(NameError(format!(
            "dictionary key {key:?} must be 1 to 250 characters of a-z, A-Z, 0-9, '-' and '_'"
        )))
    }
}

/// An RFC 5646 language tag, checked for shape: subtags of 1–8 letters/digits joined by
/// `-`, the first 2–8 letters (or `i`/`x` for the legacy and private-use forms).
pub fn check_language_tag(tag: &str) -> Result<(), NameError> {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or_default();
    let first_ok = ((2..=8).contains(&first.len())
        && first.bytes().all(|c| c.is_ascii_alphabetic()))
        || first.eq_ignore_ascii_case("i")
        || first.eq_ignore_ascii_case("x");
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric()));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(NameError(format!(
            "{tag:?} is not an RFC 5646 language tag"
        )))
    }
}

/// Hex-encoded binary (`_hex` properties): an even number of hex digits.
pub fn check_hex(s: &str) -> Result<(), NameError> {
    if s.len().is_multiple_of(2) && s.bytes().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(NameError(
            "expected an even number of hexadecimal digits".to_owned(),
        ))
    }
}

/// Base64-encoded binary (`_bin` properties, RFC 4648 §4 with padding).
pub fn check_base64(s: &str) -> Result<(), NameError> {
    let bad = || NameError("expected RFC 4648 base64 with padding".to_owned());
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return Err(bad());
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    if pad > 2 {
        return Err(bad());
    }
    let body = b.get(..b.len().saturating_sub(pad)).ok_or_else(bad)?;
    if body
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
    {
        Ok(())
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        for ok in [
            "indicator",
            "ipv4-addr",
            "x-acme-widget",
            "x509-certificate",
            "abc",
        ] {
            assert!(check_type_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "Indicator",
            "x--y",
            "-abc",
            "abc-",
            "1abc",
            "a_b_c",
            "ïndicator",
            &"a".repeat(251),
        ] {
            assert!(check_type_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn identifiers() {
        assert_eq!(
            check_identifier("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
            Ok("indicator")
        );
        assert_eq!(
            check_identifier("identity--1621d4d4-b67d-11e3-9670-f01faf20d111"),
            Ok("identity")
        );
        for bad in [
            "indicator",
            "indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3",
            "indicator--8e2e2d2b17d4-4cbf-938f-98ee46b3cd3ff",
            "indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f",
            "indicator--8e2e2d2b-17d4-4cbf-738f-98ee46b3cd3f",
            "indicator--00000000-0000-0000-0000-000000000000",
            "indicator--8e2e2d2g-17d4-4cbf-938f-98ee46b3cd3f",
            "Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        ] {
            assert!(check_identifier(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn property_names_and_keys() {
        assert!(check_property_name("x_acme_score").is_ok());
        assert!(check_property_name("created_by_ref").is_ok());
        for bad in ["x-acme", "ab", "X_acme", "_abc", "1abc", "x_ünï"] {
            assert!(check_property_name(bad).is_err(), "{bad}");
        }
        assert!(check_dictionary_key("SHA-256").is_ok());
        assert!(check_dictionary_key("").is_err());
        assert!(check_dictionary_key("a b").is_err());
    }

    #[test]
    fn encodings_and_languages() {
        assert!(check_hex("00ffAB").is_ok());
        assert!(check_hex("0").is_err());
        assert!(check_base64("aGVsbG8=").is_ok());
        assert!(check_base64("").is_ok());
        assert!(check_base64("aGVsbG8").is_err());
        assert!(check_base64("a===").is_err());
        assert!(check_base64("aGV$bG8=").is_err());
        assert!(check_language_tag("en").is_ok());
        assert!(check_language_tag("zh-Hant-TW").is_ok());
        assert!(check_language_tag("x-klingon").is_ok());
        assert!(check_language_tag("english language").is_err());
        assert!(check_language_tag("en-").is_err());
    }
}
