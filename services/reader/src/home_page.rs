//! `/`: the owner's page — what is in progress, the latest finishes with their reviews, this
//! year's counts, every year with finishes, what is up next, and the feeds to follow.
//!
//! The widget is made for a sidebar of someone's blog; this is the page the feed's own address
//! shows (the load balancer's root, what `make run` and compose print), where the item and
//! year pages lead back to, and what the feeds name as their home page unless the owner has
//! one (`LATELY_HOME_PAGE_URL`). Everything on it is in the widget's markup (`entry_html`,
//! `list_item_html`, `stats_html`), rendered here without script.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike, Utc};
use lately_domain::{MediaKind, Status, Tag};
use lately_projection::{FeedEntry, FeedQuery, ItemFilter, ItemView, Page, StatsQuery};
use lately_service::Problem;

use crate::feeds::{base_url, escape};
use crate::page::{one_line, Card, Level};
use crate::routes::{bad, item_filter, params, position_for};
use crate::startup::AppState;
use crate::widget::{
    entry_html, filter_query, list_item_html, stats_html, year_link, Show, Target,
};

/// How many of the latest finishes the page lists; older ones are on their years' pages.
const FINISHES: usize = 20;
/// How many items in progress, and up next, it lists.
const ITEMS: usize = 10;
/// How many tags it links, the most used first.
const TAGS: usize = 20;

/// What a shared link to the page says: what is in progress, then the latest finishes, on one
/// line ("Now: “A Memory Called Empire”. Lately: “Dune” ★★★★★, “Heat”, …").
fn description(current: &[ItemView], finishes: &[FeedEntry]) -> String {
    let quoted = |title: &str| format!("“{title}”");
    let mut said = Vec::new();
    if !current.is_empty() {
        let now: Vec<String> = current.iter().map(|i| quoted(&i.title)).collect();
        said.push(format!("Now: {}.", now.join(", ")));
    }
    if !finishes.is_empty() {
        let lately: Vec<String> = finishes
            .iter()
            .map(|e| match e.rating {
                Some(r) => format!("{} {}", quoted(&e.item.title), crate::feeds::stars(r)),
                None => quoted(&e.item.title),
            })
            .collect();
        said.push(format!("Lately: {}.", lately.join(", ")));
    }
    if said.is_empty() {
        return "Nothing finished yet.".to_owned();
    }
    one_line(&said.join(" "), 200)
}

/// `GET /?kind=&tag=&theme=light|dark|auto` — the owner's page, of one kind or tag if asked
/// (a book blog's "what I read").
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let p = params(&req)?;
    if p.year.is_some() || p.limit.is_some() || p.cursor.is_some() {
        return Err(bad(
            "the home page takes kind, tag and theme; a year has its own page (/years/2026)",
        ));
    }
    let theme = crate::page::theme(&req)?;
    let filter = item_filter(&p)?;
    let (position, _) = position_for(&req, &state, &p).await?;
    let today = state.zone.date(Utc::now());
    let targets = crate::widget::targets(&state.goals, &filter, today);
    // The year's counts are the current year's: a new year is a new page; and a goal's pace
    // moves daily.
    let varies = match targets.is_empty() {
        true => today.year().to_string(),
        false => today.to_string(),
    };
    Ok(crate::page::answer(&req, &state, position, &varies, || {
        render(
            &req,
            &state,
            &filter,
            &theme,
            position,
            today.year(),
            &targets,
        )
    }))
}

/// Filtered, a page says so and links to the whole of it (`everything`: the page unfiltered).
pub(crate) fn only_html(filter: &ItemFilter, everything: &str) -> String {
    let Some(what) = filter_words(filter.kind, filter.tag.as_ref()) else {
        return String::new();
    };
    format!(
        r#"<p class="meta">Only {} · <a href="{}">everything</a></p>"#,
        escape(&what),
        escape(everything)
    )
}

/// What a kind and a tag pick, in words: "books", "tagged sf", "books tagged sf"; `None`
/// for everything. A filtered page says it so, and so does its feed's name.
pub(crate) fn filter_words(kind: Option<MediaKind>, tag: Option<&Tag>) -> Option<String> {
    match (kind, tag) {
        (None, None) => None,
        (Some(kind), Some(tag)) => Some(format!("{} tagged {}", kind.noun(2), tag.as_str())),
        (Some(kind), None) => Some(kind.noun(2).to_owned()),
        (None, Some(tag)) => Some(format!("tagged {}", tag.as_str())),
    }
}

/// The page at `position`.
fn render(
    req: &HttpRequest,
    state: &AppState,
    filter: &ItemFilter,
    theme: &str,
    position: i64,
    this_year: i32,
    targets: &[Target],
) -> String {
    let zone = state.zone;
    let stats = |projection: &lately_projection::Projection, year| {
        projection.count(&StatsQuery {
            year,
            zone,
            filter: filter.clone(),
            as_of: Some(position),
            owner: false,
        })
    };
    let (current, all_current, finishes, queue, all_queued, year, years, tags) = {
        let projection = state.replica.projection.read().expect("not poisoned");
        let page = Page {
            after: None,
            limit: ITEMS,
            as_of: Some(position),
        };
        let finishes = projection.feed(&FeedQuery {
            kind: filter.kind,
            tag: filter.tag.clone(),
            zone,
            limit: FINISHES,
            as_of: Some(position),
            ..FeedQuery::default()
        });
        (
            projection.current(filter, &page),
            projection.listed(Status::InProgress, filter, Some(position)),
            finishes,
            projection.queue(filter, &page),
            projection.listed(Status::Queued, filter, Some(position)),
            stats(&projection, Some(this_year)),
            stats(&projection, None).by_year.unwrap_or_default(),
            // The tags lead to the pages of one; a page of one kind or tag has them not.
            match (filter.kind, &filter.tag) {
                (None, None) => projection.tags(Some(position), false),
                _ => Vec::new(),
            },
        )
    };
    let filters = filter_query(filter.kind, filter.tag.as_ref());
    let only = only_html(filter, "./");
    // The first few, then a link to the whole list if there is more.
    let list = |items: &[ItemView], all: usize, show: Show| -> String {
        let listed: String = items
            .iter()
            .map(|i| list_item_html(i, show, zone))
            .collect();
        let more = if all > items.len() {
            let (path, title) = crate::list_page::named(show);
            format!(
                r#"<p class="more"><a href="{path}{}">All {all} {} →</a></p>"#,
                escape(&filters),
                title.to_lowercase()
            )
        } else {
            String::new()
        };
        format!("<ol>{listed}</ol>{more}")
    };
    let section =
        |title: &str, html: String| format!("<section>\n<h2>{title}</h2>\n{html}\n</section>\n");
    let mut body = format!(
        "<h1 class=\"p-name\">{}</h1>\n{only}\n",
        escape(&state.feed_title)
    );
    if !current.is_empty() {
        body.push_str(&section(
            "In progress",
            list(&current, all_current, Show::Current),
        ));
    }
    let latest = if finishes.is_empty() {
        r#"<li class="empty">Nothing finished yet.</li>"#.to_owned()
    } else {
        finishes
            .iter()
            .map(|e| entry_html(e, zone, true, ""))
            .collect()
    };
    // Every year with a finish, newest first, each to its page: where the older ones are.
    let every_year = if years.is_empty() {
        String::new()
    } else {
        let kept = escape(&filters);
        let links: Vec<String> = years
            .iter()
            .rev()
            .map(|(y, n)| format!(r#"<a href="years/{y}{kept}">{y}</a> ({n})"#))
            .collect();
        format!(r#"<p class="more">By year: {}</p>"#, links.join(" · "))
    };
    // The most used tags, each to its page (`?tag=`), with how many public items have it.
    let every_tag = if tags.is_empty() {
        String::new()
    } else {
        let links: Vec<String> = tags
            .iter()
            .take(TAGS)
            .map(|t| {
                let query =
                    serde_urlencoded::to_string([("tag", t.tag.as_str())]).unwrap_or_default();
                format!(
                    r#"<a href="?{}" rel="tag">{}</a> ({})"#,
                    escape(&query),
                    escape(&t.tag),
                    t.items
                )
            })
            .collect();
        format!(r#"<p class="more">By tag: {}</p>"#, links.join(" · "))
    };
    body.push_str(&section(
        "Finished lately",
        format!(r#"<ol class="h-feed">{latest}</ol>{every_year}{every_tag}"#),
    ));
    body.push_str(&section(
        &format!("{this_year} so far"),
        format!(
            r#"<ol class="stats">{}</ol>{}"#,
            stats_html(&year, this_year, targets),
            year_link(this_year, filter.kind, filter.tag.as_ref())
        ),
    ));
    if !queue.is_empty() {
        body.push_str(&section("Up next", list(&queue, all_queued, Show::Queue)));
    }
    body.push_str(
        &format!(
            r#"<p class="back">Follow: <a href="feed.atom{kept}">Atom</a> · <a href="feed.json{kept}">JSON Feed</a></p>"#,
            kept = escape(&filters)
        ),
    );
    let url = format!("{}/{filters}", base_url(req, state));
    let card = Card {
        url: &url,
        title: &state.feed_title,
        description: &description(&current, &finishes),
        // The latest cover there is: of a finish, or else of an item in progress.
        image: finishes
            .iter()
            .find_map(|e| e.item.cover_url.as_deref())
            .or_else(|| current.iter().find_map(|i| i.cover_url.as_deref())),
    };
    crate::page::html(
        state,
        Level::Home,
        theme,
        Some(&card),
        &escape(&state.feed_title),
        "home",
        &filters,
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(title: &str) -> ItemView {
        crate::page::a_book(title, &[])
    }

    fn finish(title: &str, rating: Option<f64>) -> FeedEntry {
        crate::page::a_finish(title, 1, rating)
    }

    #[test]
    fn a_shared_link_says_what_is_in_progress_then_the_latest_finishes_on_one_line() {
        assert_eq!(
            description(
                &[item("A Memory Called Empire")],
                &[finish("Dune", Some(5.0)), finish("Heat", None)]
            ),
            "Now: “A Memory Called Empire”. Lately: “Dune” ★★★★★, “Heat”."
        );
        assert_eq!(
            description(&[], &[finish("Heat", Some(3.5))]),
            "Lately: “Heat” ★★★½."
        );
        assert_eq!(description(&[], &[]), "Nothing finished yet.");
        let many: Vec<FeedEntry> = (0..20)
            .map(|n| finish(&format!("A rather long title {n}"), None))
            .collect();
        let said = description(&[], &many);
        assert_eq!(said.chars().count(), 200);
        assert!(said.ends_with('…'), "{said}");
    }
}
