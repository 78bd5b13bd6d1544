//! `shoal explain`: why an item has the credibility it has — through the running node
//! (`GET /api/v1/intel/{id}/credibility`), or computed from the store when the node is
//! stopped.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use serde_json::Value;

use crate::client::{ApiClient, Reach};
use crate::datadir::DataDir;

pub(super) async fn run(root: &Path, id: &str, as_json: bool) -> Result<ExitCode> {
    if let Err(e) = shoal_protocol::stix::check_identifier(id) {
        bail!("{id:?} is not a STIX id: {e}");
    }
    let dir = DataDir::open(root)?;
    let offline = if dir.store_path().exists() {
        match dir.store_if_idle()? {
            Some(store) => {
                let cred = super::offline_credibility(&dir, &store)?;
                Some(crate::api::credibility::explain_json(
                    &cred,
                    id,
                    crate::daemon::unix_now(),
                )?)
            }
            None => None,
        }
    } else {
        Some(None)
    };
    let answer: Option<Value> = match offline {
        Some(v) => v,
        None => match ApiClient::for_datadir(&dir)?
            .get_raw(&format!("/api/v1/intel/{id}/credibility"))
            .await?
        {
            Reach::Answered((status, b)) if status.is_success() => {
                Some(serde_json::from_slice(&b)?)
            }
            Reach::Answered((status, _)) if status == reqwest::StatusCode::NOT_FOUND => None,
            Reach::Answered((status, b)) => {
                bail!("{}", crate::client::describe_error(status, &b))
            }
            Reach::NotRunning => {
                bail!("the store is in use but no node answers at its API address")
            }
        },
    };
    let Some(v) = answer else {
        println!("no item with id {id} is held");
        return Ok(ExitCode::from(1));
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    print(&v);
    Ok(ExitCode::SUCCESS)
}

fn short(hex_key: &str) -> String {
    hex_key.get(..16).unwrap_or(hex_key).to_owned()
}

fn print(v: &Value) {
    let f = |x: &Value| x.as_f64().unwrap_or(0.0);
    for c in v["claims"].as_array().into_iter().flatten() {
        println!(
            "{}  credibility {:.3}  (STIX confidence {}, Admiralty {})",
            v["id"].as_str().unwrap_or("?"),
            f(&c["credibility"]),
            c["confidence"],
            c["admiralty"].as_str().unwrap_or("?"),
        );
        println!(
            "  publisher {}…  trust {:.3} (global {:.5}){}",
            short(c["publisher"].as_str().unwrap_or("")),
            f(&c["publisher_trust"]),
            f(&c["publisher_global_trust"]),
            if c["equivocating_publisher"] == true {
                "  EQUIVOCATING"
            } else {
                ""
            }
        );
        println!(
            "  + publisher's vote {:.3} (declared confidence {})",
            f(&c["publisher_weight"]),
            c["declared_confidence"]
                .as_u64()
                .map(|d| d.to_string())
                .unwrap_or_else(|| "none".into())
        );
        for r in c["confirmations"].as_array().into_iter().flatten() {
            println!(
                "  + {:.3}  confirmed by {}… (trust {:.3}, {}, {})",
                f(&r["weight"]),
                short(r["reporter"].as_str().unwrap_or("")),
                f(&r["trust"]),
                r["how"].as_str().unwrap_or(""),
                crate::intel::format_time(r["at"].as_u64().unwrap_or(0)),
            );
        }
        for r in c["refutations"].as_array().into_iter().flatten() {
            println!(
                "  - {:.3}  refuted by {}… (trust {:.3}, {})",
                f(&r["weight"]),
                short(r["reporter"].as_str().unwrap_or("")),
                f(&r["trust"]),
                crate::intel::format_time(r["at"].as_u64().unwrap_or(0)),
            );
        }
        let d = &c["decay"];
        println!(
            "  = evidence {:.3} × decay {:.3} ({} days old of a {}-day lifetime for {}){}",
            f(&c["evidence_score"]),
            f(&d["factor"]),
            d["age_secs"].as_u64().unwrap_or(0) / 86_400,
            d["lifetime_secs"].as_u64().unwrap_or(0) / 86_400,
            d["observable"].as_str().unwrap_or("this type"),
            if c["revoked"] == true {
                "; REVOKED by its publisher"
            } else {
                ""
            }
        );
    }
}
