//! Times as files and flags write them, and as the writer takes them.
//!
//! A day without a time (an export's "2019/04/11", `--at 2026-11-20`) is its noon in this
//! machine's time zone (`TZ`): the day you typed, or a service exported, is your day, the CLI
//! shows it as that day, and noon keeps it that day for a reader of the feed up to 11 hours
//! away. Days in words (`yesterday`) are [`crate::day_words`]'s, and only flags take them.

use chrono::{DateTime, Datelike, Local, NaiveDate, SecondsFormat, TimeZone, Utc};

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
///
/// A day after today, or a time more than a day ahead (the writer's allowance for clocks), is
/// refused, as is one before 1900, as the writer refuses them: a year mistyped (2062 for 2026)
/// is said here, before anything is written — `add --finished --at` would otherwise add the
/// item and have its finish refused.
pub fn time_of(flag: &str, raw: &str) -> Result<DateTime<Utc>, CliError> {
    time_at(flag, raw, Utc::now())
}

/// [`time_of`] as of `now`.
fn time_at(flag: &str, raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, CliError> {
    let refused = |why: String| Err(CliError::Usage(format!("{flag} {}: {why}", raw.trim())));
    let t = match DateTime::parse_from_rfc3339(raw.trim()) {
        Ok(t) if t.to_utc() > now + chrono::Duration::days(1) => {
            return refused("that is in the future".into())
        }
        Ok(t) => t.to_utc(),
        Err(_) => {
            let today = now.with_timezone(&Local).date_naive();
            let Some(d) = day(raw).or_else(|| crate::day_words::day(raw, today)) else {
                return Err(CliError::Usage(format!(
                    "{flag} {raw:?}: use a day (YYYY-MM-DD, today, yesterday, 3 days ago, monday) or an RFC 3339 time"
                )));
            };
            if d > today {
                return refused(format!(
                    "{d} is after today ({today}); was the year mistyped?"
                ));
            }
            noon(d).min(now)
        }
    };
    if t.year() < 1900 {
        return refused("that is before 1900; was the year mistyped?".into());
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(r: Result<DateTime<Utc>, CliError>) -> String {
        match r {
            Ok(t) => t.to_rfc3339(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_flags_day_in_the_future_or_before_1900_is_refused_not_moved() {
        let now = Utc::now();
        let today = now.with_timezone(&Local).date_naive();
        let tomorrow = today.succ_opt().unwrap();
        // Today's noon, no later than now; yesterday's noon.
        assert_eq!(time_at("--at", "today", now).unwrap(), noon(today).min(now));
        let yesterday = today.pred_opt().unwrap();
        assert_eq!(
            time_at("--at", &yesterday.to_string(), now).unwrap(),
            noon(yesterday)
        );
        // A later day was taken as now: a typo recorded as a finish today.
        let refused = said(time_at("--at", &tomorrow.to_string(), now));
        assert!(
            refused.contains(&format!(
                "--at {tomorrow}: {tomorrow} is after today ({today}); was the year mistyped?"
            )),
            "{refused}"
        );
        assert!(said(time_at("--started", "2162-01-01", now)).contains("after today"));
        // A time: a clock a little ahead is the writer's to allow; a day ahead is not.
        let soon = (now + chrono::Duration::hours(2)).to_rfc3339();
        assert!(time_at("--at", &soon, now).is_ok());
        let later = (now + chrono::Duration::days(2)).to_rfc3339();
        assert!(said(time_at("--at", &later, now)).contains("in the future"));
        for old in ["1850-01-01", "1899-12-31T23:00:00Z"] {
            assert!(
                said(time_at("--at", old, now)).contains("before 1900"),
                "{old}"
            );
        }
        assert!(time_at("--at", "1900-01-02", now).is_ok());
    }
}
