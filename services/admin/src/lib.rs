//! Moving a lately log between databases: `lately-admin dump` writes everything the system
//! keeps that cannot be rebuilt — the event log, and the notifier's outbox with its
//! checkpoint, so that no finish is tweeted twice — to one file; `lately-admin restore` puts
//! it into another database, PostgreSQL or SQLite. Readers' snapshots are left behind: the
//! replicas rebuild them from the log.
//!
//! * [`format`](mod@format): the file, one JSON record a line.
//! * [`dump`]: reading a live log into it, consistently.
//! * [`restore`]: checking a dump whole (format, positions, versions, and every item's history
//!   against the domain's rules) before writing anything, then restoring it in batches that
//!   continue the destination's log; running it again after an interruption goes on where it
//!   stopped.

pub mod dump;
pub mod format;
pub mod restore;
