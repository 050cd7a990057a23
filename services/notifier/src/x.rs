//! The X API v2, through egg-mode.
//!
//! egg-mode only understands API v1.1, whose posting no longer works, so it is used for what
//! it still does well: OAuth 1.0a user-context signing and the HTTPS transport
//! (`raw::request_post_json` / `raw::request_get` / `raw::request_delete`, then
//! `raw::response_future`); pictures go through v2's `POST /2/media/upload` as base64 in
//! JSON, which needs no multipart signing. Status codes,
//! rate-limit headers and v2 problem bodies are read here.

use std::time::Duration;

use chrono::{DateTime, Utc};
use egg_mode::raw;
use hyper::{Body, Request};
use serde_json::{json, Value};

use crate::configuration::Credentials;
use crate::cover::Picture;

/// What became of a post.
#[derive(Debug, Clone, PartialEq)]
pub enum Posted {
    /// Created, with the tweet's id.
    Created(String),
    /// 429: not posted; try again after the reset time.
    RateLimited(DateTime<Utc>),
    /// 5xx, or the request never left (connection refused): not posted; back off and retry.
    Retry(String),
    /// 403 duplicate content.
    Duplicate(String),
    /// Any other 4xx: not posted, and retrying will not help.
    Rejected(String),
    /// 401: the credentials are wrong; stop posting.
    Unauthorized(String),
    /// No answer (timeout, connection lost mid-request): it may or may not be posted.
    Unknown(String),
}

/// What became of a deletion.
#[derive(Debug, Clone, PartialEq)]
pub enum Deleted {
    /// Deleted now, or not there any more (404): either way, gone.
    Gone,
    /// 429: try again after the reset time.
    RateLimited(DateTime<Utc>),
    /// 5xx, unreachable, or no answer: deleting again is harmless; try again later.
    Retry(String),
    /// Any other 4xx: retrying will not help.
    Rejected(String),
    /// 401: the credentials are wrong.
    Unauthorized(String),
}

pub struct XClient {
    base: String,
    token: egg_mode::Token,
    timeout: Duration,
}

struct Answer {
    status: u16,
    headers: hyper::HeaderMap,
    body: Value,
}

enum SendError {
    /// The request was not sent (nothing could have been posted).
    NotSent(String),
    /// Sent, but no (complete) answer.
    NoAnswer(String),
}

impl XClient {
    pub fn new(base: &str, creds: &Credentials, timeout: Duration) -> Self {
        let token = egg_mode::Token::Access {
            consumer: egg_mode::KeyPair::new(
                creds.consumer_key.0.clone(),
                creds.consumer_secret.0.clone(),
            ),
            access: egg_mode::KeyPair::new(
                creds.access_token.0.clone(),
                creds.access_secret.0.clone(),
            ),
        };
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token,
            timeout,
        }
    }

    async fn send(&self, request: Request<Body>) -> Result<Answer, SendError> {
        let response = match tokio::time::timeout(self.timeout, raw::response_future(request)).await
        {
            Err(_) => {
                return Err(SendError::NoAnswer(format!(
                    "no answer within {:?}",
                    self.timeout
                )))
            }
            Ok(Err(e)) if e.is_connect() => return Err(SendError::NotSent(e.to_string())),
            Ok(Err(e)) => return Err(SendError::NoAnswer(e.to_string())),
            Ok(Ok(r)) => r,
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = tokio::time::timeout(self.timeout, hyper::body::to_bytes(response.into_body()))
            .await
            .map_err(|_| SendError::NoAnswer("body timed out".into()))?
            .map_err(|e| SendError::NoAnswer(e.to_string()))?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// `POST /2/media/upload`, then its alt text (`POST /2/media/metadata`): the media id
    /// to attach, or why there is none (said in the outbox; the tweet goes without). Alt
    /// text refused, the picture is attached without it.
    pub async fn upload(&self, picture: &Picture, alt_text: &str) -> Result<String, String> {
        use base64::Engine;
        let request = raw::request_post_json(
            &format!("{}/2/media/upload", self.base),
            &self.token,
            json!({
                "media": base64::engine::general_purpose::STANDARD.encode(&picture.bytes),
                "media_category": "tweet_image",
                "media_type": picture.content_type,
            }),
        );
        let answer = self
            .send(request)
            .await
            .map_err(|e| format!("the cover's upload failed: {}", describe(e)))?;
        let id = match (answer.status, answer.body["data"]["id"].as_str()) {
            (200 | 201, Some(id)) => id.to_owned(),
            (s, _) => {
                return Err(format!(
                    "X answered {s} to the cover's upload: {}",
                    problem(&answer.body)
                ))
            }
        };
        let request = raw::request_post_json(
            &format!("{}/2/media/metadata", self.base),
            &self.token,
            json!({ "id": id, "metadata": { "alt_text": { "text": alt_text } } }),
        );
        match self.send(request).await {
            Ok(a) if (200..300).contains(&a.status) => {}
            Ok(a) => {
                tracing::warn!(status = a.status, detail = %problem(&a.body), "the cover's alt text was refused")
            }
            Err(e) => tracing::warn!(why = %describe(e), "the cover's alt text was not set"),
        }
        Ok(id)
    }

    /// `POST /2/tweets`, with the picture uploaded as `media_id` if there is one.
    pub async fn post(&self, text: &str, media_id: Option<&str>) -> Posted {
        let mut body = json!({ "text": text });
        if let Some(id) = media_id {
            body["media"] = json!({ "media_ids": [id] });
        }
        let request = raw::request_post_json(&format!("{}/2/tweets", self.base), &self.token, body);
        let answer = match self.send(request).await {
            Ok(a) => a,
            Err(SendError::NotSent(e)) => return Posted::Retry(format!("X unreachable: {e}")),
            Err(SendError::NoAnswer(e)) => return Posted::Unknown(e),
        };
        let detail = problem(&answer.body);
        match answer.status {
            200 | 201 => match answer.body["data"]["id"].as_str() {
                Some(id) => Posted::Created(id.to_owned()),
                None => Posted::Unknown(format!("{} without a tweet id", answer.status)),
            },
            429 => Posted::RateLimited(reset(&answer.headers)),
            401 => Posted::Unauthorized(detail),
            403 if detail.to_lowercase().contains("duplicate") => Posted::Duplicate(detail),
            // What an app set up with read-only access gets, the commonest 403 of all: only
            // the owner can fix it, and then retry the tweet.
            403 => Posted::Rejected(format!(
                "X answered 403: {detail} (an app with read-only access gets this: give it \
                 read and write, regenerate the access token and secret, then retry the tweet: \
                 `lately retry-tweet POSITION`)"
            )),
            s if s >= 500 => Posted::Retry(format!("X answered {s}: {detail}")),
            s => Posted::Rejected(format!("X answered {s}: {detail}")),
        }
    }

    /// `DELETE /2/tweets/{id}`: a tweet of a finish taken back, or of an item removed or made
    /// private. Idempotent on X's side, so a deletion whose answer was lost is simply sent
    /// again.
    pub async fn delete(&self, tweet_id: &str) -> Deleted {
        let request = raw::request_delete(
            &format!("{}/2/tweets/{tweet_id}", self.base),
            &self.token,
            None,
        );
        let answer = match self.send(request).await {
            Ok(a) => a,
            Err(SendError::NotSent(e)) => return Deleted::Retry(format!("X unreachable: {e}")),
            Err(SendError::NoAnswer(e)) => return Deleted::Retry(e),
        };
        let detail = problem(&answer.body);
        match answer.status {
            200 if answer.body["data"]["deleted"] == json!(true) => Deleted::Gone,
            200 => Deleted::Retry(format!("X answered 200 without deleting: {}", answer.body)),
            404 => Deleted::Gone,
            429 => Deleted::RateLimited(reset(&answer.headers)),
            401 => Deleted::Unauthorized(detail),
            s if s >= 500 => Deleted::Retry(format!("X answered {s}: {detail}")),
            s => Deleted::Rejected(format!("X answered {s}: {detail}")),
        }
    }

    /// Looks for a tweet with exactly this text among the account's recent ones: `Ok(None)`
    /// only when the lookup worked and it is not there.
    pub async fn find_recent(&self, text: &str) -> Result<Option<String>, String> {
        let me = self
            .send(raw::request_get(
                &format!("{}/2/users/me", self.base),
                &self.token,
                None,
            ))
            .await
            .map_err(describe)?;
        if me.status != 200 {
            return Err(format!(
                "users/me answered {}: {}",
                me.status,
                problem(&me.body)
            ));
        }
        let id = me.body["data"]["id"]
            .as_str()
            .ok_or("users/me without an id")?
            .to_owned();
        let params = raw::ParamList::new().add_param("max_results", "100");
        let tweets = self
            .send(raw::request_get(
                &format!("{}/2/users/{id}/tweets", self.base),
                &self.token,
                Some(&params),
            ))
            .await
            .map_err(describe)?;
        if tweets.status != 200 {
            return Err(format!(
                "users/{id}/tweets answered {}: {}",
                tweets.status,
                problem(&tweets.body)
            ));
        }
        Ok(tweets.body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["text"].as_str() == Some(text))
            .and_then(|t| t["id"].as_str().map(str::to_owned)))
    }
}

/// When a 429's limit resets (`x-rate-limit-reset`, in epoch seconds); in 15 minutes, X's
/// window, if it does not say.
fn reset(headers: &hyper::HeaderMap) -> DateTime<Utc> {
    headers
        .get("x-rate-limit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or_else(|| Utc::now() + chrono::Duration::minutes(15))
}

fn describe(e: SendError) -> String {
    match e {
        SendError::NotSent(e) | SendError::NoAnswer(e) => e,
    }
}

/// The most useful words of a v2 problem body (or a v1.1-style `errors` list).
fn problem(body: &Value) -> String {
    body["detail"]
        .as_str()
        .or_else(|| body["title"].as_str())
        .or_else(|| body["errors"][0]["message"].as_str())
        .unwrap_or("no detail")
        .to_owned()
}
