//! The read model: the whole log folded into memory by a pure reducer.
//!
//! [`Projection::apply`] is the only way state changes, it does no I/O, and it is deterministic,
//! so every replica that has applied the same positions holds the same state — which
//! [`Projection::state_hash`] lets them prove to each other. Queries ([`Projection::feed`] and
//! friends) are pure functions of the state, and all of them can answer "as of" an earlier
//! position, because each item keeps its own history.
//!
//! Everything a query returns is public: an item is shown only if it is public and not removed
//! now, *and* was so at the position asked about. Making an item private hides it from every
//! answer, past ones included. The one exception is [`Projection::owner_items`], the owner's
//! own list, which readers serve only to the owner's token.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use lately_domain::event::Finished;
use lately_domain::{ItemEvent, ItemState, MediaKind, Rating, Review, Status, Tag, Visibility};
use serde::{Deserialize, Serialize};

mod favourites;
mod goal;
mod history;
mod query;
mod snapshot;
mod zone;

pub use favourites::favourites;
pub use goal::{Goal, Goals, Pace};
pub use history::HistoryError;
use history::SkimmedEvent;
pub use query::{
    FeedEntry, FeedQuery, ItemFilter, ItemView, LiveEvent, OwnerItem, OwnerQuery, Page, Stats,
    StatsQuery, TagCount,
};
pub use snapshot::SnapshotError;
pub use zone::Zone;

/// Bump whenever a change to this crate would fold the same events into a different state, or
/// store it differently: snapshots taken by older code are then ignored instead of loaded.
///
/// 2: snapshots are postcard-encoded item histories (1 was the projection as JSON).
/// 3: a finish in a history keeps whether it may be tweeted.
/// 4: progress may be counted in running time (a history variant older code cannot read).
/// 5: a finish, or a revision of one, may say it was listened to (two more variants).
/// 6: progress may be time spent of no known whole, a game's hours played (one more variant).
/// 7: progress may be a show's episode of a season (one more variant).
pub const PROJECTION_VERSION: i32 = 7;

/// One event of an item's history, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: ItemEvent,
}

impl From<history::Entry> for HistoryEntry {
    fn from(e: history::Entry) -> Self {
        Self {
            position: e.position,
            recorded_at: e.recorded_at,
            event: e.event,
        }
    }
}

/// An item: what the queries filter by, and every event it had, encoded (see [`history`]).
///
/// The full state (title, creators, links, …) is not kept: it is folded from the history when
/// an answer shows the item, which costs a microsecond or two, for the twenty items of a page
/// (and pages are cached). Keeping it cost about 200 bytes per item, for every item.
#[derive(Debug, Clone)]
struct ItemRecord {
    summary: Summary,
    history: History,
}

/// An item's encoded history.
#[derive(Debug, Clone)]
enum History {
    /// Bytes of its own, exactly sized: most items are never touched again.
    Owned(Box<[u8]>),
    /// A range of the snapshot the projection was loaded from ([`Projection::loaded`]).
    /// Copying half a million histories out of the snapshot into allocations of their own was
    /// a fifth of a reader's start, and the copies took as much memory as the snapshot. An
    /// item moves to bytes of its own at its next event.
    Loaded { start: u32, len: u32 },
}

impl Default for History {
    fn default() -> Self {
        Self::Owned(Box::default())
    }
}

/// The fields of an item's state that decide whether, and under which filters, it is shown.
/// Folded alongside the history by the same rules as [`ItemState::apply`] — a property test
/// holds the two folds together.
#[derive(Debug, Clone, PartialEq)]
struct Summary {
    kind: MediaKind,
    visibility: Visibility,
    status: Status,
    added_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Shared (see [`Interner`]).
    tags: Arc<[Tag]>,
    /// The status before the latest finish, while there is one to retract (as
    /// `ItemState::before_finish`, without the progress).
    before_finish: Option<Status>,
    /// The status before the item was removed, while it is (as `ItemState::before_removal`).
    before_removal: Option<Status>,
    /// The status before the latest start and its `before_finish` then, while there is a start
    /// to retract (as `ItemState::before_start`, without the progress).
    before_start: Option<(Status, Option<Status>)>,
}

/// What the summary fold reads of an event. Made from a domain event ([`Change::of`]) when
/// one is applied, and from a skimmed one when a snapshot loads (see [`load_items`]), so that
/// both go through the same rules.
enum Change {
    Added {
        kind: MediaKind,
        visibility: Visibility,
        tags: Arc<[Tag]>,
    },
    Status(Status),
    Edited {
        kind: Option<MediaKind>,
        visibility: Option<Visibility>,
        tags: Option<Arc<[Tag]>>,
    },
    /// Nothing the summary holds but the time it was last touched (a finish revised).
    Touched,
    /// The latest finish taken back: the status goes back to what it was before it.
    Retracted,
    /// The latest start taken back: the status goes back to what it was before it.
    Unstarted,
    /// The give-up taken back: in progress again, if abandoned.
    Unabandoned,
    /// The removed item brought back: the status goes back to what it was before.
    Restored,
}

impl Change {
    fn of(event: &ItemEvent) -> Self {
        match event {
            ItemEvent::Added(a) => Self::Added {
                kind: a.kind,
                visibility: a.visibility,
                tags: a.tags.as_slice().into(),
            },
            ItemEvent::Started(_) | ItemEvent::ProgressLogged(_) => {
                Self::Status(Status::InProgress)
            }
            ItemEvent::Finished(_) => Self::Status(Status::Finished),
            ItemEvent::Abandoned(_) => Self::Status(Status::Abandoned),
            ItemEvent::Removed(_) => Self::Status(Status::Removed),
            ItemEvent::Edited(e) => Self::Edited {
                kind: e.changes.kind,
                visibility: e.changes.visibility,
                tags: e.changes.tags.as_deref().map(Into::into),
            },
            ItemEvent::FinishRevised(_) | ItemEvent::StartRevised(_) => Self::Touched,
            ItemEvent::FinishRetracted(_) => Self::Retracted,
            ItemEvent::StartRetracted(_) => Self::Unstarted,
            ItemEvent::AbandonRetracted(_) => Self::Unabandoned,
            ItemEvent::Restored(_) => Self::Restored,
        }
    }
}

impl Summary {
    /// The summary after an item's first event; `None` unless that added it.
    fn first(at: DateTime<Utc>, change: Change) -> Option<Self> {
        match change {
            Change::Added {
                kind,
                visibility,
                tags,
            } => Some(Self {
                kind,
                visibility,
                status: Status::Queued,
                added_at: at,
                updated_at: at,
                tags,
                before_finish: None,
                before_removal: None,
                before_start: None,
            }),
            _ => None,
        }
    }

    fn apply(&mut self, at: DateTime<Utc>, change: Change) {
        self.updated_at = self.updated_at.max(at);
        match change {
            Change::Added {
                kind,
                visibility,
                tags,
            } => {
                self.kind = kind;
                self.visibility = visibility;
                self.tags = tags;
            }
            Change::Status(status) => {
                if status != Status::InProgress {
                    self.before_start = None;
                } else if self.status != Status::InProgress {
                    self.before_start = Some((self.status, self.before_finish));
                }
                self.before_finish = (status == Status::Finished).then_some(self.status);
                if status == Status::Removed && self.status != Status::Removed {
                    self.before_removal = Some(self.status);
                }
                self.status = status;
            }
            Change::Restored => {
                if let Some(status) = self.before_removal.take() {
                    self.status = status;
                }
            }
            Change::Retracted => {
                if let Some(status) = self.before_finish.take() {
                    self.status = status;
                }
            }
            Change::Unstarted => {
                if let Some((status, before_finish)) = self.before_start.take() {
                    self.status = status;
                    self.before_finish = before_finish;
                }
            }
            Change::Unabandoned => {
                if self.status == Status::Abandoned {
                    self.status = Status::InProgress;
                }
            }
            Change::Touched => {}
            Change::Edited {
                kind,
                visibility,
                tags,
            } => {
                if let Some(kind) = kind {
                    self.kind = kind;
                }
                if let Some(visibility) = visibility {
                    self.visibility = visibility;
                }
                if let Some(tags) = tags {
                    self.tags = tags;
                }
            }
        }
    }

    fn shown(&self) -> bool {
        self.visibility.is_public() && self.status != Status::Removed
    }

    fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.as_str() == tag)
    }

    /// In the public answers now, or (`owner`) in the owner's: not removed.
    fn counted(&self, owner: bool) -> bool {
        match owner {
            true => self.status != Status::Removed,
            false => self.shown(),
        }
    }
}

impl ItemRecord {
    /// Its encoded history; `loaded` is the snapshot the projection was loaded from.
    fn history<'a>(&'a self, loaded: &'a [u8]) -> &'a [u8] {
        match &self.history {
            History::Owned(bytes) => bytes,
            History::Loaded { start, len } => {
                let start = *start as usize;
                &loaded[start..start + *len as usize]
            }
        }
    }

    /// Its events from the first up to `as_of` (all of them: `None`), oldest first. The bytes
    /// were encoded by this process or came with a snapshot whose hash matched; should they
    /// still not decode, the history ends where they stop.
    fn entries<'a>(
        &'a self,
        loaded: &'a [u8],
        as_of: Option<i64>,
    ) -> impl Iterator<Item = history::Entry> + 'a {
        history::entries(self.history(loaded))
            .map_while(Result::ok)
            .take_while(move |e| as_of.is_none_or(|p| e.position <= p))
    }

    /// The keys its finishes were recorded under, oldest first (retracted ones too; a moved
    /// one's key as of a position is [`Projection::key_as_of`]). Finishes are rare per item
    /// and histories short: looked up here rather than kept for every item.
    fn finish_keys<'a>(&'a self, loaded: &'a [u8]) -> impl Iterator<Item = FinishKey> + 'a {
        history::skim(self.history(loaded))
            .map_while(Result::ok)
            .filter(|e| matches!(e.event, SkimmedEvent::Finished { .. }))
            .map(|e| (e.at, e.position))
    }

    /// The item as it stood at `as_of`, or now (`None`: not added yet).
    fn at(&self, loaded: &[u8], as_of: Option<i64>) -> Option<ItemState> {
        let events: Vec<ItemEvent> = self.entries(loaded, as_of).map(|e| e.event).collect();
        ItemState::replay(&events)
    }

    fn push(
        &mut self,
        loaded: &[u8],
        position: i64,
        recorded_at: DateTime<Utc>,
        event: &ItemEvent,
    ) {
        let mut bytes = match std::mem::take(&mut self.history) {
            History::Owned(bytes) => bytes.into_vec(),
            History::Loaded { start, len } => {
                let start = start as usize;
                loaded[start..start + len as usize].to_vec()
            }
        };
        history::push(&mut bytes, position, recorded_at, event);
        // Exactly sized: most items are never touched again.
        self.history = History::Owned(bytes.into_boxed_slice());
    }
}

/// A finish, keyed in the projection by `(at, position)` so the feed is "newest first" with
/// ties broken by log order.
#[derive(Debug, Clone, PartialEq)]
struct FinishRecord {
    item_id: Arc<str>,
    rating: Option<Rating>,
    review: Option<Review>,
    /// Said to be listened to when it was recorded (see [`Finished::listened`]).
    listened: bool,
}

/// A finish's key: when it happened, then its log position (the feed's order).
type FinishKey = (DateTime<Utc>, i64);

/// Where a finish moved: from which log position on it happened on which day.
type Move = (i64, DateTime<Utc>);

/// A finish's values from `position` on, revised at `at`.
#[derive(Debug, Clone, PartialEq)]
struct Revision {
    position: i64,
    at: DateTime<Utc>,
    rating: Option<Rating>,
    review: Option<Review>,
    /// When its read began, if a revision (this or an earlier one) said; else it is folded
    /// from the item's history before the finish.
    started_at: Option<DateTime<Utc>>,
    listened: bool,
}

/// A finish's rating and review as of some position, and when they were last revised.
struct Values<'a> {
    rating: Option<Rating>,
    review: Option<&'a Review>,
    /// The start a revision gave it, if one did.
    started_at: Option<DateTime<Utc>>,
    /// Whether it was said to be listened to.
    listened: bool,
    revised_at: Option<DateTime<Utc>>,
}

/// What one revision changes: `None` leaves a field as it was; a rating or review of `Some(None)`
/// clears it.
struct Revised {
    rating: Option<Option<Rating>>,
    review: Option<Option<Review>>,
    started_at: Option<DateTime<Utc>>,
    listened: Option<bool>,
}

impl FinishRecord {
    fn new(
        item_id: Arc<str>,
        rating: Option<Rating>,
        review: Option<Review>,
        listened: bool,
    ) -> Self {
        Self {
            item_id,
            rating,
            review,
            listened,
        }
    }

    /// Its rating and review as of `as_of` (now: `None`), given its `revisions`.
    fn values<'a>(&'a self, revisions: &'a [Revision], as_of: Option<i64>) -> Values<'a> {
        let revised = revisions
            .iter()
            .take_while(|r| as_of.is_none_or(|p| r.position <= p))
            .last();
        match revised {
            Some(r) => Values {
                rating: r.rating,
                review: r.review.as_ref(),
                started_at: r.started_at,
                listened: r.listened,
                revised_at: Some(r.at),
            },
            None => Values {
                rating: self.rating,
                review: self.review.as_ref(),
                started_at: None,
                listened: self.listened,
                revised_at: None,
            },
        }
    }

    /// `revisions` with the one at `position`, made at `at`, added (positions only grow).
    fn revise(
        &self,
        revisions: &mut Vec<Revision>,
        (position, at): (i64, DateTime<Utc>),
        revised: Revised,
    ) {
        let now = self.values(revisions, None);
        let revision = Revision {
            position,
            at,
            rating: revised.rating.unwrap_or(now.rating),
            review: revised.review.unwrap_or_else(|| now.review.cloned()),
            started_at: revised.started_at.or(now.started_at),
            listened: revised.listened.unwrap_or(now.listened),
        };
        revisions.push(revision);
    }
}

/// The whole read model.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    position: i64,
    events_applied: u64,
    /// The ids are shared with the finishes that refer to them.
    items: BTreeMap<Arc<str>, ItemRecord>,
    /// Derived from the items' histories (and rebuilt from them when a snapshot loads), kept
    /// sorted for the feed.
    finishes: BTreeMap<(DateTime<Utc>, i64), FinishRecord>,
    /// The finishes' revisions, by the finish's position, oldest first, for the answers as of
    /// a position: the state at a position never changes. Kept apart from the finishes, which
    /// most never have one: a field in each would cost every finish a few words.
    revisions: BTreeMap<i64, Box<[Revision]>>,
    /// The finishes taken back, by position, with the position of the retraction: from there
    /// on they are in no answer; as of an earlier position they still are. Rare, so apart too.
    retracted: BTreeMap<i64, i64>,
    /// The finishes moved to another day, by position: when each happened from which position
    /// on, the day it was recorded with first. A moved finish is in `finishes` under each of
    /// its days, and stands under the one it had as of the answer's position (see
    /// [`Projection::stands`]). Rare, so apart too.
    moves: BTreeMap<i64, Box<[Move]>>,
    /// The same finishes by log position, for "what is new since position P" (live streams).
    /// Positions only grow, so this stays sorted by pushing.
    finish_times: Vec<(i64, DateTime<Utc>)>,
    /// The events that may change a finish already in the feed, or take it out — edits,
    /// removals, revisions, retractions — by log position, with their item: what a live stream sends updates for. Rare next to
    /// finishes; sorted by pushing, like `finish_times`.
    touches: Vec<(i64, Arc<str>)>,
    interned: Interner,
    /// The snapshot this projection was loaded from, which the items' histories point into
    /// (see [`History::Loaded`]); empty when it was not. Kept whole for as long as the
    /// projection lives: its size is bounded by the snapshot's, and a restart loads a new one.
    loaded: Arc<Vec<u8>>,
}

/// Equal when they hold the same state, wherever their histories' bytes are kept.
impl PartialEq for Projection {
    fn eq(&self, other: &Self) -> bool {
        self.position == other.position
            && self.events_applied == other.events_applied
            && self.finishes == other.finishes
            && self.revisions == other.revisions
            && self.retracted == other.retracted
            && self.moves == other.moves
            && self.finish_times == other.finish_times
            && self.touches == other.touches
            && self.items.len() == other.items.len()
            && self.items.iter().zip(&other.items).all(|((a, x), (b, y))| {
                a == b
                    && x.summary == y.summary
                    && x.history(&self.loaded) == y.history(&other.loaded)
            })
    }
}

/// Canonical copies of tag lists: most items share one of a handful. A cache, not state: it
/// never makes two projections unequal, and it only grows (by the distinct lists ever seen).
#[derive(Debug, Clone, Default)]
struct Interner {
    tags: HashSet<Arc<[Tag]>>,
}

impl PartialEq for Interner {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Interner {
    /// Replaces the summary's tag list by its shared copy.
    fn intern(&mut self, summary: &mut Summary) {
        summary.tags = self.share(summary.tags.clone());
    }

    /// The shared copy of `tags`.
    fn share(&mut self, tags: Arc<[Tag]>) -> Arc<[Tag]> {
        match self.tags.get(&tags) {
            Some(shared) => shared.clone(),
            None => {
                self.tags.insert(tags.clone());
                tags
            }
        }
    }
}

/// Whether `event` may change a finish already in the feed, or take it out: what a live stream
/// follows.
fn touches_finishes(event: &ItemEvent) -> bool {
    matches!(
        event,
        ItemEvent::Edited(_)
            | ItemEvent::Removed(_)
            | ItemEvent::FinishRevised(_)
            | ItemEvent::FinishRetracted(_)
            | ItemEvent::Restored(_)
    )
}

impl Projection {
    pub fn new() -> Self {
        Self::default()
    }

    /// The position of the last event applied.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// `as_of` as the queries use it. A position at or past the last one applied asks for the
    /// state as it is now, which the items' summaries answer, folding only the items a query
    /// shows; with a position, every candidate is folded up to it — a replay's worth of work
    /// per request on a large log. Readers name the position they answer for (so that one
    /// answer holds together), and that is nearly always the current one.
    fn past(&self, as_of: Option<i64>) -> Option<i64> {
        as_of.filter(|p| *p < self.position)
    }

    pub fn events_applied(&self) -> u64 {
        self.events_applied
    }

    /// Applies the event at `position` of stream `item_id`. Events at or below the current
    /// position are ignored, so applying a page twice changes nothing. Never panics.
    pub fn apply(
        &mut self,
        position: i64,
        item_id: &str,
        recorded_at: DateTime<Utc>,
        event: &ItemEvent,
    ) {
        if position <= self.position {
            return;
        }
        self.position = position;
        self.events_applied += 1;
        let Some(record) = self.items.get_mut(item_id) else {
            // An event for an item that was never added cannot pass the writer's checks; if a
            // log holds one anyway, it is skipped rather than invented into an item.
            if let Some(summary) = Summary::first(event.at(), Change::of(event)) {
                let mut record = ItemRecord {
                    summary,
                    history: History::default(),
                };
                self.interned.intern(&mut record.summary);
                record.push(&self.loaded, position, recorded_at, event);
                self.items.insert(item_id.into(), record);
            }
            return;
        };
        // A retraction takes back the latest finish only when the item's state has one to take
        // back (the writer's rule; a log holding another is read as `ItemState` reads it).
        let retracting = matches!(event, ItemEvent::FinishRetracted(_))
            && record.summary.before_finish.is_some();
        // A finish moves to another day only while it is the item's last change of status
        // (`ItemState::apply`'s rule).
        let movable = record.summary.before_finish.is_some();
        record.summary.apply(event.at(), Change::of(event));
        if matches!(event, ItemEvent::Added(_) | ItemEvent::Edited(_)) {
            self.interned.intern(&mut record.summary);
        }
        record.push(&self.loaded, position, recorded_at, event);
        match event {
            ItemEvent::Finished(finish) => {
                // The finish shares the item's id rather than holding a copy.
                let (id, _) = self.items.get_key_value(item_id).expect("found above");
                self.add_finish(id.clone(), position, finish);
            }
            ItemEvent::FinishRetracted(_) if retracting => {
                // Retractions are rare and histories short: the finish is looked up in the
                // item's history rather than kept for every item. Nothing changed the status
                // since it, so it is the last finish there.
                if let Some((_, finish)) = record.finish_keys(&self.loaded).last() {
                    self.retracted.insert(finish, position);
                }
            }
            ItemEvent::FinishRevised(revision) => {
                // The latest finish not taken back, looked up as a retraction's is, under the
                // day it has now.
                let latest = record
                    .finish_keys(&self.loaded)
                    .filter(|(_, p)| !self.retracted.contains_key(p))
                    .last()
                    .map(|key| self.key_as_of(key, None));
                if let Some((key, finish)) = latest.and_then(|k| self.finishes.get_key_value(&k)) {
                    let key = *key;
                    let mut all = self
                        .revisions
                        .remove(&key.1)
                        .map(Vec::from)
                        .unwrap_or_default();
                    finish.revise(
                        &mut all,
                        (position, revision.at),
                        Revised {
                            rating: revision.rating,
                            review: revision.review.clone(),
                            started_at: revision.started_at,
                            listened: revision.listened,
                        },
                    );
                    // The finish is copied under its new day only when it moves.
                    let moved = revision.finished_at.filter(|_| movable);
                    let moved = moved.map(|day| (day, finish.clone()));
                    self.revisions.insert(key.1, all.into_boxed_slice());
                    if let Some((day, finish)) = moved {
                        self.move_finish(key, finish, position, day);
                    }
                }
            }
            _ => {}
        }
        if touches_finishes(event) {
            let (id, _) = self.items.get_key_value(item_id).expect("found above");
            self.touches.push((position, id.clone()));
        }
    }

    /// Whether the finish under `key` is in the answers as of `as_of` (now: `None`): not taken
    /// back by then, and under this key then — a finish moved to another day is under the
    /// day it had at that position.
    fn stands(&self, (at, position): &FinishKey, as_of: Option<i64>) -> bool {
        let retracted = self
            .retracted
            .get(position)
            .is_some_and(|r| as_of.is_none_or(|p| *r <= p));
        !retracted && self.moved_to(*position, as_of).is_none_or(|day| day == *at)
    }

    /// Which of item `id`'s finishes the one under `key` is, as of `as_of`: those that stand
    /// then, up to it in the order they happened. An item's history is short and skimmed
    /// (as the item's page does), only for the entries an answer holds.
    fn finish_number(&self, id: &str, key: &FinishKey, as_of: Option<i64>) -> u32 {
        let Some(record) = self.items.get(id) else {
            return 1;
        };
        let before = record
            .finish_keys(&self.loaded)
            .filter(|(_, position)| as_of.is_none_or(|p| *position <= p))
            .map(|k| self.key_as_of(k, as_of))
            .filter(|k| k <= key && self.stands(k, as_of))
            .count();
        u32::try_from(before.max(1)).unwrap_or(u32::MAX)
    }

    /// When the finish at `position` happened as of `as_of`, if it was ever moved.
    fn moved_to(&self, position: i64, as_of: Option<i64>) -> Option<DateTime<Utc>> {
        self.moves
            .get(&position)?
            .iter()
            .take_while(|(from, _)| as_of.is_none_or(|p| *from <= p))
            .last()
            .map(|(_, day)| *day)
    }

    /// The key of a finish as of `as_of`, from the key it was recorded under.
    fn key_as_of(&self, (at, position): FinishKey, as_of: Option<i64>) -> FinishKey {
        (self.moved_to(position, as_of).unwrap_or(at), position)
    }

    /// Moves the finish under `key` to `day` from `position` on: indexed under that day too
    /// (unless it was there before), with its revisions, which are kept by position.
    fn move_finish(
        &mut self,
        key: FinishKey,
        finish: FinishRecord,
        position: i64,
        day: DateTime<Utc>,
    ) {
        if day == key.0 {
            return;
        }
        // Its first entry is the day it was recorded with, from its own position on.
        let mut moves = self
            .moves
            .remove(&key.1)
            .map_or_else(|| vec![(key.1, key.0)], Vec::from);
        moves.push((position, day));
        self.moves.insert(key.1, moves.into_boxed_slice());
        self.finishes.entry((day, key.1)).or_insert(finish);
    }

    /// The kind of the item `id` now, private or removed ones' too (for the notifier, which
    /// tweets the finishes of the kinds it is told to).
    pub fn kind(&self, id: &str) -> Option<MediaKind> {
        self.items.get(id).map(|r| r.summary.kind)
    }

    /// Whether the finish recorded at `position` has been taken back (for the notifier, which
    /// tweets a finish only while it stands).
    pub fn finish_retracted(&self, position: i64) -> bool {
        self.retracted.contains_key(&position)
    }

    /// The log position of the finish that the retraction at `retraction` took back, if it
    /// took one back (for the notifier, which deletes that finish's tweet). Retractions are
    /// rare: a scan of them.
    pub fn retracted_by(&self, retraction: i64) -> Option<i64> {
        self.retracted
            .iter()
            .find(|(_, r)| **r == retraction)
            .map(|(position, _)| *position)
    }

    /// The revisions of the finish at `position`, if any.
    fn revisions_of(&self, position: i64) -> &[Revision] {
        self.revisions.get(&position).map_or(&[], |r| r)
    }

    fn add_finish(&mut self, item_id: Arc<str>, position: i64, finish: &Finished) {
        self.finish_times.push((position, finish.at));
        self.finishes.insert(
            (finish.at, position),
            FinishRecord::new(
                item_id,
                finish.rating,
                finish.review.clone(),
                finish.listened,
            ),
        );
    }

    /// Rebuilds the indexes in bulk, packed: for after a long catch-up. B-tree nodes filled
    /// by one insertion after another are left about half empty (finishes arrive mostly in
    /// order, and a node that splits at the right edge keeps half); built from sorted input
    /// they are full. Changes no answer and not the state hash.
    pub fn compact(&mut self) {
        self.items = std::mem::take(&mut self.items).into_iter().collect();
        self.finishes = std::mem::take(&mut self.finishes).into_iter().collect();
        self.finish_times.shrink_to_fit();
        self.touches.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests;
