//! Golden tests of the karte sheet (`maildoc karte show`): the documented example and a karte
//! with every device risk, in both languages, as text, Markdown and HTML. The files under
//! `tests/golden/` are compared byte for byte; refresh them with
//! `MAILDOC_BLESS=1 cargo test -p maildoc-report --test karte_sheet` and read the diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_kb::Lang;
use maildoc_model::Code;
use maildoc_model::karte::Karte;
use maildoc_report::karte::{SheetFormat, render};
use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The ```toml example of docs/karte.md.
fn docs_example() -> Karte {
    let doc = include_str!("../../../docs/karte.md");
    let start = doc.find("```toml\n").expect("a ```toml example") + 8;
    let len = doc[start..].find("```").expect("its end");
    maildoc_karte::parse(&doc[start..start + len], Path::new("docs/karte.md"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn risky() -> Karte {
    maildoc_karte::load(&golden_dir().join("karte-risky.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn compare(name: &str, actual: &str) {
    maildoc_testkit::golden::compare(
        &golden_dir().join(name),
        actual,
        "cargo test -p maildoc-report --test karte_sheet",
    );
}

fn all_sheets(stem: &str, karte: &Karte) {
    let risks = maildoc_diagnose::karte::risks(karte);
    for lang in [Lang::Ja, Lang::En] {
        for (format, ext) in [
            (SheetFormat::Human, "txt"),
            (SheetFormat::Markdown, "md"),
            (SheetFormat::Html, "html"),
        ] {
            let text = render(karte, &risks, lang, format);
            // Rendering twice gives the same bytes: nothing depends on the clock.
            assert_eq!(text, render(karte, &risks, lang, format));
            compare(&format!("{stem}.{}.{ext}", lang.as_str()), &text);
        }
    }
}

#[test]
fn the_documented_example() {
    let k = docs_example();
    let risks = maildoc_diagnose::karte::risks(&k);
    let codes: Vec<Code> = risks.iter().map(|f| f.code).collect();
    assert_eq!(codes, [Code::KartePop3RemovesImapMail]);
    all_sheets("karte-example", &k);
}

#[test]
fn a_karte_with_every_risk() {
    let k = risky();
    let codes: Vec<Code> = maildoc_diagnose::karte::risks(&k)
        .iter()
        .map(|f| f.code)
        .collect();
    assert_eq!(
        codes,
        [
            Code::KartePop3RemovesImapMail,
            Code::KartePop3RemovesImapMail,
            Code::KartePop3SingleCopy,
            Code::KartePop3SeveralDeleting,
            Code::KarteImapQuotaUnchecked,
        ]
    );
    all_sheets("karte-risky", &k);
}

#[test]
fn sheets_are_complete_and_html_is_escaped_and_self_contained() {
    for k in [docs_example(), risky()] {
        let risks = maildoc_diagnose::karte::risks(&k);
        for lang in [Lang::Ja, Lang::En] {
            for format in [SheetFormat::Human, SheetFormat::Markdown, SheetFormat::Html] {
                let text = render(&k, &risks, lang, format);
                // A missing UI key shows as a lone `?`.
                assert!(
                    !text
                        .split(|c: char| c.is_whitespace() || "|<>()".contains(c))
                        .any(|w| w == "?"),
                    "a missing UI key:\n{text}"
                );
                let words = match text.split_once("</style>") {
                    Some((_, body)) => body,
                    None => &text,
                };
                assert!(!words.contains('{'), "an unfilled placeholder:\n{text}");
                assert!(text.contains(&k.account.address));
                for d in &k.devices {
                    assert!(text.contains(&maildoc_report::html::escape(&d.name)));
                }
                for f in &risks {
                    assert!(text.contains(f.code.as_str()));
                }
            }
            let html = render(&k, &risks, lang, SheetFormat::Html);
            assert!(html.starts_with("<!DOCTYPE html>"));
            assert!(html.contains(&format!("<html lang=\"{}\">", lang.as_str())));
            assert!(html.contains("@media print"));
            // Self-contained: nothing is loaded from elsewhere.
            for outside in ["<link", "<script", "src=", "@import", "url("] {
                assert!(!html.contains(outside), "{outside}");
            }
        }
    }
    let html = render(&risky(), &[], Lang::En, SheetFormat::Html);
    assert!(html.contains("山田商店 &lt;info&gt;"));
    assert!(html.contains("レンタルサーバー &amp; メール"));
    assert!(!html.contains("<info>"));
}
