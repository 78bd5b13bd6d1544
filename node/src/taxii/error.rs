//! TAXII 2.1 error messages (§3.6.1): every failure answers with an error object —
//! `title`, `description`, `http_status` (as a string, as the spec's examples have it) —
//! in `application/taxii+json;version=2.1`, with the status code it names.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::media::TAXII;

/// A TAXII error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxiiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Short title.
    pub title: String,
    /// What went wrong, for a human.
    pub description: String,
}

impl TaxiiError {
    /// An error with `status`.
    pub fn new(status: StatusCode, title: &str, description: impl Into<String>) -> Self {
        Self {
            status,
            title: title.to_owned(),
            description: description.into(),
        }
    }
    /// 400.
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", description)
    }
    /// 401.
    pub fn unauthorized(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", description)
    }
    /// 403.
    pub fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", description)
    }
    /// 404.
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", description)
    }
    /// 500.
    pub fn internal(description: impl std::fmt::Display) -> Self {
        tracing::error!(error = %description, "TAXII request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the node could not answer; see its log",
        )
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        let mut r = (self.status, body.to_string()).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII));
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"shoal\", Bearer"),
            );
        }
        r
    }
}
