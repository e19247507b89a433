//! `maildoc watch`: addresses and domains checked on a schedule, kept in the history, and
//! alerts when something changes (printed, and posted to a webhook). `watch run` runs what
//! is due once, for cron or a systemd timer; `maildoc serve` runs the same rounds itself.

use crate::args::{FormatArg, NetArgs};
use crate::history::HistoryFlags;
use crate::{EXIT_CANNOT_RUN, EXIT_USAGE};
use clap::{Args, Subcommand, ValueEnum};
use maildoc_engine::history::{Alert, History, Kind};
use maildoc_engine::watch::{
    AlertMail, Keyring, Passwords, Vault, WatchEvent, WatchOptions, keyring,
};
use maildoc_engine::{Env, Password};
use maildoc_model::Protocol;
use maildoc_model::settings::AccountSettings;
use maildoc_report::{Format, Lang, ui};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(subcommand)]
    pub command: WatchCommand,
}

#[derive(Debug, Subcommand)]
pub enum WatchCommand {
    Add(AddArgs),
    List(ListArgs),
    Remove(RemoveArgs),
    Run(RunArgs),
    Alerts(AlertsArgs),
    Password(PasswordArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(required_unless_present = "from")]
    pub subject: Option<String>,
    /// A file of addresses and domains, one a line (`-`: standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "subject")]
    pub from: Option<PathBuf>,
    #[arg(long, default_value = "1h", value_name = "30m|1h|1d")]
    pub every: String,
    #[arg(long)]
    pub no_login: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum, value_name = "human|json|markdown")]
    pub format: Option<FormatArg>,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    pub subject: String,
}

#[derive(Debug, Args)]
pub struct PasswordArgs {
    pub address: String,
    #[arg(long, conflicts_with = "password_file")]
    pub password_stdin: bool,
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    #[arg(long, value_enum, value_name = "secret-service|kernel|file")]
    pub store: Option<StoreArg>,
    #[arg(long, conflicts_with_all = ["password_stdin", "password_file"])]
    pub forget: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StoreArg {
    SecretService,
    Kernel,
    File,
}

impl From<StoreArg> for Vault {
    fn from(s: StoreArg) -> Vault {
        match s {
            StoreArg::SecretService => Vault::SecretService,
            StoreArg::Kernel => Vault::Kernel,
            StoreArg::File => Vault::File,
        }
    }
}

/// What a round of watches (here or in `maildoc serve`) is given.
#[derive(Clone, Debug, Args)]
pub struct RoundArgs {
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub passwords: Option<PathBuf>,
    #[arg(long, default_value_t = 14, value_name = "DAYS")]
    pub cert_days: i64,
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub concurrency: usize,
    #[arg(long, value_name = "ADDRESS", value_delimiter = ',')]
    pub mail_to: Vec<String>,
    #[arg(long, value_name = "ADDRESS", requires = "mail_to")]
    pub mail_from: Option<String>,
    #[arg(long, value_name = "HOST[:PORT][/ssl|/starttls]", requires = "mail_to")]
    pub mail_smtp: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub round: RoundArgs,
    #[command(flatten)]
    pub net: NetArgs,
    #[arg(long, value_enum, value_name = "human|json|markdown")]
    pub format: Option<FormatArg>,
}

#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[arg(long, default_value = "7d", value_name = "7d|24h|2026-12-01")]
    pub since: String,
    #[arg(long, value_enum, value_name = "human|json|markdown")]
    pub format: Option<FormatArg>,
}

/// The environment variable naming the passwords file when `--passwords` is not given.
const PASSWORDS_ENV: &str = "MAILDOC_WATCH_PASSWORDS";

pub const ROUND_HELP: &[(&str, &str)] = &[
    ("webhook", "help-watch-webhook"),
    ("passwords", "help-watch-passwords"),
    ("cert_days", "help-watch-cert-days"),
    ("concurrency", "help-watch-concurrency"),
    ("mail_to", "help-watch-mail-to"),
    ("mail_from", "help-watch-mail-from"),
    ("mail_smtp", "help-watch-mail-smtp"),
];

pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("watch", |sub| {
        sub.about(ui::text("help-watch", lang))
            .after_help(ui::text("help-watch-after", lang))
            .mut_subcommand("add", |s| {
                crate::args::localize_args(
                    s.about(ui::text("help-watch-add", lang)),
                    &[
                        ("subject", "help-watch-subject"),
                        ("from", "help-watch-from"),
                        ("every", "help-watch-every"),
                        ("no_login", "help-watch-no-login"),
                    ],
                    lang,
                )
            })
            .mut_subcommand("list", |s| {
                crate::args::localize_args(
                    s.about(ui::text("help-watch-list", lang)),
                    &[("format", "help-history-format")],
                    lang,
                )
            })
            .mut_subcommand("remove", |s| {
                crate::args::localize_args(
                    s.about(ui::text("help-watch-remove", lang)),
                    &[("subject", "help-watch-subject")],
                    lang,
                )
            })
            .mut_subcommand("run", |s| {
                let s = crate::args::localize_args(
                    s.about(ui::text("help-watch-run", lang)),
                    ROUND_HELP,
                    lang,
                );
                crate::args::localize_args(
                    s,
                    &[
                        ("dns_server", "help-dns-server"),
                        ("ca_file", "help-ca-file"),
                        ("timeout", "help-timeout"),
                        ("format", "help-history-format"),
                    ],
                    lang,
                )
            })
            .mut_subcommand("password", |s| {
                crate::args::localize_args(
                    s.about(ui::text("help-watch-password", lang))
                        .after_help(ui::text("help-watch-password-after", lang)),
                    &[
                        ("address", "help-watch-password-address"),
                        ("password_stdin", "help-password-stdin"),
                        ("password_file", "help-password-file"),
                        ("store", "help-watch-password-store"),
                        ("forget", "help-watch-password-forget"),
                    ],
                    lang,
                )
            })
            .mut_subcommand("alerts", |s| {
                crate::args::localize_args(
                    s.about(ui::text("help-watch-alerts", lang)),
                    &[
                        ("since", "help-history-since"),
                        ("format", "help-history-format"),
                    ],
                    lang,
                )
            })
    })
}

/// `maildoc watch …`: exit code 0 done (and no alert), 1 a round raised alerts, 2 the
/// history cannot be used, 3 an argument cannot be used.
pub fn run(args: WatchArgs, lang_flag: Option<&str>, flags: &HistoryFlags) -> ExitCode {
    let lang = crate::args::language(lang_flag);
    let args = match args.command {
        WatchCommand::Password(a) => return password(a, lang),
        command => WatchArgs { command },
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    runtime.block_on(async {
        let history = match flags.open().await {
            Ok(h) => h,
            Err(e) => return cannot(&maildoc_report::history::store_error(&e, lang)),
        };
        match args.command {
            WatchCommand::Add(a) => add(&history, a, lang).await,
            WatchCommand::List(a) => match history.store().watches().await {
                Ok(list) => crate::write_result(
                    &maildoc_report::history::watches(&list, format(a.format), lang),
                    false,
                ),
                Err(e) => cannot(&maildoc_report::history::store_error(&e, lang)),
            },
            WatchCommand::Remove(a) => remove(&history, &a.subject, lang).await,
            WatchCommand::Run(a) => run_once(&history, a, lang).await,
            WatchCommand::Password(_) => unreachable!("handled before the history is opened"),
            WatchCommand::Alerts(a) => {
                let Some(since) = crate::history::since(
                    &a.since,
                    maildoc_engine::history::now_ms(maildoc_engine::Clock::System),
                ) else {
                    return crate::usage_error(lang, "error-history-since", &a.since);
                };
                match history.store().alerts(since, 1000).await {
                    Ok(list) => crate::write_result(
                        &maildoc_report::history::alerts(&list, format(a.format), lang),
                        false,
                    ),
                    Err(e) => cannot(&maildoc_report::history::store_error(&e, lang)),
                }
            }
        }
    })
}

fn format(arg: Option<FormatArg>) -> Format {
    Format::from(arg.unwrap_or(FormatArg::Human))
}

fn cannot(words: &str) -> ExitCode {
    eprintln!("maildoc: {words}");
    ExitCode::from(EXIT_CANNOT_RUN)
}

/// The kind and subject of `text`: an account for an address, a domain otherwise.
fn target(text: &str, lang: Lang) -> Result<(Kind, String), String> {
    let kind = if text.contains('@') {
        Kind::Check
    } else {
        Kind::Domain
    };
    crate::history::subject(text)
        .map(|s| (kind, s))
        .map_err(|words| words(lang))
}

async fn add(history: &History, a: AddArgs, lang: Lang) -> ExitCode {
    let Some(every_s) = maildoc_engine::watch::parse_every(&a.every) else {
        return crate::usage_error(lang, "error-watch-every", &a.every);
    };
    let texts = match (&a.subject, &a.from) {
        (Some(s), _) => vec![s.clone()],
        (None, Some(path)) => match read_lines(path) {
            Ok(lines) => lines,
            Err(detail) => {
                let detail = format!("{}: {detail}", path.display());
                return crate::usage_error(lang, "error-domain-from", &detail);
            }
        },
        (None, None) => Vec::new(),
    };
    let mut targets = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        match target(text, lang) {
            Ok(t) => targets.push(t),
            Err(words) if a.from.is_some() => {
                return crate::usage(&format!("{}: {words}", i + 1));
            }
            Err(words) => return crate::usage(&words),
        }
    }
    let now = maildoc_engine::history::now_ms(maildoc_engine::Clock::System);
    let mut added = Vec::with_capacity(targets.len());
    for (kind, subject) in targets {
        match history
            .store()
            .add_watch(kind, subject, every_s, !a.no_login, now)
            .await
        {
            Ok(w) => added.push(w),
            Err(e) => return cannot(&maildoc_report::history::store_error(&e, lang)),
        }
    }
    let mut hint = None;
    if let [w] = added.as_slice()
        && w.kind == Kind::Check
        && w.login
        && let Ok(keyring) = keyring(None, lang)
    {
        let subject = w.subject.clone();
        let found = tokio::task::spawn_blocking(move || keyring.find(&subject)).await;
        if found.is_ok_and(|f| f.password.is_none()) {
            hint = Some(ui::fill(
                "watch-password-hint",
                lang,
                &[("address", &w.subject)],
            ));
        }
    }
    let text = if added.len() == 1 {
        maildoc_report::history::watches(&added, Format::Human, lang)
    } else {
        ui::fill("watch-added", lang, &[("count", &added.len().to_string())])
    };
    let code = crate::write_result(&text, false);
    if let Some(hint) = hint {
        eprintln!("{hint}");
    }
    code
}

/// The lines of a file (`-`: standard input) that name something: not blank, not `#`.
fn read_lines(path: &Path) -> std::io::Result<Vec<String>> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(path)?
    };
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

async fn remove(history: &History, text: &str, lang: Lang) -> ExitCode {
    let (kind, subject) = match target(text, lang) {
        Ok(t) => t,
        Err(words) => return crate::usage(&words),
    };
    match history.store().remove_watch(kind, subject.clone()).await {
        Ok(true) => crate::write_result(
            &ui::fill("watch-removed", lang, &[("subject", &subject)]),
            false,
        ),
        Ok(false) => {
            eprintln!(
                "maildoc: {}",
                ui::fill("error-watch-not-watched", lang, &[("subject", &subject)])
            );
            ExitCode::from(EXIT_USAGE)
        }
        Err(e) => cannot(&maildoc_report::history::store_error(&e, lang)),
    }
}

/// The keyring: every store in order, or the one `only` (else `MAILDOC_KEYRING`) names.
pub fn keyring(only: Option<Vault>, lang: Lang) -> Result<Keyring, String> {
    let only = match only {
        Some(v) => Some(v),
        None => match std::env::var(keyring::ENV) {
            Ok(text) if !text.trim().is_empty() => Some(
                Vault::parse(&text)
                    .ok_or_else(|| ui::fill("error-keyring-choice", lang, &[("given", &text)]))?,
            ),
            _ => None,
        },
    };
    let file =
        Keyring::default_file().map_err(|e| maildoc_report::history::store_error(&e, lang))?;
    Ok(Keyring::new(only, file))
}

/// `maildoc watch password ADDRESS`: keeps (or with `--forget` removes) a watched account's
/// password in the first keyring store that works, and says which. Exit code 0 done, 2 no
/// store could keep it (or, forgetting, a store could not be asked), 3 an argument cannot be
/// used.
fn password(a: PasswordArgs, lang: Lang) -> ExitCode {
    let address = match crate::history::subject(&a.address) {
        Ok(s) if s.contains('@') => s,
        Ok(_) => return crate::usage_error(lang, "error-watch-password-address", &a.address),
        Err(words) => return crate::usage(&words(lang)),
    };
    let keyring = match keyring(a.store.map(Vault::from), lang) {
        Ok(k) => k,
        Err(words) => return crate::usage(&words),
    };
    if a.forget {
        let (removed, skipped) = keyring.forget(&address);
        let text = maildoc_report::history::password_forgotten(&address, &removed, &skipped, lang);
        // A store that could not be asked may still hold it.
        if skipped.iter().any(|s| s.why != keyring::Why::Absent) {
            return cannot(text.trim_end());
        }
        return crate::write_result(&text, false);
    }
    let sources = crate::password::Sources {
        stdin: a.password_stdin,
        file: a.password_file.as_deref(),
        prompt_name: &address,
    };
    let password = match crate::password::obtain_from(sources, lang) {
        Ok(Some(p)) => p,
        Ok(None) => return crate::usage(&crate::password::Problem::NoSource.words(lang)),
        Err(problem) => return crate::usage(&problem.words(lang)),
    };
    match keyring.save(&address, password.expose()) {
        Ok(saved) => crate::write_result(
            &maildoc_report::history::password_saved(&address, &saved, keyring.file(), lang),
            false,
        ),
        Err(skipped) => {
            cannot(maildoc_report::history::password_not_saved(&address, &skipped, lang).trim_end())
        }
    }
}

/// This process's name in the watches' leases.
pub fn owner() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("maildoc-{}-{nanos:08x}", std::process::id())
}

impl RoundArgs {
    /// The round's options; the passwords file read (it must be the owner's alone).
    pub fn options(&self, timeout: Duration, lang: Lang) -> Result<WatchOptions, String> {
        let mut opts = WatchOptions::new(owner());
        opts.timeout = timeout;
        opts.cert_days = self.cert_days.max(0);
        opts.concurrency = self.concurrency.clamp(1, 1024);
        let file = self
            .passwords
            .clone()
            .or_else(|| std::env::var_os(PASSWORDS_ENV).map(PathBuf::from));
        opts.keyring = Some(keyring(None, lang)?);
        if let Some(path) = file {
            opts.passwords = read_passwords(&path).map_err(|detail| {
                ui::fill(
                    "error-watch-passwords",
                    lang,
                    &[("file", &path.display().to_string()), ("detail", &detail)],
                )
            })?;
        }
        // The alerts' mail account is checked now, not when the first alert comes.
        if let Some(mail) = self.alert_mail(lang)? {
            for to in &mail.to {
                maildoc_engine::check_input(to, None)
                    .map_err(|e| maildoc_report::error::words(&e, lang))?;
            }
            let (password, skipped) =
                maildoc_engine::watch::password_for(&opts, &mail.account.address);
            if password.is_none() {
                return Err(maildoc_report::history::mail_no_password(
                    &mail.account.address,
                    &skipped,
                    lang,
                ));
            }
        }
        Ok(opts)
    }

    /// Where the alerts are mailed: `--mail-to`, through `--mail-from` (else the first
    /// `--mail-to`) and its outgoing server when `--mail-smtp` names one; none without
    /// `--mail-to`.
    fn alert_mail(&self, lang: Lang) -> Result<Option<AlertMail>, String> {
        let Some(first) = self.mail_to.first() else {
            return Ok(None);
        };
        let from = self.mail_from.as_deref().unwrap_or(first);
        let address = crate::history::subject(from).map_err(|words| words(lang))?;
        let servers: Vec<(Protocol, &str)> = self
            .mail_smtp
            .iter()
            .map(|s| (Protocol::Smtp, s.as_str()))
            .collect();
        let account = AccountSettings::from_texts(&address, None, &servers, true)
            .map_err(|e| ui::fill("error-watch-mail-smtp", lang, &[("detail", &e.to_string())]))?;
        Ok(Some(AlertMail {
            account,
            to: self.mail_to.clone(),
        }))
    }

    /// Posts each alert to the webhook and mails them all in one message, as configured; a
    /// delivery that fails is said on standard error.
    pub async fn deliver(
        &self,
        env: &Env,
        opts: &WatchOptions,
        alerts: &[Alert],
        timeout: Duration,
        lang: Lang,
    ) {
        if alerts.is_empty() {
            return;
        }
        if let Ok(Some(mail)) = self.alert_mail(lang) {
            let (subject, text) = maildoc_report::history::alerts_mail(alerts, lang);
            let sent = maildoc_engine::watch::mail_alerts(env, opts, &mail, subject, text).await;
            if let Some(words) = maildoc_report::history::mail_problems(&sent, &mail, lang) {
                eprintln!("maildoc: {words}");
            }
        }
        let Some(url) = &self.webhook else {
            return;
        };
        for alert in alerts {
            let text = maildoc_report::history::alert_line(alert, lang);
            let title = format!("maildoc: {}", alert.subject);
            let urgent = maildoc_report::history::alert_is_urgent(alert);
            let sent =
                maildoc_engine::watch::post_webhook(env, url, &title, urgent, &text, timeout).await;
            let failure = match sent {
                Ok(status) if (200..300).contains(&status) => None,
                Ok(status) => Some(format!("HTTP {status}")),
                Err(e) => Some(e),
            };
            if let Some(detail) = failure {
                eprintln!(
                    "maildoc: {}",
                    ui::fill("error-watch-webhook", lang, &[("detail", &detail)])
                );
            }
        }
    }
}

/// A passwords file: TOML, `"address" = "password"` per line, readable by its owner only.
fn read_passwords(path: &Path) -> Result<Passwords, String> {
    let table = keyring::read_file(path).map_err(|(_, detail)| detail)?;
    let mut passwords = Passwords::default();
    for (address, password) in table {
        let address = crate::history::subject(&address).map_err(|words| words(Lang::En))?;
        passwords.insert(&address, Password::new(password));
    }
    Ok(passwords)
}

async fn run_once(history: &History, a: RunArgs, lang: Lang) -> ExitCode {
    let net = match a.net.checked(lang) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let opts = match a.round.options(net.timeout, lang) {
        Ok(o) => o,
        Err(words) => return crate::usage(&words),
    };
    let format = format(a.format);
    let round = maildoc_engine::watch::run_round(&net.env, history, &opts, |e| {
        if let WatchEvent::Claimed { watches } = e
            && format == Format::Human
            && watches > 0
        {
            eprintln!(
                "{}",
                ui::fill("watch-running", lang, &[("count", &watches.to_string())])
            );
        }
    })
    .await;
    let round = match round {
        Ok(r) => r,
        Err(e) => return cannot(&maildoc_report::history::store_error(&e, lang)),
    };
    let _ = history.prune(net.env.clock()).await;
    eprint!(
        "{}",
        maildoc_report::history::passwords_unread(&round.unread, lang)
    );
    a.round
        .deliver(&net.env, &opts, &round.alerts, net.timeout, lang)
        .await;
    let text = match format {
        Format::Json => maildoc_report::history::alerts(&round.alerts, format, lang),
        Format::Human | Format::Markdown => format!(
            "{}\n{}",
            ui::fill(
                "watch-round",
                lang,
                &[
                    ("ran", &round.ran.to_string()),
                    ("alerts", &round.alerts.len().to_string())
                ],
            ),
            maildoc_report::history::alerts(&round.alerts, format, lang)
        ),
    };
    crate::write_result(&text, !round.alerts.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passwords_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = maildoc_testkit::scratch::Scratch::new("watch-passwords");
        let path = dir.path("passwords.toml");
        std::fs::write(&path, "\"Taro@Example.JP\" = \"s3cret\"\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(read_passwords(&path).unwrap_err().contains("chmod 600"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let p = read_passwords(&path).unwrap();
        assert_eq!(p.len(), 1);
        assert!(p.get("taro@example.jp").is_some());
        assert!(!format!("{p:?}").contains("s3cret"));
        // A value that is no text is named by its address, never quoted.
        std::fs::write(&path, "\"taro@example.jp\" = 12345678\n").unwrap();
        let e = read_passwords(&path).unwrap_err();
        assert!(
            e.contains("taro@example.jp") && !e.contains("12345678"),
            "{e}"
        );
        std::fs::write(&path, "\"taro@example.jp\" = \"unterminated 87654321\n").unwrap();
        assert!(!read_passwords(&path).unwrap_err().contains("87654321"));
    }

    #[test]
    fn help_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for (_, key) in ROUND_HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
            for key in [
                "help-watch",
                "help-watch-after",
                "help-watch-add",
                "help-watch-list",
                "help-watch-remove",
                "help-watch-run",
                "help-watch-alerts",
                "help-watch-subject",
                "help-watch-every",
                "help-watch-no-login",
                "help-watch-from",
                "watch-added",
                "error-watch-every",
                "error-watch-not-watched",
                "error-watch-passwords",
                "error-watch-webhook",
                "watch-removed",
                "watch-running",
                "watch-round",
                "help-watch-password",
                "help-watch-password-after",
                "help-watch-password-address",
                "help-watch-password-store",
                "help-watch-password-forget",
                "watch-password-hint",
                "error-keyring-choice",
                "error-watch-password-address",
            ] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
    }
}
