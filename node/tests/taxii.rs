//! The TAXII 2.1 server against real daemons on loopback: a member posts a TAXII
//! envelope to its outbox (published through the full pipeline, status per object),
//! another reads it from its network collection (provenance and credibility in the
//! extension), with every filter, paging with `more`/`next` and the date-added headers,
//! manifest, versions, object by id, status, and every error path (400, 401, 403, 404,
//! 405, 406, 413, 415, 422).

mod common;

use common::indicator;
use common::net::{intel, wait_until, Net};
use serde_json::{json, Value};

const TAXII: &str = "application/taxii+json;version=2.1";
const OUTBOX: &str = "087fd608-8960-4b58-89b0-91dcc9db376c";
const NETWORK: &str = "a50ebc3e-9d00-44ba-835a-abc5f6e1bcf0";

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    fn of(api: &common::Api) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: api.base.clone(),
            token: api.token.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .basic_auth("any-user", Some(&self.token))
            .header("accept", TAXII)
            .send()
            .await
            .unwrap()
    }

    async fn json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert_eq!(
            r.headers()["content-type"].to_str().unwrap(),
            TAXII,
            "{path}"
        );
        r.json().await.unwrap()
    }

    async fn post(&self, path: &str, body: &Value, content_type: &str) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .header("accept", TAXII)
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }
}

fn objects_path(collection: &str) -> String {
    format!("/taxii2/shoal/collections/{collection}/objects/")
}

async fn error(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(r.headers()["content-type"].to_str().unwrap(), TAXII);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["http_status"], status.to_string(), "{v}");
    assert!(
        v["title"].is_string() && v["description"].is_string(),
        "{v}"
    );
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taxii_outbox_to_network_collection_with_filters_paging_and_errors() {
    let mut net = Net::create(&[("m1", &["energy"]), ("m2", &["energy"])]);
    net.start_all(1).await;
    let (m1, m2) = (net.members[0].api(), net.members[1].api());
    let (c1, c2) = (Client::of(&m1), Client::of(&m2));

    // Discovery, API root, collections.
    let d = c1.json("/taxii2/").await;
    assert!(
        d["default"].as_str().unwrap().ends_with("/taxii2/shoal/"),
        "{d}"
    );
    let root = c1.json("/taxii2/shoal/").await;
    assert_eq!(root["versions"][0], TAXII);
    assert!(root["max_content_length"].as_u64().unwrap() > 0);
    let cols = c1.json("/taxii2/shoal/collections/").await;
    let titles: Vec<&str> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"outbox") && titles.contains(&"network"),
        "{cols}"
    );
    assert!(titles.contains(&"network-energy"), "{cols}");
    let outbox = c1
        .json(&format!("/taxii2/shoal/collections/{OUTBOX}/"))
        .await;
    assert_eq!(
        (outbox["can_read"].clone(), outbox["can_write"].clone()),
        (json!(false), json!(true))
    );

    // m1 posts 7 indicators and one invalid object to its outbox.
    let mut objects: Vec<Value> = (0..7).map(|n| indicator(n, 31)).collect();
    objects
        .push(json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--not-a-uuid"}));
    let r = c1
        .post(&objects_path(OUTBOX), &json!({ "objects": objects }), TAXII)
        .await;
    assert_eq!(r.status().as_u16(), 202);
    let status: Value = r.json().await.unwrap();
    assert_eq!(status["status"], "complete");
    assert_eq!(status["total_count"], 8);
    assert_eq!(status["success_count"], 7, "{status}");
    assert_eq!(status["failure_count"], 1);
    assert!(status["failures"][0]["message"].as_str().unwrap().len() > 5);
    let again = c1
        .json(&format!(
            "/taxii2/shoal/status/{}/",
            status["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(again, status);

    // m2 receives them; its network collection serves them with provenance.
    let publisher = net.members[0].peer_id.clone();
    wait_until(15, "m2 holds m1's items, verified", || async {
        intel(&m2, &format!("publisher={publisher}")).await.len() == 7
            && common::net::verified_size(&m2, &publisher).await == 7
    })
    .await;
    let all = c2.json(&objects_path(NETWORK)).await;
    let objs = all["objects"].as_array().unwrap();
    assert_eq!(
        objs.len(),
        9,
        "two definition objects + 7 indicators: {all}"
    );
    assert_eq!(objs[0]["type"], "identity");
    assert_eq!(objs[1]["type"], "extension-definition");
    let ext_id = shoal_protocol::stix::provenance::EXTENSION_ID;
    for o in &objs[2..] {
        let ext = &o["extensions"][ext_id];
        assert_eq!(ext["publisher_peer_id"], publisher.as_str(), "{o}");
        assert!(ext["tlog_proof"]
            .as_str()
            .unwrap()
            .starts_with("c2sp.org/tlog-proof@v1"));
        assert!(o["confidence"].as_u64().is_some(), "{o}");
        // Every served object verifies offline with only the publisher's key.
        shoal_protocol::stix::provenance::extract(o, 1 << 20).unwrap();
    }
    assert_eq!(all["more"], false);

    // Paging: 3 per page, following `next`, with the date-added headers.
    let mut seen = Vec::new();
    let mut path = format!("{}?limit=3", objects_path(NETWORK));
    let mut pages = 0;
    loop {
        let r = c2.get(&path).await;
        assert_eq!(r.status().as_u16(), 200);
        let first = r.headers()["x-taxii-date-added-first"]
            .to_str()
            .unwrap()
            .to_owned();
        let last = r.headers()["x-taxii-date-added-last"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(first <= last);
        let v: Value = r.json().await.unwrap();
        let page = v["objects"].as_array().unwrap();
        assert!(page.len() <= 3);
        seen.extend(page.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        pages += 1;
        if v["more"] == false {
            assert!(v.get("next").is_none());
            break;
        }
        path = format!(
            "{}?limit=3&next={}",
            objects_path(NETWORK),
            v["next"].as_str().unwrap()
        );
    }
    assert_eq!(pages, 3);
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (9, 9), "{seen:?}");

    // Filters.
    let only = |v: &Value| v["objects"].as_array().map_or(0, Vec::len);
    let ind = c2
        .json(&format!("{}?match[type]=indicator", objects_path(NETWORK)))
        .await;
    assert_eq!(only(&ind), 7);
    let id3 = objs[5]["id"].as_str().unwrap().to_owned();
    let by_id = c2
        .json(&format!("{}?match[id]={id3}", objects_path(NETWORK)))
        .await;
    assert_eq!(only(&by_id), 1);
    let none = c2
        .json(&format!(
            "{}?match[spec_version]=2.0",
            objects_path(NETWORK)
        ))
        .await;
    assert_eq!(only(&none), 0);
    assert_eq!(none["more"], false);
    let all_versions = c2
        .json(&format!(
            "{}?match[version]=all&match[type]=indicator",
            objects_path(NETWORK)
        ))
        .await;
    assert_eq!(only(&all_versions), 7);
    // added_after the 5th object's date_added: the two after it.
    let manifest = c2
        .json(&format!("/taxii2/shoal/collections/{NETWORK}/manifest/"))
        .await;
    let records = manifest["objects"].as_array().unwrap();
    assert_eq!(records.len(), 9);
    assert_eq!(
        records[2]["media_type"],
        "application/stix+json;version=2.1"
    );
    let cut = records[6]["date_added"].as_str().unwrap();
    let later = c2
        .json(&format!("{}?added_after={cut}", objects_path(NETWORK)))
        .await;
    let expected = records
        .iter()
        .filter(|r| r["date_added"].as_str().unwrap() > cut)
        .count();
    assert_eq!(only(&later), expected);
    // Just after the definition objects' date: every item, none of the leading objects.
    let after_leads = c2
        .json(&format!(
            "{}?added_after=1970-01-01T00:00:00.000Z",
            objects_path(NETWORK)
        ))
        .await;
    assert_eq!(only(&after_leads), 7);

    // One object, its versions.
    let one = c2.json(&format!("{}{id3}/", objects_path(NETWORK))).await;
    assert_eq!(only(&one), 1);
    let versions = c2
        .json(&format!("{}{id3}/versions/", objects_path(NETWORK)))
        .await;
    assert_eq!(
        versions["versions"].as_array().unwrap().len(),
        1,
        "{versions}"
    );

    // The community collection serves the same.
    let cols = c2.json("/taxii2/shoal/collections/").await;
    let energy = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "network-energy")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = c2.json(&objects_path(&energy)).await;
    assert_eq!(only(&e), 9);

    // Errors.
    let unauthenticated = reqwest::Client::new()
        .get(c2.url("/taxii2/"))
        .send()
        .await
        .unwrap();
    assert!(unauthenticated.headers().contains_key("www-authenticate"));
    error(unauthenticated, 401).await;
    let wrong = reqwest::Client::new()
        .get(c2.url("/taxii2/"))
        .basic_auth("x", Some("wrong"))
        .send()
        .await
        .unwrap();
    error(wrong, 401).await;
    error(
        c2.get(&format!("/taxii2/shoal/collections/{OUTBOX}/objects/"))
            .await,
        403,
    )
    .await;
    error(c2.get("/taxii2/shoal/collections/no-such/").await, 404).await;
    error(
        c2.get(&format!(
            "{}indicator--00000000-0000-4000-8000-000000000000/",
            objects_path(NETWORK)
        ))
        .await,
        404,
    )
    .await;
    error(c2.get("/taxii2/shoal/status/unknown/").await, 404).await;
    let not_acceptable = c2
        .http
        .get(c2.url("/taxii2/"))
        .bearer_auth(&c2.token)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    error(not_acceptable, 406).await;
    error(
        c2.get(&format!("{}?limit=0", objects_path(NETWORK))).await,
        400,
    )
    .await;
    error(
        c2.get(&format!("{}?added_after=yesterday", objects_path(NETWORK)))
            .await,
        400,
    )
    .await;
    error(
        c2.get(&format!("{}?next=forged", objects_path(NETWORK)))
            .await,
        400,
    )
    .await;
    error(
        c2.post(
            &objects_path(NETWORK),
            &json!({"objects": [indicator(9, 1)]}),
            TAXII,
        )
        .await,
        403,
    )
    .await;
    error(
        c1.post(
            &objects_path(OUTBOX),
            &json!({"objects": [indicator(9, 1)]}),
            "application/json",
        )
        .await,
        415,
    )
    .await;
    error(
        c1.post(&objects_path(OUTBOX), &json!({"no": "objects"}), TAXII)
            .await,
        422,
    )
    .await;
    error(
        c1.post(&objects_path(OUTBOX), &json!({"objects": []}), TAXII)
            .await,
        422,
    )
    .await;
    let huge = json!({"objects": [{"type": "note", "content": "x".repeat(9 << 20)}]});
    error(c1.post(&objects_path(OUTBOX), &huge, TAXII).await, 413).await;
    let delete = c2
        .http
        .delete(c2.url(&format!("{}{id3}/", objects_path(NETWORK))))
        .bearer_auth(&c2.token)
        .send()
        .await
        .unwrap();
    error(delete, 403).await;
    let put = c2
        .http
        .put(c2.url("/taxii2/"))
        .bearer_auth(&c2.token)
        .send()
        .await
        .unwrap();
    error(put, 405).await;
}
