//! `shoal ledger {status|checkpoint|proof|verify|audit}`: through the running node's API,
//! or straight from the store when no node is running.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

use super::LedgerAction;
use crate::client::{ApiClient, Reach};
use crate::datadir::DataDir;
use crate::ledger::origin;
use crate::ledger::reader::LedgerReader;
use crate::ledger::verify::verify_store;
use crate::store::Store;

pub(super) async fn run(root: &Path, action: LedgerAction) -> Result<ExitCode> {
    let dir = DataDir::open(root)?;
    // With the node stopped, the store can be opened directly; while it runs, sled's
    // lock keeps it for the daemon and we ask the API instead.
    let store = dir.store_if_idle()?;
    match store {
        Some(store) => offline(&dir, store, action),
        None => online(&dir, action).await,
    }
}

fn offline(dir: &DataDir, store: Store, action: LedgerAction) -> Result<ExitCode> {
    let key = dir.load_key()?;
    let origin = origin(&dir.config.node.name, &key)?;
    let verifier = shoal_crypto::Verifier::new(&origin, key.public())?;
    let reader = LedgerReader::new(store.clone(), verifier.clone());
    match action {
        LedgerAction::Status => {
            let cp = store.latest_checkpoint_size()?;
            println!("size              {}", reader.size()?);
            println!(
                "checkpoint size   {}",
                cp.map(|c| c.to_string()).unwrap_or_else(|| "none".into())
            );
            println!("origin            {origin}");
            println!("verifier key      {}", verifier.to_vkey());
            println!("node              not running (read from the store)");
        }
        LedgerAction::Checkpoint => print!("{}", reader.latest_checkpoint()?.1),
        LedgerAction::Proof { index, size } => print!("{}", reader.proof(index, size)?.to_text()),
        LedgerAction::Verify => {
            let max = dir.config.envelope.max_bytes;
            let started = std::time::Instant::now();
            let report = verify_store(&store, &verifier, &key.public(), max, |done, total| {
                if total > 0 && done < total {
                    eprintln!("verified {done}/{total} entries");
                }
            });
            match report {
                Ok(r) => {
                    println!(
                        "ok: {} entries, {} checkpoints verified, root {} ({:.1?})",
                        r.size,
                        r.checkpoints,
                        hex::encode(r.root),
                        started.elapsed()
                    );
                }
                Err(e) => {
                    println!("FAILED: {e}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
        LedgerAction::Audit { publisher } => {
            let key = crate::intel::parse_publisher(&publisher)
                .map_err(|e| anyhow::anyhow!("--publisher: {e}"))?;
            match crate::provenance::audit(&store, &key, dir.config.envelope.max_bytes) {
                Ok(r) => print_audit(&serde_json::to_value(&r)?),
                Err(e) => {
                    println!("FAILED: {e}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn online(dir: &DataDir, action: LedgerAction) -> Result<ExitCode> {
    let client = ApiClient::for_datadir(dir)?;
    let not_running = || -> Result<ExitCode> {
        if !dir.store_path().exists() {
            bail!(
                "{} holds no ledger yet: start the node once (`shoal node --data-dir {}`)",
                dir.root.display(),
                dir.root.display()
            )
        }
        bail!(
            "the store is locked but no node answers at {}; is another process using {}?",
            client.base(),
            dir.root.display()
        )
    };
    match action {
        LedgerAction::Status => {
            let Reach::Answered(b) = client.get("/api/v1/ledger/status").await? else {
                return not_running();
            };
            let v: serde_json::Value = serde_json::from_slice(&b)?;
            println!("size              {}", v["size"]);
            println!("checkpoint size   {}", v["checkpoint_size"]);
            println!("origin            {}", v["origin"].as_str().unwrap_or(""));
            println!(
                "verifier key      {}",
                v["verifier_key"].as_str().unwrap_or("")
            );
            println!("node              running at {}", client.base());
        }
        LedgerAction::Checkpoint => {
            let Reach::Answered(b) = client.get("/api/v1/ledger/checkpoint").await? else {
                return not_running();
            };
            print!("{}", String::from_utf8_lossy(&b));
        }
        LedgerAction::Proof { index, size } => {
            let q = size.map(|s| format!("?size={s}")).unwrap_or_default();
            let Reach::Answered(b) = client
                .get(&format!("/api/v1/ledger/proof/{index}{q}"))
                .await?
            else {
                return not_running();
            };
            print!("{}", String::from_utf8_lossy(&b));
        }
        LedgerAction::Verify => {
            let Reach::Answered((status, b)) =
                client.post("/api/v1/ledger/verify", Vec::new()).await?
            else {
                return not_running();
            };
            let v: serde_json::Value = serde_json::from_slice(&b)?;
            if status.is_success() {
                let r = &v["report"];
                println!(
                    "ok: {} entries, {} checkpoints verified, root {}",
                    r["size"],
                    r["checkpoints"],
                    r["root"].as_str().unwrap_or("")
                );
            } else {
                println!(
                    "FAILED: {}",
                    v["detail"]["reason"].as_str().unwrap_or(&v.to_string())
                );
                return Ok(ExitCode::from(1));
            }
        }
        LedgerAction::Audit { publisher } => {
            let Reach::Answered((status, b)) = client
                .get_raw(&format!("/api/v1/logs/{publisher}/audit"))
                .await?
            else {
                return not_running();
            };
            let v: serde_json::Value = serde_json::from_slice(&b)?;
            if status.is_success() {
                print_audit(&v["report"]);
                if v["caught_up_with_network"] == false {
                    println!(
                        "note: the node had not caught up with the newest checkpoint known on \
                         the network within 30 s; the audit covers what it held"
                    );
                }
            } else {
                println!(
                    "FAILED: {}",
                    v["detail"]["reason"]
                        .as_str()
                        .or(v["error"].as_str())
                        .unwrap_or(&v.to_string())
                );
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_audit(r: &serde_json::Value) {
    println!(
        "ok: {} leaves ({} entries with signatures checked, {} by leaf hash), {} checkpoints from size {} to {} consistent{}",
        r["leaves"],
        r["full_entries"],
        r["hashes_only"],
        r["checkpoints"],
        r["first_size"],
        r["last_size"],
        if r["equivocating"] == true {
            "; WARNING: this publisher is equivocating (see shoal misbehaviour)"
        } else {
            ""
        }
    );
}
