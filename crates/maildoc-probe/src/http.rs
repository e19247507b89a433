//! A minimal HTTP/1.0 GET for fetching a CA issuer certificate from an AIA URL. Bounded in
//! size and time; resolves through the run's resolver.

use crate::clock::RunClock;
use crate::dns::Dns;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FETCH_CAP: Duration = Duration::from_secs(4);
const MAX_BODY: usize = 64 * 1024;

/// Fetches `url` (http only) and returns the body of a 200 answer.
pub async fn get(url: &str, dns: &Dns, clock: &RunClock) -> Result<Vec<u8>, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| "only http:// URLs are fetched".to_string())?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
            h,
            p.parse::<u16>().map_err(|_| format!("bad port in {url}"))?,
        ),
        _ => (authority, 80),
    };
    if host.is_empty() || host.contains(['@', ' ']) {
        return Err(format!("bad host in {url}"));
    }
    let found = dns.resolve(host.trim_matches(['[', ']']), clock).await;
    let addrs: Vec<SocketAddr> = found
        .addresses
        .iter()
        .map(|ip| SocketAddr::new(*ip, port))
        .collect();
    if addrs.is_empty() {
        return Err(format!(
            "{host} did not resolve: {:?} {}",
            found.outcome, found.detail
        ));
    }
    let (stream, attempts) = crate::tcp::connect(&addrs, clock).await;
    let Some(mut stream) = stream else {
        let why = attempts
            .last()
            .map(|a| a.detail.clone())
            .unwrap_or_default();
        return Err(format!("could not connect to {host}:{port}: {why}"));
    };
    let exchange = async {
        let request = format!(
            "GET {path} HTTP/1.0\r\nHost: {authority}\r\nUser-Agent: maildoc\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut body = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
            if body.len() > MAX_BODY + 8192 {
                break;
            }
        }
        Ok::<Vec<u8>, std::io::Error>(body)
    };
    let raw = tokio::time::timeout(clock.budget(FETCH_CAP), exchange)
        .await
        .map_err(|_| "the issuer URL did not answer in time".to_string())?
        .map_err(|e| e.to_string())?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| "not an HTTP answer".to_string())?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    if status != "200" {
        return Err(format!("HTTP status {status}"));
    }
    let body = raw[split + 4..].to_vec();
    if body.is_empty() || body.len() > MAX_BODY {
        return Err(format!("unusable body of {} bytes", body.len()));
    }
    Ok(body)
}
