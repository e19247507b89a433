//! The pages of `maildoc serve`, server-rendered: the layout with its language switch, the
//! start page, each job's form, and each job's result in the markup contract of `docs/api.md`
//! (`data-server`, `data-host`, `data-status` on each server's row; `data-code` and
//! `data-severity` on each finding; `data-state="done"` on a finished result).
//!
//! Every text is escaped; no page holds a password (the forms never take one back), inline
//! style or inline script (the Content-Security-Policy allows neither): the look is
//! `/assets/app.css`, the live updates `/assets/app.js`.

use crate::html::escape as e;
use crate::{Client, Lang, ui};
use maildoc_model::domain::DomainReport;
use maildoc_model::message::RoundtripReport;
use maildoc_model::{Report, ServerStatus, Step};
use std::fmt::Write as _;

/// The hidden fields every form of a page carries: the CSRF token and the language.
#[derive(Clone, Copy, Debug)]
pub struct FormContext<'a> {
    pub lang: Lang,
    pub csrf: &'a str,
    /// Each job's deadline, which a page tells while it waits.
    pub timeout_secs: u64,
}

impl FormContext<'_> {
    fn hidden(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"_csrf\" value=\"{}\">\n<input type=\"hidden\" name=\"lang\" value=\"{}\">",
            e(self.csrf),
            self.lang.as_str()
        )
    }
}

/// A whole page: `<html lang>`, the header with the language switch (to `here`, a path with
/// or without a query, in the other language), and `body` in `<main>`.
pub fn page(lang: Lang, title: &str, here: &str, body: &str) -> String {
    let other = match lang {
        Lang::Ja => Lang::En,
        Lang::En => Lang::Ja,
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"/assets/app.css\">\n\
         <script src=\"/assets/app.js\" defer></script>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">{skip}</a>\n<header>\n\
         <a class=\"home\" href=\"/?lang={lang}\">maildoc</a>\n\
         <a class=\"lang\" href=\"{here}{sep}lang={other}\" hreflang=\"{other}\" lang=\"{other}\">{switch}</a>\n\
         </header>\n<main id=\"main\">\n{body}</main>\n</body>\n</html>\n",
        lang = lang.as_str(),
        title = e(title),
        skip = e(ui::text("web-skip", lang)),
        here = e(here),
        sep = if here.contains('?') { "&amp;" } else { "?" },
        other = other.as_str(),
        switch = e(ui::text("web-lang-switch", lang)),
    );
    out
}

/// The start page: "what is wrong?" with one big button per symptom.
pub fn start(lang: Lang) -> String {
    let l = lang.as_str();
    let buttons = [
        ("web-symptom-receive", format!("/check?lang={l}")),
        ("web-symptom-send", format!("/check?lang={l}")),
        ("web-symptom-not-arriving", format!("/triage?lang={l}")),
        ("web-symptom-error", format!("/explain?lang={l}")),
        ("web-symptom-message", format!("/message?lang={l}")),
        ("web-symptom-status", format!("/status?lang={l}")),
        ("web-symptom-new-device", format!("/discover?lang={l}")),
        ("web-symptom-karte", format!("/karte?lang={l}")),
        ("web-symptom-domain", format!("/domain?lang={l}")),
        ("web-symptom-history", format!("/history?lang={l}")),
    ];
    let mut body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<ul class=\"symptoms\">\n",
        e(ui::text("web-start-heading", lang)),
        e(ui::text("web-start-lead", lang))
    );
    for (key, href) in buttons {
        let _ = writeln!(
            body,
            "<li><a class=\"button\" href=\"{}\">{}</a></li>",
            e(&href),
            e(ui::text(key, lang))
        );
    }
    body.push_str("</ul>\n");
    page(lang, ui::text("web-title", lang), "/", &body)
}

/// What the check form shows again after a refusal or with the result: everything but the
/// password.
#[derive(Clone, Debug, Default)]
pub struct CheckFields {
    pub address: String,
    pub username: String,
    pub imap: String,
    pub pop3: String,
    pub smtp: String,
    pub client: Option<Client>,
    pub no_login: bool,
}

/// The check's form, with `error` above it when the last try was refused, and `result` (the
/// finished check) below it.
pub fn check_page(
    ctx: FormContext<'_>,
    fields: &CheckFields,
    error: Option<&str>,
    result: Option<&str>,
) -> String {
    let timeout_secs = ctx.timeout_secs;
    let lang = ctx.lang;
    let mut body = intro(lang, "web-check-heading", "web-check-lead", error);
    let field = |name: &str, label: &str, value: &str, kind: &str, extra: &str| {
        format!(
            "<p class=\"field\"><label for=\"{name}\">{}</label>\n\
             <input id=\"{name}\" name=\"{name}\" type=\"{kind}\" value=\"{}\"{extra}></p>\n",
            e(ui::text(label, lang)),
            e(value)
        )
    };
    let _ = writeln!(
        body,
        "<form id=\"check-form\" class=\"job\" data-live method=\"post\" action=\"/check\">\n{}",
        ctx.hidden()
    );
    body.push_str(&field(
        "address",
        "web-field-address",
        &fields.address,
        "email",
        " required autocomplete=\"email\" inputmode=\"email\"",
    ));
    let _ = write!(
        body,
        "<p class=\"field\"><label for=\"password\">{}</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" value=\"\" autocomplete=\"off\">\n\
         <small>{}</small></p>\n\
         <p class=\"check\"><input id=\"no-login\" name=\"no-login\" type=\"checkbox\" value=\"on\"{}>\n\
         <label for=\"no-login\">{}</label></p>\n",
        e(ui::text("web-field-password", lang)),
        e(ui::text("web-field-password-hint", lang)),
        if fields.no_login { " checked" } else { "" },
        e(ui::text("web-field-no-login", lang)),
    );
    let open = [&fields.username, &fields.imap, &fields.pop3, &fields.smtp]
        .iter()
        .any(|v| !v.is_empty());
    let _ = writeln!(
        body,
        "<details{}><summary>{}</summary>\n<p><small>{}</small></p>",
        if open { " open" } else { "" },
        e(ui::text("web-field-servers", lang)),
        e(ui::text("web-field-server-hint", lang))
    );
    body.push_str(&field(
        "username",
        "web-field-username",
        &fields.username,
        "text",
        " autocomplete=\"username\" autocapitalize=\"off\"",
    ));
    for (name, value) in [
        ("imap", &fields.imap),
        ("pop3", &fields.pop3),
        ("smtp", &fields.smtp),
    ] {
        let _ = write!(
            body,
            "<p class=\"field\"><label for=\"{name}\">{}</label>\n\
             <input id=\"{name}\" name=\"{name}\" type=\"text\" value=\"{}\" autocapitalize=\"off\" spellcheck=\"false\"></p>\n",
            name.to_uppercase(),
            e(value)
        );
    }
    body.push_str("</details>\n");
    client_select(&mut body, fields.client, lang);
    let _ = write!(
        body,
        "<p class=\"actions\"><button type=\"submit\">{}</button> \
         <button type=\"submit\" class=\"secondary\" name=\"run\" value=\"roundtrip\">{}</button></p>\n\
         <p><small>{}</small></p>\n</form>\n\
         <noscript><p class=\"note\">{}</p></noscript>\n\
         <div id=\"live\" hidden aria-live=\"polite\" data-running=\"{}\"></div>\n",
        e(ui::text("web-submit-check", lang)),
        e(ui::text("web-submit-roundtrip", lang)),
        e(ui::text("web-roundtrip-hint", lang)),
        e(&ui::fill(
            "web-noscript",
            lang,
            &[("seconds", &timeout_secs.to_string())]
        )),
        e(&ui::fill(
            "web-running",
            lang,
            &[("seconds", &timeout_secs.to_string())]
        )),
    );
    results_container(&mut body, result);
    page(lang, ui::text("web-check-heading", lang), "/check", &body)
}

fn client_select(body: &mut String, chosen: Option<Client>, lang: Lang) {
    let _ = writeln!(
        body,
        "<p class=\"field\"><label for=\"client\">{}</label>\n<select id=\"client\" name=\"client\">\n<option value=\"\">{}</option>",
        e(ui::text("web-field-client", lang)),
        e(ui::text("web-field-client-any", lang))
    );
    for c in Client::ALL {
        let _ = writeln!(
            body,
            "<option value=\"{}\"{}>{}</option>",
            c.key(),
            if chosen == Some(*c) { " selected" } else { "" },
            e(c.label(lang))
        );
    }
    body.push_str("</select></p>\n");
}

/// A page's heading and lead, and the reason its form was refused when it was.
fn intro(lang: Lang, heading: &str, lead: &str, error: Option<&str>) -> String {
    let mut body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        e(ui::text(heading, lang)),
        e(ui::text(lead, lang))
    );
    error_box(&mut body, error, lang);
    body
}

fn error_box(body: &mut String, error: Option<&str>, lang: Lang) {
    if let Some(message) = error {
        let _ = writeln!(
            body,
            "<div class=\"error\" role=\"alert\"><h2>{}</h2>\n<p>{}</p></div>",
            e(ui::text("web-error-heading", lang)),
            e(message)
        );
    }
}

/// The container the result goes into; `data-state="done"` once it holds one.
fn results_container(body: &mut String, result: Option<&str>) {
    match result {
        Some(html) => {
            let _ = writeln!(
                body,
                "<section id=\"results\" data-state=\"done\" aria-live=\"polite\">\n{html}</section>"
            );
        }
        None => body.push_str("<section id=\"results\" aria-live=\"polite\"></section>\n"),
    }
}

/// The contract's word for a server's state.
pub fn status_key(status: ServerStatus) -> &'static str {
    match status {
        ServerStatus::Ok => "ok",
        ServerStatus::Warning => "warn",
        ServerStatus::Error => "fail",
    }
}

/// The words of a contract state (`running`, `ok`, `warn`, `fail`): status is never told by
/// colour alone.
pub fn status_word(key: &str, lang: Lang) -> &'static str {
    ui::text(&format!("web-status-{key}"), lang)
}

/// A step's name for the live timeline, in `lang`.
pub fn step_label(step: &Step, lang: Lang) -> &'static str {
    let value = serde_json::to_value(&step.kind).unwrap_or_default();
    let kind = value.get("step").and_then(|v| v.as_str()).unwrap_or("");
    ui::text(&format!("web-step-{kind}"), lang)
}

/// A finished check in the markup contract: the verdict, one row per server with its state,
/// each finding with its parts (a plain label, the explanation, a technical table, the verdict
/// and fix, the steps in the chosen app), the transcripts folded away, and the downloads of
/// job `job`.
pub fn check_result(report: &Report, lang: Lang, client: Option<Client>, job: &str) -> String {
    let mut out = String::new();
    let findings = report.sorted_findings();
    let serious = findings
        .iter()
        .filter(|f| f.severity != maildoc_model::Severity::Info)
        .count();
    let verdict = if serious == 0 {
        ui::text("web-verdict-ok", lang).to_string()
    } else {
        ui::fill(
            "web-verdict-problems",
            lang,
            &[("count", &serious.to_string())],
        )
    };
    let _ = writeln!(
        out,
        "<p class=\"verdict {}\">{}</p>\n<p class=\"source\">{}</p>\n<h2>{}</h2>\n<ul class=\"servers\">",
        if serious == 0 { "ok" } else { "fail" },
        e(&verdict),
        e(&crate::source_line(report, lang)),
        e(ui::text("web-servers", lang))
    );
    for (s, tried) in crate::server_rows(report) {
        let key = status_key(report.server_status(&s.id));
        let _ = write!(
            out,
            "<li class=\"server\" data-server=\"{}\" data-host=\"{}\" data-status=\"{key}\">\
             <span class=\"dot\" aria-hidden=\"true\"></span> <strong class=\"state\">{}</strong> \
             <span class=\"endpoint\">{}</span>\n<br><small>{}</small>",
            s.endpoint.protocol.as_str(),
            e(&s.endpoint.host),
            e(status_word(key, lang)),
            e(&s.endpoint.describe()),
            e(&crate::facts::summary(s, report.started_at_unix, lang).join(", "))
        );
        // The other ports tried for it: a line each, without a dot of their own (they are
        // judged only through the server they stand in for).
        for alt in tried {
            let _ = write!(
                out,
                "\n<br><small class=\"alternative\" data-alternative=\"{}\">{} {}</small>",
                alt.endpoint.port,
                e(&crate::alternative_label(alt, lang)),
                e(&crate::facts::summary(alt, report.started_at_unix, lang).join(", "))
            );
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
    let _ = writeln!(
        out,
        "<h2>{}</h2>",
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
            "<article class=\"finding {sev}\" data-code=\"{code}\" data-severity=\"{sev}\">\n\
             <h3><span class=\"badge\">{word}</span> {title}</h3>\n\
             <h4>{explanation}</h4>\n<p>{cause}</p>\n<h4>{technical}</h4>\n<table>\n\
             <tr><th scope=\"row\">code</th><td><code>{code}</code></td></tr>",
            sev = f.severity.as_str(),
            code = f.code,
            word = e(&b.severity),
            title = e(&b.title),
            explanation = e(ui::text("web-finding-explanation", lang)),
            cause = e(&b.cause),
            technical = e(ui::text("web-finding-technical", lang)),
        );
        if let Some(server) = &b.server {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                e(ui::text("md-server", lang)),
                e(server)
            );
        }
        for (k, v) in &f.params {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                e(k),
                e(v)
            );
        }
        for ev in &b.evidence {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td><code>{}</code></td></tr>",
                e(ui::text("evidence", lang)),
                e(ev)
            );
        }
        let _ = writeln!(
            out,
            "</table>\n<h4>{}</h4>\n<p class=\"fix\">{}</p>",
            e(ui::text("web-finding-verdict", lang)),
            e(&b.fix)
        );
        for (label, steps) in &b.clients {
            if wanted.is_none_or(|w| w == label) {
                let _ = writeln!(
                    out,
                    "<details class=\"steps\"{}><summary>{}</summary><p>{}</p></details>",
                    if wanted.is_some() { " open" } else { "" },
                    e(&ui::fill("web-finding-steps", lang, &[("client", label)])),
                    e(steps)
                );
            }
        }
        out.push_str("</article>\n");
    }
    crate::check::transcripts(
        &mut out,
        report,
        "<details class=\"transcript\">",
        ui::text("web-transcript", lang),
        "h3",
    );
    let _ = writeln!(
        out,
        "<p class=\"actions\"><button type=\"button\" class=\"copy\" data-copy=\"/jobs/{job}/report.md?lang={l}\" data-copied=\"{copied}\" hidden>{copy}</button> \
         <a class=\"button\" href=\"/jobs/{job}/report.md?lang={l}\" download>{md}</a> \
         <a class=\"button secondary\" href=\"/jobs/{job}/report.json\" download>{json}</a> \
         <a class=\"button secondary\" href=\"/karte?from={job}&amp;lang={l}\">{karte}</a> \
         <button type=\"button\" class=\"secondary print\" hidden>{print}</button></p>",
        job = e(job),
        l = lang.as_str(),
        md = e(ui::text("web-download-markdown", lang)),
        copy = e(ui::text("web-copy-markdown", lang)),
        copied = e(ui::text("web-copied", lang)),
        json = e(ui::text("web-download-json", lang)),
        karte = e(ui::text("web-save-karte", lang)),
        print = e(ui::text("web-print", lang)),
    );
    out
}

/// What the domain form shows again.
#[derive(Clone, Debug, Default)]
pub struct DomainFields {
    pub domain: String,
    /// The address the domain sends from.
    pub ip: String,
    /// The envelope sender.
    pub mail_from: String,
}

/// The domain check's form, with `error` above it and the finished `result` below.
pub fn domain_page(
    ctx: FormContext<'_>,
    fields: &DomainFields,
    error: Option<&str>,
    result: Option<&str>,
) -> String {
    let lang = ctx.lang;
    let mut body = intro(lang, "web-domain-heading", "web-domain-lead", error);
    let _ = write!(
        body,
        "<form id=\"domain-form\" class=\"job\" data-live method=\"post\" action=\"/domain\">\n{}\n\
         <p class=\"field\"><label for=\"domain\">{}</label>\n\
         <input id=\"domain\" name=\"domain\" type=\"text\" value=\"{}\" required autocapitalize=\"off\" spellcheck=\"false\"></p>\n\
         <details{}><summary>{}</summary>\n\
         <p class=\"field\"><label for=\"ip\">{}</label>\n\
         <input id=\"ip\" name=\"ip\" type=\"text\" value=\"{}\" inputmode=\"decimal\" spellcheck=\"false\"></p>\n\
         <p class=\"field\"><label for=\"mail-from\">{}</label>\n\
         <input id=\"mail-from\" name=\"mail-from\" type=\"email\" value=\"{}\"></p>\n</details>\n\
         <p><button type=\"submit\">{}</button></p>\n</form>\n",
        ctx.hidden(),
        e(ui::text("web-field-domain", lang)),
        e(&fields.domain),
        if fields.ip.is_empty() && fields.mail_from.is_empty() {
            ""
        } else {
            " open"
        },
        e(ui::text("web-domain-sending", lang)),
        e(ui::text("web-field-ip", lang)),
        e(&fields.ip),
        e(ui::text("web-field-mail-from", lang)),
        e(&fields.mail_from),
        e(ui::text("web-submit-domain", lang))
    );
    let _ = writeln!(
        body,
        "<div id=\"live\" hidden aria-live=\"polite\" data-running=\"{}\"></div>",
        e(&ui::fill(
            "web-running",
            lang,
            &[("seconds", &ctx.timeout_secs.to_string())]
        ))
    );
    results_container(&mut body, result);
    page(lang, ui::text("web-domain-heading", lang), "/domain", &body)
}

/// A finished domain check: the posture (verdicts, requirements, findings, records) and the
/// downloads of job `job`.
pub fn domain_result(report: &DomainReport, lang: Lang, job: &str) -> String {
    let mut out = String::new();
    crate::domain::html_section(&mut out, report, lang);
    downloads(&mut out, job, lang);
    out
}

/// The buttons under a finished job's result: its report as Markdown and JSON, and print.
fn downloads(out: &mut String, job: &str, lang: Lang) {
    let _ = writeln!(
        out,
        "<p class=\"actions\"><a class=\"button\" href=\"/jobs/{job}/report.md?lang={l}\" download>{md}</a> \
         <a class=\"button secondary\" href=\"/jobs/{job}/report.json\" download>{json}</a> \
         <button type=\"button\" class=\"secondary print\" hidden>{print}</button></p>",
        job = e(job),
        l = lang.as_str(),
        md = e(ui::text("web-download-markdown", lang)),
        json = e(ui::text("web-download-json", lang)),
        print = e(ui::text("web-print", lang)),
    );
}

/// A finished round trip for the check page: what happened to the test message, with the
/// downloads of its report.
pub fn roundtrip_result(report: &RoundtripReport, lang: Lang, job: &str) -> String {
    let mut out = crate::message::roundtrip_html(report, lang);
    downloads(&mut out, job, lang);
    out
}

/// A part of a domain check's name for the live list, in `lang`.
pub fn part_label(part: maildoc_engine::DomainPart, lang: Lang) -> &'static str {
    let value = serde_json::to_value(part).unwrap_or_default();
    ui::text(&format!("web-part-{}", value.as_str().unwrap_or("")), lang)
}

/// The explain form, with `error` above it and the explanation (`result`, already HTML)
/// below.
pub fn explain_page(
    ctx: FormContext<'_>,
    text: &str,
    client: Option<Client>,
    error: Option<&str>,
    result: Option<&str>,
) -> String {
    let lang = ctx.lang;
    let mut body = intro(lang, "web-explain-heading", "web-explain-lead", error);
    let _ = write!(
        body,
        "<form class=\"job\" method=\"post\" action=\"/explain\">\n{}\n\
         <p class=\"field\"><label for=\"text\">{}</label>\n\
         <textarea id=\"text\" name=\"text\" rows=\"8\" required spellcheck=\"false\">{}</textarea></p>\n",
        ctx.hidden(),
        e(ui::text("web-field-text", lang)),
        e(text)
    );
    client_select(&mut body, client, lang);
    let _ = writeln!(
        body,
        "<p><button type=\"submit\">{}</button></p>\n</form>",
        e(ui::text("web-submit-explain", lang))
    );
    results_container(&mut body, result);
    page(
        lang,
        ui::text("web-explain-heading", lang),
        "/explain",
        &body,
    )
}

/// The provider status form (a provider, an address or a domain), with `error` above it and
/// what its feed says (`result`, already HTML) below.
pub fn status_page(
    ctx: FormContext<'_>,
    provider: &str,
    error: Option<&str>,
    result: Option<&str>,
) -> String {
    let lang = ctx.lang;
    let mut body = intro(lang, "web-status-heading", "web-status-lead", error);
    let _ = write!(
        body,
        "<form class=\"job\" method=\"post\" action=\"/status\">\n{}\n\
         <p class=\"field\"><label for=\"provider\">{}</label>\n\
         <input id=\"provider\" name=\"provider\" value=\"{}\" required autocomplete=\"email\"></p>\n\
         <p><button type=\"submit\">{}</button></p>\n</form>\n",
        ctx.hidden(),
        e(ui::text("web-field-provider", lang)),
        e(provider),
        e(ui::text("web-submit-status", lang))
    );
    results_container(&mut body, result);
    page(lang, ui::text("web-status-heading", lang), "/status", &body)
}

/// The message form (paste the source of a received message), with `error` above it and the
/// reading (`result`, already HTML) below.
pub fn received_page(
    ctx: FormContext<'_>,
    text: &str,
    error: Option<&str>,
    result: Option<&str>,
) -> String {
    let lang = ctx.lang;
    let mut body = intro(lang, "web-message-heading", "web-message-lead", error);
    let _ = write!(
        body,
        "<form class=\"job\" method=\"post\" action=\"/message\">\n{}\n\
         <p class=\"field\"><label for=\"text\">{}</label>\n\
         <textarea id=\"text\" name=\"text\" rows=\"12\" required spellcheck=\"false\">{}</textarea></p>\n\
         <p><button type=\"submit\">{}</button></p>\n</form>\n",
        ctx.hidden(),
        e(ui::text("web-field-message", lang)),
        e(text),
        e(ui::text("web-submit-message", lang))
    );
    results_container(&mut body, result);
    page(
        lang,
        ui::text("web-message-heading", lang),
        "/message",
        &body,
    )
}

/// The discover form, with `error` above it and the settings found (`result`, already HTML)
/// below.
pub fn discover_page(
    ctx: FormContext<'_>,
    address: &str,
    error: Option<&str>,
    result: Option<&str>,
) -> String {
    let lang = ctx.lang;
    let mut body = intro(lang, "web-discover-heading", "web-discover-lead", error);
    let _ = write!(
        body,
        "<form class=\"job\" method=\"post\" action=\"/discover\">\n{}\n\
         <p class=\"field\"><label for=\"address\">{}</label>\n\
         <input id=\"address\" name=\"address\" type=\"email\" value=\"{}\" required autocomplete=\"email\" inputmode=\"email\"></p>\n\
         <p><button type=\"submit\">{}</button></p>\n</form>\n",
        ctx.hidden(),
        e(ui::text("web-field-address", lang)),
        e(address),
        e(ui::text("web-submit-discover", lang))
    );
    results_container(&mut body, result);
    page(
        lang,
        ui::text("web-discover-heading", lang),
        "/discover",
        &body,
    )
}

/// Where a triage stands: its symptom and the answers so far, in order. Pages carry it in
/// hidden fields (never a password), so the server keeps nothing between two questions.
#[derive(Clone, Copy, Debug)]
pub struct TriageState<'a> {
    pub symptom: &'a str,
    pub answers: &'a [(String, String)],
}

impl TriageState<'_> {
    fn hidden(&self) -> String {
        let mut out = format!(
            "<input type=\"hidden\" name=\"symptom\" value=\"{}\">\n",
            e(self.symptom)
        );
        for (id, value) in self.answers {
            let _ = writeln!(
                out,
                "<input type=\"hidden\" name=\"answer.{}\" value=\"{}\">",
                e(id),
                e(value)
            );
        }
        out
    }
}

/// The triage's first page: one button per symptom.
pub fn triage_start(ctx: FormContext<'_>) -> String {
    let lang = ctx.lang;
    let mut body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<form class=\"triage\" method=\"post\" action=\"/triage\">\n{}\n<ul class=\"symptoms\">\n",
        e(ui::text("web-triage-heading", lang)),
        e(ui::text("web-triage-lead", lang)),
        ctx.hidden()
    );
    for symptom in maildoc_triage::symptoms() {
        let _ = writeln!(
            body,
            "<li><button type=\"submit\" class=\"button\" name=\"symptom\" value=\"{}\">{}</button></li>",
            e(&symptom.id),
            e(symptom.text(lang))
        );
    }
    body.push_str("</ul>\n</form>\n");
    page(lang, ui::text("web-triage-heading", lang), "/triage", &body)
}

/// One question of a triage, with the causes as they stand.
pub fn triage_question(
    ctx: FormContext<'_>,
    state: TriageState<'_>,
    question: &maildoc_triage::Question,
    triage: &maildoc_triage::Triage,
) -> String {
    let lang = ctx.lang;
    let mut body = format!(
        "<h1>{}</h1>\n<form class=\"triage\" method=\"post\" action=\"/triage\">\n{}\n{}\
         <input type=\"hidden\" name=\"question\" value=\"{}\">\n\
         <fieldset>\n<legend>{}</legend>\n",
        e(ui::text("web-triage-heading", lang)),
        ctx.hidden(),
        state.hidden(),
        e(&question.id),
        e(question.text(lang)),
    );
    match question.kind {
        maildoc_triage::Kind::Choice => {
            body.push_str("<ul class=\"answers\">\n");
            for answer in &question.answers {
                let _ = writeln!(
                    body,
                    "<li><button type=\"submit\" class=\"button secondary\" name=\"answer\" value=\"{}\">{}</button></li>",
                    e(&answer.value),
                    e(answer.text(lang))
                );
            }
            body.push_str("</ul>\n");
        }
        maildoc_triage::Kind::Text => {
            let _ = write!(
                body,
                "<p class=\"field\"><label for=\"answer\">{}</label>\n\
                 <textarea id=\"answer\" name=\"answer\" rows=\"4\" spellcheck=\"false\"></textarea></p>\n\
                 <p><button type=\"submit\">{}</button></p>\n",
                e(ui::text("web-triage-your-answer", lang)),
                e(ui::text("web-triage-next", lang))
            );
        }
    }
    let _ = write!(
        body,
        "</fieldset>\n<p><button type=\"submit\" class=\"secondary\" name=\"finish\" value=\"1\">{}</button></p>\n</form>\n\
         <details><summary>{}</summary>\n{}</details>\n",
        e(ui::text("web-triage-finish", lang)),
        e(ui::text("web-triage-causes", lang)),
        causes_list(triage, lang)
    );
    let here = format!("/triage?symptom={}", triage.symptom().id);
    page(lang, ui::text("web-triage-heading", lang), &here, &body)
}

fn causes_list(triage: &maildoc_triage::Triage, lang: Lang) -> String {
    let mut out = String::from("<ul class=\"causes\">\n");
    for (cause, likelihood) in triage.causes() {
        let _ = writeln!(
            out,
            "<li class=\"{}\">{}: {}</li>",
            likelihood.key(),
            e(cause.text(lang)),
            e(crate::triage::likelihood_word(likelihood, lang))
        );
    }
    out.push_str("</ul>\n");
    out
}

/// The triage's last step before its summary: the checks it will run, with a password field
/// when the account is checked (empty: checked without logging in).
pub fn triage_checks(
    ctx: FormContext<'_>,
    state: TriageState<'_>,
    account: Option<&str>,
    sender_domain: Option<&str>,
) -> String {
    let lang = ctx.lang;
    let mut body = format!(
        "<h1>{}</h1>\n<form class=\"triage job\" method=\"post\" action=\"/triage\">\n{}\n{}\
         <input type=\"hidden\" name=\"run\" value=\"1\">\n<ul>\n",
        e(ui::text("web-triage-checks-heading", lang)),
        ctx.hidden(),
        state.hidden(),
    );
    if let Some(address) = account {
        let _ = writeln!(
            body,
            "<li>{}</li>",
            e(&ui::fill(
                "web-triage-check-account",
                lang,
                &[("address", address)]
            ))
        );
    }
    if let Some(domain) = sender_domain {
        let _ = writeln!(
            body,
            "<li>{}</li>",
            e(&ui::fill(
                "web-triage-check-sender",
                lang,
                &[("domain", domain)]
            ))
        );
    }
    if account.is_none() && sender_domain.is_none() {
        let _ = writeln!(
            body,
            "<li>{}</li>",
            e(ui::text("web-triage-check-none", lang))
        );
    }
    body.push_str("</ul>\n");
    if account.is_some() {
        let _ = write!(
            body,
            "<p class=\"field\"><label for=\"password\">{}</label>\n\
             <input id=\"password\" name=\"password\" type=\"password\" value=\"\" autocomplete=\"off\">\n\
             <small>{}</small></p>\n",
            e(ui::text("web-field-password", lang)),
            e(ui::text("web-triage-password-hint", lang))
        );
    }
    let _ = writeln!(
        body,
        "<p><button type=\"submit\">{}</button></p>\n</form>",
        e(ui::text("web-triage-run", lang))
    );
    page(lang, ui::text("web-triage-heading", lang), "/triage", &body)
}

/// The triage's summary for the support desk, as the result of the page.
pub fn triage_result(
    ctx: FormContext<'_>,
    outcome: &maildoc_triage::Outcome,
    client: Option<Client>,
) -> String {
    let lang = ctx.lang;
    let mut summary = String::new();
    crate::triage::summary_html_section(&mut summary, outcome, lang, client);
    let mut body = String::new();
    results_container(&mut body, Some(&summary));
    let _ = writeln!(
        body,
        "<p class=\"actions\"><a class=\"button secondary\" href=\"/triage?lang={}\">{}</a> \
         <button type=\"button\" class=\"secondary print\" hidden>{}</button></p>",
        lang.as_str(),
        e(ui::text("web-again", lang)),
        e(ui::text("web-print", lang))
    );
    page(lang, ui::text("web-triage-heading", lang), "/triage", &body)
}

/// What the karte form shows again: everything it was given.
#[derive(Clone, Debug, Default)]
pub struct KarteFields {
    pub address: String,
    pub display_name: String,
    pub username: String,
    pub imap: String,
    pub pop3: String,
    pub smtp: String,
    /// One device a line, `NAME:APP:PROTOCOL[:delete|:keep]`.
    pub devices: String,
    pub changed_by: String,
    /// The file of the karte being edited (empty for a new one).
    pub base: String,
}

/// The karte page: a form that makes a new karte (or opens one pasted as TOML), and below it
/// the printable sheet of the karte made (`sheet`, with its TOML for the download).
pub fn karte_page(
    ctx: FormContext<'_>,
    fields: &KarteFields,
    error: Option<&str>,
    sheet: Option<(&str, &str)>,
) -> String {
    let lang = ctx.lang;
    let mut body = intro(lang, "web-karte-heading", "web-karte-lead", error);
    let _ = writeln!(
        body,
        "<form class=\"job\" method=\"post\" action=\"/karte\">\n{}\n\
         <input type=\"hidden\" name=\"base\" value=\"{}\">",
        ctx.hidden(),
        e(&fields.base)
    );
    for (name, key, value, kind) in [
        ("address", "web-field-address", &fields.address, "email"),
        (
            "display-name",
            "web-karte-display-name",
            &fields.display_name,
            "text",
        ),
        ("username", "web-field-username", &fields.username, "text"),
        ("imap", "web-karte-imap", &fields.imap, "text"),
        ("pop3", "web-karte-pop3", &fields.pop3, "text"),
        ("smtp", "web-karte-smtp", &fields.smtp, "text"),
        (
            "changed-by",
            "web-karte-changed-by",
            &fields.changed_by,
            "text",
        ),
    ] {
        let _ = write!(
            body,
            "<p class=\"field\"><label for=\"{name}\">{}</label>\n\
             <input id=\"{name}\" name=\"{name}\" type=\"{kind}\" value=\"{}\"{}></p>\n",
            e(ui::text(key, lang)),
            e(value),
            if name == "address" { " required" } else { "" }
        );
    }
    let _ = write!(
        body,
        "<p class=\"field\"><label for=\"devices\">{}</label>\n\
         <textarea id=\"devices\" name=\"devices\" rows=\"3\" spellcheck=\"false\">{}</textarea>\n\
         <small>{}</small></p>\n\
         <p><button type=\"submit\">{}</button></p>\n</form>\n\
         <details><summary>{}</summary>\n\
         <form method=\"post\" action=\"/karte\">\n{}\n\
         <p class=\"field\"><label for=\"toml\">{}</label>\n\
         <textarea id=\"toml\" name=\"toml\" rows=\"8\" spellcheck=\"false\"></textarea></p>\n\
         <p><button type=\"submit\" class=\"secondary\">{}</button></p>\n</form>\n</details>\n",
        e(ui::text("web-karte-devices", lang)),
        e(&fields.devices),
        e(ui::text("web-karte-devices-hint", lang)),
        e(ui::text("web-karte-make", lang)),
        e(ui::text("web-karte-open", lang)),
        ctx.hidden(),
        e(ui::text("web-karte-toml", lang)),
        e(ui::text("web-karte-open-button", lang)),
    );
    let result = sheet.map(|(html, toml)| {
        format!(
            "{html}<form class=\"actions\" method=\"post\" action=\"/karte/download\">\n{}\n\
             <input type=\"hidden\" name=\"toml\" value=\"{}\">\n\
             <button type=\"submit\">{}</button> \
             <button type=\"button\" class=\"secondary print\" hidden>{}</button>\n</form>\n",
            ctx.hidden(),
            e(toml),
            e(ui::text("web-karte-download", lang)),
            e(ui::text("web-print", lang)),
        )
    });
    results_container(&mut body, result.as_deref());
    page(lang, ui::text("web-karte-heading", lang), "/karte", &body)
}

/// A page that only says something (a refused request, a busy server, a result that is
/// gone), with a way back to the start.
pub fn message_page(lang: Lang, key: &str) -> String {
    message_text_page(lang, ui::text(key, lang))
}

/// A page that says `text` (already in the page's language).
pub fn message_text_page(lang: Lang, text: &str) -> String {
    let body = format!(
        "<div class=\"error\" role=\"alert\"><p>{}</p></div>\n<p><a href=\"/?lang={}\">maildoc</a></p>\n",
        e(text),
        lang.as_str()
    );
    page(lang, ui::text("web-title", lang), "/", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_kind_and_state_has_words() {
        for lang in [Lang::Ja, Lang::En] {
            for kind in [
                "invalid-host",
                "resolve",
                "connect",
                "greeting",
                "capabilities",
                "starttls",
                "tls",
                "login",
                "login-skipped",
                "quota",
                "mailbox",
                "command",
                "trouble",
                "deadline",
            ] {
                let key = format!("web-step-{kind}");
                assert_ne!(ui::text(&key, lang), key, "{key}");
            }
            for state in ["running", "ok", "warn", "fail"] {
                assert_ne!(status_word(state, lang), format!("web-status-{state}"));
            }
        }
    }

    #[test]
    fn forms_never_take_a_password_back_and_escape_what_they_do() {
        let fields = CheckFields {
            address: "\"><script>x</script>@example.jp".into(),
            imap: "imap.example.jp:993/ssl".into(),
            ..CheckFields::default()
        };
        for lang in [Lang::Ja, Lang::En] {
            let ctx = FormContext {
                lang,
                csrf: "t0k",
                timeout_secs: 15,
            };
            let html = check_page(ctx, &fields, Some("<b>bad</b>"), None);
            assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\""));
            assert!(html.contains(&format!("<html lang=\"{}\">", lang.as_str())));
            assert!(html.contains("name=\"password\" type=\"password\" value=\"\""));
            assert!(!html.contains("<script>x"), "{html}");
            assert!(!html.contains("<b>bad"), "{html}");
            assert!(html.contains("name=\"_csrf\" value=\"t0k\""));
            assert!(
                !html.contains("style=") && !html.contains("<style"),
                "{html}"
            );
            assert!(
                !html.contains("onclick") && !html.contains("<script>"),
                "{html}"
            );
        }
    }
}
