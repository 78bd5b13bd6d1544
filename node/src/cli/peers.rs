//! `shoal peers`: the running node's view of the peer network (`GET /api/v1/peers`):
//! its own peer id and admission, listen addresses, NAT status and relay reservations,
//! the connected peers, offence counters and the logs it replicates.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use serde_json::Value;

use crate::client::{ApiClient, Reach};
use crate::datadir::DataDir;

pub(super) async fn run(root: &Path, as_json: bool) -> Result<ExitCode> {
    let dir = DataDir::open(root)?;
    let client = ApiClient::for_datadir(&dir)?;
    let Reach::Answered(body) = client.get("/api/v1/peers").await? else {
        bail!(
            "no node is running at {} (peers are only known to a running node; start it with \
             `shoal node --data-dir {}`)",
            client.base(),
            root.display()
        );
    };
    let v: Value = serde_json::from_slice(&body)?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_status(&v);
    }
    Ok(ExitCode::SUCCESS)
}

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn list(v: &Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn num(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

fn or_dash(s: String) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s
    }
}

fn print_status(v: &Value) {
    println!("peer id       {}", or_dash(text(v, "peer_id").to_owned()));
    if v.get("enabled").and_then(Value::as_bool) != Some(true) {
        println!("network       disabled on this node");
    }
    match v.get("admission").filter(|a| !a.is_null()) {
        Some(a) => {
            let expires = match a.get("expires_at").and_then(Value::as_u64) {
                Some(u64::MAX) | None => "never".to_owned(),
                Some(t) => crate::intel::format_time(t),
            };
            println!(
                "admission     {} ({}), communities {}, expires {expires}",
                text(a, "name"),
                text(a, "role"),
                or_dash(list(a, "communities").join(","))
            );
        }
        None => println!("admission     not admitted (install a certificate chain from an anchor)"),
    }
    let addrs = list(v, "listen_addrs");
    if addrs.is_empty() {
        println!("listening     -");
    }
    for (i, a) in addrs.iter().enumerate() {
        let label = if i == 0 { "listening" } else { "" };
        println!("{label:13} {a}");
    }
    println!(
        "nat           {}",
        or_dash(text(v, "nat_status").to_owned())
    );
    println!(
        "relays        {}",
        or_dash(list(v, "relay_reservations").join(", "))
    );
    if let Some(c) = v.get("counters") {
        println!(
            "gossip        {} accepted, {} ignored, {} rejected; {} own items published",
            num(c, "gossip_accepted"),
            num(c, "gossip_ignored"),
            num(c, "gossip_rejected"),
            num(c, "published")
        );
        println!(
            "sync          {} items and {} hashes fetched, {} requests served, {} checkpoints applied",
            num(c, "synced_items"),
            num(c, "synced_hashes"),
            num(c, "sync_served"),
            num(c, "checkpoints")
        );
    }

    let peers = v
        .get("peers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    println!();
    println!("peers ({})", peers.len());
    let rows: Vec<Vec<String>> = peers
        .iter()
        .map(|p| {
            let admitted = p.get("admitted").and_then(Value::as_bool) == Some(true);
            vec![
                text(p, "peer_id").to_owned(),
                or_dash(text(p, "name").to_owned()),
                if admitted {
                    or_dash(text(p, "role").to_owned())
                } else {
                    "not admitted".to_owned()
                },
                or_dash(list(p, "communities").join(",")),
                p.get("score")
                    .and_then(Value::as_f64)
                    .map_or_else(|| "-".to_owned(), |s| format!("{s:.2}")),
                if p.get("relayed").and_then(Value::as_bool) == Some(true) {
                    "yes".to_owned()
                } else {
                    "no".to_owned()
                },
            ]
        })
        .collect();
    table(
        &["PEER ID", "NAME", "ROLE", "COMMUNITIES", "SCORE", "RELAYED"],
        &rows,
    );

    let offences: Vec<Vec<String>> = v
        .get("offences")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, n)| vec![k.clone(), n.to_string()])
                .collect()
        })
        .unwrap_or_default();
    println!();
    println!("offences ({})", offences.len());
    table(&["KIND", "COUNT"], &offences);

    let logs: Vec<Vec<String>> = v
        .get("logs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|l| {
                    vec![
                        or_dash(text(l, "peer_id").to_owned()),
                        format!("{}/{}", num(l, "verified_size"), num(l, "known_size")),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    println!();
    println!("replicated logs ({})", logs.len());
    table(&["PUBLISHER", "VERIFIED/KNOWN"], &logs);
}

/// Print `rows` under `headers`, columns padded to their widest cell (nothing when
/// there are no rows).
fn table(headers: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        return;
    }
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(c, h)| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .chain([h.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let out: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:w$}"))
            .collect();
        println!("  {}", out.join("  ").trim_end());
    };
    line(headers.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}
