//! Importing Goodreads, The StoryGraph, Letterboxd, IMDb, Instapaper and Overcast exports, and
//! CSV in `lately export`'s columns.
//!
//! Each row (each item, for lately's own CSV) becomes a few writes (add, then start, finish,
//! …), each with an `Idempotency-Key` derived from the row — the Goodreads book id, the
//! StoryGraph book's ISBN/UID, the Letterboxd entry, the IMDb title, the article's URL, the
//! Overcast episode's id, the item's id and the finish's time — so running an import again (or
//! after it was interrupted) adds nothing twice. A row the writer refuses is reported and
//! skipped; the import goes on. No finish an import writes is tweeted.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Datelike, Local, NaiveDate, SecondsFormat, TimeZone, Utc};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::client::{CliError, Client};
use crate::how_far::HowFar;
use crate::open_library::isbn_cover;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Source {
    /// Goodreads "Export Library" CSV (goodreads_library_export.csv).
    Goodreads,
    /// The StoryGraph's "Export StoryGraph Library" CSV: each read in "Dates Read" is a start
    /// and a finish, the book's rating (quarter stars rounded up to the half) and review on the
    /// latest; currently reading or paused: started; did not finish: started and abandoned.
    Storygraph,
    /// Letterboxd export: diary.csv (or watched.csv), with each entry's review from the
    /// export's reviews.csv beside it.
    Letterboxd,
    /// Letterboxd export's watchlist.csv: films to watch, added to your queue. (Its columns
    /// are watched.csv's: imported as `letterboxd`, every film would be marked watched.)
    LetterboxdWatchlist,
    /// IMDb export: your ratings (ratings.csv: each title rated is finished, rated in half
    /// the stars) or a watchlist (titles not rated yet are added, to watch).
    Imdb,
    /// Instapaper's export (Settings → Export → CSV): articles, those in the Archive folder
    /// finished, on the day they were saved (the export has no other); the others to read,
    /// tagged with their folder (`starred`, or one of your own) and the export's tags.
    Instapaper,
    /// Overcast's OPML export with its episodes (overcast.fm → Account → "All data" / "Export
    /// OPML (extended)"): each episode played is a podcast finished, on the day Overcast last
    /// touched it (the export has no other: the moment it was finished); those begun and not
    /// finished are left out (Overcast keeps every one ever begun).
    Overcast,
    /// CSV in `lately export`'s columns: another lately's export, or a spreadsheet of your
    /// own (only `kind` and `title` are required).
    Csv,
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
    /// Written as Excel formulas, `="9780441478125"`.
    #[serde(rename = "ISBN13", default)]
    isbn13: String,
    #[serde(rename = "ISBN", default)]
    isbn: String,
}

/// An ISBN as Goodreads writes one (`="9780441478125"`, or `=""` for none), or The StoryGraph
/// (its "ISBN/UID": an ISBN, or its own id for a book without one, whose digits are no ISBN
/// though 10 or 13 of them may be among its letters): its digits (and a final `X`), if they
/// are one, check digit and all.
fn isbn(raw: &str) -> Option<String> {
    let bare = raw.trim().trim_start_matches('=').trim_matches('"');
    crate::isbn::in_title(bare).ok().flatten()
}

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

/// A row of IMDb's ratings export, or of a watchlist's (which has the same columns and more).
#[derive(Debug, Deserialize)]
struct ImdbRow {
    #[serde(rename = "Const")]
    id: String,
    #[serde(rename = "Title")]
    title: String,
    #[serde(rename = "Title Type")]
    title_type: String,
    #[serde(rename = "Your Rating", default)]
    rating: String,
    #[serde(rename = "Date Rated", default)]
    date_rated: String,
    #[serde(rename = "URL", default)]
    url: String,
    #[serde(rename = "Year", default)]
    year: String,
    #[serde(rename = "Directors", default)]
    directors: String,
    /// When it was put on the watchlist (a watchlist's column).
    #[serde(rename = "Created", default)]
    created: String,
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

/// A list in one cell: `,`-separated in Goodreads' and Letterboxd's exports, `;` in lately's.
fn list(raw: &str, separator: char) -> Vec<String> {
    raw.split(separator)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A film's (or show's) title as it is told apart from others of the name: "Heat (1995)".
fn with_year(title: &str, year: &str) -> String {
    match year {
        "" => title.to_owned(),
        year => format!("{title} ({year})"),
    }
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
        .map_err(|e| CliError::Usage(format!("not {export} export: {e}")))?;
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
        "not {export} export (missing columns: {}; its header: {})",
        missing.join(", "),
        if found.is_empty() { "none" } else { &found }
    )))
}

/// Goodreads' library: a book per row, finished (`read`), started (`currently-reading`) or
/// only added; with `covers`, each book's cover from Open Library by its ISBN.
pub fn plan_goodreads(csv_text: &str, covers: bool) -> Result<Vec<Planned>, CliError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    require_columns(&mut reader, "a Goodreads", &["Book Id", "Title", "Author"])?;
    let mut out = Vec::new();
    for (i, row) in reader.deserialize::<GoodreadsRow>().enumerate() {
        let row = row.map_err(|e| {
            CliError::Usage(format!("row {}: not a Goodreads export row: {e}", i + 2))
        })?;
        let id = row.book_id.trim();
        let mut creators = vec![row.author.trim().to_owned()];
        creators.extend(list(&row.additional_authors, ','));
        creators.retain(|c| !c.is_empty());
        let shelves: Vec<String> = list(&row.bookshelves, ',')
            .into_iter()
            .filter(|s| !matches!(s.as_str(), "read" | "to-read" | "currently-reading"))
            .collect();
        let added_at = instant(&row.date_added);
        let mut add = json!({
            "kind": "book",
            "title": row.title.trim(),
            "creators": creators,
            "tags": shelves,
            "url": format!("https://www.goodreads.com/book/show/{id}"),
        });
        if let Some(isbn) = isbn(&row.isbn13)
            .or_else(|| isbn(&row.isbn))
            .filter(|_| covers)
        {
            add["cover_url"] = json!(isbn_cover(&isbn));
        }
        if let Some(at) = &added_at {
            add["at"] = json!(at);
        }
        let mut steps = Vec::new();
        match row.exclusive_shelf.trim() {
            "read" => {
                let mut finish = json!({});
                if let Some(at) = instant(&row.date_read).or(added_at) {
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

/// A row of Letterboxd's reviews.csv: the review of one viewing in the diary.
#[derive(Debug, Deserialize)]
struct LetterboxdReviewRow {
    #[serde(rename = "Date", default)]
    date: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Year", default)]
    year: String,
    #[serde(rename = "Review", default)]
    review: String,
    #[serde(rename = "Watched Date", default)]
    watched_date: String,
}

/// Letterboxd's reviews, by the viewing each is of: the film's name and year, and the day it
/// was watched (else logged). The entries' links are not used to join them: the export's two
/// files need not link an entry alike, and a viewing is told apart by its day as well.
pub type LetterboxdReviews = HashMap<(String, String, String), String>;

/// A viewing's key in [`LetterboxdReviews`].
fn viewing(name: &str, year: &str, watched: &str, logged: &str) -> (String, String, String) {
    let day = match watched.trim() {
        "" => logged.trim(),
        day => day,
    };
    (
        name.trim().to_owned(),
        year.trim().to_owned(),
        day.to_owned(),
    )
}

/// A Letterboxd review as plain text: its line breaks and paragraphs as such, its few HTML
/// tags (italics, bold, quotes, links) dropped, its entities read.
fn letterboxd_review(raw: &str) -> Option<String> {
    const TAGS: [&str; 8] = ["i", "b", "em", "strong", "blockquote", "a", "p", "br"];
    let mut text = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let tag = rest[open..]
            .find('>')
            .map(|close| &rest[open + 1..open + close]);
        let name = tag.map(|t| {
            t.trim_start_matches('/')
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase()
        });
        match (tag, name) {
            (Some(tag), Some(name)) if TAGS.contains(&name.as_str()) => {
                if name == "br"
                    || (tag.starts_with('/') && matches!(name.as_str(), "p" | "blockquote"))
                {
                    text.push('\n');
                }
                rest = &rest[open + tag.len() + 2..];
            }
            // Not a tag of a review's (`<3`): kept as written.
            _ => {
                text.push('<');
                rest = &rest[open + 1..];
            }
        }
    }
    text.push_str(rest);
    let text = text
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Reads Letterboxd's reviews.csv.
pub fn letterboxd_reviews(csv_text: &str) -> Result<LetterboxdReviews, CliError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    require_columns(
        &mut reader,
        "a Letterboxd reviews",
        &["Name", "Year", "Review"],
    )?;
    let mut reviews = LetterboxdReviews::new();
    for (i, row) in reader.deserialize::<LetterboxdReviewRow>().enumerate() {
        let row = row.map_err(|e| {
            CliError::Usage(format!(
                "reviews.csv row {}: not a Letterboxd review: {e}",
                i + 2
            ))
        })?;
        if let Some(review) = letterboxd_review(&row.review) {
            let at = viewing(&row.name, &row.year, &row.watched_date, &row.date);
            reviews.insert(at, review);
        }
    }
    Ok(reviews)
}

/// Letterboxd's diary: each entry a finish of its film (a rewatch the same film again), with
/// its review from `reviews`.
pub fn plan_letterboxd(
    csv_text: &str,
    reviews: &LetterboxdReviews,
) -> Result<Vec<Planned>, CliError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    require_columns(&mut reader, "a Letterboxd", &["Date", "Name"])?;
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
        let watched = instant(&row.watched_date).or_else(|| instant(&row.date));
        let entry = if row.uri.trim().is_empty() {
            format!("{}:{name}", row.watched_date.trim())
        } else {
            row.uri.trim().to_owned()
        };
        let mut add = json!({
            "kind": "movie",
            "title": with_year(name, year),
            "tags": list(&row.tags, ','),
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
        if let Some(review) = reviews.get(&viewing(name, year, &row.watched_date, &row.date)) {
            finish["review"] = json!(review);
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

/// A row of Instapaper's CSV export.
#[derive(Debug, Deserialize)]
struct InstapaperRow {
    #[serde(rename = "URL")]
    url: String,
    #[serde(rename = "Title", default)]
    title: String,
    /// `Unread`, `Archive`, `Starred`, or a folder of the owner's.
    #[serde(rename = "Folder", default)]
    folder: String,
    /// When it was saved, in seconds since 1970.
    #[serde(rename = "Timestamp", default)]
    timestamp: String,
    /// In newer exports: a JSON list, `["coding"]`.
    #[serde(rename = "Tags", default)]
    tags: String,
}

/// Instapaper's articles: each saved one added (with its link; its URL is its title when it
/// has none), those archived finished when they were saved, the others queued; a folder
/// other than the unread and the archive (`Starred`, or the owner's own) is a tag.
pub fn plan_instapaper(csv_text: &str) -> Result<Vec<Planned>, CliError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    require_columns(
        &mut reader,
        "an Instapaper",
        &["URL", "Title", "Folder", "Timestamp"],
    )?;
    let mut out = Vec::new();
    for (i, row) in reader.deserialize::<InstapaperRow>().enumerate() {
        let row = row.map_err(|e| {
            CliError::Usage(format!("row {}: not an Instapaper export row: {e}", i + 2))
        })?;
        let url = row.url.trim();
        let title = match row.title.trim() {
            "" => url,
            title => title,
        };
        let mut tags: Vec<String> = match serde_json::from_str::<Vec<String>>(row.tags.trim()) {
            Ok(tags) => tags,
            Err(_) => list(&row.tags, ','),
        };
        let folder = row.folder.trim();
        if !matches!(folder, "" | "Unread" | "Archive") {
            tags.insert(0, folder.to_lowercase());
        }
        tags.retain(|t| !t.trim().is_empty());
        let saved = row
            .timestamp
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0));
        let mut add = json!({ "kind": "article", "title": title, "url": url, "tags": tags });
        if let Some(t) = saved {
            add["at"] = json!(at_text(t));
        }
        let mut steps = Vec::new();
        if folder == "Archive" {
            let mut finish = json!({});
            if let Some(t) = saved {
                finish["at"] = json!(at_text(t));
            }
            steps.push(("finish", finish, key(&format!("instapaper:{url}:finish"))));
        }
        out.push(Planned {
            label: title.to_owned(),
            add_key: key(&format!("instapaper:{url}:add")),
            add,
            steps,
        });
    }
    Ok(out)
}

/// Overcast's OPML export: each episode played (`played="1"`) a podcast, "Show: Episode"
/// (its title alone when it names its show already), at its own link or else Overcast's,
/// added and finished when Overcast last touched it (`userUpdatedDate`: the moment it was
/// played to its end; its `pubDate` if that is missing); each with its show's feed (`xmlUrl`),
/// where `--covers` reads the show's artwork ([`with_artwork`]). One begun and not finished,
/// or only in the feed, is not a finish: left out.
pub fn plan_overcast(opml: &str) -> Result<Vec<(Planned, Option<String>)>, CliError> {
    let doc = roxmltree::Document::parse(opml)
        .map_err(|e| CliError::Usage(format!("not an Overcast export (not OPML: {e})")))?;
    if !doc.root_element().has_tag_name("opml") {
        return Err(CliError::Usage(
            "not an Overcast export (no <opml> at its root)".into(),
        ));
    }
    fn outlines<'a, 'i>(
        node: roxmltree::Node<'a, 'i>,
        kind: &'static str,
    ) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
        node.descendants()
            .filter(move |n| n.has_tag_name("outline") && n.attribute("type") == Some(kind))
    }
    let attr = |n: roxmltree::Node<'_, '_>, name: &str| {
        n.attribute(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut shows = 0;
    let mut out = Vec::new();
    for show in outlines(doc.root_element(), "rss") {
        shows += 1;
        let name = attr(show, "title").or_else(|| attr(show, "text"));
        let feed = attr(show, "xmlUrl");
        for episode in outlines(show, "podcast-episode") {
            if episode.attribute("played") != Some("1") {
                continue;
            }
            let Some(title) = attr(episode, "title") else {
                continue;
            };
            let title = match &name {
                Some(show) if !title.to_lowercase().contains(&show.to_lowercase()) => {
                    format!("{show}: {title}")
                }
                _ => title,
            };
            let title = crate::web_page::clip(&title, lately_domain::Title::MAX_CHARS);
            let played = attr(episode, "userUpdatedDate")
                .or_else(|| attr(episode, "pubDate"))
                .and_then(|t| instant(&t));
            let id = attr(episode, "overcastId")
                .or_else(|| attr(episode, "enclosureUrl"))
                .unwrap_or_else(|| title.clone());
            let mut add = json!({ "kind": "podcast", "title": title });
            if let Some(url) = attr(episode, "url").or_else(|| attr(episode, "overcastUrl")) {
                add["url"] = json!(url);
            }
            let mut finish = json!({});
            if let Some(at) = played {
                add["at"] = json!(at);
                finish["at"] = json!(at);
            }
            let planned = Planned {
                label: title,
                add_key: key(&format!("overcast:{id}:add")),
                add,
                steps: vec![("finish", finish, key(&format!("overcast:{id}:finish")))],
            };
            out.push((planned, feed.clone()));
        }
    }
    if shows == 0 {
        return Err(CliError::Usage(
            "not an Overcast export (no podcast in it: its OPML with the episodes, \"All \
             data\", is the one)"
                .into(),
        ));
    }
    Ok(out)
}

/// The feeds of the shows the planned episodes are of, each once, in the file's order.
fn show_feeds(episodes: &[(Planned, Option<String>)]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    episodes
        .iter()
        .filter_map(|(_, feed)| feed.clone())
        .filter(|feed| seen.insert(feed.clone()))
        .collect()
}

/// The planned episodes, each with its show's artwork when `artwork` has it (by the feed).
fn with_artwork(
    episodes: Vec<(Planned, Option<String>)>,
    artwork: &HashMap<String, String>,
) -> Vec<Planned> {
    episodes
        .into_iter()
        .map(|(mut planned, feed)| {
            if let Some(art) = feed.and_then(|f| artwork.get(&f)) {
                planned.add["cover_url"] = json!(art);
            }
            planned
        })
        .collect()
}

/// The books planned without a cover (no ISBN in the export: an ebook, often) get one found
/// on Open Library by their title and first author, two looked up at a time; a look-up that
/// failed is said on stderr, and its book goes without.
async fn covers_by_title(plan: &mut [Planned]) {
    use futures::StreamExt;

    let (http, base) = (crate::open_library::client(), crate::open_library::base());
    let wanted: Vec<usize> = (0..plan.len())
        .filter(|&i| plan[i].add.get("cover_url").is_none())
        .collect();
    if wanted.is_empty() {
        return;
    }
    let asked = wanted.iter().map(|&i| {
        let (http, base, add) = (&http, &base, &plan[i].add);
        async move { (i, crate::open_library::find_for(http, base, add).await) }
    });
    let found: Vec<(usize, Result<Option<String>, String>)> = futures::stream::iter(asked)
        .buffer_unordered(2)
        .collect()
        .await;
    let (mut covered, mut failed) = (0, Vec::new());
    for (i, cover) in found {
        match cover {
            Ok(Some(cover)) => {
                plan[i].add["cover_url"] = json!(cover);
                covered += 1;
            }
            Ok(None) => {}
            Err(why) => failed.push(format!("“{}”: {why}", plan[i].label)),
        }
    }
    let books = wanted.len();
    eprintln!(
        "covers for {covered} of {books} {} without an ISBN, found on Open Library by title \
         and author",
        if books == 1 { "book" } else { "books" }
    );
    if let Some(first) = failed.first() {
        eprintln!(
            "{} could not be looked up ({first})",
            match failed.len() {
                1 => "1 book's cover".to_owned(),
                n => format!("{n} books' covers"),
            }
        );
    }
}

/// Each show's artwork, by its feed, read four feeds at a time; a feed that gives none is
/// said on stderr, and its episodes go without.
async fn overcast_artwork(feeds: Vec<String>) -> HashMap<String, String> {
    use futures::StreamExt;

    let http = reqwest::Client::builder()
        .user_agent(concat!("lately/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("a TLS backend is compiled in");
    let shows = feeds.len();
    let found: Vec<(String, Result<String, String>)> = futures::stream::iter(feeds)
        .map(|feed| {
            let http = &http;
            async move {
                let art = crate::show_artwork::fetch(http, &feed).await;
                (feed, art)
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut artwork = HashMap::new();
    for (feed, art) in found {
        match art {
            Ok(art) => {
                artwork.insert(feed, art);
            }
            Err(why) => eprintln!("no artwork for the show at {feed}: {why}"),
        }
    }
    eprintln!("artwork for {} of {shows} shows", artwork.len());
    artwork
}

/// What kind of item an IMDb title type is: its exports spell them "TV Mini Series" (or, in
/// older ones, "tvMiniSeries"). Films, shorts, videos and specials are films.
fn imdb_kind(title_type: &str) -> &'static str {
    let t: String = title_type
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    match t.as_str() {
        "tvseries" | "tvminiseries" | "tvepisode" => "tv",
        "videogame" => "game",
        "podcastseries" | "podcastepisode" => "podcast",
        _ => "movie",
    }
}

/// IMDb's ratings (or a watchlist): the title is the item, its rating (1–10) the finish's, in
/// half stars (7 is 3.5★), on the day it was rated; a title not rated is added, to watch, on
/// the day it was put on the watchlist. One title is one item in both files (the add's key is
/// the title's), so that a watchlist imported first and the ratings later finish the items it
/// added.
pub fn plan_imdb(csv_text: &str) -> Result<Vec<Planned>, CliError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    require_columns(&mut reader, "an IMDb", &["Const", "Title", "Title Type"])?;
    let mut out = Vec::new();
    for (i, row) in reader.deserialize::<ImdbRow>().enumerate() {
        let row = row
            .map_err(|e| CliError::Usage(format!("row {}: not an IMDb export row: {e}", i + 2)))?;
        let (id, title, year) = (row.id.trim(), row.title.trim(), row.year.trim());
        let mut add = json!({
            "kind": imdb_kind(&row.title_type),
            "title": with_year(title, year),
            "creators": list(&row.directors, ','),
        });
        if row.url.trim().starts_with("http") {
            add["url"] = json!(row.url.trim());
        }
        if let Some(at) = instant(&row.created) {
            add["at"] = json!(at);
        }
        let (raw, at) = (row.rating.trim(), instant(&row.date_rated));
        let rating = match raw.parse::<u8>() {
            _ if raw.is_empty() => None,
            Ok(n @ 1..=10) => Some(f64::from(n) / 2.0),
            _ => {
                return Err(CliError::Usage(format!(
                    "row {}: Your Rating must be 1 to 10 (got {raw:?})",
                    i + 2
                )))
            }
        };
        let mut steps = vec![];
        if rating.is_some() || at.is_some() {
            let mut finish = json!({});
            if let Some(at) = at {
                finish["at"] = json!(at);
            }
            if let Some(r) = rating {
                finish["rating"] = json!(r);
            }
            steps.push(("finish", finish, key(&format!("imdb:{id}:finish"))));
        }
        out.push(Planned {
            label: title.to_owned(),
            add_key: key(&format!("imdb:{id}:add")),
            add,
            steps,
        });
    }
    Ok(out)
}

/// Letterboxd's watchlist.csv: each film added, to watch, on the day it was put on the list;
/// the same item (the same add key) as the film's diary entries, which finish it.
pub fn plan_letterboxd_watchlist(csv_text: &str) -> Result<Vec<Planned>, CliError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    require_columns(&mut reader, "a Letterboxd watchlist", &["Date", "Name"])?;
    let mut out = Vec::new();
    for (i, row) in reader.deserialize::<LetterboxdRow>().enumerate() {
        let row = row.map_err(|e| {
            CliError::Usage(format!(
                "row {}: not a Letterboxd watchlist row: {e}",
                i + 2
            ))
        })?;
        let (name, year) = (row.name.trim(), row.year.trim());
        let mut add = json!({
            "kind": "movie",
            "title": with_year(name, year),
        });
        if row.uri.trim().starts_with("http") {
            add["url"] = json!(row.uri.trim());
        }
        if let Some(at) = instant(&row.date) {
            add["at"] = json!(at);
        }
        out.push(Planned {
            label: name.to_owned(),
            add_key: key(&format!("letterboxd:film:{name}:{year}:add")),
            add,
            steps: vec![],
        });
    }
    Ok(out)
}

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
}

/// One finish of an item, from one row.
#[derive(Debug)]
struct CsvFinish {
    at: Option<DateTime<Utc>>,
    /// When the read it ended began: a start is written before it.
    started: Option<DateTime<Utc>>,
    rating: Option<f64>,
    review: Option<String>,
}

/// An item of the CSV: its first row's fields, and the finishes of all its rows.
#[derive(Debug)]
struct CsvItem {
    /// The item's id, or (for a row without one) its kind, title and creators.
    name: String,
    row: LatelyRow,
    finishes: Vec<CsvFinish>,
}

/// An RFC 3339 time, or a day (`YYYY-MM-DD`; Goodreads writes `YYYY/MM/DD`), taken as noon in
/// this machine's time zone (`TZ`): the day you typed, or a service exported, is your day, and
/// the CLI shows it as that day; noon keeps it that day too for a reader of the feed up to 11
/// hours away.
pub fn time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.to_utc());
    }
    day(raw).map(noon)
}

/// A day as a file or a flag writes it: YYYY-MM-DD (or with slashes).
pub fn day(raw: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(raw.trim(), f).ok())
}

/// A day as a time: its noon, in this machine's zone.
pub fn noon(d: NaiveDate) -> DateTime<Utc> {
    let noon = d.and_hms_opt(12, 0, 0).expect("noon exists");
    // Noon is next to never ambiguous or skipped; a day a zone skipped whole (Samoa's
    // 2011-12-30) has none, and then noon UTC stands in.
    Local
        .from_local_datetime(&noon)
        .earliest()
        .map_or_else(|| noon.and_utc(), |t| t.to_utc())
}

/// A time as the writer's `at`: RFC 3339 in UTC, to the precision it was given.
pub fn at_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// [`time`] as the writer's `at`.
pub fn instant(raw: &str) -> Option<String> {
    time(raw).map(at_text)
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
    MediaKind::parse(row.kind.trim()).map_err(column("kind"))?;
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
        // A spreadsheet's `Book` or `Private` means what export's `book` and `private` do.
        for column in [&mut row.kind, &mut row.visibility, &mut row.status] {
            *column = column.trim().to_lowercase();
        }
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
        steps.push((
            "finish",
            timed(json!({})),
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

/// How many items an import writes at once. An item's writes go one after the other, in the
/// file's order (a film's rewatches, a spreadsheet's re-reads); the items go side by side, so
/// that an import into a writer across the internet waits for a round trip per write of each
/// item rather than per write of the whole file.
const ITEMS_AT_ONCE: usize = 8;

/// Whether any of a row's writes was new (not done by an earlier import).
async fn write_row(client: &Client, row: &Planned) -> Result<bool, CliError> {
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

/// Runs a plan with a progress bar; every row is tried, failures are listed at the end, in
/// the file's order. A failure that is not a refusal (the writer unreachable) stops it.
pub async fn apply(client: &Client, plan: Vec<Planned>, what: &str) -> Result<(), CliError> {
    use futures::StreamExt;

    let bar = ProgressBar::new(plan.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}").expect("a valid template"),
    );
    let rows = plan.len();
    // The rows of each item (one add key), in the file's order.
    let mut items: Vec<Vec<(usize, Planned)>> = Vec::new();
    let mut item_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (n, row) in plan.into_iter().enumerate() {
        match item_of.get(&row.add_key) {
            Some(&i) => items[i].push((n, row)),
            None => {
                item_of.insert(row.add_key.clone(), items.len());
                items.push(vec![(n, row)]);
            }
        }
    }
    let bar = &bar;
    let mut written = futures::stream::iter(items)
        .map(|rows| async move {
            let mut outcomes = Vec::new();
            for (n, row) in rows {
                bar.set_message(row.label.clone());
                let outcome = write_row(client, &row).await;
                bar.inc(1);
                let stop = matches!(&outcome, Err(e) if !matches!(e, CliError::Rejected { .. }));
                outcomes.push((n, row.label, outcome));
                if stop {
                    break;
                }
            }
            outcomes
        })
        .buffer_unordered(ITEMS_AT_ONCE);
    let (mut failed, mut recorded) = (Vec::new(), 0);
    while let Some(outcomes) = written.next().await {
        for (n, label, outcome) in outcomes {
            match outcome {
                Ok(new) => recorded += usize::from(new),
                Err(e @ CliError::Rejected { .. }) => failed.push((n, format!("{label}: {e}"))),
                Err(e) => {
                    bar.abandon();
                    return Err(e);
                }
            }
        }
    }
    failed.sort();
    let failed: Vec<String> = failed.into_iter().map(|(_, f)| f).collect();
    bar.finish_and_clear();
    // "1 item", "2 items".
    let what = match rows {
        1 => what.trim_end_matches('s'),
        _ => what,
    };
    crate::say(format_args!(
        "{rows} {what}: {recorded} recorded, {} already in the log, {} refused",
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
            detail: match failed.len() {
                1 => "1 was refused".to_owned(),
                n => format!("{n} were refused"),
            },
        })
    }
}

pub async fn run(
    client: &Client,
    source: Source,
    file: &Path,
    covers: bool,
) -> Result<(), CliError> {
    if covers
        && !matches!(
            source,
            Source::Goodreads | Source::Storygraph | Source::Overcast
        )
    {
        return Err(CliError::Usage(
            "--covers is for goodreads and storygraph, whose books have ISBNs, and overcast, \
             whose shows' feeds have artwork"
                .into(),
        ));
    }
    let text = if file == Path::new("-") {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| CliError::Usage(format!("cannot read standard input: {e}")))?
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?
    };
    let text = text.trim_start_matches('\u{feff}');
    // Letterboxd's watchlist has watched.csv's columns: only its name tells them apart.
    let named = |name: &str| {
        file.file_name()
            .is_some_and(|f| f.to_string_lossy().eq_ignore_ascii_case(name))
    };
    if matches!(source, Source::Letterboxd) && named("reviews.csv") {
        return Err(CliError::Usage(format!(
            "{} is Letterboxd's reviews of your diary's entries: `lately import letterboxd \
             diary.csv` reads them from beside the diary",
            file.display()
        )));
    }
    if matches!(source, Source::Letterboxd) && named("watchlist.csv") {
        return Err(CliError::Usage(format!(
            "{} is Letterboxd's watchlist, films to watch, not films watched: `lately import \
             letterboxd-watchlist {}` adds them to your queue",
            file.display(),
            file.display()
        )));
    }
    let (mut plan, what) = match source {
        Source::Goodreads | Source::Storygraph => {
            let mut plan = match source {
                Source::Goodreads => plan_goodreads(text, covers)?,
                _ => plan_storygraph(text, covers)?,
            };
            if covers {
                covers_by_title(&mut plan).await;
            }
            (plan, "rows")
        }
        Source::Letterboxd => {
            // The export's reviews.csv, if it is beside the diary.
            let beside = file.with_file_name("reviews.csv");
            let reviews = match std::fs::read_to_string(&beside) {
                Ok(reviews) if file != Path::new("-") => {
                    let reviews = letterboxd_reviews(reviews.trim_start_matches('\u{feff}'))?;
                    let n = reviews.len();
                    let noun = if n == 1 { "review" } else { "reviews" };
                    eprintln!("{n} {noun} from {}", beside.display());
                    reviews
                }
                _ => LetterboxdReviews::new(),
            };
            (plan_letterboxd(text, &reviews)?, "rows")
        }
        Source::LetterboxdWatchlist => (plan_letterboxd_watchlist(text)?, "rows"),
        Source::Imdb => (plan_imdb(text)?, "rows"),
        Source::Instapaper => (plan_instapaper(text)?, "rows"),
        Source::Overcast => {
            // Planned first: a file that is not one is refused before any feed is asked.
            let episodes = plan_overcast(text)?;
            let artwork = if covers {
                overcast_artwork(show_feeds(&episodes)).await
            } else {
                HashMap::new()
            };
            (with_artwork(episodes, &artwork), "episodes")
        }
        Source::Csv => (plan_csv(text)?, "items"),
    };
    // An import is history, not news: none of its finishes is tweeted, however recent (a
    // finish in another lately's export was tweeted there already).
    for (command, body, _) in plan.iter_mut().flat_map(|p| p.steps.iter_mut()) {
        if *command == "finish" {
            body["tweet"] = json!(false);
        }
    }
    apply(client, plan, what).await
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
    let mut plan: Vec<Planned> = rows
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
    // And one book being read, for the widget's "currently reading" (`data-show="current"`).
    let name = "demo:A Memory Called Empire";
    plan.push(Planned {
        label: "A Memory Called Empire".to_owned(),
        add_key: key(&format!("{name}:add")),
        add: json!({
            "kind": "book",
            "title": "A Memory Called Empire",
            "creators": ["Arkady Martine"],
            "at": days_ago(4),
        }),
        steps: vec![
            (
                "start",
                json!({ "at": days_ago(3) }),
                key(&format!("{name}:start")),
            ),
            (
                "progress",
                json!({ "done": 172, "of": 462, "at": days_ago(1) }),
                key(&format!("{name}:progress")),
            ),
        ],
    });
    apply(client, plan, "items").await
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOODREADS: &str = include_str!("../tests/fixtures/goodreads_library_export.csv");
    const STORYGRAPH: &str = include_str!("../tests/fixtures/storygraph_library_export.csv");
    const INSTAPAPER: &str = include_str!("../tests/fixtures/instapaper_export.csv");
    const LETTERBOXD: &str = include_str!("../tests/fixtures/letterboxd_diary.csv");
    const IMDB_RATINGS: &str = include_str!("../tests/fixtures/imdb_ratings.csv");
    const IMDB_WATCHLIST: &str = include_str!("../tests/fixtures/imdb_watchlist.csv");
    const OVERCAST: &str = include_str!("../tests/fixtures/overcast.opml");

    /// A day as an export's date is taken: noon of that day in this machine's time zone (what
    /// that is, the CLI's tests check under other zones).
    fn noon(day: &str) -> Value {
        let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        let t = Local
            .from_local_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
            .unwrap();
        json!(at_text(t.to_utc()))
    }

    #[test]
    fn goodreads_rows_become_adds_and_finishes() {
        let plan = plan_goodreads(GOODREADS, false).unwrap();
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
        // Goodreads writes 2019/04/11: that day, at noon where the import runs.
        assert_eq!(finish["at"], noon("2019-04-11"));
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

    /// With `--covers`, a book's cover is Open Library's by its ISBN13 (else its ISBN); a book
    /// with neither has none, and without `--covers` none has one.
    #[test]
    fn goodreads_covers_come_from_open_library_by_isbn() {
        let plan = plan_goodreads(GOODREADS, true).unwrap();
        assert_eq!(
            plan[0].add["cover_url"],
            "https://covers.openlibrary.org/b/isbn/9780441478125-M.jpg?default=false"
        );
        assert!(plan[2].add.get("cover_url").is_none(), "三体 has no ISBN");
        assert!(plan_goodreads(GOODREADS, false)
            .unwrap()
            .iter()
            .all(|p| p.add.get("cover_url").is_none()));
        assert_eq!(isbn(r#"="0441478123""#).as_deref(), Some("0441478123"));
        assert_eq!(isbn("0-8044-2957-x").as_deref(), Some("080442957X"));
        assert_eq!(isbn(r#"="""#), None);
        assert_eq!(isbn("12345"), None);
        // StoryGraph's own id of a book without an ISBN: 13 digits among its letters.
        assert_eq!(isbn("ab1c2d3e-4f56-7890-abcd-1efabdbcc5d6"), None);
        // A check digit that does not agree: no ISBN, rather than another book's cover.
        assert_eq!(isbn(r#"="9780441478126""#), None);
    }

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
        assert_eq!(
            steps(psalm),
            [("finish", json!({ "at": noon("2025-01-09"), "rating": 4.5 }))]
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

    /// Instapaper's articles: the archived one finished when it was saved, with its tags; the
    /// others queued, a folder of their own a tag; one without a title named by its URL.
    #[test]
    fn instapaper_archived_articles_are_finished_the_others_queued() {
        let plan = plan_instapaper(INSTAPAPER).unwrap();
        assert_eq!(plan.len(), 4);
        let saved = json!("2023-11-14T22:13:20Z");
        assert_eq!(
            plan[0].add,
            json!({
                "kind": "article",
                "title": "Local-first software: you own your data",
                "url": "https://www.inkandswitch.com/local-first/",
                "tags": ["crdt", "essays"],
                "at": saved,
            })
        );
        let (cmd, finish, key) = &plan[0].steps[0];
        assert_eq!(
            (*cmd, finish, key.as_str()),
            (
                "finish",
                &json!({ "at": saved }),
                super::key("instapaper:https://www.inkandswitch.com/local-first/:finish").as_str()
            )
        );
        assert!(plan[1].steps.is_empty(), "unread: queued");
        assert_eq!(plan[1].add["tags"], json!([]));
        assert!(plan[2].steps.is_empty(), "starred: queued, tagged");
        assert_eq!(plan[2].add["tags"], json!(["starred"]));
        assert_eq!(
            (&plan[3].add["title"], &plan[3].add["tags"]),
            (
                &json!("https://example.com/a-long-read"),
                &json!(["long reads"])
            )
        );
        match plan_instapaper(STORYGRAPH) {
            Err(CliError::Usage(e)) => assert!(
                e.starts_with("not an Instapaper export (missing columns: URL, Folder, Timestamp"),
                "{e}"
            ),
            other => panic!("{other:?}"),
        }
    }

    /// Overcast's episodes played: each a podcast finished when Overcast last touched it,
    /// named with its show unless its title names it, at its own link or else Overcast's; one
    /// begun, or deleted unplayed, is no finish.
    #[test]
    fn overcast_episodes_played_are_podcasts_finished() {
        let episodes = plan_overcast(OVERCAST).unwrap();
        assert_eq!(
            show_feeds(&episodes),
            [
                "https://feeds.example/hardcore-history.xml",
                "https://feeds.example/rd.xml"
            ]
        );
        let plan = with_artwork(episodes.clone(), &HashMap::new());
        assert_eq!(plan.len(), 2);
        let played = json!("2026-12-01T02:14:05Z");
        assert_eq!(
            plan[0].add,
            json!({
                "kind": "podcast",
                "title": "Hardcore History: Show 69 - Mania for Subjugation II",
                "url": "https://www.dancarlin.com/product/hardcore-history-69-mania-for-subjugation-ii/",
                "at": played,
            })
        );
        assert_eq!(
            plan[0].steps,
            [(
                "finish",
                json!({ "at": played }),
                key("overcast:2001:finish")
            )]
        );
        assert_eq!(plan[0].add_key, key("overcast:2001:add"));
        assert_eq!(
            (
                &plan[1].add["title"],
                &plan[1].add["url"],
                &plan[1].add["at"]
            ),
            (
                &json!("Reconcilable Differences 250: The Long Game"),
                &json!("https://overcast.fm/+ABC3"),
                &json!("2026-11-21T15:30:00Z")
            )
        );
        // With the shows' artwork (`--covers`), by their feeds: a cover for each episode of
        // the show it was found for.
        let artwork = HashMap::from([(
            "https://feeds.example/hardcore-history.xml".to_owned(),
            "https://art.example/hh.jpg".to_owned(),
        )]);
        let covered = with_artwork(episodes, &artwork);
        assert_eq!(covered[0].add["cover_url"], "https://art.example/hh.jpg");
        assert!(covered[1].add.get("cover_url").is_none());
        // A title over the writer's 300 characters, cut at a word.
        let long = OVERCAST.replace("Show 69 - Mania", &"word ".repeat(80));
        let title = plan_overcast(&long).unwrap()[0].0.add["title"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            title.chars().count() <= 300 && title.ends_with("word…"),
            "{title}"
        );
        for (not, why) in [
            (INSTAPAPER, "not an Overcast export (not OPML: "),
            (
                "<rss><channel/></rss>",
                "not an Overcast export (no <opml> at its root)",
            ),
            (
                "<opml><body/></opml>",
                "not an Overcast export (no podcast in it",
            ),
        ] {
            match plan_overcast(not) {
                Err(CliError::Usage(e)) => assert!(e.starts_with(why), "{e}"),
                other => panic!("{other:?}"),
            }
        }
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

    #[test]
    fn letterboxd_diary_rows_are_finishes_and_rewatches_finish_again() {
        let plan = plan_letterboxd(LETTERBOXD, &LetterboxdReviews::new()).unwrap();
        assert_eq!(plan.len(), 3);
        assert_eq!(plan[0].add["title"], "Past Lives (2023)");
        assert_eq!(plan[0].steps[0].1["rating"], 4.5);
        assert_eq!(plan[0].steps[0].1["at"], noon("2024-01-05"));
        assert!(plan[1].steps[0].1.get("rating").is_none());
        assert_eq!(plan[1].add["title"], "Amélie (2001)");
        // The rewatch is the same film (same add key) and a different finish.
        assert_eq!(plan[2].add_key, plan[0].add_key);
        assert_ne!(plan[2].steps[0].2, plan[0].steps[0].2);
        assert_eq!(plan[2].add["tags"], json!(["cinema", "with friends"]));
    }

    /// The export's reviews.csv: each review on the diary entry of the same film watched the
    /// same day (not by the entries' links), as plain text.
    #[test]
    fn letterboxd_reviews_go_with_the_viewing_they_are_of() {
        let reviews = letterboxd_reviews(include_str!("../tests/fixtures/reviews.csv")).unwrap();
        let plan = plan_letterboxd(LETTERBOXD, &reviews).unwrap();
        let said: Vec<Option<&str>> = plan
            .iter()
            .map(|p| p.steps[0].1.get("review").and_then(Value::as_str))
            .collect();
        assert_eq!(
            said,
            [
                Some("Quiet and enormous.\n\nThe bar scene & the last shot: <3"),
                None,
                Some("Better the second time.")
            ]
        );
        assert_eq!(
            letterboxd_review("<p>One.</p><p>Two, <a href=\"https://example.com\">linked</a>.</p>")
                .as_deref(),
            Some("One.\nTwo, linked.")
        );
        assert_eq!(letterboxd_review("a < b > c").as_deref(), Some("a < b > c"));
        assert_eq!(letterboxd_review(" <br/> "), None);
        assert!(matches!(
            letterboxd_reviews(LETTERBOXD),
            Err(CliError::Usage(e)) if e.contains("missing columns: Review")
        ));
    }

    #[test]
    fn imdb_ratings_are_finishes_in_half_the_stars_of_each_kind() {
        let plan = plan_imdb(IMDB_RATINGS).unwrap();
        let said: Vec<(&str, &str, Value)> = plan
            .iter()
            .map(|p| {
                (
                    p.add["kind"].as_str().unwrap(),
                    p.add["title"].as_str().unwrap(),
                    p.steps[0].1["rating"].clone(),
                )
            })
            .collect();
        assert_eq!(
            said,
            [
                ("movie", "Heat (1995)", json!(4.5)),
                ("tv", "Rick and Morty (2013)", json!(4.0)),
                ("movie", "Spirited Away (2001)", json!(3.5)),
                ("game", "Outer Wilds: Echoes of the Eye (2021)", json!(5.0)),
            ]
        );
        let heat = &plan[0];
        assert_eq!(heat.add["creators"], json!(["Michael Mann"]));
        assert_eq!(heat.add["url"], "https://www.imdb.com/title/tt0113277/");
        assert_eq!(heat.steps[0].1["at"], noon("2024-05-18"));
        assert_eq!(plan[1].add["creators"], json!([]));
        assert_eq!(
            plan[3].add["creators"],
            json!(["Alex Beachum", "Loan Verneau"])
        );
    }

    /// A watchlist's titles not rated yet are only added; one rated there is the same item,
    /// and the same finish, as in the ratings: importing both records it once.
    #[test]
    fn an_imdb_watchlist_adds_what_is_not_rated_yet() {
        let plan = plan_imdb(IMDB_WATCHLIST).unwrap();
        assert_eq!(plan[0].add["title"], "Dune: Part Two (2024)");
        assert!(plan[0].steps.is_empty());
        assert_eq!(plan[2].add["kind"], "tv", "a TV Mini Series");
        assert!(plan[2].steps.is_empty());
        assert_eq!(
            plan[0].add["at"],
            noon("2024-03-01"),
            "put on the watchlist then"
        );
        let rated = &plan_imdb(IMDB_RATINGS).unwrap()[0];
        assert_eq!(
            (&plan[1].add_key, &plan[1].steps),
            (&rated.add_key, &rated.steps)
        );
    }

    #[test]
    fn a_letterboxd_watchlist_adds_films_to_watch_as_the_diary_names_them() {
        let plan = plan_letterboxd_watchlist(
            "Date,Name,Year,Letterboxd URI\n2024-05-02,Aftersun,2022,https://boxd.it/abc\n\
             2023-12-01,Past Lives,2023,https://boxd.it/def\n",
        )
        .unwrap();
        assert_eq!(plan[0].add["title"], "Aftersun (2022)");
        assert_eq!(plan[0].add["at"], noon("2024-05-02"));
        assert!(plan.iter().all(|p| p.steps.is_empty()));
        // The diary's Past Lives is the same item: the same add key.
        assert_eq!(
            plan[1].add_key,
            plan_letterboxd(LETTERBOXD, &LetterboxdReviews::new()).unwrap()[0].add_key
        );
    }

    #[test]
    fn an_imdb_rating_out_of_range_is_named() {
        let err = plan_imdb("Const,Your Rating,Title,Title Type\ntt1,7,A,Movie\ntt2,11,B,Movie\n")
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            err.to_string(),
            "row 3: Your Rating must be 1 to 10 (got \"11\")"
        );
        let err = plan_imdb("Position,Title\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("not an IMDb export (missing columns: Const, Title Type;"),
            "{err}"
        );
    }

    #[test]
    fn a_file_of_another_shape_is_a_usage_error() {
        let err = plan_goodreads("Name,Year\nx,1999\n", false).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            err.to_string(),
            "not a Goodreads export (missing columns: Book Id, Title, Author; its header: Name, Year)"
        );
        // Even with no rows to fail on.
        let err = plan_letterboxd("Title,Author\n", &LetterboxdReviews::new()).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains("missing columns: Date, Name;"),
            "{err}"
        );
        assert!(plan_letterboxd("", &LetterboxdReviews::new())
            .unwrap_err()
            .to_string()
            .contains("its header: none)"));
        // A real export's header with no rows is an empty import, not an error.
        assert_eq!(
            plan_letterboxd("Date,Name,Year,Letterboxd URI\n", &LetterboxdReviews::new()).unwrap(),
            []
        );
    }

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
    fn a_row_the_writer_would_refuse_is_named_with_its_column() {
        for (row, error) in [
            ("film,Heat,,", "row 2: kind: unknown kind \"film\""),
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
        ] {
            match plan_csv(text) {
                Err(CliError::Usage(e)) => assert!(e.starts_with(error), "{text}: {e}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
