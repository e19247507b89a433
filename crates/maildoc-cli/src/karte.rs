//! `maildoc karte new | check | show`: the karte (メール設定カルテ) of an account.
//!
//! - `new` writes a karte from the flags, or asks on a terminal, with defaults from the
//!   provider tables and discovery;
//! - `check` lints the karte's settings, checks the servers with them, runs the risk rules
//!   across the devices, appends the check to the history and saves the file atomically;
//! - `show` prints the sheet (text, Markdown, HTML).
//!
//! A karte never holds a password: the loader refuses password keys, and a password given to
//! `check` (or in `MAILDOC_PASSWORD` to `new`) is removed from every field before saving.

use crate::args::{self, FormatArg, LoginArgs, NetArgs, NetOptions, SmtpAuth};
use crate::{EXIT_CANNOT_RUN, EXIT_HEALTHY, EXIT_USAGE, password};
use clap::{Args, Subcommand, ValueEnum};
use maildoc_engine::history::{Origin, Snapshot};
use maildoc_engine::karte::{Device, IncomingServer, Karte, OutgoingServer};
use maildoc_engine::karte::{KarteCheckOptions, KarteDraft, KarteGiven};
use maildoc_model::settings::ServerSetting;
use maildoc_model::{Protocol, Security};
use maildoc_report::karte::{SheetFormat, load_error_words};
use maildoc_report::{Format, Lang, ui};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct KarteArgs {
    #[command(subcommand)]
    pub command: KarteCommand,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum KarteCommand {
    New(NewArgs),
    Check(CheckArgs),
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    pub address: String,
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_name = "HOST[:PORT][/ssl|/starttls|/plain]")]
    pub imap: Vec<String>,
    #[arg(long, value_name = "HOST[:PORT][/ssl|/starttls|/plain]")]
    pub pop3: Vec<String>,
    #[arg(long, value_name = "HOST[:PORT][/ssl|/starttls|/plain]")]
    pub smtp: Vec<String>,
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    #[arg(long, value_enum, value_name = "password|none")]
    pub smtp_auth: Option<SmtpAuth>,
    #[arg(long, value_name = "NAME:APP:PROTOCOL[:delete|:keep]")]
    pub device: Vec<String>,
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub changed_by: Option<String>,
    #[arg(long, value_name = "URL|DOCUMENT")]
    pub source: Vec<String>,
    #[arg(long, value_name = "DAYS")]
    pub leave_on_server_days: Option<u32>,
    #[arg(long)]
    pub interactive: bool,
    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    pub file: PathBuf,
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
    #[arg(long, value_name = "APP", value_parser = args::parse_client)]
    pub client: Option<maildoc_report::Client>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Human,
    Markdown,
    Html,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub file: PathBuf,
    #[arg(
        long,
        value_enum,
        default_value = "human",
        value_name = "human|markdown|html"
    )]
    pub format: ShowFormat,
}

// ---------------------------------------------------------------------------------------
// Help texts, in the language of --lang / LANG

/// (argument id, UI key) of each subcommand's arguments.
pub const NEW_HELP: &[(&str, &str)] = &[
    ("address", "help-karte-address"),
    ("output", "help-karte-output"),
    ("force", "help-karte-force"),
    ("imap", "help-imap"),
    ("pop3", "help-pop3"),
    ("smtp", "help-smtp"),
    ("username", "help-username"),
    ("smtp_auth", "help-karte-smtp-auth"),
    ("device", "help-karte-device"),
    ("display_name", "help-karte-display-name"),
    ("provider", "help-karte-provider"),
    ("changed_by", "help-karte-changed-by"),
    ("source", "help-karte-source"),
    ("leave_on_server_days", "help-karte-leave-on-server-days"),
    ("interactive", "help-karte-interactive"),
    ("dns_server", "help-dns-server"),
    ("ca_file", "help-ca-file"),
    ("timeout", "help-timeout"),
];

pub const CHECK_HELP: &[(&str, &str)] = &[
    ("file", "help-karte-file"),
    ("password_stdin", "help-password-stdin"),
    ("password_file", "help-password-file"),
    ("no_login", "help-no-login"),
    ("allow_plaintext_login", "help-allow-plaintext-login"),
    ("dns_server", "help-dns-server"),
    ("ca_file", "help-ca-file"),
    ("timeout", "help-timeout"),
    ("format", "help-format"),
    ("verbose", "help-verbose"),
    ("client", "help-client"),
];

pub const SHOW_HELP: &[(&str, &str)] = &[
    ("file", "help-karte-file"),
    ("format", "help-karte-show-format"),
];

/// The `karte` command's help in `lang`.
pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("karte", |k| {
        k.about(ui::text("help-karte", lang))
            .after_help(ui::text("help-karte-after", lang))
            .mut_subcommand("new", |s| {
                args::localize_args(
                    s.about(ui::text("help-karte-new", lang))
                        .after_help(ui::text("help-karte-new-after", lang)),
                    NEW_HELP,
                    lang,
                )
            })
            .mut_subcommand("check", |s| {
                args::localize_args(
                    s.about(ui::text("help-karte-check", lang))
                        .after_help(ui::text("help-karte-check-after", lang)),
                    CHECK_HELP,
                    lang,
                )
            })
            .mut_subcommand("show", |s| {
                args::localize_args(s.about(ui::text("help-karte-show", lang)), SHOW_HELP, lang)
            })
    })
}

// ---------------------------------------------------------------------------------------
// Shared

pub fn run(
    args: KarteArgs,
    lang_flag: Option<&str>,
    history: &crate::history::HistoryFlags,
) -> ExitCode {
    let lang = args::language(lang_flag);
    match args.command {
        KarteCommand::New(a) => new(a, lang),
        KarteCommand::Check(a) => check(a, lang, history),
        KarteCommand::Show(a) => show(a, lang),
    }
}

fn say(lang: Lang, key: &str, args: &[(&str, &str)]) {
    eprintln!("maildoc: {}", ui::fill(key, lang, args));
}

fn usage(lang: Lang, key: &str, args: &[(&str, &str)]) -> ExitCode {
    say(lang, key, args);
    ExitCode::from(EXIT_USAGE)
}

fn load(path: &Path, lang: Lang) -> Result<Karte, ExitCode> {
    maildoc_engine::karte::load(path).map_err(|e| {
        eprintln!("maildoc: {}", load_error_words(&e, lang));
        ExitCode::from(EXIT_USAGE)
    })
}

fn save(path: &Path, karte: &Karte, lang: Lang) -> Result<(), ExitCode> {
    maildoc_engine::karte::save(path, karte).map_err(|e| {
        say(
            lang,
            "karte-error-save",
            &[("file", &path.display().to_string()), ("detail", &e.detail)],
        );
        ExitCode::from(EXIT_CANNOT_RUN)
    })
}

/// Removes `secret` from every field and says where it was (never what it was).
fn redact(karte: &mut Karte, secret: &str, lang: Lang) {
    say_redacted(&maildoc_engine::karte::redact(karte, secret), lang);
}

/// Says which fields of the karte the password was removed from, if any.
fn say_redacted(fields: &[String], lang: Lang) {
    if !fields.is_empty() {
        say(
            lang,
            "karte-password-removed",
            &[("fields", &fields.join(", "))],
        );
    }
}

// ---------------------------------------------------------------------------------------
// karte show

fn show(args: ShowArgs, lang: Lang) -> ExitCode {
    let karte = match load(&args.file, lang) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let risks = maildoc_engine::karte::risks(&karte);
    let format = match args.format {
        ShowFormat::Human => SheetFormat::Human,
        ShowFormat::Markdown => SheetFormat::Markdown,
        ShowFormat::Html => SheetFormat::Html,
    };
    let text = maildoc_report::karte::render(&karte, &risks, lang, format);
    let mut stdout = std::io::stdout().lock();
    if write!(stdout, "{text}").is_err() {
        return ExitCode::from(EXIT_CANNOT_RUN);
    }
    ExitCode::from(EXIT_HEALTHY)
}

// ---------------------------------------------------------------------------------------
// karte check

fn check(args: CheckArgs, lang: Lang, history: &crate::history::HistoryFlags) -> ExitCode {
    let mut karte = match load(&args.file, lang) {
        Ok(k) => k,
        Err(code) => return code,
    };
    if karte.incoming.is_empty() && karte.outgoing.is_none() {
        return usage(
            lang,
            "karte-error-no-servers",
            &[("file", &args.file.display().to_string())],
        );
    }
    let username = maildoc_engine::karte::username_of(&karte);
    let prompt_name = username
        .clone()
        .unwrap_or_else(|| karte.account.address.clone());
    let password = if args.login.no_login {
        None
    } else {
        match password::obtain_from(
            password::Sources {
                stdin: args.login.password_stdin,
                file: args.login.password_file.as_deref(),
                prompt_name: &prompt_name,
            },
            lang,
        ) {
            Ok(p) => p,
            Err(problem) => return crate::usage(&problem.words(lang)),
        }
    };
    let NetOptions { env, timeout } = match args.net.checked(lang) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let outgoing_user = karte.outgoing.as_ref().and_then(|o| o.username.clone());
    if let (Some(used), Some(out)) = (&username, &outgoing_user)
        && used != out
    {
        say(
            lang,
            "karte-note-username",
            &[("outgoing", out), ("used", used)],
        );
    }
    let format = Format::from(args.format);
    let login = !args.login.no_login && password.is_some();
    let opts = KarteCheckOptions {
        password,
        login,
        allow_plaintext_login: args.login.allow_plaintext_login,
        timeout,
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let progress = crate::progress::Progress::new(format, lang);
    let result = runtime.block_on(maildoc_engine::karte::check(&env, &mut karte, opts, |e| {
        progress.event(&e)
    }));
    progress.finish();
    // The engine lints the settings as given (the karte's, here) before probing, joins the
    // lint's findings with the probe's, records the check in the karte's history and adds
    // the karte's risks.
    let checked = match result {
        Ok(c) => c,
        Err(e) => return crate::job_error(&e, lang),
    };
    say_redacted(&checked.redacted, lang);
    if let Err(code) = save(&args.file, &karte, lang) {
        return code;
    }
    say(
        lang,
        "karte-history-saved",
        &[
            ("file", &args.file.display().to_string()),
            ("count", &karte.history.len().to_string()),
        ],
    );
    let code = crate::print_report(&checked.report, format, lang, args.verbose, args.client);
    let kept = [Snapshot::Check(Box::new(checked.report))];
    runtime.block_on(history.keep(env.clock(), &kept, Origin::Cli, lang));
    code
}

// ---------------------------------------------------------------------------------------
// karte new

/// The servers of `--imap`, `--pop3` and the first `--smtp`, in that order.
fn servers_from_flags(a: &NewArgs) -> Result<Vec<ServerSetting>, String> {
    let imap = a.imap.iter().map(|v| (Protocol::Imap, v));
    let pop3 = a.pop3.iter().map(|v| (Protocol::Pop3, v));
    let smtp = a.smtp.first().map(|v| (Protocol::Smtp, v));
    imap.chain(pop3)
        .chain(smtp)
        .map(|(protocol, v)| {
            ServerSetting::parse(protocol, v)
                .map_err(|e| format!("--{} {v}: {e}", protocol.as_str()))
        })
        .collect()
}

/// Asks questions on standard error and reads the answers from standard input, one line
/// each; an empty line (or the end of input) takes the default.
struct Asker<R: BufRead> {
    input: R,
    lang: Lang,
    ended: bool,
}

impl<R: BufRead> Asker<R> {
    fn ask(&mut self, key: &str, default: &str) -> String {
        let question = ui::text(key, self.lang);
        let mut err = std::io::stderr().lock();
        if default.is_empty() {
            let _ = write!(err, "{question}: ");
        } else {
            let _ = write!(err, "{question} [{default}]: ");
        }
        let _ = err.flush();
        let mut line = String::new();
        if self.ended || self.input.read_line(&mut line).unwrap_or(0) == 0 {
            self.ended = true;
            let _ = writeln!(err);
            return default.to_string();
        }
        let answer = line.trim();
        if answer.is_empty() {
            default.to_string()
        } else {
            answer.to_string()
        }
    }

    fn yes_no(&mut self, key: &str, default: bool) -> bool {
        loop {
            let d = if default { "y" } else { "n" };
            let a = self.ask(key, d).to_lowercase();
            match a.as_str() {
                "y" | "yes" | "はい" | "する" | "true" => return true,
                "n" | "no" | "いいえ" | "しない" | "false" => return false,
                _ if self.ended => return default,
                _ => say(self.lang, "karte-ask-again", &[]),
            }
        }
    }

    fn optional(&mut self, key: &str, default: Option<&str>) -> Option<String> {
        let a = self.ask(key, default.unwrap_or(""));
        (!a.trim().is_empty() && a.trim() != "-").then(|| a.trim().to_string())
    }

    fn server(
        &mut self,
        protocol: Protocol,
        host: &str,
        port: u16,
        security: Security,
        username: &str,
    ) -> (String, u16, Security, String) {
        let host = loop {
            let h = self.ask(&format!("karte-ask-host-{}", protocol.as_str()), host);
            if !h.trim().is_empty() || self.ended {
                break h;
            }
            say(self.lang, "karte-ask-again", &[]);
        };
        let security = loop {
            let s = self.ask("karte-ask-security", security.as_str());
            match Security::parse(s.trim()) {
                Some(s) => break s,
                None if self.ended => break security,
                None => say(self.lang, "karte-ask-again", &[]),
            }
        };
        let suggested = if port == protocol.default_port(security)
            || port == protocol.implicit_tls_port()
            || port == protocol.starttls_port()
        {
            protocol.default_port(security)
        } else {
            port
        };
        let port = loop {
            let s = self.ask("karte-ask-port", &suggested.to_string());
            match s.trim().parse::<u16>() {
                Ok(n) if n > 0 => break n,
                _ if self.ended => break suggested,
                _ => say(self.lang, "karte-ask-again", &[]),
            }
        };
        let username = self.ask("karte-ask-username", username);
        (host.trim().to_string(), port, security, username)
    }
}

/// Asks for the karte's settings, devices and sources; what the karte holds already (from
/// the flags or discovery) is the default of each question.
fn interview<R: BufRead>(asker: &mut Asker<R>, karte: &mut Karte, address: &str, domain: &str) {
    let lang = asker.lang;
    let (known_incoming, known_outgoing) = (karte.incoming.clone(), karte.outgoing.clone());
    say(lang, "karte-ask-intro", &[("address", address)]);
    karte.account.display_name = asker.optional(
        "karte-ask-display-name",
        karte.account.display_name.as_deref(),
    );
    karte.account.provider =
        asker.optional("karte-ask-provider", karte.account.provider.as_deref());
    // Incoming: the protocols the karte knows, or IMAP.
    let known: Vec<Protocol> = known_incoming.iter().map(|s| s.protocol).collect();
    let default_protocols = match (
        known.contains(&Protocol::Imap),
        known.contains(&Protocol::Pop3),
    ) {
        (true, true) => "imap,pop3",
        (false, true) => "pop3",
        _ => "imap",
    };
    let protocols = loop {
        let a = asker.ask("karte-ask-protocols", default_protocols);
        let mut list = Vec::new();
        for word in a.split([',', ' ', '、']).filter(|w| !w.trim().is_empty()) {
            match word.trim().to_ascii_lowercase().as_str() {
                "imap" => list.push(Protocol::Imap),
                "pop3" | "pop" => list.push(Protocol::Pop3),
                _ => list.clear(),
            }
        }
        if !list.is_empty() {
            list.dedup();
            break list;
        }
        say(lang, "karte-ask-again", &[]);
        if asker.ended {
            break vec![Protocol::Imap];
        }
    };
    let mut incoming = Vec::new();
    for protocol in protocols {
        let d = known_incoming.iter().find(|s| s.protocol == protocol);
        let host = d.map(|s| s.host.clone()).unwrap_or_else(|| {
            let prefix = if protocol == Protocol::Imap {
                "imap"
            } else {
                "pop"
            };
            format!("{prefix}.{domain}")
        });
        let security = d.and_then(|s| s.security).unwrap_or(Security::Tls);
        let port = d
            .and_then(|s| s.port)
            .unwrap_or(protocol.default_port(security));
        let username = d
            .and_then(|s| s.username.clone())
            .unwrap_or_else(|| address.to_string());
        let (host, port, security, username) =
            asker.server(protocol, &host, port, security, &username);
        let mut server = IncomingServer {
            protocol,
            host,
            port: Some(port),
            security: Some(security),
            username: Some(username),
            leave_on_server: None,
            leave_on_server_days: d.and_then(|s| s.leave_on_server_days),
        };
        if protocol == Protocol::Pop3 {
            let leave = asker.yes_no("karte-ask-leave", true);
            server.leave_on_server = Some(leave);
            if leave {
                let days = asker.ask(
                    "karte-ask-leave-days",
                    &server
                        .leave_on_server_days
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                );
                server.leave_on_server_days = days.trim().parse::<u32>().ok().filter(|d| *d > 0);
            } else {
                server.leave_on_server_days = None;
            }
        }
        incoming.push(server);
    }
    karte.incoming = incoming;
    let o = known_outgoing.as_ref();
    let security = o.and_then(|s| s.security).unwrap_or(Security::Starttls);
    let port = o
        .and_then(|s| s.port)
        .unwrap_or(Protocol::Smtp.default_port(security));
    let host = o
        .map(|s| s.host.clone())
        .unwrap_or_else(|| format!("smtp.{domain}"));
    let username = o
        .and_then(|s| s.username.clone())
        .unwrap_or_else(|| address.to_string());
    let (host, port, security, username) =
        asker.server(Protocol::Smtp, &host, port, security, &username);
    let auth = asker.yes_no("karte-ask-auth", o.and_then(|s| s.auth).unwrap_or(true));
    karte.outgoing = Some(OutgoingServer {
        host,
        port: Some(port),
        security: Some(security),
        username: Some(username),
        auth: Some(auth),
    });
    // Devices, until an empty name.
    say(lang, "karte-ask-devices", &[]);
    let mut devices = std::mem::take(&mut karte.devices);
    while let Some(name) = asker.optional("karte-ask-device-name", None) {
        let app = asker.optional("karte-ask-device-app", None);
        let default_protocol = karte
            .incoming
            .first()
            .map(|s| s.protocol.as_str())
            .unwrap_or("imap");
        let protocol = loop {
            match asker
                .ask("karte-ask-device-protocol", default_protocol)
                .trim()
                .to_ascii_lowercase()
                .as_str()
            {
                "imap" => break Protocol::Imap,
                "pop3" | "pop" => break Protocol::Pop3,
                _ if asker.ended => break Protocol::Imap,
                _ => say(lang, "karte-ask-again", &[]),
            }
        };
        let mut device = Device {
            name,
            app,
            protocol,
            deletes_from_server: None,
            delete_after_days: None,
            backup: None,
            notes: None,
        };
        if protocol == Protocol::Pop3 {
            let deletes = asker.yes_no("karte-ask-device-deletes", false);
            device.deletes_from_server = Some(deletes);
            if deletes {
                device.delete_after_days = asker
                    .ask("karte-ask-device-days", "")
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|d| *d > 0);
            }
        }
        device.backup = asker.optional("karte-ask-device-backup", None);
        devices.push(device);
        if asker.ended {
            break;
        }
    }
    karte.devices = devices;
    say(lang, "karte-ask-sources", &[]);
    while let Some(s) = asker.optional("karte-ask-source", None) {
        karte.sources.push(maildoc_engine::karte::parse_source(&s));
        if asker.ended {
            break;
        }
    }
    karte.account.changed_by =
        asker.optional("karte-ask-changed-by", karte.account.changed_by.as_deref());
}

fn new(a: NewArgs, lang: Lang) -> ExitCode {
    let address = match maildoc_engine::check_input(&a.address, a.username.as_deref()) {
        Ok(address) => address,
        Err(e) => return crate::usage(&maildoc_report::error::words(&e, lang)),
    };
    let full = address.full();
    let devices = match a
        .device
        .iter()
        .map(|d| maildoc_engine::karte::parse_device(d))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(d) => d,
        Err(bad) => return usage(lang, "karte-error-device", &[("value", &bad)]),
    };
    let output = a
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{full}.karte.toml")));
    let to_stdout = output.as_os_str() == "-";
    if !to_stdout && output.exists() && !a.force {
        return usage(
            lang,
            "karte-error-exists",
            &[("file", &output.display().to_string())],
        );
    }
    let interactive = a.interactive || std::io::stdin().is_terminal();
    let any_server_flag = !(a.imap.is_empty() && a.pop3.is_empty() && a.smtp.is_empty());
    let draft = if any_server_flag {
        match servers_from_flags(&a) {
            Ok(servers) => KarteDraft::from_servers(&servers, a.username.as_deref()),
            Err(e) => return usage(lang, "error-input", &[("detail", &e)]),
        }
    } else {
        // The tables answer at once; otherwise ask the network.
        let tables = maildoc_engine::discover::tables(&address, Vec::new());
        let discovery = if tables.settled_by_tables() {
            tables
        } else {
            let net = match a.net.checked(lang) {
                Ok(o) => o,
                Err(code) => return code,
            };
            let rt = match crate::runtime() {
                Ok(r) => r,
                Err(code) => return code,
            };
            say(lang, "karte-discovering", &[("address", &full)]);
            let opts = maildoc_engine::DiscoverOptions {
                timeout: net.timeout,
            };
            match rt.block_on(maildoc_engine::discover(&net.env, &full, &opts, |_| {})) {
                Ok(d) => d,
                Err(e) => return crate::job_error(&e, lang),
            }
        };
        // What people must know about the provider (the user name is a d-account ID, the
        // host depends on the contract, the address cannot be used in a mail app, ...).
        if let Some(p) = &discovery.provider {
            for n in &p.notes {
                eprintln!("maildoc: {}", n.text(lang));
            }
        }
        KarteDraft::from_discovery(&discovery, a.username.as_deref())
    };
    if !interactive && !draft.has_servers() {
        return usage(lang, "karte-error-no-settings", &[("address", &full)]);
    }
    let given = KarteGiven {
        display_name: a.display_name.clone(),
        provider: a.provider.clone(),
        changed_by: a.changed_by.clone(),
        leave_on_server_days: a.leave_on_server_days,
        smtp_auth: a.smtp_auth.map(|auth| auth == SmtpAuth::Password),
        devices,
        sources: a
            .source
            .iter()
            .map(|s| maildoc_engine::karte::parse_source(s))
            .collect(),
    };
    let mut karte = draft.into_karte(&full, given);
    if interactive {
        let stdin = std::io::stdin();
        let mut asker = Asker {
            input: stdin.lock(),
            lang,
            ended: false,
        };
        interview(&mut asker, &mut karte, &full, &address.domain);
    }
    karte.account.last_changed = Some(maildoc_engine::karte::now_rfc3339());
    if let Ok(secret) = std::env::var("MAILDOC_PASSWORD") {
        redact(&mut karte, &secret, lang);
    }
    // The file must load again: check it as a reader would.
    let text = maildoc_engine::karte::to_toml(&karte);
    if let Err(e) = maildoc_engine::karte::parse(&text, &output) {
        eprintln!("maildoc: {}", load_error_words(&e, lang));
        return ExitCode::from(EXIT_USAGE);
    }
    if to_stdout {
        let mut stdout = std::io::stdout().lock();
        if write!(stdout, "{text}").is_err() {
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    } else {
        if let Err(code) = save(&output, &karte, lang) {
            return code;
        }
        say(
            lang,
            "karte-written",
            &[("file", &output.display().to_string())],
        );
    }
    for f in maildoc_engine::karte::risks(&karte) {
        say(
            lang,
            "karte-risk-line",
            &[("title", &maildoc_report::finding_title(&f, lang))],
        );
    }
    ExitCode::from(EXIT_HEALTHY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_worded_in_both_languages() {
        use clap::CommandFactory;
        for lang in [Lang::Ja, Lang::En] {
            let mut cmd = localize_help(crate::cli::Cli::command(), lang);
            let karte = cmd
                .find_subcommand_mut("karte")
                .unwrap_or_else(|| panic!("no karte command"));
            for (sub, list) in [
                ("new", NEW_HELP),
                ("check", CHECK_HELP),
                ("show", SHOW_HELP),
            ] {
                let s = karte
                    .find_subcommand_mut(sub)
                    .unwrap_or_else(|| panic!("no karte {sub}"));
                let help = s.render_long_help().to_string();
                for (_, key) in list {
                    let words = ui::text(key, lang);
                    let first = words.lines().next().unwrap_or(words);
                    assert!(help.contains(first), "{sub}: {key}\n{help}");
                }
            }
        }
    }

    #[test]
    fn every_ui_key_named_here_exists() {
        let src = include_str!("karte.rs");
        let mut seen = 0;
        for prefix in ["\"karte-", "\"help-", "\"error-", "\"progress-"] {
            for (at, _) in src.match_indices(prefix) {
                let key: String = src[at + 1..].chars().take_while(|c| *c != '"').collect();
                if key.ends_with('-') || key.contains(' ') || key.contains('{') {
                    continue;
                }
                seen += 1;
                for lang in [Lang::Ja, Lang::En] {
                    assert_ne!(ui::text(&key, lang), "?", "{key}");
                }
            }
        }
        assert!(seen > 50, "{seen}");
        for p in [Protocol::Imap, Protocol::Pop3, Protocol::Smtp] {
            let key = format!("karte-ask-host-{}", p.as_str());
            assert_ne!(ui::text(&key, Lang::Ja), "?", "{key}");
        }
    }

    #[test]
    fn help_keys_exist() {
        for list in [NEW_HELP, CHECK_HELP, SHOW_HELP] {
            for (_, key) in list {
                for lang in [Lang::Ja, Lang::En] {
                    assert_ne!(ui::text(key, lang), "?", "{key}");
                }
            }
        }
    }
}
