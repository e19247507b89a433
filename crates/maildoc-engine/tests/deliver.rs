//! `maildoc_engine::send::send` against an in-process SMTP server that records what it is
//! sent: the envelope and the framed message, a recipient refused, a message refused after
//! its end, and nothing sent after a refused login or over plaintext not allowed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_engine::send::{SendOptions, send};
use maildoc_engine::{Env, Password};
use maildoc_model::settings::{AccountSettings, ServerSetting};
use maildoc_model::{Code, CommandKind, Protocol, StepKind};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

const PASSWORD: &str = "Deliver-pw-4471";

/// How the server answers.
#[derive(Clone, Copy)]
struct Answers {
    auth: &'static str,
    /// The reply to a RCPT TO naming `refused@`.
    refused_rcpt: &'static str,
    end_of_data: &'static str,
}

const TAKES_IT: Answers = Answers {
    auth: "235 2.7.0 ok",
    refused_rcpt: "550 5.1.1 no such user",
    end_of_data: "250 2.0.0 queued as A1B2C3",
};

/// A one-connection SMTP server on loopback; everything the client sent, in order.
fn server(answers: Answers) -> (String, mpsc::Receiver<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let mut got = Vec::new();
        let mut say = |line: &str| {
            let _ = out.write_all(format!("{line}\r\n").as_bytes());
        };
        say("220 deliver.test ESMTP");
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            got.push(line.clone());
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    say(answers.end_of_data);
                }
                continue;
            }
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                say("250-deliver.test\r\n250 AUTH PLAIN");
            } else if upper.starts_with("AUTH") {
                say(answers.auth);
            } else if upper.starts_with("RCPT") && upper.contains("REFUSED@") {
                say(answers.refused_rcpt);
            } else if upper.starts_with("DATA") {
                in_data = true;
                say("354 go ahead");
            } else if upper.starts_with("QUIT") {
                say("221 bye");
                break;
            } else {
                say("250 ok");
            }
        }
        let _ = tx.send(got);
    });
    (addr, rx)
}

fn options(addr: &str, recipients: &[&str], text: &str) -> SendOptions {
    SendOptions {
        settings: AccountSettings {
            address: "taro@example.jp".into(),
            username: None,
            servers: vec![ServerSetting::parse(Protocol::Smtp, &format!("{addr}/plain")).unwrap()],
        },
        password: Password::new(PASSWORD.into()),
        allow_plaintext_login: true,
        recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        subject: "maildoc: 通知 1 件".into(),
        text: text.into(),
        message_id: None,
        timeout: Duration::from_secs(8),
    }
}

fn commands(report: &maildoc_model::Report) -> Vec<CommandKind> {
    report.servers[0]
        .steps
        .iter()
        .filter_map(|s| match &s.kind {
            StepKind::Command { command, .. } => Some(*command),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_message_goes_out_framed_and_the_server_reply_is_kept() {
    let (addr, got) = server(TAKES_IT);
    let env = Env::new(None, None).unwrap();
    let text = "line one\nline two\n";
    let sent = send(
        &env,
        options(&addr, &["hanako@example.jp", "refused@example.jp"], text),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(sent.accepted.as_deref(), Some("250 2.0.0 queued as A1B2C3"));
    assert!(
        sent.message_id.ends_with("@example.jp"),
        "{}",
        sent.message_id
    );
    assert_eq!(
        commands(&sent.report),
        [
            CommandKind::MailFrom,
            CommandKind::Rcpt,
            CommandKind::Rcpt,
            CommandKind::Data,
            CommandKind::EndOfData
        ]
    );
    let codes: Vec<Code> = sent.report.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&Code::SmtpSendRecipientRefused), "{codes:?}");
    assert!(!codes.contains(&Code::SmtpSendRefused), "{codes:?}");

    let got = got.recv_timeout(Duration::from_secs(5)).unwrap();
    let all = got.concat();
    assert!(all.contains("MAIL FROM:<taro@example.jp>\r\n"), "{all}");
    assert!(all.contains("RCPT TO:<hanako@example.jp>\r\n"));
    let start = got.iter().position(|l| l == "DATA\r\n").unwrap() + 1;
    let end = got.iter().rposition(|l| l == ".\r\n").unwrap();
    let message: String = got[start..end].concat();
    assert!(message.contains(&format!("Message-ID: <{}>\r\n", sent.message_id)));
    assert!(
        message.contains("To: hanako@example.jp,\r\n refused@example.jp\r\n"),
        "{message}"
    );
    // The transcript shows the message by its size only, and never the password.
    let transcript = format!("{:?}", sent.report.servers[0].transcript);
    assert!(transcript.contains("(the message: "), "{transcript}");
    assert!(!transcript.contains("Message-ID"));
    assert!(!format!("{:?}", sent.report).contains(PASSWORD));
}

#[tokio::test]
async fn a_message_refused_at_its_end_is_a_finding_and_not_accepted() {
    let (addr, _got) = server(Answers {
        end_of_data: "554 5.7.1 message rejected as spam",
        ..TAKES_IT
    });
    let env = Env::new(None, None).unwrap();
    let sent = send(&env, options(&addr, &["hanako@example.jp"], "x"), |_| {})
        .await
        .unwrap();
    assert_eq!(sent.accepted, None);
    let refused = sent
        .report
        .findings
        .iter()
        .find(|f| f.code == Code::SmtpSendRefused)
        .expect("smtp-send-refused");
    assert_eq!(
        refused.params.get("reply").map(String::as_str),
        Some("554 5.7.1 message rejected as spam")
    );
}

#[tokio::test]
async fn a_refused_login_sends_nothing() {
    let (addr, got) = server(Answers {
        auth: "535 5.7.8 authentication failed",
        ..TAKES_IT
    });
    let env = Env::new(None, None).unwrap();
    let sent = send(&env, options(&addr, &["hanako@example.jp"], "x"), |_| {})
        .await
        .unwrap();
    assert_eq!(sent.accepted, None);
    assert!(commands(&sent.report).is_empty());
    let codes: Vec<Code> = sent.report.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&Code::AuthFailed), "{codes:?}");
    let all = got.recv_timeout(Duration::from_secs(10)).unwrap().concat();
    assert!(!all.contains("MAIL FROM"), "{all}");
}

#[tokio::test]
async fn a_recipient_that_is_not_an_address_is_refused_before_anything_is_sent() {
    let env = Env::new(None, None).unwrap();
    let e = send(
        &env,
        options("127.0.0.1:9", &["not an address"], "x"),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(e, maildoc_engine::Error::Address { .. }), "{e:?}");
}

#[tokio::test]
async fn nothing_is_sent_over_plaintext_unless_allowed() {
    let (addr, got) = server(TAKES_IT);
    let env = Env::new(None, None).unwrap();
    let mut opts = options(&addr, &["hanako@example.jp"], "x");
    opts.allow_plaintext_login = false;
    let sent = send(&env, opts, |_| {}).await.unwrap();
    assert_eq!(sent.accepted, None);
    let all = got.recv_timeout(Duration::from_secs(10)).unwrap().concat();
    assert!(!all.contains("AUTH") && !all.contains("MAIL FROM"), "{all}");
}

#[tokio::test]
async fn an_address_with_letters_outside_ascii_is_refused() {
    let env = Env::new(None, None).unwrap();
    let e = send(
        &env,
        options("127.0.0.1:9", &["たろう@example.jp"], "x"),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(e, maildoc_engine::Error::Address { .. }), "{e:?}");
}
