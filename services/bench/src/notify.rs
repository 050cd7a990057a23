//! The notifier: time from the writer's acknowledgement of a finish to the tweet being in the
//! X sandbox, with the grace delay at 0. Finishes are sent one at a time; the sandbox is polled
//! every 2 ms.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;

use crate::procs::{percentile, Service};
use crate::{Args, TOKEN};

pub struct Notify {
    pub tweets: usize,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

pub async fn run(args: &Args, finishes: usize) -> anyhow::Result<Notify> {
    let db = lately_testkit::postgres_database().await;
    let client = reqwest::Client::new();
    let writer = Service::spawn(
        &args.bin_dir,
        "lately-writer",
        "LATELY_WRITER_ADDR",
        &[("DATABASE_URL", &db), ("LATELY_WRITER_TOKEN", TOKEN)],
    )?;
    writer.ready(&client).await?;
    let sandbox = Service::spawn(
        &args.bin_dir,
        "lately-x-sandbox",
        "LATELY_SANDBOX_ADDR",
        &[],
    )?;
    let notifier = Service::spawn(
        &args.bin_dir,
        "lately-notifier",
        "LATELY_NOTIFIER_ADDR",
        &[
            ("DATABASE_URL", &db),
            ("X_API_BASE", &sandbox.url),
            ("X_CONSUMER_KEY", "sandbox-consumer-key"),
            ("X_CONSUMER_SECRET", "sandbox-consumer-secret"),
            ("X_ACCESS_TOKEN", "sandbox-access-token"),
            ("X_ACCESS_SECRET", "sandbox-access-secret"),
            ("LATELY_TWEET_DELAY", "0s"),
        ],
    )?;
    sandbox.ready(&client).await?;
    notifier.ready(&client).await?;
    // Leadership is taken within a second of being caught up.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !client
        .get(format!("{}/v1/status", notifier.url))
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?["leader"]
        .as_bool()
        .unwrap_or(false)
    {
        if Instant::now() > deadline {
            bail!("the notifier never became the leader");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let ids = crate::add_items(&client, &writer.url, finishes).await?;
    let mut latencies = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        client
            .post(format!("{}/v1/items/{id}/finish", writer.url))
            .bearer_auth(TOKEN)
            .json(&json!({ "rating": 4 }))
            .send()
            .await?
            .error_for_status()?;
        let acked = Instant::now();
        let deadline = acked + Duration::from_secs(30);
        loop {
            let tweets: serde_json::Value = client
                .get(format!("{}/_sandbox/tweets", sandbox.url))
                .send()
                .await?
                .json()
                .await?;
            let count = tweets["data"].as_array().context("tweets")?.len();
            if count > n {
                latencies.push(acked.elapsed());
                break;
            }
            if Instant::now() > deadline {
                bail!("finish {n} was not tweeted within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    latencies.sort();
    Ok(Notify {
        tweets: latencies.len(),
        p50_ms: percentile(&latencies, 0.5),
        p99_ms: percentile(&latencies, 0.99),
    })
}
