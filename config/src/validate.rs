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
    for (i, addr) in cfg
        .p2p
        .listen
        .iter()
        .chain(cfg.p2p.bootstrap.iter())
        .enumerate()
    {
        let key = if i < cfg.p2p.listen.len() {
            "p2p.listen"
        } else {
            "p2p.bootstrap"
        };
        if !addr.starts_with('/') || addr.len() < 3 {
            return fail(
                key,
                format!("{addr:?} is not a multiaddr (e.g. /ip4/127.0.0.1/tcp/7342)"),
            );
        }
    }
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
    if p.community.is_empty()
        || p.community.len() > 64
        || !p
            .community
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
    {
        return fail(
            "publish.community",
            format!("{:?} must be 1 to 64 of [a-z0-9._-]", p.community),
        );
    }
    match p.default_tlp.to_ascii_lowercase().as_str() {
        "clear" | "white" | "green" | "amber" | "amber+strict" => {}
        "red" => {
            return fail(
                "publish.default_tlp",
                "cannot be red: TLP:RED intel is never shared",
            )
        }
        other => {
            return fail(
                "publish.default_tlp",
                format!("{other:?} is not a TLP level (clear, green, amber, amber+strict)"),
            )
        }
    }
    Ok(())
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
            ("[p2p]\nbootstrap = [\"example.com\"]", "p2p.bootstrap"),
            ("[envelope]\nmax_bytes = 10", "envelope.max_bytes"),
        ] {
            let e = Config::from_toml_str(text, "t").unwrap_err();
            assert!(e.to_string().contains(key), "{text}: {e}");
            if key.contains('.') {
                assert!(matches!(e, ConfigError::Invalid { .. }), "{text}: {e}");
            }
        }
    }

    #[test]
    fn missing_file_is_a_clear_io_error() {
        let e = Config::load(std::path::Path::new("/nonexistent/shoal.toml")).unwrap_err();
        assert!(matches!(e, ConfigError::Io { .. }));
        assert!(e.to_string().contains("/nonexistent/shoal.toml"));
    }
}
