//! The `maildoc` binary against the lab of real servers (`lab/lab.sh start`): one test per
//! scenario, each asserting the exact set of error and warning findings (so the expected code
//! is there for the right server and nothing unrelated is) and the exit code.
//!
//! Every check runs with `--format json --timeout 15` (or less) against the lab's DNS and CA.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_model::{
    Code, LoginOutcome, LoginSkipReason, Origin, ProbeDepth, Severity, StepKind, UsernameForm,
};
use maildoc_testkit::lab::{Checked, Lab};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// A password no lab user has.
const WRONG_PASSWORD: &str = "Wrong-Pw-Zq7Kx3Vb-lab-0000";

fn check(address: &str, args: &[&str], password: Option<&str>) -> Checked {
    Lab::get().check(BIN, address, args, password)
}

/// A check as `taro@lab.example` with taro's password.
fn check_taro(args: &[&str]) -> Checked {
    let lab = Lab::get();
    lab.check(BIN, "taro@lab.example", args, Some(&lab.password("taro")))
}

/// Every login on the server was accepted on the first try, and its mailbox was read.
fn logged_in(c: &Checked, id: &str) {
    let logins = c.logins(id);
    assert_eq!(logins.len(), 1, "{id}: one login\n{}", c.summary());
    assert_eq!(logins[0].outcome, LoginOutcome::Accepted, "{}", c.summary());
    assert!(logins[0].encrypted, "{id}: login over TLS\n{}", c.summary());
}

/// No password went to the server: the login was skipped for `reason`, no login step exists,
/// and the transcript shows no command that could carry one.
fn no_password_sent(c: &Checked, id: &str, reason: LoginSkipReason) {
    assert_eq!(c.login_skipped(id), Some(reason), "{id}\n{}", c.summary());
    no_credential_sent(c, id);
}

/// No login step on the server, and no command in its transcript that could carry a password.
fn no_credential_sent(c: &Checked, id: &str) {
    assert!(c.logins(id).is_empty(), "{id}: no login\n{}", c.summary());
    for line in c.sent(id) {
        let upper = line.to_ascii_uppercase();
        assert!(
            !["LOGIN ", "AUTHENTICATE", "PASS ", "AUTH "]
                .iter()
                .any(|w| upper.contains(w)),
            "{id} sent `{line}`\n{}",
            c.summary()
        );
    }
}

/// The transcript lines that carry a credential (redacted).
fn credential_lines(c: &Checked, id: &str) -> usize {
    c.sent(id)
        .iter()
        .filter(|l| l.contains("<redacted>"))
        .count()
}

// --- healthy --------------------------------------------------------------------------------

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn healthy_over_implicit_tls_and_submission() {
    let c = check_taro(&[
        "--imap",
        "imap.lab.example:993/ssl",
        "--pop3",
        "pop.lab.example:995/ssl",
        "--smtp",
        "smtp.lab.example:587/starttls",
    ]);
    c.assert_problems(&[]);
    assert!(c.report.findings.is_empty(), "{}", c.summary());
    c.assert_exit(0);
    for id in ["imap", "pop3", "smtp"] {
        logged_in(&c, id);
    }
    let imap = c.server("imap");
    assert!(
        imap.steps
            .iter()
            .any(|s| matches!(&s.kind, StepKind::Quota { resource, .. } if resource == "STORAGE")),
        "{}",
        c.summary()
    );
    assert!(
        c.server("pop3").steps.iter().any(|s| matches!(
            s.kind,
            StepKind::Mailbox {
                messages: Some(_),
                ..
            }
        )),
        "{}",
        c.summary()
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn healthy_over_starttls_and_smtps() {
    let c = check_taro(&[
        "--imap",
        "imap.lab.example:143/starttls",
        "--pop3",
        "pop.lab.example:110/starttls",
        "--smtp",
        "smtp.lab.example:465/ssl",
    ]);
    c.assert_problems(&[]);
    assert!(c.report.findings.is_empty(), "{}", c.summary());
    c.assert_exit(0);
    for id in ["imap", "pop3", "smtp"] {
        logged_in(&c, id);
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn no_login_checks_everything_but_the_login() {
    let c = check(
        "taro@lab.example",
        &[
            "--imap",
            "imap.lab.example:993/ssl",
            "--pop3",
            "pop.lab.example:995/ssl",
            "--smtp",
            "smtp.lab.example:587/starttls",
            "--no-login",
        ],
        None,
    );
    c.assert_problems(&[]);
    c.assert_exit(0);
    assert!(!c.report.target.login, "{}", c.summary());
    for id in ["imap", "pop3", "smtp"] {
        no_password_sent(&c, id, LoginSkipReason::NotRequested);
    }
}

// --- logins -----------------------------------------------------------------------------------

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn wrong_password_is_auth_failed_after_at_most_two_tries() {
    let c = check(
        "taro@lab.example",
        &[
            "--imap",
            "imap.lab.example:993/ssl",
            "--pop3",
            "pop.lab.example:995/ssl",
            "--smtp",
            "smtp.lab.example:587/starttls",
        ],
        Some(WRONG_PASSWORD),
    );
    c.assert_problems(&[
        ("imap", Code::AuthFailed),
        ("pop3", Code::AuthFailed),
        ("smtp", Code::AuthFailed),
    ]);
    c.assert_exit(1);
    for id in ["imap", "pop3", "smtp"] {
        let logins = c.logins(id);
        assert!(
            (1..=2).contains(&logins.len()),
            "{id}: {} login attempts\n{}",
            logins.len(),
            c.summary()
        );
        assert!(logins.iter().all(|l| l.outcome == LoginOutcome::Rejected));
        assert!(
            credential_lines(&c, id) <= 2,
            "{id}: more than two passwords sent\n{}",
            c.summary()
        );
        assert_eq!(
            c.finding(id, Code::AuthFailed).params["tried"],
            "taro@lab.example, taro"
        );
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn local_part_user_name_is_auth_username_form() {
    let lab = Lab::get();
    let c = lab.check(
        BIN,
        "hanako@lab.example",
        &[
            "--imap",
            "imap.lab.example:993/ssl",
            "--pop3",
            "pop.lab.example:995/ssl",
            "--smtp",
            "smtp.lab.example:587/starttls",
        ],
        Some(&lab.password("hanako")),
    );
    c.assert_problems(&[
        ("imap", Code::AuthUsernameForm),
        ("pop3", Code::AuthUsernameForm),
        ("smtp", Code::AuthUsernameForm),
    ]);
    c.assert_exit(1);
    for id in ["imap", "pop3", "smtp"] {
        let f = c.finding(id, Code::AuthUsernameForm);
        assert_eq!(f.params["username"], "hanako@lab.example");
        assert_eq!(f.params["working_username"], "hanako");
        let logins = c.logins(id);
        assert_eq!(logins.len(), 2, "{}", c.summary());
        assert_eq!(logins[1].form, UsernameForm::LocalPart);
        assert_eq!(logins[1].outcome, LoginOutcome::Accepted);
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn refused_right_password_is_app_password_required() {
    let lab = Lab::get();
    let c = lab.check(
        BIN,
        "apppw@lab.example",
        &[
            "--imap",
            "imap.lab.example:993/ssl",
            "--pop3",
            "pop.lab.example:995/ssl",
            "--smtp",
            "smtp.lab.example:587/starttls",
        ],
        Some(&lab.password("apppw")),
    );
    c.assert_problems(&[
        ("imap", Code::AppPasswordRequired),
        ("pop3", Code::AppPasswordRequired),
        ("smtp", Code::AppPasswordRequired),
    ]);
    c.assert_exit(1);
    for id in ["imap", "pop3", "smtp"] {
        assert_eq!(
            c.logins(id).len(),
            1,
            "{id}: another user-name form cannot cure an app-password refusal, so no second try"
        );
    }
    let reason = lab
        .var_opt("MAILDOC_LAB_APPPW_REASON")
        .unwrap_or_else(|| "Application-specific password required".into());
    for id in ["imap", "pop3", "smtp"] {
        assert!(
            c.finding(id, Code::AppPasswordRequired).params["reply"].contains(&reason),
            "{}",
            c.summary()
        );
        assert!(c.logins(id).len() <= 2, "{}", c.summary());
    }
}

// --- certificates -----------------------------------------------------------------------------

/// IMAP 993, POP3 110 with STARTTLS and SMTP 587 of one host all get `code`; no password is
/// sent over a certificate that did not verify.
fn certificate_case(host: &str, code: Code) -> Checked {
    let imap = format!("{host}:993/ssl");
    let pop3 = format!("{host}:110/starttls");
    let smtp = format!("{host}:587/starttls");
    let c = check_taro(&["--imap", &imap, "--pop3", &pop3, "--smtp", &smtp]);
    c.assert_problems(&[("imap", code), ("pop3", code), ("smtp", code)]);
    c.assert_exit(1);
    c
}

fn untrusted(c: &Checked) {
    for id in ["imap", "pop3", "smtp"] {
        no_password_sent(c, id, LoginSkipReason::CertificateNotTrusted);
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn expired_certificate() {
    let c = certificate_case("expired.lab.example", Code::CertExpired);
    untrusted(&c);
    let days: i64 = c.finding("imap", Code::CertExpired).params["days"]
        .parse()
        .unwrap();
    assert!((29..=30).contains(&days), "{}", c.summary());
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn certificate_for_another_name() {
    let c = certificate_case("wrongname.lab.example", Code::CertNameMismatch);
    untrusted(&c);
    let f = c.finding("imap", Code::CertNameMismatch);
    assert_eq!(f.params["names"], "other.lab.example");
    assert_eq!(f.params["server_name"], "wrongname.lab.example");
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn self_signed_certificate() {
    let c = certificate_case("selfsigned.lab.example", Code::CertSelfSigned);
    untrusted(&c);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn certificate_from_an_unknown_ca() {
    let c = certificate_case("unknownca.lab.example", Code::CertUnknownIssuer);
    untrusted(&c);
    assert!(
        c.finding("imap", Code::CertUnknownIssuer).params["issuer"].contains("Other Test CA"),
        "{}",
        c.summary()
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn incomplete_chain_is_not_an_unknown_issuer() {
    let c = certificate_case("incomplete.lab.example", Code::CertChainIncomplete);
    let lab = Lab::get();
    for id in ["imap", "pop3", "smtp"] {
        let f = c.finding(id, Code::CertChainIncomplete);
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.params["aia_url"], lab.var("MAILDOC_LAB_AIA_URL"));
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn certificate_not_yet_valid() {
    let c = certificate_case("notyetvalid.lab.example", Code::CertNotYetValid);
    untrusted(&c);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn certificate_expiring_soon_is_a_warning() {
    let c = certificate_case("soon.lab.example", Code::CertExpiresSoon);
    for id in ["imap", "pop3", "smtp"] {
        let f = c.finding(id, Code::CertExpiresSoon);
        assert_eq!(f.severity, Severity::Warning);
        let days: i64 = f.params["days"].parse().unwrap();
        assert!((9..=10).contains(&days), "{}", c.summary());
        // The certificate is valid: the check goes on and logs in.
        logged_in(&c, id);
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn public_provider_with_a_scanner_certificate_is_interception() {
    // taro@gmail.com: the provider table names imap.gmail.com and smtp.gmail.com, which the
    // lab's DNS points at a server whose certificate comes from a "security scanner" CA.
    let lab = Lab::get();
    let c = lab.check(BIN, "taro@gmail.com", &[], Some(&lab.password("taro")));
    assert_eq!(
        c.report.target.settings_source.as_str(),
        "provider",
        "{}",
        c.summary()
    );
    let hosts: Vec<&str> = c
        .report
        .servers
        .iter()
        .map(|s| s.endpoint.host.as_str())
        .collect();
    assert_eq!(
        hosts,
        ["imap.gmail.com", "smtp.gmail.com"],
        "{}",
        c.summary()
    );
    c.assert_problems(&[
        ("imap", Code::TlsInterceptionSuspected),
        ("smtp", Code::TlsInterceptionSuspected),
    ]);
    c.assert_exit(1);
    for id in ["imap", "smtp"] {
        // The password never goes to the interceptor.
        no_password_sent(&c, id, LoginSkipReason::CertificateNotTrusted);
    }
}

// --- encryption settings ----------------------------------------------------------------------

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn starttls_offered_nowhere_is_a_plaintext_only_server() {
    // STARTTLS set, and the server offers none; its SSL/TLS ports, tried beside, are
    // refused: no port of it is encrypted, which says more than "STARTTLS not offered".
    let c = check_taro(&[
        "--imap",
        "nostarttls.lab.example:143/starttls",
        "--pop3",
        "nostarttls.lab.example:110/starttls",
        "--smtp",
        "nostarttls.lab.example:587/starttls",
    ]);
    c.assert_problems(&[
        ("imap", Code::PlaintextOnlyServer),
        ("pop3", Code::PlaintextOnlyServer),
        ("smtp", Code::PlaintextOnlyServer),
    ]);
    assert_eq!(alternatives_of(&c, "imap"), ["imap-993"]);
    c.assert_exit(1);
    for id in ["imap", "pop3", "smtp"] {
        assert!(c.logins(id).is_empty(), "{}", c.summary());
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn plaintext_login_disabled_even_when_allowed() {
    let c = check_taro(&[
        "--imap",
        "imap.lab.example:143/plain",
        "--pop3",
        "pop.lab.example:110/plain",
        "--allow-plaintext-login",
    ]);
    c.assert_problems(&[
        ("imap", Code::PlaintextLoginDisabled),
        ("pop3", Code::PlaintextLoginDisabled),
    ]);
    c.assert_exit(1);
    for id in ["imap", "pop3"] {
        no_password_sent(&c, id, LoginSkipReason::ServerRefusesPlaintext);
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn plaintext_without_the_flag_sends_no_password() {
    let c = check_taro(&["--imap", "imap.lab.example:143/plain"]);
    c.assert_problems(&[("imap", Code::PlaintextLoginDisabled)]);
    c.assert_exit(1);
    let reason = c.login_skipped("imap");
    assert!(
        matches!(
            reason,
            Some(LoginSkipReason::Unencrypted | LoginSkipReason::ServerRefusesPlaintext)
        ),
        "{}",
        c.summary()
    );
    no_password_sent(&c, "imap", reason.unwrap());
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn encryption_off_on_a_port_that_offers_starttls() {
    // Without SMTP authentication no login decides the matter: only the settings do. Those
    // settings hold a second mistake, which the settings lint reports: authentication off on
    // the submission port (no relay test runs unencrypted, so nothing from the server says
    // it instead).
    let c = check_taro(&[
        "--smtp",
        "smtp.lab.example:587/plain",
        "--smtp-auth",
        "none",
    ]);
    c.assert_problems(&[("smtp", Code::EncryptionOff), ("smtp", Code::SmtpAuthOff)]);
    c.assert_exit(1);
    assert!(c.logins("smtp").is_empty(), "{}", c.summary());
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn server_without_any_encryption_is_plaintext_only() {
    // nostarttls.lab.example offers no STARTTLS and no TLS port; the password stays home.
    let c = check_taro(&["--imap", "nostarttls.lab.example:143/plain"]);
    c.assert_problems(&[("imap", Code::PlaintextOnlyServer)]);
    c.assert_exit(1);
    assert!(c.logins("imap").is_empty(), "{}", c.summary());
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn ssl_on_plaintext_ports() {
    let c = check_taro(&[
        "--smtp",
        "smtp.lab.example:587/ssl",
        "--imap",
        "imap.lab.example:143/ssl",
        "--pop3",
        "pop.lab.example:110/ssl",
    ]);
    c.assert_problems(&[
        ("imap", Code::SslOnPlaintextPort),
        ("pop3", Code::SslOnPlaintextPort),
        ("smtp", Code::SslOnPlaintextPort),
    ]);
    c.assert_exit(1);
    let f = c.finding("smtp", Code::SslOnPlaintextPort);
    assert_eq!(f.params["tls_port"], "465");
    assert_eq!(f.params["plain_port"], "587");
    // What the server said, as one clean line.
    let received = &c.finding("imap", Code::SslOnPlaintextPort).params["received"];
    assert!(received.starts_with("* OK"), "{}", c.summary());
    assert!(!received.contains("\\x0d"), "{received}");
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn plaintext_and_starttls_on_ssl_ports() {
    let c = check_taro(&[
        "--imap",
        "imap.lab.example:993/plain",
        "--imap",
        "imap.lab.example:993/starttls",
        "--smtp",
        "smtp.lab.example:465/starttls",
    ]);
    c.assert_problems(&[
        ("imap", Code::PlaintextOnSslPort),
        ("imap-2", Code::PlaintextOnSslPort),
        ("smtp", Code::PlaintextOnSslPort),
    ]);
    c.assert_exit(1);
    for id in ["imap", "imap-2", "smtp"] {
        assert!(c.logins(id).is_empty(), "{}", c.summary());
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn pop3_answering_on_the_imap_port() {
    let c = check_taro(&[
        "--imap",
        "pop-on-imap.lab.example:143/starttls",
        "--imap",
        "pop-on-imap.lab.example:993/ssl",
    ]);
    c.assert_problems(&[
        ("imap", Code::WrongProtocolOnPort),
        ("imap-2", Code::WrongProtocolOnPort),
    ]);
    c.assert_exit(1);
    for id in ["imap", "imap-2"] {
        let f = c.finding(id, Code::WrongProtocolOnPort);
        assert_eq!(f.params["spoken"], "POP3", "{}", c.summary());
        assert_eq!(f.params["expected"], "IMAP");
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn legacy_tls_only_server() {
    let lab = Lab::get();
    match lab.var_opt("MAILDOC_LAB_LEGACY_TLS").as_deref() {
        Some("absent") => {
            eprintln!("the lab runs without legacy.lab.example; nothing to check");
            return;
        }
        None => panic!("lab.env has no MAILDOC_LAB_LEGACY_TLS"),
        Some(_) => {}
    }
    let c = check_taro(&["--imap", "legacy.lab.example:993/ssl"]);
    c.assert_problems(&[("imap", Code::TlsLegacyOnly)]);
    c.assert_exit(1);
    assert!(c.logins("imap").is_empty(), "{}", c.summary());
}

// --- network and DNS --------------------------------------------------------------------------

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn closed_ports_are_refused() {
    let c = check_taro(&[
        "--imap",
        "closed.lab.example:993/ssl",
        "--pop3",
        "closed.lab.example:995/ssl",
        "--smtp",
        "closed.lab.example:587/starttls",
    ]);
    c.assert_problems(&[
        ("imap", Code::ConnectRefused),
        ("pop3", Code::ConnectRefused),
        ("smtp", Code::ConnectRefused),
    ]);
    c.assert_exit(1);
    assert_eq!(
        c.finding("smtp", Code::ConnectRefused).params["address"],
        "127.0.2.19:587"
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn filtered_port_25_is_port_25_blocked_and_quick() {
    let c = check_taro(&["--smtp", "op25b.lab.example:25", "--timeout", "4"]);
    c.assert_problems(&[("smtp", Code::Port25Blocked)]);
    c.assert_exit(1);
    assert!(
        c.run.elapsed < Duration::from_secs(5),
        "took {:?} with --timeout 4\n{}",
        c.run.elapsed,
        c.summary()
    );
    assert_eq!(c.report.timeout_ms, 4_000);
    let f = c.finding("smtp", Code::Port25Blocked);
    assert_eq!(f.params["open_ports"], "587, 465", "{}", c.summary());
    let companions: Vec<&str> = c
        .report
        .servers
        .iter()
        .filter(|s| s.depth == ProbeDepth::PortOnly)
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(companions, ["smtp-587", "smtp-465"]);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn host_not_found() {
    let c = check_taro(&[
        "--imap",
        "missing.lab.example",
        "--smtp",
        "missing.lab.example",
    ]);
    c.assert_problems(&[
        ("imap", Code::DnsHostNotFound),
        ("smtp", Code::DnsHostNotFound),
    ]);
    c.assert_exit(1);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn host_without_address() {
    let c = check_taro(&[
        "--imap",
        "noaddr.lab.example",
        "--smtp",
        "noaddr.lab.example",
    ]);
    c.assert_problems(&[("imap", Code::DnsNoAddress), ("smtp", Code::DnsNoAddress)]);
    c.assert_exit(1);
}

// --- fault hosts: what a connection doctor would try -------------------------------------------

/// The other standard ports tried for `of`, by id.
fn alternatives_of(c: &Checked, of: &str) -> Vec<String> {
    c.report
        .servers
        .iter()
        .filter(|s| matches!(&s.origin, Origin::Alternative { of: o } if o == of))
        .map(|s| s.id.clone())
        .collect()
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn refused_ssl_ports_beside_working_starttls_ports_say_use_them() {
    // sslonly.lab.example refuses 993, 995 and 465; its STARTTLS ports work.
    let c = check_taro(&[
        "--imap",
        "sslonly.lab.example:993/ssl",
        "--pop3",
        "sslonly.lab.example:995/ssl",
        "--smtp",
        "sslonly.lab.example:465/ssl",
    ]);
    // The port that works is the answer, not "the connection was refused".
    c.assert_problems(&[
        ("imap", Code::UseOtherPort),
        ("pop3", Code::UseOtherPort),
        ("smtp", Code::UseOtherPort),
    ]);
    c.assert_exit(1);
    for (id, port) in [("imap", "143"), ("pop3", "110"), ("smtp", "587")] {
        let f = c.finding(id, Code::UseOtherPort);
        assert_eq!(f.params["alt_port"], port, "{}", c.summary());
        assert_eq!(f.params["alt_security"], "STARTTLS");
    }
    assert_eq!(alternatives_of(&c, "imap"), ["imap-143"]);
    assert_eq!(alternatives_of(&c, "pop3"), ["pop3-110"]);
    assert_eq!(alternatives_of(&c, "smtp"), ["smtp-587", "smtp-25"]);
    // The password went to none of them.
    for id in ["imap-143", "pop3-110", "smtp-587", "smtp-25"] {
        assert_eq!(c.server(id).depth, ProbeDepth::Transport);
        no_credential_sent(&c, id);
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_refused_ssl_port_beside_a_plaintext_only_port_is_a_plaintext_only_server() {
    // nostarttls.lab.example: 993 refused, 143 answers without STARTTLS.
    let c = check_taro(&["--imap", "nostarttls.lab.example:993/ssl"]);
    c.assert_problems(&[("imap", Code::PlaintextOnlyServer)]);
    c.assert_exit(1);
    no_credential_sent(&c, "imap-143");
    // A working server tries nothing else.
    let c = check_taro(&["--imap", "imap.lab.example:993/ssl"]);
    c.assert_problems(&[]);
    assert!(alternatives_of(&c, "imap").is_empty(), "{}", c.summary());
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn when_no_other_port_answers_nothing_more_is_said() {
    let c = check_taro(&["--imap", "closed.lab.example:993/ssl"]);
    c.assert_problems(&[("imap", Code::ConnectRefused)]);
    assert_eq!(alternatives_of(&c, "imap"), ["imap-143"]);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_slow_greeting_on_the_right_port_is_server_slow() {
    // slow.lab.example accepts at once and greets only after 40 s (on 465 after the TLS
    // handshake); with --timeout 15 the greeting gets 5 s, and the TLS hello tried after the
    // silence on 587 has time left even when the lab is busy with other tests.
    let c = check_taro(&[
        "--smtp",
        "slow.lab.example:587/starttls",
        "--smtp",
        "slow.lab.example:465/ssl",
        "--timeout",
        "15",
    ]);
    c.assert_problems(&[("smtp", Code::ServerSlow), ("smtp-2", Code::ServerSlow)]);
    c.assert_exit(1);
    for id in ["smtp", "smtp-2"] {
        assert!(c.logins(id).is_empty(), "{}", c.summary());
    }
    assert!(
        c.run.elapsed < Duration::from_secs(17),
        "took {:?} with --timeout 15\n{}",
        c.run.elapsed,
        c.summary()
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_server_that_relays_for_anyone_is_an_open_relay() {
    let c = check_taro(&[
        "--smtp",
        "relay.lab.example:587/starttls",
        "--smtp-auth",
        "none",
    ]);
    c.assert_problems(&[("smtp", Code::SmtpOpenRelay), ("smtp", Code::SmtpAuthOff)]);
    c.assert_exit(1);
    let f = c.finding("smtp", Code::SmtpOpenRelay);
    assert!(f.params["reply"].starts_with("250"), "{}", c.summary());
    assert!(f.params["recipient"].ends_with("@example.com"));
    no_password_sent(&c, "smtp", LoginSkipReason::SmtpAuthOff);
    // With a login the relay test is not run: the server is used as it should be.
    let c = check_taro(&["--smtp", "relay.lab.example:587/starttls"]);
    c.assert_problems(&[]);
    logged_in(&c, "smtp");
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_server_that_wants_a_client_certificate_says_so() {
    // Dovecot fails the handshake without one; Postfix finishes it, then answers 421.
    let c = check_taro(&[
        "--imap",
        "clientcert.lab.example:993/ssl",
        "--pop3",
        "clientcert.lab.example:995/ssl",
        "--smtp",
        "clientcert.lab.example:465/ssl",
    ]);
    c.assert_problems(&[
        ("imap", Code::ClientCertRequired),
        ("pop3", Code::ClientCertRequired),
        ("smtp", Code::ClientCertRequired),
    ]);
    c.assert_exit(1);
    for id in ["imap", "pop3", "smtp"] {
        assert!(c.logins(id).is_empty(), "{}", c.summary());
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn an_address_whose_domain_loops_is_a_failed_lookup_not_a_missing_host() {
    // loop.lab.example is a CNAME to loop2, which is a CNAME back: the lookups fail (the
    // detail names the loop); nothing says a host does not exist.
    let lab = Lab::get();
    let c = lab.check(BIN, "taro@loop.lab.example", &["--no-login"], None);
    c.assert_problems(&[
        ("", Code::SettingsNotFound),
        ("imap", Code::DnsResolverFailure),
        ("pop3", Code::DnsResolverFailure),
        ("smtp", Code::DnsResolverFailure),
    ]);
    let f = c.finding("imap", Code::DnsResolverFailure);
    assert!(f.params["detail"].contains("loop"), "{}", c.summary());
}

// --- mailbox and sending ----------------------------------------------------------------------

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn mailbox_over_quota() {
    let lab = Lab::get();
    let c = lab.check(
        BIN,
        "full@lab.example",
        &["--imap", "imap.lab.example:993/ssl"],
        Some(&lab.password("full")),
    );
    c.assert_problems(&[("imap", Code::MailboxOverQuota)]);
    c.assert_exit(1);
    logged_in(&c, "imap");
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn mailbox_near_quota() {
    let lab = Lab::get();
    let c = lab.check(
        BIN,
        "near@lab.example",
        &["--imap", "imap.lab.example:993/ssl"],
        Some(&lab.password("near")),
    );
    c.assert_problems(&[("imap", Code::MailboxNearQuota)]);
    c.assert_exit(1);
    let f = c.finding("imap", Code::MailboxNearQuota);
    assert_eq!(f.severity, Severity::Warning);
    let percent: u32 = f.params["percent"].parse().unwrap();
    assert!((90..100).contains(&percent), "{}", c.summary());
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn relay_denied_without_smtp_auth() {
    let c = check_taro(&[
        "--smtp",
        "smtp.lab.example:587/starttls",
        "--smtp-auth",
        "none",
    ]);
    c.assert_problems(&[("smtp", Code::SmtpRelayDenied)]);
    c.assert_exit(1);
    no_password_sent(&c, "smtp", LoginSkipReason::SmtpAuthOff);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn small_message_size_limit() {
    let c = check_taro(&["--smtp", "smallsize.lab.example:587/starttls"]);
    c.assert_problems(&[("smtp", Code::SmtpSizeLimit)]);
    c.assert_exit(1);
    assert_eq!(
        c.finding("smtp", Code::SmtpSizeLimit).params["size_bytes"],
        "1048576"
    );
    logged_in(&c, "smtp");
}

// --- input ----------------------------------------------------------------------------------

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn mail_address_in_the_host_field() {
    let c = check_taro(&["--imap", "taro@lab.example"]);
    c.assert_problems(&[("imap", Code::HostLooksLikeAddress)]);
    // A finding, not a usage error.
    c.assert_exit(1);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn full_width_input_is_normalized_and_works() {
    let lab = Lab::get();
    let address = "ｔａｒｏ＠ｌａｂ．ｅｘａｍｐｌｅ";
    // No server flags: the guessed servers of lab.example are all healthy.
    let c = lab.check(BIN, address, &[], Some(&lab.password("taro")));
    c.assert_problems(&[]);
    c.assert_exit(0);
    assert_eq!(c.report.target.address, "taro@lab.example");
    assert_eq!(c.report.target.settings_source.as_str(), "guess");
    let normalized: Vec<_> = c
        .report
        .findings
        .iter()
        .filter(|f| f.code == Code::InputNormalized)
        .collect();
    assert_eq!(normalized.len(), 1, "{}", c.summary());
    assert_eq!(normalized[0].severity, Severity::Info);
    assert_eq!(normalized[0].params["field"], "address");
    assert_eq!(normalized[0].params["normalized"], "taro@lab.example");
    for s in &c.report.servers {
        logged_in(&c, &s.id);
    }

    // A server typed in full width, port and all. maildoc folds it and the check works, but
    // the settings lint warns: a mail app holding this server name may not fold it (a
    // classic reason for "server not found"). The warning takes the place of the note that
    // maildoc adjusted the field, so the exit code says there is something to fix.
    let c = lab.check(
        BIN,
        address,
        &["--imap", "ｉｍａｐ．ｌａｂ．ｅｘａｍｐｌｅ：９９３"],
        Some(&lab.password("taro")),
    );
    c.assert_problems(&[("imap", Code::FullWidthCharacters)]);
    c.assert_exit(1);
    let f = c.finding("imap", Code::FullWidthCharacters);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.params["corrected"], "imap.lab.example");
    let notes: Vec<&str> = c
        .report
        .findings
        .iter()
        .filter(|f| f.code == Code::InputNormalized)
        .map(|f| f.params["field"].as_str())
        .collect();
    assert_eq!(notes, ["address"], "{}", c.summary());
    let imap = c.server("imap");
    assert_eq!(imap.endpoint.host, "imap.lab.example");
    assert_eq!(imap.endpoint.port, 993);
    logged_in(&c, "imap");
    let fields: Vec<&str> = c
        .report
        .target
        .normalizations
        .iter()
        .map(|n| n.field.as_str())
        .collect();
    assert_eq!(fields, ["address", "imap"], "{}", c.summary());
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn unusable_input_exits_3() {
    let lab = Lab::get();
    for (address, extra) in [
        ("not-an-address", vec![]),
        ("taro@@lab.example", vec![]),
        ("taro@lab.example", vec!["--imap", "imap.lab.example:99999"]),
        ("taro@lab.example", vec!["--imap", "imap.lab.example/tls13"]),
        ("taro@lab.example", vec!["--imap", ":993"]),
    ] {
        let mut args = lab.base_args(address);
        args.extend(extra.iter().map(|a| a.to_string()));
        args.push("--no-login".into());
        let run = maildoc_testkit::lab::run(BIN, &args, None);
        assert_eq!(run.code, 3, "{address} {extra:?}: {run:?}");
        assert!(run.stdout.trim().is_empty(), "{address} {extra:?}: {run:?}");
        assert!(
            !run.stderr.trim().is_empty(),
            "{address} {extra:?}: {run:?}"
        );
    }
}
