//! IMAP (RFC 3501/9051) responses, literals, response codes (RFC 5530), CAPABILITY, QUOTA
//! (RFC 9208), STATUS, SASL-IR (RFC 4959) and commands.

use crate::line::{LineBuffer, LineError, printable};
use crate::secret::{REDACTED, Secret, line_with, sasl_plain_b64, shown_user};
use std::fmt;

/// Literals accepted in one response; more is taken as hostile.
pub const MAX_LITERALS: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImapStatus {
    Ok,
    No,
    Bad,
    Bye,
    Preauth,
}

impl ImapStatus {
    fn from_word(w: &str) -> Option<ImapStatus> {
        let s = match w.to_ascii_uppercase().as_str() {
            "OK" => ImapStatus::Ok,
            "NO" => ImapStatus::No,
            "BAD" => ImapStatus::Bad,
            "BYE" => ImapStatus::Bye,
            "PREAUTH" => ImapStatus::Preauth,
            _ => return None,
        };
        Some(s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImapStatus::Ok => "OK",
            ImapStatus::No => "NO",
            ImapStatus::Bad => "BAD",
            ImapStatus::Bye => "BYE",
            ImapStatus::Preauth => "PREAUTH",
        }
    }
}

/// A bracketed response code: `[AUTHENTICATIONFAILED]`, `[CAPABILITY IMAP4rev1 ...]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RespCode {
    /// Upper-cased: AUTHENTICATIONFAILED, ALERT, CAPABILITY, UNAVAILABLE, OVERQUOTA, LIMIT,
    /// INUSE, PRIVACYREQUIRED, CONTACTADMIN, EXPIRED, ...
    pub name: String,
    /// What follows the name inside the brackets (empty when nothing does).
    pub args: String,
}

/// One server response, literals included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// `tag OK/NO/BAD ...` or untagged `* OK/NO/BAD/BYE/PREAUTH ...`.
    Status {
        /// `None` for an untagged (`*`) response.
        tag: Option<String>,
        status: ImapStatus,
        code: Option<RespCode>,
        text: String,
    },
    /// Untagged data: `* CAPABILITY ...`, `* QUOTA ...`, `* 3 EXISTS`.
    Data {
        /// Upper-cased: CAPABILITY, QUOTA, QUOTAROOT, STATUS, LIST, EXISTS, FETCH, ...
        name: String,
        /// The rest of the response, literals inlined as quoted strings. For message data
        /// (`* 3 EXISTS`, `* 5 FETCH (...)`) the number comes first: `3`, `5 (...)`.
        text: String,
    },
    /// `+ text`.
    Continuation { text: String },
}

impl Response {
    /// The tag of a tagged status response.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Response::Status { tag: Some(t), .. } => Some(t),
            _ => None,
        }
    }
}

/// Why a response could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImapError {
    /// Not an IMAP response (the line, made printable and cut), or too many literals.
    Malformed(String),
    /// A literal larger than the reader accepts (`usize::MAX` when the size does not even
    /// fit), or literals adding up to more than that in one response.
    LiteralTooLarge(usize),
    Line(LineError),
}

impl fmt::Display for ImapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImapError::Malformed(l) => write!(f, "malformed IMAP response: {l}"),
            ImapError::LiteralTooLarge(n) => write!(f, "IMAP literal too large ({n} bytes)"),
            ImapError::Line(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ImapError {}

impl From<LineError> for ImapError {
    fn from(e: LineError) -> Self {
        ImapError::Line(e)
    }
}

/// Reads responses from a [`LineBuffer`], taking the bytes of literals (`{n}`, `{n+}`,
/// `~{n}`) in untagged data responses and inlining them as quoted strings.
///
/// Bounded: the literals of one response may add up to `max_literal` bytes, and there may be
/// at most [`MAX_LITERALS`] of them. After an error the reader starts afresh, but the stream
/// is out of step: end the session.
#[derive(Clone, Debug)]
pub struct ResponseReader {
    max_literal: usize,
    acc: String,
    pending: Option<usize>,
    in_response: bool,
    literals_allowed: bool,
    literals: usize,
    literal_total: usize,
}

impl ResponseReader {
    pub fn new(max_literal: usize) -> Self {
        ResponseReader {
            max_literal,
            acc: String::new(),
            pending: None,
            in_response: false,
            literals_allowed: false,
            literals: 0,
            literal_total: 0,
        }
    }

    /// The next complete response, or `Ok(None)` while more bytes are needed. Blank lines
    /// between responses are skipped.
    pub fn next(&mut self, buf: &mut LineBuffer) -> Result<Option<Response>, ImapError> {
        loop {
            if let Some(n) = self.pending {
                let Some(bytes) = buf.take_exact(n) else {
                    return Ok(None);
                };
                self.pending = None;
                push_quoted(&mut self.acc, &String::from_utf8_lossy(&bytes));
            }
            let line = match buf.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => return Ok(None),
                Err(e) => {
                    self.reset();
                    return Err(ImapError::Line(e));
                }
            };
            if !self.in_response {
                if line.trim().is_empty() {
                    continue;
                }
                self.in_response = true;
                self.literals_allowed = is_untagged_data(&line);
            }
            if self.literals_allowed
                && let Some((size, prefix_end)) = literal_suffix(&line)
            {
                let room = self.max_literal.saturating_sub(self.literal_total);
                let n = match size {
                    Some(n) if n <= room => n,
                    Some(n) => {
                        self.reset();
                        return Err(ImapError::LiteralTooLarge(n));
                    }
                    None => {
                        self.reset();
                        return Err(ImapError::LiteralTooLarge(usize::MAX));
                    }
                };
                if self.literals >= MAX_LITERALS {
                    self.reset();
                    return Err(ImapError::Malformed(format!(
                        "more than {MAX_LITERALS} literals in one response"
                    )));
                }
                self.literals += 1;
                self.literal_total += n;
                self.acc.push_str(&line[..prefix_end]);
                self.pending = Some(n);
                continue;
            }
            self.acc.push_str(&line);
            let full = std::mem::take(&mut self.acc);
            self.reset();
            return parse_response(&full).map(Some);
        }
    }

    /// Whether a response is partly read.
    pub fn in_response(&self) -> bool {
        self.in_response
    }

    fn reset(&mut self) {
        self.acc.clear();
        self.pending = None;
        self.in_response = false;
        self.literals_allowed = false;
        self.literals = 0;
        self.literal_total = 0;
    }
}

/// `* NAME ...` where NAME is not a status word: the only responses that carry literals.
fn is_untagged_data(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("* ") else {
        return false;
    };
    let word = rest.split(' ').next().unwrap_or("");
    ImapStatus::from_word(word).is_none()
}

/// A literal announcement ending the line: `(Some(size) | None if it does not fit, where the
/// text before it ends)`.
fn literal_suffix(line: &str) -> Option<(Option<usize>, usize)> {
    let body = line.strip_suffix('}')?;
    let open = body.rfind('{')?;
    let inner = &body[open + 1..];
    let digits = inner
        .strip_suffix('+')
        .or_else(|| inner.strip_suffix('-'))
        .unwrap_or(inner);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut prefix_end = open;
    if line[..prefix_end].ends_with('~') {
        prefix_end -= 1;
    }
    match line[..prefix_end].chars().next_back() {
        None | Some(' ' | '(') => {}
        _ => return None,
    }
    Some((digits.parse().ok(), prefix_end))
}

fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn malformed(line: &str) -> ImapError {
    ImapError::Malformed(printable(line.as_bytes(), 200))
}

/// Parses one logical response line (literals already inlined).
pub fn parse_response(line: &str) -> Result<Response, ImapError> {
    if let Some(rest) = line.strip_prefix('+') {
        let text = rest.strip_prefix(' ').unwrap_or(rest);
        return Ok(Response::Continuation {
            text: text.to_owned(),
        });
    }
    let (tag, rest) = line.split_once(' ').ok_or_else(|| malformed(line))?;
    if tag.is_empty() {
        return Err(malformed(line));
    }
    let (word, after) = rest.split_once(' ').unwrap_or((rest, ""));
    if let Some(status) = ImapStatus::from_word(word) {
        let (code, text) = split_code(after);
        return Ok(Response::Status {
            tag: (tag != "*").then(|| tag.to_owned()),
            status,
            code,
            text: text.to_owned(),
        });
    }
    if tag != "*" || word.is_empty() {
        return Err(malformed(line));
    }
    if word.bytes().all(|b| b.is_ascii_digit()) {
        let (name, more) = after.split_once(' ').unwrap_or((after, ""));
        if name.is_empty() {
            return Err(malformed(line));
        }
        let text = if more.is_empty() {
            word.to_owned()
        } else {
            format!("{word} {more}")
        };
        return Ok(Response::Data {
            name: name.to_ascii_uppercase(),
            text,
        });
    }
    Ok(Response::Data {
        name: word.to_ascii_uppercase(),
        text: after.to_owned(),
    })
}

fn split_code(text: &str) -> (Option<RespCode>, &str) {
    let Some(inner) = text.strip_prefix('[') else {
        return (None, text);
    };
    let Some(end) = inner.find(']') else {
        return (None, text);
    };
    let content = &inner[..end];
    let (name, args) = content.split_once(' ').unwrap_or((content, ""));
    if name.is_empty() {
        return (None, text);
    }
    let code = RespCode {
        name: name.to_ascii_uppercase(),
        args: args.trim().to_owned(),
    };
    (Some(code), inner[end + 1..].trim_start())
}

/// Capability atoms, upper-cased, each once: `IMAP4rev1 STARTTLS AUTH=PLAIN` →
/// `["IMAP4REV1", "STARTTLS", "AUTH=PLAIN"]`.
pub fn parse_capabilities(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in text.split_whitespace() {
        let w = w.to_ascii_uppercase();
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// The SASL mechanisms among capabilities (`AUTH=PLAIN` → `PLAIN`).
pub fn auth_mechanisms(caps: &[String]) -> Vec<String> {
    caps.iter()
        .filter_map(|c| {
            let head = c.get(..5)?;
            if head.eq_ignore_ascii_case("AUTH=") {
                c.get(5..).map(str::to_ascii_uppercase)
            } else {
                None
            }
        })
        .filter(|m| !m.is_empty())
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Atom(String),
    Quoted(String),
    Open,
    Close,
}

impl Tok {
    /// An atom or a string, as a value.
    fn astring(&self) -> Option<&str> {
        match self {
            Tok::Atom(a) => Some(a),
            Tok::Quoted(q) => Some(q),
            _ => None,
        }
    }

    fn number(&self) -> Option<u64> {
        match self {
            Tok::Atom(a) => a.parse().ok(),
            _ => None,
        }
    }
}

/// Splits response text into atoms, quoted strings and parentheses. `None` on an
/// unterminated string.
fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {}
            '(' => out.push(Tok::Open),
            ')' => out.push(Tok::Close),
            '"' => {
                let mut v = String::new();
                loop {
                    match chars.next()? {
                        '\\' => v.push(chars.next()?),
                        '"' => break,
                        ch => v.push(ch),
                    }
                }
                out.push(Tok::Quoted(v));
            }
            _ => {
                let mut v = String::from(c);
                while let Some(&n) = chars.peek() {
                    if matches!(n, ' ' | '\t' | '(' | ')' | '"') {
                        break;
                    }
                    v.push(n);
                    chars.next();
                }
                out.push(Tok::Atom(v));
            }
        }
    }
    Some(out)
}

/// One quota root and its resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quota {
    pub root: String,
    /// `(name, usage, limit)`: STORAGE in KiB, MESSAGE in messages, ...
    pub resources: Vec<(String, u64, u64)>,
}

/// The text of a QUOTA response: `"User quota" (STORAGE 10 512 MESSAGE 2 1000)`. The root may
/// be an atom, a quoted string or `""` (a missing root is taken as `""`).
pub fn parse_quota(text: &str) -> Option<Quota> {
    let toks = tokenize(text)?;
    let mut i = 0;
    let root = match toks.first()? {
        Tok::Open => String::new(),
        t => {
            i += 1;
            t.astring()?.to_owned()
        }
    };
    if toks.get(i)? != &Tok::Open {
        return None;
    }
    i += 1;
    let mut resources = Vec::new();
    loop {
        match toks.get(i)? {
            Tok::Close => break,
            Tok::Atom(name) => {
                let usage = toks.get(i + 1)?.number()?;
                let limit = toks.get(i + 2)?.number()?;
                resources.push((name.to_ascii_uppercase(), usage, limit));
                i += 3;
            }
            _ => return None,
        }
    }
    Some(Quota { root, resources })
}

/// The text of a QUOTAROOT response: `INBOX "User quota"` → `("INBOX", ["User quota"])`.
pub fn parse_quotaroot(text: &str) -> Option<(String, Vec<String>)> {
    let toks = tokenize(text)?;
    let (first, rest) = toks.split_first()?;
    let mailbox = first.astring()?.to_owned();
    let roots = rest
        .iter()
        .map(|t| t.astring().map(str::to_owned))
        .collect::<Option<Vec<_>>>()?;
    Some((mailbox, roots))
}

/// The text of a STATUS response: `INBOX (MESSAGES 3 UNSEEN 1)` →
/// `("INBOX", [("MESSAGES", 3), ("UNSEEN", 1)])`; item names upper-cased.
pub fn parse_status_data(text: &str) -> Option<(String, Vec<(String, u64)>)> {
    let toks = tokenize(text)?;
    let mailbox = toks.first()?.astring()?.to_owned();
    if toks.get(1)? != &Tok::Open {
        return None;
    }
    let mut i = 2;
    let mut items = Vec::new();
    loop {
        match toks.get(i)? {
            Tok::Close => break,
            Tok::Atom(name) => {
                let n = toks.get(i + 1)?.number()?;
                items.push((name.to_ascii_uppercase(), n));
                i += 2;
            }
            _ => return None,
        }
    }
    Some((mailbox, items))
}

/// A LIST response's text: `(\HasNoChildren \Junk) "/" "INBOX/Junk"` → the flags
/// (upper-cased) and the mailbox name as sent (modified UTF-7, see [`decode_mailbox_name`]).
pub fn parse_list(text: &str) -> Option<(Vec<String>, String)> {
    let toks = tokenize(text)?;
    if toks.first()? != &Tok::Open {
        return None;
    }
    let close = toks.iter().position(|t| *t == Tok::Close)?;
    let flags = toks[1..close]
        .iter()
        .filter_map(|t| t.astring().map(|f| f.to_ascii_uppercase()))
        .collect();
    // The delimiter (a string or NIL), then the name.
    let name = toks.get(close + 2)?.astring()?.to_owned();
    Some((flags, name))
}

/// A SEARCH response's text: the numbers found (`4 17 23`).
pub fn parse_search(text: &str) -> Vec<u64> {
    text.split_whitespace()
        .map_while(|w| w.parse().ok())
        .collect()
}

/// What a FETCH response carries of the items maildoc asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fetched {
    pub uid: Option<u64>,
    /// `07-Dec-2026 03:00:00 +0000`.
    pub internaldate: Option<String>,
    /// `BODY[HEADER]` or `BODY[]`: the header block, or the whole message.
    pub header: Option<String>,
    /// `RFC822.SIZE`.
    pub size: Option<u64>,
}

/// A FETCH response's text: `12 (UID 40 INTERNALDATE "..." BODY[HEADER] "...")` (literals
/// arrive inlined as quoted strings).
pub fn parse_fetch(text: &str) -> Option<Fetched> {
    let (_, rest) = text.split_once(' ')?;
    let toks = tokenize(rest)?;
    let mut f = Fetched::default();
    let mut i = 0;
    while i < toks.len() {
        if let Tok::Atom(name) = &toks[i] {
            let upper = name.to_ascii_uppercase();
            let value = toks.get(i + 1);
            match upper.as_str() {
                "UID" => f.uid = value.and_then(Tok::number),
                "INTERNALDATE" => {
                    f.internaldate = value.and_then(|v| v.astring()).map(str::to_owned)
                }
                "RFC822.SIZE" => f.size = value.and_then(Tok::number),
                "BODY[HEADER]" | "RFC822.HEADER" | "BODY[]" | "RFC822" => {
                    f.header = value.and_then(|v| v.astring()).map(str::to_owned);
                }
                _ => {}
            }
        }
        i += 1;
    }
    Some(f)
}

/// A mailbox name as sent (IMAP's modified UTF-7, RFC 3501 §5.1.3: `&MPMwwTDrMMgw1A-`) in
/// readable text (`迷惑メール`); a name that is not valid modified UTF-7 stays as it is.
pub fn decode_mailbox_name(name: &str) -> String {
    use base64::Engine as _;
    let mut out = String::new();
    let mut rest = name;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('-') else {
            return name.to_owned();
        };
        let encoded = &after[..end];
        if encoded.is_empty() {
            out.push('&');
        } else {
            let b64 = encoded.replace(',', "/");
            let Ok(bytes) = base64::engine::general_purpose::STANDARD_NO_PAD.decode(b64) else {
                return name.to_owned();
            };
            if bytes.len() % 2 != 0 {
                return name.to_owned();
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            match String::from_utf16(&units) {
                Ok(text) => out.push_str(&text),
                Err(_) => return name.to_owned(),
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `tag LIST "" "*"\r\n`: every mailbox.
pub fn list_all(tag: &str) -> String {
    format!("{} LIST \"\" \"*\"\r\n", arg(tag))
}

/// `tag EXAMINE mailbox\r\n` (read-only) or `tag SELECT mailbox\r\n`.
pub fn select(tag: &str, mailbox: &str, read_only: bool) -> String {
    let verb = if read_only { "EXAMINE" } else { "SELECT" };
    format!("{} {verb} {}\r\n", arg(tag), astring(mailbox))
}

/// `tag UID SEARCH HEADER Message-ID "<id>"\r\n`.
pub fn uid_search_message_id(tag: &str, message_id: &str) -> String {
    format!(
        "{} UID SEARCH HEADER Message-ID {}\r\n",
        arg(tag),
        quoted(message_id)
    )
}

/// `tag UID FETCH uid (UID INTERNALDATE RFC822.SIZE)\r\n`.
pub fn uid_fetch_size(tag: &str, uid: u64) -> String {
    format!(
        "{} UID FETCH {uid} (UID INTERNALDATE RFC822.SIZE)\r\n",
        arg(tag)
    )
}

/// `tag UID FETCH uid (BODY.PEEK[])\r\n`, or only the header (`BODY.PEEK[HEADER]`).
pub fn uid_fetch_message(tag: &str, uid: u64, whole: bool) -> String {
    let part = if whole { "" } else { "HEADER" };
    format!("{} UID FETCH {uid} (UID BODY.PEEK[{part}])\r\n", arg(tag))
}

/// `tag UID STORE uid +FLAGS.SILENT (\Deleted)\r\n`.
pub fn uid_store_deleted(tag: &str, uid: u64) -> String {
    format!("{} UID STORE {uid} +FLAGS.SILENT (\\Deleted)\r\n", arg(tag))
}

/// `tag UID EXPUNGE uid\r\n` (UIDPLUS): removes only that message.
pub fn uid_expunge(tag: &str, uid: u64) -> String {
    format!("{} UID EXPUNGE {uid}\r\n", arg(tag))
}

/// Command tags `a1`, `a2`, ...
#[derive(Clone, Debug, Default)]
pub struct Tagger {
    n: u64,
}

impl Tagger {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> String {
        self.n = self.n.wrapping_add(1);
        format!("a{}", self.n)
    }
}

/// Removes what would end or split a command line (CR, LF, NUL).
fn arg(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\r' | '\n' | '\0'))
        .collect()
}

/// A quoted string with `\` and `"` escaped (CR, LF and NUL removed: they cannot be quoted).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_quoted(&mut out, &arg(s));
    out
}

/// An astring: the atom itself when it is one, else a quoted string.
fn astring(s: &str) -> String {
    let atom = !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
        });
    if atom { s.to_owned() } else { quoted(s) }
}

pub fn capability(tag: &str) -> String {
    format!("{} CAPABILITY\r\n", arg(tag))
}

pub fn starttls(tag: &str) -> String {
    format!("{} STARTTLS\r\n", arg(tag))
}

pub fn noop(tag: &str) -> String {
    format!("{} NOOP\r\n", arg(tag))
}

pub fn logout(tag: &str) -> String {
    format!("{} LOGOUT\r\n", arg(tag))
}

/// Whether LOGIN with quoted strings cannot carry these credentials as they are: CR, LF or
/// NUL (never quotable) or 8-bit characters (not allowed in IMAP4rev1 quoted strings). Then
/// the session should use [`authenticate_plain`], which carries any UTF-8.
pub fn login_needs_literal(user: &str, pass: &str) -> bool {
    let bad = |s: &str| {
        s.bytes()
            .any(|b| matches!(b, b'\r' | b'\n' | 0) || !b.is_ascii())
    };
    bad(user) || bad(pass)
}

/// `tag LOGIN "user" "pass"\r\n` (`\` and `"` escaped), shown as `tag LOGIN "user" <redacted>`.
///
/// CR, LF and NUL are removed from both (so nothing can be injected; the login then fails);
/// 8-bit characters are sent as UTF-8, which most servers accept. See
/// [`login_needs_literal`].
pub fn login(tag: &str, user: &str, pass: &str) -> Secret {
    let tag = arg(tag);
    let user_q = quoted(user);
    let shown = match shown_user(user, pass) {
        REDACTED => REDACTED.to_owned(),
        _ => user_q.clone(),
    };
    let prefix = format!("{tag} LOGIN {user_q} ");
    line_with(&prefix, &quoted(pass), &format!("{tag} LOGIN {shown} "))
}

/// AUTHENTICATE PLAIN (RFC 4616) with an empty authorization identity.
///
/// Returns what to send first and then the secret to send:
/// * `sasl_ir` (the server announced SASL-IR, RFC 4959): `("", Some(secret))` where the
///   secret is the whole command `tag AUTHENTICATE PLAIN <base64>\r\n`, shown as
///   `tag AUTHENTICATE PLAIN <redacted>`: send it at once;
/// * otherwise: `("tag AUTHENTICATE PLAIN\r\n", Some(secret))`: send the first, wait for the
///   `+` continuation, then send the secret (`<base64>\r\n`, shown as `<redacted>`).
///
/// The secret is always present; a session can handle both cases alike: send the first
/// string when it is not empty and await `+`, then send the secret.
pub fn authenticate_plain(
    tag: &str,
    user: &str,
    pass: &str,
    sasl_ir: bool,
) -> (String, Option<Secret>) {
    let tag = arg(tag);
    let b64 = sasl_plain_b64(user, pass);
    if sasl_ir {
        let prefix = format!("{tag} AUTHENTICATE PLAIN ");
        (String::new(), Some(line_with(&prefix, &b64, &prefix)))
    } else {
        (
            format!("{tag} AUTHENTICATE PLAIN\r\n"),
            Some(line_with("", &b64, "")),
        )
    }
}

/// `*\r\n`: cancels an AUTHENTICATE exchange.
pub fn authenticate_cancel() -> String {
    "*\r\n".to_owned()
}

/// `tag GETQUOTAROOT mailbox\r\n`.
pub fn getquotaroot(tag: &str, mailbox: &str) -> String {
    format!("{} GETQUOTAROOT {}\r\n", arg(tag), astring(mailbox))
}

/// `tag STATUS mailbox (ITEM ...)\r\n`; items are reduced to their letters, digits and `-`.
pub fn status(tag: &str, mailbox: &str, items: &[&str]) -> String {
    let items: Vec<String> = items
        .iter()
        .map(|i| {
            i.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        })
        .filter(|i| !i.is_empty())
        .collect();
    format!(
        "{} STATUS {} ({})\r\n",
        arg(tag),
        astring(mailbox),
        items.join(" ")
    )
}

#[cfg(test)]
mod tests {

    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn list_search_fetch_and_mailbox_names() {
        let (flags, name) = super::parse_list(r#"(\HasNoChildren \Junk) "/" "&j,dg0TDhMPww6w-""#)
            .unwrap_or_default();
        assert_eq!(flags, ["\\HASNOCHILDREN", "\\JUNK"]);
        assert_eq!(super::decode_mailbox_name(&name), "迷惑メール");
        assert_eq!(super::decode_mailbox_name("INBOX.A&-B"), "INBOX.A&B");
        assert_eq!(super::decode_mailbox_name("bad&%%%-"), "bad&%%%-");
        let (_, nil) = super::parse_list(r#"(\Noselect) NIL Public"#).unwrap_or_default();
        assert_eq!(nil, "Public");
        assert_eq!(super::parse_search("4 17 23"), [4, 17, 23]);
        assert!(super::parse_search("").is_empty());
        let size = super::parse_fetch("12 (UID 40 RFC822.SIZE 2048)").unwrap_or_default();
        assert_eq!(size.size, Some(2048));
        let f = super::parse_fetch("12 (UID 40 INTERNALDATE \"07-Dec-2026 03:00:00 +0000\" BODY[HEADER] \"Subject: x\r\n\r\n\")")
            .unwrap_or_default();
        assert_eq!(f.uid, Some(40));
        assert_eq!(
            f.internaldate.as_deref(),
            Some("07-Dec-2026 03:00:00 +0000")
        );
        assert_eq!(f.header.as_deref(), Some("Subject: x\r\n\r\n"));
        assert_eq!(
            super::uid_search_message_id("a3", "<x\"y@z>"),
            "a3 UID SEARCH HEADER Message-ID \"<x\\\"y@z>\"\r\n"
        );
    }

    fn read_all(input: &[u8]) -> Vec<Response> {
        let mut buf = LineBuffer::new(8192);
        let mut r = ResponseReader::new(1 << 20);
        buf.push(input);
        let mut out = Vec::new();
        while let Some(resp) = r.next(&mut buf).unwrap() {
            out.push(resp);
        }
        assert!(!r.in_response(), "left mid-response");
        out
    }

    fn one(line: &str) -> Response {
        let mut v = read_all(format!("{line}\r\n").as_bytes());
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    #[test]
    fn dovecot_greeting_and_login_failure() {
        let r = one(
            "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Dovecot (Debian) ready.",
        );
        let Response::Status {
            tag,
            status,
            code,
            text,
        } = r
        else {
            panic!("not a status: {r:?}");
        };
        assert_eq!(tag, None);
        assert_eq!(status, ImapStatus::Ok);
        assert_eq!(text, "Dovecot (Debian) ready.");
        let code = code.unwrap();
        assert_eq!(code.name, "CAPABILITY");
        let caps = parse_capabilities(&code.args);
        assert_eq!(caps[0], "IMAP4REV1");
        assert!(caps.contains(&"LOGINDISABLED".to_owned()));
        assert!(caps.contains(&"LITERAL+".to_owned()));
        assert!(auth_mechanisms(&caps).is_empty());

        let r = one("a1 NO [AUTHENTICATIONFAILED] Authentication failed.");
        assert_eq!(
            r,
            Response::Status {
                tag: Some("a1".into()),
                status: ImapStatus::No,
                code: Some(RespCode {
                    name: "AUTHENTICATIONFAILED".into(),
                    args: String::new()
                }),
                text: "Authentication failed.".into(),
            }
        );
        assert_eq!(r.tag(), Some("a1"));
    }

    #[test]
    fn gmail_and_exchange() {
        let v = read_all(
            b"* OK Gimap ready for requests from 203.0.113.9 h3mb1234\r\n\
              * CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=35651584 AUTH=XOAUTH2 AUTH=PLAIN AUTH=PLAIN-CLIENTTOKEN AUTH=OAUTHBEARER AUTH=XOAUTH\r\n\
              a1 OK Thats all she wrote! h3mb1234\r\n\
              a2 NO [ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)\r\n\
              a3 NO [WEBALERT https://accounts.google.com/signin/continue?sarp=1] Web login required.\r\n",
        );
        assert_eq!(v.len(), 5);
        let Response::Data { name, text } = &v[1] else {
            panic!()
        };
        assert_eq!(name, "CAPABILITY");
        let caps = parse_capabilities(text);
        assert_eq!(
            auth_mechanisms(&caps),
            [
                "XOAUTH2",
                "PLAIN",
                "PLAIN-CLIENTTOKEN",
                "OAUTHBEARER",
                "XOAUTH"
            ]
        );
        let Response::Status { code, .. } = &v[3] else {
            panic!()
        };
        assert_eq!(code.as_ref().unwrap().name, "ALERT");
        let Response::Status { code, text, .. } = &v[4] else {
            panic!()
        };
        let code = code.as_ref().unwrap();
        assert_eq!(code.name, "WEBALERT");
        assert_eq!(
            code.args,
            "https://accounts.google.com/signin/continue?sarp=1"
        );
        assert_eq!(text, "Web login required.");

        let v = read_all(
            b"* OK The Microsoft Exchange IMAP4 service is ready. [TQBXADIAUABSADAAMQBDAEEAMAAwADEAMgAuAG4AYQBtAHAAcgBkADAAMQAuAHAAcgBvAGQALgBvAHUAdABsAG8AbwBrAC4AYwBvAG0A]\r\n\
              a1 NO LOGIN failed.\r\n\
              * BYE Connection is closed. 13\r\n",
        );
        assert_eq!(v.len(), 3);
        assert!(matches!(
            &v[0],
            Response::Status { status: ImapStatus::Ok, code: None, text, .. } if text.starts_with("The Microsoft")
        ));
        assert!(matches!(
            &v[1],
            Response::Status { status: ImapStatus::No, code: None, text, .. } if text == "LOGIN failed."
        ));
        assert!(matches!(
            &v[2],
            Response::Status {
                tag: None,
                status: ImapStatus::Bye,
                ..
            }
        ));
    }

    #[test]
    fn rfc5530_codes() {
        for (line, name) in [
            ("a1 NO [UNAVAILABLE] Backend down", "UNAVAILABLE"),
            ("a1 NO [OVERQUOTA] Sorry", "OVERQUOTA"),
            ("a1 NO [LIMIT] At maximum connections", "LIMIT"),
            ("a1 NO [INUSE] Mailbox in use", "INUSE"),
            ("a1 NO [PRIVACYREQUIRED] Use TLS", "PRIVACYREQUIRED"),
            ("a1 NO [contactadmin] Call us", "CONTACTADMIN"),
            ("a1 NO [EXPIRED] Password expired", "EXPIRED"),
            ("* NO [ALERT] Quota exceeded", "ALERT"),
        ] {
            let Response::Status { code, .. } = one(line) else {
                panic!("{line}")
            };
            assert_eq!(code.unwrap().name, name, "{line}");
        }
        let r = one(
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\*)] Flags permitted.",
        );
        let Response::Status { code, text, .. } = r else {
            panic!()
        };
        let code = code.unwrap();
        assert_eq!(code.name, "PERMANENTFLAGS");
        assert_eq!(code.args, "(\\Answered \\Flagged \\Deleted \\Seen \\*)");
        assert_eq!(text, "Flags permitted.");
        // Unclosed bracket: no code.
        let Response::Status { code, text, .. } = one("a1 OK [ALERT no end") else {
            panic!()
        };
        assert_eq!(code, None);
        assert_eq!(text, "[ALERT no end");
    }

    #[test]
    fn quota() {
        let v = read_all(
            b"* QUOTAROOT INBOX \"User quota\"\r\n\
              * QUOTA \"User quota\" (STORAGE 1100 1024)\r\n\
              a4 OK Getquotaroot completed (0.001 + 0.000 secs).\r\n",
        );
        let Response::Data { name, text } = &v[0] else {
            panic!()
        };
        assert_eq!(name, "QUOTAROOT");
        assert_eq!(
            parse_quotaroot(text),
            Some(("INBOX".into(), vec!["User quota".into()]))
        );
        let Response::Data { name, text } = &v[1] else {
            panic!()
        };
        assert_eq!(name, "QUOTA");
        assert_eq!(
            parse_quota(text),
            Some(Quota {
                root: "User quota".into(),
                resources: vec![("STORAGE".into(), 1100, 1024)]
            })
        );
        assert_eq!(
            parse_quota("\"\" (STORAGE 10 512 message 2 1000)"),
            Some(Quota {
                root: String::new(),
                resources: vec![("STORAGE".into(), 10, 512), ("MESSAGE".into(), 2, 1000)]
            })
        );
        assert_eq!(
            parse_quota("ROOT ()"),
            Some(Quota {
                root: "ROOT".into(),
                resources: vec![]
            })
        );
        assert_eq!(parse_quota("(STORAGE 1 2)").unwrap().root, "");
        assert_eq!(
            parse_quota("\"a\\\"b\" (STORAGE 1 2)").unwrap().root,
            "a\"b"
        );
        assert_eq!(parse_quota("\"\" (STORAGE 10)"), None);
        assert_eq!(parse_quota("\"\" (STORAGE 10 x)"), None);
        assert_eq!(parse_quota("\"\" (STORAGE 10 512"), None);
        assert_eq!(parse_quota("\"unterminated (STORAGE 10 512)"), None);
        assert_eq!(parse_quota(""), None);
        assert_eq!(parse_quotaroot("INBOX"), Some(("INBOX".into(), vec![])));
        assert_eq!(
            parse_quotaroot("INBOX \"\""),
            Some(("INBOX".into(), vec![String::new()]))
        );
        assert_eq!(parse_quotaroot("INBOX (x)"), None);
        assert_eq!(parse_quotaroot(""), None);
    }

    #[test]
    fn status_and_list_with_literals() {
        let v = read_all(
            b"* STATUS {5}\r\nINBOX (MESSAGES 3 UNSEEN 1)\r\n\
              * LIST (\\HasNoChildren) \"/\" {12+}\r\nSent \"Items\"\r\n\
              * LIST (\\HasNoChildren) \"/\" ~{3}\r\na\\b\r\n\
              a5 OK Status completed.\r\n",
        );
        assert_eq!(v.len(), 4);
        let Response::Data { name, text } = &v[0] else {
            panic!()
        };
        assert_eq!(name, "STATUS");
        assert_eq!(text, "\"INBOX\" (MESSAGES 3 UNSEEN 1)");
        assert_eq!(
            parse_status_data(text),
            Some((
                "INBOX".into(),
                vec![("MESSAGES".into(), 3), ("UNSEEN".into(), 1)]
            ))
        );
        assert_eq!(
            v[1],
            Response::Data {
                name: "LIST".into(),
                text: "(\\HasNoChildren) \"/\" \"Sent \\\"Items\\\"\"".into()
            }
        );
        assert_eq!(
            v[2],
            Response::Data {
                name: "LIST".into(),
                text: "(\\HasNoChildren) \"/\" \"a\\\\b\"".into()
            }
        );
        assert_eq!(
            parse_status_data("\"Sent Items\" (messages 0)"),
            Some(("Sent Items".into(), vec![("MESSAGES".into(), 0)]))
        );
        assert_eq!(
            parse_status_data("INBOX ()"),
            Some(("INBOX".into(), vec![]))
        );
        assert_eq!(parse_status_data("INBOX (MESSAGES)"), None);
        assert_eq!(parse_status_data("INBOX MESSAGES 3"), None);
    }

    #[test]
    fn literal_across_pushes_larger_than_a_line() {
        let mut buf = LineBuffer::new(16);
        let mut r = ResponseReader::new(1000);
        let body = "x".repeat(100);
        let wire = format!("* STATUS {{100}}\r\n{body} (MESSAGES 7)\r\na1 OK done\r\n");
        let mut got = Vec::new();
        for chunk in wire.as_bytes().chunks(7) {
            buf.push(chunk);
            while let Some(resp) = r.next(&mut buf).unwrap() {
                got.push(resp);
            }
        }
        assert_eq!(got.len(), 2);
        let Response::Data { text, .. } = &got[0] else {
            panic!()
        };
        assert_eq!(
            parse_status_data(text),
            Some((body.clone(), vec![("MESSAGES".into(), 7)]))
        );
    }

    #[test]
    fn literal_bounds() {
        let mut buf = LineBuffer::new(1024);
        let mut r = ResponseReader::new(1 << 20);
        buf.push(b"* STATUS {999999999}\r\n");
        assert_eq!(
            r.next(&mut buf),
            Err(ImapError::LiteralTooLarge(999_999_999))
        );
        buf.push(b"* LIST () \"/\" {99999999999999999999999999}\r\n");
        assert_eq!(
            r.next(&mut buf),
            Err(ImapError::LiteralTooLarge(usize::MAX))
        );

        // Literals adding up beyond the bound.
        let mut buf = LineBuffer::new(1024);
        let mut r = ResponseReader::new(10);
        buf.push(b"* X {6}\r\nabcdef {6}\r\nabcdef\r\n");
        assert_eq!(r.next(&mut buf), Err(ImapError::LiteralTooLarge(6)));

        // Too many empty literals.
        let mut buf = LineBuffer::new(1024);
        let mut r = ResponseReader::new(10);
        for _ in 0..=MAX_LITERALS {
            buf.push(b"* X {0}\r\n");
        }
        assert!(matches!(r.next(&mut buf), Err(ImapError::Malformed(_))));

        // A too-long line.
        let mut buf = LineBuffer::new(64);
        let mut r = ResponseReader::new(10);
        buf.push(&[b'*'; 100]);
        assert!(matches!(
            r.next(&mut buf),
            Err(ImapError::Line(LineError::TooLong { .. }))
        ));
    }

    #[test]
    fn literal_like_text_in_status_is_text() {
        let v = read_all(b"* OK [ALERT] see {5}\r\na1 OK done\r\n");
        assert_eq!(v.len(), 2);
        let Response::Status { text, .. } = &v[0] else {
            panic!()
        };
        assert_eq!(text, "see {5}");
        let v = read_all(b"* SEARCH x{5}\r\n");
        assert_eq!(
            v[0],
            Response::Data {
                name: "SEARCH".into(),
                text: "x{5}".into()
            }
        );
    }

    #[test]
    fn other_shapes() {
        assert_eq!(
            one("* 23 EXISTS"),
            Response::Data {
                name: "EXISTS".into(),
                text: "23".into()
            }
        );
        assert_eq!(
            one("* 5 fetch (FLAGS (\\Seen))"),
            Response::Data {
                name: "FETCH".into(),
                text: "5 (FLAGS (\\Seen))".into()
            }
        );
        assert_eq!(
            one("+ "),
            Response::Continuation {
                text: String::new()
            }
        );
        assert_eq!(
            one("+"),
            Response::Continuation {
                text: String::new()
            }
        );
        assert_eq!(
            one("+ idling"),
            Response::Continuation {
                text: "idling".into()
            }
        );
        assert_eq!(
            one("* PREAUTH IMAP4rev1 server logged in as Smith"),
            Response::Status {
                tag: None,
                status: ImapStatus::Preauth,
                code: None,
                text: "IMAP4rev1 server logged in as Smith".into()
            }
        );
        assert_eq!(
            one("a9 bad"),
            Response::Status {
                tag: Some("a9".into()),
                status: ImapStatus::Bad,
                code: None,
                text: String::new()
            }
        );
        assert_eq!(
            one("* ENABLED"),
            Response::Data {
                name: "ENABLED".into(),
                text: String::new()
            }
        );
        let v = read_all(b"\r\n\r\n* OK hi\r\n");
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn malformed() {
        for bad in ["garbage", "a1 HELLO there", "* 12", " OK", "a1"] {
            let mut buf = LineBuffer::new(100);
            let mut r = ResponseReader::new(10);
            buf.push(format!("{bad}\r\n").as_bytes());
            assert!(
                matches!(r.next(&mut buf), Err(ImapError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn tagger() {
        let mut t = Tagger::default();
        assert_eq!(t.next(), "a1");
        assert_eq!(t.next(), "a2");
        assert_eq!(t.next(), "a3");
    }

    #[test]
    fn commands() {
        assert_eq!(capability("a1"), "a1 CAPABILITY\r\n");
        assert_eq!(starttls("a2"), "a2 STARTTLS\r\n");
        assert_eq!(logout("a9"), "a9 LOGOUT\r\n");
        assert_eq!(getquotaroot("a3", "INBOX"), "a3 GETQUOTAROOT INBOX\r\n");
        assert_eq!(
            getquotaroot("a3", "Sent Items"),
            "a3 GETQUOTAROOT \"Sent Items\"\r\n"
        );
        assert_eq!(getquotaroot("a3", ""), "a3 GETQUOTAROOT \"\"\r\n");
        assert_eq!(
            status("a4", "INBOX", &["MESSAGES", "UNSEEN"]),
            "a4 STATUS INBOX (MESSAGES UNSEEN)\r\n"
        );
        assert_eq!(
            status("a4", "INBOX", &["MESSAGES)\r\nx LOGOUT"]),
            "a4 STATUS INBOX (MESSAGESxLOGOUT)\r\n"
        );
    }

    #[test]
    fn login_secret() {
        let s = login("a2", "joe@example.com", "pa\"ss\\word");
        assert_eq!(
            s.wire,
            b"a2 LOGIN \"joe@example.com\" \"pa\\\"ss\\\\word\"\r\n"
        );
        assert_eq!(s.shown, "a2 LOGIN \"joe@example.com\" <redacted>");
        assert!(!login_needs_literal("joe@example.com", "pa\"ss\\word"));
        assert!(login_needs_literal("joe", "a\r\nb"));
        assert!(login_needs_literal("joe", "pässword"));
        assert!(login_needs_literal("jö", "x"));
        assert!(login_needs_literal("joe", "a\0b"));
        let s = login("a2", "joe", "a\r\na3 DELETE INBOX");
        assert_eq!(s.wire, b"a2 LOGIN \"joe\" \"aa3 DELETE INBOX\"\r\n");
        let s = login("a2", "joe", "oe");
        assert_eq!(s.shown, "a2 LOGIN <redacted> <redacted>");
    }

    #[test]
    fn authenticate_plain_secret() {
        let (first, s) = authenticate_plain("a3", "joe", "hunter2", true);
        assert_eq!(first, "");
        let s = s.unwrap();
        assert_eq!(s.wire, b"a3 AUTHENTICATE PLAIN AGpvZQBodW50ZXIy\r\n");
        assert_eq!(s.shown, "a3 AUTHENTICATE PLAIN <redacted>");
        let (first, s) = authenticate_plain("a3", "joe", "hunter2", false);
        assert_eq!(first, "a3 AUTHENTICATE PLAIN\r\n");
        let s = s.unwrap();
        assert_eq!(s.wire, b"AGpvZQBodW50ZXIy\r\n");
        assert_eq!(s.shown, "<redacted>");
    }
}
