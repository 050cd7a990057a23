//! Configuration, from the environment (or the equivalent flags; `lately-reader --help`).

use std::time::Duration;

use clap::Parser;
use lately_projection::Zone;
use lately_service::auth::OwnerAccess;

use lately_projection::Goals;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "lately-reader",
    version,
    about = "A lately reader replica: serves the feed from memory"
)]
pub struct Config {
    /// The event log: postgres://… or sqlite:path (the embedded default). Snapshots are saved here.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://lately.sqlite3",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Where to read events from instead, e.g. a PostgreSQL hot standby (polled: a standby
    /// cannot LISTEN).
    #[arg(long, env = "READ_DATABASE_URL", hide_env_values = true)]
    pub read_database_url: Option<String>,

    /// Address and port to listen on.
    #[arg(long, env = "LATELY_READER_ADDR", default_value = "127.0.0.1:8082")]
    pub listen: String,

    /// This replica's name in /v1/status (default: the host name, else a random id).
    #[arg(long, env = "LATELY_REPLICA_ID")]
    pub replica_id: Option<String>,

    /// Save a snapshot after this many new events…
    #[arg(long, env = "LATELY_SNAPSHOT_EVERY", default_value_t = 10_000)]
    pub snapshot_every: u64,

    /// …or after this many seconds, if any event arrived meanwhile (0: never by time).
    #[arg(long, env = "LATELY_SNAPSHOT_INTERVAL", default_value_t = 300)]
    pub snapshot_interval: u64,

    /// How often to poll for new events when no notification arrives (milliseconds).
    #[arg(long, env = "LATELY_POLL_MS", default_value_t = 500)]
    pub poll_ms: u64,

    /// How long a read-your-writes request waits for its position (milliseconds).
    #[arg(long, env = "LATELY_MIN_POSITION_WAIT_MS", default_value_t = 2000)]
    pub min_position_wait_ms: u64,

    /// The public base URL of the feed (for links in JSON Feed and Atom), e.g.
    /// `https://feed.example.com`. Default: taken from each request's Host.
    #[arg(long, env = "LATELY_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The feeds' and the widget's title.
    #[arg(long, env = "LATELY_FEED_TITLE", default_value = "Recently finished")]
    pub feed_title: String,

    /// Whose feed it is (the feeds' author).
    #[arg(long, env = "LATELY_AUTHOR", default_value = "lately")]
    pub author: String,

    /// The owner's home page (their blog), linked from the feeds and the reader's home page
    /// (`/`). Default: the feeds link to the reader's home page.
    #[arg(long, env = "LATELY_HOME_PAGE_URL")]
    pub home_page_url: Option<String>,

    /// The owner's time zone, an IANA name (Europe/Berlin, America/Los_Angeles): the calendar
    /// the feed's `year` filter and the stats count finishes in, so that a book finished on
    /// New Year's Eve is that year's.
    #[arg(long, env = "LATELY_TIME_ZONE", default_value = "UTC", value_parser = Zone::parse)]
    pub time_zone: Zone,

    /// Your goals for the current year, shown on your page (`/`) and the year's: how many of
    /// a kind (`book=24,movie=52`), or of everything (`100`). Default: none.
    #[arg(long, env = "LATELY_GOALS", default_value = "", value_parser = Goals::parse)]
    pub goals: Goals,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "LATELY_WORKERS")]
    pub workers: Option<usize>,

    /// The owner's bearer token (give the readers the writer's): `GET /v1/owner/items`, the
    /// list with private items, answers only to it. Unset: that route is off.
    #[arg(long, env = "LATELY_OWNER_TOKEN", hide_env_values = true)]
    pub owner_token: Option<String>,

    /// The writer's address as your browser reaches it, for your log's page (`/owner`), which
    /// writes there. Default: the page's own host, port 8081 (as compose and `make run` have
    /// it); the page lets you change it on your device.
    #[arg(long, env = "LATELY_WRITER_PUBLIC_URL")]
    pub writer_public_url: Option<String>,

    /// The notifier's address as your browser reaches it, for your log's page (`/owner`),
    /// which shows there how each finish's tweet went (and asks for a retry). Default: the
    /// page's own host, port 8089 (as compose and `make run` have it).
    #[arg(long, env = "LATELY_NOTIFIER_PUBLIC_URL")]
    pub notifier_public_url: Option<String>,

    /// Where your log's page (`/owner`) looks up a book's cover by its title and author when
    /// one is added without a cover, and a book by the ISBN typed as its title (Open Library's
    /// search, asked by your browser). Empty: nothing looked up.
    #[arg(
        long,
        env = "LATELY_OPEN_LIBRARY_URL",
        default_value = "https://openlibrary.org"
    )]
    pub open_library_url: String,

    /// Where your log's page (`/owner`) looks up a film's or a show's poster by its title when
    /// one is added without a cover (TMDB's search, asked by your browser with the TMDB key you
    /// give the page, kept on that device alone). Empty: nothing looked up.
    #[arg(
        long,
        env = "LATELY_TMDB_URL",
        default_value = "https://api.themoviedb.org"
    )]
    pub tmdb_url: String,

    /// Serve the owner's list without a token. Only for a machine nobody else can reach.
    #[arg(long, env = "LATELY_INSECURE_LOCAL", default_value_t = false)]
    pub insecure_local: bool,
}

impl Config {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_ms.max(1))
    }

    /// Who may read the owner's list.
    pub fn owner_access(&self) -> OwnerAccess {
        OwnerAccess::new(self.owner_token.as_deref(), self.insecure_local)
    }

    pub fn replica_id(&self) -> String {
        self.replica_id
            .clone()
            .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| {
                format!("reader-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
            })
    }
}
