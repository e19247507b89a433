//! `maildoc domain DOMAIN`: the sending domain's posture, checked by
//! `maildoc_engine::domain` and shown by `maildoc_report::domain`. Exit codes as `check`:
//! 0 nothing to fix, 1 problems, 2 cannot run, 3 usage.

use crate::EXIT_USAGE;
use crate::args::{self, FormatArg, NetArgs};
use clap::Args;
use maildoc_engine::domain::{self as engine, DomainName, Options};
use maildoc_engine::history::{Origin, Snapshot};
use maildoc_report::{Format, Lang, domain as screen, ui};
use std::net::IpAddr;
use std::process::ExitCode;

mod bulk;

/// `maildoc domain`.
#[derive(Debug, Args)]
pub struct DomainArgs {
    #[arg(required_unless_present = "from", conflicts_with = "from")]
    pub domain: Option<String>,
    #[arg(long, value_name = "FILE|-")]
    pub from: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 32, value_name = "N", requires = "from")]
    pub concurrency: usize,
    #[arg(long, default_value_t = 500, value_name = "QUERIES")]
    pub rate: u32,
    #[arg(long = "dkim-selector", value_name = "SELECTOR")]
    pub dkim_selector: Vec<String>,
    #[arg(long, value_name = "IP")]
    pub ip: Option<IpAddr>,
    #[arg(long, value_name = "ADDRESS")]
    pub mail_from: Option<String>,
    #[arg(long = "dnsbl-zone", value_name = "ZONE")]
    pub dnsbl_zone: Vec<String>,
    #[arg(long = "approved-mx", value_name = "HOST")]
    pub approved_mx: Vec<String>,
    #[arg(long = "approved-ns", value_name = "HOST")]
    pub approved_ns: Vec<String>,
    #[arg(long)]
    pub parked: bool,
    #[arg(
        long = "bimi-selector",
        value_name = "SELECTOR",
        default_value = "default"
    )]
    pub bimi_selector: String,
    #[arg(long)]
    pub smtp: bool,
    #[command(flatten)]
    pub net: NetArgs,
    /// human when one domain is given, json (JSON Lines) with --from.
    #[arg(long, value_enum, value_name = "human|json|markdown")]
    pub format: Option<FormatArg>,
}

const HELP: &[(&str, &str)] = &[
    ("domain", "help-domain-domain"),
    ("from", "help-domain-from"),
    ("concurrency", "help-domain-concurrency"),
    ("rate", "help-domain-rate"),
    ("dkim_selector", "help-dkim-selector"),
    ("ip", "help-domain-ip"),
    ("mail_from", "help-mail-from"),
    ("dnsbl_zone", "help-dnsbl-zone"),
    ("approved_mx", "help-approved-mx"),
    ("approved_ns", "help-approved-ns"),
    ("parked", "help-parked"),
    ("bimi_selector", "help-bimi-selector"),
    ("smtp", "help-domain-smtp"),
    ("dns_server", "help-dns-server"),
    ("ca_file", "help-ca-file"),
    ("timeout", "help-timeout"),
    ("format", "help-domain-format"),
];

pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("domain", |sub| {
        let sub = sub
            .about(ui::text("help-domain", lang))
            .after_help(ui::text("help-domain-after", lang));
        args::localize_args(sub, HELP, lang)
    })
}

pub fn run(
    args: DomainArgs,
    lang_flag: Option<&str>,
    history: &crate::history::HistoryFlags,
) -> ExitCode {
    let lang = crate::args::language(lang_flag);
    if let Some(problem) = args
        .mail_from
        .as_deref()
        .and_then(|from| crate::address::problem(from, None, lang))
    {
        return crate::usage(&problem);
    }
    let net = match args.net.checked(lang) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let env = net.env.with_rate_cap(args.rate);
    let mut opts = Options {
        dkim_selectors: args.dkim_selector,
        sending_ip: args.ip,
        mail_from: args.mail_from,
        approved_mx: args.approved_mx,
        approved_ns: args.approved_ns,
        parked: args.parked,
        bimi_selector: args.bimi_selector,
        smtp: args.smtp,
        timeout: net.timeout,
        ..Options::default()
    };
    if !args.dnsbl_zone.is_empty() {
        opts.dnsbl_zones = args.dnsbl_zone;
    }
    if let Some(from) = &args.from {
        if !matches!(args.format, None | Some(FormatArg::Json)) {
            eprintln!("maildoc: {}", ui::text("error-domain-bulk-format", lang));
            return ExitCode::from(EXIT_USAGE);
        }
        let bulk = bulk::Bulk {
            opts,
            concurrency: args.concurrency.max(1),
            lang,
            history: history.clone(),
        };
        return bulk.run(from, env);
    }
    let domain = match DomainName::parse(args.domain.as_deref().unwrap_or_default()) {
        Ok(d) => d,
        Err(e) => return crate::job_error(&e, lang),
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let report = runtime.block_on(engine::check(&env, &domain, &opts, |_| {}));
    let format = Format::from(args.format.unwrap_or(FormatArg::Human));
    let code = crate::write_result(&render(&report, format, lang), report.has_problems());
    let kept = [Snapshot::Domain(Box::new(report))];
    runtime.block_on(history.keep(env.clock(), &kept, Origin::Cli, lang));
    code
}

/// A domain report in `format`.
pub fn render(report: &maildoc_model::domain::DomainReport, format: Format, lang: Lang) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default(),
        Format::Markdown => screen::markdown(report, lang),
        Format::Human => screen::human(report, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for (_, key) in HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
            for key in ["help-domain", "help-domain-after", "error-domain"] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
                assert_ne!(ui::text(key, lang), key, "{key}");
            }
        }
    }
}
