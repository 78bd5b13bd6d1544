//! Building the objects a node publishes from API input.
//!
//! An advisory is given as its `x-shoal-advisory` JSON object. For convenience the node
//! fills what only identifies or dates it when absent: `type` (`x-shoal-advisory`),
//! `spec_version` (`2.1`), `id` (a random `x-shoal-advisory--<UUIDv4>`), `created` and
//! `modified` (now, to the millisecond). Everything else must be given and is checked
//! strictly by [`Advisory::from_object`] (unknown properties, a malformed playbook, … are
//! errors naming their JSON path). An acknowledgement is built entirely by the node from
//! a status and an optional note.

use serde_json::{Map, Value};
use shoal_protocol::advisory::{Ack, AckStatus, Advisory, AdvisoryError, ACK_TYPE, ADVISORY_TYPE};

/// Why API input does not make an advisory or ack.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// Not one JSON value.
    #[error("the body is not JSON: {0}")]
    Json(String),
    /// JSON, but not an object.
    #[error("the body must be one JSON object (an x-shoal-advisory), not a bundle or list")]
    NotObject,
    /// Could not draw an identifier.
    #[error("no secure randomness for an identifier: {0}")]
    Random(String),
    /// The protocol's validation refused it.
    #[error(transparent)]
    Invalid(#[from] AdvisoryError),
}

/// A STIX timestamp (millisecond precision) for unix milliseconds.
pub fn stix_time(now_ms: u64) -> String {
    i64::try_from(now_ms)
        .ok()
        .and_then(|ms| shoal_protocol::dp::time::format_unix_ms(ms).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_owned())
}

/// A random STIX identifier of `kind` (`<kind>--<UUIDv4>`).
pub fn new_id(kind: &str) -> Result<String, ComposeError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ComposeError::Random(e.to_string()))?;
    Ok(format!(
        "{kind}--{}",
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    ))
}

/// The advisory object of an API body (defaults filled, see the module doc), validated.
pub fn advisory(body: &[u8], now_ms: u64) -> Result<(Advisory, Value), ComposeError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ComposeError::Json(e.to_string()))?;
    let Value::Object(mut map) = value else {
        return Err(ComposeError::NotObject);
    };
    fill(&mut map, ADVISORY_TYPE, now_ms)?;
    let value = Value::Object(map);
    let advisory = Advisory::from_object(&value)?;
    Ok((advisory, value))
}

fn fill(map: &mut Map<String, Value>, kind: &str, now_ms: u64) -> Result<(), ComposeError> {
    let now = stix_time(now_ms);
    map.entry("type")
        .or_insert_with(|| Value::String(kind.to_owned()));
    map.entry("spec_version")
        .or_insert_with(|| Value::String("2.1".to_owned()));
    if !map.contains_key("id") {
        map.insert("id".into(), Value::String(new_id(kind)?));
    }
    map.entry("created")
        .or_insert_with(|| Value::String(now.clone()));
    // A new version given without `modified` gets the later of now and `created`.
    if !map.contains_key("modified") {
        let created = map.get("created").cloned().unwrap_or(Value::Null);
        let later = match created.as_str() {
            Some(c) if c > now.as_str() => created.clone(),
            _ => Value::String(now),
        };
        map.insert("modified".into(), later);
    }
    Ok(())
}

/// A new acknowledgement of `advisory_id` by this node.
pub fn ack(
    advisory_id: &str,
    status: AckStatus,
    note: Option<&str>,
    now_ms: u64,
) -> Result<(Ack, Value), ComposeError> {
    let now = stix_time(now_ms);
    let mut map = Map::new();
    map.insert("type".into(), ACK_TYPE.into());
    map.insert("spec_version".into(), "2.1".into());
    map.insert("id".into(), new_id(ACK_TYPE)?.into());
    map.insert("created".into(), now.clone().into());
    map.insert("modified".into(), now.into());
    map.insert("advisory_ref".into(), advisory_id.into());
    map.insert("status".into(), status.as_str().into());
    if let Some(n) = note {
        map.insert("note".into(), n.into());
    }
    let value = Value::Object(map);
    let ack = Ack::from_object(&value)?;
    Ok((ack, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_filled_and_errors_are_precise() {
        let body = br#"{"severity":"high","title":"t","description":"d","scope":{},
            "deadline":"2099-01-01T00:00:00.000Z"}"#;
        let (a, v) = advisory(body, 1_800_000_000_123).unwrap();
        assert!(a.id.starts_with("x-shoal-advisory--"));
        assert_eq!(v["created"], "2027-01-15T08:00:00.123Z");
        assert_eq!(v["modified"], v["created"]);
        let bad = br#"{"severity":"urgent","title":"t","description":"d","scope":{},
            "deadline":"2099-01-01T00:00:00.000Z"}"#;
        let e = advisory(bad, 1_800_000_000_000).unwrap_err().to_string();
        assert!(e.starts_with("severity:"), "{e}");
        assert!(matches!(advisory(b"[]", 0), Err(ComposeError::NotObject)));
        let (ack, _) = ack(
            &a.id,
            AckStatus::Assessing,
            Some("on it"),
            1_800_000_000_000,
        )
        .unwrap();
        assert_eq!(ack.advisory_ref, a.id);
        assert!(super::ack(&a.id, AckStatus::Received, Some(" "), 0).is_err());
    }
}
