//! `/years/{year}`: a year in review — how much was finished (per kind, the average rating, a
//! bar a month), its favourites (the finishes rated highest, as a shelf of covers), then every
//! finish of the year, newest first under its month's name, each linked to its item's page.
//!
//! The stats widget counts a year and the widget lists one, each in a sidebar's space; this is
//! the page a blog links to, or shares, at the year's end ("2026 in books"). Rendered here
//! without script, with the widget's stylesheet and markup (`stats_html`, `entry_html`).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Datelike, Utc};
use lately_projection::{FeedEntry, FeedQuery, Goal, ItemFilter, Stats, StatsQuery};
use lately_service::Problem;

use crate::feeds::{base_url, escape, stars};
use crate::page::{Card, Level};
use crate::routes::{bad, item_filter, params, position_for};
use crate::startup::AppState;
use crate::widget::{cover_tag, entry_html, filter_query, stats_html, Target};

/// "42 finished in 2026: 14 books, 6 films. Favourites: “Dune”, “Heat”.": what a shared link
/// to the page says, on one line; of one kind, "14 books finished in 2026" (as the counts say
/// it, not "14 finished in 2026: 14 books").
fn description(s: &Stats, year: i32, favourites: &[&FeedEntry]) -> String {
    if s.finished == 0 {
        return format!("Nothing finished in {year}.");
    }
    let kinds: Vec<String> = s
        .by_kind
        .iter()
        .map(|(kind, n)| format!("{n} {}", kind.noun(*n)))
        .collect();
    let mut said = match &kinds[..] {
        [one] => format!("{one} finished in {year}"),
        _ => format!("{} finished in {year}: {}", s.finished, kinds.join(", ")),
    };
    if !favourites.is_empty() {
        let titles: Vec<String> = favourites
            .iter()
            .map(|e| format!("“{}”", e.item.title))
            .collect();
        said = format!("{said}. Favourites: {}.", titles.join(", "));
    }
    crate::page::one_line(&said, 200)
}

/// `GET /years/{year}?kind=&tag=&goal=&theme=light|dark|auto` — a year in review, in the
/// calendar of the owner's zone (`LATELY_TIME_ZONE`), against a goal if given (the stats
/// widget's line: "14 of 24 books · 58%", and the pace).
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
    let theme = crate::page::theme(&req)?;
    // The page's own parameters, beside the reads' (`params`).
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let get = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let goal = get("goal").map(Goal::parse).transpose().map_err(bad)?;
    let filter = item_filter(&p)?;
    // A year's finishes as shelves of covers, a month each: the page to share at its end.
    let covers = crate::widget::covers(get("layout"))?;
    let (position, _) = position_for(&req, &state, &p).await?;
    let today = state.zone.date(Utc::now());
    // The goal asked for, or this year's the owner set.
    let targets = match goal {
        Some(goal) => vec![Target {
            goal,
            kind: filter.kind,
            today,
        }],
        None if year == today.year() => crate::widget::targets(&state.goals, &filter, today),
        None => Vec::new(),
    };
    // A goal's pace moves daily: the page varies with the day too.
    let varies = match targets.is_empty() {
        true => String::new(),
        false => today.to_string(),
    };
    Ok(crate::page::answer(&req, &state, position, &varies, || {
        render(
            &req, &state, year, &targets, &filter, &theme, position, covers,
        )
    }))
}

/// The favourites as a shelf of covers, each its item's finish's link, titled under it. Not
/// entries of the page's feed (no `h-entry`, no `u-photo`): each is one below, and
/// a reader of the page's microformats would count it twice.
fn favourites_html(top: f64, favourites: &[&FeedEntry]) -> String {
    let shelf: String = favourites
        .iter()
        .map(|e| {
            format!(
                r#"<li>{cover}<div><a class="title" href="../items/{id}#finish-{position}">{title}</a></div></li>"#,
                cover = cover_tag(&e.item, 48, r#" loading="lazy""#, ""),
                id = e.item.id,
                position = e.position,
                title = escape(&e.item.title),
            )
        })
        .collect();
    format!(
        r#"<h2>Favourites <span class="count">· <span class="stars" role="img" aria-label="{top} out of 5 stars">{}</span></span></h2>
<ol class="covers favourites">{shelf}</ol>
"#,
        stars(top)
    )
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The page at `position`.
#[allow(clippy::too_many_arguments)]
fn render(
    req: &HttpRequest,
    state: &AppState,
    year: i32,
    targets: &[Target],
    filter: &ItemFilter,
    theme: &str,
    position: i64,
    covers: bool,
) -> String {
    let zone = state.zone;
    let (stats, finishes, years) = {
        let projection = state.replica.projection.read().expect("not poisoned");
        let stats = projection.count(&StatsQuery {
            year: Some(year),
            zone,
            filter: filter.clone(),
            as_of: Some(position),
            owner: false,
        });
        // Every year with finishes of these filters, for the links to the nearest ones.
        let years = projection
            .count(&StatsQuery {
                year: None,
                zone,
                filter: filter.clone(),
                as_of: Some(position),
                owner: false,
            })
            .by_year
            .unwrap_or_default();
        let finishes = projection.feed(&FeedQuery {
            kind: filter.kind,
            tag: filter.tag.clone(),
            year: Some(year),
            zone,
            limit: usize::MAX,
            as_of: Some(position),
            ..FeedQuery::default()
        });
        (stats, finishes, years)
    };
    // "2026 in books", "2026 in sf", "2026 in review".
    let what = match (filter.kind, &filter.tag) {
        (Some(kind), _) => kind.noun(2).to_owned(),
        (None, Some(tag)) => tag.as_str().to_owned(),
        (None, None) => "review".to_owned(),
    };
    let title = escape(&format!("{year} in {what}"));
    // The filters go along to the years before and after.
    let filters = filter_query(filter.kind, filter.tag.as_ref());
    // The shelves too go along to the years before and after.
    let kept = match (covers, filters.is_empty()) {
        (true, true) => "?layout=covers".to_owned(),
        (true, false) => format!("{}&amp;layout=covers", escape(&filters)),
        (false, _) => escape(&filters),
    };
    // The nearest years with finishes of these filters, before and after: a year with none
    // in between is a page of nothing to click through (a log imported in 2019 and kept
    // since 2024, say), and there is none before the first year, nor after the latest.
    let before = years
        .range(..year)
        .next_back()
        .map(|(y, _)| format!(r#"<a href="{y}{kept}">← {y}</a>"#));
    let after = years
        .range(year + 1..)
        .next()
        .map(|(y, _)| format!(r#"<a href="{y}{kept}">{y} →</a>"#));
    let years = match [before, after].into_iter().flatten().collect::<Vec<_>>() {
        links if links.is_empty() => String::new(),
        links => format!("\n<p class=\"back\">{}</p>", links.join(" · ")),
    };
    let favourites = lately_projection::favourites(&finishes, |e| e.rating, |e| &e.item.id);
    let them = favourites.as_ref().map_or(&[][..], |(_, them)| them);
    let description = description(&stats, year, them);
    // A shared link shows a favourite's cover (the newest with one), or else the latest there is.
    let image = them
        .iter()
        .copied()
        .chain(&finishes)
        .find_map(|e| e.item.cover_url.clone());
    let favourites = favourites.map_or_else(String::new, |(top, them)| favourites_html(top, &them));
    // Month by month, newest first, each under its name and count: a year of a hundred
    // articles is read, and found in, by its months. An empty year's counts say so already.
    let entries = if finishes.is_empty() {
        String::new()
    } else {
        let month = |e: &FeedEntry| zone.date(e.finished_at).month0() as usize;
        let months: String = finishes
            .chunk_by(|a, b| month(a) == month(b))
            .map(|group| {
                let entries: String = group
                    .iter()
                    .map(|e| entry_html(e, zone, true, "../"))
                    .collect();
                format!(
                    r#"<h3>{} <span class="count">· {}</span></h3><ol{}>{entries}</ol>"#,
                    MONTH_NAMES[month(&group[0])],
                    group.len(),
                    if covers { r#" class="covers""# } else { "" }
                )
            })
            .collect();
        format!("<h2>Finished</h2>\n{months}")
    };
    let url = format!("{}/years/{year}{filters}", base_url(req, state));
    let card = Card {
        url: &url,
        title: &format!("{year} in {what}"),
        description: &description,
        image: image.as_deref(),
    };
    let body = format!(
        r#"<h1 class="p-name">{title}</h1>
<ol class="stats">{stats}</ol>
{favourites}{entries}
{years}"#,
        stats = stats_html(&stats, year, targets),
    );
    crate::page::html(
        state,
        Level::Under(1),
        theme,
        Some(&card),
        &title,
        "h-feed",
        &filters,
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::a_finish;

    #[test]
    fn the_favourites_are_a_shelf_of_links_outside_the_pages_entries() {
        let mut dune = a_finish("Dune", 9, Some(5.0));
        dune.item.cover_url = Some("https://example.com/dune.jpg".into());
        let html = favourites_html(5.0, &[&dune]);
        assert!(html.contains(r#"<ol class="covers favourites">"#), "{html}");
        assert!(
            html.contains(r#"<a class="title" href="../items/dune#finish-9">Dune</a>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"aria-label="5 out of 5 stars">★★★★★<"#),
            "{html}"
        );
        assert!(html.contains(r#"src="https://example.com/dune.jpg""#));
        // Dune is an entry of the page's feed below: not a second one, nor the page's photo.
        assert!(!html.contains("h-entry") && !html.contains("u-photo") && !html.contains("p-name"));
    }
}
