//! How far through an item, as a person says it: a percentage (`60`, `60%`) or where they are
//! of how many (`183/304`: page 183 of 304). `lately progress` takes it, and so does the
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

use lately_domain::{MediaKind, Portion};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HowFar {
    Percent(i64),
    Counted(Portion),
}

impl HowFar {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let expected = "expected a percentage (60, 60%) or where you are of how many (183/304)";
        match raw.split_once('/') {
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

    /// As the item's line says it: "page 203 of 304 (66%)", "episode 4 of 12 (33%)", "40%".
    pub fn said(self, kind: MediaKind) -> String {
        match self {
            Self::Percent(percent) => format!("{percent}%"),
            Self::Counted(p) => format!("{} ({}%)", p.describe(kind), p.percent().get()),
        }
    }

    /// The body of `POST /v1/items/{id}/progress`, without a time.
    pub fn body(self) -> Value {
        match self {
            Self::Percent(percent) => json!({ "percent": percent }),
            Self::Counted(p) => json!({ "done": p.done(), "of": p.of() }),
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
}

impl Move {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bare = raw.trim();
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
    /// `progress_done` of `progress_of` when counted): a step goes on in the item's own units
    /// (page 183 of 304, +20: page 203 of 304), or in points of its percentage; a bare number
    /// is a place in those units (200: page 200 of 304), or a percentage. Refused past the end
    /// (that is a finish), or with no progress to go on from.
    pub fn from(self, item: &Value) -> Result<HowFar, String> {
        let title = item["title"].as_str().unwrap_or("the item");
        let n = match self {
            Self::To(how_far) => return Ok(how_far),
            Self::By(n) => n,
            Self::At(n) => {
                return match counted(item, "progress_done", "progress_of") {
                    Some(p) => Portion::parse(n, i64::from(p.of()))
                        .map(HowFar::Counted)
                        .map_err(|_| {
                            format!(
                                "{title} is at {}: {n} would be past the end (`lately finish` \
                                 once you get there; another count: {n}/…, a percentage: {n}%)",
                                p.describe(kind(item))
                            )
                        }),
                    None if n <= 100 => Ok(HowFar::Percent(n)),
                    None => Err(format!(
                        "{title} is followed in percent, and {n} is more than 100: say where you \
                         are of how many (183/304: page 183 of 304)"
                    )),
                };
            }
        };
        let past_the_end = |at: String| {
            format!(
                "{title} is at {at}: +{n} would be past the end (`lately finish` once you get there)"
            )
        };
        if let Some(p) = counted(item, "progress_done", "progress_of") {
            return Portion::parse(i64::from(p.done()) + n, i64::from(p.of()))
                .map(HowFar::Counted)
                .map_err(|_| past_the_end(p.describe(kind(item))));
        }
        match item["progress"].as_i64() {
            Some(percent) if percent + n <= 100 => Ok(HowFar::Percent(percent + n)),
            Some(percent) => Err(past_the_end(format!("{percent}%"))),
            None => Err(format!(
                "{title} has no progress to go on from: say where you are first (183/304, or 60%)"
            )),
        }
    }
}

/// As it was given: `60` or `183/304` (what a CSV's `progress` column holds).
impl fmt::Display for HowFar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Percent(percent) => write!(f, "{percent}"),
            Self::Counted(p) => write!(f, "{}/{}", p.done(), p.of()),
        }
    }
}

/// An item's progress as the readers answer it (`progress`, and `progress_done` of
/// `progress_of` when it was counted), as a person reads it: "page 183 of 304 (60%)" or "60%".
pub fn said(item: &Value) -> Option<String> {
    let percent = item["progress"].as_u64()?;
    Some(match counted(item, "progress_done", "progress_of") {
        Some(p) => format!("{} ({percent}%)", p.describe(kind(item))),
        None => format!("{percent}%"),
    })
}

/// An `item_progress_logged` event's data in `item`'s history, as [`said`] says it.
pub fn said_of_event(data: &Value, item: &Value) -> String {
    match counted(data, "done", "of") {
        Some(p) => format!("{} ({}%)", p.describe(kind(item)), data["percent"]),
        None => format!("{}%", data["percent"]),
    }
}

/// An item's progress as a CSV's `progress` column holds it: `183/304` or `60`.
pub fn column(item: &Value) -> String {
    match counted(item, "progress_done", "progress_of") {
        Some(p) => HowFar::Counted(p).to_string(),
        None => item["progress"]
            .as_u64()
            .map(|p| p.to_string())
            .unwrap_or_default(),
    }
}

fn counted(v: &Value, done: &str, of: &str) -> Option<Portion> {
    let (done, of) = (v[done].as_i64()?, v[of].as_i64()?);
    Portion::parse(done, of).ok()
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
            past.contains("Dune is at page 183 of 304: 350 would be past the end"),
            "{past}"
        );
        // With a % it is a percentage whatever the item; with a count, a count.
        assert_eq!(Move::parse("90%").unwrap(), Move::To(HowFar::Percent(90)));
        assert_eq!(at("90/412", &book).unwrap().to_string(), "90/412");
        // An item followed in percent, or not yet at all: a percentage, at most 100.
        let article = json!({"title": "Essay", "kind": "article", "progress": 30});
        let queued = json!({"title": "Heat", "kind": "movie", "progress": null});
        assert_eq!(at("40", &article).unwrap(), HowFar::Percent(40));
        assert_eq!(at("40", &queued).unwrap(), HowFar::Percent(40));
        let over = at("120", &queued).unwrap_err();
        assert!(
            over.contains("Heat is followed in percent, and 120 is more than 100"),
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
        for bad in ["305/304", "3/0", "-1/5", "a/b", "sixty", "1/2000000"] {
            assert!(HowFar::parse(bad).is_err(), "{bad} taken");
        }
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
}
