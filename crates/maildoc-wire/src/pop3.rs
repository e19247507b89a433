//! POP3 (RFC 1939) status lines, multi-line responses, CAPA (RFC 2449), response codes
//! (RFC 2449, 3206), SASL (RFC 5034) and commands.

use crate::line::printable;
use crate::secret::{Secret, line_with, sasl_plain_b64};
use std::fmt;

/// Data lines kept per multi-line response; see [`MultiLine`].
pub const MAX_MULTILINE: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pop3Status {
    Ok,
    Err,
}

/// A `+OK` / `-ERR` status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pop3Reply {
    pub status: Pop3Status,
    /// The extended response code (`AUTH`, `SYS/TEMP`, `IN-USE`, `LOGIN-DELAY`, ...) without
    /// brackets, upper-cased.
    pub code: Option<String>,
    /// The text after the status indicator (and after the code, if any).
    pub text: String,
}

impl Pop3Reply {
    pub fn is_ok(&self) -> bool {
        self.status == Pop3Status::Ok
    }
}

/// A line that is not a POP3 status line (made printable and cut).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed(pub String);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed POP3 status line: {}", self.0)
    }
}

impl std::error::Error for Malformed {}

/// Parses `+OK text` / `-ERR [CODE] text`. The indicator is matched without regard to case.
///
/// A bracketed word at the start of the text is taken as a response code when it is made of
/// letters, digits, `-`, `/`, `_` and `.` (at most 64); otherwise it stays in `text`.
pub fn parse_status(line: &str) -> Result<Pop3Reply, Malformed> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (status, rest) = if let Some(rest) = strip_ci(line, "+OK") {
        (Pop3Status::Ok, rest)
    } else if let Some(rest) = strip_ci(line, "-ERR") {
        (Pop3Status::Err, rest)
    } else {
        return Err(Malformed(printable(line.as_bytes(), 200)));
    };
    let rest = match rest.as_bytes().first() {
        None => rest,
        Some(b' ' | b'\t') => &rest[1..],
        _ => return Err(Malformed(printable(line.as_bytes(), 200))),
    };
    let (code, text) = split_code(rest);
    Ok(Pop3Reply {
        status,
        code,
        text: text.to_owned(),
    })
}

/// Whether a line is a SASL continuation (`+ challenge`, or a bare `+`).
pub fn is_continuation(line: &str) -> bool {
    line == "+" || line.starts_with("+ ")
}

fn strip_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

fn split_code(text: &str) -> (Option<String>, &str) {
    let Some(inner_start) = text.strip_prefix('[') else {
        return (None, text);
    };
    let Some(end) = inner_start.find(']') else {
        return (None, text);
    };
    let code = &inner_start[..end];
    let valid = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'/' | b'_' | b'.'));
    if !valid {
        return (None, text);
    }
    let after = inner_start[end + 1..].trim_start();
    (Some(code.to_ascii_uppercase()), after)
}

/// Collects the lines of a multi-line response (after its `+OK` line) up to the `.` line,
/// undoing dot-stuffing.
///
/// Bounded: at most [`MAX_MULTILINE`] lines are kept; later data lines are counted in
/// [`MultiLine::dropped`] and discarded, and the lines kept are still returned when the
/// terminator arrives, so the session stays in step with the server. `dropped` describes the
/// last response returned (or the one under way) and is reset by the first line of the next.
#[derive(Clone, Debug, Default)]
pub struct MultiLine {
    lines: Vec<String>,
    dropped: usize,
    returned: bool,
}

impl MultiLine {
    /// Feeds one line; returns all the data lines once the terminating `.` arrives.
    pub fn push_line(&mut self, line: &str) -> Option<Vec<String>> {
        if self.returned {
            self.returned = false;
            self.dropped = 0;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line == "." {
            self.returned = true;
            return Some(std::mem::take(&mut self.lines));
        }
        let data = line.strip_prefix('.').unwrap_or(line);
        if self.lines.len() < MAX_MULTILINE {
            self.lines.push(data.to_owned());
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
        None
    }

    /// Data lines discarded beyond the bound.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Whether a response is under way (some lines received, no terminator yet).
    pub fn in_progress(&self) -> bool {
        !self.returned && (!self.lines.is_empty() || self.dropped > 0)
    }
}

/// CAPA lines, each as `KEYWORD args` with the keyword upper-cased and spacing normalized.
pub fn parse_capa(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let kw = words.next()?.to_ascii_uppercase();
            let mut item = kw;
            for w in words {
                item.push(' ');
                item.push_str(w);
            }
            Some(item)
        })
        .collect()
}

/// Whether a capability keyword is listed (case-insensitive).
pub fn capa_has(caps: &[String], kw: &str) -> bool {
    caps.iter().any(|c| {
        c.split_whitespace()
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case(kw))
    })
}

/// The mechanisms of the `SASL` capability, upper-cased, each once.
pub fn sasl_mechanisms(caps: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in caps {
        let mut words = c.split_whitespace();
        if !words.next().is_some_and(|k| k.eq_ignore_ascii_case("SASL")) {
            continue;
        }
        for m in words {
            let m = m.to_ascii_uppercase();
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

/// `(messages, octets)` from the text of a STAT reply (`2 320`; a leading `+OK` is
/// tolerated, and so is text after the numbers).
pub fn parse_stat(text: &str) -> Option<(u64, u64)> {
    let text = text.trim();
    let text = strip_ci(text, "+OK").unwrap_or(text);
    let mut words = text.split_whitespace();
    let messages = words.next()?.parse().ok()?;
    let octets = words.next()?.parse().ok()?;
    Some((messages, octets))
}

/// The size in octets from the text of a one-message LIST reply (`3 1200`; a leading `+OK`
/// is tolerated).
pub fn parse_list_one(text: &str) -> Option<u64> {
    let text = text.trim();
    let text = strip_ci(text, "+OK").unwrap_or(text);
    let mut words = text.split_whitespace();
    words.next()?.parse::<u64>().ok()?;
    words.next()?.parse().ok()
}

/// Removes what would end or split a command line (CR, LF, NUL) from an argument.
fn arg(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\r' | '\n' | '\0'))
        .collect()
}

/// Whether a value can be sent as a USER/PASS argument as it is (no CR, LF or NUL). When it
/// cannot, [`user`] and [`pass`] drop those characters (the login then fails rather than
/// injecting a command); prefer [`auth_plain`], which carries any bytes.
pub fn line_safe(s: &str) -> bool {
    !s.contains(['\r', '\n', '\0'])
}

pub fn capa() -> String {
    "CAPA\r\n".to_owned()
}

pub fn stls() -> String {
    "STLS\r\n".to_owned()
}

/// `USER name\r\n`.
pub fn user(u: &str) -> String {
    format!("USER {}\r\n", arg(u))
}

/// `PASS password\r\n`, shown as `PASS <redacted>`.
pub fn pass(p: &str) -> Secret {
    line_with("PASS ", &arg(p), "PASS ")
}

/// `AUTH PLAIN <base64(\0user\0pass)>\r\n` with the initial response (RFC 5034), shown as
/// `AUTH PLAIN <redacted>`.
pub fn auth_plain(user: &str, pass: &str) -> Secret {
    line_with("AUTH PLAIN ", &sasl_plain_b64(user, pass), "AUTH PLAIN ")
}

pub fn stat() -> String {
    "STAT\r\n".to_owned()
}

pub fn noop() -> String {
    "NOOP\r\n".to_owned()
}

pub fn quit() -> String {
    "QUIT\r\n".to_owned()
}

/// `LIST n`: one message's size.
pub fn list_one(n: u64) -> String {
    format!("LIST {n}\r\n")
}

/// `TOP n lines`: a message's header and its first `lines` body lines.
pub fn top(n: u64, lines: u64) -> String {
    format!("TOP {n} {lines}\r\n")
}

/// `RETR n`: a whole message.
pub fn retr(n: u64) -> String {
    format!("RETR {n}\r\n")
}

/// `DELE n`: the message is removed when the session ends with QUIT.
pub fn dele(n: u64) -> String {
    format!("DELE {n}\r\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn status_lines() {
        let r = parse_status("+OK Dovecot (Debian) ready.").unwrap();
        assert!(r.is_ok());
        assert_eq!(r.code, None);
        assert_eq!(r.text, "Dovecot (Debian) ready.");

        let r = parse_status("-ERR [AUTH] Authentication failed.").unwrap();
        assert_eq!(r.status, Pop3Status::Err);
        assert_eq!(r.code.as_deref(), Some("AUTH"));
        assert_eq!(r.text, "Authentication failed.");

        let r = parse_status("-ERR [SYS/TEMP] Temporary authentication failure").unwrap();
        assert_eq!(r.code.as_deref(), Some("SYS/TEMP"));
        let r = parse_status("-ERR [IN-USE] Mailbox locked by another session").unwrap();
        assert_eq!(r.code.as_deref(), Some("IN-USE"));
        let r = parse_status("-ERR [login-delay] wait 300s").unwrap();
        assert_eq!(r.code.as_deref(), Some("LOGIN-DELAY"));
        let r = parse_status("-ERR [this is just text] sorry").unwrap();
        assert_eq!(r.code, None);
        assert_eq!(r.text, "[this is just text] sorry");
        let r = parse_status("-ERR [AUTH").unwrap();
        assert_eq!(r.code, None);

        let r = parse_status("+OK").unwrap();
        assert_eq!(r.text, "");
        let r = parse_status("+ok 2 320\r").unwrap();
        assert_eq!(r.text, "2 320");
        // Gmail
        let r = parse_status("-ERR [AUTH] Username and password not accepted.").unwrap();
        assert_eq!(r.code.as_deref(), Some("AUTH"));
        // Exchange
        let r = parse_status("-ERR Logon failure: unknown user name or bad password.").unwrap();
        assert_eq!(r.code, None);
        assert_eq!(r.text, "Logon failure: unknown user name or bad password.");
        // Qpopper-style greeting with an APOP timestamp
        let r = parse_status("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>").unwrap();
        assert!(r.is_ok());

        assert!(parse_status("+OKAY").is_err());
        assert!(parse_status("OK").is_err());
        assert!(parse_status("").is_err());
        assert!(parse_status("+").is_err());
        assert!(parse_status("é").is_err());
        assert_eq!(
            parse_status("* OK imap\x07"),
            Err(Malformed("* OK imap\\x07".to_owned()))
        );
    }

    #[test]
    fn continuation() {
        assert!(is_continuation("+ "));
        assert!(is_continuation("+"));
        assert!(is_continuation("+ VXNlcm5hbWU6"));
        assert!(!is_continuation("+OK"));
    }

    #[test]
    fn dovecot_capa() {
        let mut m = MultiLine::default();
        let mut got = None;
        for l in [
            "CAPA",
            "TOP",
            "UIDL",
            "RESP-CODES",
            "PIPELINING",
            "AUTH-RESP-CODE",
            "STLS",
            "USER",
            "SASL PLAIN LOGIN",
            ".",
        ] {
            assert!(got.is_none());
            got = m.push_line(l);
        }
        let lines = got.unwrap();
        let caps = parse_capa(&lines);
        assert_eq!(caps[0], "CAPA");
        assert!(capa_has(&caps, "stls"));
        assert!(capa_has(&caps, "USER"));
        assert!(!capa_has(&caps, "IMPLEMENTATION"));
        assert_eq!(sasl_mechanisms(&caps), ["PLAIN", "LOGIN"]);
    }

    #[test]
    fn gmail_capa() {
        let lines: Vec<String> = [
            "USER",
            "RESP-CODES",
            "EXPIRE 0",
            "LOGIN-DELAY 300",
            "TOP",
            "UIDL",
            "X-GOOGLE-RICO",
            "sasl  plain xoauth2 OAUTHBEARER",
            "implementation Gpop",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let caps = parse_capa(&lines);
        assert!(caps.contains(&"LOGIN-DELAY 300".to_owned()));
        assert!(caps.contains(&"IMPLEMENTATION Gpop".to_owned()));
        assert_eq!(sasl_mechanisms(&caps), ["PLAIN", "XOAUTH2", "OAUTHBEARER"]);
        assert!(!capa_has(&caps, "STLS"));
    }

    #[test]
    fn dot_unstuffing_and_reuse() {
        let mut m = MultiLine::default();
        assert_eq!(m.push_line("..hidden"), None);
        assert!(m.in_progress());
        assert_eq!(m.push_line(".x"), None);
        assert_eq!(m.push_line(""), None);
        assert_eq!(m.push_line(".."), None);
        assert_eq!(m.push_line(".\r").unwrap(), [".hidden", "x", "", "."]);
        assert!(!m.in_progress());
        assert_eq!(m.push_line("."), Some(vec![]));
    }

    #[test]
    fn multiline_bound() {
        let mut m = MultiLine::default();
        for i in 0..MAX_MULTILINE + 500 {
            assert_eq!(m.push_line(&format!("{i} 100")), None);
        }
        assert_eq!(m.dropped(), 500);
        let lines = m.push_line(".").unwrap();
        assert_eq!(lines.len(), MAX_MULTILINE);
        assert_eq!(m.dropped(), 500);
        assert_eq!(m.push_line("a"), None);
        assert_eq!(m.dropped(), 0);
    }

    #[test]
    fn stat_text() {
        assert_eq!(parse_stat("2 320"), Some((2, 320)));
        assert_eq!(parse_stat("+OK 2 320"), Some((2, 320)));
        assert_eq!(parse_stat("0 0 mailbox empty"), Some((0, 0)));
        assert_eq!(parse_stat("2"), None);
        assert_eq!(parse_stat("two 320"), None);
        assert_eq!(parse_stat("-1 320"), None);
        assert_eq!(parse_stat("99999999999999999999999 1"), None);
        assert_eq!(parse_list_one("+OK 3 1200"), Some(1200));
        assert_eq!(parse_list_one("3 1200 more"), Some(1200));
        assert_eq!(parse_list_one("3"), None);
        assert_eq!(parse_list_one("x 1200"), None);
    }

    #[test]
    fn commands() {
        assert_eq!(capa(), "CAPA\r\n");
        assert_eq!(stls(), "STLS\r\n");
        assert_eq!(user("joe@example.com"), "USER joe@example.com\r\n");
        assert_eq!(user("joe\r\nDELE 1"), "USER joeDELE 1\r\n");
        assert_eq!(stat(), "STAT\r\n");
        assert_eq!(quit(), "QUIT\r\n");
        assert_eq!(list_one(3), "LIST 3\r\n");
        assert_eq!(top(3, 0), "TOP 3 0\r\n");
        assert_eq!(retr(3), "RETR 3\r\n");
        assert_eq!(dele(3), "DELE 3\r\n");
        let p = pass("correct horse");
        assert_eq!(p.wire, b"PASS correct horse\r\n");
        assert_eq!(p.shown, "PASS <redacted>");
        let p = pass("a\r\nDELE 1");
        assert_eq!(p.wire, b"PASS aDELE 1\r\n");
        assert!(!line_safe("a\r\nDELE 1"));
        assert!(line_safe("pässword with spaces"));
        let a = auth_plain("joe", "hunter2");
        assert_eq!(a.wire, b"AUTH PLAIN AGpvZQBodW50ZXIy\r\n");
        assert_eq!(a.shown, "AUTH PLAIN <redacted>");
    }
}
