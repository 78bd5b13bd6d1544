//! The network simulation: the real protocol objects (signed envelopes, ledgers,
//! equivocation proofs, privacy budgets, credibility and trust) carried over a modelled
//! gossip network on a virtual clock, with churn, partitions and adversaries, from one
//! seed. `scenario` is the file format, `world` the nodes, meshes and links, `engine`
//! how one message spreads (push, lazy gossip, sync), `run` the workload and the
//! measurements, `results` their shape, `histogram` the latency histograms, `output` the
//! files (`results.json`, CSV, SVG plots) and `compare`; `drill` the emergency-response
//! drills (advisories out, acknowledgements back).

pub mod drill;
pub mod engine;
pub mod histogram;
pub mod output;
pub mod results;
pub mod run;
pub mod scenario;
pub mod world;
