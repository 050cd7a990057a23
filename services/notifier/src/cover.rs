//! A finish's tweet shows its item's cover, as a book shared from Goodreads or a film from
//! Letterboxd does.
//!
//! The picture is fetched when the tweet is due, from wherever the item's `cover_url` points
//! (Open Library, for a book imported or given by its ISBN), and uploaded to X just before the
//! post. A cover is never worth a late or a lost tweet: one that cannot be fetched, is not a
//! picture X takes, or is a placeholder leaves the tweet to go out without it, the outbox
//! saying why. Nothing here touches the outbox's states: the upload leaves nothing on the
//! account (an unused upload expires), so it may be done again on every attempt.

use std::time::Duration;

use lately_domain::MediaKind;

/// X's limit for a tweet's picture.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// How long a cover's host gets to send it.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Narrower or lower than this is a placeholder, not a cover: Open Library answers an ISBN
/// it has no cover of with a 1×1 picture.
const MIN_SIDE: usize = 16;

/// A picture X takes for a tweet.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// Fetches the cover at `url`; the error says why there is none to show, for the outbox.
pub async fn fetch(client: &reqwest::Client, url: &str) -> Result<Picture, String> {
    let mut res = client
        .get(url)
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("the cover at {url} could not be fetched: {e}"))?;
    if !res.status().is_success() {
        return Err(format!("the cover at {url} answered {}", res.status()));
    }
    let over = || format!("the cover at {url} is over X's 5 MB for a picture");
    if res.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
        return Err(over());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| format!("the cover at {url} was cut off: {e}"))?
    {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_BYTES {
            return Err(over());
        }
    }
    picture(bytes).map_err(|why| format!("the cover at {url} is {why}"))
}

/// The bytes as a picture X takes, judged by what they are (not by what the host called
/// them); the error completes "the cover at … is …".
pub fn picture(bytes: Vec<u8>) -> Result<Picture, String> {
    let content_type = match imagesize::image_type(&bytes) {
        Ok(imagesize::ImageType::Jpeg) => "image/jpeg",
        Ok(imagesize::ImageType::Png) => "image/png",
        Ok(imagesize::ImageType::Gif) => "image/gif",
        Ok(imagesize::ImageType::Webp) => "image/webp",
        _ => return Err("not a JPEG, PNG, GIF or WebP picture".into()),
    };
    let size = imagesize::blob_size(&bytes)
        .map_err(|e| format!("a {content_type} that cannot be read ({e})"))?;
    if size.width < MIN_SIDE || size.height < MIN_SIDE {
        return Err(format!(
            "a placeholder of {}×{} pixels, not a cover",
            size.width, size.height
        ));
    }
    Ok(Picture {
        bytes,
        content_type,
    })
}

/// The picture's alt text, for whoever hears the tweet read out: "The cover of Dune by
/// Frank Herbert", "The poster of Aftersun".
pub fn alt_text(kind: MediaKind, title: &str, creators: &[String]) -> String {
    let what = match kind {
        MediaKind::Book | MediaKind::Article => "The cover of",
        MediaKind::Movie | MediaKind::Tv => "The poster of",
        MediaKind::Game => "The cover art of",
        MediaKind::Podcast => "The artwork of",
    };
    let text = if creators.is_empty() {
        format!("{what} {title}")
    } else {
        format!("{what} {title} by {}", creators.join(", "))
    };
    // X takes at most 1,000 characters.
    text.chars().take(1000).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG's signature and header, `width`×`height`, which is all `imagesize` reads.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bytes.extend(width.to_be_bytes());
        bytes.extend(height.to_be_bytes());
        bytes.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn a_cover_is_a_picture_x_takes_and_no_placeholder() {
        let cover = picture(png(180, 270)).unwrap();
        assert_eq!(cover.content_type, "image/png");
        assert_eq!(
            picture(png(1, 1)).unwrap_err(),
            "a placeholder of 1×1 pixels, not a cover"
        );
        assert_eq!(
            picture(b"<!doctype html><title>Not found</title>".to_vec()).unwrap_err(),
            "not a JPEG, PNG, GIF or WebP picture"
        );
    }

    #[test]
    fn the_alt_text_names_the_work() {
        assert_eq!(
            alt_text(MediaKind::Book, "Dune", &["Frank Herbert".into()]),
            "The cover of Dune by Frank Herbert"
        );
        assert_eq!(
            alt_text(MediaKind::Movie, "Aftersun", &[]),
            "The poster of Aftersun"
        );
    }
}
