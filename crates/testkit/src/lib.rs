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
