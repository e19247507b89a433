//! The `maildoc` command.

mod address;
mod args;
mod discover;
mod domain;
mod explain;
mod karte;
mod password;
mod progress;
mod serve;
mod triage;

use args::Command;
use maildoc_engine::CheckOptions;
use maildoc_report::{Format, Lang, human};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Exit codes, as documented in the README and `--help`.
const EXIT_HEALTHY: u8 = 0;
const EXIT_PROBLEMS: u8 = 1;
const EXIT_CANNOT_RUN: u8 = 2;
const EXIT_USAGE: u8 = 3;

fn main() -> ExitCode {
    let cli = match args::parse(args::early_language()) {
        Ok(cli) => cli,
        Err(args::Failure::NotText(message)) => return usage(&message),
        Err(args::Failure::Clap(e)) => {
            let code = if e.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_HEALTHY
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Check(args) => check(args, cli.lang.as_deref()),
        Command::Discover(args) => discover::run(args, cli.lang.as_deref()),
        Command::Karte(args) => karte::run(args, cli.lang.as_deref()),
        Command::Triage(args) => triage::run(args, cli.lang.as_deref()),
        Command::Explain(args) => explain::run(args, cli.lang.as_deref()),
        Command::Domain(args) => domain::run(args, cli.lang.as_deref()),
        Command::Serve(args) => serve::run(args, cli.lang.as_deref()),
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

fn check(args: args::CheckArgs, lang_flag: Option<&str>) -> ExitCode {
    let lang = args::language(lang_flag);
    if let Some(problem) = address::problem(&args.address, args.servers.username.as_deref(), lang) {
        return usage(&problem);
    }
    let format = args.format();
    let password = if args.login.no_login {
        None
    } else {
        match password::obtain(&args, lang) {
            Ok(p) => p,
            Err(problem) => return usage(&problem.words(lang)),
        }
    };
    let net = match args.net.checked(lang) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let login = !args.login.no_login && password.is_some();
    let settings = match args.servers.settings(&args.address) {
        Ok(s) => s,
        Err(m) => return usage_error(lang, "error-input", &m),
    };
    let opts = CheckOptions {
        settings,
        password,
        login,
        smtp_auth: args.servers.smtp_auth(),
        allow_plaintext_login: args.login.allow_plaintext_login,
        timeout: net.timeout,
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let progress = progress::CheckProgress::new(format, lang);
    let result = runtime.block_on(maildoc_engine::check(&net.env, opts, |e| {
        progress.event(&e)
    }));
    progress.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => return job_error(&e, lang),
    };
    print_report(&report, format, lang, args.verbose, args.client)
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
