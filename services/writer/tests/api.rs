//! The writer's HTTP API, end to end: the real server on a random port against a fresh
//! PostgreSQL database.

use std::collections::HashSet;

use clap::Parser;

use lately_domain::ItemEvent;
use lately_log::{EventLog, LogOptions};
use lately_writer::configuration::Config;
use lately_writer::startup::Application;
use reqwest::StatusCode;
use serde_json::{json, Value};

const TOKEN: &str = "test-token-0123456789";

struct TestApp {
    address: String,
    client: reqwest::Client,
    log: EventLog,
    database_url: String,
}

fn config(database_url: String) -> Config {
    Config::parse_from([
        "lately-writer",
        "--database-url",
        &database_url,
        "--listen",
        "127.0.0.1:0",
        "--token",
        TOKEN,
        "--db-max-connections",
        "5",
        "--db-timeout-ms",
        "5000",
        "--shutdown-timeout",
        "5",
        "--workers",
        "2",
    ])
}

async fn spawn_app() -> TestApp {
    spawn_app_on(lately_testkit::postgres_database().await).await
}

/// A writer on an existing database (a second writer process on the same log).
async fn spawn_app_on(database_url: String) -> TestApp {
    let app = Application::build(config(database_url.clone()))
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let log = EventLog::connect(&database_url, LogOptions::default()).unwrap();
    let test = TestApp {
        address,
        client: reqwest::Client::new(),
        log,
        database_url,
    };
    // Ready once the schema is migrated.
    for _ in 0..100 {
        if test.get("/readyz").await.status() == StatusCode::OK {
            return test;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("writer never became ready");
}

impl TestApp {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(TOKEN)
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.request(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// `DELETE`s with no body: removes an item, or retracts its latest finish.
    async fn delete(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::DELETE, path)
            .send()
            .await
            .unwrap()
    }

    /// Adds a book and returns its id.
    async fn add_book(&self, title: &str) -> String {
        self.add("book", title).await
    }

    /// Logs progress on `id`, which must be taken, and returns the item's version after it.
    async fn progress(&self, id: &str, body: Value) -> i64 {
        let res = self.post(&format!("/v1/items/{id}/progress"), body).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()["version"]
            .as_i64()
            .unwrap()
    }

    /// Adds an item of `kind` and returns its id.
    async fn add(&self, kind: &str, title: &str) -> String {
        let res = self
            .post("/v1/items", json!({ "kind": kind, "title": title }))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn head(&self) -> i64 {
        self.log.head().await.unwrap()
    }

    async fn event_types(&self, stream: &str) -> Vec<String> {
        self.log
            .read_stream(stream)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event_type)
            .collect()
    }
}

/// Asserts a problem+json answer with `status` whose detail mentions `detail`.
async fn assert_problem(res: reqwest::Response, status: StatusCode, detail: &str) -> Value {
    assert_eq!(res.status(), status);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status.as_u16());
    let got = body["detail"].as_str().unwrap();
    assert!(got.contains(detail), "detail {got:?} lacks {detail:?}");
    body
}

#[tokio::test]
async fn adding_an_item_answers_201_with_its_id_version_and_position() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/v1/items",
            json!({
                "kind": "book",
                "title": "The Left Hand of Darkness",
                "creators": ["Ursula K. Le Guin"],
                "url": "https://example.com/lhod",
                "tags": ["SF", "sf", "classics"],
                "visibility": "public"
            }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let position: i64 = res.headers()["lately-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    let id = body["id"].as_str().unwrap();
    assert!(id.starts_with("the-left-hand-of-darkness-"), "{id}");
    assert_eq!(location, format!("/v1/items/{id}"));
    assert_eq!(body["version"], 1);
    assert_eq!(body["position"], position);

    let stored = app.log.read_stream(id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].event_type, "item_added");
    assert_eq!(
        stored[0].data.value().unwrap()["tags"],
        json!(["sf", "classics"])
    );
    assert!(stored[0].metadata["request_id"]
        .as_str()
        .is_some_and(|r| !r.is_empty()));
}

#[tokio::test]
async fn every_command_appends_its_event() {
    let app = spawn_app().await;
    let id = app.add_book("Piranesi").await;
    let steps = [
        ("start", json!({})),
        ("progress", json!({ "percent": 40 })),
        ("progress", json!({ "done": 183, "of": 304 })),
        (
            "progress",
            json!({ "done": 4_800, "of": 15_120, "unit": "seconds" }),
        ),
        ("abandon", json!({})),
        ("start", json!({})),
        (
            "finish",
            json!({ "rating": 4.5, "review": "Strange and lovely.", "at": "2026-11-01T21:00:00Z" }),
        ),
        ("finish", json!({ "rating": 5, "tweet": false })),
    ];
    let mut last_position = 0;
    for (i, (cmd, body)) in steps.iter().enumerate() {
        let res = app
            .post(&format!("/v1/items/{id}/{cmd}"), body.clone())
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{cmd}");
        let out: Value = res.json().await.unwrap();
        assert_eq!(out["version"], i as i64 + 2, "{cmd}");
        let position = out["position"].as_i64().unwrap();
        assert!(position > last_position);
        last_position = position;
    }
    let res = app
        .request(reqwest::Method::PATCH, &format!("/v1/items/{id}"))
        .json(&json!({ "title": "Piranesi (2020)", "url": null, "visibility": "private" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.delete(&format!("/v1/items/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.event_types(&id).await,
        [
            "item_added",
            "item_started",
            "item_progress_logged",
            "item_progress_logged",
            "item_progress_logged",
            "item_abandoned",
            "item_started",
            "item_finished",
            "item_finished",
            "item_edited",
            "item_removed"
        ]
    );
    let stream = app.log.read_stream(&id).await.unwrap();
    // A percentage is stored as it was given; a count with the percentage it makes, rounded
    // down.
    let percent = stream[2].data.value().unwrap();
    assert_eq!(
        (percent["percent"].clone(), percent.get("done")),
        (json!(40), None)
    );
    let counted = stream[3].data.value().unwrap();
    assert_eq!(
        (&counted["percent"], &counted["done"], &counted["of"]),
        (&json!(60), &json!(183), &json!(304))
    );
    assert!(counted.get("unit").is_none(), "{counted}");
    // A running time says its unit: 1h 20m of 4h 12m is 31%.
    let timed = stream[4].data.value().unwrap();
    assert_eq!(
        (&timed["percent"], &timed["done"], &timed["unit"]),
        (&json!(31), &json!(4_800), &json!("seconds"))
    );
    let finished = stream[7].data.value().unwrap();
    assert_eq!(finished["rating"], 4.5);
    assert_eq!(finished["at"], "2026-11-01T21:00:00Z");
    // Stored only when false: every other finish's payload is as it always was.
    assert!(finished.get("tweet").is_none(), "{finished}");
    assert_eq!(stream[8].data.value().unwrap()["tweet"], false);
}

/// A game's hours played, of a whole nobody knows: stored as they were given, with no
/// percentage, as the one progress event of schema version 2; the next hours go on from them.
#[tokio::test]
async fn a_games_hours_played_are_logged_of_no_known_whole() {
    let app = spawn_app().await;
    let id = app.add("game", "Elden Ring").await;
    for (done, version) in [(43_200, 2), (50_400, 3)] {
        let body = json!({ "done": done, "unit": "seconds" });
        assert_eq!(app.progress(&id, body).await, version);
    }
    let stream = app.log.read_stream(&id).await.unwrap();
    let played = &stream[1];
    assert_eq!(
        (played.event_type.as_str(), played.schema_version),
        ("item_progress_logged", 2)
    );
    let data = played.data.value().unwrap();
    assert_eq!(
        (
            data.get("percent"),
            &data["done"],
            data.get("of"),
            &data["unit"]
        ),
        (None, &json!(43_200), None, &json!("seconds"))
    );
    // A percentage after them is a version 1 event, as every progress before hours played.
    app.progress(&id, json!({ "percent": 80 })).await;
    let stream = app.log.read_stream(&id).await.unwrap();
    assert_eq!(stream.last().unwrap().schema_version, 1);
}

/// A show followed by season and episode: `{"season": 2, "done": 5}` is stored as a v3 event
/// with no percentage (how many episodes the show will have is not known); a percentage after
/// it is v1 again.
#[tokio::test]
async fn a_shows_episode_of_a_season_is_logged_without_a_whole() {
    let app = spawn_app().await;
    let id = app.add("tv", "Severance").await;
    for (season, episode, version) in [(1, 9, 2), (2, 5, 3)] {
        let body = json!({ "season": season, "done": episode });
        assert_eq!(app.progress(&id, body).await, version);
    }
    let stream = app.log.read_stream(&id).await.unwrap();
    let episode = &stream[2];
    assert_eq!(
        (episode.event_type.as_str(), episode.schema_version),
        ("item_progress_logged", 3)
    );
    let data = episode.data.value().unwrap();
    assert_eq!(
        (
            data.get("percent"),
            &data["season"],
            &data["done"],
            data.get("of")
        ),
        (None, &json!(2), &json!(5), None)
    );
    app.progress(&id, json!({ "percent": 80 })).await;
    let stream = app.log.read_stream(&id).await.unwrap();
    assert_eq!(stream.last().unwrap().schema_version, 1);
}

/// A finish says it was listened to (an audiobook), stored only then; and a revision says it
/// afterwards, or takes it back. Of a film, either is refused and appends nothing.
#[tokio::test]
async fn a_finish_says_whether_it_was_listened_to() {
    let app = spawn_app().await;
    let book = app.add_book("Project Hail Mary").await;
    let res = app
        .post(
            &format!("/v1/items/{book}/finish"),
            json!({ "listened": true }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let film = app.add("movie", "Perfect Days").await;
    let head = app.head().await;
    let refused = app
        .post(
            &format!("/v1/items/{film}/finish"),
            json!({ "listened": true }),
        )
        .await;
    assert_problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "listened: films cannot be listened to",
    )
    .await;
    assert_eq!(app.head().await, head);
    let res = app
        .post(
            &format!("/v1/items/{film}/finish"),
            json!({ "listened": false }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let revise = |id: &str, body: Value| {
        app.request(reqwest::Method::PATCH, &format!("/v1/items/{id}/finish"))
            .json(&body)
            .send()
    };
    let head = app.head().await;
    let refused = revise(&film, json!({ "listened": true })).await.unwrap();
    assert_problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "cannot be listened to",
    )
    .await;
    assert_eq!(app.head().await, head);
    let res = revise(&book, json!({ "listened": false })).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let stored = app.log.read_stream(&book).await.unwrap();
    assert_eq!(stored[1].data.value().unwrap()["listened"], true);
    let revision = stored[2].data.value().unwrap();
    assert_eq!(revision["listened"], false, "{revision}");
    // Stored only when true: a film's finish reads as every finish always did.
    let film_finish = app.log.read_stream(&film).await.unwrap()[1]
        .data
        .value()
        .unwrap();
    assert!(film_finish.get("listened").is_none(), "{film_finish}");
}

/// `PATCH /v1/items/{id}/finish` revises the latest finish: `null` clears, absent keeps; its
/// start too. An item never finished, an empty revision, a bad rating and a start after the
/// finish are refused and append nothing.
#[tokio::test]
async fn the_latest_finish_can_be_revised() {
    let app = spawn_app().await;
    let id = app.add_book("Piranesi").await;
    let revise = |body: Value| {
        app.request(reqwest::Method::PATCH, &format!("/v1/items/{id}/finish"))
            .json(&body)
            .send()
    };
    let head = app.head().await;
    let refused = [
        (
            json!({ "rating": 4 }),
            StatusCode::CONFLICT,
            "never finished",
        ),
        (
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "at least one field",
        ),
    ];
    for (body, status, detail) in refused {
        assert_problem(revise(body).await.unwrap(), status, detail).await;
    }
    assert_eq!(app.head().await, head);
    let res = app
        .post(
            &format!("/v1/items/{id}/finish"),
            json!({ "rating": 3, "review": "Odd." }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let head = app.head().await;
    for (body, status, detail) in [
        (
            json!({ "at": "2026-11-01T21:00:00Z" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "at least one field",
        ),
        (
            json!({ "rating": 4.3 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rating",
        ),
        (
            json!({ "rating": 4, "stars": 4 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "stars",
        ),
    ] {
        assert_problem(revise(body).await.unwrap(), status, detail).await;
    }
    assert_eq!(app.head().await, head);
    let res = revise(json!({ "rating": 4.5, "review": null }))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["version"], 3);
    let stored = app.log.read_stream(&id).await.unwrap();
    assert_eq!(stored[2].event_type, "item_finish_revised");
    let data = stored[2].data.value().unwrap();
    assert_eq!(
        (&data["rating"], &data["review"]),
        (&json!(4.5), &Value::Null)
    );
    assert!(
        data.as_object().unwrap().contains_key("review"),
        "cleared, not absent: {data}"
    );
    assert!(!data.as_object().unwrap().contains_key("started_at"));
    // Its read began earlier than logged (here: never logged): the start, revised. Never
    // after the finish, in the future or after the revision; nor is the finish moved before
    // its read began.
    let res = revise(json!({ "started_at": "2026-11-20T09:00:00Z" }))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let head = app.head().await;
    let soon = |hours| (chrono::Utc::now() + chrono::Duration::hours(hours)).to_rfc3339();
    for (body, detail) in [
        (
            json!({ "started_at": soon(1), "at": soon(2) }),
            "is after the finish it would begin",
        ),
        (
            json!({ "started_at": "2026-11-20T09:00:00Z", "at": "2026-11-19T09:00:00Z" }),
            "is after the revision itself",
        ),
        (json!({ "started_at": soon(72) }), "is in the future"),
        (json!({ "started_at": null }), "at least one field"),
        (
            json!({ "finished_at": "2026-11-19T09:00:00Z" }),
            "finished_at: 2026-11-19 09:00:00 UTC is before its read began (2026-11-20 09:00:00 UTC)",
        ),
        (json!({ "finished_at": soon(72) }), "is in the future"),
        (
            json!({ "finished_at": "2026-11-22T09:00:00Z", "at": "2026-11-21T09:00:00Z" }),
            "finished_at: 2026-11-22 09:00:00 UTC is after the revision itself",
        ),
    ] {
        assert_problem(
            revise(body).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            detail,
        )
        .await;
    }
    assert_eq!(app.head().await, head);
    // It happened on another day than logged: the finish, moved.
    let res = revise(json!({ "finished_at": "2026-11-30T09:00:00Z" }))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let stored = app.log.read_stream(&id).await.unwrap();
    for (n, field, day) in [
        (3, "started_at", "2026-11-20T09:00:00Z"),
        (4, "finished_at", "2026-11-30T09:00:00Z"),
    ] {
        let data = stored[n].data.value().unwrap();
        assert_eq!(data, json!({ field: day, "at": data["at"] }));
    }
    // Read again since: the finish stays where it is.
    let res = app.post(&format!("/v1/items/{id}/start"), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let head = app.head().await;
    assert_problem(
        revise(json!({ "finished_at": "2026-11-29T09:00:00Z" }))
            .await
            .unwrap(),
        StatusCode::CONFLICT,
        "only the latest finish can be moved",
    )
    .await;
    assert_eq!(app.head().await, head);
    let get = app
        .request(reqwest::Method::GET, &format!("/v1/items/{id}/finish"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.headers()["allow"], "POST, PATCH, DELETE");
}

/// `PATCH /v1/items/{id}/start` moves the start of the read in progress (logged today, begun
/// last week), its progress kept; an item not in progress, a start in the future or missing,
/// and an unknown field are refused and append nothing.
#[tokio::test]
async fn the_start_of_a_read_in_progress_can_be_moved() {
    let app = spawn_app().await;
    let id = app.add_book("Piranesi").await;
    let path = format!("/v1/items/{id}/start");
    let move_start = |body: Value| {
        app.request(reqwest::Method::PATCH, &path)
            .json(&body)
            .send()
    };
    let head = app.head().await;
    assert_problem(
        move_start(json!({ "started_at": "2026-11-20T09:00:00Z" }))
            .await
            .unwrap(),
        StatusCode::CONFLICT,
        "only the start of an item in progress can be moved (this one is queued)",
    )
    .await;
    assert_eq!(app.head().await, head);
    let started = app.post(&path, json!({})).await;
    assert_eq!(started.status(), StatusCode::OK);
    let progress = app
        .post(
            &format!("/v1/items/{id}/progress"),
            json!({ "done": 120, "of": 304 }),
        )
        .await;
    assert_eq!(progress.status(), StatusCode::OK);
    let head = app.head().await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    for (body, detail) in [
        (json!({}), "started_at"),
        (json!({ "started_at": tomorrow }), "is in the future"),
        (
            json!({ "started_at": "2026-11-20T09:00:00Z", "at": "2026-11-19T09:00:00Z" }),
            "is after the move itself",
        ),
        (
            json!({ "started_at": "0226-11-20T09:00:00Z" }),
            "started_at: 0226-11-20 09:00:00 UTC is before 1900",
        ),
        (
            json!({ "started_at": "2026-11-20T09:00:00Z", "rating": 4 }),
            "rating",
        ),
    ] {
        assert_problem(
            move_start(body.clone()).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            detail,
        )
        .await;
    }
    assert_eq!(app.head().await, head);
    let res = move_start(json!({ "started_at": "2026-11-20T09:00:00Z" }))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["version"], 4);
    let stored = app.log.read_stream(&id).await.unwrap();
    assert_eq!(stored[3].event_type, "item_start_revised");
    assert_eq!(
        stored[3].data.value().unwrap()["started_at"],
        "2026-11-20T09:00:00Z"
    );
    // Finished, its read is over: its start is revised with its finish now.
    let res = app.post(&format!("/v1/items/{id}/finish"), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_problem(
        move_start(json!({ "started_at": "2026-11-19T09:00:00Z" }))
            .await
            .unwrap(),
        StatusCode::CONFLICT,
        "(this one is finished): a finished read's start is revised with its finish",
    )
    .await;
    let get = app
        .request(reqwest::Method::GET, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(get.headers()["allow"], "POST, PATCH, DELETE");
}

/// `DELETE /v1/items/{id}/finish` takes back the latest finish, right after it and once: an
/// item never finished, one started again since and a second retraction are refused with a
/// 409 that says why, and append nothing.
#[tokio::test]
async fn the_latest_finish_can_be_retracted_once_right_after_it() {
    let app = spawn_app().await;
    let id = app.add_book("The Wrong Book").await;
    let retract = || {
        app.request(reqwest::Method::DELETE, &format!("/v1/items/{id}/finish"))
            .send()
    };
    let refused = |res: reqwest::Response| async {
        let head = app.head().await;
        assert_problem(res, StatusCode::CONFLICT, "no finish to retract").await;
        assert_eq!(app.head().await, head, "a refusal appends nothing");
    };
    refused(retract().await.unwrap()).await;
    let res = app.post(&format!("/v1/items/{id}/start"), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post(&format!("/v1/items/{id}/finish"), json!({ "rating": 2 }))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = retract().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!((&body["id"], &body["version"]), (&json!(id), &json!(4)));
    assert_eq!(
        app.event_types(&id).await,
        [
            "item_added",
            "item_started",
            "item_finished",
            "item_finish_retracted"
        ]
    );
    // Once; and the item is in progress again, so abandoning it is allowed.
    refused(retract().await.unwrap()).await;
    let res = app
        .post(&format!("/v1/items/{id}/abandon"), json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Not once the item moved on after a finish.
    let res = app.post(&format!("/v1/items/{id}/finish"), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.post(&format!("/v1/items/{id}/start"), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    refused(retract().await.unwrap()).await;
    // A body, if any, is the `Simple` one.
    let res = app
        .request(reqwest::Method::DELETE, &format!("/v1/items/{id}/finish"))
        .json(&json!({ "rating": 3 }))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "rating").await;
}

/// `DELETE /v1/items/{id}/start` takes back the latest start while the item is in progress
/// from it: the item is up next again (or finished, after a re-read's start); once; an item
/// never started, finished or abandoned since is refused with a 409 that says why, and
/// nothing is appended.
#[tokio::test]
async fn the_latest_start_can_be_retracted_while_it_is_in_progress() {
    let app = spawn_app().await;
    let id = app.add_book("Started By Mistake").await;
    let unstart = || {
        app.request(reqwest::Method::DELETE, &format!("/v1/items/{id}/start"))
            .send()
    };
    let refused = |res: reqwest::Response| async {
        let head = app.head().await;
        assert_problem(res, StatusCode::CONFLICT, "no start to retract").await;
        assert_eq!(app.head().await, head, "a refusal appends nothing");
    };
    refused(unstart().await.unwrap()).await;
    for step in ["start", "progress"] {
        let body = match step {
            "progress" => json!({ "percent": 20 }),
            _ => json!({}),
        };
        let res = app.post(&format!("/v1/items/{id}/{step}"), body).await;
        assert_eq!(res.status(), StatusCode::OK, "{step}");
    }
    let res = unstart().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!((&body["id"], &body["version"]), (&json!(id), &json!(4)));
    assert_eq!(
        app.event_types(&id).await,
        [
            "item_added",
            "item_started",
            "item_progress_logged",
            "item_start_retracted"
        ]
    );
    // Once: up next again, so there is no start to take back, nor anything to abandon.
    refused(unstart().await.unwrap()).await;
    let res = app
        .post(&format!("/v1/items/{id}/abandon"), json!({}))
        .await;
    assert_problem(res, StatusCode::CONFLICT, "this one is queued").await;
    // A re-read's start, taken back: finished again, and that finish may be retracted.
    for step in ["start", "finish", "start"] {
        let res = app.post(&format!("/v1/items/{id}/{step}"), json!({})).await;
        assert_eq!(res.status(), StatusCode::OK, "{step}");
    }
    assert_eq!(unstart().await.unwrap().status(), StatusCode::OK);
    let res = app
        .request(reqwest::Method::DELETE, &format!("/v1/items/{id}/finish"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Not once the read moved on: finished, or abandoned.
    for step in ["finish", "abandon"] {
        let res = app.post(&format!("/v1/items/{id}/{step}"), json!({})).await;
        assert_eq!(res.status(), StatusCode::OK, "{step}");
        refused(unstart().await.unwrap()).await;
        let res = app.post(&format!("/v1/items/{id}/start"), json!({})).await;
        assert_eq!(res.status(), StatusCode::OK, "{step}");
    }
}

/// `DELETE /v1/items/{id}/abandon` takes back a give-up: in progress again (a step may follow,
/// a start may not: it is in progress); only while abandoned, so once; refused otherwise with
/// a 409 that says why, and nothing is appended.
#[tokio::test]
async fn a_give_up_can_be_taken_back_while_the_item_is_abandoned() {
    let app = &spawn_app().await;
    let id = app.add_book("Given Up By Mistake").await;
    let unabandon = || {
        app.request(reqwest::Method::DELETE, &format!("/v1/items/{id}/abandon"))
            .send()
    };
    let refused = |res: reqwest::Response, now: &'static str| async move {
        let head = app.head().await;
        assert_problem(
            res,
            StatusCode::CONFLICT,
            &format!("no give-up to take back: the item is {now}"),
        )
        .await;
        assert_eq!(app.head().await, head, "a refusal appends nothing");
    };
    refused(unabandon().await.unwrap(), "queued").await;
    for step in ["start", "abandon"] {
        let res = app.post(&format!("/v1/items/{id}/{step}"), json!({})).await;
        assert_eq!(res.status(), StatusCode::OK, "{step}");
    }
    let res = unabandon().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!((&body["id"], &body["version"]), (&json!(id), &json!(4)));
    assert_eq!(
        app.event_types(&id).await,
        [
            "item_added",
            "item_started",
            "item_abandoned",
            "item_abandon_retracted"
        ]
    );
    refused(unabandon().await.unwrap(), "in progress").await;
    let res = app.post(&format!("/v1/items/{id}/start"), json!({})).await;
    assert_problem(res, StatusCode::CONFLICT, "already in progress").await;
    let res = app.post(&format!("/v1/items/{id}/finish"), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    refused(unabandon().await.unwrap(), "finished").await;
}

/// `POST /v1/items/{id}/restore` brings back an item removed by mistake, to where it stood:
/// only a removed one (409 otherwise, appending nothing), and then everything may happen to
/// it again. Removed, it takes no other command, and the refusal says how to bring it back.
#[tokio::test]
async fn a_removed_item_can_be_restored_to_where_it_stood() {
    let app = &spawn_app().await;
    let id = app.add_book("Removed By Mistake").await;
    let path = format!("/v1/items/{id}/restore");
    let restore = || app.post(&path, json!({}));
    let refused = |res: reqwest::Response, detail: &'static str| async move {
        let head = app.head().await;
        assert_problem(res, StatusCode::CONFLICT, detail).await;
        assert_eq!(app.head().await, head, "a refusal appends nothing");
    };
    refused(restore().await, "nothing to restore").await;
    let res = app.post(&format!("/v1/items/{id}/start"), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.delete(&format!("/v1/items/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let finish = app.post(&format!("/v1/items/{id}/finish"), json!({})).await;
    refused(finish, "restoring it brings it back").await;
    let res = restore().await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!((&body["id"], &body["version"]), (&json!(id), &json!(4)));
    refused(restore().await, "nothing to restore").await;
    // In progress again, as before the removal: starting it is refused, abandoning it is not.
    let start = app.post(&format!("/v1/items/{id}/start"), json!({})).await;
    refused(start, "already in progress").await;
    let res = app
        .post(&format!("/v1/items/{id}/abandon"), json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.event_types(&id).await,
        [
            "item_added",
            "item_started",
            "item_removed",
            "item_restored",
            "item_abandoned"
        ]
    );
    let missing = app.post("/v1/items/never-added/restore", json!({})).await;
    assert_problem(missing, StatusCode::NOT_FOUND, "no item").await;
}

/// The log holds values as they are stored — a tag lower-cased, a URL normalised — and every
/// replica parses them again when it reads the log. A value that grew on the way (a tag of `İ`,
/// a URL of `漢`) was once accepted and appended, and no replica could read past it.
#[tokio::test]
async fn what_the_writer_accepts_every_reader_can_read_back() {
    let app = spawn_app().await;
    let url = |n| format!("https://example.com/{}", "漢".repeat(n));
    let res = app
        .post(
            "/v1/items",
            json!({"kind": "book", "title": "Edges", "url": url(225), "tags": ["İ".repeat(25)]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let edit = json!({"cover_url": url(225), "tags": ["İ".repeat(25)]});
    let res = app
        .request(reqwest::Method::PATCH, &format!("/v1/items/{id}"))
        .json(&edit)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let stored = app.log.read_stream(&id).await.unwrap();
    assert_eq!(stored.len(), 2);
    for event in &stored {
        let back =
            ItemEvent::decode_json(&event.event_type, event.schema_version, event.data.as_str());
        assert!(back.is_ok(), "{}: {back:?}", event.event_type);
    }
    let added = stored[0].data.value().unwrap();
    assert_eq!(added["url"].as_str().unwrap().len(), 20 + 225 * 9);

    let head = app.head().await;
    let refused = [
        (
            json!({"kind": "book", "title": "x", "url": url(226)}),
            "once normalised (got 2054:",
        ),
        (
            json!({"kind": "book", "title": "x", "tags": ["İ".repeat(26)]}),
            "once lower-cased (got 52)",
        ),
    ];
    for (body, detail) in refused {
        let res = app.post("/v1/items", body).await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, detail).await;
    }
    assert_eq!(app.head().await, head);
}

#[tokio::test]
async fn bad_input_gets_a_precise_problem_and_appends_nothing() {
    let app = spawn_app().await;
    let id = app.add_book("Dune").await;
    let removed = app.add_book("Removed").await;
    app.delete(&format!("/v1/items/{removed}")).await;
    let head = app.head().await;
    let items = "/v1/items".to_string();
    let finish = format!("/v1/items/{id}/finish");
    let cases: Vec<(&str, String, Value, StatusCode, &str)> = vec![
        (
            "wrong type",
            items.clone(),
            json!({"kind": "book", "title": 5}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title: invalid type",
        ),
        (
            "unknown kind",
            items.clone(),
            json!({"kind": "vinyl", "title": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "kind: unknown variant `vinyl`, expected one of `book`",
        ),
        (
            "missing title",
            items.clone(),
            json!({"kind": "book"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing field `title`",
        ),
        (
            "empty title",
            items.clone(),
            json!({"kind": "book", "title": "   "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "title: title must not be empty",
        ),
        (
            "long title",
            items.clone(),
            json!({"kind": "book", "title": "x".repeat(301)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "at most 300 characters",
        ),
        (
            "control character",
            items.clone(),
            json!({"kind": "book", "title": "a\u{0000}b"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "control characters",
        ),
        (
            "javascript url",
            items.clone(),
            json!({"kind": "book", "title": "x", "url": "javascript:alert(1)"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "url: URL scheme must be http or https",
        ),
        (
            "unknown field",
            items.clone(),
            json!({"kind": "book", "title": "x", "raiting": 5}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown field `raiting`",
        ),
        (
            "bad id",
            items.clone(),
            json!({"kind": "book", "title": "x", "id": "../etc"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "id: id must be a UUID or a slug",
        ),
        (
            "far future",
            items.clone(),
            json!({"kind": "book", "title": "x", "at": "2999-01-01T00:00:00Z"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "in the future",
        ),
        (
            "mistyped year",
            finish.clone(),
            json!({"at": "0225-03-01T00:00:00Z"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "before 1900",
        ),
        (
            "too many tags",
            items.clone(),
            json!({"kind": "book", "title": "x", "tags": (0..60).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tags: at most 50",
        ),
        (
            "rating off-step",
            finish.clone(),
            json!({"rating": 4.3}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rating: rating must be between 0.5 and 5.0 in steps of 0.5",
        ),
        (
            "rating too high",
            finish.clone(),
            json!({"rating": 6}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rating",
        ),
        (
            "rating as text",
            finish.clone(),
            json!({"rating": "five"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "rating: invalid type",
        ),
        (
            "tweet as text",
            finish.clone(),
            json!({"tweet": "no"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "tweet: invalid type",
        ),
        (
            "progress over 100",
            format!("/v1/items/{id}/progress"),
            json!({"percent": 101}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "percent: percent must be a whole number from 0 to 100",
        ),
        (
            "progress negative",
            format!("/v1/items/{id}/progress"),
            json!({"percent": -5}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "percent",
        ),
        (
            "progress past the end",
            format!("/v1/items/{id}/progress"),
            json!({"done": 305, "of": 304}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "done must be a whole number from 0 to of (304) (got 305)",
        ),
        (
            "progress of nothing",
            format!("/v1/items/{id}/progress"),
            json!({"done": 0, "of": 0}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "of must be a whole number from 1 to 1000000",
        ),
        (
            "progress both ways",
            format!("/v1/items/{id}/progress"),
            json!({"percent": 60, "done": 183, "of": 304}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "give percent, or done and of, not both",
        ),
        (
            "progress done without of",
            format!("/v1/items/{id}/progress"),
            json!({"done": 183}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "done goes with of (page 120 of 304), unless it is time spent of no known whole",
        ),
        (
            "progress of nothing counted",
            format!("/v1/items/{id}/progress"),
            json!({"of": 304}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "of goes with done",
        ),
        (
            "time played beyond 10,000 hours",
            format!("/v1/items/{id}/progress"),
            json!({"done": 36_000_001, "unit": "seconds"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "time played must be a whole number of seconds from 0 to 36000000 (10,000 hours)",
        ),
        (
            "time played with a percentage",
            format!("/v1/items/{id}/progress"),
            json!({"percent": 30, "done": 43_200, "unit": "seconds"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "give percent, or done and of, not both",
        ),
        (
            "a season's episode with a whole",
            format!("/v1/items/{id}/progress"),
            json!({"season": 2, "done": 5, "of": 10}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "season goes with done alone, its episode in the item's own units: how many the \
             show will have is not known (S2 E5 is {\"season\": 2, \"done\": 5})",
        ),
        (
            "a season without its episode",
            format!("/v1/items/{id}/progress"),
            json!({"season": 2}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "season goes with done, its episode",
        ),
        (
            "a season's episode with a percentage",
            format!("/v1/items/{id}/progress"),
            json!({"season": 2, "percent": 40}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "an episode of a season is no percentage",
        ),
        (
            "a season past any show's",
            format!("/v1/items/{id}/progress"),
            json!({"season": 10_000, "done": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "season must be a whole number from 0 to 9999 (got 10000)",
        ),
        (
            "progress in an unknown unit",
            format!("/v1/items/{id}/progress"),
            json!({"done": 3, "of": 4, "unit": "hours"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unit: unknown variant `hours`, expected `own` or `seconds`",
        ),
        (
            "progress, a unit of nothing",
            format!("/v1/items/{id}/progress"),
            json!({"percent": 60, "unit": "seconds"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unit goes with done",
        ),
        (
            "progress of nothing said",
            format!("/v1/items/{id}/progress"),
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "progress needs percent (0 to 100), or done and of",
        ),
        (
            "progress null",
            format!("/v1/items/{id}/progress"),
            json!({"percent": null}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "percent: invalid type: null",
        ),
        (
            "finish removed",
            format!("/v1/items/{removed}/finish"),
            json!({}),
            StatusCode::CONFLICT,
            "the item was removed",
        ),
        (
            "unknown item",
            "/v1/items/no-such-item/finish".into(),
            json!({}),
            StatusCode::NOT_FOUND,
            "no item with this id",
        ),
        (
            "abandon queued",
            format!("/v1/items/{id}/abandon"),
            json!({}),
            StatusCode::CONFLICT,
            "only an item in progress",
        ),
        (
            "negative expected",
            finish.clone(),
            json!({"expected_version": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "must not be negative",
        ),
    ];
    for (name, path, body, status, detail) in cases {
        let res = app.post(&path, body).await;
        assert_eq!(res.status(), status, "{name}");
        assert_problem(res, status, detail).await;
        assert_eq!(app.head().await, head, "{name} appended an event");
    }

    let raw = |body: &'static str, ct: &'static str| {
        app.request(reqwest::Method::POST, "/v1/items")
            .header("content-type", ct)
            .body(body)
    };
    let res = raw("{\"kind\": \"book\", ", "application/json")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "malformed JSON").await;
    // A command whose fields are all optional takes no body as `{}`, but a body of whitespace
    // is not JSON (the API fuzz sent a tab).
    let res = app
        .request(reqwest::Method::POST, &finish)
        .header("content-type", "application/json")
        .body("\t")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "only whitespace").await;
    let res = raw("kind=book", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_problem(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Content-Type: application/json",
    )
    .await;
    let res = app
        .request(reqwest::Method::POST, "/v1/items")
        .header("content-type", "application/json")
        .body(vec![b' '; 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_problem(
        res,
        StatusCode::PAYLOAD_TOO_LARGE,
        "larger than 65536 bytes",
    )
    .await;
    let res = app
        .request(reqwest::Method::PATCH, &format!("/v1/items/{id}"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY, "at least one field").await;
    assert_eq!(app.head().await, head);
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_returns_the_original_result() {
    let app = spawn_app().await;
    let add = || {
        app.request(reqwest::Method::POST, "/v1/items")
            .header("Idempotency-Key", "add-dune-1")
            .json(&json!({ "kind": "book", "title": "Dune" }))
    };
    let first = add().send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let retry = add().send().await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.json::<Value>().await.unwrap(), first);
    assert_eq!(app.head().await, 1);

    // A retried `start` still answers as the original did after the item moved on.
    let id = first["id"].as_str().unwrap();
    let start = || {
        app.request(reqwest::Method::POST, &format!("/v1/items/{id}/start"))
            .header("Idempotency-Key", "start-dune-1")
    };
    let started: Value = start().send().await.unwrap().json().await.unwrap();
    app.post(&format!("/v1/items/{id}/progress"), json!({"percent": 10}))
        .await;
    let again = start().send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap(), started);
    assert_eq!(app.head().await, 3);

    // The same key for something else is refused.
    let misuse = app
        .request(reqwest::Method::POST, &format!("/v1/items/{id}/finish"))
        .header("Idempotency-Key", "start-dune-1")
        .send()
        .await
        .unwrap();
    assert_problem(misuse, StatusCode::UNPROCESSABLE_ENTITY, "Idempotency-Key").await;

    // Concurrent retries of one request append once.
    let finishes = futures::future::join_all((0..8).map(|_| {
        app.request(reqwest::Method::POST, &format!("/v1/items/{id}/finish"))
            .header("Idempotency-Key", "finish-dune-1")
            .json(&json!({"rating": 4}))
            .send()
    }))
    .await;
    let positions: HashSet<String> = finishes
        .into_iter()
        .map(|r| {
            r.unwrap().headers()["lately-position"]
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(positions.len(), 1);
    assert_eq!(app.head().await, 4);
}

/// An item's id is spelled in ASCII from its title, whatever its script ("Amélie" is
/// `amelie-…`). An add made before that, whose id dropped such letters (`am-lie-…`), retried
/// with its Idempotency-Key is still a replay of it: an import run again appends nothing.
#[tokio::test]
async fn a_slug_spells_other_scripts_and_an_older_adds_retry_is_still_a_replay() {
    let app = spawn_app().await;
    for (title, key, slug) in [
        ("Amélie", "add-amelie", "amelie-"),
        ("三体", "add-three-body", "san-ti-"),
    ] {
        let added: Value = app
            .request(reqwest::Method::POST, "/v1/items")
            .header("Idempotency-Key", key)
            .json(&json!({ "kind": "movie", "title": title }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(added["id"].as_str().unwrap().starts_with(slug), "{added}");
    }

    // As an earlier build recorded it: the add's event under the id it made then.
    let key = lately_writer::command::IdempotencyKey::parse("old-add-les-mis").unwrap();
    let title = lately_domain::Title::parse("Les Misérables").unwrap();
    let old_id = lately_domain::ItemId::ascii_slug(&title, key.seed());
    assert!(
        old_id.as_str().starts_with("les-mis-rables-"),
        "{}",
        old_id.as_str()
    );
    let appender = lately_log::Appender::spawn(&app.log, lately_log::AppendOptions::default());
    let stored = ItemEvent::Added(lately_domain::event::ItemAdded {
        kind: lately_domain::MediaKind::Book,
        title,
        creators: vec![],
        url: None,
        cover_url: None,
        tags: vec![],
        visibility: Default::default(),
        at: chrono::Utc::now(),
    })
    .encode();
    let original = appender
        .append(lately_log::AppendRequest {
            stream_id: old_id.as_str().to_owned(),
            expected_version: Some(0),
            events: vec![lately_log::NewEvent {
                event_id: key.event_id(),
                event_type: stored.event_type.into(),
                schema_version: stored.schema_version,
                data: stored.data,
                metadata: json!({}),
            }],
        })
        .await
        .unwrap();
    let head = app.head().await;
    let retry = app
        .request(reqwest::Method::POST, "/v1/items")
        .header("Idempotency-Key", "old-add-les-mis")
        .json(&json!({ "kind": "book", "title": "Les Misérables" }))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["id"], old_id.as_str());
    assert_eq!(retry["position"], json!(original.first_position));
    assert_eq!(app.head().await, head, "a replay appended");
}

#[tokio::test]
async fn a_stale_version_is_a_409_carrying_the_current_one() {
    let app = spawn_app().await;
    let id = app.add_book("Hyperion").await;
    let ok = app
        .request(reqwest::Method::POST, &format!("/v1/items/{id}/start"))
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let head = app.head().await;
    let stale = app
        .request(reqwest::Method::POST, &format!("/v1/items/{id}/finish"))
        .header("If-Match", "1")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(stale, StatusCode::CONFLICT, "is at version 2").await;
    assert_eq!(problem["current_version"], 2);
    let stale = app
        .post(
            &format!("/v1/items/{id}/finish"),
            json!({"expected_version": 5}),
        )
        .await;
    assert_problem(stale, StatusCode::CONFLICT, "expected version 5").await;
    let bad = app
        .request(reqwest::Method::POST, &format!("/v1/items/{id}/finish"))
        .header("If-Match", "soon")
        .send()
        .await
        .unwrap();
    assert_problem(bad, StatusCode::BAD_REQUEST, "If-Match").await;
    assert_eq!(app.head().await, head);
    // Adding an id that exists is a conflict too, said as such.
    let dup = app
        .post(
            "/v1/items",
            json!({"kind": "book", "title": "Hyperion", "id": id}),
        )
        .await;
    let problem = assert_problem(dup, StatusCode::CONFLICT, "already exists").await;
    assert_eq!(problem["type"], "https://lately.dev/problems/conflict");
    assert_eq!(app.head().await, head);
}

/// Adds of one id at once, to two writers on one log: one is the item's, every other is told
/// it already exists, and the item's stream holds one add.
#[tokio::test]
async fn of_adds_of_one_id_at_once_exactly_one_lands() {
    let a = spawn_app().await;
    let b = spawn_app_on(a.database_url.clone()).await;
    let adds = (0..16).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.post(
            "/v1/items",
            json!({"kind": "book", "title": format!("Take {i}"), "id": "contested"}),
        )
    });
    let answers = futures::future::join_all(adds).await;
    let mut created = 0;
    for res in answers {
        match res.status() {
            StatusCode::CREATED => created += 1,
            _ => {
                assert_problem(res, StatusCode::CONFLICT, "already exists").await;
            }
        }
    }
    assert_eq!(created, 1);
    assert_eq!(a.event_types("contested").await, ["item_added"]);
    assert_eq!(a.head().await, 1);
}

/// A writer remembers the items it wrote. Another writer on the same log makes that memory
/// stale; no decision may rest on it: not a refusal, not an acceptance, not a version.
#[tokio::test]
async fn a_second_writer_on_the_same_log_never_meets_a_stale_decision() {
    let a = spawn_app().await;
    let b = spawn_app_on(a.database_url.clone()).await;
    let id = a.add_book("Solaris").await; // `a` remembers it queued, at version 1
    let path = |verb: &str| format!("/v1/items/{id}/{verb}");
    let version = |res: reqwest::Response| async move {
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()["version"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(version(b.post(&path("start"), json!({})).await).await, 2);
    // `a` remembers version 1; the client knows better.
    let done = a
        .post(&path("finish"), json!({"expected_version": 2}))
        .await;
    assert_eq!(version(done).await, 3);
    assert_eq!(version(a.post(&path("start"), json!({})).await).await, 4);
    assert_eq!(version(b.post(&path("abandon"), json!({})).await).await, 5);
    // `a` remembers it in progress, so "start" looks refused; the log says abandoned.
    assert_eq!(version(a.post(&path("start"), json!({})).await).await, 6);
    let stale = b
        .post(&path("finish"), json!({"expected_version": 5}))
        .await;
    let problem = assert_problem(stale, StatusCode::CONFLICT, "is at version 6").await;
    assert_eq!(problem["current_version"], 6);
    // Without a version, a write through either one lands after the other's.
    assert_eq!(version(b.post(&path("finish"), json!({})).await).await, 7);
    assert_eq!(version(a.post(&path("finish"), json!({})).await).await, 8);
    assert_eq!(
        a.event_types(&id).await,
        [
            "item_added",
            "item_started",
            "item_finished",
            "item_started",
            "item_abandoned",
            "item_started",
            "item_finished",
            "item_finished"
        ]
    );
}

#[tokio::test]
async fn writes_need_the_token() {
    let app = spawn_app().await;
    let body = json!({ "kind": "book", "title": "x" });
    let none = app
        .client
        .post(format!("{}/v1/items", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        none.headers()["www-authenticate"],
        "Bearer realm=\"lately\""
    );
    assert_problem(none, StatusCode::UNAUTHORIZED, "Authorization: Bearer").await;
    let wrong = app
        .client
        .post(format!("{}/v1/items", app.address))
        .bearer_auth("test-token-0123456788")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_problem(wrong, StatusCode::UNAUTHORIZED, "token").await;
    assert_eq!(app.head().await, 0);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_writer_refuses_to_start_without_a_token() {
    let mut cfg = config("sqlite://unused.sqlite3".into());
    cfg.token = None;
    let err = Application::build(cfg)
        .await
        .err()
        .expect("started without a token");
    assert!(err.to_string().contains("LATELY_WRITER_TOKEN"));
}

#[tokio::test]
async fn a_burst_of_concurrent_writes_gets_distinct_gap_free_positions() {
    let app = spawn_app().await;
    let results = futures::future::join_all((0..200).map(|i| {
        app.request(reqwest::Method::POST, "/v1/items")
            .json(&json!({ "kind": "movie", "title": format!("Film {i}") }))
            .send()
    }))
    .await;
    let mut positions: Vec<i64> = Vec::new();
    for r in results {
        let r = r.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        positions.push(
            r.json::<Value>().await.unwrap()["position"]
                .as_i64()
                .unwrap(),
        );
    }
    positions.sort_unstable();
    assert_eq!(positions, (1..=200).collect::<Vec<_>>());
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems_too() {
    let app = spawn_app().await;
    assert_problem(
        app.get("/v2/nothing").await,
        StatusCode::NOT_FOUND,
        "no route",
    )
    .await;
    let get = app
        .request(reqwest::Method::GET, "/v1/items")
        .send()
        .await
        .unwrap();
    assert_eq!(get.headers()["allow"], "POST");
    assert_problem(get, StatusCode::METHOD_NOT_ALLOWED, "GET is not supported").await;
    let trace = app
        .client
        .request(reqwest::Method::TRACE, format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(trace.headers()["allow"], "GET, HEAD");
    assert_problem(
        trace,
        StatusCode::METHOD_NOT_ALLOWED,
        "TRACE is not supported",
    )
    .await;
    // HEAD, which the 405 says is allowed, is (an uptime monitor's): the GET's answer without
    // its body.
    for path in ["/healthz", "/readyz", "/openapi.json"] {
        let head = app
            .client
            .head(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), StatusCode::OK, "{path}");
        assert!(head.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        assert_eq!(head.bytes().await.unwrap().len(), 0, "{path}");
    }
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_served() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let id = app.add_book("Routes").await;
    let mut operations = 0;
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let res = app
                .request(method.clone(), &path.replace("{id}", &id))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            assert!(
                !matches!(
                    res.status(),
                    StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
                ),
                "{method} {path} is documented but not served"
            );
            operations += 1;
        }
    }
    assert_eq!(operations, 16);
}

#[tokio::test]
async fn an_unreachable_database_answers_503_with_retry_after_at_once() {
    let mut cfg = config("postgres://lately@127.0.0.1:1/lately".into());
    cfg.db_timeout_ms = 300;
    let app = Application::build(cfg).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let res = client
        .post(format!("{address}/v1/items"))
        .bearer_auth(TOKEN)
        .json(&json!({ "kind": "book", "title": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["retry-after"], "1");
    assert_problem(res, StatusCode::SERVICE_UNAVAILABLE, "not ready").await;
    let ready = client
        .get(format!("{address}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn metrics_count_requests_and_appends() {
    let app = spawn_app().await;
    app.add_book("Counted").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(text.contains("lately_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/v1/items\""));
    assert!(text.contains("lately_log_batch_events"));
}

/// A partition that falls while a commit waits for its answer (nothing answers, nothing is
/// closed): the write is answered 503 in bounded time instead of holding the one appending
/// task, and every write behind it, for as long as the socket lives. The commit did reach the
/// database, so a retry with the same key once the network is back finds it: one event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_cut_off_by_a_partition_is_a_503_and_its_retry_appends_nothing_twice() {
    use sqlx::{Connection, PgConnection};
    const APPEND_LOCK: i64 = 0x6c61_7465_6c79; // lately_log's, taken by every commit

    let w = ProxiedWriter::start(|_| {}).await;
    let database_url = &w.database_url;

    // Hold the append lock, so that the next commit is sent and waits inside the server.
    let mut holder = PgConnection::connect(database_url).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(APPEND_LOCK)
        .execute(&mut holder)
        .await
        .unwrap();
    let during = tokio::spawn(w.add("During"));
    lately_testkit::until_waiting_on_a_lock(
        database_url,
        "wait_event = 'advisory'",
        1,
        "the commit",
    )
    .await;

    // The network goes, then the commit goes through: its answer has nowhere to go.
    w.proxy.stall();
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(APPEND_LOCK)
        .execute(&mut holder)
        .await
        .unwrap();
    let res = tokio::time::timeout(std::time::Duration::from_secs(15), during)
        .await
        .expect("the write still waits 15 s into the partition")
        .unwrap()
        .unwrap();
    assert_eq!(res.headers()["retry-after"], "1");
    assert_problem(res, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;

    w.proxy.restore();
    let retried = w.until_created("During").await;
    assert_eq!(
        retried.headers()["idempotent-replayed"],
        "true",
        "the commit the partition cut off did commit; the retry must find it"
    );
    let titles = w.titles().await;
    assert_eq!(titles, ["Before", "During"]);
}

/// A readiness probe whose question is cut off by a partition (it reads which migrations ran):
/// answered 503 in bounded time, as the orchestrator asking it expects, instead of hanging
/// with a pooled connection for as long as the socket lives, one more every probe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readiness_probe_cut_off_by_a_partition_is_a_503() {
    use sqlx::{Connection, PgConnection};

    let w = ProxiedWriter::start(|_| {}).await;
    let database_url = &w.database_url;

    // Hold the migrations' table, so that the probe's read is sent and waits inside the server.
    let mut holder = PgConnection::connect(database_url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("LOCK TABLE _sqlx_migrations IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let probe = tokio::spawn(w.client.get(format!("{}/readyz", w.address)).send());
    lately_testkit::until_waiting_on_a_lock(
        database_url,
        "query LIKE '%FROM _sqlx_migrations%'",
        1,
        "the probe's read",
    )
    .await;

    w.proxy.stall();
    sqlx::query("COMMIT").execute(&mut holder).await.unwrap();
    let res = tokio::time::timeout(std::time::Duration::from_secs(15), probe)
        .await
        .expect("the probe still waits 15 s into the partition")
        .unwrap()
        .unwrap();
    assert_problem(res, StatusCode::SERVICE_UNAVAILABLE, "did not answer").await;

    w.proxy.restore();
    w.until_created("After").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_answers_503_while_the_database_is_away_and_recovers_by_itself() {
    let w = ProxiedWriter::start(|cfg| cfg.db_timeout_ms = 500).await;

    w.proxy.cut();
    let started = std::time::Instant::now();
    let res = w.add("During").await.unwrap();
    assert_eq!(res.headers()["retry-after"], "1");
    assert_problem(res, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "no fast failure"
    );

    w.proxy.restore();
    w.until_created("After").await;
    let titles = w.titles().await;
    assert!(!titles.contains(&"During".to_string()));
    assert_eq!(titles.last().unwrap(), "After");
}

/// A writer whose database link goes through a [`lately_testkit::Proxy`], started and past
/// its first write ("Before").
struct ProxiedWriter {
    proxy: lately_testkit::Proxy,
    database_url: String,
    address: String,
    client: reqwest::Client,
}

impl ProxiedWriter {
    async fn start(configure: impl FnOnce(&mut Config)) -> Self {
        let database_url = lately_testkit::postgres_database().await;
        let proxy = lately_testkit::Proxy::start(lately_testkit::host_port(&database_url)).await;
        let mut cfg = config(proxy.url_for(&database_url));
        configure(&mut cfg);
        let app = Application::build(cfg).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let w = Self {
            proxy,
            database_url,
            address,
            client: reqwest::Client::new(),
        };
        w.until_created("Before").await;
        w
    }

    /// Adds a book, with an Idempotency-Key of its title: a retry of the same title is the
    /// same request.
    fn add(
        &self,
        title: &str,
    ) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> {
        self.client
            .post(format!("{}/v1/items", self.address))
            .bearer_auth(TOKEN)
            .header("Idempotency-Key", format!("proxied-{title}"))
            .json(&json!({ "kind": "book", "title": title }))
            .send()
    }

    /// Adds `title` until it is answered 201 (for up to 10 s), and returns that answer.
    async fn until_created(&self, title: &str) -> reqwest::Response {
        for _ in 0..100 {
            let res = self.add(title).await.unwrap();
            if res.status() == StatusCode::CREATED {
                return res;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the writer never accepted {title:?}");
    }

    /// The titles in the log, in order, read directly from the database.
    async fn titles(&self) -> Vec<String> {
        let log = EventLog::connect(&self.database_url, LogOptions::default()).unwrap();
        log.read_after(0, 100)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| Some(e.data.value().ok()?["title"].as_str()?.to_owned()))
            .collect()
    }
}

/// SIGTERM during a burst: every write answered 2xx is in the log, the others were refused
/// with 503 (or never connected), and the process exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_writes_and_refuses_new_ones() {
    let database_url = lately_testkit::postgres_database().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_lately-writer"))
        .env("DATABASE_URL", &database_url)
        .env("LATELY_WRITER_ADDR", format!("127.0.0.1:{port}"))
        .env("LATELY_WRITER_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{address}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let burst: Vec<_> = (0..300)
        .map(|i| {
            let client = client.clone();
            let address = address.clone();
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(i / 2)).await;
                client
                    .post(format!("{address}/v1/items"))
                    .bearer_auth(TOKEN)
                    .json(&json!({ "kind": "book", "title": format!("Burst {i}") }))
                    .send()
                    .await
                    .map(|r| {
                        (
                            r.status(),
                            r.headers()
                                .get("lately-position")
                                .map(|p| p.to_str().unwrap().parse::<i64>().unwrap()),
                        )
                    })
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());

    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for task in burst {
        match task.await.unwrap() {
            Ok((StatusCode::CREATED, Some(p))) => acknowledged.push(p),
            Ok((StatusCode::SERVICE_UNAVAILABLE, _)) | Err(_) => refused += 1,
            Ok((status, _)) => panic!("unexpected {status}"),
        }
    }
    let exit = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "writer exited with {exit}");
    assert!(
        !acknowledged.is_empty() && refused > 0,
        "{} acknowledged, {refused} refused",
        acknowledged.len()
    );
    let log = EventLog::connect(&database_url, LogOptions::default()).unwrap();
    let stored: HashSet<i64> = log
        .read_after(0, 1000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    for p in &acknowledged {
        assert!(
            stored.contains(p),
            "acknowledged position {p} is not in the log"
        );
    }
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "the log holds writes nobody was told about"
    );
}

/// The writer's debug logs, through accepted and refused writes, never contain the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_appears_in_the_logs() {
    const SECRET: &str = "writer-SECRET-token-5e0c7d";
    let database_url = lately_testkit::postgres_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log_path = std::env::temp_dir().join(format!("writer-{port}.log"));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_lately-writer"))
        .env("DATABASE_URL", &database_url)
        .env("LATELY_WRITER_ADDR", format!("127.0.0.1:{port}"))
        .env("LATELY_WRITER_TOKEN", SECRET)
        .env("RUST_LOG", "debug")
        .env("LATELY_LOG_FORMAT", "json")
        .stdout(std::fs::File::create(&log_path).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{address}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for token in [SECRET, "wrong-SECRET-guess"] {
        client
            .post(format!("{address}/v1/items"))
            .bearer_auth(token)
            .json(&json!({ "kind": "book", "title": "Logged" }))
            .send()
            .await
            .unwrap();
    }
    child.kill().await.unwrap();
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logs.contains("/v1/items"),
        "the logs are not what this test thinks: {logs}"
    );
    assert!(!logs.contains("SECRET"), "a token is in the writer's logs");
    let _ = std::fs::remove_file(log_path);
}

/// The owner's page on a reader (another origin) writes here: a preflight for a write with the
/// token and an idempotency key is allowed, and the write's answer lets the page read its
/// position. Without the token it is still a 401: CORS lets a page ask, not write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_another_origin_may_write_with_the_token() {
    let app = spawn_app().await;
    let page = "http://feed.example:8080";
    let preflight = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/items", app.address),
        )
        .header("Origin", page)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type,idempotency-key",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::OK);
    let allowed = |name: &str| {
        preflight
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .unwrap_or_default()
    };
    assert_eq!(allowed("access-control-allow-origin"), page);
    assert!(allowed("access-control-allow-methods").contains("post"));
    for header in ["authorization", "content-type", "idempotency-key"] {
        assert!(
            allowed("access-control-allow-headers").contains(header),
            "{header}"
        );
    }
    let head = app.head().await;
    let unauthorised = app
        .client
        .post(format!("{}/v1/items", app.address))
        .header("Origin", page)
        .json(&json!({ "kind": "book", "title": "Dune" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.head().await, head, "nothing written");
    let added = app
        .request(reqwest::Method::POST, "/v1/items")
        .header("Origin", page)
        .json(&json!({ "kind": "book", "title": "Dune" }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    assert_eq!(added.headers()["access-control-allow-origin"], page);
    assert!(added.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("lately-position"));
}
