//! The screens of `maildoc explain` (human and Markdown, both languages), with and without a
//! check, on explanations of fixed texts and check outcomes built by hand, compared with
//! golden files: refresh with `MAILDOC_BLESS=1 cargo test -p maildoc-report --test
//! explain_screens` and read the diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_engine::explain::CheckOutcome;
use maildoc_kb::{Client, Lang};
use maildoc_model::{Code, Report};
use maildoc_report::Format;
use maildoc_report::explain::{Input, html, human, json, markdown, render};
use serde_json::json;
use std::path::PathBuf;

const CANNOT_CONNECT: &str = "0x800CCC0E";

const BOUNCE: &str = "This is the mail system at host mail.example.co.jp.\n\n\
    I'm sorry to have to inform you that your message could not\n\
    be delivered to one or more recipients.\n\n\
    Final-Recipient: rfc822; hanako@example.net\n\
    Action: failed\n\
    Status: 5.7.1\n\
    Diagnostic-Code: smtp; 554 5.7.1 <hanako@example.net>: Relay access denied\n";

/// A check of taro@example.jp that found the connection refused on port 993, an expired
/// certificate on the outgoing server, and an informational note.
fn report() -> Report {
    serde_json::from_value(json!({
        "schema_version": 1,
        "maildoc_version": "0.0.0",
        "started_at": "2026-11-22T00:00:00Z",
        "started_at_unix": 1_795_305_600,
        "elapsed_ms": 1234,
        "timeout_ms": 15000,
        "target": {
            "address": "taro@example.jp",
            "username": "taro@example.jp",
            "login": true,
            "smtp_auth": true,
            "allow_plaintext_login": false,
            "settings_source": "flags",
        },
        "servers": [],
        "findings": [
            {
                "code": "connect-refused",
                "severity": "error",
                "server": "imap",
                "params": { "protocol": "IMAP", "host": "imap.example.jp", "port": "993", "address": "192.0.2.1" },
            },
            { "code": "cert-expired", "severity": "error", "server": "smtp", "params": { "not_after": "2026-10-01", "days": "52" } },
            { "code": "input-normalized", "severity": "info", "params": { "field": "address", "original": "ｔａｒｏ@example.jp", "normalized": "taro@example.jp" } },
        ],
    }))
    .expect("a report")
}

fn outcome(text: &str) -> CheckOutcome {
    let e = maildoc_explain::explain(text);
    CheckOutcome::new("taro@example.jp", &e, report())
}

fn compare(name: &str, got: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/explain")
        .join(name);
    maildoc_testkit::golden::compare(
        &path,
        got,
        "cargo test -p maildoc-report --test explain_screens",
    );
}

#[test]
fn golden_screens_in_both_languages() {
    let checked = outcome(CANNOT_CONNECT);
    let cases: [(&str, &str, bool, Option<Client>); 6] = [
        ("cannot-connect", CANNOT_CONNECT, false, None),
        ("cannot-connect-checked", CANNOT_CONNECT, true, None),
        ("bounce-iphone", BOUNCE, false, Some(Client::Iphone)),
        ("unknown", "cannot get mal", false, None),
        ("nothing-known", "the frobnicator exploded", false, None),
        (
            "guessed",
            "My mail program keeps saying the login was denied",
            false,
            None,
        ),
    ];
    for (name, text, with_check, client) in cases {
        let explanation = maildoc_explain::explain(text);
        let input = Input {
            text,
            explanation: &explanation,
            check: with_check.then_some(&checked),
        };
        for &lang in Lang::ALL {
            let l = lang.as_str();
            compare(&format!("{name}.{l}.txt"), &human(input, lang, client));
            compare(&format!("{name}.{l}.md"), &markdown(input, lang, client));
            compare(&format!("{name}.{l}.html"), &html(input, lang, client));
        }
    }
}

#[test]
fn the_check_marks_causes_and_fills_their_texts() {
    let checked = outcome(CANNOT_CONNECT);
    assert_eq!(checked.confirmed, vec![Code::ConnectRefused]);
    assert!(checked.not_seen.contains(&Code::ConnectTimeout));
    assert_eq!(
        checked.other,
        vec![Code::CertExpired],
        "info is not a problem"
    );
    let explanation = maildoc_explain::explain(CANNOT_CONNECT);
    let input = Input {
        text: CANNOT_CONNECT,
        explanation: &explanation,
        check: Some(&checked),
    };
    let en = human(input, Lang::En, None);
    assert!(
        en.contains("The IMAP server refused the connection on port 993 (connect-refused"),
        "{en}"
    );
    let ja = human(input, Lang::Ja, None);
    assert!(ja.contains("確認済み"), "{ja}");
}

#[test]
fn json_has_the_check_only_when_one_ran() {
    let explanation = maildoc_explain::explain(CANNOT_CONNECT);
    let checked = outcome(CANNOT_CONNECT);
    let plain: serde_json::Value = serde_json::from_str(&json(&explanation, None)).unwrap();
    assert_eq!(plain["schema_version"], 1);
    assert!(plain.get("check").is_none());
    let input = Input {
        text: CANNOT_CONNECT,
        explanation: &explanation,
        check: Some(&checked),
    };
    let with: serde_json::Value =
        serde_json::from_str(&render(input, Format::Json, Lang::Ja, None)).unwrap();
    assert_eq!(with["check"]["confirmed"], json!(["connect-refused"]));
    assert_eq!(with["check"]["other"], json!(["cert-expired"]));
    assert_eq!(with["candidates"], plain["candidates"]);
}

#[test]
fn nothing_unfilled() {
    let checked = outcome(BOUNCE);
    for text in [CANNOT_CONNECT, BOUNCE, "cannot get mal"] {
        let explanation = maildoc_explain::explain(text);
        for check in [None, Some(&checked)] {
            let input = Input {
                text,
                explanation: &explanation,
                check,
            };
            for &lang in Lang::ALL {
                for client in [None, Some(Client::Outlook)] {
                    for out in [human(input, lang, client), markdown(input, lang, client)] {
                        assert!(!out.contains('{'), "an unfilled placeholder:\n{out}");
                        assert!(!out.contains(": ?\n"), "a missing word:\n{out}");
                    }
                }
            }
        }
    }
}
