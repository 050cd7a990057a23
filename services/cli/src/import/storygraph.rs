//! The StoryGraph's "Export StoryGraph Library" CSV: each read in "Dates Read" a start and a
//! finish, quarter stars rounded to the writer's half stars, a book put down abandoned.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::{isbn, key, list, require_columns, review_text, Planned};
use crate::client::CliError;
use crate::open_library::isbn_cover;
use crate::when::{at_text, day, noon, time};

/// A row of The StoryGraph's export (the columns lately reads; moods, pace and the rest are
/// StoryGraph's own).
#[derive(Debug, Deserialize)]
struct StoryGraphRow {
    #[serde(rename = "Title")]
    title: String,
    /// `,`-separated.
    #[serde(rename = "Authors", default)]
    authors: String,
    /// An ISBN, or StoryGraph's own id for a book without one.
    #[serde(rename = "ISBN/UID", default)]
    isbn_uid: String,
    /// `read`, `currently-reading`, `paused`, `did-not-finish` or `to-read`.
    #[serde(rename = "Read Status", default)]
    read_status: String,
    #[serde(rename = "Date Added", default)]
    date_added: String,
    #[serde(rename = "Last Date Read", default)]
    last_date_read: String,
    /// Each read: `2025/03/01-2025/03/14`, or its end alone, `,`-separated.
    #[serde(rename = "Dates Read", default)]
    dates_read: String,
    /// In quarter stars: `3.75`.
    #[serde(rename = "Star Rating", default)]
    star_rating: String,
    #[serde(rename = "Review", default)]
    review: String,
    /// `,`-separated.
    #[serde(rename = "Tags", default)]
    tags: String,
    /// `paperback`, `hardcover`, `digital` or `audio`: an audiobook's reads were heard.
    #[serde(rename = "Format", default)]
    format: String,
}

/// One read of StoryGraph's "Dates Read": when it began and ended, if it says.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Read {
    started: Option<DateTime<Utc>>,
    finished: Option<DateTime<Utc>>,
}

/// StoryGraph's "Dates Read", oldest first: `2025/03/01-2025/03/14, 2026/09/01-2026/09/12`; a
/// read may have its end alone (`2021/01/05`), or its start alone (`2026/11/20-`: in progress).
fn storygraph_reads(raw: &str) -> Result<Vec<Read>, String> {
    let on = |d: &str| -> Result<Option<DateTime<Utc>>, String> {
        match d.trim() {
            "" => Ok(None),
            d => day(d)
                .map(|d| Some(noon(d)))
                .ok_or_else(|| format!("{d:?} is not a day (YYYY/MM/DD)")),
        }
    };
    let mut reads = raw
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            // Its days are written with slashes, so a dash can only be the range's.
            let read = match r.split_once('-').filter(|_| r.contains('/')) {
                Some((start, end)) => Read {
                    started: on(start)?,
                    finished: on(end)?,
                },
                None => Read {
                    started: None,
                    finished: on(r)?,
                },
            };
            Ok(read)
        })
        .collect::<Result<Vec<_>, String>>()?;
    reads.sort_by_key(|r| (r.finished.is_none(), r.finished.or(r.started)));
    Ok(reads)
}

/// StoryGraph's quarter stars as the writer's half stars: rounded up to the half (3.75 is 4,
/// 4.25 is 4.5); none for 0 or nothing.
fn half_stars(raw: &str) -> Option<f64> {
    let stars = raw.trim().parse::<f64>().ok().filter(|s| *s > 0.0)?;
    Some(((stars * 2.0).round() / 2.0).clamp(0.5, 5.0))
}

/// The StoryGraph's library: a book per row, each read in "Dates Read" a start (when it says
/// one) and a finish, the rating and review on the latest; a book read with no dates is
/// finished on "Last Date Read" (or when it was added). Currently reading (or paused): started,
/// where an open read began; did not finish: started, then abandoned.
pub fn plan_storygraph(csv_text: &str, covers: bool) -> Result<Vec<Planned>, CliError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    require_columns(
        &mut reader,
        "a StoryGraph",
        &["Title", "Authors", "ISBN/UID", "Read Status", "Dates Read"],
    )?;
    let mut out = Vec::new();
    for (i, row) in reader.deserialize::<StoryGraphRow>().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| {
            CliError::Usage(format!("row {line}: not a StoryGraph export row: {e}"))
        })?;
        let title = row.title.trim();
        let creators = list(&row.authors, ',');
        // Its ISBN or StoryGraph's id; without either, the book as it is named.
        let id = match row.isbn_uid.trim() {
            "" => format!("{title}|{}", creators.join("|")),
            uid => uid.to_owned(),
        };
        let step = |name: &str| key(&format!("storygraph:{id}:{name}"));
        let reads = storygraph_reads(&row.dates_read)
            .map_err(|e| CliError::Usage(format!("row {line}: Dates Read: {e}")))?;
        let added_at = time(&row.date_added);
        let mut add = json!({
            "kind": "book",
            "title": title,
            "creators": creators,
            "tags": list(&row.tags, ','),
        });
        if let Some(isbn) = isbn(&row.isbn_uid).filter(|_| covers) {
            add["cover_url"] = json!(isbn_cover(&isbn));
        }
        if let Some(at) = added_at {
            add["at"] = json!(at_text(at));
        }
        let status = row.read_status.trim();
        let at =
            |t: Option<DateTime<Utc>>| t.map_or_else(|| json!({}), |t| json!({ "at": at_text(t) }));
        let mut finished: Vec<Read> = reads
            .iter()
            .copied()
            .filter(|r| r.finished.is_some())
            .collect();
        if status == "read" && finished.is_empty() {
            finished.push(Read {
                started: None,
                finished: time(&row.last_date_read).or(added_at),
            });
        }
        let mut steps = Vec::new();
        let last = finished.len();
        for (n, read) in finished.into_iter().enumerate() {
            let end = read.finished;
            if let Some(start) = read.started.filter(|s| end.is_none_or(|e| *s <= e)) {
                steps.push(("start", at(Some(start)), step(&format!("read:{n}:start"))));
            }
            let mut finish = at(end);
            if row.format.trim().eq_ignore_ascii_case("audio") {
                finish["listened"] = json!(true);
            }
            // One rating and one review for the book: the latest read's.
            if n + 1 == last {
                if let Some(stars) = half_stars(&row.star_rating) {
                    finish["rating"] = json!(stars);
                }
                if let Some(review) = review_text(&row.review) {
                    finish["review"] = json!(review);
                }
            }
            steps.push(("finish", finish, step(&format!("read:{n}:finish"))));
        }
        // Where an open read began (else now, for a book being read; when it was added, for
        // one put down), and for one put down, its last day read if that is not before.
        let open = reads
            .iter()
            .find(|r| r.finished.is_none())
            .and_then(|r| r.started);
        match status {
            "currently-reading" | "paused" => steps.push(("start", at(open), step("start"))),
            "did-not-finish" => {
                let began = open.or(added_at);
                let put_down = time(&row.last_date_read)
                    .filter(|d| began.is_none_or(|b| *d >= b))
                    .or(began);
                steps.push(("start", at(began), step("start")));
                steps.push(("abandon", at(put_down), step("abandon")));
            }
            _ => {}
        }
        out.push(Planned {
            label: title.to_owned(),
            add_key: step("add"),
            add,
            steps,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::import::test_days::noon;

    const GOODREADS: &str = include_str!("../../tests/fixtures/goodreads_library_export.csv");
    const STORYGRAPH: &str = include_str!("../../tests/fixtures/storygraph_library_export.csv");

    /// Each read in "Dates Read" is a start and a finish, oldest first, the book's rating and
    /// review on the latest; a book read without dates is finished on its last day read; one
    /// being read is started where its open read began; one put down is started and
    /// abandoned; one to read only added.
    #[test]
    fn storygraph_reads_become_starts_and_finishes() {
        let plan = plan_storygraph(STORYGRAPH, false).unwrap();
        let steps = |p: &Planned| -> Vec<(&str, Value)> {
            p.steps.iter().map(|(c, b, _)| (*c, b.clone())).collect()
        };
        assert_eq!(plan.len(), 5);
        let red = &plan[0];
        assert_eq!(
            (
                &red.add["title"],
                &red.add["creators"],
                &red.add["tags"],
                &red.add["at"]
            ),
            (
                &json!("Red Rising"),
                &json!(["Pierce Brown"]),
                &json!(["sci-fi", "reread"]),
                &noon("2024-12-01")
            )
        );
        assert_eq!(
            steps(red),
            [
                ("start", json!({ "at": noon("2025-03-01") })),
                ("finish", json!({ "at": noon("2025-03-14") })),
                ("start", json!({ "at": noon("2026-09-01") })),
                (
                    "finish",
                    json!({
                        "at": noon("2026-09-12"),
                        "rating": 4.0,
                        "review": "Worse than I remembered.\nStill: \"Break the chains\"."
                    })
                ),
            ]
        );
        let keys: std::collections::HashSet<&String> =
            red.steps.iter().map(|(_, _, k)| k).collect();
        assert_eq!(keys.len(), 4, "a key per write");
        assert_eq!(red.add_key, key("storygraph:9780345539786:add"));
        let psalm = &plan[1];
        assert_eq!(
            psalm.add["creators"],
            json!(["Becky Chambers", "Someone Else"])
        );
        // An audiobook: its read was heard.
        assert_eq!(
            steps(psalm),
            [(
                "finish",
                json!({ "at": noon("2025-01-09"), "rating": 4.5, "listened": true })
            )]
        );
        assert_eq!(
            steps(&plan[2]),
            [("start", json!({ "at": noon("2026-11-20") }))]
        );
        // Its editor is a contributor, not an author.
        let silmarillion = &plan[3];
        assert_eq!(silmarillion.add["creators"], json!(["J.R.R. Tolkien"]));
        assert_eq!(
            steps(silmarillion),
            [
                ("start", json!({ "at": noon("2025-06-10") })),
                ("abandon", json!({ "at": noon("2025-07-15") })),
            ]
        );
        // No ISBN/UID: keyed by its title and authors, and only added.
        let unnamed = &plan[4];
        assert_eq!(unnamed.add_key, key("storygraph:Some Web Novel|Anon:add"));
        assert!(unnamed.steps.is_empty());
        // Covers by ISBN, with `--covers`.
        let covered = plan_storygraph(STORYGRAPH, true).unwrap();
        assert_eq!(
            covered[1].add["cover_url"],
            "https://covers.openlibrary.org/b/isbn/9781250236210-M.jpg?default=false"
        );
        assert!(covered[4].add.get("cover_url").is_none());
        assert!(plan.iter().all(|p| p.add.get("cover_url").is_none()));
    }

    #[test]
    fn storygraph_quarter_stars_round_up_to_the_half_and_bad_dates_name_their_row() {
        let halves: Vec<Option<f64>> = ["3.75", "4.25", "4.5", "0.25", "5.0", "0", "", "many"]
            .iter()
            .map(|s| half_stars(s))
            .collect();
        assert_eq!(
            halves,
            [
                Some(4.0),
                Some(4.5),
                Some(4.5),
                Some(0.5),
                Some(5.0),
                None,
                None,
                None
            ]
        );
        let header = STORYGRAPH.lines().next().unwrap();
        let bad = format!("{header}\nDune,Frank Herbert,,,paperback,read,2024/01/01,,2024/13/01-2024/13/09,1,,,,,,,,4,,,,,No\n");
        match plan_storygraph(&bad, false) {
            Err(CliError::Usage(e)) => assert!(
                e.starts_with("row 2: Dates Read: \"2024/13/01\" is not a day"),
                "{e}"
            ),
            other => panic!("{other:?}"),
        }
        match plan_storygraph(GOODREADS, false) {
            Err(CliError::Usage(e)) => assert!(e.starts_with("not a StoryGraph export (missing columns: Authors, ISBN/UID, Read Status, Dates Read"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
