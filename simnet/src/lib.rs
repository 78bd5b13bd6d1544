//! Shoal's simulation harness (skeleton). It will drive the real `protocol/` state
//! machines on a virtual clock with seeded randomness; for now it owns the two
//! pieces everything else builds on: the deterministic [`clock::EventQueue`] and a
//! [`ledger_sim`] that publishes signed envelopes into in-memory Merkle ledgers.

pub mod clock;
pub mod ledger_sim;
