//! `maildoc_engine::karte::check` as a library call, against an in-process IMAP server that
//! takes any login: the karte's servers are checked, the check lands in its history, the
//! password typed into a note is removed, and the karte's risks join the findings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_engine::Env;
use maildoc_engine::karte::{KarteCheckOptions, check};
use maildoc_karte::{IncomingServer, Karte};
use maildoc_model::{LoginOutcome, Protocol, Security, StepKind};
use maildoc_probe::context::Password;
use maildoc_testkit::hostile::{Behaviour, Hostile, Script};
use std::time::Duration;

const PASSWORD: &str = "k4rte-Check-pw";

#[tokio::test]
async fn a_karte_is_checked_recorded_and_cleaned() {
    let server = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::imap("IMAP4rev1 AUTH=PLAIN SASL-IR"),
    ));
    let mut karte = Karte::new("taro@example.jp");
    karte.account.notes = Some(format!("password is {PASSWORD}"));
    karte.incoming.push(IncomingServer {
        protocol: Protocol::Imap,
        host: "127.0.0.1".into(),
        port: Some(server.addr.port()),
        security: Some(Security::Plain),
        username: None,
        leave_on_server: None,
        leave_on_server_days: None,
    });
    let mut progressed = 0;
    let env = Env::new(None, None).unwrap();
    let checked = check(
        &env,
        &mut karte,
        KarteCheckOptions {
            password: Some(Password::new(PASSWORD.into())),
            login: true,
            allow_plaintext_login: true,
            timeout: Duration::from_secs(8),
        },
        |_| progressed += 1,
    )
    .await
    .unwrap();
    assert!(progressed >= 2, "planned and done");
    let imap = &checked.report.servers[0];
    assert!(
        imap.steps.iter().any(|s| matches!(
            &s.kind,
            StepKind::Login(l) if l.outcome == LoginOutcome::Accepted
        )),
        "{:?}",
        imap.steps
    );
    assert_eq!(karte.history.len(), 1);
    assert_eq!(checked.redacted, ["account.notes"]);
    assert!(!karte.account.notes.unwrap().contains(PASSWORD));
}
