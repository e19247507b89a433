//! Every format, both languages, every finding code: nothing missing, nothing unfilled.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_kb::Lang;
use maildoc_model::report::SCHEMA_VERSION;
use maildoc_model::{Code, Finding, Report};
use maildoc_report::{human, json, markdown};

fn report_with_every_code() -> Report {
    maildoc_testkit::reports::imap_report(|step| {
        Code::ALL
            .iter()
            .map(|&code| {
                let mut f = Finding::new(code).evidence(step);
                if maildoc_kb::has_server_params(code) {
                    f = f.server("imap");
                }
                for p in maildoc_kb::placeholders(code) {
                    f = f.param(p, format!("<{p}>"));
                }
                f
            })
            .collect()
    })
}

#[test]
fn every_format_and_language_renders_every_code_completely() {
    let report = report_with_every_code();
    for lang in [Lang::Ja, Lang::En] {
        for verbose in [false, true] {
            let outputs = [
                human::render(
                    &report,
                    lang,
                    human::Style {
                        color: false,
                        verbose,
                        client: Some(maildoc_kb::Client::Iphone),
                    },
                ),
                markdown::render(&report, lang, None),
            ];
            for out in outputs {
                for &code in Code::ALL {
                    assert!(out.contains(code.as_str()), "{code} missing in {lang:?}");
                    let title = maildoc_kb::finding_text(code, lang).title.clone();
                    let params: std::collections::BTreeMap<String, String> =
                        maildoc_kb::placeholders(code)
                            .into_iter()
                            .map(|p| (p.to_string(), format!("<{p}>")))
                            .collect();
                    assert!(
                        out.contains(&maildoc_kb::fill(&title, &params)),
                        "{code} title in {lang:?}"
                    );
                }
                assert!(!out.contains(" ? "), "a missing UI text in {lang:?}");
                let leftover = maildoc_kb::placeholders_in(&out);
                assert!(leftover.is_empty(), "unfilled {leftover:?} in {lang:?}");
            }
        }
    }
    let j: serde_json::Value = serde_json::from_str(&json(&report)).unwrap();
    assert_eq!(j["schema_version"], SCHEMA_VERSION);
    assert_eq!(
        j["findings"].as_array().map(Vec::len),
        Some(Code::ALL.len())
    );
}

#[test]
fn colour_only_when_asked() {
    let report = report_with_every_code();
    let plain = human::render(
        &report,
        Lang::En,
        human::Style {
            color: false,
            verbose: false,
            client: None,
        },
    );
    assert!(!plain.contains('\x1b'));
    let coloured = human::render(
        &report,
        Lang::En,
        human::Style {
            color: true,
            verbose: false,
            client: None,
        },
    );
    assert!(coloured.contains("\x1b[31m"));
}

#[test]
fn the_html_page_renders_every_code_escaped() {
    let report = report_with_every_code();
    for lang in [Lang::Ja, Lang::En] {
        let page = maildoc_report::check::html(&report, lang, Some(maildoc_kb::Client::Iphone));
        assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
        assert!(page.contains("name=\"viewport\""));
        for &code in Code::ALL {
            let title = maildoc_kb::finding_text(code, lang).title.clone();
            let params: std::collections::BTreeMap<String, String> = maildoc_kb::placeholders(code)
                .into_iter()
                .map(|p| (p.to_string(), format!("<{p}>")))
                .collect();
            let shown = maildoc_report::html::escape(&maildoc_kb::fill(&title, &params));
            assert!(page.contains(&shown), "{code} title in {lang:?}");
        }
        // The params' angle brackets only ever appear escaped.
        assert!(!page.contains("<host>") && page.contains("&lt;host&gt;"));
        assert!(!page.contains(" ? "), "a missing UI text in {lang:?}");
    }
}
