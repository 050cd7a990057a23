//! Times as files and flags write them, and as the writer takes them.
//!
//! A day without a time (an export's "2019/04/11", `--at 2026-11-20`) is its noon in this
//! machine's time zone (`TZ`): the day you typed, or a service exported, is your day, the CLI
//! shows it as that day, and noon keeps it that day for a reader of the feed up to 11 hours
//! away. Days in words (`yesterday`) are [`crate::day_words`]'s, and only flags take them.

use chrono::{DateTime, Local, NaiveDate, SecondsFormat, TimeZone, Utc};

use crate::client::CliError;

/// An RFC 3339 time, or a day (`YYYY-MM-DD`; Goodreads writes `YYYY/MM/DD`) at its noon.
pub fn time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.to_utc());
    }
    day(raw).map(noon)
}

/// A day as a file or a flag writes it: YYYY-MM-DD (or with slashes).
pub fn day(raw: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(raw.trim(), f).ok())
}

/// A day as a time: its noon, in this machine's zone.
pub fn noon(d: NaiveDate) -> DateTime<Utc> {
    let noon = d.and_hms_opt(12, 0, 0).expect("noon exists");
    // Noon is next to never ambiguous or skipped; a day a zone skipped whole (Samoa's
    // 2011-12-30) has none, and then noon UTC stands in.
    Local
        .from_local_datetime(&noon)
        .earliest()
        .map_or_else(|| noon.and_utc(), |t| t.to_utc())
}

/// A time as the writer's `at`: RFC 3339 in UTC, to the precision it was given.
pub fn at_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// [`time`] as the writer's `at`.
pub fn instant(raw: &str) -> Option<String> {
    time(raw).map(at_text)
}

/// `--at`'s time, as the writer takes it.
pub fn at(raw: &str) -> Result<String, CliError> {
    time_of("--at", raw).map(at_text)
}

/// The time a flag gives (`--at`, `--started`): the time itself, or a day's noon — today's
/// no later than now, so that a finish "today" in the morning is not one in the future.
pub fn time_of(flag: &str, raw: &str) -> Result<DateTime<Utc>, CliError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw.trim()) {
        return Ok(t.to_utc());
    }
    let now = Utc::now();
    day(raw)
        .or_else(|| crate::day_words::day(raw, now.with_timezone(&Local).date_naive()))
        .map(|d| noon(d).min(now))
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{flag} {raw:?}: use a day (YYYY-MM-DD, today, yesterday, 3 days ago, monday) or an RFC 3339 time"
            ))
        })
}
