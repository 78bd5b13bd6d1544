//! Range and consistency checks of a parsed [`Config`]; each failure names its key.

use crate::model::Config;

type Check = Result<(), (String, String)>;

fn fail(key: &str, problem: impl Into<String>) -> Check {
    Err((key.to_string(), problem.into()))
}

/// Validate every field of `cfg`.
pub(crate) fn check(cfg: &Config) -> Check {
    let n = &cfg.node;
    if n.name.is_empty() || n.name.len() > 64 {
        return fail("node.name", "must be 1 to 64 characters");
    }
    if !n
        .name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return fail(
            "node.name",
            format!(
                "{:?} may only contain letters, digits, '-', '_' and '.'",
                n.name
            ),
        );
    }
    for (key, v) in [
        ("node.key_file", &n.key_file),
        ("node.api_token_file", &n.api_token_file),
        ("node.store_dir", &n.store_dir),
    ] {
        if v.is_empty() {
            return fail(key, "must not be empty");
        }
    }
    if cfg.api.listen.parse::<std::net::SocketAddr>().is_err() {
        return fail(
            "api.listen",
            format!("{:?} is not an IP:port socket address", cfg.api.listen),
        );
    }
    if !(1024..=(1 << 30)).contains(&cfg.api.max_body_bytes) {
        return fail("api.max_body_bytes", "must be between 1024 and 1073741824");
    }
    if !(1..=65536).contains(&cfg.api.max_concurrent_requests) {
        return fail("api.max_concurrent_requests", "must be between 1 and 65536");
    }
    check_network(cfg)?;
    let l = &cfg.ledger;
    if !(10..=3_600_000).contains(&l.checkpoint_interval_ms) {
        return fail(
            "ledger.checkpoint_interval_ms",
            "must be between 10 and 3600000",
        );
    }
    if !(1..=65536).contains(&l.batch_max) {
        return fail("ledger.batch_max", "must be between 1 and 65536");
    }
    if !(1..=1_048_576).contains(&l.queue_capacity) {
        return fail("ledger.queue_capacity", "must be between 1 and 1048576");
    }
    if !(1..=65536).contains(&l.cache_mb) {
        return fail("ledger.cache_mb", "must be between 1 and 65536");
    }
    let e = &cfg.envelope;
    if !(4096..=(64 << 20)).contains(&e.max_bytes) {
        return fail("envelope.max_bytes", "must be between 4096 and 67108864");
    }
    if !(1..=86_400 * 7).contains(&e.time_granularity_secs) {
        return fail(
            "envelope.time_granularity_secs",
            "must be between 1 and 604800",
        );
    }
    let p = &cfg.publish;
    if !p.community.is_empty()
        && (p.community.len() > 64
            || !p.community.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            }))
    {
        return fail(
            "publish.community",
            format!("{:?} must be 1 to 64 of [a-z0-9._-]", p.community),
        );
    }
    match p.default_tlp.to_ascii_lowercase().as_str() {
        "clear" | "white" | "green" | "amber" => {}
        "red" | "amber+strict" => {
            return fail(
                "publish.default_tlp",
                "cannot be red or amber+strict: such intel is never shared",
            )
        }
        other => {
            return fail(
                "publish.default_tlp",
                format!("{other:?} is not a TLP level (clear, green, amber)"),
            )
        }
    }
    check_situation(cfg)?;
    check_privacy(cfg)
}

fn check_situation(cfg: &Config) -> Check {
    let s = &cfg.situation;
    if let Some(path) = &s.assets {
        if path.trim().is_empty() {
            return fail(
                "situation.assets",
                "must not be empty (leave it out for none)",
            );
        }
        if path.contains('\0') {
            return fail("situation.assets", "must not contain a NUL character");
        }
        if path.len() > 4096 {
            return fail("situation.assets", "is longer than 4096 bytes");
        }
    }
    if !(100..=3_600_000).contains(&s.refresh_ms) {
        return fail("situation.refresh_ms", "must be between 100 and 3600000");
    }
    Ok(())
}

fn check_network(cfg: &Config) -> Check {
    let n = &cfg.network;
    for (key, list) in [
        ("network.listen", &n.listen),
        ("network.bootstrap", &n.bootstrap),
        ("network.external_addresses", &n.external_addresses),
    ] {
        for (i, addr) in list.iter().enumerate() {
            if !addr.starts_with('/') || addr.len() < 3 || addr.contains(char::is_whitespace) {
                return fail(
                    &format!("{key}[{i}]"),
                    format!("{addr:?} is not a multiaddr (e.g. /ip4/127.0.0.1/tcp/7342)"),
                );
            }
        }
    }
    for (i, addr) in n.bootstrap.iter().enumerate() {
        if !addr.contains("/p2p/") {
            return fail(
                &format!("network.bootstrap[{i}]"),
                format!("{addr:?} must end in /p2p/<peer-id> (the anchor's `shoal id`)"),
            );
        }
    }
    for (i, vkey) in n.trust_anchors.iter().enumerate() {
        if vkey.splitn(3, '+').count() != 3 {
            return fail(
                &format!("network.trust_anchors[{i}]"),
                format!("{vkey:?} is not a verifier key (name+keyid+key, as `shoal id` prints)"),
            );
        }
    }
    let pv = &cfg.provenance;
    for (i, vkey) in pv.witnesses.iter().enumerate() {
        if vkey.splitn(3, '+').count() != 3 {
            return fail(
                &format!("provenance.witnesses[{i}]"),
                format!(
                    "{vkey:?} is not a witness verifier key (name+keyid+key, as `shoal id` prints)"
                ),
            );
        }
    }
    if pv.min_witnesses > pv.witnesses.len() {
        return fail(
            "provenance.min_witnesses",
            format!(
                "asks for {} cosignatures but only {} witnesses are listed",
                pv.min_witnesses,
                pv.witnesses.len()
            ),
        );
    }
    if n.admission_file.is_empty() {
        return fail("network.admission_file", "must not be empty");
    }
    if !(1..=100_000).contains(&n.max_connections) {
        return fail("network.max_connections", "must be between 1 and 100000");
    }
    if !(1..=16).contains(&n.max_connections_per_peer) {
        return fail(
            "network.max_connections_per_peer",
            "must be between 1 and 16",
        );
    }
    if !(2..=64).contains(&n.mesh_n) {
        return fail("network.mesh_n", "must be between 2 and 64");
    }
    if !(50..=60_000).contains(&n.heartbeat_ms) {
        return fail("network.heartbeat_ms", "must be between 50 and 60000");
    }
    if !(100..=3_600_000).contains(&n.sync_interval_ms) {
        return fail(
            "network.sync_interval_ms",
            "must be between 100 and 3600000",
        );
    }
    if !(1..=4096).contains(&n.sync_batch) {
        return fail("network.sync_batch", "must be between 1 and 4096");
    }
    if !(100..=600_000).contains(&n.sync_timeout_ms) {
        return fail("network.sync_timeout_ms", "must be between 100 and 600000");
    }
    if !(1..=256).contains(&n.sync_parallel) {
        return fail("network.sync_parallel", "must be between 1 and 256");
    }
    if !(1_000..=3_600_000).contains(&n.duplicate_window_ms) {
        return fail(
            "network.duplicate_window_ms",
            "must be between 1000 and 3600000",
        );
    }
    Ok(())
}

fn check_privacy(cfg: &Config) -> Check {
    use crate::privacy::{parse_duration, ActionName};
    let d = &cfg.privacy.desensitize;
    for (i, net) in d.internal_networks.iter().enumerate() {
        if !is_cidr(net) {
            return fail(
                &format!("privacy.desensitize.internal_networks[{i}]"),
                format!("{net:?} is not a CIDR such as 192.0.2.0/24 or fd00::/8"),
            );
        }
    }
    for (i, dom) in d.internal_domains.iter().enumerate() {
        let ok = !dom.is_empty()
            && dom.len() <= 253
            && !dom.starts_with('.')
            && !dom.ends_with('.')
            && dom
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !ok {
            return fail(
                &format!("privacy.desensitize.internal_domains[{i}]"),
                format!("{dom:?} is not a DNS domain such as corp.example.com"),
            );
        }
    }
    for (key, list) in [
        (
            "privacy.desensitize.organisation_names",
            &d.organisation_names,
        ),
        ("privacy.desensitize.canaries", &d.canaries),
    ] {
        if let Some(i) = list.iter().position(|s| s.trim().chars().count() < 3) {
            return fail(
                &format!("{key}[{i}]"),
                "must be at least 3 characters (shorter strings would match everywhere)",
            );
        }
    }
    for (key, action) in [
        ("privacy.desensitize.host_action", d.host_action),
        ("privacy.desensitize.email_action", d.email_action),
        ("privacy.desensitize.user_action", d.user_action),
        ("privacy.desensitize.mac_action", d.mac_action),
        (
            "privacy.desensitize.organisation_action",
            d.organisation_action,
        ),
    ] {
        if action == ActionName::Cryptopan {
            return fail(
                key,
                "cannot be cryptopan: Crypto-PAn applies to IP addresses only",
            );
        }
    }
    for (key, v) in [
        (
            "privacy.desensitize.cryptopan_key_file",
            &d.cryptopan_key_file,
        ),
        (
            "privacy.desensitize.pseudonym_key_file",
            &d.pseudonym_key_file,
        ),
    ] {
        if v.is_empty() {
            return fail(key, "must not be empty");
        }
    }
    parse_duration(&d.pseudonym_epoch)
        .map_err(|e| ("privacy.desensitize.pseudonym_epoch".to_string(), e))?;

    let p = &cfg.privacy.dp;
    for (key, v) in [
        ("privacy.dp.epsilon_per_epoch", p.epsilon_per_epoch),
        ("privacy.dp.lifetime_epsilon", p.lifetime_epsilon),
        ("privacy.dp.count_epsilon", p.count_epsilon),
        ("privacy.dp.category_epsilon", p.category_epsilon),
    ] {
        if !(v.is_finite() && v > 0.0 && v <= 1e6) {
            return fail(key, format!("must be a positive number, got {v}"));
        }
    }
    if p.lifetime_epsilon < p.epsilon_per_epoch {
        return fail(
            "privacy.dp.lifetime_epsilon",
            "must be at least privacy.dp.epsilon_per_epoch",
        );
    }
    if p.count_epsilon > p.epsilon_per_epoch || p.category_epsilon > p.epsilon_per_epoch {
        return fail(
            "privacy.dp.count_epsilon",
            "count_epsilon and category_epsilon must each fit in epsilon_per_epoch",
        );
    }
    if !(1..=1_000_000).contains(&p.count_sensitivity) {
        return fail(
            "privacy.dp.count_sensitivity",
            "must be between 1 and 1000000",
        );
    }
    parse_duration(&p.epoch).map_err(|e| ("privacy.dp.epoch".to_string(), e))?;
    parse_duration(&p.time_bucket).map_err(|e| ("privacy.dp.time_bucket".to_string(), e))?;
    for (key, list, member) in [
        ("privacy.dp.sectors", &p.sectors, &p.member_sector),
        ("privacy.dp.regions", &p.regions, &p.member_region),
    ] {
        if list.len() < 2 {
            return fail(key, "needs at least two categories");
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = list.iter().find(|c| !seen.insert(c.as_str())) {
            return fail(key, format!("lists {dup:?} twice"));
        }
        if let Some(m) = member {
            if !list.contains(m) {
                return fail(
                    key,
                    format!("does not contain the member's own category {m:?}"),
                );
            }
        }
    }
    Ok(())
}

fn is_cidr(s: &str) -> bool {
    let Some((addr, len)) = s.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, ConfigError};

    #[test]
    fn empty_file_gives_documented_defaults() {
        let c = Config::from_toml_str("", "t").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.api.listen, "127.0.0.1:7341");
        assert_eq!(c.ledger.checkpoint_interval_ms, 1000);
    }

    #[test]
    fn defaults_round_trip_through_toml() {
        let c = Config::default();
        assert_eq!(Config::from_toml_str(&c.to_toml(), "t").unwrap(), c);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = Config::from_toml_str("[api]\nlisten_addr = \"x\"\n", "shoal.toml").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("listen_addr"), "{msg}");
        assert!(msg.starts_with("shoal.toml"), "{msg}");
    }

    #[test]
    fn wrong_type_is_named() {
        let e = Config::from_toml_str("[ledger]\nbatch_max = \"many\"\n", "t").unwrap_err();
        assert!(e.to_string().contains("batch_max"), "{e}");
    }

    #[test]
    fn out_of_range_values_name_the_key() {
        for (text, key) in [
            ("[api]\nlisten = \"nowhere\"", "api.listen"),
            ("[ledger]\nbatch_max = 0", "ledger.batch_max"),
            (
                "[ledger]\ncheckpoint_interval_ms = 1",
                "ledger.checkpoint_interval_ms",
            ),
            ("[node]\nname = \"a b\"", "node.name"),
            ("[node]\nrole = \"king\"", "role"),
            ("[publish]\ndefault_tlp = \"red\"", "publish.default_tlp"),
            ("[publish]\ncommunity = \"Upper\"", "publish.community"),
            (
                "[network]\nbootstrap = [\"example.com\"]",
                "network.bootstrap[0]",
            ),
            (
                "[network]\nbootstrap = [\"/ip4/127.0.0.1/tcp/1\"]",
                "network.bootstrap[0]",
            ),
            (
                "[network]\ntrust_anchors = [\"not-a-key\"]",
                "network.trust_anchors[0]",
            ),
            ("[network]\nmesh_n = 1", "network.mesh_n"),
            ("[network]\nsync_batch = 0", "network.sync_batch"),
            (
                "[network]\nduplicate_window_ms = 10",
                "network.duplicate_window_ms",
            ),
            ("[network]\nmax_connections = 0", "network.max_connections"),
            ("[envelope]\nmax_bytes = 10", "envelope.max_bytes"),
            ("[situation]\nassets = \"\"", "situation.assets"),
            ("[situation]\nrefresh_ms = 1", "situation.refresh_ms"),
            (
                "[publish]\ndefault_tlp = \"amber+strict\"",
                "publish.default_tlp",
            ),
            (
                "[privacy.desensitize]\ninternal_networks = [\"10.0.0.0/33\"]",
                "privacy.desensitize.internal_networks[0]",
            ),
            (
                "[privacy.desensitize]\ninternal_domains = [\"corp example\"]",
                "privacy.desensitize.internal_domains[0]",
            ),
            (
                "[privacy.desensitize]\ncanaries = [\"x\"]",
                "privacy.desensitize.canaries[0]",
            ),
            (
                "[privacy.desensitize]\nemail_action = \"cryptopan\"",
                "privacy.desensitize.email_action",
            ),
            ("[privacy.dp]\nepoch = \"1 fortnight\"", "privacy.dp.epoch"),
            (
                "[privacy.dp]\ntime_bucket = \"0h\"",
                "privacy.dp.time_bucket",
            ),
            (
                "[privacy.dp]\ncount_epsilon = -1.0",
                "privacy.dp.count_epsilon",
            ),
            (
                "[privacy.dp]\nlifetime_epsilon = 1.0",
                "privacy.dp.lifetime_epsilon",
            ),
            (
                "[privacy.dp]\nmember_sector = \"piracy\"",
                "privacy.dp.sectors",
            ),
        ] {
            let e = Config::from_toml_str(text, "t").unwrap_err();
            assert!(e.to_string().contains(key), "{text}: {e}");
            if key.contains('.') {
                assert!(matches!(e, ConfigError::Invalid { .. }), "{text}: {e}");
            }
        }
    }

    #[test]
    fn the_issue_example_privacy_section_loads() {
        let text = r#"
[privacy.desensitize]
internal_networks = ["192.0.2.0/24"]
internal_domains = ["corp.example.com"]
organisation_names = ["Example Industrial Co"]
canaries = ["PROJECT-NIGHTJAR"]
ip_action = "cryptopan"
cryptopan_key_file = "cryptopan.key"
[privacy.dp]
epsilon_per_epoch = 4.0
epoch = "1d"
lifetime_epsilon = 100.0
count_epsilon = 0.5
time_bucket = "1h"
"#;
        let c = Config::from_toml_str(text, "t").unwrap();
        assert_eq!(
            c.privacy.desensitize.internal_networks,
            vec!["192.0.2.0/24"]
        );
        assert_eq!(crate::parse_duration(&c.privacy.dp.epoch), Ok(86_400));
        assert_eq!(crate::parse_duration(&c.privacy.dp.time_bucket), Ok(3_600));
    }

    #[test]
    fn situation_section_defaults_and_loads() {
        let c = Config::from_toml_str("", "t").unwrap();
        assert_eq!(c.situation.assets, None);
        assert_eq!(c.situation.refresh_ms, 2000);
        let c = Config::from_toml_str(
            "[situation]\nassets = \"assets.json\"\nrefresh_ms = 500\n",
            "t",
        )
        .unwrap();
        assert_eq!(c.situation.assets.as_deref(), Some("assets.json"));
        assert_eq!(c.situation.refresh_ms, 500);
        assert_eq!(Config::from_toml_str(&c.to_toml(), "t").unwrap(), c);
    }

    #[test]
    fn durations_parse_with_units() {
        use crate::parse_duration;
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("30m"), Ok(1800));
        assert_eq!(parse_duration("2w"), Ok(1_209_600));
        assert!(parse_duration("1").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("0d").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn missing_file_is_a_clear_io_error() {
        let e = Config::load(std::path::Path::new("/nonexistent/shoal.toml")).unwrap_err();
        assert!(matches!(e, ConfigError::Io { .. }));
        assert!(e.to_string().contains("/nonexistent/shoal.toml"));
    }
}
