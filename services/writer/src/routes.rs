//! The HTTP handlers: translate a request into a [`Command`], execute it, answer.

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use lately_domain::event::{
    AbandonRetracted, Abandoned, Edited, FinishRetracted, FinishRevised, Finished, ItemAdded,
    ProgressLogged, Removed, Restored, StartRetracted, StartRevised, Started,
};
use lately_domain::{ItemEvent, ItemId};
use serde_json::json;
use tracing_actix_web::RequestId;

use crate::body::{self, when};
use crate::command::{execute, Command, IdempotencyKey, Outcome};
use crate::error::ApiError;
use crate::startup::AppState;

/// The response header carrying the log position of the write: pass it to a reader as
/// `Lately-Min-Position` (or `?min_position=`) to read your own write.
pub const POSITION_HEADER: &str = "Lately-Position";

struct Context {
    idempotency_key: Option<IdempotencyKey>,
    if_match: Option<i64>,
    metadata: serde_json::Value,
    /// The item an earlier build named for the same request (see [`Command::formerly`]).
    formerly: Option<ItemId>,
}

fn context(req: &HttpRequest, request_id: RequestId) -> Result<Context, ApiError> {
    let headers = req.headers();
    let idempotency_key = header_str(headers, "idempotency-key")?
        .map(IdempotencyKey::parse)
        .transpose()?;
    let if_match = header_str(headers, header::IF_MATCH.as_str())?
        .map(parse_version_tag)
        .transpose()?;
    Ok(Context {
        idempotency_key,
        if_match,
        metadata: json!({ "request_id": request_id.to_string(), "actor": "owner" }),
        formerly: None,
    })
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    headers
        .get(name)
        .map(|v| {
            v.to_str().map_err(|_| {
                ApiError::BadRequest(format!("the {name} header is not readable text"))
            })
        })
        .transpose()
}

/// `If-Match: 3`, `If-Match: "3"` or `If-Match: W/"3"`.
fn parse_version_tag(raw: &str) -> Result<i64, ApiError> {
    let tag = raw.trim().trim_start_matches("W/").trim_matches('"');
    tag.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "If-Match must be the item's version as a whole number, like \"3\" (got {raw:?})"
        ))
    })
}

/// The expected version from `If-Match` or the body; both given must agree.
fn expected(ctx: &Context, in_body: Option<i64>) -> Result<Option<i64>, ApiError> {
    match (ctx.if_match, in_body) {
        (Some(h), Some(b)) if h != b => Err(ApiError::BadRequest(format!(
            "If-Match ({h}) and expected_version ({b}) disagree"
        ))),
        (Some(v), _) | (None, Some(v)) if v < 0 => Err(ApiError::Invalid(
            "expected_version must not be negative".into(),
        )),
        (h, b) => Ok(h.or(b)),
    }
}

/// An id that cannot parse cannot exist: not found.
fn item_id(raw: &str) -> Result<ItemId, ApiError> {
    ItemId::parse(raw).map_err(|_| ApiError::Rejected(lately_domain::Rejection::NotFound))
}

fn respond(status: StatusCode, outcome: Outcome) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((POSITION_HEADER, outcome.position.to_string()))
        .insert_header((header::ETAG, format!("\"{}\"", outcome.version)));
    if status == StatusCode::CREATED {
        res.insert_header((header::LOCATION, format!("/v1/items/{}", outcome.id)));
    }
    if outcome.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.json(outcome)
}

async fn run(
    state: &AppState,
    ctx: Context,
    item: ItemId,
    event: ItemEvent,
    expected_version: Option<i64>,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let outcome = execute(
        &state.log,
        &state.appender,
        &state.streams,
        Command {
            item,
            event,
            expected_version,
            idempotency_key: ctx.idempotency_key,
            metadata: ctx.metadata,
            formerly: ctx.formerly,
        },
    )
    .await?;
    Ok(respond(status, outcome))
}

/// `POST /v1/items`
pub async fn add_item(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    request_id: RequestId,
) -> Result<HttpResponse, ApiError> {
    let mut ctx = context(&req, request_id)?;
    let add: body::AddItem = body::json(&req, payload, false).await?;
    let add = add.checked()?;
    let at = when(add.at, Utc::now())?;
    let id = match (&add.id, &ctx.idempotency_key) {
        (Some(id), _) => id.clone(),
        (None, Some(key)) => {
            // A retry of an add made before slugs spelled other scripts in ASCII named the
            // item otherwise: it is still the same request.
            let formerly = ItemId::ascii_slug(&add.title, key.seed());
            let id = ItemId::slug(&add.title, key.seed());
            ctx.formerly = (formerly != id).then_some(formerly);
            id
        }
        (None, None) => ItemId::slug(&add.title, uuid::Uuid::new_v4().as_u128() as u64),
    };
    let event = ItemEvent::Added(ItemAdded {
        kind: add.kind,
        title: add.title,
        creators: add.creators,
        url: add.url,
        cover_url: add.cover_url,
        tags: add.tags,
        visibility: add.visibility,
        at,
    });
    // Adding is creating: the domain's `check` refuses an id that exists ("already exists",
    // which says more than a version conflict would), and the append expects the version it
    // decided on, 0, so that of two adds of one id at once the second is decided again.
    let expected_version = expected(&ctx, None)?;
    run(
        &state,
        ctx,
        id,
        event,
        expected_version,
        StatusCode::CREATED,
    )
    .await
}

/// The shape of every command on an existing item: parse the body into `B`, let `make` turn it
/// into the event (and the body's expected version, if any), and run it.
async fn on_item<B: serde::de::DeserializeOwned>(
    (req, path, payload, state, request_id): ItemRequest,
    optional_body: bool,
    make: impl FnOnce(B, DateTime<Utc>) -> Result<(ItemEvent, Option<i64>), ApiError>,
) -> Result<HttpResponse, ApiError> {
    let ctx = context(&req, request_id)?;
    let id = item_id(&path)?;
    let body: B = body::json(&req, payload, optional_body).await?;
    let (event, in_body) = make(body, Utc::now())?;
    let expected = expected(&ctx, in_body)?;
    run(&state, ctx, id, event, expected, StatusCode::OK).await
}

/// What every item command extracts (actix extracts a tuple of extractors as one).
pub type ItemRequest = (
    HttpRequest,
    web::Path<String>,
    web::Payload,
    web::Data<AppState>,
    RequestId,
);

/// `POST /v1/items/{id}/start`
pub async fn start(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, true, |b: body::Simple, now| {
        Ok((
            ItemEvent::Started(Started {
                at: when(b.at, now)?,
            }),
            b.expected_version,
        ))
    })
    .await
}

/// A day a correction made at `at` (`what` it is) gives a read's `field` (`started_at`,
/// `finished_at`): from 1900 to a day ahead, and not after the correction itself.
fn corrected(
    field: &str,
    day: DateTime<Utc>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    what: &str,
) -> Result<DateTime<Utc>, ApiError> {
    let day = body::when_named(field, Some(day), now)?;
    if day > at {
        return Err(ApiError::Invalid(format!(
            "{field}: {day} is after {what} itself ({at})"
        )));
    }
    Ok(day)
}

/// `PATCH /v1/items/{id}/start`: moves the start of the read in progress (begun on another
/// day than the one logged); its progress stays.
pub async fn revise_start(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, false, |b: body::ReviseStart, now| {
        let at = when(b.at, now)?;
        let started_at = corrected("started_at", b.started_at, at, now, "the move")?;
        let event = StartRevised { started_at, at };
        Ok((ItemEvent::StartRevised(event), b.expected_version))
    })
    .await
}

/// `POST /v1/items/{id}/progress`
pub async fn progress(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, false, |b: body::Progress, now| {
        let event = ProgressLogged::new(b.percent, b.portion, when(b.at, now)?);
        Ok((ItemEvent::ProgressLogged(event), b.expected_version))
    })
    .await
}

/// `POST /v1/items/{id}/finish`
pub async fn finish(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, true, |b: body::Finish, now| {
        let event = Finished {
            at: when(b.at, now)?,
            rating: b.rating,
            review: b.review,
            tweet: b.tweet.unwrap_or(true),
            listened: b.listened.unwrap_or(false),
        };
        Ok((ItemEvent::Finished(event), b.expected_version))
    })
    .await
}

/// `PATCH /v1/items/{id}/finish`: revises the latest finish's rating, review, start or day (the
/// domain's `check` refuses a start after the finish, and a move once the item's status has
/// changed since the finish).
pub async fn revise_finish(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, false, |b: body::ReviseFinish, now| {
        let at = when(b.at, now)?;
        let day = |field, day| corrected(field, day, at, now, "the revision");
        let started_at = b.started_at.map(|s| day("started_at", s)).transpose()?;
        let finished_at = b.finished_at.map(|f| day("finished_at", f)).transpose()?;
        let event = FinishRevised {
            rating: b.rating,
            review: b.review,
            started_at,
            finished_at,
            listened: b.listened,
            at,
        };
        Ok((ItemEvent::FinishRevised(event), b.expected_version))
    })
    .await
}

/// `DELETE /v1/items/{id}/finish`: takes back the latest finish, recorded by mistake.
pub async fn retract_finish(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, true, |b: body::Simple, now| {
        Ok((
            ItemEvent::FinishRetracted(FinishRetracted {
                at: when(b.at, now)?,
            }),
            b.expected_version,
        ))
    })
    .await
}

/// `DELETE /v1/items/{id}/start`: takes back the latest start, recorded by mistake.
pub async fn retract_start(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, true, |b: body::Simple, now| {
        Ok((
            ItemEvent::StartRetracted(StartRetracted {
                at: when(b.at, now)?,
            }),
            b.expected_version,
        ))
    })
    .await
}

/// `POST /v1/items/{id}/abandon`
pub async fn abandon(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, true, |b: body::Simple, now| {
        Ok((
            ItemEvent::Abandoned(Abandoned {
                at: when(b.at, now)?,
            }),
            b.expected_version,
        ))
    })
    .await
}

/// `DELETE /v1/items/{id}/abandon`: takes back the give-up (a tap on the wrong button, or
/// taken up again as the same read): in progress again, as it stood.
pub async fn retract_abandon(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, true, |b: body::Simple, now| {
        Ok((
            ItemEvent::AbandonRetracted(AbandonRetracted {
                at: when(b.at, now)?,
            }),
            b.expected_version,
        ))
    })
    .await
}

/// `PATCH /v1/items/{id}`
pub async fn edit(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, false, |b: body::Edit, now| {
        let (at, expected_version) = (b.at, b.expected_version);
        let event = Edited {
            changes: b.changes()?,
            at: when(at, now)?,
        };
        Ok((ItemEvent::Edited(event), expected_version))
    })
    .await
}

/// `DELETE /v1/items/{id}`
pub async fn remove(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, true, |b: body::Simple, now| {
        Ok((
            ItemEvent::Removed(Removed {
                at: when(b.at, now)?,
            }),
            b.expected_version,
        ))
    })
    .await
}

/// `POST /v1/items/{id}/restore`: brings back an item removed by mistake.
pub async fn restore(request: ItemRequest) -> Result<HttpResponse, ApiError> {
    on_item(request, true, |b: body::Simple, now| {
        Ok((
            ItemEvent::Restored(Restored {
                at: when(b.at, now)?,
            }),
            b.expected_version,
        ))
    })
    .await
}

/// `GET /openapi.json`
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("../openapi.json"))
}
