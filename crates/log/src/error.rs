//! Errors of the log, split by what a caller should do about them.

use std::sync::Arc;

/// A failure to reach or use the database.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LogError {
    /// The database cannot be reached right now (connection refused or lost, pool timed out,
    /// server shutting down). Retrying later is the right answer: HTTP 503.
    #[error("the event log's database is unavailable: {0}")]
    Unavailable(Arc<sqlx::Error>),
    /// Anything else from the database: a bug or a broken schema.
    #[error("event log database error: {0}")]
    Database(Arc<sqlx::Error>),
    #[error("event log migration failed: {0}")]
    Migration(Arc<sqlx::migrate::MigrateError>),
    #[error("{0}")]
    Config(String),
    /// A tailer saw positions jump. The log's invariants make this impossible; if it ever shows,
    /// stop rather than silently skip an event.
    #[error("gap in the event log: expected position {expected}, found {found}")]
    Gap { expected: i64, found: i64 },
    /// A stored row could not be read back (a corrupt column).
    #[error("corrupt event at position {position}: {reason}")]
    Corrupt { position: i64, reason: String },
    /// The appender task is gone (the service is shutting down).
    #[error("the appender has stopped")]
    Closed,
}

impl LogError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Closed)
    }

    /// A read the database did not finish within [`crate::LogOptions::read_timeout`]: a
    /// partition, or a page too large for the link.
    pub fn is_read_timeout(&self) -> bool {
        matches!(self, Self::Unavailable(e)
            if matches!(&**e, sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut))
    }
}

impl From<sqlx::Error> for LogError {
    fn from(e: sqlx::Error) -> Self {
        if is_connectivity(&e) {
            Self::Unavailable(Arc::new(e))
        } else {
            Self::Database(Arc::new(e))
        }
    }
}

impl From<sqlx::migrate::MigrateError> for LogError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        match e {
            sqlx::migrate::MigrateError::Execute(inner) if is_connectivity(&inner) => {
                Self::Unavailable(Arc::new(inner))
            }
            other => Self::Migration(Arc::new(other)),
        }
    }
}

/// Errors that mean "the database is not there right now" rather than "this query is wrong".
fn is_connectivity(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Class 08: connection exception; 57P01–57P03: admin shutdown, crash shutdown,
            // cannot connect now; 53300: too many connections; SQLite 5/6: busy/locked.
            code.starts_with("08")
                || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300" | "5" | "6")
        }),
        _ => false,
    }
}

/// Why an append was refused or failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppendError {
    /// The stream is not at the expected version. Nothing was appended.
    #[error("stream {stream_id:?} is at version {current}, not the expected {expected}")]
    Conflict {
        stream_id: String,
        expected: i64,
        current: i64,
    },
    /// Some of the event ids are in the log already, but not as this exact append (another
    /// stream, or only part of the events): an idempotency key reused for a different request.
    #[error("event id {event_id} is already in the log as part of a different append")]
    EventIdReused { event_id: uuid::Uuid },
    /// The request itself is malformed (no events).
    #[error("invalid append: {0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Log(#[from] LogError),
}

/// Why a [`crate::EventLog::restore`] of recorded events was refused or failed. Nothing was
/// written.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RestoreError {
    /// The events do not continue the log: the first is not at the position after its head,
    /// or their positions are not consecutive. Another process appended meanwhile, or the
    /// events are from somewhere else.
    #[error(
        "the event at position {found} does not continue the log: the next position is {expected}"
    )]
    NotNext { expected: i64, found: i64 },
    /// An event's stream version does not follow its stream's last one.
    #[error(
        "the event at position {position} is version {found} of stream {stream_id:?}, \
         which is at version {current}: the next is {}", current + 1
    )]
    StreamVersion {
        position: i64,
        stream_id: String,
        current: i64,
        found: i64,
    },
    #[error(transparent)]
    Log(#[from] LogError),
}

impl From<sqlx::Error> for RestoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Log(e.into())
    }
}
