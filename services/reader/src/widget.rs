//! The embeddable widget: `/widget`, a small page made for an `<iframe>`, and `/widget.js`, a
//! script that renders the same list into `<div data-lately>` on any page. It lists the feed's
//! finishes, or (`show=current`, `show=queue`) the public items in progress or up next, or
//! (`show=stats`) counts a year's finishes, perhaps against a goal.
//!
//! The page is rendered here, works without JavaScript, and is marked up as an h-feed of
//! h-entries (microformats). `widget.js` adds live updates to it and does the embedding; it sets
//! user text only as text. A Content-Security-Policy allows nothing but our own script and
//! stream, inline styles, and cover images.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lately_domain::{duration, ordinal, MediaKind, Tag};
use lately_projection::{
    FeedEntry, FeedQuery, Goal, Goals, ItemFilter, ItemView, Pace, Page, Stats, StatsQuery, Zone,
};
use lately_service::Problem;

use crate::feeds::{escape, stars};
use crate::routes::{bad, item_filter, params};
use crate::startup::AppState;

pub(crate) const CSS: &str = include_str!("widget.css");

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
pub(crate) enum Show {
    /// The feed's finishes, newest first: the default; or a year's (`year=`).
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

/// An item's cover, linked title, kind (`label`) and creators, the same for every list;
/// `meta` follows the creators, and `more` (a review) the line they are on. `attrs` go on the
/// `<li>` (what `widget.js` finds it by). The title links to the item's own page, or else to
/// its page on the reader (`root`: the reader's root relative to the page).
fn item_html(
    item: &ItemView,
    label: &str,
    attrs: &str,
    meta: &str,
    more: &str,
    root: &str,
) -> String {
    let cover = cover_html(item, 48, r#" loading="lazy""#);
    let name = name_html(
        item,
        "title p-name",
        Some(&format!("{root}items/{}", item.id)),
    );
    let by = if item.creators.is_empty() {
        String::new()
    } else {
        format!(
            r#"<span class="p-author">{}</span> · "#,
            escape(&item.creators.join(", "))
        )
    };
    format!(
        r#"<li class="h-entry" {attrs}>{cover}<div>{name}<span class="meta"><span class="kind">{label} · </span>{by}{meta}</span>{more}</div></li>"#,
    )
}

/// An item's cover, `width` pixels wide (with `attrs`, each after a space), or where it has
/// none a blank as large with the title's first letter: a row of grey boxes looked like
/// pictures that failed to load, a letter like a list that meant it. Its shape is its kind's:
/// a book's or a film's is a portrait (2:3), an article's picture is shared wide (16:9: a
/// page's `og:image`), a podcast's is square. Cropped to a portrait, an article's picture
/// showed a sliver of its middle. A picture carries that letter too (`data-initial`), which
/// the style shows should it not load.
pub(crate) fn cover_html(item: &ItemView, width: u32, attrs: &str) -> String {
    cover_tag(item, width, attrs, " u-photo")
}

/// [`cover_html`] with `mf` as its microformats class: none for a cover outside its entry
/// (a year's favourites), which would be the page's own photo to a parser.
pub(crate) fn cover_tag(item: &ItemView, width: u32, attrs: &str, mf: &str) -> String {
    let (shape, height) = match item.kind {
        MediaKind::Article => (" wide", width * 9 / 16),
        MediaKind::Podcast => (" square", width),
        _ => ("", width * 3 / 2),
    };
    match &item.cover_url {
        Some(src) => format!(
            r#"<img class="cover{shape}{mf}" src="{}" alt="Cover of {}" width="{width}" height="{height}" data-initial="{}"{attrs}>"#,
            escape(&shown(src)),
            escape(&item.title),
            escape(&initial(&item.title))
        ),
        None => format!(
            r#"<span class="cover{shape} blank" aria-hidden="true">{}</span>"#,
            escape(&initial(&item.title))
        ),
    }
}

/// The link a page loads a cover from. Open Library answers a cover it does not have with a 1×1
/// blank that loads, which a page without a script cannot tell from a picture; asked with
/// `default=false` (as every link lately makes now is), it is a 404, which the style draws as
/// the title's letter. A link logged before, or pasted from Open Library, is asked so here.
fn shown(src: &str) -> std::borrow::Cow<'_, str> {
    let open_library = [
        "https://covers.openlibrary.org/b/",
        "http://covers.openlibrary.org/b/",
    ]
    .iter()
    .any(|p| src.starts_with(p));
    if open_library && !src.contains(['?', '#']) {
        format!("{src}?default=false").into()
    } else {
        src.into()
    }
}

/// The first letter or digit of a title, in capitals ("The Left Hand…" → "T", "三体" → "三",
/// "1984" → "1"), or nothing for a title of none.
fn initial(title: &str) -> String {
    title
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

/// An item's title, linked to its own page (the book's, the film's) when it has one, else to
/// `page` if given.
pub(crate) fn name_html(item: &ItemView, class: &str, page: Option<&str>) -> String {
    let title = escape(&item.title);
    match item.url.as_deref().or(page) {
        Some(url) => format!(r#"<a class="{class}" href="{}">{title}</a>"#, escape(url)),
        None => format!(r#"<span class="{class}">{title}</span>"#),
    }
}

/// A date as the page shows it before its script localises it to the viewer's zone (and
/// for good, without scripts): the day in the owner's zone (`LATELY_TIME_ZONE`).
pub(crate) fn time_html(class: &str, at: DateTime<Utc>, zone: Zone) -> String {
    let class = match class {
        "" => String::new(),
        class => format!(r#" class="{class}""#),
    };
    format!(
        r#"<time{class} datetime="{}">{}</time>"#,
        at.to_rfc3339(),
        zone.day(at)
    )
}

/// A finish: its rating and day, and with `reviews` its review (as text: line breaks kept
/// by the stylesheet, markup shown as typed). The day links to the finish on its item's page
/// (the entry's permalink, where a clipped review is whole); the title to the item's own link.
///
/// `root` is the reader's root relative to the page (`""` from `/widget`, `"../"` from
/// `/years/2026`), for the link to the item's page.
pub(crate) fn entry_html(e: &FeedEntry, zone: Zone, reviews: bool, root: &str) -> String {
    let rating = e.rating.map_or_else(String::new, |r| {
        format!(
            r#"<span class="stars" role="img" aria-label="{r} out of 5 stars">{}</span> · "#,
            stars(r)
        )
    });
    let review = match &e.review {
        Some(text) if reviews => format!(r#"<p class="review p-content">{}</p>"#, escape(text)),
        _ => String::new(),
    };
    let took = took_html(e, zone);
    let again = again_html(e.finish_number);
    item_html(
        &e.item,
        e.item.kind.label_in(e.followed_in),
        &format!(r#"data-position="{}""#, e.position),
        &format!(
            r#"{rating}<a class="u-url permalink" href="{root}items/{}#finish-{}">{}</a>{took}{}{again}"#,
            e.item.id,
            e.position,
            time_html("dt-published", e.finished_at, zone),
            played_html(e.time_played),
        ),
        &review,
        root,
    )
}

/// How long a finish's read took, in days of the calendar (" · took 13 days"): nothing for
/// one started and finished on the same day, or recorded as finished before it was started.
pub(crate) fn took_html(e: &FeedEntry, zone: Zone) -> String {
    match e.days_taken(zone) {
        Some(days @ 1..) => format!(
            r#" · <span class="took">took {days} {}</span>"#,
            if days == 1 { "day" } else { "days" }
        ),
        _ => String::new(),
    }
}

/// The hours a finish's read took to play (" · 62h played"), when they were logged of no
/// known whole (a game's); nothing otherwise.
pub(crate) fn played_html(seconds: Option<u32>) -> String {
    seconds.map_or_else(String::new, |s| {
        format!(r#" · <span class="played">{} played</span>"#, duration(s))
    })
}

/// A re-read's, a rewatch's mark (" · 2nd time"), as a diary marks one: nothing for an item's
/// first finish.
pub(crate) fn again_html(finish_number: u32) -> String {
    if finish_number <= 1 {
        return String::new();
    }
    format!(
        r#" · <span class="again">{} time</span>"#,
        ordinal(finish_number.into())
    )
}

/// An item in progress: how far (a bar and the percentage, kept together on one line as far as
/// the width allows: a phone broke "6h" from "42m of 16h 10m") and when that was logged
/// ("updated 3 Dec 2026", said so: a bare day after "page 120 of 300" read as the day it was
/// started),
/// or, before any progress was logged, when it was started; or an item waiting, and when it
/// was added. Time played of no known whole (a game's "12h played") and a show's episode of a
/// season ("S2 E5") have no bar: they are no share of anything.
pub(crate) fn list_item_html(i: &ItemView, show: Show, zone: Zone) -> String {
    let meta = match (show, i.progress, i.portion()) {
        (Show::Queue, ..) => format!("added {}", time_html("dt-updated", i.added_at, zone)),
        (_, None, Some(open)) => format!(
            r#"<span class="far">{}</span> · updated {}"#,
            open.describe(i.kind),
            time_html("dt-updated", i.updated_at, zone)
        ),
        (_, Some(p), portion) => {
            let said = portion.map_or_else(|| format!("{p}%"), |n| n.describe(i.kind));
            format!(
                r#"<span class="far"><progress value="{p}" max="100" aria-label="{p}% done">{p}%</progress> {said}</span> · updated {}"#,
                time_html("dt-updated", i.updated_at, zone)
            )
        }
        // Nothing logged since it was started: when that was.
        (_, None, None) => format!(
            "started {}",
            time_html("", i.started_at.unwrap_or(i.updated_at), zone)
        ),
    };
    // An audiobook followed in running time is one, in the list as in the feeds.
    let label = i.kind.label_in(i.progress_unit.unwrap_or_default());
    let id = format!(r#"data-id="{}""#, escape(&i.id));
    item_html(i, label, &id, &meta, "", "")
}

/// What a stats widget counts against: its goal, and what it counts (one kind, or all).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    pub goal: Goal,
    pub kind: Option<MediaKind>,
    pub today: NaiveDate,
}

impl Target {
    /// What counts towards it of a year's `s`: its kind's finishes, or all of them.
    pub fn finished(&self, s: &Stats) -> u64 {
        self.kind
            .map_or(s.finished, |k| s.by_kind.get(&k).copied().unwrap_or(0))
    }
}

/// The owner's goals (`LATELY_GOALS`) a page of `filter`'s counts can show: every one
/// unfiltered, the kind's of one kind, none of a tag (its counts are not a goal's).
pub(crate) fn targets(goals: &Goals, filter: &ItemFilter, today: NaiveDate) -> Vec<Target> {
    if filter.tag.is_some() {
        return Vec::new();
    }
    goals
        .iter()
        .filter(|(kind, _)| filter.kind.is_none() || *kind == filter.kind)
        .map(|(kind, goal)| Target { goal, kind, today })
        .collect()
}

/// The goal's line: a bar, "14 of 24 books · 58%", and the pace.
fn goal_html(finished: u64, year: i32, t: &Target) -> String {
    let goal = t.goal.get();
    let percent = finished * 100 / goal;
    let of = t
        .kind
        .map_or_else(String::new, |k| format!(" {}", k.noun(goal)));
    let pace = Pace::of(finished, t.goal, year, t.today)
        .describe(t.kind)
        .map_or_else(String::new, |p| {
            format!(r#" <span class="meta">{p}</span>"#)
        });
    format!(
        r#"<li class="goal"><progress value="{}" max="{goal}" aria-label="{percent}% of the goal">{percent}%</progress> <strong>{finished}</strong> of {goal}{of} · {percent}%{pace}</li>"#,
        finished.min(goal)
    )
}

/// A year's counts as the stats widget shows them: the total with the average rating, the
/// goals' lines if it has any (each of its kind's count, or the total), a line per kind ("14
/// books"), then the months' bars; `widget.js` renders the same for one goal. Where every
/// finish is of one kind (a kind's widget, or a year of books only) the total names it ("2
/// books finished") instead of a line of its own repeating the number.
pub(crate) fn stats_html(s: &Stats, year: i32, targets: &[Target]) -> String {
    let goal: String = targets
        .iter()
        .map(|t| goal_html(t.finished(s), year, t))
        .collect();
    if s.finished == 0 {
        return format!(r#"<li class="empty">Nothing finished in {year} yet.</li>{goal}"#);
    }
    let rated = match s.average_rating {
        Some(avg) if s.rated > 0 => format!(
            r#" <span class="meta">{avg:.1}★ on average over {} rated</span>"#,
            s.rated
        ),
        _ => String::new(),
    };
    let one_kind = match s.by_kind.keys().collect::<Vec<_>>()[..] {
        [kind] => Some(*kind),
        _ => None,
    };
    let noun = one_kind.map_or_else(String::new, |k| format!(" {}", k.noun(s.finished)));
    // The games' hours played, beside their count: "3 games · 142h played".
    let played = |kind: MediaKind| match s.time_played {
        Some(secs) if kind == MediaKind::Game => format!(
            r#" <span class="meta played">· {} played</span>"#,
            lately_domain::duration(u32::try_from(secs).unwrap_or(u32::MAX))
        ),
        _ => String::new(),
    };
    let mut html = format!(
        r#"<li class="total"><strong>{}</strong>{noun} finished{rated}{}</li>{goal}"#,
        s.finished,
        one_kind.map_or_else(String::new, played)
    );
    if one_kind.is_none() {
        for (kind, n) in &s.by_kind {
            html.push_str(&format!(
                r#"<li data-kind="{}"><strong>{n}</strong> {}{}</li>"#,
                kind.as_str(),
                kind.noun(*n),
                played(*kind)
            ));
        }
    }
    if let Some(months) = &s.by_month {
        html.push_str(&months_html(months));
    }
    html
}

/// Under a year's counts, the link to the year's page (`/years/{year}`, the same filters):
/// every finish of it. `widget.js` adds the same.
pub(crate) fn year_link(year: i32, kind: Option<MediaKind>, tag: Option<&Tag>) -> String {
    more_link(
        &format!("years/{year}{}", filter_query(kind, tag)),
        "The whole year →",
    )
}

/// Under a list, the link to where the reader has all of it (the same filters): what is in
/// progress or up next, their own pages (`/in-progress`, `/up-next`); the finishes, the
/// owner's page (`/`), where there is more of everything. `widget.js` adds the same.
fn all_link(show: Show, kind: Option<MediaKind>, tag: Option<&Tag>) -> String {
    let page = match show {
        Show::Current | Show::Queue => crate::list_page::named(show).0,
        _ => "./",
    };
    more_link(&format!("{page}{}", filter_query(kind, tag)), "See all →")
}

/// A link under a list or counts, to another of the reader's pages.
fn more_link(href: &str, text: &str) -> String {
    format!(
        r#"<p class="more"><a href="{}">{text}</a></p>"#,
        escape(href)
    )
}

/// `?kind=book&tag=sf`, or nothing: the filters a link to another page keeps.
pub(crate) fn filter_query(kind: Option<MediaKind>, tag: Option<&Tag>) -> String {
    let filters: Vec<(&str, &str)> = [
        ("kind", kind.map(MediaKind::as_str)),
        ("tag", tag.map(Tag::as_str)),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .collect();
    match serde_urlencoded::to_string(&filters).unwrap_or_default() {
        q if q.is_empty() => q,
        q => format!("?{q}"),
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The year by month: a bar a month, as tall as its share of the busiest month's count, each
/// titled with its count, the months' initials under them; one image with every count for a
/// screen reader.
fn months_html(months: &[u64; 12]) -> String {
    let most = months.iter().copied().max().unwrap_or(0).max(1);
    let said: Vec<String> = MONTHS
        .iter()
        .zip(months)
        .map(|(m, n)| format!("{m} {n}"))
        .collect();
    let bars: String = MONTHS
        .iter()
        .zip(months)
        .map(|(m, n)| {
            format!(
                r#"<span title="{m}: {n}" style="height: {}%;"></span>"#,
                n * 100 / most
            )
        })
        .collect();
    let initials: String = MONTHS
        .iter()
        .map(|m| format!("<span>{}</span>", &m[..1]))
        .collect();
    format!(
        r#"<li class="months" role="img" aria-label="By month: {}">{bars}</li><li class="month-names" aria-hidden="true">{initials}</li>"#,
        said.join(", ")
    )
}

/// A query's `layout`: `covers` lays a list of items out as a shelf of their covers (the
/// stylesheet's `ol.covers`), `list` or none as a list.
pub(crate) fn covers(layout: Option<&str>) -> Result<bool, Problem> {
    match layout {
        None | Some("list") => Ok(false),
        Some("covers") => Ok(true),
        Some(_) => Err(bad("layout must be list or covers")),
    }
}

/// `GET /widget?show=finished|current|queue|stats&layout=list|covers&kind=&tag=&limit=&year=&goal=&reviews=&theme=light|dark|auto&lang=&title=&heading=`
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
    let theme = crate::page::theme(&req)?;
    let lang = get("lang").unwrap_or("en");
    if lang.is_empty()
        || lang.len() > 35
        || !lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(bad("lang must be a language tag such as en or fr-CA"));
    }
    let show = Show::parse(get("show"))?;
    let goal = get("goal").map(Goal::parse).transpose().map_err(bad)?;
    // The owner's date, which the default year and a goal's pace go by.
    let today = state.zone.date(Utc::now());
    // The stats count a year (of a kind or tag, or all), perhaps against a goal; the finishes
    // may be a year's too (a blog's "what I read in 2025"). The items in progress or queued
    // are as they are now: a year has nothing to pick there.
    let year = match show {
        Show::Stats => Some(crate::routes::year(&p)?.unwrap_or(today.year())),
        Show::Finished => crate::routes::year(&p)?,
        _ if p.year.is_some() => return Err(bad("year is for show=finished or show=stats")),
        _ => None,
    };
    if goal.is_some() && show != Show::Stats {
        return Err(bad("goal is for show=stats"));
    }
    // A grid of covers, as a shelf shows them (Goodreads' grid widget): the title on a hover
    // or a tab, the rest left out. For the lists, not the counts.
    let covers = covers(get("layout"))?;
    if covers && show == Show::Stats {
        return Err(bad(
            "layout=covers is for the lists (show=finished, current or queue), not stats",
        ));
    }
    let reviews = match get("reviews") {
        None | Some("false") => false,
        Some("true") if show == Show::Finished => true,
        Some("true") => return Err(bad("reviews is for show=finished")),
        Some(_) => return Err(bad("reviews must be true or false")),
    };
    let year_title;
    let title = match get("title") {
        Some(t) if t.trim().is_empty() || t.chars().count() > 100 => {
            return Err(bad("title must be 1 to 100 characters"))
        }
        Some(t) => t,
        None => match (show, year) {
            // A year's finishes or counts (a stats widget always has a year).
            (Show::Finished | Show::Stats, Some(year)) => {
                year_title = format!("Finished in {year}");
                &year_title
            }
            (Show::Finished | Show::Stats, None) => &state.feed_title,
            (Show::Current, _) => "In progress",
            (Show::Queue, _) => "Up next",
        },
    };
    let title = escape(title);
    // Under a heading of the blog's own ("What I'm reading"), the widget's would say it
    // twice: `heading=false` keeps it out of sight, and the title names the section instead
    // (what a screen reader announces for it).
    let (named, hidden) = match get("heading") {
        None | Some("true") => (String::new(), ""),
        Some("false") => (format!(r#" aria-label="{title}""#), " hidden"),
        Some(_) => return Err(bad("heading must be true or false")),
    };
    let filter = item_filter(&p)?;
    let (kind, tag) = (filter.kind, filter.tag.clone());
    // The counts' goals: the one asked for, or else the owner's for this year's counts
    // (`LATELY_GOALS`), as the owner's page shows them.
    let targets = match (show, goal) {
        (Show::Stats, Some(goal)) => vec![Target { goal, kind, today }],
        (Show::Stats, None) if year == Some(today.year()) => targets(&state.goals, &filter, today),
        _ => Vec::new(),
    };
    let (position, items) = {
        let projection = state.replica.projection.read().expect("not poisoned");
        let position = projection.position();
        let items: Vec<String> = match show {
            Show::Finished => {
                let q = FeedQuery {
                    kind,
                    tag: tag.clone(),
                    year,
                    zone: state.zone,
                    limit,
                    as_of: Some(position),
                    ..FeedQuery::default()
                };
                projection
                    .feed(&q)
                    .iter()
                    .map(|e| entry_html(e, state.zone, reviews, ""))
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
                let stats = projection.count(&StatsQuery {
                    year: Some(year),
                    zone: state.zone,
                    filter: filter.clone(),
                    as_of: Some(position),
                    owner: false,
                });
                vec![stats_html(&stats, year, &targets)]
            }
        };
        (position, items)
    };
    let items = if items.is_empty() {
        let empty = match (show, year) {
            (Show::Finished, Some(year)) => format!("Nothing finished in {year}."),
            _ => show.empty().to_owned(),
        };
        format!(r#"<li class="empty">{empty}</li>"#)
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
<meta name="robots" content="noindex">
<link rel="alternate" type="application/atom+xml" href="feed.atom">
<link rel="alternate" type="application/feed+json" href="feed.json">
<style>body {{ margin: 0; }}
{CSS}</style>
</head>
<body>
<section class="lately h-feed" data-live data-theme="{theme}" data-limit="{limit}" data-kind="{kind}" data-tag="{tag}" data-show="{show}"{year}{goal}{reviews}{named}>
<h2 class="p-name"{hidden}>{title}</h2>
<ol{list_class}>{items}</ol>{more}
</section>
<script src="widget.js" async></script>
</body>
</html>
"#,
        show = show.as_str(),
        year = year.map_or_else(String::new, |y| format!(r#" data-year="{y}""#)),
        goal = goal.map_or_else(String::new, |g| format!(r#" data-goal="{}""#, g.get())),
        reviews = if reviews {
            r#" data-reviews="true""#
        } else {
            ""
        },
        // A year's counts or finishes link to the year's page, a list to the owner's.
        more = match (show, year) {
            (Show::Stats | Show::Finished, Some(year)) => year_link(year, kind, tag.as_ref()),
            _ => all_link(show, kind, tag.as_ref()),
        },
        list_class = match (show, covers) {
            (Show::Stats, _) => r#" class="stats""#,
            (_, true) => r#" class="covers""#,
            (_, false) => "",
        },
        kind = kind.map_or("", MediaKind::as_str),
        tag = tag
            .as_ref()
            .map_or_else(String::new, |t| escape(t.as_str())),
    );
    // Without `year=`, the stats' page is the current year's: a new year is a new page even
    // when nothing was written; and a goal's pace moves on every day.
    let varies = match (year, targets.is_empty()) {
        (Some(_), false) => today.to_string(),
        (Some(y), true) => y.to_string(),
        _ => String::new(),
    };
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

#[cfg(test)]
mod tests {
    #[test]
    fn an_open_library_cover_is_asked_for_with_a_404_when_it_has_none() {
        assert_eq!(
            super::shown("https://covers.openlibrary.org/b/isbn/9780441172719-M.jpg"),
            "https://covers.openlibrary.org/b/isbn/9780441172719-M.jpg?default=false"
        );
        for as_it_is in [
            "https://covers.openlibrary.org/b/id/10544203-M.jpg?default=false",
            "https://covers.openlibrary.org/b/id/10544203-L.jpg?v=2",
            "https://img.example/covers.openlibrary.org/b/dune.jpg",
        ] {
            assert_eq!(super::shown(as_it_is), as_it_is);
        }
    }

    use super::initial;

    /// A blank cover's letter: the title's first letter or digit, past quotes and
    /// punctuation, in capitals, in any script.
    #[test]
    fn a_blank_cover_holds_the_titles_first_letter() {
        for (title, letter) in [
            ("The Left Hand of Darkness", "T"),
            ("“übung”", "Ü"),
            ("三体", "三"),
            ("1984", "1"),
            ("¡¿…?!", ""),
        ] {
            assert_eq!(initial(title), letter, "{title}");
        }
    }
}
