//! HTTP client of a running node's API, used by the CLI.

use anyhow::{anyhow, bail, Result};
use reqwest::StatusCode;

use crate::datadir::DataDir;

/// A client bound to one node.
pub struct ApiClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// Whether a daemon answered.
pub enum Reach<T> {
    /// The daemon answered.
    Answered(T),
    /// Nothing listens at the address.
    NotRunning,
}

impl ApiClient {
    /// A client for the daemon of `dir`.
    pub fn for_datadir(dir: &DataDir) -> Result<Self> {
        let addr = dir.api_addr();
        Ok(Self {
            base: format!("http://{addr}"),
            token: dir.load_token()?,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(300))
                .build()?,
        })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Reach<(StatusCode, Vec<u8>)>> {
        let resp = match req.bearer_auth(&self.token).send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() => return Ok(Reach::NotRunning),
            Err(e) => return Err(anyhow!("request to {} failed: {e}", self.base)),
        };
        let status = resp.status();
        let body = resp.bytes().await?.to_vec();
        Ok(Reach::Answered((status, body)))
    }

    /// GET `path`; non-2xx answers become errors carrying the API's message.
    pub async fn get(&self, path: &str) -> Result<Reach<Vec<u8>>> {
        let r = self
            .send(self.http.get(format!("{}{path}", self.base)))
            .await?;
        Self::ok(r)
    }

    /// GET `path`; returns status and body whatever the status.
    pub async fn get_raw(&self, path: &str) -> Result<Reach<(StatusCode, Vec<u8>)>> {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// POST `body` as JSON to `path`; returns status and body whatever the status.
    pub async fn post(&self, path: &str, body: Vec<u8>) -> Result<Reach<(StatusCode, Vec<u8>)>> {
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/json")
                .body(body),
        )
        .await
    }

    fn ok(r: Reach<(StatusCode, Vec<u8>)>) -> Result<Reach<Vec<u8>>> {
        match r {
            Reach::NotRunning => Ok(Reach::NotRunning),
            Reach::Answered((s, body)) if s.is_success() => Ok(Reach::Answered(body)),
            Reach::Answered((s, body)) => bail!("{}", describe_error(s, &body)),
        }
    }
}

/// Human-readable form of an API error answer.
pub fn describe_error(status: StatusCode, body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => {
            let err = v.get("error").and_then(|e| e.as_str()).unwrap_or("error");
            match v.get("detail") {
                Some(d) if !d.is_null() => format!("{status}: {err}: {d}"),
                _ => format!("{status}: {err}"),
            }
        }
        Err(_) => format!("{status}: {}", String::from_utf8_lossy(body)),
    }
}
