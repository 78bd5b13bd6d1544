//! Shoal's node configuration: the typed `shoal.toml`, its documented defaults,
//! and validation at load time with errors that name the key and the problem.
//!
//! Every field has a default, so an empty file is a valid configuration. Unknown
//! keys are rejected (a typo must not silently fall back to a default).

mod model;
mod privacy;
mod validate;

pub use model::{
    ApiConfig, Config, EnvelopeConfig, LedgerConfig, NetworkConfig, NodeConfig, ProvenanceConfig,
    PublishConfig, Role, SituationConfig,
};
pub use privacy::{parse_duration, ActionName, DesensitizeConfig, DpConfig, PrivacyConfig};

use std::path::Path;

/// The configuration file's name inside a data directory.
pub const CONFIG_FILE: &str = "shoal.toml";

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not fit the schema (the message names the key).
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    /// A value is out of range or inconsistent.
    #[error("{path}: `{key}` {problem}")]
    Invalid {
        path: String,
        key: String,
        problem: String,
    },
}

impl Config {
    /// Parse and validate configuration text. `origin` names the source in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        cfg.validate()
            .map_err(|(key, problem)| ConfigError::Invalid {
                path: origin.to_string(),
                key,
                problem,
            })?;
        Ok(cfg)
    }

    /// Load and validate a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// Render as TOML (used by `shoal init`).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Check every value; `Err((key, problem))` on the first bad one.
    pub fn validate(&self) -> Result<(), (String, String)> {
        validate::check(self)
    }
}
