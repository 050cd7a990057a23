//! Snapshots on a real PostgreSQL reached through a proxy that can cut the network: a
//! partition (nothing gets through, nothing is closed) makes a snapshot's save or read fail in
//! bounded time, instead of holding a replica's start, or its snapshot task and a pooled
//! connection, for as long as the operating system keeps the socket.

use std::time::Duration;

use lately_log::{EventLog, LogError, LogOptions, Snapshot};
use lately_testkit::{host_port, Proxy};
use sqlx::{Connection, PgConnection};

fn snapshot(position: i64) -> Snapshot {
    Snapshot {
        position,
        state: format!("state at {position}").into_bytes(),
        state_hash: format!("h{position}"),
    }
}

async fn within<T>(task: tokio::task::JoinHandle<T>) -> T {
    tokio::time::timeout(Duration::from_secs(15), task)
        .await
        .expect("still waiting 15 s into the partition")
        .unwrap()
}

fn cut_off<T: std::fmt::Debug>(outcome: Result<T, LogError>, what: &str) {
    let error = outcome.expect_err("no answer can have crossed the partition");
    assert!(error.is_unavailable(), "{what}: {error:?}");
    assert!(
        error.to_string().contains("did not answer"),
        "{what}: not the partition's error: {error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_save_or_read_cut_off_by_a_partition_fails_instead_of_waiting() {
    let url = lately_testkit::postgres_database().await;
    let direct = EventLog::connect(&url, LogOptions::default()).unwrap();
    direct.migrate().await.unwrap();
    let proxy = Proxy::start(host_port(&url)).await;
    let options = LogOptions {
        read_timeout: Duration::from_secs(2),
        snapshot_timeout: Duration::from_secs(3),
        ..LogOptions::default()
    };
    let log = EventLog::connect(&proxy.url_for(&url), options).unwrap();
    assert!(log.save_snapshot(1, &snapshot(10)).await.unwrap());

    // Hold the snapshots, so that the save's insert and the read's query are sent and wait
    // inside the server.
    let mut holder = PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("LOCK TABLE snapshots IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let save = tokio::spawn({
        let log = log.clone();
        async move { log.save_snapshot(1, &snapshot(20)).await }
    });
    let read = tokio::spawn({
        let log = log.clone();
        async move { log.latest_snapshot(1).await }
    });
    lately_testkit::until_waiting_on_a_lock(
        &url,
        "query LIKE '%snapshots%'",
        2,
        "the save's insert and the read's query",
    )
    .await;

    // The network goes, then the server answers: the answers have nowhere to go.
    proxy.stall();
    sqlx::query("COMMIT").execute(&mut holder).await.unwrap();
    cut_off(within(save).await, "the save");
    cut_off(within(read).await, "the read");

    // Once the network is back, the same log saves and reads again, on new connections; the
    // save that was cut off never committed.
    proxy.restore();
    let newest = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match log.latest_snapshot(1).await {
                Ok(newest) => return newest,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    })
    .await
    .expect("snapshots are read again once the network is back");
    assert_eq!(newest.map(|s| s.position), Some(10));
    assert!(log.save_snapshot(1, &snapshot(30)).await.unwrap());
    let newest = log.latest_snapshot(1).await.unwrap().unwrap();
    assert_eq!(
        (newest.position, newest.state),
        (30, b"state at 30".to_vec())
    );
}
