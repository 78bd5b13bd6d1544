//! Shoal's sans-IO protocol layer: the STIX 2.1 intel model and its validation
//! ([`stix`], with STIX Patterning in [`stix::pattern`]), RFC 8785 canonical JSON
//! ([`jcs`]), FIRST TLP 2.0 markings ([`tlp`]) and the signed, versioned [`envelope`]
//! every shared object travels in.
//!
//! No I/O, no clock, no randomness: times and keys come from the caller. Everything that
//! reads untrusted bytes is bounded (size, depth) and returns errors instead of panicking.

#![warn(missing_docs)]
// Nothing here may panic or overflow on data from peers or users.
#![cfg_attr(
    not(test),
    warn(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented,
        clippy::unreachable
    )
)]

pub mod admission;
pub mod advisory;
pub mod credibility;
pub mod desensitize;
pub mod dp;
pub mod envelope;
pub mod jcs;
mod json;
pub mod misp;
pub mod provenance;
pub mod situation;
pub mod stix;
pub mod sync;
pub mod tlp;
pub mod wire;
pub mod witness;

pub use envelope::{
    coarse_time, Envelope, EnvelopeBody, EnvelopeError, Extension, ExtensionKind,
    DEFAULT_MAX_ENVELOPE_BYTES, ENVELOPE_VERSION, SIGNING_DOMAIN,
};
pub use jcs::JcsError;
pub use json::JsonError;
pub use stix::{parse_input, validate_object, InputError, ObjectError, StixObject};
pub use tlp::{object_tlp, Tlp};
