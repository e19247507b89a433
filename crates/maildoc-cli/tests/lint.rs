//! The settings lint through the binary, against the lab (`lab/lab.sh start`): the flags as
//! typed are linted, and lint findings join the probe's findings with one finding per root
//! cause. An address over RFC 5321's limits is refused by every command before anything
//! runs.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_model::{Code, LoginSkipReason, Severity};
use maildoc_testkit::lab::{Checked, Lab};

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

fn check_taro(args: &[&str]) -> Checked {
    let lab = Lab::get();
    lab.check(BIN, "taro@lab.example", args, Some(&lab.password("taro")))
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_typo_of_the_own_domain_explains_the_failed_lookup() {
    let c = check_taro(&["--imap", "imap.lab.exmaple", "--smtp", "smtp.lab.example"]);
    // One finding for the IMAP server: the typo, with the lookup as its evidence (the lab's
    // DNS refuses names outside its zones; in the world it is "not found").
    c.assert_problems(&[("imap", Code::HostTypo)]);
    c.assert_exit(1);
    let f = c.finding("imap", Code::HostTypo);
    assert_eq!(f.params["suggestion"], "imap.lab.example");
    assert_eq!(f.params["host"], "imap.lab.exmaple");
    assert_eq!(f.evidence, ["imap.1"], "{}", c.summary());
    assert_eq!(f.severity, Severity::Error);
    assert!(
        !c.report
            .findings
            .iter()
            .any(|f| f.code == Code::DnsResolverFailure || f.code == Code::DnsHostNotFound),
        "{}",
        c.summary()
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn ssl_on_587_is_one_finding_with_the_probes_evidence() {
    // The lint sees SSL/TLS with 587 and the probe sees plaintext on 587: the same mistake,
    // reported once under the probe's code, with what the server sent.
    let c = check_taro(&["--smtp", "smtp.lab.example:587/ssl"]);
    c.assert_problems(&[("smtp", Code::SslOnPlaintextPort)]);
    c.assert_exit(1);
    let f = c.finding("smtp", Code::SslOnPlaintextPort);
    assert_eq!(f.params["tls_port"], "465");
    assert_eq!(f.params["plain_port"], "587");
    assert!(f.params["received"].starts_with("220"), "{}", c.summary());
    assert!(!f.evidence.is_empty(), "{}", c.summary());
    assert_eq!(
        c.report
            .findings
            .iter()
            .filter(|f| f.code == Code::SslOnPlaintextPort)
            .count(),
        1
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_port_setting_stays_when_the_server_cannot_be_reached() {
    // missing.lab.example does not resolve: the port mistake is still worth fixing.
    let c = check_taro(&["--pop3", "missing.lab.example:993/ssl"]);
    c.assert_problems(&[
        ("pop3", Code::PortOfOtherProtocol),
        ("pop3", Code::DnsHostNotFound),
    ]);
    let f = c.finding("pop3", Code::PortOfOtherProtocol);
    assert_eq!(f.params["port_protocol"], "IMAP");
    assert_eq!(f.params["suggested_port"], "995");
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn smtp_auth_off_is_reported_once() {
    // Relaying refused: the probe's smtp-relay-denied says it, with the server's answer.
    for smtp in ["smtp.lab.example:587/starttls", "smtp.lab.example:465/ssl"] {
        let c = check_taro(&["--smtp", smtp, "--smtp-auth", "none"]);
        c.assert_problems(&[("smtp", Code::SmtpRelayDenied)]);
    }
    // Without encryption the probe sends no envelope: nothing from the server decides it, so
    // the setting is reported beside the encryption problem.
    let c = check_taro(&[
        "--smtp",
        "smtp.lab.example:587/plain",
        "--smtp-auth",
        "none",
    ]);
    c.assert_problems(&[("smtp", Code::SmtpAuthOff), ("smtp", Code::EncryptionOff)]);
    assert_eq!(
        c.finding("smtp", Code::SmtpAuthOff).severity,
        Severity::Error,
        "587 needs authentication"
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn stray_characters_in_what_was_typed() {
    let c = check_taro(&[
        "--imap",
        "imap.lab.example\u{200B}:993/ssl",
        "--username",
        "taro@lab.example ",
    ]);
    let host = c.finding("imap", Code::InvisibleCharacters);
    assert_eq!(host.params["field"], "host");
    assert_eq!(host.params["characters"], "U+200B");
    assert_eq!(host.params["corrected"], "imap.lab.example");
    let user = c
        .report
        .findings
        .iter()
        .find(|f| f.code == Code::InvisibleCharacters && f.server.is_none())
        .unwrap_or_else(|| panic!("no user-name finding\n{}", c.summary()));
    assert_eq!(user.params["field"], "username");
    assert_eq!(user.params["shown"], "taro@lab.example␣");
    // They replace the notes that maildoc adjusted the input.
    assert!(
        !c.report
            .findings
            .iter()
            .any(|f| f.code == Code::InputNormalized),
        "{}",
        c.summary()
    );
    // maildoc itself checked with the corrected values, and they work.
    c.assert_exit(1);
    let logins = c.logins("imap");
    assert!(
        logins
            .iter()
            .any(|l| l.outcome == maildoc_model::LoginOutcome::Accepted),
        "{}",
        c.summary()
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn no_password_goes_to_a_look_alike_host() {
    // For taro@1ab.example (digit one), imap.lab.example (letter l) is a look-alike of the
    // address's own domain. The lab's server answers under that name with a valid
    // certificate, and still gets no password: the name may belong to someone else.
    let lab = Lab::get();
    let c = lab.check(
        BIN,
        "taro@1ab.example",
        &[
            "--imap",
            "imap.lab.example",
            "--smtp",
            "smtp.lab.example:587/starttls",
        ],
        Some(&lab.password("taro")),
    );
    c.assert_problems(&[("imap", Code::HostLookAlike), ("smtp", Code::HostLookAlike)]);
    assert_eq!(
        c.finding("imap", Code::HostLookAlike).params["suggestion"],
        "imap.1ab.example"
    );
    for id in ["imap", "smtp"] {
        assert_eq!(
            c.login_skipped(id),
            Some(LoginSkipReason::SuspectHost),
            "{}",
            c.summary()
        );
        assert!(c.logins(id).is_empty(), "{}", c.summary());
        for line in c.sent(id) {
            let upper = line.to_ascii_uppercase();
            assert!(
                !["LOGIN ", "AUTHENTICATE", "PASS ", "AUTH "]
                    .iter()
                    .any(|w| upper.contains(w)),
                "{id} sent `{line}`"
            );
        }
    }
    // A look-alike of a known provider's host, which the lab cannot resolve: the finding.
    let c = check_taro(&["--imap", "imap.gmai1.com"]);
    c.assert_problems(&[("imap", Code::HostLookAlike)]);
    assert_eq!(
        c.finding("imap", Code::HostLookAlike).params["suggestion"],
        "imap.gmail.com"
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn healthy_settings_give_no_lint_findings() {
    let c = check_taro(&[
        "--imap",
        "imap.lab.example:993/ssl",
        "--pop3",
        "pop.lab.example:110/starttls",
        "--smtp",
        "smtp.lab.example:465/ssl",
        "--username",
        "taro@lab.example",
    ]);
    c.assert_problems(&[]);
    assert!(c.report.findings.is_empty(), "{}", c.summary());
    c.assert_exit(0);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn bidi_controls_in_the_address_are_invisible_characters() {
    // U+202E (right-to-left override) inside the local part: maildoc checks the address
    // without it, and says where it was.
    let lab = Lab::get();
    let typed = "ta\u{202E}ro@lab.example";
    let c = lab.check(
        BIN,
        typed,
        &["--imap", "imap.lab.example:993/ssl"],
        Some(&lab.password("taro")),
    );
    c.assert_problems(&[("", Code::InvisibleCharacters)]);
    c.assert_exit(1);
    let f = c
        .report
        .findings
        .iter()
        .find(|f| f.code == Code::InvisibleCharacters)
        .unwrap_or_else(|| panic!("{}", c.summary()));
    assert_eq!(f.server, None);
    assert_eq!(f.params["field"], "address");
    assert_eq!(f.params["value"], typed);
    assert_eq!(f.params["characters"], "U+202E");
    assert_eq!(f.params["shown"], "ta<U+202E>ro@lab.example");
    assert_eq!(f.params["corrected"], "taro@lab.example");
    assert_eq!(c.report.target.address, "taro@lab.example");
    assert!(
        c.logins("imap")
            .iter()
            .any(|l| l.outcome == maildoc_model::LoginOutcome::Accepted),
        "{}",
        c.summary()
    );
    // The note that maildoc adjusted the address gives way to the finding.
    assert!(
        !c.report
            .findings
            .iter()
            .any(|f| f.code == Code::InputNormalized),
        "{}",
        c.summary()
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn without_server_flags_the_address_and_user_name_are_still_looked_at() {
    // The servers come from discovery, so there are no server settings to lint; the address
    // and --username were typed all the same.
    let lab = Lab::get();
    let c = lab.check(
        BIN,
        "ta\u{202E}ro@lab.example",
        &["--username", "taro\u{200B}@lab.example", "--no-login"],
        None,
    );
    let fields: Vec<&str> = c
        .report
        .findings
        .iter()
        .filter(|f| f.code == Code::InvisibleCharacters)
        .map(|f| f.params["field"].as_str())
        .collect();
    assert_eq!(fields, ["address", "username"], "{}", c.summary());
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn bidi_controls_in_the_user_name_are_invisible_characters() {
    for (username, characters) in [
        ("\u{2067}taro@lab.example\u{2069}", "U+2067, U+2069"),
        ("taro@lab.example\u{200F}", "U+200F"),
        ("taro@\u{202D}lab.example", "U+202D"),
    ] {
        let c = check_taro(&["--imap", "imap.lab.example:993/ssl", "--username", username]);
        c.assert_problems(&[("", Code::InvisibleCharacters)]);
        let f = c
            .report
            .findings
            .iter()
            .find(|f| f.code == Code::InvisibleCharacters)
            .unwrap_or_else(|| panic!("{}", c.summary()));
        assert_eq!(f.params["field"], "username");
        assert_eq!(f.params["characters"], characters);
        assert_eq!(f.params["corrected"], "taro@lab.example");
        // The corrected user name logs in.
        assert!(
            c.logins("imap")
                .iter()
                .any(|l| l.outcome == maildoc_model::LoginOutcome::Accepted),
            "{}",
            c.summary()
        );
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn an_address_over_the_limits_is_refused_before_anything() {
    let local = "x".repeat(100 * 1024);
    let label = "a".repeat(64);
    let long_domain = vec!["a".repeat(63); 5].join(".");
    let cases = [
        (
            format!("{local}@lab.example"),
            "The part of the address before the @ is 102400 bytes long; mail allows at most 64 \
             (RFC 5321 §4.5.3.1.1).",
            "メールアドレスの @ より前の部分が 102400 バイトあります。メールで使えるのは 64 \
             バイトまでです (RFC 5321 §4.5.3.1.1)。",
        ),
        (
            format!("taro@{label}.example"),
            "One part of the domain between dots is 64 bytes long; mail allows at most 63 \
             (RFC 1035 §2.3.4).",
            "ドメインのドットで区切られた部分のひとつが 64 バイトあります。",
        ),
        (
            format!("taro@{long_domain}"),
            "The domain of the address is 319 bytes long; mail allows at most 255 \
             (RFC 5321 §4.5.3.1.2).",
            "メールアドレスのドメインが 319 バイトあります。",
        ),
        (
            format!(
                "{}@{}.example",
                "t".repeat(64),
                vec!["a".repeat(60); 3].join(".")
            ),
            "The whole address is 255 bytes long; mail allows at most 254 (RFC 5321 §4.5.3.1.3).",
            "メールアドレス全体が 255 バイトあります。",
        ),
    ];
    let lab = Lab::get();
    for (address, en, ja) in &cases {
        for (lang, words) in [("en", en), ("ja", ja)] {
            // Those that log in get a password on standard input: it is never read.
            let commands: [(Vec<String>, bool); 5] = [
                (lab.base_args(address), true),
                (
                    vec![
                        "discover".into(),
                        address.clone(),
                        "--dns-server".into(),
                        lab.dns(),
                    ],
                    false,
                ),
                (
                    vec![
                        "karte".into(),
                        "new".into(),
                        address.clone(),
                        "-o".into(),
                        "-".into(),
                    ],
                    false,
                ),
                (
                    vec![
                        "triage".into(),
                        "--symptom".into(),
                        "send".into(),
                        "--address".into(),
                        address.clone(),
                        "--no-input".into(),
                    ],
                    true,
                ),
                (
                    vec![
                        "explain".into(),
                        "535 5.7.8".into(),
                        "--check".into(),
                        address.clone(),
                    ],
                    true,
                ),
            ];
            for (mut args, login) in commands {
                args.extend(["--lang".into(), lang.into()]);
                let password = login.then(|| lab.password("taro"));
                let run = maildoc_testkit::lab::run(BIN, &args, password.as_deref());
                let what = format!("{} {lang} {:.40}", args[0], address);
                assert_eq!(run.code, 3, "{what}: {}", run.stderr);
                assert!(
                    run.stderr.starts_with(&format!("maildoc: {words}")),
                    "{what}: {}",
                    run.stderr
                );
                assert!(
                    run.stderr.len() < 400,
                    "{what}: the address is not repeated"
                );
                assert!(run.stdout.is_empty(), "{what}: {}", run.stdout);
                assert!(
                    run.elapsed < std::time::Duration::from_secs(2),
                    "{what}: {:?}",
                    run.elapsed
                );
            }
        }
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_user_name_longer_than_any_address_and_a_long_mail_from_are_refused() {
    let lab = Lab::get();
    let user = "u".repeat(5000);
    let from = format!("{}@lab.example", "f".repeat(5000));
    let runs: [(Vec<String>, &str); 5] = [
        (
            [
                lab.base_args("taro@lab.example"),
                vec!["--username".into(), user.clone()],
            ]
            .concat(),
            "The user name is 5000 bytes long",
        ),
        (
            [
                "triage",
                "--symptom",
                "send",
                "--no-input",
                "--username",
                &user,
            ]
            .map(String::from)
            .to_vec(),
            "The user name is 5000 bytes long",
        ),
        (
            [
                "karte",
                "new",
                "taro@lab.example",
                "-o",
                "-",
                "--username",
                &user,
            ]
            .map(String::from)
            .to_vec(),
            "The user name is 5000 bytes long",
        ),
        (
            [
                "explain",
                "535",
                "--check",
                "taro@lab.example",
                "--username",
                &user,
            ]
            .map(String::from)
            .to_vec(),
            "The user name is 5000 bytes long",
        ),
        (
            ["domain", "lab.example", "--mail-from", &from]
                .map(String::from)
                .to_vec(),
            "The part of the address before the @ is 5000 bytes long",
        ),
    ];
    for (mut args, words) in runs {
        args.extend(["--lang".into(), "en".into()]);
        // Those that log in get a password on standard input: it is never read.
        let login = !matches!(args[0].as_str(), "karte" | "domain");
        let password = login.then(|| lab.password("taro"));
        let run = maildoc_testkit::lab::run(BIN, &args, password.as_deref());
        assert_eq!(run.code, 3, "{}: {}", args[0], run.stderr);
        assert!(
            run.stderr.starts_with(&format!("maildoc: {words}")) && run.stderr.len() < 400,
            "{}: {}",
            args[0],
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{}: {}", args[0], run.stdout);
    }
}
