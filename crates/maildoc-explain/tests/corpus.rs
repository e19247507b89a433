//! Runs every case of `tests/corpus/*.txt` (see `tests/corpus/README.md`) through `explain`
//! and reports every failing case at once, with file and line.

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
}

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
        for (i, line) in text.lines().enumerate() {
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
                });
            } else if let Some(c) = current.as_mut() {
                c.text.push_str(line);
                c.text.push('\n');
            } else {
                assert!(
                    line.trim().is_empty() || line.starts_with('#'),
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

#[test]
fn the_corpus_explains_as_expected() {
    let cases = cases();
    assert!(cases.len() >= 100, "{} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            check(c)
                .err()
                .map(|e| format!("{}:{} ({} {:?}): {e}", c.file, c.line, c.mode, c.codes))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
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
