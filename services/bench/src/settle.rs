//! Keeping one scenario's housekeeping out of the next one's figures.
//!
//! The bench shares two cores with PostgreSQL. A scenario leaves behind a database with up to a
//! couple of million fresh rows: autovacuum then visits them, and the checkpointer writes them
//! out, while the next scenario is being measured. Seen: the reader's start from a snapshot took
//! 412–426 ms when the cold-start scenario ran alone and up to 822 ms at the end of a full run,
//! the difference being time the reader waited for the cores or the disk, not work of its own.

use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::{Connection, Executor, PgConnection};

/// Drops every scratch database the scenarios so far created and waits for the server to go
/// quiet ([`quiesce`]).
pub async fn between_scenarios() -> anyhow::Result<()> {
    let mut conn = admin().await?;
    let scratch: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'lately_test_%'")
            .fetch_all(&mut conn)
            .await?;
    for (name,) in scratch {
        // FORCE: a service the scenario started may still be on its way out.
        conn.execute(format!(r#"DROP DATABASE "{name}" WITH (FORCE)"#).as_str())
            .await?;
    }
    quiesce(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// Waits for the server to go quiet ([`quiesce`]) between rounds of scenarios whose databases
/// are kept.
pub async fn quiet() -> anyhow::Result<()> {
    let mut conn = admin().await?;
    quiesce(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// A connection to the server's own database.
async fn admin() -> anyhow::Result<PgConnection> {
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL (make bench sets it)")?;
    Ok(PgConnection::connect(&url).await?)
}

/// Writes out every dirty buffer (`CHECKPOINT`) and waits, up to a minute, until no autovacuum
/// worker is running anywhere on the server.
pub async fn quiesce(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.execute("CHECKPOINT").await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (busy,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'",
        )
        .fetch_one(&mut *conn)
        .await?;
        if busy == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            eprintln!("  (autovacuum still busy after a minute; measuring anyway)");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
