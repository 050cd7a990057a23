//! CSV in `lately export`'s columns: another lately's export, or a spreadsheet of your own
//! (only `kind` and `title` are required). Every row is checked with the domain's own parsers
//! before anything is written, so a file the writer would refuse a row of is refused whole.

use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{key, list, require_columns, Planned};
use crate::client::CliError;
use crate::how_far::HowFar;
use crate::when::{at_text, instant, time};

/// A row of `lately export`'s CSV: every column but `kind` and `title` may be missing (a
/// spreadsheet of one's own) or empty.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LatelyRow {
    id: String,
    kind: String,
    title: String,
    creators: String,
    tags: String,
    url: String,
    cover_url: String,
    visibility: String,
    status: String,
    progress: String,
    added_at: String,
    updated_at: String,
    started_at: String,
    finished_at: String,
    rating: String,
    review: String,
    /// `yes` for a finish listened to (an audiobook); empty or `no` for one read.
    listened: String,
}

/// A `listened` cell: `yes`/`true`/`1`, or `no`/`false`/`0`/empty (in any case).
fn listened(raw: &str) -> Result<bool, String> {
    match raw.trim().to_lowercase().as_str() {
        "yes" | "true" | "1" => Ok(true),
        "" | "no" | "false" | "0" => Ok(false),
        other => Err(format!("listened: {other:?} is neither yes nor no")),
    }
}

/// One finish of an item, from one row.
#[derive(Debug)]
struct CsvFinish {
    at: Option<DateTime<Utc>>,
    /// When the read it ended began: a start is written before it.
    started: Option<DateTime<Utc>>,
    rating: Option<f64>,
    review: Option<String>,
    listened: bool,
}

/// An item of the CSV: its first row's fields, and the finishes of all its rows.
#[derive(Debug)]
struct CsvItem {
    /// The item's id, or (for a row without one) its kind, title and creators.
    name: String,
    row: LatelyRow,
    finishes: Vec<CsvFinish>,
}

/// Checks a row with the domain's own parsers, so that a file the writer would refuse a row
/// of is refused whole, naming the row and the column, before anything is written.
fn check_row(row: &LatelyRow) -> Result<(), String> {
    use lately_domain::{
        Creator, ItemId, MediaKind, ParseError, Percent, Rating, Review, Tag, Title, Url,
    };
    fn column(name: &str) -> impl Fn(ParseError) -> String + '_ {
        move |e| format!("{name}: {e}")
    }
    let kind = MediaKind::parse(row.kind.trim()).map_err(column("kind"))?;
    if listened(&row.listened)? && !kind.can_be_listened_to() {
        return Err(format!(
            "listened: {} cannot be listened to (a book, an article or a podcast can)",
            kind.noun(2)
        ));
    }
    Title::parse(&row.title).map_err(column("title"))?;
    if !row.id.trim().is_empty() {
        ItemId::parse(row.id.trim()).map_err(column("id"))?;
    }
    for (name, raw) in [("url", &row.url), ("cover_url", &row.cover_url)] {
        if !raw.trim().is_empty() {
            Url::parse(raw.trim()).map_err(column(name))?;
        }
    }
    for c in list(&row.creators, ';') {
        Creator::parse(&c).map_err(column("creators"))?;
    }
    for t in list(&row.tags, ';') {
        Tag::parse(&t).map_err(column("tags"))?;
    }
    if !matches!(row.visibility.trim(), "" | "public" | "private") {
        return Err(format!(
            "visibility: {:?} is neither public nor private",
            row.visibility.trim()
        ));
    }
    if !matches!(
        row.status.trim(),
        "" | "queued" | "in_progress" | "finished" | "abandoned"
    ) {
        return Err(format!(
            "status: {:?} is not one of queued, in_progress, finished, abandoned",
            row.status.trim()
        ));
    }
    if !row.progress.trim().is_empty() {
        match HowFar::parse(&row.progress).map_err(|e| format!("progress: {e}"))? {
            HowFar::Percent(percent) => {
                Percent::parse(percent).map_err(column("progress"))?;
            }
            HowFar::Counted(_) => {}
        }
    }
    for (name, raw) in [
        ("added_at", &row.added_at),
        ("updated_at", &row.updated_at),
        ("started_at", &row.started_at),
        ("finished_at", &row.finished_at),
    ] {
        if raw.trim().is_empty() {
            continue;
        }
        // The writer's bounds: a typo'd year is refused, not recorded.
        match time(raw) {
            None => {
                return Err(format!(
                    "{name}: {:?} is neither YYYY-MM-DD nor an RFC 3339 time",
                    raw.trim()
                ))
            }
            Some(t) if t.year() < 1900 => {
                return Err(format!(
                    "{name}: {} is before 1900; was the year mistyped?",
                    raw.trim()
                ))
            }
            Some(t) if t > Utc::now() + chrono::Duration::days(1) => {
                return Err(format!("{name}: {} is in the future", raw.trim()))
            }
            Some(_) => {}
        }
    }
    if let (Some(started), Some(finished)) = (time(&row.started_at), time(&row.finished_at)) {
        if started > finished {
            return Err(format!(
                "started_at: {} is after finished_at {}",
                row.started_at.trim(),
                row.finished_at.trim()
            ));
        }
    }
    if !row.rating.trim().is_empty() {
        let stars = row
            .rating
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("rating: {:?} is not a number of stars", row.rating.trim()))?;
        Rating::parse(stars).map_err(column("rating"))?;
    }
    if !row.review.trim().is_empty() {
        Review::parse(&row.review).map_err(column("review"))?;
    }
    Ok(())
}

/// `lately export`'s CSV (or a spreadsheet in its columns): a row per finish, and a row per
/// item never finished. Rows of the same `id` (or, without one, the same kind, title and
/// creators) are one item: added once with the first row's fields, finished once per row with
/// a `finished_at`, `rating` or `review`, oldest first, then brought to its `status` (started,
/// with its `progress`, or abandoned) at its `updated_at`. Items go in in the order they were
/// added.
pub fn plan_csv(csv_text: &str) -> Result<Vec<Planned>, CliError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    require_columns(&mut reader, "a lately CSV", &["kind", "title"])?;
    let mut items: Vec<CsvItem> = Vec::new();
    let mut by_name = std::collections::HashMap::new();
    for (i, row) in reader.deserialize::<LatelyRow>().enumerate() {
        let line = i + 2;
        let mut row =
            row.map_err(|e| CliError::Usage(format!("row {line}: not a CSV row: {e}")))?;
        // A spreadsheet's `Book` or `Private` means what export's `book` and `private` do, and
        // its `Film` or `TV show` what `movie` and `tv` do: the pages' names for them.
        for column in [&mut row.kind, &mut row.visibility, &mut row.status] {
            *column = column.trim().to_lowercase();
        }
        row.kind = match row.kind.as_str() {
            "film" => "movie",
            "show" | "tv show" => "tv",
            kind => kind,
        }
        .to_owned();
        check_row(&row).map_err(|e| CliError::Usage(format!("row {line}: {e}")))?;
        let name = match row.id.trim() {
            "" => format!(
                "{}:{}:{}",
                row.kind.trim(),
                row.title.trim(),
                list(&row.creators, ';').join(";")
            ),
            id => id.to_owned(),
        };
        let finish = [&row.finished_at, &row.rating, &row.review]
            .iter()
            .any(|c| !c.trim().is_empty())
            .then(|| CsvFinish {
                at: time(&row.finished_at),
                started: time(&row.started_at),
                rating: row.rating.trim().parse().ok(),
                review: (!row.review.trim().is_empty()).then(|| row.review.clone()),
                // Checked above.
                listened: listened(&row.listened).unwrap_or(false),
            });
        let index = *by_name.entry(name.clone()).or_insert_with(|| {
            items.push(CsvItem {
                name,
                row,
                finishes: Vec::new(),
            });
            items.len() - 1
        });
        items[index].finishes.extend(finish);
    }
    // The log's order follows history: items by when they were added (those without a date
    // last, in the file's order: the sorts are stable), each item's finishes oldest first
    // (undated ones last).
    let dated_first = |t: Option<DateTime<Utc>>| (t.is_none(), t);
    items.sort_by_cached_key(|i| dated_first(time(&i.row.added_at)));
    items
        .into_iter()
        .map(|mut item| {
            item.finishes.sort_by_key(|f| dated_first(f.at));
            plan_item(item)
        })
        .collect()
}

/// The writes of one item of lately's CSV.
fn plan_item(item: CsvItem) -> Result<Planned, CliError> {
    let CsvItem {
        name,
        row,
        finishes,
    } = item;
    let key_of = |step: &str| key(&format!("csv:{name}:{step}"));
    let mut add = json!({
        "kind": row.kind.trim(),
        "title": row.title.trim(),
        "creators": list(&row.creators, ';'),
        "tags": list(&row.tags, ';'),
    });
    for (field, raw) in [
        ("id", &row.id),
        ("url", &row.url),
        ("cover_url", &row.cover_url),
        ("visibility", &row.visibility),
    ] {
        if !raw.trim().is_empty() {
            add[field] = json!(raw.trim());
        }
    }
    if let Some(at) = instant(&row.added_at) {
        add["at"] = json!(at);
    }
    // A row without a finish starts the read in progress at its `started_at`.
    let started = finishes
        .is_empty()
        .then(|| instant(&row.started_at))
        .flatten();
    let status = match (row.status.trim(), finishes.is_empty()) {
        ("", true) if started.is_some() => "in_progress",
        ("", true) => "queued",
        ("", false) => "finished",
        ("queued", false) => {
            return Err(CliError::Usage(format!(
                "{}: status queued, but it has finishes (leave status empty, or say finished or in_progress)",
                row.title.trim()
            )))
        }
        (status, _) => status,
    };
    let mut steps = Vec::new();
    // Two finishes at the same time (a file's rows twice) are two finishes, under two keys.
    let mut seen = std::collections::HashMap::new();
    for (n, f) in finishes.iter().enumerate() {
        let mut body = json!({});
        if let Some(at) = f.at {
            body["at"] = json!(at_text(at));
        }
        if let Some(r) = f.rating {
            body["rating"] = json!(r);
        }
        if let Some(r) = &f.review {
            body["review"] = json!(r);
        }
        if f.listened {
            body["listened"] = json!(true);
        }
        let mut which = f.at.map_or_else(|| format!("undated-{n}"), at_text);
        let times = seen.entry(which.clone()).or_insert(0);
        *times += 1;
        if *times > 1 {
            which = format!("{which}:{times}");
        }
        if let Some(started) = f.started {
            steps.push((
                "start",
                json!({ "at": at_text(started) }),
                key_of(&format!("read:{which}")),
            ));
        }
        steps.push(("finish", body, key_of(&format!("finish:{which}"))));
    }
    // What happened after the last finish is known only by its time: the item's `updated_at`.
    let at = instant(&row.updated_at);
    let timed = |body: Value| match &at {
        Some(at) => {
            let mut body = body;
            body["at"] = json!(at);
            body
        }
        None => body,
    };
    let when = at.clone().unwrap_or_else(|| "undated".to_owned());
    if status == "finished" && finishes.is_empty() {
        let heard = listened(&row.listened).unwrap_or(false);
        steps.push((
            "finish",
            timed(if heard {
                json!({ "listened": true })
            } else {
                json!({})
            }),
            key_of(&format!("finish:{when}")),
        ));
    }
    if matches!(status, "in_progress" | "abandoned") {
        // The key as before `started_at` was exported, when there is none.
        let start = match &started {
            Some(at) => (json!({ "at": at }), key_of(&format!("start:{at}:{when}"))),
            None => (timed(json!({})), key_of(&format!("start:{when}"))),
        };
        steps.push(("start", start.0, start.1));
        // The key as it was before counts were kept (`progress:60:…`), so that importing an
        // old file again adds nothing.
        if let Ok(how_far) = HowFar::parse(&row.progress) {
            steps.push((
                "progress",
                timed(how_far.body()),
                key_of(&format!("progress:{how_far}:{when}")),
            ));
        }
    }
    if status == "abandoned" {
        steps.push((
            "abandon",
            timed(json!({})),
            key_of(&format!("abandon:{when}")),
        ));
    }
    Ok(Planned {
        label: row.title.trim().to_owned(),
        add_key: key_of("add"),
        add,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_days::noon;

    /// A spreadsheet of one's own: rows without an id are one item per kind, title and
    /// creators; its finishes go in oldest first, whatever the rows' order; a status after
    /// them is reached at the item's `updated_at`.
    #[test]
    fn a_spreadsheets_rows_group_into_items_whose_writes_follow_history() {
        let plan = plan_csv(
            "title,kind,creators,finished_at,rating,status,progress,updated_at,added_at,notes\n\
             Hades,game,Supergiant,2024-03-01,5,,,,2024-01-01,ignored\n\
             Dune,book,Frank Herbert,,,in_progress,30,2025-02-03T10:00:00Z,,\n\
             Hades,game,Supergiant,2023-03-01,4.5,,,,2024-01-01,\n\
             Hades,game,Someone else,,,,,,2023-06-01,\n",
        )
        .unwrap();
        // By when they were added; the undated one last.
        let titles: Vec<_> = plan
            .iter()
            .map(|p| (p.add["title"].as_str().unwrap(), p.add["creators"].clone()))
            .collect();
        assert_eq!(
            titles,
            [
                ("Hades", json!(["Someone else"])),
                ("Hades", json!(["Supergiant"])),
                ("Dune", json!(["Frank Herbert"])),
            ]
        );
        assert!(plan[0].steps.is_empty(), "queued: {:?}", plan[0].steps);
        let hades: Vec<_> = plan[1]
            .steps
            .iter()
            .map(|(c, b, _)| (*c, b["at"].clone(), b["rating"].clone()))
            .collect();
        assert_eq!(
            hades,
            [
                ("finish", noon("2023-03-01"), json!(4.5)),
                ("finish", noon("2024-03-01"), json!(5.0)),
            ]
        );
        let dune: Vec<_> = plan[2]
            .steps
            .iter()
            .map(|(c, b, _)| (*c, b.clone()))
            .collect();
        assert_eq!(
            dune,
            [
                ("start", json!({ "at": "2025-02-03T10:00:00Z" })),
                (
                    "progress",
                    json!({ "at": "2025-02-03T10:00:00Z", "percent": 30 })
                ),
            ]
        );
        assert!(plan[2].add.get("at").is_none() && plan[2].add.get("id").is_none());
        // Every key differs, and is the same on every run.
        let keys: std::collections::HashSet<_> = plan
            .iter()
            .flat_map(|p| std::iter::once(&p.add_key).chain(p.steps.iter().map(|s| &s.2)))
            .collect();
        assert_eq!(keys.len(), 3 + 2 + 2);
        assert_eq!(plan[2].add_key, key("csv:book:Dune:Frank Herbert:add"));
    }

    /// `started_at`: a finish's row begins its read then (a start before the finish); a row
    /// without a finish is in progress since then; a start after its finish is refused.
    #[test]
    fn a_rows_started_at_is_a_start_before_its_finish_or_the_read_in_progress() {
        let plan = plan_csv(
            "kind,title,started_at,finished_at,updated_at\n\
             book,Hyperion,2026-04-20,2026-05-02,\n\
             book,Hyperion,,2026-08-01,\n\
             book,Dune,2026-06-01,,2026-06-03T10:00:00Z\n",
        )
        .unwrap();
        let steps = |i: usize| -> Vec<_> {
            plan[i]
                .steps
                .iter()
                .map(|(c, b, _)| (*c, b["at"].clone()))
                .collect()
        };
        assert_eq!(
            steps(0),
            [
                ("start", noon("2026-04-20")),
                ("finish", noon("2026-05-02")),
                ("finish", noon("2026-08-01")),
            ]
        );
        // No status: in progress, since its start.
        assert_eq!(steps(1), [("start", noon("2026-06-01"))]);
        let refused =
            plan_csv("kind,title,started_at,finished_at\nbook,Dune,2026-05-03,2026-05-02\n")
                .unwrap_err()
                .to_string();
        assert!(
            refused.contains("row 2: started_at: 2026-05-03 is after finished_at 2026-05-02"),
            "{refused}"
        );
    }

    #[test]
    fn a_spreadsheets_capitals_in_kind_status_and_visibility_are_understood() {
        let plan =
            plan_csv("kind,title,status,visibility\n Movie ,Heat,Abandoned,Private\n").unwrap();
        assert_eq!(plan[0].add["kind"], "movie");
        assert_eq!(plan[0].add["visibility"], "private");
        let steps: Vec<_> = plan[0].steps.iter().map(|s| s.0).collect();
        assert_eq!(steps, ["start", "abandon"]);
    }

    #[test]
    fn a_spreadsheets_films_and_tv_shows_are_movies_and_tv() {
        let plan = plan_csv("kind,title\nFilm,Heat\nTV show,Severance\nshow,Andor\n").unwrap();
        let kinds: Vec<_> = plan.iter().map(|p| p.add["kind"].clone()).collect();
        assert_eq!(kinds, ["movie", "tv", "tv"]);
        // The same film under either name is one item.
        let plan =
            plan_csv("kind,title,finished_at\nfilm,Heat,2024-01-01\nmovie,Heat,2025-01-01\n")
                .unwrap();
        assert_eq!(plan.len(), 1);
    }

    #[test]
    fn a_finish_listened_to_says_so() {
        let plan = plan_csv(
            "kind,title,finished_at,listened\n\
             book,Dune,2024-01-01,Yes\n\
             book,Dune,2025-01-01,\n\
             podcast,Ep 1,,yes\n",
        )
        .unwrap();
        let finishes = |p: &Planned| -> Vec<Value> {
            p.steps
                .iter()
                .filter(|(c, ..)| *c == "finish")
                .map(|(_, b, _)| b["listened"].clone())
                .collect()
        };
        assert_eq!(finishes(&plan[0]), [json!(true), Value::Null]);
        // `listened` alone is no finish (that takes a day, a rating, a review or `status`
        // finished): this podcast is only added.
        assert_eq!(finishes(&plan[1]), Vec::<Value>::new());
        let plan = plan_csv("kind,title,status,listened\npodcast,Ep 1,finished,yes\n").unwrap();
        assert_eq!(finishes(&plan[0]), [json!(true)]);
    }

    #[test]
    fn a_row_the_writer_would_refuse_is_named_with_its_column() {
        for (row, error) in [
            ("album,Heat,,", "row 2: kind: unknown kind \"album\""),
            (",Heat,,", "row 2: kind: unknown kind \"\""),
            ("movie,,,", "row 2: title: "),
            (
                "movie,Heat,yesterday,",
                "row 2: finished_at: \"yesterday\" is neither",
            ),
            (
                "movie,Heat,,11",
                "row 2: rating: rating must be between 0.5 and 5.0",
            ),
            (
                "movie,Heat,,four",
                "row 2: rating: \"four\" is not a number",
            ),
            (
                "movie,Heat,1066-10-14,",
                "row 2: finished_at: 1066-10-14 is before 1900",
            ),
            (
                "movie,Heat,2999-01-01,",
                "row 2: finished_at: 2999-01-01 is in the future",
            ),
        ] {
            let text = format!("kind,title,finished_at,rating\n{row}\n");
            match plan_csv(&text) {
                Err(CliError::Usage(e)) => assert!(e.starts_with(error), "{row}: {e}"),
                other => panic!("{row}: {other:?}"),
            }
        }
        for (text, error) in [
            (
                "kind,title,status\nmovie,Heat,done\n",
                "row 2: status: \"done\"",
            ),
            (
                "kind,title,progress\nmovie,Heat,140\n",
                "row 2: progress: percent must be",
            ),
            (
                "kind,title,id\nmovie,Heat,Not A Slug\n",
                "row 2: id: id must be",
            ),
            ("kind,title,url\nmovie,Heat,ftp://x\n", "row 2: url: "),
            (
                "kind,title,visibility\nmovie,Heat,secret\n",
                "row 2: visibility: \"secret\"",
            ),
            (
                "kind,title,status,finished_at\nmovie,Heat,queued,2024-01-01\n",
                "Heat: status queued, but it has finishes",
            ),
            (
                "title,creators\nHeat,Michael Mann\n",
                "not a lately CSV export (missing columns: kind",
            ),
            (
                "kind,title,finished_at,listened\nmovie,Heat,2024-01-01,yes\n",
                "row 2: listened: films cannot be listened to",
            ),
            (
                "kind,title,finished_at,listened\nbook,Dune,2024-01-01,audio\n",
                "row 2: listened: \"audio\" is neither yes nor no",
            ),
        ] {
            match plan_csv(text) {
                Err(CliError::Usage(e)) => assert!(e.starts_with(error), "{text}: {e}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
