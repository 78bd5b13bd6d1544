//! `shoal misbehaviour`: the equivocations this node detected or learnt (publishers
//! whose key signed two conflicting histories), with their offline-verifiable proofs;
//! through the running node, or from the store when the node is stopped.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use serde_json::{json, Value};

use crate::client::{ApiClient, Reach};
use crate::datadir::DataDir;

pub(super) async fn run(root: &Path, as_json: bool) -> Result<ExitCode> {
    let dir = DataDir::open(root)?;
    let max = dir.config.envelope.max_bytes;
    let offline = if dir.store_path().exists() {
        dir.store_if_idle()?
            .map(|s| crate::api::misbehaviour::equivocations(&s, max))
            .transpose()?
            .map(|list| json!({ "equivocations": list }))
    } else {
        Some(json!({ "equivocations": [] }))
    };
    let v: Value = match offline {
        Some(v) => v,
        None => match ApiClient::for_datadir(&dir)?
            .get("/api/v1/misbehaviour")
            .await?
        {
            Reach::Answered(b) => serde_json::from_slice(&b)?,
            Reach::NotRunning => {
                bail!("the store is in use but no node answers at its API address")
            }
        },
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    let list = v["equivocations"].as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        println!("no equivocation detected");
    }
    for e in &list {
        println!(
            "EQUIVOCATION  publisher {}  ({})  kind {}  index {}  sizes {}  detected {}",
            e["publisher_peer_id"].as_str().unwrap_or("?"),
            e["origin"].as_str().unwrap_or("-"),
            e["kind"].as_str().unwrap_or("?"),
            e["index"],
            e["sizes"],
            crate::intel::format_time(e["detected_at"].as_u64().unwrap_or(0)),
        );
        println!(
            "  proof id {} (verify offline from `--json`)",
            e["id"].as_str().unwrap_or("?")
        );
    }
    if let Some(o) = v["offences"].as_object() {
        if !o.is_empty() {
            println!("offences counted against peers:");
            for (k, n) in o {
                println!("  {k:<14} {n}");
            }
        }
    }
    for o in v["offenders"].as_array().into_iter().flatten() {
        let kinds: Vec<String> = o["offences"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, n)| format!("{k}×{n}"))
            .collect();
        let banned = match o["banned_until_ms"].as_u64() {
            Some(ms) => format!("  banned until {}", crate::intel::format_time(ms / 1000)),
            None => String::new(),
        };
        println!(
            "PEER  {}  penalty {}  {}  last {}{banned}",
            o["peer"].as_str().unwrap_or("?"),
            o["penalty"],
            kinds.join(" "),
            crate::intel::format_time(o["last_at_ms"].as_u64().unwrap_or(0) / 1000),
        );
    }
    let incidents = v["incidents"].as_array().cloned().unwrap_or_default();
    if !incidents.is_empty() {
        println!("latest incidents:");
        for i in incidents.iter().take(20) {
            println!(
                "  {}  {}  {}{}",
                crate::intel::format_time(i["at_ms"].as_u64().unwrap_or(0) / 1000),
                i["peer"].as_str().unwrap_or("?"),
                i["offence"].as_str().unwrap_or("?"),
                i["detail"]
                    .as_str()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default(),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
