//! `shoal export`: everything this node received (filtered by credibility, time or
//! community) as a STIX 2.1 bundle with provenance and credibility, CSV, or plain
//! indicator values one per line — through the running node (`GET /api/v1/export`) or
//! straight from the store when it is stopped. Written to stdout.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};

use crate::client::{describe_error, ApiClient, Reach};
use crate::datadir::DataDir;

pub(super) async fn run(root: &Path, params: HashMap<String, String>) -> Result<ExitCode> {
    // Check the parameters before touching anything, so mistakes name the flag.
    let (format, sel) = crate::api::export::selection(&params).map_err(|e| anyhow!(e))?;
    let dir = DataDir::open(root)?;
    let body = match dir.store_if_idle()? {
        Some(store) => {
            let max = dir.config.envelope.max_bytes;
            let cred = super::offline_credibility(&dir, &store)?;
            let policy = if dir.config.provenance.min_witnesses > 0 {
                let trusted = dir
                    .config
                    .provenance
                    .witnesses
                    .iter()
                    .map(|w| shoal_crypto::cosignature::WitnessVerifier::parse(w))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| anyhow!("`provenance.witnesses`: {e}"))?;
                Some(
                    shoal_crypto::cosignature::WitnessPolicy::new(
                        trusted,
                        dir.config.provenance.min_witnesses,
                    )
                    .map_err(|e| anyhow!("`[provenance]`: {e}"))?,
                )
            } else {
                None
            };
            let proofs = crate::export::ProofCache::default();
            let ex = crate::export::Exporter {
                store: &store,
                proofs: &proofs,
                witness_policy: policy.as_ref(),
                credibility: &cred,
                now: crate::daemon::unix_now(),
            };
            crate::export::export(&ex, &sel, format, max)?
        }
        None => {
            let client = ApiClient::for_datadir(&dir)?;
            let mut url = reqwest::Url::parse("http://node/api/v1/export")?;
            url.query_pairs_mut()
                .extend_pairs(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
            match client.get_raw(&path).await? {
                Reach::Answered((s, b)) if s.is_success() => b,
                Reach::Answered((s, b)) => bail!("{}", describe_error(s, &b)),
                Reach::NotRunning if !dir.store_path().exists() => crate::export::empty(format),
                Reach::NotRunning => bail!(
                    "the store is locked but no node answers at {}; is another process using {}?",
                    client.base(),
                    dir.root.display()
                ),
            }
        }
    };
    std::io::stdout().write_all(&body)?;
    Ok(ExitCode::SUCCESS)
}
