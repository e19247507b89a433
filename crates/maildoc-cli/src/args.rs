//! The argument groups several subcommands share (the servers as typed, the password's
//! source, the network options, the output format) and the run's language. Each subcommand's
//! own arguments live in its module; the whole command line is `cli`'s.

use clap::{Args, ValueEnum};
use maildoc_engine::Env;
use maildoc_model::Protocol;
use maildoc_model::settings::AccountSettings;
use maildoc_report::{Format, Lang, ui};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

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

/// Gives each `(argument id, UI key)` its help text in `lang`.
pub fn localize_args(mut sub: clap::Command, help: &[(&str, &str)], lang: Lang) -> clap::Command {
    for (id, key) in help {
        sub = sub.mut_arg(*id, |a| a.help(ui::text(key, lang)));
    }
    sub
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
}
