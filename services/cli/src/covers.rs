//! `lately covers`: Open Library's cover for each of the owner's public books with an author
//! and none, and TMDB's poster for each public film and show without one (given the owner's
//! key), each set with the version the item was read at.

use serde_json::{json, Value};

use crate::client::{CliError, Client};
use crate::lists::{each_page, Read};
use crate::{item_path, open_library, say, tmdb};

/// Where a cover is looked for, and the items it is looked for.
struct Looked {
    /// "covers", "posters".
    what: &'static str,
    /// "book", "film or show"; and of several, "books", "films and shows".
    one: &'static str,
    of: &'static str,
    /// ", found on Open Library by title and author".
    how: &'static str,
    items: Vec<Value>,
}

/// `lately covers`: each public book of the owner's with an author and no cover, looked up on
/// Open Library, and each public film and show without one on TMDB (given `LATELY_TMDB_TOKEN`;
/// without it, how many there are is said), two at a time; a cover found set with the version
/// the item was read at (an item edited meanwhile is a conflict, said and left as it is). A
/// line on stdout for each cover set, the counts on stderr.
pub async fn covers(client: &Client, dry_run: bool) -> Result<(), CliError> {
    use futures::StreamExt;

    let (mut books, mut screen) = (Vec::new(), Vec::new());
    each_page(
        client,
        "/v1/owner/items",
        &[],
        Read::Owner,
        usize::MAX,
        |items| {
            let bare = items
                .iter()
                .filter(|i| i["cover_url"].is_null() && i["visibility"] == "public");
            for item in bare {
                match item["kind"].as_str() {
                    Some("book") if item["creators"].as_array().is_some_and(|c| !c.is_empty()) => {
                        books.push(item.clone())
                    }
                    Some(kind) if tmdb::Searched::of(kind).is_some() => screen.push(item.clone()),
                    _ => {}
                }
            }
            Ok(())
        },
    )
    .await?;
    let token = tmdb::token();
    if token.is_none() && !screen.is_empty() {
        eprintln!(
            "{} without a cover: give your TMDB key (LATELY_TMDB_TOKEN) to look up their posters",
            match screen.len() {
                1 => "1 film or show".to_owned(),
                n => format!("{n} films and shows"),
            }
        );
        screen.clear();
    }
    let http = open_library::client();
    let (open_library, tmdb) = (open_library::base(), tmdb::base());
    let token = token.unwrap_or_default();
    let mut looked = vec![Looked {
        what: "covers",
        one: "book",
        of: "books",
        how: ", found on Open Library by title and author",
        items: books,
    }];
    if !screen.is_empty() {
        looked.push(Looked {
            what: "posters",
            one: "film or show",
            of: "films and shows",
            how: ", found on TMDB by title",
            items: screen,
        });
    }
    for Looked {
        what,
        one,
        of,
        how,
        items,
    } in looked
    {
        let found: Vec<(&Value, Result<Option<String>, String>)> =
            futures::stream::iter(items.iter().map(|item| {
                let (http, open_library, tmdb, token) = (&http, &open_library, &tmdb, &token);
                async move {
                    let found = match item["kind"].as_str() {
                        Some("book") => open_library::find_for(http, open_library, item).await,
                        _ => tmdb::find_for(http, tmdb, token, item).await,
                    };
                    (item, found)
                }
            }))
            .buffered(2)
            .collect()
            .await;
        let (mut set, mut failed) = (0, 0);
        for (item, found) in found {
            let (id, title) = (
                item["id"].as_str().unwrap_or_default(),
                item["title"].as_str().unwrap_or_default(),
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
                let body = json!({ "cover_url": cover, "expected_version": item["version"] });
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
        let n = items.len();
        eprintln!(
            "{what} {} for {set} of {n} {} without one{how}{}",
            if dry_run { "to set" } else { "set" },
            if n == 1 { one } else { of },
            match failed {
                0 => String::new(),
                n => format!(" ({n} not looked up or not set: above)"),
            }
        );
    }
    Ok(())
}

/// TMDB's poster of the film or show called `title`, given the owner's key
/// (`LATELY_TMDB_TOKEN`; none looked up without it, nor for another kind), said on stderr as
/// [`book_cover`] says a cover.
pub async fn poster(kind: &str, title: &str) -> Option<String> {
    let (searched, token) = (tmdb::Searched::of(kind)?, tmdb::token()?);
    let http = open_library::client();
    match tmdb::find(&http, &tmdb::base(), &token, searched, title).await {
        Ok(Some(poster)) => {
            eprintln!("cover: TMDB's poster ({poster})");
            Some(poster)
        }
        Ok(None) => {
            eprintln!("no poster of it on TMDB (--cover takes a picture's link)");
            None
        }
        Err(why) => {
            eprintln!("no poster: {why}");
            None
        }
    }
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
