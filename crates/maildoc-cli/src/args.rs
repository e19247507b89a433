//! Command-line arguments. Help texts come from the bilingual UI table, in the language
//! chosen by `--lang` or `LANG`, so `--help` teaches in Japanese or English.
//!
//! Arguments are read as the bytes the system gives: a file name is a path whatever its
//! encoding, and a value that must be text but is not UTF-8 is a usage error naming the
//! argument and the first byte that is not ([`Failure::NotText`]), never a panic.

use clap::builder::ValueParser;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use maildoc_engine::Env;
use maildoc_model::Protocol;
use maildoc_model::settings::AccountSettings;
use maildoc_report::{Format, Lang, ui};
use std::any::TypeId;
use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "maildoc", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[arg(long, global = true, value_name = "ja|en")]
    pub lang: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Check(CheckArgs),
    Discover(DiscoverArgs),
    Karte(crate::karte::KarteArgs),
    Triage(crate::triage::TriageArgs),
    Explain(crate::explain::ExplainArgs),
    Domain(crate::domain::DomainArgs),
    Serve(crate::serve::ServeArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SmtpAuth {
    Password,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Markdown,
}

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

pub fn parse_client(s: &str) -> Result<maildoc_report::Client, String> {
    maildoc_report::Client::parse(s).ok_or_else(|| {
        let keys: Vec<&str> = maildoc_report::Client::ALL
            .iter()
            .map(|c| c.key())
            .collect();
        format!("one of {}", keys.join(", "))
    })
}

/// The servers as a mail app has them set, and how it logs in to send: shared by check,
/// explain --check and triage.
#[derive(Debug, Args)]
pub struct ServerArgs {
    #[arg(long, value_name = "HOST[:PORT][/ssl|/starttls|/plain]")]
    pub imap: Vec<String>,
    #[arg(long, value_name = "HOST[:PORT][/ssl|/starttls|/plain]")]
    pub pop3: Vec<String>,
    #[arg(long, value_name = "HOST[:PORT][/ssl|/starttls|/plain]")]
    pub smtp: Vec<String>,
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    #[arg(
        long,
        value_enum,
        default_value = "password",
        value_name = "password|none"
    )]
    pub smtp_auth: SmtpAuth,
}

impl ServerArgs {
    /// The settings of `address` as typed: `--username` for the account, each
    /// `--imap`/`--pop3`/`--smtp` value with its host exactly as typed and, for SMTP, whether
    /// the app authenticates. A value that does not parse is the error, in words.
    pub fn settings(&self, address: &str) -> Result<AccountSettings, String> {
        let texts: Vec<(Protocol, &str)> = [
            (Protocol::Imap, &self.imap),
            (Protocol::Pop3, &self.pop3),
            (Protocol::Smtp, &self.smtp),
        ]
        .into_iter()
        .flat_map(|(p, values)| values.iter().map(move |v| (p, v.as_str())))
        .collect();
        AccountSettings::from_texts(address, self.username.clone(), &texts, self.smtp_auth())
            .map_err(|e| e.to_string())
    }

    /// Whether the mail app authenticates to the outgoing server.
    pub fn smtp_auth(&self) -> bool {
        self.smtp_auth == SmtpAuth::Password
    }
}

/// `--dns-server`, `--ca-file` and `--timeout`: how maildoc reaches the network, shared by
/// check, discover and karte.
#[derive(Debug, Args)]
pub struct NetArgs {
    #[arg(long, value_name = "IP[:PORT]")]
    pub dns_server: Option<String>,
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    #[arg(long, default_value_t = 15, value_name = "SECS")]
    pub timeout: u64,
}

/// [`NetArgs`], checked: the jobs' shared [`Env`] and the run's deadline.
#[derive(Debug)]
pub struct NetOptions {
    pub env: Env,
    pub timeout: std::time::Duration,
}

impl NetArgs {
    /// A CA file that cannot be read, a DNS server that is not an address or a timeout out
    /// of range is a usage error (exit code 3), said in `lang`.
    pub fn checked(&self, lang: Lang) -> Result<NetOptions, std::process::ExitCode> {
        let fail = |key: &str, detail: &str| {
            eprintln!("maildoc: {}", ui::fill(key, lang, &[("detail", detail)]));
            std::process::ExitCode::from(crate::EXIT_USAGE)
        };
        let ca_pem = match &self.ca_file {
            Some(path) => match std::fs::read(path) {
                Ok(b) => Some(b),
                Err(e) => return Err(fail("error-ca-file", &format!("{}: {e}", path.display()))),
            },
            None => None,
        };
        let dns_server = match self.dns_server.as_deref().map(parse_dns_server) {
            Some(Ok(a)) => Some(a),
            Some(Err(e)) => return Err(fail("error-dns-server", &e)),
            None => None,
        };
        if !(1..=600).contains(&self.timeout) {
            return Err(fail("error-timeout", &self.timeout.to_string()));
        }
        let env = Env::new(dns_server, ca_pem.as_deref()).map_err(|e| {
            eprintln!("maildoc: {}", maildoc_report::error::words(&e, lang));
            std::process::ExitCode::from(crate::EXIT_USAGE)
        })?;
        Ok(NetOptions {
            env,
            timeout: std::time::Duration::from_secs(self.timeout),
        })
    }
}

/// Where the password comes from, and whether it may cross an unencrypted connection:
/// shared by check and karte check.
#[derive(Debug, Args)]
pub struct LoginArgs {
    #[arg(long, conflicts_with = "password_file")]
    pub password_stdin: bool,
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    #[arg(long)]
    pub no_login: bool,
    #[arg(long)]
    pub allow_plaintext_login: bool,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Markdown => Format::Markdown,
        }
    }
}

impl CheckArgs {
    pub fn format(&self) -> Format {
        self.format.into()
    }
}

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
const DISCOVER_HELP: &[(&str, &str)] = &[
    ("address", "help-discover-address"),
    ("dns_server", "help-dns-server"),
    ("ca_file", "help-ca-file"),
    ("timeout", "help-timeout"),
    ("format", "help-discover-format"),
];

/// The arguments whose help comes from the UI table (`help-<id>`).
const HELP_ARGS: &[&str] = &[
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

/// Gives each `(argument id, UI key)` its help text in `lang`.
pub fn localize_args(mut sub: clap::Command, help: &[(&str, &str)], lang: Lang) -> clap::Command {
    for (id, key) in help {
        sub = sub.mut_arg(*id, |a| a.help(ui::text(key, lang)));
    }
    sub
}

/// Why the command line cannot be used.
#[derive(Debug)]
pub enum Failure {
    /// clap's own error or help text, printed by clap.
    Clap(clap::Error),
    /// An argument that must be text is not UTF-8: the message, in the run's language.
    NotText(String),
}

/// Parses the command line with help texts and messages in `lang`.
pub fn parse(lang: Lang) -> Result<Cli, Failure> {
    parse_from(command(lang), std::env::args_os().collect(), lang)
}

/// Parses `argv` (the program name first) with `cmd`. A value that must be text but is not
/// UTF-8 is a [`Failure::NotText`]; file names are paths and take any bytes.
fn parse_from(cmd: clap::Command, argv: Vec<OsString>, lang: Lang) -> Result<Cli, Failure> {
    if let Some(message) = not_text(&cmd, &argv, lang) {
        return Err(Failure::NotText(message));
    }
    let matches = cmd.try_get_matches_from(argv).map_err(Failure::Clap)?;
    Cli::from_arg_matches(&matches).map_err(Failure::Clap)
}

/// The whole command line, with help texts in `lang`.
fn command(lang: Lang) -> clap::Command {
    let mut cmd = Cli::command()
        .about(ui::text("help-about", lang))
        .after_help(ui::text("help-after", lang))
        .mut_arg("lang", |a| a.help(ui::text("help-lang", lang)));
    cmd = cmd.mut_subcommand("check", |sub| {
        let mut sub = sub
            .about(ui::text("help-check", lang))
            .after_help(ui::text("help-check-after", lang));
        for id in HELP_ARGS {
            let key = format!("help-{}", id.replace('_', "-"));
            sub = sub.mut_arg(*id, |a| a.help(ui::text(&key, lang)));
        }
        sub
    });
    cmd = cmd.mut_subcommand("discover", |sub| {
        let sub = sub
            .about(ui::text("help-discover", lang))
            .after_help(ui::text("help-discover-after", lang));
        localize_args(sub, DISCOVER_HELP, lang)
    });
    cmd = crate::karte::localize_help(cmd, lang);
    cmd = crate::triage::localize_help(cmd, lang);
    cmd = crate::explain::localize_help(cmd, lang);
    cmd = crate::domain::localize_help(cmd, lang);
    crate::serve::localize_help(cmd, lang)
}

/// The message for the first value in `argv` that must be text but is not UTF-8; `None` when
/// there is none. Only when some argument is not UTF-8, the command line is read a second
/// time with every value taken as bytes, to find whose value it is.
fn not_text(cmd: &clap::Command, argv: &[OsString], lang: Lang) -> Option<String> {
    if argv.iter().all(|a| a.to_str().is_some()) {
        return None;
    }
    let matches = as_bytes(cmd.clone())
        .ignore_errors(true)
        .try_get_matches_from(argv)
        .ok()?;
    first_not_text(cmd, &matches, lang)
}

/// `cmd` with every value, of every subcommand, read as bytes.
fn as_bytes(mut cmd: clap::Command) -> clap::Command {
    let ids: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| a.get_action().takes_values())
        .map(|a| a.get_id().clone())
        .collect();
    for id in ids {
        cmd = cmd.mut_arg(id, |a| a.value_parser(ValueParser::os_string()));
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, as_bytes);
    }
    cmd
}

/// Whether an argument's value must be text: everything but a path.
fn must_be_text(arg: &clap::Arg) -> bool {
    let ty = arg.get_value_parser().type_id();
    arg.get_action().takes_values()
        && ty != TypeId::of::<PathBuf>()
        && ty != TypeId::of::<OsString>()
}

/// The message for the first value of a text argument of `cmd` (then of the subcommand
/// that ran) that is not UTF-8: it names the argument, the first byte that is not UTF-8 and
/// its position in the value (from 0).
fn first_not_text(cmd: &clap::Command, matches: &clap::ArgMatches, lang: Lang) -> Option<String> {
    for arg in cmd.get_arguments().filter(|a| must_be_text(a)) {
        let Ok(Some(values)) = matches.try_get_raw(arg.get_id().as_str()) else {
            continue;
        };
        for value in values {
            let bytes = value.as_encoded_bytes();
            if let Err(e) = std::str::from_utf8(bytes) {
                let at = e.valid_up_to();
                let name = match arg.get_long() {
                    Some(long) => format!("--{long}"),
                    None => ui::text(&format!("arg-{}", arg.get_id()), lang).to_string(),
                };
                return Some(ui::fill(
                    "error-not-text",
                    lang,
                    &[
                        ("arg", &name),
                        ("byte", &format!("{:02X}", bytes[at])),
                        ("position", &at.to_string()),
                    ],
                ));
            }
        }
    }
    let (name, sub) = matches.subcommand()?;
    first_not_text(cmd.find_subcommand(name)?, sub, lang)
}

/// The language asked for before the command line is parsed: `--lang X`/`--lang=X`, then
/// `LANG`. Arguments that are not UTF-8 are read with replacement characters here.
pub fn early_language() -> Lang {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let flag = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--lang=")
            .map(str::to_string)
            .or_else(|| (a == "--lang").then(|| args.get(i + 1).cloned()).flatten())
    });
    language(flag.as_deref())
}

/// `--lang`, then `LANG` (ja* is Japanese), else English.
pub fn language(flag: Option<&str>) -> Lang {
    if let Some(l) = flag.and_then(Lang::parse) {
        return l;
    }
    std::env::var_os("LANG")
        .filter(|v| !v.is_empty())
        .map(|v| Lang::from_env_lang(&v.to_string_lossy()))
        .unwrap_or(Lang::En)
}

/// `--dns-server IP[:PORT]` (IPv6 with a port as `[::1]:53`).
pub fn parse_dns_server(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(sa) = text.parse::<SocketAddr>() {
        return Ok(sa);
    }
    text.trim_matches(['[', ']'])
        .parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_server_forms() {
        assert_eq!(
            parse_dns_server("127.0.0.1"),
            Ok("127.0.0.1:53".parse().unwrap_or_else(|_| panic!()))
        );
        assert_eq!(
            parse_dns_server("127.0.2.53:5353").map(|s| s.port()),
            Ok(5353)
        );
        assert_eq!(parse_dns_server("[::1]:53").map(|s| s.port()), Ok(53));
        assert_eq!(parse_dns_server("::1").map(|s| s.port()), Ok(53));
        assert!(parse_dns_server("dns.example").is_err());
    }

    /// Every argument of every command, given a value that is not UTF-8: a path takes it,
    /// anything else is refused with a message that names the argument and the byte.
    #[test]
    fn every_argument_reads_bytes() {
        use std::os::unix::ffi::OsStringExt;
        fn walk(cmd: &clap::Command, path: &[String], seen: &mut usize) {
            for arg in cmd.get_arguments() {
                if !arg.get_action().takes_values() {
                    continue;
                }
                let mut argv: Vec<OsString> = std::iter::once("maildoc".to_string())
                    .chain(path.iter().cloned())
                    .map(OsString::from)
                    .collect();
                let name = match arg.get_long() {
                    Some(long) => {
                        argv.push(format!("--{long}").into());
                        format!("--{long}")
                    }
                    // The only positional argument of its command.
                    None => ui::text(&format!("arg-{}", arg.get_id()), Lang::En).to_string(),
                };
                argv.push(OsString::from_vec(b"a\xFFb".to_vec()));
                *seen += 1;
                let what = format!("{path:?} {name}");
                for lang in [Lang::Ja, Lang::En] {
                    let parsed = parse_from(command(lang), argv.clone(), lang);
                    match parsed {
                        Err(Failure::NotText(m)) if must_be_text(arg) => {
                            let arg_name = match arg.get_long() {
                                Some(_) => name.clone(),
                                None => ui::text(&format!("arg-{}", arg.get_id()), lang).into(),
                            };
                            assert!(!arg_name.contains('?'), "{what}: no word for it");
                            assert!(m.contains(&arg_name), "{what}: {m}");
                            assert!(m.contains("0xFF") && m.contains(" 1"), "{what}: {m}");
                        }
                        Err(Failure::NotText(m)) => panic!("{what} is a path: {m}"),
                        other if must_be_text(arg) => panic!("{what}: {other:?}"),
                        _ => {}
                    }
                }
            }
            for sub in cmd.get_subcommands() {
                let mut path = path.to_vec();
                path.push(sub.get_name().to_string());
                walk(sub, &path, seen);
            }
        }
        let mut seen = 0;
        walk(&command(Lang::En), &[], &mut seen);
        assert!(seen > 60, "{seen}");
        // Only the values are checked: a flag after the bad value still counts.
        let argv: Vec<OsString> = vec![
            "maildoc".into(),
            "check".into(),
            OsString::from_vec(b"taro\xC3@example.jp".to_vec()),
            "--no-login".into(),
        ];
        match parse_from(command(Lang::En), argv, Lang::En) {
            Err(Failure::NotText(m)) => assert_eq!(
                m,
                "the address is not valid text (byte 0xC3 at position 4); give it in UTF-8."
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn help_has_text_for_every_argument_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for id in HELP_ARGS {
                let key = format!("help-{}", id.replace('_', "-"));
                assert_ne!(ui::text(&key, lang), "?", "{key}");
            }
            for (_, key) in DISCOVER_HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
            for key in [
                "help-about",
                "help-after",
                "help-check",
                "help-check-after",
                "help-discover",
                "help-discover-after",
                "help-lang",
            ] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
        Cli::command().debug_assert();
    }
}
