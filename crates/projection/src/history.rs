//! Item histories kept as compact bytes.
//!
//! A replica keeps every event of every item, so that it can answer "as of" any position. Held
//! as domain values, an item's history cost more than its state (an `ItemEvent` is 144 bytes
//! before its strings, in a vector that grows by doubling). Here it is one exactly-sized byte
//! string per item, in [postcard]'s varint encoding of the `Wire*` mirror types below: about 60
//! bytes for an add and 20 for a finish. It is decoded only by the queries that need it — the
//! history of one item, and the state of an item at an earlier position — and when a snapshot
//! loads.
//!
//! The same bytes are what a snapshot stores per item, so the encoding is part of the snapshot
//! format: change it (or the order of the variants of `MediaKind` or `Visibility`) only together
//! with [`crate::PROJECTION_VERSION`].
//!
//! Why mirror types instead of the domain's serde derives: those are shaped for JSON (skipped
//! `None` fields, tagged enums, text timestamps), which a non-self-describing format cannot read
//! back. Decoding goes through the domain's `parse` functions like any other input.

use chrono::{DateTime, Utc};
use lately_domain::event::{
    AbandonRetracted, Abandoned, Edited, FinishRetracted, FinishRevised, Finished, ItemAdded,
    ItemChanges, ProgressLogged, Removed, Restored, StartRetracted, StartRevised, Started,
};
use lately_domain::{
    Creator, ItemEvent, MediaKind, ParseError, Percent, Portion, Rating, Review, Tag, Title, Unit,
    Url, Visibility,
};
use serde::{Deserialize, Serialize};

/// Why stored bytes could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("malformed history bytes: {0}")]
    Encoding(#[from] postcard::Error),
    #[error("a stored value is no longer valid: {0}")]
    Value(#[from] ParseError),
    #[error("a stored timestamp is out of range")]
    Timestamp,
}

/// One event of an item's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
    pub event: ItemEvent,
}

/// A timestamp without loss: seconds and nanoseconds since the epoch.
#[derive(Serialize, Deserialize)]
struct Ts(i64, u32);

impl From<DateTime<Utc>> for Ts {
    fn from(t: DateTime<Utc>) -> Self {
        Self(t.timestamp(), t.timestamp_subsec_nanos())
    }
}

impl TryFrom<Ts> for DateTime<Utc> {
    type Error = HistoryError;
    fn try_from(Ts(secs, nanos): Ts) -> Result<Self, HistoryError> {
        DateTime::from_timestamp(secs, nanos).ok_or(HistoryError::Timestamp)
    }
}

#[derive(Serialize, Deserialize)]
struct WireEntry<'a> {
    position: i64,
    recorded_at: Ts,
    #[serde(borrow)]
    event: WireEvent<'a>,
}

#[derive(Serialize, Deserialize)]
enum WireEvent<'a> {
    Added {
        kind: MediaKind,
        title: &'a str,
        #[serde(borrow)]
        creators: Vec<&'a str>,
        url: Option<&'a str>,
        cover_url: Option<&'a str>,
        #[serde(borrow)]
        tags: Vec<&'a str>,
        visibility: Visibility,
        at: Ts,
    },
    Started {
        at: Ts,
    },
    ProgressLogged {
        percent: u8,
        at: Ts,
    },
    Finished {
        at: Ts,
        half_stars: Option<u8>,
        review: Option<&'a str>,
        tweet: bool,
    },
    Abandoned {
        at: Ts,
    },
    Edited {
        kind: Option<MediaKind>,
        title: Option<&'a str>,
        #[serde(borrow)]
        creators: Option<Vec<&'a str>>,
        url: Option<Option<&'a str>>,
        cover_url: Option<Option<&'a str>>,
        #[serde(borrow)]
        tags: Option<Vec<&'a str>>,
        visibility: Option<Visibility>,
        at: Ts,
    },
    Removed {
        at: Ts,
    },
    // Last: a variant's index is its encoding, so new ones go at the end and the snapshots
    // written before them still read.
    FinishRevised {
        half_stars: Option<Option<u8>>,
        review: Option<Option<&'a str>>,
        at: Ts,
    },
    FinishRetracted {
        at: Ts,
    },
    Restored {
        at: Ts,
    },
    /// Progress in the item's own units (page 183 of 304); `ProgressLogged` is progress in
    /// percent alone, encoded as before pages were counted.
    ProgressCounted {
        percent: u8,
        done: u32,
        of: u32,
        at: Ts,
    },
    StartRevised {
        started_at: Ts,
        at: Ts,
    },
    /// A revision that moves the finish's start too; `FinishRevised` is one that does not,
    /// encoded as before starts could be revised.
    FinishRevisedWithStart {
        half_stars: Option<Option<u8>>,
        review: Option<Option<&'a str>>,
        started_at: Ts,
        at: Ts,
    },
    /// A revision that moves the finish to another day (and maybe its start); the two above
    /// are those that do not, encoded as before finishes could be moved.
    FinishMoved {
        half_stars: Option<Option<u8>>,
        review: Option<Option<&'a str>>,
        started_at: Option<Ts>,
        finished_at: Ts,
        at: Ts,
    },
    StartRetracted {
        at: Ts,
    },
    AbandonRetracted {
        at: Ts,
    },
    /// Progress in running time (1h 20m of 4h 12m), in seconds; `ProgressCounted` is progress
    /// in the item's own units, encoded as before time was counted.
    ProgressTimed {
        percent: u8,
        done: u32,
        of: u32,
        at: Ts,
    },
    /// A finish that was listened to; `Finished` is one that was not, encoded as before a
    /// finish could say so.
    FinishListened {
        at: Ts,
        half_stars: Option<u8>,
        review: Option<&'a str>,
        tweet: bool,
    },
    /// A revision that says whether the finish was listened to (and maybe anything else); the
    /// three above are those that do not.
    FinishRevisedListened {
        half_stars: Option<Option<u8>>,
        review: Option<Option<&'a str>>,
        started_at: Option<Ts>,
        finished_at: Option<Ts>,
        listened: bool,
        at: Ts,
    },
    /// Time spent of no known whole (a game's hours played), in seconds: no percentage.
    ProgressPlayed {
        done: u32,
        at: Ts,
    },
    /// A show's episode of a season (S2 E5): no percentage.
    ProgressEpisode {
        season: u16,
        episode: u32,
        at: Ts,
    },
}

fn strs<T, F: Fn(&T) -> &str>(values: &[T], f: F) -> Vec<&str> {
    values.iter().map(f).collect()
}

fn parsed<T>(
    raw: &[&str],
    parse: impl Fn(&str) -> Result<T, ParseError>,
) -> Result<Vec<T>, ParseError> {
    raw.iter().map(|s| parse(s)).collect()
}

impl<'a> WireEvent<'a> {
    fn from_event(event: &'a ItemEvent) -> Self {
        match event {
            ItemEvent::Added(a) => Self::Added {
                kind: a.kind,
                title: a.title.as_str(),
                creators: strs(&a.creators, Creator::as_str),
                url: a.url.as_ref().map(Url::as_str),
                cover_url: a.cover_url.as_ref().map(Url::as_str),
                tags: strs(&a.tags, Tag::as_str),
                visibility: a.visibility,
                at: a.at.into(),
            },
            ItemEvent::Started(e) => Self::Started { at: e.at.into() },
            ItemEvent::ProgressLogged(e) => {
                let percent = e.percent.map_or(0, Percent::get);
                match e.portion.map(|p| (p, p.of())) {
                    None => Self::ProgressLogged {
                        percent,
                        at: e.at.into(),
                    },
                    Some((portion, None)) => match portion.season() {
                        Some(season) => Self::ProgressEpisode {
                            season,
                            episode: portion.done(),
                            at: e.at.into(),
                        },
                        None => Self::ProgressPlayed {
                            done: portion.done(),
                            at: e.at.into(),
                        },
                    },
                    Some((portion, Some(of))) if portion.unit() == Unit::Seconds => {
                        Self::ProgressTimed {
                            percent,
                            done: portion.done(),
                            of,
                            at: e.at.into(),
                        }
                    }
                    Some((portion, Some(of))) => Self::ProgressCounted {
                        percent,
                        done: portion.done(),
                        of,
                        at: e.at.into(),
                    },
                }
            }
            ItemEvent::Finished(e) if e.listened => Self::FinishListened {
                at: e.at.into(),
                half_stars: e.rating.map(Rating::half_stars),
                review: e.review.as_ref().map(Review::as_str),
                tweet: e.tweet,
            },
            ItemEvent::Finished(e) => Self::Finished {
                at: e.at.into(),
                half_stars: e.rating.map(Rating::half_stars),
                review: e.review.as_ref().map(Review::as_str),
                tweet: e.tweet,
            },
            ItemEvent::Abandoned(e) => Self::Abandoned { at: e.at.into() },
            ItemEvent::Edited(e) => {
                let c = &e.changes;
                Self::Edited {
                    kind: c.kind,
                    title: c.title.as_ref().map(Title::as_str),
                    creators: c.creators.as_deref().map(|v| strs(v, Creator::as_str)),
                    url: c.url.as_ref().map(|u| u.as_ref().map(Url::as_str)),
                    cover_url: c.cover_url.as_ref().map(|u| u.as_ref().map(Url::as_str)),
                    tags: c.tags.as_deref().map(|v| strs(v, Tag::as_str)),
                    visibility: c.visibility,
                    at: e.at.into(),
                }
            }
            ItemEvent::Removed(e) => Self::Removed { at: e.at.into() },
            ItemEvent::FinishRevised(e) => {
                let half_stars = e.rating.map(|r| r.map(Rating::half_stars));
                let review = e.review.as_ref().map(|r| r.as_ref().map(Review::as_str));
                match (e.started_at, e.finished_at) {
                    _ if e.listened.is_some() => Self::FinishRevisedListened {
                        half_stars,
                        review,
                        started_at: e.started_at.map(Into::into),
                        finished_at: e.finished_at.map(Into::into),
                        listened: e.listened == Some(true),
                        at: e.at.into(),
                    },
                    (None, None) => Self::FinishRevised {
                        half_stars,
                        review,
                        at: e.at.into(),
                    },
                    (Some(started_at), None) => Self::FinishRevisedWithStart {
                        half_stars,
                        review,
                        started_at: started_at.into(),
                        at: e.at.into(),
                    },
                    (started_at, Some(finished_at)) => Self::FinishMoved {
                        half_stars,
                        review,
                        started_at: started_at.map(Into::into),
                        finished_at: finished_at.into(),
                        at: e.at.into(),
                    },
                }
            }
            ItemEvent::FinishRetracted(e) => Self::FinishRetracted { at: e.at.into() },
            ItemEvent::Restored(e) => Self::Restored { at: e.at.into() },
            ItemEvent::StartRevised(e) => Self::StartRevised {
                started_at: e.started_at.into(),
                at: e.at.into(),
            },
            ItemEvent::StartRetracted(e) => Self::StartRetracted { at: e.at.into() },
            ItemEvent::AbandonRetracted(e) => Self::AbandonRetracted { at: e.at.into() },
        }
    }

    fn into_event(self) -> Result<ItemEvent, HistoryError> {
        let url = |u: Option<&str>| u.map(Url::parse).transpose();
        Ok(match self {
            Self::Added {
                kind,
                title,
                creators,
                url: link,
                cover_url,
                tags,
                visibility,
                at,
            } => ItemEvent::Added(ItemAdded {
                kind,
                title: Title::parse(title)?,
                creators: parsed(&creators, Creator::parse)?,
                url: url(link)?,
                cover_url: url(cover_url)?,
                tags: parsed(&tags, Tag::parse)?,
                visibility,
                at: at.try_into()?,
            }),
            Self::Started { at } => ItemEvent::Started(Started { at: at.try_into()? }),
            Self::ProgressLogged { percent, at } => ItemEvent::ProgressLogged(ProgressLogged {
                percent: Some(Percent::parse(percent.into())?),
                portion: None,
                at: at.try_into()?,
            }),
            Self::ProgressCounted {
                percent,
                done,
                of,
                at,
            } => counted_progress(percent, done, of, Unit::Own, at)?,
            Self::Finished {
                at,
                half_stars,
                review,
                tweet,
            } => finish(at, half_stars, review, tweet, false)?,
            Self::FinishListened {
                at,
                half_stars,
                review,
                tweet,
            } => finish(at, half_stars, review, tweet, true)?,
            Self::Abandoned { at } => ItemEvent::Abandoned(Abandoned { at: at.try_into()? }),
            Self::Edited {
                kind,
                title,
                creators,
                url: link,
                cover_url,
                tags,
                visibility,
                at,
            } => ItemEvent::Edited(Edited {
                changes: ItemChanges {
                    kind,
                    title: title.map(Title::parse).transpose()?,
                    creators: creators.map(|v| parsed(&v, Creator::parse)).transpose()?,
                    url: link.map(url).transpose()?,
                    cover_url: cover_url.map(url).transpose()?,
                    tags: tags.map(|v| parsed(&v, Tag::parse)).transpose()?,
                    visibility,
                },
                at: at.try_into()?,
            }),
            Self::Removed { at } => ItemEvent::Removed(Removed { at: at.try_into()? }),
            Self::FinishRevised {
                half_stars,
                review,
                at,
            } => revision(half_stars, review, None, None, None, at)?,
            Self::FinishRevisedWithStart {
                half_stars,
                review,
                started_at,
                at,
            } => revision(half_stars, review, Some(started_at), None, None, at)?,
            Self::FinishMoved {
                half_stars,
                review,
                started_at,
                finished_at,
                at,
            } => revision(half_stars, review, started_at, Some(finished_at), None, at)?,
            Self::FinishRevisedListened {
                half_stars,
                review,
                started_at,
                finished_at,
                listened,
                at,
            } => revision(
                half_stars,
                review,
                started_at,
                finished_at,
                Some(listened),
                at,
            )?,
            Self::FinishRetracted { at } => {
                ItemEvent::FinishRetracted(FinishRetracted { at: at.try_into()? })
            }
            Self::Restored { at } => ItemEvent::Restored(Restored { at: at.try_into()? }),
            Self::StartRevised { started_at, at } => ItemEvent::StartRevised(StartRevised {
                started_at: started_at.try_into()?,
                at: at.try_into()?,
            }),
            Self::StartRetracted { at } => {
                ItemEvent::StartRetracted(StartRetracted { at: at.try_into()? })
            }
            Self::AbandonRetracted { at } => {
                ItemEvent::AbandonRetracted(AbandonRetracted { at: at.try_into()? })
            }
            Self::ProgressTimed {
                percent,
                done,
                of,
                at,
            } => counted_progress(percent, done, of, Unit::Seconds, at)?,
            Self::ProgressPlayed { done, at } => ItemEvent::ProgressLogged(ProgressLogged {
                percent: None,
                portion: Some(Portion::played(done.into())?),
                at: at.try_into()?,
            }),
            Self::ProgressEpisode {
                season,
                episode,
                at,
            } => ItemEvent::ProgressLogged(ProgressLogged {
                percent: None,
                portion: Some(Portion::episode(season.into(), episode.into())?),
                at: at.try_into()?,
            }),
        })
    }
}

/// A progress counted in `unit` (`ProgressCounted`, `ProgressTimed`), as the domain's event.
fn counted_progress(
    percent: u8,
    done: u32,
    of: u32,
    unit: Unit,
    at: Ts,
) -> Result<ItemEvent, HistoryError> {
    Ok(ItemEvent::ProgressLogged(ProgressLogged {
        percent: Some(Percent::parse(percent.into())?),
        portion: Some(Portion::parse_in(done.into(), of.into(), unit)?),
        at: at.try_into()?,
    }))
}

/// A finish (`Finished`, `FinishListened`), as the domain's event.
fn finish(
    at: Ts,
    half_stars: Option<u8>,
    review: Option<&str>,
    tweet: bool,
    listened: bool,
) -> Result<ItemEvent, HistoryError> {
    Ok(ItemEvent::Finished(Finished {
        at: at.try_into()?,
        rating: half_stars.map(Rating::from_half_stars).transpose()?,
        review: review.map(Review::parse).transpose()?,
        tweet,
        listened,
    }))
}

/// A revision's rating: absent, cleared, or half stars.
fn revised_rating(half_stars: Option<Option<u8>>) -> Result<Option<Option<Rating>>, ParseError> {
    half_stars
        .map(|r| r.map(Rating::from_half_stars).transpose())
        .transpose()
}

/// A revision's review: absent, cleared, or its text.
fn revised_review(review: Option<Option<&str>>) -> Result<Option<Option<Review>>, ParseError> {
    review.map(|r| r.map(Review::parse).transpose()).transpose()
}

/// A revision from any of its four encodings' fields.
fn revision(
    half_stars: Option<Option<u8>>,
    review: Option<Option<&str>>,
    started_at: Option<Ts>,
    finished_at: Option<Ts>,
    listened: Option<bool>,
    at: Ts,
) -> Result<ItemEvent, HistoryError> {
    Ok(ItemEvent::FinishRevised(FinishRevised {
        rating: revised_rating(half_stars)?,
        review: revised_review(review)?,
        started_at: started_at.map(TryInto::try_into).transpose()?,
        finished_at: finished_at.map(TryInto::try_into).transpose()?,
        listened,
        at: at.try_into()?,
    }))
}

/// A skimmed finish (`Finished`, `FinishListened`).
fn skimmed_finish(
    half_stars: Option<u8>,
    review: Option<&str>,
    listened: bool,
) -> Result<SkimmedEvent<'_>, HistoryError> {
    Ok(SkimmedEvent::Finished {
        rating: half_stars.map(Rating::from_half_stars).transpose()?,
        review,
        listened,
    })
}

/// A skimmed revision from any of its four encodings' fields.
fn skimmed_revision(
    half_stars: Option<Option<u8>>,
    review: Option<Option<&str>>,
    started_at: Option<Ts>,
    finished_at: Option<Ts>,
    listened: Option<bool>,
) -> Result<SkimmedEvent<'_>, HistoryError> {
    Ok(SkimmedEvent::FinishRevised {
        rating: revised_rating(half_stars)?,
        review,
        started_at: started_at.map(TryInto::try_into).transpose()?,
        finished_at: finished_at.map(TryInto::try_into).transpose()?,
        listened,
    })
}

/// Appends one event to an encoded history.
pub fn push(bytes: &mut Vec<u8>, position: i64, recorded_at: DateTime<Utc>, event: &ItemEvent) {
    let wire = WireEntry {
        position,
        recorded_at: recorded_at.into(),
        event: WireEvent::from_event(event),
    };
    // Encoding into a vector cannot fail: every field has a fixed, supported shape.
    let out = std::mem::take(bytes);
    *bytes = postcard::to_extend(&wire, out).expect("a history entry encodes");
}

/// The events of an encoded history, oldest first.
pub fn entries(bytes: &[u8]) -> impl Iterator<Item = Result<Entry, HistoryError>> + '_ {
    wire_entries(bytes, |wire| {
        Ok(Entry {
            position: wire.position,
            recorded_at: wire.recorded_at.try_into()?,
            event: wire.event.into_event()?,
        })
    })
}

/// Each entry of an encoded history, as `read` makes it of the decoded wire form.
fn wire_entries<'a, T>(
    bytes: &'a [u8],
    read: impl Fn(WireEntry<'a>) -> Result<T, HistoryError> + 'a,
) -> impl Iterator<Item = Result<T, HistoryError>> + 'a {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let decoded = postcard::take_from_bytes::<WireEntry>(rest);
        Some(match decoded {
            Ok((wire, tail)) => {
                rest = tail;
                read(wire)
            }
            Err(e) => {
                // Nothing after a malformed entry can be trusted: stop there.
                rest = &[];
                Err(e.into())
            }
        })
    })
}

/// What loading a snapshot reads of one event: only what an item's summary and the finishes'
/// index need (see [`skim`]).
pub struct Skimmed<'a> {
    pub position: i64,
    pub at: DateTime<Utc>,
    pub event: SkimmedEvent<'a>,
}

pub enum SkimmedEvent<'a> {
    Added {
        kind: MediaKind,
        visibility: Visibility,
        tags: Vec<&'a str>,
    },
    Started,
    ProgressLogged,
    Finished {
        rating: Option<Rating>,
        review: Option<&'a str>,
        listened: bool,
    },
    Abandoned,
    Edited {
        kind: Option<MediaKind>,
        visibility: Option<Visibility>,
        tags: Option<Vec<&'a str>>,
    },
    Removed,
    /// The item's latest finish, revised: `None` leaves a field as it was.
    FinishRevised {
        rating: Option<Option<Rating>>,
        review: Option<Option<&'a str>>,
        started_at: Option<DateTime<Utc>>,
        finished_at: Option<DateTime<Utc>>,
        listened: Option<bool>,
    },
    /// The item's latest finish, taken back.
    FinishRetracted,
    /// The removed item, brought back.
    Restored,
    /// The start of the read in progress, moved.
    StartRevised,
    /// The item's latest start, taken back.
    StartRetracted,
    /// The item's give-up, taken back.
    AbandonRetracted,
}

/// The events of an encoded history, oldest first, skimmed: titles, creators and links are
/// read past, not parsed into domain values, and tags are left as text (most items share a
/// tag list, which the caller then parses once). [`entries`] builds whole events — to fold
/// an item's state for an answer — and it was most of the time it took to load a snapshot of
/// half a million items. The bytes were encoded from valid values by this code's version
/// (`PROJECTION_VERSION`), and a value that no longer parses would do so in the log too.
pub fn skim(bytes: &[u8]) -> impl Iterator<Item = Result<Skimmed<'_>, HistoryError>> + '_ {
    wire_entries(bytes, WireEntry::skimmed)
}

impl<'a> WireEntry<'a> {
    fn skimmed(self) -> Result<Skimmed<'a>, HistoryError> {
        let (at, event) = match self.event {
            WireEvent::Added {
                kind,
                tags,
                visibility,
                at,
                ..
            } => (
                at,
                SkimmedEvent::Added {
                    kind,
                    visibility,
                    tags,
                },
            ),
            WireEvent::Started { at } => (at, SkimmedEvent::Started),
            WireEvent::ProgressLogged { at, .. }
            | WireEvent::ProgressCounted { at, .. }
            | WireEvent::ProgressTimed { at, .. }
            | WireEvent::ProgressPlayed { at, .. }
            | WireEvent::ProgressEpisode { at, .. } => (at, SkimmedEvent::ProgressLogged),
            WireEvent::Finished {
                at,
                half_stars,
                review,
                ..
            } => (at, skimmed_finish(half_stars, review, false)?),
            WireEvent::FinishListened {
                at,
                half_stars,
                review,
                ..
            } => (at, skimmed_finish(half_stars, review, true)?),
            WireEvent::Abandoned { at } => (at, SkimmedEvent::Abandoned),
            WireEvent::Edited {
                kind,
                tags,
                visibility,
                at,
                ..
            } => (
                at,
                SkimmedEvent::Edited {
                    kind,
                    visibility,
                    tags,
                },
            ),
            WireEvent::Removed { at } => (at, SkimmedEvent::Removed),
            WireEvent::FinishRevised {
                half_stars,
                review,
                at,
            } => (at, skimmed_revision(half_stars, review, None, None, None)?),
            WireEvent::FinishRevisedWithStart {
                half_stars,
                review,
                started_at,
                at,
            } => (
                at,
                skimmed_revision(half_stars, review, Some(started_at), None, None)?,
            ),
            WireEvent::FinishMoved {
                half_stars,
                review,
                started_at,
                finished_at,
                at,
            } => (
                at,
                skimmed_revision(half_stars, review, started_at, Some(finished_at), None)?,
            ),
            WireEvent::FinishRevisedListened {
                half_stars,
                review,
                started_at,
                finished_at,
                listened,
                at,
            } => (
                at,
                skimmed_revision(half_stars, review, started_at, finished_at, Some(listened))?,
            ),
            WireEvent::FinishRetracted { at } => (at, SkimmedEvent::FinishRetracted),
            WireEvent::Restored { at } => (at, SkimmedEvent::Restored),
            WireEvent::StartRevised { at, .. } => (at, SkimmedEvent::StartRevised),
            WireEvent::StartRetracted { at } => (at, SkimmedEvent::StartRetracted),
            WireEvent::AbandonRetracted { at } => (at, SkimmedEvent::AbandonRetracted),
        };
        Ok(Skimmed {
            position: self.position,
            at: at.try_into()?,
            event,
        })
    }
}
