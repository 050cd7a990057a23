//! `lately show`: an item, then its history, a line per event, as the owner reads it.

use lately_domain::MediaKind;
use serde_json::Value;

use crate::client::{CliError, Client};
use crate::lines::{by, day, private_mark, stars};
use crate::lists::owners_read;
use crate::{how_far, item_path, say};

/// Prints an item, then a line per event of its history, oldest first, dated by when it
/// happened (a backdated finish by its own date).
pub async fn show(client: &Client, id: &str) -> Result<(), CliError> {
    // The owner's read first: private items too; the public read still shows a public item.
    let owned = owners_read(client, id).await;
    let hint = match owned {
        Some(_) => {
            "`lately items` lists your items, `lately items --status removed` the removed ones"
        }
        None => "a private or removed item is shown by no public read: with your token, `lately items` lists yours",
    };
    let answer = match owned {
        Some(answer) => answer,
        None => client.read(&item_path(id)).await,
    }
    .map_err(|e| match e {
        CliError::Rejected {
            status: 404,
            detail,
        } => CliError::Rejected {
            status: 404,
            detail: format!("{detail} ({hint})"),
        },
        e => e,
    })?;
    let item = &answer["item"];
    // What it is as the pages say it: "a film", "a TV show", not the API's "movie" and "tv".
    let kind = item["kind"].as_str().unwrap_or("");
    say(format_args!(
        "{} — {}{}  ({}){}",
        item["title"].as_str().unwrap_or(""),
        MediaKind::parse(kind).map_or(kind, |k| k.noun(1)),
        by(item),
        item["id"].as_str().unwrap_or(id),
        private_mark(item)
    ))?;
    let tags: Vec<_> = item["tags"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !tags.is_empty() {
        say(format_args!("  tags: {}", tags.join(", ")))?;
    }
    if let Some(url) = item["url"].as_str() {
        say(format_args!("  {url}"))?;
    }
    // Where the feeds link a public item, and a tweet of one without a link of its own.
    if item["visibility"] != "private" && item["status"] != "removed" {
        say(format_args!(
            "  page: {}/items/{}",
            client.feed_url().trim_end_matches('/'),
            item["id"].as_str().unwrap_or(id)
        ))?;
    }
    if item["status"] == "removed" {
        say(format_args!(
            "  removed: in no output (`lately restore {}` brings it back)",
            item["id"].as_str().unwrap_or(id)
        ))?;
    }
    for entry in answer["history"].as_array().map_or(&[][..], Vec::as_slice) {
        let data = &entry["data"];
        let what = match entry["type"].as_str().unwrap_or("") {
            "item_added" => "added".to_owned(),
            "item_started" => "started".to_owned(),
            "item_progress_logged" => how_far::said_of_event(data, item),
            "item_finished" => {
                let review = data["review"]
                    .as_str()
                    .map(|r| format!("  {r}"))
                    .unwrap_or_default();
                let quiet = match data["tweet"] {
                    Value::Bool(false) => " (not to be tweeted)",
                    _ => "",
                };
                let heard = match data["listened"] {
                    Value::Bool(true) => " listening",
                    _ => "",
                };
                format!("finished{heard}{}{quiet}{review}", stars(&data["rating"]))
            }
            "item_finish_revised" => {
                let mut changed = Vec::new();
                if let Some(rating) = data.get("rating") {
                    changed.push(match stars(rating).as_str() {
                        "" => "rating cleared".to_owned(),
                        s => format!("rating{s}"),
                    });
                }
                if let Some(review) = data.get("review") {
                    changed.push(match review.as_str() {
                        Some(r) => format!("review: {r}"),
                        None => "review cleared".to_owned(),
                    });
                }
                if let Some(started) = data.get("started_at") {
                    changed.push(format!("started {}", day(started)));
                }
                if let Some(finished) = data.get("finished_at") {
                    changed.push(format!("finished {}", day(finished)));
                }
                match data.get("listened") {
                    Some(Value::Bool(true)) => changed.push("listened to".to_owned()),
                    Some(Value::Bool(false)) => changed.push("read, not listened to".to_owned()),
                    _ => {}
                }
                format!("finish revised: {}", changed.join(", "))
            }
            "item_finish_retracted" => "finish retracted".to_owned(),
            "item_start_retracted" => "start retracted".to_owned(),
            "item_start_revised" => format!("start moved to {}", day(&data["started_at"])),
            "item_abandoned" => "abandoned".to_owned(),
            "item_edited" => format!("edited: {}", changes_said(&data["changes"])),
            other => other.trim_start_matches("item_").replace('_', " "),
        };
        let when = match day(&data["at"]) {
            d if d.is_empty() => day(&entry["recorded_at"]),
            d => d,
        };
        // A review's further lines under its first, not at the margin with the days (an empty
        // one empty).
        let indent = " ".repeat(when.len() + 2);
        let what = what
            .lines()
            .enumerate()
            .map(|(i, line)| match (i, line) {
                (0, line) | (_, line @ "") => line.to_owned(),
                (_, line) => format!("{indent}{line}"),
            })
            .collect::<Vec<_>>()
            .join("\n");
        say(format_args!("{when}  {what}"))?;
    }
    Ok(())
}

/// What an edit changed, each field with its new value as the item's line says it: "title
/// “Middlemarch”, tags classic, sf, link cleared, private". A cover is only "set" (its link
/// is long and says little); a field this build does not know is named.
fn changes_said(changes: &Value) -> String {
    let Some(changes) = changes.as_object() else {
        return String::new();
    };
    let list = |v: &Value| {
        let names: Vec<&str> = v
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(Value::as_str)
            .collect();
        names.join(", ")
    };
    let said = |field: &str, v: &Value| match (field, v) {
        ("title", v) => format!("title “{}”", v.as_str().unwrap_or_default()),
        ("kind", v) => format!("kind {}", v.as_str().unwrap_or_default()),
        ("creators", v) if list(v).is_empty() => "creators cleared".to_owned(),
        ("creators", v) => format!("by {}", list(v)),
        ("tags", v) if list(v).is_empty() => "tags cleared".to_owned(),
        ("tags", v) => format!("tags {}", list(v)),
        ("url", Value::Null) => "link cleared".to_owned(),
        ("url", v) => format!("link {}", v.as_str().unwrap_or_default()),
        ("cover_url", Value::Null) => "cover cleared".to_owned(),
        ("cover_url", _) => "cover set".to_owned(),
        ("visibility", v) => v.as_str().unwrap_or_default().to_owned(),
        (other, _) => other.replace('_', " "),
    };
    // In the order an item's line reads, then anything else.
    const ORDER: [&str; 7] = [
        "title",
        "kind",
        "creators",
        "tags",
        "url",
        "cover_url",
        "visibility",
    ];
    let known = ORDER
        .iter()
        .filter_map(|f| changes.get(*f).map(|v| said(f, v)));
    let others = changes
        .iter()
        .filter(|(f, _)| !ORDER.contains(&f.as_str()))
        .map(|(f, v)| said(f, v));
    known.chain(others).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_edit_says_each_field_with_its_new_value_in_the_lines_order() {
        assert_eq!(
            changes_said(&json!({
                "visibility": "private",
                "url": null,
                "tags": ["classic", "victorian"],
                "title": "Middlemarch",
            })),
            "title “Middlemarch”, tags classic, victorian, link cleared, private"
        );
        assert_eq!(
            changes_said(&json!({
                "cover_url": "https://covers.openlibrary.org/b/id/1-L.jpg?default=false",
                "creators": [],
                "tags": [],
                "kind": "movie",
                "url": "https://example.com/m",
                "rating_scale": 10,
            })),
            "kind movie, creators cleared, tags cleared, link https://example.com/m, cover set, rating scale"
        );
    }
}
