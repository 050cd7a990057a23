//! `lately covers`: Open Library's cover for each of the owner's public books with an author
//! and none, each set with the version the book was read at.

use serde_json::{json, Value};

use crate::client::{CliError, Client};
use crate::lists::{each_page, Read};
use crate::{item_path, open_library, say};

/// `lately covers`: each public book of the owner's with an author and no cover, looked up on
/// Open Library two at a time; a cover found set with the version the book was read at (a
/// book edited meanwhile is a conflict, said and left as it is). A line on stdout for each
/// cover set, the count on stderr.
pub async fn covers(client: &Client, dry_run: bool) -> Result<(), CliError> {
    use futures::StreamExt;

    let mut books = Vec::new();
    each_page(
        client,
        "/v1/owner/items",
        &[("kind", "book")],
        Read::Owner,
        usize::MAX,
        |items| {
            books.extend(
                items
                    .iter()
                    .filter(|i| {
                        i["cover_url"].is_null()
                            && i["visibility"] == "public"
                            && i["creators"].as_array().is_some_and(|c| !c.is_empty())
                    })
                    .cloned(),
            );
            Ok(())
        },
    )
    .await?;
    let (http, base) = (open_library::client(), open_library::base());
    let looked_up: Vec<(Value, Result<Option<String>, String>)> =
        futures::stream::iter(books.iter().map(|book| {
            let (http, base) = (&http, &base);
            async move { (book.clone(), open_library::find_for(http, base, book).await) }
        }))
        .buffered(2)
        .collect()
        .await;
    let (mut set, mut failed) = (0, 0);
    for (book, found) in looked_up {
        let (id, title) = (
            book["id"].as_str().unwrap_or_default(),
            book["title"].as_str().unwrap_or_default(),
        );
        let cover = match found {
            Ok(Some(cover)) => cover,
            Ok(None) => continue,
            Err(why) => {
                eprintln!("{id}  {title}: {why}");
                failed += 1;
                continue;
            }
        };
        if !dry_run {
            let body = json!({ "cover_url": cover, "expected_version": book["version"] });
            let key = uuid::Uuid::new_v4().to_string();
            if let Err(e) = client.write("PATCH", &item_path(id), &body, &key).await {
                eprintln!("{id}  {title}: not set: {e}");
                failed += 1;
                continue;
            }
        }
        set += 1;
        say(format_args!("{id}  {title}  {cover}"))?;
    }
    let books = books.len();
    eprintln!(
        "{} for {set} of {books} {} without one, found on Open Library by title and author{}",
        if dry_run {
            "covers to set"
        } else {
            "covers set"
        },
        if books == 1 { "book" } else { "books" },
        match failed {
            0 => String::new(),
            n => format!(" ({n} not looked up or not set: above)"),
        }
    );
    Ok(())
}

/// The cover Open Library has of the book called `title` by `creators` (none without them), said
/// on stderr; a look-up that fails is said too, and the book goes without.
pub async fn book_cover(title: &str, creators: &[String]) -> Option<String> {
    if creators.is_empty() {
        return None;
    }
    let http = open_library::client();
    match open_library::find(&http, &open_library::base(), title, creators).await {
        Ok(Some(cover)) => {
            eprintln!("cover: Open Library's ({cover})");
            Some(cover)
        }
        Ok(None) => {
            eprintln!(
                "no cover of it on Open Library (--cover takes a picture's link, or the ISBN \
                 on the book's back)"
            );
            None
        }
        Err(why) => {
            eprintln!("no cover: {why}");
            None
        }
    }
}
