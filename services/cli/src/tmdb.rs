//! A film's or a show's poster found by its title on TMDB (The Movie Database), for one added
//! without a cover: `lately add movie "Past Lives"`, `lately covers`. Without it, the widget's
//! shelf of a year's films is a row of letters; Open Library, which finds the books', has no
//! films.
//!
//! TMDB answers only with a key of the owner's own (free, from their account's settings):
//! `LATELY_TMDB_TOKEN`, its "API Read Access Token", or the shorter "API Key". Without one,
//! nothing is asked. A wrong poster is worse than none, so a result is taken only when its
//! title (or its original title: "Amélie" asked of "Le Fabuleux Destin d'Amélie Poulain") is
//! the one asked, word for word — "Dune" is not "Dune: Part Two" —, and of those the first,
//! which TMDB orders by how much each is looked at: "Dune" is 2021's, not 1984's, unless the
//! title says its year as an import writes it, "Dune (1984)" ([`title_and_year`]). An item of
//! one season of a show ("Severance, season 2") is looked up as the show ([`show_name`]), and
//! gets its poster. [`pick`] is that rule, pure; [`find`] the request around it.

use serde_json::Value;

use crate::already::words;
use crate::web_page::error_chain;

/// Where the search is asked: TMDB's API, or a stand-in (the tests').
pub fn base() -> String {
    std::env::var("LATELY_TMDB_URL")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| "https://api.themoviedb.org".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// The owner's key (`LATELY_TMDB_TOKEN`), if they gave one: without it, no poster is looked up.
pub fn token() -> Option<String> {
    std::env::var("LATELY_TMDB_TOKEN")
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// The poster at `path` as TMDB names it (`/k3waqVXSnvCZWfJYNtdamTgTtTA.jpg`), 342 pixels wide:
/// a shelf's cover, as Open Library's medium covers are.
pub fn poster(path: &str) -> String {
    format!("https://image.tmdb.org/t/p/w342{path}")
}

/// What TMDB searches: films, or shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Searched {
    Film,
    Show,
}

impl Searched {
    /// What of an item's `kind` (as the API names it) is looked up on TMDB: a film's, a
    /// show's; nothing else.
    pub fn of(kind: &str) -> Option<Self> {
        match kind {
            "movie" => Some(Self::Film),
            "tv" => Some(Self::Show),
            _ => None,
        }
    }
}

/// The poster of the film or show called `title` (of the year it ends with, if it does), if
/// TMDB has one; the error says why it could not be looked up.
pub async fn find(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    searched: Searched,
    title: &str,
) -> Result<Option<String>, String> {
    let (title, year) = title_and_year(title);
    let title = match searched {
        Searched::Film => title,
        Searched::Show => show_name(title),
    };
    let (path, year_key) = match searched {
        Searched::Film => ("movie", "year"),
        Searched::Show => ("tv", "first_air_date_year"),
    };
    let mut query = vec![
        ("query", title.to_owned()),
        ("include_adult", "false".to_owned()),
    ];
    if let Some(year) = year {
        query.push((year_key, year.to_string()));
    }
    let mut request = http.get(format!("{base}/3/search/{path}")).query(&query);
    // The short "API Key" goes in the query, the read access token (a JWT) as a bearer's.
    request = match token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()) {
        true => request.query(&[("api_key", token)]),
        false => request.bearer_auth(token),
    };
    let answer = request.send().await.map_err(|e| {
        format!(
            "TMDB could not be reached: {}",
            error_chain(&e.without_url())
        )
    })?;
    let status = answer.status();
    if !status.is_success() {
        // TMDB says why ("Invalid API key: You must be granted a valid key."): worth a line.
        let said: Value = answer.json().await.unwrap_or_default();
        return Err(match said["status_message"].as_str() {
            Some(why) => format!("TMDB answered {status}: {why}"),
            None => format!("TMDB answered {status}"),
        });
    }
    let found: Value = answer
        .json()
        .await
        .map_err(|e| format!("TMDB's answer was not its search's: {}", error_chain(&e)))?;
    Ok(pick(&found, searched, title).map(poster))
}

/// [`find`] for an item as the API writes one (an add's body, an item of the owner's list):
/// its `kind` and `title`; `None` for an item of another kind.
pub async fn find_for(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    item: &Value,
) -> Result<Option<String>, String> {
    let Some(searched) = item["kind"].as_str().and_then(Searched::of) else {
        return Ok(None);
    };
    let title = item["title"].as_str().unwrap_or_default();
    find(http, base, token, searched, title).await
}

/// A show's name without the season an item of one season names ("Severance, season 2",
/// "Severance: Season 2", "Severance (season 2)", "The Crown series 4", "Severance S2"): what
/// TMDB knows it by. The title whole otherwise ("Ocean's 11", "Bones 2").
pub fn show_name(title: &str) -> &str {
    let title = title.trim();
    // ASCII lower case keeps every byte where it was: the name found is a prefix of `title`.
    let lower = title.to_ascii_lowercase();
    let body = lower.strip_suffix(')').unwrap_or(&lower);
    let number = body.trim_end_matches(|c: char| c.is_ascii_digit());
    if number.len() == body.len() {
        return title;
    }
    let before = number.trim_end();
    let Some((rest, marker)) = ["season", "series", "s"]
        .iter()
        .find_map(|m| Some((before.strip_suffix(m)?, *m)))
    else {
        return title;
    };
    // "S2" is written as one word; each marker starts a word of its own, or a bracket.
    let spaced = before.len() != number.len();
    let starts_word = rest.ends_with(|c: char| c.is_whitespace() || c == '(');
    if (marker == "s" && spaced) || !starts_word {
        return title;
    }
    let name = rest
        .trim_end()
        .trim_end_matches(['(', ',', ':', '-', '–', '—'])
        .trim_end();
    match name.is_empty() {
        true => title,
        false => &title[..name.len()],
    }
}

/// A title and the year it ends with, as an import tells films of one name apart ("Heat
/// (1995)", Letterboxd's and IMDb's); the title whole, and no year, otherwise.
pub fn title_and_year(title: &str) -> (&str, Option<i32>) {
    let title = title.trim();
    let year = title
        .strip_suffix(')')
        .and_then(|t| t.rsplit_once(" ("))
        .filter(|(name, year)| !name.trim().is_empty() && year.len() == 4)
        .and_then(|(name, year)| Some((name.trim_end(), year.parse().ok()?)))
        .filter(|(_, year)| (1870..=2999).contains(year));
    match year {
        Some((name, year)) => (name, Some(year)),
        None => (title, None),
    }
}

/// The first result in a search's answer that is called `title` and has a poster: its
/// poster's path.
pub fn pick<'a>(found: &'a Value, searched: Searched, title: &str) -> Option<&'a str> {
    let wanted = words(title);
    if wanted.is_empty() {
        return None;
    }
    let names: &[&str] = match searched {
        Searched::Film => &["title", "original_title"],
        Searched::Show => &["name", "original_name"],
    };
    found["results"].as_array()?.iter().find_map(|result| {
        let called = names
            .iter()
            .filter_map(|n| result[*n].as_str())
            .any(|name| words(name) == wanted);
        let path = result["poster_path"]
            .as_str()
            .filter(|p| p.starts_with('/') && p.len() > 1);
        path.filter(|_| called)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_poster_is_the_first_result_of_that_title_that_has_one() {
        let dune = json!({ "page": 1, "results": [
            { "title": "Dune: Part Two", "original_title": "Dune: Part Two", "poster_path": "/two.jpg" },
            { "title": "Dune", "original_title": "Dune", "poster_path": null },
            { "title": "DUNE", "original_title": "Dune", "poster_path": "/2021.jpg" },
            { "title": "Dune", "original_title": "Dune", "poster_path": "/1984.jpg" },
        ]});
        assert_eq!(pick(&dune, Searched::Film, "Dune"), Some("/2021.jpg"));
        // A subtitle is another film, not the same one's.
        assert_eq!(
            pick(&dune, Searched::Film, "Dune: Part Two"),
            Some("/two.jpg")
        );
        assert_eq!(pick(&dune, Searched::Film, "Dune Messiah"), None);
        assert_eq!(pick(&dune, Searched::Film, " ?! "), None);
        // Its original title, as the owner may know it.
        let amelie = json!({ "results": [
            { "title": "Amélie", "original_title": "Le Fabuleux Destin d'Amélie Poulain", "poster_path": "/a.jpg" },
        ]});
        assert_eq!(
            pick(
                &amelie,
                Searched::Film,
                "Le fabuleux destin d’Amélie Poulain"
            ),
            Some("/a.jpg")
        );
        assert_eq!(pick(&amelie, Searched::Film, "amélie"), Some("/a.jpg"));
        // A show's are `name`s; a film's fields are not read of a show.
        let severance = json!({ "results": [
            { "title": "Severance", "poster_path": "/film.jpg" },
            { "name": "Severance", "original_name": "Severance", "poster_path": "/show.jpg" },
        ]});
        assert_eq!(
            pick(&severance, Searched::Show, "Severance"),
            Some("/show.jpg")
        );
        for nothing in [
            json!({ "results": [] }),
            json!({ "status_message": "…" }),
            json!({ "results": [{ "title": "Dune", "poster_path": "" }] }),
            json!({ "results": [{ "title": "Dune", "poster_path": "https://elsewhere/x.jpg" }] }),
        ] {
            assert_eq!(pick(&nothing, Searched::Film, "Dune"), None, "{nothing}");
        }
        assert_eq!(
            poster("/2021.jpg"),
            "https://image.tmdb.org/t/p/w342/2021.jpg"
        );
        assert_eq!(title_and_year(" Heat (1995) "), ("Heat", Some(1995)));
        assert_eq!(title_and_year("Dune"), ("Dune", None));
        for whole in [
            "Blade Runner (Final Cut)",
            "(2019)",
            "Apollo 13",
            "Up (12345)",
            "1917",
        ] {
            assert_eq!(title_and_year(whole), (whole, None), "{whole}");
        }
        for season in [
            "Severance, season 2",
            "Severance: Season 2",
            "Severance (season 2)",
            "Severance - Season 12",
            "Severance season2",
            "Severance S2",
            " Severance (S02) ",
        ] {
            assert_eq!(show_name(season), "Severance", "{season}");
        }
        assert_eq!(show_name("The Crown series 4"), "The Crown");
        for whole in [
            "Die Brücke, Staffel 2",
            "Ocean's 11",
            "Bones 2",
            "Sons2",
            "Season 2",
            "Severance s 2",
            "Severance-season 2",
            "Severance",
        ] {
            assert_eq!(show_name(whole), whole, "{whole}");
        }
        assert_eq!(Searched::of("tv"), Some(Searched::Show));
        assert_eq!(Searched::of("book"), None);
    }
}
