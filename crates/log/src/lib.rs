//! The shared, append-only event log — the source of truth of `lately`.
//!
//! Every service talks to one table of events. This crate is the only code that touches it, and
//! it guarantees, on PostgreSQL and on SQLite alike:
//!
//! 1. **Gap-free, commit-ordered positions.** Appends are serialised (a transaction-scoped
//!    advisory lock on PostgreSQL, `BEGIN IMMEDIATE` on SQLite) and each event gets
//!    `max(position) + 1`. A position therefore becomes visible only after every lower one is,
//!    and a tailer that has read up to `P` has seen every committed event at or below `P`.
//! 2. **Durable acknowledgement.** [`Appender::append`] returns only after the transaction that
//!    holds the events has committed.
//! 3. **Group commit.** Concurrent appends are queued to one task that commits whatever is waiting
//!    in a single transaction; each caller still gets its own outcome and positions.
//! 4. **Idempotency.** An event whose `event_id` is already in the log is not appended again: the
//!    append answers with the original positions.
//! 5. **Optimistic concurrency.** An append may name the stream version it expects; a mismatch is
//!    [`AppendError::Conflict`] carrying the current version, and nothing is appended.
//! 6. **Tailing.** [`EventLog::subscribe`] yields every event after a position exactly once, in
//!    order: woken by `LISTEN/NOTIFY` where available, polling always as the fallback.
//!
//! The decisions about *which* events to append live in `lately-domain`; this crate only
//! stores opaque, typed JSON payloads.

/// A statement on a pooled PostgreSQL connection that gives up after `limit` (see
/// [`postgres::within`], which names it `what` in the error): `|c| statement(c)` gets the
/// connection as `&mut PgConnection`. Defined before the modules so that they can use it too.
macro_rules! bounded {
    ($what:expr, $limit:expr, $pool:expr, |$conn:ident| $statement:expr) => {{
        let mut pooled = $pool.acquire().await?;
        let limit = $limit;
        let answer = {
            let $conn: &mut sqlx::PgConnection = &mut pooled;
            tokio::time::timeout(limit, $statement).await
        };
        postgres::within(answer, pooled, $what, limit)?
    }};
}

/// A read of the log, bounded by the log's `read_timeout`.
macro_rules! bounded_read {
    ($log:expr, $pool:expr, |$conn:ident| $read:expr) => {
        bounded!("a read", $log.read_timeout(), $pool, |$conn| $read)
    };
}

mod appender;
mod error;
mod packed;
mod plan;
mod postgres;
mod restore;
mod snapshots;
mod sqlite;
mod subscription;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;
use uuid::Uuid;

pub use appender::{AppendOptions, Appender};
pub use error::{AppendError, LogError, RestoreError};
pub use postgres::within;
pub use restore::Restorer;
pub use snapshots::Snapshot;
pub use subscription::Subscription;

/// An event to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Globally unique; the idempotency key of the event itself.
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    pub data: Value,
    /// Who and what caused it: request id, actor.
    pub metadata: Value,
}

/// One atomic append to one stream: all of its events are committed together or not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendRequest {
    pub stream_id: String,
    /// `None`: append whatever the stream's version. `Some(v)`: only if the stream is at version
    /// `v` now (`Some(0)`: only if the stream does not exist yet).
    pub expected_version: Option<i64>,
    pub events: Vec<NewEvent>,
}

/// Where an append's events are in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appended {
    pub stream_id: String,
    pub first_position: i64,
    pub last_position: i64,
    /// The stream version of the last event.
    pub version: i64,
    /// The events were already in the log (an idempotent retry): nothing was appended now.
    pub duplicate: bool,
}

/// An event as read back from the log (and as a dump holds it: see [`EventLog::restore`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    pub position: i64,
    pub stream_id: String,
    pub stream_version: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    pub data: Payload,
    pub metadata: Value,
    pub recorded_at: DateTime<Utc>,
}

/// An event's payload as read from the log: its JSON text, checked to be JSON, not parsed.
///
/// Readers decode it straight into what they need (`ItemEvent::decode_json`). Building a
/// [`Value`] first, a tree of maps and strings per event only to be taken apart again, made
/// decoding an event a fifth to a half slower (1.05–1.27 s against 0.80–0.88 s for a
/// million, checking the text included), and a replica decodes a million of them on a cold
/// start. [`Payload::value`] is there for those who want the tree.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Payload(Box<serde_json::value::RawValue>);

impl Payload {
    /// `text` must be one JSON value.
    pub fn from_json(text: String) -> Result<Self, serde_json::Error> {
        serde_json::value::RawValue::from_string(text).map(Self)
    }

    /// The JSON text, as the database answered it.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The payload parsed into a [`Value`].
    pub fn value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.as_str())
    }
}

/// The same JSON, whatever its spacing or the order of its keys.
impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        match (self.value(), other.value()) {
            (Ok(a), Ok(b)) => a == b,
            _ => self.as_str() == other.as_str(),
        }
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tuning for [`EventLog::connect`]. The defaults suit a service; tests shrink the timeouts.
#[derive(Debug, Clone)]
pub struct LogOptions {
    pub max_connections: u32,
    /// How long a request may wait for a database connection before failing with
    /// [`LogError::Unavailable`]: short, so that callers fail fast while the database is down.
    pub acquire_timeout: Duration,
    /// The longest a read of the log (its head, a page, a stream, an event by id) may take on
    /// PostgreSQL before it fails with [`LogError::Unavailable`] and its connection is closed.
    /// A server cut off by a network partition never answers, and without this bound a tailer
    /// (or a write that reads before it appends) would wait for as long as the operating system
    /// keeps the connection, reporting nothing and catching up only long after the network is
    /// back.
    pub read_timeout: Duration,
    /// The same bound for reading or saving a snapshot, which is tens of MB and may cross a
    /// slower link than a page of events does: longer than `read_timeout`. A replica whose
    /// snapshot read ran out of time retries its start; one whose save did tries again later.
    pub snapshot_timeout: Duration,
    /// How often a subscription looks for new events when nothing woke it. Notifications make
    /// this a fallback on PostgreSQL; on SQLite (and a hot standby) it is the only mechanism.
    pub poll_interval: Duration,
    /// Use PostgreSQL `LISTEN/NOTIFY` to wake subscriptions (ignored on SQLite; turned off
    /// automatically on a hot standby, which cannot `LISTEN`).
    pub listen: bool,
    /// Ping a pooled connection before handing it out, so that one broken by a server restart
    /// is replaced before use instead of failing its query. Costs a round trip per use: a
    /// tailer, which retries a failed read anyway, turns it off to see new events sooner.
    pub ping_before_use: bool,
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(5),
            snapshot_timeout: Duration::from_secs(60),
            poll_interval: Duration::from_millis(500),
            listen: true,
            ping_before_use: true,
        }
    }
}

#[derive(Clone)]
enum Backend {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

struct Shared {
    backend: Backend,
    options: LogOptions,
    /// The highest position this process knows to be committed: raised by the local appender
    /// and by notifications. Subscriptions wait on it.
    head: watch::Sender<i64>,
    listener: std::sync::OnceLock<()>,
}

/// A handle on the log: reading, tailing, and (through [`Appender`]) appending. Cheap to clone.
#[derive(Clone)]
pub struct EventLog {
    shared: Arc<Shared>,
}

impl EventLog {
    /// Opens the log at `url`: `postgres://…` or `sqlite:path` (`sqlite://path`). Connections are
    /// made lazily, so this succeeds while the database is down; [`EventLog::ping`] tells
    /// whether it answers.
    pub fn connect(url: &str, options: LogOptions) -> Result<Self, LogError> {
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres(postgres::pool(url, &options)?)
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite(sqlite::pool(url, &options)?)
        } else {
            return Err(LogError::Config(format!(
                "unsupported database URL {:?}: expected postgres://… or sqlite:…",
                redact(url)
            )));
        };
        Ok(Self {
            shared: Arc::new(Shared {
                backend,
                options,
                head: watch::channel(0).0,
                listener: std::sync::OnceLock::new(),
            }),
        })
    }

    /// `"postgres"` or `"sqlite"`.
    pub fn backend_name(&self) -> &'static str {
        match self.shared.backend {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite(_) => "sqlite",
        }
    }

    /// Applies the migrations in `migrations/` that have not run yet. Safe when several
    /// processes start at once on PostgreSQL (the migrator takes an advisory lock); on SQLite
    /// let one process (the writer) own the schema.
    ///
    /// Not bounded in time, unlike every other statement here: a migration may rewrite the
    /// whole log (0004 does), which takes as long as the log is large, and one cut off half-way
    /// would be started again, and cut off again, for ever.
    pub async fn migrate(&self) -> Result<(), LogError> {
        match &self.shared.backend {
            Backend::Postgres(pool) => postgres::MIGRATOR.run(pool).await?,
            Backend::Sqlite(pool) => sqlite::MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    /// Whether the database answers and every migration this build knows has been applied.
    /// Bounded like a read on PostgreSQL: it is what a readiness probe asks, and a probe that
    /// hangs through a partition holds a pooled connection with it, one more every probe.
    pub async fn schema_ready(&self) -> Result<bool, LogError> {
        let (latest, applied) = match &self.shared.backend {
            Backend::Postgres(pool) => (
                postgres::MIGRATOR.iter().map(|m| m.version).max(),
                bounded_read!(self, pool, |c| postgres::applied_migration(c)),
            ),
            Backend::Sqlite(pool) => (
                sqlite::MIGRATOR.iter().map(|m| m.version).max(),
                sqlite::applied_migration(pool).await?,
            ),
        };
        Ok(applied.is_some() && applied >= latest)
    }

    /// Round-trips a trivial query.
    pub async fn ping(&self) -> Result<(), LogError> {
        match &self.shared.backend {
            Backend::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
            Backend::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
        }
        .map_err(LogError::from)
    }

    fn read_timeout(&self) -> Duration {
        self.shared.options.read_timeout
    }

    /// The position of the last committed event (0 for an empty log).
    pub async fn head(&self) -> Result<i64, LogError> {
        let head = match &self.shared.backend {
            Backend::Postgres(pool) => bounded_read!(self, pool, |c| postgres::head(c)),
            Backend::Sqlite(pool) => sqlite::head(pool).await?,
        };
        self.observe_head(head);
        Ok(head)
    }

    /// Up to `limit` events with positions after `after`, in order.
    pub async fn read_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        self.read_page(after, limit, true).await
    }

    /// [`EventLog::read_after`], with each event's metadata read as `null` unless `metadata`.
    async fn read_page(
        &self,
        after: i64,
        limit: usize,
        metadata: bool,
    ) -> Result<Vec<RecordedEvent>, LogError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(match &self.shared.backend {
            Backend::Postgres(pool) => {
                bounded_read!(self, pool, |c| postgres::read_after(
                    c, after, limit, metadata
                ))
            }
            Backend::Sqlite(pool) => sqlite::read_after(pool, after, limit, metadata).await?,
        })
    }

    /// Every event of one stream, oldest first.
    pub async fn read_stream(&self, stream_id: &str) -> Result<Vec<RecordedEvent>, LogError> {
        Ok(match &self.shared.backend {
            Backend::Postgres(pool) => {
                bounded_read!(self, pool, |c| postgres::read_stream(c, stream_id))
            }
            Backend::Sqlite(pool) => sqlite::read_stream(pool, stream_id).await?,
        })
    }

    /// The event with this id, if the log has it (how a retried request finds its original).
    pub async fn event_by_id(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, LogError> {
        Ok(match &self.shared.backend {
            Backend::Postgres(pool) => {
                bounded_read!(self, pool, |c| postgres::event_by_id(c, event_id))
            }
            Backend::Sqlite(pool) => sqlite::event_by_id(pool, event_id).await?,
        })
    }

    /// Starts a restore of events recorded elsewhere (a dump): see [`Restorer`]. Every other
    /// append waits from now until the restorer is finished or dropped.
    pub async fn restorer(&self) -> Result<Restorer, LogError> {
        Restorer::start(self).await
    }

    /// Restores `events` with a restorer of their own ([`EventLog::restorer`], then
    /// [`Restorer::restore`] and [`Restorer::finish`]). Returns the new head.
    pub async fn restore(&self, events: &[RecordedEvent]) -> Result<i64, RestoreError> {
        let mut restorer = self.restorer().await?;
        restorer.restore(events).await?;
        restorer.finish().await
    }

    /// The current version of a stream (0 if it has no events).
    pub async fn stream_version(&self, stream_id: &str) -> Result<i64, LogError> {
        Ok(match &self.shared.backend {
            Backend::Postgres(pool) => {
                bounded_read!(self, pool, |c| postgres::stream_version(c, stream_id))
            }
            Backend::Sqlite(pool) => sqlite::stream_version(pool, stream_id).await?,
        })
    }

    /// Follows the log from just after `after`: see [`Subscription`].
    pub fn subscribe(&self, after: i64) -> Subscription {
        if let Backend::Postgres(pool) = &self.shared.backend {
            if self.shared.options.listen {
                self.shared.listener.get_or_init(|| {
                    postgres::spawn_listener(pool.clone(), Arc::downgrade(&self.shared));
                });
            }
        }
        Subscription::new(self.clone(), after)
    }

    /// The PostgreSQL pool, for crates that keep their own tables next to the log (snapshots,
    /// the notifier's outbox). `None` on SQLite.
    pub fn pg_pool(&self) -> Option<&sqlx::PgPool> {
        match &self.shared.backend {
            Backend::Postgres(pool) => Some(pool),
            Backend::Sqlite(_) => None,
        }
    }

    /// The SQLite pool, for the same purpose as [`EventLog::pg_pool`].
    pub fn sqlite_pool(&self) -> Option<&sqlx::SqlitePool> {
        match &self.shared.backend {
            Backend::Sqlite(pool) => Some(pool),
            Backend::Postgres(_) => None,
        }
    }

    /// Closes the pool: in-flight queries finish, new ones fail.
    pub async fn close(&self) {
        match &self.shared.backend {
            Backend::Postgres(pool) => pool.close().await,
            Backend::Sqlite(pool) => pool.close().await,
        }
    }

    /// Raises the known head (never lowers it), waking subscriptions.
    fn observe_head(&self, head: i64) {
        observe_head(&self.shared.head, head);
    }
}

fn observe_head(sender: &watch::Sender<i64>, head: i64) {
    sender.send_if_modified(|known| {
        if head > *known {
            *known = head;
            true
        } else {
            false
        }
    });
}

/// The file of a `sqlite:` URL, as the log opens it (`None` for any other URL): for what
/// lives beside the log's file (the notifier's lock) and for checking it exists before
/// opening it, which would create it.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    use std::str::FromStr;
    if !url.starts_with("sqlite:") {
        return None;
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    Some(options.get_filename().to_owned())
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_urls_file_is_what_it_names() {
        let file = |url| sqlite_file(url).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(
            file("sqlite://lately.sqlite3").as_deref(),
            Some("lately.sqlite3")
        );
        assert_eq!(
            file("sqlite:.lately/lately.sqlite3").as_deref(),
            Some(".lately/lately.sqlite3")
        );
        assert_eq!(
            file("sqlite:///tmp/x.sqlite3?mode=rwc").as_deref(),
            Some("/tmp/x.sqlite3")
        );
        assert_eq!(file("postgres://u@h/db"), None);
    }
}
