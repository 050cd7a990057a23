//! Building the application: the log, the group-commit appender, the HTTP server and its
//! shutdown.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use lately_log::{AppendOptions, Appender, EventLog, LogOptions};
use lately_service::problem::{allow, get, no_such_route, post};
use lately_service::request_span::RequestSpan;
use lately_service::Problem;
use tracing_actix_web::TracingLogger;

use crate::configuration::Config;
use crate::error::ApiError;
use crate::routes;
use crate::streams::Streams;

pub struct AppState {
    pub log: EventLog,
    pub appender: Appender,
    /// Recently written items' state, so commands need not re-read their streams.
    pub streams: Streams,
    token: Option<String>,
    /// Set once the schema is migrated; writes are refused (503) before.
    migrated: AtomicBool,
    /// Set on SIGTERM; new writes are refused (503) while in-flight ones finish.
    shutting_down: AtomicBool,
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    shutdown_timeout: Duration,
}

impl Application {
    /// A writer on a free port of 127.0.0.1 with one HTTP worker, serving in this process
    /// until it ends: what the other services' tests write through. `flags` are more of its
    /// command line (`["--db-timeout-ms", "500"]`). Returns its base URL at once; it answers
    /// `/readyz` once the schema is migrated.
    pub async fn spawn_local(
        database_url: &str,
        token: &str,
        flags: &[&str],
    ) -> anyhow::Result<String> {
        use clap::Parser;
        let args = [
            "lately-writer",
            "--database-url",
            database_url,
            "--listen",
            "127.0.0.1:0",
            "--token",
            token,
            "--workers",
            "1",
        ];
        let app = Self::build(Config::try_parse_from(args.iter().chain(flags))?).await?;
        let url = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Ok(url)
    }

    pub async fn build(config: Config) -> anyhow::Result<Self> {
        lately_service::metrics::handle();
        let token = match (&config.token, config.insecure_local) {
            (Some(t), _) if !t.trim().is_empty() => Some(t.trim().to_owned()),
            (_, true) => {
                tracing::warn!("LATELY_INSECURE_LOCAL: accepting writes without a token");
                None
            }
            _ => anyhow::bail!(
                "LATELY_WRITER_TOKEN is not set. Set it to a long random secret, or set \
                 LATELY_INSECURE_LOCAL=true to accept writes without one on a private machine."
            ),
        };
        let log = EventLog::connect(
            &config.database_url,
            LogOptions {
                max_connections: config.db_max_connections,
                acquire_timeout: config.db_timeout(),
                ..LogOptions::default()
            },
        )?;
        let appender = Appender::spawn(
            &log,
            AppendOptions {
                max_batch_events: config.max_batch,
                ..AppendOptions::default()
            },
        );
        let state = web::Data::new(AppState {
            log,
            appender,
            streams: Streams::new(config.remembered_items),
            token,
            migrated: AtomicBool::new(false),
            shutting_down: AtomicBool::new(false),
        });
        tokio::spawn(migrate_until_done(state.clone()));

        let listener = TcpListener::bind(&config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        let shutdown_timeout = Duration::from_secs(config.shutdown_timeout);
        let data = state.clone();
        let mut server = HttpServer::new(move || {
            // The owner's page (a reader's `/owner`) writes from the readers' origin. Any origin
            // may ask, as the token in `Authorization` is what authorises a write: no cookie
            // rides along, so another site's page can write nothing without the owner's token.
            let cors = Cors::default()
                .allow_any_origin()
                .allowed_methods(["POST", "PATCH", "DELETE"])
                .allowed_headers([
                    "Authorization",
                    "Content-Type",
                    "Idempotency-Key",
                    "If-Match",
                ])
                .expose_headers([routes::POSITION_HEADER, "Idempotent-Replayed"])
                .max_age(3600);
            App::new()
                .app_data(data.clone())
                .wrap(cors)
                .wrap(from_fn(lately_service::metrics::track))
                .wrap(TracingLogger::<RequestSpan>::new())
                .service(get("/healthz", healthz))
                .service(get("/readyz", readyz))
                .service(get("/metrics", lately_service::metrics::endpoint))
                .service(get("/openapi.json", routes::openapi))
                .service(
                    web::scope("/v1")
                        .wrap(from_fn(guard))
                        .service(post("/items", routes::add_item))
                        // One pattern with a variable, matched once: the commands below it are
                        // plain strings. (Six resources with `{id}` each meant up to five regex
                        // matches a request, a visible share of the writer's CPU under load.)
                        .service(
                            web::scope("/items/{id}")
                                .service(
                                    web::resource("")
                                        .route(web::patch().to(routes::edit))
                                        .route(web::delete().to(routes::remove))
                                        .default_service(allow("PATCH, DELETE")),
                                )
                                .service(
                                    web::resource("/finish")
                                        .route(web::post().to(routes::finish))
                                        .route(web::patch().to(routes::revise_finish))
                                        .route(web::delete().to(routes::retract_finish))
                                        .default_service(allow("POST, PATCH, DELETE")),
                                )
                                .service(
                                    web::resource("/start")
                                        .route(web::post().to(routes::start))
                                        .route(web::patch().to(routes::revise_start))
                                        .route(web::delete().to(routes::retract_start))
                                        .default_service(allow("POST, PATCH, DELETE")),
                                )
                                .service(post("/progress", routes::progress))
                                .service(
                                    web::resource("/abandon")
                                        .route(web::post().to(routes::abandon))
                                        .route(web::delete().to(routes::retract_abandon))
                                        .default_service(allow("POST, DELETE")),
                                )
                                .service(post("/restore", routes::restore)),
                        ),
                )
                .default_service(web::to(no_such_route))
        })
        .tcp_nodelay(true)
        .listen(listener)?
        // Signals are ours to handle: see `run_until_stopped`.
        .disable_signals()
        .shutdown_timeout(config.shutdown_timeout);
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            state,
            shutdown_timeout,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/Ctrl-C, then shuts down gracefully: readiness turns 503 and new
    /// writes are refused with 503 at once, in-flight writes finish and are acknowledged,
    /// then the server stops and the appender drains.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let state = self.state.clone();
        tokio::spawn(async move {
            lately_service::shutdown::signal().await;
            state.shutting_down.store(true, Ordering::SeqCst);
            handle.stop(true).await;
        });
        self.server.await?;
        tracing::info!(timeout = ?self.shutdown_timeout, "stopped");
        self.state.log.close().await;
        Ok(())
    }
}

async fn migrate_until_done(state: web::Data<AppState>) {
    let mut delay = Duration::from_millis(200);
    loop {
        match state.log.migrate().await {
            Ok(()) => {
                state.migrated.store(true, Ordering::SeqCst);
                tracing::info!(
                    backend = state.log.backend_name(),
                    "event log schema is up to date"
                );
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot migrate the event log yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Runs before every `/v1` handler (and before its body is read): refuses writes while
/// shutting down or before the schema is ready, and checks the bearer token.
async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("state is registered")
        .clone();
    if let Some(problem) = refusal(&req, &state) {
        return Ok(req.into_response(problem).map_into_boxed_body());
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn refusal(req: &ServiceRequest, state: &AppState) -> Option<HttpResponse> {
    if state.shutting_down.load(Ordering::SeqCst) {
        return Some(Problem::unavailable("the writer is shutting down; retry shortly").response());
    }
    if let Some(token) = &state.token {
        if !lately_service::auth::presents(req.headers(), token) {
            return Some(actix_web::ResponseError::error_response(
                &ApiError::Unauthorized,
            ));
        }
    }
    if !state.migrated.load(Ordering::SeqCst) {
        return Some(
            Problem::unavailable(
                "the event log is not ready yet (database unreachable or migrating)",
            )
            .response(),
        );
    }
    None
}

/// The process is up.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Ready to take writes: not shutting down, database reachable, schema migrated.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.shutting_down.load(Ordering::SeqCst) {
        return Problem::unavailable("shutting down").response();
    }
    // The schema can be visible in the database a moment before this process has noted its
    // migration done, and writes wait for the latter: ready means writes are taken.
    if !state.migrated.load(Ordering::SeqCst) {
        return Problem::unavailable("the event log schema is not migrated yet").response();
    }
    match state.log.schema_ready().await {
        Ok(true) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Ok(false) => Problem::unavailable("the event log schema is not migrated yet").response(),
        Err(e) => Problem::unavailable(format!("the event log is unreachable: {e}")).response(),
    }
}
