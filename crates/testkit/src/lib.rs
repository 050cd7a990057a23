//! Test support shared by the crates' and services' integration tests.
//!
//! Tests talk to a real PostgreSQL. `make test` (through `scripts/with-postgres`) starts a
//! throwaway server and exports `DATABASE_URL`; every test then asks for its own fresh database
//! here, so tests never see each other's events and can run in parallel.

use sqlx::{Connection, Executor, PgConnection};

/// The URL of a new, empty PostgreSQL database on the test server.
pub async fn postgres_database() -> String {
    let admin = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "DATABASE_URL is not set. Run the tests with `make test` (it starts a throwaway \
             PostgreSQL), or set DATABASE_URL to a server where the tests may create databases."
        )
    });
    let name = format!("lately_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL at DATABASE_URL: {e}"));
    conn.execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
        .await
        .expect("create a test database");
    conn.close().await.ok();
    let mut url = url::Url::parse(&admin).expect("DATABASE_URL is a URL");
    url.set_path(&name);
    url.to_string()
}

/// A SQLite log file in a temporary directory (deleted when the guard drops) and its URL.
pub fn sqlite_database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("lately.sqlite3").display());
    (dir, url)
}

/// Both backends, for contract tests that must hold on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A fresh database of either backend: its URL and whatever keeps it alive.
pub async fn database(backend: Backend) -> (Option<tempfile::TempDir>, String) {
    match backend {
        Backend::Postgres => (None, postgres_database().await),
        Backend::Sqlite => {
            let (dir, url) = sqlite_database();
            (Some(dir), url)
        }
    }
}

/// Polls `ok` every 50 ms until it holds; panics naming `what` after 20 s.
pub async fn until<F, Fut>(what: &str, mut ok: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..400 {
        if ok().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Waits (up to 10 s) until `count` sessions on the server at `database_url` wait for a lock
/// and satisfy `condition` (SQL on `pg_stat_activity`, such as `query LIKE '%FROM outbox%'`):
/// how a partition test knows its statement was sent and waits inside the server, behind a
/// lock the test holds, before it cuts the link. Panics with `what` if that never happens.
pub async fn until_waiting_on_a_lock(database_url: &str, condition: &str, count: i64, what: &str) {
    let mut admin = PgConnection::connect(database_url)
        .await
        .expect("connect to the test PostgreSQL");
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND ({condition})"
    );
    for _ in 0..500 {
        let waiting: i64 = sqlx::query_scalar(&sql)
            .fetch_one(&mut admin)
            .await
            .expect("read pg_stat_activity");
        if waiting == count {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{what} never reached the server");
}

/// A TCP proxy in front of a server, whose link can be cut (refused), stalled (a network
/// partition: nothing gets through, nothing is closed) or throttled (a slow link), and
/// restored: to take the database away from one process while everything else keeps it.
pub struct Proxy {
    pub port: u16,
    state: tokio::sync::watch::Sender<Link>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

/// How long into a [`Proxy::stall`] the server gives up on a connection: compose's PostgreSQL
/// takes ~25 s (10 s idle, 3 probes 5 s apart); tests need it sooner.
pub const SERVER_GIVES_UP_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Open,
    Cut,
    Stalled,
    /// Forwarding what the target sends at most this many bytes a second.
    Throttled(usize),
}

impl Proxy {
    /// Listens on a free loopback port and forwards every connection to `target` (`host:port`).
    pub async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a port");
        let port = listener.local_addr().expect("bound").port();
        let state = tokio::sync::watch::Sender::new(Link::Open);
        let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (s, l) = (state.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let mut link = s.subscribe();
                let now = *link.borrow_and_update();
                let (target, rate) = (target.clone(), link.clone());
                let task = tokio::spawn(async move {
                    // The sockets belong to this task, not to the forwarding below: when a
                    // stall ends the forwarding, they stay open, silent, until the link is
                    // restored, and are closed then. Closing them at the stall would be a
                    // refusal, which a client notices at once, not a partition.
                    let mut inbound = inbound;
                    let mut outbound = match now {
                        Link::Cut => return, // refused by being closed
                        // Accepted, and then nothing happens.
                        Link::Stalled => None,
                        Link::Open | Link::Throttled(_) => {
                            match tokio::net::TcpStream::connect(&target).await {
                                Ok(outbound) => Some(outbound),
                                Err(_) => return, // the target refused: so does the proxy
                            }
                        }
                    };
                    let forwarding = async {
                        let Some(outbound) = outbound.as_mut() else {
                            return std::future::pending().await;
                        };
                        let (mut from_target, mut to_target) = outbound.split();
                        let (mut from_client, mut to_client) = inbound.split();
                        tokio::select! {
                            _ = tokio::io::copy(&mut from_client, &mut to_target) => {}
                            _ = throttled_copy(&mut from_target, &mut to_client, rate) => {}
                        }
                    };
                    tokio::select! {
                        _ = forwarding => {}
                        _ = async { link.wait_for(|s| *s == Link::Stalled).await.is_ok() } => {
                            let restored = async {
                                let _ = link.clone().wait_for(|s| *s == Link::Open).await;
                            };
                            tokio::select! {
                                _ = restored => {}
                                _ = tokio::time::sleep(SERVER_GIVES_UP_AFTER) => {
                                    // The server's keepalive probes went unanswered: it ends
                                    // the session (and releases its locks); the client, on
                                    // the other side of the partition, hears nothing of it.
                                    drop(outbound.take());
                                    let _ = link.wait_for(|s| *s == Link::Open).await;
                                }
                            }
                        }
                    }
                });
                l.lock().expect("not poisoned").push(task.abort_handle());
            }
        });
        Self { port, state, links }
    }

    /// Rewrites a database URL to go through this proxy.
    pub fn url_for(&self, url: &str) -> String {
        let mut u = url::Url::parse(url).expect("a URL");
        u.set_port(Some(self.port)).expect("a URL with a port");
        u.to_string()
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.state.send_replace(Link::Cut);
        for link in self.links.lock().expect("not poisoned").drain(..) {
            link.abort();
        }
    }

    /// Stops forwarding anything, on open connections and new ones alike, without closing
    /// any: what a partitioned network looks like to a client. The server's side of each
    /// connection is closed [`SERVER_GIVES_UP_AFTER`] into the stall, as the server's TCP
    /// keepalive would; the client's stays open and silent until [`Proxy::restore`].
    pub fn stall(&self) {
        self.state.send_replace(Link::Stalled);
    }

    /// Forwards what the target sends at most `bytes_per_second`, on open connections and new
    /// ones alike: a slow link.
    pub fn throttle(&self, bytes_per_second: usize) {
        self.state
            .send_replace(Link::Throttled(bytes_per_second.max(1)));
    }

    pub fn restore(&self) {
        self.state.send_replace(Link::Open);
    }
}

/// Copies `from` to `to`, pausing after each chunk while the link is throttled so that no more
/// than its rate gets through (in chunks of a twentieth of a second's worth).
async fn throttled_copy(
    from: &mut tokio::net::tcp::ReadHalf<'_>,
    to: &mut tokio::net::tcp::WriteHalf<'_>,
    link: tokio::sync::watch::Receiver<Link>,
) -> std::io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let rate = match *link.borrow() {
            Link::Throttled(rate) => Some(rate),
            _ => None,
        };
        let chunk = rate.map_or(buf.len(), |r| (r / 20).clamp(1, buf.len()));
        let n = from.read(&mut buf[..chunk]).await?;
        if n == 0 {
            return Ok(());
        }
        to.write_all(&buf[..n]).await?;
        if let Some(rate) = rate {
            tokio::time::sleep(std::time::Duration::from_secs_f64(n as f64 / rate as f64)).await;
        }
    }
}

/// The `host:port` of a database URL.
pub fn host_port(url: &str) -> String {
    let u = url::Url::parse(url).expect("a URL");
    format!(
        "{}:{}",
        u.host_str().expect("a host"),
        u.port().unwrap_or(5432)
    )
}

/// Whether [`restart_postgres`] can restart the test server: only the throwaway cluster of
/// `scripts/with-postgres`, which exports its `pg_ctl` and data directory
/// (`LATELY_TEST_PG_CTL`, `LATELY_TEST_PGDATA`), never a server of one's own.
pub fn can_restart_postgres() -> bool {
    std::env::var_os("LATELY_TEST_PG_CTL").is_some()
        && std::env::var_os("LATELY_TEST_PGDATA").is_some()
}

/// Restarts the test server (`pg_ctl restart -m fast`, waiting until it accepts connections
/// again), which kills every open connection. Returns `Ok(false)`, having done nothing, when
/// [`can_restart_postgres`] says no.
pub fn restart_postgres() -> std::io::Result<bool> {
    let (Ok(ctl), Ok(data)) = (
        std::env::var("LATELY_TEST_PG_CTL"),
        std::env::var("LATELY_TEST_PGDATA"),
    ) else {
        return Ok(false);
    };
    // A command line: `runuser -u <owner> -- …/pg_ctl` when the tests run as root.
    let mut parts = ctl.split_whitespace();
    let program = parts
        .next()
        .ok_or_else(|| std::io::Error::other("LATELY_TEST_PG_CTL is empty"))?;
    let status = std::process::Command::new(program)
        .args(parts)
        .args(["-D", &data, "-m", "fast", "-w", "restart"])
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        return Err(std::io::Error::other(format!(
            "pg_ctl restart failed: {status}"
        )));
    }
    Ok(true)
}
