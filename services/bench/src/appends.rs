//! Appends: finish commands through the writer's HTTP API, against the same rows inserted
//! straight into PostgreSQL one per transaction (the naive design) and 100 per transaction
//! (the ceiling).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::load;
use crate::procs::{percentile, Service};
use crate::{Args, TOKEN};

pub struct Rate {
    pub per_sec: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// From the writer's own metrics: mean events per group commit, mean commit time (ms).
    pub batch: Option<(f64, f64)>,
}

/// The mean of a histogram (`name_sum / name_count`) in a Prometheus text exposition.
fn mean(metrics: &str, name: &str) -> Option<f64> {
    let value = |suffix: &str| -> Option<f64> {
        metrics
            .lines()
            .find(|l| l.starts_with(&format!("{name}{suffix} ")))?
            .split_whitespace()
            .last()?
            .parse()
            .ok()
    };
    Some(value("_sum")? / value("_count")?)
}

pub async fn writer(args: &Args, duration: Duration) -> anyhow::Result<Rate> {
    let db = lately_testkit::postgres_database().await;
    let writer = Service::spawn(
        &args.bin_dir,
        "lately-writer",
        "LATELY_WRITER_ADDR",
        &[
            ("DATABASE_URL", &db),
            ("LATELY_WRITER_TOKEN", TOKEN),
            ("LATELY_DB_MAX_CONNECTIONS", "32"),
        ],
    )?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    writer.ready(&client).await?;
    let base = writer.url.clone();
    // Each client finishes its own items, so commands on one item never contend.
    let items = crate::add_items(&client, &base, args.clients * 8).await?;
    let host = base.trim_start_matches("http://").to_owned();
    let started = Instant::now();
    let tasks: Vec<_> = items
        .chunks(8)
        .map(|mine| {
            let requests: Vec<Vec<u8>> = mine
                .iter()
                .map(|id| {
                    load::post_json(
                        &host,
                        &format!("/v1/items/{id}/finish"),
                        TOKEN,
                        r#"{"rating":4}"#,
                    )
                })
                .collect();
            let host = host.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut connection = load::Connection::open(&host).await?;
                for request in requests.iter().cycle() {
                    if started.elapsed() >= duration {
                        break;
                    }
                    let (status, sent) = connection.send(request).await?;
                    if (200..300).contains(&status) {
                        latencies.push(sent.elapsed());
                    }
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    Ok(Rate {
        per_sec: latencies.len() as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        batch: mean(&metrics, "lately_log_batch_events")
            .zip(mean(&metrics, "lately_log_commit_seconds").map(|s| s * 1000.0)),
    })
}

/// Rows shaped like the log's, inserted straight into PostgreSQL `batch` at a time.
pub async fn insert(args: &Args, duration: Duration, batch: usize) -> anyhow::Result<Rate> {
    let db = lately_testkit::postgres_database().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(args.clients as u32)
        .connect(&db)
        .await?;
    sqlx::query(
        "CREATE TABLE rows (id BIGSERIAL PRIMARY KEY, stream_id TEXT NOT NULL, event_id UUID NOT NULL UNIQUE, \
         data JSONB NOT NULL, recorded_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .execute(&pool)
    .await?;
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.clients)
        .map(|c| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut rows = 0usize;
                while started.elapsed() < duration {
                    let t = Instant::now();
                    let mut qb =
                        sqlx::QueryBuilder::new("INSERT INTO rows (stream_id, event_id, data) ");
                    qb.push_values(0..batch, |mut b, i| {
                        b.push_bind(format!("bench-{c}-{i}"))
                            .push("gen_random_uuid()")
                            .push_bind(json!({ "at": "2026-11-01T00:00:00Z", "rating": 4 }));
                    });
                    if qb.build().execute(&pool).await.is_ok() {
                        rows += batch;
                        latencies.push(t.elapsed());
                    }
                }
                (rows, latencies)
            })
        })
        .collect();
    let (mut rows, mut latencies) = (0, Vec::new());
    for t in tasks {
        let (r, l) = t.await?;
        rows += r;
        latencies.extend(l);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    Ok(Rate {
        per_sec: rows as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        batch: None,
    })
}
