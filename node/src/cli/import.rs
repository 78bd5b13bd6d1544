//! `shoal import misp FILE`: a MISP event (as MISP or PyMISP writes it) converted to
//! STIX 2.1 (`protocol::misp`) and published through the running node's normal pipeline
//! (desensitization, differential privacy, signing, the ledger). Attributes that do not
//! convert are listed on stderr by uuid, type and reason.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

/// Arguments of `shoal import misp`.
pub(super) struct MispArgs {
    pub file: PathBuf,
    pub community: Option<String>,
    pub tlp: Option<String>,
    pub json: bool,
    pub dry_run: bool,
    pub out: Option<PathBuf>,
}

pub(super) async fn misp(root: &Path, a: MispArgs) -> Result<ExitCode> {
    let input = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let conversion = shoal_protocol::misp::convert(&input, crate::daemon::unix_now() as i64)
        .with_context(|| format!("{} is not a usable MISP event", a.file.display()))?;
    eprintln!(
        "MISP event: {} attribute(s) converted, {} sighting(s), {} not converted",
        conversion.converted,
        conversion.sightings,
        conversion.unsupported.len()
    );
    for u in &conversion.unsupported {
        eprintln!(
            "  not converted: attribute {} ({}): {}",
            u.attribute, u.misp_type, u.reason
        );
    }
    let bundle = serde_json::to_vec_pretty(&conversion.bundle)?;
    if let Some(out) = &a.out {
        std::fs::write(out, &bundle).with_context(|| format!("writing {}", out.display()))?;
        eprintln!(
            "wrote the STIX bundle to {} (nothing published)",
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if conversion.converted == 0 {
        eprintln!("nothing to publish");
        return Ok(ExitCode::from(1));
    }
    super::publish::send(root, bundle, a.community, a.tlp, a.json, a.dry_run).await
}
