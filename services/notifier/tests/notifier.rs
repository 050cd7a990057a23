//! The real notifier binary, a real PostgreSQL, the real writer and the X sandbox.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

const TOKEN: &str = "notifier-tests-token";
// Distinctive, so a leak into the logs cannot hide among other words.
const CONSUMER_KEY: &str = "ck-4f1d9a";
const CONSUMER_SECRET: &str = "consumer-SECRET-7c2e91";
const ACCESS_TOKEN: &str = "at-0b83e5";
const ACCESS_SECRET: &str = "access-SECRET-d45a10";

struct Env {
    database_url: String,
    writer: String,
    sandbox: String,
    client: reqwest::Client,
}

struct Notifier {
    child: Child,
    url: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn env() -> Env {
    let database_url = lately_testkit::postgres_database().await;
    let writer_url = lately_writer::startup::Application::spawn_local(&database_url, TOKEN, &[])
        .await
        .unwrap();
    let sandbox = lately_x_sandbox::Sandbox::build(lately_x_sandbox::Config {
        listen: "127.0.0.1:0".into(),
        consumer_key: CONSUMER_KEY.into(),
        consumer_secret: CONSUMER_SECRET.into(),
        access_token: ACCESS_TOKEN.into(),
        access_secret: ACCESS_SECRET.into(),
    })
    .unwrap();
    let sandbox_url = format!("http://127.0.0.1:{}", sandbox.port());
    tokio::spawn(sandbox.run_until_stopped());
    let env = Env {
        database_url,
        writer: writer_url,
        sandbox: sandbox_url,
        client: reqwest::Client::new(),
    };
    env.until("the writer is ready", || async {
        env.client
            .get(format!("{}/readyz", env.writer))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
    env
}

impl Env {
    async fn until<F, Fut>(&self, what: &str, ok: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        lately_testkit::until(what, ok).await
    }

    /// Starts the notifier binary with the sandbox's credentials, no grace delay, and `extra`.
    async fn notifier(&self, extra: &[(&str, &str)]) -> Notifier {
        self.notifier_logging_to(extra, std::process::Stdio::inherit())
            .await
    }

    async fn notifier_logging_to(
        &self,
        extra: &[(&str, &str)],
        log: std::process::Stdio,
    ) -> Notifier {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lately-notifier"));
        cmd.env("DATABASE_URL", &self.database_url)
            .env("LATELY_NOTIFIER_ADDR", format!("127.0.0.1:{port}"))
            .env("X_API_BASE", &self.sandbox)
            .env("X_CONSUMER_KEY", CONSUMER_KEY)
            .env("X_CONSUMER_SECRET", CONSUMER_SECRET)
            .env("X_ACCESS_TOKEN", ACCESS_TOKEN)
            .env("X_ACCESS_SECRET", ACCESS_SECRET)
            .env("LATELY_TWEET_DELAY", "0")
            .env("LATELY_POSTING_TIMEOUT", "2s")
            .env("LATELY_POLL_MS", "50")
            .env("RUST_LOG", "warn")
            .env("LATELY_OWNER_TOKEN", TOKEN)
            .stdout(log)
            .kill_on_drop(true);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let n = Notifier {
            child: cmd.spawn().unwrap(),
            url: format!("http://127.0.0.1:{port}"),
        };
        // Ready, or up and refused by X already: as ready as it will be.
        self.until("the notifier is ready", || async {
            self.readyz(&n).await.is_some_and(|(status, says)| {
                status == 200 || says.contains("refused the credentials")
            })
        })
        .await;
        n
    }

    /// `/readyz`'s status and body, if the notifier answers.
    async fn readyz(&self, n: &Notifier) -> Option<(u16, String)> {
        let r = self
            .client
            .get(format!("{}/readyz", n.url))
            .send()
            .await
            .ok()?;
        Some((r.status().as_u16(), r.text().await.ok()?))
    }

    async fn get(&self, url: String) -> Value {
        self.client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn status(&self, n: &Notifier) -> Value {
        self.get(format!("{}/v1/status", n.url)).await
    }

    /// A page of the outbox (`GET /v1/outbox?{query}`), with the owner's token.
    async fn outbox(&self, n: &Notifier, query: &str) -> Value {
        let res = self
            .client
            .get(format!("{}/v1/outbox?{query}", n.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "GET /v1/outbox?{query}");
        res.json().await.unwrap()
    }

    /// The outbox entry of the finish at `position` (null if none).
    async fn entry(&self, n: &Notifier, position: i64) -> Value {
        let page = self
            .outbox(n, &format!("before={}&limit=1", position + 1))
            .await;
        Some(&page["entries"][0])
            .filter(|e| e["finish_position"] == position)
            .cloned()
            .unwrap_or(Value::Null)
    }

    async fn until_leader(&self, n: &Notifier) {
        self.until("the notifier leads", || async {
            self.status(n).await["leader"] == true
        })
        .await;
    }

    async fn write(&self, method: Method, path: &str, body: Value) -> Value {
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

    async fn add(&self, body: Value) -> String {
        self.write(Method::POST, "/v1/items", body).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn finish(&self, id: &str, body: Value) -> i64 {
        self.write(Method::POST, &format!("/v1/items/{id}/finish"), body)
            .await["position"]
            .as_i64()
            .unwrap()
    }

    async fn remove(&self, id: &str) {
        self.write(Method::DELETE, &format!("/v1/items/{id}"), json!({}))
            .await;
    }

    async fn restore(&self, id: &str) {
        self.write(Method::POST, &format!("/v1/items/{id}/restore"), json!({}))
            .await;
    }

    async fn set_visibility(&self, id: &str, visibility: &str) {
        self.write(
            Method::PATCH,
            &format!("/v1/items/{id}"),
            json!({ "visibility": visibility }),
        )
        .await;
    }

    /// The owner's retry of the tweet of the finish at `position`: the answer's status.
    async fn retry(&self, n: &Notifier, position: i64) -> u16 {
        self.client
            .post(format!("{}/v1/outbox/{position}/retry", n.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// The tweets in the sandbox, newest first, as it lists them (with their pictures).
    async fn sandbox_tweets(&self) -> Vec<Value> {
        let body = self.get(format!("{}/_sandbox/tweets", self.sandbox)).await;
        body["data"].as_array().unwrap().clone()
    }

    /// Their texts.
    async fn tweets(&self) -> Vec<String> {
        self.sandbox_tweets()
            .await
            .iter()
            .map(|t| t["text"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn until_tweets(&self, n: usize) -> Vec<String> {
        self.until(&format!("{n} tweets are in the sandbox"), || async {
            self.tweets().await.len() >= n
        })
        .await;
        self.tweets().await
    }

    /// Waits until the outbox entry of the finish at `position` has `status`.
    async fn until_entry(&self, n: &Notifier, position: i64, status: &str) -> Value {
        for _ in 0..400 {
            let found = self.entry(n, position).await;
            if found["status"] == status {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "outbox entry {position} never became {status}: {}",
            self.entry(n, position).await
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_public_finish_is_tweeted_once_with_the_right_text() {
    let env = env().await;
    let n = env.notifier(&[]).await;
    env.until_leader(&n).await;
    let dune = env.add(json!({ "kind": "book", "title": "Dune", "creators": ["Frank Herbert"], "url": "https://example.com/dune" })).await;
    env.finish(&dune, json!({ "rating": 4.5 })).await;
    let tweets = env.until_tweets(1).await;
    assert_eq!(
        tweets,
        ["Finished reading “Dune” by Frank Herbert ★★★★½ https://example.com/dune"]
    );

    // A re-read is a new finish, and says so; a private item is never tweeted.
    env.finish(&dune, json!({ "rating": 5 })).await;
    let secret = env
        .add(json!({ "kind": "movie", "title": "Secret film", "visibility": "private" }))
        .await;
    let secret_finish = env.finish(&secret, json!({})).await;
    // Played for nine days, 22 hours in all: the tweet says how long it took.
    let game = env
        .add(json!({ "kind": "game", "title": "Outer Wilds" }))
        .await;
    let begun = chrono::Utc::now() - chrono::Duration::days(9);
    env.write(
        Method::POST,
        &format!("/v1/items/{game}/start"),
        json!({ "at": begun }),
    )
    .await;
    env.write(
        Method::POST,
        &format!("/v1/items/{game}/progress"),
        json!({ "done": 79_200, "unit": "seconds" }),
    )
    .await;
    env.finish(&game, json!({})).await;
    let tweets = env.until_tweets(3).await;
    assert_eq!(
        tweets[0],
        "Finished playing “Outer Wilds” in 9 days (22h played)"
    );
    assert_eq!(
        tweets[1],
        "Finished reading “Dune” by Frank Herbert for the 2nd time ★★★★★ https://example.com/dune"
    );
    let entry = env.until_entry(&n, secret_finish, "skipped").await;
    assert!(entry["reason"].as_str().unwrap().contains("private"));

    // The same rating again: without the count, the text would repeat the last tweet word for
    // word, and X refuses duplicate content.
    let third = env.finish(&dune, json!({ "rating": 5 })).await;
    let tweets = env.until_tweets(4).await;
    assert_eq!(
        tweets[0],
        "Finished reading “Dune” by Frank Herbert for the 3rd time ★★★★★ https://example.com/dune"
    );
    env.until_entry(&n, third, "posted").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(env.tweets().await.len(), 4);

    // A book followed in running time, as a player shows it, was listened to.
    let audiobook = env
        .add(json!({ "kind": "book", "title": "Project Hail Mary" }))
        .await;
    env.write(
        Method::POST,
        &format!("/v1/items/{audiobook}/progress"),
        json!({ "done": 4_800, "of": 58_200, "unit": "seconds" }),
    )
    .await;
    env.finish(&audiobook, json!({})).await;
    let tweets = env.until_tweets(5).await;
    assert_eq!(tweets[0], "Finished listening to “Project Hail Mary”");
    // And one whose finish says so, with no progress logged.
    let heard = env
        .add(json!({ "kind": "book", "title": "Klara and the Sun" }))
        .await;
    env.finish(&heard, json!({ "listened": true })).await;
    let tweets = env.until_tweets(6).await;
    assert_eq!(tweets[0], "Finished listening to “Klara and the Sun”");
}

/// A tweet shows its item's cover, as a book shared from Goodreads does: fetched from the
/// item's `cover_url` when the tweet is due, uploaded with its alt text, attached. A cover
/// that cannot be had (a 404, Open Library's 1×1 placeholder, a page that is no picture)
/// leaves the tweet to go out without it, on time, the outbox saying why;
/// `LATELY_TWEET_COVERS=false` fetches none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tweet_shows_its_items_cover_or_goes_without_it_saying_why() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    const PNG: &[u8] = include_bytes!("../../reader/src/owner-icon.png");
    // The 1×1 GIF Open Library answers for an ISBN it has no cover of.
    const PIXEL: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    let env = env().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    // Kindred's host fails once, then sends it; Hyperion's is down for good.
    let flaky = Arc::new(AtomicUsize::new(0));
    let server = actix_web::HttpServer::new(move || {
        let counter = counter.clone();
        let flaky = flaky.clone();
        actix_web::App::new().default_service(actix_web::web::to(
            move |req: actix_web::HttpRequest| {
                counter.fetch_add(1, Ordering::SeqCst);
                let first =
                    req.path() == "/kindred.png" && flaky.fetch_add(1, Ordering::SeqCst) == 0;
                async move {
                    match req.path() {
                        "/dune.png" => actix_web::HttpResponse::Ok()
                            .content_type("image/png")
                            .body(PNG),
                        "/kindred.png" if first => {
                            actix_web::HttpResponse::ServiceUnavailable().finish()
                        }
                        "/kindred.png" => actix_web::HttpResponse::Ok()
                            .content_type("image/png")
                            .body(PNG),
                        "/hyperion.jpg" => actix_web::HttpResponse::BadGateway().finish(),
                        "/blank.gif" => actix_web::HttpResponse::Ok()
                            .content_type("image/gif")
                            .body(PIXEL),
                        "/aftersun.jpg" => actix_web::HttpResponse::Ok()
                            .content_type("text/html")
                            .body("<!doctype html><title>Moved</title>"),
                        _ => actix_web::HttpResponse::NotFound().finish(),
                    }
                }
            },
        ))
    })
    .bind("127.0.0.1:0")
    .unwrap();
    let covers = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    tokio::spawn(server.run());

    let n = env.notifier(&[]).await;
    env.until_leader(&n).await;
    let dune = env.add(json!({ "kind": "book", "title": "Dune", "creators": ["Frank Herbert"], "cover_url": format!("{covers}/dune.png") })).await;
    let blank = env.add(json!({ "kind": "book", "title": "Piranesi", "cover_url": format!("{covers}/blank.gif") })).await;
    let page = env.add(json!({ "kind": "movie", "title": "Aftersun", "cover_url": format!("{covers}/aftersun.jpg") })).await;
    let gone = env.add(json!({ "kind": "game", "title": "Outer Wilds", "cover_url": format!("{covers}/gone.jpg") })).await;
    let plain = env
        .add(json!({ "kind": "article", "title": "The Slow Web" }))
        .await;
    let flaky = env.add(json!({ "kind": "book", "title": "Kindred", "cover_url": format!("{covers}/kindred.png") })).await;
    let down = env.add(json!({ "kind": "book", "title": "Hyperion", "cover_url": format!("{covers}/hyperion.jpg") })).await;
    let mut reasons = Vec::new();
    for id in [&dune, &blank, &page, &gone, &plain, &flaky, &down] {
        let at = env.finish(id, json!({})).await;
        reasons.push(env.until_entry(&n, at, "posted").await["reason"].clone());
    }
    assert_eq!(
        reasons,
        [
            Value::Null,
            json!(format!("posted without its cover: the cover at {covers}/blank.gif is a placeholder of 1×1 pixels, not a cover")),
            json!(format!("posted without its cover: the cover at {covers}/aftersun.jpg is not a JPEG, PNG, GIF or WebP picture")),
            json!(format!("posted without its cover: the cover at {covers}/gone.jpg answered 404 Not Found")),
            Value::Null,
            // Asked again after its 503.
            Value::Null,
            json!(format!("posted without its cover: the cover at {covers}/hyperion.jpg answered 502 Bad Gateway (3 tries)")),
        ]
    );
    let tweets = env.sandbox_tweets().await;
    let pictures: Vec<(&str, usize)> = tweets
        .iter()
        .map(|t| {
            (
                t["text"].as_str().unwrap(),
                t["media"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(
        pictures,
        [
            ("Finished reading “Hyperion”", 0),
            ("Finished reading “Kindred”", 1),
            ("Finished reading “The Slow Web”", 0),
            ("Finished playing “Outer Wilds”", 0),
            ("Finished watching “Aftersun”", 0),
            ("Finished reading “Piranesi”", 0),
            ("Finished reading “Dune” by Frank Herbert", 1),
        ]
    );
    let cover = &tweets[6]["media"][0];
    assert_eq!(
        (&cover["content_type"], &cover["alt_text"]),
        (
            &json!("image/png"),
            &json!("The cover of Dune by Frank Herbert")
        )
    );
    let uploaded = env
        .client
        .get(format!("{}{}", env.sandbox, cover["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(uploaded == PNG, "the picture attached is not the cover");
    assert_eq!(
        asked.load(Ordering::SeqCst),
        4 + 2 + 3,
        "one fetch per cover that answered, three for the one down, two for the one back"
    );

    // X refuses the tweet with its picture (an upload expired): it goes out without.
    env.client
        .post(format!("{}/_sandbox/faults", env.sandbox))
        .json(&json!({ "reject_media": 1 }))
        .send()
        .await
        .unwrap();
    let again = env.finish(&dune, json!({})).await;
    assert_eq!(
        env.until_entry(&n, again, "posted").await["reason"],
        "posted without its cover: X refused the tweet with it: X answered 400: Your media IDs are invalid."
    );
    let tweets = env.sandbox_tweets().await;
    assert_eq!(
        (tweets[0]["text"].as_str().unwrap(), tweets[0].get("media")),
        (
            "Finished reading “Dune” by Frank Herbert for the 2nd time",
            None
        )
    );
    assert_eq!(tweets.len(), 8);

    // Covers off: Dune's third read goes without, and nothing is fetched.
    drop(n);
    let n = env.notifier(&[("LATELY_TWEET_COVERS", "false")]).await;
    env.until_leader(&n).await;
    let third = env.finish(&dune, json!({})).await;
    assert_eq!(
        env.until_entry(&n, third, "posted").await["reason"],
        Value::Null
    );
    let tweets = env.sandbox_tweets().await;
    assert_eq!(
        (tweets[0]["text"].as_str().unwrap(), tweets[0].get("media")),
        (
            "Finished reading “Dune” by Frank Herbert for the 3rd time",
            None
        )
    );
    assert_eq!(
        asked.load(Ordering::SeqCst),
        10,
        "a cover fetched with covers off"
    );
}

/// The sandbox keeps the latest 200 pictures (X lets an unused upload expire): the oldest let
/// go, its id never given again, the tweets still posted with the ones kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_keeps_the_latest_pictures() {
    use lately_notifier::configuration::{Credentials, Secret};
    let env = env().await;
    let x = lately_notifier::x::XClient::new(
        &env.sandbox,
        &Credentials {
            consumer_key: Secret(CONSUMER_KEY.into()),
            consumer_secret: Secret(CONSUMER_SECRET.into()),
            access_token: Secret(ACCESS_TOKEN.into()),
            access_secret: Secret(ACCESS_SECRET.into()),
        },
        Duration::from_secs(5),
    );
    let picture =
        lately_notifier::cover::picture(include_bytes!("../../reader/src/owner-icon.png").to_vec())
            .unwrap();
    let mut ids = Vec::new();
    for _ in 0..201 {
        ids.push(x.upload(&picture, "The cover").await.unwrap());
    }
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), 201);
    let bytes = |id: &str| {
        env.client
            .get(format!("{}/_sandbox/media/{id}", env.sandbox))
            .send()
    };
    assert_eq!(
        bytes(&ids[0]).await.unwrap().status(),
        404,
        "the oldest let go"
    );
    assert_eq!(bytes(&ids[1]).await.unwrap().status(), 200);
    assert_eq!(
        x.post("A tweet with the latest", Some(&ids[200])).await,
        lately_notifier::x::Posted::Created {
            id: "1800000000000000001".into(),
            day: None
        }
    );
    assert!(matches!(
        x.post("A tweet with the oldest", Some(&ids[0])).await,
        lately_notifier::x::Posted::Rejected(why) if why.contains("no longer kept")
    ));
}

/// `{count}` and `{goal}`: where a finish stands in the year of its day, as the public stats
/// were when it was finished (a private item's finish uncounted, a finish of last year in
/// last year's), against the owner's goals (`LATELY_GOALS`); and `{hashtags}`, the item's tags.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tweet_can_say_where_the_finish_stands_in_its_year() {
    use chrono::Datelike;
    let env = env().await;
    let n = env
        .notifier(&[
            ("LATELY_TWEET_TEMPLATE", "{title}: {count}{goal}{hashtags}"),
            ("LATELY_GOALS", "book=2, 10"),
            ("LATELY_TWEET_DELAY", "1s"),
            ("LATELY_TWEET_MAX_AGE", "1000d"),
        ])
        .await;
    env.until_leader(&n).await;
    let year = chrono::Utc::now().year();
    let book = |title: &str, visibility: &str| json!({ "kind": "book", "title": title, "visibility": visibility });
    let mut tagged = book("First", "public");
    tagged["tags"] = json!(["sf", "le guin"]);
    let first = env.add(tagged).await;
    env.finish(&first, json!({})).await;
    let secret = env.add(book("Secret", "private")).await;
    let secret_at = env.finish(&secret, json!({})).await;
    // Private when finished, public within the grace delay: tweeted, and counted itself.
    let shy = env.add(book("Shy", "private")).await;
    env.finish(&shy, json!({})).await;
    env.set_visibility(&shy, "public").await;
    let film = env.add(json!({ "kind": "movie", "title": "A Film" })).await;
    env.finish(&film, json!({})).await;
    let late = env.add(book("Last Year's", "public")).await;
    env.finish(
        &late,
        json!({ "at": format!("{}-12-31T12:00:00Z", year - 1) }),
    )
    .await;
    let mut tweets = env.until_tweets(4).await;
    tweets.sort();
    assert_eq!(
        tweets,
        [
            format!("A Film: 1st film of {year} (3 of 10 in {year})"),
            format!("First: 1st book of {year} (1 of 2 books in {year}) #sf #leguin"),
            format!(
                "Last Year's: 1st book of {} (1 of 2 books in {})",
                year - 1,
                year - 1
            ),
            format!("Shy: 2nd book of {year} (2 of 2 books in {year})"),
        ]
    );
    env.until_entry(&n, secret_at, "skipped").await;
}

/// With the feed's address (`LATELY_PUBLIC_URL`), a tweet of an item without a link of its
/// own links to the finish on the item's page there; an item with one keeps its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_without_a_link_is_tweeted_with_its_page_on_the_feed() {
    let env = env().await;
    let n = env
        .notifier(&[("LATELY_PUBLIC_URL", "https://example.com/lately/")])
        .await;
    env.until_leader(&n).await;
    let piranesi = env
        .add(json!({ "kind": "book", "title": "Piranesi" }))
        .await;
    let position = env.finish(&piranesi, json!({})).await;
    let dune = env
        .add(json!({ "kind": "book", "title": "Dune", "url": "https://example.com/dune" }))
        .await;
    env.finish(&dune, json!({})).await;
    let tweets = env.until_tweets(2).await;
    assert_eq!(
        tweets,
        [
            "Finished reading “Dune” https://example.com/dune".to_owned(),
            format!(
                "Finished reading “Piranesi” https://example.com/lately/items/{piranesi}#finish-{position}"
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_old_backfills_are_not_tweeted() {
    let env = env().await;
    for title in ["Before 1", "Before 2"] {
        let id = env.add(json!({ "kind": "book", "title": title })).await;
        env.finish(&id, json!({})).await;
    }
    let n = env
        .notifier(&[("LATELY_TIME_ZONE", "America/Los_Angeles")])
        .await;
    env.until_leader(&n).await;
    let old = env
        .add(json!({ "kind": "book", "title": "Read in 2019" }))
        .await;
    // An evening in California: the next day in UTC. The reason names the owner's day.
    let old_finish = env
        .finish(&old, json!({ "at": "2019-04-11T02:00:00Z" }))
        .await;
    let entry = env.until_entry(&n, old_finish, "skipped").await;
    assert_eq!(
        entry["reason"],
        "finished 2019-04-10, longer ago than LATELY_TWEET_MAX_AGE"
    );
    let fresh = env.add(json!({ "kind": "book", "title": "Fresh" })).await;
    env.finish(&fresh, json!({})).await;
    assert_eq!(env.until_tweets(1).await, ["Finished reading “Fresh”"]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(env.tweets().await.len(), 1, "history was tweeted");
}

/// A finish recorded with `"tweet": false` (`lately finish --no-tweet`, every import) is in the
/// outbox as skipped, saying why, and never posted, until the owner asks for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finish_recorded_not_to_be_tweeted_is_not_unless_the_owner_asks() {
    let env = env().await;
    let n = env.notifier(&[]).await;
    env.until_leader(&n).await;
    let quiet = env.add(json!({ "kind": "book", "title": "Quiet" })).await;
    let quiet = env.finish(&quiet, json!({ "tweet": false })).await;
    let loud = env.add(json!({ "kind": "book", "title": "Loud" })).await;
    let loud = env.finish(&loud, json!({ "tweet": true })).await;
    let entry = env.until_entry(&n, quiet, "skipped").await;
    assert!(
        entry["reason"]
            .as_str()
            .unwrap()
            .contains("not to be tweeted"),
        "{entry}"
    );
    env.until_entry(&n, loud, "posted").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.tweets().await, ["Finished reading “Loud”"]);

    assert_eq!(env.retry(&n, quiet).await, 202);
    env.until_entry(&n, quiet, "posted").await;
    let mut tweets = env.tweets().await;
    tweets.sort();
    assert_eq!(
        tweets,
        ["Finished reading “Loud”", "Finished reading “Quiet”"]
    );
}

/// `LATELY_TWEET_KINDS`: the finishes of other kinds are skipped, saying why (an article read
/// is not tweeted when only books and films are), and the owner's retry still posts one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_kinds_asked_for_are_tweeted() {
    let env = env().await;
    let n = env.notifier(&[("LATELY_TWEET_KINDS", "book, movie")]).await;
    env.until_leader(&n).await;
    let article = env
        .add(json!({ "kind": "article", "title": "Choose Boring Technology" }))
        .await;
    let article = env.finish(&article, json!({})).await;
    let show = env.add(json!({ "kind": "tv", "title": "Severance" })).await;
    let show = env.finish(&show, json!({})).await;
    let film = env.add(json!({ "kind": "movie", "title": "Heat" })).await;
    let film = env.finish(&film, json!({})).await;
    for (position, why) in [
        (article, "articles are not tweeted (LATELY_TWEET_KINDS)"),
        (show, "TV shows are not tweeted (LATELY_TWEET_KINDS)"),
    ] {
        let entry = env.until_entry(&n, position, "skipped").await;
        assert_eq!(entry["reason"], why, "{entry}");
    }
    env.until_entry(&n, film, "posted").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.tweets().await, ["Finished watching “Heat”"]);
    assert_eq!(env.retry(&n, article).await, 202);
    env.until_entry(&n, article, "posted").await;
    assert_eq!(env.tweets().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grace_window_tweets_the_final_state_or_nothing() {
    let env = env().await;
    let n = env.notifier(&[("LATELY_TWEET_DELAY", "2s")]).await;
    env.until_leader(&n).await;
    let removed = env
        .add(json!({ "kind": "book", "title": "Regretted" }))
        .await;
    let removed_at = env.finish(&removed, json!({})).await;
    env.remove(&removed).await;
    let hidden = env
        .add(json!({ "kind": "book", "title": "Embarrassing" }))
        .await;
    let hidden_at = env.finish(&hidden, json!({})).await;
    env.set_visibility(&hidden, "private").await;
    let typo = env
        .add(json!({ "kind": "movie", "title": "Pst Lives" }))
        .await;
    env.finish(&typo, json!({ "rating": 4 })).await;
    env.write(
        Method::PATCH,
        &format!("/v1/items/{typo}"),
        json!({ "title": "Past Lives" }),
    )
    .await;
    // A second thought on the rating, within the window too: the tweet has the revised one.
    env.write(
        Method::PATCH,
        &format!("/v1/items/{typo}/finish"),
        json!({ "rating": 4.5 }),
    )
    .await;
    // And it was begun three days ago, not today: the tweet says how long it took.
    env.write(
        Method::PATCH,
        &format!("/v1/items/{typo}/finish"),
        json!({ "started_at": chrono::Utc::now() - chrono::Duration::days(3) }),
    )
    .await;
    // Logged the morning after: the finish moved back a day, and it took one day less.
    env.write(
        Method::PATCH,
        &format!("/v1/items/{typo}/finish"),
        json!({ "finished_at": chrono::Utc::now() - chrono::Duration::days(1) }),
    )
    .await;
    // Finished by mistake (the wrong item), taken back within the window: never tweeted.
    let mistaken = env
        .add(json!({ "kind": "book", "title": "Not This One" }))
        .await;
    let mistaken_at = env.finish(&mistaken, json!({})).await;
    env.write(
        Method::DELETE,
        &format!("/v1/items/{mistaken}/finish"),
        json!({}),
    )
    .await;
    // Removed by mistake and restored within the window: tweeted as if never removed.
    let restored = env
        .add(json!({ "kind": "game", "title": "Brought Back" }))
        .await;
    env.finish(&restored, json!({})).await;
    env.remove(&restored).await;
    env.restore(&restored).await;

    assert!(
        env.tweets().await.is_empty(),
        "tweeted inside the grace window"
    );
    assert_eq!(
        env.until_tweets(2).await,
        // Newest first, as the sandbox lists them.
        [
            "Finished playing “Brought Back”",
            "Finished watching “Past Lives” in 2 days ★★★★½"
        ]
    );
    env.until_entry(&n, removed_at, "skipped").await;
    env.until_entry(&n, hidden_at, "skipped").await;
    let entry = env.until_entry(&n, mistaken_at, "skipped").await;
    assert!(
        entry["reason"].as_str().unwrap().contains("retracted"),
        "{entry}"
    );
    assert_eq!(env.tweets().await.len(), 2);
}

/// A finish taken back after its tweet went out has the tweet deleted, once; finishing the
/// item again tweets again. A tweet already gone from the account (deleted by hand) counts
/// as deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tweet_of_a_retracted_finish_is_deleted() {
    let env = env().await;
    let n = env.notifier(&[]).await;
    env.until_leader(&n).await;
    let wrong = env
        .add(json!({ "kind": "book", "title": "The Wrong Book" }))
        .await;
    let first = env.finish(&wrong, json!({ "rating": 2 })).await;
    assert_eq!(
        env.until_tweets(1).await,
        ["Finished reading “The Wrong Book” ★★"]
    );
    let posted = env.until_entry(&n, first, "posted").await;
    env.write(
        Method::DELETE,
        &format!("/v1/items/{wrong}/finish"),
        json!({}),
    )
    .await;
    let deleted = env.until_entry(&n, first, "deleted").await;
    assert_eq!(deleted["tweet_id"], posted["tweet_id"]);
    assert!(
        deleted["reason"].as_str().unwrap().contains("retracted"),
        "{deleted}"
    );
    assert!(env.tweets().await.is_empty(), "the tweet is still there");

    // Finished for real this time: tweeted again, and that tweet stays.
    let again = env.finish(&wrong, json!({ "rating": 4 })).await;
    assert_eq!(
        env.until_tweets(1).await,
        ["Finished reading “The Wrong Book” ★★★★"]
    );
    env.until_entry(&n, again, "posted").await;

    // Gone already when the finish is taken back: nothing to delete, and nothing breaks.
    let res = env
        .client
        .delete(format!("{}/_sandbox/tweets", env.sandbox))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    env.write(
        Method::DELETE,
        &format!("/v1/items/{wrong}/finish"),
        json!({}),
    )
    .await;
    env.until_entry(&n, again, "deleted").await;
    let status = env.status(&n).await;
    assert_eq!(status["counts"]["deleted"], 2, "{status}");
    assert!(env.tweets().await.is_empty());
}

/// A tweet follows its item off the feed: removing the item, or making it private, deletes
/// every tweet of its finishes, once. Putting it back (restore, public again) posts nothing by
/// itself; the owner's retry of a deleted entry posts it again, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tweets_of_an_item_removed_or_made_private_are_deleted() {
    let env = env().await;
    let n = env.notifier(&[]).await;
    env.until_leader(&n).await;

    // Removed: its tweet goes.
    let removed = env.add(json!({ "kind": "movie", "title": "Heat" })).await;
    let heat = env.finish(&removed, json!({ "rating": 5 })).await;
    let posted = env.until_entry(&n, heat, "posted").await;
    env.remove(&removed).await;
    let deleted = env.until_entry(&n, heat, "deleted").await;
    assert_eq!(deleted["tweet_id"], posted["tweet_id"]);
    assert_eq!(
        deleted["reason"], "the item was removed: its tweet was deleted",
        "{deleted}"
    );
    assert!(env.tweets().await.is_empty(), "the tweet is still there");

    // Made private: every one of its tweets goes, a re-read's too.
    let hidden = env
        .add(json!({ "kind": "book", "title": "Twilight" }))
        .await;
    let first = env.finish(&hidden, json!({})).await;
    env.until_entry(&n, first, "posted").await;
    let second = env.finish(&hidden, json!({ "rating": 1 })).await;
    env.until_entry(&n, second, "posted").await;
    assert_eq!(env.tweets().await.len(), 2);
    env.set_visibility(&hidden, "private").await;
    for position in [first, second] {
        let deleted = env.until_entry(&n, position, "deleted").await;
        assert_eq!(
            deleted["reason"], "the item was made private: its tweet was deleted",
            "{deleted}"
        );
        assert!(
            deleted["text"]
                .as_str()
                .unwrap()
                .starts_with("Finished reading “Twilight”"),
            "{deleted}"
        );
    }
    assert!(env.tweets().await.is_empty(), "a tweet is still there");
    // The outbox keeps the deleted tweets' text and names the private item: it is the
    // owner's. What anyone who reaches the notifier reads says neither.
    let status = env.status(&n).await.to_string();
    assert!(
        !status.contains(&hidden) && !status.contains("Twilight"),
        "{status}"
    );
    for token in [None, Some("guess")] {
        let mut req = env.client.get(format!("{}/v1/outbox", n.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{token:?}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{token:?}"
        );
        let body = res.text().await.unwrap();
        assert!(
            body.contains("the outbox needs the owner's token") && !body.contains("Twilight"),
            "{body}"
        );
    }
    let res = env
        .client
        .get(format!("{}/v1/outbox", n.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "private, no-store");

    // Back on the feed: restored, public again. Nothing is posted by itself: a finish written
    // after both edits is tweeted, and it is the only tweet.
    env.restore(&removed).await;
    env.set_visibility(&hidden, "public").await;
    let later = env
        .add(json!({ "kind": "book", "title": "Piranesi" }))
        .await;
    let piranesi = env.finish(&later, json!({})).await;
    let piranesi_posted = env.until_entry(&n, piranesi, "posted").await;
    assert_eq!(env.tweets().await, ["Finished reading “Piranesi”"]);
    assert_eq!(
        env.until_entry(&n, heat, "deleted").await["tweet_id"],
        posted["tweet_id"]
    );

    // The owner wants the removed film's tweet back: posted again, once.
    assert_eq!(env.retry(&n, heat).await, 202);
    let reposted = env.until_entry(&n, heat, "posted").await;
    assert_ne!(reposted["tweet_id"], posted["tweet_id"]);
    let mut tweets = env.tweets().await;
    tweets.sort();
    assert_eq!(
        tweets,
        [
            "Finished reading “Piranesi”",
            "Finished watching “Heat” ★★★★★"
        ]
    );
    let status = env.status(&n).await;
    assert_eq!(status["counts"]["deleted"], 2, "{status}");
    assert_eq!(status["counts"]["posted"], 2, "{status}");

    // Removed, and restored while X fails the deletion: back on the feed before its tweet
    // could be deleted, it keeps it.
    let faults = |server_errors: u32| {
        let req = env
            .client
            .post(format!("{}/_sandbox/faults", env.sandbox))
            .json(&json!({ "server_errors": server_errors }));
        async move { assert!(req.send().await.unwrap().status().is_success()) }
    };
    faults(1_000_000).await;
    env.remove(&later).await;
    env.until("the deletion failed", || async {
        let entry = env.until_entry(&n, piranesi, "deleting").await;
        entry["reason"]
            .as_str()
            .is_some_and(|r| r.contains("injected failure; trying again at "))
    })
    .await;
    // Put off, not tried again at every round of the leader's (every 50 ms here), and counted
    // as an attempt, so that the next failure puts it off for longer.
    let failed = env.until_entry(&n, piranesi, "deleting").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let still = env.until_entry(&n, piranesi, "deleting").await;
    assert_eq!(still["updated_at"], failed["updated_at"], "{still}");
    assert_eq!(
        still["attempts"].as_i64().unwrap(),
        piranesi_posted["attempts"].as_i64().unwrap() + 1,
        "{still}"
    );
    env.restore(&later).await;
    let kept = env.until_entry(&n, piranesi, "posted").await;
    faults(0).await;
    assert_eq!(
        kept["reason"],
        "the item is on the feed again before its tweet was deleted: the tweet stays"
    );
    assert!(env
        .tweets()
        .await
        .contains(&"Finished reading “Piranesi”".to_owned()));

    // Removed again, restored, and retried at once: the retry is judged on the log with the
    // restore in it, not skipped as "removed" by a notifier a moment behind.
    env.remove(&removed).await;
    env.until_entry(&n, heat, "deleted").await;
    env.restore(&removed).await;
    assert_eq!(env.retry(&n, heat).await, 202);
    env.until_entry(&n, heat, "posted").await;
}

impl Env {
    /// A notifier that crashes right after X took its post: the tweet is out, the outbox
    /// still says `posting`. The finish's position.
    async fn crash_mid_post(&self) -> i64 {
        let mut crashing = self
            .notifier(&[("LATELY_NOTIFIER_CRASH_AFTER_POST", "true")])
            .await;
        self.until_leader(&crashing).await;
        let id = self
            .add(json!({ "kind": "podcast", "title": "Mania for Subjugation" }))
            .await;
        let position = self.finish(&id, json!({})).await;
        let exit = tokio::time::timeout(Duration::from_secs(20), crashing.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(!exit.success(), "the notifier was meant to crash");
        assert_eq!(self.tweets().await.len(), 1);
        position
    }

    async fn faults(&self, faults: Value) {
        let res = self
            .client
            .post(format!("{}/_sandbox/faults", self.sandbox))
            .json(&faults)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }
}

/// The crash exactly-once must survive: the tweet is out, the outbox still says `posting`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_posting_and_recording_does_not_tweet_twice() {
    let env = env().await;
    let position = env.crash_mid_post().await;

    let n = env.notifier(&[]).await;
    let entry = env.until_entry(&n, position, "posted").await;
    assert!(
        entry["tweet_id"].as_str().is_some_and(|t| !t.is_empty()),
        "{entry}"
    );
    assert!(entry["reason"].as_str().unwrap().contains("reconciled"));
    let next = env
        .add(json!({ "kind": "book", "title": "After the crash" }))
        .await;
    env.finish(&next, json!({})).await;
    let tweets = env.until_tweets(2).await;
    assert_eq!(tweets.len(), 2);
    assert_eq!(tweets[1], "Finished listening to “Mania for Subjugation”");
}

/// Finding out whether an interrupted post went out reads the account, whose limits at X are
/// small (`users/me`: 25 requests a day on the free tier): a read limited is asked again at
/// its reset, not at every round of the leader's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_post_is_looked_for_again_at_the_limits_reset() {
    let env = env().await;
    let position = env.crash_mid_post().await;
    env.faults(json!({ "lookup_rate_limit": 1, "rate_limit_reset_secs": 3 }))
        .await;
    let n = env.notifier(&[]).await;
    env.until("the look-up was limited", || async {
        let entry = env.until_entry(&n, position, "posting").await;
        entry["reason"].as_str().is_some_and(|r| {
            r.starts_with(
                "cannot reconcile: rate limited: users/me answered 429: the 15-minute limit \
                 (25) is used up; asking again at ",
            )
        })
    })
    .await;
    let limited = std::time::Instant::now();
    let entry = env.until_entry(&n, position, "posted").await;
    assert!(
        limited.elapsed() >= Duration::from_millis(1500),
        "looked up again before the reset: {entry}"
    );
    assert_eq!(entry["reason"], "reconciled after an interrupted post");
    assert_eq!(env.tweets().await.len(), 1);
}

/// X's free tier reads no timeline: whether an interrupted post went out cannot be told, so
/// it is not posted again on a guess, nor asked about forever, but left to the owner, saying
/// how; a retry the owner asks for goes out at most once (X refuses the same text twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_post_x_will_not_let_us_look_for_is_left_to_the_owner() {
    let env = env().await;
    let position = env.crash_mid_post().await;
    env.faults(json!({ "lookups_refused": true })).await;
    let n = env.notifier(&[]).await;
    let failed = env.until_entry(&n, position, "failed").await;
    let reason = failed["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "the post was interrupted, and X does not let this app read the account's tweets \
             to tell whether it went out (users/"
        ) && reason.contains("answered 403")
            && reason.ends_with("look on the account, and if it is not there, retry the tweet"),
        "{reason}"
    );
    assert_eq!(env.tweets().await.len(), 1);

    assert_eq!(env.retry(&n, position).await, 202);
    let again = env.until_entry(&n, position, "failed").await;
    assert!(
        again["reason"].as_str().unwrap().contains("duplicate"),
        "{again}"
    );
    assert_eq!(env.tweets().await.len(), 1, "posted twice");
}

/// A look-up of the account that X answers with a 401 says what a post's 401 says: the
/// credentials are refused. Posting stops (nothing else is sent for X to refuse, the next
/// finish waits), `/readyz` says why, and the interrupted post is left as it was, not asked
/// about every while; restarted with working credentials, the notifier finds it and goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_look_up_refused_for_its_credentials_stops_posting_as_a_post_would() {
    let env = env().await;
    let position = env.crash_mid_post().await;
    // Finished while no notifier runs, and the interrupted post older than the posting
    // timeout (2 s): the look-up comes first, and this one is due in the same round.
    let next = env.add(json!({ "kind": "book", "title": "Held" })).await;
    let held = env.finish(&next, json!({})).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let wrong = env
        .notifier(&[("X_CONSUMER_SECRET", "not-the-secret")])
        .await;
    env.until("the notifier reports the refusal", || async {
        env.status(&wrong).await["auth_failed"]
            .as_str()
            .is_some_and(|r| r.starts_with("users/me answered 401"))
    })
    .await;
    let entry = env.until_entry(&wrong, position, "posting").await;
    assert!(
        entry["reason"]
            .as_str()
            .unwrap()
            .starts_with("cannot reconcile: 401 from X: users/me answered 401"),
        "{entry}"
    );
    assert_eq!(
        entry["attempts"], 1,
        "a refusal counted as a failure: {entry}"
    );
    let (status, says) = env.readyz(&wrong).await.unwrap();
    assert!(
        status == 503 && says.contains("refused the credentials"),
        "{status} {says}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let waiting = env.until_entry(&wrong, held, "pending").await;
    assert_eq!(waiting["attempts"], 0, "sent for X to refuse: {waiting}");
    drop(wrong);

    let n = env.notifier(&[]).await;
    let entry = env.until_entry(&n, position, "posted").await;
    assert_eq!(entry["reason"], "reconciled after an interrupted post");
    env.until_entry(&n, held, "posted").await;
    assert_eq!(env.tweets().await.len(), 2, "posted twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_beyond_the_leaders_projection_waits_for_it() {
    // A leader that took over while its projection was still catching up found entries the
    // previous leader had enqueued from further along (seen in a chaos run: 18 finishes
    // settled unposted). Here the entry is enqueued ahead of the log itself: the finish it
    // names is written only afterwards.
    let env = env().await;
    let n = env.notifier(&[]).await;
    env.until_leader(&n).await;
    let added = env
        .write(
            Method::POST,
            "/v1/items",
            json!({ "kind": "book", "title": "Ahead of its time" }),
        )
        .await;
    let (id, added_at) = (
        added["id"].as_str().unwrap().to_owned(),
        added["position"].as_i64().unwrap(),
    );
    let db = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    sqlx::query(
        "INSERT INTO outbox (finish_position, item_id, status, due_at_ms, updated_ms) \
         VALUES ($1, $2, 'pending', $3, $3)",
    )
    .bind(added_at + 1)
    .bind(&id)
    .bind(now)
    .execute(&db)
    .await
    .unwrap();
    // Rounds of the leader's work go by (it polls every 50 ms); the entry must stay pending.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let status: String = sqlx::query_scalar("SELECT status FROM outbox WHERE finish_position = $1")
        .bind(added_at + 1)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(status, "pending");
    assert_eq!(env.finish(&id, json!({})).await, added_at + 1);
    env.until_entry(&n, added_at + 1, "posted").await;
    assert_eq!(
        env.until_tweets(1).await,
        ["Finished reading “Ahead of its time”"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_notifiers_post_once_and_the_standby_takes_over() {
    let env = env().await;
    let a = env.notifier(&[]).await;
    let b = env.notifier(&[]).await;
    env.until("one of them leads", || async {
        env.status(&a).await["leader"] == true || env.status(&b).await["leader"] == true
    })
    .await;
    for i in 0..5 {
        let id = env
            .add(json!({ "kind": "article", "title": format!("Article {i}") }))
            .await;
        env.finish(&id, json!({})).await;
    }
    env.until_tweets(5).await;
    let a_leads = env.status(&a).await["leader"] == true;
    assert_ne!(
        a_leads,
        env.status(&b).await["leader"] == true,
        "exactly one leader"
    );
    let (survivor, mut dead) = if a_leads {
        (b, a)
    } else {
        let d = b;
        (a, d)
    };
    dead.child.kill().await.unwrap(); // SIGKILL
    env.until_leader(&survivor).await;
    for i in 5..8 {
        let id = env
            .add(json!({ "kind": "article", "title": format!("Article {i}") }))
            .await;
        env.finish(&id, json!({})).await;
    }
    let tweets = env.until_tweets(8).await;
    let unique: std::collections::HashSet<_> = tweets.iter().collect();
    assert_eq!(unique.len(), 8);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(env.tweets().await.len(), 8);
}

/// Cut off from its database by a network partition (nothing answers, nothing is closed), a
/// notifier's status page and metrics still answer, each tweet is still posted once, by
/// whichever notifier can reach the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_notifier_still_answers_and_posts_nothing_twice() {
    let env = env().await;
    let proxy = lately_testkit::Proxy::start(lately_testkit::host_port(&env.database_url)).await;
    let cut_off = env
        .notifier(&[("DATABASE_URL", &proxy.url_for(&env.database_url))])
        .await;
    env.until_leader(&cut_off).await;
    let id = env.add(json!({ "kind": "movie", "title": "Before" })).await;
    env.finish(&id, json!({})).await;
    env.until_tweets(1).await;
    let standby = env.notifier(&[]).await;

    proxy.stall();
    for title in ["During 1", "During 2"] {
        let id = env.add(json!({ "kind": "movie", "title": title })).await;
        env.finish(&id, json!({})).await;
    }
    for (path, expected) in [("/v1/status", 503), ("/metrics", 200)] {
        let res = tokio::time::timeout(
            Duration::from_secs(15),
            env.client.get(format!("{}{path}", cut_off.url)).send(),
        )
        .await
        .unwrap_or_else(|_| panic!("{path} hangs while the database is partitioned"))
        .unwrap();
        assert_eq!(res.status(), expected, "{path}");
    }

    env.until_leader(&standby).await;
    let tweets = env.until_tweets(3).await;
    let unique: std::collections::HashSet<_> = tweets.iter().collect();
    assert_eq!(unique.len(), 3, "{tweets:?}");
    proxy.restore();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(env.tweets().await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_wait_for_the_reset_and_server_errors_back_off() {
    let env = env().await;
    let n = env.notifier(&[]).await;
    env.until_leader(&n).await;
    env.client
        .post(format!("{}/_sandbox/faults", env.sandbox))
        .json(&json!({ "rate_limit": 1, "rate_limit_reset_secs": 2, "server_errors": 1 }))
        .send()
        .await
        .unwrap();
    let id = env.add(json!({ "kind": "tv", "title": "Severance" })).await;
    let started = std::time::Instant::now();
    let position = env.finish(&id, json!({})).await;
    let entry = env.until_entry(&n, position, "posted").await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "did not wait for the rate-limit reset"
    );
    assert_eq!(entry["attempts"], 3, "429, then 500, then success: {entry}");
    assert_eq!(env.tweets().await, ["Finished watching “Severance”"]);
}

/// X's free tier allows an account 17 posts a day. The answer to the day's last post says
/// nothing is left: posting waits for the day's reset from then on, and X is not sent a post it
/// would refuse, nor by a notifier restarted since (the leader keeps the hold in the
/// database). One that finds no hold kept gets X's 429, which
/// carries the 15-minute window's reset too, long before the day's: the next tweet waits for
/// the day's reset (asked once, not again at every window), the outbox says why, and deleting
/// a tweet, which X limits apart, is not held back meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_days_posts_used_up_wait_for_the_days_reset_and_deleting_goes_on() {
    let env = env().await;
    // Two finishes made while no notifier runs (after one has started, so they are not
    // history to it): the next one takes both in its first round, one batch.
    let setup = env.notifier(&[]).await;
    env.until_leader(&setup).await;
    drop(setup);
    env.client
        .post(format!("{}/_sandbox/faults", env.sandbox))
        .json(&json!({ "daily_posts": 1, "daily_reset_secs": 18 }))
        .send()
        .await
        .unwrap();
    let heat = env.add(json!({ "kind": "movie", "title": "Heat" })).await;
    let heat_finish = env.finish(&heat, json!({})).await;
    let severance = env.add(json!({ "kind": "tv", "title": "Severance" })).await;
    let waiting = env.finish(&severance, json!({})).await;
    let first = env.notifier(&[]).await;
    env.until_entry(&first, heat_finish, "posted").await;
    // X's answer said what is left of the day: nothing. Posting waits for the day's reset.
    let page = env.outbox(&first, "").await;
    assert_eq!(page["posts_left"]["remaining"], 0, "{page}");
    assert_eq!(page["posts_left"]["limit"], 1, "{page}");
    assert!(page["paused_until"].is_string(), "{page}");
    assert_eq!(
        page["paused_until"], page["posts_left"]["resets_at"],
        "{page}"
    );
    // Nor the rest of the batch it was in.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = env.until_entry(&first, waiting, "pending").await;
    assert_eq!(held["attempts"], 0, "posted past the day's limit: {held}");

    // Restarted (or a standby taking over), the notifier holds as the one before it was told.
    drop(first);
    let second = env.notifier(&[]).await;
    env.until_leader(&second).await;
    let status = env.status(&second).await;
    assert_eq!(status["paused_until"], page["paused_until"], "{status}");
    assert_eq!(status["posts_left"], page["posts_left"], "{status}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = env.until_entry(&second, waiting, "pending").await;
    assert_eq!(held["attempts"], 0, "posted past the day's limit: {held}");
    // A standby beside it says the same holds, the ones the leader keeps, not none.
    let standby = env.notifier(&[]).await;
    env.until("a standby says the leader's holds", || async {
        let s = env.status(&standby).await;
        s["leader"] == false
            && s["paused_until"] == page["paused_until"]
            && s["posts_left"] == page["posts_left"]
    })
    .await;
    drop(standby);

    // One that finds no hold kept (the table emptied, as a notifier of an earlier build left
    // it) asks, and X refuses.
    drop(second);
    let db = sqlx::PgPool::connect(&env.database_url).await.unwrap();
    sqlx::query("DELETE FROM notifier_holds")
        .execute(&db)
        .await
        .unwrap();
    let n = env.notifier(&[]).await;
    env.until_leader(&n).await;
    env.until(
        "the tweet past the day's limit waits, saying why",
        || async {
            let entry = env.entry(&n, waiting).await;
            entry["attempts"] == 1 && !env.status(&n).await["paused_until"].is_null()
        },
    )
    .await;
    let entry = env.until_entry(&n, waiting, "pending").await;
    let reason = entry["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "rate limited (429): the account's 24-hour limit (1) is used up; trying again at "
        ),
        "{reason}"
    );
    // The outbox's page says it too (`lately tweets` prints it first): every tweet pending
    // waits, not only the one X refused.
    let page = env.outbox(&n, "status=pending").await;
    let until = page["paused_until"].as_str().unwrap();
    assert!(
        reason.ends_with(&format!(
            "{} UTC",
            until.replace('T', " ").trim_end_matches('Z')
        )),
        "{page} {reason}"
    );
    assert!(page["deletions_paused_until"].is_null(), "{page}");
    let metrics = env
        .client
        .get(format!("{}/metrics", n.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let paused = |what: &str| {
        metrics
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!(
                    "lately_notifier_paused_seconds{{what=\"{what}\"}} "
                ))
            })
            .and_then(|v| v.parse::<f64>().ok())
    };
    assert!(
        paused("posting").is_some_and(|s| (1.0..=18.0).contains(&s)),
        "{metrics}"
    );
    assert_eq!(paused("deleting"), Some(0.0), "{metrics}");

    // Deleting goes on while posting waits.
    env.remove(&heat).await;
    env.until_entry(&n, heat_finish, "deleted").await;
    let status = env.status(&n).await;
    assert!(status["deletions_paused_until"].is_null(), "{status}");
    let still = env.until_entry(&n, waiting, "pending").await;
    assert_eq!(
        still["attempts"], 1,
        "asked again before the day's reset: {still}"
    );

    let posted = env.until_entry(&n, waiting, "posted").await;
    assert_eq!(
        posted["attempts"], 2,
        "one 429, then posted at the day's reset, not asked again at the window's: {posted}"
    );
    assert_eq!(env.tweets().await, ["Finished watching “Severance”"]);
}

/// X refuses a post for good (the 403 of an app whose access is read-only); once the owner
/// has fixed that, retrying posts it, exactly once, and only the owner may ask.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_tweet_can_be_retried_by_the_owner_and_goes_out_once() {
    let env = env().await;
    let n = env.notifier(&[]).await;
    env.until_leader(&n).await;
    env.client
        .post(format!("{}/_sandbox/faults", env.sandbox))
        .json(&json!({ "forbidden": 1 }))
        .send()
        .await
        .unwrap();
    let id = env
        .add(json!({ "kind": "book", "title": "Piranesi" }))
        .await;
    let position = env.finish(&id, json!({})).await;
    let failed = env.until_entry(&n, position, "failed").await;
    let reason = failed["reason"].as_str().unwrap();
    assert!(
        reason.contains("403") && reason.contains("read-only"),
        "the reason says what X said and what to fix: {reason}"
    );
    assert!(env.tweets().await.is_empty());

    let retry = |token: Option<&'static str>, position: String| {
        let mut req = env
            .client
            .post(format!("{}/v1/outbox/{position}/retry", n.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
            (status, content_type, res.json::<Value>().await.unwrap())
        }
    };
    // Refusals change nothing: without the token, with another, a position that is not a
    // number, one with no entry.
    for (token, path, status, says) in [
        (None, position.to_string(), 401, "owner's token"),
        (Some("guess"), position.to_string(), 401, "owner's token"),
        (Some(TOKEN), "abc".to_owned(), 400, "position"),
        (Some(TOKEN), "0".to_owned(), 400, "position"),
        (
            Some(TOKEN),
            (position + 1000).to_string(),
            404,
            "GET /v1/outbox",
        ),
    ] {
        let (got, content_type, body) = retry(token, path.clone()).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(content_type, "application/problem+json");
        assert!(body["detail"].as_str().unwrap().contains(says), "{body}");
    }
    assert_eq!(env.until_entry(&n, position, "failed").await["attempts"], 1);

    let (status, _, entry) = retry(Some(TOKEN), position.to_string()).await;
    assert_eq!(status, 202, "{entry}");
    assert_eq!(entry["status"], "pending");
    assert_eq!(entry["attempts"], 0);
    assert!(entry["reason"]
        .as_str()
        .unwrap()
        .starts_with("retried by the owner (was failed: X answered 403"));
    let posted = env.until_entry(&n, position, "posted").await;
    assert_eq!(env.tweets().await, ["Finished reading “Piranesi”"]);

    // Posted is final: another retry is refused and posts nothing.
    let (status, _, body) = retry(Some(TOKEN), position.to_string()).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        (&body["status"], &body["outbox_status"]),
        (&json!(409), &json!("posted"))
    );
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains(posted["tweet_id"].as_str().unwrap()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(env.tweets().await.len(), 1);

    // The outbox lists it, filtered by state and a page at a time.
    let other = env.add(json!({ "kind": "movie", "title": "Heat" })).await;
    let second = env.finish(&other, json!({})).await;
    env.until_entry(&n, second, "posted").await;
    let list = |query: String| {
        let req = env
            .client
            .get(format!("{}/v1/outbox?{query}", n.url))
            .bearer_auth(TOKEN);
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (_, page) = list("status=posted&limit=1".into()).await;
    assert_eq!(page["entries"][0]["finish_position"], second);
    assert_eq!(page["next_before"], second);
    let (_, rest) = list(format!("status=posted&limit=1&before={second}")).await;
    assert_eq!(rest["entries"][0]["finish_position"], position);
    let (_, none) = list("status=failed".into()).await;
    assert_eq!(none["entries"], json!([]));
    assert_eq!(none["next_before"], Value::Null);
    // Or by the finishes' positions (your log's page asks for the finishes it shows): those
    // the outbox holds, newest first, whatever lies between them.
    let (status, both) = list(format!("positions={position},{},{second}", second + 50)).await;
    assert_eq!(status, 200, "{both}");
    let at = |page: &Value| -> Vec<i64> {
        let entries = page["entries"].as_array().unwrap();
        entries
            .iter()
            .map(|e| e["finish_position"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(at(&both), [second, position]);
    assert_eq!(both["entries"][1]["status"], "posted");
    assert_eq!(both["next_before"], Value::Null);
    let (_, one) = list(format!("positions={position}")).await;
    assert_eq!(at(&one), [position]);
    let (_, none) = list(format!("status=failed&positions={position},{second}")).await;
    assert_eq!(at(&none), [] as [i64; 0]);
    let too_many = format!("positions={}", vec!["7"; 1001].join(","));
    for (query, says) in [
        ("status=sent", "status: expected one of"),
        ("limit=0", "limit must be between 1 and 1000"),
        ("before=x", "before: invalid digit"),
        ("positions=3,x", "as 12,40,41; \"x\" is not one"),
        ("positions=0", "positions: expected log positions"),
        ("positions=", "\"\" is not one"),
        (too_many.as_str(), "at most 1000 at a time"),
        ("positions=3&limit=5", "do not go with it"),
        ("positions=3&before=9", "do not go with it"),
    ] {
        let (status, body) = list(query.into()).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["detail"].as_str().unwrap().contains(says), "{body}");
    }
    // A long list gone wrong is not echoed back whole: its first part at fault, clipped.
    let long = format!("positions=3,{},4", "9x".repeat(2000));
    let (status, body) = list(long).await;
    let detail = body["detail"].as_str().unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(
        detail.ends_with("\"9x9x9x9x9x9x9x9x9x9x9x9x…\" is not one") && detail.len() < 200,
        "{detail}"
    );
}

/// A notifier given no owner token has its owner's routes off, the outbox and retrying (and
/// says how to turn them on), and one in dry-run mode refuses a retry: it could only be
/// recorded again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owners_routes_are_off_without_a_token_and_retrying_refused_in_a_dry_run() {
    let env = env().await;
    // A blank token is none (as a compose file's `LATELY_OWNER_TOKEN=` gives it).
    let off: &[(&str, &str)] = &[("LATELY_OWNER_TOKEN", "")];
    let dry: &[(&str, &str)] = &[("LATELY_DRY_RUN", "true")];
    for (extra, method, path, status, says) in [
        (
            off,
            Method::POST,
            "/v1/outbox/1/retry",
            403,
            "LATELY_OWNER_TOKEN",
        ),
        (off, Method::GET, "/v1/outbox", 403, "LATELY_OWNER_TOKEN"),
        (
            dry,
            Method::POST,
            "/v1/outbox/1/retry",
            409,
            "no X credentials",
        ),
    ] {
        let n = env.notifier(extra).await;
        let res = env
            .client
            .request(method, format!("{}{path}", n.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{path}");
        assert!(res.text().await.unwrap().contains(says));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_refused_and_stop_posting_loudly() {
    let env = env().await;
    let n = env
        .notifier(&[("X_CONSUMER_SECRET", "not-the-secret")])
        .await;
    env.until_leader(&n).await;
    let id = env
        .add(json!({ "kind": "book", "title": "Unsigned" }))
        .await;
    let position = env.finish(&id, json!({})).await;
    env.until("the notifier reports the refusal", || async {
        env.status(&n).await["auth_failed"].is_string()
    })
    .await;
    let (status, says) = env.readyz(&n).await.unwrap();
    assert!(
        status == 503 && says.contains("refused the credentials"),
        "{status} {says}"
    );
    let entry = env.until_entry(&n, position, "pending").await;
    assert!(entry["reason"].as_str().unwrap().contains("401"));
    assert!(env.tweets().await.is_empty());
    // The outbox's page says it too (`lately tweets` and the owner's page say it first):
    // every pending tweet waits for it, not only the one X refused.
    let page = env.outbox(&n, "").await;
    assert!(page["auth_failed"].is_string(), "{page}");
    assert_eq!(page["auth_failed"], env.status(&n).await["auth_failed"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_it_records_what_it_would_post() {
    let env = env().await;
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_lately-notifier"))
        .env("DATABASE_URL", &env.database_url)
        .env("LATELY_NOTIFIER_ADDR", format!("127.0.0.1:{port}"))
        .env("LATELY_TWEET_DELAY", "0")
        .env("LATELY_POLL_MS", "50")
        .env("LATELY_OWNER_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let n = Notifier {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    env.until("the dry-run notifier leads", || async {
        env.client
            .get(format!("{}/v1/status", n.url))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
            && env.status(&n).await["leader"] == true
    })
    .await;
    assert_eq!(env.status(&n).await["mode"], "dry_run");
    let id = env.add(json!({ "kind": "book", "title": "Dry" })).await;
    let position = env.finish(&id, json!({})).await;
    let entry = env.until_entry(&n, position, "dry_run").await;
    assert_eq!(entry["text"], "Finished reading “Dry”");
    assert!(env.tweets().await.is_empty());
}

/// Debug logs of a notifier that posts, fails auth and reconciles never contain a credential.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_appear_in_the_logs() {
    let env = env().await;
    let log_path = std::env::temp_dir().join(format!("notifier-{}.log", free_port()));
    let file = std::fs::File::create(&log_path).unwrap();
    let mut n = env
        .notifier_logging_to(
            &[("RUST_LOG", "debug"), ("LATELY_LOG_FORMAT", "json")],
            file.into(),
        )
        .await;
    env.until_leader(&n).await;
    let id = env.add(json!({ "kind": "book", "title": "Logged" })).await;
    env.finish(&id, json!({})).await;
    env.until_tweets(1).await;
    n.child.kill().await.unwrap();
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logs.contains("tweeted"),
        "the logs are not what this test thinks: {logs}"
    );
    for secret in [CONSUMER_SECRET, ACCESS_SECRET, ACCESS_TOKEN, CONSUMER_KEY] {
        assert!(!logs.contains(secret), "{secret} is in the notifier's logs");
    }
    let _ = std::fs::remove_file(log_path);
}
