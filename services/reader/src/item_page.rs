//! `/items/{id}`: a public item's page — what it is, where it stands, and each finish with its
//! day, how long it took, its rating and its whole review.
//!
//! It is what the feeds' entries link to (an entry's permalink is its finish on this page,
//! `#finish-{position}`), so a feed reader has somewhere to go for an item without a link of
//! its own, and the review is read whole rather than clipped as in the widget. Rendered here
//! without script, with the widget's stylesheet, marked up as h-entries.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use lately_domain::Status;
use lately_projection::{FeedEntry, ItemView, Zone};
use lately_service::Problem;

use crate::feeds::{base_url, escape, stars, text};
use crate::routes::{params, position_for};
use crate::startup::AppState;
use crate::widget::{cover_html, name_html, time_html, took_html, CSS};

/// The page's own rules over the widget's: a bigger cover, the review whole.
pub(crate) const PAGE_CSS: &str = "body { margin: 0; }
.lately.page { max-width: 40rem; margin: 0 auto; border-radius: 0; min-height: 100vh; box-sizing: border-box; }
.lately.page header { display: flex; gap: 1rem; margin: .5rem 0 1rem; }
.lately.page header .cover { width: 96px; height: 144px; }
.lately.page h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
.lately.page .review { display: block; -webkit-line-clamp: unset; overflow: visible; font-size: 1rem; }
.lately.page .back { font-size: .85rem; margin: 0; }
.lately.page a { color: var(--accent); }
.lately.page a.permalink { color: inherit; }";

/// Where the item stands: "In progress: page 172 of 462 (37%), since 2026-12-02".
fn standing(i: &ItemView, zone: Zone) -> String {
    let since = i.started_at.map_or_else(String::new, |t| {
        format!(", since {}", time_html("", t, zone))
    });
    match i.status {
        Status::InProgress => {
            let far = match (i.portion(), i.progress) {
                (Some(n), Some(p)) => format!(": {} ({p}%)", n.describe(i.kind)),
                (None, Some(p)) => format!(": {p}%"),
                _ => String::new(),
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
    let took = e
        .started_at
        .map_or_else(String::new, |start| took_html(start, e.finished_at, zone));
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
        r#"<li class="h-entry" id="finish-{position}"><div><span class="meta">Finished {time}{took}{rating}</span>{review}</div></li>"#,
        position = e.position,
        time = time_html("dt-published", e.finished_at, zone),
    )
}

/// What a link to the page shows when shared (a tweet's card, a chat's preview): the latest
/// finish as the feeds say it, review included, on one line and cut to 200 characters; or,
/// never finished, what the item is.
fn description(item: &ItemView, latest: Option<&FeedEntry>) -> String {
    let said = match latest {
        Some(e) => text(e),
        None if item.creators.is_empty() => item.kind.label().to_owned(),
        None => format!("{} by {}", item.kind.label(), item.creators.join(", ")),
    };
    let line = said.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(199) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

/// `GET /items/{id}?theme=light|dark|auto` — a public item's page (404 for one private,
/// removed, or never added).
pub async fn page(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let p = params(&req)?;
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let theme = query
        .into_iter()
        .find(|(k, _)| k == "theme")
        .map_or_else(|| "auto".to_owned(), |(_, v)| v);
    if !matches!(theme.as_str(), "light" | "dark" | "auto") {
        return Err(crate::routes::bad("theme must be light, dark or auto"));
    }
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
    let zone = state.zone;
    let title = escape(&item.title);
    let name = name_html(&item, "p-name u-url");
    let cover = cover_html(&item, r#"width="96" height="144""#);
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
            .map(|t| format!(r#"<span class="p-category">{}</span>"#, escape(t)))
            .collect();
        format!(r#"<span class="meta">{}</span>"#, tags.join(" · "))
    };
    // Open Graph and X's card: a shared link (the tweet's, when the item has none of its
    // own) shows the title, the cover and the latest finish.
    let canonical = format!("{}/items/{}", base_url(&req, &state), item.id);
    let image = item.cover_url.as_ref().map_or_else(String::new, |src| {
        format!("\n<meta property=\"og:image\" content=\"{}\">", escape(src))
    });
    let card = format!(
        r#"<link rel="canonical" href="{url}">
<meta property="og:type" content="website">
<meta property="og:url" content="{url}">
<meta property="og:title" content="{title}">
<meta property="og:description" content="{description}">{image}
<meta name="twitter:card" content="summary">"#,
        url = escape(&canonical),
        description = escape(&description(&item, finishes.first())),
    );
    let finishes: String = finishes.iter().map(|e| finish_html(e, zone)).collect();
    // Relative to /items/{id}, so that a reader served under a path links within it.
    let home = state
        .home_page_url
        .clone()
        .unwrap_or_else(|| "../widget".to_owned());
    let body = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — {feed_title}</title>
{card}
<link rel="alternate" type="application/atom+xml" href="../feed.atom">
<link rel="alternate" type="application/feed+json" href="../feed.json">
<style>{CSS}
{PAGE_CSS}</style>
</head>
<body>
<main class="lately page" data-theme="{theme}">
<p class="back"><a href="{home}">← {feed_title}</a></p>
<header>{cover}<div><h1>{name}</h1><span class="meta"><span class="kind">{kind}</span>{by}</span>{tags}<span class="meta status">{standing}</span></div></header>
<ol class="finishes">{finishes}</ol>
</main>
</body>
</html>
"#,
        feed_title = escape(&state.feed_title),
        home = escape(&home),
        kind = item.kind.label(),
        standing = standing(&item, zone),
    );
    let mut res = crate::routes::answer_with(&req, position, "text/html; charset=utf-8", body);
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; img-src http: https:; style-src 'unsafe-inline'; frame-ancestors *",
        ),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lately_domain::MediaKind;

    fn item(creators: &[&str]) -> ItemView {
        ItemView {
            id: "dune".into(),
            kind: MediaKind::Book,
            title: "Dune".into(),
            creators: creators.iter().map(|c| c.to_string()).collect(),
            url: None,
            cover_url: None,
            tags: vec![],
            status: Status::Finished,
            progress: None,
            progress_done: None,
            progress_of: None,
            times_finished: 1,
            added_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            started_at: None,
        }
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
            item: item(&["Frank Herbert"]),
            visibility: None,
        };
        let said = description(&e.item, Some(&e));
        assert_eq!(said.chars().count(), 200);
        assert!(
            said.starts_with("Finished reading “Dune” by Frank Herbert Spice. ǅǅ")
                && said.ends_with("ǅ…"),
            "{said}"
        );
        assert_eq!(
            description(&item(&["Frank Herbert"]), None),
            "Book by Frank Herbert"
        );
        assert_eq!(description(&item(&[]), None), "Book");
    }
}
