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
    /// Refuses every login and puts what it was sent into the refusal, in every form it can
    /// think of (see [`reveal`]).
    Echo(Echo),
    /// Greets, then answers the first command with lines that never end.
    Endless(Endless),
    /// Sends these bytes one at a time, this far apart, then holds the connection.
    Trickle(Vec<u8>, Duration),
    /// Sends these bytes as its greeting (any bytes at all), then answers from the script,
    /// whose own greeting is not sent.
    RawGreeting(Vec<u8>, Script),
}

/// Which answer never ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endless {
    /// IMAP: untagged data, never the tagged status.
    ImapUntagged,
    /// POP3: CAPA's lines, never the `.`.
    Pop3Capa,
    /// SMTP: EHLO's `250-` lines, never the last one.
    SmtpEhlo,
}

/// Which login an echoing server offers, and so which one maildoc sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Echo {
    /// SMTP offering AUTH PLAIN: `535` with the initial response.
    SmtpPlain,
    /// SMTP offering only AUTH LOGIN: `535` with the user name and password lines.
    SmtpLogin,
    /// IMAP without AUTH=PLAIN: `NO` with the LOGIN arguments, and an untagged literal.
    ImapLogin,
    /// IMAP with AUTH=PLAIN and SASL-IR: `NO` with the initial response.
    ImapPlain,
    /// POP3 with USER: `-ERR` with the PASS argument.
    Pop3User,
    /// POP3 with only SASL PLAIN: `-ERR` with the initial response.
    Pop3Plain,
}

impl Echo {
    pub const ALL: [Echo; 6] = [
        Echo::SmtpPlain,
        Echo::SmtpLogin,
        Echo::ImapLogin,
        Echo::ImapPlain,
        Echo::Pop3User,
        Echo::Pop3Plain,
    ];

    /// The server flag of `maildoc check` for this protocol.
    pub fn flag(self) -> &'static str {
        match self {
            Echo::SmtpPlain | Echo::SmtpLogin => "--smtp",
            Echo::ImapLogin | Echo::ImapPlain => "--imap",
            Echo::Pop3User | Echo::Pop3Plain => "--pop3",
        }
    }
}

/// Everything an echoing server makes of what it was sent: the text as it came and
/// upper-cased; if it is base64, what it decodes to (NULs as spaces), that as hex and
/// percent-encoded, and the base64 cut at its first three characters, as a server that
/// quotes part of a line would.
pub fn reveal(sent: &str) -> String {
    use base64::Engine;
    let sent = sent.trim();
    let mut forms = vec![sent.to_string(), sent.to_ascii_uppercase()];
    let clear = match base64::engine::general_purpose::STANDARD.decode(sent) {
        Ok(bytes) => {
            for cut in 1..4 {
                forms.push(sent.get(cut..).unwrap_or("").to_string());
            }
            let clear: Vec<u8> = bytes
                .iter()
                .map(|&b| if b == 0 { b' ' } else { b })
                .collect();
            forms.push(String::from_utf8_lossy(&clear).into_owned());
            clear
        }
        Err(_) => sent.as_bytes().to_vec(),
    };
    forms.push(clear.iter().map(|b| format!("{b:02x}")).collect());
    forms.push(clear.iter().map(|b| format!("%{b:02X}")).collect());
    forms.join(" | ")
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
        Behaviour::Echo(kind) => echo(conn, kind),
        Behaviour::Endless(kind) => endless(conn, kind, started),
        Behaviour::Trickle(bytes, gap) => {
            for b in bytes {
                if started.elapsed() > MAX_HOLD || conn.write_all(&[b]).is_err() {
                    return;
                }
                thread::sleep(gap);
            }
            hold(&mut conn, started);
        }
        Behaviour::RawGreeting(bytes, script) => {
            if conn.write_all(&bytes).is_ok() {
                scripted(
                    conn,
                    &Script {
                        greeting: Vec::new(),
                        ..script
                    },
                );
            }
        }
    }
}

/// See [`Endless`]: a normal greeting, one command read, then lines until the client goes
/// or time is up.
fn endless(mut conn: TcpStream, kind: Endless, started: Instant) {
    let (greeting, first, line) = match kind {
        Endless::ImapUntagged => ("* OK [CAPABILITY IMAP4rev1] ready", "", "* 1 EXISTS"),
        Endless::Pop3Capa => ("+OK ready", "+OK\r\n", "X-CAPABILITY"),
        Endless::SmtpEhlo => ("220 ready ESMTP", "", "250-X-KEYWORD"),
    };
    if conn
        .write_all(format!("{greeting}\r\n").as_bytes())
        .is_err()
    {
        return;
    }
    let mut byte = [0u8; 1];
    while conn.read(&mut byte).is_ok_and(|n| n == 1) && byte[0] != b'\n' {}
    let _ = conn.write_all(first.as_bytes());
    let batch = format!("{line}\r\n").repeat(100);
    while started.elapsed() < MAX_HOLD {
        if conn.write_all(batch.as_bytes()).is_err() {
            break;
        }
    }
}

/// An echoing server (see [`Echo`]): a fixed conversation up to the login, which it refuses
/// with [`reveal`] of what it was sent; QUIT/LOGOUT end it. At most 100 lines are read.
fn echo(conn: TcpStream, kind: Echo) {
    let Ok(mut out) = conn.try_clone() else {
        return;
    };
    let mut send = |lines: &[String]| {
        lines
            .iter()
            .all(|l| out.write_all(format!("{l}\r\n").as_bytes()).is_ok())
    };
    let greeting = match kind {
        Echo::SmtpPlain | Echo::SmtpLogin => "220 echo.test ESMTP",
        Echo::ImapLogin => "* OK [CAPABILITY IMAP4rev1] echo.test ready",
        Echo::ImapPlain => "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] echo.test ready",
        Echo::Pop3User | Echo::Pop3Plain => "+OK echo.test ready",
    };
    if !send(&[greeting.to_string()]) {
        return;
    }
    let mut lines = BufReader::new(conn).lines().take(100).map_while(Result::ok);
    while let Some(line) = lines.next() {
        let upper = line.to_ascii_uppercase();
        let (tag, rest) = line.split_once(' ').unwrap_or((&line, ""));
        let verb = rest.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let reply: Vec<String> = match kind {
            Echo::SmtpPlain | Echo::SmtpLogin => {
                if upper.starts_with("EHLO") {
                    let auth = if kind == Echo::SmtpPlain {
                        "PLAIN LOGIN"
                    } else {
                        "LOGIN"
                    };
                    vec![
                        "250-echo.test".into(),
                        format!("250-AUTH {auth}"),
                        "250 8BITMIME".into(),
                    ]
                } else if upper.starts_with("AUTH PLAIN ") {
                    vec![format!(
                        "535 5.7.8 Authentication failed: {}",
                        reveal(&line[11..])
                    )]
                } else if upper.starts_with("AUTH LOGIN") {
                    let user = send(&["334 VXNlcm5hbWU6".into()])
                        .then(|| lines.next())
                        .flatten();
                    let pass = send(&["334 UGFzc3dvcmQ6".into()])
                        .then(|| lines.next())
                        .flatten();
                    vec![format!(
                        "535 5.7.8 Authentication failed: {} / {}",
                        reveal(user.as_deref().unwrap_or("")),
                        reveal(pass.as_deref().unwrap_or(""))
                    )]
                } else if upper.starts_with("QUIT") {
                    send(&["221 2.0.0 Bye".into()]);
                    return;
                } else {
                    vec!["250 2.0.0 Ok".into()]
                }
            }
            Echo::ImapLogin | Echo::ImapPlain => match verb.as_str() {
                "CAPABILITY" => {
                    let caps = greeting.split(['[', ']']).nth(1).unwrap_or("CAPABILITY");
                    vec![format!("* {caps}"), format!("{tag} OK done")]
                }
                "LOGIN" | "AUTHENTICATE" => {
                    let sent = rest.split_once(' ').map_or("", |(_, a)| a);
                    let sent = sent.strip_prefix("PLAIN ").unwrap_or(sent);
                    let shown = reveal(sent);
                    vec![
                        format!("* XECHO {{{}}}", shown.len()),
                        shown.clone(),
                        format!("{tag} NO [AUTHENTICATIONFAILED] {shown}"),
                    ]
                }
                "LOGOUT" => {
                    send(&["* BYE bye".into(), format!("{tag} OK done")]);
                    return;
                }
                _ => vec![format!("{tag} OK done")],
            },
            Echo::Pop3User | Echo::Pop3Plain => {
                if upper.starts_with("CAPA") {
                    let login = if kind == Echo::Pop3User {
                        "USER"
                    } else {
                        "SASL PLAIN"
                    };
                    vec!["+OK".into(), login.into(), ".".into()]
                } else if upper.starts_with("PASS ") || upper.starts_with("AUTH PLAIN ") {
                    let sent = line.get(if upper.starts_with("PASS ") { 5 } else { 11 }..);
                    let sent = sent.unwrap_or("");
                    vec![format!("-ERR [AUTH] {}", reveal(sent))]
                } else if upper.starts_with("QUIT") {
                    send(&["+OK bye".into()]);
                    return;
                } else {
                    vec!["+OK".into()]
                }
            }
        };
        if !send(&reply) {
            return;
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
    /// Answers every query with a CNAME from the name asked to itself.
    CnameLoop,
    /// Answers every query over UDP as truncated; over TCP (same port) it accepts and
    /// never answers.
    Truncated,
}

/// A UDP DNS server on 127.0.0.1 that misbehaves (with a TCP listener on the same port for
/// [`DnsBehaviour::Truncated`]). Returns its address.
pub fn dns(behaviour: DnsBehaviour) -> SocketAddr {
    let (socket, addr) = loop {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let addr = socket.local_addr().expect("udp addr");
        if !matches!(behaviour, DnsBehaviour::Truncated) {
            break (socket, addr);
        }
        // The same port for TCP, where the truncated answers send the client.
        if let Ok(tcp) = TcpListener::bind(addr) {
            thread::spawn(move || {
                for conn in tcp.incoming().take(MAX_CONNECTIONS) {
                    let Ok(mut conn) = conn else { continue };
                    thread::spawn(move || hold(&mut conn, Instant::now()));
                }
            });
            break (socket, addr);
        }
    };
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
            if let DnsBehaviour::CnameLoop = behaviour
                && n >= 12
            {
                let _ = socket.send_to(&cname_to_itself(&buf[..n]), peer);
            }
            if let DnsBehaviour::Truncated = behaviour
                && n >= 12
            {
                let mut reply = empty_reply(&buf[..n], 0);
                reply[2] |= 0x02;
                let _ = socket.send_to(&reply, peer);
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

/// An answer to `query` whose one record is a CNAME from the name asked to the same name.
fn cname_to_itself(query: &[u8]) -> Vec<u8> {
    let mut reply = empty_reply(query, 0);
    reply[7] = 1;
    // The name by a pointer to the question, CNAME, IN, TTL 60, and again the pointer.
    reply.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12]);
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
