//! `maildoc domain --from FILE|-`: many domains, one JSON line each (JSON Lines), with the
//! same checks and findings as a single domain (`maildoc_engine::domain::check_many`).
//!
//! Memory stays flat whatever the number of domains: a reader thread passes the lines on
//! through a bounded channel to one shard per core, at most `--concurrency` domains are in
//! flight in all, and each result is written out as soon as it is done, in the order the
//! domains finish (every line carries its input line number). The DNS server is spared by
//! the resolver's own query cap (`--rate`), shared by the shards.

use crate::{EXIT_CANNOT_RUN, EXIT_HEALTHY, EXIT_PROBLEMS, EXIT_USAGE};
use futures_util::StreamExt;
use maildoc_engine::Clock;
use maildoc_engine::domain::{Options, check_many};
use maildoc_engine::history::{NewRun, Origin, Snapshot};
use maildoc_engine::{Env, Error};
use maildoc_model::domain::DomainReport;
use maildoc_report::{Lang, ui};
use serde::Serialize;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// A bulk run: the options every domain shares.
pub struct Bulk {
    pub opts: Options,
    pub concurrency: usize,
    pub lang: Lang,
    /// Where each domain's run is kept (in batches, by [`crate::history::Keeper`]).
    pub history: crate::history::HistoryFlags,
}

/// A line to check: its number and its text.
type Input = (u64, String);

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

/// What one input line came to, or why the run must stop.
type Produced = Result<Done, String>;

/// The lines of `reader`: blank lines and `#` comments are skipped, the others go to the
/// shards through `tx`; a line that is not UTF-8 is answered at once through `out`, and so
/// is an input that cannot be read further (which ends the reading).
fn read_items(
    reader: impl Read,
    tx: tokio::sync::mpsc::Sender<Input>,
    out: tokio::sync::mpsc::Sender<Produced>,
) {
    for (index, raw) in BufReader::new(reader).split(b'\n').enumerate() {
        let line = index as u64 + 1;
        let sent = match raw {
            Err(e) => {
                let _ = out.blocking_send(Err(e.to_string()));
                return;
            }
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(e) => {
                    let input = String::from_utf8_lossy(e.as_bytes()).trim().to_string();
                    let outcome = Err(Error::Domain {
                        typed: input.clone(),
                        detail: "the line is not UTF-8 text".to_string(),
                    });
                    out.blocking_send(Ok(done(line, &input, outcome, Clock::System)))
                        .is_ok()
                }
                Ok(text) => {
                    let input = text.trim();
                    if input.is_empty() || input.starts_with('#') {
                        continue;
                    }
                    tx.blocking_send((line, input.to_string())).is_ok()
                }
            },
        };
        if !sent {
            return;
        }
    }
}

/// The JSON line of one input line and what it came to.
fn done(line: u64, input: &str, outcome: Result<DomainReport, Error>, clock: Clock) -> Done {
    let run = outcome
        .as_ref()
        .ok()
        .map(|report| Snapshot::Domain(Box::new(report.clone())).to_run(clock, Origin::Cli));
    let (outcome, kind) = match &outcome {
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
        line,
        input,
        outcome,
    })
    .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    Done { json, kind, run }
}

/// Puts the calling thread in the SCHED_BATCH policy (sched(7)): bulk checking is batch
/// work, and a batch thread does not preempt the running one each time an answer wakes it.
/// Without it, every DNS answer on a busy machine was a pair of context switches between the
/// shard and a DNS server on the same core; with it, bulk runs took about a quarter less
/// time on the 2-core bench machine. The policy change also sets the thread's niceness, so
/// it is made only for a thread at the default niceness (0), which it keeps. Best effort:
/// where the policy cannot be set, the run is only slower.
fn batch_scheduling() {
    if thread_stat(19).as_deref() == Some("0") {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityOsValue,
            ThreadSchedulePolicy, set_thread_priority_and_policy, thread_native_id,
        };
        let _ = set_thread_priority_and_policy(
            thread_native_id(),
            ThreadPriority::Os(ThreadPriorityOsValue::default()),
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
        );
    }
}

/// Field `n` (1-based, as proc_pid_stat(5) numbers them, from 3 on) of the calling thread's
/// /proc stat line.
fn thread_stat(n: usize) -> Option<String> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The fields after the ")" that ends field 2 (the thread's name, which may hold spaces).
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    rest.split(' ').nth(n.checked_sub(3)?).map(str::to_string)
}

/// One shard: a thread with a runtime of its own and sockets of its own, taking lines from
/// the shared queue, with at most `concurrency` domains in flight. Nothing crosses threads
/// but the lines in and the results out, so no wake-up goes from one core to the other for
/// every DNS answer.
fn shard(
    queue: Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Input>>>,
    out: tokio::sync::mpsc::Sender<Produced>,
    (opts, env): (Options, Env),
    concurrency: usize,
) {
    batch_scheduling();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = out.blocking_send(Err(e.to_string()));
            return;
        }
    };
    runtime.block_on(async {
        let inputs = futures_util::stream::unfold(queue, |queue| async move {
            let input = queue.lock().await.recv().await;
            // Each line is known by its number and its text, and checked by its text.
            input.map(|(line, text)| (((line, text.clone()), text), queue))
        });
        let mut results = std::pin::pin!(check_many(&env, inputs, &opts, concurrency));
        while let Some(((line, input), outcome)) = results.next().await {
            if out
                .send(Ok(done(line, &input, outcome, env.clock())))
                .await
                .is_err()
            {
                return;
            }
        }
    });
}

impl Bulk {
    /// Reads `from` (a file, or `-` for standard input), checks every domain and writes one
    /// JSON line per input line. Exit code: 3 when a line was not a domain, else 1 when a
    /// domain has problems, else 0; 2 when the input or the output failed.
    ///
    /// The domains are shared out among one shard per core ([`shard`]), all of them under
    /// the one `--rate` cap of `env`.
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
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let shards = cores.min(self.concurrency).max(1);
        let per_shard = self.concurrency.div_ceil(shards);
        let (tx, rx) = tokio::sync::mpsc::channel::<Input>(self.concurrency * 2);
        let (out_tx, mut out_rx) = tokio::sync::mpsc::channel::<Produced>(self.concurrency * 2);
        // Every thread of the run is batch work: the readers, the shards, and this one,
        // which writes the results.
        batch_scheduling();
        let reader_out = out_tx.clone();
        let reader_thread = std::thread::spawn(move || {
            batch_scheduling();
            read_items(reader, tx, reader_out)
        });
        let queue = Arc::new(tokio::sync::Mutex::new(rx));
        let workers: Vec<_> = (0..shards)
            .map(|_| {
                let work = (self.opts.clone(), env.with_own_sockets());
                let (queue, out) = (Arc::clone(&queue), out_tx.clone());
                std::thread::spawn(move || shard(queue, out, work, per_shard))
            })
            .collect();
        drop(out_tx);

        let bar = progress_bar(total, lang);
        let mut keep = crate::history::Keeper::new(&self.history, lang);
        let mut stdout = std::io::stdout().lock();
        let (mut problems, mut not_domains, mut done) = (0u64, 0u64, 0u64);
        let mut failure: Option<String> = None;
        while let Some(result) = out_rx.blocking_recv() {
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
        for w in workers {
            if w.join().is_err() {
                failure = Some("a worker thread stopped".into());
            }
        }
        let _ = reader_thread.join();
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
            eprintln!(
                "maildoc: {}",
                ui::fill("error-domain-from", lang, &[("detail", &e)])
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A thread at the default niceness goes to SCHED_BATCH (policy 3, field 41) and keeps
    /// its niceness; a thread that was given another niceness is left alone.
    #[test]
    fn bulk_threads_are_batch_threads() {
        let (policy, nice) = std::thread::spawn(|| {
            let before = thread_stat(19);
            batch_scheduling();
            (thread_stat(41), (before, thread_stat(19)))
        })
        .join()
        .unwrap_or_default();
        let (before, after) = nice;
        assert_eq!(before, after, "the niceness does not change");
        if before.as_deref() == Some("0") {
            assert_eq!(policy.as_deref(), Some("3"), "SCHED_BATCH");
        } else {
            assert_eq!(policy.as_deref(), Some("0"), "left alone");
        }
    }
}
