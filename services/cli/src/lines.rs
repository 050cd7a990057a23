//! How the API's items, finishes and tweets are printed: a line each, with days in this
//! machine's calendar.

use serde_json::Value;

use crate::how_far;

/// An outbox entry: its position (what `retry-tweet` takes), its state, the item, the
/// tweet's text (once composed), and why it is where it is (a posted one's only when there
/// is something to know: it went without its cover, say). A failed one ends with the command
/// that retries it: the notifier's reason says what to fix, and each of the owner's tools how
/// to retry (your log's page has a button). `posting_held` is the outbox's `paused_until`: a
/// pending tweet goes out once X's rate limit lets it.
pub fn tweet_line(e: &Value, posting_held: &Value) -> String {
    let status = e["status"].as_str().unwrap_or("");
    let position = e["finish_position"].as_i64().unwrap_or_default();
    let mut line = format!(
        "{position:>8}  {:<8} {}",
        status.replace('_', " "),
        e["item_id"].as_str().unwrap_or("")
    );
    let text = e["text"].as_str().filter(|t| !t.is_empty());
    let reason = e["reason"]
        .as_str()
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .or_else(|| (status == "pending").then(|| when_due(e, posting_held, chrono::Local::now())));
    for (i, part) in [text, reason.as_deref()].into_iter().flatten().enumerate() {
        line.push_str(if i == 0 { "  " } else { " — " });
        line.push_str(part);
    }
    if status == "failed" {
        line.push_str(&format!(" → lately retry-tweet {position}"));
    }
    line
}

/// An item of `/v1/current` or `/v1/queue`: its progress, if any, after the title; its id last.
pub fn item_line(i: &Value) -> String {
    let progress = how_far::said(i)
        .map(|p| format!(" {p}"))
        .unwrap_or_default();
    let since = match day(&i["started_at"]) {
        d if d.is_empty() => d,
        d => format!(", since {d}"),
    };
    // Who made it, as the feed's lines say: two books of one title are told apart by it.
    format!(
        "{:<8} {}{}{progress}{since}  ({})",
        kind_word(&i["kind"]),
        i["title"].as_str().unwrap_or(""),
        by(i),
        i["id"].as_str().unwrap_or("")
    )
}

/// An item of the owner's list: [`item_line`] after its status, marked when private.
pub fn owned_line(i: &Value) -> String {
    format!(
        "{:<11} {}{}",
        i["status"].as_str().unwrap_or("").replace('_', " "),
        item_line(i),
        private_mark(i)
    )
}

/// " ★★★★½" for a rating of 4.5, "" for none.
pub fn stars(rating: &Value) -> String {
    rating
        .as_f64()
        .map(|r| {
            let halves = (r * 2.0).round() as usize;
            format!(
                " {}{}",
                "★".repeat(halves / 2),
                if halves % 2 == 1 { "½" } else { "" }
            )
        })
        .unwrap_or_default()
}

/// When a pending tweet that waits on nothing of its own goes out, as your log's page says
/// it: after the grace delay (a finish taken back or changed meanwhile is tweeted as it ends
/// up, or not at all) and X's hold on posting, if any (`posting_held`); or due and not out yet
/// (the notifier catching up, or down). The time is this machine's, to the second, its day
/// said when it is not `now`'s.
pub fn when_due(e: &Value, posting_held: &Value, now: chrono::DateTime<chrono::Local>) -> String {
    let at = |t: &Value| {
        t.as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Local))
    };
    match at(&e["due_at"]).max(at(posting_held)) {
        Some(due) if due > now => {
            let format = match due.date_naive() == now.date_naive() {
                true => "%H:%M:%S",
                false => "%Y-%m-%d %H:%M:%S",
            };
            format!("goes out at {}", due.format(format))
        }
        _ => "due, not out yet".to_owned(),
    }
}

/// " by A, B" for an item's creators, "" for none.
pub fn by(item: &Value) -> String {
    item["creators"]
        .as_array()
        .filter(|c| !c.is_empty())
        .map(|c| {
            format!(
                " by {}",
                c.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .unwrap_or_default()
}

/// The day of an RFC 3339 time in this machine's time zone (`TZ`): the day you finished
/// something at 9 pm is that day, not the next one UTC has reached. Empty when `t` is no time.
pub fn day(t: &Value) -> String {
    date(t)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// [`day`] as a date.
pub fn date(t: &Value) -> Option<chrono::NaiveDate> {
    t.as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Local).date_naive())
}

/// ", took 13 days": how many days of this machine's calendar a finish's read took, as the
/// widget says it in the viewer's; nothing for one begun the day it ended, or never started.
pub fn took(e: &Value) -> String {
    let days = date(&e["started_at"])
        .zip(date(&e["finished_at"]))
        .map_or(0, |(start, end)| (end - start).num_days());
    match days {
        1 => ", took 1 day".to_owned(),
        2.. => format!(", took {days} days"),
        _ => String::new(),
    }
}

/// ", 62h played": the hours a finish's read took to play, when they were logged of no known
/// whole (a game's), as the pages say them.
fn played(e: &Value) -> String {
    e["time_played"]
        .as_u64()
        .and_then(|s| u32::try_from(s).ok())
        .map_or_else(String::new, |s| {
            format!(", {} played", lately_domain::duration(s))
        })
}

/// An item's kind in a line, as the pages name it: a `movie` is a "film" (what `--kind` takes
/// too), the others as the API names them.
fn kind_word(kind: &Value) -> &str {
    match kind.as_str().unwrap_or("") {
        "movie" => "film",
        kind => kind,
    }
}

pub fn feed_line(e: &Value) -> String {
    let stars = stars(&e["rating"]);
    let by = by(&e["item"]);
    // The id last, as `current` shows it: what `edit`, `finish` (a re-read) and `remove` take;
    // then, in the owner's feed, whether it is private, as `items` marks it.
    format!(
        "{}  {:<8} {}{by}{}{}{}{}{}  ({}){}",
        day(&e["finished_at"]),
        kind_word(&e["item"]["kind"]),
        e["item"]["title"].as_str().unwrap_or(""),
        stars,
        took(e),
        played(e),
        again(e),
        heard(e),
        e["item"]["id"].as_str().unwrap_or(""),
        private_mark(e)
    )
}

/// Whether a feed entry's book or article was listened to (an audiobook: the finish said so,
/// or its read was followed in running time), as the pages name it "Audiobook". A podcast
/// always is, and a film followed in time was watched: neither.
pub fn was_heard(e: &Value) -> bool {
    matches!(e["item"]["kind"].as_str(), Some("book" | "article"))
        && e["followed_in"].as_str() == Some("seconds")
}

/// ", listened" for a finish [`was_heard`], nothing for one read.
pub fn heard(e: &Value) -> String {
    match was_heard(e) {
        true => ", listened".to_owned(),
        false => String::new(),
    }
}

/// ", 2nd time" for a re-read's, a rewatch's finish, as the feed marks one; nothing for an
/// item's first (or from a reader too old to number them).
pub fn again(e: &Value) -> String {
    match e["finish_number"].as_u64() {
        Some(n @ 2..) => format!(", {} time", lately_domain::ordinal(n)),
        _ => String::new(),
    }
}

/// "  \[private\]" for what the owner's reads show as private, "" otherwise.
pub fn private_mark(v: &Value) -> &'static str {
    if v["visibility"] == "private" {
        "  [private]"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{tweet_line, when_due};

    #[test]
    fn a_failed_tweet_says_the_command_that_retries_it_and_no_other_does() {
        let entry = |status: &str, reason: &str| {
            json!({
                "finish_position": 42,
                "status": status,
                "item_id": "dune",
                "text": "Finished reading “Dune”",
                "reason": reason,
            })
        };
        assert_eq!(
            tweet_line(
                &entry(
                    "failed",
                    "X answered 403: Forbidden (…, then retry the tweet)"
                ),
                &json!(null)
            ),
            "      42  failed   dune  Finished reading “Dune” — X answered 403: Forbidden (…, \
             then retry the tweet) → lately retry-tweet 42"
        );
        assert_eq!(
            tweet_line(
                &entry("dry_run", "no X credentials: recorded, not posted"),
                &json!(null)
            ),
            "      42  dry run  dune  Finished reading “Dune” — no X credentials: recorded, not \
             posted"
        );
    }

    /// A pending tweet waiting on nothing says when it goes out (the grace delay), or that it
    /// is due and not out yet; one waiting on X says X's reason instead.
    #[test]
    fn a_pending_tweet_says_when_it_goes_out() {
        use chrono::TimeZone;
        let local = |h, m, s| {
            chrono::Local
                .with_ymd_and_hms(2026, 12, 7, h, m, s)
                .unwrap()
        };
        let now = local(21, 0, 0);
        let due = |at: chrono::DateTime<chrono::Local>| json!({ "due_at": at.to_rfc3339() });
        let none = serde_json::Value::Null;
        assert_eq!(
            when_due(&due(local(21, 5, 30)), &none, now),
            "goes out at 21:05:30"
        );
        let tomorrow = now + chrono::Duration::hours(5);
        assert_eq!(
            when_due(&due(tomorrow), &none, now),
            format!("goes out at {}", tomorrow.format("%Y-%m-%d %H:%M:%S"))
        );
        assert_eq!(
            when_due(&due(local(20, 59, 59)), &none, now),
            "due, not out yet"
        );
        assert_eq!(when_due(&json!({}), &none, now), "due, not out yet");
        // X holding posting back: at the hold's end, not before.
        let held = json!(local(21, 12, 0).to_rfc3339());
        assert_eq!(
            when_due(&due(local(20, 59, 59)), &held, now),
            "goes out at 21:12:00"
        );
        assert_eq!(
            when_due(&due(local(21, 30, 0)), &held, now),
            "goes out at 21:30:00"
        );
        assert_eq!(
            when_due(
                &due(local(20, 0, 0)),
                &json!(local(20, 30, 0).to_rfc3339()),
                now
            ),
            "due, not out yet"
        );

        let pending = |reason: serde_json::Value| {
            json!({
                "finish_position": 7,
                "status": "pending",
                "item_id": "heat",
                "due_at": "2000-01-01T00:00:00Z",
                "reason": reason,
            })
        };
        assert_eq!(
            tweet_line(&pending(serde_json::Value::Null), &none),
            "       7  pending  heat  due, not out yet"
        );
        assert_eq!(
            tweet_line(&pending(json!("rate limited (429): …")), &none),
            "       7  pending  heat  rate limited (429): …"
        );
    }
}
