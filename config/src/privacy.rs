//! `[privacy]`: the desensitization policy (`[privacy.desensitize]`) and the
//! differential-privacy settings and budget (`[privacy.dp]`).

use serde::{Deserialize, Serialize};

/// `[privacy]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// What never leaves the organisation, and what happens to it.
    pub desensitize: DesensitizeConfig,
    /// Differential privacy of what could still reveal the member.
    pub dp: DpConfig,
}

/// What to do with a recognised internal value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionName {
    /// Drop the object (or the comparison, in a pattern).
    Drop,
    /// Replace the value with `[REDACTED]`.
    Redact,
    /// Replace with a keyed pseudonym (HMAC-SHA-256, key rotated per epoch).
    Hmac,
    /// Prefix-preserving pseudonymisation (IP addresses only).
    Cryptopan,
}

impl std::fmt::Display for ActionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ActionName::Drop => "drop",
            ActionName::Redact => "redact",
            ActionName::Hmac => "hmac",
            ActionName::Cryptopan => "cryptopan",
        })
    }
}

/// `[privacy.desensitize]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DesensitizeConfig {
    /// CIDRs added to the built-in internal ranges (RFC 1918, RFC 6598, loopback,
    /// link-local, RFC 4193 ULA). Default none.
    pub internal_networks: Vec<String>,
    /// Internal DNS domains: host names, URLs and e-mail addresses under them are internal.
    pub internal_domains: Vec<String>,
    /// The member's organisation names and identifiers.
    pub organisation_names: Vec<String>,
    /// Strings that must never leave (checked on the exact bytes before signing).
    pub canaries: Vec<String>,
    /// Internal IP addresses: `cryptopan` (default), `hmac`, `redact` or `drop`.
    pub ip_action: ActionName,
    /// Internal host names, domains and URLs: `hmac` (default), `redact` or `drop`.
    pub host_action: ActionName,
    /// E-mail addresses: `hmac` (default), `redact` or `drop`.
    pub email_action: ActionName,
    /// User names in file paths: `redact` (default), `hmac` or `drop`.
    pub user_action: ActionName,
    /// MAC addresses: `redact` (default), `hmac` or `drop`.
    pub mac_action: ActionName,
    /// Organisation names: `redact` (default), `hmac` or `drop`.
    pub organisation_action: ActionName,
    /// Crypto-PAn key (32 raw bytes or 64 hex characters), relative to the data dir.
    pub cryptopan_key_file: String,
    /// Secret the per-epoch pseudonym keys derive from, relative to the data dir.
    pub pseudonym_key_file: String,
    /// Pseudonym epoch: the same value maps to the same token within one epoch only.
    /// Duration such as `1d`, `12h`, `30m`. Default `1d`.
    pub pseudonym_epoch: String,
    /// Let the member's own STIX identity objects leave (default false: they are
    /// replaced by the node's pseudonymous identity).
    pub share_member_identity: bool,
}

impl Default for DesensitizeConfig {
    fn default() -> Self {
        Self {
            internal_networks: Vec::new(),
            internal_domains: Vec::new(),
            organisation_names: Vec::new(),
            canaries: Vec::new(),
            ip_action: ActionName::Cryptopan,
            host_action: ActionName::Hmac,
            email_action: ActionName::Hmac,
            user_action: ActionName::Redact,
            mac_action: ActionName::Redact,
            organisation_action: ActionName::Redact,
            cryptopan_key_file: "cryptopan.key".into(),
            pseudonym_key_file: "pseudonym.key".into(),
            pseudonym_epoch: "1d".into(),
            share_member_identity: false,
        }
    }
}

/// `[privacy.dp]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DpConfig {
    /// ε available per epoch. Default 4.0.
    pub epsilon_per_epoch: f64,
    /// Budget epoch, e.g. `1d`. Default `1d`.
    pub epoch: String,
    /// ε the node may ever spend. Default 100.0.
    pub lifetime_epsilon: f64,
    /// ε per released count (sighting `count`, `number_observed`, victim counts). Default 0.5.
    pub count_epsilon: f64,
    /// Sensitivity of a count: how much one privacy unit (an internal host or event)
    /// can change it. Default 1.
    pub count_sensitivity: u32,
    /// Further integer properties treated as victim/asset counts. Default `x_victim_count`,
    /// `x_asset_count`.
    pub count_properties: Vec<String>,
    /// Bucket that times (`first_seen`, `last_seen`, `first_observed`, `last_observed`,
    /// `created`, `modified`) are coarsened to. Default `1h`.
    pub time_bucket: String,
    /// ε of randomized response over the member's sector or region. Default 1.0.
    pub category_epsilon: f64,
    /// The member's sector, attached to its sightings through randomized response.
    pub member_sector: Option<String>,
    /// The member's region, attached to its sightings through randomized response.
    pub member_region: Option<String>,
    /// Sector categories (randomized response domain).
    pub sectors: Vec<String>,
    /// Region categories (randomized response domain).
    pub regions: Vec<String>,
}

impl Default for DpConfig {
    fn default() -> Self {
        Self {
            epsilon_per_epoch: 4.0,
            epoch: "1d".into(),
            lifetime_epsilon: 100.0,
            count_epsilon: 0.5,
            count_sensitivity: 1,
            count_properties: vec!["x_victim_count".into(), "x_asset_count".into()],
            time_bucket: "1h".into(),
            category_epsilon: 1.0,
            member_sector: None,
            member_region: None,
            sectors: [
                "energy",
                "manufacturing",
                "water",
                "transport",
                "chemical",
                "healthcare",
                "telecommunications",
                "finance",
                "government",
                "other",
            ]
            .map(String::from)
            .to_vec(),
            regions: ["north", "south", "east", "west", "central", "other"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// Parse a duration such as `90s`, `30m`, `1h`, `1d`, `2w` into seconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} needs a unit (s, m, h, d or w), e.g. \"1h\""))?;
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?} must start with a whole number"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?} (use s, m, h, d or w)"
            ))
        }
    };
    n.checked_mul(mult)
        .filter(|&s| s > 0)
        .ok_or_else(|| format!("{text:?} must be positive and not absurdly large"))
}
