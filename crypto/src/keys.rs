//! Node identity: one Ed25519 key per node, persisted with 0600 permissions,
//! domain-separated signing and verification, and the libp2p peer id derived
//! from the same key.

use std::fs;
use std::io::Write;
use std::path::Path;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

/// Length of an Ed25519 signature in bytes.
pub const SIGNATURE_LEN: usize = 64;
/// Length of an Ed25519 public key in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;

/// Errors of key handling and signature checks.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing the key file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The key file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The key file exists and would be overwritten.
    #[error("key file {path} already exists; refusing to overwrite an identity")]
    Exists {
        /// The key file.
        path: String,
    },
    /// The key file does not hold a key.
    #[error("key file {path} is malformed: {reason}")]
    Malformed {
        /// The key file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The key file is accessible by group or others.
    #[error("key file {path} has permissions {mode:o}; it must not be readable by group or others (chmod 600)")]
    Permissions {
        /// The key file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The bytes are not a valid Ed25519 public key.
    #[error("invalid public key bytes")]
    InvalidPublicKey,
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

/// An Ed25519 public key, as published in envelopes and checkpoints.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey(pub [u8; PUBLIC_KEY_LEN]);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", hex::encode(self.0))
    }
}

impl PublicKey {
    /// The libp2p peer id of this key (identity multihash of the protobuf-encoded key).
    pub fn peer_id(&self) -> Result<libp2p_identity::PeerId, KeyError> {
        let pk = libp2p_identity::ed25519::PublicKey::try_from_bytes(&self.0)
            .map_err(|_| KeyError::InvalidPublicKey)?;
        Ok(libp2p_identity::PublicKey::from(pk).to_peer_id())
    }

    /// Verify `sig` over `domain || message` (strict RFC 8032 verification).
    pub fn verify(
        &self,
        domain: &[u8],
        message: &[u8],
        sig: &[u8; SIGNATURE_LEN],
    ) -> Result<(), KeyError> {
        let vk = VerifyingKey::from_bytes(&self.0).map_err(|_| KeyError::InvalidPublicKey)?;
        let sig = ed25519_dalek::Signature::from_bytes(sig);
        vk.verify_strict(&domain_message(domain, message), &sig)
            .map_err(|_| KeyError::BadSignature)
    }

    /// Verify a plain Ed25519 signature over `message` (no domain prefix; used by C2SP notes).
    pub fn verify_raw(&self, message: &[u8], sig: &[u8; SIGNATURE_LEN]) -> Result<(), KeyError> {
        let vk = VerifyingKey::from_bytes(&self.0).map_err(|_| KeyError::InvalidPublicKey)?;
        let sig = ed25519_dalek::Signature::from_bytes(sig);
        vk.verify_strict(message, &sig)
            .map_err(|_| KeyError::BadSignature)
    }
}

/// A node's Ed25519 signing key. Its secret never appears in `Debug` output.
#[derive(Clone)]
pub struct NodeKey {
    signing: SigningKey,
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeKey(public={})", hex::encode(self.public().0))
    }
}

impl NodeKey {
    /// Build a key from a 32-byte secret seed (RFC 8032 private key). The caller supplies
    /// the randomness: this crate has no RNG of its own.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// The 32-byte secret seed. Handle with care: never log it.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    /// Sign `domain || message`. Every Shoal signature carries a domain so that a signature
    /// made for one purpose can never be replayed as another.
    pub fn sign(&self, domain: &[u8], message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.signing
            .sign(&domain_message(domain, message))
            .to_bytes()
    }

    /// Plain Ed25519 signature of `message` (used where a standard fixes the signed bytes,
    /// as C2SP signed notes do).
    pub fn sign_raw(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.signing.sign(message).to_bytes()
    }

    /// The same key as a libp2p identity keypair.
    pub fn libp2p_keypair(&self) -> Result<libp2p_identity::Keypair, KeyError> {
        libp2p_identity::Keypair::ed25519_from_bytes(self.seed())
            .map_err(|_| KeyError::InvalidPublicKey)
    }

    /// Write the key to `path` as 64 hex characters, creating the file with mode 0600.
    /// Refuses to overwrite an existing file.
    pub fn save_new(&self, path: &Path) -> Result<(), KeyError> {
        let p = path.display().to_string();
        if path.exists() {
            return Err(KeyError::Exists { path: p });
        }
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let io = |source| KeyError::Io {
            path: p.clone(),
            source,
        };
        let mut f = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::Exists { path: p.clone() }
            } else {
                io(e)
            }
        })?;
        let mut text = hex::encode(self.seed());
        text.push('\n');
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        Ok(())
    }

    /// Load a key written by [`NodeKey::save_new`] (64 hex characters, or 32 raw bytes).
    /// On Unix the file must not be accessible by group or others.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let p = path.display().to_string();
        let io = |source| KeyError::Io {
            path: p.clone(),
            source,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::Permissions { path: p, mode });
            }
        }
        let bytes = fs::read(path).map_err(io)?;
        let seed: [u8; 32] = if bytes.len() == 32 {
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| KeyError::Malformed {
                    path: p.clone(),
                    reason: "expected 32 bytes".into(),
                })?
        } else {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| KeyError::Malformed {
                    path: p.clone(),
                    reason: "neither 32 raw bytes nor hex text".into(),
                })?
                .trim();
            let raw = hex::decode(text).map_err(|e| KeyError::Malformed {
                path: p.clone(),
                reason: format!("bad hex: {e}"),
            })?;
            raw.as_slice().try_into().map_err(|_| KeyError::Malformed {
                path: p.clone(),
                reason: format!("expected 32 bytes of key, found {}", raw.len()),
            })?
        };
        Ok(Self::from_seed(seed))
    }
}

/// Verify many domain-separated signatures at once with Ed25519 batch verification
/// (about twice the single-signature rate). `Ok` only if every signature is valid; on
/// `Err` the caller checks the items one by one with [`PublicKey::verify`] to find the
/// bad ones. Batch verification is cofactored where [`PublicKey::verify`] uses
/// `verify_strict`, so keys of small order ("weak" keys) are refused up front and a
/// batch containing one fails.
pub fn verify_batch(
    domain: &[u8],
    items: &[(&PublicKey, &[u8], &[u8; SIGNATURE_LEN])],
) -> Result<(), KeyError> {
    if items.is_empty() {
        return Ok(());
    }
    let mut keys = Vec::with_capacity(items.len());
    let mut msgs = Vec::with_capacity(items.len());
    let mut sigs = Vec::with_capacity(items.len());
    for (pk, msg, sig) in items {
        let vk = VerifyingKey::from_bytes(&pk.0).map_err(|_| KeyError::InvalidPublicKey)?;
        if vk.is_weak() {
            return Err(KeyError::InvalidPublicKey);
        }
        keys.push(vk);
        msgs.push(domain_message(domain, msg));
        sigs.push(ed25519_dalek::Signature::from_bytes(sig));
    }
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    ed25519_dalek::verify_batch(&refs, &sigs, &keys).map_err(|_| KeyError::BadSignature)
}

fn domain_message(domain: &[u8], message: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(domain.len().saturating_add(message.len()));
    m.extend_from_slice(domain);
    m.extend_from_slice(message);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_verification_agrees_with_single_verification() {
        let keys: Vec<NodeKey> = (0..8u8).map(|i| NodeKey::from_seed([i; 32])).collect();
        let msgs: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 40 + i as usize]).collect();
        let mut sigs: Vec<[u8; SIGNATURE_LEN]> = keys
            .iter()
            .zip(&msgs)
            .map(|(k, m)| k.sign(b"d\0", m))
            .collect();
        let pks: Vec<PublicKey> = keys.iter().map(NodeKey::public).collect();
        let items = |sigs: &[[u8; SIGNATURE_LEN]]| -> Result<(), KeyError> {
            let v: Vec<(&PublicKey, &[u8], &[u8; SIGNATURE_LEN])> = pks
                .iter()
                .zip(&msgs)
                .zip(sigs)
                .map(|((p, m), s)| (p, m.as_slice(), s))
                .collect();
            verify_batch(b"d\0", &v)
        };
        assert!(items(&sigs).is_ok());
        assert!(verify_batch(b"d\0", &[]).is_ok());
        // One flipped bit anywhere fails the whole batch; a wrong domain too.
        sigs[5][10] ^= 1;
        assert!(items(&sigs).is_err());
        sigs[5][10] ^= 1;
        let v = [(&pks[0], msgs[0].as_slice(), &sigs[0])];
        assert!(verify_batch(b"other\0", &v).is_err());
        // A small-order key is refused even with a "valid" batch equation.
        let weak = PublicKey([0u8; 32]);
        let mut id = [0u8; 32];
        id[0] = 1;
        let weak2 = PublicKey(id);
        for w in [weak, weak2] {
            let v = [(&w, msgs[0].as_slice(), &sigs[0])];
            assert!(verify_batch(b"d\0", &v).is_err());
        }
    }

    fn unhex<const N: usize>(s: &str) -> [u8; N] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// RFC 8032 §7.1, TEST 1 (empty message), TEST 2 (one byte) and TEST 3 (two bytes).
    #[test]
    fn rfc8032_known_answers() {
        let cases = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
            (
                "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
                "af82",
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
            ),
        ];
        for (sk, pk, msg, sig) in cases {
            let key = NodeKey::from_seed(unhex(sk));
            assert_eq!(key.public().0, unhex::<32>(pk));
            let msg = hex::decode(msg).unwrap();
            let s = key.sign_raw(&msg);
            assert_eq!(s, unhex::<64>(sig));
            key.public().verify_raw(&msg, &s).unwrap();
            let mut bad = s;
            bad[0] ^= 1;
            assert!(key.public().verify_raw(&msg, &bad).is_err());
        }
    }

    #[test]
    fn domain_separation_prevents_cross_use() {
        let key = NodeKey::from_seed([7; 32]);
        let sig = key.sign(b"shoal/a\0", b"msg");
        key.public().verify(b"shoal/a\0", b"msg", &sig).unwrap();
        assert!(key.public().verify(b"shoal/b\0", b"msg", &sig).is_err());
        assert!(key.public().verify_raw(b"msg", &sig).is_err());
    }

    #[test]
    fn save_and_load_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        let key = NodeKey::from_seed([9; 32]);
        key.save_new(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert_eq!(NodeKey::load(&path).unwrap().public(), key.public());
        assert!(matches!(key.save_new(&path), Err(KeyError::Exists { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn load_refuses_world_readable_key() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        NodeKey::from_seed([1; 32]).save_new(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            NodeKey::load(&path),
            Err(KeyError::Permissions { .. })
        ));
    }

    #[test]
    fn peer_id_matches_libp2p_keypair() {
        let key = NodeKey::from_seed([3; 32]);
        let kp = key.libp2p_keypair().unwrap();
        assert_eq!(kp.public().to_peer_id(), key.public().peer_id().unwrap());
        assert!(key
            .public()
            .peer_id()
            .unwrap()
            .to_string()
            .starts_with("12D3KooW"));
    }
}
