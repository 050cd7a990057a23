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
    /// Created, with the tweet's id, and what X says is left of the account's day of posts.
    Created { id: String, day: Option<DayLeft> },
    /// 429: not posted; try again once the limit resets.
    RateLimited(Limited),
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
    /// 429: try again once the limit resets.
    RateLimited(Limited),
    /// 5xx, unreachable, or no answer: deleting again is harmless; try again later.
    Retry(String),
    /// Any other 4xx: retrying will not help.
    Rejected(String),
    /// 401: the credentials are wrong.
    Unauthorized(String),
}

/// What is left of the account's day of posts, as X says on a post's answer
/// (`x-user-limit-24hour-*`; a tier without a daily limit says nothing).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DayLeft {
    pub remaining: u64,
    pub limit: u64,
    pub resets_at: DateTime<Utc>,
}

impl DayLeft {
    fn of(headers: &hyper::HeaderMap) -> Option<Self> {
        let number = |name: &str| header_number(headers, &format!("x-user-limit-24hour-{name}"));
        Some(Self {
            remaining: u64::try_from(number("remaining")?).ok()?,
            limit: u64::try_from(number("limit")?).ok()?,
            resets_at: DateTime::from_timestamp(number("reset")?, 0)?,
        })
    }
}

/// A 429: when to ask again, and which of X's limits said no.
#[derive(Debug, Clone, PartialEq)]
pub struct Limited {
    pub until: DateTime<Utc>,
    /// In words, for the outbox and the logs: "the account's 24-hour limit (17) is used up",
    /// or what X said when no limit's header says so.
    pub why: String,
}

/// Why looking the account's recent tweets up failed.
#[derive(Debug, Clone, PartialEq)]
pub enum LookupFailed {
    /// 429: ask again at the reset. (The lookups' limits are small: on X's free tier
    /// `users/me` takes 25 requests a day.)
    Limited(Limited),
    /// Another 4xx but 401: X does not let this app read the account's tweets (its free tier
    /// reads no timeline); asking again will not change that.
    Refused(String),
    /// 401: the credentials are wrong, for posting as much as for reading.
    Unauthorized(String),
    /// 5xx, unreachable, no answer: ask again a while later.
    Failed(String),
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
                Some(id) => Posted::Created {
                    id: id.to_owned(),
                    day: DayLeft::of(&answer.headers),
                },
                None => Posted::Unknown(format!("{} without a tweet id", answer.status)),
            },
            429 => Posted::RateLimited(limited(&answer.headers, &answer.body)),
            401 => Posted::Unauthorized(detail),
            403 if detail.to_lowercase().contains("duplicate") => Posted::Duplicate(detail),
            // What an app set up with read-only access gets, the commonest 403 of all: only
            // the owner can fix it, and then retry the tweet.
            403 => Posted::Rejected(format!(
                "X answered 403: {detail} (an app with read-only access gets this: give it \
                 read and write, regenerate the access token and secret, then retry the tweet)"
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
            429 => Deleted::RateLimited(limited(&answer.headers, &answer.body)),
            401 => Deleted::Unauthorized(detail),
            s if s >= 500 => Deleted::Retry(format!("X answered {s}: {detail}")),
            s => Deleted::Rejected(format!("X answered {s}: {detail}")),
        }
    }

    /// Looks for a tweet with exactly this text among the account's recent ones: `Ok(None)`
    /// only when the lookup worked and it is not there.
    pub async fn find_recent(&self, text: &str) -> Result<Option<String>, LookupFailed> {
        let me = self
            .lookup(
                "users/me",
                raw::request_get(&format!("{}/2/users/me", self.base), &self.token, None),
            )
            .await?;
        let id = me["data"]["id"]
            .as_str()
            .ok_or_else(|| LookupFailed::Failed("users/me without an id".into()))?
            .to_owned();
        let params = raw::ParamList::new().add_param("max_results", "100");
        let tweets = self
            .lookup(
                &format!("users/{id}/tweets"),
                raw::request_get(
                    &format!("{}/2/users/{id}/tweets", self.base),
                    &self.token,
                    Some(&params),
                ),
            )
            .await?;
        Ok(tweets["data"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["text"].as_str() == Some(text))
            .and_then(|t| t["id"].as_str().map(str::to_owned)))
    }

    /// A read of the account (`what`, as the outbox names it): its answer's body, or why not.
    async fn lookup(&self, what: &str, request: Request<Body>) -> Result<Value, LookupFailed> {
        let answer = self
            .send(request)
            .await
            .map_err(|e| LookupFailed::Failed(format!("{what}: {}", describe(e))))?;
        let said = |s: u16| format!("{what} answered {s}: {}", problem(&answer.body));
        match answer.status {
            200 => Ok(answer.body),
            429 => {
                let Limited { until, why } = limited(&answer.headers, &answer.body);
                Err(LookupFailed::Limited(Limited {
                    until,
                    why: format!("{what} answered 429: {why}"),
                }))
            }
            401 => Err(LookupFailed::Unauthorized(said(401))),
            s @ 400..=499 => Err(LookupFailed::Refused(said(s))),
            s => Err(LookupFailed::Failed(said(s))),
        }
    }
}

/// X's limits on an endpoint, as its answers' headers name them (`{prefix}-limit`,
/// `-remaining`, `-reset` in epoch seconds), with the words the outbox says them in.
const LIMITS: [(&str, &str); 3] = [
    ("x-user-limit-24hour", "the account's 24-hour limit"),
    ("x-app-limit-24hour", "the app's 24-hour limit"),
    ("x-rate-limit", "the 15-minute limit"),
];

/// What a 429 says: wait for the latest reset among the limits its headers say are used up.
/// The one a personal account meets is the 24-hour limit on posts (17 a day on the free
/// tier), and its 429 carries the 15-minute window's reset too, minutes away: waiting for
/// that one alone would ask again, and be refused again, every 15 minutes for the rest of the
/// day. With no limit said to be used up (a monthly cap, which X names only in its body), the
/// 15-minute window's reset, or 15 minutes; never less than a second, whatever the clocks say.
fn limited(headers: &hyper::HeaderMap, body: &Value) -> Limited {
    let number = |name: String| header_number(headers, &name);
    let reset = |prefix: &str| {
        number(format!("{prefix}-reset")).and_then(|s| DateTime::from_timestamp(s, 0))
    };
    let used_up = LIMITS
        .iter()
        .filter(|(prefix, _)| number(format!("{prefix}-remaining")) == Some(0))
        .filter_map(|(prefix, words)| Some((reset(prefix)?, *prefix, *words)))
        .max_by_key(|(until, ..)| *until);
    let now = Utc::now();
    let (until, why) = match used_up {
        Some((until, prefix, words)) => {
            let of = number(format!("{prefix}-limit"))
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            (until, format!("{words}{of} is used up"))
        }
        None => (
            reset("x-rate-limit").unwrap_or(now + chrono::Duration::minutes(15)),
            format!("X said: {}", problem(body)),
        ),
    };
    Limited {
        until: until.max(now + chrono::Duration::seconds(1)),
        why,
    }
}

/// A header of X's limits: a whole number (a count, or a reset in epoch seconds).
fn header_number(headers: &hyper::HeaderMap, name: &str) -> Option<i64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, i64)]) -> hyper::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (hyper::header::HeaderName::from_static(k), (*v).into()))
            .collect()
    }

    #[test]
    fn a_429_waits_for_the_latest_reset_of_the_limits_used_up() {
        let now = Utc::now().timestamp();
        let day = headers(&[
            ("x-rate-limit-remaining", 99),
            ("x-rate-limit-reset", now + 900),
            ("x-user-limit-24hour-limit", 17),
            ("x-user-limit-24hour-remaining", 0),
            ("x-user-limit-24hour-reset", now + 40_000),
            ("x-app-limit-24hour-remaining", 1_200),
            ("x-app-limit-24hour-reset", now + 50_000),
        ]);
        let l = limited(&day, &Value::Null);
        assert_eq!(l.until.timestamp(), now + 40_000);
        assert_eq!(l.why, "the account's 24-hour limit (17) is used up");

        // Both days used up: the later one.
        let both = headers(&[
            ("x-user-limit-24hour-remaining", 0),
            ("x-user-limit-24hour-reset", now + 40_000),
            ("x-app-limit-24hour-remaining", 0),
            ("x-app-limit-24hour-reset", now + 50_000),
        ]);
        let l = limited(&both, &Value::Null);
        assert_eq!(l.until.timestamp(), now + 50_000);
        assert_eq!(l.why, "the app's 24-hour limit is used up");

        // The window alone.
        let window = headers(&[
            ("x-rate-limit-limit", 100),
            ("x-rate-limit-remaining", 0),
            ("x-rate-limit-reset", now + 600),
        ]);
        let l = limited(&window, &Value::Null);
        assert_eq!(l.until.timestamp(), now + 600);
        assert_eq!(l.why, "the 15-minute limit (100) is used up");
    }

    #[test]
    fn a_posts_answer_says_what_is_left_of_the_day() {
        let now = Utc::now().timestamp();
        let day = headers(&[
            ("x-user-limit-24hour-limit", 17),
            ("x-user-limit-24hour-remaining", 3),
            ("x-user-limit-24hour-reset", now + 600),
            ("x-rate-limit-remaining", 99),
        ]);
        assert_eq!(
            DayLeft::of(&day),
            Some(DayLeft {
                remaining: 3,
                limit: 17,
                resets_at: DateTime::from_timestamp(now + 600, 0).unwrap()
            })
        );
        // A tier without a daily limit says nothing of it.
        assert_eq!(
            DayLeft::of(&headers(&[("x-rate-limit-remaining", 99)])),
            None
        );
    }

    #[test]
    fn a_429_no_limit_explains_waits_for_the_window_and_says_what_x_said() {
        let now = Utc::now().timestamp();
        let body = json!({ "title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap" });
        let l = limited(&headers(&[("x-rate-limit-reset", now + 300)]), &body);
        assert_eq!(l.until.timestamp(), now + 300);
        assert_eq!(l.why, "X said: Usage cap exceeded: Monthly product cap");

        // No header at all: 15 minutes. A reset already past (another clock): a second on.
        let l = limited(&headers(&[]), &body);
        let minutes = (l.until - Utc::now()).num_minutes();
        assert!((14..=15).contains(&minutes), "{minutes}");
        let past = headers(&[
            ("x-rate-limit-remaining", 0),
            ("x-rate-limit-reset", now - 60),
        ]);
        assert!(limited(&past, &body).until > Utc::now());
    }
}
