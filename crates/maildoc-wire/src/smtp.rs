//! SMTP (RFC 5321) replies, EHLO keywords (RFC 1869/5321), AUTH (RFC 4954) and commands.

use crate::line::printable;
use crate::secret::{Secret, b64, b64_decode, line_with, sasl_plain_b64};
use std::fmt;

/// Lines in one reply before the parser gives up.
pub const MAX_REPLY_LINES: usize = 200;

/// One complete SMTP reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    /// RFC 3463 enhanced status code (`5.7.1`) found right after the code on the first line.
    pub enhanced: Option<String>,
    /// The text of each line after `NNN-` / `NNN `, as received (enhanced codes included).
    pub lines: Vec<String>,
}

impl Reply {
    /// All lines joined by a space.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// Like [`Reply::text`], with the enhanced status code removed from the start of each
    /// line that repeats it: the words a person reads.
    pub fn message(&self) -> String {
        let mut parts: Vec<&str> = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            let rest = match &self.enhanced {
                Some(e) => match line.strip_prefix(e.as_str()) {
                    Some(r) if r.is_empty() || r.starts_with(' ') => r.trim_start(),
                    _ => line.as_str(),
                },
                None => line.as_str(),
            };
            if !rest.is_empty() {
                parts.push(rest);
            }
        }
        parts.join(" ")
    }

    /// 2xx and 3xx.
    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }

    /// 4xx.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// 5xx.
    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The first line as the server sent it (`250-mx.example Hello`, or `220 ready`).
    pub fn first_line(&self) -> String {
        let sep = if self.lines.len() > 1 { '-' } else { ' ' };
        match self.lines.first() {
            Some(t) if !t.is_empty() || sep == '-' => format!("{:03}{sep}{t}", self.code),
            _ => format!("{:03}", self.code),
        }
    }
}

impl fmt::Display for Reply {
    /// `535 5.7.8 Error: ...` with every line's text joined.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.code)?;
        let text = self.text();
        if !text.is_empty() {
            write!(f, " {text}")?;
        }
        Ok(())
    }
}

/// Why a reply line was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmtpError {
    /// Not `NNN`, `NNN text` or `NNN-text` (the line, made printable and cut).
    Malformed(String),
    /// A continuation line carried another code than the first line.
    CodeChanged { first: u16, then: u16 },
    /// More than [`MAX_REPLY_LINES`] lines in one reply.
    TooManyLines,
}

impl fmt::Display for SmtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SmtpError::Malformed(l) => write!(f, "malformed SMTP reply line: {l}"),
            SmtpError::CodeChanged { first, then } => {
                write!(
                    f,
                    "SMTP reply code changed from {first} to {then} within one reply"
                )
            }
            SmtpError::TooManyLines => {
                write!(f, "SMTP reply longer than {MAX_REPLY_LINES} lines")
            }
        }
    }
}

impl std::error::Error for SmtpError {}

/// Assembles reply lines (from [`crate::line::LineBuffer`]) into replies.
///
/// After an error the partial reply is dropped and the parser starts afresh; the connection
/// is usually not worth continuing.
#[derive(Clone, Debug, Default)]
pub struct ReplyParser {
    partial: Option<Reply>,
}

impl ReplyParser {
    /// Feeds one line (terminator stripped; a stray CR/LF is tolerated). `Ok(None)`: the
    /// reply goes on.
    pub fn push_line(&mut self, line: &str) -> Result<Option<Reply>, SmtpError> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (code, last, text) = match split_line(line) {
            Some(parts) => parts,
            None => {
                self.partial = None;
                return Err(SmtpError::Malformed(printable(line.as_bytes(), 200)));
            }
        };
        let mut reply = match self.partial.take() {
            None => Reply {
                code,
                enhanced: enhanced_code(text),
                lines: Vec::new(),
            },
            Some(r) if r.code != code => {
                return Err(SmtpError::CodeChanged {
                    first: r.code,
                    then: code,
                });
            }
            Some(r) => r,
        };
        if reply.lines.len() >= MAX_REPLY_LINES {
            return Err(SmtpError::TooManyLines);
        }
        reply.lines.push(text.to_owned());
        if last {
            Ok(Some(reply))
        } else {
            self.partial = Some(reply);
            Ok(None)
        }
    }

    /// Whether a multi-line reply is under way.
    pub fn in_reply(&self) -> bool {
        self.partial.is_some()
    }
}

/// `(code, is_last_line, text)`.
fn split_line(line: &str) -> Option<(u16, bool, &str)> {
    let b = line.as_bytes();
    // RFC 5321 §4.2: the first digit is 2 to 5, the second 0 to 5.
    if b.len() < 3
        || !(b'2'..=b'5').contains(&b[0])
        || !(b'0'..=b'5').contains(&b[1])
        || !b[2].is_ascii_digit()
    {
        return None;
    }
    let code = b[..3]
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    match b.get(3) {
        None => Some((code, true, "")),
        Some(b' ') => Some((code, true, &line[4..])),
        Some(b'-') => Some((code, false, &line[4..])),
        _ => None,
    }
}

/// An RFC 3463 code at the start of `text`: class 2/4/5, subject and detail of 1–3 digits,
/// followed by a space or the end.
fn enhanced_code(text: &str) -> Option<String> {
    let word = text.split(' ').next().unwrap_or("");
    let mut parts = word.split('.');
    let class = parts.next()?;
    let subject = parts.next()?;
    let detail = parts.next()?;
    if parts.next().is_some() || !matches!(class, "2" | "4" | "5") {
        return None;
    }
    let digits = |s: &str| (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if digits(subject) && digits(detail) {
        Some(word.to_owned())
    } else {
        None
    }
}

/// What the server said in its EHLO reply.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Ehlo {
    /// The first word of the first line: the name the server gives itself.
    pub domain: String,
    /// Each keyword line: the keyword upper-cased, its arguments as received.
    pub keywords: Vec<(String, Vec<String>)>,
}

impl Ehlo {
    pub fn from_reply(r: &Reply) -> Ehlo {
        let domain = r
            .lines
            .first()
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or("")
            .to_owned();
        let keywords = r
            .lines
            .iter()
            .skip(1)
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                let kw = words.next()?.to_ascii_uppercase();
                Some((kw, words.map(str::to_owned).collect()))
            })
            .collect();
        Ehlo { domain, keywords }
    }

    /// Whether a keyword was announced (case-insensitive).
    pub fn has(&self, kw: &str) -> bool {
        self.keywords
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(kw))
    }

    fn args(&self, kw: &str) -> Option<&[String]> {
        self.keywords
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(kw))
            .map(|(_, a)| a.as_slice())
    }

    /// The SIZE limit in octets (RFC 1870). `Some(0)` means the server announced `SIZE 0`:
    /// no fixed limit. `None`: no SIZE keyword, or SIZE without a (numeric) argument; use
    /// [`Ehlo::has`] to tell these apart.
    pub fn size(&self) -> Option<u64> {
        self.args("SIZE")?.first()?.parse().ok()
    }

    /// SASL mechanisms from `AUTH ...` and the old `AUTH=...` form, upper-cased, each once,
    /// in the order announced.
    pub fn auth_mechanisms(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |m: &str| {
            let m = m.to_ascii_uppercase();
            if !m.is_empty() && !out.contains(&m) {
                out.push(m);
            }
        };
        for (kw, args) in &self.keywords {
            if kw == "AUTH" {
                args.iter().for_each(|a| add(a));
            } else if let Some(first) = kw.strip_prefix("AUTH=") {
                add(first);
                args.iter().for_each(|a| add(a));
            }
        }
        out
    }

    pub fn starttls(&self) -> bool {
        self.has("STARTTLS")
    }

    /// Each keyword line as `KW ARGS`.
    pub fn items(&self) -> Vec<String> {
        self.keywords
            .iter()
            .map(|(k, a)| {
                if a.is_empty() {
                    k.clone()
                } else {
                    format!("{k} {}", a.join(" "))
                }
            })
            .collect()
    }
}

/// Removes what would end or split a command line (CR, LF, NUL) from an argument.
fn arg(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\r' | '\n' | '\0'))
        .collect()
}

/// `EHLO name\r\n`. CR, LF and NUL are removed from every argument of every command here.
pub fn ehlo(client_name: &str) -> String {
    format!("EHLO {}\r\n", arg(client_name))
}

/// `HELO name\r\n`.
pub fn helo(client_name: &str) -> String {
    format!("HELO {}\r\n", arg(client_name))
}

pub fn starttls() -> String {
    "STARTTLS\r\n".to_owned()
}

/// `MAIL FROM:<addr>\r\n` (an empty address gives the null reverse-path `<>`).
pub fn mail_from(addr: &str) -> String {
    format!("MAIL FROM:<{}>\r\n", arg(addr))
}

/// `RCPT TO:<addr>\r\n`.
pub fn rcpt_to(addr: &str) -> String {
    format!("RCPT TO:<{}>\r\n", arg(addr))
}

pub fn data() -> String {
    "DATA\r\n".to_owned()
}

pub fn rset() -> String {
    "RSET\r\n".to_owned()
}

pub fn noop() -> String {
    "NOOP\r\n".to_owned()
}

pub fn quit() -> String {
    "QUIT\r\n".to_owned()
}

/// `AUTH PLAIN <base64(\0user\0pass)>\r\n`, shown as `AUTH PLAIN <redacted>`.
pub fn auth_plain(user: &str, pass: &str) -> Secret {
    line_with("AUTH PLAIN ", &sasl_plain_b64(user, pass), "AUTH PLAIN ")
}

pub fn auth_login_start() -> String {
    "AUTH LOGIN\r\n".to_owned()
}

/// The base64 user name in answer to `334 VXNlcm5hbWU6` (a user name is not secret).
pub fn auth_login_user(user: &str) -> String {
    format!("{}\r\n", b64(user.as_bytes()))
}

/// The base64 password in answer to `334 UGFzc3dvcmQ6`, shown as `<redacted>`.
pub fn auth_login_pass(pass: &str) -> Secret {
    line_with("", &b64(pass.as_bytes()), "")
}

/// `*\r\n`: cancels an AUTH exchange (RFC 4954).
pub fn auth_cancel() -> String {
    "*\r\n".to_owned()
}

/// The decoded challenge of a `334` reply (`Username:`), made printable for the transcript
/// (control characters escaped, at most 256 characters). `None` when the reply is not a 334
/// or its text is not base64.
pub fn decode_334(reply: &Reply) -> Option<String> {
    if reply.code != 334 {
        return None;
    }
    let text = reply.lines.first().map(String::as_str).unwrap_or("");
    let bytes = b64_decode(text)?;
    Some(printable(&bytes, 256))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn parse(lines: &[&str]) -> Reply {
        let mut p = ReplyParser::default();
        for (i, l) in lines.iter().enumerate() {
            match p.push_line(l).unwrap() {
                Some(r) => {
                    assert_eq!(i, lines.len() - 1, "reply ended early");
                    assert!(!p.in_reply());
                    return r;
                }
                None => assert!(p.in_reply()),
            }
        }
        panic!("reply did not end");
    }

    #[test]
    fn postfix_ehlo() {
        let r = parse(&[
            "250-mail.example.org",
            "250-PIPELINING",
            "250-SIZE 10240000",
            "250-VRFY",
            "250-ETRN",
            "250-STARTTLS",
            "250-ENHANCEDSTATUSCODES",
            "250-8BITMIME",
            "250-DSN",
            "250-SMTPUTF8",
            "250 CHUNKING",
        ]);
        assert_eq!(r.code, 250);
        assert_eq!(r.enhanced, None);
        assert_eq!(r.first_line(), "250-mail.example.org");
        let e = Ehlo::from_reply(&r);
        assert_eq!(e.domain, "mail.example.org");
        assert!(e.starttls());
        assert!(e.has("pipelining"));
        assert_eq!(e.size(), Some(10_240_000));
        assert!(e.auth_mechanisms().is_empty());
        assert_eq!(e.items().len(), 10);
        assert_eq!(e.items()[1], "SIZE 10240000");
    }

    #[test]
    fn gmail_ehlo_after_tls() {
        let r = parse(&[
            "250-smtp.gmail.com at your service, [203.0.113.9]",
            "250-SIZE 35882577",
            "250-8BITMIME",
            "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
            "250-ENHANCEDSTATUSCODES",
            "250-PIPELINING",
            "250-CHUNKING",
            "250 SMTPUTF8",
        ]);
        let e = Ehlo::from_reply(&r);
        assert_eq!(e.domain, "smtp.gmail.com");
        assert!(!e.starttls());
        assert_eq!(
            e.auth_mechanisms(),
            [
                "LOGIN",
                "PLAIN",
                "XOAUTH2",
                "PLAIN-CLIENTTOKEN",
                "OAUTHBEARER",
                "XOAUTH"
            ]
        );
    }

    #[test]
    fn exchange_ehlo_old_auth_form_and_size_zero() {
        let r = parse(&[
            "250-EX01.corp.example.com Hello [198.51.100.7]",
            "250-SIZE",
            "250-PIPELINING",
            "250-DSN",
            "250-ENHANCEDSTATUSCODES",
            "250-AUTH NTLM LOGIN",
            "250-auth=login",
            "250-X-EXPS GSSAPI NTLM",
            "250-8BITMIME",
            "250-BINARYMIME",
            "250-CHUNKING",
            "250 XRDST",
        ]);
        let e = Ehlo::from_reply(&r);
        assert!(e.has("SIZE"));
        assert_eq!(e.size(), None);
        assert_eq!(e.auth_mechanisms(), ["NTLM", "LOGIN"]);
        assert!(e.items().contains(&"AUTH=LOGIN".to_owned()));
        let r = parse(&["250-x", "250 SIZE 0"]);
        assert_eq!(Ehlo::from_reply(&r).size(), Some(0));
    }

    #[test]
    fn auth_failures() {
        let r = parse(&["535 5.7.8 Error: authentication failed: authentication failure"]);
        assert_eq!(r.code, 535);
        assert_eq!(r.enhanced.as_deref(), Some("5.7.8"));
        assert!(r.is_permanent() && !r.is_transient() && !r.is_positive());
        assert_eq!(
            r.first_line(),
            "535 5.7.8 Error: authentication failed: authentication failure"
        );
        assert_eq!(
            r.message(),
            "Error: authentication failed: authentication failure"
        );

        let r = parse(&[
            "534-5.7.9 Application-specific password required. Learn more at",
            "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor d2sm1 - gsmtp",
        ]);
        assert_eq!(r.code, 534);
        assert_eq!(r.enhanced.as_deref(), Some("5.7.9"));
        assert_eq!(r.lines.len(), 2);
        assert!(
            r.text()
                .starts_with("5.7.9 Application-specific password required.")
        );
        assert_eq!(
            r.message(),
            "Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor d2sm1 - gsmtp"
        );
        assert_eq!(
            r.first_line(),
            "534-5.7.9 Application-specific password required. Learn more at"
        );

        let r = parse(&["554 5.7.1 <x@example.com>: Relay access denied"]);
        assert_eq!(r.enhanced.as_deref(), Some("5.7.1"));
        assert_eq!(r.message(), "<x@example.com>: Relay access denied");
        assert_eq!(
            r.to_string(),
            "554 5.7.1 <x@example.com>: Relay access denied"
        );

        let r = parse(&["421 4.7.0 Try again later, closing connection."]);
        assert!(r.is_transient());
        let r = parse(&["220 2.0.0 Ready to start TLS"]);
        assert!(r.is_positive());
        assert_eq!(r.enhanced.as_deref(), Some("2.0.0"));
    }

    #[test]
    fn odd_but_valid_lines() {
        let r = parse(&["250"]);
        assert_eq!(r.lines, [""]);
        assert_eq!(r.first_line(), "250");
        let r = parse(&["250-", "250 ok"]);
        assert_eq!(r.first_line(), "250-");
        let r = parse(&["250 5.1.1.1 not enhanced"]);
        assert_eq!(r.enhanced, None);
        let r = parse(&["550 5.1.1234 no"]);
        assert_eq!(r.enhanced, None);
        let r = parse(&["550 3.1.1 class 3 does not exist"]);
        assert_eq!(r.enhanced, None);
        let r = parse(&["354 End data with <CR><LF>.<CR><LF>\r"]);
        assert_eq!(r.lines, ["End data with <CR><LF>.<CR><LF>"]);
    }

    #[test]
    fn errors() {
        let mut p = ReplyParser::default();
        assert!(matches!(p.push_line("hello"), Err(SmtpError::Malformed(_))));
        assert!(matches!(p.push_line("25"), Err(SmtpError::Malformed(_))));
        assert!(matches!(p.push_line("250x"), Err(SmtpError::Malformed(_))));
        // Codes outside RFC 5321's digits.
        for line in ["999 what", "199 early", "600 late", "260 odd"] {
            assert!(
                matches!(p.push_line(line), Err(SmtpError::Malformed(_))),
                "{line}"
            );
        }
        assert!(matches!(
            p.push_line("２５０ ok"),
            Err(SmtpError::Malformed(_))
        ));
        assert_eq!(p.push_line("250-a"), Ok(None));
        assert_eq!(
            p.push_line("550 b"),
            Err(SmtpError::CodeChanged {
                first: 250,
                then: 550
            })
        );
        assert!(!p.in_reply());
        for _ in 0..MAX_REPLY_LINES {
            assert_eq!(p.push_line("250-x"), Ok(None));
        }
        assert_eq!(p.push_line("250 x"), Err(SmtpError::TooManyLines));
        assert!(!p.in_reply());
        // Usable again afterwards.
        assert!(p.push_line("250 ok").unwrap().is_some());
        let e = p.push_line("\x1b[2J").unwrap_err();
        assert_eq!(e, SmtpError::Malformed("\\x1b[2J".to_owned()));
    }

    #[test]
    fn commands() {
        assert_eq!(ehlo("maildoc.invalid"), "EHLO maildoc.invalid\r\n");
        assert_eq!(ehlo("evil\r\nRSET"), "EHLO evilRSET\r\n");
        assert_eq!(helo("x"), "HELO x\r\n");
        assert_eq!(starttls(), "STARTTLS\r\n");
        assert_eq!(mail_from("a@example.com"), "MAIL FROM:<a@example.com>\r\n");
        assert_eq!(mail_from(""), "MAIL FROM:<>\r\n");
        assert_eq!(rcpt_to("b@example.com"), "RCPT TO:<b@example.com>\r\n");
        assert_eq!(rset(), "RSET\r\n");
        assert_eq!(quit(), "QUIT\r\n");
        assert_eq!(auth_login_start(), "AUTH LOGIN\r\n");
        assert_eq!(
            auth_login_user("joe@example.com"),
            "am9lQGV4YW1wbGUuY29t\r\n"
        );
    }

    #[test]
    fn auth_secrets() {
        let s = auth_plain("joe@example.com", "s3cr3t pass");
        assert_eq!(
            s.wire,
            b"AUTH PLAIN AGpvZUBleGFtcGxlLmNvbQBzM2NyM3QgcGFzcw==\r\n"
        );
        assert_eq!(s.shown, "AUTH PLAIN <redacted>");
        let s = auth_login_pass("s3cr3t pass");
        assert_eq!(s.wire, b"czNjcjN0IHBhc3M=\r\n");
        assert_eq!(s.shown, "<redacted>");
        assert!(!format!("{s:?}").contains("czNjcjN0"));
    }

    #[test]
    fn challenges() {
        let r = parse(&["334 VXNlcm5hbWU6"]);
        assert_eq!(decode_334(&r).as_deref(), Some("Username:"));
        let r = parse(&["334 UGFzc3dvcmQ6"]);
        assert_eq!(decode_334(&r).as_deref(), Some("Password:"));
        let r = parse(&["334 "]);
        assert_eq!(decode_334(&r).as_deref(), Some(""));
        let r = parse(&["334 AAEC"]);
        assert_eq!(decode_334(&r).as_deref(), Some("\\x00\\x01\\x02"));
        let r = parse(&["334 not base64!"]);
        assert_eq!(decode_334(&r), None);
        let r = parse(&["235 2.7.0 Authentication successful"]);
        assert_eq!(decode_334(&r), None);
    }
}
