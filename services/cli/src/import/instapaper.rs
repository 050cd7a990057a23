//! Instapaper's CSV export: articles, the archived ones finished on the day they were saved,
//! the others to read, a folder a tag.

use chrono::DateTime;
use serde::Deserialize;
use serde_json::json;

use super::{key, list, require_columns, Planned};
use crate::client::CliError;
use crate::when::at_text;

/// A row of Instapaper's CSV export.
#[derive(Debug, Deserialize)]
struct InstapaperRow {
    #[serde(rename = "URL")]
    url: String,
    #[serde(rename = "Title", default)]
    title: String,
    /// `Unread`, `Archive`, `Starred`, or a folder of the owner's.
    #[serde(rename = "Folder", default)]
    folder: String,
    /// When it was saved, in seconds since 1970.
    #[serde(rename = "Timestamp", default)]
    timestamp: String,
    /// In newer exports: a JSON list, `["coding"]`.
    #[serde(rename = "Tags", default)]
    tags: String,
}

/// Instapaper's articles: each saved one added (with its link; its URL is its title when it
/// has none), those archived finished when they were saved, the others queued; a folder
/// other than the unread and the archive (`Starred`, or the owner's own) is a tag.
pub fn plan_instapaper(csv_text: &str) -> Result<Vec<Planned>, CliError> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    require_columns(
        &mut reader,
        "an Instapaper",
        &["URL", "Title", "Folder", "Timestamp"],
    )?;
    let mut out = Vec::new();
    for (i, row) in reader.deserialize::<InstapaperRow>().enumerate() {
        let row = row.map_err(|e| {
            CliError::Usage(format!("row {}: not an Instapaper export row: {e}", i + 2))
        })?;
        let url = row.url.trim();
        let title = match row.title.trim() {
            "" => url,
            title => title,
        };
        let mut tags: Vec<String> = match serde_json::from_str::<Vec<String>>(row.tags.trim()) {
            Ok(tags) => tags,
            Err(_) => list(&row.tags, ','),
        };
        let folder = row.folder.trim();
        if !matches!(folder, "" | "Unread" | "Archive") {
            tags.insert(0, folder.to_lowercase());
        }
        tags.retain(|t| !t.trim().is_empty());
        let saved = row
            .timestamp
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0));
        let mut add = json!({ "kind": "article", "title": title, "url": url, "tags": tags });
        if let Some(t) = saved {
            add["at"] = json!(at_text(t));
        }
        let mut steps = Vec::new();
        if folder == "Archive" {
            let mut finish = json!({});
            if let Some(t) = saved {
                finish["at"] = json!(at_text(t));
            }
            steps.push(("finish", finish, key(&format!("instapaper:{url}:finish"))));
        }
        out.push(Planned {
            label: title.to_owned(),
            add_key: key(&format!("instapaper:{url}:add")),
            add,
            steps,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORYGRAPH: &str = include_str!("../../tests/fixtures/storygraph_library_export.csv");
    const INSTAPAPER: &str = include_str!("../../tests/fixtures/instapaper_export.csv");

    /// Instapaper's articles: the archived one finished when it was saved, with its tags; the
    /// others queued, a folder of their own a tag; one without a title named by its URL.
    #[test]
    fn instapaper_archived_articles_are_finished_the_others_queued() {
        let plan = plan_instapaper(INSTAPAPER).unwrap();
        assert_eq!(plan.len(), 4);
        let saved = json!("2023-11-14T22:13:20Z");
        assert_eq!(
            plan[0].add,
            json!({
                "kind": "article",
                "title": "Local-first software: you own your data",
                "url": "https://www.inkandswitch.com/local-first/",
                "tags": ["crdt", "essays"],
                "at": saved,
            })
        );
        let (cmd, finish, key) = &plan[0].steps[0];
        assert_eq!(
            (*cmd, finish, key.as_str()),
            (
                "finish",
                &json!({ "at": saved }),
                super::key("instapaper:https://www.inkandswitch.com/local-first/:finish").as_str()
            )
        );
        assert!(plan[1].steps.is_empty(), "unread: queued");
        assert_eq!(plan[1].add["tags"], json!([]));
        assert!(plan[2].steps.is_empty(), "starred: queued, tagged");
        assert_eq!(plan[2].add["tags"], json!(["starred"]));
        assert_eq!(
            (&plan[3].add["title"], &plan[3].add["tags"]),
            (
                &json!("https://example.com/a-long-read"),
                &json!(["long reads"])
            )
        );
        match plan_instapaper(STORYGRAPH) {
            Err(CliError::Usage(e)) => assert!(
                e.starts_with("not an Instapaper export (missing columns: URL, Folder, Timestamp"),
                "{e}"
            ),
            other => panic!("{other:?}"),
        }
    }
}
