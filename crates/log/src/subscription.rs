//! Tailing the log.

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
    page_size: usize,
    head: watch::Receiver<i64>,
}

impl Subscription {
    pub(crate) fn new(log: EventLog, after: i64) -> Self {
        let head = log.shared.head.subscribe();
        Self {
            log,
            position: after,
            page_size: 1000,
            head,
        }
    }

    /// Reads at most this many events per page (catching up reads in pages of it).
    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// The position of the last event returned (or the starting point).
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
            let page = self.log.read_after(self.position, self.page_size).await?;
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
