//! A stand-in for the parts of the X API v2 that `lately` uses, so anyone can watch tweets
//! appear locally and tests can inject the failures the real API produces.
//!
//! * `POST /2/tweets` verifies the OAuth 1.0a HMAC-SHA1 signature against the configured keys
//!   (401 otherwise), enforces 280 weighted characters (URLs count 23, CJK double) and refuses
//!   duplicate content with 403, like the real API.
//! * `DELETE /2/tweets/{id}`, signed: `{"data": {"deleted": true}}`, or a 404 for a tweet
//!   that is not there (any more).
//! * `POST /2/media/upload` (a picture, base64 in JSON, signed: a JPEG, PNG, GIF or WebP of at
//!   most 5 MB, as X takes for `tweet_image`; the latest 200 kept) and `POST /2/media/metadata`
//!   (its alt text); a tweet's `media.media_ids` must name pictures kept, which it then shows.
//! * `GET /2/users/me`, `GET /2/users/{id}/tweets` (newest first), both signed.
//! * `POST /_sandbox/faults` injects 429s (with `x-rate-limit-reset`), 500s, the 403 of an app
//!   without write access (into posts and deletions, the next ones first), the 400 of media
//!   ids X no longer knows (into posts with pictures), and slowness; or sets a day's limit on
//!   posts, as X's free tier has (`daily_posts`: its `x-user-limit-24hour-*` headers, its 429);
//!   and 429s, or the free tier's 403, into reads of the account (`lookup_rate_limit`,
//!   `lookups_refused`);
//!   `GET /_sandbox/tweets` lists what was posted (each picture's bytes at
//!   `/_sandbox/media/{id}`); `/` shows it live.

pub mod oauth;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context;
use base64::Engine;
use chrono::{DateTime, Utc};
use clap::Parser;
use lately_service::problem::get;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "lately-x-sandbox",
    version,
    about = "A local stand-in for the X API v2"
)]
pub struct Config {
    #[arg(long, env = "LATELY_SANDBOX_ADDR", default_value = "127.0.0.1:8090")]
    pub listen: String,
    #[arg(long, env = "X_CONSUMER_KEY", default_value = "sandbox-consumer-key")]
    pub consumer_key: String,
    #[arg(
        long,
        env = "X_CONSUMER_SECRET",
        default_value = "sandbox-consumer-secret",
        hide_env_values = true
    )]
    pub consumer_secret: String,
    #[arg(long, env = "X_ACCESS_TOKEN", default_value = "sandbox-access-token")]
    pub access_token: String,
    #[arg(
        long,
        env = "X_ACCESS_SECRET",
        default_value = "sandbox-access-secret",
        hide_env_values = true
    )]
    pub access_secret: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tweet {
    pub id: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    /// The pictures attached, as uploaded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<Picture>,
}

/// An uploaded picture, as a tweet shows it: where its bytes are, and its alt text.
#[derive(Debug, Clone, Serialize)]
pub struct Picture {
    pub media_key: String,
    /// `/_sandbox/media/{id}`: the bytes as uploaded.
    pub url: String,
    pub content_type: &'static str,
    pub size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
}

/// X's limit for a `tweet_image`.
const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// How many uploaded pictures the sandbox keeps, the oldest let go first (X lets an unused
/// upload expire after a day): a week of `make run` does not grow without end. A tweet whose
/// picture was let go still names it; its bytes are gone.
const KEPT_PICTURES: usize = 200;

/// Failures to inject into the next requests to `POST /2/tweets`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Faults {
    /// Answer this many posts or deletions with 429.
    pub rate_limit: u32,
    /// …whose `x-rate-limit-reset` is this many seconds ahead.
    pub rate_limit_reset_secs: i64,
    /// Answer this many posts or deletions with 500.
    pub server_errors: u32,
    /// Answer this many posts or deletions with the 403 X gives an app whose access is read-only: a
    /// refusal that no retry by itself can change.
    pub forbidden: u32,
    /// Delay every answer by this long.
    pub delay_ms: u64,
    /// Answer this many posts with pictures with the 400 X gives for media ids it no longer
    /// knows (an upload expired, or still processing).
    pub reject_media: u32,
    /// Posts the account may make in a day, as X's free tier allows 17 (0: no limit). Every
    /// answer to a post then says what is left (`x-user-limit-24hour-limit`, `-remaining`,
    /// `-reset`), and a post past it gets X's 429, whose 15-minute window (`x-rate-limit-*`)
    /// has requests left and resets long before the day does.
    pub daily_posts: u32,
    /// …in a "day" of this many seconds (86,400 when 0), from the first post after the
    /// faults were set.
    pub daily_reset_secs: i64,
    /// Answer this many reads of the account (`users/me`, `users/{id}/tweets`, which the
    /// notifier asks after an interrupted post) with 429, `rate_limit_reset_secs` ahead.
    pub lookup_rate_limit: u32,
    /// Answer every read of the account's tweets (`users/{id}/tweets`) with the 403 X's free
    /// tier gives: it reads no timeline.
    pub lookups_refused: bool,
    /// The day's posts so far, and when it resets (epoch seconds): kept here, not set.
    #[serde(skip)]
    daily_used: u32,
    #[serde(skip)]
    daily_resets_at: Option<i64>,
}

/// What a post's answer says of the account's 24-hour limit, when one is set: the limit, what
/// is left, when it resets; and whether this post is past it.
struct Daily {
    limit: u32,
    remaining: u32,
    resets_at: i64,
    over: bool,
    /// The 15-minute window's reset: a quarter of the day, at most 15 minutes.
    window_resets_at: i64,
}

impl Daily {
    /// Counts a post against the day's limit, if there is one.
    fn count(state: &State) -> Option<Self> {
        let mut f = state.faults.lock().expect("not poisoned");
        let limit = f.daily_posts;
        if limit == 0 {
            return None;
        }
        let day = if f.daily_reset_secs > 0 {
            f.daily_reset_secs
        } else {
            86_400
        };
        let now = Utc::now().timestamp();
        let resets_at = match f.daily_resets_at {
            Some(at) if at > now => at,
            _ => {
                f.daily_used = 0;
                now + day
            }
        };
        f.daily_resets_at = Some(resets_at);
        let over = f.daily_used >= limit;
        if !over {
            f.daily_used += 1;
        }
        Some(Self {
            limit,
            remaining: limit - f.daily_used,
            resets_at,
            over,
            window_resets_at: now + (day / 4).clamp(1, 900),
        })
    }

    fn headers(&self, res: &mut actix_web::HttpResponseBuilder) {
        res.insert_header(("x-user-limit-24hour-limit", self.limit.to_string()))
            .insert_header(("x-user-limit-24hour-remaining", self.remaining.to_string()))
            .insert_header(("x-user-limit-24hour-reset", self.resets_at.to_string()))
            .insert_header(("x-rate-limit-limit", "100"))
            .insert_header(("x-rate-limit-remaining", "99"))
            .insert_header(("x-rate-limit-reset", self.window_resets_at.to_string()));
    }
}

struct State {
    config: Config,
    tweets: Mutex<Vec<Tweet>>,
    /// How many tweets were ever posted: ids stay unique when some are deleted.
    posted: std::sync::atomic::AtomicU64,
    faults: Mutex<Faults>,
    /// Uploaded pictures by media id, with their bytes, the latest [`KEPT_PICTURES`].
    media: Mutex<BTreeMap<u64, (Picture, Vec<u8>)>>,
    /// How many pictures were ever uploaded: ids stay unique when old ones are let go.
    uploaded: std::sync::atomic::AtomicU64,
}

pub struct Sandbox {
    port: u16,
    server: Server,
}

const USER_ID: &str = "1700000000000000001";

impl Sandbox {
    pub fn build(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(State {
            config,
            tweets: Mutex::new(Vec::new()),
            posted: std::sync::atomic::AtomicU64::new(0),
            faults: Mutex::new(Faults::default()),
            media: Mutex::new(BTreeMap::new()),
            uploaded: std::sync::atomic::AtomicU64::new(0),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(actix_web::middleware::from_fn(
                    lately_service::metrics::track,
                ))
                .route("/2/tweets", web::post().to(post_tweet))
                .route("/2/tweets/{id}", web::delete().to(delete_tweet))
                .route("/2/media/upload", web::post().to(upload_media))
                .route("/2/media/metadata", web::post().to(media_metadata))
                .route("/_sandbox/media/{id}", web::get().to(media_bytes))
                .route("/2/users/me", web::get().to(me))
                .route("/2/users/{id}/tweets", web::get().to(user_tweets))
                .route("/_sandbox/tweets", web::get().to(list))
                .route("/_sandbox/tweets", web::delete().to(clear))
                .route("/_sandbox/faults", web::post().to(set_faults))
                .service(get("/", page))
                .service(get("/healthz", ok))
                .service(get("/readyz", ok))
                .service(get("/metrics", lately_service::metrics::endpoint))
        })
        .tcp_nodelay(true)
        .listen(listener)?
        .workers(2)
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
        Ok(())
    }
}

/// X-style error bodies.
fn x_error(status: StatusCode, title: &str, detail: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "title": title,
        "detail": detail,
        "type": "about:blank",
        "status": status.as_u16(),
    }))
}

/// The URL the client signed: scheme, host (with port) and path, as it addressed us.
fn signed_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), req.path())
}

/// Checks the OAuth signature; the error is the 401 answer to send.
fn authenticate(req: &HttpRequest, state: &State) -> Result<(), Box<HttpResponse>> {
    let header = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let query: Vec<(String, String)> = serde_urlencoded_pairs(req.query_string());
    let keys = oauth::Keys {
        consumer_key: &state.config.consumer_key,
        consumer_secret: &state.config.consumer_secret,
        token: &state.config.access_token,
        token_secret: &state.config.access_secret,
    };
    oauth::verify(
        req.method().as_str(),
        &signed_url(req),
        &query,
        header,
        &keys,
        Utc::now(),
    )
    .map_err(|why| {
        tracing::warn!(%why, "refused a request");
        Box::new(x_error(StatusCode::UNAUTHORIZED, "Unauthorized", &why))
    })
}

fn serde_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

#[derive(Deserialize)]
struct NewTweet {
    text: String,
    #[serde(default)]
    media: Option<NewTweetMedia>,
}

#[derive(Deserialize)]
struct NewTweetMedia {
    media_ids: Vec<String>,
}

/// Takes one injected fault, if any is left, for a post or a deletion (X limits and fails
/// both), and answers as X would: after the injected delay, and only to a request signed
/// right. `None`: no fault, the request goes on.
async fn injected(req: &HttpRequest, state: &State) -> Option<HttpResponse> {
    let faults = {
        let mut f = state.faults.lock().expect("not poisoned");
        let snapshot = f.clone();
        if f.rate_limit > 0 {
            f.rate_limit -= 1;
        } else if f.server_errors > 0 {
            f.server_errors -= 1;
        } else if f.forbidden > 0 {
            f.forbidden -= 1;
        }
        snapshot
    };
    if faults.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.delay_ms)).await;
    }
    if let Err(res) = authenticate(req, state) {
        return Some(*res);
    }
    if faults.rate_limit > 0 {
        return Some(window_used_up(100, faults.rate_limit_reset_secs));
    }
    if faults.server_errors > 0 {
        return Some(x_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            "injected failure",
        ));
    }
    if faults.forbidden > 0 {
        return Some(x_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "You are not permitted to perform this action.",
        ));
    }
    None
}

async fn post_tweet(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    if let Some(res) = injected(&req, &state).await {
        return res;
    }
    let daily = Daily::count(&state);
    if let Some(d) = daily.as_ref().filter(|d| d.over) {
        let mut res = HttpResponse::TooManyRequests();
        d.headers(&mut res);
        return too_many_requests(&mut res);
    }
    let tweet: NewTweet = match serde_json::from_slice(&body) {
        Ok(t) => t,
        Err(e) => {
            return x_error(
                StatusCode::BAD_REQUEST,
                "Invalid Request",
                &format!("body: {e}"),
            )
        }
    };
    let weighted = egg_mode_text::character_count(&tweet.text, 23, 23);
    if weighted > 280 || tweet.text.trim().is_empty() {
        return x_error(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            &format!("text must be 1 to 280 weighted characters (got {weighted})"),
        );
    }
    let ids = tweet.media.map(|m| m.media_ids).unwrap_or_default();
    if !ids.is_empty() {
        let mut faults = state.faults.lock().expect("not poisoned");
        if faults.reject_media > 0 {
            faults.reject_media -= 1;
            return x_error(
                StatusCode::BAD_REQUEST,
                "Invalid Request",
                "Your media IDs are invalid.",
            );
        }
    }
    if ids.len() > 4 {
        return x_error(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            "a tweet holds at most 4 pictures",
        );
    }
    let media = {
        let uploaded = state.media.lock().expect("not poisoned");
        match ids
            .iter()
            .map(|id| {
                id.parse::<u64>()
                    .ok()
                    .and_then(|n| uploaded.get(&n))
                    .map(|(p, _)| p.clone())
                    .ok_or(id)
            })
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(media) => media,
            Err(id) => {
                return x_error(
                    StatusCode::BAD_REQUEST,
                    "Invalid Request",
                    &format!(
                        "Your media IDs are invalid: {id} is not uploaded (or no longer kept)"
                    ),
                )
            }
        }
    };
    let mut tweets = state.tweets.lock().expect("not poisoned");
    if tweets.iter().any(|t| t.text == tweet.text) {
        return x_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "You are not allowed to create a Tweet with duplicate content.",
        );
    }
    let n = state
        .posted
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let id = (1_800_000_000_000_000_000u64 + n + 1).to_string();
    let created = Tweet {
        id: id.clone(),
        text: tweet.text.clone(),
        created_at: Utc::now(),
        media,
    };
    tracing::info!(id = %id, text = %tweet.text, pictures = created.media.len(), "tweet posted");
    tweets.push(created);
    let mut res = HttpResponse::Created();
    if let Some(d) = &daily {
        d.headers(&mut res);
    }
    res.json(json!({ "data": { "id": id, "text": tweet.text } }))
}

async fn delete_tweet(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<State>,
) -> HttpResponse {
    if let Some(res) = injected(&req, &state).await {
        return res;
    }
    let mut tweets = state.tweets.lock().expect("not poisoned");
    let Some(at) = tweets.iter().position(|t| t.id == *path) else {
        return x_error(
            StatusCode::NOT_FOUND,
            "Not Found Error",
            &format!("Could not find tweet with id: [{path}]."),
        );
    };
    let gone = tweets.remove(at);
    tracing::info!(id = %gone.id, text = %gone.text, "tweet deleted");
    HttpResponse::Ok().json(json!({ "data": { "deleted": true } }))
}

#[derive(Deserialize)]
struct Upload {
    /// The file, base64-encoded.
    media: String,
    media_category: String,
}

/// The picture formats X takes for a tweet, by their first bytes (not by what the client
/// says they are).
fn picture_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

/// `POST /2/media/upload`: one picture for a tweet, whole, base64 in a JSON body.
async fn upload_media(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    if let Err(res) = authenticate(&req, &state) {
        return *res;
    }
    let upload: Upload = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            return x_error(
                StatusCode::BAD_REQUEST,
                "Invalid Request",
                &format!("body: {e}"),
            )
        }
    };
    if upload.media_category != "tweet_image" {
        return x_error(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            &format!(
                "media_category {:?}: this sandbox takes tweet_image",
                upload.media_category
            ),
        );
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(upload.media.as_bytes())
    else {
        return x_error(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            "media is not base64",
        );
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return x_error(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            &format!("media is {} bytes, over 5 MB", bytes.len()),
        );
    }
    let Some(content_type) = picture_type(&bytes) else {
        return x_error(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            "media is not a JPEG, PNG, GIF or WebP picture",
        );
    };
    let mut media = state.media.lock().expect("not poisoned");
    let n = 1_900_000_000_000_000_000u64
        + state
            .uploaded
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + 1;
    let id = n.to_string();
    let picture = Picture {
        media_key: format!("3_{id}"),
        url: format!("/_sandbox/media/{id}"),
        content_type,
        size: bytes.len(),
        alt_text: None,
    };
    tracing::info!(%id, content_type, size = bytes.len(), "picture uploaded");
    media.insert(n, (picture.clone(), bytes));
    while media.len() > KEPT_PICTURES {
        media.pop_first();
    }
    HttpResponse::Ok().json(json!({ "data": {
        "id": id,
        "media_key": picture.media_key,
        "size": picture.size,
        "expires_after_secs": 86400,
        "image": { "image_type": content_type },
    } }))
}

#[derive(Deserialize)]
struct Metadata {
    id: String,
    metadata: MetadataFields,
}

#[derive(Deserialize)]
struct MetadataFields {
    alt_text: AltText,
}

#[derive(Deserialize)]
struct AltText {
    text: String,
}

/// `POST /2/media/metadata`: a picture's alt text (at most 1,000 characters), before the
/// tweet that shows it.
async fn media_metadata(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<State>,
) -> HttpResponse {
    if let Err(res) = authenticate(&req, &state) {
        return *res;
    }
    let meta: Metadata = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => {
            return x_error(
                StatusCode::BAD_REQUEST,
                "Invalid Request",
                &format!("body: {e}"),
            )
        }
    };
    if meta.metadata.alt_text.text.chars().count() > 1000 {
        return x_error(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            "alt_text.text is over 1,000 characters",
        );
    }
    let mut media = state.media.lock().expect("not poisoned");
    let Some((picture, _)) = meta.id.parse::<u64>().ok().and_then(|n| media.get_mut(&n)) else {
        return x_error(
            StatusCode::NOT_FOUND,
            "Not Found Error",
            &format!("Could not find media with id: [{}].", meta.id),
        );
    };
    picture.alt_text = Some(meta.metadata.alt_text.text);
    HttpResponse::Ok().json(json!({ "data": { "id": meta.id, "associated_metadata": true } }))
}

/// `GET /_sandbox/media/{id}`: an uploaded picture's bytes, for the page.
async fn media_bytes(path: web::Path<String>, state: web::Data<State>) -> HttpResponse {
    let media = state.media.lock().expect("not poisoned");
    match path.parse::<u64>().ok().and_then(|n| media.get(&n)) {
        Some((picture, bytes)) => HttpResponse::Ok()
            .content_type(picture.content_type)
            .body(bytes.clone()),
        None => x_error(StatusCode::NOT_FOUND, "Not Found Error", "no such media"),
    }
}

/// X's 429, with the headers `res` was given of the limit that said no.
fn too_many_requests(res: &mut actix_web::HttpResponseBuilder) -> HttpResponse {
    res.json(json!({ "title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429 }))
}

/// The 429 of a 15-minute window of `limit` requests used up, resetting `secs` ahead.
fn window_used_up(limit: u32, secs: i64) -> HttpResponse {
    let reset = Utc::now().timestamp() + secs.max(1);
    too_many_requests(
        HttpResponse::TooManyRequests()
            .insert_header(("x-rate-limit-limit", limit.to_string()))
            .insert_header(("x-rate-limit-remaining", "0"))
            .insert_header(("x-rate-limit-reset", reset.to_string())),
    )
}

/// A read of the account, refused as injected: rate limited, or (its tweets, `timeline`)
/// not readable on this tier.
fn lookup_fault(state: &State, timeline: bool) -> Option<HttpResponse> {
    let mut f = state.faults.lock().expect("not poisoned");
    if f.lookup_rate_limit > 0 {
        f.lookup_rate_limit -= 1;
        return Some(window_used_up(25, f.rate_limit_reset_secs));
    }
    (timeline && f.lookups_refused).then(|| {
        x_error(
            StatusCode::FORBIDDEN,
            "Client Forbidden",
            "When authenticating requests to the Twitter API v2 endpoints, you must use keys \
             and tokens from a Twitter developer App that is attached to a Project with the \
             access level this endpoint needs.",
        )
    })
}

async fn me(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Err(res) = authenticate(&req, &state) {
        return *res;
    }
    if let Some(res) = lookup_fault(&state, false) {
        return res;
    }
    HttpResponse::Ok().json(json!({ "data": { "id": USER_ID, "name": "lately sandbox", "username": "lately_sandbox" } }))
}

async fn user_tweets(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<State>,
) -> HttpResponse {
    if let Err(res) = authenticate(&req, &state) {
        return *res;
    }
    if let Some(res) = lookup_fault(&state, true) {
        return res;
    }
    if path.as_str() != USER_ID {
        return x_error(StatusCode::NOT_FOUND, "Not Found Error", "no such user");
    }
    let max = serde_urlencoded_pairs(req.query_string())
        .into_iter()
        .find(|(k, _)| k == "max_results")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(5, 100);
    let tweets = state.tweets.lock().expect("not poisoned");
    let data: Vec<_> = tweets.iter().rev().take(max).collect();
    HttpResponse::Ok().json(json!({ "data": data, "meta": { "result_count": data.len() } }))
}

async fn list(state: web::Data<State>) -> HttpResponse {
    let tweets = state.tweets.lock().expect("not poisoned");
    let newest_first: Vec<_> = tweets.iter().rev().collect();
    HttpResponse::Ok().json(json!({ "data": newest_first }))
}

async fn clear(state: web::Data<State>) -> HttpResponse {
    state.tweets.lock().expect("not poisoned").clear();
    state.media.lock().expect("not poisoned").clear();
    HttpResponse::NoContent().finish()
}

async fn set_faults(faults: web::Json<Faults>, state: web::Data<State>) -> HttpResponse {
    *state.faults.lock().expect("not poisoned") = faults.into_inner();
    HttpResponse::NoContent().finish()
}

async fn ok() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(include_str!("page.html"))
}
