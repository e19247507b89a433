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
    /// Waits, then answers from a script.
    Script(Duration, Script),
}

/// A line-based responder for IMAP, POP3 or SMTP: a greeting, then for each command line
/// the reply of the first rule whose prefix it starts with (case-insensitive), else the
/// default. `{tag}` in a reply stands for the command's first word (the IMAP tag).
#[derive(Clone, Debug)]
pub struct Script {
    pub greeting: Vec<String>,
    pub rules: Vec<(String, Vec<String>)>,
    pub default: Vec<String>,
    /// After a reply to a command starting with this, close the connection.
    pub close_after: Vec<String>,
}

impl Script {
    /// An SMTP server: `greeting` (one line) and extra EHLO keywords; everything else 250.
    pub fn smtp(greeting: &str, ehlo_keywords: &[&str]) -> Script {
        let mut ehlo = vec!["250-hostile.test".to_string()];
        ehlo.extend(ehlo_keywords.iter().map(|k| format!("250-{k}")));
        ehlo.push("250 8BITMIME".into());
        Script {
            greeting: vec![greeting.to_string()],
            rules: vec![
                ("EHLO".into(), ehlo),
                ("QUIT".into(), vec!["221 2.0.0 Bye".into()]),
            ],
            default: vec!["250 2.0.0 Ok".into()],
            close_after: vec!["QUIT".into()],
        }
    }

    /// An IMAP server with these capabilities; everything else `{tag} OK`.
    pub fn imap(capabilities: &str) -> Script {
        Script {
            greeting: vec![format!(
                "* OK [CAPABILITY {capabilities}] hostile.test ready"
            )],
            rules: vec![
                (
                    "* CAPABILITY".into(),
                    vec![
                        format!("* CAPABILITY {capabilities}"),
                        "{tag} OK done".into(),
                    ],
                ),
                (
                    "* LOGOUT".into(),
                    vec!["* BYE bye".into(), "{tag} OK done".into()],
                ),
            ],
            default: vec!["{tag} OK done".into()],
            close_after: vec!["* LOGOUT".into()],
        }
    }

    /// Puts a rule before the others. For IMAP, write the prefix as `* VERB`: the `*`
    /// stands for any tag.
    pub fn on(mut self, prefix: &str, reply: &[&str]) -> Script {
        self.rules.insert(
            0,
            (
                prefix.to_string(),
                reply.iter().map(|r| r.to_string()).collect(),
            ),
        );
        self
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
        Behaviour::Script(delay, script) => {
            thread::sleep(delay);
            scripted(conn, &script);
        }
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

/// Whether `line` matches a rule prefix; `* ` at the start of a prefix matches any tag.
fn matches(line: &str, prefix: &str) -> bool {
    let line = line.to_ascii_uppercase();
    let prefix = prefix.to_ascii_uppercase();
    match prefix.strip_prefix("* ") {
        Some(rest) => line
            .split_once(' ')
            .is_some_and(|(_, after)| after.starts_with(rest)),
        None => line.starts_with(&prefix),
    }
}

fn scripted(conn: TcpStream, script: &Script) {
    let Ok(mut out) = conn.try_clone() else {
        return;
    };
    for line in &script.greeting {
        let _ = write!(out, "{line}\r\n");
    }
    let refusing = script
        .greeting
        .first()
        .is_some_and(|g| g.starts_with('4') || g.starts_with('5') || g.starts_with("* BYE"));
    if refusing {
        return;
    }
    let reader = BufReader::new(conn);
    for line in reader.lines().take(100) {
        let Ok(line) = line else { break };
        let tag = line.split_whitespace().next().unwrap_or("*").to_string();
        let reply = script
            .rules
            .iter()
            .find(|(prefix, _)| matches(&line, prefix))
            .map(|(_, reply)| reply)
            .unwrap_or(&script.default);
        for r in reply {
            if write!(out, "{}\r\n", r.replace("{tag}", &tag)).is_err() {
                return;
            }
        }
        if script.close_after.iter().any(|p| matches(&line, p)) {
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
    /// Answers every query twice, as a forger would: once with another ID, once with the
    /// right ID but for another name; neither may be taken as the answer.
    Forged,
    /// Loses every query the first time it is sent (as a lossy network would) and answers
    /// it the second time with NXDOMAIN.
    LosesFirst,
}

/// A UDP DNS server on 127.0.0.1 that misbehaves. Returns its address.
pub fn dns(behaviour: DnsBehaviour) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    let addr = socket.local_addr().expect("udp addr");
    let _ = socket.set_read_timeout(Some(MAX_HOLD));
    thread::spawn(move || {
        let mut buf = [0u8; 1500];
        let mut seen: std::collections::HashSet<Vec<u8>> = std::collections::HashSet::new();
        for _ in 0..256 {
            let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                break;
            };
            if let DnsBehaviour::ServFail = behaviour
                && n >= 12
            {
                let _ = socket.send_to(&empty_reply(&buf[..n], 2), peer);
            }
            if let DnsBehaviour::LosesFirst = behaviour
                && n >= 12
            {
                let query = buf[..n].to_vec();
                if seen.remove(&query) {
                    let _ = socket.send_to(&empty_reply(&buf[..n], 3), peer);
                } else {
                    seen.insert(query);
                }
            }
            if let DnsBehaviour::Forged = behaviour
                && n >= 14
            {
                // NOERROR, no records: taken as the answer, it would read as NODATA.
                let mut reply = empty_reply(&buf[..n], 0);
                let mut wrong_id = reply.clone();
                wrong_id[1] = wrong_id[1].wrapping_add(1);
                let _ = socket.send_to(&wrong_id, peer);
                // The first letter of the name changed: another question.
                reply[13] = if reply[13] == b'x' { b'y' } else { b'x' };
                let _ = socket.send_to(&reply, peer);
            }
        }
    });
    addr
}

/// An answer to `query` with its ID and question, no records and response code `rcode`
/// (QR=1, RD copied, RA=1).
fn empty_reply(query: &[u8], rcode: u8) -> Vec<u8> {
    let mut reply = query[..question_end(query)].to_vec();
    reply[2] = 0x80 | (query[2] & 0x01);
    reply[3] = 0x80 | (rcode & 0x0f);
    for b in &mut reply[6..12] {
        *b = 0;
    }
    reply
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
