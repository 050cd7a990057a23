//! The `lately` binary against a running writer and reader.

use clap::Parser;
use std::process::Output;
use std::time::Duration;

const TOKEN: &str = "cli-tests-token";

struct System {
    database_url: String,
    writer: String,
    reader: String,
    /// Where the CLI keeps its last write's position (`LATELY_STATE_DIR`).
    state: tempfile::TempDir,
    /// The SQLite log's directory, if that is the backend.
    _sqlite: Option<tempfile::TempDir>,
}

/// A writer and a reader on a fresh PostgreSQL database.
async fn system() -> System {
    system_on(lately_testkit::postgres_database().await, None, 100).await
}

/// A writer and a reader on the SQLite log, whose reader sees a write only when it next polls
/// (every `poll_ms`): a replica that is reliably behind for a moment.
async fn slow_system(poll_ms: u64) -> System {
    let (dir, url) = lately_testkit::sqlite_database();
    system_on(url, Some(dir), poll_ms).await
}

async fn system_on(
    database_url: String,
    sqlite: Option<tempfile::TempDir>,
    poll_ms: u64,
) -> System {
    let writer_url = lately_writer::startup::Application::spawn_local(&database_url, TOKEN, &[])
        .await
        .unwrap();
    until_ready(&writer_url).await;
    let poll_ms = poll_ms.to_string();
    let reader_url = reader(
        &database_url,
        &["--poll-ms", &poll_ms, "--owner-token", TOKEN],
    )
    .await;
    System {
        database_url,
        writer: writer_url,
        reader: reader_url,
        state: tempfile::tempdir().unwrap(),
        _sqlite: sqlite,
    }
}

/// A reader on `database_url` with `flags` besides its address and worker count, once ready.
/// (`--insecure-local` makes one as `make run` starts it: the owner's reads need no token.)
async fn reader(database_url: &str, flags: &[&str]) -> String {
    let mut args = vec![
        "lately-reader",
        "--database-url",
        database_url,
        "--listen",
        "127.0.0.1:0",
        "--workers",
        "1",
    ];
    args.extend_from_slice(flags);
    let reader = lately_reader::startup::Application::build(
        lately_reader::configuration::Config::parse_from(args),
    )
    .await
    .unwrap();
    let url = format!("http://127.0.0.1:{}", reader.port());
    tokio::spawn(reader.run_until_stopped());
    until_ready(&url).await;
    url
}

async fn until_ready(url: &str) {
    let readyz = format!("{url}/readyz");
    lately_testkit::until(&format!("{url} is ready"), || async {
        reqwest::get(&readyz).await.is_ok_and(|r| r.status() == 200)
    })
    .await;
}

impl System {
    /// `lately` with this system's URLs, token and state directory.
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_lately"));
        command
            .args(args)
            .env("LATELY_URL", &self.writer)
            .env("LATELY_TOKEN", TOKEN)
            .env("LATELY_FEED_URL", &self.reader)
            .env("LATELY_STATE_DIR", self.state.path())
            // No test asks the real Open Library for a book's cover: a port nothing listens on,
            // unless a test gives its stand-in.
            .env("LATELY_OPEN_LIBRARY_URL", "http://127.0.0.1:9")
            // Nor TMDB for a film's poster, whatever key the machine's user has.
            .env_remove("LATELY_TMDB_TOKEN")
            .env("LATELY_TMDB_URL", "http://127.0.0.1:9");
        command
    }

    async fn lately(&self, args: &[&str]) -> Output {
        self.command(args).output().await.unwrap()
    }

    /// `lately` with one environment variable set otherwise (`LATELY_URL`, `LATELY_TOKEN`, …).
    async fn lately_with(&self, (var, value): (&str, &str), args: &[&str]) -> Output {
        self.command(args).env(var, value).output().await.unwrap()
    }

    /// `lately` reading `input` on its standard input.
    async fn lately_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        use std::process::Stdio;
        use tokio::io::AsyncWriteExt;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input).await.unwrap();
        drop(stdin);
        child.wait_with_output().await.unwrap()
    }

    async fn head(&self) -> i64 {
        lately_log::EventLog::connect(&self.database_url, Default::default())
            .unwrap()
            .head()
            .await
            .unwrap()
    }

    /// Each finish's `tweet` flag in the log, in the log's order: whether it is for the
    /// notifier to tweet.
    async fn finishes_tweeted(&self) -> Vec<bool> {
        let log = lately_log::EventLog::connect(&self.database_url, Default::default()).unwrap();
        log.read_after(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.event_type == "item_finished")
            .map(|e| e.data.value().unwrap()["tweet"].as_bool().unwrap())
            .collect()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What a reader answers at `url`, as JSON.
async fn json_at(url: &str) -> serde_json::Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// A reader's page at `url`.
async fn page_at(url: &str) -> String {
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

/// Asserts that a command's output (or a page) says `what`, showing it whole when not.
fn says(out: &str, what: &str) {
    assert!(out.contains(what), "{out}\n(wanted: {what})");
}

/// `stats --year` of this year says how far along the owner's goals are, as the readers have
/// them (`LATELY_GOALS`); `--goal` asks for another instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_of_this_year_say_how_far_along_the_goals_are() {
    let sys = system().await;
    let id = stdout(&sys.lately(&["add", "book", "Anathem"]).await);
    let done = sys.lately(&["finish", id.trim(), "--no-tweet"]).await;
    assert!(done.status.success(), "{}", stderr(&done));
    let with_goals = reader(&sys.database_url, &["--goals", "book=2, 10"]).await;
    let this_year = chrono::Datelike::year(&chrono::Local::now()).to_string();
    // Read-your-writes: the CLI waits for its last write's position on that reader too.
    let feed = ("LATELY_FEED_URL", with_goals.as_str());
    let out = sys
        .lately_with(feed, &["stats", "--year", &this_year])
        .await;
    let text = stdout(&out);
    let goals: Vec<&str> = text.lines().filter(|l| l.starts_with("goal: ")).collect();
    assert_eq!(goals.len(), 2, "{text}{}", stderr(&out));
    assert!(goals[0].starts_with("goal: 1 of 2 books (50%)"), "{text}");
    assert!(goals[1].starts_with("goal: 1 of 10 (10%)"), "{text}");
    let args = [
        "stats", "--year", &this_year, "--kind", "book", "--goal", "5",
    ];
    let asked = stdout(&sys.lately_with(feed, &args).await);
    let goals: Vec<&str> = asked.lines().filter(|l| l.starts_with("goal: ")).collect();
    assert_eq!(goals.len(), 1, "{asked}");
    assert!(goals[0].starts_with("goal: 1 of 5 books (20%)"), "{asked}");
    // None on a reader without them.
    let plain = stdout(&sys.lately(&["stats", "--year", &this_year]).await);
    assert!(!plain.contains("goal: "), "{plain}");
}

/// `lately progress ID 200` on a book counted in pages: page 200 of its count, as your log's
/// page takes "200" (it was 200%, refused, and `90` was 90%, silently); with `%` a percentage;
/// on an item followed in percent, a percentage. Past the count: refused, nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_number_is_a_page_of_the_items_count() {
    let sys = system().await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let id = |out: Output| stdout(&out).trim().to_owned();
    let book = id(sys
        .lately(&["add", "book", "Middlemarch", "--no-cover"])
        .await);
    let essay = id(sys.lately(&["add", "article", "An Essay"]).await);
    let unread = id(sys.lately(&["add", "book", "Dune", "--no-cover"]).await);
    // (done, of, percent) of the item's latest progress in the log.
    let last_progress = |id: &str| {
        let (log, id) = (&log, id.to_owned());
        async move {
            let events = log.read_stream(&id).await.unwrap();
            let last = events.last().unwrap();
            assert_eq!(last.event_type, "item_progress_logged");
            let data = last.data.value().unwrap();
            (
                data["done"].as_i64(),
                data["of"].as_i64(),
                data["percent"].as_i64(),
            )
        }
    };
    let logged = |out: Output| assert!(out.status.success(), "{}", stderr(&out));
    logged(sys.lately(&["progress", &book, "120/880"]).await);
    let out = sys.lately(&["progress", &book, "200"]).await;
    assert!(
        stderr(&out).contains("“Middlemarch”: now page 200 of 880 (22%)"),
        "{}",
        stderr(&out)
    );
    logged(out);
    assert_eq!(last_progress(&book).await, (Some(200), Some(880), Some(22)));
    logged(sys.lately(&["progress", &book, "90"]).await);
    assert_eq!(last_progress(&book).await, (Some(90), Some(880), Some(10)));
    logged(sys.lately(&["progress", &book, "50%"]).await);
    assert_eq!(last_progress(&book).await, (None, None, Some(50)));
    // Followed in percent now: a bare number is a percentage again.
    logged(sys.lately(&["progress", &book, "60"]).await);
    assert_eq!(last_progress(&book).await, (None, None, Some(60)));
    logged(sys.lately(&["progress", &essay, "40"]).await);
    assert_eq!(last_progress(&essay).await, (None, None, Some(40)));
    // Past the count, or past 100 for an item followed in percent: nothing written.
    logged(sys.lately(&["progress", &book, "300/880"]).await);
    let head = sys.head().await;
    for (id, bare, says) in [
        (
            &book,
            "900",
            "Middlemarch is at page 300 of 880: 900 would be past the end",
        ),
        (
            &essay,
            "120",
            "An Essay is followed in percent, and 120 is more than 100",
        ),
        // A book with nothing logged yet: "45" is asked about, not taken for 45%.
        (
            &unread,
            "45",
            "Dune: page 45 of how many? Say it whole, 45/…",
        ),
    ] {
        let out = sys.lately(&["progress", id, bare]).await;
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    assert_eq!(sys.head().await, head, "nothing written");
}

/// An audiobook followed in running time, as its player shows it: stored in seconds that say
/// so, said as a time by the CLI and the feed's readers, stepped on in time, and exported as
/// it was given, so that an import of the export lands it where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audiobook_is_followed_in_running_time() {
    let sys = system().await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let out = sys
        .lately(&[
            "add",
            "book",
            "Piranesi",
            "--by",
            "Susanna Clarke",
            "--no-cover",
        ])
        .await;
    let book = stdout(&out).trim().to_owned();
    let logged = |out: Output| assert!(out.status.success(), "{}", stderr(&out));
    // Said back as it was read, hours as a player shows them.
    let out = sys.lately(&["progress", &book, "1:20:00/4:12:00"]).await;
    assert!(
        stderr(&out).contains("now 1h 20m of 4h 12m (31%)"),
        "{}",
        stderr(&out)
    );
    logged(out);
    let last = log.read_stream(&book).await.unwrap().pop().unwrap();
    assert_eq!(
        last.data.value().unwrap(),
        serde_json::json!({"percent": 31, "done": 4_800, "of": 15_120, "unit": "seconds",
               "at": last.data.value().unwrap()["at"]})
    );
    let out = sys.lately(&["progress", &book, "+45m"]).await;
    assert!(
        stderr(&out).contains("“Piranesi”: now 2h 5m of 4h 12m (49%)"),
        "{}",
        stderr(&out)
    );
    logged(out);
    let out = sys.lately(&["current"]).await;
    assert!(
        stdout(&out).contains("Piranesi by Susanna Clarke 2h 5m of 4h 12m (49%)"),
        "{}",
        stdout(&out)
    );
    // The readers answer the unit beside the count, and the pages say it as a time.
    let current = json_at(&format!("{}/v1/current", sys.reader)).await;
    let item = &current["items"][0];
    assert_eq!(
        (
            &item["progress_done"],
            &item["progress_of"],
            &item["progress_unit"]
        ),
        (
            &serde_json::json!(7_500),
            &serde_json::json!(15_120),
            &serde_json::json!("seconds")
        )
    );
    let page = page_at(&format!("{}/items/{book}", sys.reader)).await;
    assert!(
        page.contains(r#"In progress: <span class="far">2h 5m of 4h 12m (49%)</span>"#),
        "{page}"
    );
    // A bare number or a step of pages is no time: refused, nothing written.
    let head = sys.head().await;
    for bad in ["+20", "200"] {
        let out = sys.lately(&["progress", &book, bad]).await;
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("in running time"), "{}", stderr(&out));
    }
    assert_eq!(sys.head().await, head, "nothing written");
    let out = sys.lately(&["export"]).await;
    assert!(
        stdout(&out).contains(",2:05:00/4:12:00,"),
        "{}",
        stdout(&out)
    );
}

/// A game's hours played, of however long it takes: `12h` alone is that, with no percentage,
/// said so by the CLI and the readers, stepped on in time, and exported as a time, which an
/// import of the export lands where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_games_hours_played_are_followed_without_a_whole() {
    let sys = system().await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let out = sys.lately(&["add", "game", "Elden Ring"]).await;
    let game = stdout(&out).trim().to_owned();
    let out = sys.lately(&["progress", &game, "12h"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    says(&stderr(&out), "“Elden Ring”: now 12h played");
    let last = log.read_stream(&game).await.unwrap().pop().unwrap();
    assert_eq!(
        (
            last.schema_version,
            last.data.value().unwrap().get("percent")
        ),
        (2, None)
    );
    let out = sys.lately(&["progress", &game, "+2h30m"]).await;
    says(&stderr(&out), "“Elden Ring”: now 14h 30m played");
    let out = sys.lately(&["current"]).await;
    says(&stdout(&out), "Elden Ring 14h 30m played");
    says(
        &stdout(&sys.lately(&["show", &game]).await),
        "  12h played\n",
    );
    let current = json_at(&format!("{}/v1/current", sys.reader)).await;
    let item = &current["items"][0];
    assert_eq!(
        (
            &item["progress"],
            &item["progress_done"],
            item.get("progress_of"),
            &item["progress_unit"]
        ),
        (
            &serde_json::json!(null),
            &serde_json::json!(52_200),
            None,
            &serde_json::json!("seconds")
        )
    );
    let exported = sys.lately(&["export"]).await;
    says(&stdout(&exported), ",14:30:00,");
    let to = system().await;
    let import = to
        .lately_stdin(&["import", "csv", "-"], &exported.stdout)
        .await;
    assert!(import.status.success(), "{}", stderr(&import));
    let out = to.lately(&["current"]).await;
    says(&stdout(&out), "Elden Ring 14h 30m played");
    // Finished, the hours it took to play go with the finish: in the list, the feed's entry,
    // the widget and the item's page.
    let out = sys
        .lately(&["finish", &game, "--rating", "5", "--no-tweet"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    says(
        &stdout(&sys.lately(&["list"]).await),
        "Elden Ring ★★★★★, 14h 30m played  (",
    );
    let feed = json_at(&format!("{}/v1/feed", sys.reader)).await;
    assert_eq!(feed["items"][0]["time_played"], 52_200);
    let json_feed = json_at(&format!("{}/feed.json", sys.reader)).await;
    assert_eq!(json_feed["items"][0]["_lately"]["time_played"], 52_200);
    assert_eq!(
        json_feed["items"][0]["content_text"],
        "Finished playing “Elden Ring” (14h 30m played) — ★★★★★"
    );
    for page in [
        format!("{}/widget", sys.reader),
        format!("{}/items/{game}", sys.reader),
    ] {
        says(
            &page_at(&page).await,
            r#" · <span class="played">14h 30m played</span>"#,
        );
    }
}

/// A show followed by season and episode: `progress ID S2E5` is a v3 event with no
/// percentage, said "S2 E5" by the CLI, the readers' JSON, the widget's page and the item's
/// page (no bar: it is no share of anything); `+1` is the next episode of that season; an
/// export's `S02E06` imports as the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_show_is_followed_by_season_and_episode() {
    let sys = system().await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let out = sys.lately(&["add", "tv", "Severance"]).await;
    let show = stdout(&out).trim().to_owned();
    assert!(sys.lately(&["start", &show]).await.status.success());
    let out = sys.lately(&["progress", &show, "S2E5"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    says(&stderr(&out), "now S2 E5");
    let last = log.read_stream(&show).await.unwrap().pop().unwrap();
    let data = last.data.value().unwrap();
    assert_eq!(
        (last.schema_version, data.get("percent"), &data["season"]),
        (3, None, &serde_json::json!(2))
    );
    let out = sys.lately(&["progress", &show, "+1"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    says(&stderr(&out), "“Severance”: now S2 E6");
    says(&stdout(&sys.lately(&["current"]).await), "Severance S2 E6");
    says(&stdout(&sys.lately(&["show", &show]).await), "  S2 E5\n");
    let current = json_at(&format!("{}/v1/current", sys.reader)).await;
    let item = &current["items"][0];
    assert_eq!(
        (
            &item["progress"],
            &item["progress_done"],
            &item["progress_season"],
            item.get("progress_of")
        ),
        (
            &serde_json::json!(null),
            &serde_json::json!(6),
            &serde_json::json!(2),
            None
        )
    );
    for page in [
        format!("{}/widget?show=current", sys.reader),
        format!("{}/items/{show}", sys.reader),
    ] {
        let html = page_at(&page).await;
        says(&html, r#"<span class="far">S2 E6</span>"#);
        assert!(!html.contains("<progress"), "{page}: a bar of nothing");
    }
    let exported = sys.lately(&["export"]).await;
    says(&stdout(&exported), ",S02E06,");
    let to = system().await;
    let import = to
        .lately_stdin(&["import", "csv", "-"], &exported.stdout)
        .await;
    assert!(import.status.success(), "{}", stderr(&import));
    says(&stdout(&to.lately(&["current"]).await), "Severance S2 E6");
}

/// `stats --year` names the year's favourites, as its page shows them: the finishes rated
/// highest (four stars or more), newest first; the owner's private ones only with `--all`; of a
/// kind, that kind's, none when every finish has the top rating.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_of_a_year_name_its_favourites() {
    let sys = system().await;
    for (kind, title, day, rating, private) in [
        ("book", "Gideon the Ninth", "2025-02-01", "3.5", false),
        ("book", "Dune", "2025-03-01", "5", false),
        ("movie", "Heat", "2025-04-01", "4", false),
        ("book", "Diary", "2025-05-01", "5", true),
        ("game", "Hades", "2025-06-01", "5", false),
        ("book", "Piranesi", "2024-06-01", "5", false),
    ] {
        let mut args = vec![
            "add",
            kind,
            title,
            "--finished",
            "--at",
            day,
            "--rating",
            rating,
            "--no-tweet",
        ];
        if private {
            args.push("--private");
        }
        let out = sys.lately(&args).await;
        assert!(out.status.success(), "{title}: {}", stderr(&out));
    }
    let last_line = |out: Output| stdout(&out).lines().last().unwrap_or_default().to_owned();
    assert_eq!(
        last_line(sys.lately(&["stats", "--year", "2025"]).await),
        "favourites ★★★★★: Hades, Dune"
    );
    assert_eq!(
        last_line(sys.lately(&["stats", "--year", "2025", "--all"]).await),
        "favourites ★★★★★: Hades, Diary, Dune"
    );
    assert_eq!(
        last_line(
            sys.lately(&["stats", "--year", "2025", "--kind", "book", "--goal", "3"])
                .await
        ),
        "favourites ★★★★★: Dune",
        "Dune over Diary, the private one not"
    );
    for nothing_to_pick in [
        &["stats", "--year", "2025", "--kind", "movie"][..],
        &["stats", "--year", "2024"],
    ] {
        let out = stdout(&sys.lately(nothing_to_pick).await);
        assert!(!out.contains("favourites"), "{nothing_to_pick:?}: {out}");
    }
}

/// An audiobook finished without its progress logged: `--listened` says it was heard (on `add
/// --finished` and `finish`), `revise --read` takes it back; a film said to be listened to is
/// refused before anything is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finish_says_it_was_listened_to() {
    let sys = system().await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let finish_of = |id: String| {
        let log = &log;
        async move {
            let events = log.read_stream(&id).await.unwrap();
            let finish = events.iter().rfind(|e| e.event_type == "item_finished");
            finish.unwrap().data.value().unwrap()
        }
    };
    let out = sys
        .lately(&[
            "add",
            "book",
            "Klara and the Sun",
            "--no-cover",
            "--finished",
            "--listened",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let klara = stdout(&out).trim().to_owned();
    assert_eq!(finish_of(klara.clone()).await["listened"], true);
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(
        list.contains(&format!("book     Klara and the Sun, listened  ({klara})")),
        "{list}"
    );
    let head = sys.head().await;
    let out = sys
        .lately(&["add", "movie", "Perfect Days", "--finished", "--listened"])
        .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--listened: films cannot be listened to"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sys.head().await, head, "nothing written");

    let out = sys.lately(&["add", "book", "Piranesi", "--no-cover"]).await;
    let piranesi = stdout(&out).trim().to_owned();
    let out = sys
        .lately(&["finish", &piranesi, "--listened", "--rating", "5"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(finish_of(piranesi.clone()).await["listened"], true);
    let show = stdout(&sys.lately(&["show", &piranesi]).await);
    assert!(
        show.lines()
            .last()
            .unwrap()
            .ends_with("  finished listening ★★★★★"),
        "{show}"
    );
    // Read on paper after all.
    let out = sys.lately(&["revise", &piranesi, "--read"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let show = stdout(&sys.lately(&["show", &piranesi]).await);
    assert!(
        show.lines()
            .last()
            .unwrap()
            .ends_with("  finish revised: read, not listened to"),
        "{show}"
    );
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(
        list.contains(&format!("Piranesi ★★★★★  ({piranesi})")),
        "{list}"
    );
    let feed = json_at(&format!("{}/v1/feed", sys.reader)).await;
    let followed: Vec<_> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["item"]["title"].clone(), e.get("followed_in").cloned()))
        .collect();
    assert_eq!(
        followed,
        [
            (serde_json::json!("Piranesi"), None),
            (
                serde_json::json!("Klara and the Sun"),
                Some(serde_json::json!("seconds"))
            )
        ]
    );
}

/// `finish --started`: a start the owner never recorded, written before the finish, so the
/// list says how long it took; for an item already in progress, its start moved there.
/// `start --at` on an item in progress moves its start too, its progress kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finish_can_say_when_it_was_started() {
    let sys = system().await;
    let id = |out: Output| stdout(&out).trim().to_owned();
    let hyperion = id(sys.lately(&["add", "book", "Hyperion"]).await);
    let out = sys
        .lately(&[
            "finish",
            &hyperion,
            "--started",
            "2026-11-20",
            "--at",
            "2026-11-30",
            "--no-tweet",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(
        list.starts_with("2026-11-30  book     Hyperion, took 10 days  ("),
        "{list}"
    );
    // Started today by mistake, begun on the 1st: `start --at` moves the start, the page
    // stays; `show` says so.
    let dune = id(sys.lately(&["add", "book", "Dune"]).await);
    assert!(sys.lately(&["start", &dune]).await.status.success());
    assert!(sys
        .lately(&["progress", &dune, "120/412"])
        .await
        .status
        .success());
    let moved = sys
        .lately(&["start", &dune, "--at", "2026-11-01T12:00:00Z"])
        .await;
    assert!(moved.status.success(), "{}", stderr(&moved));
    assert!(
        stdout(&moved).contains("already in progress, its start moved to 2026-11-01"),
        "{}",
        stdout(&moved)
    );
    let current = stdout(&sys.lately(&["current"]).await);
    assert!(
        current.contains("page 120 of 412") && current.contains("since 2026-11-01"),
        "{current}"
    );
    let shown = stdout(&sys.lately(&["show", &dune]).await);
    assert!(shown.contains("  start moved to 2026-11-01"), "{shown}");
    // `finish --started` on an item in progress: the start moved, then the finish.
    let out = sys
        .lately(&[
            "finish",
            &dune,
            "--started",
            "2026-11-10T12:00:00Z",
            "--at",
            "2026-11-30T12:00:00Z",
            "--no-tweet",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(
        list.starts_with("2026-11-30  book     Dune, took 20 days  ("),
        "{list}"
    );
    // Finished, and begun earlier than it said after all: `revise --started`.
    let out = sys
        .lately(&["revise", &dune, "--started", "2026-11-05T12:00:00Z"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(
        list.starts_with("2026-11-30  book     Dune, took 25 days  ("),
        "{list}"
    );
    let shown = stdout(&sys.lately(&["show", &dune]).await);
    assert!(
        shown.ends_with("  finish revised: started 2026-11-05\n"),
        "{shown}"
    );
    // And finished two days before it was logged: `revise --finished` moves the finish.
    let out = sys
        .lately(&["revise", &dune, "--finished", "2026-11-28"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(
        list.starts_with("2026-11-30  book     Hyperion, took 10 days  (")
            && list.contains("\n2026-11-28  book     Dune, took 23 days  ("),
        "{list}"
    );
    let shown = stdout(&sys.lately(&["show", &dune]).await);
    assert!(
        shown.ends_with("  finish revised: finished 2026-11-28\n"),
        "{shown}"
    );
    let before = sys
        .lately(&["revise", &dune, "--finished", "2026-11-04"])
        .await;
    assert_eq!(before.status.code(), Some(1));
    assert!(
        stderr(&before).contains("is before its read began"),
        "{}",
        stderr(&before)
    );
    // Days in words, counted back from today.
    let anathem = id(sys.lately(&["add", "book", "Anathem"]).await);
    let out = sys
        .lately(&["finish", &anathem, "--started", "3 days ago", "--no-tweet"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(list.contains("Anathem, took 3 days  ("), "{list}");
    let head = sys.head().await;
    // A day that is no day: a usage error before anything is written.
    let typo = sys
        .lately(&["finish", &dune, "--started", "yesteryear"])
        .await;
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("--started \"yesteryear\": use a day (YYYY-MM-DD, today, yesterday"),
        "{}",
        stderr(&typo)
    );
    // A finish's read begun after it: refused by the writer, nothing written.
    let after = sys
        .lately(&["revise", &dune, "--started", "2026-12-01T12:00:00Z"])
        .await;
    assert!(!after.status.success());
    assert!(
        stderr(&after).contains("is after the finish it would begin"),
        "{}",
        stderr(&after)
    );
    // Begun after it ended: a usage error, nothing written.
    let after = sys
        .lately(&[
            "finish",
            &dune,
            "--started",
            "2026-11-02",
            "--at",
            "2026-11-01",
        ])
        .await;
    assert_eq!(after.status.code(), Some(2));
    assert!(
        stderr(&after).contains("is after the finish"),
        "{}",
        stderr(&after)
    );
    assert_eq!(sys.head().await, head);

    // The same command run twice: refused, so that it records (and tweets) no re-read; a
    // rewatch, a replay says `--again`.
    let twice = sys.lately(&["finish", &hyperion, "--no-tweet"]).await;
    assert_eq!(twice.status.code(), Some(2), "{}", stderr(&twice));
    assert!(
        stderr(&twice).contains(&format!(
            "Hyperion ({hyperion}) is finished already, on 2026-11-30: finishing it again records a re-read"
        )) && stderr(&twice).contains("say so with --again"),
        "{}",
        stderr(&twice)
    );
    assert_eq!(sys.head().await, head, "refused, and nothing written");
    // Said so, it is a re-read. Taken back, the finish before stands again, and the refusal
    // names its day; then the re-read once more.
    for round in 0..2 {
        if round == 1 {
            assert!(sys.lately(&["unfinish", &hyperion]).await.status.success());
            let twice = sys.lately(&["finish", &hyperion]).await;
            assert!(
                stderr(&twice).contains("is finished already, on 2026-11-30:"),
                "{}",
                stderr(&twice)
            );
        }
        let again = ["--again", "--at", "2026-12-01", "--no-tweet"];
        let again = sys
            .lately(&[&["finish", &hyperion][..], &again].concat())
            .await;
        assert!(again.status.success(), "{}", stderr(&again));
    }
    assert_eq!(sys.head().await, head + 3);
    // A start given says it is a new read: a start, then the finish.
    let reread = sys
        .lately(&[
            "finish",
            &hyperion,
            "--started",
            "2026-12-02",
            "--at",
            "2026-12-03",
            "--no-tweet",
        ])
        .await;
    assert!(reread.status.success(), "{}", stderr(&reread));
    assert_eq!(sys.head().await, head + 5);
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(
        list.contains(&format!(
            "2026-12-03  book     Hyperion, took 1 day, 3rd time  ({hyperion})\n"
        )) && list.contains(&format!(
            "\n2026-12-01  book     Hyperion, 2nd time  ({hyperion})\n2026-11-30  book     Hyperion, took 10 days  ({hyperion})\n"
        )),
        "{list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_start_finish_and_list() {
    let sys = system().await;
    let add = sys
        .lately(&[
            "add",
            "book",
            "The Left Hand of Darkness",
            "--by",
            "Ursula K. Le Guin",
            "--tag",
            "sf",
        ])
        .await;
    assert!(add.status.success(), "{}", stderr(&add));
    let id = stdout(&add).trim().to_owned();
    assert!(id.starts_with("the-left-hand-of-darkness-"), "{id}");
    // Nothing to show yet: no lines on stdout, and a word on stderr saying so.
    for (command, says) in [
        ("list", "no public finishes yet"),
        ("current", "nothing public in progress"),
    ] {
        let empty = sys.lately(&[command]).await;
        assert!(empty.status.success(), "{}", stderr(&empty));
        assert_eq!(stdout(&empty), "", "{command}");
        assert!(
            stderr(&empty).contains(says),
            "{command}: {}",
            stderr(&empty)
        );
    }
    assert!(sys.lately(&["start", &id]).await.status.success());
    // Page 183 of 304: 60%, rounded down. Where one is past the end is refused before any
    // request.
    for bad in ["305/304", "3/0", "60 pages"] {
        let out = sys.lately(&["progress", &id, bad]).await;
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr(&out).contains("183/304"), "{bad}: {}", stderr(&out));
    }
    assert!(sys
        .lately(&["progress", &id, "183/304"])
        .await
        .status
        .success());
    // Twenty pages on from where the feed has it; past the last page is refused, and sends
    // nothing.
    let head = sys.head().await;
    let past = sys.lately(&["progress", &id, "+122"]).await;
    assert_eq!(past.status.code(), Some(2), "{}", stderr(&past));
    assert!(
        stderr(&past).contains("is at page 183 of 304: +122 would be past the end"),
        "{}",
        stderr(&past)
    );
    assert_eq!(sys.head().await, head);
    let on = sys.lately(&["progress", &id, "+20"]).await;
    assert!(on.status.success(), "{}", stderr(&on));
    // Where the step landed, which the command did not say.
    assert!(
        stderr(&on).contains("“The Left Hand of Darkness”: now page 203 of 304 (66%)"),
        "{}",
        stderr(&on)
    );
    let current = sys.lately(&["current"]).await;
    assert!(
        stdout(&current)
            .contains("The Left Hand of Darkness by Ursula K. Le Guin page 203 of 304 (66%)"),
        "{}",
        stdout(&current)
    );
    let books = sys.lately(&["current", "--kind", "book"]).await;
    assert_eq!(stdout(&books), stdout(&current));
    let movies = sys.lately(&["current", "--kind", "movie"]).await;
    assert!(movies.status.success(), "{}", stderr(&movies));
    assert_eq!(stdout(&movies), "", "not a movie");
    let tagged = sys.lately(&["current", "--tag", "SF"]).await;
    assert_eq!(
        stdout(&tagged),
        stdout(&current),
        "tags are matched in any case"
    );
    let untagged = sys.lately(&["current", "--tag", "fantasy"]).await;
    assert_eq!(stdout(&untagged), "");
    assert!(
        stderr(&untagged).contains("nothing public tagged fantasy in progress"),
        "{}",
        stderr(&untagged)
    );
    let finish = sys
        .lately(&[
            "finish",
            &id,
            "--rating",
            "4.5",
            "--review",
            "Cold and humane.",
            "--at",
            "2026-11-20",
        ])
        .await;
    assert!(finish.status.success(), "{}", stderr(&finish));
    let list = sys.lately(&["list"]).await;
    assert!(list.status.success());
    let line = stdout(&list);
    assert!(
        line.contains(&format!(
            "2026-11-20  book     The Left Hand of Darkness by Ursula K. Le Guin ★★★★½  ({id})\n"
        )),
        "{line}"
    );
    let sf = sys.lately(&["list", "--kind", "book", "--tag", "sf"]).await;
    assert_eq!(stdout(&sf), line);
    let bad = sys.lately(&["list", "--tag", " "]).await;
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an empty tag is a usage error, as the reader would refuse it"
    );
    assert!(
        stderr(&bad).contains("tag must not be empty"),
        "{}",
        stderr(&bad)
    );
    // `show`: the item, then its history, each event on the day it happened.
    let show = sys.lately(&["show", &id]).await;
    assert!(show.status.success(), "{}", stderr(&show));
    let out = stdout(&show);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..3],
        [
            format!("The Left Hand of Darkness — book by Ursula K. Le Guin  ({id})").as_str(),
            "  tags: sf",
            &format!("  page: {}/items/{id}", sys.reader),
        ],
        "{out}"
    );
    let events: Vec<&str> = lines[3..]
        .iter()
        .map(|l| l.split_once("  ").unwrap().1)
        .collect();
    assert_eq!(
        events,
        [
            "added",
            "started",
            "page 183 of 304 (60%)",
            "page 203 of 304 (66%)",
            "finished ★★★★½  Cold and humane."
        ],
        "{out}"
    );
    assert!(lines[7].starts_with("2026-11-20  "), "{out}");
    // `list --year`: that year's finishes (all of them), or says there were none.
    let in_2026 = stdout(&sys.lately(&["list", "--year", "2026"]).await);
    assert!(
        in_2026.starts_with("2026-11-20  book     The Left Hand of Darkness"),
        "{in_2026}"
    );
    let in_2025 = sys.lately(&["list", "--year", "2025"]).await;
    assert!(in_2025.status.success() && stdout(&in_2025).is_empty());
    assert!(
        stderr(&in_2025).contains("no public finishes in 2025"),
        "{}",
        stderr(&in_2025)
    );
    // `stats`: the year by month, or every year.
    let year = stdout(&sys.lately(&["stats", "--year", "2026"]).await);
    let lines: Vec<&str> = year.lines().collect();
    assert_eq!(
        lines[0], "2026: 1 book finished; 4.5★ on average over 1 rated",
        "{year}"
    );
    assert_eq!(lines.len(), 13, "{year}");
    assert_eq!(lines[1], " Jan    0", "{year}");
    assert_eq!(lines[11], format!(" Nov    1 {}", "▇".repeat(40)), "{year}");
    let all = stdout(&sys.lately(&["stats"]).await);
    assert!(
        all.starts_with("All time: 1 book finished") && all.contains("\n2026    1 ▇"),
        "{all}"
    );
    let books = stdout(
        &sys.lately(&["stats", "--year", "2026", "--kind", "book"])
            .await,
    );
    assert!(books.starts_with("2026: 1 book finished"), "{books}");
    let goal = stdout(
        &sys.lately(&["stats", "--year", "2026", "--kind", "book", "--goal", "1"])
            .await,
    );
    assert_eq!(
        goal.lines().nth(1),
        Some("goal: 1 of 1 book (100%), goal reached"),
        "{goal}"
    );
    let films = stdout(
        &sys.lately(&["stats", "--year", "2026", "--kind", "movie"])
            .await,
    );
    assert!(films.starts_with("2026: 0 finished\n"), "{films}");
    let none = stdout(&sys.lately(&["stats", "--year", "2001"]).await);
    // `tags`: the tags of the public items, with their counts.
    let tags = sys.lately(&["tags"]).await;
    assert!(tags.status.success(), "{}", stderr(&tags));
    assert_eq!(stdout(&tags), "sf  1 item, 1 finished\n");
    assert_eq!(none.lines().next(), Some("2001: 0 finished"), "{none}");
    assert_eq!(
        sys.lately(&["stats", "--year", "1800"]).await.status.code(),
        Some(2)
    );
    // `revise`: a second thought on the rating, the review taken back; not a new finish.
    let revised = sys
        .lately(&["revise", &id, "--rating", "5", "--no-review"])
        .await;
    assert!(revised.status.success(), "{}", stderr(&revised));
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(
        list.contains("The Left Hand of Darkness by Ursula K. Le Guin ★★★★★  (")
            && list.lines().count() == 1,
        "{list}"
    );
    let show = stdout(&sys.lately(&["show", &id]).await);
    assert!(
        show.lines()
            .last()
            .unwrap()
            .ends_with("  finish revised: rating ★★★★★, review cleared"),
        "{show}"
    );
    let nothing = sys.lately(&["revise", &id]).await;
    assert_eq!(nothing.status.code(), Some(2), "{}", stderr(&nothing));
    // `unfinish`: the finish was a mistake; it leaves the list, stays in the history, and a
    // second one is refused with the reason.
    let unfinished = sys.lately(&["unfinish", &id]).await;
    assert!(unfinished.status.success(), "{}", stderr(&unfinished));
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(!list.contains("The Left Hand of Darkness"), "{list}");
    let show = stdout(&sys.lately(&["show", &id]).await);
    assert!(
        show.lines().last().unwrap().ends_with("  finish retracted"),
        "{show}"
    );
    let again = sys.lately(&["unfinish", &id]).await;
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("no finish to retract"),
        "{}",
        stderr(&again)
    );
    // An unknown id, or one with a `/` and a `?` in it, is an unknown item, and says where
    // private ones are.
    for unknown in ["no-such-item", "the-left-hand/start?x=1"] {
        let missing = sys.lately(&["show", unknown]).await;
        assert_eq!(missing.status.code(), Some(1), "{}", stderr(&missing));
        assert!(
            stderr(&missing).contains("404") && stderr(&missing).contains("`lately items`"),
            "{}",
            stderr(&missing)
        );
    }
}

/// A private item's id is printed once, by `add`; an abandoned item leaves every public list.
/// `lately items` finds both again, with the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_lists_private_and_abandoned_items_for_the_owner() {
    let sys = system().await;
    let secret = sys
        .lately(&[
            "add",
            "book",
            "A Secret History",
            "--private",
            "--tag",
            "campus",
        ])
        .await;
    let secret = stdout(&secret).trim().to_owned();
    // `tags --all`: the private item's tag too; `tags` alone never.
    assert_eq!(
        stdout(&sys.lately(&["tags", "--all"]).await),
        "campus  1 item, 0 finished\n"
    );
    let public = sys.lately(&["tags"]).await;
    assert_eq!(
        (stdout(&public).as_str(), stderr(&public).trim()),
        ("", "no public item has a tag")
    );
    let dropped = stdout(&sys.lately(&["add", "game", "Elden Ring"]).await)
        .trim()
        .to_owned();
    for step in ["start", "abandon"] {
        assert!(sys.lately(&[step, &dropped]).await.status.success());
    }
    assert_eq!(stdout(&sys.lately(&["queue"]).await), "");
    assert_eq!(stdout(&sys.lately(&["current"]).await), "");

    let items = sys.lately(&["items"]).await;
    assert!(items.status.success(), "{}", stderr(&items));
    assert_eq!(
        stdout(&items),
        format!(
            "abandoned   game     Elden Ring  ({dropped})\n\
             queued      book     A Secret History  ({secret})  [private]\n"
        )
    );
    // `list --all`: the private finish too, with the token; `list` alone never.
    let diary = stdout(&sys.lately(&["add", "book", "A Diary", "--private"]).await)
        .trim()
        .to_owned();
    assert!(sys
        .lately(&["finish", &diary, "--rating", "3"])
        .await
        .status
        .success());
    let all = stdout(&sys.lately(&["list", "--all"]).await);
    assert!(
        all.ends_with(&format!("book     A Diary ★★★  ({diary})  [private]\n"))
            && all.lines().count() == 1,
        "{all}"
    );
    let counted = stdout(&sys.lately(&["stats", "--all"]).await);
    assert!(
        counted.starts_with("All time: 1 book finished; 3★ on average over 1 rated"),
        "{counted}"
    );
    let public = stdout(&sys.lately(&["stats"]).await);
    assert!(public.starts_with("All time: 0 finished"), "{public}");
    let public = sys.lately(&["list"]).await;
    assert_eq!(stdout(&public), "");
    assert!(
        stderr(&public).contains("`lately list --all`"),
        "{}",
        stderr(&public)
    );
    // `show` finds a private item with the token, and its history; without, no public read
    // shows it.
    let show = sys.lately(&["show", &secret]).await;
    assert!(show.status.success(), "{}", stderr(&show));
    let out = stdout(&show);
    assert_eq!(
        out.lines().next(),
        Some(format!("A Secret History — book  ({secret})  [private]").as_str()),
        "{out}"
    );
    assert_eq!(out.lines().nth(1), Some("  tags: campus"), "{out}");
    assert!(out.lines().nth(2).unwrap().ends_with("  added"), "{out}");
    let hidden = sys
        .command(&["show", &secret])
        .env_remove("LATELY_TOKEN")
        .output()
        .await
        .unwrap();
    assert_eq!(hidden.status.code(), Some(1));
    assert!(
        stderr(&hidden).contains("no public read"),
        "{}",
        stderr(&hidden)
    );
    // Under `make run`, whose readers ask for no token, `show` needs none either.
    let local = reader(&sys.database_url, &["--insecure-local"]).await;
    let shown = sys
        .command(&["show", &secret])
        .env_remove("LATELY_TOKEN")
        .env("LATELY_FEED_URL", &local)
        .output()
        .await
        .unwrap();
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(stdout(&shown).contains("[private]"), "{}", stdout(&shown));
    let abandoned = sys.lately(&["items", "--status", "abandoned"]).await;
    assert_eq!(
        stdout(&abandoned).lines().count(),
        1,
        "{}",
        stdout(&abandoned)
    );
    let in_progress = sys.lately(&["items", "--status", "in-progress"]).await;
    assert!(in_progress.status.success());
    assert_eq!(stdout(&in_progress), "");
    // By kind: the private books, not the game.
    let books = sys.lately(&["items", "--kind", "book"]).await;
    let books: Vec<String> = stdout(&books).lines().map(str::to_owned).collect();
    assert!(
        books.len() == 2
            && books
                .iter()
                .all(|l| l.contains("book") && l.ends_with("[private]")),
        "{books:?}"
    );
    let games = sys
        .lately(&["items", "--kind", "game", "--status", "queued"])
        .await;
    assert!(games.status.success());
    assert_eq!(stdout(&games), "");
    assert!(
        stderr(&games).contains("no items of kind game yet"),
        "{}",
        stderr(&games)
    );

    let without = sys
        .command(&["items"])
        .env_remove("LATELY_TOKEN")
        .output()
        .await
        .unwrap();
    assert_eq!(without.status.code(), Some(1));
    assert!(
        stderr(&without).contains("owner's token"),
        "{}",
        stderr(&without)
    );
    assert!(!stdout(&without).contains("Secret"));
}

/// An item removed by mistake: `items --status removed` finds its id, `show` says it is
/// removed, `restore` brings it back with its finish, and its history says what happened;
/// restoring again says why not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_item_is_found_and_restored_with_its_finish() {
    let sys = system().await;
    let id = stdout(
        &sys.lately(&["add", "movie", "Heat", "--by", "Michael Mann"])
            .await,
    )
    .trim()
    .to_owned();
    assert!(sys
        .lately(&["finish", &id, "--rating", "4.5", "--no-tweet"])
        .await
        .status
        .success());
    let listed = format!("film     Heat by Michael Mann ★★★★½  ({id})\n");
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(list.ends_with(&listed), "{list}");
    let removed = sys.lately(&["remove", &id]).await;
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(
        stdout(&removed).contains(&format!("`lately restore {id}`")),
        "{}",
        stdout(&removed)
    );
    assert_eq!(stdout(&sys.lately(&["list"]).await), "");
    assert_eq!(stdout(&sys.lately(&["items"]).await), "");
    assert_eq!(
        stdout(&sys.lately(&["items", "--status", "removed"]).await),
        format!("removed     film     Heat by Michael Mann  ({id})\n")
    );
    let finish = sys.lately(&["finish", &id]).await;
    assert_eq!(finish.status.code(), Some(1));
    assert!(stderr(&finish).contains("restoring it brings it back"));
    // `show` still shows it, says it is removed and how to bring it back.
    let show = sys.lately(&["show", &id]).await;
    assert!(show.status.success(), "{}", stderr(&show));
    let shown = stdout(&show);
    // A film, as the pages say it (the API's kind is `movie`).
    assert!(
        shown.starts_with(&format!("Heat — film by Michael Mann  ({id})")),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(
            "removed: in no output (`lately restore {id}` brings it back)"
        )),
        "{shown}"
    );
    assert!(shown.trim_end().ends_with("  removed"), "{shown}");
    // By words of its title too, when no item that is not removed has them.
    let by_title = sys.lately(&["show", "heat"]).await;
    assert!(by_title.status.success(), "{}", stderr(&by_title));
    assert_eq!(stdout(&by_title), shown);

    let restored = sys.lately(&["restore", &id]).await;
    assert!(restored.status.success(), "{}", stderr(&restored));
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(list.ends_with(&listed), "{list}");
    assert_eq!(
        stdout(&sys.lately(&["items", "--status", "removed"]).await),
        ""
    );
    let shown = stdout(&sys.lately(&["show", &id]).await);
    let history: Vec<&str> = shown
        .lines()
        .filter_map(|l| l.split("  ").last())
        .filter(|w| ["removed", "restored"].contains(w))
        .collect();
    assert_eq!(history, ["removed", "restored"], "{shown}");
    let again = sys.lately(&["unremove", &id]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("nothing to restore"),
        "{}",
        stderr(&again)
    );
}

/// A command that names an item takes words of its title when no item has that id: the one
/// item whose title holds them (one titled exactly so first), said on stderr; several, and it
/// names them and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_can_be_named_by_words_of_its_title() {
    let sys = system().await;
    let mut ids = Vec::new();
    for title in ["The Left Hand of Darkness", "Dune", "Dune Messiah"] {
        let out = sys.lately(&["add", "book", title]).await;
        ids.push(stdout(&out).trim().to_owned());
    }
    let [left_hand, dune, messiah] = &ids[..] else {
        unreachable!()
    };
    let start = sys.lately(&["start", "left HAND"]).await;
    assert!(start.status.success(), "{}", stderr(&start));
    assert_eq!(
        stderr(&start),
        format!("The Left Hand of Darkness ({left_hand})\n")
    );
    assert!(stdout(&start).starts_with(&format!("{left_hand} v2 ")));
    // "dune" is in two titles, and the whole of one.
    let finish = sys.lately(&["finish", "dune", "--rating", "5"]).await;
    assert!(finish.status.success(), "{}", stderr(&finish));
    assert!(stdout(&finish).starts_with(&format!("{dune} v2 ")));
    let head = sys.head().await;
    let ambiguous = sys.lately(&["start", "dun"]).await;
    assert_eq!(ambiguous.status.code(), Some(1));
    let said = stderr(&ambiguous);
    assert!(
        said.contains(&format!("Dune ({dune})"))
            && said.contains(&format!("Dune Messiah ({messiah})")),
        "{said}"
    );
    assert_eq!(sys.head().await, head, "nothing written");
    // Nothing has them: said of the words as of an id.
    for typed in ["piranesi", "The Book of Sand"] {
        let nothing = sys.lately(&["start", typed]).await;
        assert_eq!(nothing.status.code(), Some(1));
        assert_eq!(
            stderr(&nothing),
            format!(
                "lately: 404: no item has the id {typed:?}, nor those words in its title \
                 (`lately items` lists yours)\n"
            )
        );
    }
    assert_eq!(sys.head().await, head, "nothing written");
    // `restore` looks among the removed items; `show` among the others.
    assert!(sys.lately(&["remove", messiah]).await.status.success());
    let restored = sys.lately(&["restore", "messiah"]).await;
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert!(stdout(&restored).starts_with(&format!("{messiah} v3 ")));
    let shown = sys.lately(&["show", "darkness"]).await;
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(stdout(&shown).starts_with("The Left Hand of Darkness — book"));
}

/// `lately completions bash` prints a script bash reads, naming the commands and their flags,
/// with no service to reach; a shell it does not know is a usage error.
#[tokio::test]
async fn completions_need_no_service_and_name_every_command() {
    let lately = |args: &[&str]| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_lately"))
            .args(args)
            .env("LATELY_URL", "http://127.0.0.1:9")
            .env("LATELY_FEED_URL", "http://127.0.0.1:9")
            .output()
    };
    let bash = lately(&["completions", "bash"]).await.unwrap();
    assert!(bash.status.success(), "{}", stderr(&bash));
    let script = stdout(&bash);
    for word in [
        "_lately()",
        "unstart",
        "retry-tweet",
        "--duplicate",
        "--again",
    ] {
        assert!(script.contains(word), "{word}");
    }
    let mut check = tokio::process::Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use tokio::io::AsyncWriteExt;
    let mut stdin = check.stdin.take().unwrap();
    stdin.write_all(script.as_bytes()).await.unwrap();
    drop(stdin);
    assert!(check.wait().await.unwrap().success(), "bash reads it");
    let zsh = stdout(&lately(&["completions", "zsh"]).await.unwrap());
    assert!(zsh.starts_with("#compdef lately"), "{zsh}");
    let unknown = lately(&["completions", "tcsh"]).await.unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("possible values"));
}

/// `lately unstart` takes back a start made by mistake: the item is up next again, its
/// progress gone with the start; `show` says so; a second one is refused, naming why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_made_by_mistake_is_taken_back() {
    let sys = system().await;
    let mut ids = Vec::new();
    for title in ["Dune", "Dune Messiah"] {
        ids.push(
            stdout(&sys.lately(&["add", "book", title]).await)
                .trim()
                .to_owned(),
        );
    }
    let [dune, messiah] = &ids[..] else {
        unreachable!()
    };
    for args in [&["start", dune.as_str()][..], &["progress", dune, "40/412"]] {
        assert!(sys.lately(args).await.status.success(), "{args:?}");
    }
    let current = stdout(&sys.lately(&["current"]).await);
    assert!(current.contains("page 40 of 412"), "{current}");
    let unstart = sys.lately(&["unstart", "dune"]).await;
    assert!(unstart.status.success(), "{}", stderr(&unstart));
    assert!(stdout(&unstart).starts_with(&format!("{dune} v4 ")));
    assert_eq!(stdout(&sys.lately(&["current"]).await), "");
    let queue = stdout(&sys.lately(&["queue"]).await);
    assert!(
        queue.contains(&format!("Dune  ({dune})")) && queue.contains(messiah.as_str()),
        "{queue}"
    );
    let shown = stdout(&sys.lately(&["show", dune]).await);
    assert!(shown.trim_end().ends_with("start retracted"), "{shown}");
    let again = sys.lately(&["unstart", dune]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("no start to retract"),
        "{}",
        stderr(&again)
    );
}

/// `lately unabandon` takes back a give-up: the read is in progress again, begun when it was
/// and as far as it was (where `start` would begin a new one); `show` says so; a second one
/// is refused, naming why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_give_up_is_taken_back_as_the_same_read() {
    let sys = system().await;
    let dune = stdout(
        &sys.lately(&["add", "book", "Dune", "--by", "Frank Herbert"])
            .await,
    )
    .trim()
    .to_owned();
    for args in [
        &["start", dune.as_str(), "--at", "2026-11-20"][..],
        &["progress", &dune, "40/412"],
        &["abandon", &dune],
    ] {
        assert!(sys.lately(args).await.status.success(), "{args:?}");
    }
    assert_eq!(stdout(&sys.lately(&["current"]).await), "");
    let back = sys.lately(&["unabandon", "dune"]).await;
    assert!(back.status.success(), "{}", stderr(&back));
    assert!(stdout(&back).starts_with(&format!("{dune} v5 ")));
    let current = stdout(&sys.lately(&["current"]).await);
    assert!(
        current.contains("Dune by Frank Herbert page 40 of 412 (9%), since 2026-11-20"),
        "{current}"
    );
    let shown = stdout(&sys.lately(&["show", &dune]).await);
    assert!(shown.trim_end().ends_with("abandon retracted"), "{shown}");
    let again = sys.lately(&["unabandon", &dune]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("no give-up to take back: the item is in progress"),
        "{}",
        stderr(&again)
    );
}

/// `lately add` of what is in the list already (the same kind, the title's words, a creator in
/// common when both name some) is refused, naming the item and how to go on with it, and
/// writes nothing; another creator, another kind or `--duplicate` adds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_what_is_in_the_list_already_is_refused() {
    let sys = system().await;
    let dune = stdout(
        &sys.lately(&["add", "book", "Dune", "--by", "Frank Herbert"])
            .await,
    )
    .trim()
    .to_owned();
    let heat = stdout(
        &sys.lately(&["add", "movie", "Heat: A Los Angeles Crime Saga"])
            .await,
    )
    .trim()
    .to_owned();
    assert!(sys
        .lately(&["start", &dune, "--at", "2026-11-20"])
        .await
        .status
        .success());
    assert!(sys.lately(&["remove", &heat]).await.status.success());
    let head = sys.head().await;
    for (args, said) in [
        (
            &["add", "book", "dune", "--by", "frank herbert"][..],
            format!(
                "Dune by Frank Herbert is in your list already ({dune}, in progress since \
                 2026-11-20): `lately progress {dune} …` and `lately finish {dune}` go on with it; \
                 to add another all the same (another edition, a remake), say --duplicate"
            ),
        ),
        (
            &["add", "book", "DUNE."],
            format!("Dune by Frank Herbert is in your list already ({dune}, in progress"),
        ),
        (
            &[
                "add",
                "movie",
                "heat - a los angeles crime saga",
                "--by",
                "Michael Mann",
            ],
            format!(
                "Heat: A Los Angeles Crime Saga is in your list already ({heat}, removed): \
                 `lately restore {heat}` brings it back, with its history;"
            ),
        ),
    ] {
        let refused = sys.lately(args).await;
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        assert!(stderr(&refused).contains(&said), "{}", stderr(&refused));
        assert_eq!(stdout(&refused), "");
    }
    assert_eq!(sys.head().await, head, "nothing written");
    assert!(sys.lately(&["finish", &dune]).await.status.success());
    let finished = sys.lately(&["add", "book", "Dune"]).await;
    assert!(
        stderr(&finished).contains(&format!(
            "({dune}, finished): to go through it again, `lately start {dune}`"
        )),
        "{}",
        stderr(&finished)
    );
    // Added finished (read again, and logged after): the finish is the way on.
    let finished = sys
        .lately(&["add", "book", "Dune", "--finished", "--rating", "5"])
        .await;
    assert_eq!(finished.status.code(), Some(2));
    assert!(
        stderr(&finished).contains(&format!(
            "({dune}, finished): gone through it again, `lately finish {dune} --again` records it"
        )),
        "{}",
        stderr(&finished)
    );
    assert_eq!(sys.head().await, head + 1, "only the finish before");
    // Another author's book of the title, the film, or one said to be another edition: added.
    for args in [
        &["add", "book", "Dune", "--by", "Someone Else"][..],
        &["add", "movie", "Dune", "--by", "Denis Villeneuve"],
        &[
            "add",
            "book",
            "Dune",
            "--by",
            "Frank Herbert",
            "--duplicate",
        ],
    ] {
        let added = sys.lately(args).await;
        assert!(added.status.success(), "{args:?}: {}", stderr(&added));
        assert_ne!(stdout(&added).trim(), dune);
    }
    let books = stdout(&sys.lately(&["items", "--kind", "book"]).await);
    // Told apart by who wrote them, as the list says it.
    assert_eq!(
        books.matches("Dune by Frank Herbert  (").count(),
        2,
        "{books}"
    );
    assert_eq!(
        books.matches("Dune by Someone Else  (").count(),
        1,
        "{books}"
    );
}

/// A small site for `lately add article LINK`: an article's page (reached by a redirect too),
/// a PDF and a page gone; its address.
async fn site() -> String {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let page = r#"<!doctype html><html><head>
        <title>The Slow Web, Again | The Paper</title>
        <meta property="og:site_name" content="The Paper">
        <meta property="og:title" content="The Slow Web, Again">
        <meta property="og:image" content="/img/slow-web.jpg">
        <link rel="canonical" href="/2026/slow-web">
        <script type="application/ld+json">
          {"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Ada Park"}, "Ben Ode"]}
        </script></head><body><h1>The Slow Web, Again</h1></body></html>"#;
    let server = HttpServer::new(move || {
        App::new()
            .route(
                "/2026/slow-web",
                web::get().to(move || async move {
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(page)
                }),
            )
            .route(
                "/moved",
                web::get().to(|| async {
                    HttpResponse::MovedPermanently()
                        .insert_header(("Location", "/2026/slow-web?utm_source=rss"))
                        .finish()
                }),
            )
            .route(
                "/paper.pdf",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("application/pdf")
                        .body("%PDF-1.7")
                }),
            )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    address
}

/// `lately add article LINK` reads the page for its title, its authors, its own address (the
/// canonical one, after a redirect and without the tracking) and its picture; what the command
/// gives (`--by`, `--cover`) is kept instead. The same page again is refused by its link,
/// whatever its title; a link that is not a page, or not there, adds nothing and says how to
/// go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_is_added_by_its_link_alone() {
    let sys = system().await;
    let site = site().await;
    let added = sys
        .lately(&[
            "add",
            "article",
            &format!("{site}/moved?fbclid=1"),
            "--tag",
            "web",
        ])
        .await;
    assert!(added.status.success(), "{}", stderr(&added));
    let id = stdout(&added).trim().to_owned();
    assert_eq!(
        stderr(&added).trim(),
        format!("The Slow Web, Again by Ada Park, Ben Ode ({site}/2026/slow-web)")
    );
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let item = log.read_stream(&id).await.unwrap()[0].data.value().unwrap();
    assert_eq!(item["kind"], "article");
    assert_eq!(item["title"], "The Slow Web, Again");
    assert_eq!(item["creators"], serde_json::json!(["Ada Park", "Ben Ode"]));
    assert_eq!(item["url"], format!("{site}/2026/slow-web"));
    assert_eq!(item["cover_url"], format!("{site}/img/slow-web.jpg"));
    assert_eq!(item["tags"], serde_json::json!(["web"]));

    let head = sys.head().await;
    let (anchored, slashed) = (
        format!("{site}/2026/slow-web#comments"),
        format!("{site}/2026/slow-web/"),
    );
    for args in [
        &["add", "article", &anchored][..],
        &["add", "article", "Another title", "--url", &slashed],
    ] {
        let refused = sys.lately(args).await;
        assert_eq!(refused.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&refused).contains(&format!(
                "The Slow Web, Again by Ada Park, Ben Ode is in your list already ({id}, up next, \
                 the same page): `lately start {id}` starts it; to add it again all the same, say \
                 --duplicate"
            )),
            "{}",
            stderr(&refused)
        );
    }
    for (link, said) in [
        (
            format!("{site}/paper.pdf"),
            format!("{site}/paper.pdf is not a web page (application/pdf)"),
        ),
        (
            format!("{site}/gone"),
            format!("{site}/gone answered 404 Not Found"),
        ),
        (
            "http://127.0.0.1:1/x".to_owned(),
            "could not read http://127.0.0.1:1/x: ".to_owned(),
        ),
    ] {
        let failed = sys.lately(&["add", "article", &link]).await;
        assert_eq!(failed.status.code(), Some(3), "{link}");
        let told = stderr(&failed);
        assert!(told.contains(&said), "{told}");
        assert!(
            told.contains(&format!(
                "give the title yourself: lately add KIND \"…\" --url {link}"
            )),
            "{told}"
        );
    }
    let both = sys
        .lately(&[
            "add",
            "article",
            &format!("{site}/moved"),
            "--url",
            "https://example.com/",
        ])
        .await;
    assert_eq!(both.status.code(), Some(2));
    assert!(stderr(&both).contains("the title is a link and --url another"));
    assert_eq!(sys.head().await, head, "nothing written");

    // Another copy all the same, with an author and a picture of the command's own.
    let copy = sys
        .lately(&[
            "add",
            "article",
            &format!("{site}/2026/slow-web"),
            "--by",
            "A. Park",
            "--cover",
            "https://img.example/slow.jpg",
            "--duplicate",
        ])
        .await;
    assert!(copy.status.success(), "{}", stderr(&copy));
    let copy = log.read_stream(stdout(&copy).trim()).await.unwrap()[0]
        .data
        .value()
        .unwrap();
    assert_eq!(copy["creators"], serde_json::json!(["A. Park"]));
    assert_eq!(copy["cover_url"], "https://img.example/slow.jpg");
    assert_eq!(copy["title"], "The Slow Web, Again");
}

/// A book's cover by the ISBN on its back: `--cover` takes one (hyphens and all) as Open
/// Library's cover for it, adding and editing; digits mistyped are refused by the check digit,
/// with the reason, and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_books_isbn_is_its_cover() {
    let sys = system().await;
    let added = sys
        .lately(&["add", "book", "Dune", "--cover", "978-0-441-17271-9"])
        .await;
    assert!(added.status.success(), "{}", stderr(&added));
    let id = stdout(&added).trim().to_owned();
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let data = |e: &lately_log::RecordedEvent| e.data.value().unwrap();
    assert_eq!(
        data(&log.read_stream(&id).await.unwrap()[0])["cover_url"],
        "https://covers.openlibrary.org/b/isbn/9780441172719-M.jpg?default=false"
    );

    let head = sys.head().await;
    let typo = sys.lately(&["edit", &id, "--cover", "0441172718"]).await;
    assert_eq!(typo.status.code(), Some(2), "{}", stderr(&typo));
    assert!(
        stderr(&typo).contains(
            "“0441172718” is not an ISBN: its check digit is 8, where the digits before it \
             make 7 (a digit mistyped?)"
        ),
        "{}",
        stderr(&typo)
    );
    assert_eq!(sys.head().await, head, "nothing written");

    let edited = sys.lately(&["edit", &id, "--cover", "0441172717"]).await;
    assert!(edited.status.success(), "{}", stderr(&edited));
    assert_eq!(
        data(log.read_stream(&id).await.unwrap().last().unwrap())["changes"],
        serde_json::json!({ "cover_url": "https://covers.openlibrary.org/b/isbn/0441172717-M.jpg?default=false" })
    );
}

/// An Open Library stand-in: its search knows Piranesi and Leviathan Wakes, finds nothing for
/// 三体 and answers 503 to anything else; by ISBN (`q=isbn:…`) it knows Dune's 9780441172719
/// alone. Each search's title (or `q`), as asked, is kept.
async fn open_library() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = asked.clone();
    let server = actix_web::HttpServer::new(move || {
        let asked = kept.clone();
        actix_web::App::new().route(
            "/search.json",
            actix_web::web::get().to(
                move |q: actix_web::web::Query<std::collections::HashMap<String, String>>| {
                    let asked = asked.clone();
                    async move {
                        if let Some(isbn) = q.get("q") {
                            asked.lock().unwrap().push(isbn.clone());
                            let docs = match isbn.as_str() {
                                "isbn:9780441172719" => serde_json::json!([
                                    { "title": "Dune", "author_name": ["Frank Herbert"], "cover_i": 11_481_354 },
                                ]),
                                _ => serde_json::json!([]),
                            };
                            return actix_web::HttpResponse::Ok()
                                .json(serde_json::json!({ "docs": docs }));
                        }
                        let (title, author) = (q["title"].clone(), q["author"].clone());
                        asked.lock().unwrap().push(title.clone());
                        let docs = match (title.as_str(), author.as_str()) {
                            ("Piranesi", "Susanna Clarke") => serde_json::json!([
                                { "title": "Piranesi", "author_name": ["Someone Else"], "cover_i": 1 },
                                { "title": "Piranesi", "author_name": ["Susanna Clarke"], "cover_i": 10_544_203 },
                            ]),
                            ("Leviathan Wakes", "James S.A. Corey") => serde_json::json!([
                                { "title": "Leviathan Wakes", "author_name": ["James S. A. Corey"], "cover_i": 6_975_531 },
                            ]),
                            ("三体", _) => serde_json::json!([]),
                            _ => return actix_web::HttpResponse::ServiceUnavailable().finish(),
                        };
                        actix_web::HttpResponse::Ok().json(serde_json::json!({ "docs": docs }))
                    }
                },
            ),
        )
    })
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    tokio::spawn(server.run());
    (url, asked)
}

/// What the TMDB stand-in was asked: the kind searched (`movie`, `tv`), the title and the
/// year.
type Searches = std::sync::Arc<std::sync::Mutex<Vec<(String, String, Option<String>)>>>;

/// A TMDB stand-in: its searches answer the token `tmdb-read-token` (as a bearer's) or the key
/// `0123456789abcdef0123456789abcdef` (as `api_key`), and 401 with TMDB's own words to any
/// other. It knows Past Lives, Dune (2021's first, after "Dune: Part Two"; 1984's by its
/// year), Heat of 1995, Aftersun of 2022 and the show Severance; nothing else. Each search is
/// kept.
async fn tmdb() -> (String, Searches) {
    let asked: Searches = Default::default();
    let kept = asked.clone();
    let server = actix_web::HttpServer::new(move || {
        let asked = kept.clone();
        actix_web::App::new().route(
            "/3/search/{kind}",
            actix_web::web::get().to(
                move |req: actix_web::HttpRequest,
                      kind: actix_web::web::Path<String>,
                      q: actix_web::web::Query<std::collections::HashMap<String, String>>| {
                    let asked = asked.clone();
                    async move {
                        let bearer = req
                            .headers()
                            .get("authorization")
                            .and_then(|a| a.to_str().ok())
                            == Some("Bearer tmdb-read-token");
                        let key = q.get("api_key").map(String::as_str)
                            == Some("0123456789abcdef0123456789abcdef");
                        if !bearer && !key {
                            return actix_web::HttpResponse::Unauthorized().json(serde_json::json!({
                                "status_code": 7,
                                "status_message": "Invalid API key: You must be granted a valid key.",
                                "success": false
                            }));
                        }
                        assert_eq!(q["include_adult"], "false");
                        let year = q.get("year").or(q.get("first_air_date_year")).cloned();
                        let title = q["query"].clone();
                        asked
                            .lock()
                            .unwrap()
                            .push((kind.to_string(), title.clone(), year.clone()));
                        let results = match (kind.as_str(), title.as_str(), year.as_deref()) {
                            ("movie", "Past Lives", None) => serde_json::json!([
                                { "title": "Past Lives", "original_title": "Past Lives", "poster_path": "/pastlives.jpg" },
                            ]),
                            ("movie", "Dune", None) => serde_json::json!([
                                { "title": "Dune: Part Two", "original_title": "Dune: Part Two", "poster_path": "/two.jpg" },
                                { "title": "Dune", "original_title": "Dune", "poster_path": "/2021.jpg" },
                            ]),
                            ("movie", "Dune", Some("1984")) => serde_json::json!([
                                { "title": "Dune", "original_title": "Dune", "poster_path": "/1984.jpg" },
                            ]),
                            ("movie", "Heat", Some("1995")) => serde_json::json!([
                                { "title": "Heat", "original_title": "Heat", "poster_path": "/heat.jpg" },
                            ]),
                            ("movie", "Aftersun", Some("2022")) => serde_json::json!([
                                { "title": "Aftersun", "original_title": "Aftersun", "poster_path": "/aftersun.jpg" },
                            ]),
                            ("tv", "Severance", None) => serde_json::json!([
                                { "name": "Severance", "original_name": "Severance", "poster_path": "/severance.jpg" },
                            ]),
                            _ => serde_json::json!([]),
                        };
                        actix_web::HttpResponse::Ok()
                            .json(serde_json::json!({ "page": 1, "results": results }))
                    }
                },
            ),
        )
    })
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    tokio::spawn(server.run());
    (url, asked)
}

/// A film or a show added without a cover gets TMDB's poster, found by its title (and the year
/// an import's title ends with), given the owner's key: the widget's shelf of films is a row of
/// letters otherwise. Without a key nothing is asked, and `covers` says how many wait for one;
/// a private one's title is not sent; a key TMDB refuses adds the film without one, saying
/// TMDB's words; `covers` covers those added before, an import's `--covers` its films.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_film_or_a_show_without_a_cover_gets_tmdbs_poster_given_a_key() {
    let sys = system().await;
    let (tmdb, asked) = tmdb().await;
    let lately = |token: &'static str, args: Vec<&str>| {
        let mut command = sys.command(&args);
        command.env("LATELY_TMDB_URL", &tmdb);
        if !token.is_empty() {
            command.env("LATELY_TMDB_TOKEN", token);
        }
        async move { command.output().await.unwrap() }
    };
    let with_key = |args: &[&'static str]| lately("tmdb-read-token", args.to_vec());
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let cover_of = |id: String| {
        let log = &log;
        async move {
            let events = log.read_stream(id.trim()).await.unwrap();
            let mut cover = events[0].data.value().unwrap()["cover_url"].clone();
            for e in &events[1..] {
                if let Some(c) = e.data.value().unwrap()["changes"].get("cover_url") {
                    cover = c.clone();
                }
            }
            cover
        }
    };
    let poster = |path: &str| serde_json::json!(format!("https://image.tmdb.org/t/p/w342{path}"));

    // No key: added as before, nothing asked.
    let unkeyed = lately("", vec!["add", "movie", "Past Lives"]).await;
    assert!(unkeyed.status.success(), "{}", stderr(&unkeyed));
    let past_lives = stdout(&unkeyed).trim().to_owned();
    assert_eq!(cover_of(past_lives.clone()).await, serde_json::Value::Null);
    assert_eq!(stderr(&unkeyed), "", "said of a poster with no key");

    for (args, path) in [
        (
            &["add", "film", "Past Lives", "--duplicate"][..],
            Some("/pastlives.jpg"),
        ),
        // The most looked-at of the name, not its sequel; of a year, that year's.
        (&["add", "movie", "Dune"], Some("/2021.jpg")),
        (&["add", "movie", "Dune (1984)"], Some("/1984.jpg")),
        (&["add", "show", "Severance"], Some("/severance.jpg")),
        // One season of it, an item of its own: the show's.
        (
            &["add", "show", "Severance, season 2"],
            Some("/severance.jpg"),
        ),
        (&["add", "movie", "Nothing Like It"], None),
    ] {
        let added = with_key(args).await;
        assert!(added.status.success(), "{args:?}: {}", stderr(&added));
        let cover = cover_of(stdout(&added)).await;
        match path {
            Some(path) => {
                assert_eq!(cover, poster(path), "{args:?}");
                assert!(
                    stderr(&added).contains(&format!(
                        "cover: TMDB's poster ({})",
                        poster(path).as_str().unwrap()
                    )),
                    "{}",
                    stderr(&added)
                );
            }
            None => {
                assert_eq!(cover, serde_json::Value::Null, "{args:?}");
                assert!(
                    stderr(&added)
                        .contains("no poster of it on TMDB (--cover takes a picture's link)"),
                    "{}",
                    stderr(&added)
                );
            }
        }
    }
    // Not looked up: a private film, one with its cover given or none wanted, a game.
    let mut unlooked = Vec::new();
    for args in [
        &["add", "movie", "Home Movies", "--private"][..],
        &["add", "movie", "Heat (1995)", "--no-cover"],
        &[
            "add",
            "movie",
            "Alien",
            "--cover",
            "https://img.example/alien.jpg",
        ],
        &["add", "game", "Hades"],
    ] {
        let added = with_key(args).await;
        assert!(added.status.success(), "{args:?}: {}", stderr(&added));
        unlooked.push(stdout(&added).trim().to_owned());
    }
    let heat = unlooked[1].clone();
    // The short key is taken too; a key TMDB refuses adds the film without a poster.
    let short = lately(
        "0123456789abcdef0123456789abcdef",
        vec!["add", "movie", "Dune", "--duplicate"],
    )
    .await;
    assert_eq!(
        cover_of(stdout(&short)).await,
        poster("/2021.jpg"),
        "{}",
        stderr(&short)
    );
    let refused = lately("expired", vec!["add", "movie", "Arrival"]).await;
    assert!(refused.status.success(), "{}", stderr(&refused));
    let arrival = stdout(&refused).trim().to_owned();
    assert_eq!(cover_of(arrival.clone()).await, serde_json::Value::Null);
    assert!(
        stderr(&refused).contains(
            "no poster: TMDB answered 401 Unauthorized: Invalid API key: You must be granted a \
             valid key."
        ),
        "{}",
        stderr(&refused)
    );
    let searched = |kind: &str, title: &str, year: Option<&str>| {
        (kind.to_owned(), title.to_owned(), year.map(str::to_owned))
    };
    assert_eq!(
        std::mem::take(&mut *asked.lock().unwrap()),
        [
            searched("movie", "Past Lives", None),
            searched("movie", "Dune", None),
            searched("movie", "Dune", Some("1984")),
            searched("tv", "Severance", None),
            searched("tv", "Severance", None),
            searched("movie", "Nothing Like It", None),
            searched("movie", "Dune", None),
        ],
        "a private film, one with a cover or none wanted, or a game was looked up"
    );

    // `covers`: without a key, how many wait for one; with it, each found set.
    let head = sys.head().await;
    let unkeyed = lately("", vec!["covers"]).await;
    assert!(unkeyed.status.success(), "{}", stderr(&unkeyed));
    assert!(
        stderr(&unkeyed).contains(
            "4 films and shows without a cover: give your TMDB key (LATELY_TMDB_TOKEN) to look \
             up their posters"
        ),
        "{}",
        stderr(&unkeyed)
    );
    assert_eq!(sys.head().await, head, "written without a key");
    let covered = with_key(&["covers"]).await;
    assert!(covered.status.success(), "{}", stderr(&covered));
    let mut lines: Vec<String> = stdout(&covered).lines().map(str::to_owned).collect();
    lines.sort();
    let mut wanted = vec![
        format!("{heat}  Heat (1995)  https://image.tmdb.org/t/p/w342/heat.jpg"),
        format!("{past_lives}  Past Lives  https://image.tmdb.org/t/p/w342/pastlives.jpg"),
    ];
    wanted.sort();
    assert_eq!(lines, wanted);
    assert!(
        stderr(&covered)
            .contains("posters set for 2 of 4 films and shows without one, found on TMDB by title"),
        "{}",
        stderr(&covered)
    );
    assert_eq!(cover_of(heat).await, poster("/heat.jpg"));
    assert_eq!(cover_of(arrival).await, serde_json::Value::Null);
    asked.lock().unwrap().clear();

    // An import's films, each once (a rewatch is the same film's), by title and year.
    let dir = tempfile::tempdir().unwrap();
    let diary = dir.path().join("diary.csv");
    std::fs::write(
        &diary,
        "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n\
         2024-05-02,Aftersun,2022,https://boxd.it/a1,5,,,2024-05-01\n\
         2024-09-02,Aftersun,2022,https://boxd.it/a2,5,Yes,,2024-09-01\n\
         2024-10-02,Unknown Film,2003,https://boxd.it/u1,3,,,2024-10-01\n",
    )
    .unwrap();
    let diary = diary.to_str().unwrap();
    let head = sys.head().await;
    let unkeyed = lately("", vec!["import", "letterboxd", diary, "--covers"]).await;
    assert_eq!(unkeyed.status.code(), Some(2), "{}", stderr(&unkeyed));
    assert!(
        stderr(&unkeyed).contains("give it as LATELY_TMDB_TOKEN"),
        "{}",
        stderr(&unkeyed)
    );
    assert_eq!(sys.head().await, head, "written without a key");
    let imported = lately(
        "tmdb-read-token",
        vec!["import", "letterboxd", diary, "--covers"],
    )
    .await;
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(
        stderr(&imported)
            .contains("posters for 1 of 2 films and shows, found on TMDB by title and year"),
        "{}",
        stderr(&imported)
    );
    // Two at a time: in either order.
    asked.lock().unwrap().sort();
    assert_eq!(
        *asked.lock().unwrap(),
        [
            searched("movie", "Aftersun", Some("2022")),
            searched("movie", "Unknown Film", Some("2003")),
        ]
    );
    // Items are written eight at once: in no set order.
    let mut added = added_covers(&log, head).await;
    added.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        added,
        [
            ("Aftersun (2022)".to_owned(), poster("/aftersun.jpg")),
            ("Unknown Film (2003)".to_owned(), serde_json::Value::Null),
        ]
    );
}

/// The title and cover of each item added to the log after `head`, in the log's order.
async fn added_covers(log: &lately_log::EventLog, head: i64) -> Vec<(String, serde_json::Value)> {
    log.read_after(head, 1000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event_type == "item_added")
        .map(|e| {
            let data = e.data.value().unwrap();
            (
                data["title"].as_str().unwrap().to_owned(),
                data["cover_url"].clone(),
            )
        })
        .collect()
}

/// A private book by an author, which no look-up may send out.
const PRIVATE_BOOK: &[&str] = &[
    "add",
    "book",
    "A Private Notebook",
    "--by",
    "Me",
    "--private",
];

/// A book added without a cover gets Open Library's by its title and author (a Kindle edition
/// has no ISBN on its back), as do an import's books without an ISBN with `--covers`: a shelf
/// of letters otherwise. Only a match of title and author is taken; a private book's title is
/// not sent; a failed look-up adds the book without one, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_book_without_a_cover_gets_open_librarys_by_its_title_and_author() {
    let sys = system().await;
    let (open_library, asked) = open_library().await;
    let lately = |args: &'static [&'static str]| {
        sys.lately_with(("LATELY_OPEN_LIBRARY_URL", open_library.as_str()), args)
    };
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let cover_of = |id: String| {
        let log = &log;
        async move {
            log.read_stream(id.trim()).await.unwrap()[0]
                .data
                .value()
                .unwrap()["cover_url"]
                .clone()
        }
    };

    let added = lately(&["add", "book", "Piranesi", "--by", "Susanna Clarke"]).await;
    assert!(added.status.success(), "{}", stderr(&added));
    let cover = "https://covers.openlibrary.org/b/id/10544203-M.jpg?default=false";
    assert_eq!(
        cover_of(stdout(&added)).await,
        cover,
        "not its author's work"
    );
    assert!(
        stderr(&added).contains(&format!("cover: Open Library's ({cover})")),
        "{}",
        stderr(&added)
    );
    let outage = lately(&["add", "book", "The Outage", "--by", "A. Writer"]).await;
    assert!(outage.status.success(), "{}", stderr(&outage));
    assert_eq!(cover_of(stdout(&outage)).await, serde_json::Value::Null);
    assert!(
        stderr(&outage).contains("no cover: Open Library answered 503 Service Unavailable"),
        "{}",
        stderr(&outage)
    );
    for args in [
        PRIVATE_BOOK,
        &[
            "add",
            "book",
            "Ulysses",
            "--by",
            "James Joyce",
            "--no-cover",
        ],
        &["add", "book", "Anonymous Pamphlet"],
    ] {
        let added = lately(args).await;
        assert!(added.status.success(), "{}", stderr(&added));
        assert_eq!(
            cover_of(stdout(&added)).await,
            serde_json::Value::Null,
            "{args:?}"
        );
    }
    assert_eq!(
        *asked.lock().unwrap(),
        ["Piranesi", "The Outage"],
        "a private book's title, one without a cover wanted or one without an author was sent"
    );

    // An import's books: by ISBN where the export has one, not looked up; by title and author
    // where it has none (the series after Goodreads' title aside); none where none is found.
    asked.lock().unwrap().clear();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("goodreads_library_export.csv");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/goodreads_library_export.csv"
    );
    // Piranesi is in the log already (another key: added again); Leviathan Wakes has no ISBN.
    let csv = std::fs::read_to_string(fixture).unwrap()
        + "31333,\"Leviathan Wakes (The Expanse, #1)\",James S.A. Corey,\"Corey, James S.A.\",,\"=\"\"\"\"\",\"=\"\"\"\"\",0,4.2,Orbit,Kindle Edition,582,2011,2011,,2024/03/01,to-read,to-read (#13),to-read,,,,0,0\n";
    std::fs::write(&file, csv).unwrap();
    let imported = sys
        .lately_with(
            ("LATELY_OPEN_LIBRARY_URL", open_library.as_str()),
            &["import", "goodreads", file.to_str().unwrap(), "--covers"],
        )
        .await;
    assert_eq!(
        stdout(&imported),
        "5 rows: 5 recorded, 0 already in the log, 0 refused\n",
        "{}",
        stderr(&imported)
    );
    assert!(
        stderr(&imported).contains(
            "covers for 2 of 3 books without an ISBN, found on Open Library by title and author"
        ),
        "{}",
        stderr(&imported)
    );
    let mut asked = asked.lock().unwrap().clone();
    asked.sort();
    assert_eq!(asked, ["Leviathan Wakes", "Piranesi", "三体"]);
    let covers: std::collections::BTreeMap<String, serde_json::Value> = log
        .read_after(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == "item_added" && e.data.value().unwrap()["url"].is_string())
        .map(|e| {
            let data = e.data.value().unwrap();
            (
                data["title"].as_str().unwrap().to_owned(),
                data["cover_url"].clone(),
            )
        })
        .collect();
    assert_eq!(
        covers,
        [
            (
                "Good Omens: The Nice and Accurate Prophecies of Agnes Nutter, Witch",
                "https://covers.openlibrary.org/b/isbn/9780060853983-M.jpg?default=false".into()
            ),
            (
                "Leviathan Wakes (The Expanse, #1)",
                "https://covers.openlibrary.org/b/id/6975531-M.jpg?default=false".into()
            ),
            ("Piranesi", cover.into()),
            (
                "The Left Hand of Darkness (Hainish Cycle, #4)",
                "https://covers.openlibrary.org/b/isbn/9780441478125-M.jpg?default=false".into()
            ),
            ("三体", serde_json::Value::Null),
        ]
        .into_iter()
        .map(|(t, c)| (t.to_owned(), c))
        .collect(),
    );
}

/// `lately add book 978-0-441-17271-9`: the number on a book's back instead of its title, as on
/// a phone's barcode app; Open Library names it (its title, authors and cover). An ISBN it does
/// not know, or one mistyped, is refused, nothing written; digits that are no ISBN are a title.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_book_is_added_by_the_isbn_on_its_back() {
    let sys = system().await;
    let (open_library, asked) = open_library().await;
    let lately = |args: &'static [&'static str]| {
        sys.lately_with(("LATELY_OPEN_LIBRARY_URL", open_library.as_str()), args)
    };
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();

    let added = lately(&["add", "book", "978-0-441-17271-9"]).await;
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stderr(&added)
            .contains("Dune by Frank Herbert (Open Library's, by the ISBN 9780441172719)"),
        "{}",
        stderr(&added)
    );
    let data = log.read_stream(stdout(&added).trim()).await.unwrap()[0]
        .data
        .value()
        .unwrap();
    assert_eq!(
        (&data["title"], &data["creators"], &data["cover_url"]),
        (
            &serde_json::json!("Dune"),
            &serde_json::json!(["Frank Herbert"]),
            &serde_json::json!("https://covers.openlibrary.org/b/id/11481354-M.jpg?default=false")
        )
    );
    // The same book by its ISBN again: in the list already, as by its title.
    let again = lately(&["add", "book", "9780441172719"]).await;
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("in your list already"),
        "{}",
        stderr(&again)
    );

    let head = sys.head().await;
    let unknown = lately(&["add", "book", "0-8044-2957-X"]).await;
    assert_eq!(unknown.status.code(), Some(3), "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains(
            "Open Library knows no book with the ISBN 080442957X; give the book's title: lately \
             add book \"…\" --cover 080442957X"
        ),
        "{}",
        stderr(&unknown)
    );
    let typo = lately(&["add", "book", "978-0-441-17271-8"]).await;
    assert_eq!(typo.status.code(), Some(2), "{}", stderr(&typo));
    assert!(
        stderr(&typo).contains("its check digit is 8, where the digits before it make 9"),
        "{}",
        stderr(&typo)
    );
    assert_eq!(sys.head().await, head, "nothing written");
    assert_eq!(
        *asked.lock().unwrap(),
        [
            "isbn:9780441172719",
            "isbn:9780441172719",
            "isbn:080442957X"
        ],
        "a mistyped ISBN was looked up"
    );
    // Named, with no cover wanted.
    let bare = lately(&["add", "book", "9780441172719", "--duplicate", "--no-cover"]).await;
    assert!(bare.status.success(), "{}", stderr(&bare));
    let data = log.read_stream(stdout(&bare).trim()).await.unwrap()[0]
        .data
        .value()
        .unwrap();
    assert_eq!(
        (&data["title"], &data["cover_url"]),
        (&serde_json::json!("Dune"), &serde_json::Value::Null)
    );
    // Digits that are no ISBN: a title.
    let orwell = lately(&["add", "book", "1984", "--by", "George Orwell", "--no-cover"]).await;
    assert!(orwell.status.success(), "{}", stderr(&orwell));
    assert_eq!(
        log.read_stream(stdout(&orwell).trim()).await.unwrap()[0]
            .data
            .value()
            .unwrap()["title"],
        "1984"
    );
}

/// `lately covers`: the books that went without a cover (added while Open Library could not be
/// reached, or imported without `--covers`) get Open Library's, each set with the version it
/// was read at; a private one is not looked up, one with a cover left as it is; `--dry-run`
/// sets nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lately_covers_gives_the_books_without_one_open_librarys() {
    let sys = system().await;
    // Open Library unreachable meanwhile (the harness' closed port): each added without one.
    let mut ids = Vec::new();
    for args in [
        &["add", "book", "Piranesi", "--by", "Susanna Clarke"][..],
        PRIVATE_BOOK,
        &[
            "add",
            "book",
            "Kindred",
            "--by",
            "Octavia E. Butler",
            "--cover",
            "https://img.example/kindred.jpg",
        ],
        &["add", "book", "三体", "--by", "刘慈欣"],
        &["add", "book", "Anonymous Pamphlet"],
        &["add", "movie", "Past Lives", "--by", "Celine Song"],
    ] {
        let added = sys.lately(args).await;
        assert!(added.status.success(), "{}", stderr(&added));
        ids.push(stdout(&added).trim().to_owned());
    }
    let piranesi = &ids[0];
    let (open_library, asked) = open_library().await;
    let covers = |args: &'static [&'static str]| {
        sys.lately_with(("LATELY_OPEN_LIBRARY_URL", open_library.as_str()), args)
    };
    let cover = "https://covers.openlibrary.org/b/id/10544203-M.jpg?default=false";
    let head = sys.head().await;
    let dry = covers(&["covers", "--dry-run"]).await;
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert_eq!(stdout(&dry), format!("{piranesi}  Piranesi  {cover}\n"));
    assert!(
        stderr(&dry).contains(
            "covers to set for 1 of 2 books without one, found on Open Library by title and author"
        ),
        "{}",
        stderr(&dry)
    );
    assert_eq!(sys.head().await, head, "a dry run wrote");

    let set = covers(&["covers"]).await;
    assert!(set.status.success(), "{}", stderr(&set));
    assert_eq!(stdout(&set), format!("{piranesi}  Piranesi  {cover}\n"));
    assert!(
        stderr(&set).contains("covers set for 1 of 2 books without one"),
        "{}",
        stderr(&set)
    );
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let written = log.read_after(head, 10).await.unwrap();
    assert_eq!(written.len(), 1, "one edit");
    assert_eq!(&written[0].stream_id, piranesi);
    assert_eq!(written[0].event_type, "item_edited");
    assert_eq!(
        written[0].data.value().unwrap()["changes"],
        serde_json::json!({ "cover_url": cover })
    );
    let mut asked = asked.lock().unwrap().clone();
    asked.sort();
    assert_eq!(
        asked,
        ["Piranesi", "Piranesi", "三体", "三体"],
        "a private book, one with a cover, one without an author or a film was looked up"
    );
}

/// `lately add … --finished [--rating R]`: the article just read, logged in one command, as
/// the owner's page's "Add, finished": the id printed, the item added and finished now; with
/// `finish`'s other flags (`--at`, `--started`, `--review`, `--no-tweet`), the film seen the
/// other night. A rating, a review or days the writer would refuse are refused before anything
/// is written; a finish's flag alone is no finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_finished_logs_an_item_just_read_in_one_command() {
    let sys = system().await;
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let added = sys
        .lately(&[
            "add",
            "article",
            "Against the Grain",
            "--finished",
            "--rating",
            "4.5",
        ])
        .await;
    assert!(added.status.success(), "{}", stderr(&added));
    let id = stdout(&added).trim().to_owned();
    let events = log.read_stream(&id).await.unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| (
                e.event_type.as_str(),
                e.data.value().unwrap()["rating"].clone()
            ))
            .collect::<Vec<_>>(),
        [
            ("item_added", serde_json::Value::Null),
            ("item_finished", serde_json::json!(4.5))
        ]
    );
    let head = sys.head().await;
    for bad in [
        &["add", "article", "Another", "--finished", "--rating", "7"][..],
        &["add", "article", "Another", "--rating", "4"],
    ] {
        let out = sys.lately(bad).await;
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
    }
    assert!(stderr(
        &sys.lately(&["add", "article", "Another", "--finished", "--rating", "7"])
            .await
    )
    .contains("rating must be between 0.5 and 5.0 in steps of 0.5 (got 7)"));
    assert_eq!(sys.head().await, head, "nothing written");

    // The film seen the other night, logged whole: begun and finished on the days given,
    // reviewed, not tweeted, as `lately finish` would have written it.
    let film = sys
        .lately(&[
            "add",
            "movie",
            "Perfect Days",
            "--finished",
            "--at",
            "2026-11-20",
            "--started",
            "2026-11-19",
            "--rating",
            "4",
            "--review",
            "Toilets and trees.",
            "--no-tweet",
        ])
        .await;
    assert!(film.status.success(), "{}", stderr(&film));
    assert_eq!(
        stdout(&film).lines().count(),
        1,
        "the id alone: {}",
        stdout(&film)
    );
    let id = stdout(&film).trim().to_owned();
    let events = log.read_stream(&id).await.unwrap();
    let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["item_added", "item_started", "item_finished"]);
    let day = |t: &serde_json::Value| t.as_str().unwrap_or_default()[..10].to_owned();
    let started = events[1].data.value().unwrap();
    let finished = events[2].data.value().unwrap();
    assert_eq!(day(&started["at"]), "2026-11-19");
    assert_eq!(day(&finished["at"]), "2026-11-20");
    assert_eq!(finished["review"], "Toilets and trees.");
    assert_eq!(finished["rating"], 4.0);
    assert_eq!(finished["tweet"], false);

    // A finish's flags without `--finished`, a start after the finish, a review the writer
    // would refuse: refused before anything is written. And `lately finish` with a start and
    // a bad rating or review starts nothing.
    let head = sys.head().await;
    let long = "x".repeat(10_001);
    for bad in [
        &["add", "movie", "Another", "--review", "Good."][..],
        &["add", "movie", "Another", "--at", "yesterday"],
        &["add", "movie", "Another", "--no-tweet"],
        &[
            "add",
            "movie",
            "Another",
            "--finished",
            "--at",
            "2026-11-20",
            "--started",
            "2026-11-21",
        ],
        &["add", "movie", "Another", "--finished", "--review", &long],
        // A year mistyped, which the writer would refuse once the item was added (a day in the
        // future was taken as now, before).
        &[
            "add",
            "movie",
            "Another",
            "--finished",
            "--at",
            "1850-01-01",
        ],
        &[
            "add",
            "movie",
            "Another",
            "--finished",
            "--at",
            "2162-01-01",
        ],
        &["finish", &id, "--started", "2026-11-25", "--rating", "7"],
        &["finish", &id, "--started", "2026-11-25", "--review", &long],
    ] {
        let out = sys.lately(bad).await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "{:?}: {}",
            &bad[..2],
            stderr(&out)
        );
    }
    assert_eq!(sys.head().await, head, "nothing written");
}

/// More items than a page holds: `lately items` and `lately queue` read every page, and print
/// each item once (the queue only the public ones).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_and_queue_read_every_page_of_a_long_list() {
    let sys = system().await;
    let client = reqwest::Client::new();
    let (mut added, mut public) = (Vec::new(), Vec::new());
    for i in 0..130 {
        let visibility = if i % 10 == 0 { "private" } else { "public" };
        let res = client
            .post(format!("{}/v1/items", sys.writer))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({
                "kind": "book", "title": format!("Book {i}"), "visibility": visibility
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let body: serde_json::Value = res.json().await.unwrap();
        let id = body["id"].as_str().unwrap().to_owned();
        if visibility == "public" {
            public.push(id.clone());
        }
        added.push(id);
    }
    // Written through the CLI, so that it waits for the reader to have seen every item.
    let last = sys.lately(&["add", "movie", "The last one"]).await;
    let last = stdout(&last).trim().to_owned();
    added.push(last.clone());
    public.push(last);
    assert!(public.len() > 100, "more than a page");
    let mut all = added.clone();
    all.sort();

    for (command, mut expected) in [("items", added), ("queue", public)] {
        let run = sys.lately(&[command]).await;
        assert!(run.status.success(), "{command}: {}", stderr(&run));
        let out = stdout(&run);
        let mut listed: Vec<String> = out
            .lines()
            .map(|l| {
                let id = l.rsplit_once("  (").expect("an id").1;
                id.split_once(')')
                    .expect("an id in parentheses")
                    .0
                    .to_owned()
            })
            .collect();
        assert!(
            out.lines().next().unwrap().contains("The last one"),
            "{command}: {out}"
        );
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected, "{command}");
    }
    // `export` reads every page too, each as of the first: every item once.
    let out = sys.lately(&["export"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let mut exported: Vec<String> = csv::Reader::from_reader(&out.stdout[..])
        .records()
        .map(|r| r.unwrap()[0].to_owned())
        .collect();
    exported.sort();
    assert_eq!(exported, all);
}

/// `lately list --limit N` reads as many pages of the feed as N takes (a page holds 100), and
/// stops at the feed's end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_reads_as_many_pages_as_the_limit_takes() {
    let sys = system().await;
    let client = reqwest::Client::new();
    for i in 0..104 {
        let post = |path: String, body: serde_json::Value| {
            client
                .post(format!("{}{path}", sys.writer))
                .bearer_auth(TOKEN)
                .json(&body)
                .send()
        };
        let title = format!("Film {i:03}");
        let res = post(
            "/v1/items".into(),
            serde_json::json!({ "kind": "movie", "title": title }),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 201);
        let id = res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // One minute apart, in the order they were written: the newest is the last.
        let at = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap()
            + chrono::Duration::minutes(i);
        let res = post(
            format!("/v1/items/{id}/finish"),
            serde_json::json!({ "at": at.to_rfc3339() }),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 200);
    }
    // Written through the CLI, so that it waits for the reader to have seen every finish.
    let last = stdout(&sys.lately(&["add", "movie", "The last one"]).await)
        .trim()
        .to_owned();
    assert!(sys.lately(&["finish", &last]).await.status.success());

    let titles = |out: String| -> Vec<String> {
        out.lines()
            .map(|l| l.split("film     ").nth(1).expect("a title").to_owned())
            .collect()
    };
    let some = sys.lately(&["list", "--limit", "103"]).await;
    assert!(some.status.success(), "{}", stderr(&some));
    let some = titles(stdout(&some));
    assert_eq!(some.len(), 103);
    assert!(some[0].starts_with("The last one"), "{:?}", &some[..3]);
    assert!(some[1].starts_with("Film 103"), "{:?}", &some[..3]);
    assert!(some[102].starts_with("Film 002"), "{:?}", &some[100..]);
    let all = sys.lately(&["list", "--limit", "500"]).await;
    assert_eq!(titles(stdout(&all)).len(), 105, "every finish, once");
    let none = sys.lately(&["list", "--limit", "0"]).await;
    assert_eq!(none.status.code(), Some(2), "a usage error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_outages_have_clear_messages_and_exit_codes() {
    let sys = system().await;
    let id = stdout(&sys.lately(&["add", "movie", "Past Lives"]).await)
        .trim()
        .to_owned();
    // A rating is checked before anything is sent (a usage error, as a bad flag is)…
    let bad = sys.lately(&["finish", &id, "--rating", "4.3"]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("rating must be between 0.5 and 5.0"),
        "{}",
        stderr(&bad)
    );
    // …a creator's length by the writer, whose refusal is said as it says it.
    let long = "x".repeat(201);
    let bad = sys.lately(&["add", "movie", "Heat", "--by", &long]).await;
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("creator must be at most 200 characters"),
        "{}",
        stderr(&bad)
    );
    // The body's JSON is the CLI's, not the user's: no "at line 1 column 14".
    assert!(!stderr(&bad).contains("column"), "{}", stderr(&bad));
    // A link pasted without its https://: as a title, it would be the item's name in the
    // feed; as a link, the writer names what it lacks. Nothing written either way.
    let head = sys.head().await;
    let pasted = sys
        .lately(&["add", "article", "example.com/2026/slow-web"])
        .await;
    assert_eq!(pasted.status.code(), Some(2), "{}", stderr(&pasted));
    assert!(
        stderr(&pasted).contains(
            "looks like a link without its https://: give it whole, `lately add article \
             https://example.com/2026/slow-web`"
        ),
        "{}",
        stderr(&pasted)
    );
    let linked = sys
        .lately(&["edit", &id, "--url", "example.com/past-lives"])
        .await;
    assert_eq!(linked.status.code(), Some(1), "{}", stderr(&linked));
    assert!(
        stderr(&linked).contains(
            r#"url: "example.com/past-lives" is not a whole link: give it with its https://"#
        ),
        "{}",
        stderr(&linked)
    );
    assert_eq!(sys.head().await, head, "nothing written");
    let missing = sys.lately(&["start", "no-such-item"]).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("404"));
    let usage = sys.lately(&["add", "vinyl", "x"]).await;
    assert_eq!(usage.status.code(), Some(2));
    let wrong_token = sys
        .lately_with(("LATELY_TOKEN", "wrong"), &["add", "book", "x"])
        .await;
    assert_eq!(wrong_token.status.code(), Some(1));
    assert!(stderr(&wrong_token).contains("401"));
    let down = sys
        .lately_with(("LATELY_URL", "http://127.0.0.1:1"), &["add", "book", "x"])
        .await;
    assert_eq!(down.status.code(), Some(3));
    // Why, not only reqwest's "error sending request for url (…)".
    assert!(
        stderr(&down).contains("cannot reach the writer at http://127.0.0.1:1")
            && stderr(&down).contains("Connection refused"),
        "{}",
        stderr(&down)
    );
    // A URL without its scheme is a usage error naming the option, before any request.
    let typo = sys
        .lately_with(("LATELY_URL", "localhost:8081"), &["add", "book", "x"])
        .await;
    assert_eq!(typo.status.code(), Some(2));
    assert!(
        stderr(&typo).contains("--writer") && stderr(&typo).contains("http://localhost:8081?"),
        "{}",
        stderr(&typo)
    );
    assert_eq!(sys.head().await, 1);
}

/// `lately demo` fills a fresh feed: six finishes, one book being read at its page, for the
/// widget's "currently reading", and one audiobook being listened to, at its time. Run again,
/// it adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fills_a_fresh_feed_once() {
    let sys = system().await;
    let demo = sys.lately(&["demo"]).await;
    assert!(demo.status.success(), "{}", stderr(&demo));
    let said = stdout(&demo);
    let (summary, page) = said.split_once('\n').unwrap();
    assert_eq!(
        summary,
        "8 items: 8 recorded, 0 already in the log, 0 refused"
    );
    assert!(
        page.starts_with("your page: http://127.0.0.1:") && page.ends_with("/\n"),
        "{said}"
    );
    let head = sys.head().await;
    // Six added and finished; one added, started and at a page; one at a time.
    assert_eq!(head, 6 * 2 + 3 + 3);
    // None of the sample finishes is for the notifier to tweet (as an import's are not).
    assert_eq!(
        sys.finishes_tweeted().await,
        [false; 6],
        "a demo finish may be tweeted"
    );
    let again = sys.lately(&["demo"]).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(sys.head().await, head, "a second demo appended events");
    let list = stdout(&sys.lately(&["list"]).await);
    assert_eq!(list.lines().count(), 6, "{list}");
    let current = stdout(&sys.lately(&["current"]).await);
    let (read, listened) = current.split_once('\n').unwrap();
    assert!(
        listened
            .starts_with("book     Project Hail Mary by Andy Weir 6h 42m of 16h 10m (41%), since "),
        "{current}"
    );
    // In progress since it was started, as its history says.
    let since = read
        .strip_prefix(
            "book     A Memory Called Empire by Arkady Martine page 172 of 462 (37%), since ",
        )
        .and_then(|rest| rest.split_once("  ("))
        .unwrap_or_else(|| panic!("{current}"));
    let id = since.1.trim().trim_end_matches(')');
    let show = stdout(&sys.lately(&["show", id]).await);
    assert!(
        show.contains(&format!("\n{}  started\n", since.0)),
        "{show}"
    );
}

/// The StoryGraph's export: a book read twice is two reads with their starts, the rating on
/// the latest; an audiobook's read listened to; one being read is in progress since its open
/// read began, one put down is abandoned, one to read is queued; importing again adds nothing.
/// Instapaper's: archived articles finished, the others queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storygraph_and_instapaper_exports_import_what_was_read() {
    let sys = system().await;
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/storygraph_library_export.csv"
    );
    let first = sys.lately(&["import", "storygraph", file]).await;
    assert_eq!(
        stdout(&first),
        "5 rows: 5 recorded, 0 already in the log, 0 refused\n",
        "{}",
        stderr(&first)
    );
    // Five adds; two reads of one book (a start and a finish each), one finish without a
    // start, one start, a start and an abandon.
    let head = sys.head().await;
    assert_eq!(head, 5 + 4 + 1 + 1 + 2);
    let list = stdout(&sys.lately(&["list"]).await);
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines[0].starts_with("2026-09-12  book     Red Rising by Pierce Brown ★★★★, took 11 days, 2nd time  (")
            && lines[1].starts_with("2025-03-14  book     Red Rising by Pierce Brown, took 13 days  (")
            && lines[2].starts_with("2025-01-09  book     A Psalm for the Wild-Built by Becky Chambers, Someone Else ★★★★½, listened  ("),
        "{list}"
    );
    assert_eq!(lines.len(), 3, "{list}");
    let current = stdout(&sys.lately(&["current"]).await);
    assert!(
        current.contains("Piranesi") && current.contains("since 2026-11-20"),
        "{current}"
    );
    let abandoned = stdout(&sys.lately(&["items", "--status", "abandoned"]).await);
    assert!(abandoned.contains("The Silmarillion"), "{abandoned}");
    let queue = stdout(&sys.lately(&["queue"]).await);
    assert!(
        queue.starts_with("book     Some Web Novel by Anon  ("),
        "{queue}"
    );
    let again = sys.lately(&["import", "storygraph", file]).await;
    assert_eq!(
        stdout(&again),
        "5 rows: 0 recorded, 5 already in the log, 0 refused\n"
    );
    assert_eq!(sys.head().await, head, "a second import appended events");
    // Instapaper's articles: the archived one finished, the others to read.
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/instapaper_export.csv"
    );
    let articles = sys.lately(&["import", "instapaper", file]).await;
    assert_eq!(
        stdout(&articles),
        "4 rows: 4 recorded, 0 already in the log, 0 refused\n",
        "{}",
        stderr(&articles)
    );
    // Saved at 22:13 UTC: that day in UTC.
    let list = stdout(
        &sys.lately_with(("TZ", "UTC"), &["list", "--kind", "article"])
            .await,
    );
    assert!(
        list.starts_with("2023-11-14  article  Local-first software: you own your data  ("),
        "{list}"
    );
    let queue = stdout(&sys.lately(&["queue", "--tag", "starred"]).await);
    assert!(
        queue.starts_with("article  Choose Boring Technology  ("),
        "{queue}"
    );
    assert_eq!(
        stdout(&sys.lately(&["queue", "--kind", "article"]).await)
            .lines()
            .count(),
        3
    );
    // And none of it for the notifier to tweet: an import is history.
    let tweeted = sys.finishes_tweeted().await;
    assert_eq!(tweeted, [false; 4], "{tweeted:?}");
}

/// Overcast's export: the episodes played, podcasts finished on the day they were played;
/// importing again adds nothing; nothing tweeted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overcast_export_imports_the_episodes_played() {
    let sys = system().await;
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/overcast.opml");
    let first = sys.lately(&["import", "overcast", file]).await;
    assert_eq!(
        stdout(&first),
        "2 episodes: 2 recorded, 0 already in the log, 0 refused\n",
        "{}",
        stderr(&first)
    );
    let head = sys.head().await;
    assert_eq!(head, 2 * 2, "an add and a finish each");
    let list = stdout(&sys.lately_with(("TZ", "UTC"), &["list"]).await);
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines.len() == 2
            && lines[0].starts_with(
                "2026-12-01  podcast  Hardcore History: Show 69 - Mania for Subjugation II  ("
            )
            && lines[1]
                .starts_with("2026-11-21  podcast  Reconcilable Differences 250: The Long Game  ("),
        "{list}"
    );
    assert_eq!(
        stdout(&sys.lately(&["current"]).await),
        "",
        "a begun episode imported"
    );
    let again = sys.lately(&["import", "overcast", file]).await;
    assert_eq!(
        stdout(&again),
        "2 episodes: 0 recorded, 2 already in the log, 0 refused\n"
    );
    assert_eq!(sys.head().await, head, "a second import appended events");
    let tweeted = sys.finishes_tweeted().await;
    assert_eq!(tweeted, [false; 2], "{tweeted:?}");
    // With --covers, each show's artwork from its feed: Hardcore History's names it, the other
    // show's feed is gone (its episode goes without, saying so). Other episodes of the file,
    // other keys: added anew.
    let feeds = actix_web::HttpServer::new(|| {
        actix_web::App::new().default_service(actix_web::web::to(
            |req: actix_web::HttpRequest| async move {
                match req.path() {
                    "/hardcore-history.xml" => actix_web::HttpResponse::Ok()
                        .content_type("application/rss+xml")
                        .body(r#"<?xml version="1.0"?><rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Hardcore History</title><itunes:image href="/art/hh.jpg"/><item><title>Show 69</title></item></channel></rss>"#),
                    _ => actix_web::HttpResponse::NotFound().finish(),
                }
            },
        ))
    })
    .bind("127.0.0.1:0")
    .unwrap();
    let site = format!("http://127.0.0.1:{}", feeds.addrs()[0].port());
    tokio::spawn(feeds.run());
    let opml = std::fs::read_to_string(file)
        .unwrap()
        .replace("https://feeds.example", &site)
        .replace("overcastId=\"200", "overcastId=\"300");
    let covered = std::env::temp_dir().join(format!("overcast-{}.opml", std::process::id()));
    std::fs::write(&covered, opml).unwrap();
    let with_covers = sys
        .lately(&["import", "overcast", covered.to_str().unwrap(), "--covers"])
        .await;
    std::fs::remove_file(&covered).unwrap();
    assert_eq!(
        stdout(&with_covers),
        "2 episodes: 2 recorded, 0 already in the log, 0 refused\n",
        "{}",
        stderr(&with_covers)
    );
    assert!(
        stderr(&with_covers).contains(&format!(
            "no artwork for the show at {site}/rd.xml: {site}/rd.xml answered 404 Not Found"
        )) && stderr(&with_covers).contains("artwork for 1 of 2 shows"),
        "{}",
        stderr(&with_covers)
    );
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let mut covers = added_covers(&log, head).await;
    // Items are written eight at once: in no set order.
    covers.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        covers,
        [
            (
                "Hardcore History: Show 69 - Mania for Subjugation II".to_owned(),
                serde_json::json!(format!("{site}/art/hh.jpg"))
            ),
            (
                "Reconcilable Differences 250: The Long Game".to_owned(),
                serde_json::Value::Null
            ),
        ]
    );
    let head = sys.head().await;

    // Another service's file: refused, nothing written.
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/instapaper_export.csv"
    );
    let wrong = sys.lately(&["import", "overcast", csv]).await;
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("not an Overcast export (not OPML: "),
        "{}",
        stderr(&wrong)
    );
    assert_eq!(sys.head().await, head);
}

/// Letterboxd's export as it is downloaded, a zip: its diary with its reviews, or its
/// watchlist, read from it as from the files unzipped (the same rows, the same keys); the
/// deleted entries' folder left alone; another source's export zipped is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letterboxds_export_is_imported_as_downloaded_zipped() {
    use std::io::Write;
    let sys = system().await;
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let fixture = |name: &str| std::fs::read_to_string(format!("{fixtures}/{name}")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let zipped = |name: &str, files: &[(&str, String)]| {
        let path = dir.path().join(name);
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        for (name, text) in files {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        path.to_str().unwrap().to_owned()
    };
    let watched_csv = "Date,Name,Year,Letterboxd URI\n\
                       2024-01-06,Past Lives,2023,https://boxd.it/hTha\n\
                       2019-05-01,Perfect Days,2023,https://boxd.it/pd\n\
                       2024-02-11,Amélie,2001,https://boxd.it/2b0k\n";
    let export = zipped(
        "letterboxd-ann-2026-12-07-10-00-utc.zip",
        &[
            (
                "profile.csv",
                "Date Joined,Username\n2019-01-01,ann\n".to_owned(),
            ),
            ("diary.csv", fixture("letterboxd_diary.csv")),
            ("reviews.csv", fixture("reviews.csv")),
            ("watched.csv", watched_csv.to_owned()),
            ("watchlist.csv", fixture("letterboxd_watchlist.csv")),
            (
                "deleted/diary.csv",
                "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n\
                 2024-04-01,Cats,2019,https://boxd.it/cats,0.5,,,2024-03-31\n"
                    .to_owned(),
            ),
        ],
    );

    let imported = sys.lately(&["import", "letterboxd", &export]).await;
    assert!(imported.status.success(), "{}", stderr(&imported));
    // The diary's three entries, and the one film marked watched that it does not log.
    assert_eq!(
        stdout(&imported),
        "4 rows: 4 recorded, 0 already in the log, 0 refused\n"
    );
    assert_eq!(
        stderr(&imported),
        format!(
            "diary.csv in {export}\n2 reviews from reviews.csv in {export}\n\
             1 film from watched.csv in {export} not in the diary\n"
        )
    );
    let history = stdout(&sys.lately(&["show", "past lives"]).await);
    assert!(
        history.contains("finished ★★★★★ (not to be tweeted)  Better the second time.\n"),
        "{history}"
    );
    let list = stdout(&sys.lately(&["list", "--limit", "50"]).await);
    assert!(!list.contains("Cats"), "{list}");
    assert_eq!(list.matches("Past Lives (2023)").count(), 2, "{list}");
    assert!(
        list.contains("2019-05-01  film     Perfect Days (2023)"),
        "{list}"
    );
    // The diary alone is the same rows: nothing new.
    let alone = dir.path().join("diary.csv");
    std::fs::write(&alone, fixture("letterboxd_diary.csv")).unwrap();
    let again = sys
        .lately(&["import", "letterboxd", alone.to_str().unwrap()])
        .await;
    assert_eq!(
        stdout(&again),
        "3 rows: 0 recorded, 3 already in the log, 0 refused\n",
        "{}",
        stderr(&again)
    );
    // Unzipped, its diary is read with the films watched beside it, whichever is named: the
    // same rows as the zip's, nothing new (watched.csv read after the diary finished every
    // film of the diary a second time).
    let unzipped = dir.path().join("letterboxd-ann");
    std::fs::create_dir(&unzipped).unwrap();
    for (name, text) in [
        ("diary.csv", fixture("letterboxd_diary.csv")),
        ("reviews.csv", fixture("reviews.csv")),
        ("watched.csv", watched_csv.to_owned()),
    ] {
        std::fs::write(unzipped.join(name), text).unwrap();
    }
    let at = |name: &str| unzipped.join(name).to_str().unwrap().to_owned();
    for file in ["diary.csv", "watched.csv", "the folder"] {
        let named = match file {
            "the folder" => unzipped.to_str().unwrap().to_owned(),
            file => at(file),
        };
        let again = sys.lately(&["import", "letterboxd", &named]).await;
        assert_eq!(
            stdout(&again),
            "4 rows: 0 recorded, 4 already in the log, 0 refused\n",
            "{}",
            stderr(&again)
        );
        let diary = match file {
            "watched.csv" => format!("{}, the diary beside {}\n", at("diary.csv"), at(file)),
            "the folder" => format!("{}\n", at("diary.csv")),
            _ => String::new(),
        };
        assert_eq!(
            stderr(&again),
            format!(
                "{diary}2 reviews from {}\n1 film from {} not in the diary\n",
                at("reviews.csv"),
                at("watched.csv")
            )
        );
    }
    // Its watchlist, from the same zip: one film to watch, the other in the diary already.
    let queued = sys
        .lately(&["import", "letterboxd-watchlist", &export])
        .await;
    assert_eq!(
        stdout(&queued),
        "2 rows: 1 recorded, 1 already in the log, 0 refused\n",
        "{}",
        stderr(&queued)
    );
    assert_eq!(stderr(&queued), format!("watchlist.csv in {export}\n"));

    // Films only marked watched, a diary without an entry: watched.csv is read instead.
    let watched = zipped(
        "watched.zip",
        &[
            (
                "diary.csv",
                "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n".to_owned(),
            ),
            (
                "watched.csv",
                "Date,Name,Year,Letterboxd URI\n2024-06-01,Paterson,2016,https://boxd.it/pat\n"
                    .to_owned(),
            ),
        ],
    );
    let read = sys.lately(&["import", "letterboxd", &watched]).await;
    assert_eq!(
        stdout(&read),
        "1 row: 1 recorded, 0 already in the log, 0 refused\n",
        "{}",
        stderr(&read)
    );
    assert_eq!(stderr(&read), format!("watched.csv in {watched}\n"));

    // Refused, nothing written: a zip or a folder without a diary, another source's export
    // zipped or a folder, and a file that is not text at all.
    let head = sys.head().await;
    let lists = zipped(
        "lists.zip",
        &[("lists/favourites.csv", "Name\nHeat\n".to_owned())],
    );
    let folder = dir.path().join("lists");
    std::fs::create_dir(&folder).unwrap();
    let folder = folder.to_str().unwrap().to_owned();
    for (source, file, said) in [
        (
            "letterboxd",
            folder.clone(),
            format!(
                "{folder} has no diary.csv nor watched.csv: is it Letterboxd's export, unzipped?"
            ),
        ),
        (
            "goodreads",
            folder.clone(),
            format!("{folder} is a folder: import the export's file in it"),
        ),
        (
            "letterboxd",
            lists.clone(),
            format!("{lists} has no diary.csv nor watched.csv: is it Letterboxd's export?"),
        ),
        (
            "goodreads",
            export.clone(),
            format!(
                "{export} is a zip archive: goodreads is imported from the export's file itself"
            ),
        ),
    ] {
        let refused = sys.lately(&["import", source, &file]).await;
        assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
        assert!(stderr(&refused).contains(&said), "{}", stderr(&refused));
    }
    let binary = dir.path().join("cover.jpg");
    std::fs::write(&binary, b"\xff\xd8\xff\xe0 not text").unwrap();
    let refused = sys
        .lately(&["import", "imdb", binary.to_str().unwrap()])
        .await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("cover.jpg: it is not text (an export is a CSV file)"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(sys.head().await, head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_twice_adds_nothing_the_second_time() {
    let sys = system().await;
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let goodreads = format!("{fixtures}/goodreads_library_export.csv");
    let letterboxd = format!("{fixtures}/letterboxd_diary.csv");

    let first = sys.lately(&["import", "goodreads", &goodreads]).await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(
        stdout(&first),
        "4 rows: 4 recorded, 0 already in the log, 0 refused\n"
    );
    let first = sys.lately(&["import", "letterboxd", &letterboxd]).await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(
        stdout(&first),
        "3 rows: 3 recorded, 0 already in the log, 0 refused\n"
    );
    // The export's reviews.csv beside the diary: each review with its viewing.
    assert!(
        stderr(&first).starts_with("2 reviews from ") && stderr(&first).contains("reviews.csv"),
        "{}",
        stderr(&first)
    );
    // 4 books added, 2 finished, 1 started; 2 films added, 3 diary finishes.
    let head = sys.head().await;
    assert_eq!(head, 4 + 2 + 1 + 2 + 3);

    for (source, file, rows) in [("goodreads", &goodreads, 4), ("letterboxd", &letterboxd, 3)] {
        let again = sys.lately(&["import", source, file]).await;
        assert!(again.status.success(), "{}", stderr(&again));
        assert_eq!(
            stdout(&again),
            format!("{rows} rows: 0 recorded, {rows} already in the log, 0 refused\n")
        );
    }
    assert_eq!(sys.head().await, head, "a second import appended events");

    let list = stdout(&sys.lately(&["list", "--limit", "50"]).await);
    assert_eq!(list.matches("Past Lives (2023)").count(), 2, "{list}");
    // An item's rows are written in the file's order, though items are written side by side:
    // the rewatch is the later finish in the film's history.
    let history = stdout(&sys.lately(&["show", "past lives"]).await);
    let finishes: Vec<&str> = history
        .lines()
        .filter(|l| l.contains("finished"))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(finishes.len(), 2, "{history}");
    assert!(finishes[0] < finishes[1], "{history}");
    assert!(
        history.contains(
            "finished ★★★★½ (not to be tweeted)  Quiet and enormous.\n\n            The bar scene & the last shot: <3\n"
        ) && history.contains("finished ★★★★★ (not to be tweeted)  Better the second time.\n"),
        "{history}"
    );
    // Given itself, reviews.csv is refused by its name, naming the diary.
    let reviews = sys
        .lately(&["import", "letterboxd", &format!("{fixtures}/reviews.csv")])
        .await;
    assert_eq!(reviews.status.code(), Some(2));
    assert!(
        stderr(&reviews).contains("reads them from beside the diary"),
        "{}",
        stderr(&reviews)
    );
    assert!(list.contains("2019-04-11  book     The Left Hand of Darkness (Hainish Cycle, #4) by Ursula K. Le Guin ★★★★★"), "{list}");
    let current = stdout(&sys.lately(&["current"]).await);
    assert!(current.contains("三体"), "{current}");
    // The to-read shelf: added, not started.
    let queue = stdout(&sys.lately(&["queue"]).await);
    assert!(
        queue.starts_with("book     Piranesi by Susanna Clarke  ("),
        "{queue}"
    );
    assert!(!queue.contains("三体"), "{queue}");

    // Letterboxd's watchlist: films to watch, queued; one already in the diary is that item.
    let watchlist = format!("{fixtures}/letterboxd_watchlist.csv");
    let queued = sys
        .lately(&["import", "letterboxd-watchlist", &watchlist])
        .await;
    assert_eq!(
        stdout(&queued),
        "2 rows: 1 recorded, 1 already in the log, 0 refused\n",
        "{}",
        stderr(&queued)
    );
    let queue = stdout(&sys.lately(&["queue", "--kind", "movie"]).await);
    assert!(queue.starts_with("film     Aftersun (2022)  ("), "{queue}");
    assert!(!queue.contains("Amélie"), "{queue}");
    // Covers come from ISBNs, a show's feed or TMDB: an Instapaper export's articles have
    // none; a Letterboxd export's films, only with a TMDB key.
    let covers = sys
        .lately(&["import", "instapaper", &letterboxd, "--covers"])
        .await;
    assert_eq!(covers.status.code(), Some(2), "{}", stderr(&covers));
    assert!(stderr(&covers).contains("--covers is for goodreads"));
    let covers = sys
        .lately(&["import", "letterboxd", &letterboxd, "--covers"])
        .await;
    assert_eq!(covers.status.code(), Some(2), "{}", stderr(&covers));
    assert!(stderr(&covers).contains("LATELY_TMDB_TOKEN"));
    // Its columns are watched.csv's: as a diary, it is refused by its name, nothing written.
    let head = sys.head().await;
    let dir = tempfile::tempdir().unwrap();
    let named = dir.path().join("watchlist.csv");
    std::fs::copy(&watchlist, &named).unwrap();
    let refused = sys
        .lately(&["import", "letterboxd", named.to_str().unwrap()])
        .await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("lately import letterboxd-watchlist"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(sys.head().await, head);

    // IMDb: a watchlist, then the ratings, which finish the title rated in both only once.
    let watchlist = format!("{fixtures}/imdb_watchlist.csv");
    let ratings = format!("{fixtures}/imdb_ratings.csv");
    let first = sys.lately(&["import", "imdb", &watchlist]).await;
    assert_eq!(
        stdout(&first),
        "3 rows: 3 recorded, 0 already in the log, 0 refused\n",
        "{}",
        stderr(&first)
    );
    let first = sys.lately(&["import", "imdb", &ratings]).await;
    assert_eq!(
        stdout(&first),
        "4 rows: 3 recorded, 1 already in the log, 0 refused\n",
        "{}",
        stderr(&first)
    );
    // 3 titles added and 1 finished from the watchlist; 3 more of each from the ratings.
    assert_eq!(sys.head().await, head + 4 + 6);
    for (file, rows) in [(&watchlist, 3), (&ratings, 4)] {
        let again = sys.lately(&["import", "imdb", file]).await;
        assert_eq!(
            stdout(&again),
            format!("{rows} rows: 0 recorded, {rows} already in the log, 0 refused\n")
        );
    }
    assert_eq!(
        sys.head().await,
        head + 10,
        "a second import appended events"
    );
    let films = stdout(
        &sys.lately(&["list", "--kind", "movie", "--limit", "50"])
            .await,
    );
    assert_eq!(films.matches("Heat (1995)").count(), 1, "{films}");
    assert!(
        films.contains("2024-05-18  film     Heat (1995) by Michael Mann ★★★★½"),
        "{films}"
    );
    let games = stdout(&sys.lately(&["list", "--kind", "game"]).await);
    assert!(
        games.contains("Outer Wilds: Echoes of the Eye (2021)"),
        "{games}"
    );
    let to_watch = stdout(&sys.lately(&["queue", "--kind", "tv"]).await);
    assert!(
        to_watch.starts_with("tv       Chernobyl (2019)"),
        "{to_watch}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_items_link_is_only_what_was_given() {
    let sys = system().await;
    let plain = stdout(&sys.lately(&["add", "book", "No link"]).await)
        .trim()
        .to_owned();
    let linked = stdout(
        &sys.lately(&["add", "book", "Linked", "--url", "https://example.com/b"])
            .await,
    )
    .trim()
    .to_owned();
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let plain = log.read_stream(&plain).await.unwrap()[0]
        .data
        .value()
        .unwrap();
    assert!(
        plain.get("url").is_none(),
        "the writer's address leaked into the item: {plain}"
    );
    assert_eq!(
        log.read_stream(&linked).await.unwrap()[0]
            .data
            .value()
            .unwrap()["url"],
        "https://example.com/b"
    );
}

/// `lately finish …` then `lately list`: the list shows the finish, although the replica it
/// comes from has not applied it when the list is asked for. (Its reader polls the SQLite log
/// every 1.5 s; the list waits for the position the finish answered with, which the first
/// command left in the state directory.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_right_after_a_write_shows_it_even_from_a_replica_behind() {
    let sys = slow_system(1500).await;
    for title in ["Piranesi", "Middlemarch"] {
        let add = sys.lately(&["add", "book", title]).await;
        assert!(add.status.success(), "{}", stderr(&add));
        let id = stdout(&add).trim().to_owned();
        let finish = sys.lately(&["finish", &id, "--rating", "4"]).await;
        assert!(finish.status.success(), "{}", stderr(&finish));
        let list = sys.lately(&["list"]).await;
        assert!(list.status.success(), "{}", stderr(&list));
        assert!(
            stdout(&list).contains(&format!("book     {title} ★★★★")),
            "the list does not show the finish just written:\n{}",
            stdout(&list)
        );
        assert_eq!(stderr(&list), "", "a read that waited still warned");
    }
}

/// A remembered position the feed's log does not have (the log was reset, say) costs one
/// read its wait, and is then forgotten; the answer is the feed as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_position_beyond_the_feeds_log_is_forgotten() {
    let sys = system().await;
    let id = stdout(&sys.lately(&["add", "movie", "Past Lives"]).await)
        .trim()
        .to_owned();
    assert!(sys.lately(&["finish", &id]).await.status.success());
    let file = sys.state.path().join("last-writes.json");
    let key = format!("{} {}", sys.writer, sys.reader);
    let remembered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        remembered[&key], 2,
        "the finish's position is not remembered"
    );

    std::fs::write(&file, serde_json::json!({ &key: 1_000_000 }).to_string()).unwrap();
    let list = sys.lately(&["list"]).await;
    assert!(list.status.success(), "{}", stderr(&list));
    assert!(stdout(&list).contains("Past Lives"), "{}", stdout(&list));
    let remembered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(
        remembered.get(&key).is_none(),
        "still remembered: {remembered}"
    );
}

/// `lately list | head -1`: a reader that stops reading is not an error, nor a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_cut_short_by_its_reader_is_not_an_error() {
    let sys = system().await;
    for title in ["One", "Two", "Three"] {
        let id = stdout(&sys.lately(&["add", "article", title]).await)
            .trim()
            .to_owned();
        assert!(sys.lately(&["finish", &id]).await.status.success());
    }
    let mut list = sys
        .command(&["list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Nobody will read: the pipe is closed before the list is written.
    drop(list.stdout.take());
    let out = list.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

/// A typo in a title, a link to drop, an item to hide and show again: `lately edit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_changes_what_is_given_and_nothing_else() {
    let sys = system().await;
    let add = sys
        .lately(&[
            "add",
            "book",
            "Midlemarch",
            "--by",
            "George Eliot",
            "--url",
            "https://example.com/m",
        ])
        .await;
    let id = stdout(&add).trim().to_owned();
    assert!(sys
        .lately(&["finish", &id, "--rating", "5"])
        .await
        .status
        .success());

    let edit = sys
        .lately(&[
            "edit",
            &id,
            "--title",
            "Middlemarch",
            "--no-url",
            "--tag",
            "classic",
        ])
        .await;
    assert!(edit.status.success(), "{}", stderr(&edit));
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(
        list.contains("book     Middlemarch by George Eliot ★★★★★"),
        "{list}"
    );
    let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
    let edited = log.read_stream(&id).await.unwrap()[2].data.value().unwrap();
    assert_eq!(edited["changes"]["title"], "Middlemarch");
    assert_eq!(edited["changes"]["tags"], serde_json::json!(["classic"]));
    assert!(edited["changes"]["url"].is_null(), "{edited}");
    assert!(
        edited["changes"].get("creators").is_none(),
        "creators were not given, so they must not change: {edited}"
    );

    assert!(sys
        .lately(&["edit", &id, "--private"])
        .await
        .status
        .success());
    let list = stdout(&sys.lately(&["list"]).await);
    assert!(
        !list.contains("Middlemarch"),
        "a private item is listed: {list}"
    );
    assert!(sys
        .lately(&["edit", &id, "--public"])
        .await
        .status
        .success());
    assert!(stdout(&sys.lately(&["list"]).await).contains("Middlemarch"));

    // A tag added to those it has, whatever its case; one taken off, the others kept.
    let added = sys
        .lately(&[
            "edit",
            &id,
            "--add-tag",
            "Victorian",
            "--add-tag",
            "classic",
        ])
        .await;
    assert!(added.status.success(), "{}", stderr(&added));
    let tags = |sys: &System| {
        let log = lately_log::EventLog::connect(&sys.database_url, Default::default()).unwrap();
        let id = id.clone();
        async move {
            let events = log.read_stream(&id).await.unwrap();
            let last = events.last().unwrap().data.value().unwrap();
            last["changes"]["tags"].clone()
        }
    };
    assert_eq!(
        tags(&sys).await,
        serde_json::json!(["classic", "victorian"])
    );
    let untagged = sys.lately(&["edit", &id, "--untag", "CLASSIC"]).await;
    assert!(untagged.status.success(), "{}", stderr(&untagged));
    assert_eq!(tags(&sys).await, serde_json::json!(["victorian"]));

    // Its history says what each edit changed.
    let show = stdout(&sys.lately(&["show", &id]).await);
    for edit in [
        "  edited: title “Middlemarch”, tags classic, link cleared\n",
        "  edited: private\n",
        "  edited: public\n",
        "  edited: tags classic, victorian\n",
        "  edited: tags victorian\n",
    ] {
        assert!(show.contains(edit), "{edit:?} in {show}");
    }

    let head = sys.head().await;
    // Tagged so already: said, nothing written.
    let again = sys.lately(&["edit", &id, "--add-tag", "victorian"]).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("“Middlemarch” is tagged so already: its tags: victorian"),
        "{}",
        stderr(&again)
    );
    // A tag it has not, taken off: a typo, refused, naming those it has.
    let typo = sys.lately(&["edit", &id, "--untag", "victorain"]).await;
    assert_eq!(typo.status.code(), Some(1), "{}", stderr(&typo));
    assert!(
        stderr(&typo).contains("“Middlemarch” has no tag “victorain”: its tags: victorian"),
        "{}",
        stderr(&typo)
    );
    let replaced_and_added = sys
        .lately(&["edit", &id, "--tag", "a", "--add-tag", "b"])
        .await;
    assert_eq!(replaced_and_added.status.code(), Some(2));
    let nothing = sys.lately(&["edit", &id]).await;
    assert_eq!(nothing.status.code(), Some(2));
    assert!(
        stderr(&nothing).contains("nothing to change"),
        "{}",
        stderr(&nothing)
    );
    let both = sys.lately(&["edit", &id, "--private", "--public"]).await;
    assert_eq!(both.status.code(), Some(2));
    assert_eq!(sys.head().await, head, "a refused edit appended something");
}

/// `lately retag sci-fi sf`: a tag renamed on every item of the owner's that has it, private
/// ones too, an item with both keeping one; `--dry-run` writes nothing; a tag no item has is
/// refused (a typo), as is renaming a tag to itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retag_renames_a_tag_on_every_item_that_has_it() {
    let sys = system().await;
    let add = |args: &'static [&'static str]| {
        let sys = &sys;
        async move {
            let out = sys.lately(args).await;
            assert!(out.status.success(), "{}", stderr(&out));
            stdout(&out).trim().to_owned()
        }
    };
    let dune = add(&["add", "book", "Dune", "--tag", "sci-fi", "--tag", "classic"]).await;
    let diary = add(&[
        "add",
        "book",
        "Diary",
        "--private",
        "--tag",
        "sf",
        "--tag",
        "sci-fi",
    ])
    .await;
    add(&["add", "movie", "Heat", "--tag", "crime"]).await;

    // Each item's line with its tags as they become, in any order.
    let mut expected = vec![
        format!("{dune}  Dune  sf, classic"),
        format!("{diary}  Diary  sf"),
    ];
    expected.sort();
    let lines = |out: &Output| {
        let mut lines: Vec<String> = stdout(out).lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    let head = sys.head().await;
    let dry = sys.lately(&["retag", "sci-fi", "sf", "--dry-run"]).await;
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert_eq!(lines(&dry), expected);
    assert!(
        stderr(&dry).contains("to retag: 2 of 2 items tagged “sci-fi”: “sf” instead"),
        "{}",
        stderr(&dry)
    );
    assert_eq!(sys.head().await, head, "a dry run wrote");

    let done = sys.lately(&["retag", "SCI-FI", "SF"]).await;
    assert!(done.status.success(), "{}", stderr(&done));
    assert_eq!(lines(&done), expected);
    assert!(
        stderr(&done).contains("retagged 2 of 2 items tagged “sci-fi”: “sf” instead"),
        "{}",
        stderr(&done)
    );
    assert_eq!(
        stdout(&sys.lately(&["tags", "--all"]).await),
        "sf       2 items, 0 finished\nclassic  1 item, 0 finished\ncrime    1 item, 0 finished\n"
    );

    let head = sys.head().await;
    let gone = sys.lately(&["retag", "sci-fi", "sf"]).await;
    assert_eq!(gone.status.code(), Some(1), "{}", stderr(&gone));
    assert!(
        stderr(&gone).contains("no item of yours is tagged “sci-fi”"),
        "{}",
        stderr(&gone)
    );
    let itself = sys.lately(&["retag", "sf", "SF"]).await;
    assert_eq!(itself.status.code(), Some(2), "{}", stderr(&itself));
    assert_eq!(sys.head().await, head, "a refused retag wrote");
}

/// `lately tweets` lists the notifier's outbox; `lately retry-tweet` asks it to try one again,
/// and a notifier that cannot post (here, one without X credentials) says why it won't.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tweets_lists_the_outbox_and_retry_tweet_says_why_not() {
    let sys = system().await;
    let notifier = lately_notifier::startup::Application::build(
        lately_notifier::configuration::Config::parse_from([
            "lately-notifier",
            "--database-url",
            &sys.database_url,
            "--listen",
            "127.0.0.1:0",
            "--delay",
            "0",
            "--poll-ms",
            "20",
            "--dry-run",
            "--owner-token",
            TOKEN,
        ]),
    )
    .await
    .unwrap();
    let url = format!("http://127.0.0.1:{}", notifier.port());
    tokio::spawn(notifier.run_until_stopped());
    // `lately` with this notifier's URL.
    let with_notifier = |args: &[&str]| {
        let mut command = sys.command(args);
        command.env("LATELY_NOTIFIER_URL", &url);
        async move { command.output().await.unwrap() }
    };
    let tweets = |args: &[&str]| with_notifier(&[&["tweets"], args].concat());
    let none = tweets(&[]).await;
    assert!(none.status.success() && stdout(&none).is_empty());
    assert!(stderr(&none).contains("no tweets"), "{}", stderr(&none));

    // The notifier starts from the log's head as it first sees it: finish after that.
    for _ in 0..200 {
        let status = json_at(&format!("{url}/v1/status")).await;
        if status["checkpoint"].is_i64() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let id = stdout(
        &sys.lately(&["add", "book", "Middlemarch", "--by", "George Eliot"])
            .await,
    )
    .trim()
    .to_owned();
    let finished = sys.lately(&["finish", &id, "--rating", "5"]).await;
    assert!(finished.status.success(), "{}", stderr(&finished));
    let position = sys.head().await.to_string();
    let mut listed = String::new();
    for _ in 0..100 {
        listed = stdout(&tweets(&["--status", "dry-run"]).await);
        if !listed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let line = listed.lines().next().unwrap_or_default();
    assert!(
        line.trim_start().starts_with(&format!(
            "{position}  dry run  {id}  Finished reading “Middlemarch” by George Eliot"
        )) && line.ends_with("— no X credentials: recorded, not posted"),
        "{listed}"
    );
    assert!(stdout(&tweets(&["--status", "failed"]).await).is_empty());

    let retry = |args: &[&str]| with_notifier(&[&["retry-tweet"], args].concat());
    let refused = retry(&[&position]).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("409") && stderr(&refused).contains("no X credentials"),
        "{}",
        stderr(&refused)
    );
    let usage = retry(&["0"]).await;
    assert_eq!(usage.status.code(), Some(2), "{}", stderr(&usage));
    let down = sys
        .lately_with(
            ("LATELY_NOTIFIER_URL", "http://127.0.0.1:1"),
            &["retry-tweet", "1"],
        )
        .await;
    assert_eq!(down.status.code(), Some(3));
    assert!(
        stderr(&down).contains("cannot reach the notifier at http://127.0.0.1:1"),
        "{}",
        stderr(&down)
    );
}

/// The items of the export's tests: a book finished twice (the first time rated and
/// reviewed, with a quote, a comma and a line break in its title and review), a private film,
/// a game never started, a podcast abandoned, and an article removed. Returns their ids.
async fn varied_items(sys: &System) -> [String; 5] {
    let id = |out: std::process::Output| stdout(&out).trim().to_owned();
    let dune = id(sys
        .lately(&[
            "add",
            "book",
            "Dune, \"the\" novel",
            "--by",
            "Frank Herbert",
            "--by",
            "Brian",
            "--tag",
            "sf",
            "--tag",
            "classic",
        ])
        .await);
    let review = "Spice,\nmust flow";
    for args in [
        vec![
            "finish",
            &dune,
            "--rating",
            "4.5",
            "--review",
            review,
            "--at",
            "2026-03-01",
        ],
        vec!["finish", &dune, "--at", "2026-06-01", "--again"],
    ] {
        let out = sys.lately(&args).await;
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let heat = id(sys.lately(&["add", "movie", "Heat", "--private"]).await);
    assert!(sys
        .lately(&["finish", &heat, "--at", "2026-04-01"])
        .await
        .status
        .success());
    let wilds = id(sys.lately(&["add", "game", "Outer Wilds"]).await);
    let pod = id(sys.lately(&["add", "podcast", "A podcast"]).await);
    for step in ["start", "abandon"] {
        assert!(sys.lately(&[step, &pod]).await.status.success());
    }
    let gone = id(sys.lately(&["add", "article", "Gone"]).await);
    assert!(sys.lately(&["remove", &gone]).await.status.success());
    [dune, heat, wilds, pod, gone]
}

/// `lately export`: a CSV a spreadsheet opens, with every finish (private ones too, re-reads
/// each on its own row) and every item never finished; nothing removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_every_finish_and_every_unfinished_item_as_csv() {
    let sys = system().await;
    let [dune, heat, wilds, pod, _] = varied_items(&sys).await;
    let review = "Spice,\nmust flow";

    let out = sys.lately(&["export"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let mut csv = csv::Reader::from_reader(&out.stdout[..]);
    assert_eq!(
        csv.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "kind",
            "title",
            "creators",
            "tags",
            "url",
            "cover_url",
            "visibility",
            "status",
            "progress",
            "added_at",
            "updated_at",
            "started_at",
            "finished_at",
            "rating",
            "review",
            "listened"
        ]
    );
    let rows: Vec<Vec<String>> = csv
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let short: Vec<(&str, &str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r[0].as_str(),
                r[7].as_str(),
                r[8].as_str(),
                &r[13][..r[13].len().min(10)],
                r[14].as_str(),
            )
        })
        .collect();
    // Finishes newest first, then the items never finished, most recently touched first.
    assert_eq!(
        short,
        [
            (dune.as_str(), "public", "finished", "2026-06-01", ""),
            (heat.as_str(), "private", "finished", "2026-04-01", ""),
            (dune.as_str(), "public", "finished", "2026-03-01", "4.5"),
            (pod.as_str(), "public", "abandoned", "", ""),
            (wilds.as_str(), "public", "queued", "", ""),
        ]
    );
    let first_read = &rows[2];
    assert_eq!(
        first_read[1..6],
        [
            "book",
            "Dune, \"the\" novel",
            "Frank Herbert; Brian",
            "sf; classic",
            ""
        ]
    );
    assert_eq!(first_read[15], review);
    // `show` sets a review's further lines under its first.
    let show = stdout(&sys.lately(&["show", &dune]).await);
    assert!(
        show.contains("2026-03-01  finished ★★★★½  Spice,\n            must flow\n"),
        "{show}"
    );

    let without = sys
        .command(&["export"])
        .env_remove("LATELY_TOKEN")
        .output()
        .await
        .unwrap();
    assert_eq!(without.status.code(), Some(1));
    assert!(
        stderr(&without).contains("owner's token"),
        "{}",
        stderr(&without)
    );
    assert!(without.stdout.is_empty());
}

/// `lately import csv` takes `lately export`'s CSV into another log: exported again from
/// there, it is the same file, and importing it again adds nothing. Into the log it came
/// from, each item is refused as existing; a file with a row the writer would refuse writes
/// nothing at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_imported_into_another_log_exports_the_same() {
    let from = system().await;
    let _ = varied_items(&from).await;
    let id = |out: std::process::Output| stdout(&out).trim().to_owned();
    // In progress, with a cover and a link; a re-read under way after a finish.
    let severance = id(from
        .lately(&[
            "add",
            "tv",
            "Severance",
            "--cover",
            "https://example.com/sévérance.jpg",
            "--url",
            "https://example.com/severance",
        ])
        .await);
    let piranesi = id(from.lately(&["add", "book", "Piranesi", "--private"]).await);
    // Read from 20 April to 2 May: the finish's row says when it was begun.
    let hyperion = id(from.lately(&["add", "book", "Hyperion"]).await);
    for args in [
        vec!["start", &hyperion, "--at", "2026-04-20"],
        vec![
            "finish",
            &hyperion,
            "--at",
            "2026-05-02",
            "--no-tweet",
            "--listened",
        ],
        vec!["start", &severance],
        vec!["progress", &severance, "4/9"],
        vec![
            "finish",
            &piranesi,
            "--at",
            "2026-05-01",
            "--rating",
            "5",
            "--no-tweet",
        ],
        vec!["start", &piranesi],
    ] {
        let out = from.lately(&args).await;
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let show = stdout(&from.lately(&["show", &piranesi]).await);
    assert!(show.contains("★★★★★ (not to be tweeted)"), "{show}");
    let exported = from.lately(&["export"]).await;
    assert!(exported.status.success(), "{}", stderr(&exported));
    let exported = exported.stdout;
    // 7 items not removed: dune's two finishes, heat's, piranesi's, hyperion's; severance,
    // pod, wilds.
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(&exported[..])
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 8);
    let started = |id: &str| rows.iter().find(|r| &r[0] == id).unwrap()[12].to_owned();
    assert!(started(&hyperion).starts_with("2026-04-20"));
    // Heard: an audiobook; the others read.
    let heard: Vec<&str> = rows
        .iter()
        .filter(|r| &r[16] == "yes")
        .map(|r| &r[0])
        .collect();
    assert_eq!(heard, [hyperion.as_str()]);
    // In progress and never finished: since its start; finished without a start: none.
    assert!(!started(&severance).is_empty());
    assert_eq!(started(&piranesi), "");

    let to = system().await;
    let import = to.lately_stdin(&["import", "csv", "-"], &exported).await;
    assert!(import.status.success(), "{}", stderr(&import));
    assert_eq!(
        stdout(&import),
        "7 items: 7 recorded, 0 already in the log, 0 refused\n"
    );
    let again = to.lately(&["export"]).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&exported),
        "the export of the imported log differs"
    );
    // Its history: added, started, at episode 4 of 9 (as counted, not only 44%), at the
    // times the export gave.
    let show = stdout(&to.lately(&["show", &severance]).await);
    assert!(show.contains("  episode 4 of 9 (44%)\n"), "{show}");
    assert!(
        show.contains("Severance") && !show.contains("[private]"),
        "{show}"
    );

    // History, not news: no finish an import writes is tweeted (they were, from `from`).
    assert_eq!(to.finishes_tweeted().await, [false; 5]);
    // Hyperion's read, begun and ended on the days the export gave, listened to.
    let show = stdout(&to.lately(&["show", &hyperion]).await);
    assert!(
        show.contains("2026-04-20  started") && show.contains("2026-05-02  finished listening"),
        "{show}"
    );
    // Its page on the feed; a private item has none.
    assert!(
        show.contains(&format!("\n  page: {}/items/{hyperion}\n", to.reader)),
        "{show}"
    );
    let private = stdout(&to.lately(&["show", &piranesi]).await);
    assert!(!private.contains("page:"), "{private}");
    let list = stdout(&to.lately(&["list"]).await);
    assert!(
        list.contains("2026-05-02  book     Hyperion, took 12 days, listened  ("),
        "{list}"
    );

    let head = to.head().await;
    let twice = to.lately_stdin(&["import", "csv", "-"], &exported).await;
    assert!(twice.status.success(), "{}", stderr(&twice));
    assert_eq!(
        stdout(&twice),
        "7 items: 0 recorded, 7 already in the log, 0 refused\n"
    );
    assert_eq!(to.head().await, head, "a second import appended events");

    // Into the log it came from: every item is there under another key.
    let from_head = from.head().await;
    let home = from.lately_stdin(&["import", "csv", "-"], &exported).await;
    assert_eq!(home.status.code(), Some(1), "{}", stderr(&home));
    assert_eq!(
        stdout(&home),
        "7 items: 0 recorded, 0 already in the log, 7 refused\n"
    );
    assert!(
        stderr(&home).contains("already exists"),
        "{}",
        stderr(&home)
    );
    assert_eq!(from.head().await, from_head);

    // A spreadsheet of one's own: only kind and title, days for dates; one bad row refuses
    // the whole file before anything is written.
    let bad = "kind,title,finished_at,rating\n\
               game,Outer Wilds,2026-02-01,5\n\
               movie,Heat,2026-02-02,7\n";
    let refused = to
        .lately_stdin(&["import", "csv", "-"], bad.as_bytes())
        .await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("row 3: rating: rating must be between 0.5 and 5.0"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(to.head().await, head, "a refused file wrote something");
    let good = bad.replace(",7\n", ",4.5\n");
    let mine = to
        .lately_stdin(&["import", "csv", "-"], good.as_bytes())
        .await;
    assert!(mine.status.success(), "{}", stderr(&mine));
    let list = stdout(&to.lately(&["list", "--kind", "movie"]).await);
    assert!(
        list.starts_with("2026-02-02  film     Heat ★★★★½"),
        "{list}"
    );
}

/// `lately embed` prints the snippet for a blog at the feed's address: the page it points at
/// is served as asked (a title with quotes and markup stays text), and a feed at this
/// machine's own address is said, since a blog's readers would not reach it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embed_prints_a_snippet_that_the_reader_serves() {
    let sys = system().await;
    let title = r#"Now "reading" & <more>"#;
    let out = sys
        .lately(&[
            "embed", "--show", "current", "--kind", "book", "--tag", "SF", "--title", title,
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "<div data-lately data-show=\"current\" data-kind=\"book\" data-tag=\"SF\" \
             data-limit=\"5\" data-theme=\"auto\" \
             data-title=\"Now &quot;reading&quot; &amp; &lt;more&gt;\"></div>\n\
             <script src=\"{}/widget.js\" async></script>\n",
            sys.reader
        )
    );
    assert!(
        stderr(&out).contains("this machine's own address"),
        "{}",
        stderr(&out)
    );

    let out = sys
        .lately(&[
            "embed", "--iframe", "--show", "current", "--kind", "book", "--title", title,
        ])
        .await;
    let src = iframe_src(&stdout(&out));
    assert!(src.starts_with(&format!("{}/widget?", sys.reader)), "{src}");
    let page = reqwest::get(&src).await.unwrap();
    assert_eq!(page.status(), 200, "{src}");
    let page = page.text().await.unwrap();
    assert!(
        page.contains(r#"data-kind="book""#) && page.contains(r#"data-show="current""#),
        "{page}"
    );
    assert!(
        page.contains(r#"<h2 class="p-name">Now &quot;reading&quot; &amp; &lt;more&gt;</h2>"#),
        "{page}"
    );

    let out = sys
        .lately_with(("LATELY_FEED_URL", "https://feed.example.com"), &["embed"])
        .await;
    assert_eq!(
        stdout(&out),
        "<div data-lately data-limit=\"5\" data-theme=\"auto\"></div>\n\
         <script src=\"https://feed.example.com/widget.js\" async></script>\n"
    );
    assert_eq!(stderr(&out), "");
    // Under a heading of the blog's own: none shown, as the reader serves it.
    let out = sys.lately(&["embed", "--no-heading"]).await;
    assert!(
        stdout(&out).starts_with(
            r#"<div data-lately data-limit="5" data-theme="auto" data-heading="false"></div>"#
        ),
        "{}",
        stdout(&out)
    );
    let out = sys
        .lately(&["embed", "--iframe", "--no-heading", "--show", "current"])
        .await;
    let src = iframe_src(&stdout(&out));
    let page = page_at(&src).await;
    assert!(
        page.contains(r#"<h2 class="p-name" hidden>In progress</h2>"#),
        "{page}"
    );
    let blank = sys.lately(&["embed", "--tag", " "]).await;
    assert_eq!(blank.status.code(), Some(2));

    // A year's books against a goal: the page the iframe shows is the reader's stats page
    // for them.
    let out = sys
        .lately(&[
            "embed", "--iframe", "--show", "stats", "--kind", "book", "--year", "2025", "--goal",
            "12",
        ])
        .await;
    let snippet = stdout(&out);
    assert!(snippet.contains(r#"title="Finished in 2025""#), "{snippet}");
    let page = reqwest::get(&iframe_src(&snippet))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(
            r#"data-kind="book" data-tag="" data-show="stats" data-year="2025" data-goal="12""#
        ) && page.contains("Nothing finished in 2025 yet.")
            && page.contains("12 books short of the goal"),
        "{page}"
    );
    // A year's finishes, with their reviews.
    let out = sys
        .lately(&["embed", "--year", "2025", "--limit", "20", "--reviews"])
        .await;
    assert!(
        stdout(&out).starts_with(
            r#"<div data-lately data-limit="20" data-year="2025" data-reviews="true" data-theme="auto"></div>"#
        ),
        "{}",
        stdout(&out)
    );
    // A shelf of covers, as the reader serves it.
    let out = sys
        .lately(&["embed", "--iframe", "--layout", "covers", "--show", "queue"])
        .await;
    let src = iframe_src(&stdout(&out));
    assert!(src.contains("layout=covers"), "{src}");
    let page = page_at(&src).await;
    assert!(
        page.contains(r#"data-show="queue""#) && page.contains(r#"<ol class="covers">"#),
        "{page}"
    );
    for bad in [
        &["embed", "--goal", "24"][..],
        &["embed", "--show", "stats", "--layout", "covers"],
        &["embed", "--layout", "grid"],
        &["embed", "--show", "stats", "--goal", "0"],
        &["embed", "--show", "queue", "--year", "2025"],
        &["embed", "--show", "current", "--reviews"],
        &["embed", "--show", "stats", "--year", "1800"],
    ] {
        assert_eq!(sys.lately(bad).await.status.code(), Some(2), "{bad:?}");
    }
}

/// The page an `<iframe>` snippet shows.
fn iframe_src(snippet: &str) -> String {
    snippet
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&")
}

/// Days are the owner's: the CLI shows a time as the day it was where it runs (`TZ`), and a
/// day typed is that day there (noon local), however far from UTC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn days_are_shown_and_taken_in_the_local_time_zone() {
    let sys = system().await;
    let id = |out: Output| stdout(&out).trim().to_owned();
    let late = id(sys.lately(&["add", "book", "Late reading"]).await);
    let far = id(sys.lately(&["add", "book", "Far east"]).await);
    // 08:00 UTC is 22:00 the day before, ten hours west of it.
    let west = ("TZ", "<-10>10");
    let done = sys
        .lately_with(west, &["finish", &late, "--at", "2026-11-20T08:00:00Z"])
        .await;
    assert!(done.status.success(), "{}", stderr(&done));
    let list = stdout(&sys.lately_with(west, &["list"]).await);
    assert!(
        list.starts_with(&format!("2026-11-19  book     Late reading  ({late})")),
        "{list}"
    );
    assert!(stdout(&sys.lately_with(("TZ", "UTC"), &["list"]).await).starts_with("2026-11-20"));
    // A day typed thirteen hours east of UTC is that day there (noon UTC would be the 21st).
    let east = ("TZ", "<+13>-13");
    let done = sys
        .lately_with(east, &["finish", &far, "--at", "2026-11-25"])
        .await;
    assert!(done.status.success(), "{}", stderr(&done));
    let list = stdout(&sys.lately_with(east, &["list"]).await);
    assert!(
        list.starts_with(&format!("2026-11-25  book     Far east  ({far})")),
        "{list}"
    );
    let shown = stdout(&sys.lately_with(east, &["show", &far]).await);
    assert!(shown.contains("2026-11-25  finished"), "{shown}");
}
