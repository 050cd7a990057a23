//! `GET /v1/stream` — Server-Sent Events of the public feed's changes, for live widgets.
//!
//! Every event's `id` is the log position of what caused it:
//! - `event: finish`, `data: <feed entry>` — a new public finish;
//! - `event: update`, `data: <feed entry>` — a finish from before, as it is now that its item
//!   was edited (or made public again) or its finish revised (rating, review or start);
//! - `event: remove`, `data: {"position": <the finish's position>}` — a finish the stream's
//!   filters showed, now private, removed, retracted or filtered out.
//!
//! A client that reconnects with `Last-Event-ID` (browsers do this by themselves) first gets
//! everything it missed, then the new ones; without it, the stream starts at the replica's
//! current position. A comment line every 15 s keeps proxies from closing an idle stream.

use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use lately_projection::{FeedQuery, LiveEvent};
use lately_service::Problem;

use crate::routes::{bad, kind, params, tag};
use crate::startup::AppState;

const HEARTBEAT: Duration = Duration::from_secs(15);

pub async fn stream(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let p = params(&req)?;
    let query = FeedQuery {
        kind: kind(&p)?,
        tag: tag(&p)?,
        limit: 100,
        ..FeedQuery::default()
    };
    let resume = match req.headers().get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or_else(|| bad("Last-Event-ID must be a log position"))?,
        ),
        None => None,
    };
    let start = resume.unwrap_or_else(|| state.replica.position());
    let changes = state.replica.watch_position();
    let first = Bytes::from_static(b"retry: 2000\n\n");
    let events = futures::stream::unfold(
        (state, changes, start, Some(first)),
        move |(state, mut changes, mut last, first)| {
            let query = query.clone();
            async move {
                if let Some(first) = first {
                    return Some((
                        Ok::<_, actix_web::Error>(first),
                        (state, changes, last, None),
                    ));
                }
                loop {
                    changes.borrow_and_update();
                    let chunk = {
                        let projection = state.replica.projection.read().expect("not poisoned");
                        let (events, until) = projection.live_after(last, &query);
                        last = until;
                        events.iter().map(sse).collect::<String>()
                    };
                    if !chunk.is_empty() {
                        return Some((Ok(Bytes::from(chunk)), (state, changes, last, None)));
                    }
                    tokio::select! {
                        changed = changes.changed() => {
                            if changed.is_err() {
                                return None;
                            }
                        }
                        _ = tokio::time::sleep(HEARTBEAT) => {
                            return Some((Ok(Bytes::from_static(b": heartbeat\n\n")), (state, changes, last, None)));
                        }
                    }
                }
            }
        },
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events))
}

/// One live event as SSE.
fn sse(event: &LiveEvent) -> String {
    let (name, data) = match event {
        LiveEvent::Finish(entry) => ("finish", serde_json::to_string(entry)),
        LiveEvent::Update { entry, .. } => ("update", serde_json::to_string(entry)),
        LiveEvent::Remove { finish, .. } => (
            "remove",
            serde_json::to_string(&serde_json::json!({ "position": finish })),
        ),
    };
    let data = data.expect("feed entries serialize");
    format!("id: {}\nevent: {name}\ndata: {data}\n\n", event.position())
}
