//! The peer baseline: cqrs-es with postgres-es (from crates.io) on the same PostgreSQL, each of
//! `clients` tasks executing one command on a new aggregate, again and again — the append path
//! of a popular Rust event-sourcing framework, without HTTP in front of it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::appends::{Meter, Rate, Tally};
use crate::Args;

#[derive(Default, Serialize, Deserialize)]
struct Book {
    finished: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum BookEvent {
    Finished { rating: u8 },
}

impl DomainEvent for BookEvent {
    fn event_type(&self) -> String {
        "finished".into()
    }
    fn event_version(&self) -> String {
        "1".into()
    }
}

#[derive(Debug)]
struct Never;

impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("never")
    }
}

impl std::error::Error for Never {}

impl Aggregate for Book {
    const TYPE: &'static str = "book";
    type Command = u8;
    type Event = BookEvent;
    type Error = Never;
    type Services = ();

    async fn handle(
        &mut self,
        rating: u8,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        sink.write(BookEvent::Finished { rating }, self).await;
        Ok(())
    }

    fn apply(&mut self, _: BookEvent) {
        self.finished += 1;
    }
}

/// The peer on a database of its own, with postgres-es's schema.
pub struct Peer {
    cqrs: Arc<postgres_es::PostgresCqrs<Book>>,
    clients: usize,
    rounds: usize,
    tally: Tally,
}

impl Peer {
    pub async fn start(args: &Args) -> anyhow::Result<Self> {
        let db = lately_testkit::postgres_database().await;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(args.clients as u32)
            .connect(&db)
            .await?;
        // postgres-es's own schema (its db/init.sql).
        sqlx::raw_sql(
            "CREATE TABLE events (aggregate_type text NOT NULL, aggregate_id text NOT NULL, \
               sequence bigint CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL, \
               event_version text NOT NULL, payload json NOT NULL, metadata json NOT NULL, \
               PRIMARY KEY (aggregate_type, aggregate_id, sequence)); \
             CREATE TABLE snapshots (aggregate_type text NOT NULL, aggregate_id text NOT NULL, \
               last_sequence bigint CHECK (last_sequence >= 0) NOT NULL, \
               current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL, \
               payload json NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, last_sequence));",
        )
        .execute(&pool)
        .await?;
        Ok(Self {
            cqrs: Arc::new(postgres_es::postgres_cqrs::<Book>(pool, vec![], ())),
            clients: args.clients,
            rounds: 0,
            tally: Tally::default(),
        })
    }

    /// One round of `duration`: every client executes one command on a new aggregate after
    /// another.
    pub async fn round(&mut self, duration: Duration) -> anyhow::Result<()> {
        self.rounds += 1;
        let round = self.rounds;
        let meter = Meter::start(None);
        let deadline = Instant::now() + duration;
        let tasks: Vec<_> = (0..self.clients)
            .map(|c| {
                let cqrs = self.cqrs.clone();
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut n = 0;
                    while Instant::now() < deadline {
                        let id = format!("peer-{round}-{c}-{n}");
                        n += 1;
                        let t = Instant::now();
                        if cqrs.execute(&id, 4).await.is_ok() {
                            latencies.push(t.elapsed());
                        }
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.extend(t.await?);
        }
        meter.stop(&mut self.tally, latencies.len(), latencies);
        Ok(())
    }

    /// The rounds' figures.
    pub fn rate(self) -> Rate {
        self.tally.rate()
    }
}
