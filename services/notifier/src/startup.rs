//! Building the notifier: the worker, and a small HTTP server for health, metrics and status.

use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use chrono::{DateTime, Utc};
use lately_log::{EventLog, LogOptions};
use lately_service::auth::OwnerAccess;
use lately_service::problem::{get, post};
use lately_service::Problem;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::configuration::{credentials, Config};
use crate::store::{Entry, Store, STATUSES};
use crate::worker::{Shared, Worker};
use crate::x::XClient;

pub struct Application {
    port: u16,
    server: Server,
}

struct State {
    store: Store,
    /// The log, for its head: a retry waits until the worker has read up to it.
    log: EventLog,
    shared: Arc<Shared>,
    owner: OwnerAccess,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        lately_service::metrics::handle();
        let log = EventLog::connect(
            &config.database_url,
            LogOptions {
                poll_interval: Duration::from_millis(config.poll_ms.max(10)),
                ..LogOptions::default()
            },
        )?;
        let store = Store::new(&log);
        let x = match (credentials()?, config.dry_run) {
            (Some(creds), false) => {
                tracing::info!(api = %config.x_api_base, "posting to X");
                // Posting waits at most the posting timeout; reconciliation waits the same.
                Some(XClient::new(
                    &config.x_api_base,
                    &creds,
                    config.posting_timeout.max(Duration::from_secs(1)),
                ))
            }
            _ => {
                tracing::warn!(
                    "no X credentials (or LATELY_DRY_RUN): recording what would be tweeted"
                );
                None
            }
        };
        if !config.template.contains("{again}") {
            tracing::warn!(
                template = %config.template,
                "LATELY_TWEET_TEMPLATE has no {{again}}: a re-read finished with the same rating \
                 composes the same text as the first time, which X refuses as duplicate content"
            );
        }
        if config.template.contains("{goal}") && config.goals.is_empty() {
            tracing::warn!(
                "LATELY_TWEET_TEMPLATE has {{goal}} but LATELY_GOALS is empty: it says nothing"
            );
        }
        let owner = OwnerAccess::new(config.owner_token.as_deref(), config.insecure_local);
        if matches!(owner, OwnerAccess::Open) {
            tracing::warn!(
                "LATELY_INSECURE_LOCAL: anyone who reaches the notifier may read the outbox and \
                 retry a tweet"
            );
        }
        let shared = Arc::new(Shared::default());
        shared.dry_run.store(x.is_none(), Ordering::Relaxed);
        let listener = TcpListener::bind(&config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        let covers = match config.tweet_covers {
            true => Some(
                reqwest::Client::builder()
                    .user_agent(concat!("lately-notifier/", env!("CARGO_PKG_VERSION")))
                    .build()?,
            ),
            false => None,
        };
        tokio::spawn(
            Worker {
                config,
                log: log.clone(),
                store: store.clone(),
                x,
                covers,
                shared: shared.clone(),
            }
            .run(),
        );

        let state = web::Data::new(State {
            store,
            log,
            shared,
            owner,
        });
        let server = HttpServer::new(move || {
            // Your log's page (a reader's `/owner`) reads the outbox and asks for a retry from
            // the readers' origin. Any origin may ask, as the writer lets any: the token in
            // `Authorization` is what opens the owner's routes, and no cookie rides along.
            let cors = actix_cors::Cors::default()
                .allow_any_origin()
                .allowed_methods(["GET", "POST"])
                .allowed_headers(["Authorization"])
                .max_age(3600);
            App::new()
                .app_data(state.clone())
                .wrap(cors)
                .wrap(actix_web::middleware::from_fn(
                    lately_service::metrics::track,
                ))
                .service(get("/healthz", healthz))
                .service(get("/readyz", readyz))
                .service(get("/metrics", metrics))
                .service(get("/v1/status", status))
                .service(get("/v1/outbox", outbox))
                .service(post("/v1/outbox/{position}/retry", retry))
                .service(get("/openapi.json", openapi))
                .default_service(web::to(lately_service::problem::no_such_route))
        })
        .tcp_nodelay(true)
        .listen(listener)?
        .workers(1)
        .disable_signals()
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        tokio::spawn(async move {
            lately_service::shutdown::signal().await;
            handle.stop(true).await;
        });
        self.server.await?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// `GET /openapi.json` — this API's OpenAPI document (`scripts/fuzz-api` fuzzes from it).
async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("../openapi.json"))
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn readyz(state: web::Data<State>) -> HttpResponse {
    let s = &state.shared;
    if let Some(reason) = s.auth_failed.lock().expect("not poisoned").clone() {
        return Problem::unavailable(format!("X refused the credentials: {reason}")).response();
    }
    if !s.caught_up.load(Ordering::Relaxed) {
        return Problem::unavailable("catching up with the log").response();
    }
    HttpResponse::Ok()
        .json(json!({ "status": "ready", "leader": s.leader.load(Ordering::Relaxed) }))
}

/// The longest the HTTP routes (status, metrics, the outbox's list and retry) wait for the
/// outbox: behind a network partition its database never answers, and an operator's status
/// page (or a Prometheus scrape) must not hang with it.
const OUTBOX_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

fn ms(t: Option<i64>) -> Option<DateTime<Utc>> {
    t.and_then(DateTime::from_timestamp_millis)
}

/// `GET /v1/status`: how the notifier is doing, for anyone who reaches it (an operator's
/// check, the chaos run's counts). Not the outbox's entries: they name private items and hold
/// the text of tweets deleted for a reason (the item made private, removed), so they are the
/// owner's (`GET /v1/outbox`).
async fn status(state: web::Data<State>) -> Result<HttpResponse, Problem> {
    let s = &state.shared;
    let reads = async { tokio::try_join!(state.store.counts(), state.store.checkpoint()) };
    let (counts, checkpoint) = within_timeout(reads).await?;
    let position = s.position.load(Ordering::Relaxed);
    let head = s.head.load(Ordering::Relaxed).max(position);
    let mut status = json!({
        "leader": s.leader.load(Ordering::Relaxed),
        "mode": if s.dry_run.load(Ordering::Relaxed) { "dry_run" } else { "live" },
        "position": position,
        "head": head,
        "lag": head - position,
        "checkpoint": checkpoint,
        "counts": counts.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
    });
    with_holds(&mut status, s);
    Ok(HttpResponse::Ok().json(status))
}

/// What holds the tweets back, or is left of X's day, into `answer` (the status, an outbox
/// page): X refusing the credentials, its rate limits on posting and on deleting, the
/// account's day of posts.
fn with_holds(answer: &mut Value, s: &Shared) {
    let (held, now) = (s.holds(), Utc::now());
    let holds = json!({
        "auth_failed": s.auth_failed.lock().expect("not poisoned").clone(),
        "paused_until": held.posting(now),
        "deletions_paused_until": held.deleting(now),
        "posts_left": held.posts_left(now),
    });
    if let (Some(answer), Value::Object(holds)) = (answer.as_object_mut(), holds) {
        answer.extend(holds);
    }
}

fn entry_json(e: &Entry) -> Value {
    json!({
        "finish_position": e.finish_position,
        "item_id": e.item_id,
        "status": e.status,
        "due_at": ms(Some(e.due_at_ms)),
        "attempts": e.attempts,
        "text": e.text,
        "tweet_id": e.tweet_id,
        "reason": e.reason,
        "posting_started_at": ms(e.posting_started_ms),
        "updated_at": ms(Some(e.updated_ms)),
    })
}

/// An outbox statement bounded by [`OUTBOX_TIMEOUT`], its failure a 503. (A retry that
/// ran out of time may still have been recorded: asked again, it answers that the tweet is
/// already waiting.)
async fn within_timeout<T>(
    read: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, Problem> {
    match tokio::time::timeout(OUTBOX_TIMEOUT, read).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Problem::unavailable(format!(
            "the outbox is unreachable: {e}"
        ))),
        Err(_) => Err(Problem::unavailable(format!(
            "the outbox did not answer within {OUTBOX_TIMEOUT:?}"
        ))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboxQuery {
    status: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
    positions: Option<String>,
}

/// The most entries one `positions=` names: a page's worth of finishes, as `limit` allows.
const MAX_LIMIT: i64 = 1000;

/// `GET /v1/outbox?status=&before=&limit=`, with the owner's token: the outbox, newest finish
/// first, a page at a time (`next_before` continues it); or `?positions=12,40,41`, the entries
/// of those finishes alone (your log's page asks for the finishes it shows, which an import
/// can leave hundreds of positions apart). The owner's, as a reader's list with private items
/// is: an entry names its item, private ones too, and keeps the text of a tweet deleted
/// because its item was made private or removed.
async fn outbox(
    req: actix_web::HttpRequest,
    state: web::Data<State>,
) -> Result<HttpResponse, Problem> {
    state.owner.check(req.headers(), "the outbox")?;
    let q: OutboxQuery = lately_service::query::parse(req.query_string())?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) if STATUSES.contains(&s) => Some(s),
        Some(s) => {
            return Err(Problem::bad_request(format!(
                "status: expected one of {} (got {s:?})",
                STATUSES.join(", ")
            )))
        }
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT} (got {limit})"
        )));
    }
    let (entries, next_before) = match q.positions.as_deref() {
        Some(positions) => {
            if q.before.is_some() || q.limit.is_some() {
                return Err(Problem::bad_request(
                    "positions names the entries wanted: before and limit page through the \
                     whole outbox instead, and do not go with it",
                ));
            }
            let positions = parse_positions(positions)?;
            let mut entries = within_timeout(state.store.at(&positions)).await?;
            if let Some(status) = status {
                entries.retain(|e| e.status == status);
            }
            (entries, None)
        }
        None => {
            let entries = within_timeout(state.store.list(status, q.before, limit)).await?;
            let next_before = (entries.len() as i64 == limit)
                .then(|| entries.last().map(|e| e.finish_position))
                .flatten();
            (entries, next_before)
        }
    };
    let mut page = json!({
        "entries": entries.iter().map(entry_json).collect::<Vec<_>>(),
        "next_before": next_before,
    });
    with_holds(&mut page, &state.shared);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(page))
}

/// `positions=`: log positions separated by commas, at most [`MAX_LIMIT`] of them.
///
/// A problem names the first part at fault, clipped, not the whole list: a list gone wrong
/// can be a thousand parts long, and the detail is for a person to read.
fn parse_positions(list: &str) -> Result<Vec<i64>, Problem> {
    let parts = list.split(',').count();
    if parts as i64 > MAX_LIMIT {
        return Err(Problem::bad_request(format!(
            "positions: at most {MAX_LIMIT} at a time (got {parts})"
        )));
    }
    list.split(',')
        .map(|part| {
            let part = part.trim();
            part.parse::<i64>().ok().filter(|&p| p >= 1).ok_or_else(|| {
                let shown = match part.char_indices().nth(24) {
                    Some((end, _)) => format!("{}…", &part[..end]),
                    None => part.to_owned(),
                };
                Problem::bad_request(format!(
                    "positions: expected log positions (1 or more) separated by commas, \
                         as 12,40,41; {shown:?} is not one"
                ))
            })
        })
        .collect()
}

/// `POST /v1/outbox/{position}/retry`, with the owner's token: tries a finish's tweet again
/// that X refused (`failed`), that was `skipped` or only recorded (`dry_run`), or whose tweet
/// was `deleted` (its item removed or made private, its finish taken back: restored, the
/// owner may want it out again). None of those is on the account, so this cannot tweet twice
/// — but for a `failed` one whose post was interrupted where X lets this app read no
/// timeline, whose reason asks the owner to look on the account first (and X refuses the
/// same text twice); a posted one is refused with a 409.
async fn retry(
    req: actix_web::HttpRequest,
    path: web::Path<String>,
    state: web::Data<State>,
) -> Result<HttpResponse, Problem> {
    state.owner.check(req.headers(), "retrying a tweet")?;
    let position = path.parse::<i64>().ok().filter(|p| *p > 0).ok_or_else(|| {
        Problem::bad_request(format!(
            "position: expected the finish's log position, a positive integer (got {:?})",
            path.as_str()
        ))
    })?;
    if state.shared.dry_run.load(Ordering::Relaxed) {
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "conflict",
            "Conflict",
            "the notifier has no X credentials (or runs with LATELY_DRY_RUN): a retry would \
             only be recorded again. Give it credentials first",
        ));
    }
    // The entry is judged when due, on the worker's projection: first let it read the log up
    // to what it holds now, so that a restore or an edit written just before this retry is
    // seen. Otherwise a finish whose item was restored a moment ago would be skipped again at
    // once, "removed or private by the time it was due".
    let head = within_timeout(async {
        (state.log.head().await).map_err(|e| sqlx::Error::Protocol(e.to_string()))
    })
    .await?;
    let read_up = tokio::time::timeout(OUTBOX_TIMEOUT, async {
        while state.shared.position.load(Ordering::Relaxed) < head {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    if read_up.is_err() {
        return Err(Problem::unavailable(format!(
            "the notifier has not read the log up to position {head} yet (it is at {}): try \
             again in a moment",
            state.shared.position.load(Ordering::Relaxed)
        )));
    }
    // Answered with the entry as the retry left it: a worker may be posting it already.
    let moved =
        within_timeout(state.store.requeue(position, Utc::now().timestamp_millis())).await?;
    if let Some(entry) = moved {
        tracing::info!(position, "tweet retried at the owner's request");
        metrics::counter!("lately_notifier_retried_total").increment(1);
        return Ok(HttpResponse::Accepted().json(entry_json(&entry)));
    }
    let Some(entry) = within_timeout(state.store.entry(position)).await? else {
        return Err(Problem::not_found(format!(
            "no tweet for position {position}: the outbox holds one for each finish after the \
             position the notifier first started at (GET /v1/outbox lists them)"
        )));
    };
    let why = match entry.status.as_str() {
        "posted" => format!(
            "the finish at position {position} was already tweeted{}: it is never posted twice",
            entry
                .tweet_id
                .as_deref()
                .map(|id| format!(" (tweet {id})"))
                .unwrap_or_default()
        ),
        "posting" => format!("the finish at position {position} is being posted right now"),
        "deleting" => format!(
            "the tweet of the finish at position {position} is being deleted; it can be tried \
             again once it is deleted"
        ),
        _ => format!("the finish at position {position} is already waiting to be posted"),
    };
    Err(Problem::new(
        actix_web::http::StatusCode::CONFLICT,
        "conflict",
        "Conflict",
        why,
    )
    // Not `status`: that member is the HTTP status's (RFC 9457).
    .with("outbox_status", entry.status.clone()))
}

/// Prometheus text, with the outbox gauges refreshed first (or left as they were, if the
/// outbox does not answer in time).
async fn metrics(state: web::Data<State>) -> HttpResponse {
    if let Ok(Ok(counts)) = tokio::time::timeout(OUTBOX_TIMEOUT, state.store.counts()).await {
        for (status, n) in counts {
            metrics::gauge!("lately_notifier_outbox", "status" => status).set(n as f64);
        }
    }
    let s = &state.shared;
    let position = s.position.load(Ordering::Relaxed);
    metrics::gauge!("lately_notifier_lag")
        .set((s.head.load(Ordering::Relaxed) - position).max(0) as f64);
    metrics::gauge!("lately_notifier_leader")
        .set(f64::from(u8::from(s.leader.load(Ordering::Relaxed))));
    // How long X's rate limit still holds posting or deleting back (0: it does not): what
    // an alert on a day's posts used up watches.
    let (held, now) = (s.holds(), Utc::now());
    for (what, pause) in [
        ("posting", held.posting(now)),
        ("deleting", held.deleting(now)),
    ] {
        let left = pause.map_or(0, |until| (until - now).num_seconds().max(1));
        metrics::gauge!("lately_notifier_paused_seconds", "what" => what).set(left as f64);
    }
    lately_service::metrics::endpoint().await
}
