//! Snapshots of a projection, kept next to the log so that every replica can start from the
//! newest one instead of from position 0.
//!
//! The log does not know what a projection is: a snapshot is opaque bytes, the position they
//! reflect, and a version tag chosen by the projection (snapshots of other versions are never
//! returned). They are stored compressed (see [`crate::packed`]) and handed back as they were
//! given.

use sqlx::{Connection, PgConnection};

use crate::{packed, postgres, Backend, EventLog, LogError};

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

/// How a row's `state` holds the snapshot's bytes (the column `encoding`).
const RAW: &str = "raw";
const ZSTD: &str = "zstd";

/// A snapshot's row as read: its bytes as stored, and how.
type StoredRow = (i64, Vec<u8>, String, String);

impl EventLog {
    /// The newest snapshot of `version`, if any.
    ///
    /// One whose stored bytes cannot be decompressed, or stored in an encoding this build does
    /// not know (a newer one's), is as good as none: it is logged and `None` is answered, so
    /// that the caller starts from the log itself, as it does from a snapshot that fails its
    /// hash, rather than retrying a read that will never succeed.
    pub async fn latest_snapshot(&self, version: i32) -> Result<Option<Snapshot>, LogError> {
        let row: Option<StoredRow> = match &self.shared.backend {
            Backend::Postgres(pool) => match postgres_in_slices(self, pool, version).await? {
                Some(sliced) => sliced,
                None => {
                    let limit = self.shared.options.snapshot_timeout;
                    bounded!("a snapshot's read", limit, pool, |c| newest_whole(
                        c, version
                    ))
                }
            },
            Backend::Sqlite(pool) => {
                sqlx::query_as(
                    "SELECT position, state, state_hash, encoding FROM snapshots \
                     WHERE projection_version = ?1 ORDER BY position DESC LIMIT 1",
                )
                .bind(version)
                .fetch_optional(pool)
                .await?
            }
        };
        let Some((position, stored, state_hash, encoding)) = row else {
            return Ok(None);
        };
        let state = match encoding.as_str() {
            RAW => stored,
            // Decompressing takes every core for some tens of milliseconds: not the runtime's.
            ZSTD => match tokio::task::spawn_blocking(move || packed::unpack(&stored))
                .await
                .expect("decompressing does not panic")
            {
                Ok(state) => state,
                Err(e) => {
                    tracing::warn!(position, error = %e, "unusable snapshot");
                    return Ok(None);
                }
            },
            other => {
                tracing::warn!(
                    position,
                    encoding = other,
                    "snapshot in an unknown encoding"
                );
                return Ok(None);
            }
        };
        Ok(Some(Snapshot {
            position,
            state,
            state_hash,
        }))
    }

    /// Saves a snapshot unless another replica is saving one right now (then `Ok(false)`), and
    /// prunes old ones.
    ///
    /// The bytes are compressed first, on as many threads as there are cores, while the caller
    /// waits: for a 50 MB snapshot, ~0.1 s, beside the ~0.2 s its caller spent serialising it.
    pub async fn save_snapshot(&self, version: i32, snapshot: &Snapshot) -> Result<bool, LogError> {
        let stored = packed::pack(&snapshot.state);
        Ok(match &self.shared.backend {
            Backend::Postgres(pool) => {
                let limit = self.shared.options.snapshot_timeout;
                bounded!("a snapshot's save", limit, pool, |c| save_on(
                    c, version, snapshot, &stored
                ))
            }
            Backend::Sqlite(pool) => {
                sqlx::query(
                    "INSERT OR IGNORE INTO snapshots \
                     (projection_version, position, state, state_hash, encoding) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .bind(version)
                .bind(snapshot.position)
                .bind(&stored)
                .bind(&snapshot.state_hash)
                .bind(ZSTD)
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
                true
            }
        })
    }
}

/// The newest snapshot of `version`, read in one piece.
async fn newest_whole(
    conn: &mut PgConnection,
    version: i32,
) -> Result<Option<StoredRow>, LogError> {
    let row = sqlx::query_as(
        "SELECT position, state, state_hash, encoding FROM snapshots \
         WHERE projection_version = $1 ORDER BY position DESC LIMIT 1",
    )
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?;
    // The connection's read buffer grew to the snapshot's size (tens of MB): give it back
    // rather than keep it in the pool for the life of the process.
    conn.shrink_buffers();
    Ok(row)
}

/// Saves `snapshot`, its bytes `stored` as [`packed::pack`] gave them, in one transaction on
/// `conn`, unless another replica holds the snapshot lock (`Ok(false)`), and prunes old ones.
async fn save_on(
    conn: &mut PgConnection,
    version: i32,
    snapshot: &Snapshot,
    stored: &[u8],
) -> Result<bool, LogError> {
    let mut tx = conn.begin().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(SNAPSHOT_LOCK)
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO snapshots (projection_version, position, state, state_hash, encoding) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(version)
    .bind(snapshot.position)
    .bind(stored)
    .bind(&snapshot.state_hash)
    .bind(ZSTD)
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
    Ok(true)
}

/// Below this size a snapshot is read in one piece.
const SLICE_BYTES: i64 = 4 << 20;

/// A large snapshot is cut into this many slices (and a short last one when the length does
/// not divide), read at once, each on a pooled connection of its own.
const PARALLEL_SLICES: usize = 4;

/// Reads the newest snapshot's stored bytes as slices over several connections at once, into
/// one buffer of their exact size.
///
/// Reading ~50 MB in one piece grew one connection's read buffer to the snapshot's size, then
/// copied the value out of it: a replica started from a snapshot held 246-250 MB when ready,
/// ~200-217 MB when read this way (1M-event cold start in `make bench`). What PostgreSQL does
/// per slice is cheap once the value is stored uncompressed (migration 0005); the copies are
/// what cost, so each slice is copied once, from the row straight into the buffer (that took
/// the replica's start from the snapshot from 440-570 ms to 412-426 ms).
///
/// `Ok(None)`: not done here — a small snapshot (as most are, compressed), one PostgreSQL
/// compressed (a slice of it would decompress it whole every time: saved before migration
/// 0005), or one pruned between the slices (a newer one exists then); the caller reads it in
/// one piece. `Ok(Some(None))`: there is no snapshot.
async fn postgres_in_slices(
    log: &EventLog,
    pool: &sqlx::PgPool,
    version: i32,
) -> Result<Option<Option<StoredRow>>, LogError> {
    let newest: Option<(i64, i64, String, String, bool)> =
        bounded_read!(log, pool, |c| newest_length(c, version));
    let Some((position, length, state_hash, encoding, compressed)) = newest else {
        return Ok(Some(None));
    };
    if compressed || length < 2 * SLICE_BYTES {
        return Ok(None);
    }
    let slice = (length / PARALLEL_SLICES as i64).max(SLICE_BYTES);
    // substring() counts from 1.
    let starts: Vec<i64> = (0..length).step_by(slice as usize).map(|s| s + 1).collect();
    let limit = log.shared.options.snapshot_timeout;
    let parts = futures::future::try_join_all(starts.iter().map(|&start| async move {
        let part = bounded!("a snapshot's read", limit, pool, |c| read_slice(
            c,
            (version, position),
            start,
            slice
        ));
        Ok::<_, LogError>(part)
    }))
    .await?;
    let mut state = Vec::with_capacity(length as usize);
    for row in parts {
        let Some(row) = row else {
            return Ok(None);
        };
        // Borrowed from the row: copied once, into the snapshot's buffer.
        let part: &[u8] = sqlx::Row::try_get(&row, 0)?;
        state.extend_from_slice(part);
    }
    if state.len() as i64 != length {
        return Ok(None);
    }
    Ok(Some(Some((position, state, state_hash, encoding))))
}

/// The newest snapshot of `version`: its position, stored length, hash, encoding and whether
/// PostgreSQL stores it compressed.
async fn newest_length(
    conn: &mut PgConnection,
    version: i32,
) -> Result<Option<(i64, i64, String, String, bool)>, LogError> {
    Ok(sqlx::query_as(
        "SELECT position, length(state)::BIGINT, state_hash, encoding, \
                pg_column_compression(state) IS NOT NULL \
         FROM snapshots WHERE projection_version = $1 ORDER BY position DESC LIMIT 1",
    )
    .bind(version)
    .fetch_optional(conn)
    .await?)
}

/// `length` bytes from `start` (counted from 1) of the snapshot `(version, position)`, if it
/// is still there.
async fn read_slice(
    conn: &mut PgConnection,
    (version, position): (i32, i64),
    start: i64,
    length: i64,
) -> Result<Option<sqlx::postgres::PgRow>, LogError> {
    let row = sqlx::query(
        "SELECT substring(state FROM $3::INT FOR $4::INT) FROM snapshots \
         WHERE projection_version = $1 AND position = $2",
    )
    .bind(version)
    .bind(position)
    .bind(start)
    .bind(length)
    .fetch_optional(&mut *conn)
    .await?;
    conn.shrink_buffers();
    Ok(row)
}
