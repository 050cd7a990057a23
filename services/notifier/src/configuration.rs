//! Configuration, from the environment (or the equivalent flags; `lately-notifier --help`).
//! Credentials can come from files (`X_CONSUMER_KEY_FILE`, …) for Docker secrets; they are
//! never printed, not even by `Debug`.

use std::time::Duration;

use clap::Parser;
use lately_domain::MediaKind;
use lately_projection::{Goals, Zone};

/// The kinds whose finishes are tweeted: `book,movie`, or every kind (nothing given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kinds(Vec<MediaKind>);

impl Kinds {
    /// `book, movie`; the error names a kind that is none.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut kinds = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let kind = MediaKind::parse(part).map_err(|e| {
                format!("{part:?}: {e} (LATELY_TWEET_KINDS looks like book,movie,tv)")
            })?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        Ok(Self(kinds))
    }

    /// Whether finishes of `kind` are tweeted.
    pub fn tweets(&self, kind: MediaKind) -> bool {
        self.0.is_empty() || self.0.contains(&kind)
    }
}

#[derive(Debug, Clone, Parser)]
#[command(
    name = "lately-notifier",
    version,
    about = "The lately notifier: tweets each finish exactly once"
)]
pub struct Config {
    /// The event log (postgres://… or sqlite:path), which also holds the outbox.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://lately.sqlite3",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Address and port of the status/health/metrics endpoint.
    #[arg(long, env = "LATELY_NOTIFIER_ADDR", default_value = "127.0.0.1:8089")]
    pub listen: String,

    /// The X API to post to (the sandbox, or the real one).
    #[arg(long, env = "X_API_BASE", default_value = "https://api.x.com")]
    pub x_api_base: String,

    /// Tweet text; see the README for the placeholders.
    #[arg(
        long,
        env = "LATELY_TWEET_TEMPLATE",
        default_value = crate::compose::DEFAULT_TEMPLATE,
        value_parser = crate::compose::template
    )]
    pub template: String,

    /// Grace period after a finish before it is tweeted (edits, removals and privacy changes
    /// within it are honoured), e.g. `30s`, `0`.
    #[arg(long, env = "LATELY_TWEET_DELAY", default_value = "30s", value_parser = parse_duration)]
    pub delay: Duration,

    /// Finishes that happened longer ago than this are not tweeted (imports, backfills).
    #[arg(long, env = "LATELY_TWEET_MAX_AGE", default_value = "7d", value_parser = parse_duration)]
    pub max_age: Duration,

    /// The owner's time zone, an IANA name (as the readers' `LATELY_TIME_ZONE`): the calendar
    /// of the days the outbox's reasons name ("finished 2026-11-04, longer ago than …").
    #[arg(long, env = "LATELY_TIME_ZONE", default_value = "UTC", value_parser = Zone::parse)]
    pub time_zone: Zone,

    /// Which kinds of finishes are tweeted (`book,movie,tv`): someone who logs every article
    /// read may not want each tweeted. Empty: every kind. A finish of another kind is settled
    /// `skipped` when scanned; the owner's retry can still post it.
    #[arg(long, env = "LATELY_TWEET_KINDS", default_value = "", value_parser = Kinds::parse)]
    pub tweet_kinds: Kinds,

    /// Whether a tweet shows its item's cover (fetched from its `cover_url` when the tweet is
    /// due, then uploaded to X). A cover that cannot be had leaves the tweet without it, the
    /// outbox saying why; `false` never fetches one.
    #[arg(long, env = "LATELY_TWEET_COVERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub tweet_covers: bool,

    /// The owner's goals for the year, as the readers' `LATELY_GOALS` (`book=24,movie=52`,
    /// `100` for everything): what a template's `{goal}` counts against.
    #[arg(long, env = "LATELY_GOALS", default_value = "", value_parser = Goals::parse)]
    pub goals: Goals,

    /// The feed's public base URL, as the readers' `LATELY_PUBLIC_URL`: a tweet of an item
    /// without a link of its own links to the finish on the item's page there
    /// (`{url}`). Unset: such a tweet has no link.
    #[arg(long, env = "LATELY_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<String>,

    /// Where a first start (no checkpoint yet) begins: `head` (history is not tweeted) or
    /// `beginning`.
    #[arg(long, env = "LATELY_NOTIFIER_START", default_value = "head")]
    pub start: Start,

    /// How long a post may take; an entry left `posting` longer is reconciled.
    #[arg(long, env = "LATELY_POSTING_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub posting_timeout: Duration,

    /// Record what would be posted instead of posting (also the default without credentials).
    #[arg(long, env = "LATELY_DRY_RUN", default_value_t = false)]
    pub dry_run: bool,

    /// How often to look for new events and due entries (milliseconds).
    #[arg(long, env = "LATELY_POLL_MS", default_value_t = 250)]
    pub poll_ms: u64,

    /// The owner's bearer token (give the notifier the writer's): the outbox,
    /// `GET /v1/outbox`, and retrying a tweet, `POST /v1/outbox/{position}/retry`, answer only
    /// to it. Unset: both are off.
    #[arg(long, env = "LATELY_OWNER_TOKEN", hide_env_values = true)]
    pub owner_token: Option<String>,

    /// Let anyone who reaches the notifier read the outbox and retry a tweet. Only for a
    /// machine nobody else can reach.
    #[arg(long, env = "LATELY_INSECURE_LOCAL", default_value_t = false)]
    pub insecure_local: bool,

    /// Fault injection for tests: abort the process right after a post succeeds, before it is
    /// recorded (the crash that exactly-once must survive).
    #[arg(
        long,
        env = "LATELY_NOTIFIER_CRASH_AFTER_POST",
        default_value_t = false,
        hide = true
    )]
    pub crash_after_post: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Start {
    Head,
    Beginning,
}

/// An http(s) base URL, without its trailing slash.
fn public_url(raw: &str) -> Result<String, String> {
    let url = lately_domain::Url::parse(raw.trim()).map_err(|e| e.to_string())?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// `30s`, `15m`, `2h`, `7d`, or plain seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (number, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration like 30s, 15m, 2h or 7d"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => return Ok(Duration::from_millis(n)),
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(format!(
                "{raw:?}: unknown unit {unit:?} (use ms, s, m, h or d)"
            ))
        }
    };
    Ok(Duration::from_secs(secs))
}

/// A secret value: usable, never printed.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub consumer_key: Secret,
    pub consumer_secret: Secret,
    pub access_token: Secret,
    pub access_secret: Secret,
}

fn from_env_or_file(name: &str) -> anyhow::Result<Option<Secret>> {
    Ok(lately_service::secrets::from_env_or_file(name)?.map(Secret))
}

/// The four X credentials: all or none (none means dry-run).
pub fn credentials() -> anyhow::Result<Option<Credentials>> {
    let names = [
        "X_CONSUMER_KEY",
        "X_CONSUMER_SECRET",
        "X_ACCESS_TOKEN",
        "X_ACCESS_SECRET",
    ];
    let mut values = Vec::new();
    for n in names {
        values.push(from_env_or_file(n)?);
    }
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let missing: Vec<&str> = names
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "X credentials are incomplete: {} missing (set all four, or none for dry-run)",
            missing.join(", ")
        );
    }
    let mut it = values.into_iter().flatten();
    Ok(Some(Credentials {
        consumer_key: it.next().expect("checked"),
        consumer_secret: it.next().expect("checked"),
        access_token: it.next().expect("checked"),
        access_secret: it.next().expect("checked"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kinds_tweeted_are_listed_or_all() {
        let every = Kinds::parse(" ").unwrap();
        assert!(MediaKind::ALL.iter().all(|k| every.tweets(*k)));
        let some = Kinds::parse("book, movie,book").unwrap();
        assert_eq!(some, Kinds(vec![MediaKind::Book, MediaKind::Movie]));
        assert!(some.tweets(MediaKind::Movie) && !some.tweets(MediaKind::Article));
        let e = Kinds::parse("book,novel").unwrap_err();
        assert!(
            e.starts_with("\"novel\": ") && e.contains("book,movie,tv"),
            "{e}"
        );
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("soon").is_err() && parse_duration("3w").is_err());
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret("hunter2".into())), "Secret(***)");
    }
}
