//! Restoring recorded events as they are — a dump of another log, or of this one — keeping
//! their positions, ids, stream versions and times, so that everything that names a position
//! (a reader's snapshot, the notifier's outbox, a client's `Lately-Min-Position`) still means
//! the same event.
//!
//! A restore is an append that decides nothing: the events come with their places, and the
//! log only checks that they continue it. Positions must follow the head without a gap, and
//! each stream's versions its last one; the unique indexes catch the rest (an event id the
//! log already has). It runs under the same lock as every append, so a writer appending at
//! the same time makes one of the two fail, and neither leaves a gap.

use std::collections::HashMap;

use crate::{RecordedEvent, RestoreError};

/// Whether `events` continue a log whose head is `head` and whose streams are at `versions`
/// (a stream not in it has no events yet).
pub(crate) fn check(
    head: i64,
    versions: &HashMap<String, i64>,
    events: &[RecordedEvent],
) -> Result<(), RestoreError> {
    let mut now: HashMap<&str, i64> = HashMap::new();
    for (expected, event) in (head + 1..).zip(events) {
        if event.position != expected {
            return Err(RestoreError::NotNext {
                expected,
                found: event.position,
            });
        }
        let current = now
            .entry(&event.stream_id)
            .or_insert_with(|| versions.get(&event.stream_id).copied().unwrap_or(0));
        if event.stream_version != *current + 1 {
            return Err(RestoreError::StreamVersion {
                position: event.position,
                stream_id: event.stream_id.clone(),
                current: *current,
                found: event.stream_version,
            });
        }
        *current = event.stream_version;
    }
    Ok(())
}

/// The streams `events` touch, each once.
pub(crate) fn streams(events: &[RecordedEvent]) -> Vec<&str> {
    let mut streams: Vec<&str> = events.iter().map(|e| e.stream_id.as_str()).collect();
    streams.sort_unstable();
    streams.dedup();
    streams
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Payload;

    fn event(position: i64, stream: &str, version: i64) -> RecordedEvent {
        RecordedEvent {
            position,
            stream_id: stream.into(),
            stream_version: version,
            event_id: uuid::Uuid::new_v4(),
            event_type: "t".into(),
            schema_version: 1,
            data: Payload::from_json("{}".into()).unwrap(),
            metadata: serde_json::Value::Null,
            recorded_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn events_that_continue_the_log_and_their_streams_pass() {
        let versions = HashMap::from([("a".to_owned(), 2)]);
        let events = [event(6, "a", 3), event(7, "b", 1), event(8, "a", 4)];
        assert!(check(5, &versions, &events).is_ok());
        assert!(check(0, &HashMap::new(), &[]).is_ok());
    }

    #[test]
    fn a_position_that_does_not_follow_is_refused() {
        let e = check(5, &HashMap::new(), &[event(5, "a", 1)]).unwrap_err();
        assert!(
            matches!(
                e,
                RestoreError::NotNext {
                    expected: 6,
                    found: 5
                }
            ),
            "{e}"
        );
        let e = check(0, &HashMap::new(), &[event(1, "a", 1), event(3, "b", 1)]).unwrap_err();
        assert!(
            matches!(
                e,
                RestoreError::NotNext {
                    expected: 2,
                    found: 3
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn a_stream_version_that_does_not_follow_is_refused() {
        let versions = HashMap::from([("a".to_owned(), 2)]);
        let e = check(0, &versions, &[event(1, "a", 2)]).unwrap_err();
        assert!(
            matches!(
                e,
                RestoreError::StreamVersion {
                    current: 2,
                    found: 2,
                    position: 1,
                    ..
                }
            ),
            "{e}"
        );
        let e = check(0, &HashMap::new(), &[event(1, "b", 1), event(2, "b", 3)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the event at position 2 is version 3 of stream \"b\", which is at version 1: the next is 2"
        );
    }
}
