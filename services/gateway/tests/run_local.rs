//! `make run` for real: the script starts every service as a local process on SQLite; we
//! write, read from both readers and through the load balancer, see the tweet, and stop it.
//! Needs the workspace's binaries built (`make test` builds them first).

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

fn port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

async fn get(url: &str) -> Option<Value> {
    let res = reqwest::get(url).await.ok()?;
    res.status().is_success().then_some(())?;
    res.json().await.ok()
}

/// Stops the script with SIGTERM however the test ends, so no service outlives it.
struct Running(tokio::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(pid) = self.0.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
            for _ in 0..100 {
                if matches!(self.0.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// The directory of the workspace's binaries, checked to hold the services the script starts.
fn bin_dir() -> &'static Path {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_lately-gateway"))
        .parent()
        .unwrap();
    for b in [
        "lately-writer",
        "lately-reader",
        "lately-notifier",
        "lately-x-sandbox",
    ] {
        assert!(
            bin_dir.join(b).exists(),
            "{b} is not built: run `cargo build --workspace --bins` (make test does)"
        );
    }
    bin_dir
}

/// A port base at which all of `make run`'s ports are free.
fn free_base(from: u16) -> u16 {
    (from..40_000)
        .step_by(37)
        .find(|b| (8080..=8090).all(|p| port_free(p + b)))
        .expect("free ports")
}

/// `scripts/run-local` on the workspace's binaries, with its ports shifted by `base`.
fn run_local(base: u16, data: &Path) -> tokio::process::Command {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut command = tokio::process::Command::new("bash");
    command
        .arg(root.join("scripts/run-local"))
        .env("LATELY_BIN_DIR", bin_dir())
        .env("LATELY_DATA_DIR", data)
        .env("LATELY_PORT_BASE", base.to_string())
        .env("LATELY_TWEET_DELAY", "0")
        .env("RUST_LOG", "warn");
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn make_run_starts_everything_serves_tweets_and_stops_cleanly() {
    let base = free_base(20_000);
    let data = tempfile::tempdir().unwrap();
    let mut run = Running(run_local(base, data.path()).spawn().unwrap());
    let url = |port: u16| format!("http://127.0.0.1:{}", port + base);

    let mut up = false;
    for _ in 0..300 {
        if get(&format!("{}/v1/status", url(8080))).await.is_some() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "make run did not come up");

    let client = reqwest::Client::new();
    let added: Value = client
        .post(format!("{}/v1/items", url(8081)))
        .json(&json!({ "kind": "book", "title": "Two Servers Side by Side" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = added["id"].as_str().unwrap();
    let done: Value = client
        .post(format!("{}/v1/items/{id}/finish", url(8081)))
        .json(&json!({ "rating": 5 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let position = done["position"].as_i64().unwrap();

    let mut hashes = Vec::new();
    for reader in [8082, 8083] {
        let feed = get(&format!("{}/v1/feed?min_position={position}", url(reader)))
            .await
            .expect("reader answers");
        assert_eq!(
            feed["items"][0]["item"]["title"],
            "Two Servers Side by Side"
        );
        hashes
            .push(get(&format!("{}/v1/status", url(reader))).await.unwrap()["state_hash"].clone());
    }
    assert_eq!(hashes[0], hashes[1]);
    let through_lb = get(&format!("{}/v1/feed?min_position={position}", url(8080)))
        .await
        .unwrap();
    assert_eq!(through_lb["items"][0]["item"]["id"], id);
    // The feeds' links and ids name the load balancer, whichever replica answers (one after
    // the other here: the gateway takes turns), so a feed reader sees one feed, not two.
    let feeds = [
        get(&format!("{}/feed.json", url(8080))).await.unwrap(),
        get(&format!("{}/feed.json", url(8080))).await.unwrap(),
    ];
    assert_eq!(feeds[0]["feed_url"], format!("{}/feed.json", url(8080)));
    assert_eq!(feeds[0]["items"][0]["id"], feeds[1]["items"][0]["id"]);
    assert!(
        feeds[0]["items"][0]["id"]
            .as_str()
            .unwrap()
            .starts_with(&url(8080)),
        "{}",
        feeds[0]["items"][0]["id"]
    );

    // Through the gateway as from a replica: a compressed answer whole, its Content-Encoding
    // passed on; and HEAD of the gateway's own /healthz, as an uptime monitor asks.
    let mut widget = Vec::new();
    for port in [8082, 8080] {
        let res = client
            .get(format!("{}/widget.js", url(port)))
            .header("Accept-Encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-encoding"], "gzip", "{port}");
        widget.push(res.bytes().await.unwrap());
    }
    assert_eq!(widget[0], widget[1]);
    let head = client
        .head(format!("{}/healthz", url(8080)))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), reqwest::StatusCode::OK);
    // A replica's redirect reaches the client, to follow from its own address.
    let slashed = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/up-next/", url(8080)))
        .send()
        .await
        .unwrap();
    assert_eq!(slashed.status(), reqwest::StatusCode::PERMANENT_REDIRECT);
    assert_eq!(slashed.headers()["location"], "../up-next");

    // Without a link of its own, the tweet links to the finish on its page on the feed.
    let text = format!(
        "Finished reading “Two Servers Side by Side” ★★★★★ {}/items/{id}#finish-{position}",
        url(8080)
    );
    let mut tweeted = false;
    for _ in 0..200 {
        let tweets = get(&format!("{}/_sandbox/tweets", url(8090)))
            .await
            .unwrap();
        if tweets["data"][0]["text"] == text.as_str() {
            tweeted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(tweeted, "no tweet in the sandbox");

    let pid = run.0.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = tokio::time::timeout(Duration::from_secs(30), run.0.wait())
        .await
        .expect("make run did not stop")
        .unwrap();
    assert!(status.success(), "make run exited with {status}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    for p in [8080, 8081, 8082, 8083, 8089, 8090] {
        assert!(
            port_free(p + base),
            "port {} still in use after stopping",
            p + base
        );
    }
}

/// A port already taken (another program, an earlier `make run`) stops `make run` at once,
/// naming the service that could not start, instead of waiting out the readiness checks; and
/// nothing it started is left running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_stops_make_run_at_once_naming_the_service() {
    let base = free_base(30_001);
    let taken = std::net::TcpListener::bind(("127.0.0.1", 8083 + base)).unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut command = run_local(base, data.path());
    command.stderr(std::process::Stdio::piped());
    let run = command.spawn().unwrap();
    let out = tokio::time::timeout(Duration::from_secs(15), run.wait_with_output())
        .await
        .expect("make run kept waiting with a reader that could not start")
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("reader-2 (port {}) exited", 8083 + base)),
        "{stderr}"
    );
    assert!(stderr.contains("Address already in use"), "{stderr}");
    drop(taken);
    for p in [8080, 8081, 8082, 8089, 8090] {
        assert!(
            port_free(p + base),
            "port {} still in use after make run stopped",
            p + base
        );
    }
}
