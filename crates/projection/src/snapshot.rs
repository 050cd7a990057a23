//! The state to bytes and back, and its hash.
//!
//! A snapshot is each item's history as postcard bytes after a small header; its SHA-256 is the
//! state hash that replicas compare. Loading one checks the hash on one thread while others
//! decode, keeps each history as a range of the snapshot's bytes, and decodes only what the
//! summaries and the finishes' index need.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use lately_domain::{Review, Status, Tag};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::history::{self, HistoryError, Skimmed, SkimmedEvent};
use crate::{
    Change, FinishRecord, History, Interner, ItemRecord, Move, Projection, Revised, Revision,
    Summary, PROJECTION_VERSION,
};

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

impl Projection {
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
        drop(raw);
        // The parts' large lists are gathered where they are sorted and indexed, on two threads
        // side by side: the finishes (half a million in a log of a million events: gathered,
        // sorted, built into their index) on one, the items (gathered in id order and built
        // into theirs) and the finishes' times (gathered, sorted) on the other. Gathered first
        // on one thread, then indexed, the copies alone took a seventh of the load with the
        // other core idle. The times go with the items, the lighter side when each was timed
        // (a million events: the items' index ~33 ms, the finishes' sort and index ~70 ms, the
        // times' sort ~20 ms). The small lists of edits and retractions are gathered on the way.
        let mut part_items = Vec::with_capacity(loaded.len());
        let mut part_finishes = Vec::with_capacity(loaded.len());
        let mut part_times = Vec::with_capacity(loaded.len());
        let mut revisions = BTreeMap::new();
        let mut retracted = BTreeMap::new();
        let mut moves = BTreeMap::new();
        let mut touches = Vec::new();
        for mut part in loaded {
            part_items.push(part.items);
            part_finishes.push(part.finishes);
            part_times.push(part.finish_times);
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
        touches.sort_unstable_by_key(|(position, _)| *position);
        let interned = interned.into_inner().expect("not poisoned");
        let (items, finishes, finish_times) = std::thread::scope(|scope| {
            let finishes = scope.spawn(move || {
                let mut finishes = gathered(part_finishes);
                finishes.sort_unstable_by_key(|(key, _)| *key);
                // Built in bulk from sorted input, not by one insertion per entry.
                finishes.into_iter().collect::<BTreeMap<_, _>>()
            });
            // The items come in id order, part after part: a bulk build too.
            let items: BTreeMap<_, _> = part_items.into_iter().flatten().collect();
            let mut finish_times = gathered(part_times);
            finish_times.sort_unstable_by_key(|(position, _)| *position);
            let finishes = finishes
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
}

/// The parts' lists as one, sized exactly up front: grown by doubling, it would be copied
/// several times, into freshly faulted-in pages.
fn gathered<T>(parts: Vec<Vec<T>>) -> Vec<T> {
    let mut all = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for mut part in parts {
        all.append(&mut part);
    }
    all
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
                SkimmedEvent::Finished {
                    rating,
                    review,
                    listened,
                } => {
                    let review = review
                        .map(Review::parse)
                        .transpose()
                        .map_err(|e| failed(e.into()))?;
                    part.finish_times.push((position, at));
                    standing.push(part.finishes.len());
                    part.finishes.push((
                        (at, position),
                        FinishRecord::new(id.clone(), rating, review, listened),
                    ));
                    Change::Status(Status::Finished)
                }
                SkimmedEvent::FinishRevised {
                    rating,
                    review,
                    started_at,
                    finished_at,
                    listened,
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
                            listened,
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
