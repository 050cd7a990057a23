//! Shared by the reader's integration tests: a writer and readers on one fresh PostgreSQL.
#![allow(dead_code)]

use clap::Parser;

use lately_reader::configuration::Config as ReaderConfig;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const TOKEN: &str = "reader-tests-token";

pub struct System {
    pub database_url: String,
    pub writer: String,
    pub client: reqwest::Client,
}

pub fn reader_config(database_url: &str) -> ReaderConfig {
    ReaderConfig::parse_from([
        "lately-reader",
        "--database-url",
        database_url,
        "--listen",
        "127.0.0.1:0",
        "--snapshot-every",
        "0",
        "--snapshot-interval",
        "0",
        "--poll-ms",
        "100",
        "--author",
        "Tester",
        "--workers",
        "1",
    ])
}

pub async fn system() -> System {
    let database_url = lately_testkit::postgres_database().await;
    let address = lately_writer::startup::Application::spawn_local(&database_url, TOKEN, &[])
        .await
        .unwrap();
    let system = System {
        database_url,
        writer: address,
        client: reqwest::Client::new(),
    };
    wait_until(|| async {
        system
            .client
            .get(format!("{}/readyz", system.writer))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    system
}

pub async fn wait_until<F, Fut>(ok: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    lately_testkit::until("the condition holds", ok).await
}

impl System {
    pub async fn reader(&self, config: ReaderConfig) -> String {
        let app = lately_reader::startup::Application::build(config)
            .await
            .unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    pub async fn write(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let res = self
            .client
            .request(method, format!("{}{path}", self.writer))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    }

    /// Adds and finishes an item; returns (id, position of the finish).
    pub async fn finish(&self, title: &str, extra: Value) -> (String, i64) {
        let mut body = json!({ "kind": "book", "title": title });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        self.finish_with(body, json!({ "rating": 4 })).await
    }

    /// Adds `item` (the add's body) and finishes it with `finish` (the finish's body): its id
    /// and the finish's position.
    pub async fn finish_with(&self, item: Value, finish: Value) -> (String, i64) {
        let id = self.write(reqwest::Method::POST, "/v1/items", item).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let done = self
            .write(
                reqwest::Method::POST,
                &format!("/v1/items/{id}/finish"),
                finish,
            )
            .await;
        (id, done["position"].as_i64().unwrap())
    }

    pub async fn get(&self, url: String) -> reqwest::Response {
        self.client.get(url).send().await.unwrap()
    }

    pub async fn json(&self, url: String) -> Value {
        let res = self.get(url).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// Like [`Self::json`], with the owner's token (what `/v1/owner/items` asks for).
    pub async fn owner_json(&self, url: String) -> Value {
        let res = self
            .client
            .get(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// Adds the item `body` describes; returns its id.
    pub async fn add_item(&self, body: Value) -> String {
        self.write(reqwest::Method::POST, "/v1/items", body).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Adds an item; returns (id, position).
    pub async fn add(&self, title: &str, visibility: &str) -> (String, i64) {
        let body = json!({ "kind": "book", "title": title, "visibility": visibility });
        let added = self.write(reqwest::Method::POST, "/v1/items", body).await;
        (
            added["id"].as_str().unwrap().to_owned(),
            added["position"].as_i64().unwrap(),
        )
    }

    /// Adds a book and starts it, logging `progress` when given (`{"percent": 40}`, or
    /// `{"done": 155, "of": 387}`); returns (id, position of the last write).
    pub async fn start(
        &self,
        title: &str,
        visibility: &str,
        progress: Option<Value>,
    ) -> (String, i64) {
        let (id, _) = self.add(title, visibility).await;
        let post = |path: String, body: Value| async move {
            self.write(reqwest::Method::POST, &path, body).await["position"]
                .as_i64()
                .unwrap()
        };
        let mut last = post(format!("/v1/items/{id}/start"), json!({})).await;
        if let Some(progress) = progress {
            last = post(format!("/v1/items/{id}/progress"), progress).await;
        }
        (id, last)
    }

    pub async fn json_text(&self, url: String) -> String {
        let res = self.get(url).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.unwrap()
    }

    pub async fn status(&self, reader: &str) -> Value {
        self.json(format!("{reader}/v1/status")).await
    }

    pub async fn head(&self) -> i64 {
        lately_log::EventLog::connect(&self.database_url, Default::default())
            .unwrap()
            .head()
            .await
            .unwrap()
    }

    /// Waits until every reader reports `position`, then returns their statuses.
    pub async fn converged(&self, readers: &[String], position: i64) -> Vec<Value> {
        wait_until(|| async {
            for r in readers {
                if self.status(r).await["position"] != position {
                    return false;
                }
            }
            true
        })
        .await;
        let mut out = vec![];
        for r in readers {
            out.push(self.status(r).await);
        }
        out
    }
}

/// The ids of a page of a list of items, in order.
pub fn item_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The counts a stats widget's page shows: its `<ol class="stats">`'s markup.
pub fn stats_list(page: &str) -> &str {
    page.split(r#"<ol class="stats">"#)
        .nth(1)
        .and_then(|rest| rest.split("</ol>").next())
        .unwrap_or_else(|| panic!("no stats list in {page}"))
}
