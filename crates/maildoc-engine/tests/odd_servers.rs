//! `maildoc_engine::check` against in-process servers that answer in odd but common ways a
//! real Dovecot or Postfix will not be made to: each gets the cause a person needs, not the
//! code of whatever step happened to fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_engine::{CheckOptions, Env, Password, check};
use maildoc_model::settings::{AccountSettings, ServerSetting};
use maildoc_model::{Code, Protocol, Report};
use maildoc_testkit::hostile::{Behaviour, Hostile, Script};
use std::time::Duration;

async fn checked(protocol: Protocol, spec: String, timeout: u64) -> Report {
    let opts = CheckOptions {
        settings: AccountSettings {
            address: "taro@example.jp".into(),
            username: None,
            servers: vec![ServerSetting::parse(protocol, &spec).unwrap()],
        },
        password: Some(Password::new("Odd-Servers-pw-3".into())),
        login: true,
        smtp_auth: true,
        allow_plaintext_login: true,
        timeout: Duration::from_secs(timeout),
    };
    check(&Env::new(None, None).unwrap(), opts, |_| {})
        .await
        .unwrap()
}

fn codes(r: &Report) -> Vec<Code> {
    r.findings.iter().map(|f| f.code).collect()
}

#[tokio::test]
async fn bye_in_answer_to_the_login_is_the_server_going_away_not_a_wrong_password() {
    let script = Script::imap("IMAP4rev1 AUTH=PLAIN")
        .on("* AUTHENTICATE", &["* BYE Server shutting down"])
        .on("* LOGIN", &["* BYE Server shutting down"]);
    let server = Hostile::start(Behaviour::Script(Duration::ZERO, script));
    let r = checked(Protocol::Imap, server.spec("plain"), 8).await;
    assert!(
        codes(&r).contains(&Code::ServerUnavailable),
        "{:?}",
        codes(&r)
    );
    assert!(!codes(&r).contains(&Code::AuthFailed), "{:?}", codes(&r));
}

#[tokio::test]
async fn a_421_to_everything_and_an_impossible_reply_code() {
    let mut script = Script::smtp("220 mx.test ESMTP", &["AUTH PLAIN"]);
    script.rules.retain(|(command, _)| command != "EHLO");
    script.default = vec!["421 4.3.2 Service shutting down".into()];
    let shutting = Hostile::start(Behaviour::Script(Duration::ZERO, script));
    let r = checked(Protocol::Smtp, shutting.spec("plain"), 8).await;
    assert_eq!(codes(&r), [Code::ServerUnavailable]);

    let script = Script::smtp("220 mx.test ESMTP", &[]).on("EHLO", &["999 what"]);
    let garbled = Hostile::start(Behaviour::Script(Duration::ZERO, script));
    let r = checked(Protocol::Smtp, garbled.spec("plain"), 8).await;
    assert_eq!(codes(&r), [Code::GarbledResponse]);
}

#[tokio::test]
async fn a_server_that_takes_mail_for_outside_without_a_login_is_an_open_relay() {
    let relay = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::smtp("220 mx.test ESMTP", &[]),
    ));
    let r = checked(Protocol::Smtp, relay.spec("plain"), 8).await;
    let open = r
        .findings
        .iter()
        .find(|f| f.code == Code::SmtpOpenRelay)
        .unwrap_or_else(|| panic!("{:?}", codes(&r)));
    assert_eq!(open.params["recipient"], "maildoc-relay-test@example.com");
}

/// A greeting that comes too late, on the right pairing (the TLS hello got no answer either),
/// and an SSL/TLS port that never answers: a slow server, not the settings.
#[tokio::test]
async fn silence_on_a_right_pairing_is_a_slow_server() {
    let late = Hostile::start(Behaviour::Script(
        Duration::from_secs(14),
        Script::smtp("220 mx.test ESMTP", &["AUTH PLAIN"]),
    ));
    let silent = Hostile::start(Behaviour::Silent);
    let (late, silent) = tokio::join!(
        checked(Protocol::Smtp, late.spec("starttls"), 25),
        checked(Protocol::Smtp, silent.spec("ssl"), 25),
    );
    for (r, step) in [(late, "greeting"), (silent, "tls")] {
        assert_eq!(codes(&r), [Code::ServerSlow], "{step}");
        assert_eq!(r.findings[0].params["step"], step);
    }
}
