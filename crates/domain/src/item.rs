//! One item's state, folded from its own events, and the rules for what may happen next.
//!
//! The writer loads an item's stream, folds it with [`ItemState::replay`], asks [`check`] whether
//! the requested event may follow, and appends it with the version it saw as the expected
//! version — so a rule checked here cannot be invalidated by a concurrent write.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{FinishRevised, Finished, ItemAdded, ItemEvent};
use crate::types::{Creator, MediaKind, Percent, Portion, Tag, Title, Unit, Url, Visibility};

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Added, not started yet.
    Queued,
    InProgress,
    Finished,
    Abandoned,
    Removed,
}

/// How far through an item they are, as they last said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// `None` for time spent of no known whole (a game's hours played).
    pub percent: Option<Percent>,
    /// In the item's own units (page 183 of 304) or its running time, when they said it so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portion: Option<Portion>,
}

/// Where an item stood before its latest start, while that start is the last thing that
/// changed its status: what retracting the start goes back to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BeforeStart {
    pub status: Status,
    pub progress: Option<Progress>,
    pub started_at: Option<DateTime<Utc>>,
    /// The finish before the start could be retracted then (a re-read begun right after a
    /// finish): it can again once the start is taken back.
    pub before_finish: Option<(Status, Option<Progress>, Option<DateTime<Utc>>)>,
}

/// An item as its events describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemState {
    /// The stream version of the last event applied: 1 after `item_added`.
    pub version: i64,
    pub kind: MediaKind,
    pub title: Title,
    pub creators: Vec<Creator>,
    pub url: Option<Url>,
    pub cover_url: Option<Url>,
    pub tags: Vec<Tag>,
    pub visibility: Visibility,
    pub status: Status,
    pub progress: Option<Progress>,
    pub times_finished: u32,
    pub added_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where the item stood before its latest finish, while that finish is the last thing
    /// that changed its status: what retracting the finish goes back to (with when the finish
    /// before it happened, if there was one). `None` when there is nothing to retract.
    #[serde(default)]
    pub before_finish: Option<(Status, Option<Progress>, Option<DateTime<Utc>>)>,
    /// When the latest finish that stands happened: the one a revision revises, whose read
    /// cannot have begun after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// When the latest finish's read began, if the item was in progress just before it or a
    /// revision said: what a finish moved to another day cannot come before. Known while
    /// `before_finish` is (the only time a finish may be moved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_started_at: Option<DateTime<Utc>>,
    /// Where a removed item stood before it was removed: what restoring it goes back to.
    /// `None` while it is not removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_removal: Option<Status>,
    /// When the item last went in progress (started, or progress logged while it was not in
    /// progress): the start of the read, watch or play that is in progress, while one is. Kept
    /// when it ends, so that retracting its finish or restoring the item brings it back with
    /// the item; read it through [`ItemState::in_progress_since`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// Where the item stood before its latest start (or progress logged while it was not in
    /// progress), while nothing has changed its status since: what retracting the start goes
    /// back to. `None` when there is no start to retract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_start: Option<BeforeStart>,
}

impl ItemState {
    pub fn new(added: &ItemAdded) -> Self {
        Self {
            version: 1,
            kind: added.kind,
            title: added.title.clone(),
            creators: added.creators.clone(),
            url: added.url.clone(),
            cover_url: added.cover_url.clone(),
            tags: added.tags.clone(),
            visibility: added.visibility,
            status: Status::Queued,
            progress: None,
            times_finished: 0,
            added_at: added.at,
            updated_at: added.at,
            before_finish: None,
            before_removal: None,
            started_at: None,
            finished_at: None,
            finish_started_at: None,
            before_start: None,
        }
    }

    /// Keeps where the item stands before it goes in progress (unless it is already).
    fn starting(&mut self) {
        if self.status != Status::InProgress {
            self.before_start = Some(BeforeStart {
                status: self.status,
                progress: self.progress,
                started_at: self.started_at,
                before_finish: self.before_finish,
            });
        }
    }

    /// What the read in progress is followed in: running time (an audiobook's 1h 20m of 4h
    /// 12m), or the item's own units — pages, episodes, a percentage, or nothing logged yet.
    /// Just before a finish, what the read it ended was followed in.
    pub fn followed_in(&self) -> Unit {
        self.progress
            .and_then(|p| p.portion)
            .map_or(Unit::Own, Portion::unit)
    }

    /// The time played of the read in progress, when its last progress counted it so, of no
    /// known whole (a game's 62 hours played): just before a finish, what the finish's read
    /// took to play.
    pub fn time_played(&self) -> Option<u32> {
        self.progress
            .and_then(|p| p.portion)
            .filter(|p| p.is_played())
            .map(Portion::done)
    }

    /// What a finish's read was followed in, as its wording says it: running time when the
    /// finish (as revised) says it was listened to, else what the item just before it
    /// (`before`, folded to the finish's position) was followed in.
    pub fn finish_followed_in(before: Option<&Self>, listened: bool) -> Unit {
        match before {
            _ if listened => Unit::Seconds,
            Some(state) => state.followed_in(),
            None => Unit::Own,
        }
    }

    /// When the read (watch, play) in progress began: `None` unless the item is in progress.
    /// A finish's read began here if the item was in progress just before it; a finish
    /// recorded without a start (an import, a film logged after watching it) has no start.
    pub fn in_progress_since(&self) -> Option<DateTime<Utc>> {
        self.started_at
            .filter(|_| self.status == Status::InProgress)
    }

    /// Folds a stream's events, oldest first. `None` if the stream is empty or does not start
    /// with `item_added` (which [`check`] never lets happen).
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a ItemEvent>) -> Option<Self> {
        let mut events = events.into_iter();
        let mut state = match events.next()? {
            ItemEvent::Added(added) => Self::new(added),
            _ => return None,
        };
        for event in events {
            state.apply(event);
        }
        Some(state)
    }

    /// Applies the next event of this item's stream. Total: never panics, whatever the event.
    pub fn apply(&mut self, event: &ItemEvent) {
        self.version += 1;
        self.updated_at = self.updated_at.max(event.at());
        match event {
            // A second `item_added` cannot pass `check`; if one is ever in a log, it reads as an
            // edit of everything rather than as a crash.
            ItemEvent::Added(a) => {
                let version = self.version;
                *self = Self {
                    version,
                    status: self.status,
                    progress: self.progress,
                    times_finished: self.times_finished,
                    added_at: self.added_at,
                    updated_at: self.updated_at,
                    before_finish: self.before_finish,
                    before_removal: self.before_removal,
                    started_at: self.started_at,
                    finished_at: self.finished_at,
                    finish_started_at: self.finish_started_at,
                    before_start: self.before_start,
                    ..Self::new(a)
                };
            }
            ItemEvent::Started(s) => {
                self.starting();
                self.status = Status::InProgress;
                self.progress = None;
                self.before_finish = None;
                self.started_at = Some(s.at);
            }
            ItemEvent::ProgressLogged(p) => {
                if self.status != Status::InProgress {
                    self.starting();
                    self.started_at = Some(p.at);
                }
                self.status = Status::InProgress;
                self.progress = Some(Progress {
                    percent: p.percent,
                    portion: p.portion,
                });
                self.before_finish = None;
            }
            ItemEvent::Finished(f) => {
                self.before_start = None;
                self.finish_started_at = self.in_progress_since();
                self.before_finish = Some((self.status, self.progress, self.finished_at));
                self.status = Status::Finished;
                self.progress = None;
                self.times_finished += 1;
                self.finished_at = Some(f.at);
            }
            ItemEvent::FinishRetracted(_) => {
                if let Some((status, progress, finished_at)) = self.before_finish.take() {
                    self.status = status;
                    self.progress = progress;
                    self.times_finished = self.times_finished.saturating_sub(1);
                    self.finished_at = finished_at;
                    self.finish_started_at = None;
                }
            }
            ItemEvent::Abandoned(_) => {
                self.status = Status::Abandoned;
                self.before_finish = None;
                self.before_start = None;
            }
            // An abandon keeps the read's start and progress: taken back, the read goes on
            // from them. Only while abandoned (`check`); if one is ever in a log otherwise, it
            // changes nothing.
            ItemEvent::AbandonRetracted(_) => {
                if self.status == Status::Abandoned {
                    self.status = Status::InProgress;
                }
            }
            ItemEvent::StartRetracted(_) => {
                if let Some(before) = self.before_start.take() {
                    self.status = before.status;
                    self.progress = before.progress;
                    self.started_at = before.started_at;
                    self.before_finish = before.before_finish;
                }
            }
            ItemEvent::Edited(e) => {
                let c = &e.changes;
                if let Some(v) = c.kind {
                    self.kind = v;
                }
                if let Some(v) = &c.title {
                    self.title = v.clone();
                }
                if let Some(v) = &c.creators {
                    self.creators = v.clone();
                }
                if let Some(v) = &c.url {
                    self.url = v.clone();
                }
                if let Some(v) = &c.cover_url {
                    self.cover_url = v.clone();
                }
                if let Some(v) = &c.tags {
                    self.tags = v.clone();
                }
                if let Some(v) = c.visibility {
                    self.visibility = v;
                }
            }
            ItemEvent::Removed(_) => {
                // A second removal cannot pass `check`; if one is ever in a log, restoring
                // still goes back to where the item stood before the first.
                if self.status != Status::Removed {
                    self.before_removal = Some(self.status);
                }
                self.status = Status::Removed;
                self.before_finish = None;
                self.before_start = None;
            }
            ItemEvent::Restored(_) => {
                if let Some(status) = self.before_removal.take() {
                    self.status = status;
                }
            }
            // The finish's own values are the projection's business. A moved start of the
            // read the finish ended, while nothing has changed the status since, is kept as
            // the read's: retracting the finish brings the read back begun then. A finish
            // moves to another day only then too (as the projection moves it).
            ItemEvent::FinishRevised(r) => {
                let latest_change = self.status == Status::Finished && self.before_finish.is_some();
                if let Some(started_at) = r.started_at {
                    self.finish_started_at = Some(started_at);
                    if latest_change {
                        self.started_at = Some(started_at);
                    }
                }
                if let Some(finished_at) = r.finished_at.filter(|_| latest_change) {
                    self.finished_at = Some(finished_at);
                }
            }
            ItemEvent::StartRevised(r) => self.started_at = Some(r.started_at),
        }
    }
}

/// Why an event may not happen now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("an item with this id already exists")]
    AlreadyExists,
    #[error("no item with this id")]
    NotFound,
    #[error("the item was removed (restoring it brings it back)")]
    Removed,
    #[error("the item is not removed: there is nothing to restore")]
    NotRemoved,
    #[error("the item is already in progress")]
    AlreadyInProgress,
    #[error("only an item in progress can be abandoned (this one is {0})")]
    NotInProgress(&'static str),
    #[error("only the start of an item in progress can be moved (this one is {0}): a finished read's start is revised with its finish (`started_at` in `PATCH /v1/items/{{id}}/finish`)")]
    StartNotInProgress(&'static str),
    #[error("started_at: {started_at} is after the finish it would begin ({finished_at})")]
    StartAfterFinish {
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
    },
    #[error("finished_at: {finished_at} is before its read began ({started_at}); give started_at too to move the start")]
    FinishBeforeStart {
        finished_at: DateTime<Utc>,
        started_at: DateTime<Utc>,
    },
    #[error("finished_at: {finished_at} is before the finish before it ({previous}): an item's finishes stay in the order they happened")]
    FinishBeforePrevious {
        finished_at: DateTime<Utc>,
        previous: DateTime<Utc>,
    },
    #[error("finished_at: only the latest finish can be moved to another day, and only while nothing has changed the item's status since it (a start, an abandon, a removal)")]
    FinishNotMovable,
    #[error("listened: {0} cannot be listened to (a book, an article or a podcast can)")]
    NotListenable(&'static str),
    #[error("nothing to change: give at least one field to change (`at` and `expected_version` alone change nothing)")]
    NothingToChange,
    #[error("the item was never finished: there is no finish to revise")]
    NeverFinished,
    #[error("there is no finish to retract: only the latest finish can be, before the item is started, abandoned or removed again (and only once)")]
    NothingToRetract,
    #[error("there is no start to retract: only the latest start can be, while the item is in progress (not once it is finished, abandoned or removed; and only once)")]
    NothingToUnstart,
    #[error("there is no give-up to take back: the item is {0}, not abandoned (a give-up can be taken back while nothing has changed the item's status since)")]
    NotAbandoned(&'static str),
    #[error("expected version {expected}, but the item is at version {current}")]
    VersionMismatch { expected: i64, current: i64 },
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Queued => "queued",
        Status::InProgress => "in progress",
        Status::Finished => "finished",
        Status::Abandoned => "abandoned",
        Status::Removed => "removed",
    }
}

/// May `event` be appended to an item whose current state is `state` (`None`: no such item)?
///
/// * `item_added` only for a new id; everything else only for an existing, not removed item,
///   but `item_restored`, which needs a removed one.
/// * An item can be finished from any state — including finished, for a re-read — and progress
///   can be logged at any time (logging progress means it is in progress).
/// * Starting needs an item not already in progress; abandoning needs one in progress, and so
///   does moving its start.
/// * A finish can be revised (its rating, review or start) once there is one: the latest is;
///   its read cannot have begun after it. It can be moved to another day while it is the
///   item's last change of status (as it can be retracted), not before its read began nor
///   before the finish before it.
/// * The latest finish can be retracted while nothing else has changed the item's status since
///   (an edit or a revision may come between), once; so can the latest start (progress logged
///   or its day moved may come between; they go with it); a give-up, while the item is
///   abandoned.
pub fn check(state: Option<&ItemState>, event: &ItemEvent) -> Result<(), Rejection> {
    let state = match (state, event) {
        (None, ItemEvent::Added(_)) => return Ok(()),
        (Some(_), ItemEvent::Added(_)) => return Err(Rejection::AlreadyExists),
        (None, _) => return Err(Rejection::NotFound),
        (Some(s), ItemEvent::Restored(_)) if s.status == Status::Removed => return Ok(()),
        (Some(_), ItemEvent::Restored(_)) => return Err(Rejection::NotRemoved),
        (Some(s), _) if s.status == Status::Removed => return Err(Rejection::Removed),
        (Some(s), _) => s,
    };
    match event {
        ItemEvent::Started(_) if state.status == Status::InProgress => {
            Err(Rejection::AlreadyInProgress)
        }
        ItemEvent::Abandoned(_) if state.status != Status::InProgress => {
            Err(Rejection::NotInProgress(status_name(state.status)))
        }
        ItemEvent::StartRevised(_) if state.status != Status::InProgress => {
            Err(Rejection::StartNotInProgress(status_name(state.status)))
        }
        ItemEvent::Edited(e) if e.changes.is_empty() => Err(Rejection::NothingToChange),
        // What the request says comes before what the item's state says.
        ItemEvent::FinishRevised(r)
            if r.rating.is_none()
                && r.review.is_none()
                && r.started_at.is_none()
                && r.finished_at.is_none()
                && r.listened.is_none() =>
        {
            Err(Rejection::NothingToChange)
        }
        ItemEvent::Finished(Finished { listened: true, .. })
        | ItemEvent::FinishRevised(FinishRevised {
            listened: Some(true),
            ..
        }) if !state.kind.can_be_listened_to() => Err(Rejection::NotListenable(state.kind.noun(2))),
        ItemEvent::FinishRevised(_) if state.times_finished == 0 => Err(Rejection::NeverFinished),
        ItemEvent::FinishRevised(r) => revision_fits(state, r),
        ItemEvent::FinishRetracted(_) if state.before_finish.is_none() => {
            Err(Rejection::NothingToRetract)
        }
        ItemEvent::StartRetracted(_)
            if state.before_start.is_none() || state.status != Status::InProgress =>
        {
            Err(Rejection::NothingToUnstart)
        }
        ItemEvent::AbandonRetracted(_) if state.status != Status::Abandoned => {
            Err(Rejection::NotAbandoned(status_name(state.status)))
        }
        _ => Ok(()),
    }
}

/// Whether a revision's days fit the finish it revises: a move only while the finish is the
/// item's last change of status, after the finish before it; a start never after the finish.
fn revision_fits(state: &ItemState, r: &FinishRevised) -> Result<(), Rejection> {
    if let Some(finished_at) = r.finished_at {
        let Some((_, _, previous)) = state
            .before_finish
            .filter(|_| state.status == Status::Finished)
        else {
            return Err(Rejection::FinishNotMovable);
        };
        if let Some(previous) = previous.filter(|p| finished_at < *p) {
            return Err(Rejection::FinishBeforePrevious {
                finished_at,
                previous,
            });
        }
    }
    let finished_at = r.finished_at.or(state.finished_at);
    // A start given is checked against the finish; a finish moved, against its read's start.
    let (started_at, given) = match (r.started_at, r.finished_at) {
        (Some(s), _) => (Some(s), true),
        (None, Some(_)) => (state.finish_started_at, false),
        (None, None) => (None, true),
    };
    match (started_at, finished_at) {
        (Some(started_at), Some(finished_at)) if started_at > finished_at => Err(if given {
            Rejection::StartAfterFinish {
                started_at,
                finished_at,
            }
        } else {
            Rejection::FinishBeforeStart {
                finished_at,
                started_at,
            }
        }),
        _ => Ok(()),
    }
}

/// Optimistic concurrency at the domain level: `expected` (if given) must equal the current
/// stream version (0 for an item that does not exist).
pub fn check_expected_version(current: i64, expected: Option<i64>) -> Result<(), Rejection> {
    match expected {
        Some(expected) if expected != current => {
            Err(Rejection::VersionMismatch { expected, current })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::*;
    use crate::types::*;

    fn at() -> DateTime<Utc> {
        "2026-11-01T20:00:00Z".parse().unwrap()
    }
    fn added() -> ItemEvent {
        ItemEvent::Added(ItemAdded {
            kind: MediaKind::Game,
            title: Title::parse("Outer Wilds").unwrap(),
            creators: vec![],
            url: None,
            cover_url: None,
            tags: vec![],
            visibility: Visibility::Public,
            at: at(),
        })
    }
    fn started() -> ItemEvent {
        ItemEvent::Started(Started { at: at() })
    }
    fn finished() -> ItemEvent {
        ItemEvent::Finished(Finished {
            at: at(),
            rating: None,
            review: None,
            tweet: true,
            listened: false,
        })
    }
    fn abandoned() -> ItemEvent {
        ItemEvent::Abandoned(Abandoned { at: at() })
    }
    fn removed() -> ItemEvent {
        ItemEvent::Removed(Removed { at: at() })
    }
    /// A day of November 2026, in the evening (UTC).
    fn on(day: u32) -> DateTime<Utc> {
        format!("2026-11-{day:02}T20:00:00Z").parse().unwrap()
    }

    fn start(day: u32) -> ItemEvent {
        ItemEvent::Started(Started { at: on(day) })
    }

    fn finish(day: u32) -> ItemEvent {
        ItemEvent::Finished(Finished {
            at: on(day),
            rating: None,
            review: None,
            tweet: true,
            listened: false,
        })
    }

    fn state_after(events: &[ItemEvent]) -> ItemState {
        ItemState::replay(events).unwrap()
    }

    #[test]
    fn adding_needs_a_new_id() {
        assert_eq!(check(None, &added()), Ok(()));
        let s = state_after(&[added()]);
        assert_eq!(check(Some(&s), &added()), Err(Rejection::AlreadyExists));
    }

    #[test]
    fn nothing_happens_to_an_unknown_item() {
        for e in [started(), finished(), abandoned(), removed()] {
            assert_eq!(check(None, &e), Err(Rejection::NotFound));
        }
    }

    #[test]
    fn a_removed_item_cannot_be_finished_or_changed() {
        let s = state_after(&[added(), started(), removed()]);
        assert_eq!(s.status, Status::Removed);
        for e in [started(), finished(), abandoned(), removed()] {
            assert_eq!(check(Some(&s), &e), Err(Rejection::Removed));
        }
    }

    /// A start recorded by mistake is taken back while the item is in progress from it: the
    /// item is where it stood before, up next, finished (its finish retractable again) or
    /// abandoned, the progress logged since going with it; once, and not once the status has
    /// changed.
    #[test]
    fn a_start_is_retracted_back_to_where_the_item_stood() {
        let unstart = || ItemEvent::StartRetracted(StartRetracted { at: on(20) });
        let halfway = || {
            ItemEvent::ProgressLogged(ProgressLogged {
                percent: Some(Percent::parse(50).unwrap()),
                portion: None,
                at: on(12),
            })
        };
        let moved = || {
            ItemEvent::StartRevised(StartRevised {
                started_at: on(2),
                at: on(13),
            })
        };
        let before = state_after(&[added()]);
        for events in [
            vec![added(), start(10)],
            vec![added(), start(10), halfway(), moved()],
            // Progress logged while up next starts it too.
            vec![added(), halfway()],
        ] {
            let s = state_after(&events);
            assert_eq!(check(Some(&s), &unstart()), Ok(()), "{events:?}");
            let mut events = events.clone();
            events.push(unstart());
            let s = state_after(&events);
            assert_eq!(
                (s.status, s.progress, s.started_at, s.in_progress_since()),
                (Status::Queued, None, None, None)
            );
            assert_eq!(
                (s.before_start, s.before_finish, s.times_finished),
                (before.before_start, before.before_finish, 0)
            );
            assert_eq!(
                check(Some(&s), &unstart()),
                Err(Rejection::NothingToUnstart)
            );
        }
        // A re-read begun right after a finish: finished again, on the read it ended, and that
        // finish can be retracted as before the start.
        let read = [added(), start(3), finish(8)];
        let mut events = read.to_vec();
        events.extend([start(10), halfway(), unstart()]);
        let s = state_after(&events);
        let finished = state_after(&read);
        assert_eq!(
            (
                s.status,
                s.progress,
                s.started_at,
                s.finished_at,
                s.finish_started_at
            ),
            (
                Status::Finished,
                None,
                Some(on(3)),
                Some(on(8)),
                Some(on(3))
            )
        );
        assert_eq!(s.before_finish, finished.before_finish);
        let retract = ItemEvent::FinishRetracted(FinishRetracted { at: on(21) });
        assert_eq!(check(Some(&s), &retract), Ok(()));
        // Taken up again after giving up: abandoned again, at the progress it had.
        let mut events = vec![added(), start(3), halfway(), abandoned(), start(15)];
        let given_up = state_after(&events[..4]);
        events.push(unstart());
        let s = state_after(&events);
        assert_eq!(
            (s.status, s.progress, s.started_at),
            (Status::Abandoned, given_up.progress, Some(on(3)))
        );
        // Once the status changed since the start, or never started: nothing to retract.
        for events in [
            vec![added()],
            vec![added(), start(3), finish(8)],
            vec![added(), start(3), abandoned()],
            vec![added(), start(3), finish(8), retract.clone()],
        ] {
            assert_eq!(
                check(Some(&state_after(&events)), &unstart()),
                Err(Rejection::NothingToUnstart),
                "{events:?}"
            );
        }
        let gone = state_after(&[added(), start(3), removed()]);
        assert_eq!(check(Some(&gone), &unstart()), Err(Rejection::Removed));
        let back = state_after(&[
            added(),
            start(3),
            removed(),
            ItemEvent::Restored(Restored { at: on(9) }),
        ]);
        assert_eq!(back.status, Status::InProgress);
        assert_eq!(
            check(Some(&back), &unstart()),
            Err(Rejection::NothingToUnstart)
        );
    }

    #[test]
    fn what_a_read_is_followed_in_is_its_last_count() {
        let count = |done, of, unit, day| {
            ItemEvent::ProgressLogged(ProgressLogged {
                percent: Some(Percent::parse(10).unwrap()),
                portion: Some(Portion::parse_in(done, of, unit).unwrap()),
                at: on(day),
            })
        };
        let percent = ItemEvent::ProgressLogged(ProgressLogged {
            percent: Some(Percent::parse(50).unwrap()),
            portion: None,
            at: on(6),
        });
        let listened = [added(), start(3), count(4800, 15120, Unit::Seconds, 4)];
        assert_eq!(state_after(&listened).followed_in(), Unit::Seconds);
        assert_eq!(state_after(&[added(), start(3)]).followed_in(), Unit::Own);
        let read = [added(), start(3), count(120, 304, Unit::Own, 4)];
        assert_eq!(state_after(&read).followed_in(), Unit::Own);
        // The last count is what it says: in percent after time, a new read begun after it.
        let later = [&listened[..], &[percent]].concat();
        assert_eq!(state_after(&later).followed_in(), Unit::Own);
        let again = [&listened[..], &[finish(9), start(12)]].concat();
        assert_eq!(state_after(&again).followed_in(), Unit::Own);
    }

    #[test]
    fn only_what_can_be_heard_is_finished_as_listened_to() {
        let heard = ItemEvent::Finished(Finished {
            listened: true,
            ..Finished {
                at: on(9),
                rating: None,
                review: None,
                tweet: true,
                listened: false,
            }
        });
        let revised = |listened| {
            ItemEvent::FinishRevised(FinishRevised {
                rating: None,
                review: None,
                started_at: None,
                finished_at: None,
                listened: Some(listened),
                at: on(10),
            })
        };
        // The game of `added()`: neither finished nor revised as heard; said read, it may be.
        let game = state_after(&[added(), finished()]);
        assert_eq!(
            check(Some(&game), &heard),
            Err(Rejection::NotListenable("games"))
        );
        assert_eq!(
            check(Some(&game), &revised(true)),
            Err(Rejection::NotListenable("games"))
        );
        assert_eq!(check(Some(&game), &revised(false)), Ok(()));
        let ItemEvent::Added(game_added) = added() else {
            unreachable!()
        };
        for kind in [MediaKind::Book, MediaKind::Article, MediaKind::Podcast] {
            let item = ItemEvent::Added(ItemAdded {
                kind,
                ..game_added.clone()
            });
            let s = state_after(std::slice::from_ref(&item));
            assert_eq!(check(Some(&s), &heard), Ok(()), "{kind:?}");
            let finished = state_after(&[item, heard.clone()]);
            assert_eq!(check(Some(&finished), &revised(true)), Ok(()), "{kind:?}");
        }
    }

    #[test]
    fn a_give_up_taken_back_goes_on_with_the_read_it_ended() {
        let give_up = || ItemEvent::Abandoned(Abandoned { at: on(10) });
        let unstart = || ItemEvent::StartRetracted(StartRetracted { at: on(16) });
        let unabandon = || ItemEvent::AbandonRetracted(AbandonRetracted { at: on(20) });
        let halfway = ItemEvent::ProgressLogged(ProgressLogged {
            percent: Some(Percent::parse(40).unwrap()),
            portion: Some(Portion::parse(120, 304).unwrap()),
            at: on(5),
        });
        let reading = state_after(&[added(), start(3), halfway.clone()]);
        let s = state_after(&[added(), start(3), halfway.clone(), give_up(), unabandon()]);
        assert_eq!(
            (s.status, s.progress, s.in_progress_since()),
            (Status::InProgress, reading.progress, Some(on(3)))
        );
        // Once: it is in progress now.
        assert_eq!(
            check(Some(&s), &unabandon()),
            Err(Rejection::NotAbandoned("in progress"))
        );
        // Taken up again as a new read, then that start taken back: abandoned as it was, and
        // the give-up can be taken back still. So it can once removed and restored.
        for events in [
            vec![
                added(),
                start(3),
                halfway.clone(),
                give_up(),
                start(15),
                unstart(),
            ],
            vec![
                added(),
                start(3),
                halfway.clone(),
                give_up(),
                removed(),
                ItemEvent::Restored(Restored { at: on(9) }),
            ],
        ] {
            let given_up = state_after(&events);
            assert_eq!(check(Some(&given_up), &unabandon()), Ok(()), "{events:?}");
            let mut again = given_up.clone();
            again.apply(&unabandon());
            assert_eq!(
                (again.status, again.progress, again.in_progress_since()),
                (Status::InProgress, reading.progress, Some(on(3))),
                "{events:?}"
            );
        }
        // Never given up, or its status changed since: nothing to take back.
        for (events, now) in [
            (vec![added()], "queued"),
            (vec![added(), start(3)], "in progress"),
            (vec![added(), start(3), give_up(), start(15)], "in progress"),
            (vec![added(), start(3), give_up(), finish(16)], "finished"),
        ] {
            assert_eq!(
                check(Some(&state_after(&events)), &unabandon()),
                Err(Rejection::NotAbandoned(now)),
                "{events:?}"
            );
        }
        let gone = state_after(&[added(), start(3), give_up(), removed()]);
        assert_eq!(check(Some(&gone), &unabandon()), Err(Rejection::Removed));
    }

    #[test]
    fn a_removed_item_is_restored_to_where_it_stood_once() {
        let restored = || ItemEvent::Restored(Restored { at: at() });
        let halfway = ItemEvent::ProgressLogged(ProgressLogged {
            percent: Some(Percent::parse(40).unwrap()),
            portion: None,
            at: at(),
        });
        let events = [added(), finished(), halfway, removed(), restored()];
        assert_eq!(check(Some(&state_after(&events[..4])), &restored()), Ok(()));
        let s = state_after(&events);
        assert_eq!(
            (
                s.status,
                s.progress.and_then(|p| p.percent).map(Percent::get),
                s.times_finished
            ),
            (Status::InProgress, Some(40), 1)
        );
        assert_eq!(s.before_removal, None);
        // Once, and only a removed item: there is nothing to bring back otherwise.
        for events in [vec![added()], vec![added(), finished()], events.to_vec()] {
            assert_eq!(
                check(Some(&state_after(&events)), &restored()),
                Err(Rejection::NotRemoved),
                "{events:?}"
            );
        }
        assert_eq!(check(None, &restored()), Err(Rejection::NotFound));
        // Then everything may happen to it again, and it can be removed and restored again.
        for e in [abandoned(), finished(), removed()] {
            assert_eq!(check(Some(&s), &e), Ok(()));
        }
        let finished_then_removed = state_after(&[added(), finished(), removed(), restored()]);
        assert_eq!(finished_then_removed.status, Status::Finished);
        // A finish before the removal can no longer be retracted.
        let retract = ItemEvent::FinishRetracted(FinishRetracted { at: at() });
        assert_eq!(
            check(Some(&finished_then_removed), &retract),
            Err(Rejection::NothingToRetract)
        );
    }

    #[test]
    fn an_item_can_be_finished_again() {
        let s = state_after(&[added(), started(), finished(), started(), finished()]);
        assert_eq!(s.times_finished, 2);
        assert_eq!(s.version, 5);
        assert_eq!(check(Some(&s), &finished()), Ok(()));
    }

    #[test]
    fn starting_twice_and_abandoning_what_is_not_started_are_refused() {
        let queued = state_after(&[added()]);
        assert_eq!(
            check(Some(&queued), &abandoned()),
            Err(Rejection::NotInProgress("queued"))
        );
        let reading = state_after(&[added(), started()]);
        assert_eq!(
            check(Some(&reading), &started()),
            Err(Rejection::AlreadyInProgress)
        );
        assert_eq!(check(Some(&reading), &abandoned()), Ok(()));
        let dropped = state_after(&[added(), started(), abandoned()]);
        assert_eq!(
            check(Some(&dropped), &started()),
            Ok(()),
            "picking it up again"
        );
    }

    #[test]
    fn an_empty_edit_is_refused_and_a_real_one_applies() {
        let s = state_after(&[added()]);
        let empty = ItemEvent::Edited(Edited {
            changes: ItemChanges::default(),
            at: at(),
        });
        assert_eq!(check(Some(&s), &empty), Err(Rejection::NothingToChange));
        let private = ItemEvent::Edited(Edited {
            changes: ItemChanges {
                visibility: Some(Visibility::Private),
                ..Default::default()
            },
            at: at(),
        });
        assert_eq!(check(Some(&s), &private), Ok(()));
        assert_eq!(
            state_after(&[added(), private]).visibility,
            Visibility::Private
        );
    }

    #[test]
    fn only_a_finish_can_be_revised_and_a_revision_must_change_something() {
        let revision = |rating: Option<Option<Rating>>| {
            ItemEvent::FinishRevised(FinishRevised {
                rating,
                review: None,
                started_at: None,
                finished_at: None,
                listened: None,
                at: at(),
            })
        };
        let five = Some(Some(Rating::parse(5.0).unwrap()));
        let reading = state_after(&[added(), started()]);
        assert_eq!(
            check(Some(&reading), &revision(five)),
            Err(Rejection::NeverFinished)
        );
        let done = state_after(&[added(), finished()]);
        assert_eq!(check(Some(&done), &revision(five)), Ok(()));
        assert_eq!(check(Some(&done), &revision(Some(None))), Ok(()), "cleared");
        assert_eq!(
            check(Some(&done), &revision(None)),
            Err(Rejection::NothingToChange)
        );
        // Reading it again does not take the last finish away.
        let rereading = state_after(&[added(), finished(), started()]);
        assert_eq!(check(Some(&rereading), &revision(five)), Ok(()));
        let after = state_after(&[added(), finished(), revision(five)]);
        assert_eq!((after.status, after.version), (Status::Finished, 3));
    }

    #[test]
    fn the_latest_finish_can_be_retracted_once_back_to_where_the_item_stood() {
        let retract = || ItemEvent::FinishRetracted(FinishRetracted { at: at() });
        // In pages: retracting the finish brings back the page too.
        let page = Portion::parse(122, 304).unwrap();
        let halfway = ItemEvent::ProgressLogged(ProgressLogged {
            percent: page.percent(),
            portion: Some(page),
            at: at(),
        });
        let edit = ItemEvent::Edited(Edited {
            changes: ItemChanges {
                title: Some(Title::parse("Outer Wilds (2019)").unwrap()),
                ..Default::default()
            },
            at: at(),
        });
        // Back to in progress, at 40%, with an edit between the finish and its retraction.
        let events = [added(), halfway, finished(), edit, retract()];
        let s = state_after(&events);
        assert_eq!(check(Some(&state_after(&events[..4])), &retract()), Ok(()));
        assert_eq!(
            (s.status, s.progress, s.times_finished),
            (
                Status::InProgress,
                Some(Progress {
                    percent: Some(Percent::parse(40).unwrap()),
                    portion: Some(page)
                }),
                0
            )
        );
        assert_eq!(s.title.as_str(), "Outer Wilds (2019)");
        // Once: the finish before it is not the one taken back.
        assert_eq!(
            check(Some(&s), &retract()),
            Err(Rejection::NothingToRetract)
        );
        // A re-read's finish goes back to the finish before it.
        let reread = state_after(&[added(), finished(), finished(), retract()]);
        assert_eq!(
            (reread.status, reread.times_finished),
            (Status::Finished, 1)
        );
        // Nothing to retract: never finished, or its status changed since.
        for events in [
            vec![added()],
            vec![added(), started()],
            vec![added(), finished(), started()],
            vec![added(), started(), finished(), started(), abandoned()],
        ] {
            let s = state_after(&events);
            assert_eq!(
                check(Some(&s), &retract()),
                Err(Rejection::NothingToRetract),
                "{events:?}"
            );
        }
        assert_eq!(
            check(
                Some(&state_after(&[added(), finished(), removed()])),
                &retract()
            ),
            Err(Rejection::Removed)
        );
    }

    #[test]
    fn a_read_in_progress_knows_when_it_began_until_it_ends() {
        let progress = |day| {
            ItemEvent::ProgressLogged(ProgressLogged {
                percent: Some(Percent::parse(50).unwrap()),
                portion: None,
                at: on(day),
            })
        };
        let since = |events: &[ItemEvent]| state_after(events).in_progress_since();
        assert_eq!(since(&[added()]), None);
        assert_eq!(since(&[added(), start(2)]), Some(on(2)));
        // Progress logged goes on with the read in progress; logged first, it starts one.
        assert_eq!(since(&[added(), start(2), progress(5)]), Some(on(2)));
        assert_eq!(since(&[added(), progress(5), progress(9)]), Some(on(5)));
        // Ended: by a finish, an abandon, a removal.
        assert_eq!(since(&[added(), start(2), finish(9)]), None);
        assert_eq!(since(&[added(), start(2), abandoned()]), None);
        assert_eq!(since(&[added(), start(2), removed()]), None);
        // A re-read begins again; progress after a finish is a new read too.
        assert_eq!(
            since(&[added(), start(2), finish(9), start(12)]),
            Some(on(12))
        );
        assert_eq!(
            since(&[added(), start(2), finish(9), progress(14)]),
            Some(on(14))
        );
        // Taking the finish back, or restoring the item, brings the read back as it was.
        let retract = ItemEvent::FinishRetracted(FinishRetracted { at: on(10) });
        assert_eq!(since(&[added(), start(2), finish(9), retract]), Some(on(2)));
        let restore = ItemEvent::Restored(Restored { at: on(10) });
        assert_eq!(since(&[added(), start(2), removed(), restore]), Some(on(2)));
    }

    #[test]
    fn the_start_of_a_read_in_progress_can_be_moved_and_nothing_else_changes() {
        let moved = |day| {
            ItemEvent::StartRevised(StartRevised {
                started_at: on(day),
                at: on(20),
            })
        };
        let progress = ItemEvent::ProgressLogged(ProgressLogged {
            percent: Some(Percent::parse(40).unwrap()),
            portion: None,
            at: on(15),
        });
        let reading = state_after(&[added(), started(), progress.clone()]);
        assert_eq!(check(Some(&reading), &moved(3)), Ok(()));
        let after = state_after(&[added(), started(), progress, moved(3)]);
        assert_eq!(after.in_progress_since(), Some(on(3)));
        // The read goes on where it was: in progress at 40%.
        assert_eq!(
            (after.status, after.progress, after.times_finished),
            (reading.status, reading.progress, reading.times_finished)
        );
        // Its finish then keeps the moved start; a finished, queued or abandoned item has no
        // read in progress to move.
        for (events, status) in [
            (vec![added()], "queued"),
            (vec![added(), started(), finished()], "finished"),
            (vec![added(), started(), abandoned()], "abandoned"),
        ] {
            assert_eq!(
                check(Some(&state_after(&events)), &moved(3)),
                Err(Rejection::StartNotInProgress(status))
            );
        }
        let finished_after = state_after(&[added(), started(), moved(3), finished()]);
        assert_eq!(finished_after.started_at, Some(on(3)));
    }

    #[test]
    fn a_finished_reads_start_is_revised_with_its_finish_never_after_it() {
        let begun = |day| {
            ItemEvent::FinishRevised(FinishRevised {
                rating: None,
                review: None,
                started_at: Some(on(day)),
                finished_at: None,
                listened: None,
                at: on(25),
            })
        };
        let retract = ItemEvent::FinishRetracted(FinishRetracted { at: on(25) });
        let done = state_after(&[added(), start(10), finish(20)]);
        assert_eq!(check(Some(&done), &begun(3)), Ok(()));
        assert_eq!(
            check(Some(&done), &begun(20)),
            Ok(()),
            "begun the day it ended"
        );
        assert_eq!(
            check(Some(&done), &begun(21)),
            Err(Rejection::StartAfterFinish {
                started_at: on(21),
                finished_at: on(20)
            })
        );
        // Taken back, the read is in progress again, begun when its finish said.
        let back = state_after(&[added(), start(10), finish(20), begun(3), retract.clone()]);
        assert_eq!(back.in_progress_since(), Some(on(3)));
        // The finish before a retracted one is the latest again: its own day bounds its start.
        let again = state_after(&[added(), finish(5), start(10), finish(20), retract]);
        assert_eq!(again.finished_at, Some(on(5)));
        assert!(matches!(
            check(Some(&again), &begun(6)),
            Err(Rejection::StartAfterFinish { .. })
        ));
        // A re-read in progress keeps its own start: the revision is the earlier finish's.
        let rereading = state_after(&[added(), start(2), finish(5), start(10), begun(1)]);
        assert_eq!(rereading.in_progress_since(), Some(on(10)));
        assert_eq!(
            check(Some(&state_after(&[added(), start(10)])), &begun(3)),
            Err(Rejection::NeverFinished)
        );
    }

    #[test]
    fn a_finish_moves_to_another_day_while_it_is_the_items_last_change_of_status() {
        let revise = |started: Option<u32>, finished: u32| {
            ItemEvent::FinishRevised(FinishRevised {
                rating: None,
                review: None,
                started_at: started.map(on),
                finished_at: Some(on(finished)),
                listened: None,
                at: on(25),
            })
        };
        let done = [added(), start(10), finish(20)];
        let state = state_after(&done);
        assert_eq!(check(Some(&state), &revise(None, 19)), Ok(()));
        assert_eq!(
            check(Some(&state), &revise(None, 10)),
            Ok(()),
            "the day it began"
        );
        let after = state_after(&[&done[..], &[revise(None, 19)]].concat());
        assert_eq!(
            (after.finished_at, after.status, after.times_finished),
            (Some(on(19)), Status::Finished, 1)
        );
        // Never before its read began, unless the start moves too; nor before the finish
        // before it.
        assert_eq!(
            check(Some(&state), &revise(None, 9)),
            Err(Rejection::FinishBeforeStart {
                finished_at: on(9),
                started_at: on(10)
            })
        );
        assert_eq!(check(Some(&state), &revise(Some(8), 9)), Ok(()));
        assert_eq!(
            check(Some(&state), &revise(Some(12), 11)),
            Err(Rejection::StartAfterFinish {
                started_at: on(12),
                finished_at: on(11)
            })
        );
        let reread = state_after(&[added(), finish(5), start(10), finish(20)]);
        assert_eq!(
            check(Some(&reread), &revise(Some(4), 4)),
            Err(Rejection::FinishBeforePrevious {
                finished_at: on(4),
                previous: on(5)
            })
        );
        // A finish moved then taken back: the finish before it is the latest again, where it was.
        let back = state_after(&[
            added(),
            finish(5),
            finish(20),
            revise(None, 18),
            ItemEvent::FinishRetracted(FinishRetracted { at: on(25) }),
        ]);
        assert_eq!(back.finished_at, Some(on(5)));
        // Once the status changed since (read again, abandoned, removed and restored), or
        // after a retraction, the finish stays on its day.
        for events in [
            vec![added(), finish(20), start(21)],
            vec![added(), finish(20), start(21), abandoned()],
            vec![
                added(),
                finish(20),
                removed(),
                ItemEvent::Restored(Restored { at: on(22) }),
            ],
            vec![
                added(),
                finish(5),
                finish(20),
                ItemEvent::FinishRetracted(FinishRetracted { at: on(21) }),
            ],
        ] {
            let s = state_after(&events);
            assert_eq!(
                check(Some(&s), &revise(None, 19)),
                Err(Rejection::FinishNotMovable),
                "{events:?}"
            );
            let moved = state_after(&[&events[..], &[revise(None, 19)]].concat());
            assert_eq!(moved.finished_at, s.finished_at, "{events:?}");
        }
    }

    #[test]
    fn expected_versions_must_match_exactly() {
        assert_eq!(check_expected_version(3, None), Ok(()));
        assert_eq!(check_expected_version(3, Some(3)), Ok(()));
        assert_eq!(
            check_expected_version(3, Some(2)),
            Err(Rejection::VersionMismatch {
                expected: 2,
                current: 3
            })
        );
        assert_eq!(check_expected_version(0, Some(0)), Ok(()));
    }
}
