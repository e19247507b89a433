//! The screens of `maildoc discover`: the settings for a mail app, shown as the fields of
//! iPhone, Outlook and Thunderbird, then every source consulted. The JSON form is the
//! [`Discovery`] itself; the Markdown form is a settings sheet to print or keep.

use crate::markdown::cell;
use crate::{Client, Format, Lang, ui};
use maildoc_engine::discover::{
    Candidate, CandidateStatus, Discovery, FoundBy, Recommendation, Server, Source, SourceKind,
    SourceOutcome,
};
use maildoc_model::provider::{Grade, ProviderServer, UsernameRule};
use maildoc_model::{Protocol, Security};
use std::fmt::Write as _;

/// `discovery` in `format`.
pub fn render(discovery: &Discovery, format: Format, lang: Lang) -> String {
    match format {
        Format::Json => json(discovery),
        Format::Markdown => markdown(discovery, lang),
        Format::Human => human(discovery, lang),
    }
}

/// The JSON form (versioned by `schema_version`).
pub fn json(discovery: &Discovery) -> String {
    serde_json::to_string_pretty(discovery).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

// ---------------------------------------------------------------------------------------
// Words shared by both renderers

fn seconds(ms: u64) -> String {
    format!("{:.1}", ms as f64 / 1000.0)
}

/// The run's time: milliseconds below a second, else seconds.
fn took(lang: Lang, elapsed_ms: u64) -> String {
    if elapsed_ms < 1000 {
        ms(lang, elapsed_ms)
    } else {
        ui::fill("elapsed", lang, &[("seconds", &seconds(elapsed_ms))])
    }
}

fn ms(lang: Lang, ms: u64) -> String {
    ui::fill("discover-ms", lang, &[("ms", &ms.to_string())])
}

fn security(lang: Lang, s: Security) -> String {
    match s {
        Security::Plain => ui::text("discover-security-none", lang).to_string(),
        other => other.label().to_string(),
    }
}

fn kind(lang: Lang, k: SourceKind) -> &'static str {
    ui::text(&format!("discover-kind-{}", k.as_str()), lang)
}

fn kebab<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn outcome(lang: Lang, o: SourceOutcome) -> &'static str {
    ui::text(&format!("discover-outcome-{}", kebab(&o)), lang)
}

fn status(lang: Lang, s: CandidateStatus) -> &'static str {
    ui::text(&format!("discover-status-{}", kebab(&s)), lang)
}

/// The user name as a mail app's field holds it; for a rule not derived from the address,
/// what the provider calls it.
fn username(s: &Server) -> String {
    match (&s.username, &s.username_rule) {
        (Some(u), _) => u.clone(),
        (None, UsernameRule::Other(what)) => what.clone(),
        (None, _) => "?".into(),
    }
}

fn auth(lang: Lang, s: &Server) -> &'static str {
    let key = match s
        .authentication
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("password-encrypted") => "discover-auth-encrypted",
        Some("oauth2") => "discover-auth-oauth2",
        Some("none") => "discover-auth-none",
        _ => "discover-auth-password",
    };
    ui::text(key, lang)
}

/// `IMAP`, `POP3`, `SMTP`; iPhone calls POP3 "POP".
fn protocol_for(client: Client, p: Protocol) -> &'static str {
    match (client, p) {
        (Client::Iphone, Protocol::Pop3) => "POP",
        _ => p.label(),
    }
}

fn from_line(lang: Lang, r: &Recommendation) -> String {
    let source = format!("{} ({})", kind(lang, r.source), r.from);
    ui::fill("discover-from", lang, &[("source", &source)])
}

fn server_line(lang: Lang, s: &Server) -> String {
    ui::fill(
        "discover-server-line",
        lang,
        &[
            ("host", &s.host),
            ("port", &s.port.to_string()),
            ("security", &security(lang, s.security)),
            ("username", &username(s)),
        ],
    )
}

/// How sure the provider tables are of a value, in words: A and B settled, C and D seen
/// working but not confirmed by the provider. Empty for values from other sources.
fn grade_words(lang: Lang, grade: Option<Grade>) -> String {
    grade
        .map(|g| ui::text(&format!("discover-grade-{}", g.as_str()), lang).to_string())
        .unwrap_or_default()
}

/// What a C or D value comes from, for the cautions.
fn grade_kind(lang: Lang, grade: Option<Grade>) -> &'static str {
    match grade {
        Some(Grade::D) => ui::text("discover-grade-kind-D", lang),
        _ => ui::text("discover-grade-kind-C", lang),
    }
}

/// The provider's servers whose name depends on the contract: a heading and one line each
/// (role, port, security, user name and how sure the tables are); `None` when there are none.
fn per_contract(d: &Discovery, lang: Lang) -> Option<(String, Vec<String>)> {
    let servers: &[ProviderServer] = d.provider.as_ref().map(|p| &p.per_contract[..])?;
    if servers.is_empty() {
        return None;
    }
    let lines = servers
        .iter()
        .map(|s| {
            let role = match s.protocol {
                Protocol::Smtp => "discover-outgoing",
                _ => "discover-incoming",
            };
            let username = maildoc_kb::providers::username_for(s, &d.address)
                .or_else(|| match &s.username {
                    UsernameRule::Other(what) => Some(what.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let line = ui::fill(
                "discover-server-line",
                lang,
                &[
                    ("host", ui::text("discover-per-contract-host", lang)),
                    ("port", &s.port.to_string()),
                    ("security", &security(lang, s.security)),
                    ("username", &username),
                ],
            );
            let mut grade = grade_words(lang, Some(s.grade));
            if s.username_grade != s.grade {
                let _ = write!(
                    grade,
                    "; {}: {}",
                    ui::text("discover-md-username", lang),
                    grade_words(lang, Some(s.username_grade))
                );
            }
            format!(
                "{} ({}): {line}  [{grade}]",
                ui::text(role, lang),
                s.protocol.label(),
            )
        })
        .collect();
    Some((ui::text("discover-per-contract", lang).to_string(), lines))
}

/// The recommended servers: incoming, outgoing, then the alternative.
fn recommended(d: &Discovery) -> Vec<&Recommendation> {
    [&d.incoming, &d.outgoing, &d.alternative]
        .into_iter()
        .flatten()
        .collect()
}

/// Lines under the recommendation: what to know about the user name and the encryption.
fn cautions(d: &Discovery, lang: Lang) -> Vec<String> {
    let chosen = recommended(d);
    let mut out = Vec::new();
    let mut others: Vec<&str> = chosen
        .iter()
        .filter(|r| r.server.username.is_none())
        .filter_map(|r| match &r.server.username_rule {
            UsernameRule::Other(what) => Some(what.as_str()),
            _ => None,
        })
        .collect();
    others.dedup();
    for what in others {
        out.push(ui::fill("discover-username-other", lang, &[("what", what)]));
    }
    // Values the tables hold only from third parties or real configurations are never
    // shown as certain.
    for r in &chosen {
        let s = &r.server;
        let (key, grade) = if s.unconfirmed() {
            ("discover-unconfirmed", s.grade)
        } else if s.username_unconfirmed() {
            ("discover-username-unconfirmed", s.username_grade)
        } else {
            continue;
        };
        out.push(ui::fill(
            key,
            lang,
            &[
                ("server", &s.endpoint().describe()),
                ("kind", grade_kind(lang, grade)),
            ],
        ));
    }
    if chosen
        .iter()
        .any(|r| matches!(r.source, SourceKind::Srv | SourceKind::Guess))
    {
        out.push(ui::text("discover-username-assumed", lang).to_string());
    }
    for r in chosen
        .iter()
        .filter(|r| r.server.security == Security::Plain)
    {
        out.push(ui::fill(
            "discover-plain-warning",
            lang,
            &[("server", &r.server.endpoint().describe())],
        ));
    }
    out
}

/// One mail app's screen: a heading and indented lines.
struct Screen {
    heading: String,
    lines: Vec<(usize, String)>,
}

fn field(lang: Lang, key: &str, value: &str) -> String {
    format!("{}: {value}", ui::text(key, lang))
}

fn on_off(lang: Lang, s: Security) -> &'static str {
    ui::text(
        if s == Security::Plain {
            "discover-off"
        } else {
            "discover-on"
        },
        lang,
    )
}

fn iphone_screen(incoming: &Server, outgoing: &Server, lang: Lang) -> Screen {
    let password = ui::text("discover-password-value", lang);
    let advanced = |key: &str, s: &Server| {
        ui::fill(
            key,
            lang,
            &[
                ("ssl", on_off(lang, s.security)),
                ("port", &s.port.to_string()),
            ],
        )
    };
    Screen {
        heading: Client::Iphone.label(lang).to_string(),
        lines: vec![
            (
                0,
                ui::fill(
                    "discover-iphone-path",
                    lang,
                    &[("protocol", protocol_for(Client::Iphone, incoming.protocol))],
                ),
            ),
            (0, ui::text("discover-iphone-incoming", lang).to_string()),
            (1, field(lang, "discover-iphone-host", &incoming.host)),
            (1, field(lang, "discover-iphone-user", &username(incoming))),
            (1, field(lang, "discover-iphone-password", password)),
            (0, ui::text("discover-iphone-outgoing", lang).to_string()),
            (1, field(lang, "discover-iphone-host", &outgoing.host)),
            (1, field(lang, "discover-iphone-user", &username(outgoing))),
            (1, field(lang, "discover-iphone-password", password)),
            (0, advanced("discover-iphone-advanced-in", incoming)),
            (0, advanced("discover-iphone-advanced-out", outgoing)),
        ],
    }
}

fn outlook_screen(incoming: &Server, outgoing: &Server, lang: Lang) -> Screen {
    let protocol = protocol_for(Client::Outlook, incoming.protocol);
    Screen {
        heading: Client::Outlook.label(lang).to_string(),
        lines: vec![
            (
                0,
                ui::fill("discover-outlook-path", lang, &[("protocol", protocol)]),
            ),
            (0, field(lang, "discover-outlook-type", protocol)),
            (0, field(lang, "discover-outlook-incoming", &incoming.host)),
            (0, field(lang, "discover-outlook-outgoing", &outgoing.host)),
            (
                0,
                field(lang, "discover-outlook-account", &username(incoming)),
            ),
            (
                0,
                ui::fill(
                    "discover-outlook-advanced",
                    lang,
                    &[
                        ("protocol", protocol),
                        ("in_port", &incoming.port.to_string()),
                        ("in_security", &security(lang, incoming.security)),
                        ("out_port", &outgoing.port.to_string()),
                        ("out_security", &security(lang, outgoing.security)),
                    ],
                ),
            ),
            (0, ui::text("discover-outlook-auth", lang).to_string()),
        ],
    }
}

fn thunderbird_screen(incoming: &Server, outgoing: &Server, lang: Lang) -> Screen {
    let fields = |key: &str, s: &Server| {
        let values = ui::fill(
            "discover-thunderbird-fields",
            lang,
            &[
                ("protocol", protocol_for(Client::Thunderbird, s.protocol)),
                ("host", &s.host),
                ("port", &s.port.to_string()),
                ("security", &security(lang, s.security)),
                ("auth", auth(lang, s)),
                ("username", &username(s)),
            ],
        );
        format!("{}: {values}", ui::text(key, lang))
    };
    Screen {
        heading: Client::Thunderbird.label(lang).to_string(),
        lines: vec![
            (0, ui::text("discover-thunderbird-path", lang).to_string()),
            (0, fields("discover-thunderbird-incoming", incoming)),
            (0, fields("discover-thunderbird-outgoing", outgoing)),
        ],
    }
}

/// The mail apps' screens, when both incoming and outgoing servers were found.
fn screens(d: &Discovery, lang: Lang) -> Vec<Screen> {
    match (&d.incoming, &d.outgoing) {
        (Some(i), Some(o)) => vec![
            iphone_screen(&i.server, &o.server, lang),
            outlook_screen(&i.server, &o.server, lang),
            thunderbird_screen(&i.server, &o.server, lang),
        ],
        _ => Vec::new(),
    }
}

fn provider_lines(d: &Discovery, lang: Lang) -> Vec<String> {
    let Some(p) = &d.provider else {
        return Vec::new();
    };
    let mut out = vec![match &p.found_by {
        FoundBy::Domain => ui::fill("discover-provider", lang, &[("provider", &p.name)]),
        FoundBy::Mx { exchange } => ui::fill(
            "discover-provider-mx",
            lang,
            &[("provider", &p.name), ("exchange", exchange)],
        ),
    }];
    if p.not_for_mail_apps {
        out.push(ui::text("discover-not-for-apps", lang).to_string());
    }
    out
}

fn notes(d: &Discovery, lang: Lang) -> Vec<String> {
    d.provider
        .iter()
        .flat_map(|p| &p.notes)
        .map(|n| n.text(lang).trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// A source's result in words, and its detail (empty when the result says it all).
fn source_result(s: &Source, lang: Lang) -> (String, String) {
    let result = match (s.kind, s.outcome) {
        (SourceKind::Mx, SourceOutcome::NotListed) => ui::text("discover-outcome-mx-unknown", lang),
        (_, o) => outcome(lang, o),
    };
    let detail = if matches!(s.outcome, SourceOutcome::Nxdomain | SourceOutcome::Nodata) {
        // The outcome says it all; the resolver's own words stay in the JSON.
        String::new()
    } else if s.kind == SourceKind::Guess && !s.detail.is_empty() {
        let (answered, probed) = s.detail.split_once('/').unwrap_or(("0", "0"));
        ui::fill(
            "discover-guess-summary",
            lang,
            &[("answered", answered), ("probed", probed)],
        )
    } else {
        s.detail.clone()
    };
    let left_out: Vec<String> = s
        .left_out
        .iter()
        .map(|l| {
            ui::fill(
                &format!("discover-left-out-{}", kebab(&l.reason)),
                lang,
                &[("type", &l.server_type), ("value", &l.value)],
            )
        })
        .collect();
    let detail = if left_out.is_empty() {
        detail
    } else {
        let left = ui::fill(
            "discover-left-out",
            lang,
            &[("items", &left_out.join(", "))],
        );
        [detail, left]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" / ")
    };
    (result.to_string(), detail)
}

fn timing(s: &Source, lang: Lang) -> String {
    match (s.kind, s.outcome) {
        (SourceKind::Provider, _) | (_, SourceOutcome::Skipped) => String::new(),
        _ => ms(lang, s.elapsed_ms),
    }
}

fn chosen(d: &Discovery, index: usize) -> bool {
    recommended(d).iter().any(|r| r.candidate == index)
}

/// Statuses whose words say all the detail would.
fn quiet(s: CandidateStatus) -> bool {
    matches!(s, CandidateStatus::Nxdomain | CandidateStatus::Nodata)
}

fn marker(c: &Candidate) -> &'static str {
    match c.status {
        CandidateStatus::Answered => "[OK]",
        CandidateStatus::Published
        | CandidateStatus::NotProbed
        | CandidateStatus::NotNeeded
        | CandidateStatus::Deadline => "[--]",
        _ => "[NG]",
    }
}

fn role_label(lang: Lang, r: &Recommendation) -> String {
    let role = match r.server.protocol {
        Protocol::Smtp => "discover-outgoing",
        _ => "discover-incoming",
    };
    format!("{} ({})", ui::text(role, lang), r.server.protocol.label())
}

fn sources_heading(d: &Discovery, lang: Lang) -> String {
    ui::fill(
        "discover-sources",
        lang,
        &[("count", &d.sources.len().to_string())],
    )
}

fn candidates_heading(d: &Discovery, lang: Lang) -> String {
    ui::fill(
        "discover-candidates",
        lang,
        &[("count", &d.candidates.len().to_string())],
    )
}

/// The settings as a part of an HTML page (the web app's result): the provider and its notes,
/// the settings table and its cautions, what each mail app's screens ask, and, folded away,
/// every source and candidate.
pub fn html(d: &Discovery, lang: Lang) -> String {
    use crate::html::escape as e;
    let mut out = format!(
        "<h2>{}</h2>\n",
        e(&ui::fill(
            "discover-title",
            lang,
            &[("address", &d.address)]
        ))
    );
    let head: Vec<String> = provider_lines(d, lang)
        .into_iter()
        .chain(notes(d, lang))
        .collect();
    list(&mut out, &head);
    if let Some((heading, lines)) = per_contract(d, lang) {
        let _ = writeln!(out, "<h3>{}</h3>", e(&heading));
        list(&mut out, &lines);
    }
    let _ = writeln!(
        out,
        "<h3>{}</h3>",
        e(ui::text("discover-md-settings", lang))
    );
    match settings_table(d, lang) {
        Some(table) => {
            let _ = write!(
                out,
                "<table class=\"settings\">\n<thead><tr><th scope=\"col\">{}</th>",
                e(ui::text("discover-md-item", lang))
            );
            for h in &table.heads {
                let _ = write!(out, "<th scope=\"col\">{}</th>", e(h));
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            for (key, values) in &table.rows {
                let _ = write!(out, "<tr><th scope=\"row\">{}</th>", e(ui::text(key, lang)));
                for v in values {
                    let _ = write!(out, "<td>{}</td>", e(v));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody>\n</table>\n");
            list(&mut out, &settings_notes(d, lang));
        }
        None => list(&mut out, &settings_notes(d, lang)),
    }
    for screen in screens(d, lang) {
        let _ = writeln!(
            out,
            "<section class=\"app\">\n<h3>{}</h3>\n<ul>",
            e(&screen.heading)
        );
        for (indent, line) in screen.lines {
            let _ = writeln!(out, "<li class=\"indent-{indent}\">{}</li>", e(&line));
        }
        out.push_str("</ul>\n</section>\n");
    }
    let _ = writeln!(
        out,
        "<details><summary>{}</summary>\n<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        e(&sources_heading(d, lang)),
        e(ui::text("discover-md-kind", lang)),
        e(ui::text("discover-md-target", lang)),
        e(ui::text("discover-md-result", lang)),
        e(ui::text("discover-md-detail", lang)),
        e(ui::text("discover-md-time", lang))
    );
    for s in &d.sources {
        let (result, detail) = source_result(s, lang);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(kind(lang, s.kind)),
            e(&s.target),
            e(&result),
            e(&detail),
            e(&timing(s, lang))
        );
    }
    out.push_str("</table>\n</details>\n");
    out
}

fn list(out: &mut String, items: &[String]) {
    if items.is_empty() {
        return;
    }
    out.push_str("<ul>\n");
    for item in items {
        let _ = writeln!(out, "<li>{}</li>", crate::html::escape(item));
    }
    out.push_str("</ul>\n");
}

// ---------------------------------------------------------------------------------------
// Human

/// The screen form.
pub fn human(d: &Discovery, lang: Lang) -> String {
    let mut out = String::new();
    human_head(&mut out, d, lang);
    human_recommended(&mut out, d, lang);
    human_screens(&mut out, d, lang);
    human_sources(&mut out, d, lang);
    human_candidates(&mut out, d, lang);
    if d.found() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            ui::fill("discover-next", lang, &[("address", &d.address)])
        );
    }
    out
}

/// The title, the provider and its notes.
fn human_head(out: &mut String, d: &Discovery, lang: Lang) {
    let _ = writeln!(
        out,
        "{}  {}",
        ui::fill("discover-title", lang, &[("address", &d.address)]),
        took(lang, d.elapsed_ms)
    );
    for line in provider_lines(d, lang) {
        let _ = writeln!(out, "{line}");
    }
    let notes = notes(d, lang);
    if !notes.is_empty() {
        let _ = writeln!(out, "{}:", ui::text("discover-notes", lang));
        for n in notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    if let Some((heading, lines)) = per_contract(d, lang) {
        let _ = writeln!(out, "{heading}:");
        for line in lines {
            let _ = writeln!(out, "  - {line}");
        }
    }
    let _ = writeln!(out);
}

/// The recommended servers with their cautions, or what is missing.
fn human_recommended(out: &mut String, d: &Discovery, lang: Lang) {
    if d.incoming.is_some() || d.outgoing.is_some() {
        let _ = writeln!(out, "{}", ui::text("discover-recommended", lang));
        let alternative = d
            .alternative
            .iter()
            .map(|r| (ui::text("discover-alternative", lang).to_string(), r));
        let main = [&d.incoming, &d.outgoing]
            .into_iter()
            .flatten()
            .map(|r| (role_label(lang, r), r));
        for (label, r) in main.chain(alternative) {
            let _ = writeln!(out, "  {label}: {}", server_line(lang, &r.server));
            let _ = writeln!(out, "    {}", from_line(lang, r));
            if r.server.grade.is_some() {
                let _ = writeln!(
                    out,
                    "    {}: {}",
                    ui::text("discover-md-grade", lang),
                    grade_words(lang, r.server.grade)
                );
            }
        }
        for c in cautions(d, lang) {
            let _ = writeln!(out, "  * {c}");
        }
    }
    if d.incoming.is_none() {
        let _ = writeln!(out, "{}", ui::text("discover-no-incoming", lang));
    }
    if d.outgoing.is_none() {
        let _ = writeln!(out, "{}", ui::text("discover-no-outgoing", lang));
    }
    if !d.found() && !d.provider.as_ref().is_some_and(|p| p.not_for_mail_apps) {
        let _ = writeln!(
            out,
            "{}",
            ui::fill("discover-nothing-hint", lang, &[("address", &d.address)])
        );
    }
}

fn human_screens(out: &mut String, d: &Discovery, lang: Lang) {
    for screen in screens(d, lang) {
        let _ = writeln!(out);
        let _ = writeln!(out, "■ {}", screen.heading);
        for (indent, line) in screen.lines {
            let _ = writeln!(out, "{}{line}", "  ".repeat(indent + 1));
        }
    }
}

fn human_sources(out: &mut String, d: &Discovery, lang: Lang) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", sources_heading(d, lang));
    for s in &d.sources {
        let (result, detail) = source_result(s, lang);
        let mut line = format!("  {}  {}: {result}", kind(lang, s.kind), s.target);
        if !detail.is_empty() {
            let _ = write!(line, " ({detail})");
        }
        let t = timing(s, lang);
        if !t.is_empty() {
            let _ = write!(line, "  {t}");
        }
        let _ = writeln!(out, "{line}");
    }
}

fn human_candidates(out: &mut String, d: &Discovery, lang: Lang) {
    if d.candidates.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", candidates_heading(d, lang));
    for (i, c) in d.candidates.iter().enumerate() {
        let star = if chosen(d, i) { "*" } else { " " };
        let mut line = format!(
            "  {star}{} {:<44} {}: {}",
            marker(c),
            c.server.endpoint().describe(),
            kind(lang, c.source),
            status(lang, c.status)
        );
        if !c.detail.is_empty() && !quiet(c.status) {
            let detail: String = c.detail.chars().take(120).collect();
            let _ = write!(line, " ({detail})");
        }
        if c.server.grade.is_some() {
            let _ = write!(line, " [{}]", grade_words(lang, c.server.grade));
        }
        if let Some(e) = c.elapsed_ms {
            let _ = write!(line, "  {}", ms(lang, e));
        }
        let _ = writeln!(out, "{line}");
    }
}

// ---------------------------------------------------------------------------------------
// Markdown

/// One row of the settings table: how to fill a column.
type Row<'a> = Box<dyn Fn(&Recommendation) -> String + 'a>;

/// The Markdown form: a settings sheet.
pub fn markdown(d: &Discovery, lang: Lang) -> String {
    let mut out = String::new();
    markdown_head(&mut out, d, lang);
    markdown_settings(&mut out, d, lang);
    markdown_screens(&mut out, d, lang);
    markdown_sources(&mut out, d, lang);
    markdown_candidates(&mut out, d, lang);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}",
        ui::fill(
            "discover-md-footer",
            lang,
            &[
                ("version", &d.maildoc_version),
                ("elapsed", &seconds(d.elapsed_ms))
            ]
        )
    );
    out
}

fn markdown_head(out: &mut String, d: &Discovery, lang: Lang) {
    let _ = writeln!(
        out,
        "# {}",
        ui::fill("discover-title", lang, &[("address", &d.address)])
    );
    let _ = writeln!(out);
    for line in provider_lines(d, lang) {
        let _ = writeln!(out, "- {line}");
    }
    for n in notes(d, lang) {
        let _ = writeln!(out, "- {}: {n}", ui::text("discover-notes", lang));
    }
    if let Some((heading, lines)) = per_contract(d, lang) {
        let _ = writeln!(out, "- {heading}:");
        for line in lines {
            let _ = writeln!(out, "  - {}", cell(&line));
        }
    }
    let _ = writeln!(out);
}

/// The settings table: a head per recommended server, then each item's label and cells.
struct SettingsTable {
    heads: Vec<String>,
    rows: Vec<(&'static str, Vec<String>)>,
}

/// The settings table of what discovery recommends; `None` when it recommends nothing.
fn settings_table(d: &Discovery, lang: Lang) -> Option<SettingsTable> {
    let columns = recommended(d);
    if columns.is_empty() {
        return None;
    }
    let alternative = d.alternative.as_ref().map(|a| a.candidate);
    let heads: Vec<String> = columns
        .iter()
        .map(|r| {
            if Some(r.candidate) == alternative {
                format!(
                    "{} ({})",
                    ui::text("discover-alternative", lang),
                    r.server.protocol.label()
                )
            } else {
                role_label(lang, r)
            }
        })
        .collect();
    let mut items: Vec<(&str, Row)> = vec![
        (
            "discover-md-protocol",
            Box::new(|r| r.server.protocol.label().to_string()),
        ),
        ("discover-md-host", Box::new(|r| r.server.host.clone())),
        ("discover-md-port", Box::new(|r| r.server.port.to_string())),
        (
            "discover-md-security",
            Box::new(|r| security(lang, r.server.security)),
        ),
        ("discover-md-username", Box::new(|r| username(&r.server))),
        (
            "discover-md-auth",
            Box::new(|r| auth(lang, &r.server).to_string()),
        ),
        (
            "discover-md-source",
            Box::new(|r| format!("{} ({})", kind(lang, r.source), r.from)),
        ),
    ];
    if columns.iter().any(|r| r.server.grade.is_some()) {
        items.push((
            "discover-md-grade",
            Box::new(|r| grade_words(lang, r.server.grade)),
        ));
    }
    let rows = items
        .iter()
        .map(|(key, value)| (*key, columns.iter().map(|r| value(r)).collect()))
        .collect();
    Some(SettingsTable { heads, rows })
}

/// What is missing or needs care besides the table.
fn settings_notes(d: &Discovery, lang: Lang) -> Vec<String> {
    let mut notes = cautions(d, lang);
    if d.incoming.is_none() {
        notes.push(ui::text("discover-no-incoming", lang).to_string());
    }
    if d.outgoing.is_none() {
        notes.push(ui::text("discover-no-outgoing", lang).to_string());
    }
    notes
}

/// The settings table, one column per recommended server, and the cautions.
fn markdown_settings(out: &mut String, d: &Discovery, lang: Lang) {
    let _ = writeln!(out, "## {}", ui::text("discover-md-settings", lang));
    let _ = writeln!(out);
    let Some(table) = settings_table(d, lang) else {
        let _ = writeln!(out, "{}", ui::text("discover-no-incoming", lang));
        let _ = writeln!(out, "{}", ui::text("discover-no-outgoing", lang));
        return;
    };
    let _ = writeln!(
        out,
        "| {} | {} |",
        ui::text("discover-md-item", lang),
        table.heads.join(" | ")
    );
    let _ = writeln!(out, "|---|{}", "---|".repeat(table.heads.len()));
    for (key, values) in &table.rows {
        let cells: Vec<String> = values.iter().map(|v| cell(v)).collect();
        let _ = writeln!(out, "| {} | {} |", ui::text(key, lang), cells.join(" | "));
    }
    let _ = writeln!(out);
    for n in settings_notes(d, lang) {
        let _ = writeln!(out, "- {n}");
    }
}

fn markdown_screens(out: &mut String, d: &Discovery, lang: Lang) {
    for screen in screens(d, lang) {
        let _ = writeln!(out);
        let _ = writeln!(out, "### {}", screen.heading);
        let _ = writeln!(out);
        for (indent, line) in screen.lines {
            let _ = writeln!(out, "{}- {}", "  ".repeat(indent), cell(&line));
        }
    }
}

fn markdown_sources(out: &mut String, d: &Discovery, lang: Lang) {
    let _ = writeln!(out);
    let _ = writeln!(out, "## {}", sources_heading(d, lang));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} |",
        ui::text("discover-md-kind", lang),
        ui::text("discover-md-target", lang),
        ui::text("discover-md-result", lang),
        ui::text("discover-md-detail", lang),
        ui::text("discover-md-time", lang)
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for s in &d.sources {
        let (result, detail) = source_result(s, lang);
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} |",
            kind(lang, s.kind),
            cell(&s.target),
            result,
            cell(&detail),
            timing(s, lang)
        );
    }
}

fn markdown_candidates(out: &mut String, d: &Discovery, lang: Lang) {
    if d.candidates.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "## {}", candidates_heading(d, lang));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} |",
        ui::text("discover-md-server", lang),
        ui::text("discover-md-kind", lang),
        ui::text("discover-md-result", lang),
        ui::text("discover-md-detail", lang),
        ui::text("discover-md-time", lang)
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for (i, c) in d.candidates.iter().enumerate() {
        let star = if chosen(d, i) { " **\\***" } else { "" };
        let detail: String = if quiet(c.status) {
            String::new()
        } else {
            c.detail.chars().take(160).collect()
        };
        let detail = [detail, grade_words(lang, c.server.grade)]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" / ");
        let _ = writeln!(
            out,
            "| `{}`{star} | {} | {} | {} | {} |",
            c.server.endpoint().describe(),
            kind(lang, c.source),
            status(lang, c.status),
            cell(&detail),
            c.elapsed_ms.map(|e| ms(lang, e)).unwrap_or_default()
        );
    }
}
