//! `maildoc roundtrip` against the lab as a person runs it: the test message arrives and is
//! removed (exit 0), a held one is reported not delivered (exit 1), in both languages and as
//! JSON, and the password is never shown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_testkit::lab::{Lab, run_with_env};
use std::ffi::OsStr;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// `maildoc roundtrip` from `user`'s account, its run kept in the history `db`.
fn roundtrip(lab: &Lab, db: &str, user: &str, extra: &[&str]) -> maildoc_testkit::lab::Run {
    let address = lab.var(&format!("MAILDOC_LAB_USER_{}", user.to_ascii_uppercase()));
    let (dns, ca) = (lab.dns(), lab.ca());
    let mut args = vec![
        "roundtrip",
        &address,
        "--imap",
        "imap.lab.example:993/ssl",
        "--smtp",
        "smtp.lab.example:465/ssl",
        "--dns-server",
        &dns,
        "--ca-file",
        &ca,
        "--password-stdin",
    ];
    args.extend_from_slice(extra);
    let password = lab.password(user);
    let run = run_with_env(
        BIN,
        &args,
        password.as_bytes(),
        &[("LANG", OsStr::new("C")), ("MAILDOC_DB", OsStr::new(db))],
    );
    assert!(!run.stdout.contains(&password) && !run.stderr.contains(&password));
    run
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn the_message_arrives_and_is_removed_and_a_held_one_is_reported() {
    let lab = Lab::get();
    let history = maildoc_testkit::scratch::Scratch::new("roundtrip-history");
    let db = format!("sqlite:{}", history.path("h.sqlite3").display());
    let arrived = roundtrip(&lab, &db, "inbox", &["--timeout", "30"]);
    assert_eq!(arrived.code, 0, "{}\n{}", arrived.stdout, arrived.stderr);
    assert!(
        arrived.stdout.contains("Arrived: in INBOX"),
        "{}",
        arrived.stdout
    );
    assert!(
        arrived.stdout.contains("The test message was removed."),
        "{}",
        arrived.stdout
    );

    let held = roundtrip(&lab, &db, "held", &["--timeout", "8", "--lang", "ja"]);
    assert_eq!(held.code, 1, "{}", held.stderr);
    assert!(
        held.stdout
            .contains("どのフォルダーにも見つかりませんでした"),
        "{}",
        held.stdout
    );

    // To another account, whose mailbox is searched with its own password.
    let dir = maildoc_testkit::scratch::Scratch::new("roundtrip-to");
    let file = dir.path("inbox-password");
    std::fs::write(&file, format!("{}\n", lab.password("inbox"))).unwrap();
    let file = file.display().to_string();
    let to = roundtrip(
        &lab,
        &db,
        "taro",
        &[
            "--to",
            "inbox@lab.example",
            "--to-password-file",
            &file,
            "--timeout",
            "30",
        ],
    );
    assert_eq!(to.code, 0, "{}\n{}", to.stdout, to.stderr);
    assert!(
        to.stdout
            .contains("from taro@lab.example to inbox@lab.example"),
        "{}",
        to.stdout
    );
    assert!(!to.stdout.contains(&lab.password("inbox")));
    // The other account read over POP3.
    let to_pop3 = roundtrip(
        &lab,
        &db,
        "taro",
        &[
            "--to",
            "inbox@lab.example",
            "--to-pop3",
            "mail.lab.example:995/ssl",
            "--to-password-file",
            &file,
            "--timeout",
            "30",
        ],
    );
    assert_eq!(to_pop3.code, 0, "{}\n{}", to_pop3.stdout, to_pop3.stderr);
    assert!(
        to_pop3.stdout.contains("Arrived: in INBOX"),
        "{}",
        to_pop3.stdout
    );
    let no_password = roundtrip(&lab, &db, "taro", &["--to", "inbox@lab.example"]);
    assert_eq!(no_password.code, 3, "{}", no_password.stderr);

    let json = roundtrip(&lab, &db, "held", &["--timeout", "6", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert!(report["accepted"].as_str().unwrap().starts_with("250"));
    assert_eq!(report["findings"][0]["code"], "roundtrip-not-delivered");

    // Each round trip that ran is kept, under the account that sent; no password is.
    let list = run_with_env(
        BIN,
        &["history", "--kind", "roundtrip", "--format", "json"],
        b"",
        &[("MAILDOC_DB", OsStr::new(&db))],
    );
    assert_eq!(list.code, 0, "{}", list.stderr);
    let list: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let runs: Vec<(String, String)> = list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["subject"].to_string(), r["codes"].to_string()))
        .collect();
    assert_eq!(runs.len(), 5, "{list}");
    let held: Vec<_> = runs.iter().filter(|r| r.0.contains("held@")).collect();
    assert_eq!(held.len(), 2, "{list}");
    assert!(held.iter().all(|r| r.1.contains("roundtrip-not-delivered")));
    assert!(runs.iter().any(|r| r.0.contains("taro@")));
    let bytes = std::fs::read(history.path("h.sqlite3")).unwrap();
    for user in ["inbox", "held", "taro"] {
        let password = lab.password(user);
        assert!(
            !bytes
                .windows(password.len())
                .any(|w| w == password.as_bytes()),
            "{user}'s password is in the history"
        );
    }
}
