//! `shoal advisory`: publish, list, show and acknowledge emergency advisories through the
//! running node's API (`/api/v1/advisories`, see `crate::advisory::api`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde_json::{json, Value};

use super::DataDirArg;
use crate::client::{describe_error, ApiClient, Reach};
use crate::datadir::DataDir;

/// Largest advisory file read (the API's body limit applies too).
const MAX_FILE_BYTES: u64 = 4 << 20;

/// `shoal advisory` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdvisoryAction {
    /// Publish an advisory from a JSON file through the running node
    ///
    /// The file holds one `x-shoal-advisory` object, optionally with a CACAO 2.0
    /// playbook. It is validated strictly (a malformed playbook is refused with the
    /// JSON path of the defect), desensitized, signed, logged and gossiped to its
    /// community. `id`, `created`, `modified`, `spec_version` and `type` are filled
    /// when absent.
    ///
    /// Examples:
    ///   shoal advisory publish --data-dir anchor advisory.json
    ///   shoal advisory publish --data-dir anchor advisory.json --community ot-energy --tlp green
    #[command(verbatim_doc_comment)]
    Publish {
        #[command(flatten)]
        dir: DataDirArg,
        /// The advisory JSON file.
        file: PathBuf,
        /// Community to publish to (default: the first of the scope's communities this
        /// node is admitted to, else `publish.community`).
        #[arg(long, value_name = "NAME")]
        community: Option<String>,
        /// TLP when the object has no marking (default `publish.default_tlp`).
        #[arg(long, value_name = "LEVEL")]
        tlp: Option<String>,
        /// Print the API's JSON answer.
        #[arg(long)]
        json: bool,
    },
    /// List the advisories this node holds
    ///
    /// Newest first: severity, authority, deadline, acknowledgement counts, this node's
    /// own status, and OVERDUE when a critical advisory concerning this node is past its
    /// deadline without a final acknowledgement.
    List {
        #[command(flatten)]
        dir: DataDirArg,
        /// Print the JSON of GET /api/v1/advisories.
        #[arg(long)]
        json: bool,
    },
    /// Show one advisory with its acknowledgements
    ///
    /// Its text, playbook, ledger position and proof URL, and every member's
    /// acknowledgement: pseudonymous, with its admitted communities, the signature
    /// check and the proof URL.
    Show {
        #[command(flatten)]
        dir: DataDirArg,
        /// The advisory id (x-shoal-advisory--UUID).
        id: String,
        /// Print the JSON of GET /api/v1/advisories/{id}.
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge an advisory
    ///
    /// A signed, logged status that only moves forward (received → assessing →
    /// mitigated | not_affected); a regression is refused. The note is desensitized
    /// before it leaves the node.
    ///
    /// Example:
    ///   shoal advisory ack --data-dir m1 x-shoal-advisory--… --status mitigated --note "patched"
    #[command(verbatim_doc_comment)]
    Ack {
        #[command(flatten)]
        dir: DataDirArg,
        /// The advisory id (x-shoal-advisory--UUID).
        id: String,
        /// received, assessing, mitigated or not_affected.
        #[arg(long, value_name = "STATUS")]
        status: String,
        /// Optional free text (at most 2,000 characters).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Print the API's JSON answer.
        #[arg(long)]
        json: bool,
    },
}

/// Run a `shoal advisory` subcommand.
pub(super) async fn run(action: AdvisoryAction) -> Result<ExitCode> {
    match action {
        AdvisoryAction::Publish {
            dir,
            file,
            community,
            tlp,
            json,
        } => publish(&dir.data_dir, &file, community, tlp, json).await,
        AdvisoryAction::List { dir, json } => list(&dir.data_dir, json).await,
        AdvisoryAction::Show { dir, id, json } => show(&dir.data_dir, &id, json).await,
        AdvisoryAction::Ack {
            dir,
            id,
            status,
            note,
            json,
        } => ack(&dir.data_dir, &id, &status, note, json).await,
    }
}

fn client(root: &Path) -> Result<ApiClient> {
    ApiClient::for_datadir(&DataDir::open(root)?)
}

fn not_running() -> anyhow::Error {
    anyhow::anyhow!(
        "no node answers at the data directory's API address; start it with `shoal node`"
    )
}

async fn get(root: &Path, path: &str) -> Result<Value> {
    match client(root)?.get(path).await? {
        Reach::Answered(body) => Ok(serde_json::from_slice(&body)?),
        Reach::NotRunning => Err(not_running()),
    }
}

async fn post(root: &Path, path: &str, body: Vec<u8>) -> Result<Value> {
    match client(root)?.post(path, body).await? {
        Reach::Answered((status, body)) if status.is_success() => {
            Ok(serde_json::from_slice(&body)?)
        }
        Reach::Answered((status, body)) => bail!("{}", describe_error(status, &body)),
        Reach::NotRunning => Err(not_running()),
    }
}

/// Percent-encode a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("-")
}

async fn publish(
    root: &Path,
    file: &Path,
    community: Option<String>,
    tlp: Option<String>,
    as_json: bool,
) -> Result<ExitCode> {
    let len = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    if len > MAX_FILE_BYTES {
        bail!(
            "{} is {len} bytes, more than the {MAX_FILE_BYTES}-byte limit",
            file.display()
        );
    }
    let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mut query = Vec::new();
    if let Some(c) = community {
        query.push(format!("community={}", enc(&c)));
    }
    if let Some(t) = tlp {
        query.push(format!("tlp={}", enc(&t)));
    }
    let path = if query.is_empty() {
        "/api/v1/advisories".to_owned()
    } else {
        format!("/api/v1/advisories?{}", query.join("&"))
    };
    let v = post(root, &path, body).await?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{} {} ({}{}) to community {} as TLP:{} at ledger index {}",
            if v["status"] == "appended" {
                "published"
            } else {
                "already published"
            },
            s(&v["id"]),
            s(&v["severity"]),
            if v["authoritative"] == true {
                ", authoritative"
            } else {
                ""
            },
            s(&v["community"]),
            s(&v["tlp"]).to_uppercase(),
            v["ledger_index"],
        );
        for c in v["changes"].as_array().into_iter().flatten() {
            println!(
                "  desensitized {}: {} ({})",
                s(&c["path"]),
                s(&c["class"]),
                s(&c["action"])
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn counts(a: &Value) -> String {
    let c = &a["acks"];
    format!(
        "acks {} (mitigated {}, not affected {}, assessing {}, received {})",
        c["total"], c["mitigated"], c["not_affected"], c["assessing"], c["received"]
    )
}

async fn list(root: &Path, as_json: bool) -> Result<ExitCode> {
    let v = get(root, "/api/v1/advisories").await?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    let items = v["advisories"].as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        println!("no advisories");
    }
    for a in &items {
        println!(
            "{:<8} {:<8} {} {}{}",
            if a["overdue"] == true { "OVERDUE" } else { "" },
            s(&a["severity"]).to_uppercase(),
            s(&a["id"]),
            s(&a["title"]),
            if a["drill"] == true { " [drill]" } else { "" },
        );
        println!(
            "         {} · deadline {} · {} · own status {}",
            if a["authoritative"] == true {
                "authoritative (anchor)"
            } else {
                "from a member"
            },
            s(&a["deadline"]),
            counts(a),
            a["own_status"].as_str().unwrap_or("none"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn show(root: &Path, id: &str, as_json: bool) -> Result<ExitCode> {
    let v = get(root, &format!("/api/v1/advisories/{}", enc(id))).await?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}{}",
        s(&v["title"]),
        if v["drill"] == true { " [drill]" } else { "" }
    );
    println!("  id           {}", s(&v["id"]));
    println!("  severity     {}", s(&v["severity"]));
    println!(
        "  publisher    {} ({})",
        s(&v["publisher"]),
        if v["authoritative"] == true {
            "anchor: authoritative"
        } else {
            "member"
        }
    );
    println!(
        "  community    {} (TLP:{})",
        s(&v["community"]),
        s(&v["tlp"]).to_uppercase()
    );
    println!("  deadline     {}", s(&v["deadline"]));
    println!(
        "  own status   {}{}",
        v["own_status"].as_str().unwrap_or("none"),
        if v["overdue"] == true {
            " — OVERDUE"
        } else {
            ""
        }
    );
    println!(
        "  ledger       index {} · signature {} · proof {}",
        v["ledger"]["index"],
        if v["ledger"]["signature_verified"] == true {
            "verified"
        } else {
            "NOT VERIFIED"
        },
        s(&v["ledger"]["proof"])
    );
    println!();
    println!("{}", s(&v["object"]["description"]));
    println!();
    match v["playbook"].as_object() {
        Some(p) => println!(
            "playbook: {} ({} workflow steps)",
            p.get("name").and_then(Value::as_str).unwrap_or("(unnamed)"),
            p.get("workflow")
                .and_then(Value::as_object)
                .map_or(0, |w| w.len())
        ),
        None => println!("no playbook"),
    }
    println!();
    println!("{}", counts(&v));
    for a in v["acknowledgements"].as_array().into_iter().flatten() {
        let comms: Vec<&str> = a["communities"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        println!(
            "  {:<20} {:<12} at {} · sector {} · region {} · communities {} · ledger index {} · signature {} · proof {}",
            s(&a["member"]),
            s(&a["status"]),
            s(&a["updated_at"]),
            s(&a["sector"]),
            s(&a["region"]),
            if comms.is_empty() {
                "-".to_owned()
            } else {
                comms.join(",")
            },
            a["index"],
            if a["signature_verified"] == true {
                "verified"
            } else {
                "NOT VERIFIED"
            },
            s(&a["proof"]),
        );
        if let Some(n) = a["note"].as_str() {
            println!("      note: {n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn ack(
    root: &Path,
    id: &str,
    status: &str,
    note: Option<String>,
    as_json: bool,
) -> Result<ExitCode> {
    let body = serde_json::to_vec(&json!({ "status": status, "note": note }))?;
    let v = post(root, &format!("/api/v1/advisories/{}/ack", enc(id)), body).await?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "acknowledged {} as {} (was {}) at ledger index {} · proof {}",
            s(&v["advisory"]),
            s(&v["status"]),
            v["previous"].as_str().unwrap_or("none"),
            v["ledger_index"],
            s(&v["proof"]),
        );
    }
    Ok(ExitCode::SUCCESS)
}
