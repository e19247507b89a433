//! The history door: `--db`, `--no-history` and `--keep-days` on every command, keeping each
//! run's report, and `maildoc history` to list runs, show one, and compare two.

use crate::args::FormatArg;
use crate::{EXIT_CANNOT_RUN, EXIT_USAGE};
use clap::Args;
use maildoc_engine::Clock;
use maildoc_engine::history::{
    History, HistoryError, Kind, Location, NewRun, Origin, Retention, RunFilter, Snapshot,
};
use maildoc_report::{Format, Lang, ui};
use std::process::ExitCode;

/// Where runs are kept, and whether: flags every command takes.
#[derive(Clone, Debug, Default, Args)]
pub struct HistoryFlags {
    #[arg(long, global = true, value_name = "sqlite:PATH|postgres://…")]
    pub db: Option<String>,
    #[arg(long, global = true)]
    pub no_history: bool,
    #[arg(long, global = true, value_name = "DAYS")]
    pub keep_days: Option<u32>,
}

/// The environment variable for `--keep-days`.
const KEEP_DAYS_ENV: &str = "MAILDOC_KEEP_DAYS";

pub const HELP: &[(&str, &str)] = &[
    ("db", "help-db"),
    ("no_history", "help-no-history"),
    ("keep_days", "help-keep-days"),
];

impl HistoryFlags {
    /// How long full runs are kept: `--keep-days`, else `MAILDOC_KEEP_DAYS`, else 90 days.
    fn retention(&self) -> Retention {
        let days = self.keep_days.or_else(|| {
            std::env::var(KEEP_DAYS_ENV)
                .ok()
                .and_then(|v| v.trim().parse().ok())
        });
        days.map_or_else(Retention::default, |full_days| Retention { full_days })
    }

    /// Opens the history (for reading, or for keeping runs).
    pub async fn open(&self) -> Result<History, maildoc_engine::history::StoreError> {
        let location = Location::choose(self.db.as_deref())?;
        History::open(&location, self.retention()).await
    }

    /// The history `maildoc serve` keeps every job in, folded once at the start: `None`
    /// with `--no-history`, or when it cannot be opened (said on standard error; the web
    /// app works without).
    pub async fn open_for_serve(&self, clock: Clock, lang: Lang) -> Option<History> {
        if self.no_history {
            return None;
        }
        let opened = match self.open().await {
            Ok(history) => history.prune(clock).await.map(|_| history),
            Err(e) => Err(e),
        };
        match opened {
            Ok(history) => Some(history),
            Err(e) => {
                not_kept(&e, lang);
                None
            }
        }
    }

    /// Keeps a run's reports in the history, unless `--no-history`; then folds what is
    /// older than the retention. A history that cannot be written is said on standard error
    /// and changes nothing else: the diagnosis was made and printed.
    pub async fn keep(&self, clock: Clock, snapshots: &[Snapshot], origin: Origin, lang: Lang) {
        if self.no_history || snapshots.is_empty() {
            return;
        }
        let runs: Vec<NewRun> = snapshots.iter().map(|s| s.to_run(clock, origin)).collect();
        let kept = match self.open().await {
            Ok(history) => match history.keep_all(runs).await {
                Ok(_) => history.prune(clock).await.map(|_| ()),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        if let Err(e) = kept {
            not_kept(&e, lang);
        }
    }

    /// `keep` from a door that is not async: on a runtime of its own.
    pub fn keep_blocking(&self, clock: Clock, snapshots: &[Snapshot], origin: Origin, lang: Lang) {
        if self.no_history || snapshots.is_empty() {
            return;
        }
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(self.keep(clock, snapshots, origin, lang)),
            Err(e) => not_saved(&e.to_string(), lang),
        }
    }
}

/// Runs a bulk run keeps in one transaction.
const KEEP_BATCH: usize = 500;

/// Keeps the runs of a bulk run in the history, [`KEEP_BATCH`] per transaction, on a runtime
/// of its own (the writing thread is not async). The history is opened at the first batch
/// and folded once at the end; a history that fails is said once, and the run goes on
/// without it.
pub(crate) struct Keeper<'a> {
    flags: &'a HistoryFlags,
    lang: Lang,
    runtime: Option<tokio::runtime::Runtime>,
    history: Option<History>,
    batch: Vec<NewRun>,
}

impl<'a> Keeper<'a> {
    pub(crate) fn new(flags: &'a HistoryFlags, lang: Lang) -> Keeper<'a> {
        let runtime = (!flags.no_history)
            .then(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()
            })
            .flatten();
        Keeper {
            flags,
            lang,
            runtime,
            history: None,
            batch: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, run: Option<NewRun>) {
        if self.runtime.is_some()
            && let Some(run) = run
        {
            self.batch.push(run);
            if self.batch.len() >= KEEP_BATCH {
                self.flush();
            }
        }
    }

    fn flush(&mut self) {
        let Some(rt) = &self.runtime else {
            return;
        };
        let runs = std::mem::take(&mut self.batch);
        if runs.is_empty() {
            return;
        }
        let kept = rt.block_on(async {
            if self.history.is_none() {
                self.history = Some(self.flags.open().await?);
            }
            match &self.history {
                Some(history) => history.keep_all(runs).await.map(|_| ()),
                None => Ok(()),
            }
        });
        if let Err(e) = kept {
            not_kept(&e, self.lang);
            self.runtime = None;
        }
    }

    /// Keeps what is left, then folds what is older than the retention.
    pub(crate) fn finish(mut self) {
        self.flush();
        if let (Some(rt), Some(history)) = (&self.runtime, &self.history)
            && let Err(e) = rt.block_on(history.prune(Clock::System))
        {
            not_kept(&e, self.lang);
        }
    }
}

/// Says on standard error that the run was not kept, and why.
pub(crate) fn not_kept(e: &maildoc_engine::history::StoreError, lang: Lang) {
    not_saved(&maildoc_report::history::store_error(e, lang), lang);
}

fn not_saved(detail: &str, lang: Lang) {
    eprintln!(
        "{}",
        ui::fill("history-not-saved", lang, &[("detail", detail)])
    );
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    Check,
    Discover,
    Domain,
    Message,
    Roundtrip,
}

impl From<KindArg> for Kind {
    fn from(k: KindArg) -> Kind {
        match k {
            KindArg::Check => Kind::Check,
            KindArg::Discover => Kind::Discover,
            KindArg::Domain => Kind::Domain,
            KindArg::Message => Kind::Message,
            KindArg::Roundtrip => Kind::Roundtrip,
        }
    }
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The address or domain whose runs to list (all runs when none).
    pub subject: Option<String>,
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    #[arg(long, value_name = "7d|24h|2026-12-01")]
    pub since: Option<String>,
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub limit: u32,
    /// Compare two runs (the last two when none is given; the given one with the last).
    #[arg(long, num_args = 0..=2, value_name = "RUN")]
    pub diff: Option<Vec<i64>>,
    #[arg(long, value_name = "RUN", conflicts_with = "diff")]
    pub show: Option<i64>,
    #[arg(long, value_enum, value_name = "human|json|markdown")]
    pub format: Option<FormatArg>,
}

const ARGS_HELP: &[(&str, &str)] = &[
    ("subject", "help-history-subject"),
    ("kind", "help-history-kind"),
    ("since", "help-history-since"),
    ("code", "help-history-code"),
    ("limit", "help-history-limit"),
    ("diff", "help-history-diff"),
    ("show", "help-history-show"),
    ("format", "help-history-format"),
];

pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    let cmd = crate::args::localize_args(cmd, HELP, lang);
    cmd.mut_subcommand("history", |sub| {
        let sub = sub
            .about(ui::text("help-history", lang))
            .after_help(ui::text("help-history-after", lang));
        crate::args::localize_args(sub, ARGS_HELP, lang)
    })
}

/// `maildoc history`: exit code 0 when shown, 2 when the history cannot be read, 3 for a
/// subject, time or run that cannot be used.
pub fn run(args: HistoryArgs, lang_flag: Option<&str>, flags: &HistoryFlags) -> ExitCode {
    let lang = crate::args::language(lang_flag);
    let format = Format::from(args.format.unwrap_or(FormatArg::Human));
    let subject = match args.subject.as_deref().map(subject) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(message)) => return crate::usage(&message(lang)),
    };
    let since_ms = match args.since.as_deref() {
        None => None,
        Some(text) => match since(text, maildoc_engine::history::now_ms(Clock::System)) {
            Some(ms) => Some(ms),
            None => return crate::usage_error(lang, "error-history-since", text),
        },
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async {
        let history = match flags.open().await {
            Ok(h) => h,
            Err(e) => return cannot_read(&maildoc_report::history::store_error(&e, lang)),
        };
        if let Some(id) = args.show {
            return show(&history, id, format, lang).await;
        }
        if let Some(runs) = &args.diff {
            let Some(subject) = subject.as_deref() else {
                return crate::usage(ui::text("error-history-diff-subject", lang));
            };
            let (from, to) = (runs.first().copied(), runs.get(1).copied());
            return match history.diff(subject, from, to).await {
                Ok(d) => {
                    crate::write_result(&maildoc_report::history::diff(&d, format, lang), false)
                }
                Err(e) => history_error(&e, lang),
            };
        }
        let filter = RunFilter {
            kind: args.kind.map(Kind::from),
            subject: subject.clone(),
            since_ms,
            code: args.code.clone(),
            limit: args.limit.max(1),
        };
        let runs = match history.runs(filter).await {
            Ok(r) => r,
            Err(e) => return cannot_read(&maildoc_report::history::store_error(&e, lang)),
        };
        let days = match history
            .store()
            .days(args.kind.map(Kind::from), subject.clone())
            .await
        {
            Ok(d) => d,
            Err(e) => return cannot_read(&maildoc_report::history::store_error(&e, lang)),
        };
        let text = maildoc_report::history::list(&runs, &days, subject.as_deref(), format, lang);
        crate::write_result(&text, false)
    })
}

/// A stored run's report, as its own command prints it.
async fn show(history: &History, id: i64, format: Format, lang: Lang) -> ExitCode {
    let snapshot = match history.snapshot(id).await {
        Ok((_, s)) => s,
        Err(e) => return history_error(&e, lang),
    };
    match snapshot {
        Snapshot::Check(report) => crate::print_report(&report, format, lang, false, None),
        Snapshot::Discover(found) => crate::write_result(
            &maildoc_report::discover::render(&found, format, lang),
            !found.found(),
        ),
        Snapshot::Domain(report) => crate::write_result(
            &crate::domain::render(&report, format, lang),
            report.has_problems(),
        ),
        Snapshot::Message(report) => crate::write_result(
            &maildoc_report::message::render(&report, format, lang),
            report.has_problems(),
        ),
        Snapshot::Roundtrip(report) => crate::write_result(
            &maildoc_report::message::roundtrip_render(&report, format, lang),
            report.has_problems(),
        ),
    }
}

fn history_error(e: &HistoryError, lang: Lang) -> ExitCode {
    match e {
        HistoryError::Store(_) | HistoryError::Unreadable { .. } => {
            cannot_read(&maildoc_report::history::history_error(e, lang))
        }
        _ => {
            eprintln!(
                "maildoc: {}",
                maildoc_report::history::history_error(e, lang)
            );
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn cannot_read(words: &str) -> ExitCode {
    eprintln!("maildoc: {words}");
    ExitCode::from(EXIT_CANNOT_RUN)
}

/// The subject as runs are kept: an address as the check understood it (lower case, the
/// domain in A-labels), or a domain.
pub(crate) fn subject(text: &str) -> Result<String, impl Fn(Lang) -> String> {
    let parsed = if text.contains('@') {
        maildoc_engine::check_input(text, None).map(|a| a.full().to_lowercase())
    } else {
        maildoc_engine::domain::DomainName::parse(text).map(|d| d.as_str().to_lowercase())
    };
    parsed.map_err(|e| move |lang| maildoc_report::error::words(&e, lang))
}

/// `--since`: `7d`, `24h`, `30m` back from `now_ms`, or a date (`2026-12-01`, UTC) or an RFC
/// 3339 time.
pub(crate) fn since(text: &str, now_ms: i64) -> Option<i64> {
    let t = text.trim();
    let unit = |c: char| match c {
        'd' => Some(86_400_000),
        'h' => Some(3_600_000),
        'm' => Some(60_000),
        _ => None,
    };
    if let Some(last) = t.chars().last()
        && let Some(ms) = unit(last)
        && let Ok(n) = t[..t.len() - 1].parse::<i64>()
    {
        return Some(now_ms.saturating_sub(n.saturating_mul(ms)));
    }
    let rfc = if t.len() == 10 {
        format!("{t}T00:00:00Z")
    } else {
        t.to_owned()
    };
    time::OffsetDateTime::parse(&rfc, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|d| i64::try_from(d.unix_timestamp_nanos() / 1_000_000).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_span_or_a_date() {
        let now = 1_796_083_200_000; // 2026-12-01T00:00:00Z
        assert_eq!(since("7d", now), Some(now - 7 * 86_400_000));
        assert_eq!(since("24h", now), Some(now - 86_400_000));
        assert_eq!(since("30m", now), Some(now - 1_800_000));
        assert_eq!(since("2026-11-30", now), Some(now - 86_400_000));
        assert_eq!(
            since("2026-11-30T12:00:00+09:00", now),
            Some(now - 86_400_000 + 3 * 3_600_000)
        );
        assert_eq!(since("yesterday", now), None);
        assert_eq!(since("7x", now), None);
    }

    #[test]
    fn a_subject_is_kept_as_the_check_understood_it() {
        assert_eq!(
            subject("Taro@Example.JP").ok(),
            Some("taro@example.jp".into())
        );
        assert_eq!(subject("例え.jp").ok(), Some("xn--r8jz45g.jp".into()));
        assert!(subject("not a domain").is_err());
    }

    #[test]
    fn help_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for (_, key) in HELP.iter().chain(ARGS_HELP) {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
            for key in [
                "help-history",
                "help-history-after",
                "error-history-since",
                "error-history-diff-subject",
                "history-not-saved",
            ] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
    }
}
