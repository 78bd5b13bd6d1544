//! The `/situation` web page: one HTML file, its script and its stylesheet, embedded in
//! the binary (no CDN, no external requests). Served without a token: the page holds no
//! data; it reads the API token from the URL fragment (`/situation#token=...`) or a login
//! form, keeps it in `sessionStorage` and calls the JSON API with `Authorization:
//! Bearer`. A strict Content-Security-Policy allows only the node itself.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const HTML: &str = include_str!("page.html");
const JS: &str = include_str!("page.js");
const CSS: &str = include_str!("page.css");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The page's routes (stateless, unauthenticated).
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/situation", get(html))
        .route("/situation/", get(html))
        .route("/situation/app.js", get(js))
        .route("/situation/app.css", get(css))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

async fn html() -> Response {
    asset("text/html; charset=utf-8", HTML)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}
