//! What the reader's own pages share (`/`, `/items/{id}`, `/years/{year}`): no script, the
//! widget's stylesheet with a page's rules over it, a card for a shared link, and a policy
//! that allows nothing else; and their problems, as a page of the same kind to a browser.
//!
//! Their links are relative (`feed.atom` from the home page and those beside it, `../items/…`
//! from a page one level under it), so that a reader served under a path of a blog's own
//! server links within it.

use actix_web::body::{to_bytes, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use lately_service::Problem;

use crate::feeds::{base_url, escape};
use crate::routes::bad;
use crate::startup::AppState;
use crate::widget::CSS;

/// A page's rules over the widget's: a column, a bigger cover, reviews whole.
pub(crate) const PAGE_CSS: &str = "body { margin: 0; }
.lately.page { max-width: 40rem; margin: 0 auto; border-radius: 0; min-height: 100vh; box-sizing: border-box; }
.lately.page header { display: flex; gap: 1rem; margin: .5rem 0 1rem; }
.lately.page header .cover { width: 96px; height: 144px; }
.lately.page header .cover.wide { height: 54px; }
.lately.page header .cover.square { height: 96px; }
.lately.page header .cover.blank, .lately.page header img.cover::before { font-size: 2.6rem; }
.lately.page header .cover.wide.blank, .lately.page header img.cover.wide::before { font-size: 1.6rem; }
.lately.page h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
.lately.page .review { display: block; -webkit-line-clamp: unset; overflow: visible; font-size: 1rem; }
.lately.page .back { font-size: .85rem; margin: 0; }
.lately.page section { margin: 1.5rem 0; }
.lately.page h2 { margin-top: 1.5rem; }
.lately.page h3 { font-size: .95rem; margin: 1.25rem 0 .25rem; }
.lately.page h3 .count { color: var(--muted); font-weight: normal; }
.lately.page .stats li[data-kind] { display: inline-block; border-top: 0; margin-right: 1.25rem; }
.lately.page .stats .months { border-top: 1px solid var(--line); padding-top: .5rem; }
.lately.page.home .review { display: -webkit-box; -webkit-line-clamp: 4; overflow: hidden; font-size: .9rem; }
.lately.page a { color: var(--accent); }
.lately.page a.permalink { color: inherit; }";

/// `theme=light|dark|auto` (auto by default), as the widget takes it.
pub fn theme(req: &HttpRequest) -> Result<String, Problem> {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let theme = query
        .into_iter()
        .find(|(k, _)| k == "theme")
        .map_or_else(|| "auto".to_owned(), |(_, v)| v);
    match theme.as_str() {
        "light" | "dark" | "auto" => Ok(theme),
        _ => Err(bad("theme must be light, dark or auto")),
    }
}

/// What a shared link to a page shows (Open Graph, X's card): its title, what it says, and an
/// image if it has one. The values are escaped here.
pub struct Card<'a> {
    pub url: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub image: Option<&'a str>,
}

/// What a shared link says, on one line and cut to `max` characters (an ellipsis last).
pub fn one_line(said: &str, max: usize) -> String {
    let line = said.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max - 1) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

/// Where a page sits: the home page (`/`), beside it (`/up-next`), or levels under it
/// (`/items/…` and `/years/…` one; an error page as deep as the address asked).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Home,
    Beside,
    Under(usize),
}

/// A whole page: `title` and `body` as HTML (escaped by the caller), `card` what a link to it
/// shows (none for an error's page, which is not indexed either), `main` the classes of its
/// `<main>` beside `lately page`. A page under the home page links back to it; the home page
/// to the owner's own (`LATELY_HOME_PAGE_URL`), if there is one. `filters` are the page's kind
/// and tag (`?kind=book`, or empty), which the feeds it names for a feed reader keep: the
/// page of your books follows your books.
#[allow(clippy::too_many_arguments)]
pub fn html(
    state: &AppState,
    level: Level,
    theme: &str,
    card: Option<&Card<'_>>,
    title: &str,
    main: &str,
    filters: &str,
    body: &str,
) -> String {
    let card = card.map_or_else(
        || "\n<meta name=\"robots\" content=\"noindex\">".to_owned(),
        |card| {
            let image = card.image.map_or_else(String::new, |src| {
                format!("\n<meta property=\"og:image\" content=\"{}\">", escape(src))
            });
            format!(
                r#"
<meta name="description" content="{description}">
<link rel="canonical" href="{url}">
<meta property="og:type" content="website">
<meta property="og:url" content="{url}">
<meta property="og:title" content="{card_title}">
<meta property="og:description" content="{description}">{image}
<meta name="twitter:card" content="summary">"#,
                url = escape(card.url),
                card_title = escape(card.title),
                description = escape(card.description),
            )
        },
    );
    let feed_title = escape(&state.feed_title);
    let (root, back) = match (level, state.home_page_url.as_deref()) {
        (Level::Under(levels), _) => {
            let root = "../".repeat(levels);
            let back = format!(r#"<p class="back"><a href="{root}">← {feed_title}</a></p>"#);
            (root, back)
        }
        (Level::Beside, _) => (
            String::new(),
            format!(r#"<p class="back"><a href="./">← {feed_title}</a></p>"#),
        ),
        (Level::Home, Some(home)) => {
            let shown = home
                .split_once("://")
                .map_or(home, |(_, rest)| rest)
                .trim_end_matches('/');
            (
                String::new(),
                format!(
                    r#"<p class="back"><a href="{}" rel="me">← {}</a></p>"#,
                    escape(home),
                    escape(shown)
                ),
            )
        }
        (Level::Home, None) => (String::new(), String::new()),
    };
    // The home page's title is the feed's; another page's names it too.
    let title = if level == Level::Home {
        title.to_owned()
    } else {
        format!("{title} — {feed_title}")
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{card}
<link rel="icon" href="{root}owner-icon.svg">
<link rel="alternate" type="application/atom+xml" href="{root}feed.atom{filters}" title="{feed_title}">
<link rel="alternate" type="application/feed+json" href="{root}feed.json{filters}" title="{feed_title}">
<style>{CSS}
{PAGE_CSS}</style>
</head>
<body>
<main class="lately page{main}" data-theme="{theme}">
{back}
{body}
</main>
</body>
</html>
"#,
        filters = escape(filters),
        main = if main.is_empty() {
            String::new()
        } else {
            format!(" {main}")
        },
    )
}

/// The largest page kept for the next request (a person's year is a few hundred finishes,
/// some hundred kilobytes).
const MAX_KEPT: usize = 1 << 20;

/// The page as an answer at `position` (its ETag varying with `varies` too), under a policy
/// that allows no script. `render` makes it, unless the client has it already (a 304) or
/// this replica rendered it for an earlier request: the state at a position never changes,
/// and the home page and a year's count every finish of the log, a scan of them all. The
/// address's host is part of what is kept, as the card names it.
pub fn answer(
    req: &HttpRequest,
    state: &AppState,
    position: i64,
    varies: &str,
    render: impl FnOnce() -> String,
) -> HttpResponse {
    let body = if crate::routes::unchanged_at(req, position, varies) {
        Bytes::new()
    } else {
        let key = (
            format!(
                "{}{}?{}\n{varies}",
                base_url(req, state),
                req.path(),
                req.query_string()
            ),
            position,
        );
        match state.cached_page(&key) {
            Some(body) => body,
            None => {
                let body = Bytes::from(render());
                // A year of a log filled by a machine could be megabytes: not kept.
                if body.len() <= MAX_KEPT {
                    state.cache_page(key, body.clone());
                }
                body
            }
        }
    };
    let mut res =
        crate::routes::answer_varying(req, position, varies, "text/html; charset=utf-8", body);
    res.headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, POLICY);
    res
}

/// What a page may load: its own styles and the covers, no script.
const POLICY: header::HeaderValue = header::HeaderValue::from_static(
    "default-src 'none'; img-src http: https:; style-src 'unsafe-inline'; frame-ancestors *",
);

/// A problem as a page, for a person who opened an address in a browser: a link followed to
/// an item removed or made private since, a year mistyped. They read what went wrong and the
/// way to the home page, not the problem's JSON. A browser opening an address asks for HTML
/// (`Accept: text/html,…`); the widget's and the owner page's reads do not, and the API's
/// addresses (`/v1/…`) answer JSON whatever is asked. Same status and headers, HTML body.
pub async fn problems_as_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    // Asked of the answer first: most answers are no problem, and nothing more is looked at.
    let is_problem = res.headers().get(header::CONTENT_TYPE).is_some_and(|t| {
        t.as_bytes()
            .starts_with(lately_service::problem::CONTENT_TYPE.as_bytes())
    });
    if !is_problem {
        return Ok(res.map_into_left_body());
    }
    let asked = res.request();
    let outside_api = !asked.path().starts_with("/v1/");
    let wants_page = outside_api
        && matches!(*asked.method(), Method::GET | Method::HEAD)
        && asked
            .headers()
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.to_ascii_lowercase().contains("text/html"));
    // A problem outside the API is a page or JSON by what was asked: a cache in front of the
    // readers keeps the two apart.
    if outside_api {
        add_vary(res.headers_mut(), "accept");
    }
    if !wants_page {
        return Ok(res.map_into_left_body());
    }
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let body = to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let said = |key: &str| problem[key].as_str().unwrap_or_default().to_owned();
    let page = match req.app_data::<actix_web::web::Data<AppState>>() {
        Some(state) => problem_page(&req, state, &said("title"), &said("detail")),
        None => return Ok(ServiceResponse::new(req, head.set_body(body)).map_into_right_body()),
    };
    let headers = head.headers_mut();
    headers.remove(header::CONTENT_LENGTH);
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CONTENT_SECURITY_POLICY, POLICY);
    Ok(ServiceResponse::new(req, head.set_body(Bytes::from(page))).map_into_right_body())
}

/// Every answer that may be compressed says it varies with `Accept-Encoding`, compressed or
/// not. The compressor marks only what it compressed: a shared cache in front of the readers
/// (a CDN) that stored an uncompressed answer without the mark would give it to every browser
/// after, however they asked.
pub async fn vary_with_encoding(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    add_vary(res.headers_mut(), "accept-encoding");
    Ok(res)
}

/// `name` added to the answer's `Vary`, unless it names it already (or `*`), as one line: the
/// CORS middleware outside adds its names to the first `Vary` line and drops any other (the
/// compressor appends one of its own).
fn add_vary(headers: &mut header::HeaderMap, name: &'static str) {
    let names_it = |v: &header::HeaderValue| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|n| n == "*" || n.eq_ignore_ascii_case(name))
        })
    };
    // Every answer of the readers passes here: most have no `Vary` yet, or the compressor's
    // one line, and nothing is built for them.
    let mut lines = headers.get_all(header::VARY);
    match (lines.next(), lines.next()) {
        (None, _) => {
            headers.insert(header::VARY, header::HeaderValue::from_static(name));
            return;
        }
        (Some(line), None) if names_it(line) => return,
        _ => {}
    }
    let mut names: Vec<String> = headers
        .get_all(header::VARY)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if !names
        .iter()
        .any(|n| n == "*" || n.eq_ignore_ascii_case(name))
    {
        names.push(name.to_owned());
    }
    if let Ok(value) = header::HeaderValue::from_str(&names.join(", ")) {
        headers.insert(header::VARY, value);
    }
}

/// An address no route serves. One ending in a slash (`/up-next/`, `/items/dune-3f2a1c/`:
/// typed so, or a blog's platform adding it) is redirected to the address without it, by a
/// relative `Location` (`../up-next`), as the pages link relatively to work under a path of a
/// blog's own server; any other is a 404 problem (a page to a browser).
pub async fn no_such_page(req: HttpRequest) -> HttpResponse {
    let path = req.path();
    let slashed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty() && !p.ends_with('/'));
    if let (Some(trimmed), true) = (slashed, matches!(*req.method(), Method::GET | Method::HEAD)) {
        let last = trimmed.rsplit('/').next().unwrap_or_default();
        let query = req.query_string();
        let location = match query {
            "" => format!("../{last}"),
            q => format!("../{last}?{q}"),
        };
        return HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, location))
            .finish();
    }
    lately_service::problem::no_such_route(req).await
}

/// The page of a problem titled `title` (its heading) saying `detail`, linking back to the
/// home page from as deep as `req`'s address is.
fn problem_page(req: &HttpRequest, state: &AppState, title: &str, detail: &str) -> String {
    let levels = req.path().trim_start_matches('/').matches('/').count();
    let level = if levels == 0 {
        Level::Beside
    } else {
        Level::Under(levels)
    };
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>",
        escape(title),
        escape(&capitalized(detail))
    );
    html(state, level, "auto", None, &escape(title), "", "", &body)
}

/// `detail` as a sentence: a problem's starts in lower case ("no public item …"), to follow
/// its title in a log line.
fn capitalized(detail: &str) -> String {
    let mut chars = detail.chars();
    match chars.next() {
        Some(first) => {
            let ends = if detail.ends_with(['.', '?', '!', ')']) {
                ""
            } else {
                "."
            };
            format!("{}{}{ends}", first.to_uppercase(), chars.as_str())
        }
        None => String::new(),
    }
}

/// A finish as the pages' tests build one: of [`a_book`] `title`, now, at `position`.
#[cfg(test)]
pub(crate) fn a_finish(
    title: &str,
    position: i64,
    rating: Option<f64>,
) -> lately_projection::FeedEntry {
    lately_projection::FeedEntry {
        position,
        finished_at: chrono::Utc::now(),
        started_at: None,
        rating,
        review: None,
        revised_at: None,
        finish_number: 1,
        followed_in: lately_domain::Unit::Own,
        listened: false,
        time_played: None,
        item: a_book(title, &[]),
        visibility: None,
    }
}

/// An item as the pages' tests build one: a finished book, `title` with `creators`.
#[cfg(test)]
pub(crate) fn a_book(title: &str, creators: &[&str]) -> lately_projection::ItemView {
    lately_projection::ItemView {
        id: title.to_lowercase(),
        kind: lately_domain::MediaKind::Book,
        title: title.into(),
        creators: creators.iter().map(|c| c.to_string()).collect(),
        url: None,
        cover_url: None,
        tags: vec![],
        status: lately_domain::Status::Finished,
        progress: None,
        progress_done: None,
        progress_of: None,
        progress_unit: None,
        progress_season: None,
        times_finished: 1,
        added_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
        started_at: None,
    }
}
