//! Overcast's OPML export with its episodes: each one played a podcast finished on the day
//! Overcast last touched it, and with `--covers` each show's artwork, read from its feed.

use std::collections::HashMap;

use serde_json::json;

use super::{key, Planned};
use crate::client::CliError;
use crate::when::instant;

/// Overcast's OPML export: each episode played (`played="1"`) a podcast, "Show: Episode"
/// (its title alone when it names its show already), at its own link or else Overcast's,
/// added and finished when Overcast last touched it (`userUpdatedDate`: the moment it was
/// played to its end; its `pubDate` if that is missing); each with its show's feed (`xmlUrl`),
/// where `--covers` reads the show's artwork ([`with_artwork`]). One begun and not finished,
/// or only in the feed, is not a finish: left out.
pub fn plan_overcast(opml: &str) -> Result<Vec<(Planned, Option<String>)>, CliError> {
    let doc = roxmltree::Document::parse(opml)
        .map_err(|e| CliError::Usage(format!("not an Overcast export (not OPML: {e})")))?;
    if !doc.root_element().has_tag_name("opml") {
        return Err(CliError::Usage(
            "not an Overcast export (no <opml> at its root)".into(),
        ));
    }
    fn outlines<'a, 'i>(
        node: roxmltree::Node<'a, 'i>,
        kind: &'static str,
    ) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
        node.descendants()
            .filter(move |n| n.has_tag_name("outline") && n.attribute("type") == Some(kind))
    }
    let attr = |n: roxmltree::Node<'_, '_>, name: &str| {
        n.attribute(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut shows = 0;
    let mut out = Vec::new();
    for show in outlines(doc.root_element(), "rss") {
        shows += 1;
        let name = attr(show, "title").or_else(|| attr(show, "text"));
        let feed = attr(show, "xmlUrl");
        for episode in outlines(show, "podcast-episode") {
            if episode.attribute("played") != Some("1") {
                continue;
            }
            let Some(title) = attr(episode, "title") else {
                continue;
            };
            let title = match &name {
                Some(show) if !title.to_lowercase().contains(&show.to_lowercase()) => {
                    format!("{show}: {title}")
                }
                _ => title,
            };
            let title = crate::web_page::clip(&title, lately_domain::Title::MAX_CHARS);
            let played = attr(episode, "userUpdatedDate")
                .or_else(|| attr(episode, "pubDate"))
                .and_then(|t| instant(&t));
            let id = attr(episode, "overcastId")
                .or_else(|| attr(episode, "enclosureUrl"))
                .unwrap_or_else(|| title.clone());
            let mut add = json!({ "kind": "podcast", "title": title });
            if let Some(url) = attr(episode, "url").or_else(|| attr(episode, "overcastUrl")) {
                add["url"] = json!(url);
            }
            let mut finish = json!({});
            if let Some(at) = played {
                add["at"] = json!(at);
                finish["at"] = json!(at);
            }
            let planned = Planned {
                label: title,
                add_key: key(&format!("overcast:{id}:add")),
                add,
                steps: vec![("finish", finish, key(&format!("overcast:{id}:finish")))],
            };
            out.push((planned, feed.clone()));
        }
    }
    if shows == 0 {
        return Err(CliError::Usage(
            "not an Overcast export (no podcast in it: its OPML with the episodes, \"All \
             data\", is the one)"
                .into(),
        ));
    }
    Ok(out)
}

/// The feeds of the shows the planned episodes are of, each once, in the file's order.
pub fn show_feeds(episodes: &[(Planned, Option<String>)]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    episodes
        .iter()
        .filter_map(|(_, feed)| feed.clone())
        .filter(|feed| seen.insert(feed.clone()))
        .collect()
}

/// The planned episodes, each with its show's artwork when `artwork` has it (by the feed).
pub fn with_artwork(
    episodes: Vec<(Planned, Option<String>)>,
    artwork: &HashMap<String, String>,
) -> Vec<Planned> {
    episodes
        .into_iter()
        .map(|(mut planned, feed)| {
            if let Some(art) = feed.and_then(|f| artwork.get(&f)) {
                planned.add["cover_url"] = json!(art);
            }
            planned
        })
        .collect()
}

/// Each show's artwork, by its feed, read four feeds at a time; a feed that gives none is
/// said on stderr, and its episodes go without.
pub async fn overcast_artwork(feeds: Vec<String>) -> HashMap<String, String> {
    use futures::StreamExt;

    let http = reqwest::Client::builder()
        .user_agent(concat!("lately/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("a TLS backend is compiled in");
    let shows = feeds.len();
    let found: Vec<(String, Result<String, String>)> = futures::stream::iter(feeds)
        .map(|feed| {
            let http = &http;
            async move {
                let art = crate::show_artwork::fetch(http, &feed).await;
                (feed, art)
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut artwork = HashMap::new();
    for (feed, art) in found {
        match art {
            Ok(art) => {
                artwork.insert(feed, art);
            }
            Err(why) => eprintln!("no artwork for the show at {feed}: {why}"),
        }
    }
    eprintln!("artwork for {} of {shows} shows", artwork.len());
    artwork
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTAPAPER: &str = include_str!("../../tests/fixtures/instapaper_export.csv");
    const OVERCAST: &str = include_str!("../../tests/fixtures/overcast.opml");

    /// Overcast's episodes played: each a podcast finished when Overcast last touched it,
    /// named with its show unless its title names it, at its own link or else Overcast's; one
    /// begun, or deleted unplayed, is no finish.
    #[test]
    fn overcast_episodes_played_are_podcasts_finished() {
        let episodes = plan_overcast(OVERCAST).unwrap();
        assert_eq!(
            show_feeds(&episodes),
            [
                "https://feeds.example/hardcore-history.xml",
                "https://feeds.example/rd.xml"
            ]
        );
        let plan = with_artwork(episodes.clone(), &HashMap::new());
        assert_eq!(plan.len(), 2);
        let played = json!("2026-12-01T02:14:05Z");
        assert_eq!(
            plan[0].add,
            json!({
                "kind": "podcast",
                "title": "Hardcore History: Show 69 - Mania for Subjugation II",
                "url": "https://www.dancarlin.com/product/hardcore-history-69-mania-for-subjugation-ii/",
                "at": played,
            })
        );
        assert_eq!(
            plan[0].steps,
            [(
                "finish",
                json!({ "at": played }),
                key("overcast:2001:finish")
            )]
        );
        assert_eq!(plan[0].add_key, key("overcast:2001:add"));
        assert_eq!(
            (
                &plan[1].add["title"],
                &plan[1].add["url"],
                &plan[1].add["at"]
            ),
            (
                &json!("Reconcilable Differences 250: The Long Game"),
                &json!("https://overcast.fm/+ABC3"),
                &json!("2026-11-21T15:30:00Z")
            )
        );
        // With the shows' artwork (`--covers`), by their feeds: a cover for each episode of
        // the show it was found for.
        let artwork = HashMap::from([(
            "https://feeds.example/hardcore-history.xml".to_owned(),
            "https://art.example/hh.jpg".to_owned(),
        )]);
        let covered = with_artwork(episodes, &artwork);
        assert_eq!(covered[0].add["cover_url"], "https://art.example/hh.jpg");
        assert!(covered[1].add.get("cover_url").is_none());
        // A title over the writer's 300 characters, cut at a word.
        let long = OVERCAST.replace("Show 69 - Mania", &"word ".repeat(80));
        let title = plan_overcast(&long).unwrap()[0].0.add["title"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            title.chars().count() <= 300 && title.ends_with("word…"),
            "{title}"
        );
        for (not, why) in [
            (INSTAPAPER, "not an Overcast export (not OPML: "),
            (
                "<rss><channel/></rss>",
                "not an Overcast export (no <opml> at its root)",
            ),
            (
                "<opml><body/></opml>",
                "not an Overcast export (no podcast in it",
            ),
        ] {
            match plan_overcast(not) {
                Err(CliError::Usage(e)) => assert!(e.starts_with(why), "{e}"),
                other => panic!("{other:?}"),
            }
        }
    }
}
