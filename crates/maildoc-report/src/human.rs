//! The terminal report: one line per server with a dot, then the findings, most serious
//! first, each with its cause and fix; transcripts with `--verbose`.

use crate::{facts, finding_block, ui};
use maildoc_kb::Lang;
use maildoc_model::{Origin, ProbeDepth, Report, ServerStatus, Severity};
use std::fmt::Write;

/// How the terminal output looks.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub verbose: bool,
    /// Show the fix steps of this mail app (all apps' steps are in the Markdown report).
    pub client: Option<maildoc_kb::Client>,
}

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

fn paint(style: Style, color: &str, text: &str) -> String {
    if style.color {
        format!("{color}{text}{RESET}")
    } else {
        text.to_string()
    }
}

fn dot(style: Style, status: ServerStatus, lang: Lang) -> String {
    let (color, marker) = match status {
        ServerStatus::Ok => (GREEN, "marker-ok"),
        ServerStatus::Warning => (YELLOW, "marker-warning"),
        ServerStatus::Error => (RED, "marker-error"),
    };
    if style.color {
        paint(style, color, "●")
    } else {
        ui::text(marker, lang).to_string()
    }
}

fn status_word(status: ServerStatus, lang: Lang) -> &'static str {
    ui::text(
        match status {
            ServerStatus::Ok => "status-ok",
            ServerStatus::Warning => "status-warning",
            ServerStatus::Error => "status-error",
        },
        lang,
    )
}

pub fn render(report: &Report, lang: Lang, style: Style) -> String {
    let mut out = String::new();
    let seconds = format!("{:.1}", report.elapsed_ms as f64 / 1000.0);
    let _ = writeln!(
        out,
        "{}  {}",
        paint(
            style,
            BOLD,
            &ui::fill("title", lang, &[("address", &report.target.address)])
        ),
        paint(
            style,
            DIM,
            &ui::fill("elapsed", lang, &[("seconds", &seconds)])
        )
    );
    let _ = writeln!(out, "{}", crate::source_line(report, lang));
    let _ = writeln!(
        out,
        "{}",
        ui::fill("username", lang, &[("username", &report.target.username)])
    );
    let _ = writeln!(out);
    for (server, tried) in crate::server_rows(report) {
        let status = report.server_status(&server.id);
        let companion = server.depth == ProbeDepth::PortOnly || server.origin == Origin::Companion;
        let mut facts = facts::summary(server, report.started_at_unix, lang);
        if companion {
            facts.insert(0, ui::text("companion", lang).to_string());
        }
        let _ = writeln!(
            out,
            "{} {:<44} {}  {}",
            dot(style, status, lang),
            server.endpoint.describe(),
            status_word(status, lang),
            paint(style, DIM, &facts.join(", "))
        );
        // The other ports tried for it, a line each under its dot.
        for alt in tried {
            let facts = facts::summary(alt, report.started_at_unix, lang);
            let _ = writeln!(
                out,
                "    {} {}",
                crate::alternative_label(alt, lang),
                paint(style, DIM, &facts.join(", "))
            );
        }
    }
    let findings = report.sorted_findings();
    let _ = writeln!(out);
    if !report.has_problems() {
        let _ = writeln!(
            out,
            "{}",
            paint(style, GREEN, ui::text("no-problems", lang))
        );
    }
    if !findings.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint(
                style,
                BOLD,
                &ui::fill("findings", lang, &[("count", &findings.len().to_string())])
            )
        );
    }
    for f in findings {
        let block = finding_block(report, f, lang);
        let color = match f.severity {
            Severity::Error => RED,
            Severity::Warning => YELLOW,
            Severity::Info => DIM,
        };
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} {}",
            paint(style, color, &format!("[{}]", block.severity)),
            paint(style, BOLD, &block.title)
        );
        if let Some(server) = &block.server {
            let _ = writeln!(
                out,
                "  {server}  {}",
                paint(style, DIM, &format!("({})", f.code))
            );
        } else {
            let _ = writeln!(out, "  {}", paint(style, DIM, &format!("({})", f.code)));
        }
        let _ = writeln!(out, "  {}: {}", ui::text("cause", lang), block.cause);
        let _ = writeln!(out, "  {}: {}", ui::text("fix", lang), block.fix);
        if let Some(wanted) = style.client {
            let label = wanted.label(lang);
            for (client, steps) in block.clients.iter().filter(|(c, _)| c == label) {
                let _ = writeln!(out, "    - {client}: {steps}");
            }
        }
        if !block.evidence.is_empty() {
            let _ = writeln!(
                out,
                "  {}",
                paint(
                    style,
                    DIM,
                    &format!(
                        "{}: {}",
                        ui::text("evidence", lang),
                        block.evidence.join("; ")
                    )
                )
            );
        }
    }
    if let Some(line) = crate::status::pointer(report, lang) {
        let _ = writeln!(out);
        let _ = writeln!(out, "{line}");
    }
    let has_client_steps = report
        .findings
        .iter()
        .any(|f| !maildoc_kb::finding_text(f.code, lang).clients.is_empty());
    if style.client.is_none() && has_client_steps {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", paint(style, DIM, ui::text("client-hint", lang)));
    }
    if style.verbose {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", paint(style, BOLD, ui::text("transcripts", lang)));
        for server in &report.servers {
            let _ = writeln!(out);
            let _ = writeln!(out, "== {} ({})", server.endpoint.describe(), server.id);
            for line in crate::timeline(server) {
                let _ = writeln!(out, "   {line}");
            }
        }
    } else if report.servers.iter().any(|s| !s.transcript.is_empty()) {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", paint(style, DIM, ui::text("verbose-hint", lang)));
    }
    out
}
