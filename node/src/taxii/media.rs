//! TAXII 2.1 media types (§1.6.8): what a client may `Accept` (406 otherwise) and what a
//! POST must be sent as (415 otherwise).

use axum::http::{header, HeaderMap};

use super::error::TaxiiError;

/// The TAXII media type of every answer.
pub const TAXII: &str = "application/taxii+json;version=2.1";
/// The STIX media type a collection holds.
pub const STIX: &str = "application/stix+json;version=2.1";

/// Whether one media range (`type/subtype;params`) accepts TAXII 2.1.
fn accepts(range: &str) -> bool {
    let mut parts = range.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("").to_ascii_lowercase();
    let params: Vec<String> = parts
        .map(|p| p.replace(' ', "").to_ascii_lowercase())
        .collect();
    let version_ok = params
        .iter()
        .filter(|p| p.starts_with("version="))
        .all(|p| p == "version=2.1");
    match essence.as_str() {
        "*/*" | "application/*" => true,
        "application/taxii+json" => version_ok,
        _ => false,
    }
}

/// Check the `Accept` header: absent or accepting TAXII 2.1, else 406.
pub fn check_accept(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Ok(());
    };
    let accept = accept.to_str().unwrap_or("");
    if accept.split(',').any(accepts) {
        Ok(())
    } else {
        Err(TaxiiError::new(
            axum::http::StatusCode::NOT_ACCEPTABLE,
            "Not acceptable",
            format!("this server answers in {TAXII}, not {accept:?}"),
        ))
    }
}

/// Check a POST's `Content-Type`: TAXII 2.1 (the version parameter may be omitted),
/// else 415.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), TaxiiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/taxii+json" && accepts(ct) {
        Ok(())
    } else {
        Err(TaxiiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            format!("objects must be posted as {TAXII}, not {ct:?}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(name: header::HeaderName, v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn accept_and_content_type() {
        assert!(check_accept(&HeaderMap::new()).is_ok());
        assert!(check_accept(&with(header::ACCEPT, TAXII)).is_ok());
        assert!(check_accept(&with(header::ACCEPT, "application/taxii+json; version=2.1")).is_ok());
        assert!(check_accept(&with(header::ACCEPT, "application/json, */*")).is_ok());
        assert!(check_accept(&with(header::ACCEPT, "application/taxii+json;version=2.0")).is_err());
        assert!(check_accept(&with(header::ACCEPT, "text/html")).is_err());
        assert!(check_content_type(&with(header::CONTENT_TYPE, TAXII)).is_ok());
        assert!(check_content_type(&with(header::CONTENT_TYPE, "application/taxii+json")).is_ok());
        assert!(check_content_type(&with(header::CONTENT_TYPE, "application/json")).is_err());
        assert!(check_content_type(&HeaderMap::new()).is_err());
    }
}
