//! `shoal-sim`: run a simulation scenario and write its report.
//!
//! `shoal-sim run SCENARIO.toml --out DIR [--seed N]` runs the credibility experiment
//! the scenario describes, prints a table, and writes `DIR/report.json` and
//! `DIR/scores.csv`. An invalid scenario exits with status 2 and a message naming the
//! key; any other failure with status 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use shoal_simnet::credibility_sim;
use shoal_simnet::report::{scores_csv, Report, ReportFile};
use shoal_simnet::scenario::{Scenario, ScenarioError};

/// Shoal's simulator: runs an experiment described by a scenario file.
///
/// The credibility experiment (issue #6) drives Shoal's real evidence → trust → score
/// state machines (shoal_protocol::credibility) directly, not the network: no
/// envelopes, signatures or gossip. It measures how well credibility separates true
/// from false indicators when colluders and Sybils confirm each other's false ones, as
/// a ROC AUC next to the AUC of an unweighted MISP-style count of confirmations. The
/// same scenario and seed always give the same numbers.
#[derive(Debug, Parser)]
#[command(name = "shoal-sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario: print a table, write DIR/report.json and DIR/scores.csv.
    ///
    /// The scenario file is TOML (see scenarios/colluders-30.toml for every key and
    /// its meaning); unknown keys and out-of-range values are refused.
    Run {
        /// The scenario file, e.g. scenarios/colluders-30.toml.
        scenario: PathBuf,
        /// Output directory (created if missing; report.json and scores.csv are
        /// overwritten).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Override the scenario's seed.
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
    },
}

fn load(path: &Path) -> anyhow::Result<Scenario> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading scenario {}", path.display()))?;
    Scenario::from_toml_str(&text).with_context(|| format!("invalid scenario {}", path.display()))
}

fn run(scenario_path: &Path, out: &Path, seed: Option<u64>) -> anyhow::Result<()> {
    let mut scenario = load(scenario_path)?;
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run {
            scenario,
            out,
            seed,
        } => run(scenario, out, *seed),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shoal-sim: error: {e:#}");
            if e.chain().any(|c| c.is::<ScenarioError>()) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
