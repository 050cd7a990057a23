//! `GET /v1/stream` — Server-Sent Events of new public finishes, for live widgets.
//!
//! Each event is `event: finish`, `id: <log position>`, `data: <feed entry JSON>`. A client that
//! reconnects with `Last-Event-ID` (browsers do this by themselves) first gets every finish it
//! missed, then the new ones; without it, the stream starts at the replica's current position.
//! A comment line every 15 s keeps proxies from closing an idle stream.

use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use lately_projection::FeedQuery;
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
                        let entries = projection.finishes_after(last, &query);
                        last = if entries.len() == query.limit {
                            entries.last().map_or(last, |e| e.position)
                        } else {
                            projection.position().max(last)
                        };
                        entries
                            .iter()
                            .map(|e| {
                                let data = serde_json::to_string(e).expect("JSON");
                                format!("id: {}\nevent: finish\ndata: {data}\n\n", e.position)
                            })
                            .collect::<String>()
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
