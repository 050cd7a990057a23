//! `lately-bench`: the figures users care about, each with a baseline measured in the same run
//! on the same machine, written to `bench/results/`.
//!
//! Run it through `make bench` (or `make bench-quick`), which builds the binaries and starts a
//! throwaway PostgreSQL (`scripts/with-postgres`). Every scenario gets a fresh database, and
//! starts once the ones before it are dropped and the server has gone quiet ([`settle`]).
//!
//! 1. appends ([`appends`]): finish commands through the writer's HTTP API, against the same
//!    rows inserted straight into PostgreSQL one per transaction and 100 per transaction, and
//!    against a peer, cqrs-es with postgres-es ([`peer`]);
//! 2. replica lag ([`lag`]): three readers, finishes at 1,000/s, acknowledgement to SSE;
//! 3. reads ([`reads`]): the feed on one replica against its own trivial endpoint;
//! 4. cold start ([`cold_start`]): a reader joining a long log, without and with a snapshot;
//! 5. notifier ([`notify`]): a finish to its tweet in the X sandbox.

mod appends;
mod cold_start;
mod lag;
mod load;
mod notify;
mod peer;
mod procs;
mod reads;
mod settle;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use serde::Serialize;
use serde_json::json;

#[derive(Parser)]
pub struct Args {
    /// Small sizes and short runs, to keep the harness from rotting (figures not comparable).
    #[arg(long)]
    quick: bool,
    /// Where the service binaries are.
    #[arg(long, default_value = "target/release")]
    bin_dir: PathBuf,
    /// Where the results go.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// Concurrent clients for appends, connections for reads.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Only these scenarios (appends, lag, reads, cold-start, notifier); all when empty.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

pub const TOKEN: &str = "bench-token";

/// One line of the table.
#[derive(Serialize)]
struct Figure {
    scenario: &'static str,
    measure: String,
    value: String,
    baseline: String,
    target: String,
    /// `None`: no target for this line.
    met: Option<bool>,
}

fn fmt(v: Option<f64>, unit: &str) -> String {
    v.map_or("-".into(), |v| {
        if v >= 100.0 {
            format!("{} {unit}", thousands(v))
        } else {
            format!("{v:.2} {unit}")
        }
    })
}

fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A start's wall time, and the reader's CPU time in it.
fn with_cpu(start: &cold_start::Start) -> String {
    let ms = |d: Duration| Some(d.as_secs_f64() * 1000.0);
    match start.cpu {
        Some(cpu) => format!(
            "{} ({} CPU)",
            fmt(ms(start.ready), "ms"),
            fmt(ms(cpu), "ms")
        ),
        None => fmt(ms(start.ready), "ms"),
    }
}

/// Adds `n` books through the writer; their ids.
pub async fn add_items(
    client: &reqwest::Client,
    writer: &str,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let res: serde_json::Value = client
            .post(format!("{writer}/v1/items"))
            .bearer_auth(TOKEN)
            .json(&json!({ "kind": "book", "title": format!("Bench book {i}"), "creators": ["A. N. Author"] }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        ids.push(res["id"].as_str().context("an id")?.to_owned());
    }
    Ok(ids)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    let secs = |quick: u64, full: u64| Duration::from_secs(if args.quick { quick } else { full });
    let mut figures = Vec::new();
    let steal = procs::Steal::start();
    let started_at = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let mut add = |scenario, measure: &str, value, baseline, target: &str, met| {
        figures.push(Figure {
            scenario,
            measure: measure.to_owned(),
            value,
            baseline,
            target: target.to_owned(),
            met,
        })
    };

    if wanted("appends") {
        let (rounds, d) = if args.quick {
            (1, Duration::from_secs(3))
        } else {
            (3, Duration::from_secs(5))
        };
        eprintln!(
            "appends: {rounds} round(s) of {} s per scenario, alternating…",
            d.as_secs()
        );
        settle::between_scenarios().await?;
        let mut writer = appends::Writer::start(&args).await?;
        let mut naive = appends::Insert::start(&args, 1).await?;
        let mut batched = appends::Insert::start(&args, 100).await?;
        let mut peer = peer::Peer::start(&args).await?;
        for _ in 0..rounds {
            settle::quiet().await?;
            writer.round(d).await?;
            settle::quiet().await?;
            naive.round(d).await?;
            settle::quiet().await?;
            batched.round(d).await?;
            settle::quiet().await?;
            peer.round(d).await?;
        }
        let (writer, naive) = (writer.finish().await?, naive.rate());
        let (batched, peer) = (batched.rate(), peer.rate());
        let rounds_text = match rounds {
            1 => "one round".to_owned(),
            n => format!(
                "{n} rounds of {} s alternating with the baselines'",
                d.as_secs()
            ),
        };
        let share = writer.per_sec / batched.per_sec;
        add(
            "appends",
            &format!("writer, {} clients, {rounds_text}: events/s", args.clients),
            fmt(Some(writer.per_sec), "/s"),
            format!(
                "naive 1 row/txn {}; batched 100 rows/txn {}",
                fmt(Some(naive.per_sec), "/s"),
                fmt(Some(batched.per_sec), "/s")
            ),
            "≥ 30,000/s",
            Some(writer.per_sec >= 30_000.0),
        );
        add(
            "appends",
            "writer: share of the batched ceiling",
            format!("{:.0}%", share * 100.0),
            format!("{:.1}× naive", writer.per_sec / naive.per_sec),
            "≥ 35%",
            Some(share >= 0.35),
        );
        add(
            "appends",
            "writer: latency p50 / p99",
            format!(
                "{} / {}",
                fmt(writer.p50_ms, "ms"),
                fmt(writer.p99_ms, "ms")
            ),
            format!(
                "naive {} / {}",
                fmt(naive.p50_ms, "ms"),
                fmt(naive.p99_ms, "ms")
            ),
            "",
            None,
        );
        add(
            "appends",
            "writer against the peer (cqrs-es + postgres-es, a new aggregate per command)",
            format!("{:.1}×", writer.per_sec / peer.per_sec),
            format!(
                "peer {} (p50 {}, p99 {})",
                fmt(Some(peer.per_sec), "/s"),
                fmt(peer.p50_ms, "ms"),
                fmt(peer.p99_ms, "ms")
            ),
            "≥ 5×",
            Some(writer.per_sec >= 5.0 * peer.per_sec),
        );
        if let Some((events, ms)) = writer.batch {
            add(
                "appends",
                "writer's group commits: events per commit, commit time",
                format!("{events:.1} events, {ms:.2} ms"),
                writer.on_known.map_or(String::new(), |(known, all)| {
                    format!(
                        "{} of {} commits planned on what the appender knew",
                        thousands(known),
                        thousands(all)
                    )
                }),
                "",
                None,
            );
        }
        if let (Some(machine_us), Some(writer_us)) = (writer.machine_cpu_us, writer.writer_cpu_us) {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            add(
                "appends",
                "CPU per acknowledged event: whole machine (of which the writer)",
                format!("{machine_us:.0} µs ({writer_us:.0} µs)"),
                format!(
                    "the rest: the load generator {}, PostgreSQL and the kernel {}; {cores} \
                     cores at this cost: at most {}/s; batched 100 rows/txn: {}; CPU time \
                     stolen by the hypervisor: {} in the writer's rounds, {} in the batched \
                     ones",
                    writer
                        .generator_cpu_us
                        .map_or("-".into(), |us| format!("{us:.0} µs")),
                    writer.generator_cpu_us.map_or("-".into(), |us| format!(
                        "{:.0} µs",
                        machine_us - writer_us - us
                    )),
                    thousands(cores as f64 * 1e6 / machine_us),
                    batched
                        .machine_cpu_us
                        .map_or("-".into(), |us| format!("{us:.0} µs a row")),
                    percent(writer.steal),
                    percent(batched.steal),
                ),
                "",
                None,
            );
        }
    }

    if wanted("lag") {
        let d = secs(3, 15);
        eprintln!(
            "replica lag: 3 readers, 1,000 finishes/s for {} s…",
            d.as_secs()
        );
        settle::between_scenarios().await?;
        let lag = lag::run(&args, d, 1000).await?;
        add(
            "replica lag",
            &format!(
                "ack → applied on each of {} replicas, at {} finishes/s",
                lag.replicas,
                thousands(lag.rate)
            ),
            format!(
                "p50 {} / p99 {}",
                fmt(lag.p50_ms, "ms"),
                fmt(lag.p99_ms, "ms")
            ),
            format!(
                "max {}; {} acknowledged, {} never delivered",
                fmt(lag.max_ms, "ms"),
                lag.acknowledged,
                lag.missing
            ),
            "p50 ≤ 2 ms, p99 ≤ 10 ms",
            Some(
                lag.missing == 0
                    && lag.p50_ms.is_some_and(|v| v <= 2.0)
                    && lag.p99_ms.is_some_and(|v| v <= 10.0),
            ),
        );
    }

    if wanted("reads") {
        let d = secs(2, 10);
        let items = if args.quick { 50 } else { 500 };
        eprintln!(
            "reads: {} connections, {} s each…",
            args.clients,
            d.as_secs()
        );
        settle::between_scenarios().await?;
        let r = reads::run(&args, d, items).await?;
        let share = r.feed.per_sec / r.baseline.per_sec;
        add(
            "reads",
            &format!(
                "/v1/feed?limit=20, one replica with one HTTP worker, {} connections ({}), {}",
                args.clients,
                r.generator,
                match r.rounds {
                    1 => "one round".to_owned(),
                    n => format!("{n} rounds alternating with the baseline's"),
                }
            ),
            format!(
                "{} (p50 {}, p99 {})",
                fmt(Some(r.feed.per_sec), "req/s"),
                fmt(r.feed.p50_ms, "ms"),
                fmt(r.feed.p99_ms, "ms")
            ),
            format!(
                "/healthz {} (p50 {}, p99 {})",
                fmt(Some(r.baseline.per_sec), "req/s"),
                fmt(r.baseline.p50_ms, "ms"),
                fmt(r.baseline.p99_ms, "ms")
            ),
            "≥ 70% of baseline, p99 ≤ 5 ms",
            Some(share >= 0.7 && r.feed.p99_ms.is_some_and(|v| v <= 5.0)),
        );
        add(
            "reads",
            &format!("feed share of baseline ({} finished items)", r.items),
            format!("{:.0}%", share * 100.0),
            String::new(),
            "",
            None,
        );
    }

    if wanted("cold-start") {
        let events = if args.quick { 20_000 } else { 1_000_000 };
        eprintln!("cold start: {} events…", thousands(events as f64));
        settle::between_scenarios().await?;
        let c = cold_start::run(&args, events).await?;
        add(
            "cold start",
            &format!(
                "reader ready over {} events, replaying all",
                thousands(c.events as f64)
            ),
            with_cpu(&c.replay),
            format!("log filled in {:.1} s", c.fill.as_secs_f64()),
            "≤ 5 s",
            Some(c.replay.ready <= Duration::from_secs(5)),
        );
        add(
            "cold start",
            "reader ready from the snapshot",
            with_cpu(&c.from_snapshot),
            format!(
                "snapshot {:.1} MB, stored in {:.1} MB",
                c.snapshot_mb, c.stored_mb
            ),
            "≤ 0.5 s",
            Some(c.from_snapshot.ready <= Duration::from_millis(500)),
        );
        add(
            "cold start",
            "resident memory when ready (replay / snapshot), peak",
            format!("{:.0} / {:.0} MB", c.replay.rss_mb, c.from_snapshot.rss_mb),
            format!(
                "peak {:.0} / {:.0} MB",
                c.replay.peak_mb, c.from_snapshot.peak_mb
            ),
            "≤ 250 MB",
            Some(c.replay.rss_mb.max(c.from_snapshot.rss_mb) <= 250.0),
        );
    }

    if wanted("notifier") {
        let n = if args.quick { 5 } else { 50 };
        eprintln!("notifier: {n} finishes, one at a time…");
        settle::between_scenarios().await?;
        let nt = notify::run(&args, n).await?;
        add(
            "notifier",
            "finish acknowledged → tweet in the sandbox (grace delay 0)",
            format!(
                "p50 {} / p99 {}",
                fmt(nt.p50_ms, "ms"),
                fmt(nt.p99_ms, "ms")
            ),
            format!("{} tweets", nt.tweets),
            "",
            None,
        );
    }

    let machine = format!(
        "{started_at}: {} cores, {} GiB, {}; CPU time stolen by the hypervisor during the \
         run: {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        memory_gib(),
        if args.quick {
            "quick run (small sizes; not comparable)"
        } else {
            "full run"
        },
        percent(steal.share()),
    );
    let mut md = format!(
        "{machine}\n\n| scenario | measure | value | baseline (same run) | target | met |\n|---|---|---|---|---|---|\n"
    );
    for f in &figures {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            f.scenario,
            f.measure,
            f.value,
            f.baseline,
            f.target,
            match f.met {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            }
        ));
    }
    print!("{md}");
    std::fs::create_dir_all(&args.out)?;
    let stem = if args.quick { "quick" } else { "latest" };
    std::fs::write(args.out.join(format!("{stem}.md")), &md)?;
    std::fs::write(
        args.out.join(format!("{stem}.json")),
        serde_json::to_string_pretty(&json!({ "machine": machine, "figures": figures }))?,
    )?;
    Ok(())
}

/// A share as a whole percentage, `-` when unknown (no `/proc/stat`).
fn percent(share: Option<f64>) -> String {
    share.map_or("-".into(), |s| format!("{:.0}%", s * 100.0))
}

fn memory_gib() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let kb: f64 = m.lines().next()?.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0}", kb / 1_048_576.0))
        })
        .unwrap_or_else(|| "?".into())
}
