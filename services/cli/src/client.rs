//! Talking to the writer and the readers, with retries that are safe because every write has
//! an `Idempotency-Key`.

use std::time::Duration;

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The server understood and refused (problem+json detail included).
    #[error("{status}: {detail}")]
    Rejected { status: u16, detail: String },
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Rejected { .. } => 1,
            Self::Usage(_) => 2,
            Self::Unreachable(_) | Self::Failed(_) => 3,
        }
    }
}

pub struct Client {
    writer: String,
    feed: String,
    token: Option<String>,
    http: reqwest::Client,
}

const ATTEMPTS: u32 = 4;

impl Client {
    pub fn new(writer: &str, feed: &str, token: Option<String>) -> Self {
        Self {
            writer: writer.trim_end_matches('/').to_owned(),
            feed: feed.trim_end_matches('/').to_owned(),
            token,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .user_agent(concat!("lately-cli/", env!("CARGO_PKG_VERSION")))
                .build()
                .expect("a TLS backend is compiled in"),
        }
    }

    /// Sends a write; retries (with the same key) on connection errors and 503s.
    pub async fn write(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        key: &str,
    ) -> Result<Value, CliError> {
        let method: reqwest::Method = method.parse().expect("a valid method");
        let url = format!("{}{path}", self.writer);
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(250 * 2u64.pow(attempt))).await;
            }
            let mut req = self
                .http
                .request(method.clone(), &url)
                .header("Idempotency-Key", key)
                .json(body);
            if let Some(token) = &self.token {
                req = req.bearer_auth(token);
            }
            match req.send().await {
                Ok(res) if res.status().is_success() => {
                    return res
                        .json()
                        .await
                        .map_err(|e| CliError::Failed(format!("unreadable answer: {e}")));
                }
                Ok(res) if res.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE => {
                    last = problem(res).await.to_string();
                }
                Ok(res) => return Err(problem(res).await),
                Err(e) => last = format!("cannot reach the writer at {}: {e}", self.writer),
            }
        }
        Err(CliError::Unreachable(last))
    }

    pub async fn read(&self, path: &str) -> Result<Value, CliError> {
        let url = format!("{}{path}", self.feed);
        let res = self.http.get(&url).send().await.map_err(|e| {
            CliError::Unreachable(format!("cannot reach the feed at {}: {e}", self.feed))
        })?;
        if !res.status().is_success() {
            return Err(problem(res).await);
        }
        res.json()
            .await
            .map_err(|e| CliError::Failed(format!("unreadable answer: {e}")))
    }
}

async fn problem(res: reqwest::Response) -> CliError {
    let status = res.status();
    let detail = res
        .json::<Value>()
        .await
        .ok()
        .and_then(|b| b["detail"].as_str().map(str::to_owned))
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    if status.is_server_error() {
        CliError::Failed(format!("{}: {detail}", status.as_u16()))
    } else {
        CliError::Rejected {
            status: status.as_u16(),
            detail,
        }
    }
}
