//! Restoring recorded events as they are — a dump of another log, or of this one — keeping
//! their positions, ids, stream versions and times, so that everything that names a position
//! (a reader's snapshot, the notifier's outbox, a client's `Lately-Min-Position`) still means
//! the same event.
//!
//! A restore is an append that decides nothing: the events come with their places, and the
//! log only checks that they continue it. Positions must follow the head without a gap, and
//! each stream's versions its last one; the unique indexes catch the rest (an event id the
//! log already has). A [`Restorer`] holds the append lock from its start to its end, so no
//! append lands between its batches.

use std::collections::HashMap;

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Sqlite};

use crate::{postgres, sqlite, Backend, EventLog, LogError, RecordedEvent, RestoreError};

/// A restore in progress: the log held against every other append from [`EventLog::restorer`]
/// until [`Restorer::finish`] (or until it is dropped), so that no append can land between its
/// batches — the restored log is the dump's, not the dump's with someone's write in the middle.
///
/// * On PostgreSQL it is a connection of its own holding the append lock at session level.
///   Each batch commits on its own (a restore cut short keeps what it wrote, and a second run
///   goes on from there); appends wait for the lock meanwhile, and a writer answers 503 once
///   its commit timeout runs out. Dropped, or its process killed, the connection closes and
///   the server releases the lock.
/// * On SQLite it is one `BEGIN IMMEDIATE` transaction for the whole restore, begun with the
///   first batch (the database's write lock: appends wait their busy timeout, then fail) and
///   committed by `finish`: all of it or nothing.
pub struct Restorer {
    log: EventLog,
    held: Held,
    head: i64,
}

enum Held {
    Postgres(PgConnection),
    /// The connection, and whether the transaction has begun.
    Sqlite(Option<PoolConnection<Sqlite>>, bool),
    /// After an error: the connection was let go (and with it the lock, or the transaction).
    Broken,
}

impl Restorer {
    pub(crate) async fn start(log: &EventLog) -> Result<Self, LogError> {
        let (held, head) = match &log.shared.backend {
            Backend::Postgres(pool) => {
                let mut conn =
                    postgres::hold_append_lock(pool, log.shared.options.snapshot_timeout).await?;
                let head = postgres::head(&mut conn).await?;
                (Held::Postgres(conn), head)
            }
            Backend::Sqlite(pool) => (
                Held::Sqlite(Some(pool.acquire().await?), false),
                sqlite::head(pool).await?,
            ),
        };
        Ok(Self {
            log: log.clone(),
            held,
            head,
        })
    }

    /// Appends `events` exactly as they are: positions, event ids, stream versions, metadata
    /// and `recorded_at` kept. They must continue the log — the first at the position after
    /// the head, consecutive, each stream's versions following its last — or nothing of them
    /// is written ([`RestoreError`]) and the restorer can do no more. Wakes tailers as an
    /// append does (on SQLite, which they poll, once `finish` commits). Returns the new head.
    ///
    /// Only for moving a log (`lately-admin restore`): the events are not checked against the
    /// domain here, which is the caller's part.
    pub async fn restore(&mut self, events: &[RecordedEvent]) -> Result<i64, RestoreError> {
        let limit = self.log.shared.options.snapshot_timeout;
        let outcome = match &mut self.held {
            Held::Postgres(conn) => {
                match tokio::time::timeout(limit, postgres::restore(conn, events)).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(LogError::from(postgres::timed_out("a restore", limit)).into()),
                }
            }
            Held::Sqlite(Some(conn), begun) => {
                if !*begun {
                    sqlx::query("BEGIN IMMEDIATE").execute(&mut **conn).await?;
                    *begun = true;
                }
                sqlite::restore_batch(conn, events).await
            }
            Held::Sqlite(None, _) | Held::Broken => {
                return Err(LogError::Config("the restore failed before".into()).into())
            }
        };
        match outcome {
            Ok(head) => {
                self.head = head;
                if matches!(self.held, Held::Postgres(_)) {
                    self.log.observe_head(head);
                }
                Ok(head)
            }
            Err(e) => {
                // Never reuse a connection that may be mid-transaction: closing it rolls the
                // transaction back (and on PostgreSQL releases the lock).
                self.break_off();
                Err(e)
            }
        }
    }

    /// Ends the restore: commits it (SQLite) and lets appends go on. Returns the head (as at
    /// the start when nothing was restored).
    pub async fn finish(mut self) -> Result<i64, RestoreError> {
        match std::mem::replace(&mut self.held, Held::Broken) {
            Held::Postgres(mut conn) => {
                postgres::release_append_lock(&mut conn).await?;
                let _ = sqlx::Connection::close(conn).await;
            }
            Held::Sqlite(Some(mut conn), begun) => {
                if begun {
                    sqlx::query("COMMIT").execute(&mut *conn).await?;
                }
                self.log.observe_head(self.head);
            }
            Held::Sqlite(None, _) | Held::Broken => {
                return Err(LogError::Config("the restore failed before".into()).into())
            }
        }
        Ok(self.head)
    }

    fn break_off(&mut self) {
        if let Held::Sqlite(conn, _) = &mut self.held {
            // Out of the pool, and closed with its transaction when dropped.
            drop(conn.take().map(PoolConnection::detach));
        }
        self.held = Held::Broken;
    }
}

impl Drop for Restorer {
    fn drop(&mut self) {
        if matches!(self.held, Held::Sqlite(_, true)) {
            self.break_off();
        }
    }
}

/// Whether `events` continue a log whose head is `head` and whose streams are at `versions`
/// (a stream not in it has no events yet).
pub(crate) fn check(
    head: i64,
    versions: &HashMap<String, i64>,
    events: &[RecordedEvent],
) -> Result<(), RestoreError> {
    let mut now: HashMap<&str, i64> = HashMap::new();
    for (expected, event) in (head + 1..).zip(events) {
        if event.position != expected {
            return Err(RestoreError::NotNext {
                expected,
                found: event.position,
            });
        }
        let current = now
            .entry(&event.stream_id)
            .or_insert_with(|| versions.get(&event.stream_id).copied().unwrap_or(0));
        if event.stream_version != *current + 1 {
            return Err(RestoreError::StreamVersion {
                position: event.position,
                stream_id: event.stream_id.clone(),
                current: *current,
                found: event.stream_version,
            });
        }
        *current = event.stream_version;
    }
    Ok(())
}

/// The streams `events` touch, each once.
pub(crate) fn streams(events: &[RecordedEvent]) -> Vec<&str> {
    let mut streams: Vec<&str> = events.iter().map(|e| e.stream_id.as_str()).collect();
    streams.sort_unstable();
    streams.dedup();
    streams
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Payload;

    fn event(position: i64, stream: &str, version: i64) -> RecordedEvent {
        RecordedEvent {
            position,
            stream_id: stream.into(),
            stream_version: version,
            event_id: uuid::Uuid::new_v4(),
            event_type: "t".into(),
            schema_version: 1,
            data: Payload::from_json("{}".into()).unwrap(),
            metadata: serde_json::Value::Null,
            recorded_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn events_that_continue_the_log_and_their_streams_pass() {
        let versions = HashMap::from([("a".to_owned(), 2)]);
        let events = [event(6, "a", 3), event(7, "b", 1), event(8, "a", 4)];
        assert!(check(5, &versions, &events).is_ok());
        assert!(check(0, &HashMap::new(), &[]).is_ok());
    }

    #[test]
    fn a_position_that_does_not_follow_is_refused() {
        let e = check(5, &HashMap::new(), &[event(5, "a", 1)]).unwrap_err();
        assert!(
            matches!(
                e,
                RestoreError::NotNext {
                    expected: 6,
                    found: 5
                }
            ),
            "{e}"
        );
        let e = check(0, &HashMap::new(), &[event(1, "a", 1), event(3, "b", 1)]).unwrap_err();
        assert!(
            matches!(
                e,
                RestoreError::NotNext {
                    expected: 2,
                    found: 3
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn a_stream_version_that_does_not_follow_is_refused() {
        let versions = HashMap::from([("a".to_owned(), 2)]);
        let e = check(0, &versions, &[event(1, "a", 2)]).unwrap_err();
        assert!(
            matches!(
                e,
                RestoreError::StreamVersion {
                    current: 2,
                    found: 2,
                    position: 1,
                    ..
                }
            ),
            "{e}"
        );
        let e = check(0, &HashMap::new(), &[event(1, "b", 1), event(2, "b", 3)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the event at position 2 is version 3 of stream \"b\", which is at version 1: the next is 2"
        );
    }
}
