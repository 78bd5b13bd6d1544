//! Emergency response on the node: advisories (`x-shoal-advisory`) and members'
//! acknowledgements (`x-shoal-advisory-ack`), defined and validated by
//! `shoal_protocol::advisory`.
//!
//! Both travel as ordinary envelopes: published through the normal pipeline
//! ([`crate::publish`]: TLP, desensitization of the free text, signing, logging), gossiped
//! and synced like any intel, so a member that was offline receives them from the
//! publisher's ledger by the existing anti-entropy sync. Gossip carries them on the
//! community's priority topic ([`crate::net::topics::advisories`]) so they are not queued
//! behind bulk intel, and receivers check them with the same rules as intel.
//!
//! [`Advisories`] keeps the [`index::Index`] of what the node holds: built from the store
//! at start-up and brought up to date incrementally ([`Advisories::refresh`]: new own
//! ledger entries and the newly verified prefix of every replica, each publisher in its
//! ledger order), so nothing extra is persisted and the index cannot drift from the logs.
//! Received items count once their publisher's checkpoint verified them, which is also
//! what makes their tlog-proofs available.
//!
//! Files: [`index`] (the index), [`roles`] (anchors and admitted communities),
//! [`compose`] (building advisory and ack objects from API input), [`view`] (the JSON
//! answers), [`api`] (the HTTP handlers), [`reminders`] (overdue critical advisories:
//! log, metric, list flag).

pub mod api;
pub mod compose;
pub mod index;
pub mod reminders;
pub mod roles;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

use shoal_crypto::keys::PublicKey;
use shoal_protocol::Envelope;

use crate::store::replicas::Held;
use crate::store::{Store, StoreError};

/// Who this node is, for scope and authority decisions.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The node key.
    pub key: PublicKey,
    /// `node.role` is anchor.
    pub anchor: bool,
    /// `privacy.dp.member_sector` (the node's own sector, used only locally).
    pub sector: Option<String>,
    /// `privacy.dp.member_region`.
    pub region: Option<String>,
    /// Trust roots (`network.trust_anchors`).
    pub roots: BTreeSet<PublicKey>,
    /// The own admission chain (empty without one).
    pub own_chain: Vec<u8>,
}

/// How far the index has read.
#[derive(Debug, Default)]
struct Cursors {
    /// Own ledger entries read.
    own: u64,
    /// Per publisher: verified leaves read.
    replicas: BTreeMap<PublicKey, u64>,
}

/// The node's advisory service.
pub struct Advisories {
    store: Store,
    /// Who this node is.
    pub me: Identity,
    max_envelope: usize,
    index: RwLock<index::Index>,
    cursors: Mutex<Cursors>,
    /// Serialises this node's acks (the forward-only check and the append).
    pub(crate) ack_lock: tokio::sync::Mutex<()>,
    /// Reminder state (last warning per advisory).
    pub(crate) reminded: Mutex<BTreeMap<String, u64>>,
}

impl std::fmt::Debug for Advisories {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Advisories").field("me", &self.me).finish()
    }
}

impl Advisories {
    /// An empty service; [`Advisories::refresh`] reads the store.
    pub fn new(store: Store, me: Identity, max_envelope: usize) -> Self {
        Self {
            store,
            me,
            max_envelope,
            index: RwLock::new(index::Index::default()),
            cursors: Mutex::new(Cursors::default()),
            ack_lock: tokio::sync::Mutex::new(()),
            reminded: Mutex::new(BTreeMap::new()),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Read what the store gained since the last call: new own ledger entries, and for
    /// every replica the leaves its verified size grew by. Returns how many advisory or
    /// ack envelopes were taken in. Blocking (store reads): call from a blocking thread.
    pub fn refresh(&self) -> Result<usize, StoreError> {
        let Ok(mut cur) = self.cursors.lock() else {
            return Ok(0);
        };
        let mut found: Vec<Envelope> = Vec::new();
        for item in self.store.entries_from(cur.own) {
            let (i, bytes) = item?;
            cur.own = i.saturating_add(1);
            if let Some(env) = self.candidate(&bytes) {
                found.push(env);
            }
        }
        for state in self.store.log_states() {
            let (publisher, state) = state?;
            if publisher == self.me.key {
                continue;
            }
            let from = cur.replicas.get(&publisher).copied().unwrap_or(0);
            if state.verified_size <= from {
                continue;
            }
            for held in self.store.held_from(&publisher, from) {
                let (i, held) = held?;
                if i >= state.verified_size {
                    break;
                }
                if let Held::Full { bytes, .. } = held {
                    if let Some(env) = self.candidate(&bytes) {
                        if env.body.publisher == publisher && env.body.ledger_index == i {
                            found.push(env);
                        }
                    }
                }
            }
            cur.replicas.insert(publisher, state.verified_size);
        }
        let n = found.len();
        if n > 0 {
            if let Ok(mut index) = self.index.write() {
                for env in &found {
                    match index.observe(env) {
                        index::Seen::Invalid(e) => tracing::warn!(
                            publisher = %hex::encode(env.body.publisher.0),
                            index = env.body.ledger_index,
                            error = %e,
                            "dropped an invalid advisory or acknowledgement"
                        ),
                        index::Seen::Dropped(why) => tracing::debug!(
                            publisher = %hex::encode(env.body.publisher.0),
                            index = env.body.ledger_index,
                            why,
                            "advisory item not indexed"
                        ),
                        _ => {}
                    }
                }
            }
        }
        Ok(n)
    }

    /// Decode an envelope that may hold an advisory or ack (a byte filter first).
    fn candidate(&self, bytes: &[u8]) -> Option<Envelope> {
        const MARKER: &[u8] = b"x-shoal-advisory";
        if !bytes.windows(MARKER.len()).any(|w| w == MARKER) {
            return None;
        }
        Envelope::decode(bytes, self.max_envelope).ok()
    }

    /// Read access to the index (refresh first for an up-to-date view).
    pub fn index(&self) -> Option<RwLockReadGuard<'_, index::Index>> {
        self.index.read().ok()
    }

    /// The admissions known now.
    pub fn roles(&self) -> Result<roles::Roles, StoreError> {
        roles::Roles::load(&self.store, &self.me.roots, &self.me.own_chain)
    }

    /// Whether `key` is an anchor (own key: `node.role`).
    pub fn is_anchor(&self, roles: &roles::Roles, key: &PublicKey) -> bool {
        if *key == self.me.key && self.me.anchor {
            return true;
        }
        roles.is_anchor(key)
    }

    /// The exact entry bytes of a logged item (own ledger or a held replica leaf).
    pub fn entry_bytes(&self, publisher: &PublicKey, index: u64) -> Option<Vec<u8>> {
        if *publisher == self.me.key {
            return self.store.entry(index).ok().flatten();
        }
        match self.store.held(publisher, index) {
            Ok(Some(Held::Full { bytes, .. })) => Some(bytes),
            _ => None,
        }
    }

    /// Whether the entry at (publisher, index) carries a valid signature of `publisher`.
    pub fn signature_verifies(&self, publisher: &PublicKey, index: u64) -> bool {
        self.entry_bytes(publisher, index)
            .and_then(|b| Envelope::decode_verified(&b, self.max_envelope).ok())
            .is_some_and(|e| e.body.publisher == *publisher && e.body.ledger_index == index)
    }
}
