//! Moving a log: the real writer writes a history on one backend, `lately-admin` dumps it and
//! restores it on the other, and the log, the readers, the writer and the notifier's outbox
//! go on there as if nothing had moved. A bad dump, or a destination that is not empty, is
//! refused before anything is written.

mod common;

use std::io::Write;
use std::process::Stdio;

use clap::Parser;
use common::Writer;
use lately_admin::restore::{restore, Refused};
use lately_log::{EventLog, LogOptions};
use lately_notifier::store::{Entry, Store};
use lately_testkit::database;
use lately_testkit::Backend;
use serde_json::{json, Value};

fn log(url: &str) -> EventLog {
    EventLog::connect(url, LogOptions::default()).unwrap()
}

fn entry(position: i64, item: &str, status: &str, tweet_id: Option<&str>) -> Entry {
    Entry {
        finish_position: position,
        item_id: item.into(),
        status: status.into(),
        due_at_ms: 1_700_000_000_000 + position,
        attempts: 1,
        text: Some(format!("Finished {item}")),
        tweet_id: tweet_id.map(Into::into),
        reason: (status == "skipped").then(|| "private".into()),
        posting_started_ms: None,
        updated_ms: 1_700_000_000_500 + position,
    }
}

/// The source as a notifier would have left it: the first finish tweeted, the private one
/// skipped, the scan at the essay's finish, which is still pending; the re-read not scanned.
async fn notifier_was_here(log: &EventLog, finishes: &[i64]) {
    let store = Store::new(log);
    store
        .restore(&[
            entry(finishes[0], "dune", "posted", Some("1790000000000000001")),
            entry(finishes[1], "heat", "skipped", None),
            entry(finishes[2], "essay", "pending", None),
        ])
        .await
        .unwrap();
    store.set_checkpoint(finishes[2]).await.unwrap();
}

async fn reader(database_url: &str) -> String {
    let app = lately_reader::startup::Application::build(
        lately_reader::configuration::Config::parse_from([
            "lately-reader",
            "--database-url",
            database_url,
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "1",
            "--poll-ms",
            "50",
        ]),
    )
    .await
    .unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    url
}

async fn get(url: &str) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

async fn admin(args: &[&str], database_url: &str, stdin: Option<&[u8]>) -> std::process::Output {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_lately-admin"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        tokio::io::AsyncWriteExt::write_all(&mut input, bytes)
            .await
            .unwrap();
    }
    drop(input);
    child.wait_with_output().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_moved_from_sqlite_to_postgres_reads_the_same_and_goes_on() {
    let (_source_dir, source_url) = database(Backend::Sqlite).await;
    let finishes = Writer::start(&source_url).await.history().await;
    let source = log(&source_url);
    notifier_was_here(&source, &finishes).await;

    // Through the binary, as the README has it: a file from the source, standard input into
    // the destination.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lately.dump");
    let out = admin(
        &["dump", "--out", file.to_str().unwrap()],
        &source_url,
        None,
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = source.head().await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().next().unwrap(),
        format!("dumped {head} events (positions 1 to {head}) and 3 outbox entries from sqlite")
    );
    let (_dest_dir, dest_url) = database(Backend::Postgres).await;
    let dump = std::fs::read(&file).unwrap();
    let out = admin(&["restore", "-"], &dest_url, Some(&dump)).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with(&format!(
            "restored {head} events (0 were there already; the log now ends at {head}) and 3 outbox entries; the notifier goes on after position {}",
            finishes[2]
        )),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The log: every field of every event.
    // A typo in the source's path is named, and leaves no empty database behind.
    let typo = dir.path().join("typo.sqlite3");
    let out = admin(&["dump"], &format!("sqlite:{}", typo.display()), None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no such file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!typo.exists());

    // A dump can be checked without a database, as a backup would be.
    let out = admin(
        &["check", "-"],
        "postgres://nowhere.invalid/none",
        Some(&dump),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with(&format!(
            "a good dump: {head} events (positions 1 to {head}) and 3 outbox entries, dumped 20"
        )),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cut = &dump[..dump.len() - 10];
    let out = admin(
        &["check", "-"],
        "postgres://nowhere.invalid/none",
        Some(cut),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("lately-admin: line "),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dest = log(&dest_url);
    assert_eq!(
        dest.read_after(0, 1000).await.unwrap(),
        source.read_after(0, 1000).await.unwrap()
    );
    // The outbox and the checkpoint.
    let (theirs, ours) = (Store::new(&source), Store::new(&dest));
    assert_eq!(
        ours.list(None, None, 100).await.unwrap(),
        theirs.list(None, None, 100).await.unwrap()
    );
    assert_eq!(ours.checkpoint().await.unwrap(), Some(finishes[2]));

    // A replica on each: the same state, the same feed.
    let (a, b) = (reader(&source_url).await, reader(&dest_url).await);
    common::until("both replicas have applied the log", || async {
        get(&format!("{a}/v1/status")).await["position"] == head
            && get(&format!("{b}/v1/status")).await["position"] == head
    })
    .await;
    let (sa, sb) = (
        get(&format!("{a}/v1/status")).await,
        get(&format!("{b}/v1/status")).await,
    );
    assert_eq!(sa["state_hash"], sb["state_hash"]);
    let titles = |feed: &Value| -> Vec<(String, Value)> {
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["item"]["title"].as_str().unwrap().to_owned(),
                    i["rating"].clone(),
                )
            })
            .collect()
    };
    let feed = get(&format!("{b}/v1/feed")).await;
    assert_eq!(titles(&feed), titles(&get(&format!("{a}/v1/feed")).await));
    assert_eq!(
        titles(&feed),
        [
            ("Dune".to_owned(), Value::Null),
            ("An essay".to_owned(), json!(3.0)),
            ("Dune".to_owned(), json!(5.0)),
        ]
    );

    // The writer goes on from the restored log: positions and the items' versions.
    let writer = Writer::start(&dest_url).await;
    let next = writer
        .write(reqwest::Method::POST, "/v1/items/essay/start", json!({}))
        .await;
    assert_eq!(next["position"], head + 1);
    assert_eq!(
        next["version"], 4,
        "added, edited, finished, and now started"
    );
    let refused = reqwest::Client::new()
        .post(format!("{}/v1/items", writer.url))
        .bearer_auth(common::TOKEN)
        .json(&json!({"id": "dune", "kind": "book", "title": "Dune again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409, "the restored item exists");
}

/// A dump of a PostgreSQL log, as bytes.
async fn dump_of(url: &str) -> Vec<u8> {
    let mut out = Vec::new();
    lately_admin::dump::dump(url, &mut out).await.unwrap();
    out
}

fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_restore_goes_on_where_it_stopped_and_again_adds_nothing() {
    let source_url = lately_testkit::postgres_database().await;
    let finishes = Writer::start(&source_url).await.history().await;
    let source = log(&source_url);
    notifier_was_here(&source, &finishes).await;
    let dump = file(&dump_of(&source_url).await);
    let events = source.read_after(0, 1000).await.unwrap();
    let head = events.len() as i64;

    // As if a restore had stopped after its first batches.
    let (_dir, dest_url) = database(Backend::Sqlite).await;
    let dest = log(&dest_url);
    dest.migrate().await.unwrap();
    dest.restore(&events[..7]).await.unwrap();

    let done = restore(&dest_url, dump.path()).await.unwrap();
    assert_eq!(
        (done.already, done.restored, done.outbox_added),
        (7, head - 7, 3)
    );
    assert_eq!(dest.read_after(0, 1000).await.unwrap(), events);

    let again = restore(&dest_url, dump.path()).await.unwrap();
    assert_eq!(
        (again.already, again.restored, again.outbox_added),
        (head, 0, 0)
    );
    assert_eq!(dest.head().await.unwrap(), head);
    assert_eq!(
        Store::new(&dest).list(None, None, 100).await.unwrap().len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_dump_is_refused_whole_and_changes_nothing() {
    let source_url = lately_testkit::postgres_database().await;
    let finishes = Writer::start(&source_url).await.history().await;
    notifier_was_here(&log(&source_url), &finishes).await;
    let good = String::from_utf8(dump_of(&source_url).await).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let (header, end) = (lines[0], lines[lines.len() - 1]);
    let events = &lines[1..lines.len() - 4];
    let outbox = &lines[lines.len() - 4..lines.len() - 1];
    let join = |parts: &[&[&str]]| parts.concat().join("\n");
    let edit = |line: &str, from: &str, to: &str| {
        assert!(line.contains(from), "{line} has no {from}");
        line.replacen(from, to, 1)
    };

    let finish_first = edit(
        events[3],
        "\"stream_id\":\"dune\"",
        "\"stream_id\":\"nobody\"",
    );
    let finish_first = edit(
        &finish_first,
        "\"stream_version\":4",
        "\"stream_version\":1",
    );
    let bad_rating = edit(events[3], "\"rating\": 4.5", "\"rating\": 4.7");
    let future = edit(header, "\"format\":1", "\"format\":2");
    let wrong_count = edit(end, "\"outbox\":3", "\"outbox\":2");
    let not_a_finish = edit(
        outbox[0],
        &format!("\"finish_position\":{}", finishes[0]),
        "\"finish_position\":1",
    );
    let cases: Vec<(&str, String, String)> = vec![
        ("cut short", join(&[&lines[..lines.len() - 1]]), "the dump is cut short after line".into()),
        ("a gap", join(&[&[header], &events[..2], &events[3..], outbox, &[end]]), "line 4: the event at position 4 does not follow position 2".into()),
        ("a finish before its item", join(&[&[header], &events[..3], &[&finish_first], &events[4..], outbox, &[end]]), "line 5: position 4: item_finished of \"nobody\" could not have been written: no item with this id".into()),
        ("a rating out of range", join(&[&[header], &events[..3], &[&bad_rating], &events[4..], outbox, &[end]]), "line 5: position 4: item_finished v2 payload is malformed".into()),
        ("not JSON", join(&[&[header], &events[..3], &["{\"event\": "], &events[4..], outbox, &[end]]), "line 5: EOF while parsing".into()),
        ("a newer format", join(&[&[&future], events, outbox, &[end]]), "line 1: the dump's format is version 2, newer than this build reads (1)".into()),
        ("the wrong count", join(&[&[header], events, outbox, &[&wrong_count]]), "the closing count (".into()),
        ("an entry of no finish", join(&[&[header], events, &[&not_a_finish], &outbox[1..], &[end]]), "is not a finish of \"dune\" in the dump".into()),
        ("no header", join(&[events, outbox, &[end]]), "line 1: a dump starts with its `header` record".into()),
    ];

    let dest_url = lately_testkit::postgres_database().await;
    for (what, text, expected) in cases {
        let f = file(text.as_bytes());
        let e = restore(&dest_url, f.path()).await.unwrap_err();
        assert!(e.downcast_ref::<Refused>().is_some(), "{what}: {e:#}");
        assert!(e.to_string().contains(&expected), "{what}: {e}");
    }
    // Not even the schema was created: nothing was written.
    assert!(!log(&dest_url).schema_ready().await.unwrap());

    // The good one goes in.
    let f = file(good.as_bytes());
    assert_eq!(
        restore(&dest_url, f.path()).await.unwrap().restored,
        events.len() as i64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_log_or_a_running_notifier_at_the_destination_refuses_the_restore() {
    let source_url = lately_testkit::postgres_database().await;
    Writer::start(&source_url).await.history().await;
    let dump = file(&dump_of(&source_url).await);

    // A destination with a history of its own.
    let dest_url = lately_testkit::postgres_database().await;
    let writer = Writer::start(&dest_url).await;
    writer
        .write(
            reqwest::Method::POST,
            "/v1/items",
            json!({"id": "mine", "kind": "book", "title": "Mine"}),
        )
        .await;
    let e = restore(&dest_url, dump.path()).await.unwrap_err();
    assert!(
        matches!(
            e.downcast_ref::<Refused>(),
            Some(Refused::Diverged { position: 1, .. })
        ),
        "{e:#}"
    );
    let dest = log(&dest_url);
    assert_eq!(dest.head().await.unwrap(), 1);
    assert_eq!(Store::new(&dest).checkpoint().await.unwrap(), None);

    // An empty one with a notifier running on it.
    let dest_url = lately_testkit::postgres_database().await;
    let notifier = lately_notifier::leader::Leadership::try_acquire(&dest_url)
        .await
        .unwrap()
        .expect("the lock is free");
    let e = restore(&dest_url, dump.path()).await.unwrap_err();
    assert!(
        matches!(e.downcast_ref::<Refused>(), Some(Refused::NotifierRunning)),
        "{e:#}"
    );
    assert!(
        !log(&dest_url).schema_ready().await.unwrap(),
        "nothing was written"
    );
    drop(notifier);
    assert!(restore(&dest_url, dump.path()).await.is_ok());
}
