//! Misbehaving servers that real software will not imitate: each must end in a clear
//! finding, and the run must always complete within its deadline.

use maildoc_model::{Code, StepKind};
use maildoc_testkit::hostile::{Behaviour, DnsBehaviour, Hostile, Script, dns};
use maildoc_testkit::lab::{Run, codes, run};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

fn check(extra: &[&str], timeout: u64) -> Run {
    let mut args: Vec<String> = vec![
        "check".into(),
        "taro@hostile.test".into(),
        "--format".into(),
        "json".into(),
        "--no-login".into(),
        "--timeout".into(),
        timeout.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    run(BIN, &args, None)
}

fn codes_of(r: &Run) -> Vec<Code> {
    codes(&r.report(), None)
}

#[test]
fn silent_server_on_its_right_port_is_server_slow_and_ends_in_time() {
    let s = Hostile::start(Behaviour::Silent);
    let r = check(&["--imap", &s.spec("plain")], 15);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // It took the connection and answered neither a greeting nor a TLS hello: slow, not a
    // wrong pairing of port and encryption.
    assert_eq!(codes_of(&r), vec![Code::ServerSlow]);
    assert!(r.elapsed < Duration::from_secs(16), "{:?}", r.elapsed);
}

#[test]
fn garbage_is_garbled_response() {
    let s = Hostile::start(Behaviour::Garbage(b"\x00\x01\xffHELLO?? \xfe\r\n".to_vec()));
    let r = check(&["--pop3", &s.spec("plain")], 10);
    assert_eq!(codes_of(&r), vec![Code::GarbledResponse]);
}

#[test]
fn endless_line_is_garbled_response_without_growing() {
    let s = Hostile::start(Behaviour::EndlessLine);
    let r = check(&["--smtp", &s.spec("plain")], 10);
    assert_eq!(codes_of(&r), vec![Code::GarbledResponse]);
    let report = r.report();
    let greeting = report.servers[0]
        .steps
        .iter()
        .find_map(|s| match &s.kind {
            StepKind::Greeting { outcome, text, .. } => Some((*outcome, text.len())),
            _ => None,
        })
        .expect("a greeting step");
    assert_eq!(greeting.0, maildoc_model::GreetingOutcome::TooLong);
    assert!(greeting.1 < 1000, "the recorded text is bounded");
}

#[test]
fn close_mid_greeting_is_connection_dropped() {
    let s = Hostile::start(Behaviour::CloseMidGreeting(
        b"* OK [CAPABILITY IMAP4".to_vec(),
    ));
    let r = check(&["--imap", &s.spec("plain")], 10);
    assert_eq!(codes_of(&r), vec![Code::ConnectionDropped]);
}

#[test]
fn refusing_greeting_with_too_many_connections() {
    let s = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::smtp(
            "421 4.7.0 hostile.test Too many connections from your address, try later",
            &[],
        ),
    ));
    let r = check(&["--smtp", &s.spec("plain")], 10);
    assert_eq!(codes_of(&r), vec![Code::TooManyConnections]);
}

#[test]
fn refusing_greeting_is_server_unavailable() {
    let s = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::smtp("554 5.3.2 hostile.test service closed", &[]),
    ));
    let r = check(&["--smtp", &s.spec("plain")], 10);
    assert_eq!(codes_of(&r), vec![Code::ServerUnavailable]);
}

#[test]
fn banner_date_far_from_local_clock_is_clock_skew() {
    let s = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::smtp(
            "220 hostile.test ESMTP Mon, 3 Jan 2022 09:00:00 +0900",
            &["STARTTLS"],
        ),
    ));
    let r = check(&["--smtp", &s.spec("plain")], 10);
    let report = r.report();
    let skew = report
        .findings
        .iter()
        .find(|f| f.code == Code::ClockSkew)
        .expect("clock-skew");
    assert!(
        skew.params
            .get("reference")
            .is_some_and(|v| v.contains("127.0.0.1")),
        "{:?}",
        skew.params
    );
}

#[test]
fn oauth_only_server_is_oauth_required() {
    let s = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::smtp("220 hostile.test ESMTP", &["AUTH XOAUTH2 OAUTHBEARER"]),
    ));
    let mut args: Vec<String> = [
        "check",
        "taro@hostile.test",
        "--format",
        "json",
        "--allow-plaintext-login",
        "--timeout",
        "10",
        "--smtp",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(s.spec("plain"));
    let r = run(BIN, &args, Some("Hostile-Pass-Do-Not-Send-9923"));
    assert!(
        codes_of(&r).contains(&Code::OauthRequired),
        "{:?}",
        codes_of(&r)
    );
    assert!(!r.stdout.contains("Hostile-Pass-Do-Not-Send-9923"));
}

#[test]
fn slow_greeting_is_server_slow() {
    let s = Hostile::start(Behaviour::Script(
        Duration::from_millis(3500),
        Script::smtp("220 hostile.test ESMTP", &["STARTTLS"]),
    ));
    let r = check(&["--smtp", &s.spec("plain")], 12);
    assert!(
        codes_of(&r).contains(&Code::ServerSlow),
        "{:?}",
        codes_of(&r)
    );
}

#[test]
fn a_longer_timeout_waits_longer_for_the_greeting() {
    // The greeting gets a third of the run: 8 s of --timeout 24, so a greeting after 5.5 s
    // is heard (and said to be slow), not taken for silence.
    let s = Hostile::start(Behaviour::Script(
        Duration::from_millis(5500),
        Script::smtp("220 hostile.test ESMTP", &["STARTTLS"]),
    ));
    let r = check(&["--smtp", &s.spec("plain")], 24);
    let report = r.report();
    let greeting = report.servers[0]
        .steps
        .iter()
        .find_map(|s| match &s.kind {
            StepKind::Greeting { outcome, .. } => Some(*outcome),
            _ => None,
        })
        .expect("a greeting step");
    assert_eq!(
        greeting,
        maildoc_model::GreetingOutcome::Ready,
        "{}",
        r.stdout
    );
    assert!(
        codes_of(&r).contains(&Code::ServerSlow),
        "{:?}",
        codes_of(&r)
    );
}

#[test]
fn dns_that_never_answers_is_dns_timeout_within_the_deadline() {
    let server = dns(DnsBehaviour::Silent).to_string();
    let r = check(&["--dns-server", &server, "--imap", "imap.hostile.test"], 4);
    assert_eq!(codes_of(&r), vec![Code::DnsTimeout]);
    assert!(r.elapsed < Duration::from_secs(5), "{:?}", r.elapsed);
}

#[test]
fn dns_servfail_is_resolver_failure() {
    let server = dns(DnsBehaviour::ServFail).to_string();
    let r = check(&["--dns-server", &server, "--smtp", "smtp.hostile.test"], 6);
    assert_eq!(codes_of(&r), vec![Code::DnsResolverFailure]);
}

/// A check that logs in over plaintext to a hostile server on loopback (the flag allows it).
fn login_check(flag: &str, spec: &str, extra: &[&str]) -> Run {
    let mut args: Vec<String> = [
        "check",
        "taro@hostile.test",
        "--format",
        "json",
        "--allow-plaintext-login",
        "--timeout",
        "10",
        flag,
        spec,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    run(BIN, &args, Some("Hostile-Pass-4471"))
}

fn login_count(r: &Run) -> usize {
    r.report()
        .servers
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| matches!(s.kind, StepKind::Login(_)))
        .count()
}

#[test]
fn locked_account_is_reported_and_not_tried_again() {
    let s = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::smtp("220 hostile.test ESMTP", &["AUTH PLAIN LOGIN"]).on(
            "AUTH",
            &["535 5.7.8 Account temporarily locked after too many failed login attempts"],
        ),
    ));
    let r = login_check("--smtp", &s.spec("plain"), &[]);
    assert!(
        codes_of(&r).contains(&Code::AccountLockedOrThrottled),
        "{:?}",
        codes_of(&r)
    );
    assert_eq!(login_count(&r), 1, "a locked account gets no second try");
}

#[test]
fn imap_disabled_for_the_account_is_protocol_disabled() {
    let s = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::imap("IMAP4rev1 SASL-IR AUTH=PLAIN").on(
            "* AUTHENTICATE",
            &["{tag} NO [ALERT] Your account is not enabled for IMAP use."],
        ),
    ));
    let r = login_check("--imap", &s.spec("plain"), &[]);
    assert!(
        codes_of(&r).contains(&Code::ProtocolDisabled),
        "{:?}",
        codes_of(&r)
    );
}

#[test]
fn rejected_sender_is_smtp_sender_rejected() {
    let s = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::smtp("220 hostile.test ESMTP", &[]).on(
            "MAIL FROM",
            &["553 5.7.1 <taro@hostile.test>: Sender address rejected: not owned by user"],
        ),
    ));
    let r = check(&["--smtp", &s.spec("plain"), "--smtp-auth", "none"], 10);
    assert!(
        codes_of(&r).contains(&Code::SmtpSenderRejected),
        "{:?}",
        codes_of(&r)
    );
}

#[test]
fn unusable_mechanisms_and_missing_auth() {
    let cram = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::smtp("220 hostile.test ESMTP", &["AUTH CRAM-MD5"]),
    ));
    let r = login_check("--smtp", &cram.spec("plain"), &[]);
    assert!(
        codes_of(&r).contains(&Code::AuthMechanismUnsupported),
        "{:?}",
        codes_of(&r)
    );
    let none = Hostile::start(Behaviour::Script(
        Duration::ZERO,
        Script::smtp("220 hostile.test ESMTP", &[]),
    ));
    let r = login_check("--smtp", &none.spec("plain"), &[]);
    assert!(
        codes_of(&r).contains(&Code::SmtpAuthNotOffered),
        "{:?}",
        codes_of(&r)
    );
    assert_eq!(login_count(&r), 0);
}

#[test]
fn fatal_tls_alert_is_tls_handshake_failed() {
    // A TLS record: alert, TLS 1.2, length 2, fatal (2), internal_error (80).
    let s = Hostile::start(Behaviour::Garbage(vec![
        0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50,
    ]));
    let r = check(&["--imap", &s.spec("ssl")], 10);
    assert_eq!(codes_of(&r), vec![Code::TlsHandshakeFailed]);
}
