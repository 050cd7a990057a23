use super::*;
use chrono::TimeZone;
use lately_domain::event::*;
use lately_domain::*;
use proptest::prelude::*;

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1 + (d / 28) % 12, 1 + d % 28, 12, 0, 0)
        .unwrap()
}

fn added(title: &str, kind: MediaKind, visibility: Visibility, tags: &[&str], d: u32) -> ItemEvent {
    ItemEvent::Added(ItemAdded {
        kind,
        title: Title::parse(title).unwrap(),
        creators: vec![Creator::parse("Someone").unwrap()],
        url: None,
        cover_url: None,
        tags: tags.iter().map(|t| Tag::parse(t).unwrap()).collect(),
        visibility,
        at: day(d),
    })
}
/// The owner's whole list (one page as long as it needs to be).
fn owned(p: &Projection, status: Option<Status>, as_of: Option<i64>) -> Vec<OwnerItem> {
    p.owner_items(&OwnerQuery {
        status,
        page: Page::whole(as_of),
        ..OwnerQuery::default()
    })
}

/// The owner's list read `limit` items at a time (see [`in_pages`]).
fn owned_in_pages(
    p: &Projection,
    status: Option<Status>,
    as_of: Option<i64>,
    limit: usize,
) -> Vec<OwnerItem> {
    in_pages(
        p,
        as_of,
        limit,
        |i: &OwnerItem| (i.item.updated_at, i.item.id.clone()),
        |page| {
            p.owner_items(&OwnerQuery {
                status,
                page,
                ..OwnerQuery::default()
            })
        },
    )
}

/// A list read `limit` items at a time, each page after the `key` of the last item of the one
/// before, as the reader's cursor does.
fn in_pages<T: std::fmt::Debug>(
    p: &Projection,
    as_of: Option<i64>,
    limit: usize,
    key: impl Fn(&T) -> (DateTime<Utc>, String),
    read: impl Fn(Page) -> Vec<T>,
) -> Vec<T> {
    let mut all: Vec<T> = Vec::new();
    loop {
        let page = read(Page {
            after: all.last().map(&key),
            limit,
            as_of,
        });
        assert!(page.len() <= limit);
        let more = page.len() == limit;
        all.extend(page);
        assert!(all.len() <= p.items.len(), "pages overlap: {all:?}");
        if !more {
            return all;
        }
    }
}

/// The public items in progress, all of them.
fn current(p: &Projection, as_of: Option<i64>) -> Vec<ItemView> {
    p.current(&ItemFilter::default(), &Page::whole(as_of))
}

/// The public queue, all of it.
fn queue(p: &Projection, as_of: Option<i64>) -> Vec<ItemView> {
    p.queue(&ItemFilter::default(), &Page::whole(as_of))
}

fn finished(d: u32, rating: Option<f64>) -> ItemEvent {
    ItemEvent::Finished(Finished {
        at: day(d),
        rating: rating.map(|r| Rating::parse(r).unwrap()),
        review: None,
        tweet: true,
        listened: false,
    })
}
fn started(d: u32) -> ItemEvent {
    ItemEvent::Started(Started { at: day(d) })
}
fn edited(changes: ItemChanges, d: u32) -> ItemEvent {
    ItemEvent::Edited(Edited {
        changes,
        at: day(d),
    })
}

/// Applies `(item, event)` pairs at positions 1, 2, …
fn project(events: &[(&str, ItemEvent)]) -> Projection {
    let mut p = Projection::new();
    for (i, (id, e)) in events.iter().enumerate() {
        p.apply(i as i64 + 1, id, day(0), e);
    }
    p
}

fn all() -> FeedQuery {
    FeedQuery {
        limit: 100,
        ..Default::default()
    }
}

fn titles(feed: &[FeedEntry]) -> Vec<&str> {
    feed.iter().map(|e| e.item.title.as_str()).collect()
}

#[test]
fn the_feed_is_newest_first_and_shows_every_finish() {
    let p = project(&[
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        (
            "b",
            added("B", MediaKind::Movie, Visibility::Public, &[], 1),
        ),
        ("a", finished(5, Some(4.0))),
        ("b", finished(9, None)),
        ("a", started(10)),
        // Backdated: happened before B's finish though recorded after it.
        ("a", finished(7, Some(5.0))),
    ]);
    let feed = p.feed(&all());
    assert_eq!(titles(&feed), ["B", "A", "A"]);
    assert_eq!(feed[1].rating, Some(5.0));
    assert_eq!(feed[2].position, 3);
    assert_eq!(feed[1].item.times_finished, 2);
}

#[test]
fn filters_and_cursor_pages_walk_the_feed_without_overlap() {
    let mut events = vec![];
    let ids: Vec<String> = (0..10).map(|i| format!("i{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let kind = if i % 2 == 0 {
            MediaKind::Book
        } else {
            MediaKind::Game
        };
        let tags: &[&str] = if i % 3 == 0 { &["SF"] } else { &[] };
        events.push((
            id.as_str(),
            added(&format!("T{i}"), kind, Visibility::Public, tags, 1),
        ));
        events.push((id.as_str(), finished(10 + i as u32, None)));
    }
    let p = project(&events);
    let books = p.feed(&FeedQuery {
        kind: Some(MediaKind::Book),
        ..all()
    });
    assert_eq!(titles(&books), ["T8", "T6", "T4", "T2", "T0"]);
    let sf = p.feed(&FeedQuery {
        tag: Some(Tag::parse("sf").unwrap()),
        ..all()
    });
    assert_eq!(titles(&sf), ["T9", "T6", "T3", "T0"]);

    let mut seen = vec![];
    let mut before = None;
    loop {
        let page = p.feed(&FeedQuery {
            limit: 3,
            before,
            ..all()
        });
        if page.is_empty() {
            break;
        }
        before = page.last().map(|e| (e.finished_at, e.position));
        seen.extend(page.into_iter().map(|e| e.item.title));
    }
    assert_eq!(
        seen,
        (0..10).rev().map(|i| format!("T{i}")).collect::<Vec<_>>()
    );
}

#[test]
fn private_and_removed_items_never_show_even_in_the_past() {
    let p = project(&[
        (
            "pub",
            added("Public", MediaKind::Book, Visibility::Public, &[], 1),
        ),
        (
            "priv",
            added("Secret", MediaKind::Book, Visibility::Private, &[], 1),
        ),
        (
            "later",
            added("Later private", MediaKind::Book, Visibility::Public, &[], 1),
        ),
        (
            "gone",
            added("Removed", MediaKind::Book, Visibility::Public, &[], 1),
        ),
        ("pub", finished(2, None)),
        ("priv", finished(2, None)),
        ("later", finished(2, None)),
        ("gone", finished(2, None)),
        ("priv", started(3)),
        (
            "later",
            edited(
                ItemChanges {
                    visibility: Some(Visibility::Private),
                    ..Default::default()
                },
                3,
            ),
        ),
        ("gone", ItemEvent::Removed(Removed { at: day(3) })),
    ]);
    for as_of in [None, Some(8)] {
        assert_eq!(titles(&p.feed(&FeedQuery { as_of, ..all() })), ["Public"]);
        assert_eq!(p.stats(None, Zone::default(), as_of).finished, 1);
        for hidden in ["priv", "later", "gone"] {
            assert!(p.item(hidden, as_of).is_none(), "{hidden} at {as_of:?}");
        }
    }
    assert!(current(&p, None).is_empty());

    // The owner sees the private items and their histories, as of any position; a removed
    // item is in no public answer from its removal on, and the owner's read of it says it is
    // removed (with the removal in its history).
    let (secret, history) = p.owner_item("priv", None).unwrap();
    assert_eq!(
        (
            secret.item.title.as_str(),
            secret.visibility,
            secret.version
        ),
        ("Secret", Visibility::Private, 3)
    );
    let types: Vec<_> = history.iter().map(|h| h.event.event_type()).collect();
    assert_eq!(types, ["item_added", "item_finished", "item_started"]);
    let (then, history) = p.owner_item("priv", Some(6)).unwrap();
    assert_eq!((then.version, history.len()), (2, 2));
    assert_eq!(
        p.owner_item("later", None).unwrap().0.visibility,
        Visibility::Private
    );
    let (gone, history) = p.owner_item("gone", None).unwrap();
    assert_eq!(gone.item.status, Status::Removed);
    assert_eq!(
        history.last().map(|h| h.event.event_type()),
        Some("item_removed")
    );
    let (before, _) = p.owner_item("gone", Some(8)).unwrap();
    assert_ne!(before.item.status, Status::Removed, "before its removal");
    assert!(p.owner_item("priv", Some(1)).is_none(), "not added yet");
    assert!(p.owner_item("nobody", None).is_none());

    // The owner's feed has the private finishes too, each with its item's visibility then;
    // a removed item's only as of before its removal.
    let owners = |as_of| {
        p.feed(&FeedQuery {
            as_of,
            owner: true,
            ..all()
        })
        .into_iter()
        .map(|e| (e.item.title, e.visibility.unwrap()))
        .collect::<Vec<_>>()
    };
    let (public, private) = (Visibility::Public, Visibility::Private);
    assert_eq!(
        owners(None),
        [
            ("Later private".to_owned(), private),
            ("Secret".to_owned(), private),
            ("Public".to_owned(), public),
        ]
    );
    assert_eq!(
        owners(Some(8)),
        [
            ("Removed".to_owned(), public),
            ("Later private".to_owned(), public),
            ("Secret".to_owned(), private),
            ("Public".to_owned(), public),
        ]
    );
    assert!(p.feed(&all()).iter().all(|e| e.visibility.is_none()));
    // And the owner's stats count them.
    assert_eq!(p.stats(None, Zone::default(), None).finished, 1);
    assert_eq!(p.owner_stats(None, Zone::default(), None).finished, 3);
    assert_eq!(p.owner_stats(None, Zone::default(), Some(8)).finished, 4);
    assert_eq!(
        p.owner_stats(Some(2026), Zone::default(), Some(6)).by_kind[&MediaKind::Book],
        2
    );
}

#[test]
fn as_of_answers_with_the_state_at_that_position() {
    let p = project(&[
        (
            "a",
            added("Old title", MediaKind::Book, Visibility::Public, &[], 1),
        ),
        ("a", started(2)),
        ("a", finished(3, Some(3.0))),
        (
            "a",
            edited(
                ItemChanges {
                    title: Some(Title::parse("New title").unwrap()),
                    ..Default::default()
                },
                4,
            ),
        ),
        ("a", started(5)),
    ]);
    assert_eq!(
        titles(&p.feed(&FeedQuery {
            as_of: Some(3),
            ..all()
        })),
        ["Old title"]
    );
    assert_eq!(titles(&p.feed(&all())), ["New title"]);
    assert!(p
        .feed(&FeedQuery {
            as_of: Some(2),
            ..all()
        })
        .is_empty());
    assert_eq!(current(&p, Some(2)).len(), 1);
    assert!(current(&p, Some(3)).is_empty());
    assert_eq!(current(&p, None)[0].title, "New title");
    let (item, history) = p.item("a", Some(2)).unwrap();
    assert_eq!((item.status, history.len()), (Status::InProgress, 2));
    assert_eq!(p.item("a", None).unwrap().1.len(), 5);
}

#[test]
fn the_queue_is_what_was_added_and_not_started_newest_first() {
    let p = project(&[
        (
            "old",
            added("Old", MediaKind::Book, Visibility::Public, &[], 1),
        ),
        (
            "new",
            added("New", MediaKind::Movie, Visibility::Public, &[], 2),
        ),
        (
            "begun",
            added("Begun", MediaKind::Book, Visibility::Public, &[], 3),
        ),
        (
            "secret",
            added("Secret", MediaKind::Book, Visibility::Private, &[], 4),
        ),
        ("begun", started(5)),
        (
            "gone",
            added("Gone", MediaKind::Book, Visibility::Public, &[], 6),
        ),
        ("gone", ItemEvent::Removed(Removed { at: day(7) })),
    ]);
    let ids = |items: Vec<ItemView>| items.into_iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(ids(queue(&p, None)), ["new", "old"]);
    assert_eq!(ids(queue(&p, None)), ids(queue(&p, Some(7))));
    // Before "begun" was started, it waited in the queue too.
    assert_eq!(ids(queue(&p, Some(4))), ["begun", "new", "old"]);
    assert_eq!(ids(current(&p, None)), ["begun"]);
}

#[test]
fn the_owner_sees_private_and_abandoned_items_and_removed_ones_when_asked() {
    let p = project(&[
        (
            "open",
            added("Open", MediaKind::Book, Visibility::Public, &[], 1),
        ),
        (
            "secret",
            added(
                "Secret",
                MediaKind::Book,
                Visibility::Private,
                &["Diary"],
                2,
            ),
        ),
        (
            "dropped",
            added("Dropped", MediaKind::Game, Visibility::Public, &[], 3),
        ),
        ("dropped", started(4)),
        ("dropped", ItemEvent::Abandoned(Abandoned { at: day(5) })),
        (
            "gone",
            added("Gone", MediaKind::Book, Visibility::Private, &[], 6),
        ),
        ("gone", ItemEvent::Removed(Removed { at: day(7) })),
        ("secret", started(8)),
    ]);
    let ids = |items: &[OwnerItem]| items.iter().map(|i| i.item.id.clone()).collect::<Vec<_>>();
    let all = owned(&p, None, None);
    // Most recently touched first.
    assert_eq!(ids(&all), ["secret", "dropped", "open"]);
    assert_eq!(all[0].visibility, Visibility::Private);
    assert_eq!(
        (all[0].item.status, all[0].version),
        (Status::InProgress, 2)
    );
    assert_eq!(all[1].visibility, Visibility::Public);
    assert_eq!(ids(&owned(&p, Some(Status::Abandoned), None)), ["dropped"]);
    assert_eq!(ids(&owned(&p, Some(Status::InProgress), None)), ["secret"]);
    assert_eq!(ids(&owned(&p, Some(Status::Removed), None)), ["gone"]);
    assert!(owned(&p, Some(Status::Removed), Some(6)).is_empty());
    // Filtered by kind and tag, as the public lists are: private items too.
    let filtered = |kind, tag: Option<&str>, as_of| {
        ids(&p.owner_items(&OwnerQuery {
            filter: ItemFilter {
                kind,
                tag: tag.map(|t| Tag::parse(t).unwrap()),
            },
            page: Page::whole(as_of),
            ..OwnerQuery::default()
        }))
    };
    assert_eq!(filtered(Some(MediaKind::Game), None, None), ["dropped"]);
    assert_eq!(filtered(None, Some("diary"), None), ["secret"]);
    assert_eq!(
        filtered(Some(MediaKind::Book), None, Some(6)),
        ["gone", "secret", "open"]
    );
    assert!(filtered(Some(MediaKind::Game), Some("diary"), None).is_empty());
    // As of a position: "gone" was not removed yet, "secret" not started.
    assert_eq!(
        ids(&owned(&p, None, Some(6))),
        ["gone", "dropped", "secret", "open"]
    );
    assert_eq!(
        ids(&owned(&p, Some(Status::Queued), Some(6))),
        ["gone", "secret", "open"]
    );
    // The public queries still never show the private ones.
    assert!(current(&p, None).iter().all(|i| i.id != "secret"));
}

#[test]
fn the_owners_list_comes_in_pages_that_start_after_an_item() {
    // "b" and "c" were touched on the same day: the id decides between them.
    let p = project(&[
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        (
            "c",
            added("C", MediaKind::Book, Visibility::Private, &[], 2),
        ),
        ("b", added("B", MediaKind::Book, Visibility::Public, &[], 2)),
        ("d", added("D", MediaKind::Book, Visibility::Public, &[], 3)),
    ]);
    let page = |after: Option<(u32, &str)>, limit| {
        p.owner_items(&OwnerQuery {
            status: None,
            page: Page {
                after: after.map(|(d, id)| (day(d), id.to_owned())),
                limit,
                as_of: None,
            },
            ..OwnerQuery::default()
        })
        .into_iter()
        .map(|i| i.item.id)
        .collect::<Vec<_>>()
    };
    assert_eq!(page(None, 2), ["d", "b"]);
    assert_eq!(page(Some((2, "b")), 2), ["c", "a"]);
    assert_eq!(page(Some((2, "c")), 2), ["a"]);
    assert_eq!(page(Some((1, "a")), 2), Vec::<String>::new());
    // A cursor need not name an item: it is a place in the order.
    assert_eq!(page(Some((2, "bb")), 9), ["c", "a"]);
    assert_eq!(page(None, 0), Vec::<String>::new());
}

#[test]
fn the_queue_pages_by_when_items_were_added_and_current_by_when_touched() {
    let p = project(&[
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("b", added("B", MediaKind::Book, Visibility::Public, &[], 2)),
        ("c", added("C", MediaKind::Book, Visibility::Public, &[], 2)),
        ("d", added("D", MediaKind::Book, Visibility::Public, &[], 3)),
        (
            "a",
            edited(
                ItemChanges {
                    title: Some(Title::parse("A, retitled").unwrap()),
                    ..Default::default()
                },
                9,
            ),
        ),
        ("e", added("E", MediaKind::Game, Visibility::Public, &[], 4)),
        ("e", started(5)),
        ("f", added("F", MediaKind::Game, Visibility::Public, &[], 1)),
        ("f", started(5)),
        (
            "g",
            added("G", MediaKind::Game, Visibility::Private, &[], 6),
        ),
        ("g", started(6)),
    ]);
    let ids = |items: Vec<ItemView>| items.into_iter().map(|i| i.id).collect::<Vec<_>>();
    let page = |after: Option<(u32, &str)>, limit| Page {
        after: after.map(|(d, id)| (day(d), id.to_owned())),
        limit,
        as_of: None,
    };
    // "a" was touched last but added first; "b" and "c" were added on the same day.
    assert_eq!(
        ids(p.queue(&ItemFilter::default(), &page(None, 2))),
        ["d", "b"]
    );
    assert_eq!(
        ids(p.queue(&ItemFilter::default(), &page(Some((2, "b")), 2))),
        ["c", "a"]
    );
    assert_eq!(
        ids(p.queue(&ItemFilter::default(), &page(Some((1, "a")), 2))),
        Vec::<String>::new()
    );
    // "e" and "f" were started on the same day; the private "g" is never listed.
    assert_eq!(
        ids(p.current(&ItemFilter::default(), &page(None, 9))),
        ["e", "f"]
    );
    assert_eq!(
        ids(p.current(&ItemFilter::default(), &page(Some((5, "e")), 1))),
        ["f"]
    );
    assert_eq!(
        ids(p.current(&ItemFilter::default(), &page(None, 0))),
        Vec::<String>::new()
    );
}

#[test]
fn the_public_lists_filter_by_kind_and_tag() {
    let p = project(&[
        (
            "a",
            added("A", MediaKind::Book, Visibility::Public, &["sci-fi"], 1),
        ),
        (
            "b",
            added("B", MediaKind::Movie, Visibility::Public, &["sci-fi"], 2),
        ),
        (
            "c",
            added("C", MediaKind::Book, Visibility::Public, &["essay"], 3),
        ),
        (
            "d",
            added("D", MediaKind::Book, Visibility::Public, &["sci-fi"], 4),
        ),
        ("d", started(5)),
    ]);
    let ids = |items: Vec<ItemView>| items.into_iter().map(|i| i.id).collect::<Vec<_>>();
    let filter = |kind, tag: Option<&str>| ItemFilter {
        kind,
        tag: tag.map(|t| Tag::parse(t).unwrap()),
    };
    let queue = |f: ItemFilter, as_of| ids(p.queue(&f, &Page::whole(as_of)));
    assert_eq!(queue(filter(Some(MediaKind::Book), None), None), ["c", "a"]);
    assert_eq!(queue(filter(None, Some("Sci-Fi")), None), ["b", "a"]);
    assert_eq!(
        queue(filter(Some(MediaKind::Book), Some("sci-fi")), None),
        ["a"]
    );
    // Before "d" was started it was in the queue, and the filters hold as of then too.
    assert_eq!(
        queue(filter(Some(MediaKind::Book), Some("sci-fi")), Some(4)),
        ["d", "a"]
    );
    let current = |f: ItemFilter| ids(p.current(&f, &Page::whole(None)));
    assert_eq!(current(filter(None, Some("sci-fi"))), ["d"]);
    assert!(current(filter(Some(MediaKind::Movie), None)).is_empty());
    assert!(current(filter(None, Some("essay"))).is_empty());
    // How many each lists in all, now and as of then, is what the lists hold.
    for f in [
        filter(None, None),
        filter(Some(MediaKind::Book), None),
        filter(None, Some("sci-fi")),
        filter(Some(MediaKind::Movie), Some("essay")),
    ] {
        for as_of in [None, Some(4), Some(2)] {
            assert_eq!(
                p.listed(Status::Queued, &f, as_of),
                queue(f.clone(), as_of).len(),
                "{f:?} as of {as_of:?}"
            );
            assert_eq!(
                p.listed(Status::InProgress, &f, as_of),
                p.current(&f, &Page::whole(as_of)).len(),
                "{f:?} as of {as_of:?}"
            );
        }
    }
    assert_eq!(p.listed(Status::Queued, &filter(None, None), Some(4)), 4);
}

/// A progress of time spent, of no known whole (a game's hours played).
fn played(hours: i64, d: u32) -> ItemEvent {
    ItemEvent::ProgressLogged(ProgressLogged::new(
        None,
        Some(Portion::played(hours * 3600).unwrap()),
        day(d),
    ))
}

#[test]
fn stats_count_per_kind_rating_and_month() {
    let p = project(&[
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("b", added("B", MediaKind::Game, Visibility::Public, &[], 1)),
        ("c", added("C", MediaKind::Game, Visibility::Public, &[], 1)),
        ("a", finished(0, Some(4.0))),  // January
        ("a", finished(30, Some(5.0))), // February
        ("b", played(40, 30)),
        ("b", finished(31, None)), // February
        ("c", finished(32, None)), // no hours logged
        ("b", played(12, 33)),     // a replay, not finished: not counted
        // A podcast's time in is no game's hours played.
        (
            "d",
            added("D", MediaKind::Podcast, Visibility::Public, &[], 1),
        ),
        ("d", played(1, 34)),
        ("d", finished(34, None)),
    ]);
    let s = p.stats(Some(2026), Zone::default(), None);
    assert_eq!(s.finished, 5);
    assert_eq!(s.by_kind[&MediaKind::Book], 2);
    assert_eq!(s.average_rating, Some(4.5));
    assert_eq!(s.by_month.unwrap()[..3], [1, 4, 0]);
    assert_eq!(s.time_played, Some(40 * 3600), "the games' hours played");
    assert_eq!(p.stats(Some(2025), Zone::default(), None).finished, 0);
    assert_eq!(p.stats(Some(2025), Zone::default(), None).time_played, None);
    assert_eq!(
        p.stats(None, Zone::default(), None).by_year.unwrap()[&2026],
        5
    );
    // As of before the game's finish, its hours counted nowhere.
    assert_eq!(
        p.stats(Some(2026), Zone::default(), Some(6)).time_played,
        None
    );
}

/// The stats of one kind or tag count only those items' finishes, as the items were then:
/// tags edited away count as of before the edit, and a private item's only for the owner.
#[test]
fn stats_count_one_kind_or_tag() {
    let p = project(&[
        (
            "a",
            added("A", MediaKind::Book, Visibility::Public, &["sf"], 1),
        ),
        (
            "b",
            added("B", MediaKind::Game, Visibility::Public, &["sf"], 1),
        ),
        (
            "c",
            added("C", MediaKind::Book, Visibility::Private, &["sf"], 1),
        ),
        ("a", finished(2, Some(4.0))),
        ("b", finished(3, Some(2.0))),
        ("c", finished(4, Some(1.0))),
        (
            "b",
            edited(
                ItemChanges {
                    tags: Some(vec![]),
                    ..Default::default()
                },
                5,
            ),
        ),
    ]);
    let count = |kind, tag: Option<&str>, as_of, owner| {
        p.count(&StatsQuery {
            year: Some(2026),
            filter: ItemFilter {
                kind,
                tag: tag.map(|t| Tag::parse(t).unwrap()),
            },
            as_of,
            owner,
            ..StatsQuery::default()
        })
    };
    let books = count(Some(MediaKind::Book), None, None, false);
    assert_eq!((books.finished, books.average_rating), (1, Some(4.0)));
    assert_eq!(books.by_kind.keys().collect::<Vec<_>>(), [&MediaKind::Book]);
    assert_eq!(count(Some(MediaKind::Book), None, None, true).finished, 2);
    assert_eq!(count(Some(MediaKind::Movie), None, None, true).finished, 0);
    // "b" lost its tag at position 7: as of 6 it still counts.
    let sf = count(None, Some("sf"), None, false);
    assert_eq!((sf.finished, sf.average_rating), (1, Some(4.0)));
    let then = count(None, Some("sf"), Some(6), false);
    assert_eq!((then.finished, then.average_rating), (2, Some(3.0)));
    assert_eq!(count(None, Some("sf"), Some(6), true).finished, 3);
    assert_eq!(
        count(Some(MediaKind::Game), Some("sf"), Some(6), false).finished,
        1
    );
    // No filter is every kind and tag, as `stats` counts.
    assert_eq!(
        count(None, None, None, false),
        p.stats(Some(2026), Zone::default(), None)
    );
}

/// The tags of the public items, the most used first, with their items' finishes (re-reads
/// each); as of a position, as the items were tagged then; the owner's, private items' too.
#[test]
fn tags_count_public_items_and_their_finishes() {
    let p = project(&[
        (
            "a",
            added(
                "A",
                MediaKind::Book,
                Visibility::Public,
                &["sf", "classics"],
                1,
            ),
        ),
        (
            "b",
            added("B", MediaKind::Book, Visibility::Public, &["sf"], 1),
        ),
        (
            "c",
            added(
                "C",
                MediaKind::Book,
                Visibility::Private,
                &["sf", "diary"],
                1,
            ),
        ),
        (
            "d",
            added("D", MediaKind::Book, Visibility::Public, &["sf"], 1),
        ),
        (
            "e",
            added("E", MediaKind::Book, Visibility::Public, &["zines"], 1),
        ),
        ("a", finished(2, Some(4.0))),
        ("a", finished(3, Some(5.0))),
        ("b", finished(4, None)),
        ("c", finished(5, None)),
        ("d", ItemEvent::Removed(Removed { at: day(6) })),
        (
            "b",
            edited(
                ItemChanges {
                    tags: Some(vec![]),
                    ..Default::default()
                },
                7,
            ),
        ),
    ]);
    let said = |as_of| {
        p.tags(as_of, false)
            .into_iter()
            .map(|t| (t.tag, t.items, t.finished))
            .collect::<Vec<_>>()
    };
    let t = |tag: &str, items, finished| (tag.to_owned(), items, finished);
    assert_eq!(
        said(None),
        [t("classics", 1, 2), t("sf", 1, 2), t("zines", 1, 0)]
    );
    // Before "b" lost its tag (position 11): sf was two items', finished three times.
    assert_eq!(
        said(Some(10)),
        [t("sf", 2, 3), t("classics", 1, 2), t("zines", 1, 0)]
    );
    // The owner's: the private item's tags too, never the removed one's.
    let owners: Vec<_> = p
        .tags(None, true)
        .into_iter()
        .map(|t| (t.tag, t.items, t.finished))
        .collect();
    assert_eq!(
        owners,
        [
            t("sf", 2, 3),
            t("classics", 1, 2),
            t("diary", 1, 1),
            t("zines", 1, 0)
        ]
    );
}

/// Years and months are counted in the owner's zone: a book finished on New Year's Eve in
/// California is that year's there, though in UTC it was already the next.
#[test]
fn years_and_months_are_counted_in_the_owners_time_zone() {
    // 21:00 on 31 December 2025 in Los Angeles.
    let eve = Utc.with_ymd_and_hms(2026, 1, 1, 5, 0, 0).unwrap();
    let p = project(&[
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 0)),
        (
            "a",
            ItemEvent::Finished(Finished {
                at: eve,
                rating: None,
                review: None,
                tweet: true,
                listened: false,
            }),
        ),
    ]);
    let utc = p.stats(Some(2026), Zone::default(), None);
    assert_eq!((utc.by_month.unwrap()[0], utc.time_zone), (1, "UTC"));
    let la = Zone("America/Los_Angeles".parse().unwrap());
    let s = p.stats(Some(2025), la, None);
    assert_eq!(
        (s.finished, s.by_month.unwrap()[11], s.time_zone),
        (1, 1, "America/Los_Angeles")
    );
    assert_eq!(p.stats(Some(2026), la, None).finished, 0);
    assert_eq!(
        p.stats(None, la, None).by_year.unwrap(),
        BTreeMap::from([(2025, 1)])
    );
    // The feed's year filter, alike.
    let year = |year, zone| {
        p.feed(&FeedQuery {
            year: Some(year),
            zone,
            ..all()
        })
        .len()
    };
    assert_eq!((year(2025, la), year(2026, la)), (1, 0));
    assert_eq!(
        (year(2025, Zone::default()), year(2026, Zone::default())),
        (0, 1)
    );
}

#[test]
fn applying_an_old_position_again_changes_nothing() {
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("a", finished(2, None)),
    ];
    let mut p = project(&events);
    let before = p.clone();
    p.apply(2, "a", day(0), &events[1].1);
    assert_eq!(p, before);
}

// ---- properties ----

/// Arbitrary operations on a handful of items, turned into the valid event sequence the writer
/// would have accepted (each checked with the domain's `check`).
fn valid_events() -> impl Strategy<Value = Vec<(String, ItemEvent)>> {
    let op = (
        0..4usize,
        0..14u8,
        0..400u32,
        proptest::option::of(1..=10u8),
        any::<bool>(),
    );
    proptest::collection::vec(op, 0..120).prop_map(|ops| {
        let mut states: BTreeMap<String, ItemState> = BTreeMap::new();
        let mut out = Vec::new();
        for (item, op, d, rating, flag) in ops {
            let id = format!("item-{item}");
            let at = day(d);
            let kinds = MediaKind::ALL;
            let event = match op {
                0 => ItemEvent::Added(ItemAdded {
                    kind: kinds[d as usize % 6],
                    title: Title::parse(&format!("Title {d}")).unwrap(),
                    creators: vec![],
                    url: None,
                    cover_url: None,
                    tags: vec![Tag::parse(if flag { "x" } else { "y" }).unwrap()],
                    visibility: if flag {
                        Visibility::Public
                    } else {
                        Visibility::Private
                    },
                    at,
                }),
                1 => ItemEvent::Started(Started { at }),
                2 => {
                    // In pages (`d` of 400), in seconds of 400 or of no known whole (a
                    // game's hours played), as an episode of a season, or in percent.
                    let portion = flag.then(|| match d % 4 {
                        0 => Portion::played(i64::from(d) * 60).unwrap(),
                        1 => Portion::parse_in(d.into(), 400, Unit::Own).unwrap(),
                        2 => Portion::episode(i64::from(d % 7), d.into()).unwrap(),
                        _ => Portion::parse_in(d.into(), 400, Unit::Seconds).unwrap(),
                    });
                    let percent = Percent::parse(i64::from(d % 101)).unwrap();
                    ItemEvent::ProgressLogged(ProgressLogged::new(Some(percent), portion, at))
                }
                3 | 4 => ItemEvent::Finished(Finished {
                    at,
                    rating: rating.map(|r| Rating::from_half_stars(r).unwrap()),
                    review: None,
                    tweet: op == 3,
                    // Every fifth one listened to (refused of a film, a show or a game).
                    listened: d % 5 == 0,
                }),
                5 => ItemEvent::Abandoned(Abandoned { at }),
                6 => ItemEvent::Edited(Edited {
                    changes: ItemChanges {
                        visibility: Some(if flag {
                            Visibility::Public
                        } else {
                            Visibility::Private
                        }),
                        kind: Some(kinds[(d as usize + 1) % 6]),
                        ..Default::default()
                    },
                    at,
                }),
                7 => ItemEvent::FinishRevised(FinishRevised {
                    rating: Some(rating.map(|r| Rating::from_half_stars(r).unwrap())),
                    review: flag.then(|| Some(Review::parse(&format!("Revised {d}")).unwrap())),
                    // Every third one moves the finish's start too, `d` days back (the domain
                    // refuses a start after the finish).
                    started_at: (d % 3 == 0)
                        .then(|| at - chrono::Duration::days(i64::from(d % 40))),
                    // Every fourth one moves the finish to another day, up to a week back (the
                    // domain refuses one before its start or the finish before it, or once
                    // the status changed).
                    finished_at: (d % 4 == 1)
                        .then(|| at - chrono::Duration::days(i64::from(d % 7))),
                    // Every fifth one says whether it was listened to (refused of a film).
                    listened: (d % 5 == 2).then_some(flag),
                    at,
                }),
                8 => ItemEvent::FinishRetracted(FinishRetracted { at }),
                9 => ItemEvent::Removed(Removed { at }),
                10 => ItemEvent::Restored(Restored { at }),
                11 => ItemEvent::StartRetracted(StartRetracted { at }),
                12 => ItemEvent::AbandonRetracted(AbandonRetracted { at }),
                // The read in progress begun `d` days back from when it is moved.
                _ => ItemEvent::StartRevised(StartRevised {
                    started_at: at - chrono::Duration::days(i64::from(d % 30)),
                    at,
                }),
            };
            if check(states.get(&id), &event).is_ok() {
                match states.get_mut(&id) {
                    Some(s) => s.apply(&event),
                    None => {
                        if let ItemEvent::Added(a) = &event {
                            states.insert(id.clone(), ItemState::new(a));
                        }
                    }
                }
                out.push((id, event));
            }
        }
        out
    })
}

fn replay(events: &[(String, ItemEvent)]) -> Projection {
    let mut p = Projection::new();
    for (i, (id, e)) in events.iter().enumerate() {
        p.apply(i as i64 + 1, id, day(0), e);
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn replaying_the_same_events_gives_the_same_hash(events in valid_events()) {
        let a = replay(&events);
        let b = replay(&events);
        prop_assert_eq!(a.state_hash(), b.state_hash());
        // And re-delivering every event to a caught-up replica changes nothing.
        let mut c = a.clone();
        for (i, (id, e)) in events.iter().enumerate() {
            c.apply(i as i64 + 1, id, day(0), e);
        }
        prop_assert_eq!(c.state_hash(), a.state_hash());
    }

    #[test]
    fn a_snapshot_plus_the_rest_equals_a_full_replay(events in valid_events(), cut in any::<prop::sample::Index>()) {
        let k = if events.is_empty() { 0 } else { cut.index(events.len() + 1) };
        let full = replay(&events);
        let bytes = replay(&events[..k]).to_snapshot();
        let hash = Projection::snapshot_hash(&bytes);
        let mut resumed = Projection::from_snapshot(bytes, &hash).unwrap();
        for (i, (id, e)) in events.iter().enumerate().skip(k) {
            resumed.apply(i as i64 + 1, id, day(0), e);
        }
        prop_assert_eq!(resumed.state_hash(), full.state_hash());
        prop_assert_eq!(&resumed, &full);
        prop_assert_eq!(resumed.feed(&all()), full.feed(&all()));
    }

    #[test]
    fn a_snapshot_is_refused_when_its_hash_does_not_match(events in valid_events()) {
        let bytes = replay(&events).to_snapshot();
        let other = Projection::snapshot_hash(&replay(&events[..events.len() / 2]).to_snapshot());
        prop_assume!(other != Projection::snapshot_hash(&bytes));
        prop_assert!(matches!(
            Projection::from_snapshot(bytes, &other),
            Err(SnapshotError::HashMismatch)
        ));
    }

    // The reader decodes a snapshot while its hash is still being checked, so damaged bytes
    // must come back as an error (or a state the hash check then throws away), never a panic.
    #[test]
    fn a_damaged_snapshot_is_an_error_not_a_panic(
        events in valid_events(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = replay(&events).to_snapshot();
        for (at, xor) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= xor.max(1);
        }
        // Hashed as they are, so that they are decoded to the end rather than refused.
        let cut = bytes[..cut.index(bytes.len() + 1)].to_vec();
        let _ = Projection::from_snapshot(bytes.clone(), &Projection::snapshot_hash(&bytes));
        let _ = Projection::from_snapshot(cut.clone(), &Projection::snapshot_hash(&cut));
    }

    #[test]
    fn a_finish_as_of_a_position_has_the_rating_and_review_it_had_then(
        events in valid_events(),
        cut in any::<prop::sample::Index>(),
    ) {
        let k = cut.index(events.len() + 1);
        let full = replay(&events);
        let then = replay(&events[..k]);
        let past = full.feed(&FeedQuery { as_of: Some(k as i64), ..all() });
        let at_the_time = then.feed(&all());
        // An item hidden since is in neither list of the full replay; every other finish is
        // the same in both, revisions up to `k` included and none after.
        for entry in &past {
            let same = at_the_time.iter().find(|e| e.position == entry.position);
            prop_assert!(same.is_some(), "{} not in the feed at {}", entry.position, k);
            let same = same.unwrap();
            prop_assert_eq!((entry.rating, &entry.review), (same.rating, &same.review));
        }
    }

    #[test]
    fn each_summary_is_what_the_full_fold_says(events in valid_events()) {
        let p = replay(&events);
        for (id, record) in &p.items {
            let state = ItemState::replay(events.iter().filter(|(i, _)| **i == **id).map(|(_, e)| e))
                .expect("an item that is in the projection was added");
            let summary = &record.summary;
            prop_assert_eq!(summary.kind, state.kind);
            prop_assert_eq!(summary.visibility, state.visibility);
            prop_assert_eq!(summary.status, state.status);
            prop_assert_eq!(summary.before_removal, state.before_removal);
            prop_assert_eq!(summary.added_at, state.added_at);
            prop_assert_eq!(summary.updated_at, state.updated_at);
            prop_assert_eq!(&*summary.tags, state.tags.as_slice());
            let listed = owned(&p, None, None).into_iter().find(|i| i.item.id == **id);
            prop_assert_eq!(listed.is_some(), state.status != Status::Removed, "{}", id);
            prop_assert_eq!(record.at(&p.loaded, None), Some(state));
        }
        // Packing the indexes changes nothing anyone can see.
        let mut packed = p.clone();
        packed.compact();
        prop_assert_eq!(&packed, &p);
        prop_assert_eq!(packed.state_hash(), p.state_hash());
    }

    #[test]
    fn queries_never_panic_and_only_show_public_items(events in valid_events(), as_of in 0..130i64) {
        let p = replay(&events);
        for as_of in [None, Some(as_of)] {
            for e in p.feed(&FeedQuery { as_of, ..all() }) {
                let (item, _) = p.item(&e.item.id, as_of).expect("a feed entry's item is visible");
                prop_assert_eq!(item.id, e.item.id);
            }
            let _ = p.stats(Some(2026), Zone::default(), as_of);
            prop_assert_eq!(owned_in_pages(&p, None, as_of, 2), owned(&p, None, as_of));
            for (items, status) in [(current(&p, as_of), Status::InProgress), (queue(&p, as_of), Status::Queued)] {
                for i in items {
                    prop_assert_eq!(i.status, status);
                    prop_assert!(p.item(&i.id, as_of).is_some(), "{} is listed but not visible", i.id);
                }
            }
        }
        // Now (picked by the items' summaries) is what folding every item up to the last
        // position says. One more event, of an item not shown, makes that position a past one.
        let mut later = p.clone();
        later.apply(
            p.position() + 1,
            "zz-later",
            day(0),
            &added("Later", MediaKind::Book, Visibility::Private, &[], 1),
        );
        let then = Some(p.position());
        // The public lists, newest first by their own time, ties by id; read in pages of any
        // size, now or as of a past position, each is the same list.
        let by_touch: fn(&ItemView) -> (DateTime<Utc>, String) = |i| (i.updated_at, i.id.clone());
        let by_add: fn(&ItemView) -> (DateTime<Utc>, String) = |i| (i.added_at, i.id.clone());
        for (list, key) in [(current(&p, None), by_touch), (queue(&p, None), by_add)] {
            prop_assert!(list.windows(2).all(|w| {
                let (newer, older) = (key(&w[0]), key(&w[1]));
                (older.0, &newer.1) < (newer.0, &older.1)
            }), "out of order: {:?}", list);
        }
        prop_assert_eq!(current(&p, None), current(&later, then));
        prop_assert_eq!(queue(&p, None), queue(&later, then));
        // Filtered by kind or tag, now or as of a past position: the list with only those.
        for kind in [None, Some(MediaKind::ALL[0]), Some(MediaKind::ALL[1])] {
            for tag in [None, Some("X"), Some("y")] {
                let filter = ItemFilter { kind, tag: tag.map(|t| Tag::parse(t).unwrap()) };
                let only = |list: Vec<ItemView>| -> Vec<ItemView> {
                    list.into_iter()
                        .filter(|i| kind.is_none_or(|k| k == i.kind))
                        .filter(|i| tag.is_none_or(|t| i.tags.contains(&t.to_lowercase())))
                        .collect()
                };
                for (q, at) in [(&p, None), (&later, then)] {
                    prop_assert_eq!(q.current(&filter, &Page::whole(at)), only(current(&p, None)));
                    prop_assert_eq!(q.queue(&filter, &Page::whole(at)), only(queue(&p, None)));
                }
            }
        }
        for limit in [1, 2, 3] {
            for (q, at) in [(&p, None), (&later, then)] {
                prop_assert_eq!(in_pages(q, at, limit, by_touch, |page| q.current(&ItemFilter::default(), &page)), current(&p, None));
                prop_assert_eq!(in_pages(q, at, limit, by_add, |page| q.queue(&ItemFilter::default(), &page)), queue(&p, None));
            }
        }
        prop_assert_eq!(p.stats(None, Zone::default(), None), later.stats(None, Zone::default(), then));
        prop_assert_eq!(p.feed(&all()), later.feed(&FeedQuery { as_of: then, ..all() }));
        for status in [None, Some(Status::Queued), Some(Status::InProgress), Some(Status::Finished), Some(Status::Abandoned)] {
            let listed = owned(&p, status, None);
            prop_assert_eq!(&listed, &owned(&later, status, then));
            for i in &listed {
                prop_assert!(i.item.status != Status::Removed);
                prop_assert!(status.is_none_or(|s| s == i.item.status));
            }
            // Most recently touched first, ties by id: an order with no two places alike, so a
            // page can start after any item. Read in pages of any size, now or as of a past
            // position, the list is the same.
            let in_order = listed.windows(2).all(|w| {
                (w[1].item.updated_at, &w[0].item.id) < (w[0].item.updated_at, &w[1].item.id)
            });
            prop_assert!(in_order, "not most recently touched first: {:?}", listed);
            for limit in [1, 2, 3] {
                prop_assert_eq!(&owned_in_pages(&p, status, None, limit), &listed);
                prop_assert_eq!(&owned_in_pages(&later, status, then, limit), &listed);
            }
        }
        // And naming the last position is asking for now.
        prop_assert_eq!(current(&p, then), current(&p, None));
    }
}

fn revised(rating: Option<Option<f64>>, review: Option<Option<&str>>, d: u32) -> ItemEvent {
    ItemEvent::FinishRevised(FinishRevised {
        rating: rating.map(|r| r.map(|r| Rating::parse(r).unwrap())),
        review: review.map(|r| r.map(|r| Review::parse(r).unwrap())),
        started_at: None,
        finished_at: None,
        listened: None,
        at: day(d),
    })
}

#[test]
fn a_revision_changes_the_latest_finish_from_its_position_on() {
    let events = [
        (
            "a",
            added("Dune", MediaKind::Book, Visibility::Public, &[], 1),
        ),
        ("a", finished(2, Some(3.0))),
        ("a", finished(3, Some(3.5))),
        (
            "a",
            revised(Some(Some(4.5)), Some(Some("Better than I said.")), 4),
        ),
        ("a", revised(None, Some(None), 5)),
    ];
    let p = project(&events);
    let ratings = |as_of: Option<i64>| -> Vec<(Option<f64>, Option<String>)> {
        p.feed(&FeedQuery { as_of, ..all() })
            .into_iter()
            .map(|e| (e.rating, e.review))
            .collect()
    };
    // Newest first: the re-read (revised), then the first finish (never revised).
    assert_eq!(ratings(None), [(Some(4.5), None), (Some(3.0), None)]);
    assert_eq!(
        ratings(Some(4)),
        [
            (Some(4.5), Some("Better than I said.".to_owned())),
            (Some(3.0), None)
        ]
    );
    assert_eq!(ratings(Some(3)), [(Some(3.5), None), (Some(3.0), None)]);
    assert_eq!(
        p.stats(None, Zone::default(), None).average_rating,
        Some(3.75)
    );
    assert_eq!(
        p.stats(None, Zone::default(), Some(3)).average_rating,
        Some(3.25)
    );
    // The history shows the revisions; the item's state is as before them.
    let (item, history) = p.item("a", None).unwrap();
    assert_eq!((item.status, item.times_finished), (Status::Finished, 2));
    assert_eq!(history.len(), 5);
    // A snapshot holds them, and so does the state hash.
    let bytes = p.to_snapshot();
    let loaded =
        Projection::from_snapshot(bytes.clone(), &Projection::snapshot_hash(&bytes)).unwrap();
    assert_eq!(loaded, p);
    assert_eq!(
        loaded.feed(&FeedQuery {
            as_of: Some(4),
            ..all()
        }),
        p.feed(&FeedQuery {
            as_of: Some(4),
            ..all()
        })
    );
    assert_ne!(project(&events[..4]).state_hash(), p.state_hash());
}

#[test]
fn a_retracted_finish_leaves_the_feed_and_the_stats_from_then_on() {
    let retract = || ItemEvent::FinishRetracted(FinishRetracted { at: day(5) });
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("a", started(2)),
        ("a", finished(3, Some(4.0))), // 3
        ("a", finished(4, Some(2.0))), // 4: a re-read, recorded by mistake
        ("a", revised(Some(Some(1.0)), None, 4)),
        ("a", retract()), // 6: takes back the finish at 4, revision and all
        ("a", revised(Some(Some(5.0)), None, 5)), // 7: revises the finish at 3
        (
            "b",
            added("B", MediaKind::Movie, Visibility::Public, &[], 1),
        ),
        ("b", finished(6, None)), // 9
        ("b", retract()),         // 10: b is queued again
    ];
    let p = project(&events);
    let ratings = |as_of| {
        p.feed(&FeedQuery { as_of, ..all() })
            .iter()
            .map(|e| (e.position, e.rating))
            .collect::<Vec<_>>()
    };
    assert_eq!(ratings(None), [(3, Some(5.0))]);
    assert_eq!(ratings(Some(5)), [(4, Some(1.0)), (3, Some(4.0))]);
    assert_eq!(ratings(Some(9)), [(9, None), (3, Some(5.0))]);
    assert_eq!(p.stats(None, Zone::default(), None).finished, 1);
    assert_eq!(p.stats(None, Zone::default(), Some(9)).finished, 2);
    assert!(p.finish_retracted(4) && !p.finish_retracted(3));
    assert_eq!(
        (p.retracted_by(6), p.retracted_by(10), p.retracted_by(9)),
        (Some(4), Some(9), None)
    );
    let (a, _) = p.item("a", None).unwrap();
    assert_eq!((a.status, a.times_finished), (Status::Finished, 1));
    let (b, history) = p.item("b", None).unwrap();
    assert_eq!((b.status, b.times_finished), (Status::Queued, 0));
    assert!(matches!(
        history.last().unwrap().event,
        ItemEvent::FinishRetracted(_)
    ));
    assert_eq!(queue(&p, None).len(), 1);
    // A live stream from before a retraction sends the finish's removal.
    let (live, _) = p.live_after(9, &all());
    assert_eq!(
        live,
        [LiveEvent::Remove {
            position: 10,
            finish: 9
        }]
    );
    // A snapshot keeps all of it.
    let bytes = p.to_snapshot();
    let loaded =
        Projection::from_snapshot(bytes.clone(), &Projection::snapshot_hash(&bytes)).unwrap();
    assert_eq!(loaded, p);
}

/// Each finish says which of its item's it is, in the order they happened, as of the answer's
/// position: a re-read's is the 2nd; a retracted one is not counted (from its retraction on);
/// one imported later but finished earlier counts before; the item's page numbers the same.
#[test]
fn each_finish_says_which_of_its_items_it_is() {
    let retract = || ItemEvent::FinishRetracted(FinishRetracted { at: day(9) });
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("a", finished(3, Some(4.0))), // 2
        ("a", finished(6, Some(5.0))), // 3: a re-read
        ("a", finished(8, None)),      // 4: by mistake…
        ("a", retract()),              // 5: …taken back
        ("a", finished(2, None)),      // 6: an older read, logged late
        (
            "b",
            added("B", MediaKind::Movie, Visibility::Public, &[], 1),
        ),
        ("b", finished(7, None)), // 8
    ];
    let p = project(&events);
    let numbers = |as_of| {
        p.feed(&FeedQuery { as_of, ..all() })
            .iter()
            .map(|e| (e.position, e.finish_number))
            .collect::<Vec<_>>()
    };
    assert_eq!(numbers(Some(4)), [(4, 3), (3, 2), (2, 1)]);
    assert_eq!(numbers(Some(5)), [(3, 2), (2, 1)]);
    assert_eq!(numbers(None), [(8, 1), (3, 3), (2, 2), (6, 1)]);
    let (_, finishes) = p.item_finishes("a", None).unwrap();
    assert_eq!(
        finishes.iter().map(|e| e.finish_number).collect::<Vec<_>>(),
        [3, 2, 1]
    );
}

/// A start taken back: the item is up next again (or finished, its finish retractable again),
/// from then on, in every list; as of before, it was in progress; a snapshot keeps it so.
#[test]
fn a_retracted_start_puts_the_item_back_where_it_stood() {
    let unstart = |d| ItemEvent::StartRetracted(StartRetracted { at: day(d) });
    let retract = || ItemEvent::FinishRetracted(FinishRetracted { at: day(9) });
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("a", started(2)), // 2: the wrong item
        (
            "a",
            ItemEvent::ProgressLogged(ProgressLogged {
                percent: Some(Percent::parse(30).unwrap()),
                portion: None,
                at: day(3),
            }),
        ),
        ("a", unstart(4)), // 4
        ("b", added("B", MediaKind::Book, Visibility::Public, &[], 1)),
        ("b", started(2)),
        ("b", finished(5, Some(4.0))), // 7
        ("b", started(6)),             // 8: a re-read, begun by mistake
        ("b", unstart(6)),             // 9
        ("b", retract()),              // 10: the finish at 7 too, then
    ];
    let p = project(&events);
    let ids = |items: Vec<ItemView>| items.into_iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(ids(queue(&p, None)), ["a"]);
    assert_eq!(ids(current(&p, None)), ["b"]);
    assert_eq!(ids(current(&p, Some(3))), ["a"]);
    assert!(queue(&p, Some(3)).is_empty());
    assert_eq!(ids(queue(&p, Some(4))), ["a"]);
    assert_eq!(ids(current(&p, Some(8))), ["b"]);
    assert_eq!(ids(queue(&p, Some(8))), ["a"]);
    let (a, _) = p.item("a", None).unwrap();
    assert_eq!(
        (a.status, a.progress, a.started_at),
        (Status::Queued, None, None)
    );
    // Back to finished once the re-read's start is taken back; then its finish can be.
    let (b, _) = p.item("b", Some(9)).unwrap();
    assert_eq!((b.status, b.times_finished), (Status::Finished, 1));
    assert!(p.finish_retracted(7));
    assert!(p.feed(&all()).is_empty());
    assert_eq!(
        p.feed(&FeedQuery {
            as_of: Some(9),
            ..all()
        })
        .len(),
        1
    );
    let bytes = p.to_snapshot();
    let loaded =
        Projection::from_snapshot(bytes.clone(), &Projection::snapshot_hash(&bytes)).unwrap();
    assert_eq!(loaded, p);
    // Loaded up to the unstart, the rest applied after: the same.
    let half = project(&events[..9]);
    let bytes = half.to_snapshot();
    let mut loaded =
        Projection::from_snapshot(bytes.clone(), &Projection::snapshot_hash(&bytes)).unwrap();
    loaded.apply(10, "b", day(0), &events[9].1);
    assert_eq!(loaded.state_hash(), p.state_hash());
    assert!(loaded.finish_retracted(7));
}

/// A give-up taken back: the item is in progress again from then on, begun when it was and as
/// far as it was; as of before, abandoned; a snapshot keeps it so.
#[test]
fn a_retracted_give_up_puts_the_read_back_in_progress() {
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("a", started(2)), // 2
        (
            "a",
            ItemEvent::ProgressLogged(ProgressLogged {
                percent: Some(Percent::parse(30).unwrap()),
                portion: Portion::parse(90, 300).ok(),
                at: day(3),
            }),
        ),
        ("a", ItemEvent::Abandoned(Abandoned { at: day(4) })), // 4: the wrong button
        (
            "a",
            ItemEvent::AbandonRetracted(AbandonRetracted { at: day(4) }),
        ), // 5
    ];
    let p = project(&events);
    let ids = |items: Vec<ItemView>| items.into_iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(ids(current(&p, None)), ["a"]);
    assert!(current(&p, Some(4)).is_empty());
    let (a, _) = p.item("a", None).unwrap();
    assert_eq!(
        (a.status, a.progress, a.progress_done, a.started_at),
        (Status::InProgress, Some(30), Some(90), Some(day(2)))
    );
    assert_eq!(p.item("a", Some(4)).unwrap().0.status, Status::Abandoned);
    let bytes = p.to_snapshot();
    let loaded =
        Projection::from_snapshot(bytes.clone(), &Projection::snapshot_hash(&bytes)).unwrap();
    assert_eq!(loaded, p);
    assert_eq!(ids(current(&loaded, None)), ["a"]);
}

#[test]
fn a_restored_item_is_back_where_it_stood_in_every_answer() {
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("a", finished(2, Some(4.0))),                       // 2
        ("a", started(3)),                                   // 3: a re-read under way
        ("a", ItemEvent::Removed(Removed { at: day(4) })),   // 4
        ("a", ItemEvent::Restored(Restored { at: day(5) })), // 5
    ];
    let p = project(&events);
    let positions = |as_of| {
        p.feed(&FeedQuery { as_of, ..all() })
            .iter()
            .map(|e| e.position)
            .collect::<Vec<_>>()
    };
    assert_eq!(positions(None), [2]);
    assert_eq!(positions(Some(3)), [2], "as it was before the removal");
    assert!(positions(Some(4)).is_empty(), "and while it was removed");
    assert_eq!(p.stats(None, Zone::default(), None).finished, 1);
    let (a, history) = p.item("a", None).unwrap();
    assert_eq!((a.status, a.times_finished), (Status::InProgress, 1));
    assert_eq!(history.len(), 5);
    assert_eq!(
        current(&p, None)
            .into_iter()
            .map(|i| i.id)
            .collect::<Vec<_>>(),
        ["a"]
    );
    assert!(owned(&p, Some(Status::Removed), None).is_empty());
    // A live stream that saw the removal gets the finish back; one from before it, the
    // finish as it is now, once (a stream sends what a reload would show).
    for (after, position) in [(4, 5), (3, 4)] {
        let (back, _) = p.live_after(after, &all());
        assert!(
            matches!(&back[..], [LiveEvent::Update { position: at, entry }]
                if *at == position && entry.position == 2),
            "after {after}: {back:?}"
        );
    }
    // A snapshot keeps it.
    let bytes = p.to_snapshot();
    let loaded =
        Projection::from_snapshot(bytes.clone(), &Projection::snapshot_hash(&bytes)).unwrap();
    assert_eq!(loaded, p);
}

/// What a live client keeps of an entry: what a feed entry shows of the finish and its item.
/// (Its item's status and counts are as of when it was sent: not followed live.)
type Shown = (
    DateTime<Utc>,
    Option<f64>,
    Option<String>,
    Option<DateTime<Utc>>,
    String,
    MediaKind,
    Vec<String>,
);

fn shown_of(e: &FeedEntry) -> Shown {
    (
        e.finished_at,
        e.rating,
        e.review.clone(),
        e.revised_at,
        e.item.title.clone(),
        e.item.kind,
        e.item.tags.clone(),
    )
}

/// A live client: starts from the feed as it was at `from`, then follows the stream `limit`
/// events at a time until it has caught up, as a widget does. Returns what it shows, by
/// finish position, and the ids it saw.
fn follow(
    then: &Projection,
    now: &Projection,
    q: &FeedQuery,
    limit: usize,
) -> (BTreeMap<i64, Shown>, Vec<i64>) {
    let mut shown: BTreeMap<i64, Shown> = then
        .feed(&FeedQuery {
            limit: usize::MAX,
            ..q.clone()
        })
        .iter()
        .map(|e| (e.position, shown_of(e)))
        .collect();
    let mut ids = Vec::new();
    let mut at = then.position();
    let q = FeedQuery { limit, ..q.clone() };
    loop {
        let (events, until) = now.live_after(at, &q);
        assert!(until >= at, "the stream went back from {at} to {until}");
        for event in &events {
            ids.push(event.position());
            match event {
                LiveEvent::Finish(e) | LiveEvent::Update { entry: e, .. } => {
                    shown.insert(e.position, shown_of(e));
                }
                LiveEvent::Remove { finish, .. } => {
                    shown.remove(finish);
                }
            }
        }
        if until == at && events.is_empty() {
            return (shown, ids);
        }
        at = until;
    }
}

#[test]
fn a_live_stream_sends_new_finishes_then_updates_and_removals_of_earlier_ones() {
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        (
            "s",
            added("S", MediaKind::Book, Visibility::Private, &[], 1),
        ),
        ("a", finished(9, None)),
        ("s", finished(9, None)),
        ("a", finished(2, None)), // 5: backdated, but recorded later
        (
            "a",
            edited(
                ItemChanges {
                    title: Some(Title::parse("A, second edition").unwrap()),
                    ..Default::default()
                },
                10,
            ),
        ),
        ("a", revised(Some(Some(5.0)), None, 10)), // 7: revises the finish at 5
        (
            "s",
            edited(
                ItemChanges {
                    tags: Some(vec![Tag::parse("still-private").unwrap()]),
                    ..Default::default()
                },
                10,
            ),
        ), // 8: private before and after: nothing to send
        (
            "a",
            edited(
                ItemChanges {
                    visibility: Some(Visibility::Private),
                    ..Default::default()
                },
                11,
            ),
        ), // 9
        (
            "s",
            edited(
                ItemChanges {
                    visibility: Some(Visibility::Public),
                    ..Default::default()
                },
                11,
            ),
        ), // 10: made public: its finish appears
    ];
    let p = project(&events);
    let live = |after, limit| {
        let (events, until) = p.live_after(after, &FeedQuery { limit, ..all() });
        let events: Vec<_> = events
            .iter()
            .map(|e| match e {
                LiveEvent::Finish(e) => ("finish", e.position, e.position),
                LiveEvent::Update { position, entry } => ("update", *position, entry.position),
                LiveEvent::Remove { position, finish } => ("remove", *position, *finish),
            })
            .collect();
        (events, until)
    };
    // From before every finish: the finishes of what is public now, once each.
    assert_eq!(live(0, 100), (vec![("finish", 4, 4)], 10));
    // From after them: `a`'s finishes removed (it went private later), `s`'s shown, each at
    // its item's first change (the state sent is the latest).
    assert_eq!(
        live(5, 100),
        (
            vec![("remove", 6, 3), ("remove", 6, 5), ("update", 8, 4)],
            10
        )
    );
    assert_eq!(
        live(8, 100),
        (
            vec![("remove", 9, 3), ("remove", 9, 5), ("update", 10, 4)],
            10
        )
    );
    // At the head: nothing.
    assert_eq!(live(10, 100), (vec![], 10));
    // In pages: stops at a position's boundary and goes on from there.
    assert_eq!(live(5, 1), (vec![("remove", 6, 3), ("remove", 6, 5)], 6));
    assert_eq!(live(7, 1), (vec![("update", 8, 4)], 8));

    // Before `a` went private, its edit and revision were updates of both its finishes.
    let before_private = project(&events[..8]);
    let (upd, until) = before_private.live_after(5, &all());
    assert_eq!(until, 8);
    let upd: Vec<_> = upd
        .iter()
        .map(|e| match e {
            LiveEvent::Update { position, entry } => (
                *position,
                entry.position,
                entry.item.title.clone(),
                entry.rating,
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        upd,
        [
            (6, 3, "A, second edition".to_string(), None),
            (6, 5, "A, second edition".to_string(), Some(5.0)),
        ]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A widget that showed the feed at some position and then followed the live stream shows
    /// what a reload shows now, whatever happened in between and however the stream was cut
    /// into pages; and the stream's ids never go back, so a reconnection resumes in place.
    #[test]
    fn following_the_live_stream_shows_what_a_reload_shows(
        events in valid_events(),
        cut in any::<prop::sample::Index>(),
        limit in 1..6usize,
        filter in 0..3u8,
    ) {
        let k = cut.index(events.len() + 1);
        let then = replay(&events[..k]);
        let now = replay(&events);
        let q = FeedQuery {
            kind: (filter == 1).then_some(MediaKind::Book),
            tag: (filter == 2).then(|| Tag::parse("x").unwrap()),
            ..all()
        };
        let (shown, ids) = follow(&then, &now, &q, limit);
        let reload: BTreeMap<i64, Shown> = now
            .feed(&FeedQuery { limit: usize::MAX, ..q.clone() })
            .iter()
            .map(|e| (e.position, shown_of(e)))
            .collect();
        prop_assert_eq!(shown, reload);
        prop_assert!(ids.windows(2).all(|w| w[0] <= w[1]), "ids went back: {:?}", ids);
        prop_assert!(ids.iter().all(|id| *id > k as i64));
    }
}

#[test]
fn each_finish_says_when_its_read_began_and_the_lists_since_when_in_progress() {
    let progress = |d| {
        ItemEvent::ProgressLogged(ProgressLogged {
            percent: Some(Percent::parse(30).unwrap()),
            portion: None,
            at: day(d),
        })
    };
    let retract = || ItemEvent::FinishRetracted(FinishRetracted { at: day(9) });
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("a", started(2)),
        ("a", progress(4)),
        ("a", finished(6, None)),  // 4: read from day 2
        ("a", progress(8)),        // a re-read, begun by logging progress
        ("a", finished(10, None)), // 6: read from day 8
        (
            "b",
            added("B", MediaKind::Movie, Visibility::Public, &[], 1),
        ),
        ("b", finished(3, None)), // 8: logged after watching: no start
        ("c", added("C", MediaKind::Game, Visibility::Public, &[], 1)),
        ("c", started(5)),
        ("c", finished(7, None)), // 11: taken back, then finished again
        ("c", retract()),
        ("c", finished(12, None)), // 13: still the play begun on day 5
        ("d", added("D", MediaKind::Tv, Visibility::Public, &[], 1)),
        ("d", started(11)),
    ];
    let p = project(&events);
    let starts = |as_of| {
        p.feed(&FeedQuery { as_of, ..all() })
            .iter()
            .map(|e| (e.position, e.started_at))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        starts(None),
        [
            (13, Some(day(5))),
            (6, Some(day(8))),
            (4, Some(day(2))),
            (8, None)
        ]
    );
    // As of a position, the same: a read's start never changes.
    assert_eq!(
        starts(Some(11)),
        [
            (6, Some(day(8))),
            (11, Some(day(5))),
            (4, Some(day(2))),
            (8, None)
        ]
    );
    // In the lists, only what is in progress has a start.
    let since: Vec<_> = current(&p, None)
        .into_iter()
        .map(|i| (i.id, i.started_at))
        .collect();
    assert_eq!(since, [("d".to_owned(), Some(day(11)))]);
    assert!(owned(&p, None, None)
        .iter()
        .all(|i| (i.item.id == "d") == i.item.started_at.is_some()));
    let then: Vec<_> = current(&p, Some(10))
        .into_iter()
        .map(|i| (i.id, i.started_at))
        .collect();
    assert_eq!(then, [("c".to_owned(), Some(day(5)))]);
    let in_progress = owned(&p, Some(Status::InProgress), Some(3));
    assert_eq!(in_progress[0].item.started_at, Some(day(2)));

    // One item's finishes, newest first, as the feed has them: c's retracted one left out,
    // but there as of before its retraction.
    let finishes = |id, as_of| {
        let (item, finishes) = p.item_finishes(id, as_of).unwrap();
        assert_eq!(item.id, id);
        finishes
            .iter()
            .map(|e| (e.position, e.started_at))
            .collect::<Vec<_>>()
    };
    assert_eq!(finishes("a", None), [(6, Some(day(8))), (4, Some(day(2)))]);
    assert_eq!(finishes("c", None), [(13, Some(day(5)))]);
    assert_eq!(finishes("c", Some(11)), [(11, Some(day(5)))]);
    assert_eq!(finishes("d", None), []);
    assert!(p.item_finishes("d", Some(13)).is_none(), "not added yet");
}

/// A read in progress whose start was logged on the wrong day, moved: the list says since
/// when from the move on (and as before it as of earlier positions), and its finish says
/// it began there; the start of an earlier finish of the item stays its own. A snapshot
/// taken after the move reads the same.
#[test]
fn a_moved_start_is_the_reads_start_from_the_move_on() {
    let moved = |to, d| {
        ItemEvent::StartRevised(StartRevised {
            started_at: day(to),
            at: day(d),
        })
    };
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("a", started(2)),
        ("a", finished(4, None)), // 3: read from day 2
        ("a", started(10)),       // a re-read, logged on day 10
        ("a", moved(6, 11)),      // 5: begun on day 6 after all
        ("a", finished(12, None)),
    ];
    let p = project(&events);
    let since = |as_of| {
        current(&p, as_of)
            .into_iter()
            .map(|i| i.started_at)
            .collect::<Vec<_>>()
    };
    assert_eq!(since(Some(4)), [Some(day(10))]);
    assert_eq!(since(Some(5)), [Some(day(6))]);
    let starts = |p: &Projection| {
        p.feed(&all())
            .iter()
            .map(|e| (e.position, e.started_at))
            .collect::<Vec<_>>()
    };
    assert_eq!(starts(&p), [(6, Some(day(6))), (3, Some(day(2)))]);
    let restored = Projection::from_snapshot(p.to_snapshot(), &p.state_hash()).unwrap();
    assert_eq!(starts(&restored), starts(&p));
    assert_eq!(restored.state_hash(), p.state_hash());
}

/// A finished read's start, revised with its finish: the feed's entry says it began there
/// from the revision on (and as before it as of earlier positions), the rating stays, an
/// earlier finish keeps its own start, and a finish logged without one gets one. A snapshot
/// taken after the revisions reads the same.
#[test]
fn a_finishs_revised_start_is_its_reads_from_the_revision_on() {
    let begun = |to, d| {
        ItemEvent::FinishRevised(FinishRevised {
            rating: None,
            review: None,
            started_at: Some(day(to)),
            finished_at: None,
            listened: None,
            at: day(d),
        })
    };
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("a", started(2)),
        ("a", finished(4, None)),       // 3: read from day 2
        ("a", started(10)),             // logged on day 10…
        ("a", finished(12, Some(5.0))), // 5
        ("a", begun(6, 13)),            // 6: …begun on day 6 after all
        (
            "b",
            added("B", MediaKind::Movie, Visibility::Public, &[], 1),
        ),
        ("b", finished(8, None)), // 8: logged after watching it…
        ("b", begun(7, 9)),       // 9: …over two evenings
    ];
    let p = project(&events);
    let starts = |p: &Projection, as_of| {
        p.feed(&FeedQuery { as_of, ..all() })
            .iter()
            .map(|e| (e.position, e.started_at))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        starts(&p, None),
        [(5, Some(day(6))), (8, Some(day(7))), (3, Some(day(2)))]
    );
    assert_eq!(starts(&p, Some(5)), [(5, Some(day(10))), (3, Some(day(2)))]);
    assert_eq!(
        starts(&p, Some(8)),
        [(5, Some(day(6))), (8, None), (3, Some(day(2)))]
    );
    let latest = &p.feed(&all())[0];
    assert_eq!(
        (latest.rating, latest.revised_at),
        (Some(5.0), Some(day(13)))
    );
    let restored = Projection::from_snapshot(p.to_snapshot(), &p.state_hash()).unwrap();
    assert_eq!(starts(&restored, None), starts(&p, None));
    assert_eq!(starts(&restored, Some(5)), starts(&p, Some(5)));
    assert_eq!(restored.state_hash(), p.state_hash());
}

fn moved(to: u32, rating: Option<f64>, d: u32) -> ItemEvent {
    ItemEvent::FinishRevised(FinishRevised {
        rating: rating.map(|r| Some(Rating::parse(r).unwrap())),
        review: None,
        started_at: None,
        finished_at: Some(day(to)),
        listened: None,
        at: day(d),
    })
}

/// A finish moved to another day: the feed, its pages, the item's page and the stats place it
/// there from the move on (and where it was as of earlier positions), once, with its rating
/// and its read's start; a live stream sends it as an update; taken back, it goes wherever it
/// is; a snapshot reads the same.
#[test]
fn a_finish_moved_to_another_day_is_there_from_the_move_on() {
    let mut events = vec![
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("a", started(2)),
        ("a", finished(30, Some(4.0))), // 3: logged on February 3…
        (
            "b",
            added("B", MediaKind::Movie, Visibility::Public, &[], 1),
        ),
        ("b", finished(22, None)),       // 5: January 23
        ("a", moved(20, Some(4.5), 31)), // 6: …finished on January 21, and better than that
        ("a", moved(25, None, 32)),      // 7: no, the 26th
    ];
    let p = project(&events);
    let feed = |p: &Projection, as_of, before| {
        p.feed(&FeedQuery {
            as_of,
            before,
            ..all()
        })
        .iter()
        .map(|e| (e.position, e.finished_at))
        .collect::<Vec<_>>()
    };
    assert_eq!(feed(&p, Some(5), None), [(3, day(30)), (5, day(22))]);
    assert_eq!(feed(&p, Some(6), None), [(5, day(22)), (3, day(20))]);
    assert_eq!(feed(&p, None, None), [(3, day(25)), (5, day(22))]);
    // A page after the second finish: the day the first had at 6 is not where it is now.
    assert_eq!(feed(&p, None, Some((day(22), 5))), []);
    assert_eq!(feed(&p, Some(6), Some((day(22), 5))), [(3, day(20))]);
    let latest = &p.feed(&all())[0];
    assert_eq!(
        (latest.rating, latest.started_at, latest.revised_at),
        (Some(4.5), Some(day(2)), Some(day(32)))
    );
    assert_eq!(
        p.feed(&FeedQuery {
            as_of: Some(5),
            ..all()
        })[0]
            .rating,
        Some(4.0)
    );
    let months = |p: &Projection, as_of| {
        let stats = p.stats(Some(2026), Zone::default(), as_of);
        (stats.finished, stats.by_month.unwrap()[..2].to_vec())
    };
    assert_eq!(months(&p, Some(5)), (2, vec![1, 1]));
    assert_eq!(months(&p, None), (2, vec![2, 0]));
    let page = |p: &Projection, as_of| {
        let (_, finishes) = p.item_finishes("a", as_of).unwrap();
        finishes.iter().map(|e| e.finished_at).collect::<Vec<_>>()
    };
    assert_eq!(
        (page(&p, Some(6)), page(&p, None)),
        (vec![day(20)], vec![day(25)])
    );
    // Followed live from before the moves: one update, where it is now.
    let (live, _) = p.live_after(5, &all());
    assert!(
        matches!(&live[..], [LiveEvent::Update { entry, .. }] if entry.finished_at == day(25)),
        "{live:?}"
    );
    let restored = Projection::from_snapshot(p.to_snapshot(), &p.state_hash()).unwrap();
    assert_eq!(restored, p);
    assert_eq!(feed(&restored, Some(6), None), feed(&p, Some(6), None));

    // Taken back where it is now.
    events.push((
        "a",
        ItemEvent::FinishRetracted(FinishRetracted { at: day(33) }),
    ));
    let p = project(&events);
    assert_eq!(feed(&p, None, None), [(5, day(22))]);
    assert_eq!(feed(&p, Some(7), None), [(3, day(25)), (5, day(22))]);
    assert_eq!(months(&p, None), (1, vec![1, 0]));
    assert!(p.finish_retracted(3));
    assert_eq!(p.retracted_by(8), Some(3));
    let restored = Projection::from_snapshot(p.to_snapshot(), &p.state_hash()).unwrap();
    assert_eq!(restored, p);
}

/// A move once the item's status changed since the finish is refused by the writer; one in
/// a log anyway moves nothing, on a replica that applied it and one that loaded a snapshot.
#[test]
fn a_finish_is_not_moved_once_the_status_changed() {
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        ("a", finished(5, None)),
        ("a", started(6)),
        ("a", moved(4, None, 7)),
    ];
    let p = project(&events);
    let days: Vec<_> = p.feed(&all()).iter().map(|e| e.finished_at).collect();
    assert_eq!(days, [day(5)]);
    let restored = Projection::from_snapshot(p.to_snapshot(), &p.state_hash()).unwrap();
    assert_eq!(restored, p);
}

/// What a sitemap names: each public item with when it last changed, the most recently
/// changed first, as many as asked; never a private or a removed one (not even as of before
/// its removal, as every public answer); as of a past position, as they stood then.
#[test]
fn the_public_items_are_named_with_when_each_last_changed() {
    let events = [
        ("a", added("A", MediaKind::Book, Visibility::Public, &[], 1)),
        (
            "b",
            added("B", MediaKind::Movie, Visibility::Public, &[], 2),
        ),
        (
            "p",
            added("P", MediaKind::Book, Visibility::Private, &[], 3),
        ),
        (
            "gone",
            added("G", MediaKind::Game, Visibility::Public, &[], 4),
        ),
        ("a", finished(5, None)), // 5
        ("gone", ItemEvent::Removed(Removed { at: day(6) })),
    ];
    let p = project(&events);
    assert_eq!(
        p.public_items(None, 10),
        [("a".to_owned(), day(5)), ("b".to_owned(), day(2))]
    );
    assert_eq!(p.public_items(None, 1), [("a".to_owned(), day(5))]);
    assert_eq!(
        p.public_items(Some(5), 10),
        [("a".to_owned(), day(5)), ("b".to_owned(), day(2))]
    );
    assert_eq!(
        p.public_items(Some(2), 10),
        [("b".to_owned(), day(2)), ("a".to_owned(), day(1))]
    );
}
