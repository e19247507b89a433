//! Whatever a karte file holds, loading it ends in a karte or an error with its place,
//! never a panic; a karte that loads saves and loads again unchanged; a password typed into
//! any text field is gone after redaction.

use maildoc_karte::{ErrorKind, LoadError};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The ```toml example of docs/karte.md: every table and most fields.
fn example() -> &'static str {
    let doc = include_str!("../../../docs/karte.md");
    let start = doc.find("```toml\n").map_or(0, |i| i + 8);
    let len = doc[start..].find("```").unwrap_or(0);
    &doc[start..start + len]
}

/// Values a person (or a broken editor) might leave after a key.
const VALUES: [&str; 22] = [
    "\"\"",
    "0",
    "-1",
    "99999",
    "4294967296",
    "true",
    "[]",
    "{}",
    "\"imap\"",
    "\"smtp\"",
    "\"SSL\"",
    "2026-04-01",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "1e400",
    "nan",
    "'literal'",
    "\"\"\"two\nlines\"\"\"",
    "\"\\u0000\"",
    "\"\\uD800\"",
    "[[1], {a = 1}]",
    "\"taro@example.jp\"",
];

/// One change to the example.
#[derive(Clone, Debug)]
enum Edit {
    Char(usize, u8, char),
    DropLine(usize),
    CopyLine(usize),
    SwapLines(usize, usize),
    Value(usize, String),
}

fn edit_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec![
            '"', '\'', '[', ']', '{', '}', '=', ',', '.', '#', '\n', '\r', '\\', ' ', '0', '9', 'x',
            '-', ':', 'T', '\u{0}', '\u{feff}', '\u{202e}', 'é', '日',
        ]),
        1 => any::<char>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), 0u8..3, edit_char()).prop_map(|(a, h, c)| Edit::Char(a, h, c)),
        1 => any::<usize>().prop_map(Edit::DropLine),
        1 => any::<usize>().prop_map(Edit::CopyLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        2 => (
            any::<usize>(),
            prop_oneof![
                3 => prop::sample::select(VALUES.to_vec()).prop_map(str::to_string),
                1 => "[ -~]{0,12}",
            ]
        )
            .prop_map(|(a, v)| Edit::Value(a, v)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut text = text.to_string();
    for e in edits {
        let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let n = lines.len();
        match e {
            Edit::Char(at, how, c) => {
                let mut chars: Vec<char> = text.chars().collect();
                let i = at % (chars.len() + 1);
                match how {
                    0 if i < chars.len() => chars[i] = *c,
                    1 if i < chars.len() => {
                        chars.remove(i);
                    }
                    _ => chars.insert(i, *c),
                }
                text = chars.into_iter().collect();
                continue;
            }
            Edit::DropLine(i) => {
                lines.remove(i % n);
            }
            Edit::CopyLine(i) => {
                let line = lines[i % n].clone();
                lines.insert(i % n, line);
            }
            Edit::SwapLines(a, b) => lines.swap(a % n, b % n),
            Edit::Value(i, v) => {
                // The value of the i-th assignment, or a new key at the end of the file.
                let assignments: Vec<usize> =
                    (0..n).filter(|&j| lines[j].contains(" = ")).collect();
                match assignments.get(i % (assignments.len() + 1)) {
                    Some(&j) => {
                        let key = lines[j].split(" = ").next().unwrap_or_default().to_string();
                        lines[j] = format!("{key} = {v}");
                    }
                    None => lines.push(format!("extra = {v}")),
                }
            }
        }
        text = lines.join("\n");
    }
    text
}

fn karte_text() -> impl Strategy<Value = String> {
    prop::collection::vec(edit(), 0..5).prop_map(|edits| apply(example(), &edits))
}

/// A file of its own under the system's temporary directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn with(bytes: &[u8]) -> Result<Scratch, TestCaseError> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "maildoc-karte-props-{}-{}.toml",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, bytes)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}", path.display())))?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// An error names the file, and a place inside the text when it gives one.
fn well_placed(e: &LoadError, text: &str, path: &Path) -> Result<(), TestCaseError> {
    prop_assert_eq!(&e.path, path);
    if let Some(line) = e.line {
        prop_assert!(
            line >= 1 && line <= text.split('\n').count(),
            "line {}",
            line
        );
        if let Some(column) = e.column {
            let width = text
                .split('\n')
                .nth(line - 1)
                .map_or(0, |l| l.chars().count());
            prop_assert!(
                column >= 1 && column <= width + 1,
                "column {} of {}",
                column,
                width
            );
        }
    }
    prop_assert!(e.to_string().starts_with(&path.display().to_string()));
    Ok(())
}

/// The text fields a person might type a password into.
const TEXT_KEYS: [&str; 11] = [
    "display_name",
    "provider",
    "changed_by",
    "notes",
    "host",
    "username",
    "name",
    "app",
    "backup",
    "document",
    "note",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any bytes in a file, the example's cut about included: text loads as it parses, and
    /// what is not UTF-8 is an error reading the file.
    #[test]
    fn any_file_loads_or_fails_with_its_place(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..200),
            (karte_text(), prop::collection::vec((any::<usize>(), any::<u8>()), 0..3)).prop_map(|(t, flips)| {
                let mut b = t.into_bytes();
                for (at, byte) in flips {
                    let i = at % (b.len() + 1);
                    b.insert(i, byte);
                }
                b
            }),
        ],
    ) {
        let file = Scratch::with(&bytes)?;
        let loaded = maildoc_karte::load(&file.0);
        match std::str::from_utf8(&bytes) {
            Ok(text) => {
                let parsed = maildoc_karte::parse(text, &file.0);
                prop_assert_eq!(&loaded, &parsed);
                if let Err(e) = &loaded {
                    well_placed(e, text, &file.0)?;
                }
            }
            Err(_) => {
                prop_assert!(matches!(loaded.map_err(|e| e.kind), Err(ErrorKind::Read(_))));
            }
        }
    }

    /// The example cut about: an error has its place; a karte that loads is saved and
    /// loaded again unchanged, and gives the settings the lint reads.
    #[test]
    fn kartes_that_load_save_and_load_again(text in karte_text()) {
        let path = Path::new("karte.toml");
        match maildoc_karte::parse(&text, path) {
            Err(e) => well_placed(&e, &text, path)?,
            Ok(k) => {
                let saved = maildoc_karte::to_toml(&k);
                prop_assert_eq!(maildoc_karte::parse(&saved, path), Ok(k.clone()), "{}", saved);
                let settings = maildoc_karte::to_account_settings(&k);
                prop_assert_eq!(settings.servers.len(), k.incoming.len() + usize::from(k.outgoing.is_some()));
                for h in &k.history {
                    prop_assert!(maildoc_karte::is_time(&h.at));
                }
            }
        }
    }

    /// A password typed into any text field (once or more) is gone from the karte and from
    /// what is saved after redaction, and the fields it was in are named.
    #[test]
    fn a_password_in_any_text_field_is_redacted(
        secret in "[A-Za-z0-9!#$%&()+,./:;<=>?@^_~-]{8,16}",
        places in prop::collection::vec((prop::sample::select(TEXT_KEYS.to_vec()), any::<usize>(), any::<usize>()), 1..4),
    ) {
        let mut lines: Vec<String> = example().split('\n').map(str::to_string).collect();
        for (key, nth, at) in &places {
            let found: Vec<usize> = (0..lines.len())
                .filter(|&j| lines[j].starts_with(&format!("{key} = \"")))
                .collect();
            let j = found[nth % found.len()];
            let (head, value) = lines[j].split_at(key.len() + 4);
            let value: Vec<char> = value.chars().collect();
            let i = at % value.len();
            let before: String = value[..i].iter().collect();
            let after: String = value[i..].iter().collect();
            lines[j] = format!("{head}{before}{secret}{after}");
        }
        let text = lines.join("\n");
        let mut k = match maildoc_karte::parse(&text, Path::new("karte.toml")) {
            Ok(k) => k,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
        };
        let fields = maildoc_karte::redact(&mut k, &secret);
        prop_assert!(!fields.is_empty());
        let saved = maildoc_karte::to_toml(&k);
        prop_assert!(!saved.contains(&secret), "{}", saved);
        let debug = format!("{k:?}");
        prop_assert!(!debug.contains(&secret));
    }
}
