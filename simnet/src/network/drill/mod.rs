//! Emergency-response drills on the simulated network (the simulator side of the
//! "Emergency response" issue): an anchor publishes `x-shoal-advisory` objects flagged
//! as drills on the priority topic, members acknowledge with `x-shoal-advisory-ack`
//! objects (received → assessing → mitigated | not_affected) that travel back the same
//! way, under the scenario's churn and links, and the run measures time-to-notify and
//! time-to-acknowledge.
//!
//! `spec` is the `[drill]` table, `response` the members' seeded response model,
//! `objects` the real protocol objects and envelopes, `sim` the run, `measure` and
//! `results` the figures, `summary` the printed lines, `files` and `plot` the outputs.

pub mod files;
pub mod measure;
pub mod objects;
pub mod plot;
pub mod response;
pub mod results;
pub mod sim;
pub mod spec;
pub mod summary;

pub use results::{AdvisoryOutcome, DrillResults, DrillRun, MemberRow, Quantiles};
pub use spec::DrillSpec;
