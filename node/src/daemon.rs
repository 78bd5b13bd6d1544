//! `shoal node`: open the store and ledger, start the ledger writer and the HTTP
//! API, and shut everything down cleanly on SIGTERM or Ctrl-C (last checkpoint
//! signed, store flushed).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use shoal_protocol::Tlp;
use tokio::sync::watch;

use crate::api::{self, AppState};
use crate::datadir::DataDir;
use crate::ledger::reader::LedgerReader;
use crate::ledger::writer::{self, WriterConfig};
use crate::ledger::Ledger;
use crate::net;
use crate::privacy::{self, PrivacyEngine};
use crate::publish::Publisher;
use crate::store::Store;

/// Per-run overrides from the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--api-listen`.
    pub api_listen: Option<String>,
    /// `--p2p-listen` (repeatable).
    pub p2p_listen: Vec<String>,
    /// `--bootstrap` (repeatable).
    pub bootstrap: Vec<String>,
}

/// Seconds since the Unix epoch (0 if the clock is before 1970).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Load (creating missing key files) the privacy engine of `dir` and start its
/// accountant thread.
pub fn privacy_engine(
    dir: &DataDir,
    store: &Store,
    key: &shoal_crypto::NodeKey,
) -> Result<PrivacyEngine> {
    let cfg = &dir.config.privacy;
    let cp_path = dir.root.join(&cfg.desensitize.cryptopan_key_file);
    let ps_path = dir.root.join(&cfg.desensitize.pseudonym_key_file);
    for p in [&cp_path, &ps_path] {
        if privacy::keys::ensure_key_file(p)? {
            tracing::info!(path = %p.display(), "created a missing privacy key file");
        }
    }
    let dp = privacy::settings::dp_params(cfg)?;
    let budget = privacy::settings::budget(cfg)?;
    let accountant = privacy::accountant::spawn(store.clone(), budget, dp.clone(), 64)?;
    Ok(PrivacyEngine::new(
        privacy::settings::policy(cfg, &key.public())?,
        privacy::keys::load_cryptopan(&cp_path)?,
        privacy::keys::load_pseudonym_secret(&ps_path)?,
        privacy::settings::pseudonym_epoch_secs(cfg)?,
        dp,
        budget,
        accountant,
    ))
}

/// The witness settings of `[provenance]`: our own witness identity (anchors by
/// default) named after the log origin, and the trusted witnesses with the k-of-n policy.
fn witnessing(
    cfg: &shoal_config::Config,
    key: &shoal_crypto::NodeKey,
) -> Result<net::witness::Witnessing> {
    use shoal_crypto::cosignature::{Witness, WitnessPolicy, WitnessVerifier};
    let pv = &cfg.provenance;
    let witness = if pv
        .witness
        .unwrap_or(cfg.node.role == shoal_config::Role::Anchor)
    {
        let origin = crate::ledger::origin(&cfg.node.name, key)?;
        Some(
            Witness::new(&origin, key.clone())
                .map_err(|e| anyhow::anyhow!("witness identity: {e}"))?,
        )
    } else {
        None
    };
    let trusted = pv
        .witnesses
        .iter()
        .enumerate()
        .map(|(i, v)| {
            WitnessVerifier::parse(v)
                .map_err(|e| anyhow::anyhow!("`provenance.witnesses[{i}]`: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let policy = if pv.min_witnesses > 0 {
        Some(
            WitnessPolicy::new(trusted.clone(), pv.min_witnesses)
                .map_err(|e| anyhow::anyhow!("`[provenance]`: {e}"))?,
        )
    } else {
        None
    };
    Ok(net::witness::Witnessing {
        witness,
        policy,
        trusted,
        ..Default::default()
    })
}

/// How often the trust vector is recomputed when evidence changed.
const CREDIBILITY_INTERVAL: Duration = Duration::from_secs(2);

/// Take the envelopes accepted in as evidence every
/// [`crate::credibility::TAKE_IN_INTERVAL`], and recompute trust from the evidence every
/// [`CREDIBILITY_INTERVAL`] (both on a blocking thread), until shutdown.
async fn recompute_credibility(
    credibility: Arc<crate::credibility::Credibility>,
    store: Store,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(CREDIBILITY_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut take_in = tokio::time::interval(crate::credibility::TAKE_IN_INTERVAL);
    take_in.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = take_in.tick() => {
                if credibility.has_pending() {
                    let c = credibility.clone();
                    if let Err(e) = tokio::task::spawn_blocking(move || c.take_in_pending()).await {
                        tracing::error!(error = %e, "taking evidence in failed");
                    }
                }
            }
            _ = tick.tick() => {
                let (c, s) = (credibility.clone(), store.clone());
                match tokio::task::spawn_blocking(move || c.recompute(&s)).await {
                    Ok(Ok(true)) => tracing::debug!(summary = ?credibility.summary(), "trust recomputed"),
                    Ok(Ok(false)) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "cannot recompute trust"),
                    Err(e) => tracing::error!(error = %e, "trust computation failed"),
                }
            }
        }
    }
}

/// Run the daemon until a shutdown signal.
pub async fn run(mut dir: DataDir, overrides: Overrides) -> Result<()> {
    if let Some(a) = overrides.api_listen {
        dir.config.api.listen = a;
    }
    if !overrides.p2p_listen.is_empty() {
        dir.config.network.listen = overrides.p2p_listen;
    }
    if !overrides.bootstrap.is_empty() {
        dir.config.network.bootstrap = overrides.bootstrap;
    }
    dir.config
        .validate()
        .map_err(|(k, p)| anyhow::anyhow!("`{k}` {p} (from the command line)"))?;
    let cfg = dir.config.clone();
    let key = dir.load_key()?;
    let token = dir.load_token()?;
    let store = Store::open(&dir.store_path(), cfg.ledger.cache_mb).map_err(|e| {
        if e.is_io() {
            anyhow::anyhow!(
                "cannot open the store in {} ({e}); the node needs a writable data \
                 directory with free space",
                dir.store_path().display()
            )
        } else {
            anyhow::Error::new(e)
        }
    })?;
    let ledger = tokio::task::spawn_blocking({
        let store = store.clone();
        let key = key.clone();
        let name = cfg.node.name.clone();
        let max = cfg.envelope.max_bytes;
        move || -> Result<Ledger> {
            let mut l = Ledger::open(store, key, &name, max)?;
            l.checkpoint()?;
            Ok(l)
        }
    })
    .await??;
    let indexed = tokio::task::spawn_blocking({
        let store = store.clone();
        let max = cfg.envelope.max_bytes;
        move || store.ensure_collection_index(max)
    })
    .await??;
    if indexed > 0 {
        tracing::info!(
            objects = indexed,
            "indexed received intel for the TAXII collections"
        );
    }
    let verifier = ledger.verifier()?;
    tracing::info!(
        origin = ledger.origin(),
        size = ledger.size(),
        role = %cfg.node.role,
        "ledger opened"
    );
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (writer, ledger_state, writer_task) = writer::spawn(
        ledger,
        WriterConfig {
            batch_max: cfg.ledger.batch_max,
            queue_capacity: cfg.ledger.queue_capacity,
            checkpoint_interval: Duration::from_millis(cfg.ledger.checkpoint_interval_ms),
        },
        shutdown_rx.clone(),
    );
    let default_tlp: Tlp = cfg
        .publish
        .default_tlp
        .parse()
        .map_err(|_| anyhow::anyhow!("`publish.default_tlp` is not a TLP level"))?;
    let privacy = Arc::new(privacy_engine(&dir, &store, &key)?);
    let is_anchor = cfg.node.role == shoal_config::Role::Anchor;
    // Read once: the credibility service, the network and the advisories all use them.
    let roots = crate::credibility::roots(&cfg)?;
    let own_chain = dir.admission_chain()?;
    let credibility = tokio::task::spawn_blocking({
        let (store, roots, own_chain) = (store.clone(), roots.clone(), own_chain.clone());
        let max = cfg.envelope.max_bytes;
        move || crate::credibility::Credibility::load(&store, roots, Some(own_chain), max)
    })
    .await??;
    let credibility_task = tokio::spawn(recompute_credibility(
        credibility.clone(),
        store.clone(),
        shutdown_rx.clone(),
    ));
    let (net, net_task) = if cfg.network.enabled {
        let (h, t) = net::spawn(net::NetParams {
            cfg: cfg.network.clone(),
            role: cfg.node.role,
            name: cfg.node.name.clone(),
            key: key.clone(),
            store: store.clone(),
            max_envelope_bytes: cfg.envelope.max_bytes,
            ledger_state: ledger_state.clone(),
            own_chain: own_chain.clone(),
            shutdown: shutdown_rx.clone(),
            witnessing: witnessing(&cfg, &key)?,
            credibility: credibility.clone(),
        })
        .await?;
        (h, Some(t))
    } else {
        (net::NetHandle::disabled(), None)
    };
    let witness_policy = witnessing(&cfg, &key)?.policy;
    let metrics = Arc::new(crate::metrics::Metrics::new());
    metrics.checkpoint_advanced(crate::net::now_ms());
    tokio::spawn({
        let metrics = metrics.clone();
        let mut state = ledger_state.clone();
        async move {
            let mut last = state.borrow().checkpoint;
            while state.changed().await.is_ok() {
                let now = state.borrow().checkpoint;
                if now != last {
                    last = now;
                    metrics.checkpoint_advanced(crate::net::now_ms());
                }
            }
        }
    });
    let situation = tokio::task::spawn_blocking({
        let (root, cfg, store) = (dir.root.clone(), cfg.clone(), store.clone());
        let (own, credibility) = (key.public(), credibility.clone());
        move || -> Result<Arc<crate::situation::Situations>> {
            let s = crate::situation::Situations::for_config(&root, &cfg, store, own, credibility)?;
            Ok(Arc::new(s))
        }
    })
    .await??;
    // An anchor (whose operators watch the aggregate situation) gathers what the store
    // holds in the background, so the first view answers from memory without delaying
    // the start (a view asked for meanwhile waits for it). A member gathers on the first
    // view: the facts take about 1.2 KB per item held, memory a member that never opens
    // the view should not pay.
    if is_anchor {
        tokio::task::spawn_blocking({
            let s = situation.clone();
            move || {
                if let Err(e) = s.refresh(unix_now()) {
                    tracing::warn!(error = %e, "situation: gathering the held items failed");
                }
            }
        });
    }
    let advisories = Arc::new(crate::advisory::Advisories::new(
        store.clone(),
        crate::advisory::Identity {
            key: key.public(),
            anchor: is_anchor,
            sector: cfg.privacy.dp.member_sector.clone(),
            region: cfg.privacy.dp.member_region.clone(),
            roots,
            own_chain,
        },
        cfg.envelope.max_bytes,
    ));
    // Builds the advisory index from the store, then reminds of overdue advisories.
    let advisories_task = tokio::spawn(crate::advisory::reminders::run(
        advisories.clone(),
        metrics.clone(),
        net.clone(),
        shutdown_rx.clone(),
    ));
    let state = Arc::new(AppState {
        advisories,
        situation,
        witness_policy,
        credibility: credibility.clone(),
        max_body_bytes: cfg.api.max_body_bytes,
        taxii: crate::taxii::TaxiiState::default(),
        metrics: metrics.clone(),
        reader: LedgerReader::new(store.clone(), verifier),
        store: store.clone(),
        publisher: Publisher {
            writer,
            store: store.clone(),
            privacy,
        },
        ledger_state,
        public_key: key.public(),
        token,
        community: cfg.publish.community.clone(),
        net: net.clone(),
        default_tlp,
        time_granularity_secs: cfg.envelope.time_granularity_secs,
        max_envelope_bytes: cfg.envelope.max_bytes,
    });
    let app = api::router(
        state,
        cfg.api.max_body_bytes,
        cfg.api.max_concurrent_requests,
    );
    let listener = tokio::net::TcpListener::bind(&cfg.api.listen)
        .await
        .with_context(|| format!("cannot listen on {} (api.listen)", cfg.api.listen))?;
    let bound = listener.local_addr()?;
    std::fs::write(dir.api_addr_path(), format!("{bound}\n"))
        .with_context(|| format!("writing {}", dir.api_addr_path().display()))?;
    // Wait briefly for the listeners so that the readiness line can name them.
    let mut p2p = Vec::new();
    for _ in 0..50 {
        p2p = net.status().listen_addrs;
        if !cfg.network.enabled || cfg.network.listen.is_empty() || !p2p.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let peer_id = key.public().peer_id()?;
    std::fs::write(
        dir.root.join("p2p.addr"),
        p2p.iter()
            .map(|a| format!("{a}/p2p/{peer_id}\n"))
            .collect::<String>(),
    )
    .with_context(|| "writing p2p.addr")?;
    tracing::info!(api = %bound, p2p = ?p2p, "node ready");
    // A machine-readable readiness line for scripts and tests.
    println!(
        "shoal node ready api={bound} peer={peer_id} p2p={}",
        p2p.first()
            .map(|a| format!("{a}/p2p/{peer_id}"))
            .unwrap_or_default()
    );

    let serve = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal());
    let served = serve.await;
    tracing::info!("shutting down: signing a last checkpoint and flushing the store");
    let _ = shutdown_tx.send(true);
    if let Some(t) = net_task {
        match t.await {
            Ok(Err(e)) => tracing::error!(error = %e, "peer network failed"),
            Err(e) => tracing::error!(error = %e, "peer network panicked"),
            Ok(Ok(())) => {}
        }
    }
    let _ = credibility_task.await;
    let _ = advisories_task.await;
    let writer_result = writer_task.await;
    let _ = std::fs::remove_file(dir.api_addr_path());
    tokio::task::spawn_blocking(move || store.flush()).await??;
    served.context("HTTP server failed")?;
    match writer_result {
        Ok(r) => r.context("ledger writer failed")?,
        Err(e) => anyhow::bail!("ledger writer panicked: {e}"),
    }
    tracing::info!("stopped cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
