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
//! answer, past ones included.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Utc};
use lately_domain::event::Finished;
use lately_domain::{ItemEvent, ItemState, MediaKind, Rating, Review, Status};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bump whenever a change to this crate would fold the same events into a different state:
/// snapshots taken by older code are then ignored instead of loaded.
pub const PROJECTION_VERSION: i32 = 1;

/// One event of an item's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
    #[serde(flatten)]
    pub event: ItemEvent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ItemRecord {
    state: ItemState,
    history: Vec<HistoryEntry>,
}

impl ItemRecord {
    /// The item as it stood at `as_of` (`None`: not added yet).
    fn at(&self, as_of: Option<i64>) -> Option<ItemState> {
        match as_of {
            Some(p) if self.history.last().is_some_and(|h| h.position > p) => ItemState::replay(
                self.history
                    .iter()
                    .take_while(|h| h.position <= p)
                    .map(|h| &h.event),
            ),
            _ => Some(self.state.clone()),
        }
    }
}

/// A finish, keyed in the projection by `(at, position)` so the feed is "newest first" with
/// ties broken by log order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FinishRecord {
    item_id: String,
    rating: Option<Rating>,
    review: Option<Review>,
}

/// The whole read model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    position: i64,
    events_applied: u64,
    items: BTreeMap<String, ItemRecord>,
    /// Derived from the items' histories (and rebuilt from them when a snapshot loads), kept
    /// sorted for the feed.
    #[serde(skip)]
    finishes: BTreeMap<(DateTime<Utc>, i64), FinishRecord>,
    /// The same finishes by log position, for "what is new since position P" (live streams).
    #[serde(skip)]
    finish_times: BTreeMap<i64, DateTime<Utc>>,
}

/// What a query may filter the feed by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FeedQuery {
    pub kind: Option<MediaKind>,
    pub tag: Option<String>,
    pub year: Option<i32>,
    pub limit: usize,
    /// Only finishes strictly older than this `(at, position)`.
    pub before: Option<(DateTime<Utc>, i64)>,
    pub as_of: Option<i64>,
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
    pub times_finished: u32,
    pub added_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One entry of the feed: a finish of an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedEntry {
    /// The log position of the finish: unique, and the SSE id.
    pub position: i64,
    pub finished_at: DateTime<Utc>,
    pub rating: Option<f64>,
    pub review: Option<String>,
    pub item: ItemView,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub year: Option<i32>,
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
        progress: s.progress.map(|p| p.get()),
        times_finished: s.times_finished,
        added_at: s.added_at,
        updated_at: s.updated_at,
    }
}

fn shown(s: &ItemState) -> bool {
    s.visibility.is_public() && s.status != Status::Removed
}

impl Projection {
    pub fn new() -> Self {
        Self::default()
    }

    /// The position of the last event applied.
    pub fn position(&self) -> i64 {
        self.position
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
        let entry = HistoryEntry {
            position,
            recorded_at,
            event: event.clone(),
        };
        match (self.items.get_mut(item_id), event) {
            (None, ItemEvent::Added(added)) => {
                self.items.insert(
                    item_id.to_owned(),
                    ItemRecord {
                        state: ItemState::new(added),
                        history: vec![entry],
                    },
                );
            }
            // An event for an item that was never added cannot pass the writer's checks; if a
            // log holds one anyway, it is skipped rather than invented into an item.
            (None, _) => {}
            (Some(record), _) => {
                record.state.apply(event);
                record.history.push(entry);
                if let ItemEvent::Finished(Finished { at, rating, review }) = event {
                    self.finish_times.insert(position, *at);
                    self.finishes.insert(
                        (*at, position),
                        FinishRecord {
                            item_id: item_id.to_owned(),
                            rating: *rating,
                            review: review.clone(),
                        },
                    );
                }
            }
        }
    }

    /// The state as bytes, to store as a snapshot.
    pub fn to_snapshot(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("the projection serialises")
    }

    /// The state from [`Projection::to_snapshot`]'s bytes.
    pub fn from_snapshot(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let mut p: Self = serde_json::from_slice(bytes)?;
        p.finishes = p
            .items
            .iter()
            .flat_map(|(id, record)| {
                record.history.iter().filter_map(move |h| match &h.event {
                    ItemEvent::Finished(f) => Some((
                        (f.at, h.position),
                        FinishRecord {
                            item_id: id.clone(),
                            rating: f.rating,
                            review: f.review.clone(),
                        },
                    )),
                    _ => None,
                })
            })
            .collect();
        p.finish_times = p
            .finishes
            .keys()
            .map(|(at, position)| (*position, *at))
            .collect();
        Ok(p)
    }

    /// A stable digest of the state: equal on every replica at the same position.
    pub fn state_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(PROJECTION_VERSION.to_le_bytes());
        // Serialising into the hasher: BTreeMaps iterate in key order, so this is deterministic.
        serde_json::to_writer(HashWriter(&mut hasher), self).expect("the projection serialises");
        hex(&hasher.finalize())
    }

    /// The item, if it is public (now and at `as_of`).
    fn visible(&self, id: &str, as_of: Option<i64>) -> Option<ItemState> {
        let record = self.items.get(id)?;
        if !shown(&record.state) {
            return None;
        }
        record.at(as_of).filter(shown)
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
        if q.as_of.is_some_and(|p| *position > p) || q.year.is_some_and(|y| at.year() != y) {
            return None;
        }
        let state = cache
            .entry(finish.item_id.as_str())
            .or_insert_with(|| self.visible(&finish.item_id, q.as_of))
            .as_ref()?;
        if q.kind.is_some_and(|k| k != state.kind) {
            return None;
        }
        if let Some(tag) = &q.tag {
            let tag = tag.to_lowercase();
            if !state.tags.iter().any(|t| t.as_str() == tag) {
                return None;
            }
        }
        Some(FeedEntry {
            position: *position,
            finished_at: *at,
            rating: finish.rating.map(Rating::stars),
            review: finish.review.as_ref().map(ToString::to_string),
            item: view(&finish.item_id, state),
        })
    }

    /// Public finishes, newest first (by when they happened, then by log order).
    pub fn feed(&self, q: &FeedQuery) -> Vec<FeedEntry> {
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

    /// Public finishes recorded after log position `after`, in log order (at most `q.limit`):
    /// what a live stream sends next.
    pub fn finishes_after(&self, after: i64, q: &FeedQuery) -> Vec<FeedEntry> {
        let mut cache = HashMap::new();
        self.finish_times
            .range(after + 1..)
            .filter_map(|(position, at)| self.entry(&(*at, *position), q, &mut cache))
            .take(q.limit)
            .collect()
    }

    /// Public items in progress, most recently touched first.
    pub fn current(&self, as_of: Option<i64>) -> Vec<ItemView> {
        let mut items: Vec<ItemView> = self
            .items
            .keys()
            .filter_map(|id| self.visible(id, as_of).map(|s| (id, s)))
            .filter(|(_, s)| s.status == Status::InProgress)
            .map(|(id, s)| view(id, &s))
            .collect();
        items.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        items
    }

    /// A public item and its history up to `as_of`.
    pub fn item(&self, id: &str, as_of: Option<i64>) -> Option<(ItemView, Vec<HistoryEntry>)> {
        let state = self.visible(id, as_of)?;
        let history = self.items[id]
            .history
            .iter()
            .filter(|h| as_of.is_none_or(|p| h.position <= p))
            .cloned()
            .collect();
        Some((view(id, &state), history))
    }

    /// Counts of public finishes: per kind, average rating, per month of `year` (or per year).
    pub fn stats(&self, year: Option<i32>, as_of: Option<i64>) -> Stats {
        let mut stats = Stats {
            year,
            finished: 0,
            by_kind: BTreeMap::new(),
            average_rating: None,
            rated: 0,
            by_month: year.map(|_| [0; 12]),
            by_year: year.is_none().then(BTreeMap::new),
        };
        let mut rating_sum = 0u64;
        let mut cache: HashMap<&str, Option<ItemState>> = HashMap::new();
        for ((at, position), finish) in &self.finishes {
            if as_of.is_some_and(|p| *position > p) || year.is_some_and(|y| at.year() != y) {
                continue;
            }
            let state = cache
                .entry(finish.item_id.as_str())
                .or_insert_with(|| self.visible(&finish.item_id, as_of));
            let Some(state) = state else { continue };
            stats.finished += 1;
            *stats.by_kind.entry(state.kind).or_default() += 1;
            if let Some(r) = finish.rating {
                stats.rated += 1;
                rating_sum += u64::from(r.half_stars());
            }
            if let Some(months) = &mut stats.by_month {
                months[at.month0() as usize] += 1;
            }
            if let Some(years) = &mut stats.by_year {
                *years.entry(at.year()).or_default() += 1;
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

struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
