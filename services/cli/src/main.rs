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

mod already;
mod client;
mod covers;
mod day_words;
mod embed;
mod export;
mod how_far;
mod import;
mod isbn;
mod last_write;
mod lines;
mod lists;
mod open_library;
mod retag;
mod show;
mod show_artwork;
mod stats;
mod tmdb;
mod web_page;
mod when;

use std::fmt::Display;
use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{json, Value};

use already::{not_added_already, not_finished_already};
use client::{CliError, Client};
use covers::{book_cover, poster};
use embed::Widget;
use how_far::{HowFar, Move};
use last_write::LastWrite;
use lately_domain::{MediaKind, Unit};
use lines::{by, day, feed_line, owned_line};
use lists::{item_read, owners_list, pages, public_items, tweets, Filter, Read};

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
    /// Your bearer token (the writer's): sent with writes, the owner's reads (`items`, `show`, `export`, `--all`, `tweets`) and `retry-tweet`.
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

/// What an item is, as the API names it. `film` and `show` are taken too, as the pages say
/// them ("Film", "TV show"): `lately add film "Alien"` is what comes to mind first.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    Book,
    Article,
    #[value(alias = "film")]
    Movie,
    #[value(alias = "show")]
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
        /// Open Library by its title and author, when it has one; a film or a show, its poster
        /// from TMDB by its title, given your key (`LATELY_TMDB_TOKEN`). Not a private one.
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
        /// Finished already: the article just read, the film seen last night (as `lately
        /// finish` right after, with its `--rating`, `--review`, `--at`, `--started` and
        /// `--no-tweet`).
        #[arg(long)]
        finished: bool,
        /// With `--finished`: 0.5 to 5 stars in half steps.
        #[arg(long, requires = "finished", value_parser = rating_of)]
        rating: Option<f64>,
        /// With `--finished`: a few words on it, shown with the finish.
        #[arg(long, requires = "finished", value_parser = review_of)]
        review: Option<String>,
        /// With `--finished`: when you finished it (a day: YYYY-MM-DD, yesterday, 3 days ago,
        /// monday; or RFC 3339), if not now.
        #[arg(long, requires = "finished")]
        at: Option<String>,
        /// With `--finished`: when you started it (a day, as `--at`), so that the feed says how
        /// long it took.
        #[arg(long, requires = "finished")]
        started: Option<String>,
        /// With `--finished`: in the feed, but not tweeted (`lately retry-tweet` can still post
        /// it).
        #[arg(long, requires = "finished")]
        no_tweet: bool,
        /// With `--finished`: listened to, not read — an audiobook (as `finish --listened`).
        #[arg(long, requires = "finished")]
        listened: bool,
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
        /// A tag added to the item's own, which stay; repeat for several.
        #[arg(long = "add-tag", conflicts_with_all = ["tags", "no_tags"], value_parser = lists::tag_arg)]
        add_tags: Vec<String>,
        /// A tag taken off the item, its others kept; repeat for several.
        #[arg(long = "untag", conflicts_with_all = ["tags", "no_tags"], value_parser = lists::tag_arg)]
        untags: Vec<String>,
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
        /// How far through: a percentage (60%), or where you are of how many (page 183 of
        /// 304: 183/304; episode 3 of 8: 3/8), kept as you said it (`current` and the widget
        /// say "page 183 of 304") with the percentage it makes, rounded down (only the last
        /// page is 100%). A bare number is where you are in the item's own count when it has
        /// one (200: page 200 of its 304, as your log's page takes it), else a percentage (the
        /// first, nothing logged yet, is asked about instead, unless of an article: page 45 of
        /// how many? 20 hours played or 20%?). Or
        /// how much further since the last time: +20 (twenty pages on, or one more episode
        /// with +1; twenty points for an item followed in percent). An audiobook, a podcast:
        /// where you are of how long it runs, as a player shows it (1:20:00/4:12:00, 45:10/1:20:00)
        /// or in letters (5h30m/12h), then 2:05:00 (where you are now) or +45m (further on). A
        /// game: its hours played, 12h (of however long it takes: no percentage), then 14h or
        /// +2h; or of how many it takes, if you know (12h/40h). A show: its season and
        /// episode, S2E5 (or 2x05: no percentage), then +1 or 6 (an episode of that season).
        #[arg(value_parser = Move::parse, value_name = "HOW_FAR")]
        how_far: Move,
    },
    /// Finish an item (again, for a re-read).
    Finish {
        /// The item's id, as `add` printed it (`lately items` lists them), or words of its title.
        id: String,
        /// 0.5 to 5 stars in half steps.
        #[arg(long, value_parser = rating_of)]
        rating: Option<f64>,
        /// A few words on it, shown with the finish.
        #[arg(long, value_parser = review_of)]
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
        /// Listened to, not read: an audiobook, a narrated article. The feeds and the tweet say
        /// "Finished listening to", your page "Audiobook". A read you followed in running time
        /// (`lately progress ID 1:20:00/4:12:00`) says so without it.
        #[arg(long)]
        listened: bool,
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
        /// Listened to, not read (an audiobook finished without `--listened`).
        #[arg(long, conflicts_with = "read")]
        listened: bool,
        /// Read, not listened to (finished with `--listened` by mistake).
        #[arg(long)]
        read: bool,
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
        /// request a show). Letterboxd and IMDb: each film and show gets its poster from TMDB,
        /// by its title and year, given your key (`LATELY_TMDB_TOKEN`).
        #[arg(long)]
        covers: bool,
    },
    /// Give your books without a cover Open Library's, found by title and author as `add`
    /// finds one, and your films and shows TMDB's posters, by title, given your key
    /// (`LATELY_TMDB_TOKEN`): those added before, or imported without `--covers`. Each public
    /// book with an author and no cover, film and show is looked up (a private one's title is
    /// not sent out); each cover found is set with the item's version, so an edit made
    /// meanwhile is not undone.
    Covers {
        /// Say what would be set; set nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Rename a tag on every item of yours that has it, private ones too: `lately retag
    /// sci-fi sf` (an item with both keeps one). Each item is written with the version it was
    /// read at, so an edit made meanwhile is not undone.
    Retag {
        /// The tag to rename.
        #[arg(value_parser = lists::tag_arg)]
        from: String,
        /// Its new name (one your items have already, to merge the two).
        #[arg(value_parser = lists::tag_arg)]
        to: String,
        /// Say what would change; change nothing.
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
    /// text or why it was not posted. The owner's read: sends your token.
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
    /// item; or one whose post was interrupted where X lets the notifier read no timeline,
    /// once you have looked on the account. A posted one is never posted twice.
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
/// changes nothing, so trying it costs nothing but the request. Words that cannot be an id (a
/// space, a capital letter, a comma) are looked for at once: no request the writer can only
/// refuse, logging a 404 each time.
async fn run(mut command: Command, client: &Client) -> Result<(), CliError> {
    let Some(typed) = command.item().cloned() else {
        return run_once(command, client).await;
    };
    let an_id = lately_domain::ItemId::parse(&typed).is_ok();
    let tried = if an_id {
        run_once(command.clone(), client).await
    } else {
        Err(CliError::Rejected {
            status: 404,
            detail: String::new(),
        })
    };
    match tried {
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
            let removed = matches!(command, Command::Restore { .. });
            // `show` says which lists it looked in itself.
            let shown = matches!(command, Command::Show { .. });
            match found {
                Some(id) => {
                    *command.item().expect("names an item") = id;
                    run_once(command, client).await
                }
                // The words as typed, then: the answer to them (a 401 without a token).
                None if !an_id => match run_once(command, client).await {
                    Err(CliError::Rejected { status: 404, .. }) if !shown => {
                        Err(not_named(&typed, removed))
                    }
                    other => other,
                },
                None if shown => Err(CliError::Rejected {
                    status: 404,
                    detail,
                }),
                None => Err(not_named(&typed, removed)),
            }
        }
        other => other,
    }
}

/// No item (removed, for `restore`) has the id `typed`, nor its words in its title.
fn not_named(typed: &str, removed: bool) -> CliError {
    let (which, listed) = if removed {
        ("removed item", "`lately items --status removed` lists them")
    } else {
        ("item", "`lately items` lists yours")
    };
    CliError::Rejected {
        status: 404,
        detail: format!("no {which} has the id {typed:?}, nor those words in its title ({listed})"),
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
            review,
            at,
            started,
            no_tweet,
            listened,
        } => {
            // The finish is checked before anything is looked up or written: a bad day, or a
            // film said to be listened to, adds nothing.
            let finish = finished
                .then(|| Finish::parse(rating, review, at, started, no_tweet, listened))
                .transpose()?;
            if let Ok(k) = MediaKind::parse(kind.as_str()) {
                if listened && !k.can_be_listened_to() {
                    return Err(CliError::Usage(format!(
                        "--listened: {} cannot be listened to (a book, an article or a podcast \
                         can)",
                        k.noun(2)
                    )));
                }
            }
            let isbn = match kind {
                Kind::Book => isbn::in_title(&title).map_err(CliError::Usage)?,
                _ => None,
            };
            // A link pasted without its https:// would be the item's name in the feed.
            if let Some(link) = web_page::schemeless(&title) {
                return Err(CliError::Usage(format!(
                    "“{}” looks like a link without its https://: give it whole, `lately add {} \
                     {link}` (its page says the title), or the title in words",
                    title.trim(),
                    kind.as_str()
                )));
            }
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
                let finishing = finish.is_some();
                not_added_already(client, kind, &title, &creators, url.as_deref(), finishing)
                    .await?;
            }
            // A book's cover by its title and author, a film's or a show's poster by its
            // title: a private one's title is not sent out.
            let cover = match cover {
                None if no_cover || private => None,
                None if matches!(kind, Kind::Book) => book_cover(&title, &creators).await,
                None => poster(kind.as_str(), &title).await,
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
            if let Some(finish) = finish {
                // Written as `lately finish` writes it, but printing nothing more: a script's
                // `id=$(lately add …)` gets the id alone.
                let path = item_path(added);
                if let Some(begun) = &finish.begun {
                    let body = json!({ "at": when::at_text(*begun) });
                    client
                        .write("POST", &format!("{path}/start"), &body, &key())
                        .await?;
                }
                client
                    .write("POST", &format!("{path}/finish"), &finish.body(), &key())
                    .await?;
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
            add_tags,
            untags,
            url,
            no_url,
            cover,
            no_cover,
            private,
            public,
        } => {
            let mut body = json!({});
            let retagging = !add_tags.is_empty() || !untags.is_empty();
            if retagging {
                let answer = item_read(client, &id).await?;
                let item = &answer["item"];
                match retag::retagged(item, &add_tags, &untags)? {
                    Some(tags) => {
                        body["tags"] = json!(tags);
                        // Sent with the version the tags were read at: a tag set elsewhere
                        // meanwhile is a conflict, not undone by this list.
                        if let Some(version) = item["version"].as_i64() {
                            body["expected_version"] = json!(version);
                        }
                    }
                    None => eprintln!(
                        "“{}” is tagged so already: {}",
                        item["title"].as_str().unwrap_or(&id),
                        retag::said_tags(item)
                    ),
                }
            }
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
                if retagging {
                    // Only tags asked for, and the item has them so: nothing to write.
                    return Ok(());
                }
                return Err(CliError::Usage(
                    "nothing to change: give at least one of --title, --kind, --by, --tag, \
                     --add-tag, --untag, --url, --cover, --private, --public (or a --no-… flag)"
                        .into(),
                ));
            }
            let out = client
                .write("PATCH", &item_path(&id), &body, &key())
                .await?;
            written(&id, &out)?;
        }
        Command::Start { id, at: None } => step(client, &id, "start", json!({})).await?,
        Command::Start { id, at: Some(w) } => started_at(client, &id, &when::at(&w)?).await?,
        Command::Progress { id, how_far } => {
            let mut landed = None;
            let body = match how_far {
                Move::To(to) => {
                    // A time is said back as it was read: 5:30/12:30 is minutes and seconds,
                    // as a player shows them ("now 5m of 12m"), which a listener who meant
                    // hours sees at once. (A running time is said the same of every kind.) A
                    // season's episode too: 2x05 is said back "now S2 E5".
                    if let HowFar::Counted(p) = to {
                        if p.unit() == Unit::Seconds || p.season().is_some() {
                            landed = Some(format!("now {}", to.said(MediaKind::Book)));
                        }
                    }
                    to.body()
                }
                // A step, or a bare number in the item's own count, made absolute from the
                // item as the feed has it now, and sent with its version: a change in between
                // (another device's +20) is a 409, not a step taken from a stale page.
                Move::By(_) | Move::At(_) | Move::ByTime(_) | Move::AtTime(_) => {
                    let answer = item_read(client, &id).await?;
                    let item = &answer["item"];
                    let to = how_far.from(item).map_err(CliError::Usage)?;
                    // Where it lands, which the command line did not say ("now page 200 of
                    // 462"): a bare number's meaning is the item's.
                    let kind = item["kind"].as_str().and_then(|k| k.parse().ok());
                    landed = kind.map(|k| {
                        format!(
                            "“{}”: now {}",
                            item["title"].as_str().unwrap_or(&id),
                            to.said(k)
                        )
                    });
                    let mut body = to.body();
                    if let Some(version) = item["version"].as_i64() {
                        body["expected_version"] = json!(version);
                    }
                    body
                }
            };
            step(client, &id, "progress", body).await?;
            if let Some(landed) = landed {
                eprintln!("{landed}");
            }
        }
        Command::Finish {
            id,
            rating,
            review,
            at,
            started,
            no_tweet,
            listened,
            again,
        } => {
            let finish = Finish::parse(rating, review, at, started, no_tweet, listened)?;
            // A start given is a new read: only a bare finish of a finished item is suspect.
            if !again && finish.begun.is_none() {
                not_finished_already(client, &id).await?;
            }
            if let Some(begun) = finish.begun {
                started_at(client, &id, &when::at_text(begun)).await?;
            }
            step(client, &id, "finish", finish.body()).await?
        }
        Command::Revise {
            id,
            rating,
            no_rating,
            review,
            no_review,
            started,
            finished,
            listened,
            read,
        } => {
            let mut body = json!({});
            if listened || read {
                body["listened"] = json!(listened);
            }
            // A value given is set; `--no-…` sends `null`, which clears it.
            if rating.is_some() || no_rating {
                body["rating"] = json!(rating);
            }
            if review.is_some() || no_review {
                body["review"] = json!(review);
            }
            if let Some(started) = started {
                body["started_at"] = json!(when::at_text(when::time_of("--started", &started)?));
            }
            if let Some(finished) = finished {
                body["finished_at"] = json!(when::at_text(when::time_of("--finished", &finished)?));
            }
            if body.as_object().is_some_and(|b| b.is_empty()) {
                return Err(CliError::Usage(
                    "nothing to change: give --rating, --review, --no-rating, --no-review, --started, --finished, --listened or --read".into(),
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
            let (path, whose) = lists::feed(all);
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
        Command::Show { id } => show::show(client, &id).await?,
        Command::Tags { all } => stats::tags(client, all).await?,
        Command::Stats {
            year,
            all,
            filter,
            goal,
        } => stats::stats(client, year, all, &filter, goal).await?,
        Command::Import {
            source,
            file,
            covers,
        } => import::run(client, source, &file, covers).await?,
        Command::Covers { dry_run } => covers::covers(client, dry_run).await?,
        Command::Retag { from, to, dry_run } => retag::retag(client, &from, &to, dry_run).await?,
        Command::Export => export::export(client).await?,
        Command::Demo => {
            import::demo(client).await?;
            // Where to see it all.
            say(format_args!(
                "your page: {}/",
                client.feed_url().trim_end_matches('/')
            ))?;
        }
        Command::Embed(widget) => embed::embed(client.feed_url(), &widget)?,
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

/// A rating as the writer takes it (0.5 to 5 in half steps), checked before anything is
/// written: `add --finished --rating 7` adds nothing.
fn rating_of(raw: &str) -> Result<f64, String> {
    let r: f64 = raw
        .parse()
        .map_err(|_| format!("{raw:?} is not a number of stars"))?;
    lately_domain::Rating::parse(r).map_err(|e| e.to_string())?;
    Ok(r)
}

/// A review as the writer takes it, checked before anything is written: `finish --started
/// monday --review …` with one too long starts nothing.
fn review_of(raw: &str) -> Result<String, String> {
    lately_domain::Review::parse(raw).map_err(|e| e.to_string())?;
    Ok(raw.to_owned())
}

/// A finish as `finish` and `add --finished` take it, checked whole before anything is
/// written: both days read, and the start not after the finish.
struct Finish {
    rating: Option<f64>,
    review: Option<String>,
    ended: Option<chrono::DateTime<chrono::Utc>>,
    /// A start to record before the finish (or, for an item in progress, to move its start
    /// to).
    begun: Option<chrono::DateTime<chrono::Utc>>,
    no_tweet: bool,
    listened: bool,
}

impl Finish {
    fn parse(
        rating: Option<f64>,
        review: Option<String>,
        at: Option<String>,
        started: Option<String>,
        no_tweet: bool,
        listened: bool,
    ) -> Result<Self, CliError> {
        let begun = started
            .map(|s| when::time_of("--started", &s))
            .transpose()?;
        let ended = at.map(|w| when::time_of("--at", &w)).transpose()?;
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
        Ok(Self {
            rating,
            review,
            ended,
            begun,
            no_tweet,
            listened,
        })
    }

    /// The finish command's body.
    fn body(&self) -> Value {
        let mut body = json!({});
        if self.no_tweet {
            body["tweet"] = json!(false);
        }
        if self.listened {
            body["listened"] = json!(true);
        }
        if let Some(r) = self.rating {
            body["rating"] = json!(r);
        }
        if let Some(r) = &self.review {
            body["review"] = json!(r);
        }
        if let Some(ended) = self.ended {
            body["at"] = json!(when::at_text(ended));
        }
        body
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_taken_as_the_pages_name_it_too() {
        let added = |kind: &str| match Cli::try_parse_from(["lately", "add", kind, "Alien"]) {
            Ok(Cli {
                command: Command::Add { kind, .. },
                ..
            }) => Ok(kind.as_str()),
            Ok(other) => panic!("not an add: {other:?}"),
            Err(e) => Err(e.to_string()),
        };
        assert_eq!(added("movie"), Ok("movie"));
        assert_eq!(added("film"), Ok("movie"));
        assert_eq!(added("tv"), Ok("tv"));
        assert_eq!(added("show"), Ok("tv"));
        let refused = added("flim").unwrap_err();
        assert!(
            refused.contains("[possible values: book, article, movie, tv, game, podcast]"),
            "{refused}"
        );
        // The filters take them too.
        match Cli::try_parse_from(["lately", "list", "--kind", "film"])
            .unwrap()
            .command
        {
            Command::List { filter, .. } => {
                assert_eq!(filter.kind.map(Kind::as_str), Some("movie"))
            }
            other => panic!("not a list: {other:?}"),
        }
    }
}
