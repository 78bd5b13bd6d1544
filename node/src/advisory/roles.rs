//! Who publishers are, as far as advisories care: whether a key is an admitted anchor
//! (its advisories are authoritative) and which communities it was admitted to (shown
//! next to a member's acknowledgement).
//!
//! Read from the admission chains the store holds (the network verified each before
//! storing it) and this node's own chain, keeping only chains rooted in a trust root
//! (`network.trust_anchors`), as the credibility service does; trust roots are anchors in
//! every community. The leaf certificate's sector and region (vouched for by the
//! admitting anchor) are shown next to a member's acknowledgements.

use std::collections::{BTreeMap, BTreeSet};

use shoal_crypto::keys::PublicKey;
use shoal_protocol::admission::{Chain, Role};

use crate::store::{Store, StoreError};

/// What the admission of one key says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// Member or anchor.
    pub role: Role,
    /// Its communities (`["*"]` for a trust root).
    pub communities: Vec<String>,
    /// The sector its admitting anchor vouches for.
    pub sector: Option<String>,
    /// The region its admitting anchor vouches for.
    pub region: Option<String>,
}

/// The admissions known to this node.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    keys: BTreeMap<PublicKey, Admitted>,
}

impl Roles {
    /// Read the roots, the own chain and the stored chains.
    pub fn load(
        store: &Store,
        roots: &BTreeSet<PublicKey>,
        own_chain: &[u8],
    ) -> Result<Roles, StoreError> {
        let mut keys = BTreeMap::new();
        let mut take = |bytes: &[u8]| {
            let Ok(chain) = Chain::parse(bytes) else {
                return;
            };
            let rooted = chain
                .certificates
                .last()
                .is_some_and(|c| roots.contains(&c.issuer));
            if let Some(leaf) = chain.leaf().filter(|_| rooted) {
                keys.insert(
                    leaf.subject,
                    Admitted {
                        role: leaf.role,
                        communities: leaf.communities.iter().cloned().collect(),
                        sector: leaf.sector.clone(),
                        region: leaf.region.clone(),
                    },
                );
            }
        };
        if !own_chain.is_empty() {
            take(own_chain);
        }
        for item in store.chains() {
            let (_, bytes) = item?;
            take(&bytes);
        }
        for root in roots {
            keys.insert(
                *root,
                Admitted {
                    role: Role::Anchor,
                    communities: vec!["*".to_owned()],
                    sector: None,
                    region: None,
                },
            );
        }
        Ok(Roles { keys })
    }

    /// The admission of `key`, if known.
    pub fn get(&self, key: &PublicKey) -> Option<&Admitted> {
        self.keys.get(key)
    }

    /// Whether `key` is an admitted anchor.
    pub fn is_anchor(&self, key: &PublicKey) -> bool {
        self.get(key).is_some_and(|a| a.role == Role::Anchor)
    }
}
