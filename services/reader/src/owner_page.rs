//! `/owner`: your log from a phone. You finish a book in bed, not at a terminal: this page
//! lists what you have in progress and up next (the owner's list, private items too), your
//! latest finishes and what you gave up on; it adds (a page shared to it from a phone, or
//! sent by its bookmarklet, fills the form in), starts, logs progress, finishes with a
//! rating and a review (tweeted or not; from up next too), gives up and takes up again,
//! starts or finishes a finished item again (a re-read, a rewatch), changes a finish's rating
//! and review, edits an item's fields (its cover by a book's ISBN too) or removes it, and
//! undoes a start, a progress step, a finish, a give-up, an add or a removal made by mistake.
//! Under each finish it says how its tweet went, from the notifier's outbox
//! (`LATELY_NOTIFIER_PUBLIC_URL`, by default this host on port 8089): tweeted (with a link),
//! waiting and until when, or not, and why, with a button to try again where X refused it.
//!
//! The page is the same for everyone and holds nothing of yours: `owner.js` asks for the
//! owner's token once and keeps it on the device (`localStorage`), reads the list from this
//! reader with it, and writes to the writer (`LATELY_WRITER_PUBLIC_URL`, by default this host
//! on port 8081), which allows that origin (CORS). Each write carries an `Idempotency-Key`
//! kept across its retry, so a flaky connection records a finish once; the list is then read
//! at the write's position, so it shows the write. A write the writer cannot be reached for
//! is kept on the device with that key and the moment it was made, and sent, in order, when
//! it can be; and where service workers run (`owner-sw.js`: https, or this machine) the page
//! opens with no connection, showing the list the device last read, since a phone is offline
//! where books are finished (a plane, a train).
//!
//! Text from the log is only ever set as text (`textContent`), and the page's
//! Content-Security-Policy runs no script but `owner.js`; it loads the items' covers from
//! wherever they are, as the public pages do.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::feeds::escape;
use crate::page::PAGE_CSS;
use crate::startup::AppState;
use crate::widget::CSS;

/// The form's and the list's rules over the pages'.
const OWNER_CSS: &str = ".lately.owner [hidden] { display: none; }
.lately.owner form { display: flex; flex-wrap: wrap; gap: .5rem; margin: 0 0 1rem; }
.lately.owner input, .lately.owner select, .lately.owner textarea, .lately.owner button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: .35rem .5rem; }
.lately.owner input[name=title] { flex: 1 1 12rem; }
.lately.owner input[name=by], .lately.owner input[name=tags] { flex: 1 1 8rem; }
.lately.owner input[name=url], .lately.owner input[name=cover] { flex: 1 1 12rem; }
.lately.owner .more { flex: 1 1 100%; }
.lately.owner .more > div { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0 0; }
.lately.owner textarea { flex: 1 1 100%; min-height: 4rem; }
.lately.owner #find { width: 100%; box-sizing: border-box; }
.lately.owner button { cursor: pointer; border-color: var(--accent); color: var(--accent); }
.lately.owner button:disabled { opacity: .5; cursor: wait; }
.lately.owner li form { margin: .5rem 0 0; }
.lately.owner li details { margin: .5rem 0 0; }
.lately.owner summary { cursor: pointer; color: var(--accent); }
.lately.owner .again { padding-left: 1.1rem; }
/* Wide enough for its placeholder (episode (of 600), 40% or 45:10/1:20:00): on a phone it takes the row, its buttons below. */
.lately.owner li input[name=at] { flex: 1 1 11rem; min-width: 0; max-width: 16rem; }
.lately.owner li input[name=day] { width: 9.5rem; }
.lately.owner label { display: flex; gap: .35rem; align-items: center; }
.lately.owner .tip { margin-bottom: .75rem; }
.lately.owner #posters { margin-top: .75rem; }
.lately.owner li > div { flex: 1; min-width: 0; }
.lately.owner .cover.preview { height: auto; max-height: 72px; }
.lately.owner .status { min-height: 1.4em; margin: 0 0 .75rem; color: var(--muted); }
.lately.owner .status.bad { color: #c0392b; }
.lately.owner .tweet { margin: .25rem 0 0; color: var(--muted); font-size: .9em; }
.lately.owner .tweet.bad, .lately.owner .hold { color: #c0392b; }
.lately.owner .tweet button { margin-left: .5rem; padding: .1rem .4rem; font-size: inherit; }
.lately.owner .kept { margin: 0 0 .75rem; padding: .5rem .75rem; border: 1px dashed var(--accent); border-radius: 4px; }";

/// `GET /owner`
pub async fn page(state: web::Data<AppState>) -> HttpResponse {
    let writer = state.writer_public_url.as_deref().unwrap_or("");
    let notifier = state.notifier_public_url.as_deref().unwrap_or("");
    let kinds = lately_domain::MediaKind::ALL
        .iter()
        .map(|k| format!(r#"<option value="{}">{}</option>"#, k.as_str(), k.label()))
        .collect::<String>();
    let body = format!(
        r##"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Your log · lately</title>
<link rel="manifest" href="owner.webmanifest"><link rel="icon" href="owner-icon.svg">
<link rel="apple-touch-icon" href="owner-icon.png">
<meta name="theme-color" content="#8a4b00">
<style>{CSS}
{PAGE_CSS}
{OWNER_CSS}</style></head>
<body><main class="lately page owner" data-theme="auto" data-writer="{writer}" data-notifier="{notifier}" data-open-library="{open_library}" data-tmdb="{tmdb}">
<h1>Your log</h1>
<p class="status" role="status" aria-live="polite">Reading your list…</p>
<p class="kept" hidden><span></span> <button type="button">Send now</button></p>
<form id="settings" hidden>
<label>Token <input type="password" name="token" autocomplete="current-password" required></label>
<label>Writer <input type="url" name="writer" required></label>
<button>Save on this device</button>
</form>
<section id="log" hidden>
<form id="add"><select name="kind" aria-label="Kind">{kinds}</select>
<input name="title" required maxlength="300" placeholder="Title" aria-label="Title">
<input name="by" placeholder="By (comma-separated)" aria-label="By">
<label><input type="checkbox" name="private">Private</label>
<button>Add</button>
<button value="finished" title="Add it as finished today: the article just read, the film just seen">Add, finished</button>
<details class="more"><summary>Link, cover, tags</summary><div>
<input name="url" type="url" placeholder="Link to its page" aria-label="Link">
<input name="cover" placeholder="Cover: a picture's link or ISBN" aria-label="Cover">
<input name="tags" placeholder="Tags (comma-separated)" aria-label="Tags">
<img class="cover preview" alt="" hidden>
</div></details></form>
<input type="search" id="find" placeholder="Find in your lists: title, by, tag" aria-label="Find in your lists">
<h2>In progress</h2><ol id="current"></ol>
<h2>Up next</h2><ol id="queue"></ol>
<p><button type="button" class="all" data-list="queue" hidden></button></p>
<h2>Recently finished</h2><p class="hold" hidden></p><ol id="finished"></ol>
<p><button type="button" id="older" hidden>Older finishes</button></p>
<h2>Given up</h2><ol id="dropped"></ol>
<p><button type="button" class="all" data-list="dropped" hidden></button></p>
<p class="back tip">From any page: drag <a href="#" id="bookmarklet">+ lately</a> to your bookmarks and tap it there to add that page here; on a phone, with this page on your home screen, share a page to “lately”.</p>
<p class="back"><a href="./">Your page</a> · <a href="#" id="forget">Forget the token on this device</a> · <a href="#" id="posters-open">Posters of films and shows</a></p>
<form id="posters" hidden><p class="back tip">A film or a show added here without a cover gets its poster from TMDB (The Movie Database), found by its title, given your TMDB key (your account's settings, “API”: the read access token, or the API key). It is kept on this device alone; empty, none is looked up. This product uses the TMDB API but is not endorsed or certified by TMDB.</p>
<label>TMDB key <input type="password" name="tmdb" autocomplete="off"></label>
<button>Save on this device</button>
</form>
</section>
<noscript><p>This page needs JavaScript; the <code>lately</code> command does all it does.</p></noscript>
</main><script src="owner.js"></script></body></html>"##,
        writer = escape(writer),
        notifier = escape(notifier),
        open_library = escape(&state.open_library_url),
        tmdb = escape(&state.tmdb_url),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; connect-src 'self' http: https:; \
             style-src 'unsafe-inline'; img-src 'self' http: https:; manifest-src 'self'; \
             form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(body)
}

/// `GET /owner.webmanifest`: "Add to home screen" opens the page as an app of its own, and
/// makes it a share target: a page shared to "lately" from a phone's browser opens
/// `/owner?title=…&text=…&url=…`, whose add form `owner.js` fills in with it.
/// Relative addresses: they resolve against the manifest's, so it holds under a path too.
pub async fn manifest() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/manifest+json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(
            r##"{"name": "lately: your log", "short_name": "lately", "start_url": "owner", "scope": "./", "display": "standalone", "share_target": {"action": "owner", "method": "GET", "params": {"title": "title", "text": "text", "url": "url"}}, "background_color": "#ffffff", "theme_color": "#8a4b00", "icons": [{"src": "owner-icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}, {"src": "owner-icon.png", "sizes": "192x192", "type": "image/png", "purpose": "any"}]}"##,
        )
}

/// `GET /owner-icon.svg`: the manifest's and the tab's icon, an open book.
pub async fn icon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#8a4b00"/><path d="M12 18c8-3 14-2 20 2v28c-6-4-12-5-20-2zM52 18c-8-3-14-2-20 2v28c6-4 12-5 20-2z" fill="#fff"/></svg>"##,
        )
}

/// `GET /owner-icon.png`: the same book as a square picture with no transparency, for the
/// home screens that take no SVG (iOS's `apple-touch-icon`, which rounds its corners itself;
/// an Android launcher that wants a bitmap). Made from the SVG above by a headless browser's
/// screenshot, at 192 pixels.
pub async fn icon_png() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(&include_bytes!("owner-icon.png")[..])
}

/// `GET /owner-sw.js`: the service worker that opens the page with no connection (see the
/// script). Never cached by the browser's HTTP cache: it checks for a new one on each visit.
pub async fn service_worker() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(include_str!("owner-sw.js"))
}

const SCRIPT: &str = include_str!("owner.js");

/// `GET /owner.js`: asked again on every load (`no-cache`; its `ETag` the script's own hash,
/// answered 304 while it is the same), as the page is: kept for minutes, a page of a new
/// version ran with the script of the one before it after an upgrade (its new form dead). A
/// weak tag: the compressor sends other bytes of the same script under it. Every replica of a
/// build hashes alike (`DefaultHasher::new` has fixed keys).
pub async fn script(req: HttpRequest) -> HttpResponse {
    use std::hash::{Hash, Hasher};
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let tag = TAG.get_or_init(|| {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        SCRIPT.hash(&mut hasher);
        format!("W/\"{:016x}\"", hasher.finish())
    });
    let same = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut res = match same {
        true => HttpResponse::NotModified(),
        false => HttpResponse::Ok(),
    };
    res.insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, tag.as_str()));
    match same {
        true => res.finish(),
        false => res
            .content_type("text/javascript; charset=utf-8")
            .body(SCRIPT),
    }
}
