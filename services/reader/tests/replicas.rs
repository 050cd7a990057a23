//! Reader replicas against one PostgreSQL, written to through the real writer.

mod common;

use common::{item_ids, reader_config, system, wait_until, TOKEN};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_replica_reaches_the_same_position_and_state_hash() {
    let sys = system().await;
    let early = sys.reader(reader_config(&sys.database_url)).await;
    for i in 0..20 {
        sys.finish(&format!("Book {i}"), json!({})).await;
    }
    let late = sys.reader(reader_config(&sys.database_url)).await;
    let third = sys.reader(reader_config(&sys.database_url)).await;
    for i in 20..30 {
        sys.finish(&format!("Book {i}"), json!({})).await;
    }
    let head = sys.head().await;
    let statuses = sys.converged(&[early, late, third.clone()], head).await;
    let hashes: std::collections::HashSet<_> =
        statuses.iter().map(|s| s["state_hash"].clone()).collect();
    assert_eq!(hashes.len(), 1, "{statuses:?}");
    for s in &statuses {
        assert_eq!(s["lag"], 0);
        assert_eq!(s["head"], head);
        assert!(s["replica_id"].as_str().is_some_and(|r| !r.is_empty()));
    }
    let feed = sys.json(format!("{third}/v1/feed?limit=100")).await;
    assert_eq!(feed["items"].as_array().unwrap().len(), 30);
    assert_eq!(feed["items"][0]["item"]["title"], "Book 29");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn read_your_writes_waits_for_the_position() {
    let sys = system().await;
    let mut slow = reader_config(&sys.database_url);
    slow.poll_ms = 60_000; // only notifications (or the wait) bring events in
    slow.min_position_wait_ms = 500;
    let reader = sys.reader(slow).await;
    wait_until(|| async { sys.get(format!("{reader}/readyz")).await.status() == 200 }).await;

    let (_, position) = sys.finish("Fresh", json!({})).await;
    let res = sys
        .get(format!("{reader}/v1/feed?min_position={position}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let seen: i64 = res.headers()["lately-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(seen >= position);
    assert_eq!(
        res.json::<Value>().await.unwrap()["items"][0]["item"]["title"],
        "Fresh"
    );

    let (_, position) = sys.finish("Fresher", json!({})).await;
    let res = sys
        .client
        .get(format!("{reader}/v1/current"))
        .header("Lately-Min-Position", position.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Nobody wrote that position (a typo, or a position from a log since reset): not worth a
    // retry, and the answer says where the log's head is.
    let res = sys
        .get(format!("{reader}/v1/feed?min_position={}", position + 1000))
        .await;
    let problem = unknown_position(res, position, "min_position").await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(&format!(
            "min_position asks for position {}, past the log's head ({position})",
            position + 1000
        )),
        "{detail}"
    );
}

/// Asserts that `res` is the 400 for a position no write was given (`asked`: which parameter),
/// naming the log's head; returns the problem.
async fn unknown_position(res: reqwest::Response, head: i64, asked: &str) -> Value {
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{asked}");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem = res.json::<Value>().await.unwrap();
    assert_eq!(
        problem["type"], "https://lately.dev/problems/unknown-position",
        "{asked}"
    );
    assert_eq!(problem["head"], head, "{asked}");
    problem
}

/// A replica that tails a lagging copy of the log (`READ_DATABASE_URL`) cannot tell a write it
/// has not read yet from a position nobody wrote; the primary can. Here the copy never gets
/// anything: every write stays unread.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lagging_replica_tells_an_unread_write_from_an_unknown_position() {
    let sys = system().await;
    let copy = lately_testkit::postgres_database().await;
    let log = lately_log::EventLog::connect(&copy, lately_log::LogOptions::default()).unwrap();
    log.migrate().await.unwrap();
    log.close().await;
    let mut lagging = reader_config(&sys.database_url);
    lagging.read_database_url = Some(copy);
    lagging.min_position_wait_ms = 300;
    let reader = sys.reader(lagging).await;
    wait_until(|| async { sys.get(format!("{reader}/readyz")).await.status() == 200 }).await;
    let (_, position) = sys.finish("Unread", json!({})).await;

    let res = sys
        .client
        .get(format!("{reader}/v1/feed"))
        .header("Lately-Min-Position", position.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
    let detail = res.json::<Value>().await.unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.starts_with(&format!(
            "this replica has applied position 0 but {position} was asked for; retry"
        )),
        "{detail}"
    );

    for query in [
        format!("as_of={}", position + 1),
        format!("min_position={}", position + 1),
    ] {
        let res = sys.get(format!("{reader}/v1/current?{query}")).await;
        unknown_position(res, position, &query).await;
    }
}

/// A position no write was given is told apart from a write on its way to the replica within
/// a moment, not after the whole wait such a write is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_position_does_not_wait_out_the_wait() {
    let sys = system().await;
    let mut patient = reader_config(&sys.database_url);
    patient.min_position_wait_ms = 60_000;
    let reader = sys.reader(patient).await;
    wait_until(|| async { sys.get(format!("{reader}/readyz")).await.status() == 200 }).await;
    let (_, position) = sys.finish("Known", json!({})).await;

    for query in [
        format!("as_of={}", position + 1),
        format!("min_position={}", position + 1),
    ] {
        let answer = sys.get(format!("{reader}/v1/feed?{query}"));
        let res = tokio::time::timeout(std::time::Duration::from_secs(15), answer)
            .await
            .unwrap_or_else(|_| panic!("{query}: still waiting after 15 s of a 60 s wait"));
        unknown_position(res, position, &query).await;
    }
    // A position that was written is still waited for, and answered.
    let res = sys
        .get(format!("{reader}/v1/feed?min_position={position}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn as_of_answers_with_the_earlier_state() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let (first, p1) = sys.finish("First", json!({})).await;
    sys.write(
        reqwest::Method::PATCH,
        &format!("/v1/items/{first}"),
        json!({ "title": "First, renamed" }),
    )
    .await;
    let (_, p2) = sys.finish("Second", json!({})).await;
    sys.converged(std::slice::from_ref(&reader), p2).await;

    let then = sys.json(format!("{reader}/v1/feed?as_of={p1}")).await;
    let titles: Vec<_> = then["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item"]["title"].clone())
        .collect();
    assert_eq!(titles, [json!("First")]);
    assert_eq!(then["position"], p1);
    let now = sys.json(format!("{reader}/v1/feed")).await;
    assert_eq!(now["items"].as_array().unwrap().len(), 2);
    assert_eq!(now["items"][1]["item"]["title"], "First, renamed");
    let item = sys
        .json(format!("{reader}/v1/items/{first}?as_of={p1}"))
        .await;
    assert_eq!(item["history"].as_array().unwrap().len(), 2);
    assert_eq!(
        sys.json(format!("{reader}/v1/stats?as_of={p1}")).await["finished"],
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn private_items_never_appear_in_any_answer() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let (public, _) = sys.finish("Public book", json!({})).await;
    let (secret, _) = sys
        .finish("Secret diary", json!({ "visibility": "private" }))
        .await;
    let reading = sys
        .write(
            reqwest::Method::POST,
            "/v1/items",
            json!({ "kind": "tv", "title": "Secret show", "visibility": "private" }),
        )
        .await;
    let reading = reading["id"].as_str().unwrap().to_owned();
    sys.write(
        reqwest::Method::POST,
        &format!("/v1/items/{reading}/start"),
        json!({}),
    )
    .await;
    // Added and not started: on the reading list, if public.
    for (title, visibility) in [("Public wish", "public"), ("Secret wish", "private")] {
        sys.write(
            reqwest::Method::POST,
            "/v1/items",
            json!({ "kind": "book", "title": title, "visibility": visibility }),
        )
        .await;
    }
    let (later, p) = sys.finish("Public then private", json!({})).await;
    let hidden = sys
        .write(
            reqwest::Method::PATCH,
            &format!("/v1/items/{later}"),
            json!({ "visibility": "private" }),
        )
        .await;
    let head = hidden["position"].as_i64().unwrap();
    sys.converged(std::slice::from_ref(&reader), head).await;

    for as_of in ["".to_string(), format!("as_of={p}")] {
        for path in [
            "/v1/feed?limit=100&",
            "/v1/current?",
            "/v1/queue?",
            "/v1/stats?",
            "/v1/stats?year=2026&",
        ] {
            let body = sys
                .get(format!("{reader}{path}{as_of}"))
                .await
                .text()
                .await
                .unwrap();
            for leak in ["Secret", "private", &secret, &reading, &later] {
                assert!(!body.contains(leak), "{path}{as_of} leaks {leak}: {body}");
            }
        }
        for id in [&secret, &reading, &later] {
            let res = sys.get(format!("{reader}/v1/items/{id}?{as_of}")).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND);
        }
        assert_eq!(
            sys.get(format!("{reader}/v1/items/{public}?{as_of}"))
                .await
                .status(),
            StatusCode::OK
        );
    }
    assert_eq!(sys.json(format!("{reader}/v1/stats")).await["finished"], 1);
    let queue = sys.json(format!("{reader}/v1/queue")).await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 1, "{queue}");
    assert_eq!(queue["items"][0]["title"], "Public wish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owner_lists_every_item_with_the_token_and_nobody_else_does() {
    let sys = system().await;
    let mut config = reader_config(&sys.database_url);
    config.owner_token = Some(TOKEN.into());
    let reader = sys.reader(config).await;
    let off = sys.reader(reader_config(&sys.database_url)).await;
    let wish = sys.add("Secret wish", "private").await.0;
    let dropped = sys.add("Dropped", "public").await.0;
    let gone = sys.add("Gone", "private").await.0;
    for (id, step) in [(&dropped, "start"), (&dropped, "abandon")] {
        let path = format!("/v1/items/{id}/{step}");
        sys.write(reqwest::Method::POST, &path, json!({})).await;
    }
    sys.write(
        reqwest::Method::DELETE,
        &format!("/v1/items/{gone}"),
        json!({}),
    )
    .await;
    let (diary, p) = sys
        .finish("Secret diary", json!({ "visibility": "private" }))
        .await;

    let owner = |token: Option<&str>, query: &str| {
        let mut req = sys
            .client
            .get(format!("{reader}/v1/owner/items{query}"))
            .header("Lately-Min-Position", p);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let res = owner(Some(TOKEN), "").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    assert_eq!(res.headers()["lately-position"], p.to_string().as_str());
    let list: Value = res.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    // Most recently touched first; the removed one is gone for the owner too.
    assert_eq!(ids, [diary.as_str(), dropped.as_str(), wish.as_str()]);
    assert_eq!(items[0]["visibility"], "private");
    assert_eq!(items[0]["status"], "finished");
    assert_eq!(items[0]["version"], 2);
    assert_eq!(items[1]["status"], "abandoned");
    let abandoned: Value = owner(Some(TOKEN), "?status=abandoned")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(abandoned["items"].as_array().unwrap().len(), 1);
    assert_eq!(abandoned["items"][0]["id"], dropped.as_str());
    // Asked for, the removed one is listed (to be restored), and only it.
    let removed: Value = owner(Some(TOKEN), "?status=removed")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(item_ids(&removed), [gone.as_str()]);
    assert_eq!(removed["items"][0]["status"], "removed");
    // By kind and tag, as the public lists filter (every item here is a book).
    for (query, ids) in [
        ("?kind=book&status=abandoned", vec![dropped.as_str()]),
        ("?kind=movie", vec![]),
        ("?tag=Unused", vec![]),
    ] {
        let page: Value = owner(Some(TOKEN), query)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(item_ids(&page), ids, "{query}");
    }
    assert_eq!(list["next_cursor"], Value::Null, "one page holds them all");

    // In pages: each starts after the last item of the one before, and answers from the first
    // page's position, so an item touched meanwhile neither repeats nor pushes one out.
    let first: Value = owner(Some(TOKEN), "?limit=2")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(item_ids(&first), [diary.clone(), dropped.clone()]);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, touched) = sys
        .finish("Touched between pages", json!({ "visibility": "private" }))
        .await;
    let started = sys
        .write(
            reqwest::Method::POST,
            &format!("/v1/items/{wish}/start"),
            json!({}),
        )
        .await["position"]
        .as_i64()
        .unwrap();
    // The replica has seen both writes before the next page is asked for.
    let now = sys
        .client
        .get(format!("{reader}/v1/owner/items?limit=1"))
        .bearer_auth(TOKEN)
        .header("Lately-Min-Position", started)
        .send()
        .await
        .unwrap();
    assert_eq!(
        now.headers()["lately-position"],
        started.to_string().as_str()
    );
    let res = owner(Some(TOKEN), &format!("?limit=2&cursor={cursor}"))
        .await
        .unwrap();
    assert_eq!(res.headers()["lately-position"], p.to_string().as_str());
    let second: Value = res.json().await.unwrap();
    assert_eq!(item_ids(&second), [wish.as_str()]);
    assert_eq!(
        second["items"][0]["status"], "queued",
        "as it was at the first page"
    );
    assert_eq!(second["next_cursor"], Value::Null);
    assert!(started > touched && touched > p);

    for (token, query, status, detail) in [
        (None, "", StatusCode::UNAUTHORIZED, "owner's token"),
        (
            Some("not-the-token"),
            "",
            StatusCode::UNAUTHORIZED,
            "owner's token",
        ),
        (
            Some(TOKEN),
            "?status=read",
            StatusCode::BAD_REQUEST,
            "removed (got",
        ),
        (
            Some(TOKEN),
            "?cursor=12.yesterday",
            StatusCode::BAD_REQUEST,
            "not a cursor",
        ),
        (
            Some(TOKEN),
            "?limit=0",
            StatusCode::BAD_REQUEST,
            "limit must be between 1 and 100",
        ),
        (
            Some(TOKEN),
            "?limit=101",
            StatusCode::BAD_REQUEST,
            "limit must be between 1 and 100",
        ),
    ] {
        let res = owner(token, query).await.unwrap();
        assert_eq!(res.status(), status, "{token:?} {query}");
        if status == StatusCode::UNAUTHORIZED {
            assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"lately\"");
        }
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body = res.text().await.unwrap();
        assert!(body.contains(detail), "{body}");
        assert!(!body.contains("Secret"), "{body}");
    }
    // A reader given no token serves the list to nobody.
    let res = sys
        .client
        .get(format!("{off}/v1/owner/items"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("LATELY_OWNER_TOKEN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owner_sees_private_items_their_history_and_finishes_with_the_token_only() {
    let sys = system().await;
    let mut config = reader_config(&sys.database_url);
    config.owner_token = Some(TOKEN.into());
    let reader = sys.reader(config).await;
    let off = sys.reader(reader_config(&sys.database_url)).await;
    let (diary, finished) = sys
        .finish(
            "Secret diary",
            json!({ "visibility": "private", "tags": ["diary"] }),
        )
        .await;
    let gone = sys.add("Gone", "private").await.0;
    let removed = sys
        .write(
            reqwest::Method::DELETE,
            &format!("/v1/items/{gone}"),
            json!({}),
        )
        .await["position"]
        .as_i64()
        .unwrap();
    let get = |base: &str, path: String, token: Option<&str>| {
        let mut req = sys
            .client
            .get(format!("{base}{path}"))
            .header("Lately-Min-Position", removed);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };

    // No public read shows it; the owner's does, with its whole history, never cached.
    let public = get(&reader, format!("/v1/items/{diary}"), None)
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let res = get(&reader, format!("/v1/owner/items/{diary}"), Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    assert_eq!(
        res.headers()["lately-position"],
        removed.to_string().as_str()
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["item"]["title"], "Secret diary");
    assert_eq!(body["item"]["visibility"], "private");
    assert_eq!(body["item"]["version"], 2);
    let history: Vec<(&str, i64)> = body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["type"].as_str().unwrap(), h["position"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        history,
        [("item_added", finished - 1), ("item_finished", finished)]
    );
    // A removed item: the owner's read says so, with the removal last in its history (what
    // `lately show` shows before a restore); no public read has it.
    let body: Value = get(&reader, format!("/v1/owner/items/{gone}"), Some(TOKEN))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["item"]["status"], "removed", "{body}");
    let types: Vec<&str> = body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.last(), Some(&"item_removed"), "{body}");
    let public = get(&reader, format!("/v1/items/{gone}"), None)
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    // As of before its finish.
    let then: Value = get(
        &reader,
        format!("/v1/owner/items/{diary}?as_of={}", finished - 1),
        Some(TOKEN),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        (
            then["item"]["status"].as_str(),
            then["history"].as_array().unwrap().len()
        ),
        (Some("queued"), 1)
    );

    // The owner's feed: the private finish with its visibility, never cached; the public
    // feed has none of it.
    let res = get(&reader, "/v1/owner/feed".to_owned(), Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    let feed: Value = res.json().await.unwrap();
    let entries: Vec<(&str, &str, i64)> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["item"]["title"].as_str().unwrap(),
                e["visibility"].as_str().unwrap(),
                e["position"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(entries, [("Secret diary", "private", finished)]);
    let public: Value = get(&reader, "/v1/feed".to_owned(), None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["items"].as_array().unwrap().len(), 0, "{public}");
    // The owner's stats count it; the public ones do not.
    let res = get(&reader, "/v1/owner/stats".to_owned(), Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    let stats: Value = res.json().await.unwrap();
    assert_eq!(
        (stats["finished"].as_i64(), stats["position"].as_i64()),
        (Some(1), Some(removed))
    );
    let public: Value = get(&reader, "/v1/stats".to_owned(), None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["finished"], 0);
    // And the owner's tags have its tag; the public ones do not.
    let res = get(&reader, "/v1/owner/tags".to_owned(), Some(TOKEN))
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    let tags: Value = res.json().await.unwrap();
    assert_eq!(
        tags["tags"],
        json!([{ "tag": "diary", "items": 1, "finished": 1 }])
    );
    let public: Value = get(&reader, "/v1/tags".to_owned(), None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["tags"], json!([]));

    for (base, path, token, status, detail) in [
        (
            &reader,
            "/v1/owner/feed".to_owned(),
            None,
            StatusCode::UNAUTHORIZED,
            "owner's token",
        ),
        (
            &reader,
            "/v1/owner/feed?limit=0".to_owned(),
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            &off,
            "/v1/owner/feed".to_owned(),
            Some(TOKEN),
            StatusCode::FORBIDDEN,
            "LATELY_OWNER_TOKEN",
        ),
        (
            &reader,
            "/v1/owner/stats".to_owned(),
            None,
            StatusCode::UNAUTHORIZED,
            "owner's token",
        ),
        (
            &reader,
            "/v1/owner/tags".to_owned(),
            None,
            StatusCode::UNAUTHORIZED,
            "owner's token",
        ),
        (
            &reader,
            "/v1/owner/stats?year=x".to_owned(),
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "year",
        ),
        (
            &reader,
            "/v1/owner/items/nobody".to_owned(),
            Some(TOKEN),
            StatusCode::NOT_FOUND,
            "nobody\\\" was ever added",
        ),
        (
            &reader,
            format!("/v1/owner/items/{diary}"),
            None,
            StatusCode::UNAUTHORIZED,
            "owner's token",
        ),
        (
            &reader,
            format!("/v1/owner/items/{diary}"),
            Some("not-the-token"),
            StatusCode::UNAUTHORIZED,
            "owner's token",
        ),
        (
            &reader,
            format!("/v1/owner/items/{diary}?as_of=x"),
            Some(TOKEN),
            StatusCode::BAD_REQUEST,
            "as_of",
        ),
        (
            &off,
            format!("/v1/owner/items/{diary}"),
            Some(TOKEN),
            StatusCode::FORBIDDEN,
            "LATELY_OWNER_TOKEN",
        ),
    ] {
        let res = get(base, path.clone(), token).await.unwrap();
        assert_eq!(res.status(), status, "{path} {token:?}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body = res.text().await.unwrap();
        assert!(body.contains(detail), "{path}: {body}");
        assert!(!body.contains("Secret"), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_queue_and_the_current_list_come_in_pages() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let mut wishes = Vec::new();
    for title in ["Wish 1", "Wish 2", "Wish 3"] {
        wishes.push(sys.add(title, "public").await.0);
    }
    // Retitled, "Wish 2" was touched after "Wish 3" was added: the queue's order (and its
    // cursors) go by when an item was added, not when it was last touched.
    sys.write(
        reqwest::Method::PATCH,
        &format!("/v1/items/{}", wishes[1]),
        json!({ "title": "Wish 2, retitled" }),
    )
    .await;
    let p = sys.add("Secret wish", "private").await.1;
    let at = |query: &str| sys.json(format!("{reader}{query}&min_position={p}"));

    // Most recently added first, two at a time; the private one is in neither page.
    let first = at("/v1/queue?limit=2").await;
    assert_eq!(item_ids(&first), [wishes[2].clone(), wishes[1].clone()]);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    // Between the pages, the newest wish is started and another added: the next page still
    // answers from the first one's position.
    let started = sys
        .write(
            reqwest::Method::POST,
            &format!("/v1/items/{}/start", wishes[2]),
            json!({}),
        )
        .await["position"]
        .as_i64()
        .unwrap();
    let (late, head) = sys.add("Late wish", "public").await;
    assert!(head > started && started > p);
    sys.converged(std::slice::from_ref(&reader), head).await;
    let second = at(&format!("/v1/queue?limit=2&cursor={cursor}")).await;
    assert_eq!(item_ids(&second), [wishes[0].clone()]);
    assert_eq!(second["position"], p);
    assert_eq!(second["next_cursor"], Value::Null);
    // Now: the started wish has left the queue for the current list.
    let queue = at("/v1/queue?").await;
    assert_eq!(
        item_ids(&queue),
        [late, wishes[1].clone(), wishes[0].clone()]
    );
    assert_eq!(queue["next_cursor"], Value::Null, "one page holds them all");
    let current = at("/v1/current?limit=1").await;
    assert_eq!(item_ids(&current), [wishes[2].clone()]);
    assert_eq!(current["next_cursor"], Value::Null);
    // Filtered as the feed is: every item here is a book.
    assert_eq!(item_ids(&at("/v1/queue?kind=book").await), item_ids(&queue));
    assert!(item_ids(&at("/v1/queue?kind=movie").await).is_empty());

    for query in ["/v1/queue?limit=0", "/v1/current?limit=101"] {
        let res = sys.get(format!("{reader}{query}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("limit must be between 1 and 100"),
            "{query}: {body}"
        );
    }
    for query in ["/v1/current?cursor=12.yesterday", "/v1/queue?kind=vinyl"] {
        let res = sys.get(format!("{reader}{query}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
    }
}

/// Times are kept to the nanosecond. Two finishes within one microsecond are two pages of one
/// entry each, in both lists that page: a cursor cut to the microsecond skipped the second.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn entries_within_one_microsecond_each_get_their_page() {
    let sys = system().await;
    let mut config = reader_config(&sys.database_url);
    config.owner_token = Some(TOKEN.into());
    let reader = sys.reader(config).await;
    let mut last = 0;
    for (title, at) in [
        ("Later", "2026-05-01T12:00:00.000000700Z"),
        ("Earlier", "2026-05-01T12:00:00.000000300Z"),
    ] {
        let body = json!({ "kind": "book", "title": title, "at": "2026-04-01T00:00:00Z" });
        let id = sys.write(reqwest::Method::POST, "/v1/items", body).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        last = sys
            .write(
                reqwest::Method::POST,
                &format!("/v1/items/{id}/finish"),
                json!({ "at": at }),
            )
            .await["position"]
            .as_i64()
            .unwrap();
    }
    sys.converged(std::slice::from_ref(&reader), last).await;
    for (path, title) in [("/v1/feed", "/item/title"), ("/v1/owner/items", "/title")] {
        let mut titles = Vec::new();
        let mut url = format!("{reader}{path}?limit=1");
        // (The token is the owner's; the feed ignores it.)
        loop {
            let page = sys.owner_json(url).await;
            let items = page["items"].as_array().unwrap();
            titles.extend(items.iter().map(|i| i.pointer(title).unwrap().clone()));
            match page["next_cursor"].as_str() {
                Some(c) => url = format!("{reader}{path}?limit=1&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(titles, ["Later", "Earlier"], "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_started_after_ten_thousand_events_catches_up_from_a_snapshot() {
    let sys = system().await;
    // Write straight through the log for speed: 2,000 items, each added, started, progressed,
    // finished and finished again = 10,000 events.
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let appender = lately_log::Appender::spawn(&log, Default::default());
    let at = "2026-06-01T12:00:00Z";
    let events = |i: usize| {
        vec![
            (
                "item_added",
                2,
                json!({ "kind": "article", "title": format!("Article {i}"), "at": at }),
            ),
            ("item_started", 1, json!({ "at": at })),
            (
                "item_progress_logged",
                1,
                json!({ "percent": 50, "at": at }),
            ),
            ("item_finished", 2, json!({ "at": at, "rating": 3.5 })),
            ("item_finished", 2, json!({ "at": at })),
        ]
    };
    futures::future::join_all((0..2000).map(|i| {
        let appender = appender.clone();
        async move {
            let request = lately_log::AppendRequest {
                stream_id: format!("article-{i}"),
                expected_version: Some(0),
                events: events(i)
                    .into_iter()
                    .map(|(t, v, data)| lately_log::NewEvent {
                        event_id: uuid::Uuid::new_v4(),
                        event_type: t.into(),
                        schema_version: v,
                        data,
                        metadata: json!({}),
                    })
                    .collect(),
            };
            appender.append(request).await.unwrap();
        }
    }))
    .await;
    assert_eq!(sys.head().await, 10_000);

    let mut snapshotting = reader_config(&sys.database_url);
    snapshotting.snapshot_every = 1000;
    let first = sys.reader(snapshotting).await;
    let first_status = sys
        .converged(std::slice::from_ref(&first), 10_000)
        .await
        .remove(0);
    assert_eq!(
        first_status["snapshot_position"], 0,
        "nothing to start from yet"
    );
    // The first replica saves a snapshot within a second or two of catching up.
    wait_until(|| async {
        log.latest_snapshot(lately_projection::PROJECTION_VERSION)
            .await
            .unwrap()
            .is_some()
    })
    .await;

    let (_, after) = sys.finish("After the snapshot", json!({})).await;
    let second = sys.reader(reader_config(&sys.database_url)).await;
    let statuses = sys.converged(&[first, second.clone()], after).await;
    assert_eq!(
        statuses[1]["snapshot_position"], 10_000,
        "{:?}",
        statuses[1]
    );
    assert_eq!(statuses[0]["state_hash"], statuses[1]["state_hash"]);
    let stats = sys.json(format!("{second}/v1/stats")).await;
    assert_eq!(stats["finished"], 4001);
    assert_eq!(stats["by_kind"]["article"], 4000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_cut_off_from_the_database_keeps_serving_and_converges() {
    let sys = system().await;
    let proxy = lately_testkit::Proxy::start(lately_testkit::host_port(&sys.database_url)).await;
    let mut through_proxy = reader_config(&proxy.url_for(&sys.database_url));
    through_proxy.poll_ms = 100;
    through_proxy.min_position_wait_ms = 300;
    let cut_off = sys.reader(through_proxy).await;
    let healthy = sys.reader(reader_config(&sys.database_url)).await;
    let (_, p) = sys.finish("Before the cut", json!({})).await;
    sys.converged(&[cut_off.clone(), healthy.clone()], p).await;

    proxy.cut();
    for i in 0..5 {
        sys.finish(&format!("During the cut {i}"), json!({})).await;
    }
    let head = sys.head().await;
    // Still serving what it has, and honest about it.
    let feed = sys.json(format!("{cut_off}/v1/feed")).await;
    assert_eq!(feed["items"][0]["item"]["title"], "Before the cut");
    wait_until(|| async { sys.status(&cut_off).await["database"] == "unreachable" }).await;
    assert_eq!(
        sys.get(format!("{cut_off}/healthz")).await.status(),
        StatusCode::OK
    );
    // It cannot ask the log where its head is, so it cannot call a position unknown: a write
    // it has not read and a made-up position are both "retry" (several asking at once).
    let asks = [head, head, head + 1000, head + 1000].map(|p| {
        let url = format!("{cut_off}/v1/feed?min_position={p}");
        let client = sys.client.clone();
        tokio::spawn(async move { client.get(url).send().await.unwrap() })
    });
    for ask in asks {
        let res = ask.await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()["retry-after"], "1");
    }

    proxy.restore();
    let statuses = sys.converged(&[cut_off.clone(), healthy], head).await;
    assert_eq!(statuses[0]["state_hash"], statuses[1]["state_hash"]);
    assert_eq!(statuses[0]["database"], "connected");
    let feed = sys.json(format!("{cut_off}/v1/feed")).await;
    assert_eq!(feed["items"][0]["item"]["title"], "During the cut 4");
}

/// A network partition (nothing gets through, nothing is closed) is worse than a refusal: a
/// query on a pooled connection waits for an answer that never comes. A read that names a
/// position still answers — 503, since the log cannot be asked — and in bounded time, however
/// many ask at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_partitioned_from_the_database_still_answers_positions() {
    let sys = system().await;
    let proxy = lately_testkit::Proxy::start(lately_testkit::host_port(&sys.database_url)).await;
    let mut through_proxy = reader_config(&proxy.url_for(&sys.database_url));
    through_proxy.min_position_wait_ms = 300;
    let partitioned = sys.reader(through_proxy).await;
    let (_, p) = sys.finish("Before the partition", json!({})).await;
    sys.converged(std::slice::from_ref(&partitioned), p).await;

    proxy.stall();
    let (_, head) = sys.finish("During the partition", json!({})).await;
    let asks = [head, head, head + 1000, head + 1000].map(|p| {
        let url = format!("{partitioned}/v1/feed?min_position={p}");
        let client = sys.client.clone();
        tokio::spawn(async move {
            tokio::time::timeout(std::time::Duration::from_secs(15), client.get(url).send()).await
        })
    });
    for ask in asks {
        let res = ask
            .await
            .unwrap()
            .expect("a read naming a position hangs while the database is partitioned")
            .unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()["retry-after"], "1");
    }
    let feed = sys.json(format!("{partitioned}/v1/feed")).await;
    assert_eq!(feed["items"][0]["item"]["title"], "Before the partition");
    // Its reads of the log give up instead of waiting for the operating system to: it says
    // it is cut off (within the reads' 5 s bound), and is back as soon as the network is.
    wait_until(|| async { sys.status(&partitioned).await["database"] == "unreachable" }).await;

    proxy.restore();
    let status = sys
        .converged(std::slice::from_ref(&partitioned), head)
        .await;
    assert_eq!(status[0]["database"], "connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn caching_cors_pagination_and_bad_parameters() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let mut last = 0;
    for i in 0..5 {
        last = sys.finish(&format!("Paged {i}"), json!({})).await.1;
    }
    sys.converged(std::slice::from_ref(&reader), last).await;

    let res = sys
        .client
        .get(format!("{reader}/v1/feed?limit=2"))
        .header("Origin", "https://blog.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://blog.example"
    );
    assert_eq!(res.headers()["lately-position"], last.to_string().as_str());
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("public"));
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let page1: Value = res.json().await.unwrap();
    let unchanged = sys
        .client
        .get(format!("{reader}/v1/feed?limit=2"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);

    // New finishes land between pages; the cursor keeps walking the state of page one.
    sys.finish("Newcomer", json!({})).await;
    let mut titles: Vec<String> = page1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["item"]["title"].as_str().unwrap().to_owned())
        .collect();
    let mut cursor = page1["next_cursor"].as_str().map(str::to_owned);
    // A cursor handed out before cursors kept nanoseconds still turns the same page.
    let legacy = {
        let e = &page1["items"][1];
        let at = chrono::DateTime::parse_from_rfc3339(e["finished_at"].as_str().unwrap()).unwrap();
        format!("{last}.{}.{}", at.timestamp_micros(), e["position"])
    };
    let by_cursor = |c: String| sys.json(format!("{reader}/v1/feed?limit=2&cursor={c}"));
    assert_eq!(
        by_cursor(legacy).await["items"],
        by_cursor(cursor.clone().unwrap()).await["items"]
    );
    while let Some(c) = cursor {
        let page = sys
            .json(format!("{reader}/v1/feed?limit=2&cursor={c}"))
            .await;
        titles.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["item"]["title"].as_str().unwrap().to_owned()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        titles,
        ["Paged 4", "Paged 3", "Paged 2", "Paged 1", "Paged 0"]
    );

    for (query, detail) in [
        ("/v1/feed?limit=1000", "limit must be between 1 and 100"),
        ("/v1/feed?kind=vinyl", "kind: unknown kind"),
        ("/v1/feed?cursor=garbage", "cursor"),
        ("/v1/feed?year=soon", "year: invalid digit"),
        ("/v1/feed?limit=ten", "limit: invalid digit"),
        ("/v1/feed?kind=book&kind=tv", "duplicate field `kind`"),
        ("/v1/feed?tag=", "tag: tag must not be empty"),
        (
            "/v1/feed?year=20245",
            "year must be between 1900 and 9999 (got 20245)",
        ),
        ("/v1/stats?year=1066", "year must be between 1900 and 9999"),
        ("/v1/current?tag=%01", "tag: "),
        ("/v1/feed?as_of=-1", "must not be negative"),
    ] {
        let res = sys.get(format!("{reader}{query}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["detail"].as_str().unwrap().contains(detail),
            "{query}: {body}"
        );
    }
    // The reader has no write routes.
    let post = sys
        .client
        .post(format!("{reader}/v1/items/x"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    let post = sys
        .client
        .post(format!("{reader}/v1/items"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
}
