//! `lately export`: everything, private items too, as CSV in the columns the CSV import
//! (`import/spreadsheet.rs`) reads back.

use serde_json::Value;

use crate::client::{CliError, Client};
use crate::lists::{each_page, Read};
use crate::{how_far, lines, output};

/// The columns of `lately export`.
pub const EXPORT_COLUMNS: [&str; 17] = [
    "id",
    "kind",
    "title",
    "creators",
    "tags",
    "url",
    "cover_url",
    "visibility",
    "status",
    "progress",
    "added_at",
    "updated_at",
    "started_at",
    "finished_at",
    "rating",
    "review",
    "listened",
];

/// `lately export`: the owner's feed, then the owner's items with no finish in it, both as of
/// the feed's first page, so that an item finished meanwhile is in neither twice nor half.
pub async fn export(client: &Client) -> Result<(), CliError> {
    let mut finishes = Vec::new();
    let (_, position) = each_page(
        client,
        "/v1/owner/feed",
        &[],
        Read::Owner,
        usize::MAX,
        |e| {
            finishes.extend_from_slice(e);
            Ok(())
        },
    )
    .await?;
    let mut items = Vec::new();
    let as_of = position.to_string();
    let filters = [("as_of", as_of.as_str())];
    each_page(
        client,
        "/v1/owner/items",
        &filters,
        Read::Owner,
        usize::MAX,
        |i| {
            items.extend_from_slice(i);
            Ok(())
        },
    )
    .await?;
    let finished: std::collections::HashSet<&str> = finishes
        .iter()
        .filter_map(|e| e["item"]["id"].as_str())
        .collect();
    let unfinished = items
        .iter()
        .filter(|i| !finished.contains(i["id"].as_str().unwrap_or("")));

    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let list = |v: &Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    };
    let row = |item: &Value, visibility: &Value, finish: Option<&Value>| {
        let of = |k: &str| finish.map(|f| &f[k]).unwrap_or(&Value::Null);
        [
            text(&item["id"]),
            text(&item["kind"]),
            text(&item["title"]),
            list(&item["creators"]),
            list(&item["tags"]),
            text(&item["url"]),
            text(&item["cover_url"]),
            text(visibility),
            text(&item["status"]),
            how_far::column(item),
            text(&item["added_at"]),
            text(&item["updated_at"]),
            // A finish's read, or (a row without one) the read in progress.
            text(finish.map_or(&item["started_at"], |f| &f["started_at"])),
            text(of("finished_at")),
            of("rating")
                .as_f64()
                .map(|r| r.to_string())
                .unwrap_or_default(),
            text(of("review")),
            match finish.is_some_and(lines::was_heard) {
                true => "yes".to_owned(),
                false => String::new(),
            },
        ]
    };
    let mut csv = csv::Writer::from_writer(Vec::new());
    let write = |csv: &mut csv::Writer<Vec<u8>>, record: &[String]| {
        csv.write_record(record)
            .map_err(|e| CliError::Failed(format!("cannot write the CSV: {e}")))
    };
    write(&mut csv, &EXPORT_COLUMNS.map(String::from))?;
    for e in &finishes {
        write(&mut csv, &row(&e["item"], &e["visibility"], Some(e)))?;
    }
    for i in unfinished {
        write(&mut csv, &row(i, &i["visibility"], None))?;
    }
    let bytes = csv
        .into_inner()
        .map_err(|e| CliError::Failed(format!("cannot write the CSV: {e}")))?;
    output(&bytes)
}
