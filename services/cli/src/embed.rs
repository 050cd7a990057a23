//! `lately embed`: the snippet for a blog (the script's `<div>`, or with `--iframe` the
//! widget's page), its options checked as the reader checks them, so that a snippet it prints
//! is one the reader serves.

use clap::ValueEnum;

use crate::client::CliError;
use crate::lists::Filter;
use crate::say;

/// What a widget lists (its `data-show`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Show {
    Finished,
    Current,
    Queue,
    /// How much was finished in a year, by kind, with the average rating.
    Stats,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Layout {
    List,
    Covers,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Theme {
    Auto,
    Light,
    Dark,
}

/// A widget's heading: what the reader takes (1–100 characters).
pub fn widget_title(raw: &str) -> Result<String, String> {
    match raw.chars().count() {
        _ if raw.trim().is_empty() => Err("a title cannot be empty".to_owned()),
        n if n > 100 => Err(format!("at most 100 characters (this has {n})")),
        _ => Ok(raw.to_owned()),
    }
}

/// What `lately embed` puts in its snippet: the widget's options, as its `data-` attributes
/// (or the page's query) name them.
#[derive(Debug, Clone, clap::Args)]
pub struct Widget {
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
    /// No heading shown: for a blog that puts the widget under a heading of its own (the
    /// title still names it for screen readers).
    #[arg(long)]
    no_heading: bool,
    /// An `<iframe>` of the widget's page instead of the script, for a site whose pages take
    /// no outside script (the page runs its own, and stays live just the same).
    #[arg(long)]
    iframe: bool,
}

/// `lately embed`: the snippet for a blog, the script's `<div>` or the page's `<iframe>`. What
/// the reader would refuse is refused here by the arguments' parsers, so a snippet printed is
/// one the reader serves. A feed at this machine's own address is said on stderr: a blog's
/// readers would not reach it.
pub fn embed(feed: &str, w: &Widget) -> Result<(), CliError> {
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
    if w.no_heading {
        options.push(("heading", "false".to_owned()));
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
pub fn value_name(v: &impl ValueEnum) -> String {
    v.to_possible_value()
        .expect("no skipped variants")
        .get_name()
        .to_owned()
}

/// `raw` for an HTML attribute's value in double quotes.
pub fn attribute(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
