//! The `shoal` command line: argument definitions (clap) and dispatch to the
//! subcommands in this module's files.

mod admission;
mod advisory;
mod budget;
mod demo;
mod explain;
mod export;
mod id;
mod import;
mod init;
mod ledger;
mod misbehaviour;
mod peers;
mod publish;
mod query;
mod situation;
mod verify;

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
        /// libp2p listen multiaddr (repeatable; default /ip4/0.0.0.0/tcp/7342 and
        /// /ip4/0.0.0.0/udp/7342/quic-v1).
        #[arg(long, value_name = "MULTIADDR")]
        p2p_listen: Vec<String>,
        /// Trust root: an anchor's verifier key as printed by its `shoal id` (repeatable).
        /// Admission certificates must chain to one of these.
        #[arg(long, value_name = "VKEY")]
        trust_anchor: Vec<String>,
        /// Bootstrap peer, a multiaddr ending in /p2p/<peer-id> (repeatable); normally anchors.
        #[arg(long, value_name = "MULTIADDR")]
        bootstrap: Vec<String>,
    },
    /// Run the node daemon (HTTP API on loopback by default) until SIGTERM or Ctrl-C.
    Node {
        #[command(flatten)]
        dir: DataDirArg,
        /// Override `api.listen` for this run (port 0 picks a free port; the bound address
        /// is printed and written to DIR/api.addr).
        #[arg(long, value_name = "ADDR")]
        api_listen: Option<String>,
        /// Override `network.listen` for this run (repeatable; e.g. /ip4/127.0.0.1/tcp/0).
        #[arg(long, value_name = "MULTIADDR")]
        p2p_listen: Vec<String>,
        /// Override `network.bootstrap` for this run: a multiaddr ending in /p2p/<peer-id>
        /// (repeatable).
        #[arg(long, value_name = "MULTIADDR")]
        bootstrap: Vec<String>,
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
    /// Import intel from other tools and publish it through the normal pipeline.
    Import {
        #[command(subcommand)]
        kind: ImportKind,
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
    /// Run a real local network in one command: one anchor and several members as
    /// separate node processes on 127.0.0.1 (each with its own store in a temporary
    /// directory), admit the members, publish realistic sample intel full of internal
    /// data, and show what was removed, what each node received and the proofs verifying.
    Demo {
        /// Number of members.
        #[arg(long, default_value_t = 3)]
        members: usize,
        /// Create the nodes under DIR (must be empty or absent) instead of a temporary directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Leave the nodes running and print their API addresses and tokens.
        #[arg(long)]
        keep: bool,
    },
    /// Verify an item's proof offline (no daemon, no network): the envelope's signature,
    /// that it is the publisher's entry at the proof's index, the inclusion proof, the
    /// log's signature on the checkpoint and the witness cosignatures (k of n). Get the
    /// files from `GET /api/v1/intel/{publisher}/{index}/proof` and `/entry`, or verify a
    /// STIX export (`/stix`) with `--stix FILE`: every object carrying Shoal's provenance
    /// extension is checked, and must be exactly the object the publisher signed. Exits 1
    /// and names the failed check when it does not verify.
    Verify {
        /// A data directory whose `[provenance]` witnesses and threshold are the defaults.
        #[arg(long, env = "SHOAL_DATA_DIR", value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// The c2sp.org/tlog-proof@v1 file.
        #[arg(required_unless_present = "stix")]
        proof_file: Option<PathBuf>,
        /// The entry file (the exact signed envelope bytes).
        #[arg(required_unless_present = "stix")]
        entry_file: Option<PathBuf>,
        /// A STIX 2.1 bundle (or single object) exported by a Shoal node, instead of the
        /// proof and entry files.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["proof_file", "entry_file"])]
        stix: Option<PathBuf>,
        /// The log's C2SP verifier key (default: the publisher the entry names).
        #[arg(long, value_name = "VKEY")]
        log_key: Option<String>,
        /// A trusted witness's key (cosignature/v1, repeatable).
        #[arg(long = "witness", value_name = "VKEY")]
        witnesses: Vec<String>,
        /// Cosignatures by distinct trusted witnesses required.
        #[arg(long, value_name = "K")]
        min_witnesses: Option<usize>,
    },
    /// List publishers caught equivocating (their key signed two conflicting histories,
    /// e.g. a cloned data directory publishing from two machines), with the proofs, which
    /// verify offline; and the offences counted against peers.
    Misbehaviour {
        #[command(flatten)]
        dir: DataDirArg,
        /// Print JSON (the proofs in full).
        #[arg(long)]
        json: bool,
    },
    /// Admission to the network: members write a request, anchors issue certificate
    /// chains for some of their communities (and revoke them), members install them.
    Admission {
        #[command(subcommand)]
        action: AdmissionAction,
    },
    /// Search the intel received from other publishers
    ///
    /// Asks the running node, or reads the store directly when the node is stopped.
    /// Every filter given must match; items are listed by publisher and ledger index,
    /// one per line:
    /// `<published>  <type>  <tlp>/<community>  <publisher>#<index>  <credibility> <admiralty>  <pattern|value|name>`.
    ///
    /// Examples:
    ///   shoal query --data-dir n1 --type indicator --since 2026-11-26
    ///   shoal query --data-dir n1 --value 198.51.100.7
    ///   shoal query --data-dir n1 --publisher 12D3KooW... --community energy --json
    #[command(verbatim_doc_comment)]
    Query {
        #[command(flatten)]
        dir: DataDirArg,
        /// Only objects of this STIX type (indicator, ipv4-addr, malware, ...).
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        /// Only objects whose JSON contains this text, ignoring case: matches indicator
        /// patterns, observable values (IPs, domains, URLs, hashes), names.
        #[arg(long, value_name = "TEXT")]
        value: Option<String>,
        /// Only items published at or after TIME: unix seconds, RFC 3339
        /// (2026-11-26T00:00:00Z, 2026-11-26T09:00:00+09:00) or a date (2026-11-26, UTC).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only items of this publisher: its peer id or 64-hex public key.
        #[arg(long, value_name = "ID")]
        publisher: Option<String>,
        /// Only items shared in this community.
        #[arg(long, value_name = "NAME")]
        community: Option<String>,
        /// Most items to list (1 to 10000); when more match, the cursor to continue
        /// from is printed on stderr.
        #[arg(long, value_name = "N", default_value_t = crate::intel::DEFAULT_LIMIT)]
        limit: usize,
        /// Continue after this cursor (printed when a listing stops at --limit).
        #[arg(long, value_name = "CURSOR")]
        after: Option<String>,
        /// Only items whose credibility is at least X (0 to 1; `shoal explain` shows why).
        #[arg(long, value_name = "X")]
        min_credibility: Option<f64>,
        /// Print JSON `{"count", "items", "next"}` (as GET /api/v1/intel) instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Emergency advisories: publish, list, show and acknowledge
    ///
    /// Publish an advisory (with an optional CACAO 2.0 playbook), list and show what this
    /// node holds with the members' acknowledgements, and acknowledge one (received →
    /// assessing → mitigated | not_affected). Through the running node's API.
    Advisory {
        #[command(subcommand)]
        action: advisory::AdvisoryAction,
    },
    /// Summarise the threat situation: items and sightings over time (estimates with their
    /// 95 % intervals), top indicators, sectors and regions, the forecast and alerts, and
    /// the intel that touches the local asset inventory (`[situation] assets`)
    ///
    /// Asks the running node (the same as GET /api/v1/situation and the /situation page),
    /// or reads the store when the node is stopped.
    ///
    /// Examples:
    ///   shoal situation --data-dir n1
    ///   shoal situation --data-dir n1 --from 2026-11-01 --bucket 1d --json
    #[command(verbatim_doc_comment)]
    Situation {
        #[command(flatten)]
        dir: DataDirArg,
        /// Start of the window: unix seconds, RFC 3339 or a date (default: 7 days before
        /// --to).
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// End of the window (exclusive; default: the end of the current bucket).
        #[arg(long, value_name = "TIME")]
        to: Option<String>,
        /// Bucket width: 15m, 1h, 6h, 1d, ... (default 1h).
        #[arg(long, value_name = "DURATION")]
        bucket: Option<String>,
        /// Print the JSON of GET /api/v1/situation instead of the summary.
        #[arg(long)]
        json: bool,
    },
    /// Export what this node received (STIX 2.1 with provenance, CSV, or a blocklist)
    ///
    /// Writes to stdout: a STIX 2.1 bundle (each object with its provenance and
    /// credibility in Shoal's extension, `confidence` set), CSV, or plain indicator
    /// values one per line for firewalls and blocklists. Asks the running node, or reads
    /// the store when the node is stopped.
    ///
    /// Examples:
    ///   shoal export --data-dir n1 --format stix --min-credibility 0.6 > bundle.json
    ///   shoal export --data-dir n1 --format txt --since 2026-11-01 > blocklist.txt
    #[command(verbatim_doc_comment)]
    Export {
        #[command(flatten)]
        dir: DataDirArg,
        /// stix, csv or txt.
        #[arg(long, default_value = "stix", value_name = "FORMAT")]
        format: String,
        /// Only items whose credibility is at least X (0 to 1).
        #[arg(long, value_name = "X")]
        min_credibility: Option<f64>,
        /// Only items published at or after TIME (unix seconds, RFC 3339 or a date).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only items shared in this community.
        #[arg(long, value_name = "NAME")]
        community: Option<String>,
    },
    /// Explain an item's credibility: its score (also as STIX confidence and Admiralty
    /// code) and each input's part — the publisher's trust and declared confidence,
    /// every independent confirmation and refutation with its reporter's trust, the age
    /// decay — for every publisher that shared the STIX id.
    ///
    /// Asks the running node, or computes it from the store when the node is stopped.
    Explain {
        #[command(flatten)]
        dir: DataDirArg,
        /// The STIX id of the item (e.g. indicator--5f6a1c1e-...).
        item_id: String,
        /// Print JSON (as GET /api/v1/intel/{id}/credibility).
        #[arg(long)]
        json: bool,
    },
    /// Show the connected peers and the network status of the running node.
    ///
    /// Prints this node's peer id, admission, listen addresses, NAT status and relay
    /// reservations, then the connected peers (name, role, communities, penalty score,
    /// relayed or not), offence counters and the publishers' logs it replicates
    /// (verified/known size). Needs the node running.
    Peers {
        #[command(flatten)]
        dir: DataDirArg,
        /// Print the node's JSON status (as GET /api/v1/peers) instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Inspect and verify the node's ledger (through the running node, or directly from
    /// the store when the node is stopped).
    Ledger {
        /// The node's data directory (created by `shoal init`); before or after the action.
        #[arg(long, env = "SHOAL_DATA_DIR", value_name = "DIR", global = true)]
        data_dir: Option<PathBuf>,
        #[command(subcommand)]
        action: LedgerAction,
    },
}

/// `shoal admission` actions.
#[derive(Debug, Subcommand)]
pub enum AdmissionAction {
    /// Write a signed admission request for this node (to stdout without --out); send it
    /// to an anchor.
    Request {
        #[command(flatten)]
        dir: DataDirArg,
        /// Write the request to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// (Anchor) Issue a certificate chain for REQUEST_FILE, admitting the requester to
    /// the given communities (to stdout without --out).
    Issue {
        #[command(flatten)]
        dir: DataDirArg,
        /// The member's request (from `shoal admission request`).
        request_file: PathBuf,
        /// Comma-separated communities, e.g. energy,water (each 1 to 64 of [a-z0-9._-]).
        #[arg(long, value_delimiter = ',', required = true)]
        communities: Vec<String>,
        /// Validity in days.
        #[arg(long, default_value_t = 365)]
        days: u64,
        /// Role granted: member, or anchor for a lower-level (e.g. provincial) anchor.
        #[arg(long, default_value = "member")]
        role: shoal_protocol::admission::Role,
        /// The member's sector, as this anchor vouches for it (shown next to its
        /// acknowledgements of advisories), e.g. energy. An anchor limited to one
        /// sector can only grant that one.
        #[arg(long)]
        sector: Option<String>,
        /// The member's region, as this anchor vouches for it, e.g. north.
        #[arg(long)]
        region: Option<String>,
        /// Write the chain to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Install a certificate chain (from an anchor) into this node's data directory,
    /// after checking it is for this node and verifies against its trust anchors.
    Install {
        #[command(flatten)]
        dir: DataDirArg,
        /// The certificate chain file.
        cert_file: PathBuf,
    },
    /// (Anchor) Revoke a key's admission: writes the signed revocation and hands it to
    /// the running node, which gossips it; peers disconnect the revoked node.
    Revoke {
        #[command(flatten)]
        dir: DataDirArg,
        /// Hex public key or peer id of the node to revoke.
        subject: String,
        /// Why (shown to operators).
        #[arg(long, default_value = "revoked by anchor")]
        reason: String,
        /// Also write the revocation to FILE.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
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
    /// Fetch another publisher's log from the network (the running node asks every peer
    /// for its newest checkpoints and syncs up to them) and re-verify it: every entry and
    /// signature (items of other communities by leaf hash), and every checkpoint it was
    /// verified against, in order (so the checkpoints are consistent with each other).
    /// With the node stopped, it audits what the store holds.
    Audit {
        /// The publisher: peer id or hex public key.
        #[arg(long)]
        publisher: String,
    },
}

/// What `shoal import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportKind {
    /// A MISP event (JSON, as MISP exports it or PyMISP writes it): attributes become
    /// STIX 2.1 indicators (to_ids) or observables, sightings become sightings, TLP tags
    /// markings, the event a report; then everything is published through the running
    /// node. Attributes that do not convert are listed (uuid, type, reason) on stderr.
    Misp {
        #[command(flatten)]
        dir: DataDirArg,
        /// The MISP event JSON file.
        file: PathBuf,
        /// Community to publish to (default: `publish.community`).
        #[arg(long)]
        community: Option<String>,
        /// TLP for objects without a TLP tag (default: `publish.default_tlp`).
        #[arg(long)]
        tlp: Option<String>,
        /// Print the node's JSON answer instead of lines.
        #[arg(long)]
        json: bool,
        /// Show what would be published, without publishing.
        #[arg(long)]
        dry_run: bool,
        /// Only convert: write the STIX bundle to FILE, publish nothing.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// The credibility state of a stopped node, loaded from its store as the daemon does
/// (its trust roots and own admission chain), for the commands that work offline.
fn offline_credibility(
    dir: &crate::datadir::DataDir,
    store: &crate::store::Store,
) -> anyhow::Result<std::sync::Arc<crate::credibility::Credibility>> {
    Ok(crate::credibility::Credibility::load(
        store,
        crate::credibility::roots(&dir.config)?,
        Some(dir.admission_chain()?),
        dir.config.envelope.max_bytes,
    )?)
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
            trust_anchor,
            bootstrap,
        } => init::run(
            &dir.data_dir,
            name,
            role,
            api_listen,
            p2p_listen,
            trust_anchor,
            bootstrap,
        ),
        Command::Node {
            dir,
            api_listen,
            p2p_listen,
            bootstrap,
        } => {
            let d = crate::datadir::DataDir::open(&dir.data_dir)?;
            crate::daemon::run(
                d,
                crate::daemon::Overrides {
                    api_listen,
                    p2p_listen,
                    bootstrap,
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
        Command::Demo { members, dir, keep } => {
            demo::run(demo::DemoOptions { members, dir, keep }).await
        }
        Command::Verify {
            data_dir,
            proof_file,
            entry_file,
            stix,
            log_key,
            witnesses,
            min_witnesses,
        } => verify::run(verify::VerifyArgs {
            data_dir,
            files: match stix {
                Some(bundle) => verify::Input::Stix(bundle),
                None => verify::Input::Files {
                    proof: proof_file.unwrap_or_default(),
                    entry: entry_file.unwrap_or_default(),
                },
            },
            log_key,
            witnesses,
            min_witnesses,
        }),
        Command::Misbehaviour { dir, json } => misbehaviour::run(&dir.data_dir, json).await,
        Command::Admission { action } => match action {
            AdmissionAction::Request { dir, out } => {
                admission::request(&dir.data_dir, out.as_deref())
            }
            AdmissionAction::Issue {
                dir,
                request_file,
                communities,
                days,
                role,
                sector,
                region,
                out,
            } => admission::issue(
                &dir.data_dir,
                &request_file,
                &communities,
                days,
                role,
                (sector, region),
                out.as_deref(),
            ),
            AdmissionAction::Install { dir, cert_file } => {
                admission::install(&dir.data_dir, &cert_file)
            }
            AdmissionAction::Revoke {
                dir,
                subject,
                reason,
                out,
            } => admission::revoke(&dir.data_dir, &subject, &reason, out.as_deref()).await,
        },
        Command::Ledger { data_dir, action } => {
            let Some(d) = data_dir else {
                anyhow::bail!("--data-dir DIR is required (or set SHOAL_DATA_DIR)");
            };
            ledger::run(&d, action).await
        }
        Command::Query {
            dir,
            kind,
            value,
            since,
            publisher,
            community,
            limit,
            after,
            min_credibility,
            json,
        } => {
            let args = query::QueryArgs {
                kind,
                value,
                since,
                publisher,
                community,
                limit,
                after,
                min_credibility,
            };
            query::run(&dir.data_dir, args, json).await
        }
        Command::Import {
            kind:
                ImportKind::Misp {
                    dir,
                    file,
                    community,
                    tlp,
                    json,
                    dry_run,
                    out,
                },
        } => {
            import::misp(
                &dir.data_dir,
                import::MispArgs {
                    file,
                    community,
                    tlp,
                    json,
                    dry_run,
                    out,
                },
            )
            .await
        }
        Command::Export {
            dir,
            format,
            min_credibility,
            since,
            community,
        } => {
            let mut p = std::collections::HashMap::new();
            p.insert("format".to_string(), format);
            if let Some(c) = min_credibility {
                p.insert("min_credibility".to_string(), c.to_string());
            }
            if let Some(s) = since {
                p.insert("since".to_string(), s);
            }
            if let Some(c) = community {
                p.insert("community".to_string(), c);
            }
            export::run(&dir.data_dir, p).await
        }
        Command::Situation {
            dir,
            from,
            to,
            bucket,
            json,
        } => {
            let args = situation::SituationArgs { from, to, bucket };
            situation::run(&dir.data_dir, args, json).await
        }
        Command::Explain { dir, item_id, json } => {
            explain::run(&dir.data_dir, &item_id, json).await
        }
        Command::Peers { dir, json } => peers::run(&dir.data_dir, json).await,
        Command::Advisory { action } => advisory::run(action).await,
    }
}
