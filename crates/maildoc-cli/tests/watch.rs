//! `maildoc watch` against the lab: watches added, run once as cron would, alerts raised
//! for a certificate within the warning days and posted to a webhook, nothing run again
//! before it is due, and an unchanged run that raises nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_testkit::lab::{Lab, Run, run_with_env};
use maildoc_testkit::scratch::Scratch;
use serde_json::Value;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

fn maildoc(db: &str, args: &[&str]) -> Run {
    run_with_env(
        BIN,
        args,
        b"",
        &[("MAILDOC_DB", OsStr::new(db)), ("LANG", OsStr::new("C"))],
    )
}

/// A webhook on loopback: each request's head and body, answered 200.
fn webhook() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/maildoc-alerts", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let _ = reader
                .get_mut()
                .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
            let _ = tx.send((head, String::from_utf8_lossy(&body).into_owned()));
        }
    });
    (url, rx)
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn a_watch_runs_when_due_and_alerts_on_a_certificate_near_its_end() {
    let lab = Lab::get();
    let dir = Scratch::new("watch");
    let db = format!("sqlite:{}", dir.path("history.sqlite3").display());
    let (dns, ca) = (lab.dns(), lab.ca());

    let added = maildoc(&db, &["watch", "add", "Taro@LAB.example", "--every", "1h"]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(
        added.stdout.contains("taro@lab.example (check) every 1h"),
        "{}",
        added.stdout
    );
    let added = maildoc(
        &db,
        &["watch", "add", "good.posture.lab.example", "--every", "30m"],
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    let list: Value =
        serde_json::from_str(&maildoc(&db, &["watch", "list", "--format", "json"]).stdout).unwrap();
    assert_eq!(list["watches"].as_array().unwrap().len(), 2, "{list}");

    // The lab's certificates end in a year: with 400 warning days, that is an alert.
    let (url, posted) = webhook();
    let round = |extra: &[&str]| {
        let mut args = vec![
            "watch",
            "run",
            "--dns-server",
            &dns,
            "--ca-file",
            &ca,
            "--cert-days",
            "400",
            "--webhook",
            &url,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        maildoc(&db, &args)
    };
    let first = round(&[]);
    assert_eq!(first.code, 1, "alerts were raised: {}", first.stderr);
    let alerts: Value = serde_json::from_str(&first.stdout).unwrap();
    let alerts = alerts["alerts"].as_array().unwrap();
    let expiring: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["code"] == "cert-expiring")
        .collect();
    assert!(!expiring.is_empty(), "{alerts:?}");
    assert!(expiring.iter().all(|a| a["subject"] == "taro@lab.example"));
    assert!(
        expiring[0]["text"].as_str().unwrap().contains("expires in"),
        "{expiring:?}"
    );
    // Each alert went to the webhook, with an ntfy title.
    for _ in alerts {
        let (head, body) = posted
            .recv_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        assert!(head.starts_with("POST /maildoc-alerts HTTP/1.0"), "{head}");
        assert!(head.contains("Title: maildoc: "), "{head}");
        assert!(body.contains("lab.example"), "{body}");
    }

    // Both runs are in the history, made by the watch.
    let runs: Value =
        serde_json::from_str(&maildoc(&db, &["history", "--format", "json"]).stdout).unwrap();
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().all(|r| r["origin"] == "watch"));

    // Nothing is due again for half an hour.
    let again = round(&[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let none: Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(none["alerts"], serde_json::json!([]));

    // Due again (added anew): the same state raises nothing, and is kept as a small row.
    maildoc(&db, &["watch", "add", "taro@lab.example", "--every", "1h"]);
    let same = round(&[]);
    assert_eq!(same.code, 0, "{}", same.stdout);
    let runs: Value = serde_json::from_str(
        &maildoc(&db, &["history", "taro@lab.example", "--format", "json"]).stdout,
    )
    .unwrap();
    assert_eq!(runs["runs"][0]["changed"], false, "{runs}");

    let past = maildoc(&db, &["watch", "alerts"]);
    assert_eq!(past.code, 0);
    assert!(past.stdout.contains("expires in"), "{}", past.stdout);

    let removed = maildoc(&db, &["watch", "remove", "good.posture.lab.example"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    let gone = maildoc(&db, &["watch", "remove", "good.posture.lab.example"]);
    assert_eq!(gone.code, 3);
    let bad = maildoc(&db, &["watch", "add", "example.jp", "--every", "5s"]);
    assert_eq!(bad.code, 3);
}
