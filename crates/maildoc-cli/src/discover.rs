//! `maildoc discover ADDRESS`: the settings for a mail app, shown as the fields of iPhone,
//! Outlook and Thunderbird, then every source consulted (`maildoc_report::discover`).

use crate::args::{self, FormatArg, NetArgs};
use crate::progress::Progress;
use clap::Args;
use maildoc_engine::discover::DiscoverOptions;
use maildoc_engine::history::{Origin, Snapshot};
use maildoc_report::{Format, Lang, ui};
use std::process::ExitCode;

/// `maildoc discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    pub address: String,
    #[command(flatten)]
    pub net: NetArgs,
    #[arg(
        long,
        value_enum,
        default_value = "human",
        value_name = "human|json|markdown"
    )]
    pub format: FormatArg,
}

/// The arguments of `discover` and the UI keys of their help.
pub(crate) const DISCOVER_HELP: &[(&str, &str)] = &[
    ("address", "help-discover-address"),
    ("dns_server", "help-dns-server"),
    ("ca_file", "help-ca-file"),
    ("timeout", "help-timeout"),
    ("format", "help-discover-format"),
];

pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("discover", |sub| {
        let sub = sub
            .about(ui::text("help-discover", lang))
            .after_help(ui::text("help-discover-after", lang));
        args::localize_args(sub, DISCOVER_HELP, lang)
    })
}

pub fn run(
    args: DiscoverArgs,
    lang_flag: Option<&str>,
    history: &crate::history::HistoryFlags,
) -> ExitCode {
    let lang = args::language(lang_flag);
    if let Some(problem) = crate::address::problem(&args.address, None, lang) {
        return crate::usage(&problem);
    }
    let net = match args.net.checked(lang) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let opts = DiscoverOptions {
        timeout: net.timeout,
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let format = Format::from(args.format);
    let progress = Progress::discovering(format, lang);
    let found = runtime.block_on(maildoc_engine::discover(
        &net.env,
        &args.address,
        &opts,
        |e| progress.event(&e),
    ));
    progress.finish();
    let found = match found {
        Ok(d) => d,
        Err(e) => return crate::job_error(&e, lang),
    };
    let text = maildoc_report::discover::render(&found, format, lang);
    let code = crate::write_result(&text, !found.found());
    let kept = [Snapshot::Discover(Box::new(found))];
    runtime.block_on(history.keep(net.env.clock(), &kept, Origin::Cli, lang));
    code
}
