//! Appends: finish commands through the writer's HTTP API, against the same rows inserted
//! straight into the log's table one per transaction (the naive design) and 100 per
//! transaction (the ceiling), and against the peer ([`crate::peer`]).
//!
//! Every scenario is set up once and then measured in rounds: each round runs every scenario
//! in turn for the same time, and a figure is the sum of its rounds. This machine's speed
//! drifts within minutes, and a share of two figures measured a minute apart measured the
//! drift as much as the writer: in one run (2026-12-03, 16:17) the hypervisor stole 39% of the
//! CPU time while the writer ran and none while the ceiling ran, and the writer came out at
//! 10% of the ceiling and 2.0× the peer. In rounds, every figure samples the same stretches.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lately_domain::event::{Finished, StoredEvent};
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
    /// The part of it spent in the bench's own process: the load generator's clients (for the
    /// baselines, the inserting clients).
    pub generator_cpu_us: Option<f64>,
    /// The share of the machine's CPU time the hypervisor stole during the run.
    pub steal: Option<f64>,
}

/// What a scenario's rounds add up to.
pub struct Tally {
    events: usize,
    elapsed: f64,
    latencies: Vec<Duration>,
    /// CPU seconds of the whole machine, and of the writer (none for the other scenarios).
    machine_cpu: Option<f64>,
    writer_cpu: Option<f64>,
    generator_cpu: Option<f64>,
    /// Stolen CPU seconds per second of the machine's, summed over the rounds' seconds.
    stolen: Option<f64>,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            events: 0,
            elapsed: 0.0,
            latencies: Vec::new(),
            machine_cpu: Some(0.0),
            writer_cpu: Some(0.0),
            generator_cpu: Some(0.0),
            stolen: Some(0.0),
        }
    }
}

impl Tally {
    /// The rounds as one run.
    pub fn rate(mut self) -> Rate {
        self.latencies.sort();
        let per_event = |cpu: Option<f64>| Some(cpu? * 1e6 / self.events.max(1) as f64);
        Rate {
            per_sec: self.events as f64 / self.elapsed,
            p50_ms: percentile(&self.latencies, 0.5),
            p99_ms: percentile(&self.latencies, 0.99),
            batch: None,
            on_known: None,
            machine_cpu_us: per_event(self.machine_cpu),
            writer_cpu_us: per_event(self.writer_cpu),
            generator_cpu_us: per_event(self.generator_cpu),
            steal: self.stolen.map(|s| s / self.elapsed),
        }
    }
}

/// Measures one round: its length, the CPU time the machine (and the writer, given its pid)
/// spent in it, and the share the hypervisor stole.
pub struct Meter {
    writer: Option<u32>,
    writer_before: Option<f64>,
    generator_before: Option<f64>,
    machine_before: Option<f64>,
    steal: Steal,
    started: Instant,
}

impl Meter {
    pub fn start(writer: Option<u32>) -> Self {
        Self {
            writer,
            writer_before: writer.and_then(|pid| cpu_seconds(Some(pid))),
            generator_before: cpu_seconds(Some(std::process::id())),
            machine_before: cpu_seconds(None),
            steal: Steal::start(),
            started: Instant::now(),
        }
    }

    /// Adds the round, in which `events` were acknowledged with these latencies, to `tally`.
    pub fn stop(self, tally: &mut Tally, events: usize, latencies: Vec<Duration>) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let spent = |before: Option<f64>, after: Option<f64>| Some(after? - before?);
        let machine = spent(self.machine_before, cpu_seconds(None));
        let writer = match self.writer {
            Some(pid) => spent(self.writer_before, cpu_seconds(Some(pid))),
            None => None,
        };
        let sum = |total: Option<f64>, round: Option<f64>| Some(total? + round?);
        tally.machine_cpu = sum(tally.machine_cpu, machine);
        tally.writer_cpu = sum(tally.writer_cpu, writer);
        let generator = spent(self.generator_before, cpu_seconds(Some(std::process::id())));
        tally.generator_cpu = sum(tally.generator_cpu, generator);
        tally.stolen = sum(tally.stolen, self.steal.share().map(|s| s * elapsed));
        tally.events += events;
        tally.elapsed += elapsed;
        tally.latencies.extend(latencies);
    }
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

/// Finishes through the writer: each of the clients finishes its own eight items, again and
/// again, so that commands on one item never contend.
pub struct Writer {
    writer: Service,
    client: reqwest::Client,
    host: String,
    /// Each client's requests, written out once.
    requests: Vec<Arc<Vec<Vec<u8>>>>,
    tally: Tally,
}

impl Writer {
    /// Starts the writer on a database of its own and adds the items.
    pub async fn start(args: &Args) -> anyhow::Result<Self> {
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
        let items = crate::add_items(&client, &writer.url, args.clients * 8).await?;
        let host = writer.url.trim_start_matches("http://").to_owned();
        let requests = items
            .chunks(8)
            .map(|mine| {
                let finish = |id: &String| {
                    let path = format!("/v1/items/{id}/finish");
                    load::post_json(&host, &path, TOKEN, r#"{"rating":4}"#)
                };
                Arc::new(mine.iter().map(finish).collect())
            })
            .collect();
        Ok(Self {
            writer,
            client,
            host,
            requests,
            tally: Tally::default(),
        })
    }

    /// One round of `duration`, every client on a keep-alive connection of its own.
    pub async fn round(&mut self, duration: Duration) -> anyhow::Result<()> {
        let meter = Meter::start(self.writer.child.id());
        let deadline = Instant::now() + duration;
        let tasks: Vec<_> = self
            .requests
            .iter()
            .map(|requests| {
                let (requests, host) = (requests.clone(), self.host.clone());
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut connection = load::Connection::open(&host).await?;
                    for request in requests.iter().cycle() {
                        if Instant::now() >= deadline {
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
        meter.stop(&mut self.tally, latencies.len(), latencies);
        Ok(())
    }

    /// The rounds' figures, with the group commits' from the writer's own metrics.
    pub async fn finish(self) -> anyhow::Result<Rate> {
        let metrics = self
            .client
            .get(format!("{}/metrics", self.writer.url))
            .send()
            .await?
            .text()
            .await?;
        Ok(Rate {
            batch: mean(&metrics, "lately_log_batch_events")
                .zip(mean(&metrics, "lately_log_commit_seconds").map(|s| s * 1000.0)),
            on_known: {
                let known = counter(&metrics, r#"lately_log_commits_total{path="known"}"#);
                let read = counter(&metrics, r#"lately_log_commits_total{path="read"}"#);
                known.map(|k| (k, k + read.unwrap_or(0.0)))
            },
            ..self.tally.rate()
        })
    }
}

/// The rows the writer appends for those finishes, inserted straight into the log's own table
/// (the real schema, with its three unique indexes), `batch` rows per transaction.
///
/// The same rows: one stream per item, eight items per client with their versions counting up,
/// time-ordered event ids, the finish event's real encoding and the writer's metadata. Only
/// the positions differ: they come from a sequence, which is what the designs measured here
/// would do and exactly what the log must not (see `migrations/postgres/0001_events.sql`).
pub struct Insert {
    pool: sqlx::PgPool,
    batch: usize,
    finished: Arc<StoredEvent>,
    /// Each client's streams and where they are, carried from one round to the next.
    clients: Vec<Streams>,
    tally: Tally,
}

/// One client's eight streams, their versions, and which one it writes next.
#[derive(Clone)]
struct Streams {
    ids: Vec<String>,
    versions: [i64; 8],
    next: usize,
}

impl Insert {
    /// A database of its own with the log's schema.
    pub async fn start(args: &Args, batch: usize) -> anyhow::Result<Self> {
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
            tweet: true,
            listened: false,
        })
        .encode();
        let clients = (0..args.clients)
            .map(|c| Streams {
                ids: (0..8).map(|i| format!("bench-{c}-{i}")).collect(),
                versions: [0; 8],
                next: 0,
            })
            .collect();
        Ok(Self {
            pool,
            batch,
            finished: Arc::new(finished),
            clients,
            tally: Tally::default(),
        })
    }

    /// One round of `duration`, every client inserting batch after batch.
    pub async fn round(&mut self, duration: Duration) -> anyhow::Result<()> {
        let meter = Meter::start(None);
        let deadline = Instant::now() + duration;
        let batch = self.batch;
        let tasks: Vec<_> = self
            .clients
            .drain(..)
            .map(|mut streams| {
                let (pool, finished) = (self.pool.clone(), self.finished.clone());
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut rows = 0usize;
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        insert(&pool, &finished, &mut streams, batch).await?;
                        rows += batch;
                        latencies.push(t.elapsed());
                    }
                    anyhow::Ok((streams, rows, latencies))
                })
            })
            .collect();
        let (mut rows, mut latencies) = (0, Vec::new());
        for t in tasks {
            let (streams, r, l) = t.await??;
            self.clients.push(streams);
            rows += r;
            latencies.extend(l);
        }
        meter.stop(&mut self.tally, rows, latencies);
        Ok(())
    }

    /// The rounds' figures.
    pub fn rate(self) -> Rate {
        self.tally.rate()
    }
}

/// Inserts the client's next `batch` rows in one statement (its own transaction).
async fn insert(
    pool: &sqlx::PgPool,
    finished: &StoredEvent,
    streams: &mut Streams,
    batch: usize,
) -> anyhow::Result<()> {
    let (mut ids, mut stream_ids, mut stream_versions) = (Vec::new(), Vec::new(), Vec::new());
    let (mut data, mut metadata) = (Vec::new(), Vec::new());
    for _ in 0..batch {
        let s = streams.next % streams.ids.len();
        streams.next += 1;
        streams.versions[s] += 1;
        stream_ids.push(streams.ids[s].as_str());
        stream_versions.push(streams.versions[s]);
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
    .execute(pool)
    .await?; // A failed insert is a broken baseline, not a slower one.
    Ok(())
}
