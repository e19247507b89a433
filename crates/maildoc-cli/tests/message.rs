//! `maildoc message` as a person runs it: a file or standard input, each format, both
//! languages, the exit codes, and input that is not a message at all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_testkit::lab::run_with_env;
use std::ffi::OsStr;
use std::path::PathBuf;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../maildoc-engine/tests/data/messages")
        .join(name)
}

/// `maildoc` with `--offline` added: these tests touch no network (the lab's DKIM test
/// verifies against the lab's DNS).
fn maildoc(args: &[&OsStr], input: &[u8]) -> maildoc_testkit::lab::Run {
    let mut all: Vec<&OsStr> = args.to_vec();
    all.push("--offline".as_ref());
    run_with_env(BIN, &all, input, &[("LANG", OsStr::new("C"))])
}

#[test]
fn a_file_with_findings_exits_1_and_a_clean_paste_on_stdin_exits_0() {
    let spoofed = sample("outlook-spoofed-junk.eml");
    let run = maildoc(&["message".as_ref(), spoofed.as_os_str()], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("DMARC failed for bank.example.co.jp"),
        "{}",
        run.stdout
    );
    let json = maildoc(
        &[
            "message".as_ref(),
            spoofed.as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
        ],
        b"",
    );
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["findings"][0]["code"], "message-dmarc-fail");

    let clean = std::fs::read(sample("gmail-from-a-shop.eml")).unwrap();
    let run = maildoc(&["message".as_ref(), "-".as_ref()], &clean);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("Subject: ご注文のお知らせ"),
        "{}",
        run.stdout
    );
    let ja = maildoc(
        &[
            "--lang".as_ref(),
            "ja".as_ref(),
            "message".as_ref(),
            "-".as_ref(),
        ],
        &clean,
    );
    assert!(
        ja.stdout.contains("ヘッダーに問題は見つかりませんでした"),
        "{}",
        ja.stdout
    );
    let md = maildoc(
        &["message".as_ref(), "--format".as_ref(), "markdown".as_ref()],
        &clean,
    );
    assert!(md.stdout.starts_with("# maildoc message"), "{}", md.stdout);
    assert!(
        md.stdout
            .contains("| 2 | mail.shop.example.jp. [203.0.113.25] | mx.google.com |"),
        "{}",
        md.stdout
    );
}

#[test]
fn what_is_not_a_message_is_said_or_read_without_panic() {
    let missing = maildoc(&["message".as_ref(), "/nonexistent/mail.eml".as_ref()], b"");
    assert_eq!(missing.code, 3);
    assert!(
        missing.stderr.contains("cannot be read"),
        "{}",
        missing.stderr
    );
    let junk: Vec<u8> = (0..=255u8).cycle().take(20_000).collect();
    let run = maildoc(&["message".as_ref(), "-".as_ref()], &junk);
    assert!(
        run.code == 0 || run.code == 1,
        "{} {}",
        run.code,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"));
    let empty = maildoc(&["message".as_ref()], b"");
    assert!(empty.code == 0 || empty.code == 1, "{}", empty.stderr);
    assert!(
        empty.stdout.contains("No Received headers."),
        "{}",
        empty.stdout
    );
}

#[test]
fn an_mbox_or_a_directory_gives_a_json_line_per_message() {
    let dir = maildoc_testkit::scratch::Scratch::new("message-bulk");
    let mut mbox = Vec::new();
    for name in [
        "gmail-from-a-shop.eml",
        "outlook-spoofed-junk.eml",
        "list-dkim-broken-skew.eml",
    ] {
        mbox.extend_from_slice(b"From someone@example.jp Mon Dec  7 03:00:00 2026\r\n");
        mbox.extend(std::fs::read(sample(name)).unwrap());
        mbox.extend_from_slice(b"\r\n");
    }
    let path = dir.path("all.mbox");
    std::fs::write(&path, &mbox).unwrap();
    let run = maildoc(
        &["message".as_ref(), "--from".as_ref(), path.as_os_str()],
        b"",
    );
    assert_eq!(run.code, 1, "a spoof among them: {}", run.stderr);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[0]["input"].as_str().unwrap().ends_with("all.mbox#1"));
    assert_eq!(lines[0]["summary"]["subject"], "ご注文のお知らせ");
    assert_eq!(lines[1]["findings"][0]["code"], "message-dmarc-fail");
    assert_eq!(lines[2]["hops"].as_array().unwrap().len(), 4);

    let samples =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../maildoc-engine/tests/data/messages");
    let run = maildoc(
        &["message".as_ref(), "--from".as_ref(), samples.as_os_str()],
        b"",
    );
    let files = std::fs::read_dir(&samples).unwrap().count();
    assert_eq!(run.stdout.lines().count(), files, "{}", run.stderr);
}

#[test]
fn each_message_read_is_kept_under_its_sender_unless_told_not_to() {
    let dir = maildoc_testkit::scratch::Scratch::new("message-history");
    let db = format!("sqlite:{}", dir.path("h.sqlite3").display());
    let with_db = |args: &[&OsStr]| {
        let mut all: Vec<&OsStr> = args.to_vec();
        if args[0] == "message" {
            all.push("--offline".as_ref());
        }
        run_with_env(
            BIN,
            &all,
            b"",
            &[("MAILDOC_DB", OsStr::new(&db)), ("LANG", OsStr::new("C"))],
        )
    };
    let spoofed = sample("outlook-spoofed-junk.eml");
    let run = with_db(&["message".as_ref(), spoofed.as_os_str()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let skipped = with_db(&[
        "message".as_ref(),
        spoofed.as_os_str(),
        "--no-history".as_ref(),
    ]);
    assert_eq!(skipped.code, 1, "{}", skipped.stderr);
    let samples =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../maildoc-engine/tests/data/messages");
    let bulk = with_db(&["message".as_ref(), "--from".as_ref(), samples.as_os_str()]);
    assert_eq!(bulk.code, 1, "{}", bulk.stderr);

    let list = with_db(&[
        "history".as_ref(),
        "--kind".as_ref(),
        "message".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let list: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    // The file once, then each of the seven samples (the spoof again among them); the
    // expected facts beside them are read too, as messages from nobody ("-").
    let runs: Vec<&serde_json::Value> = list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["subject"] != "-")
        .collect();
    assert_eq!(runs.len(), 8, "{list}");
    let bank: Vec<&serde_json::Value> = runs
        .iter()
        .copied()
        .filter(|r| r["subject"] == "notice@bank.example.co.jp")
        .collect();
    assert_eq!(bank.len(), 2, "{list}");
    assert!(bank[0]["codes"].to_string().contains("message-dmarc-fail"));
    let id = bank[0]["id"].to_string();
    let shown = with_db(&["history".as_ref(), "--show".as_ref(), id.as_ref()]);
    assert_eq!(shown.code, 1, "{}", shown.stderr);
    assert!(shown.stdout.contains("Example Bank"), "{}", shown.stdout);
}
