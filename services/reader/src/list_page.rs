//! `/in-progress` and `/up-next`: every public item in progress, or added and not started
//! yet, of one kind or tag if asked.
//!
//! The home page lists the first ten of each and links here for the rest ("All 34 up next"):
//! a reading list of a hundred books is a page of its own, not a home page's length. Rendered
//! without script, in the widget's markup (`list_item_html`), beside the home page (its links
//! relative to the root, as the home page's).

use actix_web::{web, HttpRequest, HttpResponse};
use lately_projection::{ItemFilter, ItemView, Page};
use lately_service::Problem;

use crate::feeds::{base_url, escape};
use crate::page::{one_line, Card, Level};
use crate::routes::{bad, item_filter, params, position_for};
use crate::startup::AppState;
use crate::widget::{filter_query, list_item_html, Show};

/// `GET /in-progress?kind=&tag=&theme=` — every public item in progress, most recently touched
/// first, each with how far along it is.
pub async fn in_progress(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    page(req, state, Show::Current).await
}

/// `GET /up-next?kind=&tag=&theme=` — every public item added and not started yet, most
/// recently added first: the reading list.
pub async fn up_next(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    page(req, state, Show::Queue).await
}

/// The page's path and its title: what the home page's link and heading say too.
pub(crate) fn named(show: Show) -> (&'static str, &'static str) {
    match show {
        Show::Current => ("in-progress", "In progress"),
        _ => ("up-next", "Up next"),
    }
}

async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    show: Show,
) -> Result<HttpResponse, Problem> {
    let p = params(&req)?;
    if p.year.is_some() || p.limit.is_some() || p.cursor.is_some() {
        return Err(bad(
            "this page takes kind, tag and theme: it lists every item (the API pages: /v1/current, /v1/queue)",
        ));
    }
    let theme = crate::page::theme(&req)?;
    let filter = item_filter(&p)?;
    let (position, _) = position_for(&req, &state, &p).await?;
    Ok(crate::page::answer(&req, &state, position, "", || {
        render(&req, &state, show, &filter, &theme, position)
    }))
}

/// The page at `position`.
fn render(
    req: &HttpRequest,
    state: &AppState,
    show: Show,
    filter: &ItemFilter,
    theme: &str,
    position: i64,
) -> String {
    let items: Vec<ItemView> = {
        let projection = state.replica.projection.read().expect("not poisoned");
        let page = Page {
            after: None,
            limit: usize::MAX,
            as_of: Some(position),
        };
        match show {
            Show::Current => projection.current(filter, &page),
            _ => projection.queue(filter, &page),
        }
    };
    let (path, title) = named(show);
    let list = if items.is_empty() {
        format!(
            r#"<li class="empty">Nothing {}.</li>"#,
            title.to_lowercase()
        )
    } else {
        items
            .iter()
            .map(|i| list_item_html(i, show, state.zone))
            .collect()
    };
    let filters = filter_query(filter.kind, filter.tag.as_ref());
    let only = crate::home_page::only_html(filter, path);
    let body = format!(
        "<h1 class=\"p-name\">{title}</h1>\n{only}\n<ol>{list}</ol>\n<p class=\"back\"><a href=\"./{}\">← {}</a></p>",
        escape(&filters),
        escape(&state.feed_title)
    );
    let url = format!("{}/{path}{filters}", base_url(req, state));
    let quoted: Vec<String> = items.iter().map(|i| format!("“{}”", i.title)).collect();
    let description = match items.len() {
        0 => format!("Nothing {}.", title.to_lowercase()),
        n => one_line(
            &format!("{n} {}: {}", title.to_lowercase(), quoted.join(", ")),
            200,
        ),
    };
    let card = Card {
        url: &url,
        title,
        description: &description,
        image: items.iter().find_map(|i| i.cover_url.as_deref()),
    };
    crate::page::html(
        state,
        Level::Beside,
        theme,
        Some(&card),
        title,
        "",
        &filters,
        &body,
    )
}
