//! Many domains at once: a stream of inputs in, a stream of reports out, each as soon as it
//! is done ([`check_many`]); or the lines of a file, checked on every core ([`check_lines`]).

use super::{DomainName, Options, check};
use crate::{Env, Error, Event};
use futures_util::{Stream, StreamExt};
use maildoc_model::domain::DomainReport;
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Checks the domain of each input's text as [`check`] does, at most `concurrency` at once
/// (each under its own deadline of `opts.timeout`), all through `env`'s resolver and its
/// query-rate cap. Yields each input's key (what the caller knows it by: a line number, a
/// row) with its report, or with why its text is not a domain name, in the order they
/// finish. Inputs are taken only as slots free up, so a long input costs no memory; dropping
/// the stream stops the checks in flight. `progress` hears each domain's parts as they are
/// done ([`Event::DomainPart`]), with the input's key.
pub fn check_many<'a, K: Sync + 'a>(
    env: &'a Env,
    inputs: impl Stream<Item = (K, String)> + 'a,
    opts: &'a Options,
    concurrency: usize,
    progress: impl Fn(&K, Event) + Send + Sync + 'a,
) -> impl Stream<Item = (K, Result<DomainReport, Error>)> + 'a {
    let progress = Arc::new(progress);
    inputs
        .map(move |(key, text)| {
            let progress = Arc::clone(&progress);
            async move {
                let outcome = match DomainName::parse(&text) {
                    Ok(domain) => Ok(check(env, &domain, opts, |e| progress(&key, e)).await),
                    Err(e) => Err(e),
                };
                (key, outcome)
            }
        })
        .buffer_unordered(concurrency.max(1))
}

/// One line of a bulk input and what it came to.
#[derive(Debug)]
pub struct LineDone {
    /// The line's number in the input, from 1.
    pub line: u64,
    /// The line as read, trimmed (a line that is not UTF-8 with its bad bytes replaced).
    pub input: String,
    /// Its domain's report, or why the line is not a domain name.
    pub outcome: Result<DomainReport, Error>,
}

/// Why a bulk run could not go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkError {
    /// The input could not be read further (the system's words).
    Read(String),
    /// A shard's runtime could not be started (the system's words).
    Runtime(String),
    /// A shard's thread stopped before its work was done.
    WorkerStopped,
}

impl std::fmt::Display for BulkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BulkError::Read(e) | BulkError::Runtime(e) => f.write_str(e),
            BulkError::WorkerStopped => f.write_str("a worker thread stopped"),
        }
    }
}

impl std::error::Error for BulkError {}

/// A bulk run over the lines of an input: each line's outcome, as [`check_lines`]'s
/// `finish` made it, in the order the lines are done.
#[derive(Debug)]
pub struct Lines<T> {
    rx: tokio::sync::mpsc::Receiver<Result<T, BulkError>>,
    threads: Vec<JoinHandle<()>>,
}

impl<T> Iterator for Lines<T> {
    type Item = Result<T, BulkError>;

    /// Waits for the next line done (blocking: call it outside an async runtime).
    fn next(&mut self) -> Option<Self::Item> {
        self.rx.blocking_recv()
    }
}

impl<T> Lines<T> {
    /// Waits for every thread of the run; an error when one of them stopped abnormally.
    pub fn join(self) -> Result<(), BulkError> {
        drop(self.rx);
        let mut stopped = false;
        for t in self.threads {
            stopped |= t.join().is_err();
        }
        if stopped {
            Err(BulkError::WorkerStopped)
        } else {
            Ok(())
        }
    }
}

/// Checks the domain on each line of `reader` (blank lines and `#` comments are skipped) on
/// one shard per core, at most `concurrency` domains in flight in all, and all of them under
/// the one query-rate cap of `env`. Each line's outcome goes through `finish` on the thread
/// that checked it (so turning reports into text is shared out too) and comes out of the
/// returned [`Lines`] as soon as it is done.
///
/// Memory stays flat whatever the number of lines: a reader thread passes them on through
/// a bounded channel, and nothing crosses threads but the lines in and the results out, so
/// no wake-up goes from one core to the other for every DNS answer.
pub fn check_lines<T, F>(
    reader: impl Read + Send + 'static,
    env: &Env,
    opts: &Options,
    concurrency: usize,
    finish: F,
) -> Lines<T>
where
    T: Send + 'static,
    F: Fn(LineDone) -> T + Send + Sync + 'static,
{
    let concurrency = concurrency.max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let shards = cores.min(concurrency);
    let per_shard = concurrency.div_ceil(shards);
    let (tx, rx) = tokio::sync::mpsc::channel::<(u64, String)>(concurrency * 2);
    let (out_tx, out_rx) = tokio::sync::mpsc::channel(concurrency * 2);
    let finish = Arc::new(finish);
    // Every thread of the run is batch work: the reader, the shards, and the caller's, which
    // takes the results.
    batch_scheduling();
    let mut threads = Vec::with_capacity(shards + 1);
    {
        let (out, finish) = (out_tx.clone(), Arc::clone(&finish));
        threads.push(std::thread::spawn(move || {
            batch_scheduling();
            read_lines(reader, tx, out, &*finish);
        }));
    }
    let queue = Arc::new(tokio::sync::Mutex::new(rx));
    for _ in 0..shards {
        let work = (opts.clone(), env.with_own_sockets());
        let (queue, out, finish) = (Arc::clone(&queue), out_tx.clone(), Arc::clone(&finish));
        threads.push(std::thread::spawn(move || {
            shard(queue, out, work, per_shard, &*finish);
        }));
    }
    Lines {
        rx: out_rx,
        threads,
    }
}

/// The lines of `reader` to `tx`; a line that is not UTF-8 is answered at once through
/// `out`, and so is an input that cannot be read further (which ends the reading).
fn read_lines<T>(
    reader: impl Read,
    tx: tokio::sync::mpsc::Sender<(u64, String)>,
    out: tokio::sync::mpsc::Sender<Result<T, BulkError>>,
    finish: &dyn Fn(LineDone) -> T,
) {
    for (index, raw) in BufReader::new(reader).split(b'\n').enumerate() {
        let line = index as u64 + 1;
        let sent = match raw {
            Err(e) => {
                let _ = out.blocking_send(Err(BulkError::Read(e.to_string())));
                return;
            }
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(e) => {
                    let input = String::from_utf8_lossy(e.as_bytes()).trim().to_string();
                    let outcome = Err(Error::Domain {
                        typed: input.clone(),
                        detail: "the line is not UTF-8 text".to_string(),
                    });
                    let done = LineDone {
                        line,
                        input,
                        outcome,
                    };
                    out.blocking_send(Ok(finish(done))).is_ok()
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

/// One shard: a thread with a runtime of its own and sockets of its own, taking lines from
/// the shared queue, with at most `concurrency` domains in flight.
fn shard<T>(
    queue: Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<(u64, String)>>>,
    out: tokio::sync::mpsc::Sender<Result<T, BulkError>>,
    (opts, env): (Options, Env),
    concurrency: usize,
    finish: &dyn Fn(LineDone) -> T,
) {
    batch_scheduling();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = out.blocking_send(Err(BulkError::Runtime(e.to_string())));
            return;
        }
    };
    runtime.block_on(async {
        let inputs = futures_util::stream::unfold(queue, |queue| async move {
            let input = queue.lock().await.recv().await;
            // Each line is known by its number and its text, and checked by its text.
            input.map(|(line, text)| (((line, text.clone()), text), queue))
        });
        let checks = check_many(&env, inputs, &opts, concurrency, |_, _| {});
        let mut results = std::pin::pin!(checks);
        while let Some(((line, input), outcome)) = results.next().await {
            let done = LineDone {
                line,
                input,
                outcome,
            };
            if out.send(Ok(finish(done))).await.is_err() {
                return;
            }
        }
    });
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
