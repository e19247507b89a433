//! In-process servers that misbehave in ways a real server will not: silence, garbage, an
//! endless line, a close in the middle of the greeting, and scripted replies (a banner with
//! a wrong date, a refusal, OAuth-only AUTH). Plus DNS servers that never answer or answer
//! SERVFAIL. All listen on 127.0.0.1 with a port from the system; every loop is bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

/// The most connections one hostile server accepts before it stops.
const MAX_CONNECTIONS: usize = 32;
/// The longest one hostile connection is kept open.
const MAX_HOLD: Duration = Duration::from_secs(30);

/// How the server behaves on each connection.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// Accepts and never says anything.
    Silent,
    /// Sends these bytes, then waits and closes.
    Garbage(Vec<u8>),
    /// Sends bytes without a line end, forever (until the client goes or time is up).
    EndlessLine,
    /// Sends part of a greeting, then closes.
    CloseMidGreeting(Vec<u8>),
    /// Waits, then behaves like `Smtp`.
    SlowSmtp(Duration, SmtpScript),
    /// A tiny SMTP responder.
    Smtp(SmtpScript),
}

/// What the SMTP responder says.
#[derive(Clone, Debug)]
pub struct SmtpScript {
    /// The greeting line(s), without line ends.
    pub greeting: Vec<String>,
    /// The EHLO reply lines after the first (`250-...`), keywords only, e.g. `AUTH XOAUTH2`.
    pub ehlo_keywords: Vec<String>,
}

impl SmtpScript {
    pub fn new(greeting: &str, ehlo_keywords: &[&str]) -> Self {
        SmtpScript {
            greeting: vec![greeting.to_string()],
            ehlo_keywords: ehlo_keywords.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// A running hostile server.
#[derive(Debug)]
pub struct Hostile {
    pub addr: SocketAddr,
}

impl Hostile {
    pub fn start(behaviour: Behaviour) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        thread::spawn(move || {
            for conn in listener.incoming().take(MAX_CONNECTIONS) {
                let Ok(conn) = conn else { continue };
                let b = behaviour.clone();
                thread::spawn(move || serve(conn, b));
            }
        });
        Hostile { addr }
    }

    /// `127.0.0.1:PORT` with a security suffix, for `--imap` and friends.
    pub fn spec(&self, security: &str) -> String {
        format!("{}/{security}", self.addr)
    }
}

fn serve(mut conn: TcpStream, behaviour: Behaviour) {
    let _ = conn.set_read_timeout(Some(MAX_HOLD));
    let started = Instant::now();
    match behaviour {
        Behaviour::Silent => hold(&mut conn, started),
        Behaviour::Garbage(bytes) => {
            let _ = conn.write_all(&bytes);
            hold(&mut conn, started);
        }
        Behaviour::EndlessLine => {
            let chunk = [b'x'; 4096];
            while started.elapsed() < MAX_HOLD {
                if conn.write_all(&chunk).is_err() {
                    break;
                }
            }
        }
        Behaviour::CloseMidGreeting(bytes) => {
            let _ = conn.write_all(&bytes);
            let _ = conn.flush();
        }
        Behaviour::SlowSmtp(delay, script) => {
            thread::sleep(delay);
            smtp(conn, &script);
        }
        Behaviour::Smtp(script) => smtp(conn, &script),
    }
}

/// Keeps the connection until the client closes it or time is up.
fn hold(conn: &mut TcpStream, started: Instant) {
    let mut buf = [0u8; 1024];
    while started.elapsed() < MAX_HOLD {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

fn smtp(conn: TcpStream, script: &SmtpScript) {
    let Ok(mut out) = conn.try_clone() else {
        return;
    };
    let n = script.greeting.len();
    for (i, line) in script.greeting.iter().enumerate() {
        let sep = if i + 1 == n { " " } else { "-" };
        let text = if line.len() > 3 && line.as_bytes()[3] == b' ' {
            format!("{}{sep}{}", &line[..3], &line[4..])
        } else {
            line.clone()
        };
        let _ = write!(out, "{text}\r\n");
    }
    if script.greeting.first().is_some_and(|g| !g.starts_with('2')) {
        return;
    }
    let reader = BufReader::new(conn);
    for line in reader.lines().take(100) {
        let Ok(line) = line else { break };
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" => {
                let mut lines = vec!["250-hostile.test".to_string()];
                lines.extend(script.ehlo_keywords.iter().map(|k| format!("250-{k}")));
                lines.push("250 8BITMIME".into());
                lines.join("\r\n")
            }
            "QUIT" => {
                let _ = write!(out, "221 2.0.0 Bye\r\n");
                break;
            }
            "AUTH" => "504 5.5.4 Unrecognized authentication type".into(),
            _ => "250 2.0.0 Ok".into(),
        };
        if write!(out, "{reply}\r\n").is_err() {
            break;
        }
    }
}

/// How a hostile DNS server answers.
#[derive(Clone, Copy, Debug)]
pub enum DnsBehaviour {
    /// Reads queries and never answers.
    Silent,
    /// Answers every query with SERVFAIL.
    ServFail,
}

/// A UDP DNS server on 127.0.0.1 that misbehaves. Returns its address.
pub fn dns(behaviour: DnsBehaviour) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let addr = socket.local_addr().expect("udp addr");
    let _ = socket.set_read_timeout(Some(MAX_HOLD));
    thread::spawn(move || {
        let mut buf = [0u8; 1500];
        for _ in 0..256 {
            let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                break;
            };
            if let DnsBehaviour::ServFail = behaviour
                && n >= 12
            {
                // Same id and question; QR=1, RD copied, RA=1, RCODE=2; no records.
                let mut reply = buf[..question_end(&buf[..n])].to_vec();
                reply[2] = 0x80 | (buf[2] & 0x01);
                reply[3] = 0x82;
                for b in &mut reply[6..12] {
                    *b = 0;
                }
                let _ = socket.send_to(&reply, peer);
            }
        }
    });
    addr
}

/// Where the question section of a query ends (header, one question).
fn question_end(query: &[u8]) -> usize {
    let mut i = 12;
    while let Some(&len) = query.get(i) {
        if len == 0 {
            return (i + 5).min(query.len());
        }
        i += 1 + usize::from(len);
    }
    query.len()
}
