//! What explaining a text costs: every case of the corpus (short error texts, most of them
//! known) and every bounce of sisimai's set (whole messages, many lines), each explained a
//! few times. Prints the texts, the time per text (mean and the slowest) and how many were
//! unknown (those also read the topics of their words).
//!
//! Run: `cargo bench -p maildoc-explain --bench explain`

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How many times each text is explained.
const ROUNDS: u32 = 5;

/// The texts of the corpus files: each case's lines up to the next header.
fn corpus(dir: &Path) -> Vec<String> {
    let mut texts = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    files.sort();
    for file in files {
        let Ok(content) = std::fs::read_to_string(&file) else {
            continue;
        };
        let mut current: Option<String> = None;
        for line in content.lines() {
            if line.starts_with("=== ") {
                texts.extend(current.take());
                current = Some(String::new());
            } else if line == "#" || line.starts_with("# ") {
                continue;
            } else if let Some(text) = current.as_mut() {
                text.push_str(line);
                text.push('\n');
            }
        }
        texts.extend(current);
    }
    texts
}

/// The bounces of sisimai's set, as text.
fn bounces(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "eml")
                && let Ok(bytes) = std::fs::read(&p)
            {
                out.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    out
}

fn run(name: &str, texts: &[String]) {
    let mut slowest = Duration::ZERO;
    let mut unknown = 0;
    let started = Instant::now();
    for _ in 0..ROUNDS {
        for t in texts {
            let one = Instant::now();
            let e = black_box(maildoc_explain::explain(black_box(t)));
            slowest = slowest.max(one.elapsed());
            unknown += usize::from(e.unknown);
        }
    }
    let n = texts.len() as u32 * ROUNDS;
    let mean = started.elapsed() / n.max(1);
    let bytes: usize = texts.iter().map(String::len).sum();
    println!(
        "{name}: {} texts ({} KiB), {:.0} µs per text, slowest {:.1} ms, {} unknown",
        texts.len(),
        bytes / 1024,
        mean.as_secs_f64() * 1e6,
        slowest.as_secs_f64() * 1e3,
        unknown / ROUNDS as usize
    );
}

fn main() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The catalogue is parsed on first use: once, before timing.
    black_box(maildoc_explain::explain("warm up"));
    run("corpus", &corpus(&here.join("tests/corpus")));
    run("sisimai bounces", &bounces(&here.join("tests/sisimai")));
}
