//! `maildoc explain TEXT|CODE`: what an error text means, the likely causes ranked, how to
//! confirm each, and the fix; `--check ADDRESS` runs a real check and marks each cause
//! confirmed or not seen. Matching is `maildoc_explain`; the words are the knowledge base's
//! and `data/ui-explain.toml`.

use crate::args::{self, FormatArg, LoginArgs, NetArgs, ServerArgs};
use crate::{EXIT_CANNOT_RUN, EXIT_HEALTHY, EXIT_PROBLEMS, EXIT_USAGE, password};
use clap::Args;
use maildoc_engine::{CheckError, CheckOptions};
use maildoc_explain::{Explanation, SmtpStatus};
use maildoc_kb::catalogue;
use maildoc_model::{Code, Report};
use maildoc_report::{Client, Format, Lang, ui};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::ExitCode;

/// `maildoc explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The error text (several words are joined with spaces); `-` reads standard input.
    #[arg(required = true, value_name = "TEXT|CODE")]
    pub text: Vec<String>,
    #[arg(long, value_name = "ADDRESS")]
    pub check: Option<String>,
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
    #[arg(long, value_name = "APP", value_parser = args::parse_client)]
    pub client: Option<Client>,
}

/// The arguments of `explain` and the UI keys of their help.
const HELP: &[(&str, &str)] = &[
    ("text", "help-explain-text"),
    ("check", "help-explain-check"),
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
    ("format", "help-explain-format"),
    ("client", "help-explain-client"),
];

/// Puts `explain`'s help texts in `lang`.
pub fn localize_help(cmd: clap::Command, lang: Lang) -> clap::Command {
    cmd.mut_subcommand("explain", |sub| {
        let sub = sub
            .about(ui::text("help-explain", lang))
            .after_help(ui::text("help-explain-after", lang));
        args::localize_args(sub, HELP, lang)
    })
}

/// What a `--check` run said about the candidates.
#[derive(Clone, Debug, Serialize)]
pub struct CheckOutcome {
    pub address: String,
    /// Candidate codes the check found, in rank order.
    pub confirmed: Vec<Code>,
    /// Candidate codes the check did not find, in rank order.
    pub not_seen: Vec<Code>,
    /// Problems the check found that are not among the candidates.
    pub other: Vec<Code>,
    /// The whole check report.
    pub report: Report,
}

impl CheckOutcome {
    /// Compares the candidates of `e` with the findings of `report`.
    pub fn new(address: &str, e: &Explanation, report: Report) -> CheckOutcome {
        let found: Vec<Code> = report.findings.iter().map(|f| f.code).collect();
        let (confirmed, not_seen): (Vec<Code>, Vec<Code>) =
            e.codes().into_iter().partition(|c| found.contains(c));
        let mut other: Vec<Code> = Vec::new();
        for f in report.sorted_findings() {
            if f.severity != maildoc_model::Severity::Info
                && !e.codes().contains(&f.code)
                && !other.contains(&f.code)
            {
                other.push(f.code);
            }
        }
        CheckOutcome {
            address: address.to_string(),
            confirmed,
            not_seen,
            other,
            report,
        }
    }

    fn finding_params(&self, code: Code) -> Option<&BTreeMap<String, String>> {
        self.report
            .findings
            .iter()
            .find(|f| f.code == code)
            .map(|f| &f.params)
    }
}

/// The JSON form: the explanation, then the check when one ran.
#[derive(Serialize)]
struct JsonOut<'a> {
    #[serde(flatten)]
    explanation: &'a Explanation,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<&'a CheckOutcome>,
}

/// Runs `maildoc explain`.
pub fn run(args: ExplainArgs, lang_flag: Option<&str>) -> ExitCode {
    let lang = args::language(lang_flag);
    let from_stdin = args.text.len() == 1 && args.text[0] == "-";
    let text = if from_stdin {
        if args.login.password_stdin {
            eprintln!(
                "maildoc: {}",
                ui::text("error-explain-password-stdin", lang)
            );
            return ExitCode::from(EXIT_USAGE);
        }
        let mut buf = Vec::new();
        if let Err(e) = std::io::stdin().lock().take(1 << 20).read_to_end(&mut buf) {
            eprintln!(
                "maildoc: {}",
                ui::fill("error-explain-stdin", lang, &[("detail", &e.to_string())])
            );
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
        String::from_utf8_lossy(&buf).into_owned()
    } else {
        args.text.join(" ")
    };
    if text.trim().is_empty() {
        eprintln!("maildoc: {}", ui::text("error-explain-empty", lang));
        return ExitCode::from(EXIT_USAGE);
    }
    if args.check.is_none() {
        let stray = [
            (!args.servers.imap.is_empty(), "--imap"),
            (!args.servers.pop3.is_empty(), "--pop3"),
            (!args.servers.smtp.is_empty(), "--smtp"),
            (args.servers.username.is_some(), "--username"),
            (args.login.password_stdin, "--password-stdin"),
            (args.login.password_file.is_some(), "--password-file"),
        ];
        if let Some((_, flag)) = stray.iter().find(|(on, _)| *on) {
            eprintln!(
                "maildoc: {}",
                ui::fill("error-explain-check-flags", lang, &[("detail", flag)])
            );
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let explanation = maildoc_explain::explain(&text);
    let check = match &args.check {
        Some(address) => match run_check(&args, address, lang) {
            Ok(report) => Some(CheckOutcome::new(address, &explanation, report)),
            Err(code) => return code,
        },
        None => None,
    };
    let format = match args.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Markdown => Format::Markdown,
    };
    let out = match format {
        Format::Json => render_json(&explanation, check.as_ref()),
        Format::Markdown => render_markdown(&text, &explanation, check.as_ref(), lang, args.client),
        Format::Human => render_human(&text, &explanation, check.as_ref(), lang, args.client),
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", out.trim_end()).is_err() {
        return ExitCode::from(EXIT_CANNOT_RUN);
    }
    ExitCode::from(if explanation.unknown {
        EXIT_PROBLEMS
    } else {
        EXIT_HEALTHY
    })
}

/// Runs the real check of `--check ADDRESS` with the check command's flags.
fn run_check(args: &ExplainArgs, address: &str, lang: Lang) -> Result<Report, ExitCode> {
    if let Some(problem) = crate::address::problem(address, lang)
        .or_else(|| crate::address::username_problem(args.servers.username.as_deref(), lang))
    {
        return Err(crate::usage(&problem));
    }
    let net = args.net.checked(lang)?;
    let password = if args.login.no_login {
        None
    } else {
        password::obtain_from(
            password::Sources {
                stdin: args.login.password_stdin,
                file: args.login.password_file.as_deref(),
                prompt_name: args.servers.username.as_deref().unwrap_or(address),
            },
            lang,
        )
        .map_err(|(key, detail)| crate::usage_error(lang, key, &detail))?
    };
    let login = !args.login.no_login && password.is_some();
    let opts = CheckOptions {
        settings: args.servers.settings(address),
        password,
        login,
        smtp_auth: args.servers.smtp_auth(),
        allow_plaintext_login: args.login.allow_plaintext_login,
        dns_server: net.dns_server,
        ca_pem: net.ca_pem,
        timeout: net.timeout,
    };
    let runtime = crate::runtime()?;
    match runtime.block_on(maildoc_engine::check(opts, |_| {})) {
        Ok(r) => Ok(r),
        Err(CheckError::Usage(m)) => Err(crate::usage_error(lang, "error-input", &m)),
        Err(CheckError::Setup(m)) => {
            eprintln!("maildoc: {m}");
            Err(ExitCode::from(EXIT_CANNOT_RUN))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rendering

/// The JSON form (versioned by `schema_version`): candidates in rank order with likelihoods.
pub fn render_json(e: &Explanation, check: Option<&CheckOutcome>) -> String {
    serde_json::to_string_pretty(&JsonOut {
        explanation: e,
        check,
    })
    .unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"))
}

/// One block of the output, built once and written as text or Markdown.
struct Doc {
    title: String,
    sections: Vec<(String, Vec<Item>)>,
}

enum Item {
    Para(String),
    /// A numbered cause: heading line and its indented lines.
    Cause(String, Vec<(String, String)>),
    Bullet(String),
}

/// Shows at most this many causes on screen (JSON has all).
const MAX_SHOWN: usize = 6;

fn short_input(text: &str) -> String {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut s: String = first.chars().take(60).collect();
    if first.chars().count() > 60 || text.trim().lines().count() > 1 {
        s.push('…');
    }
    s
}

/// Fills a finding text: with the check's params when the check found the code, else with
/// generic words.
fn fill_finding(template: &str, code: Code, check: Option<&CheckOutcome>, lang: Lang) -> String {
    let mut params: BTreeMap<String, String> = maildoc_kb::placeholders(code)
        .into_iter()
        .map(|p| {
            (
                p.to_string(),
                ui::text(&format!("explain-param-{p}"), lang).to_string(),
            )
        })
        .collect();
    if let Some(found) = check.and_then(|c| c.finding_params(code)) {
        for (k, v) in found {
            params.insert(k.clone(), v.clone());
        }
    }
    maildoc_kb::fill(template, &params)
}

fn status_lines(s: &SmtpStatus, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    let label = match (&s.reply, &s.enhanced) {
        (Some(r), Some(e)) => format!("{r} {e}"),
        (Some(r), None) => r.to_string(),
        (None, Some(e)) => e.clone(),
        (None, None) => return out,
    };
    out.push(label);
    if let Some(r) = s.reply {
        let key = format!("explain-reply-{}", r / 100);
        out.push(ui::fill(
            "explain-reply-class",
            lang,
            &[("reply", &r.to_string()), ("meaning", ui::text(&key, lang))],
        ));
    }
    if let Some((class, subject, detail)) = s.enhanced_parts() {
        if let Some(c) = catalogue::status_class(class) {
            out.push(format!(
                "{}: {}",
                ui::text("explain-status-class", lang),
                c.get(lang)
            ));
        }
        if let Some(sub) = catalogue::status_subject(subject) {
            out.push(format!(
                "{}: {}",
                ui::text("explain-status-subject", lang),
                sub.get(lang)
            ));
        }
        let d = catalogue::status_detail(subject, detail)
            .map(|d| d.get(lang).to_string())
            .unwrap_or_else(|| ui::text("explain-status-unknown-detail", lang).to_string());
        out.push(format!("{}: {d}", ui::text("explain-status-detail", lang)));
    }
    out
}

fn build(
    text: &str,
    e: &Explanation,
    check: Option<&CheckOutcome>,
    lang: Lang,
    client: Option<Client>,
) -> Doc {
    let mut doc = Doc {
        title: ui::fill("explain-title", lang, &[("input", &short_input(text))]),
        sections: Vec::new(),
    };
    if e.unknown || e.matches.is_empty() && e.statuses.is_empty() {
        let mut items = vec![
            Item::Para(ui::text("explain-unknown", lang).to_string()),
            Item::Para(ui::text("explain-unknown-hint", lang).to_string()),
        ];
        if !e.suggestions.is_empty() {
            items.push(Item::Para(format!(
                "{}:",
                ui::text("explain-suggestions", lang)
            )));
            for s in &e.suggestions {
                if let Some(entry) = catalogue::entry(&s.id) {
                    items.push(Item::Bullet(format!(
                        "{} ({})",
                        entry.title.get(lang),
                        s.id
                    )));
                }
            }
        }
        doc.sections.push((String::new(), items));
        return doc;
    }
    // What it means.
    let mut meaning = Vec::new();
    let mut notes = Vec::new();
    let mut app_fixes = Vec::new();
    for m in e.matches.iter().take(3) {
        let Some(entry) = catalogue::entry(&m.id) else {
            continue;
        };
        meaning.push(Item::Cause(
            entry.title.get(lang).to_string(),
            vec![
                (String::new(), entry.meaning.get(lang).to_string()),
                (
                    String::new(),
                    ui::fill(
                        "explain-matched",
                        lang,
                        &[("line", &truncate(&m.line, 100))],
                    ),
                ),
            ],
        ));
        if let Some(n) = &entry.note {
            notes.push(Item::Para(n.get(lang).to_string()));
        }
        for (c, fix) in &entry.fix {
            if client.is_none_or(|want| want == *c) {
                app_fixes.push((*c, fix.get(lang).to_string()));
            }
        }
    }
    if !meaning.is_empty() {
        doc.sections.push((
            ui::text("explain-heading-meaning", lang).to_string(),
            meaning,
        ));
    }
    // SMTP statuses.
    if !e.statuses.is_empty() {
        let mut items = Vec::new();
        for s in e.statuses.iter().take(3) {
            let mut lines = status_lines(s, lang);
            if lines.is_empty() {
                continue;
            }
            let head = lines.remove(0);
            items.push(Item::Cause(
                head,
                lines.into_iter().map(|l| (String::new(), l)).collect(),
            ));
        }
        doc.sections
            .push((ui::text("explain-heading-status", lang).to_string(), items));
    }
    // The causes.
    let mut causes = Vec::new();
    if e.candidates.is_empty() {
        causes.push(Item::Para(ui::text("explain-no-causes", lang).to_string()));
    }
    for c in e.candidates.iter().take(MAX_SHOWN) {
        let t = maildoc_kb::finding_text(c.code, lang);
        let mut head = format!(
            "{} ({}, {})",
            fill_finding(&t.title, c.code, check, lang),
            c.code,
            ui::fill(
                "explain-likelihood",
                lang,
                &[("percent", &c.likelihood.to_string())]
            )
        );
        if let Some(ch) = check {
            let mark = if ch.confirmed.contains(&c.code) {
                ui::text("explain-confirmed", lang)
            } else {
                ui::text("explain-not-seen", lang)
            };
            head.push_str(&format!(" — {mark}"));
        }
        let mut lines = vec![
            (
                ui::text("explain-how-to-confirm", lang).to_string(),
                c.check.get(lang).to_string(),
            ),
            (
                ui::text("explain-fix", lang).to_string(),
                fill_finding(&t.fix, c.code, check, lang),
            ),
        ];
        if let Some(want) = client
            && let Some((_, steps)) = t.clients.iter().find(|(cl, _)| *cl == want)
        {
            lines.push((
                ui::fill("explain-steps", lang, &[("client", want.label(lang))]),
                fill_finding(steps, c.code, check, lang),
            ));
        }
        causes.push(Item::Cause(head, lines));
    }
    for (c, fix) in app_fixes {
        causes.push(Item::Para(format!(
            "{}: {fix}",
            ui::fill("explain-app-fix", lang, &[("client", c.label(lang))])
        )));
    }
    doc.sections
        .push((ui::text("explain-heading-causes", lang).to_string(), causes));
    // The check.
    match check {
        Some(ch) => {
            let mut items = vec![Item::Para(ui::fill(
                "explain-check-summary",
                lang,
                &[
                    ("confirmed", &ch.confirmed.len().to_string()),
                    ("total", &e.candidates.len().to_string()),
                ],
            ))];
            if !ch.other.is_empty() {
                let list: Vec<&str> = ch.other.iter().map(|c| c.as_str()).collect();
                items.push(Item::Para(ui::fill(
                    "explain-check-other",
                    lang,
                    &[("codes", &list.join(", "))],
                )));
            }
            doc.sections.push((
                ui::fill("explain-heading-check", lang, &[("address", &ch.address)]),
                items,
            ));
        }
        None if !e.candidates.is_empty() => {
            notes.push(Item::Para(ui::text("explain-check-hint", lang).to_string()));
        }
        None => {}
    }
    if !e.future_codes.is_empty() {
        notes.push(Item::Para(ui::fill(
            "explain-future",
            lang,
            &[("codes", &e.future_codes.join(", "))],
        )));
    }
    if text.trim().lines().count() > 1 && !e.key_lines.is_empty() {
        doc.sections.push((
            ui::text("explain-heading-lines", lang).to_string(),
            e.key_lines
                .iter()
                .take(8)
                .map(|l| Item::Bullet(truncate(l, 160)))
                .collect(),
        ));
    }
    if !notes.is_empty() {
        doc.sections
            .push((ui::text("explain-note", lang).to_string(), notes));
    }
    doc
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// The screen form.
pub fn render_human(
    text: &str,
    e: &Explanation,
    check: Option<&CheckOutcome>,
    lang: Lang,
    client: Option<Client>,
) -> String {
    let doc = build(text, e, check, lang, client);
    let mut out = format!("{}\n", doc.title);
    for (heading, items) in &doc.sections {
        out.push('\n');
        if !heading.is_empty() {
            out.push_str(&format!("{heading}\n"));
        }
        let mut n = 0;
        for item in items {
            match item {
                Item::Para(p) => out.push_str(&format!("  {p}\n")),
                Item::Bullet(b) => out.push_str(&format!("  - {b}\n")),
                Item::Cause(head, lines) => {
                    n += 1;
                    out.push_str(&format!("  {n}. {head}\n"));
                    for (label, body) in lines {
                        if label.is_empty() {
                            out.push_str(&format!("     {body}\n"));
                        } else {
                            out.push_str(&format!("     {label}: {body}\n"));
                        }
                    }
                }
            }
        }
    }
    out
}

/// The Markdown form.
pub fn render_markdown(
    text: &str,
    e: &Explanation,
    check: Option<&CheckOutcome>,
    lang: Lang,
    client: Option<Client>,
) -> String {
    let doc = build(text, e, check, lang, client);
    let mut out = format!("# {}\n", doc.title);
    for (heading, items) in &doc.sections {
        out.push('\n');
        if !heading.is_empty() {
            out.push_str(&format!("## {heading}\n\n"));
        }
        let mut n = 0;
        for item in items {
            match item {
                Item::Para(p) => out.push_str(&format!("{p}\n\n")),
                Item::Bullet(b) => out.push_str(&format!("- {}\n", b.replace('`', "'"))),
                Item::Cause(head, lines) => {
                    n += 1;
                    out.push_str(&format!("{n}. **{head}**\n"));
                    for (label, body) in lines {
                        if label.is_empty() {
                            out.push_str(&format!("   - {body}\n"));
                        } else {
                            out.push_str(&format!("   - {label}: {body}\n"));
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn help_has_text_for_every_argument_in_both_languages() {
        for &lang in Lang::ALL {
            for (_, key) in HELP {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
            for key in ["help-explain", "help-explain-after"] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
        let cmd = localize_help(crate::args::Cli::command(), Lang::Ja);
        cmd.debug_assert();
    }

    #[test]
    fn every_placeholder_has_a_generic_word() {
        for &code in Code::ALL {
            for p in maildoc_kb::placeholders(code) {
                for &lang in Lang::ALL {
                    assert_ne!(
                        ui::text(&format!("explain-param-{p}"), lang),
                        "?",
                        "explain-param-{p}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_reply_class_has_words() {
        for class in 2..=5 {
            for &lang in Lang::ALL {
                assert_ne!(ui::text(&format!("explain-reply-{class}"), lang), "?");
            }
        }
    }
}
