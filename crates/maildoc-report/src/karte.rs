//! The karte sheet (`maildoc karte show`): the printable paper copy of a karte, as plain
//! text, Markdown or a self-contained HTML page with print styles, in Japanese or English.
//!
//! The sheet shows only what the karte holds (and the risk findings the caller derived from
//! it): no clock, no file path, no password. The same content goes to every format: it is
//! built once as a [`Sheet`] and then written out.

use crate::html::escape;
use crate::ui;
use maildoc_engine::karte::{ErrorKind, Expected, LoadError};
use maildoc_kb::{Client, Lang};
use maildoc_model::karte::{
    Device, HistoryEntry, IncomingServer, KARTE_VERSION, Karte, OutgoingServer, Retention,
};
use maildoc_model::{Finding, Protocol, Security};
use std::fmt::Write;

/// `karte show --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SheetFormat {
    Human,
    Markdown,
    Html,
}

/// How many of the latest checks the sheet lists.
pub const HISTORY_SHOWN: usize = 5;

/// The sheet of `karte` with its risk findings, in `lang`.
pub fn render(karte: &Karte, risks: &[Finding], lang: Lang, format: SheetFormat) -> String {
    let sheet = build(karte, risks, lang);
    match format {
        SheetFormat::Human => human(&sheet),
        SheetFormat::Markdown => markdown(&sheet),
        SheetFormat::Html => html(&sheet, lang),
    }
}

// ---------------------------------------------------------------------------------------
// Content

struct Sheet {
    title: String,
    notice: String,
    sections: Vec<Section>,
    footer: String,
}

struct Section {
    heading: String,
    body: Body,
}

enum Body {
    /// Blocks of label/value pairs, each with an optional heading.
    Groups(Vec<Group>),
    List(Vec<String>),
    Risks(Vec<Risk>),
    Table {
        note: String,
        headers: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Text(String),
}

struct Group {
    heading: Option<String>,
    fields: Vec<(String, String)>,
}

struct Risk {
    severity: String,
    title: String,
    code: String,
    cause: String,
    fix: String,
    /// (mail app, steps) for the apps of the karte's devices.
    steps: Vec<(String, String)>,
}

fn t(key: &str, lang: Lang) -> String {
    ui::text(key, lang).to_string()
}

fn or_dash(v: Option<&str>) -> String {
    match v {
        Some(s) if !s.trim().is_empty() => s.to_string(),
        _ => "—".to_string(),
    }
}

fn security_word(s: Option<Security>, lang: Lang) -> String {
    match s {
        Some(Security::Tls) => "SSL/TLS".into(),
        Some(Security::Starttls) => "STARTTLS".into(),
        Some(Security::Plain) => t("karte-security-none", lang),
        None => "—".into(),
    }
}

fn yes_no(v: Option<bool>, yes: &str, no: &str, lang: Lang) -> String {
    match v {
        Some(true) => t(yes, lang),
        Some(false) => t(no, lang),
        None => "—".into(),
    }
}

/// The app as people know it: the knowledge base's name for a known key.
pub fn app_label(app: &str, lang: Lang) -> String {
    match Client::parse(app.trim()) {
        Some(c) => c.label(lang).to_string(),
        None => app.to_string(),
    }
}

/// What a device does with the server's copy, in words.
pub fn retention_words(r: Retention, lang: Lang) -> String {
    match r {
        Retention::Synced => t("karte-copy-synced", lang),
        Retention::Keeps => t("karte-copy-keeps", lang),
        Retention::DeletesAfterDays(d) => {
            ui::fill("karte-copy-after-days", lang, &[("days", &d.to_string())])
        }
        Retention::DeletesAtOnce => t("karte-copy-at-once", lang),
        Retention::Unknown => t("karte-copy-unknown", lang),
    }
}

/// A size in KiB: `512 KB`, `1.5 MB`, `5 GB`.
pub fn size_kib(kib: u64) -> String {
    const UNITS: [&str; 4] = ["MB", "GB", "TB", "PB"];
    if kib < 1_024 {
        return format!("{kib} KB");
    }
    let mut divisor: u128 = 1_024;
    let mut unit = 0;
    while u128::from(kib) >= divisor * 1_024 && unit + 1 < UNITS.len() {
        divisor *= 1_024;
        unit += 1;
    }
    let tenths = (u128::from(kib) * 10 + divisor / 2) / divisor;
    if tenths.is_multiple_of(10) {
        format!("{} {}", tenths / 10, UNITS[unit])
    } else {
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    }
}

fn incoming_group(s: &IncomingServer, address: &str, lang: Lang) -> Group {
    let mut fields = vec![
        (t("karte-host", lang), s.host.clone()),
        (
            t("karte-port", lang),
            s.port.map(|p| p.to_string()).unwrap_or_else(|| "—".into()),
        ),
        (t("karte-security", lang), security_word(s.security, lang)),
        (
            t("karte-username", lang),
            s.username.clone().unwrap_or_else(|| address.to_string()),
        ),
    ];
    if s.protocol == Protocol::Pop3 {
        let leave = match (s.leave_on_server, s.leave_on_server_days) {
            (Some(true), Some(d)) => {
                ui::fill("karte-leave-days", lang, &[("days", &d.to_string())])
            }
            (v, _) => yes_no(v, "karte-leave-yes", "karte-leave-no", lang),
        };
        fields.push((t("karte-leave-on-server", lang), leave));
    }
    Group {
        heading: Some(s.protocol.label().to_string()),
        fields,
    }
}

fn outgoing_group(o: &OutgoingServer, address: &str, lang: Lang) -> Group {
    Group {
        heading: None,
        fields: vec![
            (t("karte-host", lang), o.host.clone()),
            (
                t("karte-port", lang),
                o.port.map(|p| p.to_string()).unwrap_or_else(|| "—".into()),
            ),
            (t("karte-security", lang), security_word(o.security, lang)),
            (
                t("karte-username", lang),
                o.username.clone().unwrap_or_else(|| address.to_string()),
            ),
            (
                t("karte-auth", lang),
                yes_no(o.auth, "karte-auth-yes", "karte-auth-no", lang),
            ),
        ],
    }
}

fn device_group(k: &Karte, n: usize, d: &Device, lang: Lang) -> Group {
    let mut fields = vec![
        (
            t("karte-app", lang),
            d.app
                .as_deref()
                .map(|a| app_label(a, lang))
                .unwrap_or_else(|| "—".into()),
        ),
        (t("karte-protocol", lang), d.protocol.label().to_string()),
        (
            t("karte-server-copy", lang),
            retention_words(k.retention(d), lang),
        ),
    ];
    if d.protocol == Protocol::Pop3 || d.backup.is_some() {
        fields.push((t("karte-backup", lang), or_dash(d.backup.as_deref())));
    }
    if let Some(notes) = d.notes.as_deref().filter(|s| !s.trim().is_empty()) {
        fields.push((t("karte-notes", lang), notes.to_string()));
    }
    Group {
        heading: Some(format!("{n}. {}", d.name)),
        fields,
    }
}

fn risk(k: &Karte, f: &Finding, lang: Lang) -> Risk {
    let text = maildoc_kb::finding_text(f.code, lang);
    // The steps for the apps of the devices the finding names (all devices otherwise).
    let named: Vec<&str> = match (f.params.get("device"), f.params.get("devices")) {
        (Some(d), _) => vec![d.as_str()],
        (None, Some(list)) => list.split(", ").collect(),
        (None, None) => k.devices.iter().map(|d| d.name.as_str()).collect(),
    };
    let apps: Vec<Client> = k
        .devices
        .iter()
        .filter(|d| named.contains(&d.name.as_str()))
        .filter_map(|d| d.app.as_deref().and_then(|a| Client::parse(a.trim())))
        .collect();
    Risk {
        severity: crate::severity_word(f.severity, lang).to_string(),
        title: maildoc_kb::fill(&text.title, &f.params),
        code: f.code.as_str().to_string(),
        cause: maildoc_kb::fill(&text.cause, &f.params),
        fix: maildoc_kb::fill(&text.fix, &f.params),
        steps: text
            .clients
            .iter()
            .filter(|(c, _)| apps.contains(c))
            .map(|(c, s)| (c.label(lang).to_string(), maildoc_kb::fill(s, &f.params)))
            .collect(),
    }
}

fn history_row(h: &HistoryEntry, lang: Lang) -> Vec<String> {
    let result = t(
        match h.result {
            maildoc_model::karte::CheckResult::Ok => "status-ok",
            maildoc_model::karte::CheckResult::Warning => "status-warning",
            maildoc_model::karte::CheckResult::Error => "status-error",
        },
        lang,
    );
    let quota = match (h.quota_used_kib, h.quota_limit_kib, h.quota_percent()) {
        (Some(u), Some(l), Some(p)) => format!("{} / {} ({p}%)", size_kib(u), size_kib(l)),
        _ if h.login == Some(false) => t("karte-no-login", lang),
        _ => "—".into(),
    };
    let codes = if h.codes.is_empty() {
        "—".to_string()
    } else {
        h.codes.join(", ")
    };
    vec![h.at.clone(), result, quota, codes]
}

fn build(k: &Karte, risks: &[Finding], lang: Lang) -> Sheet {
    let a = &k.account;
    let address = a.address.as_str();
    let mut sections = Vec::new();
    let mut account = vec![(t("karte-address", lang), a.address.clone())];
    for (key, value) in [
        ("karte-display-name", &a.display_name),
        ("karte-provider", &a.provider),
        ("karte-last-changed", &a.last_changed),
        ("karte-changed-by", &a.changed_by),
        ("karte-notes", &a.notes),
    ] {
        if key == "karte-notes" && value.is_none() {
            continue;
        }
        account.push((t(key, lang), or_dash(value.as_deref())));
    }
    account.push((
        t("karte-password", lang),
        t("karte-password-elsewhere", lang),
    ));
    sections.push(Section {
        heading: t("karte-section-account", lang),
        body: Body::Groups(vec![Group {
            heading: None,
            fields: account,
        }]),
    });
    sections.push(Section {
        heading: t("karte-section-incoming", lang),
        body: if k.incoming.is_empty() {
            Body::Text(t("karte-none-noted", lang))
        } else {
            Body::Groups(
                k.incoming
                    .iter()
                    .map(|s| incoming_group(s, address, lang))
                    .collect(),
            )
        },
    });
    sections.push(Section {
        heading: t("karte-section-outgoing", lang),
        body: match &k.outgoing {
            Some(o) => Body::Groups(vec![outgoing_group(o, address, lang)]),
            None => Body::Text(t("karte-none-noted", lang)),
        },
    });
    sections.push(Section {
        heading: t("karte-section-devices", lang),
        body: if k.devices.is_empty() {
            Body::Text(t("karte-none-noted", lang))
        } else {
            Body::Groups(
                k.devices
                    .iter()
                    .enumerate()
                    .map(|(i, d)| device_group(k, i + 1, d, lang))
                    .collect(),
            )
        },
    });
    let sources: Vec<String> = k
        .sources
        .iter()
        .map(|s| {
            let main = match (&s.url, &s.document) {
                (Some(u), _) => u.clone(),
                (None, Some(d)) => ui::fill("karte-document", lang, &[("document", d)]),
                (None, None) => "—".into(),
            };
            match s.note.as_deref().filter(|n| !n.trim().is_empty()) {
                Some(n) => format!("{main} — {n}"),
                None => main,
            }
        })
        .collect();
    sections.push(Section {
        heading: t("karte-section-sources", lang),
        body: if sources.is_empty() {
            Body::Text(t("karte-none-noted", lang))
        } else {
            Body::List(sources)
        },
    });
    sections.push(Section {
        heading: ui::fill(
            "karte-section-risks",
            lang,
            &[("count", &risks.len().to_string())],
        ),
        body: if risks.is_empty() {
            Body::Text(t("karte-no-risks", lang))
        } else {
            Body::Risks(risks.iter().map(|f| risk(k, f, lang)).collect())
        },
    });
    let shown: Vec<&HistoryEntry> = k.history.iter().rev().take(HISTORY_SHOWN).collect();
    sections.push(Section {
        heading: t("karte-section-history", lang),
        body: if shown.is_empty() {
            Body::Text(t("karte-history-none", lang))
        } else {
            Body::Table {
                note: ui::fill(
                    "karte-history-shown",
                    lang,
                    &[
                        ("shown", &shown.len().to_string()),
                        ("total", &k.history.len().to_string()),
                    ],
                ),
                headers: ["karte-at", "karte-result", "karte-quota", "karte-codes"]
                    .iter()
                    .map(|key| t(key, lang))
                    .collect(),
                rows: shown.iter().map(|h| history_row(h, lang)).collect(),
            }
        },
    });
    Sheet {
        title: ui::fill("karte-title", lang, &[("address", address)]),
        notice: t("karte-notice", lang),
        sections,
        footer: ui::fill(
            "karte-footer",
            lang,
            &[("version", &KARTE_VERSION.to_string())],
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Plain text

/// Columns a string takes on a terminal or in a monospaced print: East Asian wide and
/// full-width characters take two.
pub fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            let wide = matches!(u,
                0x1100..=0x115F
                | 0x2E80..=0x303E
                | 0x3041..=0x33FF
                | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF
                | 0xA000..=0xA4CF
                | 0xAC00..=0xD7A3
                | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F
                | 0xFF00..=0xFF60
                | 0xFFE0..=0xFFE6);
            if wide { 2 } else { 1 }
        })
        .sum()
}

fn pad(s: &str, width: usize) -> String {
    let w = display_width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

fn human(s: &Sheet) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", s.title);
    let _ = writeln!(out, "{}", "=".repeat(display_width(&s.title)));
    let _ = writeln!(out, "{}", s.notice);
    for section in &s.sections {
        let _ = writeln!(out);
        let _ = writeln!(out, "■ {}", section.heading);
        match &section.body {
            Body::Groups(groups) => {
                let width = groups
                    .iter()
                    .flat_map(|g| &g.fields)
                    .map(|(l, _)| display_width(l))
                    .max()
                    .unwrap_or(0);
                for g in groups {
                    let indent = if let Some(h) = &g.heading {
                        let _ = writeln!(out, "  {h}");
                        "    "
                    } else {
                        "  "
                    };
                    for (label, value) in &g.fields {
                        let _ = writeln!(out, "{indent}{}  {value}", pad(label, width));
                    }
                }
            }
            Body::List(items) => {
                for i in items {
                    let _ = writeln!(out, "  - {i}");
                }
            }
            Body::Text(text) => {
                let _ = writeln!(out, "  {text}");
            }
            Body::Risks(risks) => {
                for (i, r) in risks.iter().enumerate() {
                    if i > 0 {
                        let _ = writeln!(out);
                    }
                    let _ = writeln!(out, "  [{}] {}  ({})", r.severity, r.title, r.code);
                    let _ = writeln!(out, "    {}", r.cause);
                    let _ = writeln!(out, "    → {}", r.fix);
                    for (app, steps) in &r.steps {
                        let _ = writeln!(out, "      - {app}: {steps}");
                    }
                }
            }
            Body::Table {
                note,
                headers,
                rows,
            } => {
                let _ = writeln!(out, "  {note}");
                let widths: Vec<usize> = (0..headers.len())
                    .map(|c| {
                        std::iter::once(headers)
                            .chain(rows)
                            .filter_map(|r| r.get(c))
                            .map(|v| display_width(v))
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                for row in std::iter::once(headers).chain(rows) {
                    let last = row.len().saturating_sub(1);
                    let cells: Vec<String> = row
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            if i == last {
                                v.clone()
                            } else {
                                pad(v, widths[i])
                            }
                        })
                        .collect();
                    let _ = writeln!(out, "  {}", cells.join("  "));
                }
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", s.footer);
    out
}

// ---------------------------------------------------------------------------------------
// Markdown

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn markdown(s: &Sheet) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}", s.title);
    let _ = writeln!(out);
    let _ = writeln!(out, "> {}", s.notice);
    for section in &s.sections {
        let _ = writeln!(out);
        let _ = writeln!(out, "## {}", section.heading);
        let _ = writeln!(out);
        match &section.body {
            Body::Groups(groups) => {
                for (i, g) in groups.iter().enumerate() {
                    if i > 0 {
                        let _ = writeln!(out);
                    }
                    if let Some(h) = &g.heading {
                        let _ = writeln!(out, "### {h}");
                        let _ = writeln!(out);
                    }
                    let _ = writeln!(out, "| | |");
                    let _ = writeln!(out, "|---|---|");
                    for (label, value) in &g.fields {
                        let _ = writeln!(out, "| {} | {} |", md_cell(label), md_cell(value));
                    }
                }
            }
            Body::List(items) => {
                for i in items {
                    let _ = writeln!(out, "- {i}");
                }
            }
            Body::Text(text) => {
                let _ = writeln!(out, "{text}");
            }
            Body::Risks(risks) => {
                for (i, r) in risks.iter().enumerate() {
                    if i > 0 {
                        let _ = writeln!(out);
                    }
                    let _ = writeln!(out, "### [{}] {} (`{}`)", r.severity, r.title, r.code);
                    let _ = writeln!(out);
                    let _ = writeln!(out, "{}", r.cause);
                    let _ = writeln!(out);
                    let _ = writeln!(out, "**→** {}", r.fix);
                    if !r.steps.is_empty() {
                        let _ = writeln!(out);
                        for (app, steps) in &r.steps {
                            let _ = writeln!(out, "- {app}: {steps}");
                        }
                    }
                }
            }
            Body::Table {
                note,
                headers,
                rows,
            } => {
                let _ = writeln!(out, "{note}");
                let _ = writeln!(out);
                let head: Vec<String> = headers.iter().map(|h| md_cell(h)).collect();
                let _ = writeln!(out, "| {} |", head.join(" | "));
                let _ = writeln!(out, "|{}", "---|".repeat(headers.len()));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "{}", s.footer);
    out
}

// ---------------------------------------------------------------------------------------
// HTML

const CSS: &str = "\
:root { color-scheme: light; }
body { font-family: \"Hiragino Sans\", \"Yu Gothic\", \"Noto Sans CJK JP\", \"Noto Sans JP\", Meiryo, sans-serif; line-height: 1.6; color: #111; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; border-bottom: 3px solid #111; padding-bottom: .25rem; }
h2 { font-size: 1.15rem; border-left: 6px solid #555; padding-left: .5rem; margin-top: 1.75rem; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
.notice { border: 2px solid #111; padding: .5rem .75rem; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 .75rem; }
th, td { border: 1px solid #999; padding: .3rem .5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.fields th { width: 14rem; background: #f2f2f2; font-weight: normal; }
thead th { background: #e6e6e6; }
.risk { border: 1px solid #999; border-left: 6px solid #b36b00; padding: .25rem .75rem; margin: .75rem 0; }
.risk.error { border-left-color: #b00020; }
.risk .code { color: #555; font-family: monospace; font-weight: normal; }
footer { margin-top: 2rem; color: #555; font-size: .85rem; border-top: 1px solid #999; padding-top: .5rem; }
@media print {
  @page { size: A4; margin: 15mm; }
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  table, .risk, section.group { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
";

fn html(s: &Sheet, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<!DOCTYPE html>");
    let _ = writeln!(out, "<html lang=\"{}\">", lang.as_str());
    let _ = writeln!(out, "<head>");
    let _ = writeln!(out, "<meta charset=\"utf-8\">");
    let _ = writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&s.title));
    let _ = write!(out, "<style>\n{CSS}</style>\n");
    let _ = writeln!(out, "</head>");
    let _ = writeln!(out, "<body>");
    html_body(&mut out, s);
    let _ = writeln!(out, "</body>");
    let _ = writeln!(out, "</html>");
    out
}

/// The sheet as a part of an HTML page (the web app shows it in its own layout, whose style
/// sheet styles it): the same content as the standalone page.
pub fn html_section(karte: &Karte, risks: &[Finding], lang: Lang) -> String {
    let mut out = String::from("<article class=\"sheet\">\n");
    html_body(&mut out, &build(karte, risks, lang));
    out.push_str("</article>\n");
    out
}

fn html_body(out: &mut String, s: &Sheet) {
    let _ = writeln!(out, "<h1>{}</h1>", escape(&s.title));
    let _ = writeln!(out, "<p class=\"notice\">{}</p>", escape(&s.notice));
    for section in &s.sections {
        let _ = writeln!(out, "<section>");
        let _ = writeln!(out, "<h2>{}</h2>", escape(&section.heading));
        match &section.body {
            Body::Groups(groups) => {
                for g in groups {
                    let _ = writeln!(out, "<section class=\"group\">");
                    if let Some(h) = &g.heading {
                        let _ = writeln!(out, "<h3>{}</h3>", escape(h));
                    }
                    let _ = writeln!(out, "<table class=\"fields\">");
                    for (label, value) in &g.fields {
                        let _ = writeln!(
                            out,
                            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                            escape(label),
                            escape(value)
                        );
                    }
                    let _ = writeln!(out, "</table>");
                    let _ = writeln!(out, "</section>");
                }
            }
            Body::List(items) => {
                let _ = writeln!(out, "<ul>");
                for i in items {
                    let _ = writeln!(out, "<li>{}</li>", escape(i));
                }
                let _ = writeln!(out, "</ul>");
            }
            Body::Text(text) => {
                let _ = writeln!(out, "<p>{}</p>", escape(text));
            }
            Body::Risks(risks) => {
                for r in risks {
                    let _ = writeln!(out, "<div class=\"risk\">");
                    let _ = writeln!(
                        out,
                        "<h3>[{}] {} <span class=\"code\">({})</span></h3>",
                        escape(&r.severity),
                        escape(&r.title),
                        escape(&r.code)
                    );
                    let _ = writeln!(out, "<p>{}</p>", escape(&r.cause));
                    let _ = writeln!(out, "<p><strong>→</strong> {}</p>", escape(&r.fix));
                    if !r.steps.is_empty() {
                        let _ = writeln!(out, "<ul>");
                        for (app, steps) in &r.steps {
                            let _ = writeln!(
                                out,
                                "<li><strong>{}</strong>: {}</li>",
                                escape(app),
                                escape(steps)
                            );
                        }
                        let _ = writeln!(out, "</ul>");
                    }
                    let _ = writeln!(out, "</div>");
                }
            }
            Body::Table {
                note,
                headers,
                rows,
            } => {
                let _ = writeln!(out, "<p>{}</p>", escape(note));
                let _ = writeln!(out, "<table>");
                let head: Vec<String> = headers
                    .iter()
                    .map(|h| format!("<th scope=\"col\">{}</th>", escape(h)))
                    .collect();
                let _ = writeln!(out, "<thead><tr>{}</tr></thead>", head.join(""));
                let _ = writeln!(out, "<tbody>");
                for row in rows {
                    let cells: Vec<String> = row
                        .iter()
                        .map(|c| format!("<td>{}</td>", escape(c)))
                        .collect();
                    let _ = writeln!(out, "<tr>{}</tr>", cells.join(""));
                }
                let _ = writeln!(out, "</tbody>");
                let _ = writeln!(out, "</table>");
            }
        }
        let _ = writeln!(out, "</section>");
    }
    let _ = writeln!(out, "<footer>{}</footer>", escape(&s.footer));
}

// ---------------------------------------------------------------------------------------
// Errors

/// A karte that cannot be used, in words: `file:line:column: what is wrong`.
pub fn load_error_words(e: &LoadError, lang: Lang) -> String {
    let what = match &e.kind {
        ErrorKind::Read(detail) => ui::fill("karte-error-read", lang, &[("detail", detail)]),
        ErrorKind::Syntax(detail) => ui::fill("karte-error-syntax", lang, &[("detail", detail)]),
        ErrorKind::NotAKarte => ui::text("karte-error-not-karte", lang).to_string(),
        ErrorKind::BadVersion(v) => ui::fill("karte-error-bad-version", lang, &[("value", v)]),
        ErrorKind::NewerVersion(v) => ui::fill(
            "karte-error-newer",
            lang,
            &[
                ("version", &v.to_string()),
                ("supported", &KARTE_VERSION.to_string()),
            ],
        ),
        ErrorKind::PasswordField(key) => ui::fill("karte-error-password", lang, &[("key", key)]),
        ErrorKind::UnknownField { field } => {
            ui::fill("karte-error-unknown-field", lang, &[("field", field)])
        }
        ErrorKind::MissingField { field } => {
            ui::fill("karte-error-missing-field", lang, &[("field", field)])
        }
        ErrorKind::BadValue {
            field, expected, ..
        } => ui::fill(
            "karte-error-bad-value",
            lang,
            &[
                ("field", field),
                ("expected", &expected_words(expected, lang)),
            ],
        ),
    };
    format!("{}: {what}", e.place())
}

/// What a karte value must look like, in words.
pub fn expected_words(e: &Expected, lang: Lang) -> String {
    let key = match e {
        Expected::Port => "karte-expected-port",
        Expected::Days => "karte-expected-days",
        Expected::Number => "karte-expected-number",
        Expected::Bool => "karte-expected-bool",
        Expected::Text => "karte-expected-text",
        Expected::NonEmpty => "karte-expected-non-empty",
        Expected::Protocol => "karte-expected-protocol",
        Expected::IncomingProtocol => "karte-expected-incoming-protocol",
        Expected::Security => "karte-expected-security",
        Expected::Date => "karte-expected-date",
        Expected::Result => "karte-expected-result",
        Expected::OneSource => "karte-expected-one-source",
        Expected::Address(reason) => {
            return ui::fill("karte-expected-address", lang, &[("detail", reason)]);
        }
        Expected::Other(words) => return words.clone(),
    };
    ui::text(key, lang).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_sizes() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("メール"), 6);
        assert_eq!(display_width("ＳＳＬ"), 6);
        assert_eq!(pad("名前", 6), "名前  ");
        assert_eq!(size_kib(512), "512 KB");
        assert_eq!(size_kib(1_048_576), "1 GB");
        assert_eq!(size_kib(5_242_880), "5 GB");
        assert_eq!(size_kib(1_536), "1.5 MB");
    }

    #[test]
    fn app_names() {
        assert_eq!(app_label("iphone", Lang::En), "iPhone/iPad Mail");
        assert_eq!(app_label("Becky!", Lang::Ja), "Becky!");
    }

    #[test]
    fn every_load_error_has_words_in_both_languages() {
        let kinds = vec![
            ErrorKind::Read("x".into()),
            ErrorKind::Syntax("x".into()),
            ErrorKind::NotAKarte,
            ErrorKind::BadVersion("x".into()),
            ErrorKind::NewerVersion(2),
            ErrorKind::PasswordField("password".into()),
            ErrorKind::UnknownField {
                field: "a.b".into(),
            },
            ErrorKind::MissingField {
                field: "a.b".into(),
            },
        ];
        let expected = [
            Expected::Port,
            Expected::Days,
            Expected::Number,
            Expected::Bool,
            Expected::Text,
            Expected::NonEmpty,
            Expected::Protocol,
            Expected::IncomingProtocol,
            Expected::Security,
            Expected::Date,
            Expected::Result,
            Expected::OneSource,
            Expected::Address("no @".into()),
        ];
        let kinds = kinds
            .into_iter()
            .chain(expected.into_iter().map(|e| ErrorKind::BadValue {
                field: "a.b".into(),
                expected: e,
                detail: String::new(),
            }));
        for kind in kinds {
            let e = LoadError {
                path: "k.toml".into(),
                line: Some(3),
                column: Some(1),
                kind,
            };
            for lang in [Lang::Ja, Lang::En] {
                let words = load_error_words(&e, lang);
                assert!(words.starts_with("k.toml:3:1: "), "{words}");
                assert!(!words.contains('?') && !words.contains('{'), "{words}");
            }
        }
    }
}
