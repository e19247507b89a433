//! Which entries a text resembles when none of their phrases is in it: the words it shares
//! with a phrase, the rarer among the catalogue's phrases the more each counts ("connection
//! terminated" shares two words with "the connection was terminated by the server").
//!
//! Words are Latin words of three letters or more, a light suffix cut off (`terminated`,
//! `terminate`), runs of katakana without the long-vowel mark (`サーバー` = `サーバ`), and
//! each two kanji side by side (`存在`, `在不`); hiragana and a few very common words carry no
//! meaning of their own here.

use maildoc_kb::catalogue::{self, Entry};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Words that say nothing about a cause.
const STOP: &[&str] = &[
    "the", "and", "for", "are", "was", "were", "been", "this", "that", "with", "from", "its",
    "you", "your", "can", "could", "please",
];

/// A phrase counts when the text holds at least this share of its weight.
const MIN_COVER: f64 = 0.5;

/// Entries scoring below this share of the closest one's score are dropped.
const KEEP_SHARE: f64 = 0.5;

/// At most this many entries are named.
const MAX_RESEMBLING: usize = 3;

/// An entry the text resembles.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Resemblance {
    pub id: String,
    /// Its phrase the text comes closest to.
    pub phrase: String,
    /// The weight of the shared words, times how much of the phrase and of the text they are.
    pub score: f64,
    /// The share of the phrase's weight in the text (0..=1).
    pub cover: f64,
}

/// The scripts words are read in.
#[derive(Clone, Copy, PartialEq)]
enum Script {
    Latin,
    Kana,
    Kanji,
}

fn script(c: char) -> Option<Script> {
    if c.is_ascii_alphanumeric() || (c.is_alphabetic() && (c as u32) < 0x2000) {
        Some(Script::Latin)
    } else if ('\u{30a1}'..='\u{30fa}').contains(&c) {
        Some(Script::Kana)
    } else if ('\u{3400}'..='\u{4dbf}').contains(&c) || ('\u{4e00}'..='\u{9fff}').contains(&c) {
        Some(Script::Kanji)
    } else {
        None
    }
}

/// The words of `s` (already NFKC and lower case).
pub(crate) fn words(s: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // The characters of one script read so far.
    let mut run = String::new();
    let mut kind: Option<Script> = None;
    for c in s.chars() {
        // The long-vowel mark is not written alike by all.
        if c == 'ー' && kind == Some(Script::Kana) {
            continue;
        }
        let next = script(c);
        if next != kind {
            run_words(&run, kind, &mut out);
            run.clear();
            kind = next;
        }
        if next.is_some() {
            run.push(c);
        }
    }
    run_words(&run, kind, &mut out);
    out
}

/// The words of a run of characters of one script.
fn run_words(run: &str, kind: Option<Script>, out: &mut BTreeSet<String>) {
    match kind {
        Some(Script::Latin)
            if run.chars().count() >= 3
                && run.starts_with(|c: char| c.is_alphabetic())
                && !STOP.contains(&run) =>
        {
            out.insert(stem(run));
        }
        Some(Script::Kana) if run.chars().count() >= 2 => {
            out.insert(run.to_string());
        }
        Some(Script::Kanji) => {
            let chars: Vec<char> = run.chars().collect();
            for w in chars.windows(2) {
                out.insert(w.iter().collect());
            }
        }
        _ => {}
    }
}

/// `word` without a plural or tense ending, when enough is left.
fn stem(word: &str) -> String {
    for end in ["ing", "ed", "es", "s"] {
        if let Some(root) = word.strip_suffix(end)
            && root.chars().count() > 3
        {
            return root.to_string();
        }
    }
    word.to_string()
}

/// The words of every phrase of some entries, each word weighted by how rare it is among
/// the phrases, and each phrase's whole weight.
struct Index<'a> {
    phrases: Vec<Phrase<'a>>,
    weights: BTreeMap<String, f64>,
}

/// A phrase of an entry, its words and the sum of their weights.
struct Phrase<'a> {
    entry: &'a Entry,
    text: &'a str,
    words: BTreeSet<String>,
    total: f64,
}

impl<'a> Index<'a> {
    fn new(entries: &'a [Entry]) -> Index<'a> {
        let mut phrases: Vec<Phrase<'a>> = entries
            .iter()
            .flat_map(|e| e.phrases.iter().map(move |p| (e, p.as_str())))
            .map(|(entry, text)| Phrase {
                entry,
                text,
                words: words(&crate::nfkc_lower(&text.replace('*', " "))),
                total: 0.0,
            })
            .filter(|p| !p.words.is_empty())
            .collect();
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &phrases {
            for w in &p.words {
                *seen.entry(w.as_str()).or_default() += 1;
            }
        }
        let n = phrases.len() as f64;
        let weights: BTreeMap<String, f64> = seen
            .into_iter()
            .map(|(w, k)| (w.to_string(), (n / k as f64).ln()))
            .collect();
        for p in &mut phrases {
            p.total = p.words.iter().map(|w| weights[w]).sum();
        }
        Index { phrases, weights }
    }

    /// How rare `word` is among the phrases; a word no phrase has weighs nothing.
    fn weight(&self, word: &str) -> f64 {
        self.weights.get(word).copied().unwrap_or(0.0)
    }
}

/// The entries `text` (NFKC, lower case) resembles most, best first. The catalogue's index
/// is built once; other entries' (tests') each time.
pub(crate) fn resemble(text: &str, entries: &[Entry]) -> Vec<Resemblance> {
    static CATALOGUE: OnceLock<Index<'static>> = OnceLock::new();
    let catalogue = catalogue::entries();
    if std::ptr::eq(entries, catalogue) {
        closest(text, CATALOGUE.get_or_init(|| Index::new(catalogue)))
    } else {
        closest(text, &Index::new(entries))
    }
}

fn closest(text: &str, index: &Index<'_>) -> Vec<Resemblance> {
    let own = words(text);
    let own_weight: f64 = own.iter().map(|w| index.weight(w)).sum();
    if own_weight <= 0.0 {
        return Vec::new();
    }
    let mut best: BTreeMap<&str, Resemblance> = BTreeMap::new();
    for p in &index.phrases {
        let shared: Vec<&String> = p.words.intersection(&own).collect();
        // One shared word is enough only for a one-word phrase and a text of two words at most.
        if shared.len() < 2 && !(p.words.len() == 1 && own.len() <= 2 && shared.len() == 1) {
            continue;
        }
        let held: f64 = shared.iter().map(|w| index.weight(w)).sum();
        if p.total <= 0.0 || held / p.total < MIN_COVER {
            continue;
        }
        let cover = held / p.total;
        let score = cover * (2.0 * held / own_weight).min(1.0) * held;
        let id = p.entry.id.as_str();
        if best.get(id).is_none_or(|b| score > b.score) {
            best.insert(
                id,
                Resemblance {
                    id: id.to_string(),
                    phrase: p.text.to_string(),
                    score,
                    cover,
                },
            );
        }
    }
    let mut out: Vec<Resemblance> = best.into_values().collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    if let Some(top) = out.first().map(|r| r.score) {
        out.retain(|r| r.score >= top * KEEP_SHARE);
    }
    out.truncate(MAX_RESEMBLING);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ws: &[&str]) -> BTreeSet<String> {
        ws.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn words_are_latin_words_katakana_runs_and_kanji_pairs() {
        assert_eq!(
            words("the connection was terminated: 5xx ok"),
            set(&["connection", "terminat"])
        );
        assert_eq!(
            words("メールサーバーの応答がありません"),
            set(&["メルサバ", "応答"])
        );
        assert_eq!(words("受信拒否"), set(&["受信", "信拒", "拒否"]));
        assert_eq!(words("サーバーとサーバ"), set(&["サバ"]));
        // Other scripts' words count like Latin ones; a digit does not start a word.
        assert_eq!(words("пароль 4xx"), set(&["пароль"]));
        assert!(words("").is_empty() && words("a b 12 ... ok").is_empty());
    }

    #[test]
    fn a_text_resembles_the_entries_whose_phrases_share_its_rarer_words() {
        let r = resemble(
            "error: command: append => connection terminated",
            catalogue::entries(),
        );
        assert!(!r.is_empty());
        assert!(r.iter().all(|r| r.cover >= MIN_COVER && r.cover <= 1.0));
        assert!(r.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(r.len() <= MAX_RESEMBLING);
        // One shared word is not enough in a longer text, nor are words no phrase has.
        assert!(resemble("the frobnicator exploded", catalogue::entries()).is_empty());
        assert!(
            resemble(
                "yesterday my printer went missing from the office",
                catalogue::entries()
            )
            .is_empty()
        );
    }
}
