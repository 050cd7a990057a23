//! `lately-bench`: measures appends through the writer's HTTP API, with baselines measured in
//! the same run against the same PostgreSQL, and writes the table to `bench/results/`.
//!
//! Run it through `make bench` (or `make bench-quick`), which builds the release binaries and
//! starts a throwaway PostgreSQL (`scripts/with-postgres`).
//!
//! Scenarios (each on a fresh database, 64 concurrent clients):
//! * `writer`: `POST /v1/items/{id}/finish` on many items, each answered after its group
//!   commit — acknowledged events per second, p50/p99 latency;
//! * `naive insert`: the same rows inserted straight into PostgreSQL, one per transaction;
//! * `batched insert`: 100 rows per transaction — the ceiling.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use serde::Serialize;
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// Short runs (a few seconds each), to keep the harness from rotting.
    #[arg(long)]
    quick: bool,
    /// The writer binary to measure.
    #[arg(long, default_value = "target/release/lately-writer")]
    writer: PathBuf,
    /// Where the results go.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    #[arg(long, default_value_t = 64)]
    clients: usize,
}

#[derive(Serialize, Clone)]
struct Row {
    name: String,
    events_per_sec: f64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    note: String,
}

fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    Some(sorted[i].as_secs_f64() * 1000.0)
}

const TOKEN: &str = "bench-token";

async fn writer_scenario(args: &Args, duration: Duration) -> anyhow::Result<Row> {
    let db = lately_testkit::postgres_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = tokio::process::Command::new(&args.writer)
        .env("DATABASE_URL", &db)
        .env("LATELY_WRITER_ADDR", format!("127.0.0.1:{port}"))
        .env("LATELY_WRITER_TOKEN", TOKEN)
        .env("LATELY_DB_MAX_CONNECTIONS", "32")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Each client finishes its own items, so commands on one item never contend.
    let items_per_client = 8;
    let mut ids = Vec::new();
    for c in 0..args.clients {
        let mut mine = Vec::new();
        for i in 0..items_per_client {
            let res: serde_json::Value = client
                .post(format!("{base}/v1/items"))
                .bearer_auth(TOKEN)
                .json(&json!({ "kind": "book", "title": format!("Bench {c}-{i}") }))
                .send()
                .await?
                .json()
                .await?;
            mine.push(res["id"].as_str().unwrap_or_default().to_owned());
        }
        ids.push(mine);
    }
    let started = Instant::now();
    let tasks: Vec<_> = ids
        .into_iter()
        .map(|mine| {
            let (client, base) = (client.clone(), base.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = 0usize;
                while started.elapsed() < duration {
                    let id = &mine[n % mine.len()];
                    n += 1;
                    let t = Instant::now();
                    let res = client
                        .post(format!("{base}/v1/items/{id}/finish"))
                        .bearer_auth(TOKEN)
                        .json(&json!({ "rating": 4 }))
                        .send()
                        .await;
                    if res.is_ok_and(|r| r.status().is_success()) {
                        latencies.push(t.elapsed());
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    for t in tasks {
        latencies.extend(t.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    child.kill().await.ok();
    latencies.sort();
    Ok(Row {
        name: "writer: HTTP finish commands".into(),
        events_per_sec: latencies.len() as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        note: format!("{} clients, acknowledged after commit", args.clients),
    })
}

/// Rows shaped like the log's, inserted straight into PostgreSQL `batch` at a time.
async fn insert_scenario(args: &Args, duration: Duration, batch: usize) -> anyhow::Result<Row> {
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
    Ok(Row {
        name: if batch == 1 {
            "baseline: naive insert, 1 row/txn".into()
        } else {
            format!("baseline: batched insert, {batch} rows/txn")
        },
        events_per_sec: rows as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
        note: "straight into PostgreSQL, no HTTP".into(),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let duration = if args.quick {
        Duration::from_secs(3)
    } else {
        Duration::from_secs(15)
    };
    let rows = vec![
        writer_scenario(&args, duration).await?,
        insert_scenario(&args, duration, 1).await?,
        insert_scenario(&args, duration, 100).await?,
    ];
    let machine = format!(
        "{} cores, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        if args.quick { "quick run" } else { "full run" }
    );
    let ceiling = rows[2].events_per_sec;
    let mut md = format!("Appends, {} s per scenario, {machine}\n\n| scenario | events/s | p50 ms | p99 ms | of ceiling | note |\n|---|---:|---:|---:|---:|---|\n", duration.as_secs());
    for r in &rows {
        let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}"));
        md.push_str(&format!(
            "| {} | {:.0} | {} | {} | {:.0}% | {} |\n",
            r.name,
            r.events_per_sec,
            ms(r.p50_ms),
            ms(r.p99_ms),
            100.0 * r.events_per_sec / ceiling,
            r.note
        ));
    }
    print!("{md}");
    std::fs::create_dir_all(&args.out)?;
    let stem = if args.quick { "quick" } else { "latest" };
    std::fs::write(args.out.join(format!("{stem}.md")), &md)?;
    std::fs::write(
        args.out.join(format!("{stem}.json")),
        serde_json::to_string_pretty(
            &json!({ "machine": machine, "duration_secs": duration.as_secs(), "rows": rows }),
        )?,
    )?;
    Ok(())
}
