//! Talking to the writer and the readers, with retries that are safe because every write has
//! an `Idempotency-Key`, and reads that wait for the user's own last write (see
//! [`LastWrite`]).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::last_write::LastWrite;

/// The header a write's answer carries its log position in, and the one a read asks a
/// replica to wait for a position with.
const POSITION: &str = "Lately-Position";
const MIN_POSITION: &str = "Lately-Min-Position";

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The server understood and refused (problem+json detail included).
    #[error("{status}: {detail}")]
    Rejected { status: u16, detail: String },
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Failed(String),
    /// Whatever read our output has gone (`lately list | head -1`): stop quietly.
    #[error("the output was closed")]
    OutputClosed,
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::OutputClosed => 0,
            Self::Rejected { .. } => 1,
            Self::Usage(_) => 2,
            Self::Unreachable(_) | Self::Failed(_) => 3,
        }
    }
}

pub struct Client {
    writer: String,
    feed: String,
    notifier: String,
    token: Option<String>,
    http: reqwest::Client,
    last_write: LastWrite,
    /// The highest position written by this process (0: none).
    written: AtomicI64,
}

const ATTEMPTS: u32 = 4;

impl Client {
    pub fn new(
        writer: &str,
        feed: &str,
        notifier: &str,
        token: Option<String>,
        last_write: LastWrite,
    ) -> Self {
        Self {
            writer: writer.trim_end_matches('/').to_owned(),
            feed: feed.trim_end_matches('/').to_owned(),
            notifier: notifier.trim_end_matches('/').to_owned(),
            token,
            last_write,
            written: AtomicI64::new(0),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .user_agent(concat!("lately-cli/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("a TLS backend is compiled in"),
        }
    }

    /// The feed's base URL (a reader's, or the load balancer's), without a trailing `/`.
    pub fn feed_url(&self) -> &str {
        &self.feed
    }

    /// Sends a write; retries (with the same key) on connection errors and 503s.
    pub async fn write(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        key: &str,
    ) -> Result<Value, CliError> {
        Ok(self.write_noting_replays(method, path, body, key).await?.0)
    }

    /// [`write`](Self::write), and whether the writer had already done it: an earlier
    /// request with the same key (an import run before) appended it.
    pub async fn write_noting_replays(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        key: &str,
    ) -> Result<(Value, bool), CliError> {
        let method: reqwest::Method = method.parse().expect("a valid method");
        let url = format!("{}{path}", self.writer);
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(250 * 2u64.pow(attempt))).await;
            }
            let mut req = self
                .http
                .request(method.clone(), &url)
                .header("Idempotency-Key", key)
                .json(body);
            if let Some(token) = &self.token {
                req = req.bearer_auth(token);
            }
            match req.send().await {
                Ok(res) if res.status().is_success() => {
                    let position = res
                        .headers()
                        .get(POSITION)
                        .and_then(|v| v.to_str().ok()?.parse::<i64>().ok());
                    if let Some(p) = position {
                        self.written.fetch_max(p, Ordering::Relaxed);
                    }
                    let replayed = res.headers().contains_key("idempotent-replayed");
                    let body = res
                        .json()
                        .await
                        .map_err(|e| CliError::Failed(format!("unreadable answer: {e}")))?;
                    return Ok((body, replayed));
                }
                Ok(res) if res.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE => {
                    last = problem(res).await.to_string();
                }
                Ok(res) => return Err(problem(res).await),
                Err(e) => last = format!("cannot reach the writer at {}: {}", self.writer, why(e)),
            }
        }
        Err(CliError::Unreachable(last))
    }

    /// Keeps the position of this process's last write for the next command's reads.
    pub fn remember_last_write(&self) {
        let written = self.written.load(Ordering::Relaxed);
        if written > 0 {
            self.last_write.save(written);
        }
    }

    /// Reads from the feed, as of the user's last write at least.
    ///
    /// The replica waits (a couple of seconds) for that write. If it is still behind, the
    /// answer comes without it and a note says so — unless the feed's log does not reach that
    /// position at all (it was reset, or the URLs now point at another system): then the
    /// position is forgotten.
    pub async fn read(&self, path: &str) -> Result<Value, CliError> {
        self.read_as(path, false).await
    }

    /// Whether a token was given (`LATELY_TOKEN`): the owner's reads are possible.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// [`read`](Self::read) with the token: the owner's list, which holds private items.
    pub async fn read_as_owner(&self, path: &str) -> Result<Value, CliError> {
        self.read_as(path, true).await
    }

    async fn read_as(&self, path: &str, owner: bool) -> Result<Value, CliError> {
        let wanted = self
            .last_write
            .load()
            .unwrap_or(0)
            .max(self.written.load(Ordering::Relaxed));
        if wanted > 0 {
            let res = self.get(path, Some(wanted), owner).await?;
            match res.status() {
                reqwest::StatusCode::SERVICE_UNAVAILABLE => self.behind(wanted).await,
                reqwest::StatusCode::BAD_REQUEST => {
                    let status = res.status();
                    let body = res.json::<Value>().await.unwrap_or(Value::Null);
                    if body["type"] != UNKNOWN_POSITION {
                        return Err(rejected(status, &body));
                    }
                    // The feed's log does not reach that position at all.
                    self.last_write.forget(wanted);
                }
                _ => return answer(res).await,
            }
        }
        answer(self.get(path, None, owner).await?).await
    }

    /// The replica answering has not applied the user's last write after its wait. Readers
    /// answer a position past the log's head with [`UNKNOWN_POSITION`]; one that could not
    /// ask the log's primary answers 503 for it too, so the head is looked up here as well.
    async fn behind(&self, wanted: i64) {
        let head = match self.get("/v1/status", None, false).await {
            Ok(res) if res.status().is_success() => res
                .json::<Value>()
                .await
                .ok()
                .and_then(|s| s["head"].as_i64()),
            _ => None,
        };
        match head {
            Some(head) if head < wanted => self.last_write.forget(wanted),
            Some(_) => eprintln!(
                "lately: the feed has not caught up with your last write (position \
                 {wanted}) yet; this answer may not show it"
            ),
            // The feed is unwell: the read after this says how.
            None => {}
        }
    }

    /// A GET from the feed; with the token only when `owner` (the public reads need none).
    async fn get(
        &self,
        path: &str,
        min_position: Option<i64>,
        owner: bool,
    ) -> Result<reqwest::Response, CliError> {
        let mut req = self.http.get(format!("{}{path}", self.feed));
        if let Some(p) = min_position {
            req = req.header(MIN_POSITION, p);
        }
        if let (true, Some(token)) = (owner, &self.token) {
            req = req.bearer_auth(token);
        }
        req.send().await.map_err(|e| {
            CliError::Unreachable(format!(
                "cannot reach the feed at {}: {}",
                self.feed,
                why(e)
            ))
        })
    }
}

impl Client {
    /// A GET of one of the notifier's owner routes (the outbox), with the token.
    pub async fn notifier_get(&self, path: &str) -> Result<Value, CliError> {
        self.notifier(self.http.get(format!("{}{path}", self.notifier)))
            .await
    }

    /// A POST to one of the notifier's owner routes, with the token. Not retried: a retry of
    /// a tweet that the first request already queued would be refused as pending.
    pub async fn notifier_post(&self, path: &str) -> Result<Value, CliError> {
        self.notifier(self.http.post(format!("{}{path}", self.notifier)))
            .await
    }

    async fn notifier(&self, mut req: reqwest::RequestBuilder) -> Result<Value, CliError> {
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.map_err(|e| {
            CliError::Unreachable(format!(
                "cannot reach the notifier at {}: {}",
                self.notifier,
                why(e)
            ))
        })?;
        answer(res).await
    }
}

async fn answer(res: reqwest::Response) -> Result<Value, CliError> {
    if !res.status().is_success() {
        return Err(problem(res).await);
    }
    res.json()
        .await
        .map_err(|e| CliError::Failed(format!("unreadable answer: {e}")))
}

/// The writer ends a bad field's detail with where it is in the JSON body (`… at line 1 column
/// 14`): useful to whoever wrote the body, noise to someone who typed `--rating 7` and never
/// saw it.
fn without_json_location(detail: &str) -> &str {
    let Some((head, place)) = detail.rsplit_once(" at line ") else {
        return detail;
    };
    let numbers = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match place.split_once(" column ") {
        Some((line, column)) if numbers(line) && numbers(column) => head,
        _ => detail,
    }
}

async fn problem(res: reqwest::Response) -> CliError {
    let status = res.status();
    let body = res.json::<Value>().await.unwrap_or(Value::Null);
    rejected(status, &body)
}

/// The problem a reader answers for a position past its log's head.
const UNKNOWN_POSITION: &str = "https://lately.dev/problems/unknown-position";

/// A problem answer's error, from its status and (problem+JSON) body.
fn rejected(status: reqwest::StatusCode, body: &Value) -> CliError {
    let detail = body["detail"]
        .as_str()
        .map(|d| without_json_location(d).to_owned())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    if status.is_server_error() {
        CliError::Failed(format!("{}: {detail}", status.as_u16()))
    } else {
        CliError::Rejected {
            status: status.as_u16(),
            detail,
        }
    }
}

/// What went wrong with a request, for a person: reqwest's own message says only "error
/// sending request for url (…)"; the reason ("Connection refused", "failed to lookup address")
/// is at the bottom of its sources. The URL is left out: the message names it already.
fn why(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut reason: &dyn std::error::Error = &e;
    while let Some(source) = reason.source() {
        reason = source;
    }
    if std::ptr::addr_eq(reason, &e) {
        e.to_string()
    } else {
        format!("{e}: {reason}")
    }
}

#[cfg(test)]
mod detail_tests {
    use super::without_json_location;

    #[test]
    fn the_json_location_goes_and_nothing_else() {
        assert_eq!(
            without_json_location(
                "rating: rating must be between 0.5 and 5.0 in steps of 0.5 (got 7) at line 1 column 14"
            ),
            "rating: rating must be between 0.5 and 5.0 in steps of 0.5 (got 7)"
        );
        for kept in [
            "no item with this id",
            "title: the sign at line 5 reads stop",
            "at line 3 column x",
            "see at line  column 4",
        ] {
            assert_eq!(without_json_location(kept), kept);
        }
    }
}
