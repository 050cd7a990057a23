//! `<service> healthcheck`: the services' own binaries probe themselves, so container
//! healthchecks need no curl in the image.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// If the process was started as `<binary> healthcheck`, GETs `path` from the address in the
/// environment variable `addr_var` (or `default`) and exits 0 on a 200, 1 otherwise.
pub fn run_if_asked(addr_var: &str, default: &str, path: &str) {
    if std::env::args().nth(1).as_deref() != Some("healthcheck") {
        return;
    }
    let addr = std::env::var(addr_var).unwrap_or_else(|_| default.to_owned());
    // A service listening on every interface answers on loopback.
    let addr = addr
        .replace("0.0.0.0", "127.0.0.1")
        .replace("[::]", "[::1]");
    let ok = probe(&addr, path).unwrap_or(false);
    std::process::exit(if ok { 0 } else { 1 });
}

fn probe(addr: &str, path: &str) -> std::io::Result<bool> {
    let sockaddr = std::net::ToSocketAddrs::to_socket_addrs(addr)?
        .next()
        .ok_or_else(|| std::io::Error::other("no address"))?;
    let mut stream = TcpStream::connect_timeout(&sockaddr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(3)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut head = [0u8; 16];
    let n = stream.read(&mut head)?;
    Ok(head[..n].starts_with(b"HTTP/1.1 200") || head[..n].starts_with(b"HTTP/1.0 200"))
}
