//! What the history compares: the facts of a report and the changes between two, on saved
//! reports changed the way mail breaks (a record edited, a certificate renewed, a banner, a
//! mailbox filling up), and the store round trip through `History`.

#![allow(clippy::unwrap_used)]

use maildoc_engine::Clock;
use maildoc_engine::history::{
    FactName, History, Location, Origin, Retention, Snapshot, compare, facts,
};
use maildoc_model::domain::DomainReport;
use maildoc_model::evidence::{CertInfo, CertVerification, TlsEvidence, TlsHandshake, TlsMode};
use maildoc_model::{Code, Finding, StepKind};
use maildoc_testkit::reports::imap_report;

const DOMAIN: &str = include_str!("../../maildoc-diagnose/tests/fixtures/domain/spf-pass.json");

fn domain() -> DomainReport {
    serde_json::from_str(DOMAIN).unwrap()
}

fn tls(sha256: &str, not_after: &str) -> StepKind {
    StepKind::Tls(Box::new(TlsEvidence {
        mode: TlsMode::Implicit,
        server_name: "imap.example.jp".into(),
        handshake: TlsHandshake::Established,
        failure: None,
        version: Some("TLSv1.3".into()),
        cipher: None,
        chain: vec![CertInfo {
            subject: "CN=imap.example.jp".into(),
            issuer: "CN=Example CA".into(),
            serial: "01".into(),
            not_before: "2026-01-01T00:00:00Z".into(),
            not_after: not_after.into(),
            not_before_unix: 0,
            not_after_unix: 0,
            names: vec!["imap.example.jp".into()],
            self_signed: false,
            sha256: sha256.into(),
            sha512: String::new(),
            spki_sha256: String::new(),
            spki_sha512: String::new(),
            aia_issuers: Vec::new(),
        }],
        verification: CertVerification::Valid,
        verify_error: None,
        leaf_problems: Vec::new(),
        aia: None,
        public_root: true,
        client_cert_requested: false,
    }))
}

/// A check report whose IMAP server greeted with `banner`, showed a certificate and had
/// `usage` of 1,000,000 KiB in use.
fn check(banner: &str, sha256: &str, usage: u64, findings: Vec<Finding>) -> Snapshot {
    let mut report = imap_report(|_| findings);
    let server = &mut report.servers[0];
    server.push(
        5,
        1,
        StepKind::Greeting {
            outcome: maildoc_model::GreetingOutcome::Ready,
            text: banner.into(),
            spoken: None,
            server_time: None,
        },
    );
    server.push(6, 1, tls(sha256, "2027-01-01T00:00:00Z"));
    server.push(
        7,
        1,
        StepKind::Capabilities {
            items: vec!["IMAP4rev1".into(), "IDLE".into()],
            after_tls: true,
            reply: None,
        },
    );
    server.push(
        8,
        1,
        StepKind::Quota {
            root: "".into(),
            resource: "STORAGE".into(),
            usage,
            limit: 1_000_000,
        },
    );
    Snapshot::Check(Box::new(report))
}

#[test]
fn a_check_has_its_servers_facts_and_not_what_changes_every_time() {
    let f = facts(&check(
        "* OK Dovecot ready. <1.2@x>",
        "aa",
        412_000,
        Vec::new(),
    ));
    let get = |name: FactName| {
        f.iter()
            .find(|f| f.name == name)
            .map(|f| (f.scope.as_str(), f.value.as_str()))
    };
    assert_eq!(
        get(FactName::Server),
        Some(("imap", "IMAP imap.example.jp:993 SSL/TLS"))
    );
    assert_eq!(get(FactName::Banner), Some(("imap", "* OK Dovecot ready.")));
    assert_eq!(
        get(FactName::CapabilitiesAfterTls),
        Some(("imap", "IDLE IMAP4rev1"))
    );
    assert_eq!(get(FactName::Certificate), Some(("imap", "aa")));
    assert_eq!(
        get(FactName::CertificateExpiry),
        Some(("imap", "2027-01-01T00:00:00Z"))
    );
    assert_eq!(
        get(FactName::Quota),
        Some(("imap", "STORAGE 1000000, 40%+"))
    );
    // The addresses a name resolved to rotate: not a fact.
    assert!(!f.iter().any(|f| f.value.contains("192.0.2.1")));

    // Timings, the session id in the banner and a little more mail change nothing.
    let a = check("* OK Dovecot ready. <1.2@x>", "aa", 412_000, Vec::new());
    let mut b = check("* OK Dovecot ready. <9.9@x>", "aa", 418_000, Vec::new());
    if let Snapshot::Check(r) = &mut b {
        r.elapsed_ms = 99_999;
        r.servers[0].steps[1].elapsed_ms = 777;
    }
    assert!(compare(&a, &b).is_empty());
    assert_eq!(
        a.to_run(Clock::System, Origin::Cli).state,
        b.to_run(Clock::System, Origin::Cli).state
    );
}

#[test]
fn a_renewed_certificate_a_new_banner_a_fuller_mailbox_and_a_new_finding_are_changes() {
    let before = check("* OK Dovecot ready.", "aa", 412_000, Vec::new());
    let after = check(
        "* OK Courier-IMAP ready.",
        "bb",
        951_000,
        vec![Finding::new(Code::AuthFailed).server("imap")],
    );
    let changes = compare(&before, &after);
    assert_eq!(changes.appeared.len(), 1);
    assert_eq!(changes.appeared[0].code, Code::AuthFailed);
    assert_eq!(changes.appeared[0].server.as_deref(), Some("imap"));
    assert!(changes.resolved.is_empty());
    let changed: Vec<(FactName, &str, &str)> = changes
        .changed
        .iter()
        .map(|c| (c.fact, c.before.as_str(), c.after.as_str()))
        .collect();
    assert_eq!(
        changed,
        [
            (
                FactName::Banner,
                "* OK Dovecot ready.",
                "* OK Courier-IMAP ready."
            ),
            (FactName::Certificate, "aa", "bb"),
            (
                FactName::Quota,
                "STORAGE 1000000, 40%+",
                "STORAGE 1000000, 90%+"
            ),
        ]
    );
    // And back: the finding is resolved.
    let back = compare(&after, &before);
    assert_eq!(back.resolved[0].code, Code::AuthFailed);
    assert!(back.appeared.is_empty());
}

#[test]
fn a_domains_records_are_facts_and_an_edited_spf_or_a_dropped_mx_is_a_change() {
    let before = Snapshot::Domain(Box::new(domain()));
    let f = facts(&before);
    let value = |name: FactName| f.iter().find(|f| f.name == name).map(|f| f.value.clone());
    assert_eq!(
        value(FactName::Mx).as_deref(),
        Some("10 mx1.posture.lab.example")
    );
    assert!(value(FactName::Spf).unwrap().starts_with("v=spf1"));
    assert!(value(FactName::Dmarc).unwrap().starts_with("v=DMARC1"));

    let mut edited = domain();
    let spf = edited.spf.as_mut().unwrap();
    spf.records = vec!["v=spf1 include:_spf.example.net -all".into()];
    edited.mx_hosts.clear();
    edited.mx.records.clear();
    edited.mx.outcome = maildoc_model::ResolveOutcome::NoAddress;
    edited.findings.push(Finding::new(Code::MxMissing));
    let after = Snapshot::Domain(Box::new(edited));
    let changes = compare(&before, &after);
    let facts: Vec<FactName> = changes.changed.iter().map(|c| c.fact).collect();
    assert!(facts.contains(&FactName::Spf), "{facts:?}");
    assert!(facts.contains(&FactName::Mx), "{facts:?}");
    let mx = changes
        .changed
        .iter()
        .find(|c| c.fact == FactName::Mx)
        .unwrap();
    assert_eq!(mx.after, "", "no MX is a value: none");
    assert!(changes.appeared.iter().any(|f| f.code == Code::MxMissing));

    // A lookup that failed says nothing: a passing DNS fault is not a changed record.
    let mut failed = domain();
    failed.dmarc.lookup.outcome = maildoc_model::ResolveOutcome::Timeout;
    failed.dmarc.lookup.records.clear();
    let failed = Snapshot::Domain(Box::new(failed));
    assert!(
        !compare(&before, &failed)
            .changed
            .iter()
            .any(|c| c.fact == FactName::Dmarc)
    );
}

#[test]
fn a_kept_report_reads_back_the_same() {
    for snapshot in [
        check("* OK", "aa", 1, vec![Finding::new(Code::AuthFailed)]),
        Snapshot::Domain(Box::new(domain())),
    ] {
        let back = Snapshot::parse(snapshot.kind(), &snapshot.json()).unwrap();
        assert_eq!(back, snapshot);
    }
    assert!(Snapshot::parse(maildoc_engine::history::Kind::Check, "{").is_err());
}

#[tokio::test]
async fn the_history_keeps_compares_and_tells_a_timeline() {
    let dir = maildoc_testkit::scratch::Scratch::new("engine-history");
    let history = History::open(
        &Location::Sqlite(dir.path("h.sqlite3")),
        Retention::default(),
    )
    .await
    .unwrap();
    let mut runs = Vec::new();
    for (i, (sha, findings)) in [
        ("aa", Vec::new()),
        ("aa", Vec::new()),
        ("bb", vec![Finding::new(Code::AuthFailed).server("imap")]),
    ]
    .into_iter()
    .enumerate()
    {
        let mut snapshot = check("* OK", sha, 1, findings);
        if let Snapshot::Check(r) = &mut snapshot {
            r.started_at_unix += i as i64 * 60;
        }
        runs.push(
            history
                .keep(Clock::System, &snapshot, Origin::Cli)
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        runs.iter().map(|r| r.changed).collect::<Vec<_>>(),
        [true, false, true]
    );
    let diff = history.diff("taro@example.jp", None, None).await.unwrap();
    assert_eq!((diff.from.id, diff.to.id), (runs[1].id, runs[2].id));
    assert_eq!(diff.changes.appeared[0].code, Code::AuthFailed);
    assert_eq!(diff.changes.changed[0].fact, FactName::Certificate);
    let same = history
        .diff("taro@example.jp", Some(runs[0].id), Some(runs[1].id))
        .await
        .unwrap();
    assert!(same.changes.is_empty());

    let timeline = history.timeline("taro@example.jp", 10).await.unwrap();
    assert_eq!(timeline.len(), 3);
    assert_eq!(timeline[0].run.id, runs[2].id);
    assert_eq!(
        timeline[0].changes.as_ref().unwrap().appeared[0].code,
        Code::AuthFailed
    );
    assert!(timeline[1].changes.as_ref().unwrap().is_empty());
    assert!(timeline[2].changes.is_none(), "nothing before the first");
    // A timeline of 2 still compares its oldest with the run before it.
    let two = history.timeline("taro@example.jp", 2).await.unwrap();
    assert_eq!(two.len(), 2);
    assert!(two[1].changes.is_some());
}

/// A message read, with its Message-ID and From replaced.
fn message(id: &str, from: &str) -> Snapshot {
    let eml = include_str!("data/messages/list-dkim-broken-skew.eml");
    let mut report = maildoc_engine::message::analyze(eml.as_bytes());
    report.summary.message_id = Some(id.to_owned());
    report.summary.from = Some(from.to_owned());
    Snapshot::Message(Box::new(report))
}

#[tokio::test]
async fn each_message_read_is_a_run_of_its_sender_even_with_the_same_findings() {
    let first = message("a@x", "Shop <Info@Shop.Example.JP>");
    assert_eq!(first.subject(), "info@shop.example.jp");
    assert!(!first.findings().is_empty());
    // (Where each header stood is not kept.)
    let back = Snapshot::parse(first.kind(), &first.json()).unwrap();
    assert_eq!(back.json(), first.json());

    let dir = maildoc_testkit::scratch::Scratch::new("engine-history-message");
    let history = History::open(
        &Location::Sqlite(dir.path("h.sqlite3")),
        Retention::default(),
    )
    .await
    .unwrap();
    let mut ids = Vec::new();
    for snapshot in [
        first,
        message("b@x", "info@shop.example.jp"),
        message("b@x", "info@shop.example.jp"),
    ] {
        let run = history
            .keep(Clock::System, &snapshot, Origin::Cli)
            .await
            .unwrap();
        assert_eq!(run.kind, maildoc_engine::history::Kind::Message);
        ids.push((run.id, run.changed));
    }
    // Two messages with the same findings are two reports; a message read again right after
    // is the same as before.
    assert!(ids[0].1 && ids[1].1);
    assert!(!ids[2].1);
    let (_, shown) = history.snapshot(ids[1].0).await.unwrap();
    let Snapshot::Message(shown) = shown else {
        panic!("not a message: {shown:?}");
    };
    assert_eq!(shown.summary.message_id.as_deref(), Some("b@x"));
}
