//! Shoal's simulation harness. It drives the real `protocol/` state machines with
//! seeded randomness:
//!
//! * [`clock::EventQueue`], a deterministic virtual-clock event queue, and
//!   [`ledger_sim`], publishers signing envelopes into in-memory Merkle ledgers;
//! * the credibility experiment of issue #6 ([`credibility_sim`]): colluders and Sybils
//!   against `shoal_protocol::credibility`, read from a [`scenario`] file, measured with
//!   [`metrics`] and written out by [`report`] — the `shoal-sim` binary runs it.

pub mod clock;
pub mod credibility_sim;
pub mod ledger_sim;
pub mod metrics;
pub mod network;
pub mod report;
pub mod scenario;
