//! Keyed pseudonyms: HMAC-SHA-256 under a key derived per epoch from a node secret,
//! so one value maps to one token within an epoch and to unrelated tokens across
//! epochs (pseudonyms cannot be linked across epochs, and a leaked epoch key reveals
//! nothing about other epochs).

use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The pseudonym key of one epoch. Its key never appears in `Debug` output.
#[derive(Clone)]
pub struct PseudonymKey {
    epoch: u64,
    key: [u8; 32],
}

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PseudonymKey(epoch={})", self.epoch)
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return [0; 32],
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

impl PseudonymKey {
    /// Derive the key of `epoch` from the node's 32-byte pseudonym secret:
    /// `HMAC-SHA-256(secret, "shoal/pseudonym-epoch/v1\0" || be64(epoch))`.
    pub fn derive(secret: &[u8; 32], epoch: u64) -> Self {
        let key = hmac(
            secret,
            &[b"shoal/pseudonym-epoch/v1\0", &epoch.to_be_bytes()],
        );
        Self { epoch, key }
    }

    /// The epoch this key belongs to.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// A 64-bit token (16 lowercase hex characters) for `value` of class `class`
    /// (e.g. `"email"`, `"host"`): `HMAC(epoch key, class || 0x00 || value)`.
    pub fn token(&self, class: &str, value: &[u8]) -> String {
        let mac = hmac(&self.key, &[class.as_bytes(), &[0], value]);
        hex::encode(mac.get(..8).unwrap_or(&mac))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_within_an_epoch_unlinkable_across() {
        let secret = [42u8; 32];
        let e1 = PseudonymKey::derive(&secret, 100);
        let e1b = PseudonymKey::derive(&secret, 100);
        let e2 = PseudonymKey::derive(&secret, 101);
        let t = e1.token("email", b"alice@corp.example.com");
        assert_eq!(t.len(), 16);
        assert_eq!(t, e1b.token("email", b"alice@corp.example.com"));
        assert_ne!(t, e2.token("email", b"alice@corp.example.com"));
        assert_ne!(
            t,
            e1.token("host", b"alice@corp.example.com"),
            "classes are separated"
        );
        assert_ne!(t, e1.token("email", b"bob@corp.example.com"));
        assert_ne!(
            t,
            PseudonymKey::derive(&[1; 32], 100).token("email", b"alice@corp.example.com")
        );
        assert!(!format!("{e1:?}").contains(&hex::encode(e1.key)));
    }
}
