//! `shoal init`: create a data directory.

use std::path::Path;
use std::process::ExitCode;

use shoal_config::Role;

use crate::datadir::{init, InitOptions};

pub(super) fn run(
    root: &Path,
    name: Option<String>,
    role: Role,
    api_listen: Option<String>,
    p2p_listen: Vec<String>,
    trust_anchors: Vec<String>,
    bootstrap: Vec<String>,
) -> anyhow::Result<ExitCode> {
    for (i, v) in trust_anchors.iter().enumerate() {
        shoal_crypto::Verifier::parse(v).map_err(|e| {
            anyhow::anyhow!(
                "--trust-anchor #{}: {e} (expected the anchor's verifier key from `shoal id`)",
                i + 1
            )
        })?;
    }
    let (dir, key) = init(
        root,
        &InitOptions {
            name,
            role,
            api_listen,
            p2p_listen,
            trust_anchors,
            bootstrap,
        },
    )?;
    println!("initialised {}", dir.root.display());
    println!("  peer id     {}", key.public().peer_id()?);
    println!("  role        {}", dir.config.node.role);
    println!("  key         {} (0600)", dir.key_path().display());
    println!("  api token   {} (0600)", dir.token_path().display());
    println!("  api listen  {}", dir.config.api.listen);
    println!("  trust roots {}", dir.config.network.trust_anchors.len());
    println!(
        "start it with: shoal node --data-dir {}",
        dir.root.display()
    );
    Ok(ExitCode::SUCCESS)
}
