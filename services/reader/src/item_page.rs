//! `/items/{id}`: a public item's page — what it is, where it stands, and each finish with its
//! day, how long it took, its rating and its whole review.
//!
//! It is what the feeds' entries link to (an entry's permalink is its finish on this page,
//! `#finish-{position}`), so a feed reader has somewhere to go for an item without a link of
//! its own, and the review is read whole rather than clipped as in the widget. Rendered here
//! without script, with the widget's stylesheet, marked up as h-entries.

use actix_web::{web, HttpRequest, HttpResponse};
use lately_domain::Status;
use lately_projection::{FeedEntry, ItemView, Zone};
use lately_service::Problem;

use crate::feeds::{base_url, escape, stars, text};
use crate::page::{Card, Level};
use crate::routes::{params, position_for};
use crate::startup::AppState;
use crate::widget::{again_html, cover_html, name_html, played_html, time_html, took_html};

/// Where the item stands: "In progress: page 172 of 462 (37%), since 2026-12-02", how far kept
/// on one line (widget.css's `.far`) as the lists keep it.
fn standing(i: &ItemView, zone: Zone) -> String {
    let since = i.started_at.map_or_else(String::new, |t| {
        format!(", since {}", time_html("", t, zone))
    });
    match i.status {
        Status::InProgress => {
            let far = match (i.portion(), i.progress) {
                (Some(n), Some(p)) => format!(
                    r#": <span class="far">{} ({p}%)</span>"#,
                    n.describe(i.kind)
                ),
                (None, Some(p)) => format!(": {p}%"),
                // Time played of no known whole: "12h played".
                (Some(n), None) => format!(r#": <span class="far">{}</span>"#, n.describe(i.kind)),
                (None, None) => String::new(),
            };
            format!("In progress{far}{since}")
        }
        Status::Queued => format!("Up next, added {}", time_html("", i.added_at, zone)),
        Status::Abandoned => "Abandoned".to_owned(),
        Status::Finished if i.times_finished > 1 => {
            format!("Finished {} times", i.times_finished)
        }
        Status::Finished => "Finished".to_owned(),
        Status::Removed => String::new(),
    }
}

/// One finish: its day, how long it took, its rating, and its review whole.
fn finish_html(e: &FeedEntry, zone: Zone) -> String {
    let took = took_html(e, zone);
    let rating = e.rating.map_or_else(String::new, |r| {
        format!(
            r#" · <span class="stars" role="img" aria-label="{r} out of 5 stars">{}</span>"#,
            stars(r)
        )
    });
    let review = e.review.as_ref().map_or_else(String::new, |text| {
        format!(r#"<p class="review p-content">{}</p>"#, escape(text))
    });
    format!(
        r#"<li class="h-entry" id="finish-{position}"><div><span class="meta">Finished {time}{took}{played}{again}{rating}</span>{review}</div></li>"#,
        position = e.position,
        played = played_html(e.time_played),
        again = again_html(e.finish_number),
        time = time_html("dt-published", e.finished_at, zone),
    )
}

/// What a link to the page shows when shared (a tweet's card, a chat's preview): the latest
/// finish as the feeds say it, review included, on one line and cut to 200 characters; or,
/// never finished, what the item is.
fn description(item: &ItemView, latest: Option<&FeedEntry>, zone: Zone) -> String {
    let said = match latest {
        Some(e) => text(e, zone),
        None if item.creators.is_empty() => item.kind.label().to_owned(),
        None => format!("{} by {}", item.kind.label(), item.creators.join(", ")),
    };
    crate::page::one_line(&said, 200)
}

/// `GET /items/{id}?theme=light|dark|auto` — a public item's page (404 for one private,
/// removed, or never added).
pub async fn page(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let p = params(&req)?;
    let theme = crate::page::theme(&req)?;
    let (position, _) = position_for(&req, &state, &p).await?;
    let found = state
        .replica
        .projection
        .read()
        .expect("not poisoned")
        .item_finishes(&path, Some(position));
    let Some((item, finishes)) = found else {
        return Err(crate::routes::no_public_item(&path));
    };
    Ok(crate::page::answer(&req, &state, position, "", || {
        render(&req, &state, &theme, &item, &finishes)
    }))
}

/// The page of `item` with its `finishes`, newest first.
fn render(
    req: &HttpRequest,
    state: &AppState,
    theme: &str,
    item: &ItemView,
    finishes: &[FeedEntry],
) -> String {
    let zone = state.zone;
    let by = if item.creators.is_empty() {
        String::new()
    } else {
        format!(
            r#" · <span class="p-author">{}</span>"#,
            escape(&item.creators.join(", "))
        )
    };
    let tags = if item.tags.is_empty() {
        String::new()
    } else {
        let tags: Vec<String> = item
            .tags
            .iter()
            // Each to your page of that tag (the home page, filtered), as a shelf links to the
            // books on it.
            .map(|t| {
                let query = serde_urlencoded::to_string([("tag", t.as_str())]).unwrap_or_default();
                format!(
                    r#"<a class="p-category" rel="tag" href="../?{}">{}</a>"#,
                    escape(&query),
                    escape(t)
                )
            })
            .collect();
        format!(r#"<span class="meta">{}</span>"#, tags.join(" · "))
    };
    // A shared link (the tweet's, when the item has none of its own) shows the title, the
    // cover and the latest finish.
    let url = format!("{}/items/{}", base_url(req, state), item.id);
    let card = Card {
        url: &url,
        title: &item.title,
        description: &description(item, finishes.first(), zone),
        image: item.cover_url.as_deref(),
    };
    let body = format!(
        r#"<header>{cover}<div><h1>{name}</h1><span class="meta"><a class="kind" href="../?kind={kind_name}">{kind}</a>{by}</span>{tags}<span class="meta status">{standing}</span></div></header>
<ol class="finishes">{finishes}</ol>"#,
        cover = cover_html(item, 96, ""),
        name = name_html(item, "p-name u-url", None),
        // An audiobook named one: in progress, by what its read is followed in; else as its
        // latest finish was had.
        kind = item.kind.label_in(match item.status {
            Status::InProgress => item.progress_unit.unwrap_or_default(),
            _ => finishes.first().map(|e| e.followed_in).unwrap_or_default(),
        }),
        // Its kind to your page of that kind, as its tags to theirs.
        kind_name = item.kind.as_str(),
        standing = standing(item, zone),
        finishes = finishes
            .iter()
            .map(|e| finish_html(e, zone))
            .collect::<String>(),
    );
    crate::page::html(
        state,
        Level::Under(1),
        theme,
        Some(&card),
        &escape(&item.title),
        "",
        "",
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(creators: &[&str]) -> ItemView {
        crate::page::a_book("Dune", creators)
    }

    #[test]
    fn a_shared_links_description_is_one_line_of_at_most_200_characters() {
        let e = FeedEntry {
            position: 2,
            finished_at: chrono::Utc::now(),
            started_at: None,
            rating: None,
            review: Some("Spice.\n\n".to_owned() + &"ǅ".repeat(300)),
            revised_at: None,
            finish_number: 1,
            followed_in: lately_domain::Unit::Own,
            listened: false,
            time_played: None,
            item: item(&["Frank Herbert"]),
            visibility: None,
        };
        let said = description(&e.item, Some(&e), Zone::default());
        assert_eq!(said.chars().count(), 200);
        assert!(
            said.starts_with("Finished reading “Dune” by Frank Herbert Spice. ǅǅ")
                && said.ends_with("ǅ…"),
            "{said}"
        );
        assert_eq!(
            description(&item(&["Frank Herbert"]), None, Zone::default()),
            "Book by Frank Herbert"
        );
        assert_eq!(description(&item(&[]), None, Zone::default()), "Book");
    }
}
