//! Tailing the log.

use std::collections::VecDeque;

use tokio::sync::watch;

use crate::{EventLog, LogError, RecordedEvent};

/// Follows the log from a position: each call to [`Subscription::next`] returns the next page
/// of events, waiting for one if there is none yet.
///
/// Because positions are gap-free and visible in commit order, "everything after my position"
/// is a complete answer: a subscription never skips an event and never yields one twice. If
/// the database goes away, `next` returns the error and keeps its position; calling it again
/// later resumes exactly where it stopped, on a fresh connection.
pub struct Subscription {
    log: EventLog,
    position: i64,
    /// The pages read now: the size asked for, or less after reads timed out.
    page_size: usize,
    /// The size asked for ([`Subscription::with_page_size`]).
    max_page_size: usize,
    /// Whether events come with their metadata (see [`Subscription::without_metadata`]).
    metadata: bool,
    head: watch::Receiver<i64>,
    /// While catching up, reads of the next pages, already under way (each with the position
    /// it reads after and its size): the database and the row decoding work while the caller
    /// applies the page it has. Positions are gap-free, so the page after a full page starts
    /// exactly its size later; a read that turns out not to follow on is dropped, never used.
    ahead: VecDeque<(i64, usize, ReadAhead)>,
}

/// How many pages a catching-up subscription reads ahead.
const READ_AHEAD: usize = 2;

type ReadAhead = tokio::task::JoinHandle<Result<Vec<RecordedEvent>, LogError>>;

impl Subscription {
    pub(crate) fn new(log: EventLog, after: i64) -> Self {
        let head = log.shared.head.subscribe();
        Self {
            log,
            position: after,
            page_size: 1000,
            max_page_size: 1000,
            metadata: true,
            head,
            ahead: VecDeque::new(),
        }
    }

    /// Reads at most this many events per page (catching up reads in pages of it).
    ///
    /// A page the database does not deliver within the log's read timeout is read again as
    /// half as many events, down to one: over a slow link, a page of large events could
    /// otherwise time out on every retry, and the tailer never move again. Each full page read
    /// adds an eighth of this size again, up to this size: a link that was too slow for a page
    /// once is not tried with one twice as large at once.
    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self.max_page_size = self.page_size;
        self
    }

    /// After a full page: a little larger again, up to the size asked for.
    fn grow(&mut self) {
        let step = (self.max_page_size / 8).max(1);
        self.page_size = (self.page_size + step).min(self.max_page_size);
    }

    /// Halves the page size after a read of `limit` events timed out.
    fn shrink_on(&mut self, error: &LogError, limit: usize) {
        if error.is_read_timeout() {
            self.page_size = self.page_size.min(limit / 2).max(1);
            tracing::debug!(
                page_size = self.page_size,
                "a read of the log timed out; reading smaller pages"
            );
        }
    }

    /// Leaves each event's metadata out (`null`): for a tailer that never reads it. A replica
    /// catching up on a million events then neither fetches nor parses a million JSON objects
    /// it would drop at once.
    pub fn without_metadata(mut self) -> Self {
        self.metadata = false;
        self
    }

    /// The position of the last event returned (or the starting point).
    ///
    /// (Reads ahead in flight are for the pages after this position; dropping the subscription
    /// aborts them.)
    pub fn position(&self) -> i64 {
        self.position
    }

    /// The next events after [`Subscription::position`], at least one, in order.
    pub async fn next(&mut self) -> Result<Vec<RecordedEvent>, LogError> {
        let poll = self.log.shared.options.poll_interval;
        loop {
            // Mark the current head as seen *before* reading, so a commit that lands between
            // the read and the wait still wakes us.
            self.head.borrow_and_update();
            let (page, limit) = match self.ahead.pop_front() {
                Some((after, limit, read)) if after == self.position => {
                    let page = read.await.unwrap_or_else(|e| {
                        Err(LogError::Config(format!("a read-ahead task failed: {e}")))
                    });
                    (page, limit)
                }
                other => {
                    if let Some((_, _, read)) = other {
                        read.abort();
                    }
                    self.cancel_reads();
                    let limit = self.page_size;
                    let page = self
                        .log
                        .read_page(self.position, limit, self.metadata)
                        .await;
                    (page, limit)
                }
            };
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    self.cancel_reads();
                    self.shrink_on(&e, limit);
                    return Err(e);
                }
            };
            if !page.is_empty() {
                let mut expected = self.position + 1;
                for event in &page {
                    if event.position != expected {
                        return Err(LogError::Gap {
                            expected,
                            found: event.position,
                        });
                    }
                    expected += 1;
                }
                self.position = expected - 1;
                if page.len() >= limit {
                    self.grow();
                    self.read_ahead();
                } else {
                    // Caught up: whatever was read ahead is past the head.
                    self.cancel_reads();
                }
                return Ok(page);
            }
            tokio::select! {
                changed = self.head.changed() => {
                    if changed.is_err() {
                        // Cannot happen while `self.log` keeps the sender alive; poll anyway.
                        tokio::time::sleep(poll).await;
                    }
                }
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }
}

impl Subscription {
    /// After a full page: more is probably waiting, so start reading the next pages.
    fn read_ahead(&mut self) {
        let mut after = self
            .ahead
            .back()
            .map_or(self.position, |(after, limit, _)| after + *limit as i64);
        while self.ahead.len() < READ_AHEAD {
            let (log, limit, metadata) = (self.log.clone(), self.page_size, self.metadata);
            let read = tokio::spawn(async move { log.read_page(after, limit, metadata).await });
            self.ahead.push_back((after, limit, read));
            after += limit as i64;
        }
    }

    fn cancel_reads(&mut self) {
        for (_, _, read) in self.ahead.drain(..) {
            read.abort();
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel_reads();
    }
}
