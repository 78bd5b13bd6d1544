//! The privacy key files of a data directory: the Crypto-PAn key (32 raw bytes or 64
//! hex characters) and the pseudonym secret (64 hex characters), both 0600. `shoal
//! init` creates them; a data directory from before they existed gets them at start.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use shoal_crypto::CryptoPan;

/// Create `path` with a fresh random 32-byte key as hex, mode 0600, unless it exists.
/// Returns whether a key was created.
pub fn ensure_key_file(path: &Path) -> Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    let key = crate::datadir::random_bytes::<32>()?;
    crate::datadir::write_private(path, format!("{}\n", hex::encode(key)).as_bytes())?;
    Ok(true)
}

fn read_private(path: &Path) -> Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)
            .with_context(|| format!("reading {}", path.display()))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            bail!(
                "{} has permissions {mode:o}; it must not be readable by group or others (chmod 600)",
                path.display()
            );
        }
    }
    fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Load the Crypto-PAn key.
pub fn load_cryptopan(path: &Path) -> Result<CryptoPan> {
    CryptoPan::from_key_bytes(&read_private(path)?).with_context(|| {
        format!(
            "{} (privacy.desensitize.cryptopan_key_file)",
            path.display()
        )
    })
}

/// Load the pseudonym secret (64 hex characters or 32 raw bytes).
pub fn load_pseudonym_secret(path: &Path) -> Result<[u8; 32]> {
    let bytes = read_private(path)?;
    if let Ok(raw) = <[u8; 32]>::try_from(bytes.as_slice()) {
        return Ok(raw);
    }
    let text = std::str::from_utf8(&bytes).unwrap_or("").trim();
    let raw = hex::decode(text).ok().filter(|r| r.len() == 32);
    match raw.and_then(|r| <[u8; 32]>::try_from(r.as_slice()).ok()) {
        Some(k) => Ok(k),
        None => bail!(
            "{} must hold 32 raw bytes or 64 hex characters (privacy.desensitize.pseudonym_key_file)",
            path.display()
        ),
    }
}
