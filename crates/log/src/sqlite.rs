//! The SQLite backend: the embedded default, a single file shared by the local processes of
//! `make run`. WAL mode lets readers in other processes read while the writer appends;
//! `BEGIN IMMEDIATE` serialises appenders across processes; `synchronous = FULL` makes a
//! committed append survive a power cut. There is no NOTIFY: subscriptions poll.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};
use uuid::Uuid;

use crate::plan::{plan, Placed, Plan};
use crate::{
    AppendError, AppendRequest, Appended, LogError, LogOptions, Payload, RecordedEvent,
    RestoreError,
};

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

const COLUMNS: &str = "position, stream_id, stream_version, event_id, event_type, schema_version, \
                       data, metadata, recorded_at";
/// [`COLUMNS`] with the metadata read as JSON `null`, for tailers that never look at it.
const COLUMNS_BUT_METADATA: &str = "position, stream_id, stream_version, event_id, event_type, \
                                    schema_version, data, 'null' AS metadata, recorded_at";

pub(crate) fn pool(url: &str, options: &LogOptions) -> Result<SqlitePool, LogError> {
    let connect = SqliteConnectOptions::from_str(url)
        .map_err(|e| LogError::Config(format!("invalid SQLite URL: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10));
    Ok(SqlitePoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout.max(Duration::from_secs(10)))
        .connect_lazy_with(connect))
}

pub(crate) async fn applied_migration(pool: &SqlitePool) -> Result<Option<i64>, LogError> {
    let exists: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(pool)
    .await?;
    if !exists {
        return Ok(None);
    }
    Ok(
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?,
    )
}

pub(crate) async fn head(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events")
        .fetch_one(pool)
        .await
}

pub(crate) async fn read_after(
    pool: &SqlitePool,
    after: i64,
    limit: i64,
    metadata: bool,
) -> Result<Vec<RecordedEvent>, LogError> {
    let columns = if metadata {
        COLUMNS
    } else {
        COLUMNS_BUT_METADATA
    };
    let rows = sqlx::query(&format!(
        "SELECT {columns} FROM events WHERE position > ?1 ORDER BY position LIMIT ?2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(decode).collect()
}

pub(crate) async fn read_stream(
    pool: &SqlitePool,
    stream_id: &str,
) -> Result<Vec<RecordedEvent>, LogError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM events WHERE stream_id = ?1 ORDER BY stream_version"
    ))
    .bind(stream_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(decode).collect()
}

pub(crate) async fn event_by_id(
    pool: &SqlitePool,
    event_id: Uuid,
) -> Result<Option<RecordedEvent>, LogError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM events WHERE event_id = ?1"))
        .bind(event_id.to_string())
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub(crate) async fn stream_version(pool: &SqlitePool, stream_id: &str) -> Result<i64, LogError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = ?1",
    )
    .bind(stream_id)
    .fetch_one(pool)
    .await?)
}

fn decode(row: &SqliteRow) -> Result<RecordedEvent, LogError> {
    let position: i64 = row.try_get("position").unwrap_or_default();
    let corrupt = |reason: String| LogError::Corrupt { position, reason };
    let text = |col: &str| -> Result<String, LogError> {
        row.try_get::<String, _>(col)
            .map_err(|e| corrupt(e.to_string()))
    };
    let json = |col: &str| -> Result<serde_json::Value, LogError> {
        serde_json::from_str(&text(col)?).map_err(|e| corrupt(format!("{col}: {e}")))
    };
    Ok(RecordedEvent {
        position,
        stream_id: text("stream_id")?,
        stream_version: row
            .try_get("stream_version")
            .map_err(|e| corrupt(e.to_string()))?,
        event_id: Uuid::parse_str(&text("event_id")?)
            .map_err(|e| corrupt(format!("event_id: {e}")))?,
        event_type: text("event_type")?,
        schema_version: row
            .try_get("schema_version")
            .map_err(|e| corrupt(e.to_string()))?,
        data: Payload::from_json(text("data")?).map_err(|e| corrupt(format!("data: {e}")))?,
        metadata: json("metadata")?,
        recorded_at: DateTime::parse_from_rfc3339(&text("recorded_at")?)
            .map_err(|e| corrupt(format!("recorded_at: {e}")))?
            .with_timezone(&Utc),
    })
}

/// Commits one batch in one `BEGIN IMMEDIATE` transaction (the database-wide write lock, taken
/// before the head is read). Returns each request's outcome and the head after the commit.
pub(crate) async fn commit(
    pool: &SqlitePool,
    requests: &[&AppendRequest],
) -> Result<(Vec<Result<Appended, AppendError>>, i64), LogError> {
    let mut conn = pool.acquire().await?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    match commit_in_transaction(&mut conn, requests).await {
        Ok(plan) => Ok((plan.outcomes, plan.head)),
        Err(e) => {
            if sqlx::query("ROLLBACK").execute(&mut *conn).await.is_err() {
                // Never hand a connection with an open transaction back to the pool.
                let _ = conn.detach();
            }
            Err(e)
        }
    }
}

async fn commit_in_transaction<'a>(
    conn: &mut SqliteConnection,
    requests: &[&'a AppendRequest],
) -> Result<Plan<'a>, LogError> {
    let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events")
        .fetch_one(&mut *conn)
        .await?;

    let mut existing: HashMap<Uuid, Placed> = HashMap::new();
    let ids: Vec<String> = requests
        .iter()
        .flat_map(|r| r.events.iter().map(|e| e.event_id.to_string()))
        .collect();
    for chunk in ids.chunks(500) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT event_id, stream_id, stream_version, position FROM events WHERE event_id IN (",
        );
        let mut list = q.separated(", ");
        for id in chunk {
            list.push_bind(id);
        }
        q.push(")");
        for row in q.build().fetch_all(&mut *conn).await? {
            let id: String = row.try_get("event_id")?;
            let id = Uuid::parse_str(&id).map_err(|e| LogError::Corrupt {
                position: row.try_get("position").unwrap_or_default(),
                reason: e.to_string(),
            })?;
            existing.insert(
                id,
                Placed {
                    stream_id: row.try_get("stream_id")?,
                    stream_version: row.try_get("stream_version")?,
                    position: row.try_get("position")?,
                },
            );
        }
    }

    let mut versions: HashMap<String, i64> = HashMap::new();
    for request in requests {
        if !versions.contains_key(&request.stream_id) {
            let v: Option<i64> =
                sqlx::query_scalar("SELECT MAX(stream_version) FROM events WHERE stream_id = ?1")
                    .bind(&request.stream_id)
                    .fetch_one(&mut *conn)
                    .await?;
            versions.insert(request.stream_id.clone(), v.unwrap_or(0));
        }
    }

    let plan = plan(head, requests, &existing, &versions);
    let recorded_at = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
    // 9 parameters a row; 500 rows stay far below SQLite's limit on bound parameters.
    for rows in plan.rows.chunks(500) {
        let mut q = QueryBuilder::<Sqlite>::new(format!("INSERT INTO events ({COLUMNS}) "));
        q.push_values(rows, |mut b, row| {
            b.push_bind(row.position)
                .push_bind(row.stream_id)
                .push_bind(row.stream_version)
                .push_bind(row.event.event_id.to_string())
                .push_bind(&row.event.event_type)
                .push_bind(row.event.schema_version)
                .push_bind(row.event.data.to_string())
                .push_bind(row.event.metadata.to_string())
                .push_bind(&recorded_at);
        });
        q.build().execute(&mut *conn).await?;
    }
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(plan)
}

/// Restores one batch of `events` as they are (see [`crate::Restorer`]) inside the
/// restore's transaction, which the caller began with `BEGIN IMMEDIATE` and commits.
pub(crate) async fn restore_batch(
    conn: &mut SqliteConnection,
    events: &[RecordedEvent],
) -> Result<i64, RestoreError> {
    let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events")
        .fetch_one(&mut *conn)
        .await?;
    let mut versions: HashMap<String, i64> = HashMap::new();
    for stream in crate::restore::streams(events) {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MAX(stream_version) FROM events WHERE stream_id = ?1")
                .bind(stream)
                .fetch_one(&mut *conn)
                .await?;
        if let Some(v) = v {
            versions.insert(stream.to_owned(), v);
        }
    }
    crate::restore::check(head, &versions, events)?;
    for rows in events.chunks(500) {
        let mut q = QueryBuilder::<Sqlite>::new(format!("INSERT INTO events ({COLUMNS}) "));
        q.push_values(rows, |mut b, e| {
            b.push_bind(e.position)
                .push_bind(&e.stream_id)
                .push_bind(e.stream_version)
                .push_bind(e.event_id.to_string())
                .push_bind(&e.event_type)
                .push_bind(e.schema_version)
                .push_bind(e.data.as_str())
                .push_bind(e.metadata.to_string())
                .push_bind(e.recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true));
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(events.last().map_or(head, |e| e.position))
}
