//! `GET /api/v1/budget`: the privacy budget spent and remaining.

use std::sync::Arc;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use super::{ApiError, AppState};

/// Spent and remaining ε this epoch and over the node's lifetime, and when it renews.
pub async fn budget(State(st): State<Arc<AppState>>) -> Result<impl IntoResponse, ApiError> {
    let now = crate::daemon::unix_now();
    let status = st
        .publisher
        .privacy
        .accountant
        .status(now)
        .await
        .map_err(|_| ApiError::unavailable("the node is shutting down"))?;
    let b = st.publisher.privacy.budget;
    Ok(Json(json!({
        "epoch": status.epoch,
        "epoch_secs": b.epoch_secs,
        "epsilon_per_epoch": b.epsilon_per_epoch,
        "lifetime_epsilon": b.lifetime_epsilon,
        "epoch_spent": status.epoch_spent,
        "epoch_remaining": status.epoch_remaining,
        "lifetime_spent": status.lifetime_spent,
        "lifetime_remaining": status.lifetime_remaining,
        "renews_at_unix": status.renews_at_unix,
    })))
}
