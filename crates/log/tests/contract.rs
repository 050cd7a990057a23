//! The log's contract, proven against a real PostgreSQL and a real SQLite file: every test
//! here runs on both backends.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use lately_log::{
    AppendError, AppendOptions, AppendRequest, Appender, EventLog, LogError, LogOptions, NewEvent,
    RestoreError,
};
use lately_testkit::Backend;
use serde_json::json;
use uuid::Uuid;

fn options() -> LogOptions {
    LogOptions {
        max_connections: 8,
        acquire_timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(20),
        ..LogOptions::default()
    }
}

/// A migrated log on a fresh database; the guard keeps a SQLite file alive.
async fn fresh(backend: Backend) -> (Option<tempfile::TempDir>, String, EventLog) {
    let (guard, url) = lately_testkit::database(backend).await;
    let log = EventLog::connect(&url, options()).unwrap();
    log.migrate().await.unwrap();
    (guard, url, log)
}

fn event(n: usize) -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: "thing_happened".into(),
        schema_version: 1,
        data: json!({ "n": n, "text": "naïve “quotes” 字" }),
        metadata: json!({ "request_id": format!("req-{n}") }),
    }
}

fn request(stream: &str, expected: Option<i64>, events: Vec<NewEvent>) -> AppendRequest {
    AppendRequest {
        stream_id: stream.into(),
        expected_version: expected,
        events,
    }
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(lately_testkit::Backend::Postgres).await
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(lately_testkit::Backend::Sqlite).await
                }
            )*
        }
    };
}

on_both_backends!(
    appended_events_read_back_in_order_with_consecutive_positions,
    a_large_snapshot_comes_back_byte_for_byte,
    a_damaged_snapshot_is_no_snapshot,
    an_acknowledged_append_is_visible_to_every_other_connection,
    a_retried_event_id_returns_the_original_position_and_appends_nothing,
    a_stale_expected_version_is_a_conflict_that_appends_nothing,
    an_appender_is_never_misled_by_what_another_one_appended,
    concurrent_appenders_and_tailers_see_every_event_exactly_once_in_order,
    concurrent_appends_are_committed_in_shared_transactions,
    a_subscription_resumes_from_its_position_without_loss_or_repeats,
    a_subscription_without_metadata_reads_everything_else_the_same,
    the_log_refuses_updates_and_deletes,
    migrations_report_ready_and_run_once,
    restored_events_read_back_exactly_and_the_log_goes_on_after_them,
);

async fn appended_events_read_back_in_order_with_consecutive_positions(backend: Backend) {
    let (_guard, _url, log) = fresh(backend).await;
    let appender = Appender::spawn(&log, AppendOptions::default());
    assert_eq!(log.head().await.unwrap(), 0);

    let first = appender
        .append(request("book-1", Some(0), vec![event(1), event(2)]))
        .await
        .unwrap();
    assert_eq!(
        (first.first_position, first.last_position, first.version),
        (1, 2, 2)
    );
    let second = appender
        .append(request("book-2", None, vec![event(3)]))
        .await
        .unwrap();
    assert_eq!((second.first_position, second.version), (3, 1));

    let all = log.read_after(0, 100).await.unwrap();
    let got: Vec<_> = all
        .iter()
        .map(|e| {
            (
                e.position,
                e.stream_id.as_str(),
                e.stream_version,
                e.data.value().unwrap()["n"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "book-1", 1, json!(1)),
            (2, "book-1", 2, json!(2)),
            (3, "book-2", 1, json!(3)),
        ]
    );
    assert_eq!(all[0].data.value().unwrap()["text"], "naïve “quotes” 字");
    assert_eq!(all[2].metadata["request_id"], "req-3");
    assert_eq!(all[0].event_type, "thing_happened");
    assert!(
        (chrono::Utc::now() - all[0].recorded_at)
            .num_seconds()
            .abs()
            < 60
    );

    assert_eq!(log.read_after(1, 1).await.unwrap()[0].position, 2);
    let stream = log.read_stream("book-1").await.unwrap();
    assert_eq!(stream.len(), 2);
    assert_eq!(log.stream_version("book-1").await.unwrap(), 2);
    assert_eq!(log.stream_version("nope").await.unwrap(), 0);
    assert_eq!(log.head().await.unwrap(), 3);
}

async fn an_acknowledged_append_is_visible_to_every_other_connection(backend: Backend) {
    let (_guard, url, log) = fresh(backend).await;
    let appender = Appender::spawn(&log, AppendOptions::default());
    let other = EventLog::connect(&url, options()).unwrap();
    for n in 0..20 {
        let done = appender
            .append(request("s", None, vec![event(n)]))
            .await
            .unwrap();
        // No waiting: acknowledgement means the transaction has committed.
        assert_eq!(other.head().await.unwrap(), done.last_position);
    }
}

async fn a_retried_event_id_returns_the_original_position_and_appends_nothing(backend: Backend) {
    let (_guard, _url, log) = fresh(backend).await;
    let appender = Appender::spawn(&log, AppendOptions::default());
    let e = event(1);
    let original = appender
        .append(request("movie-1", Some(0), vec![e.clone()]))
        .await
        .unwrap();
    appender
        .append(request("movie-2", None, vec![event(2)]))
        .await
        .unwrap();

    // The same request again — even with an expected version that is now stale.
    let retry = appender
        .append(request("movie-1", Some(0), vec![e.clone()]))
        .await
        .unwrap();
    assert!(retry.duplicate && !original.duplicate);
    assert_eq!(retry.first_position, original.first_position);
    assert_eq!(retry.version, original.version);
    assert_eq!(log.head().await.unwrap(), 2);

    // Retries racing each other (and the original) in one batch: still appended once.
    let fresh_event = event(3);
    let racing = futures::future::join_all(
        (0..10).map(|_| appender.append(request("movie-3", None, vec![fresh_event.clone()]))),
    )
    .await;
    let positions: HashSet<i64> = racing
        .iter()
        .map(|r| r.as_ref().unwrap().first_position)
        .collect();
    assert_eq!(positions, HashSet::from([3]));
    assert_eq!(log.head().await.unwrap(), 3);

    // The same id for a different stream is not a retry.
    let misuse = appender.append(request("movie-9", None, vec![e])).await;
    assert!(
        matches!(misuse, Err(AppendError::EventIdReused { .. })),
        "{misuse:?}"
    );
    assert_eq!(log.head().await.unwrap(), 3);
}

async fn a_stale_expected_version_is_a_conflict_that_appends_nothing(backend: Backend) {
    let (_guard, _url, log) = fresh(backend).await;
    let appender = Appender::spawn(&log, AppendOptions::default());
    appender
        .append(request("game-1", Some(0), vec![event(1)]))
        .await
        .unwrap();

    let again = appender
        .append(request("game-1", Some(0), vec![event(2)]))
        .await;
    match again {
        Err(AppendError::Conflict {
            current,
            expected,
            stream_id,
        }) => {
            assert_eq!((current, expected, stream_id.as_str()), (1, 0, "game-1"));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let ahead = appender
        .append(request("game-1", Some(5), vec![event(3)]))
        .await;
    assert!(matches!(
        ahead,
        Err(AppendError::Conflict { current: 1, .. })
    ));
    assert_eq!(log.head().await.unwrap(), 1);

    // Of two writers that both saw version 1, exactly one wins.
    let (a, b) = tokio::join!(
        appender.append(request("game-1", Some(1), vec![event(4)])),
        appender.append(request("game-1", Some(1), vec![event(5)])),
    );
    assert_eq!(a.is_ok() as u8 + b.is_ok() as u8, 1, "{a:?} {b:?}");
    assert_eq!(log.head().await.unwrap(), 2);
}

/// The central guarantee. Several independent appenders (separate pools and group-commit tasks,
/// as separate writer processes would be) append concurrently while tailers follow the log.
/// Every tailer must see exactly the acknowledged events, each once, at positions 1..=N.
///
/// With a BIGSERIAL-style log (positions handed out at insert, not serialised until commit),
/// tailers read past a position whose transaction has not committed yet and skip it for good;
/// this test then fails on a missing event or on the gap check.
/// Two appenders (as in two writer processes) on one log, taking turns: whatever one of them
/// remembers from its own commits is stale after the other's, and must never decide an outcome.
async fn an_appender_is_never_misled_by_what_another_one_appended(backend: Backend) {
    let (_guard, url, log) = fresh(backend).await;
    let other_log = EventLog::connect(&url, options()).unwrap();
    let a = Appender::spawn(&log, AppendOptions::default());
    let b = Appender::spawn(&other_log, AppendOptions::default());

    let first = a
        .append(request("s", Some(0), vec![event(1)]))
        .await
        .unwrap();
    assert_eq!((first.first_position, first.version), (1, 1));
    // B moves the head and the stream on behind A's back.
    let theirs = b
        .append(request("s", Some(1), vec![event(2)]))
        .await
        .unwrap();
    assert_eq!((theirs.first_position, theirs.version), (2, 2));

    // A's expectation is right, though A itself last saw version 1.
    let next = a
        .append(request("s", Some(2), vec![event(3)]))
        .await
        .unwrap();
    assert_eq!((next.first_position, next.version), (3, 3));
    // A stale expectation is refused with the real version.
    b.append(request("t", None, vec![event(4)])).await.unwrap();
    match a.append(request("s", Some(2), vec![event(5)])).await {
        Err(AppendError::Conflict { current, .. }) => assert_eq!(current, 3),
        other => panic!("expected a conflict at version 3, got {other:?}"),
    }
    // A stream A has never seen but B created is not taken for a new one.
    let on_t = a.append(request("t", None, vec![event(6)])).await.unwrap();
    assert_eq!((on_t.first_position, on_t.version), (5, 2));
    match a.append(request("t", Some(0), vec![event(7)])).await {
        Err(AppendError::Conflict { current, .. }) => assert_eq!(current, 2),
        other => panic!("expected a conflict at version 2, got {other:?}"),
    }
    // A retry through the other appender is recognised, not appended again.
    let retried = NewEvent {
        event_id: Uuid::new_v4(),
        ..event(8)
    };
    let original = a
        .append(request("u", None, vec![retried.clone()]))
        .await
        .unwrap();
    let again = b.append(request("u", None, vec![retried])).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.first_position, original.first_position);

    let all = log.read_after(0, 100).await.unwrap();
    let positions: Vec<i64> = all.iter().map(|e| e.position).collect();
    assert_eq!(
        positions,
        (1..=6).collect::<Vec<_>>(),
        "gap-free, nothing doubled"
    );
    let streams: Vec<(&str, i64)> = all
        .iter()
        .map(|e| (e.stream_id.as_str(), e.stream_version))
        .collect();
    assert_eq!(
        streams,
        [("s", 1), ("s", 2), ("s", 3), ("t", 1), ("t", 2), ("u", 1)]
    );
}

async fn concurrent_appenders_and_tailers_see_every_event_exactly_once_in_order(backend: Backend) {
    const APPENDERS: usize = 4;
    const TASKS_PER_APPENDER: usize = 8;
    const APPENDS_PER_TASK: usize = 40;
    let total = APPENDERS * TASKS_PER_APPENDER * APPENDS_PER_TASK;

    let (_guard, url, _log) = fresh(backend).await;

    let mut tailers = Vec::new();
    for t in 0..3 {
        let tail_log = EventLog::connect(&url, options()).unwrap();
        tailers.push(tokio::spawn(async move {
            let mut sub = tail_log.subscribe(0).with_page_size(7 + t);
            let mut seen = Vec::with_capacity(total);
            while seen.len() < total {
                let page = tokio::time::timeout(Duration::from_secs(60), sub.next())
                    .await
                    .expect("tailer stalled")
                    .expect("tailer read failed");
                seen.extend(
                    page.into_iter()
                        .map(|e| (e.position, e.event_id, e.stream_id, e.stream_version)),
                );
            }
            seen
        }));
    }

    let mut writers = Vec::new();
    for a in 0..APPENDERS {
        let log = EventLog::connect(&url, options()).unwrap();
        let appender = Appender::spawn(
            &log,
            AppendOptions {
                max_batch_events: 16,
                ..Default::default()
            },
        );
        for t in 0..TASKS_PER_APPENDER {
            let appender = appender.clone();
            writers.push(tokio::spawn(async move {
                let mut acked = Vec::new();
                for i in 0..APPENDS_PER_TASK {
                    let e = event(i);
                    let id = e.event_id;
                    let stream = format!("item-{a}-{t}-{}", i % 3);
                    let done = appender
                        .append(request(&stream, None, vec![e]))
                        .await
                        .unwrap();
                    acked.push((id, done.first_position));
                }
                acked
            }));
        }
    }
    let mut acknowledged: HashMap<Uuid, i64> = HashMap::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    assert_eq!(acknowledged.len(), total);
    let positions: HashSet<i64> = acknowledged.values().copied().collect();
    assert_eq!(
        positions,
        (1..=total as i64).collect(),
        "positions are not 1..=N"
    );

    for tailer in tailers {
        let seen = tailer.await.unwrap();
        assert_eq!(seen.len(), total);
        for (i, (position, id, _, _)) in seen.iter().enumerate() {
            assert_eq!(*position, i as i64 + 1, "tailer saw positions out of order");
            assert_eq!(
                acknowledged.get(id),
                Some(position),
                "tailer saw an unacknowledged or moved event"
            );
        }
        let mut versions: BTreeMap<&str, i64> = BTreeMap::new();
        for (_, _, stream, version) in &seen {
            let last = versions.entry(stream).or_insert(0);
            assert_eq!(*version, *last + 1, "stream {stream} versions out of order");
            *last = *version;
        }
    }
}

async fn concurrent_appends_are_committed_in_shared_transactions(backend: Backend) {
    let (_guard, _url, log) = fresh(backend).await;
    let appender = Appender::spawn(&log, AppendOptions::default());
    let results = futures::future::join_all(
        (0..300).map(|n| appender.append(request(&format!("s{}", n % 10), None, vec![event(n)]))),
    )
    .await;
    assert!(results.iter().all(Result::is_ok));
    // Every event of one transaction carries that transaction's recorded time.
    let events = log.read_after(0, 1000).await.unwrap();
    let transactions: HashSet<_> = events.iter().map(|e| e.recorded_at).collect();
    assert_eq!(events.len(), 300);
    assert!(
        transactions.len() < 150,
        "300 concurrent appends took {} transactions: no group commit",
        transactions.len()
    );
}

async fn a_subscription_resumes_from_its_position_without_loss_or_repeats(backend: Backend) {
    let (_guard, url, log) = fresh(backend).await;
    let appender = Appender::spawn(&log, AppendOptions::default());
    for n in 0..10 {
        appender
            .append(request("s", None, vec![event(n)]))
            .await
            .unwrap();
    }
    let reader = EventLog::connect(&url, options()).unwrap();
    let mut sub = reader.subscribe(0).with_page_size(4);
    let mut seen: Vec<i64> = Vec::new();
    while seen.len() < 6 {
        seen.extend(sub.next().await.unwrap().iter().map(|e| e.position));
    }
    // A replica restarts from its last position (as after a crash or a snapshot).
    let resumed_at = seen.len() as i64;
    drop(sub);
    let mut sub = reader.subscribe(resumed_at);
    for n in 10..15 {
        appender
            .append(request("s", None, vec![event(n)]))
            .await
            .unwrap();
    }
    while seen.len() < 15 {
        let page = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .unwrap()
            .unwrap();
        seen.extend(page.iter().map(|e| e.position));
    }
    assert_eq!(seen, (1..=15).collect::<Vec<_>>());
    assert_eq!(sub.position(), 15);
}

/// A tailer that never reads metadata (a replica, the notifier) can leave it out; every other
/// field is what the log holds, across pages and the reads ahead of a catching-up subscription.
async fn a_subscription_without_metadata_reads_everything_else_the_same(backend: Backend) {
    let (_guard, _url, log) = fresh(backend).await;
    let appender = Appender::spawn(&log, AppendOptions::default());
    for n in 0..11 {
        appender
            .append(request(&format!("s{}", n % 3), None, vec![event(n)]))
            .await
            .unwrap();
    }
    let stored = log.read_after(0, 100).await.unwrap();
    assert_eq!(stored.len(), 11);
    assert!(stored.iter().all(|e| e.metadata["request_id"].is_string()));

    let read = |metadata: bool| {
        let log = log.clone();
        async move {
            let mut sub = log.subscribe(0).with_page_size(3);
            if !metadata {
                sub = sub.without_metadata();
            }
            let mut events = Vec::new();
            while events.len() < 11 {
                events.extend(sub.next().await.unwrap());
            }
            events
        }
    };
    assert_eq!(
        read(true).await,
        stored,
        "with metadata: exactly what is stored"
    );
    let without = read(false).await;
    let expected: Vec<_> = stored
        .into_iter()
        .map(|e| lately_log::RecordedEvent {
            metadata: serde_json::Value::Null,
            ..e
        })
        .collect();
    assert_eq!(without, expected);
}

async fn the_log_refuses_updates_and_deletes(backend: Backend) {
    let (_guard, _url, log) = fresh(backend).await;
    let appender = Appender::spawn(&log, AppendOptions::default());
    appender
        .append(request("s", None, vec![event(1)]))
        .await
        .unwrap();
    let (update, delete) = match (log.pg_pool(), log.sqlite_pool()) {
        (Some(pool), _) => (
            sqlx::query("UPDATE events SET event_type = 'x'")
                .execute(pool)
                .await
                .err(),
            sqlx::query("DELETE FROM events").execute(pool).await.err(),
        ),
        (_, Some(pool)) => (
            sqlx::query("UPDATE events SET event_type = 'x'")
                .execute(pool)
                .await
                .err(),
            sqlx::query("DELETE FROM events").execute(pool).await.err(),
        ),
        _ => unreachable!(),
    };
    for e in [update, delete] {
        let e = e.expect("a change to history was allowed");
        assert!(e.to_string().contains("append-only"), "{e}");
    }
    assert_eq!(
        log.read_after(0, 10).await.unwrap()[0].event_type,
        "thing_happened"
    );
}

async fn migrations_report_ready_and_run_once(backend: Backend) {
    let (_guard, url) = lately_testkit::database(backend).await;
    let log = EventLog::connect(&url, options()).unwrap();
    assert!(!log.schema_ready().await.unwrap());
    log.migrate().await.unwrap();
    assert!(log.schema_ready().await.unwrap());
    log.migrate().await.unwrap();
    assert_eq!(log.head().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_migrations_are_safe_when_several_writers_start_at_once() {
    let url = lately_testkit::postgres_database().await;
    let logs: Vec<EventLog> = (0..4)
        .map(|_| EventLog::connect(&url, options()).unwrap())
        .collect();
    let results = futures::future::join_all(logs.iter().map(EventLog::migrate)).await;
    for r in results {
        r.unwrap();
    }
    assert!(logs[0].schema_ready().await.unwrap());
}

/// Nothing but a `NOTIFY` can wake this subscriber: it polls once a minute and shares nothing
/// with the appending process.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_subscribers_are_woken_by_notifications() {
    let url = lately_testkit::postgres_database().await;
    let log = EventLog::connect(&url, options()).unwrap();
    log.migrate().await.unwrap();
    let appender = Appender::spawn(&log, AppendOptions::default());

    let slow_poll = LogOptions {
        poll_interval: Duration::from_secs(60),
        ..options()
    };
    let reader = EventLog::connect(&url, slow_poll).unwrap();
    let mut sub = reader.subscribe(0);
    // Let the listener connect before the first append.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for n in 1..=3 {
        appender
            .append(request("s", None, vec![event(n)]))
            .await
            .unwrap();
        let page = tokio::time::timeout(Duration::from_secs(10), sub.next())
            .await
            .expect("not woken by NOTIFY")
            .unwrap();
        assert_eq!(page.last().unwrap().position, n as i64);
    }
}

/// A tailer whose connections are killed under it resumes on new ones, missing and repeating
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_subscription_survives_killed_connections() {
    let url = lately_testkit::postgres_database().await;
    let log = EventLog::connect(&url, options()).unwrap();
    log.migrate().await.unwrap();
    let appender = Appender::spawn(&log, AppendOptions::default());
    let reader = EventLog::connect(&url, options()).unwrap();
    let mut sub = reader.subscribe(0);

    let admin = EventLog::connect(&url, options()).unwrap();
    let kill_readers = || async {
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .execute(admin.pg_pool().unwrap())
        .await
        .unwrap();
    };

    let mut seen = Vec::new();
    for round in 0..5 {
        for n in 0..10 {
            appender
                .append(request("s", None, vec![event(round * 10 + n)]))
                .await
                .unwrap();
        }
        kill_readers().await;
        while seen.len() < (round + 1) * 10 {
            match tokio::time::timeout(Duration::from_secs(15), sub.next())
                .await
                .expect("stalled")
            {
                Ok(page) => seen.extend(page.iter().map(|e| e.position)),
                // The first read on a killed connection may fail; the next one reconnects.
                Err(LogError::Unavailable(_)) | Err(LogError::Database(_)) => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert_eq!(seen, (1..=50).collect::<Vec<_>>());
}

/// Over a link too slow to bring a whole page of large events within the read timeout, a
/// tailer reads smaller pages, rather than timing out on the same page forever, and still
/// misses and repeats nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_subscription_gets_through_a_slow_link_in_smaller_pages() {
    let url = lately_testkit::postgres_database().await;
    let log = EventLog::connect(&url, options()).unwrap();
    log.migrate().await.unwrap();
    let appender = Appender::spawn(&log, AppendOptions::default());
    let text = "x".repeat(4000);
    for n in 0..32 {
        let mut e = event(n);
        e.data = json!({ "n": n, "text": text });
        appender.append(request("s", None, vec![e])).await.unwrap();
    }
    // 32 events of ~4 KB: a page of all of them takes ~2.7 s at 48 KB/s, a page of 8 ~0.7 s.
    let proxy = lately_testkit::Proxy::start(lately_testkit::host_port(&url)).await;
    proxy.throttle(48 * 1024);
    let slow = LogOptions {
        read_timeout: Duration::from_secs(1),
        ..options()
    };
    let reader = EventLog::connect(&proxy.url_for(&url), slow).unwrap();
    let mut sub = reader.subscribe(0).with_page_size(32);

    let (mut seen, mut timeouts) = (Vec::new(), 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while seen.len() < 32 {
        assert!(
            std::time::Instant::now() < deadline,
            "stuck at position {} after {timeouts} reads timed out",
            sub.position()
        );
        match sub.next().await {
            Ok(page) => seen.extend(page.iter().map(|e| e.position)),
            Err(e) if e.is_read_timeout() => timeouts += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(seen, (1..=32).collect::<Vec<_>>());
    assert!(timeouts > 0, "the link was to be too slow for a whole page");
}

#[tokio::test]
async fn an_unreachable_database_fails_fast_as_unavailable() {
    // Port 1 on loopback: nothing listens there.
    let log = EventLog::connect(
        "postgres://lately@127.0.0.1:1/lately",
        LogOptions {
            acquire_timeout: Duration::from_millis(300),
            ..options()
        },
    )
    .unwrap();
    let appender = Appender::spawn(&log, AppendOptions::default());
    let started = std::time::Instant::now();
    let err = appender
        .append(request("s", None, vec![event(1)]))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppendError::Log(e) if e.is_unavailable()),
        "{err:?}"
    );
    assert!(matches!(log.head().await, Err(e) if e.is_unavailable()));
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn snapshots_round_trip_by_version_and_keep_the_newest() {
    for backend in [Backend::Postgres, Backend::Sqlite] {
        let (_guard, _url, log) = fresh(backend).await;
        assert!(log.latest_snapshot(1).await.unwrap().is_none());
        for position in [10, 20, 30, 40] {
            let snap = lately_log::Snapshot {
                position,
                state: format!("state at {position}").into_bytes(),
                state_hash: format!("h{position}"),
            };
            assert!(log.save_snapshot(1, &snap).await.unwrap());
        }
        let other = lately_log::Snapshot {
            position: 99,
            state: vec![1],
            state_hash: "x".into(),
        };
        log.save_snapshot(2, &other).await.unwrap();
        let newest = log.latest_snapshot(1).await.unwrap().unwrap();
        assert_eq!(
            (newest.position, newest.state.as_slice()),
            (40, &b"state at 40"[..])
        );
        assert_eq!(log.latest_snapshot(2).await.unwrap().unwrap().position, 99);
        let count: i64 = match (log.pg_pool(), log.sqlite_pool()) {
            (Some(p), _) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM snapshots WHERE projection_version = 1")
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
            (_, Some(p)) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM snapshots WHERE projection_version = 1")
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
            _ => unreachable!(),
        };
        assert_eq!(count, 3, "old snapshots are pruned");
    }
}

/// A snapshot of tens of MB is read from PostgreSQL in slices over several connections; it
/// must come back byte for byte on both backends: saved now (compressed by the log, in frames
/// decompressed on several threads), and as saved before the log compressed them (the bytes
/// themselves, stored plain or compressed by PostgreSQL).
async fn a_large_snapshot_comes_back_byte_for_byte(backend: Backend) {
    // 9 MiB and a bit: three frames, and, not compressible, more than two slices, the last one
    // short. Pseudo-random bytes, so no page of them repeats another.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..(9 << 20) + 12_345)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    // Compressible, as a projection's bytes are.
    let text: Vec<u8> = (0..(9 << 20) + 777)
        .map(|i| b"lately snapshot "[i % 16] + (i / 4096 % 3) as u8)
        .collect();
    let (_guard, _url, log) = fresh(backend).await;
    let stored = |position: i64| {
        let log = log.clone();
        async move {
            let sql =
                "SELECT CAST(length(state) AS BIGINT), encoding FROM snapshots WHERE position = $1";
            let row: (i64, String) = match (log.pg_pool(), log.sqlite_pool()) {
                (Some(pool), _) => sqlx::query_as(sql).bind(position).fetch_one(pool).await,
                (_, Some(pool)) => sqlx::query_as(sql).bind(position).fetch_one(pool).await,
                _ => unreachable!(),
            }
            .unwrap();
            row
        }
    };
    let check = |position: i64, state: &Vec<u8>| {
        let log = log.clone();
        let state = state.clone();
        async move {
            let loaded = log.latest_snapshot(7).await.unwrap().unwrap();
            assert_eq!(
                (loaded.position, loaded.state_hash.as_str()),
                (position, format!("h{position}").as_str())
            );
            assert!(
                loaded.state == state,
                "{} at {position}: the bytes differ",
                log.backend_name()
            );
        }
    };
    for (position, state) in [(10, &noise), (20, &text)] {
        let snapshot = lately_log::Snapshot {
            position,
            state: state.clone(),
            state_hash: format!("h{position}"),
        };
        assert!(log.save_snapshot(7, &snapshot).await.unwrap());
        check(position, state).await;
    }
    // Stored compressed: the text in a small fraction of its bytes, the noise in about as many
    // as it has.
    let (text_stored, encoding) = stored(20).await;
    assert_eq!(encoding, "zstd");
    assert!(
        text_stored < text.len() as i64 / 50,
        "{text_stored} bytes stored"
    );
    assert!(stored(10).await.0 < noise.len() as i64 + 4096);

    // Rows saved before the log compressed them: the bytes themselves, stored plain (read in
    // slices from PostgreSQL) or compressed by PostgreSQL (read in one piece).
    for (position, compressed) in [(30, false), (40, true)] {
        let insert = "INSERT INTO snapshots (projection_version, position, state, state_hash) \
                      VALUES (7, $1, $2, $3)";
        let hash = format!("h{position}");
        match (log.pg_pool(), log.sqlite_pool()) {
            (Some(pool), _) => {
                let storage = if compressed { "EXTENDED" } else { "EXTERNAL" };
                sqlx::query(&format!(
                    "ALTER TABLE snapshots ALTER COLUMN state SET STORAGE {storage}"
                ))
                .execute(pool)
                .await
                .unwrap();
                sqlx::query(insert)
                    .bind(position)
                    .bind(&text)
                    .bind(&hash)
                    .execute(pool)
                    .await
                    .unwrap();
                let by_postgres: Option<String> = sqlx::query_scalar(
                    "SELECT pg_column_compression(state) FROM snapshots WHERE position = $1",
                )
                .bind(position)
                .fetch_one(pool)
                .await
                .unwrap();
                assert_eq!(
                    by_postgres.is_some(),
                    compressed,
                    "stored as this case means"
                );
            }
            (_, Some(pool)) => {
                sqlx::query(insert)
                    .bind(position)
                    .bind(&text)
                    .bind(&hash)
                    .execute(pool)
                    .await
                    .unwrap();
            }
            _ => unreachable!(),
        }
        assert_eq!(stored(position).await, (text.len() as i64, "raw".into()));
        check(position, &text).await;
    }
}

/// A snapshot whose stored bytes are damaged, or in an encoding this build does not know, is
/// answered as no snapshot (its reader replays the log), not as an error that every retry of
/// the read would meet again, nor as wrong bytes.
async fn a_damaged_snapshot_is_no_snapshot(backend: Backend) {
    let (_guard, _url, log) = fresh(backend).await;
    let state: Vec<u8> = (0..200_000u32)
        .flat_map(|i| (i % 1000).to_le_bytes())
        .collect();
    let snapshot = lately_log::Snapshot {
        position: 5,
        state: state.clone(),
        state_hash: "h5".into(),
    };
    assert!(log.save_snapshot(3, &snapshot).await.unwrap());
    assert!(log.latest_snapshot(3).await.unwrap().unwrap().state == state);
    let read = "SELECT state FROM snapshots WHERE position = 5";
    let stored: Vec<u8> = match (log.pg_pool(), log.sqlite_pool()) {
        (Some(pool), _) => sqlx::query_scalar(read).fetch_one(pool).await,
        (_, Some(pool)) => sqlx::query_scalar(read).fetch_one(pool).await,
        _ => unreachable!(),
    }
    .unwrap();
    let mut flipped = stored.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    let cases: [(&[u8], &str, &str); 3] = [
        (&flipped, "zstd", "a byte changed"),
        (&stored[..stored.len() - 3], "zstd", "cut short"),
        (&stored, "brotli", "an encoding this build does not know"),
    ];
    for (bytes, encoding, case) in cases {
        let update = "UPDATE snapshots SET state = $1, encoding = $2 WHERE position = 5";
        match (log.pg_pool(), log.sqlite_pool()) {
            (Some(pool), _) => sqlx::query(update)
                .bind(bytes)
                .bind(encoding)
                .execute(pool)
                .await
                .map(drop),
            (_, Some(pool)) => sqlx::query(update)
                .bind(bytes)
                .bind(encoding)
                .execute(pool)
                .await
                .map(drop),
            _ => unreachable!(),
        }
        .unwrap();
        assert!(
            log.latest_snapshot(3).await.unwrap().is_none(),
            "{}: {case}",
            log.backend_name()
        );
    }
    // Mended, it is read again.
    let update = "UPDATE snapshots SET state = $1, encoding = 'zstd' WHERE position = 5";
    match (log.pg_pool(), log.sqlite_pool()) {
        (Some(pool), _) => sqlx::query(update)
            .bind(&stored)
            .execute(pool)
            .await
            .map(drop),
        (_, Some(pool)) => sqlx::query(update)
            .bind(&stored)
            .execute(pool)
            .await
            .map(drop),
        _ => unreachable!(),
    }
    .unwrap();
    assert!(log.latest_snapshot(3).await.unwrap().unwrap().state == state);
}

/// A log moved from the other backend to this one: every field of every event as it was,
/// tailers woken, and appends going on from the restored head and stream versions.
async fn restored_events_read_back_exactly_and_the_log_goes_on_after_them(backend: Backend) {
    let other = match backend {
        Backend::Postgres => Backend::Sqlite,
        Backend::Sqlite => Backend::Postgres,
    };
    let (_source_guard, _, source) = fresh(other).await;
    let appender = Appender::spawn(&source, AppendOptions::default());
    for (stream, n) in [("book-1", 0), ("book-2", 2), ("book-1", 4), ("book-3", 5)] {
        appender
            .append(request(stream, None, vec![event(n), event(n + 1)]))
            .await
            .unwrap();
    }
    let dumped = source.read_after(0, 100).await.unwrap();
    assert_eq!(dumped.len(), 8);

    let (_guard, _, log) = fresh(backend).await;
    let mut tail = log.subscribe(0);
    assert_eq!(log.restore(&dumped[..3]).await.unwrap(), 3);

    // What does not continue the log is refused whole, and writes nothing.
    let again = log.restore(&dumped[..3]).await.unwrap_err();
    assert!(
        matches!(
            again,
            RestoreError::NotNext {
                expected: 4,
                found: 1
            }
        ),
        "{again}"
    );
    let mut gap = dumped[3..5].to_vec();
    gap[1].stream_version += 1;
    let gap = log.restore(&gap).await.unwrap_err();
    assert!(
        matches!(
            &gap,
            RestoreError::StreamVersion {
                position: 5,
                current: 2,
                found: 4,
                ..
            }
        ),
        "{gap}"
    );
    let mut reused = dumped[3..5].to_vec();
    reused[1].event_id = dumped[0].event_id;
    assert!(log.restore(&reused).await.is_err());
    assert_eq!(log.head().await.unwrap(), 3);

    assert_eq!(log.restore(&dumped[3..]).await.unwrap(), 8);
    assert_eq!(log.read_after(0, 100).await.unwrap(), dumped);
    let mut seen = Vec::new();
    while seen.len() < dumped.len() {
        let page = tokio::time::timeout(Duration::from_secs(5), tail.next())
            .await
            .expect("the restore wakes tailers")
            .unwrap();
        seen.extend(page.into_iter().map(|e| e.position));
    }
    assert_eq!(seen, (1..=8).collect::<Vec<_>>());

    // Appends go on after the restored events, on the restored streams' versions.
    let appender = Appender::spawn(&log, AppendOptions::default());
    let next = appender
        .append(request("book-1", Some(4), vec![event(9)]))
        .await
        .unwrap();
    assert_eq!((next.first_position, next.version), (9, 5));
    let stale = appender
        .append(request("book-3", Some(0), vec![event(10)]))
        .await
        .unwrap_err();
    assert!(
        matches!(stale, AppendError::Conflict { current: 2, .. }),
        "{stale}"
    );

    // A restore holds off every other append from its start to its end: none lands between
    // its batches.
    let (_other_guard, _, other) = fresh(backend).await;
    let mut restorer = other.restorer().await.unwrap();
    restorer.restore(&dumped[..4]).await.unwrap();
    let appender = Appender::spawn(&other, AppendOptions::default());
    let waiting = tokio::spawn(async move {
        appender
            .append(request("book-9", None, vec![event(99)]))
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "an append landed in the middle of a restore"
    );
    restorer.restore(&dumped[4..]).await.unwrap();
    assert_eq!(restorer.finish().await.unwrap(), 8);
    let appended = waiting.await.unwrap().unwrap();
    assert_eq!(appended.first_position, 9);
    assert_eq!(other.read_after(0, 100).await.unwrap()[..8], dumped[..]);
    assert_eq!(
        other.restore(&[]).await.unwrap(),
        9,
        "nothing restored: the head as it is"
    );
}
