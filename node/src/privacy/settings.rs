//! Translate `[privacy]` configuration into the protocol's desensitization policy, DP
//! parameters and budget, and derive the node's pseudonymous STIX identity.

use anyhow::{anyhow, Result};
use shoal_config::{parse_duration, ActionName, PrivacyConfig};
use shoal_crypto::PublicKey;
use shoal_protocol::desensitize::{Action, Actions, IpNet, Policy};
use shoal_protocol::dp::budget::Budget;
use shoal_protocol::dp::DpParams;

/// Namespace of the node's pseudonymous identity id (UUIDv5 over the peer id).
const NODE_IDENTITY_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x5c1e_0a1b_6e7d_4f3a_9b2c_8d1e_0f4a_7b6c);

/// `identity--<uuid>` under which this node publishes: derived from its public key
/// only, so it says nothing about the member.
pub fn node_identity(key: &PublicKey) -> String {
    format!(
        "identity--{}",
        uuid::Uuid::new_v5(&NODE_IDENTITY_NAMESPACE, &key.0)
    )
}

fn action(a: ActionName) -> Action {
    match a {
        ActionName::Drop => Action::Drop,
        ActionName::Redact => Action::Redact,
        ActionName::Hmac => Action::Hmac,
        ActionName::Cryptopan => Action::Cryptopan,
    }
}

/// The desensitization policy of `cfg` for a node with key `key`.
pub fn policy(cfg: &PrivacyConfig, key: &PublicKey) -> Result<Policy> {
    let d = &cfg.desensitize;
    let nets = d
        .internal_networks
        .iter()
        .map(|n| {
            n.parse::<IpNet>()
                .map_err(|e| anyhow!("privacy.desensitize.internal_networks: {n:?}: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Policy::new(
        nets,
        d.internal_domains.clone(),
        d.organisation_names.clone(),
        d.canaries.clone(),
        Actions {
            ip: action(d.ip_action),
            host: action(d.host_action),
            email: action(d.email_action),
            user: action(d.user_action),
            mac: action(d.mac_action),
            organisation: action(d.organisation_action),
        },
        d.share_member_identity,
        node_identity(key),
    ))
}

/// The DP parameters of `cfg`.
pub fn dp_params(cfg: &PrivacyConfig) -> Result<DpParams> {
    let p = &cfg.dp;
    Ok(DpParams {
        count_epsilon: p.count_epsilon,
        count_sensitivity: p.count_sensitivity,
        count_properties: p.count_properties.clone(),
        time_bucket_secs: parse_duration(&p.time_bucket)
            .map_err(|e| anyhow!("privacy.dp.time_bucket: {e}"))?,
        category_epsilon: p.category_epsilon,
        member_sector: p.member_sector.clone(),
        member_region: p.member_region.clone(),
        sectors: p.sectors.clone(),
        regions: p.regions.clone(),
    })
}

/// The privacy budget of `cfg`.
pub fn budget(cfg: &PrivacyConfig) -> Result<Budget> {
    Ok(Budget {
        epsilon_per_epoch: cfg.dp.epsilon_per_epoch,
        lifetime_epsilon: cfg.dp.lifetime_epsilon,
        epoch_secs: parse_duration(&cfg.dp.epoch).map_err(|e| anyhow!("privacy.dp.epoch: {e}"))?,
    })
}

/// The pseudonym epoch length in seconds.
pub fn pseudonym_epoch_secs(cfg: &PrivacyConfig) -> Result<u64> {
    parse_duration(&cfg.desensitize.pseudonym_epoch)
        .map_err(|e| anyhow!("privacy.desensitize.pseudonym_epoch: {e}"))
}
