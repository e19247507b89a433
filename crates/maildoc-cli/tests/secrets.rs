//! No password ever reaches the output: real logins against the lab (accepted, refused, the
//! other user name form, and a login that is never sent), in every format (human with
//! --verbose, JSON, Markdown) and both languages. stdout and stderr are searched for the clear
//! text, pieces of it, every base64 form the wire protocols use, and every base64-looking
//! token is decoded and searched too (see `maildoc_testkit::lab::leaks`).
//!
//! AUTH LOGIN (base64 of the password alone) is searched for, but the lab's servers all offer
//! PLAIN, which maildoc prefers, so no run sends it.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_testkit::lab::{Lab, Run, leaks, run};

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// A distinctive password that no lab user has.
const WRONG_PASSWORD: &str = "Qx7-wrong-Pw!Zk93-notTaro";

struct Scenario {
    name: &'static str,
    address: &'static str,
    usernames: &'static [&'static str],
    password: String,
    servers: &'static [&'static str],
    /// The exit code that shows the scenario went as planned.
    exit: i32,
    /// Whether the password goes to a server (so the transcripts show it redacted).
    sent: bool,
}

fn scenarios(lab: &Lab) -> Vec<Scenario> {
    let healthy: &[&str] = &[
        "--imap",
        "imap.lab.example:993/ssl",
        "--pop3",
        "pop.lab.example:995/ssl",
        "--smtp",
        "smtp.lab.example:587/starttls",
    ];
    vec![
        Scenario {
            name: "accepted login",
            address: "taro@lab.example",
            usernames: &["taro@lab.example", "taro"],
            password: lab.password("taro"),
            servers: healthy,
            exit: 0,
            sent: true,
        },
        Scenario {
            name: "refused login (both user name forms tried)",
            address: "taro@lab.example",
            usernames: &["taro@lab.example", "taro"],
            password: WRONG_PASSWORD.to_string(),
            servers: healthy,
            exit: 1,
            sent: true,
        },
        Scenario {
            name: "refused, then accepted with the local part",
            address: "hanako@lab.example",
            usernames: &["hanako@lab.example", "hanako"],
            password: lab.password("hanako"),
            servers: healthy,
            exit: 1,
            sent: true,
        },
        Scenario {
            name: "login never sent (bad certificate, plaintext refused)",
            address: "taro@lab.example",
            usernames: &["taro@lab.example", "taro"],
            password: lab.password("taro"),
            servers: &[
                "--imap",
                "expired.lab.example:993/ssl",
                "--pop3",
                "pop.lab.example:110/plain",
                "--smtp",
                "smtp.lab.example:587/plain",
                "--allow-plaintext-login",
            ],
            exit: 1,
            sent: false,
        },
    ]
}

const FORMATS: &[&str] = &["human", "json", "markdown"];
const LANGS: &[&str] = &["ja", "en"];

fn check(lab: &Lab, s: &Scenario, format: &str, lang: &str) -> Run {
    let mut args: Vec<String> = [
        "check",
        s.address,
        "--dns-server",
        &lab.dns(),
        "--ca-file",
        &lab.ca(),
        "--timeout",
        "15",
        "--format",
        format,
        "--lang",
        lang,
        "--verbose",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend(s.servers.iter().map(|a| a.to_string()));
    run(BIN, &args, Some(&s.password))
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn no_password_in_any_output() {
    let lab = Lab::get();
    let scenarios = scenarios(&lab);
    let mut jobs = Vec::new();
    for s in &scenarios {
        for format in FORMATS {
            for lang in LANGS {
                jobs.push((s, *format, *lang));
            }
        }
    }
    // The runs wait on the network: all at once.
    let runs: Vec<(&Scenario, &str, &str, Run)> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|&(s, format, lang)| {
                let lab = &lab;
                scope.spawn(move || (s, format, lang, check(lab, s, format, lang)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut problems = Vec::new();
    for (s, format, lang, run) in &runs {
        let what = format!("{} / {format} / {lang}", s.name);
        if run.code != s.exit {
            problems.push(format!(
                "{what}: exit {} (wanted {})\nstdout:\n{}\nstderr:\n{}",
                run.code, s.exit, run.stdout, run.stderr
            ));
            continue;
        }
        // The transcripts were there to search.
        if run.stdout.trim().is_empty() || (s.sent && !run.stdout.contains("<redacted>")) {
            problems.push(format!(
                "{what}: no transcript in the output:\n{}",
                run.stdout
            ));
        }
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            for leak in leaks(text, &s.password, s.usernames) {
                problems.push(format!("{what}: {stream} gives the password away: {leak}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
