//! The screens of `maildoc message` and `maildoc roundtrip`: for a terminal, as Markdown for a
//! support ticket, and as JSON. The route reads oldest hop first, with the line above which
//! the receiver's own provider wrote the headers (below it, anything could be forged).

use crate::markdown::cell;
use crate::{Format, Lang, ui};
use maildoc_model::message::{
    DkimVerdict, Hop, HopTls, MessageReport, MessageSource, ReportedAuth, RoundtripReport,
    SpamSignal, SpamVerdict, VerifiedSignature,
};
use maildoc_model::{Finding, Severity};
use std::fmt::Write as _;

/// The message's report in `format`.
pub fn render(r: &MessageReport, format: Format, lang: Lang) -> String {
    match format {
        Format::Json => json(r),
        Format::Markdown => markdown(r, lang),
        Format::Human => human(r, lang),
    }
}

pub fn json(r: &MessageReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default()
}

/// `2026-12-07 03:00:00` (UTC).
fn utc(unix: i64) -> String {
    let t = maildoc_engine::history::rfc3339(unix.saturating_mul(1000));
    match (t.get(..10), t.get(11..19)) {
        (Some(date), Some(time)) => format!("{date} {time}"),
        _ => t,
    }
}

/// A delay in words: `+5 min`, or `-10 min (clock off)`.
fn delay(h: &Hop, lang: Lang) -> String {
    match h.delay_s {
        Some(d) if d < 0 => {
            let words = format!("-{}", crate::duration(d.unsigned_abs(), lang));
            if h.clock_skew {
                format!("{words} ({})", ui::text("message-clock-off", lang))
            } else {
                words
            }
        }
        Some(d) => format!("+{}", crate::duration(d.unsigned_abs(), lang)),
        None => String::new(),
    }
}

/// Who handed the message over: `name [address]`.
fn sender(h: &Hop) -> String {
    let name = h.from_rdns.as_deref().or(h.from.as_deref());
    match (name, h.from_ip.as_deref()) {
        (Some(n), Some(ip)) if n != ip && n != format!("[{ip}]") => format!("{n} [{ip}]"),
        (Some(n), _) => n.to_owned(),
        (None, Some(ip)) => format!("[{ip}]"),
        (None, None) => "-".to_owned(),
    }
}

fn tls(h: &Hop, lang: Lang) -> &'static str {
    if h.local {
        return ui::text("message-local", lang);
    }
    match h.tls {
        HopTls::Tls => ui::text("message-tls", lang),
        HopTls::None => ui::text("message-no-tls", lang),
        HopTls::Unknown => ui::text("message-tls-unknown", lang),
    }
}

/// The organisation the receiver's hops belong to, as the trusted line names it.
fn receiver(r: &MessageReport) -> String {
    r.receiver.clone().unwrap_or_else(|| "?".to_owned())
}

/// One report's results on a line: `spf=pass (smtp.mailfrom=a@example.jp) dkim=...`.
fn results_line(a: &ReportedAuth) -> String {
    let parts: Vec<String> = a
        .results
        .iter()
        .map(|x| {
            let props: Vec<String> = x.props.iter().map(|(k, v)| format!("{k}={v}")).collect();
            if props.is_empty() {
                format!("{}={}", x.method, x.result)
            } else {
                format!("{}={} ({})", x.method, x.result, props.join(" "))
            }
        })
        .collect();
    parts.join("  ")
}

/// What maildoc's own verification gave, a line each: `d=example.jp s=sel1 (rsa-sha256): pass`.
fn verified_lines(r: &MessageReport, lang: Lang) -> Vec<String> {
    if !r.auth.verified_online {
        return vec![ui::text("message-verified-offline", lang).to_owned()];
    }
    let mut lines: Vec<String> = Vec::new();
    if let Some(spf) = &r.auth.spf {
        lines.push(ui::fill(
            "message-verified-spf",
            lang,
            &[
                ("ip", &spf.ip),
                ("domain", &spf.domain),
                ("result", &spf.result),
            ],
        ));
    }
    if let Some(d) = &r.auth.dmarc {
        let how = match (d.spf_aligned, d.dkim_aligned) {
            (true, true) => "SPF, DKIM",
            (true, false) => "SPF",
            (false, true) => "DKIM",
            (false, false) => "-",
        };
        lines.push(ui::fill(
            "message-verified-dmarc",
            lang,
            &[
                ("domain", &d.from_domain),
                ("policy", d.policy.as_deref().unwrap_or("-")),
                ("result", &d.result),
                ("aligned", how),
            ],
        ));
    }
    if r.auth.verified.is_empty() {
        lines.push(ui::text("message-verified-none", lang).to_owned());
        return lines;
    }
    lines.extend(r.auth.verified.iter().map(|s: &VerifiedSignature| {
        let key = match s.result {
            DkimVerdict::Pass => "dkim-verdict-pass",
            DkimVerdict::Fail => "dkim-verdict-fail",
            DkimVerdict::BodyModified => "dkim-verdict-body-modified",
            DkimVerdict::Expired => "dkim-verdict-expired",
            DkimVerdict::Revoked => "dkim-verdict-revoked",
            DkimVerdict::KeyMissing => "dkim-verdict-key-missing",
            DkimVerdict::KeyUnavailable => "dkim-verdict-key-unavailable",
            DkimVerdict::NoBody => "dkim-verdict-no-body",
            DkimVerdict::Unsupported => "dkim-verdict-unsupported",
        };
        format!(
            "DKIM d={} s={} ({}): {}",
            s.domain,
            s.selector,
            s.algorithm,
            ui::text(key, lang)
        )
    }));
    lines
}

fn verdict(s: &SpamSignal, lang: Lang) -> String {
    let word = ui::text(
        match s.verdict {
            SpamVerdict::Spam => "message-verdict-spam",
            SpamVerdict::NotSpam => "message-verdict-not-spam",
            SpamVerdict::Info => "message-verdict-info",
        },
        lang,
    );
    match &s.score {
        Some(score) => format!("{word} ({score})"),
        None => word.to_owned(),
    }
}

/// A finding's title, cause and fix, its params in words.
fn words(f: &Finding, lang: Lang) -> (String, String, String) {
    let text = maildoc_kb::finding_text(f.code, lang);
    let params = crate::localized_params(f, lang);
    (
        maildoc_kb::fill(&text.title, &params),
        maildoc_kb::fill(&text.cause, &params),
        maildoc_kb::fill(&text.fix, &params),
    )
}

fn summary_lines(r: &MessageReport, lang: Lang) -> Vec<(String, String)> {
    let s = &r.summary;
    let date = s.date.as_ref().map(|d| match s.date_unix {
        Some(u) => format!("{d} ({} UTC)", utc(u)),
        None => d.clone(),
    });
    [
        ("message-subject", s.subject.clone()),
        ("message-from", s.from.clone()),
        ("message-to", s.to.clone()),
        ("message-date", date),
        ("Message-ID", s.message_id.clone()),
    ]
    .into_iter()
    .filter_map(|(key, value)| {
        let label = if key.starts_with("message-") {
            ui::text(key, lang).to_owned()
        } else {
            key.to_owned()
        };
        value.map(|v| (label, v))
    })
    .collect()
}

fn source_note(r: &MessageReport, lang: Lang) -> Option<&'static str> {
    match r.source {
        MessageSource::Headers => Some(ui::text("message-headers-only", lang)),
        MessageSource::Mbox => Some(ui::text("message-mbox", lang)),
        MessageSource::Message => None,
    }
}

/// What a message's headers carry may hold control characters (an escape sequence in a
/// host name would drive the terminal): each is shown as U+FFFD.
fn printable(text: String) -> String {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return text;
    }
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// The screen for a terminal.
pub fn human(r: &MessageReport, lang: Lang) -> String {
    printable(human_text(r, lang))
}

/// The Markdown form, for a support ticket: the findings first, then the route as a table.
pub fn markdown(r: &MessageReport, lang: Lang) -> String {
    printable(markdown_text(r, lang))
}

fn human_text(r: &MessageReport, lang: Lang) -> String {
    let mut out = format!("{}\n", ui::text("message-title", lang));
    for (label, value) in summary_lines(r, lang) {
        let _ = writeln!(out, "  {label}: {value}");
    }
    if let Some(note) = source_note(r, lang) {
        let _ = writeln!(out, "  {note}");
    }
    let _ = writeln!(out, "\n{}", ui::text("message-route", lang));
    if r.hops.is_empty() {
        let _ = writeln!(out, "  {}", ui::text("message-no-hops", lang));
    }
    for h in &r.hops {
        if r.trusted_from_hop == Some(h.number) && h.number > 1 {
            let line = ui::fill("message-trusted-line", lang, &[("receiver", &receiver(r))]);
            let _ = writeln!(out, "  {line}");
        }
        let time = h.time_unix.map(utc).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:>2}  {} → {}  {}  {}  {}  {}",
            h.number,
            sender(h),
            h.by.as_deref().unwrap_or("-"),
            h.with.as_deref().unwrap_or("-"),
            tls(h, lang),
            time,
            delay(h, lang)
        );
    }
    if let Some(total) = r.total_delay_s {
        let words = if total < 0 {
            format!("-{}", crate::duration(total.unsigned_abs(), lang))
        } else {
            crate::duration(total.unsigned_abs(), lang)
        };
        let _ = writeln!(
            out,
            "  {}",
            ui::fill("message-total", lang, &[("total", &words)])
        );
    }
    let _ = writeln!(out, "\n{}", ui::text("message-auth", lang));
    if r.auth.reported.is_empty() {
        let _ = writeln!(out, "  {}", ui::text("message-auth-none", lang));
    }
    for a in &r.auth.reported {
        let who = a.authserv_id.as_deref().unwrap_or("?");
        let mark = if a.trusted {
            String::new()
        } else {
            format!(" {}", ui::text("message-auth-untrusted", lang))
        };
        let _ = writeln!(out, "  {} {who}{mark}: {}", a.header, results_line(a));
    }
    let _ = writeln!(out, "\n{}", ui::text("message-verified", lang));
    for line in verified_lines(r, lang) {
        let _ = writeln!(out, "  {line}");
    }
    if !r.spam.is_empty() {
        let _ = writeln!(out, "\n{}", ui::text("message-spam", lang));
        for s in &r.spam {
            let _ = writeln!(out, "  {}: {} → {}", s.header, s.value, verdict(s, lang));
        }
    }
    if !r.encoding.is_empty() {
        let _ = writeln!(out, "\n{}", ui::text("message-encoding", lang));
        for n in &r.encoding {
            let _ = writeln!(out, "  {}: {}", n.header, n.charsets.join(", "));
        }
    }
    out.push('\n');
    findings_text(&mut out, &r.findings, "message-no-findings", lang);
    out
}

fn markdown_text(r: &MessageReport, lang: Lang) -> String {
    let mut out = format!("# {}\n\n", ui::text("message-title", lang));
    for (label, value) in summary_lines(r, lang) {
        let _ = writeln!(out, "- **{}**: {}", cell(&label), cell(&value));
    }
    if let Some(note) = source_note(r, lang) {
        let _ = writeln!(out, "\n{note}");
    }
    let count = r.findings.len().to_string();
    let heading = if r.findings.is_empty() {
        ui::text("message-no-findings", lang).to_owned()
    } else {
        ui::fill("message-findings", lang, &[("count", &count)])
    };
    let _ = writeln!(out, "\n## {heading}\n");
    findings_markdown(&mut out, &r.findings, lang);
    let _ = writeln!(out, "## {}\n", ui::text("message-route", lang));
    if r.hops.is_empty() {
        let _ = writeln!(out, "{}\n", ui::text("message-no-hops", lang));
    } else {
        let columns = [
            "message-column-hop",
            "message-column-from",
            "message-column-by",
            "message-column-with",
            "message-tls",
            "message-column-time",
            "message-column-delay",
        ];
        let head: Vec<&str> = columns.iter().map(|k| ui::text(k, lang)).collect();
        let _ = writeln!(out, "| {} |", head.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(columns.len()));
        for h in &r.hops {
            if r.trusted_from_hop == Some(h.number) && h.number > 1 {
                let line = ui::fill("message-trusted-line", lang, &[("receiver", &receiver(r))]);
                let _ = writeln!(out, "| | {} | | | | | |", cell(&line));
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                h.number,
                cell(&sender(h)),
                cell(h.by.as_deref().unwrap_or("-")),
                cell(h.with.as_deref().unwrap_or("-")),
                tls(h, lang),
                h.time_unix.map(utc).unwrap_or_default(),
                cell(&delay(h, lang))
            );
        }
        if let Some(total) = r.total_delay_s.filter(|t| *t >= 0) {
            let words = crate::duration(total.unsigned_abs(), lang);
            let _ = writeln!(
                out,
                "\n{}",
                ui::fill("message-total", lang, &[("total", &words)])
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## {}\n", ui::text("message-auth", lang));
    if r.auth.reported.is_empty() {
        let _ = writeln!(out, "{}\n", ui::text("message-auth-none", lang));
    }
    for a in &r.auth.reported {
        let mark = if a.trusted {
            String::new()
        } else {
            format!(" {}", ui::text("message-auth-untrusted", lang))
        };
        let _ = writeln!(
            out,
            "- `{}` {}{}: {}",
            a.header,
            cell(a.authserv_id.as_deref().unwrap_or("?")),
            mark,
            cell(&results_line(a))
        );
    }
    let _ = writeln!(out, "\n## {}\n", ui::text("message-verified", lang));
    for line in verified_lines(r, lang) {
        let _ = writeln!(out, "- {}", cell(&line));
    }
    if !r.spam.is_empty() {
        let _ = writeln!(out, "\n## {}\n", ui::text("message-spam", lang));
        for s in &r.spam {
            let _ = writeln!(
                out,
                "- `{}`: {} → {}",
                s.header,
                cell(&s.value),
                verdict(s, lang)
            );
        }
    }
    out
}

/// The message as HTML, for the web app's `/message` page: the findings first, then the
/// route as a table (with the trusted line), the sender checks and the spam verdicts.
pub fn html(r: &MessageReport, lang: Lang) -> String {
    use crate::html::escape as e;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<h2>{}</h2>\n<dl class=\"summary\">",
        e(ui::text("message-title", lang))
    );
    for (label, value) in summary_lines(r, lang) {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", e(&label), e(&value));
    }
    let _ = writeln!(out, "</dl>");
    if let Some(note) = source_note(r, lang) {
        let _ = writeln!(out, "<p>{}</p>", e(note));
    }
    findings_html(&mut out, &r.findings, "message-no-findings", lang);
    let _ = writeln!(out, "<h3>{}</h3>", e(ui::text("message-route", lang)));
    if r.hops.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", e(ui::text("message-no-hops", lang)));
    } else {
        let columns = [
            "message-column-hop",
            "message-column-from",
            "message-column-by",
            "message-column-with",
            "message-tls",
            "message-column-time",
            "message-column-delay",
        ];
        let _ = write!(out, "<div class=\"scroll\"><table class=\"route\">\n<tr>");
        for c in columns {
            let _ = write!(out, "<th>{}</th>", e(ui::text(c, lang)));
        }
        let _ = writeln!(out, "</tr>");
        for h in &r.hops {
            if r.trusted_from_hop == Some(h.number) && h.number > 1 {
                let line = ui::fill("message-trusted-line", lang, &[("receiver", &receiver(r))]);
                let _ = writeln!(
                    out,
                    "<tr class=\"trusted-line\"><td colspan=\"7\">{}</td></tr>",
                    e(&line)
                );
            }
            let _ = writeln!(
                out,
                "<tr data-hop=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                h.number,
                h.number,
                e(&sender(h)),
                e(h.by.as_deref().unwrap_or("-")),
                e(h.with.as_deref().unwrap_or("-")),
                e(tls(h, lang)),
                e(&h.time_unix.map(utc).unwrap_or_default()),
                e(&delay(h, lang))
            );
        }
        let _ = writeln!(out, "</table></div>");
    }
    let _ = writeln!(out, "<h3>{}</h3>\n<ul>", e(ui::text("message-auth", lang)));
    if r.auth.reported.is_empty() {
        let _ = writeln!(out, "<li>{}</li>", e(ui::text("message-auth-none", lang)));
    }
    for a in &r.auth.reported {
        let mark = if a.trusted {
            String::new()
        } else {
            format!(" {}", ui::text("message-auth-untrusted", lang))
        };
        let _ = writeln!(
            out,
            "<li><code>{}</code> {}{}: {}</li>",
            e(&a.header),
            e(a.authserv_id.as_deref().unwrap_or("?")),
            e(&mark),
            e(&results_line(a))
        );
    }
    let _ = writeln!(
        out,
        "</ul>\n<h3>{}</h3>\n<ul>",
        e(ui::text("message-verified", lang))
    );
    for line in verified_lines(r, lang) {
        let _ = writeln!(out, "<li>{}</li>", e(&line));
    }
    let _ = writeln!(out, "</ul>");
    if !r.spam.is_empty() {
        let _ = writeln!(out, "<h3>{}</h3>\n<ul>", e(ui::text("message-spam", lang)));
        for s in &r.spam {
            let _ = writeln!(
                out,
                "<li><code>{}</code>: {} → {}</li>",
                e(&s.header),
                e(&s.value),
                e(&verdict(s, lang))
            );
        }
        let _ = writeln!(out, "</ul>");
    }
    printable(out)
}

/// The findings as HTML sections, under a heading with their count (`none`: the words for
/// no finding).
fn findings_html(out: &mut String, findings: &[Finding], none: &str, lang: Lang) {
    use crate::html::escape as e;
    let count = findings.len().to_string();
    let heading = if findings.is_empty() {
        ui::text(none, lang).to_owned()
    } else {
        ui::fill("message-findings", lang, &[("count", &count)])
    };
    let _ = writeln!(out, "<h3>{}</h3>", e(&heading));
    for f in findings {
        let (title, cause, fix) = words(f, lang);
        let _ = writeln!(
            out,
            "<section class=\"finding {sev}\" data-code=\"{code}\" data-severity=\"{sev}\">\n<h4>{}: {} (<code>{code}</code>)</h4>\n<p><strong>{}</strong>: {}</p>\n<p><strong>{}</strong>: {}</p>\n</section>",
            e(crate::severity_word(f.severity, lang)),
            e(&title),
            e(ui::text("cause", lang)),
            e(&cause),
            e(ui::text("fix", lang)),
            e(&fix),
            sev = f.severity.as_str(),
            code = f.code.as_str(),
        );
    }
}

/// The round trip as HTML, for the web app's `/check` page: sent, arrived (where, how fast)
/// and what became of the copy, the findings, then the copy's headers as `/message` shows
/// them.
pub fn roundtrip_html(r: &RoundtripReport, lang: Lang) -> String {
    use crate::html::escape as e;
    let title = ui::fill("roundtrip-title", lang, &[("from", &r.from), ("to", &r.to)]);
    let state = if r.arrival.is_some() {
        "arrived"
    } else {
        "missing"
    };
    let mut out = format!(
        "<section class=\"roundtrip\" data-roundtrip=\"{state}\">\n<h2>{}</h2>\n<ul>\n",
        e(&title)
    );
    for line in roundtrip_lines(r, lang) {
        let _ = writeln!(out, "<li>{}</li>", e(&line));
    }
    out.push_str("</ul>\n");
    findings_html(&mut out, &r.findings, "roundtrip-ok", lang);
    if let Some(received) = &r.received {
        let _ = writeln!(out, "<h3>{}</h3>", e(ui::text("roundtrip-copy", lang)));
        out.push_str(&html(received, lang));
    }
    out.push_str("</section>\n");
    printable(out)
}

/// The round trip's report in `format`.
pub fn roundtrip_render(r: &RoundtripReport, format: Format, lang: Lang) -> String {
    match format {
        Format::Json => roundtrip_json(r),
        Format::Markdown => roundtrip_markdown(r, lang),
        Format::Human => roundtrip_human(r, lang),
    }
}

/// The round trip for a terminal: sent, arrived (where, how fast), what became of the copy,
/// the findings, then the headers of the copy as `maildoc message` shows them.
pub fn roundtrip_human(r: &RoundtripReport, lang: Lang) -> String {
    let mut out = format!(
        "{}\n",
        ui::fill("roundtrip-title", lang, &[("from", &r.from), ("to", &r.to)])
    );
    for line in roundtrip_lines(r, lang) {
        let _ = writeln!(out, "  {line}");
    }
    out.push('\n');
    findings_text(&mut out, &r.findings, "roundtrip-ok", lang);
    if let Some(received) = &r.received {
        let _ = writeln!(out, "\n{}", ui::text("roundtrip-copy", lang));
        out.push_str(&human_text(received, lang));
    }
    printable(out)
}

/// The round trip as Markdown, for a support ticket.
pub fn roundtrip_markdown(r: &RoundtripReport, lang: Lang) -> String {
    let mut out = format!(
        "# {}\n\n",
        ui::fill("roundtrip-title", lang, &[("from", &r.from), ("to", &r.to)])
    );
    for line in roundtrip_lines(r, lang) {
        let _ = writeln!(out, "- {}", cell(&line));
    }
    out.push('\n');
    findings_markdown(&mut out, &r.findings, lang);
    if let Some(received) = &r.received {
        let _ = writeln!(out, "## {}\n", ui::text("roundtrip-copy", lang));
        out.push_str(&markdown_text(received, lang));
    }
    printable(out)
}

pub fn roundtrip_json(r: &RoundtripReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default()
}

/// Sent, arrived, removed: a line each.
fn roundtrip_lines(r: &RoundtripReport, lang: Lang) -> Vec<String> {
    let mut lines = Vec::new();
    let Some(reply) = &r.accepted else {
        lines.push(ui::text("roundtrip-not-sent", lang).to_owned());
        return lines;
    };
    let server = r
        .sent
        .servers
        .first()
        .map(|s| format!("{}:{}", s.endpoint.host, s.endpoint.port))
        .unwrap_or_default();
    lines.push(ui::fill(
        "roundtrip-sent",
        lang,
        &[("server", &server), ("reply", reply)],
    ));
    match &r.arrival {
        Some(a) => {
            let arrived = match (a.seconds, &a.internaldate) {
                (Some(secs), Some(at)) => ui::fill(
                    "roundtrip-arrived",
                    lang,
                    &[
                        ("folder", &a.folder),
                        // A mailbox clock a moment behind the sender's: at once.
                        (
                            "took",
                            &crate::duration(u64::try_from(secs).unwrap_or(0), lang),
                        ),
                        ("at", at),
                    ],
                ),
                _ => ui::fill("roundtrip-arrived-untimed", lang, &[("folder", &a.folder)]),
            };
            lines.push(arrived);
            lines.push(ui::text(&format!("roundtrip-removed-{}", a.removed), lang).to_owned());
        }
        None => lines.push(ui::fill(
            "roundtrip-not-found",
            lang,
            &[("seconds", &r.waited_at_most_s.to_string())],
        )),
    }
    lines
}

/// Each finding as a Markdown section: severity, title, code, cause and fix.
fn findings_markdown(out: &mut String, findings: &[Finding], lang: Lang) {
    for f in findings {
        let (title, cause, fix) = words(f, lang);
        let mark = match f.severity {
            Severity::Error => "🔴",
            Severity::Warning => "🟡",
            Severity::Info => "🔵",
        };
        let _ = writeln!(
            out,
            "### {mark} {title} (`{}`)\n\n{}: {cause}\n\n{}: {fix}\n",
            f.code.as_str(),
            ui::text("cause", lang),
            ui::text("fix", lang)
        );
    }
}

/// The findings with their cause and fix, or `none_key`'s words.
fn findings_text(out: &mut String, findings: &[Finding], none_key: &str, lang: Lang) {
    if findings.is_empty() {
        let _ = writeln!(out, "{}", ui::text(none_key, lang));
        return;
    }
    let count = findings.len().to_string();
    let _ = writeln!(
        out,
        "{}",
        ui::fill("message-findings", lang, &[("count", &count)])
    );
    for f in findings {
        let (title, cause, fix) = words(f, lang);
        let _ = write!(
            out,
            "\n[{}] {title} ({})\n  {}: {cause}\n  {}: {fix}\n",
            crate::severity_word(f.severity, lang),
            f.code.as_str(),
            ui::text("cause", lang),
            ui::text("fix", lang),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECEIVED: &str = "X-Spam-Flag: YES\r\n\
Received: from mx.example.net by mbox.example.net with LMTP id a; Mon, 07 Dec 2026 03:40:10 +0000\r\n\
Authentication-Results: mx.example.net; spf=softfail smtp.mailfrom=a@example.jp smtp.remote-ip=192.0.2.9; dkim=none; dmarc=fail header.from=example.jp policy.dmarc=quarantine\r\n\
Received: from out.example.jp (out.example.jp [192.0.2.9]) by mx.example.net with ESMTP id b; Mon, 07 Dec 2026 03:40:09 +0000\r\n\
Received: from pc (unknown [192.0.2.20]) by out.example.jp with ESMTPA id c; Mon, 07 Dec 2026 03:00:00 +0000\r\n\
Subject: =?UTF-8?B?44OG44K544OI?=\r\n\
From: a@example.jp\r\n";

    #[test]
    fn the_html_form_escapes_what_the_headers_carry() {
        let r = maildoc_engine::message::analyze(
            b"Received: from <script>x</script> (a [192.0.2.1]) by b.example with ESMTP; Mon, 07 Dec 2026 03:00:00 +0000\r\nSubject: <b>hi</b>\r\n",
        );
        let page = html(&r, Lang::Ja);
        assert!(
            !page.contains("<script>") && !page.contains("<b>hi"),
            "{page}"
        );
        assert!(page.contains("&lt;b&gt;hi&lt;/b&gt;"), "{page}");
        assert!(page.contains("<table class=\"route\">"), "{page}");
    }

    #[test]
    fn control_characters_from_the_headers_never_reach_the_terminal() {
        let r = maildoc_engine::message::analyze(
            b"Received: from a.example by b\x1b[31m.example with ESMTP; Mon, 07 Dec 2026 03:00:00 +0000\r\nSubject: x\x1b]0;title\x07\r\n",
        );
        for text in [human(&r, Lang::En), markdown(&r, Lang::En)] {
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{text:?}"
            );
        }
    }

    #[test]
    fn both_languages_show_the_route_the_line_and_the_findings() {
        let r = maildoc_engine::message::analyze(RECEIVED.as_bytes());
        let en = human(&r, Lang::En);
        assert!(en.contains("Subject: テスト"), "{en}");
        assert!(
            en.contains("from here on, added by your provider (example.net)"),
            "{en}"
        );
        assert!(en.contains("+40 minutes"), "{en}");
        assert!(en.contains("Total: 40 minutes"), "{en}");
        assert!(en.contains("(message-dmarc-fail)"), "{en}");
        assert!(en.contains("The message took 40 minutes to arrive"), "{en}");
        let ja = human(&r, Lang::Ja);
        assert!(
            ja.contains("メールが届くまでに 40 分かかっています"),
            "{ja}"
        );
        assert!(
            en.contains("out.example.jp held the message for 40 minutes"),
            "{en}"
        );
        assert!(ja.contains("迷惑メールフィルター"), "{ja}");
        let md = markdown(&r, Lang::En);
        assert!(
            md.contains("| 2 | out.example.jp [192.0.2.9] | mx.example.net | ESMTP | no TLS |"),
            "{md}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&json(&r)).unwrap_or_default();
        assert_eq!(parsed["schema_version"], 1);
        assert_eq!(parsed["trusted_from_hop"], 2);
        let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "message-dmarc-fail",
                "message-delayed",
                "message-unencrypted-hop",
                "message-unencrypted-hop",
                "message-spf-fail",
                "message-marked-spam"
            ]
        );
    }
}
