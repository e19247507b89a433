//! `maildoc_engine::explain::cross_check` as a library call, against in-process servers: an
//! IMAP server that refuses every login confirms "auth-failed" for a 535 text, and a cause
//! the check did not see stays unconfirmed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_engine::explain::cross_check;
use maildoc_engine::{CheckOptions, Env, Error};
use maildoc_model::settings::{AccountSettings, ServerSetting};
use maildoc_model::{Code, Protocol};
use maildoc_probe::context::Password;
use maildoc_testkit::hostile::{Behaviour, Hostile, Script};
use std::time::Duration;

const PASSWORD: &str = "Expl4in-Check-pw";

fn options(address: &str, imap: &str) -> CheckOptions {
    CheckOptions {
        settings: AccountSettings {
            address: address.into(),
            username: None,
            servers: vec![ServerSetting::parse(Protocol::Imap, imap).unwrap()],
        },
        password: Some(Password::new(PASSWORD.into())),
        login: true,
        smtp_auth: true,
        allow_plaintext_login: true,
        timeout: Duration::from_secs(8),
    }
}

#[tokio::test]
async fn a_refused_login_confirms_auth_failed() {
    let server = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::imap("IMAP4rev1 AUTH=PLAIN SASL-IR").on(
            "* AUTHENTICATE",
            &["{tag} NO [AUTHENTICATIONFAILED] Authentication failed."],
        ),
    ));
    let explanation = maildoc_engine::explain::explain("535 5.7.8 Authentication failed");
    assert!(explanation.codes().contains(&Code::AuthFailed));
    let mut progressed = 0;
    let outcome = cross_check(
        &Env::new(None, None).unwrap(),
        &explanation,
        options("taro@example.jp", &server.spec("plain")),
        |_| progressed += 1,
    )
    .await
    .unwrap();
    assert!(progressed >= 2, "planned and done");
    assert_eq!(outcome.address, "taro@example.jp");
    assert!(
        outcome.confirmed.contains(&Code::AuthFailed),
        "{:?}",
        outcome.report.findings
    );
    assert!(!outcome.not_seen.contains(&Code::AuthFailed));
    assert_eq!(
        outcome.confirmed.len() + outcome.not_seen.len(),
        explanation.candidates.len(),
        "every candidate is either confirmed or not seen"
    );
    assert!(outcome.finding_params(Code::AuthFailed).is_some());
    assert!(!outcome.other.contains(&Code::AuthFailed));
    let json = serde_json::to_string(&outcome).unwrap();
    assert!(!json.contains(PASSWORD));
}

#[tokio::test]
async fn a_healthy_server_confirms_nothing_and_bad_input_is_a_usage_error() {
    let server = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::imap("IMAP4rev1 AUTH=PLAIN SASL-IR"),
    ));
    let explanation = maildoc_engine::explain::explain("535 5.7.8 Authentication failed");
    let outcome = cross_check(
        &Env::new(None, None).unwrap(),
        &explanation,
        options("taro@example.jp", &server.spec("plain")),
        |_| {},
    )
    .await
    .unwrap();
    assert!(outcome.confirmed.is_empty(), "{:?}", outcome.confirmed);
    assert_eq!(outcome.not_seen, explanation.codes());

    let bad = cross_check(
        &Env::new(None, None).unwrap(),
        &explanation,
        options("not an address", &server.spec("plain")),
        |_| {},
    )
    .await;
    assert!(matches!(bad, Err(Error::Address { .. })), "{bad:?}");
}
