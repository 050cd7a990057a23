//! Following the log: snapshot, catch up, follow — and keep serving whatever happens to the
//! database meanwhile.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lately_domain::ItemEvent;
use lately_log::{EventLog, LogError, RecordedEvent, Snapshot};
use lately_projection::{Projection, PROJECTION_VERSION};
use tokio::sync::watch;

/// Everything a replica knows, shared by the follower and the HTTP handlers.
pub struct Replica {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub projection: RwLock<Projection>,
    /// The applied position, for read-your-writes waits.
    position: watch::Sender<i64>,
    /// The newest head seen in the log (the lag is `head - position`).
    head: AtomicI64,
    /// Caught up with the head seen at start.
    ready: AtomicBool,
    /// The position of the snapshot this replica started from (0: none, replayed from 0).
    pub snapshot_position: AtomicI64,
    /// The database answered the last time we asked.
    connected: AtomicBool,
    /// Why following stopped, if it did for good (an event this build cannot read).
    stalled: Mutex<Option<String>>,
    pub shutting_down: AtomicBool,
}

impl Replica {
    pub fn new(id: String) -> Self {
        Self {
            id,
            started_at: Utc::now(),
            projection: RwLock::new(Projection::new()),
            position: watch::channel(0).0,
            head: AtomicI64::new(0),
            ready: AtomicBool::new(false),
            snapshot_position: AtomicI64::new(0),
            connected: AtomicBool::new(false),
            stalled: Mutex::new(None),
            shutting_down: AtomicBool::new(false),
        }
    }

    pub fn position(&self) -> i64 {
        *self.position.borrow()
    }

    /// Changes whenever events are applied (for live streams).
    pub fn watch_position(&self) -> watch::Receiver<i64> {
        self.position.subscribe()
    }

    pub fn head(&self) -> i64 {
        self.head.load(Ordering::Relaxed).max(self.position())
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed) && self.stalled().is_none()
    }

    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    pub fn stalled(&self) -> Option<String> {
        self.stalled.lock().expect("not poisoned").clone()
    }

    /// Waits until `position` is applied, for at most `timeout`. True if it was.
    pub async fn wait_for(&self, position: i64, timeout: Duration) -> bool {
        let mut rx = self.position.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|p| *p >= position))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    fn observe_head(&self, head: i64) {
        self.head.fetch_max(head, Ordering::Relaxed);
    }

    fn set_connected(&self, connected: bool) {
        let was = self.connected.swap(connected, Ordering::Relaxed);
        if was != connected {
            if connected {
                tracing::info!("connected to the event log");
            } else {
                tracing::warn!("lost the event log; serving what we have");
            }
        }
    }

    /// Applies a page of events in one critical section (decoded before taking the lock).
    fn apply(&self, page: Vec<RecordedEvent>) -> Result<(), String> {
        let count = page.len() as u64;
        let decoded = page
            .into_iter()
            .map(|e| {
                let position = e.position;
                ItemEvent::decode_json(&e.event_type, e.schema_version, e.data.as_str())
                    .map(|event| (position, e.stream_id, e.recorded_at, event))
                    .map_err(|err| format!("cannot read the event at position {position}: {err}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let position = {
            let mut projection = self.projection.write().expect("not poisoned");
            for (position, stream_id, recorded_at, event) in &decoded {
                projection.apply(*position, stream_id, *recorded_at, event);
            }
            projection.position()
        };
        self.position.send_replace(position);
        self.observe_head(position);
        metrics::counter!("lately_reader_events_applied_total").increment(count);
        Ok(())
    }
}

/// Follows the log forever: loads the newest snapshot, catches up in pages, then tails. Never
/// returns an error: while the database is away it retries with backoff, serving meanwhile.
pub async fn follow(log: EventLog, replica: std::sync::Arc<Replica>, page_size: usize) {
    let target = start(&log, &replica).await;
    let mut sub = log
        .subscribe(replica.position())
        .with_page_size(page_size)
        .without_metadata();
    let mut backoff = Duration::from_millis(100);
    loop {
        if replica.position() >= target && !replica.ready.load(Ordering::Relaxed) {
            let replayed = replica.position() - replica.snapshot_position.load(Ordering::Relaxed);
            if replayed > 10_000 {
                // Caught up by applying many events one by one: pack the indexes once.
                replica.projection.write().expect("not poisoned").compact();
            }
            // Give back what catching up allocated and freed (pages of rows, the old index
            // nodes) now, not whenever the allocator gets round to it.
            // SAFETY: mi_collect has no preconditions; it only returns free memory to the OS.
            unsafe { libmimalloc_sys::mi_collect(true) };
            replica.ready.store(true, Ordering::Relaxed);
            tracing::info!(position = replica.position(), "caught up: ready");
        }
        let page = match sub.next().await {
            Ok(page) => page,
            Err(e) => {
                replica.set_connected(false);
                tracing::debug!(error = %e, "reading the log failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        replica.set_connected(true);
        let started = Instant::now();
        if let Err(reason) = replica.apply(page) {
            tracing::error!(%reason, "following stopped: this build cannot apply the log");
            *replica.stalled.lock().expect("not poisoned") = Some(reason);
            return;
        }
        metrics::histogram!("lately_reader_apply_seconds").record(started.elapsed().as_secs_f64());
    }
}

/// Loads the newest compatible snapshot and reads the head to catch up to; retries until the
/// database answers.
async fn start(log: &EventLog, replica: &Replica) -> i64 {
    let mut backoff = Duration::from_millis(100);
    loop {
        match load(log, replica).await {
            Ok(target) => {
                replica.set_connected(true);
                return target;
            }
            Err(e) => {
                replica.set_connected(false);
                tracing::warn!(error = %e, "cannot reach the event log yet; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn load(log: &EventLog, replica: &Replica) -> Result<i64, LogError> {
    let head = log.head().await?;
    let started = Instant::now();
    if let Some(snapshot) = log.latest_snapshot(PROJECTION_VERSION).await? {
        let fetched = started.elapsed();
        let (position, bytes) = (snapshot.position, snapshot.state.len());
        // Decoding takes every core for a few hundred milliseconds: not on the runtime's.
        let loaded = tokio::task::spawn_blocking(move || {
            Projection::from_snapshot(snapshot.state, &snapshot.state_hash)
        })
        .await
        .expect("loading a snapshot does not panic");
        match loaded {
            Ok(projection) => {
                tracing::info!(
                    position,
                    bytes,
                    fetch_ms = fetched.as_millis() as u64,
                    decode_ms = (started.elapsed() - fetched).as_millis() as u64,
                    "loaded snapshot"
                );
                let position = projection.position();
                *replica.projection.write().expect("not poisoned") = projection;
                replica.position.send_replace(position);
                replica.snapshot_position.store(position, Ordering::Relaxed);
            }
            Err(e) => tracing::warn!(position, error = %e, "unusable snapshot; replaying from 0"),
        }
    }
    replica.observe_head(head);
    Ok(head)
}

/// Saves a snapshot every `every` events, or every `interval` if anything changed. Each
/// snapshot is serialised under the read lock (a clone would double the memory).
///
/// A save that failed (the database away or cut off) is tried again after a wait that doubles
/// up to a minute: every attempt serialises the whole projection first, tens of MB and a few
/// hundred milliseconds of a core, which retrying every second would spend for nothing.
pub async fn snapshots(
    log: EventLog,
    replica: std::sync::Arc<Replica>,
    every: u64,
    interval: Duration,
) {
    let mut last_saved = replica.position();
    let mut last_time = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let (mut retry_after, mut not_before) = (Duration::from_secs(1), Instant::now());
    loop {
        tick.tick().await;
        let position = replica.position();
        let due_by_count = every > 0 && (position - last_saved) as u64 >= every;
        let due_by_time =
            !interval.is_zero() && last_time.elapsed() >= interval && position > last_saved;
        if !replica.is_ready() || !(due_by_count || due_by_time) || Instant::now() < not_before {
            continue;
        }
        let started = Instant::now();
        let (position, state) = {
            let projection = replica.projection.read().expect("not poisoned");
            (projection.position(), projection.to_snapshot())
        };
        let serialised = started.elapsed();
        let snapshot = Snapshot {
            position,
            state_hash: Projection::snapshot_hash(&state),
            state,
        };
        match log.save_snapshot(PROJECTION_VERSION, &snapshot).await {
            Ok(saved) => {
                tracing::info!(
                    position = snapshot.position,
                    bytes = snapshot.state.len(),
                    saved,
                    serialise_ms = serialised.as_millis() as u64,
                    // Compressed and written.
                    save_ms = (started.elapsed() - serialised).as_millis() as u64,
                    "snapshot"
                );
                last_saved = snapshot.position;
                last_time = Instant::now();
                retry_after = Duration::from_secs(1);
            }
            Err(e) => {
                tracing::warn!(error = %e, ?retry_after, "could not save a snapshot");
                metrics::counter!("lately_reader_snapshot_failures_total").increment(1);
                not_before = Instant::now() + retry_after;
                retry_after = (retry_after * 2).min(Duration::from_secs(60));
            }
        }
    }
}

/// Refreshes the known head now and then, so the lag is honest even when nothing arrives
/// (a dead notification channel, or the database gone).
pub async fn watch_head(log: EventLog, replica: std::sync::Arc<Replica>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match log.head().await {
            Ok(head) => {
                replica.observe_head(head);
                replica.set_connected(true);
            }
            Err(_) => replica.set_connected(false),
        }
        metrics::gauge!("lately_reader_position").set(replica.position() as f64);
        metrics::gauge!("lately_reader_lag").set((replica.head() - replica.position()) as f64);
    }
}
