//! The embeddable widget: `/widget`, a small page made for an `<iframe>`, and `/widget.js`, a
//! script that renders the same list into `<div data-lately>` on any page. It lists the feed's
//! finishes, or (`show=current`, `show=queue`) the public items in progress or up next.
//!
//! The page is rendered here, works without JavaScript, and is marked up as an h-feed of
//! h-entries (microformats). `widget.js` adds live updates to it and does the embedding; it sets
//! user text only as text. A Content-Security-Policy allows nothing but our own script and
//! stream, inline styles, and cover images.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use lately_domain::MediaKind;
use lately_projection::{FeedEntry, FeedQuery, ItemView, Page, Stats, Zone};
use lately_service::Problem;

use crate::feeds::{escape, stars};
use crate::routes::{bad, item_filter, params};
use crate::startup::AppState;

const CSS: &str = include_str!("widget.css");

/// `widget.js` with the stylesheet inlined (as a JSON string literal, so it is valid JS).
fn script_source() -> &'static str {
    static JS: OnceLock<String> = OnceLock::new();
    JS.get_or_init(|| {
        include_str!("widget.js")
            .replace("__LATELY_CSS__", &serde_json::to_string(CSS).expect("JSON"))
    })
}

/// `GET /widget.js`
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(script_source())
}

/// What a widget lists (`show=`, `data-show`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Show {
    /// The feed's finishes, newest first: the default.
    Finished,
    /// The items in progress, most recently touched first, each with how far along it is (a
    /// blog's "currently reading").
    Current,
    /// The items added and not started yet, most recently added first ("up next").
    Queue,
    /// How much was finished in a year, by kind, with the average rating (a blog's "2026 in
    /// books and films"): `/v1/stats` for the year, the current one in the owner's zone
    /// unless `year=` says which.
    Stats,
}

impl Show {
    fn parse(raw: Option<&str>) -> Result<Self, Problem> {
        match raw.unwrap_or("finished") {
            "finished" => Ok(Self::Finished),
            "current" => Ok(Self::Current),
            "stats" => Ok(Self::Stats),
            "queue" => Ok(Self::Queue),
            other => Err(bad(format!(
                "show must be finished, current, queue or stats (got {other:?})"
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Finished => "finished",
            Self::Current => "current",
            Self::Queue => "queue",
            Self::Stats => "stats",
        }
    }

    /// What an empty list says; `widget.js` says the same.
    fn empty(self) -> &'static str {
        match self {
            Self::Finished => "Nothing finished yet.",
            Self::Current => "Nothing in progress right now.",
            Self::Queue => "Nothing waiting to be started.",
            Self::Stats => "Nothing finished yet.",
        }
    }
}

/// An item's cover, linked title and creators, the same for every list; `meta` follows the
/// creators. `attrs` go on the `<li>` (what `widget.js` finds it by).
fn item_html(item: &ItemView, attrs: &str, meta: &str) -> String {
    let title = escape(&item.title);
    let cover = match &item.cover_url {
        Some(src) => format!(
            r#"<img class="cover u-photo" src="{}" alt="Cover of {title}" loading="lazy" width="48" height="72">"#,
            escape(src)
        ),
        None => r#"<span class="cover" aria-hidden="true"></span>"#.to_owned(),
    };
    let name = match &item.url {
        Some(url) => format!(
            r#"<a class="title p-name u-url" href="{}">{title}</a>"#,
            escape(url)
        ),
        None => format!(r#"<span class="title p-name">{title}</span>"#),
    };
    let by = if item.creators.is_empty() {
        String::new()
    } else {
        format!(
            r#"<span class="p-author">{}</span> · "#,
            escape(&item.creators.join(", "))
        )
    };
    format!(
        r#"<li class="h-entry" {attrs}>{cover}<div>{name}<span class="meta"><span class="kind">{kind} · </span>{by}{meta}</span></div></li>"#,
        kind = item.kind.label(),
    )
}

/// A date as the page shows it before its script localises it to the viewer's zone (and
/// for good, without scripts): the day in the owner's zone (`LATELY_TIME_ZONE`).
fn time_html(class: &str, at: DateTime<Utc>, zone: Zone) -> String {
    format!(
        r#"<time class="{class}" datetime="{}">{}</time>"#,
        at.to_rfc3339(),
        zone.day(at)
    )
}

fn entry_html(e: &FeedEntry, zone: Zone) -> String {
    let rating = e.rating.map_or_else(String::new, |r| {
        format!(
            r#"<span class="stars" role="img" aria-label="{r} out of 5 stars">{}</span> · "#,
            stars(r)
        )
    });
    item_html(
        &e.item,
        &format!(r#"data-position="{}""#, e.position),
        &format!("{rating}{}", time_html("dt-published", e.finished_at, zone)),
    )
}

/// An item in progress: how far (a bar and the percentage, or "started" before any progress
/// was logged) and when it was last touched; or an item waiting, and when it was added.
fn list_item_html(i: &ItemView, show: Show, zone: Zone) -> String {
    let meta = match show {
        Show::Queue => format!("added {}", time_html("dt-updated", i.added_at, zone)),
        _ => {
            let far = match i.progress {
                Some(p) => {
                    let said = i
                        .portion()
                        .map_or_else(|| format!("{p}%"), |n| n.describe(i.kind));
                    format!(
                        r#"<progress value="{p}" max="100" aria-label="{p}% done">{p}%</progress> {said} · "#
                    )
                }
                None => "started · ".to_owned(),
            };
            format!("{far}{}", time_html("dt-updated", i.updated_at, zone))
        }
    };
    item_html(i, &format!(r#"data-id="{}""#, escape(&i.id)), &meta)
}

/// A year's counts as the stats widget shows them: the total with the average rating, then a
/// line per kind ("14 books"); `widget.js` renders the same.
fn stats_html(s: &Stats, year: i32) -> String {
    if s.finished == 0 {
        return format!(r#"<li class="empty">Nothing finished in {year} yet.</li>"#);
    }
    let rated = match s.average_rating {
        Some(avg) if s.rated > 0 => format!(
            r#" <span class="meta">{avg:.1}★ on average over {} rated</span>"#,
            s.rated
        ),
        _ => String::new(),
    };
    let mut html = format!(
        r#"<li class="total"><strong>{}</strong> finished{rated}</li>"#,
        s.finished
    );
    for (kind, n) in &s.by_kind {
        html.push_str(&format!(
            r#"<li data-kind="{}"><strong>{n}</strong> {}</li>"#,
            kind.as_str(),
            noun(*kind, *n)
        ));
    }
    html
}

/// "book" or "books", as the stats widget counts them (`widget.js`'s NOUN says the same).
fn noun(kind: MediaKind, n: u64) -> &'static str {
    let (one, many) = match kind {
        MediaKind::Book => ("book", "books"),
        MediaKind::Article => ("article", "articles"),
        MediaKind::Movie => ("film", "films"),
        MediaKind::Tv => ("TV show", "TV shows"),
        MediaKind::Game => ("game", "games"),
        MediaKind::Podcast => ("podcast", "podcasts"),
    };
    if n == 1 {
        one
    } else {
        many
    }
}

/// `GET /widget?show=finished|current|queue|stats&kind=&tag=&limit=&year=&theme=light|dark|auto&lang=&title=`
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let p = params(&req)?;
    let limit = p.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(bad("limit must be between 1 and 100"));
    }
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let get = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let theme = get("theme").unwrap_or("auto");
    if !matches!(theme, "light" | "dark" | "auto") {
        return Err(bad("theme must be light, dark or auto"));
    }
    let lang = get("lang").unwrap_or("en");
    if lang.is_empty()
        || lang.len() > 35
        || !lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(bad("lang must be a language tag such as en or fr-CA"));
    }
    let show = Show::parse(get("show"))?;
    // The stats count a year, every kind: a list's filters have nothing to filter there, and
    // a year has nothing to do in a list.
    let year = match show {
        Show::Stats => {
            if p.kind.is_some() || p.tag.is_some() {
                return Err(bad(
                    "show=stats counts every kind and tag: kind and tag filter the lists",
                ));
            }
            Some(crate::routes::year(&p)?.unwrap_or_else(|| state.zone.year(chrono::Utc::now())))
        }
        _ if p.year.is_some() => return Err(bad("year is for show=stats")),
        _ => None,
    };
    let stats_title;
    let title = match get("title") {
        Some(t) if t.trim().is_empty() || t.chars().count() > 100 => {
            return Err(bad("title must be 1 to 100 characters"))
        }
        Some(t) => t,
        None => match show {
            Show::Finished => &state.feed_title,
            Show::Current => "In progress",
            Show::Queue => "Up next",
            Show::Stats => {
                stats_title = format!("Finished in {}", year.unwrap_or_default());
                &stats_title
            }
        },
    };
    let title = escape(title);
    let filter = item_filter(&p)?;
    let (kind, tag) = (filter.kind, filter.tag.clone());
    let (position, items) = {
        let projection = state.replica.projection.read().expect("not poisoned");
        let position = projection.position();
        let items: Vec<String> = match show {
            Show::Finished => {
                let q = FeedQuery {
                    kind,
                    tag: tag.clone(),
                    limit,
                    as_of: Some(position),
                    ..FeedQuery::default()
                };
                projection
                    .feed(&q)
                    .iter()
                    .map(|e| entry_html(e, state.zone))
                    .collect()
            }
            Show::Current | Show::Queue => {
                let page = Page {
                    after: None,
                    limit,
                    as_of: Some(position),
                };
                let items = match show {
                    Show::Current => projection.current(&filter, &page),
                    _ => projection.queue(&filter, &page),
                };
                items
                    .iter()
                    .map(|i| list_item_html(i, show, state.zone))
                    .collect()
            }
            Show::Stats => {
                let year = year.expect("set for stats");
                let stats = projection.stats(Some(year), state.zone, Some(position));
                vec![stats_html(&stats, year)]
            }
        };
        (position, items)
    };
    let items = if items.is_empty() {
        format!(r#"<li class="empty">{}</li>"#, show.empty())
    } else {
        items.concat()
    };
    let body = format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="alternate" type="application/atom+xml" href="feed.atom">
<link rel="alternate" type="application/feed+json" href="feed.json">
<style>body {{ margin: 0; }}
{CSS}</style>
</head>
<body>
<section class="lately h-feed" data-live data-theme="{theme}" data-limit="{limit}" data-kind="{kind}" data-tag="{tag}" data-show="{show}"{year}>
<h2 class="p-name">{title}</h2>
<ol{list_class}>{items}</ol>
</section>
<script src="widget.js" async></script>
</body>
</html>
"#,
        show = show.as_str(),
        year = year.map_or_else(String::new, |y| format!(r#" data-year="{y}""#)),
        list_class = if show == Show::Stats {
            r#" class="stats""#
        } else {
            ""
        },
        kind = kind.map_or("", MediaKind::as_str),
        tag = tag
            .as_ref()
            .map_or_else(String::new, |t| escape(t.as_str())),
    );
    // Without `year=`, the stats' page is the current year's: a new year is a new page even
    // when nothing was written.
    let varies = year.map_or_else(String::new, |y| y.to_string());
    let mut res =
        crate::routes::answer_varying(&req, position, &varies, "text/html; charset=utf-8", body);
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; connect-src 'self'; img-src http: https:; style-src 'unsafe-inline'; frame-ancestors *",
        ),
    );
    Ok(res)
}
