//! `maildoc discover` against the lab (`lab/lab.sh start`): SRV records (srv.lab.example), a
//! domain told by its MX (hosted.lab.example), autoconfig files over HTTPS on loopback
//! (auto.lab.example, wellknown.lab.example, badcert.lab.example), guessing (lab.example);
//! maildoc's tables with a DNS server that never answers; and `check` without server flags,
//! which uses discovery. Every run asks the lab's DNS or an in-process one: nothing leaves
//! this machine.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_engine::discover::{
    CandidateStatus, Discovery, FoundBy, Recommendation, Source, SourceKind, SourceOutcome,
};
use maildoc_model::{Code, LoginOutcome, Protocol, Security};
use maildoc_testkit::hostile::{DnsBehaviour, dns};
use maildoc_testkit::lab::{Checked, Lab, Run, run};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// `maildoc discover ADDRESS` against the lab's DNS and CA, then `extra`.
fn discover_raw(address: &str, extra: &[&str]) -> Run {
    let lab = Lab::get();
    let mut args: Vec<String> = [
        "discover",
        address,
        "--dns-server",
        &lab.dns(),
        "--ca-file",
        &lab.ca(),
        "--timeout",
        "10",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend(extra.iter().map(|a| a.to_string()));
    run(BIN, &args, None)
}

/// The JSON of a discovery, with its run for failure messages.
fn discover(address: &str) -> (Discovery, Run) {
    let r = discover_raw(address, &["--format", "json"]);
    let d: Discovery = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not a discovery ({e}):\n{}\n{}", r.stdout, r.stderr));
    (d, r)
}

fn server(r: &Option<Recommendation>) -> Option<(Protocol, &str, u16, Security)> {
    r.as_ref().map(|r| {
        (
            r.server.protocol,
            r.server.host.as_str(),
            r.server.port,
            r.server.security,
        )
    })
}

fn source<'a>(d: &'a Discovery, kind: SourceKind, target: &str) -> &'a Source {
    d.sources
        .iter()
        .find(|s| s.kind == kind && s.target == target)
        .unwrap_or_else(|| panic!("no {kind:?} source {target}: {:#?}", d.sources))
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn srv_records_give_the_settings() {
    let (d, r) = discover("taro@srv.lab.example");
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Of the two _imaps targets, the lower priority wins.
    assert_eq!(
        server(&d.incoming),
        Some((Protocol::Imap, "imap.lab.example", 993, Security::Tls))
    );
    let incoming = d.incoming.as_ref().unwrap();
    assert_eq!(incoming.source, SourceKind::Srv);
    assert_eq!(incoming.from, "_imaps._tcp.srv.lab.example");
    assert_eq!(
        server(&d.outgoing),
        Some((Protocol::Smtp, "smtp.lab.example", 465, Security::Tls))
    );
    let imaps = source(&d, SourceKind::Srv, "_imaps._tcp.srv.lab.example");
    assert_eq!(imaps.outcome, SourceOutcome::Found);
    assert_eq!(imaps.candidates.len(), 2);
    let srv = d.candidates[imaps.candidates[1]].srv.unwrap();
    assert_eq!((srv.priority, srv.weight), (20, 10));
    // "." as the target: POP3 over TLS is declared not offered, and _pop3 does not exist.
    assert_eq!(
        source(&d, SourceKind::Srv, "_pop3s._tcp.srv.lab.example").outcome,
        SourceOutcome::NotOffered
    );
    assert_eq!(
        source(&d, SourceKind::Srv, "_pop3._tcp.srv.lab.example").outcome,
        SourceOutcome::Nxdomain
    );
    assert!(d.alternative.is_none(), "no POP3: {:?}", d.alternative);
    // STARTTLS services are kept as candidates too.
    assert!(d.candidates.iter().any(|c| c.source == SourceKind::Srv
        && c.server.port == 587
        && c.server.security == Security::Starttls));
    // The sources without an answer are told apart.
    assert_eq!(
        source(
            &d,
            SourceKind::Autoconfig,
            "https://autoconfig.srv.lab.example/mail/config-v1.1.xml"
        )
        .outcome,
        SourceOutcome::Nxdomain
    );
    assert_eq!(
        source(&d, SourceKind::Mx, "srv.lab.example").outcome,
        SourceOutcome::Nodata
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn the_mx_names_the_provider() {
    let (d, r) = discover("taro@hosted.lab.example");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let p = d.provider.as_ref().expect("provider");
    assert_eq!(p.id, "gmail");
    assert_eq!(
        p.found_by,
        FoundBy::Mx {
            exchange: "aspmx.l.google.com".into()
        }
    );
    assert_eq!(
        server(&d.incoming),
        Some((Protocol::Imap, "imap.gmail.com", 993, Security::Tls))
    );
    assert_eq!(d.incoming.as_ref().unwrap().source, SourceKind::Mx);
    assert_eq!(
        d.incoming.as_ref().unwrap().server.username.as_deref(),
        Some("taro@hosted.lab.example")
    );
    assert_eq!(server(&d.outgoing).map(|s| s.1), Some("smtp.gmail.com"));
    let mx = source(&d, SourceKind::Mx, "hosted.lab.example");
    assert_eq!(mx.outcome, SourceOutcome::Found);
    assert!(mx.detail.contains("aspmx.l.google.com"), "{}", mx.detail);
    // The provider's notes come in both languages.
    assert!(!p.notes.is_empty());
    let en = discover_raw("taro@hosted.lab.example", &["--lang", "en"]);
    assert!(
        en.stdout
            .contains("recognised by the MX aspmx.l.google.com"),
        "{}",
        en.stdout
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn autoconfig_file_at_autoconfig_host() {
    let (d, r) = discover("taro@auto.lab.example");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let url = "https://autoconfig.auto.lab.example/mail/config-v1.1.xml";
    let incoming = d.incoming.as_ref().expect("incoming");
    assert_eq!(incoming.source, SourceKind::Autoconfig);
    assert_eq!(incoming.from, url);
    assert_eq!(
        server(&d.incoming),
        Some((Protocol::Imap, "imap.lab.example", 993, Security::Tls))
    );
    // The file's user-name template: %EMAILLOCALPART%@lab.example.
    assert_eq!(
        incoming.server.username.as_deref(),
        Some("taro@lab.example")
    );
    assert_eq!(
        incoming.server.authentication.as_deref(),
        Some("password-cleartext")
    );
    assert_eq!(
        server(&d.outgoing),
        Some((Protocol::Smtp, "smtp.lab.example", 465, Security::Tls))
    );
    assert_eq!(
        server(&d.alternative),
        Some((Protocol::Pop3, "pop.lab.example", 995, Security::Tls))
    );
    // Both URLs answered; the autoconfig host's file ranks first.
    assert_eq!(
        source(&d, SourceKind::Autoconfig, url).outcome,
        SourceOutcome::Found
    );
    let well_known = source(
        &d,
        SourceKind::Autoconfig,
        "https://auto.lab.example/.well-known/autoconfig/mail/config-v1.1.xml",
    );
    assert_eq!(well_known.outcome, SourceOutcome::Found);
    // Its IMAP server without a host name is left out, and said so.
    assert_eq!(well_known.left_out.len(), 1, "{:?}", well_known.left_out);
    assert_eq!(well_known.left_out[0].server_type, "imap");
    let ja = discover_raw("taro@auto.lab.example", &["--lang", "ja"]);
    assert!(
        ja.stdout.contains("ホスト名のない imap サーバー"),
        "{}",
        ja.stdout
    );
    let en = discover_raw("taro@auto.lab.example", &["--lang", "en"]);
    assert!(
        en.stdout.contains("imap server without a host name"),
        "{}",
        en.stdout
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn autoconfig_file_at_the_well_known_url() {
    let (d, r) = discover("taro@wellknown.lab.example");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        source(
            &d,
            SourceKind::Autoconfig,
            "https://autoconfig.wellknown.lab.example/mail/config-v1.1.xml"
        )
        .outcome,
        SourceOutcome::Nxdomain
    );
    let incoming = d.incoming.as_ref().expect("incoming");
    assert_eq!(
        incoming.from,
        "https://wellknown.lab.example/.well-known/autoconfig/mail/config-v1.1.xml"
    );
    assert_eq!(
        server(&d.incoming),
        Some((Protocol::Imap, "mail.lab.example", 143, Security::Starttls))
    );
    // No port in the file: STARTTLS gives 587.
    assert_eq!(
        server(&d.outgoing),
        Some((Protocol::Smtp, "mail.lab.example", 587, Security::Starttls))
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn an_autoconfig_server_with_a_bad_certificate_is_not_used() {
    let (d, r) = discover("taro@badcert.lab.example");
    let s = source(
        &d,
        SourceKind::Autoconfig,
        "https://autoconfig.badcert.lab.example/mail/config-v1.1.xml",
    );
    assert_eq!(s.outcome, SourceOutcome::CertificateInvalid, "{}", s.detail);
    assert!(s.candidates.is_empty());
    assert!(!d.found());
    assert_eq!(r.code, 1, "{}", r.stderr);
    // The same file is fine for a client that trusts the lab CA and asks by the right name:
    // the failure is the certificate's, not the server's.
    let (ok, _) = discover("taro@auto.lab.example");
    assert!(ok.found());
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn guessing_finds_the_lab_servers() {
    let (d, r) = discover("taro@lab.example");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let incoming = d.incoming.as_ref().expect("incoming");
    assert_eq!(incoming.source, SourceKind::Guess);
    assert_eq!(
        server(&d.incoming),
        Some((Protocol::Imap, "imap.lab.example", 993, Security::Tls))
    );
    assert_eq!(
        server(&d.outgoing),
        Some((Protocol::Smtp, "smtp.lab.example", 465, Security::Tls))
    );
    assert_eq!(
        server(&d.alternative),
        Some((Protocol::Pop3, "pop.lab.example", 995, Security::Tls))
    );
    let status = |host: &str, port: u16| {
        d.candidates
            .iter()
            .find(|c| {
                c.source == SourceKind::Guess && c.server.host == host && c.server.port == port
            })
            .map(|c| c.status)
            .unwrap_or_else(|| panic!("no candidate {host}:{port}"))
    };
    assert_eq!(status("imap.lab.example", 993), CandidateStatus::Answered);
    assert_eq!(status("pop3.lab.example", 995), CandidateStatus::Nxdomain);
    assert_eq!(status("lab.example", 993), CandidateStatus::Nodata);
    // What the probe saw is kept.
    let answered = d
        .candidates
        .iter()
        .find(|c| c.status == CandidateStatus::Answered)
        .unwrap();
    assert!(answered.evidence.is_some());
    assert_eq!(
        source(&d, SourceKind::Guess, "lab.example").outcome,
        SourceOutcome::Found
    );
    assert_eq!(
        source(&d, SourceKind::Mx, "lab.example").outcome,
        SourceOutcome::NotListed
    );
}

#[test]
fn a_provider_in_the_tables_answers_at_once_without_the_network() {
    // A DNS server that never answers: every network source would wait until the deadline.
    let silent = dns(DnsBehaviour::Silent).to_string();
    for lang in ["ja", "en"] {
        let args: Vec<String> = [
            "discover",
            "taro@gmail.com",
            "--dns-server",
            &silent,
            "--timeout",
            "10",
            "--lang",
            lang,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        let r = run(BIN, &args, None);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.elapsed < Duration::from_secs(2), "took {:?}", r.elapsed);
        assert!(r.stdout.contains("imap.gmail.com"), "{}", r.stdout);
        assert!(r.stdout.contains("smtp.gmail.com"), "{}", r.stdout);
    }
    let mut args: Vec<String> = ["discover", "taro@gmail.com", "--dns-server", &silent]
        .iter()
        .map(|a| a.to_string())
        .collect();
    args.extend(["--format".into(), "json".into()]);
    let r = run(BIN, &args, None);
    assert!(r.elapsed < Duration::from_secs(2), "took {:?}", r.elapsed);
    let d: Discovery = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(d.sources[0].kind, SourceKind::Provider);
    assert_eq!(d.sources[0].outcome, SourceOutcome::Found);
    assert!(
        d.sources[1..]
            .iter()
            .all(|s| s.outcome == SourceOutcome::Skipped),
        "{:#?}",
        d.sources
    );
    assert_eq!(d.provider.as_ref().map(|p| p.id.as_str()), Some("gmail"));
}

#[test]
fn softbank_ne_jp_is_mms() {
    let silent = dns(DnsBehaviour::Silent).to_string();
    for (lang, words) in [
        ("ja", "メールアプリでは設定できません"),
        ("en", "cannot be set up in a mail app"),
    ] {
        let args: Vec<String> = [
            "discover",
            "taro@softbank.ne.jp",
            "--dns-server",
            &silent,
            "--lang",
            lang,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        let r = run(BIN, &args, None);
        assert_eq!(r.code, 1, "nothing usable\n{}", r.stdout);
        assert!(r.elapsed < Duration::from_secs(2), "took {:?}", r.elapsed);
        assert!(r.stdout.contains("MMS"), "{}", r.stdout);
        assert!(r.stdout.contains(words), "{}", r.stdout);
        assert!(!r.stdout.contains("INCOMING MAIL SERVER"), "{}", r.stdout);
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn the_fields_of_each_mail_app_in_both_languages() {
    let ja = discover_raw("taro@auto.lab.example", &["--lang", "ja"]);
    assert_eq!(ja.code, 0, "{}", ja.stderr);
    for words in [
        // iPhone
        "受信メールサーバ",
        "送信メールサーバ",
        "ホスト名: imap.lab.example",
        "ユーザ名: taro@lab.example",
        "「サーバポート」993",
        // Outlook
        "受信メールサーバー: imap.lab.example",
        "送信メールサーバー (SMTP): smtp.lab.example",
        "アカウント名: taro@lab.example",
        // Thunderbird
        "受信サーバー: プロトコル IMAP / ホスト名 imap.lab.example / ポート番号 993 / 接続の保護 (SSL) SSL/TLS / 認証方式 通常のパスワード認証 / ユーザー名 taro@lab.example",
        "送信サーバー: プロトコル SMTP / ホスト名 smtp.lab.example / ポート番号 465",
        // every source
        "https://autoconfig.auto.lab.example/mail/config-v1.1.xml",
        "_submission._tcp.auto.lab.example",
    ] {
        assert!(
            ja.stdout.contains(words),
            "missing `{words}`:\n{}",
            ja.stdout
        );
    }
    let en = discover_raw("taro@auto.lab.example", &["--lang", "en"]);
    for words in [
        "INCOMING MAIL SERVER",
        "Host Name: imap.lab.example",
        "User Name: taro@lab.example",
        "Incoming mail server: imap.lab.example",
        "Outgoing mail server (SMTP): smtp.lab.example",
        "Incoming server: Protocol IMAP / Hostname imap.lab.example / Port 993 / Connection security (SSL) SSL/TLS / Authentication method Normal password / Username taro@lab.example",
        "Sources consulted (11)",
    ] {
        assert!(
            en.stdout.contains(words),
            "missing `{words}`:\n{}",
            en.stdout
        );
    }
    // The sheet: a table of the settings, then the sources.
    for lang in ["ja", "en"] {
        let md = discover_raw(
            "taro@auto.lab.example",
            &["--format", "markdown", "--lang", lang],
        );
        assert_eq!(md.code, 0);
        assert!(md.stdout.starts_with("# "), "{}", md.stdout);
        assert!(
            md.stdout
                .contains("| imap.lab.example | smtp.lab.example | pop.lab.example |"),
            "{}",
            md.stdout
        );
        assert!(md.stdout.contains("|---|---|---|---|---|"), "{}", md.stdout);
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn unusable_input_exits_3() {
    for (address, extra) in [
        ("not-an-address", vec![]),
        ("taro@lab.example", vec!["--timeout", "0"]),
        ("taro@lab.example", vec!["--format", "xml"]),
    ] {
        let r = discover_raw(address, &extra);
        assert_eq!(r.code, 3, "{address} {extra:?}: {r:?}");
        assert!(r.stdout.trim().is_empty(), "{r:?}");
    }
    let r = run(
        BIN,
        &[
            "discover".into(),
            "taro@lab.example".into(),
            "--dns-server".into(),
            "dns.example".into(),
        ],
        None,
    );
    assert_eq!(r.code, 3, "{r:?}");
}

// --- check without server flags ----------------------------------------------------------------

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn check_without_flags_uses_discovery() {
    let lab = Lab::get();
    // The autoconfig file names the servers and the user name (taro@lab.example).
    let c = lab.check(
        BIN,
        "taro@auto.lab.example",
        &[],
        Some(&lab.password("taro")),
    );
    assert_eq!(
        c.report.target.settings_source.as_str(),
        "autoconfig",
        "{}",
        c.summary()
    );
    let hosts: Vec<(&str, u16)> = c
        .report
        .servers
        .iter()
        .map(|s| (s.endpoint.host.as_str(), s.endpoint.port))
        .collect();
    assert_eq!(
        hosts,
        [("imap.lab.example", 993), ("smtp.lab.example", 465)],
        "{}",
        c.summary()
    );
    for id in ["imap", "smtp"] {
        let logins = c.logins(id);
        assert_eq!(logins.len(), 1, "{id}\n{}", c.summary());
        assert_eq!(logins[0].outcome, LoginOutcome::Accepted, "{}", c.summary());
        assert_eq!(logins[0].username, "taro@lab.example");
    }
    c.assert_problems(&[]);
    c.assert_exit(0);

    // The MX names the provider: its servers are checked as the provider's (here the lab
    // points them at an intercepting server, which the check must say).
    let c = lab.check(BIN, "taro@hosted.lab.example", &["--no-login"], None);
    assert_eq!(
        c.report.target.settings_source.as_str(),
        "mx",
        "{}",
        c.summary()
    );
    assert_eq!(c.report.target.provider.as_deref(), Some("Gmail (Google)"));
    c.assert_problems(&[
        ("imap", Code::TlsInterceptionSuspected),
        ("smtp", Code::TlsInterceptionSuspected),
    ]);

    // SRV records, in Japanese on the screen.
    let r = run(
        BIN,
        &[
            "check".into(),
            "taro@srv.lab.example".into(),
            "--dns-server".into(),
            lab.dns(),
            "--ca-file".into(),
            lab.ca(),
            "--no-login".into(),
            "--lang".into(),
            "ja".into(),
        ],
        None,
    );
    assert!(r.stdout.contains("SRV レコード"), "{}", r.stdout);
    assert!(
        r.stdout.contains("IMAP imap.lab.example:993"),
        "{}",
        r.stdout
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn check_of_a_domain_without_settings_reports_what_discovery_saw() {
    let lab = Lab::get();
    // Nothing exists under nothing.lab.example: each guessed name is NXDOMAIN, and the check
    // reports the furthest guess of each protocol as discovery saw it.
    let c: Checked = lab.check(BIN, "taro@nothing.lab.example", &["--no-login"], None);
    assert_eq!(c.report.target.settings_source.as_str(), "guess");
    c.assert_problems(&[
        ("", Code::SettingsNotFound),
        ("imap", Code::DnsHostNotFound),
        ("pop3", Code::DnsHostNotFound),
        ("smtp", Code::DnsHostNotFound),
    ]);
    c.assert_exit(1);
    assert_eq!(c.server("imap").endpoint.host, "imap.nothing.lab.example");
    assert_eq!(c.server("imap").steps[0].id, "imap.1");
    let missing = c
        .report
        .findings
        .iter()
        .find(|f| f.code == Code::SettingsNotFound)
        .map(|f| f.params["missing"].clone());
    assert_eq!(missing.as_deref(), Some("IMAP/POP3, SMTP"));
}

#[test]
fn check_of_an_mms_address_says_so_and_probes_nothing() {
    // The tables know softbank.ne.jp is MMS only: no network is needed, and no guessed
    // server adds noise to that answer.
    let silent = dns(DnsBehaviour::Silent).to_string();
    let args: Vec<String> = [
        "check",
        "taro@softbank.ne.jp",
        "--no-login",
        "--format",
        "json",
        "--timeout",
        "5",
        "--dns-server",
        &silent,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let r = run(BIN, &args, None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report = r.report();
    assert!(report.servers.is_empty());
    let codes: Vec<Code> = report.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, vec![Code::ProviderNotForMailApps]);
    assert_eq!(report.target.settings_source.as_str(), "provider");
    assert!(r.elapsed < Duration::from_secs(2), "{:?}", r.elapsed);
}
