//! Building the replica: the follower, the snapshotter and the HTTP server.

use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use lately_log::{EventLog, LogOptions};
use lately_projection::Zone;
use lately_service::problem::get;
use lately_service::request_span::RequestSpan;
use tracing_actix_web::TracingLogger;

use actix_web::web::Bytes;
use hashlink::LruCache;

use crate::configuration::Config;
use crate::replica::{self, Replica};
use crate::{
    feeds, home_page, item_page, list_page, owner_page, routes, stream, widget, year_page,
};
use lately_service::auth::OwnerAccess;

pub struct AppState {
    pub replica: Arc<Replica>,
    pub public_url: Option<String>,
    pub feed_title: String,
    pub author: String,
    pub home_page_url: Option<String>,
    /// The calendar of the `year` filter and the stats (`LATELY_TIME_ZONE`).
    pub zone: Zone,
    /// The owner's goals for the current year (`LATELY_GOALS`).
    pub goals: lately_projection::Goals,
    pub min_position_wait: Duration,
    pub owner: OwnerAccess,
    /// The writer's address for the owner's page (`LATELY_WRITER_PUBLIC_URL`).
    pub writer_public_url: Option<String>,
    /// The notifier's address for the owner's page (`LATELY_NOTIFIER_PUBLIC_URL`).
    pub notifier_public_url: Option<String>,
    /// Where the owner's page looks a book or its cover up (`LATELY_OPEN_LIBRARY_URL`; empty:
    /// not).
    pub open_library_url: String,
    /// TMDB's API, for your log's page's posters (empty: none looked up).
    pub tmdb_url: String,
    /// The log's primary (`DATABASE_URL`), asked for its head when a position waited for never
    /// arrives: see [`AppState::log_head_since`].
    log: EventLog,
    /// When the last read of the primary's head started, and what it found.
    log_head: tokio::sync::Mutex<Option<(Instant, Option<i64>)>>,
    /// `state_hash` is a digest of the whole state: computed at most once per position.
    hash_cache: Mutex<Option<(i64, u64, String)>>,
    /// Rendered feed pages by (path and query, position); see [`AppState::cached_page`].
    pages: Mutex<LruCache<(String, i64), Bytes>>,
}

/// The longest a read of the primary's head may take (see [`AppState::log_head_since`]).
const HEAD_READ_TIMEOUT: Duration = Duration::from_secs(1);

/// How many rendered pages a replica keeps. Pages of older positions are never asked for
/// again once the replica moves on, so a small bound suffices.
const CACHED_PAGES: usize = 256;

impl AppState {
    /// A page rendered earlier for the same path, query and position.
    pub fn cached_page(&self, key: &(String, i64)) -> Option<Bytes> {
        self.pages.lock().expect("not poisoned").get(key).cloned()
    }

    pub fn cache_page(&self, key: (String, i64), body: Bytes) {
        self.pages.lock().expect("not poisoned").insert(key, body);
    }

    /// The primary's head as read at or after `since`, or `None` if it cannot be read.
    ///
    /// Every acknowledged write is at or below the primary's head from then on, so a position
    /// beyond a head read after the position was asked for is one no write has been given:
    /// unlike this replica's own view (which may tail a lagging `READ_DATABASE_URL`), this
    /// tells a typo, or a position from a log since reset, from a write not applied yet.
    /// One read at a time, and its outcome (a failure too) is reused by every request that
    /// arrived before it started: public requests asking for made-up positions cost the
    /// primary about one query per wait, not one each, and while the primary is unreachable
    /// they do not queue up behind one another's timeouts.
    pub async fn log_head_since(&self, since: Instant) -> Option<i64> {
        let mut last = self.log_head.lock().await;
        if let Some((started, head)) = *last {
            if started >= since {
                return head;
            }
        }
        let started = Instant::now();
        // Tighter than the log's own bound on a read (`LogOptions::read_timeout`): the answer
        // is already late by the replica's wait, and every request behind this lock waits too.
        let head = match tokio::time::timeout(HEAD_READ_TIMEOUT, self.log.head()).await {
            Ok(Ok(head)) => Some(head),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "cannot read the log's head");
                None
            }
            Err(_) => {
                tracing::debug!("reading the log's head timed out");
                None
            }
        };
        *last = Some((started, head));
        head
    }

    /// `(position, events applied, state hash)`, consistent with each other.
    pub fn hash(&self) -> (i64, u64, String) {
        let projection = self.replica.projection.read().expect("not poisoned");
        let position = projection.position();
        let mut cache = self.hash_cache.lock().expect("not poisoned");
        match &*cache {
            Some(cached) if cached.0 == position => cached.clone(),
            _ => {
                let fresh = (
                    position,
                    projection.events_applied(),
                    projection.state_hash(),
                );
                *cache = Some(fresh.clone());
                fresh
            }
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
    replica: Arc<Replica>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        lately_service::metrics::handle();
        let options = LogOptions {
            poll_interval: config.poll_interval(),
            // Every read is retried by the follower; a ping before each would add a round trip
            // between a commit and the replica applying it.
            ping_before_use: false,
            ..LogOptions::default()
        };
        let log = EventLog::connect(&config.database_url, options.clone())?;
        let read_log = match &config.read_database_url {
            Some(url) => EventLog::connect(url, options)?,
            None => log.clone(),
        };
        let replica = Arc::new(Replica::new(config.replica_id()));
        tracing::info!(replica_id = %replica.id, backend = log.backend_name(), "replica starting");
        let owner = config.owner_access();
        if matches!(owner, OwnerAccess::Open) {
            tracing::warn!(
                "LATELY_INSECURE_LOCAL: the owner's list (private items) needs no token"
            );
        }
        tokio::spawn(replica::follow(read_log.clone(), replica.clone(), 5000));
        tokio::spawn(replica::watch_head(
            read_log,
            replica.clone(),
            Duration::from_secs(1),
        ));
        tokio::spawn(replica::snapshots(
            log.clone(),
            replica.clone(),
            config.snapshot_every,
            Duration::from_secs(config.snapshot_interval),
        ));

        let state = web::Data::new(AppState {
            replica: replica.clone(),
            public_url: config.public_url.clone(),
            feed_title: config.feed_title.clone(),
            author: config.author.clone(),
            home_page_url: config.home_page_url.clone(),
            zone: config.time_zone,
            goals: config.goals.clone(),
            min_position_wait: Duration::from_millis(config.min_position_wait_ms),
            owner,
            writer_public_url: config.writer_public_url.clone(),
            notifier_public_url: config.notifier_public_url.clone(),
            open_library_url: config.open_library_url.trim_end_matches('/').to_owned(),
            tmdb_url: config.tmdb_url.trim_end_matches('/').to_owned(),
            log,
            log_head: tokio::sync::Mutex::new(None),
            hash_cache: Mutex::new(None),
            pages: Mutex::new(LruCache::new(CACHED_PAGES)),
        });
        let listener = TcpListener::bind(&config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(move || {
            let cors = Cors::default()
                .allow_any_origin()
                .allowed_methods(["GET", "HEAD"])
                .allow_any_header()
                .expose_headers([routes::POSITION_HEADER, "ETag"])
                .max_age(3600);
            App::new()
                .app_data(state.clone())
                .wrap(cors)
                .wrap(from_fn(lately_service::metrics::track))
                .wrap(TracingLogger::<RequestSpan>::new())
                // The live stream as it is written: a compressor would hold an event back until
                // it had bytes enough to write.
                .service(get("/v1/stream", stream::stream))
                .service(
                    // The rest compressed for a client that asks (a browser, a feed reader): the
                    // widget's script, loaded with every view of the blog, is 30 KB as it is and
                    // a third of that compressed. The pages' problems inside, reading the body
                    // as it was written.
                    web::scope("")
                        .wrap(from_fn(crate::page::problems_as_pages))
                        .wrap(actix_web::middleware::Compress::default())
                        .wrap(from_fn(crate::page::vary_with_encoding))
                        .service(get("/healthz", routes::healthz))
                        .service(get("/readyz", routes::readyz))
                        .service(get("/metrics", lately_service::metrics::endpoint))
                        .service(get("/v1/feed", routes::feed))
                        .service(get("/v1/current", routes::current))
                        .service(get("/v1/queue", routes::queue))
                        .service(get("/v1/stats", routes::stats))
                        .service(get("/v1/tags", routes::tags))
                        .service(get("/v1/status", routes::status))
                        .service(get("/v1/items/{id}", routes::item))
                        .service(get("/v1/owner/feed", routes::owner_feed))
                        .service(get("/v1/owner/items", routes::owner_items))
                        .service(get("/v1/owner/stats", routes::owner_stats))
                        .service(get("/v1/owner/tags", routes::owner_tags))
                        .service(get("/v1/owner/items/{id}", routes::owner_item))
                        .service(get("/feed.json", feeds::json_feed))
                        .service(get("/feed.atom", feeds::atom_feed))
                        .service(get("/", home_page::page))
                        .service(get("/owner", owner_page::page))
                        .service(get("/owner.js", owner_page::script))
                        .service(get("/owner-sw.js", owner_page::service_worker))
                        .service(get("/owner.webmanifest", owner_page::manifest))
                        .service(get("/owner-icon.svg", owner_page::icon))
                        .service(get("/owner-icon.png", owner_page::icon_png))
                        .service(get("/widget", widget::page))
                        .service(get("/items/{id}", item_page::page))
                        .service(get("/years/{year}", year_page::page))
                        .service(get("/in-progress", list_page::in_progress))
                        .service(get("/up-next", list_page::up_next))
                        .service(get("/widget.js", widget::script))
                        .service(get("/sitemap.xml", crate::sitemap::sitemap))
                        .service(get("/robots.txt", crate::sitemap::robots))
                        .service(get("/favicon.ico", owner_page::icon_png))
                        .service(get("/openapi.json", routes::openapi))
                        .default_service(web::to(crate::page::no_such_page)),
                )
        })
        // Without it, a live stream's small writes wait for the client's delayed ACK (Nagle):
        // up to 40 ms between a finish being applied and a widget seeing it.
        .tcp_nodelay(true)
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(10);
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            replica,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/Ctrl-C, then stops gracefully (readiness turns 503 first).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let replica = self.replica.clone();
        tokio::spawn(async move {
            lately_service::shutdown::signal().await;
            replica.shutting_down.store(true, Ordering::SeqCst);
            handle.stop(true).await;
        });
        self.server.await?;
        tracing::info!("stopped");
        Ok(())
    }
}
