//! `shoal publish`: send STIX to the running node and print one line per object.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};

use crate::client::{describe_error, ApiClient, Reach};
use crate::datadir::DataDir;

fn query(community: Option<String>, tlp: Option<String>, dry_run: bool) -> String {
    let mut parts = Vec::new();
    if dry_run {
        parts.push("dry_run=true".to_string());
    }
    if let Some(c) = community {
        parts.push(format!("community={}", urlencode(&c)));
    }
    if let Some(t) = tlp {
        parts.push(format!("tlp={}", urlencode(&t)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

pub(super) async fn run(
    root: &Path,
    file: &str,
    community: Option<String>,
    tlp: Option<String>,
    as_json: bool,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let body = if file == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("reading stdin")?;
        b
    } else {
        std::fs::read(file).with_context(|| format!("reading {file}"))?
    };
    send(root, body, community, tlp, as_json, dry_run).await
}

/// Publish `body` (STIX JSON) through the running node and print one line per object.
pub(super) async fn send(
    root: &Path,
    body: Vec<u8>,
    community: Option<String>,
    tlp: Option<String>,
    as_json: bool,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let dir = DataDir::open(root)?;
    let client = ApiClient::for_datadir(&dir)?;
    let path = format!("/api/v1/publish{}", query(community, tlp, dry_run));
    let (status, answer) = match client.post(&path, body).await? {
        Reach::Answered(a) => a,
        Reach::NotRunning => bail!(
            "no node is running at {} (start it with `shoal node --data-dir {}`)",
            client.base(),
            root.display()
        ),
    };
    if as_json {
        println!("{}", String::from_utf8_lossy(&answer));
    }
    if !status.is_success() && status.as_u16() != 422 {
        bail!("{}", describe_error(status, &answer));
    }
    let report: serde_json::Value =
        serde_json::from_slice(&answer).context("the node answered something that is not JSON")?;
    let results = report
        .get("results")
        .and_then(|r| r.as_array())
        .cloned()
        .unwrap_or_default();
    let mut rejected = 0;
    if !as_json {
        for r in &results {
            let pos = r.get("position").and_then(|v| v.as_u64()).unwrap_or(0);
            let id = r.get("id").and_then(|v| v.as_str()).unwrap_or("(no id)");
            let st = r.get("status").and_then(|v| v.as_str()).unwrap_or("?");
            match st {
                "appended" => println!(
                    "#{pos} {id} appended index={} leaf={}",
                    r.get("ledger_index").and_then(|v| v.as_u64()).unwrap_or(0),
                    r.get("leaf_hash").and_then(|v| v.as_str()).unwrap_or("")
                ),
                "would_append" => println!(
                    "#{pos} {id} would be published as {} (ε={})",
                    r.get("published_id")
                        .and_then(|v| v.as_str())
                        .unwrap_or("?"),
                    r.get("epsilon").and_then(|v| v.as_f64()).unwrap_or(0.0)
                ),
                "duplicate" => println!(
                    "#{pos} {id} duplicate index={} (already logged)",
                    r.get("ledger_index").and_then(|v| v.as_u64()).unwrap_or(0)
                ),
                _ => println!(
                    "#{pos} {id} rejected: {}",
                    r.get("error")
                        .and_then(|v| v.as_str())
                        .unwrap_or("unknown reason")
                ),
            }
        }
    }
    if dry_run && !as_json {
        let changes = report
            .get("changes")
            .and_then(|c| c.as_array())
            .cloned()
            .unwrap_or_default();
        println!("\n{} change(s) by desensitization:", changes.len());
        for c in &changes {
            println!(
                "  #{} {} at {}: {} → {}",
                c.get("position").and_then(|v| v.as_u64()).unwrap_or(0),
                c.get("object").and_then(|v| v.as_str()).unwrap_or("?"),
                c.get("path")
                    .and_then(|v| v.as_str())
                    .filter(|p| !p.is_empty())
                    .unwrap_or("(whole object)"),
                c.get("class").and_then(|v| v.as_str()).unwrap_or("?"),
                c.get("action").and_then(|v| v.as_str()).unwrap_or("?"),
            );
        }
        let objects = report.get("objects").cloned().unwrap_or_default();
        println!(
            "\nobjects as they would be signed:\n{}",
            serde_json::to_string_pretty(&objects)?
        );
        eprintln!("dry run: nothing was logged, sent or charged to the privacy budget");
    }
    for r in &results {
        if r.get("status").and_then(|v| v.as_str()) == Some("rejected") {
            rejected += 1;
        }
    }
    if !as_json {
        eprintln!(
            "{} appended, {} duplicate, {rejected} rejected",
            report.get("appended").and_then(|v| v.as_u64()).unwrap_or(0),
            report
                .get("duplicates")
                .and_then(|v| v.as_u64())
                .unwrap_or(0)
        );
    }
    Ok(if rejected > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
