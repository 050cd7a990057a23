//! The guards against a command run twice: an add of what the owner has already, a finish of
//! what is finished. They read the owner's list and are the CLI's, not the API's, which takes
//! a second add or finish as meant (another edition; a rewatch: `--duplicate`, `--again`).

use serde_json::Value;

use crate::client::{CliError, Client};
use crate::lines::{by, day};
use crate::lists::{owners_list, owners_read};
use crate::{web_page, ItemStatus, Kind};

/// Refuses to finish an item that is finished already (and was not started since): most
/// often the same command run twice, which would record a re-read and tweet it. A rewatch
/// says `--again`. Without the owner's read (no token), nothing is checked.
pub async fn not_finished_already(client: &Client, id: &str) -> Result<(), CliError> {
    let Some(answer) = owners_read(client, id).await else {
        return Ok(());
    };
    let answer = answer?;
    let item = &answer["item"];
    if item["status"] != "finished" {
        return Ok(());
    }
    // When its latest finish that stands happened: a retraction takes one back, a revision
    // may have moved it.
    let mut finishes = Vec::new();
    for entry in answer["history"].as_array().map_or(&[][..], Vec::as_slice) {
        let data = &entry["data"];
        match entry["type"].as_str() {
            Some("item_finished") => finishes.push(data["at"].clone()),
            Some("item_finish_retracted") => {
                finishes.pop();
            }
            Some("item_finish_revised") if data.get("finished_at").is_some() => {
                if let Some(last) = finishes.last_mut() {
                    *last = data["finished_at"].clone();
                }
            }
            _ => {}
        }
    }
    let on = finishes
        .last()
        .map_or_else(String::new, |at| format!(", on {}", day(at)));
    Err(CliError::Usage(format!(
        "{} ({}) is finished already{on}: finishing it again records a re-read (a rewatch, a \
         replay) and tweets it; say so with --again, or change that finish with `lately revise` \
         (`lately unfinish` takes it back)",
        item["title"].as_str().unwrap_or(id),
        item["id"].as_str().unwrap_or(id),
    )))
}

/// Refuses to add what the owner has already: an item of the same kind whose title has the
/// same words (in any case, whatever the punctuation) and, when both name creators, one creator
/// in common. Most often the same thing added twice, or a re-read begun with `add` instead of
/// `start`; another edition or a remake says `--duplicate`. A removed item counts: restoring
/// it brings back its history. Without the owner's read (no token), nothing is checked.
/// `finishing` (`add --finished`): the way on named is a finish of the item there.
pub async fn not_added_already(
    client: &Client,
    kind: Kind,
    title: &str,
    creators: &[String],
    link: Option<&str>,
    finishing: bool,
) -> Result<(), CliError> {
    let wanted = words(title);
    if wanted.is_empty() && link.is_none() {
        return Ok(());
    }
    let named: Vec<Vec<String>> = creators.iter().map(|c| words(c)).collect();
    let same_page = |item: &Value| {
        link.zip(item["url"].as_str())
            .is_some_and(|(a, b)| web_page::same_page(a, b))
    };
    let same = |item: &Value| {
        let theirs: Vec<Vec<String>> = item["creators"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(Value::as_str)
            .map(words)
            .collect();
        // The same page is the same article, whatever either title says.
        same_page(item)
            || !wanted.is_empty()
                && words(item["title"].as_str().unwrap_or_default()) == wanted
                && (named.is_empty()
                    || theirs.is_empty()
                    || named.iter().any(|c| theirs.contains(c)))
    };
    let mut found: Option<Value> = None;
    // The items in the owner's outputs first: one of those is the likelier meaning.
    for status in [None, Some(ItemStatus::Removed)] {
        let mut filters = vec![("kind", kind.as_str())];
        filters.extend(status.map(|s| ("status", s.as_str())));
        let read = owners_list(client, &filters, |items| {
            if found.is_none() {
                found = items.iter().find(|i| same(i)).cloned();
            }
            Ok(())
        })
        .await?;
        if !read {
            return Ok(());
        }
        if found.is_some() {
            break;
        }
    }
    let Some(item) = found else {
        return Ok(());
    };
    let id = item["id"].as_str().unwrap_or_default();
    let (state, then) = match item["status"].as_str().unwrap_or_default() {
        "in_progress" => (
            match day(&item["started_at"]) {
                since if since.is_empty() => "in progress".to_owned(),
                since => format!("in progress since {since}"),
            },
            match finishing {
                true => format!("`lately finish {id}` finishes it"),
                false => format!("`lately progress {id} …` and `lately finish {id}` go on with it"),
            },
        ),
        "finished" => (
            match item["times_finished"].as_u64() {
                Some(n) if n > 1 => format!("finished {n} times"),
                _ => "finished".to_owned(),
            },
            match finishing {
                true => format!("gone through it again, `lately finish {id} --again` records it"),
                false => format!("to go through it again, `lately start {id}`"),
            },
        ),
        "abandoned" => (
            "abandoned".to_owned(),
            format!("`lately start {id}` takes it up again"),
        ),
        "removed" => (
            "removed".to_owned(),
            format!("`lately restore {id}` brings it back, with its history"),
        ),
        _ => (
            "up next".to_owned(),
            match finishing {
                true => format!("`lately finish {id}` finishes it"),
                false => format!("`lately start {id}` starts it"),
            },
        ),
    };
    let (what, another) = if same_page(&item) {
        (", the same page", "to add it again all the same")
    } else {
        (
            "",
            "to add another all the same (another edition, a remake)",
        )
    };
    Err(CliError::Usage(format!(
        "{}{} is in your list already ({id}, {state}{what}): {then}; {another}, say --duplicate",
        item["title"].as_str().unwrap_or(title),
        by(&item),
    )))
}

/// A title's or a name's words, in lower case: what two spellings of one title share.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}
