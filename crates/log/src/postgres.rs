//! The PostgreSQL backend: the production log, shared by every service.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Weak;
use std::time::Duration;

use hashlink::LruCache;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions, PgRow};
use sqlx::{Connection, Executor, PgConnection, PgPool, Row};
use uuid::Uuid;

use crate::plan::{plan, Placed};
use crate::{observe_head, AppendError, AppendRequest, Appended, LogError, LogOptions, Payload};
use crate::{RecordedEvent, RestoreError, Shared};

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// The channel commits notify, with the new head as payload.
pub(crate) const CHANNEL: &str = "lately_events";

/// Serialises appends across every connection and process: held from before the head is read
/// until the transaction commits. (The value spells "lately" in ASCII.)
const APPEND_LOCK: i64 = 0x6c61_7465_6c79;
/// `BEGIN` and taking [`APPEND_LOCK`], sent as one message (of several statements, so it
/// cannot take parameters: the lock's key is written out, and a test holds it to the constant).
const BEGIN_AND_LOCK: &str = "BEGIN; SELECT pg_advisory_xact_lock(119165820431481)";

const COLUMNS: &str = "position, stream_id, stream_version, event_id, event_type, schema_version, \
                       data, metadata, recorded_at";
/// [`COLUMNS`] with the metadata read as JSON `null`, for tailers that never look at it.
const COLUMNS_BUT_METADATA: &str = "position, stream_id, stream_version, event_id, event_type, \
                                    schema_version, data, 'null'::jsonb AS metadata, recorded_at";

pub(crate) fn pool(url: &str, options: &LogOptions) -> Result<PgPool, LogError> {
    let connect = PgConnectOptions::from_str(url)
        .map_err(|e| LogError::Config(format!("invalid PostgreSQL URL: {e}")))?
        .application_name("lately");
    Ok(PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .test_before_acquire(options.ping_before_use)
        .connect_lazy_with(connect))
}

pub(crate) async fn applied_migration(conn: &mut PgConnection) -> Result<Option<i64>, LogError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(None);
    }
    Ok(
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(conn)
            .await?,
    )
}

pub(crate) async fn head(conn: &mut PgConnection) -> Result<i64, LogError> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(position), 0)::BIGINT FROM events")
            .fetch_one(conn)
            .await?,
    )
}

/// The outcome of a statement (`what`, for the error) given `limit` on `conn` (see
/// [`crate::LogOptions::read_timeout`]). A connection whose statement ran out of time is
/// closed, not handed back to the pool: it is mid-answer, or its server is out of reach, and
/// the next statement on it would wait for that. Public (as `lately_log::within`) for the
/// services' own bounded statements, whatever error type they use.
pub fn within<T, E: From<sqlx::Error>>(
    answer: Result<Result<T, E>, tokio::time::error::Elapsed>,
    conn: sqlx::pool::PoolConnection<sqlx::Postgres>,
    what: &str,
    limit: Duration,
) -> Result<T, E> {
    match answer {
        Ok(outcome) => outcome,
        Err(_) => {
            drop(conn.detach());
            Err(E::from(timed_out(what, limit)))
        }
    }
}

/// The error of a statement the database did not answer within `limit`: an I/O timeout, so
/// unavailable, and recognisable as a timeout ([`LogError::is_read_timeout`]).
pub(crate) fn timed_out(what: &str, limit: Duration) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("the database did not answer {what} within {limit:?}"),
    ))
}

pub(crate) async fn read_after(
    conn: &mut PgConnection,
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
        "SELECT {columns} FROM events WHERE position > $1 ORDER BY position LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(decode).collect()
}

pub(crate) async fn read_stream(
    conn: &mut PgConnection,
    stream_id: &str,
) -> Result<Vec<RecordedEvent>, LogError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM events WHERE stream_id = $1 ORDER BY stream_version"
    ))
    .bind(stream_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(decode).collect()
}

pub(crate) async fn event_by_id(
    conn: &mut PgConnection,
    event_id: Uuid,
) -> Result<Option<RecordedEvent>, LogError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM events WHERE event_id = $1"))
        .bind(event_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub(crate) async fn stream_version(
    conn: &mut PgConnection,
    stream_id: &str,
) -> Result<i64, LogError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(MAX(stream_version), 0)::BIGINT FROM events WHERE stream_id = $1",
    )
    .bind(stream_id)
    .fetch_one(conn)
    .await?)
}

fn decode(row: &PgRow) -> Result<RecordedEvent, LogError> {
    let get = || -> Result<RecordedEvent, sqlx::Error> {
        Ok(RecordedEvent {
            position: row.try_get("position")?,
            stream_id: row.try_get("stream_id")?,
            stream_version: row.try_get("stream_version")?,
            event_id: row.try_get("event_id")?,
            event_type: row.try_get("event_type")?,
            schema_version: row.try_get("schema_version")?,
            // Checked to be JSON (which PostgreSQL's `jsonb` always is), not parsed.
            data: Payload(
                row.try_get::<sqlx::types::Json<Box<serde_json::value::RawValue>>, _>("data")?
                    .0,
            ),
            metadata: row.try_get("metadata")?,
            recorded_at: row.try_get("recorded_at")?,
        })
    };
    get().map_err(|e| LogError::Corrupt {
        position: row.try_get("position").unwrap_or_default(),
        reason: e.to_string(),
    })
}

/// The appender's side of the PostgreSQL log: a connection of its own, and what it learned from
/// its own commits.
///
/// The connection is held rather than taken from a pool for each commit: taking one costs a
/// ping (a round trip) to be sure it still works, and handing it back is a task of its own,
/// both in the time the next commit waits. A held connection that has died (a server restart)
/// is found out by using it; [`Committer::commit`] then tries once more on a new one.
pub(crate) struct Committer {
    options: PgConnectOptions,
    connect_timeout: Duration,
    commit_timeout: Duration,
    conn: Option<PgConnection>,
    known: Known,
}

impl Committer {
    pub(crate) fn new(pool: &PgPool, connect_timeout: Duration, commit_timeout: Duration) -> Self {
        Self {
            options: (*pool.connect_options()).clone(),
            connect_timeout,
            commit_timeout,
            conn: None,
            known: Known::new(),
        }
    }

    /// Commits one batch (see [`commit_on`]). Returns each request's outcome and the head after
    /// the commit.
    ///
    /// If the held connection turns out to be gone, the batch is tried once more on a new one.
    /// That is safe whether or not the first attempt reached the database: its events were not
    /// acknowledged, and had they been committed, the second attempt finds them by their ids.
    pub(crate) async fn commit(
        &mut self,
        requests: &[&AppendRequest],
    ) -> Result<(Outcomes, i64), LogError> {
        let held = self.conn.is_some();
        match self.attempt(requests).await {
            Err(e @ LogError::Unavailable(_)) if held => {
                tracing::debug!(error = %e, "the append connection is gone; committing on a new one");
                self.attempt(requests).await
            }
            done => done,
        }
    }

    async fn attempt(&mut self, requests: &[&AppendRequest]) -> Result<(Outcomes, i64), LogError> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                let connect = PgConnection::connect_with(&self.options);
                let conn = tokio::time::timeout(self.connect_timeout, connect)
                    .await
                    .map_err(|_| {
                        sqlx::Error::Io(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "connecting to PostgreSQL timed out",
                        ))
                    })??;
                self.conn.insert(conn)
            }
        };
        let committed = tokio::time::timeout(
            self.commit_timeout,
            commit_on(conn, requests, &mut self.known),
        )
        .await
        .unwrap_or_else(|_| Err(timed_out("a commit", self.commit_timeout).into()));
        match committed {
            Ok(done) => Ok(done),
            Err(e) => {
                // A transaction may be left open, or the connection is broken: start over on
                // a new connection, and from what the log says.
                self.conn = None;
                self.known.head = None;
                Err(e)
            }
        }
    }
}

/// What one appender learned from its own commits: the head after the last one, and recent
/// streams' versions. Only ever a guess — another process may have appended since — which
/// [`commit_on`] lets the database's unique constraints check.
struct Known {
    head: Option<i64>,
    versions: LruCache<String, i64>,
}

impl Known {
    fn new() -> Self {
        Self {
            head: None,
            versions: LruCache::new(KNOWN_STREAMS),
        }
    }

    fn learn(&mut self, head: i64, versions: impl IntoIterator<Item = (String, i64)>) {
        self.head = Some(head);
        for (stream, version) in versions {
            self.versions.insert(stream, version);
        }
    }
}

/// How many streams' versions an appender remembers.
const KNOWN_STREAMS: usize = 10_000;

/// A row of a commit's look-up: what it is (`head`, `event`, `stream`), event id, stream id,
/// stream version, position.
type LookupRow = (
    String,
    Option<Uuid>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

type Outcomes = Vec<Result<Appended, AppendError>>;

/// Commits one batch under the append lock.
///
/// First on what this appender already knows, without reading anything: the rows get the
/// positions after the head it last committed and the versions after those it last saw (0 for
/// a stream it has not seen). If any of that is stale — another process appended, an event id
/// is a retry, a stream exists after all — the insert breaks a unique constraint (position,
/// event id, or stream and version: each is taken exactly when the guess is stale, since
/// positions and versions have no gaps and never shrink), nothing is written, and the batch
/// is planned again on what the log says. A plan on the guess that refuses anything (a
/// conflict, a retry) is not trusted either. On the guess the commit is one statement, and one
/// round trip; the lock is held from the statement's start to its commit.
async fn commit_on(
    conn: &mut PgConnection,
    requests: &[&AppendRequest],
    known: &mut Known,
) -> Result<(Outcomes, i64), LogError> {
    if let Some(head) = known.head {
        let guessed: HashMap<String, i64> = requests
            .iter()
            .filter_map(|r| {
                let v = known.versions.get(&r.stream_id)?;
                Some((r.stream_id.clone(), *v))
            })
            .collect();
        let plan = plan(head, requests, &HashMap::new(), &guessed);
        let all_appended = plan
            .outcomes
            .iter()
            .all(|o| o.as_ref().is_ok_and(|a| !a.duplicate));
        if all_appended {
            // Outside a transaction block the statement is its own transaction: lock, insert,
            // notify and commit in one round trip.
            match insert(conn, &plan).await {
                Ok(()) => {
                    known.learn(plan.head, written(&plan));
                    metrics::counter!("lately_log_commits_total", "path" => "known").increment(1);
                    return Ok((plan.outcomes, plan.head));
                }
                // Stale: the statement's transaction rolled back, nothing was written and
                // the lock is free again. Plan on what the log says.
                Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23505") => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    // One simple-protocol message, two statements. Every statement after it sees every
    // earlier append, and no other can start until this transaction ends.
    conn.execute(BEGIN_AND_LOCK).await?;
    let (head, existing, versions) = look_up(conn, requests).await?;
    let plan = plan(head, requests, &existing, &versions);
    if !plan.rows.is_empty() {
        insert(conn, &plan).await?;
    }
    conn.execute("COMMIT").await?;
    known.learn(plan.head, versions.into_iter().chain(written(&plan)));
    metrics::counter!("lately_log_commits_total", "path" => "read").increment(1);
    Ok((plan.outcomes, plan.head))
}

/// Each stream's version after a plan's rows.
fn written<'p>(plan: &'p crate::plan::Plan<'_>) -> impl Iterator<Item = (String, i64)> + 'p {
    plan.rows
        .iter()
        .map(|r| (r.stream_id.to_owned(), r.stream_version))
}

/// Reads, under the lock, what a plan needs: the head, the batch's events that are already in
/// the log (retries) and each stream's version.
async fn look_up(
    conn: &mut PgConnection,
    requests: &[&AppendRequest],
) -> Result<(i64, HashMap<Uuid, Placed>, HashMap<String, i64>), LogError> {
    let ids: Vec<Uuid> = requests
        .iter()
        .flat_map(|r| r.events.iter().map(|e| e.event_id))
        .collect();
    let mut streams: Vec<&str> = requests.iter().map(|r| r.stream_id.as_str()).collect();
    streams.sort_unstable();
    streams.dedup();
    // A statement after the lock's, so its snapshot sees every earlier append. Every look-up
    // is a probe per id or stream: a subquery with LIMIT cannot be turned into a join. Written
    // as `col = ANY($1)` or a plain join, the generic plan PostgreSQL settles on for the
    // prepared statement (after five executions, while the log may still be tiny) can be a
    // scan of the whole log — seen: a hash join over it — and every commit then costs time
    // proportional to the log's length.
    let rows: Vec<LookupRow> = sqlx::query_as(
        "SELECT 'head', NULL::UUID, NULL::TEXT, NULL::BIGINT, \
                    (SELECT COALESCE(MAX(position), 0)::BIGINT FROM events) \
             UNION ALL \
             SELECT 'event', e.event_id, e.stream_id, e.stream_version, e.position \
               FROM UNNEST($1::UUID[]) AS wanted(id), \
                    LATERAL (SELECT event_id, stream_id, stream_version, position FROM events \
                             WHERE event_id = wanted.id LIMIT 1) AS e \
             UNION ALL \
             SELECT 'stream', NULL, s.id, \
                    (SELECT stream_version FROM events WHERE stream_id = s.id \
                      ORDER BY stream_version DESC LIMIT 1), NULL \
               FROM UNNEST($2::TEXT[]) AS s(id)",
    )
    .bind(&ids)
    .bind(&streams)
    .fetch_all(&mut *conn)
    .await?;
    let mut head = 0;
    let mut existing: HashMap<Uuid, Placed> = HashMap::new();
    let mut versions: HashMap<String, i64> = HashMap::new();
    for (kind, event_id, stream_id, version, position) in rows {
        match (kind.as_str(), event_id, stream_id, version, position) {
            ("head", _, _, _, Some(p)) => head = p,
            ("event", Some(id), Some(stream_id), Some(stream_version), Some(position)) => {
                existing.insert(
                    id,
                    Placed {
                        stream_id,
                        stream_version,
                        position,
                    },
                );
            }
            ("stream", _, Some(stream), Some(version), _) => {
                versions.insert(stream, version);
            }
            // A stream with no events yet.
            ("stream", ..) => {}
            other => {
                return Err(LogError::Config(format!(
                    "unexpected row from the append look-up: {other:?}"
                )))
            }
        }
    }
    Ok((head, existing, versions))
}

/// Inserts a plan's rows under the append lock, and the notification that is delivered to
/// listeners only when (and if) the transaction commits.
///
/// The statement takes the lock itself, so that outside a transaction block it is a whole
/// commit in one round trip; inside one (after [`BEGIN_AND_LOCK`]) taking it again is a no-op.
/// No row can be inserted before the lock is held: every row to insert is joined with the
/// locking CTE's one row, which must be computed first. That the statement's snapshot was taken
/// before the lock does not matter: an insert reads nothing, and the unique checks see every
/// committed row, not a snapshot. The insert runs to completion whether or not its CTE is read.
async fn insert(conn: &mut PgConnection, plan: &crate::plan::Plan<'_>) -> Result<(), sqlx::Error> {
    let n = plan.rows.len();
    let (mut positions, mut stream_ids, mut versions) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut event_ids, mut types, mut schemas) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut data, mut metadata) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for row in &plan.rows {
        positions.push(row.position);
        stream_ids.push(row.stream_id);
        versions.push(row.stream_version);
        event_ids.push(row.event.event_id);
        types.push(row.event.event_type.as_str());
        schemas.push(row.event.schema_version);
        data.push(&row.event.data);
        metadata.push(&row.event.metadata);
    }
    sqlx::query(
        "WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock($11)), \
         inserted AS ( \
           INSERT INTO events (position, stream_id, stream_version, event_id, event_type, \
                               schema_version, data, metadata) \
           SELECT batch.* FROM locked, \
                  UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::UUID[], \
                         $5::TEXT[], $6::INT[], $7::JSONB[], $8::JSONB[]) AS batch) \
         SELECT pg_notify($9, $10)",
    )
    .bind(&positions)
    .bind(&stream_ids)
    .bind(&versions)
    .bind(&event_ids)
    .bind(&types)
    .bind(&schemas)
    .bind(&data)
    .bind(&metadata)
    .bind(CHANNEL)
    .bind(plan.head.to_string())
    .bind(APPEND_LOCK)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A connection of its own holding the append lock at session level, for a restore (see
/// [`crate::Restorer`]): every append waits until it is released or the connection closes.
/// Waits for the append in flight, at most `limit`.
pub(crate) async fn hold_append_lock(
    pool: &PgPool,
    limit: Duration,
) -> Result<PgConnection, LogError> {
    let hold = async {
        let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(APPEND_LOCK)
            .execute(&mut conn)
            .await?;
        Ok::<_, sqlx::Error>(conn)
    };
    match tokio::time::timeout(limit, hold).await {
        Ok(conn) => Ok(conn?),
        Err(_) => Err(timed_out("the append lock", limit).into()),
    }
}

/// Gives up the session-level append lock of [`hold_append_lock`].
pub(crate) async fn release_append_lock(conn: &mut PgConnection) -> Result<(), LogError> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(APPEND_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

/// Restores `events` as they are (see [`crate::Restorer`]) in one transaction under the
/// append lock (which the restore's session holds already), notifying tailers on commit. On
/// an error the transaction is left open: the caller closes the connection, which rolls it
/// back.
pub(crate) async fn restore(
    conn: &mut PgConnection,
    events: &[RecordedEvent],
) -> Result<i64, RestoreError> {
    conn.execute(BEGIN_AND_LOCK).await?;
    let head = head(conn).await?;
    let streams = crate::restore::streams(events);
    // A probe per stream, as in `look_up`, for the same reason.
    let versions: HashMap<String, i64> = sqlx::query_as::<_, (String, Option<i64>)>(
        "SELECT s.id, (SELECT stream_version FROM events WHERE stream_id = s.id \
                        ORDER BY stream_version DESC LIMIT 1) \
           FROM UNNEST($1::TEXT[]) AS s(id)",
    )
    .bind(&streams)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .filter_map(|(stream, version)| Some((stream, version?)))
    .collect();
    crate::restore::check(head, &versions, events)?;
    let Some(last) = events.last() else {
        conn.execute("COMMIT").await?;
        return Ok(head);
    };
    let column = |f: fn(&RecordedEvent) -> &str| events.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO events (position, stream_id, stream_version, event_id, event_type, \
                             schema_version, data, metadata, recorded_at) \
         SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::UUID[], $5::TEXT[], \
                              $6::INT[], $7::TEXT[]::JSONB[], $8::JSONB[], $9::TIMESTAMPTZ[])",
    )
    .bind(events.iter().map(|e| e.position).collect::<Vec<_>>())
    .bind(column(|e| &e.stream_id))
    .bind(events.iter().map(|e| e.stream_version).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.event_id).collect::<Vec<_>>())
    .bind(column(|e| &e.event_type))
    .bind(events.iter().map(|e| e.schema_version).collect::<Vec<_>>())
    .bind(column(|e| e.data.as_str()))
    .bind(events.iter().map(|e| &e.metadata).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.recorded_at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(last.position.to_string())
        .execute(&mut *conn)
        .await?;
    conn.execute("COMMIT").await?;
    Ok(last.position)
}

/// Keeps a `LISTEN` connection open and raises the shared head on every notification. Lost
/// notifications (during a reconnect) are covered by the subscriptions' polling; a hot standby,
/// which refuses `LISTEN`, is left to polling alone.
pub(crate) fn spawn_listener(pool: PgPool, shared: Weak<Shared>) {
    tokio::spawn(async move {
        loop {
            if shared.strong_count() == 0 {
                return;
            }
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::debug!(error = %e, "LISTEN connection failed; polling until it returns");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                let standby = matches!(&e, sqlx::Error::Database(db) if db.code().as_deref() == Some("25006"));
                if standby {
                    tracing::info!("database is a hot standby (no LISTEN); subscriptions poll");
                    return;
                }
                tracing::debug!(error = %e, "LISTEN failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            loop {
                match listener.try_recv().await {
                    Ok(Some(note)) => {
                        let Some(shared) = shared.upgrade() else {
                            return;
                        };
                        if let Ok(head) = note.payload().parse::<i64>() {
                            observe_head(&shared.head, head);
                        }
                    }
                    // The connection dropped; notifications may have been lost meanwhile, so
                    // wake every subscription to look for itself, then listen again.
                    Ok(None) | Err(_) => {
                        let Some(shared) = shared.upgrade() else {
                            return;
                        };
                        shared.head.send_modify(|_| {});
                        break;
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn begin_takes_the_append_lock() {
        assert!(BEGIN_AND_LOCK.ends_with(&format!("pg_advisory_xact_lock({APPEND_LOCK})")));
    }
}
