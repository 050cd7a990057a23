//! Configuration, from the environment (or the equivalent flags; `lately-writer --help`).

use std::time::Duration;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "lately-writer",
    version,
    about = "The lately writer: the command API that appends to the event log"
)]
pub struct Config {
    /// The event log: postgres://… or sqlite:path (the embedded default).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://lately.sqlite3",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Address and port to listen on.
    #[arg(long, env = "LATELY_WRITER_ADDR", default_value = "127.0.0.1:8081")]
    pub listen: String,

    /// Bearer token every write must present.
    #[arg(long, env = "LATELY_WRITER_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Accept writes without a token. Only for a machine nobody else can reach.
    #[arg(long, env = "LATELY_INSECURE_LOCAL", default_value_t = false)]
    pub insecure_local: bool,

    /// Most database connections.
    #[arg(long, env = "LATELY_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,

    /// How long a request waits for the database before answering 503 (milliseconds).
    #[arg(long, env = "LATELY_DB_TIMEOUT_MS", default_value_t = 2000)]
    pub db_timeout_ms: u64,

    /// Most events committed in one group-commit transaction.
    #[arg(long, env = "LATELY_MAX_BATCH", default_value_t = 1000)]
    pub max_batch: usize,

    /// How many items' current state the writer keeps in memory (least recently used are
    /// forgotten), so that a command need not read and fold the item's stream.
    #[arg(long, env = "LATELY_REMEMBERED_ITEMS", default_value_t = 10_000)]
    pub remembered_items: usize,

    /// How long in-flight requests may take to finish after SIGTERM (seconds).
    #[arg(long, env = "LATELY_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "LATELY_WORKERS")]
    pub workers: Option<usize>,
}

impl Config {
    pub fn db_timeout(&self) -> Duration {
        Duration::from_millis(self.db_timeout_ms)
    }
}
