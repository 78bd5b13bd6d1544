//! A node's data directory: `shoal.toml`, the identity key (`node.key`, 0600), the
//! API token (`api.token`, 0600), the store, and `api.addr` (the address a running
//! daemon actually bound, for the CLI). `shoal init` creates it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use shoal_config::{Config, Role, CONFIG_FILE};
use shoal_crypto::NodeKey;

/// File the daemon writes its bound API address to while it runs.
pub const API_ADDR_FILE: &str = "api.addr";

/// An initialised data directory with its loaded configuration.
#[derive(Debug, Clone)]
pub struct DataDir {
    /// The directory.
    pub root: PathBuf,
    /// Its validated configuration.
    pub config: Config,
}

impl DataDir {
    /// Open an initialised data directory and load its configuration.
    pub fn open(root: &Path) -> Result<Self> {
        let cfg_path = root.join(CONFIG_FILE);
        if !cfg_path.exists() {
            bail!(
                "{} is not a Shoal data directory (no {CONFIG_FILE}); create one with `shoal init --data-dir {}`",
                root.display(),
                root.display()
            );
        }
        let config = Config::load(&cfg_path)?;
        Ok(Self {
            root: root.to_path_buf(),
            config,
        })
    }

    /// Path of the identity key.
    pub fn key_path(&self) -> PathBuf {
        self.root.join(&self.config.node.key_file)
    }
    /// Path of the API token.
    pub fn token_path(&self) -> PathBuf {
        self.root.join(&self.config.node.api_token_file)
    }
    /// Path of the store.
    pub fn store_path(&self) -> PathBuf {
        self.root.join(&self.config.node.store_dir)
    }
    /// Path of the file holding a running daemon's API address.
    pub fn api_addr_path(&self) -> PathBuf {
        self.root.join(API_ADDR_FILE)
    }

    /// The store opened directly, when no running node holds it (the CLI's offline
    /// path); `None` when a node runs (sled's lock) or no store exists yet.
    pub fn store_if_idle(&self) -> Result<Option<crate::store::Store>> {
        if !self.store_path().exists() {
            return Ok(None);
        }
        // No waiting: another process's lock means a node runs (ask its API instead).
        match crate::store::Store::try_open(&self.store_path(), 16) {
            Ok(s) => Ok(Some(s)),
            Err(crate::store::StoreError::Locked(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Path of the installed admission certificate chain.
    pub fn admission_path(&self) -> PathBuf {
        self.root.join(&self.config.network.admission_file)
    }

    /// The installed admission chain's bytes (empty when none is installed).
    pub fn admission_chain(&self) -> Result<Vec<u8>> {
        let p = self.admission_path();
        match fs::read(&p) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
        }
    }

    /// Load the node key.
    pub fn load_key(&self) -> Result<NodeKey> {
        Ok(NodeKey::load(&self.key_path())?)
    }

    /// Load the API token.
    pub fn load_token(&self) -> Result<String> {
        let p = self.token_path();
        let t = fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        let t = t.trim().to_string();
        if t.len() < 16 {
            bail!("{} holds a token shorter than 16 characters", p.display());
        }
        Ok(t)
    }

    /// The API address of the running daemon if it wrote one, else the configured one.
    pub fn api_addr(&self) -> String {
        fs::read_to_string(self.api_addr_path())
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| self.config.api.listen.clone())
    }
}

/// Options of `shoal init`.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Log name.
    pub name: Option<String>,
    /// Role.
    pub role: Role,
    /// API listen address.
    pub api_listen: Option<String>,
    /// libp2p listen addresses.
    pub p2p_listen: Vec<String>,
    /// Trust roots (anchor verifier keys).
    pub trust_anchors: Vec<String>,
    /// Bootstrap peers.
    pub bootstrap: Vec<String>,
}

/// `N` bytes from the operating system's secure random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no secure randomness: {e}"))?;
    Ok(b)
}

/// Create `path` (which must not exist) with mode 0600 and write `contents` durably.
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(contents)?;
    f.sync_all()?;
    Ok(())
}

/// Create a data directory: configuration, identity key and API token.
/// Refuses to overwrite an existing identity.
pub fn init(root: &Path, opts: &InitOptions) -> Result<(DataDir, NodeKey)> {
    let mut config = Config::default();
    if let Some(n) = &opts.name {
        config.node.name = n.clone();
    }
    config.node.role = opts.role;
    if let Some(a) = &opts.api_listen {
        config.api.listen = a.clone();
    }
    config.network.trust_anchors = opts.trust_anchors.clone();
    config.network.bootstrap = opts.bootstrap.clone();
    if !opts.p2p_listen.is_empty() {
        config.network.listen = opts.p2p_listen.clone();
    }
    config
        .validate()
        .map_err(|(k, p)| anyhow::anyhow!("`{k}` {p}"))?;
    let mut dir = DataDir {
        root: root.to_path_buf(),
        config,
    };
    for existing in [dir.key_path(), root.join(CONFIG_FILE)] {
        if existing.exists() {
            bail!(
                "{} already exists: {} holds an identity; refusing to overwrite it",
                existing.display(),
                root.display()
            );
        }
    }
    fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(root, fs::Permissions::from_mode(0o700))?;
    }
    let key = NodeKey::from_seed(random_bytes::<32>()?);
    key.save_new(&dir.key_path())?;
    // A top-level anchor is its own trust root (a lower-level anchor is given the root
    // above it with --trust-anchor and installs its certificate chain instead).
    if dir.config.node.role == Role::Anchor && dir.config.network.trust_anchors.is_empty() {
        let origin = crate::ledger::origin(&dir.config.node.name, &key)?;
        dir.config.network.trust_anchors =
            vec![shoal_crypto::note::verifier_key(&origin, &key.public())];
    }
    let token = hex::encode(random_bytes::<32>()?) + "\n";
    if dir.token_path().exists() {
        fs::remove_file(dir.token_path())?;
    }
    write_private(&dir.token_path(), token.as_bytes())?;
    for file in [
        &dir.config.privacy.desensitize.cryptopan_key_file,
        &dir.config.privacy.desensitize.pseudonym_key_file,
    ] {
        crate::privacy::keys::ensure_key_file(&root.join(file))?;
    }
    let header = "# Shoal node configuration. Every key is optional; see README.md for defaults.\n";
    write_private(
        &root.join(CONFIG_FILE),
        format!("{header}{}", dir.config.to_toml()).as_bytes(),
    )?;
    Ok((dir, key))
}
