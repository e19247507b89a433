//! A check report as HTML: the page a web app shows, and the part of it that the triage
//! summary holds.

use crate::{Client, Lang, ui};
use maildoc_model::Report;
use std::fmt::Write as _;

/// A whole HTML page of the check: escaped, one column that reads at phone width, the
/// transcripts folded away (and unfolded on paper).
pub fn html(report: &Report, lang: Lang, client: Option<Client>) -> String {
    use crate::html::escape as e;
    let title = ui::fill("title", lang, &[("address", &report.target.address)]);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>",
        lang.as_str(),
        e(&title)
    );
    let _ = writeln!(
        out,
        "<style>body{{font-family:sans-serif;max-width:48rem;margin:1rem auto;padding:0 1rem;line-height:1.5}}table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #999;padding:.2em .5em;text-align:left;vertical-align:top;overflow-wrap:anywhere}}pre{{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85em}}@media print{{details{{display:block}}}}</style>\n</head>\n<body>"
    );
    let _ = writeln!(out, "<p>{}</p>", e(&crate::source_line(report, lang)));
    html_section(&mut out, report, lang, client);
    let _ = writeln!(out, "</body>\n</html>");
    out
}

/// The check as a part of an HTML page (the triage summary holds one): the servers,
/// the findings with cause, fix and evidence, and the transcripts folded away.
pub fn html_section(out: &mut String, report: &Report, lang: Lang, client: Option<Client>) {
    use crate::html::escape as e;
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
    for (s, tried) in crate::server_rows(report) {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            e(&s.endpoint.describe()),
            e(&crate::facts::summary(s, report.started_at_unix, lang).join(", "))
        );
        for alt in tried {
            let _ = writeln!(
                out,
                "<tr class=\"alternative\"><td>{}</td><td>{}</td></tr>",
                e(&crate::alternative_label(alt, lang)),
                e(&crate::facts::summary(alt, report.started_at_unix, lang).join(", "))
            );
        }
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
        let b = crate::finding_block(report, f, lang);
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
    if let Some(line) = crate::status::pointer(report, lang) {
        let _ = writeln!(out, "<p class=\"status-pointer\">{}</p>", e(&line));
    }
    transcripts(
        out,
        report,
        "<details>",
        ui::text("transcripts", lang),
        "h4",
    );
}

/// Each server's timed steps and transcript, folded away under `summary` in `details` (its
/// opening tag), each server under a heading `level`.
pub(crate) fn transcripts(
    out: &mut String,
    report: &Report,
    details: &str,
    summary: &str,
    level: &str,
) {
    use crate::html::escape as e;
    let _ = writeln!(out, "{details}<summary>{}</summary>", e(summary));
    for s in &report.servers {
        let _ = writeln!(
            out,
            "<{level}>{} ({})</{level}>\n<pre>",
            e(&s.endpoint.describe()),
            e(&s.id)
        );
        for line in crate::timeline(s) {
            let _ = writeln!(out, "{}", e(&line));
        }
        let _ = writeln!(out, "</pre>");
    }
    let _ = writeln!(out, "</details>");
}
