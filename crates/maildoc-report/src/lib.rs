//! Renderers of a maildoc report. They decide nothing: severities and codes come from the
//! rules, words from the knowledge base and `data/ui.toml`.

pub mod check;
pub mod discover;
pub mod domain;
pub mod error;
pub mod explain;
pub mod facts;
pub mod history;
pub mod html;
pub mod human;
pub mod karte;
pub mod markdown;
pub mod message;
pub mod status;
pub mod triage;
pub mod ui;
pub mod web;

pub use maildoc_kb::{Client, Lang};
use maildoc_model::{Finding, Origin, Report, ServerEvidence, SettingsSource, Severity, Step};

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Markdown,
}

/// The JSON report: the versioned schema of `maildoc_model::Report`.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Where the settings came from, as a sentence.
pub fn source_line(report: &Report, lang: Lang) -> String {
    match report.target.settings_source {
        SettingsSource::Provider => ui::fill(
            "source-provider",
            lang,
            &[("provider", report.target.provider.as_deref().unwrap_or("?"))],
        ),
        SettingsSource::Mx => ui::fill(
            "source-mx",
            lang,
            &[("provider", report.target.provider.as_deref().unwrap_or("?"))],
        ),
        SettingsSource::Autoconfig => ui::text("source-autoconfig", lang).to_string(),
        SettingsSource::Srv => ui::text("source-srv", lang).to_string(),
        SettingsSource::Guess => ui::text("source-guess", lang).to_string(),
        SettingsSource::Flags => ui::text("source-flags", lang).to_string(),
    }
}

/// A step as one line of data (language-neutral: it is evidence, not prose).
pub fn step_line(step: &Step) -> String {
    let value = serde_json::to_value(&step.kind).unwrap_or_default();
    let Some(map) = value.as_object() else {
        return String::new();
    };
    let kind = map.get("step").and_then(|v| v.as_str()).unwrap_or("?");
    let mut parts = vec![kind.to_string()];
    for (k, v) in map {
        if k == "step" || k == "chain" || v.is_null() {
            continue;
        }
        let shown = match v {
            serde_json::Value::String(s) if s.is_empty() => continue,
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(a) if a.is_empty() => continue,
            other => other.to_string(),
        };
        let shown: String = shown.chars().take(160).collect();
        parts.push(format!("{k}={shown}"));
    }
    if let Some(leaf) = map
        .get("chain")
        .and_then(|c| c.as_array())
        .and_then(|c| c.first())
    {
        let field = |k: &str| {
            leaf.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        parts.push(format!(
            "leaf=[subject={}; issuer={}; not_after={}]",
            field("subject"),
            field("issuer"),
            field("not_after")
        ));
    }
    parts.join(" ")
}

/// A server's steps, then its transcript, one timed line each (`   12 ms  imap.3  tls ...`,
/// `   30 ms  S: * OK ...`).
pub fn timeline(server: &maildoc_model::ServerEvidence) -> Vec<String> {
    let steps = server
        .steps
        .iter()
        .map(|step| format!("{:>6} ms  {:<10} {}", step.at_ms, step.id, step_line(step)));
    let lines = server
        .transcript
        .iter()
        .map(|l| format!("{:>6} ms  {} {}", l.at_ms, l.dir.marker(), l.text));
    steps.chain(lines).collect()
}

/// The servers a report's screens list as rows, each with the other ports tried for it (a
/// line under its row: they were tried without the password and judged only through it).
pub(crate) fn server_rows(report: &Report) -> Vec<(&ServerEvidence, Vec<&ServerEvidence>)> {
    report
        .servers
        .iter()
        .filter(|s| !matches!(s.origin, Origin::Alternative { .. }))
        .map(|s| {
            let tried = report
                .servers
                .iter()
                .filter(|a| matches!(&a.origin, Origin::Alternative { of } if *of == s.id))
                .collect();
            (s, tried)
        })
        .collect()
}

/// `↳ also tried imap.example.jp:143 STARTTLS (without the password):`
pub(crate) fn alternative_label(alt: &ServerEvidence, lang: Lang) -> String {
    ui::fill(
        "alternative-tried",
        lang,
        &[("server", &alt.endpoint.describe())],
    )
}

/// A finding in words, ready for any renderer.
#[derive(Clone, Debug)]
pub struct FindingBlock {
    pub severity: String,
    pub title: String,
    pub cause: String,
    pub fix: String,
    /// (client label, steps).
    pub clients: Vec<(String, String)>,
    pub server: Option<String>,
    /// `id: step summary` of each linked step.
    pub evidence: Vec<String>,
}

pub fn severity_word(severity: Severity, lang: Lang) -> &'static str {
    ui::text(
        match severity {
            Severity::Error => "severity-error",
            Severity::Warning => "severity-warning",
            Severity::Info => "severity-info",
        },
        lang,
    )
}

/// A length of time in words, in its two largest units.
pub fn duration(seconds: u64, lang: Lang) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
        seconds % 60,
    );
    // `unit-minutes` for many, `unit-minute` for one.
    let part = |n: u64, key: &str| {
        let key = if n == 1 {
            key.trim_end_matches('s')
        } else {
            key
        };
        ui::fill(key, lang, &[("n", &n.to_string())])
    };
    let parts: Vec<String> = if d > 0 {
        [(d, "unit-days"), (h, "unit-hours")]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, k)| part(*n, k))
            .collect()
    } else if h > 0 {
        [(h, "unit-hours"), (m, "unit-minutes")]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, k)| part(*n, k))
            .collect()
    } else if m > 0 {
        vec![part(m, "unit-minutes")]
    } else {
        vec![part(s, "unit-seconds")]
    };
    parts.join(" ")
}

/// Puts the language-neutral values the rules give (phase names, seconds, where a time came
/// from) into words of `lang`.
pub(crate) fn localized_params(
    f: &Finding,
    lang: Lang,
) -> std::collections::BTreeMap<String, String> {
    let mut params = f.params.clone();
    for (name, prefix) in [("step", "step-"), ("field", "field-")] {
        if let Some(value) = params.get(name) {
            let words = ui::text(&format!("{prefix}{value}"), lang);
            if words != "?" {
                params.insert(name.into(), words.to_string());
            }
        }
    }
    for (seconds, words) in [
        ("difference_seconds", "difference"),
        ("total_seconds", "total"),
        ("slowest_seconds", "slowest_delay"),
        ("skew_seconds", "skew"),
        ("took_seconds", "took"),
    ] {
        if let Some(secs) = params.get(seconds).and_then(|s| s.parse::<u64>().ok()) {
            params.insert(words.into(), duration(secs, lang));
        }
    }
    match params.get("reference_kind").map(String::as_str) {
        Some("greeting") => {
            let protocol = params
                .get("reference_protocol")
                .cloned()
                .unwrap_or_default();
            let host = params.get("reference_host").cloned().unwrap_or_default();
            let words = ui::fill(
                "reference-greeting",
                lang,
                &[("protocol", &protocol), ("host", &host)],
            );
            params.insert("reference".into(), words);
        }
        Some("certificates") => {
            params.insert(
                "reference".into(),
                ui::text("reference-certificates", lang).to_string(),
            );
        }
        _ => {}
    }
    params
}

/// At most `max` characters of `s`, with an ellipsis when cut (a long DKIM key, a pasted
/// line); the JSON keeps the whole text.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// The title of a finding, its params filled in as they are.
pub fn finding_title(f: &Finding, lang: Lang) -> String {
    maildoc_kb::fill(&maildoc_kb::finding_text(f.code, lang).title, &f.params)
}

pub fn finding_block(report: &Report, f: &Finding, lang: Lang) -> FindingBlock {
    let text = maildoc_kb::finding_text(f.code, lang);
    let params = localized_params(f, lang);
    let server = f
        .server
        .as_ref()
        .and_then(|id| report.servers.iter().find(|s| &s.id == id));
    let evidence = f
        .evidence
        .iter()
        .filter_map(|id| {
            report
                .servers
                .iter()
                .flat_map(|s| &s.steps)
                .find(|s| &s.id == id)
                .map(|s| format!("{id}: {}", step_line(s)))
        })
        .collect();
    FindingBlock {
        severity: severity_word(f.severity, lang).to_string(),
        title: maildoc_kb::fill(&text.title, &params),
        cause: maildoc_kb::fill(&text.cause, &params),
        fix: maildoc_kb::fill(&text.fix, &params),
        clients: text
            .clients
            .iter()
            .map(|(c, steps)| (c.label(lang).to_string(), maildoc_kb::fill(steps, &params)))
            .collect(),
        server: server.map(|s| s.endpoint.describe()),
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maildoc_model::Code;

    #[test]
    fn durations_in_both_languages() {
        assert_eq!(duration(3 * 3600 + 5 * 60, Lang::En), "3 hours 5 minutes");
        assert_eq!(duration(3 * 3600 + 5 * 60, Lang::Ja), "3 時間 5 分");
        assert_eq!(duration(2 * 86_400, Lang::En), "2 days");
        assert_eq!(duration(40, Lang::Ja), "40 秒");
        assert_eq!(duration(3600 + 60, Lang::En), "1 hour 1 minute");
        assert_eq!(duration(1, Lang::En), "1 second");
        assert_eq!(duration(86_400, Lang::Ja), "1 日");
    }

    #[test]
    fn neutral_values_are_worded_per_language() {
        let f = Finding::new(Code::ClockSkew)
            .param("difference", "3 hours")
            .param("difference_seconds", 10_800)
            .param("reference_kind", "greeting")
            .param("reference_protocol", "SMTP")
            .param("reference_host", "smtp.example.jp")
            .param("step", "greeting")
            .param("field", "username");
        let ja = localized_params(&f, Lang::Ja);
        assert_eq!(ja["field"], "ユーザー名");
        assert_eq!(ja["difference"], "3 時間");
        assert!(ja["reference"].contains("smtp.example.jp"));
        assert_ne!(ja["step"], "greeting");
        let en = localized_params(&f, Lang::En);
        assert_eq!(en["reference"], "the SMTP greeting of smtp.example.jp");
    }
}
