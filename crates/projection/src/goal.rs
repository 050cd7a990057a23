//! A year's goal and where a count stands against it: a reading challenge's "14 of 24 books,
//! 2 ahead of schedule". Shared by the stats widget, which shows it, and `lately stats
//! --goal`, which says it; pure, like the rest of the read model.

use chrono::{Datelike, NaiveDate};
use lately_domain::MediaKind;

/// How many finishes the owner means to reach in the year (`goal=24`, with `kind=book` for 24
/// books), as a reading challenge has it. It is given where it is shown — the embed, as its
/// title and limit are, or `lately stats --goal` —: a way of looking at the counts, not a
/// fact of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Goal(u64);

impl Goal {
    /// 1 to 100,000 finishes.
    pub fn new(n: u64) -> Option<Self> {
        (1..=100_000).contains(&n).then_some(Self(n))
    }

    /// A count as a query gives it (`24`); the error says what one looks like.
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.trim().parse().ok().and_then(Self::new).ok_or_else(|| {
            format!("goal must be a whole number of finishes from 1 to 100000 (got {raw:?})")
        })
    }

    /// How many finishes it is.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The owner's goals for the year (`LATELY_GOALS=book=24,movie=52`; `100` alone for
/// everything finished): shown on your page, the year's own and the stats widget by the
/// readers, said in tweets by the notifier (`{goal}`). A setting rather than an event: like
/// the widget's `goal=`, a way of looking at the counts, not a fact of the log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Goals(Vec<(Option<MediaKind>, Goal)>);

impl Goals {
    /// `book=24,movie=52`, `100`, or nothing; the error names the part that is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut goals: Vec<(Option<MediaKind>, Goal)> = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let wrong = |e: String| format!("{part:?}: {e} (goals look like book=24,movie=52)");
            let (kind, count) = match part.split_once('=') {
                Some((kind, count)) => (
                    Some(MediaKind::parse(kind.trim()).map_err(|e| wrong(e.to_string()))?),
                    count,
                ),
                None => (None, part),
            };
            let goal = Goal::parse(count).map_err(wrong)?;
            if goals.iter().any(|(k, _)| *k == kind) {
                return Err(wrong("a second goal for the same finishes".to_owned()));
            }
            goals.push((kind, goal));
        }
        Ok(Self(goals))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each goal: what it counts (one kind's finishes, or all of them) and how many.
    pub fn iter(&self) -> impl Iterator<Item = (Option<MediaKind>, Goal)> + '_ {
        self.0.iter().copied()
    }

    /// The goal a finish of `kind` counts towards first: its kind's, else the one for
    /// everything.
    pub fn of(&self, kind: MediaKind) -> Option<(Option<MediaKind>, Goal)> {
        let goal = |k| self.iter().find(|(of, _)| *of == k);
        goal(Some(kind)).or_else(|| goal(None))
    }
}

/// Where a year's count stands against its goal on `today` (the owner's date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    Reached,
    /// The current year: this many more than an even pace through the year has by today…
    Ahead(u64),
    OnSchedule,
    /// …or fewer.
    Behind(u64),
    /// A past year: this many short of the goal.
    Short(u64),
    /// A year still to come.
    NotYet,
}

impl Pace {
    pub fn of(finished: u64, goal: Goal, year: i32, today: NaiveDate) -> Self {
        use std::cmp::Ordering;
        if finished >= goal.0 {
            return Self::Reached;
        }
        match year.cmp(&today.year()) {
            Ordering::Less => Self::Short(goal.0 - finished),
            Ordering::Greater => Self::NotYet,
            Ordering::Equal => {
                let days = NaiveDate::from_ymd_opt(year, 12, 31).map_or(365, |d| d.ordinal());
                // Rounded down: a goal of 24 expects its first finish from the middle of January.
                let expected = goal.0 * u64::from(today.ordinal()) / u64::from(days);
                match finished.cmp(&expected) {
                    Ordering::Greater => Self::Ahead(finished - expected),
                    Ordering::Equal => Self::OnSchedule,
                    Ordering::Less => Self::Behind(expected - finished),
                }
            }
        }
    }

    /// "2 books ahead of schedule" (`kind`: what is counted, if one kind is), as `widget.js`
    /// says it.
    pub fn describe(self, kind: Option<MediaKind>) -> Option<String> {
        let n = |n: u64| match kind {
            Some(k) => format!("{n} {}", k.noun(n)),
            None => n.to_string(),
        };
        Some(match self {
            Self::Reached => "goal reached".to_owned(),
            Self::Ahead(k) => format!("{} ahead of schedule", n(k)),
            Self::OnSchedule => "on schedule".to_owned(),
            Self::Behind(k) => format!("{} behind schedule", n(k)),
            Self::Short(k) => format!("{} short of the goal", n(k)),
            Self::NotYet => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lately_domain::MediaKind;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_goal_is_paced_evenly_through_the_year() {
        let goal = Goal::parse("24").unwrap();
        // 24 a year is 2 a month: by 1 April (day 91 of 365) 5 are due (5.98, rounded down).
        let april = day(2026, 4, 1);
        assert_eq!(Pace::of(5, goal, 2026, april), Pace::OnSchedule);
        assert_eq!(Pace::of(7, goal, 2026, april), Pace::Ahead(2));
        assert_eq!(Pace::of(2, goal, 2026, april), Pace::Behind(3));
        // None due on 1 January; the whole goal on 31 December, of 366 days in a leap year.
        assert_eq!(Pace::of(0, goal, 2026, day(2026, 1, 1)), Pace::OnSchedule);
        assert_eq!(Pace::of(23, goal, 2028, day(2028, 12, 31)), Pace::Behind(1));
        assert_eq!(
            Pace::of(23, goal, 2028, day(2028, 12, 30)),
            Pace::OnSchedule
        );
        // Reached whenever it is; a past year falls short, a year to come has no pace yet.
        assert_eq!(Pace::of(30, goal, 2026, april), Pace::Reached);
        assert_eq!(Pace::of(24, goal, 2025, april), Pace::Reached);
        assert_eq!(Pace::of(20, goal, 2025, april), Pace::Short(4));
        assert_eq!(Pace::of(0, goal, 2027, april), Pace::NotYet);
    }

    #[test]
    fn a_pace_is_said_in_what_is_counted() {
        let book = Some(MediaKind::Book);
        assert_eq!(
            Pace::Ahead(1).describe(book).as_deref(),
            Some("1 book ahead of schedule")
        );
        assert_eq!(
            Pace::Behind(3).describe(None).as_deref(),
            Some("3 behind schedule")
        );
        assert_eq!(
            Pace::Short(2).describe(Some(MediaKind::Movie)).as_deref(),
            Some("2 films short of the goal")
        );
        assert_eq!(Pace::NotYet.describe(book), None);
    }

    #[test]
    fn goals_are_kinds_counts_or_one_count_for_everything() {
        let goals = Goals::parse(" book=24, movie = 52 ,100,").unwrap();
        assert_eq!(
            goals,
            Goals(vec![
                (Some(MediaKind::Book), Goal::new(24).unwrap()),
                (Some(MediaKind::Movie), Goal::new(52).unwrap()),
                (None, Goal::new(100).unwrap()),
            ])
        );
        assert!(Goals::parse("").unwrap().is_empty());
        for (raw, says) in [
            ("novel=3", "\"novel=3\": "),
            ("book=0", "goal must be a whole number"),
            ("book=24,book=12", "a second goal for the same finishes"),
            ("12,24", "a second goal"),
            ("book:24", "\"book:24\""),
        ] {
            let e = Goals::parse(raw).unwrap_err();
            assert!(
                e.contains(says) && e.contains("book=24,movie=52"),
                "{raw}: {e}"
            );
        }
    }

    #[test]
    fn a_finish_counts_towards_its_kinds_goal_else_the_one_for_everything() {
        let goals = Goals::parse("book=24,100").unwrap();
        let (book, all) = (Goal::new(24).unwrap(), Goal::new(100).unwrap());
        assert_eq!(
            goals.of(MediaKind::Book),
            Some((Some(MediaKind::Book), book))
        );
        assert_eq!(goals.of(MediaKind::Movie), Some((None, all)));
        assert_eq!(Goals::parse("book=24").unwrap().of(MediaKind::Movie), None);
    }

    #[test]
    fn a_goal_is_a_count() {
        assert_eq!(Goal::parse(" 52 ").unwrap(), Goal(52));
        assert_eq!(Goal::parse("100000").unwrap(), Goal(100_000));
        for bad in ["0", "-3", "24.5", "", "100001", "lots"] {
            assert!(Goal::parse(bad).is_err(), "{bad}");
        }
    }
}
