//! `maildoc history`: the list of kept runs and what changed between two runs, as text for a
//! person, Markdown for a ticket, JSON for a script and HTML for the web app's timeline.

use crate::html::escape as e;
use crate::markdown::cell;
use crate::{Format, Lang, ui};
use maildoc_engine::history::{
    Alert, Change, Changes, Day, Diff, FactName, FindingRef, HistoryError, Kind, Run, StoreError,
    Subject, TimelineRun, Watch, rfc3339,
};
use maildoc_engine::send::Sent;
use maildoc_engine::watch::AlertCode;
use maildoc_engine::watch::keyring::{Saved, Skipped, Vault, Why};
use maildoc_engine::watch::{AlertMail, MailError};
use maildoc_model::Severity;
use serde_json::json;
use std::fmt::Write as _;

/// The version of the run list's JSON shape.
pub const LIST_VERSION: u32 = 1;

/// The runs (newest first) and the folded days of `subject` (or of everything).
pub fn list(
    runs: &[Run],
    days: &[Day],
    subject: Option<&str>,
    format: Format,
    lang: Lang,
) -> String {
    match format {
        Format::Json => list_json(runs, days, subject),
        Format::Markdown => list_markdown(runs, days, subject, lang),
        Format::Human => list_human(runs, days, subject, lang),
    }
}

fn list_json(runs: &[Run], days: &[Day], subject: Option<&str>) -> String {
    let runs: Vec<_> = runs
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "kind": r.kind.as_str(),
                "subject": r.subject,
                "at": rfc3339(r.at_ms),
                "at_ms": r.at_ms,
                "elapsed_ms": r.elapsed_ms,
                "origin": r.origin.as_str(),
                "worst": r.worst.map(Severity::as_str),
                "codes": r.codes,
                "changed": r.changed,
            })
        })
        .collect();
    let days: Vec<_> = days
        .iter()
        .map(|d| {
            json!({
                "kind": d.kind.as_str(),
                "subject": d.subject,
                "day": day_text(d.day),
                "runs": d.runs,
                "worst": d.worst.map(Severity::as_str),
                "codes": d.codes,
            })
        })
        .collect();
    let value = json!({
        "version": LIST_VERSION,
        "subject": subject,
        "runs": runs,
        "days": days,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn title(subject: Option<&str>, lang: Lang) -> String {
    match subject {
        Some(s) => ui::fill("history-title", lang, &[("subject", s)]),
        None => ui::text("history-title-all", lang).to_owned(),
    }
}

/// `2026-12-07 09:00 UTC`
pub fn when(at_ms: i64) -> String {
    let t = rfc3339(at_ms);
    match (t.get(..10), t.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => t,
    }
}

fn day_text(day: i64) -> String {
    rfc3339(day.saturating_mul(86_400_000))
        .get(..10)
        .unwrap_or_default()
        .to_owned()
}

/// The words for a kind of run.
pub fn kind_word(kind: Kind, lang: Lang) -> &'static str {
    ui::text(&format!("history-kind-{}", kind.as_str()), lang)
}

/// The result of a run in a word: the worst finding's severity, or OK.
pub fn worst_word(worst: Option<Severity>, lang: Lang) -> &'static str {
    match worst {
        Some(Severity::Error) => ui::text("status-error", lang),
        Some(Severity::Warning) => ui::text("status-warning", lang),
        Some(Severity::Info) | None => ui::text("status-ok", lang),
    }
}

fn codes_text(codes: &[String]) -> String {
    if codes.is_empty() {
        "-".into()
    } else {
        codes.join(", ")
    }
}

fn list_human(runs: &[Run], days: &[Day], subject: Option<&str>, lang: Lang) -> String {
    let mut out = title(subject, lang);
    out.push('\n');
    if runs.is_empty() && days.is_empty() {
        out.push_str(ui::text("history-empty", lang));
        out.push('\n');
        return out;
    }
    for r in runs {
        let _ = write!(
            out,
            "  #{:<5} {}  {:<8} {:<8}",
            r.id,
            when(r.at_ms),
            kind_word(r.kind, lang),
            worst_word(r.worst, lang),
        );
        if subject.is_none() {
            let _ = write!(out, " {}", r.subject);
        }
        let _ = write!(out, "  {}", codes_text(&r.codes));
        if !r.changed {
            let _ = write!(out, "  ({})", ui::text("history-same", lang));
        }
        out.push('\n');
    }
    if !days.is_empty() {
        let _ = writeln!(out, "\n{}", ui::text("history-days-title", lang));
        for d in days {
            let _ = write!(
                out,
                "  {}  {:<8} {:<8}",
                day_text(d.day),
                kind_word(d.kind, lang),
                worst_word(d.worst, lang)
            );
            if subject.is_none() {
                let _ = write!(out, " {}", d.subject);
            }
            let _ = writeln!(
                out,
                "  {}  {}",
                ui::fill("history-day-runs", lang, &[("runs", &d.runs.to_string())]),
                codes_text(&d.codes)
            );
        }
    }
    if runs.len() > 1 {
        let _ = writeln!(out, "\n{}", ui::text("history-diff-hint", lang));
    }
    out
}

fn list_markdown(runs: &[Run], days: &[Day], subject: Option<&str>, lang: Lang) -> String {
    let mut out = format!("## {}\n\n", cell(&title(subject, lang)));
    if runs.is_empty() && days.is_empty() {
        let _ = writeln!(out, "{}", ui::text("history-empty", lang));
        return out;
    }
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |\n|---|---|---|---|---|---|",
        ui::text("history-col-run", lang),
        ui::text("history-col-when", lang),
        ui::text("history-col-kind", lang),
        ui::text("history-col-subject", lang),
        ui::text("history-col-result", lang),
        ui::text("history-col-findings", lang),
    );
    for r in runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.id,
            when(r.at_ms),
            kind_word(r.kind, lang),
            cell(&r.subject),
            worst_word(r.worst, lang),
            cell(&codes_text(&r.codes)),
        );
    }
    if !days.is_empty() {
        let _ = writeln!(
            out,
            "\n### {}\n\n| {} | {} | {} | {} | {} |\n|---|---|---|---|---|",
            ui::text("history-days-title", lang),
            ui::text("history-col-when", lang),
            ui::text("history-col-kind", lang),
            ui::text("history-col-subject", lang),
            ui::text("history-col-result", lang),
            ui::text("history-col-findings", lang),
        );
        for d in days {
            let _ = writeln!(
                out,
                "| {} ({}) | {} | {} | {} | {} |",
                day_text(d.day),
                ui::fill("history-day-runs", lang, &[("runs", &d.runs.to_string())]),
                kind_word(d.kind, lang),
                cell(&d.subject),
                worst_word(d.worst, lang),
                cell(&codes_text(&d.codes)),
            );
        }
    }
    out
}

/// What changed between two runs.
pub fn diff(d: &Diff, format: Format, lang: Lang) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(d).unwrap_or_default(),
        Format::Markdown => diff_markdown(d, lang),
        Format::Human => diff_human(d, lang),
    }
}

fn diff_title(d: &Diff, lang: Lang) -> String {
    let kind = Kind::parse(&d.kind).map_or("?", |k| kind_word(k, lang));
    ui::fill(
        "history-diff-title",
        lang,
        &[("subject", &d.subject), ("kind", kind)],
    )
}

fn diff_span(d: &Diff, lang: Lang) -> String {
    ui::fill(
        "history-diff-span",
        lang,
        &[
            ("from", &d.from.id.to_string()),
            ("from_at", &when(d.from.at_ms)),
            ("to", &d.to.id.to_string()),
            ("to_at", &when(d.to.at_ms)),
        ],
    )
}

/// A finding's line: its title with its values, and the server.
pub fn finding_words(f: &FindingRef, lang: Lang) -> String {
    let text = maildoc_kb::finding_text(f.code, lang);
    let title = maildoc_kb::fill(&text.title, &f.params);
    match &f.server {
        Some(server) => format!("{title} ({server}) [{}]", f.code),
        None => format!("{title} [{}]", f.code),
    }
}

/// The words for a fact, with what it is of.
pub fn fact_words(c: &Change, lang: Lang) -> String {
    let name = fact_name(c.fact, lang);
    if c.scope.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({})", c.scope)
    }
}

pub fn fact_name(fact: FactName, lang: Lang) -> &'static str {
    ui::text(&format!("history-fact-{}", fact.as_str()), lang)
}

fn value_text(value: &str, lang: Lang) -> String {
    if value.is_empty() {
        ui::text("history-fact-none", lang).to_owned()
    } else {
        value.replace('\n', " | ")
    }
}

fn marker(severity: Severity, lang: Lang) -> &'static str {
    match severity {
        Severity::Error => ui::text("marker-error", lang),
        Severity::Warning => ui::text("marker-warning", lang),
        Severity::Info => ui::text("marker-ok", lang),
    }
}

fn diff_human(d: &Diff, lang: Lang) -> String {
    diff_text(d, lang, false)
}

fn diff_markdown(d: &Diff, lang: Lang) -> String {
    diff_text(d, lang, true)
}

/// A diff as text for a person, or as Markdown (`md`) for a ticket.
fn diff_text(d: &Diff, lang: Lang, md: bool) -> String {
    let (title, span) = (diff_title(d, lang), diff_span(d, lang));
    let mut out = if md {
        format!("## {}\n\n{span}\n", cell(&title))
    } else {
        format!("{title}\n{span}\n")
    };
    if d.changes.is_empty() {
        let _ = writeln!(out, "\n{}", ui::text("history-nothing-changed", lang));
        return out;
    }
    let heading = |key: &str| {
        if md {
            format!("\n### {}\n", ui::text(key, lang))
        } else {
            format!("\n{}", ui::text(key, lang))
        }
    };
    for (key, list) in [
        ("history-appeared", &d.changes.appeared),
        ("history-resolved", &d.changes.resolved),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "{}", heading(key));
            for f in list {
                let words = finding_words(f, lang);
                let (bullet, words) = if md {
                    ("-", cell(&words))
                } else {
                    (" ", words)
                };
                let _ = writeln!(out, "{bullet} {} {words}", marker(f.severity, lang));
            }
        }
    }
    if !d.changes.changed.is_empty() {
        let _ = writeln!(out, "{}", heading("history-changed-facts"));
        let (before, after) = (
            ui::text("history-before", lang),
            ui::text("history-after", lang),
        );
        if md {
            let _ = writeln!(out, "| | {before} | {after} |\n|---|---|---|");
        }
        for c in &d.changes.changed {
            let (what, old, new) = (
                fact_words(c, lang),
                value_text(&c.before, lang),
                value_text(&c.after, lang),
            );
            let _ = if md {
                writeln!(out, "| {} | {} | {} |", cell(&what), cell(&old), cell(&new))
            } else {
                writeln!(out, "  {what}\n    {before} {old}\n    {after} {new}")
            };
        }
    }
    out
}

/// The changes of one step of a timeline, as HTML (lists of findings, a table of facts).
pub fn changes_html(changes: &Changes, lang: Lang) -> String {
    let mut out = String::new();
    if changes.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"same\">{}</p>",
            e(ui::text("history-nothing-changed", lang))
        );
        return out;
    }
    for (key, class, list) in [
        ("history-appeared", "appeared", &changes.appeared),
        ("history-resolved", "resolved", &changes.resolved),
    ] {
        if !list.is_empty() {
            let _ = writeln!(
                out,
                "<h4>{}</h4>\n<ul class=\"{class}\">",
                e(ui::text(key, lang))
            );
            for f in list {
                let _ = writeln!(
                    out,
                    "<li data-code=\"{}\" data-severity=\"{}\">{}</li>",
                    f.code,
                    f.severity.as_str(),
                    e(&finding_words(f, lang))
                );
            }
            out.push_str("</ul>\n");
        }
    }
    if !changes.changed.is_empty() {
        let _ = writeln!(
            out,
            "<h4>{}</h4>\n<div class=\"scroll\"><table class=\"facts\">\n<tr><th></th><th>{}</th><th>{}</th></tr>",
            e(ui::text("history-changed-facts", lang)),
            e(ui::text("history-before", lang)),
            e(ui::text("history-after", lang)),
        );
        for c in &changes.changed {
            let _ = writeln!(
                out,
                "<tr data-fact=\"{}\"><th>{}</th><td>{}</td><td>{}</td></tr>",
                c.fact.as_str(),
                e(&fact_words(c, lang)),
                e(&value_text(&c.before, lang)),
                e(&value_text(&c.after, lang)),
            );
        }
        out.push_str("</table></div>\n");
    }
    out
}

fn status(worst: Option<Severity>) -> &'static str {
    match worst {
        Some(Severity::Error) => "fail",
        Some(Severity::Warning) => "warn",
        Some(Severity::Info) | None => "ok",
    }
}

/// The timeline's address of a subject, in `lang`.
pub fn subject_href(subject: &str, lang: Lang) -> String {
    format!("{}&lang={}", subject_path(subject), lang.as_str())
}

/// The timeline's address of a subject, without a language.
fn subject_path(subject: &str) -> String {
    let mut encoded = String::new();
    for b in subject.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    format!("/history?subject={encoded}")
}

/// The look-up form of the history pages (a GET form: it changes nothing).
fn lookup_form(subject: &str, lang: Lang) -> String {
    format!(
        "<form class=\"lookup\" method=\"get\" action=\"/history\">\n\
         <input type=\"hidden\" name=\"lang\" value=\"{l}\">\n\
         <p class=\"field\"><label for=\"subject\">{label}</label>\n\
         <input id=\"subject\" name=\"subject\" type=\"text\" value=\"{value}\" autocomplete=\"off\"></p>\n\
         <p><button type=\"submit\">{button}</button></p>\n</form>\n",
        l = lang.as_str(),
        label = e(ui::text("web-history-field", lang)),
        value = e(subject),
        button = e(ui::text("web-history-button", lang)),
    )
}

/// A watch in one line: what, how often, when next.
fn watch_line(w: &Watch, lang: Lang) -> String {
    ui::fill(
        "watch-line",
        lang,
        &[
            ("subject", &w.subject),
            ("kind", kind_word(w.kind, lang)),
            ("every", &every_text(w.every_s)),
            ("next", &when(w.next_due_ms)),
        ],
    )
}

/// The periods the page offers for a new watch.
const WATCH_PERIODS: &[&str] = &["1h", "6h", "1d"];

/// The timeline's watch control: "watch this" with a period, or how it is watched with
/// "stop watching". Both post with the page's CSRF token.
fn watch_form(subject: &str, watch: Option<&Watch>, csrf: &str, lang: Lang) -> String {
    let hidden = format!(
        "<input type=\"hidden\" name=\"_csrf\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"lang\" value=\"{}\">\n\
         <input type=\"hidden\" name=\"subject\" value=\"{}\">",
        e(csrf),
        lang.as_str(),
        e(subject)
    );
    match watch {
        Some(w) => format!(
            "<section class=\"watch\" data-watched=\"true\">\n<p>{}</p>\n\
             <form method=\"post\" action=\"/history/unwatch\">\n{hidden}\n\
             <button type=\"submit\" class=\"secondary\">{}</button>\n</form>\n</section>\n",
            e(&watch_line(w, lang)),
            e(ui::text("web-watch-stop", lang)),
        ),
        None => {
            let options: String = WATCH_PERIODS
                .iter()
                .map(|p| {
                    format!(
                        "<option value=\"{p}\">{}</option>",
                        e(ui::text(&format!("web-watch-every-{p}"), lang))
                    )
                })
                .collect();
            format!(
                "<section class=\"watch\" data-watched=\"false\">\n<p class=\"note\">{}</p>\n\
                 <form method=\"post\" action=\"/history/watch\">\n{hidden}\n\
                 <p class=\"field\"><label for=\"every\">{}</label>\n\
                 <select id=\"every\" name=\"every\">{options}</select></p>\n\
                 <p><button type=\"submit\">{}</button></p>\n</form>\n</section>\n",
                e(ui::text("web-watch-lead", lang)),
                e(ui::text("web-watch-every", lang)),
                e(ui::text("web-watch-start", lang)),
            )
        }
    }
}

/// `/history`: every subject with runs, the most recent first.
pub fn index_page(
    subjects: &[Subject],
    alerts: &[Alert],
    watches: &[Watch],
    error: Option<&str>,
    lang: Lang,
) -> String {
    let mut body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        e(ui::text("history-title-all", lang)),
        e(ui::text("web-history-lead", lang))
    );
    if let Some(error) = error {
        let _ = writeln!(
            body,
            "<div class=\"error\" role=\"alert\"><p>{}</p></div>",
            e(error)
        );
    }
    body.push_str(&lookup_form("", lang));
    if !alerts.is_empty() {
        let _ = writeln!(
            body,
            "<h2>{}</h2>\n<ul class=\"alerts\">",
            e(ui::text("web-history-alerts", lang))
        );
        for a in alerts {
            let _ = writeln!(
                body,
                "<li data-alert=\"{}\"><small>{}</small> {}</li>",
                e(&a.code),
                e(&when(a.at_ms)),
                e(&alert_line(a, lang))
            );
        }
        body.push_str("</ul>\n");
    }
    if !watches.is_empty() {
        let _ = writeln!(
            body,
            "<h2>{}</h2>\n<ul class=\"watches\">",
            e(ui::text("web-watch-heading", lang))
        );
        for w in watches {
            let _ = writeln!(
                body,
                "<li data-watch=\"{subject}\"><a href=\"{href}\">{line}</a></li>",
                subject = e(&w.subject),
                href = e(&subject_href(&w.subject, lang)),
                line = e(&watch_line(w, lang)),
            );
        }
        body.push_str("</ul>\n");
    }
    if subjects.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", e(ui::text("history-empty", lang)));
    } else {
        let _ = writeln!(
            body,
            "<div class=\"scroll\"><table class=\"subjects\">\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            e(ui::text("history-col-subject", lang)),
            e(ui::text("history-col-kind", lang)),
            e(ui::text("history-col-when", lang)),
            e(ui::text("history-col-result", lang)),
        );
        for s in subjects {
            let _ = writeln!(
                body,
                "<tr data-subject=\"{subject}\" data-status=\"{status}\"><td><a href=\"{href}\">{subject}</a> <small>({runs})</small></td><td>{kind}</td><td>{when}</td><td class=\"state\">{word}</td></tr>",
                subject = e(&s.name),
                status = status(s.last.worst),
                href = e(&subject_href(&s.name, lang)),
                runs = e(&ui::fill(
                    "history-day-runs",
                    lang,
                    &[("runs", &s.runs.to_string())]
                )),
                kind = e(kind_word(s.kind, lang)),
                when = e(&when(s.last.at_ms)),
                word = e(worst_word(s.last.worst, lang)),
            );
        }
        body.push_str("</table></div>\n");
    }
    crate::web::page(lang, ui::text("history-title-all", lang), "/history", &body)
}

/// `/history?subject=…`: the subject's runs, newest first, each with what changed since
/// the run before it.
pub fn timeline_page(
    subject: &str,
    timeline: &[TimelineRun],
    days: &[Day],
    watch: Option<&Watch>,
    csrf: &str,
    lang: Lang,
) -> String {
    let title = ui::fill("history-title", lang, &[("subject", subject)]);
    let mut body = format!(
        "<h1>{}</h1>\n<p><a href=\"/history?lang={}\">{}</a></p>\n",
        e(&title),
        lang.as_str(),
        e(ui::text("web-history-all", lang))
    );
    body.push_str(&watch_form(subject, watch, csrf, lang));
    if timeline.is_empty() && days.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", e(ui::text("history-empty", lang)));
    }
    body.push_str("<ol class=\"timeline\">\n");
    for t in timeline {
        let r = &t.run;
        let _ = writeln!(
            body,
            "<li data-run=\"{id}\" data-kind=\"{kind_key}\" data-status=\"{status}\" data-changed=\"{changed}\">\n\
             <h2><span class=\"dot\"></span> <span class=\"state\">{word}</span> · {kind} · {when} <small>#{id}</small></h2>",
            id = r.id,
            kind_key = r.kind.as_str(),
            status = status(r.worst),
            changed = t.changes.as_ref().is_some_and(|c| !c.is_empty()),
            word = e(worst_word(r.worst, lang)),
            kind = e(kind_word(r.kind, lang)),
            when = e(&when(r.at_ms)),
        );
        if !r.codes.is_empty() {
            let _ = writeln!(
                body,
                "<p class=\"codes\"><code>{}</code></p>",
                e(&r.codes.join(" "))
            );
        }
        match &t.changes {
            Some(changes) => body.push_str(&changes_html(changes, lang)),
            None => {
                let _ = writeln!(
                    body,
                    "<p class=\"note\">{}</p>",
                    e(ui::text("web-history-first", lang))
                );
            }
        }
        body.push_str("</li>\n");
    }
    body.push_str("</ol>\n");
    if !days.is_empty() {
        let _ = writeln!(
            body,
            "<h2>{}</h2>\n<div class=\"scroll\"><table class=\"days\">\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            e(ui::text("history-days-title", lang)),
            e(ui::text("history-col-when", lang)),
            e(ui::text("history-col-kind", lang)),
            e(ui::text("history-col-result", lang)),
            e(ui::text("history-col-findings", lang)),
        );
        for d in days {
            let _ = writeln!(
                body,
                "<tr data-status=\"{}\"><td>{} ({})</td><td>{}</td><td class=\"state\">{}</td><td>{}</td></tr>",
                status(d.worst),
                e(&day_text(d.day)),
                e(&ui::fill(
                    "history-day-runs",
                    lang,
                    &[("runs", &d.runs.to_string())]
                )),
                e(kind_word(d.kind, lang)),
                e(worst_word(d.worst, lang)),
                e(&codes_text(&d.codes)),
            );
        }
        body.push_str("</table></div>\n");
    }
    crate::web::page(lang, &title, &subject_path(subject), &body)
}

/// An alert in one sentence (with what it is about), in `lang`.
pub fn alert_line(alert: &Alert, lang: Lang) -> String {
    let detail: serde_json::Value = serde_json::from_str(&alert.detail).unwrap_or_default();
    let text = |key: &str| detail[key].as_str().unwrap_or_default().to_owned();
    let subject = alert.subject.as_str();
    match AlertCode::parse(&alert.code) {
        Some(code @ (AlertCode::NewError | AlertCode::Listed)) => {
            let finding: Option<maildoc_model::Code> =
                serde_json::from_value(detail["finding"].clone()).ok();
            let params: std::collections::BTreeMap<String, String> =
                serde_json::from_value(detail["params"].clone()).unwrap_or_default();
            let title = finding.map_or_else(String::new, |c| {
                finding_words(
                    &FindingRef {
                        code: c,
                        severity: Severity::Error,
                        server: detail["server"].as_str().map(str::to_owned),
                        params,
                    },
                    lang,
                )
            });
            ui::fill(
                &format!("alert-{}", code.as_str()),
                lang,
                &[("subject", subject), ("finding", &title)],
            )
        }
        Some(AlertCode::CertExpiring) => ui::fill(
            "alert-cert-expiring",
            lang,
            &[
                ("subject", subject),
                ("server", &text("server")),
                (
                    "days",
                    &detail["days"].as_i64().unwrap_or_default().to_string(),
                ),
                ("not_after", &text("not_after")),
            ],
        ),
        Some(AlertCode::RecordChanged) => {
            let changes: Vec<Change> =
                serde_json::from_value(detail["changes"].clone()).unwrap_or_default();
            let what: Vec<String> = changes.iter().map(|c| fact_words(c, lang)).collect();
            ui::fill(
                "alert-record-changed",
                lang,
                &[("subject", subject), ("records", &what.join(", "))],
            )
        }
        Some(AlertCode::Recovered) => ui::fill("alert-recovered", lang, &[("subject", subject)]),
        None => format!("{subject}: {}", alert.code),
    }
}

/// Whether an alert is urgent (a new error or a listing), for a webhook's priority.
pub fn alert_is_urgent(alert: &Alert) -> bool {
    matches!(
        AlertCode::parse(&alert.code),
        Some(AlertCode::NewError | AlertCode::Listed)
    )
}

/// Alerts, newest first.
pub fn alerts(list: &[Alert], format: Format, lang: Lang) -> String {
    match format {
        Format::Json => {
            let items: Vec<_> = list
                .iter()
                .map(|a| {
                    json!({
                        "id": a.id,
                        "kind": a.kind.as_str(),
                        "subject": a.subject,
                        "run": a.run_id,
                        "at": rfc3339(a.at_ms),
                        "code": a.code,
                        "detail": serde_json::from_str::<serde_json::Value>(&a.detail).unwrap_or_default(),
                        "text": alert_line(a, lang),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&json!({ "version": LIST_VERSION, "alerts": items }))
                .unwrap_or_default()
        }
        Format::Markdown | Format::Human => {
            if list.is_empty() {
                return format!("{}\n", ui::text("alerts-none", lang));
            }
            let mut out = String::new();
            for a in list {
                let bullet = if format == Format::Markdown { "- " } else { "" };
                let _ = writeln!(out, "{bullet}{}  {}", when(a.at_ms), alert_line(a, lang));
            }
            out
        }
    }
}

/// The watches, by subject.
pub fn watches(list: &[Watch], format: Format, lang: Lang) -> String {
    match format {
        Format::Json => {
            let items: Vec<_> = list
                .iter()
                .map(|w| {
                    json!({
                        "id": w.id,
                        "kind": w.kind.as_str(),
                        "subject": w.subject,
                        "every_s": w.every_s,
                        "login": w.login,
                        "next_due": rfc3339(w.next_due_ms),
                        "last_run": w.last_run_id,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&json!({ "version": LIST_VERSION, "watches": items }))
                .unwrap_or_default()
        }
        Format::Markdown | Format::Human => {
            if list.is_empty() {
                return format!("{}\n", ui::text("watch-none", lang));
            }
            let mut out = String::new();
            for w in list {
                let _ = writeln!(out, "{}", watch_line(w, lang));
            }
            out
        }
    }
}

/// A period as it is typed: `1h`, `30m`, `1d`, `90s`.
pub fn every_text(seconds: i64) -> String {
    for (unit, secs) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds >= secs && seconds % secs == 0 {
            return format!("{}{unit}", seconds / secs);
        }
    }
    format!("{seconds}s")
}

/// A store that cannot be used, in words.
pub fn store_error(err: &StoreError, lang: Lang) -> String {
    match err {
        StoreError::Location { given } => {
            ui::fill("error-store-location", lang, &[("given", given)])
        }
        StoreError::NoDataDir => ui::text("error-store-no-data-dir", lang).to_owned(),
        StoreError::Open { location, detail } => ui::fill(
            "error-store-open",
            lang,
            &[("location", location), ("detail", detail)],
        ),
        StoreError::Full { location } => {
            ui::fill("error-store-full", lang, &[("location", location)])
        }
        StoreError::Newer { found, known } => ui::fill(
            "error-store-newer",
            lang,
            &[("found", &found.to_string()), ("known", &known.to_string())],
        ),
        StoreError::Database { detail } => {
            ui::fill("error-store-database", lang, &[("detail", detail)])
        }
        StoreError::Stalled { seconds } => ui::fill(
            "error-store-stalled",
            lang,
            &[("seconds", &seconds.to_string())],
        ),
        StoreError::Gone => ui::text("error-store-gone", lang).to_owned(),
    }
}

/// The alerts of a round as one mail: its subject (how many, about what) and its text (each
/// alert a line, then how to see what changed).
pub fn alerts_mail(alerts: &[Alert], lang: Lang) -> (String, String) {
    let mut subjects: Vec<&str> = Vec::new();
    for a in alerts {
        if !subjects.contains(&a.subject.as_str()) {
            subjects.push(&a.subject);
        }
    }
    let mut named = subjects
        .iter()
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if subjects.len() > 3 {
        named.push_str(", …");
    }
    let subject = ui::fill(
        "mail-alerts-subject",
        lang,
        &[("count", &alerts.len().to_string()), ("subjects", &named)],
    );
    let mut text = format!("{}\n\n", ui::text("mail-alerts-intro", lang));
    for a in alerts {
        let _ = writeln!(text, "- {}", alert_line(a, lang));
    }
    let _ = writeln!(text, "\n{}", ui::text("mail-alerts-diff", lang));
    for s in &subjects {
        let _ = writeln!(text, "  maildoc history {s} --diff");
    }
    (subject, text)
}

/// What went wrong in mailing a round's alerts, in words; none when the message went to
/// every recipient.
pub fn mail_problems(
    sent: &Result<Sent, MailError>,
    mail: &AlertMail,
    lang: Lang,
) -> Option<String> {
    let sent = match sent {
        Ok(s) => s,
        Err(MailError::NoPassword(skipped)) => {
            return Some(mail_no_password(&mail.account.address, skipped, lang));
        }
        Err(MailError::Input(e)) => {
            return Some(ui::fill(
                "error-mail-alerts",
                lang,
                &[("detail", &crate::error::words(e, lang))],
            ));
        }
    };
    let titles = |pick: &dyn Fn(&maildoc_model::Finding) -> bool| -> Vec<String> {
        sent.report
            .findings
            .iter()
            .filter(|f| pick(f))
            .map(|f| crate::finding_title(f, lang))
            .collect()
    };
    if sent.accepted.is_some() {
        let refused = titles(&|f| f.code == maildoc_model::Code::SmtpSendRecipientRefused);
        return (!refused.is_empty()).then(|| {
            ui::fill(
                "error-mail-alerts-some",
                lang,
                &[("detail", &refused.join("; "))],
            )
        });
    }
    let reasons = titles(&|f| f.severity == Severity::Error);
    let reason = if sent.report.servers.is_empty() {
        ui::text("mail-alerts-no-server", lang).to_owned()
    } else if reasons.is_empty() {
        ui::text("mail-alerts-not-taken", lang).to_owned()
    } else {
        reasons.join("; ")
    };
    Some(ui::fill("error-mail-alerts", lang, &[("detail", &reason)]))
}

/// No password of the alerts' account: how to keep one, and the stores that could not be
/// asked.
pub fn mail_no_password(address: &str, skipped: &[Skipped], lang: Lang) -> String {
    let mut out = ui::fill("error-watch-mail-password", lang, &[("address", address)]);
    let asked: Vec<Skipped> = skipped
        .iter()
        .filter(|s| s.why != Why::Absent)
        .cloned()
        .collect();
    if !asked.is_empty() {
        out.push('\n');
        skipped_lines(&mut out, &asked, lang);
    }
    out.trim_end().to_owned()
}

/// Accounts whose password a store could not give: each, and why, a line each.
pub fn passwords_unread(unread: &[(String, Vec<Skipped>)], lang: Lang) -> String {
    let mut out = String::new();
    for (address, skipped) in unread {
        let _ = writeln!(
            out,
            "{}",
            ui::fill("watch-password-unread", lang, &[("address", address)])
        );
        skipped_lines(&mut out, skipped, lang);
    }
    out
}

/// A keyring store's name, in words.
pub fn vault_name(vault: Vault, lang: Lang) -> &'static str {
    ui::text(
        match vault {
            Vault::SecretService => "keyring-secret-service",
            Vault::Kernel => "keyring-kernel",
            Vault::File => "keyring-file",
        },
        lang,
    )
}

/// The stores passed over, a line each, under a heading.
fn skipped_lines(out: &mut String, skipped: &[Skipped], lang: Lang) {
    for s in skipped {
        let why = ui::text(
            match s.why {
                Why::Absent => "keyring-why-absent",
                Why::Timeout => "keyring-why-timeout",
                Why::Denied => "keyring-why-denied",
                Why::Failed => "keyring-why-failed",
            },
            lang,
        );
        let line = ui::fill(
            "keyring-skipped",
            lang,
            &[
                ("store", vault_name(s.vault, lang)),
                ("why", why),
                ("detail", &s.detail),
            ],
        );
        let _ = writeln!(out, "{line}");
    }
}

/// Where a watched account's password was saved, what that store keeps it for, and the
/// stores passed over before it.
pub fn password_saved(address: &str, saved: &Saved, file: &std::path::Path, lang: Lang) -> String {
    let store = vault_name(saved.vault, lang);
    let mut out = ui::fill(
        "watch-password-saved",
        lang,
        &[("address", address), ("store", store)],
    );
    out.push('\n');
    let kept = match saved.vault {
        Vault::SecretService => ui::text("keyring-kept-secret-service", lang).to_owned(),
        Vault::Kernel => ui::text("keyring-kept-kernel", lang).to_owned(),
        Vault::File => ui::fill(
            "keyring-kept-file",
            lang,
            &[("file", &file.display().to_string())],
        ),
    };
    let _ = writeln!(out, "{kept}");
    if !saved.skipped.is_empty() {
        let _ = writeln!(out, "{}", ui::text("watch-password-passed-over", lang));
        skipped_lines(&mut out, &saved.skipped, lang);
    }
    if !saved.replaced.is_empty() {
        let stores: Vec<&str> = saved
            .replaced
            .iter()
            .map(|v| vault_name(*v, lang))
            .collect();
        let _ = writeln!(
            out,
            "{}",
            ui::fill(
                "watch-password-replaced",
                lang,
                &[("stores", &stores.join(", "))]
            )
        );
    }
    out
}

/// No store took the password: each store and why.
pub fn password_not_saved(address: &str, skipped: &[Skipped], lang: Lang) -> String {
    let mut out = ui::fill("error-keyring-none", lang, &[("address", address)]);
    out.push('\n');
    skipped_lines(&mut out, skipped, lang);
    out
}

/// The stores a password was removed from (and those that could not be asked).
pub fn password_forgotten(
    address: &str,
    removed: &[Vault],
    skipped: &[Skipped],
    lang: Lang,
) -> String {
    let mut out = if removed.is_empty() {
        ui::fill("watch-password-none", lang, &[("address", address)])
    } else {
        let stores: Vec<&str> = removed.iter().map(|v| vault_name(*v, lang)).collect();
        ui::fill(
            "watch-password-forgotten",
            lang,
            &[("address", address), ("stores", &stores.join(", "))],
        )
    };
    out.push('\n');
    if !skipped.is_empty() {
        let _ = writeln!(out, "{}", ui::text("watch-password-passed-over", lang));
        skipped_lines(&mut out, skipped, lang);
    }
    out
}

/// Why a diff or a run cannot be shown, in words.
pub fn history_error(err: &HistoryError, lang: Lang) -> String {
    match err {
        HistoryError::Store(e) => store_error(e, lang),
        HistoryError::NoRuns { subject } => {
            ui::fill("error-history-no-runs", lang, &[("subject", subject)])
        }
        HistoryError::OneRun { subject } => {
            ui::fill("error-history-one-run", lang, &[("subject", subject)])
        }
        HistoryError::NoSuchRun { id } => ui::fill(
            "error-history-no-such-run",
            lang,
            &[("id", &id.to_string())],
        ),
        HistoryError::Unrelated { from, to } => ui::fill(
            "error-history-unrelated",
            lang,
            &[("from", &from.to_string()), ("to", &to.to_string())],
        ),
        HistoryError::Unreadable { id, detail } => ui::fill(
            "error-history-unreadable",
            lang,
            &[("id", &id.to_string()), ("detail", detail)],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fact_and_kind_has_words_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for fact in FactName::ALL {
                assert_ne!(fact_name(fact, lang), "?", "{fact:?}");
            }
            for kind in Kind::ALL {
                assert_ne!(kind_word(kind, lang), "?", "{kind:?}");
            }
            for p in WATCH_PERIODS {
                let key = format!("web-watch-every-{p}");
                assert_ne!(ui::text(&key, lang), "?", "{key}");
            }
            for code in AlertCode::ALL {
                let key = format!("alert-{}", code.as_str());
                assert_ne!(ui::text(&key, lang), "?", "{key}");
            }
        }
    }

    fn alert(subject: &str, code: &str, detail: &str) -> Alert {
        Alert {
            id: 1,
            kind: Kind::Domain,
            subject: subject.into(),
            run_id: Some(1),
            at_ms: 1_796_612_970_000,
            code: code.into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn a_rounds_alerts_make_one_mail_that_names_them_in_either_language() {
        let expiring = r#"{"server":"imap","days":5,"not_after":"2026-12-12T00:00:00Z"}"#;
        let alerts: Vec<Alert> = ["a.jp", "b.jp", "c.jp", "d.jp", "a.jp"]
            .iter()
            .map(|s| alert(s, "cert-expiring", expiring))
            .collect();
        let (subject, text) = alerts_mail(&alerts, Lang::En);
        assert_eq!(subject, "maildoc: 5 alerts (a.jp, b.jp, c.jp, …)");
        assert_eq!(
            text.matches("\n- a.jp: the certificate of imap expires in 5 days")
                .count(),
            2
        );
        assert_eq!(text.matches("maildoc history a.jp --diff").count(), 1);
        assert!(text.contains("maildoc history d.jp --diff"), "{text}");
        let (subject, text) = alerts_mail(&alerts[..1], Lang::Ja);
        assert_eq!(subject, "maildoc: 通知 1 件 (a.jp)");
        assert!(
            text.contains("imap の証明書の有効期限まであと 5 日"),
            "{text}"
        );
    }

    #[test]
    fn a_saved_password_names_its_store_and_what_was_passed_over() {
        let saved = Saved {
            vault: Vault::Kernel,
            skipped: vec![Skipped {
                vault: Vault::SecretService,
                why: Why::Absent,
                detail: "no D-Bus session bus".into(),
            }],
            replaced: vec![Vault::File],
        };
        let file = std::path::Path::new("/home/t/.local/share/maildoc/watch-passwords.toml");
        let en = password_saved("taro@example.jp", &saved, file, Lang::En);
        assert!(en.starts_with("Saved the password of taro@example.jp in the kernel keyring."));
        assert!(
            en.contains(
                "  the desktop keyring (Secret Service): not available here (no D-Bus session bus)"
            ),
            "{en}"
        );
        assert!(
            en.contains("An older copy in a file only you can read was removed."),
            "{en}"
        );
        let ja = password_saved("taro@example.jp", &saved, file, Lang::Ja);
        assert!(ja.contains("カーネルのキーリングに保存しました"), "{ja}");
        assert!(
            en.contains("An older copy in a file only you can read was removed."),
            "{en}"
        );
        let in_file = Saved {
            vault: Vault::File,
            skipped: Vec::new(),
            replaced: Vec::new(),
        };
        assert!(
            password_saved("t@e.jp", &in_file, file, Lang::En)
                .contains(&file.display().to_string())
        );
    }
}
