//! The `lately` binary against a running writer and reader.

use clap::Parser;
use std::process::Output;
use std::time::Duration;

const TOKEN: &str = "cli-tests-token";

struct System {
    database_url: String,
    writer: String,
    reader: String,
}

async fn system() -> System {
    let database_url = lately_testkit::postgres_database().await;
    let writer = lately_writer::startup::Application::build(
        lately_writer::configuration::Config::parse_from([
            "lately-writer",
            "--database-url",
            &database_url,
            "--listen",
            "127.0.0.1:0",
            "--token",
            TOKEN,
            "--workers",
            "1",
        ]),
    )
    .await
    .unwrap();
    let writer_url = format!("http://127.0.0.1:{}", writer.port());
    tokio::spawn(writer.run_until_stopped());
    let reader = lately_reader::startup::Application::build(
        lately_reader::configuration::Config::parse_from([
            "lately-reader",
            "--database-url",
            &database_url,
            "--listen",
            "127.0.0.1:0",
            "--poll-ms",
            "100",
            "--workers",
            "1",
        ]),
    )
    .await
    .unwrap();
    let reader_url = format!("http://127.0.0.1:{}", reader.port());
    tokio::spawn(reader.run_until_stopped());
    for _ in 0..200 {
        if reqwest::get(format!("{writer_url}/readyz"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    System {
        database_url,
        writer: writer_url,
        reader: reader_url,
    }
}

impl System {
    async fn lately(&self, args: &[&str]) -> Output {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_lately"))
            .args(args)
            .env("LATELY_URL", &self.writer)
            .env("LATELY_TOKEN", TOKEN)
            .env("LATELY_FEED_URL", &self.reader)
            .output()
            .await
            .unwrap();
        out
    }

    async fn head(&self) -> i64 {
        lately_log::EventLog::connect(&self.database_url, Default::default())
            .unwrap()
            .head()
            .await
            .unwrap()
    }

    /// Waits for the reader to apply everything written so far.
    async fn settle(&self) {
        let head = self.head().await;
        let url = format!("{}/v1/status?min_position={head}", self.reader);
        for _ in 0..100 {
            let s: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
            if s["position"].as_i64() >= Some(head) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("reader did not catch up");
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_start_finish_and_list() {
    let sys = system().await;
    let add = sys
        .lately(&[
            "add",
            "book",
            "The Left Hand of Darkness",
            "--by",
            "Ursula K. Le Guin",
            "--tag",
            "sf",
        ])
        .await;
    assert!(add.status.success(), "{}", stderr(&add));
    let id = stdout(&add).trim().to_owned();
    assert!(id.starts_with("the-left-hand-of-darkness-"), "{id}");
    assert!(sys.lately(&["start", &id]).await.status.success());
    assert!(sys.lately(&["progress", &id, "60"]).await.status.success());
    sys.settle().await;
    let current = sys.lately(&["current"]).await;
    assert!(
        stdout(&current).contains("The Left Hand of Darkness 60%"),
        "{}",
        stdout(&current)
    );
    let finish = sys
        .lately(&[
            "finish",
            &id,
            "--rating",
            "4.5",
            "--review",
            "Cold and humane.",
            "--at",
            "2026-11-20",
        ])
        .await;
    assert!(finish.status.success(), "{}", stderr(&finish));
    sys.settle().await;
    let list = sys.lately(&["list"]).await;
    assert!(list.status.success());
    let line = stdout(&list);
    assert!(
        line.contains("2026-11-20  book     The Left Hand of Darkness by Ursula K. Le Guin ★★★★½"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_outages_have_clear_messages_and_exit_codes() {
    let sys = system().await;
    let id = stdout(&sys.lately(&["add", "movie", "Past Lives"]).await)
        .trim()
        .to_owned();
    let bad = sys.lately(&["finish", &id, "--rating", "4.3"]).await;
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("rating must be between 0.5 and 5.0"),
        "{}",
        stderr(&bad)
    );
    let missing = sys.lately(&["start", "no-such-item"]).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("404"));
    let usage = sys.lately(&["add", "vinyl", "x"]).await;
    assert_eq!(usage.status.code(), Some(2));
    let wrong_token = tokio::process::Command::new(env!("CARGO_BIN_EXE_lately"))
        .args(["add", "book", "x"])
        .env("LATELY_URL", &sys.writer)
        .env("LATELY_TOKEN", "wrong")
        .output()
        .await
        .unwrap();
    assert_eq!(wrong_token.status.code(), Some(1));
    assert!(stderr(&wrong_token).contains("401"));
    let down = tokio::process::Command::new(env!("CARGO_BIN_EXE_lately"))
        .args(["add", "book", "x"])
        .env("LATELY_URL", "http://127.0.0.1:1")
        .env("LATELY_TOKEN", TOKEN)
        .output()
        .await
        .unwrap();
    assert_eq!(down.status.code(), Some(3));
    assert!(stderr(&down).contains("cannot reach the writer"));
    assert_eq!(sys.head().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_twice_adds_nothing_the_second_time() {
    let sys = system().await;
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let goodreads = format!("{fixtures}/goodreads_library_export.csv");
    let letterboxd = format!("{fixtures}/letterboxd_diary.csv");

    let first = sys.lately(&["import", "goodreads", &goodreads]).await;
    assert!(first.status.success(), "{}", stderr(&first));
    let first = sys.lately(&["import", "letterboxd", &letterboxd]).await;
    assert!(first.status.success(), "{}", stderr(&first));
    // 4 books added, 2 finished, 1 started; 2 films added, 3 diary finishes.
    let head = sys.head().await;
    assert_eq!(head, 4 + 2 + 1 + 2 + 3);

    for (source, file) in [("goodreads", &goodreads), ("letterboxd", &letterboxd)] {
        let again = sys.lately(&["import", source, file]).await;
        assert!(again.status.success(), "{}", stderr(&again));
    }
    assert_eq!(sys.head().await, head, "a second import appended events");

    sys.settle().await;
    let list = stdout(&sys.lately(&["list", "--limit", "50"]).await);
    assert_eq!(list.matches("Past Lives (2023)").count(), 2, "{list}");
    assert!(list.contains("2019-04-11  book     The Left Hand of Darkness (Hainish Cycle, #4) by Ursula K. Le Guin ★★★★★"), "{list}");
    let current = stdout(&sys.lately(&["current"]).await);
    assert!(current.contains("三体"), "{current}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_items_link_is_only_what_was_given() {
    let sys = system().await;
    let plain = stdout(&sys.lately(&["add", "book", "No link"]).await)
        .trim()
        .to_owned();
    let linked = stdout(
        &sys.lately(&["add", "book", "Linked", "--url", "https://example.com/b"])
            .await,
    )
    .trim()
    .to_owned();
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let plain = log.read_stream(&plain).await.unwrap()[0]
        .data
        .value()
        .unwrap();
    assert!(
        plain.get("url").is_none(),
        "the writer's address leaked into the item: {plain}"
    );
    assert_eq!(
        log.read_stream(&linked).await.unwrap()[0]
            .data
            .value()
            .unwrap()["url"],
        "https://example.com/b"
    );
}
