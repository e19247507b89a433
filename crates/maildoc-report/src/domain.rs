//! The screens of `maildoc domain`: the facts found, section by section, the findings with
//! cause and fix, and the verdict on the large senders' requirements, as text for a
//! terminal, as Markdown and as a self-contained HTML page.

use crate::html::escape;
use crate::ui;
use maildoc_diagnose::domain::dnsbl::{self, Verdict};
use maildoc_kb::Lang;
use maildoc_model::domain::*;
use maildoc_model::{Area, Code, Finding, ResolveOutcome, Severity};
use std::fmt::Write;

/// What a lookup found: its records (each shortened), or its outcome in words.
fn outcome_word(l: &DnsLookup, lang: Lang) -> String {
    let key = match l.outcome {
        ResolveOutcome::Found if l.records.is_empty() => "domain-outcome-nodata",
        ResolveOutcome::Found => {
            return l
                .records
                .iter()
                .map(|r| crate::shorten(r, 100))
                .collect::<Vec<_>>()
                .join(" | ");
        }
        ResolveOutcome::NotFound => "domain-outcome-nxdomain",
        ResolveOutcome::NoAddress => "domain-outcome-nodata",
        ResolveOutcome::ServerFailure => "domain-outcome-servfail",
        ResolveOutcome::Timeout => "domain-outcome-timeout",
        ResolveOutcome::ResolverError => "domain-outcome-error",
    };
    ui::text(key, lang).to_string()
}

/// One section of facts: its label and its lines.
type Section = (String, Vec<String>);

/// The facts as sections, shared by the human and Markdown forms.
fn facts(r: &DomainReport, lang: Lang) -> Vec<Section> {
    [
        Some(mx(r, lang)),
        sending_ip(r, lang),
        Some(dmarc(r, lang)),
        Some(dkim(r, lang)),
        Some(mta_sts(r, lang)),
        Some(lookup_section("TLS-RPT", &r.tlsrpt, lang)),
        Some(spf(r, lang)),
        blocklists(r, lang),
        smtp(r, lang),
        r.ns.as_ref().map(|ns| lookup_section("NS", ns, lang)),
        r.bimi.as_ref().map(|b| lookup_section("BIMI", b, lang)),
        Some(dnssec(r, lang)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A section of one lookup.
fn lookup_section(label: &str, l: &DnsLookup, lang: Lang) -> Section {
    (
        label.to_string(),
        vec![format!("{}: {}", l.name, outcome_word(l, lang))],
    )
}

/// An address's PTR, and whether a PTR name resolves back to it.
fn ptr_line(rev: &ReverseDns, lang: Lang) -> String {
    format!(
        "{} PTR: {}{}",
        rev.address,
        outcome_word(&rev.ptr, lang),
        if rev.confirmed.is_empty() {
            String::new()
        } else {
            format!(" ({})", ui::text("domain-fcrdns-ok", lang))
        }
    )
}

fn mx(r: &DomainReport, lang: Lang) -> Section {
    let mut lines = vec![format!("{} MX: {}", r.mx.name, outcome_word(&r.mx, lang))];
    for h in r.mx_hosts.iter().filter(|h| h.exchange != ".") {
        lines.push(format!(
            "{} → {}",
            h.exchange,
            outcome_word(&h.addresses, lang)
        ));
        if let Some(c) = &h.cname {
            lines.push(format!("  CNAME {c}"));
        }
        for rev in &h.reverse {
            lines.push(format!("  {}", ptr_line(rev, lang)));
        }
        if let Some(t) = &h.tlsa {
            lines.push(format!("  {} TLSA: {}", t.name, outcome_word(t, lang)));
        }
    }
    ("MX".to_string(), lines)
}

fn sending_ip(r: &DomainReport, lang: Lang) -> Option<Section> {
    let rev = r.sending_ip.as_ref()?;
    Some((
        ui::text("domain-section-sending-ip", lang).to_string(),
        vec![ptr_line(rev, lang)],
    ))
}

fn dmarc(r: &DomainReport, lang: Lang) -> Section {
    let mut lines = vec![format!(
        "{}: {}",
        r.dmarc.lookup.name,
        outcome_word(&r.dmarc.lookup, lang)
    )];
    for l in r
        .dmarc
        .org_lookup
        .iter()
        .chain(&r.dmarc.report_authorizations)
    {
        lines.push(format!("{}: {}", l.name, outcome_word(l, lang)));
    }
    lines.push(ui::fill(
        "domain-org-domain",
        lang,
        &[("org", &r.dmarc.org_domain)],
    ));
    ("DMARC".to_string(), lines)
}

/// The keys found or asked for, then which common selectors were tried.
fn dkim(r: &DomainReport, lang: Lang) -> Section {
    let mut lines: Vec<String> = r
        .dkim
        .iter()
        .filter(|k| k.given || k.lookup.outcome == ResolveOutcome::Found)
        .map(|k| format!("{}: {}", k.lookup.name, outcome_word(&k.lookup, lang)))
        .collect();
    let tried: Vec<&str> = r
        .dkim
        .iter()
        .filter(|k| !k.given)
        .map(|k| k.selector.as_str())
        .collect();
    lines.push(ui::fill(
        "domain-dkim-note",
        lang,
        &[("selectors", &tried.join(", "))],
    ));
    ("DKIM".to_string(), lines)
}

fn mta_sts(r: &DomainReport, lang: Lang) -> Section {
    let mut lines = vec![format!(
        "{}: {}",
        r.mta_sts.txt.name,
        outcome_word(&r.mta_sts.txt, lang)
    )];
    if let Some(p) = &r.mta_sts.policy {
        lines.push(if p.fetched {
            format!(
                "{}: {}",
                p.url,
                p.body.lines().collect::<Vec<_>>().join(" / ")
            )
        } else {
            format!("{}: {}", p.url, p.detail)
        });
    }
    ("MTA-STS".to_string(), lines)
}

fn spf(r: &DomainReport, lang: Lang) -> Section {
    let key = match r.spf_ok {
        None => "domain-spf-not-checked",
        Some(true) => "domain-spf-ok",
        Some(false) => "domain-spf-problem",
    };
    ("SPF".to_string(), vec![ui::text(key, lang).to_string()])
}

/// How many blocklist queries were asked of how many zones, and what they came to.
fn blocklists(r: &DomainReport, lang: Lang) -> Option<Section> {
    if r.dnsbl.is_empty() {
        return None;
    }
    let answered = |verdict: Verdict| {
        r.dnsbl
            .iter()
            .filter(|c| {
                c.query.outcome == ResolveOutcome::Found
                    && dnsbl::classify(&c.query.records) == Some(verdict)
            })
            .count()
            .to_string()
    };
    let absent = r.dnsbl.iter().filter(|c| c.query.is_absent()).count();
    let failed = r.dnsbl.iter().filter(|c| c.query.is_inconclusive()).count();
    let mut zones: Vec<&str> = r.dnsbl.iter().map(|c| c.zone.as_str()).collect();
    zones.sort_unstable();
    zones.dedup();
    let summary = ui::fill(
        "domain-dnsbl-summary",
        lang,
        &[
            ("queries", &r.dnsbl.len().to_string()),
            ("zones", &zones.len().to_string()),
            ("listed", &answered(Verdict::Listed)),
            ("refused", &answered(Verdict::Refused)),
            ("clean", &absent.to_string()),
            ("failed", &failed.to_string()),
        ],
    );
    Some(("DNSBL".to_string(), vec![summary]))
}

/// Each MX host's port 25: fine, or the code of what was found there.
fn smtp(r: &DomainReport, lang: Lang) -> Option<Section> {
    if r.smtp.is_empty() {
        return None;
    }
    let lines = r
        .smtp
        .iter()
        .map(|ev| {
            let host = ev.endpoint.host.as_str();
            let code = r
                .findings
                .iter()
                .find(|f| {
                    matches!(
                        f.code,
                        Code::MxStarttlsMissing
                            | Code::MxCertInvalid
                            | Code::MxSmtpInconclusive
                            | Code::TlsaMismatch
                    ) && f.params.get("mx_host").map(String::as_str) == Some(host)
                })
                .map(|f| f.code.as_str());
            match code {
                None => ui::fill("domain-smtp-ok", lang, &[("host", host)]),
                Some(c) => format!("{host}: {c}"),
            }
        })
        .collect();
    Some(("SMTP (25)".to_string(), lines))
}

/// The domain's zone, then each MX zone, then whether the resolver validated.
fn dnssec(r: &DomainReport, lang: Lang) -> Section {
    let mut lines = Vec::new();
    if let Some(d) = &r.dnssec {
        let keys = r.dnskey.as_ref().map(|k| k.records.join(", "));
        lines.push(dnssec_line(d, keys.as_deref().unwrap_or_default(), lang));
    }
    for d in &r.mx_dnssec {
        lines.push(format!("MX: {}", dnssec_line(d, "", lang)));
    }
    let validated = if r.dnssec_validated() {
        "domain-dnssec-validated"
    } else {
        "domain-dnssec-not-validated"
    };
    lines.push(ui::text(validated, lang).to_string());
    ("DNSSEC".to_string(), lines)
}

/// One zone's DNSSEC status in words; `keys` lists the zone's DNSKEY records when known.
fn dnssec_line(d: &DnssecEvidence, keys: &str, lang: Lang) -> String {
    let key = match d.status {
        DnssecStatus::Unsigned => "domain-dnssec-unsigned",
        DnssecStatus::KeysWithoutDs => "domain-dnssec-keys-without-ds",
        DnssecStatus::Secure => "domain-dnssec-secure",
        DnssecStatus::Bogus => "domain-dnssec-bogus",
        DnssecStatus::Unknown => "domain-dnssec-unknown",
    };
    let mut line = ui::fill(key, lang, &[("zone", &d.zone), ("detail", &d.detail)]);
    if !keys.is_empty() {
        line.push_str(&format!(" (DNSKEY: {keys})"));
    }
    line
}

/// A finding in words.
struct Block {
    severity: Severity,
    code: String,
    title: String,
    cause: String,
    fix: String,
}

/// The findings in words, most severe first.
fn blocks(r: &DomainReport, lang: Lang) -> Vec<Block> {
    let mut sorted: Vec<&Finding> = r.findings.iter().collect();
    sorted.sort_by_key(|f| f.severity);
    sorted
        .into_iter()
        .map(|f| {
            let text = maildoc_kb::finding_text(f.code, lang);
            Block {
                severity: f.severity,
                code: f.code.as_str().to_string(),
                title: maildoc_kb::fill(&text.title, &f.params),
                cause: maildoc_kb::fill(&text.cause, &f.params),
                fix: maildoc_kb::fill(&text.fix, &f.params),
            }
        })
        .collect()
}

/// The findings of `r`, most severe first, each as `[severity] title (code)` (the summary of
/// `maildoc triage`).
pub fn finding_lines(r: &DomainReport, lang: Lang) -> Vec<String> {
    blocks(r, lang)
        .into_iter()
        .map(|b| format!("[{}] {} ({})", b.severity.as_str(), b.title, b.code))
        .collect()
}

/// Whether the domain meets the large senders' requirements, in words.
fn verdict(r: &DomainReport, lang: Lang) -> String {
    let unmet = r
        .findings
        .iter()
        .any(|f| f.code == Code::SenderRequirementsUnmet);
    let key = match (unmet, r.spf_ok.is_some()) {
        (true, _) => "domain-verdict-unmet",
        (false, true) => "domain-verdict-met",
        (false, false) => "domain-verdict-met-without-spf",
    };
    ui::text(key, lang).to_string()
}

/// The screen for a terminal: the facts section by section, the findings with cause and
/// fix, and the verdict.
pub fn human(r: &DomainReport, lang: Lang) -> String {
    let mut s = ui::fill("domain-title", lang, &[("domain", &r.domain)]);
    s.push('\n');
    if let Some(server) = &r.dns_server {
        s.push_str(&ui::fill("domain-dns-server", lang, &[("server", server)]));
        s.push('\n');
    }
    for (label, lines) in facts(r, lang) {
        s.push_str(&format!("\n{label}\n"));
        for l in lines {
            s.push_str(&format!("  {l}\n"));
        }
    }
    let bs = blocks(r, lang);
    s.push('\n');
    if bs.is_empty() {
        s.push_str(ui::text("domain-no-findings", lang));
        s.push('\n');
    } else {
        s.push_str(&ui::fill(
            "domain-findings",
            lang,
            &[("count", &bs.len().to_string())],
        ));
        s.push('\n');
        for b in &bs {
            s.push_str(&format!(
                "\n[{}] {} ({})\n  {}: {}\n  {}: {}\n",
                crate::severity_word(b.severity, lang),
                b.title,
                b.code,
                ui::text("cause", lang),
                b.cause,
                ui::text("fix", lang),
                b.fix
            ));
        }
    }
    s.push('\n');
    s.push_str(&verdict(r, lang));
    s.push('\n');
    s
}

/// The Markdown form, to paste into a ticket: the verdict and the findings first, then the
/// records.
pub fn markdown(r: &DomainReport, lang: Lang) -> String {
    let mut s = format!(
        "# {}\n\n",
        ui::fill("domain-title", lang, &[("domain", &r.domain)])
    );
    if let Some(server) = &r.dns_server {
        s.push_str(&ui::fill("domain-dns-server", lang, &[("server", server)]));
        s.push_str("\n\n");
    }
    s.push_str(&format!("**{}**\n", verdict(r, lang)));
    let bs = blocks(r, lang);
    s.push_str(&format!(
        "\n## {}\n",
        if bs.is_empty() {
            ui::text("domain-no-findings", lang).to_string()
        } else {
            ui::fill("domain-findings", lang, &[("count", &bs.len().to_string())])
        }
    ));
    for b in &bs {
        s.push_str(&format!(
            "\n### {}: {} (`{}`)\n\n**{}**: {}\n\n**{}**: {}\n",
            crate::severity_word(b.severity, lang),
            b.title,
            b.code,
            ui::text("cause", lang),
            b.cause,
            ui::text("fix", lang),
            b.fix
        ));
    }
    s.push_str(&format!("\n## {}\n", ui::text("domain-records", lang)));
    for (label, lines) in facts(r, lang) {
        s.push_str(&format!("\n### {label}\n\n"));
        for l in lines {
            s.push_str(&format!("- `{}`\n", l.replace('`', "'")));
        }
    }
    s
}

/// The stylesheet of the HTML page: one column that reads on a phone, long records wrapped.
const CSS: &str = "\
body { font-family: system-ui, \"Hiragino Sans\", \"Yu Gothic\", \"Noto Sans JP\", Meiryo, sans-serif; line-height: 1.6; color: #111; max-width: 48rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; border-bottom: 1px solid #999; margin-top: 1.75rem; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
.verdict { border: 2px solid #111; padding: .5rem .75rem; font-weight: bold; }
.finding { border-left: 6px solid #1565c0; padding: .1rem .75rem; margin: .75rem 0; background: #f7f7f7; }
.finding.warning { border-left-color: #b36b00; }
.finding.error { border-left-color: #b00020; }
table.states th { width: 60%; text-align: left; font-weight: normal; }
table.states [data-status=fail] td { color: #b00020; font-weight: bold; }
table.states [data-status=warn] td { color: #8a5300; font-weight: bold; }
table.states [data-status=ok] td { color: #1b6e20; }
.finding p { margin: .4rem 0; }
ul { padding-left: 1.25rem; }
code { font-size: .9em; white-space: pre-wrap; overflow-wrap: anywhere; }
";

/// A row of a verdict table: its key, the UI key of its name, and its state.
type StateRow = (&'static str, &'static str, State);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ok,
    Warn,
    Fail,
    /// The check was not given what it needs (no sending address, no envelope sender).
    Unchecked,
}

impl State {
    fn key(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Warn => "warn",
            State::Fail => "fail",
            State::Unchecked => "unchecked",
        }
    }

    fn of(worst: Option<Severity>) -> State {
        match worst {
            Some(Severity::Error) => State::Fail,
            Some(Severity::Warning) => State::Warn,
            Some(Severity::Info) | None => State::Ok,
        }
    }
}

/// The areas of the domain check, in the order a person reads them, each with the worst
/// severity of its findings; the MX hosts over SMTP only when they were asked.
fn areas(r: &DomainReport) -> Vec<StateRow> {
    let mut rows = vec![
        (Area::Mx, "mx", "domain-area-mx"),
        (Area::Spf, "spf", "domain-area-spf"),
        (Area::Dkim, "dkim", "domain-area-dkim"),
        (Area::Dmarc, "dmarc", "domain-area-dmarc"),
        (Area::ReverseDns, "reverse-dns", "domain-area-reverse-dns"),
        (Area::MtaSts, "mta-sts", "domain-area-mta-sts"),
        (Area::TlsRpt, "tls-rpt", "domain-area-tls-rpt"),
        (Area::Tlsa, "tlsa", "domain-area-tlsa"),
        (Area::Dnssec, "dnssec", "domain-area-dnssec"),
        (Area::Bimi, "bimi", "domain-area-bimi"),
        (Area::Dnsbl, "dnsbl", "domain-area-dnsbl"),
    ];
    if !r.smtp.is_empty() {
        rows.push((Area::MxSmtp, "mx-smtp", "domain-area-mx-smtp"));
    }
    rows.into_iter()
        .map(|(area, key, name)| {
            let worst = r
                .findings
                .iter()
                .filter(|f| f.code.area() == area)
                .map(|f| f.severity)
                .min();
            (key, name, State::of(worst))
        })
        .collect()
}

/// The large senders' requirements one by one, from what `sender-requirements-unmet` names
/// as missing; a requirement the check had no input for is unchecked.
fn requirements(r: &DomainReport) -> Vec<StateRow> {
    let missing: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::SenderRequirementsUnmet)
        .filter_map(|f| f.params.get("missing"))
        .flat_map(|m| m.split(", "))
        .collect();
    let missing_in = |area: Area| {
        missing
            .iter()
            .filter_map(|m| Code::parse(m))
            .any(|c| c.area() == area)
    };
    let met = |unmet: bool| if unmet { State::Fail } else { State::Ok };
    let dkim_missing = missing.contains(&Code::DkimKeyMissing.as_str());
    vec![
        ("spf-or-dkim", "domain-req-spf-or-dkim", met(dkim_missing)),
        ("dmarc", "domain-req-dmarc", met(missing_in(Area::Dmarc))),
        (
            "dkim-key-length",
            "domain-req-dkim-length",
            met(missing.contains(&Code::DkimKeyWeak.as_str())),
        ),
        (
            "reverse-dns",
            "domain-req-reverse-dns",
            if r.sending_ip.is_none() {
                State::Unchecked
            } else {
                met(missing_in(Area::ReverseDns))
            },
        ),
        (
            "alignment",
            "domain-req-alignment",
            if r.mail_from.is_none() {
                State::Unchecked
            } else {
                met(missing.contains(&"mail-from-not-aligned"))
            },
        ),
    ]
}

/// A table of names and states, each row with `data-KIND` and `data-status`.
fn state_table(out: &mut String, heading: &str, kind: &str, rows: &[StateRow], lang: Lang) {
    let _ = writeln!(
        out,
        "<h2>{}</h2>\n<table class=\"states\">",
        escape(heading)
    );
    for (key, name, state) in rows {
        let _ = writeln!(
            out,
            "<tr data-{kind}=\"{key}\" data-status=\"{}\"><th scope=\"row\">{}</th><td>{}</td></tr>",
            state.key(),
            escape(ui::text(name, lang)),
            escape(ui::text(&format!("domain-state-{}", state.key()), lang))
        );
    }
    let _ = writeln!(out, "</table>");
}

/// The HTML page of a domain's posture: the same content and order as [`markdown`] (the
/// verdict, the findings with cause and fix, then the records), every text escaped.
pub fn html(r: &DomainReport, lang: Lang) -> String {
    let title = ui::fill("domain-title", lang, &[("domain", &r.domain)]);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>",
        lang.as_str()
    );
    let _ = writeln!(out, "<meta charset=\"utf-8\">");
    let _ = writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&title));
    let _ = write!(out, "<style>\n{CSS}</style>\n</head>\n<body>\n");
    html_section(&mut out, r, lang);
    let _ = writeln!(out, "</body>\n</html>");
    out
}

/// The posture as a part of an HTML page (the web app's result): the title, the verdict, each
/// finding with `data-code` and `data-severity`, then the records.
pub fn html_section(out: &mut String, r: &DomainReport, lang: Lang) {
    let title = ui::fill("domain-title", lang, &[("domain", &r.domain)]);
    let _ = writeln!(out, "<h1>{}</h1>", escape(&title));
    if let Some(server) = &r.dns_server {
        let line = ui::fill("domain-dns-server", lang, &[("server", server)]);
        let _ = writeln!(out, "<p>{}</p>", escape(&line));
    }
    let _ = writeln!(
        out,
        "<p class=\"verdict\">{}</p>",
        escape(&verdict(r, lang))
    );
    state_table(
        out,
        ui::text("domain-requirements", lang),
        "requirement",
        &requirements(r),
        lang,
    );
    state_table(out, ui::text("domain-areas", lang), "area", &areas(r), lang);
    let bs = blocks(r, lang);
    let heading = if bs.is_empty() {
        ui::text("domain-no-findings", lang).to_string()
    } else {
        ui::fill("domain-findings", lang, &[("count", &bs.len().to_string())])
    };
    let _ = writeln!(out, "<h2>{}</h2>", escape(&heading));
    for b in &bs {
        let _ = writeln!(
            out,
            "<section class=\"finding {sev}\" data-code=\"{code}\" data-severity=\"{sev}\">\n<h3>{}: {} (<code>{code}</code>)</h3>",
            escape(crate::severity_word(b.severity, lang)),
            escape(&b.title),
            sev = b.severity.as_str(),
            code = escape(&b.code),
        );
        for (key, text) in [("cause", &b.cause), ("fix", &b.fix)] {
            let _ = writeln!(
                out,
                "<p><strong>{}</strong>: {}</p>",
                escape(ui::text(key, lang)),
                escape(text)
            );
        }
        let _ = writeln!(out, "</section>");
    }
    let _ = writeln!(out, "<h2>{}</h2>", escape(ui::text("domain-records", lang)));
    for (label, lines) in facts(r, lang) {
        let _ = writeln!(out, "<h3>{}</h3>\n<ul>", escape(&label));
        for l in lines {
            let _ = writeln!(out, "<li><code>{}</code></li>", escape(&l));
        }
        let _ = writeln!(out, "</ul>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_and_areas_from_a_saved_report() {
        let text =
            include_str!("../../maildoc-diagnose/tests/fixtures/domain/spf-ip-not-authorized.json");
        let r: DomainReport = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        let state = |rows: &[StateRow], key: &str| {
            rows.iter()
                .find(|(k, _, _)| *k == key)
                .map(|(_, _, s)| *s)
                .unwrap_or_else(|| panic!("{key}"))
        };
        let req = requirements(&r);
        assert_eq!(state(&req, "spf-or-dkim"), State::Fail);
        assert_eq!(state(&req, "reverse-dns"), State::Fail);
        assert_eq!(state(&req, "dmarc"), State::Ok);
        assert_eq!(state(&req, "dkim-key-length"), State::Ok);
        assert_eq!(state(&req, "alignment"), State::Ok, "the same domain");
        let by_area = areas(&r);
        assert_eq!(state(&by_area, "spf"), State::Fail);
        assert_eq!(state(&by_area, "reverse-dns"), State::Warn);
        assert_eq!(state(&by_area, "mx"), State::Ok);
        assert!(by_area.iter().all(|(k, _, _)| *k != "mx-smtp"), "not asked");
        let without = DomainReport {
            sending_ip: None,
            mail_from: None,
            findings: Vec::new(),
            ..r.clone()
        };
        let req = requirements(&without);
        assert_eq!(state(&req, "reverse-dns"), State::Unchecked);
        assert_eq!(state(&req, "alignment"), State::Unchecked);
        assert_eq!(state(&req, "spf-or-dkim"), State::Ok);
        for lang in [Lang::Ja, Lang::En] {
            for (_, name, _) in requirements(&r).iter().chain(areas(&r).iter()) {
                assert_ne!(ui::text(name, lang), &**name);
            }
            for st in ["ok", "warn", "fail", "unchecked"] {
                let key = format!("domain-state-{st}");
                assert_ne!(ui::text(&key, lang), key);
            }
        }
    }

    #[test]
    fn long_records_are_shortened_on_screen_only() {
        assert_eq!(crate::shorten("abc", 3), "abc");
        assert_eq!(crate::shorten("abcd", 3), "abc…");
        assert_eq!(crate::shorten("あいうえ", 2), "あい…");
    }

    #[test]
    fn screen_words_exist_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for key in [
                "domain-title",
                "domain-dns-server",
                "domain-findings",
                "domain-no-findings",
                "domain-records",
                "domain-org-domain",
                "domain-dkim-note",
                "domain-fcrdns-ok",
                "domain-spf-not-checked",
                "domain-spf-ok",
                "domain-spf-problem",
                "domain-dnssec-validated",
                "domain-dnssec-not-validated",
                "domain-verdict-unmet",
                "domain-verdict-met",
                "domain-verdict-met-without-spf",
                "domain-outcome-nxdomain",
                "domain-outcome-nodata",
                "domain-outcome-servfail",
                "domain-outcome-timeout",
                "domain-outcome-error",
            ] {
                assert_ne!(ui::text(key, lang), "?", "{key}");
                assert_ne!(ui::text(key, lang), key, "{key}");
            }
        }
    }
}
