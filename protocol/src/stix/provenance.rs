//! Shoal's STIX 2.1 **provenance property-extension**: how an exported object carries
//! the proof of where it came from, so that a consumer with only the publisher's and the
//! witnesses' public keys can verify it offline.
//!
//! The extension is defined by the `extension-definition` object [`definition`] (id
//! [`EXTENSION_ID`], created by the [`producer`] identity) and its JSON schema
//! `docs/stix/shoal-provenance-extension.schema.json`. On an exported object it sits under
//! `extensions.<EXTENSION_ID>` with `extension_type: "property-extension"` and:
//!
//! | property | meaning |
//! |---|---|
//! | `publisher` | the publisher's Ed25519 key, hex |
//! | `publisher_peer_id` | its libp2p peer id |
//! | `ledger_index` | the object's position in the publisher's ledger |
//! | `leaf_hash` | RFC 9162 leaf hash of the entry, hex |
//! | `entry` | the signed envelope (the ledger entry), standard base64 |
//! | `tlog_proof` | `c2sp.org/tlog-proof@v1` text: index, inclusion path, checkpoint with its cosignatures (absent while the exporter has not verified the entry against a checkpoint yet) |
//! | `witnessed` | the exporter's view: the checkpoint meets its witness policy |
//! | `equivocating` | the exporter holds a verified equivocation proof against the publisher |
//! | `credibility` | the exporter's credibility score in `[0, 1]` (optional) |
//! | `admiralty` | the exporter's Admiralty code, e.g. `B2` (with `credibility`) |
//! | `declared_confidence` | the `confidence` the publisher signed, when the export replaced it |
//!
//! With a credibility, an exported SDO's or SRO's top-level `confidence` is the
//! exporter's (`round(100 × credibility)`) and the publisher's own value moves to
//! `declared_confidence` (observables have no `confidence` property: theirs stays in the
//! extension); [`extract`] puts it back before comparing with the signed
//! object.
//!
//! [`attach`] adds it to the object an envelope carries; [`extract`] takes it back off and
//! checks, without any key but the ones inside, that the object is exactly the one the
//! envelope signed (RFC 8785 canonical bytes), that the envelope is validly signed by the
//! named publisher at the named index, and that the leaf hash is the entry's. The caller
//! then verifies the tlog-proof against the log's key and its witness policy
//! (`shoal_crypto::TlogProof::verify_witnessed`), as `shoal verify --stix` does.

use base64::Engine as _;
use serde_json::{json, Map, Value};
use shoal_crypto::hash::leaf_hash;
use shoal_crypto::keys::PublicKey;

use crate::envelope::Envelope;
use crate::jcs;

/// The id of Shoal's provenance extension-definition.
pub const EXTENSION_ID: &str = "extension-definition--920919a5-eb58-4781-9707-b190031a4dd0";
/// The identity that created the extension definition (the Shoal project).
pub const PRODUCER_ID: &str = "identity--83a24e81-3b91-41e2-b463-6c5c9f381753";
/// Version of the extension.
pub const EXTENSION_VERSION: &str = "1.0.0";
/// Where the schema lives in the repository.
pub const SCHEMA_PATH: &str = "docs/stix/shoal-provenance-extension.schema.json";
/// When the definition and the identity were created (fixed: they never change).
const DEFINED_AT: &str = "2026-11-26T00:00:00.000Z";

/// Provenance of one exported object.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// The publisher.
    pub publisher: PublicKey,
    /// Its ledger index.
    pub ledger_index: u64,
    /// The signed envelope bytes.
    pub entry: Vec<u8>,
    /// `c2sp.org/tlog-proof@v1` text (`None`: not verified against a checkpoint yet).
    pub tlog_proof: Option<String>,
    /// The exporter's witness view.
    pub witnessed: bool,
    /// The exporter holds an equivocation proof against the publisher.
    pub equivocating: bool,
    /// The exporter's credibility score and Admiralty code.
    pub credibility: Option<(f64, String)>,
}

/// Why an object's provenance extension is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    /// The object is not a JSON object.
    #[error("not a STIX object")]
    NotAnObject,
    /// No Shoal provenance extension on it.
    #[error("the object carries no Shoal provenance extension ({EXTENSION_ID})")]
    Missing,
    /// A property is missing or has the wrong type.
    #[error("provenance extension property `{0}` is missing or malformed")]
    Property(&'static str),
    /// The entry does not decode or its signature fails.
    #[error("the entry is not a validly signed envelope: {0}")]
    Entry(String),
    /// The entry is not what the extension says.
    #[error("{0}")]
    Mismatch(String),
}

/// The identity object of the extension's producer.
pub fn producer() -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": PRODUCER_ID,
        "created": DEFINED_AT,
        "modified": DEFINED_AT,
        "name": "Shoal",
        "identity_class": "system",
        "description": "Shoal, a privacy-preserving threat-intelligence sharing network.",
    })
}

/// The `extension-definition` object of Shoal's provenance extension.
pub fn definition() -> Value {
    json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EXTENSION_ID,
        "created_by_ref": PRODUCER_ID,
        "created": DEFINED_AT,
        "modified": DEFINED_AT,
        "name": "Shoal provenance",
        "description": "Where a shared object came from and the proof of it: the publisher's signed ledger entry, its RFC 9162 inclusion proof under a checkpoint signed by the publisher and cosigned by witnesses (c2sp.org/tlog-proof@v1).",
        "schema": format!("The JSON schema in the Shoal repository at {SCHEMA_PATH}"),
        "version": EXTENSION_VERSION,
        "extension_types": ["property-extension"],
    })
}

/// The object `envelope` carries, with its provenance extension attached.
pub fn attach(envelope: &Envelope, p: &Provenance) -> Result<Value, ExtensionError> {
    let mut object = envelope
        .object_json()
        .map_err(|e| ExtensionError::Entry(e.to_string()))?;
    let map = object.as_object_mut().ok_or(ExtensionError::NotAnObject)?;
    let ext = json!({
        "extension_type": "property-extension",
        "publisher": hex::encode(p.publisher.0),
        "publisher_peer_id": p.publisher.peer_id().map(|id| id.to_string()).unwrap_or_default(),
        "ledger_index": p.ledger_index,
        "leaf_hash": hex::encode(leaf_hash(&p.entry)),
        "entry": base64::engine::general_purpose::STANDARD.encode(&p.entry),
        "tlog_proof": p.tlog_proof,
        "witnessed": p.witnessed,
        "equivocating": p.equivocating,
    });
    let mut ext = ext;
    if p.tlog_proof.is_none() {
        if let Some(m) = ext.as_object_mut() {
            m.remove("tlog_proof");
        }
    }
    if let (Some((score, code)), Some(ext_map)) = (&p.credibility, ext.as_object_mut()) {
        let score = score.clamp(0.0, 1.0);
        ext_map.insert("credibility".into(), json!(score));
        ext_map.insert("admiralty".into(), json!(code));
        // `confidence` is a common property of SDOs and SROs only; an observable keeps
        // the score in the extension.
        let object_type = map.get("type").and_then(Value::as_str).unwrap_or_default();
        if matches!(
            crate::stix::category(object_type),
            crate::stix::Category::Domain | crate::stix::Category::Relationship
        ) {
            if let Some(declared) = map.get("confidence").cloned() {
                ext_map.insert("declared_confidence".into(), declared);
            }
            map.insert("confidence".into(), json!((score * 100.0).round() as u64));
        }
    }
    let extensions = map
        .entry("extensions")
        .or_insert_with(|| Value::Object(Map::new()));
    let ext_map = extensions
        .as_object_mut()
        .ok_or(ExtensionError::Property("extensions"))?;
    ext_map.insert(EXTENSION_ID.to_owned(), ext);
    Ok(object)
}

/// What [`extract`] checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// The provenance the object carries.
    pub provenance: Provenance,
    /// The signed envelope it names (signature verified).
    pub envelope: Envelope,
}

/// Take the provenance extension off an exported object and check it against the object
/// (see the module docs). The tlog-proof itself is left to the caller.
pub fn extract(object: &Value, max_envelope_bytes: usize) -> Result<Extracted, ExtensionError> {
    let map = object.as_object().ok_or(ExtensionError::NotAnObject)?;
    let ext = map
        .get("extensions")
        .and_then(Value::as_object)
        .and_then(|e| e.get(EXTENSION_ID))
        .and_then(Value::as_object)
        .ok_or(ExtensionError::Missing)?;
    let text = |name: &'static str| -> Result<&str, ExtensionError> {
        ext.get(name)
            .and_then(Value::as_str)
            .ok_or(ExtensionError::Property(name))
    };
    let flag = |name: &'static str| -> Result<bool, ExtensionError> {
        ext.get(name)
            .and_then(Value::as_bool)
            .ok_or(ExtensionError::Property(name))
    };
    if text("extension_type")? != "property-extension" {
        return Err(ExtensionError::Property("extension_type"));
    }
    let publisher_bytes: [u8; 32] = hex::decode(text("publisher")?)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(ExtensionError::Property("publisher"))?;
    let publisher = PublicKey(publisher_bytes);
    let ledger_index = ext
        .get("ledger_index")
        .and_then(Value::as_u64)
        .ok_or(ExtensionError::Property("ledger_index"))?;
    let entry = base64::engine::general_purpose::STANDARD
        .decode(text("entry")?)
        .map_err(|_| ExtensionError::Property("entry"))?;
    let claimed_leaf = text("leaf_hash")?;
    let credibility = match ext.get("credibility") {
        None => None,
        Some(v) => Some((
            v.as_f64()
                .filter(|c| (0.0..=1.0).contains(c))
                .ok_or(ExtensionError::Property("credibility"))?,
            text("admiralty")?.to_owned(),
        )),
    };
    let provenance = Provenance {
        credibility,
        publisher,
        ledger_index,
        tlog_proof: match ext.get("tlog_proof") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_str()
                    .ok_or(ExtensionError::Property("tlog_proof"))?
                    .to_owned(),
            ),
        },
        witnessed: flag("witnessed")?,
        equivocating: flag("equivocating")?,
        entry,
    };
    let envelope = Envelope::decode_verified(&provenance.entry, max_envelope_bytes)
        .map_err(|e| ExtensionError::Entry(e.to_string()))?;
    if envelope.body.publisher != publisher {
        return Err(ExtensionError::Mismatch(
            "the entry was signed by another key than the named publisher".into(),
        ));
    }
    if envelope.body.ledger_index != ledger_index {
        return Err(ExtensionError::Mismatch(format!(
            "the entry is ledger index {}, the extension says {ledger_index}",
            envelope.body.ledger_index
        )));
    }
    if claimed_leaf != hex::encode(leaf_hash(&provenance.entry)) {
        return Err(ExtensionError::Mismatch(
            "leaf_hash is not the entry's leaf hash".into(),
        ));
    }
    // The object without our extension must be, byte for byte in canonical form, the one
    // the publisher signed.
    let mut bare = map.clone();
    let object_type = map.get("type").and_then(Value::as_str).unwrap_or_default();
    let scored_top_level = matches!(
        crate::stix::category(object_type),
        crate::stix::Category::Domain | crate::stix::Category::Relationship
    );
    if provenance.credibility.is_some() && scored_top_level {
        bare.remove("confidence");
        if let Some(declared) = ext.get("declared_confidence") {
            bare.insert("confidence".into(), declared.clone());
        }
    }
    if let Some(Value::Object(exts)) = bare.get_mut("extensions") {
        exts.remove(EXTENSION_ID);
        if exts.is_empty() {
            bare.remove("extensions");
        }
    }
    let canonical =
        jcs::canonicalize_object(&bare).map_err(|e| ExtensionError::Mismatch(e.to_string()))?;
    if canonical != envelope.body.object {
        return Err(ExtensionError::Mismatch(
            "the object differs from the one the publisher signed".into(),
        ));
    }
    Ok(Extracted {
        provenance,
        envelope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::EnvelopeBody;
    use crate::stix::validate_object;
    use crate::Tlp;
    use shoal_crypto::NodeKey;

    fn envelope() -> (NodeKey, Envelope) {
        let key = NodeKey::from_seed([4; 32]);
        let obj = validate_object(
            json!({
                "type": "indicator", "spec_version": "2.1",
                "id": "indicator--5f6a1c1e-6c6d-4a4e-9a4b-0a0c6a0e2b11",
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00.000Z"
            }),
            0,
        )
        .unwrap();
        let body =
            EnvelopeBody::for_object(key.public(), 3, 1_700_000_000, Tlp::Green, "energy", &obj)
                .unwrap();
        let env = body.sign(&key).unwrap();
        (key, env)
    }

    fn provenance(key: &NodeKey, env: &Envelope) -> Provenance {
        Provenance {
            publisher: key.public(),
            ledger_index: 3,
            entry: env.encode().unwrap(),
            tlog_proof: Some("c2sp.org/tlog-proof@v1\n...".into()),
            witnessed: true,
            equivocating: false,
            credibility: None,
        }
    }

    #[test]
    fn attached_provenance_extracts_and_checks() {
        let (key, env) = envelope();
        let p = provenance(&key, &env);
        let exported = attach(&env, &p).unwrap();
        assert_eq!(
            exported["extensions"][EXTENSION_ID]["extension_type"],
            "property-extension"
        );
        let got = extract(&exported, 1 << 20).unwrap();
        assert_eq!(got.provenance, p);
        assert_eq!(got.envelope, env);
    }

    #[test]
    fn any_change_to_the_object_or_the_extension_is_caught() {
        let (key, env) = envelope();
        let exported = attach(&env, &provenance(&key, &env)).unwrap();
        let mut changed = exported.clone();
        changed["pattern"] = json!("[ipv4-addr:value = '198.51.100.8']");
        assert!(matches!(
            extract(&changed, 1 << 20),
            Err(ExtensionError::Mismatch(_))
        ));
        let mut other_index = exported.clone();
        other_index["extensions"][EXTENSION_ID]["ledger_index"] = json!(4);
        assert!(matches!(
            extract(&other_index, 1 << 20),
            Err(ExtensionError::Mismatch(_))
        ));
        let mut other_key = exported.clone();
        other_key["extensions"][EXTENSION_ID]["publisher"] = json!(hex::encode([9u8; 32]));
        assert!(matches!(
            extract(&other_key, 1 << 20),
            Err(ExtensionError::Mismatch(_))
        ));
        let mut bad_entry = exported.clone();
        bad_entry["extensions"][EXTENSION_ID]["entry"] = json!("AAAA");
        assert!(matches!(
            extract(&bad_entry, 1 << 20),
            Err(ExtensionError::Entry(_))
        ));
        let mut no_ext = exported.clone();
        no_ext["extensions"] = json!({});
        assert_eq!(extract(&no_ext, 1 << 20), Err(ExtensionError::Missing));
        assert_eq!(
            extract(&json!("indicator"), 1 << 20),
            Err(ExtensionError::NotAnObject)
        );
    }

    #[test]
    fn the_exported_confidence_is_the_exporters_and_the_signed_one_is_restored() {
        let (key, env) = envelope();
        let mut p = provenance(&key, &env);
        p.credibility = Some((0.834, "B2".into()));
        let exported = attach(&env, &p).unwrap();
        assert_eq!(exported["confidence"], 83);
        assert_eq!(exported["extensions"][EXTENSION_ID]["admiralty"], "B2");
        let got = extract(&exported, 1 << 20).unwrap();
        assert_eq!(got.provenance.credibility, Some((0.834, "B2".into())));
        // The exporter's confidence cannot be smuggled into the signed object.
        let mut forged = exported.clone();
        forged["extensions"][EXTENSION_ID]["declared_confidence"] = json!(99);
        assert!(matches!(
            extract(&forged, 1 << 20),
            Err(ExtensionError::Mismatch(_))
        ));
    }

    #[test]
    fn the_definition_names_its_producer_and_is_a_property_extension() {
        let d = definition();
        assert_eq!(d["created_by_ref"], producer()["id"]);
        assert_eq!(d["extension_types"], json!(["property-extension"]));
        assert!(validate_object(producer(), 0).is_ok());
    }
}
