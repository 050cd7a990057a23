//! Any item a user can record, under any template they can configure: the tweet is at most 280
//! weighted characters, and with the default template a URL is never cut.
#![no_main]

use arbitrary::Arbitrary;
use lately_domain::{Creator, MediaKind, Rating, Review, Title, Url};
use lately_notifier::compose::{compose, weight, Finish, DEFAULT_TEMPLATE, MAX_WEIGHT};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    kind: u8,
    title: String,
    creators: Vec<String>,
    url: Option<String>,
    half_stars: Option<u8>,
    review: Option<String>,
    template: Option<String>,
    /// Which finish of the item (a re-read's `{again}`).
    nth: u16,
    /// How many days the read took (`{took}`).
    days: Option<u32>,
}

const KINDS: [&str; 6] = ["book", "article", "movie", "tv", "game", "podcast"];

fuzz_target!(|input: Input| {
    // Only what the writer would have accepted reaches the notifier.
    let Ok(title) = Title::parse(&input.title) else {
        return;
    };
    let creators: Vec<String> = input
        .creators
        .iter()
        .filter_map(|c| Creator::parse(c).ok())
        .map(|c| c.as_str().to_owned())
        .collect();
    let url = input.url.as_deref().and_then(|u| Url::parse(u).ok());
    let review = input.review.as_deref().and_then(|r| Review::parse(r).ok());
    let finish = Finish {
        kind: MediaKind::parse(KINDS[usize::from(input.kind) % KINDS.len()]).unwrap(),
        title: title.as_str(),
        creators: &creators,
        url: url.as_ref().map(Url::as_str),
        rating: input.half_stars.and_then(|h| Rating::from_half_stars(h).ok()),
        review: review.as_ref().map(Review::as_str),
        nth: usize::from(input.nth).max(1),
        days: input.days.map(i64::from),
    };
    let template = input.template.as_deref().unwrap_or(DEFAULT_TEMPLATE);
    let text = compose(template, &finish);
    assert!(weight(&text) <= MAX_WEIGHT, "{} > 280: {text:?}", weight(&text));
    if template == DEFAULT_TEMPLATE {
        if let Some(url) = &url {
            assert!(text.contains(url.as_str()), "the URL was cut: {text:?}");
        }
    }
});
