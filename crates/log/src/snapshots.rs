//! Snapshots of a projection, kept next to the log so that every replica can start from the
//! newest one instead of from position 0.
//!
//! The log does not know what a projection is: a snapshot is opaque bytes, the position they
//! reflect, and a version tag chosen by the projection (snapshots of other versions are never
//! returned).

use sqlx::Connection;

use crate::{Backend, EventLog, LogError};

/// How many snapshots of one version are kept; older ones are deleted when a new one is saved.
const KEEP: i64 = 3;

/// Lock taken (if free) while saving, so that replicas do not all write the same snapshot.
const SNAPSHOT_LOCK: i64 = 0x6c61_7465_6c79 + 1;

/// A stored snapshot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub position: i64,
    pub state: Vec<u8>,
    pub state_hash: String,
}

impl EventLog {
    /// The newest snapshot of `version`, if any.
    pub async fn latest_snapshot(&self, version: i32) -> Result<Option<Snapshot>, LogError> {
        let row: Option<(i64, Vec<u8>, String)> = match &self.shared.backend {
            Backend::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                let row = sqlx::query_as(
                    "SELECT position, state, state_hash FROM snapshots \
                     WHERE projection_version = $1 ORDER BY position DESC LIMIT 1",
                )
                .bind(version)
                .fetch_optional(&mut *conn)
                .await?;
                // The connection's read buffer grew to the snapshot's size (tens of MB): give
                // it back rather than keep it in the pool for the life of the process.
                conn.shrink_buffers();
                row
            }
            Backend::Sqlite(pool) => {
                sqlx::query_as(
                    "SELECT position, state, state_hash FROM snapshots \
                     WHERE projection_version = ?1 ORDER BY position DESC LIMIT 1",
                )
                .bind(version)
                .fetch_optional(pool)
                .await?
            }
        };
        Ok(row.map(|(position, state, state_hash)| Snapshot {
            position,
            state,
            state_hash,
        }))
    }

    /// Saves a snapshot unless another replica is saving one right now (then `Ok(false)`), and
    /// prunes old ones.
    pub async fn save_snapshot(&self, version: i32, snapshot: &Snapshot) -> Result<bool, LogError> {
        match &self.shared.backend {
            Backend::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                let mut tx = conn.begin().await?;
                let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
                    .bind(SNAPSHOT_LOCK)
                    .fetch_one(&mut *tx)
                    .await?;
                if !locked {
                    return Ok(false);
                }
                sqlx::query(
                    "INSERT INTO snapshots (projection_version, position, state, state_hash) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(version)
                .bind(snapshot.position)
                .bind(&snapshot.state)
                .bind(&snapshot.state_hash)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "DELETE FROM snapshots WHERE projection_version = $1 AND position < \
                     (SELECT MIN(position) FROM (SELECT position FROM snapshots \
                      WHERE projection_version = $1 ORDER BY position DESC LIMIT $2) AS newest)",
                )
                .bind(version)
                .bind(KEEP)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                // As when loading: the write buffer grew to the snapshot's size.
                conn.shrink_buffers();
            }
            Backend::Sqlite(pool) => {
                sqlx::query(
                    "INSERT OR IGNORE INTO snapshots (projection_version, position, state, state_hash) \
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .bind(version)
                .bind(snapshot.position)
                .bind(&snapshot.state)
                .bind(&snapshot.state_hash)
                .execute(pool)
                .await?;
                sqlx::query(
                    "DELETE FROM snapshots WHERE projection_version = ?1 AND position < \
                     (SELECT MIN(position) FROM (SELECT position FROM snapshots \
                      WHERE projection_version = ?1 ORDER BY position DESC LIMIT ?2))",
                )
                .bind(version)
                .bind(KEEP)
                .execute(pool)
                .await?;
            }
        }
        Ok(true)
    }
}
