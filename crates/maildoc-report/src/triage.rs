//! The support summary of `maildoc triage` (text, Markdown, HTML): the symptom, the answers,
//! the causes with their likelihood, the checks and what they found, what was tried and what
//! to ask the provider. Also the causes table shown after each answer.

use crate::markdown::cell;
use crate::{Client, Lang, human, ui};
use maildoc_model::Severity;
use maildoc_triage::{Check, CheckNote, Likelihood, Outcome, SenderCheckNote, Triage};
use std::fmt::Write as _;

fn check_note_key(note: CheckNote) -> &'static str {
    match note {
        CheckNote::Skipped => "triage-check-skipped",
        CheckNote::Failed => "triage-check-failed",
        CheckNote::NoLogin => "triage-check-no-login",
    }
}

fn sender_check_note_key(note: SenderCheckNote) -> &'static str {
    match note {
        SenderCheckNote::Skipped => "triage-check-sender-skipped",
        SenderCheckNote::Failed => "triage-check-sender-failed",
    }
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

pub(crate) fn likelihood_word(l: Likelihood, lang: Lang) -> &'static str {
    ui::text(&format!("triage-likelihood-{}", l.key()), lang)
}

/// The causes table shown after each answer.
pub fn causes_table(t: &Triage, lang: Lang) -> String {
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
            let b = crate::finding_block(report, f, lang);
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
                    out.push(ui::fill(
                        check_note_key(note),
                        lang,
                        &[("address", &address)],
                    ));
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
                    out.push(ui::fill(
                        sender_check_note_key(note),
                        lang,
                        &[("domain", &domain)],
                    ));
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

pub fn summary_text(o: &Outcome, lang: Lang, client: Option<Client>) -> String {
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

pub fn summary_markdown(o: &Outcome, lang: Lang, client: Option<Client>) -> String {
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
        for line in crate::markdown::render(report, lang, client).lines() {
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

pub fn summary_html(o: &Outcome, lang: Lang, client: Option<Client>) -> String {
    use crate::html::escape as e;
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
    summary_html_section(&mut out, o, lang, client);
    let _ = writeln!(out, "</body>\n</html>");
    out
}

/// The summary as a part of an HTML page (the web app's triage result): everything of
/// [`summary_html`] between `<body>` and `</body>`.
pub fn summary_html_section(out: &mut String, o: &Outcome, lang: Lang, client: Option<Client>) {
    use crate::html::escape as e;
    let t = &o.triage;
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
        list_html(out, &open, lang);
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
        crate::check::html_section(out, report, lang, client);
    }
    let _ = writeln!(out, "<h2>{}</h2>", e(ui::text("triage-tried", lang)));
    list_html(out, &o.tried, lang);
    let _ = writeln!(out, "<h2>{}</h2>", e(ui::text("triage-ask", lang)));
    list_html(out, &asks(o, lang), lang);
}

fn list_html(out: &mut String, items: &[String], lang: Lang) {
    use crate::html::escape as e;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use maildoc_model::domain::DomainReport;
    use maildoc_model::{Code, Finding, Report};
    use std::path::PathBuf;

    /// An account check of taro's IMAP server that found a refused login.
    fn account_report() -> Report {
        maildoc_testkit::reports::imap_report(|step| {
            let mut refused = Finding::new(Code::AuthFailed).server("imap").evidence(step);
            for p in maildoc_kb::placeholders(Code::AuthFailed) {
                let value = match p {
                    "username" => "taro@example.jp",
                    "reply" => "NO [AUTHENTICATIONFAILED] <Authentication failed>",
                    "server" => "IMAP imap.example.jp:993 SSL/TLS",
                    "protocol" => "IMAP",
                    "host" => "imap.example.jp",
                    "port" => "993",
                    "security" => "SSL/TLS",
                    _ => "LOGIN",
                };
                refused = refused.param(p, value);
            }
            vec![refused]
        })
    }

    /// The sender's domain check of shop.example, which has no DMARC record.
    fn domain_report() -> DomainReport {
        let lookup = |name: &str, rtype: &str| serde_json::json!({"name": name, "rtype": rtype, "outcome": "found"});
        serde_json::from_value(serde_json::json!({
            "version": 1,
            "domain": "shop.example",
            "started_at_unix": 1_795_305_600,
            "mx": lookup("shop.example", "MX"),
            "dmarc": {"lookup": lookup("_dmarc.shop.example", "TXT"), "org_domain": "shop.example"},
            "mta_sts": {"txt": lookup("_mta-sts.shop.example", "TXT")},
            "tlsrpt": lookup("_smtp._tls.shop.example", "TXT"),
            "findings": [{
                "code": "dmarc-missing",
                "severity": "error",
                "params": {"domain": "shop.example", "org_domain": "shop.example"}
            }]
        }))
        .unwrap()
    }

    /// A receive triage from one sender, with the error text explained, both checks run and
    /// something tried.
    fn outcome() -> Outcome {
        let mut t = Triage::new("receive").unwrap();
        for (q, a) in [
            ("internet", "yes"),
            ("scope", "some"),
            ("one-sender", "yes"),
            ("sender", "info@shop.example"),
            ("address", "taro@example.jp"),
        ] {
            t.answer(q, a).unwrap();
        }
        let mut o = Outcome::new(t);
        o.explained = Some(vec![(Code::AuthFailed, 80), (Code::MailboxOverQuota, 10)]);
        o.record_account_check(account_report());
        o.domain_report = Some(domain_report());
        o.tried = vec!["端末を再起動した / restarted the phone | twice".into()];
        o
    }

    fn compare(name: &str, actual: &str) {
        maildoc_testkit::golden::compare(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/golden/triage")
                .join(name),
            actual,
            "cargo test -p maildoc-report --lib triage",
        );
    }

    #[test]
    fn golden_summaries_in_both_languages() {
        let o = outcome();
        for lang in [Lang::Ja, Lang::En] {
            let l = lang.as_str();
            compare(&format!("summary.{l}.txt"), &summary_text(&o, lang, None));
            compare(
                &format!("summary.{l}.md"),
                &summary_markdown(&o, lang, None),
            );
            compare(&format!("summary.{l}.html"), &summary_html(&o, lang, None));
        }
    }

    #[test]
    fn the_summary_shows_what_the_checks_found_and_what_to_ask() {
        let o = outcome();
        let text = summary_text(&o, Lang::En, None);
        assert!(
            text.contains("auth-failed 80%, mailbox-over-quota 10%"),
            "{text}"
        );
        assert!(
            text.contains("[error]") && text.contains("(dmarc-missing)"),
            "{text}"
        );
        assert!(text.contains("(auth-failed)"), "{text}");
        let md = summary_markdown(&o, Lang::Ja, None);
        assert!(md.contains("restarted the phone | twice"), "{md}");
        assert!(
            md.lines()
                .all(|l| !l.starts_with("# ") || l.contains(title(Lang::Ja)))
        );
        let html = summary_html(&o, Lang::En, None);
        assert!(html.contains("&lt;Authentication failed&gt;"), "{html}");
        assert!(!html.contains("<Authentication failed>"), "{html}");
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    }

    #[test]
    fn notes_say_why_a_check_did_not_run() {
        let mut o = Outcome::new(Triage::new("receive").unwrap());
        for (q, a) in [
            ("one-sender", "yes"),
            ("sender", "info@shop.example"),
            ("address", "taro@example.jp"),
        ] {
            o.triage.answer(q, a).unwrap();
        }
        for lang in [Lang::Ja, Lang::En] {
            for (note, sender) in [
                (CheckNote::Skipped, SenderCheckNote::Skipped),
                (CheckNote::Failed, SenderCheckNote::Failed),
                (CheckNote::NoLogin, SenderCheckNote::Failed),
            ] {
                o.check_note = Some(note);
                o.domain_note = Some(sender);
                let lines = check_lines(&o, lang);
                let account = ui::fill(
                    check_note_key(note),
                    lang,
                    &[("address", "taro@example.jp")],
                );
                let domain = ui::fill(
                    sender_check_note_key(sender),
                    lang,
                    &[("domain", "shop.example")],
                );
                assert_eq!(lines, vec![account, domain], "{lang:?} {note:?}");
            }
        }
        let none = Outcome::new(Triage::new("send").unwrap());
        assert_eq!(
            check_lines(&none, Lang::En),
            vec![ui::text("triage-check-no-address", Lang::En).to_string()]
        );
    }

    #[test]
    fn screen_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for l in [
                Likelihood::Confirmed,
                Likelihood::Likely,
                Likelihood::Possible,
                Likelihood::Unlikely,
                Likelihood::RuledOut,
            ] {
                assert_ne!(likelihood_word(l, lang), "?", "{l:?}");
            }
            for note in [CheckNote::Skipped, CheckNote::Failed, CheckNote::NoLogin] {
                assert_ne!(ui::text(check_note_key(note), lang), "?", "{note:?}");
            }
            for note in [SenderCheckNote::Skipped, SenderCheckNote::Failed] {
                assert_ne!(ui::text(sender_check_note_key(note), lang), "?", "{note:?}");
            }
            for key in [
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
                "triage-check-sender-done",
                "triage-domain-findings",
                "triage-domain-clean",
                "triage-open",
                "triage-explained",
                "triage-explained-unknown",
                "triage-tried",
                "triage-ask",
                "triage-ask-finding",
                "triage-none",
            ] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
            }
        }
    }
}
