//! The `shoal` command line: argument definitions (clap) and dispatch to the
//! subcommands in this module's files.

mod budget;
mod id;
mod init;
mod ledger;
mod publish;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shoal_config::Role;

/// Shoal: privacy-preserving threat-intelligence sharing. Every item is validated
/// STIX 2.1, signed with the node's Ed25519 key and logged in a Merkle ledger that
/// standard transparency-log tools can verify.
#[derive(Debug, Parser)]
#[command(name = "shoal", version, about, long_about = None)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The data directory argument shared by every subcommand.
#[derive(Debug, clap::Args)]
pub struct DataDirArg {
    /// The node's data directory (created by `shoal init`).
    #[arg(long, env = "SHOAL_DATA_DIR", value_name = "DIR")]
    pub data_dir: PathBuf,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a data directory: configuration, Ed25519 identity key (0600) and API token.
    /// Refuses to overwrite an existing identity.
    Init {
        #[command(flatten)]
        dir: DataDirArg,
        /// Log name; checkpoints are signed as `<NAME>/<peer-id>`.
        #[arg(long)]
        name: Option<String>,
        /// Role of this node.
        #[arg(long, value_parser = clap::value_parser!(Role), default_value = "member")]
        role: Role,
        /// HTTP API listen address (default 127.0.0.1:7341).
        #[arg(long, value_name = "ADDR")]
        api_listen: Option<String>,
        /// libp2p listen multiaddr (repeatable).
        #[arg(long, value_name = "MULTIADDR")]
        p2p_listen: Vec<String>,
    },
    /// Run the node daemon (HTTP API on loopback by default) until SIGTERM or Ctrl-C.
    Node {
        #[command(flatten)]
        dir: DataDirArg,
        /// Override `api.listen` for this run (port 0 picks a free port; the bound address
        /// is printed and written to DIR/api.addr).
        #[arg(long, value_name = "ADDR")]
        api_listen: Option<String>,
        /// Override `p2p.listen` for this run (repeatable).
        #[arg(long, value_name = "MULTIADDR")]
        p2p_listen: Vec<String>,
    },
    /// Print the node's peer id, public key and C2SP verifier key.
    Id {
        #[command(flatten)]
        dir: DataDirArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Publish a STIX 2.1 bundle or object (FILE, or - for stdin) through the running node:
    /// desensitize, privatize (charging the privacy budget), sign and log. Prints each
    /// object's ledger index and leaf hash, or why it was rejected. Exits 1 if any object
    /// was rejected.
    Publish {
        #[command(flatten)]
        dir: DataDirArg,
        /// STIX JSON file, or - for standard input.
        file: String,
        /// Community to publish to (default: `publish.community`).
        #[arg(long)]
        community: Option<String>,
        /// TLP for objects without a TLP marking (default: `publish.default_tlp`).
        #[arg(long)]
        tlp: Option<String>,
        /// Print the node's JSON answer instead of lines.
        #[arg(long)]
        json: bool,
        /// Show the desensitized and privatized objects and a report of what was changed
        /// and why, without charging the privacy budget, logging or sending anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Show the privacy budget: ε spent and remaining this epoch and over the node's
    /// lifetime, and when it renews.
    Budget {
        #[command(flatten)]
        dir: DataDirArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Inspect and verify the node's ledger (through the running node, or directly from
    /// the store when the node is stopped).
    Ledger {
        #[command(flatten)]
        dir: DataDirArg,
        #[command(subcommand)]
        action: LedgerAction,
    },
}

/// `shoal ledger` actions.
#[derive(Debug, Subcommand)]
pub enum LedgerAction {
    /// Size, latest checkpoint and verifier key.
    Status,
    /// Print the latest signed checkpoint (C2SP signed note).
    Checkpoint,
    /// Print a c2sp.org/tlog-proof@v1 for entry INDEX.
    Proof {
        /// Entry index.
        index: u64,
        /// Prove against the checkpoint of this size instead of the latest.
        #[arg(long)]
        size: Option<u64>,
    },
    /// Re-check the whole stored log: signatures, hashes, checkpoints.
    Verify,
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Entry point of the `shoal` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Init {
            dir,
            name,
            role,
            api_listen,
            p2p_listen,
        } => init::run(&dir.data_dir, name, role, api_listen, p2p_listen),
        Command::Node {
            dir,
            api_listen,
            p2p_listen,
        } => {
            let d = crate::datadir::DataDir::open(&dir.data_dir)?;
            crate::daemon::run(
                d,
                crate::daemon::Overrides {
                    api_listen,
                    p2p_listen,
                },
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Id { dir, json } => id::run(&dir.data_dir, json),
        Command::Publish {
            dir,
            file,
            community,
            tlp,
            json,
            dry_run,
        } => publish::run(&dir.data_dir, &file, community, tlp, json, dry_run).await,
        Command::Budget { dir, json } => budget::run(&dir.data_dir, json).await,
        Command::Ledger { dir, action } => ledger::run(&dir.data_dir, action).await,
    }
}
