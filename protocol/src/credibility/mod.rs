//! Credibility: every item scored from signed, logged evidence, and every score
//! explained.
//!
//! * [`evidence`] — what an envelope says (a claim, a confirmation, a refutation, a
//!   revocation) and the canonical [`evidence::EvidenceSet`] of everything a node holds;
//! * [`outcomes`] — the pairwise agreement counts trust is computed from, compact;
//! * [`trust`] — global trust of publishers, EigenTrust over the outcomes of their claims
//!   with the anchors as the pre-trusted set;
//! * [`score`] — an item's credibility from its publisher's trust, independent
//!   confirmations and refutations, the declared confidence and age decay, with the
//!   [`score::Explanation`] of each input;
//! * [`decay`] — MISP's polynomial decay model with lifetimes per observable type;
//! * [`admiralty`] — the Admiralty code of an item;
//! * [`vecmap`] — the small sorted-vector maps the evidence set is made of.
//!
//! Sans-IO and deterministic: the same evidence gives the same trust vector and the same
//! scores on every node (time comes from the caller).

pub mod admiralty;
pub mod backend;
pub mod decay;
pub mod evidence;
pub mod outcomes;
pub mod record;
pub mod score;
pub mod tally;
pub mod trust;
pub mod vecmap;

pub use backend::{Backend, Memory};
pub use evidence::{classify, EvidenceSet, Statement};
pub use outcomes::{Outcome, Outcomes};
pub use score::{explain, try_explain, Explanation, ScoreParams};
pub use trust::{compute, Graph, TrustParams, TrustVector};
