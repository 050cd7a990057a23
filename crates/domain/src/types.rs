//! Values that are valid by construction.
//!
//! Each type has one way in — `parse` (also used by `Deserialize`) — so a `Title` in hand is
//! always 1–300 characters without control characters, a `Rating` is always a half step in
//! 0.5–5.0, and so on. Handlers never re-check; they parse at the edge and pass values along.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Why a raw value was refused. The message names the rule, so it can go straight into an
/// HTTP problem's `detail`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// Checks free text: trimmed length in `min..=max` characters, and no control characters
/// (newlines and tabs only where `multiline`).
fn text<'a>(what: &str, raw: &'a str, max: usize, multiline: bool) -> Result<&'a str, ParseError> {
    let s = raw.trim();
    if s.is_empty() {
        return err(format!("{what} must not be empty"));
    }
    let len = s.chars().count();
    if len > max {
        return err(format!(
            "{what} must be at most {max} characters (got {len})"
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    {
        return err(format!(
            "{what} must not contain control characters (found U+{:04X})",
            c as u32
        ));
    }
    Ok(s)
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// The text is shared (`Arc<str>`): an item's state and its history hold one copy.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
        #[serde(try_from = "String")]
        pub struct $name(Arc<str>);

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, ParseError> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0.as_ref().to_owned()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                Self::parse(s)
            }
        }
    };
}

string_newtype!(
    /// An item's title: 1–300 characters after trimming, no control characters.
    Title
);
impl Title {
    pub const MAX_CHARS: usize = 300;
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        text("title", raw, Self::MAX_CHARS, false).map(|s| Self(s.into()))
    }
}

string_newtype!(
    /// A person credited for an item (author, director, studio, host): 1–200 characters.
    Creator
);
impl Creator {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        text("creator", raw, 200, false).map(|s| Self(s.into()))
    }
}

string_newtype!(
    /// A free-form tag, normalised to lower case: 1–50 characters, no control characters.
    Tag
);
impl Tag {
    pub const MAX_CHARS: usize = 50;
    /// The bound holds for the lower-cased tag too, as it is stored: a few characters grow when
    /// lower-cased (`İ` becomes `i̇`, two), and a stored tag must parse again when the log is
    /// read back.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = text("tag", raw, Self::MAX_CHARS, false)?;
        // Most tags are lower case already: then copy once, not twice.
        let unchanged = s.chars().all(|c| {
            let mut lower = c.to_lowercase();
            lower.next() == Some(c) && lower.next().is_none()
        });
        if unchanged {
            return Ok(Self(s.into()));
        }
        let lower = s.to_lowercase();
        let len = lower.chars().count();
        if len > Self::MAX_CHARS {
            return err(format!(
                "tag must be at most {} characters once lower-cased (got {len})",
                Self::MAX_CHARS
            ));
        }
        Ok(Self(lower.into()))
    }
}

string_newtype!(
    /// A review: up to 10,000 characters; line breaks allowed, other control characters not.
    Review
);
impl Review {
    pub const MAX_CHARS: usize = 10_000;
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        text("review", raw, Self::MAX_CHARS, true).map(|s| Self(s.into()))
    }
}

string_newtype!(
    /// An item's id, which is also its stream id in the log: a UUID or a slug —
    /// 1–100 characters of `a-z`, `0-9`, `-` and `_`, starting with a letter or digit.
    ItemId
);
impl ItemId {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let ok_len = (1..=100).contains(&raw.len());
        let mut chars = raw.chars();
        let ok_first = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let ok_rest =
            chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if ok_len && ok_first && ok_rest {
            Ok(Self(raw.into()))
        } else {
            err("id must be a UUID or a slug: 1-100 characters of a-z, 0-9, '-' and '_', starting with a letter or digit")
        }
    }

    /// A new random id (UUID v4).
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().to_string().into())
    }

    /// A readable id made from a title, e.g. `the-left-hand-of-darkness-3f2a9c`: the suffix (from
    /// `seed`) keeps two items with the same title apart. Letters of other scripts are spelled
    /// in ASCII ("Amélie" is `amelie-…`, "三体" `san-ti-…`), as well as can be done without
    /// knowing the language.
    pub fn slug(title: &Title, seed: u64) -> Self {
        Self::slug_of(&deunicode::deunicode(title.as_str()), seed)
    }

    /// The slug an earlier build made, which dropped every letter outside ASCII ("Amélie" was
    /// `am-lie-…`): an add retried with the same Idempotency-Key names that item still.
    pub fn ascii_slug(title: &Title, seed: u64) -> Self {
        Self::slug_of(title.as_str(), seed)
    }

    fn slug_of(text: &str, seed: u64) -> Self {
        let mut slug = String::new();
        for c in text.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
            if slug.len() >= 60 {
                break;
            }
        }
        let slug = slug.trim_end_matches('-');
        let suffix = format!("{:06x}", seed & 0xff_ffff);
        if slug.is_empty() {
            Self(suffix.into())
        } else {
            Self(format!("{slug}-{suffix}").into())
        }
    }
}

/// A link: an absolute `http` or `https` URL, at most 2,048 characters. Nothing else can be a
/// link or an image anywhere `lately` renders user data.
///
/// Kept as its normalised text (what `url::Url` serialises it to), not as a parsed `url::Url`:
/// readers hold every item's URLs in memory, and a parsed URL is 88 bytes before its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct Url(Arc<str>);

impl Serialize for Url {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl Url {
    pub const MAX_CHARS: usize = 2048;
    /// Trimmed, at most [`MAX_CHARS`](Self::MAX_CHARS) characters, no control characters, then
    /// normalised by `url::Url`; the bound holds for the normalised text too, as it is stored.
    /// Normalising can make a URL several times longer (each non-ASCII character becomes its
    /// percent-encoded UTF-8, up to 12 characters), and a stored URL must parse again when the
    /// log is read back: bounding only the input let a valid request write an event that no
    /// replica could read.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let raw = raw.trim();
        let len = raw.chars().count();
        if len > Self::MAX_CHARS {
            return err(format!(
                "URL must be at most {} characters (got {len})",
                Self::MAX_CHARS
            ));
        }
        // `url::Url` would drop tabs and line breaks and percent-encode the rest: a URL with a
        // control character in it is a pasting accident, not a link.
        if let Some(c) = raw.chars().find(|c| c.is_control()) {
            return err(format!(
                "URL must not contain control characters (found U+{:04X})",
                c as u32
            ));
        }
        let url = match url::Url::parse(raw) {
            Ok(url) => url,
            // "example.com/essay", a path: the address without its scheme, which a browser
            // would fill in and a log cannot guess.
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                return err(format!(
                    "{raw:?} is not a whole link: give it with its https:// (or http://)"
                ))
            }
            Err(e) => return err(format!("not a valid absolute URL: {e}")),
        };
        match url.scheme() {
            "http" | "https" if url.host_str().is_some() => {}
            "http" | "https" => return err("URL must have a host"),
            other => return err(format!("URL scheme must be http or https, not {other:?}")),
        }
        let normalised = String::from(url);
        if normalised.len() > Self::MAX_CHARS {
            return err(format!(
                "URL must be at most {} characters once normalised (got {}: non-ASCII \
                 characters are stored percent-encoded)",
                Self::MAX_CHARS,
                normalised.len()
            ));
        }
        Ok(Self(normalised.into()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Url {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        Self::parse(&s)
    }
}
impl From<Url> for String {
    fn from(v: Url) -> String {
        v.0.as_ref().to_owned()
    }
}
impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of media an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Book,
    Article,
    Movie,
    Tv,
    Game,
    Podcast,
}

impl MediaKind {
    pub const ALL: [MediaKind; 6] = [
        Self::Book,
        Self::Article,
        Self::Movie,
        Self::Tv,
        Self::Game,
        Self::Podcast,
    ];

    /// A kind as typed by a person: its name, or `film` for a movie and `show` for TV, as the
    /// pages say them ("Film", "TV show") and the CLI takes them. (Stored events, and the
    /// writer's bodies, name a kind only by [`MediaKind::as_str`].)
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw {
            "film" => return Ok(Self::Movie),
            "show" => return Ok(Self::Tv),
            _ => {}
        }
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                ParseError(format!(
                    "unknown kind {raw:?}: expected one of book, article, movie (or film), tv \
                     (or show), game, podcast"
                ))
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Book => "book",
            Self::Article => "article",
            Self::Movie => "movie",
            Self::Tv => "tv",
            Self::Game => "game",
            Self::Podcast => "podcast",
        }
    }

    /// The verb of doing it, for a read followed in `unit`: "reading", "watching", "playing",
    /// "listening to" — and "listening to" for a book or an article followed in running time
    /// (an audiobook, a narrated article: see [`MediaKind::listened_in`]).
    pub fn verbing(self, unit: Unit) -> &'static str {
        match self {
            _ if self.listened_in(unit) => "listening to",
            Self::Book | Self::Article => "reading",
            Self::Movie | Self::Tv => "watching",
            Self::Game => "playing",
            Self::Podcast => "listening to",
        }
    }

    /// Whether a read of it followed in `unit` was listened to: a podcast always; a book or an
    /// article when its progress was logged in running time, as a player shows it (1:20:00 of
    /// 4:12:00), which is how an audiobook is followed and a printed book is not. A film or a
    /// show followed in time was still watched.
    pub fn listened_in(self, unit: Unit) -> bool {
        match self {
            Self::Podcast => true,
            Self::Book | Self::Article => unit == Unit::Seconds,
            Self::Movie | Self::Tv | Self::Game => false,
        }
    }

    /// Whether it can be listened to at all: a finish of a book, an article or a podcast can
    /// say it was heard (`listened`); a film, a show or a game cannot.
    pub fn can_be_listened_to(self) -> bool {
        self.listened_in(Unit::Seconds)
    }

    /// The name a person reads in a list: "Book", "Film", "TV", …
    pub fn label(self) -> &'static str {
        match self {
            Self::Book => "Book",
            Self::Article => "Article",
            Self::Movie => "Film",
            Self::Tv => "TV",
            Self::Game => "Game",
            Self::Podcast => "Podcast",
        }
    }

    /// [`MediaKind::label`] of a read followed in `unit`: "Audiobook" for a book followed in
    /// running time (see [`MediaKind::listened_in`]).
    pub fn label_in(self, unit: Unit) -> &'static str {
        match self {
            Self::Book if self.listened_in(unit) => "Audiobook",
            _ => self.label(),
        }
    }

    /// What `n` of them are called in a count: "1 book", "2 books", "3 films", "2 TV shows"
    /// (the stats widget's words, and `widget.js`'s NOUN).
    pub fn noun(self, n: u64) -> &'static str {
        let (one, many) = match self {
            Self::Book => ("book", "books"),
            Self::Article => ("article", "articles"),
            Self::Movie => ("film", "films"),
            Self::Tv => ("TV show", "TV shows"),
            Self::Game => ("game", "games"),
            Self::Podcast => ("podcast", "podcasts"),
        };
        if n == 1 {
            one
        } else {
            many
        }
    }

    /// The past-tense verb for finishing one followed in `unit`: "read", "watched", "played",
    /// "listened to" (see [`MediaKind::verbing`]).
    pub fn verb(self, unit: Unit) -> &'static str {
        match self {
            _ if self.listened_in(unit) => "listened to",
            Self::Book | Self::Article => "read",
            Self::Movie | Self::Tv => "watched",
            Self::Game => "played",
            Self::Podcast => "listened to",
        }
    }
}

impl std::str::FromStr for MediaKind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::parse(s)
    }
}

impl fmt::Display for MediaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may see an item. Private items are kept (and count in the owner's history) but never
/// appear in any public output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    Private,
}

impl Visibility {
    pub fn is_public(self) -> bool {
        self == Self::Public
    }
}

/// A rating from 0.5 to 5.0 stars in half steps, kept as a count of half stars (1–10) so that
/// equality and hashing are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Rating(u8);

impl Rating {
    pub fn parse(stars: f64) -> Result<Self, ParseError> {
        let halves = stars * 2.0;
        if !stars.is_finite() || !(1.0..=10.0).contains(&halves) || halves.fract() != 0.0 {
            return err(format!(
                "rating must be between 0.5 and 5.0 in steps of 0.5 (got {stars})"
            ));
        }
        Ok(Self(halves as u8))
    }

    pub fn from_half_stars(halves: u8) -> Result<Self, ParseError> {
        Self::parse(f64::from(halves) / 2.0)
    }

    pub fn half_stars(self) -> u8 {
        self.0
    }

    pub fn stars(self) -> f64 {
        f64::from(self.0) / 2.0
    }

    /// The rating drawn with stars: `★★★★½`.
    pub fn to_stars(self) -> String {
        let mut s = "★".repeat(usize::from(self.0 / 2));
        if self.0 % 2 == 1 {
            s.push('½');
        }
        s
    }
}

impl TryFrom<f64> for Rating {
    type Error = ParseError;
    fn try_from(v: f64) -> Result<Self, ParseError> {
        Self::parse(v)
    }
}
impl From<Rating> for f64 {
    fn from(r: Rating) -> f64 {
        r.stars()
    }
}

/// How far through an item someone is: a whole percentage, 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u8")]
pub struct Percent(u8);

impl Percent {
    pub fn parse(v: i64) -> Result<Self, ParseError> {
        match u8::try_from(v) {
            Ok(p) if p <= 100 => Ok(Self(p)),
            _ => err(format!(
                "percent must be a whole number from 0 to 100 (got {v})"
            )),
        }
    }
    pub fn get(self) -> u8 {
        self.0
    }
}
impl TryFrom<i64> for Percent {
    type Error = ParseError;
    fn try_from(v: i64) -> Result<Self, ParseError> {
        Self::parse(v)
    }
}
impl From<Percent> for u8 {
    fn from(p: Percent) -> u8 {
        p.0
    }
}

/// How far through an item someone is in its own units — page 183 of 304, episode 5 of 10 —
/// or in its running time (1h 20m of 4h 12m: an audiobook, a podcast, a film stopped half-way),
/// when they count that way rather than in percent. `done` is at most `of`, and `of` is
/// 1–1,000,000 (a long book's pages; 277 hours in seconds).
///
/// Or time spent of a whole nobody knows: a game's 12 hours played, where no total is to be
/// had (how long a game takes depends on who plays it). Of the counts, only running time can
/// be open so (a book's pages, and episodes counted as such, always have their count), up to
/// 10,000 hours, and it is no percentage of anything.
///
/// Or a show's episode in its season: season 2, episode 5 ("S2 E5"), as every player and
/// every tracker says where you are in a series. The item is the show, and how many episodes
/// it will have in all nobody knows, so it is no percentage either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawPortion", into = "RawPortion")]
pub struct Portion {
    done: u32,
    /// `None`: time spent of no known whole (only in [`Unit::Seconds`]), or an episode of a
    /// season (only with `season`).
    of: Option<u32>,
    unit: Unit,
    /// The season `done` is an episode of (only in the item's own units, and without `of`).
    season: Option<u16>,
}

/// What a [`Portion`] counts. Stored beside `done` and `of` only when it is not the item's own
/// units, so that every count logged before time could be counted reads as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// The item's own: pages of a book, episodes of a show, unnamed for the other kinds.
    #[default]
    Own,
    /// Seconds of its running time, as a player shows them (an audiobook's 4:12:00): time is
    /// how an audiobook, a podcast or a paused film is followed, and pages or episodes are not.
    Seconds,
}

impl Unit {
    pub fn is_own(&self) -> bool {
        *self == Self::Own
    }
}

#[derive(Serialize, Deserialize)]
struct RawPortion {
    done: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    of: Option<i64>,
    #[serde(default, skip_serializing_if = "Unit::is_own")]
    unit: Unit,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    season: Option<i64>,
}

impl TryFrom<RawPortion> for Portion {
    type Error = ParseError;
    fn try_from(raw: RawPortion) -> Result<Self, ParseError> {
        Self::from_parts(Some(raw.done), raw.of, Some(raw.unit), raw.season)?
            .ok_or_else(|| ParseError("done is missing".into()))
    }
}

impl From<Portion> for RawPortion {
    fn from(p: Portion) -> Self {
        Self {
            done: p.done.into(),
            of: p.of.map(i64::from),
            unit: p.unit,
            season: p.season.map(i64::from),
        }
    }
}

impl Portion {
    pub const MAX: u32 = 1_000_000;
    /// The most time spent of no known whole: 10,000 hours, in seconds.
    pub const PLAYED_MAX: u32 = 36_000_000;
    /// The highest season (some shows number theirs by the year: season 2024).
    pub const SEASON_MAX: u16 = 9_999;
    /// The highest episode of a season (a daily show's run).
    pub const EPISODE_MAX: u32 = 99_999;

    /// A count given as optional fields, as the stored event and the writer's body carry it:
    /// `done` and `of` both (a count, of `unit` or else the item's own units), `done` alone in
    /// seconds (time spent of no known whole: [`Portion::played`]), `done` alone with `season`
    /// (an episode of a season: [`Portion::episode`]), or none (`None`); `of` without `done`,
    /// a count of the item's own units without its whole, a season with a whole or in
    /// seconds, or a unit or a season without a count, is refused.
    pub fn from_parts(
        done: Option<i64>,
        of: Option<i64>,
        unit: Option<Unit>,
        season: Option<i64>,
    ) -> Result<Option<Self>, ParseError> {
        if let Some(season) = season {
            return match (done, of, unit.unwrap_or_default()) {
                (Some(episode), None, Unit::Own) => Self::episode(season, episode).map(Some),
                (None, ..) => err("season goes with done, its episode (S2 E5: season 2, done 5)"),
                _ => err(
                    "season goes with done alone, its episode in the item's own units: how many \
                     the show will have is not known",
                ),
            };
        }
        match (done, of) {
            (Some(done), Some(of)) => Self::parse_in(done, of, unit.unwrap_or_default()).map(Some),
            (Some(done), None) if unit == Some(Unit::Seconds) => Self::played(done).map(Some),
            (Some(_), None) => err(
                "done goes with of (page 120 of 304), unless it is time spent of no known \
                 whole, in seconds (a game's hours played: unit \"seconds\"), or an episode of \
                 a season (S2 E5: season 2)",
            ),
            (None, None) if unit.is_some() => err("unit goes with done"),
            (None, None) => Ok(None),
            (None, Some(_)) => err("of goes with done"),
        }
    }

    /// Time spent of no known whole, in seconds: a game's 12 hours played.
    pub fn played(seconds: i64) -> Result<Self, ParseError> {
        let max = i64::from(Self::PLAYED_MAX);
        if !(0..=max).contains(&seconds) {
            return err(format!(
                "time played must be a whole number of seconds from 0 to {max} (10,000 hours) \
                 (got {seconds})"
            ));
        }
        Ok(Self {
            done: seconds as u32,
            of: None,
            unit: Unit::Seconds,
            season: None,
        })
    }

    /// A show's episode of a season, "S2 E5" (season 0: its specials).
    pub fn episode(season: i64, episode: i64) -> Result<Self, ParseError> {
        let (seasons, episodes) = (i64::from(Self::SEASON_MAX), i64::from(Self::EPISODE_MAX));
        if !(0..=seasons).contains(&season) {
            return err(format!(
                "season must be a whole number from 0 to {seasons} (got {season})"
            ));
        }
        if !(0..=episodes).contains(&episode) {
            return err(format!(
                "an episode of a season must be a whole number from 0 to {episodes} (got \
                 {episode})"
            ));
        }
        Ok(Self {
            done: episode as u32,
            of: None,
            unit: Unit::Own,
            season: Some(season as u16),
        })
    }

    /// In the item's own units.
    pub fn parse(done: i64, of: i64) -> Result<Self, ParseError> {
        Self::parse_in(done, of, Unit::Own)
    }

    pub fn parse_in(done: i64, of: i64, unit: Unit) -> Result<Self, ParseError> {
        let max = i64::from(Self::MAX);
        if !(1..=max).contains(&of) {
            return err(format!(
                "of must be a whole number from 1 to {max} (got {of})"
            ));
        }
        if !(0..=of).contains(&done) {
            return err(format!(
                "done must be a whole number from 0 to of ({of}) (got {done})"
            ));
        }
        // Both in 0..=1,000,000 now.
        Ok(Self {
            done: done as u32,
            of: Some(of as u32),
            unit,
            season: None,
        })
    }
    pub fn unit(self) -> Unit {
        self.unit
    }
    pub fn done(self) -> u32 {
        self.done
    }
    /// The whole it is counted of; `None` for time spent of no known whole and for an episode
    /// of a season.
    pub fn of(self) -> Option<u32> {
        self.of
    }
    /// The season `done` is an episode of, when it is one.
    pub fn season(self) -> Option<u16> {
        self.season
    }
    /// Time spent of no known whole (a game's hours played).
    pub fn is_played(self) -> bool {
        self.of.is_none() && self.unit == Unit::Seconds
    }
    /// The percentage it is, rounded down: only the end is 100%, and 303 of 304 pages is 99%.
    /// `None` for time spent of no known whole and for an episode of a season, which are no
    /// share of anything.
    pub fn percent(self) -> Option<Percent> {
        self.of
            .map(|of| Percent((u64::from(self.done) * 100 / u64::from(of)) as u8))
    }
    /// As a person says it of an item of `kind`: "page 183 of 304", "episode 5 of 10" (a
    /// show's, or a podcast's counted in its own units: an episode itself is followed in
    /// running time); of the kinds whose unit could be several things (a film's minutes or
    /// chapters, a game's hours or missions), "183 of 304"; in running time, "1h 20m of 4h
    /// 12m"; time of no known whole, "12h played" of a game, else "45m in"; an episode of a
    /// season, "S2 E5". The widget's script and your log's page say it the same way.
    pub fn describe(self, kind: MediaKind) -> String {
        if let Some(season) = self.season {
            return format!("S{season} E{}", self.done);
        }
        let Some(of) = self.of else {
            return match kind {
                MediaKind::Game => format!("{} played", duration(self.done)),
                _ => format!("{} in", duration(self.done)),
            };
        };
        if self.unit == Unit::Seconds {
            return format!("{} of {}", duration(self.done), duration(of));
        }
        let unit = match kind {
            MediaKind::Book => "page ",
            MediaKind::Tv | MediaKind::Podcast => "episode ",
            _ => "",
        };
        format!("{unit}{} of {of}", self.done)
    }
}

/// A running time as a person says it: "4h 12m", "45m", "1h", and "30s" under a minute (the
/// seconds of a longer time are left out: where you are, to the minute).
pub fn duration(seconds: u32) -> String {
    let (h, m) = (seconds / 3600, seconds % 3600 / 60);
    match (h, m) {
        (0, 0) => format!("{seconds}s"),
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}m"),
    }
}

/// "1st", "2nd", "11th", "23rd": which finish of an item one is (a re-read's "2nd time"), or
/// which of the year's books (a tweet's "12th book of 2026").
pub fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// " for the 2nd time" after the title of an item's `n`th finish (a re-read, a rewatch), as the
/// tweet and the feeds' text say it; nothing for its first.
pub fn for_the_nth_time(n: u64) -> String {
    if n <= 1 {
        return String::new();
    }
    format!(" for the {} time", ordinal(n))
}

/// " in 13 days", " in a day" after the title of a finish whose read took `days` days of the
/// owner's calendar, as the tweet and the feeds' text say it; nothing for a read begun the day
/// it ended (a film) or recorded without a start (`None`).
pub fn in_days(days: Option<i64>) -> String {
    match days {
        Some(1) => " in a day".to_owned(),
        Some(days @ 2..) => format!(" in {days} days"),
        _ => String::new(),
    }
}

/// " (62h played)" after it, when the read's hours played were logged of no known whole (a
/// game's), as the tweet and the feeds' text say them; nothing otherwise.
pub fn hours_played(seconds: Option<u32>) -> String {
    seconds.map_or_else(String::new, |s| format!(" ({} played)", duration(s)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(Title::parse("  Dune ").unwrap().as_str(), "Dune");
        assert!(Title::parse("   ").unwrap_err().0.contains("empty"));
        assert!(Title::parse(&"x".repeat(300)).is_ok());
        assert!(Title::parse(&"x".repeat(301))
            .unwrap_err()
            .0
            .contains("at most 300"));
        // 300 characters, not bytes: CJK titles are not penalised for their UTF-8 size.
        assert!(Title::parse(&"字".repeat(300)).is_ok());
        assert!(Title::parse("a\u{0007}b").unwrap_err().0.contains("U+0007"));
        assert!(Title::parse("two\nlines").is_err());
    }

    #[test]
    fn tags_are_lower_case() {
        assert_eq!(Tag::parse(" Sci-Fi ").unwrap().as_str(), "sci-fi");
        assert_eq!(Tag::parse("classics").unwrap().as_str(), "classics");
        // Title case and context-dependent letters get the full Unicode rules.
        assert_eq!(Tag::parse("ǅemal").unwrap().as_str(), "ǆemal");
        assert_eq!(Tag::parse("ΟΔΥΣΣΕΥΣ").unwrap().as_str(), "οδυσσευς");
    }

    #[test]
    fn slugs_spell_other_scripts_in_ascii() {
        let slug = |t: &str| ItemId::slug(&Title::parse(t).unwrap(), 0xabcdef).0;
        assert_eq!(&*slug("Amélie"), "amelie-abcdef");
        assert_eq!(&*slug("Les Misérables"), "les-miserables-abcdef");
        assert_eq!(&*slug("三体"), "san-ti-abcdef");
        assert_eq!(&*slug("Ægir: Þórr"), "aegir-thorr-abcdef");
        assert_eq!(&*slug("★"), "abcdef");
        // What an earlier build made, which a retried add still names.
        let ascii = ItemId::ascii_slug(&Title::parse("Amélie").unwrap(), 0xabcdef);
        assert_eq!(ascii.as_str(), "am-lie-abcdef");
    }

    proptest! {
        #[test]
        fn a_tag_is_its_text_in_lower_case(raw in "\\PC{1,20}") {
            if let Ok(tag) = Tag::parse(&raw) {
                prop_assert_eq!(tag.as_str(), raw.trim().to_lowercase());
            }
        }
    }

    /// Characters where the rules meet: white space, controls, letters that grow when
    /// lower-cased (`İ`) or percent-encoded (`漢`), and the punctuation of URLs.
    fn awkward(max: usize) -> impl Strategy<Value = String> {
        let alphabet = vec![
            'a', 'Z', 'İ', 'ẞ', 'Σ', '漢', '😀', ' ', '\t', '\n', '\u{85}', '\u{3000}', '\u{7}',
            '\u{9F}', '%', '/', '.', ':', '?', '#', '@', '\\', '[', ']',
        ];
        // Runs of one character, so that the length bounds are reached as well.
        let run = (
            proptest::sample::select(alphabet),
            prop_oneof![1..4usize, 20..60usize, 1..max],
        );
        proptest::collection::vec(run, 0..6).prop_map(|runs| {
            runs.into_iter()
                .flat_map(|(c, n)| std::iter::repeat_n(c, n))
                .collect()
        })
    }

    proptest! {
        /// What a value stores (its `as_str`, which the log holds) parses back to the same
        /// value: otherwise a request the writer accepts appends an event no replica can read.
        #[test]
        fn what_is_stored_parses_back_to_itself(
            s in awkward(400),
            scheme in prop_oneof![Just("https://"), Just("HTTP://"), Just(" http://")],
            host in "[a-z]{1,8}(\\.[a-z]{2,3})?",
        ) {
            fn again<T: PartialEq + fmt::Debug>(
                parsed: Result<T, ParseError>,
                stored: impl Fn(&T) -> &str,
                parse: impl Fn(&str) -> Result<T, ParseError>,
            ) -> Result<(), TestCaseError> {
                if let Ok(v) = parsed {
                    prop_assert_eq!(parse(stored(&v)), Ok(v));
                }
                Ok(())
            }
            again(Title::parse(&s), Title::as_str, Title::parse)?;
            again(Creator::parse(&s), Creator::as_str, Creator::parse)?;
            again(Tag::parse(&s), Tag::as_str, Tag::parse)?;
            again(Review::parse(&s), Review::as_str, Review::parse)?;
            let url = format!("{scheme}{host}/{s}");
            again(Url::parse(&url), Url::as_str, Url::parse)?;
        }
    }

    #[test]
    fn a_tag_is_bounded_as_stored_in_lower_case() {
        // `İ` lower-cases to `i̇`, two characters.
        assert_eq!(
            Tag::parse(&"İ".repeat(25))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            50
        );
        let e = Tag::parse(&"İ".repeat(26)).unwrap_err().0;
        assert!(e.contains("once lower-cased (got 52)"), "{e}");
    }

    #[test]
    fn a_url_is_bounded_as_stored_once_normalised() {
        // `漢` is stored percent-encoded: `%E6%BC%A2`, nine characters.
        let url = |n| format!("https://example.com/{}", "漢".repeat(n));
        assert_eq!(Url::parse(&url(225)).unwrap().as_str().len(), 20 + 225 * 9);
        let e = Url::parse(&url(226)).unwrap_err().0;
        assert!(
            e.contains("once normalised") && e.contains("got 2054"),
            "{e}"
        );
        assert!(Url::parse(&url(600)).is_err()); // 1,820 bytes, but 5,420 characters stored
        let ascii = format!("https://example.com/{}", "a".repeat(2028));
        assert!(Url::parse(&format!("  {ascii}\n")).is_ok());
        assert!(Url::parse(&format!("{ascii}a"))
            .unwrap_err()
            .0
            .contains("got 2049"));
    }

    #[test]
    fn a_url_is_trimmed_and_normalised_but_holds_no_control_characters() {
        assert_eq!(
            Url::parse(" HTTPS://Example.COM\n").unwrap().as_str(),
            "https://example.com/"
        );
        for bad in [
            "https://exam\tple.com",
            "https://example.com/a\nb",
            "https://e.com/\u{7}",
        ] {
            let e = Url::parse(bad).unwrap_err().0;
            assert!(e.contains("control characters"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn reviews_may_span_lines_but_not_hold_other_controls() {
        assert!(Review::parse("Great.\n\nWould read again.").is_ok());
        assert!(Review::parse("bell\u{0007}").is_err());
    }

    #[test]
    fn ratings_are_half_steps_between_half_and_five() {
        for ok in [0.5, 1.0, 3.5, 5.0] {
            assert_eq!(Rating::parse(ok).unwrap().stars(), ok);
        }
        for bad in [0.0, 0.25, 4.4, 5.5, -1.0, f64::NAN, f64::INFINITY] {
            assert!(Rating::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(Rating::parse(4.5).unwrap().to_stars(), "★★★★½");
        assert_eq!(Rating::parse(0.5).unwrap().to_stars(), "½");
    }

    #[test]
    fn rating_deserialises_through_parse() {
        assert!(serde_json::from_str::<Rating>("4.5").is_ok());
        let e = serde_json::from_str::<Rating>("4.3")
            .unwrap_err()
            .to_string();
        assert!(e.contains("steps of 0.5"), "{e}");
    }

    #[test]
    fn urls_must_be_http_or_https() {
        assert!(Url::parse("https://example.com/book").is_ok());
        assert!(Url::parse("http://example.com").is_ok());
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "ftp://example.com",
            "/relative",
            "https://",
            "",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad} accepted");
        }
        // A link typed without its scheme is named, with what it lacks.
        let said = Url::parse("example.com/essay").unwrap_err().to_string();
        assert!(
            said.contains(r#""example.com/essay" is not a whole link: give it with its https://"#),
            "{said}"
        );
    }

    #[test]
    fn kinds_parse_and_name_themselves() {
        for k in MediaKind::ALL {
            assert_eq!(MediaKind::parse(k.as_str()).unwrap(), k);
        }
        assert_eq!(MediaKind::parse("film").unwrap(), MediaKind::Movie);
        assert_eq!(MediaKind::parse("show").unwrap(), MediaKind::Tv);
        assert_eq!(
            MediaKind::parse("vinyl").unwrap_err().0,
            "unknown kind \"vinyl\": expected one of book, article, movie (or film), tv (or show), \
             game, podcast"
        );
        assert_eq!(MediaKind::Podcast.verb(Unit::Own), "listened to");
    }

    #[test]
    fn a_book_followed_in_running_time_was_listened_to() {
        use MediaKind::*;
        let said = |k: MediaKind, unit| (k.verbing(unit), k.verb(unit));
        assert_eq!(said(Book, Unit::Own), ("reading", "read"));
        assert_eq!(said(Book, Unit::Seconds), ("listening to", "listened to"));
        assert_eq!(
            said(Article, Unit::Seconds),
            ("listening to", "listened to")
        );
        assert_eq!(said(Podcast, Unit::Own), ("listening to", "listened to"));
        // A film paused at 45:10 was still watched.
        assert_eq!(said(Movie, Unit::Seconds), ("watching", "watched"));
        assert_eq!(said(Tv, Unit::Seconds), ("watching", "watched"));
        assert_eq!(Book.label_in(Unit::Seconds), "Audiobook");
        assert_eq!(Book.label_in(Unit::Own), "Book");
        assert_eq!(Article.label_in(Unit::Seconds), "Article");
    }

    #[test]
    fn percent_is_zero_to_hundred() {
        assert!(Percent::parse(0).is_ok() && Percent::parse(100).is_ok());
        assert!(Percent::parse(101).is_err() && Percent::parse(-1).is_err());
        assert!(serde_json::from_str::<Percent>("42.5").is_err());
    }

    #[test]
    fn portions_are_within_their_whole_and_round_down() {
        let p = Portion::parse(183, 304).unwrap();
        let pct = |p: Portion| p.percent().unwrap().get();
        assert_eq!((p.done(), p.of(), pct(p)), (183, Some(304), 60));
        assert_eq!(pct(Portion::parse(303, 304).unwrap()), 99);
        assert_eq!(pct(Portion::parse(304, 304).unwrap()), 100);
        assert_eq!(pct(Portion::parse(0, 1).unwrap()), 0);
        let max = i64::from(Portion::MAX);
        assert_eq!(pct(Portion::parse(max - 1, max).unwrap()), 99);
        assert!(Portion::parse(305, 304)
            .unwrap_err()
            .0
            .contains("from 0 to of (304)"));
        assert!(Portion::parse(-1, 304).is_err());
        assert!(Portion::parse(0, 0)
            .unwrap_err()
            .0
            .contains("from 1 to 1000000"));
        assert!(Portion::parse(1, max + 1).is_err());
        assert_eq!(p.describe(MediaKind::Book), "page 183 of 304");
        assert_eq!(p.describe(MediaKind::Tv), "episode 183 of 304");
        assert_eq!(p.describe(MediaKind::Podcast), "episode 183 of 304");
        assert_eq!(p.describe(MediaKind::Game), "183 of 304");
    }

    /// A game's hours played, of no known whole: no percentage, said as time played, stored
    /// without `of`; only running time can be open so.
    #[test]
    fn time_played_of_no_known_whole_is_no_percentage() {
        let played = Portion::from_parts(Some(43_200), None, Some(Unit::Seconds), None)
            .unwrap()
            .unwrap();
        assert_eq!(
            (played.done(), played.of(), played.percent()),
            (43_200, None, None)
        );
        assert_eq!(played.describe(MediaKind::Game), "12h played");
        assert_eq!(played.describe(MediaKind::Podcast), "12h in");
        let json = serde_json::to_value(played).unwrap();
        assert_eq!(json, serde_json::json!({"done": 43_200, "unit": "seconds"}));
        assert_eq!(serde_json::from_value::<Portion>(json).unwrap(), played);
        // Pages or episodes always have their count.
        let err = Portion::from_parts(Some(45), None, None, None)
            .unwrap_err()
            .0;
        assert!(err.contains("done goes with of"), "{err}");
        assert!(serde_json::from_value::<Portion>(serde_json::json!({"done": 45})).is_err());
        assert!(Portion::from_parts(None, Some(304), None, None).is_err());
        assert!(Portion::played(i64::from(Portion::PLAYED_MAX)).is_ok());
        assert!(Portion::played(i64::from(Portion::PLAYED_MAX) + 1)
            .unwrap_err()
            .0
            .contains("10,000 hours"));
        assert!(Portion::played(-1).is_err());
    }

    /// A show's episode of a season: no percentage (the show's episodes in all are not known),
    /// said "S2 E5", stored as `season` beside `done`; refused with a whole, in seconds, or
    /// without its episode.
    #[test]
    fn an_episode_of_a_season_is_no_percentage() {
        let episode = Portion::from_parts(Some(5), None, None, Some(2))
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                episode.season(),
                episode.done(),
                episode.of(),
                episode.percent()
            ),
            (Some(2), 5, None, None)
        );
        assert!(!episode.is_played());
        assert_eq!(episode.describe(MediaKind::Tv), "S2 E5");
        assert_eq!(episode.describe(MediaKind::Podcast), "S2 E5");
        let json = serde_json::to_value(episode).unwrap();
        assert_eq!(json, serde_json::json!({"done": 5, "season": 2}));
        assert_eq!(serde_json::from_value::<Portion>(json).unwrap(), episode);
        // Season 0, a show's specials; a season numbered by its year.
        assert_eq!(
            Portion::episode(0, 1).unwrap().describe(MediaKind::Tv),
            "S0 E1"
        );
        assert!(Portion::episode(2024, 180).is_ok());
        let refused =
            |done, of, unit, season| Portion::from_parts(done, of, unit, season).unwrap_err().0;
        let err = refused(Some(5), Some(10), None, Some(2));
        assert!(err.contains("season goes with done alone"), "{err}");
        let err = refused(Some(5), None, Some(Unit::Seconds), Some(2));
        assert!(err.contains("season goes with done alone"), "{err}");
        let err = refused(None, None, None, Some(2));
        assert!(err.contains("season goes with done"), "{err}");
        let err = refused(Some(5), None, None, Some(10_000));
        assert!(
            err.contains("season must be a whole number from 0 to 9999"),
            "{err}"
        );
        let err = refused(Some(100_000), None, None, Some(1));
        assert!(err.contains("from 0 to 99999"), "{err}");
        assert!(Portion::episode(-1, 1).is_err() && Portion::episode(1, -1).is_err());
    }

    #[test]
    fn a_running_time_is_said_as_one_and_stored_only_when_counted_so() {
        let audiobook = Portion::parse_in(4_800, 15_120, Unit::Seconds).unwrap();
        assert_eq!(audiobook.percent().unwrap().get(), 31);
        assert_eq!(audiobook.describe(MediaKind::Book), "1h 20m of 4h 12m");
        let episode = Portion::parse_in(2_730, 3_600, Unit::Seconds).unwrap();
        assert_eq!(episode.describe(MediaKind::Podcast), "45m of 1h");
        assert_eq!(duration(30), "30s");
        assert_eq!(duration(3_659), "1h");
        // A count in the item's own units is stored as before time was counted.
        let pages = Portion::parse(183, 304).unwrap();
        assert_eq!(
            serde_json::to_value(pages).unwrap(),
            serde_json::json!({"done": 183, "of": 304})
        );
        let json = serde_json::to_value(audiobook).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"done": 4_800, "of": 15_120, "unit": "seconds"})
        );
        assert_eq!(serde_json::from_value::<Portion>(json).unwrap(), audiobook);
        assert!(serde_json::from_value::<Portion>(
            serde_json::json!({"done": 1, "of": 2, "unit": "hours"})
        )
        .is_err());
        assert!(Portion::from_parts(None, None, Some(Unit::Seconds), None)
            .unwrap_err()
            .0
            .contains("unit goes with done"));
    }

    #[test]
    fn ids_are_uuids_or_slugs() {
        assert!(ItemId::parse(&uuid::Uuid::new_v4().to_string()).is_ok());
        assert!(ItemId::parse("left-hand-of-darkness").is_ok());
        for bad in ["", "-x", "Upper", "a b", "../etc", &"a".repeat(101)] {
            assert!(ItemId::parse(bad).is_err(), "{bad:?} accepted");
        }
        let t = Title::parse("The Left Hand of Darkness!").unwrap();
        assert_eq!(
            ItemId::slug(&t, 0xabc).as_str(),
            "the-left-hand-of-darkness-000abc"
        );
        assert_eq!(
            ItemId::slug(&Title::parse("字").unwrap(), 1).as_str(),
            "zi-000001"
        );
        assert_eq!(
            ItemId::ascii_slug(&Title::parse("字").unwrap(), 1).as_str(),
            "000001"
        );
    }

    proptest! {
        #[test]
        fn parsed_titles_always_hold_the_invariant(s in "\\PC{0,400}") {
            if let Ok(t) = Title::parse(&s) {
                let n = t.as_str().chars().count();
                prop_assert!((1..=300).contains(&n));
                prop_assert!(!t.as_str().chars().any(char::is_control));
            }
        }

        #[test]
        fn slugs_are_always_valid_ids(s in "\\PC{1,80}", seed in any::<u64>()) {
            if let Ok(t) = Title::parse(&s) {
                let id = ItemId::slug(&t, seed);
                prop_assert!(ItemId::parse(id.as_str()).is_ok(), "{}", id);
            }
        }
    }
}
