//! Executing a command: load, decide, append — with idempotent retries and optimistic
//! concurrency.

use lately_domain::{check, check_expected_version, ItemEvent, ItemId, ItemState};
use lately_log::{AppendError, AppendRequest, Appender, EventLog, NewEvent};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::error::ApiError;
use crate::streams::Streams;

/// Namespaces for ids derived from an `Idempotency-Key`: the same key always names the same
/// event (and, for an add without an id, the same item), so a retry is recognised.
const EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x6c61_7465_6c79_4e00_8000_0000_0000_0001);
const ITEM_NAMESPACE: Uuid = Uuid::from_u128(0x6c61_7465_6c79_4e00_8000_0000_0000_0002);

/// How often a command without an explicit expected version is re-decided when another write
/// to the same item slipped in between loading and appending.
const ATTEMPTS: usize = 5;

/// A validated `Idempotency-Key` header.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let ok = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ApiError::BadRequest(
                "Idempotency-Key must be 1-255 visible ASCII characters".into(),
            ))
        }
    }

    pub fn event_id(&self) -> Uuid {
        Uuid::new_v5(&EVENT_NAMESPACE, self.0.as_bytes())
    }

    /// A number derived from the key: the suffix of the slug id of an item added with this key
    /// and no explicit id, so that a retry names the same item.
    pub fn seed(&self) -> u64 {
        Uuid::new_v5(&ITEM_NAMESPACE, self.0.as_bytes())
            .as_u64_pair()
            .0
    }
}

/// One event to record on one item.
pub struct Command {
    pub item: ItemId,
    pub event: ItemEvent,
    pub expected_version: Option<i64>,
    pub idempotency_key: Option<IdempotencyKey>,
    /// Request id and actor, stored with the event.
    pub metadata: Value,
    /// The item an earlier build named for this same request, if another: an add's id made
    /// from its title and Idempotency-Key before slugs spelled other scripts in ASCII. A retry
    /// whose original went there is a replay of it, not a reuse of the key.
    pub formerly: Option<ItemId>,
}

/// What a successful write answers: the read-your-writes token is `position`.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub version: i64,
    pub position: i64,
    /// An earlier request with the same Idempotency-Key did the work.
    #[serde(skip)]
    pub replayed: bool,
}

pub async fn execute(
    log: &EventLog,
    appender: &Appender,
    streams: &Streams,
    command: Command,
) -> Result<Outcome, ApiError> {
    let stream = command.item.as_str();
    let event_id = match &command.idempotency_key {
        Some(key) => {
            let event_id = key.event_id();
            // A retry: answer as the original did, even if the item has moved on since (a
            // repeated `start` must not turn into "already in progress").
            if let Some(original) = log.event_by_id(event_id).await? {
                let named = original.stream_id == stream
                    || command
                        .formerly
                        .as_ref()
                        .is_some_and(|f| original.stream_id == f.as_str());
                if !named || original.event_type != command.event.event_type() {
                    return Err(ApiError::IdempotencyKeyReused);
                }
                return Ok(Outcome {
                    id: original.stream_id,
                    version: original.stream_version,
                    position: original.position,
                    replayed: true,
                });
            }
            event_id
        }
        // Time-ordered, so that its entry in the log's unique index on event ids goes next to
        // the last one written, as the position's does, rather than on a random page of it
        // (random ones made PostgreSQL's insert ~20% slower).
        None => Uuid::now_v7(),
    };
    let stored = command.event.encode();
    let new_event = NewEvent {
        event_id,
        event_type: stored.event_type.to_owned(),
        schema_version: stored.schema_version,
        data: stored.data,
        metadata: command.metadata,
    };

    // Remembered state first; the log when there is none, or when it says no (see `streams`).
    let (mut state, mut fresh) = match streams.get(stream) {
        Some(state) => (Some(state), false),
        None => (load(log, stream).await?, true),
    };
    for _ in 0..ATTEMPTS {
        let current = state.as_ref().map_or(0, |s| s.version);
        let decision = check_expected_version(current, command.expected_version)
            .and_then(|()| check(state.as_ref(), &command.event));
        if let Err(rejection) = decision {
            if !fresh {
                (state, fresh) = (load(log, stream).await?, true);
                continue;
            }
            return Err(rejection.into());
        }

        let request = AppendRequest {
            stream_id: stream.to_owned(),
            expected_version: Some(current),
            events: vec![new_event.clone()],
        };
        match appender.append(request).await {
            Ok(done) => {
                metrics::counter!("lately_writer_events_total", "type" => stored.event_type)
                    .increment(u64::from(!done.duplicate));
                let next = match state {
                    Some(mut s) => {
                        s.apply(&command.event);
                        Some(s)
                    }
                    None => ItemState::replay([&command.event]),
                };
                match next {
                    Some(next) if !done.duplicate && next.version == done.version => {
                        streams.remember(stream, next)
                    }
                    _ => streams.forget(stream),
                }
                return Ok(Outcome {
                    id: done.stream_id,
                    version: done.version,
                    position: done.last_position,
                    replayed: done.duplicate,
                });
            }
            // Someone else wrote to this item since we decided. With no version of their own,
            // the client asked for "now": decide again against the new state. With the client's own version, that is their answer — unless what we decided on
            // was remembered, not read: then decide again on what the log says.
            Err(conflict @ AppendError::Conflict { .. }) => {
                streams.forget(stream);
                if command.expected_version.is_some() && fresh {
                    return Err(conflict.into());
                }
                (state, fresh) = (load(log, stream).await?, true);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Unavailable(format!(
        "item {stream} is being changed concurrently; retry"
    )))
}

/// The item's state folded from its whole stream in the log (`None`: no such item).
async fn load(log: &EventLog, stream: &str) -> Result<Option<ItemState>, ApiError> {
    let history = log.read_stream(stream).await?;
    let events = history
        .into_iter()
        .map(|e| ItemEvent::decode_json(&e.event_type, e.schema_version, e.data.as_str()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(format!("item {stream}: {e}")))?;
    Ok(ItemState::replay(&events))
}
