//! The dump checker, over random dumps: what a writer could have written passes, and a dump
//! with any line missing, doubled or out of place, or cut short anywhere, is refused — never
//! restored as a log that looks whole — and nothing makes it panic. (No database: `check` is
//! what `restore` runs before it connects.)

use chrono::{DateTime, Duration, TimeZone, Utc};
use lately_admin::format::{End, Header, Record, FORMAT};
use lately_admin::restore::check_dump;
use lately_domain::event::*;
use lately_domain::*;
use lately_log::{Payload, RecordedEvent};
use lately_notifier::store::Entry;
use proptest::prelude::*;

fn at(n: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(n as i64)
}

/// One step an item may take; those its state refuses are left out.
fn step(op: u8, n: usize) -> ItemEvent {
    let at = at(n);
    match op % 13 {
        0 => ItemEvent::Started(Started { at }),
        1 => ItemEvent::ProgressLogged(ProgressLogged {
            percent: Some(Percent::parse((n % 101) as i64).unwrap()),
            portion: n
                .is_multiple_of(2)
                .then(|| Portion::parse((n % 101) as i64, 100).unwrap()),
            at,
        }),
        2 | 3 => ItemEvent::Finished(Finished {
            at,
            rating: Rating::from_half_stars(1 + (n % 10) as u8).ok(),
            review: n
                .is_multiple_of(3)
                .then(|| Review::parse("Good “one”, \"quoted\"\n").unwrap()),
            tweet: !n.is_multiple_of(4),
            listened: false,
        }),
        4 => ItemEvent::FinishRevised(FinishRevised {
            rating: Some(Rating::from_half_stars(10).ok()),
            review: None,
            // Every other one moves the finish's start too (refused when after the finish).
            started_at: n.is_multiple_of(2).then(|| at - Duration::days(5)),
            // Every third one moves the finish a day back (refused once the status changed).
            finished_at: n.is_multiple_of(3).then(|| at - Duration::days(1)),
            listened: None,
            at,
        }),
        5 => ItemEvent::FinishRetracted(FinishRetracted { at }),
        6 => ItemEvent::Edited(Edited {
            changes: ItemChanges {
                title: Some(Title::parse(&format!("Renamed {n}")).unwrap()),
                ..Default::default()
            },
            at,
        }),
        7 => ItemEvent::Abandoned(Abandoned { at }),
        8 => ItemEvent::Removed(Removed { at }),
        9 => ItemEvent::Restored(Restored { at }),
        10 => ItemEvent::StartRetracted(StartRetracted { at }),
        11 => ItemEvent::AbandonRetracted(AbandonRetracted { at }),
        _ => ItemEvent::StartRevised(StartRevised {
            started_at: at - Duration::days(3),
            at,
        }),
    }
}

/// A dump's lines: `items` items, each added then taking the steps `ops` (item, op) allow, in
/// that order; an outbox entry for every other finish.
fn dump(items: usize, ops: &[(usize, u8)], checkpoint: bool) -> Vec<String> {
    let mut states: Vec<Option<ItemState>> = vec![None; items];
    let mut events = Vec::new();
    let mut outbox = Vec::new();
    let adds = (0..items).map(|i| (i, u8::MAX));
    for (n, (item, op)) in adds
        .chain(ops.iter().map(|&(i, op)| (i % items, op)))
        .enumerate()
    {
        let event = match op {
            u8::MAX => ItemEvent::Added(ItemAdded {
                kind: MediaKind::Book,
                title: Title::parse(&format!("Book {item}")).unwrap(),
                creators: vec![],
                url: None,
                cover_url: None,
                tags: vec![],
                visibility: Visibility::Public,
                at: at(n),
            }),
            op => step(op, n),
        };
        let state = &mut states[item];
        if check(state.as_ref(), &event).is_err() {
            continue;
        }
        match state {
            Some(s) => s.apply(&event),
            None => {
                let ItemEvent::Added(added) = &event else {
                    unreachable!()
                };
                *state = Some(ItemState::new(added));
            }
        }
        let stored = event.encode();
        let position = events.len() as i64 + 1;
        if matches!(event, ItemEvent::Finished(_)) && position % 2 == 0 {
            outbox.push(Entry {
                finish_position: position,
                item_id: format!("book-{item}"),
                status: "posted".into(),
                due_at_ms: 0,
                attempts: 1,
                text: Some("Finished".into()),
                tweet_id: Some(position.to_string()),
                reason: None,
                posting_started_ms: None,
                updated_ms: 0,
            });
        }
        events.push(RecordedEvent {
            position,
            stream_id: format!("book-{item}"),
            stream_version: state.as_ref().unwrap().version,
            event_id: uuid::Uuid::new_v4(),
            event_type: stored.event_type.into(),
            schema_version: stored.schema_version,
            data: Payload::from_json(stored.data.to_string()).unwrap(),
            metadata: serde_json::json!({ "actor": "owner" }),
            recorded_at: at(n),
        });
    }
    let head = events.len() as i64;
    let end = End {
        events: head as u64,
        outbox: outbox.len() as u64,
    };
    let header = Header {
        format: FORMAT,
        dumped_at: at(0),
        backend: "postgres".into(),
        head,
        notifier_checkpoint: checkpoint.then_some(head / 2),
    };
    std::iter::once(Record::Header(header))
        .chain(events.into_iter().map(Record::Event))
        .chain(outbox.into_iter().map(Record::Outbox))
        .chain(std::iter::once(Record::End(end)))
        .map(|r| serde_json::to_string(&r).unwrap())
        .collect()
}

fn text(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn arb_dump() -> impl Strategy<Value = Vec<String>> {
    (
        1usize..5,
        prop::collection::vec((0usize..5, any::<u8>()), 0..40),
        any::<bool>(),
    )
        .prop_map(|(items, ops, checkpoint)| dump(items, &ops, checkpoint))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn what_a_writer_could_write_passes(lines in arb_dump()) {
        let checked = check_dump(text(&lines).as_bytes());
        prop_assert!(checked.is_ok(), "{:?}", checked.err());
    }

    #[test]
    fn a_line_missing_doubled_or_moved_is_refused(lines in arb_dump(), i in any::<prop::sample::Index>(), j in any::<prop::sample::Index>()) {
        let (i, j) = (i.index(lines.len()), j.index(lines.len()));
        let mut missing = lines.clone();
        missing.remove(i);
        prop_assert!(check_dump(text(&missing).as_bytes()).is_err(), "line {} removed", i + 1);
        let mut doubled = lines.clone();
        doubled.insert(i, lines[i].clone());
        prop_assert!(check_dump(text(&doubled).as_bytes()).is_err(), "line {} doubled", i + 1);
        if lines[i] != lines[j] {
            let mut moved = lines.clone();
            let line = moved.remove(i);
            moved.insert(j, line);
            // Outbox entries may come in any order among themselves.
            let both_outbox = lines[i].starts_with("{\"outbox\"") && lines[j].starts_with("{\"outbox\"");
            prop_assert!(both_outbox || check_dump(text(&moved).as_bytes()).is_err(), "line {} moved to {}", i + 1, j + 1);
        }
    }

    #[test]
    fn a_dump_cut_short_anywhere_is_refused(lines in arb_dump(), cut in any::<prop::sample::Index>()) {
        let whole = text(&lines);
        // Everything but the final newline, which only ends the last line.
        let cut = cut.index(whole.len() - 1);
        prop_assert!(check_dump(&whole.as_bytes()[..cut]).is_err(), "cut at byte {cut}");
    }

    #[test]
    fn no_bytes_make_it_panic(lines in arb_dump(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = text(&lines).into_bytes();
        let at = at.index(bytes.len());
        bytes[at] = byte;
        let _ = check_dump(&bytes[..]);
    }
}
