//! The screens of `maildoc check` where other ports were tried (human and Markdown, both
//! languages), on reports recorded against the lab's sslonly and nostarttls hosts with the
//! names changed to example.jp, diagnosed again from their evidence with today's rules, and
//! compared with golden files; `docs/check-alternatives.md` shows the same human screens. Refresh with
//! `MAILDOC_BLESS=1 cargo test -p maildoc-report --test check_screens` and read the diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_kb::Lang;
use maildoc_model::Report;
use maildoc_report::{human, markdown};
use std::path::PathBuf;

const REFRESH: &str = "cargo test -p maildoc-report --test check_screens";

const CASES: [&str; 2] = ["check-use-other-port", "check-plaintext-only"];

fn report(name: &str) -> Report {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut report: Report =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    report.findings = maildoc_diagnose::diagnose(&report);
    report
}

fn golden(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/check/{file}"))
}

fn screen(report: &Report, lang: Lang) -> String {
    let style = human::Style {
        color: false,
        verbose: false,
        client: None,
    };
    human::render(report, lang, style)
}

#[test]
fn the_other_ports_tried_read_as_lines_under_their_server() {
    for name in CASES {
        let report = report(name);
        for lang in [Lang::Ja, Lang::En] {
            let text = screen(&report, lang);
            maildoc_testkit::golden::compare(
                &golden(&format!("{name}.{}.txt", lang.as_str())),
                &text,
                REFRESH,
            );
            let md = markdown::render(&report, lang, None);
            maildoc_testkit::golden::compare(
                &golden(&format!("{name}.{}.md", lang.as_str())),
                &md,
                REFRESH,
            );
            let page = maildoc_report::check::html(&report, lang, None);
            maildoc_testkit::golden::compare(
                &golden(&format!("{name}.{}.html", lang.as_str())),
                &page,
                REFRESH,
            );
        }
    }
}

#[test]
fn the_docs_show_the_screens_as_they_are() {
    let docs = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/check-alternatives.md"),
    )
    .unwrap();
    for name in CASES {
        let report = report(name);
        for lang in [Lang::Ja, Lang::En] {
            let text = screen(&report, lang);
            let block = format!("```text\n{text}```");
            assert!(
                docs.contains(&block),
                "docs/check-alternatives.md lacks the {name} screen in {}:\n{block}",
                lang.as_str()
            );
        }
    }
}
