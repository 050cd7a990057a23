//! Writing a dump of a log that may be in use: events, then the outbox, then the count.
//!
//! The dump is of one moment, the head read first: events up to it, and only the outbox
//! entries of finishes up to it. The notifier's checkpoint is read before the outbox, so every
//! finish it had scanned by then has its entry in what is read after (entries are never
//! deleted); the notifier may move on meanwhile, which only means an entry in a later state
//! than at the checkpoint's moment. A notifier that keeps running after the dump will go on
//! tweeting there: `dump` reports one, since restoring its dump elsewhere and running a
//! notifier there too would tweet twice what was still pending.

use std::io::Write;

use chrono::Utc;
use lately_log::EventLog;
use lately_notifier::leader::Leadership;
use lately_notifier::store::Store;

use crate::format::{End, Header, Record, FORMAT};

/// What [`dump`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Dumped {
    pub header: Header,
    pub end: End,
    /// A notifier held its leader lock on the log while it was dumped.
    pub notifier_running: bool,
}

/// How many events a read of the log asks for.
const PAGE: usize = 1000;

/// Writes a dump of the log at `database_url` to `out`.
pub async fn dump(database_url: &str, out: impl Write) -> anyhow::Result<Dumped> {
    // Opening a SQLite file creates it: a typo must not leave an empty database behind.
    if let Some(file) = lately_log::sqlite_file(database_url) {
        anyhow::ensure!(
            file.exists(),
            "{}: no such file, so no lately log there",
            file.display()
        );
    }
    let log = EventLog::connect(database_url, Default::default())?;
    anyhow::ensure!(
        log.schema_ready().await?,
        "{} has no lately log, or one from an older build: start the writer on it once",
        lately_log::redact(database_url)
    );
    let result = write(&log, database_url, out).await;
    log.close().await;
    result
}

async fn write(log: &EventLog, database_url: &str, mut out: impl Write) -> anyhow::Result<Dumped> {
    let notifier_running = Leadership::try_acquire(database_url).await?.is_none();
    let head = log.head().await?;
    let store = Store::new(log);
    let header = Header {
        format: FORMAT,
        dumped_at: Utc::now(),
        backend: log.backend_name().into(),
        head,
        notifier_checkpoint: store.checkpoint().await?.map(|c| c.min(head)),
    };
    line(&mut out, &Record::Header(header.clone()))?;

    let mut end = End {
        events: 0,
        outbox: 0,
    };
    let mut after = 0;
    while after < head {
        let page = log.read_after(after, PAGE).await?;
        let Some(last) = page.last().map(|e| e.position) else {
            anyhow::bail!("the log ends at {after}, before its head {head}");
        };
        for event in page.into_iter().take_while(|e| e.position <= head) {
            line(&mut out, &Record::Event(event))?;
            end.events += 1;
        }
        after = last;
    }

    // Read newest first, a page at a time, and written in the log's order. (One entry a
    // finish: small enough to hold.)
    let mut outbox = Vec::new();
    let mut before = head + 1;
    loop {
        let page = store.list(None, Some(before), PAGE as i64).await?;
        let Some(last) = page.last().map(|e| e.finish_position) else {
            break;
        };
        outbox.extend(page);
        before = last;
    }
    for entry in outbox.into_iter().rev() {
        line(&mut out, &Record::Outbox(entry))?;
        end.outbox += 1;
    }
    line(&mut out, &Record::End(end.clone()))?;
    out.flush()?;
    Ok(Dumped {
        header,
        end,
        notifier_running,
    })
}

fn line(out: &mut impl Write, record: &Record) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, record)?;
    out.write_all(b"\n")?;
    Ok(())
}
