//! `maildoc roundtrip` against the lab as a person runs it: the test message arrives and is
//! removed (exit 0), a held one is reported not delivered (exit 1), in both languages and as
//! JSON, and the password is never shown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_testkit::lab::{Lab, run_with_env};
use std::ffi::OsStr;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

fn roundtrip(lab: &Lab, user: &str, extra: &[&str]) -> maildoc_testkit::lab::Run {
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
        &[("LANG", OsStr::new("C"))],
    );
    assert!(!run.stdout.contains(&password) && !run.stderr.contains(&password));
    run
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn the_message_arrives_and_is_removed_and_a_held_one_is_reported() {
    let lab = Lab::get();
    let arrived = roundtrip(&lab, "inbox", &["--timeout", "30"]);
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

    let held = roundtrip(&lab, "held", &["--timeout", "8", "--lang", "ja"]);
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
    let no_password = roundtrip(&lab, "taro", &["--to", "inbox@lab.example"]);
    assert_eq!(no_password.code, 3, "{}", no_password.stderr);

    let json = roundtrip(&lab, "held", &["--timeout", "6", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert!(report["accepted"].as_str().unwrap().starts_with("250"));
    assert_eq!(report["findings"][0]["code"], "roundtrip-not-delivered");
}
