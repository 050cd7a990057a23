//! The widget in a real browser: headless Chromium driven over WebDriver (chromedriver), as a
//! blog reader would see it. `make test` installs Debian's chromium and chromium-driver when
//! they are missing (scripts/ensure-chromium).
//!
//! Screenshots are saved as test artifacts under `target/artifacts/`.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use base64::Engine;
use clap::Parser;
use common::{reader_config, stats_list, system};
use lately_reader::configuration::Config as ReaderConfig;
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};

const XSS: &str = "<img src=x onerror=alert(1)>";

/// What the owner's page's status line says (an "Undo" may follow the words).
const STATUS: &str =
    "const s = document.querySelector('.status').firstChild; return s ? s.textContent : ''";

/// The handful of WebDriver commands these tests need, over plain HTTP.
struct Browser {
    driver: tokio::process::Child,
    base: String,
    http: reqwest::Client,
}

impl Browser {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = tokio::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            // Its own process group, so that dropping the browser also ends every Chromium
            // process it started, even when a test fails half-way.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver is installed (make test installs Debian's chromium-driver)");
        let http = reqwest::Client::new();
        let root = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if http.get(format!("{root}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=520,720"]
            }
        }}});
        let session: Value = http
            .post(format!("{root}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"))
            .to_owned();
        Self {
            driver,
            base: format!("{root}/session/{id}"),
            http,
        }
    }

    async fn command(&self, path: &str, body: Value) -> Value {
        let res: Value = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if res["value"]["error"].is_string() {
            panic!("WebDriver {path}: {}", res["value"]);
        }
        res["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.command("/url", json!({ "url": url })).await;
    }

    async fn eval(&self, script: &str) -> Value {
        self.command("/execute/sync", json!({ "script": script, "args": [] }))
            .await
    }

    /// Polls `script` until it returns `want`; returns how long that took.
    async fn until(&self, script: &str, want: &Value, within: Duration) -> Duration {
        let start = Instant::now();
        loop {
            let got = self.eval(script).await;
            if &got == want {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < within,
                "after {within:?}: {got} (wanted {want})"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the `/widget` page's script has run: it shows the dates the server wrote
    /// as `2026-12-04` in the page's language (`Dec 4, 2026`).
    async fn dates_localised(&self) {
        self.until(
            "return document.querySelector('time').textContent.includes(',')",
            &json!(true),
            Duration::from_secs(5),
        )
        .await;
    }

    /// Opens the blog served on `port` (see [`blog`]) and waits until its embedded widget
    /// shows `titles`.
    async fn open_blog(&self, port: u16, titles: &Value) {
        self.goto(&format!("http://127.0.0.1:{port}/")).await;
        self.until(TITLES_IN_EMBED, titles, Duration::from_secs(5))
            .await;
    }

    /// Waits until the owner's page's status line says `text` (an "Undo" may follow it).
    async fn says(&self, text: &str) {
        self.until(STATUS, &json!(text), Duration::from_secs(5))
            .await;
    }

    /// Waits until the owner's page shows `title` first under "Recently finished".
    async fn finished_first(&self, title: &str) {
        self.until(
            "const f = document.querySelector('#finished .p-name'); return f && f.textContent",
            &json!(title),
            Duration::from_secs(5),
        )
        .await;
    }

    /// Taps the "Undo" beside what the owner's page says it did.
    async fn undo(&self) {
        self.eval("document.querySelector('.status button.undo').click()")
            .await;
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        artifact(name, &self.png("/screenshot").await)
    }

    /// The PNG a WebDriver screenshot command (`path`) answers.
    async fn png(&self, path: &str) -> Vec<u8> {
        let res: Value = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(res["value"].as_str().unwrap())
            .unwrap()
    }

    /// The first element matching `css`, as the browser draws it (a PNG).
    async fn element_png(&self, css: &str) -> Vec<u8> {
        let found = self
            .command("/element", json!({ "using": "css selector", "value": css }))
            .await;
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {found}"));
        self.png(&format!("/element/{id}/screenshot")).await
    }

    async fn quit(self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
    }
}

/// Saves `bytes` as a test artifact, `target/artifacts/{name}`; its path.
fn artifact(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A blog at another origin than the reader's, serving `html` at `/`; returns its port.
fn blog(html: String) -> u16 {
    let server = HttpServer::new(move || {
        let html = html.clone();
        App::new().route(
            "/",
            web::get().to(move || {
                let html = html.clone();
                async move { HttpResponse::Ok().content_type("text/html").body(html) }
            }),
        )
    })
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    port
}

/// A cover host's placeholder for a cover it does not have, as Open Library's and Amazon's
/// are: a 1×1 transparent GIF, which loads (and shows nothing); its link.
fn placeholder_cover() -> String {
    const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x01D\x00;";
    let server = HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            HttpResponse::Ok().content_type("image/gif").body(GIF)
        }))
    })
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!(
        "http://127.0.0.1:{}/b/isbn/0000000000-M.jpg",
        server.addrs()[0].port()
    );
    tokio::spawn(server.run());
    url
}

const TITLES_IN_PAGE: &str =
    "return [...document.querySelectorAll('li.h-entry .p-name')].map(e => e.textContent)";
const TITLES_IN_EMBED: &str = "const h = document.querySelector('[data-lately]'); return h && h.shadowRoot ? [...h.shadowRoot.querySelectorAll('li.h-entry .p-name')].map(e => e.textContent) : []";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_widget_page_shows_the_feed_and_new_finishes_appear_live() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    sys.finish(
        "The Left Hand of Darkness",
        json!({ "creators": ["Ursula K. Le Guin"], "url": "https://example.com/lhod" }),
    )
    .await;
    sys.finish(XSS, json!({ "kind": "movie" })).await;
    let (_, p) = sys
        .finish("Secret", json!({ "visibility": "private" }))
        .await;
    let (wilds, q) = sys
        .finish(
            "Outer Wilds",
            json!({ "kind": "game", "creators": ["Mobius Digital"] }),
        )
        .await;
    sys.converged(std::slice::from_ref(&reader), p.max(q)).await;

    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/widget?lang=en")).await;
    assert_eq!(
        browser.eval(TITLES_IN_PAGE).await,
        json!(["Outer Wilds", XSS, "The Left Hand of Darkness"])
    );
    // The XSS title is text: no element was injected, no script ran.
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('img[src=\"x\"]').length")
            .await,
        json!(0)
    );
    // Dates are localised by the script once it has run.
    browser.dates_localised().await;
    // Let the page's EventSource connect before writing.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let written = Instant::now();
    sys.finish("Piranesi", json!({ "creators": ["Susanna Clarke"] }))
        .await;
    let ack = written.elapsed();
    let shown = browser
        .until(
            "return document.querySelector('li.h-entry .p-name').textContent",
            &json!("Piranesi"),
            Duration::from_secs(1),
        )
        .await;
    eprintln!(
        "a finish appeared in the widget {:?} after its write was acknowledged",
        shown
    );
    assert!(ack + shown < Duration::from_secs(2));
    let path = browser.screenshot("widget.png").await;
    assert!(std::fs::metadata(&path).unwrap().len() > 1000);
    // Played through again: the script marks the new finish as the server does, "2nd time",
    // and the first one not.
    sys.write(
        reqwest::Method::POST,
        &format!("/v1/items/{wilds}/finish"),
        json!({}),
    )
    .await;
    browser
        .until(
            "return [...document.querySelectorAll('li.h-entry')].filter(l => l.querySelector('.p-name').textContent === 'Outer Wilds').map(l => (l.querySelector('.again') || {}).textContent || '')",
            &json!(["2nd time", ""]),
            Duration::from_secs(2),
        )
        .await;
    browser.quit().await;
}

/// `data-reviews="true"` shows each finish's review under it, as text, and follows its
/// revision live; without it, no review is shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn widget_js_shows_reviews_when_asked_and_their_revisions_live() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let (unreviewed, _) = sys.finish("Unreviewed", json!({})).await;
    let added = sys
        .write(
            reqwest::Method::POST,
            "/v1/items",
            json!({ "kind": "book", "title": "Piranesi" }),
        )
        .await;
    let id = added["id"].as_str().unwrap().to_owned();
    // Begun 13 days ago: the finish says how long it took, in the viewer's calendar.
    let begun = chrono::Utc::now() - chrono::Duration::days(13);
    sys.write(
        reqwest::Method::POST,
        &format!("/v1/items/{id}/start"),
        json!({ "at": begun }),
    )
    .await;
    let done = sys
        .write(
            reqwest::Method::POST,
            &format!("/v1/items/{id}/finish"),
            json!({ "rating": 5, "review": "Strange <b>and</b>\nlovely." }),
        )
        .await;
    sys.converged(
        std::slice::from_ref(&reader),
        done["position"].as_i64().unwrap(),
    )
    .await;

    let blog_html = format!(
        r#"<!doctype html><html lang="en"><head></head><body>
<div id="with" data-lately data-reviews="true" data-theme="light"></div>
<div id="without" data-lately></div>
<script src="{reader}/widget.js" async></script></body></html>"#
    );
    let port = blog(blog_html);
    let browser = Browser::start().await;
    browser.goto(&format!("http://127.0.0.1:{port}/")).await;
    let reviews = |id: &str| {
        format!(
            "const r = document.getElementById('{id}').shadowRoot; return r && r.querySelector('li.h-entry') ? [...r.querySelectorAll('li.h-entry')].map(li => li.querySelector('.review')?.textContent ?? null) : 'not yet'"
        )
    };
    browser
        .until(
            &reviews("with"),
            &json!(["Strange <b>and</b>\nlovely.", null]),
            Duration::from_secs(5),
        )
        .await;
    browser
        .until(
            &reviews("without"),
            &json!([null, null]),
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(
        browser
            .eval("return [...document.getElementById('without').shadowRoot.querySelectorAll('li.h-entry')].map(li => li.querySelector('.meta .took')?.textContent ?? null)")
            .await,
        json!(["took 13 days", null])
    );
    // A title without a link of its own links to the item's page on the reader.
    assert_eq!(
        browser
            .eval("return [...document.getElementById('without').shadowRoot.querySelectorAll('a.title')].map(a => a.href)")
            .await,
        json!([
            format!("{reader}/items/{id}"),
            format!("{reader}/items/{unreviewed}")
        ])
    );
    // Each day links to its finish on the item's page, on the reader.
    assert_eq!(
        browser
            .eval("return document.getElementById('without').shadowRoot.querySelector('a.permalink').href")
            .await,
        json!(format!("{reader}/items/{id}#finish-{}", done["position"]))
    );
    // Let the EventSources connect before writing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sys.write(
        reqwest::Method::PATCH,
        &format!("/v1/items/{id}/finish"),
        json!({ "review": "Revised." }),
    )
    .await;
    browser
        .until(
            &reviews("with"),
            &json!(["Revised.", null]),
            Duration::from_secs(5),
        )
        .await;
    browser.screenshot("widget-reviews.png").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn widget_js_renders_into_a_shadow_root_on_another_site_and_stays_live() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let mut third = String::new();
    // The widget shows the books tagged fiction.
    let fiction = json!({ "kind": "book", "tags": ["fiction"] });
    for (title, extra) in [
        ("First book", fiction.clone()),
        ("A film", json!({ "kind": "movie", "tags": ["fiction"] })),
        ("Second book", fiction.clone()),
        ("Third book", fiction.clone()),
    ] {
        (third, _) = sys.finish(title, extra).await;
    }
    sys.finish("A cookbook", json!({ "kind": "book" })).await;
    let (_, last) = sys.finish(XSS, fiction.clone()).await;
    sys.converged(std::slice::from_ref(&reader), last).await;

    // The blog: another origin, with styles of its own that must not leak either way.
    let blog_html = format!(
        r#"<!doctype html><html lang="en"><head><style>li {{ color: rgb(255, 0, 0); }}</style></head>
<body><h1>About me</h1><ul><li id="own">My own list item</li></ul>
<div data-lately data-kind="book" data-tag="Fiction" data-limit="3" data-theme="light"></div>
<script src="{reader}/widget.js" async></script></body></html>"#
    );
    let blog_port = blog(blog_html);

    let browser = Browser::start().await;
    browser
        .open_blog(blog_port, &json!([XSS, "Third book", "Second book"]))
        .await;
    // Scoped both ways: the blog's red list items stay red, the widget's titles are not.
    assert_eq!(
        browser
            .eval("return getComputedStyle(document.getElementById('own')).color")
            .await,
        json!("rgb(255, 0, 0)")
    );
    let widget_color = browser
        .eval("return getComputedStyle(document.querySelector('[data-lately]').shadowRoot.querySelector('li .p-name')).color")
        .await;
    assert_ne!(widget_color, json!("rgb(255, 0, 0)"));
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('img[src=\"x\"]').length")
            .await,
        json!(0)
    );
    assert_eq!(
        browser.eval("return document.querySelector('[data-lately]').shadowRoot.querySelectorAll('img[src=\"x\"]').length").await,
        json!(0)
    );
    // Under the list, the owner's page on the reader, the filters kept.
    assert_eq!(
        browser
            .eval("return document.querySelector('[data-lately]').shadowRoot.querySelector('p.more a').href")
            .await,
        json!(format!("{reader}/?kind=book&tag=Fiction"))
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Filtered out by data-kind, and by data-tag.
    sys.finish(
        "A new film",
        json!({ "kind": "movie", "tags": ["fiction"] }),
    )
    .await;
    sys.finish("Another cookbook", json!({})).await;
    let (fourth, _) = sys.finish("Fourth book", fiction.clone()).await;
    browser
        .until(
            TITLES_IN_EMBED,
            &json!(["Fourth book", XSS, "Third book"]),
            Duration::from_secs(2),
        )
        .await;
    // It follows what happens to what it shows: an edit, and an item made private, whose
    // place the next finish down fills, as on a reload.
    sys.write(
        reqwest::Method::PATCH,
        &format!("/v1/items/{third}"),
        json!({ "title": "Third book, second edition" }),
    )
    .await;
    browser
        .until(
            TITLES_IN_EMBED,
            &json!(["Fourth book", XSS, "Third book, second edition"]),
            Duration::from_secs(2),
        )
        .await;
    sys.write(
        reqwest::Method::PATCH,
        &format!("/v1/items/{fourth}"),
        json!({ "visibility": "private" }),
    )
    .await;
    browser
        .until(
            TITLES_IN_EMBED,
            &json!([XSS, "Third book, second edition", "Second book"]),
            Duration::from_secs(2),
        )
        .await;
    browser.screenshot("widget-embedded.png").await;
    browser.quit().await;
}

/// `data-layout="covers"`: the widget as a shelf of covers (Goodreads' grid widget). The
/// entries lie in a grid of several columns; each tile is its cover alone until hovered or
/// tabbed to, when its title shows over it; a tap anywhere on the cover opens the item; a new
/// finish arrives live as a tile too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn widget_js_lays_finishes_out_as_a_shelf_of_covers() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let placeholder = placeholder_cover();
    for title in ["Dune", "Piranesi", "Hyperion", "Kindred"] {
        // Hyperion's cover host has none of it: its 1×1 placeholder.
        let cover = match title {
            "Hyperion" => placeholder.clone(),
            _ => format!("{reader}/owner-icon.png"),
        };
        sys.finish(title, json!({ "cover_url": cover })).await;
    }
    // Reading now, 40% in: its tile carries its progress.
    sys.start(
        "Parable of the Sower",
        "public",
        Some(json!({ "percent": 40 })),
    )
    .await;
    // A cover whose host is gone: its title's letter instead of a broken picture (and a 1×1
    // placeholder's instead of nothing).
    let (_, last) = sys
        .finish(
            "Wild Seed",
            json!({ "cover_url": "http://127.0.0.1:1/wild-seed.jpg" }),
        )
        .await;
    sys.converged(std::slice::from_ref(&reader), last).await;
    let port = blog(format!(
        r#"<!doctype html><html lang="en"><body style="width: 400px">
<div data-lately data-layout="covers" data-limit="6" data-theme="light"></div>
<div data-lately data-show="current" data-layout="covers" data-theme="light"></div>
<script src="{reader}/widget.js" async></script></body></html>"#
    ));
    let browser = Browser::start().await;
    browser
        .open_blog(
            port,
            &json!(["Wild Seed", "Kindred", "Hyperion", "Piranesi", "Dune"]),
        )
        .await;
    const ROOT: &str = "const root = document.querySelector('[data-lately]').shadowRoot;";
    let covers = "return [...ROOT.querySelectorAll('li .cover')].map(c => c.tagName === 'IMG' ? c.naturalWidth : c.textContent)";
    let mended = json!(["W", 192, "H", 192, 192]);
    browser
        .until(
            &covers.replace("ROOT", "document.querySelector('[data-lately]').shadowRoot"),
            &mended,
            Duration::from_secs(5),
        )
        .await;
    let laid_out = browser
        .eval(&format!("{ROOT} const ol = root.querySelector('ol'); const tiles = [...ol.children].map(li => li.getBoundingClientRect()); return [getComputedStyle(ol).display, getComputedStyle(ol).gridTemplateColumns.split(' ').length, new Set(tiles.map(r => Math.round(r.top))).size]"))
        .await;
    assert_eq!(laid_out, json!(["grid", 4, 2]), "five tiles, four to a row");
    // The title over its cover: hidden, then shown to a keyboard's focus.
    let title_shown =
        format!("{ROOT} return Number(getComputedStyle(root.querySelector('li .title')).opacity)");
    assert_eq!(browser.eval(&title_shown).await, json!(0));
    browser
        .eval(&format!("{ROOT} root.querySelector('li a.title').focus()"))
        .await;
    browser
        .until(&title_shown, &json!(1), Duration::from_secs(2))
        .await;
    // The whole tile is the title's link: what is under the cover's middle is the link.
    let under = browser
        .eval(&format!("{ROOT} const r = root.querySelector('li .cover').getBoundingClientRect(); const at = root.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return at && at.matches('a.title') && at.textContent"))
        .await;
    assert_eq!(under, json!("Wild Seed"));
    // The shelf of what is in progress: each tile with its bar along the cover's foot.
    browser
        .until(
            "const r = document.querySelectorAll('[data-lately]')[1].shadowRoot; const li = r && r.querySelector('li.h-entry'); if (!li) return null; const [tile, bar] = [li.getBoundingClientRect(), li.querySelector('progress').getBoundingClientRect()]; return [li.querySelector('progress').value, bar.width > tile.width / 2, bar.bottom <= tile.bottom && bar.bottom > tile.bottom - 12]",
            &json!([40, true, true]),
            Duration::from_secs(5),
        )
        .await;
    browser.screenshot("widget-covers.png").await;

    // Live: a new finish is a new tile, first.
    sys.finish("Lilith's Brood", json!({})).await;
    browser
        .until(
            TITLES_IN_EMBED,
            &json!([
                "Lilith's Brood",
                "Wild Seed",
                "Kindred",
                "Hyperion",
                "Piranesi",
                "Dune"
            ]),
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(
        browser
            .eval(&format!(
                "{ROOT} return root.querySelector('li .cover.blank').textContent"
            ))
            .await,
        json!("L")
    );
    // The server's own page of the shelf: its script mends the cover that failed too.
    browser
        .goto(&format!("{reader}/widget?layout=covers&limit=5"))
        .await;
    browser
        .until(
            &covers.replace("ROOT", "document"),
            &json!(["L", "W", 192, "H", 192]),
            Duration::from_secs(5),
        )
        .await;
    browser.quit().await;
}

/// An item's picture in its kind's shape, in the server's `/widget` and in `widget.js` alike:
/// an article's (a page's wide `og:image`) 16:9, a podcast's square, a book's a portrait; a
/// blank where there is none, in the same shape, with the title's first letter.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn covers_take_their_kinds_shape() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    // A picture that loads (one that does not becomes a blank, as `widget_js_lays_finishes_out_as_a_shelf_of_covers` shows).
    let cover = &format!("{reader}/owner-icon.png");
    for (title, extra) in [
        ("A book", json!({ "kind": "book", "cover_url": cover })),
        (
            "An article",
            json!({ "kind": "article", "cover_url": cover }),
        ),
        (
            "A podcast",
            json!({ "kind": "podcast", "cover_url": cover }),
        ),
        ("a bare article", json!({ "kind": "article" })),
    ] {
        sys.finish(title, extra).await;
    }
    let (_, last) = sys
        .finish("“übung” (a bare book)", json!({ "kind": "book" }))
        .await;
    sys.converged(std::slice::from_ref(&reader), last).await;
    // A blank holds the title's first letter, in capitals.
    let sizes = "return [...ROOT.querySelectorAll('li.h-entry .cover')].map(c => { const r = c.getBoundingClientRect(); return [c.tagName.toLowerCase(), c.className, r.width, r.height, c.textContent]; })";
    let want = json!([
        ["span", "cover blank", 48, 72, "Ü"],
        ["span", "cover wide blank", 48, 27, "A"],
        ["img", "cover square u-photo", 48, 48, ""],
        ["img", "cover wide u-photo", 48, 27, ""],
        ["img", "cover u-photo", 48, 72, ""],
    ]);
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/widget?limit=5")).await;
    browser.dates_localised().await;
    assert_eq!(browser.eval(&sizes.replace("ROOT", "document")).await, want);
    let blog_port = blog(format!(
        r#"<!doctype html><html><body><div data-lately data-limit="5"></div>
<script src="{reader}/widget.js" async></script></body></html>"#
    ));
    browser
        .open_blog(
            blog_port,
            &json!([
                "“übung” (a bare book)",
                "a bare article",
                "A podcast",
                "An article",
                "A book"
            ]),
        )
        .await;
    assert_eq!(
        browser
            .eval(&sizes.replace("ROOT", "document.querySelector('[data-lately]').shadowRoot"))
            .await,
        want
    );
    browser.quit().await;
}

/// The pages run no script, so no script can mend a cover whose link went stale: their style
/// draws it as the blank of an item without a cover, its title's letter in its kind's shape,
/// not as a broken picture with its alt text.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cover_that_does_not_load_is_its_titles_letter_on_the_pages() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let (gone, _) = sys
        .finish(
            "Wild Seed",
            json!({ "tags": ["gone"], "cover_url": "http://127.0.0.1:1/wild-seed.jpg" }),
        )
        .await;
    let (bare, last) = sys.finish("Wanderers", json!({ "tags": ["bare"] })).await;
    sys.converged(std::slice::from_ref(&reader), last).await;
    let year = chrono::Datelike::year(&chrono::Utc::now());
    let browser = Browser::start().await;
    // Each page of the one item, then of the other: the cover in the same place on both.
    for (page, cover) in [
        ("/?tag=TAG", "li .cover"),
        ("/items/ID", "header .cover"),
        (&format!("/years/{year}?layout=covers&tag=TAG"), "li .cover"),
    ] {
        let mut drawn = vec![];
        for (id, tag, element) in [(&gone, "gone", "img"), (&bare, "bare", "span")] {
            let path = page.replace("TAG", tag).replace("ID", id);
            browser.goto(&format!("{reader}{path}")).await;
            let failed = format!("const c = document.querySelector('{cover}'); return [c.tagName.toLowerCase(), c.tagName !== 'IMG' || (c.complete && c.naturalWidth === 0)]");
            browser
                .until(&failed, &json!([element, true]), Duration::from_secs(5))
                .await;
            drawn.push(browser.element_png(cover).await);
        }
        if !drawn_alike(&drawn[0], &drawn[1]) {
            for (png, name) in drawn.iter().zip(["cover-failed.png", "cover-blank.png"]) {
                artifact(name, png);
            }
            panic!("{page}: the cover that did not load is not drawn as the blank \"W\" is (target/artifacts/cover-*.png)");
        }
    }
    browser.quit().await;
}

/// Whether two screenshots of a cover show the same pixels, but for the antialiasing of their
/// rounded corners (3 px): a broken picture's own frame, under its blank, tints a corner's
/// edge by a shade.
fn drawn_alike(a: &[u8], b: &[u8]) -> bool {
    let pixels = |png: &[u8]| {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png.to_vec()))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width as usize, info.height as usize, buf)
    };
    let ((w, h, a), (w2, h2, b)) = (pixels(a), pixels(b));
    if (w, h) != (w2, h2) {
        return false;
    }
    let bytes = a.len() / (w * h);
    let corner = |x: usize, y: usize| (x < 3 || x >= w - 3) && (y < 3 || y >= h - 3);
    (0..h).all(|y| {
        (0..w).all(|x| {
            let i = (y * w + x) * bytes;
            corner(x, y) || a[i..i + bytes] == b[i..i + bytes]
        })
    })
}

/// A reader that serves the owner's list to the owner's token, its page writing to `sys`'s
/// writer.
async fn owners_reader(sys: &common::System) -> String {
    owners_reader_writing_to(sys, &sys.writer).await
}

/// A reader that serves the owner's list, its page writing to `writer` (and looking no book's
/// cover up: no test asks the real Open Library).
async fn owners_reader_writing_to(sys: &common::System, writer: &str) -> String {
    owners_reader_on(sys, writer, "", &[]).await
}

/// A reader that serves the owner's list, its page writing to `writer` and looking a book's
/// cover up at `open_library`, with `flags` besides.
async fn owners_reader_on(
    sys: &common::System,
    writer: &str,
    open_library: &str,
    flags: &[&str],
) -> String {
    sys.reader(ReaderConfig::parse_from(
        [
            "lately-reader",
            "--database-url",
            &sys.database_url,
            "--listen",
            "127.0.0.1:0",
            "--poll-ms",
            "100",
            "--workers",
            "1",
            "--owner-token",
            common::TOKEN,
            "--writer-public-url",
            writer,
            "--open-library-url",
            open_library,
        ]
        .iter()
        .chain(flags),
    ))
    .await
}

/// How a phone's connection to the writer is.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Line {
    Open,
    /// No answer the page can read: a 502 without CORS headers, as no writer at all is.
    Cut,
    /// Each write passed on and done, and its answer lost half-way: the connection ends after
    /// its head. (A preflight's answer gets through.)
    Lossy,
}

/// A way to `target` whose line (`Line`) the test sets; returns its address.
fn relay(target: String) -> (String, std::sync::Arc<std::sync::Mutex<Line>>) {
    let line = std::sync::Arc::new(std::sync::Mutex::new(Line::Open));
    let state = (line.clone(), target, reqwest::Client::new());
    let server = HttpServer::new(move || {
        let state = state.clone();
        App::new().default_service(web::to(
            move |req: actix_web::HttpRequest, body: web::Bytes| {
                let (line, target, client) = state.clone();
                async move {
                    let line = *line.lock().unwrap();
                    if line == Line::Cut {
                        return HttpResponse::BadGateway().finish();
                    }
                    let method =
                        reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap();
                    let mut on = client.request(method, format!("{target}{}", req.uri()));
                    for (name, value) in req.headers() {
                        if name.as_str() != "host" {
                            on = on.header(name.as_str(), value.as_bytes());
                        }
                    }
                    let res = on.body(body.to_vec()).send().await.unwrap();
                    let mut answer = HttpResponse::build(
                        actix_web::http::StatusCode::from_u16(res.status().as_u16()).unwrap(),
                    );
                    for (name, value) in res.headers() {
                        if !matches!(
                            name.as_str(),
                            "content-length" | "transfer-encoding" | "connection"
                        ) {
                            answer.append_header((name.as_str(), value.as_bytes()));
                        }
                    }
                    let bytes = res.bytes().await.unwrap();
                    if line == Line::Lossy && req.method() != actix_web::http::Method::OPTIONS {
                        return answer.streaming(futures::stream::once(async {
                            Err::<web::Bytes, _>(std::io::Error::other("the line dropped"))
                        }));
                    }
                    answer.body(bytes)
                }
            },
        ))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    (format!("http://127.0.0.1:{port}"), line)
}

/// The owner's page as a phone has it: its writer and its own reader each behind a relay
/// whose `Line` the test sets, Dune in progress and `up_next` added, the token given and the
/// list shown; the log and its head then.
struct OnALine {
    sys: common::System,
    browser: Browser,
    reader: String,
    writer: String,
    writer_line: std::sync::Arc<std::sync::Mutex<Line>>,
    reader_line: std::sync::Arc<std::sync::Mutex<Line>>,
    dune: String,
    log: lately_log::EventLog,
    head: i64,
}

async fn on_a_line(up_next: &[&str]) -> OnALine {
    let sys = system().await;
    let (writer, writer_line) = relay(sys.writer.clone());
    let (reader, reader_line) = relay(owners_reader_writing_to(&sys, &writer).await);
    let (dune, _) = sys.start("Dune", "public", None).await;
    for title in up_next {
        sys.add(title, "public").await;
    }
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    browser.says("").await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let head = log.head().await.unwrap();
    OnALine {
        sys,
        browser,
        reader,
        writer,
        writer_line,
        reader_line,
        dune,
        log,
        head,
    }
}

/// Your log on a phone that loses its connection: what is written meanwhile is kept on the
/// device, in the order it was made and with when it was made, across a reload, and sent when
/// the writer answers again; one done already, whose answer was lost on its way back, is
/// recorded once (sent again with its key); one taken back before it was sent is never sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_keeps_writes_made_offline_and_sends_them_once() {
    // (The page's own reader is cut at the end.)
    let OnALine {
        sys: _sys,
        browser,
        reader,
        writer,
        writer_line: line,
        reader_line,
        dune,
        log,
        head,
    } = on_a_line(&["Piranesi"]).await;
    let set = |to: Line| *line.lock().unwrap() = to;

    // The line losing every answer: Dune finished with 4★ is done, and the page, which never
    // hears of it, keeps it.
    set(Line::Lossy);
    browser
        .eval("const f = document.querySelector('#current li form.finish'); f.querySelector('select').value = '4'; f.requestSubmit();")
        .await;
    browser
        .says("Kept on this device, the writer cannot be reached: finishing “Dune”. It is sent once it can be.")
        .await;
    let finished_dune = || async {
        log.read_after(head, 10)
            .await
            .unwrap()
            .iter()
            .map(|e| (e.event_type.clone(), e.stream_id.clone()))
            .collect::<Vec<_>>()
    };
    let once = vec![("item_finished".to_owned(), dune.clone())];
    assert_eq!(finished_dune().await, once);
    // Its line says what waits for it.
    assert_eq!(
        browser
            .eval("return document.querySelector('#current li .meta').textContent")
            .await,
        json!("Book · kept on this device: finishing")
    );

    // The line cut: an add behind it kept too, and taken back; a film added and finished in
    // one tap, both kept.
    set(Line::Cut);
    let add = |title: &str, button: &str| {
        format!("const f = document.getElementById('add'); f.elements.kind.value = 'movie'; f.elements.title.value = '{title}'; f.requestSubmit(f.querySelector('button{button}'));")
    };
    browser.eval(&add("Aftersun", ":not([value])")).await;
    browser
        .says("Kept on this device, behind the writes waiting to be sent: adding “Aftersun”. It is sent once it can be.")
        .await;
    browser.undo().await;
    browser.says("Not sent after all: adding “Aftersun”.").await;
    browser.eval(&add("Past Lives", "[value=finished]")).await;
    browser
        .says("Kept on this device, behind the writes waiting to be sent: adding “Past Lives”, then finishing it. Both are sent once they can be.")
        .await;
    let made = chrono::Utc::now();
    let note = "const k = document.querySelector('.kept'); return k.hidden ? null : k.querySelector('span').textContent";
    let three = json!("3 writes kept on this device, to be sent when the writer can be reached: finishing “Dune”; adding “Past Lives”; finishing “Past Lives”.");
    browser.until(note, &three, Duration::from_secs(5)).await;
    browser.screenshot("owner-kept.png").await;
    // Kept across a reload (its attempt to send them on opening fails: the line is cut).
    browser.goto(&format!("{reader}/owner")).await;
    browser.until(note, &three, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Sent while the line still loses answers: Dune's finish again, its answer lost again.
    set(Line::Lossy);
    browser
        .eval("document.querySelector('.kept button').click()")
        .await;
    browser
        .says(&format!(
            "Still kept: the writer at {writer} cannot be reached."
        ))
        .await;
    browser.until(note, &three, Duration::from_secs(1)).await;
    assert_eq!(finished_dune().await, once, "sent again, finished again");

    // The line open: all three sent in order, Dune's finish recorded once.
    let opened = chrono::Utc::now();
    set(Line::Open);
    browser
        .eval("document.querySelector('.kept button').click()")
        .await;
    browser
        .says("Sent what was kept on this device: finishing “Dune”; adding “Past Lives”; finishing “Past Lives”.")
        .await;
    browser
        .until(note, &Value::Null, Duration::from_secs(1))
        .await;
    assert_eq!(
        browser
            .eval("return localStorage.getItem('lately-owner-kept')")
            .await,
        Value::Null
    );
    let written = log.read_after(head, 10).await.unwrap();
    let film = written[1].stream_id.clone();
    assert_eq!(
        written
            .iter()
            .map(|e| (e.event_type.as_str(), e.stream_id.as_str()))
            .collect::<Vec<_>>(),
        [
            ("item_finished", dune.as_str()),
            ("item_added", film.as_str()),
            ("item_finished", film.as_str()),
        ]
    );
    assert_eq!(written[0].data.value().unwrap()["rating"], json!(4.0));
    assert_eq!(written[1].data.value().unwrap()["title"], "Past Lives");
    // Each when it was made, not when it was sent.
    for e in &written {
        let at: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(e.data.value().unwrap()["at"].clone()).unwrap();
        assert!(
            at <= made && made < opened,
            "{}: at {at}, sent after {opened}",
            e.event_type
        );
    }
    browser.finished_first("Past Lives").await;

    // The writer there, the reader not (restarting: the balancer answers 502): a start is done
    // and said, with its Undo, and the list not read again says so.
    *reader_line.lock().unwrap() = Line::Cut;
    browser
        .eval("document.querySelector('#queue li form.start').requestSubmit()")
        .await;
    browser.says("Started “Piranesi”.").await;
    browser
        .until(
            "return document.querySelector('.status').textContent",
            &json!("Started “Piranesi”. Undo The list could not be read again (502 Bad Gateway)."),
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(
        log.read_after(head, 10)
            .await
            .unwrap()
            .last()
            .unwrap()
            .event_type,
        "item_started"
    );
    browser.quit().await;
}

/// Your log opened with no connection (a phone on a plane; here the reader's and the writer's
/// relays cut): its service worker serves the page as last fetched, and the page shows the
/// list this device last read, saying so; a finish made there is kept, and sent once the line
/// is back, the list read again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_opens_offline_with_the_list_it_last_read() {
    let OnALine {
        sys: _sys,
        browser,
        reader,
        writer_line,
        reader_line,
        dune,
        log,
        head,
        ..
    } = on_a_line(&[]).await;
    // Its service worker in charge of the page (on 127.0.0.1, as over https).
    browser
        .until(
            "return !!navigator.serviceWorker.controller",
            &json!(true),
            Duration::from_secs(10),
        )
        .await;
    let set = |to: Line| {
        *reader_line.lock().unwrap() = to;
        *writer_line.lock().unwrap() = to;
    };

    set(Line::Cut);
    browser.goto(&format!("{reader}/owner")).await;
    browser
        .until(
            "const s = document.querySelector('.status').textContent; return s.startsWith('Your list as this device last read it, ') && s.endsWith(': it cannot be read now (502 Bad Gateway). What you write is kept here and sent when it can be.')",
            &json!(true),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(
        browser
            .eval("return [...document.querySelectorAll('#current li .p-name')].map(e => e.textContent)")
            .await,
        json!(["Dune"])
    );
    browser.screenshot("owner-offline.png").await;
    browser
        .eval("const f = document.querySelector('#current li form.finish'); f.querySelector('select').value = '5'; f.requestSubmit();")
        .await;
    browser
        .says("Kept on this device, the writer cannot be reached: finishing “Dune”. It is sent once it can be.")
        .await;
    assert_eq!(log.head().await.unwrap(), head, "a kept write was written");

    // The line back, the page come back to: the list read again, the finish sent.
    set(Line::Open);
    browser
        .eval("document.dispatchEvent(new Event('visibilitychange'))")
        .await;
    browser
        .says("Sent what was kept on this device: finishing “Dune”.")
        .await;
    let written = log.read_after(head, 10).await.unwrap();
    assert_eq!(
        (
            written.len(),
            written[0].event_type.as_str(),
            written[0].stream_id.as_str(),
            &written[0].data.value().unwrap()["rating"]
        ),
        (1, "item_finished", dune.as_str(), &json!(5.0))
    );
    browser.finished_first("Dune").await;
    browser.quit().await;
}

/// A script that sets the day of the owner's page's form `form` (a CSS selector) to yesterday
/// on the browser's calendar, and returns the day set.
fn yesterday_in(form: &str) -> String {
    format!("const f = document.querySelector('{form}'); const d = new Date(); d.setDate(d.getDate() - 1); f.elements.day.value = [d.getFullYear(), d.getMonth() + 1, d.getDate()].map(n => String(n).padStart(2, '0')).join('-'); return f.elements.day.value")
}

/// Asserts that an event's `field` (its `at`, a revision's `finished_at`) is yesterday's noon
/// on the browser's clock: 12 to 36 hours ago, whatever its zone.
fn yesterday_noon(event: &lately_log::RecordedEvent, field: &str) {
    let at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(event.data.value().unwrap()[field].clone()).unwrap();
    let ago = chrono::Utc::now() - at;
    assert!(
        (12..=36).contains(&ago.num_hours()),
        "{} {ago} ago",
        event.event_type
    );
}

/// Gives the owner's page `token` once its form shows (once the list has refused the page
/// without one).
/// The first line in progress on the owner's page, as it says where the item is ("Book · page
/// 45 of 412").
const FIRST_IN_PROGRESS: &str =
    "const m = document.querySelector('#current li .meta'); return m ? m.textContent : ''";

/// Types `how_far` into the first line in progress's field on the owner's page, and logs it.
fn log_progress(how_far: &str) -> String {
    format!("const f = document.querySelector('#current li form.progress'); f.elements.at.value = '{how_far}'; f.requestSubmit();")
}

/// Types `how_far` into the first line in progress's field on the owner's page, logs it, and
/// waits until that line says `shows`.
async fn logs(browser: &Browser, how_far: &str, shows: &str) {
    browser.eval(&log_progress(how_far)).await;
    browser
        .until(FIRST_IN_PROGRESS, &json!(shows), Duration::from_secs(5))
        .await;
}

async fn give_token(browser: &Browser, token: &str) {
    browser
        .until(
            "return document.getElementById('settings').offsetParent !== null",
            &json!(true),
            Duration::from_secs(5),
        )
        .await;
    browser
        .eval(&format!(
            "const f = document.getElementById('settings'); f.elements.token.value = '{token}'; f.requestSubmit();"
        ))
        .await;
}

/// Your log from a phone (`/owner`): asked for the token once (a wrong one is refused), it
/// lists what is in progress and up next, private items too, and starts, logs progress,
/// finishes with a rating and a review (not tweeted) and adds, writing to the writer at
/// another origin; each list shows the write at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_starts_logs_finishes_and_adds() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    let add = |title: &str, extra: Value| {
        let mut body = json!({ "kind": "book", "title": title });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let dune = sys
        .add_item(add("Dune", json!({ "creators": ["Frank Herbert"] })))
        .await;
    sys.write(
        reqwest::Method::POST,
        "/v1/items",
        add("A private one", json!({ "visibility": "private" })),
    )
    .await;
    let memory = sys.add_item(add("A Memory Called Empire", json!({}))).await;
    sys.write(
        reqwest::Method::POST,
        &format!("/v1/items/{memory}/progress"),
        json!({ "done": 172, "of": 462 }),
    )
    .await;

    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    browser.says("Your token, once on this device.").await;
    let shown =
        "return ['settings', 'log'].map(id => document.getElementById(id).offsetParent !== null)";
    assert_eq!(browser.eval(shown).await, json!([true, false]));
    assert_eq!(
        browser
            .eval("return document.querySelector('link[rel=manifest]').href")
            .await,
        json!(format!("{reader}/owner.webmanifest"))
    );
    give_token(&browser, "not-the-token").await;
    browser
        .until(
            "return document.querySelector('.status').textContent.startsWith(\"That token is not the owner's\")",
            &json!(true),
            Duration::from_secs(5),
        )
        .await;
    give_token(&browser, common::TOKEN).await;
    let lists = "return ['current', 'queue'].map(l => [...document.querySelectorAll('#' + l + ' li')].map(e => e.querySelector('.meta') ? e.querySelector('.p-name').textContent + ' — ' + e.querySelector('.meta').textContent : e.textContent))";
    let within = Duration::from_secs(5);
    browser
        .until(
            lists,
            &json!([
                ["A Memory Called Empire — Book · page 172 of 462"],
                [
                    "A private one — Book · private",
                    "Dune — Book · Frank Herbert"
                ]
            ]),
            within,
        )
        .await;
    // In a phone's narrow column how far is kept on one line, moved under the kind whole
    // ("page 172 of" on one line and "462" on the next was how it broke).
    assert_eq!(
        browser
            .eval("document.body.style.width = '240px'; const far = document.querySelector('#current li .meta .far'); const words = document.createRange(); words.selectNodeContents(far); const lines = words.getClientRects().length; const under = far.getBoundingClientRect().top > far.parentElement.getBoundingClientRect().top + 2; document.body.style.width = ''; return [far.textContent, lines, under]")
            .await,
        json!(["page 172 of 462", 1, true])
    );
    // On a phone the field for how far is wide enough to show the longest placeholder it is
    // given whole (a film's; "at (of 16h 10m" and "episode (of 600" were cut), its button
    // below it.
    assert_eq!(
        browser
            .eval("document.body.style.width = '360px'; const at = document.querySelector('#current li input[name=at]'); const was = at.placeholder; at.placeholder = '40% or 45:10/1:20:00'; const style = getComputedStyle(at); const pen = document.createElement('canvas').getContext('2d'); pen.font = style.font; const room = at.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight); const fits = pen.measureText(at.placeholder).width <= room; const button = at.form.querySelector('button').getBoundingClientRect().top > at.getBoundingClientRect().bottom; at.placeholder = was; document.body.style.width = ''; return [was, fits, button]")
            .await,
        json!(["page (of 462)", true, true])
    );
    assert_eq!(browser.eval(shown).await, json!([false, true]));
    // Start Dune; log page 200 of the other.
    let act = |id: &str, form: &str, before: &str| {
        format!("const f = document.querySelector('li[data-id=\"{id}\"] form.{form}'); {before} f.requestSubmit();")
    };
    // Begun yesterday, logged today.
    let yesterday = browser
        .eval(&yesterday_in(&format!("li[data-id=\"{dune}\"] form.start")))
        .await;
    browser.eval(&act(&dune, "start", "")).await;
    browser
        .says(&format!(
            "Started “Dune” on {}.",
            yesterday.as_str().unwrap()
        ))
        .await;
    browser
        .eval(&act(&memory, "progress", "f.elements.at.value = '200';"))
        .await;
    browser
        .until(
            lists,
            &json!([
                [
                    "A Memory Called Empire — Book · page 200 of 462",
                    "Dune — Book · Frank Herbert"
                ],
                ["A private one — Book · private"]
            ]),
            within,
        )
        .await;
    // Finish Dune: four and a half stars, a review, not tweeted.
    browser
        .eval(&act(
            &dune,
            "finish",
            "f.elements.rating.value = '4.5'; f.elements.review.value = 'Spice.'; f.elements.tweet.checked = false;",
        ))
        .await;
    browser.says("Finished “Dune”, not tweeted.").await;
    // Add a film.
    browser
        .eval("const f = document.getElementById('add'); f.elements.kind.value = 'movie'; f.elements.title.value = 'Aftersun'; f.elements.by.value = 'Charlotte Wells, '; f.elements.private.checked = true; f.elements.url.value = 'https://a24films.com/films/aftersun'; f.elements.cover.value = ' https://img.example/aftersun.jpg '; f.elements.tags.value = 'A24, drama'; f.requestSubmit();")
        .await;
    let added = json!([
        ["A Memory Called Empire — Book · page 200 of 462"],
        [
            "Aftersun — Film · Charlotte Wells · private",
            "A private one — Book · private"
        ]
    ]);
    browser.until(lists, &added, within).await;
    // The finish, in "Recently finished"; its review rewritten the day after, and its rating.
    // Its day left out ("Dec 8, 2026"): how long it took stays (begun yesterday).
    let finished = "return [...document.querySelectorAll('#finished li')].map(e => e.querySelector('.p-name').textContent + ': ' + e.querySelector('.meta').textContent.replace(/ · [A-Z][a-z]{2} \\d{1,2}, \\d{4}/, '') + (e.querySelector('.review') ? ' — ' + e.querySelector('.review').textContent : ''))";
    assert_eq!(
        browser.eval(finished).await,
        json!(["Dune: Book · Frank Herbert · ★★★★½ · took 1 day — Spice."])
    );
    // Finished last night, in truth: the day moved to yesterday, the day its read began.
    let revise = format!("#finished li[data-id=\"{dune}\"] form.revise");
    let night = browser.eval(&yesterday_in(&revise)).await;
    browser
        .eval(&format!(
            "const f = document.querySelector('{revise}'); f.elements.rating.value = '5'; f.elements.review.value = 'Spice, and more.'; f.requestSubmit();"
        ))
        .await;
    browser
        .until(
            finished,
            &json!(["Dune: Book · Frank Herbert · ★★★★★ — Spice, and more."]),
            within,
        )
        .await;
    assert_eq!(
        browser.eval(STATUS).await,
        json!(format!(
            "Saved “Dune”, finished on {}.",
            night.as_str().unwrap()
        ))
    );
    // The form, read again, holds the day it moved to.
    assert_eq!(
        browser
            .eval(&format!(
                "return document.querySelector('{revise}').elements.day.value"
            ))
            .await,
        night
    );
    // Heard, in truth: said afterwards, and the list names it an audiobook.
    browser
        .eval(&format!(
            "const f = document.querySelector('{revise}'); f.elements.listened.checked = true; f.requestSubmit();"
        ))
        .await;
    browser.says("Saved “Dune”, listened to.").await;
    browser
        .until(
            finished,
            &json!(["Dune: Audiobook · Frank Herbert · ★★★★★ — Spice, and more."]),
            within,
        )
        .await;
    browser
        .eval(&format!(
            "document.querySelector('li[data-id=\"{memory}\"] details').open = true; document.querySelector('#add details').open = true;"
        ))
        .await;
    browser.screenshot("owner.png").await;
    browser
        .eval(&act(
            &memory,
            "finish",
            "f.elements.rating.value = '5'; f.elements.listened.checked = true;",
        ))
        .await;
    // Heard, as an audiobook: the box a book has beside "Tweet it".
    browser
        .says("Finished listening to “A Memory Called Empire”.")
        .await;
    let current = "return document.querySelector('#current li').textContent";
    browser
        .until(current, &json!("Nothing in progress."), within)
        .await;
    // Finished by mistake: the "Undo" beside the words takes it back, once however often tapped.
    browser
        .eval("const b = document.querySelector('.status button.undo'); b.click(); b.click();")
        .await;
    browser
        .says("Took back the finish of “A Memory Called Empire”: in progress again.")
        .await;
    browser.until(lists, &added, within).await;
    assert_eq!(
        browser.eval(STATUS).await,
        json!("Took back the finish of “A Memory Called Empire”: in progress again."),
        "a second tap wrote again"
    );
    // Given up on after all.
    browser
        .eval(&format!(
            "document.querySelector('li[data-id=\"{memory}\"] form.finish button[value=abandon]').click()"
        ))
        .await;
    browser.says("Gave up on “A Memory Called Empire”.").await;
    browser
        .until(current, &json!("Nothing in progress."), within)
        .await;
    // The wrong button: its "Undo" takes the give-up back, the read as it was.
    browser.undo().await;
    browser
        .says("Took back the give-up of “A Memory Called Empire”: in progress again.")
        .await;
    browser.until(lists, &added, within).await;
    let memory_stream = lately_log::EventLog::connect(&sys.database_url, Default::default())
        .unwrap()
        .read_stream(&memory)
        .await
        .unwrap();
    let finish = memory_stream
        .iter()
        .find(|e| e.event_type == "item_finished")
        .unwrap();
    assert_eq!(finish.data.value().unwrap()["listened"], true);
    let memory_events: Vec<String> = memory_stream.into_iter().map(|e| e.event_type).collect();
    assert_eq!(
        memory_events[memory_events.len() - 4..],
        [
            "item_finished",
            "item_finish_retracted",
            "item_abandoned",
            "item_abandon_retracted"
        ]
    );
    browser.quit().await;

    // Its script is asked again on every load, as the page is (a page of a new version never
    // runs with the script of the one before), and answered 304 while it is the same.
    let script = sys
        .client
        .get(format!("{reader}/owner.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.headers()["cache-control"], "no-cache");
    let tag = script.headers()["etag"].clone();
    assert!(script.text().await.unwrap().contains("\"use strict\""));
    let again = sys
        .client
        .get(format!("{reader}/owner.js"))
        .header("If-None-Match", tag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], tag);
    let other = sys
        .client
        .get(format!("{reader}/owner.js"))
        .header("If-None-Match", "\"0123\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), reqwest::StatusCode::OK);

    // Added to a phone's home screen, it opens as an app of its own.
    let manifest: Value = sys
        .client
        .get(format!("{reader}/owner.webmanifest"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(manifest["start_url"], "owner");
    assert_eq!(manifest["display"], "standalone");
    let icon = sys
        .client
        .get(format!(
            "{reader}/{}",
            manifest["icons"][0]["src"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    // A bitmap for the home screens that take no SVG: iOS's `apple-touch-icon` (the page
    // links it) and the manifest's second.
    let png = &manifest["icons"][1];
    assert_eq!(png["type"], "image/png");
    let page = sys
        .client
        .get(format!("{reader}/owner"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            r#"<link rel="apple-touch-icon" href="{}">"#,
            png["src"].as_str().unwrap()
        )),
        "{page}"
    );
    let bitmap = sys
        .client
        .get(format!("{reader}/{}", png["src"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(bitmap.headers()["content-type"], "image/png");
    let bytes = bitmap.bytes().await.unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // Its width and height, as the manifest says them.
    let side = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!(
        format!("{}x{}", side(16), side(20)),
        png["sizes"].as_str().unwrap()
    );

    // What the page wrote, as the log has it.
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let events = log.read_stream(&dune).await.unwrap();
    let [started, finish, revised, heard] = &events[events.len() - 4..] else {
        unreachable!()
    };
    assert_eq!(started.event_type, "item_started");
    yesterday_noon(started, "at");
    assert_eq!(finish.event_type, "item_finished");
    let data = finish.data.value().unwrap();
    assert_eq!(data["rating"], json!(4.5));
    assert_eq!(data["review"], "Spice.");
    assert_eq!(data["tweet"], false);
    assert_eq!(revised.event_type, "item_finish_revised");
    let data = revised.data.value().unwrap();
    assert_eq!(data["rating"], json!(5.0));
    assert_eq!(data["review"], "Spice, and more.");
    yesterday_noon(revised, "finished_at");
    // Said heard afterwards: that alone (the rating and review as they were).
    assert_eq!(heard.event_type, "item_finish_revised");
    let data = heard.data.value().unwrap();
    assert_eq!(
        (&data["listened"], &data["rating"], data.get("finished_at")),
        (&json!(true), &json!(5.0), None)
    );
    // The film added with its link, its picture and its tags ("Link, cover, tags").
    let film = log
        .read_after(0, 1_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.data.value().unwrap())
        .find(|d| d["title"] == "Aftersun")
        .unwrap();
    assert_eq!(
        [&film["url"], &film["cover_url"], &film["tags"]],
        [
            &json!("https://a24films.com/films/aftersun"),
            &json!("https://img.example/aftersun.jpg"),
            &json!(["a24", "drama"])
        ]
    );
}

/// From up next, a film seen tonight is finished in one go (no start logged; undone, it is up
/// next again); a mistyped book is put right (title, makers, tags, a cover by its ISBN — a
/// digit mistyped refused —, private: only what changed is written, and an edit made
/// meanwhile elsewhere is a conflict, not overwritten) and removed from the lists, the "Undo" bringing it back; a book given up on weeks ago is taken up
/// again where it was left (undone: given up again), then started over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_finishes_from_up_next_edits_removes_and_takes_up_again() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    let mut ids = Vec::new();
    for (kind, title, by) in [
        ("movie", "Aftersun", "Charlotte Wells"),
        ("book", "Dnue", "Frank Herbet"),
    ] {
        ids.push(
            sys.add_item(json!({ "kind": kind, "title": title, "creators": [by] }))
                .await,
        );
    }
    let [film, book] = &ids[..] else {
        unreachable!()
    };
    let dropped = sys
        .add_item(json!({ "kind": "book", "title": "The Dispossessed" }))
        .await;
    for (step, body) in [
        ("progress", json!({ "done": 90, "of": 387 })),
        ("abandon", json!({})),
    ] {
        sys.write(
            reqwest::Method::POST,
            &format!("/v1/items/{dropped}/{step}"),
            body,
        )
        .await;
    }
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    let within = Duration::from_secs(5);
    // Each list's lines sorted: which comes first is not what this test is about.
    let lists = "return ['queue', 'finished'].map(l => [...document.querySelectorAll('#' + l + ' li')].map(e => e.querySelector('.meta') ? e.querySelector('.p-name').textContent + ' — ' + e.querySelector('.meta').textContent.replace(/ · [^·]*\\d{4}$/, '') : e.textContent).sort())";
    let queued = json!([
        [
            "Aftersun — Film · Charlotte Wells",
            "Dnue — Book · Frank Herbet"
        ],
        ["Nothing finished yet."]
    ]);
    browser.until(lists, &queued, within).await;
    let submit = |id: &str, form: &str, fill: &str, button: &str| {
        format!("const f = document.querySelector('#queue li[data-id=\"{id}\"] form.{form}'); {fill} f.requestSubmit({button});")
    };

    // Seen last night, from the watchlist, logged in the morning: finished yesterday with
    // four stars, straight from up next.
    let yesterday = browser
        .eval(&yesterday_in(&format!(
            "#queue li[data-id=\"{film}\"] form.finish"
        )))
        .await;
    browser
        .eval(&submit(
            film,
            "finish",
            "f.elements.rating.value = '4';",
            "",
        ))
        .await;
    browser
        .says(&format!(
            "Finished “Aftersun” on {}.",
            yesterday.as_str().unwrap()
        ))
        .await;
    browser
        .until(
            lists,
            &json!([
                ["Dnue — Book · Frank Herbet"],
                ["Aftersun — Film · Charlotte Wells · ★★★★"]
            ]),
            within,
        )
        .await;
    browser.undo().await;
    browser
        .says("Took back the finish of “Aftersun”: up next again.")
        .await;
    browser.until(lists, &queued, within).await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let types = |events: Vec<lately_log::RecordedEvent>| -> Vec<String> {
        events.into_iter().map(|e| e.event_type).collect()
    };
    let film_events = log.read_stream(film).await.unwrap();
    yesterday_noon(&film_events[1], "at");
    assert_eq!(
        types(film_events),
        ["item_added", "item_finished", "item_finish_retracted"]
    );

    // The mistyped book put right, its cover by the ISBN on its back, and made private; a
    // digit of the ISBN mistyped first, which the page refuses by its check digit.
    let edit = |fill: &str| submit(book, "edit", fill, "");
    let head = log.head().await.unwrap();
    browser
        .eval(&edit("f.elements.cover.value = '978-0-441-17271-8';"))
        .await;
    browser
        .says("“978-0-441-17271-8” is not an ISBN: its check digit is 8, where the digits before it make 9 (a digit mistyped?)")
        .await;
    assert_eq!(log.head().await.unwrap(), head, "a mistyped ISBN wrote");
    browser
        .eval(&edit(
            "f.elements.title.value = 'Dune'; f.elements.by.value = 'Frank Herbert'; f.elements.tags.value = 'SF, classic'; f.elements.cover.value = '978-0-441-17271-9'; f.elements.private.checked = true;",
        ))
        .await;
    browser
        .says("Saved “Dune” (private now: its tweets are deleted).")
        .await;
    let put_right = json!([
        [
            "Aftersun — Film · Charlotte Wells",
            "Dune — Book · Frank Herbert · private"
        ],
        ["Nothing finished yet."]
    ]);
    browser.until(lists, &put_right, within).await;
    assert_eq!(
        browser
            .eval(
                "return [...document.querySelectorAll('#queue form.finish')].map(f => f.closest('li').dataset.id + ': ' + !!f.elements.tweet).sort()"
            )
            .await,
        json!([format!("{film}: true"), format!("{book}: false")]),
        "no \"Tweet it\" for a private item"
    );
    let edited = log.read_stream(book).await.unwrap().pop().unwrap();
    assert_eq!(edited.event_type, "item_edited");
    assert_eq!(
        edited.data.value().unwrap()["changes"],
        json!({
            "title": "Dune",
            "creators": ["Frank Herbert"],
            "tags": ["sf", "classic"],
            "cover_url": "https://covers.openlibrary.org/b/isbn/9780441172719-M.jpg?default=false",
            "visibility": "private"
        }),
        "only what changed"
    );
    let head = log.head().await.unwrap();
    browser.eval(&edit("")).await;
    browser.says("Nothing changed.").await;
    assert_eq!(log.head().await.unwrap(), head, "an unchanged form wrote");
    browser
        .eval(&format!(
            "document.querySelectorAll('#queue li[data-id=\"{book}\"] details').forEach(d => d.open = true); document.querySelector('#queue').scrollIntoView()"
        ))
        .await;
    browser.screenshot("owner-edit.png").await;
    // Another device tags it meanwhile; the page's form, from before, is refused.
    sys.write(
        reqwest::Method::PATCH,
        &format!("/v1/items/{book}"),
        json!({ "tags": ["sf"] }),
    )
    .await;
    let head = log.head().await.unwrap();
    browser
        .eval(&edit("f.elements.title.value = 'Dune!';"))
        .await;
    browser
        .says("It changed meanwhile (on another device?): the list shows it as it is now.")
        .await;
    assert_eq!(log.head().await.unwrap(), head, "the stale edit wrote");
    // The list as it is now: the form holds the other device's tags.
    browser
        .until(
            &format!("return document.querySelector('#queue li[data-id=\"{book}\"] form.edit').elements.tags.value"),
            &json!("sf"),
            within,
        )
        .await;

    // Not going to read it after all: removed, then brought back by the "Undo".
    browser
        .eval(&submit(
            book,
            "edit",
            "",
            "f.querySelector('button[value=remove]')",
        ))
        .await;
    browser.says("Removed “Dune”.").await;
    browser
        .until(
            lists,
            &json!([
                ["Aftersun — Film · Charlotte Wells"],
                ["Nothing finished yet."]
            ]),
            within,
        )
        .await;
    browser.undo().await;
    browser.says("Brought back “Dune”.").await;
    browser.until(lists, &put_right, within).await;

    // Given up on weeks ago, taken up again: in progress where it was left.
    let shelves = "return ['current', 'dropped'].map(l => [...document.querySelectorAll('#' + l + ' li')].map(e => e.querySelector('.meta') ? e.querySelector('.p-name').textContent + ' — ' + e.querySelector('.meta').textContent : e.textContent))";
    let given_up = json!([
        ["Nothing in progress."],
        ["The Dispossessed — Book · page 90 of 387"]
    ]);
    assert_eq!(browser.eval(shelves).await, given_up);
    let take_up = |button: &str| {
        format!("const f = document.querySelector('#dropped li[data-id=\"{dropped}\"] form.take-up'); f.requestSubmit({button});")
    };
    browser.eval(&take_up("")).await;
    browser
        .says("Took up “The Dispossessed” again, at page 90 of 387.")
        .await;
    browser
        .until(
            shelves,
            &json!([
                ["The Dispossessed — Book · page 90 of 387"],
                ["Nothing given up."]
            ]),
            within,
        )
        .await;
    browser.undo().await;
    browser.says("Gave up on “The Dispossessed” again.").await;
    browser.until(shelves, &given_up, within).await;
    // Or begun again from the start: a new read.
    browser
        .eval(&take_up("f.querySelector('button[value=start]')"))
        .await;
    browser.says("Started “The Dispossessed” over.").await;
    browser
        .until(
            shelves,
            &json!([["The Dispossessed — Book"], ["Nothing given up."]]),
            within,
        )
        .await;
    // Found by a word or two of the title, a maker or a tag, accents aside; the others hidden.
    let find = |words: &str| {
        format!("const f = document.getElementById('find'); f.value = '{words}'; f.dispatchEvent(new Event('input')); return [...document.querySelectorAll('#log li[data-find]')].filter(li => li.offsetParent !== null).map(li => li.querySelector('.p-name').textContent).sort()")
    };
    for (words, found) in [
        ("", json!(["Aftersun", "Dune", "The Dispossessed"])),
        ("frank", json!(["Dune"])),
        ("DISPO", json!(["The Dispossessed"])),
        ("herbért sf", json!(["Dune"])),
        ("sf charlotte", json!([])),
    ] {
        assert_eq!(browser.eval(&find(words)).await, found, "{words}");
    }
    assert_eq!(
        types(log.read_stream(&dropped).await.unwrap())[2..],
        [
            "item_abandoned",
            "item_abandon_retracted",
            "item_abandoned",
            "item_started"
        ]
    );
    browser.quit().await;
}

/// The notifier and the X sandbox as the real binaries beside this test's (`make test` builds
/// every binary first, as the gateway's test relies on), the notifier posting with no grace
/// delay and opening its outbox to the owner's token, signing with `consumer_secret` (the
/// sandbox's is "sandbox-consumer-secret"); their addresses, the processes ending with the
/// test.
async fn notifier_and_sandbox(
    database_url: &str,
    consumer_secret: &str,
) -> (String, String, [tokio::process::Child; 2]) {
    let dir = std::path::Path::new(env!("CARGO_BIN_EXE_lately-reader"))
        .parent()
        .unwrap()
        .to_owned();
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (sandbox_port, notifier_port) = (free(), free());
    let spawn = |name: &str, env: &[(&str, String)]| {
        let bin = dir.join(name);
        assert!(
            bin.exists(),
            "{bin:?}: `cargo build --workspace --bins` first"
        );
        tokio::process::Command::new(bin)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("RUST_LOG", "warn")
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let sandbox = format!("http://127.0.0.1:{sandbox_port}");
    let notifier = format!("http://127.0.0.1:{notifier_port}");
    let credentials = [
        ("X_CONSUMER_KEY", "sandbox-consumer-key"),
        ("X_CONSUMER_SECRET", "sandbox-consumer-secret"),
        ("X_ACCESS_TOKEN", "sandbox-access-token"),
        ("X_ACCESS_SECRET", "sandbox-access-secret"),
    ]
    .map(|(k, v)| (k, v.to_owned()));
    let sandbox_child = spawn(
        "lately-x-sandbox",
        &[
            &credentials[..],
            &[("LATELY_SANDBOX_ADDR", format!("127.0.0.1:{sandbox_port}"))],
        ]
        .concat(),
    );
    let notifier_child = spawn(
        "lately-notifier",
        &[
            &credentials[..],
            &[
                ("X_CONSUMER_SECRET", consumer_secret.to_owned()),
                ("DATABASE_URL", database_url.to_owned()),
                ("LATELY_NOTIFIER_ADDR", format!("127.0.0.1:{notifier_port}")),
                ("X_API_BASE", sandbox.clone()),
                ("LATELY_TWEET_DELAY", "0".to_owned()),
                ("LATELY_POLL_MS", "50".to_owned()),
                ("LATELY_OWNER_TOKEN", common::TOKEN.to_owned()),
            ],
        ]
        .concat(),
    );
    // It leads (and posts) once caught up with the log.
    lately_testkit::until("the notifier leads", || async {
        match reqwest::get(format!("{notifier}/v1/status")).await {
            Ok(res) => res.json::<Value>().await.is_ok_and(|s| s["leader"] == true),
            Err(_) => false,
        }
    })
    .await;
    (notifier, sandbox, [sandbox_child, notifier_child])
}

/// Under each finish, your log's page says how its tweet went, from the notifier's outbox
/// at another origin: refused by X (why, and "Try again": tweeted, with a link to it),
/// recorded not to be tweeted ("Tweet it": tweeted after all, waiting on X's rate limit
/// meanwhile, which the page says until it is over), private (nothing to do), made private
/// (its tweet deleted, X's rate limit on deletions said while it holds it back); a tweet
/// held back by a day's posts used up says when it goes out, and the page does not ask after
/// it every 5 s till then.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_says_how_each_finishs_tweet_went() {
    let sys = system().await;
    let (notifier, sandbox, _children) =
        notifier_and_sandbox(&sys.database_url, "sandbox-consumer-secret").await;
    let faults = |faults: Value| {
        let req = sys
            .client
            .post(format!("{sandbox}/_sandbox/faults"))
            .json(&faults);
        async move { assert!(req.send().await.unwrap().status().is_success()) }
    };
    faults(json!({ "forbidden": 1 })).await;
    let finish =
        |kind: &'static str, title: &'static str, visibility: &'static str, body: Value| {
            let item = json!({ "kind": kind, "title": title, "visibility": visibility });
            let sys = &sys;
            async move { sys.finish_with(item, body).await }
        };
    let (_, dune) = finish("book", "Dune", "public", json!({ "rating": 4 })).await;
    let outbox = |position: i64| {
        let req = sys
            .client
            .get(format!(
                "{notifier}/v1/outbox?before={}&limit=1",
                position + 1
            ))
            .bearer_auth(common::TOKEN);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap()["entries"][0].clone() }
    };
    lately_testkit::until("X refuses Dune's tweet", || async {
        outbox(dune).await["status"] == "failed"
    })
    .await;
    let (past_lives, _) = finish("movie", "Past Lives", "public", json!({ "tweet": false })).await;
    finish("book", "Diary", "private", json!({})).await;
    sys.add_item(json!({ "kind": "book", "title": "Piranesi" }))
        .await;

    let reader =
        owners_reader_on(&sys, &sys.writer, "", &["--notifier-public-url", &notifier]).await;
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    // Each finish's title, what its tweet's line says (its buttons apart, "!" when it says so
    // in red), and its buttons.
    let lines = "return [...document.querySelectorAll('#finished li')].map(li => { const t = li.querySelector('.tweet'); return [li.querySelector('.p-name').textContent, t.hidden ? null : (t.classList.contains('bad') ? '!' : '') + [...t.childNodes].filter(n => n.nodeName !== 'BUTTON').map(n => n.textContent).join(''), [...t.querySelectorAll('button')].map(b => b.textContent)]; })";
    let shown = || async {
        let mut waited = 0;
        loop {
            let shown = browser.eval(lines).await;
            if shown[2][1].as_str().is_some() || waited > 250 {
                return shown;
            }
            waited += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let first = shown().await;
    let why = first[2][1].as_str().unwrap_or_default().to_owned();
    assert!(why.starts_with("!Not tweeted: X answered 403: "), "{first}");
    assert_eq!(
        first,
        json!([
            ["Diary", "Not tweeted", []],
            ["Past Lives", "Not tweeted", ["Tweet it"]],
            ["Dune", why, ["Try again"]]
        ])
    );
    let tap = |title: &str| {
        format!(
            "[...document.querySelectorAll('#finished li')].find(li => li.querySelector('.p-name').textContent === '{title}').querySelector('.tweet button').click()"
        )
    };
    let tweeted = |title: &str| json!([title, "Tweeted · see it on X", []]);
    let line = |n: usize| format!("{lines}[{n}]").replacen("return ", "return (", 1) + ")";

    // X let through again, "Try again": tweeted, its line linking to the tweet.
    browser.eval(&tap("Dune")).await;
    browser.says("“Dune” will be tweeted.").await;
    browser
        .until(&line(2), &tweeted("Dune"), Duration::from_secs(10))
        .await;
    let posted = sys.json(format!("{sandbox}/_sandbox/tweets")).await;
    assert_eq!(posted["data"][0]["text"], "Finished reading “Dune” ★★★★");
    assert_eq!(
        browser
            .eval("return [...document.querySelectorAll('#finished .tweet a')].map(a => a.href)")
            .await,
        json!([format!(
            "https://x.com/i/web/status/{}",
            posted["data"][0]["id"].as_str().unwrap()
        )])
    );

    // A film recorded not to be tweeted, tweeted after all while X's rate limit holds posts
    // back: waiting, saying so, until the limit's reset; then tweeted.
    faults(json!({ "rate_limit": 1, "rate_limit_reset_secs": 10 })).await;
    browser.eval(&tap("Past Lives")).await;
    browser.says("“Past Lives” will be tweeted.").await;
    // What `of` says of the lines (`l`), beside the hold said above them, up to its "until".
    let with_hold = |of: &str| {
        format!(
            "{}; const h = document.querySelector('.hold'); return [{of}, h.hidden ? null : h.textContent.split(' until ')[0]]",
            lines.replacen("return ", "const l = ", 1)
        )
    };
    // Asked while the page redraws its lines: a line without its tweet's words yet is null.
    let held = with_hold("l[1] && l[1][1] && l[1][1].split(';')[0]");
    browser
        .until(
            &held,
            &json!([
                "Tweet waiting: rate limited (429): the 15-minute limit (100) is used up",
                "X's rate limit holds your tweets back"
            ]),
            Duration::from_secs(10),
        )
        .await;
    browser
        .until(
            &held,
            &json!(["Tweeted · see it on X", null]),
            Duration::from_secs(20),
        )
        .await;
    assert_eq!(
        browser.eval(lines).await,
        json!([
            ["Diary", "Not tweeted", []],
            tweeted("Past Lives"),
            tweeted("Dune")
        ])
    );

    // Finished on the page, from up next, while the notifier cannot take it in for 12 s (as
    // when it restarts, or catches up): the test holds the outbox in SHARE mode, so the
    // notifier's insert of its entry waits and its answers to the page do not. Nothing said
    // of its tweet yet; let go, the page, reading the outbox again by itself (after 2, 4, 8,
    // 16 and 32 s), says it went out.
    let mut lock = PgConnection::connect(&sys.database_url).await.unwrap();
    for sql in ["BEGIN", "LOCK TABLE outbox IN SHARE MODE"] {
        sqlx::query(sql).execute(&mut lock).await.unwrap();
    }
    browser
        .eval("document.querySelector('#queue li form.finish').requestSubmit()")
        .await;
    browser
        .until(
            &line(0),
            &json!(["Piranesi", null, []]),
            Duration::from_secs(10),
        )
        .await;
    lately_testkit::until_waiting_on_a_lock(
        &sys.database_url,
        "query LIKE 'INSERT INTO outbox%'",
        1,
        "the notifier's entry for Piranesi",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(12)).await;
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
    browser
        .until(&line(0), &tweeted("Piranesi"), Duration::from_secs(25))
        .await;
    let posted = sys.json(format!("{sandbox}/_sandbox/tweets")).await;
    assert_eq!(posted["data"].as_array().unwrap().len(), 3, "{posted}");

    // Past Lives made private while X's rate limit holds deletions back: its tweet is being
    // deleted, and the page says what holds it, until the reset; then deleted (private:
    // nothing to tap).
    faults(json!({ "rate_limit": 1, "rate_limit_reset_secs": 12 })).await;
    sys.write(
        reqwest::Method::PATCH,
        &format!("/v1/items/{past_lives}"),
        json!({ "visibility": "private" }),
    )
    .await;
    browser.goto(&format!("{reader}/owner")).await;
    let deleting = with_hold("l[2]");
    browser
        .until(
            &deleting,
            &json!([
                ["Past Lives", "Deleting its tweet…", []],
                "X's rate limit holds deleting your tweets back"
            ]),
            Duration::from_secs(15),
        )
        .await;
    browser
        .until(
            &deleting,
            &json!([["Past Lives", "Its tweet was deleted", []], null]),
            Duration::from_secs(25),
        )
        .await;
    let posted = sys.json(format!("{sandbox}/_sandbox/tweets")).await;
    assert_eq!(posted["data"].as_array().unwrap().len(), 2, "{posted}");

    // A day of one post, spent by Heat's: Severance's tweet, refused by no one (the notifier
    // holds it back itself), says it goes out at the day's reset, not that it is overdue. (A
    // day of ten minutes: the test does not wait for it, and a slow machine does not see it
    // end; the notifier's tests see the tweet go out at the reset.)
    faults(json!({ "daily_posts": 1, "daily_reset_secs": 600 })).await;
    let (_, heat) = finish("movie", "Heat", "public", json!({})).await;
    lately_testkit::until("Heat's tweet, the day's only one", || async {
        let entry = outbox(heat).await;
        entry["finish_position"] == heat && entry["status"] == "posted"
    })
    .await;
    finish("tv", "Severance", "public", json!({})).await;
    browser.goto(&format!("{reader}/owner")).await;
    // Asked until the page has drawn its lists: right after loading it has none (no `l[0]`).
    let first =
        with_hold("l[0] && l[0][0], l[0] && l[0][1] && l[0][1].replace(/ at .*$/, ' at …')");
    browser
        .until(
            &first,
            &json!([
                "Severance",
                "Tweet goes out at …",
                "X's rate limit holds your tweets back"
            ]),
            Duration::from_secs(15),
        )
        .await;
    // Held back for ten minutes, its tweet is not asked after every 5 s meanwhile (twice in
    // the 12 s below): the page reads the outbox again when the hold can have ended, or a
    // minute on.
    browser
        .eval(
            "window.outboxReads = 0; const f = window.fetch; \
             window.fetch = (u, o) => { if (String(u).includes('/v1/outbox')) window.outboxReads++; return f(u, o); }",
        )
        .await;
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(browser.eval("return window.outboxReads").await, json!(0));
    browser.quit().await;
}

/// A finish logged before a hundred others that finished earlier (an import of last year's
/// books, say) is still the newest finish on your log's page, with those hundred's latest
/// below it: its line says how its tweet went, though its entry is a hundred positions away
/// from theirs (the page asks the outbox for the finishes it shows, not for the latest
/// entries). The page's first read of the outbox failing (a 503: the notifier's database
/// did not answer in time), it reads again by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_says_the_tweet_of_a_finish_logged_before_an_import() {
    let sys = system().await;
    let (notifier, _sandbox, _children) =
        notifier_and_sandbox(&sys.database_url, "sandbox-consumer-secret").await;
    sys.finish_with(
        json!({ "kind": "book", "title": "Dune" }),
        json!({ "rating": 4 }),
    )
    .await;
    let mut last = 0;
    for day in 1..=100 {
        let title = format!("Last year's book {day:03}");
        // Each a day later than the one before, in early 2025.
        let at = format!("2025-{:02}-{:02}T12:00:00Z", 1 + day / 28, 1 + day % 28);
        last = sys
            .finish_with(
                json!({ "kind": "book", "title": title }),
                json!({ "at": at, "tweet": false }),
            )
            .await
            .1;
    }
    let reader =
        owners_reader_on(&sys, &sys.writer, "", &["--notifier-public-url", &notifier]).await;
    // The notifier has taken them all in before the page is opened.
    lately_testkit::until("the notifier takes the finishes in", || async {
        let status = sys.json(format!("{notifier}/v1/status")).await;
        status["position"].as_i64() >= Some(last)
    })
    .await;
    // The outbox locked: the notifier's read for the page waits, and answers 503 after 2 s.
    let mut lock = PgConnection::connect(&sys.database_url).await.unwrap();
    for sql in ["BEGIN", "LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE"] {
        sqlx::query(sql).execute(&mut lock).await.unwrap();
    }
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    let said = "const t = [...document.querySelectorAll('#finished li .tweet')]; return t.length && [t.length, t[0].hidden ? null : t[0].childNodes[0].textContent, t[1].hidden ? null : t[1].childNodes[0].textContent]";
    lately_testkit::until_waiting_on_a_lock(
        &sys.database_url,
        "query LIKE '%FROM outbox WHERE finish_position = ANY%'",
        1,
        "the page's read of the outbox",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(browser.eval(said).await, json!([10, null, null]));
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
    browser
        .until(
            said,
            &json!([10, "Tweeted", "Not tweeted"]),
            Duration::from_secs(10),
        )
        .await;
    browser.quit().await;
}

/// A notifier whose credentials X refuses posts nothing at all: your log's page says so above
/// its finishes, not only under the one tweet tried.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_says_when_x_refuses_the_notifiers_credentials() {
    let sys = system().await;
    let (notifier, _sandbox, _children) =
        notifier_and_sandbox(&sys.database_url, "not-the-secret").await;
    sys.finish_with(
        json!({ "kind": "book", "title": "Dune" }),
        json!({ "rating": 4 }),
    )
    .await;
    let reader =
        owners_reader_on(&sys, &sys.writer, "", &["--notifier-public-url", &notifier]).await;
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    browser
        .until(
            "const h = document.querySelector('.hold'), t = document.querySelector('#finished .tweet'); return [h.hidden, h.textContent.split(' (')[0], t && t.textContent.split(':')[0]]",
            &json!([
                false,
                "X refused the notifier's credentials: nothing is tweeted until it is restarted with working ones",
                "Tweet waiting"
            ]),
            Duration::from_secs(10),
        )
        .await;
    browser.quit().await;
}

/// Past the ten latest finishes, "Older finishes" shows ten more (hidden once there are no
/// more), and an older item's finish is changed there (a review written weeks later), the page
/// keeping them shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_shows_older_finishes_to_change() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    let mut first = String::new();
    for n in 1..=11 {
        let id = sys
            .add_item(json!({ "kind": "book", "title": format!("Book {n:02}") }))
            .await;
        sys.write(
            reqwest::Method::POST,
            &format!("/v1/items/{id}/finish"),
            json!({}),
        )
        .await;
        if n == 1 {
            first = id;
        }
    }
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    let within = Duration::from_secs(5);
    let finished = "return [document.getElementById('older').offsetParent !== null, ...[...document.querySelectorAll('#finished li')].map(e => e.querySelector('.p-name').textContent + (e.querySelector('.review') ? ': ' + e.querySelector('.review').textContent : ''))]";
    // Whether "Older finishes" shows, then the finishes listed, newest first.
    let shown = |older: bool, titles: Vec<String>| {
        let mut all = vec![json!(older)];
        all.extend(titles.into_iter().map(Value::from));
        Value::from(all)
    };
    let book = |n: u32| format!("Book {n:02}");
    browser
        .until(
            finished,
            &shown(true, (2..=11).rev().map(book).collect()),
            within,
        )
        .await;
    browser
        .eval("document.getElementById('older').click()")
        .await;
    browser
        .until(
            finished,
            &shown(false, (1..=11).rev().map(book).collect()),
            within,
        )
        .await;
    browser
        .eval(&format!(
            "const f = document.querySelector('#finished li[data-id=\"{first}\"] form.revise'); f.elements.review.value = 'Better on a second thought.'; f.requestSubmit();"
        ))
        .await;
    browser.says("Saved “Book 01”.").await;
    let changed = (2..=11)
        .rev()
        .map(book)
        .chain(["Book 01: Better on a second thought.".to_owned()]);
    browser
        .until(finished, &shown(false, changed.collect()), within)
        .await;
    browser.quit().await;
}

/// A finished item gone through again from the owner's page: a book begun again (a re-read:
/// in progress, its finish's fold gone; undone: finished, as before), a private film finished
/// again when logged after the fact (a second finish, the newest with the fold, no "Tweet it";
/// undone: one finish again). The fold's name says what going through it again is.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_goes_through_a_finished_item_again() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    let book = sys
        .add_item(json!({ "kind": "book", "title": "Piranesi" }))
        .await;
    let film = sys
        .add_item(json!({ "kind": "movie", "title": "Aftersun", "visibility": "private" }))
        .await;
    for (id, body) in [(&book, json!({})), (&film, json!({ "rating": 4 }))] {
        sys.write(
            reqwest::Method::POST,
            &format!("/v1/items/{id}/finish"),
            body,
        )
        .await;
    }
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    let within = Duration::from_secs(5);
    // Each finish, newest first: its title and stars, and its fold to go through it again.
    let finished = "return [...document.querySelectorAll('#finished li')].map(e => [e.querySelector('.p-name').textContent, ...e.querySelector('.meta').textContent.split(' · ').slice(1, -1)].join(' · ') + ' | ' + [...e.querySelectorAll('summary')].map(s => s.textContent).join(', ')).sort()";
    let current = "return [...document.querySelectorAll('#current li')].map(e => e.querySelector('.p-name') ? e.querySelector('.p-name').textContent : e.textContent)";
    let both = json!([
        "Aftersun · private · ★★★★ | Change…, Watch it again…, Finish…",
        "Piranesi | Change…, Read it again…, Finish…"
    ]);
    browser.until(finished, &both, within).await;
    let again = |id: &str, form: &str, fill: &str| {
        format!("const f = document.querySelector('#finished li[data-id=\"{id}\"] form.{form}'); {fill} f.requestSubmit();")
    };

    browser
        .eval(&format!(
            "document.querySelectorAll('#finished li[data-id=\"{film}\"] details').forEach(d => d.open = !d.querySelector('form.revise')); document.querySelector('#finished').scrollIntoView()"
        ))
        .await;
    browser.screenshot("owner-again.png").await;
    // Piranesi begun again: in progress, its finish no longer one to go through again.
    browser.eval(&again(&book, "start", "")).await;
    browser.says("Started “Piranesi” again.").await;
    browser.until(current, &json!(["Piranesi"]), within).await;
    browser
        .until(
            finished,
            &json!([
                "Aftersun · private · ★★★★ | Change…, Watch it again…, Finish…",
                "Piranesi | Change…"
            ]),
            within,
        )
        .await;
    browser.undo().await;
    browser
        .says("Took back the start of “Piranesi”: finished, as before.")
        .await;
    browser
        .until(current, &json!(["Nothing in progress."]), within)
        .await;
    browser.until(finished, &both, within).await;

    // Aftersun seen again last night, logged now: finished again, five stars this time. It is
    // private: no "Tweet it".
    assert_eq!(
        browser
            .eval(&format!(
                "return !!document.querySelector('#finished li[data-id=\"{film}\"] form.finish').elements.tweet"
            ))
            .await,
        json!(false)
    );
    browser
        .eval(&again(&film, "finish", "f.elements.rating.value = '5';"))
        .await;
    browser.says("Finished “Aftersun” again.").await;
    browser
        .until(
            finished,
            &json!([
                "Aftersun · private · ★★★★ | ",
                "Aftersun · private · ★★★★★ · 2nd time | Change…, Watch it again…, Finish…",
                "Piranesi | Change…, Read it again…, Finish…"
            ]),
            within,
        )
        .await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let types = |events: &[lately_log::RecordedEvent]| -> Vec<String> {
        events.iter().map(|e| e.event_type.clone()).collect()
    };
    let film_events = log.read_stream(&film).await.unwrap();
    assert_eq!(
        types(&film_events),
        ["item_added", "item_finished", "item_finished"]
    );
    assert_eq!(film_events[2].data.value().unwrap()["rating"], json!(5.0));
    browser.undo().await;
    browser
        .says("Took back the finish of “Aftersun”: finished, as before.")
        .await;
    browser.until(finished, &both, within).await;
    assert_eq!(
        types(&log.read_stream(&book).await.unwrap()),
        [
            "item_added",
            "item_finished",
            "item_started",
            "item_start_retracted"
        ]
    );
    browser.quit().await;
}

/// The owner's page at `reader`, opened with the owner's token, its list read.
async fn owners_page(reader: &str) -> Browser {
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    browser.says("").await;
    browser
}

/// The script that fills the owner's page's add form in — its `kind` and `title`, then `more`
/// of the test's own — and sends it.
fn add_form(kind: &str, title: &str, more: &str) -> String {
    format!("const f = document.getElementById('add'); f.elements.kind.value = '{kind}'; f.elements.title.value = '{title}'; {more} f.requestSubmit();")
}

/// The cover of the item that the log's last event added.
async fn last_added_cover(log: &lately_log::EventLog) -> Value {
    let added = log
        .read_after(log.head().await.unwrap() - 1, 1)
        .await
        .unwrap();
    assert_eq!(added[0].event_type, "item_added");
    added[0].data.value().unwrap()["cover_url"].clone()
}

/// A book added from the owner's page without a cover gets Open Library's, found by its title
/// and author as `lately add book` finds it (asked by the phone's browser: the stand-in answers
/// with CORS, as Open Library's search does); a private book's title is not sent, nor is one
/// with a cover given; none found, none. An ISBN typed as the title fills the form in with the
/// book Open Library names.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_looks_a_book_up_on_open_library() {
    let sys = system().await;
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let kept = asked.clone();
    let server = HttpServer::new(move || {
        let asked = kept.clone();
        App::new().route(
            "/search.json",
            web::get().to(
                move |q: web::Query<std::collections::HashMap<String, String>>| {
                    let asked = asked.clone();
                    async move {
                        let asked_for = q.get("q").or(q.get("title")).cloned().unwrap_or_default();
                        asked.lock().unwrap().push(asked_for);
                        let by = q.get("author").map_or("", String::as_str);
                        let docs = match (q.get("q").or(q.get("title")).unwrap().as_str(), by) {
                            ("isbn:9780441172719", _) => json!([
                                { "title": "Dune", "author_name": ["Frank Herbert"], "cover_i": 11_481_354 },
                            ]),
                            ("Piranesi", "Susanna Clarke") => json!([
                                { "title": "Piranesi", "author_name": ["A. Critic"], "cover_i": 1 },
                                { "title": "Piranesi", "author_name": ["Susanna Clarke"], "cover_i": 10_544_203 },
                            ]),
                            _ => json!([]),
                        };
                        HttpResponse::Ok()
                            .insert_header(("Access-Control-Allow-Origin", "*"))
                            .json(json!({ "docs": docs }))
                    }
                },
            ),
        )
    })
    .bind("127.0.0.1:0")
    .unwrap();
    let open_library = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    tokio::spawn(server.run());
    let reader = owners_reader_on(&sys, &sys.writer, &open_library, &[]).await;
    let browser = owners_page(&reader).await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let add = |title: &str, more: &str| add_form("book", title, more);
    let cover_added = || last_added_cover(&log);

    browser
        .eval(&add("Piranesi", "f.elements.by.value = 'Susanna Clarke';"))
        .await;
    browser
        .says("Added “Piranesi”: up next. Its cover is Open Library's.")
        .await;
    assert_eq!(
        cover_added().await,
        json!("https://covers.openlibrary.org/b/id/10544203-M.jpg?default=false"),
        "not its author's work"
    );
    browser
        .eval(&add(
            "A Private Notebook",
            "f.elements.by.value = 'Me'; f.elements.private.checked = true;",
        ))
        .await;
    browser.says("Added “A Private Notebook”: up next.").await;
    assert_eq!(cover_added().await, Value::Null);
    browser
        .eval(&add(
            "Kindred",
            &format!("f.elements.by.value = 'Octavia E. Butler'; f.elements.cover.value = '{reader}/owner-icon.png';"),
        ))
        .await;
    browser.says("Added “Kindred”: up next.").await;
    assert_eq!(
        cover_added().await,
        json!(format!("{reader}/owner-icon.png"))
    );
    browser
        .eval(&add("An Unknown Book", "f.elements.by.value = 'Nobody';"))
        .await;
    browser.says("Added “An Unknown Book”: up next.").await;
    assert_eq!(cover_added().await, Value::Null);
    assert_eq!(
        *asked.lock().unwrap(),
        ["Piranesi", "An Unknown Book"],
        "a private book's title, or one with a cover, was sent"
    );

    // The ISBN on a book's back as its title: the form filled in from Open Library, nothing
    // written until Add; an ISBN it does not know, or one mistyped, said so.
    let head = log.head().await.unwrap();
    browser.eval(&add("978-0-441-17271-9", "")).await;
    browser
        .says("Filled in from Open Library, by the ISBN 9780441172719: look it over, then Add.")
        .await;
    assert_eq!(
        browser
            .eval("const f = document.getElementById('add'); return ['title', 'by', 'cover'].map(n => f.elements[n].value)")
            .await,
        json!(["Dune", "Frank Herbert", "https://covers.openlibrary.org/b/id/11481354-M.jpg?default=false"])
    );
    assert_eq!(log.head().await.unwrap(), head, "filling in wrote");
    browser
        .eval("document.getElementById('add').requestSubmit()")
        .await;
    browser.says("Added “Dune”: up next.").await;
    assert_eq!(
        cover_added().await,
        json!("https://covers.openlibrary.org/b/id/11481354-M.jpg?default=false")
    );
    let head = log.head().await.unwrap();
    browser.eval(&add("0-8044-2957-X", "")).await;
    browser
        .says("Open Library knows no book with the ISBN 080442957X: give its title.")
        .await;
    browser.eval(&add("978-0-441-17271-8", "")).await;
    browser
        .says("“978-0-441-17271-8” is not an ISBN: its check digit is 8, where the digits before it make 9 (a digit mistyped?)")
        .await;
    assert_eq!(log.head().await.unwrap(), head, "an ISBN not named wrote");
    assert_eq!(
        asked.lock().unwrap()[2..],
        ["isbn:9780441172719", "isbn:080442957X"],
        "a mistyped ISBN was looked up, or Dune's title once named"
    );
    browser.quit().await;
}

/// A film or a show added from the owner's page without a cover gets TMDB's poster, found by
/// its title as `lately add movie` finds it, asked by the phone's browser with the TMDB key
/// given to the page (kept on the device; TMDB answers with CORS, the stand-in too): the read
/// token as a bearer's, the short key as `api_key`; a private film is not looked up, nor any
/// once the key is emptied; none found, none.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_finds_a_films_poster_on_tmdb_given_a_key() {
    let sys = system().await;
    type Asked = std::sync::Arc<std::sync::Mutex<Vec<(String, String, String, String)>>>;
    let asked: Asked = Default::default();
    let kept = asked.clone();
    let server = HttpServer::new(move || {
        let asked = kept.clone();
        App::new().wrap(actix_cors::Cors::permissive()).route(
            "/3/search/{kind}",
            web::get().to(
                move |req: actix_web::HttpRequest,
                      kind: web::Path<String>,
                      q: web::Query<std::collections::HashMap<String, String>>| {
                    let asked = asked.clone();
                    async move {
                        let key = match req.headers().get("authorization") {
                            Some(bearer) => bearer.to_str().unwrap().to_owned(),
                            None => format!("api_key {}", q.get("api_key").map_or("", String::as_str)),
                        };
                        let year = q.get("year").or(q.get("first_air_date_year")).cloned().unwrap_or_default();
                        let title = q["query"].clone();
                        asked.lock().unwrap().push((kind.to_string(), title.clone(), year.clone(), key));
                        let results = match (kind.as_str(), title.as_str(), year.as_str()) {
                            ("movie", "Past Lives", "") => json!([
                                { "title": "Past Lives", "original_title": "Past Lives", "poster_path": "/pastlives.jpg" },
                            ]),
                            ("movie", "Dune", "") => json!([
                                { "title": "Dune: Part Two", "original_title": "Dune: Part Two", "poster_path": "/two.jpg" },
                                { "title": "Dune", "original_title": "Dune", "poster_path": "/2021.jpg" },
                            ]),
                            ("movie", "Dune", "1984") => json!([
                                { "title": "Dune", "original_title": "Dune", "poster_path": "/1984.jpg" },
                            ]),
                            ("tv", "Severance", "") => json!([
                                { "title": "Severance", "poster_path": "/not-a-show.jpg" },
                                { "name": "Severance", "original_name": "Severance", "poster_path": "/severance.jpg" },
                            ]),
                            _ => json!([]),
                        };
                        HttpResponse::Ok().json(json!({ "page": 1, "results": results }))
                    }
                },
            ),
        )
    })
    .bind("127.0.0.1:0")
    .unwrap();
    let tmdb = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    tokio::spawn(server.run());
    let reader = owners_reader_on(&sys, &sys.writer, "", &["--tmdb-url", &tmdb]).await;
    let browser = owners_page(&reader).await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let add = add_form;
    let cover_added = || last_added_cover(&log);
    let give_key = |key: &str| {
        format!("document.getElementById('posters-open').click(); const f = document.getElementById('posters'); f.elements.tmdb.value = '{key}'; f.requestSubmit();")
    };
    let poster = |path: &str| json!(format!("https://image.tmdb.org/t/p/w342{path}"));

    // No key yet: added as before, nothing asked.
    browser.eval(&add("movie", "Perfect Days", "")).await;
    browser.says("Added “Perfect Days”: up next.").await;
    assert_eq!(cover_added().await, Value::Null);
    browser.eval(&give_key("tmdb-read-token")).await;
    browser
        .says("Your TMDB key is kept on this device: a film or a show added without a cover gets its poster.")
        .await;
    for (kind, title, path) in [
        ("movie", "Past Lives", "/pastlives.jpg"),
        ("tv", "Severance", "/severance.jpg"),
        // One season of it, an item of its own: the show's.
        ("tv", "Severance (Season 2)", "/severance.jpg"),
        ("movie", "Dune (1984)", "/1984.jpg"),
    ] {
        browser
            .eval(&add(
                kind,
                title,
                "document.querySelector('#add [name=private]').checked = false;",
            ))
            .await;
        browser
            .says(&format!("Added “{title}”: up next. Its poster is TMDB's."))
            .await;
        assert_eq!(cover_added().await, poster(path), "{title}");
    }
    browser
        .eval(&add(
            "movie",
            "Home Movies",
            "document.querySelector('#add [name=private]').checked = true;",
        ))
        .await;
    browser.says("Added “Home Movies”: up next.").await;
    assert_eq!(cover_added().await, Value::Null);
    browser
        .eval(&add(
            "movie",
            "Nothing Like It",
            "document.querySelector('#add [name=private]').checked = false;",
        ))
        .await;
    browser.says("Added “Nothing Like It”: up next.").await;
    assert_eq!(cover_added().await, Value::Null);
    // The short key, in the query; kept across a reload.
    browser
        .eval(&give_key("0123456789abcdef0123456789abcdef"))
        .await;
    browser.goto(&format!("{reader}/owner")).await;
    browser.says("").await;
    browser.eval(&add("movie", "Dune", "")).await;
    browser
        .says("Added “Dune”: up next. Its poster is TMDB's.")
        .await;
    assert_eq!(cover_added().await, poster("/2021.jpg"));
    // Emptied: none looked up.
    browser.eval(&give_key("")).await;
    browser
        .says("No TMDB key on this device: no poster is looked up.")
        .await;
    browser.eval(&add("movie", "Arrival", "")).await;
    browser.says("Added “Arrival”: up next.").await;
    assert_eq!(cover_added().await, Value::Null);
    let searched = |kind: &str, title: &str, year: &str, key: &str| {
        (
            kind.to_owned(),
            title.to_owned(),
            year.to_owned(),
            key.to_owned(),
        )
    };
    let bearer = "Bearer tmdb-read-token";
    assert_eq!(
        *asked.lock().unwrap(),
        [
            searched("movie", "Past Lives", "", bearer),
            searched("tv", "Severance", "", bearer),
            searched("tv", "Severance", "", bearer),
            searched("movie", "Dune", "1984", bearer),
            searched("movie", "Nothing Like It", "", bearer),
            searched(
                "movie",
                "Dune",
                "",
                "api_key 0123456789abcdef0123456789abcdef"
            ),
        ],
        "a private film's title was sent, or one with no key on the device"
    );
    browser.quit().await;
}

/// What the list holds already is asked about before it is added again from the owner's page,
/// as `lately add` refuses it: the same kind and title (in any case and punctuation) with a
/// maker in common, or the same page by its link; nothing is written until "Add it anyway".
/// Another kind's title is another item.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_asks_before_adding_what_is_there_already() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    let dune = sys
        .add_item(json!({ "kind": "book", "title": "Dune", "creators": ["Frank Herbert"] }))
        .await;
    for _ in 0..2 {
        sys.write(
            reqwest::Method::POST,
            &format!("/v1/items/{dune}/finish"),
            json!({}),
        )
        .await;
    }
    sys.add_item(json!({ "kind": "article", "title": "The Slow Web", "url": "https://example.com/slow-web" }))
        .await;
    let browser = owners_page(&reader).await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let add = add_form;

    // The film of the book: another item, added without a question.
    browser.eval(&add("movie", "Dune", "")).await;
    browser.says("Added “Dune”: up next.").await;
    // The book again, typed otherwise: asked, nothing written.
    let head = log.head().await.unwrap();
    browser
        .eval(&add(
            "book",
            "dune!",
            "f.elements.by.value = 'frank herbert';",
        ))
        .await;
    browser
        .says("“Dune” by Frank Herbert is in your list already (finished 2 times). Add another all the same (another edition, a remake)?")
        .await;
    assert_eq!(log.head().await.unwrap(), head, "asking wrote");
    // Another page's article under the same link: asked too.
    browser
        .eval(&add(
            "article",
            "Slow, again",
            "f.elements.url.value = 'https://example.com/slow-web/#top';",
        ))
        .await;
    browser
        .says("“The Slow Web” is in your list already (up next). Add another all the same (another edition, a remake)?")
        .await;
    assert_eq!(log.head().await.unwrap(), head, "asking wrote");
    // Another edition of the book after all: "Add it anyway", once the page asks of it (the
    // question about the article has a button of the same name: tapped, it would add that).
    browser
        .eval(&add(
            "book",
            "dune!",
            "f.elements.by.value = 'frank herbert';",
        ))
        .await;
    browser
        .says("“Dune” by Frank Herbert is in your list already (finished 2 times). Add another all the same (another edition, a remake)?")
        .await;
    browser
        .until(
            "return document.querySelector('.status button.undo') && document.querySelector('.status button.undo').textContent",
            &json!("Add it anyway"),
            Duration::from_secs(5),
        )
        .await;
    browser.undo().await;
    browser.says("Added “dune!”: up next.").await;
    let added: Vec<(String, String)> = log
        .read_after(head, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let data = e.data.value().unwrap();
            (e.event_type, data["title"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(added, [("item_added".to_owned(), "dune!".to_owned())]);
    browser.quit().await;
}

/// A page added from where it was read: the bookmarklet, tapped on an article at another
/// site, opens the owner's page with the add form filled in from what the article says it is
/// (its title without the site's name, its author but not a profile's address, its picture,
/// its canonical address without the click's tracking); a phone's share (the manifest's share
/// target) fills it in from the title and the link inside the shared text, the kind by the
/// site. Nothing is written until "Add". Shared again once seen, the film's line shows alone
/// with its "Finish…" open.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_adds_a_page_shared_to_it_or_sent_by_its_bookmarklet() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    let article = blog(
        r#"<!doctype html><html><head><title>The Slow Web | The Paper</title>
<meta property="og:site_name" content="The Paper"><meta property="og:type" content="article">
<meta name="author" content="Jack Cheng"><meta name="author" content="https://example.com/jack">
<meta property="og:image" content="/img/slow-web.jpg">
<link rel="canonical" href="/2012/slow-web?utm_source=feed&amp;page=2#top">
</head><body><h1>The Slow Web</h1></body></html>"#
            .to_owned(),
    );
    // Its cover host has none of it: a 1×1 placeholder.
    sys.add_item(json!({ "kind": "book", "title": "Wild Seed", "cover_url": placeholder_cover() }))
        .await;
    sys.add_item(json!({ "kind": "book", "title": "Kindred", "cover_url": format!("{reader}/owner-icon.png") }))
        .await;
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    browser.says("").await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let head = log.head().await.unwrap();
    const FORM: &str = "const f = document.getElementById('add'); return f && location.search === '' ? ['kind', 'title', 'by', 'url', 'cover'].map(n => f.elements[n].value).concat(f.querySelector('details.more').open) : null";
    // The bookmarklet tapped on the page served on `port`, as a bookmark runs: the add form
    // filled in as `want` (its kind, title, by, link, cover, and its fold open).
    async fn bookmarked(browser: &Browser, bookmarklet: &Value, port: u16, want: Value) {
        browser.goto(&format!("http://127.0.0.1:{port}/")).await;
        browser
            .eval(&format!("location.href = {bookmarklet}"))
            .await;
        browser.until(FORM, &want, Duration::from_secs(10)).await;
    }

    // The add form shows the cover it would save as it is typed: a picture that loads; none
    // for digits that are no ISBN.
    let type_cover = |value: &str| {
        format!("const f = document.getElementById('add'); f.querySelector('details.more').open = true; f.elements.cover.value = '{value}'; f.elements.cover.dispatchEvent(new Event('input'));")
    };
    let preview = "const p = document.querySelector('#add img.preview'); return p.hidden ? 'hidden' : p.naturalWidth";
    browser
        .eval(&type_cover(&format!("{reader}/owner-icon.png")))
        .await;
    browser
        .until(preview, &json!(192), Duration::from_secs(5))
        .await;
    browser.eval(&type_cover("978-0-441-17271-8")).await;
    assert_eq!(browser.eval(preview).await, json!("hidden"));
    // A host's 1×1 placeholder (Open Library's for a cover it has none of): none shown.
    browser.eval(&type_cover(&placeholder_cover())).await;
    browser
        .until(
            "const p = document.querySelector('#add img.preview'); return p.complete && p.src.includes('/b/isbn/') && (p.hidden ? 'hidden' : p.naturalWidth)",
            &json!("hidden"),
            Duration::from_secs(5),
        )
        .await;
    browser.eval("document.getElementById('add').reset()").await;

    // On the owner's page the bookmarklet is to be dragged, not tapped.
    let bookmarklet = browser
        .eval("return document.getElementById('bookmarklet').href")
        .await;
    assert!(bookmarklet.as_str().unwrap().starts_with("javascript:"));
    browser
        .eval("document.getElementById('bookmarklet').click()")
        .await;
    browser
        .says("Drag “+ lately” to your bookmarks; tapped there on another page, it adds that page here.")
        .await;

    // Tapped on the article, as a bookmark runs: the form filled in, nothing written.
    bookmarked(
        &browser,
        &bookmarklet,
        article,
        json!([
            "article",
            "The Slow Web",
            "Jack Cheng",
            format!("http://127.0.0.1:{article}/2012/slow-web?page=2"),
            format!("http://127.0.0.1:{article}/img/slow-web.jpg"),
            true
        ]),
    )
    .await;
    browser
        .says("Filled in from the page you shared: look it over, then Add (“Add, finished” if you are done with it).")
        .await;
    // Its picture is gone from its site: no preview.
    browser
        .until(preview, &json!("hidden"), Duration::from_secs(5))
        .await;
    browser.screenshot("owner-bookmarklet.png").await;
    assert_eq!(log.head().await.unwrap(), head, "filling in wrote");
    browser
        .eval("document.getElementById('add').requestSubmit()")
        .await;
    browser.says("Added “The Slow Web”: up next.").await;
    // Each line with its cover: Kindred's, loaded; the article's picture, which its site no
    // longer has, its first letter instead of a broken picture; Wild Seed's placeholder its
    // letter instead of nothing.
    browser
        .until(
            "return [...document.querySelectorAll('#queue li')].map(li => { const c = li.querySelector('.cover'); return [li.querySelector('.p-name').textContent, c.tagName === 'IMG' ? c.naturalWidth : c.textContent]; })",
            &json!([["The Slow Web", "T"], ["Kindred", 192], ["Wild Seed", "W"]]),
            Duration::from_secs(5),
        )
        .await;
    let added = log.read_after(head, 10).await.unwrap();
    assert_eq!(added.len(), 1);
    let data = added[0].data.value().unwrap();
    assert_eq!(
        (
            &data["kind"],
            &data["title"],
            &data["creators"],
            &data["url"],
            &data["cover_url"]
        ),
        (
            &json!("article"),
            &json!("The Slow Web"),
            &json!(["Jack Cheng"]),
            &json!(format!("http://127.0.0.1:{article}/2012/slow-web?page=2")),
            &json!(format!("http://127.0.0.1:{article}/img/slow-web.jpg"))
        )
    );

    // A film's page, as a film site's: what it is, its name, its director and its poster in
    // its JSON-LD alone (an `@graph`), its `og:title` with the year.
    let film = blog(
        r#"<!doctype html><html><head><title>Past Lives (2023) directed by Celine Song • Films</title>
<meta property="og:title" content="Past Lives (2023)">
<script type="application/ld+json">
/* <![CDATA[ */
{"@context": "http://schema.org", "@graph": [{"@type": "WebPage", "name": "Films"},
 {"@type": "Movie", "name": "Past Lives", "director": [{"@type": "Person", "name": "Celine Song"}],
  "image": {"@type": "ImageObject", "url": "/posters/past-lives.jpg"}}]}
/* ]]> */
</script></head><body><h1>Past Lives</h1></body></html>"#
            .to_owned(),
    );
    let head = log.head().await.unwrap();
    bookmarked(
        &browser,
        &bookmarklet,
        film,
        json!([
            "movie",
            "Past Lives",
            "Celine Song",
            format!("http://127.0.0.1:{film}/"),
            format!("http://127.0.0.1:{film}/posters/past-lives.jpg"),
            true
        ]),
    )
    .await;
    assert_eq!(log.head().await.unwrap(), head, "filling in wrote");

    // Shared from a phone's browser as Android shares a page: its title, and its link in the
    // text, to the address the manifest names.
    let manifest_at = reqwest::Url::parse(&format!("{reader}/owner.webmanifest")).unwrap();
    let manifest: Value = sys
        .client
        .get(manifest_at.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let target = &manifest["share_target"];
    assert_eq!(target["method"], "GET");
    let mut share = manifest_at
        .join(target["action"].as_str().unwrap())
        .unwrap();
    share
        .query_pairs_mut()
        .append_pair(
            target["params"]["title"].as_str().unwrap(),
            "Aftersun • Letterboxd",
        )
        .append_pair(
            target["params"]["text"].as_str().unwrap(),
            "https://letterboxd.com/film/aftersun/?utm_medium=share",
        );
    let head = log.head().await.unwrap();
    browser.goto(share.as_str()).await;
    browser
        .until(
            FORM,
            &json!([
                "movie",
                "Aftersun",
                "",
                "https://letterboxd.com/film/aftersun/",
                "",
                true
            ]),
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(log.head().await.unwrap(), head, "filling in wrote");
    browser
        .eval("document.getElementById('add').requestSubmit()")
        .await;
    browser.says("Added “Aftersun”: up next.").await;
    let added = log.read_after(head, 10).await.unwrap();
    assert_eq!(
        (added.len(), &added[0].data.value().unwrap()["kind"]),
        (1, &json!("movie"))
    );

    // Shared again once seen: its line alone, its "Finish…" open; finished from there.
    let head = log.head().await.unwrap();
    browser.goto(share.as_str()).await;
    browser
        .says("“Aftersun” is up next in your list already: finish it here, or Add it again.")
        .await;
    let shown = "return [...document.querySelectorAll('#log li[data-find]')].filter(li => !li.hidden).map(li => [li.querySelector('.p-name').textContent, !!li.querySelector('details[open] form.finish')])";
    assert_eq!(browser.eval(shown).await, json!([["Aftersun", true]]));
    browser
        .eval("const f = document.querySelector('details[open] form.finish'); f.querySelector('select').value = '4'; f.requestSubmit();")
        .await;
    browser.finished_first("Aftersun").await;
    let written: Vec<(String, Value)> = log
        .read_after(head, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.event_type.clone(),
                e.data.value().unwrap()["rating"].clone(),
            )
        })
        .collect();
    assert_eq!(written, [("item_finished".to_owned(), json!(4.0))]);

    // An essay just read, shared and logged in one tap: "Add, finished".
    let head = log.head().await.unwrap();
    let mut essay = share.clone();
    essay
        .query_pairs_mut()
        .clear()
        .append_pair("title", "Against the Grain")
        .append_pair("text", "https://example.com/against-the-grain");
    browser.goto(essay.as_str()).await;
    browser
        .says("Filled in from the page you shared: look it over, then Add (“Add, finished” if you are done with it).")
        .await;
    browser
        .eval("const f = document.getElementById('add'); f.requestSubmit(f.querySelector('button[value=finished]'))")
        .await;
    browser
        .says("Added “Against the Grain” and finished it: rate it below, if you like.")
        .await;
    let written: Vec<String> = log
        .read_after(head, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(written, ["item_added", "item_finished"]);
    browser.finished_first("Against the Grain").await;
    // Its rating a tap away: its "Change…" open, the rating chosen next.
    browser
        .until(
            "const f = document.querySelector('#finished li form.revise'); return [f.parentElement.open, document.activeElement === f.querySelector('select')]",
            &json!([true, true]),
            Duration::from_secs(2),
        )
        .await;
    browser
        .eval("const f = document.querySelector('#finished li form.revise'); f.querySelector('select').value = '4.5'; f.requestSubmit();")
        .await;
    browser.says("Saved “Against the Grain”.").await;
    let revised = log.read_after(head, 10).await.unwrap();
    assert_eq!(
        (
            revised.len(),
            revised[2].event_type.as_str(),
            &revised[2].data.value().unwrap()["rating"]
        ),
        (3, "item_finish_revised", &json!(4.5))
    );
    browser.quit().await;
}

/// A long reading list (an import's to-read shelf) on the owner's page: the ten added last
/// show, with "All 12 up next" for the rest; the find box looks through all twelve; the
/// button shows them all, and they stay shown after a write.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_shows_ten_up_next_and_the_rest_on_a_tap() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    for n in 1..=12 {
        sys.add_item(json!({ "kind": "book", "title": format!("Book {n:02}") }))
            .await;
    }
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    let within = Duration::from_secs(5);
    // The button's words when it shows, then the lines up next that show.
    let shown = "const b = document.querySelector('button.all[data-list=queue]'); return [b.hidden ? null : b.textContent, ...[...document.querySelectorAll('#queue li')].filter(l => !l.hidden).map(l => l.querySelector('.p-name').textContent)]";
    let showing = |button: Option<&str>, books: Vec<u32>| {
        let mut all = vec![json!(button)];
        all.extend(books.into_iter().map(|n| json!(format!("Book {n:02}"))));
        Value::from(all)
    };
    let ten = showing(Some("All 12 up next"), (3..=12).rev().collect());
    browser.until(shown, &ten, within).await;
    let find = |words: &str| {
        format!("const f = document.getElementById('find'); f.value = '{words}'; f.dispatchEvent(new Event('input'));")
    };
    browser.eval(&find("book 01")).await;
    assert_eq!(browser.eval(shown).await, showing(None, vec![1]));
    browser.eval(&find("")).await;
    assert_eq!(browser.eval(shown).await, ten);
    browser
        .eval("document.querySelector('button.all[data-list=queue]').click()")
        .await;
    let twelve = showing(None, (1..=12).rev().collect());
    assert_eq!(browser.eval(shown).await, twelve);
    // A write reads the list again: all twelve still show, the one started gone.
    browser
        .eval("document.querySelector('#queue li:last-child form.start').requestSubmit()")
        .await;
    browser.says("Started “Book 01”.").await;
    browser
        .until(shown, &showing(None, (2..=12).rev().collect()), within)
        .await;
    browser.quit().await;
}

/// A show followed an episode at a time: "+1 episode" on the owner's page logs the next one;
/// a step logged meanwhile on another device makes the page's next tap a conflict (nothing
/// written) and shows the list as it is now, from where the tap after counts on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_counts_an_episode_on() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    let show = sys
        .add_item(json!({ "kind": "tv", "title": "Severance, season 2" }))
        .await;
    let progress = format!("/v1/items/{show}/progress");
    sys.write(
        reqwest::Method::POST,
        &progress,
        json!({ "done": 3, "of": 10 }),
    )
    .await;
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    let meta = FIRST_IN_PROGRESS;
    let within = Duration::from_secs(5);
    browser
        .until(meta, &json!("TV · episode 3 of 10"), within)
        .await;
    // Counted in episodes: a bare number is what is typed, on a phone's number pad.
    assert_eq!(
        browser
            .eval("return document.querySelector('#current li form.progress input').inputMode")
            .await,
        json!("numeric")
    );
    let next = "document.querySelector('#current li button.next').click()";
    browser.eval(next).await;
    browser
        .until(meta, &json!("TV · episode 4 of 10"), within)
        .await;
    // Another device logs episode 5; the page still shows 4.
    sys.write(
        reqwest::Method::POST,
        &progress,
        json!({ "done": 5, "of": 10 }),
    )
    .await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let head = log.head().await.unwrap();
    browser.eval(next).await;
    browser
        .says("It changed meanwhile (on another device?): the list shows it as it is now.")
        .await;
    browser
        .until(meta, &json!("TV · episode 5 of 10"), within)
        .await;
    assert_eq!(
        log.head().await.unwrap(),
        head,
        "the stale tap wrote nothing"
    );
    browser.eval(next).await;
    browser
        .until(meta, &json!("TV · episode 6 of 10"), within)
        .await;
    // Two episodes on, typed as the CLI takes it; five more would be past the end: refused by
    // the page, nothing written.
    logs(&browser, "+2", "TV · episode 8 of 10").await;
    assert_eq!(
        browser.eval(STATUS).await,
        json!("“Severance, season 2”: episode 8 of 10.")
    );
    // Meant "+1": the "Undo" logs episode 6 again, with the version the step made.
    browser.undo().await;
    browser
        .says("“Severance, season 2”: back at episode 6 of 10.")
        .await;
    browser
        .until(meta, &json!("TV · episode 6 of 10"), within)
        .await;
    let back = log.read_stream(&show).await.unwrap().pop().unwrap();
    let data = back.data.value().unwrap();
    assert_eq!(
        (back.event_type.as_str(), &data["done"], &data["of"]),
        ("item_progress_logged", &json!(6), &json!(10))
    );
    // Added, 3, 4, the other device's 5, 6, 8 and 6 again.
    assert_eq!(back.stream_version, 7);
    let head = log.head().await.unwrap();
    browser.eval(&log_progress("+5")).await;
    browser.says("“Severance, season 2” is at episode 6 of 10: +5 would be past the end (Finish… once you get there).").await;
    assert_eq!(log.head().await.unwrap(), head, "a step past the end wrote");
    browser.quit().await;
}

/// A book begun with nothing logged: "45" on the owner's page is asked about (page 45 of how
/// many?), not logged as 45%; said whole, it is page 45 of its count, and then a bare number
/// is a page. A podcast's episode begun asks for the player's time, and a game's first "20"
/// and a podcast's first "45" are asked about too (hours, minutes, or a percentage?).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_asks_a_first_page_of_how_many() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    let mut begun = Vec::new();
    for (kind, title) in [
        ("game", "Outer Wilds"),
        ("tv", "Severance, season 2"),
        ("podcast", "The Rest Is History: Napoleon"),
    ] {
        let id = sys.add_item(json!({ "kind": kind, "title": title })).await;
        sys.write(
            reqwest::Method::POST,
            &format!("/v1/items/{id}/start"),
            json!({}),
        )
        .await;
        begun.push(id);
    }
    let (book, _) = sys.start("Dune", "public", None).await;
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    let meta = FIRST_IN_PROGRESS;
    let within = Duration::from_secs(5);
    browser.until(meta, &json!("Book"), within).await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let head = log.head().await.unwrap();
    browser.eval(&log_progress("45")).await;
    browser
        .says("“Dune”: page 45 of how many? Say it whole, 45/… (45/412: page 45 of 412), or 45% for a percentage.")
        .await;
    assert_eq!(log.head().await.unwrap(), head, "a first bare number wrote");
    logs(&browser, "45/412", "Book · page 45 of 412").await;
    logs(&browser, "60", "Book · page 60 of 412").await;
    let last = log.read_stream(&book).await.unwrap().pop().unwrap();
    let data = last.data.value().unwrap();
    assert_eq!((&data["done"], &data["of"]), (&json!(60), &json!(412)));
    // A podcast's episode begun: its field asks for the player's time; a game's for hours
    // played; a show's for its season and episode, or episodes of a count.
    assert_eq!(
        browser
            .eval(&format!("return {begun:?}.map(id => document.querySelector('li[data-id=\"' + id + '\"] form.progress input').placeholder)"))
            .await,
        json!(["12h played or 40%", "S2E5 or 3/10", "40% or 45:10/1:20:00"])
    );
    let head = log.head().await.unwrap();
    for (id, typed, asked) in [
        (&begun[0], "20", "“Outer Wilds”: 20 what? Say 20h for hours played, or 20% for a percentage."),
        (&begun[2], "45", "“The Rest Is History: Napoleon”: 45 what? Say where you are of how long it runs (45:00/1:20:00: 45m of 1h 20m), or 45% for a percentage."),
    ] {
        browser
            .eval(&format!("const f = document.querySelector('li[data-id=\"{id}\"] form.progress'); f.elements.at.value = '{typed}'; f.requestSubmit();"))
            .await;
        browser.says(asked).await;
    }
    assert_eq!(log.head().await.unwrap(), head, "a first bare number wrote");
    browser.quit().await;
}

/// An audiobook followed in running time, as its player shows it: the owner's page says where
/// it is as a time, takes "+45m" on from there (with the item's version), offers no "+1" (a
/// second), and refuses a bare number, which is no time, writing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_follows_an_audiobook_in_running_time() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    let book = sys
        .add_item(json!({ "kind": "book", "title": "Piranesi" }))
        .await;
    sys.write(
        reqwest::Method::POST,
        &format!("/v1/items/{book}/progress"),
        json!({ "done": 4_800, "of": 15_120, "unit": "seconds" }),
    )
    .await;
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    let meta = FIRST_IN_PROGRESS;
    let within = Duration::from_secs(5);
    browser
        .until(meta, &json!("Audiobook · 1h 20m of 4h 12m"), within)
        .await;
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('#current li button.next').length")
            .await,
        json!(0)
    );
    // A phone's keyboard with ":" and letters, not its number pad.
    assert_eq!(
        browser
            .eval("const i = document.querySelector('#current li form.progress input'); return [i.inputMode, i.placeholder]")
            .await,
        json!(["text", "at (of 4h 12m)"])
    );
    browser.eval(&log_progress("+45m")).await;
    browser.says("“Piranesi”: 2h 5m of 4h 12m.").await;
    browser
        .until(meta, &json!("Audiobook · 2h 5m of 4h 12m"), within)
        .await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let last = log.read_stream(&book).await.unwrap().pop().unwrap();
    let data = last.data.value().unwrap();
    assert_eq!(
        (&data["done"], &data["of"], &data["unit"], &data["percent"]),
        (&json!(7_500), &json!(15_120), &json!("seconds"), &json!(49))
    );
    let head = log.head().await.unwrap();
    browser.eval(&log_progress("+20")).await;
    browser
        .says("“Piranesi” is at 2h 5m of 4h 12m, in running time: say it as a time (2:05:00 where you are, +45m further on).")
        .await;
    assert_eq!(log.head().await.unwrap(), head, "a bare step wrote");
    browser.quit().await;
}

/// A game followed in hours played, of however long it takes: a time alone is its hours
/// played, with no percentage (a guide's "40 hours" is no whole anyone is held to), said so on
/// the owner's page, in the widget (no bar) and on the item's page; "+2h" goes on from them,
/// and its Undo goes back; "12h/40h", of how many it takes, is taken too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_takes_a_games_hours_played() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    let game = sys
        .add_item(json!({ "kind": "game", "title": "Outer Wilds" }))
        .await;
    sys.write(
        reqwest::Method::POST,
        &format!("/v1/items/{game}/progress"),
        json!({ "percent": 50 }),
    )
    .await;
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    let within = Duration::from_secs(5);
    browser
        .until(FIRST_IN_PROGRESS, &json!("Game · 50%"), within)
        .await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    browser.eval(&log_progress("12h played")).await;
    browser.says("“Outer Wilds”: 12h played.").await;
    browser
        .until(FIRST_IN_PROGRESS, &json!("Game · 12h played"), within)
        .await;
    let last = log.read_stream(&game).await.unwrap().pop().unwrap();
    assert_eq!(last.schema_version, 2);
    assert_eq!(
        last.data.value().unwrap(),
        json!({ "done": 43_200, "unit": "seconds", "at": last.data.value().unwrap()["at"] })
    );
    assert_eq!(
        browser
            .eval("return document.querySelector('#current li form.progress input').placeholder")
            .await,
        json!("at (12h played)")
    );
    // On from there, and back.
    browser.eval(&log_progress("+2h")).await;
    browser.says("“Outer Wilds”: 14h played.").await;
    browser
        .until(FIRST_IN_PROGRESS, &json!("Game · 14h played"), within)
        .await;
    browser.undo().await;
    browser.says("“Outer Wilds”: back at 12h played.").await;
    browser
        .until(FIRST_IN_PROGRESS, &json!("Game · 12h played"), within)
        .await;
    // A bare number is no time.
    let head = log.head().await.unwrap();
    browser.eval(&log_progress("+2")).await;
    browser
        .says("“Outer Wilds” is at 12h played, in hours played: say it as a time (14h in all, +2h further on).")
        .await;
    assert_eq!(log.head().await.unwrap(), head, "a bare step wrote");
    // The public side: the widget's list and the item's page say the hours, with no bar.
    let widget = sys
        .json_text(format!("{reader}/widget?show=current&kind=game"))
        .await;
    assert!(
        widget.contains(r#"<span class="far">12h played</span> · updated"#)
            && !widget.contains("<progress"),
        "{widget}"
    );
    let page = sys.json_text(format!("{reader}/items/{game}")).await;
    assert!(
        page.contains(r#"In progress: <span class="far">12h played</span>"#),
        "{page}"
    );
    // And a blog's "now playing" and "recently finished", by the widget's script: a game
    // begun three days ago and finished after 62 hours says them, as your log's page does.
    let hades = sys
        .add_item(json!({ "kind": "game", "title": "Hades" }))
        .await;
    let begun = chrono::Utc::now() - chrono::Duration::days(3);
    sys.write(
        reqwest::Method::POST,
        &format!("/v1/items/{hades}/start"),
        json!({ "at": begun.to_rfc3339() }),
    )
    .await;
    sys.write(
        reqwest::Method::POST,
        &format!("/v1/items/{hades}/progress"),
        json!({ "done": 223_200, "unit": "seconds" }),
    )
    .await;
    let last = sys
        .write(
            reqwest::Method::POST,
            &format!("/v1/items/{hades}/finish"),
            json!({ "tweet": false }),
        )
        .await;
    sys.converged(
        std::slice::from_ref(&reader),
        last["position"].as_i64().unwrap(),
    )
    .await;
    let blog_port = blog(format!(
        r#"<!doctype html><html lang="en"><head></head><body>
<div data-lately data-show="current" data-kind="game"></div>
<div id="finished" data-lately></div>
<script src="{reader}/widget.js" async></script></body></html>"#
    ));
    let visitor = Browser::start().await;
    visitor.open_blog(blog_port, &json!(["Outer Wilds"])).await;
    assert_eq!(
        visitor
            .eval("const r = document.querySelector('[data-lately]').shadowRoot; return [r.querySelector('li .far').textContent, r.querySelectorAll('li progress').length]")
            .await,
        json!(["12h played", 0])
    );
    visitor
        .until(
            "const h = document.getElementById('finished'); const p = h.shadowRoot && h.shadowRoot.querySelector('li .played'); return p ? p.textContent : ''",
            &json!("62h played"),
            within,
        )
        .await;
    visitor.quit().await;
    browser.goto(&format!("{reader}/owner")).await;
    browser.finished_first("Hades").await;
    let meta = browser
        .eval("return document.querySelector('#finished .meta').textContent")
        .await;
    assert!(
        meta.as_str()
            .unwrap()
            .ends_with(" · took 3 days · 62h played"),
        "{meta}"
    );
    // Of how many it takes, when that is known.
    logs(&browser, "12h/40h", "Game · 12h of 40h").await;
    let last = log.read_stream(&game).await.unwrap().pop().unwrap();
    let data = last.data.value().unwrap();
    assert_eq!(
        (&data["done"], &data["of"], &data["unit"], &data["percent"]),
        (
            &json!(43_200),
            &json!(144_000),
            &json!("seconds"),
            &json!(30)
        )
    );
    assert_eq!(last.schema_version, 1);
    // A time is then of that whole; said "played", the whole is dropped again.
    logs(&browser, "13h", "Game · 13h of 40h").await;
    logs(&browser, "13h played", "Game · 13h played").await;
    browser.quit().await;
}

/// A show followed by season and episode on your log's page: "S2E5" is a v3 event with no
/// percentage, shown "S2 E5" with no bar (on the page, the widget's page, the item's page and
/// `widget.js` on a blog); "+1 episode" and a bare number go on in that season, each with its
/// Undo; "s3e1" moves on to the next; a first bare number names the season's way.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owners_log_page_follows_a_show_by_season_and_episode() {
    let sys = system().await;
    let reader = owners_reader(&sys).await;
    let show = sys
        .add_item(json!({ "kind": "tv", "title": "Severance" }))
        .await;
    sys.write(
        reqwest::Method::POST,
        &format!("/v1/items/{show}/start"),
        json!({}),
    )
    .await;
    let browser = Browser::start().await;
    browser.goto(&format!("{reader}/owner")).await;
    give_token(&browser, common::TOKEN).await;
    // Null-safe: the list is drawn after the page loads, and again after each write.
    let input = "const i = document.querySelector('#current li form.progress input'); return i ? i.placeholder : ''";
    browser
        .until(input, &json!("S2E5 or 3/10"), Duration::from_secs(5))
        .await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let head = log.head().await.unwrap();
    browser.eval(&log_progress("3")).await;
    browser
        .says("“Severance”: episode 3 of how many? Say it whole, 3/… (3/412: episode 3 of 412), S1E3 for season 1's, or 3% for a percentage.")
        .await;
    assert_eq!(log.head().await.unwrap(), head, "a first bare number wrote");
    logs(&browser, "S2E5", "TV · S2 E5").await;
    browser.says("“Severance”: S2 E5.").await;
    let last = log.read_stream(&show).await.unwrap().pop().unwrap();
    let data = last.data.value().unwrap();
    assert_eq!(
        (
            last.schema_version,
            &data["season"],
            &data["done"],
            data.get("percent")
        ),
        (3, &json!(2), &json!(5), None)
    );
    browser
        .until(input, &json!("at (S2 E5)"), Duration::from_secs(5))
        .await;
    browser
        .eval("document.querySelector('#current li button.next').click()")
        .await;
    browser.says("“Severance”: S2 E6.").await;
    browser.undo().await;
    browser.says("“Severance”: back at S2 E5.").await;
    logs(&browser, "7", "TV · S2 E7").await;
    logs(&browser, "s3e1", "TV · S3 E1").await;
    // The public side, with no bar: the widget's page, the item's page, and a blog's
    // "now watching" by the widget's script.
    let widget = sys.json_text(format!("{reader}/widget?show=current")).await;
    assert!(
        widget.contains(r#"<span class="far">S3 E1</span> · updated"#)
            && !widget.contains("<progress"),
        "{widget}"
    );
    let page = sys.json_text(format!("{reader}/items/{show}")).await;
    assert!(
        page.contains(r#"In progress: <span class="far">S3 E1</span>"#),
        "{page}"
    );
    let blog_port = blog(format!(
        r#"<!doctype html><html lang="en"><head></head><body>
<div data-lately data-show="current"></div>
<script src="{reader}/widget.js" async></script></body></html>"#
    ));
    let visitor = Browser::start().await;
    visitor.open_blog(blog_port, &json!(["Severance"])).await;
    assert_eq!(
        visitor
            .eval("const r = document.querySelector('[data-lately]').shadowRoot; return [r.querySelector('li .far').textContent, r.querySelectorAll('li progress').length]")
            .await,
        json!(["S3 E1", 0])
    );
    visitor.quit().await;
    browser.quit().await;
}

/// A blog's "currently reading": `data-show="current"` lists the public items in progress of
/// the kind asked for, with how far along each is, and shows new progress when it reads the
/// list again (every minute, and when the page becomes visible: here, told so).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn widget_js_shows_what_is_in_progress_with_how_far() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let post = |path: String, body: Value| {
        let sys = &sys;
        async move { sys.write(reqwest::Method::POST, &path, body).await }
    };
    let (reading, _) = sys
        .start("The Dispossessed", "public", Some(json!({ "percent": 40 })))
        .await;
    let (xss, _) = sys.start(XSS, "public", None).await;
    sys.start("Secret notebook", "private", None).await;
    sys.add("Not started", "public").await;
    let film = sys
        .write(
            reqwest::Method::POST,
            "/v1/items",
            json!({ "kind": "movie", "title": "A film" }),
        )
        .await;
    let film = film["id"].as_str().unwrap();
    let last = post(format!("/v1/items/{film}/start"), json!({})).await;
    sys.converged(
        std::slice::from_ref(&reader),
        last["position"].as_i64().unwrap(),
    )
    .await;

    let blog_html = format!(
        r#"<!doctype html><html lang="en"><head></head><body><h1>Now</h1>
<div data-lately data-show="current" data-kind="book" data-theme="light"></div>
<script src="{reader}/widget.js" async></script></body></html>"#
    );
    let blog_port = blog(blog_html);

    let browser = Browser::start().await;
    browser
        .open_blog(blog_port, &json!([XSS, "The Dispossessed"]))
        .await;
    const SHADOW: &str = "const r = document.querySelector('[data-lately]').shadowRoot;";
    let progress = format!(
        "{SHADOW} return [...r.querySelectorAll('li.h-entry')].map(li => {{ const p = li.querySelector('progress'); return p ? p.value : li.querySelector('.meta').textContent.includes('started') ? 'started' : null; }})"
    );
    assert_eq!(browser.eval(&progress).await, json!(["started", 40]));
    assert_eq!(
        browser
            .eval(&format!(
                "{SHADOW} return r.querySelector('h2').textContent"
            ))
            .await,
        json!("In progress")
    );
    // Under the list, the reader's page of everything in progress, the filter kept.
    assert_eq!(
        browser
            .eval(&format!("{SHADOW} return r.querySelector('p.more a').href"))
            .await,
        json!(format!("{reader}/in-progress?kind=book"))
    );
    assert_eq!(
        browser
            .eval(&format!(
                "{SHADOW} return r.querySelectorAll('img[src=\"x\"]').length"
            ))
            .await,
        json!(0)
    );

    // Progress logged, in pages this time, and the other item finished: shown once the list
    // is read again, the page said as the owner counted it.
    post(
        format!("/v1/items/{reading}/progress"),
        json!({ "done": 290, "of": 387 }),
    )
    .await;
    let done = post(format!("/v1/items/{xss}/finish"), json!({})).await;
    sys.converged(
        std::slice::from_ref(&reader),
        done["position"].as_i64().unwrap(),
    )
    .await;
    browser
        .eval("document.dispatchEvent(new Event('visibilitychange')); return true")
        .await;
    browser
        .until(&progress, &json!([74]), Duration::from_secs(5))
        .await;
    assert_eq!(
        browser
            .eval(&format!(
                "{SHADOW} return r.querySelector('li.h-entry .meta').textContent.includes(' page 290 of 387 · updated ')"
            ))
            .await,
        json!(true)
    );
    // Listened to as an audiobook now: its place said as a time, as the reader's pages say it.
    let timed = post(
        format!("/v1/items/{reading}/progress"),
        json!({ "done": 7_500, "of": 15_120, "unit": "seconds" }),
    )
    .await;
    sys.converged(
        std::slice::from_ref(&reader),
        timed["position"].as_i64().unwrap(),
    )
    .await;
    browser
        .eval("document.dispatchEvent(new Event('visibilitychange')); return true")
        .await;
    browser
        .until(
            // An audiobook now, as the reader's pages say it.
            &format!("{SHADOW} const m = r.querySelector('li.h-entry .meta').textContent; return m.startsWith('Audiobook · ') && m.includes(' 2h 5m of 4h 12m · ')"),
            &json!(true),
            Duration::from_secs(5),
        )
        .await;
    // In a phone's narrow column, how far stays on one line beside its bar (moved under the
    // kind whole), not "2h" on one line and "5m of 4h 12m" on the next.
    assert_eq!(
        browser
            .eval(&format!(
                "{SHADOW} document.querySelector('[data-lately]').style.width = '280px'; const far = r.querySelector('li.h-entry .far'); const words = document.createRange(); words.selectNodeContents(far.lastChild); const lines = words.getClientRects(); const bar = far.querySelector('progress').getBoundingClientRect(); return [far.lastChild.textContent, lines.length, bar.bottom > lines[0].top && bar.top < lines[0].bottom, far.getBoundingClientRect().top > r.querySelector('li.h-entry .kind').getBoundingClientRect().bottom - 2]"
            ))
            .await,
        json!([" 2h 5m of 4h 12m", 1, true, true])
    );
    browser.screenshot("widget-current.png").await;

    // A podcast counted in its own units is counted in episodes, as a show is: said so by the
    // script as by the reader's own markup (they said "412 of 600", your log's page "episode").
    let show = sys
        .write(
            reqwest::Method::POST,
            "/v1/items",
            json!({ "kind": "podcast", "title": "The Rest Is History" }),
        )
        .await;
    let show = show["id"].as_str().unwrap();
    post(format!("/v1/items/{show}/start"), json!({})).await;
    let counted = post(
        format!("/v1/items/{show}/progress"),
        json!({ "done": 412, "of": 600 }),
    )
    .await;
    sys.converged(
        std::slice::from_ref(&reader),
        counted["position"].as_i64().unwrap(),
    )
    .await;
    let podcasts = blog(format!(
        r#"<!doctype html><html lang="en"><head></head><body>
<div data-lately data-show="current" data-kind="podcast" data-theme="light"></div>
<script src="{reader}/widget.js" async></script></body></html>"#
    ));
    browser
        .open_blog(podcasts, &json!(["The Rest Is History"]))
        .await;
    assert_eq!(
        browser
            .eval(&format!(
                "{SHADOW} return r.querySelector('li.h-entry .far').textContent"
            ))
            .await,
        json!("68% episode 412 of 600")
    );
    let markup = sys
        .get(format!("{reader}/widget?show=current&kind=podcast"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        markup.contains("68%</progress> episode 412 of 600</span>"),
        "{markup}"
    );

    // Finished: the blog's list of finishes names it as it was had, an audiobook (the other
    // finish a book).
    let done = post(format!("/v1/items/{reading}/finish"), json!({})).await;
    sys.converged(
        std::slice::from_ref(&reader),
        done["position"].as_i64().unwrap(),
    )
    .await;
    let finishes = blog(format!(
        r#"<!doctype html><html lang="en"><head></head><body>
<div data-lately data-theme="light"></div>
<script src="{reader}/widget.js" async></script></body></html>"#
    ));
    browser
        .open_blog(finishes, &json!(["The Dispossessed", XSS]))
        .await;
    assert_eq!(
        browser
            .eval(&format!(
                "{SHADOW} return [...r.querySelectorAll('li.h-entry .kind')].map(k => k.textContent)"
            ))
            .await,
        json!(["Audiobook · ", "Book · "])
    );
    browser.quit().await;
}

/// `data-show="stats"` renders a year's counts as `/widget?show=stats` does: the owner's
/// current year by default (its heading says which), with the owner's goals for it
/// (`LATELY_GOALS`), or `data-year`; of one kind against `data-goal`, in the same markup as
/// the page's and with the same pace; read again, a new finish counts. The finishes' list
/// with `data-year` is that year's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn widget_js_counts_a_year_by_kind_and_against_a_goal() {
    let sys = system().await;
    let mut cfg = reader_config(&sys.database_url);
    cfg.goals = lately_projection::Goals::parse("book=3").unwrap();
    let reader = sys.reader(cfg).await;
    sys.finish("The Dispossessed", json!({})).await;
    let (_, last) = sys
        .finish("Old book", json!({ "kind": "book", "title": "Old book" }))
        .await;
    let backdated = sys
        .write(
            reqwest::Method::POST,
            "/v1/items",
            json!({ "kind": "movie", "title": "Heat" }),
        )
        .await;
    let heat = backdated["id"].as_str().unwrap();
    sys.write(
        reqwest::Method::POST,
        &format!("/v1/items/{heat}/finish"),
        json!({ "at": "2025-07-01T12:00:00Z" }),
    )
    .await;
    // A game finished this year after 62 hours played: its hours beside its count.
    let hades = sys
        .add_item(json!({ "kind": "game", "title": "Hades" }))
        .await;
    sys.write(
        reqwest::Method::POST,
        &format!("/v1/items/{hades}/progress"),
        json!({ "done": 223_200, "unit": "seconds" }),
    )
    .await;
    let played = sys
        .write(
            reqwest::Method::POST,
            &format!("/v1/items/{hades}/finish"),
            json!({ "tweet": false }),
        )
        .await;
    sys.converged(
        std::slice::from_ref(&reader),
        played["position"].as_i64().unwrap().max(last),
    )
    .await;

    let blog_html = format!(
        r#"<!doctype html><html lang="en"><head></head><body><h1>My year</h1>
<div id="now" data-lately data-show="stats" data-theme="light"></div>
<div id="then" data-lately data-show="stats" data-year="2025" data-title="Back then"></div>
<div id="films" data-lately data-show="stats" data-year="2025" data-kind="movie" data-goal="2"></div>
<div id="pace" data-lately data-show="stats" data-kind="book" data-goal="100000"></div>
<div id="watched" data-lately data-year="2025" data-heading="false"></div>
<div id="quiet" data-lately data-show="stats" data-heading="false"></div>
<script src="{reader}/widget.js" async></script></body></html>"#
    );
    let blog_port = blog(blog_html);
    let browser = Browser::start().await;
    browser
        .goto(&format!("http://127.0.0.1:{blog_port}/"))
        .await;
    let shown = |id: &str| {
        format!(
            "const h = document.getElementById('{id}'); const r = h && h.shadowRoot; return r ? [r.querySelector('h2').textContent, ...[...r.querySelectorAll('ol.stats li')].map(li => li.textContent)] : []"
        )
    };
    let year = chrono::Datelike::year(&chrono::Utc::now());
    // This year's, with the owner's goal: the reader's own markup, its pace as the reader
    // counts it on the owner's date.
    let now = sys.json_text(format!("{reader}/widget?show=stats")).await;
    let served = stats_list(&now).to_owned();
    assert!(
        served.contains(r#"<li data-kind="book"><strong>2</strong> books</li>"#)
            && served.contains(
                r#"<li data-kind="game"><strong>1</strong> game <span class="meta played">· 62h played</span></li>"#
            )
            && served.contains(r#"<li class="goal">"#)
            && served.contains("</strong> of 3 books · 66%"),
        "{served}"
    );
    browser
        .until(
            "const r = document.getElementById('now').shadowRoot; return r ? [r.querySelector('h2').textContent, r.querySelector('ol.stats').innerHTML] : []",
            &json!([format!("Finished in {year}"), served]),
            Duration::from_secs(5),
        )
        .await;
    browser
        .until(
            &shown("then"),
            &json!(["Back then", "1 film finished", "", "JFMAMJJASOND"]),
            Duration::from_secs(5),
        )
        .await;
    // A year's finishes: 2025's film, not this year's books; under the blog's own heading,
    // none of its own shown, its title naming the section (the one above shows its own).
    let heading = |id: &str| {
        format!(
            "const r = document.getElementById('{id}').shadowRoot; const h = r && r.querySelector('h2'); \
             return h ? [h.textContent, h.offsetHeight > 0, r.querySelector('section').getAttribute('aria-label'), \
             ...[...r.querySelectorAll('li .title')].map(t => t.textContent)] : []"
        )
    };
    browser
        .until(
            &heading("watched"),
            &json!(["Finished in 2025", false, "Finished in 2025", "Heat"]),
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(
        browser.eval(&heading("then")).await,
        json!(["Back then", true, null])
    );
    // This year's counts without a heading shown: once the counts say which year it is,
    // the section's name says it too, not the "this year" it started with.
    browser
        .until(
            "const r = document.getElementById('quiet').shadowRoot; return r && r.querySelector('ol.stats li') ? \
             [r.querySelector('h2').hidden, r.querySelector('section').getAttribute('aria-label')] : []",
            &json!([true, format!("Finished in {year}")]),
            Duration::from_secs(5),
        )
        .await;
    // Against a goal: the markup the reader's own page has for the same options, and this
    // year's pace as the reader counts it (an even pace, rounded down, by the owner's date).
    let films = sys
        .json_text(format!(
            "{reader}/widget?show=stats&year=2025&kind=movie&goal=2"
        ))
        .await;
    let served = stats_list(&films).to_owned();
    assert!(served.contains("1 film short of the goal"), "{served}");
    browser
        .until(
            "const r = document.getElementById('films').shadowRoot; return r ? r.querySelector('ol.stats').innerHTML : ''",
            &json!(served),
            Duration::from_secs(5),
        )
        .await;
    // Under the counts, the year's page on the reader, the filters kept; this year's once
    // the counts said which year it is.
    let link = |id: &str| {
        format!("const r = document.getElementById('{id}').shadowRoot; return r.querySelector('p.more a').href")
    };
    assert_eq!(
        browser.eval(&link("films")).await,
        json!(format!("{reader}/years/2025?kind=movie"))
    );
    assert_eq!(
        browser.eval(&link("now")).await,
        json!(format!("{reader}/years/{year}"))
    );
    let today = chrono::Utc::now().date_naive();
    let days = chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
    let expected = 100_000 * u64::from(chrono::Datelike::ordinal(&today))
        / u64::from(chrono::Datelike::ordinal(&days));
    browser
        .until(
            &shown("pace"),
            &json!([
                format!("Finished in {year}"),
                "2 books finished 4.0★ on average over 2 rated",
                format!(
                    "0% 2 of 100000 books · 0% {} books behind schedule",
                    expected - 2
                ),
                "",
                "JFMAMJJASOND"
            ]),
            Duration::from_secs(5),
        )
        .await;

    let (_, more) = sys.finish("A third", json!({})).await;
    sys.converged(std::slice::from_ref(&reader), more).await;
    browser
        .eval("document.dispatchEvent(new Event('visibilitychange')); return true")
        .await;
    browser
        .until(
            &shown("now"),
            &json!([
                format!("Finished in {year}"),
                "4 finished 4.0★ on average over 3 rated",
                "100% 3 of 3 books · 100% goal reached",
                "3 books",
                "1 game · 62h played",
                "",
                "JFMAMJJASOND"
            ]),
            Duration::from_secs(5),
        )
        .await;
    browser.screenshot("widget-stats.png").await;
    browser.quit().await;
}

/// A reverse proxy serving the reader under `/lately/` on a port of its own, as a blog's web
/// server would (nginx: `location /lately/ { proxy_pass http://reader/; }`), streaming each
/// answer as it comes (the live stream included). Returns the reader's URL through it.
fn under_a_path(reader: String) -> String {
    let client = reqwest::Client::new();
    let server = HttpServer::new(move || {
        let (reader, client) = (reader.clone(), client.clone());
        App::new().default_service(web::to(move |req: actix_web::HttpRequest| {
            let (reader, client) = (reader.clone(), client.clone());
            async move {
                let path = req.uri().path_and_query().map_or("", |p| p.as_str());
                let Some(rest) = path.strip_prefix("/lately/") else {
                    return HttpResponse::NotFound().finish();
                };
                let mut upstream = client.get(format!("{reader}/{rest}"));
                for (name, value) in req.headers() {
                    if name != "host" {
                        upstream = upstream.header(name.as_str(), value.as_bytes());
                    }
                }
                let res = upstream.send().await.unwrap();
                let mut out = HttpResponse::build(
                    actix_web::http::StatusCode::from_u16(res.status().as_u16()).unwrap(),
                );
                for (name, value) in res.headers() {
                    if !["connection", "content-length", "transfer-encoding"]
                        .contains(&name.as_str())
                    {
                        out.insert_header((name.as_str(), value.as_bytes()));
                    }
                }
                out.streaming(res.bytes_stream())
            }
        }))
    })
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    format!("http://127.0.0.1:{port}/lately")
}

/// A reader served under a path of a blog's own server: the page and the embed load their
/// script, read the feed and follow the stream there, not at the server's root.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_widget_works_from_a_reader_served_under_a_path() {
    let sys = system().await;
    let reader = sys.reader(reader_config(&sys.database_url)).await;
    let (_, last) = sys.finish("Dune", json!({})).await;
    sys.converged(std::slice::from_ref(&reader), last).await;
    let lately = under_a_path(reader.clone());
    let blog_port = blog(format!(
        r#"<!doctype html><html lang="en"><head></head><body><h1>Read</h1>
<div data-lately data-limit="3"></div>
<script src="{lately}/widget.js" async></script></body></html>"#
    ));

    let browser = Browser::start().await;
    // The page: its script (dates localised), and live.
    browser.goto(&format!("{lately}/widget?lang=en")).await;
    assert_eq!(browser.eval(TITLES_IN_PAGE).await, json!(["Dune"]));
    browser.dates_localised().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    sys.finish("Piranesi", json!({})).await;
    browser
        .until(
            TITLES_IN_PAGE,
            &json!(["Piranesi", "Dune"]),
            Duration::from_secs(2),
        )
        .await;
    // The embed on another site: the feed, then live.
    browser
        .open_blog(blog_port, &json!(["Piranesi", "Dune"]))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    sys.finish("Outer Wilds", json!({ "kind": "game" })).await;
    browser
        .until(
            TITLES_IN_EMBED,
            &json!(["Outer Wilds", "Piranesi", "Dune"]),
            Duration::from_secs(2),
        )
        .await;
    browser.quit().await;
}
