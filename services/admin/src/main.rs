//! `lately-admin`: moves a lately log between databases (see the crate's documentation).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "lately-admin",
    version,
    about = "Dump a lately log (its events and the notifier's outbox) to a file, and restore it into another database"
)]
struct Cli {
    /// The log: postgres://… or sqlite:path.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://lately.sqlite3",
        hide_env_values = true,
        global = true
    )]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the log and the notifier's outbox to a file (one JSON record a line). Safe while
    /// the system runs: the dump is of the moment it starts.
    Dump {
        /// Where to write it; `-` (the default) for standard output.
        #[arg(long, short, default_value = "-")]
        out: PathBuf,
    },
    /// Check a dump without restoring it (a backup, say): its records, positions, every
    /// item's history against the writer's rules and the closing count, as `restore` does
    /// first. No database is needed.
    Check {
        /// The dump; `-` for standard input.
        dump: PathBuf,
    },
    /// Restore a dump into this database: an empty one, or one an interrupted restore of the
    /// same dump left (it goes on from there). The whole file is checked first; a bad one
    /// changes nothing. Stop the notifier on the destination while it runs.
    Restore {
        /// The dump; `-` for standard input.
        dump: PathBuf,
    },
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("lately-admin: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Dump { out } => {
            let dumped = if out.as_os_str() == "-" {
                lately_admin::dump::dump(&cli.database_url, std::io::stdout().lock()).await?
            } else {
                // Written beside the target and renamed when complete: an interrupted dump
                // never leaves a file that looks like one.
                let cannot = || format!("cannot write {}", out.display());
                let dir = out.parent().filter(|p| !p.as_os_str().is_empty());
                let tmp = tempfile::NamedTempFile::new_in(dir.unwrap_or(".".as_ref()))
                    .with_context(cannot)?;
                let dumped =
                    lately_admin::dump::dump(&cli.database_url, std::io::BufWriter::new(&tmp))
                        .await?;
                tmp.as_file().sync_all().with_context(cannot)?;
                tmp.persist(&out).with_context(cannot)?;
                dumped
            };
            eprintln!(
                "dumped {} events (positions 1 to {}) and {} outbox entries from {}",
                dumped.end.events, dumped.header.head, dumped.end.outbox, dumped.header.backend
            );
            if dumped.notifier_running {
                eprintln!(
                    "note: a notifier is running on this log. Stop it before restoring this dump \
                     where another notifier runs, or both will tweet what is still pending."
                );
            }
        }
        Command::Check { dump } => {
            let checked = lately_admin::restore::check_file(&dump)?;
            let h = &checked.header;
            eprintln!(
                "a good dump: {} events (positions 1 to {}) and {} outbox entries, dumped {} from {}",
                h.head,
                h.head,
                checked.outbox.len(),
                h.dumped_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                h.backend
            );
        }
        Command::Restore { dump } => {
            let r = lately_admin::restore::restore(&cli.database_url, &dump).await?;
            eprintln!(
                "restored {} events ({} were there already; the log now ends at {}) and {} \
                 outbox entries; the notifier goes on after position {}",
                r.restored, r.already, r.header.head, r.outbox_added, r.checkpoint
            );
        }
    }
    Ok(())
}
