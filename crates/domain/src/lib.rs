//! The domain of `lately`: what a person finishes, and the rules for recording it.
//!
//! Everything here is pure — no I/O, no clocks — so the writer, the readers and the notifier
//! can share one definition of what an item *is* and which events may follow which.
//!
//! * [`types`] holds the values that cannot be wrong once constructed (`Title`, `Rating`, …):
//!   they are parsed from raw input once, at the edge, and trusted everywhere after.
//! * [`event`] holds the item events and their stored form: a type name, a schema version and a
//!   JSON payload. Older payload versions are upcast when decoded, so the log never needs rewriting.
//! * [`item`] folds one item's events into its state and decides whether a new event may follow.

pub mod event;
pub mod item;
pub mod types;

pub use event::{DecodeError, ItemChanges, ItemEvent, StoredEvent};
pub use item::{check, check_expected_version, ItemState, Progress, Rejection, Status};
pub use types::{
    duration, for_the_nth_time, hours_played, in_days, ordinal, Creator, ItemId, MediaKind,
    ParseError, Percent, Portion, Rating, Review, Tag, Title, Unit, Url, Visibility,
};
