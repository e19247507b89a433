//! `maildoc check ADDRESS`: the connection doctor. The engine plans, probes and judges; this
//! takes the flags and the password, shows the spinner and prints the report.

use crate::args::{FormatArg, LoginArgs, NetArgs, ServerArgs, parse_client};
use clap::Args;
use maildoc_engine::CheckOptions;
use maildoc_engine::history::{Origin, Snapshot};
use maildoc_report::{Format, Lang, ui};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct CheckArgs {
    pub address: String,
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
    #[arg(long, short)]
    pub verbose: bool,
    #[arg(long, value_name = "APP", value_parser = parse_client)]
    pub client: Option<maildoc_report::Client>,
}

impl CheckArgs {
    pub fn format(&self) -> Format {
        self.format.into()
    }
}

/// The arguments whose help comes from the UI table (`help-<id>`).
pub(crate) const HELP_ARGS: &[&str] = &[
    "address",
    "imap",
    "pop3",
    "smtp",
    "username",
    "password_stdin",
    "password_file",
    "smtp_auth",
    "dns_server",
    "ca_file",
    "timeout",
    "format",
    "no_login",
    "allow_plaintext_login",
    "verbose",
    "client",
];

pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("check", |sub| {
        let mut sub = sub
            .about(ui::text("help-check", lang))
            .after_help(ui::text("help-check-after", lang));
        for id in HELP_ARGS {
            let key = format!("help-{}", id.replace('_', "-"));
            sub = sub.mut_arg(*id, |a| a.help(ui::text(&key, lang)));
        }
        sub
    })
}

/// Runs `maildoc check`: exit code 0 healthy, 1 problems, 2 cannot run, 3 usage.
pub fn run(
    args: CheckArgs,
    lang_flag: Option<&str>,
    history: &crate::history::HistoryFlags,
) -> ExitCode {
    let lang = crate::args::language(lang_flag);
    if let Some(problem) =
        crate::address::problem(&args.address, args.servers.username.as_deref(), lang)
    {
        return crate::usage(&problem);
    }
    let format = args.format();
    let password = if args.login.no_login {
        None
    } else {
        match crate::password::obtain(&args, lang) {
            Ok(p) => p,
            Err(problem) => return crate::usage(&problem.words(lang)),
        }
    };
    let net = match args.net.checked(lang) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let login = !args.login.no_login && password.is_some();
    let settings = match args.servers.settings(&args.address) {
        Ok(s) => s,
        Err(m) => return crate::usage_error(lang, "error-input", &m),
    };
    let opts = CheckOptions {
        settings,
        password,
        login,
        smtp_auth: args.servers.smtp_auth(),
        allow_plaintext_login: args.login.allow_plaintext_login,
        timeout: net.timeout,
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let progress = crate::progress::Progress::new(format, lang);
    let result = runtime.block_on(maildoc_engine::check(&net.env, opts, |e| {
        progress.event(&e)
    }));
    progress.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => return crate::job_error(&e, lang),
    };
    // The diagnosis first; then the history, which may be slow or fail on its own.
    let code = crate::print_report(&report, format, lang, args.verbose, args.client);
    let kept = [Snapshot::Check(Box::new(report))];
    runtime.block_on(history.keep(net.env.clock(), &kept, Origin::Cli, lang));
    code
}
