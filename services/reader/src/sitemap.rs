//! `/sitemap.xml` and `/robots.txt`: the public pages, for search engines.
//!
//! A reader's pages are someone's reading life in public: their page, what is in progress and
//! up next, each year, each tag's page, and a page per item with its history. The sitemap
//! names each public item's page with the day it last changed, so a search engine finds the
//! old ones and comes back for the ones that moved; `robots.txt` names the sitemap and keeps crawlers off the
//! API (whose live stream never ends). The owner's page says `noindex` itself, which a crawler
//! only reads if it may fetch the page. A private or removed item is in neither, as in every
//! public answer.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use lately_projection::StatsQuery;
use lately_service::Problem;

use crate::feeds::{base_url, escape};
use crate::routes::{answer_with, bad, params, position_for};
use crate::startup::AppState;

/// What one sitemap may hold (sitemaps.org): beyond it, the items changed longest ago are
/// left out; the pages above them are always kept.
const MAX_URLS: usize = 50_000;

/// `GET /sitemap.xml`
pub async fn sitemap(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let p = params(&req)?;
    if p.kind.is_some()
        || p.tag.is_some()
        || p.year.is_some()
        || p.limit.is_some()
        || p.cursor.is_some()
        || p.status.is_some()
    {
        return Err(bad(
            "the sitemap names every public page: it takes no kind, tag, year, limit, cursor \
             or status",
        ));
    }
    let (position, _) = position_for(&req, &state, &p).await?;
    let base = base_url(&req, &state);
    let (years, tags, items) = {
        let projection = state.replica.projection.read().expect("not poisoned");
        let years = projection
            .count(&StatsQuery {
                zone: state.zone,
                as_of: Some(position),
                ..StatsQuery::default()
            })
            .by_year
            .unwrap_or_default();
        // Each tag of a public item has its page, your page of it (`/?tag=sf`).
        let tags = projection.tags(Some(position), false);
        // The items whose page a visitor may open, the most recently changed first.
        let items = projection.public_items(Some(position), MAX_URLS);
        (years, tags, items)
    };
    let mut urls: Vec<(String, Option<String>)> = ["/", "/in-progress", "/up-next"]
        .iter()
        .map(|path| (format!("{base}{path}"), None))
        .collect();
    urls.extend(
        years
            .keys()
            .map(|year| (format!("{base}/years/{year}"), None)),
    );
    urls.extend(tags.iter().map(|t| {
        let query = serde_urlencoded::to_string([("tag", t.tag.as_str())]).unwrap_or_default();
        (format!("{base}/?{query}"), None)
    }));
    let room = MAX_URLS - urls.len().min(MAX_URLS);
    urls.extend(items.into_iter().take(room).map(|(id, at)| {
        (
            format!("{base}/items/{id}"),
            Some(at.format("%Y-%m-%d").to_string()),
        )
    }));
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (loc, lastmod) in urls {
        xml.push_str("<url><loc>");
        xml.push_str(&escape(&loc));
        xml.push_str("</loc>");
        if let Some(day) = lastmod {
            xml.push_str("<lastmod>");
            xml.push_str(&day);
            xml.push_str("</lastmod>");
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    Ok(answer_with(
        &req,
        position,
        "application/xml; charset=utf-8",
        xml,
    ))
}

/// `GET /robots.txt`: the sitemap, and no crawling of the API. Its path under the public
/// address's own (a reader served at `https://example.com/lately`).
pub async fn robots(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = base_url(&req, &state);
    let under = base
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or("");
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(format!(
            "User-agent: *\nDisallow: {under}/v1/\n\nSitemap: {base}/sitemap.xml\n"
        ))
}
