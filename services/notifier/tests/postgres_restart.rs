//! PostgreSQL restarted in the middle of a load: the writer answers 503 (never 500) and
//! recovers, every write ends up in the log once, a reader converges, and the notifier tweets
//! every finish exactly once.
//!
//! This restarts the test cluster itself, so it lives alone in its own test binary (cargo runs
//! test binaries one after another). It needs the cluster `make test` starts
//! (scripts/with-postgres exports LATELY_TEST_PG_CTL and LATELY_TEST_PGDATA); against a server
//! of your own (DATABASE_URL set by hand) it says so and does nothing.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{json, Value};

const TOKEN: &str = "restart-test-token";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_under_load_loses_and_doubles_nothing() {
    if !lately_testkit::can_restart_postgres() {
        eprintln!("skipped: needs the throwaway cluster of `make test` (it restarts it)");
        return;
    }
    let database_url = lately_testkit::postgres_database().await;
    let writer_url = lately_writer::startup::Application::spawn_local(
        &database_url,
        TOKEN,
        &["--db-timeout-ms", "500"],
    )
    .await
    .unwrap();
    let reader = lately_reader::startup::Application::build(
        lately_reader::configuration::Config::parse_from([
            "lately-reader",
            "--database-url",
            &database_url,
            "--listen",
            "127.0.0.1:0",
            "--poll-ms",
            "100",
        ]),
    )
    .await
    .unwrap();
    let reader_url = format!("http://127.0.0.1:{}", reader.port());
    tokio::spawn(reader.run_until_stopped());
    let sandbox = lately_x_sandbox::Sandbox::build(lately_x_sandbox::Config::parse_from([
        "lately-x-sandbox",
        "--listen",
        "127.0.0.1:0",
    ]))
    .unwrap();
    let sandbox_url = format!("http://127.0.0.1:{}", sandbox.port());
    tokio::spawn(sandbox.run_until_stopped());

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let ready = |url: String| {
        let client = client.clone();
        async move {
            for _ in 0..200 {
                if client
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("{url} never became ready");
        }
    };
    ready(format!("{writer_url}/readyz")).await;
    let notifier_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _notifier = tokio::process::Command::new(env!("CARGO_BIN_EXE_lately-notifier"))
        .env("DATABASE_URL", &database_url)
        .env("LATELY_NOTIFIER_ADDR", format!("127.0.0.1:{notifier_port}"))
        .env("X_API_BASE", &sandbox_url)
        .env("X_CONSUMER_KEY", "sandbox-consumer-key")
        .env("X_CONSUMER_SECRET", "sandbox-consumer-secret")
        .env("X_ACCESS_TOKEN", "sandbox-access-token")
        .env("X_ACCESS_SECRET", "sandbox-access-secret")
        .env("LATELY_TWEET_DELAY", "0")
        .env("LATELY_POSTING_TIMEOUT", "2s")
        .env("LATELY_POLL_MS", "50")
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    ready(format!("http://127.0.0.1:{notifier_port}/readyz")).await;
    ready(format!("{reader_url}/readyz")).await;

    // Eight clients add and finish books, retrying with their keys through the outage, until
    // told to stop: after the restart, once 40 more books went through. (A fixed number of
    // books was once all written before `pg_ctl` had even stopped the server.)
    let outage_503s = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (client, writer_url) = (client.clone(), writer_url.clone());
            let (outage_503s, done, stop) = (outage_503s.clone(), done.clone(), stop.clone());
            tokio::spawn(async move {
                let send = |path: String, key: String, body: Value| {
                    let (client, outage_503s) = (client.clone(), outage_503s.clone());
                    async move {
                        let deadline = Instant::now() + Duration::from_secs(60);
                        loop {
                            let res = client
                                .post(&path)
                                .bearer_auth(TOKEN)
                                .header("Idempotency-Key", &key)
                                .json(&body)
                                .send()
                                .await;
                            if let Ok(res) = res {
                                match res.status().as_u16() {
                                    200 | 201 => return res.json::<Value>().await.unwrap(),
                                    503 => {
                                        assert!(res.headers().contains_key("retry-after"));
                                        outage_503s
                                            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                    }
                                    other => panic!(
                                        "{path}: {other} {}",
                                        res.text().await.unwrap_or_default()
                                    ),
                                }
                            }
                            assert!(Instant::now() < deadline, "{path} never succeeded");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                };
                let mut finished = Vec::new();
                for i in 0.. {
                    if stop.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    let title = format!("Outage book {c}-{i}");
                    let added = send(
                        format!("{writer_url}/v1/items"),
                        format!("add-{c}-{i}"),
                        json!({ "kind": "book", "title": title }),
                    )
                    .await;
                    let id = added["id"].as_str().unwrap().to_owned();
                    send(
                        format!("{writer_url}/v1/items/{id}/finish"),
                        format!("finish-{c}-{i}"),
                        json!({}),
                    )
                    .await;
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    finished.push(title);
                }
                finished
            })
        })
        .collect();

    while done.load(std::sync::atomic::Ordering::SeqCst) < 40 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started_at = || async {
        let admin = lately_log::EventLog::connect(&database_url, Default::default()).unwrap();
        let t: String = sqlx::query_scalar("SELECT pg_postmaster_start_time()::text")
            .fetch_one(admin.pg_pool().unwrap())
            .await
            .unwrap();
        t
    };
    let before = started_at().await;
    assert!(lately_testkit::restart_postgres().unwrap());
    let after_restart = done.load(std::sync::atomic::Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(60);
    while done.load(std::sync::atomic::Ordering::SeqCst) < after_restart + 40 {
        assert!(
            Instant::now() < deadline,
            "the writes did not resume after the restart"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut titles = Vec::new();
    for c in clients {
        titles.extend(c.await.unwrap());
    }
    let books = titles.len();
    assert!(books >= 80, "{books} books");
    assert_ne!(started_at().await, before, "PostgreSQL was not restarted");

    // The log: each book added once and finished once, positions gap-free.
    let log = lately_log::EventLog::connect(&database_url, Default::default()).unwrap();
    let events = log.read_after(0, 10_000).await.unwrap();
    assert_eq!(events.len(), 2 * books, "each write once");
    assert!(events
        .iter()
        .enumerate()
        .all(|(i, e)| e.position == i as i64 + 1));
    let head = events.last().unwrap().position;

    // The reader converges to the head with the state a fresh replica rebuilds.
    let status = |url: String| {
        let client = client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while status(format!("{reader_url}/v1/status")).await["position"] != head {
        assert!(Instant::now() < deadline, "the reader did not converge");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let fresh = lately_reader::startup::Application::build(
        lately_reader::configuration::Config::parse_from([
            "lately-reader",
            "--database-url",
            &database_url,
            "--listen",
            "127.0.0.1:0",
        ]),
    )
    .await
    .unwrap();
    let fresh_url = format!("http://127.0.0.1:{}", fresh.port());
    tokio::spawn(fresh.run_until_stopped());
    ready(format!("{fresh_url}/readyz")).await;
    assert_eq!(
        status(format!("{reader_url}/v1/status")).await["state_hash"],
        status(format!("{fresh_url}/v1/status?min_position={head}")).await["state_hash"]
    );

    // The notifier: one tweet per finish, none doubled.
    let deadline = Instant::now() + Duration::from_secs(60);
    let tweets = loop {
        let body = status(format!("{sandbox_url}/_sandbox/tweets")).await;
        let tweets: Vec<String> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["text"].as_str().unwrap().to_owned())
            .collect();
        if tweets.len() >= books || Instant::now() > deadline {
            break tweets;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in &tweets {
        *counts.entry(t.as_str()).or_default() += 1;
    }
    for title in &titles {
        let text = format!("Finished reading “{title}”");
        assert_eq!(
            counts.get(text.as_str()),
            Some(&1),
            "{title} tweeted {:?} times",
            counts.get(text.as_str())
        );
    }
    assert_eq!(tweets.len(), books);
    eprintln!(
        "{} writes through a PostgreSQL restart: {} answers were 503, 0 lost, 0 doubled; {books} tweets, none doubled",
        2 * books,
        outage_503s.load(std::sync::atomic::Ordering::SeqCst)
    );
}
