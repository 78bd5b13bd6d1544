//! TAXII authentication: HTTP Basic (any user name, the API token as password) or
//! Bearer (the API token), compared in constant time; 401 otherwise, with
//! `WWW-Authenticate`. The media-type check of `Accept` (406) runs here too, so every
//! TAXII route refuses unacceptable requests the same way.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;

use super::error::TaxiiError;
use crate::api::AppState;

/// The token a request presents, if any.
fn presented(req: &Request) -> Option<String> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    if let Some(t) = value.strip_prefix("Bearer ") {
        return Some(t.trim().to_owned());
    }
    let encoded = value.strip_prefix("Basic ")?.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_owned())
}

/// The middleware.
pub async fn authenticate(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Result<Response, TaxiiError> {
    match presented(&req) {
        Some(t) if crate::api::ct_eq(t.as_bytes(), state.token.as_bytes()) => {}
        Some(_) => return Err(TaxiiError::unauthorized("the credentials are wrong")),
        None => {
            return Err(TaxiiError::unauthorized(
                "authenticate with HTTP Basic (any user name, the node's API token as password) or a Bearer token",
            ))
        }
    }
    super::media::check_accept(req.headers())?;
    Ok(next.run(req).await)
}
