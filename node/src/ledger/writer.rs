//! The ledger writer task: the only owner of [`Ledger`]. Publishers hand it jobs
//! through a bounded channel; it drains up to `batch_max` items, signs and logs them
//! on a blocking thread, makes the batch durable with one flush (group commit), then
//! answers every job. It also signs a checkpoint at most once per interval while the
//! log grows, and a last one at shutdown.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use super::{AppendRequest, ItemResult, Ledger, LedgerError};

/// Errors a publisher can get back from the writer.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    /// The writer has stopped (shutdown or a fatal store error).
    #[error("the ledger writer is not running")]
    Stopped,
    /// The batch could not be made durable; none of its items were acknowledged.
    #[error("storage failed, nothing was logged: {0}")]
    Storage(String),
}

struct Job {
    items: Vec<AppendRequest>,
    reply: oneshot::Sender<Result<Vec<ItemResult>, WriterError>>,
}

/// Cheap, clonable handle to submit items to the writer.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Job>,
}

impl WriterHandle {
    /// Log `items`; resolves once they are durable (or rejected).
    pub async fn append(&self, items: Vec<AppendRequest>) -> Result<Vec<ItemResult>, WriterError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job { items, reply })
            .await
            .map_err(|_| WriterError::Stopped)?;
        rx.await.map_err(|_| WriterError::Stopped)?
    }
}

/// Settings of the writer task.
#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Most items per durable batch.
    pub batch_max: usize,
    /// Capacity of the job queue.
    pub queue_capacity: usize,
    /// Minimum time between two checkpoints.
    pub checkpoint_interval: Duration,
}

/// Progress the writer publishes for readers (size and latest checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LedgerState {
    /// Committed entries.
    pub size: u64,
    /// Size of the latest checkpoint.
    pub checkpoint: Option<u64>,
    /// The writer stopped logging after a storage failure (see the node's log);
    /// `size` is then the last acknowledged size.
    pub stopped: bool,
}

/// Start the writer. It runs until `shutdown` becomes true (after signing a last
/// checkpoint) or every handle is dropped. Returns the handle, a state watch and the
/// task's join handle (its result is the ledger's last error, if any).
pub fn spawn(
    ledger: Ledger,
    cfg: WriterConfig,
    mut shutdown: watch::Receiver<bool>,
) -> (
    WriterHandle,
    watch::Receiver<LedgerState>,
    tokio::task::JoinHandle<Result<(), LedgerError>>,
) {
    let (tx, mut rx) = mpsc::channel::<Job>(cfg.queue_capacity.max(1));
    let (state_tx, state_rx) = watch::channel(LedgerState {
        size: ledger.size(),
        checkpoint: ledger.checkpoint_size(),
        stopped: false,
    });
    let task = tokio::spawn(async move {
        let mut ledger = Some(ledger);
        let mut ticker = tokio::time::interval(cfg.checkpoint_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let result = loop {
            tokio::select! {
                biased;
                _ = shutdown.changed() => break Ok(()),
                job = rx.recv() => {
                    let Some(first) = job else { break Ok(()) };
                    let mut jobs = vec![first];
                    let mut count = jobs.iter().map(|j| j.items.len()).sum::<usize>();
                    while count < cfg.batch_max {
                        match rx.try_recv() {
                            Ok(j) => { count += j.items.len(); jobs.push(j); }
                            Err(_) => break,
                        }
                    }
                    if let Err(e) = run_batch(&mut ledger, jobs).await {
                        tracing::error!(error = %e, "the ledger stopped logging; publishing is refused until the node restarts");
                        if let Some(l) = ledger.as_ref() {
                            let _ = state_tx.send(LedgerState {
                                size: l.size(),
                                checkpoint: l.checkpoint_size(),
                                stopped: true,
                            });
                        }
                        refuse_until_shutdown(&mut rx, &mut shutdown, &e).await;
                        break Err(e);
                    }
                }
                _ = ticker.tick() => {
                    if let Err(e) = run_checkpoint(&mut ledger).await {
                        break Err(e);
                    }
                }
            }
            if let Some(l) = ledger.as_ref() {
                let _ = state_tx.send(LedgerState {
                    size: l.size(),
                    checkpoint: l.checkpoint_size(),
                    stopped: false,
                });
            }
        };
        // Answer nothing more; sign a final checkpoint so every acknowledged item is
        // covered (not after a failure: the store may hold nothing more).
        rx.close();
        let last = match &result {
            Ok(()) => run_checkpoint(&mut ledger).await,
            Err(_) => Ok(()),
        };
        if let Some(l) = ledger.as_ref() {
            let _ = state_tx.send(LedgerState {
                size: l.size(),
                checkpoint: l.checkpoint_size(),
                stopped: result.is_err(),
            });
        }
        result.and(last)
    });
    (WriterHandle { tx }, state_rx, task)
}

/// After a fatal store error (a flush that failed: disk full, read-only or failing
/// disk) the writer logs nothing more: the store's state in memory may be ahead of
/// the disk, and only a restart re-reads what is durable. Until shutdown every job
/// gets the cause, so publishers answer a clear error instead of hanging.
async fn refuse_until_shutdown(
    rx: &mut mpsc::Receiver<Job>,
    shutdown: &mut watch::Receiver<bool>,
    cause: &LedgerError,
) {
    let reason = format!(
        "the ledger stopped logging after a storage failure ({cause}); \
         free space or fix the data directory, then restart the node"
    );
    loop {
        tokio::select! {
            biased;
            _ = shutdown.changed() => return,
            job = rx.recv() => match job {
                Some(job) => { let _ = job.reply.send(Err(WriterError::Storage(reason.clone()))); }
                None => return,
            },
        }
    }
}

/// Run `f` on the ledger on a blocking thread (signing, hashing and flushing block),
/// then put the ledger back. The outer error means the ledger itself is lost.
async fn on_blocking_thread<R: Send + 'static>(
    slot: &mut Option<Ledger>,
    f: impl FnOnce(&mut Ledger) -> R + Send + 'static,
) -> Result<R, LedgerError> {
    let Some(mut ledger) = slot.take() else {
        return Err(LedgerError::Inconsistent("writer lost its ledger".into()));
    };
    let joined = tokio::task::spawn_blocking(move || {
        let r = f(&mut ledger);
        (ledger, r)
    })
    .await;
    match joined {
        Ok((ledger, r)) => {
            *slot = Some(ledger);
            Ok(r)
        }
        Err(e) => Err(LedgerError::Inconsistent(format!(
            "writer thread failed: {e}"
        ))),
    }
}

async fn run_batch(slot: &mut Option<Ledger>, jobs: Vec<Job>) -> Result<(), LedgerError> {
    let mut items = Vec::new();
    let mut splits = Vec::with_capacity(jobs.len());
    let mut replies = Vec::with_capacity(jobs.len());
    for job in jobs {
        splits.push(job.items.len());
        items.extend(job.items);
        replies.push(job.reply);
    }
    match on_blocking_thread(slot, move |ledger| ledger.append_batch(items)).await? {
        Ok(results) => {
            let mut it = results.into_iter();
            for (n, reply) in splits.into_iter().zip(replies) {
                let part: Vec<ItemResult> = it.by_ref().take(n).collect();
                let _ = reply.send(Ok(part));
            }
            Ok(())
        }
        Err(e) => {
            tracing::error!(error = %e, "ledger batch failed; nothing in it was acknowledged");
            for reply in replies {
                let _ = reply.send(Err(WriterError::Storage(e.to_string())));
            }
            match e {
                // Nothing was applied: not fatal by itself (e.g. a full disk may be freed).
                LedgerError::Store(_) => Ok(()),
                fatal => Err(fatal),
            }
        }
    }
}

async fn run_checkpoint(slot: &mut Option<Ledger>) -> Result<(), LedgerError> {
    match on_blocking_thread(slot, Ledger::checkpoint).await? {
        Ok(Some(size)) => {
            tracing::debug!(size, "signed checkpoint");
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(LedgerError::Store(e)) => {
            tracing::error!(error = %e, "could not store checkpoint; will retry");
            Ok(())
        }
        Err(e) => Err(e),
    }
}
