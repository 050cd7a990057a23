//! A real writer on a real log, to write the histories that are moved.

#![allow(dead_code)] // each test file uses its own part

use reqwest::Method;
use serde_json::{json, Value};

pub const TOKEN: &str = "admin-tests-token";

pub use lately_testkit::until;

/// The writer, on `database_url`.
pub struct Writer {
    pub url: String,
    client: reqwest::Client,
}

impl Writer {
    pub async fn start(database_url: &str) -> Self {
        let writer = Self {
            url: lately_writer::startup::Application::spawn_local(database_url, TOKEN, &[])
                .await
                .unwrap(),
            client: reqwest::Client::new(),
        };
        until("the writer is ready", || async {
            writer
                .client
                .get(format!("{}/readyz", writer.url))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await;
        writer
    }

    /// A write that must succeed; its answer.
    pub async fn write(&self, method: Method, path: &str, body: Value) -> Value {
        let res = self
            .client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// A history with a bit of everything: a public book started, finished, rated and the
    /// rating revised; a private finish; a finish taken back; a removed item; an edit; a
    /// re-read. Returns the positions of the finishes that stand, in order (Dune's, Heat's, the
    /// essay's, Dune's again).
    pub async fn history(&self) -> Vec<i64> {
        let post = Method::POST;
        self.write(post.clone(), "/v1/items", json!({"id": "dune", "kind": "book", "title": "Dune", "creators": ["Frank Herbert"], "tags": ["sf"]})).await;
        self.write(post.clone(), "/v1/items/dune/start", json!({}))
            .await;
        self.write(
            post.clone(),
            "/v1/items/dune/progress",
            json!({"percent": 40}),
        )
        .await;
        let dune = self
            .write(
                post.clone(),
                "/v1/items/dune/finish",
                json!({"rating": 4.5, "review": "Spice."}),
            )
            .await;
        self.write(Method::PATCH, "/v1/items/dune/finish", json!({"rating": 5}))
            .await;
        self.write(
            post.clone(),
            "/v1/items",
            json!({"id": "heat", "kind": "movie", "title": "Heat", "visibility": "private"}),
        )
        .await;
        let heat = self
            .write(post.clone(), "/v1/items/heat/finish", json!({}))
            .await;
        self.write(
            post.clone(),
            "/v1/items",
            json!({"id": "outer-wilds", "kind": "game", "title": "Outer Wilds"}),
        )
        .await;
        self.write(post.clone(), "/v1/items/outer-wilds/start", json!({}))
            .await;
        self.write(
            post.clone(),
            "/v1/items/outer-wilds/finish",
            json!({"rating": 5}),
        )
        .await;
        self.write(Method::DELETE, "/v1/items/outer-wilds/finish", json!({}))
            .await;
        self.write(
            post.clone(),
            "/v1/items",
            json!({"id": "gone", "kind": "podcast", "title": "Gone"}),
        )
        .await;
        self.write(Method::DELETE, "/v1/items/gone", json!({}))
            .await;
        self.write(
            post.clone(),
            "/v1/items",
            json!({"id": "essay", "kind": "article", "title": "An essay"}),
        )
        .await;
        self.write(Method::PATCH, "/v1/items/essay", json!({"tags": ["web"]}))
            .await;
        let essay = self
            .write(post.clone(), "/v1/items/essay/finish", json!({"rating": 3}))
            .await;
        let reread = self.write(post, "/v1/items/dune/finish", json!({})).await;
        [dune, heat, essay, reread]
            .iter()
            .map(|a| a["position"].as_i64().unwrap())
            .collect()
    }
}
