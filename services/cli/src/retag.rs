//! Tags changed on items as the owner has them: one item's (`lately edit --add-tag`,
//! `--untag`), or a tag renamed on every item that has it (`lately retag`). Each list is
//! sent whole with the version it was read at, so a tag set elsewhere meanwhile is a
//! conflict, said, not undone.

use serde_json::{json, Value};

use crate::client::{CliError, Client};
use crate::lists::owners_list;
use crate::{item_path, say};

/// `lately retag FROM TO`: every item of the owner's tagged `from` (private ones too; not a
/// removed one, which takes no edit until restored) tagged `to` instead, in its place (an
/// item that has both keeps one). A line on stdout for each item retagged, the count on
/// stderr; with `dry_run`, what would be, nothing written.
pub async fn retag(client: &Client, from: &str, to: &str, dry_run: bool) -> Result<(), CliError> {
    let (from, to) = (stored(from), stored(to));
    if from == to {
        return Err(CliError::Usage(format!(
            "“{from}” is “{to}” already (tags are kept in lower case)"
        )));
    }
    let mut tagged = Vec::new();
    let read = owners_list(client, &[("tag", &from)], |items| {
        tagged.extend(items.iter().cloned());
        Ok(())
    })
    .await?;
    if !read {
        return Err(CliError::Usage(
            "retag reads your items, private ones too: it needs the owner's read (LATELY_TOKEN, \
             and a reader given LATELY_OWNER_TOKEN)"
                .into(),
        ));
    }
    if tagged.is_empty() {
        return Err(CliError::Rejected {
            status: 404,
            detail: format!("no item of yours is tagged “{from}” (`lately tags --all` lists them)"),
        });
    }
    let (mut done, mut failed) = (0, 0);
    for item in &tagged {
        let (id, title) = (
            item["id"].as_str().unwrap_or_default(),
            item["title"].as_str().unwrap_or_default(),
        );
        let tags: Vec<String> = tags_of(item)
            .into_iter()
            .map(|t| if t == from { to.clone() } else { t.to_owned() })
            .fold(Vec::new(), |mut kept, t| {
                if !kept.contains(&t) {
                    kept.push(t);
                }
                kept
            });
        if !dry_run {
            let body = json!({ "tags": tags, "expected_version": item["version"] });
            let key = uuid::Uuid::new_v4().to_string();
            if let Err(e) = client.write("PATCH", &item_path(id), &body, &key).await {
                eprintln!("{id}  {title}: not retagged: {e}");
                failed += 1;
                continue;
            }
        }
        done += 1;
        say(format_args!("{id}  {title}  {}", tags.join(", ")))?;
    }
    let items = tagged.len();
    eprintln!(
        "{} {done} of {items} {} tagged “{from}”: “{to}” instead{}",
        if dry_run { "to retag:" } else { "retagged" },
        if items == 1 { "item" } else { "items" },
        match failed {
            0 => String::new(),
            n => format!(" ({n} not retagged: above)"),
        }
    );
    Ok(())
}

/// An item's tags with `add` added (those it has not) and `remove` taken off, in its order
/// and then the order given; `None` when that is what it has. A tag to take off that it does
/// not have is refused, naming those it has: a typo would otherwise pass as done.
pub fn retagged(
    item: &Value,
    add: &[String],
    remove: &[String],
) -> Result<Option<Vec<String>>, CliError> {
    let has: Vec<String> = tags_of(item).into_iter().map(str::to_owned).collect();
    let remove: Vec<String> = remove.iter().map(|r| stored(r)).collect();
    if let Some(missing) = remove.iter().find(|r| !has.contains(r)) {
        return Err(CliError::Rejected {
            status: 409,
            detail: format!(
                "“{}” has no tag “{missing}”: {}",
                item["title"].as_str().unwrap_or_default(),
                said_tags(item)
            ),
        });
    }
    let mut tags: Vec<String> = has
        .iter()
        .filter(|t| !remove.contains(t))
        .cloned()
        .collect();
    for tag in add.iter().map(|a| stored(a)) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok((tags != has).then_some(tags))
}

/// "its tags: sf, classic", or "it has none".
pub fn said_tags(item: &Value) -> String {
    match tags_of(item).as_slice() {
        [] => "it has none".to_owned(),
        tags => format!("its tags: {}", tags.join(", ")),
    }
}

/// An item's tags, as the API gives them.
fn tags_of(item: &Value) -> Vec<&str> {
    item["tags"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

/// A tag as the writer stores it (trimmed, in lower case), so that one typed `SF` is found
/// as `sf`; the flags have checked it already.
fn stored(raw: &str) -> String {
    lately_domain::Tag::parse(raw).map_or_else(|_| raw.to_owned(), |t| t.as_str().to_owned())
}
