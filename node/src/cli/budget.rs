//! `shoal budget`: the privacy budget spent and remaining, from the running node.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;

use crate::client::{ApiClient, Reach};
use crate::datadir::DataDir;

pub(super) async fn run(root: &Path, as_json: bool) -> anyhow::Result<ExitCode> {
    let dir = DataDir::open(root)?;
    let client = ApiClient::for_datadir(&dir)?;
    let Reach::Answered(body) = client.get("/api/v1/budget").await? else {
        bail!(
            "no node is running at {} (start it with `shoal node --data-dir {}`)",
            client.base(),
            root.display()
        );
    };
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    let f = |k: &str| v.get(k).and_then(|x| x.as_f64()).unwrap_or(f64::NAN);
    println!(
        "this epoch   spent ε={:.4}  remaining ε={:.4}  of {:.4}",
        f("epoch_spent"),
        f("epoch_remaining"),
        f("epsilon_per_epoch")
    );
    println!(
        "lifetime     spent ε={:.4}  remaining ε={:.4}  of {:.4}",
        f("lifetime_spent"),
        f("lifetime_remaining"),
        f("lifetime_epsilon")
    );
    println!(
        "renews at    unix {} (epoch {} of {} s)",
        v.get("renews_at_unix")
            .and_then(|x| x.as_u64())
            .unwrap_or(0),
        v.get("epoch").and_then(|x| x.as_u64()).unwrap_or(0),
        v.get("epoch_secs").and_then(|x| x.as_u64()).unwrap_or(0)
    );
    Ok(ExitCode::SUCCESS)
}
