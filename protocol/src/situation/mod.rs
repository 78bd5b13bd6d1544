//! Situation awareness (sans-IO): from the intel items a node holds, a privacy-preserving
//! picture of the threat landscape — counts over time by category, sighting volumes and
//! sector/region breakdowns as **unbiased estimates with 95 % confidence intervals**
//! (from each item's privacy receipt; never a noised number presented as exact), top
//! indicators by credibility-weighted independent sightings, accelerating indicators, a
//! short-horizon forecast with prediction intervals and alerts, the STIX relationship
//! neighbourhood of any item, and matches against a local asset inventory that never
//! leaves the node.
//!
//! The node gathers [`ItemFacts`] from its store and calls [`aggregate()`]; the result
//! ([`Situation`]) is what `GET /api/v1/situation` serves as JSON, the `/situation` page
//! draws and `shoal situation` prints. Time comes from the caller ([`Query::now_unix`]).
//!
//! Submodules: [`aggregate`](mod@aggregate) (bucketing and counting), [`forecast`] (Holt's linear trend
//! with prediction intervals), [`graph`] (relationship neighbourhoods), [`assets`] (the
//! local inventory and its matcher).

pub mod aggregate;
pub mod assets;
pub mod forecast;
pub mod graph;

use serde::{Deserialize, Serialize};

pub use aggregate::aggregate;
pub use assets::{AssetInventory, AssetMatch};
pub use forecast::{Forecast, ForecastPoint};
pub use graph::{neighbourhood, Graph, GraphEdge, GraphNode};

use crate::dp::PrivacyReceipt;

/// One intel item a node holds (its own or a peer's), as the aggregator sees it.
#[derive(Debug, Clone)]
pub struct ItemFacts {
    /// Publisher key, hex.
    pub publisher: String,
    /// Community the item was published to.
    pub community: String,
    /// When the publisher logged it (envelope `published_at`, Unix seconds).
    pub published_at: u64,
    /// The STIX object (desensitized and privatized as received).
    pub object: serde_json::Value,
    /// Its privacy receipt, if any property was privatized.
    pub receipt: Option<PrivacyReceipt>,
    /// Its credibility score in [0, 1], if computed.
    pub credibility: Option<f64>,
}

/// What to aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Start of the window (inclusive), Unix seconds.
    pub from_unix: u64,
    /// End of the window (exclusive), Unix seconds.
    pub to_unix: u64,
    /// Width of a time bucket in seconds (> 0).
    pub bucket_secs: u64,
    /// The caller's clock (for "newly seen", acceleration and the forecast's origin).
    pub now_unix: u64,
}

/// An estimate as served: `value` with its 95 % interval. Exact values have
/// `ci_low == ci_high == value` and `exact: true`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Est {
    /// Point estimate.
    pub value: f64,
    /// Lower end of the 95 % confidence interval.
    pub ci_low: f64,
    /// Upper end of the 95 % confidence interval.
    pub ci_high: f64,
    /// Whether the value is exact (not derived from noised releases).
    pub exact: bool,
}

/// One time series: a value per bucket (bucket `i` starts at `from_unix + i * bucket_secs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// What it counts, e.g. `indicator`, `energy`, `T1566`, `CVE-2026-0001`.
    pub key: String,
    /// One estimate per bucket.
    pub points: Vec<Est>,
    /// Total over the window.
    pub total: Est,
}

/// A breakdown: series per category value, largest total first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// The dimension, e.g. `type`, `sector`, `region`, `community`, `technique`,
    /// `malware`, `vulnerability`.
    pub dimension: String,
    /// Its series.
    pub series: Vec<Series>,
}

/// A top indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopIndicator {
    /// STIX id of the indicator.
    pub id: String,
    /// Its name or pattern, for display.
    pub label: String,
    /// Its credibility in [0, 1] (best known).
    pub credibility: f64,
    /// Distinct publishers that shared it or sighted it.
    pub sources: usize,
    /// Sightings (estimated, from noised counts).
    pub sightings: Est,
    /// Ranking score: credibility-weighted independent sightings.
    pub score: f64,
    /// First seen inside the window (not before it).
    pub new: bool,
    /// Sightings in the recent half of the window significantly above the earlier half.
    pub accelerating: bool,
}

/// The whole picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Situation {
    /// The query answered.
    pub query: Query,
    /// Items considered (inside the window).
    pub items: usize,
    /// Distinct publishers among them.
    pub publishers: usize,
    /// Items per bucket by STIX type, community, ATT&CK technique, malware family and
    /// vulnerability (exact counts of items held).
    pub breakdowns: Vec<Breakdown>,
    /// Sighting volume per bucket (estimated from noised counts), overall and by
    /// sector and region (debiased randomized response). Dimension `sightings`; the first
    /// series is `total` (sighting `count`s plus observed-data `number_observed`s), then
    /// `sector:<name>` and `region:<name>` series (largest first, each list capped with a
    /// `sector:other` / `region:other`), which count sighting *reports* by the reporter's
    /// true sector/region (the category is randomized per report, not per sighting).
    pub sightings: Breakdown,
    /// Sector histogram over the window: debiased sighting-report counts with intervals,
    /// largest first (serialized as `[name, Est]` pairs). May be negative for rare
    /// sectors: unbiased estimates are never clipped.
    pub sectors: Vec<(String, Est)>,
    /// Regions, as `sectors`.
    pub regions: Vec<(String, Est)>,
    /// Top indicators.
    pub top_indicators: Vec<TopIndicator>,
    /// Forecast of overall sighting volume past the window.
    pub forecast: Option<Forecast>,
    /// Alerts: observed buckets outside the one-step-ahead prediction interval.
    pub alerts: Vec<Alert>,
    /// Matches against the local asset inventory (empty without one).
    pub asset_matches: Vec<AssetMatch>,
    /// Items in the window that could not be used fully (no STIX `type`, an unusable
    /// count or receipt entry, a randomized sector/region outside its receipt's list);
    /// they still count in [`Situation::items`] and the exact breakdowns they fit.
    #[serde(default)]
    pub skipped: usize,
    /// Forecasts of the sector and region series of [`Situation::sightings`] (series
    /// `sector:<name>` / `region:<name>`, report counts), as [`Situation::forecast`];
    /// empty with too little history.
    #[serde(default)]
    pub forecasts: Vec<Forecast>,
}

/// An alert raised by the forecaster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The series, e.g. `sightings`.
    pub series: String,
    /// Start of the bucket, Unix seconds.
    pub bucket_start: u64,
    /// What was observed.
    pub observed: f64,
    /// The prediction interval it left.
    pub predicted_low: f64,
    /// Upper end of that interval.
    pub predicted_high: f64,
    /// A sentence for people.
    pub message: String,
}

/// Errors of the situation computations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SituationError {
    /// The query is unusable (empty window, zero bucket, too many buckets).
    #[error("invalid query: {0}")]
    Query(String),
    /// The asset inventory is unusable.
    #[error("invalid asset inventory: {0}")]
    Assets(String),
}

/// Most buckets one query may ask for.
pub const MAX_BUCKETS: u64 = 10_000;
