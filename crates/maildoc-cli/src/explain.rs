//! `maildoc explain TEXT|CODE`: what an error text means, the likely causes ranked, how to
//! confirm each, and the fix; `--check ADDRESS` runs a real check and marks each cause
//! confirmed or not seen. The explanation and the cross-check are `maildoc_engine::explain`,
//! the screens `maildoc_report::explain`.

use crate::args::{self, FormatArg, LoginArgs, NetArgs, ServerArgs};
use crate::{EXIT_CANNOT_RUN, EXIT_HEALTHY, EXIT_PROBLEMS, EXIT_USAGE, password};
use clap::Args;
use maildoc_engine::CheckOptions;
use maildoc_engine::explain::{CheckOutcome, Explanation};
use maildoc_engine::history::{Origin, Snapshot};
use maildoc_report::explain::Input;
use maildoc_report::{Client, Format, Lang, ui};
use std::io::{Read, Write};
use std::process::ExitCode;

/// `maildoc explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error text (several words are joined with spaces); `-` reads standard input.
    #[arg(required = true, value_name = "TEXT|CODE")]
    pub text: Vec<String>,
    #[arg(long, value_name = "ADDRESS")]
    pub check: Option<String>,
    #[command(flatten)]
    pub servers: ServerArgs,
    #[command(flatten)]
    pub login: LoginArgs,
    #[command(flatten)]
    pub net: NetArgs,
    #[arg(
        long,
        value_enum,
        default_value = "human",
        value_name = "human|json|markdown"
    )]
    pub format: FormatArg,
    #[arg(long, value_name = "APP", value_parser = args::parse_client)]
    pub client: Option<Client>,
}

/// The arguments of `explain` and the UI keys of their help.
const HELP: &[(&str, &str)] = &[
    ("text", "help-explain-text"),
    ("check", "help-explain-check"),
    ("imap", "help-imap"),
    ("pop3", "help-pop3"),
    ("smtp", "help-smtp"),
    ("username", "help-username"),
    ("password_stdin", "help-password-stdin"),
    ("password_file", "help-password-file"),
    ("no_login", "help-no-login"),
    ("allow_plaintext_login", "help-allow-plaintext-login"),
    ("smtp_auth", "help-smtp-auth"),
    ("dns_server", "help-dns-server"),
    ("ca_file", "help-ca-file"),
    ("timeout", "help-timeout"),
    ("format", "help-explain-format"),
    ("client", "help-explain-client"),
];

/// Puts `explain`'s help texts in `lang`.
pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("explain", |sub| {
        let sub = sub
            .about(ui::text("help-explain", lang))
            .after_help(ui::text("help-explain-after", lang));
        args::localize_args(sub, HELP, lang)
    })
}

/// Runs `maildoc explain`.
pub fn run(
    args: ExplainArgs,
    lang_flag: Option<&str>,
    history: &crate::history::HistoryFlags,
) -> ExitCode {
    let lang = args::language(lang_flag);
    let from_stdin = args.text.len() == 1 && args.text[0] == "-";
    let text = if from_stdin {
        if args.login.password_stdin {
            eprintln!(
                "maildoc: {}",
                ui::text("error-explain-password-stdin", lang)
            );
            return ExitCode::from(EXIT_USAGE);
        }
        let mut buf = Vec::new();
        if let Err(e) = std::io::stdin().lock().take(1 << 20).read_to_end(&mut buf) {
            eprintln!(
                "maildoc: {}",
                ui::fill("error-explain-stdin", lang, &[("detail", &e.to_string())])
            );
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
        String::from_utf8_lossy(&buf).into_owned()
    } else {
        args.text.join(" ")
    };
    if text.trim().is_empty() {
        eprintln!("maildoc: {}", ui::text("error-explain-empty", lang));
        return ExitCode::from(EXIT_USAGE);
    }
    if args.check.is_none() {
        let stray = [
            (!args.servers.imap.is_empty(), "--imap"),
            (!args.servers.pop3.is_empty(), "--pop3"),
            (!args.servers.smtp.is_empty(), "--smtp"),
            (args.servers.username.is_some(), "--username"),
            (args.login.password_stdin, "--password-stdin"),
            (args.login.password_file.is_some(), "--password-file"),
        ];
        if let Some((_, flag)) = stray.iter().find(|(on, _)| *on) {
            eprintln!(
                "maildoc: {}",
                ui::fill("error-explain-check-flags", lang, &[("detail", flag)])
            );
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let explanation = maildoc_engine::explain::explain(&text);
    let check = match &args.check {
        Some(address) => match run_check(&args, address, &explanation, lang, history) {
            Ok(outcome) => Some(outcome),
            Err(code) => return code,
        },
        None => None,
    };
    let format = Format::from(args.format);
    let input = Input {
        text: &text,
        explanation: &explanation,
        check: check.as_ref(),
    };
    let out = maildoc_report::explain::render(input, format, lang, args.client);
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", out.trim_end()).is_err() {
        return ExitCode::from(EXIT_CANNOT_RUN);
    }
    ExitCode::from(if explanation.unknown {
        EXIT_PROBLEMS
    } else {
        EXIT_HEALTHY
    })
}

/// Runs the real check of `--check ADDRESS` with the check command's flags and compares its
/// findings with the candidates of `explanation`.
fn run_check(
    args: &ExplainArgs,
    address: &str,
    explanation: &Explanation,
    lang: Lang,
    history: &crate::history::HistoryFlags,
) -> Result<CheckOutcome, ExitCode> {
    if let Some(problem) = crate::address::problem(address, args.servers.username.as_deref(), lang)
    {
        return Err(crate::usage(&problem));
    }
    let net = args.net.checked(lang)?;
    let password = if args.login.no_login {
        None
    } else {
        password::obtain_from(
            password::Sources {
                stdin: args.login.password_stdin,
                file: args.login.password_file.as_deref(),
                prompt_name: args.servers.username.as_deref().unwrap_or(address),
            },
            lang,
        )
        .map_err(|problem| crate::usage(&problem.words(lang)))?
    };
    let login = !args.login.no_login && password.is_some();
    let settings = args
        .servers
        .settings(address)
        .map_err(|m| crate::usage_error(lang, "error-input", &m))?;
    let opts = CheckOptions {
        settings,
        password,
        login,
        smtp_auth: args.servers.smtp_auth(),
        allow_plaintext_login: args.login.allow_plaintext_login,
        timeout: net.timeout,
    };
    let runtime = crate::runtime()?;
    let outcome = runtime
        .block_on(maildoc_engine::explain::cross_check(
            &net.env,
            explanation,
            opts,
            |_| {},
        ))
        .map_err(|e| crate::job_error(&e, lang))?;
    let kept = [Snapshot::Check(Box::new(outcome.report.clone()))];
    runtime.block_on(history.keep(net.env.clock(), &kept, Origin::Cli, lang));
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn help_has_text_for_every_argument_in_both_languages() {
        for &lang in Lang::ALL {
            for (_, key) in HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
            for key in ["help-explain", "help-explain-after"] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
        let cmd = localize_help(crate::cli::Cli::command(), Lang::Ja);
        cmd.debug_assert();
    }
}
