//! `maildoc explain`'s core: from an error text (an Outlook error number, a mail app's
//! message, an SMTP reply, a whole pasted bounce) to the catalogue entries it matches and the
//! finding codes it can mean, ranked, with the checks that tell them apart.
//!
//! Pure: no I/O, no clock, no words of its own. The entries and their texts come from
//! [`maildoc_kb::catalogue`]; renderers pick the language.
//!
//! Matching is tolerant: the text and the patterns are compared after NFKC (full-width and
//! half-width alike), lower-casing, and dropping spaces, quotes, most punctuation and the
//! katakana long-vowel mark (`サーバー` = `サーバ`). A `*` in a phrase stands for a quoted
//! host or user name. Error numbers match as whole hex words with or without `0x`. SMTP
//! replies and RFC 3463 enhanced status codes are parsed wherever they occur.

mod parts;
mod resemble;

pub use parts::{Part, PartKind};

use maildoc_kb::catalogue::{self, Bilingual, Entry};
use maildoc_model::Code;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use unicode_normalization::UnicodeNormalization;

/// The version of the JSON form of [`Explanation`].
pub const SCHEMA_VERSION: u32 = 1;

/// Entries scoring below this share of the best entry's score are dropped as noise.
const KEEP_SHARE: f64 = 0.6;
/// At most this many matched entries are kept.
const MAX_MATCHES: usize = 6;
/// At most this many suggestions are given for unknown text.
const MAX_SUGGESTIONS: usize = 3;
/// The longest input read (characters); the rest of a huge paste is ignored.
const MAX_INPUT: usize = 64 * 1024;
/// In a bounce, the share of the likelihood that the delivery status's own findings get.
const BOUNCE_STATUS_SHARE: f64 = 0.4;
/// Only the first lines of a paste are tried for a message cut off at either end: a cut
/// paste is short, and a whole bounce's later lines are its headers and quoted message.
const PARTIAL_LINES: usize = 12;
/// How sure a guess from the words alone may be, at most (a share of 100 %).
const TOPIC_SHARE: f64 = 0.5;
/// A generic message ("sending failed") beside a more specific entry weighs this share of
/// its score.
const GENERIC_SCORE: f64 = 0.5;
/// When only generic messages matched, the share of the likelihood that the parts and the
/// topics the other words speak of get.
const GENERIC_TOPIC_SHARE: f64 = 0.6;
/// When only the structure (a status, a response code) says anything, the share of the
/// likelihood that the topics the words speak of get.
const STRUCTURE_TOPIC_SHARE: f64 = 0.5;
/// The same beside a library's error or a blocklist that the text names, which say more
/// than words around them (a traceback's `email.sender`).
const NAMED_TOPIC_SHARE: f64 = 0.3;
/// Beside the messages matched, the share of the likelihood that a topic counting beside
/// them (a fact the text shows) gets.
const BESIDE_TOPIC_SHARE: f64 = 0.3;
/// A topic whose first cause is among a generic message's first this many says nothing new.
const GENERIC_LEADS: usize = 2;
/// Beside the guesses of parts and topics, the entries the words resemble count this share.
const RESEMBLING_SHARE: f64 = 0.3;

/// The most characters a `*` in a phrase may stand for.
const MAX_GAP: usize = 120;

/// How much more a server name typed wrong (`smtp.ｇmail.com`, an address) counts than other
/// parts: it is what the lookup was asked, not a guess.
const TYPED_WEIGHT: f64 = 3.0;

/// What a text means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub schema_version: u32,
    /// Nothing in the catalogue matched and no SMTP status or part pointed anywhere; the
    /// candidates, if any, are then guesses from the words the text speaks of (its parts of
    /// kind [`PartKind::Topic`]) and from the entries whose phrases its words resemble (the
    /// first of the suggestions).
    pub unknown: bool,
    /// The matched catalogue entries, best first.
    pub matches: Vec<Match>,
    /// The finding codes the text can mean, most likely first, merged across the matches.
    pub candidates: Vec<Candidate>,
    /// Every SMTP reply / enhanced status code found, in order of appearance.
    pub statuses: Vec<SmtpStatus>,
    /// The lines of the input that matter (status lines of a bounce, matched lines).
    pub key_lines: Vec<String>,
    /// Codes a later maildoc will know (SPF, DMARC, ...), named by the matched entries.
    pub future_codes: Vec<String>,
    /// When no phrase matched: the closest entries, those whose phrases share the text's
    /// rarer words first, then those spelled most alike.
    pub suggestions: Vec<Suggestion>,
    /// What was recognised in the text before any phrase: response codes, socket errors,
    /// library identifiers, blocklists, addresses and hosts.
    #[serde(default)]
    pub parts: Vec<Part>,
}

/// One matched catalogue entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub id: String,
    pub family: String,
    /// The pattern that matched, as written in the catalogue.
    pub pattern: String,
    /// The input line it matched in (trimmed).
    pub line: String,
    pub score: u32,
}

/// A candidate cause: a finding code with its likelihood (percent) and how to confirm it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub code: Code,
    pub likelihood: u8,
    /// The matched entries that name this code, best first.
    pub entries: Vec<String>,
    /// The check that confirms or rules it out (from the best of those entries).
    pub check: Bilingual,
}

/// An SMTP reply code and/or enhanced status code seen in the text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpStatus {
    /// The three-digit reply code (`550`), when present.
    pub reply: Option<u16>,
    /// The enhanced status code (`5.7.1`), when present.
    pub enhanced: Option<String>,
    /// The line it was found in (trimmed).
    pub line: String,
}

impl SmtpStatus {
    /// The enhanced code as numbers (class, subject, detail).
    pub fn enhanced_parts(&self) -> Option<(u16, u16, u16)> {
        let e = self.enhanced.as_deref()?;
        let mut it = e.split('.').map(|p| p.parse::<u16>().ok());
        Some((it.next()??, it.next()??, it.next()??))
    }
}

/// A catalogue entry close to an unknown text, with its similarity (0..=100).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub id: String,
    pub similarity: u8,
}

impl Explanation {
    /// The candidate codes in rank order.
    pub fn codes(&self) -> Vec<Code> {
        self.candidates.iter().map(|c| c.code).collect()
    }
}

/// Explains `input` with the embedded catalogue.
pub fn explain(input: &str) -> Explanation {
    explain_with(input, catalogue::entries())
}

/// Explains `input` against `entries` (tests use their own).
pub fn explain_with(input: &str, entries: &[Entry]) -> Explanation {
    let input: String = input.chars().take(MAX_INPUT).collect();
    let mut lines: Vec<Line> = input
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(Line::new)
        .filter(|l| !passed_spf(l.nfkc_lower()))
        .collect();
    // A bounce that returns the message: only what comes before the message says why.
    if let Some(cut) = returned_message_at(&lines) {
        lines.truncate(cut);
    }
    let bounce = lines.iter().any(|l| {
        let low = l.nfkc_lower();
        low.starts_with("diagnostic-code:") || low.starts_with("status:")
    });
    // A phrase broken over two lines of a paste still matches in the joined text.
    let joined = Line::new(
        &lines
            .iter()
            .map(|l| l.raw.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    );
    let statuses = parse_statuses(&lines);
    let raw: Vec<&str> = lines.iter().map(|l| l.raw.as_str()).collect();
    let mut parts = parts::parts(&raw);

    let whole: String = lines.iter().map(|l| l.squashed.as_str()).collect();
    let mut found: Vec<(Match, How)> = entries
        .iter()
        .filter_map(|e| match_entry(e, &lines, &joined, &whole, &statuses))
        .collect();
    // An error number in the text settles which numbered entry is meant: numbered entries
    // that matched only by words (`An unknown error has occurred`) step back.
    let numbered = |id: &str| entries.iter().any(|e| e.id == id && !e.codes.is_empty());
    if found.iter().any(|(_, how)| *how == How::Number) {
        found.retain(|(m, how)| *how == How::Number || !numbered(&m.id));
    }
    // "Sending failed" says less than an entry that names the problem (its error number
    // says more: that is the message the app showed).
    let generic = |id: &str| entries.iter().any(|e| e.id == id && e.generic);
    // Words found only inside a longer phrase that another entry matched belong to that
    // phrase: "authentication failed" in "SPF authentication failed with a permanent error".
    let within: Vec<usize> = (0..found.len())
        .filter(|&b| {
            found.iter().enumerate().any(|(a, (long, how))| {
                a != b
                    && *how == How::Phrase
                    && found[b].1 == How::Phrase
                    && within_phrase(&found[b].0.pattern, &long.pattern, &whole)
            })
        })
        .collect();
    let mut at = 0;
    found.retain(|_| {
        at += 1;
        !within.contains(&(at - 1))
    });
    if found
        .iter()
        .any(|(m, how)| !generic(&m.id) && *how != How::Partial)
    {
        for (m, how) in &mut found {
            if generic(&m.id) && *how != How::Number {
                m.score = (f64::from(m.score) * GENERIC_SCORE).round() as u32;
            }
        }
    }
    // Entries that matched by a reply or status code alone: they say what a bare status says.
    let by_code: Vec<String> = found
        .iter()
        .filter(|(_, how)| *how == How::Smtp)
        .map(|(m, _)| m.id.clone())
        .collect();
    // A reply code alone says less than words that name the problem, and the entries it
    // matched say it together, once.
    if found.iter().any(|(_, how)| *how != How::Smtp) {
        let sharing = by_code.len() as u32;
        for (m, how) in &mut found {
            if *how == How::Smtp {
                m.score = m.score * 3 / (5 * sharing);
            }
        }
    }
    let mut matches: Vec<Match> = found.into_iter().map(|(m, _)| m).collect();
    matches.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    if let Some(top) = matches.first().map(|m| m.score) {
        matches.retain(|m| f64::from(m.score) >= f64::from(top) * KEEP_SHARE);
    }
    matches.truncate(MAX_MATCHES);

    let mut candidates = merge(&matches, entries);
    // No entry fits: what the parts and statuses point to, if anything. In a delivery status
    // notification the status is the server's own verdict: it counts beside the words; so
    // do the parts beside a message that only says something failed.
    let only_generic = !matches.is_empty() && matches.iter().all(|m| generic(&m.id));
    let from_structure = structural(&parts, &statuses);
    let only_replies = matches.is_empty() && from_structure.is_empty();
    // A blocklist or a library's error named in the text, or a server name typed with what no
    // name holds, says as much as a bounce's status.
    let named = parts.iter().any(|p| {
        matches!(
            p.kind,
            PartKind::Blocklist | PartKind::LibraryError | PartKind::Typed
        )
    });
    if candidates.is_empty() {
        candidates = from_structure;
    } else if (bounce || named) && !from_structure.is_empty() {
        candidates = blend(candidates, from_structure, BOUNCE_STATUS_SHARE);
    } else if only_generic && !from_structure.is_empty() {
        candidates = blend(candidates, from_structure, GENERIC_TOPIC_SHARE);
    }
    // Unknown is what matched nothing: a guess from the words below does not make it known.
    let unknown = matches.is_empty() && statuses.is_empty() && candidates.is_empty();
    // Nothing more precise, only a generic message, or only a status or entries matched by a
    // reply code: what the words speak of counts too, as a guess (at most TOPIC_SHARE sure)
    // or beside those causes; the topics are shown among the parts. Beside anything else
    // only the topics of facts the text shows (a provider's server, a port and an
    // encryption that do not go together) count.
    let only_codes = !candidates.is_empty() && matches.iter().all(|m| by_code.contains(&m.id));
    let squashed: Vec<&str> = lines.iter().map(|l| l.squashed.as_str()).collect();
    let all_topics = candidates.is_empty() || only_generic || only_codes;
    let topics = parts::topics(&raw, &squashed, &whole, !all_topics);
    if all_topics {
        let share = if named && (matches.is_empty() || only_generic) {
            NAMED_TOPIC_SHARE
        } else if only_generic {
            GENERIC_TOPIC_SHARE
        } else {
            STRUCTURE_TOPIC_SHARE
        };
        candidates = with_topics(candidates, topics, share, &mut parts);
    } else if !topics.is_empty() {
        candidates = with_topics(candidates, topics, BESIDE_TOPIC_SHARE, &mut parts);
    }
    // Nothing but a bare reply code (`553 ...` in words no entry knows): what such a reply
    // usually means, as a guess; after what the words speak of, when they speak of something.
    if only_replies {
        let floor = candidates.last().map(|c| c.likelihood);
        for mut c in from_replies(&statuses, TOPIC_SHARE) {
            if !candidates.iter().any(|o| o.code == c.code) {
                if let Some(floor) = floor {
                    c.likelihood = c.likelihood.min(floor.saturating_sub(1)).max(1);
                }
                candidates.push(c);
            }
        }
    }
    // No phrase is in the text: the entries whose phrases share its rarer words count as
    // guesses too, beside what its parts and topics point to.
    let resembling = if matches.is_empty() {
        resemble::resemble(joined.nfkc_lower(), entries)
    } else {
        Vec::new()
    };
    if !resembling.is_empty() {
        let close: Vec<Match> = resembling
            .iter()
            .map(|r| Match {
                id: r.id.clone(),
                family: String::new(),
                pattern: r.phrase.clone(),
                line: String::new(),
                score: (r.score * 100.0).round() as u32,
            })
            .collect();
        let guesses = merge(&close, entries);
        candidates = if candidates.is_empty() {
            blend(Vec::new(), guesses, TOPIC_SHARE)
        } else {
            blend(candidates, guesses, RESEMBLING_SHARE)
        };
    }
    let mut future_codes: Vec<String> = Vec::new();
    for m in &matches {
        if let Some(e) = entries.iter().find(|e| e.id == m.id) {
            for f in &e.future_codes {
                if !future_codes.contains(f) {
                    future_codes.push(f.clone());
                }
            }
        }
    }
    let mut key_lines: Vec<String> = Vec::new();
    let mut push_line = |l: &str| {
        if !l.is_empty() && !key_lines.iter().any(|k| k == l) {
            key_lines.push(l.to_string());
        }
    };
    for l in &lines {
        let low = l.nfkc_lower();
        if [
            "status:",
            "diagnostic-code:",
            "remote-mta:",
            "final-recipient:",
            "action:",
        ]
        .iter()
        .any(|p| low.starts_with(p))
        {
            push_line(&l.raw);
        }
    }
    for s in &statuses {
        push_line(&s.line);
    }
    for m in &matches {
        push_line(&m.line);
    }
    // The entries the words resemble come first among the closest: the guesses are theirs.
    let mut suggestions: Vec<Suggestion> = resembling
        .iter()
        .map(|r| Suggestion {
            id: r.id.clone(),
            similarity: (r.cover * 100.0).round().clamp(0.0, 100.0) as u8,
        })
        .collect();
    if matches.is_empty() {
        for s in suggest(&joined, entries) {
            if !suggestions.iter().any(|o| o.id == s.id) {
                suggestions.push(s);
            }
        }
        suggestions.truncate(MAX_SUGGESTIONS);
    }
    Explanation {
        schema_version: SCHEMA_VERSION,
        unknown,
        matches,
        candidates,
        statuses,
        key_lines,
        future_codes,
        suggestions,
        parts,
    }
}

/// A bounce's own `Received-SPF:` header (`low`: lower case) that reports no failure
/// (`pass`, `none`, `neutral`): its words ("does not designate permitted sender hosts") are
/// no refusal.
fn passed_spf(low: &str) -> bool {
    low.strip_prefix("received-spf:").is_some_and(|rest| {
        let result = rest.trim_start();
        ["pass", "none", "neutral"]
            .iter()
            .any(|r| result.starts_with(r))
    })
}

// ---------------------------------------------------------------------------------------
// Normalization

/// One input line in its forms.
struct Line {
    raw: String,
    /// NFKC, lower case, spaces kept (for hex words).
    spaced: String,
    /// [`squash`]ed (for phrases).
    squashed: String,
}

impl Line {
    fn new(raw: &str) -> Line {
        let raw: String = raw.chars().take(2000).collect();
        let read = without_local_parts(&raw);
        Line {
            spaced: nfkc_lower(&read),
            squashed: squash(&read),
            raw,
        }
    }

    fn nfkc_lower(&self) -> &str {
        &self.spaced
    }
}

/// `s` without the local part of each mail address (`<no-such-user@example.jp>` reads
/// `<@example.jp>`): the words someone chose for an address name no problem.
fn without_local_parts(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('@') {
        return std::borrow::Cow::Borrowed(s);
    }
    let local = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    // Up to `copied` the text is in `out`.
    let mut copied = 0;
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let domain: String = chars[at + 1..]
            .iter()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
            .collect();
        if !domain.starts_with(char::is_alphanumeric) || !domain.contains('.') {
            continue;
        }
        let mut start = at;
        while start > copied && local(chars[start - 1]) {
            start -= 1;
        }
        out.extend(&chars[copied..start]);
        copied = at;
    }
    out.extend(&chars[copied..]);
    std::borrow::Cow::Owned(out)
}

pub(crate) fn nfkc_lower(s: &str) -> String {
    s.nfkc().collect::<String>().to_lowercase()
}

/// NFKC, lower case, without spaces, quotes, most punctuation and `ー`.
pub fn squash(s: &str) -> String {
    nfkc_lower(s)
        .chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    'ー' | '-'
                        | '‐'
                        | '−'
                        | '"'
                        | '\''
                        | '“'
                        | '”'
                        | '‘'
                        | '’'
                        | '「'
                        | '」'
                        | '『'
                        | '』'
                        | '«'
                        | '»'
                        | '.'
                        | ','
                        | '!'
                        | '?'
                        | '。'
                        | '、'
                        | '('
                        | ')'
                        | '（'
                        | '）'
                        | ':'
                        | ';'
                        | '['
                        | ']'
                        | '<'
                        | '>'
                        | '…'
                        | '・'
                )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Matching

/// How an entry matched, at best.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    Number,
    Phrase,
    /// A phrase cut off at either end of a paste.
    Partial,
    Smtp,
}

/// `whole` is every line's squashed form, one after the other.
fn match_entry(
    e: &Entry,
    lines: &[Line],
    joined: &Line,
    whole: &str,
    statuses: &[SmtpStatus],
) -> Option<(Match, How)> {
    let mut best: Option<(u32, String, String, How)> = None;
    let mut consider = |score: u32, pattern: &str, line: &str, how: How| {
        if best.as_ref().is_none_or(|(s, _, _, _)| score > *s) {
            best = Some((score, pattern.to_string(), line.to_string(), how));
        }
    };
    for code in &e.codes {
        if let Some(line) = lines
            .iter()
            .find(|l| has_hex_word(&l.spaced, code))
            .map(|l| l.raw.as_str())
            .or_else(|| has_hex_word(&joined.spaced, code).then_some(""))
        {
            consider(100, code, line, How::Number);
        }
    }
    for phrase in &e.phrases {
        let parts = phrase_parts(phrase);
        let parts: &[String] = &parts;
        if parts.is_empty() {
            continue;
        }
        let len: usize = parts.iter().map(|p| p.chars().count()).sum();
        let score = 40 + u32::try_from(len.min(40)).unwrap_or(40);
        // A short word (`spf`, `rbl`) counts only as a word of its own: squashed, the text's
        // words run together (`error: DNS` holds `rdns`).
        if let [word] = parts
            && is_short_word(word)
        {
            if let Some(l) = lines.iter().find(|l| has_word(&l.spaced, word)) {
                consider(score, phrase, &l.raw, How::Phrase);
            }
            continue;
        }
        // Most phrases are nowhere in the text: one search of all its lines says so.
        let anywhere = has_parts(whole, parts);
        if let Some(l) = lines
            .iter()
            .filter(|_| anywhere)
            .find(|l| has_parts(&l.squashed, parts))
        {
            consider(score, phrase, &l.raw, How::Phrase);
        } else if anywhere && has_parts(&joined.squashed, parts) {
            consider(
                score,
                phrase,
                first_line_with(lines, &parts[0]),
                How::Phrase,
            );
        } else if let Some((l, n)) = lines
            .iter()
            .take(PARTIAL_LINES)
            .filter_map(|l| partial_parts(&l.squashed, parts).map(|n| (l, n)))
            .max_by_key(|(_, n)| *n)
        {
            // A paste cut off at either end still names its message, with less weight.
            let n = u32::try_from(n.min(50)).unwrap_or(50);
            consider(25 + n / 2, phrase, &l.raw, How::Partial);
        }
    }
    let mut smtp_best: Option<(u32, &str, &str)> = None;
    for pattern in &e.smtp {
        if let Some((score, line)) = smtp_match(pattern, statuses)
            && smtp_best.is_none_or(|(s, _, _)| score > s)
        {
            smtp_best = Some((score, pattern, line));
        }
    }
    let (score, pattern, line, how) = match (best, smtp_best) {
        (Some((s, p, l, how)), Some((extra, _, _))) => (s + extra / 2, p, l, how),
        (Some(b), None) => b,
        (None, Some((s, p, l))) => (s, p.to_string(), l.to_string(), How::Smtp),
        (None, None) => return None,
    };
    Some((
        Match {
            id: e.id.clone(),
            family: e.family.clone(),
            pattern,
            line,
            score,
        },
        how,
    ))
}

/// A phrase's pieces between its `*`s, squashed; for the embedded catalogue's phrases made
/// once and kept (squashing them again for every text was a fifth of the time a short text
/// took).
fn phrase_parts(phrase: &str) -> std::borrow::Cow<'static, [String]> {
    static KEPT: std::sync::OnceLock<std::collections::HashMap<&'static str, Vec<String>>> =
        std::sync::OnceLock::new();
    let split = |p: &str| -> Vec<String> {
        p.split('*')
            .map(squash)
            .filter(|piece| !piece.is_empty())
            .collect()
    };
    let kept = KEPT.get_or_init(|| {
        catalogue::entries()
            .iter()
            .flat_map(|e| &e.phrases)
            .map(|p| (p.as_str(), split(p)))
            .collect()
    });
    match kept.get(phrase) {
        Some(parts) => std::borrow::Cow::Borrowed(parts.as_slice()),
        None => std::borrow::Cow::Owned(split(phrase)),
    }
}

/// The single-piece phrase `short` occurs in `whole` only inside the single-piece phrase
/// `long`, which holds it.
fn within_phrase(short: &str, long: &str, whole: &str) -> bool {
    let (short, long) = (phrase_parts(short), phrase_parts(long));
    let ([short], [long]) = (&short[..], &long[..]) else {
        return false;
    };
    long.len() > short.len()
        && long.contains(short.as_str())
        && whole.contains(long.as_str())
        && !whole
            .replace(long.as_str(), "\u{0}")
            .contains(short.as_str())
}

fn first_line_with<'a>(lines: &'a [Line], part: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.squashed.contains(part))
        .map(|l| l.raw.as_str())
        .unwrap_or("")
}

/// The parts occur in order, each gap at most [`MAX_GAP`] characters.
fn has_parts(text: &str, parts: &[String]) -> bool {
    let Some(first) = parts.first() else {
        return false;
    };
    'start: for (start, _) in text.match_indices(first.as_str()) {
        let mut at = start + first.len();
        for part in &parts[1..] {
            let rest = &text[at..];
            match rest.find(part.as_str()) {
                Some(i) if rest[..i].chars().count() <= MAX_GAP => at += i + part.len(),
                _ => continue 'start,
            }
        }
        return true;
    }
    false
}

/// The shortest cut-off piece of a phrase that counts as a partial paste (characters).
const MIN_PARTIAL: usize = 10;
/// The same for a piece in Latin letters alone, whose characters say less each: a text that
/// merely starts with "connection" or "certificate" is no cut-off paste.
const MIN_PARTIAL_ASCII: usize = 18;

/// A cut-off piece of `n` characters (`ascii`: all of them Latin letters and the like) long
/// enough to count.
fn enough(n: usize, ascii: bool) -> bool {
    n >= MIN_PARTIAL && (n >= MIN_PARTIAL_ASCII || !ascii)
}

/// How many characters of the phrase a paste cut off at its end or its start shows: the
/// text ends in the phrase's beginning (or after its first parts), or starts with its end.
fn partial_parts(text: &str, parts: &[String]) -> Option<usize> {
    let first = parts.first()?;
    let last = parts.last()?;
    let mut best = 0;
    // The leading parts in order, then the text ends (within a gap) before the rest.
    for k in (1..parts.len()).rev() {
        if has_parts(text, &parts[..k]) {
            let at = text.rfind(parts[k - 1].as_str()).unwrap_or(0) + parts[k - 1].len();
            let n = parts[..k].iter().map(|p| p.chars().count()).sum();
            if text[at..].chars().count() <= MAX_GAP
                && enough(n, parts[..k].iter().all(|p| p.is_ascii()))
            {
                best = best.max(n);
            }
            break;
        }
    }
    // The text ends with the beginning of the first part: its first n characters, n from
    // the longest down (`starts[n]` is where character n starts).
    let starts: Vec<usize> = first.char_indices().map(|(i, _)| i).collect();
    for n in (MIN_PARTIAL..starts.len()).rev() {
        let piece = &first[..starts[n]];
        if text.ends_with(piece) {
            if enough(n, piece.is_ascii()) {
                best = best.max(n);
            }
            break;
        }
    }
    // The text starts with the end of the last part: its last n characters.
    let starts: Vec<usize> = last.char_indices().map(|(i, _)| i).collect();
    for n in (MIN_PARTIAL..starts.len()).rev() {
        let piece = &last[starts[starts.len() - n]..];
        if text.starts_with(piece) {
            if enough(n, piece.is_ascii()) {
                best = best.max(n);
            }
            break;
        }
    }
    (best >= MIN_PARTIAL).then_some(best)
}

/// The longest phrase that must stand as a word of its own to count.
const SHORT_WORD: usize = 5;

/// `word` is a short run of Latin letters and digits (`spf`, `rdns`, `s3150`).
fn is_short_word(word: &str) -> bool {
    word.len() <= SHORT_WORD && word.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `word` occurs in `text` (lower case) with no letter or digit on either side.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        !text[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
            && !text[i + word.len()..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric)
    })
}

/// `code` (`0x800CCC0E`) occurs in `text` (lower case) as a whole hex word, `0x` optional.
fn has_hex_word(text: &str, code: &str) -> bool {
    let code = code.to_ascii_lowercase();
    let hex = code.trim_start_matches("0x");
    for (i, _) in text.match_indices(hex) {
        let before = text[..i].trim_end_matches("0x");
        let ok_before = !before
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let ok_after = !text[i + hex.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if ok_before && ok_after {
            return true;
        }
    }
    false
}

fn smtp_match<'a>(pattern: &str, statuses: &'a [SmtpStatus]) -> Option<(u32, &'a str)> {
    let mut parts = pattern.split(' ');
    let first = parts.next()?;
    let second = parts.next();
    let (reply, enhanced) = match (first.contains('.'), second) {
        (false, Some(e)) => (first.parse::<u16>().ok(), Some(e)),
        (false, None) => (first.parse::<u16>().ok(), None),
        (true, _) => (None, Some(first)),
    };
    let score = match (reply, enhanced) {
        (Some(_), Some(_)) => 60,
        (None, Some(_)) => 45,
        _ => 30,
    };
    statuses
        .iter()
        .find(|s| {
            reply.is_none_or(|r| s.reply == Some(r))
                && enhanced.is_none_or(|e| s.enhanced.as_deref() == Some(e))
        })
        .map(|s| (score, s.line.as_str()))
}

/// Merges the matches' causes: each entry weighs by its score relative to the best.
fn merge(matches: &[Match], entries: &[Entry]) -> Vec<Candidate> {
    let Some(top) = matches.first().map(|m| f64::from(m.score)) else {
        return Vec::new();
    };
    let mut total = 0.0;
    let mut acc: BTreeMap<Code, (f64, Vec<String>, Option<Bilingual>)> = BTreeMap::new();
    for m in matches {
        let Some(e) = entries.iter().find(|e| e.id == m.id) else {
            continue;
        };
        // Entries that matched the same words share them: the words are one piece of
        // evidence, whichever entries know them.
        let words = squash(&m.pattern);
        let sharing = matches
            .iter()
            .filter(|o| squash(&o.pattern) == words)
            .count();
        let w = f64::from(m.score) / top / sharing as f64;
        total += w;
        for c in &e.causes {
            let slot = acc.entry(c.code).or_insert((0.0, Vec::new(), None));
            slot.0 += w * f64::from(c.likelihood);
            slot.1.push(e.id.clone());
            if slot.2.is_none() {
                slot.2 = Some(Bilingual {
                    ja: c.ja.clone(),
                    en: c.en.clone(),
                });
            }
        }
    }
    let mut out: Vec<Candidate> = acc
        .into_iter()
        .map(|(code, (sum, entries, check))| {
            let pct = if total > 0.0 { sum / total } else { 0.0 };
            Candidate {
                code,
                likelihood: pct.round().clamp(1.0, 100.0) as u8,
                entries,
                check: check.unwrap_or(Bilingual {
                    ja: String::new(),
                    en: String::new(),
                }),
            }
        })
        .collect();
    out.sort_by(|a, b| b.likelihood.cmp(&a.likelihood).then(a.code.cmp(&b.code)));
    out
}

/// Where a bounce starts returning the original message (its headers and text say nothing
/// about why it bounced, yet may hold any phrase): the line of the marker, when some line
/// comes before it.
fn returned_message_at(lines: &[Line]) -> Option<usize> {
    const MARKERS: &[&str] = &[
        "content-type: message/rfc822",
        "content-type: text/rfc822-headers",
        "content-type: message/rfc822-headers",
        "content-type: message/global",
        "------ this is a copy of the message",
        "--- below this line is a copy of the message",
        "----- original message -----",
        "-----original message-----",
        "------ original message ------",
        "--- the header of the original message is following",
        "----- the following is the original message",
        "original message follows",
        "-----元のメッセージ-----",
        "----- 元のメッセージ -----",
        "元のメッセージ",
    ];
    lines
        .iter()
        .position(|l| {
            let low = l.nfkc_lower();
            MARKERS.iter().any(|m| low.starts_with(m))
        })
        .filter(|&at| at > 0)
}

/// `a` and `b` mixed, `b` with `share` of the weight; a code in both sums.
fn blend(a: Vec<Candidate>, b: Vec<Candidate>, share: f64) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    for (list, w) in [(a, 1.0 - share), (b, share)] {
        for c in list {
            let add = f64::from(c.likelihood) * w;
            match out.iter_mut().find(|o| o.code == c.code) {
                Some(o) => {
                    let sum = f64::from(o.likelihood) + add;
                    o.likelihood = sum.round().clamp(1.0, 100.0) as u8;
                    for e in c.entries {
                        if !o.entries.contains(&e) {
                            o.entries.push(e);
                        }
                    }
                }
                None => out.push(Candidate {
                    likelihood: add.round().clamp(1.0, 100.0) as u8,
                    ..c
                }),
            }
        }
    }
    out.sort_by(|a, b| b.likelihood.cmp(&a.likelihood).then(a.code.cmp(&b.code)));
    out
}

/// Candidates from the bare reply codes (`553`) alone, each one source, `share` sure.
fn from_replies(statuses: &[SmtpStatus], share: f64) -> Vec<Candidate> {
    let sources: Vec<Source> = statuses
        .iter()
        .filter_map(|s| {
            let reply = s.reply?;
            let codes = catalogue::reply_codes(reply);
            (!codes.is_empty()).then(|| (reply.to_string(), codes, 1.0))
        })
        .collect();
    weighted(&sources, share)
}

/// Candidates from the structure of the text alone: each recognised part and each enhanced
/// status with findings in the knowledge base is one source; within a source the first
/// finding weighs most (one: 100; two: 60, 40; three: 50, 30, 20), and the sources count
/// alike, but for a server name typed wrong, which counts `TYPED_WEIGHT` times.
fn structural(parts: &[Part], statuses: &[SmtpStatus]) -> Vec<Candidate> {
    let mut sources: Vec<Source> = parts
        .iter()
        .filter_map(|p| {
            let weight = if p.kind == PartKind::Typed {
                TYPED_WEIGHT
            } else {
                1.0
            };
            source_of(p, p.value.clone(), weight)
        })
        .collect();
    for s in statuses {
        if let Some((class, subject, detail)) = s.enhanced_parts() {
            let codes = catalogue::status_codes(class, subject, detail);
            if !codes.is_empty() {
                sources.push((s.enhanced.clone().unwrap_or_default(), codes, 1.0));
            }
        }
    }
    weighted(&sources, 1.0)
}

/// `candidates` with the topics the words speak of: alone, as guesses, when there are no
/// candidates; else beside them with `share` of the likelihood, and then only the topics that
/// name a cause (not broad) which the candidates do not already lead with. The topics that
/// count are added to `parts`.
fn with_topics(
    candidates: Vec<Candidate>,
    topics: Vec<parts::FoundTopic>,
    share: f64,
    parts: &mut Vec<Part>,
) -> Vec<Candidate> {
    let leading: Vec<Code> = candidates
        .iter()
        .take(GENERIC_LEADS)
        .map(|c| c.code)
        .collect();
    let mut sources: Vec<Source> = Vec::new();
    for t in topics {
        let source = t
            .part
            .key
            .clone()
            .and_then(|key| source_of(&t.part, key, t.said as f64));
        let first = source.as_ref().and_then(|(_, codes, _)| codes.first());
        if candidates.is_empty() || (!t.broad && first.is_some_and(|c| !leading.contains(c))) {
            sources.extend(source);
            parts.push(t.part);
        }
    }
    if candidates.is_empty() {
        weighted(&sources, TOPIC_SHARE)
    } else if sources.is_empty() {
        candidates
    } else {
        blend(candidates, weighted(&sources, 1.0), share)
    }
}

/// A source of candidates: its label, the findings it points to, and its weight.
type Source = (String, &'static [Code], f64);

/// A recognised part as a source labelled `label`, when its table names findings for it.
fn source_of(p: &Part, label: String, weight: f64) -> Option<Source> {
    let codes = catalogue::part_codes(p.kind.table()?, p.key.as_deref()?);
    (!codes.is_empty()).then_some((label, codes, weight))
}

/// Candidates from sources of codes, each `(label, codes, weight)`: within a source the first
/// code weighs most (one: 100; two: 60, 40; three: 50, 30, 20), a source counts by its
/// weight, and the likelihoods are `share` of what they would be.
fn weighted(sources: &[Source], share: f64) -> Vec<Candidate> {
    let total: f64 = sources.iter().map(|(_, _, w)| w).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    let shares: [&[f64]; 3] = [&[100.0], &[60.0, 40.0], &[50.0, 30.0, 20.0]];
    let mut acc: BTreeMap<Code, (f64, Vec<String>)> = BTreeMap::new();
    for (label, codes, weight) in sources {
        let portions = shares[codes.len().clamp(1, 3) - 1];
        for (code, p) in codes.iter().zip(portions) {
            let slot = acc.entry(*code).or_insert((0.0, Vec::new()));
            slot.0 += p * weight;
            if !slot.1.contains(label) {
                slot.1.push(label.clone());
            }
        }
    }
    let mut out: Vec<Candidate> = acc
        .into_iter()
        .map(|(code, (sum, entries))| Candidate {
            code,
            likelihood: (sum / total * share).round().clamp(1.0, 100.0) as u8,
            entries,
            check: Bilingual {
                ja: String::new(),
                en: String::new(),
            },
        })
        .collect();
    out.sort_by(|a, b| b.likelihood.cmp(&a.likelihood).then(a.code.cmp(&b.code)));
    out
}

// ---------------------------------------------------------------------------------------
// SMTP statuses

/// Every reply code / enhanced status code in the lines.
pub fn statuses_in(text: &str) -> Vec<SmtpStatus> {
    let lines: Vec<Line> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(Line::new)
        .collect();
    parse_statuses(&lines)
}

fn parse_statuses(lines: &[Line]) -> Vec<SmtpStatus> {
    let mut out: Vec<SmtpStatus> = Vec::new();
    for l in lines {
        let chars: Vec<char> = l.spaced.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let prev = if i == 0 { None } else { Some(chars[i - 1]) };
            let boundary = prev.is_none_or(|c| !c.is_alphanumeric() && c != '.');
            if !boundary {
                i += 1;
                continue;
            }
            if let Some((reply, len)) = reply_at(&chars, i) {
                // A reply code counts when an enhanced code follows it, or when it starts the
                // line or follows `:`, `;`, `(` or a quote (not when it is just a number).
                let after = i + len;
                let lead = chars[..i]
                    .iter()
                    .rev()
                    .find(|c| !c.is_whitespace())
                    .copied();
                // Python's smtplib shows a reply as a tuple: `(535, b'5.7.8 Username ...')`.
                let comma = chars.get(after) == Some(&',');
                let tuple = lead == Some('(') && comma;
                let gap = if tuple { tuple_gap(&chars[after..]) } else { 1 };
                let enhanced = enhanced_at(&chars, after + gap)
                    .filter(|_| tuple || matches!(chars.get(after), Some(' ' | '-')));
                let starts = lead
                    .is_none_or(|c| matches!(c, ':' | ';' | '(' | '"' | '\'' | '>' | '#'))
                    || REPLY_LEADS.contains(&word_before(&chars[..i]).as_str());
                if (enhanced.is_some() || starts) && (tuple || !comma) {
                    let end = enhanced.as_ref().map_or(after, |(_, n)| after + gap + n);
                    push_status(&mut out, Some(reply), enhanced.map(|(e, _)| e), &l.raw);
                    i = end;
                    continue;
                }
            }
            if let Some((e, n)) = enhanced_at(&chars, i) {
                push_status(&mut out, None, Some(e), &l.raw);
                i += n;
                continue;
            }
            i += 1;
        }
    }
    out
}

fn push_status(
    out: &mut Vec<SmtpStatus>,
    reply: Option<u16>,
    enhanced: Option<String>,
    line: &str,
) {
    // `Status: 5.1.1` and `Diagnostic-Code: smtp; 550 5.1.1 ...` say the same thing twice.
    if reply.is_none()
        && out
            .iter()
            .any(|s| s.enhanced.is_some() && s.enhanced == enhanced)
    {
        return;
    }
    if let Some(pos) = out
        .iter()
        .position(|s| s.reply.is_none() && reply.is_some() && s.enhanced == enhanced)
    {
        out.remove(pos);
    }
    let s = SmtpStatus {
        reply,
        enhanced,
        line: line.to_string(),
    };
    if !out.contains(&s) {
        out.push(s);
    }
}

/// Words after which a number is a reply code: `got 552`, `returned 535`.
const REPLY_LEADS: &[&str] = &[
    "code",
    "got",
    "returned",
    "received",
    "response",
    "reply",
    "responded",
    "said",
];

/// The word (letters) just before `chars`' trailing spaces, lower case.
fn word_before(chars: &[char]) -> String {
    let end = chars
        .iter()
        .rposition(|c| !c.is_whitespace())
        .map_or(0, |i| i + 1);
    let start = chars[..end]
        .iter()
        .rposition(|c| !c.is_alphabetic())
        .map_or(0, |i| i + 1);
    chars[start..end].iter().collect::<String>().to_lowercase()
}

/// How far the text of a reply shown as a Python tuple starts after its code: past `, `,
/// a bytes prefix and the quote (`, b'`).
fn tuple_gap(rest: &[char]) -> usize {
    let mut n = 1;
    while rest.get(n) == Some(&' ') {
        n += 1;
    }
    if rest.get(n) == Some(&'b') {
        n += 1;
    }
    if matches!(rest.get(n), Some('\'' | '"')) {
        n += 1;
    }
    n
}

/// A reply code (`[2-5][0-5][0-9]`) at `i`, followed by a space, `-`, `)`, `,` or the end.
fn reply_at(chars: &[char], i: usize) -> Option<(u16, usize)> {
    let d: Vec<u32> = chars
        .get(i..i + 3)?
        .iter()
        .map(|c| c.to_digit(10))
        .collect::<Option<Vec<_>>>()?;
    if !(2..=5).contains(&d[0]) || d[1] > 5 {
        return None;
    }
    if chars
        .get(i + 3)
        .is_some_and(|c| !matches!(c, ' ' | '-' | ')' | ','))
    {
        return None;
    }
    Some((u16::try_from(d[0] * 100 + d[1] * 10 + d[2]).ok()?, 3))
}

/// An enhanced status code (`5.7.1`, `4.2.2`, `5.7.26`) at `i`; its text and length.
fn enhanced_at(chars: &[char], i: usize) -> Option<(String, usize)> {
    let class = chars.get(i)?.to_digit(10)?;
    if !matches!(class, 2 | 4 | 5) || chars.get(i + 1) != Some(&'.') {
        return None;
    }
    let mut j = i + 2;
    let num = |j: &mut usize| -> Option<String> {
        let start = *j;
        while chars.get(*j).is_some_and(|c| c.is_ascii_digit()) && *j - start < 3 {
            *j += 1;
        }
        (*j > start).then(|| chars[start..*j].iter().collect())
    };
    let subject = num(&mut j)?;
    if chars.get(j) != Some(&'.') {
        return None;
    }
    j += 1;
    let detail = num(&mut j)?;
    if chars.get(j).is_some_and(|c| {
        c.is_ascii_alphanumeric()
            || (*c == '.' && chars.get(j + 1).is_some_and(char::is_ascii_digit))
    }) {
        return None;
    }
    let s: u16 = subject.parse().ok()?;
    if s > 7 {
        return None;
    }
    Some((format!("{class}.{subject}.{detail}"), j - i))
}

// ---------------------------------------------------------------------------------------
// Suggestions

fn bigrams(s: &str) -> Vec<(char, char)> {
    let c: Vec<char> = s.chars().collect();
    let mut v: Vec<(char, char)> = c.windows(2).map(|w| (w[0], w[1])).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Dice similarity of the bigram sets, where `b` is a pattern: how much of the pattern the
/// text covers, and how much of the text the pattern covers, whichever is larger.
fn similarity(text: &[(char, char)], pattern: &[(char, char)]) -> f64 {
    if text.is_empty() || pattern.is_empty() {
        return 0.0;
    }
    let common = pattern
        .iter()
        .filter(|b| text.binary_search(b).is_ok())
        .count() as f64;
    let dice = 2.0 * common / (text.len() + pattern.len()) as f64;
    let cover = common / text.len().max(1) as f64;
    dice.max(cover * 0.9)
}

fn suggest(joined: &Line, entries: &[Entry]) -> Vec<Suggestion> {
    let text = bigrams(&joined.squashed);
    if text.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(f64, &str)> = entries
        .iter()
        .map(|e| {
            let best = e
                .codes
                .iter()
                .chain(&e.phrases)
                .map(|p| squash(p))
                .chain([squash(&e.title.ja), squash(&e.title.en)])
                .map(|p| similarity(&text, &bigrams(&p)))
                .fold(0.0, f64::max);
            (best, e.id.as_str())
        })
        .filter(|(s, _)| *s >= 0.25)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(s, id)| Suggestion {
            id: id.to_string(),
            similarity: (s * 100.0).round().clamp(0.0, 100.0) as u8,
        })
        .collect()
}

#[cfg(test)]
mod tests;
