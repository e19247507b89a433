//! The DKIM key records of mail-auth's test vectors (`tests/data/mail-auth-vectors`, see its
//! SOURCE.md: the RFC 8463 ed25519 example, RFC 6376-style RSA keys, an ARC chain's keys), run
//! as data through the DKIM key-record parser and the domain rules: key type, RSA length and
//! the findings each key gives. A missing folder fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_diagnose::domain::diagnose;
use maildoc_diagnose::domain::records::{DkimKey, is_dkim_key, parse_dkim_key};
use maildoc_model::domain::{DkimEvidence, DnsLookup, DomainReport};
use maildoc_model::{Code, ResolveOutcome, Severity};
use std::path::{Path, PathBuf};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mail-auth-vectors")
}

/// Every `<name> <value>` line before the first blank line of each `dkim/*.txt` and
/// `arc/*.txt` whose name is a DKIM key record's (`<selector>._domainkey.<domain>`).
fn key_records() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for dir in ["dkim", "arc"] {
        let dir = vectors().join(dir);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for line in text.lines().take_while(|l| !l.trim().is_empty()) {
                let (name, value) = line
                    .split_once(' ')
                    .unwrap_or_else(|| panic!("{}: not `name value`: {line}", file.display()));
                if name.contains("._domainkey.") {
                    out.push((
                        file.file_name().unwrap().to_string_lossy().into_owned(),
                        name.to_string(),
                        value.to_string(),
                    ));
                }
            }
        }
    }
    out
}

/// What each key record of the vectors is.
const EXPECTED: &[(&str, DkimKey)] = &[
    // RFC 8463 §A.2: the ed25519 key and the RSA key of its example.
    (
        "brisbane._domainkey.football.example.com",
        DkimKey::Ed25519 { testing: false },
    ),
    (
        "test._domainkey.football.example.com",
        DkimKey::Rsa {
            bits: 1024,
            testing: false,
        },
    ),
    // A bare RSAPublicKey (not SubjectPublicKeyInfo), as some signers publish.
    (
        "newengland._domainkey.example.com",
        DkimKey::Rsa {
            bits: 1024,
            testing: false,
        },
    ),
    // t=s (strict subdomains) is not test mode.
    (
        "rsa._domainkey.manchego.org",
        DkimKey::Rsa {
            bits: 1024,
            testing: false,
        },
    ),
    (
        "ed._domainkey.scamorza.org",
        DkimKey::Ed25519 { testing: false },
    ),
];

fn lookup(name: &str, rtype: &str, records: &[&str]) -> DnsLookup {
    DnsLookup {
        name: name.into(),
        rtype: rtype.into(),
        outcome: ResolveOutcome::Found,
        records: records.iter().map(|r| r.to_string()).collect(),
        detail: String::new(),
        authentic_data: false,
    }
}

/// A report of `domain` in which the DKIM key at `selector` is the only thing to judge.
fn report_with_key(domain: &str, selector: &str, record: &str) -> DomainReport {
    let json = serde_json::json!({
        "version": maildoc_model::domain::DOMAIN_REPORT_VERSION,
        "domain": domain,
        "started_at_unix": 0,
        "mx": lookup(domain, "MX", &[]),
        "dmarc": {
            "lookup": lookup(&format!("_dmarc.{domain}"), "TXT", &["v=DMARC1; p=reject"]),
            "org_domain": domain,
        },
        "mta_sts": { "txt": { "name": format!("_mta-sts.{domain}"), "rtype": "TXT", "outcome": "not-found" } },
        "tlsrpt": lookup(&format!("_smtp._tls.{domain}"), "TXT", &["v=TLSRPTv1; rua=mailto:t@example.net"]),
    });
    let mut r: DomainReport = serde_json::from_value(json).unwrap();
    r.dkim = vec![DkimEvidence {
        selector: selector.into(),
        given: true,
        lookup: lookup(&format!("{selector}._domainkey.{domain}"), "TXT", &[record]),
    }];
    r
}

#[test]
fn every_key_record_of_the_vectors_is_expected() {
    let found = key_records();
    let mut names: Vec<&str> = found.iter().map(|(_, n, _)| n.as_str()).collect();
    names.sort_unstable();
    let mut want: Vec<&str> = EXPECTED.iter().map(|(n, _)| *n).collect();
    want.sort_unstable();
    assert_eq!(
        names, want,
        "the vectors' key records and the expectations differ"
    );
}

#[test]
fn key_types_lengths_and_findings() {
    for (file, name, record) in key_records() {
        let want = EXPECTED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| k.clone())
            .unwrap_or_else(|| panic!("{file}: {name} not expected"));
        assert!(is_dkim_key(&record), "{file}: {name}");
        assert_eq!(parse_dkim_key(&record), want, "{file}: {name}");
        // The same record folded as DNS tools and RFC 6376 §3.6.1 allow: whitespace and line
        // breaks inside p= and around the tags.
        let (head, p) = record.split_once("p=").unwrap();
        let folded_p: String = p
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let sep = match i % 40 {
                    13 => Some(' '),
                    27 => Some('\t'),
                    39 => Some('\n'),
                    _ => None,
                };
                std::iter::once(c).chain(sep)
            })
            .collect();
        let folded = format!(" {}p = {folded_p} ;", head.replace("; ", " ;\r\n\t"));
        assert_eq!(parse_dkim_key(&folded), want, "{file}: folded {folded:?}");

        let (selector, domain) = name.split_once("._domainkey.").unwrap();
        let r = report_with_key(domain, selector, &record);
        let findings = diagnose(&r);
        match want {
            DkimKey::Rsa { bits, .. } => {
                assert_eq!(
                    findings.iter().map(|f| f.code).collect::<Vec<_>>(),
                    vec![Code::DkimKeyWeak],
                    "{file}: {name}: {findings:?}"
                );
                assert_eq!(findings[0].params["bits"], bits.to_string());
                assert_eq!(findings[0].params["selector"], selector);
                assert_eq!(findings[0].severity, Severity::Warning, "{name}");
            }
            DkimKey::Ed25519 { .. } => {
                assert!(findings.is_empty(), "{file}: {name}: {findings:?}");
            }
            other => panic!("{name}: unexpected expectation {other:?}"),
        }
    }
}
