//! `lately stats` and `lately tags`: the counts of a year (or all time) with its months' bars
//! and the owner's goals, and the tags, the most used first.

use lately_domain::MediaKind;
use lately_projection::{Goal, Pace, Zone};
use serde_json::Value;

use crate::client::{CliError, Client};
use crate::lines::stars;
use crate::lists::{each_page, Filter};
use crate::say;

/// Prints the public finishes' counts (or, `all`, the owner's: private ones too), of one kind
/// or tag if `filter` says: a summary line, with a `goal` the year's count against it, then a
/// bar per month of `year` (or per year), and a year's favourites, as its page shows them.
pub async fn stats(
    client: &Client,
    year: Option<i32>,
    all: bool,
    filter: &Filter,
    goal: Option<u32>,
) -> Result<(), CliError> {
    let read = |year: Option<i32>| async move {
        let path = match all {
            true => "/v1/owner/stats",
            false => "/v1/stats",
        };
        let year_param = year.map(|y| y.to_string());
        let mut query = filter.query();
        query.extend(year_param.as_deref().map(|y| ("year", y)));
        let path = match query.is_empty() {
            true => path.to_owned(),
            false => format!(
                "{path}?{}",
                serde_urlencoded::to_string(&query).expect("strings encode")
            ),
        };
        match all {
            true => client.read_as_owner(&path).await,
            false => client.read(&path).await,
        }
    };
    let Some(goal) = goal else {
        let s = read(year).await?;
        say(stats_header(year, &s))?;
        // The owner's goals for the year (the readers' LATELY_GOALS), when it is this one.
        if let (Some(year), Some(goals)) = (year, s["goals"].as_array()) {
            let today = owners_today(&s);
            for g in goals {
                let (Some(n), Some(finished)) = (g["goal"].as_u64(), g["finished"].as_u64()) else {
                    continue;
                };
                let Some(goal) = Goal::new(n) else { continue };
                let kind = g["kind"].as_str().and_then(|k| MediaKind::parse(k).ok());
                say(goal_line(finished, goal, kind, year, today))?;
            }
        }
        stats_bars(year, &s)?;
        return match year {
            Some(year) => favourites(client, year, all, filter).await,
            None => Ok(()),
        };
    };
    let goal = Goal::new(goal.into()).expect("in range, as --goal's parser checks");
    // A goal is a year's: this one where the readers count, which the answer names (a second
    // read only when that year is not this machine's, around New Year).
    let guess = year.unwrap_or_else(|| chrono::Datelike::year(&chrono::Local::now()));
    let mut s = read(Some(guess)).await?;
    let today = owners_today(&s);
    let year = year.unwrap_or(chrono::Datelike::year(&today));
    if year != guess {
        s = read(Some(year)).await?;
    }
    say(stats_header(Some(year), &s))?;
    let kind = filter.kind.and_then(|k| MediaKind::parse(k.as_str()).ok());
    let finished = s["finished"].as_u64().unwrap_or(0);
    say(goal_line(finished, goal, kind, year, today))?;
    stats_bars(Some(year), &s)?;
    favourites(client, year, all, filter).await
}

/// The year's favourites, the finishes it rated highest, on a line of their own: "favourites
/// ★★★★★: The Left Hand of Darkness, Outer Wilds". Nothing when it has none.
async fn favourites(
    client: &Client,
    year: i32,
    all: bool,
    filter: &Filter,
) -> Result<(), CliError> {
    let year = year.to_string();
    let mut query = filter.query();
    query.push(("year", &year));
    let (path, whose) = crate::lists::feed(all);
    let mut finishes = Vec::new();
    each_page(client, path, &query, whose, usize::MAX, |page| {
        finishes.extend_from_slice(page);
        Ok(())
    })
    .await?;
    let picked = lately_projection::favourites(
        &finishes,
        |f| f["rating"].as_f64(),
        |f| f["item"]["id"].as_str().unwrap_or_default(),
    );
    let Some((top, them)) = picked else {
        return Ok(());
    };
    let titles: Vec<&str> = them
        .iter()
        .map(|f| f["item"]["title"].as_str().unwrap_or_default())
        .collect();
    say(format_args!(
        "favourites{}: {}",
        stars(&serde_json::json!(top)),
        titles.join(", ")
    ))
}

/// Today in the owner's calendar: the time zone a stats answer names.
pub fn owners_today(s: &Value) -> chrono::NaiveDate {
    s["time_zone"]
        .as_str()
        .and_then(|z| Zone::parse(z).ok())
        .unwrap_or_default()
        .date(chrono::Utc::now())
}

/// "goal: 14 of 24 books (58%), 2 books ahead of schedule", as the stats widget says it.
pub fn goal_line(
    finished: u64,
    goal: Goal,
    kind: Option<MediaKind>,
    year: i32,
    today: chrono::NaiveDate,
) -> String {
    let of = kind.map_or_else(String::new, |k| format!(" {}", k.noun(goal.get())));
    let pace = Pace::of(finished, goal, year, today)
        .describe(kind)
        .map_or_else(String::new, |p| format!(", {p}"));
    format!(
        "goal: {finished} of {}{of} ({}%){pace}",
        goal.get(),
        finished * 100 / goal.get()
    )
}

/// The bars of `lately stats`: the year's months, or every year.
pub fn stats_bars(year: Option<i32>, s: &Value) -> Result<(), CliError> {
    let rows: Vec<(String, u64)> = match year {
        Some(_) => [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .iter()
        .zip(s["by_month"].as_array().map_or(&[][..], Vec::as_slice))
        .map(|(m, n)| ((*m).to_owned(), n.as_u64().unwrap_or(0)))
        .collect(),
        None => s["by_year"]
            .as_object()
            .map(|y| {
                y.iter()
                    .map(|(year, n)| (year.clone(), n.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default(),
    };
    // Bars scaled to the busiest row, at most 40 wide; a row with any finish gets one.
    let most = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    for (label, n) in rows {
        let width = (n * 40).div_ceil(most) as usize;
        say(format_args!("{label:>4} {n:>4} {}", "▇".repeat(width))
            .to_string()
            .trim_end())?;
    }
    Ok(())
}

/// `lately tags`: a line per tag, "sf  12 items, 9 finished", the names in a column.
pub async fn tags(client: &Client, all: bool) -> Result<(), CliError> {
    let answer = match all {
        true => client.read_as_owner("/v1/owner/tags").await?,
        false => client.read("/v1/tags").await?,
    };
    let tags = answer["tags"].as_array().map_or(&[][..], Vec::as_slice);
    if tags.is_empty() {
        eprintln!("no {}item has a tag", if all { "" } else { "public " });
        return Ok(());
    }
    let width = tags
        .iter()
        .map(|t| t["tag"].as_str().unwrap_or_default().chars().count())
        .max()
        .unwrap_or(0);
    for t in tags {
        let items = t["items"].as_u64().unwrap_or(0);
        say(format_args!(
            "{:<width$}  {items} item{}, {} finished",
            t["tag"].as_str().unwrap_or_default(),
            if items == 1 { "" } else { "s" },
            t["finished"].as_u64().unwrap_or(0)
        ))?;
    }
    Ok(())
}

/// The first line of `lately stats`: the year's (or all time's) count by kind ("7 finished (5
/// books, 2 films)", or of one kind "5 books finished", as the reader's pages say it), the
/// average rating, and the calendar the readers counted in when it is not UTC
/// (`LATELY_TIME_ZONE`: a finish on New Year's Eve in California is that year's there, the
/// next one's in UTC).
pub fn stats_header(year: Option<i32>, s: &Value) -> String {
    let by_kind = s["by_kind"].as_object();
    // The games' hours played beside their count, as the pages say them: " · 142h played".
    let played = |kind: MediaKind| match s["time_played"].as_u64() {
        Some(secs) if kind == MediaKind::Game => format!(
            " · {} played",
            lately_domain::duration(u32::try_from(secs).unwrap_or(u32::MAX))
        ),
        _ => String::new(),
    };
    // In the pages' order and words: "5 books, 2 films, 1 TV show".
    let kinds: Vec<String> = MediaKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let n = by_kind?.get(kind.as_str())?.as_u64()?;
            Some(format!("{n} {}{}", kind.noun(n), played(kind)))
        })
        .collect();
    let one_kind = match by_kind.map(|k| k.keys().collect::<Vec<_>>()).as_deref() {
        Some([kind]) => kind.parse::<MediaKind>().ok(),
        _ => None,
    };
    let rated = match (s["rated"].as_u64(), s["average_rating"].as_f64()) {
        (Some(n), Some(avg)) if n > 0 => format!("; {avg}★ on average over {n} rated"),
        _ => String::new(),
    };
    let zone = match s["time_zone"].as_str() {
        Some(zone) if zone != "UTC" => format!(" (counted in {zone})"),
        _ => String::new(),
    };
    let finished = s["finished"].as_u64().unwrap_or(0);
    let counted = match one_kind {
        Some(kind) => format!(
            "{finished} {} finished{}",
            kind.noun(finished),
            played(kind)
        ),
        None if kinds.is_empty() => format!("{finished} finished"),
        None => format!("{finished} finished ({})", kinds.join(", ")),
    };
    format!(
        "{}: {counted}{rated}{zone}",
        year.map_or_else(|| "All time".to_owned(), |y| y.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_stats_say_the_calendar_they_were_counted_in_unless_utc() {
        let stats = |zone: &str| {
            json!({"finished": 2, "by_kind": {"book": 2}, "rated": 1, "average_rating": 4.5,
                   "time_zone": zone})
        };
        assert_eq!(
            stats_header(Some(2025), &stats("America/Los_Angeles")),
            "2025: 2 books finished; 4.5★ on average over 1 rated \
             (counted in America/Los_Angeles)"
        );
        assert_eq!(
            stats_header(None, &stats("UTC")),
            "All time: 2 books finished; 4.5★ on average over 1 rated"
        );
        // Of several kinds, each counted; of none, the count alone.
        let mixed = json!({"finished": 5, "by_kind": {"tv": 1, "book": 2, "movie": 1, "podcast": 1},
                           "rated": 0, "time_zone": "UTC"});
        assert_eq!(
            stats_header(Some(2026), &mixed),
            "2026: 5 finished (2 books, 1 film, 1 TV show, 1 podcast)"
        );
        let none = json!({"finished": 0, "by_kind": {}, "rated": 0, "time_zone": "UTC"});
        assert_eq!(stats_header(Some(1999), &none), "1999: 0 finished");
        // The games' hours played beside them.
        let games = json!({"finished": 3, "by_kind": {"game": 2, "book": 1}, "rated": 0,
                           "time_zone": "UTC", "time_played": 511_200});
        assert_eq!(
            stats_header(Some(2026), &games),
            "2026: 3 finished (1 book, 2 games · 142h played)"
        );
        let games = json!({"finished": 2, "by_kind": {"game": 2}, "rated": 1,
                           "average_rating": 4.5, "time_zone": "UTC", "time_played": 1_800});
        assert_eq!(
            stats_header(Some(2026), &games),
            "2026: 2 games finished · 30m played; 4.5★ on average over 1 rated"
        );
    }

    #[test]
    fn a_goal_says_how_far_and_the_pace() {
        let goal = Goal::new(24).unwrap();
        let july = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        // Day 182 of 365: 11 of 24 due.
        assert_eq!(
            goal_line(14, goal, Some(MediaKind::Book), 2026, july),
            "goal: 14 of 24 books (58%), 3 books ahead of schedule"
        );
        assert_eq!(
            goal_line(9, goal, None, 2025, july),
            "goal: 9 of 24 (37%), 15 short of the goal"
        );
        assert_eq!(goal_line(0, goal, None, 2027, july), "goal: 0 of 24 (0%)");
    }
}
