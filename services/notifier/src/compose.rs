//! The tweet text: a template filled from the item, fitted to X's 280 weighted characters.
//!
//! X counts characters by weight (most CJK characters count two) and every URL as 23,
//! whatever its length; `egg-mode-text` implements exactly that count. When the text is too
//! long, the review is shortened first, then the title, each with "…" — never the URL, which
//! must stay intact to work.

use lately_domain::{for_the_nth_time, hours_played, in_days, ordinal, MediaKind, Rating, Unit};
use lately_projection::Goal;

/// Placeholders: `{verb}` (read, watched, played, listened to), `{verbing}` (reading,
/// watching, playing, listening to), `{kind}`, `{title}`, `{creators}`, `{by}` (" by …" or
/// nothing), `{again}` (" for the 2nd time" or nothing), `{took}` (" in 13 days", or nothing
/// for a read begun the day it ended or never started), `{played}` (" (62h played)": a game's
/// hours played, logged of no known whole; or nothing), `{stars}` (★★★★½), `{rating}` (4.5),
/// `{review}`, `{url}`, `{count}` ("12th book of 2026"), `{goal}` (" (12 of 24 books in
/// 2026)", or nothing without a goal for it in `LATELY_GOALS`), `{hashtags}` (the item's
/// tags as hashtags, " #sf #leguin", or nothing).
pub const DEFAULT_TEMPLATE: &str =
    "Finished {verbing} “{title}”{by}{again}{took}{played} {stars} {url}";

/// Every placeholder [`fill`] knows.
const PLACEHOLDERS: [&str; 16] = [
    "verb", "verbing", "kind", "title", "creators", "by", "again", "took", "played", "stars",
    "rating", "review", "url", "count", "goal", "hashtags",
];

/// Whether `template` says where a finish stands in its year (`{count}`, `{goal}`): only then
/// is the year counted, which reads every finish of it.
pub fn counts_the_year(template: &str) -> bool {
    template.contains("{count}") || template.contains("{goal}")
}

/// A template as `LATELY_TWEET_TEMPLATE` gives it, checked when the notifier starts: a typo'd
/// placeholder (`{titel}`) would otherwise be tweeted as it stands, on every finish. Empty
/// (as compose passes it unset) is the default.
pub fn template(raw: &str) -> Result<String, String> {
    if raw.trim().is_empty() {
        return Ok(DEFAULT_TEMPLATE.to_owned());
    }
    let mut rest = raw;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        let (name, tail) = after.split_at(name_len);
        if !name.is_empty() && tail.starts_with('}') && !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{name}}} in the tweet template; the placeholders are {}",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
            ));
        }
        rest = after;
    }
    Ok(raw.to_owned())
}

pub const MAX_WEIGHT: usize = 280;
const URL_WEIGHT: i32 = 23;

/// What a tweet is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Finish<'a> {
    pub kind: MediaKind,
    pub title: &'a str,
    pub creators: &'a [String],
    pub url: Option<&'a str>,
    pub rating: Option<Rating>,
    pub review: Option<&'a str>,
    /// Which finish of the item this is: 1 for the first, 2 for a re-read, and so on.
    pub nth: usize,
    /// How many days of the owner's calendar the read took, from its start to this finish;
    /// `None` for a finish recorded without a start.
    pub days: Option<i64>,
    /// Where it stands in its year, if the template asks ([`counts_the_year`]).
    pub in_year: Option<InYear>,
    /// The item's tags, for `{hashtags}`.
    pub tags: &'a [String],
    /// What the read it ended was followed in: a book followed in running time was listened
    /// to (`{verb}`, `{verbing}`).
    pub followed_in: Unit,
    /// The hours played of the read it ended, in seconds, when they were logged of no known
    /// whole (a game's: `{played}`).
    pub played: Option<u32>,
}

/// Where a finish stands in the year of its day (the owner's calendar), as the public stats
/// were when it was finished: `{count}` and `{goal}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InYear {
    pub year: i32,
    /// The public finishes of its kind in the year, this one included.
    pub of_kind: u64,
    /// The owner's goal it counts towards (its kind's, else the one for everything: what it
    /// counts, and how many), and how many finishes count towards it.
    pub goal: Option<(Option<MediaKind>, Goal, u64)>,
}

/// `{count}`: "12th book of 2026".
fn count(kind: MediaKind, y: Option<InYear>) -> String {
    y.map_or_else(String::new, |y| {
        format!("{} {} of {}", ordinal(y.of_kind), kind.noun(1), y.year)
    })
}

/// `{goal}`: " (12 of 24 books in 2026)", " (30 of 100 in 2026)" for a goal of everything;
/// nothing without a goal.
fn goal(y: Option<InYear>) -> String {
    let Some((Some((of, goal, n)), year)) = y.map(|y| (y.goal, y.year)) else {
        return String::new();
    };
    let what = of.map_or_else(String::new, |k| format!(" {}", k.noun(goal.get())));
    format!(" ({n} of {}{what} in {year})", goal.get())
}

/// `{hashtags}`: " #sf #leguin" — each tag as X makes a hashtag of it: its letters, digits
/// and underscores ("sci-fi" is #scifi, "le guin" #leguin); one with no letter left (a year,
/// "2026", which X does not take for a hashtag) and a repeat are left out. Nothing without.
fn hashtags(tags: &[String]) -> String {
    let mut said: Vec<String> = Vec::new();
    for tag in tags {
        let word: String = tag
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let word = format!("#{word}");
        if tag.chars().any(char::is_alphabetic) && !said.contains(&word) {
            said.push(word);
        }
    }
    said.iter().map(|h| format!(" {h}")).collect()
}

/// `{again}`: nothing for a first finish, " for the 2nd time" after, as the feeds' text says
/// it. It also keeps a re-read's tweet from repeating the first one word for word, which X
/// refuses as duplicate content.
fn again(nth: usize) -> String {
    for_the_nth_time(nth as u64)
}

pub fn weight(text: &str) -> usize {
    egg_mode_text::character_count(text, URL_WEIGHT, URL_WEIGHT)
}

fn fill(template: &str, f: &Finish<'_>, title: &str, review: &str, tags: &str) -> String {
    let creators = f.creators.join(", ");
    let by = if creators.is_empty() {
        String::new()
    } else {
        format!(" by {creators}")
    };
    let text = template
        .replace("{verbing}", f.kind.verbing(f.followed_in))
        .replace("{verb}", f.kind.verb(f.followed_in))
        .replace("{kind}", f.kind.as_str())
        .replace("{title}", title)
        .replace("{creators}", &creators)
        .replace("{by}", &by)
        .replace("{again}", &again(f.nth))
        .replace("{took}", &in_days(f.days))
        .replace("{played}", &hours_played(f.played))
        .replace(
            "{stars}",
            &f.rating.map(Rating::to_stars).unwrap_or_default(),
        )
        .replace(
            "{rating}",
            &f.rating.map(|r| r.stars().to_string()).unwrap_or_default(),
        )
        .replace("{count}", &count(f.kind, f.in_year))
        .replace("{goal}", &goal(f.in_year))
        .replace("{hashtags}", tags)
        .replace("{review}", review)
        .replace("{url}", f.url.unwrap_or_default());
    // Empty placeholders leave doubled or trailing spaces behind; tidy them, keep line breaks.
    text.lines()
        .map(|l| {
            l.split(' ')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// `s` cut to at most `n` characters, with "…" if it was cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let kept: String = s.chars().take(n.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// The longest cut of `field` (in characters) for which `render` fits, by bisection.
fn fit(field: &str, render: impl Fn(&str) -> String) -> Option<String> {
    let len = field.chars().count();
    if weight(&render(field)) <= MAX_WEIGHT {
        return Some(field.to_owned());
    }
    let (mut lo, mut hi) = (0usize, len);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if weight(&render(&cut(field, mid))) <= MAX_WEIGHT {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let best = cut(field, lo);
    (weight(&render(&best)) <= MAX_WEIGHT).then_some(best)
}

/// The tweet for a finish. Always at most 280 weighted characters; the URL is never cut.
pub fn compose(template: &str, f: &Finish<'_>) -> String {
    let review = f.review.unwrap_or_default();
    let tags = hashtags(f.tags);
    let whole = fill(template, f, f.title, review, &tags);
    if weight(&whole) <= MAX_WEIGHT {
        return whole;
    }
    // First the hashtags give way (all of them: the owner's words come first), then the
    // review, then the title.
    if let Some(r) = fit(review, |r| fill(template, f, f.title, r, "")) {
        return fill(template, f, f.title, &r, "");
    }
    if let Some(t) = fit(f.title, |t| fill(template, f, t, "", "")) {
        return fill(template, f, &t, "", "");
    }
    // A template that alone is too long: the URL alone still works.
    f.url
        .map(str::to_owned)
        .unwrap_or_else(|| cut(&fill(template, f, "", "", ""), 140))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_with_an_unknown_placeholder_is_refused() {
        assert!(template(DEFAULT_TEMPLATE).is_ok());
        assert!(
            template("Done: {title} {} {Title} {url").is_ok(),
            "only {{name}} is a placeholder"
        );
        let typo = template("Finished {titel}{by}").unwrap_err();
        assert!(typo.starts_with("unknown placeholder {titel}"), "{typo}");
        assert!(
            typo.contains("{title}") && typo.contains("{again}"),
            "{typo}"
        );
        assert_eq!(template("  ").unwrap(), DEFAULT_TEMPLATE);
        // What the check knows is what `fill` replaces.
        let every = PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ");
        let creators = ["Ursula K. Le Guin".to_owned()];
        let filled = fill(&every, &finish("Dune", &creators), "Dune", "Good.", " #sf");
        assert!(!filled.contains('{'), "{filled}");
    }

    fn finish<'a>(title: &'a str, creators: &'a [String]) -> Finish<'a> {
        Finish {
            kind: MediaKind::Book,
            title,
            creators,
            url: Some(
                "https://example.com/books/the-left-hand-of-darkness-and-a-very-long-path?utm=1",
            ),
            rating: Some(Rating::parse(4.5).unwrap()),
            review: None,
            nth: 1,
            days: None,
            in_year: None,
            tags: &[],
            followed_in: Unit::Own,
            played: None,
        }
    }

    #[test]
    fn the_default_template_reads_naturally() {
        let by = vec!["Ursula K. Le Guin".to_string()];
        let text = compose(DEFAULT_TEMPLATE, &finish("The Left Hand of Darkness", &by));
        assert_eq!(
            text,
            "Finished reading “The Left Hand of Darkness” by Ursula K. Le Guin ★★★★½ https://example.com/books/the-left-hand-of-darkness-and-a-very-long-path?utm=1"
        );
        let film = Finish {
            kind: MediaKind::Movie,
            rating: None,
            url: None,
            ..finish("Past Lives", &[])
        };
        assert_eq!(
            compose(DEFAULT_TEMPLATE, &film),
            "Finished watching “Past Lives”"
        );
        let pod = Finish {
            kind: MediaKind::Podcast,
            ..film.clone()
        };
        assert_eq!(
            compose("Just {verb} {title}", &pod),
            "Just listened to Past Lives"
        );
        // A book followed in running time, as a player shows it, was listened to.
        let audiobook = Finish {
            url: None,
            followed_in: Unit::Seconds,
            ..finish("Project Hail Mary", &[])
        };
        assert_eq!(
            compose(DEFAULT_TEMPLATE, &audiobook),
            "Finished listening to “Project Hail Mary” ★★★★½"
        );
        assert_eq!(
            compose("Just {verb} {title}", &audiobook),
            "Just listened to Project Hail Mary"
        );
        // A game's hours played, logged of no known whole, say how long it took to play.
        let game = Finish {
            kind: MediaKind::Game,
            url: None,
            days: Some(13),
            played: Some(223_200),
            ..finish("Elden Ring", &[])
        };
        assert_eq!(
            compose(DEFAULT_TEMPLATE, &game),
            "Finished playing “Elden Ring” in 13 days (62h played) ★★★★½"
        );
        // A read begun on an earlier day says how long it took; one begun the day it ended
        // (or never started) says nothing.
        let read = |days| {
            compose(
                DEFAULT_TEMPLATE,
                &Finish {
                    url: None,
                    days,
                    ..finish("Piranesi", &[])
                },
            )
        };
        assert_eq!(
            read(Some(13)),
            "Finished reading “Piranesi” in 13 days ★★★★½"
        );
        assert_eq!(read(Some(1)), "Finished reading “Piranesi” in a day ★★★★½");
        assert_eq!(read(Some(0)), "Finished reading “Piranesi” ★★★★½");
        assert_eq!(read(None), read(Some(0)));
    }

    #[test]
    fn tags_are_hashtags_that_give_way_first() {
        let tags = [
            "sf".to_owned(),
            "le guin".to_owned(),
            "sci-fi".to_owned(),
            "SF".to_owned(),
            "2026".to_owned(),
            "三体".to_owned(),
        ];
        assert_eq!(hashtags(&tags), " #sf #leguin #scifi #SF #三体");
        assert_eq!(hashtags(&[]), "");
        let template = "{title}{hashtags} {review} {url}";
        let by = vec!["Ursula K. Le Guin".to_string()];
        let tagged = |review| Finish {
            review,
            tags: &tags[..2],
            ..finish("The Dispossessed", &by)
        };
        assert_eq!(
            compose(template, &tagged(Some("An ambiguous utopia."))),
            "The Dispossessed #sf #leguin An ambiguous utopia. https://example.com/books/the-left-hand-of-darkness-and-a-very-long-path?utm=1"
        );
        // Too long: the hashtags go, whole, before a word of the review is cut.
        let long = "word ".repeat(46);
        let text = compose(template, &tagged(Some(long.trim())));
        assert!(!text.contains('#') && text.contains(long.trim()), "{text}");
        assert!(weight(&text) <= MAX_WEIGHT);
    }

    #[test]
    fn a_repeat_finish_says_which_time_it_is() {
        let by = vec!["Frank Herbert".to_string()];
        let reread = |nth| {
            compose(
                DEFAULT_TEMPLATE,
                &Finish {
                    url: None,
                    nth,
                    ..finish("Dune", &by)
                },
            )
        };
        assert_eq!(reread(1), "Finished reading “Dune” by Frank Herbert ★★★★½");
        assert_eq!(
            reread(2),
            "Finished reading “Dune” by Frank Herbert for the 2nd time ★★★★½"
        );
        let ordinals: Vec<String> = [3, 4, 11, 12, 13, 21, 22, 23, 101, 111]
            .into_iter()
            .map(again)
            .collect();
        assert_eq!(
            ordinals,
            [
                " for the 3rd time",
                " for the 4th time",
                " for the 11th time",
                " for the 12th time",
                " for the 13th time",
                " for the 21st time",
                " for the 22nd time",
                " for the 23rd time",
                " for the 101st time",
                " for the 111th time"
            ]
        );
    }

    #[test]
    fn a_finish_can_say_where_it_stands_in_its_year_and_against_the_goal() {
        let template = "Finished {verbing} “{title}”: {count}{goal} {stars}";
        let said = |kind, of_kind, goal: Option<(Option<MediaKind>, u64, u64)>| {
            let in_year = InYear {
                year: 2026,
                of_kind,
                goal: goal.map(|(of, g, n)| (of, Goal::new(g).unwrap(), n)),
            };
            compose(
                template,
                &Finish {
                    kind,
                    url: None,
                    in_year: Some(in_year),
                    ..finish("Dune", &[])
                },
            )
        };
        assert_eq!(
            said(MediaKind::Book, 12, Some((Some(MediaKind::Book), 24, 12))),
            "Finished reading “Dune”: 12th book of 2026 (12 of 24 books in 2026) ★★★★½"
        );
        assert_eq!(
            said(MediaKind::Tv, 3, Some((None, 100, 41))),
            "Finished watching “Dune”: 3rd TV show of 2026 (41 of 100 in 2026) ★★★★½"
        );
        assert_eq!(
            said(MediaKind::Movie, 1, Some((Some(MediaKind::Movie), 1, 1))),
            "Finished watching “Dune”: 1st film of 2026 (1 of 1 film in 2026) ★★★★½"
        );
        // No goal for it: `{goal}` says nothing.
        assert_eq!(
            said(MediaKind::Game, 22, None),
            "Finished playing “Dune”: 22nd game of 2026 ★★★★½"
        );
        assert!(counts_the_year(template) && !counts_the_year(DEFAULT_TEMPLATE));
    }

    #[test]
    fn a_long_title_is_cut_with_an_ellipsis_and_the_url_survives() {
        let title = "A ".repeat(200);
        let f = finish(&title, &[]);
        let text = compose(DEFAULT_TEMPLATE, &f);
        assert!(weight(&text) <= MAX_WEIGHT, "{}", weight(&text));
        assert!(
            weight(&text) >= MAX_WEIGHT - 3,
            "cut more than needed: {}",
            weight(&text)
        );
        assert!(text.contains("…”"));
        assert!(text.ends_with(f.url.unwrap()));
    }

    #[test]
    fn cjk_counts_double() {
        let title = "三体".repeat(100); // 200 characters, weight 400
        let f = finish(&title, &[]);
        let text = compose(DEFAULT_TEMPLATE, &f);
        assert!(weight(&text) <= MAX_WEIGHT);
        let kept = text.chars().filter(|c| *c == '三' || *c == '体').count();
        assert!(kept < 130 && kept > 100, "{kept} CJK characters kept");
        assert!(text.ends_with(f.url.unwrap()));
    }

    proptest::proptest! {
        /// Whatever the title, creators and review (any script, any length), the tweet fits and
        /// ends with the intact URL.
        #[test]
        fn every_tweet_fits_and_keeps_its_url(
            title in "\\PC{1,300}",
            creators in proptest::collection::vec("\\PC{1,60}", 0..4),
            review in proptest::option::of("\\PC{0,600}"),
            halves in proptest::option::of(1u8..=10),
            nth in 1usize..1000,
            days in proptest::option::of(0i64..100_000),
            played in proptest::option::of(0u32..=36_000_000),
            tags in proptest::collection::vec("\\PC{1,50}", 0..6),
        ) {
            let url = "https://example.com/items/some-long-path-that-is-longer-than-twenty-three";
            let f = Finish {
                kind: MediaKind::Game,
                title: &title,
                creators: &creators,
                url: Some(url),
                rating: halves.map(|h| Rating::from_half_stars(h).unwrap()),
                review: review.as_deref(),
                nth,
                days,
                in_year: Some(InYear { year: 2026, of_kind: nth as u64, goal: None }),
                tags: &tags,
                followed_in: Unit::Own,
                played,
            };
            for template in [DEFAULT_TEMPLATE, "{title} {stars}\n{review}\n{url}", "{title} {stars}: {count}{goal}\n{review}\n{url}", "{title}{hashtags} {review} {url}"] {
                let text = compose(template, &f);
                proptest::prop_assert!(weight(&text) <= MAX_WEIGHT, "{} > 280: {text}", weight(&text));
                proptest::prop_assert!(text.ends_with(url), "URL cut: {text}");
            }
        }
    }

    #[test]
    fn the_review_gives_way_before_the_title() {
        let review = "So good. ".repeat(60);
        let f = Finish {
            review: Some(&review),
            ..finish("Piranesi", &[])
        };
        let text = compose("{title} {stars}\n{review}\n{url}", &f);
        assert!(weight(&text) <= MAX_WEIGHT);
        assert!(text.starts_with("Piranesi ★★★★½\nSo good."));
        assert!(text.contains('…'));
        assert!(text.ends_with(f.url.unwrap()));
    }
}
