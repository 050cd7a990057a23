//! One leader among any number of notifiers: only the leader scans and posts.
//!
//! On PostgreSQL the leader holds a session advisory lock on a connection of its own: if the
//! process dies or its connection breaks, the server releases the lock and a standby takes over
//! on its next try (every second). On SQLite (one machine) an exclusive lock on a file next to
//! the database plays the same part; the OS releases it when the process dies.

use sqlx::{Connection, PgConnection};

use crate::ANSWER_WITHIN;

const NOTIFIER_LOCK: i64 = 0x6c61_7465_6c79 + 2;

pub enum Leadership {
    Postgres(PgConnection),
    File(std::fs::File),
}

impl Leadership {
    /// Takes the lock if it is free.
    pub async fn try_acquire(database_url: &str) -> anyhow::Result<Option<Self>> {
        if let Some(path) = lately_log::sqlite_file(database_url) {
            let mut lock = path.into_os_string();
            lock.push(".notifier-lock");
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(lock)?;
            return Ok(file.try_lock().is_ok().then_some(Self::File(file)));
        }
        let attempt = async {
            let mut conn = PgConnection::connect(database_url).await?;
            let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(NOTIFIER_LOCK)
                .fetch_one(&mut conn)
                .await?;
            anyhow::Ok(locked.then_some(Self::Postgres(conn)))
        };
        tokio::time::timeout(ANSWER_WITHIN, attempt)
            .await
            .map_err(|_| anyhow::anyhow!("the database did not answer within {ANSWER_WITHIN:?}"))?
    }

    /// Whether the lock is still ours: its connection answers, and soon. A leader that cannot
    /// tell (a network partition: nothing answers, nothing is closed) stands down rather than
    /// wait on it for as long as the operating system takes to give up; the server releases
    /// the lock once it notices the session is gone (TCP keepalives, see docker-compose.yml).
    pub async fn still_held(&mut self) -> bool {
        match self {
            Self::Postgres(conn) => tokio::time::timeout(ANSWER_WITHIN, conn.ping())
                .await
                .is_ok_and(|pinged| pinged.is_ok()),
            Self::File(_) => true,
        }
    }
}
