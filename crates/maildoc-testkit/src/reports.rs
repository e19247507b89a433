//! Reports built by hand for the renderers' tests: taro@example.jp's check of one IMAP server
//! (imap.example.jp:993, SSL/TLS, resolved to 192.0.2.1), with the findings a test gives.

use maildoc_model::report::SCHEMA_VERSION;
use maildoc_model::{
    Endpoint, Finding, Origin, ProbeDepth, Protocol, Report, ResolveOutcome, Security,
    ServerEvidence, StepKind, TargetInfo,
};

/// The report whose findings `findings` makes from the id of the server's one step (their
/// evidence).
pub fn imap_report(findings: impl FnOnce(&str) -> Vec<Finding>) -> Report {
    let mut server = ServerEvidence::new(
        "imap",
        Endpoint::new(Protocol::Imap, "imap.example.jp", 993, Security::Tls),
        Origin::Flag,
        ProbeDepth::Full,
    );
    let step = server.push(
        0,
        3,
        StepKind::Resolve {
            host: "imap.example.jp".into(),
            outcome: ResolveOutcome::Found,
            addresses: vec![std::net::IpAddr::from([192, 0, 2, 1])],
            detail: String::new(),
        },
    );
    Report {
        schema_version: SCHEMA_VERSION,
        maildoc_version: "0.0.0".into(),
        started_at: "2026-11-22T00:00:00Z".into(),
        started_at_unix: 1_795_305_600,
        elapsed_ms: 1234,
        timeout_ms: 15_000,
        target: TargetInfo {
            address: "taro@example.jp".into(),
            username: "taro@example.jp".into(),
            login: true,
            smtp_auth: true,
            allow_plaintext_login: false,
            dns_server: None,
            settings_source: maildoc_model::SettingsSource::Flags,
            provider: None,
            normalizations: Vec::new(),
        },
        findings: findings(&step),
        servers: vec![server],
    }
}
