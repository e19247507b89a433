//! `maildoc triage`: guided isolation from a symptom, on a terminal with arrow-key prompts or
//! from flags and an answers file, running the account check as soon as an address is known,
//! and ending in a support summary (text, Markdown or HTML) of triage and check together.

use crate::args::{LoginArgs, NetArgs, ServerArgs};
use crate::password;
use clap::{Args, ValueEnum};
use maildoc_engine::{CheckError, CheckOptions};
use maildoc_model::domain::DomainReport;
use maildoc_model::{Protocol, Report, Severity};
use maildoc_report::{Lang, human, ui};
use maildoc_triage::{
    Area, Check, CheckOutcome, CheckStatus, Kind, Likelihood, SenderCheckOutcome, Triage,
};
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
        for q in maildoc_triage::questions() {
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

/// What the summary is made of.
struct Outcome {
    triage: Triage,
    tried: Vec<String>,
    report: Option<Report>,
    /// Why the account check did not run, when it did not (a UI key).
    check_note: Option<&'static str>,
    /// What `explain` made of the error text: candidate codes with likelihood (percent).
    explained: Option<Vec<(maildoc_model::Code, u8)>>,
    /// The sender's domain check, when it ran.
    domain_report: Option<DomainReport>,
    /// Why the sender's domain check did not run, when it did not (a UI key).
    domain_note: Option<&'static str>,
}

pub fn run(args: TriageArgs, lang_flag: Option<&str>) -> ExitCode {
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
    let mut triage = match Triage::new(symptom.trim()) {
        Ok(t) => t,
        Err(e) => return usage(lang, &e.to_string()),
    };
    let mut explained = None;
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
        if let Some(problem) = crate::address::problem(address, lang) {
            return crate::usage(&problem);
        }
    }
    if let Some(problem) = crate::address::username_problem(args.servers.username.as_deref(), lang)
    {
        return crate::usage(&problem);
    }
    for (k, v) in &given {
        if let Err(e) = triage.answer(k, v) {
            return usage(lang, &e.to_string());
        }
        if k == "error" {
            explained = explain_into(&mut triage, v);
        }
    }
    let mut tried = file.tried;
    tried.extend(args.tried.iter().cloned());
    let mut outcome = Outcome {
        triage,
        tried,
        report: None,
        check_note: None,
        explained,
        domain_report: None,
        domain_note: None,
    };
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
            if outcome.triage.answer(&q.id, &value).is_err() {
                break;
            }
            if q.id == "error" {
                outcome.explained = explain_into(&mut outcome.triage, &value);
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
    let text = match args.format {
        SummaryFormat::Text => summary_text(&outcome, lang, args.client),
        SummaryFormat::Markdown => summary_markdown(&outcome, lang, args.client),
        SummaryFormat::Html => summary_html(&outcome, lang, args.client),
    };
    crate::write_result(
        &text,
        outcome.report.as_ref().is_some_and(|r| r.has_problems()),
    )
}

/// What `maildoc explain` makes of the error text: candidate codes with their likelihood
/// (percent). Empty text explains nothing.
fn explain_candidates(text: &str) -> Option<Vec<(maildoc_model::Code, u8)>> {
    if text.trim().is_empty() {
        return None;
    }
    let e = maildoc_explain::explain(text);
    Some(
        e.candidates
            .iter()
            .map(|c| (c.code, c.likelihood))
            .collect(),
    )
}

/// Feeds the error text through `explain` into the causes; returns the candidates for the
/// summary.
fn explain_into(triage: &mut Triage, text: &str) -> Option<Vec<(maildoc_model::Code, u8)>> {
    let candidates = explain_candidates(text)?;
    let scaled: Vec<(maildoc_model::Code, f64)> = candidates
        .iter()
        .map(|(c, l)| (*c, f64::from(*l) / 100.0))
        .collect();
    triage.apply_explanation(&scaled);
    Some(candidates)
}

/// Runs the account check when it is ready and has not run yet.
fn maybe_check(outcome: &mut Outcome, args: &TriageArgs, lang: Lang, interactive: bool) {
    let ready = outcome
        .triage
        .checks_to_run()
        .into_iter()
        .find_map(|c| match c {
            Check::Account {
                address,
                status: CheckStatus::Ready,
            } => Some(address),
            _ => None,
        });
    let Some(address) = ready else { return };
    if outcome.report.is_some() || outcome.check_note.is_some() {
        return;
    }
    // An address typed at the prompt: the flags' and the file's were checked at the start.
    if let Some(problem) = crate::address::problem(&address, lang) {
        eprintln!("maildoc: {problem}");
        outcome.check_note = Some("triage-check-failed");
        return;
    }
    if args.no_check {
        outcome.check_note = Some("triage-check-skipped");
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
            Err(("error-no-password", _)) => None,
            Err((key, detail)) => {
                eprintln!("maildoc: {}", password::message(key, lang, &detail));
                outcome.check_note = Some("triage-check-failed");
                return;
            }
        }
    };
    let net = match args.net.checked(lang) {
        Ok(n) => n,
        Err(_) => {
            outcome.check_note = Some("triage-check-failed");
            return;
        }
    };
    if interactive {
        eprintln!(
            "{}",
            ui::fill("triage-checking", lang, &[("address", &address)])
        );
    }
    let login = password.is_some();
    let opts = CheckOptions {
        settings: args.servers.settings(&address),
        password,
        login,
        smtp_auth: args.servers.smtp_auth(),
        allow_plaintext_login: args.login.allow_plaintext_login,
        dns_server: net.dns_server,
        ca_pem: net.ca_pem,
        timeout: net.timeout,
    };
    let Ok(runtime) = crate::runtime() else {
        outcome.check_note = Some("triage-check-failed");
        return;
    };
    match runtime.block_on(maildoc_engine::check(opts, |_| {})) {
        Ok(report) => {
            let mut areas = Vec::new();
            if report
                .servers
                .iter()
                .any(|s| matches!(s.endpoint.protocol, Protocol::Imap | Protocol::Pop3))
            {
                areas.push(Area::Incoming);
            }
            if report
                .servers
                .iter()
                .any(|s| s.endpoint.protocol == Protocol::Smtp)
            {
                areas.push(Area::Outgoing);
            }
            if report.target.login {
                areas.push(Area::Login);
            }
            outcome.triage.record_check(CheckOutcome {
                codes: report.findings.iter().map(|f| f.code).collect(),
                areas,
            });
            if !login {
                outcome.check_note = Some("triage-check-no-login");
            }
            outcome.report = Some(report);
        }
        Err(CheckError::Usage(m)) | Err(CheckError::Setup(m)) => {
            eprintln!("maildoc: {m}");
            outcome.check_note = Some("triage-check-failed");
        }
    }
}

/// Runs `maildoc domain`'s check of the sender's domain when a sender is known and it has not
/// run yet, with triage's DNS server, CA file and timeout. No DNS blocklist is asked: the
/// sender's MX addresses say nothing about whether its mail gets through to this mailbox.
fn maybe_domain_check(outcome: &mut Outcome, args: &TriageArgs, lang: Lang, interactive: bool) {
    let ready = outcome
        .triage
        .checks_to_run()
        .into_iter()
        .find_map(|c| match c {
            Check::SenderDomain {
                domain,
                status: CheckStatus::Ready,
            } => Some(domain),
            _ => None,
        });
    let Some(domain) = ready else { return };
    if outcome.domain_report.is_some() || outcome.domain_note.is_some() {
        return;
    }
    if args.no_domain_check {
        outcome.domain_note = Some("triage-check-sender-skipped");
        return;
    }
    let failed = |outcome: &mut Outcome| outcome.domain_note = Some("triage-check-sender-failed");
    let Ok(domain) = crate::domain::normalize_domain(&domain) else {
        return failed(outcome);
    };
    let Ok(net) = args.net.checked(lang) else {
        return failed(outcome);
    };
    let trust = match maildoc_probe::tls::Trust::new(net.ca_pem.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("maildoc: {e}");
            return failed(outcome);
        }
    };
    let Ok(runtime) = crate::runtime() else {
        return failed(outcome);
    };
    if interactive {
        eprintln!(
            "{}",
            ui::fill("triage-checking", lang, &[("address", &domain)])
        );
    }
    let opts = crate::domain::Options {
        domain,
        selectors: Vec::new(),
        ip: None,
        mail_from: None,
        dns_server: net.dns_server,
        dnsbl_zones: Vec::new(),
        approved_mx: Vec::new(),
        approved_ns: Vec::new(),
        parked: false,
        bimi_selector: "default".into(),
        smtp: false,
    };
    let report = runtime.block_on(async {
        let clock = maildoc_probe::clock::RunClock::new(net.timeout);
        let dns = maildoc_probe::dns::Dns::new(net.dns_server);
        crate::domain::check(&opts, &dns, &trust, &clock).await
    });
    outcome.triage.record_sender_check(SenderCheckOutcome {
        codes: report.findings.iter().map(|f| f.code).collect(),
        conclusive: report.spf_ok.is_some() && !report.dmarc.lookup.is_inconclusive(),
    });
    outcome.domain_report = Some(report);
}

/// The heading and lines of the sender's domain findings, when the check ran.
fn domain_lines(o: &Outcome, lang: Lang) -> Option<(String, Vec<String>)> {
    let r = o.domain_report.as_ref()?;
    let mut lines = crate::domain::finding_lines(r, lang);
    if lines.is_empty() {
        lines.push(ui::text("triage-domain-clean", lang).to_string());
    }
    Some((
        ui::fill("triage-domain-findings", lang, &[("domain", &r.domain)]),
        lines,
    ))
}

// ---- prompts ---------------------------------------------------------------------------------

fn theme() -> dialoguer::theme::SimpleTheme {
    dialoguer::theme::SimpleTheme
}

fn prompt_symptom(lang: Lang) -> Option<String> {
    let items: Vec<&str> = maildoc_triage::symptoms()
        .iter()
        .map(|s| s.text(lang))
        .collect();
    let pick = dialoguer::Select::with_theme(&theme())
        .with_prompt(ui::text("triage-prompt-symptom", lang))
        .items(&items)
        .default(0)
        .interact_opt()
        .ok()??;
    maildoc_triage::symptoms().get(pick).map(|s| s.id.clone())
}

fn prompt_question(q: &maildoc_triage::Question, lang: Lang) -> Option<String> {
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

// ---- the summary -----------------------------------------------------------------------------

fn likelihood_word(l: Likelihood, lang: Lang) -> &'static str {
    ui::text(&format!("triage-likelihood-{}", l.key()), lang)
}

/// The causes table shown after each answer.
fn causes_table(t: &Triage, lang: Lang) -> String {
    let mut out = format!("\n{}\n", ui::text("triage-causes", lang));
    for (c, l) in t.causes() {
        let _ = writeln!(out, "  [{}] {}", likelihood_word(l, lang), c.text(lang));
    }
    out
}

fn answer_words(q: &maildoc_triage::Question, value: &str, lang: Lang) -> String {
    match q.answer(value) {
        Some(a) => a.text(lang).to_string(),
        None if value.trim().is_empty() => ui::text("triage-answer-empty", lang).to_string(),
        None => quoted(value, lang),
    }
}

fn quoted(value: &str, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("「{value}」"),
        Lang::En => format!("\"{value}\""),
    }
}

/// Every line of the answers, as (question, answer) words.
fn answer_rows(t: &Triage, lang: Lang) -> Vec<(String, String)> {
    t.answers()
        .into_iter()
        .map(|(q, v)| (q.text(lang).to_string(), answer_words(q, v, lang)))
        .collect()
}

/// The questions still worth asking, with their possible answers.
fn open_lines(t: &Triage, lang: Lang) -> Vec<String> {
    t.open_questions()
        .into_iter()
        .map(|q| {
            let answers: Vec<&str> = q.answers.iter().map(|a| a.text(lang)).collect();
            if answers.is_empty() {
                q.text(lang).to_string()
            } else {
                format!("{} ({})", q.text(lang), answers.join(" / "))
            }
        })
        .collect()
}

/// What to ask the provider: the findings the check confirmed, then the causes that stay
/// likely or possible and that the provider can answer.
fn asks(o: &Outcome, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(report) = &o.report {
        for f in report.sorted_findings() {
            if f.severity == Severity::Info {
                continue;
            }
            let b = maildoc_report::finding_block(report, f, lang);
            out.push(ui::fill(
                "triage-ask-finding",
                lang,
                &[("title", &b.title), ("code", f.code.as_str())],
            ));
        }
    }
    // The provider's time is short: the five most likely causes it can answer.
    out.extend(
        o.triage
            .causes()
            .into_iter()
            .filter(|(c, l)| *l <= Likelihood::Possible && !c.ask(lang).is_empty())
            .take(5)
            .map(|(c, _)| c.ask(lang).to_string()),
    );
    out
}

/// The lines about the checks: what ran, what could not, what is pending.
fn check_lines(o: &Outcome, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    match o.explained.as_deref() {
        Some([]) => out.push(ui::text("triage-explained-unknown", lang).to_string()),
        Some(candidates) => {
            let codes: Vec<String> = candidates
                .iter()
                .take(5)
                .map(|(c, l)| format!("{c} {l}%"))
                .collect();
            out.push(ui::fill(
                "triage-explained",
                lang,
                &[("codes", &codes.join(", "))],
            ));
        }
        None => {}
    }
    let checks = o.triage.checks_to_run();
    if !checks.iter().any(|c| matches!(c, Check::Account { .. })) {
        out.push(ui::text("triage-check-no-address", lang).to_string());
    }
    for c in checks {
        match c {
            Check::Account { address, .. } => {
                if let Some(note) = o.check_note {
                    out.push(ui::fill(note, lang, &[("address", &address)]));
                } else if o.report.is_some() {
                    out.push(ui::fill(
                        "triage-check-done",
                        lang,
                        &[("address", &address)],
                    ));
                }
            }
            Check::SenderDomain { domain, .. } => {
                if let Some(note) = o.domain_note {
                    out.push(ui::fill(note, lang, &[("domain", &domain)]));
                } else if o.domain_report.is_some() {
                    out.push(ui::fill(
                        "triage-check-sender-done",
                        lang,
                        &[("domain", &domain)],
                    ));
                }
            }
        }
    }
    out
}

fn title(lang: Lang) -> &'static str {
    ui::text("triage-title", lang)
}

fn summary_text(o: &Outcome, lang: Lang, client: Option<maildoc_report::Client>) -> String {
    let t = &o.triage;
    let mut out = String::new();
    let _ = writeln!(out, "{}", title(lang));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}: {}",
        ui::text("triage-symptom", lang),
        t.symptom().text(lang)
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", ui::text("triage-answers", lang));
    let rows = answer_rows(t, lang);
    if rows.is_empty() {
        let _ = writeln!(out, "  {}", ui::text("triage-none", lang));
    }
    for (q, a) in rows {
        let _ = writeln!(out, "  - {q}\n    → {a}");
    }
    let open = open_lines(t, lang);
    if !open.is_empty() {
        let _ = writeln!(out, "\n{}", ui::text("triage-open", lang));
        for q in open {
            let _ = writeln!(out, "  - {q}");
        }
    }
    let _ = write!(out, "{}", causes_table(t, lang));
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", ui::text("triage-checks", lang));
    for line in check_lines(o, lang) {
        let _ = writeln!(out, "  - {line}");
    }
    if let Some((heading, lines)) = domain_lines(o, lang) {
        let _ = writeln!(out, "\n{heading}");
        for line in lines {
            let _ = writeln!(out, "  - {line}");
        }
    }
    if let Some(report) = &o.report {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            human::render(
                report,
                lang,
                human::Style {
                    color: false,
                    verbose: true,
                    client,
                },
            )
            .trim_end()
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", ui::text("triage-tried", lang));
    if o.tried.is_empty() {
        let _ = writeln!(out, "  {}", ui::text("triage-none", lang));
    }
    for x in &o.tried {
        let _ = writeln!(out, "  - {x}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", ui::text("triage-ask", lang));
    let asks = asks(o, lang);
    if asks.is_empty() {
        let _ = writeln!(out, "  {}", ui::text("triage-none", lang));
    }
    for a in asks {
        let _ = writeln!(out, "  - {a}");
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn summary_markdown(o: &Outcome, lang: Lang, client: Option<maildoc_report::Client>) -> String {
    let t = &o.triage;
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", title(lang));
    let _ = writeln!(
        out,
        "- {}: {}\n",
        ui::text("triage-symptom", lang),
        t.symptom().text(lang)
    );
    let _ = writeln!(out, "## {}\n", ui::text("triage-answers", lang));
    let rows = answer_rows(t, lang);
    if rows.is_empty() {
        let _ = writeln!(out, "{}\n", ui::text("triage-none", lang));
    } else {
        let _ = writeln!(
            out,
            "| {} | {} |\n|---|---|",
            ui::text("triage-question", lang),
            ui::text("triage-answer", lang)
        );
        for (q, a) in rows {
            let _ = writeln!(out, "| {} | {} |", cell(&q), cell(&a));
        }
        let _ = writeln!(out);
    }
    let open = open_lines(t, lang);
    if !open.is_empty() {
        let _ = writeln!(out, "{}\n", ui::text("triage-open", lang));
        for q in open {
            let _ = writeln!(out, "- {q}");
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## {}\n", ui::text("triage-causes", lang));
    let _ = writeln!(
        out,
        "| {} | {} |\n|---|---|",
        ui::text("triage-cause", lang),
        ui::text("triage-likelihood", lang)
    );
    for (c, l) in t.causes() {
        let _ = writeln!(
            out,
            "| {} | {} |",
            cell(c.text(lang)),
            likelihood_word(l, lang)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "## {}\n", ui::text("triage-checks", lang));
    for line in check_lines(o, lang) {
        let _ = writeln!(out, "- {line}");
    }
    let _ = writeln!(out);
    if let Some((heading, lines)) = domain_lines(o, lang) {
        let _ = writeln!(out, "## {}\n", cell(&heading));
        for line in lines {
            let _ = writeln!(out, "- {}", cell(&line));
        }
        let _ = writeln!(out);
    }
    if let Some(report) = &o.report {
        for line in maildoc_report::markdown::render(report, lang, client).lines() {
            if line.starts_with('#') {
                let _ = writeln!(out, "##{line}");
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## {}\n", ui::text("triage-tried", lang));
    if o.tried.is_empty() {
        let _ = writeln!(out, "{}", ui::text("triage-none", lang));
    }
    for x in &o.tried {
        let _ = writeln!(out, "- {x}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "## {}\n", ui::text("triage-ask", lang));
    let asks = asks(o, lang);
    if asks.is_empty() {
        let _ = writeln!(out, "{}", ui::text("triage-none", lang));
    }
    for a in asks {
        let _ = writeln!(out, "- {a}");
    }
    out
}

fn summary_html(o: &Outcome, lang: Lang, client: Option<maildoc_report::Client>) -> String {
    use maildoc_report::karte::escape as e;
    let t = &o.triage;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>",
        lang.as_str(),
        e(title(lang))
    );
    let _ = writeln!(
        out,
        "<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.5}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top}}.confirmed,.likely{{font-weight:bold}}.ruled-out{{color:#777}}pre{{white-space:pre-wrap;font-size:.85em}}@media print{{details{{display:block}}}}</style>\n</head>\n<body>"
    );
    let _ = writeln!(out, "<h1>{}</h1>", e(title(lang)));
    let _ = writeln!(
        out,
        "<p><strong>{}:</strong> {}</p>",
        e(ui::text("triage-symptom", lang)),
        e(t.symptom().text(lang))
    );
    let _ = writeln!(out, "<h2>{}</h2>", e(ui::text("triage-answers", lang)));
    let rows = answer_rows(t, lang);
    if rows.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", e(ui::text("triage-none", lang)));
    } else {
        let _ = writeln!(
            out,
            "<table>\n<tr><th>{}</th><th>{}</th></tr>",
            e(ui::text("triage-question", lang)),
            e(ui::text("triage-answer", lang))
        );
        for (q, a) in rows {
            let _ = writeln!(out, "<tr><td>{}</td><td>{}</td></tr>", e(&q), e(&a));
        }
        let _ = writeln!(out, "</table>");
    }
    let open = open_lines(t, lang);
    if !open.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", e(ui::text("triage-open", lang)));
        list_html(&mut out, &open, lang);
    }
    let _ = writeln!(out, "<h2>{}</h2>", e(ui::text("triage-causes", lang)));
    let _ = writeln!(
        out,
        "<table>\n<tr><th>{}</th><th>{}</th></tr>",
        e(ui::text("triage-cause", lang)),
        e(ui::text("triage-likelihood", lang))
    );
    for (c, l) in t.causes() {
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}</td></tr>",
            l.key(),
            e(c.text(lang)),
            e(likelihood_word(l, lang))
        );
    }
    let _ = writeln!(out, "</table>");
    let _ = writeln!(out, "<h2>{}</h2>\n<ul>", e(ui::text("triage-checks", lang)));
    for line in check_lines(o, lang) {
        let _ = writeln!(out, "<li>{}</li>", e(&line));
    }
    let _ = writeln!(out, "</ul>");
    if let Some((heading, lines)) = domain_lines(o, lang) {
        let _ = writeln!(out, "<h2>{}</h2>\n<ul>", e(&heading));
        for line in lines {
            let _ = writeln!(out, "<li>{}</li>", e(&line));
        }
        let _ = writeln!(out, "</ul>");
    }
    if let Some(report) = &o.report {
        report_html(&mut out, report, lang, client);
    }
    let _ = writeln!(out, "<h2>{}</h2>", e(ui::text("triage-tried", lang)));
    list_html(&mut out, &o.tried, lang);
    let _ = writeln!(out, "<h2>{}</h2>", e(ui::text("triage-ask", lang)));
    list_html(&mut out, &asks(o, lang), lang);
    let _ = writeln!(out, "</body>\n</html>");
    out
}

fn list_html(out: &mut String, items: &[String], lang: Lang) {
    use maildoc_report::karte::escape as e;
    if items.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", e(ui::text("triage-none", lang)));
        return;
    }
    let _ = writeln!(out, "<ul>");
    for x in items {
        let _ = writeln!(out, "<li>{}</li>", e(x));
    }
    let _ = writeln!(out, "</ul>");
}

/// The check part of the HTML summary: servers, findings with evidence, transcripts.
fn report_html(
    out: &mut String,
    report: &Report,
    lang: Lang,
    client: Option<maildoc_report::Client>,
) {
    use maildoc_report::karte::escape as e;
    let _ = writeln!(
        out,
        "<h3>{}</h3>\n<table>\n<tr><th>{}</th><th>{}</th></tr>",
        e(&ui::fill(
            "title",
            lang,
            &[("address", &report.target.address)]
        )),
        e(ui::text("md-server", lang)),
        e(ui::text("md-details", lang))
    );
    for s in &report.servers {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            e(&s.endpoint.describe()),
            e(&maildoc_report::facts::summary(s, report.started_at_unix, lang).join(", "))
        );
    }
    let _ = writeln!(out, "</table>");
    let findings = report.sorted_findings();
    let _ = writeln!(
        out,
        "<h3>{}</h3>",
        e(&ui::fill(
            "findings",
            lang,
            &[("count", &findings.len().to_string())]
        ))
    );
    let wanted = client.map(|c| c.label(lang));
    for f in findings {
        let b = maildoc_report::finding_block(report, f, lang);
        let _ = writeln!(
            out,
            "<h4>[{}] {} (<code>{}</code>)</h4>\n<ul>",
            e(&b.severity),
            e(&b.title),
            f.code
        );
        if let Some(server) = &b.server {
            let _ = writeln!(
                out,
                "<li>{}: {}</li>",
                e(ui::text("md-server", lang)),
                e(server)
            );
        }
        let _ = writeln!(
            out,
            "<li>{}: {}</li>",
            e(ui::text("cause", lang)),
            e(&b.cause)
        );
        let _ = writeln!(out, "<li>{}: {}</li>", e(ui::text("fix", lang)), e(&b.fix));
        for (label, steps) in &b.clients {
            if wanted.is_none_or(|w| w == label) {
                let _ = writeln!(out, "<li>{}: {}</li>", e(label), e(steps));
            }
        }
        for ev in &b.evidence {
            let _ = writeln!(
                out,
                "<li>{}: <code>{}</code></li>",
                e(ui::text("evidence", lang)),
                e(ev)
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(
        out,
        "<details><summary>{}</summary>",
        e(ui::text("transcripts", lang))
    );
    for s in &report.servers {
        let _ = writeln!(
            out,
            "<h4>{} ({})</h4>\n<pre>",
            e(&s.endpoint.describe()),
            e(&s.id)
        );
        for line in maildoc_report::timeline(s) {
            let _ = writeln!(out, "{}", e(&line));
        }
        let _ = writeln!(out, "</pre>");
    }
    let _ = writeln!(out, "</details>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_and_screen_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for (_, key) in HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
            for l in [
                Likelihood::Confirmed,
                Likelihood::Likely,
                Likelihood::Possible,
                Likelihood::Unlikely,
                Likelihood::RuledOut,
            ] {
                assert_ne!(likelihood_word(l, lang), "?", "{l:?}");
            }
            for key in [
                "help-triage",
                "help-triage-after",
                "help-triage-questions",
                "help-triage-free-text",
                "error-triage",
                "error-triage-no-symptom",
                "error-triage-answer",
                "triage-title",
                "triage-symptom",
                "triage-answers",
                "triage-question",
                "triage-answer",
                "triage-answer-empty",
                "triage-causes",
                "triage-cause",
                "triage-likelihood",
                "triage-checks",
                "triage-check-no-address",
                "triage-check-done",
                "triage-check-skipped",
                "triage-check-failed",
                "triage-check-no-login",
                "triage-check-sender-done",
                "triage-check-sender-skipped",
                "triage-check-sender-failed",
                "triage-domain-findings",
                "triage-domain-clean",
                "triage-open",
                "triage-explained",
                "triage-explained-unknown",
                "triage-checking",
                "triage-tried",
                "triage-ask",
                "triage-ask-finding",
                "triage-none",
                "triage-prompt-symptom",
                "triage-prompt-tried",
            ] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
    }
}
