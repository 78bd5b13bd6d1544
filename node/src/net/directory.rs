//! The node's admission directory: its trust roots, its own certificate chain, the
//! verified admission of every key it has seen a chain for (peers and publishers), and
//! the revocations anchors have gossiped. Every "is this key allowed to ..." question of
//! the network layer is answered here, from `protocol::admission`.

use std::collections::HashMap;

use shoal_crypto::keys::PublicKey;
use shoal_protocol::admission::{self, Admitted, Chain, Revocation, RevocationSet, TrustRoots};

use crate::store::Store;

/// Why a chain or revocation was not taken.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The chain or revocation is invalid.
    #[error(transparent)]
    Admission(#[from] admission::AdmissionError),
}

/// Admission knowledge of a node.
pub struct Directory {
    roots: TrustRoots,
    revocations: RevocationSet,
    /// Raw chains by subject (re-verified on expiry and revocation).
    chains: HashMap<PublicKey, Vec<u8>>,
    /// Verified admissions by key.
    admitted: HashMap<PublicKey, Admitted>,
    /// This node's own chain bytes (empty for a trust root).
    pub own_chain: Vec<u8>,
    /// This node's own admission, if any.
    pub own: Option<Admitted>,
}

impl Directory {
    /// Build from config and what the store remembers; `own_chain` is the installed
    /// certificate file's content (empty if none).
    pub fn new(
        roots: TrustRoots,
        own_key: &PublicKey,
        own_name: &str,
        own_chain: Vec<u8>,
        store: &Store,
        now: u64,
    ) -> Result<Self, DirectoryError> {
        let mut d = Self {
            roots,
            revocations: RevocationSet::default(),
            chains: HashMap::new(),
            admitted: HashMap::new(),
            own_chain: Vec::new(),
            own: None,
        };
        for rev in store.revocations().flatten() {
            let _ = d.add_revocation(&rev, now);
        }
        for (subject, chain) in store.chains().flatten() {
            let _ = d.learn(&subject, &chain, now);
        }
        if d.roots.contains(own_key) {
            let name = d.roots.name(own_key).unwrap_or(own_name).to_string();
            d.own = Some(Admitted::root(*own_key, name));
        } else if !own_chain.is_empty() {
            d.own = Some(d.learn(own_key, &own_chain, now)?);
            d.own_chain = own_chain;
        }
        Ok(d)
    }

    /// Verify `chain` as presented by `subject` and remember it. Trust roots need no chain.
    pub fn learn(
        &mut self,
        subject: &PublicKey,
        chain: &[u8],
        now: u64,
    ) -> Result<Admitted, DirectoryError> {
        if let Some(root) = self.roots.admitted(subject) {
            self.admitted.insert(*subject, root.clone());
            return Ok(root);
        }
        let parsed = Chain::parse(chain)?;
        let a =
            admission::verify_peer(subject, Some(&parsed), &self.roots, &self.revocations, now)?;
        self.chains.insert(*subject, chain.to_vec());
        self.admitted.insert(*subject, a.clone());
        Ok(a)
    }

    /// The admission of `key`, if known and still valid at `now`.
    pub fn admitted(&self, key: &PublicKey, now: u64) -> Option<&Admitted> {
        self.admitted.get(key).filter(|a| a.expires_at > now)
    }

    /// Whether `key` has a raw chain remembered (even if it is no longer valid).
    pub fn knows(&self, key: &PublicKey) -> bool {
        self.admitted.contains_key(key)
    }

    /// Take a gossiped revocation; returns the keys whose admission it removed.
    pub fn add_revocation(
        &mut self,
        bytes: &[u8],
        now: u64,
    ) -> Result<Vec<PublicKey>, DirectoryError> {
        let rev = Revocation::parse(bytes)?;
        let issuer = self.admitted.get(&rev.issuer()).cloned();
        self.revocations.insert(rev, &self.roots, issuer.as_ref())?;
        // Re-verify every remembered chain: a revoked intermediate removes its members.
        let mut removed = Vec::new();
        let revs = &self.revocations;
        let roots = &self.roots;
        self.admitted.retain(|key, _| {
            if roots.contains(key) {
                return true;
            }
            let keep = self
                .chains
                .get(key)
                .and_then(|c| Chain::parse(c).ok())
                .map(|c| admission::verify_chain(&c, roots, revs, now).is_ok())
                .unwrap_or(false);
            if !keep {
                removed.push(*key);
            }
            keep
        });
        for k in &removed {
            self.chains.remove(k);
            if self.own.as_ref().map(|o| &o.key) == Some(k) {
                self.own = None;
            }
        }
        Ok(removed)
    }

    /// The raw chain remembered for `key`.
    pub fn chain_bytes(&self, key: &PublicKey) -> Option<Vec<u8>> {
        self.chains.get(key).cloned()
    }

    /// Every admitted key and its admission.
    pub fn all(&self) -> impl Iterator<Item = &Admitted> {
        self.admitted.values()
    }

    /// Communities this node takes part in (its own admission's, plus for a trust root
    /// every community seen in a peer's admission).
    pub fn own_communities(&self) -> Vec<String> {
        match &self.own {
            None => Vec::new(),
            Some(a) => match &a.communities {
                admission::Communities::Only(set) => set.iter().cloned().collect(),
                admission::Communities::All => {
                    let mut all: Vec<String> = self
                        .admitted
                        .values()
                        .filter_map(|a| match &a.communities {
                            admission::Communities::Only(s) => Some(s.iter().cloned()),
                            admission::Communities::All => None,
                        })
                        .flatten()
                        .collect();
                    all.sort();
                    all.dedup();
                    all
                }
            },
        }
    }
}
