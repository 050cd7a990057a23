//! `lately-gateway`: the feed's front door when the readers run as local processes.
//!
//! Requests go to the reader replicas in turn; a replica that refuses the connection is
//! skipped (safe: the readers only serve reads) and tried again later, so killing one reader
//! does not interrupt the feed. In compose, nginx does this job, and this does what its
//! configuration does: the client's `Host` goes through unchanged, so that the links and ids in
//! the feeds name the load balancer — the same from every replica — not the replica that
//! answered; and the client's address is added to `X-Forwarded-For`.

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use clap::Parser;
use futures::TryStreamExt;
use lately_service::Problem;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "lately-gateway",
    version,
    about = "Round-robin load balancer for lately readers"
)]
struct Config {
    #[arg(long, env = "LATELY_GATEWAY_ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Reader base URLs, comma-separated.
    #[arg(
        long,
        env = "LATELY_GATEWAY_BACKENDS",
        value_delimiter = ',',
        default_value = "http://127.0.0.1:8082,http://127.0.0.1:8083"
    )]
    backends: Vec<String>,
}

struct State {
    backends: Vec<String>,
    next: AtomicUsize,
    client: reqwest::Client,
}

/// Headers that describe one hop, not the message (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

async fn forward(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let n = state.backends.len();
    let start = state.next.fetch_add(1, Ordering::Relaxed);
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    // The proxies so far, then this request's client.
    let mut forwarded_for: Vec<String> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| Some(v.to_str().ok()?.to_owned()))
        .collect();
    forwarded_for.extend(req.peer_addr().map(|peer| peer.ip().to_string()));
    let forwarded_for = forwarded_for.join(", ");
    for i in 0..n {
        let backend = &state.backends[(start + i) % n];
        let mut outgoing = state
            .client
            .request(method.clone(), format!("{backend}{path}"))
            .body(body.clone());
        for (name, value) in req.headers() {
            if !HOP_BY_HOP.contains(&name.as_str()) && name != "x-forwarded-for" {
                outgoing = outgoing.header(name.as_str(), value.as_bytes());
            }
        }
        if !forwarded_for.is_empty() {
            outgoing = outgoing.header("x-forwarded-for", forwarded_for.as_str());
        }
        match outgoing.send().await {
            Ok(res) => {
                let mut out = HttpResponse::build(
                    StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY),
                );
                for (name, value) in res.headers() {
                    if !HOP_BY_HOP.contains(&name.as_str()) && name != "content-length" {
                        out.insert_header((name.as_str(), value.as_bytes()));
                    }
                }
                // Streamed, so Server-Sent Events pass through as they come.
                return out.streaming(res.bytes_stream().map_err(std::io::Error::other));
            }
            Err(e) if e.is_connect() => {
                tracing::warn!(%backend, "reader unreachable; trying the next");
            }
            Err(e) => {
                return Problem::new(
                    StatusCode::BAD_GATEWAY,
                    "bad-gateway",
                    "Bad gateway",
                    format!("reader {backend} failed: {e}"),
                )
                .response();
            }
        }
    }
    Problem::unavailable("no reader replica is reachable").response()
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    lately_service::telemetry::init("gateway");
    let state = web::Data::new(State {
        backends: config
            .backends
            .iter()
            .map(|b| b.trim_end_matches('/').to_owned())
            .collect(),
        next: AtomicUsize::new(0),
        client: reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_millis(500))
            // A replica's redirect is the client's to follow, as through nginx: followed here,
            // the client would get the page at an address that is not its own.
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
    });
    tracing::info!(listen = %config.listen, backends = ?state.backends, "balancing");
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(64 * 1024))
            .service(lately_service::problem::get("/healthz", || async {
                HttpResponse::Ok().json(serde_json_ok())
            }))
            .default_service(web::to(forward))
    })
    .bind(&config.listen)?
    .workers(2)
    .disable_signals()
    .run();
    let handle = server.handle();
    tokio::spawn(async move {
        lately_service::shutdown::signal().await;
        handle.stop(true).await;
    });
    server.await?;
    Ok(())
}

fn serde_json_ok() -> std::collections::BTreeMap<&'static str, &'static str> {
    [("status", "ok")].into()
}
