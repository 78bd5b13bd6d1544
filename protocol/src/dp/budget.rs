//! The per-node privacy budget: an `ε` allowance per epoch (e.g. per day) plus a lifetime
//! cap. Pure logic — the node persists [`Spent`] and writes the new state durably before a
//! release leaves.
//!
//! Privacy unit: the same as the releases charged here (one internal host or event of the
//! member, with the member's sector and region). Guarantee: by basic composition, everything
//! a node releases in one epoch is at most `epsilon_per_epoch`-DP, and everything over its
//! lifetime at most `lifetime_epsilon`-DP, each up to [`EPSILON_TOLERANCE`]:
//!
//! * [`Spent::try_spend`] checks *before* anything is spent: an over-budget request leaves
//!   the state unchanged and reports what is left and when the epoch renews;
//! * every addition is rounded up (`next_up`), so the stored spend is never below the true
//!   sum of the charges however many there are, and a charge is accepted only if the new
//!   stored spend is within the limit plus [`EPSILON_TOLERANCE`] — the same tolerance in
//!   every comparison, so accumulated rounding cannot creep past it;
//! * the epoch is `now / epoch_secs`; a clock going backwards never returns to an earlier
//!   epoch (the stored epoch wins), so it cannot reset the epoch spend, and the lifetime
//!   spend never resets;
//! * invalid requests (`ε` negative, NaN or infinite) and invalid budgets (NaN limits) are
//!   refused.

use serde::{Deserialize, Serialize};

/// Absolute slack allowed on every budget comparison, so that `ε` values that add up to the
/// limit in exact arithmetic are not refused for floating-point rounding. The total spent
/// never exceeds a limit by more than this.
pub const EPSILON_TOLERANCE: f64 = 1e-9;

/// The node's budget (from configuration).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// `ε` allowed per epoch.
    pub epsilon_per_epoch: f64,
    /// `ε` allowed over the node's lifetime.
    pub lifetime_epsilon: f64,
    /// Epoch length in seconds (e.g. 86 400). 0 means one epoch that never renews.
    pub epoch_secs: u64,
}

/// What has been spent (persisted by the node).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Spent {
    /// The epoch `epoch_spent` belongs to.
    pub epoch: u64,
    /// `ε` spent in `epoch`.
    pub epoch_spent: f64,
    /// `ε` spent over the lifetime.
    pub lifetime_spent: f64,
}

/// The budget as seen at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Status {
    /// The current epoch.
    pub epoch: u64,
    /// `ε` spent in it.
    pub epoch_spent: f64,
    /// `ε` left in it (never negative).
    pub epoch_remaining: f64,
    /// `ε` spent over the lifetime.
    pub lifetime_spent: f64,
    /// `ε` left for the lifetime (never negative).
    pub lifetime_remaining: f64,
    /// Unix time the next epoch starts (`u64::MAX` if never).
    pub renews_at_unix: u64,
}

/// A charge the budget cannot take.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("privacy budget exhausted: needs ε={needed}, {epoch_remaining} left this epoch (renews at unix {renews_at_unix}), {lifetime_remaining} left for the node's lifetime")]
pub struct Exhausted {
    /// The `ε` asked for.
    pub needed: f64,
    /// `ε` left in the current epoch.
    pub epoch_remaining: f64,
    /// `ε` left for the lifetime.
    pub lifetime_remaining: f64,
    /// Unix time the next epoch starts.
    pub renews_at_unix: u64,
}

impl Budget {
    /// The epoch `now_unix` falls in.
    pub fn epoch_of(&self, now_unix: u64) -> u64 {
        now_unix.checked_div(self.epoch_secs).unwrap_or(0)
    }

    /// Unix time at which the epoch after `epoch` starts (`u64::MAX` if never).
    pub fn renews_at(&self, epoch: u64) -> u64 {
        if self.epoch_secs == 0 {
            return u64::MAX;
        }
        epoch.saturating_add(1).saturating_mul(self.epoch_secs)
    }
}

impl Spent {
    /// The state after spending `epsilon` at `now_unix`, or [`Exhausted`] (self unchanged).
    /// Rolls the epoch over when now is in a later epoch (epoch = now / epoch_secs). Time
    /// going backwards never reduces the spend.
    pub fn try_spend(
        &self,
        budget: &Budget,
        now_unix: u64,
        epsilon: f64,
    ) -> Result<Spent, Exhausted> {
        let current = self.current(budget, now_unix);
        let status = current.status_in_epoch(budget);
        let refuse = || Exhausted {
            needed: epsilon,
            epoch_remaining: status.epoch_remaining,
            lifetime_remaining: status.lifetime_remaining,
            renews_at_unix: status.renews_at_unix,
        };
        if !(epsilon.is_finite() && epsilon >= 0.0) {
            return Err(refuse());
        }
        let epoch_spent = add_up(current.epoch_spent, epsilon);
        let lifetime_spent = add_up(current.lifetime_spent, epsilon);
        let fits = |spent: f64, limit: f64| spent <= limit + EPSILON_TOLERANCE;
        if !(fits(epoch_spent, budget.epsilon_per_epoch)
            && fits(lifetime_spent, budget.lifetime_epsilon))
        {
            return Err(refuse());
        }
        Ok(Spent {
            epoch: current.epoch,
            epoch_spent,
            lifetime_spent,
        })
    }

    /// The budget's state at `now_unix`.
    pub fn status(&self, budget: &Budget, now_unix: u64) -> Status {
        self.current(budget, now_unix).status_in_epoch(budget)
    }

    /// This state moved to the epoch of `now_unix` (a later epoch starts empty; an earlier
    /// one is ignored).
    fn current(&self, budget: &Budget, now_unix: u64) -> Spent {
        let epoch = budget.epoch_of(now_unix);
        if epoch > self.epoch {
            Spent {
                epoch,
                epoch_spent: 0.0,
                lifetime_spent: self.lifetime_spent,
            }
        } else {
            *self
        }
    }

    fn status_in_epoch(&self, budget: &Budget) -> Status {
        Status {
            epoch: self.epoch,
            epoch_spent: self.epoch_spent,
            epoch_remaining: remaining(budget.epsilon_per_epoch, self.epoch_spent),
            lifetime_spent: self.lifetime_spent,
            lifetime_remaining: remaining(budget.lifetime_epsilon, self.lifetime_spent),
            renews_at_unix: budget.renews_at(self.epoch),
        }
    }
}

/// `a + b` rounded towards +∞ (never below the exact sum).
fn add_up(a: f64, b: f64) -> f64 {
    let sum = a + b;
    if b == 0.0 {
        sum
    } else {
        sum.next_up()
    }
}

/// What is left of `limit` after `spent`, never negative (0 for NaN states).
fn remaining(limit: f64, spent: f64) -> f64 {
    let left = limit - spent;
    if left > 0.0 {
        left
    } else {
        0.0
    }
}
