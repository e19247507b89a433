//! A Markdown report to paste into a support ticket: target, servers, findings with cause and
//! fix, and the transcripts.

use crate::{facts, finding_block, ui};
use maildoc_kb::Lang;
use maildoc_model::{Report, ServerStatus};
use std::fmt::Write;

/// Text made safe for one cell of a Markdown table (or one list line): `|` escaped, line
/// breaks as spaces.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `client` limits the per-app fix steps to one mail app; `None` shows them all.
pub fn render(report: &Report, lang: Lang, client: Option<maildoc_kb::Client>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}",
        ui::fill("title", lang, &[("address", &report.target.address)])
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "- {}: `{}`",
        ui::text("md-target", lang),
        report.target.address
    );
    let _ = writeln!(
        out,
        "- {}",
        ui::fill("username", lang, &[("username", &report.target.username)])
    );
    let _ = writeln!(out, "- {}", crate::source_line(report, lang));
    let _ = writeln!(
        out,
        "- {}: {}",
        ui::text("md-started", lang),
        report.started_at
    );
    let _ = writeln!(
        out,
        "- {}: {}",
        ui::text("md-version", lang),
        report.maildoc_version
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "## {}", ui::text("md-servers", lang));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| {} | {} | {} |",
        ui::text("md-server", lang),
        ui::text("md-status", lang),
        ui::text("md-details", lang)
    );
    let _ = writeln!(out, "|---|---|---|");
    for (s, tried) in crate::server_rows(report) {
        let status = report.server_status(&s.id);
        let word = ui::text(
            match status {
                ServerStatus::Ok => "status-ok",
                ServerStatus::Warning => "status-warning",
                ServerStatus::Error => "status-error",
            },
            lang,
        );
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(&s.endpoint.describe()),
            word,
            cell(&facts::summary(s, report.started_at_unix, lang).join(", "))
        );
        for alt in tried {
            let _ = writeln!(
                out,
                "| {} |  | {} |",
                cell(&crate::alternative_label(alt, lang)),
                cell(&facts::summary(alt, report.started_at_unix, lang).join(", "))
            );
        }
    }
    let _ = writeln!(out);
    let findings = report.sorted_findings();
    let _ = writeln!(
        out,
        "## {}",
        ui::fill("findings", lang, &[("count", &findings.len().to_string())])
    );
    let _ = writeln!(out);
    if !report.has_problems() {
        let _ = writeln!(out, "{}", ui::text("no-problems", lang));
        let _ = writeln!(out);
    }
    for f in findings {
        let b = finding_block(report, f, lang);
        let _ = writeln!(out, "### [{}] {} (`{}`)", b.severity, b.title, f.code);
        let _ = writeln!(out);
        if let Some(server) = &b.server {
            let _ = writeln!(out, "- {}: {server}", ui::text("md-server", lang));
        }
        let _ = writeln!(out, "- {}: {}", ui::text("cause", lang), b.cause);
        let _ = writeln!(out, "- {}: {}", ui::text("fix", lang), b.fix);
        let wanted = client.map(|c| c.label(lang));
        for (label, steps) in &b.clients {
            if wanted.is_none_or(|w| w == label) {
                let _ = writeln!(out, "  - {label}: {steps}");
            }
        }
        for e in &b.evidence {
            let _ = writeln!(
                out,
                "- {}: `{}`",
                ui::text("evidence", lang),
                e.replace('`', "'")
            );
        }
        let _ = writeln!(out);
    }
    if let Some(line) = crate::status::pointer(report, lang) {
        let _ = writeln!(out, "{}\n", cell(&line));
    }
    let _ = writeln!(out, "## {}", ui::text("transcripts", lang));
    for s in &report.servers {
        let _ = writeln!(out);
        let _ = writeln!(out, "### {} ({})", s.endpoint.describe(), s.id);
        let _ = writeln!(out);
        let _ = writeln!(out, "```text");
        for line in crate::timeline(s) {
            let _ = writeln!(out, "{}", line.replace("```", "'''"));
        }
        let _ = writeln!(out, "```");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "{}", ui::text("md-footer", lang));
    out
}
