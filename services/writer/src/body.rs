//! Request bodies: read with a size limit, checked for content type, and parsed straight into
//! domain types, so that a body that parses is a valid command. The JSON path of a bad value
//! goes into the error (`rating: rating must be between 0.5 and 5.0 …`).

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use lately_domain::{
    Creator, ItemChanges, ItemId, MediaKind, Percent, Portion, Rating, Review, Tag, Title, Unit,
    Url, Visibility,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::ApiError;

/// The largest body the writer reads.
pub const MAX_BODY: usize = 64 * 1024;
/// The most creators or tags an item may have.
pub const MAX_LIST: usize = 50;

/// Reads a JSON body into `T`. No body reads as `{}` when `optional` (commands whose fields are
/// all optional, such as `start`).
pub async fn json<T: DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
    optional: bool,
) -> Result<T, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(ApiError::PayloadTooLarge(MAX_BODY));
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
        if bytes.len() + chunk.len() > MAX_BODY {
            return Err(ApiError::PayloadTooLarge(MAX_BODY));
        }
        bytes.extend_from_slice(&chunk);
    }
    // No body at all is `{}`; a body of whitespace is not JSON (nor is it nothing: a client
    // that sent it meant to send something), so it is refused as any malformed body is.
    if bytes.is_empty() && optional {
        return parse(b"{}");
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            match optional {
                true => {
                    "malformed JSON: the body is only whitespace (send no body, or a JSON object)"
                }
                false => "the request needs a JSON body",
            }
            .into(),
        ));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(unreadable)"))
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        let got = if content_type.is_empty() {
            "none"
        } else {
            content_type
        };
        return Err(ApiError::UnsupportedMediaType(format!(
            "the body must be JSON with Content-Type: application/json (got {got})"
        )));
    }
    parse(&bytes)
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = if path == "." || path.is_empty() {
            String::new()
        } else {
            format!("{path}: ")
        };
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::Invalid(format!("{at}{inner}")),
            _ => ApiError::BadRequest(format!("malformed JSON: {inner}")),
        }
    })
}

/// 1900-01-01T00:00:00Z, the earliest `at` taken.
const EARLIEST: i64 = -2_208_988_800;

/// When something happened: given, or now. Backdating is fine (finishing last year's book);
/// more than a day in the future is a mistake, and so is a date before 1900: nobody reading
/// this finished a book then, and a year of `0225` for `2025` is a typo. (Before year 1, a
/// date would also reach the feeds as a negative year, which RFC 3339 cannot write.)
pub fn when(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    when_named("at", at, now)
}

/// [`when`] of the body's field `name`, which the error names.
pub fn when_named(
    name: &str,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ApiError> {
    let earliest = DateTime::<Utc>::from_timestamp(EARLIEST, 0).expect("a valid time");
    match at {
        Some(at) if at > now + chrono::Duration::days(1) => {
            Err(ApiError::Invalid(format!("{name}: {at} is in the future")))
        }
        Some(at) if at < earliest => Err(ApiError::Invalid(format!(
            "{name}: {at} is before 1900; was the year mistyped?"
        ))),
        Some(at) => Ok(at),
        None => Ok(now),
    }
}

fn bounded<T>(what: &str, list: Vec<T>) -> Result<Vec<T>, ApiError> {
    if list.len() > MAX_LIST {
        return Err(ApiError::Invalid(format!(
            "{what}: at most {MAX_LIST} entries (got {})",
            list.len()
        )));
    }
    Ok(list)
}

/// `POST /v1/items`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddItem {
    /// Chosen by the client (a slug or UUID); otherwise derived from the Idempotency-Key, or
    /// made from the title.
    pub id: Option<ItemId>,
    pub kind: MediaKind,
    pub title: Title,
    #[serde(default)]
    pub creators: Vec<Creator>,
    pub url: Option<Url>,
    pub cover_url: Option<Url>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub visibility: Visibility,
    pub at: Option<DateTime<Utc>>,
}

impl AddItem {
    pub fn checked(mut self) -> Result<Self, ApiError> {
        self.creators = bounded("creators", self.creators)?;
        self.tags = bounded("tags", dedup(self.tags))?;
        Ok(self)
    }
}

fn dedup(mut tags: Vec<Tag>) -> Vec<Tag> {
    let mut seen = std::collections::HashSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    tags
}

/// `start`, `abandon`, `restore`, the `DELETE`s (an item, a finish): only the time and the
/// optional expected version.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simple {
    pub at: Option<DateTime<Utc>>,
    pub expected_version: Option<i64>,
}

/// A field that may be left out but is not nullable: absent is `None`, `null` is refused as
/// any value of the wrong type is.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    de: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(de).map(Some)
}

/// `POST /v1/items/{id}/progress`: how far, as `percent` or as `done` of `of` in the item's
/// own units (page 183 of 304), or with `"unit": "seconds"` of its running time (an
/// audiobook's 4,800 s of 15,120), whose percentage the event makes
/// ([`lately_domain::event::ProgressLogged::new`]); or `done` seconds alone, time spent of no
/// known whole (a game's 43,200 s, 12 hours, played), or `done` with a `season`, a show's
/// episode of a season (S2 E5), which have none.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawProgress")]
pub struct Progress {
    /// As given: `None` when a count is (its percentage is made from it).
    pub percent: Option<Percent>,
    pub portion: Option<Portion>,
    pub at: Option<DateTime<Utc>>,
    pub expected_version: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProgress {
    #[serde(default, deserialize_with = "present")]
    percent: Option<Percent>,
    #[serde(default, deserialize_with = "present")]
    done: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    of: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    unit: Option<Unit>,
    #[serde(default, deserialize_with = "present")]
    season: Option<i64>,
    at: Option<DateTime<Utc>>,
    expected_version: Option<i64>,
}

impl TryFrom<RawProgress> for Progress {
    type Error = String;
    fn try_from(raw: RawProgress) -> Result<Self, String> {
        const EXAMPLE: &str = r#"(page 183 of 304 is {"done": 183, "of": 304})"#;
        if raw.percent.is_some() && (raw.done.is_some() || raw.of.is_some()) {
            return Err("give percent, or done and of, not both".into());
        }
        if raw.percent.is_some() && raw.season.is_some() {
            return Err(
                "an episode of a season is no percentage: give done and season (S2 E5 is \
                 {\"season\": 2, \"done\": 5}), or percent"
                    .into(),
            );
        }
        let example = match raw.season {
            Some(_) => r#"(S2 E5 is {"season": 2, "done": 5})"#,
            None => EXAMPLE,
        };
        let portion = Portion::from_parts(raw.done, raw.of, raw.unit, raw.season)
            .map_err(|e| format!("{} {example}", e.0))?;
        if raw.percent.is_none() && portion.is_none() {
            return Err(format!(
                "progress needs percent (0 to 100), or done and of {EXAMPLE}, or done seconds \
                 alone with \"unit\": \"seconds\" for time played of no known whole (12 hours \
                 of a game: {{\"done\": 43200, \"unit\": \"seconds\"}}), or done with season \
                 for a show's episode of a season (S2 E5: {{\"season\": 2, \"done\": 5}})"
            ));
        }
        Ok(Self {
            percent: raw.percent,
            portion,
            at: raw.at,
            expected_version: raw.expected_version,
        })
    }
}

/// `POST /v1/items/{id}/finish`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finish {
    pub at: Option<DateTime<Utc>>,
    pub rating: Option<Rating>,
    pub review: Option<Review>,
    /// `false`: the notifier does not tweet it. Absent: it does.
    pub tweet: Option<bool>,
    /// `true`: it was listened to (an audiobook). Absent: read, unless its progress was
    /// logged in running time.
    pub listened: Option<bool>,
    pub expected_version: Option<i64>,
}

/// `PATCH /v1/items/{id}/finish`: the latest finish's new rating, review or start; `null`
/// clears a rating or review, an absent field stays.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviseFinish {
    #[serde(
        default,
        deserialize_with = "lately_domain::event::nullable::deserialize"
    )]
    pub rating: Option<Option<Rating>>,
    #[serde(
        default,
        deserialize_with = "lately_domain::event::nullable::deserialize"
    )]
    pub review: Option<Option<Review>>,
    /// When the finish's read began: not cleared by `null` (a finish without a start is one
    /// logged without one), so a plain option.
    pub started_at: Option<DateTime<Utc>>,
    /// When the finish happened, if not when it was logged: a plain option too.
    pub finished_at: Option<DateTime<Utc>>,
    /// Whether it was listened to: a plain option too.
    pub listened: Option<bool>,
    pub at: Option<DateTime<Utc>>,
    pub expected_version: Option<i64>,
}

/// `PATCH /v1/items/{id}/start`: when the read in progress began, if not when it was logged.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviseStart {
    pub started_at: DateTime<Utc>,
    pub at: Option<DateTime<Utc>>,
    pub expected_version: Option<i64>,
}

/// `PATCH /v1/items/{id}`: the fields of [`ItemChanges`] plus `at` and `expected_version`.
#[derive(Debug, Deserialize)]
pub struct Edit {
    #[serde(flatten)]
    pub changes: serde_json::Map<String, serde_json::Value>,
    pub at: Option<DateTime<Utc>>,
    pub expected_version: Option<i64>,
}

impl Edit {
    /// Parses the changed fields (unknown ones are refused, as everywhere).
    pub fn changes(self) -> Result<ItemChanges, ApiError> {
        let changes: ItemChanges = parse(&serde_json::to_vec(&self.changes).unwrap_or_default())?;
        if let Some(c) = &changes.creators {
            bounded("creators", c.clone())?;
        }
        let tags = changes
            .tags
            .map(|t| bounded("tags", dedup(t)))
            .transpose()?;
        Ok(ItemChanges { tags, ..changes })
    }
}
