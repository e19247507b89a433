//! The `maildoc` command.

mod address;
mod args;
mod check;
mod cli;
mod discover;
mod domain;
mod explain;
mod history;
mod karte;
mod message;
mod password;
mod progress;
mod roundtrip;
mod serve;
mod status;
mod triage;
mod watch;

use cli::Command;
use maildoc_report::{Format, Lang, human};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Exit codes, as documented in the README and `--help`.
const EXIT_HEALTHY: u8 = 0;
const EXIT_PROBLEMS: u8 = 1;
const EXIT_CANNOT_RUN: u8 = 2;
const EXIT_USAGE: u8 = 3;

fn main() -> ExitCode {
    let cli = match cli::parse(args::early_language()) {
        Ok(cli) => cli,
        Err(cli::Failure::NotText(message)) => return usage(&message),
        Err(cli::Failure::Clap(e)) => {
            let code = if e.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_HEALTHY
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let (lang, history) = (cli.lang.as_deref(), &cli.history);
    match cli.command {
        Command::Check(args) => check::run(args, lang, history),
        Command::Discover(args) => discover::run(args, lang, history),
        Command::Karte(args) => karte::run(args, lang, history),
        Command::Triage(args) => triage::run(args, lang, history),
        Command::Explain(args) => explain::run(args, lang, history),
        Command::Domain(args) => domain::run(args, lang, history),
        Command::Serve(args) => serve::run(args, lang, history),
        Command::History(args) => history::run(args, lang, history),
        Command::Watch(args) => watch::run(args, lang, history),
        Command::Message(args) => message::run(args, lang, history),
        Command::Roundtrip(args) => roundtrip::run(args, lang, history),
        Command::Status(args) => status::run(args, lang),
    }
}

/// A usage error from the UI table (`key`, with its `detail`): exit code 3.
fn usage_error(lang: Lang, key: &str, detail: &str) -> ExitCode {
    usage(&maildoc_report::ui::fill(key, lang, &[("detail", detail)]))
}

/// A job that could not start: its words on standard error, exit code 3.
fn job_error(e: &maildoc_engine::Error, lang: Lang) -> ExitCode {
    usage(&maildoc_report::error::words(e, lang))
}

/// A usage error already in words: said on standard error, exit code 3.
fn usage(message: &str) -> ExitCode {
    eprintln!("maildoc: {message}");
    ExitCode::from(EXIT_USAGE)
}

/// The runtime every command's network work runs on; failing to build it means maildoc
/// cannot run (exit code 2).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("maildoc: {e}");
            ExitCode::from(EXIT_CANNOT_RUN)
        })
}

/// Prints a check report in the asked format and gives the exit code it means: 0 healthy,
/// 1 problems, 2 when standard output cannot be written.
pub(crate) fn print_report(
    report: &maildoc_model::Report,
    format: Format,
    lang: Lang,
    verbose: bool,
    client: Option<maildoc_report::Client>,
) -> ExitCode {
    let text = match format {
        Format::Json => maildoc_report::json(report),
        Format::Markdown => maildoc_report::markdown::render(report, lang, client),
        Format::Human => {
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            human::render(
                report,
                lang,
                human::Style {
                    color,
                    verbose,
                    client,
                },
            )
        }
    };
    write_result(&text, report.has_problems())
}

/// Writes a command's result to standard output and gives its exit code: 1 with
/// `problems`, else 0; 2 when standard output cannot be written.
pub(crate) fn write_result(text: &str, problems: bool) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", text.trim_end()).is_err() {
        return ExitCode::from(EXIT_CANNOT_RUN);
    }
    ExitCode::from(if problems {
        EXIT_PROBLEMS
    } else {
        EXIT_HEALTHY
    })
}
