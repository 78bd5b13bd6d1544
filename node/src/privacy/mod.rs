//! The node's privacy pipeline around the protocol's sans-IO pieces: key files
//! ([`keys`]), the desensitization policy and DP parameters built from configuration
//! ([`settings`]), and the budget accountant thread that persists every spend before
//! a release leaves ([`accountant`]).

pub mod accountant;
pub mod keys;
pub mod settings;

use shoal_crypto::{CryptoPan, PseudonymKey};
use shoal_protocol::desensitize::Policy;
use shoal_protocol::dp::budget::Budget;
use shoal_protocol::dp::DpParams;

/// Everything the publish pipeline needs to desensitize and privatize.
pub struct PrivacyEngine {
    /// What is internal, and what happens to it.
    pub policy: Policy,
    /// Prefix-preserving IP pseudonymisation.
    pub cryptopan: CryptoPan,
    /// Secret the per-epoch pseudonym keys derive from.
    pseudonym_secret: [u8; 32],
    /// Length of a pseudonym epoch in seconds.
    pub pseudonym_epoch_secs: u64,
    /// Differential-privacy parameters.
    pub dp: DpParams,
    /// The privacy budget.
    pub budget: Budget,
    /// The accountant that spends it.
    pub accountant: accountant::AccountantHandle,
}

impl PrivacyEngine {
    /// Assemble an engine.
    pub fn new(
        policy: Policy,
        cryptopan: CryptoPan,
        pseudonym_secret: [u8; 32],
        pseudonym_epoch_secs: u64,
        dp: DpParams,
        budget: Budget,
        accountant: accountant::AccountantHandle,
    ) -> Self {
        Self {
            policy,
            cryptopan,
            pseudonym_secret,
            pseudonym_epoch_secs,
            dp,
            budget,
            accountant,
        }
    }

    /// The pseudonym key of the epoch containing `now_unix`.
    pub fn pseudonym_key(&self, now_unix: u64) -> PseudonymKey {
        let epoch = now_unix.checked_div(self.pseudonym_epoch_secs).unwrap_or(0);
        PseudonymKey::derive(&self.pseudonym_secret, epoch)
    }
}
