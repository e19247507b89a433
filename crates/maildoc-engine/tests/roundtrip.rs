//! `maildoc_engine::roundtrip::roundtrip` against the lab: Postfix takes the test message
//! and delivers it to Dovecot, where it is found, timed and removed; a sender whose mail
//! Postfix holds gets its message taken but never delivered.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_engine::roundtrip::{RoundtripOptions, roundtrip};
use maildoc_engine::{Env, Password};
use maildoc_model::settings::{AccountSettings, ServerSetting};
use maildoc_model::{Code, Protocol};
use maildoc_testkit::lab::Lab;
use std::time::Duration;

fn options(lab: &Lab, user: &str, timeout: u64) -> RoundtripOptions {
    let address = lab.var(&format!("MAILDOC_LAB_USER_{}", user.to_ascii_uppercase()));
    RoundtripOptions {
        settings: AccountSettings {
            address,
            username: None,
            servers: vec![
                ServerSetting::parse(Protocol::Imap, "imap.lab.example:993/ssl").unwrap(),
                ServerSetting::parse(Protocol::Smtp, "smtp.lab.example:465/ssl").unwrap(),
            ],
        },
        password: Password::new(lab.password(user)),
        to: None,
        allow_plaintext_login: false,
        keep: false,
        timeout: Duration::from_secs(timeout),
        every: Duration::from_millis(500),
    }
}

fn env(lab: &Lab) -> Env {
    let ca = std::fs::read(lab.ca()).unwrap();
    Env::new(Some(lab.dns().parse().unwrap()), Some(&ca)).unwrap()
}

fn inbox_files(lab: &Lab, login: &str) -> usize {
    let dir = std::path::Path::new(&lab.var("MAILDOC_LAB_DIR"))
        .join("mail")
        .join(login)
        .join("Maildir");
    ["new", "cur"]
        .iter()
        .map(|d| std::fs::read_dir(dir.join(d)).map_or(0, |r| r.count()))
        .sum()
}

#[tokio::test]
#[ignore = "needs the lab: lab/lab.sh start"]
async fn the_test_message_arrives_is_timed_and_removed() {
    let lab = Lab::get();
    let before = inbox_files(&lab, "inbox@lab.example");
    let r = roundtrip(&env(&lab), options(&lab, "inbox", 30), |_| {})
        .await
        .unwrap();
    let accepted = r.accepted.as_deref().unwrap_or_default();
    assert!(accepted.starts_with("250"), "{r:#?}");
    let arrival = r.arrival.as_ref().expect("found");
    assert_eq!(arrival.folder, "INBOX");
    assert!(!arrival.junk);
    assert_eq!(arrival.removed, "expunged");
    assert!(
        arrival.seconds.is_some_and(|s| (-2..30).contains(&s)),
        "{arrival:?}"
    );
    let received = r.received.as_ref().unwrap();
    assert!(received.hops.len() >= 2, "{received:#?}");
    assert!(
        received
            .summary
            .subject
            .as_deref()
            .unwrap_or_default()
            .starts_with("maildoc roundtrip ")
    );
    let codes: Vec<Code> = r.findings.iter().map(|f| f.code).collect();
    assert!(!codes.contains(&Code::RoundtripNotDelivered), "{codes:?}");
    // Removed: the mailbox holds what it held before.
    assert_eq!(inbox_files(&lab, "inbox@lab.example"), before);
    assert!(!format!("{r:?}").contains(&lab.password("inbox")));
}

#[tokio::test]
#[ignore = "needs the lab: lab/lab.sh start"]
async fn a_message_to_another_account_is_found_in_that_accounts_mailbox() {
    let lab = Lab::get();
    let mut opts = options(&lab, "taro", 30);
    let inbox = options(&lab, "inbox", 30);
    opts.to = Some((inbox.settings, inbox.password));
    let r = roundtrip(&env(&lab), opts, |_| {}).await.unwrap();
    assert_eq!(
        (r.from.as_str(), r.to.as_str()),
        ("taro@lab.example", "inbox@lab.example")
    );
    let arrival = r.arrival.as_ref().expect("found in inbox@'s mailbox");
    assert_eq!(arrival.removed, "expunged");
}

#[tokio::test]
#[ignore = "needs the lab: lab/lab.sh start"]
async fn a_message_the_server_holds_is_taken_but_not_delivered() {
    let lab = Lab::get();
    let r = roundtrip(&env(&lab), options(&lab, "held", 8), |_| {})
        .await
        .unwrap();
    assert!(
        r.accepted.as_deref().unwrap_or_default().starts_with("250"),
        "{r:#?}"
    );
    assert!(r.arrival.is_none());
    let missing = r
        .findings
        .iter()
        .find(|f| f.code == Code::RoundtripNotDelivered)
        .expect("not delivered");
    assert_eq!(missing.params["to"], "held@lab.example");
}

/// The options of `user` with the mailbox read over POP3 (no IMAP server given).
fn over_pop3(lab: &Lab, user: &str, timeout: u64) -> RoundtripOptions {
    let mut opts = options(lab, user, timeout);
    opts.settings.servers[0] =
        ServerSetting::parse(Protocol::Pop3, "mail.lab.example:995/ssl").unwrap();
    opts
}

#[tokio::test]
#[ignore = "needs the lab: lab/lab.sh start"]
async fn over_pop3_the_message_is_found_among_the_newest_and_deleted() {
    let lab = Lab::get();
    let before = inbox_files(&lab, "inbox@lab.example");
    let r = roundtrip(&env(&lab), over_pop3(&lab, "inbox", 30), |_| {})
        .await
        .unwrap();
    let watched = r.watched.as_ref().unwrap();
    assert_eq!(watched.servers[0].endpoint.protocol, Protocol::Pop3);
    let arrival = r.arrival.as_ref().expect("found over POP3");
    assert_eq!(arrival.folder, "INBOX");
    assert_eq!(arrival.removed, "expunged");
    // POP3 has no arrival time of its own: the receiving server's Received header gives it.
    assert!(arrival.internaldate.is_none());
    assert!(
        arrival.seconds.is_some_and(|s| (0..30).contains(&s)),
        "{arrival:?}"
    );
    assert!(r.received.as_ref().unwrap().hops.len() >= 2);
    assert_eq!(inbox_files(&lab, "inbox@lab.example"), before);
    // Other messages' headers were read to find it, and none of them is in the transcript.
    let transcript: Vec<&str> = watched.servers[0]
        .transcript
        .iter()
        .map(|l| l.text.as_str())
        .collect();
    assert!(
        transcript.iter().all(|l| !l.starts_with("Received:")),
        "{transcript:#?}"
    );
    assert!(
        transcript
            .iter()
            .any(|l| l.contains("lines of the message, not shown"))
    );
}

#[tokio::test]
#[ignore = "needs the lab: lab/lab.sh start"]
async fn over_pop3_a_held_message_is_looked_for_in_session_after_session() {
    let lab = Lab::get();
    let mut planned = 0;
    let mut searches = 0;
    let r = roundtrip(&env(&lab), over_pop3(&lab, "held", 8), |e| match e {
        maildoc_engine::Event::Planned { .. } => planned += 1,
        maildoc_engine::Event::Step { step, .. }
            if matches!(
                step.kind,
                maildoc_model::StepKind::Command {
                    command: maildoc_model::CommandKind::Search,
                    ..
                }
            ) =>
        {
            searches += 1;
        }
        _ => {}
    })
    .await
    .unwrap();
    assert!(r.arrival.is_none());
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == Code::RoundtripNotDelivered),
        "{:?}",
        r.findings
    );
    // The send and the search were planned once each; the search ran in several sessions.
    assert_eq!(planned, 2);
    assert!(searches >= 3, "{searches} searches");
}
