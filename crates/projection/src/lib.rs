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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Utc};
use lately_domain::event::Finished;
use lately_domain::{
    ItemEvent, ItemState, MediaKind, Portion, Rating, Review, Status, Tag, Visibility,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

mod goal;
mod history;

pub use goal::{Goal, Goals, Pace};
pub use history::HistoryError;
use history::{Skimmed, SkimmedEvent};

/// Bump whenever a change to this crate would fold the same events into a different state, or
/// store it differently: snapshots taken by older code are then ignored instead of loaded.
///
/// 2: snapshots are postcard-encoded item histories (1 was the projection as JSON).
/// 3: a finish in a history keeps whether it may be tweeted.
pub const PROJECTION_VERSION: i32 = 3;

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
}

/// A finish's rating and review as of some position, and when they were last revised.
struct Values<'a> {
    rating: Option<Rating>,
    review: Option<&'a Review>,
    /// The start a revision gave it, if one did.
    started_at: Option<DateTime<Utc>>,
    revised_at: Option<DateTime<Utc>>,
}

/// What one revision changes: `None` leaves a field as it was; a rating or review of `Some(None)`
/// clears it.
struct Revised {
    rating: Option<Option<Rating>>,
    review: Option<Option<Review>>,
    started_at: Option<DateTime<Utc>>,
}

impl FinishRecord {
    fn new(item_id: Arc<str>, rating: Option<Rating>, review: Option<Review>) -> Self {
        Self {
            item_id,
            rating,
            review,
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
                revised_at: Some(r.at),
            },
            None => Values {
                rating: self.rating,
                review: self.review.as_ref(),
                started_at: None,
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

/// Why a snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("malformed snapshot: {0}")]
    Encoding(#[from] postcard::Error),
    #[error("in the history of item {item:?}: {source}")]
    History { item: String, source: HistoryError },
    #[error("item {0:?} does not start with item_added")]
    NotAdded(String),
    #[error("the snapshot's bytes do not match its state hash")]
    HashMismatch,
}

/// What a snapshot starts with; the items follow, each as `(id, history bytes)`.
#[derive(Serialize, Deserialize)]
struct SnapshotHeader {
    position: i64,
    events_applied: u64,
    items: u64,
}

/// The owner's time zone: the calendar a finish's year and month are counted in, for the
/// feed's `year` filter and the stats. A book finished at 11 pm on New Year's Eve in
/// California is that year's, though in UTC it is the next's. UTC unless a reader is told
/// otherwise (`LATELY_TIME_ZONE`). A query's setting, not state: no snapshot or state hash
/// depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(pub chrono_tz::Tz);

impl Default for Zone {
    fn default() -> Self {
        Self(chrono_tz::Tz::UTC)
    }
}

impl Zone {
    /// An IANA name (`Europe/Berlin`), as `LATELY_TIME_ZONE` gives it; the error says what
    /// one looks like.
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.trim().parse().map(Self).map_err(|_| {
            format!(
                "{raw:?} is not an IANA time zone name (Europe/Berlin, America/Los_Angeles, UTC)"
            )
        })
    }

    /// The calendar day `at` falls on here, as `2026-12-31`.
    pub fn day(self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.0).format("%Y-%m-%d").to_string()
    }

    /// The calendar date `at` falls on here.
    pub fn date(self, at: DateTime<Utc>) -> chrono::NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }

    /// Its IANA name (`Europe/Berlin`).
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The year and the month (0–11) `at` falls in here.
    fn year_month0(self, at: DateTime<Utc>) -> (i32, u32) {
        if self.0 == chrono_tz::Tz::UTC {
            return (at.year(), at.month0());
        }
        let local = at.with_timezone(&self.0);
        (local.year(), local.month0())
    }

    /// The year `at` falls in here.
    pub fn year(self, at: DateTime<Utc>) -> i32 {
        self.year_month0(at).0
    }
}

/// What a query may filter the feed by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FeedQuery {
    pub kind: Option<MediaKind>,
    /// Parsed as stored (trimmed, lower-cased), so that every finish compares it as it is.
    pub tag: Option<Tag>,
    /// A calendar year of `zone`.
    pub year: Option<i32>,
    pub zone: Zone,
    pub limit: usize,
    /// Only finishes strictly older than this `(at, position)`.
    pub before: Option<(DateTime<Utc>, i64)>,
    pub as_of: Option<i64>,
    /// The owner's feed: private items' finishes too (each entry says its item's
    /// `visibility`), judged by the item as of `as_of` alone, as the owner's list is; a
    /// removed item's are in neither.
    pub owner: bool,
}

/// A public item as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemView {
    pub id: String,
    pub kind: MediaKind,
    pub title: String,
    pub creators: Vec<String>,
    pub url: Option<String>,
    pub cover_url: Option<String>,
    pub tags: Vec<String>,
    pub status: Status,
    pub progress: Option<u8>,
    /// Where `progress` was made from, in the item's own units (page `progress_done` of
    /// `progress_of`), when the owner counted so. Left out otherwise, as a feed's finished
    /// items always are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_done: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_of: Option<u32>,
    pub times_finished: u32,
    pub added_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// While it is in progress, since when ([`ItemState::in_progress_since`]). Left out
    /// otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
}

/// A page of one of the lists of items ([`Projection::current`], [`Projection::queue`],
/// [`Projection::owner_items`]). Each list is ordered newest first by a time of its own, ties
/// by id, so that a page can start after any item.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// Only items after this `(time, id)` in the list's order: older, or as old with a greater
    /// id.
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: usize,
    pub as_of: Option<i64>,
}

impl Page {
    /// The whole list, as of `as_of`.
    pub fn whole(as_of: Option<i64>) -> Self {
        Self {
            after: None,
            limit: usize::MAX,
            as_of,
        }
    }
}

/// What [`Projection::count`] counts.
#[derive(Debug, Clone, Default)]
pub struct StatsQuery {
    /// A calendar year of `zone`, or every year.
    pub year: Option<i32>,
    pub zone: Zone,
    /// Only the finishes of items of this kind or with this tag, as the feed filters.
    pub filter: ItemFilter,
    pub as_of: Option<i64>,
    /// The owner's: private items' finishes too.
    pub owner: bool,
}

/// What the public lists of items ([`Projection::current`], [`Projection::queue`]) may be
/// filtered by, as the feed is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    pub kind: Option<MediaKind>,
    /// Parsed as stored (trimmed, lower-cased).
    pub tag: Option<Tag>,
}

impl ItemView {
    /// Where its progress was made from, in the item's own units, if it was counted so.
    pub fn portion(&self) -> Option<Portion> {
        let (done, of) = (self.progress_done?, self.progress_of?);
        Portion::parse(done.into(), of.into()).ok()
    }
}

/// What a page of the owner's list holds (see [`Projection::owner_items`]).
#[derive(Debug, Clone, Default)]
pub struct OwnerQuery {
    pub status: Option<Status>,
    /// Kind and tag, as the public lists take them.
    pub filter: ItemFilter,
    pub page: Page,
}

/// An item as its owner sees it: private ones too, with their visibility and version (what
/// `If-Match` takes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnerItem {
    #[serde(flatten)]
    pub item: ItemView,
    pub visibility: Visibility,
    pub version: i64,
}

/// One entry of the feed: a finish of an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedEntry {
    /// The log position of the finish: unique, and the SSE id.
    pub position: i64,
    pub finished_at: DateTime<Utc>,
    /// When the read (watch, play) this finish ended began: the item was in progress since
    /// then, or a revision of the finish said so. `None` for a finish recorded without a start
    /// (an import, a film logged after) that no revision gave one.
    pub started_at: Option<DateTime<Utc>>,
    pub rating: Option<f64>,
    pub review: Option<String>,
    /// When its rating, review or start was last revised (as of the answer's position), if
    /// ever.
    pub revised_at: Option<DateTime<Utc>>,
    /// Which of its item's finishes this is, in the order they happened (as of the answer's
    /// position, retracted ones not counted): 1 for the first, 2 for a re-read's, a rewatch's.
    pub finish_number: u32,
    pub item: ItemView,
    /// The item's, in the owner's feed only ([`FeedQuery::owner`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
}

/// One event of a live stream (see [`Projection::live_after`]).
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    /// A public finish, new since the stream's position.
    Finish(FeedEntry),
    /// A finish the stream may have sent before, as it is now after the change at `position`
    /// (its item edited or made public again, the finish revised).
    Update { position: i64, entry: FeedEntry },
    /// A finish the stream's filters showed, no longer shown after the change at `position`.
    Remove { position: i64, finish: i64 },
}

impl LiveEvent {
    /// The log position of what caused it: the stream's id for it.
    pub fn position(&self) -> i64 {
        match self {
            Self::Finish(entry) => entry.position,
            Self::Update { position, .. } | Self::Remove { position, .. } => *position,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub year: Option<i32>,
    /// The zone whose calendar the years and months are counted in (see [`Zone`]).
    pub time_zone: &'static str,
    pub finished: u64,
    pub by_kind: BTreeMap<MediaKind, u64>,
    pub average_rating: Option<f64>,
    pub rated: u64,
    /// With a year: finishes per month, January first.
    pub by_month: Option<[u64; 12]>,
    /// Without a year: finishes per year.
    pub by_year: Option<BTreeMap<i32, u64>>,
}

fn view(id: &str, s: &ItemState) -> ItemView {
    ItemView {
        id: id.to_owned(),
        kind: s.kind,
        title: s.title.to_string(),
        creators: s.creators.iter().map(ToString::to_string).collect(),
        url: s.url.as_ref().map(ToString::to_string),
        cover_url: s.cover_url.as_ref().map(ToString::to_string),
        tags: s.tags.iter().map(ToString::to_string).collect(),
        status: s.status,
        progress: s.progress.map(|p| p.percent.get()),
        progress_done: s.progress.and_then(|p| p.portion).map(Portion::done),
        progress_of: s.progress.and_then(|p| p.portion).map(Portion::of),
        times_finished: s.times_finished,
        added_at: s.added_at,
        updated_at: s.updated_at,
        started_at: s.in_progress_since(),
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

fn shown(s: &ItemState) -> bool {
    s.visibility.is_public() && s.status != Status::Removed
}

/// Which items a list may show at all, whatever it showed as of a past position.
#[derive(Clone, Copy, PartialEq)]
enum Shown {
    /// Those public and not removed now: making an item private or removing it takes it out
    /// of every public answer, time travel included, as [`Projection::visible`] does.
    Now,
    /// Every one: the owner's list filters by the state as of its position alone.
    ToOwner,
}

/// What the lists of items pick and order by: read off an item's summary for now, or off its
/// state folded at a past position (the two agree: a property test holds them together).
#[derive(Clone, Copy)]
struct Facts<'a> {
    kind: MediaKind,
    tags: &'a [Tag],
    status: Status,
    visibility: Visibility,
    added_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl<'a> Facts<'a> {
    fn of_summary(s: &'a Summary) -> Self {
        Self {
            kind: s.kind,
            tags: &s.tags,
            status: s.status,
            visibility: s.visibility,
            added_at: s.added_at,
            updated_at: s.updated_at,
        }
    }

    fn of_state(s: &'a ItemState) -> Self {
        Self {
            kind: s.kind,
            tags: &s.tags,
            status: s.status,
            visibility: s.visibility,
            added_at: s.added_at,
            updated_at: s.updated_at,
        }
    }

    /// Public, with `status`, and of the kind and tag asked for.
    fn listed(&self, status: Status, kind: Option<MediaKind>, tag: Option<&str>) -> bool {
        self.visibility.is_public()
            && self.status == status
            && kind.is_none_or(|k| k == self.kind)
            && tag.is_none_or(|tag| self.tags.iter().any(|t| t.as_str() == tag))
    }
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
            FinishRecord::new(item_id, finish.rating, finish.review.clone()),
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

    /// Writes the state out in the snapshot format: a header, then every item in id order as
    /// `(id, history bytes)`. Deterministic, so it also defines [`Projection::state_hash`].
    fn encode(&self, sink: &mut impl FnMut(&[u8])) {
        let header = SnapshotHeader {
            position: self.position,
            events_applied: self.events_applied,
            items: self.items.len() as u64,
        };
        let mut buf = Vec::with_capacity(256);
        // Encoding into a vector cannot fail: fixed shapes, no maps.
        buf = postcard::to_extend(&header, buf).expect("the header encodes");
        sink(&buf);
        for (id, record) in &self.items {
            buf.clear();
            let history = record.history(&self.loaded);
            buf = postcard::to_extend(&(&**id, history), buf).expect("an item encodes");
            sink(&buf);
        }
    }

    /// The state as bytes, to store as a snapshot.
    pub fn to_snapshot(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut |bytes| out.extend_from_slice(bytes));
        out
    }

    /// The state from [`Projection::to_snapshot`]'s bytes, if they are those of `state_hash`
    /// (see [`Projection::snapshot_hash`]).
    ///
    /// The bytes are decoded while their hash is computed on a thread of its own: hashing is a
    /// single pass over tens of megabytes that would otherwise come first, and decoding leaves
    /// a core idle for part of its time. Decoding damaged bytes ends in an error or in a state
    /// that is thrown away, never in a panic. The items keep pointing into the bytes (see
    /// `History::Loaded`), so they are taken, not borrowed.
    pub fn from_snapshot(bytes: Vec<u8>, state_hash: &str) -> Result<Self, SnapshotError> {
        let bytes = Arc::new(bytes);
        let (verified, decoded) = std::thread::scope(|scope| {
            let hashing = scope.spawn(|| Self::snapshot_hash(&bytes) == state_hash);
            let decoded = Self::decode_snapshot(&bytes);
            (hashing.join().expect("hashing does not panic"), decoded)
        });
        if !verified {
            return Err(SnapshotError::HashMismatch);
        }
        let mut projection = decoded?;
        projection.loaded = bytes;
        Ok(projection)
    }

    /// The summaries are folded again from the histories and the finishes indexed from them,
    /// on every core: the items are independent of each other.
    fn decode_snapshot(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let (header, mut rest) = postcard::take_from_bytes::<SnapshotHeader>(bytes)?;
        // Every item takes at least two bytes (two lengths), so a damaged count cannot reserve
        // more than the bytes could hold.
        let mut raw = Vec::with_capacity(header.items.min(rest.len() as u64 / 2) as usize);
        for _ in 0..header.items {
            let (item, tail) = postcard::take_from_bytes::<(&str, &[u8])>(rest)?;
            raw.push(item);
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(postcard::Error::DeserializeBadEncoding.into());
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let chunk = raw.len().div_ceil(threads).max(1);
        let interned = Mutex::new(Interner::default());
        let loaded = std::thread::scope(|scope| {
            let workers: Vec<_> = raw
                .chunks(chunk)
                .map(|part| {
                    let interned = &interned;
                    scope.spawn(move || load_items(bytes, part, interned))
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("loading a snapshot part does not panic"))
                .collect::<Result<Vec<_>, _>>()
        })?;
        // Sized exactly up front: growing them by doubling copied each one several times, into
        // freshly faulted-in pages.
        let finish_count = loaded.iter().map(|p| p.finishes.len()).sum();
        let mut items = Vec::with_capacity(raw.len());
        let mut finishes = Vec::with_capacity(finish_count);
        let mut finish_times = Vec::with_capacity(finish_count);
        let mut revisions = BTreeMap::new();
        let mut retracted = BTreeMap::new();
        let mut moves = BTreeMap::new();
        let mut touches = Vec::new();
        for mut part in loaded {
            items.append(&mut part.items);
            finishes.append(&mut part.finishes);
            finish_times.append(&mut part.finish_times);
            touches.append(&mut part.touches);
            retracted.extend(part.retracted);
            moves.extend(
                part.moves
                    .into_iter()
                    .map(|(position, all)| (position, all.into_boxed_slice())),
            );
            revisions.extend(
                part.revisions
                    .into_iter()
                    .map(|(key, all)| (key, all.into_boxed_slice())),
            );
        }
        drop(raw);
        touches.sort_unstable_by_key(|(position, _)| *position);
        // The finishes' index and the items' index are built side by side: sorts and bulk
        // builds over half a million entries, which one after the other were most of the time
        // left after the parallel decoding. (The tag lists were shared while decoding.)
        let interned = interned.into_inner().expect("not poisoned");
        let (items, finishes, finish_times) = std::thread::scope(|scope| {
            let finishes = scope.spawn(move || {
                finish_times.sort_unstable_by_key(|(position, _)| *position);
                finishes.sort_unstable_by_key(|(key, _)| *key);
                // Built in bulk from sorted input, not by one insertion per entry.
                let finishes: BTreeMap<_, _> = finishes.into_iter().collect();
                (finishes, finish_times)
            });
            // The items come in id order: a bulk build too.
            let items: BTreeMap<_, _> = items.into_iter().collect();
            let (finishes, finish_times) = finishes
                .join()
                .expect("sorting the finishes does not panic");
            (items, finishes, finish_times)
        });
        Ok(Self {
            position: header.position,
            events_applied: header.events_applied,
            items,
            finishes,
            revisions,
            retracted,
            moves,
            finish_times,
            touches,
            interned,
            loaded: Arc::default(),
        })
    }

    /// A stable digest of the state: equal on every replica at the same position. It is the
    /// digest of the state's snapshot, so [`Projection::snapshot_hash`] of stored bytes tells,
    /// without loading them, whether they hold the state that was hashed.
    pub fn state_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(PROJECTION_VERSION.to_le_bytes());
        self.encode(&mut |bytes| hasher.update(bytes));
        hex(&hasher.finalize())
    }

    /// The [`Projection::state_hash`] of the projection that [`Projection::to_snapshot`] gave
    /// these bytes.
    pub fn snapshot_hash(bytes: &[u8]) -> String {
        let mut hasher = Sha256::new();
        hasher.update(PROJECTION_VERSION.to_le_bytes());
        hasher.update(bytes);
        hex(&hasher.finalize())
    }

    /// An item as of `as_of` (or now) if it was added and not removed by then, public or
    /// not: what the owner's answers show.
    fn owned(&self, id: &str, as_of: Option<i64>) -> Option<ItemState> {
        self.items
            .get(id)?
            .at(&self.loaded, as_of)
            .filter(|s| s.status != Status::Removed)
    }

    /// The item, if it is public (now and at `as_of`).
    fn visible(&self, id: &str, as_of: Option<i64>) -> Option<ItemState> {
        let record = self.items.get(id)?;
        if !record.summary.shown() {
            return None;
        }
        record.at(&self.loaded, as_of).filter(shown)
    }

    /// [`Projection::owned`] for the owner's answers, else [`Projection::visible`].
    fn seen(&self, id: &str, as_of: Option<i64>, owner: bool) -> Option<ItemState> {
        match owner {
            true => self.owned(id, as_of),
            false => self.visible(id, as_of),
        }
    }

    /// When the read that the finish at `position` ended began: the item's state just before
    /// it, folded from the history (short; only for the entries a page shows).
    fn read_started(&self, id: &str, position: i64) -> Option<DateTime<Utc>> {
        self.items
            .get(id)?
            .at(&self.loaded, Some(position - 1))?
            .in_progress_since()
    }

    /// The feed entry for one finish, if it passes the query's filters (and is public).
    fn entry<'a>(
        &'a self,
        key: &(DateTime<Utc>, i64),
        q: &FeedQuery,
        cache: &mut HashMap<&'a str, Option<ItemState>>,
    ) -> Option<FeedEntry> {
        let (at, position) = key;
        let finish = self.finishes.get(key)?;
        if q.as_of.is_some_and(|p| *position > p)
            || q.year.is_some_and(|y| q.zone.year(*at) != y)
            || !self.stands(key, q.as_of)
        {
            return None;
        }
        // Now is all that matters without `as_of`: the summary decides before any state is
        // folded, so a filter that matches little does not fold every item it passes.
        let tag = q.tag.as_ref().map(Tag::as_str);
        if q.as_of.is_none() {
            let summary = &self.items.get(&*finish.item_id)?.summary;
            if !summary.counted(q.owner)
                || q.kind.is_some_and(|k| k != summary.kind)
                || tag.is_some_and(|t| !summary.has_tag(t))
            {
                return None;
            }
        }
        let state = cache
            .entry(&*finish.item_id)
            .or_insert_with(|| self.seen(&finish.item_id, q.as_of, q.owner))
            .as_ref()?;
        if q.kind.is_some_and(|k| k != state.kind) {
            return None;
        }
        if let Some(tag) = tag {
            if !state.tags.iter().any(|t| t.as_str() == tag) {
                return None;
            }
        }
        let values = finish.values(self.revisions_of(*position), q.as_of);
        Some(FeedEntry {
            position: *position,
            finished_at: *at,
            started_at: values
                .started_at
                .or_else(|| self.read_started(&finish.item_id, *position)),
            rating: values.rating.map(Rating::stars),
            review: values.review.map(ToString::to_string),
            revised_at: values.revised_at,
            finish_number: self.finish_number(&finish.item_id, key, q.as_of),
            item: view(&finish.item_id, state),
            visibility: q.owner.then_some(state.visibility),
        })
    }

    /// Public finishes, newest first (by when they happened, then by log order).
    pub fn feed(&self, q: &FeedQuery) -> Vec<FeedEntry> {
        let q = &FeedQuery {
            as_of: self.past(q.as_of),
            ..q.clone()
        };
        let upper = q
            .before
            .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let mut cache = HashMap::new();
        self.finishes
            .range((std::ops::Bound::Unbounded, upper))
            .rev()
            .filter_map(|(key, _)| self.entry(key, q, &mut cache))
            .take(q.limit)
            .collect()
    }

    /// What a live stream sends after log position `after`, in log order: each public finish
    /// recorded since, and for each finish recorded at or before `after` whose item was
    /// edited or removed, or the finish revised or retracted, since, its entry as it is now —
    /// or its removal, if the stream's filters showed it then and no longer do (made private,
    /// removed, retracted, edited out of the kind or tag). Stops after about `q.limit` events, at a
    /// position boundary; returns the position the stream has come to.
    ///
    /// The answers are the state now (the query's `as_of` is ignored): a stream shows what a
    /// reload would, and what changed twice is sent once.
    pub fn live_after(&self, after: i64, q: &FeedQuery) -> (Vec<LiveEvent>, i64) {
        let now = &FeedQuery {
            as_of: None,
            ..q.clone()
        };
        let mut cache = HashMap::new();
        let mut updated = HashSet::new();
        let mut out = Vec::new();
        let mut finishes = self.finish_times
            [self.finish_times.partition_point(|(p, _)| *p <= after)..]
            .iter()
            .peekable();
        let mut touches = self.touches[self.touches.partition_point(|(p, _)| *p <= after)..]
            .iter()
            .peekable();
        loop {
            if out.len() >= q.limit {
                let last = out.last().map_or(after, LiveEvent::position);
                return (out, last);
            }
            let next_finish = finishes.peek().map(|(p, _)| *p);
            let next_touch = touches.peek().map(|(p, _)| *p);
            match (next_finish, next_touch) {
                (None, None) => return (out, self.position.max(after)),
                (Some(f), t) if t.is_none_or(|t| f < t) => {
                    let (position, at) = finishes.next().expect("peeked");
                    let key = self.key_as_of((*at, *position), None);
                    out.extend(self.entry(&key, now, &mut cache).map(LiveEvent::Finish));
                }
                _ => {
                    let (position, item) = touches.next().expect("peeked");
                    // Sent as it is now: a later change to the same item adds nothing.
                    if updated.insert(item.clone()) {
                        self.changed_finishes(*position, item, after, now, &mut cache, &mut out);
                    }
                }
            }
        }
    }

    /// The events for the finishes of `item` recorded at or before `after`, changed at
    /// `position` (see [`Projection::live_after`]).
    fn changed_finishes<'a>(
        &'a self,
        position: i64,
        item: &str,
        after: i64,
        now: &FeedQuery,
        cache: &mut HashMap<&'a str, Option<ItemState>>,
        out: &mut Vec<LiveEvent>,
    ) {
        let Some(record) = self.items.get(item) else {
            return;
        };
        let finishes: Vec<FinishKey> = record
            .finish_keys(&self.loaded)
            .take_while(|(_, p)| *p <= after)
            .map(|key| self.key_as_of(key, None))
            .collect();
        if finishes.is_empty() {
            return;
        }
        // Whether the stream's filters showed the item then — whatever it is now, unlike
        // `visible`, which hides an item private now from the past too.
        let then = record.at(&self.loaded, Some(after));
        let shown_then = then.as_ref().is_some_and(|s| {
            shown(s)
                && now.kind.is_none_or(|k| k == s.kind)
                && now
                    .tag
                    .as_ref()
                    .is_none_or(|t| s.tags.iter().any(|x| x.as_str() == t.as_str()))
        });
        for key in finishes {
            match self.entry(&key, now, cache) {
                Some(entry) => out.push(LiveEvent::Update { position, entry }),
                None if shown_then => out.push(LiveEvent::Remove {
                    position,
                    finish: key.1,
                }),
                None => {}
            }
        }
    }

    /// A page of the public items in progress, most recently touched first (ties by id).
    pub fn current(&self, filter: &ItemFilter, page: &Page) -> Vec<ItemView> {
        self.public_list(Status::InProgress, |f| f.updated_at, filter, page)
    }

    /// A page of the public items added and not started yet (a reading list), most recently
    /// added first (ties by id).
    pub fn queue(&self, filter: &ItemFilter, page: &Page) -> Vec<ItemView> {
        self.public_list(Status::Queued, |f| f.added_at, filter, page)
    }

    /// How many public items [`Projection::current`] (`Status::InProgress`) or
    /// [`Projection::queue`] (`Status::Queued`) lists in all, as of `as_of`: what a page of
    /// them says is left ("all 34 up next").
    pub fn listed(&self, status: Status, filter: &ItemFilter, as_of: Option<i64>) -> usize {
        let tag = filter.tag.as_ref().map(Tag::as_str);
        let page = Page {
            after: None,
            limit: usize::MAX,
            as_of,
        };
        self.picked(&page, Shown::Now, |f| {
            f.listed(status, filter.kind, tag).then_some(f.updated_at)
        })
        .len()
    }

    /// A page of the public items with `status` that `filter` lets through, newest first by
    /// `time`.
    fn public_list(
        &self,
        status: Status,
        time: fn(&Facts) -> DateTime<Utc>,
        filter: &ItemFilter,
        page: &Page,
    ) -> Vec<ItemView> {
        let tag = filter.tag.as_ref().map(Tag::as_str);
        self.list(page, Shown::Now, |f| {
            f.listed(status, filter.kind, tag).then(|| time(&f))
        })
        .map(|(id, s)| view(id, &s))
        .collect()
    }

    /// A page of the owner's list: every item that is not removed, private ones included, most
    /// recently touched first (ties by id); only those with `query.status` when given. Without
    /// it, a private item's id is printed once, when it is added, and an abandoned item's never
    /// shows again. Removed items are listed only when asked for (`Status::Removed`): how the
    /// owner finds the id of one removed by mistake, to restore it.
    pub fn owner_items(&self, query: &OwnerQuery) -> Vec<OwnerItem> {
        let (kind, tag) = (query.filter.kind, query.filter.tag.as_ref());
        self.list(&query.page, Shown::ToOwner, |f| {
            (query
                .status
                .map_or(f.status != Status::Removed, |s| s == f.status)
                && kind.is_none_or(|k| k == f.kind)
                && tag.is_none_or(|t| f.tags.contains(t)))
            .then_some(f.updated_at)
        })
        .map(|(id, s)| OwnerItem {
            item: view(id, &s),
            visibility: s.visibility,
            version: s.version,
        })
        .collect()
    }

    /// A page of a list of items, as of `page.as_of`: those `time` keeps (it gives the time the
    /// list is ordered by, newest first, ties by id), after `page.after` in that order. A
    /// public list leaves out an item that is private or removed now, whatever the position.
    ///
    /// Items are picked and ordered by their summaries (or, for a past position, by their state
    /// then); only the page's own items are folded. A list of thousands costs a pass over the
    /// summaries, not thousands of folds.
    fn list<'a>(
        &'a self,
        page: &Page,
        shown: Shown,
        time: impl Fn(Facts) -> Option<DateTime<Utc>>,
    ) -> impl Iterator<Item = (&'a str, ItemState)> + 'a {
        let mut found = self.picked(page, shown, time);
        let order = |a: &(DateTime<Utc>, &str, _), b: &(DateTime<Utc>, &str, _)| {
            b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1))
        };
        if found.len() > page.limit {
            found.select_nth_unstable_by(page.limit, order);
            found.truncate(page.limit);
        }
        found.sort_unstable_by(order);
        found.into_iter().filter_map(|(_, id, state)| {
            Some((id, state.or_else(|| self.items[id].at(&self.loaded, None))?))
        })
    }

    /// The public items' ids, each with when it last changed, the most recently changed first,
    /// at most `limit`, as of `as_of`: what a sitemap names. As of now, read off the summaries
    /// alone, no history folded: a crawler's request on a log of a million events holds the
    /// projection for a pass over its items, not for half a million folds.
    pub fn public_items(&self, as_of: Option<i64>, limit: usize) -> Vec<(String, DateTime<Utc>)> {
        let page = Page {
            after: None,
            limit,
            as_of,
        };
        let mut found = self.picked(&page, Shown::Now, |f| {
            (f.visibility.is_public() && f.status != Status::Removed).then_some(f.updated_at)
        });
        let order = |a: &(DateTime<Utc>, &str, _), b: &(DateTime<Utc>, &str, _)| {
            b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1))
        };
        if found.len() > limit {
            found.select_nth_unstable_by(limit, order);
            found.truncate(limit);
        }
        found.sort_unstable_by(order);
        found
            .into_iter()
            .map(|(at, id, _)| (id.to_owned(), at))
            .collect()
    }

    /// The items [`Projection::list`] picks, in no order: the time each is ordered by, its
    /// id, and its state at `page.as_of` when it had to be folded to be picked.
    #[allow(clippy::type_complexity)]
    fn picked<'a>(
        &'a self,
        page: &Page,
        shown: Shown,
        time: impl Fn(Facts) -> Option<DateTime<Utc>>,
    ) -> Vec<(DateTime<Utc>, &'a str, Option<ItemState>)> {
        let as_of = self.past(page.as_of);
        let after = |t: DateTime<Utc>, id: &str| {
            page.after
                .as_ref()
                .is_none_or(|(at, after)| t < *at || (t == *at && id > after.as_str()))
        };
        match as_of {
            None => self
                .items
                .iter()
                .filter_map(|(id, r)| {
                    let t = time(Facts::of_summary(&r.summary))?;
                    after(t, id).then_some((t, &**id, None))
                })
                .collect(),
            Some(_) => self
                .items
                .iter()
                .filter(|(_, r)| shown == Shown::ToOwner || r.summary.shown())
                .filter_map(|(id, r)| {
                    let s = r.at(&self.loaded, as_of)?;
                    let t = time(Facts::of_state(&s))?;
                    after(t, id).then_some((t, &**id, Some(s)))
                })
                .collect(),
        }
    }

    /// A public item and its history up to `as_of`.
    pub fn item(&self, id: &str, as_of: Option<i64>) -> Option<(ItemView, Vec<HistoryEntry>)> {
        let as_of = self.past(as_of);
        let state = self.visible(id, as_of)?;
        let history = self.items[id]
            .entries(&self.loaded, as_of)
            .map(HistoryEntry::from)
            .collect();
        Some((view(id, &state), history))
    }

    /// A public item and its finishes as the feed shows them (revised, retracted ones left
    /// out), newest first, as of `as_of` (or now): what the item's page lists. `None` unless
    /// the item is public then.
    pub fn item_finishes(
        &self,
        id: &str,
        as_of: Option<i64>,
    ) -> Option<(ItemView, Vec<FeedEntry>)> {
        let as_of = self.past(as_of);
        let state = self.visible(id, as_of)?;
        let mut keys: Vec<FinishKey> = (self.items.get(id)?.finish_keys(&self.loaded))
            .map(|key| self.key_as_of(key, as_of))
            .collect();
        keys.sort_unstable();
        let q = FeedQuery {
            as_of,
            limit: usize::MAX,
            ..FeedQuery::default()
        };
        let mut cache = HashMap::new();
        let finishes = keys
            .iter()
            .rev()
            .filter_map(|key| self.entry(key, &q, &mut cache))
            .collect();
        Some((view(id, &state), finishes))
    }

    /// An item of the owner's, private or public, and its history, as of `as_of` (or now):
    /// what the owner's list shows of it, and every event. A removed item too, with its
    /// status `removed`: the owner looks at what was removed before restoring it (the owner's
    /// list shows removed items only when asked for them). `None` for an item not added by
    /// then.
    pub fn owner_item(
        &self,
        id: &str,
        as_of: Option<i64>,
    ) -> Option<(OwnerItem, Vec<HistoryEntry>)> {
        let as_of = self.past(as_of);
        let state = self.items.get(id)?.at(&self.loaded, as_of)?;
        let history = self.items[id]
            .entries(&self.loaded, as_of)
            .map(HistoryEntry::from)
            .collect();
        let item = OwnerItem {
            item: view(id, &state),
            visibility: state.visibility,
            version: state.version,
        };
        Some((item, history))
    }

    /// Counts of public finishes: per kind, average rating, per month of `year` (or per year).
    pub fn stats(&self, year: Option<i32>, zone: Zone, as_of: Option<i64>) -> Stats {
        self.count(&StatsQuery {
            year,
            zone,
            as_of,
            ..StatsQuery::default()
        })
    }

    /// [`Projection::stats`] of the owner's finishes: private items' too (judged as of
    /// `as_of` alone, as the owner's list is); a removed item's in neither.
    pub fn owner_stats(&self, year: Option<i32>, zone: Zone, as_of: Option<i64>) -> Stats {
        self.count(&StatsQuery {
            year,
            zone,
            as_of,
            owner: true,
            ..StatsQuery::default()
        })
    }

    /// The stats of the finishes `q` picks: of one kind or tag (as the item was then, as the
    /// feed filters), the owner's or the public ones.
    pub fn count(&self, q: &StatsQuery) -> Stats {
        let StatsQuery {
            year,
            zone,
            ref filter,
            owner,
            ..
        } = *q;
        let as_of = self.past(q.as_of);
        let tag = filter.tag.as_ref().map(Tag::as_str);
        let mut stats = Stats {
            year,
            time_zone: zone.name(),
            finished: 0,
            by_kind: BTreeMap::new(),
            average_rating: None,
            rated: 0,
            by_month: year.map(|_| [0; 12]),
            by_year: year.is_none().then(BTreeMap::new),
        };
        let mut rating_sum = 0u64;
        // Each finished item's kind, if it is shown (now, and at `as_of`), or the owner's, and
        // passes the filter.
        let mut cache: HashMap<&str, Option<MediaKind>> = HashMap::new();
        // A year's finishes lie within a day of its UTC bounds, whatever the zone: only those
        // are read (the year test below is the exact one).
        let bounds = year.and_then(|y| {
            let jan1 = |y| chrono::NaiveDate::from_ymd_opt(y, 1, 1)?.and_hms_opt(0, 0, 0);
            let day = chrono::Duration::days(1);
            Some((
                jan1(y)?.and_utc() - day,
                jan1(y.checked_add(1)?)?.and_utc() + day,
            ))
        });
        let finishes: Box<dyn Iterator<Item = _>> = match bounds {
            Some((from, to)) => Box::new(self.finishes.range((from, i64::MIN)..(to, i64::MIN))),
            None => Box::new(self.finishes.iter()),
        };
        for ((at, position), finish) in finishes {
            let (finished_in, month0) = zone.year_month0(*at);
            if as_of.is_some_and(|p| *position > p)
                || year.is_some_and(|y| finished_in != y)
                || !self.stands(&(*at, *position), as_of)
            {
                continue;
            }
            let kind = cache
                .entry(&*finish.item_id)
                .or_insert_with(|| match as_of {
                    None => self.items.get(&*finish.item_id).and_then(|r| {
                        let s = &r.summary;
                        (s.counted(owner)
                            && filter.kind.is_none_or(|k| k == s.kind)
                            && tag.is_none_or(|t| s.has_tag(t)))
                        .then_some(s.kind)
                    }),
                    Some(_) => self
                        .seen(&finish.item_id, as_of, owner)
                        .filter(|s| {
                            filter.kind.is_none_or(|k| k == s.kind)
                                && tag.is_none_or(|t| s.tags.iter().any(|x| x.as_str() == t))
                        })
                        .map(|s| s.kind),
                });
            let Some(kind) = *kind else { continue };
            stats.finished += 1;
            *stats.by_kind.entry(kind).or_default() += 1;
            if let Some(r) = finish.values(self.revisions_of(*position), as_of).rating {
                stats.rated += 1;
                rating_sum += u64::from(r.half_stars());
            }
            if let Some(months) = &mut stats.by_month {
                months[month0 as usize] += 1;
            }
            if let Some(years) = &mut stats.by_year {
                *years.entry(finished_in).or_default() += 1;
            }
        }
        if stats.rated > 0 {
            // Half stars to stars, rounded to two decimals.
            let avg = rating_sum as f64 / stats.rated as f64 / 2.0;
            stats.average_rating = Some((avg * 100.0).round() / 100.0);
        }
        stats
    }
}

/// One tag of the public items: how many items have it and how many times they were
/// finished (re-reads each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagCount {
    pub tag: String,
    pub items: u64,
    pub finished: u64,
}

impl Projection {
    /// Every tag of the public items (not removed), the most used first, then by name: a
    /// blog's tag list. As of a position, the items as they were then (an item private now is
    /// in no answer, as in every public one). The `owner`'s: private items' too.
    pub fn tags(&self, as_of: Option<i64>, owner: bool) -> Vec<TagCount> {
        let as_of = self.past(as_of);
        let mut tags_of: HashMap<&str, Vec<Tag>> = HashMap::new();
        for (id, record) in &self.items {
            let tags = match as_of {
                None if record.summary.counted(owner) => record.summary.tags.to_vec(),
                None => continue,
                Some(_) => match self.seen(id, as_of, owner) {
                    Some(state) => state.tags,
                    None => continue,
                },
            };
            if !tags.is_empty() {
                tags_of.insert(id, tags);
            }
        }
        let mut counts: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for tag in tags_of.values().flatten() {
            counts.entry(tag.as_str()).or_default().0 += 1;
        }
        for ((at, position), finish) in &self.finishes {
            if as_of.is_some_and(|p| *position > p) || !self.stands(&(*at, *position), as_of) {
                continue;
            }
            for tag in tags_of.get(&*finish.item_id).into_iter().flatten() {
                counts.entry(tag.as_str()).or_default().1 += 1;
            }
        }
        let mut out: Vec<TagCount> = counts
            .into_iter()
            .map(|(tag, (items, finished))| TagCount {
                tag: tag.to_owned(),
                items,
                finished,
            })
            .collect();
        // Stable: equal counts stay in the tags' order.
        out.sort_by_key(|t| std::cmp::Reverse(t.items));
        out
    }
}

/// Items loaded from one part of a snapshot.
struct LoadedPart {
    items: Vec<(Arc<str>, ItemRecord)>,
    finishes: Vec<((DateTime<Utc>, i64), FinishRecord)>,
    revisions: Vec<(i64, Vec<Revision>)>,
    finish_times: Vec<(i64, DateTime<Utc>)>,
    touches: Vec<(i64, Arc<str>)>,
    retracted: Vec<(i64, i64)>,
    moves: Vec<(i64, Vec<Move>)>,
}

/// Loads the items `raw` of snapshot `bytes`; their histories point into `bytes`, and their
/// tag lists are shared through `interned`.
fn load_items<'a>(
    bytes: &'a [u8],
    raw: &[(&'a str, &'a [u8])],
    interned: &Mutex<Interner>,
) -> Result<LoadedPart, SnapshotError> {
    // Ranges are kept in 32 bits: a snapshot of 4 GiB or more has its histories copied.
    let shared = u32::try_from(bytes.len()).is_ok();
    let mut part = LoadedPart {
        items: Vec::with_capacity(raw.len()),
        finishes: Vec::new(),
        revisions: Vec::new(),
        finish_times: Vec::new(),
        touches: Vec::new(),
        retracted: Vec::new(),
        moves: Vec::new(),
    };
    // Each distinct tag list is parsed once per part, and looked up in the shared interner
    // once, not once per item.
    let mut tag_lists: HashMap<Vec<&'a str>, Arc<[Tag]>> = HashMap::new();
    let mut tags_of = |raw: Vec<&'a str>| -> Result<Arc<[Tag]>, HistoryError> {
        if let Some(tags) = tag_lists.get(&raw) {
            return Ok(tags.clone());
        }
        let parsed = raw
            .iter()
            .map(|t| Tag::parse(t))
            .collect::<Result<Arc<[Tag]>, _>>()?;
        let tags = interned.lock().expect("not poisoned").share(parsed);
        tag_lists.insert(raw, tags.clone());
        Ok(tags)
    };
    // The current item's finishes not taken back, as indexes into `part.finishes`: the last
    // is what a revision revises and a retraction takes back. One vector for every item: most
    // have a finish, and half a million small allocations showed in the load's time.
    let mut standing: Vec<usize> = Vec::new();
    for &(id, history) in raw {
        let id: Arc<str> = id.into();
        let failed = |source| SnapshotError::History {
            item: id.to_string(),
            source,
        };
        let mut summary: Option<Summary> = None;
        standing.clear();
        // Where this item's revisions and moves start in `part.revisions` and `part.moves`.
        let own_revisions = part.revisions.len();
        let own_moves = part.moves.len();
        for skimmed in history::skim(history) {
            let Skimmed {
                position,
                at,
                event,
            } = skimmed.map_err(failed)?;
            let change = match event {
                SkimmedEvent::Added {
                    kind,
                    visibility,
                    tags,
                } => Change::Added {
                    kind,
                    visibility,
                    tags: tags_of(tags).map_err(failed)?,
                },
                SkimmedEvent::Started | SkimmedEvent::ProgressLogged => {
                    Change::Status(Status::InProgress)
                }
                SkimmedEvent::Finished { rating, review } => {
                    let review = review
                        .map(Review::parse)
                        .transpose()
                        .map_err(|e| failed(e.into()))?;
                    part.finish_times.push((position, at));
                    standing.push(part.finishes.len());
                    part.finishes.push((
                        (at, position),
                        FinishRecord::new(id.clone(), rating, review),
                    ));
                    Change::Status(Status::Finished)
                }
                SkimmedEvent::FinishRevised {
                    rating,
                    review,
                    started_at,
                    finished_at,
                } => {
                    let review = review
                        .map(|r| r.map(Review::parse).transpose())
                        .transpose()
                        .map_err(|e| failed(e.into()))?;
                    if let Some(&i) = standing.last() {
                        let ((recorded, finish_position), finish) = &part.finishes[i];
                        let (recorded, finish_position) = (*recorded, *finish_position);
                        // Among this item's revisions, at the end of the part's.
                        let found = part.revisions[own_revisions..]
                            .iter()
                            .position(|(p, _)| *p == finish_position);
                        let at_index = match found {
                            Some(j) => own_revisions + j,
                            None => {
                                part.revisions.push((finish_position, Vec::new()));
                                part.revisions.len() - 1
                            }
                        };
                        let (_, all) = &mut part.revisions[at_index];
                        let revised = Revised {
                            rating,
                            review,
                            started_at,
                        };
                        finish.revise(all, (position, at), revised);
                        // Moved as `Projection::move_finish` moves it.
                        let movable = summary.as_ref().is_some_and(|s| s.before_finish.is_some());
                        if let Some(day) = finished_at.filter(|_| movable) {
                            let found = part.moves[own_moves..]
                                .iter()
                                .position(|(p, _)| *p == finish_position);
                            let moves = match found {
                                Some(j) => &mut part.moves[own_moves + j].1,
                                None => {
                                    part.moves
                                        .push((finish_position, vec![(finish_position, recorded)]));
                                    &mut part.moves.last_mut().expect("pushed").1
                                }
                            };
                            let now = moves.last().expect("the recorded day").1;
                            if day != now {
                                let known = moves.iter().any(|(_, d)| *d == day);
                                moves.push((position, day));
                                if !known {
                                    let finish = part.finishes[i].1.clone();
                                    part.finishes.push(((day, finish_position), finish));
                                }
                            }
                            if found.is_none() && moves.len() == 1 {
                                part.moves.pop();
                            }
                        }
                    }
                    part.touches.push((position, id.clone()));
                    Change::Touched
                }
                SkimmedEvent::FinishRetracted => {
                    // Taken back only when the summary has a finish to take back, as in
                    // `Projection::apply`.
                    if summary.as_ref().is_some_and(|s| s.before_finish.is_some()) {
                        if let Some(i) = standing.pop() {
                            part.retracted.push((part.finishes[i].0 .1, position));
                        }
                    }
                    part.touches.push((position, id.clone()));
                    Change::Retracted
                }
                SkimmedEvent::Abandoned => Change::Status(Status::Abandoned),
                // A read in progress begun on another day: what its finish will say it took
                // is folded from the history when asked.
                SkimmedEvent::StartRevised => Change::Touched,
                SkimmedEvent::StartRetracted => Change::Unstarted,
                SkimmedEvent::AbandonRetracted => Change::Unabandoned,
                SkimmedEvent::Removed => {
                    part.touches.push((position, id.clone()));
                    Change::Status(Status::Removed)
                }
                SkimmedEvent::Restored => {
                    part.touches.push((position, id.clone()));
                    Change::Restored
                }
                SkimmedEvent::Edited {
                    kind,
                    visibility,
                    tags,
                } => {
                    part.touches.push((position, id.clone()));
                    Change::Edited {
                        kind,
                        visibility,
                        tags: tags.map(&mut tags_of).transpose().map_err(failed)?,
                    }
                }
            };
            match &mut summary {
                Some(summary) => summary.apply(at, change),
                None => {
                    let first = Summary::first(at, change);
                    summary = Some(first.ok_or_else(|| SnapshotError::NotAdded(id.to_string()))?);
                }
            }
        }
        let summary = summary.ok_or_else(|| SnapshotError::NotAdded(id.to_string()))?;
        let history = if shared {
            // `history` is a slice of `bytes`: where it starts is the distance of the two.
            History::Loaded {
                start: (history.as_ptr() as usize - bytes.as_ptr() as usize) as u32,
                len: history.len() as u32,
            }
        } else {
            History::Owned(history.into())
        };
        part.items.push((id, ItemRecord { summary, history }));
    }
    Ok(part)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
