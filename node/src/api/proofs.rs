//! `GET /api/v1/intel/{publisher}/{index}/proof` and `/entry`: the offline-verifiable
//! proof of a received item (a tlog-proof against the publisher's verified, cosigned
//! checkpoint) and its exact entry bytes; and `/stix`, the item as a STIX 2.1 bundle
//! whose object carries both in Shoal's provenance extension
//! (`shoal_protocol::stix::provenance`), with the extension's definition and producer, so
//! `shoal verify --stix` checks it offline. For the node's own log they come from its
//! ledger.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;

use super::{ApiError, AppState};
use crate::provenance::{self, ItemProofError};

fn parse(publisher: &str, index: &str) -> Result<(shoal_crypto::PublicKey, u64), ApiError> {
    let key = crate::intel::parse_publisher(publisher)
        .map_err(|e| ApiError::bad_request(format!("`publisher`: {e}")))?;
    let index = index
        .parse()
        .map_err(|_| ApiError::bad_request(format!("`index` {index:?} is not a number")))?;
    Ok((key, index))
}

fn map(e: ItemProofError) -> ApiError {
    match e {
        ItemProofError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m, json!(null)),
        other => ApiError::internal(other.to_string()),
    }
}

/// The tlog-proof of a held item.
pub async fn proof(
    State(st): State<Arc<AppState>>,
    Path((publisher, index)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (key, index) = parse(&publisher, &index)?;
    let text = if key == st.public_key {
        st.reader.proof(index, None)?.to_text()
    } else {
        let store = st.store.clone();
        tokio::task::spawn_blocking(move || provenance::proof(&store, &key, index))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?
            .map_err(map)?
            .to_text()
    };
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

/// The exact entry bytes of a held item.
pub async fn entry(
    State(st): State<Arc<AppState>>,
    Path((publisher, index)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (key, index) = parse(&publisher, &index)?;
    let bytes = if key == st.public_key {
        st.reader.entry(index)?
    } else {
        provenance::entry(&st.store, &key, index).map_err(map)?
    };
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}

/// The item as a STIX 2.1 bundle: its object with the provenance extension attached,
/// the extension-definition and its producer identity.
pub async fn stix(
    State(st): State<Arc<AppState>>,
    Path((publisher, index)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    use shoal_protocol::stix::provenance as ext;
    let (key, index) = parse(&publisher, &index)?;
    let (proof, entry) = if key == st.public_key {
        (st.reader.proof(index, None)?, st.reader.entry(index)?)
    } else {
        let store = st.store.clone();
        tokio::task::spawn_blocking(move || {
            Ok::<_, ItemProofError>((
                provenance::proof(&store, &key, index)?,
                provenance::entry(&store, &key, index)?,
            ))
        })
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(map)?
    };
    let envelope = shoal_protocol::Envelope::decode(&entry, st.max_envelope_bytes)
        .map_err(|e| ApiError::internal(format!("held entry does not decode: {e}")))?;
    let witnessed = match &st.witness_policy {
        Some(policy) => policy.check(&proof.checkpoint).is_ok(),
        None => false,
    };
    let equivocating = st
        .store
        .is_equivocating(&key)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let credibility = envelope
        .object_json()
        .ok()
        .and_then(|o| o.get("id").and_then(|i| i.as_str()).map(str::to_owned))
        .and_then(|id| st.credibility.score(&id, &key, crate::daemon::unix_now()))
        .map(|e| (e.credibility, e.admiralty));
    let object = ext::attach(
        &envelope,
        &ext::Provenance {
            publisher: key,
            ledger_index: index,
            entry: entry.clone(),
            tlog_proof: Some(proof.to_text()),
            witnessed,
            equivocating,
            credibility,
        },
    )
    .map_err(|e| ApiError::internal(e.to_string()))?;
    // A bundle id that is the same for the same entry (UUIDv4-shaped, as STIX asks).
    let bundle_id = crate::export::v4_from(&hex::encode(shoal_crypto::hash::leaf_hash(&entry)));
    let bundle = json!({
        "type": "bundle",
        "id": format!("bundle--{bundle_id}"),
        "objects": [ext::producer(), ext::definition(), object],
    });
    Ok((
        [(header::CONTENT_TYPE, "application/stix+json;version=2.1")],
        bundle.to_string(),
    ))
}
