//! `maildoc explain`: exit codes, the JSON form, golden outputs (human and Markdown, both
//! languages; refresh with `MAILDOC_BLESS=1 cargo test -p maildoc-cli --test explain` and
//! read the diff), and `--check` against the lab confirming a cause.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_testkit::lab::{Lab, Run, run, run_with_input};
use std::path::PathBuf;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// A password no lab user has.
const WRONG_PASSWORD: &str = "Wrong-Pw-Zq7Kx3Vb-lab-0000";

fn explain(args: &[&str]) -> Run {
    let mut all = vec!["explain".to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    run(BIN, &all, None)
}

fn explain_stdin(args: &[&str], input: &str) -> Run {
    let mut all = vec!["explain".to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    run_with_input(BIN, &all, input.as_bytes())
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr))
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn json_lists_candidates_in_rank_order_with_likelihoods() {
    let r = explain(&["0x800CCC92", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["unknown"], false);
    assert_eq!(codes(&v)[0], "auth-failed");
    let likelihoods: Vec<u64> = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["likelihood"].as_u64().unwrap())
        .collect();
    assert!(
        likelihoods.windows(2).all(|w| w[0] >= w[1]),
        "{likelihoods:?}"
    );
    assert!(v.get("check").is_none());
}

#[test]
fn exit_codes() {
    let r = explain(&["the frobnicator exploded"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let r = explain(&["   "]);
    assert_eq!(r.code, 3);
    let r = explain(&["0x800CCC0E", "--imap", "imap.example.jp"]);
    assert_eq!(r.code, 3, "server flags need --check");
    let r = explain(&["0x800CCC0E", "--format", "yaml"]);
    assert_eq!(r.code, 3);
    let r = explain(&["Cannot", "Get", "Mail"]);
    assert_eq!(r.code, 0, "several words are one text");
}

#[test]
fn a_whole_bounce_from_stdin_finds_the_lines_that_matter() {
    let bounce = "This is the mail system at host mail.example.co.jp.\n\n\
        I'm sorry to have to inform you that your message could not\n\
        be delivered to one or more recipients.\n\n\
        Final-Recipient: rfc822; hanako@example.net\n\
        Action: failed\n\
        Status: 5.7.1\n\
        Diagnostic-Code: smtp; 554 5.7.1 <hanako@example.net>: Relay access denied\n";
    let r = explain_stdin(&["-", "--format", "json"], bounce);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(codes(&v)[0], "smtp-relay-denied");
    let lines: Vec<&str> = v["key_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(lines.contains(&"Status: 5.7.1"), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("Diagnostic-Code:")),
        "{lines:?}"
    );
    assert_eq!(v["statuses"][0]["reply"], 554);
    // The text comes from standard input: the password cannot.
    let r = explain_stdin(&["-", "--check", "a@b.example", "--password-stdin"], bounce);
    assert_eq!(r.code, 3);
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/explain")
}

fn compare(name: &str, got: &str) {
    maildoc_testkit::golden::compare(
        &golden_dir().join(name),
        got,
        "cargo test -p maildoc-cli --test explain",
    );
}

#[test]
fn golden_outputs_in_both_languages() {
    let cases: &[(&str, &[&str])] = &[
        ("0x800ccc0f", &["0x800CCC0F"]),
        (
            "iphone-password",
            &["“imap.example.jp”のユーザ名またはパスワードが正しくありません。"],
        ),
        (
            "gmail-app-password",
            &[
                "534-5.7.9 Application-specific password required.",
                "--client",
                "iphone",
            ],
        ),
        (
            "dmarc",
            &[
                "550 5.7.26 Unauthenticated email from example.jp is not accepted due to domain's DMARC policy.",
            ],
        ),
        ("unknown", &["cannot get mal"]),
    ];
    for (name, args) in cases {
        for lang in ["ja", "en"] {
            for (format, ext) in [("human", "txt"), ("markdown", "md")] {
                let mut all: Vec<&str> = args.to_vec();
                all.extend(["--lang", lang, "--format", format]);
                let r = explain(&all);
                assert!(
                    r.code == 0 || (*name == "unknown" && r.code == 1),
                    "{name}: {}",
                    r.stderr
                );
                compare(&format!("{name}.{lang}.{ext}"), &r.stdout);
            }
        }
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn check_against_the_lab_confirms_auth_failed() {
    let lab = Lab::get();
    let args: Vec<String> = [
        "explain",
        "535 5.7.8 Authentication failed",
        "--check",
        "taro@lab.example",
        "--imap",
        "imap.lab.example:993/ssl",
        "--smtp",
        "smtp.lab.example:587/starttls",
        "--dns-server",
        &lab.dns(),
        "--ca-file",
        &lab.ca(),
        "--timeout",
        "15",
        "--format",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let r = run(BIN, &args, Some(WRONG_PASSWORD));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    let confirmed: Vec<&str> = v["check"]["confirmed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(confirmed.contains(&"auth-failed"), "{}", r.stdout);
    let not_seen: Vec<&str> = v["check"]["not_seen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(!not_seen.contains(&"auth-failed"));
    assert!(!r.stdout.contains(WRONG_PASSWORD));

    // The same on screen, in Japanese: the cause is marked confirmed.
    let mut human = args.clone();
    let at = human.iter().position(|a| a == "json").unwrap();
    human[at] = "human".into();
    human.extend(["--lang".into(), "ja".into()]);
    let r = run(BIN, &human, Some(WRONG_PASSWORD));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("確認済み"), "{}", r.stdout);
}
