//! A finish's tweet shows its item's cover, as a book shared from Goodreads or a film from
//! Letterboxd does.
//!
//! The picture is fetched when the tweet is due, from wherever the item's `cover_url` points
//! (Open Library, for a book imported or given by its ISBN), and uploaded to X just before the
//! post. A cover is never worth a late or a lost tweet: one that cannot be fetched, is not a
//! picture X takes, or is a placeholder leaves the tweet to go out without it, the outbox
//! saying why. A host that fails for a moment (a 503, a reset connection, a timeout) is asked
//! again, twice, within 20 s: Open Library's cover server has its bad minutes, and a tweet is
//! posted once, so a cover missed is missed for good. Nothing here touches the outbox's
//! states: the upload leaves nothing on the account (an unused upload expires), so it may be
//! done again on every attempt.

use std::time::Duration;

use tokio::time::Instant;

use lately_domain::MediaKind;

/// X's limit for a tweet's picture.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// How long a cover's host gets to send it.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a tweet waits for its cover at most, the tries and the waits between them
/// included.
pub const BUDGET: Duration = Duration::from_secs(20);

/// The waits before the second and the third try, after a failure that may pass.
const WAITS: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(3)];

/// Narrower or lower than this is a placeholder, not a cover: Open Library answers an ISBN
/// it has no cover of with a 1×1 picture.
const MIN_SIDE: usize = 16;

/// A picture X takes for a tweet.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// Fetches the cover at `url`, trying again after a failure that may pass; the error says
/// why there is none to show, for the outbox.
pub async fn fetch(client: &reqwest::Client, url: &str) -> Result<Picture, String> {
    let deadline = Instant::now() + BUDGET;
    let mut waits = WAITS.into_iter();
    let mut tries = 1;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match fetch_once(client, url, left.min(FETCH_TIMEOUT)).await {
            Err(Miss::ForNow(why)) => match waits.next() {
                Some(wait) if Instant::now() + wait < deadline => {
                    tracing::info!(url, %why, tries, "the cover's host failed; asking again");
                    tokio::time::sleep(wait).await;
                    tries += 1;
                }
                _ if tries > 1 => return Err(format!("{why} ({tries} tries)")),
                _ => return Err(why),
            },
            Err(Miss::ForGood(why)) => return Err(why),
            Ok(picture) => return Ok(picture),
        }
    }
}

/// Why a try found no cover: a failure that may pass (asked again), or one that will not (a
/// 404, a page that is no picture).
enum Miss {
    ForNow(String),
    ForGood(String),
}

async fn fetch_once(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
) -> Result<Picture, Miss> {
    let mut res = client
        .get(url)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| Miss::ForNow(format!("the cover at {url} could not be fetched: {e}")))?;
    let status = res.status();
    if !status.is_success() {
        let why = format!("the cover at {url} answered {status}");
        return Err(match status.as_u16() {
            408 | 425 | 429 | 500 | 502 | 503 | 504 => Miss::ForNow(why),
            _ => Miss::ForGood(why),
        });
    }
    let over = || Miss::ForGood(format!("the cover at {url} is over X's 5 MB for a picture"));
    if res.content_length().is_some_and(|n| n > MAX_BYTES as u64) {
        return Err(over());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| Miss::ForNow(format!("the cover at {url} was cut off: {e}")))?
    {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_BYTES {
            return Err(over());
        }
    }
    picture(bytes).map_err(|why| Miss::ForGood(format!("the cover at {url} is {why}")))
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
