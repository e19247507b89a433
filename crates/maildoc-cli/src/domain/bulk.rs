//! `maildoc domain --from FILE|-`: many domains, one JSON line each (JSON Lines), with the
//! same checks and findings as a single domain, run by `maildoc_engine::domain::check_lines`
//! on every core with flat memory. Each result is written out as soon as it is done, in the
//! order the domains finish (every line carries its input line number); the DNS server is
//! spared by the resolver's own query cap (`--rate`).

use crate::{EXIT_CANNOT_RUN, EXIT_HEALTHY, EXIT_PROBLEMS, EXIT_USAGE};
use maildoc_engine::Clock;
use maildoc_engine::Env;
use maildoc_engine::domain::{BulkError, LineDone, Options, check_lines};
use maildoc_engine::history::{NewRun, Origin, Snapshot};
use maildoc_model::domain::DomainReport;
use maildoc_report::{Lang, ui};
use serde::Serialize;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// A bulk run: the options every domain shares.
pub struct Bulk {
    pub opts: Options,
    pub concurrency: usize,
    pub lang: Lang,
    /// Where each domain's run is kept (in batches, by [`crate::history::Keeper`]).
    pub history: crate::history::HistoryFlags,
}

/// One output line: the input line's number and text, then the domain's report or why the
/// line is not a domain.
#[derive(Serialize)]
struct Line<'a> {
    line: u64,
    input: &'a str,
    #[serde(flatten)]
    outcome: Outcome<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Outcome<'a> {
    Report(&'a DomainReport),
    Error { error: String },
}

/// What one line came to, ready to be written.
struct Done {
    json: String,
    kind: Kind,
    /// The run to keep in the history (none for a line that is not a domain).
    run: Option<NewRun>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Healthy,
    Problems,
    NotADomain,
}

/// The JSON line of one input line and what it came to.
fn done(d: LineDone, clock: Clock) -> Done {
    let run = d
        .outcome
        .as_ref()
        .ok()
        .map(|report| Snapshot::Domain(Box::new(report.clone())).to_run(clock, Origin::Cli));
    let (outcome, kind) = match &d.outcome {
        Ok(report) if report.has_problems() => (Outcome::Report(report), Kind::Problems),
        Ok(report) => (Outcome::Report(report), Kind::Healthy),
        Err(e) => (
            Outcome::Error {
                error: e.to_string(),
            },
            Kind::NotADomain,
        ),
    };
    let json = serde_json::to_string(&Line {
        line: d.line,
        input: &d.input,
        outcome,
    })
    .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    Done { json, kind, run }
}

impl Bulk {
    /// Reads `from` (a file, or `-` for standard input), checks every domain and writes one
    /// JSON line per input line. Exit code: 3 when a line was not a domain, else 1 when a
    /// domain has problems, else 0; 2 when the input or the output failed.
    ///
    /// The domains are shared out among the cores, all of them under the one `--rate` cap
    /// of `env`.
    pub fn run(self, from: &Path, env: Env) -> ExitCode {
        let lang = self.lang;
        let (reader, total): (Box<dyn Read + Send>, Option<u64>) = if from.as_os_str() == "-" {
            (Box::new(std::io::stdin()), None)
        } else {
            match std::fs::File::open(from) {
                Ok(f) => {
                    // The bar's length, only when there is a bar to show.
                    let total = std::io::stderr()
                        .is_terminal()
                        .then(|| count_domains(from))
                        .flatten();
                    (Box::new(f), total)
                }
                Err(e) => {
                    let detail = format!("{}: {e}", from.display());
                    eprintln!(
                        "maildoc: {}",
                        ui::fill("error-domain-from", lang, &[("detail", &detail)])
                    );
                    return ExitCode::from(EXIT_USAGE);
                }
            }
        };
        let clock = env.clock();
        let mut lines = check_lines(reader, &env, &self.opts, self.concurrency, move |d| {
            done(d, clock)
        });

        let bar = progress_bar(total, lang);
        let mut keep = crate::history::Keeper::new(&self.history, lang);
        let mut stdout = std::io::stdout().lock();
        let (mut problems, mut not_domains, mut done) = (0u64, 0u64, 0u64);
        let mut failure: Option<BulkError> = None;
        for result in lines.by_ref() {
            match result {
                Ok(d) => {
                    if writeln!(stdout, "{}", d.json)
                        .and_then(|()| stdout.flush())
                        .is_err()
                    {
                        // The reader of our output went away (`| head`): stop.
                        return ExitCode::from(EXIT_CANNOT_RUN);
                    }
                    done += 1;
                    keep.add(d.run);
                    match d.kind {
                        Kind::Problems => problems += 1,
                        Kind::NotADomain => not_domains += 1,
                        Kind::Healthy => {}
                    }
                    if let Some(bar) = &bar {
                        bar.inc(1);
                    }
                }
                Err(e) => failure = Some(e),
            }
        }
        if let Err(e) = lines.join() {
            failure = Some(e);
        }
        keep.finish();
        if let Some(bar) = &bar {
            bar.finish_and_clear();
            let summary = ui::fill(
                "domain-bulk-summary",
                lang,
                &[
                    ("done", &done.to_string()),
                    ("problems", &problems.to_string()),
                    ("not_domains", &not_domains.to_string()),
                ],
            );
            eprintln!("{summary}");
        }
        if let Some(e) = failure {
            let detail = e.to_string();
            eprintln!(
                "maildoc: {}",
                ui::fill("error-domain-from", lang, &[("detail", &detail)])
            );
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
        ExitCode::from(if not_domains > 0 {
            EXIT_USAGE
        } else if problems > 0 {
            EXIT_PROBLEMS
        } else {
            EXIT_HEALTHY
        })
    }
}

/// The number of lines of `path` that name something (not blank, not a comment), for the
/// progress bar's length.
fn count_domains(path: &Path) -> Option<u64> {
    let f = std::fs::File::open(path).ok()?;
    let mut n = 0u64;
    for line in BufReader::new(f).split(b'\n') {
        let line = line.ok()?;
        let t = line.trim_ascii();
        if !t.is_empty() && !t.starts_with(b"#") {
            n += 1;
        }
    }
    Some(n)
}

/// A progress bar on standard error when it is a terminal: domains done (of how many, when
/// the input is a file) and the rate.
fn progress_bar(total: Option<u64>, lang: Lang) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let (bar, template) = match total {
        Some(n) => (
            indicatif::ProgressBar::new(n),
            "{msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta})",
        ),
        None => (
            indicatif::ProgressBar::no_length(),
            "{spinner} {msg} {pos} ({per_sec})",
        ),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(ui::text("domain-bulk-progress", lang));
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}
