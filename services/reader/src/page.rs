//! What the reader's own pages share (`/`, `/items/{id}`, `/years/{year}`): no script, the
//! widget's stylesheet with a page's rules over it, a card for a shared link, and a policy
//! that allows nothing else.
//!
//! Their links are relative (`feed.atom` from the home page and those beside it, `../items/…`
//! from a page one level under it), so that a reader served under a path of a blog's own
//! server links within it.

use actix_web::http::header;
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

/// Where a page sits: the home page (`/`), beside it (`/up-next`), or one level under it
/// (`/items/…`, `/years/…`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Home,
    Beside,
    Under,
}

/// A whole page: `title` and `body` as HTML (escaped by the caller), `main` the classes of its
/// `<main>` beside `lately page`. A page under the home page links back to it; the home page
/// to the owner's own (`LATELY_HOME_PAGE_URL`), if there is one. `filters` are the page's kind
/// and tag (`?kind=book`, or empty), which the feeds it names for a feed reader keep: the
/// page of your books follows your books.
#[allow(clippy::too_many_arguments)]
pub fn html(
    state: &AppState,
    level: Level,
    theme: &str,
    card: &Card<'_>,
    title: &str,
    main: &str,
    filters: &str,
    body: &str,
) -> String {
    let image = card.image.map_or_else(String::new, |src| {
        format!("\n<meta property=\"og:image\" content=\"{}\">", escape(src))
    });
    let feed_title = escape(&state.feed_title);
    let (root, back) = match (level, state.home_page_url.as_deref()) {
        (Level::Under, _) => (
            "../",
            format!(r#"<p class="back"><a href="../">← {feed_title}</a></p>"#),
        ),
        (Level::Beside, _) => (
            "",
            format!(r#"<p class="back"><a href="./">← {feed_title}</a></p>"#),
        ),
        (Level::Home, Some(home)) => {
            let shown = home
                .split_once("://")
                .map_or(home, |(_, rest)| rest)
                .trim_end_matches('/');
            (
                "",
                format!(
                    r#"<p class="back"><a href="{}" rel="me">← {}</a></p>"#,
                    escape(home),
                    escape(shown)
                ),
            )
        }
        (Level::Home, None) => ("", String::new()),
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
<title>{title}</title>
<meta name="description" content="{description}">
<link rel="canonical" href="{url}">
<meta property="og:type" content="website">
<meta property="og:url" content="{url}">
<meta property="og:title" content="{card_title}">
<meta property="og:description" content="{description}">{image}
<meta name="twitter:card" content="summary">
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
        url = escape(card.url),
        filters = escape(filters),
        card_title = escape(card.title),
        description = escape(card.description),
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
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; img-src http: https:; style-src 'unsafe-inline'; frame-ancestors *",
        ),
    );
    res
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
        times_finished: 1,
        added_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
        started_at: None,
    }
}
