//! `lately`: the command-line client.
//!
//! Writes go to the writer (`LATELY_URL`, with `LATELY_TOKEN`), reads to a reader or the load
//! balancer (`LATELY_FEED_URL`). Every write carries an `Idempotency-Key`, so the client can
//! retry a write whose answer was lost without ever recording it twice; imports derive their
//! keys from the rows, so importing a file twice adds nothing.
//!
//! Reads wait for the user's last write, even one made by an earlier command: its position
//! is kept in `LATELY_STATE_DIR` (by default the platform's state directory; see
//! `last_write`).
//!
//! Exit codes: 0 success, 1 the server refused (bad input, conflict, not found), 2 usage,
//! 3 the server could not be reached or failed. Output cut short by its reader
//! (`lately list | head -1`) is not an error.

mod client;
mod day_words;
mod how_far;
mod import;
mod isbn;
mod last_write;
mod open_library;
mod show_artwork;
mod web_page;

use std::fmt::Display;
use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};

use client::{CliError, Client};
use how_far::Move;
use last_write::LastWrite;
use lately_domain::MediaKind;
use lately_projection::{Goal, Pace, Zone};

#[derive(Debug, Parser)]
#[command(
    name = "lately",
    version,
    about = "Keep your recently-finished feed: books, articles, films, TV, games, podcasts"
)]
struct Cli {
    /// The writer's base URL.
    #[arg(
        long = "writer",
        env = "LATELY_URL",
        default_value = "http://localhost:8081",
        value_parser = base_url,
        global = true
    )]
    writer_url: String,
    /// Your bearer token (the writer's): sent with writes, the owner's reads (`items`, `show`, `export`, `--all`) and `retry-tweet`.
    #[arg(long, env = "LATELY_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    /// A reader's (or the load balancer's) base URL, for the reads: `list`, `show`, `stats`, …
    #[arg(
        long = "feed",
        env = "LATELY_FEED_URL",
        default_value = "http://localhost:8080",
        value_parser = base_url,
        global = true
    )]
    feed_url: String,
    /// The notifier's base URL, for `tweets` and `retry-tweet`.
    #[arg(
        long = "notifier",
        env = "LATELY_NOTIFIER_URL",
        default_value = "http://localhost:8089",
        value_parser = base_url,
        global = true
    )]
    notifier_url: String,
    #[command(subcommand)]
    command: Command,
}

/// A service's base URL: an absolute http(s) URL, so that a typo is named at once rather than
/// as reqwest's "builder error" on the first request.
fn base_url(raw: &str) -> Result<String, String> {
    let expected = if raw.contains("://") {
        "expected an http:// or https:// URL".to_owned()
    } else {
        format!("expected an http:// or https:// URL: http://{raw}?")
    };
    match reqwest::Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(raw.to_owned()),
        Ok(_) => Err(expected),
        Err(e) => Err(format!("{e}; {expected}")),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    Book,
    Article,
    Movie,
    Tv,
    Game,
    Podcast,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Book => "book",
            Self::Article => "article",
            Self::Movie => "movie",
            Self::Tv => "tv",
            Self::Game => "game",
            Self::Podcast => "podcast",
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ItemStatus {
    Queued,
    InProgress,
    Finished,
    Abandoned,
    /// Removed ones, listed only when asked for: to find the id of one to restore.
    Removed,
}

impl ItemStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::InProgress => "in_progress",
            Self::Finished => "finished",
            Self::Abandoned => "abandoned",
            Self::Removed => "removed",
        }
    }
}

/// An outbox entry's state, as the notifier reports it.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum TweetStatus {
    Pending,
    Posting,
    Posted,
    Failed,
    Skipped,
    DryRun,
    /// A posted tweet on its way out: its finish was retracted, or its item removed or made
    /// private.
    Deleting,
    Deleted,
}

impl TweetStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Posting => "posting",
            Self::Posted => "posted",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::DryRun => "dry_run",
            Self::Deleting => "deleting",
            Self::Deleted => "deleted",
        }
    }
}

#[derive(Debug, Clone, Subcommand)]
enum Command {
    /// Add an item: `lately add book "The Left Hand of Darkness" --by "Ursula K. Le Guin"`, or
    /// by its link alone: `lately add article https://…` reads the page's title, author,
    /// address and picture (what you give with `--by`, `--cover` is kept instead); a book by
    /// the ISBN on its back, `lately add book 978-0-441-17271-9`: its title, authors and cover
    /// as Open Library names them.
    Add {
        kind: Kind,
        /// The title, as you would write it in a list of what you finished; or the item's
        /// link (http or https), whose page says it; or a book's ISBN, which Open Library
        /// names.
        title: String,
        /// A creator (author, director, studio, host); repeat for several.
        #[arg(long = "by")]
        creators: Vec<String>,
        /// A link to the item (http or https).
        #[arg(long)]
        url: Option<String>,
        /// A cover image's URL (http or https), or a book's ISBN (`978-0-441-17271-9`): its
        /// cover on Open Library. A book given with `--by` and without it gets its cover from
        /// Open Library by its title and author, when it has one (not a private one).
        #[arg(long, value_parser = isbn::cover)]
        cover: Option<String>,
        /// No cover, and none looked up.
        #[arg(long, conflicts_with = "cover")]
        no_cover: bool,
        /// A tag; repeat for several.
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Keep it out of every public output.
        #[arg(long)]
        private: bool,
        /// Choose the id (a slug); by default one is made from the title.
        #[arg(long)]
        id: Option<String>,
        /// Add it though an item of this kind and title is in your list already: another
        /// edition, a remake (to go through the same one again, `lately start` it).
        #[arg(long)]
        duplicate: bool,
        /// Finished already, now: the article just read, the film just seen (as `lately
        /// finish` right after; `--rating` with it).
        #[arg(long)]
        finished: bool,
        /// With `--finished`: 0.5 to 5 stars in half steps.
        #[arg(long, requires = "finished", value_parser = rating_of)]
        rating: Option<f64>,
    },
    /// Change an item's fields: `lately edit ID --title "…" --private`. A list given (`--by`,
    /// `--tag`) replaces the item's whole list.
    Edit {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
        /// A new title.
        #[arg(long)]
        title: Option<String>,
        /// Another kind (a film first added as a book, say).
        #[arg(long)]
        kind: Option<Kind>,
        /// The creators, replacing the item's; repeat for several.
        #[arg(long = "by", conflicts_with = "no_creators")]
        creators: Vec<String>,
        /// Clear the creators.
        #[arg(long)]
        no_creators: bool,
        /// The tags, replacing the item's; repeat for several.
        #[arg(long = "tag", conflicts_with = "no_tags")]
        tags: Vec<String>,
        /// Clear the tags.
        #[arg(long)]
        no_tags: bool,
        /// A new link (http or https).
        #[arg(long, conflicts_with = "no_url")]
        url: Option<String>,
        /// Clear the link.
        #[arg(long)]
        no_url: bool,
        /// A new cover image's URL (http or https), or a book's ISBN: its cover on Open
        /// Library.
        #[arg(long, conflicts_with = "no_cover", value_parser = isbn::cover)]
        cover: Option<String>,
        /// Clear the cover image.
        #[arg(long)]
        no_cover: bool,
        /// Keep it out of every public output from now on; its tweets are deleted.
        #[arg(long, conflicts_with = "public")]
        private: bool,
        /// Show it again (its deleted tweets stay deleted: `lately retry-tweet`).
        #[arg(long)]
        public: bool,
    },
    /// Start an item.
    Start {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
        /// When you started it (a day: YYYY-MM-DD, yesterday, 3 days ago, monday; or RFC
        /// 3339), if not now: the feed and the widget say how long it took once it is
        /// finished. For an item already in progress (its
        /// start logged on the wrong day), its start is moved there and its progress kept.
        #[arg(long)]
        at: Option<String>,
    },
    /// Log how far through an item you are.
    Progress {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
        /// How far through: a percentage (60, or 60%), or where you are of how many (page 183
        /// of 304: 183/304; episode 3 of 8: 3/8), kept as you said it (`current` and the
        /// widget say "page 183 of 304") with the percentage it makes, rounded down (only the
        /// last page is 100%). Or how much further since the last time: +20 (twenty pages on,
        /// or one more episode with +1; twenty points for an item followed in percent).
        #[arg(value_parser = Move::parse, value_name = "HOW_FAR")]
        how_far: Move,
    },
    /// Finish an item (again, for a re-read).
    Finish {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
        /// 0.5 to 5 stars in half steps.
        #[arg(long)]
        rating: Option<f64>,
        /// A few words on it, shown with the finish.
        #[arg(long)]
        review: Option<String>,
        /// When you finished it (a day: YYYY-MM-DD, yesterday, 3 days ago, monday; or RFC
        /// 3339), if not now.
        #[arg(long)]
        at: Option<String>,
        /// When you started it (a day, as `--at`), if you never said: a start is recorded then,
        /// before the finish, so the feed says how long it took; an item already in progress
        /// has its start moved there (as `start --at` does). Finished already: `lately revise
        /// --started`.
        #[arg(long)]
        started: Option<String>,
        /// In the feed, but not tweeted (`lately retry-tweet` can still post it).
        #[arg(long)]
        no_tweet: bool,
        /// Finish it again though it is finished and was not started since: a rewatch, a
        /// replay (without it or `--started`, a second `lately finish` of a finished item is
        /// refused, so that a command run twice does not record, and tweet, a re-read).
        #[arg(long)]
        again: bool,
    },
    /// Change the rating, review, start or day of an item's latest finish (a second thought, a
    /// typo, a start or a finish logged on the wrong day), without finishing it again.
    Revise {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
        /// The new rating: 0.5 to 5 stars in half steps.
        #[arg(long, conflicts_with = "no_rating")]
        rating: Option<f64>,
        /// Clear the rating.
        #[arg(long)]
        no_rating: bool,
        /// The new review.
        #[arg(long, conflicts_with = "no_review")]
        review: Option<String>,
        /// Clear the review.
        #[arg(long)]
        no_review: bool,
        /// When you started it (a day: YYYY-MM-DD, yesterday, 3 days ago, monday; or RFC
        /// 3339), if not when you said, or if you never said: the feed then says how long it
        /// took from there (the tweet too, if it has not gone out yet).
        #[arg(long)]
        started: Option<String>,
        /// When you finished it (a day, as `--started`), if not when you said: the feed, your
        /// page and the stats place it there (a tweet that went out stays). Only while it is
        /// the item's latest change (not once you started it again).
        #[arg(long)]
        finished: Option<String>,
    },
    /// Take back an item's latest finish, recorded by mistake (the wrong item, or not
    /// finished after all): the item is again where it was before it. Only right after the
    /// finish; its tweet, if it went out, is deleted.
    Unfinish {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
    },
    /// Take back an item's latest start, recorded by mistake (the wrong item, or not begun
    /// after all): the item is again where it was before it (up next, say), and the progress
    /// logged since goes with it. Only while it is in progress from that start.
    Unstart {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
    },
    /// Give up on an item in progress (`unabandon` takes it back).
    Abandon {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
    },
    /// Take back a give-up (the wrong item, or taken up again as the same read): the item is
    /// in progress again, begun when it was and as far as it was. Only while it is abandoned;
    /// `start` instead begins a new read.
    Unabandon {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
    },
    /// Remove an item from every output (`restore` brings it back); its tweets are deleted,
    /// and a restore does not post them again by itself (`lately retry-tweet`).
    Remove {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
    },
    /// Bring back an item removed by mistake: it is again where it stood, with its history,
    /// in every output it was in.
    #[command(alias = "unremove")]
    Restore {
        /// The item's id (`lately items --status removed` lists the removed ones), or words of
        /// its title.
        id: String,
    },
    /// The recent finishes, newest first.
    List {
        #[command(flatten)]
        filter: Filter,
        /// Only the finishes of this year (in the readers' `LATELY_TIME_ZONE` calendar), all of
        /// them unless `--limit` says how many.
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: Option<i32>,
        /// How many (read a page of at most 100 at a time) [default: 20, or a `--year`'s all].
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
        /// Private finishes too, marked `[private]` (the owner's feed: sends your token).
        #[arg(long)]
        all: bool,
    },
    /// What is in progress.
    Current {
        #[command(flatten)]
        filter: Filter,
    },
    /// What you have added and not started yet, newest first.
    Queue {
        #[command(flatten)]
        filter: Filter,
    },
    /// The tags of your public items, the most used first: how many items have each, and how
    /// many times they were finished (what `--tag` takes).
    Tags {
        /// Private items' tags too (the owner's: sends your token).
        #[arg(long)]
        all: bool,
    },
    /// How much you finished: per kind, the average rating, and per month of `--year` (or per
    /// year); of one kind or tag, and against a goal, if asked.
    Stats {
        /// One year only, by month.
        #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
        year: Option<i32>,
        /// Private finishes counted too (the owner's stats: sends your token).
        #[arg(long)]
        all: bool,
        /// Only the finishes of items of this kind or with this tag.
        #[command(flatten)]
        filter: Filter,
        /// Counted against a goal for the year (`--kind book --goal 24`: 24 books): how far,
        /// and how far ahead of or behind an even pace through it. Without `--year`, the
        /// current year where the readers count (`LATELY_TIME_ZONE`).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        goal: Option<u32>,
    },
    /// One item and its history: when it was added, started, how far, each finish with its
    /// rating and review, each edit. With your token, private and removed items too.
    Show {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
    },
    /// Every item of yours, private and abandoned ones too, most recently touched first (a
    /// reader with LATELY_OWNER_TOKEN answers this, to your token); removed ones with
    /// `--status removed`.
    Items {
        #[arg(long, value_enum)]
        status: Option<ItemStatus>,
        #[command(flatten)]
        filter: Filter,
    },
    /// Everything you finished, and every item you have not, as CSV on stdout (for a
    /// spreadsheet, or another service's import): a row per finish, newest first, then a row
    /// per item never finished, most recently touched first. Private items too (the owner's
    /// reads: sends your token).
    Export,
    /// Import another service's export file, or CSV in `lately export`'s columns (`csv`):
    /// importing twice adds nothing, and nothing imported is tweeted.
    Import {
        #[arg(value_enum)]
        source: import::Source,
        /// The file; `-` reads standard input (`lately export | LATELY_URL=… lately import
        /// csv -`).
        file: std::path::PathBuf,
        /// Goodreads and StoryGraph: each book added gets its cover from Open Library, by its
        /// ISBN (a link your blog's readers' browsers will load), else by its title and author.
        /// Overcast: each episode gets its show's artwork, read from the show's feed (one
        /// request a show).
        #[arg(long)]
        covers: bool,
    },
    /// Give your books without a cover Open Library's, found by title and author as `add`
    /// finds one: those added before, or imported without `--covers`. Each public book with
    /// an author and no cover is looked up (a private one's title is not sent out); each
    /// cover found is set with the book's version, so an edit made meanwhile is not undone.
    Covers {
        /// Say what would be set; set nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The HTML to paste into your blog for the widget, served from the feed's address
    /// (`--feed`, as your readers reach it): your recent finishes, or with `--show current`
    /// what you are in the middle of, with how far, `--show queue` what is up next, or
    /// `--show stats` how much you finished in the year (`--kind book --goal 24`: against a
    /// goal of 24 books, ahead of schedule or behind).
    Embed(Widget),
    /// Write a handful of realistic items, so a fresh feed is not empty.
    Demo,
    /// The notifier's tweets, newest finish first: each one's log position, state, and its
    /// text or why it was not posted.
    Tweets {
        /// Only those in this state (`failed`: the ones X refused).
        #[arg(long, value_enum)]
        status: Option<TweetStatus>,
        /// How many.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
        limit: u64,
    },
    /// Try a finish's tweet again that X refused (or that was skipped, only recorded in a dry
    /// run, or deleted with its item): after fixing the app's access, say, or restoring the
    /// item. A posted one is never posted twice.
    RetryTweet {
        /// The finish's log position, as `lately tweets` shows it.
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        position: i64,
    },
    /// Print the shell's completion script for `lately` (its commands and flags): `lately
    /// completions bash > ~/.local/share/bash-completion/completions/lately`, or `zsh`,
    /// `fish`, `elvish`, `powershell`.
    Completions { shell: clap_complete::Shell },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Needs no service: the script is this binary's own commands.
    if let Command::Completions { shell } = cli.command {
        let mut command = <Cli as clap::CommandFactory>::command();
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command, "lately", &mut script);
        return match output(&script) {
            Ok(()) | Err(CliError::OutputClosed) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lately: {e}");
                ExitCode::from(e.exit_code())
            }
        };
    }
    let last_write = LastWrite::new(LastWrite::default_dir(), &cli.writer_url, &cli.feed_url);
    let client = Client::new(
        &cli.writer_url,
        &cli.feed_url,
        &cli.notifier_url,
        cli.token.clone(),
        last_write,
    );
    let outcome = run(cli.command, &client).await;
    // Also after a failure: the writes before it did happen.
    client.remember_last_write();
    match outcome {
        Ok(()) | Err(CliError::OutputClosed) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lately: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Prints one line of output. Rust ignores SIGPIPE, so a closed pipe is an error to report,
/// not a signal that ends the process: `println!` would panic on it.
fn say(line: impl Display) -> Result<(), CliError> {
    output(format!("{line}\n").as_bytes())
}

/// Writes `bytes` to stdout (see [`say`]).
fn output(bytes: &[u8]) -> Result<(), CliError> {
    std::io::stdout()
        .lock()
        .write_all(bytes)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => CliError::OutputClosed,
            _ => CliError::Failed(format!("cannot write the output: {e}")),
        })
}

fn at(raw: &str) -> Result<String, CliError> {
    time_of("--at", raw).map(import::at_text)
}

/// The time a flag gives (`--at`, `--started`): the time itself, or a day's noon — today's
/// no later than now, so that a finish "today" in the morning is not one in the future.
fn time_of(flag: &str, raw: &str) -> Result<chrono::DateTime<chrono::Utc>, CliError> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw.trim()) {
        return Ok(t.to_utc());
    }
    let now = chrono::Utc::now();
    import::day(raw)
        .or_else(|| day_words::day(raw, now.with_timezone(&chrono::Local).date_naive()))
        .map(|d| import::noon(d).min(now))
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{flag} {raw:?}: use a day (YYYY-MM-DD, today, yesterday, 3 days ago, monday) or an RFC 3339 time"
            ))
        })
}

impl Command {
    /// The item a command names, as typed: an id, or words of its title.
    fn item(&mut self) -> Option<&mut String> {
        match self {
            Self::Edit { id, .. }
            | Self::Start { id, .. }
            | Self::Progress { id, .. }
            | Self::Finish { id, .. }
            | Self::Revise { id, .. }
            | Self::Unfinish { id }
            | Self::Unstart { id }
            | Self::Abandon { id }
            | Self::Unabandon { id }
            | Self::Remove { id }
            | Self::Restore { id }
            | Self::Show { id } => Some(id),
            _ => None,
        }
    }
}

/// Runs `command`. One that names an item takes its id, or, when no item has the id typed,
/// words of the item's title: `lately finish "left hand"` finishes the one item of yours whose
/// title contains them (any case), and says which; when several do, it lists them and does
/// nothing. The id is tried first, so that an id always means its item; a refused write
/// changes nothing, so trying it costs nothing but the request.
async fn run(mut command: Command, client: &Client) -> Result<(), CliError> {
    let Some(typed) = command.item().cloned() else {
        return run_once(command, client).await;
    };
    match run_once(command.clone(), client).await {
        Err(CliError::Rejected {
            status: 404,
            detail,
        }) => {
            let found = match command {
                Command::Restore { .. } => by_title(client, &typed, true).await?,
                // `show` shows a removed item too: looked for once the others have no match.
                Command::Show { .. } => match by_title(client, &typed, false).await? {
                    None => by_title(client, &typed, true).await?,
                    some => some,
                },
                _ => by_title(client, &typed, false).await?,
            };
            match found {
                Some(id) => {
                    *command.item().expect("names an item") = id;
                    run_once(command, client).await
                }
                None => Err(CliError::Rejected {
                    status: 404,
                    detail,
                }),
            }
        }
        other => other,
    }
}

/// The id of the one item of the owner's (the removed ones, for `restore`) whose title
/// contains `words` in any case, or whose id starts with them; one whose title is exactly
/// `words` wins over those that only contain them. `None` when none does, or when the
/// owner's list cannot be read (no token: the id typed stands, and its 404 is the answer).
async fn by_title(client: &Client, words: &str, removed: bool) -> Result<Option<String>, CliError> {
    let wanted = words.trim().to_lowercase();
    if wanted.is_empty() {
        return Ok(None);
    }
    let filters: &[(&str, &str)] = match removed {
        true => &[("status", "removed")],
        false => &[],
    };
    let mut found: Vec<(String, String)> = Vec::new();
    let read = owners_list(client, filters, |items| {
        for i in items {
            let (id, title) = (
                i["id"].as_str().unwrap_or(""),
                i["title"].as_str().unwrap_or(""),
            );
            if title.to_lowercase().contains(&wanted) || id.starts_with(&wanted) {
                found.push((id.to_owned(), title.to_owned()));
            }
        }
        Ok(())
    })
    .await?;
    if !read {
        return Ok(None);
    }
    let exact: Vec<(String, String)> = found
        .iter()
        .filter(|(_, title)| title.to_lowercase() == wanted)
        .cloned()
        .collect();
    let (id, title) = match (&exact[..], &found[..]) {
        ([one], _) | ([], [one]) => one.clone(),
        (_, []) => return Ok(None),
        _ => {
            const SHOWN: usize = 10;
            let mut names: Vec<String> = found
                .iter()
                .take(SHOWN)
                .map(|(id, title)| format!("{title} ({id})"))
                .collect();
            if found.len() > SHOWN {
                names.push(format!("and {} more", found.len() - SHOWN));
            }
            return Err(CliError::Rejected {
                status: 404,
                detail: format!(
                    "no item has the id {words:?}, and {} of yours have it in their titles: {}; \
                     give the id",
                    found.len(),
                    names.join(", ")
                ),
            });
        }
    };
    eprintln!("{title} ({id})");
    Ok(Some(id))
}

async fn run_once(command: Command, client: &Client) -> Result<(), CliError> {
    let key = || uuid::Uuid::new_v4().to_string();
    match command {
        Command::Add {
            kind,
            title,
            creators,
            url,
            cover,
            no_cover,
            tags,
            private,
            id,
            duplicate,
            finished,
            rating,
        } => {
            let isbn = match kind {
                Kind::Book => isbn::in_title(&title).map_err(CliError::Usage)?,
                _ => None,
            };
            let (title, creators, url, cover) = match (isbn, web_page::link(&title)) {
                (Some(isbn), _) => {
                    let give_it = |why: String| {
                        CliError::Failed(format!(
                            "{why}; give the book's title: lately add book \"…\" --cover {isbn}"
                        ))
                    };
                    let http = open_library::client();
                    let book = open_library::by_isbn(&http, &open_library::base(), &isbn)
                        .await
                        .map_err(|why| {
                            give_it(format!("the ISBN {isbn} was not looked up: {why}"))
                        })?
                        .ok_or_else(|| {
                            give_it(format!("Open Library knows no book with the ISBN {isbn}"))
                        })?;
                    let creators = if creators.is_empty() {
                        book.authors
                    } else {
                        creators
                    };
                    eprintln!(
                        "{}{} (Open Library's, by the ISBN {isbn})",
                        book.title,
                        by(&json!({ "creators": creators }))
                    );
                    let cover = cover.or((!no_cover).then_some(book.cover));
                    (book.title, creators, url, cover)
                }
                (None, Some(link)) if url.is_none() => {
                    let page = web_page::fetch(&link).await?;
                    let creators = if creators.is_empty() {
                        page.creators
                    } else {
                        creators
                    };
                    eprintln!(
                        "{}{} ({})",
                        page.title,
                        by(&json!({ "creators": creators })),
                        page.url
                    );
                    (page.title, creators, Some(page.url), cover.or(page.cover))
                }
                (None, Some(_)) => {
                    return Err(CliError::Usage(
                        "the title is a link and --url another: give the title in words with \
                         --url, or the link alone (its page says the title)"
                            .into(),
                    ))
                }
                (None, None) => (title, creators, url, cover),
            };
            if !duplicate {
                not_added_already(client, kind, &title, &creators, url.as_deref()).await?;
            }
            // A book's cover by its title and author: a private one's title is not sent out.
            let cover = match cover {
                None if matches!(kind, Kind::Book) && !no_cover && !private => {
                    book_cover(&title, &creators).await
                }
                given => given,
            };
            let mut body = json!({
                "kind": kind.as_str(),
                "title": title,
                "creators": creators,
                "tags": tags,
                "visibility": if private { "private" } else { "public" },
            });
            for (field, value) in [("url", url), ("cover_url", cover), ("id", id)] {
                if let Some(v) = value {
                    body[field] = json!(v);
                }
            }
            let out = client.write("POST", "/v1/items", &body, &key()).await?;
            let added = out["id"].as_str().unwrap_or_default();
            // The id first, whatever becomes of the finish: one that fails (the writer gone
            // meanwhile) leaves an item the owner can find and finish.
            say(added)?;
            if finished {
                let mut body = json!({});
                if let Some(r) = rating {
                    body["rating"] = json!(r);
                }
                let finish = format!("{}/finish", item_path(added));
                client.write("POST", &finish, &body, &key()).await?;
            }
        }
        Command::Edit {
            id,
            title,
            kind,
            creators,
            no_creators,
            tags,
            no_tags,
            url,
            no_url,
            cover,
            no_cover,
            private,
            public,
        } => {
            let mut body = json!({});
            if let Some(t) = title {
                body["title"] = json!(t);
            }
            if let Some(k) = kind {
                body["kind"] = json!(k.as_str());
            }
            if no_creators || !creators.is_empty() {
                body["creators"] = json!(creators);
            }
            if no_tags || !tags.is_empty() {
                body["tags"] = json!(tags);
            }
            // A link given is set; `--no-…` sends `null`, which clears it.
            for (field, value, clear) in [("url", url, no_url), ("cover_url", cover, no_cover)] {
                if value.is_some() || clear {
                    body[field] = json!(value);
                }
            }
            if private || public {
                body["visibility"] = json!(if private { "private" } else { "public" });
            }
            if body.as_object().is_some_and(|b| b.is_empty()) {
                return Err(CliError::Usage(
                    "nothing to change: give at least one of --title, --kind, --by, --tag, \
                     --url, --cover, --private, --public (or a --no-… flag)"
                        .into(),
                ));
            }
            let out = client
                .write("PATCH", &item_path(&id), &body, &key())
                .await?;
            written(&id, &out)?;
        }
        Command::Start { id, at: None } => step(client, &id, "start", json!({})).await?,
        Command::Start { id, at: Some(w) } => started_at(client, &id, &at(&w)?).await?,
        Command::Progress { id, how_far } => {
            let body = match how_far {
                Move::To(to) => to.body(),
                // Made absolute from the item as the feed has it now, and sent with its
                // version: a change in between (another device's +20) is a 409, not a step
                // taken from a stale page.
                Move::By(_) => {
                    let answer = match owners_read(client, &id).await {
                        Some(answer) => answer,
                        None => client.read(&item_path(&id)).await,
                    }?;
                    let item = &answer["item"];
                    let mut body = how_far.from(item).map_err(CliError::Usage)?.body();
                    if let Some(version) = item["version"].as_i64() {
                        body["expected_version"] = json!(version);
                    }
                    body
                }
            };
            step(client, &id, "progress", body).await?
        }
        Command::Finish {
            id,
            rating,
            review,
            at: when,
            started,
            no_tweet,
            again,
        } => {
            // Both days are checked before anything is written.
            let begun = started.map(|s| time_of("--started", &s)).transpose()?;
            let ended = when.map(|w| time_of("--at", &w)).transpose()?;
            if let Some(begun) = begun {
                let ended = ended.unwrap_or_else(chrono::Utc::now);
                if begun > ended {
                    return Err(CliError::Usage(format!(
                        "--started {} is after the finish ({})",
                        begun.to_rfc3339(),
                        ended.to_rfc3339()
                    )));
                }
            }
            // A start given is a new read: only a bare finish of a finished item is suspect.
            if !again && begun.is_none() {
                not_finished_already(client, &id).await?;
            }
            let mut body = json!({});
            if no_tweet {
                body["tweet"] = json!(false);
            }
            if let Some(r) = rating {
                body["rating"] = json!(r);
            }
            if let Some(r) = review {
                body["review"] = json!(r);
            }
            if let Some(ended) = ended {
                body["at"] = json!(import::at_text(ended));
            }
            if let Some(begun) = begun {
                started_at(client, &id, &import::at_text(begun)).await?;
            }
            step(client, &id, "finish", body).await?
        }
        Command::Revise {
            id,
            rating,
            no_rating,
            review,
            no_review,
            started,
            finished,
        } => {
            let mut body = json!({});
            // A value given is set; `--no-…` sends `null`, which clears it.
            if rating.is_some() || no_rating {
                body["rating"] = json!(rating);
            }
            if review.is_some() || no_review {
                body["review"] = json!(review);
            }
            if let Some(started) = started {
                body["started_at"] = json!(import::at_text(time_of("--started", &started)?));
            }
            if let Some(finished) = finished {
                body["finished_at"] = json!(import::at_text(time_of("--finished", &finished)?));
            }
            if body.as_object().is_some_and(|b| b.is_empty()) {
                return Err(CliError::Usage(
                    "nothing to change: give --rating, --review, --no-rating, --no-review, --started or --finished".into(),
                ));
            }
            let out = client
                .write(
                    "PATCH",
                    &format!("{}/finish", item_path(&id)),
                    &body,
                    &key(),
                )
                .await?;
            written(&id, &out)?;
        }
        Command::Unfinish { id } => retract(client, &id, "finish").await?,
        Command::Unstart { id } => retract(client, &id, "start").await?,
        Command::Unabandon { id } => retract(client, &id, "abandon").await?,
        Command::Abandon { id } => step(client, &id, "abandon", json!({})).await?,
        Command::Remove { id } => {
            client
                .write("DELETE", &item_path(&id), &json!({}), &key())
                .await?;
            say(format_args!(
                "removed {id} (`lately restore {id}` brings it back)"
            ))?;
        }
        Command::Restore { id } => step(client, &id, "restore", json!({})).await?,
        Command::List {
            filter,
            year,
            limit,
            all,
        } => {
            let when = year.map_or_else(|| " yet".to_owned(), |y| format!(" in {y}"));
            let none = match all {
                true => format!("no finishes{}{when}", filter.said()),
                false => format!(
                    "no public finishes{}{when} (private ones are listed by `lately list --all`)",
                    filter.said()
                ),
            };
            let limit = match (limit, year) {
                (Some(n), _) => usize::try_from(n).unwrap_or(usize::MAX),
                (None, Some(_)) => usize::MAX,
                (None, None) => 20,
            };
            let year = year.map(|y| y.to_string());
            let mut query = filter.query();
            query.extend(year.as_deref().map(|y| ("year", y)));
            let (path, whose) = match all {
                true => ("/v1/owner/feed", Read::Owner),
                false => ("/v1/feed", Read::Public),
            };
            pages(client, path, &query, whose, limit, &none, feed_line).await?
        }
        Command::Current { filter } => {
            let none = "in progress (`lately start ID` starts an item)";
            public_items(client, "/v1/current", &filter, none).await?
        }
        Command::Queue { filter } => {
            let none = "waiting to be started (`lately add` adds to it)";
            public_items(client, "/v1/queue", &filter, none).await?
        }
        Command::Items { status, filter } => {
            let none = match status {
                Some(ItemStatus::Removed) => format!("no removed items{}", filter.said()),
                _ => format!("no items{} yet (`lately add` adds one)", filter.said()),
            };
            let mut filters = filter.query();
            filters.extend(status.map(|s| ("status", s.as_str())));
            pages(
                client,
                "/v1/owner/items",
                &filters,
                Read::Owner,
                usize::MAX,
                &none,
                owned_line,
            )
            .await?
        }
        Command::Show { id } => show(client, &id).await?,
        Command::Tags { all } => tags(client, all).await?,
        Command::Stats {
            year,
            all,
            filter,
            goal,
        } => stats(client, year, all, &filter, goal).await?,
        Command::Import {
            source,
            file,
            covers,
        } => import::run(client, source, &file, covers).await?,
        Command::Covers { dry_run } => covers(client, dry_run).await?,
        Command::Export => export(client).await?,
        Command::Demo => {
            import::demo(client).await?;
            // Where to see it all.
            say(format_args!(
                "your page: {}/",
                client.feed_url().trim_end_matches('/')
            ))?;
        }
        Command::Embed(widget) => embed(client.feed_url(), &widget)?,
        Command::Tweets { status, limit } => tweets(client, status, limit).await?,
        Command::RetryTweet { position } => {
            let entry = client
                .notifier_post(&format!("/v1/outbox/{position}/retry"))
                .await?;
            say(format_args!(
                "{position}: {} again (`lately tweets` shows how it went)",
                entry["status"].as_str().unwrap_or("pending")
            ))?;
        }
        // Answered in `main`, before any client is made.
        Command::Completions { .. } => {}
    }
    Ok(())
}

/// What a widget lists (its `data-show`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Show {
    Finished,
    Current,
    Queue,
    /// How much was finished in a year, by kind, with the average rating.
    Stats,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Layout {
    List,
    Covers,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Theme {
    Auto,
    Light,
    Dark,
}

/// A rating as the writer takes it (0.5 to 5 in half steps), checked before anything is
/// written: `add --finished --rating 7` adds nothing.
fn rating_of(raw: &str) -> Result<f64, String> {
    let r: f64 = raw
        .parse()
        .map_err(|_| format!("{raw:?} is not a number of stars"))?;
    lately_domain::Rating::parse(r).map_err(|e| e.to_string())?;
    Ok(r)
}

/// A widget's heading: what the reader takes (1–100 characters).
fn widget_title(raw: &str) -> Result<String, String> {
    match raw.chars().count() {
        _ if raw.trim().is_empty() => Err("a title cannot be empty".to_owned()),
        n if n > 100 => Err(format!("at most 100 characters (this has {n})")),
        _ => Ok(raw.to_owned()),
    }
}

/// What `lately embed` puts in its snippet: the widget's options, as its `data-` attributes
/// (or the page's query) name them.
#[derive(Debug, Clone, clap::Args)]
struct Widget {
    /// What the widget lists.
    #[arg(long, value_enum, default_value_t = Show::Finished)]
    show: Show,
    #[command(flatten)]
    filter: Filter,
    /// How many it shows.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(1..=100))]
    limit: u8,
    /// The year `--show stats` counts (by default the current one where the owner is), or
    /// whose finishes the widget lists (by default the latest, whenever they were).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1900..=9999))]
    year: Option<i32>,
    /// How many finishes `--show stats` counts against in the year (of `--kind`, if given:
    /// `--kind book --goal 24` is 24 books), with how far ahead of or behind schedule you are.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    goal: Option<u32>,
    /// Each finish's review under it (the finishes' list only).
    #[arg(long)]
    reviews: bool,
    /// `covers`: a grid of covers, as a shelf shows them, each title on a hover or a tab
    /// (the lists, not `--show stats`).
    #[arg(long, value_enum, default_value_t = Layout::List)]
    layout: Layout,
    #[arg(long, value_enum, default_value_t = Theme::Auto)]
    theme: Theme,
    /// Its heading (1–100 characters; by default one for what it shows).
    #[arg(long, value_parser = widget_title)]
    title: Option<String>,
    /// An `<iframe>` of the widget's page instead of the script, for a site whose pages take
    /// no outside script (the page runs its own, and stays live just the same).
    #[arg(long)]
    iframe: bool,
}

/// `lately embed`: the snippet for a blog, the script's `<div>` or the page's `<iframe>`. What
/// the reader would refuse is refused here by the arguments' parsers, so a snippet printed is
/// one the reader serves. A feed at this machine's own address is said on stderr: a blog's
/// readers would not reach it.
fn embed(feed: &str, w: &Widget) -> Result<(), CliError> {
    let stats = w.show == Show::Stats;
    if w.year.is_some() && !matches!(w.show, Show::Stats | Show::Finished) {
        return Err(CliError::Usage(
            "--year is for the finishes (the default --show) or --show stats".into(),
        ));
    }
    if w.goal.is_some() && !stats {
        return Err(CliError::Usage("--goal is for --show stats".into()));
    }
    if w.reviews && w.show != Show::Finished {
        return Err(CliError::Usage(
            "--reviews is for the finishes (the default --show)".into(),
        ));
    }
    if w.layout == Layout::Covers && stats {
        return Err(CliError::Usage(
            "--layout covers is for the lists (the finishes, --show current or queue), not --show stats"
                .into(),
        ));
    }
    let heading = match (w.show, w.year) {
        (Show::Finished | Show::Stats, Some(year)) => format!("Finished in {year}"),
        (Show::Finished, None) => "Recently finished".to_owned(),
        (Show::Current, _) => "In progress".to_owned(),
        (Show::Queue, _) => "Up next".to_owned(),
        (Show::Stats, None) => "Finished this year".to_owned(),
    };
    let heading = attribute(w.title.as_deref().unwrap_or(&heading));
    let mut options: Vec<(&str, String)> = Vec::new();
    if w.show != Show::Finished {
        options.push(("show", value_name(&w.show)));
    }
    for (name, value) in w.filter.query() {
        options.push((name, value.to_owned()));
    }
    if !stats {
        options.push(("limit", w.limit.to_string()));
    }
    if let Some(year) = w.year {
        options.push(("year", year.to_string()));
    }
    if let Some(goal) = w.goal {
        options.push(("goal", goal.to_string()));
    }
    if w.reviews {
        options.push(("reviews", "true".to_owned()));
    }
    if w.layout == Layout::Covers {
        options.push(("layout", value_name(&w.layout)));
    }
    options.push(("theme", value_name(&w.theme)));
    if let Some(title) = &w.title {
        options.push(("title", title.clone()));
    }
    let snippet = if w.iframe {
        let query = serde_urlencoded::to_string(&options).expect("strings encode");
        format!(
            r#"<iframe src="{}" title="{heading}" width="100%" height="420" style="border: 0"></iframe>"#,
            attribute(&format!("{feed}/widget?{query}"))
        )
    } else {
        let data: String = options
            .iter()
            .map(|(name, value)| format!(r#" data-{name}="{}""#, attribute(value)))
            .collect();
        format!(
            "<div data-lately{data}></div>\n<script src=\"{}/widget.js\" async></script>",
            attribute(feed)
        )
    };
    let local = reqwest::Url::parse(feed)
        .ok()
        .is_some_and(|u| match u.host_str() {
            Some("localhost" | "[::1]") => true,
            Some(host) => host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback()),
            None => false,
        });
    if local {
        eprintln!(
            "{feed} is this machine's own address for the feed: for a blog, give the one its \
             readers reach (--feed or LATELY_FEED_URL)"
        );
    }
    say(snippet)
}

/// A value as clap spells it on the command line (`current`, `dark`): the reader's word too.
fn value_name(v: &impl ValueEnum) -> String {
    v.to_possible_value()
        .expect("no skipped variants")
        .get_name()
        .to_owned()
}

/// `raw` for an HTML attribute's value in double quotes.
fn attribute(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What `--kind` and `--tag` pick, in the lists that take them (as the feed does).
#[derive(Debug, Clone, clap::Args)]
struct Filter {
    /// Only items of this kind.
    #[arg(long)]
    kind: Option<Kind>,
    /// Only items with this tag (in any case: tags are stored lower-case).
    #[arg(long, value_parser = tag_arg)]
    tag: Option<String>,
}

/// A tag as the reader takes it (1–50 characters), as typed.
fn tag_arg(raw: &str) -> Result<String, String> {
    lately_domain::Tag::parse(raw)
        .map(|_| raw.to_owned())
        .map_err(|e| e.to_string())
}

impl Filter {
    /// The query parameters it adds.
    fn query(&self) -> Vec<(&'static str, &str)> {
        let kind = self.kind.map(|k| ("kind", k.as_str()));
        let tag = self.tag.as_deref().map(|t| ("tag", t));
        kind.into_iter().chain(tag).collect()
    }

    /// " of kind book tagged sf", for the messages of an empty list.
    fn said(&self) -> String {
        let kind = self.kind.map(|k| format!(" of kind {}", k.as_str()));
        let tag = self.tag.as_ref().map(|t| format!(" tagged {t}"));
        kind.into_iter().chain(tag).collect()
    }
}

/// Every page of a public list of items at `path`, filtered; when there is none, says
/// "nothing public {none}".
async fn public_items(
    client: &Client,
    path: &str,
    filter: &Filter,
    none: &str,
) -> Result<(), CliError> {
    let none = format!("nothing public{} {none}", filter.said());
    pages(
        client,
        path,
        &filter.query(),
        Read::Public,
        usize::MAX,
        &none,
        item_line,
    )
    .await
}

/// Prints the notifier's outbox, newest finish first, page by page up to `at_most` entries.
async fn tweets(
    client: &Client,
    status: Option<TweetStatus>,
    at_most: u64,
) -> Result<(), CliError> {
    let at_most = usize::try_from(at_most).unwrap_or(usize::MAX);
    let (mut printed, mut before) = (0, None::<i64>);
    while printed < at_most {
        let limit = (at_most - printed).min(1000).to_string();
        let before_s = before.map(|b| b.to_string());
        let mut query: Vec<(&str, &str)> = vec![("limit", &limit)];
        query.extend(status.map(|s| ("status", s.as_str())));
        query.extend(before_s.as_deref().map(|b| ("before", b)));
        let page = client
            .notifier_get(&format!(
                "/v1/outbox?{}",
                serde_urlencoded::to_string(&query).expect("pairs of strings")
            ))
            .await?;
        let entries = page["entries"].as_array().map_or(&[][..], Vec::as_slice);
        if printed == 0 && entries.is_empty() {
            eprintln!(
                "no tweets{} (the notifier has one for each public finish since it first started)",
                status
                    .map(|s| format!(" {}", s.as_str().replace('_', " ")))
                    .unwrap_or_default()
            );
        }
        entries.iter().try_for_each(|e| say(tweet_line(e)))?;
        printed += entries.len();
        match page["next_before"].as_i64() {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    Ok(())
}

/// An outbox entry: its position (what `retry-tweet` takes), its state, the item, the
/// tweet's text (once composed), and why it is where it is (a posted one's only when there
/// is something to know: it went without its cover, say).
fn tweet_line(e: &Value) -> String {
    let status = e["status"].as_str().unwrap_or("");
    let mut line = format!(
        "{:>8}  {:<8} {}",
        e["finish_position"].as_i64().unwrap_or_default(),
        status.replace('_', " "),
        e["item_id"].as_str().unwrap_or("")
    );
    let text = e["text"].as_str().filter(|t| !t.is_empty());
    let reason = e["reason"].as_str().filter(|r| !r.is_empty());
    for (i, part) in [text, reason].into_iter().flatten().enumerate() {
        line.push_str(if i == 0 { "  " } else { " — " });
        line.push_str(part);
    }
    line
}

/// Whose list a read is.
enum Read {
    Public,
    /// With the owner's token.
    Owner,
}

/// Prints a list at `path` (filtered by `filters`) page by page, one `line` per entry, until
/// `at_most` entries or the list's end. Each page answers from the first one's position, so
/// the entries are those of one moment however many pages it takes. With no entry at all,
/// says `none` on stderr: a script reading stdout sees no lines, a person sees why.
async fn pages(
    client: &Client,
    path: &str,
    filters: &[(&str, &str)],
    whose: Read,
    at_most: usize,
    none: &str,
    line: fn(&Value) -> String,
) -> Result<(), CliError> {
    let (printed, _) = each_page(client, path, filters, whose, at_most, |items| {
        items.iter().try_for_each(|i| say(line(i)))
    })
    .await?;
    if printed == 0 {
        eprintln!("{none}");
    }
    Ok(())
}

/// Reads a list at `path` a page at a time (of at most 100), handing each page's entries to
/// `f`, until `at_most` entries or the list's end; returns how many there were, and the log
/// position every page answered from. Only a first page can be empty: a next one is offered
/// only when entries follow.
async fn each_page(
    client: &Client,
    path: &str,
    filters: &[(&str, &str)],
    whose: Read,
    at_most: usize,
    mut f: impl FnMut(&[Value]) -> Result<(), CliError>,
) -> Result<(usize, i64), CliError> {
    let (mut seen, mut cursor, mut position) = (0, None::<String>, 0);
    while seen < at_most {
        let limit = (at_most - seen).min(100).to_string();
        let mut query: Vec<(&str, &str)> = vec![("limit", &limit)];
        query.extend_from_slice(filters);
        query.extend(cursor.as_deref().map(|c| ("cursor", c)));
        let url = format!(
            "{path}?{}",
            serde_urlencoded::to_string(&query).expect("pairs of strings")
        );
        let page = match whose {
            Read::Public => client.read(&url).await?,
            Read::Owner => client.read_as_owner(&url).await?,
        };
        let items = page["items"].as_array().map_or(&[][..], Vec::as_slice);
        f(items)?;
        seen += items.len();
        position = page["position"].as_i64().unwrap_or(position);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    Ok((seen, position))
}

/// An item of `/v1/current` or `/v1/queue`: its progress, if any, after the title; its id last.
fn item_line(i: &Value) -> String {
    let progress = how_far::said(i)
        .map(|p| format!(" {p}"))
        .unwrap_or_default();
    let since = match day(&i["started_at"]) {
        d if d.is_empty() => d,
        d => format!(", since {d}"),
    };
    format!(
        "{:<8} {}{progress}{since}  ({})",
        i["kind"].as_str().unwrap_or(""),
        i["title"].as_str().unwrap_or(""),
        i["id"].as_str().unwrap_or("")
    )
}

/// An item of the owner's list: [`item_line`] after its status, marked when private.
fn owned_line(i: &Value) -> String {
    format!(
        "{:<11} {}{}",
        i["status"].as_str().unwrap_or("").replace('_', " "),
        item_line(i),
        private_mark(i)
    )
}

/// Records that the item was started `at`: a start, or, for an item already in progress
/// (logged today, begun last week), its start moved there, its progress kept.
async fn started_at(client: &Client, id: &str, at: &str) -> Result<(), CliError> {
    match step(client, id, "start", json!({ "at": at })).await {
        Err(CliError::Rejected {
            status: 409,
            detail,
        }) if detail.contains("already in progress") => {
            let key = uuid::Uuid::new_v4().to_string();
            let path = format!("{}/start", item_path(id));
            let out = client
                .write("PATCH", &path, &json!({ "started_at": at }), &key)
                .await?;
            say(format_args!(
                "{id} v{} (position {}): already in progress, its start moved to {}",
                out["version"],
                out["position"],
                day(&json!(at))
            ))
        }
        done => done,
    }
}

async fn step(client: &Client, id: &str, what: &str, body: Value) -> Result<(), CliError> {
    let key = uuid::Uuid::new_v4().to_string();
    let out = client
        .write("POST", &format!("{}/{what}", item_path(id)), &body, &key)
        .await?;
    written(id, &out)
}

/// What a write to an item did: its new version and the log position.
fn written(id: &str, out: &Value) -> Result<(), CliError> {
    say(format_args!(
        "{id} v{} (position {})",
        out["version"], out["position"]
    ))
}

/// What an item's id keeps unencoded in a path: URL-unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An item's path: its id as one path segment, percent-encoded, so that an id typed with a
/// `/` or `?` in it is answered as an unknown item instead of reaching another route.
fn item_path(id: &str) -> String {
    format!(
        "/v1/items/{}",
        percent_encoding::utf8_percent_encode(id, SEGMENT)
    )
}

/// The owner's read of an item (private ones too), its id encoded as [`item_path`]'s.
fn owner_item_path(id: &str) -> String {
    format!(
        "/v1/owner/items/{}",
        percent_encoding::utf8_percent_encode(id, SEGMENT)
    )
}

/// " ★★★★½" for a rating of 4.5, "" for none.
fn stars(rating: &Value) -> String {
    rating
        .as_f64()
        .map(|r| {
            let halves = (r * 2.0).round() as usize;
            format!(
                " {}{}",
                "★".repeat(halves / 2),
                if halves % 2 == 1 { "½" } else { "" }
            )
        })
        .unwrap_or_default()
}

/// " by A, B" for an item's creators, "" for none.
fn by(item: &Value) -> String {
    item["creators"]
        .as_array()
        .filter(|c| !c.is_empty())
        .map(|c| {
            format!(
                " by {}",
                c.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .unwrap_or_default()
}

/// The day of an RFC 3339 time in this machine's time zone (`TZ`): the day you finished
/// something at 9 pm is that day, not the next one UTC has reached. Empty when `t` is no time.
fn day(t: &Value) -> String {
    date(t)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// [`day`] as a date.
fn date(t: &Value) -> Option<chrono::NaiveDate> {
    t.as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Local).date_naive())
}

/// ", took 13 days": how many days of this machine's calendar a finish's read took, as the
/// widget says it in the viewer's; nothing for one begun the day it ended, or never started.
fn took(e: &Value) -> String {
    let days = date(&e["started_at"])
        .zip(date(&e["finished_at"]))
        .map_or(0, |(start, end)| (end - start).num_days());
    match days {
        1 => ", took 1 day".to_owned(),
        2.. => format!(", took {days} days"),
        _ => String::new(),
    }
}

/// The columns of `lately export`.
const EXPORT_COLUMNS: [&str; 16] = [
    "id",
    "kind",
    "title",
    "creators",
    "tags",
    "url",
    "cover_url",
    "visibility",
    "status",
    "progress",
    "added_at",
    "updated_at",
    "started_at",
    "finished_at",
    "rating",
    "review",
];

/// `lately export`: the owner's feed, then the owner's items with no finish in it, both as of
/// the feed's first page, so that an item finished meanwhile is in neither twice nor half.
async fn export(client: &Client) -> Result<(), CliError> {
    let mut finishes = Vec::new();
    let (_, position) = each_page(
        client,
        "/v1/owner/feed",
        &[],
        Read::Owner,
        usize::MAX,
        |e| {
            finishes.extend_from_slice(e);
            Ok(())
        },
    )
    .await?;
    let mut items = Vec::new();
    let as_of = position.to_string();
    let filters = [("as_of", as_of.as_str())];
    each_page(
        client,
        "/v1/owner/items",
        &filters,
        Read::Owner,
        usize::MAX,
        |i| {
            items.extend_from_slice(i);
            Ok(())
        },
    )
    .await?;
    let finished: std::collections::HashSet<&str> = finishes
        .iter()
        .filter_map(|e| e["item"]["id"].as_str())
        .collect();
    let unfinished = items
        .iter()
        .filter(|i| !finished.contains(i["id"].as_str().unwrap_or("")));

    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let list = |v: &Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    };
    let row = |item: &Value, visibility: &Value, finish: Option<&Value>| {
        let of = |k: &str| finish.map(|f| &f[k]).unwrap_or(&Value::Null);
        [
            text(&item["id"]),
            text(&item["kind"]),
            text(&item["title"]),
            list(&item["creators"]),
            list(&item["tags"]),
            text(&item["url"]),
            text(&item["cover_url"]),
            text(visibility),
            text(&item["status"]),
            how_far::column(item),
            text(&item["added_at"]),
            text(&item["updated_at"]),
            // A finish's read, or (a row without one) the read in progress.
            text(finish.map_or(&item["started_at"], |f| &f["started_at"])),
            text(of("finished_at")),
            of("rating")
                .as_f64()
                .map(|r| r.to_string())
                .unwrap_or_default(),
            text(of("review")),
        ]
    };
    let mut csv = csv::Writer::from_writer(Vec::new());
    let write = |csv: &mut csv::Writer<Vec<u8>>, record: &[String]| {
        csv.write_record(record)
            .map_err(|e| CliError::Failed(format!("cannot write the CSV: {e}")))
    };
    write(&mut csv, &EXPORT_COLUMNS.map(String::from))?;
    for e in &finishes {
        write(&mut csv, &row(&e["item"], &e["visibility"], Some(e)))?;
    }
    for i in unfinished {
        write(&mut csv, &row(i, &i["visibility"], None))?;
    }
    let bytes = csv
        .into_inner()
        .map_err(|e| CliError::Failed(format!("cannot write the CSV: {e}")))?;
    output(&bytes)
}

/// Prints the public finishes' counts (or, `all`, the owner's: private ones too), of one kind
/// or tag if `filter` says: a summary line, with a `goal` the year's count against it, then a
/// bar per month of `year` (or per year).
async fn stats(
    client: &Client,
    year: Option<i32>,
    all: bool,
    filter: &Filter,
    goal: Option<u32>,
) -> Result<(), CliError> {
    let read = |year: Option<i32>| async move {
        let path = match all {
            true => "/v1/owner/stats",
            false => "/v1/stats",
        };
        let year_param = year.map(|y| y.to_string());
        let mut query = filter.query();
        query.extend(year_param.as_deref().map(|y| ("year", y)));
        let path = match query.is_empty() {
            true => path.to_owned(),
            false => format!(
                "{path}?{}",
                serde_urlencoded::to_string(&query).expect("strings encode")
            ),
        };
        match all {
            true => client.read_as_owner(&path).await,
            false => client.read(&path).await,
        }
    };
    let Some(goal) = goal else {
        let s = read(year).await?;
        say(stats_header(year, &s))?;
        // The owner's goals for the year (the readers' LATELY_GOALS), when it is this one.
        if let (Some(year), Some(goals)) = (year, s["goals"].as_array()) {
            let today = owners_today(&s);
            for g in goals {
                let (Some(n), Some(finished)) = (g["goal"].as_u64(), g["finished"].as_u64()) else {
                    continue;
                };
                let Some(goal) = Goal::new(n) else { continue };
                let kind = g["kind"].as_str().and_then(|k| MediaKind::parse(k).ok());
                say(goal_line(finished, goal, kind, year, today))?;
            }
        }
        return stats_bars(year, &s);
    };
    let goal = Goal::new(goal.into()).expect("in range, as --goal's parser checks");
    // A goal is a year's: this one where the readers count, which the answer names (a second
    // read only when that year is not this machine's, around New Year).
    let guess = year.unwrap_or_else(|| chrono::Datelike::year(&chrono::Local::now()));
    let mut s = read(Some(guess)).await?;
    let today = owners_today(&s);
    let year = year.unwrap_or(chrono::Datelike::year(&today));
    if year != guess {
        s = read(Some(year)).await?;
    }
    say(stats_header(Some(year), &s))?;
    let kind = filter.kind.and_then(|k| MediaKind::parse(k.as_str()).ok());
    let finished = s["finished"].as_u64().unwrap_or(0);
    say(goal_line(finished, goal, kind, year, today))?;
    stats_bars(Some(year), &s)
}

/// Today in the owner's calendar: the time zone a stats answer names.
fn owners_today(s: &Value) -> chrono::NaiveDate {
    s["time_zone"]
        .as_str()
        .and_then(|z| Zone::parse(z).ok())
        .unwrap_or_default()
        .date(chrono::Utc::now())
}

/// "goal: 14 of 24 books (58%), 2 books ahead of schedule", as the stats widget says it.
fn goal_line(
    finished: u64,
    goal: Goal,
    kind: Option<MediaKind>,
    year: i32,
    today: chrono::NaiveDate,
) -> String {
    let of = kind.map_or_else(String::new, |k| format!(" {}", k.noun(goal.get())));
    let pace = Pace::of(finished, goal, year, today)
        .describe(kind)
        .map_or_else(String::new, |p| format!(", {p}"));
    format!(
        "goal: {finished} of {}{of} ({}%){pace}",
        goal.get(),
        finished * 100 / goal.get()
    )
}

/// The bars of `lately stats`: the year's months, or every year.
fn stats_bars(year: Option<i32>, s: &Value) -> Result<(), CliError> {
    let rows: Vec<(String, u64)> = match year {
        Some(_) => [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .iter()
        .zip(s["by_month"].as_array().map_or(&[][..], Vec::as_slice))
        .map(|(m, n)| ((*m).to_owned(), n.as_u64().unwrap_or(0)))
        .collect(),
        None => s["by_year"]
            .as_object()
            .map(|y| {
                y.iter()
                    .map(|(year, n)| (year.clone(), n.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default(),
    };
    // Bars scaled to the busiest row, at most 40 wide; a row with any finish gets one.
    let most = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    for (label, n) in rows {
        let width = (n * 40).div_ceil(most) as usize;
        say(format_args!("{label:>4} {n:>4} {}", "▇".repeat(width))
            .to_string()
            .trim_end())?;
    }
    Ok(())
}

/// `lately tags`: a line per tag, "sf  12 items, 9 finished", the names in a column.
async fn tags(client: &Client, all: bool) -> Result<(), CliError> {
    let answer = match all {
        true => client.read_as_owner("/v1/owner/tags").await?,
        false => client.read("/v1/tags").await?,
    };
    let tags = answer["tags"].as_array().map_or(&[][..], Vec::as_slice);
    if tags.is_empty() {
        eprintln!("no {}item has a tag", if all { "" } else { "public " });
        return Ok(());
    }
    let width = tags
        .iter()
        .map(|t| t["tag"].as_str().unwrap_or_default().chars().count())
        .max()
        .unwrap_or(0);
    for t in tags {
        let items = t["items"].as_u64().unwrap_or(0);
        say(format_args!(
            "{:<width$}  {items} item{}, {} finished",
            t["tag"].as_str().unwrap_or_default(),
            if items == 1 { "" } else { "s" },
            t["finished"].as_u64().unwrap_or(0)
        ))?;
    }
    Ok(())
}

/// The first line of `lately stats`: the year's (or all time's) count by kind, the average
/// rating, and the calendar the readers counted in when it is not UTC (`LATELY_TIME_ZONE`:
/// a finish on New Year's Eve in California is that year's there, the next one's in UTC).
fn stats_header(year: Option<i32>, s: &Value) -> String {
    let kinds: Vec<String> = s["by_kind"]
        .as_object()
        .map(|k| k.iter().map(|(kind, n)| format!("{kind} {n}")).collect())
        .unwrap_or_default();
    let rated = match (s["rated"].as_u64(), s["average_rating"].as_f64()) {
        (Some(n), Some(avg)) if n > 0 => format!("; {avg}★ on average over {n} rated"),
        _ => String::new(),
    };
    let zone = match s["time_zone"].as_str() {
        Some(zone) if zone != "UTC" => format!(" (counted in {zone})"),
        _ => String::new(),
    };
    format!(
        "{}: {} finished{}{rated}{zone}",
        year.map_or_else(|| "All time".to_owned(), |y| y.to_string()),
        s["finished"],
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        }
    )
}

/// The owner's read of an item: private ones too. `None` where only the public read can
/// answer: a reader given no owner token refuses it (403), and one that has one refuses a
/// request without it (401). (Under `make run`, whose readers ask for no token, the owner's
/// read answers without one.) A wrong token is said, not passed over.
async fn owners_read(client: &Client, id: &str) -> Option<Result<Value, CliError>> {
    match client.read_as_owner(&owner_item_path(id)).await {
        Err(CliError::Rejected { status: 403, .. }) => None,
        Err(CliError::Rejected { status: 401, .. }) if !client.has_token() => None,
        other => Some(other),
    }
}

/// Refuses to finish an item that is finished already (and was not started since): most
/// often the same command run twice, which would record a re-read and tweet it. A rewatch
/// says `--again`. Without the owner's read (no token), nothing is checked.
async fn not_finished_already(client: &Client, id: &str) -> Result<(), CliError> {
    let Some(answer) = owners_read(client, id).await else {
        return Ok(());
    };
    let answer = answer?;
    let item = &answer["item"];
    if item["status"] != "finished" {
        return Ok(());
    }
    // When its latest finish that stands happened: a retraction takes one back, a revision
    // may have moved it.
    let mut finishes = Vec::new();
    for entry in answer["history"].as_array().map_or(&[][..], Vec::as_slice) {
        let data = &entry["data"];
        match entry["type"].as_str() {
            Some("item_finished") => finishes.push(data["at"].clone()),
            Some("item_finish_retracted") => {
                finishes.pop();
            }
            Some("item_finish_revised") if data.get("finished_at").is_some() => {
                if let Some(last) = finishes.last_mut() {
                    *last = data["finished_at"].clone();
                }
            }
            _ => {}
        }
    }
    let on = finishes
        .last()
        .map_or_else(String::new, |at| format!(", on {}", day(at)));
    Err(CliError::Usage(format!(
        "{} ({}) is finished already{on}: finishing it again records a re-read (a rewatch, a \
         replay) and tweets it; say so with --again, or change that finish with `lately revise` \
         (`lately unfinish` takes it back)",
        item["title"].as_str().unwrap_or(id),
        item["id"].as_str().unwrap_or(id),
    )))
}

/// Refuses to add what the owner has already: an item of the same kind whose title has the
/// same words (in any case, whatever the punctuation) and, when both name creators, one creator
/// in common. Most often the same thing added twice, or a re-read begun with `add` instead of
/// `start`; another edition or a remake says `--duplicate`. A removed item counts: restoring
/// it brings back its history. Without the owner's read (no token), nothing is checked.
async fn not_added_already(
    client: &Client,
    kind: Kind,
    title: &str,
    creators: &[String],
    link: Option<&str>,
) -> Result<(), CliError> {
    let wanted = words(title);
    if wanted.is_empty() && link.is_none() {
        return Ok(());
    }
    let named: Vec<Vec<String>> = creators.iter().map(|c| words(c)).collect();
    let same_page = |item: &Value| {
        link.zip(item["url"].as_str())
            .is_some_and(|(a, b)| web_page::same_page(a, b))
    };
    let same = |item: &Value| {
        let theirs: Vec<Vec<String>> = item["creators"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(Value::as_str)
            .map(words)
            .collect();
        // The same page is the same article, whatever either title says.
        same_page(item)
            || !wanted.is_empty()
                && words(item["title"].as_str().unwrap_or_default()) == wanted
                && (named.is_empty()
                    || theirs.is_empty()
                    || named.iter().any(|c| theirs.contains(c)))
    };
    let mut found: Option<Value> = None;
    // The items in the owner's outputs first: one of those is the likelier meaning.
    for status in [None, Some(ItemStatus::Removed)] {
        let mut filters = vec![("kind", kind.as_str())];
        filters.extend(status.map(|s| ("status", s.as_str())));
        let read = owners_list(client, &filters, |items| {
            if found.is_none() {
                found = items.iter().find(|i| same(i)).cloned();
            }
            Ok(())
        })
        .await?;
        if !read {
            return Ok(());
        }
        if found.is_some() {
            break;
        }
    }
    let Some(item) = found else {
        return Ok(());
    };
    let id = item["id"].as_str().unwrap_or_default();
    let (state, then) = match item["status"].as_str().unwrap_or_default() {
        "in_progress" => (
            match day(&item["started_at"]) {
                since if since.is_empty() => "in progress".to_owned(),
                since => format!("in progress since {since}"),
            },
            format!("`lately progress {id} …` and `lately finish {id}` go on with it"),
        ),
        "finished" => (
            match item["times_finished"].as_u64() {
                Some(n) if n > 1 => format!("finished {n} times"),
                _ => "finished".to_owned(),
            },
            format!("to go through it again, `lately start {id}`"),
        ),
        "abandoned" => (
            "abandoned".to_owned(),
            format!("`lately start {id}` takes it up again"),
        ),
        "removed" => (
            "removed".to_owned(),
            format!("`lately restore {id}` brings it back, with its history"),
        ),
        _ => (
            "up next".to_owned(),
            format!("`lately start {id}` starts it"),
        ),
    };
    let (what, another) = if same_page(&item) {
        (", the same page", "to add it again all the same")
    } else {
        (
            "",
            "to add another all the same (another edition, a remake)",
        )
    };
    Err(CliError::Usage(format!(
        "{}{} is in your list already ({id}, {state}{what}): {then}; {another}, say --duplicate",
        item["title"].as_str().unwrap_or(title),
        by(&item),
    )))
}

/// Every page of the owner's list with `filters`, each to `f`. `false` when the owner's list
/// cannot be read (no token, or a reader given none): what the guards and the title lookup
/// take as nothing to go on.
async fn owners_list(
    client: &Client,
    filters: &[(&str, &str)],
    f: impl FnMut(&[Value]) -> Result<(), CliError>,
) -> Result<bool, CliError> {
    match each_page(
        client,
        "/v1/owner/items",
        filters,
        Read::Owner,
        usize::MAX,
        f,
    )
    .await
    {
        Ok(_) => Ok(true),
        Err(CliError::Rejected {
            status: 401 | 403, ..
        }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `lately covers`: each public book of the owner's with an author and no cover, looked up on
/// Open Library two at a time; a cover found set with the version the book was read at (a
/// book edited meanwhile is a conflict, said and left as it is). A line on stdout for each
/// cover set, the count on stderr.
async fn covers(client: &Client, dry_run: bool) -> Result<(), CliError> {
    use futures::StreamExt;

    let mut books = Vec::new();
    each_page(
        client,
        "/v1/owner/items",
        &[("kind", "book")],
        Read::Owner,
        usize::MAX,
        |items| {
            books.extend(
                items
                    .iter()
                    .filter(|i| {
                        i["cover_url"].is_null()
                            && i["visibility"] == "public"
                            && i["creators"].as_array().is_some_and(|c| !c.is_empty())
                    })
                    .cloned(),
            );
            Ok(())
        },
    )
    .await?;
    let (http, base) = (open_library::client(), open_library::base());
    let looked_up: Vec<(Value, Result<Option<String>, String>)> =
        futures::stream::iter(books.iter().map(|book| {
            let (http, base) = (&http, &base);
            async move { (book.clone(), open_library::find_for(http, base, book).await) }
        }))
        .buffered(2)
        .collect()
        .await;
    let (mut set, mut failed) = (0, 0);
    for (book, found) in looked_up {
        let (id, title) = (
            book["id"].as_str().unwrap_or_default(),
            book["title"].as_str().unwrap_or_default(),
        );
        let cover = match found {
            Ok(Some(cover)) => cover,
            Ok(None) => continue,
            Err(why) => {
                eprintln!("{id}  {title}: {why}");
                failed += 1;
                continue;
            }
        };
        if !dry_run {
            let body = json!({ "cover_url": cover, "expected_version": book["version"] });
            let key = uuid::Uuid::new_v4().to_string();
            if let Err(e) = client.write("PATCH", &item_path(id), &body, &key).await {
                eprintln!("{id}  {title}: not set: {e}");
                failed += 1;
                continue;
            }
        }
        set += 1;
        say(format_args!("{id}  {title}  {cover}"))?;
    }
    let books = books.len();
    eprintln!(
        "{} for {set} of {books} {} without one, found on Open Library by title and author{}",
        if dry_run {
            "covers to set"
        } else {
            "covers set"
        },
        if books == 1 { "book" } else { "books" },
        match failed {
            0 => String::new(),
            n => format!(" ({n} not looked up or not set: above)"),
        }
    );
    Ok(())
}

/// The cover Open Library has of the book called `title` by `creators` (none without them), said
/// on stderr; a look-up that fails is said too, and the book goes without.
async fn book_cover(title: &str, creators: &[String]) -> Option<String> {
    if creators.is_empty() {
        return None;
    }
    let http = open_library::client();
    match open_library::find(&http, &open_library::base(), title, creators).await {
        Ok(Some(cover)) => {
            eprintln!("cover: Open Library's ({cover})");
            Some(cover)
        }
        Ok(None) => {
            eprintln!(
                "no cover of it on Open Library (--cover takes a picture's link, or the ISBN \
                 on the book's back)"
            );
            None
        }
        Err(why) => {
            eprintln!("no cover: {why}");
            None
        }
    }
}

/// A title's or a name's words, in lower case: what two spellings of one title share.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Takes back the item's latest `what` (`finish`, `start`): `DELETE /v1/items/{id}/{what}`.
async fn retract(client: &Client, id: &str, what: &str) -> Result<(), CliError> {
    let path = format!("{}/{what}", item_path(id));
    let out = client
        .write(
            "DELETE",
            &path,
            &json!({}),
            &uuid::Uuid::new_v4().to_string(),
        )
        .await?;
    written(id, &out)
}

/// Prints an item, then a line per event of its history, oldest first, dated by when it
/// happened (a backdated finish by its own date).
async fn show(client: &Client, id: &str) -> Result<(), CliError> {
    // The owner's read first: private items too; the public read still shows a public item.
    let owned = owners_read(client, id).await;
    let hint = match owned {
        Some(_) => {
            "`lately items` lists your items, `lately items --status removed` the removed ones"
        }
        None => "a private or removed item is shown by no public read: with your token, `lately items` lists yours",
    };
    let answer = match owned {
        Some(answer) => answer,
        None => client.read(&item_path(id)).await,
    }
    .map_err(|e| match e {
        CliError::Rejected {
            status: 404,
            detail,
        } => CliError::Rejected {
            status: 404,
            detail: format!("{detail} ({hint})"),
        },
        e => e,
    })?;
    let item = &answer["item"];
    say(format_args!(
        "{} — {}{}  ({}){}",
        item["title"].as_str().unwrap_or(""),
        item["kind"].as_str().unwrap_or(""),
        by(item),
        item["id"].as_str().unwrap_or(id),
        private_mark(item)
    ))?;
    let tags: Vec<_> = item["tags"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !tags.is_empty() {
        say(format_args!("  tags: {}", tags.join(", ")))?;
    }
    if let Some(url) = item["url"].as_str() {
        say(format_args!("  {url}"))?;
    }
    // Where the feeds link a public item, and a tweet of one without a link of its own.
    if item["visibility"] != "private" && item["status"] != "removed" {
        say(format_args!(
            "  page: {}/items/{}",
            client.feed_url().trim_end_matches('/'),
            item["id"].as_str().unwrap_or(id)
        ))?;
    }
    if item["status"] == "removed" {
        say(format_args!(
            "  removed: in no output (`lately restore {}` brings it back)",
            item["id"].as_str().unwrap_or(id)
        ))?;
    }
    for entry in answer["history"].as_array().map_or(&[][..], Vec::as_slice) {
        let data = &entry["data"];
        let what = match entry["type"].as_str().unwrap_or("") {
            "item_added" => "added".to_owned(),
            "item_started" => "started".to_owned(),
            "item_progress_logged" => how_far::said_of_event(data, item),
            "item_finished" => {
                let review = data["review"]
                    .as_str()
                    .map(|r| format!("  {r}"))
                    .unwrap_or_default();
                let quiet = match data["tweet"] {
                    Value::Bool(false) => " (not to be tweeted)",
                    _ => "",
                };
                format!("finished{}{quiet}{review}", stars(&data["rating"]))
            }
            "item_finish_revised" => {
                let mut changed = Vec::new();
                if let Some(rating) = data.get("rating") {
                    changed.push(match stars(rating).as_str() {
                        "" => "rating cleared".to_owned(),
                        s => format!("rating{s}"),
                    });
                }
                if let Some(review) = data.get("review") {
                    changed.push(match review.as_str() {
                        Some(r) => format!("review: {r}"),
                        None => "review cleared".to_owned(),
                    });
                }
                if let Some(started) = data.get("started_at") {
                    changed.push(format!("started {}", day(started)));
                }
                if let Some(finished) = data.get("finished_at") {
                    changed.push(format!("finished {}", day(finished)));
                }
                format!("finish revised: {}", changed.join(", "))
            }
            "item_finish_retracted" => "finish retracted".to_owned(),
            "item_start_retracted" => "start retracted".to_owned(),
            "item_start_revised" => format!("start moved to {}", day(&data["started_at"])),
            "item_abandoned" => "abandoned".to_owned(),
            "item_edited" => {
                let fields: Vec<_> = data["changes"]
                    .as_object()
                    .map(|c| c.keys().map(|k| k.replace('_', " ")).collect())
                    .unwrap_or_default();
                format!("edited: {}", fields.join(", "))
            }
            other => other.trim_start_matches("item_").replace('_', " "),
        };
        let when = match day(&data["at"]) {
            d if d.is_empty() => day(&entry["recorded_at"]),
            d => d,
        };
        // A review's further lines under its first, not at the margin with the days (an empty
        // one empty).
        let indent = " ".repeat(when.len() + 2);
        let what = what
            .lines()
            .enumerate()
            .map(|(i, line)| match (i, line) {
                (0, line) | (_, line @ "") => line.to_owned(),
                (_, line) => format!("{indent}{line}"),
            })
            .collect::<Vec<_>>()
            .join("\n");
        say(format_args!("{when}  {what}"))?;
    }
    Ok(())
}

fn feed_line(e: &Value) -> String {
    let stars = stars(&e["rating"]);
    let by = by(&e["item"]);
    // The id last, as `current` shows it: what `edit`, `finish` (a re-read) and `remove` take;
    // then, in the owner's feed, whether it is private, as `items` marks it.
    format!(
        "{}  {:<8} {}{by}{}{}{}  ({}){}",
        day(&e["finished_at"]),
        e["item"]["kind"].as_str().unwrap_or(""),
        e["item"]["title"].as_str().unwrap_or(""),
        stars,
        took(e),
        again(e),
        e["item"]["id"].as_str().unwrap_or(""),
        private_mark(e)
    )
}

/// ", 2nd time" for a re-read's, a rewatch's finish, as the feed marks one; nothing for an
/// item's first (or from a reader too old to number them).
fn again(e: &Value) -> String {
    match e["finish_number"].as_u64() {
        Some(n @ 2..) => format!(", {} time", lately_domain::ordinal(n)),
        _ => String::new(),
    }
}

/// "  \[private\]" for what the owner's reads show as private, "" otherwise.
fn private_mark(v: &Value) -> &'static str {
    if v["visibility"] == "private" {
        "  [private]"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stats_say_the_calendar_they_were_counted_in_unless_utc() {
        let stats = |zone: &str| {
            json!({"finished": 2, "by_kind": {"book": 2}, "rated": 1, "average_rating": 4.5,
                   "time_zone": zone})
        };
        assert_eq!(
            stats_header(Some(2025), &stats("America/Los_Angeles")),
            "2025: 2 finished (book 2); 4.5★ on average over 1 rated \
             (counted in America/Los_Angeles)"
        );
        assert_eq!(
            stats_header(None, &stats("UTC")),
            "All time: 2 finished (book 2); 4.5★ on average over 1 rated"
        );
    }

    #[test]
    fn a_goal_says_how_far_and_the_pace() {
        let goal = Goal::new(24).unwrap();
        let july = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        // Day 182 of 365: 11 of 24 due.
        assert_eq!(
            goal_line(14, goal, Some(MediaKind::Book), 2026, july),
            "goal: 14 of 24 books (58%), 3 books ahead of schedule"
        );
        assert_eq!(
            goal_line(9, goal, None, 2025, july),
            "goal: 9 of 24 (37%), 15 short of the goal"
        );
        assert_eq!(goal_line(0, goal, None, 2027, july), "goal: 0 of 24 (0%)");
    }
}
