//! The outbox on a real PostgreSQL, reached through a proxy that can cut the network.

use std::time::Duration;

use lately_log::{EventLog, LogOptions};
use lately_notifier::store::Store;
use lately_testkit::{host_port, Proxy};
use sqlx::{Connection, PgConnection};

/// A partition that falls while an outbox statement waits for its answer (nothing answers,
/// nothing is closed) makes that statement fail, within the notifier's bound, instead of
/// holding the leader's round, and with it the leader, for as long as the socket lives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outbox_statement_cut_off_by_a_partition_fails_instead_of_waiting() {
    let url = lately_testkit::postgres_database().await;
    let direct = EventLog::connect(&url, LogOptions::default()).unwrap();
    direct.migrate().await.unwrap();
    let proxy = Proxy::start(host_port(&url)).await;
    let log = EventLog::connect(&proxy.url_for(&url), LogOptions::default()).unwrap();
    let store = Store::new(&log);
    assert_eq!(
        store.checkpoint().await.unwrap(),
        None,
        "reachable at first"
    );

    // Hold the outbox, so that the next statement is sent and waits inside the server.
    let mut holder = PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let waiting = tokio::spawn({
        let store = store.clone();
        async move { store.due(i64::MAX, 20).await }
    });
    lately_testkit::until_waiting_on_a_lock(
        &url,
        "query LIKE '%FROM outbox%'",
        1,
        "the outbox read",
    )
    .await;

    // The network goes, then the server answers: the answer has nowhere to go.
    proxy.stall();
    sqlx::query("COMMIT").execute(&mut holder).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(15), waiting)
        .await
        .expect("the outbox read still waits 15 s into the partition")
        .unwrap();
    let error = answer.expect_err("no answer can have crossed the partition");
    assert!(
        error.to_string().contains("did not answer"),
        "not the partition's error: {error}"
    );

    // Once the network is back, the same store works again, on a new connection.
    proxy.restore();
    tokio::time::timeout(Duration::from_secs(15), async {
        while store.checkpoint().await.is_err() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the outbox answers again once the network is back");
}

/// `posted → deleting → deleted`, on both backends (SQLite rebuilt the table for the new
/// states): only a posted entry is marked for deletion, once, and the marked ones are listed;
/// an item's posted entries all at once (its removal), no other's; a deleted one can be
/// retried by the owner; entries are read by their positions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_posted_entry_is_marked_for_deleting_its_tweet() {
    let (_dir, sqlite) = lately_testkit::sqlite_database();
    for url in [lately_testkit::postgres_database().await, sqlite] {
        let log = EventLog::connect(&url, LogOptions::default()).unwrap();
        log.migrate().await.unwrap();
        let store = Store::new(&log);
        let entry = |position: i64| lately_notifier::store::Entry {
            finish_position: position,
            item_id: if position > 5 {
                "twice-read".into()
            } else {
                format!("item-{position}")
            },
            status: "pending".into(),
            due_at_ms: 0,
            attempts: 0,
            text: None,
            tweet_id: None,
            reason: None,
            posting_started_ms: None,
            updated_ms: 0,
        };
        for position in [3, 5] {
            assert!(store.insert(&entry(position)).await.unwrap(), "{url}");
        }
        let why = "the finish was retracted";
        assert!(
            !store.mark_deleting(3, why, 1).await.unwrap(),
            "pending: {url}"
        );
        store
            .settle(3, "posted", Some("Finished"), Some("42"), None, 1)
            .await
            .unwrap();
        assert!(store.mark_deleting(3, why, 2).await.unwrap(), "{url}");
        assert!(
            !store.mark_deleting(3, why, 3).await.unwrap(),
            "twice: {url}"
        );
        assert_eq!(
            store.entry(3).await.unwrap().unwrap().reason.as_deref(),
            Some("the finish was retracted: deleting its tweet"),
            "{url}"
        );
        let deleting = store.deleting(10).await.unwrap();
        assert_eq!(
            deleting
                .iter()
                .map(|e| (e.finish_position, e.tweet_id.as_deref()))
                .collect::<Vec<_>>(),
            [(3, Some("42"))],
            "{url}"
        );
        store
            .settle(3, "deleted", None, Some("42"), Some("gone"), 4)
            .await
            .unwrap();
        assert!(store.deleting(10).await.unwrap().is_empty(), "{url}");
        assert_eq!(
            store.entry(3).await.unwrap().unwrap().status,
            "deleted",
            "{url}"
        );

        // An item read twice, both tweeted, and a third finish still pending: its removal
        // moves the two posted ones, and no other item's.
        for position in [7, 9, 11] {
            assert!(store.insert(&entry(position)).await.unwrap(), "{url}");
        }
        for position in [5, 7, 9] {
            store
                .settle(position, "posted", Some("Finished"), None, None, 5)
                .await
                .unwrap();
        }
        let why = "the item was removed";
        assert_eq!(
            store
                .mark_item_deleting("twice-read", why, 6)
                .await
                .unwrap(),
            2,
            "{url}"
        );
        assert_eq!(
            store
                .mark_item_deleting("twice-read", why, 7)
                .await
                .unwrap(),
            0,
            "twice: {url}"
        );
        let status = |position| {
            let store = store.clone();
            async move { store.entry(position).await.unwrap().unwrap().status }
        };
        assert_eq!(
            [
                status(5).await,
                status(7).await,
                status(9).await,
                status(11).await
            ],
            ["posted", "deleting", "deleting", "pending"],
            "{url}"
        );

        // The owner's retry: a deleted tweet may go out again, a deleting one not yet.
        assert_eq!(store.requeue(7, 8).await.unwrap(), None, "deleting: {url}");
        let retried = store.requeue(3, 8).await.unwrap().expect("deleted: moved");
        assert_eq!(Some(&retried), store.entry(3).await.unwrap().as_ref());
        assert_eq!(
            (
                retried.status.as_str(),
                retried.tweet_id,
                retried.reason.as_deref()
            ),
            (
                "pending",
                None,
                Some("retried by the owner (was deleted: gone)")
            ),
            "{url}"
        );

        // The entries of some finishes by their positions (SQLite binds the list as JSON):
        // those the outbox holds, newest first.
        let at = store.at(&[11, 3, 4, 9]).await.unwrap();
        assert_eq!(
            at.iter()
                .map(|e| (e.finish_position, e.status.as_str()))
                .collect::<Vec<_>>(),
            [(11, "pending"), (9, "deleting"), (3, "pending")],
            "{url}"
        );
        assert!(store.at(&[4]).await.unwrap().is_empty(), "{url}");
    }
}

/// X's holds, kept by one leader for the next, on both backends: none kept reads as none;
/// what is kept comes back to the millisecond, the day's posts with it. A save only moves
/// them on: what an older leader was told (holds ending sooner, more posts left of the same
/// day, none at all) leaves them as they are; a hold ending later, or the next day's count,
/// replaces its part and leaves the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holds_a_leader_keeps_only_move_on() {
    use chrono::{DateTime, Utc};
    use lately_notifier::store::Holds;
    use lately_notifier::x::DayLeft;

    let (_dir, sqlite) = lately_testkit::sqlite_database();
    for url in [lately_testkit::postgres_database().await, sqlite] {
        let log = EventLog::connect(&url, LogOptions::default()).unwrap();
        log.migrate().await.unwrap();
        let store = Store::new(&log);
        assert_eq!(store.holds().await.unwrap(), Holds::default(), "{url}");

        let at = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).unwrap();
        let kept = Holds {
            posting_until: Some(at(1_796_000_000_123)),
            deleting_until: Some(at(1_796_000_900_456)),
            day_left: Some(DayLeft {
                remaining: 0,
                limit: 17,
                resets_at: at(1_796_000_000_123),
            }),
        };
        store.save_holds(&kept, 1).await.unwrap();
        assert_eq!(store.holds().await.unwrap(), kept, "{url}");

        // A deposed leader's, from before: nothing moves.
        let older = Holds {
            posting_until: Some(at(1_795_999_000_000)),
            deleting_until: None,
            day_left: Some(DayLeft {
                remaining: 1,
                limit: 17,
                resets_at: at(1_796_000_000_123),
            }),
        };
        for stale in [older, Holds::default()] {
            store.save_holds(&stale, 2).await.unwrap();
            assert_eq!(store.holds().await.unwrap(), kept, "{url}");
        }
        // The next day's count and a posting hold ending later; deleting as kept.
        let next_day = DayLeft {
            remaining: 16,
            limit: 17,
            resets_at: at(1_796_086_400_000),
        };
        let later = Holds {
            posting_until: Some(at(1_796_000_500_000)),
            deleting_until: None,
            day_left: Some(next_day),
        };
        store.save_holds(&later, 3).await.unwrap();
        assert_eq!(
            store.holds().await.unwrap(),
            Holds {
                deleting_until: kept.deleting_until,
                ..later
            },
            "{url}"
        );
        // Fewer posts left of the same day.
        let fewer = Holds {
            day_left: Some(DayLeft {
                remaining: 15,
                ..next_day
            }),
            ..Holds::default()
        };
        store.save_holds(&fewer, 4).await.unwrap();
        assert_eq!(
            store.holds().await.unwrap().day_left,
            fewer.day_left,
            "{url}"
        );
    }
}
