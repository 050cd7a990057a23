//! What the reader's own pages share (`/items/{id}`, `/years/{year}`): one level under the
//! reader's root, no script, the widget's stylesheet with a page's rules over it, a card for a
//! shared link, and a policy that allows nothing else.
//!
//! Their links are relative (`../feed.atom`, `../items/…`), so that a reader served under a
//! path of a blog's own server links within it.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use lately_service::Problem;

use crate::feeds::escape;
use crate::routes::bad;
use crate::startup::AppState;
use crate::widget::CSS;

/// A page's rules over the widget's: a column, a bigger cover, reviews whole.
const PAGE_CSS: &str = "body { margin: 0; }
.lately.page { max-width: 40rem; margin: 0 auto; border-radius: 0; min-height: 100vh; box-sizing: border-box; }
.lately.page header { display: flex; gap: 1rem; margin: .5rem 0 1rem; }
.lately.page header .cover { width: 96px; height: 144px; }
.lately.page h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
.lately.page .review { display: block; -webkit-line-clamp: unset; overflow: visible; font-size: 1rem; }
.lately.page .back { font-size: .85rem; margin: 0; }
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

/// A whole page: `title` and `body` as HTML (escaped by the caller), `main` the classes of its
/// `<main>` beside `lately page`.
pub fn html(
    state: &AppState,
    theme: &str,
    card: &Card<'_>,
    title: &str,
    main: &str,
    body: &str,
) -> String {
    let image = card.image.map_or_else(String::new, |src| {
        format!("\n<meta property=\"og:image\" content=\"{}\">", escape(src))
    });
    let feed_title = escape(&state.feed_title);
    let home = escape(state.home_page_url.as_deref().unwrap_or("../widget"));
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — {feed_title}</title>
<meta name="description" content="{description}">
<link rel="canonical" href="{url}">
<meta property="og:type" content="website">
<meta property="og:url" content="{url}">
<meta property="og:title" content="{card_title}">
<meta property="og:description" content="{description}">{image}
<meta name="twitter:card" content="summary">
<link rel="alternate" type="application/atom+xml" href="../feed.atom">
<link rel="alternate" type="application/feed+json" href="../feed.json">
<style>{CSS}
{PAGE_CSS}</style>
</head>
<body>
<main class="lately page{main}" data-theme="{theme}">
<p class="back"><a href="{home}">← {feed_title}</a></p>
{body}
</main>
</body>
</html>
"#,
        url = escape(card.url),
        card_title = escape(card.title),
        description = escape(card.description),
        main = if main.is_empty() {
            String::new()
        } else {
            format!(" {main}")
        },
    )
}

/// The page as an answer at `position` (its ETag varying with `varies` too), under a policy
/// that allows no script.
pub fn answer(req: &HttpRequest, position: i64, varies: &str, body: String) -> HttpResponse {
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
