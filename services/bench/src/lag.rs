//! Replica lag: three readers follow the log while the writer takes finishes at a steady rate;
//! for every acknowledged finish, the time from the writer's answer to the moment each
//! replica's SSE stream (`/v1/stream`) delivers it — that is, after the replica applied it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;

use crate::procs::{percentile, Service};
use crate::{Args, TOKEN};

pub struct Lag {
    pub replicas: usize,
    pub rate: f64,
    pub acknowledged: usize,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Acknowledged finishes a replica's stream never delivered.
    pub missing: usize,
}

pub async fn run(args: &Args, duration: Duration, rate: u64) -> anyhow::Result<Lag> {
    let db = lately_testkit::postgres_database().await;
    let client = reqwest::Client::builder().build()?;
    let writer = Service::spawn(
        &args.bin_dir,
        "lately-writer",
        "LATELY_WRITER_ADDR",
        &[("DATABASE_URL", &db), ("LATELY_WRITER_TOKEN", TOKEN)],
    )?;
    writer.ready(&client).await?;
    let items = crate::add_items(&client, &writer.url, 200).await?;
    let mut readers = Vec::new();
    for r in 0..3 {
        let id = format!("bench-{r}");
        let reader = Service::spawn(
            &args.bin_dir,
            "lately-reader",
            "LATELY_READER_ADDR",
            &[
                ("DATABASE_URL", &db),
                ("LATELY_REPLICA_ID", &id),
                ("LATELY_WORKERS", "1"),
            ],
        )?;
        reader.ready(&client).await?;
        readers.push(reader);
    }

    // Every replica's stream: position -> when it arrived.
    let arrivals: Vec<Arc<Mutex<HashMap<i64, Instant>>>> =
        readers.iter().map(|_| Arc::default()).collect();
    let mut streams = Vec::new();
    for (reader, seen) in readers.iter().zip(&arrivals) {
        let res = client
            .get(format!("{}/v1/stream", reader.url))
            .send()
            .await?
            .error_for_status()?;
        let seen = seen.clone();
        streams.push(tokio::spawn(async move {
            let mut body = res.bytes_stream();
            let mut pending = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                let now = Instant::now();
                pending.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = pending.find('\n') {
                    let line: String = pending.drain(..=end).collect();
                    if let Some(p) = line.strip_prefix("id: ") {
                        if let Ok(p) = p.trim().parse::<i64>() {
                            seen.lock().unwrap().insert(p, now);
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The load: `rate` finishes a second, each sent on its tick whatever the others are doing.
    let acks: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::default();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut sent = Vec::new();
    let mut n = 0usize;
    while started.elapsed() < duration {
        tick.tick().await;
        let id = items[n % items.len()].clone();
        n += 1;
        let (client, base, acks) = (client.clone(), writer.url.clone(), acks.clone());
        sent.push(tokio::spawn(async move {
            let res = client
                .post(format!("{base}/v1/items/{id}/finish"))
                .bearer_auth(TOKEN)
                .json(&json!({ "rating": 3.5 }))
                .send()
                .await;
            if let Ok(res) = res {
                if res.status().is_success() {
                    if let Ok(body) = res.json::<serde_json::Value>().await {
                        let at = Instant::now();
                        if let Some(p) = body["position"].as_i64() {
                            acks.lock().unwrap().push((p, at));
                        }
                    }
                }
            }
        }));
    }
    for s in sent {
        s.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    for s in &streams {
        s.abort();
    }

    let acks = acks.lock().unwrap().clone();
    let mut lags = Vec::new();
    let mut missing = 0;
    for seen in &arrivals {
        let seen = seen.lock().unwrap();
        for (position, acked) in &acks {
            match seen.get(position) {
                // Applied before the answer reached the client: no lag to speak of.
                Some(arrived) => lags.push(arrived.saturating_duration_since(*acked)),
                None => missing += 1,
            }
        }
    }
    lags.sort();
    Ok(Lag {
        replicas: readers.len(),
        rate: acks.len() as f64 / elapsed,
        acknowledged: acks.len(),
        p50_ms: percentile(&lags, 0.5),
        p99_ms: percentile(&lags, 0.99),
        max_ms: percentile(&lags, 1.0),
        missing,
    })
}
