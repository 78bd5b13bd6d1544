//! `shoal admission request | issue | install | revoke`: the anchor admission workflow.
//! A member writes a signed request; an anchor turns it into a certificate chain for
//! some of its communities; the member installs the chain into its data directory.
//! Revocations are written by an anchor and gossiped by its running node.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use shoal_protocol::admission::{
    verify_chain, AdmissionRequest, Chain, Grant, Revocation, RevocationSet, Role, TrustRoots,
};

use crate::client::{ApiClient, Reach};
use crate::daemon::unix_now;
use crate::datadir::{random_bytes, DataDir};

fn write_out(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?;
            eprintln!("wrote {}", p.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// `shoal admission request`.
pub(super) fn request(root: &Path, out: Option<&Path>) -> Result<ExitCode> {
    let dir = DataDir::open(root)?;
    let key = dir.load_key()?;
    let req = AdmissionRequest::new(&key, &dir.config.node.name, unix_now())?;
    write_out(out, &format!("{}\n", req.to_json_pretty()))?;
    Ok(ExitCode::SUCCESS)
}

/// `shoal admission issue`.
pub(super) fn issue(
    root: &Path,
    request_file: &Path,
    communities: &[String],
    days: u64,
    role: Role,
    (sector, region): (Option<String>, Option<String>),
    out: Option<&Path>,
) -> Result<ExitCode> {
    let dir = DataDir::open(root)?;
    let key = dir.load_key()?;
    let text = std::fs::read(request_file)
        .with_context(|| format!("reading {}", request_file.display()))?;
    let req = AdmissionRequest::parse(&text).with_context(|| {
        format!(
            "{} is not a valid admission request",
            request_file.display()
        )
    })?;
    if communities.is_empty() {
        bail!("--communities must name at least one community");
    }
    if days == 0 || days > 3650 {
        bail!("--days must be between 1 and 3650");
    }
    let own_chain = dir.admission_chain()?;
    let anchor_chain = if own_chain.is_empty() {
        None
    } else {
        Some(Chain::parse(&own_chain).context("this anchor's own admission chain")?)
    };
    let roots = TrustRoots::from_vkeys(&dir.config.network.trust_anchors)?;
    if anchor_chain.is_none() && !roots.contains(&key.public()) {
        eprintln!(
            "note: this node is not among its own trust roots and holds no admission chain; \
             members must list its verifier key (`shoal id`) as a trust anchor"
        );
    }
    let now = unix_now();
    let attributes = match (&sector, &region) {
        (None, None) => String::new(),
        _ => format!(
            " (sector {}, region {})",
            sector.as_deref().unwrap_or("-"),
            region.as_deref().unwrap_or("-")
        ),
    };
    let grant = Grant::for_days(role, communities.iter().map(String::as_str), now, days)
        .with_attributes(sector, region);
    let chain = Chain::issue(
        &key,
        anchor_chain.as_ref(),
        &req,
        &grant,
        now,
        random_bytes::<8>()?,
    )?;
    write_out(out, &format!("{}\n", chain.to_json_pretty()))?;
    eprintln!(
        "issued: {} ({}) for {} as {role}{attributes}, valid {days} days",
        req.name(),
        req.public_key().peer_id()?,
        communities.join(",")
    );
    Ok(ExitCode::SUCCESS)
}

/// `shoal admission install`.
pub(super) fn install(root: &Path, cert_file: &Path) -> Result<ExitCode> {
    let dir = DataDir::open(root)?;
    let key = dir.load_key()?;
    let text =
        std::fs::read(cert_file).with_context(|| format!("reading {}", cert_file.display()))?;
    let chain = Chain::parse(&text)
        .with_context(|| format!("{} is not a certificate chain", cert_file.display()))?;
    let leaf = chain.leaf().context("the chain is empty")?;
    if leaf.subject != key.public() {
        bail!(
            "the certificate is for {}, not this node ({})",
            leaf.subject.peer_id()?,
            key.public().peer_id()?
        );
    }
    let roots = TrustRoots::from_vkeys(&dir.config.network.trust_anchors)?;
    if roots.is_empty() {
        bail!(
            "no trust anchors are configured: add the anchor's verifier key with \
             `shoal init --trust-anchor VKEY` or `[network] trust_anchors` in {}",
            dir.root.join(shoal_config::CONFIG_FILE).display()
        );
    }
    let admitted = verify_chain(&chain, &roots, &RevocationSet::default(), unix_now())
        .context("the certificate chain does not verify against this node's trust anchors")?;
    let dest = dir.admission_path();
    let tmp = dest.with_extension("json.tmp");
    std::fs::write(&tmp, chain.to_json_pretty())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &dest).with_context(|| format!("installing {}", dest.display()))?;
    let communities = match &admitted.communities {
        shoal_protocol::admission::Communities::All => "*".to_string(),
        shoal_protocol::admission::Communities::Only(s) => {
            s.iter().cloned().collect::<Vec<_>>().join(",")
        }
    };
    println!(
        "installed {}: {} as {} in {} until {} (unix); restart the node to use it",
        dest.display(),
        admitted.name,
        admitted.role,
        communities,
        admitted.expires_at
    );
    Ok(ExitCode::SUCCESS)
}

/// `shoal admission revoke`: write a signed revocation of KEY (hex public key or peer id).
pub(super) async fn revoke(
    root: &Path,
    subject: &str,
    reason: &str,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let dir = DataDir::open(root)?;
    let key = dir.load_key()?;
    let subject = parse_subject(subject)?;
    let rev = Revocation::issue(&key, subject, reason, unix_now())?;
    let text = format!("{}\n", rev.to_json_pretty());
    write_out(out, &text)?;
    let client = ApiClient::for_datadir(&dir)?;
    match client
        .post("/api/v1/revocations", text.into_bytes())
        .await?
    {
        Reach::Answered((s, _)) if s.is_success() => {
            eprintln!("the running node applied the revocation and gossips it to the network")
        }
        Reach::Answered((s, body)) => bail!("{}", crate::client::describe_error(s, &body)),
        Reach::NotRunning => eprintln!(
            "note: no running node took the revocation; start this anchor and run the \
             command again so that it is gossiped"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_subject(s: &str) -> Result<shoal_crypto::PublicKey> {
    if let Ok(bytes) = hex::decode(s) {
        if let Ok(arr) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(shoal_crypto::PublicKey(arr));
        }
    }
    let peer: libp2p::PeerId = s
        .parse()
        .with_context(|| format!("{s:?} is neither a hex public key nor a peer id"))?;
    crate::net::peer_key::public_key(&peer).context("that peer id does not embed an Ed25519 key")
}
