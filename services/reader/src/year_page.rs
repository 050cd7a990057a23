//! `/years/{year}`: a year in review — how much was finished (per kind, the average rating, a
//! bar a month), then every finish of the year, newest first, each linked to its item's page.
//!
//! The stats widget counts a year and the widget lists one, each in a sidebar's space; this is
//! the page a blog links to, or shares, at the year's end ("2026 in books"). Rendered here
//! without script, with the widget's stylesheet and markup (`stats_html`, `entry_html`).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike, Utc};
use lately_projection::{FeedQuery, Stats, StatsQuery};
use lately_service::Problem;

use crate::feeds::{base_url, escape};
use crate::item_page::PAGE_CSS;
use crate::routes::{bad, item_filter, params, position_for};
use crate::startup::AppState;
use crate::widget::{entry_html, stats_html, CSS};

/// "42 finished: 14 books, 6 films": what a shared link to the page says.
fn description(s: &Stats, year: i32) -> String {
    if s.finished == 0 {
        return format!("Nothing finished in {year}.");
    }
    let kinds: Vec<String> = s
        .by_kind
        .iter()
        .map(|(kind, n)| format!("{n} {}", kind.noun(*n)))
        .collect();
    format!("{} finished in {year}: {}", s.finished, kinds.join(", "))
}

/// `GET /years/{year}?kind=&tag=&theme=light|dark|auto` — a year in review, in the calendar of
/// the owner's zone (`LATELY_TIME_ZONE`).
pub async fn page(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let year: i32 = path
        .parse()
        .ok()
        .filter(|y| (1900..=9999).contains(y))
        .ok_or_else(|| {
            bad(format!(
                "the year must be 1900 to 9999 (got {:?})",
                path.as_str()
            ))
        })?;
    let p = params(&req)?;
    if p.year.is_some() {
        return Err(bad("the year is the path's (/years/2026), not a parameter"));
    }
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let theme = query
        .iter()
        .find(|(k, _)| k == "theme")
        .map_or("auto", |(_, v)| v.as_str());
    if !matches!(theme, "light" | "dark" | "auto") {
        return Err(bad("theme must be light, dark or auto"));
    }
    let filter = item_filter(&p)?;
    let (position, _) = position_for(&req, &state, &p).await?;
    let zone = state.zone;
    let (stats, finishes) = {
        let projection = state.replica.projection.read().expect("not poisoned");
        let stats = projection.count(&StatsQuery {
            year: Some(year),
            zone,
            filter: filter.clone(),
            as_of: Some(position),
            owner: false,
        });
        let finishes = projection.feed(&FeedQuery {
            kind: filter.kind,
            tag: filter.tag.clone(),
            year: Some(year),
            zone,
            limit: usize::MAX,
            as_of: Some(position),
            ..FeedQuery::default()
        });
        (stats, finishes)
    };
    // "2026 in books", "2026 in sf", "2026 in review".
    let what = match (filter.kind, &filter.tag) {
        (Some(kind), _) => kind.noun(2).to_owned(),
        (None, Some(tag)) => tag.as_str().to_owned(),
        (None, None) => "review".to_owned(),
    };
    let title = escape(&format!("{year} in {what}"));
    // The filters go along to the years before and after; the year to come has no page yet.
    let same: Vec<(&str, &str)> = [
        ("kind", filter.kind.map(|k| k.as_str())),
        ("tag", filter.tag.as_ref().map(|t| t.as_str())),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .collect();
    let filters = match serde_urlencoded::to_string(&same).unwrap_or_default() {
        q if q.is_empty() => q,
        q => format!("?{q}"),
    };
    let this_year = zone.date(Utc::now()).year();
    let before = format!(r#"<a href="{}{filters}">← {}</a>"#, year - 1, year - 1);
    let after = if year < this_year {
        format!(r#" · <a href="{}{filters}">{} →</a>"#, year + 1, year + 1)
    } else {
        String::new()
    };
    // An empty year's counts say so already.
    let entries = if finishes.is_empty() {
        String::new()
    } else {
        let entries: String = finishes
            .iter()
            .map(|e| entry_html(e, zone, true, "../"))
            .collect();
        format!("<h2>Finished</h2>\n<ol>{entries}</ol>")
    };
    let canonical = format!("{}/years/{year}{filters}", base_url(&req, &state));
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
<link rel="canonical" href="{canonical}">
<meta property="og:type" content="website">
<meta property="og:url" content="{canonical}">
<meta property="og:title" content="{title}">
<meta property="og:description" content="{description}">
<meta name="twitter:card" content="summary">
<link rel="alternate" type="application/atom+xml" href="../feed.atom">
<link rel="alternate" type="application/feed+json" href="../feed.json">
<style>{CSS}
{PAGE_CSS}</style>
</head>
<body>
<main class="lately page h-feed" data-theme="{theme}">
<p class="back"><a href="{home}">← {feed_title}</a></p>
<h1 class="p-name">{title}</h1>
<ol class="stats">{stats}</ol>
{entries}
<p class="back">{before}{after}</p>
</main>
</body>
</html>
"#,
        feed_title = escape(&state.feed_title),
        canonical = escape(&canonical),
        description = escape(&description(&stats, year)),
        home = escape(&home),
        stats = stats_html(&stats, year, None),
    );
    // The year to come's link appears with the new year: the page varies with it too.
    let mut res = crate::routes::answer_varying(
        &req,
        position,
        &this_year.to_string(),
        "text/html; charset=utf-8",
        body,
    );
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; img-src http: https:; style-src 'unsafe-inline'; frame-ancestors *",
        ),
    );
    Ok(res)
}
