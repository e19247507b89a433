//! Golden tests of `maildoc domain`'s screens (text, Markdown, HTML) in both languages, from
//! evidence built here by hand. The files under `tests/golden/` are compared byte for byte;
//! refresh them with `MAILDOC_BLESS=1 cargo test -p maildoc-report --test domain_screens` and
//! read the diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_kb::Lang;
use maildoc_model::domain::*;
use maildoc_model::{Code, Finding, ResolveOutcome};
use std::path::Path;

fn lookup(name: &str, rtype: &str, outcome: ResolveOutcome, records: &[&str]) -> DnsLookup {
    DnsLookup {
        name: name.into(),
        rtype: rtype.into(),
        outcome,
        records: records.iter().map(|r| r.to_string()).collect(),
        detail: String::new(),
        authentic_data: false,
    }
}

/// A domain with one MX host without reverse DNS, a DMARC policy of none whose record holds
/// markup, no TLS-RPT, and the verdict that the large senders' requirements are unmet.
fn report() -> DomainReport {
    use ResolveOutcome::{Found, NotFound};
    let dkim = |selector: &str, given: bool, outcome, records: &[&str]| DkimEvidence {
        selector: selector.into(),
        given,
        lookup: lookup(
            &format!("{selector}._domainkey.example.jp"),
            "TXT",
            outcome,
            records,
        ),
    };
    DomainReport {
        version: DOMAIN_REPORT_VERSION,
        domain: "example.jp".into(),
        started_at_unix: 1_700_000_000,
        dns_server: Some("127.0.0.53:53".into()),
        mail_from: None,
        ip: None,
        approved_mx: Vec::new(),
        approved_ns: Vec::new(),
        parked: false,
        mx: lookup("example.jp", "MX", Found, &["10 mx1.example.jp"]),
        mx_hosts: vec![MxHost {
            preference: 10,
            exchange: "mx1.example.jp".into(),
            cname: None,
            addresses: lookup("mx1.example.jp", "A", Found, &["192.0.2.25"]),
            reverse: vec![ReverseDns {
                address: "192.0.2.25".into(),
                ptr: lookup("25.2.0.192.in-addr.arpa", "PTR", NotFound, &[]),
                confirmed: Vec::new(),
            }],
            tlsa: None,
        }],
        dmarc: DmarcEvidence {
            lookup: lookup(
                "_dmarc.example.jp",
                "TXT",
                Found,
                &["v=DMARC1; p=none; rua=mailto:<dmarc@example.jp>&\"x\""],
            ),
            org_domain: "example.jp".into(),
            org_lookup: None,
            report_authorizations: Vec::new(),
            report_mx: Vec::new(),
            report_addresses: Vec::new(),
        },
        dkim: vec![
            dkim("s1", true, Found, &["v=DKIM1; k=rsa; p=MIIBIjANBgkq"]),
            dkim("default", false, NotFound, &[]),
            dkim("selector1", false, NotFound, &[]),
        ],
        mta_sts: MtaStsEvidence {
            txt: lookup("_mta-sts.example.jp", "TXT", NotFound, &[]),
            policy: None,
        },
        tlsrpt: lookup("_smtp._tls.example.jp", "TXT", NotFound, &[]),
        ns: None,
        dnskey: None,
        dnssec: None,
        mx_dnssec: Vec::new(),
        bimi: None,
        bimi_assets: None,
        sending_ip: None,
        spf: None,
        spf_ok: Some(true),
        dnsbl: Vec::new(),
        smtp: Vec::new(),
        findings: vec![
            Finding::new(Code::TlsrptMissing).param("domain", "example.jp"),
            Finding::new(Code::DmarcPolicyNone)
                .param("record_domain", "example.jp")
                .param("tag", "p"),
            Finding::new(Code::PtrMissing)
                .param("mx_host", "mx1.example.jp")
                .param("address", "192.0.2.25"),
            Finding::new(Code::SenderRequirementsUnmet)
                .param("domain", "example.jp")
                .param("missing", "DMARC p=quarantine|reject"),
        ],
    }
}

#[test]
fn the_page_in_both_languages() {
    let r = report();
    for lang in [Lang::Ja, Lang::En] {
        let page = maildoc_report::domain::html(&r, lang);
        assert_eq!(page, maildoc_report::domain::html(&r, lang));
        assert!(page.contains("p=none; rua=mailto:&lt;dmarc@example.jp&gt;&amp;&quot;x&quot;"));
        assert!(!page.contains("<dmarc@"));
        assert!(page.contains("width=device-width"));
        // The Markdown form's order: verdict, findings (most severe first), records.
        let at = |needle: &str| page.find(needle).unwrap_or_else(|| panic!("{needle}"));
        assert!(at("class=\"verdict\"") < at("sender-requirements-unmet"));
        assert!(at("sender-requirements-unmet") < at("ptr-missing"));
        assert!(at("ptr-missing") < at("tlsrpt-missing"));
        assert!(at("tlsrpt-missing") < at("_dmarc.example.jp"));
        maildoc_testkit::golden::compare(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
                "tests/golden/domain-example.{}.html",
                lang.as_str()
            )),
            &page,
            "cargo test -p maildoc-report --test domain_screens",
        );
    }
}

#[test]
fn the_text_and_markdown_in_both_languages() {
    let r = report();
    for lang in [Lang::Ja, Lang::En] {
        for (ext, screen) in [
            ("txt", maildoc_report::domain::human(&r, lang)),
            ("md", maildoc_report::domain::markdown(&r, lang)),
        ] {
            // The most severe finding comes first, each finding once.
            let at = |needle: &str| screen.find(needle).unwrap_or_else(|| panic!("{needle}"));
            assert!(
                at("sender-requirements-unmet") < at("ptr-missing"),
                "{screen}"
            );
            assert!(at("ptr-missing") < at("tlsrpt-missing"), "{screen}");
            assert_eq!(screen.matches("dmarc-policy-none").count(), 1, "{screen}");
            maildoc_testkit::golden::compare(
                &Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
                    "tests/golden/domain-example.{}.{ext}",
                    lang.as_str()
                )),
                &screen,
                "cargo test -p maildoc-report --test domain_screens",
            );
        }
    }
}
