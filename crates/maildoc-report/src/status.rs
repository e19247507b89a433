//! The screens of `maildoc status`: what the provider's own feed says now, or that nothing can
//! be said (never "down" for a feed that could not be read), and where its notices are.

use crate::markdown::cell;
use crate::{Lang, ui};
use maildoc_model::status::{FeedState, StatusReport};
use maildoc_model::{Code, Report};
use std::fmt::Write as _;

/// Findings that can mean the provider's servers are in trouble, not the user's settings.
const SERVER_SIDE: &[Code] = &[
    Code::ServerUnavailable,
    Code::ServerSlow,
    Code::NoGreeting,
    Code::ConnectionDropped,
    Code::ConnectTimeout,
    Code::TooManyConnections,
];

/// Where to see whether the provider has an incident, when the check found a server-side
/// failure and maildoc knows the provider's status page: a line for the check's screens.
pub fn pointer(report: &Report, lang: Lang) -> Option<String> {
    if !report
        .findings
        .iter()
        .any(|f| SERVER_SIDE.contains(&f.code))
    {
        return None;
    }
    let (source, name) = maildoc_engine::status::source_for(&report.target.address)?;
    Some(ui::fill(
        "status-pointer",
        lang,
        &[
            ("name", &name),
            ("page", source.page_for(lang)),
            ("provider", &source.provider),
        ],
    ))
}

pub fn json(r: &StatusReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_default()
}

fn state_line(r: &StatusReport, lang: Lang) -> String {
    let key = match r.state {
        FeedState::Normal => "status-normal",
        FeedState::Incidents => "status-incidents",
        FeedState::Notices => "status-notices",
        FeedState::Unknown => "status-unknown",
        FeedState::NoFeed => "status-no-feed",
    };
    ui::fill(key, lang, &[("name", &r.name)])
}

fn incident_lines(r: &StatusReport, lang: Lang) -> Vec<String> {
    r.incidents
        .iter()
        .map(|i| {
            let mut line = i.title.clone();
            if let Some(since) = &i.since {
                let _ = write!(line, " ({since})");
            }
            if i.ongoing {
                let _ = write!(line, " [{}]", ui::text("status-ongoing", lang));
            }
            if let Some(link) = &i.link {
                let _ = write!(line, " {link}");
            }
            line
        })
        .collect()
}

/// For a terminal.
pub fn human(r: &StatusReport, lang: Lang) -> String {
    let mut out = format!("{}\n", state_line(r, lang));
    if let Some(detail) = &r.detail {
        let _ = writeln!(out, "  ({detail})");
    }
    for line in incident_lines(r, lang) {
        let _ = writeln!(out, "  - {line}");
    }
    let _ = writeln!(
        out,
        "{}",
        ui::fill("status-page", lang, &[("page", &r.page)])
    );
    out.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// As HTML, for the web app's `/status` page.
pub fn html(r: &StatusReport, lang: Lang) -> String {
    use crate::html::escape as e;
    let state = match r.state {
        FeedState::Incidents => "warning",
        FeedState::Unknown => "unknown",
        _ => "ok",
    };
    let mut out = format!(
        "<p class=\"status {state}\" data-feed-state=\"{}\">{}</p>\n",
        e(&serde_json::to_value(r.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()),
        e(&state_line(r, lang))
    );
    if let Some(detail) = &r.detail {
        let _ = writeln!(out, "<p>{}</p>", e(detail));
    }
    if !r.incidents.is_empty() {
        let _ = writeln!(out, "<ul>");
        for line in incident_lines(r, lang) {
            let _ = writeln!(out, "<li>{}</li>", e(&line));
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(
        out,
        "<p><a href=\"{}\" rel=\"noreferrer\">{}</a></p>",
        e(&r.page),
        e(&ui::fill("status-page", lang, &[("page", &r.page)]))
    );
    out
}

/// As Markdown, for a support ticket.
pub fn markdown(r: &StatusReport, lang: Lang) -> String {
    let mut out = format!("**{}**\n\n", cell(&state_line(r, lang)));
    for line in incident_lines(r, lang) {
        let _ = writeln!(out, "- {}", cell(&line));
    }
    let _ = writeln!(
        out,
        "\n{}",
        cell(&ui::fill("status-page", lang, &[("page", &r.page)]))
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use maildoc_model::status::Incident;

    #[test]
    fn a_server_side_failure_at_a_known_provider_points_to_its_status() {
        let mut report = maildoc_testkit::reports::imap_report(|step| {
            vec![
                maildoc_model::Finding::new(Code::ServerUnavailable)
                    .server("imap")
                    .evidence(step),
            ]
        });
        assert_eq!(
            pointer(&report, Lang::En),
            None,
            "example.jp: no status page known"
        );
        report.target.address = "taro@docomo.ne.jp".into();
        let line = pointer(&report, Lang::Ja).unwrap_or_default();
        assert!(
            line.contains("https://www.docomo.ne.jp/info/notice/"),
            "{line}"
        );
        assert!(
            crate::human::render(
                &report,
                Lang::Ja,
                crate::human::Style {
                    color: false,
                    verbose: false,
                    client: None
                }
            )
            .contains(&line)
        );
        let page = crate::check::html(&report, Lang::Ja, None);
        assert!(page.contains("<p class=\"status-pointer\">"), "{page}");
        assert!(crate::markdown::render(&report, Lang::Ja, None).contains("maildoc status docomo"));
        report.findings.clear();
        assert_eq!(pointer(&report, Lang::Ja), None, "no server-side failure");
    }

    #[test]
    fn a_feed_that_could_not_be_read_is_never_down() {
        let r = StatusReport {
            schema_version: 1,
            maildoc_version: "t".into(),
            provider: "docomo".into(),
            name: "docomo".into(),
            page: "https://www.docomo.ne.jp/info/notice/".into(),
            feed: Some("https://example.invalid/feed".into()),
            state: FeedState::Unknown,
            incidents: Vec::new(),
            detail: Some("timeout".into()),
        };
        let en = human(&r, Lang::En);
        assert!(en.contains("cannot be said"), "{en}");
        assert!(!en.to_lowercase().contains("down"), "{en}");
        let mut busy = r.clone();
        busy.state = FeedState::Incidents;
        busy.incidents.push(Incident {
            title: "ドコモメールが利用しづらい".into(),
            status: None,
            since: Some("2026-12-07".into()),
            ongoing: true,
            link: None,
        });
        let ja = human(&busy, Lang::Ja);
        assert!(
            ja.contains("ドコモメールが利用しづらい (2026-12-07) [継続中]"),
            "{ja}"
        );
    }
}
