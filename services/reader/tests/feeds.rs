//! JSON Feed, Atom, the widget and the live stream, parsed and read as a client would.

mod common;

use std::time::Duration;

use common::{reader_config, stats_list, system, System};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};

const XSS: &str = "<img src=x onerror=alert(1)>";

/// A reader with three public finishes (one titled as an XSS attempt) and a private one.
async fn fixture() -> (System, String) {
    let sys = system().await;
    let mut cfg = reader_config(&sys.database_url);
    cfg.public_url = Some("https://feed.example.com".into());
    cfg.feed_title = "Ann's recently finished".into();
    cfg.author = "Ann".into();
    let reader = sys.reader(cfg).await;
    sys.finish("Dune", json!({ "creators": ["Frank Herbert"], "url": "https://example.com/dune", "cover_url": "https://example.com/dune.jpg", "tags": ["sf"] })).await;
    sys.finish(XSS, json!({ "kind": "movie" })).await;
    let (_, last) = sys
        .finish("Secret diary", json!({ "visibility": "private" }))
        .await;
    let (_, last2) = sys
        .finish("Piranesi", json!({ "creators": ["Susanna Clarke"] }))
        .await;
    sys.converged(std::slice::from_ref(&reader), last.max(last2))
        .await;
    (sys, reader)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn json_feed_is_valid_json_feed_1_1_with_escaped_html() {
    let (sys, reader) = fixture().await;
    let res = sys.get(format!("{reader}/feed.json")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/feed+json"));
    let raw = res.text().await.unwrap();
    let doc: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(doc["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(doc["title"], "Ann's recently finished");
    assert_eq!(doc["feed_url"], "https://feed.example.com/feed.json");
    // The reader's own home page, as the owner set no other.
    assert_eq!(doc["home_page_url"], "https://feed.example.com/");
    assert_eq!(doc["icon"], "https://feed.example.com/owner-icon.png");

    let feed = feed_rs::parser::parse(raw.as_bytes()).expect("an independent parser reads it");
    let titles: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles, ["Piranesi", XSS, "Dune"]);
    // An entry links to its finish on the item's page; the book's own page is its
    // `external_url`.
    let dune = &feed.entries[2];
    let permalink = doc["items"][2]["url"].as_str().unwrap();
    assert!(
        permalink.starts_with("https://feed.example.com/items/dune-")
            && permalink.contains("#finish-"),
        "{permalink}"
    );
    assert_eq!(dune.links[0].href, permalink);
    assert_eq!(doc["items"][2]["external_url"], "https://example.com/dune");
    assert!(doc["items"][1].get("external_url").is_none());
    assert!(dune.published.is_some());
    assert_eq!(doc["items"][2]["image"], "https://example.com/dune.jpg");
    // The cover shows at the top of the entry, as a Goodreads update's does.
    assert!(doc["items"][2]["content_html"]
        .as_str()
        .unwrap()
        .starts_with(r#"<p><img src="https://example.com/dune.jpg" alt="Cover of Dune"></p><p>Finished reading <cite>Dune</cite>"#));
    assert_eq!(doc["items"][2]["tags"], json!(["sf"]));
    assert!(doc["items"][2]["content_text"]
        .as_str()
        .unwrap()
        .contains("by Frank Herbert — ★★★★"));
    let xss_html = doc["items"][1]["content_html"].as_str().unwrap();
    assert!(
        xss_html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{xss_html}"
    );
    assert!(!xss_html.contains("<img"), "{xss_html}");
    assert!(!raw.contains("Secret diary"));

    let movies = sys
        .json_text(format!("{reader}/feed.json?kind=movie&limit=5"))
        .await;
    assert_eq!(
        feed_rs::parser::parse(movies.as_bytes())
            .unwrap()
            .entries
            .len(),
        1
    );
    // A film, as the pages name it (and the CLI takes it), is a movie.
    let films = sys
        .json(format!("{reader}/feed.json?kind=film&limit=5"))
        .await;
    let movies: Value = serde_json::from_str(&movies).unwrap();
    for field in ["title", "home_page_url", "items"] {
        assert_eq!(films[field], movies[field], "{field}");
    }
    let vinyl = sys.get(format!("{reader}/v1/feed?kind=vinyl")).await;
    assert_eq!(vinyl.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        vinyl.json::<Value>().await.unwrap()["detail"],
        "kind: unknown kind \"vinyl\": expected one of book, article, movie (or film), tv (or \
         show), game, podcast"
    );

    // A tag filter matches as tags are stored: trimmed and lower-cased.
    let tagged = sys
        .json_text(format!("{reader}/feed.json?tag=%20SF%20"))
        .await;
    let titles: Vec<_> = feed_rs::parser::parse(tagged.as_bytes())
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.title.unwrap().content)
        .collect();
    assert_eq!(titles, ["Dune"]);
}

/// For search engines: the sitemap names the public pages — the home page, in progress, up
/// next, each year with a finish, each public item's page with the day it last changed — and
/// no private item; `robots.txt` names it and keeps crawlers off the API. The pages have an
/// icon, and `/favicon.ico` (where feed readers look) is one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sitemap_names_every_public_page_and_robots_txt_names_it() {
    use chrono::Datelike;
    let (sys, reader) = fixture().await;
    let queued = sys.add("Middlemarch", "public").await;
    let hidden = sys.add("Another secret", "private").await;
    // A private item's tag has no page: no public item has it.
    sys.write(
        reqwest::Method::POST,
        "/v1/items",
        json!({ "kind": "book", "title": "Tagged in private", "visibility": "private", "tags": ["secret reading"] }),
    )
    .await;
    let hidden = (hidden.0, sys.head().await);
    sys.converged(std::slice::from_ref(&reader), hidden.1).await;
    let res = sys.get(format!("{reader}/sitemap.xml")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
    let xml = res.text().await.unwrap();
    assert!(xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
    assert!(xml.contains(r#"<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#));
    let urls: Vec<(&str, Option<&str>)> = xml
        .split("<url>")
        .skip(1)
        .map(|u| {
            let loc = u
                .split("<loc>")
                .nth(1)
                .unwrap()
                .split("</loc>")
                .next()
                .unwrap();
            let day = u
                .split("<lastmod>")
                .nth(1)
                .map(|d| d.split("</lastmod>").next().unwrap());
            (loc, day)
        })
        .collect();
    let year = chrono::Utc::now().year();
    let feed = sys.json(format!("{reader}/v1/feed")).await;
    let id = |title: &str| {
        feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["item"]["title"] == title)
            .map(|e| e["item"]["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let item = |id: &str| format!("https://feed.example.com/items/{id}");
    let pages: Vec<String> = urls.iter().map(|(loc, _)| loc.to_string()).collect();
    assert_eq!(
        pages,
        [
            "https://feed.example.com/".to_owned(),
            "https://feed.example.com/in-progress".to_owned(),
            "https://feed.example.com/up-next".to_owned(),
            format!("https://feed.example.com/years/{year}"),
            // Each public item's tag's page.
            "https://feed.example.com/?tag=sf".to_owned(),
            // The most recently changed first.
            item(&queued.0),
            item(&id("Piranesi")),
            item(&id(XSS)),
            item(&id("Dune")),
        ]
    );
    // Each item's page with the day it last changed.
    for (loc, day) in &urls[5..] {
        let id = loc.rsplit('/').next().unwrap();
        let item = sys.json(format!("{reader}/v1/items/{id}")).await;
        assert_eq!(
            *day,
            Some(&item["item"]["updated_at"].as_str().unwrap()[..10]),
            "{loc}"
        );
    }
    assert!(urls[..5].iter().all(|(_, day)| day.is_none()));
    assert!(!xml.contains("secret"), "{xml}");
    assert!(!xml.contains(&hidden.0) && !xml.contains("<img"));
    // It names them all: no filter narrows it.
    let res = sys.get(format!("{reader}/sitemap.xml?kind=book")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let robots = sys.get(format!("{reader}/robots.txt")).await;
    assert_eq!(robots.status(), StatusCode::OK);
    assert_eq!(
        robots.text().await.unwrap(),
        "User-agent: *\nDisallow: /v1/\n\nSitemap: https://feed.example.com/sitemap.xml\n"
    );
    let home = sys.get(format!("{reader}/")).await.text().await.unwrap();
    assert!(home.contains(r#"<link rel="icon" href="owner-icon.svg">"#));
    let page = sys
        .get(format!("{reader}/items/{}", queued.0))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<link rel="icon" href="../owner-icon.svg">"#));
    let icon = sys.get(format!("{reader}/favicon.ico")).await;
    assert_eq!(icon.headers()["content-type"], "image/png");
    assert!(icon.bytes().await.unwrap().starts_with(b"\x89PNG"));
}

/// A revised finish: the API, JSON Feed and Atom show the new rating and review, and when it
/// changed (so a feed reader shows it again); as of the finish's own position, the old ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revised_finish_reads_revised_now_and_as_it_was_before() {
    let (sys, reader) = fixture().await;
    let (id, finished) = sys.finish("Middlemarch", json!({})).await;
    let revised = sys
        .write(
            reqwest::Method::PATCH,
            &format!("/v1/items/{id}/finish"),
            json!({ "rating": 5, "review": "Better every year." }),
        )
        .await;
    sys.converged(
        std::slice::from_ref(&reader),
        revised["position"].as_i64().unwrap(),
    )
    .await;
    let now = sys.json(format!("{reader}/v1/feed?limit=1")).await;
    let entry = &now["items"][0];
    assert_eq!(
        (&entry["item"]["id"], &entry["rating"], &entry["review"]),
        (&json!(id), &json!(5.0), &json!("Better every year.")),
        "{now}"
    );
    let revised_at =
        chrono::DateTime::parse_from_rfc3339(entry["revised_at"].as_str().unwrap()).unwrap();
    let then = sys
        .json(format!("{reader}/v1/feed?limit=1&as_of={finished}"))
        .await;
    let entry = &then["items"][0];
    assert_eq!(
        (&entry["rating"], &entry["review"], &entry["revised_at"]),
        (&json!(4.0), &Value::Null, &Value::Null),
        "{then}"
    );

    let doc: Value =
        serde_json::from_str(&sys.json_text(format!("{reader}/feed.json")).await).unwrap();
    let item = &doc["items"][0];
    assert_eq!(item["_lately"]["rating"], 5.0);
    assert!(item["content_text"]
        .as_str()
        .unwrap()
        .contains("Better every year."));
    let modified =
        chrono::DateTime::parse_from_rfc3339(item["date_modified"].as_str().unwrap()).unwrap();
    assert_eq!(modified, revised_at);
    let atom = sys
        .get(format!("{reader}/feed.atom"))
        .await
        .text()
        .await
        .unwrap();
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    let entry = &feed.entries[0];
    assert_eq!(entry.title.as_ref().unwrap().content, "Middlemarch");
    assert_eq!(entry.updated.unwrap().timestamp(), revised_at.timestamp());
    assert!(entry.updated.unwrap() >= entry.published.unwrap());
    assert_eq!(feed.updated.unwrap().timestamp(), revised_at.timestamp());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn atom_feed_is_valid_atom_with_the_required_elements() {
    let (sys, reader) = fixture().await;
    let res = sys.get(format!("{reader}/feed.atom?limit=10")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let raw = res.text().await.unwrap();
    assert!(raw.contains(r#"xmlns="http://www.w3.org/2005/Atom""#));
    let feed = feed_rs::parser::parse(raw.as_bytes()).expect("an independent parser reads it");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(feed.id, "https://feed.example.com/feed.atom");
    assert_eq!(feed.title.unwrap().content, "Ann's recently finished");
    assert_eq!(
        feed.icon.unwrap().uri,
        "https://feed.example.com/owner-icon.png"
    );
    assert!(feed.updated.is_some());
    assert!(feed.links.iter().any(|l| l.rel.as_deref() == Some("self")
        && l.href == "https://feed.example.com/feed.atom?limit=10"));
    // A feed of some finishes is another feed: its own id and name, and its page. (Its
    // limit makes none: fewer entries of the same feed.)
    let year = chrono::Datelike::year(&chrono::Utc::now());
    for (query, id, title, page) in [
        (
            "kind=book&limit=5",
            "feed.atom?kind=book".to_owned(),
            "Ann's recently finished: books".to_owned(),
            "?kind=book".to_owned(),
        ),
        (
            "tag=%20SF%20",
            "feed.atom?tag=sf".to_owned(),
            "Ann's recently finished: tagged sf".to_owned(),
            "?tag=sf".to_owned(),
        ),
        (
            &format!("year={year}&kind=book"),
            format!("feed.atom?kind=book&year={year}"),
            format!("Ann's recently finished: books in {year}"),
            format!("years/{year}?kind=book"),
        ),
        (
            &format!("year={year}"),
            format!("feed.atom?year={year}"),
            format!("Ann's recently finished: {year}"),
            format!("years/{year}"),
        ),
    ] {
        let raw = sys.json_text(format!("{reader}/feed.atom?{query}")).await;
        let shelf = feed_rs::parser::parse(raw.as_bytes()).unwrap();
        assert_eq!(
            shelf.id,
            format!("https://feed.example.com/{id}"),
            "{query}"
        );
        assert_eq!(shelf.title.unwrap().content, title, "{query}");
        assert!(
            shelf
                .links
                .iter()
                .any(|l| l.rel.as_deref() == Some("alternate")
                    && l.href == format!("https://feed.example.com/{page}")),
            "{query}: {raw}"
        );
    }
    let books = sys.json(format!("{reader}/feed.json?kind=book")).await;
    assert_eq!(books["title"], "Ann's recently finished: books");
    assert_eq!(
        books["home_page_url"],
        "https://feed.example.com/?kind=book"
    );
    assert_eq!(feed.entries.len(), 3);
    for e in &feed.entries {
        assert!(
            !e.id.is_empty() && e.title.is_some() && e.updated.is_some() && !e.links.is_empty()
        );
        assert!(e.summary.is_some(), "summary");
        assert!(!e.authors.is_empty(), "author");
    }
    let xss = &feed.entries[1];
    assert_eq!(
        xss.title.as_ref().unwrap().content,
        XSS,
        "the title is text"
    );
    let html = xss.content.as_ref().unwrap().body.clone().unwrap();
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;") && !html.contains("<img"),
        "{html}"
    );
    assert_eq!(feed.entries[2].authors[0].name, "Frank Herbert");
    // The book's cover, in the only place Atom has for it a reader shows.
    let dune = feed.entries[2]
        .content
        .as_ref()
        .unwrap()
        .body
        .clone()
        .unwrap();
    assert!(
        dune.starts_with(r#"<p><img src="https://example.com/dune.jpg" alt="Cover of Dune"></p>"#),
        "{dune}"
    );
    assert!(!raw.contains("Secret diary"));
    // Each entry's page is its finish on the item's page; the book's own page is related.
    let links: Vec<_> = feed.entries[2]
        .links
        .iter()
        .map(|l| (l.rel.clone().unwrap_or_default(), l.href.clone()))
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(
        links[0].0 == "alternate"
            && links[0]
                .1
                .starts_with("https://feed.example.com/items/dune-")
            && links[0].1.contains("#finish-"),
        "{links:?}"
    );
    assert_eq!(
        links[1],
        ("related".to_owned(), "https://example.com/dune".to_owned())
    );
    assert_eq!(
        feed.entries[1].links.len(),
        1,
        "the film has no page of its own"
    );
}

/// A reader's own page runs no script, its own or injected: its policy allows none.
/// The titles of a page's items (the widget's markup), in order.
fn titles(html: &str) -> Vec<String> {
    html.split(r#"class="title p-name""#)
        .skip(1)
        .map(|t| {
            t.split('>')
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn allows_no_script(res: &reqwest::Response) {
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
}

/// `/items/{id}`, where the feeds' entries link: the item, where it stands, and each finish
/// (an anchor per finish) with its day, how long it took, its rating and its review whole;
/// user text escaped; a private or unknown item is not found.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_items_page_shows_it_and_each_finish_where_the_feeds_link() {
    let (sys, reader) = fixture().await;
    let doc = sys.json(format!("{reader}/feed.json")).await;
    let page_of = |i: usize| {
        let url = doc["items"][i]["url"].as_str().unwrap();
        let path = url.strip_prefix("https://feed.example.com").unwrap();
        let (path, anchor) = path.split_once('#').unwrap();
        (format!("{reader}{path}"), anchor.to_owned())
    };
    let (dune, anchor) = page_of(2);
    let id = dune.rsplit('/').next().unwrap().to_owned();
    // A re-read of Dune, begun twelve days ago and finished now, reviewed at length.
    let post = |path: String, body: Value| {
        let sys = &sys;
        async move { sys.write(reqwest::Method::POST, &path, body).await }
    };
    post(
        format!("/v1/items/{id}/start"),
        json!({ "at": chrono::Utc::now() - chrono::Duration::days(12) }),
    )
    .await;
    let review = "Better the second time.\nThe <b>desert</b> & the spice.\n3\n4\n5\n6";
    let reread = post(
        format!("/v1/items/{id}/finish"),
        json!({ "rating": 5, "review": review }),
    )
    .await;
    let (_, reading) = sys
        .start(
            "A Memory Called Empire",
            "public",
            Some(json!({ "done": 172, "of": 462 })),
        )
        .await;
    sys.converged(std::slice::from_ref(&reader), reading).await;

    let res = sys.get(dune.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    allows_no_script(&res);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(
            r#"<h1><a class="p-name u-url" href="https://example.com/dune">Dune</a></h1>"#
        ),
        "{html}"
    );
    assert!(html.contains(r#"alt="Cover of Dune""#));
    // Its tag links to the page of that tag: the owner's page, filtered, which lists it.
    let tag_link = r#"<a class="p-category" rel="tag" href="../?tag=sf">sf</a>"#;
    assert!(html.contains(tag_link), "{html}");
    assert!(
        html.contains(r#"<a class="kind" href="../?kind=book">Book</a>"#),
        "{html}"
    );
    let shelf = sys
        .get(format!("{reader}/?tag=sf"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        shelf.contains("tagged sf") && shelf.contains(r#"alt="Cover of Dune""#),
        "{shelf}"
    );
    assert!(
        html.contains(r#"<span class="meta status">Finished 2 times</span>"#),
        "{html}"
    );
    // Newest first: the re-read, 12 days, its review whole and escaped; then the first read,
    // the feed's entry's anchor.
    let reread_at = html
        .find(&format!(r#"id="finish-{}""#, reread["position"]))
        .expect("the re-read's anchor");
    let first_at = html
        .find(&format!(r#"id="{anchor}""#))
        .expect("the feed's anchor");
    assert!(reread_at < first_at);
    assert!(
        html.contains(r#"<span class="took">took 12 days</span>"#),
        "{html}"
    );
    assert!(html.contains(
        "<p class=\"review p-content\">Better the second time.\nThe &lt;b&gt;desert&lt;/b&gt; &amp; the spice.\n3\n4\n5\n6</p>"
    ), "{html}");
    assert_eq!(html.matches(r#"class="h-entry""#).count(), 2);
    // Shared (the tweet of an item without a link links here), it shows as a card: the
    // title, the cover, the latest finish on one line.
    for tag in [
        format!(r#"<link rel="canonical" href="https://feed.example.com/items/{id}">"#),
        r#"<meta property="og:title" content="Dune">"#.to_owned(),
        r#"<meta property="og:image" content="https://example.com/dune.jpg">"#.to_owned(),
        r#"<meta property="og:description" content="Finished reading “Dune” by Frank Herbert for the 2nd time in 12 days — ★★★★★ Better the second time. The &lt;b&gt;desert&lt;/b&gt; &amp; the spice. 3 4 5 6">"#.to_owned(),
        r#"<meta name="twitter:card" content="summary">"#.to_owned(),
        r#"<meta name="description" content="Finished reading “Dune”"#.to_owned(),
    ] {
        assert!(html.contains(&tag), "{tag}\n{html}");
    }
    // The re-read marked as a diary marks one, the first read not.
    assert_eq!(
        html.matches(r#" · <span class="again">2nd time</span>"#)
            .count(),
        1,
        "{html}"
    );
    // In the feeds and the widget too: its number, and the words.
    let feed = sys.json(format!("{reader}/feed.json")).await;
    let numbers: Vec<(String, Value)> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["title"] == "Dune")
        .map(|i| {
            let text = i["content_text"].as_str().unwrap();
            (
                text.split(" — ").next().unwrap().to_owned(),
                i["_lately"]["finish_number"].clone(),
            )
        })
        .collect();
    assert_eq!(
        numbers,
        [
            (
                "Finished reading “Dune” by Frank Herbert for the 2nd time in 12 days".to_owned(),
                json!(2)
            ),
            (
                "Finished reading “Dune” by Frank Herbert".to_owned(),
                json!(1)
            )
        ]
    );
    let widget = sys.json_text(format!("{reader}/widget")).await;
    assert_eq!(
        widget
            .matches(r#" · <span class="again">2nd time</span>"#)
            .count(),
        1,
        "{widget}"
    );

    let (xss, _) = page_of(1);
    let html = sys.json_text(xss).await;
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;") && !html.contains(XSS));

    let current = sys.json(format!("{reader}/v1/current")).await;
    let html = sys
        .json_text(format!(
            "{reader}/items/{}",
            current["items"][0]["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        html.contains(
            r#"In progress: <span class="far">page 172 of 462 (37%)</span>, since <time datetime="#
        ),
        "{html}"
    );
    assert!(html.contains(r#"<ol class="finishes"></ol>"#));

    // Private, unknown: not found, as the API says it.
    let (private, at) = sys.add("Hidden", "private").await;
    sys.converged(std::slice::from_ref(&reader), at).await;
    for id in [private.clone(), "no-such-item".to_owned()] {
        let res = sys.get(format!("{reader}/items/{id}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{id}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let res = sys.get(format!("{dune}?theme=neon")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // A link followed in a browser to an item made private since, a page's address mistyped:
    // a page saying so, with the way back to the home page (relative, as every page's links),
    // not the problem's JSON. Same status, no script, not for a search engine to index.
    const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let opened = |url: String| {
        let client = sys.client.clone();
        async move {
            client
                .get(url)
                .header("Accept", BROWSER)
                .send()
                .await
                .unwrap()
        }
    };
    for (path, status, heading, said, back) in [
        (
            format!("items/{private}"),
            StatusCode::NOT_FOUND,
            "Not found",
            format!("No public item &quot;{private}&quot;: it was removed or made private, or never added."),
            "../",
        ),
        (
            "2026".to_owned(),
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no route GET /2026.".to_owned(),
            "./",
        ),
        (
            "years/2026/books".to_owned(),
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no route GET /years/2026/books.".to_owned(),
            "../../",
        ),
        (
            format!(
                "{}?theme=neon",
                dune.strip_prefix(&format!("{reader}/")).unwrap()
            ),
            StatusCode::BAD_REQUEST,
            "Bad request",
            "Theme must be light, dark or auto.".to_owned(),
            "../",
        ),
    ] {
        let res = opened(format!("{reader}/{path}")).await;
        assert_eq!(res.status(), status, "{path}");
        assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
        allows_no_script(&res);
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!(
                "<title>{heading} — Ann&#39;s recently finished</title>"
            )),
            "{html}"
        );
        assert!(
            html.contains(r#"<meta name="robots" content="noindex">"#),
            "{html}"
        );
        assert!(!html.contains("canonical"), "{html}");
        assert!(
            html.contains(&format!(r#"<p class="back"><a href="{back}">← "#)),
            "{path}: {html}"
        );
        assert!(
            html.contains(&format!("<h1>{heading}</h1>\n<p>{said}</p>")),
            "{path}: {html}"
        );
    }
    // The API's addresses answer JSON, whoever asks.
    let res = opened(format!("{reader}/v1/items/{private}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    // An address with a slash after it (typed so, or a blog's platform adding it) is sent on
    // to the one without, relatively (the pages work under a path of a blog's own server),
    // its query kept; two slashes, or the home page's own, are not.
    let unfollowed = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let item_path = dune.strip_prefix(&reader).unwrap().to_owned();
    let item_id = item_path.rsplit('/').next().unwrap().to_owned();
    for (path, location) in [
        ("/up-next/".to_owned(), Some("../up-next".to_owned())),
        (
            format!("{item_path}/?theme=dark"),
            Some(format!("../{item_id}?theme=dark")),
        ),
        ("/up-next//".to_owned(), None),
        ("/".to_owned(), None),
    ] {
        let res = unfollowed
            .get(format!("{reader}{path}"))
            .send()
            .await
            .unwrap();
        match location {
            Some(location) => {
                assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT, "{path}");
                assert_eq!(res.headers()["location"], location.as_str(), "{path}");
            }
            None => assert_ne!(res.status(), StatusCode::PERMANENT_REDIRECT, "{path}"),
        }
    }
    // Followed, the page itself, at its own address.
    let followed = sys.get(format!("{reader}{item_path}/")).await;
    assert_eq!(followed.status(), StatusCode::OK);
    assert_eq!(followed.url().as_str(), dune);

    // HEAD (a link checker's, an uptime monitor's): the GET's status and headers, no body; not
    // the 405 it was, whose `Allow` named HEAD.
    for (url, status) in [
        (dune.clone(), StatusCode::OK),
        (format!("{reader}/"), StatusCode::OK),
        (format!("{reader}/v1/feed"), StatusCode::OK),
        (format!("{reader}/feed.atom"), StatusCode::OK),
        (format!("{reader}/healthz"), StatusCode::OK),
        (format!("{reader}/items/{private}"), StatusCode::NOT_FOUND),
    ] {
        let get = sys.get(url.clone()).await;
        let head = sys.client.head(&url).send().await.unwrap();
        assert_eq!(head.status(), status, "{url}");
        for name in ["content-type", "etag"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{url}: {name}"
            );
        }
        assert_eq!(head.bytes().await.unwrap().len(), 0, "{url}");
    }
}

/// A reading list longer than the home page shows: the page lists the first ten and links to
/// `/up-next`, which lists every public item up next (of one kind if asked), newest first;
/// `/in-progress` alike. A page's `limit` or `cursor` is refused, naming the API's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_reading_list_is_a_page_of_its_own() {
    let (sys, reader) = fixture().await;
    let mut expected = Vec::new();
    for n in 1..=12 {
        expected.push(format!("Queued book {n}"));
        sys.add(&format!("Queued book {n}"), "public").await;
    }
    sys.add("A private wish", "private").await;
    sys.write(
        reqwest::Method::POST,
        "/v1/items",
        json!({ "kind": "movie", "title": "Queued film" }),
    )
    .await;
    expected.push("Queued film".to_owned());
    expected.reverse();
    sys.start("Being read", "public", None).await;
    let (_, last) = sys.start("Being read too", "public", None).await;
    sys.converged(std::slice::from_ref(&reader), last).await;
    // The titles of the list after `from`.
    let listed = |html: &str, from: &str| -> Vec<String> {
        let at = html.find(from).unwrap_or_else(|| panic!("{from}\n{html}"));
        titles(html[at..].split("</ol>").next().unwrap())
    };

    let home = sys.json_text(format!("{reader}/")).await;
    assert_eq!(listed(&home, "<h2>Up next</h2>"), expected[..10]);
    assert!(
        home.contains(r#"</ol><p class="more"><a href="up-next">All 13 up next →</a></p>"#),
        "{home}"
    );
    // Both in progress are on the home page: no link to more.
    assert_eq!(listed(&home, "<h2>In progress</h2>").len(), 2);
    assert!(!home.contains(r#"href="in-progress""#), "{home}");
    let books = sys.json_text(format!("{reader}/?kind=book")).await;
    assert!(books.contains(r#"<a href="up-next?kind=book">All 12 up next →</a>"#));

    let res = sys.get(format!("{reader}/up-next")).await;
    assert_eq!(res.status(), StatusCode::OK);
    allows_no_script(&res);
    let page = res.text().await.unwrap();
    assert_eq!(listed(&page, "<h1"), expected);
    for said in [
        "<title>Up next — Ann&#39;s recently finished</title>",
        r#"<p class="back"><a href="./">← Ann&#39;s recently finished</a></p>"#,
        r#"<link rel="canonical" href="https://feed.example.com/up-next">"#,
        r#"<a class="title p-name" href="items/queued-film-"#,
    ] {
        assert!(page.contains(said), "{said}\n{page}");
    }
    assert!(!page.contains("A private wish"));
    let films = sys.json_text(format!("{reader}/up-next?kind=movie")).await;
    assert_eq!(listed(&films, "<h1"), ["Queued film"]);
    assert!(films.contains(r#"Only films · <a href="up-next">everything</a>"#));
    assert_eq!(
        sys.json_text(format!("{reader}/up-next?kind=film")).await,
        films
    );
    let nothing = sys.json_text(format!("{reader}/up-next?kind=game")).await;
    assert!(nothing.contains(r#"<li class="empty">Nothing up next.</li>"#));
    let now = sys.json_text(format!("{reader}/in-progress")).await;
    assert_eq!(listed(&now, "<h1"), ["Being read too", "Being read"]);
    assert!(now.contains("<title>In progress — Ann&#39;s recently finished</title>"));
    for query in ["limit=3", "cursor=x"] {
        let res = sys.get(format!("{reader}/up-next?{query}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query}");
        let problem: Value = res.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains("/v1/queue"),
            "{problem}"
        );
    }
}

/// `/`, the feed's own address: what is in progress, the latest finishes with their reviews
/// (the private one not), every year to its page, this year's counts, what is up next, and
/// the feeds; of one kind if asked; the pages under it lead back to it, and it to the
/// owner's blog when there is one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_home_page_shows_what_is_in_progress_the_latest_finishes_and_the_years() {
    let (sys, reader) = fixture().await;
    sys.start(
        "A Memory Called Empire",
        "public",
        Some(json!({ "done": 172, "of": 462 })),
    )
    .await;
    sys.start("Diary of a reading in private", "private", None)
        .await;
    // A private item's tags are no one's to see.
    sys.write(
        reqwest::Method::POST,
        "/v1/items",
        json!({ "kind": "book", "title": "Tagged in private", "visibility": "private", "tags": ["secret", "sf"] }),
    )
    .await;
    let (_, last) = sys.add("The Dispossessed", "public").await;
    sys.converged(std::slice::from_ref(&reader), last).await;

    let res = sys.get(format!("{reader}/")).await;
    assert_eq!(res.status(), StatusCode::OK);
    allows_no_script(&res);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<title>Ann&#39;s recently finished</title>")
            && html.contains(r#"<h1 class="p-name">Ann&#39;s recently finished</h1>"#),
        "{html}"
    );
    // In the order a visitor reads it: in progress, the finishes, the year, up next.
    let at = |what: &str| html.find(what).unwrap_or_else(|| panic!("{what}\n{html}"));
    let year = chrono::Datelike::year(&chrono::Utc::now());
    assert!(
        at("<h2>In progress</h2>") < at("<h2>Finished lately</h2>")
            && at("<h2>Finished lately</h2>") < at(&format!("<h2>{year} so far</h2>"))
            && at(&format!("<h2>{year} so far</h2>")) < at("<h2>Up next</h2>")
    );
    assert!(html.contains("page 172 of 462"), "{html}");
    assert!(at("A Memory Called Empire") < at("<h2>Finished lately</h2>"));
    assert!(at("The Dispossessed") > at("<h2>Up next</h2>"));
    assert_eq!(
        titles(&html),
        [
            "A Memory Called Empire",
            "Piranesi",
            "&lt;img src=x onerror=alert(1)&gt;",
            "Dune",
            "The Dispossessed"
        ]
    );
    assert!(!html.contains(XSS) && !html.contains("Secret diary") && !html.contains("Diary of"));
    // Each finish's day to its item's page; every year with a finish to its own page.
    assert!(html.contains(r#"<a class="u-url permalink" href="items/piranesi-"#));
    assert!(
        html.contains(&format!(
            r#"<p class="more">By year: <a href="years/{year}">{year}</a> (3)</p>"#
        )),
        "{html}"
    );
    // Every tag of a public item to its page, with how many there are: not the private one's.
    assert!(
        html.contains(r#"<p class="more">By tag: <a href="?tag=sf" rel="tag">sf</a> (1)</p>"#),
        "{html}"
    );
    assert!(!html.contains("secret"), "{html}");
    let shelf = sys.json_text(format!("{reader}/?tag=sf")).await;
    assert!(
        shelf.contains("Only tagged sf") && !shelf.contains("By tag:"),
        "{shelf}"
    );
    assert!(html.contains(r#"<li class="total"><strong>3</strong> finished"#));
    assert!(html.contains(&format!(r#"<a href="years/{year}">The whole year →</a>"#)));
    for link in [
        r#"<link rel="alternate" type="application/atom+xml" href="feed.atom""#,
        r#"<a href="feed.json">JSON Feed</a>"#,
        r#"<link rel="canonical" href="https://feed.example.com/">"#,
        r#"<meta property="og:description" content="Now: “A Memory Called Empire”. Lately: “Piranesi” ★★★★, “&lt;img src=x onerror=alert(1)&gt;” ★★★★, “Dune” ★★★★.">"#,
        r#"<meta property="og:image" content="https://example.com/dune.jpg">"#,
    ] {
        assert!(html.contains(link), "{link}\n{html}");
    }
    // No blog of the owner's: nothing to go back to.
    assert!(!html.contains(r#"<p class="back"><a"#), "{html}");

    // Of one kind: the books only, and a way back to everything.
    let books = sys.json_text(format!("{reader}/?kind=book")).await;
    assert!(books.contains(r#"Only books · <a href="./">everything</a>"#));
    assert!(books.contains(&format!(
        r#"<a href="years/{year}?kind=book">{year}</a> (2)"#
    )));
    assert!(!books.contains("onerror"));
    // Its feeds, named for a feed reader and at its foot, are of books too.
    for link in [
        r#"<link rel="alternate" type="application/atom+xml" href="feed.atom?kind=book""#,
        r#"<link rel="alternate" type="application/feed+json" href="feed.json?kind=book""#,
        r#"<p class="back">Follow: <a href="feed.atom?kind=book">Atom</a> · <a href="feed.json?kind=book">JSON Feed</a></p>"#,
    ] {
        assert!(books.contains(link), "{link}\n{books}");
    }
    let atom = sys.json_text(format!("{reader}/feed.atom?kind=book")).await;
    assert!(
        atom.contains("Dune") && atom.contains("Piranesi") && !atom.contains("onerror"),
        "{atom}"
    );
    let tagged = sys.json_text(format!("{reader}/years/{year}?tag=sf")).await;
    assert!(
        tagged.contains(
            r#"<link rel="alternate" type="application/atom+xml" href="../feed.atom?tag=sf""#
        ),
        "{tagged}"
    );
    let up_next = sys.json_text(format!("{reader}/up-next?kind=book")).await;
    assert!(
        up_next.contains(r#"href="feed.json?kind=book""#),
        "{up_next}"
    );

    // An item's page and a year's lead back here.
    let id = sys.json(format!("{reader}/v1/feed")).await["items"][0]["item"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for page in [format!("items/{id}"), format!("years/{year}")] {
        let html = sys.json_text(format!("{reader}/{page}")).await;
        assert!(
            html.contains(r#"<p class="back"><a href="../">← Ann&#39;s recently finished</a></p>"#),
            "{page}: {html}"
        );
    }
    // The owner's blog, when they have one, is where the home page leads.
    let mut cfg = reader_config(&sys.database_url);
    cfg.home_page_url = Some("https://ann.example.com/".into());
    let with_blog = sys.reader(cfg).await;
    sys.converged(std::slice::from_ref(&with_blog), last).await;
    let html = sys.json_text(format!("{with_blog}/")).await;
    assert!(
        html.contains(r#"<p class="back"><a href="https://ann.example.com/" rel="me">← ann.example.com</a></p>"#),
        "{html}"
    );
    assert_eq!(
        sys.json(format!("{with_blog}/feed.json")).await["home_page_url"],
        "https://ann.example.com/"
    );
    // A feed of books too: the owner's blog is where its readers go.
    assert_eq!(
        sys.json(format!("{with_blog}/feed.json?kind=book")).await["home_page_url"],
        "https://ann.example.com/"
    );
    // The owner's goals for the year (LATELY_GOALS), each against its own count: on the page
    // and this year's; of one kind, that kind's; of a tag, none; not on a year gone by; a
    // goal asked for in the query instead of them.
    let mut cfg = reader_config(&sys.database_url);
    cfg.goals = lately_projection::Goals::parse("book=4, movie=1, 10").unwrap();
    let with_goals = sys.reader(cfg).await;
    sys.converged(std::slice::from_ref(&with_goals), last).await;
    let lines = |html: &str| -> Vec<String> {
        html.split(r#"<li class="goal">"#)
            .skip(1)
            .map(|l| {
                let line = l.split("</li>").next().unwrap();
                let text = line.split("</progress> ").nth(1).unwrap();
                text.split(" <span").next().unwrap().to_owned()
            })
            .collect()
    };
    let all = [
        "<strong>2</strong> of 4 books · 50%",
        "<strong>1</strong> of 1 film · 100%",
        "<strong>3</strong> of 10 · 30%",
    ];
    for page in ["".to_owned(), format!("years/{year}")] {
        let html = sys.json_text(format!("{with_goals}/{page}")).await;
        assert_eq!(lines(&html), all, "{page}: {html}");
        assert!(
            html.contains(r#"</strong> of 1 film · 100% <span class="meta">goal reached</span>"#)
        );
    }
    for (page, expected) in [
        ("?kind=book".to_owned(), &all[..1]),
        (format!("years/{year}?kind=movie"), &all[1..2]),
        ("?tag=sf".to_owned(), &[][..]),
        (format!("years/{}", year - 1), &[][..]),
    ] {
        let html = sys.json_text(format!("{with_goals}/{page}")).await;
        assert_eq!(lines(&html), expected, "{page}");
    }
    // The year's three finishes, all of this month: one month's heading, counting three.
    let this_year = sys.json_text(format!("{with_goals}/years/{year}")).await;
    let month = chrono::Utc::now().format("%B").to_string();
    assert_eq!(
        this_year.matches("<h3>").collect::<Vec<_>>().len(),
        1,
        "{this_year}"
    );
    assert!(
        this_year.contains(&format!(
            r#"<h3>{month} <span class="count">· 3</span></h3>"#
        )),
        "{this_year}"
    );
    let asked = sys
        .json_text(format!("{with_goals}/years/{year}?goal=5"))
        .await;
    assert_eq!(lines(&asked), ["<strong>3</strong> of 5 · 60%"]);
    // The stats API answers them too, for this year (the CLI's `lately stats` says them).
    let (sys, with_goals) = (&sys, &with_goals);
    let goals = |query: String| async move {
        sys.json(format!("{with_goals}/v1/stats?{query}")).await["goals"].clone()
    };
    assert_eq!(
        goals(format!("year={year}")).await,
        json!([
            { "kind": "book", "goal": 4, "finished": 2 },
            { "kind": "movie", "goal": 1, "finished": 1 },
            { "kind": null, "goal": 10, "finished": 3 }
        ])
    );
    assert_eq!(
        goals(format!("year={year}&kind=book")).await,
        json!([{ "kind": "book", "goal": 4, "finished": 2 }])
    );
    for query in [
        format!("year={}", year - 1),
        String::new(),
        format!("year={year}&tag=sf"),
    ] {
        assert_eq!(goals(query.clone()).await, json!([]), "{query}");
    }
    assert!(lines(&sys.json_text(format!("{with_blog}/")).await).is_empty());
    // Rendered once per position and kept, but per host: without LATELY_PUBLIC_URL the card
    // names the address it was asked for.
    for host in ["a.example", "b.example", "a.example"] {
        let html = sys
            .client
            .get(format!("{with_blog}/"))
            .header("host", host)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!(r#"<link rel="canonical" href="http://{host}/">"#)),
            "{host}: {html}"
        );
    }
    // A client with the page already gets a 304; a new finish is on the next one.
    let res = sys.get(format!("{reader}/")).await;
    let tag = res.headers()["etag"].to_str().unwrap().to_owned();
    let revalidated = || async {
        sys.client
            .get(format!("{reader}/"))
            .header("if-none-match", &tag)
            .send()
            .await
            .unwrap()
    };
    assert_eq!(revalidated().await.status(), StatusCode::NOT_MODIFIED);
    let (_, now) = sys.finish("The Word for World Is Forest", json!({})).await;
    sys.converged(std::slice::from_ref(&reader), now).await;
    let newer = revalidated().await;
    assert_eq!(newer.status(), StatusCode::OK);
    assert!(newer
        .text()
        .await
        .unwrap()
        .contains("The Word for World Is Forest"));

    for bad in ["?year=2025", "?theme=neon", "?kind=comic", "?limit=5"] {
        let res = sys.get(format!("{reader}/{bad}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_widget_is_escaped_semantic_html_with_a_strict_policy() {
    let (sys, reader) = fixture().await;
    let res = sys
        .get(format!("{reader}/widget?theme=dark&lang=fr&limit=5"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"));
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"<html lang="fr">"#));
    // A frame for other pages, not a page of its own for search engines (the home page is).
    assert!(html.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(
        !html.contains(r#"<ol class="covers">"#),
        "a list, not covers"
    );
    assert!(html.contains(r#"class="lately h-feed" data-live data-theme="dark""#));
    assert_eq!(html.matches(r#"class="h-entry""#).count(), 3);
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains(XSS));
    assert!(html.contains(r#"alt="Cover of Dune""#));
    assert!(html.contains(r#"aria-label="4 out of 5 stars""#));
    // A title links to the item's own page, else to its page on the reader.
    assert!(html.contains(r#"<a class="title p-name" href="https://example.com/dune">Dune</a>"#));
    assert!(
        html.contains(r#"<a class="title p-name" href="items/piranesi-"#),
        "{html}"
    );
    assert!(!html.contains("Secret diary"));
    // A tag as a blog's page about one shelf would have it (any case): only Dune, and the
    // page's live script follows the same filter.
    let tagged = sys.get(format!("{reader}/widget?tag=SF")).await;
    assert_eq!(tagged.status(), StatusCode::OK);
    let tagged = tagged.text().await.unwrap();
    assert_eq!(tagged.matches(r#"class="h-entry""#).count(), 1, "{tagged}");
    assert!(tagged.contains(r#"alt="Cover of Dune""#) && tagged.contains(r#"data-tag="sf""#));
    for bad in ["theme=neon", "lang=%3Cscript%3E", "limit=0", "tag=%20"] {
        assert_eq!(
            sys.get(format!("{reader}/widget?{bad}")).await.status(),
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    // A shelf of covers: the same entries, laid out by the stylesheet.
    let shelf = sys
        .get(format!("{reader}/widget?layout=covers"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        shelf.contains(r#"<ol class="covers">"#)
            && shelf.matches(r#"class="h-entry""#).count() == 3,
        "{shelf}"
    );
    for (bad, detail) in [
        ("layout=grid", "layout must be list or covers"),
        (
            "layout=covers&show=stats",
            "layout=covers is for the lists (show=finished, current or queue), not stats",
        ),
    ] {
        let res = sys.get(format!("{reader}/widget?{bad}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["detail"], detail);
    }

    // Reviews, when asked: as text, markup shown as typed.
    let added = sys
        .write(
            reqwest::Method::POST,
            "/v1/items",
            json!({ "kind": "book", "title": "Reviewed" }),
        )
        .await;
    let done = sys
        .write(
            reqwest::Method::POST,
            &format!("/v1/items/{}/finish", added["id"].as_str().unwrap()),
            json!({ "review": "Strange <b>and</b>\nlovely." }),
        )
        .await;
    sys.converged(
        std::slice::from_ref(&reader),
        done["position"].as_i64().unwrap(),
    )
    .await;
    let reviewed = sys.json_text(format!("{reader}/widget?reviews=true")).await;
    assert!(
        reviewed.contains(
            r#"</span><p class="review p-content">Strange &lt;b&gt;and&lt;/b&gt;
lovely.</p></div></li>"#
        ) && reviewed.contains(r#"data-reviews="true""#),
        "{reviewed}"
    );
    let plain = sys.json_text(format!("{reader}/widget")).await;
    assert!(plain.contains("Reviewed") && !plain.contains("review p-content"));
    // Under the list, the owner's page: more of everything.
    assert!(
        plain.contains(r#"</ol><p class="more"><a href="./">See all →</a></p>"#),
        "{plain}"
    );
    for (bad, says) in [
        ("show=current&reviews=true", "reviews is for show=finished"),
        ("reviews=yes", "reviews must be true or false"),
    ] {
        let res = sys.get(format!("{reader}/widget?{bad}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(res.text().await.unwrap().contains(says), "{bad}");
    }

    let js = sys.get(format!("{reader}/widget.js")).await;
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let js = js.text().await.unwrap();
    assert!(!js.contains("__LATELY_CSS__") && js.contains("attachShadow"));
}

/// A finish says when its read began (the API, JSON Feed), and the widget how many days of
/// the owner's calendar it took; a finish recorded without a start says neither. What is in
/// progress says since when.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_finish_says_when_its_read_began_and_the_widget_how_long_it_took() {
    let sys = system().await;
    let utc = sys.reader(reader_config(&sys.database_url)).await;
    let mut cfg = reader_config(&sys.database_url);
    cfg.time_zone = lately_projection::Zone::parse("Pacific/Auckland").unwrap();
    let auckland = sys.reader(cfg).await;
    let post = |path: String, body: Value| {
        let sys = &sys;
        async move { sys.write(reqwest::Method::POST, &path, body).await }
    };
    // Read from the evening of 20 November to the morning of 3 December (UTC): 13 days; in
    // Auckland, 13 hours ahead, from the 21st to the evening of the 3rd: 12.
    let (slow, _) = sys.add("Slow read", "public").await;
    post(
        format!("/v1/items/{slow}/start"),
        json!({ "at": "2026-11-20T20:00:00Z" }),
    )
    .await;
    post(
        format!("/v1/items/{slow}/finish"),
        json!({ "at": "2026-12-03T09:00:00Z" }),
    )
    .await;
    // Started and finished on one day, in both zones; and logged after watching, never started.
    let (quick, _) = sys.add("Quick read", "public").await;
    post(
        format!("/v1/items/{quick}/start"),
        json!({ "at": "2026-11-02T00:00:00Z" }),
    )
    .await;
    post(
        format!("/v1/items/{quick}/finish"),
        json!({ "at": "2026-11-02T09:00:00Z" }),
    )
    .await;
    let (film, _) = sys.add("Film", "public").await;
    post(
        format!("/v1/items/{film}/finish"),
        json!({ "at": "2026-11-01T12:00:00Z" }),
    )
    .await;
    let (_, last) = sys.start("Reading now", "public", None).await;
    sys.converged(&[utc.clone(), auckland.clone()], last).await;

    let feed = sys.json(format!("{utc}/v1/feed")).await;
    let starts: Vec<_> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["item"]["title"].clone(), e["started_at"].clone()))
        .collect();
    assert_eq!(
        starts,
        [
            (json!("Slow read"), json!("2026-11-20T20:00:00Z")),
            (json!("Quick read"), json!("2026-11-02T00:00:00Z")),
            (json!("Film"), Value::Null),
        ]
    );
    let doc = sys.json(format!("{utc}/feed.json")).await;
    assert_eq!(
        doc["items"][0]["_lately"]["started_at"],
        "2026-11-20T20:00:00+00:00"
    );
    assert!(doc["items"][2]["_lately"].get("started_at").is_none());
    // The feeds' text says it as the tweet does, in days of the owner's calendar.
    let text = |doc: &Value, i: usize| doc["items"][i]["content_text"].clone();
    assert_eq!(
        [text(&doc, 0), text(&doc, 1), text(&doc, 2)],
        [
            json!("Finished reading “Slow read” in 13 days"),
            json!("Finished reading “Quick read”"),
            json!("Finished reading “Film”")
        ]
    );
    let atom = sys.json_text(format!("{utc}/feed.atom")).await;
    assert!(
        atom.contains("Finished reading “Slow read” in 13 days</summary>"),
        "{atom}"
    );
    let doc = sys.json(format!("{auckland}/feed.json")).await;
    assert_eq!(text(&doc, 0), "Finished reading “Slow read” in 12 days");
    assert_eq!(
        doc["items"][0]["content_html"],
        "<p>Finished reading <cite>Slow read</cite> in 12 days</p>"
    );

    let took = |page: &str| -> Vec<String> {
        page.match_indices(r#"<span class="took">"#)
            .map(|(at, _)| page[at..].split("</span>").next().unwrap().to_owned())
            .collect()
    };
    let page = sys.json_text(format!("{utc}/widget")).await;
    assert_eq!(took(&page), [r#"<span class="took">took 13 days"#]);
    assert!(page.contains(r#"2026-12-03</time></a> · <span class="took">"#));
    // The day links to the finish on its item's page.
    let slow_finish = feed["items"][0]["position"].as_i64().unwrap();
    assert!(page.contains(&format!(
        r#"<a class="u-url permalink" href="items/{slow}#finish-{slow_finish}"><time class="dt-published""#
    )));
    let page = sys.json_text(format!("{auckland}/widget")).await;
    assert_eq!(took(&page), [r#"<span class="took">took 12 days"#]);

    // In progress: since when, in the lists; nothing once finished.
    let current = sys.json(format!("{utc}/v1/current")).await;
    assert_eq!(current["items"][0]["title"], "Reading now");
    assert!(current["items"][0]["started_at"].is_string());
    assert!(feed["items"][0]["item"].get("started_at").is_none());
}

/// A book followed in running time, as a player shows it, was listened to: its finish says so
/// in the feeds, and its page names it an audiobook; a read of it followed in pages, or not
/// followed, was read; a finish that says it was listened to was, until a revision says not.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_book_followed_in_running_time_was_listened_to() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let post = |path: String, body: Value| {
        let sys = &sys;
        async move { sys.write(reqwest::Method::POST, &path, body).await }
    };
    let (book, _) = sys.add("Project Hail Mary", "public").await;
    post(format!("/v1/items/{book}/start"), json!({})).await;
    let at = json!({ "done": 4_800, "of": 58_200, "unit": "seconds" });
    let listening = post(format!("/v1/items/{book}/progress"), at).await;
    sys.converged(
        std::slice::from_ref(&reader),
        listening["position"].as_i64().unwrap(),
    )
    .await;
    // What its page names it: an audiobook while it is followed in running time, then as its
    // latest finish was had.
    let kind_on_page = || {
        let sys = &sys;
        let reader = &reader;
        let book = &book;
        async move {
            let html = sys.json_text(format!("{reader}/items/{book}")).await;
            let at = html.find(r#"<a class="kind""#).unwrap();
            let label = &html[at..];
            let label = &label[label.find('>').unwrap() + 1..];
            label[..label.find('<').unwrap()].to_owned()
        }
    };
    assert_eq!(kind_on_page().await, "Audiobook");
    let first = post(format!("/v1/items/{book}/finish"), json!({})).await;
    // Read again, on paper this time.
    post(format!("/v1/items/{book}/start"), json!({})).await;
    let at = json!({ "done": 120, "of": 476 });
    post(format!("/v1/items/{book}/progress"), at).await;
    let again = post(format!("/v1/items/{book}/finish"), json!({})).await;
    sys.converged(
        std::slice::from_ref(&reader),
        again["position"].as_i64().unwrap(),
    )
    .await;

    let feed = sys.json(format!("{reader}/v1/feed")).await;
    let followed: Vec<_> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.get("followed_in").cloned())
        .collect();
    assert_eq!(followed, [None, Some(json!("seconds"))]);
    let doc = sys.json(format!("{reader}/feed.json")).await;
    let said: Vec<_> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["content_text"].clone(),
                e["_lately"].get("followed_in").cloned(),
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            (
                json!("Finished reading “Project Hail Mary” for the 2nd time"),
                None
            ),
            (
                json!("Finished listening to “Project Hail Mary”"),
                Some(json!("seconds"))
            ),
        ]
    );
    let atom = sys.json_text(format!("{reader}/feed.atom")).await;
    assert!(
        atom.contains("Finished listening to &lt;cite&gt;Project Hail Mary&lt;/cite&gt;"),
        "{atom}"
    );
    // The pages and the widget name it as it was had: an audiobook, then a book.
    for page in ["/", "/widget"] {
        let html = sys.json_text(format!("{reader}{page}")).await;
        let kinds: Vec<_> = html
            .match_indices(r#"<span class="kind">"#)
            .map(|(at, _)| html[at..].split(" · </span>").next().unwrap())
            .map(|s| s.trim_start_matches(r#"<span class="kind">"#))
            .collect();
        assert_eq!(kinds, ["Book", "Audiobook"], "{page}");
    }

    // Heard a third time, nothing logged but the finish, which says so; then said read after
    // all: the revision's word stands from its position on.
    let third = post(
        format!("/v1/items/{book}/finish"),
        json!({ "listened": true }),
    )
    .await;
    let third = third["position"].as_i64().unwrap();
    sys.converged(std::slice::from_ref(&reader), third).await;
    let doc = sys.json(format!("{reader}/feed.json")).await;
    assert_eq!(
        doc["items"][0]["content_text"],
        "Finished listening to “Project Hail Mary” for the 3rd time"
    );
    assert_eq!(kind_on_page().await, "Audiobook");
    let revised = sys
        .write(
            reqwest::Method::PATCH,
            &format!("/v1/items/{book}/finish"),
            json!({ "listened": false }),
        )
        .await;
    let revised = revised["position"].as_i64().unwrap();
    sys.converged(std::slice::from_ref(&reader), revised).await;
    let newest = |as_of: i64| {
        let sys = &sys;
        let reader = &reader;
        async move {
            let doc = sys
                .json(format!("{reader}/v1/feed?limit=1&as_of={as_of}"))
                .await;
            let e = &doc["items"][0];
            (
                e["finish_number"].clone(),
                e.get("followed_in").cloned(),
                e.get("listened").cloned(),
            )
        }
    };
    // The finish says so itself (`listened`), which the first one, followed in time, did not.
    assert_eq!(
        newest(third).await,
        (json!(3), Some(json!("seconds")), Some(json!(true)))
    );
    assert_eq!(newest(revised).await, (json!(3), None, None));
    assert_eq!(kind_on_page().await, "Book");
    let first = first["position"].as_i64().unwrap();
    assert_eq!(
        newest(first).await,
        (json!(1), Some(json!("seconds")), None)
    );
}

/// `/v1/tags`: the public items' tags with their counts, as of a position too; a private
/// item's tags are not among them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tags_list_the_public_items_tags() {
    let (sys, reader) = fixture().await;
    let tags = sys.json(format!("{reader}/v1/tags")).await;
    assert_eq!(
        tags["tags"],
        json!([{ "tag": "sf", "items": 1, "finished": 1 }])
    );
    // Dune was added at position 1 and finished at 2.
    let then = sys.json(format!("{reader}/v1/tags?as_of=1")).await;
    assert_eq!(
        (then["tags"].clone(), then["position"].clone()),
        (
            json!([{ "tag": "sf", "items": 1, "finished": 0 }]),
            json!(1)
        )
    );
    let secret = sys
        .write(
            reqwest::Method::POST,
            "/v1/items",
            json!({ "kind": "book", "title": "Diary", "tags": ["private-stuff"], "visibility": "private" }),
        )
        .await;
    let position = secret["position"].as_i64().unwrap();
    sys.converged(std::slice::from_ref(&reader), position).await;
    let now = sys.json(format!("{reader}/v1/tags")).await;
    assert_eq!(now["tags"], tags["tags"], "a private item's tag showed");
}

/// A blog's "currently reading" and "up next": `/widget?show=current` lists the public items
/// in progress with how far along each is, `show=queue` those waiting; both filter as the
/// feed does, escape titles, and take a title of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_widget_shows_what_is_in_progress_and_what_is_up_next() {
    let (sys, reader) = fixture().await;
    let (reading, _) = sys
        .start(
            "The Dispossessed",
            "public",
            Some(json!({ "done": 155, "of": 387 })),
        )
        .await;
    let (xss, _) = sys.start(XSS, "public", None).await;
    sys.start("Secret notebook", "private", None).await;
    let (next, _) = sys.add("Middlemarch", "public").await;
    let last = sys
        .write(
            reqwest::Method::PATCH,
            &format!("/v1/items/{next}"),
            json!({ "tags": ["classics"] }),
        )
        .await;
    let last = last["position"].as_i64().unwrap();
    sys.converged(std::slice::from_ref(&reader), last).await;

    let html = sys
        .json_text(format!("{reader}/widget?show=current&lang=en"))
        .await;
    assert!(html.contains(r#"data-show="current""#), "{html}");
    assert!(html.contains("<title>In progress</title>"), "{html}");
    // Most recently touched first: the escaped title, started without progress, then the
    // one at 40%. No private item, no finish, nothing queued.
    let ids: Vec<&str> = html
        .split(r#"data-id=""#)
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(ids, [xss.as_str(), reading.as_str()], "{html}");
    // Logged in pages: said so, with the bar at the percentage they make, and the day it was
    // logged said to be that.
    assert!(
        html.contains(
            r#"<span class="far"><progress value="40" max="100" aria-label="40% done">40%</progress> page 155 of 387</span> · updated <time class="dt-updated" datetime="#
        ),
        "{html}"
    );
    let current = sys.json(format!("{reader}/v1/current")).await;
    let first = &current["items"][1];
    assert_eq!(
        (
            &first["progress"],
            &first["progress_done"],
            &first["progress_of"]
        ),
        (&json!(40), &json!(155), &json!(387))
    );
    assert!(current["items"][0].get("progress_done").is_none());
    // Started, nothing logged since: when it was started.
    let since: chrono::DateTime<chrono::Utc> = current["items"][0]["started_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        html.contains(&format!(
            r#"started <time datetime="{}">"#,
            since.to_rfc3339()
        )),
        "{html}"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;") && !html.contains(XSS));
    for absent in ["Secret notebook", "Middlemarch", "Piranesi"] {
        assert!(!html.contains(absent), "{absent}: {html}");
    }

    let queue = sys
        .json_text(format!(
            "{reader}/widget?show=queue&tag=Classics&title=Next%20on%20my%20shelf"
        ))
        .await;
    assert!(
        queue.contains(r#"<h2 class="p-name">Next on my shelf</h2>"#),
        "{queue}"
    );
    assert!(
        queue.contains("Middlemarch") && queue.contains("added <time"),
        "{queue}"
    );
    assert_eq!(queue.matches(r#"class="h-entry""#).count(), 1, "{queue}");
    // Under a heading of the blog's own: none shown, the section named by its title.
    let bare = sys
        .json_text(format!("{reader}/widget?show=queue&heading=false"))
        .await;
    assert!(
        bare.contains(r#"data-show="queue" aria-label="Up next">"#)
            && bare.contains(r#"<h2 class="p-name" hidden>Up next</h2>"#),
        "{bare}"
    );
    assert!(
        !queue.contains("aria-label") && !queue.contains(" hidden>"),
        "{queue}"
    );
    let empty = sys
        .json_text(format!("{reader}/widget?show=current&kind=game"))
        .await;
    assert!(empty.contains("Nothing in progress right now."), "{empty}");
    assert!(
        empty.contains(r#"<a href="in-progress?kind=game">See all →</a>"#),
        "{empty}"
    );

    for (bad, says) in [
        (
            "show=reading",
            "show must be finished, current, queue or stats",
        ),
        (
            "show=current&title=%20",
            "title must be 1 to 100 characters",
        ),
        ("show=queue&kind=scroll", "kind"),
        ("heading=no", "heading must be true or false"),
    ] {
        let res = sys.get(format!("{reader}/widget?{bad}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body = res.text().await.unwrap();
        assert!(body.contains(says), "{bad}: {body}");
    }
}

/// A blog's "2025 in books and films": `/widget?show=stats` counts a year's public finishes,
/// in all and per kind, with the average rating; the current year (in the owner's zone) by
/// default; of one kind if asked, and against a goal ("2 of 3 books", short of it, reached, or
/// behind schedule). The finishes' list may be a year's too. A year in the lists of items, or
/// a goal anywhere but the counts, is refused, as is a goal that is no count.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_stats_widget_counts_a_year_by_kind() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let finish =
        |kind: &'static str, title: &'static str, visibility: &'static str, body: Value| {
            let item = json!({ "kind": kind, "title": title, "visibility": visibility });
            let sys = &sys;
            async move { sys.finish_with(item, body).await.1 }
        };
    finish(
        "book",
        "Piranesi",
        "public",
        json!({ "at": "2025-03-01T12:00:00Z", "rating": 4 }),
    )
    .await;
    finish(
        "book",
        "Dune",
        "public",
        json!({ "at": "2025-06-01T12:00:00Z", "rating": 5 }),
    )
    .await;
    finish(
        "movie",
        "Heat",
        "public",
        json!({ "at": "2025-07-01T12:00:00Z" }),
    )
    .await;
    finish(
        "book",
        "Diary",
        "private",
        json!({ "at": "2025-08-01T12:00:00Z", "rating": 1 }),
    )
    .await;
    // Games played for hours of no known whole: their hours beside their count.
    let played = |title: &'static str, added: String, hours: i64, body: Value| {
        let sys = &sys;
        async move {
            let game = sys
                .add_item(json!({ "kind": "game", "title": title, "at": added }))
                .await;
            sys.write(
                reqwest::Method::POST,
                &format!("/v1/items/{game}/progress"),
                json!({ "done": hours * 3600, "unit": "seconds", "at": added }),
            )
            .await;
            sys.write(
                reqwest::Method::POST,
                &format!("/v1/items/{game}/finish"),
                body,
            )
            .await["position"]
                .as_i64()
                .unwrap()
        }
    };
    played(
        "Outer Wilds",
        "2025-08-01T12:00:00Z".to_owned(),
        22,
        json!({ "at": "2025-09-01T12:00:00Z" }),
    )
    .await;
    let last = played(
        "Hades",
        chrono::Utc::now().to_rfc3339(),
        62,
        json!({ "rating": 5 }),
    )
    .await;
    sys.converged(std::slice::from_ref(&reader), last).await;

    let page = sys
        .json_text(format!("{reader}/widget?show=stats&year=2025"))
        .await;
    assert!(page.contains("<title>Finished in 2025</title>"), "{page}");
    assert!(
        page.contains(r#"data-show="stats" data-year="2025""#),
        "{page}"
    );
    let counts = stats_list(&page);
    let bar =
        |m: &str, height: u32| format!(r#"<span title="{m}" style="height: {height}%;"></span>"#);
    let months = [
        bar("Jan: 0", 0),
        bar("Feb: 0", 0),
        bar("Mar: 1", 100),
        bar("Apr: 0", 0),
        bar("May: 0", 0),
        bar("Jun: 1", 100),
        bar("Jul: 1", 100),
        bar("Aug: 0", 0),
        bar("Sep: 1", 100),
        bar("Oct: 0", 0),
        bar("Nov: 0", 0),
        bar("Dec: 0", 0),
    ]
    .concat();
    assert_eq!(
        counts,
        format!(
            r#"<li class="total"><strong>4</strong> finished <span class="meta">4.5★ on average over 2 rated</span></li><li data-kind="book"><strong>2</strong> books</li><li data-kind="movie"><strong>1</strong> film</li><li data-kind="game"><strong>1</strong> game <span class="meta played">· 22h played</span></li><li class="months" role="img" aria-label="By month: Jan 0, Feb 0, Mar 1, Apr 0, May 0, Jun 1, Jul 1, Aug 0, Sep 1, Oct 0, Nov 0, Dec 0">{months}</li><li class="month-names" aria-hidden="true"><span>J</span><span>F</span><span>M</span><span>A</span><span>M</span><span>J</span><span>J</span><span>A</span><span>S</span><span>O</span><span>N</span><span>D</span></li>"#
        )
    );

    // By default the year it is now (UTC here), which holds the game finished just now: one
    // kind's finishes, counted once, the total naming the kind rather than a line repeating it.
    let year = chrono::Datelike::year(&chrono::Utc::now());
    let now = sys.json_text(format!("{reader}/widget?show=stats")).await;
    assert!(
        now.contains(&format!(r#"data-year="{year}""#))
            && now.contains(
                r#"<li class="total"><strong>1</strong> game finished <span class="meta">5.0★ on average over 1 rated</span> <span class="meta played">· 62h played</span></li>"#
            )
            && !now.contains(r#"data-kind="game""#),
        "{now}"
    );
    let none = sys
        .json_text(format!(
            "{reader}/widget?show=stats&year=1999&title=My%201999"
        ))
        .await;
    assert!(
        none.contains("Nothing finished in 1999 yet.")
            && none.contains("<h2 class=\"p-name\">My 1999</h2>"),
        "{none}"
    );

    // A year's finishes, newest first (a blog's "what I watched and read in 2025").
    let listed = sys
        .json_text(format!("{reader}/widget?year=2025&limit=2"))
        .await;
    assert!(
        listed.contains("<title>Finished in 2025</title>"),
        "{listed}"
    );
    assert!(listed.contains(r#"data-show="finished" data-year="2025""#));
    assert!(listed.contains(r#"<a href="years/2025">The whole year →</a>"#));
    assert_eq!(titles(&listed), ["Outer Wilds", "Heat"]);
    let books = sys
        .json_text(format!("{reader}/widget?year=2025&kind=book"))
        .await;
    assert_eq!(titles(&books), ["Dune", "Piranesi"]);
    let latest = sys.json_text(format!("{reader}/widget?limit=2")).await;
    assert_eq!(titles(&latest), ["Hades", "Outer Wilds"]);
    let none = sys.json_text(format!("{reader}/widget?year=1999")).await;
    assert!(none.contains(r#"<li class="empty">Nothing finished in 1999.</li>"#));

    // Under the counts, the year's page, the same filters kept.
    assert!(
        page.contains(r#"</ol><p class="more"><a href="years/2025">The whole year →</a></p>"#),
        "{page}"
    );
    // The year's own page: the same counts, then every public finish of the year, each
    // with its review and linked to its item's page; the private one in neither.
    let review_page = sys.json_text(format!("{reader}/years/2025")).await;
    assert!(
        review_page.contains("<title>2025 in review — "),
        "{review_page}"
    );
    assert_eq!(stats_list(&review_page), counts);
    assert_eq!(
        titles(&review_page),
        ["Outer Wilds", "Heat", "Dune", "Piranesi"]
    );
    // Under their months' names, newest first, each with its count.
    let months: Vec<&str> = review_page
        .split("<h3>")
        .skip(1)
        .map(|h| h.split("</h3>").next().unwrap())
        .collect();
    assert_eq!(
        months,
        [
            r#"September <span class="count">· 1</span>"#,
            r#"July <span class="count">· 1</span>"#,
            r#"June <span class="count">· 1</span>"#,
            r#"March <span class="count">· 1</span>"#
        ]
    );
    // Without a link of their own, titles link to their items' pages.
    assert!(
        review_page.contains(r#"<a class="title p-name" href="../items/heat-"#),
        "{review_page}"
    );
    assert!(
        review_page.contains(r#"href="../items/heat-"#),
        "{review_page}"
    );
    assert!(!review_page.contains("Diary"));
    // Its favourites above the months: the finishes rated highest (Dune's five stars; the
    // private diary's one star is not a rating shown), a shelf of covers to their finishes.
    let favourites = |page: &str| -> Option<String> {
        let (before, shelf) = page.split_once(r#"<ol class="covers favourites">"#)?;
        assert!(before.contains(r#"<h2>Favourites <span class="count">· <span class="stars" role="img" aria-label="5 out of 5 stars">★★★★★</span>"#));
        assert!(!before.contains("<h2>Finished</h2>"), "above the months");
        Some(shelf.split("</ol>").next().unwrap().to_owned())
    };
    let shelf = favourites(&review_page).expect("2025 has favourites");
    assert_eq!(shelf.matches("<li>").count(), 1, "{shelf}");
    assert!(
        shelf.contains(r#"href="../items/dune-"#) && shelf.contains(">Dune</a>"),
        "{shelf}"
    );
    assert!(review_page.contains(
        r#"<meta property="og:description" content="4 finished in 2025: 2 books, 1 film, 1 game. Favourites: “Dune”.">"#
    ));
    // The nearest years with finishes before and after, the filters kept: none before the
    // first, none after the latest (2025's books have no later year).
    let year_links = |page: &str| -> Vec<String> {
        page.split("<a href=\"")
            .filter_map(|a| a.split_once("</a>").map(|(a, _)| a.to_owned()))
            .filter(|a| a.contains(">← 2") || a.contains(" →"))
            .filter(|a| !a.contains("The whole year"))
            .collect()
    };
    assert_eq!(
        year_links(&review_page),
        [format!(r#"{year}">{year} →"#)],
        "{review_page}"
    );
    let books_page = sys
        .json_text(format!("{reader}/years/2025?kind=book"))
        .await;
    assert!(books_page.contains("<title>2025 in books — "));
    assert!(
        books_page.contains(r#"<meta property="og:description" content="2 books finished in 2025. Favourites: “Dune”.">"#),
        "{books_page}"
    );
    assert_eq!(titles(&books_page), ["Dune", "Piranesi"]);
    assert!(favourites(&books_page).is_some_and(|shelf| shelf.contains(">Dune</a>")));
    assert!(year_links(&books_page).is_empty(), "{books_page}");
    // A book read in 2022: the years between, with nothing finished, are skipped.
    let last = finish(
        "book",
        "Gideon the Ninth",
        "public",
        json!({ "at": "2022-10-01T12:00:00Z" }),
    )
    .await;
    sys.converged(std::slice::from_ref(&reader), last).await;
    let review_page = sys.json_text(format!("{reader}/years/2025")).await;
    assert!(
        review_page.contains(&format!(
            r#"<p class="back"><a href="2022">← 2022</a> · <a href="{year}">{year} →</a></p>"#
        )),
        "{review_page}"
    );
    let books_page = sys
        .json_text(format!("{reader}/years/2025?kind=book"))
        .await;
    assert_eq!(year_links(&books_page), [r#"2022?kind=book">← 2022"#]);
    let first = sys.json_text(format!("{reader}/years/2022")).await;
    assert_eq!(year_links(&first), [r#"2025">2025 →"#]);
    // As shelves of covers, a month each: the counts as they were, the months' lists laid
    // out as covers, the years before and after the same.
    let shelves = sys
        .json_text(format!("{reader}/years/2025?kind=book&layout=covers"))
        .await;
    assert_eq!(titles(&shelves), ["Dune", "Piranesi"]);
    assert!(shelves.contains(r#"<ol class="stats">"#));
    assert_eq!(shelves.matches(r#"<ol class="covers">"#).count(), 2);
    assert!(shelves.contains(r#"<a href="2022?kind=book&amp;layout=covers">← 2022</a>"#));
    assert!(!review_page.contains(r#"class="covers""#));
    // Against a goal: the stats widget's line.
    let goal_page = sys
        .json_text(format!("{reader}/years/2025?kind=book&goal=3"))
        .await;
    assert!(
        goal_page.contains("<strong>2</strong> of 3 books · 66% <span class=\"meta\">1 book short of the goal</span>"),
        "{goal_page}"
    );
    let this_year = sys.json_text(format!("{reader}/years/{year}")).await;
    assert_eq!(year_links(&this_year), [r#"2025">← 2025"#], "{this_year}");
    let empty_page = sys.json_text(format!("{reader}/years/1999")).await;
    assert!(
        empty_page.contains("Nothing finished in 1999 yet.")
            && !empty_page.contains("<h2>Finished</h2>")
    );
    // 2022's one book, unrated: nothing to pick out.
    assert!(!first.contains("Favourites"), "{first}");
    // An empty year between two: the nearest each way.
    let between = sys.json_text(format!("{reader}/years/2023")).await;
    assert_eq!(year_links(&between), [r#"2022">← 2022"#, r#"2025">2025 →"#]);
    assert_eq!(year_links(&empty_page), [r#"2022">2022 →"#]);
    // A shared link shows a favourite's cover, or else the latest there is: Heat's, the
    // newest, until Dune, the favourite, has one.
    assert!(!review_page.contains("og:image"), "no cover yet");
    let id_of = |slug: &str| {
        let at = review_page.find(&format!("../items/{slug}-")).unwrap() + "../items/".len();
        review_page[at..]
            .split(['#', '"'])
            .next()
            .unwrap()
            .to_owned()
    };
    for (id, src) in [
        (id_of("heat"), "https://example.com/heat.jpg"),
        (id_of("dune"), "https://example.com/dune.jpg"),
    ] {
        let edited = sys
            .write(
                reqwest::Method::PATCH,
                &format!("/v1/items/{id}"),
                json!({ "cover_url": src }),
            )
            .await;
        let last = edited["position"].as_i64().unwrap();
        sys.converged(std::slice::from_ref(&reader), last).await;
        let page = sys.json_text(format!("{reader}/years/2025")).await;
        assert!(
            page.contains(&format!(r#"<meta property="og:image" content="{src}">"#)),
            "{page}"
        );
    }
    for bad in [
        "/years/19",
        "/years/twenty",
        "/years/2025?year=2024",
        "/years/2025?kind=comic",
        "/years/2025?goal=0",
        "/years/2025?layout=grid",
    ] {
        let res = sys.get(format!("{reader}{bad}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }

    // One kind, against a goal: a past year says how far short it fell.
    let books = sys
        .json_text(format!(
            "{reader}/widget?show=stats&year=2025&kind=book&goal=3"
        ))
        .await;
    assert!(books.contains(r#"data-kind="book""#) && books.contains(r#"data-goal="3""#));
    assert!(books.contains(r#"<a href="years/2025?kind=book">The whole year →</a>"#));
    let counts = stats_list(&books);
    assert!(
        counts.starts_with(r#"<li class="total"><strong>2</strong> books finished <span class="meta">4.5★ on average over 2 rated</span></li><li class="goal"><progress value="2" max="3" aria-label="66% of the goal">66%</progress> <strong>2</strong> of 3 books · 66% <span class="meta">1 book short of the goal</span></li><li class="months" role="img" aria-label="By month: Jan 0, Feb 0, Mar 1, Apr 0, May 0, Jun 1, Jul 0,"#),
        "{counts}"
    );
    let stats = sys
        .json(format!("{reader}/v1/stats?year=2025&kind=movie"))
        .await;
    assert_eq!(
        (stats["finished"].clone(), stats["rated"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(stats["by_kind"], json!({ "movie": 1 }));
    // The current year: reached, or behind an even pace (a goal of 100,000 always is).
    let reached = sys
        .json_text(format!("{reader}/widget?show=stats&goal=1"))
        .await;
    assert!(
        reached
            .contains(r#"<strong>1</strong> of 1 · 100% <span class="meta">goal reached</span>"#),
        "{reached}"
    );
    let behind = sys
        .json_text(format!("{reader}/widget?show=stats&kind=game&goal=100000"))
        .await;
    assert!(
        behind.contains(r#"<strong>1</strong> of 100000 games · 0% <span class="meta">"#)
            && behind.contains(" games behind schedule</span>"),
        "{behind}"
    );
    // Nothing finished yet still shows the goal's bar.
    let empty = sys
        .json_text(format!(
            "{reader}/widget?show=stats&year=2025&kind=podcast&goal=12"
        ))
        .await;
    assert!(
        empty.contains(
            r#"Nothing finished in 2025 yet.</li><li class="goal"><progress value="0" max="12""#
        ) && empty.contains("12 podcasts short of the goal"),
        "{empty}"
    );

    for (bad, says) in [
        (
            "show=stats&goal=0",
            "goal must be a whole number of finishes from 1 to 100000",
        ),
        ("show=stats&goal=24.5", "goal must be a whole number"),
        ("show=stats&kind=comic", "kind"),
        ("show=stats&year=1800", "year must be between 1900 and 9999"),
        (
            "show=current&year=2025",
            "year is for show=finished or show=stats",
        ),
        ("show=finished&goal=24", "goal is for show=stats"),
        ("show=queue&goal=24", "goal is for show=stats"),
        ("year=99", "year must be between 1900 and 9999"),
    ] {
        let res = sys.get(format!("{reader}/widget?{bad}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body = res.text().await.unwrap();
        assert!(body.contains(says), "{bad}: {body}");
    }
}

/// With `LATELY_TIME_ZONE`, a year is the owner's: a book finished at 9 pm on New Year's Eve
/// in California is in that year's stats and feed there, though in UTC it was already the
/// next year; the stats say which zone they count in. A name that is no zone stops the reader
/// before it starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_year_is_counted_in_the_owners_time_zone() {
    let sys = system().await;
    let mut cfg = reader_config(&sys.database_url);
    cfg.time_zone = lately_projection::Zone::parse("America/Los_Angeles").unwrap();
    let california = sys.reader(cfg).await;
    let utc = sys.reader(reader_config(&sys.database_url)).await;
    let added = sys
        .write(
            reqwest::Method::POST,
            "/v1/items",
            json!({ "kind": "book", "title": "New Year's Eve" }),
        )
        .await;
    let id = added["id"].as_str().unwrap();
    let done = sys
        .write(
            reqwest::Method::POST,
            &format!("/v1/items/{id}/finish"),
            json!({ "at": "2026-01-01T05:00:00Z" }),
        )
        .await;
    sys.converged(
        &[california.clone(), utc.clone()],
        done["position"].as_i64().unwrap(),
    )
    .await;

    let stats = sys.json(format!("{california}/v1/stats?year=2025")).await;
    assert_eq!(
        (
            &stats["finished"],
            &stats["by_month"][11],
            &stats["time_zone"]
        ),
        (&json!(1), &json!(1), &json!("America/Los_Angeles"))
    );
    let every_year = sys.json(format!("{california}/v1/stats")).await;
    assert_eq!(every_year["by_year"], json!({ "2025": 1 }));
    let in_utc = sys.json(format!("{utc}/v1/stats?year=2026")).await;
    assert_eq!(
        (&in_utc["finished"], &in_utc["time_zone"]),
        (&json!(1), &json!("UTC"))
    );
    let count = |reader: &str, year: u32| {
        let url = format!("{reader}/v1/feed?year={year}");
        let sys = &sys;
        async move { sys.json(url).await["items"].as_array().unwrap().len() }
    };
    assert_eq!(
        (
            count(&california, 2025).await,
            count(&california, 2026).await
        ),
        (1, 0)
    );
    assert_eq!((count(&utc, 2025).await, count(&utc, 2026).await), (0, 1));
    let atom = sys
        .json_text(format!("{california}/feed.atom?year=2026"))
        .await;
    assert!(!atom.contains("New Year"), "{atom}");
    // The widget's page says the owner's day until its script says the viewer's (and for
    // good without scripts).
    for (reader, day) in [(&california, "2025-12-31"), (&utc, "2026-01-01")] {
        let page = sys.json_text(format!("{reader}/widget")).await;
        assert!(
            page.contains(&format!(
                r#"datetime="2026-01-01T05:00:00+00:00">{day}</time>"#
            )),
            "{page}"
        );
    }

    let refused = <lately_reader::configuration::Config as clap::Parser>::try_parse_from([
        "lately-reader",
        "--time-zone",
        "Mars/Olympus_Mons",
    ])
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("\"Mars/Olympus_Mons\" is not an IANA time zone name"),
        "{refused}"
    );
}

/// One Server-Sent Event: its name, id and data.
#[derive(Debug)]
struct Sse {
    event: String,
    id: i64,
    data: Value,
}

/// The stream's events as they arrive (heartbeats and the `retry` line are not events).
fn events(res: reqwest::Response) -> tokio::sync::mpsc::UnboundedReceiver<Sse> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut body = res.bytes_stream();
        let mut buf = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            buf.push_str(std::str::from_utf8(&chunk).unwrap());
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                let field = |name: &str| {
                    event
                        .lines()
                        .find_map(|l| l.strip_prefix(name).map(str::to_owned))
                };
                if let Some(name) = field("event: ") {
                    let sse = Sse {
                        event: name,
                        id: field("id: ").unwrap().parse().unwrap(),
                        data: serde_json::from_str(&field("data: ").unwrap()).unwrap(),
                    };
                    if tx.send(sse).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// The next event, within 10 s.
async fn next_event(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Sse>) -> Sse {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no event within 10 s")
        .expect("stream ended")
}

/// Reads `n` events.
async fn read_events(res: reqwest::Response, n: usize) -> Vec<Sse> {
    let mut rx = events(res);
    let mut out = Vec::new();
    while out.len() < n {
        out.push(next_event(&mut rx).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_stream_sends_new_public_finishes_live_and_resumes_from_last_event_id() {
    let (sys, reader) = fixture().await;
    // Asked as a browser asks, compression accepted: never compressed, each event sent as it
    // happens (a compressor would hold it back).
    let res = sys
        .client
        .get(format!("{reader}/v1/stream"))
        .header("Accept-Encoding", "gzip, deflate, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    assert!(res.headers().get("content-encoding").is_none());
    let live = tokio::spawn(read_events(res, 2));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, hidden) = sys
        .finish("Private live", json!({ "visibility": "private" }))
        .await;
    let (_, first) = sys.finish("Live one", json!({})).await;
    let (_, second) = sys.finish("Live two", json!({ "kind": "game" })).await;
    let events = live.await.unwrap();
    assert_eq!(
        events.iter().map(|e| (&*e.event, e.id)).collect::<Vec<_>>(),
        [("finish", first), ("finish", second)]
    );
    assert_eq!(events[0].data["item"]["title"], "Live one");
    assert!(hidden < first);

    // A client that saw `first` reconnects and gets what it missed, and only that.
    let resumed = sys
        .client
        .get(format!("{reader}/v1/stream?kind=game"))
        .header("Last-Event-ID", first.to_string())
        .send()
        .await
        .unwrap();
    let events = read_events(resumed, 1).await;
    assert_eq!((&*events[0].event, events[0].id), ("finish", second));
    assert_eq!(events[0].data["item"]["title"], "Live two");
}

/// What a browser or a feed reader loads is compressed when it asks (`Accept-Encoding`): the
/// widget's script on every view of a blog, the pages, the feeds, the API's answers, a page's
/// problem; as they are to a client that does not ask. Either way each says it varies with
/// `Accept-Encoding` (and a page's problem with `Accept`: JSON to a script), so that a cache in
/// front of the readers keeps the two apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn answers_are_compressed_for_a_client_that_asks() {
    use std::io::Read;
    let (sys, reader) = fixture().await;
    for (path, status) in [
        ("widget.js", StatusCode::OK),
        ("", StatusCode::OK),
        ("feed.atom", StatusCode::OK),
        ("v1/feed?limit=20", StatusCode::OK),
        ("items/no-such-item", StatusCode::NOT_FOUND),
    ] {
        let url = format!("{reader}/{path}");
        let asked = |encoding: Option<&'static str>| {
            let mut req = sys.client.get(&url).header("Accept", "text/html,*/*;q=0.8");
            if let Some(encoding) = encoding {
                req = req.header("Accept-Encoding", encoding);
            }
            req.send()
        };
        let plain = asked(None).await.unwrap();
        assert_eq!(plain.status(), status, "{path}");
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
        // Whether it varies with `Accept-Encoding`, and with `Accept` (CORS adds its own).
        let varies = |res: &reqwest::Response| {
            let names: Vec<String> = res
                .headers()
                .get_all("vary")
                .iter()
                .flat_map(|v| v.to_str().unwrap().split(','))
                .map(|n| n.trim().to_lowercase())
                .collect();
            let by = |name: &str| names.iter().filter(|n| *n == name).count();
            (by("accept-encoding"), by("accept"))
        };
        let by = (1, usize::from(status != StatusCode::OK));
        assert_eq!(varies(&plain), by, "{path}: {:?}", plain.headers());
        let plain = plain.bytes().await.unwrap();
        let zipped = asked(Some("gzip")).await.unwrap();
        assert_eq!(zipped.status(), status, "{path}");
        assert_eq!(zipped.headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(varies(&zipped), by, "{path}");
        let zipped = zipped.bytes().await.unwrap();
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain, "{path}");
        if path == "widget.js" {
            assert!(
                zipped.len() * 2 < plain.len(),
                "{} of {}",
                zipped.len(),
                plain.len()
            );
        }
    }
}

/// A widget that shows a finish follows what happens to it: an edit of its item and a
/// revision of its rating come as `update`s, its item made private as a `remove`; a client
/// that was away gets them on reconnecting, and a private item's changes never reach it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_stream_sends_edits_and_revisions_of_earlier_finishes_and_their_removal() {
    let (sys, reader) = fixture().await;
    let (id, finished) = sys.finish("Jane Eyre", json!({})).await;
    let (secret, _) = sys
        .finish("Secret live", json!({ "visibility": "private" }))
        .await;
    sys.converged(std::slice::from_ref(&reader), sys.head().await)
        .await;
    let mut live = events(sys.get(format!("{reader}/v1/stream")).await);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Each change is awaited on the stream before the next is made: a replica that applied
    // several at once would send the item as it stands after the last.
    let patch = |path: String, body: Value| {
        let sys = &sys;
        async move {
            sys.write(reqwest::Method::PATCH, &path, body).await["position"]
                .as_i64()
                .unwrap()
        }
    };
    let renamed = patch(
        format!("/v1/items/{id}"),
        json!({ "title": "Jane Eyre: An Autobiography" }),
    )
    .await;
    let event = next_event(&mut live).await;
    assert_eq!((&*event.event, event.id), ("update", renamed));
    assert_eq!(event.data["position"], finished);
    assert_eq!(event.data["item"]["title"], "Jane Eyre: An Autobiography");

    // A private item's edit is not sent: the next event is the revision.
    patch(
        format!("/v1/items/{secret}"),
        json!({ "title": "Still secret" }),
    )
    .await;
    let revised = patch(format!("/v1/items/{id}/finish"), json!({ "rating": 5 })).await;
    let event = next_event(&mut live).await;
    assert_eq!((&*event.event, event.id), ("update", revised));
    assert_eq!(event.data["rating"], 5.0);
    assert!(event.data["revised_at"].is_string());

    let hidden = patch(
        format!("/v1/items/{id}"),
        json!({ "visibility": "private" }),
    )
    .await;
    let event = next_event(&mut live).await;
    assert_eq!((&*event.event, event.id), ("remove", hidden));
    assert_eq!(event.data, json!({ "position": finished }));

    // Away since the finish: on reconnecting, one event for what changed meanwhile — the
    // removal, since that is where the item stands now.
    let resumed = sys
        .client
        .get(format!("{reader}/v1/stream"))
        .header("Last-Event-ID", finished.to_string())
        .send()
        .await
        .unwrap();
    let (_, next) = sys.finish("Villette", json!({})).await;
    let events = read_events(resumed, 2).await;
    assert_eq!(
        events
            .iter()
            .map(|e| (&*e.event, e.id, e.data["position"].as_i64().unwrap()))
            .collect::<Vec<_>>(),
        [("remove", renamed, finished), ("finish", next, next)]
    );
}
