//! Days in words, for the flags that take a day (`--at`, `--started`): `today`, `yesterday`,
//! `3 days ago`, `2 weeks ago`, `monday` or `last monday`.
//!
//! A log of what you finished looks back, so a weekday is the latest one before today (GNU
//! `date` reads `monday` as the next one, which the writer would refuse as in the future).
//! Said on a Monday, `monday` is a week ago: today is `today`. Only these words, not a general
//! date grammar: anything else is a usage error that names the accepted forms, and the CSV
//! import, whose dates are a file's, does not take them.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// The day `words` name, counted back from `today`; `None` if they name none.
pub fn day(words: &str, today: NaiveDate) -> Option<NaiveDate> {
    let words = words.trim().to_ascii_lowercase();
    let words: Vec<&str> = words.split_whitespace().collect();
    match words.as_slice() {
        ["today"] => Some(today),
        ["yesterday"] => today.checked_sub_days(Days::new(1)),
        [n, unit, "ago"] => {
            let n: u64 = n.parse().ok()?;
            let days = match *unit {
                "day" | "days" => n,
                "week" | "weeks" => n.checked_mul(7)?,
                _ => return None,
            };
            today.checked_sub_days(Days::new(days))
        }
        [weekday] | ["last", weekday] => {
            let weekday: Weekday = weekday.parse().ok()?;
            let back =
                (today.weekday().num_days_from_monday() + 7 - weekday.num_days_from_monday()) % 7;
            // The same weekday as today is a week back: today is "today".
            let back = if back == 0 { 7 } else { back };
            today.checked_sub_days(Days::new(back.into()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Saturday, 5 December 2026.
    fn saturday() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
    }

    fn on(d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(2026, 12, d)
    }

    #[test]
    fn words_name_days_counted_back_from_today() {
        let today = saturday();
        for (words, expected) in [
            ("today", on(5)),
            ("Yesterday", on(4)),
            (" 3 days ago ", on(2)),
            ("1 day ago", on(4)),
            ("0 days ago", on(5)),
            ("2 weeks ago", NaiveDate::from_ymd_opt(2026, 11, 21)),
            ("monday", NaiveDate::from_ymd_opt(2026, 11, 30)),
            ("last Monday", NaiveDate::from_ymd_opt(2026, 11, 30)),
            ("fri", on(4)),
            ("saturday", NaiveDate::from_ymd_opt(2026, 11, 28)),
            ("sunday", NaiveDate::from_ymd_opt(2026, 11, 29)),
        ] {
            assert_eq!(day(words, today), expected, "{words:?}");
        }
    }

    #[test]
    fn anything_else_names_no_day() {
        for words in [
            "",
            "tomorrow",
            "next monday",
            "3 days",
            "-3 days ago",
            "three days ago",
            "3 months ago",
            "99999999999999999999 days ago",
            "last",
            "2026-12-01",
        ] {
            assert_eq!(day(words, saturday()), None, "{words:?}");
        }
        // So far back that there is no such day: none, not a panic.
        assert_eq!(day("9223372036854775807 days ago", saturday()), None);
        assert_eq!(day("3000000000000000000 weeks ago", saturday()), None);
    }
}
