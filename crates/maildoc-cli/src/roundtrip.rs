//! `maildoc roundtrip ADDRESS`: one test message sent through the account's own server and
//! looked for in its mailbox (`maildoc_engine::roundtrip`, shown by `maildoc_report::message`).
//! The one command that sends mail, and only when run.

use crate::args::{self, FormatArg, NetArgs, ServerArgs};
use clap::Args;
use maildoc_engine::Password;
use maildoc_engine::history::{Origin, Snapshot};
use maildoc_engine::roundtrip::RoundtripOptions;
use maildoc_model::Protocol;
use maildoc_model::settings::AccountSettings;
use maildoc_report::{Format, Lang, ui};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `maildoc roundtrip`.
#[derive(Debug, Args)]
pub struct RoundtripArgs {
    pub address: String,
    #[command(flatten)]
    pub servers: ServerArgs,
    #[arg(long, conflicts_with = "password_file")]
    pub password_stdin: bool,
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    #[arg(long)]
    pub allow_plaintext_login: bool,
    #[arg(long)]
    pub keep: bool,
    /// Another account to send to (its mailbox is searched instead).
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<String>,
    #[arg(
        long,
        value_name = "HOST[:PORT][/ssl|/starttls|/plain]",
        requires = "to"
    )]
    pub to_imap: Option<String>,
    #[arg(
        long,
        value_name = "HOST[:PORT][/ssl|/starttls|/plain]",
        requires = "to"
    )]
    pub to_pop3: Option<String>,
    #[arg(long, value_name = "PATH", requires = "to")]
    pub to_password_file: Option<PathBuf>,
    #[arg(long, value_name = "IP[:PORT]")]
    pub dns_server: Option<String>,
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub timeout: u64,
    #[arg(
        long,
        value_enum,
        default_value = "human",
        value_name = "human|json|markdown"
    )]
    pub format: FormatArg,
}

const ROUNDTRIP_HELP: &[(&str, &str)] = &[
    ("address", "help-address"),
    ("imap", "help-imap"),
    ("pop3", "help-pop3"),
    ("smtp", "help-smtp"),
    ("username", "help-username"),
    ("smtp_auth", "help-smtp-auth"),
    ("password_stdin", "help-password-stdin"),
    ("password_file", "help-password-file"),
    ("allow_plaintext_login", "help-allow-plaintext-login"),
    ("keep", "help-roundtrip-keep"),
    ("to", "help-roundtrip-to"),
    ("to_imap", "help-roundtrip-to-imap"),
    ("to_pop3", "help-roundtrip-to-pop3"),
    ("to_password_file", "help-roundtrip-to-password-file"),
    ("dns_server", "help-dns-server"),
    ("ca_file", "help-ca-file"),
    ("timeout", "help-roundtrip-timeout"),
    ("format", "help-history-format"),
];

pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("roundtrip", |sub| {
        let sub = sub
            .about(ui::text("help-roundtrip", lang))
            .after_help(ui::text("help-roundtrip-after", lang));
        args::localize_args(sub, ROUNDTRIP_HELP, lang)
    })
}

/// Exit code 0 it arrived and nothing is wrong, 1 it did not arrive or a problem was found,
/// 2 maildoc could not run, 3 usage.
pub fn run(
    args: RoundtripArgs,
    lang_flag: Option<&str>,
    history: &crate::history::HistoryFlags,
) -> ExitCode {
    let lang = args::language(lang_flag);
    if let Some(problem) =
        crate::address::problem(&args.address, args.servers.username.as_deref(), lang)
    {
        return crate::usage(&problem);
    }
    let settings = match args.servers.settings(&args.address) {
        Ok(s) => s,
        Err(words) => return crate::usage(&words),
    };
    let net = NetArgs {
        dns_server: args.dns_server.clone(),
        ca_file: args.ca_file.clone(),
        timeout: args.timeout,
    };
    let net = match net.checked(lang) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let sources = crate::password::Sources {
        stdin: args.password_stdin,
        file: args.password_file.as_deref(),
        prompt_name: args.servers.username.as_deref().unwrap_or(&args.address),
    };
    let password = match crate::password::obtain_from(sources, lang) {
        Ok(Some(p)) => p,
        Ok(None) => return crate::usage(&crate::password::Problem::NoSource.words(lang)),
        Err(problem) => return crate::usage(&problem.words(lang)),
    };
    let to = match recipient(&args, lang) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let opts = RoundtripOptions {
        settings,
        password,
        to,
        allow_plaintext_login: args.allow_plaintext_login,
        keep: args.keep,
        timeout: net.timeout,
        every: Duration::from_secs(2),
    };
    let report =
        match runtime.block_on(maildoc_engine::roundtrip::roundtrip(&net.env, opts, |_| {})) {
            Ok(r) => r,
            Err(e) => return crate::job_error(&e, lang),
        };
    let text = maildoc_report::message::roundtrip_render(&report, Format::from(args.format), lang);
    let problems = report.has_problems();
    runtime.block_on(history.keep(
        net.env.clock(),
        &[Snapshot::Roundtrip(Box::new(report))],
        Origin::Cli,
        lang,
    ));
    crate::write_result(&text, problems)
}

/// The other account of `--to`: its settings (`--to-imap`/`--to-pop3`, else found as check
/// finds them)
/// and its password (`--to-password-file`, else `MAILDOC_TO_PASSWORD`).
fn recipient(
    args: &RoundtripArgs,
    lang: Lang,
) -> Result<Option<(AccountSettings, Password)>, ExitCode> {
    let Some(to) = &args.to else {
        return Ok(None);
    };
    if let Some(problem) = crate::address::problem(to, None, lang) {
        return Err(crate::usage(&problem));
    }
    let servers: Vec<(Protocol, &str)> = [
        (Protocol::Imap, &args.to_imap),
        (Protocol::Pop3, &args.to_pop3),
    ]
    .into_iter()
    .filter_map(|(p, s)| s.as_deref().map(|s| (p, s)))
    .collect();
    let settings = AccountSettings::from_texts(to, None, &servers, true)
        .map_err(|e| crate::usage(&e.to_string()))?;
    let password = match &args.to_password_file {
        Some(path) => std::fs::read_to_string(path)
            .map(|t| t.lines().next().unwrap_or_default().to_owned())
            .map_err(|e| {
                crate::usage(&crate::password::Problem::File(path.clone(), e).words(lang))
            })?,
        None => std::env::var("MAILDOC_TO_PASSWORD")
            .map_err(|_| crate::usage_error(lang, "error-roundtrip-to-password", to))?,
    };
    if password.is_empty() {
        return Err(crate::usage(&crate::password::Problem::Empty.words(lang)));
    }
    Ok(Some((settings, Password::new(password))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for (_, key) in ROUNDTRIP_HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
    }
}
