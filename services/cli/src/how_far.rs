//! How far through an item, as a person says it: a percentage (`60`, `60%`) or where they are
//! of how many (`183/304`: page 183 of 304). `lately progress` takes it, and so does the
//! `progress` column of a CSV import; `lately export` writes it back the same way.
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

    /// The body of `POST /v1/items/{id}/progress`, without a time.
    pub fn body(self) -> Value {
        match self {
            Self::Percent(percent) => json!({ "percent": percent }),
            Self::Counted(p) => json!({ "done": p.done(), "of": p.of() }),
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
