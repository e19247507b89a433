//! Runs every case of `tests/corpus/*.txt` (see `tests/corpus/README.md`) through `explain`
//! and reports every failing case at once, with file and line. The files written from the
//! wording vendors document must pass case by case; the files of texts quoted from public
//! pages (each case with its `# source:`) are scored, the score printed, and a fall below
//! the rate reached fails.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use maildoc_explain::explain;
use maildoc_model::Code;
use std::path::PathBuf;

struct Case {
    file: String,
    line: usize,
    mode: String,
    codes: Vec<String>,
    entry: Option<String>,
    among: Vec<String>,
    text: String,
    /// Where the text was quoted from (`# source: URL` before the case).
    source: Option<String>,
}

/// The files of texts quoted from public pages: every case names its source, and they are
/// scored rather than passed case by case.
const QUOTED: [&str; 5] = [
    "field.txt",
    "imap-pop3.txt",
    "libraries.txt",
    "vendors.txt",
    OUTSIDE,
];
/// The quoted texts gathered in rounds by people who had not read the catalogue, each round
/// measured before entries were written for it: scored on their own.
const OUTSIDE: &str = "outside.txt";
/// The share of quoted cases whose expected cause is the first candidate, at least.
const FLOOR_TOP1: f64 = 0.88;
/// The share of quoted cases with an expected cause among the first three, at least.
const FLOOR_TOP3: f64 = 1.0;
/// The share of quoted cases that pass as their header says (every listed code, the mode).
const FLOOR_STRICT: f64 = 0.78;
/// The same floors for the outside rounds: first, among the first three.
const FLOOR_OUTSIDE_TOP1: f64 = 0.79;
const FLOOR_OUTSIDE_TOP3: f64 = 0.95;

fn cases() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut out: Vec<Case> = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut current: Option<Case> = None;
        let mut source: Option<String> = None;
        for (i, line) in text.lines().enumerate() {
            // `# ` starts a comment anywhere (a bounce's `#550 5.1.1 ...` line is text).
            if let Some(url) = line.strip_prefix("# source:") {
                source = Some(url.trim().to_string());
                continue;
            }
            if line.starts_with("# ") || line == "#" {
                continue;
            }
            if let Some(header) = line.strip_prefix("=== ") {
                out.extend(current.take());
                let mut words = header.split_whitespace();
                let mode = words.next().unwrap_or("").to_string();
                let mut codes = Vec::new();
                let mut entry = None;
                let mut among = Vec::new();
                for w in words {
                    if let Some(id) = w.strip_prefix('@') {
                        entry = Some(id.to_string());
                    } else if let Some(id) = w.strip_prefix('+') {
                        among.push(id.to_string());
                    } else {
                        codes.push(w.to_string());
                    }
                }
                current = Some(Case {
                    file: name.clone(),
                    line: i + 1,
                    mode,
                    codes,
                    entry,
                    among,
                    text: String::new(),
                    source: source.take(),
                });
            } else if let Some(c) = current.as_mut() {
                c.text.push_str(line);
                c.text.push('\n');
            } else {
                assert!(
                    line.trim().is_empty(),
                    "{name}:{}: text outside a case",
                    i + 1
                );
            }
        }
        out.extend(current.take());
    }
    out
}

fn check(case: &Case) -> Result<(), String> {
    let e = explain(&case.text);
    let got: Vec<Code> = e.codes();
    let shown: Vec<String> = e
        .candidates
        .iter()
        .take(5)
        .map(|c| format!("{}:{}", c.code, c.likelihood))
        .collect();
    let ids: Vec<&str> = e.matches.iter().map(|m| m.id.as_str()).collect();
    let ctx = format!("candidates {shown:?}, matches {ids:?}");
    let top_n = match case.mode.as_str() {
        "top1" => 1,
        "top3" => 3,
        "top5" => 5,
        "unknown" => {
            return if e.unknown {
                Ok(())
            } else {
                Err(format!("expected unknown; {ctx}"))
            };
        }
        "any3" => {
            let want: Vec<Code> = case
                .codes
                .iter()
                .map(|c| Code::parse(c).ok_or_else(|| format!("`{c}` is not a code")))
                .collect::<Result<_, _>>()?;
            if want.is_empty() {
                return Err("no expected code".into());
            }
            if !got.iter().take(3).any(|c| want.contains(c)) {
                return Err(format!("none of them in the top 3; {ctx}"));
            }
            0
        }
        "status" => {
            for want in &case.codes {
                if !e
                    .statuses
                    .iter()
                    .any(|s| s.enhanced.as_deref() == Some(want))
                {
                    return Err(format!("status {want} not parsed: {:?}", e.statuses));
                }
            }
            0
        }
        other => return Err(format!("unknown mode `{other}`")),
    };
    if e.unknown {
        return Err(format!("unknown; suggestions {:?}", e.suggestions));
    }
    if top_n > 0 {
        if case.codes.is_empty() {
            return Err("no expected code".into());
        }
        for want in &case.codes {
            let code = Code::parse(want).ok_or_else(|| format!("`{want}` is not a code"))?;
            if !got.iter().take(top_n).any(|c| *c == code) {
                return Err(format!("{want} not in the top {top_n}; {ctx}"));
            }
        }
    }
    if let Some(id) = &case.entry
        && e.matches.first().map(|m| m.id.as_str()) != Some(id.as_str())
    {
        return Err(format!("best entry is not {id}; {ctx}"));
    }
    for id in &case.among {
        if !ids.contains(&id.as_str()) {
            return Err(format!("{id} is not among the matches; {ctx}"));
        }
    }
    Ok(())
}

/// Whether an expected code is the first candidate, and among the first three.
fn fitting(case: &Case) -> (bool, bool) {
    let got = explain(&case.text).codes();
    let want: Vec<Code> = case.codes.iter().filter_map(|c| Code::parse(c)).collect();
    let first = got.first().is_some_and(|c| want.contains(c));
    let three = got.iter().take(3).any(|c| want.contains(c));
    (first, three)
}

#[test]
fn the_corpus_explains_as_expected() {
    let cases = cases();
    assert!(cases.len() >= 300, "{} cases", cases.len());
    let (quoted, written): (Vec<&Case>, Vec<&Case>) = cases
        .iter()
        .partition(|c| QUOTED.contains(&c.file.as_str()));
    let failures: Vec<String> = written.iter().filter_map(|c| failure(c)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        written.len(),
        failures.join("\n")
    );

    for c in &quoted {
        let source = c.source.as_deref().unwrap_or("");
        assert!(
            source.starts_with("https://") || source.starts_with("http://"),
            "{}:{}: a quoted case names its source (`# source: URL` before it)",
            c.file,
            c.line
        );
    }
    let (outside, quoted): (Vec<&Case>, Vec<&Case>) =
        quoted.into_iter().partition(|c| c.file == OUTSIDE);
    let quoted = score(&quoted);
    let outside = score(&outside);
    println!(
        "explain corpus: {} cases written from vendors' wording, all pass; {} quoted from \
         public pages: {:.1}% pass as expected, a fitting cause first in {:.1}% and among \
         the first three in {:.1}% of the {} with expected causes; {} of the outside rounds: \
         a fitting cause first in {:.1}%, among the first three in {:.1}%",
        written.len(),
        quoted.cases,
        quoted.strict * 100.0,
        quoted.first * 100.0,
        quoted.three * 100.0,
        quoted.scored,
        outside.scored,
        outside.first * 100.0,
        outside.three * 100.0,
    );
    let below = quoted.first < FLOOR_TOP1
        || quoted.three < FLOOR_TOP3
        || quoted.strict < FLOOR_STRICT
        || outside.first < FLOOR_OUTSIDE_TOP1
        || outside.three < FLOOR_OUTSIDE_TOP3;
    assert!(
        !below,
        "the quoted corpus scores below its floor.\nNo fitting cause among the first \
         three:\n{}\n{}\nNot as the header says:\n{}",
        quoted.missed.join("\n"),
        outside.missed.join("\n"),
        quoted.failures.join("\n")
    );
}

/// Why a case does not pass as its header says, with its file and line.
fn failure(c: &Case) -> Option<String> {
    check(c)
        .err()
        .map(|e| format!("{}:{} ({} {:?}): {e}", c.file, c.line, c.mode, c.codes))
}

/// How a group of quoted cases scores.
struct Score {
    cases: usize,
    /// The cases with expected causes.
    scored: usize,
    /// Shares of the scored cases: a fitting cause first, among the first three.
    first: f64,
    three: f64,
    /// The share of the cases that pass as their header says.
    strict: f64,
    /// The scored cases with no fitting cause among the first three.
    missed: Vec<String>,
    /// The cases that do not pass as their header says.
    failures: Vec<String>,
}

fn score(cases: &[&Case]) -> Score {
    let scored: Vec<&&Case> = cases
        .iter()
        .filter(|c| matches!(c.mode.as_str(), "top1" | "top3" | "top5" | "any3"))
        .collect();
    let (mut first, mut three) = (0usize, 0usize);
    let mut missed: Vec<String> = Vec::new();
    for c in &scored {
        let (f, t) = fitting(c);
        first += usize::from(f);
        three += usize::from(t);
        if !t {
            let got: Vec<String> = explain(&c.text)
                .codes()
                .iter()
                .take(3)
                .map(|c| c.to_string())
                .collect();
            missed.push(format!(
                "{}:{} {:?}: got {got:?}: {}",
                c.file,
                c.line,
                c.codes,
                c.text.lines().next().unwrap_or("")
            ));
        }
    }
    let failures: Vec<String> = cases.iter().filter_map(|c| failure(c)).collect();
    let share = |n: usize, of: usize| n as f64 / of.max(1) as f64;
    Score {
        cases: cases.len(),
        scored: scored.len(),
        first: share(first, scored.len()),
        three: share(three, scored.len()),
        strict: share(cases.len() - failures.len(), cases.len()),
        missed,
        failures,
    }
}

#[test]
fn there_is_a_corpus_file_per_client_family() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    for (family, _) in maildoc_kb::catalogue::FILES {
        assert!(
            dir.join(format!("{family}.txt")).exists(),
            "tests/corpus/{family}.txt is missing"
        );
    }
}
