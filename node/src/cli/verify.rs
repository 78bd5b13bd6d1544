//! `shoal verify`: check an item's proof offline — no daemon, no network. Given a
//! `c2sp.org/tlog-proof@v1` and the entry bytes (from `GET /api/v1/intel/{publisher}/
//! {index}/proof` and `/entry`, or a publisher's `/api/v1/ledger/...`), it checks the
//! envelope's signature, that the envelope is the publisher's entry at the proof's
//! index, the inclusion proof against the checkpoint, the log's signature on the
//! checkpoint, and the witness cosignatures against a k-of-n policy, and says exactly
//! which check failed. With `--stix FILE` it reads a STIX export instead (`/stix`):
//! every object carrying Shoal's provenance extension is checked the same way, and must
//! be exactly the object the publisher signed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use shoal_crypto::cosignature::{WitnessPolicy, WitnessVerifier};
use shoal_crypto::{Checkpoint, TlogProof, Verifier};
use shoal_protocol::Envelope;

/// What to verify.
pub enum Input {
    /// A tlog-proof file and the entry file.
    Files {
        /// The tlog-proof file.
        proof: PathBuf,
        /// The entry file (the exact envelope bytes).
        entry: PathBuf,
    },
    /// A STIX bundle (or object) carrying Shoal's provenance extension.
    Stix(PathBuf),
}

/// Arguments of `shoal verify`.
pub struct VerifyArgs {
    /// Optional data directory: its `[provenance]` witnesses and threshold are the defaults.
    pub data_dir: Option<PathBuf>,
    /// The input files.
    pub files: Input,
    /// The log's verifier key (default: the publisher named by the entry itself).
    pub log_key: Option<String>,
    /// Trusted witnesses.
    pub witnesses: Vec<String>,
    /// Cosignatures needed.
    pub min_witnesses: Option<usize>,
}

/// Largest STIX file read.
const MAX_STIX_BYTES: u64 = 64 << 20;

fn fail(what: &str, why: impl std::fmt::Display) -> Result<ExitCode> {
    println!("NOT VERIFIED: {what}: {why}");
    Ok(ExitCode::from(1))
}

pub(super) fn run(a: VerifyArgs) -> Result<ExitCode> {
    let (mut witnesses, mut min) = (a.witnesses.clone(), a.min_witnesses);
    if let Some(d) = &a.data_dir {
        let cfg = shoal_config::Config::load(&d.join(shoal_config::CONFIG_FILE))?;
        if witnesses.is_empty() {
            witnesses = cfg.provenance.witnesses.clone();
        }
        if min.is_none() {
            min = Some(cfg.provenance.min_witnesses);
        }
    }
    let min = min.unwrap_or(0);
    let trusted = witnesses
        .iter()
        .map(|w| WitnessVerifier::parse(w).map_err(|e| anyhow!("--witness {w:?}: {e}")))
        .collect::<Result<Vec<_>>>()?;
    let policy = WitnessPolicy::new(trusted, min).map_err(|e| anyhow!("witness policy: {e}"))?;
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("reading {}", p.display()));
    match &a.files {
        Input::Files { proof, entry } => {
            let proof_text = String::from_utf8(read(proof)?)
                .map_err(|_| anyhow!("{} is not text", proof.display()))?;
            let entry = read(entry)?;
            check(&proof_text, &entry, a.log_key.as_deref(), &policy, min)
        }
        Input::Stix(path) => {
            let len = std::fs::metadata(path)
                .with_context(|| format!("reading {}", path.display()))?
                .len();
            if len > MAX_STIX_BYTES {
                return fail(
                    "the STIX file",
                    format!("{len} bytes, over the {MAX_STIX_BYTES}-byte limit"),
                );
            }
            let value: serde_json::Value = match serde_json::from_slice(&read(path)?) {
                Ok(v) => v,
                Err(e) => return fail("the STIX file is not JSON", e),
            };
            stix(&value, a.log_key.as_deref(), &policy, min)
        }
    }
}

/// Verify every object of a STIX bundle (or a single object) that carries Shoal's
/// provenance extension.
fn stix(
    value: &serde_json::Value,
    log_key: Option<&str>,
    policy: &WitnessPolicy,
    min: usize,
) -> Result<ExitCode> {
    use shoal_protocol::stix::provenance as ext;
    let objects: Vec<&serde_json::Value> = match value.get("type").and_then(|t| t.as_str()) {
        Some("bundle") => value
            .get("objects")
            .and_then(|o| o.as_array())
            .map(|o| o.iter().collect())
            .unwrap_or_default(),
        _ => vec![value],
    };
    let mut checked = 0usize;
    for obj in objects {
        let id = obj
            .get("id")
            .and_then(|i| i.as_str())
            .unwrap_or("?")
            .to_owned();
        let has_ext = obj
            .get("extensions")
            .and_then(|e| e.get(ext::EXTENSION_ID))
            .is_some();
        if !has_ext {
            continue;
        }
        checked += 1;
        let extracted = match ext::extract(obj, usize::MAX >> 1) {
            Ok(x) => x,
            Err(e) => return fail(&format!("object {id}"), e),
        };
        let Some(proof_text) = extracted.provenance.tlog_proof.as_deref() else {
            return fail(
                &format!("object {id}"),
                "it carries no tlog-proof (the exporting node had not verified it against a checkpoint yet)",
            );
        };
        let code = check(
            proof_text,
            &extracted.provenance.entry,
            log_key,
            policy,
            min,
        )?;
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
    }
    if checked == 0 {
        return fail(
            "the STIX file",
            format!(
                "no object carries Shoal's provenance extension ({})",
                ext::EXTENSION_ID
            ),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Verify one tlog-proof and its entry; prints the outcome.
fn check(
    proof_text: &str,
    entry: &[u8],
    log_key: Option<&str>,
    policy: &WitnessPolicy,
    min: usize,
) -> Result<ExitCode> {
    let proof = match TlogProof::parse(proof_text) {
        Ok(p) => p,
        Err(e) => return fail("the proof does not parse", e),
    };
    let env = match Envelope::decode_verified(entry, usize::MAX >> 1) {
        Ok(e) => e,
        Err(e) => return fail("the entry is not a validly signed envelope", e),
    };
    if env.body.ledger_index != proof.index {
        return fail(
            "index",
            format!(
                "the envelope says ledger index {}, the proof is for index {}",
                env.body.ledger_index, proof.index
            ),
        );
    }
    let cp = match Checkpoint::parse_body(&proof.checkpoint.text) {
        Ok(c) => c,
        Err(e) => return fail("the proof's checkpoint", e),
    };
    let verifier = match log_key {
        Some(v) => Verifier::parse(v).map_err(|e| anyhow!("--log-key: {e}"))?,
        None => Verifier::new(&cp.origin, env.body.publisher)
            .map_err(|e| anyhow!("checkpoint origin {:?}: {e}", cp.origin))?,
    };
    if verifier.key != env.body.publisher {
        return fail(
            "publisher",
            "the envelope was signed by another key than the log's (--log-key)",
        );
    }
    let peer = env.body.publisher.peer_id()?;
    if !shoal_protocol::provenance::origin_names(&cp.origin, &env.body.publisher) {
        return fail(
            "origin",
            format!(
                "the checkpoint origin {:?} does not name the publisher {peer}",
                cp.origin
            ),
        );
    }
    match proof.verify_witnessed(entry, &verifier, policy) {
        Ok((cp, found)) => {
            println!(
                "VERIFIED: entry {} of log {} (checkpoint size {}), signed by publisher {peer}",
                proof.index, cp.origin, cp.size
            );
            println!(
                "  object {} ({}, {}/{})",
                env.object_json()
                    .ok()
                    .and_then(|o| o.get("id").and_then(|i| i.as_str()).map(String::from))
                    .unwrap_or_default(),
                env.object_json()
                    .ok()
                    .and_then(|o| o.get("type").and_then(|i| i.as_str()).map(String::from))
                    .unwrap_or_default(),
                env.body.tlp,
                env.body.community
            );
            if min == 0 && found.is_empty() {
                println!("  witnesses: none required");
            }
            for (name, ts) in found {
                println!(
                    "  cosigned by witness {name} at {}",
                    crate::intel::format_time(ts)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => fail("the proof", e),
    }
}
