//! Importing Goodreads and Letterboxd exports.
//!
//! Each row becomes a few writes (add, then start or finish), each with an `Idempotency-Key`
//! derived from the row — the Goodreads book id, the Letterboxd entry — so running an import
//! again (or after it was interrupted) adds nothing twice. A row the writer refuses is reported
//! and skipped; the import goes on.

use std::path::Path;

use chrono::NaiveDate;
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::client::{CliError, Client};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Source {
    /// Goodreads "Export Library" CSV (goodreads_library_export.csv).
    Goodreads,
    /// Letterboxd export: diary.csv (or watched.csv).
    Letterboxd,
}

/// One row's writes: the add, then the steps on the added item.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub label: String,
    pub add_key: String,
    pub add: Value,
    /// `(command, body, key)`, e.g. `("finish", {...}, "goodreads:123:finish")`.
    pub steps: Vec<(&'static str, Value, String)>,
}

#[derive(Debug, Deserialize)]
struct GoodreadsRow {
    #[serde(rename = "Book Id")]
    book_id: String,
    #[serde(rename = "Title")]
    title: String,
    #[serde(rename = "Author")]
    author: String,
    #[serde(rename = "Additional Authors", default)]
    additional_authors: String,
    #[serde(rename = "My Rating", default)]
    my_rating: String,
    #[serde(rename = "Date Read", default)]
    date_read: String,
    #[serde(rename = "Date Added", default)]
    date_added: String,
    #[serde(rename = "Bookshelves", default)]
    bookshelves: String,
    #[serde(rename = "Exclusive Shelf", default)]
    exclusive_shelf: String,
    #[serde(rename = "My Review", default)]
    my_review: String,
}

#[derive(Debug, Deserialize)]
struct LetterboxdRow {
    #[serde(rename = "Date")]
    date: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Year", default)]
    year: String,
    #[serde(rename = "Letterboxd URI", default)]
    uri: String,
    #[serde(rename = "Rating", default)]
    rating: String,
    #[serde(rename = "Rewatch", default)]
    rewatch: String,
    #[serde(rename = "Tags", default)]
    tags: String,
    #[serde(rename = "Watched Date", default)]
    watched_date: String,
}

/// An `Idempotency-Key` for a row-derived name (which may hold spaces or any script): a UUID
/// v5 of it, the same on every run.
fn key(name: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("lately-import:{name}").as_bytes(),
    )
    .to_string()
}

/// `2019/04/11` (Goodreads) or `2019-04-11` (Letterboxd) → noon UTC that day.
fn date(raw: &str) -> Option<String> {
    let raw = raw.trim();
    ["%Y/%m/%d", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(raw, f).ok())
        .map(|d| format!("{d}T12:00:00Z"))
}

fn list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Goodreads reviews are HTML-ish: line breaks as `<br/>`.
fn review_text(raw: &str) -> Option<String> {
    let text = raw
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("<br>", "\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Checks the header before any row, so that a file of another shape is named as such even
/// when it has no rows (`Title,Author` alone would otherwise import nothing, successfully).
fn require_columns(
    reader: &mut csv::Reader<&[u8]>,
    export: &str,
    required: &[&str],
) -> Result<(), CliError> {
    let headers = reader
        .headers()
        .map_err(|e| CliError::Usage(format!("not a {export} export: {e}")))?;
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !headers.iter().any(|h| h == *r))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let found = headers.iter().collect::<Vec<_>>().join(", ");
    Err(CliError::Usage(format!(
        "not a {export} export (missing columns: {}; its header: {})",
        missing.join(", "),
        if found.is_empty() { "none" } else { &found }
    )))
}

pub fn plan_goodreads(csv_text: &str) -> Result<Vec<Planned>, CliError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    require_columns(&mut reader, "Goodreads", &["Book Id", "Title", "Author"])?;
    let mut out = Vec::new();
    for (i, row) in reader.deserialize::<GoodreadsRow>().enumerate() {
        let row = row.map_err(|e| {
            CliError::Usage(format!("row {}: not a Goodreads export row: {e}", i + 2))
        })?;
        let id = row.book_id.trim();
        let mut creators = vec![row.author.trim().to_owned()];
        creators.extend(list(&row.additional_authors));
        creators.retain(|c| !c.is_empty());
        let shelves: Vec<String> = list(&row.bookshelves)
            .into_iter()
            .filter(|s| !matches!(s.as_str(), "read" | "to-read" | "currently-reading"))
            .collect();
        let added_at = date(&row.date_added);
        let mut add = json!({
            "kind": "book",
            "title": row.title.trim(),
            "creators": creators,
            "tags": shelves,
            "url": format!("https://www.goodreads.com/book/show/{id}"),
        });
        if let Some(at) = &added_at {
            add["at"] = json!(at);
        }
        let mut steps = Vec::new();
        match row.exclusive_shelf.trim() {
            "read" => {
                let mut finish = json!({});
                if let Some(at) = date(&row.date_read).or(added_at) {
                    finish["at"] = json!(at);
                }
                if let Ok(stars) = row.my_rating.trim().parse::<u8>() {
                    if stars > 0 {
                        finish["rating"] = json!(stars);
                    }
                }
                if let Some(review) = review_text(&row.my_review) {
                    finish["review"] = json!(review);
                }
                steps.push(("finish", finish, key(&format!("goodreads:{id}:finish"))));
            }
            "currently-reading" => {
                steps.push(("start", json!({}), key(&format!("goodreads:{id}:start"))))
            }
            _ => {}
        }
        out.push(Planned {
            label: row.title.trim().to_owned(),
            add_key: key(&format!("goodreads:{id}:add")),
            add,
            steps,
        });
    }
    Ok(out)
}

pub fn plan_letterboxd(csv_text: &str) -> Result<Vec<Planned>, CliError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    require_columns(&mut reader, "Letterboxd", &["Date", "Name"])?;
    let mut out = Vec::new();
    for (i, row) in reader.deserialize::<LetterboxdRow>().enumerate() {
        let row = row.map_err(|e| {
            CliError::Usage(format!("row {}: not a Letterboxd export row: {e}", i + 2))
        })?;
        let name = row.name.trim();
        let year = row.year.trim();
        // The film is the item (rewatches finish the same item again); the diary entry is the
        // finish.
        let film = format!("letterboxd:film:{name}:{year}");
        let watched = date(&row.watched_date).or_else(|| date(&row.date));
        let entry = if row.uri.trim().is_empty() {
            format!("{}:{name}", row.watched_date.trim())
        } else {
            row.uri.trim().to_owned()
        };
        let mut add = json!({
            "kind": "movie",
            "title": if year.is_empty() { name.to_owned() } else { format!("{name} ({year})") },
            "tags": list(&row.tags),
        });
        if row.uri.trim().starts_with("http") {
            add["url"] = json!(row.uri.trim());
        }
        let mut finish = json!({});
        if let Some(at) = &watched {
            finish["at"] = json!(at);
        }
        if let Ok(r) = row.rating.trim().parse::<f64>() {
            finish["rating"] = json!(r);
        }
        let label = if row.rewatch.trim().eq_ignore_ascii_case("yes") {
            format!("{name} (rewatch)")
        } else {
            name.to_owned()
        };
        out.push(Planned {
            label,
            add_key: key(&format!("{film}:add")),
            add,
            steps: vec![(
                "finish",
                finish,
                key(&format!("letterboxd:entry:{entry}:finish")),
            )],
        });
    }
    Ok(out)
}

/// Runs a plan with a progress bar; every row is tried, failures are listed at the end.
pub async fn apply(client: &Client, plan: Vec<Planned>) -> Result<(), CliError> {
    let bar = ProgressBar::new(plan.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}").expect("a valid template"),
    );
    let rows = plan.len();
    let (mut failed, mut recorded) = (Vec::new(), 0);
    for row in plan {
        bar.set_message(row.label.clone());
        // Whether any of the row's writes was new (not done by an earlier import).
        let outcome: Result<bool, CliError> = async {
            let (added, replayed) = client
                .write_noting_replays("POST", "/v1/items", &row.add, &row.add_key)
                .await?;
            let mut new = !replayed;
            let id = added["id"].as_str().unwrap_or_default().to_owned();
            for (command, body, key) in &row.steps {
                let path = format!("/v1/items/{id}/{command}");
                new |= !client
                    .write_noting_replays("POST", &path, body, key)
                    .await?
                    .1;
            }
            Ok(new)
        }
        .await;
        match outcome {
            Ok(new) => recorded += usize::from(new),
            Err(e @ CliError::Rejected { .. }) => failed.push(format!("{}: {e}", row.label)),
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    crate::say(format_args!(
        "{rows} rows: {recorded} recorded, {} already in the log, {} refused",
        rows - recorded - failed.len(),
        failed.len()
    ))?;
    if failed.is_empty() {
        Ok(())
    } else {
        for f in &failed {
            eprintln!("skipped {f}");
        }
        Err(CliError::Rejected {
            status: 422,
            detail: format!("{} rows were refused", failed.len()),
        })
    }
}

pub async fn run(client: &Client, source: Source, file: &Path) -> Result<(), CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
    let text = text.trim_start_matches('\u{feff}');
    let plan = match source {
        Source::Goodreads => plan_goodreads(text)?,
        Source::Letterboxd => plan_letterboxd(text)?,
    };
    apply(client, plan).await
}

/// A handful of realistic items for a fresh install; idempotent like an import.
pub async fn demo(client: &Client) -> Result<(), CliError> {
    let days_ago = |d: i64| (chrono::Utc::now() - chrono::Duration::days(d)).to_rfc3339();
    let rows = [
        (
            "book",
            "The Left Hand of Darkness",
            vec!["Ursula K. Le Guin"],
            Some(5.0),
            Some("Cold, strange and humane."),
            2,
        ),
        (
            "movie",
            "Past Lives",
            vec!["Celine Song"],
            Some(4.5),
            None,
            5,
        ),
        (
            "game",
            "Outer Wilds",
            vec!["Mobius Digital"],
            Some(5.0),
            Some("Go in knowing nothing."),
            9,
        ),
        (
            "podcast",
            "Hardcore History: Mania for Subjugation",
            vec!["Dan Carlin"],
            None,
            None,
            12,
        ),
        (
            "article",
            "Choose Boring Technology",
            vec!["Dan McKinley"],
            Some(4.0),
            None,
            20,
        ),
        (
            "tv",
            "Severance, season 1",
            vec!["Dan Erickson"],
            Some(4.5),
            None,
            30,
        ),
    ];
    let plan = rows
        .into_iter()
        .map(|(kind, title, by, rating, review, ago)| {
            let name = format!("demo:{title}");
            let mut finish = json!({ "at": days_ago(ago) });
            if let Some(r) = rating {
                finish["rating"] = json!(r);
            }
            if let Some(r) = review {
                finish["review"] = json!(r);
            }
            Planned {
                label: title.to_owned(),
                add_key: key(&format!("{name}:add")),
                add: json!({ "kind": kind, "title": title, "creators": by, "at": days_ago(ago + 7) }),
                steps: vec![("finish", finish, key(&format!("{name}:finish")))],
            }
        })
        .collect();
    apply(client, plan).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOODREADS: &str = include_str!("../tests/fixtures/goodreads_library_export.csv");
    const LETTERBOXD: &str = include_str!("../tests/fixtures/letterboxd_diary.csv");

    #[test]
    fn goodreads_rows_become_adds_and_finishes() {
        let plan = plan_goodreads(GOODREADS).unwrap();
        assert_eq!(plan.len(), 4);
        let lhod = &plan[0];
        assert_eq!(
            lhod.add["title"],
            "The Left Hand of Darkness (Hainish Cycle, #4)"
        );
        assert_eq!(lhod.add["creators"], json!(["Ursula K. Le Guin"]));
        assert_eq!(lhod.add["tags"], json!(["sci-fi", "favorites"]));
        let (cmd, finish, key) = &lhod.steps[0];
        assert_eq!(
            (*cmd, key.as_str()),
            ("finish", super::key("goodreads:18423:finish").as_str())
        );
        assert_eq!(finish["rating"], 5);
        assert_eq!(finish["at"], "2019-04-11T12:00:00Z");
        assert_eq!(
            finish["review"],
            "Cold, strange, \"humane\".\nRead it twice."
        );
        // Unrated, with two authors and a quoted comma in the title.
        let unrated = &plan[1];
        assert_eq!(
            unrated.add["title"],
            "Good Omens: The Nice and Accurate Prophecies of Agnes Nutter, Witch"
        );
        assert_eq!(
            unrated.add["creators"],
            json!(["Terry Pratchett", "Neil Gaiman"])
        );
        assert!(unrated.steps[0].1.get("rating").is_none());
        assert_eq!(plan[2].add["title"], "三体");
        assert_eq!(plan[2].steps[0].0, "start");
        assert!(plan[3].steps.is_empty(), "to-read adds only");
    }

    #[test]
    fn letterboxd_diary_rows_are_finishes_and_rewatches_finish_again() {
        let plan = plan_letterboxd(LETTERBOXD).unwrap();
        assert_eq!(plan.len(), 3);
        assert_eq!(plan[0].add["title"], "Past Lives (2023)");
        assert_eq!(plan[0].steps[0].1["rating"], 4.5);
        assert_eq!(plan[0].steps[0].1["at"], "2024-01-05T12:00:00Z");
        assert!(plan[1].steps[0].1.get("rating").is_none());
        assert_eq!(plan[1].add["title"], "Amélie (2001)");
        // The rewatch is the same film (same add key) and a different finish.
        assert_eq!(plan[2].add_key, plan[0].add_key);
        assert_ne!(plan[2].steps[0].2, plan[0].steps[0].2);
        assert_eq!(plan[2].add["tags"], json!(["cinema", "with friends"]));
    }

    #[test]
    fn a_file_of_another_shape_is_a_usage_error() {
        let err = plan_goodreads("Name,Year\nx,1999\n").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            err.to_string(),
            "not a Goodreads export (missing columns: Book Id, Title, Author; its header: Name, Year)"
        );
        // Even with no rows to fail on.
        let err = plan_letterboxd("Title,Author\n").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains("missing columns: Date, Name;"),
            "{err}"
        );
        assert!(plan_letterboxd("")
            .unwrap_err()
            .to_string()
            .contains("its header: none)"));
        // A real export's header with no rows is an empty import, not an error.
        assert_eq!(
            plan_letterboxd("Date,Name,Year,Letterboxd URI\n").unwrap(),
            []
        );
    }
}
