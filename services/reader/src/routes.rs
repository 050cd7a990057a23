//! The read API. Every answer comes from memory and carries the position it reflects
//! (`Lately-Position`), an `ETag` derived from that position and the query, and CORS headers so
//! a widget on any site may fetch it.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use lately_domain::{MediaKind, Status, Tag};
use lately_projection::{
    FeedEntry, FeedQuery, ItemFilter, ItemView, OwnerQuery, Page, Projection, StatsQuery,
};
use lately_service::Problem;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::startup::AppState;

pub const POSITION_HEADER: &str = "Lately-Position";
pub const MIN_POSITION_HEADER: &str = "Lately-Min-Position";
const MAX_LIMIT: usize = 100;

/// Query parameters every read endpoint understands.
/// Unknown parameters are ignored (cache-busters, tracking tags), as on any public web page.
#[derive(Debug, Default, Deserialize)]
pub struct ReadParams {
    pub kind: Option<String>,
    pub tag: Option<String>,
    pub year: Option<i32>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    pub as_of: Option<i64>,
    pub min_position: Option<i64>,
    /// `/v1/owner/items` only.
    pub status: Option<String>,
}

pub fn bad(detail: impl Into<String>) -> Problem {
    Problem::bad_request(detail)
}

/// Query strings parse into [`ReadParams`] or get a problem naming the parameter.
pub fn params(req: &HttpRequest) -> Result<ReadParams, Problem> {
    lately_service::query::parse(req.query_string())
}

/// A position past the log's head: no write was ever acknowledged there, so waiting longer or
/// asking another replica cannot help (a 503 would say both).
fn unknown_position(name: &str, position: i64, head: i64) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "unknown-position",
        "Position not in the log",
        format!(
            "{name} asks for position {position}, past the log's head ({head}): no write has \
             been acknowledged there. Positions come from a write's {POSITION_HEADER} header; \
             one from a log since reset, or restored from an older backup, is not in this one"
        ),
    )
    .with("head", head)
}

/// How long a read waits for a position before asking the primary whether it exists: well
/// past the time a write takes to reach a replica (milliseconds), so that reads of one's own
/// writes do not query the primary, and well short of the whole wait, which a position no
/// write was given would otherwise wait out before its 400.
const ASK_THE_PRIMARY_AFTER: Duration = Duration::from_millis(100);

/// The position an answer is computed at: the current one, or `as_of` (which must not be in
/// the future of this replica, after waiting for it like `min_position`).
pub(crate) async fn position_for(
    req: &HttpRequest,
    state: &AppState,
    p: &ReadParams,
) -> Result<(i64, Option<i64>), Problem> {
    let header_min = match req.headers().get(MIN_POSITION_HEADER) {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    bad(format!(
                        "{MIN_POSITION_HEADER} must be a log position (a whole number)"
                    ))
                })?,
        ),
        None => None,
    };
    if p.as_of.is_some_and(|a| a < 0) || p.min_position.is_some_and(|m| m < 0) {
        return Err(bad("as_of and min_position must not be negative"));
    }
    let wait = [
        (header_min, MIN_POSITION_HEADER),
        (p.min_position, "min_position"),
        (p.as_of, "as_of"),
    ]
    .into_iter()
    .filter_map(|(position, name)| Some((position?, name)))
    .max_by_key(|(position, _)| *position);
    if let Some((min, name)) = wait {
        let asked = std::time::Instant::now();
        let first = state.min_position_wait.min(ASK_THE_PRIMARY_AFTER);
        if !state.replica.wait_for(min, first).await {
            // Not here yet: ask the primary whether any write was ever given that position,
            // rather than waiting the whole wait out for a typo.
            let head = state.log_head_since(asked).await;
            if let Some(head) = head.filter(|head| min > *head) {
                return Err(unknown_position(name, min, head));
            }
            let rest = state.min_position_wait.saturating_sub(asked.elapsed());
            if !state.replica.wait_for(min, rest).await {
                let beyond = match (head, state.replica.head()) {
                    // The primary could not be asked: say what this replica saw of the log.
                    (None, seen) if min > seen => {
                        format!(" (the log's head was {seen} when this replica last read it)")
                    }
                    _ => String::new(),
                };
                return Err(Problem::unavailable(format!(
                    "this replica has applied position {} but {min} was asked for{beyond}; \
                     retry shortly or ask another replica",
                    state.replica.position()
                ))
                .retry_after(1));
            }
        }
    }
    let current = state.replica.position();
    Ok((p.as_of.map_or(current, |a| a.min(current)), p.as_of))
}

fn etag(position: i64, req: &HttpRequest, varies: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    req.path().hash(&mut h);
    req.query_string().hash(&mut h);
    varies.hash(&mut h);
    format!("W/\"{position}-{:x}\"", h.finish())
}

/// Whether the client has the answer tagged `tag` already (`If-None-Match`): a 304.
fn unchanged(req: &HttpRequest, tag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"))
}

/// Whether the client has the answer at `position` (varying with `varies`) already: what it
/// would be answered needs no rendering.
pub fn unchanged_at(req: &HttpRequest, position: i64, varies: &str) -> bool {
    unchanged(req, &etag(position, req, varies))
}

/// Wraps a JSON answer with the position, ETag and caching headers, or answers 304.
pub fn answer(req: &HttpRequest, position: i64, body: serde_json::Value) -> HttpResponse {
    answer_with(req, position, "application/json", body.to_string())
}

/// [`answer`] for any content type.
pub fn answer_with(
    req: &HttpRequest,
    position: i64,
    content_type: &str,
    body: impl Into<Bytes>,
) -> HttpResponse {
    answer_varying(req, position, "", content_type, body)
}

/// [`answer_with`] for an answer that depends on more than the log's position and the
/// request (`varies`: the stats widget's default year, which the date moves on): its ETag
/// changes with it.
pub fn answer_varying(
    req: &HttpRequest,
    position: i64,
    varies: &str,
    content_type: &str,
    body: impl Into<Bytes>,
) -> HttpResponse {
    let tag = etag(position, req, varies);
    let fresh = unchanged(req, &tag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((POSITION_HEADER, position.to_string()))
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=5"));
    if fresh {
        res.finish()
    } else {
        res.content_type(content_type).body(body.into())
    }
}

pub fn kind(p: &ReadParams) -> Result<Option<MediaKind>, Problem> {
    p.kind
        .as_deref()
        .map(|k| MediaKind::parse(k).map_err(|e| bad(format!("kind: {e}"))))
        .transpose()
}

/// The `kind` and `tag` filters of the lists of items.
pub fn item_filter(p: &ReadParams) -> Result<ItemFilter, Problem> {
    Ok(ItemFilter {
        kind: kind(p)?,
        tag: tag(p)?,
    })
}

/// The `tag` filter as tags are stored, trimmed and lower-cased (`?tag=Sci-Fi` finds the items
/// tagged `sci-fi`); one that no item can have (empty, too long) is a bad request, not an
/// empty answer.
pub fn tag(p: &ReadParams) -> Result<Option<Tag>, Problem> {
    p.tag
        .as_deref()
        .map(|t| Tag::parse(t).map_err(|e| bad(format!("tag: {e}"))))
        .transpose()
}

/// The `year` filter: a year before 1900 (the writer takes no earlier date) or past 9999 is a
/// typo to name, not an empty answer.
pub fn year(p: &ReadParams) -> Result<Option<i32>, Problem> {
    match p.year {
        Some(y) if !(1900..=9999).contains(&y) => {
            Err(bad(format!("year must be between 1900 and 9999 (got {y})")))
        }
        year => Ok(year),
    }
}

/// Cursors are opaque to clients: `{as_of}.{finished_at}.{position}`. Carrying the position
/// of the first page makes every later page answer from the same state, so concurrent appends
/// never shift entries between pages.
fn encode_cursor(as_of: i64, at: DateTime<Utc>, position: i64) -> String {
    format!("{as_of}.{}.{position}", encode_time(at))
}

fn decode_cursor(raw: &str) -> Result<(i64, (DateTime<Utc>, i64)), Problem> {
    cursor_parts(raw)
        .and_then(|(as_of, at, position)| Some((as_of, (at, position.parse().ok()?))))
        // Handed out before cursors kept nanoseconds, `{as_of}.{finished_at µs}.{position}`:
        // still good for the pages they were made for, unless two finishes fell within one
        // microsecond.
        .or_else(|| match raw.split('.').collect::<Vec<_>>().as_slice() {
            [a, micros, p] => Some((
                a.parse().ok()?,
                (
                    DateTime::from_timestamp_micros(micros.parse().ok()?)?,
                    p.parse().ok()?,
                ),
            )),
            _ => None,
        })
        .ok_or_else(not_a_cursor)
}

/// A cursor's parts, `{as_of}.{time}.{key}`: the first page's position, then the place in the
/// list's order after which the page starts (the key is what breaks ties, and may be any text
/// but empty).
fn cursor_parts(raw: &str) -> Option<(i64, DateTime<Utc>, &str)> {
    let mut parts = raw.splitn(4, '.');
    let (as_of, secs, nanos, key) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if key.is_empty() {
        return None;
    }
    Some((as_of.parse().ok()?, decode_time(secs, nanos)?, key))
}

fn not_a_cursor() -> Problem {
    bad("cursor: not a cursor this API handed out")
}

/// A cursor's time, `{seconds}.{nanoseconds}`: times are kept to the nanosecond (`now` is), and
/// a cursor cut to the microsecond would skip whatever came later within the same microsecond
/// as a page's last entry.
fn encode_time(t: DateTime<Utc>) -> String {
    format!("{}.{}", t.timestamp(), t.timestamp_subsec_nanos())
}

fn decode_time(secs: &str, nanos: &str) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs.parse().ok()?, nanos.parse().ok()?)
}

/// A page's start and size from `cursor` and `limit`. A cursor also sets `as_of` to the
/// position it carries, so that every page after the first answers from the first one's state.
fn paging<T>(
    p: &mut ReadParams,
    default_limit: usize,
    decode: fn(&str) -> Result<(i64, T), Problem>,
) -> Result<(Option<T>, usize), Problem> {
    let after = match p.cursor.as_deref() {
        Some(c) => {
            let (as_of, after) = decode(c)?;
            p.as_of = Some(as_of);
            Some(after)
        }
        None => None,
    };
    let limit = p.limit.unwrap_or(default_limit);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    Ok((after, limit))
}

/// `GET /v1/feed?kind=&tag=&year=&limit=&cursor=&as_of=` — finishes, newest first.
pub async fn feed(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let (position, body) = feed_page(&req, &state, false).await?;
    Ok(answer_with(&req, position, "application/json", body))
}

/// `GET /v1/owner/feed?kind=&tag=&year=&limit=&cursor=&as_of=` — the feed with the private
/// items' finishes too, each entry with its item's `visibility`: the owner's whole record.
/// Only to the owner's token, and never stored by a cache (nor this replica's page cache).
pub async fn owner_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    state.owner.check(req.headers(), "the owner's feed")?;
    let (position, body) = feed_page(&req, &state, true).await?;
    Ok(owner_answer(position)
        .content_type("application/json")
        .body(body))
}

/// An answer of the owner's routes, from `position`: private items in it, so never stored by
/// a cache (and without the public answers' `ETag`).
fn owner_answer(position: i64) -> actix_web::HttpResponseBuilder {
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((POSITION_HEADER, position.to_string()))
        .insert_header((header::CACHE_CONTROL, "private, no-store"));
    answer
}

/// A page of the feed, or of the owner's feed, as JSON, and the position it answers from.
async fn feed_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    owner: bool,
) -> Result<(i64, Bytes), Problem> {
    let mut p = params(req)?;
    let (before, limit) = paging(&mut p, 20, decode_cursor)?;
    let query = FeedQuery {
        kind: kind(&p)?,
        tag: tag(&p)?,
        year: year(&p)?,
        zone: state.zone,
        limit,
        before,
        as_of: None,
        owner,
    };
    let (position, _) = position_for(req, state, &p).await?;
    // The state at a position never changes: a page rendered once answers every later request
    // for the same query at the same position. (Not the owner's: private items stay out of
    // anything kept.)
    let key = (req.path().to_owned() + "?" + req.query_string(), position);
    if let Some(body) = state.cached_page(&key).filter(|_| !owner) {
        return Ok((position, body));
    }
    let entries = state
        .replica
        .projection
        .read()
        .expect("not poisoned")
        .feed(&FeedQuery {
            as_of: Some(position),
            ..query
        });
    let next_cursor = (entries.len() == limit)
        .then(|| {
            entries
                .last()
                .map(|e| encode_cursor(position, e.finished_at, e.position))
        })
        .flatten();
    let page = FeedPage {
        position,
        items: &entries,
        next_cursor,
    };
    let body = Bytes::from(serde_json::to_vec(&page).expect("JSON"));
    if !owner {
        state.cache_page(key, body.clone());
    }
    Ok((position, body))
}

#[derive(Serialize)]
struct FeedPage<'a> {
    position: i64,
    items: &'a [FeedEntry],
    next_cursor: Option<String>,
}

/// `GET /v1/current?kind=&tag=&limit=&cursor=&as_of=` — public items in progress, most
/// recently touched first.
pub async fn current(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    items(&req, &state, Projection::current, |i| i.updated_at).await
}

/// `GET /v1/queue?kind=&tag=&limit=&cursor=&as_of=` — public items added and not started yet,
/// most recently added first.
pub async fn queue(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    items(&req, &state, Projection::queue, |i| i.added_at).await
}

/// A page of a list of public items, as `pick` chooses and orders them (by `time`, newest
/// first) at the answer's position.
async fn items(
    req: &HttpRequest,
    state: &AppState,
    pick: fn(&Projection, &ItemFilter, &Page) -> Vec<ItemView>,
    time: fn(&ItemView) -> DateTime<Utc>,
) -> Result<HttpResponse, Problem> {
    let mut p = params(req)?;
    let (after, limit) = paging(&mut p, MAX_LIMIT, decode_item_cursor)?;
    let filter = item_filter(&p)?;
    let (position, _) = position_for(req, state, &p).await?;
    // One more than the page, to know whether there is a next one.
    let mut items = pick(
        &state.replica.projection.read().expect("not poisoned"),
        &filter,
        &Page {
            after,
            limit: limit + 1,
            as_of: Some(position),
        },
    );
    let next_cursor = next_page(&mut items, limit, |i| {
        encode_item_cursor(position, time(i), &i.id)
    });
    Ok(answer(
        req,
        position,
        json!({ "position": position, "items": items, "next_cursor": next_cursor }),
    ))
}

/// Cuts a list read one item past `limit` to the page, and gives the next page's cursor (made
/// of the page's last item) when there is one.
fn next_page<T>(items: &mut Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Option<String> {
    (items.len() > limit).then(|| {
        items.truncate(limit);
        cursor(&items[limit - 1])
    })
}

/// `GET /v1/items/{id}` — a public item and its history.
pub async fn item(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    let p = params(&req)?;
    let (position, _) = position_for(&req, &state, &p).await?;
    let found = state
        .replica
        .projection
        .read()
        .expect("not poisoned")
        .item(&path, Some(position));
    match found {
        Some((item, history)) => Ok(answer(
            &req,
            position,
            json!({ "position": position, "item": item, "history": history }),
        )),
        None => Err(no_public_item(&path)),
    }
}

/// The 404 for an id that names no public item (private and removed ones are not shown, nor
/// said to be: the detail is the same for all three).
pub(crate) fn no_public_item(id: &str) -> Problem {
    Problem::not_found(format!(
        "no public item {id:?}: it was removed or made private, or never added"
    ))
}

/// `GET /v1/owner/items/{id}?as_of=` — an item of the owner's, private or public, and its
/// history: what `/v1/items/{id}` shows of a public one, for any item in the owner's list, and
/// for a removed one (status `removed`: what a restore would bring back). Only to the owner's
/// token, and never stored by a cache.
pub async fn owner_item(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    state.owner.check(req.headers(), "the owner's items")?;
    let p = params(&req)?;
    let (position, _) = position_for(&req, &state, &p).await?;
    let found = state
        .replica
        .projection
        .read()
        .expect("not poisoned")
        .owner_item(&path, Some(position));
    match found {
        Some((item, history)) => Ok(owner_answer(position)
            .json(json!({ "position": position, "item": item, "history": history }))),
        None => Err(Problem::not_found(format!(
            "no item {:?} was ever added",
            path.as_str()
        ))),
    }
}

/// `GET /v1/owner/items?status=&kind=&tag=&limit=&cursor=&as_of=` — every item of the owner's that is
/// not removed, private ones too, most recently touched first: how the owner finds a private
/// item's id, or an abandoned one's (and with `status=removed`, a removed one's, to restore
/// it). Only to the owner's token, and never stored by a cache.
pub async fn owner_items(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    state.owner.check(req.headers(), "the owner's list")?;
    let mut p = params(&req)?;
    let status = p
        .status
        .as_deref()
        .map(|s| {
            serde_json::from_value::<Status>(json!(s)).map_err(|_| {
                bad(format!(
                "status must be one of queued, in_progress, finished, abandoned, removed (got {s:?})"
            ))
            })
        })
        .transpose()?;
    let filter = item_filter(&p)?;
    let (after, limit) = paging(&mut p, MAX_LIMIT, decode_item_cursor)?;
    let (position, _) = position_for(&req, &state, &p).await?;
    // One more than the page, to know whether there is a next one.
    let mut items = state
        .replica
        .projection
        .read()
        .expect("not poisoned")
        .owner_items(&OwnerQuery {
            status,
            filter,
            page: Page {
                after,
                limit: limit + 1,
                as_of: Some(position),
            },
        });
    let next_cursor = next_page(&mut items, limit, |i| {
        encode_item_cursor(position, i.item.updated_at, &i.item.id)
    });
    Ok(owner_answer(position)
        .json(json!({ "position": position, "items": items, "next_cursor": next_cursor })))
}

/// The cursors of the lists of items: `{as_of}.{time}.{id}`, the time being the one the list
/// is ordered by, pinned to the first page's position like the feed's. (An id holds no `.`
/// today; [`cursor_parts`] would leave it whole either way.)
fn encode_item_cursor(as_of: i64, at: DateTime<Utc>, id: &str) -> String {
    format!("{as_of}.{}.{id}", encode_time(at))
}

fn decode_item_cursor(raw: &str) -> Result<(i64, (DateTime<Utc>, String)), Problem> {
    cursor_parts(raw)
        .map(|(as_of, at, id)| (as_of, (at, id.to_owned())))
        .ok_or_else(not_a_cursor)
}

/// `GET /v1/stats?year=&kind=&tag=` — counts per kind, average rating, per month (or per
/// year), of every public finish or those of one kind or tag.
pub async fn stats(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let (position, body) = counts(&req, &state, false).await?;
    // With goals, the answer for a year has them only while it is the current one: its ETag
    // moves with the year.
    let varies = match state.goals.is_empty() {
        true => String::new(),
        false => chrono::Datelike::year(&state.zone.date(Utc::now())).to_string(),
    };
    Ok(answer_varying(
        &req,
        position,
        &varies,
        "application/json",
        body.to_string(),
    ))
}

/// `GET /v1/owner/stats?year=&kind=&tag=&as_of=` — [`stats`] of every finish of the owner's,
/// private items' too. Only to the owner's token, and never stored by a cache.
pub async fn owner_stats(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    state.owner.check(req.headers(), "the owner's stats")?;
    let (position, body) = counts(&req, &state, true).await?;
    Ok(owner_answer(position).json(body))
}

/// The stats of the request's year, kind and tag (the owner's or the public ones), as of the
/// position it answers from.
async fn counts(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    owner: bool,
) -> Result<(i64, Value), Problem> {
    let p = params(req)?;
    let (year, filter) = (year(&p)?, item_filter(&p)?);
    let (position, _) = position_for(req, state, &p).await?;
    let today = state.zone.date(Utc::now());
    // The owner's goals are this year's (`LATELY_GOALS`), for the counts they apply to.
    let targets = match year {
        Some(y) if y == chrono::Datelike::year(&today) => {
            crate::widget::targets(&state.goals, &filter, today)
        }
        _ => Vec::new(),
    };
    let stats = state
        .replica
        .projection
        .read()
        .expect("not poisoned")
        .count(&StatsQuery {
            year,
            zone: state.zone,
            filter,
            as_of: Some(position),
            owner,
        });
    let goals: Vec<Value> = targets
        .iter()
        .map(|t| json!({ "kind": t.kind, "goal": t.goal.get(), "finished": t.finished(&stats) }))
        .collect();
    let mut body = serde_json::to_value(stats).expect("stats serialise");
    body["position"] = json!(position);
    body["goals"] = json!(goals);
    Ok((position, body))
}

/// `GET /v1/tags` — the public items' tags, the most used first, with how many items have
/// each and how many times they were finished.
pub async fn tags(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let (position, body) = tag_counts(&req, &state, false).await?;
    Ok(answer(&req, position, body))
}

/// `GET /v1/owner/tags` — [`tags`] of every item of the owner's, private ones too. Only to the
/// owner's token, and never stored by a cache.
pub async fn owner_tags(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Problem> {
    state.owner.check(req.headers(), "the owner's tags")?;
    let (position, body) = tag_counts(&req, &state, true).await?;
    Ok(owner_answer(position).json(body))
}

/// The tags as of the position the request answers from (the owner's or the public ones).
async fn tag_counts(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    owner: bool,
) -> Result<(i64, Value), Problem> {
    let p = params(req)?;
    let (position, _) = position_for(req, state, &p).await?;
    let tags = state
        .replica
        .projection
        .read()
        .expect("not poisoned")
        .tags(Some(position), owner);
    Ok((position, json!({ "tags": tags, "position": position })))
}

/// `GET /v1/status` — where this replica stands.
pub async fn status(state: web::Data<AppState>) -> HttpResponse {
    let r = &state.replica;
    let (position, events_applied, state_hash) = state.hash();
    let head = r.head().max(position);
    HttpResponse::Ok()
        .insert_header((POSITION_HEADER, position.to_string()))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .json(json!({
            "replica_id": r.id,
            "position": position,
            "head": head,
            "lag": head - position,
            "state_hash": state_hash,
            "events_applied": events_applied,
            "started_at": r.started_at,
            "snapshot_position": r.snapshot_position.load(std::sync::atomic::Ordering::Relaxed),
            "ready": r.is_ready(),
            "database": if r.is_connected() { "connected" } else { "unreachable" },
            "stalled": r.stalled(),
        }))
}

/// `GET /openapi.json` — this API's OpenAPI document (`scripts/fuzz-api` fuzzes from it).
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(include_str!("../openapi.json"))
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready once caught up with the head seen at start (and not shutting down or stalled).
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let r = &state.replica;
    if r.shutting_down.load(std::sync::atomic::Ordering::Relaxed) {
        return Problem::unavailable("shutting down").response();
    }
    if let Some(reason) = r.stalled() {
        return Problem::unavailable(format!("stalled: {reason}")).response();
    }
    if !r.is_ready() {
        return Problem::unavailable(format!(
            "catching up: at position {} of {}",
            r.position(),
            r.head()
        ))
        .response();
    }
    HttpResponse::Ok().json(json!({ "status": "ready", "position": r.position() }))
}
