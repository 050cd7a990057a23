//! The feed in the formats other software reads: JSON Feed 1.1 and Atom 1.0.
//!
//! Both take the same filters as `/v1/feed` (kind, tag, limit) and show only public items.
//! User text is escaped wherever it becomes HTML (`content_html`, Atom `html` content); the
//! Atom XML itself is written by `atom_syndication`, which escapes it as XML.

use actix_web::{web, HttpRequest, HttpResponse};
use atom_syndication as atom;
use chrono::Utc;
use lately_domain::{for_the_nth_time, hours_played, in_days};
use lately_projection::{FeedEntry, FeedQuery, Zone};
use lately_service::Problem;
use serde_json::json;

use crate::routes::{answer_with, params, ReadParams};
use crate::startup::AppState;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A rating from the API's stars (0.5–5.0) drawn as ★★★★½.
pub fn stars(rating: f64) -> String {
    lately_domain::Rating::parse(rating).map_or_else(|_| String::new(), |r| r.to_stars())
}

/// When an entry last changed: its finish, or the revision of its rating, review or start
/// after it, so that a feed reader shows a revised entry again.
fn updated(e: &FeedEntry) -> chrono::DateTime<Utc> {
    e.revised_at.map_or(e.finished_at, |r| r.max(e.finished_at))
}

/// "reading", or "listening to" an audiobook: as the read the finish ended was followed.
fn verbing(e: &FeedEntry) -> &'static str {
    e.item.kind.verbing(e.followed_in)
}

/// How long the read took and, of a game played so, its hours played: " in 13 days (62h
/// played)", as the tweet says them after the title (days of the owner's calendar, `zone`).
fn took(e: &FeedEntry, zone: Zone) -> String {
    in_days(e.days_taken(zone)) + &hours_played(e.time_played)
}

/// "Finished reading “Dune” by Frank Herbert in 13 days — ★★★★½", then the review.
pub fn text(e: &FeedEntry, zone: Zone) -> String {
    let mut s = format!("Finished {} “{}”", verbing(e), e.item.title);
    if !e.item.creators.is_empty() {
        s.push_str(&format!(" by {}", e.item.creators.join(", ")));
    }
    s.push_str(&for_the_nth_time(e.finish_number.into()));
    s.push_str(&took(e, zone));
    if let Some(r) = e.rating {
        s.push_str(&format!(" — {}", stars(r)));
    }
    if let Some(review) = &e.review {
        s.push_str("\n\n");
        s.push_str(review);
    }
    s
}

/// The same as HTML, every piece of user text escaped.
pub fn html(e: &FeedEntry, zone: Zone) -> String {
    // The cover first, as a Goodreads update shows it: JSON Feed's `image` names it too, the
    // hint that it is the entry's main picture; Atom has no other place a reader shows.
    let mut s = match &e.item.cover_url {
        Some(cover) => format!(
            "<p><img src=\"{}\" alt=\"Cover of {}\"></p>",
            escape(cover),
            escape(&e.item.title)
        ),
        None => String::new(),
    };
    s.push_str(&format!(
        "<p>Finished {} <cite>{}</cite>",
        verbing(e),
        escape(&e.item.title)
    ));
    if !e.item.creators.is_empty() {
        s.push_str(&format!(" by {}", escape(&e.item.creators.join(", "))));
    }
    s.push_str(&for_the_nth_time(e.finish_number.into()));
    s.push_str(&took(e, zone));
    if let Some(r) = e.rating {
        s.push_str(&format!(
            " — <span role=\"img\" aria-label=\"{r} out of 5 stars\">{}</span>",
            stars(r)
        ));
    }
    s.push_str("</p>");
    if let Some(review) = &e.review {
        let paragraphs: Vec<String> = review
            .split("\n\n")
            .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
            .collect();
        s.push_str(&paragraphs.join(""));
    }
    s
}

/// The public base URL: configured, or how this request reached us.
pub fn base_url(req: &HttpRequest, state: &AppState) -> String {
    match &state.public_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

fn query(p: &ReadParams, state: &AppState) -> Result<FeedQuery, Problem> {
    let limit = p.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(crate::routes::bad("limit must be between 1 and 100"));
    }
    Ok(FeedQuery {
        kind: crate::routes::kind(p)?,
        tag: crate::routes::tag(p)?,
        year: crate::routes::year(p)?,
        zone: state.zone,
        limit,
        ..FeedQuery::default()
    })
}

/// What makes a feed of some finishes another feed than the whole one: its kind, tag and
/// year, as a query (`?kind=book`; empty for the whole feed). Its `limit` does not: fewer
/// entries of the same feed are the same feed.
fn selection(q: &FeedQuery) -> String {
    let year = q.year.map(|y| y.to_string());
    let pairs: Vec<(&str, &str)> = [
        ("kind", q.kind.map(|k| k.as_str())),
        ("tag", q.tag.as_ref().map(|t| t.as_str())),
        ("year", year.as_deref()),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .collect();
    match serde_urlencoded::to_string(&pairs).unwrap_or_default() {
        s if s.is_empty() => s,
        s => format!("?{s}"),
    }
}

/// A feed's name, and where it is read as a page (when the owner names no blog of theirs):
/// the whole feed is "Ann's recently finished" at `/`; one of books, "Ann's recently
/// finished: books" at `/?kind=book`; one of a year, "…: 2025" or "…: books in 2025", at that
/// year's page. Two feeds a reader subscribes to side by side are told apart.
fn identity(state: &AppState, base: &str, q: &FeedQuery) -> (String, String) {
    let what = crate::home_page::filter_words(q.kind, q.tag.as_ref());
    let shelf = crate::widget::filter_query(q.kind, q.tag.as_ref());
    let (title, page) = match (what, q.year) {
        (None, None) => (state.feed_title.clone(), format!("{base}/")),
        (what, Some(year)) => (
            match what {
                Some(what) => format!("{}: {what} in {year}", state.feed_title),
                None => format!("{}: {year}", state.feed_title),
            },
            format!("{base}/years/{year}{shelf}"),
        ),
        (Some(what), None) => (
            format!("{}: {what}", state.feed_title),
            format!("{base}/{shelf}"),
        ),
    };
    (title, state.home_page_url.clone().unwrap_or(page))
}

fn entries(state: &AppState, q: &FeedQuery) -> (i64, Vec<FeedEntry>) {
    let projection = state.replica.projection.read().expect("not poisoned");
    let position = projection.position();
    (
        position,
        projection.feed(&FeedQuery {
            as_of: Some(position),
            ..q.clone()
        }),
    )
}

/// A stable id for a finish: it never changes when the item is edited. (It names the API's
/// item, as it always has: a feed reader takes a changed id for a new entry.)
fn entry_id(base: &str, e: &FeedEntry) -> String {
    format!("{base}/v1/items/{}#finish-{}", e.item.id, e.position)
}

/// Where a finish is read: its place on its item's page ([`crate::item_page`]). Ids are
/// slugs or UUIDs: nothing in them needs escaping in a path.
fn permalink(base: &str, e: &FeedEntry) -> String {
    format!("{base}/items/{}#finish-{}", e.item.id, e.position)
}

/// `GET /feed.json` — JSON Feed 1.1.
pub async fn json_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let q = query(&params(&req)?, &state)?;
    let (position, entries) = entries(&state, &q);
    let base = base_url(&req, &state);
    let items: Vec<_> = entries
        .iter()
        .map(|e| {
            let mut item = json!({
                "id": entry_id(&base, e),
                "url": permalink(&base, e),
                "title": e.item.title,
                "content_html": html(e, state.zone),
                "content_text": text(e, state.zone),
                "date_published": e.finished_at.to_rfc3339(),
                "date_modified": updated(e).to_rfc3339(),
                "tags": e.item.tags,
                "_lately": {
                    "kind": e.item.kind,
                    "rating": e.rating,
                    "position": e.position,
                    "finish_number": e.finish_number,
                },
            });
            if let Some(started) = e.started_at {
                item["_lately"]["started_at"] = json!(started.to_rfc3339());
            }
            if !e.followed_in.is_own() {
                item["_lately"]["followed_in"] = json!(e.followed_in);
            }
            if let Some(played) = e.time_played {
                item["_lately"]["time_played"] = json!(played);
            }
            // What the finish is of: the book's, the film's own page.
            if let Some(url) = &e.item.url {
                item["external_url"] = json!(url);
            }
            if let Some(cover) = &e.item.cover_url {
                item["image"] = json!(cover);
            }
            if !e.item.creators.is_empty() {
                item["authors"] = json!(e
                    .item
                    .creators
                    .iter()
                    .map(|c| json!({ "name": c }))
                    .collect::<Vec<_>>());
            }
            item
        })
        .collect();
    let (title, home) = identity(&state, &base, &q);
    let mut feed = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": home,
        "feed_url": format!("{base}{}", req.uri()),
        "authors": [{ "name": state.author }],
        // What a feed reader shows beside the feed's name: the site's icon.
        "icon": format!("{base}/owner-icon.png"),
        "favicon": format!("{base}/owner-icon.png"),
        "items": items,
    });
    if entries.is_empty() {
        feed["items"] = json!([]);
    }
    Ok(answer_with(
        &req,
        position,
        "application/feed+json",
        serde_json::to_string(&feed).expect("JSON"),
    ))
}

/// `GET /feed.atom` — Atom 1.0.
pub async fn atom_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let q = query(&params(&req)?, &state)?;
    let (position, entries) = entries(&state, &q);
    let base = base_url(&req, &state);
    let self_url = format!("{base}{}", req.uri());
    let link = |href: String, rel: &str, mime: Option<&str>| {
        let mut l = atom::Link::default();
        l.set_href(href);
        l.set_rel(rel);
        l.set_mime_type(mime.map(str::to_owned));
        l
    };
    let person = |name: &str| {
        let mut p = atom::Person::default();
        p.set_name(name);
        p
    };
    let atom_entries: Vec<atom::Entry> = entries
        .iter()
        .map(|e| {
            let mut entry = atom::Entry::default();
            entry.set_id(entry_id(&base, e));
            entry.set_title(e.item.title.as_str());
            entry.set_updated(updated(e).fixed_offset());
            entry.set_published(Some(e.finished_at.fixed_offset()));
            let mut links = vec![link(permalink(&base, e), "alternate", Some("text/html"))];
            if let Some(url) = &e.item.url {
                links.push(link(url.clone(), "related", None));
            }
            entry.set_links(links);
            entry.set_summary(Some(atom::Text::plain(text(e, state.zone))));
            let mut content = atom::Content::default();
            content.set_content_type(Some("html".to_owned()));
            content.set_value(Some(html(e, state.zone)));
            entry.set_content(Some(content));
            let authors = if e.item.creators.is_empty() {
                vec![person(&state.author)]
            } else {
                e.item.creators.iter().map(|c| person(c)).collect()
            };
            entry.set_authors(authors);
            entry.set_categories(
                e.item
                    .tags
                    .iter()
                    .map(|t| {
                        let mut c = atom::Category::default();
                        c.set_term(t.as_str());
                        c
                    })
                    .collect::<Vec<_>>(),
            );
            entry
        })
        .collect();
    let mut feed = atom::Feed::default();
    // Its own id, as a feed of books is another feed than the whole one.
    feed.set_id(format!("{base}/feed.atom{}", selection(&q)));
    let (title, home) = identity(&state, &base, &q);
    feed.set_title(title.as_str());
    feed.set_updated(
        entries
            .iter()
            .map(updated)
            .max()
            .unwrap_or_else(Utc::now)
            .fixed_offset(),
    );
    feed.set_authors(vec![person(&state.author)]);
    feed.set_icon(Some(format!("{base}/owner-icon.png")));
    feed.set_links(vec![
        link(self_url, "self", Some("application/atom+xml")),
        link(home, "alternate", Some("text/html")),
    ]);
    feed.set_entries(atom_entries);
    Ok(answer_with(
        &req,
        position,
        "application/atom+xml; charset=utf-8",
        feed.to_string(),
    ))
}
