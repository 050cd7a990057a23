//! IMDb's exports: your ratings (each title rated finished, in half the stars) and a
//! watchlist (what is not rated yet, to watch); films, shows and games by the title's type.

use serde::Deserialize;
use serde_json::json;

use super::{key, list, require_columns, with_year, Planned};
use crate::client::CliError;
use crate::when::instant;

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

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::import::test_days::noon;

    const IMDB_RATINGS: &str = include_str!("../../tests/fixtures/imdb_ratings.csv");
    const IMDB_WATCHLIST: &str = include_str!("../../tests/fixtures/imdb_watchlist.csv");

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
}
