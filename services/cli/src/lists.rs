//! Reading from the readers: an item as the owner reads it, and lists page by page (of at
//! most 100), every page as of the first one's log position, with the filters they take.

use serde_json::Value;

use crate::client::{CliError, Client};
use crate::lines::{item_line, tweet_line};
use crate::{item_path, owner_item_path, say, Kind, TweetStatus};

/// What `--kind` and `--tag` pick, in the lists that take them (as the feed does).
#[derive(Debug, Clone, clap::Args)]
pub struct Filter {
    /// Only items of this kind.
    #[arg(long)]
    pub kind: Option<Kind>,
    /// Only items with this tag (in any case: tags are stored lower-case).
    #[arg(long, value_parser = tag_arg)]
    pub tag: Option<String>,
}

/// A tag as the reader takes it (1–50 characters), as typed.
pub fn tag_arg(raw: &str) -> Result<String, String> {
    lately_domain::Tag::parse(raw)
        .map(|_| raw.to_owned())
        .map_err(|e| e.to_string())
}

impl Filter {
    /// The query parameters it adds.
    pub fn query(&self) -> Vec<(&'static str, &str)> {
        let kind = self.kind.map(|k| ("kind", k.as_str()));
        let tag = self.tag.as_deref().map(|t| ("tag", t));
        kind.into_iter().chain(tag).collect()
    }

    /// " of kind book tagged sf", for the messages of an empty list.
    pub fn said(&self) -> String {
        let kind = self.kind.map(|k| format!(" of kind {}", k.as_str()));
        let tag = self.tag.as_ref().map(|t| format!(" tagged {t}"));
        kind.into_iter().chain(tag).collect()
    }
}

/// Every page of a public list of items at `path`, filtered; when there is none, says
/// "nothing public {none}".
pub async fn public_items(
    client: &Client,
    path: &str,
    filter: &Filter,
    none: &str,
) -> Result<(), CliError> {
    let none = format!("nothing public{} {none}", filter.said());
    pages(
        client,
        path,
        &filter.query(),
        Read::Public,
        usize::MAX,
        &none,
        item_line,
    )
    .await
}

/// Prints the notifier's outbox, newest finish first, page by page up to `at_most` entries.
pub async fn tweets(
    client: &Client,
    status: Option<TweetStatus>,
    at_most: u64,
) -> Result<(), CliError> {
    let at_most = usize::try_from(at_most).unwrap_or(usize::MAX);
    let (mut printed, mut before) = (0, None::<i64>);
    while printed < at_most {
        let limit = (at_most - printed).min(1000).to_string();
        let before_s = before.map(|b| b.to_string());
        let mut query: Vec<(&str, &str)> = vec![("limit", &limit)];
        query.extend(status.map(|s| ("status", s.as_str())));
        query.extend(before_s.as_deref().map(|b| ("before", b)));
        let page = client
            .notifier_get(&format!(
                "/v1/outbox?{}",
                serde_urlencoded::to_string(&query).expect("pairs of strings")
            ))
            .await?;
        let entries = page["entries"].as_array().map_or(&[][..], Vec::as_slice);
        if printed == 0 {
            notes(&page).iter().for_each(|note| eprintln!("{note}"));
        }
        if printed == 0 && entries.is_empty() {
            eprintln!(
                "no tweets{} (the notifier has one for each public finish since it first started)",
                status
                    .map(|s| format!(" {}", s.as_str().replace('_', " ")))
                    .unwrap_or_default()
            );
        }
        entries
            .iter()
            .try_for_each(|e| say(tweet_line(e, &page["paused_until"])))?;
        printed += entries.len();
        match page["next_before"].as_i64() {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    Ok(())
}

/// What the outbox's page says of what holds the tweets back, before its entries: X refusing
/// the notifier's credentials, or X's limits (the tweets pending wait for them, though only
/// the one X refused says why, and none when the day's last post said nothing was left);
/// or else what is left of the account's day of posts, when X says.
pub fn notes(page: &Value) -> Vec<String> {
    if let Some(why) = page["auth_failed"].as_str() {
        return vec![format!(
            "X refused the notifier's credentials (401): nothing is tweeted or deleted until it \
             is restarted with working ones ({why})"
        )];
    }
    let utc = |t: &Value| {
        t.as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| {
                t.with_timezone(&chrono::Utc)
                    .format("%Y-%m-%d %H:%M:%S UTC")
            })
    };
    let held: Vec<String> = [
        ("paused_until", "posting"),
        ("deletions_paused_until", "deleting"),
    ]
    .into_iter()
    .filter_map(|(key, what)| Some(format!("{what} until {}", utc(&page[key])?)))
    .collect();
    let day = &page["posts_left"];
    if !held.is_empty() {
        let which = match (day["remaining"].as_u64(), day["limit"].as_u64()) {
            (Some(0), Some(1)) if !page["paused_until"].is_null() => {
                "the account's only post of the day is used up".to_owned()
            }
            (Some(0), Some(limit)) if !page["paused_until"].is_null() => {
                format!("the account's {limit} posts of the day are used up")
            }
            _ => "a pending tweet's reason says which limit".to_owned(),
        };
        return vec![format!(
            "X's rate limit holds {} ({which})",
            held.join(", and ")
        )];
    }
    match (
        day["remaining"].as_u64(),
        day["limit"].as_u64(),
        utc(&day["resets_at"]),
    ) {
        (Some(left), Some(limit), Some(until)) => vec![format!(
            "X allows this account {left} more {} of {limit} until {until}",
            if left == 1 { "post" } else { "posts" }
        )],
        _ => Vec::new(),
    }
}

/// Whose list a read is.
pub enum Read {
    Public,
    /// With the owner's token.
    Owner,
}

/// The feed's path and whose read it is: the owner's (`all`: private finishes too), or the
/// public one.
pub fn feed(all: bool) -> (&'static str, Read) {
    match all {
        true => ("/v1/owner/feed", Read::Owner),
        false => ("/v1/feed", Read::Public),
    }
}

/// Prints a list at `path` (filtered by `filters`) page by page, one `line` per entry, until
/// `at_most` entries or the list's end. Each page answers from the first one's position, so
/// the entries are those of one moment however many pages it takes. With no entry at all,
/// says `none` on stderr: a script reading stdout sees no lines, a person sees why.
pub async fn pages(
    client: &Client,
    path: &str,
    filters: &[(&str, &str)],
    whose: Read,
    at_most: usize,
    none: &str,
    line: fn(&Value) -> String,
) -> Result<(), CliError> {
    let (printed, _) = each_page(client, path, filters, whose, at_most, |items| {
        items.iter().try_for_each(|i| say(line(i)))
    })
    .await?;
    if printed == 0 {
        eprintln!("{none}");
    }
    Ok(())
}

/// Reads a list at `path` a page at a time (of at most 100), handing each page's entries to
/// `f`, until `at_most` entries or the list's end; returns how many there were, and the log
/// position every page answered from. Only a first page can be empty: a next one is offered
/// only when entries follow.
pub async fn each_page(
    client: &Client,
    path: &str,
    filters: &[(&str, &str)],
    whose: Read,
    at_most: usize,
    mut f: impl FnMut(&[Value]) -> Result<(), CliError>,
) -> Result<(usize, i64), CliError> {
    let (mut seen, mut cursor, mut position) = (0, None::<String>, 0);
    while seen < at_most {
        let limit = (at_most - seen).min(100).to_string();
        let mut query: Vec<(&str, &str)> = vec![("limit", &limit)];
        query.extend_from_slice(filters);
        query.extend(cursor.as_deref().map(|c| ("cursor", c)));
        let url = format!(
            "{path}?{}",
            serde_urlencoded::to_string(&query).expect("pairs of strings")
        );
        let page = match whose {
            Read::Public => client.read(&url).await?,
            Read::Owner => client.read_as_owner(&url).await?,
        };
        let items = page["items"].as_array().map_or(&[][..], Vec::as_slice);
        f(items)?;
        seen += items.len();
        position = page["position"].as_i64().unwrap_or(position);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    Ok((seen, position))
}

/// Every page of the owner's list with `filters`, each to `f`. `false` when the owner's list
/// cannot be read (no token, or a reader given none): what the guards and the title lookup
/// take as nothing to go on.
pub async fn owners_list(
    client: &Client,
    filters: &[(&str, &str)],
    f: impl FnMut(&[Value]) -> Result<(), CliError>,
) -> Result<bool, CliError> {
    match each_page(
        client,
        "/v1/owner/items",
        filters,
        Read::Owner,
        usize::MAX,
        f,
    )
    .await
    {
        Ok(_) => Ok(true),
        Err(CliError::Rejected {
            status: 401 | 403, ..
        }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The owner's read of an item: private ones too. `None` where only the public read can
/// answer: a reader given no owner token refuses it (403), and one that has one refuses a
/// request without it (401). (Under `make run`, whose readers ask for no token, the owner's
/// read answers without one.) A wrong token is said, not passed over.
pub async fn owners_read(client: &Client, id: &str) -> Option<Result<Value, CliError>> {
    match client.read_as_owner(&owner_item_path(id)).await {
        Err(CliError::Rejected { status: 403, .. }) => None,
        Err(CliError::Rejected { status: 401, .. }) if !client.has_token() => None,
        other => Some(other),
    }
}

/// An item as the owner reads it (private ones too, with its version), or else as the public
/// read gives it: what a command that changes the item from where it stands reads first.
pub async fn item_read(client: &Client, id: &str) -> Result<Value, CliError> {
    match owners_read(client, id).await {
        Some(answer) => answer,
        None => client.read(&item_path(id)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_outbox_says_what_xs_limits_hold_back_or_leave() {
        let day = json!({ "remaining": 3, "limit": 17, "resets_at": "2026-12-07T09:12:00Z" });
        let page = |posting: Value, deleting: Value, day: Value| json!({ "entries": [], "paused_until": posting, "deletions_paused_until": deleting, "posts_left": day });
        assert!(notes(&page(Value::Null, Value::Null, Value::Null)).is_empty());
        assert!(notes(&json!({ "entries": [] })).is_empty());
        // Refused credentials hold everything back, whatever the limits.
        let mut refused = page(json!("2026-12-07T18:45:42Z"), Value::Null, day.clone());
        refused["auth_failed"] = json!("X answered 401: Unauthorized");
        assert_eq!(
            notes(&refused),
            [
                "X refused the notifier's credentials (401): nothing is tweeted or deleted until \
              it is restarted with working ones (X answered 401: Unauthorized)"
            ]
        );
        assert_eq!(
            notes(&page(Value::Null, Value::Null, day.clone())),
            ["X allows this account 3 more posts of 17 until 2026-12-07 09:12:00 UTC"]
        );
        assert_eq!(
            notes(&page(json!("2026-12-07T18:45:42Z"), Value::Null, day)),
            [
                "X's rate limit holds posting until 2026-12-07 18:45:42 UTC (a pending tweet's \
              reason says which limit)"
            ]
        );
        // The day's last post said nothing is left: no tweet was refused to say so.
        let spent = json!({ "remaining": 0, "limit": 17, "resets_at": "2026-12-07T09:12:00Z" });
        assert_eq!(
            notes(&page(
                json!("2026-12-07T09:12:00Z"),
                Value::Null,
                spent.clone()
            )),
            [
                "X's rate limit holds posting until 2026-12-07 09:12:00 UTC (the account's 17 \
              posts of the day are used up)"
            ]
        );
        let only = json!({ "remaining": 0, "limit": 1, "resets_at": "2026-12-07T09:12:00Z" });
        assert_eq!(
            notes(&page(json!("2026-12-07T09:12:00Z"), Value::Null, only)),
            [
                "X's rate limit holds posting until 2026-12-07 09:12:00 UTC (the account's only \
              post of the day is used up)"
            ]
        );
        assert_eq!(
            notes(&page(Value::Null, json!("2026-12-07T09:00:00Z"), spent)),
            [
                "X's rate limit holds deleting until 2026-12-07 09:00:00 UTC (a pending tweet's \
              reason says which limit)"
            ]
        );
        assert_eq!(
            notes(&page(
                json!("2026-12-07T18:45:42.5+00:00"),
                json!("2026-12-06T19:00:00Z"),
                Value::Null
            )),
            [
                "X's rate limit holds posting until 2026-12-07 18:45:42 UTC, and deleting until \
              2026-12-06 19:00:00 UTC (a pending tweet's reason says which limit)"
            ]
        );
    }
}
