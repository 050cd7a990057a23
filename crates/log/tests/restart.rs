//! The appender keeps its PostgreSQL connection from one commit to the next instead of taking a
//! pinged one from a pool each time. A server restart kills that connection; the next append
//! must still succeed, on a new one, without its caller seeing an error.
//!
//! Its own test binary, because it restarts the server every other test uses (cargo runs test
//! binaries one after another). It needs the throwaway cluster of `make test`
//! (scripts/with-postgres exports LATELY_TEST_PG_CTL and LATELY_TEST_PGDATA); against a server
//! of your own (DATABASE_URL set by hand) it says so and does nothing.

use std::time::Duration;

use lately_log::{AppendOptions, AppendRequest, Appender, EventLog, LogOptions, NewEvent};
use serde_json::json;
use uuid::Uuid;

fn request(stream: &str) -> AppendRequest {
    AppendRequest {
        stream_id: stream.into(),
        expected_version: None,
        events: vec![NewEvent {
            event_id: Uuid::new_v4(),
            event_type: "thing_happened".into(),
            schema_version: 1,
            data: json!({}),
            metadata: json!({}),
        }],
    }
}

#[tokio::test]
async fn the_first_append_after_a_server_restart_succeeds() {
    if !lately_testkit::can_restart_postgres() {
        eprintln!("skipped: needs the throwaway cluster of `make test` (it restarts it)");
        return;
    }
    let url = lately_testkit::postgres_database().await;
    let log = EventLog::connect(
        &url,
        LogOptions {
            acquire_timeout: Duration::from_secs(10),
            ..LogOptions::default()
        },
    )
    .unwrap();
    log.migrate().await.unwrap();
    let appender = Appender::spawn(&log, AppendOptions::default());
    for stream in ["a", "b"] {
        appender.append(request(stream)).await.unwrap();
    }

    assert!(lately_testkit::restart_postgres().unwrap());

    let appended = appender
        .append(request("a"))
        .await
        .expect("the append right after the restart succeeds");
    assert_eq!((appended.first_position, appended.version), (3, 2));
    assert!(!appended.duplicate);
    let all = log.read_after(0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.position).collect::<Vec<_>>(),
        [1, 2, 3],
        "each append is in the log once"
    );
}
