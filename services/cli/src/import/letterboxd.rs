//! Letterboxd's export: the diary (or watched.csv), each entry a finish of its film with the
//! review of that viewing from reviews.csv beside it, and the watchlist, films to watch.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::json;

use super::{key, list, require_columns, with_year, Planned};
use crate::client::CliError;
use crate::when::instant;

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

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::import::test_days::noon;

    const LETTERBOXD: &str = include_str!("../../tests/fixtures/letterboxd_diary.csv");

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
        let reviews = letterboxd_reviews(include_str!("../../tests/fixtures/reviews.csv")).unwrap();
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
}
