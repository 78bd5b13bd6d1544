//! The privacy accountant: one dedicated thread (OpenDP's measurements are neither
//! `Send` nor `Sync`) behind a bounded channel. It is the only place that spends the
//! privacy budget: for each object it plans the release, checks the budget *before*
//! any measurement runs, writes the new spend durably, and only then draws the noise.
//! Requests are served one at a time, so concurrent publishes cannot overspend, and
//! the spend is read back from the store at start, so a restart never resets it.

use shoal_protocol::dp::budget::{Budget, Exhausted, Spent, Status};
use shoal_protocol::dp::{self, DpParams, PrivacyReceipt};
use shoal_protocol::StixObject;
use tokio::sync::{mpsc, oneshot};

use crate::store::{Store, StoreError};

/// A privatized object ready to be signed.
#[derive(Debug, Clone)]
pub struct Released {
    /// The privatized object.
    pub object: StixObject,
    /// Its privacy receipt.
    pub receipt: PrivacyReceipt,
}

/// Why one object was not released.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReleaseError {
    /// Not enough budget left; nothing was spent.
    #[error(transparent)]
    Exhausted(#[from] Exhausted),
    /// The object cannot be privatized (e.g. a count that is not an integer).
    #[error("differential privacy: {0}")]
    Dp(String),
    /// The spend could not be recorded durably, so nothing was released.
    #[error("could not record the privacy spend: {0}")]
    Storage(String),
}

/// Errors of talking to the accountant.
#[derive(Debug, thiserror::Error)]
pub enum AccountantError {
    /// The accountant thread has stopped.
    #[error("the privacy accountant is not running")]
    Stopped,
}

enum Request {
    Release {
        objects: Vec<StixObject>,
        now_unix: u64,
        spend: bool,
        reply: oneshot::Sender<Vec<Result<Released, ReleaseError>>>,
    },
    Status {
        now_unix: u64,
        reply: oneshot::Sender<Status>,
    },
}

/// Clonable handle to the accountant thread.
#[derive(Clone)]
pub struct AccountantHandle {
    tx: mpsc::Sender<Request>,
}

impl AccountantHandle {
    /// Privatize `objects` in order. With `spend`, each object's ε is charged (durably)
    /// before its noise is drawn; without it (dry runs) nothing is charged.
    pub async fn release(
        &self,
        objects: Vec<StixObject>,
        now_unix: u64,
        spend: bool,
    ) -> Result<Vec<Result<Released, ReleaseError>>, AccountantError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Release {
                objects,
                now_unix,
                spend,
                reply,
            })
            .await
            .map_err(|_| AccountantError::Stopped)?;
        rx.await.map_err(|_| AccountantError::Stopped)
    }

    /// The budget's state.
    pub async fn status(&self, now_unix: u64) -> Result<Status, AccountantError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Status { now_unix, reply })
            .await
            .map_err(|_| AccountantError::Stopped)?;
        rx.await.map_err(|_| AccountantError::Stopped)
    }
}

/// Start the accountant thread. It stops when every handle is dropped.
pub fn spawn(
    store: Store,
    budget: Budget,
    params: DpParams,
    queue: usize,
) -> Result<AccountantHandle, StoreError> {
    let mut spent = store.privacy_spent()?.unwrap_or_default();
    let (tx, mut rx) = mpsc::channel::<Request>(queue.max(1));
    std::thread::Builder::new()
        .name("privacy-accountant".into())
        .spawn(move || {
            while let Some(req) = rx.blocking_recv() {
                match req {
                    Request::Status { now_unix, reply } => {
                        let _ = reply.send(spent.status(&budget, now_unix));
                    }
                    Request::Release {
                        objects,
                        now_unix,
                        spend,
                        reply,
                    } => {
                        let results = objects
                            .into_iter()
                            .map(|obj| {
                                release_one(
                                    &store, &budget, &params, &mut spent, obj, now_unix, spend,
                                )
                            })
                            .collect();
                        let _ = reply.send(results);
                    }
                }
            }
        })
        .map_err(|e| StoreError::Corrupt(format!("cannot start the accountant thread: {e}")))?;
    Ok(AccountantHandle { tx })
}

fn release_one(
    store: &Store,
    budget: &Budget,
    params: &DpParams,
    spent: &mut Spent,
    obj: StixObject,
    now_unix: u64,
    spend: bool,
) -> Result<Released, ReleaseError> {
    // The plan's ε is checked against the budget and the spend written durably before
    // any noise is drawn; a refusal measures nothing.
    let charge = |plan: &dp::Plan| -> Result<(), ReleaseError> {
        if !spend || plan.epsilon <= 0.0 {
            return Ok(());
        }
        let next = spent.try_spend(budget, now_unix, plan.epsilon)?;
        store
            .set_privacy_spent(&next)
            .map_err(|e| ReleaseError::Storage(e.to_string()))?;
        *spent = next;
        tracing::debug!(
            epsilon = plan.epsilon,
            epoch_spent = next.epoch_spent,
            lifetime_spent = next.lifetime_spent,
            "privacy budget charged"
        );
        Ok(())
    };
    match dp::release_with(obj, params, charge) {
        Ok((_, object, receipt)) => Ok(Released { object, receipt }),
        Err(dp::ReleaseFailure::Refused(e)) => Err(e),
        Err(dp::ReleaseFailure::Dp(e)) => Err(ReleaseError::Dp(e.to_string())),
    }
}
