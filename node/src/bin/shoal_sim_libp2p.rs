//! `shoal-sim-libp2p`: the simulator's libp2p backend (`shoal_node::netsim`) — a
//! network scenario run with real swarms (Shoal's gossipsub over libp2p's in-memory
//! transport, real signed envelopes verified by every receiver) in one process, in real
//! time. Writes the same `results.json` as `shoal-sim run`, so `shoal-sim compare`
//! puts the two backends side by side.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use shoal_simnet::network::output;
use shoal_simnet::network::scenario::NetScenario;

/// Run a network scenario on the libp2p backend (real swarms, in-memory transport).
///
/// Uses the scenario's nodes, communities, mesh degree, heartbeat, publish rate, CLEAR
/// share, duration and seed; link models, churn, partitions and adversaries belong to
/// the discrete-event backend (`shoal-sim run`).
#[derive(Debug, Parser)]
#[command(name = "shoal-sim-libp2p", version)]
struct Cli {
    /// The scenario file (kind = "network").
    scenario: PathBuf,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "sim-libp2p-out")]
    out: PathBuf,
    /// Override the number of members.
    #[arg(long, value_name = "N")]
    nodes: Option<usize>,
    /// Override the seed.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = (|| -> anyhow::Result<()> {
        let text = std::fs::read_to_string(&cli.scenario)
            .with_context(|| format!("reading {}", cli.scenario.display()))?;
        let mut s = NetScenario::from_toml_str(&text)?;
        if let Some(n) = cli.nodes {
            s.nodes.members = n;
            s.validate()?;
        }
        if let Some(seed) = cli.seed {
            s.seed = seed;
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let started = std::time::Instant::now();
        let run = rt.block_on(shoal_node::netsim::run(&s, &mut |t| {
            eprint!("\r  {t:.1}/{:.0} s of workload", s.duration_s);
        }))?;
        eprintln!();
        output::write_all(&cli.out, &run)?;
        let r = &run.results;
        println!(
            "scenario {} (seed {}): {} nodes, {} items, {:.0} s",
            r.scenario, r.seed, r.nodes, r.items, r.duration_s
        );
        println!("  delivery ratio            {:.4}", r.delivery_ratio);
        println!(
            "  latency p50/p90/p99 (ms)  {:.1} / {:.1} / {:.1}",
            r.latency_ms.p50, r.latency_ms.p90, r.latency_ms.p99
        );
        println!("  wall time                 {:.1?}", started.elapsed());
        println!("wrote {}", cli.out.display());
        Ok(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shoal-sim-libp2p: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
