//! `maildoc triage`: guided isolation from a symptom, on a terminal with arrow-key prompts or
//! from flags and an answers file, running the account check as soon as an address is known,
//! and ending in a support summary (text, Markdown or HTML) of triage and check together.

use crate::args::{LoginArgs, NetArgs, ServerArgs};
use crate::password;
use clap::{Args, ValueEnum};
use maildoc_engine::CheckOptions;
use maildoc_engine::Clock;
use maildoc_engine::history::{Origin, Snapshot};
use maildoc_engine::triage::{CheckNote, Kind, Outcome, SenderCheckNote, Triage};
use maildoc_report::triage::causes_table;
use maildoc_report::{Lang, ui};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// `--format` of the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Text,
    Markdown,
    Html,
}

/// `maildoc triage`.
#[derive(Debug, Args)]
pub struct TriageArgs {
    #[arg(long, value_name = "SYMPTOM")]
    pub symptom: Option<String>,
    #[arg(long = "answer", value_name = "QUESTION=ANSWER")]
    pub answer: Vec<String>,
    #[arg(long = "answers", value_name = "FILE")]
    pub answers_file: Option<PathBuf>,
    #[arg(long, value_name = "TEXT")]
    pub tried: Vec<String>,
    #[arg(long, value_name = "ADDRESS")]
    pub address: Option<String>,
    #[command(flatten)]
    pub servers: ServerArgs,
    #[command(flatten)]
    pub login: LoginArgs,
    #[command(flatten)]
    pub net: NetArgs,
    #[arg(long)]
    pub no_check: bool,
    #[arg(long)]
    pub no_domain_check: bool,
    #[arg(long)]
    pub no_input: bool,
    #[arg(
        long,
        value_enum,
        default_value = "text",
        value_name = "text|markdown|html"
    )]
    pub format: SummaryFormat,
    #[arg(long, value_name = "APP", value_parser = crate::args::parse_client)]
    pub client: Option<maildoc_report::Client>,
}

/// The arguments of `triage` and the UI keys of their help.
pub const HELP: &[(&str, &str)] = &[
    ("symptom", "help-triage-symptom"),
    ("answer", "help-triage-answer"),
    ("answers_file", "help-triage-answers"),
    ("tried", "help-triage-tried"),
    ("address", "help-triage-address"),
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
    ("no_check", "help-triage-no-check"),
    ("no_domain_check", "help-triage-no-domain-check"),
    ("no_input", "help-triage-no-input"),
    ("format", "help-triage-format"),
    ("client", "help-client"),
];

/// Sets the `triage` help texts in `lang`.
pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("triage", |sub| {
        let mut after = ui::text("help-triage-after", lang).trim_end().to_string();
        let _ = write!(after, "\n\n{}", ui::text("help-triage-questions", lang));
        for q in maildoc_engine::triage::questions() {
            let values: Vec<&str> = q.answers.iter().map(|a| a.value.as_str()).collect();
            let values = if values.is_empty() {
                ui::text("help-triage-free-text", lang).to_string()
            } else {
                values.join("|")
            };
            let _ = write!(after, "\n  {} = {values}", q.id);
        }
        let sub = sub.about(ui::text("help-triage", lang)).after_help(after);
        crate::args::localize_args(sub, HELP, lang)
    })
}

/// The answers file (TOML): `symptom`, `address`, `tried = [...]` and `[answers]`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswersFile {
    symptom: Option<String>,
    address: Option<String>,
    #[serde(default)]
    tried: Vec<String>,
    #[serde(default)]
    answers: std::collections::BTreeMap<String, String>,
}

fn usage(lang: Lang, detail: &str) -> ExitCode {
    eprintln!(
        "maildoc: {}",
        ui::fill("error-triage", lang, &[("detail", detail)])
    );
    ExitCode::from(crate::EXIT_USAGE)
}

pub fn run(
    args: TriageArgs,
    lang_flag: Option<&str>,
    history: &crate::history::HistoryFlags,
) -> ExitCode {
    let lang = crate::args::language(lang_flag);
    let file = match &args.answers_file {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| toml::from_str::<AnswersFile>(&t).map_err(|e| e.to_string()))
        {
            Ok(f) => f,
            Err(e) => return usage(lang, &format!("{}: {e}", path.display())),
        },
        None => AnswersFile::default(),
    };
    let interactive =
        !args.no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let symptom = match args.symptom.clone().or(file.symptom.clone()) {
        Some(s) => s,
        None if interactive => match prompt_symptom(lang) {
            Some(s) => s,
            None => return ExitCode::from(crate::EXIT_USAGE),
        },
        None => return usage(lang, ui::text("error-triage-no-symptom", lang)),
    };
    let mut outcome = match Triage::new(symptom.trim()) {
        Ok(t) => Outcome::new(t),
        Err(e) => return usage(lang, &e.to_string()),
    };
    // Answers: the file first, then the flags (a flag wins), then --address.
    let mut given: Vec<(String, String)> = file.answers.into_iter().collect();
    for a in &args.answer {
        match a.split_once('=') {
            Some((k, v)) => given.push((k.trim().to_string(), v.to_string())),
            None => {
                return usage(
                    lang,
                    &ui::fill("error-triage-answer", lang, &[("answer", a)]),
                );
            }
        }
    }
    if let Some(address) = args.address.clone().or(file.address.clone()) {
        given.push(("address".into(), address));
    }
    for (_, address) in given.iter().filter(|(k, _)| k == "address") {
        if let Some(problem) = crate::address::problem(address, None, lang) {
            return crate::usage(&problem);
        }
    }
    if let Some(problem) = crate::address::username_problem(args.servers.username.as_deref(), lang)
    {
        return crate::usage(&problem);
    }
    for (k, v) in &given {
        if let Err(e) = maildoc_engine::triage::answer(&mut outcome, k, v) {
            return usage(lang, &e.to_string());
        }
    }
    outcome.tried = file.tried;
    outcome.tried.extend(args.tried.iter().cloned());
    if interactive {
        eprintln!("{}", causes_table(&outcome.triage, lang));
    }
    // The check runs as soon as the address is known; interactively, that is after its
    // question, with the remaining questions still to come.
    maybe_check(&mut outcome, &args, lang, interactive);
    maybe_domain_check(&mut outcome, &args, lang, interactive);
    if interactive {
        while let Some(q) = outcome.triage.next_question() {
            let Some(value) = prompt_question(q, lang) else {
                break;
            };
            if maildoc_engine::triage::answer(&mut outcome, &q.id, &value).is_err() {
                break;
            }
            maybe_check(&mut outcome, &args, lang, interactive);
            maybe_domain_check(&mut outcome, &args, lang, interactive);
            eprintln!("{}", causes_table(&outcome.triage, lang));
        }
        if outcome.tried.is_empty()
            && let Ok(text) = dialoguer::Input::<String>::new()
                .with_prompt(ui::text("triage-prompt-tried", lang))
                .allow_empty(true)
                .interact_text()
        {
            outcome.tried.extend(
                text.split(['、', ';'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string),
            );
        }
    }
    let kept = Snapshot::of_triage(&outcome);
    history.keep_blocking(Clock::System, &kept, Origin::Triage, lang);
    let text = match args.format {
        SummaryFormat::Text => maildoc_report::triage::summary_text(&outcome, lang, args.client),
        SummaryFormat::Markdown => {
            maildoc_report::triage::summary_markdown(&outcome, lang, args.client)
        }
        SummaryFormat::Html => maildoc_report::triage::summary_html(&outcome, lang, args.client),
    };
    crate::write_result(
        &text,
        outcome.report.as_ref().is_some_and(|r| r.has_problems()),
    )
}

/// Runs the account check when it is ready and has not run yet.
fn maybe_check(outcome: &mut Outcome, args: &TriageArgs, lang: Lang, interactive: bool) {
    let Some(address) = outcome.account_check_due() else {
        return;
    };
    // An address typed at the prompt: the flags' and the file's were checked at the start.
    if let Some(problem) = crate::address::problem(&address, None, lang) {
        eprintln!("maildoc: {problem}");
        outcome.check_note = Some(CheckNote::Failed);
        return;
    }
    if args.no_check {
        outcome.check_note = Some(CheckNote::Skipped);
        return;
    }
    let password = if args.login.no_login {
        None
    } else {
        let sources = password::Sources {
            stdin: args.login.password_stdin,
            file: args.login.password_file.as_deref(),
            prompt_name: args.servers.username.as_deref().unwrap_or(&address),
        };
        match password::obtain_from(sources, lang) {
            Ok(p) => p,
            Err(password::Problem::NoSource) => None,
            Err(problem) => {
                eprintln!("maildoc: {}", problem.words(lang));
                outcome.check_note = Some(CheckNote::Failed);
                return;
            }
        }
    };
    let net = match args.net.checked(lang) {
        Ok(n) => n,
        Err(_) => {
            outcome.check_note = Some(CheckNote::Failed);
            return;
        }
    };
    if interactive {
        eprintln!(
            "{}",
            ui::fill("triage-checking", lang, &[("address", &address)])
        );
    }
    let settings = match args.servers.settings(&address) {
        Ok(s) => s,
        Err(m) => {
            eprintln!("maildoc: {m}");
            outcome.check_note = Some(CheckNote::Failed);
            return;
        }
    };
    let opts = CheckOptions {
        settings,
        login: password.is_some(),
        password,
        smtp_auth: args.servers.smtp_auth(),
        allow_plaintext_login: args.login.allow_plaintext_login,
        timeout: net.timeout,
    };
    let Ok(runtime) = crate::runtime() else {
        outcome.check_note = Some(CheckNote::Failed);
        return;
    };
    if let Err(e) = runtime.block_on(maildoc_engine::triage::check(
        &net.env,
        outcome,
        opts,
        |_| {},
    )) {
        eprintln!("maildoc: {}", maildoc_report::error::words(&e, lang));
    }
}

/// Runs `maildoc domain`'s check of the sender's domain when it is due, with triage's DNS
/// server, CA file and timeout.
fn maybe_domain_check(outcome: &mut Outcome, args: &TriageArgs, lang: Lang, interactive: bool) {
    let Some(domain) = maildoc_engine::triage::sender_check_due(outcome, args.no_domain_check)
    else {
        return;
    };
    let failed = |outcome: &mut Outcome| outcome.domain_note = Some(SenderCheckNote::Failed);
    let Ok(net) = args.net.checked(lang) else {
        return failed(outcome);
    };
    let Ok(runtime) = crate::runtime() else {
        return failed(outcome);
    };
    if interactive {
        eprintln!(
            "{}",
            ui::fill("triage-checking", lang, &[("address", domain.as_str())])
        );
    }
    runtime.block_on(maildoc_engine::triage::check_sender_domain(
        &net.env,
        outcome,
        &domain,
        net.timeout,
        |_| {},
    ));
}

// ---- prompts ---------------------------------------------------------------------------------

fn theme() -> dialoguer::theme::SimpleTheme {
    dialoguer::theme::SimpleTheme
}

fn prompt_symptom(lang: Lang) -> Option<String> {
    let items: Vec<&str> = maildoc_engine::triage::symptoms()
        .iter()
        .map(|s| s.text(lang))
        .collect();
    let pick = dialoguer::Select::with_theme(&theme())
        .with_prompt(ui::text("triage-prompt-symptom", lang))
        .items(&items)
        .default(0)
        .interact_opt()
        .ok()??;
    maildoc_engine::triage::symptoms()
        .get(pick)
        .map(|s| s.id.clone())
}

fn prompt_question(q: &maildoc_engine::triage::Question, lang: Lang) -> Option<String> {
    match q.kind {
        Kind::Text => dialoguer::Input::<String>::with_theme(&theme())
            .with_prompt(q.text(lang))
            .allow_empty(true)
            .interact_text()
            .ok(),
        Kind::Choice => {
            let items: Vec<&str> = q.answers.iter().map(|a| a.text(lang)).collect();
            let pick = dialoguer::Select::with_theme(&theme())
                .with_prompt(q.text(lang))
                .items(&items)
                .default(0)
                .interact_opt()
                .ok()??;
            q.answers.get(pick).map(|a| a.value.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_and_prompt_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for (_, key) in HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
            for key in [
                "help-triage",
                "help-triage-after",
                "help-triage-questions",
                "help-triage-free-text",
                "error-triage",
                "error-triage-no-symptom",
                "error-triage-answer",
                "triage-checking",
                "triage-prompt-symptom",
                "triage-prompt-tried",
            ] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
    }
}
