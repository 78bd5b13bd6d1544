//! `GET /api/v1/peers`: the peer network's status snapshot ([`crate::net::NetStatus`]):
//! own peer id and admission, listen addresses, NAT and relays, connected peers,
//! offence counters and replicated logs.

use std::sync::Arc;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;

use super::AppState;

/// `GET /api/v1/peers` → the [`crate::net::NetStatus`] JSON.
pub async fn peers(State(st): State<Arc<AppState>>) -> impl IntoResponse {
    Json(st.net.status())
}
