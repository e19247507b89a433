//! `maildoc discover ADDRESS`: the settings for a mail app, shown as the fields of iPhone,
//! Outlook and Thunderbird, then every source consulted. `--format json` is the
//! [`Discovery`] itself; `--format markdown` is a settings sheet to print or keep.

use crate::args::{self, DiscoverArgs, FormatArg};
use crate::usage_error;
use maildoc_engine::discover::{
    Candidate, CandidateStatus, DiscoverOptions, Discovery, FoundBy, Recommendation, Server,
    Source, SourceKind, SourceOutcome,
};
use maildoc_model::provider::UsernameRule;
use maildoc_model::{Protocol, Security};
use maildoc_report::{Client, Lang, ui};
use std::fmt::Write as _;
use std::process::ExitCode;

pub fn run(args: DiscoverArgs, lang_flag: Option<&str>) -> ExitCode {
    let lang = args::language(lang_flag);
    if let Some(problem) = crate::address::problem(&args.address, lang) {
        return crate::usage(&problem);
    }
    let net = match args.net.checked(lang) {
        Ok(n) => n,
        Err(code) => return code,
    };
    let opts = DiscoverOptions {
        dns_server: net.dns_server,
        ca_pem: net.ca_pem,
        timeout: net.timeout,
    };
    let runtime = match crate::runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let found = match runtime.block_on(maildoc_engine::discover(&args.address, &opts)) {
        Ok(d) => d,
        Err(e) => return usage_error(lang, "error-input", &e.0),
    };
    let text = match args.format {
        FormatArg::Json => serde_json::to_string_pretty(&found)
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
        FormatArg::Markdown => markdown(&found, lang),
        FormatArg::Human => human(&found, lang),
    };
    crate::write_result(&text, !found.found())
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

/// Lines under the recommendation: what to know about the user name and the encryption.
fn cautions(d: &Discovery, lang: Lang) -> Vec<String> {
    let chosen: Vec<&Recommendation> = [&d.incoming, &d.outgoing, &d.alternative]
        .into_iter()
        .flatten()
        .collect();
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
    let sep = match lang {
        Lang::Ja => ": ",
        Lang::En => ": ",
    };
    format!("{}{sep}{value}", ui::text(key, lang))
}

fn screens(incoming: &Server, outgoing: &Server, lang: Lang) -> Vec<Screen> {
    let password = ui::text("discover-password-value", lang);
    let on_off = |s: Security| {
        ui::text(
            if s == Security::Plain {
                "discover-off"
            } else {
                "discover-on"
            },
            lang,
        )
    };
    let iphone = Screen {
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
            (
                0,
                ui::fill(
                    "discover-iphone-advanced-in",
                    lang,
                    &[
                        ("ssl", on_off(incoming.security)),
                        ("port", &incoming.port.to_string()),
                    ],
                ),
            ),
            (
                0,
                ui::fill(
                    "discover-iphone-advanced-out",
                    lang,
                    &[
                        ("ssl", on_off(outgoing.security)),
                        ("port", &outgoing.port.to_string()),
                    ],
                ),
            ),
        ],
    };
    let outlook_protocol = protocol_for(Client::Outlook, incoming.protocol);
    let outlook = Screen {
        heading: Client::Outlook.label(lang).to_string(),
        lines: vec![
            (
                0,
                ui::fill(
                    "discover-outlook-path",
                    lang,
                    &[("protocol", outlook_protocol)],
                ),
            ),
            (0, field(lang, "discover-outlook-type", outlook_protocol)),
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
                        ("protocol", outlook_protocol),
                        ("in_port", &incoming.port.to_string()),
                        ("in_security", &security(lang, incoming.security)),
                        ("out_port", &outgoing.port.to_string()),
                        ("out_security", &security(lang, outgoing.security)),
                    ],
                ),
            ),
            (0, ui::text("discover-outlook-auth", lang).to_string()),
        ],
    };
    let tb_fields = |s: &Server| {
        ui::fill(
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
        )
    };
    let thunderbird = Screen {
        heading: Client::Thunderbird.label(lang).to_string(),
        lines: vec![
            (0, ui::text("discover-thunderbird-path", lang).to_string()),
            (
                0,
                format!(
                    "{}: {}",
                    ui::text("discover-thunderbird-incoming", lang),
                    tb_fields(incoming)
                ),
            ),
            (
                0,
                format!(
                    "{}: {}",
                    ui::text("discover-thunderbird-outgoing", lang),
                    tb_fields(outgoing)
                ),
            ),
        ],
    };
    vec![iphone, outlook, thunderbird]
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
    [&d.incoming, &d.outgoing, &d.alternative]
        .into_iter()
        .flatten()
        .any(|r| r.candidate == index)
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

// ---------------------------------------------------------------------------------------
// Human

pub fn human(d: &Discovery, lang: Lang) -> String {
    let mut out = String::new();
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
    let _ = writeln!(out);
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
    if let (Some(i), Some(o)) = (&d.incoming, &d.outgoing) {
        for screen in screens(&i.server, &o.server, lang) {
            let _ = writeln!(out);
            let _ = writeln!(out, "■ {}", screen.heading);
            for (indent, line) in screen.lines {
                let _ = writeln!(out, "{}{line}", "  ".repeat(indent + 1));
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}",
        ui::fill(
            "discover-sources",
            lang,
            &[("count", &d.sources.len().to_string())]
        )
    );
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
    if !d.candidates.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            ui::fill(
                "discover-candidates",
                lang,
                &[("count", &d.candidates.len().to_string())]
            )
        );
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
            if let Some(e) = c.elapsed_ms {
                let _ = write!(line, "  {}", ms(lang, e));
            }
            let _ = writeln!(out, "{line}");
        }
    }
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

// ---------------------------------------------------------------------------------------
// Markdown

/// One row of the settings table: its label and how to fill a column.
type Row<'a> = Box<dyn Fn(&Recommendation) -> String + 'a>;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(d: &Discovery, lang: Lang) -> String {
    let mut out = String::new();
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
    let _ = writeln!(out);
    let _ = writeln!(out, "## {}", ui::text("discover-md-settings", lang));
    let _ = writeln!(out);
    let columns: Vec<&Recommendation> = [&d.incoming, &d.outgoing, &d.alternative]
        .into_iter()
        .flatten()
        .collect();
    if columns.is_empty() {
        let _ = writeln!(out, "{}", ui::text("discover-no-incoming", lang));
        let _ = writeln!(out, "{}", ui::text("discover-no-outgoing", lang));
    } else {
        let heads: Vec<String> = columns
            .iter()
            .map(|r| {
                if Some(r.candidate) == d.alternative.as_ref().map(|a| a.candidate) {
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
        let _ = writeln!(
            out,
            "| {} | {} |",
            ui::text("discover-md-item", lang),
            heads.join(" | ")
        );
        let _ = writeln!(out, "|---|{}", "---|".repeat(columns.len()));
        let rows: [(&str, Row); 7] = [
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
        for (key, value) in &rows {
            let cells: Vec<String> = columns.iter().map(|r| cell(&value(r))).collect();
            let _ = writeln!(out, "| {} | {} |", ui::text(key, lang), cells.join(" | "));
        }
        let _ = writeln!(out);
        for c in cautions(d, lang) {
            let _ = writeln!(out, "- {c}");
        }
        if d.incoming.is_none() {
            let _ = writeln!(out, "- {}", ui::text("discover-no-incoming", lang));
        }
        if d.outgoing.is_none() {
            let _ = writeln!(out, "- {}", ui::text("discover-no-outgoing", lang));
        }
    }
    if let (Some(i), Some(o)) = (&d.incoming, &d.outgoing) {
        for screen in screens(&i.server, &o.server, lang) {
            let _ = writeln!(out);
            let _ = writeln!(out, "### {}", screen.heading);
            let _ = writeln!(out);
            for (indent, line) in screen.lines {
                let _ = writeln!(out, "{}- {}", "  ".repeat(indent), cell(&line));
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "## {}",
        ui::fill(
            "discover-sources",
            lang,
            &[("count", &d.sources.len().to_string())]
        )
    );
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
    if !d.candidates.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "## {}",
            ui::fill(
                "discover-candidates",
                lang,
                &[("count", &d.candidates.len().to_string())]
            )
        );
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
