//! The item events and how they are stored.
//!
//! In the log every event is a `(type name, schema version, JSON payload)` triple. The type names
//! are a public, stable vocabulary (`item_added`, `item_finished`, …); the payload of a type may
//! change shape over time, and each change bumps that type's schema version. Decoding *upcasts*
//! an old payload step by step to the current shape before parsing it, so events written years
//! ago load with today's code and the log is never rewritten.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::types::{
    Creator, MediaKind, ParseError, Percent, Portion, Rating, Review, Tag, Title, Unit, Url,
    Visibility,
};

/// An item was added to the person's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemAdded {
    pub kind: MediaKind,
    pub title: Title,
    #[serde(default)]
    pub creators: Vec<Creator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_url: Option<Url>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub visibility: Visibility,
    pub at: DateTime<Utc>,
}

/// They started it (or started it again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Started {
    pub at: DateTime<Utc>,
}

/// They are this far through it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawProgress", into = "RawProgress")]
pub struct ProgressLogged {
    /// `None` only for time spent of no known whole (a game's 12 hours played) and for an
    /// episode of a season (a show's S2 E5), which are no share of anything: such an event is
    /// schema version 2, or 3 with a season, which older builds refuse as newer than they know;
    /// every other is stored as version 1, as before.
    pub percent: Option<Percent>,
    /// Where they are in the item's own units (page 183 of 304) or its running time, when
    /// they said it so; the percentage was made from it. Stored as two optional fields, `done`
    /// and `of`, beside `percent`, and `unit` when they are seconds, which older builds ignore:
    /// no new schema version. (`done` without `of`, time played or with its `season`, has no
    /// percentage: v2 and v3, above.)
    pub portion: Option<Portion>,
    pub at: DateTime<Utc>,
}

impl ProgressLogged {
    /// A percentage alone, or a portion with the percentage it is.
    pub fn new(percent: Option<Percent>, portion: Option<Portion>, at: DateTime<Utc>) -> Self {
        Self {
            percent: portion.map_or(percent, Portion::percent),
            portion,
            at,
        }
    }
}

/// [`ProgressLogged`] as its JSON reads: `done` and `of` both or neither, or `done` alone in
/// seconds or with a `season`, with no `percent`.
#[derive(Serialize, Deserialize)]
struct RawProgress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    percent: Option<Percent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    done: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    of: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit: Option<Unit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    season: Option<i64>,
    at: DateTime<Utc>,
}

impl TryFrom<RawProgress> for ProgressLogged {
    type Error = ParseError;
    fn try_from(raw: RawProgress) -> Result<Self, ParseError> {
        let portion = Portion::from_parts(raw.done, raw.of, raw.unit, raw.season)?;
        // A percentage, unless the count is of no known whole (time played, an episode of a
        // season), which has none.
        let open = portion.is_some_and(|p| p.of().is_none());
        match (raw.percent, open) {
            (Some(_), true) => {
                return Err(ParseError(
                    "a count of no known whole (done without of: time played, an episode of a \
                     season) is no percentage"
                        .into(),
                ))
            }
            (None, false) => return Err(ParseError("percent is missing".into())),
            _ => {}
        }
        Ok(Self {
            percent: raw.percent,
            portion,
            at: raw.at,
        })
    }
}

impl From<ProgressLogged> for RawProgress {
    fn from(p: ProgressLogged) -> Self {
        Self {
            percent: p.percent,
            done: p.portion.map(|p| i64::from(p.done())),
            of: p.portion.and_then(Portion::of).map(i64::from),
            unit: p.portion.map(Portion::unit).filter(|u| !u.is_own()),
            season: p.portion.and_then(Portion::season).map(i64::from),
            at: p.at,
        }
    }
}

/// They finished it: the event the feed and the tweets are about. An item can be finished more
/// than once (a re-read, a re-watch); each finish is its own entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finished {
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    /// Whether the notifier may tweet it: false for a finish recorded quietly (`lately finish
    /// --no-tweet`) and for imports, which are history rather than news. Stored only when
    /// false, so that the payload of every other finish is as it was; an optional field with
    /// a default that older builds ignore needs no new schema version.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub tweet: bool,
    /// Whether it was listened to: an audiobook (a book or an article heard rather than read),
    /// said so when it was finished (`lately finish --listened`, an import's format). A read
    /// followed in running time was listened to whether or not the finish says so. Stored only
    /// when true, as `tweet` only when false; an older build reads such a finish as read.
    #[serde(default, skip_serializing_if = "is_false")]
    pub listened: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// They gave up on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Abandoned {
    pub at: DateTime<Utc>,
}

/// Some of the item's details changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edited {
    pub changes: ItemChanges,
    pub at: DateTime<Utc>,
}

/// The latest finish's rating or review, changed afterwards (a second thought, a typo), when
/// its read began (a start logged on the wrong day, or never logged), or when it happened (a
/// finish logged the morning after, without `--at yesterday`). Not a new finish:
/// from this position on the finish reads with the new values; as of an earlier position,
/// with those it had then. An absent field is unchanged; `null` clears a rating or review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinishRevised {
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub rating: Option<Option<Rating>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub review: Option<Option<Review>>,
    /// When the finish's read began: what it "took" is counted from here. Stored only when
    /// given, so a revision of the rating or review reads as it always did (an older build,
    /// which knows no such field, refuses only the revisions that have one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// When the finish happened: the feed, the years and the stats place it here from this
    /// revision on. Stored only when given, as `started_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Whether the finish was listened to (see [`Finished::listened`]): `true` for a finish
    /// logged without `--listened`, `false` for one logged with it by mistake. Stored only
    /// when given, as `started_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listened: Option<bool>,
    pub at: DateTime<Utc>,
}

impl FinishRevised {
    /// The finish `f` with this revision applied.
    pub fn revise(&self, f: &Finished) -> Finished {
        Finished {
            at: self.finished_at.unwrap_or(f.at),
            rating: self.rating.unwrap_or(f.rating),
            review: self.review.clone().unwrap_or_else(|| f.review.clone()),
            tweet: f.tweet,
            listened: self.listened.unwrap_or(f.listened),
        }
    }
}

/// The start of the read (watch, play) in progress, moved: it began on another day than the
/// one logged (`lately start` today for a book begun last week). Not a new start: the
/// progress stays, and the read's finish will say it took from `started_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRevised {
    /// When the read began.
    pub started_at: DateTime<Utc>,
    /// When the start was moved.
    pub at: DateTime<Utc>,
}

/// The latest finish, taken back right after it was recorded by mistake (the wrong item, or
/// not finished after all). The item is again where it stood before that finish, which leaves
/// the feed and the stats from this position on; as of an earlier position it was there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinishRetracted {
    pub at: DateTime<Utc>,
}

/// The latest start, taken back right after it was recorded by mistake (the wrong item, or
/// not begun after all): the item is again where it stood before it — up next, finished or
/// abandoned —, the progress logged since going with it. As of an earlier position it was
/// in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRetracted {
    pub at: DateTime<Utc>,
}

/// The latest give-up, taken back (a tap on the wrong button, or taken up again as the same
/// read): the item is in progress again as it stood, begun when it was, its progress as it
/// was. As of an earlier position it was abandoned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbandonRetracted {
    pub at: DateTime<Utc>,
}

/// The item was removed: it disappears from every output; its events stay in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Removed {
    pub at: DateTime<Utc>,
}

/// A removed item brought back, removed by mistake: it is again where it stood before the
/// removal, with its whole history, in every output it was in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restored {
    pub at: DateTime<Utc>,
}

/// The fields an edit changes. An absent field is unchanged; for the optional URLs, an explicit
/// `null` clears the value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<MediaKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Title>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creators: Option<Vec<Creator>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub url: Option<Option<Url>>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub cover_url: Option<Option<Url>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
}

impl ItemChanges {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// `Option<Option<T>>` as "absent / null / value" (with `#[serde(default)]`).
pub mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Everything that can happen to an item. (Its serde form, `{"type": …, "data": …}`, is for
/// snapshots and API responses; the log stores [`ItemEvent::encode`]'s versioned form.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ItemEvent {
    #[serde(rename = "item_added")]
    Added(ItemAdded),
    #[serde(rename = "item_started")]
    Started(Started),
    #[serde(rename = "item_progress_logged")]
    ProgressLogged(ProgressLogged),
    #[serde(rename = "item_finished")]
    Finished(Finished),
    #[serde(rename = "item_abandoned")]
    Abandoned(Abandoned),
    #[serde(rename = "item_edited")]
    Edited(Edited),
    #[serde(rename = "item_removed")]
    Removed(Removed),
    #[serde(rename = "item_finish_revised")]
    FinishRevised(FinishRevised),
    #[serde(rename = "item_finish_retracted")]
    FinishRetracted(FinishRetracted),
    #[serde(rename = "item_restored")]
    Restored(Restored),
    #[serde(rename = "item_start_revised")]
    StartRevised(StartRevised),
    #[serde(rename = "item_start_retracted")]
    StartRetracted(StartRetracted),
    #[serde(rename = "item_abandon_retracted")]
    AbandonRetracted(AbandonRetracted),
}

/// An event as the log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub event_type: &'static str,
    pub schema_version: i32,
    pub data: Value,
}

/// Why a stored event could not be turned back into an [`ItemEvent`].
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("{event_type} has schema version {version}, newer than this build knows ({known}); upgrade this service")]
    FromTheFuture {
        event_type: String,
        version: i32,
        known: i32,
    },
    #[error("{event_type} v{version} payload is malformed: {reason}")]
    Malformed {
        event_type: String,
        version: i32,
        reason: String,
    },
}

/// Type names and current schema versions. Bump a version together with an upcaster in
/// [`upcast`] whenever a payload changes shape.
const TYPES: [(&str, i32); 13] = [
    ("item_added", 2),
    ("item_started", 1),
    ("item_progress_logged", 3),
    ("item_finished", 2),
    ("item_abandoned", 1),
    ("item_edited", 1),
    ("item_removed", 1),
    ("item_finish_revised", 1),
    ("item_finish_retracted", 1),
    ("item_restored", 1),
    ("item_start_revised", 1),
    ("item_start_retracted", 1),
    ("item_abandon_retracted", 1),
];

impl ItemEvent {
    pub fn event_type(&self) -> &'static str {
        TYPES[self.type_index()].0
    }

    pub fn schema_version(&self) -> i32 {
        match self {
            // Version 2 only where version 1 cannot say it, and 3 only where 2 cannot, so that
            // every other progress event stays readable by a build before it.
            Self::ProgressLogged(p) if p.percent.is_some() => 1,
            Self::ProgressLogged(p) if p.portion.and_then(Portion::season).is_none() => 2,
            _ => TYPES[self.type_index()].1,
        }
    }

    fn type_index(&self) -> usize {
        match self {
            Self::Added(_) => 0,
            Self::Started(_) => 1,
            Self::ProgressLogged(_) => 2,
            Self::Finished(_) => 3,
            Self::Abandoned(_) => 4,
            Self::Edited(_) => 5,
            Self::Removed(_) => 6,
            Self::FinishRevised(_) => 7,
            Self::FinishRetracted(_) => 8,
            Self::Restored(_) => 9,
            Self::StartRevised(_) => 10,
            Self::StartRetracted(_) => 11,
            Self::AbandonRetracted(_) => 12,
        }
    }

    /// When it happened, as the person says (possibly backdated); not when it was recorded.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Added(e) => e.at,
            Self::Started(e) => e.at,
            Self::ProgressLogged(e) => e.at,
            Self::Finished(e) => e.at,
            Self::Abandoned(e) => e.at,
            Self::Edited(e) => e.at,
            Self::Removed(e) => e.at,
            Self::FinishRevised(e) => e.at,
            Self::FinishRetracted(e) => e.at,
            Self::Restored(e) => e.at,
            Self::StartRevised(e) => e.at,
            Self::StartRetracted(e) => e.at,
            Self::AbandonRetracted(e) => e.at,
        }
    }

    pub fn encode(&self) -> StoredEvent {
        let data = match self {
            Self::Added(e) => serde_json::to_value(e),
            Self::Started(e) => serde_json::to_value(e),
            Self::ProgressLogged(e) => serde_json::to_value(e),
            Self::Finished(e) => serde_json::to_value(e),
            Self::Abandoned(e) => serde_json::to_value(e),
            Self::Edited(e) => serde_json::to_value(e),
            Self::Removed(e) => serde_json::to_value(e),
            Self::FinishRevised(e) => serde_json::to_value(e),
            Self::FinishRetracted(e) => serde_json::to_value(e),
            Self::Restored(e) => serde_json::to_value(e),
            Self::StartRevised(e) => serde_json::to_value(e),
            Self::StartRetracted(e) => serde_json::to_value(e),
            Self::AbandonRetracted(e) => serde_json::to_value(e),
        }
        // Serialising these plain structs into a `Value` cannot fail: no maps with non-string
        // keys, no custom serialisers that error.
        .expect("item events serialise to JSON");
        StoredEvent {
            event_type: self.event_type(),
            schema_version: self.schema_version(),
            data,
        }
    }

    /// Decodes a stored event of any schema version this build knows, upcasting old payloads.
    pub fn decode(event_type: &str, schema_version: i32, data: Value) -> Result<Self, DecodeError> {
        let (name, current) = known(event_type, schema_version)?;
        Self::upcast_and_parse(name, schema_version, current, data)
    }

    /// [`decode`](Self::decode) from the payload's JSON text. An event of the current schema
    /// version is read straight into its type, without building a [`Value`] on the way, which
    /// is how replicas replay the log; an older one is upcast as a `Value`.
    pub fn decode_json(
        event_type: &str,
        schema_version: i32,
        json: &str,
    ) -> Result<Self, DecodeError> {
        let (name, current) = known(event_type, schema_version)?;
        if schema_version < current && !reads_as_current(name, schema_version) {
            let data = serde_json::from_str(json)
                .map_err(|e| malformed(name, schema_version, e.to_string()))?;
            return Self::upcast_and_parse(name, schema_version, current, data);
        }
        let mut de = serde_json::Deserializer::from_str(json);
        let event = Self::parse(name, &mut de)
            .and_then(|event| de.end().map(|()| event))
            .map_err(|e| malformed(name, schema_version, e.to_string()))?;
        event.within(schema_version)
    }

    /// The event, if its schema version could say it: one read as a later version is read
    /// ([`reads_as_current`]) must not say what only that version can.
    fn within(self, version: i32) -> Result<Self, DecodeError> {
        match &self {
            Self::ProgressLogged(p) if version == 1 && p.percent.is_none() => Err(malformed(
                "item_progress_logged",
                version,
                "item_progress_logged v1 always has a percent".to_owned(),
            )),
            Self::ProgressLogged(p)
                if version < 3 && p.portion.and_then(Portion::season).is_some() =>
            {
                Err(malformed(
                    "item_progress_logged",
                    version,
                    format!("item_progress_logged v{version} has no season"),
                ))
            }
            _ => Ok(self),
        }
    }

    /// A payload of `name` at `version`, upcast to `current` and read into its type.
    fn upcast_and_parse(
        name: &str,
        version: i32,
        current: i32,
        mut data: Value,
    ) -> Result<Self, DecodeError> {
        if !reads_as_current(name, version) {
            for from in version..current {
                data = upcast(name, from, data).map_err(|e| malformed(name, version, e))?;
            }
        }
        Self::parse(name, data)
            .map_err(|e| malformed(name, version, e.to_string()))?
            .within(version)
    }

    /// The event `name` (one of [`TYPES`]) read from `de`.
    fn parse<'de, D: serde::Deserializer<'de>>(name: &str, de: D) -> Result<Self, D::Error> {
        Ok(match name {
            "item_added" => Self::Added(Deserialize::deserialize(de)?),
            "item_started" => Self::Started(Deserialize::deserialize(de)?),
            "item_progress_logged" => Self::ProgressLogged(Deserialize::deserialize(de)?),
            "item_finished" => Self::Finished(Deserialize::deserialize(de)?),
            "item_abandoned" => Self::Abandoned(Deserialize::deserialize(de)?),
            "item_edited" => Self::Edited(Deserialize::deserialize(de)?),
            "item_removed" => Self::Removed(Deserialize::deserialize(de)?),
            "item_finish_revised" => Self::FinishRevised(Deserialize::deserialize(de)?),
            "item_finish_retracted" => Self::FinishRetracted(Deserialize::deserialize(de)?),
            "item_restored" => Self::Restored(Deserialize::deserialize(de)?),
            "item_start_revised" => Self::StartRevised(Deserialize::deserialize(de)?),
            "item_start_retracted" => Self::StartRetracted(Deserialize::deserialize(de)?),
            "item_abandon_retracted" => Self::AbandonRetracted(Deserialize::deserialize(de)?),
            _ => unreachable!("every name in TYPES has a decoder"),
        })
    }
}

/// Whether `version` of `name` is read as the current version is, with no upcast: so it is
/// when the current version only widened what the payload may say, and
/// [`ItemEvent::within`] refuses what the older version could not say. (The log's replay
/// reads most events so, straight from their text.)
///
/// * `item_progress_logged` v1 and v2 as v3: the same payload; v2 may leave `percent` out, for
///   time spent of no known whole (`done` in seconds without `of`), and v3 for an episode of a
///   season too (`done` with `season`). Only such events are stored as v2 and v3
///   ([`ItemEvent::schema_version`]).
fn reads_as_current(name: &str, version: i32) -> bool {
    matches!((name, version), ("item_progress_logged", 1 | 2))
}

/// The type's name as [`TYPES`] spells it and its current schema version, if this build can
/// read `schema_version` of it.
fn known(event_type: &str, schema_version: i32) -> Result<(&'static str, i32), DecodeError> {
    let Some(&(name, current)) = TYPES.iter().find(|(name, _)| *name == event_type) else {
        return Err(DecodeError::UnknownType(event_type.to_owned()));
    };
    if schema_version > current {
        return Err(DecodeError::FromTheFuture {
            event_type: name.to_owned(),
            version: schema_version,
            known: current,
        });
    }
    Ok((name, current))
}

fn malformed(name: &str, version: i32, reason: String) -> DecodeError {
    DecodeError::Malformed {
        event_type: name.to_owned(),
        version,
        reason,
    }
}

/// Rewrites a payload of `event_type` from schema version `from` to `from + 1`.
///
/// The history so far:
/// * `item_added` v1 → v2: a single optional `author` string became the `creators` list, and
///   `visibility` was introduced (everything before it was public).
/// * `item_finished` v1 → v2: whole `stars` (1–5) became `rating` in half steps (0.5–5.0).
/// * `item_progress_logged` v1 → v2 → v3: none ([`reads_as_current`]).
fn upcast(event_type: &str, from: i32, mut data: Value) -> Result<Value, String> {
    let obj = data
        .as_object_mut()
        .ok_or_else(|| "payload is not a JSON object".to_owned())?;
    match (event_type, from) {
        ("item_added", 1) => {
            let creators = match obj.remove("author") {
                Some(Value::String(a)) if !a.trim().is_empty() => vec![Value::String(a)],
                _ => vec![],
            };
            obj.insert("creators".into(), Value::Array(creators));
            obj.entry("visibility").or_insert_with(|| "public".into());
        }
        ("item_finished", 1) => {
            if let Some(stars) = obj.remove("stars") {
                if !stars.is_null() {
                    obj.insert("rating".into(), stars);
                }
            }
        }
        _ => {
            return Err(format!(
                "no upcaster from v{from} (this type has never had that version)"
            ))
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at() -> DateTime<Utc> {
        "2026-11-01T20:00:00Z".parse().unwrap()
    }

    fn every_event() -> Vec<ItemEvent> {
        vec![
            ItemEvent::Added(ItemAdded {
                kind: MediaKind::Book,
                title: Title::parse("Piranesi").unwrap(),
                creators: vec![Creator::parse("Susanna Clarke").unwrap()],
                url: Some(Url::parse("https://example.com/piranesi").unwrap()),
                cover_url: None,
                tags: vec![Tag::parse("Fantasy").unwrap()],
                visibility: Visibility::Private,
                at: at(),
            }),
            ItemEvent::Started(Started { at: at() }),
            ItemEvent::ProgressLogged(ProgressLogged {
                percent: Some(Percent::parse(40).unwrap()),
                portion: None,
                at: at(),
            }),
            ItemEvent::ProgressLogged(ProgressLogged {
                percent: Some(Percent::parse(60).unwrap()),
                portion: Some(Portion::parse(183, 304).unwrap()),
                at: at(),
            }),
            ItemEvent::ProgressLogged(ProgressLogged {
                percent: Some(Percent::parse(31).unwrap()),
                portion: Some(Portion::parse_in(4_800, 15_120, Unit::Seconds).unwrap()),
                at: at(),
            }),
            ItemEvent::ProgressLogged(ProgressLogged {
                percent: None,
                portion: Some(Portion::played(43_200).unwrap()),
                at: at(),
            }),
            ItemEvent::Finished(Finished {
                at: at(),
                rating: Some(Rating::parse(4.5).unwrap()),
                review: Some(Review::parse("Strange\nand lovely.").unwrap()),
                tweet: true,
                listened: false,
            }),
            ItemEvent::Finished(Finished {
                at: at(),
                rating: None,
                review: None,
                tweet: false,
                listened: true,
            }),
            ItemEvent::Abandoned(Abandoned { at: at() }),
            ItemEvent::Edited(Edited {
                changes: ItemChanges {
                    url: Some(None),
                    title: Some(Title::parse("Piranesi (2020)").unwrap()),
                    ..Default::default()
                },
                at: at(),
            }),
            ItemEvent::Removed(Removed { at: at() }),
            ItemEvent::FinishRevised(FinishRevised {
                rating: Some(Some(Rating::parse(5.0).unwrap())),
                review: Some(None),
                started_at: None,
                finished_at: None,
                listened: None,
                at: at(),
            }),
            ItemEvent::FinishRevised(FinishRevised {
                rating: None,
                review: None,
                started_at: Some(at() - chrono::Duration::days(12)),
                finished_at: None,
                listened: None,
                at: at(),
            }),
            ItemEvent::FinishRevised(FinishRevised {
                rating: None,
                review: None,
                started_at: None,
                finished_at: Some(at() - chrono::Duration::days(1)),
                listened: None,
                at: at(),
            }),
            ItemEvent::FinishRevised(FinishRevised {
                rating: None,
                review: None,
                started_at: None,
                finished_at: None,
                listened: Some(true),
                at: at(),
            }),
            ItemEvent::FinishRetracted(FinishRetracted { at: at() }),
            ItemEvent::Restored(Restored { at: at() }),
            ItemEvent::StartRevised(StartRevised {
                started_at: at() - chrono::Duration::days(9),
                at: at(),
            }),
            ItemEvent::StartRetracted(StartRetracted { at: at() }),
            ItemEvent::AbandonRetracted(AbandonRetracted { at: at() }),
        ]
    }

    #[test]
    fn a_revision_changes_what_it_names_and_clears_what_is_null() {
        let finish = Finished {
            at: at(),
            rating: Some(Rating::parse(3.0).unwrap()),
            review: Some(Review::parse("Fine.").unwrap()),
            tweet: false,
            listened: false,
        };
        let revision: FinishRevised =
            serde_json::from_value(json!({"review": null, "at": at()})).unwrap();
        assert_eq!(
            revision.revise(&finish),
            Finished {
                review: None,
                ..finish.clone()
            }
        );
        let rating: FinishRevised =
            serde_json::from_value(json!({"rating": 4.5, "at": at()})).unwrap();
        assert_eq!(
            rating.revise(&finish).rating,
            Some(Rating::parse(4.5).unwrap())
        );
        assert_eq!(rating.revise(&finish).review, finish.review);
        assert_eq!(rating.revise(&finish).at, finish.at);
        let moved: FinishRevised =
            serde_json::from_value(json!({"finished_at": "2026-10-30T12:00:00Z", "at": at()}))
                .unwrap();
        assert_eq!(
            moved.revise(&finish),
            Finished {
                at: "2026-10-30T12:00:00Z".parse().unwrap(),
                ..finish.clone()
            }
        );
        // Heard, not read: said so afterwards, and taken back; a revision without it keeps it.
        let heard: FinishRevised =
            serde_json::from_value(json!({"listened": true, "at": at()})).unwrap();
        let heard_finish = heard.revise(&finish);
        assert!(heard_finish.listened);
        assert!(rating.revise(&heard_finish).listened);
        let read: FinishRevised =
            serde_json::from_value(json!({"listened": false, "at": at()})).unwrap();
        assert!(!read.revise(&heard_finish).listened);
    }

    #[test]
    fn a_finish_says_it_was_listened_to_only_when_it_was() {
        let read: Finished = serde_json::from_value(json!({"at": at()})).unwrap();
        assert!(!read.listened);
        assert_eq!(serde_json::to_value(&read).unwrap(), json!({"at": at()}));
        let heard = Finished {
            listened: true,
            ..read
        };
        assert_eq!(
            serde_json::to_value(&heard).unwrap(),
            json!({"at": at(), "listened": true})
        );
    }

    #[test]
    fn every_event_round_trips_through_its_stored_form() {
        for event in every_event() {
            let stored = event.encode();
            let back =
                ItemEvent::decode(stored.event_type, stored.schema_version, stored.data).unwrap();
            assert_eq!(back, event);
        }
    }

    /// A page count rides beside the percentage as two plain fields, so that an older build
    /// reads the percentage and ignores them; one without the other is not an event.
    #[test]
    fn progress_in_pages_is_stored_beside_its_percentage() {
        let event = ItemEvent::ProgressLogged(ProgressLogged {
            percent: Some(Percent::parse(60).unwrap()),
            portion: Some(Portion::parse(183, 304).unwrap()),
            at: at(),
        });
        let stored = event.encode();
        assert_eq!(
            stored.data,
            json!({"percent": 60, "done": 183, "of": 304, "at": at()})
        );
        // A running time says so: seconds, which an older build would take for pages.
        let timed = ItemEvent::ProgressLogged(ProgressLogged {
            percent: Some(Percent::parse(31).unwrap()),
            portion: Some(Portion::parse_in(4_800, 15_120, Unit::Seconds).unwrap()),
            at: at(),
        });
        assert_eq!(
            timed.encode().data,
            json!({"percent": 31, "done": 4_800, "of": 15_120, "unit": "seconds", "at": at()})
        );
        let plain = ItemEvent::decode(
            "item_progress_logged",
            1,
            json!({"percent": 40, "at": at()}),
        );
        assert!(matches!(
            plain.unwrap(),
            ItemEvent::ProgressLogged(ProgressLogged { portion: None, .. })
        ));
        for half in [
            json!({"percent": 60, "done": 183, "at": at()}),
            json!({"percent": 60, "of": 304, "at": at()}),
            json!({"percent": 60, "done": 305, "of": 304, "at": at()}),
            json!({"percent": 60, "unit": "seconds", "at": at()}),
            json!({"percent": 60, "done": 1, "of": 2, "unit": "pages", "at": at()}),
        ] {
            let bad = ItemEvent::decode("item_progress_logged", 1, half.clone());
            assert!(matches!(bad, Err(DecodeError::Malformed { .. })), "{half}");
        }
    }

    /// Asserts that `bad`, an `item_progress_logged` payload at `version`, is malformed, read
    /// from its text (as the replay reads it) and from its value alike.
    fn malformed_progress(version: i32, bad: &Value) {
        for decoded in [
            ItemEvent::decode_json("item_progress_logged", version, &bad.to_string()),
            ItemEvent::decode("item_progress_logged", version, bad.clone()),
        ] {
            assert!(
                matches!(decoded, Err(DecodeError::Malformed { .. })),
                "v{version} {bad}: {decoded:?}"
            );
        }
    }

    /// A game's hours played, of no known whole, has no percentage: it is the one progress
    /// event stored as v2, which an older build refuses as newer than it knows rather than
    /// misreading; every other stays v1, which older builds read. A v1 without a percentage,
    /// or a percentage beside time played, is no event.
    #[test]
    fn time_played_is_stored_as_v2_without_a_percentage_and_the_rest_as_v1() {
        let played = ItemEvent::ProgressLogged(ProgressLogged::new(
            None,
            Some(Portion::played(43_200).unwrap()),
            at(),
        ));
        let stored = played.encode();
        assert_eq!(stored.schema_version, 2);
        assert_eq!(
            stored.data,
            json!({"done": 43_200, "unit": "seconds", "at": at()})
        );
        let text = stored.data.to_string();
        assert_eq!(
            ItemEvent::decode_json("item_progress_logged", 2, &text).unwrap(),
            played
        );
        // Every progress with a percentage, as before.
        let pages = ItemEvent::ProgressLogged(ProgressLogged::new(
            None,
            Some(Portion::parse(183, 304).unwrap()),
            at(),
        ));
        assert_eq!(pages.encode().schema_version, 1);
        assert!(matches!(
            &pages,
            ItemEvent::ProgressLogged(p) if p.percent == Some(Percent::parse(60).unwrap())
        ));
        for (version, bad) in [
            (1, json!({"done": 43_200, "unit": "seconds", "at": at()})),
            (
                2,
                json!({"percent": 5, "done": 43_200, "unit": "seconds", "at": at()}),
            ),
            (2, json!({"at": at()})),
            (2, json!({"done": 45, "at": at()})),
        ] {
            malformed_progress(version, &bad);
        }
    }

    /// A show's episode of a season is stored as v3 (a build that knows v2 would misread the
    /// season it does not know of), read back from text and from a value; a season in a v1 or
    /// v2 payload, or beside a percentage, is no event.
    #[test]
    fn an_episode_of_a_season_is_stored_as_v3() {
        let episode = ItemEvent::ProgressLogged(ProgressLogged::new(
            None,
            Some(Portion::episode(2, 5).unwrap()),
            at(),
        ));
        let stored = episode.encode();
        assert_eq!(stored.schema_version, 3);
        assert_eq!(stored.data, json!({"done": 5, "season": 2, "at": at()}));
        let text = stored.data.to_string();
        assert_eq!(
            ItemEvent::decode_json("item_progress_logged", 3, &text).unwrap(),
            episode
        );
        assert_eq!(
            ItemEvent::decode("item_progress_logged", 3, stored.data.clone()).unwrap(),
            episode
        );
        // Time played stays v2, a percentage v1, and both read as v3 reads them.
        let played = json!({"done": 43_200, "unit": "seconds", "at": at()});
        assert!(ItemEvent::decode_json("item_progress_logged", 2, &played.to_string()).is_ok());
        for (version, bad) in [
            (1, json!({"done": 5, "season": 2, "at": at()})),
            (2, json!({"done": 5, "season": 2, "at": at()})),
            (
                3,
                json!({"percent": 10, "done": 5, "season": 2, "at": at()}),
            ),
            (3, json!({"done": 5, "of": 10, "season": 2, "at": at()})),
            (3, json!({"season": 2, "at": at()})),
        ] {
            malformed_progress(version, &bad);
        }
        assert!(matches!(
            ItemEvent::decode("item_progress_logged", 4, json!({"percent": 1, "at": at()})),
            Err(DecodeError::FromTheFuture { known: 3, .. })
        ));
    }

    #[test]
    fn an_edit_distinguishes_clearing_from_leaving_alone() {
        let clear: ItemChanges = serde_json::from_value(json!({"url": null})).unwrap();
        assert_eq!(clear.url, Some(None));
        let keep: ItemChanges = serde_json::from_value(json!({"title": "x"})).unwrap();
        assert_eq!(keep.url, None);
        assert_eq!(serde_json::to_value(&clear).unwrap(), json!({"url": null}));
    }

    /// A v1 `item_added` exactly as an early build stored it (see tests/fixtures).
    #[test]
    fn a_stored_v1_item_added_upcasts() {
        let stored: Value =
            serde_json::from_str(include_str!("../tests/fixtures/item_added.v1.json")).unwrap();
        let ItemEvent::Added(added) = ItemEvent::decode("item_added", 1, stored).unwrap() else {
            panic!("not an item_added");
        };
        assert_eq!(added.title.as_str(), "The Left Hand of Darkness");
        assert_eq!(
            added.creators,
            vec![Creator::parse("Ursula K. Le Guin").unwrap()]
        );
        assert_eq!(added.visibility, Visibility::Public);
        assert!(added.tags.is_empty());
    }

    #[test]
    fn a_stored_v1_item_finished_upcasts_whole_stars() {
        let stored: Value =
            serde_json::from_str(include_str!("../tests/fixtures/item_finished.v1.json")).unwrap();
        let ItemEvent::Finished(f) = ItemEvent::decode("item_finished", 1, stored).unwrap() else {
            panic!("not an item_finished");
        };
        assert_eq!(f.rating, Some(Rating::parse(4.0).unwrap()));
    }

    fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "\\PC{0,20}".prop_map(Value::from),
            Just(Value::from("2026-11-01T20:00:00Z")),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("title".to_string()),
                        Just("kind".to_string()),
                        Just("at".to_string()),
                        Just("rating".to_string()),
                        Just("author".to_string()),
                        Just("stars".to_string()),
                        Just("changes".to_string()),
                        Just("percent".to_string()),
                        Just("done".to_string()),
                        Just("of".to_string()),
                        Just("unit".to_string()),
                        Just("season".to_string()),
                        "[a-z]{1,8}"
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Decoding never panics, whatever a stored row holds: it is an event or an error. And
        /// decoding the payload's text (how replicas replay) agrees with decoding its `Value`:
        /// the same event, or both an error.
        #[test]
        fn decoding_arbitrary_payloads_never_panics_and_text_agrees_with_value(
            data in arbitrary_json(),
            t in 0..TYPES.len() + 1,
            version in -1..5i32,
        ) {
            let name = TYPES.get(t).map_or("nonsense", |(n, _)| *n);
            let from_text = ItemEvent::decode_json(name, version, &data.to_string());
            let from_value = ItemEvent::decode(name, version, data);
            match (from_text, from_value) {
                (Ok(a), Ok(b)) => proptest::prop_assert_eq!(a, b),
                (Err(_), Err(_)) => {}
                (a, b) => proptest::prop_assert!(false, "text: {a:?}, value: {b:?}"),
            }
        }
    }

    #[test]
    fn every_event_decodes_from_the_text_of_its_stored_form() {
        for event in every_event() {
            let stored = event.encode();
            let text = stored.data.to_string();
            let back = ItemEvent::decode_json(stored.event_type, stored.schema_version, &text);
            assert_eq!(back.unwrap(), event);
        }
    }

    #[test]
    fn old_payloads_decode_from_text_as_from_a_value() {
        for (name, fixture) in [
            (
                "item_added",
                include_str!("../tests/fixtures/item_added.v1.json"),
            ),
            (
                "item_finished",
                include_str!("../tests/fixtures/item_finished.v1.json"),
            ),
        ] {
            let value = ItemEvent::decode(name, 1, serde_json::from_str(fixture).unwrap());
            assert_eq!(
                ItemEvent::decode_json(name, 1, fixture).unwrap(),
                value.unwrap()
            );
        }
    }

    #[test]
    fn text_with_something_after_the_payload_is_malformed() {
        let text = format!(r#"{{"at": "{}"}} {{}}"#, at());
        let bad = ItemEvent::decode_json("item_started", 1, &text);
        assert!(matches!(bad, Err(DecodeError::Malformed { .. })), "{bad:?}");
    }

    #[test]
    fn unknown_and_future_events_are_refused_not_guessed() {
        assert!(matches!(
            ItemEvent::decode("item_loved", 1, json!({})),
            Err(DecodeError::UnknownType(_))
        ));
        assert!(matches!(
            ItemEvent::decode("item_started", 9, json!({"at": at()})),
            Err(DecodeError::FromTheFuture { .. })
        ));
        let bad = ItemEvent::decode("item_finished", 2, json!({"at": at(), "rating": 7}));
        assert!(matches!(bad, Err(DecodeError::Malformed { .. })), "{bad:?}");
    }
}
