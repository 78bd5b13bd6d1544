//! `shoal-sim`: run a simulation scenario and write its measurements.
//!
//! `shoal-sim run SCENARIO.toml [--seed S] [--nodes N] [--out DIR]` runs a network
//! scenario (`kind = "network"`: the protocol's objects over a modelled gossip network
//! with churn, partitions and adversaries) with a progress bar, prints the summary and
//! writes `results.json`, CSV series and SVG plots; or the credibility experiment (a
//! scenario without `kind`), writing `report.json` and `scores.csv`.
//! `shoal-sim compare DIR1 DIR2` prints two runs' metrics side by side. An invalid
//! scenario exits with status 2 and a message naming the key; other failures with 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use shoal_simnet::credibility_sim;
use shoal_simnet::network::scenario::{NetScenario, NetScenarioError};
use shoal_simnet::network::{output, run as netrun};
use shoal_simnet::report::{scores_csv, Report, ReportFile};
use shoal_simnet::scenario::{Scenario, ScenarioError};

/// Shoal's simulator: runs an experiment described by a scenario file, the same numbers
/// for the same scenario and seed.
///
/// Network scenarios (`kind = "network"`, e.g. scenarios/smoke.toml) carry real signed
/// envelopes, ledgers, equivocation proofs, privacy budgets and credibility over a
/// modelled gossip network (mesh push, lazy gossip, sync; latency, jitter, loss,
/// bandwidth; churn, partitions; liars, Sybils, equivocators, flooders, free-riders,
/// garbage senders) and measure delivery, latency, overhead, credibility, trust and
/// privacy. The credibility experiment (scenarios/colluders-30.toml) drives the
/// evidence → trust → score state machines directly.
#[derive(Debug, Parser)]
#[command(name = "shoal-sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario and write its measurements to --out.
    ///
    /// Network scenarios write results.json (summary), series.csv, roc.csv and SVG
    /// plots (delivery, latency, overhead, ROC, trust, privacy, convergence), with a
    /// `[drill]` drill.csv and drill.svg, and a run.json with wall-clock figures; the credibility experiment writes report.json
    /// and scores.csv. Unknown keys and out-of-range values are refused.
    Run {
        /// The scenario file, e.g. scenarios/smoke.toml.
        scenario: PathBuf,
        /// Output directory (created if missing; files in it are overwritten).
        #[arg(long, value_name = "DIR", default_value = "sim-out")]
        out: PathBuf,
        /// Override the scenario's seed.
        #[arg(long, value_name = "S")]
        seed: Option<u64>,
        /// Override the number of members (network scenarios).
        #[arg(long, value_name = "N")]
        nodes: Option<usize>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Print two runs' metrics (their results.json) side by side.
    Compare {
        /// The first run's output directory.
        a: PathBuf,
        /// The second run's output directory.
        b: PathBuf,
    },
}

fn run_credibility(text: &str, out: &Path, seed: Option<u64>) -> anyhow::Result<()> {
    let mut scenario = Scenario::from_toml_str(text)?;
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let result = credibility_sim::run(&scenario).context("running the scenario")?;
    let report = Report::new(&scenario, &result).context("computing the report")?;
    print!("{}", report.table(&result.timing));
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let json = serde_json::to_string_pretty(&ReportFile {
        report: &report,
        wall_time: result.timing,
    })
    .context("encoding report.json")?;
    let report_path = out.join("report.json");
    std::fs::write(&report_path, json + "\n")
        .with_context(|| format!("writing {}", report_path.display()))?;
    let csv_path = out.join("scores.csv");
    std::fs::write(&csv_path, scores_csv(&result.scores))
        .with_context(|| format!("writing {}", csv_path.display()))?;
    println!("wrote {} and {}", report_path.display(), csv_path.display());
    Ok(())
}

fn run_network(
    text: &str,
    out: &Path,
    seed: Option<u64>,
    nodes: Option<usize>,
    quiet: bool,
) -> anyhow::Result<()> {
    let mut scenario = NetScenario::from_toml_str(text)?;
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    if let Some(n) = nodes {
        scenario.nodes.members = n;
        scenario.validate()?;
    }
    let started = Instant::now();
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new((scenario.duration_s * 1000.0) as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} simulated {msg} · ETA {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    };
    let mut last_update = Instant::now();
    let duration = scenario.duration_s;
    let mut progress = |t: f64, events: u64| {
        if last_update.elapsed().as_millis() < 100 && t < duration {
            return;
        }
        last_update = Instant::now();
        let secs = started.elapsed().as_secs_f64().max(1e-6);
        bar.set_position((t * 1000.0) as u64);
        bar.set_message(format!(
            "{t:.1}/{duration:.0} s · {:.0} events/s",
            events as f64 / secs
        ));
    };
    let run = netrun::run(&scenario, &mut progress).map_err(|e| anyhow::anyhow!(e))?;
    bar.finish_and_clear();
    let wall = started.elapsed();
    output::write_all(out, &run).with_context(|| format!("writing {}", out.display()))?;
    let r = &run.results;
    std::fs::write(
        out.join("run.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "wall_s": wall.as_secs_f64(),
            "events_per_s": r.events as f64 / wall.as_secs_f64().max(1e-9),
        }))? + "\n",
    )?;
    println!(
        "scenario {} (seed {}): {} nodes, {} items, {:.0} s simulated",
        r.scenario, r.seed, r.nodes, r.items, r.duration_s
    );
    println!("  delivery ratio            {:.4}", r.delivery_ratio);
    println!(
        "  latency p50/p90/p99 (ms)  {:.1} / {:.1} / {:.1}",
        r.latency_ms.p50, r.latency_ms.p90, r.latency_ms.p99
    );
    println!(
        "  duplicates per delivery   {:.2}",
        r.duplicates_per_delivery
    );
    println!(
        "  bytes per node per item   {:.0}",
        r.bytes_per_node_per_item
    );
    let opt = |v: Option<f64>| v.map_or("—".to_owned(), |x| format!("{x:.4}"));
    println!(
        "  credibility AUC           {} (baseline {})",
        opt(r.credibility_auc),
        opt(r.baseline_auc)
    );
    println!(
        "  ε spent max / budget      {:.2} / {:.2}",
        r.epsilon_spent_max, r.epsilon_budget
    );
    println!("  aggregate relative error  {}", opt(r.aggregate_rel_error));
    println!("  heal convergence (s)      {}", opt(r.heal_convergence_s));
    println!(
        "  equivocation detection (s) {}",
        opt(r.equivocation_detection_s)
    );
    for (k, v) in &r.adversaries {
        println!("  {k:<26}{v}");
    }
    if let Some(drill) = &r.drill {
        print!("{}", shoal_simnet::network::drill::summary::summary(drill));
    }
    println!(
        "  {} events in {:.2?} ({:.0}/s)",
        r.events,
        wall,
        r.events as f64 / wall.as_secs_f64().max(1e-9)
    );
    let drill_files = if r.drill.is_some() { ", drill.csv" } else { "" };
    println!(
        "wrote results.json, series.csv, roc.csv{drill_files} and plots to {}",
        out.display()
    );
    Ok(())
}

fn run(
    path: &Path,
    out: &Path,
    seed: Option<u64>,
    nodes: Option<usize>,
    quiet: bool,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading scenario {}", path.display()))?;
    let is_network = toml::from_str::<toml::Table>(&text)
        .ok()
        .and_then(|t| {
            t.get("kind")
                .and_then(|k| k.as_str())
                .map(|k| k == "network")
        })
        .unwrap_or(false);
    let context = || format!("invalid scenario {}", path.display());
    if is_network {
        run_network(&text, out, seed, nodes, quiet).with_context(context)
    } else {
        run_credibility(&text, out, seed).with_context(context)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run {
            scenario,
            out,
            seed,
            nodes,
            quiet,
        } => run(scenario, out, *seed, *nodes, *quiet),
        Command::Compare { a, b } => (|| {
            let ra = output::read_results(a)?;
            let rb = output::read_results(b)?;
            print!("{}", output::compare(&ra, &rb));
            Ok(())
        })(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shoal-sim: error: {e:#}");
            if e.chain()
                .any(|c| c.is::<ScenarioError>() || c.is::<NetScenarioError>())
            {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
