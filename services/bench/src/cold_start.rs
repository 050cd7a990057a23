//! Cold start: a reader joining a long log — the time until `/readyz` answers and its memory,
//! replaying from the first event, then again from the snapshot the first one left.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use lately_domain::event::{Finished, ItemAdded};
use lately_domain::{Creator, ItemEvent, MediaKind, Rating, Tag, Title, Visibility};
use sqlx::Executor;

use crate::procs::Service;
use crate::Args;

pub struct Start {
    pub ready: Duration,
    /// The reader's CPU time until it was ready (all its threads): steadier than the wall
    /// time on a shared machine, whose cores the reader may not get when it wants them.
    pub cpu: Option<Duration>,
    pub rss_mb: f64,
    pub peak_mb: f64,
}

pub struct ColdStart {
    pub events: i64,
    pub fill: Duration,
    pub replay: Start,
    pub from_snapshot: Start,
    /// The snapshot's size, and what of it is stored (compressed).
    pub snapshot_mb: f64,
    pub stored_mb: f64,
}

/// Writes `events` events (an add and a finish per item) straight into the log table: the
/// payloads are the domain's own encoding, the titles differ per item.
async fn fill(db: &str, events: i64) -> anyhow::Result<()> {
    let log = lately_log::EventLog::connect(db, Default::default())?;
    log.migrate().await?;
    let pool = log.pg_pool().context("a PostgreSQL log")?;
    let at = Utc::now();
    let added = ItemEvent::Added(ItemAdded {
        kind: MediaKind::Book,
        title: Title::parse("placeholder")?,
        creators: vec![Creator::parse("A. N. Author")?],
        url: None,
        cover_url: None,
        tags: vec![Tag::parse("bench")?],
        visibility: Visibility::Public,
        at,
    })
    .encode();
    let finished = ItemEvent::Finished(Finished {
        at,
        rating: Some(Rating::from_half_stars(8)?),
        review: None,
        tweet: true,
        listened: false,
    })
    .encode();
    let items = events / 2;
    let chunk = 50_000;
    let mut from = 1;
    while from <= items {
        let to = (from + chunk - 1).min(items);
        sqlx::query(
            "INSERT INTO events (position, stream_id, stream_version, event_id, event_type, schema_version, data) \
             SELECT 2 * i - 1, 'bench-' || i, 1, gen_random_uuid(), $3, $4, $5::jsonb || jsonb_build_object('title', 'Bench book ' || i) \
               FROM generate_series($1::bigint, $2::bigint) AS i \
             UNION ALL \
             SELECT 2 * i, 'bench-' || i, 2, gen_random_uuid(), $6, $7, $8::jsonb \
               FROM generate_series($1::bigint, $2::bigint) AS i",
        )
        .bind(from)
        .bind(to)
        .bind(added.event_type)
        .bind(added.schema_version)
        .bind(&added.data)
        .bind(finished.event_type)
        .bind(finished.schema_version)
        .bind(&finished.data)
        .execute(pool)
        .await?;
        from = to + 1;
    }
    Ok(())
}

/// Vacuums `table` and waits for the server to go quiet (see [`crate::settle::quiesce`]).
async fn vacuum(pool: &sqlx::PgPool, table: &str) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    conn.execute(format!("VACUUM (ANALYZE) {table}").as_str())
        .await?;
    crate::settle::quiesce(&mut conn).await
}

async fn start(
    args: &Args,
    db: &str,
    client: &reqwest::Client,
) -> anyhow::Result<(Service, Start)> {
    let reader = Service::spawn(
        &args.bin_dir,
        "lately-reader",
        "LATELY_READER_ADDR",
        &[("DATABASE_URL", db)],
    )?;
    let ready = reader.ready(client).await?;
    let cpu = crate::procs::cpu_seconds(reader.child.id()).map(Duration::from_secs_f64);
    let (rss_mb, peak_mb) = reader.memory_mb().unwrap_or_default();
    Ok((
        reader,
        Start {
            ready,
            cpu,
            rss_mb,
            peak_mb,
        },
    ))
}

pub async fn run(args: &Args, events: i64) -> anyhow::Result<ColdStart> {
    let db = lately_testkit::postgres_database().await;
    let t = Instant::now();
    fill(&db, events).await?;
    let fill_time = t.elapsed();
    let client = reqwest::Client::new();
    let pool = sqlx::PgPool::connect(&db).await?;
    // A log this long has been vacuumed long before a reader joins it. Left to autovacuum, the
    // bulk load above is visited while a reader is being timed, and reading it first sets
    // every row's hint bits, writing the whole table out again.
    vacuum(&pool, "events").await?;

    let (first, replay) = start(args, &db, &client).await?;
    // The first replica saves a snapshot once it has caught up.
    let deadline = Instant::now() + Duration::from_secs(300);
    let (version, stored_bytes) = loop {
        let row: Option<(i64, i32, i64)> = sqlx::query_as(
            "SELECT position, projection_version, length(state)::bigint FROM snapshots \
             ORDER BY position DESC LIMIT 1",
        )
        .fetch_optional(&pool)
        .await?;
        match row {
            Some((position, version, bytes)) if position >= events => break (version, bytes),
            _ if Instant::now() > deadline => anyhow::bail!("no snapshot was saved"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    drop(first);
    let snapshot_bytes = lately_log::EventLog::connect(&db, Default::default())?
        .latest_snapshot(version)
        .await?
        .context("the snapshot just saved")?
        .state
        .len();
    // The same for the snapshot just written (its TOAST rows are enough to wake autovacuum).
    vacuum(&pool, "snapshots").await?;
    let (_second, from_snapshot) = start(args, &db, &client).await?;
    Ok(ColdStart {
        events,
        fill: fill_time,
        replay,
        from_snapshot,
        snapshot_mb: snapshot_bytes as f64 / 1_048_576.0,
        stored_mb: stored_bytes as f64 / 1_048_576.0,
    })
}
