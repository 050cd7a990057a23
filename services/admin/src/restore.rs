//! Restoring a dump into a database: all of it checked first, then written so that running it
//! again goes on where an interrupted run stopped.
//!
//! 1. **Check the whole file** before touching the destination: its records, positions 1 to
//!    `head` without a gap, event ids unique, each stream's versions counting up, and every
//!    item's history one the writer could have written (each event decodes and passes the
//!    domain's [`check`] on the item as the events before it left it); each outbox entry the
//!    entry of a finish in the dump; the closing count. A bad file changes nothing.
//! 2. **Hold the notifier's leader lock** on the destination for the whole restore: no
//!    notifier scans or posts while events and their outbox entries arrive. One running
//!    there refuses the restore.
//! 3. **Hold off every other append** ([`lately_log::Restorer`]) from before the
//!    destination's head is read to the restore's end: no write lands between its batches (a
//!    writer running there answers 503 meanwhile, once its commit timeout runs out).
//! 4. **The destination's log must be a prefix of the dump** (empty, or what an interrupted
//!    restore of the same dump wrote, or the dump restored and gone on from): compared event
//!    by event id.
//! 5. **The outbox first, then the events.** Entries are added as they were (an existing one
//!    is kept) and the checkpoint raised to the dump's, so a notifier that starts after an
//!    interruption, with only part of the events there, scans none of the finishes the dump's
//!    notifier had judged: none is tweeted twice, and one still pending waits until its finish
//!    is in the log (the notifier posts nothing beyond what it has applied).
//! 6. **The events, in batches that continue the log** ([`lately_log::Restorer::restore`]):
//!    positions, ids, versions and times as they were; on PostgreSQL each batch commits (an
//!    interrupted restore goes on from there when run again), on SQLite the whole restore is
//!    one transaction.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Seek};
use std::path::Path;

use lately_domain::{check, ItemEvent, ItemId, ItemState};
use lately_log::{EventLog, RecordedEvent};
use lately_notifier::leader::Leadership;
use lately_notifier::store::{Entry, Store, STATUSES};

use crate::format::{Header, Record, FORMAT};

/// Why a dump was not restored. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("line {line}: {reason}")]
    Line { line: u64, reason: String },
    #[error("the dump is cut short after line {lines}: it has no closing `end` record (a copy interrupted, a full disk?)")]
    CutShort { lines: u64 },
    #[error("a notifier is running on the destination: stop it while restoring (it would tweet the dump's finishes as they arrive), then start it again")]
    NotifierRunning,
    #[error("the destination's log is not this dump's: at position {position} it has event {found}, the dump {expected} (restore into an empty database)")]
    Diverged {
        position: i64,
        expected: String,
        found: String,
    },
}

/// A dump that passed [`check_dump`].
#[derive(Debug)]
pub struct Checked {
    pub header: Header,
    pub outbox: Vec<Entry>,
}

/// What [`restore`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    pub header: Header,
    /// Events the destination had already (an earlier, interrupted run).
    pub already: i64,
    /// Events written now.
    pub restored: i64,
    /// Outbox entries added now.
    pub outbox_added: u64,
    /// The destination notifier's checkpoint now covers the log up to here.
    pub checkpoint: i64,
}

/// How many events one transaction restores.
const BATCH: usize = 1000;

/// Restores the dump at `path` (`-`: standard input) into the database at `database_url`,
/// creating the schema if it has none.
pub async fn restore(database_url: &str, path: &Path) -> anyhow::Result<Restored> {
    let mut file = open(path)?;
    let checked = check_dump(BufReader::new(&mut file))?;
    file.rewind()?;

    let log = EventLog::connect(database_url, Default::default())?;
    let result = async {
        let Some(_leader) = Leadership::try_acquire(database_url).await? else {
            return Err(Refused::NotifierRunning.into());
        };
        log.migrate().await?;
        write(&log, checked, BufReader::new(file)).await
    }
    .await;
    log.close().await;
    result
}

/// Checks the dump at `path` (`-`: standard input) whole, as [`restore`] does before writing.
pub fn check_file(path: &Path) -> anyhow::Result<Checked> {
    Ok(check_dump(BufReader::new(open(path)?))?)
}

/// The dump to read twice: a file as it is, standard input copied to a temporary file first.
fn open(path: &Path) -> anyhow::Result<File> {
    if path.as_os_str() == "-" {
        let mut copy = tempfile::tempfile()?;
        std::io::copy(&mut std::io::stdin().lock(), &mut copy)?;
        copy.rewind()?;
        return Ok(copy);
    }
    File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

async fn write(log: &EventLog, checked: Checked, dump: impl BufRead) -> anyhow::Result<Restored> {
    let header = checked.header;
    // From here to its end no other append lands: the head compared is the one continued.
    let mut restorer = log.restorer().await?;
    let destination = log.head().await?;
    let already = destination.min(header.head);

    let mut events = events(dump);
    let mut compared = 0;
    while compared < already {
        let theirs = log.read_after(compared, BATCH).await?;
        anyhow::ensure!(
            !theirs.is_empty(),
            "the destination's log ends before its head"
        );
        for found in theirs.iter().take_while(|e| e.position <= already) {
            let expected = events
                .next()
                .ok_or_else(|| anyhow::anyhow!("the dump changed while it was restored"))??;
            if (found.event_id, &found.stream_id, found.stream_version)
                != (
                    expected.event_id,
                    &expected.stream_id,
                    expected.stream_version,
                )
            {
                return Err(Refused::Diverged {
                    position: found.position,
                    expected: describe(&expected),
                    found: describe(found),
                }
                .into());
            }
            compared = found.position;
        }
    }

    let store = Store::new(log);
    let outbox_added = store.restore(&checked.outbox).await?;
    let checkpoint = header.notifier_checkpoint.unwrap_or(header.head);
    store.raise_checkpoint(checkpoint).await?;

    let mut restored = 0;
    loop {
        let batch = events.by_ref().take(BATCH).collect::<Result<Vec<_>, _>>()?;
        if batch.is_empty() {
            break;
        }
        restorer.restore(&batch).await?;
        restored += batch.len() as i64;
    }
    restorer.finish().await?;
    Ok(Restored {
        header,
        already,
        restored,
        outbox_added,
        checkpoint,
    })
}

fn describe(e: &RecordedEvent) -> String {
    format!(
        "{} ({} of {:?}, version {})",
        e.event_id, e.event_type, e.stream_id, e.stream_version
    )
}

/// The events of a checked dump, in order.
fn events(dump: impl BufRead) -> impl Iterator<Item = anyhow::Result<RecordedEvent>> {
    dump.lines().skip(1).map_while(|line| {
        let record = line
            .map_err(anyhow::Error::from)
            .and_then(|l| Ok(serde_json::from_str::<Record>(&l)?));
        match record {
            Ok(Record::Event(e)) => Some(Ok(e)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        }
    })
}

/// Checks a whole dump (see the module's documentation) without writing anything.
pub fn check_dump(dump: impl BufRead) -> Result<Checked, Refused> {
    let mut checker = Checker::default();
    let mut lines = 0;
    for line in dump.lines() {
        lines += 1;
        let refuse = |reason: String| Refused::Line {
            line: lines,
            reason,
        };
        let line = line.map_err(|e| refuse(e.to_string()))?;
        if checker.ended {
            if line.trim().is_empty() {
                continue;
            }
            return Err(refuse("a record after the closing `end`".into()));
        }
        let record: Record = serde_json::from_str(&line).map_err(|e| refuse(e.to_string()))?;
        checker.record(record).map_err(refuse)?;
    }
    match checker {
        Checker {
            header: Some(header),
            ended: true,
            outbox,
            ..
        } => Ok(Checked {
            header,
            outbox: outbox.into_values().collect(),
        }),
        _ => Err(Refused::CutShort { lines }),
    }
}

#[derive(Default)]
struct Checker {
    header: Option<Header>,
    position: i64,
    ids: HashSet<uuid::Uuid>,
    items: HashMap<String, ItemState>,
    /// Each finish's item, by position.
    finishes: HashMap<i64, String>,
    outbox: HashMap<i64, Entry>,
    ended: bool,
}

impl Checker {
    fn record(&mut self, record: Record) -> Result<(), String> {
        let Some(header) = &self.header else {
            let Record::Header(header) = record else {
                return Err("a dump starts with its `header` record".into());
            };
            if header.format > FORMAT {
                return Err(format!(
                    "the dump's format is version {}, newer than this build reads ({FORMAT}): restore with the build that dumped it",
                    header.format
                ));
            }
            if header.head < 0
                || header
                    .notifier_checkpoint
                    .is_some_and(|c| !(0..=header.head).contains(&c))
            {
                return Err(format!(
                    "the header's head ({}) and notifier checkpoint ({:?}) are not positions of the dump",
                    header.head, header.notifier_checkpoint
                ));
            }
            self.header = Some(header);
            return Ok(());
        };
        let head = header.head;
        match record {
            Record::Header(_) => Err("a second `header` record".into()),
            Record::Event(event) => {
                if !self.outbox.is_empty() {
                    return Err("an event after the outbox's entries".into());
                }
                self.event(event, head)
            }
            Record::Outbox(entry) => {
                self.complete(head)?;
                self.entry(entry)
            }
            Record::End(end) => {
                self.complete(head)?;
                if (end.events, end.outbox) != (head as u64, self.outbox.len() as u64) {
                    return Err(format!(
                        "the closing count ({} events, {} outbox entries) is not what the dump holds ({head} and {})",
                        end.events,
                        end.outbox,
                        self.outbox.len()
                    ));
                }
                self.ended = true;
                Ok(())
            }
        }
    }

    fn complete(&self, head: i64) -> Result<(), String> {
        if self.position == head {
            Ok(())
        } else {
            Err(format!(
                "the events end at position {}, but the header's head is {head}",
                self.position
            ))
        }
    }

    fn event(&mut self, event: RecordedEvent, head: i64) -> Result<(), String> {
        let position = event.position;
        if position != self.position + 1 {
            return Err(format!(
                "the event at position {position} does not follow position {}",
                self.position
            ));
        }
        if position > head {
            return Err(format!(
                "an event at {position}, after the header's head {head}"
            ));
        }
        if !self.ids.insert(event.event_id) {
            return Err(format!("event id {} appears twice", event.event_id));
        }
        ItemId::parse(&event.stream_id)
            .map_err(|e| format!("position {position}: stream {:?}: {e}", event.stream_id))?;
        let item =
            ItemEvent::decode_json(&event.event_type, event.schema_version, event.data.as_str())
                .map_err(|e| format!("position {position}: {e}"))?;
        let state = self.items.get(&event.stream_id);
        let version = state.map_or(0, |s| s.version);
        if event.stream_version != version + 1 {
            return Err(format!(
                "position {position} is version {} of {:?}, which is at version {version}",
                event.stream_version, event.stream_id
            ));
        }
        check(state, &item).map_err(|rejection| {
            format!(
                "position {position}: {} of {:?} could not have been written: {rejection}",
                event.event_type, event.stream_id
            )
        })?;
        match (&item, self.items.get_mut(&event.stream_id)) {
            (_, Some(state)) => state.apply(&item),
            (ItemEvent::Added(added), None) => {
                self.items
                    .insert(event.stream_id.clone(), ItemState::new(added));
            }
            (_, None) => unreachable!("check refuses anything but item_added for a new item"),
        }
        if matches!(item, ItemEvent::Finished(_)) {
            self.finishes.insert(position, event.stream_id);
        }
        self.position = position;
        Ok(())
    }

    fn entry(&mut self, entry: Entry) -> Result<(), String> {
        let position = entry.finish_position;
        if self.finishes.get(&position) != Some(&entry.item_id) {
            return Err(format!(
                "the outbox entry of position {position} is not a finish of {:?} in the dump",
                entry.item_id
            ));
        }
        if !STATUSES.contains(&entry.status.as_str()) {
            return Err(format!(
                "the outbox entry of position {position} is {:?}, not one of {}",
                entry.status,
                STATUSES.join(", ")
            ));
        }
        if self.outbox.insert(position, entry).is_some() {
            return Err(format!("two outbox entries for position {position}"));
        }
        Ok(())
    }
}
