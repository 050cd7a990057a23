//! What the readers ask of the state: the feed and its live changes, the lists of items, an
//! item with its history, the counts. Every query is a pure function of the state and can
//! answer as of an earlier position; what it returns is public unless it is the owner's.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use lately_domain::{
    ItemState, MediaKind, Percent, Portion, Rating, Status, Tag, Unit, Visibility,
};
use serde::Serialize;

use crate::{FinishKey, HistoryEntry, Projection, Summary, Zone};

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
    /// The percentage; `null` before any progress, for time spent of no known whole (a
    /// game's hours played: `progress_done` seconds, no `progress_of`), and for an episode of a
    /// season (`progress_done` of `progress_season`).
    pub progress: Option<u8>,
    /// Where `progress` was made from, in the item's own units (page `progress_done` of
    /// `progress_of`), when the owner counted so. Left out otherwise, as a feed's finished
    /// items always are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_done: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_of: Option<u32>,
    /// `seconds` when the count is of running time (an audiobook's 1h 20m of 4h 12m); left
    /// out for the item's own units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_unit: Option<Unit>,
    /// The season `progress_done` is an episode of (a show's S2 E5: season 2, done 5); left
    /// out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_season: Option<u16>,
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
    /// Where its progress was made from, in the item's own units or its running time, if it
    /// was counted so (or time spent of no known whole, or an episode of a season).
    pub fn portion(&self) -> Option<Portion> {
        Portion::from_parts(
            Some(self.progress_done?.into()),
            self.progress_of.map(i64::from),
            Some(self.progress_unit.unwrap_or_default()),
            self.progress_season.map(i64::from),
        )
        .ok()
        .flatten()
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
    /// What the read this finish ended was followed in, as its last progress logged counted
    /// it: `seconds` for running time (an audiobook's, a narrated article's: a book followed
    /// so was listened to, not read), and for a finish said to be listened to (`listened`);
    /// left out for the item's own units, a percentage, or no progress logged.
    #[serde(skip_serializing_if = "Unit::is_own")]
    pub followed_in: Unit,
    /// Whether the finish itself (as revised) says it was listened to; `followed_in` is
    /// `seconds` then too. Left out when it does not: a read followed in running time is
    /// listened to all the same. What your log's page offers to change.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub listened: bool,
    /// The hours played of the read it ended, in seconds, when its last progress logged
    /// counted them of no known whole (a game's 62 hours: [`ItemState::time_played`]); left
    /// out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_played: Option<u32>,
    pub item: ItemView,
    /// The item's, in the owner's feed only ([`FeedQuery::owner`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
}

impl FeedEntry {
    /// How many days of the owner's calendar (`zone`) its read took, from its start to the
    /// finish: 0 for one begun the day it ended (a film); `None` with no start.
    pub fn days_taken(&self, zone: Zone) -> Option<i64> {
        self.started_at
            .map(|start| zone.days_between(start, self.finished_at))
    }
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
    /// The hours the games finished took to play, in seconds: each finish's whose last
    /// progress logged counted them of no known whole (the feed's `time_played`), summed.
    /// `None` when no game finish counted any.
    pub time_played: Option<u64>,
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
        progress: s.progress.and_then(|p| p.percent).map(Percent::get),
        progress_done: s.progress.and_then(|p| p.portion).map(Portion::done),
        progress_of: s.progress.and_then(|p| p.portion).and_then(Portion::of),
        progress_unit: s
            .progress
            .and_then(|p| p.portion)
            .map(Portion::unit)
            .filter(|u| !u.is_own()),
        progress_season: s.progress.and_then(|p| p.portion).and_then(Portion::season),
        times_finished: s.times_finished,
        added_at: s.added_at,
        updated_at: s.updated_at,
        started_at: s.in_progress_since(),
    }
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

/// One tag of the public items: how many items have it and how many times they were
/// finished (re-reads each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagCount {
    pub tag: String,
    pub items: u64,
    pub finished: u64,
}

impl Projection {
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

    /// The item's state just before the finish at `position`, which says when the read it
    /// ended began and what it was followed in: folded from the history (short; only for the
    /// entries a page shows).
    fn before(&self, id: &str, position: i64) -> Option<ItemState> {
        self.items.get(id)?.at(&self.loaded, Some(position - 1))
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
        let before = self.before(&finish.item_id, *position);
        Some(FeedEntry {
            position: *position,
            finished_at: *at,
            started_at: values
                .started_at
                .or_else(|| before.as_ref()?.in_progress_since()),
            followed_in: ItemState::finish_followed_in(before.as_ref(), values.listened),
            listened: values.listened,
            time_played: before.as_ref().and_then(ItemState::time_played),
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
            time_played: None,
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
            // A game's hours played, as its feed entry says them: folded from its history
            // before the finish, for the games alone (the other kinds' finishes, most of them,
            // fold nothing).
            if kind == MediaKind::Game {
                let played = self.before(&finish.item_id, *position);
                if let Some(s) = played.as_ref().and_then(ItemState::time_played) {
                    *stats.time_played.get_or_insert(0) += u64::from(s);
                }
            }
        }
        if stats.rated > 0 {
            // Half stars to stars, rounded to two decimals.
            let avg = rating_sum as f64 / stats.rated as f64 / 2.0;
            stats.average_rating = Some((avg * 100.0).round() / 100.0);
        }
        stats
    }

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
