//! `lately-chaos`: the whole system under a load of retrying clients while its processes are
//! killed at random, then the checks users rely on.
//!
//! Run it through `make chaos` (or `make chaos-quick`, which CI runs), which starts a throwaway
//! PostgreSQL (`scripts/with-postgres`). The writer, the readers and the notifiers are the real
//! binaries, started as processes; the X sandbox runs in this process, because its memory is the
//! record of what was tweeted.
//!
//! During the run, clients add books (one in five private) and finish them (revising some,
//! moving some of those to yesterday; starting some by mistake and taking the start back;
//! retracting, removing and restoring some private items;
//! removing some public ones a few books later, their tweets posted by then or not), each
//! write retried with its `Idempotency-Key` until acknowledged. Meanwhile a victim is chosen at random — the
//! writer, a reader or a notifier — and killed with SIGKILL (sometimes SIGTERM), then restarted;
//! if the cluster can be restarted (`LATELY_TEST_PG_CTL`), PostgreSQL is restarted once too.
//!
//! Afterwards, with everything running again:
//! * every acknowledged write is in the log exactly once, at the position its client was told,
//!   and nothing else is (each write was retried to acknowledgement); positions are 1..=head;
//! * every reader reports the head and the `state_hash` of a replay of the whole log here;
//! * the sandbox holds exactly one tweet per finish of a public book, and none for private ones
//!   nor for removed ones (deleted, or never posted);
//! * no answer was a 5xx other than 503 with `Retry-After`;
//! * no secret (writer token, X keys) appears in any process's log.
//!
//! The figures go to stdout and, as markdown and JSON, to `--out`. Any violation exits non-zero.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use lately_writer::command::IdempotencyKey;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(about = "Kill lately's processes at random under load, then check nothing was lost")]
struct Args {
    /// How long the load (and the killing) goes on, in seconds.
    #[arg(long, default_value_t = 120)]
    seconds: u64,
    /// Where the service binaries are (a `cargo build` output directory).
    #[arg(long, default_value = "target/debug")]
    bin_dir: PathBuf,
    #[arg(long, default_value_t = 3)]
    readers: usize,
    #[arg(long, default_value_t = 2)]
    notifiers: usize,
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Mean time between two kills, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    kill_every_ms: u64,
    /// Seed of the random choices (victims, timings); printed so a failing run can be repeated.
    #[arg(long)]
    seed: Option<u64>,
    /// Where the processes' logs and the results go.
    #[arg(long, default_value = "target/chaos")]
    out: PathBuf,
}

/// One of the system's processes, which can be killed and started again.
struct Process {
    name: String,
    program: PathBuf,
    env: Vec<(String, String)>,
    port: u16,
    log: PathBuf,
    child: Option<tokio::process::Child>,
}

impl Process {
    fn start(&mut self) -> anyhow::Result<()> {
        let log = File::options().create(true).append(true).open(&self.log)?;
        let child = tokio::process::Command::new(&self.program)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start {}", self.program.display()))?;
        self.child = Some(child);
        Ok(())
    }

    /// SIGKILL, or SIGTERM (a graceful stop) when `gracefully`.
    async fn kill(&mut self, gracefully: bool) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if gracefully {
            if let Some(pid) = child.id() {
                let _ = std::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status();
                if tokio::time::timeout(Duration::from_secs(10), child.wait())
                    .await
                    .is_ok()
                {
                    return;
                }
            }
        }
        let _ = child.kill().await;
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn wait_ready(client: &reqwest::Client, url: &str, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    loop {
        if client
            .get(format!("{url}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{url} not ready within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the clients saw.
#[derive(Default)]
struct Seen {
    /// Idempotency-Key -> the position the writer acknowledged.
    acknowledged: Mutex<HashMap<String, i64>>,
    /// Titles of the public books whose finish was acknowledged, and of the private ones.
    finished_public: Mutex<Vec<String>>,
    finished_private: Mutex<Vec<String>>,
    /// Titles of the public books removed after their finish: no tweet of theirs may stay.
    removed_public: Mutex<Vec<String>>,
    attempts: AtomicUsize,
    retries: AtomicUsize,
    unavailable_503: AtomicUsize,
    /// 5xx answers other than 503 with Retry-After, and 4xx answers: each one a finding.
    unexpected: Mutex<Vec<String>>,
}

/// Sends one write until the writer acknowledges it, retrying with the same key through
/// refused connections (writer down) and 503s (database down).
/// The writer, as the clients reach it.
struct Writer<'a> {
    client: &'a reqwest::Client,
    url: &'a str,
    token: &'a str,
}

async fn write(
    Writer { client, url, token }: &Writer<'_>,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: &Value,
    seen: &Seen,
) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        seen.attempts.fetch_add(1, Ordering::Relaxed);
        let res = client
            .request(method.clone(), format!("{url}{path}"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await;
        if let Ok(res) = res {
            let status = res.status().as_u16();
            match status {
                200 | 201 => {
                    let body: Value = res.json().await?;
                    let position = body["position"].as_i64().context("no position")?;
                    seen.acknowledged
                        .lock()
                        .unwrap()
                        .insert(key.to_owned(), position);
                    return Ok(body);
                }
                503 if res.headers().contains_key("retry-after") => {
                    seen.unavailable_503.fetch_add(1, Ordering::Relaxed);
                }
                _ => {
                    let text = res.text().await.unwrap_or_default();
                    seen.unexpected
                        .lock()
                        .unwrap()
                        .push(format!("{path} ({key}): {status} {text}"));
                    if status < 500 {
                        bail!("{path}: {status} {text}");
                    }
                }
            }
        }
        if Instant::now() > deadline {
            bail!("{path} ({key}) not acknowledged within 120 s");
        }
        seen.retries.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn client_loop(
    c: usize,
    client: reqwest::Client,
    writer: String,
    token: String,
    stop: Arc<AtomicBool>,
    seen: Arc<Seen>,
) -> anyhow::Result<()> {
    let api = Writer {
        client: &client,
        url: &writer,
        token: &token,
    };
    // Public books to remove 25 books after their finish (a few seconds: early in a run
    // their tweets have gone out and are deleted; later the notifier's backlog is longer,
    // and they are skipped when due): (iteration, id, title).
    let mut to_remove: std::collections::VecDeque<(usize, String, String)> = Default::default();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        if to_remove.front().is_some_and(|(at, _, _)| at + 25 <= i) {
            let (at, id, title) = to_remove.pop_front().expect("just looked");
            write(
                &api,
                reqwest::Method::DELETE,
                &format!("/v1/items/{id}"),
                &format!("remove-public-{c}-{at}"),
                &json!({}),
                &seen,
            )
            .await?;
            seen.removed_public.lock().unwrap().push(title);
        }
        let title = format!("Chaos book {c}-{i}");
        let private = (c + i).is_multiple_of(5);
        let added = write(
            &api,
            reqwest::Method::POST,
            "/v1/items",
            &format!("add-{c}-{i}"),
            &json!({
                "kind": "book",
                "title": title,
                "visibility": if private { "private" } else { "public" },
            }),
            &seen,
        )
        .await?;
        let id = added["id"].as_str().context("no id")?.to_owned();
        // Every seventh book is started by mistake and the start taken back before it is
        // finished: the replicas must agree on the lists it left and came back to.
        if i % 7 == 3 {
            for (method, key) in [
                (reqwest::Method::POST, "start"),
                (reqwest::Method::DELETE, "unstart"),
            ] {
                write(
                    &api,
                    method,
                    &format!("/v1/items/{id}/start"),
                    &format!("{key}-{c}-{i}"),
                    &json!({}),
                    &seen,
                )
                .await?;
            }
        }
        // Every eleventh is started, given up on and the give-up taken back before it is
        // finished, as the same read.
        let read_today = i % 11 == 5;
        if read_today {
            for (method, step, key) in [
                (reqwest::Method::POST, "start", "begin"),
                (reqwest::Method::POST, "abandon", "give-up"),
                (reqwest::Method::DELETE, "abandon", "take-up"),
            ] {
                write(
                    &api,
                    method,
                    &format!("/v1/items/{id}/{step}"),
                    &format!("{key}-{c}-{i}"),
                    &json!({}),
                    &seen,
                )
                .await?;
            }
        }
        write(
            &api,
            reqwest::Method::POST,
            &format!("/v1/items/{id}/finish"),
            &format!("finish-{c}-{i}"),
            &json!({ "rating": 4.5 }),
            &seen,
        )
        .await?;
        // Every fourth finish gets a second thought, and every eighth is moved to yesterday
        // with it (unless its read began today: the writer refuses to move a finish before the
        // start of its read): the replicas must agree on revisions and moves too.
        if i % 4 == 0 {
            let mut revision =
                json!({ "rating": 5, "review": format!("On second thought, {c}-{i}.") });
            if i % 8 == 0 && !read_today {
                revision["finished_at"] = json!(chrono::Utc::now() - chrono::Duration::days(1));
            }
            write(
                &api,
                reqwest::Method::PATCH,
                &format!("/v1/items/{id}/finish"),
                &format!("revise-{c}-{i}"),
                &revision,
                &seen,
            )
            .await?;
        }
        // Every third private finish is taken back and made again: the replicas must agree on
        // retractions too (on private items, whose tweets the harness does not count on).
        if private && i % 3 == 0 {
            write(
                &api,
                reqwest::Method::DELETE,
                &format!("/v1/items/{id}/finish"),
                &format!("retract-{c}-{i}"),
                &json!({}),
                &seen,
            )
            .await?;
            write(
                &api,
                reqwest::Method::POST,
                &format!("/v1/items/{id}/finish"),
                &format!("refinish-{c}-{i}"),
                &json!({ "rating": 3 }),
                &seen,
            )
            .await?;
        }
        // Every other private item is removed and restored: the replicas must agree on
        // restores too, snapshots included.
        if private && i % 2 == 1 {
            for (method, path, key) in [
                (reqwest::Method::DELETE, format!("/v1/items/{id}"), "remove"),
                (
                    reqwest::Method::POST,
                    format!("/v1/items/{id}/restore"),
                    "restore",
                ),
            ] {
                write(
                    &api,
                    method,
                    &path,
                    &format!("{key}-{c}-{i}"),
                    &json!({}),
                    &seen,
                )
                .await?;
            }
        }
        if private {
            seen.finished_private.lock().unwrap().push(title);
        } else if i % 6 == 2 {
            to_remove.push_back((i, id, title));
        } else {
            seen.finished_public.lock().unwrap().push(title);
        }
        i += 1;
    }
    // Not removed before the run ended: public books like the others.
    seen.finished_public
        .lock()
        .unwrap()
        .extend(to_remove.into_iter().map(|(_, _, title)| title));
    Ok(())
}

#[derive(Serialize, Default)]
struct Report {
    seed: u64,
    seconds: u64,
    events_written: usize,
    writes_acknowledged: usize,
    write_attempts: usize,
    retries: usize,
    answers_503: usize,
    kills: BTreeMap<String, usize>,
    postgres_restarts: usize,
    events_lost: usize,
    events_duplicated: usize,
    events_at_wrong_position: usize,
    events_never_acknowledged: usize,
    position_gaps: usize,
    replicas_converged: String,
    tweets_expected: usize,
    tweets_posted: usize,
    /// How long the harness waited for tweets after the run and the replicas' convergence:
    /// until the last expected one came, or posting had stood still for `STALL`.
    tweets_drained_in_s: f64,
    tweets_missing: usize,
    tweets_doubled: usize,
    private_items_tweeted: usize,
    public_items_removed: usize,
    removed_items_tweeted: usize,
    /// How the removed books' tweets went: deleted after being posted (the outbox's `deleted`
    /// count, on any notifier), or never posted.
    tweets_deleted: i64,
    unexpected_answers: usize,
    secrets_in_logs: usize,
    findings: Vec<String>,
}

fn random_secret(rng: &mut impl Rng, label: &str) -> String {
    format!(
        "{label}-{:016x}{:016x}",
        rng.random::<u64>(),
        rng.random::<u64>()
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let seed = args.seed.unwrap_or_else(rand::random);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    println!("lately-chaos: seed {seed}, {} s", args.seconds);
    std::fs::create_dir_all(&args.out)?;
    for entry in std::fs::read_dir(&args.out)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "log") {
            std::fs::remove_file(path)?;
        }
    }

    let database_url = lately_testkit::postgres_database().await;
    let token = random_secret(&mut rng, "writer-token");
    let x = [
        ("X_CONSUMER_KEY", random_secret(&mut rng, "consumer-key")),
        (
            "X_CONSUMER_SECRET",
            random_secret(&mut rng, "consumer-secret"),
        ),
        ("X_ACCESS_TOKEN", random_secret(&mut rng, "access-token")),
        ("X_ACCESS_SECRET", random_secret(&mut rng, "access-secret")),
    ];
    let sandbox = lately_x_sandbox::Sandbox::build(lately_x_sandbox::Config {
        listen: "127.0.0.1:0".into(),
        consumer_key: x[0].1.clone(),
        consumer_secret: x[1].1.clone(),
        access_token: x[2].1.clone(),
        access_secret: x[3].1.clone(),
    })?;
    let sandbox_url = format!("http://127.0.0.1:{}", sandbox.port());
    tokio::spawn(sandbox.run_until_stopped());

    let bin = |name: &str| -> anyhow::Result<PathBuf> {
        let path = args.bin_dir.join(name);
        if !path.exists() {
            bail!(
                "{} is missing: build the services first (cargo build --bins)",
                path.display()
            );
        }
        Ok(path)
    };
    let common = |extra: &[(&str, String)]| -> Vec<(String, String)> {
        [
            ("DATABASE_URL", database_url.clone()),
            ("RUST_LOG", "info".into()),
            ("LATELY_WORKERS", "1".into()),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
    };
    let log_of = |name: &str| args.out.join(format!("{name}.log"));

    let mut processes = Vec::new();
    let port = free_port()?;
    processes.push(Process {
        name: "writer".into(),
        program: bin("lately-writer")?,
        env: common(&[
            ("LATELY_WRITER_ADDR", format!("127.0.0.1:{port}")),
            ("LATELY_WRITER_TOKEN", token.clone()),
            ("LATELY_DB_TIMEOUT_MS", "1000".into()),
        ]),
        port,
        log: log_of("writer"),
        child: None,
    });
    for r in 1..=args.readers {
        let port = free_port()?;
        processes.push(Process {
            name: format!("reader-{r}"),
            program: bin("lately-reader")?,
            env: common(&[
                ("LATELY_READER_ADDR", format!("127.0.0.1:{port}")),
                ("LATELY_REPLICA_ID", format!("reader-{r}")),
                // Small, so restarted replicas resume from snapshots as well as from scratch.
                ("LATELY_SNAPSHOT_EVERY", "300".into()),
                ("LATELY_SNAPSHOT_INTERVAL", "2".into()),
                ("LATELY_POLL_MS", "200".into()),
            ]),
            port,
            log: log_of(&format!("reader-{r}")),
            child: None,
        });
    }
    for n in 1..=args.notifiers {
        let port = free_port()?;
        let mut extra = vec![
            ("LATELY_NOTIFIER_ADDR", format!("127.0.0.1:{port}")),
            ("X_API_BASE", sandbox_url.clone()),
            ("LATELY_TWEET_DELAY", "0s".into()),
            ("LATELY_POSTING_TIMEOUT", "2s".into()),
            ("LATELY_POLL_MS", "50".into()),
        ];
        extra.extend(x.iter().map(|(k, v)| (*k, v.clone())));
        processes.push(Process {
            name: format!("notifier-{n}"),
            program: bin("lately-notifier")?,
            env: common(&extra),
            port,
            log: log_of(&format!("notifier-{n}")),
            child: None,
        });
    }

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    for p in &mut processes {
        p.start()?;
    }
    for p in &processes {
        wait_ready(&client, &p.url(), Duration::from_secs(60)).await?;
    }
    let writer_url = processes[0].url();

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Seen::default());
    let clients: Vec<_> = (0..args.clients)
        .map(|c| {
            tokio::spawn(client_loop(
                c,
                client.clone(),
                writer_url.clone(),
                token.clone(),
                stop.clone(),
                seen.clone(),
            ))
        })
        .collect();

    // The chaos: kill a random process, let the others carry on without it for a moment, start
    // it again. PostgreSQL is restarted once, half-way.
    let mut report = Report {
        seed,
        seconds: args.seconds,
        ..Report::default()
    };
    let started = Instant::now();
    let run = Duration::from_secs(args.seconds);
    let mut postgres_restarted = false;
    while started.elapsed() < run {
        let pause = rng.random_range(args.kill_every_ms / 2..=args.kill_every_ms * 3 / 2);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        if !postgres_restarted && started.elapsed() > run / 2 {
            postgres_restarted = true;
            if lately_testkit::restart_postgres()? {
                report.postgres_restarts += 1;
                println!(
                    "{:>6.1}s restarted PostgreSQL",
                    started.elapsed().as_secs_f64()
                );
            }
            continue;
        }
        let victim = rng.random_range(0..processes.len());
        let gracefully = rng.random_bool(0.2);
        let down = Duration::from_millis(rng.random_range(50..800));
        let p = &mut processes[victim];
        p.kill(gracefully).await;
        *report.kills.entry(p.name.clone()).or_default() += 1;
        println!(
            "{:>6.1}s {} {}, down {} ms",
            started.elapsed().as_secs_f64(),
            if gracefully {
                "stopped (SIGTERM)"
            } else {
                "killed (SIGKILL)"
            },
            p.name,
            down.as_millis()
        );
        tokio::time::sleep(down).await;
        p.start()?;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await??;
    }
    for p in &processes {
        wait_ready(&client, &p.url(), Duration::from_secs(60)).await?;
    }

    // The log against what the clients were told.
    let log = lately_log::EventLog::connect(&database_url, Default::default())?;
    let head = log.head().await?;
    let mut events = Vec::new();
    while (events.len() as i64) < head {
        let page = log.read_after(events.len() as i64, 5000).await?;
        if page.is_empty() {
            break;
        }
        events.extend(page);
    }
    report.events_written = events.len();
    report.position_gaps = events
        .iter()
        .enumerate()
        .filter(|(i, e)| e.position != *i as i64 + 1)
        .count();
    let acknowledged = seen.acknowledged.lock().unwrap().clone();
    report.writes_acknowledged = acknowledged.len();
    let mut by_id: HashMap<_, Vec<i64>> = HashMap::new();
    for e in &events {
        by_id.entry(e.event_id).or_default().push(e.position);
    }
    for (key, position) in &acknowledged {
        let id = IdempotencyKey::parse(key).expect("a valid key").event_id();
        match by_id.get(&id).map(Vec::as_slice) {
            None | Some([]) => report.events_lost += 1,
            Some([p]) if p == position => {}
            Some([_]) => report.events_at_wrong_position += 1,
            Some(_) => report.events_duplicated += 1,
        }
    }
    report.events_never_acknowledged = events.len().saturating_sub(acknowledged.len());

    // Every replica at the head with the state of a replay of the whole log.
    let mut projection = lately_projection::Projection::new();
    for e in &events {
        let event = lately_domain::ItemEvent::decode_json(
            &e.event_type,
            e.schema_version,
            e.data.as_str(),
        )?;
        projection.apply(e.position, &e.stream_id, e.recorded_at, &event);
    }
    let expected_hash = projection.state_hash();
    let mut converged = 0;
    for p in processes.iter().filter(|p| p.name.starts_with("reader")) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let status: Value = client
                .get(format!("{}/v1/status?min_position={head}", p.url()))
                .send()
                .await?
                .json()
                .await?;
            if status["position"] == head && status["state_hash"] == expected_hash.as_str() {
                converged += 1;
                break;
            }
            if Instant::now() > deadline {
                report.findings.push(format!(
                    "{} did not converge: position {} hash {} (head {head}, hash {expected_hash})",
                    p.name, status["position"], status["state_hash"]
                ));
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    report.replicas_converged = format!("{converged}/{}", args.readers);

    // Tweets: one per public finish, none for private ones nor for removed ones.
    let public = seen.finished_public.lock().unwrap().clone();
    let private = seen.finished_private.lock().unwrap().clone();
    let removed = seen.removed_public.lock().unwrap().clone();
    report.public_items_removed = removed.len();
    report.tweets_expected = public.len();
    // The notifier posts one tweet at a time and was killed over and over, so a long run ends
    // with a backlog that it drains at its own pace. Wait while the count grows; a tweet is
    // missing only once posting has stood still for STALL (or after the cap).
    const STALL: Duration = Duration::from_secs(30);
    let drain_started = Instant::now();
    let cap = drain_started + Duration::from_secs(900);
    let (mut seen_count, mut grew) = (0, Instant::now());
    // The removed books' tweets are deleted in the same backlog: done when as many tweets
    // stand as public finishes and none quotes a removed book.
    let removed_titles: std::collections::HashSet<&str> =
        removed.iter().map(String::as_str).collect();
    let quotes_removed = |tweets: &[String]| {
        tweets
            .iter()
            .filter(|t| quoted_titles(t).any(|title| removed_titles.contains(title)))
            .count()
    };
    let tweets = loop {
        let tweets = fetch_tweets(&client, &sandbox_url).await?;
        let left = quotes_removed(&tweets);
        if (tweets.len() - left >= public.len() && left == 0)
            || Instant::now() > cap
            || grew.elapsed() > STALL
        {
            break tweets;
        }
        // Progress: a tweet posted, or one deleted.
        let done = tweets.len() - left + (removed.len().saturating_sub(left));
        if done > seen_count {
            (seen_count, grew) = (done, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    report.tweets_drained_in_s = drain_started.elapsed().as_secs_f64();
    // Let a doubled post, if any, arrive before counting.
    let tweets = if tweets.len() == public.len() && quotes_removed(&tweets) == 0 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        fetch_tweets(&client, &sandbox_url).await?
    } else {
        tweets
    };
    report.tweets_posted = tweets.len();
    // How many tweets quote each title. Tens of thousands of titles against as many tweets:
    // one pass over the tweets, not one per title (that took minutes in a debug build).
    let mut quoted: HashMap<&str, usize> = HashMap::new();
    for t in &tweets {
        let mut titles: Vec<&str> = quoted_titles(t).collect();
        titles.sort_unstable();
        titles.dedup();
        for title in titles {
            *quoted.entry(title).or_default() += 1;
        }
    }
    let mentions = |title: &str| quoted.get(title).copied().unwrap_or(0);
    for title in &public {
        match mentions(title) {
            0 => report.tweets_missing += 1,
            1 => {}
            _ => report.tweets_doubled += 1,
        }
    }
    report.private_items_tweeted = private.iter().filter(|t| mentions(t) > 0).count();
    report.removed_items_tweeted = removed.iter().filter(|t| mentions(t) > 0).count();
    for p in processes.iter().filter(|p| p.name.starts_with("notifier")) {
        let status = client
            .get(format!("http://127.0.0.1:{}/v1/status", p.port))
            .send()
            .await;
        if let Ok(status) = status {
            let status: Value = status.json().await.unwrap_or_default();
            if let Some(deleted) = status["counts"]["deleted"].as_i64() {
                report.tweets_deleted = deleted;
                break;
            }
        }
    }

    for p in &mut processes {
        p.kill(true).await;
    }

    // Secrets in the logs of the whole run.
    let secrets: Vec<&str> = std::iter::once(token.as_str())
        .chain(x.iter().map(|(_, v)| v.as_str()))
        .collect();
    for p in &processes {
        let text = std::fs::read_to_string(&p.log).unwrap_or_default();
        for s in &secrets {
            if text.contains(s) {
                report.secrets_in_logs += 1;
                report
                    .findings
                    .push(format!("{}'s log contains a secret", p.name));
            }
        }
    }
    report.write_attempts = seen.attempts.load(Ordering::Relaxed);
    report.retries = seen.retries.load(Ordering::Relaxed);
    report.answers_503 = seen.unavailable_503.load(Ordering::Relaxed);
    let unexpected = seen.unexpected.lock().unwrap().clone();
    report.unexpected_answers = unexpected.len();
    report.findings.extend(unexpected.into_iter().take(20));

    let failed = report.events_lost
        + report.events_duplicated
        + report.events_at_wrong_position
        + report.events_never_acknowledged
        + report.position_gaps
        + report.tweets_missing
        + report.tweets_doubled
        + report.private_items_tweeted
        + report.removed_items_tweeted
        + report.unexpected_answers
        + report.secrets_in_logs
        + (args.readers - converged)
        > 0;
    write_report(&args.out, &report)?;
    if failed {
        bail!(
            "chaos run found violations (seed {seed}); see {}",
            args.out.display()
        );
    }
    Ok(())
}

/// The titles a tweet quotes (“…”).
fn quoted_titles(tweet: &str) -> impl Iterator<Item = &str> {
    tweet
        .split('“')
        .skip(1)
        .filter_map(|rest| rest.split_once('”').map(|(title, _)| title))
}

async fn fetch_tweets(client: &reqwest::Client, sandbox: &str) -> anyhow::Result<Vec<String>> {
    let body: Value = client
        .get(format!("{sandbox}/_sandbox/tweets"))
        .send()
        .await?
        .json()
        .await?;
    Ok(body["data"]
        .as_array()
        .context("the sandbox's tweets")?
        .iter()
        .filter_map(|t| t["text"].as_str().map(str::to_owned))
        .collect())
}

fn write_report(out: &Path, r: &Report) -> anyhow::Result<()> {
    let kills: usize = r.kills.values().sum();
    let kill_list = r
        .kills
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let md = format!(
        "Chaos run: {} s, seed {}\n\n\
         | figure | value |\n|---|---:|\n\
         | events written | {} |\n\
         | writes acknowledged | {} |\n\
         | write attempts (retries) | {} ({}) |\n\
         | 503 answers (with Retry-After) | {} |\n\
         | processes killed | {kills} ({kill_list}) |\n\
         | PostgreSQL restarts | {} |\n\
         | events lost | {} |\n\
         | events duplicated | {} |\n\
         | events at another position than acknowledged | {} |\n\
         | events never acknowledged | {} |\n\
         | position gaps | {} |\n\
         | replicas at head with the replayed state_hash | {} |\n\
         | tweets expected / posted | {} / {} |\n\
         | waited for the notifier's backlog after the run | {:.1} s |\n\
         | tweets missing | {} |\n\
         | tweets doubled | {} |\n\
         | private items tweeted | {} |\n\
         | public items removed after their finish / their tweets left (deleted after posting) | {} / {} ({}) |\n\
         | other 4xx/5xx answers | {} |\n\
         | secrets found in logs | {} |\n",
        r.seconds,
        r.seed,
        r.events_written,
        r.writes_acknowledged,
        r.write_attempts,
        r.retries,
        r.answers_503,
        r.postgres_restarts,
        r.events_lost,
        r.events_duplicated,
        r.events_at_wrong_position,
        r.events_never_acknowledged,
        r.position_gaps,
        r.replicas_converged,
        r.tweets_expected,
        r.tweets_posted,
        r.tweets_drained_in_s,
        r.tweets_missing,
        r.tweets_doubled,
        r.private_items_tweeted,
        r.public_items_removed,
        r.removed_items_tweeted,
        r.tweets_deleted,
        r.unexpected_answers,
        r.secrets_in_logs,
    );
    print!("{md}");
    for f in &r.findings {
        println!("finding: {f}");
    }
    std::fs::write(out.join("report.md"), &md)?;
    std::fs::write(out.join("report.json"), serde_json::to_string_pretty(r)?)?;
    Ok(())
}
