//! `maildoc explain` on sisimai's set of real bounces (`tests/sisimai/`, BSD 2-Clause): each
//! message agrees when a finding that names the same cause as sisimai's reason is among the
//! first three causes. The rate is printed and a fall below the rate reached fails.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use maildoc_explain::explain;
use maildoc_model::Code;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The share of messages (with a reason some finding describes) that agree, at least.
const FLOOR: f64 = 0.86;

/// sisimai's reasons and the findings that name the same cause. Reasons no finding
/// describes are not listed.
const FITTING: &[(&str, &[&str])] = &[
    (
        "userunknown",
        &["smtp-send-recipient-refused", "smtp-recipient-rejected"],
    ),
    (
        "hostunknown",
        &[
            "mx-host-unresolvable",
            "mx-missing",
            "mx-null",
            "dns-host-not-found",
        ],
    ),
    ("mailboxfull", &["mailbox-over-quota", "mailbox-near-quota"]),
    ("emailtoolarge", &["smtp-size-limit"]),
    (
        "filtered",
        &[
            "smtp-send-recipient-refused",
            "smtp-recipient-rejected",
            "smtp-send-refused",
            "sender-requirements-unmet",
            "spf-ip-not-authorized",
        ],
    ),
    ("rejected", &["smtp-sender-rejected"]),
    (
        "blocked",
        &[
            "dnsbl-listed",
            "port-25-blocked",
            "ptr-missing",
            "ptr-mismatch",
        ],
    ),
    ("spamdetected", &["smtp-send-refused", "dnsbl-listed"]),
    (
        "policyviolation",
        &["smtp-send-refused", "sender-requirements-unmet"],
    ),
    (
        "securityerror",
        &["smtp-auth-off", "encryption-off", "auth-failed"],
    ),
    ("systemerror", &["server-unavailable"]),
    ("systemfull", &["server-unavailable"]),
    (
        "networkerror",
        &[
            "connect-timeout",
            "connect-refused",
            "connection-dropped",
            "dns-resolver-failure",
            "network-unreachable",
        ],
    ),
    (
        "expired",
        &["connect-timeout", "server-unavailable", "message-delayed"],
    ),
    (
        "ratelimited",
        &["too-many-connections", "account-locked-or-throttled"],
    ),
    ("norelaying", &["smtp-relay-denied"]),
    ("notaccept", &["mx-null", "server-unavailable"]),
    (
        "suspend",
        &["smtp-send-recipient-refused", "smtp-recipient-rejected"],
    ),
    (
        "authfailure",
        &[
            "spf-ip-not-authorized",
            "message-spf-fail",
            "message-dmarc-fail",
            "sender-requirements-unmet",
            "dmarc-missing",
            "dkim-key-missing",
        ],
    ),
    ("badreputation", &["dnsbl-listed"]),
    ("requireptr", &["ptr-missing", "ptr-mismatch"]),
    (
        "failedstarttls",
        &[
            "starttls-not-offered",
            "tls-handshake-failed",
            "mx-starttls-missing",
        ],
    ),
    (
        "contenterror",
        &["message-encoding-broken", "smtp-send-refused"],
    ),
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sisimai")
}

/// Each message with the reasons of its recipients.
fn expected() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(dir().join("expected.tsv")).unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(reason)) = (cols.first(), cols.get(2)) else {
            continue;
        };
        let reasons = out.entry((*path).to_string()).or_default();
        if !reasons.iter().any(|r| r == reason) {
            reasons.push((*reason).to_string());
        }
    }
    out
}

fn fitting(reason: &str) -> Vec<Code> {
    FITTING
        .iter()
        .find(|(r, _)| *r == reason)
        .map(|(_, codes)| {
            codes
                .iter()
                .map(|c| Code::parse(c).unwrap_or_else(|| panic!("`{c}` is not a code")))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn explain_agrees_with_sisimai_on_its_bounces() {
    let expected = expected();
    assert!(expected.len() > 600, "{} messages", expected.len());
    let mut scored = 0usize;
    let mut agreed = 0usize;
    let mut by_reason: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    for (path, reasons) in &expected {
        let want: Vec<Code> = reasons.iter().flat_map(|r| fitting(r)).collect();
        if want.is_empty() {
            continue;
        }
        let bytes = std::fs::read(dir().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        let got = explain(&String::from_utf8_lossy(&bytes)).codes();
        let hit = got.iter().take(3).any(|c| want.contains(c));
        scored += 1;
        agreed += usize::from(hit);
        let slot = by_reason.entry(reasons.join("+")).or_default();
        slot.0 += 1;
        slot.1 += usize::from(hit);
        if !hit {
            let first: Vec<String> = got.iter().take(3).map(|c| c.to_string()).collect();
            misses.push(format!("{path} ({}): got {first:?}", reasons.join("+")));
        }
    }
    let rate = agreed as f64 / scored.max(1) as f64;
    let lines: Vec<String> = by_reason
        .iter()
        .map(|(r, (n, h))| format!("{r} {h}/{n}"))
        .collect();
    println!(
        "sisimai set-of-emails: {agreed} of {scored} bounces ({:.1}%) with a fitting cause among \
         the first three; by reason: {}",
        rate * 100.0,
        lines.join(", ")
    );
    assert!(
        rate >= FLOOR,
        "below the floor of {:.1}%; the bounces without a fitting cause:\n{}",
        FLOOR * 100.0,
        misses.join("\n")
    );
}
