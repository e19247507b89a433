//! A plain HTTP/1.1 client for the web app's tests: one request per connection, any Host,
//! Origin or other header (a browser would not let a test forge them), the answer read whole
//! (or, for Server-Sent Events, until an event of a given name).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// An answer: its status, its headers (names in lower case) and its body as text.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A request to `addr`: `Host` is the address unless `headers` names one.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut conn = TcpStream::connect(addr).expect("connect to the web app");
    conn.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("read timeout");
    let mut all = headers.to_vec();
    all.push(("Connection", "close"));
    let head = request_head(addr, method, path, &all, body.len());
    conn.write_all(head.as_bytes()).expect("send the head");
    conn.write_all(body).expect("send the body");
    parse(&read_answer(&mut conn))
}

/// A request's head: `Host` is the address unless `headers` names one; then `headers` and the
/// body's length.
fn request_head(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body_len: usize,
) -> String {
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {body_len}\r\n\r\n"));
    head
}

/// An answer's bytes: up to its Content-Length, or the end of its chunked body, or until the
/// server closes (a server need not close after `Connection: close` at once).
fn read_answer(conn: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return raw,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
        }
        let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        let body = raw.len() - split - 4;
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        if length.is_some_and(|n| body >= n) || raw.ends_with(b"\r\n0\r\n\r\n") {
            return raw;
        }
    }
}

/// A form post: `fields` URL-encoded.
pub fn post_form(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> Answer {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut all = headers.to_vec();
    all.push(("Content-Type", "application/x-www-form-urlencoded"));
    request(addr, "POST", path, &all, body.as_bytes())
}

/// The events of an SSE stream at `path` as (name, data), until one named `last` or `limit`
/// has passed.
pub fn events(addr: SocketAddr, path: &str, last: &str, limit: Duration) -> Vec<(String, String)> {
    let head = request_head(addr, "GET", path, &[("Accept", "text/event-stream")], 0);
    read_events(addr, head.as_bytes(), last, limit)
}

/// The events a `POST` of `body` to `path` answers with, as [`events`] reads them.
pub fn post_events(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    last: &str,
    limit: Duration,
) -> Vec<(String, String)> {
    let mut all = headers.to_vec();
    all.push(("Accept", "text/event-stream"));
    let mut sent = request_head(addr, "POST", path, &all, body.len()).into_bytes();
    sent.extend_from_slice(body);
    read_events(addr, &sent, last, limit)
}

fn read_events(
    addr: SocketAddr,
    sent: &[u8],
    last: &str,
    limit: Duration,
) -> Vec<(String, String)> {
    let mut conn = TcpStream::connect(addr).expect("connect to the web app");
    conn.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("read timeout");
    conn.write_all(sent).expect("send the request");
    let started = Instant::now();
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    while started.elapsed() < limit {
        match conn.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(_) => {}
        }
        // Done once the last event's block has ended (a blank line after its name).
        let text = String::from_utf8_lossy(&raw);
        if let Some(at) = text.find(&format!("event: {last}\n"))
            && text[at..].contains("\n\n")
        {
            break;
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let mut out = Vec::new();
    for block in body.split("\n\n") {
        let mut name = None;
        let mut data = String::new();
        for line in block.lines() {
            // Chunked transfer puts sizes between the blocks; only the fields count.
            if let Some(n) = line.strip_prefix("event: ") {
                name = Some(n.to_string());
            } else if let Some(d) = line.strip_prefix("data: ") {
                data.push_str(d);
            }
        }
        if let Some(n) = name {
            out.push((n, data));
        }
    }
    out
}

/// `application/x-www-form-urlencoded` of one key or value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn parse(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = raw.get(split + 4..).unwrap_or_default();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        unchunk(body)
    } else {
        body.to_vec()
    };
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// The bytes of a chunked body.
fn unchunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&body[..eol]);
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let rest = &body[eol + 2..];
        if n == 0 || rest.len() < n {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        body = rest[n..].strip_prefix(b"\r\n").unwrap_or(&rest[n..]);
    }
    out
}
