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
//!
//! The two endpoints are measured in alternating rounds ([`ROUND`] each), not one after the
//! other: this machine's speed drifts, at times within seconds, and with the baseline's whole
//! run before the feed's, the share swung from 61% to 93% between runs within an hour. Each rate is
//! the mean of its rounds (equal times); each percentile is that of all the rounds' requests
//! together, from every round's latency percentiles in steps of 0.1% (wrk prints them through
//! a Lua `done` hook).

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::procs::{percentile, Service};
use crate::{Args, TOKEN};

/// The reader's HTTP workers (`LATELY_WORKERS`), and wrk's threads: one core each.
const READER_WORKERS: &str = "1";
const WRK_THREADS: &str = "-t1";
/// One round on one endpoint (wrk takes whole seconds).
const ROUND: Duration = Duration::from_secs(2);

pub struct Load {
    pub per_sec: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// One round on one endpoint.
struct Round {
    per_sec: f64,
    requests: f64,
    /// Latency percentiles: (share of requests, 0–1, at or below; milliseconds), ascending.
    quantiles: Vec<(f64, f64)>,
}

/// The percentiles a round reports: every 0.1%.
fn grid() -> impl Iterator<Item = f64> {
    (1..=1000).map(|i| f64::from(i) / 1000.0)
}

impl Load {
    /// Rounds of equal length as one run: the mean rate, and percentiles of all their requests.
    fn combine(rounds: &[Round]) -> Load {
        Load {
            per_sec: rounds.iter().map(|r| r.per_sec).sum::<f64>() / rounds.len().max(1) as f64,
            p50_ms: pooled_quantile(rounds, 0.5),
            p99_ms: pooled_quantile(rounds, 0.99),
        }
    }
}

/// The latency at or below which a share `p` of all the rounds' requests finished: the least
/// of the rounds' reported latencies at which their request-weighted shares reach `p`.
fn pooled_quantile(rounds: &[Round], p: f64) -> Option<f64> {
    let total: f64 = rounds.iter().map(|r| r.requests).sum();
    if total <= 0.0 {
        return None;
    }
    let share_at = |x: f64| -> f64 {
        rounds
            .iter()
            .map(|r| {
                let below = r
                    .quantiles
                    .iter()
                    .take_while(|(_, ms)| *ms <= x)
                    .last()
                    .map_or(0.0, |(q, _)| *q);
                r.requests * below
            })
            .sum::<f64>()
            / total
    };
    let mut candidates: Vec<f64> = rounds
        .iter()
        .flat_map(|r| r.quantiles.iter().map(|(_, ms)| *ms))
        .collect();
    candidates.sort_by(f64::total_cmp);
    // A hair under `p`: the grid's shares are decimals, so their weighted sums are not exact
    // in binary (0.99 of a round can come out as 0.98999…).
    candidates.into_iter().find(|x| share_at(*x) >= p - 1e-9)
}

pub struct Reads {
    pub generator: &'static str,
    pub feed: Load,
    pub baseline: Load,
    pub items: usize,
    /// Rounds per endpoint, alternating.
    pub rounds: u64,
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
                true => wrk_load(&url, clients, ROUND).await,
                false => own_load(&url, clients, ROUND).await,
            }
        }
    };
    let rounds = (duration.as_secs() / ROUND.as_secs()).max(1);
    let (mut baseline, mut feed) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        baseline.push(load("/healthz").await?);
        feed.push(load("/v1/feed?limit=20").await?);
        let (b, f) = (&baseline[baseline.len() - 1], &feed[feed.len() - 1]);
        let p99 = |r: &Round| pooled_quantile(std::slice::from_ref(r), 0.99).unwrap_or(f64::NAN);
        eprintln!(
            "  round {round}: /healthz {:.0} req/s, p99 {:.2} ms; feed {:.0} req/s, p99 {:.2} ms",
            b.per_sec,
            p99(b),
            f.per_sec,
            p99(f)
        );
    }
    Ok(Reads {
        generator: if wrk {
            "wrk, one thread"
        } else {
            "in-process generator"
        },
        feed: Load::combine(&feed),
        baseline: Load::combine(&baseline),
        items,
        rounds,
    })
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

async fn own_load(url: &str, connections: usize, duration: Duration) -> anyhow::Result<Round> {
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
    Ok(Round {
        per_sec: latencies.len() as f64 / elapsed,
        requests: latencies.len() as f64,
        quantiles: grid()
            .filter_map(|q| Some((q, percentile(&latencies, q)?)))
            .collect(),
    })
}

/// wrk's `done` hook: the number of requests (`N`) and the latency percentiles (`P share µs`)
/// every 0.1%.
const WRK_PERCENTILES: &str = r#"
done = function(summary, latency, requests)
  io.write(string.format("N %d\n", summary.requests))
  for i = 1, 1000 do
    io.write(string.format("P %.3f %d\n", i / 1000, latency:percentile(i / 10)))
  end
end
"#;

async fn wrk_load(url: &str, connections: usize, duration: Duration) -> anyhow::Result<Round> {
    let script = std::env::temp_dir().join(format!("lately-bench-{}.lua", std::process::id()));
    tokio::fs::write(&script, WRK_PERCENTILES).await?;
    let out = tokio::process::Command::new("wrk")
        .args([
            WRK_THREADS,
            &format!("-c{connections}"),
            &format!("-d{}s", duration.as_secs().max(1)),
            "-s",
            &script.to_string_lossy(),
            url,
        ])
        .output()
        .await;
    let _ = tokio::fs::remove_file(&script).await;
    let out = out?;
    let text = String::from_utf8_lossy(&out.stdout);
    let requests: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("N "))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("wrk printed no request count: {text}"))?;
    let quantiles: Vec<(f64, f64)> = text
        .lines()
        .filter_map(|l| {
            let mut parts = l.strip_prefix("P ")?.split_whitespace();
            let share: f64 = parts.next()?.parse().ok()?;
            let micros: f64 = parts.next()?.parse().ok()?;
            Some((share, micros / 1000.0))
        })
        .collect();
    let per_sec = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("wrk printed no rate: {text}"))?;
    if text.contains("Non-2xx") {
        anyhow::bail!("wrk saw non-2xx answers from {url}: {text}");
    }
    Ok(Round {
        per_sec,
        requests,
        quantiles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A round whose requests all took `ms`.
    fn flat(requests: f64, ms: f64) -> Round {
        Round {
            per_sec: requests,
            requests,
            quantiles: grid().map(|q| (q, ms)).collect(),
        }
    }

    #[test]
    fn percentiles_are_those_of_all_the_rounds_requests() {
        // 98 fast requests in one round, 2 slow ones' worth in the other: 2% are slow.
        let rounds = [flat(980.0, 1.0), flat(20.0, 10.0)];
        assert_eq!(pooled_quantile(&rounds, 0.5), Some(1.0));
        assert_eq!(pooled_quantile(&rounds, 0.97), Some(1.0));
        assert_eq!(pooled_quantile(&rounds, 0.99), Some(10.0));
        // 0.5% slow: the p99 is fast, though one round's own p99 is 10 ms.
        let rounds = [flat(995.0, 1.0), flat(5.0, 10.0)];
        assert_eq!(pooled_quantile(&rounds, 0.99), Some(1.0));
        let load = Load::combine(&rounds);
        assert_eq!(load.per_sec, 500.0, "the mean of equal rounds' rates");
        assert_eq!(pooled_quantile(&[], 0.5), None);
    }

    #[test]
    fn one_rounds_percentiles_are_its_own() {
        let round = Round {
            per_sec: 1.0,
            requests: 1000.0,
            quantiles: grid().map(|q| (q, q * 10.0)).collect(),
        };
        let p99 = pooled_quantile(std::slice::from_ref(&round), 0.99).unwrap();
        assert!((p99 - 9.9).abs() < 1e-9, "{p99}");
    }
}
