//! Reads: `/v1/feed?limit=20` on one replica with 64 connections, against a trivial endpoint
//! (`/healthz`) of the same server as the baseline. The load comes from wrk when it is
//! installed (less of the 2 cores go to the client), else from a generator in this process.
//!
//! The load generator and the server get one thread each ([`READER_WORKERS`], wrk's `-t1`).
//! On two cores, two wrk threads and two HTTP workers are four busy threads: the scheduler
//! preempts a worker for a slice at a time, and every connection on it waits that long. That
//! was the p99 (7.8 ms, and `/healthz` just the same) while the median was 0.3–0.5 ms. One
//! thread each is closer to a client on a machine of its own: the feed's p99 fell to 2.1–3.3
//! ms, and it served 72–78k req/s instead of ~90k.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::procs::{percentile, Service};
use crate::{Args, TOKEN};

/// The reader's HTTP workers (`LATELY_WORKERS`), and wrk's threads: one core each.
const READER_WORKERS: &str = "1";
const WRK_THREADS: &str = "-t1";

pub struct Load {
    pub per_sec: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

pub struct Reads {
    pub generator: &'static str,
    pub feed: Load,
    pub baseline: Load,
    pub items: usize,
}

pub async fn run(args: &Args, duration: Duration, items: usize) -> anyhow::Result<Reads> {
    let db = lately_testkit::postgres_database().await;
    let client = reqwest::Client::builder().build()?;
    let writer = Service::spawn(
        &args.bin_dir,
        "lately-writer",
        "LATELY_WRITER_ADDR",
        &[("DATABASE_URL", &db), ("LATELY_WRITER_TOKEN", TOKEN)],
    )?;
    writer.ready(&client).await?;
    let ids = crate::add_items(&client, &writer.url, items).await?;
    let mut head = 0;
    for id in &ids {
        let res: serde_json::Value = client
            .post(format!("{}/v1/items/{id}/finish", writer.url))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({ "rating": 5, "review": "A <b>fine</b> read & more" }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        head = res["position"].as_i64().context("position")?;
    }
    let reader = Service::spawn(
        &args.bin_dir,
        "lately-reader",
        "LATELY_READER_ADDR",
        &[("DATABASE_URL", &db), ("LATELY_WORKERS", READER_WORKERS)],
    )?;
    reader.ready(&client).await?;
    client
        .get(format!("{}/v1/status?min_position={head}", reader.url))
        .send()
        .await?
        .error_for_status()?;
    let wrk = which("wrk");
    let load = |path: &str| {
        let url = format!("{}{path}", reader.url);
        let clients = args.clients;
        async move {
            match wrk {
                true => wrk_load(&url, clients, duration).await,
                false => own_load(&url, clients, duration).await,
            }
        }
    };
    let baseline = load("/healthz").await?;
    let feed = load("/v1/feed?limit=20").await?;
    Ok(Reads {
        generator: if wrk {
            "wrk, one thread"
        } else {
            "in-process generator"
        },
        feed,
        baseline,
        items,
    })
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

async fn own_load(url: &str, connections: usize, duration: Duration) -> anyhow::Result<Load> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()?;
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < duration {
                    let t = Instant::now();
                    if let Ok(res) = client.get(&url).send().await {
                        if res.status() == 200 && res.bytes().await.is_ok() {
                            latencies.push(t.elapsed());
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    Ok(Load {
        per_sec: latencies.len() as f64 / elapsed,
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
    })
}

async fn wrk_load(url: &str, connections: usize, duration: Duration) -> anyhow::Result<Load> {
    let out = tokio::process::Command::new("wrk")
        .args([
            WRK_THREADS,
            &format!("-c{connections}"),
            &format!("-d{}s", duration.as_secs().max(1)),
            "--latency",
            url,
        ])
        .output()
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let ms = |label: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.trim_start().starts_with(label))?;
        let value = line.split_whitespace().nth(1)?;
        let (number, unit) = value.split_at(value.find(|c: char| c.is_alphabetic())?);
        let n: f64 = number.parse().ok()?;
        Some(match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            _ => return None,
        })
    };
    let per_sec = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("wrk printed no rate: {text}"))?;
    if text.contains("Non-2xx") {
        anyhow::bail!("wrk saw non-2xx answers from {url}: {text}");
    }
    Ok(Load {
        per_sec,
        p50_ms: ms("50%"),
        p99_ms: ms("99%"),
    })
}
