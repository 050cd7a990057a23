//! After a move, the notifier on the new database tweets what the old one had not judged yet,
//! once, and nothing it had: the outbox and its checkpoint move with the log.

mod common;

use std::time::Duration;

use clap::Parser;
use common::Writer;
use lately_log::{EventLog, LogOptions};
use lately_notifier::store::{Entry, Store};
use serde_json::Value;

const KEYS: [(&str, &str); 4] = [
    ("X_CONSUMER_KEY", "admin-ck"),
    ("X_CONSUMER_SECRET", "admin-cs"),
    ("X_ACCESS_TOKEN", "admin-at"),
    ("X_ACCESS_SECRET", "admin-as"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_log_tweets_what_its_old_notifier_had_not_and_nothing_twice() {
    // The only test in this binary: the notifier reads its credentials from the environment.
    for (k, v) in KEYS {
        std::env::set_var(k, v);
    }
    let source_url = lately_testkit::postgres_database().await;
    let finishes = Writer::start(&source_url).await.history().await;
    let source = EventLog::connect(&source_url, LogOptions::default()).unwrap();
    // The old notifier first started after Heat's finish (at the head, as a first start does:
    // Dune's first finish and Heat's have no entry and are never to be tweeted), scanned the
    // essay's finish but had not posted it yet, and had not scanned Dune's re-read.
    let entry = |position: i64, item: &str, status: &str| Entry {
        finish_position: position,
        item_id: item.into(),
        status: status.into(),
        due_at_ms: 0,
        attempts: 0,
        text: None,
        tweet_id: None,
        reason: None,
        posting_started_ms: None,
        updated_ms: 0,
    };
    let old = Store::new(&source);
    old.restore(&[entry(finishes[2], "essay", "pending")])
        .await
        .unwrap();
    old.set_checkpoint(finishes[2]).await.unwrap();

    let mut dump = Vec::new();
    lately_admin::dump::dump(&source_url, &mut dump)
        .await
        .unwrap();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, &dump).unwrap();
    let dest_url = lately_testkit::postgres_database().await;
    lately_admin::restore::restore(&dest_url, file.path())
        .await
        .unwrap();

    let sandbox = lately_x_sandbox::Sandbox::build(lately_x_sandbox::Config {
        listen: "127.0.0.1:0".into(),
        consumer_key: KEYS[0].1.into(),
        consumer_secret: KEYS[1].1.into(),
        access_token: KEYS[2].1.into(),
        access_secret: KEYS[3].1.into(),
    })
    .unwrap();
    let sandbox_url = format!("http://127.0.0.1:{}", sandbox.port());
    tokio::spawn(sandbox.run_until_stopped());
    // From the log's beginning, were it a first start: the checkpoint that came with the
    // dump decides instead.
    let notifier = lately_notifier::startup::Application::build(
        lately_notifier::configuration::Config::parse_from([
            "lately-notifier",
            "--database-url",
            &dest_url,
            "--listen",
            "127.0.0.1:0",
            "--x-api-base",
            &sandbox_url,
            "--delay",
            "0",
            "--poll-ms",
            "50",
            "--start",
            "beginning",
        ]),
    )
    .await
    .unwrap();
    tokio::spawn(notifier.run_until_stopped());

    let dest = EventLog::connect(&dest_url, LogOptions::default()).unwrap();
    let store = Store::new(&dest);
    let status = |position: i64| {
        let store = &store;
        async move { store.entry(position).await.unwrap().map(|e| e.status) }
    };
    common::until("the essay and the re-read are tweeted", || async {
        status(finishes[2]).await.as_deref() == Some("posted")
            && status(finishes[3]).await.as_deref() == Some("posted")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let tweets: Value = reqwest::get(format!("{sandbox_url}/_sandbox/tweets"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut texts: Vec<&str> = tweets["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    texts.sort();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[0].contains("“An essay”"), "{texts:?}");
    assert!(
        texts[1].contains("“Dune”") && texts[1].contains("2nd time"),
        "{texts:?}"
    );
    assert_eq!(
        status(finishes[0]).await,
        None,
        "Dune's first finish stays untweeted"
    );
}
