//! Bucketing and counting of held items into a [`Situation`]: exact item counts by
//! dimension, sighting volume and sector/region histograms as unbiased estimates with 95 %
//! confidence intervals (from each item's [`PrivacyReceipt`]), top indicators, and — through
//! [`super::forecast`] and [`super::assets`] — the forecast, alerts and asset matches.
//!
//! # Time
//!
//! Every item is placed by its envelope `published_at` (also sightings: their `first_seen`
//! / `last_seen` are coarsened by the release and optional, `published_at` is always there
//! and signed). An item is in the window when `from_unix ≤ published_at < to_unix`; bucket
//! `i` holds `from_unix + i·bucket_secs ≤ published_at < from_unix + (i+1)·bucket_secs`
//! (the last bucket may extend past `to_unix`; nothing after `to_unix` is counted).
//!
//! # Exact breakdowns (`Situation::breakdowns`, `exact: true`)
//!
//! Counts of held items (every copy counts, one per [`ItemFacts`]) per bucket, by:
//!
//! * `type` — the STIX `type`;
//! * `community` — the community it was published to;
//! * `technique` — ATT&CK ids (`external_references` with `source_name` `mitre-attack`,
//!   e.g. `T1566.001`) of attack-pattern objects; an attack-pattern counts under its own
//!   ids, any other item counts under the ids of every attack-pattern it is linked to
//!   (the other end of a `relationship`, or the `sighting_of_ref` of a sighting);
//! * `kill_chain_phase` — `phase_name`s of an item's own `kill_chain_phases`, plus (for
//!   non-attack-patterns) those of the attack-patterns it is linked to, as above;
//! * `malware` — malware objects' `name`; other items (e.g. indicators that `indicates` it)
//!   count under the malware they are linked to, as above;
//! * `vulnerability` — CVE ids of vulnerability objects (a `name` of the form
//!   `CVE-yyyy-nnnn`, and `external_references` with `source_name` `cve`); linked items as
//!   above.
//!
//! Links are resolved over **all** held items (a relationship published before the window
//! still links), counts only over items inside the window; relationship objects themselves
//! count only under `type`/`community`. An item counts at most once per key. Each breakdown
//! keeps the [`MAX_SERIES`] largest totals and sums the rest into a series keyed
//! [`OTHER_KEY`] (so `other` may count an item twice if it is under two small keys).
//!
//! # Sighting volume (`Situation::sightings`, series `total`)
//!
//! Per bucket: the sum of `count` over sighting objects (a sighting without `count` counts
//! 1, exactly) plus `number_observed` over observed-data objects. When the receipt has a
//! `discrete_laplace` entry for the property, the value is noised: the estimate is the sum
//! of the released values with variance Σ `discrete_laplace_variance(scale)` (as
//! [`crate::dp::estimate::sum_noisy_counts`]), **corrected for clamping**: a release equal
//! to its `clamped_min` `m` (the value was raised to `m`) is replaced by
//! `m − q/(1 − q)` with `q = e^{−1/scale}`. Because the discrete Laplace tail is geometric
//! (memoryless), `E[c + Z | c + Z ≤ m] = m − q/(1−q)` for every true `c ≥ m`, so the
//! corrected value is exactly unbiased (a clamped release of 0 at scale 1 counts −0.58);
//! replacing the tail by its conditional mean can only lower the variance, so the noise
//! variance stays a valid (slightly conservative) bound. Values with a noised term are
//! `exact: false`; without a receipt entry, values are exact. A receipt entry that cannot
//! be used (unknown mechanism, missing scale) makes the item [`Situation::skipped`].
//!
//! # Sector and region (`sector:<name>` / `region:<name>` series, `sectors`, `regions`)
//!
//! Sightings carry the reporting member's sector and region as `x_shoal_sector` /
//! `x_shoal_region`, released by `k`-ary randomized response. These series count
//! **sighting reports** (sighting objects) by the reporter's true sector/region — not
//! volume, since the category is randomized per report. Reports are grouped by identical
//! receipt parameters (`ε`, category list); each group's per-bucket histogram is debiased
//! as [`crate::dp::estimate::rr_debias`] does, `N̂_j = (n_j − n q)/(p − q)`, with the
//! *design* variance of that estimator for the fixed set of reporters,
//! `(N̂_j p(1−p) + (n − N̂_j) q(1−q)) / (p−q)²` (`N̂_j` clamped into `[0, n]` inside the
//! variance only) — the multinomial variance of `rr_debias` also counts the spread of the
//! true categories, which over-covers badly at larger `ε`. Groups are combined by adding
//! estimates and variances (a category missing from a group's list is an exact 0 for it).
//! Nothing is clipped: a debiased count may be negative; the interval tells the truth.
//! Values without a receipt entry are exact counts.
//!
//! # Top indicators
//!
//! An indicator is active when a copy was published in the window or a sighting of it
//! (`sighting_of_ref`) was. Per indicator id: `credibility` = the highest known credibility
//! of its copies, else of its sightings, else [`UNKNOWN_CREDIBILITY`]; `sources` = distinct
//! publishers of a copy (published before `to_unix`) or of a sighting in the window;
//! `sightings` = the estimated sighting volume (as above) in the window; `score` =
//! `credibility × Σ_publishers max(0, that publisher's estimated sighting volume)`;
//! `new` = its earliest copy was published at or after `from_unix` (an indicator only
//! sighted, never held, is new); `accelerating` = with `v₁, v₂` the estimated volumes
//! in the first and second half of the window (split at `from + (to − from)/2`),
//! `v₂ − v₁ > 1.96 √(var₁ + var₂ + max(v₁,0) + max(v₂,0))` — the noise variances plus a
//! Poisson variance for the counts themselves. The [`MAX_TOP`] best scores (ties: more
//! sources, then id) are kept.
//!
//! # Forecast and alerts
//!
//! The overall sighting volume of the *complete* buckets (those ending by both `to_unix`
//! and `now_unix`) is fed to [`super::forecast`]: Holt's linear trend forecast for
//! [`super::forecast::DEFAULT_HORIZON`] buckets after them, and an [`Alert`](super::Alert) for every
//! bucket outside its one-step-ahead 95 % prediction interval (after the warm-up). The
//! sector and region report series (not `other`) get forecasts too
//! ([`Situation::forecasts`], no alerts: with many series, 95 % intervals would alert on
//! about one bucket in twenty of each).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::forecast;
use super::{
    assets, AssetInventory, Breakdown, Est, ItemFacts, Query, Series, Situation, SituationError,
    TopIndicator, MAX_BUCKETS,
};
use crate::dp::estimate::{discrete_laplace_variance, rr_probabilities, Estimate, Z95};
use crate::dp::{PrivacyReceipt, REGION_PROPERTY, SECTOR_PROPERTY};

/// Most series per breakdown before the rest are summed into [`OTHER_KEY`].
pub const MAX_SERIES: usize = 20;
/// Key of the series summing the breakdown's smaller series.
pub const OTHER_KEY: &str = "other";
/// Key of the overall sighting-volume series in [`Situation::sightings`].
pub const TOTAL_KEY: &str = "total";
/// Most top indicators returned.
pub const MAX_TOP: usize = 20;
/// Credibility assumed for an indicator none of whose copies or sightings has a score.
pub const UNKNOWN_CREDIBILITY: f64 = 0.5;
/// Longest display label, in characters.
pub const MAX_LABEL_CHARS: usize = 200;

/// Check a query: a non-empty window, a positive bucket, at most [`MAX_BUCKETS`] buckets.
/// Returns the number of buckets.
pub fn validate_query(q: &Query) -> Result<usize, SituationError> {
    if q.to_unix <= q.from_unix {
        return Err(SituationError::Query(format!(
            "to_unix ({}) must be after from_unix ({})",
            q.to_unix, q.from_unix
        )));
    }
    if q.bucket_secs == 0 {
        return Err(SituationError::Query(
            "bucket_secs must be positive".to_owned(),
        ));
    }
    let span = q.to_unix.saturating_sub(q.from_unix);
    let buckets = span.div_ceil(q.bucket_secs);
    if buckets > MAX_BUCKETS {
        return Err(SituationError::Query(format!(
            "{buckets} buckets of {} s in a window of {span} s: at most {MAX_BUCKETS} allowed",
            q.bucket_secs
        )));
    }
    usize::try_from(buckets)
        .map_err(|_| SituationError::Query(format!("{buckets} buckets do not fit in memory")))
}

/// The bucket of time `t`, if inside the window.
pub fn bucket_of(q: &Query, t: u64) -> Option<usize> {
    if t < q.from_unix || t >= q.to_unix || q.bucket_secs == 0 {
        return None;
    }
    usize::try_from(t.saturating_sub(q.from_unix).checked_div(q.bucket_secs)?).ok()
}

/// Start of bucket `i`, Unix seconds (saturating).
pub fn bucket_start(q: &Query, i: usize) -> u64 {
    let i = u64::try_from(i).unwrap_or(u64::MAX);
    q.from_unix.saturating_add(i.saturating_mul(q.bucket_secs))
}

/// A running sum of estimates: value, variance, and whether every term was exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Acc {
    /// Sum of the values.
    pub value: f64,
    /// Sum of the variances.
    pub variance: f64,
    /// No noised term was added.
    pub exact: bool,
}

impl Default for Acc {
    fn default() -> Self {
        Self {
            value: 0.0,
            variance: 0.0,
            exact: true,
        }
    }
}

impl Acc {
    /// An exact value.
    pub fn exact(value: f64) -> Self {
        Self {
            value,
            variance: 0.0,
            exact: true,
        }
    }

    /// A noised value with its variance.
    pub fn noised(value: f64, variance: f64) -> Self {
        Self {
            value,
            variance,
            exact: false,
        }
    }

    /// Add another term.
    pub fn add(&mut self, other: Acc) {
        self.value += other.value;
        self.variance += other.variance;
        self.exact &= other.exact;
    }

    /// As served: exact values have a degenerate interval, others `value ± 1.96 σ`.
    pub fn est(&self) -> Est {
        if self.exact {
            Est {
                value: self.value,
                ci_low: self.value,
                ci_high: self.value,
                exact: true,
            }
        } else {
            let e = Estimate::new(self.value, self.variance.max(0.0));
            Est {
                value: e.value,
                ci_low: e.ci95.0,
                ci_high: e.ci95.1,
                exact: false,
            }
        }
    }
}

/// The STIX `type` of an object.
fn obj_type(v: &Value) -> Option<&str> {
    v.get("type").and_then(Value::as_str)
}

/// A string property.
fn str_prop<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str)
}

/// A display label for an object: `name`, else `pattern`, else `value`, else its id.
pub fn label_of(v: &Value) -> String {
    let text = ["name", "pattern", "value", "cpe"]
        .iter()
        .find_map(|k| str_prop(v, k))
        .or_else(|| str_prop(v, "id"))
        .unwrap_or("");
    truncate(text)
}

fn truncate(text: &str) -> String {
    if text.chars().count() <= MAX_LABEL_CHARS {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(MAX_LABEL_CHARS).collect();
    out.push('…');
    out
}

/// Whether `s` is a CVE id `CVE-yyyy-nnnn…` (case-insensitive); returns it uppercased.
pub fn cve_id(s: &str) -> Option<String> {
    let up = s.trim().to_ascii_uppercase();
    let rest = up.strip_prefix("CVE-")?;
    let (year, num) = rest.split_once('-')?;
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    (year.len() == 4 && digits(year) && num.len() >= 4 && num.len() <= 19 && digits(num))
        .then_some(up)
}

/// `external_id`s of the object's `external_references` whose `source_name` equals
/// `source` (case-insensitive).
fn external_ids<'a>(v: &'a Value, source: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    v.get("external_references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(move |r| str_prop(r, "source_name").is_some_and(|s| s.eq_ignore_ascii_case(source)))
        .filter_map(|r| str_prop(r, "external_id"))
}

/// ATT&CK technique ids of an attack-pattern.
pub fn technique_ids(v: &Value) -> BTreeSet<String> {
    external_ids(v, "mitre-attack")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `phase_name`s of an object's `kill_chain_phases`.
pub fn kill_chain_phases(v: &Value) -> BTreeSet<String> {
    v.get("kill_chain_phases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| str_prop(p, "phase_name"))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// CVE ids of a vulnerability (`name`, `external_references` with `source_name` `cve`).
pub fn cve_ids(v: &Value) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = external_ids(v, "cve").filter_map(cve_id).collect();
    if let Some(id) = str_prop(v, "name").and_then(cve_id) {
        out.insert(id);
    }
    out
}

/// Ids an item links to: the other ends of relationships it takes part in (from the
/// relationship index) and, for a sighting, its `sighting_of_ref`.
pub(crate) struct Links<'a> {
    adjacent: HashMap<&'a str, BTreeSet<&'a str>>,
}

impl<'a> Links<'a> {
    pub(crate) fn build(items: &'a [ItemFacts]) -> Self {
        let mut adjacent: HashMap<&'a str, BTreeSet<&'a str>> = HashMap::new();
        for it in items {
            let o = &it.object;
            if obj_type(o) != Some("relationship") {
                continue;
            }
            if let (Some(s), Some(t)) = (str_prop(o, "source_ref"), str_prop(o, "target_ref")) {
                adjacent.entry(s).or_default().insert(t);
                adjacent.entry(t).or_default().insert(s);
            }
        }
        Self { adjacent }
    }

    fn of(&self, o: &'a Value) -> BTreeSet<&'a str> {
        let mut out = BTreeSet::new();
        if let Some(id) = str_prop(o, "id") {
            if let Some(set) = self.adjacent.get(id) {
                out.extend(set.iter().copied());
            }
        }
        if obj_type(o) == Some("sighting") {
            if let Some(r) = str_prop(o, "sighting_of_ref") {
                out.insert(r);
            }
        }
        out
    }
}

/// Keys defined by objects (over all items): id → keys, per dimension.
#[derive(Default)]
struct Defs<'a> {
    technique: HashMap<&'a str, BTreeSet<String>>,
    phase: HashMap<&'a str, BTreeSet<String>>,
    malware: HashMap<&'a str, BTreeSet<String>>,
    vulnerability: HashMap<&'a str, BTreeSet<String>>,
}

impl<'a> Defs<'a> {
    fn build(items: &'a [ItemFacts]) -> Self {
        let mut d = Defs::default();
        for it in items {
            let o = &it.object;
            let Some(id) = str_prop(o, "id") else {
                continue;
            };
            match obj_type(o) {
                Some("attack-pattern") => {
                    d.technique.entry(id).or_default().extend(technique_ids(o));
                    d.phase.entry(id).or_default().extend(kill_chain_phases(o));
                }
                Some("malware") => {
                    if let Some(name) = str_prop(o, "name").map(str::trim) {
                        if !name.is_empty() {
                            d.malware.entry(id).or_default().insert(name.to_owned());
                        }
                    }
                }
                Some("vulnerability") => {
                    d.vulnerability.entry(id).or_default().extend(cve_ids(o));
                }
                _ => {}
            }
        }
        d
    }
}

/// Per-key bucket counters, sparse (bucket → sum), so that many keys over many buckets
/// cost memory only for what was seen; only the kept series are made dense.
type Row = BTreeMap<usize, Acc>;
type Table = BTreeMap<String, Row>;

fn bump(table: &mut Table, key: &str, bucket: usize, term: Acc) {
    table
        .entry(key.to_owned())
        .or_default()
        .entry(bucket)
        .or_default()
        .add(term);
}

fn total_of<'r>(row: impl IntoIterator<Item = &'r Acc>) -> Acc {
    let mut t = Acc::default();
    for a in row {
        t.add(*a);
    }
    t
}

fn dense(row: &Row, buckets: usize) -> Vec<Acc> {
    let mut out = vec![Acc::default(); buckets];
    for (b, a) in row {
        if let Some(cell) = out.get_mut(*b) {
            cell.add(*a);
        }
    }
    out
}

fn series_of(key: String, row: &[Acc]) -> Series {
    Series {
        key,
        points: row.iter().map(Acc::est).collect(),
        total: total_of(row).est(),
    }
}

/// Series from a table, largest total first (ties by key), at most `cap` plus `other`.
fn finish(table: Table, prefix: &str, buckets: usize, cap: usize) -> Vec<Series> {
    let mut rows: Vec<(String, Row, f64)> = table
        .into_iter()
        .map(|(k, row)| {
            let t = total_of(row.values()).value;
            (k, row, t)
        })
        .collect();
    rows.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let mut out = Vec::new();
    let mut other: Option<Row> = None;
    for (i, (k, row, _)) in rows.into_iter().enumerate() {
        if i < cap {
            out.push(series_of(format!("{prefix}{k}"), &dense(&row, buckets)));
        } else {
            let acc = other.get_or_insert_with(Row::new);
            for (b, a) in row {
                acc.entry(b).or_default().add(a);
            }
        }
    }
    if let Some(row) = other {
        out.push(series_of(
            format!("{prefix}{OTHER_KEY}"),
            &dense(&row, buckets),
        ));
    }
    out
}

/// The sighting volume an item contributes: `count` of a sighting, `number_observed` of
/// observed data (see the module notes), `None` for other types; `Some(Err(()))` when the
/// value is unusable.
pub fn volume_of(object: &Value, receipt: Option<&PrivacyReceipt>) -> Option<Result<Acc, ()>> {
    let prop = match obj_type(object)? {
        "sighting" => "count",
        "observed-data" => "number_observed",
        _ => return None,
    };
    let raw = match object.get(prop) {
        None if prop == "count" => return Some(Ok(Acc::exact(1.0))),
        None => return Some(Err(())),
        Some(v) => v,
    };
    let Some(y) = raw.as_i64() else {
        return Some(Err(()));
    };
    let entry = receipt.and_then(|r| r.entries.iter().find(|e| e.path == prop));
    let Some(entry) = entry else {
        return Some(Ok(Acc::exact(y as f64)));
    };
    if entry.mechanism != "discrete_laplace" {
        return Some(Err(()));
    }
    let Some(scale) = entry.scale.filter(|s| s.is_finite() && *s > 0.0) else {
        return Some(Err(()));
    };
    let variance = discrete_laplace_variance(scale);
    if !variance.is_finite() {
        return Some(Err(()));
    }
    let mut value = y as f64;
    if let Some(min) = entry.clamped_min {
        if y <= min {
            // E[c + Z | c + Z ≤ min] for c ≥ min: the geometric tail is memoryless.
            let q = (-1.0 / scale).exp();
            let one_minus_q = -(-1.0 / scale).exp_m1();
            value = min as f64 - q / one_minus_q;
        }
    }
    Some(Ok(Acc::noised(value, variance)))
}

/// Randomized-response parameters of a group of reports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct RrGroup {
    epsilon_bits: u64,
    categories: Vec<String>,
}

/// Per-bucket report counts of one property (`x_shoal_sector` or `x_shoal_region`).
#[derive(Default)]
struct Categorical {
    /// Reports without a receipt entry: exact counts per value.
    exact: Table,
    /// Randomized reports: per group, per bucket, counts per category.
    groups: BTreeMap<RrGroup, BTreeMap<usize, Vec<u64>>>,
}

impl Categorical {
    /// Record one report; `Err` when unusable.
    fn add(
        &mut self,
        prop: &str,
        object: &Value,
        receipt: Option<&PrivacyReceipt>,
        bucket: usize,
    ) -> Result<(), ()> {
        let Some(raw) = object.get(prop) else {
            return Ok(());
        };
        let reported = raw.as_str().ok_or(())?;
        let entry = receipt.and_then(|r| r.entries.iter().find(|e| e.path == prop));
        let Some(entry) = entry else {
            bump(&mut self.exact, reported, bucket, Acc::exact(1.0));
            return Ok(());
        };
        if entry.mechanism != "randomized_response" {
            return Err(());
        }
        let categories = entry.categories.as_ref().ok_or(())?;
        if categories.len() < 2 || !(entry.epsilon.is_finite() && entry.epsilon > 0.0) {
            return Err(());
        }
        let (p, q) = rr_probabilities(entry.epsilon, categories.len());
        if !(p - q).is_normal() || p <= q {
            // ε so small that the report carries no usable information.
            return Err(());
        }
        let index = categories.iter().position(|c| c == reported).ok_or(())?;
        let k = categories.len();
        let cell = self
            .groups
            .entry(RrGroup {
                epsilon_bits: entry.epsilon.to_bits(),
                categories: categories.clone(),
            })
            .or_default()
            .entry(bucket)
            .or_insert_with(|| vec![0; k])
            .get_mut(index)
            .ok_or(())?;
        *cell = cell.saturating_add(1);
        Ok(())
    }

    /// Debiased table: per true category, per bucket.
    fn table(&self) -> Table {
        let mut out = self.exact.clone();
        for (group, rows) in &self.groups {
            let epsilon = f64::from_bits(group.epsilon_bits);
            let k = group.categories.len();
            for (b, counts) in rows {
                let ests = rr_design_debias(counts, epsilon, k);
                for (name, est) in group.categories.iter().zip(ests) {
                    bump(&mut out, name, *b, est);
                }
            }
        }
        out
    }
}

/// Debiased randomized-response counts (the estimator of
/// [`crate::dp::estimate::rr_debias`]) with the design variance for a fixed set of
/// reporters (see the module notes). Empty histograms give exact zeros; invalid
/// parameters (`counts.len() ≠ k`, `ε` too small to debias) give an empty vector.
pub fn rr_design_debias(counts: &[u64], epsilon: f64, k: usize) -> Vec<Acc> {
    let n: f64 = counts.iter().map(|c| *c as f64).sum();
    if n == 0.0 {
        return counts.iter().map(|_| Acc::exact(0.0)).collect();
    }
    let (p, q) = rr_probabilities(epsilon, k);
    let gap = p - q;
    if !(gap.is_normal() && gap > 0.0) || counts.len() != k {
        return Vec::new();
    }
    counts
        .iter()
        .map(|c| {
            let value = (*c as f64 - n * q) / gap;
            let inside = value.clamp(0.0, n);
            let variance = (inside * p * (1.0 - p) + (n - inside) * q * (1.0 - q)) / (gap * gap);
            Acc::noised(value, variance)
        })
        .collect()
}

/// Per-indicator tallies for the top list.
#[derive(Default)]
struct IndicatorTally<'a> {
    label: Option<String>,
    credibility: Option<f64>,
    sighting_credibility: Option<f64>,
    first_seen: Option<u64>,
    active: bool,
    sources: BTreeSet<&'a str>,
    per_publisher: BTreeMap<&'a str, Acc>,
    total: Acc,
    halves: [Acc; 2],
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b.filter(|x| x.is_finite())) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Aggregate `items` over the query's window (see the module notes for every rule).
pub fn aggregate(
    items: &[ItemFacts],
    q: &Query,
    assets: Option<&AssetInventory>,
) -> Result<Situation, SituationError> {
    let buckets = validate_query(q)?;
    let links = Links::build(items);
    let defs = Defs::build(items);
    let mid = q
        .from_unix
        .saturating_add(q.to_unix.saturating_sub(q.from_unix) / 2);

    let mut count = 0usize;
    let mut skipped = 0usize;
    let mut publishers: BTreeSet<&str> = BTreeSet::new();
    let mut by_type = Table::new();
    let mut by_community = Table::new();
    let mut by_technique = Table::new();
    let mut by_phase = Table::new();
    let mut by_malware = Table::new();
    let mut by_vulnerability = Table::new();
    let mut volume = vec![Acc::default(); buckets];
    let mut sectors = Categorical::default();
    let mut regions = Categorical::default();
    let mut indicators: BTreeMap<&str, IndicatorTally> = BTreeMap::new();

    // Indicator copies (all held, for first seen, credibility, sources).
    for it in items {
        let o = &it.object;
        if obj_type(o) != Some("indicator") || it.published_at >= q.to_unix {
            continue;
        }
        let Some(id) = str_prop(o, "id") else {
            continue;
        };
        let t = indicators.entry(id).or_default();
        if t.label.is_none() {
            t.label = Some(label_of(o));
        }
        t.credibility = max_opt(t.credibility, it.credibility);
        t.first_seen = Some(
            t.first_seen
                .map_or(it.published_at, |f| f.min(it.published_at)),
        );
        t.sources.insert(it.publisher.as_str());
        if it.published_at >= q.from_unix {
            t.active = true;
        }
    }

    for it in items {
        let Some(bucket) = bucket_of(q, it.published_at) else {
            continue;
        };
        let o = &it.object;
        let one = Acc::exact(1.0);
        count = count.saturating_add(1);
        publishers.insert(it.publisher.as_str());
        bump(&mut by_community, &it.community, bucket, one);
        let Some(kind) = obj_type(o) else {
            skipped = skipped.saturating_add(1);
            continue;
        };
        bump(&mut by_type, kind, bucket, one);

        // Linked keys.
        let linked = links.of(o);
        let keys = |table: &mut Table,
                    own: Option<BTreeSet<String>>,
                    def: &HashMap<&str, BTreeSet<String>>,
                    extra: BTreeSet<String>| {
            let mut set: BTreeSet<String> = extra;
            match own {
                Some(own) => set.extend(own),
                None => {
                    for l in &linked {
                        if let Some(k) = def.get(l) {
                            set.extend(k.iter().cloned());
                        }
                    }
                }
            }
            for k in set {
                bump(table, &k, bucket, one);
            }
        };
        let is = |t: &str| kind == t;
        keys(
            &mut by_technique,
            is("attack-pattern").then(|| technique_ids(o)),
            &defs.technique,
            BTreeSet::new(),
        );
        keys(
            &mut by_phase,
            is("attack-pattern").then(BTreeSet::new),
            &defs.phase,
            kill_chain_phases(o),
        );
        keys(
            &mut by_malware,
            is("malware").then(|| {
                str_prop(o, "name")
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(|n| BTreeSet::from([n.to_owned()]))
                    .unwrap_or_default()
            }),
            &defs.malware,
            BTreeSet::new(),
        );
        keys(
            &mut by_vulnerability,
            is("vulnerability").then(|| cve_ids(o)),
            &defs.vulnerability,
            BTreeSet::new(),
        );

        // Sighting volume.
        let vol = match volume_of(o, it.receipt.as_ref()) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(())) => {
                skipped = skipped.saturating_add(1);
                None
            }
        };
        if let Some(v) = vol {
            if let Some(cell) = volume.get_mut(bucket) {
                cell.add(v);
            }
        }
        if kind == "sighting" {
            let r = it.receipt.as_ref();
            let bad_sector = sectors.add(SECTOR_PROPERTY, o, r, bucket).is_err();
            let bad_region = regions.add(REGION_PROPERTY, o, r, bucket).is_err();
            if bad_sector || bad_region {
                skipped = skipped.saturating_add(1);
            }
            if let (Some(target), Some(v)) = (str_prop(o, "sighting_of_ref"), vol) {
                if target.starts_with("indicator--") {
                    let t = indicators.entry(target).or_default();
                    t.active = true;
                    t.sighting_credibility = max_opt(t.sighting_credibility, it.credibility);
                    t.sources.insert(it.publisher.as_str());
                    t.per_publisher
                        .entry(it.publisher.as_str())
                        .or_default()
                        .add(v);
                    t.total.add(v);
                    let half = usize::from(it.published_at >= mid);
                    if let Some(h) = t.halves.get_mut(half) {
                        h.add(v);
                    }
                }
            }
        }
    }

    let breakdowns = vec![
        breakdown("type", by_type, buckets),
        breakdown("community", by_community, buckets),
        breakdown("technique", by_technique, buckets),
        breakdown("kill_chain_phase", by_phase, buckets),
        breakdown("malware", by_malware, buckets),
        breakdown("vulnerability", by_vulnerability, buckets),
    ];

    let sector_table = sectors.table();
    let region_table = regions.table();
    let histogram = |table: &Table| -> Vec<(String, Est)> {
        let mut h: Vec<(String, Acc)> = table
            .iter()
            .map(|(k, row)| (k.clone(), total_of(row.values())))
            .collect();
        h.sort_by(|a, b| b.1.value.total_cmp(&a.1.value).then_with(|| a.0.cmp(&b.0)));
        h.into_iter().map(|(k, a)| (k, a.est())).collect()
    };
    let sector_hist = histogram(&sector_table);
    let region_hist = histogram(&region_table);
    let mut sighting_series = vec![series_of(TOTAL_KEY.to_owned(), &volume)];
    sighting_series.extend(finish(sector_table, "sector:", buckets, MAX_SERIES));
    sighting_series.extend(finish(region_table, "region:", buckets, MAX_SERIES));

    let top_indicators = top(indicators, q);

    // Forecast and alerts over the complete buckets.
    let horizon_end = q.to_unix.min(q.now_unix);
    let complete = (0..buckets)
        .take_while(|i| {
            bucket_start(q, *i)
                .checked_add(q.bucket_secs)
                .is_some_and(|end| end <= horizon_end)
        })
        .count();
    let history: Vec<f64> = volume.iter().take(complete).map(|a| a.value).collect();
    let forecast = forecast::forecast(
        TOTAL_KEY_SERIES,
        &history,
        bucket_start(q, complete),
        q.bucket_secs,
        forecast::DEFAULT_HORIZON,
    );
    let alerts = forecast::alerts(TOTAL_KEY_SERIES, &history, q.from_unix, q.bucket_secs);
    let forecasts = sighting_series
        .iter()
        .skip(1)
        .filter(|s| !s.key.ends_with(OTHER_KEY))
        .filter_map(|s| {
            let y: Vec<f64> = s.points.iter().take(complete).map(|p| p.value).collect();
            forecast::forecast(
                &s.key,
                &y,
                bucket_start(q, complete),
                q.bucket_secs,
                forecast::DEFAULT_HORIZON,
            )
        })
        .collect();

    let asset_matches = match assets {
        Some(inv) => assets::match_assets(items, inv, Some(q)),
        None => Vec::new(),
    };

    Ok(Situation {
        query: *q,
        items: count,
        publishers: publishers.len(),
        breakdowns,
        sightings: Breakdown {
            dimension: "sightings".to_owned(),
            series: sighting_series,
        },
        sectors: sector_hist,
        regions: region_hist,
        top_indicators,
        forecast,
        alerts,
        asset_matches,
        skipped,
        forecasts,
    })
}

/// Series name of the overall sighting volume in forecasts and alerts.
pub const TOTAL_KEY_SERIES: &str = "sightings";

fn breakdown(dimension: &str, table: Table, buckets: usize) -> Breakdown {
    Breakdown {
        dimension: dimension.to_owned(),
        series: finish(table, "", buckets, MAX_SERIES),
    }
}

fn top(indicators: BTreeMap<&str, IndicatorTally>, q: &Query) -> Vec<TopIndicator> {
    let mut out: Vec<TopIndicator> = indicators
        .into_iter()
        .filter(|(_, t)| t.active)
        .map(|(id, t)| {
            let credibility = t
                .credibility
                .or(t.sighting_credibility)
                .unwrap_or(UNKNOWN_CREDIBILITY)
                .clamp(0.0, 1.0);
            let independent: f64 = t.per_publisher.values().map(|a| a.value.max(0.0)).sum();
            let [h1, h2] = t.halves;
            let diff = h2.value - h1.value;
            let spread = (h1.variance + h2.variance + h1.value.max(0.0) + h2.value.max(0.0))
                .max(0.0)
                .sqrt();
            TopIndicator {
                id: id.to_owned(),
                label: t.label.unwrap_or_else(|| id.to_owned()),
                credibility,
                sources: t.sources.len(),
                sightings: t.total.est(),
                score: credibility * independent,
                new: t.first_seen.is_none_or(|f| f >= q.from_unix),
                accelerating: diff > 0.0 && diff > Z95 * spread,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.sources.cmp(&a.sources))
            .then_with(|| a.id.cmp(&b.id))
    });
    out.truncate(MAX_TOP);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dp::estimate::rr_debias;

    #[test]
    fn design_debias_has_rr_debias_values() {
        let counts = [30u64, 12, 8];
        let ours = rr_design_debias(&counts, 1.5, 3);
        let theirs = rr_debias(&counts, 1.5, 3);
        for (a, b) in ours.iter().zip(&theirs) {
            assert!((a.value - b.value).abs() < 1e-12);
            assert!(!a.exact && a.variance > 0.0);
        }
        // The estimates add up to the number of reports.
        let sum: f64 = ours.iter().map(|a| a.value).sum();
        assert!((sum - 50.0).abs() < 1e-9);
        assert!(rr_design_debias(&[0, 0], 1.0, 2)
            .iter()
            .all(|a| a.exact && a.value == 0.0));
        assert!(rr_design_debias(&[1, 2], 1.0, 3).is_empty());
    }

    #[test]
    fn cve_ids_are_checked() {
        assert_eq!(
            cve_id(" cve-2021-44228 ").as_deref(),
            Some("CVE-2021-44228")
        );
        assert_eq!(cve_id("CVE-2021-123"), None);
        assert_eq!(cve_id("CVE-21-1234"), None);
        assert_eq!(cve_id("CVE-2021-12a4"), None);
    }

    #[test]
    fn buckets() {
        let q = Query {
            from_unix: 100,
            to_unix: 125,
            bucket_secs: 10,
            now_unix: 0,
        };
        assert_eq!(validate_query(&q), Ok(3));
        assert_eq!(bucket_of(&q, 99), None);
        assert_eq!(bucket_of(&q, 100), Some(0));
        assert_eq!(bucket_of(&q, 124), Some(2));
        assert_eq!(bucket_of(&q, 125), None);
        assert_eq!(bucket_start(&q, 2), 120);
    }
}
