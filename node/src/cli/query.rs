//! `shoal query`: search the intel this node received from other publishers, through
//! the running node's API (`GET /api/v1/intel`) or straight from the store when no
//! node is running. One line per item, or the API's JSON with `--json`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};

use crate::client::{ApiClient, Reach};
use crate::datadir::DataDir;
use crate::intel::{self, Query, QueryResult};

/// The filters as given on the command line.
pub(super) struct QueryArgs {
    pub kind: Option<String>,
    pub value: Option<String>,
    pub since: Option<String>,
    pub publisher: Option<String>,
    pub community: Option<String>,
    pub limit: usize,
    pub after: Option<String>,
    pub min_credibility: Option<f64>,
}

impl QueryArgs {
    /// The API's query parameters (absent filters left out).
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> = [
            ("type", &self.kind),
            ("value", &self.value),
            ("since", &self.since),
            ("publisher", &self.publisher),
            ("community", &self.community),
            ("after", &self.after),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect();
        if let Some(c) = self.min_credibility {
            p.push(("min_credibility", c.to_string()));
        }
        p.push(("limit", self.limit.to_string()));
        p
    }
}

pub(super) async fn run(root: &Path, args: QueryArgs, as_json: bool) -> Result<ExitCode> {
    let dir = DataDir::open(root)?;
    let params = args.params();
    // Check the filters here too, so mistakes are reported against the flag's name.
    let query = Query::from_params(params.iter().map(|(k, v)| (*k, v.as_str())))
        .map_err(|e| anyhow!("--{}: {}", e.param, e.reason))?;
    let store = dir.store_if_idle()?;
    let result = match store {
        Some(store) => {
            let max = dir.config.envelope.max_bytes;
            let cred = super::offline_credibility(&dir, &store)?;
            intel::run(&store, &query, max, &cred, crate::daemon::unix_now())?
        }
        None => online(&dir, &params).await?,
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print_lines(&result);
    }
    Ok(ExitCode::SUCCESS)
}

async fn online(dir: &DataDir, params: &[(&'static str, String)]) -> Result<QueryResult> {
    let client = ApiClient::for_datadir(dir)?;
    let mut url = reqwest::Url::parse("http://node/api/v1/intel")?;
    url.query_pairs_mut()
        .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
    let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    match client.get(&path).await? {
        Reach::Answered(body) => Ok(serde_json::from_slice(&body)?),
        // No store yet and no node: nothing has been received.
        Reach::NotRunning if !dir.store_path().exists() => Ok(QueryResult {
            count: 0,
            items: Vec::new(),
            next: None,
        }),
        Reach::NotRunning => bail!(
            "the store is locked but no node answers at {}; is another process using {}?",
            client.base(),
            dir.root.display()
        ),
    }
}

fn print_lines(result: &QueryResult) {
    let rows: Vec<[String; 6]> = result
        .items
        .iter()
        .map(|i| {
            [
                intel::format_time(i.published_at),
                i.object
                    .get("type")
                    .and_then(|t| t.as_str())
                    .unwrap_or("?")
                    .to_owned(),
                format!("{}/{}", i.tlp.as_str(), i.community),
                format!(
                    "{}#{}",
                    intel::short_peer_id(&i.publisher_peer_id),
                    i.ledger_index
                ),
                i.credibility
                    .as_ref()
                    .map(|c| format!("{:.2} {}", c.credibility, c.admiralty))
                    .unwrap_or_else(|| "   -   ".into()),
                intel::summary(&i.object),
            ]
        })
        .collect();
    let width = |c: usize| {
        rows.iter()
            .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
            .max()
            .unwrap_or(0)
    };
    let (w1, w2, w3) = (width(1), width(2), width(3));
    for [time, kind, tlp, who, cred, summary] in &rows {
        println!("{time}  {kind:w1$}  {tlp:w2$}  {who:w3$}  {cred}  {summary}");
    }
    if result.items.is_empty() {
        eprintln!("no matching items");
    }
    if let Some(next) = &result.next {
        eprintln!("more items match: repeat with --after {next}");
    }
}
