//! Exporting received intel: each item as its STIX object with Shoal's provenance
//! extension (the signed entry, the tlog-proof against the newest checkpoint verified for
//! its log, witness status, credibility as `confidence` and the Admiralty code) — the
//! form the TAXII network collections serve too — and whole exports for
//! `shoal export` / `GET /api/v1/export`: a STIX 2.1 bundle (with the extension's
//! definition), CSV, or plain indicator values one per line for firewalls and blocklists.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use serde_json::{json, Value};
use shoal_crypto::cosignature::WitnessPolicy;
use shoal_crypto::keys::PublicKey;
use shoal_crypto::merkle::{inclusion_proof, MemoryTree};
use shoal_crypto::{Checkpoint, Note, TlogProof};
use shoal_protocol::stix::provenance as ext;
use shoal_protocol::Envelope;

use crate::credibility::Credibility;
use crate::store::replicas::Held;
use crate::store::{Store, StoreError};

/// Per-log Merkle trees of the verified prefixes, extended as logs grow.
#[derive(Debug, Default)]
pub struct ProofCache {
    trees: Mutex<HashMap<PublicKey, MemoryTree>>,
}

impl ProofCache {
    /// The tlog-proof of `publisher`'s entry `index` against the newest checkpoint this
    /// node verified for the log (`None` while the entry is beyond it).
    pub fn proof(
        &self,
        store: &Store,
        publisher: &PublicKey,
        index: u64,
    ) -> Result<Option<TlogProof>, StoreError> {
        let Some(state) = store.log_state(publisher)? else {
            return Ok(None);
        };
        let Ok(note) = Note::parse(&state.verified_note) else {
            return Ok(None);
        };
        let Ok(cp) = Checkpoint::parse_body(&note.text) else {
            return Ok(None);
        };
        if index >= cp.size {
            return Ok(None);
        }
        let Ok(mut trees) = self.trees.lock() else {
            return Ok(None);
        };
        let tree = trees.entry(*publisher).or_default();
        for attempt in 0..2 {
            if tree.size() > cp.size || attempt == 1 {
                *tree = MemoryTree::new();
            }
            for item in store.held_from(publisher, tree.size()) {
                let (i, held) = item?;
                if i >= cp.size || i != tree.size() {
                    break;
                }
                tree.append(held.leaf_hash());
            }
            if tree.size() == cp.size && tree.root() == cp.root {
                let Ok(proof) = inclusion_proof(&*tree, index, cp.size) else {
                    return Ok(None);
                };
                return Ok(Some(TlogProof {
                    extra: None,
                    index,
                    proof,
                    checkpoint: note,
                }));
            }
        }
        Ok(None)
    }
}

/// What an exported object is built from.
pub struct Exporter<'a> {
    /// The store.
    pub store: &'a Store,
    /// Proof trees.
    pub proofs: &'a ProofCache,
    /// The witness policy, if any.
    pub witness_policy: Option<&'a WitnessPolicy>,
    /// Credibility scores.
    pub credibility: &'a Credibility,
    /// Now (unix seconds), for age decay.
    pub now: u64,
}

impl Exporter<'_> {
    /// The object of `publisher`'s entry `index` (`env`, from `bytes`) with its provenance.
    pub fn object(
        &self,
        publisher: &PublicKey,
        index: u64,
        env: &Envelope,
        bytes: Vec<u8>,
    ) -> Result<Value, ExportError> {
        let proof = self.proofs.proof(self.store, publisher, index)?;
        let witnessed = match (self.witness_policy, &proof) {
            (Some(policy), Some(p)) => policy.check(&p.checkpoint).is_ok(),
            _ => false,
        };
        let equivocating = self.store.is_equivocating(publisher)?;
        let id = env
            .object_json()
            .ok()
            .and_then(|o| o.get("id").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        let credibility = self
            .credibility
            .score(&id, publisher, self.now)
            .map(|x| (x.credibility, x.admiralty));
        Ok(ext::attach(
            env,
            &ext::Provenance {
                publisher: *publisher,
                ledger_index: index,
                entry: bytes,
                tlog_proof: proof.map(|p| p.to_text()),
                witnessed,
                equivocating,
                credibility,
            },
        )?)
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An object could not carry its provenance.
    #[error(transparent)]
    Extension(#[from] ext::ExtensionError),
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A STIX 2.1 bundle.
    Stix,
    /// CSV, one row per item.
    Csv,
    /// Plain indicator values, one per line.
    Txt,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "stix" => Ok(Self::Stix),
            "csv" => Ok(Self::Csv),
            "txt" => Ok(Self::Txt),
            other => Err(format!(
                "{other:?} is not an export format (stix, csv or txt)"
            )),
        }
    }
}

/// Which items to export.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only items at least this credible.
    pub min_credibility: Option<f64>,
    /// Only items published at or after this (unix seconds).
    pub since: Option<u64>,
    /// Only items of this community.
    pub community: Option<String>,
}

/// Values a STIX pattern compares observables with (`[ipv4-addr:value = '…']`,
/// `[file:hashes.'SHA-256' = '…']`, ORs of them…): every quoted string compared with `=`.
pub fn pattern_values(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(eq) = rest.find('=') {
        let after = rest.get(eq.saturating_add(1)..).unwrap_or("");
        let trimmed = after.trim_start();
        // `!=` and other comparisons are not values to block.
        let before = rest.get(..eq).unwrap_or("");
        if before.ends_with('!') || before.ends_with('<') || before.ends_with('>') {
            rest = after;
            continue;
        }
        if let Some(body) = trimmed.strip_prefix('\'') {
            let mut value = String::new();
            let mut chars = body.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '\'' => break,
                    c => value.push(c),
                }
            }
            if !value.is_empty() {
                out.push(value);
            }
        }
        rest = after;
    }
    out
}

/// The values of an object worth blocking: an indicator's pattern values, an
/// observable's `value` or hashes.
pub fn object_values(object: &Value) -> Vec<String> {
    if let Some(p) = object.get("pattern").and_then(Value::as_str) {
        return pattern_values(p);
    }
    if let Some(v) = object.get("value").and_then(Value::as_str) {
        return vec![v.to_owned()];
    }
    object
        .get("hashes")
        .and_then(Value::as_object)
        .map(|h| {
            h.values()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A UUIDv4-shaped id derived from `name` (STIX asks bundles for UUIDv4).
pub fn v4_from(name: &str) -> uuid::Uuid {
    let digest = shoal_crypto::hash::sha256(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// An export of nothing (a node that has received nothing yet).
pub fn empty(format: Format) -> Vec<u8> {
    match format {
        Format::Stix => serde_json::to_vec_pretty(&json!({
            "type": "bundle",
            "id": "bundle--00000000-0000-4000-8000-000000000000",
            "objects": [ext::producer(), ext::definition()],
        }))
        .unwrap_or_default(),
        Format::Csv => {
            b"publisher,ledger_index,type,id,values,tlp,community,published,credibility,admiralty\n"
                .to_vec()
        }
        Format::Txt => Vec::new(),
    }
}

/// Export every held item `sel` selects, in `format`.
pub fn export(
    ex: &Exporter<'_>,
    sel: &Selection,
    format: Format,
    max_envelope: usize,
) -> Result<Vec<u8>, ExportError> {
    let mut objects = Vec::new();
    let mut rows = Vec::new();
    let mut values = BTreeSet::new();
    for item in ex.store.all_held() {
        let (publisher, index, held) = item?;
        let Held::Full { bytes, .. } = held else {
            continue;
        };
        let Ok(env) = Envelope::decode(&bytes, max_envelope) else {
            continue;
        };
        if sel.since.is_some_and(|s| env.body.published_at < s)
            || sel
                .community
                .as_ref()
                .is_some_and(|c| &env.body.community != c)
        {
            continue;
        }
        let object = ex.object(&publisher, index, &env, bytes)?;
        let ext_value = &object["extensions"][ext::EXTENSION_ID];
        let credibility = ext_value.get("credibility").and_then(Value::as_f64);
        if let Some(min) = sel.min_credibility {
            if credibility.is_none_or(|c| c < min) {
                continue;
            }
        }
        match format {
            Format::Stix => objects.push(object),
            Format::Txt => values.extend(object_values(&object)),
            Format::Csv => rows.push(
                [
                    publisher
                        .peer_id()
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                    index.to_string(),
                    object["type"].as_str().unwrap_or_default().to_owned(),
                    object["id"].as_str().unwrap_or_default().to_owned(),
                    object_values(&object).join(" "),
                    env.body.tlp.as_str().to_owned(),
                    env.body.community.clone(),
                    crate::intel::format_time(env.body.published_at),
                    credibility.map(|c| format!("{c:.3}")).unwrap_or_default(),
                    ext_value
                        .get("admiralty")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                ]
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
            ),
        }
    }
    Ok(match format {
        Format::Stix => {
            let mut all = vec![ext::producer(), ext::definition()];
            all.extend(objects);
            let id = v4_from(&format!("shoal-export/{}/{}", ex.now, all.len()));
            serde_json::to_vec_pretty(&json!({
                "type": "bundle",
                "id": format!("bundle--{id}"),
                "objects": all,
            }))
            .unwrap_or_default()
        }
        Format::Csv => {
            let mut out = String::from("publisher,ledger_index,type,id,values,tlp,community,published,credibility,admiralty\n");
            for r in rows {
                out.push_str(&r);
                out.push('\n');
            }
            out.into_bytes()
        }
        Format::Txt => {
            let mut out = String::new();
            for v in values {
                out.push_str(&v);
                out.push('\n');
            }
            out.into_bytes()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_values_are_the_compared_strings() {
        assert_eq!(
            pattern_values("[ipv4-addr:value = '198.51.100.7']"),
            vec!["198.51.100.7"]
        );
        assert_eq!(
            pattern_values(
                "[file:hashes.'SHA-256' = 'ab\\'c'] OR [domain-name:value = 'x.example']"
            ),
            vec!["ab'c", "x.example"]
        );
        assert!(pattern_values("[ipv4-addr:value != '10.0.0.1']").is_empty());
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
