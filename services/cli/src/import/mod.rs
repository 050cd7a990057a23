//! Importing Goodreads, The StoryGraph, Letterboxd, IMDb, Instapaper and Overcast exports, and
//! CSV in `lately export`'s columns.
//!
//! Each row (each item, for lately's own CSV) becomes a few writes (add, then start, finish,
//! …), each with an `Idempotency-Key` derived from the row — the Goodreads book id, the
//! StoryGraph book's ISBN/UID, the Letterboxd entry, the IMDb title, the article's URL, the
//! Overcast episode's id, the item's id and the finish's time — so running an import again (or
//! after it was interrupted) adds nothing twice. A row the writer refuses is reported and
//! skipped; the import goes on. No finish an import writes is tweeted.
//!
//! Each source is a module that reads its export into a plan ([`Planned`]: a row's writes)
//! and does no I/O but the look-ups `--covers` asks for; this one runs a plan against the
//! writer, and holds what the sources share (the keys, a cell's list, the header's check).

mod demo;
mod goodreads;
mod imdb;
mod instapaper;
mod letterboxd;
mod overcast;
mod spreadsheet;
mod storygraph;
mod zipped;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use crate::client::{CliError, Client};
pub use demo::demo;
use goodreads::plan_goodreads;
use imdb::plan_imdb;
use instapaper::plan_instapaper;
use letterboxd::{
    letterboxd_reviews, plan_letterboxd, plan_letterboxd_watchlist, LetterboxdReviews,
};
use overcast::{overcast_artwork, plan_overcast, show_feeds, with_artwork};
use spreadsheet::plan_csv;
use storygraph::plan_storygraph;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Source {
    /// Goodreads "Export Library" CSV (goodreads_library_export.csv).
    Goodreads,
    /// The StoryGraph's "Export StoryGraph Library" CSV: each read in "Dates Read" is a start
    /// and a finish, the book's rating (quarter stars rounded up to the half) and review on the
    /// latest; currently reading or paused: started; did not finish: started and abandoned.
    Storygraph,
    /// Letterboxd export, its zip as downloaded or unzipped (its folder, or diary.csv or
    /// watched.csv named, the other files beside it): the diary's entries, each with its
    /// review from reviews.csv, and the films marked watched that the diary does not log,
    /// finished on the day they were marked.
    Letterboxd,
    /// Letterboxd export's watchlist.csv (or the export's zip): films to watch, added to your
    /// queue. (Its columns are watched.csv's: imported as `letterboxd`, every film would be
    /// marked watched.)
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

/// An ISBN as Goodreads writes one (`="9780441478125"`, or `=""` for none), or The StoryGraph
/// (its "ISBN/UID": an ISBN, or its own id for a book without one, whose digits are no ISBN
/// though 10 or 13 of them may be among its letters): its digits (and a final `X`), if they
/// are one, check digit and all.
fn isbn(raw: &str) -> Option<String> {
    let bare = raw.trim().trim_start_matches('=').trim_matches('"');
    crate::isbn::in_title(bare).ok().flatten()
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

/// The films and shows planned (each add, once: a film's rewatches are the same item's) get
/// TMDB's poster, found by their title and year ("Heat (1995)"), two looked up at a time; a
/// look-up that failed is said on stderr, and its item goes without. Asked before anything is
/// written, as the books' covers are: an import run again adds nothing, so its items are
/// covered by `lately covers` after.
async fn posters_by_title(plan: &mut [Planned], token: &str) {
    use futures::StreamExt;

    let (http, base) = (crate::open_library::client(), crate::tmdb::base());
    let mut firsts = HashSet::new();
    let wanted: Vec<usize> = (0..plan.len())
        .filter(|&i| {
            let add = &plan[i].add;
            add.get("cover_url").is_none()
                && add["kind"]
                    .as_str()
                    .and_then(crate::tmdb::Searched::of)
                    .is_some()
                && firsts.insert(plan[i].add_key.clone())
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    let asked = wanted.iter().map(|&i| {
        let (http, base, add) = (&http, &base, &plan[i].add);
        async move { (i, crate::tmdb::find_for(http, base, token, add).await) }
    });
    let found: Vec<(usize, Result<Option<String>, String>)> = futures::stream::iter(asked)
        .buffer_unordered(2)
        .collect()
        .await;
    let (mut covered, mut failed) = (HashMap::new(), Vec::new());
    for (i, poster) in found {
        match poster {
            Ok(Some(poster)) => {
                covered.insert(plan[i].add_key.clone(), poster);
            }
            Ok(None) => {}
            Err(why) => failed.push(format!("“{}”: {why}", plan[i].label)),
        }
    }
    // Every row of the item: whichever of its rows adds it (rows run side by side).
    for p in plan.iter_mut() {
        if let Some(poster) = covered.get(&p.add_key) {
            p.add["cover_url"] = json!(poster);
        }
    }
    let n = wanted.len();
    eprintln!(
        "posters for {} of {n} {}, found on TMDB by title and year",
        covered.len(),
        if n == 1 {
            "film or show"
        } else {
            "films and shows"
        }
    );
    if let Some(first) = failed.first() {
        eprintln!(
            "{} could not be looked up ({first})",
            match failed.len() {
                1 => "1 poster".to_owned(),
                n => format!("{n} posters"),
            }
        );
    }
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

/// A file read from a zip archive: where (said to the user), and its text.
type Read = (String, String);

/// Whether a CSV file has a row under its header.
fn has_entries(csv_text: &str) -> bool {
    csv_text.lines().skip(1).any(|l| !l.trim().is_empty())
}

/// What an import reads from a zip archive.
struct Unzipped {
    /// The file imported: the diary, the films watched, the watchlist.
    file: Read,
    /// The diary's reviews.
    reviews: Option<Read>,
    /// Beside the diary, every film marked watched: those never logged in the diary (seen
    /// before it was kept) are finished too.
    watched: Option<Read>,
}

/// What an import reads from a zip archive, Letterboxd's export as downloaded: its diary with
/// its reviews and the films marked watched (only those, with a diary of no entry); or its
/// watchlist. Another source's export is a file of its own, and a zip of it is refused, saying
/// so.
fn unzipped(source: Source, bytes: &[u8], shown: String) -> Result<Unzipped, CliError> {
    let wanted: &[&str] = match source {
        Source::Letterboxd => &["diary.csv", "watched.csv"],
        Source::LetterboxdWatchlist => &["watchlist.csv"],
        _ => {
            let name = source.to_possible_value().expect("no source is skipped");
            return Err(CliError::Usage(format!(
                "{shown} is a zip archive: {} is imported from the export's file itself \
                 (unzip it, and import the file that was in it)",
                name.get_name()
            )));
        }
    };
    let mut archive = zipped::Archive::open(bytes, shown.clone())?;
    let mut found = None;
    for name in wanted {
        if let Some(text) = archive.text(name)? {
            // A diary of no entry (films only marked watched): the films watched, then.
            let entries = has_entries(&text);
            found = Some((name, text));
            if entries {
                break;
            }
        }
    }
    let Some((name, text)) = found else {
        return Err(CliError::Usage(format!(
            "{shown} has no {}: is it Letterboxd's export?",
            wanted.join(" nor ")
        )));
    };
    let mut beside = |other: &str| -> Result<Option<Read>, CliError> {
        if !matches!(source, Source::Letterboxd) || *name == other {
            return Ok(None);
        }
        Ok(archive.text(other)?.map(|text| (archive.said(other), text)))
    };
    let (reviews, watched) = (beside("reviews.csv")?, beside("watched.csv")?);
    Ok(Unzipped {
        file: (archive.said(name), text),
        reviews,
        watched,
    })
}

pub async fn run(
    client: &Client,
    source: Source,
    file: &Path,
    covers: bool,
) -> Result<(), CliError> {
    let films = matches!(
        source,
        Source::Letterboxd | Source::LetterboxdWatchlist | Source::Imdb
    );
    if covers
        && !films
        && !matches!(
            source,
            Source::Goodreads | Source::Storygraph | Source::Overcast
        )
    {
        return Err(CliError::Usage(
            "--covers is for goodreads and storygraph, whose books have ISBNs, overcast, whose \
             shows' feeds have artwork, and letterboxd, letterboxd-watchlist and imdb, whose \
             films and shows have posters on TMDB"
                .into(),
        ));
    }
    let tmdb_token = crate::tmdb::token();
    if covers && films && tmdb_token.is_none() {
        return Err(CliError::Usage(
            "--covers looks up the films' and shows' posters on TMDB, which answers only with \
             a key of your own: give it as LATELY_TMDB_TOKEN (your TMDB account's settings, \
             \"API\"), or import without --covers"
                .into(),
        ));
    }
    // Letterboxd's export unzipped into a folder: the folder named, its file is read.
    let in_folder;
    let file = if file.is_dir() {
        let wanted: &[&str] = match source {
            Source::Letterboxd => &["diary.csv", "watched.csv"],
            Source::LetterboxdWatchlist => &["watchlist.csv"],
            _ => {
                return Err(CliError::Usage(format!(
                    "{} is a folder: import the export's file in it",
                    file.display()
                )))
            }
        };
        in_folder = wanted
            .iter()
            .map(|name| file.join(name))
            .find(|path| path.is_file())
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "{} has no {}: is it Letterboxd's export, unzipped?",
                    file.display(),
                    wanted.join(" nor ")
                ))
            })?;
        eprintln!("{}", in_folder.display());
        in_folder.as_path()
    } else {
        file
    };
    let (shown, bytes) = if file == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .map_err(|e| CliError::Usage(format!("cannot read standard input: {e}")))?;
        ("standard input".to_owned(), bytes)
    } else {
        let bytes = std::fs::read(file)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
        (file.display().to_string(), bytes)
    };
    // Letterboxd's export as downloaded: its files are read from the zip.
    let (mut reviews_zipped, mut watched_beside) = (None, None);
    let from_zip = zipped::is_zip(&bytes);
    let mut text = if from_zip {
        let read = unzipped(source, &bytes, shown)?;
        eprintln!("{}", read.file.0);
        (reviews_zipped, watched_beside) = (read.reviews, read.watched);
        read.file.1
    } else {
        String::from_utf8(bytes).map_err(|_| {
            CliError::Usage(format!(
                "cannot read {shown}: it is not text (an export is a CSV file{})",
                if matches!(source, Source::Overcast) {
                    ", Overcast's an OPML file"
                } else {
                    ""
                }
            ))
        })?
    };
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
    // Letterboxd's export unzipped: its diary read with the films watched beside it, as from
    // the zip, whichever of the two is named. (Read one after the other, every film of the
    // diary, which watched.csv lists too, was finished twice.)
    if matches!(source, Source::Letterboxd) && !from_zip && file != Path::new("-") {
        let beside = |name: &str| {
            let path = file.with_file_name(name);
            let text = std::fs::read_to_string(&path).ok()?;
            Some((path.display().to_string(), text))
        };
        if named("watched.csv") {
            if let Some((diary, diary_text)) = beside("diary.csv").filter(|(_, t)| has_entries(t)) {
                eprintln!("{diary}, the diary beside {}", file.display());
                let watched = std::mem::replace(&mut text, diary_text);
                watched_beside = Some((file.display().to_string(), watched));
            }
        } else {
            watched_beside = beside("watched.csv");
        }
    }
    let text = text.trim_start_matches('\u{feff}');
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
            // The export's reviews.csv: in its zip, or beside the diary.
            let beside = file.with_file_name("reviews.csv");
            let found = match reviews_zipped {
                Some(found) => Some(found),
                None if file != Path::new("-") => std::fs::read_to_string(&beside)
                    .ok()
                    .map(|text| (beside.display().to_string(), text)),
                None => None,
            };
            let reviews = match found {
                Some((from, reviews)) => {
                    let reviews = letterboxd_reviews(reviews.trim_start_matches('\u{feff}'))?;
                    let n = reviews.len();
                    let noun = if n == 1 { "review" } else { "reviews" };
                    eprintln!("{n} {noun} from {from}");
                    reviews
                }
                None => LetterboxdReviews::new(),
            };
            let mut plan = plan_letterboxd(text, &reviews)?;
            // The films marked watched and never logged in the diary: finished on the day
            // they were marked so, the one day the export knows.
            if let Some((from, watched)) = watched_beside {
                let logged: HashSet<String> = plan.iter().map(|p| p.add_key.clone()).collect();
                let before = plan.len();
                plan.extend(
                    plan_letterboxd(watched.trim_start_matches('\u{feff}'), &reviews)?
                        .into_iter()
                        .filter(|p| !logged.contains(&p.add_key)),
                );
                let n = plan.len() - before;
                let noun = if n == 1 { "film" } else { "films" };
                eprintln!("{n} {noun} from {from} not in the diary");
            }
            (plan, "rows")
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
    if let Some(token) = tmdb_token.filter(|_| covers && films) {
        posters_by_title(&mut plan, &token).await;
    }
    // An import is history, not news: none of its finishes is tweeted, however recent (a
    // finish in another lately's export was tweeted there already).
    for (command, body, _) in plan.iter_mut().flat_map(|p| p.steps.iter_mut()) {
        if *command == "finish" {
            body["tweet"] = json!(false);
        }
    }
    apply(client, plan, what).await
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

/// What the sources' tests share.
#[cfg(test)]
mod test_days {
    use chrono::{Local, NaiveDate, TimeZone};
    use serde_json::{json, Value};

    /// A day as an export's date is taken: noon of that day in this machine's time zone (what
    /// that is, the CLI's tests check under other zones).
    pub fn noon(day: &str) -> Value {
        let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        let t = Local
            .from_local_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
            .unwrap();
        json!(crate::when::at_text(t.to_utc()))
    }
}
