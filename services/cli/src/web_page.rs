//! What a web page says it is, for `lately add article https://…`: saving an article (a
//! podcast's episode, a video essay) to read later takes its link alone, as in a read-later
//! app, and the title, the author, the page's own address and its picture come from the page.
//!
//! Pages describe themselves for link previews: Open Graph (`og:title`, `og:image`), Twitter's
//! cards, schema.org's JSON-LD (`headline`, `author`), `<link rel="canonical">`, and in the
//! end `<title>` and the first `<h1>`. A book's, a film's or a show's page (Goodreads,
//! Letterboxd, IMDb, a publisher's) says in JSON-LD what the work is called, who made it and
//! what its cover or poster is, apart from how the site titles its page ("Aftersun (2022)")
//! and the picture it shares (a film's backdrop): that comes first for those. [`facts`] reads
//! a document already fetched (pure, so each rule is tested on its own); [`fetch`] is the I/O
//! around it.

use lately_domain::{Creator, Title, Url as Link};
use reqwest::Url;
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use std::time::Duration;

use crate::client::CliError;

/// What is kept of a page, at most: a page's `<head>` comes first, and a page larger than this
/// (a whole book on one page) still has it.
const MAX_BYTES: usize = 4 << 20;

/// An item as its page describes it, each field already one the writer accepts.
#[derive(Debug, PartialEq, Eq)]
pub struct PageFacts {
    pub title: String,
    pub creators: Vec<String>,
    /// The page's own address: its canonical link when it names this site, else where the
    /// fetch ended up after redirects; without a fragment or the usual tracking parameters
    /// (`utm_*`, `fbclid`, …).
    pub url: String,
    pub cover: Option<String>,
}

/// The link, when an item's "title" is one: `lately add article https://…`.
pub fn link(title: &str) -> Option<Url> {
    Url::parse(title.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// The link a "title" is when it is one typed without its scheme (`example.com/essay`,
/// `www.example.com`): what the browser's address bar shows, pasted. Taken as a title, it
/// would be the item's name in the feed and its tweet. Only a word with no space whose host,
/// in lower case as an address bar shows it, has a dot and a top-level domain of letters, and
/// a path or a `www.`: "Booking.com" and "Node.js/Deno" may be titles; "example.com/essay" is
/// not.
pub fn schemeless(title: &str) -> Option<Url> {
    let t = title.trim();
    if t.chars().any(char::is_whitespace) || t.contains("://") {
        return None;
    }
    let host = t.split(['/', '?', '#']).next()?;
    let tld = host.rsplit('.').next()?;
    let dotted = host.contains('.')
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_lowercase())
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
    let linky = t.len() > host.len() || host.starts_with("www.");
    if !(dotted && linky) {
        return None;
    }
    link(&format!("https://{t}"))
}

/// Fetches `url` and reads what it says it is. A page that cannot be read, or that is not a
/// web page, is an error naming the way on: give the title yourself, with `--url`.
pub async fn fetch(url: &Url) -> Result<PageFacts, CliError> {
    let give_it = |why: String| {
        CliError::Failed(format!(
            "{why}; give the title yourself: lately add KIND \"…\" --url {url}"
        ))
    };
    let http = reqwest::Client::builder()
        .user_agent(concat!("lately/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let mut answer = http
        .get(url.clone())
        .header(
            reqwest::header::ACCEPT,
            "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        )
        .send()
        .await
        .map_err(|e| give_it(format!("could not read {url}: {}", error_chain(&e))))?;
    let status = answer.status();
    if !status.is_success() {
        return Err(give_it(format!("{url} answered {status}")));
    }
    let content_type = answer
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    // A server that says nothing may still send a page; anything it names must be one.
    if !(essence.is_empty() || essence == "text/html" || essence == "application/xhtml+xml") {
        return Err(give_it(format!("{url} is not a web page ({essence})")));
    }
    let at = answer.url().clone();
    let mut body = Vec::new();
    while let Some(chunk) = answer
        .chunk()
        .await
        .map_err(|e| give_it(format!("could not read {url}: {}", error_chain(&e))))?
    {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_BYTES {
            body.truncate(MAX_BYTES);
            break;
        }
    }
    let text = decode(&body, &content_type);
    facts(&text, &at).ok_or_else(|| give_it(format!("{url} has no title")))
}

/// The error and its causes, as one line: reqwest's own says only "error sending request".
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        line.push_str(": ");
        line.push_str(&c.to_string());
        cause = c.source();
    }
    line
}

/// The page's text: in the charset its `Content-Type` names, else the one a `<meta>` in its
/// first 1,024 bytes names (where a browser looks), else UTF-8; a byte-order mark overrides.
pub fn decode(body: &[u8], content_type: &str) -> String {
    let named = charset(content_type)
        .or_else(|| charset(&String::from_utf8_lossy(&body[..body.len().min(1024)])))
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    named.decode(body).0.into_owned()
}

/// The value of the first `charset=` in `text`, without quotes.
fn charset(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("charset=")? + "charset=".len();
    let label: String = lower[at..]
        .trim_start_matches(['"', '\'', ' '])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    (!label.is_empty()).then_some(label)
}

/// schema.org's types of a work known by its name, whose page's own title and picture are the
/// site's framing of it.
const NAMED_WORKS: &[&str] = &[
    "Book",
    "Movie",
    "TVSeries",
    "TVSeason",
    "TVEpisode",
    "Episode",
    "VideoGame",
    "PodcastSeries",
    "PodcastEpisode",
    "CreativeWorkSeries",
];

/// schema.org's types of writing, whose `headline` is its title.
const ARTICLES: &[&str] = &[
    "Article",
    "NewsArticle",
    "BlogPosting",
    "ScholarlyArticle",
    "TechArticle",
    "Report",
];

fn is_a(object: &Value, types: &[&str]) -> bool {
    let named = |t: &Value| t.as_str().is_some_and(|t| types.contains(&t));
    match &object["@type"] {
        Value::Array(ts) => ts.iter().any(named),
        t => named(t),
    }
}

/// What the document at `at` says it is; `None` when it names no title at all.
pub fn facts(html: &str, at: &Url) -> Option<PageFacts> {
    let page = Html::parse_document(html);
    let ld = linked_data(&page);
    let work = ld.iter().find(|d| is_a(d, NAMED_WORKS));
    let article = ld.iter().find(|d| is_a(d, ARTICLES));
    let site = meta(&page, "og:site_name");
    let title = work
        .and_then(|w| text_of(&w["name"]))
        .or_else(|| meta(&page, "og:title"))
        .or_else(|| meta(&page, "twitter:title"))
        .or_else(|| article.and_then(|a| text_of(&a["headline"])))
        .or_else(|| {
            first(&page, "title")
                .map(|t| without_site_name(&t, site.as_deref()))
                .filter(|t| !t.is_empty())
        })
        .or_else(|| first(&page, "h1"))?;
    let title = clip(&title, Title::MAX_CHARS);
    Title::parse(&title).ok()?;

    let mut creators: Vec<String> = Vec::new();
    // A work's makers as it names them: its authors, else its directors, else its creators
    // (a show's); the first of those it has.
    let makers = work.or(article).map_or_else(Vec::new, |w| {
        ["author", "director", "creator"]
            .iter()
            .map(|role| people(&w[*role]))
            .find(|names| !names.is_empty())
            .unwrap_or_default()
    });
    let named = all_meta(&page, "author")
        .into_iter()
        .chain(makers)
        .chain(all_meta(&page, "article:author"));
    for name in named {
        // `article:author` is often a profile's address, not a name.
        if link(&name).is_none()
            && Creator::parse(&name).is_ok()
            && !creators.iter().any(|c| c.eq_ignore_ascii_case(&name))
        {
            creators.push(name);
        }
    }

    let url = first_attr(&page, "link[rel~=canonical]", "href")
        .or_else(|| meta(&page, "og:url"))
        .and_then(|u| at.join(&u).ok())
        .filter(|u| same_site(u, at))
        .unwrap_or_else(|| at.clone());
    let cover = work
        .and_then(|w| image(&w["image"]))
        .or_else(|| meta(&page, "og:image"))
        .or_else(|| meta(&page, "og:image:url"))
        .or_else(|| meta(&page, "twitter:image"))
        .or_else(|| article.and_then(|a| image(&a["image"])))
        .and_then(|u| at.join(&u).ok())
        .and_then(|u| Link::parse(u.as_str()).ok())
        .map(|u| u.as_str().to_owned());
    Some(PageFacts {
        title,
        creators,
        url: page_address(url),
        cover,
    })
}

/// A page's address as kept: without its fragment (a place in the page, not the page) and
/// the parameters that say where a click came from, not which page it is.
fn page_address(mut url: Url) -> String {
    url.set_fragment(None);
    let tracking = |key: &str| {
        key.starts_with("utm_")
            || [
                "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
                "_hsenc", "_hsmi", "mkt_tok",
            ]
            .contains(&key)
    };
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.len() != url.query_pairs().count() {
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    url.into()
}

/// Whether two addresses are of one site: the same host, `www.` or not. A canonical link to
/// another site is a syndicated copy's original, or a mistake; either way not this page.
fn same_site(a: &Url, b: &Url) -> bool {
    let host = |u: &Url| {
        u.host_str()
            .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
    };
    matches!(a.scheme(), "http" | "https") && host(a).is_some() && host(a) == host(b)
}

/// Whether two links name one page: the same site (`http` or `https`, `www.` or not), path
/// (a trailing `/` or not) and query; fragments aside.
pub fn same_page(a: &str, b: &str) -> bool {
    let (Ok(a), Ok(b)) = (Url::parse(a), Url::parse(b)) else {
        return false;
    };
    same_site(&a, &b)
        && a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
        && a.query() == b.query()
}

/// The content of the first `<meta>` with this `property` or `name`, words tidied.
fn meta(page: &Html, key: &str) -> Option<String> {
    all_meta(page, key).into_iter().next()
}

fn all_meta(page: &Html, key: &str) -> Vec<String> {
    let selector = Selector::parse("meta[content]").expect("a valid selector");
    page.select(&selector)
        .filter(|m| {
            let v = m.value();
            [v.attr("property"), v.attr("name")]
                .into_iter()
                .flatten()
                .any(|k| k.trim().eq_ignore_ascii_case(key))
        })
        .filter_map(|m| m.value().attr("content").map(tidy))
        .filter(|c| !c.is_empty())
        .collect()
}

fn first_attr(page: &Html, selector: &str, attr: &str) -> Option<String> {
    let selector = Selector::parse(selector).expect("a valid selector");
    page.select(&selector)
        .find_map(|e| e.value().attr(attr).map(|v| v.trim().to_owned()))
        .filter(|v| !v.is_empty())
}

/// The text of the first element named `tag` that has any.
fn first(page: &Html, tag: &str) -> Option<String> {
    let selector = Selector::parse(tag).expect("a valid selector");
    page.select(&selector)
        .map(|e: ElementRef| tidy(&e.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

/// Every JSON-LD object of the page, those in a list or an `@graph` too.
fn linked_data(page: &Html) -> Vec<Value> {
    let selector =
        Selector::parse(r#"script[type="application/ld+json"]"#).expect("a valid selector");
    let mut found = Vec::new();
    for script in page.select(&selector) {
        // Some sites wrap it in a commented-out CDATA section (`/* <![CDATA[ */ … /* ]]> */`).
        let text = script
            .text()
            .collect::<String>()
            .replace("<![CDATA[", "")
            .replace("]]>", "");
        let (Some(from), Some(to)) = (text.find(['{', '[']), text.rfind(['}', ']'])) else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(&text[from..=to]) else {
            continue;
        };
        let mut stack = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                Value::Array(items) => stack.extend(items.into_iter().rev()),
                Value::Object(mut o) => {
                    if let Some(graph) = o.remove("@graph") {
                        stack.push(graph);
                    }
                    found.push(Value::Object(o));
                }
                _ => {}
            }
        }
    }
    found
}

fn text_of(v: &Value) -> Option<String> {
    v.as_str().map(tidy).filter(|t| !t.is_empty())
}

/// The names in a JSON-LD `author`: a name, a person (`{"name": …}`) or a list of either.
fn people(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().flat_map(people).collect(),
        Value::Object(o) => o.get("name").and_then(text_of).into_iter().collect(),
        other => text_of(other).into_iter().collect(),
    }
}

/// A JSON-LD `image`: an address, an `ImageObject` (`{"url": …}`) or a list, the first.
fn image(v: &Value) -> Option<String> {
    match v {
        Value::Array(items) => items.iter().find_map(image),
        Value::Object(o) => o.get("url").and_then(text_of),
        other => text_of(other),
    }
}

/// Whitespace (line breaks in a `<title>`, say) as single spaces, trimmed.
fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A `<title>` without the site's name that pages append to it ("A post | The Site").
fn without_site_name(title: &str, site: Option<&str>) -> String {
    let Some(site) = site.filter(|s| !s.is_empty()) else {
        return title.to_owned();
    };
    for separator in [" | ", " - ", " – ", " — ", " · ", " :: "] {
        if let Some(kept) = title.strip_suffix(&format!("{separator}{site}")) {
            return kept.trim().to_owned();
        }
    }
    title.to_owned()
}

/// At most `max` characters, cut at a word's end with an ellipsis when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max - 1).collect();
    let kept = match kept.rfind(' ') {
        Some(at) if at > kept.len() / 2 => &kept[..at],
        _ => &kept[..],
    };
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(url: &str) -> Url {
        Url::parse(url).unwrap()
    }

    #[test]
    fn a_link_typed_without_its_scheme_is_told_from_a_title() {
        let guess = |t: &str| schemeless(t).map(String::from);
        assert_eq!(
            guess(" example.com/2026/slow-web "),
            Some("https://example.com/2026/slow-web".into())
        );
        assert_eq!(
            guess("www.example.com"),
            Some("https://www.example.com/".into())
        );
        assert_eq!(
            guess("news.example.co.uk/a?id=3"),
            Some("https://news.example.co.uk/a?id=3".into())
        );
        // Titles: words, a name with a dot, a domain alone, a number, a version.
        for title in [
            "The Slow Web",
            "Booking.com",
            "Node.js/Deno",
            "1.5/10",
            "Mr. Robot",
            "A/B",
            "https://example.com/essay",
            "v2.0/notes",
        ] {
            assert_eq!(guess(title), None, "{title}");
        }
    }

    /// A news article's page: Open Graph for the title and the picture (relative, so resolved
    /// against the page), JSON-LD for the authors, a canonical link without the tracking.
    #[test]
    fn an_articles_page_gives_its_title_authors_address_and_picture() {
        let html = r#"<!doctype html><html><head>
            <title>The Slow Web, Again | The Paper</title>
            <meta property="og:site_name" content="The Paper">
            <meta property="og:title" content="The Slow Web,
                Again">
            <meta property="og:image" content="/img/slow-web.jpg">
            <meta property="article:author" content="https://paper.example/staff/ada">
            <link rel="canonical" href="https://www.paper.example/2026/slow-web#top">
            <script type="application/ld+json">
              {"@context": "https://schema.org", "@graph": [
                {"@type": "NewsArticle", "headline": "Not this one",
                 "author": [{"@type": "Person", "name": "Ada Park"}, "Ben Ode", {"name": "ada park"}]}
              ]}
            </script>
            </head><body><h1>The Slow Web, Again</h1></body></html>"#;
        let facts = facts(
            html,
            &at("https://paper.example/2026/slow-web?utm_source=feed"),
        )
        .unwrap();
        assert_eq!(
            facts,
            PageFacts {
                title: "The Slow Web, Again".into(),
                creators: vec!["Ada Park".into(), "Ben Ode".into()],
                url: "https://www.paper.example/2026/slow-web".into(),
                cover: Some("https://paper.example/img/slow-web.jpg".into()),
            }
        );
    }

    /// A plain page: `<title>` without the site's name, `<meta name="author">`, no picture, and
    /// the address it was fetched from; a canonical link to another site is not this page's.
    #[test]
    fn a_plain_page_gives_its_title_tag_and_author() {
        let html = r#"<html><head><title>
              On Reading Slowly — Notes
            </title>
            <meta property="og:site_name" content="Notes">
            <meta name="author" content="Jo Writer">
            <link rel="canonical" href="https://aggregator.example/copy/123">
            </head><body></body></html>"#;
        let facts = facts(
            html,
            &at("https://notes.example/reading?utm_source=rss&page=2&fbclid=x#comments"),
        )
        .unwrap();
        assert_eq!(facts.title, "On Reading Slowly");
        assert_eq!(facts.creators, ["Jo Writer"]);
        assert_eq!(facts.url, "https://notes.example/reading?page=2");
        assert_eq!(facts.cover, None);
        // Nothing but a heading: that is the title; nothing at all: none.
        let heading = facts_of("<body><h1> Just a heading </h1></body>");
        assert_eq!(heading.unwrap().title, "Just a heading");
        assert_eq!(facts_of("<body><p>no title here</p></body>"), None);
    }

    /// A film's page (as Letterboxd's): the site titles it "Aftersun (2022)" and shares a
    /// backdrop; its JSON-LD names the film, its director and its poster. A book's (as
    /// Goodreads'): its authors.
    #[test]
    fn a_works_page_gives_the_work_as_its_data_names_it() {
        let film = r#"<head>
            <meta property="og:title" content="Aftersun (2022)">
            <meta property="og:image" content="https://img.example/backdrop-1200.jpg">
            <script type="application/ld+json">
            /* <![CDATA[ */
            {"@context": "http://schema.org", "@type": "Movie", "name": "Aftersun",
             "image": "https://img.example/poster-230.jpg",
             "director": [{"@type": "Person", "name": "Charlotte Wells"}],
             "actors": [{"@type": "Person", "name": "Paul Mescal"}]}
            /* ]]> */
            </script></head>"#;
        let aftersun = facts(film, &at("https://films.example/film/aftersun/")).unwrap();
        assert_eq!(aftersun.title, "Aftersun");
        assert_eq!(aftersun.creators, ["Charlotte Wells"]);
        assert_eq!(
            aftersun.cover.as_deref(),
            Some("https://img.example/poster-230.jpg")
        );
        let book = r#"<script type="application/ld+json">
            {"@context": "https://schema.org", "@type": "Book", "name": "Piranesi",
             "author": [{"@type": "Person", "name": "Susanna Clarke"}],
             "image": {"@type": "ImageObject", "url": "/covers/piranesi.jpg"}}
            </script><title>Piranesi by Susanna Clarke | Books</title>"#;
        let piranesi = facts(book, &at("https://books.example/show/1")).unwrap();
        assert_eq!(piranesi.title, "Piranesi");
        assert_eq!(piranesi.creators, ["Susanna Clarke"]);
        assert_eq!(
            piranesi.cover.as_deref(),
            Some("https://books.example/covers/piranesi.jpg")
        );
    }

    fn facts_of(html: &str) -> Option<PageFacts> {
        facts(html, &at("https://example.com/x"))
    }

    /// A title longer than an item's is cut at a word with an ellipsis; a picture's address
    /// that the writer would refuse is left out rather than failing the add.
    #[test]
    fn what_the_writer_would_refuse_is_cut_or_left_out() {
        let long = "word ".repeat(100);
        let html = format!(
            r#"<meta property="og:title" content="{long}">
               <meta property="og:image" content="ftp://example.com/a.jpg">"#
        );
        let facts = facts_of(&html).unwrap();
        assert!(facts.title.chars().count() <= Title::MAX_CHARS);
        assert!(facts.title.ends_with("word…"), "{}", facts.title);
        assert_eq!(facts.cover, None);
    }

    /// The charset from the header, else from the page's `<meta>`, else UTF-8.
    #[test]
    fn a_page_is_read_in_the_charset_it_names() {
        let latin1 = b"<meta charset=\"windows-1252\"><title>Caf\xe9</title>";
        assert!(decode(latin1, "text/html").contains("Café"));
        assert!(
            decode(b"<title>Caf\xe9</title>", "text/html; charset=ISO-8859-1").contains("Café")
        );
        assert!(decode("<title>Café</title>".as_bytes(), "").contains("Café"));
    }

    #[test]
    fn links_to_one_page_are_the_same_page() {
        assert!(same_page(
            "https://www.example.com/post/",
            "http://example.com/post#comments"
        ));
        assert!(!same_page(
            "https://example.com/post",
            "https://example.com/other"
        ));
        assert!(!same_page(
            "https://example.com/p?id=1",
            "https://example.com/p?id=2"
        ));
        assert!(!same_page(
            "https://a.example/post",
            "https://b.example/post"
        ));
    }

    #[test]
    fn only_an_http_address_is_a_link() {
        assert!(link(" https://example.com/a ").is_some());
        assert!(link("The Left Hand of Darkness").is_none());
        assert!(link("mailto:someone@example.com").is_none());
        assert!(link("Re: https").is_none());
    }
}
