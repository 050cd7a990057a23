//! A podcast's artwork, read from its feed: `lately import overcast --covers` gives it to each
//! of the show's episodes as its cover, since Overcast's export names no picture (and the
//! widget's shelf of covers is a wall of blank squares without them).

use std::time::Duration;

use lately_domain::Url as Link;
use reqwest::Url;

/// What is read of a feed at most: its channel's artwork comes before its first episode, and a
/// show's whole feed runs to megabytes.
const MAX_BYTES: usize = 1 << 20;

/// Fetches the feed at `feed` and reads its artwork; the error says why there is none.
pub async fn fetch(http: &reqwest::Client, feed: &str) -> Result<String, String> {
    let url = Url::parse(feed).map_err(|e| format!("{feed} is not a link ({e})"))?;
    let mut answer = http
        .get(url.clone())
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map_err(|e| format!("{feed} could not be read: {e}"))?;
    let status = answer.status();
    if !status.is_success() {
        return Err(format!("{feed} answered {status}"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = answer
        .chunk()
        .await
        .map_err(|e| format!("{feed} was cut off: {e}"))?
    {
        // The new bytes, and the four before them that an `<item` may start in.
        let from = body.len().saturating_sub(4);
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_BYTES || body[from..].windows(5).any(|w| w == b"<item") {
            break;
        }
    }
    artwork(&String::from_utf8_lossy(&body), answer.url())
        .ok_or_else(|| format!("{feed} names no artwork"))
}

/// The show's artwork as its feed names it before its first episode: iTunes' `<itunes:image
/// href>` (what podcast apps show), else RSS's `<image><url>`; resolved against the feed's
/// address, and a link the writer takes.
pub fn artwork(feed: &str, at: &Url) -> Option<String> {
    // The channel up to its first episode, closed: the rest need not be read, nor be there.
    let head = &feed[..feed.find("<item").unwrap_or(feed.len())];
    let head = format!(
        "{}</channel></rss>",
        head.trim_end()
            .trim_end_matches("</rss>")
            .trim_end()
            .trim_end_matches("</channel>")
    );
    let doc = roxmltree::Document::parse(&head).ok()?;
    let channel = doc.descendants().find(|n| n.has_tag_name("channel"))?;
    let itunes = channel
        .children()
        .find(|n| n.has_tag_name(("http://www.itunes.com/dtds/podcast-1.0.dtd", "image")))
        .and_then(|n| n.attribute("href"));
    let rss = || {
        channel
            .children()
            // RSS's own, not iTunes' of the same local name.
            .find(|n| n.has_tag_name("image") && n.tag_name().namespace().is_none())?
            .children()
            .find(|n| n.has_tag_name("url"))?
            .text()
    };
    let named = itunes.or_else(rss)?.trim();
    let link = at.join(named).ok()?;
    Link::parse(link.as_str())
        .ok()
        .map(|l| l.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Hardcore History</title>
<image><url>https://art.example/small.jpg</url><title>Hardcore History</title></image>
<itunes:image href="https://art.example/hh-3000.jpg"/>
<item><title>Show 69</title><itunes:image href="https://art.example/episode.jpg"/></item>
<item><title>Show 70 & more, cut off here"#;

    #[test]
    fn a_feeds_artwork_is_its_channels_itunes_image_else_its_rss_image() {
        let at = Url::parse("https://feeds.example/hh.xml").unwrap();
        assert_eq!(
            artwork(FEED, &at).as_deref(),
            Some("https://art.example/hh-3000.jpg")
        );
        // Without it, RSS's image, even after an iTunes image that names none.
        let plain = FEED
            .replace(r#"<image><url>"#, r#"<itunes:image/><image><url>"#)
            .replace(
                r#"<itunes:image href="https://art.example/hh-3000.jpg"/>"#,
                "",
            );
        assert_eq!(
            artwork(&plain, &at).as_deref(),
            Some("https://art.example/small.jpg")
        );
        // Relative to the feed; a whole feed, closed, read as well.
        let relative = "<rss><channel><image><url>/art.png</url></image></channel></rss>";
        assert_eq!(
            artwork(relative, &at).as_deref(),
            Some("https://feeds.example/art.png")
        );
        assert_eq!(
            artwork("<rss><channel><title>None</title></channel></rss>", &at),
            None
        );
        assert_eq!(artwork("<html><body>Not a feed", &at), None);
    }
}
