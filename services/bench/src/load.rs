//! A minimal HTTP/1.1 load generator: what wrk is for the reads, for the writes.
//!
//! Each client owns one keep-alive connection, sends a request written out once in advance and
//! reads the answer with `httparse`. The load generator shares the machine's two cores with the
//! service it measures, so its own cost is the service's loss: reqwest (a pool, a connection
//! task and a channel per request, URL parsing) took ~31% of the CPU during the appends run,
//! this takes a fraction of that.

use std::time::Instant;

use anyhow::{bail, Context};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One keep-alive connection to `addr` (`host:port`).
pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    pub async fn open(addr: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends one complete request (see [`post_json`]) and returns the answer's status once
    /// its whole body has arrived, and when the request was sent.
    pub async fn send(&mut self, request: &[u8]) -> anyhow::Result<(u16, Instant)> {
        let sent = Instant::now();
        self.stream.write_all(request).await?;
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(head) = response.parse(&self.buf)? {
                let status = response.code.context("a status code")?;
                let length = response
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .map(|h| {
                        std::str::from_utf8(h.value)?
                            .trim()
                            .parse::<usize>()
                            .map_err(anyhow::Error::from)
                    })
                    .transpose()?
                    .context(
                        "the answer has no Content-Length (chunked answers are not expected here)",
                    )?;
                while self.buf.len() < head + length {
                    self.fill().await?;
                }
                self.buf.drain(..head + length);
                return Ok((status, sent));
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> anyhow::Result<()> {
        if self.buf.capacity() - self.buf.len() < 1024 {
            self.buf.reserve(4096);
        }
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            bail!("the server closed the connection");
        }
        Ok(())
    }
}

/// A `POST` of a JSON body with a bearer token, written out once.
pub fn post_json(host: &str, path: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
