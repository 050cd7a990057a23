//! `lately demo`: a handful of realistic items for a fresh install, written as an import is
//! (each write's key derived from the item), so running it twice adds nothing.

use serde_json::json;

use super::{apply, key, Planned};
use crate::client::{CliError, Client};

/// A handful of realistic items for a fresh install; idempotent like an import.
pub async fn demo(client: &Client) -> Result<(), CliError> {
    let days_ago = |d: i64| (chrono::Utc::now() - chrono::Duration::days(d)).to_rfc3339();
    let rows = [
        (
            "book",
            "The Left Hand of Darkness",
            vec!["Ursula K. Le Guin"],
            Some(5.0),
            Some("Cold, strange and humane."),
            2,
        ),
        (
            "movie",
            "Past Lives",
            vec!["Celine Song"],
            Some(4.5),
            None,
            5,
        ),
        (
            "game",
            "Outer Wilds",
            vec!["Mobius Digital"],
            Some(5.0),
            Some("Go in knowing nothing."),
            9,
        ),
        (
            "podcast",
            "Hardcore History: Mania for Subjugation",
            vec!["Dan Carlin"],
            None,
            None,
            12,
        ),
        (
            "article",
            "Choose Boring Technology",
            vec!["Dan McKinley"],
            Some(4.0),
            None,
            20,
        ),
        (
            "tv",
            "Severance, season 1",
            vec!["Dan Erickson"],
            Some(4.5),
            None,
            30,
        ),
    ];
    let mut plan: Vec<Planned> = rows
        .into_iter()
        .map(|(kind, title, by, rating, review, ago)| {
            let name = format!("demo:{title}");
            // Sample finishes are nobody's news: none of them is tweeted, whatever account the
            // notifier posts to.
            let mut finish = json!({ "at": days_ago(ago), "tweet": false });
            if let Some(r) = rating {
                finish["rating"] = json!(r);
            }
            if let Some(r) = review {
                finish["review"] = json!(r);
            }
            Planned {
                label: title.to_owned(),
                add_key: key(&format!("{name}:add")),
                add: json!({ "kind": kind, "title": title, "creators": by, "at": days_ago(ago + 7) }),
                steps: vec![("finish", finish, key(&format!("{name}:finish")))],
            }
        })
        .collect();
    // And one book being read, for the widget's "currently reading" (`data-show="current"`).
    let name = "demo:A Memory Called Empire";
    plan.push(Planned {
        label: "A Memory Called Empire".to_owned(),
        add_key: key(&format!("{name}:add")),
        add: json!({
            "kind": "book",
            "title": "A Memory Called Empire",
            "creators": ["Arkady Martine"],
            "at": days_ago(4),
        }),
        steps: vec![
            (
                "start",
                json!({ "at": days_ago(3) }),
                key(&format!("{name}:start")),
            ),
            (
                "progress",
                json!({ "done": 172, "of": 462, "at": days_ago(1) }),
                key(&format!("{name}:progress")),
            ),
        ],
    });
    // And one audiobook being listened to, followed in running time as its player shows it.
    let name = "demo:Project Hail Mary";
    plan.push(Planned {
        label: "Project Hail Mary".to_owned(),
        add_key: key(&format!("{name}:add")),
        add: json!({
            "kind": "book",
            "title": "Project Hail Mary",
            "creators": ["Andy Weir"],
            "tags": ["audiobook"],
            "at": days_ago(6),
        }),
        steps: vec![
            (
                "start",
                json!({ "at": days_ago(5) }),
                key(&format!("{name}:start")),
            ),
            (
                // 6h 42m of 16h 10m.
                "progress",
                json!({ "done": 24_120, "of": 58_200, "unit": "seconds", "at": days_ago(2) }),
                key(&format!("{name}:progress")),
            ),
        ],
    });
    apply(client, plan, "items").await
}
