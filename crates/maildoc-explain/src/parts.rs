//! The parts of a text read before any phrase is matched: IMAP/POP3 response codes in
//! brackets, socket errors, library error identifiers, blocklists named, IP addresses and the
//! host names a bounce names as the other side. Each comes with the line it was found in;
//! the meanings are in the knowledge base (`data/parts.toml`), looked up by the renderers.

use maildoc_kb::catalogue::{PartTable, part_meaning};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};

/// At most this many parts of one kind are kept.
const MAX_PER_KIND: usize = 5;

/// A part of the text that maildoc recognised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub kind: PartKind,
    /// As the text writes it (`[AUTHENTICATIONFAILED]`, `10061`, `zen.spamhaus.org`).
    pub value: String,
    /// The key of its meaning in the knowledge base's table for its kind
    /// (`AUTHENTICATIONFAILED`, `WSAECONNREFUSED`, `spamhaus`); none for addresses and hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The line it was found in (trimmed).
    pub line: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartKind {
    /// An IMAP or POP3 response code, or a provider's bracketed code (`[TSS04]`).
    ResponseCode,
    /// An operating system's socket error (`ECONNREFUSED`, Windows `10060`).
    SocketError,
    /// A library's error identifier (`ERR_TLS_CERT_ALTNAME_INVALID`).
    LibraryError,
    /// A blocklist named in a refusal.
    Blocklist,
    /// A server name with what no server name holds (spaces around it, full-width or
    /// invisible characters), as a failed lookup quotes it.
    Typed,
    /// An IP address (of a sending or receiving server).
    IpAddress,
    /// A host name the text names as the other side (`host mx.example.jp said`).
    Host,
    /// What the words of the text speak of (`login-refused`), read when nothing more precise
    /// fits, or beside a generic message or a bare status.
    Topic,
}

impl PartKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartKind::ResponseCode => "response-code",
            PartKind::SocketError => "socket-error",
            PartKind::LibraryError => "library-error",
            PartKind::Blocklist => "blocklist",
            PartKind::Typed => "typed",
            PartKind::IpAddress => "ip-address",
            PartKind::Host => "host",
            PartKind::Topic => "topic",
        }
    }

    /// The knowledge base's table of meanings for this kind.
    pub fn table(self) -> Option<PartTable> {
        match self {
            PartKind::ResponseCode => Some(PartTable::Response),
            PartKind::SocketError => Some(PartTable::Socket),
            PartKind::LibraryError => Some(PartTable::Library),
            PartKind::Blocklist => Some(PartTable::Blocklist),
            PartKind::Typed => Some(PartTable::Typed),
            PartKind::Topic => Some(PartTable::Topic),
            PartKind::IpAddress | PartKind::Host => None,
        }
    }
}

/// Windows socket error numbers and their WSA names.
const WSA_NUMBERS: &[(&str, &str)] = &[
    ("10060", "WSAETIMEDOUT"),
    ("10061", "WSAECONNREFUSED"),
    ("10054", "WSAECONNRESET"),
    ("11001", "WSAHOST_NOT_FOUND"),
];

/// Blocklists by the word that names them in a reply.
const BLOCKLISTS: &[&str] = &[
    "spamhaus",
    "spamcop",
    "barracuda",
    "uceprotect",
    "sorbs",
    "cloudmark",
    "mailspike",
    "psbl",
    "trendmicro",
];

/// The parts of `lines`, in order of appearance, each once.
pub(crate) fn parts(lines: &[&str]) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    for line in lines {
        response_codes(line, &mut out);
        words(line, &mut out);
        blocklists(line, &mut out);
        addresses(line, &mut out);
        hosts(line, &mut out);
        typed_hosts(line, &mut out);
        address_hosts(line, &mut out);
    }
    out
}

/// The topics the words of `lines` speak of, each with the words found (the longest of each
/// group, as the text writes them where it can), the first line that has them, and how much
/// the words say: their length, a character of Japanese counting as [`WIDE_CHAR`] Latin
/// letters, each word at most [`WORD_CAP`]. The topics whose words say most come first.
/// `squashed` holds each line [`crate::squash`]ed, `whole` all of them one after the other;
/// with `beside_only`, only the topics that count beside any message.
pub(crate) fn topics(
    lines: &[&str],
    squashed: &[&str],
    whole: &str,
    beside_only: bool,
) -> Vec<FoundTopic> {
    let mut out: Vec<FoundTopic> = Vec::new();
    for Topic {
        id,
        groups,
        broad,
        beside,
        unless,
    } in squashed_topics()
    {
        if (beside_only && !beside) || unless.iter().any(|w| whole.contains(w.as_str())) {
            continue;
        }
        let mut found: Vec<&(String, String)> = Vec::new();
        for group in groups {
            match group
                .iter()
                .filter(|(_, w)| whole.contains(w.as_str()))
                .max_by_key(|(_, w)| weight(w))
            {
                Some(w) => found.push(w),
                None => break,
            }
        }
        if found.len() < groups.len() {
            continue;
        }
        let first = &found[0].1;
        let line = squashed
            .iter()
            .position(|l| l.contains(first.as_str()))
            .and_then(|i| lines.get(i))
            .map_or("", |l| l.trim());
        let words: Vec<&str> = found.iter().map(|(w, _)| w.as_str()).collect();
        let part = Part {
            kind: PartKind::Topic,
            value: words.join(" … "),
            key: Some(id.to_string()),
            line: line.to_string(),
        };
        let said: usize = found.iter().map(|(_, w)| weight(w)).sum();
        out.push(FoundTopic {
            part,
            said: if *broad { said / BROAD_SHARE } else { said },
            broad: *broad,
        });
    }
    out.sort_by_key(|t| std::cmp::Reverse(t.said));
    out
}

/// A topic the words of a text speak of.
pub(crate) struct FoundTopic {
    pub(crate) part: Part,
    /// How much its words say.
    pub(crate) said: usize,
    /// It names an area (a connection, a login) rather than a cause.
    pub(crate) broad: bool,
}

/// A broad topic (an area, not a cause) says this many times less than its words.
const BROAD_SHARE: usize = 2;
/// A character of Japanese says about as much as this many Latin letters.
const WIDE_CHAR: usize = 3;
/// A topic's word counts for at most this much.
const WORD_CAP: usize = 24;

/// How much a squashed word says.
fn weight(word: &str) -> usize {
    word.chars()
        .map(|c| if c.is_ascii() { 1 } else { WIDE_CHAR })
        .sum::<usize>()
        .min(WORD_CAP)
}

/// A topic with its groups of words, each word as written and squashed, and the words
/// (squashed) that rule it out.
struct Topic {
    id: &'static str,
    groups: Vec<Vec<(String, String)>>,
    broad: bool,
    beside: bool,
    unless: Vec<String>,
}

/// The topics with their words squashed, once.
fn squashed_topics() -> &'static [Topic] {
    static TOPICS: std::sync::OnceLock<Vec<Topic>> = std::sync::OnceLock::new();
    TOPICS.get_or_init(|| {
        maildoc_kb::catalogue::topics()
            .map(|t| Topic {
                id: t.id,
                groups: t
                    .words
                    .iter()
                    .map(|g| g.iter().map(|w| (w.clone(), crate::squash(w))).collect())
                    .collect(),
                broad: t.broad,
                beside: t.beside,
                unless: t.unless.iter().map(|w| crate::squash(w)).collect(),
            })
            .collect()
    })
}

fn push(out: &mut Vec<Part>, kind: PartKind, value: &str, key: Option<&str>, line: &str) {
    if out.iter().filter(|p| p.kind == kind).count() >= MAX_PER_KIND
        || out.iter().any(|p| {
            p.kind == kind && (p.value == value || (key.is_some() && p.key.as_deref() == key))
        })
    {
        return;
    }
    out.push(Part {
        kind,
        value: value.to_string(),
        key: key.map(str::to_string),
        line: line.to_string(),
    });
}

/// `[WORD]`, `[SYS/TEMP]`, `[IN-USE]`: known codes only (a bracket holds many things).
fn response_codes(line: &str, out: &mut Vec<Part>) {
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inner = &after[..close];
        let code_like = !inner.is_empty()
            && inner.len() <= 32
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '-');
        if code_like {
            let key = inner.to_ascii_uppercase();
            if part_meaning(PartTable::Response, &key).is_some() {
                push(
                    out,
                    PartKind::ResponseCode,
                    &format!("[{key}]"),
                    Some(&key),
                    line,
                );
            }
        }
        rest = &after[close + 1..];
    }
}

/// Socket errors and library identifiers, as whole words.
fn words(line: &str, out: &mut Vec<Part>) {
    let lower = line.to_ascii_lowercase();
    let about_sockets = ["socket", "wsa", "error", "errno", "winsock"]
        .iter()
        .any(|w| lower.contains(w));
    for word in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.is_empty() {
            continue;
        }
        if part_meaning(PartTable::Socket, word).is_some() {
            push(out, PartKind::SocketError, word, Some(word), line);
        } else if let Some((_, name)) = WSA_NUMBERS.iter().find(|(n, _)| *n == word)
            && about_sockets
        {
            push(out, PartKind::SocketError, word, Some(name), line);
        } else if part_meaning(PartTable::Library, word).is_some() {
            push(out, PartKind::LibraryError, word, Some(word), line);
        }
    }
}

/// A blocklist named in the line: its zone when the line has one, else its name.
fn blocklists(line: &str, out: &mut Vec<Part>) {
    let lower = line.to_ascii_lowercase();
    for name in BLOCKLISTS {
        if !lower.contains(name) {
            continue;
        }
        let zone = lower
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
            .find(|w| w.contains(name) && w.contains('.') && !w.starts_with("www."))
            .map(|w| w.trim_matches('.'));
        let value = zone.unwrap_or(name);
        push(out, PartKind::Blocklist, value, Some(name), line);
    }
}

/// IPv4 addresses (dotted quads), and IPv6 addresses in brackets or after `IPv6:`.
fn addresses(line: &str, out: &mut Vec<Part>) {
    for word in line.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
        let word = word.trim_matches('.');
        if word.split('.').count() == 4
            && let Ok(ip) = word.parse::<Ipv4Addr>()
        {
            push(out, PartKind::IpAddress, &ip.to_string(), None, line);
        }
    }
    // `[IPv6:2001:db8::1]` (RFC 5321's address literal): the tag is no part of the address.
    let unlabeled = line.replace("IPv6:", " ").replace("ipv6:", " ");
    for word in unlabeled.split(|c: char| !(c.is_ascii_hexdigit() || c == ':')) {
        if word.matches(':').count() >= 2
            && let Ok(IpAddr::V6(ip)) = word.parse::<IpAddr>()
        {
            push(out, PartKind::IpAddress, &ip.to_string(), None, line);
        }
    }
}

/// The other side's host name where a bounce names it: `host mx.example.jp[...] said`,
/// `Remote-MTA: dns; mx.example.jp`, `connect to mx.example.jp[...]`.
fn hosts(line: &str, out: &mut Vec<Part>) {
    let lower = line.to_ascii_lowercase();
    for lead in [
        "host ",
        "remote-mta: dns; ",
        "remote-mta: dns;",
        "connect to ",
    ] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(lead) {
            let start = from + at + lead.len();
            let name: String = line[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
                .collect();
            let name = name.trim_end_matches('.');
            if is_host_name(name) {
                push(out, PartKind::Host, &name.to_ascii_lowercase(), None, line);
            }
            from = start;
        }
    }
}

/// Words that say a name lookup failed, in the forms libraries write them.
const LOOKUP_FAILED: &[&str] = &[
    "no such host",
    "enotfound",
    "unknownhostexception",
    "name or service not known",
    "nodename nor servname",
    "could not resolve",
    "getaddrinfo",
    "host not found",
    "unknown host",
    "名前解決",
];

/// A full-width ASCII character (`ｓ`, `．`) or the ideographic space.
fn is_wide(c: char) -> bool {
    ('\u{FF01}'..='\u{FF5E}').contains(&c) || c == '\u{3000}'
}

/// A character that shows as nothing or as a plain space: zero-width characters, the
/// word joiner, the byte order mark, the no-break space.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00A0}'
    )
}

/// In a line that says a lookup failed, a server name that carries what no server name
/// holds: spaces around it (`lookup  smtp.example.jp : no such host`: two spaces before it,
/// or a space before the colon after it), full-width or invisible characters.
fn typed_hosts(line: &str, out: &mut Vec<Part>) {
    let lower = line.to_lowercase();
    if !LOOKUP_FAILED.iter().any(|w| lower.contains(w)) {
        return;
    }
    let chars: Vec<char> = line.chars().collect();
    let in_name = |c: char| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '-') || is_wide(c) || is_invisible(c)
    };
    let mut i = 0;
    while i < chars.len() {
        if !in_name(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && in_name(chars[i]) {
            i += 1;
        }
        // Read as NFKC (full-width letters as ASCII), without what shows as nothing.
        let word = &chars[start..i];
        let plain: String = crate::nfkc_lower(&word.iter().collect::<String>())
            .chars()
            .filter(|c| !is_invisible(*c) && !c.is_whitespace())
            .collect();
        if !is_host_name(plain.trim_matches(|c| c == '.' || c == '-')) {
            continue;
        }
        let before = chars[..start]
            .iter()
            .rev()
            .take_while(|c| **c == ' ')
            .count();
        let after = chars[i..].iter().take_while(|c| **c == ' ').count();
        let closes = chars
            .get(i + after)
            .is_some_and(|c| matches!(c, ':' | '"' | '\''));
        let (key, from, to) = if word.iter().any(|c| is_wide(*c) && *c != '\u{3000}') {
            ("full-width-host", start, i)
        } else if word.iter().any(|c| is_invisible(*c) || *c == '\u{3000}') {
            ("invisible-in-host", start, i)
        } else if before >= 2 || (after > 0 && closes) {
            // Shown with its spaces: they are the point.
            ("spaces-around-host", start - before, i + after)
        } else {
            continue;
        };
        let shown: String = chars[from..to].iter().collect();
        push(
            out,
            PartKind::Typed,
            &format!("\"{shown}\""),
            Some(key),
            line,
        );
    }
}

/// Words after which a line names the server it tried to reach (lower case).
const SERVER_BEFORE: &[&str] = &[
    "connection to",
    "connect to",
    "host",
    "server",
    "enotfound",
    "lookup",
    "resolve",
    "getaddrinfo",
];

/// Words of a line that says a connection or a lookup failed (lower case).
const REACHING: &[&str] = &[
    "connect",
    "lookup",
    "resolv",
    "enotfound",
    "getaddrinfo",
    "no such host",
    "unknown host",
    "host not found",
    "not known",
];

/// A mail address where a line that says a connection or a lookup failed names the server
/// (`unable to establish SMTP connection to (user@smtp.example.jp)`, `getaddrinfo ENOTFOUND
/// user@example.jp`): an address typed into the server field.
fn address_hosts(line: &str, out: &mut Vec<Part>) {
    let lower = line.to_lowercase();
    if !REACHING.iter().any(|w| lower.contains(w)) {
        return;
    }
    let chars: Vec<char> = line.chars().collect();
    let in_local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-');
    let in_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-');
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let start = chars[..at]
            .iter()
            .rev()
            .take_while(|c| in_local(**c))
            .count();
        let end = chars[at + 1..].iter().take_while(|c| in_name(**c)).count();
        let name: String = chars[at + 1..at + 1 + end].iter().collect();
        if start == 0 || !is_host_name(name.trim_end_matches(['.', '-'])) {
            continue;
        }
        let from = at - start;
        let before: String = chars[..from].iter().collect::<String>().to_lowercase();
        let before = before.trim_end_matches([' ', '(', '[', '<', '"', '\'', ':', '=']);
        if SERVER_BEFORE.iter().any(|w| before.ends_with(w)) {
            let shown: String = chars[from..at + 1 + end].iter().collect();
            push(
                out,
                PartKind::Typed,
                &format!("\"{shown}\""),
                Some("address-as-host"),
                line,
            );
        }
    }
}

fn is_host_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.len() <= 63)
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic()) && tld.len() >= 2)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn read(text: &str) -> Vec<(PartKind, String, Option<String>)> {
        let lines: Vec<&str> = text.lines().collect();
        parts(&lines)
            .into_iter()
            .map(|p| (p.kind, p.value, p.key))
            .collect()
    }

    #[test]
    fn response_codes_known_to_the_knowledge_base() {
        let got = read("a1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)");
        assert_eq!(
            got,
            [(
                PartKind::ResponseCode,
                "[AUTHENTICATIONFAILED]".into(),
                Some("AUTHENTICATIONFAILED".into())
            )]
        );
        let got = read("-ERR [sys/temp] Internal error");
        assert_eq!(got[0].1, "[SYS/TEMP]");
        // A bracket that is no code says nothing.
        assert!(
            read("[SSL: CERTIFICATE_VERIFY_FAILED]")
                .iter()
                .all(|p| p.0 != PartKind::ResponseCode)
        );
        assert!(read("see [RFC 5321] and [x]").is_empty());
    }

    #[test]
    fn socket_errors_by_name_and_by_windows_number() {
        let got = read("Error: connect ECONNREFUSED 127.0.0.1:465");
        assert_eq!(
            got[0],
            (
                PartKind::SocketError,
                "ECONNREFUSED".into(),
                Some("ECONNREFUSED".into())
            )
        );
        assert_eq!(got[1].0, PartKind::IpAddress);
        let got = read("Socket error # 10060 Connection timed out.");
        assert_eq!(
            got[0],
            (
                PartKind::SocketError,
                "10060".into(),
                Some("WSAETIMEDOUT".into())
            )
        );
        // A number alone is no socket error.
        assert!(read("Order 10061 shipped").is_empty());
    }

    #[test]
    fn library_identifiers_blocklists_addresses_and_hosts() {
        let got = read("javax.mail.AuthenticationFailedException: 535-5.7.8");
        assert_eq!(got[0].0, PartKind::LibraryError);
        assert_eq!(got[0].1, "AuthenticationFailedException");
        let got = read(
            "host mx.example.jp[192.0.2.7] said: 554 5.7.1 Service unavailable; Client host \
             [192.0.2.9] blocked using zen.spamhaus.org",
        );
        let kinds: Vec<PartKind> = got.iter().map(|p| p.0).collect();
        assert!(kinds.contains(&PartKind::Blocklist));
        assert!(got.contains(&(
            PartKind::Blocklist,
            "zen.spamhaus.org".into(),
            Some("spamhaus".into())
        )));
        assert!(got.contains(&(PartKind::IpAddress, "192.0.2.7".into(), None)));
        assert!(got.contains(&(PartKind::IpAddress, "192.0.2.9".into(), None)));
        assert!(got.contains(&(PartKind::Host, "mx.example.jp".into(), None)));
        // Not an address: a version or a date.
        assert!(read("version 1.2.3 on 2024.01.02").is_empty());
        let got = read("Remote-MTA: dns; mx.example.jp");
        assert_eq!(got, [(PartKind::Host, "mx.example.jp".into(), None)]);
        let got = read("from [IPv6:2001:db8::1]");
        assert_eq!(got, [(PartKind::IpAddress, "2001:db8::1".into(), None)]);
    }

    #[test]
    fn a_server_name_typed_with_what_no_name_holds() {
        let typed = |text: &str| -> Vec<(String, Option<String>)> {
            read(text)
                .into_iter()
                .filter(|p| p.0 == PartKind::Typed)
                .map(|p| (p.1, p.2))
                .collect()
        };
        let key = |k: &str| Some(k.to_string());
        assert_eq!(
            typed("dial tcp: lookup  smtp.example.com : no such host"),
            [("\"  smtp.example.com \"".into(), key("spaces-around-host"))]
        );
        assert_eq!(
            typed("getaddrinfo ENOTFOUND ｓｍｔｐ.example.jp"),
            [("\"ｓｍｔｐ.example.jp\"".into(), key("full-width-host"))]
        );
        assert_eq!(
            typed("getaddrinfo ENOTFOUND smtp.example.jp\u{200B}"),
            [(
                "\"smtp.example.jp\u{200B}\"".into(),
                key("invisible-in-host")
            )]
        );
        // A name as libraries write it, or spaces where no lookup failed, say nothing.
        for plain in [
            "dial tcp: lookup smtp.example.com: no such host",
            "dial tcp: lookup smtp.example.com on 127.0.0.53:53: no such host",
            "getaddrinfo ENOTFOUND smtp.example.jp",
            "Connected to  smtp.example.jp : 587",
            "getaddrinfo ENOTFOUND ｓｍｔｐ",
        ] {
            assert!(typed(plain).is_empty(), "{plain}");
        }
    }

    #[test]
    fn each_kind_is_bounded() {
        let many: String = (1..=50).map(|i| format!("192.0.2.{i} ")).collect();
        assert_eq!(read(&many).len(), MAX_PER_KIND);
    }
}
