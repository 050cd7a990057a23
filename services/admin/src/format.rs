//! The dump's file format: one JSON object a line (NDJSON), each a record named by its one key.
//!
//! ```text
//! {"header":{"format":1,"dumped_at":"…","backend":"sqlite","head":1234,"notifier_checkpoint":1230}}
//! {"event":{"position":1,"stream_id":"dune","stream_version":1,"event_id":"…","event_type":"item_added",…}}
//! …                                   every event, positions 1 to `head`, in order
//! {"outbox":{"finish_position":17,"item_id":"dune","status":"posted","tweet_id":"…",…}}
//! …                                   the notifier's outbox entries of those finishes
//! {"end":{"events":1234,"outbox":56}}
//! ```
//!
//! Lines rather than one document, so that a dump is written and read a page at a time and
//! stays readable with `head`, `grep` and `jq`. The closing `end` record counts what came
//! before it: a file cut short (a full disk, a copy interrupted) is refused rather than
//! restored as a shorter log that looks whole. Events keep everything the log has — ids,
//! versions, metadata, `recorded_at` — so positions mean the same event on both sides.

use chrono::{DateTime, Utc};
use lately_log::RecordedEvent;
use lately_notifier::store::Entry;
use serde::{Deserialize, Serialize};

/// The version of this format; a dump names it in its header. A reader refuses a newer one.
pub const FORMAT: u32 = 1;

/// One line of a dump. Externally tagged (`{"event": {…}}`): an event's payload is kept as
/// its JSON text, which serde cannot do inside an internally tagged enum.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Record {
    Header(Header),
    Event(RecordedEvent),
    Outbox(Entry),
    End(End),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: u32,
    pub dumped_at: DateTime<Utc>,
    /// `postgres` or `sqlite`: where it came from, for the reader's information.
    pub backend: String,
    /// The last position in the dump: its events are 1 to `head`.
    pub head: i64,
    /// How far the notifier had scanned the log: every finish up to here had been judged
    /// (tweeted, skipped, …) and has its entry in the dump, or was deliberately left alone.
    /// `None`: no notifier ever ran on that log, and a restore takes the whole dump as
    /// judged (nothing in it is tweeted; a notifier's first start does the same).
    pub notifier_checkpoint: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct End {
    pub events: u64,
    pub outbox: u64,
}
