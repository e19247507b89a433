//! Servers that send the password back: in the refusal of every login each protocol offers
//! (SMTP AUTH PLAIN and AUTH LOGIN, IMAP LOGIN and AUTHENTICATE PLAIN, POP3 PASS and AUTH
//! PLAIN), as it came, upper-cased, base64-decoded, as hex, percent-encoded and cut at every
//! base64 offset, in a status line and in an IMAP literal. No output of `check` (human with
//! --verbose, JSON, Markdown; Japanese and English), `karte check` or the `triage` summary
//! (text, Markdown, HTML) may show it in any form; the refusal itself must still be shown,
//! redacted, and named as a refused login.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_model::Code;
use maildoc_testkit::hostile::{Behaviour, Echo, Hostile};
use maildoc_testkit::lab::{Run, codes, leaks, run};
use maildoc_testkit::scratch::Scratch;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// A password with the characters that IMAP quoting and percent-encoding change.
const PASSWORD: &str = r#"Ech0-"Pw"\Zk93! ü"#;
const ADDRESS: &str = "taro@echo.test";
const USERNAMES: &[&str] = &["taro@echo.test", "taro"];

struct Job {
    what: String,
    args: Vec<String>,
    /// Whether the output is a JSON check report whose findings can be read.
    json: bool,
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

fn jobs(kind: Echo, server: &Hostile, karte_dir: &std::path::Path) -> Vec<Job> {
    let spec = server.spec("plain");
    let mut out = Vec::new();
    for (format, verbose) in [("human", true), ("json", false), ("markdown", false)] {
        for lang in ["ja", "en"] {
            let mut args = strings(&[
                "check",
                ADDRESS,
                kind.flag(),
                &spec,
                "--allow-plaintext-login",
                "--timeout",
                "10",
                "--format",
                format,
                "--lang",
                lang,
            ]);
            if verbose {
                args.push("--verbose".into());
            }
            out.push(Job {
                what: format!("{kind:?} check {format} {lang}"),
                args,
                json: format == "json",
            });
        }
    }
    let (protocol, section) = match kind.flag() {
        "--smtp" => ("", "[outgoing]\nauth = true\n"),
        "--imap" => ("protocol = \"imap\"\n", "[[incoming]]\n"),
        _ => ("protocol = \"pop3\"\n", "[[incoming]]\n"),
    };
    let karte = karte_dir.join(format!("{kind:?}.karte.toml"));
    std::fs::write(
        &karte,
        format!(
            "karte_version = 1\n\n[account]\naddress = \"{ADDRESS}\"\n\n{section}{protocol}host = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\n",
            server.addr.port()
        ),
    )
    .unwrap();
    out.push(Job {
        what: format!("{kind:?} karte check"),
        args: strings(&[
            "karte",
            "check",
            karte.to_str().unwrap(),
            "--allow-plaintext-login",
            "--timeout",
            "10",
            "--lang",
            "en",
        ]),
        json: false,
    });
    for format in ["text", "markdown", "html"] {
        out.push(Job {
            what: format!("{kind:?} triage {format}"),
            args: strings(&[
                "triage",
                "--symptom",
                "signin",
                "--address",
                ADDRESS,
                kind.flag(),
                &spec,
                "--allow-plaintext-login",
                "--no-domain-check",
                "--no-input",
                "--timeout",
                "10",
                "--format",
                format,
                "--lang",
                "ja",
            ]),
            json: false,
        });
    }
    out
}

#[test]
fn an_echoed_password_is_shown_in_no_output() {
    let dir = Scratch::new("echo");
    let servers: Vec<(Echo, Hostile)> = Echo::ALL
        .iter()
        .map(|&k| (k, Hostile::start(Behaviour::Echo(k))))
        .collect();
    let jobs: Vec<Job> = servers
        .iter()
        .flat_map(|(k, s)| jobs(*k, s, dir.dir()))
        .collect();
    // The runs wait on the network: all at once.
    let runs: Vec<(&Job, Run)> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|job| scope.spawn(move || (job, run(BIN, &job.args, Some(PASSWORD)))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut problems = Vec::new();
    for (job, run) in &runs {
        if run.code == 101 || run.stderr.contains("panicked") {
            problems.push(format!("{}: panic\n{}", job.what, run.stderr));
            continue;
        }
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            for leak in leaks(text, PASSWORD, USERNAMES) {
                problems.push(format!(
                    "{}: {stream} gives the password away: {leak}",
                    job.what
                ));
            }
        }
        if !run.stdout.contains("<redacted>") && !run.stdout.contains("&lt;redacted&gt;") {
            problems.push(format!(
                "{}: the echo is not shown redacted:\n{}\n{}",
                job.what, run.stdout, run.stderr
            ));
        }
        if job.json && !codes(&run.report(), None).contains(&Code::AuthFailed) {
            problems.push(format!("{}: not auth-failed:\n{}", job.what, run.stdout));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
