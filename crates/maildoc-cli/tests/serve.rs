//! `maildoc serve` as a person starts it: the first line names the address, the pages answer
//! there, and a listen address that other computers could reach needs a token.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_testkit::http::request;
use maildoc_testkit::lab::run;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

#[test]
fn the_first_line_names_the_address_and_the_pages_answer_there() {
    let mut child = Command::new(BIN)
        .env("MAILDOC_DB", maildoc_testkit::history_db())
        .args(["serve", "--listen", "127.0.0.1:0", "--lang", "ja"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .strip_prefix("maildoc: listening on http://")
        .and_then(|rest| rest.trim_end().strip_suffix('/'))
        .unwrap_or_else(|| panic!("first line: {first:?}"));
    let addr: SocketAddr = url.parse().unwrap();
    let page = request(addr, "GET", "/", &[], b"");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<html lang=\"ja\">"),
        "--lang ja is the default"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn other_computers_need_a_token_and_bad_flags_are_usage_errors() {
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for lang in ["ja", "en"] {
        let r = run(
            BIN,
            &args(&["serve", "--listen", "0.0.0.0:0", "--lang", lang]),
            None,
        );
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(r.stderr.contains("--token"), "{}", r.stderr);
    }
    let r = run(BIN, &args(&["serve", "--jobs", "0"]), None);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let r = run(
        BIN,
        &args(&["serve", "--ca-file", "/nonexistent/ca.pem"]),
        None,
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    let help = run(BIN, &args(&["serve", "--help", "--lang", "ja"]), None);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("--listen") && help.stdout.contains("ブラウザ"));
}

/// The same input gives the same finding codes through the web app's API as through
/// `maildoc check --format json`: both doors build their options from the same texts.
#[test]
fn the_web_app_and_the_command_give_the_same_codes() {
    use maildoc_testkit::hostile::{Behaviour, Echo, Hostile};
    const PASSWORD: &str = "Same-Codes-pw-31";
    let servers = [
        Hostile::start(Behaviour::Echo(Echo::ImapPlain)),
        Hostile::start(Behaviour::Echo(Echo::SmtpLogin)),
    ];
    let imap = servers[0].spec("plain");
    let smtp = servers[1].spec("ssl");
    let mut child = Command::new(BIN)
        .env("MAILDOC_DB", maildoc_testkit::history_db())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr: SocketAddr = first
        .trim_end()
        .trim_start_matches("maildoc: listening on http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let token: serde_json::Value =
        serde_json::from_str(&request(addr, "GET", "/api/token", &[], b"").body).unwrap();
    let body = serde_json::json!({
        "address": "taro@example.jp",
        "password": PASSWORD,
        "imap": imap,
        "smtp": smtp,
    })
    .to_string();
    let answer = request(
        addr,
        "POST",
        "/api/check",
        &[
            ("Content-Type", "application/json"),
            ("X-CSRF-Token", token["csrf"].as_str().unwrap()),
        ],
        body.as_bytes(),
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answer.status, 200, "{}", answer.body);
    let codes = |json: &str| {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let mut c: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        c.sort();
        c
    };
    let cli = run(
        BIN,
        &[
            "check".into(),
            "taro@example.jp".into(),
            "--imap".into(),
            imap.clone(),
            "--smtp".into(),
            smtp.clone(),
            "--format".into(),
            "json".into(),
        ],
        Some(PASSWORD),
    );
    assert!(!cli.stdout.is_empty(), "{}", cli.stderr);
    let web = codes(&answer.body);
    assert!(!web.is_empty());
    assert_eq!(web, codes(&cli.stdout));
    assert!(!answer.body.contains(PASSWORD));
}
