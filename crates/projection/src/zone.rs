//! The owner's time zone, which queries count years and months in.

use chrono::{DateTime, Datelike, Utc};

/// The owner's time zone: the calendar a finish's year and month are counted in, for the
/// feed's `year` filter and the stats. A book finished at 11 pm on New Year's Eve in
/// California is that year's, though in UTC it is the next's. UTC unless a reader is told
/// otherwise (`LATELY_TIME_ZONE`). A query's setting, not state: no snapshot or state hash
/// depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone(pub chrono_tz::Tz);

impl Default for Zone {
    fn default() -> Self {
        Self(chrono_tz::Tz::UTC)
    }
}

impl Zone {
    /// An IANA name (`Europe/Berlin`), as `LATELY_TIME_ZONE` gives it; the error says what
    /// one looks like.
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.trim().parse().map(Self).map_err(|_| {
            format!(
                "{raw:?} is not an IANA time zone name (Europe/Berlin, America/Los_Angeles, UTC)"
            )
        })
    }

    /// The calendar day `at` falls on here, as `2026-12-31`.
    pub fn day(self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.0).format("%Y-%m-%d").to_string()
    }

    /// The calendar date `at` falls on here.
    pub fn date(self, at: DateTime<Utc>) -> chrono::NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }

    /// How many days of the calendar here lie between `from` and `to`: how long a read took
    /// (0 for one begun the day it ended), as the feeds, the widget and the tweet count it.
    pub fn days_between(self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        (self.date(to) - self.date(from)).num_days()
    }

    /// Its IANA name (`Europe/Berlin`).
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The year and the month (0–11) `at` falls in here.
    pub(crate) fn year_month0(self, at: DateTime<Utc>) -> (i32, u32) {
        if self.0 == chrono_tz::Tz::UTC {
            return (at.year(), at.month0());
        }
        let local = at.with_timezone(&self.0);
        (local.year(), local.month0())
    }

    /// The year `at` falls in here.
    pub fn year(self, at: DateTime<Utc>) -> i32 {
        self.year_month0(at).0
    }
}
