//! `shoal situation`: the situation-awareness summary in the terminal — totals with their
//! 95 % intervals, top indicators, sectors and regions, the forecast and alerts, and the
//! local asset matches. Through the running node's API (`GET /api/v1/situation`) or
//! straight from the store when no node is running; `--json` prints the API's JSON.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use shoal_protocol::situation::{Breakdown, Est};

use crate::client::{ApiClient, Reach};
use crate::datadir::DataDir;
use crate::intel::format_time;
use crate::situation::{Situations, View, Window};

/// The window as given on the command line.
pub(super) struct SituationArgs {
    pub from: Option<String>,
    pub to: Option<String>,
    pub bucket: Option<String>,
}

impl SituationArgs {
    fn params(&self) -> Vec<(&'static str, String)> {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("bucket", &self.bucket),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect()
    }
}

pub(super) async fn run(root: &Path, args: SituationArgs, as_json: bool) -> Result<ExitCode> {
    let dir = DataDir::open(root)?;
    let params = args.params();
    // Check here too, so mistakes are reported against the flag's name.
    let window = Window::from_params(params.iter().map(|(k, v)| (*k, v.as_str())))
        .map_err(|e| anyhow!("--{}: {}", e.param, e.reason))?;
    let view = match dir.store_if_idle()? {
        Some(store) => {
            let now = crate::daemon::unix_now();
            let q = window
                .query(now)
                .map_err(|e| anyhow!("--{}: {}", e.param, e.reason))?;
            let cred = super::offline_credibility(&dir, &store)?;
            let own = dir.load_key()?.public();
            let svc = Situations::for_config(&dir.root, &dir.config, store, own, cred)?;
            (*svc.view(&q)?).clone()
        }
        None => online(&dir, &params).await?,
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print_summary(&view);
    }
    Ok(ExitCode::SUCCESS)
}

async fn online(dir: &DataDir, params: &[(&'static str, String)]) -> Result<View> {
    let client = ApiClient::for_datadir(dir)?;
    let mut url = reqwest::Url::parse("http://node/api/v1/situation")?;
    url.query_pairs_mut()
        .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
    let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    match client.get(&path).await? {
        Reach::Answered(body) => Ok(serde_json::from_slice(&body)?),
        Reach::NotRunning if !dir.store_path().exists() => bail!(
            "{} holds no store yet: start the node once (`shoal node --data-dir {}`)",
            dir.root.display(),
            dir.root.display()
        ),
        Reach::NotRunning => bail!(
            "the store is locked but no node answers at {}; is another process using {}?",
            client.base(),
            dir.root.display()
        ),
    }
}

/// A number for people: whole numbers above 10, one decimal below.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v.abs() >= 10.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// An estimate: exact values bare, noised ones with their 95 % interval.
fn est(e: &Est) -> String {
    if e.exact {
        num(e.value)
    } else {
        format!("{} ({}–{})", num(e.value), num(e.ci_low), num(e.ci_high))
    }
}

/// A bucket width as `1d`, `6h`, `15m` or `90s`.
fn duration(secs: u64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn truncate(s: &str, n: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= n {
        return one_line;
    }
    let mut t: String = one_line.chars().take(n.saturating_sub(1)).collect();
    t.push('…');
    t
}

fn totals(b: &Breakdown, limit: usize) -> String {
    if b.series.is_empty() {
        return "none".into();
    }
    b.series
        .iter()
        .take(limit)
        .map(|s| format!("{} {}", s.key, est(&s.total)))
        .collect::<Vec<_>>()
        .join(" · ")
}

fn print_summary(v: &View) {
    let s = &v.situation;
    let q = &s.query;
    println!(
        "Situation {} → {} ({} buckets)",
        format_time(q.from_unix),
        format_time(q.to_unix),
        duration(q.bucket_secs)
    );
    println!(
        "  items in window {} (of {} held) · publishers {}",
        s.items, v.held, s.publishers
    );
    let total = s
        .sightings
        .series
        .iter()
        .find(|x| x.key == "total")
        .or_else(|| s.sightings.series.first());
    match total {
        Some(t) => println!("  sightings (95 % CI) {}", est(&t.total)),
        None => println!("  sightings none"),
    }
    println!();
    for b in &s.breakdowns {
        println!("{:<22}{}", format!("by {}:", b.dimension), totals(b, 8));
    }
    let hist = |name: &str, rows: &[(String, Est)]| {
        if rows.is_empty() {
            println!("{name:<22}none");
        } else {
            let text: Vec<String> = rows
                .iter()
                .map(|(k, e)| format!("{k} {}", est(e)))
                .collect();
            println!("{name:<22}{}", text.join(" · "));
        }
    };
    hist("sectors:", &s.sectors);
    hist("regions:", &s.regions);
    println!();
    println!("Top indicators (credibility-weighted independent sightings):");
    if s.top_indicators.is_empty() {
        println!("  none in this window");
    } else {
        println!(
            "  {:>5}  {:>7}  {:<22}  {:>7}  {:<16}  label",
            "cred", "sources", "sightings (95 % CI)", "score", "flags"
        );
        for t in &s.top_indicators {
            let mut flags = Vec::new();
            if t.new {
                flags.push("new");
            }
            if t.accelerating {
                flags.push("accelerating");
            }
            println!(
                "  {:>5.2}  {:>7}  {:<22}  {:>7.2}  {:<16}  {}",
                t.credibility,
                t.sources,
                est(&t.sightings),
                t.score,
                flags.join(","),
                truncate(&t.label, 70)
            );
        }
    }
    println!();
    match &s.forecast {
        Some(f) if !f.points.is_empty() => {
            println!(
                "Forecast of {} ({}, 95 % prediction interval):",
                f.series, f.method
            );
            for p in &f.points {
                println!(
                    "  {}  {} ({}–{})",
                    format_time(p.bucket_start),
                    num(p.value),
                    num(p.pi_low),
                    num(p.pi_high)
                );
            }
        }
        _ => println!("Forecast: not enough complete buckets yet"),
    }
    if s.alerts.is_empty() {
        println!("Alerts: none");
    } else {
        println!("Alerts:");
        for a in &s.alerts {
            println!("  {}  {}", format_time(a.bucket_start), a.message);
        }
    }
    println!();
    let inv = &v.inventory;
    if !inv.configured {
        println!("Asset matches: no local inventory configured ([situation] assets)");
    } else {
        println!(
            "Asset matches (inventory: {} IP ranges, {} domains, {} software, {} CVEs; local only):",
            inv.ip_ranges, inv.domains, inv.software, inv.cves
        );
        if let Some(e) = &inv.error {
            println!(
                "  warning: the inventory file no longer loads ({e}); using the last good one"
            );
        }
        if s.asset_matches.is_empty() {
            println!("  none in this window");
        }
        for m in &s.asset_matches {
            println!(
                "  {:<24} {:<8} {:<14} {}  (publisher {}…, credibility {})",
                m.asset,
                m.kind,
                m.item_type,
                truncate(&m.label, 60),
                m.publisher.get(..8).unwrap_or(&m.publisher),
                m.credibility
                    .map_or_else(|| "-".into(), |c| format!("{c:.2}"))
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn situation_cli_estimates_show_their_interval() {
        let noised = Est {
            value: 12.4,
            ci_low: 8.0,
            ci_high: 16.6,
            exact: false,
        };
        assert_eq!(est(&noised), "12 (8–17)");
        let exact = Est {
            value: 3.0,
            ci_low: 3.0,
            ci_high: 3.0,
            exact: true,
        };
        assert_eq!(est(&exact), "3");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(duration(3600), "1h");
        assert_eq!(duration(86_400 * 7), "7d");
        assert_eq!(duration(900), "15m");
        assert_eq!(duration(90), "90s");
        assert_eq!(truncate("a  b\nc", 10), "a b c");
        assert_eq!(truncate("abcdefghijkl", 5), "abcd…");
    }
}
