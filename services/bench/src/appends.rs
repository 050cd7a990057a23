//! Appends: finish commands through the writer's HTTP API, against the same rows inserted
//! straight into the log's table one per transaction (the naive design) and 100 per
//! transaction (the ceiling).

use std::time::{Duration, Instant};

use lately_domain::event::Finished;
use lately_domain::{ItemEvent, Rating};
use serde_json::json;

use crate::load;
use crate::procs::{cpu_seconds, percentile, Service, Steal};
use crate::{Args, TOKEN};

pub struct Rate {
    pub per_sec: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// From the writer's own metrics: mean events per group commit, mean commit time (ms).
    pub batch: Option<(f64, f64)>,
    /// From the writer's own metrics: commits planned on what the appender knew (one round
    /// trip, no read of the log), and commits in all.
    pub on_known: Option<(f64, f64)>,
    /// CPU time per acknowledged event, in µs, of the whole machine: the service, PostgreSQL
    /// and the load generator together.
    pub machine_cpu_us: Option<f64>,
    /// The part of it spent in the writer process itself.
    pub writer_cpu_us: Option<f64>,
    /// The share of the machine's CPU time the hypervisor stole during the run.
    pub steal: Option<f64>,
}

/// A sample's value in a Prometheus text exposition (`series`: its name and any labels).
fn counter(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(&format!("{series} ")))?
        .split_whitespace()
        .last()?
        .parse()
        .ok()
}

/// The mean of a histogram (`name_sum / name_count`) in a Prometheus text exposition.
fn mean(metrics: &str, name: &str) -> Option<f64> {
    Some(counter(metrics, &format!("{name}_sum"))? / counter(metrics, &format!("{name}_count"))?)
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
    let pid = writer.child.id();
    let (writer_before, machine_before) = (cpu_seconds(pid), cpu_seconds(None));
    let steal = Steal::start();
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
    let (writer_after, machine_after) = (cpu_seconds(pid), cpu_seconds(None));
    latencies.sort();
    let per_event = |before: Option<f64>, after: Option<f64>| {
        Some((after? - before?) * 1e6 / latencies.len().max(1) as f64)
    };
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
        machine_cpu_us: per_event(machine_before, machine_after),
        writer_cpu_us: per_event(writer_before, writer_after),
        steal: steal.share(),
        on_known: {
            let known = counter(&metrics, r#"lately_log_commits_total{path="known"}"#);
            let read = counter(&metrics, r#"lately_log_commits_total{path="read"}"#);
            known.map(|k| (k, k + read.unwrap_or(0.0)))
        },
    })
}

/// The rows the writer appends for those finishes, inserted straight into the log's own table
/// (the real schema, with its three unique indexes), `batch` rows per transaction.
///
/// The same rows: one stream per item, eight items per client with their versions counting up,
/// time-ordered event ids, the finish event's real encoding and the writer's metadata. Only
/// the positions differ: they come from a sequence, which is what the designs measured here
/// would do and exactly what the log must not (see `migrations/postgres/0001_events.sql`).
pub async fn insert(args: &Args, duration: Duration, batch: usize) -> anyhow::Result<Rate> {
    let db = lately_testkit::postgres_database().await;
    let log = lately_log::EventLog::connect(&db, lately_log::LogOptions::default())?;
    log.migrate().await?;
    log.close().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(args.clients as u32)
        .connect(&db)
        .await?;
    sqlx::query("CREATE SEQUENCE bench_positions")
        .execute(&pool)
        .await?;
    let finished = ItemEvent::Finished(Finished {
        at: chrono::Utc::now(),
        rating: Some(Rating::parse(4.0)?),
        review: None,
    })
    .encode();
    let cpu_before = cpu_seconds(None);
    let steal = Steal::start();
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.clients)
        .map(|c| {
            let pool = pool.clone();
            let finished = finished.clone();
            tokio::spawn(async move {
                let streams: Vec<String> = (0..8).map(|i| format!("bench-{c}-{i}")).collect();
                let mut versions = [0i64; 8];
                let mut next = 0usize;
                let mut latencies = Vec::new();
                let mut rows = 0usize;
                while started.elapsed() < duration {
                    let t = Instant::now();
                    let (mut ids, mut stream_ids, mut stream_versions) =
                        (Vec::new(), Vec::new(), Vec::new());
                    let (mut data, mut metadata) = (Vec::new(), Vec::new());
                    for _ in 0..batch {
                        let s = next % streams.len();
                        next += 1;
                        versions[s] += 1;
                        stream_ids.push(streams[s].as_str());
                        stream_versions.push(versions[s]);
                        ids.push(uuid::Uuid::now_v7());
                        data.push(&finished.data);
                        metadata.push(json!({
                            "request_id": uuid::Uuid::new_v4().to_string(),
                            "actor": "owner"
                        }));
                    }
                    sqlx::query(
                        "INSERT INTO events (position, stream_id, stream_version, event_id, \
                         event_type, schema_version, data, metadata) \
                         SELECT nextval('bench_positions'), s, v, id, $4, $5, d, m \
                         FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::UUID[], $6::JSONB[], \
                                     $7::JSONB[]) AS batch(s, v, id, d, m)",
                    )
                    .bind(&stream_ids)
                    .bind(&stream_versions)
                    .bind(&ids)
                    .bind(finished.event_type)
                    .bind(finished.schema_version)
                    .bind(&data)
                    .bind(&metadata)
                    .execute(&pool)
                    .await?; // A failed insert is a broken baseline, not a slower one.
                    rows += batch;
                    latencies.push(t.elapsed());
                }
                anyhow::Ok((rows, latencies))
            })
        })
        .collect();
    let (mut rows, mut latencies) = (0, Vec::new());
    for t in tasks {
        let (r, l) = t.await??;
        rows += r;
        latencies.extend(l);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(None).zip(cpu_before).map(|(a, b)| a - b);
    latencies.sort();
    Ok(Rate {
        per_sec: rows as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        batch: None,
        on_known: None,
        machine_cpu_us: cpu.map(|s| s * 1e6 / rows.max(1) as f64),
        writer_cpu_us: None,
        steal: steal.share(),
    })
}
