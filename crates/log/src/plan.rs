//! The pure half of a group commit: given the log's head, which of the batch's event ids exist
//! already and the current version of each stream it touches, decide each append's outcome and
//! the rows to insert. The backends do the I/O around it, holding the append lock.

use std::collections::HashMap;

use uuid::Uuid;

use crate::{AppendError, AppendRequest, Appended, NewEvent};

/// Where an event already in the log sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placed {
    pub stream_id: String,
    pub stream_version: i64,
    pub position: i64,
}

/// A row to insert.
#[derive(Debug)]
pub(crate) struct Row<'a> {
    pub position: i64,
    pub stream_id: &'a str,
    pub stream_version: i64,
    pub event: &'a NewEvent,
}

#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub rows: Vec<Row<'a>>,
    /// One per request, in request order.
    pub outcomes: Vec<Result<Appended, AppendError>>,
    /// The head after the rows are inserted.
    pub head: i64,
}

/// Plans a batch. Requests are considered in order, each seeing the effect of those before it,
/// exactly as if they had been appended one transaction at a time.
pub(crate) fn plan<'a>(
    head: i64,
    requests: &[&'a AppendRequest],
    existing: &HashMap<Uuid, Placed>,
    versions: &HashMap<String, i64>,
) -> Plan<'a> {
    let mut head = head;
    let mut placed: HashMap<Uuid, Placed> = HashMap::new();
    let mut versions = versions.clone();
    let mut rows = Vec::new();
    let mut outcomes = Vec::with_capacity(requests.len());

    for request in requests {
        let outcome = (|| {
            if request.events.is_empty() {
                return Err(AppendError::Invalid("an append needs at least one event"));
            }
            let known: Vec<&Placed> = request
                .events
                .iter()
                .filter_map(|e| {
                    existing
                        .get(&e.event_id)
                        .or_else(|| placed.get(&e.event_id))
                })
                .collect();
            if !known.is_empty() {
                return replay_of_earlier_append(request, &known);
            }
            let mut seen = std::collections::HashSet::new();
            if let Some(dup) = request.events.iter().find(|e| !seen.insert(e.event_id)) {
                return Err(AppendError::EventIdReused {
                    event_id: dup.event_id,
                });
            }

            let current = versions.get(&request.stream_id).copied().unwrap_or(0);
            if let Some(expected) = request.expected_version {
                if expected != current {
                    return Err(AppendError::Conflict {
                        stream_id: request.stream_id.clone(),
                        expected,
                        current,
                    });
                }
            }

            let first_position = head + 1;
            let mut version = current;
            for event in &request.events {
                head += 1;
                version += 1;
                rows.push(Row {
                    position: head,
                    stream_id: &request.stream_id,
                    stream_version: version,
                    event,
                });
                placed.insert(
                    event.event_id,
                    Placed {
                        stream_id: request.stream_id.clone(),
                        stream_version: version,
                        position: head,
                    },
                );
            }
            versions.insert(request.stream_id.clone(), version);
            Ok(Appended {
                stream_id: request.stream_id.clone(),
                first_position,
                last_position: head,
                version,
                duplicate: false,
            })
        })();
        outcomes.push(outcome);
    }
    Plan {
        rows,
        outcomes,
        head,
    }
}

/// Every event of the request is already in the log, on the same stream: answer with where they
/// are. Anything less is an id reused for something else.
fn replay_of_earlier_append(
    request: &AppendRequest,
    known: &[&Placed],
) -> Result<Appended, AppendError> {
    let same = known.len() == request.events.len()
        && known.iter().all(|p| p.stream_id == request.stream_id);
    if !same {
        let event_id = request.events[0].event_id;
        return Err(AppendError::EventIdReused { event_id });
    }
    Ok(Appended {
        stream_id: request.stream_id.clone(),
        first_position: known.iter().map(|p| p.position).min().unwrap_or_default(),
        last_position: known.iter().map(|p| p.position).max().unwrap_or_default(),
        version: known
            .iter()
            .map(|p| p.stream_version)
            .max()
            .unwrap_or_default(),
        duplicate: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(id: u128) -> NewEvent {
        NewEvent {
            event_id: Uuid::from_u128(id),
            event_type: "t".into(),
            schema_version: 1,
            data: json!({}),
            metadata: json!({}),
        }
    }
    fn req(stream: &str, expected: Option<i64>, ids: &[u128]) -> AppendRequest {
        AppendRequest {
            stream_id: stream.into(),
            expected_version: expected,
            events: ids.iter().map(|&i| event(i)).collect(),
        }
    }

    #[test]
    fn positions_continue_from_the_head_and_versions_per_stream() {
        let a = req("a", Some(0), &[1, 2]);
        let b = req("b", None, &[3]);
        let a2 = req("a", Some(2), &[4]);
        let versions = HashMap::from([("b".to_string(), 7)]);
        let p = plan(10, &[&a, &b, &a2], &HashMap::new(), &versions);
        let got: Vec<_> = p
            .rows
            .iter()
            .map(|r| (r.position, r.stream_id, r.stream_version))
            .collect();
        assert_eq!(
            got,
            vec![(11, "a", 1), (12, "a", 2), (13, "b", 8), (14, "a", 3)]
        );
        assert_eq!(p.head, 14);
        assert_eq!(p.outcomes[2].as_ref().unwrap().first_position, 14);
    }

    #[test]
    fn a_conflict_appends_nothing_and_does_not_disturb_the_rest() {
        let stale = req("a", Some(1), &[1]);
        let fine = req("b", Some(0), &[2]);
        let versions = HashMap::from([("a".to_string(), 3)]);
        let p = plan(5, &[&stale, &fine], &HashMap::new(), &versions);
        assert!(matches!(
            p.outcomes[0],
            Err(AppendError::Conflict {
                current: 3,
                expected: 1,
                ..
            })
        ));
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].position, 6);
    }

    #[test]
    fn a_retry_gets_the_original_positions_even_within_one_batch() {
        let first = req("a", Some(0), &[1]);
        let retry = req("a", Some(0), &[1]);
        let p = plan(0, &[&first, &retry], &HashMap::new(), &HashMap::new());
        assert_eq!(p.rows.len(), 1);
        let again = p.outcomes[1].as_ref().unwrap();
        assert!(again.duplicate);
        assert_eq!((again.first_position, again.version), (1, 1));

        let existing = HashMap::from([(
            Uuid::from_u128(9),
            Placed {
                stream_id: "a".into(),
                stream_version: 4,
                position: 40,
            },
        )]);
        let retry = req("a", Some(0), &[9]);
        let p = plan(50, &[&retry], &existing, &HashMap::new());
        assert!(p.rows.is_empty());
        assert_eq!(p.outcomes[0].as_ref().unwrap().last_position, 40);
    }

    #[test]
    fn ids_reused_for_another_stream_or_partially_are_refused() {
        let existing = HashMap::from([(
            Uuid::from_u128(1),
            Placed {
                stream_id: "a".into(),
                stream_version: 1,
                position: 1,
            },
        )]);
        for r in [
            req("b", None, &[1]),
            req("a", None, &[1, 2]),
            req("c", None, &[5, 5]),
        ] {
            let p = plan(1, &[&r], &existing, &HashMap::new());
            assert!(
                matches!(p.outcomes[0], Err(AppendError::EventIdReused { .. })),
                "{r:?}"
            );
            assert!(p.rows.is_empty());
        }
        let empty = req("a", None, &[]);
        let p = plan(1, &[&empty], &existing, &HashMap::new());
        assert!(matches!(p.outcomes[0], Err(AppendError::Invalid(_))));
    }
}
