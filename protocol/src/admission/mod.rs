//! Admission: who may join a Shoal network and which communities' intel they may receive.
//!
//! Trust is rooted in a node's configured [`TrustRoots`] (Ed25519 keys, e.g. a national
//! CERT). A root certifies anchors (e.g. provincial CERTs) and members with signed
//! [`Certificate`]s; an anchor certifies members. A node proves its admission by presenting
//! its [`Chain`] — its own certificate first, then its issuer's, up to one issued by a root,
//! at most [`MAX_CHAIN_LEN`] certificates — which [`verify_chain`] turns into an
//! [`Admitted`]. [`Admitted::may_receive`] is the single place the TLP eligibility rule
//! lives. [`Revocation`]s withdraw admissions.
//!
//! Flow: the member makes an [`AdmissionRequest`] (signed by its key), the anchor answers
//! with [`Chain::issue`], the member installs the chain, peers run [`verify_peer`].
//!
//! Sans-IO: the current time (`now`, unix seconds) and randomness (certificate serials) are
//! always passed in. Every reader is size-bounded and returns errors, never panics.

mod certificate;
mod codec;
mod error;
mod request;
mod revocation;
mod verify;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use shoal_crypto::note::Verifier;
use shoal_crypto::PublicKey;

use crate::tlp::Tlp;

pub use certificate::{
    Certificate, Chain, Grant, CERTIFICATE_DOMAIN, CERTIFICATE_VERSION, CHAIN_FORMAT_VERSION,
    ISSUE_BACKDATE_SECS, MAX_CHAIN_BYTES, MAX_COMMUNITIES,
};
pub use error::AdmissionError;
pub use request::{AdmissionRequest, MAX_REQUEST_BYTES, REQUEST_DOMAIN, REQUEST_FORMAT_VERSION};
pub use revocation::{
    Revocation, RevocationSet, MAX_REASON_CHARS, MAX_REVOCATION_BYTES, REVOCATION_DOMAIN,
    REVOCATION_FORMAT_VERSION,
};
pub use verify::{verify_chain, verify_peer};

/// Most certificates in a chain: at most two anchor levels below a trust root
/// (root → anchor → anchor → member is three certificates).
pub const MAX_CHAIN_LEN: usize = 3;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// Latest time accepted in signed documents (2^53 − 1, exact in RFC 8785's doubles).
pub const MAX_TIME: u64 = (1 << 53) - 1;

/// What a certificate lets its subject do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Receives and publishes intel.
    Member,
    /// A member that may also issue certificates (within its own communities).
    Anchor,
}

impl Role {
    /// `"member"` or `"anchor"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Anchor => "anchor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name other than `member` or `anchor`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (expected member or anchor)")]
pub struct ParseRoleError(pub String);

impl FromStr for Role {
    type Err = ParseRoleError;

    /// Case-insensitive, surrounding whitespace ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "member" => Ok(Role::Member),
            "anchor" => Ok(Role::Anchor),
            _ => Err(ParseRoleError(s.to_owned())),
        }
    }
}

/// The communities an admitted key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Communities {
    /// Every community: a trust root.
    All,
    /// Exactly these.
    Only(BTreeSet<String>),
}

impl Communities {
    /// Whether `community` is among them.
    pub fn contains(&self, community: &str) -> bool {
        match self {
            Communities::All => true,
            Communities::Only(set) => set.contains(community),
        }
    }
}

/// A key whose admission was verified: by [`verify_chain`] / [`verify_peer`], or because it
/// is a trust root ([`Admitted::root`]). Valid until `expires_at`; re-verify after that (or
/// when revocations arrive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// The admitted key.
    pub key: PublicKey,
    /// Its certified display name (for a root, its verifier key name).
    pub name: String,
    /// Member or anchor (roots are anchors).
    pub role: Role,
    /// The communities it belongs to.
    pub communities: Communities,
    /// When the chain stops being valid: the earliest `not_after` in it (unix seconds,
    /// exclusive); `u64::MAX` for a root.
    pub expires_at: u64,
    /// Who issued its certificate (for a root, the root itself).
    pub issuer: PublicKey,
}

impl Admitted {
    /// A trust root: an anchor in every community that never expires.
    pub fn root(key: PublicKey, name: impl Into<String>) -> Self {
        Self {
            key,
            name: name.into(),
            role: Role::Anchor,
            communities: Communities::All,
            expires_at: u64::MAX,
            issuer: key,
        }
    }

    /// Whether this admission is still within its validity at `now`.
    pub fn is_current(&self, now: u64) -> bool {
        now < self.expires_at
    }

    /// Whether the key is admitted to `community` (a root is admitted to all).
    pub fn is_member_of(&self, community: &str) -> bool {
        self.communities.contains(community)
    }

    /// **The eligibility rule** — the one place Shoal decides whether an admitted peer may
    /// receive an envelope marked `tlp` for `community`:
    ///
    /// | TLP                 | who may receive                                    |
    /// |---------------------|----------------------------------------------------|
    /// | CLEAR               | every admitted peer, whatever its communities      |
    /// | GREEN, AMBER        | peers admitted to the envelope's `community`       |
    /// | AMBER+STRICT, RED   | nobody (such objects are never enveloped or sent)   |
    ///
    /// A trust root counts as admitted to every community. The caller must hold a current
    /// admission (checked with [`Admitted::is_current`]) obtained from [`verify_peer`].
    pub fn may_receive(&self, tlp: Tlp, community: &str) -> bool {
        match tlp {
            Tlp::Clear => true,
            Tlp::Green | Tlp::Amber => self.is_member_of(community),
            Tlp::AmberStrict | Tlp::Red => false,
        }
    }
}

/// The keys a node trusts to root admission chains, with their names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustRoots {
    roots: std::collections::BTreeMap<PublicKey, String>,
}

impl TrustRoots {
    /// No roots (admits nobody).
    pub fn new() -> Self {
        Self::default()
    }

    /// Trust `key` under `name` (replaces the name if already trusted).
    pub fn insert(&mut self, key: PublicKey, name: impl Into<String>) {
        self.roots.insert(key, name.into());
    }

    /// Roots from C2SP verifier keys (`<name>+<key id>+<base64 key>`), as configured.
    pub fn from_vkeys<S: AsRef<str>>(vkeys: &[S]) -> Result<Self, AdmissionError> {
        let mut roots = Self::new();
        for (index, vkey) in vkeys.iter().enumerate() {
            let text = vkey.as_ref().trim();
            let verifier =
                Verifier::parse(text).map_err(|source| AdmissionError::BadTrustRoot {
                    index,
                    vkey: text.chars().take(200).collect(),
                    source,
                })?;
            roots.insert(verifier.key, verifier.name);
        }
        Ok(roots)
    }

    /// Whether `key` is a trust root.
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.roots.contains_key(key)
    }

    /// The configured name of root `key`.
    pub fn name(&self, key: &PublicKey) -> Option<&str> {
        self.roots.get(key).map(String::as_str)
    }

    /// The admission of `key` if it is a trust root.
    pub fn admitted(&self, key: &PublicKey) -> Option<Admitted> {
        self.roots
            .get(key)
            .map(|name| Admitted::root(*key, name.clone()))
    }

    /// Number of roots.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether there is no root.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// The root keys.
    pub fn keys(&self) -> impl Iterator<Item = &PublicKey> {
        self.roots.keys()
    }
}
