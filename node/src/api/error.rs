//! The API's error type and its JSON body `{"error": "...", "detail": ...}`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::ledger::reader::ReadError;

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: String,
    detail: Value,
}

impl ApiError {
    /// Its status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Its message.
    pub fn message(&self) -> &str {
        &self.error
    }

    /// An error with a status, a short message and structured detail.
    pub fn new(status: StatusCode, error: impl Into<String>, detail: Value) -> Self {
        Self {
            status,
            error: error.into(),
            detail,
        }
    }
    /// 400 Bad Request.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, msg, Value::Null)
    }
    /// 401 Unauthorized.
    pub fn unauthorized(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, msg, Value::Null)
    }
    /// 404 Not Found.
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, msg, Value::Null)
    }
    /// 500 Internal Server Error (details go to the log, not the client).
    pub fn internal(msg: impl std::fmt::Display) -> Self {
        tracing::error!(error = %msg, "internal error answering an API request");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the node's log",
            Value::Null,
        )
    }
    /// 503 Service Unavailable: the data directory refused I/O (full, read-only or
    /// failing disk). The store cannot be trusted to answer until a restart.
    pub fn disk_failed(e: &crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "the data directory refused I/O");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the data directory failed; fix the disk and restart the node",
            Value::String(e.to_string()),
        )
    }
    /// 503 Service Unavailable.
    pub fn unavailable(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, msg, Value::Null)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(json!({ "error": self.error, "detail": self.detail })),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"shoal\""),
            );
        }
        resp
    }
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::NotFound(m) => ApiError::not_found(m),
            ReadError::BadRequest(m) => ApiError::bad_request(m),
            ReadError::Ledger(crate::ledger::LedgerError::Store(e)) if e.is_io() => {
                ApiError::disk_failed(&e)
            }
            ReadError::Ledger(e) => ApiError::internal(e),
        }
    }
}

/// Fallback for unknown paths.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

/// Fallback for a known path with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this endpoint",
        Value::Null,
    )
}

/// Parse a decimal u64 path or query parameter with a precise error.
pub fn parse_u64(name: &str, value: &str) -> Result<u64, ApiError> {
    value.parse::<u64>().map_err(|_| {
        ApiError::bad_request(format!(
            "`{name}` must be a non-negative integer, got {value:?}"
        ))
    })
}
