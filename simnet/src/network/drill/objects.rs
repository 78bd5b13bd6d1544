//! The drill's real protocol objects: an `x-shoal-advisory` built from the protocol's
//! reference advisory (`protocol/tests/data/advisory/advisory.json`, with its CACAO
//! playbook) and parsed by [`Advisory::from_object`], `x-shoal-advisory-ack` objects
//! parsed by [`Ack::from_object`], each in an envelope signed with its publisher's key,
//! and the receiving side: decode, verify the signature, route the object through the
//! strict parser — as a node does on ingest.

use serde_json::{json, Value};
use shoal_crypto::{NodeKey, PublicKey};
use shoal_protocol::advisory::{Ack, AckStatus, Advisory, Severity};
use shoal_protocol::{Envelope, EnvelopeBody, Tlp};

use crate::network::world::mix;

/// The protocol's reference advisory, the template of every drill advisory.
const TEMPLATE: &str = include_str!("../../../../protocol/tests/data/advisory/advisory.json");
/// Largest envelope accepted on decode (bytes).
const MAX_ENVELOPE: usize = 1 << 20;
/// The community advisories and acks are shared in (the priority topic reaches all).
const COMMUNITY: &str = "all";

/// A UUIDv4-shaped id from the run seed, a domain and a number.
fn uuid(seed: u64, domain: u64, n: u64) -> uuid::Uuid {
    let a = mix(seed ^ mix(domain) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let b = mix(a ^ n);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for Unix milliseconds (proleptic Gregorian, UTC).
pub fn timestamp(unix_ms: i64) -> String {
    shoal_protocol::dp::time::format_unix_ms(unix_ms)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_owned())
}

/// Drill advisory number `n`: the reference advisory with a fresh id, `created` at
/// `at_ms`, the deadline, severity and drill flag, validated by the protocol's parser.
pub fn advisory(
    seed: u64,
    n: usize,
    severity: Severity,
    at_ms: i64,
    deadline_ms: i64,
    drill: bool,
) -> Result<Advisory, String> {
    let mut v: Value =
        serde_json::from_str(TEMPLATE).map_err(|e| format!("advisory template: {e}"))?;
    let map = v
        .as_object_mut()
        .ok_or("advisory template: not a JSON object")?;
    let created = timestamp(at_ms);
    for (name, value) in [
        (
            "id",
            json!(format!("x-shoal-advisory--{}", uuid(seed, 0xad, n as u64))),
        ),
        ("created", json!(created)),
        ("modified", json!(created)),
        ("deadline", json!(timestamp(deadline_ms))),
        ("severity", json!(severity.as_str())),
        ("drill", json!(drill)),
    ] {
        map.insert(name.into(), value);
    }
    Advisory::from_object(&v).map_err(|e| format!("drill advisory #{}: {e}", n + 1))
}

/// Acknowledgement number `n` of the run: `status` for `advisory_id`, at `at_ms`.
pub fn ack(
    seed: u64,
    n: u64,
    advisory_id: &str,
    status: AckStatus,
    at_ms: i64,
) -> Result<Ack, String> {
    let created = timestamp(at_ms);
    let v = json!({
        "type": "x-shoal-advisory-ack",
        "spec_version": "2.1",
        "id": format!("x-shoal-advisory-ack--{}", uuid(seed, 0xac, n)),
        "created": created,
        "modified": created,
        "advisory_ref": advisory_id,
        "status": status.as_str(),
    });
    Ack::from_object(&v).map_err(|e| format!("drill ack: {e}"))
}

/// `object` in an envelope at `index` of the publisher's ledger, signed: the wire bytes.
pub fn seal(
    object: Value,
    signer: &NodeKey,
    key: PublicKey,
    index: u64,
    at_unix: u64,
) -> Result<Vec<u8>, String> {
    let stix = shoal_protocol::validate_object(object, 0).map_err(|e| e.to_string())?;
    let body = EnvelopeBody::for_object(key, index, at_unix, Tlp::Green, COMMUNITY, &stix)
        .map_err(|e| e.to_string())?;
    body.sign_encoded(signer).map_err(|e| e.to_string())
}

/// Decode and verify an envelope and parse the object inside as an advisory.
pub fn open_advisory(wire: &[u8]) -> Result<(PublicKey, Advisory), String> {
    let envelope = Envelope::decode_verified(wire, MAX_ENVELOPE).map_err(|e| e.to_string())?;
    let object = envelope.object_json().map_err(|e| e.to_string())?;
    let advisory = Advisory::from_object(&object).map_err(|e| e.to_string())?;
    Ok((envelope.body.publisher, advisory))
}

/// Decode and verify an envelope and parse the object inside as an acknowledgement.
pub fn open_ack(wire: &[u8]) -> Result<(PublicKey, Ack), String> {
    let envelope = Envelope::decode_verified(wire, MAX_ENVELOPE).map_err(|e| e.to_string())?;
    let object = envelope.object_json().map_err(|e| e.to_string())?;
    let ack = Ack::from_object(&object).map_err(|e| e.to_string())?;
    Ok((envelope.body.publisher, ack))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            timestamp(1_767_225_600_000 + 86_399_250),
            "2026-01-01T23:59:59.250Z"
        );
        assert_eq!(timestamp(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn advisories_and_acks_round_trip_through_signed_envelopes() {
        let at = 1_767_225_600_000;
        let a = advisory(3, 0, Severity::Critical, at, at + 3_600_000, true);
        let Ok(a) = a else { panic!("{a:?}") };
        assert!(a.drill && a.playbook.is_some());
        let signer = NodeKey::from_seed([4; 32]);
        let wire = seal(a.to_object(), &signer, signer.public(), 0, 1);
        let Ok(wire) = wire else { panic!("{wire:?}") };
        assert_eq!(open_advisory(&wire), Ok((signer.public(), a.clone())));
        let k = ack(3, 1, &a.id, AckStatus::Mitigated, at + 5_000);
        let Ok(k) = k else { panic!("{k:?}") };
        let wire = seal(k.to_object(), &signer, signer.public(), 1, 2);
        let Ok(wire) = wire else { panic!("{wire:?}") };
        assert_eq!(open_ack(&wire), Ok((signer.public(), k)));
        assert!(open_ack(&wire[..wire.len() - 1]).is_err());
    }
}
