//! Building the notifier: the worker, and a small HTTP server for health, metrics and status.

use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use chrono::{DateTime, Utc};
use lately_log::{EventLog, LogOptions};
use lately_service::problem::get;
use lately_service::Problem;
use serde_json::json;

use crate::configuration::{credentials, Config};
use crate::store::Store;
use crate::worker::{Shared, Worker};
use crate::x::XClient;

pub struct Application {
    port: u16,
    server: Server,
}

struct State {
    store: Store,
    shared: Arc<Shared>,
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
        let shared = Arc::new(Shared::default());
        shared.dry_run.store(x.is_none(), Ordering::Relaxed);
        let listener = TcpListener::bind(&config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        tokio::spawn(
            Worker {
                config,
                log,
                store: store.clone(),
                x,
                shared: shared.clone(),
            }
            .run(),
        );

        let state = web::Data::new(State { store, shared });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(actix_web::middleware::from_fn(
                    lately_service::metrics::track,
                ))
                .service(get("/healthz", healthz))
                .service(get("/readyz", readyz))
                .service(get("/metrics", metrics))
                .service(get("/v1/status", status))
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

/// The longest `/v1/status` and `/metrics` wait for the outbox: behind a network partition its
/// database never answers, and an operator's status page (or a Prometheus scrape) must not hang
/// with it.
const OUTBOX_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

fn ms(t: Option<i64>) -> Option<DateTime<Utc>> {
    t.and_then(DateTime::from_timestamp_millis)
}

async fn status(state: web::Data<State>) -> HttpResponse {
    let s = &state.shared;
    let reads = async {
        tokio::try_join!(
            state.store.recent(100),
            state.store.counts(),
            state.store.checkpoint()
        )
    };
    let (recent, counts, checkpoint) = match tokio::time::timeout(OUTBOX_READ_TIMEOUT, reads).await
    {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            return Problem::unavailable(format!("the outbox is unreachable: {e}")).response()
        }
        Err(_) => {
            return Problem::unavailable(format!(
                "the outbox did not answer within {OUTBOX_READ_TIMEOUT:?}"
            ))
            .response()
        }
    };
    let outbox: Vec<_> = recent
        .into_iter()
        .map(|e| {
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
        })
        .collect();
    let position = s.position.load(Ordering::Relaxed);
    let head = s.head.load(Ordering::Relaxed).max(position);
    HttpResponse::Ok().json(json!({
        "leader": s.leader.load(Ordering::Relaxed),
        "mode": if s.dry_run.load(Ordering::Relaxed) { "dry_run" } else { "live" },
        "position": position,
        "head": head,
        "lag": head - position,
        "checkpoint": checkpoint,
        "auth_failed": s.auth_failed.lock().expect("not poisoned").clone(),
        "paused_until": *s.paused_until.lock().expect("not poisoned"),
        "counts": counts.into_iter().collect::<std::collections::BTreeMap<_, _>>(),
        "outbox": outbox,
    }))
}

/// Prometheus text, with the outbox gauges refreshed first (or left as they were, if the
/// outbox does not answer in time).
async fn metrics(state: web::Data<State>) -> HttpResponse {
    if let Ok(Ok(counts)) = tokio::time::timeout(OUTBOX_READ_TIMEOUT, state.store.counts()).await {
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
    lately_service::metrics::endpoint().await
}
