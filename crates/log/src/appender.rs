//! Group commit: one task owns appending, and commits whatever is waiting in one transaction.
//!
//! Callers hand their [`AppendRequest`] to the task through a bounded channel and wait for their
//! own outcome. While one transaction commits, new requests queue up; the next transaction takes
//! all of them (up to [`AppendOptions::max_batch_events`]). Under load this turns many fsyncs
//! into one without any caller waiting on a timer, and serialising appends in one task is what
//! the position invariant needs anyway (the database lock makes it hold across processes too).

use std::time::{Duration, Instant};

use sqlx::pool::PoolOptions;
use tokio::sync::{mpsc, oneshot};

use crate::{observe_head, postgres, sqlite, AppendError, AppendRequest, Appended, Backend};
use crate::{EventLog, LogError};

/// Bounds of a group commit.
#[derive(Debug, Clone)]
pub struct AppendOptions {
    /// The most events committed in one transaction.
    pub max_batch_events: usize,
    /// How many appends may wait for the appender before callers are slowed down.
    pub queue_depth: usize,
    /// The longest a commit may take on PostgreSQL before it fails as unavailable and its
    /// connection is closed. A server behind a network partition never answers; without this
    /// bound the one appending task, and every write queued behind it, would wait for as long
    /// as the operating system keeps the socket. The outcome of a commit that ran out of time
    /// is unknown, as after any broken connection: nothing is acknowledged, and a retry with
    /// the same event ids finds them if it did commit.
    pub commit_timeout: Duration,
}

impl Default for AppendOptions {
    fn default() -> Self {
        Self {
            max_batch_events: 1000,
            queue_depth: 8192,
            commit_timeout: Duration::from_secs(5),
        }
    }
}

struct Job {
    request: AppendRequest,
    reply: oneshot::Sender<Result<Appended, AppendError>>,
}

/// The appending side of the log. Cheap to clone; the task stops once every clone is dropped and
/// the queue is drained, so in-flight appends finish during a graceful shutdown.
#[derive(Clone)]
pub struct Appender {
    jobs: mpsc::Sender<Job>,
}

impl Appender {
    /// Starts the group-commit task on the current Tokio runtime.
    ///
    /// The appender commits over a connection of its own, so that appends never queue behind
    /// reads for a pooled connection.
    pub fn spawn(log: &EventLog, options: AppendOptions) -> Self {
        let (jobs, queue) = mpsc::channel(options.queue_depth.max(1));
        let own = match &log.shared.backend {
            Backend::Postgres(pool) => Own::Postgres(Box::new(postgres::Committer::new(
                pool,
                log.shared.options.acquire_timeout,
                options.commit_timeout,
            ))),
            Backend::Sqlite(pool) => Own::Sqlite(
                PoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(pool.options().get_acquire_timeout())
                    .connect_lazy_with((*pool.connect_options()).clone()),
            ),
        };
        tokio::spawn(run(log.clone(), own, queue, options));
        Self { jobs }
    }

    /// Appends one request atomically; returns once it is durably committed (or was already).
    pub async fn append(&self, request: AppendRequest) -> Result<Appended, AppendError> {
        let (reply, outcome) = oneshot::channel();
        self.jobs
            .send(Job { request, reply })
            .await
            .map_err(|_| LogError::Closed)?;
        outcome.await.map_err(|_| LogError::Closed)?
    }
}

/// The appender's own connection to the log's database.
enum Own {
    Postgres(Box<postgres::Committer>),
    Sqlite(sqlx::SqlitePool),
}

async fn run(log: EventLog, mut own: Own, mut queue: mpsc::Receiver<Job>, options: AppendOptions) {
    let max = options.max_batch_events.max(1);
    let mut batch: Vec<Job> = Vec::new();
    while let Some(first) = queue.recv().await {
        let mut events = first.request.events.len();
        batch.push(first);
        while events < max {
            match queue.try_recv() {
                Ok(job) => {
                    events += job.request.events.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }

        let started = Instant::now();
        let requests: Vec<&AppendRequest> = batch.iter().map(|j| &j.request).collect();
        let committed = match &mut own {
            Own::Postgres(committer) => committer.commit(&requests).await,
            Own::Sqlite(pool) => sqlite::commit(pool, &requests).await,
        };
        record_metrics(started.elapsed(), events, &committed);

        match committed {
            Ok((outcomes, head)) => {
                observe_head(&log.shared.head, head);
                for (job, outcome) in batch.drain(..).zip(outcomes) {
                    let _ = job.reply.send(outcome);
                }
            }
            Err(e) => {
                // Nothing of this batch is acknowledged. If the commit did reach the database
                // before the connection broke, a retry finds the events by id and answers with
                // their positions, so callers that retry with the same event ids stay correct.
                tracing::warn!(error = %e, appends = batch.len(), "group commit failed");
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(AppendError::Log(e.clone())));
                }
            }
        }
    }
}

type Committed = Result<(Vec<Result<Appended, AppendError>>, i64), LogError>;

fn record_metrics(elapsed: Duration, events: usize, committed: &Committed) {
    metrics::histogram!("lately_log_commit_seconds").record(elapsed.as_secs_f64());
    metrics::histogram!("lately_log_batch_events").record(events as f64);
    match committed {
        Ok((outcomes, _)) => {
            let appended = outcomes
                .iter()
                .filter_map(|o| o.as_ref().ok())
                .filter(|a| !a.duplicate)
                .map(|a| a.last_position - a.first_position + 1)
                .sum::<i64>();
            metrics::counter!("lately_log_appended_events_total").increment(appended as u64);
        }
        Err(_) => metrics::counter!("lately_log_commit_failures_total").increment(1),
    }
}
