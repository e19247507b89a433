//! `maildoc status PROVIDER|ADDRESS`: what the provider's own status feed says now
//! (`maildoc_engine::status`, shown by `maildoc_report::status`).

use crate::args::{self, FormatArg, NetArgs};
use clap::Args;
use maildoc_model::status::FeedState;
use maildoc_report::{Format, Lang, ui};
use std::process::ExitCode;

/// `maildoc status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    pub provider: String,
    #[arg(long, value_name = "URL")]
    pub feed: Option<String>,
    /// How the `--feed` is written (else the provider's own feed's format).
    #[arg(long, value_parser = maildoc_engine::status::FORMATS, value_name = "apple|google|rss|statuspage", requires = "feed")]
    pub feed_format: Option<String>,
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

const STATUS_HELP: &[(&str, &str)] = &[
    ("provider", "help-status-provider"),
    ("feed", "help-status-feed"),
    ("feed_format", "help-status-feed-format"),
    ("dns_server", "help-dns-server"),
    ("ca_file", "help-ca-file"),
    ("timeout", "help-timeout"),
    ("format", "help-history-format"),
];

pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("status", |sub| {
        let sub = sub
            .about(ui::text("help-status", lang))
            .after_help(ui::text("help-status-after", lang));
        args::localize_args(sub, STATUS_HELP, lang)
    })
}

/// Exit code 0 no incident (or notices only, or no feed), 1 an incident now, 2 the feed could
/// not be read, 3 a provider maildoc does not know.
pub fn run(args: StatusArgs, lang_flag: Option<&str>) -> ExitCode {
    let lang = args::language(lang_flag);
    let net = match args.net.checked(lang) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let report = match runtime.block_on(maildoc_engine::status::status(
        &net.env,
        &args.provider,
        maildoc_engine::status::FeedOverride {
            url: args.feed.as_deref(),
            format: args.feed_format.as_deref(),
        },
        net.timeout,
    )) {
        Ok(r) => r,
        Err(e) => return crate::job_error(&e, lang),
    };
    let text = match Format::from(args.format) {
        Format::Json => maildoc_report::status::json(&report),
        Format::Markdown => maildoc_report::status::markdown(&report, lang),
        Format::Human => maildoc_report::status::human(&report, lang),
    };
    let code = crate::write_result(&text, report.state == FeedState::Incidents);
    if report.state == FeedState::Unknown {
        return ExitCode::from(crate::EXIT_CANNOT_RUN);
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for (_, key) in STATUS_HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
    }
}
