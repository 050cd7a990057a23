//! Goodreads' "Export Library" CSV: a book per row, finished, started or only added, with
//! its shelves as tags, the review's line breaks, and with `--covers` Open Library's cover by
//! the row's ISBN.

use serde::Deserialize;
use serde_json::json;

use super::{isbn, key, list, require_columns, review_text, Planned};
use crate::client::CliError;
use crate::open_library::isbn_cover;
use crate::when::instant;

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
    /// The edition's format: `Paperback`, `Kindle Edition`, `Audible Audio`, `Audio CD`, …
    #[serde(rename = "Binding", default)]
    binding: String,
}

/// Whether an edition of this binding was heard: Goodreads' audio bindings (`Audible Audio`,
/// `Audiobook`, `Audio CD`, `MP3 CD`, `Preloaded Digital Audio Player`, …).
fn heard(binding: &str) -> bool {
    let b = binding.to_lowercase();
    b.contains("audio") || b.contains("mp3")
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
                if heard(&row.binding) {
                    finish["listened"] = json!(true);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::test_days::noon;

    const GOODREADS: &str = include_str!("../../tests/fixtures/goodreads_library_export.csv");

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
        // An Audible edition: heard; the paperback before it, read.
        assert_eq!(unrated.steps[0].1["listened"], true);
        assert!(finish.get("listened").is_none());
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
}
