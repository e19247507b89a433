//! The error catalogue: error numbers, mail-app messages, SMTP replies and bounce
//! texts, each mapped to the finding [`Code`]s it can mean, with likelihoods and the checks
//! that tell them apart, in Japanese and English.
//!
//! The entries live in `data/catalogue/*.toml`, one file per family (the file name without
//! `.toml` is the entry's [`Entry::family`]), and are compiled into the binary. The meanings
//! of RFC 3463 enhanced status codes live in `data/enhanced-status.toml`.
//! Matching the entries against a pasted text is `maildoc-explain`'s job; this module only
//! loads and checks the data.

use crate::{Client, Lang};
use maildoc_model::Code;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The catalogue files: (family, contents). A family is one file; ids are unique across all.
pub const FILES: &[(&str, &str)] = &[
    ("outlook", include_str!("../data/catalogue/outlook.toml")),
    (
        "outlook-messages",
        include_str!("../data/catalogue/outlook-messages.toml"),
    ),
    (
        "windows-mail",
        include_str!("../data/catalogue/windows-mail.toml"),
    ),
    ("apple", include_str!("../data/catalogue/apple.toml")),
    (
        "android-gmail",
        include_str!("../data/catalogue/android-gmail.toml"),
    ),
    (
        "thunderbird",
        include_str!("../data/catalogue/thunderbird.toml"),
    ),
    ("smtp", include_str!("../data/catalogue/smtp.toml")),
    ("carriers", include_str!("../data/catalogue/carriers.toml")),
    (
        "imap-pop3",
        include_str!("../data/catalogue/imap-pop3.toml"),
    ),
    (
        "libraries",
        include_str!("../data/catalogue/libraries.toml"),
    ),
    ("vendors", include_str!("../data/catalogue/vendors.toml")),
];

const ENHANCED: &str = include_str!("../data/enhanced-status.toml");
const PARTS: &str = include_str!("../data/parts.toml");

/// A text in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    pub ja: String,
    pub en: String,
}

impl Bilingual {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }
}

/// One possible cause of an entry: a finding code, how likely it is (percent, 1..=100) and
/// the check that confirms or rules it out.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cause {
    pub code: Code,
    pub likelihood: u8,
    pub ja: String,
    pub en: String,
}

impl Cause {
    /// The check, in `lang`.
    pub fn check(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }
}

/// One catalogue entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Stable id, unique across the catalogue (`outlook-0x800ccc0e`).
    pub id: String,
    /// The file it comes from (`outlook`, `apple`, `smtp`, ...).
    pub family: String,
    /// The mail apps that show this message (may be empty: SMTP replies, bounces).
    pub clients: Vec<Client>,
    /// Error numbers (`0x800CCC0E`), matched as whole hex words, `0x` optional.
    pub codes: Vec<String>,
    /// Phrases in Japanese or English; `*` stands for any text (a host name, a user name).
    pub phrases: Vec<String>,
    /// SMTP patterns: `535 5.7.8` (reply and enhanced code), `5.7.8` or `535`.
    pub smtp: Vec<String>,
    /// A short name of the message.
    pub title: Bilingual,
    /// What it means.
    pub meaning: Bilingual,
    /// The candidate causes, most likely first.
    pub causes: Vec<Cause>,
    /// Codes a later issue will add (SPF, DMARC, ...), as plain names.
    pub future_codes: Vec<String>,
    /// A note shown after the causes (e.g. about causes maildoc has no code for yet).
    pub note: Option<Bilingual>,
    /// Where to fix it, per mail app, when that differs from the finding texts' steps.
    pub fix: Vec<(Client, Bilingual)>,
    /// The message says only that something failed (sending, connecting, getting mail); the
    /// words around it in a paste say more, so what they name comes first.
    pub generic: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    #[serde(default)]
    clients: Vec<String>,
    #[serde(default)]
    codes: Vec<String>,
    #[serde(default)]
    phrases: Vec<String>,
    #[serde(default)]
    smtp: Vec<String>,
    title: Bilingual,
    meaning: Bilingual,
    #[serde(default)]
    causes: Vec<Cause>,
    #[serde(default)]
    future_codes: Vec<String>,
    note: Option<Bilingual>,
    #[serde(default)]
    fix: BTreeMap<String, Bilingual>,
    #[serde(default)]
    generic: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    entry: Vec<RawEntry>,
}

/// Parses every catalogue file; the error names the file and what is wrong.
pub fn load() -> Result<Vec<Entry>, String> {
    let mut out: Vec<Entry> = Vec::new();
    for (family, text) in FILES {
        let raw: RawFile =
            toml::from_str(text).map_err(|e| format!("data/catalogue/{family}.toml: {e}"))?;
        for e in raw.entry {
            let at = |what: String| format!("data/catalogue/{family}.toml: {}: {what}", e.id);
            if out.iter().any(|o| o.id == e.id) {
                return Err(at("the id is used twice".into()));
            }
            let mut clients = Vec::new();
            for c in &e.clients {
                clients.push(Client::parse(c).ok_or_else(|| at(format!("unknown client `{c}`")))?);
            }
            let mut fix = Vec::new();
            for (c, text) in &e.fix {
                let client = Client::parse(c).ok_or_else(|| at(format!("unknown client `{c}`")))?;
                fix.push((client, text.clone()));
            }
            fix.sort_by_key(|(c, _)| *c);
            out.push(Entry {
                id: e.id.clone(),
                family: family.to_string(),
                clients,
                codes: e.codes,
                phrases: e.phrases,
                smtp: e.smtp,
                title: e.title,
                meaning: e.meaning,
                causes: e.causes,
                future_codes: e.future_codes,
                note: e.note,
                fix,
                generic: e.generic,
            });
        }
    }
    Ok(out)
}

/// Every entry, in file order. Empty only if the data were broken (the tests rule it out).
pub fn entries() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| load().unwrap_or_default())
}

/// The entry with this id.
pub fn entry(id: &str) -> Option<&'static Entry> {
    entries().iter().find(|e| e.id == id)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnhanced {
    class: BTreeMap<String, Bilingual>,
    subject: BTreeMap<String, Bilingual>,
    detail: BTreeMap<String, Bilingual>,
    #[serde(default)]
    codes: BTreeMap<String, Vec<Code>>,
    #[serde(default)]
    replies: BTreeMap<String, Vec<Code>>,
}

fn enhanced() -> Option<&'static RawEnhanced> {
    static TABLE: OnceLock<Option<RawEnhanced>> = OnceLock::new();
    TABLE.get_or_init(|| toml::from_str(ENHANCED).ok()).as_ref()
}

/// The meaning of an RFC 3463 class digit (`2`, `4`, `5`).
pub fn status_class(class: u16) -> Option<&'static Bilingual> {
    enhanced()?.class.get(&class.to_string())
}

/// The meaning of an RFC 3463 subject digit (`0`..`7`).
pub fn status_subject(subject: u16) -> Option<&'static Bilingual> {
    enhanced()?.subject.get(&subject.to_string())
}

/// The meaning of a subject.detail pair (`7.8`), from RFC 3463 and its updates (RFC 4954,
/// RFC 7372, RFC 3886...). Independent of the class.
pub fn status_detail(subject: u16, detail: u16) -> Option<&'static Bilingual> {
    enhanced()?.detail.get(&format!("{subject}.{detail}"))
}

/// The kinds of part `maildoc explain` recognises, as in `data/parts.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParts {
    response: BTreeMap<String, PartEntry>,
    socket: BTreeMap<String, PartEntry>,
    library: BTreeMap<String, PartEntry>,
    blocklist: BTreeMap<String, PartEntry>,
    typed: BTreeMap<String, PartEntry>,
    topic: BTreeMap<String, PartEntry>,
}

/// One recognised part's meaning and the findings it points to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartEntry {
    ja: String,
    en: String,
    #[serde(default)]
    codes: Vec<Code>,
    /// A topic's words: groups that must each have one of their words in the text.
    #[serde(default)]
    words: Vec<Vec<String>>,
    /// A topic that names an area (a connection, a login) rather than a cause.
    #[serde(default)]
    broad: bool,
    /// Words that must not be in the text for the topic to count (a capability list without
    /// `AUTH`).
    #[serde(default)]
    unless: Vec<String>,
    /// A topic that counts beside any message matched: a fact the text shows that its
    /// message does not say (a provider's server named, whose password logins are off; a
    /// port and an encryption that do not go together).
    #[serde(default)]
    beside: bool,
}

fn parts() -> Option<&'static RawParts> {
    static TABLE: OnceLock<Option<RawParts>> = OnceLock::new();
    TABLE.get_or_init(|| toml::from_str(PARTS).ok()).as_ref()
}

/// A kind of recognised part with its own meanings in `data/parts.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartTable {
    /// IMAP/POP3 response codes and providers' bracketed codes (`AUTHENTICATIONFAILED`).
    Response,
    /// Socket errors (`ECONNREFUSED`, `WSAETIMEDOUT`).
    Socket,
    /// Library error identifiers (`ERR_TLS_CERT_ALTNAME_INVALID`).
    Library,
    /// Blocklists by their short name (`spamhaus`).
    Blocklist,
    /// What a server name field held, as a failed lookup quotes it (`spaces-around-host`).
    Typed,
    /// What the words of a text speak of (`login-refused`).
    Topic,
}

fn part_table(table: PartTable) -> Option<&'static BTreeMap<String, PartEntry>> {
    let t = parts()?;
    Some(match table {
        PartTable::Response => &t.response,
        PartTable::Socket => &t.socket,
        PartTable::Library => &t.library,
        PartTable::Blocklist => &t.blocklist,
        PartTable::Typed => &t.typed,
        PartTable::Topic => &t.topic,
    })
}

/// A topic of `data/parts.toml`: what a text speaks of when each group of its words has one
/// of its words in the text.
#[derive(Debug)]
pub struct TopicWords {
    pub id: &'static str,
    pub words: &'static [Vec<String>],
    /// It names an area (a connection, a login) rather than a cause, and says less than a
    /// topic that names one.
    pub broad: bool,
    /// It counts beside any message matched (a fact the text shows).
    pub beside: bool,
    /// It does not count when one of these words is in the text.
    pub unless: &'static [String],
}

/// Every topic.
pub fn topics() -> impl Iterator<Item = TopicWords> {
    parts().into_iter().flat_map(|t| {
        t.topic.iter().map(|(id, p)| TopicWords {
            id: id.as_str(),
            words: p.words.as_slice(),
            broad: p.broad,
            beside: p.beside,
            unless: p.unless.as_slice(),
        })
    })
}

/// The meaning of a recognised part (`key` as in the table: upper-case response codes,
/// errno and WSA names, library identifiers as the library spells them, lower-case
/// blocklist names).
pub fn part_meaning(table: PartTable, key: &str) -> Option<Bilingual> {
    part_table(table)?.get(key).map(|p| Bilingual {
        ja: p.ja.clone(),
        en: p.en.clone(),
    })
}

/// The findings a recognised part points to, most likely first.
pub fn part_codes(table: PartTable, key: &str) -> &'static [Code] {
    part_table(table)
        .and_then(|t| t.get(key))
        .map_or(&[], |p| p.codes.as_slice())
}

/// Every key of a part table.
pub fn part_keys(table: PartTable) -> impl Iterator<Item = &'static str> {
    part_table(table)
        .into_iter()
        .flat_map(|t| t.keys().map(String::as_str))
}

/// Parses the parts table; used by the tests.
pub fn parts_table_ok() -> Result<usize, String> {
    let t: RawParts = toml::from_str(PARTS).map_err(|e| format!("data/parts.toml: {e}"))?;
    Ok(t.response.len() + t.socket.len() + t.library.len() + t.blocklist.len() + t.topic.len())
}

/// The findings an enhanced status code points to, most likely first (empty when the table
/// names none): `class.subject.detail` first, then the same for any class.
pub fn status_codes(class: u16, subject: u16, detail: u16) -> &'static [Code] {
    let Some(t) = enhanced() else { return &[] };
    t.codes
        .get(&format!("{class}.{subject}.{detail}"))
        .or_else(|| t.codes.get(&format!("x.{subject}.{detail}")))
        .map_or(&[], Vec::as_slice)
}

/// The findings a bare reply code (`553`) points to, most likely first (empty when the table
/// names none).
pub fn reply_codes(reply: u16) -> &'static [Code] {
    enhanced()
        .and_then(|t| t.replies.get(&reply.to_string()))
        .map_or(&[], Vec::as_slice)
}

/// Parses the enhanced status table; used by the tests.
pub fn enhanced_table_ok() -> Result<(usize, usize, usize), String> {
    let t: RawEnhanced =
        toml::from_str(ENHANCED).map_err(|e| format!("data/enhanced-status.toml: {e}"))?;
    Ok((t.class.len(), t.subject.len(), t.detail.len()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]
    use super::*;

    fn all() -> Vec<Entry> {
        load().unwrap_or_else(|e| panic!("{e}"))
    }

    fn has_japanese(s: &str) -> bool {
        s.chars()
            .any(|c| matches!(c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF))
    }

    #[test]
    fn every_entry_is_complete_in_both_languages() {
        let all = all();
        assert!(all.len() > 60, "{}", all.len());
        for e in &all {
            let id = &e.id;
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
                "{id}: ids are lower-case"
            );
            assert!(
                !e.codes.is_empty() || !e.phrases.is_empty() || !e.smtp.is_empty(),
                "{id}: nothing to match"
            );
            for b in [&e.title, &e.meaning]
                .into_iter()
                .chain(e.note.as_ref())
                .chain(e.fix.iter().map(|(_, b)| b))
            {
                assert!(!b.ja.trim().is_empty() && !b.en.trim().is_empty(), "{id}");
                assert!(has_japanese(&b.ja), "{id}: `{}` is not Japanese", b.ja);
                assert!(!has_japanese(&b.en), "{id}: `{}` is not English", b.en);
            }
            let mut last = 101;
            let mut seen = Vec::new();
            for c in &e.causes {
                assert!((1..=100).contains(&c.likelihood), "{id}: {}", c.code);
                assert!(
                    c.likelihood <= last,
                    "{id}: causes are listed most likely first"
                );
                last = c.likelihood;
                assert!(!seen.contains(&c.code), "{id}: {} twice", c.code);
                seen.push(c.code);
                assert!(
                    has_japanese(&c.ja) && !has_japanese(&c.en),
                    "{id}: {}",
                    c.code
                );
            }
            assert!(
                !e.causes.is_empty() || e.note.is_some(),
                "{id}: no cause and no note"
            );
            for f in &e.future_codes {
                assert!(
                    Code::parse(f).is_none(),
                    "{id}: `{f}` exists now: list it under causes"
                );
            }
            for s in &e.smtp {
                let ok = s.split(' ').all(|part| {
                    part.split('.')
                        .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                });
                assert!(ok, "{id}: smtp pattern `{s}`");
            }
        }
    }

    #[test]
    fn every_family_has_entries() {
        let all = all();
        for (family, _) in FILES {
            assert!(
                all.iter().filter(|e| e.family == *family).count() >= 3,
                "{family}"
            );
        }
    }

    #[test]
    fn the_parts_table_is_complete_in_both_languages() {
        let n = parts_table_ok().unwrap_or_else(|e| panic!("{e}"));
        assert!(n > 60, "{n}");
        for table in [
            PartTable::Response,
            PartTable::Socket,
            PartTable::Library,
            PartTable::Blocklist,
            PartTable::Typed,
            PartTable::Topic,
        ] {
            for key in part_keys(table) {
                let m = part_meaning(table, key).unwrap_or_else(|| panic!("{key}"));
                assert!(has_japanese(&m.ja) && !has_japanese(&m.en), "{key}: {m:?}");
            }
        }
        // Each topic has words in every group and findings to point to; no other part has
        // words.
        let all = parts().unwrap_or_else(|| panic!("parts.toml"));
        assert!(all.topic.len() >= 20, "{}", all.topic.len());
        for (id, p) in &all.topic {
            assert!(!p.words.is_empty() && !p.codes.is_empty(), "{id}");
            assert!(p.words.iter().all(|g| !g.is_empty()), "{id}");
            // One word cannot stand for two groups.
            for (i, group) in p.words.iter().enumerate() {
                for other in &p.words[i + 1..] {
                    assert!(group.iter().all(|w| !other.contains(w)), "{id}: {group:?}");
                }
            }
            assert!(
                p.unless
                    .iter()
                    .all(|u| p.words.iter().all(|g| !g.contains(u))),
                "{id}: a word both needed and ruled out"
            );
            let shortest = p.words.iter().flatten().map(|w| w.chars().count()).min();
            assert!(
                shortest.is_some_and(|n| n >= 2),
                "{id}: a word too short to mean anything"
            );
        }
        for table in [&all.response, &all.socket, &all.library, &all.blocklist] {
            assert!(table.values().all(|p| p.words.is_empty()));
        }
        assert!(part_meaning(PartTable::Response, "AUTHENTICATIONFAILED").is_some());
        assert_eq!(
            part_codes(PartTable::Socket, "ECONNREFUSED").first(),
            Some(&Code::ConnectRefused)
        );
        assert!(part_meaning(PartTable::Blocklist, "spamhaus").is_some());
    }

    #[test]
    fn the_enhanced_status_table_is_complete() {
        let (classes, subjects, details) = enhanced_table_ok().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((classes, subjects), (3, 8));
        assert!(details > 40);
        for t in enhanced().iter().flat_map(|t| {
            t.class
                .values()
                .chain(t.subject.values())
                .chain(t.detail.values())
        }) {
            assert!(has_japanese(&t.ja) && !has_japanese(&t.en), "{t:?}");
        }
        assert!(status_detail(7, 8).is_some());
        assert_eq!(status_codes(5, 2, 2), [Code::MailboxOverQuota]);
        assert!(status_codes(5, 9, 9).is_empty());
        assert_eq!(reply_codes(504), [Code::AuthMechanismUnsupported]);
        assert!(reply_codes(250).is_empty());
        assert!(status_class(5).is_some());
    }
}
