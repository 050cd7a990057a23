//! A book's cover found by its title and author, for a book that comes without one: `lately
//! add book "Piranesi" --by "Susanna Clarke"`, and, with an import's `--covers`, the books
//! that have no ISBN (Goodreads leaves an ebook's cells empty). Without it, a shelf of books
//! added from the terminal or the phone is a row of letters.
//!
//! Open Library's search names each work's cover by its id. A wrong cover is worse than none,
//! so a work is taken only when its title is the one asked (case and punctuation aside; a
//! subtitle after a colon on one side only aside) and one of its authors has the surname of
//! one given: [`pick`] is that rule, pure; [`find`] the request around it. The same search
//! names a book by its ISBN, for `lately add book 978-…` ([`by_isbn`], [`named`]).
//!
//! Every cover link this module makes asks Open Library with `default=false`: for a cover it
//! does not have, it answers 404, which the pages and the widget draw as the title's letter,
//! rather than the 1×1 blank it sends otherwise, which loads and shows nothing.

use std::time::Duration;

use serde_json::Value;

use crate::already::words;
use crate::web_page::error_chain;

/// Where the search is asked: Open Library, or a stand-in (the tests').
pub fn base() -> String {
    std::env::var("LATELY_OPEN_LIBRARY_URL")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| "https://openlibrary.org".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// Open Library's cover of the book with this ISBN.
pub fn isbn_cover(isbn: &str) -> String {
    format!("https://covers.openlibrary.org/b/isbn/{isbn}-M.jpg?default=false")
}

/// Open Library's cover with this id, as its search names covers. (Covers by id are not
/// rate-limited, as those by ISBN are: 100 every five minutes from one address.)
pub fn id_cover(id: u64) -> String {
    format!("https://covers.openlibrary.org/b/id/{id}-M.jpg?default=false")
}

/// A client for the searches: Open Library asks those who call it often to say who they are.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!(
            "lately/",
            env!("CARGO_PKG_VERSION"),
            " (a reading log's covers)"
        ))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .expect("a TLS backend is compiled in")
}

/// The cover of the book called `title` by one of `authors`, if Open Library has one; the
/// error says why it could not be looked up. No author, no search: a title alone names too many
/// books.
pub async fn find(
    http: &reqwest::Client,
    base: &str,
    title: &str,
    authors: &[String],
) -> Result<Option<String>, String> {
    let Some(author) = authors.first() else {
        return Ok(None);
    };
    let query = [
        ("title", searched_title(title)),
        ("author", author.as_str()),
        ("fields", "title,author_name,cover_i"),
        ("limit", "10"),
    ];
    Ok(pick(&search(http, base, &query).await?, title, authors).map(id_cover))
}

/// A book as Open Library names it by an ISBN.
#[derive(Debug, PartialEq, Eq)]
pub struct Book {
    pub title: String,
    pub authors: Vec<String>,
    pub cover: String,
}

/// The book with this ISBN, if Open Library knows it: `lately add book 978-0-441-17271-9`, the
/// number on its back typed instead of its title.
pub async fn by_isbn(
    http: &reqwest::Client,
    base: &str,
    isbn: &str,
) -> Result<Option<Book>, String> {
    let query = [
        ("q", format!("isbn:{isbn}")),
        ("fields", "title,author_name,cover_i".to_owned()),
        ("limit", "1".to_owned()),
    ];
    Ok(named(&search(http, base, &query).await?, isbn))
}

/// The book a search by ISBN found: its work's title and authors, and its work's cover (by id:
/// the one Open Library shows for it), else the cover of that ISBN's edition.
pub fn named(found: &Value, isbn: &str) -> Option<Book> {
    let doc = found["docs"].as_array()?.first()?;
    let title = doc["title"].as_str()?.trim();
    (!title.is_empty()).then(|| Book {
        title: title.to_owned(),
        authors: doc["author_name"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|a| a.as_str().map(|a| a.trim().to_owned()))
            .filter(|a| !a.is_empty())
            .collect(),
        cover: doc["cover_i"]
            .as_u64()
            .filter(|id| *id > 0)
            .map_or_else(|| isbn_cover(isbn), id_cover),
    })
}

/// Open Library's search asked `query`: its answer, or why there is none.
async fn search<V: serde::Serialize>(
    http: &reqwest::Client,
    base: &str,
    query: &[(&str, V)],
) -> Result<Value, String> {
    let answer = http
        .get(format!("{base}/search.json"))
        .query(query)
        .send()
        .await
        .map_err(|e| {
            format!(
                "Open Library could not be reached: {}",
                error_chain(&e.without_url())
            )
        })?;
    let status = answer.status();
    if !status.is_success() {
        return Err(format!("Open Library answered {status}"));
    }
    answer.json().await.map_err(|e| {
        format!(
            "Open Library's answer was not its search's: {}",
            error_chain(&e)
        )
    })
}

/// [`find`] for a book as the API writes one (an add's body, an item of the owner's list): its
/// `title` and its `creators`.
pub async fn find_for(
    http: &reqwest::Client,
    base: &str,
    book: &Value,
) -> Result<Option<String>, String> {
    let authors: Vec<String> = book["creators"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    find(
        http,
        base,
        book["title"].as_str().unwrap_or_default(),
        &authors,
    )
    .await
}

/// The first work in a search's answer that is this book and has a cover: its cover's id.
pub fn pick(found: &Value, title: &str, authors: &[String]) -> Option<u64> {
    let wanted = searched_title(title);
    let surnames: Vec<String> = authors.iter().filter_map(|a| surname(a)).collect();
    found["docs"].as_array()?.iter().find_map(|doc| {
        let same_title = doc["title"]
            .as_str()
            .is_some_and(|theirs| same_title(theirs, wanted));
        let same_author = doc["author_name"].as_array().is_some_and(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .filter_map(surname)
                .any(|s| surnames.contains(&s))
        });
        (same_title && same_author)
            .then(|| doc["cover_i"].as_u64())
            .flatten()
            .filter(|id| *id > 0)
    })
}

/// The title as the book is called, without the series Goodreads appends ("Leviathan Wakes
/// (The Expanse, #1)").
fn searched_title(title: &str) -> &str {
    let title = title.trim();
    match title.rfind(" (") {
        Some(at) if title.ends_with(')') && title[at..].contains('#') => title[..at].trim_end(),
        _ => title,
    }
}

/// Whether two titles name the same book: their words alike, or one's alike the other's
/// before its colon (a subtitle given on one side only: "Sapiens" and "Sapiens: A Brief
/// History of Humankind"; not "Star Wars: A New Hope" and "Star Wars: The Last Jedi").
fn same_title(a: &str, b: &str) -> bool {
    let head = |t: &str| words(t.split(':').next().unwrap_or(t));
    let (wa, wb) = (words(a), words(b));
    !wa.is_empty() && (wa == wb || wa == head(b) || head(a) == wb)
}

/// A name's last word, in lower case ("Ursula K. Le Guin" → "guin"): what Open Library's
/// spelling of an author and yours share (initials written "S.A." or "S. A.").
fn surname(name: &str) -> Option<String> {
    words(name).pop()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn authors(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_cover_is_the_first_work_of_that_title_and_author_that_has_one() {
        let found = json!({ "docs": [
            // A study of the book: its title, another author.
            { "title": "Piranesi", "author_name": ["A. Critic"], "cover_i": 1 },
            // The book, with no cover.
            { "title": "Piranesi", "author_name": ["Susanna Clarke"] },
            { "title": "PIRANESI.", "author_name": ["Clarke, Susanna", "Susanna Clarke"], "cover_i": 10_544_203 },
            { "title": "Piranesi", "author_name": ["Susanna Clarke"], "cover_i": 3 },
        ]});
        assert_eq!(
            pick(&found, "Piranesi", &authors(&["Susanna Clarke"])),
            Some(10_544_203)
        );
        // Nothing of that author: none, rather than another book's cover.
        assert_eq!(
            pick(&found, "Piranesi", &authors(&["Jorge Luis Borges"])),
            None
        );
        assert_eq!(
            pick(&found, "Jonathan Strange", &authors(&["Susanna Clarke"])),
            None
        );
        assert_eq!(
            pick(&json!({ "docs": [] }), "Piranesi", &authors(&["Clarke"])),
            None
        );
        assert_eq!(
            pick(&json!({ "error": "…" }), "Piranesi", &authors(&["Clarke"])),
            None
        );
    }

    #[test]
    fn a_subtitle_on_one_side_or_a_series_after_the_title_is_the_same_book() {
        let sapiens = json!({ "docs": [
            { "title": "Sapiens", "author_name": ["Yuval Noah Harari"], "cover_i": 7 },
        ]});
        let harari = authors(&["Yuval Noah Harari"]);
        assert_eq!(
            pick(&sapiens, "Sapiens: A Brief History of Humankind", &harari),
            Some(7)
        );
        let expanse = json!({ "docs": [
            { "title": "Leviathan Wakes", "author_name": ["James S. A. Corey"], "cover_i": 8 },
        ]});
        assert_eq!(
            pick(
                &expanse,
                "Leviathan Wakes (The Expanse, #1)",
                &authors(&["James S.A. Corey"])
            ),
            Some(8)
        );
        assert_eq!(
            searched_title("Leviathan Wakes (The Expanse, #1)"),
            "Leviathan Wakes"
        );
        // Brackets that are the title's own stay.
        assert_eq!(
            searched_title("Dune (Deluxe Edition)"),
            "Dune (Deluxe Edition)"
        );
        let star_wars = json!({ "docs": [
            { "title": "Star Wars: The Last Jedi", "author_name": ["Jason Fry"], "cover_i": 9 },
        ]});
        assert_eq!(
            pick(
                &star_wars,
                "Star Wars: A New Hope",
                &authors(&["Jason Fry"])
            ),
            None
        );
    }

    #[test]
    fn a_book_found_by_its_isbn_is_its_works_title_authors_and_cover() {
        let dune = json!({ "docs": [
            { "title": " Dune ", "author_name": ["Frank Herbert", ""], "cover_i": 11_481_354 },
        ]});
        assert_eq!(
            named(&dune, "9780441172719"),
            Some(Book {
                title: "Dune".into(),
                authors: vec!["Frank Herbert".into()],
                cover: id_cover(11_481_354),
            })
        );
        // No cover of the work: its edition's, by the ISBN (a 404 if it has none either).
        let bare = json!({ "docs": [{ "title": "Dune" }] });
        assert_eq!(
            named(&bare, "9780441172719").map(|b| (b.authors, b.cover)),
            Some((vec![], isbn_cover("9780441172719")))
        );
        assert_eq!(named(&json!({ "docs": [] }), "9780441172719"), None);
        assert_eq!(
            named(&json!({ "docs": [{ "title": " " }] }), "9780441172719"),
            None
        );
    }

    #[test]
    fn covers_are_asked_for_with_a_404_when_open_library_has_none() {
        assert_eq!(
            isbn_cover("9780441172719"),
            "https://covers.openlibrary.org/b/isbn/9780441172719-M.jpg?default=false"
        );
        assert_eq!(
            id_cover(10_544_203),
            "https://covers.openlibrary.org/b/id/10544203-M.jpg?default=false"
        );
    }
}
