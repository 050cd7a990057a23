//! The embeddable widget: `/widget`, a small page made for an `<iframe>`, and `/widget.js`, a
//! script that renders the same list into `<div data-lately>` on any page.
//!
//! The page is rendered here, works without JavaScript, and is marked up as an h-feed of
//! h-entries (microformats). `widget.js` adds live updates to it and does the embedding; it sets
//! user text only as text. A Content-Security-Policy allows nothing but our own script and
//! stream, inline styles, and cover images.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use lately_domain::MediaKind;
use lately_projection::{FeedEntry, FeedQuery};
use lately_service::Problem;

use crate::feeds::{escape, stars};
use crate::routes::{bad, kind, params, tag};
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

fn entry_html(e: &FeedEntry) -> String {
    let title = escape(&e.item.title);
    let cover = match &e.item.cover_url {
        Some(src) => format!(
            r#"<img class="cover u-photo" src="{}" alt="Cover of {title}" loading="lazy" width="48" height="72">"#,
            escape(src)
        ),
        None => r#"<span class="cover" aria-hidden="true"></span>"#.to_owned(),
    };
    let name = match &e.item.url {
        Some(url) => format!(
            r#"<a class="title p-name u-url" href="{}">{title}</a>"#,
            escape(url)
        ),
        None => format!(r#"<span class="title p-name">{title}</span>"#),
    };
    let by = if e.item.creators.is_empty() {
        String::new()
    } else {
        format!(
            r#"<span class="p-author">{}</span> · "#,
            escape(&e.item.creators.join(", "))
        )
    };
    let rating = e.rating.map_or_else(String::new, |r| {
        format!(
            r#"<span class="stars" role="img" aria-label="{r} out of 5 stars">{}</span> · "#,
            stars(r)
        )
    });
    format!(
        r#"<li class="h-entry" data-position="{pos}">{cover}<div>{name}<span class="meta"><span class="kind">{kind} · </span>{by}{rating}<time class="dt-published" datetime="{iso}">{date}</time></span></div></li>"#,
        pos = e.position,
        kind = e.item.kind.label(),
        iso = e.finished_at.to_rfc3339(),
        date = e.finished_at.format("%Y-%m-%d"),
    )
}

/// `GET /widget?kind=&tag=&limit=&theme=light|dark|auto&lang=`
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
    let kind = kind(&p)?;
    let tag = tag(&p)?;
    let (position, entries) = {
        let projection = state.replica.projection.read().expect("not poisoned");
        let position = projection.position();
        let q = FeedQuery {
            kind,
            tag: tag.clone(),
            limit,
            as_of: Some(position),
            ..FeedQuery::default()
        };
        (position, projection.feed(&q))
    };
    let items = if entries.is_empty() {
        r#"<li class="empty">Nothing finished yet.</li>"#.to_owned()
    } else {
        entries.iter().map(entry_html).collect()
    };
    let title = escape(&state.feed_title);
    let body = format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="alternate" type="application/atom+xml" href="/feed.atom">
<link rel="alternate" type="application/feed+json" href="/feed.json">
<style>body {{ margin: 0; }}
{CSS}</style>
</head>
<body>
<section class="lately h-feed" data-live data-theme="{theme}" data-limit="{limit}" data-kind="{kind}" data-tag="{tag}">
<h2 class="p-name">{title}</h2>
<ol>{items}</ol>
</section>
<script src="/widget.js" async></script>
</body>
</html>
"#,
        kind = kind.map_or("", MediaKind::as_str),
        tag = tag
            .as_ref()
            .map_or_else(String::new, |t| escape(t.as_str())),
    );
    let mut res = crate::routes::answer_with(&req, position, "text/html; charset=utf-8", body);
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; connect-src 'self'; img-src http: https:; style-src 'unsafe-inline'; frame-ancestors *",
        ),
    );
    Ok(res)
}
