//! The writer killed (SIGKILL) again and again under a load of clients that retry with their
//! Idempotency-Keys: afterwards every write is in the log exactly once, at gap-free positions,
//! at the position its client was told.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use lately_log::{EventLog, LogOptions};
use serde_json::{json, Value};

const TOKEN: &str = "crash-test-token";
const CLIENTS: usize = 16;
const WRITES_PER_CLIENT: usize = 25;
const CRASHES: usize = 4;

fn spawn_writer(database_url: &str, port: u16) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_lately-writer"))
        .env("DATABASE_URL", database_url)
        .env("LATELY_WRITER_ADDR", format!("127.0.0.1:{port}"))
        .env("LATELY_WRITER_TOKEN", TOKEN)
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_acknowledged_write_is_lost_or_doubled_across_writer_crashes() {
    let database_url = lately_testkit::postgres_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut writer = spawn_writer(&database_url, port);
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (client, address, done) = (client.clone(), address.clone(), done.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0..WRITES_PER_CLIENT {
                    let title = format!("Crash test {c}-{i}");
                    let key = format!("crash-{c}-{i}");
                    let deadline = Instant::now() + Duration::from_secs(60);
                    let mut attempts = 0;
                    // Retry with the same key until the writer acknowledges.
                    let position = loop {
                        attempts += 1;
                        let res = client
                            .post(format!("{address}/v1/items"))
                            .bearer_auth(TOKEN)
                            .header("Idempotency-Key", &key)
                            .json(&json!({ "kind": "article", "title": title }))
                            .send()
                            .await;
                        if let Ok(res) = res {
                            let status = res.status();
                            if status.is_success() {
                                let body: Value = res.json().await.unwrap();
                                break body["position"].as_i64().unwrap();
                            }
                            assert!(status == 503, "{title}: unexpected {status}");
                        }
                        assert!(Instant::now() < deadline, "{title} never acknowledged");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    };
                    acknowledged.push((title, position, attempts));
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                acknowledged
            })
        })
        .collect();

    let total = CLIENTS * WRITES_PER_CLIENT;
    for crash in 1..=CRASHES {
        // Crash at 20%, 40%, … of the load, whatever the machine's speed.
        while done.load(std::sync::atomic::Ordering::SeqCst) < total * crash / (CRASHES + 1) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        writer.kill().await.unwrap(); // SIGKILL: no graceful anything
        tokio::time::sleep(Duration::from_millis(100)).await;
        writer = spawn_writer(&database_url, port);
    }

    let mut acknowledged: HashMap<String, i64> = HashMap::new();
    let mut retried = 0;
    for c in clients {
        for (title, position, attempts) in c.await.unwrap() {
            retried += usize::from(attempts > 1);
            assert!(acknowledged.insert(title, position).is_none());
        }
    }
    let log = EventLog::connect(&database_url, LogOptions::default()).unwrap();
    let events = log.read_after(0, 100_000).await.unwrap();
    assert_eq!(
        events.len(),
        total,
        "the log holds {} events for {total} writes",
        events.len()
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.position, i as i64 + 1, "positions are not gap-free");
        let data = e.data.value().unwrap();
        let title = data["title"].as_str().unwrap();
        assert_eq!(
            acknowledged.get(title),
            Some(&e.position),
            "{title} is not where its client was told"
        );
    }
    assert!(
        retried > 0,
        "no write was interrupted: the crashes came too late to test anything"
    );
    eprintln!("{total} writes, {CRASHES} crashes, {retried} writes retried, 0 lost, 0 doubled");
}
