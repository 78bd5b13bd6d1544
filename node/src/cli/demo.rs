//! `shoal demo`: a real local network in one command. One anchor (a regulator) and
//! several members run as separate `shoal node` processes on 127.0.0.1, each with its
//! own sled store; the anchor admits the members to communities; each member publishes
//! realistic STIX bundles seeded with internal data; the demo then shows what the
//! privacy pipeline removed, what every node received (and what it was not eligible
//! for), and verifies received items against their publishers' signed checkpoints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde_json::Value;

use crate::client::{ApiClient, Reach};
use crate::datadir::DataDir;
use crate::localnet::{configure, create_anchor, create_member, start, Proc};

/// The bundled sample: (file name, contents). Realistic bundles a member might share,
/// full of internal addresses, host names, e-mails, user paths and the member's identity.
const SAMPLES: [(&str, &str); 6] = [
    (
        "phishing-campaign.json",
        include_str!("../../../protocol/tests/data/desensitize/phishing-campaign.json"),
    ),
    (
        "lateral-movement.json",
        include_str!("../../../protocol/tests/data/desensitize/lateral-movement.json"),
    ),
    (
        "vuln-exposure.json",
        include_str!("../../../protocol/tests/data/desensitize/vuln-exposure.json"),
    ),
    (
        "c2-infrastructure.json",
        include_str!("../../../protocol/tests/data/desensitize/c2-infrastructure.json"),
    ),
    (
        "host-forensics.json",
        include_str!("../../../protocol/tests/data/desensitize/host-forensics.json"),
    ),
    (
        "insider-report.json",
        include_str!("../../../protocol/tests/data/desensitize/insider-report.json"),
    ),
];

/// A member of the demo network: name, communities, and the community it publishes to.
struct MemberPlan {
    name: String,
    communities: Vec<String>,
    publish_to: String,
}

fn plans(n: usize) -> Vec<MemberPlan> {
    let base = [
        ("energy-co", vec!["energy"], "energy"),
        ("water-utility", vec!["water"], "water"),
        ("grid-operator", vec!["energy", "water"], "energy"),
        ("chem-plant", vec!["chemicals"], "chemicals"),
        ("pipeline-co", vec!["energy", "chemicals"], "chemicals"),
    ];
    (0..n)
        .map(|i| {
            let (name, comms, to) = &base[i % base.len()];
            let suffix = if i >= base.len() {
                format!("-{}", i / base.len() + 1)
            } else {
                String::new()
            };
            MemberPlan {
                name: format!("{name}{suffix}"),
                communities: comms.iter().map(|c| c.to_string()).collect(),
                publish_to: to.to_string(),
            }
        })
        .collect()
}

async fn get_json(c: &ApiClient, path: &str) -> Result<Value> {
    match c.get(path).await? {
        Reach::Answered(b) => Ok(serde_json::from_slice(&b)?),
        Reach::NotRunning => bail!("node at {} stopped", c.base()),
    }
}

async fn get_bytes(c: &ApiClient, path: &str) -> Result<Vec<u8>> {
    match c.get(path).await? {
        Reach::Answered(b) => Ok(b),
        Reach::NotRunning => bail!("node at {} stopped", c.base()),
    }
}

fn configure_privacy(dir: &Path) -> Result<()> {
    // Tell each member what is internal to it: the sample bundles use these.
    configure(dir, |cfg| {
        let d = &mut cfg.privacy.desensitize;
        d.internal_networks = vec!["192.0.2.0/24".into()];
        d.internal_domains = vec!["corp.example.com".into()];
        d.organisation_names = vec!["Example Industrial Co".into()];
        d.canaries = vec!["PROJECT-NIGHTJAR".into()];
        cfg.ledger.checkpoint_interval_ms = 250;
        cfg.network.sync_interval_ms = 1000;
    })
}

fn short(peer: &str) -> String {
    let n = peer.len();
    if n > 8 {
        format!("…{}", &peer[n - 6..])
    } else {
        peer.to_string()
    }
}

/// Options of `shoal demo`.
pub struct DemoOptions {
    /// Number of members (1 to 20).
    pub members: usize,
    /// Where to create the nodes (default: a new temporary directory).
    pub dir: Option<PathBuf>,
    /// Leave the nodes running.
    pub keep: bool,
}

/// Run the demo.
pub async fn run(opts: DemoOptions) -> Result<ExitCode> {
    if !(1..=20).contains(&opts.members) {
        bail!("--members must be between 1 and 20");
    }
    let t0 = Instant::now();
    let root = match &opts.dir {
        Some(d) => {
            if d.exists() && std::fs::read_dir(d)?.next().is_some() {
                bail!("{} exists and is not empty", d.display());
            }
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => tempfile::Builder::new()
            .prefix("shoal-demo-")
            .tempdir()?
            .keep(),
    };
    let members = plans(opts.members);
    println!(
        "Shoal demo: 1 anchor and {} members as real libp2p nodes on 127.0.0.1\n  data and logs in {}\n",
        members.len(),
        root.display()
    );

    // 1. Identities and admission.
    println!("[1/6] identities and admission");
    let anchor = create_anchor(&root, "regulator")?;
    configure_privacy(&anchor.dir.root)?;
    println!(
        "  regulator (anchor, trust root)  peer {}",
        anchor.key.public().peer_id()?
    );
    let mut member_dirs = Vec::new();
    for m in &members {
        let (d, key) = create_member(&root, &m.name, &anchor, &m.communities)?;
        configure_privacy(&d.root)?;
        println!(
            "  {:<14} admitted by the regulator to {{{}}}  peer {}",
            m.name,
            m.communities.join(", "),
            key.public().peer_id()?
        );
        member_dirs.push(DataDir::open(&d.root)?);
    }

    // 2. Start the processes.
    println!("\n[2/6] starting the nodes");
    let anchor_dir = DataDir::open(&anchor.dir.root)?;
    let mut procs = vec![start(
        "regulator",
        anchor_dir,
        None,
        &root.join("regulator.log"),
    )?];
    let boot = procs[0].p2p.clone();
    for (m, d) in members.iter().zip(member_dirs) {
        procs.push(start(
            &m.name,
            d,
            Some(&boot),
            &root.join(format!("{}.log", m.name)),
        )?);
    }
    for p in &procs {
        println!("  {:<14} api http://{}  p2p {}", p.name, p.api, p.p2p);
    }
    let result = drive(&procs, &members, t0).await;
    if opts.keep {
        println!("\nThe nodes keep running (--keep). API tokens are in each data directory:");
        for p in &procs {
            println!(
                "  {:<14} http://{}  token {}  (stop: kill {})",
                p.name,
                p.api,
                p.dir.load_token().unwrap_or_default(),
                p.child.id()
            );
        }
        // Detach: the children outlive this process.
        for p in procs {
            std::mem::forget(p);
        }
    } else {
        println!("\nstopping the nodes (SIGTERM: each signs a last checkpoint and flushes)");
        for p in procs.iter_mut() {
            p.terminate();
        }
        println!("data and logs kept in {}", root.display());
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn drive(procs: &[Proc], members: &[MemberPlan], t0: Instant) -> Result<()> {
    let clients: Vec<ApiClient> = procs
        .iter()
        .map(|p| ApiClient::for_datadir(&p.dir))
        .collect::<Result<_>>()?;
    // 3. Wait for the mesh: every member admitted by the anchor and knows its peers.
    println!(
        "\n[3/6] forming the network (admission exchange, Kademlia discovery, gossipsub mesh)"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut ready = true;
        for c in &clients {
            let s = get_json(c, "/api/v1/peers").await?;
            let admitted = s["peers"]
                .as_array()
                .map(|a| a.iter().filter(|p| p["admitted"] == true).count())
                .unwrap_or(0);
            if admitted < procs.len().min(3) - 1 {
                ready = false;
            }
        }
        if ready {
            break;
        }
        if Instant::now() > deadline {
            bail!("the network did not form within 30 s; see the logs");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (p, c) in procs.iter().zip(&clients) {
        let s = get_json(c, "/api/v1/peers").await?;
        let names: Vec<String> = s["peers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|p| p["admitted"] == true)
                    .map(|p| {
                        let n = p["name"].as_str().unwrap_or("?");
                        // A trust root's name is its log origin `<name>/<peer id>`.
                        n.split('/').next().unwrap_or(n).to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();
        println!("  {:<14} connected to {}", p.name, names.join(", "));
    }

    // 4. Publish.
    println!("\n[4/6] publishing (desensitize → differential privacy → sign → log → gossip)");
    let mut published: BTreeMap<String, u64> = BTreeMap::new();
    for (i, (m, c)) in members.iter().zip(&clients[1..]).enumerate() {
        for k in 0..2 {
            let (file, text) = SAMPLES[(i * 2 + k) % SAMPLES.len()];
            // External C2 indicators are safe for everyone: share them as TLP:CLEAR.
            let tlp = if file.starts_with("c2-") {
                "&tlp=clear"
            } else {
                ""
            };
            let path = format!("/api/v1/publish?community={}{tlp}", m.publish_to);
            let (status, body) = match c.post(&path, text.as_bytes().to_vec()).await? {
                Reach::Answered(x) => x,
                Reach::NotRunning => bail!("{} stopped", m.name),
            };
            let report: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if !status.is_success() && report["appended"].is_null() {
                bail!(
                    "{} could not publish {file}: {}",
                    m.name,
                    crate::client::describe_error(status, &body)
                );
            }
            let mut classes: BTreeMap<String, usize> = BTreeMap::new();
            for ch in report["changes"].as_array().into_iter().flatten() {
                let class = ch["class"].as_str().unwrap_or("other").to_string();
                *classes.entry(class).or_default() += 1;
            }
            let removed: Vec<String> = classes.iter().map(|(k, v)| format!("{k}×{v}")).collect();
            let withheld: Vec<String> = report["results"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["status"] == "rejected")
                .filter_map(|r| r["error"].as_str())
                .map(|e| {
                    e.trim_start_matches("dropped by desensitization: ")
                        .to_string()
                })
                .collect();
            println!(
                "  {:<14} {file:<24} → {}{}: {} signed and logged, {} withheld",
                m.name,
                m.publish_to,
                if tlp.is_empty() { "" } else { " (TLP:CLEAR)" },
                report["appended"],
                report["rejected"],
            );
            println!(
                "      removed or replaced: {}",
                if removed.is_empty() {
                    "nothing".to_string()
                } else {
                    removed.join(", ")
                }
            );
            if let Some(w) = withheld.first() {
                println!("      withheld, e.g.: {w}");
            }
        }
        let st = get_json(c, "/api/v1/ledger/status").await?;
        published.insert(m.name.clone(), st["size"].as_u64().unwrap_or(0));
    }

    // 5. Delivery.
    println!("\n[5/6] delivery: gossip, then anti-entropy sync against signed checkpoints");
    let deadline = Instant::now() + Duration::from_secs(60);
    let peer_of: BTreeMap<String, String> = procs
        .iter()
        .map(|p| (p.peer_id.clone(), p.name.clone()))
        .collect();
    loop {
        let mut done = true;
        for c in &clients {
            let s = get_json(c, "/api/v1/peers").await?;
            let logs = s["logs"].as_array().cloned().unwrap_or_default();
            for (name, size) in &published {
                if *size == 0 {
                    continue;
                }
                let peer = procs
                    .iter()
                    .find(|p| &p.name == name)
                    .map(|p| p.peer_id.clone());
                if peer.as_deref() == s["peer_id"].as_str() {
                    continue;
                }
                let ok = logs.iter().any(|l| {
                    l["peer_id"].as_str() == peer.as_deref()
                        && l["verified_size"].as_u64() == Some(*size)
                });
                if !ok {
                    done = false;
                }
            }
        }
        if done {
            break;
        }
        if Instant::now() > deadline {
            bail!("delivery did not complete within 60 s; see the logs");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (p, c) in procs.iter().zip(&clients) {
        let intel = get_json(c, "/api/v1/intel?limit=10000").await?;
        let mut by: BTreeMap<String, usize> = BTreeMap::new();
        for it in intel["items"].as_array().into_iter().flatten() {
            let from = peer_of
                .get(it["publisher_peer_id"].as_str().unwrap_or(""))
                .cloned()
                .unwrap_or_else(|| "?".into());
            *by.entry(format!(
                "{from} ({}/{})",
                it["tlp"].as_str().unwrap_or("?"),
                it["community"].as_str().unwrap_or("?")
            ))
            .or_default() += 1;
        }
        let status = get_json(c, "/api/v1/peers").await?;
        let mut held_hash_only = 0u64;
        for l in status["logs"].as_array().into_iter().flatten() {
            held_hash_only += l["verified_size"].as_u64().unwrap_or(0);
        }
        let full: usize = by.values().sum();
        println!(
            "  {:<14} holds {full} items it is eligible for, {} leaf hashes only (other communities' AMBER/GREEN: not eligible)",
            p.name,
            held_hash_only.saturating_sub(full as u64)
        );
        for (k, v) in &by {
            println!("      {v:>3} from {k}");
        }
    }

    // 6. Proofs.
    println!("\n[6/6] proofs: each received item is an entry of its publisher's signed log");
    for (p, c) in procs.iter().zip(&clients).skip(1) {
        let intel = get_json(c, "/api/v1/intel?limit=1").await?;
        let Some(it) = intel["items"].as_array().and_then(|a| a.first()).cloned() else {
            println!(
                "  {:<14} received no item it is eligible for (only leaf hashes): nothing to prove",
                p.name
            );
            continue;
        };
        let from = it["publisher_peer_id"].as_str().unwrap_or("");
        let Some(pi) = procs.iter().position(|q| q.peer_id == from) else {
            continue;
        };
        let index = it["ledger_index"].as_u64().unwrap_or(0);
        let pub_client = &clients[pi];
        let status = get_json(pub_client, "/api/v1/ledger/status").await?;
        let verifier =
            shoal_crypto::Verifier::parse(status["verifier_key"].as_str().unwrap_or(""))?;
        let proof_text = String::from_utf8(
            get_bytes(pub_client, &format!("/api/v1/ledger/proof/{index}")).await?,
        )?;
        let entry = get_bytes(pub_client, &format!("/api/v1/ledger/entries/{index}")).await?;
        let proof = shoal_crypto::TlogProof::parse(&proof_text)?;
        let cp = proof.verify(&entry, &verifier)?;
        let leaf = hex::encode(shoal_crypto::hash::leaf_hash(&entry));
        if Some(leaf.as_str()) != it["leaf_hash"].as_str() {
            bail!(
                "{}: received item differs from the publisher's entry",
                p.name
            );
        }
        println!(
            "  {:<14} item {}#{index}: tlog-proof verified against {}'s checkpoint of size {} ✓",
            p.name,
            short(from),
            procs[pi].name,
            cp.size
        );
    }
    for (p, c) in procs.iter().zip(&clients) {
        let (s, body) = match c.post("/api/v1/ledger/verify", Vec::new()).await? {
            Reach::Answered(x) => x,
            Reach::NotRunning => bail!("{} stopped", p.name),
        };
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        println!(
            "  {:<14} own ledger: {} entries, {} checkpoints re-verified {}",
            p.name,
            v["report"]["size"],
            v["report"]["checkpoints"],
            if s.is_success() { "✓" } else { "✗" }
        );
    }
    println!("\ndone in {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}
