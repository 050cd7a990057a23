//! How far through an item, as a person says it: a percentage (`60`, `60%`), where they are
//! of how many (`183/304`: page 183 of 304), or of how long in running time, as a player shows
//! it (`1:20:00/4:12:00`, `45:10/1:20:00`, `5h30m/12h`: an audiobook, a podcast), a game's
//! hours played of no known whole (`12h`), or a show's season and episode (`S2E5`, `2x05`),
//! of no known whole either. `lately progress` takes it, and so does the
//! `progress` column of a CSV import; `lately export` writes it back the same way.
//! `lately progress` also takes how much further ([`Move::By`], `+20`), and a bare number
//! ([`Move::At`], `200`: page 200 of the item's own count when it has one, else 200 percent,
//! as your log's page takes it), each the item's own business: made absolute here, from the
//! item as the feed answers it.
//!
//! A count is sent as a count (`{"done": 183, "of": 304}`), so that the writer stores the page
//! and the readers can say "page 183 of 304"; the writer makes its percentage. A percentage's
//! range is the writer's to check, as for any client; a count is checked here too, since a
//! mistyped one (`304/183`) is better refused before anything is sent.

use std::fmt;

use lately_domain::{duration, MediaKind, Portion, Unit};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HowFar {
    Percent(i64),
    Counted(Portion),
}

impl HowFar {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let expected = "expected a percentage (60, 60%), where you are of how many (183/304) or \
                        of how long (1:20:00/4:12:00, 5h30m/12h), time played (12h), or a \
                        season's episode (S2E5)";
        if let Some((season, episode)) = season_episode(raw) {
            return Portion::episode(season, episode)
                .map(Self::Counted)
                .map_err(|e| format!("{raw}: {}", e.0));
        }
        match raw.split_once('/') {
            // Time played of no known whole (a game's), as `lately export` writes it.
            None if is_time(raw) => seconds(raw)
                .and_then(|n| Portion::played(n).ok())
                .map(Self::Counted)
                .ok_or_else(|| format!("{raw}: {expected}")),
            Some((done, of)) if is_time(done) || is_time(of) => {
                let (Some(done), Some(of)) = (seconds(done), seconds(of)) else {
                    return Err(format!("{raw}: {expected}"));
                };
                Portion::parse_in(done, of, Unit::Seconds)
                    .map(Self::Counted)
                    .map_err(|_| {
                        format!(
                            "{raw}: where you are must be at most how long it runs, and that from \
                             1 second to {} hours (1:20:00/4:12:00: 1h 20m of 4h 12m)",
                            Portion::MAX / 3600
                        )
                    })
            }
            Some((done, of)) => {
                let (Ok(done), Ok(of)) = (done.trim().parse::<i64>(), of.trim().parse::<i64>())
                else {
                    return Err(expected.to_owned());
                };
                Portion::parse(done, of).map(Self::Counted).map_err(|_| {
                    format!(
                        "{raw}: where you are must be at most how many there are, and that from \
                         1 to {} (183/304: page 183 of 304)",
                        Portion::MAX
                    )
                })
            }
            None => raw
                .strip_suffix('%')
                .unwrap_or(raw)
                .trim()
                .parse()
                .map(Self::Percent)
                .map_err(|_| expected.to_owned()),
        }
    }

    /// As the item's line says it: "page 203 of 304 (66%)", "episode 4 of 12 (33%)", "40%",
    /// "12h played", "S2 E5".
    pub fn said(self, kind: MediaKind) -> String {
        match self {
            Self::Percent(percent) => format!("{percent}%"),
            Self::Counted(p) => with_percent(p, kind),
        }
    }

    /// The body of `POST /v1/items/{id}/progress`, without a time.
    pub fn body(self) -> Value {
        match self {
            Self::Percent(percent) => json!({ "percent": percent }),
            // As the domain stores a count: `done`, `of`, and `unit` when it is not the item's own.
            Self::Counted(p) => json!(p),
        }
    }
}

/// What `lately progress` takes: where you are, or how much further you got (`+20`: twenty
/// pages or episodes on from a counted progress, twenty points on from a percentage). A step
/// is not a CSV column's: a file read twice must land in the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    To(HowFar),
    By(i64),
    /// A bare number (`200`): where you are in the item's own count when it has one (page 200
    /// of its 462), else a percentage. Taken as a percentage always, a reader at page 90 of 462
    /// who typed `90` was logged at 90%, silently; your log's page read it as page 90.
    At(i64),
    /// How much further in running time (`+45m`), in seconds: on from a count of time.
    ByTime(i64),
    /// Where you are in running time (`1:20:00`), in seconds: of the item's count of time.
    AtTime(i64),
}

impl Move {
    pub fn parse(raw: &str) -> Result<Self, String> {
        // "12h played", as the pages say a game's hours back: time played, of no known whole,
        // whatever whole was given before.
        let raw = raw.trim();
        let bare = raw.strip_suffix(" played").unwrap_or(raw).trim();
        if bare.len() < raw.len() && is_time(bare) && !bare.starts_with('+') && !bare.contains('/')
        {
            return seconds(bare)
                .ok_or_else(|| format!("{bare}: expected a time (12h, 12h30m, 12:30:00)"))
                .and_then(|n| Portion::played(n).map_err(|e| e.0))
                .map(|p| Self::To(HowFar::Counted(p)));
        }
        if is_time(bare) && !bare.contains('/') {
            // As long as hours played can be (a whole's end is the item's to check).
            let max = i64::from(Portion::PLAYED_MAX);
            let step = bare.strip_prefix('+');
            return match seconds(step.unwrap_or(bare)) {
                Some(n) if n > max => Err(format!("{bare}: at most 10,000 hours")),
                Some(n) if step.is_some() && n > 0 => Ok(Self::ByTime(n)),
                Some(n) if step.is_none() => Ok(Self::AtTime(n)),
                _ => Err(format!(
                    "{bare}: expected a time as a player shows it (1:20:00, 45:10) or 1h20m, \
                     45m, 90s; +45m: forty-five minutes on"
                )),
            };
        }
        if !bare.is_empty() && bare.bytes().all(|b| b.is_ascii_digit()) {
            return bare
                .parse::<i64>()
                .ok()
                .filter(|n| *n <= i64::from(Portion::MAX))
                .map(Self::At)
                .ok_or_else(|| {
                    format!(
                        "{bare}: that is more than any count (at most {})",
                        Portion::MAX
                    )
                });
        }
        let Some(step) = raw.trim().strip_prefix('+') else {
            return HowFar::parse(raw).map(Self::To);
        };
        step.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=i64::from(Portion::MAX)).contains(n))
            .map(Self::By)
            .ok_or_else(|| {
                format!(
                    "{}: expected how much further, +1 to +{} (+20: twenty pages on)",
                    raw.trim(),
                    Portion::MAX
                )
            })
    }

    /// Where the move lands for `item` (as the feed answers it, with `progress`, and
    /// `progress_done` of `progress_of` when counted, in `progress_unit` when not its own, of
    /// `progress_season` when an episode of it): a step goes on in the item's own units (page
    /// 183 of 304, +20: page 203 of 304; S2 E5, +1: S2 E6), in its running time (+45m), or in
    /// points of its percentage; a bare number is a place in those units (200: page 200 of
    /// 304; 6: S2 E6), or a percentage; a time, a place in its running time.
    /// Refused past the end (that is a finish), with no progress to go on from, and where a
    /// time and a count of pages or a percentage would mix.
    pub fn from(self, item: &Value) -> Result<HowFar, String> {
        let title = item["title"].as_str().unwrap_or("the item");
        let said = |p: Portion| p.describe(kind(item));
        let now = counted(item, "progress_done", "progress_of");
        let (counted, timed) = match now {
            Some(p) if p.unit() == Unit::Seconds => (None, Some(p)),
            _ => (now, None),
        };
        let past_the_end = |at: String, n: String| {
            format!("{title} is at {at}: {n} would be past the end (`lately finish` once you get there)")
        };
        match (self, timed) {
            (Self::To(how_far), _) => Ok(how_far),
            // A game's time alone is its hours played, of however long it takes: a guide's
            // "40 hours" is no whole anyone is held to.
            (Self::AtTime(n), None) if kind(item) == MediaKind::Game => {
                Portion::played(n).map(HowFar::Counted).map_err(|e| e.0)
            }
            (Self::ByTime(n), None)
                if kind(item) == MediaKind::Game
                    && counted.is_none()
                    && item["progress"].is_null() =>
            {
                Portion::played(n).map(HowFar::Counted).map_err(|e| e.0)
            }
            (Self::ByTime(_) | Self::AtTime(_), None) => {
                // A game runs as long as it takes to play (a guide's "40 hours"), not as a
                // player's clock shows it.
                let (time, ask) = match kind(item) {
                    MediaKind::Game => (
                        "hours played",
                        "the hours played (12h), or of how many it takes (12h/40h)",
                    ),
                    _ => (
                        "running time",
                        "where you are of how long it runs first (1:20:00/4:12:00)",
                    ),
                };
                let at = match (counted, item["progress"].as_i64()) {
                    (Some(p), _) => format!("{title} is at {}", said(p)),
                    (None, Some(percent)) => format!("{title} is followed in percent ({percent}%)"),
                    (None, None) => format!("{title} has no {time} to go by"),
                };
                Err(format!("{at}: say {ask}"))
            }
            // A game's hours played are counted in hours, a running time in minutes.
            (Self::By(n) | Self::At(n), Some(p))
                if p.of().is_none() && kind(item) == MediaKind::Game =>
            {
                let meant = match self {
                    Self::By(_) => format!("+{n}h: {n} hours more"),
                    _ => format!("{n}h: {n} hours played"),
                };
                Err(format!(
                    "{title} is at {}, in hours played: {n} what? ({meant})",
                    said(p)
                ))
            }
            (Self::By(n) | Self::At(n), Some(p)) => {
                let meant = match self {
                    Self::By(_) => format!("+{n}m: {n} minutes further on"),
                    _ => format!("{n}m: {n} minutes in"),
                };
                Err(format!(
                    "{title} is at {}, in running time: {n} what? ({meant})",
                    said(p)
                ))
            }
            (Self::ByTime(n), Some(p)) => match p.of() {
                Some(of) => {
                    Portion::parse_in(i64::from(p.done()) + n, i64::from(of), Unit::Seconds)
                        .map_err(|_| past_the_end(said(p), format!("{} more", duration(n as u32))))
                }
                None => Portion::played(i64::from(p.done()) + n).map_err(|e| e.0),
            }
            .map(HowFar::Counted),
            (Self::AtTime(n), Some(p)) => match p.of() {
                Some(of) => Portion::parse_in(n, i64::from(of), Unit::Seconds)
                    .map_err(|_| past_the_end(said(p), duration(n as u32))),
                None => Portion::played(n).map_err(|e| e.0),
            }
            .map(HowFar::Counted),
            (Self::At(n), None) => match counted {
                // Nothing logged yet of a book or a show: its "45" is page 45 far more often
                // than 45%, and of how many is not known yet. Asked, not taken for a percentage.
                None if item["progress"].is_null()
                    && matches!(kind(item), MediaKind::Book | MediaKind::Tv) =>
                {
                    let (unit, season) = if kind(item) == MediaKind::Book {
                        ("page", String::new())
                    } else {
                        ("episode", format!(", S1E{n} for season 1's"))
                    };
                    // An example past where they are: 412, or a round count beyond it.
                    let of = if n < 412 { 412 } else { (n / 100 + 2) * 100 };
                    Err(format!(
                        "{title}: {unit} {n} of how many? Say it whole, {n}/… ({n}/{of}: {unit} \
                         {n} of {of}){season}{}",
                        or_percent(n, ", or ", " for a percentage")
                    ))
                }
                // A game's "20" is as likely 20 hours as 20%, a podcast's or a film's "45"
                // 45 minutes: asked too. (Only an article is followed in percent alone.)
                None if item["progress"].is_null()
                    && matches!(
                        kind(item),
                        MediaKind::Game | MediaKind::Podcast | MediaKind::Movie
                    ) =>
                {
                    let say = match kind(item) {
                        MediaKind::Game => format!("{n}h for hours played"),
                        _ if n < 60 => format!(
                            "where you are of how long it runs ({n}:00/1:20:00: {n}m of 1h 20m)"
                        ),
                        _ => "where you are of how long it runs (1:20:00/4:12:00)".to_owned(),
                    };
                    Err(format!(
                        "{title}: {n} what? Say {say}{}",
                        or_percent(n, ", or ", " for a percentage")
                    ))
                }
                // An episode of the season it is in.
                Some(p) if p.season().is_some() => {
                    Portion::episode(p.season().map_or(0, i64::from), n)
                        .map(HowFar::Counted)
                        .map_err(|e| e.0)
                }
                // (Any other count of the item's own units has its whole: only time is open.)
                Some(p) => Portion::parse(n, p.of().map_or(0, i64::from))
                    .map(HowFar::Counted)
                    .map_err(|_| {
                        format!(
                            "{title} is at {}: {n} would be past the end (`lately finish` once \
                             you get there; another count: {n}/…{})",
                            said(p),
                            or_percent(n, ", a percentage: ", "")
                        )
                    }),
                None if n <= 100 => Ok(HowFar::Percent(n)),
                None => Err(format!(
                    "{title} is followed in percent, and {n} is more than 100: say where you are \
                     of how many (183/304: page 183 of 304)"
                )),
            },
            (Self::By(n), None) => match (counted, item["progress"].as_i64()) {
                (Some(p), _) if p.season().is_some() => {
                    Portion::episode(p.season().map_or(0, i64::from), i64::from(p.done()) + n)
                        .map(HowFar::Counted)
                        .map_err(|e| e.0)
                }
                (Some(p), _) => {
                    Portion::parse(i64::from(p.done()) + n, p.of().map_or(0, i64::from))
                        .map(HowFar::Counted)
                        .map_err(|_| past_the_end(said(p), format!("+{n}")))
                }
                (None, Some(percent)) if percent + n <= 100 => Ok(HowFar::Percent(percent + n)),
                (None, Some(percent)) => Err(past_the_end(format!("{percent}%"), format!("+{n}"))),
                (None, None) => Err(format!(
                    "{title} has no progress to go on from: say where you are first (183/304, \
                     60%, or 1:20:00/4:12:00)"
                )),
            },
        }
    }
}

/// As it was given: `60`, `183/304`, `1:20:00/4:12:00`, `12:00:00` (time played) or `S02E05`
/// (what a CSV's `progress` column holds).
impl fmt::Display for HowFar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Percent(percent) => write!(f, "{percent}"),
            Self::Counted(p) if p.season().is_some() => {
                write!(f, "S{:02}E{:02}", p.season().unwrap_or_default(), p.done())
            }
            Self::Counted(p) => match (p.unit(), p.of()) {
                (_, None) => write!(f, "{}", clock(p.done())),
                (Unit::Seconds, Some(of)) => write!(f, "{}/{}", clock(p.done()), clock(of)),
                (Unit::Own, Some(of)) => write!(f, "{}/{of}", p.done()),
            },
        }
    }
}

/// A count as a person reads it, with the percentage it is: "page 183 of 304 (60%)"; time
/// played of no known whole has none ("12h played").
fn with_percent(p: Portion, kind: MediaKind) -> String {
    match p.percent() {
        Some(percent) => format!("{} ({}%)", p.describe(kind), percent.get()),
        None => p.describe(kind),
    }
}

/// The percentage a bare number could also be, offered only where it can be one (not 120%).
fn or_percent(n: i64, before: &str, after: &str) -> String {
    if (0..=100).contains(&n) {
        format!("{before}{n}%{after}")
    } else {
        String::new()
    }
}

/// A show's season and episode as players and trackers say them: `S2E5`, `s02e05`, `S2 E5`,
/// `season 2, episode 5`, `2x05`.
fn season_episode(raw: &str) -> Option<(i64, i64)> {
    let said: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect::<String>()
        .to_ascii_lowercase();
    // A number of at most 7 digits, and what follows it.
    let number = |s: &str| {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let n = (1..=7).contains(&end).then(|| s[..end].parse::<i64>().ok());
        n.flatten().map(|n| (n, s[end..].to_owned()))
    };
    let (season, rest) = match said.strip_prefix("season").or(said.strip_prefix('s')) {
        Some(rest) => {
            let (season, rest) = number(rest)?;
            let rest = ["episode", "ep", "e"]
                .iter()
                .find_map(|e| rest.strip_prefix(e))?;
            (season, rest.to_owned())
        }
        None => {
            let (season, rest) = number(&said)?;
            (season, rest.strip_prefix('x')?.to_owned())
        }
    };
    let (episode, rest) = number(&rest)?;
    rest.is_empty().then_some((season, episode))
}

/// Whether `raw` is said as a time (`1:20:00`, `45:10`, `1h20m`, `45m`, `+90s`), not a number
/// (nor words: `60 pages` is no time).
fn is_time(raw: &str) -> bool {
    let raw = raw.trim().trim_start_matches('+');
    raw.contains(':')
        || (raw.ends_with(['h', 'm', 's'])
            && raw
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_whitespace() || matches!(c, 'h' | 'm' | 's')))
}

/// The seconds of a time as a player shows it — `1:20:00` (hours, minutes, seconds), `45:10`
/// (minutes, seconds) — or in letters: `1h20m`, `1h 20m`, `45m`, `90s`, `2h`.
fn seconds(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let number = |s: &str| {
        (!s.is_empty() && s.len() <= 7 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i64>().ok())
            .flatten()
    };
    if raw.contains(':') {
        let parts: Vec<&str> = raw.split(':').collect();
        // After the first, two digits each, under 60: a player's 1:05:09.
        let sixty = |s: &str| number(s).filter(|n| s.len() == 2 && *n < 60);
        return match parts[..] {
            [m, s] => Some(number(m)? * 60 + sixty(s)?),
            [h, m, s] => Some(number(h)? * 3600 + sixty(m)? * 60 + sixty(s)?),
            _ => None,
        };
    }
    let (mut total, mut rest, mut units) = (0, raw, "hms");
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n = number(&rest[..digits])?;
        let after = rest[digits..].trim_start();
        let unit = after.chars().next()?;
        // Each of h, m, s once, in that order.
        let at = units.find(unit)?;
        units = &units[at + 1..];
        total += n * [3600, 60, 1]["hms".find(unit)?];
        rest = after[1..].trim_start();
    }
    (total > 0 || raw.starts_with('0')).then_some(total)
}

/// Seconds as a player shows them, for a CSV's column: `1:20:00`, `0:45:10`.
fn clock(seconds: u32) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    format!("{h}:{m:02}:{s:02}")
}

/// An item's progress as the readers answer it (`progress`, and `progress_done` of
/// `progress_of` when it was counted), as a person reads it: "page 183 of 304 (60%)", "60%"
/// or "12h played".
pub fn said(item: &Value) -> Option<String> {
    match counted(item, "progress_done", "progress_of") {
        Some(p) => Some(with_percent(p, kind(item))),
        None => Some(format!("{}%", item["progress"].as_u64()?)),
    }
}

/// An `item_progress_logged` event's data in `item`'s history, as [`said`] says it.
pub fn said_of_event(data: &Value, item: &Value) -> String {
    match counted(data, "done", "of") {
        Some(p) => with_percent(p, kind(item)),
        None => format!("{}%", data["percent"]),
    }
}

/// An item's progress as a CSV's `progress` column holds it: `183/304`, `60` or `12:00:00`.
pub fn column(item: &Value) -> String {
    match counted(item, "progress_done", "progress_of") {
        Some(p) => HowFar::Counted(p).to_string(),
        None => item["progress"]
            .as_u64()
            .map(|p| p.to_string())
            .unwrap_or_default(),
    }
}

/// The count at `done` of `of` in `v`, in seconds when `v` says so (`progress_unit` of an
/// item as the readers answer it, `unit` of a stored event's data), or `done` seconds alone
/// (time played), or `done` of a season (`progress_season`, `season`).
fn counted(v: &Value, done: &str, of: &str) -> Option<Portion> {
    let timed = [&v["progress_unit"], &v["unit"]].contains(&&json!("seconds"));
    let unit = if timed { Unit::Seconds } else { Unit::Own };
    let season = v["progress_season"].as_i64().or(v["season"].as_i64());
    Portion::from_parts(Some(v[done].as_i64()?), v[of].as_i64(), Some(unit), season)
        .ok()
        .flatten()
}

fn kind(item: &Value) -> MediaKind {
    item["kind"]
        .as_str()
        .and_then(|k| MediaKind::parse(k).ok())
        .unwrap_or(MediaKind::Article)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_number_is_a_place_in_the_items_own_count_else_a_percentage() {
        let book = json!({"title": "Dune", "kind": "book", "progress": 60,
                          "progress_done": 183, "progress_of": 304});
        let at = |raw: &str, item: &Value| Move::parse(raw).unwrap().from(item);
        // Page 200 of its 304, as your log's page takes "200"; 90 is page 90, not 90%.
        assert_eq!(at("200", &book).unwrap().to_string(), "200/304");
        assert_eq!(at(" 90 ", &book).unwrap().to_string(), "90/304");
        let past = at("350", &book).unwrap_err();
        assert!(
            past.contains("Dune is at page 183 of 304: 350 would be past the end")
                && past.ends_with("another count: 350/…)"),
            "{past}"
        );
        let short = json!({"title": "Essay", "kind": "article", "progress": 10,
                           "progress_done": 2, "progress_of": 20});
        assert!(
            at("40", &short)
                .unwrap_err()
                .ends_with("another count: 40/…, a percentage: 40%)"),
            "a percentage where it can be one"
        );
        // With a % it is a percentage whatever the item; with a count, a count.
        assert_eq!(Move::parse("90%").unwrap(), Move::To(HowFar::Percent(90)));
        assert_eq!(at("90/412", &book).unwrap().to_string(), "90/412");
        // An item followed in percent, or not yet at all: a percentage, at most 100.
        let article = json!({"title": "Essay", "kind": "article", "progress": 30});
        let queued = json!({"title": "Slow Web", "kind": "article", "progress": null});
        assert_eq!(at("40", &article).unwrap(), HowFar::Percent(40));
        assert_eq!(at("40", &queued).unwrap(), HowFar::Percent(40));
        // A book or a show with nothing logged yet: page 45 of how many? (Not 45%.)
        let unread = json!({"title": "Dune", "kind": "book", "progress": null});
        let asked = at("45", &unread).unwrap_err();
        assert_eq!(
            asked,
            "Dune: page 45 of how many? Say it whole, 45/… (45/412: page 45 of 412), or 45% for \
             a percentage"
        );
        // Past 100 it cannot be a percentage, and the example count is past it.
        assert_eq!(
            at("520", &unread).unwrap_err(),
            "Dune: page 520 of how many? Say it whole, 520/… (520/700: page 520 of 700)"
        );
        let show = json!({"title": "Severance", "kind": "tv"});
        assert!(at("3", &show)
            .unwrap_err()
            .contains("episode 3 of how many?"));
        // A game's, a podcast's, a film's: hours, minutes, or a percentage? Asked too.
        let game = json!({"title": "Outer Wilds", "kind": "game", "progress": null});
        assert_eq!(
            at("20", &game).unwrap_err(),
            "Outer Wilds: 20 what? Say 20h for hours played, or 20% for a percentage"
        );
        let episode = json!({"title": "Napoleon", "kind": "podcast", "progress": null});
        assert_eq!(
            at("45", &episode).unwrap_err(),
            "Napoleon: 45 what? Say where you are of how long it runs (45:00/1:20:00: 45m of 1h \
             20m), or 45% for a percentage"
        );
        let film = json!({"title": "Heat", "kind": "movie", "progress": null});
        assert_eq!(
            at("120", &film).unwrap_err(),
            "Heat: 120 what? Say where you are of how long it runs (1:20:00/4:12:00)"
        );
        // Once followed in percent, a bare number is a percentage.
        let percent = json!({"title": "Dune", "kind": "book", "progress": 30});
        assert_eq!(at("45", &percent).unwrap(), HowFar::Percent(45));
        let over = at("120", &queued).unwrap_err();
        assert!(
            over.contains("Slow Web is followed in percent, and 120 is more than 100"),
            "{over}"
        );
        assert!(Move::parse("2000000").is_err());
    }

    #[test]
    fn a_step_goes_on_in_the_items_own_units() {
        let book = json!({"title": "Dune", "kind": "book", "progress": 60,
                          "progress_done": 183, "progress_of": 304});
        let step = Move::parse(" +20 ").unwrap();
        assert_eq!(step.from(&book).unwrap().to_string(), "203/304");
        assert_eq!(
            Move::parse("+121")
                .unwrap()
                .from(&book)
                .unwrap()
                .to_string(),
            "304/304"
        );
        let past = Move::parse("+122").unwrap().from(&book).unwrap_err();
        assert!(
            past.contains("Dune is at page 183 of 304") && past.contains("finish"),
            "{past}"
        );

        let film = json!({"title": "Heat", "kind": "movie", "progress": 35});
        assert_eq!(step.from(&film).unwrap(), HowFar::Percent(55));
        assert_eq!(
            Move::parse("+65").unwrap().from(&film).unwrap(),
            HowFar::Percent(100)
        );
        assert!(Move::parse("+66")
            .unwrap()
            .from(&film)
            .unwrap_err()
            .contains("at 35%"));
        let queued = json!({"title": "Heat", "kind": "movie"});
        assert!(step
            .from(&queued)
            .unwrap_err()
            .contains("no progress to go on from"));

        // Where you are is where you are, whatever the item says.
        let to = Move::parse("10/20").unwrap();
        assert_eq!(to.from(&queued).unwrap().to_string(), "10/20");
        for bad in ["+0", "+-3", "+", "+x", "+2000000"] {
            assert!(
                Move::parse(bad).unwrap_err().contains("how much further"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_count_or_a_percentage() {
        let page = HowFar::parse(" 183/304 ").unwrap();
        assert_eq!(page.body(), json!({"done": 183, "of": 304}));
        assert_eq!(page.to_string(), "183/304");
        assert_eq!(HowFar::parse("60%").unwrap().body(), json!({"percent": 60}));
        assert_eq!(HowFar::parse("60").unwrap().to_string(), "60");
        for bad in [
            "305/304",
            "3/0",
            "-1/5",
            "a/b",
            "sixty",
            "1/2000000",
            "60 pages",
        ] {
            assert!(HowFar::parse(bad).is_err(), "{bad} taken");
        }
    }

    #[test]
    fn a_running_time_as_a_player_shows_it_or_in_letters() {
        assert_eq!(seconds("1:20:00"), Some(4_800));
        assert_eq!(seconds("45:10"), Some(2_710));
        assert_eq!(seconds(" 1h 20m "), Some(4_800));
        assert_eq!(seconds("1h20m30s"), Some(4_830));
        assert_eq!(seconds("45m"), Some(2_700));
        assert_eq!(seconds("90s"), Some(90));
        for bad in [
            "1:5", "1:60:00", "1:2:3:4", "20m1h", "1h1h", "1h20", "h", "", "x:10",
        ] {
            assert_eq!(seconds(bad), None, "{bad}");
        }
        // An audiobook: its place and length as Apple Books shows them, or in letters.
        let timed = HowFar::parse("1:20:00/4:12:00").unwrap();
        assert_eq!(
            timed.body(),
            json!({"done": 4_800, "of": 15_120, "unit": "seconds"})
        );
        assert_eq!(timed.said(MediaKind::Book), "1h 20m of 4h 12m (31%)");
        assert_eq!(timed.to_string(), "1:20:00/4:12:00");
        assert_eq!(
            HowFar::parse("5h30m/12h").unwrap().to_string(),
            "5:30:00/12:00:00"
        );
        assert!(HowFar::parse("5:00:00/4:12:00").is_err());
        assert!(HowFar::parse("1:20:00/0:00").is_err());

        // Further on, or where you are, in the item's running time.
        let book = json!({"title": "Piranesi", "kind": "book", "progress": 31,
                          "progress_done": 4_800, "progress_of": 15_120,
                          "progress_unit": "seconds"});
        assert_eq!(said(&book).unwrap(), "1h 20m of 4h 12m (31%)");
        assert_eq!(column(&book), "1:20:00/4:12:00");
        let to = |raw: &str, item: &Value| Move::parse(raw).unwrap().from(item);
        assert_eq!(to("+45m", &book).unwrap().to_string(), "2:05:00/4:12:00");
        assert_eq!(to("2:05:00", &book).unwrap().to_string(), "2:05:00/4:12:00");
        assert!(to("+3h", &book)
            .unwrap_err()
            .contains("3h more would be past the end"));
        // A bare number is no time: said which it could be.
        let what = to("+20", &book).unwrap_err();
        assert!(
            what.contains("20 what? (+20m: 20 minutes further on)"),
            "{what}"
        );
        let what = to("200", &book).unwrap_err();
        assert!(what.contains("200 what? (200m: 200 minutes in)"), "{what}");
        // A time for an item counted in pages or percent, or not yet at all: refused.
        let pages = json!({"title": "Dune", "kind": "book", "progress": 60,
                           "progress_done": 183, "progress_of": 304});
        let mixed = to("+45m", &pages).unwrap_err();
        assert!(
            mixed.contains("Dune is at page 183 of 304: say where you are of how long"),
            "{mixed}"
        );
        let queued = json!({"title": "Heat", "kind": "movie"});
        assert!(to("1:00:00", &queued)
            .unwrap_err()
            .ends_with("Heat has no running time to go by: say where you are of how long it runs first (1:20:00/4:12:00)"));
        // A game's hours played: of no known whole, or of how many it takes.
        let game = json!({"title": "Outer Wilds", "kind": "game", "progress": 50});
        let played = to("12h", &game).unwrap();
        assert_eq!(played.said(MediaKind::Game), "12h played");
        assert_eq!(played.body(), json!({"done": 43_200, "unit": "seconds"}));
        assert_eq!(played.to_string(), "12:00:00");
        assert_eq!(HowFar::parse("12:00:00").unwrap(), played);
        assert_eq!(
            to("+2h", &game).unwrap_err(),
            "Outer Wilds is followed in percent (50%): say the hours played (12h), or of how \
             many it takes (12h/40h)"
        );
        let begun = json!({"title": "Outer Wilds", "kind": "game", "progress": null});
        assert_eq!(
            to("+2h", &begun).unwrap().said(MediaKind::Game),
            "2h played"
        );
        assert_eq!(to("12h played", &begun).unwrap(), played);
        // Said "played", a whole given before is dropped.
        let of_40 = json!({"title": "Outer Wilds", "kind": "game", "progress": 30,
                           "progress_done": 43_200, "progress_of": 144_000,
                           "progress_unit": "seconds"});
        assert_eq!(
            to("13h", &of_40).unwrap().said(MediaKind::Game),
            "13h of 40h (32%)"
        );
        assert_eq!(
            to("13h played", &of_40).unwrap().said(MediaKind::Game),
            "13h played"
        );
        // Then on from them, in time; a bare number is no time.
        let playing = json!({"title": "Outer Wilds", "kind": "game", "progress": null,
                             "progress_done": 43_200, "progress_unit": "seconds"});
        assert_eq!(said(&playing).unwrap(), "12h played");
        assert_eq!(column(&playing), "12:00:00");
        assert_eq!(
            to("+2h30m", &playing).unwrap().said(MediaKind::Game),
            "14h 30m played"
        );
        assert_eq!(
            to("13h", &playing).unwrap().said(MediaKind::Game),
            "13h played"
        );
        assert_eq!(
            to("+2", &playing).unwrap_err(),
            "Outer Wilds is at 12h played, in hours played: 2 what? (+2h: 2 hours more)"
        );
        assert!(to("20", &playing)
            .unwrap_err()
            .ends_with("20 what? (20h: 20 hours played)"));
        assert_eq!(
            to("300h", &playing).unwrap().said(MediaKind::Game),
            "300h played"
        );
        assert_eq!(
            Move::parse("10001h").unwrap_err(),
            "10001h: at most 10,000 hours"
        );
        assert!(to("+9999h", &playing).unwrap_err().contains("10,000 hours"));
        let hours = to("12h/40h", &game).unwrap();
        assert_eq!(hours.said(MediaKind::Game), "12h of 40h (30%)");
        // A podcast's time alone still asks of how long it runs.
        let episode = json!({"title": "Episode 12", "kind": "podcast", "progress": null});
        assert!(to("45m", &episode)
            .unwrap_err()
            .contains("has no running time to go by"));
        // A stored event of hours played has no percentage.
        let event = json!({"done": 43_200, "unit": "seconds"});
        assert_eq!(said_of_event(&event, &game), "12h played");
        assert!(Move::parse("+0m").is_err() && Move::parse("1:99").is_err());
        // A stored event's data says its unit as `unit`.
        let event = json!({"percent": 31, "done": 4_800, "of": 15_120, "unit": "seconds"});
        assert_eq!(said_of_event(&event, &book), "1h 20m of 4h 12m (31%)");
    }

    #[test]
    fn said_in_the_items_units() {
        let book =
            json!({"kind": "book", "progress": 60, "progress_done": 183, "progress_of": 304});
        assert_eq!(said(&book).unwrap(), "page 183 of 304 (60%)");
        let step = |raw: &str| HowFar::parse(raw).unwrap();
        assert_eq!(
            step("183/304").said(MediaKind::Book),
            "page 183 of 304 (60%)"
        );
        assert_eq!(step("4/12").said(MediaKind::Tv), "episode 4 of 12 (33%)");
        assert_eq!(step("40").said(MediaKind::Game), "40%");
        assert_eq!(column(&book), "183/304");
        let film = json!({"kind": "movie", "progress": 40});
        assert_eq!(said(&film).unwrap(), "40%");
        assert_eq!(column(&film), "40");
        assert_eq!(said(&json!({"kind": "book", "progress": null})), None);
        let event = json!({"percent": 50, "done": 4, "of": 8});
        let tv = json!({"kind": "tv"});
        assert_eq!(said_of_event(&event, &tv), "episode 4 of 8 (50%)");
    }

    /// A show followed by season and episode, as players say it: "S2E5" and its spellings,
    /// said "S2 E5" with no percentage, a CSV's `S02E05`; then a step or a bare number is an
    /// episode of that season, and "S3E1" moves on to the next.
    #[test]
    fn a_shows_season_and_episode() {
        let episode = |raw: &str| match HowFar::parse(raw) {
            Ok(HowFar::Counted(p)) => (p.season(), p.done(), p.percent()),
            other => panic!("{raw}: {other:?}"),
        };
        for raw in [
            "S2E5",
            "s02e05",
            "S2 E5",
            "s2, e5",
            "Season 2 Episode 5",
            "season 2 ep 5",
            "2x05",
        ] {
            assert_eq!(episode(raw), (Some(2), 5, None), "{raw}");
        }
        assert_eq!(episode("S0E1"), (Some(0), 1, None));
        for raw in ["S2", "E5", "S2E", "2x", "S2E5x", "s-2e5", "S12345678E1"] {
            assert!(HowFar::parse(raw).is_err(), "{raw}");
        }
        let past = HowFar::parse("S10000E1").unwrap_err();
        assert!(
            past.contains("season must be a whole number from 0 to 9999"),
            "{past}"
        );
        let s2e5 = HowFar::parse("s2e5").unwrap();
        assert_eq!(s2e5.said(MediaKind::Tv), "S2 E5");
        assert_eq!(s2e5.to_string(), "S02E05");
        assert_eq!(HowFar::parse(&s2e5.to_string()).unwrap(), s2e5);
        assert_eq!(s2e5.body(), json!({"done": 5, "season": 2}));
        // As the readers answer it, and as the stored event says it.
        let show = json!({"title": "Severance", "kind": "tv", "progress": null,
                          "progress_done": 5, "progress_season": 2});
        assert_eq!(said(&show).unwrap(), "S2 E5");
        assert_eq!(column(&show), "S02E05");
        let event = json!({"done": 5, "season": 2});
        assert_eq!(said_of_event(&event, &show), "S2 E5");
        // On in the season: +1, a bare number; the next season said whole.
        let at = |raw: &str| Move::parse(raw).unwrap().from(&show).map(|h| h.to_string());
        assert_eq!(at("+1").unwrap(), "S02E06");
        assert_eq!(at("9").unwrap(), "S02E09");
        assert_eq!(at("S3E1").unwrap(), "S03E01");
        assert!(at("+99999").unwrap_err().contains("from 0 to 99999"));
        assert!(at("45m").unwrap_err().contains("Severance is at S2 E5"));
        // A show with nothing logged yet names the season's way too.
        let new = json!({"title": "Severance", "kind": "tv", "progress": null});
        let asked = Move::parse("3").unwrap().from(&new).unwrap_err();
        assert!(
            asked.contains("episode 3 of how many? Say it whole, 3/… (3/412: episode 3 of 412), S1E3 for season 1's, or 3% for a percentage"),
            "{asked}"
        );
    }
}
