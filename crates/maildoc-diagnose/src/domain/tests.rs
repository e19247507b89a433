//! Unit tests of the domain rules on hand-built evidence.

use super::mx::internet_reachable;
use super::records::*;
use super::*;
use maildoc_model::domain::*;
use maildoc_model::{Code, ResolveOutcome, Severity};

const K512: &str = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAPE3QUeOpT0a6C8Eiqnbs6MfXXgbaeFOpaKKwX2ADH1Bo4hrwiQG5kNUg6cfsrxPT/A9LOazaM4JjRyCR2sIYC8CAwEAAQ==";
const K1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC+m+07GYg9jRYFfK/ok4Mqe6OB6+XzLqZ9kgOB5KfRdERbu2cTnt89SO5zMKmQBv3T3dIfq/2cjTFesWa0CQaCWZc3Q+Pgnr1tmvpIDFp6g89NBY/8wPVTqH5cxA1DM4doAujN7m+qWFZoSSVuyq4vd+elfspMUdrEUOiY87dDYQIDAQAB";
const K2048: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApko36b7oy32gXFAyCYpTwUdAUhN5OH6I357bmJHUhG+L8WwB6QAzKvpNh8us8zSUS37/pvFS4tKLi63XwdDDzVHTqz7Y9X8j3Y5tqKXmjX4x4A/WFmav8WZffcFaeWePDpaTjpbhA8VpFto5GFFqGgTxZybWv61s1MQY/JQj2ZSp6E8ub1ebJ5GhO0VSEXO8z96CqUWjXQ0umqPASrX/ahR0fU+GMM88qBrvSPBkEnc1EKg4H+ZvW/R2tS9bHGISXD17gnxvxvHtBVRgCQ4YPv89F4to2Axr7tIqpPh3ObOwJNt4qVcH4eSpFWu/dvHL7TWL9W2PkoGK7qN+JokcYwIDAQAB";
const ED25519: &str = "mPZ3HvhNCnHzn519Q3lkHHgpaXJy6X3loP39Ow5bSQk=";

fn found(name: &str, rtype: &str, records: &[&str]) -> DnsLookup {
    DnsLookup {
        name: name.into(),
        rtype: rtype.into(),
        outcome: ResolveOutcome::Found,
        records: records.iter().map(|r| r.to_string()).collect(),
        detail: String::new(),
        authentic_data: false,
    }
}

fn absent(name: &str, rtype: &str, outcome: ResolveOutcome) -> DnsLookup {
    DnsLookup {
        outcome,
        ..found(name, rtype, &[])
    }
}

/// SPF evidence of example.jp with these records at the top and nothing else found.
fn spf_records(records: &[&str]) -> SpfEvidence {
    SpfEvidence::top_records(
        "example.jp",
        records.iter().map(|r| r.to_string()).collect(),
    )
}

fn nx(name: &str, rtype: &str) -> DnsLookup {
    absent(name, rtype, ResolveOutcome::NotFound)
}

fn confirmed(address: &str, name: &str) -> ReverseDns {
    ReverseDns {
        address: address.into(),
        ptr: found(&format!("{address}.ptr"), "PTR", &[name]),
        confirmed: vec![name.into()],
    }
}

/// A domain with nothing to find fault with.
fn good() -> DomainReport {
    DomainReport {
        version: DOMAIN_REPORT_VERSION,
        domain: "example.jp".into(),
        started_at_unix: 0,
        dns_server: None,
        mail_from: None,
        ip: None,
        approved_mx: Vec::new(),
        approved_ns: Vec::new(),
        parked: false,
        mx: found("example.jp", "MX", &["10 mx.example.jp"]),
        mx_hosts: vec![MxHost {
            preference: 10,
            exchange: "mx.example.jp".into(),
            cname: None,
            addresses: found("mx.example.jp", "A/AAAA", &["192.0.2.1"]),
            reverse: vec![confirmed("192.0.2.1", "mx.example.jp")],
            tlsa: None,
        }],
        dmarc: DmarcEvidence {
            lookup: found(
                "_dmarc.example.jp",
                "TXT",
                &["v=DMARC1; p=reject; rua=mailto:d@example.jp"],
            ),
            org_domain: "example.jp".into(),
            org_lookup: None,
            report_authorizations: Vec::new(),
            report_mx: Vec::new(),
            report_addresses: Vec::new(),
        },
        dkim: vec![DkimEvidence {
            selector: "s1".into(),
            given: true,
            lookup: found(
                "s1._domainkey.example.jp",
                "TXT",
                &[&format!("v=DKIM1; k=rsa; p={K2048}")],
            ),
        }],
        mta_sts: MtaStsEvidence {
            txt: found("_mta-sts.example.jp", "TXT", &["v=STSv1; id=20261122"]),
            policy: Some(PolicyFetch {
                url: "https://mta-sts.example.jp/.well-known/mta-sts.txt".into(),
                fetched: true,
                body: "version: STSv1\r\nmode: enforce\r\nmx: mx.example.jp\r\nmax_age: 86400\r\n"
                    .into(),
                content_type: Some("text/plain".into()),
                detail: String::new(),
            }),
        },
        tlsrpt: found(
            "_smtp._tls.example.jp",
            "TXT",
            &["v=TLSRPTv1; rua=mailto:tls@example.jp"],
        ),
        ns: None,
        dnskey: None,
        dnssec: None,
        mx_dnssec: Vec::new(),
        bimi: None,
        bimi_assets: None,
        sending_ip: None,
        spf: None,
        spf_ok: None,
        dnsbl: Vec::new(),
        smtp: Vec::new(),
        findings: Vec::new(),
    }
}

fn codes(r: &DomainReport) -> Vec<&'static str> {
    diagnose(r).iter().map(|f| f.code.as_str()).collect()
}

fn only(r: &DomainReport, code: Code) -> Finding {
    let all = diagnose(r);
    let hits: Vec<&Finding> = all.iter().filter(|f| f.code == code).collect();
    assert_eq!(hits.len(), 1, "{code}: {all:?}");
    hits[0].clone()
}

#[test]
fn a_good_domain_has_no_findings() {
    assert_eq!(codes(&good()), Vec::<&str>::new());
}

#[test]
fn mx_missing_and_null_mx() {
    let mut r = good();
    r.mx = absent("example.jp", "MX", ResolveOutcome::NoAddress);
    r.mx_hosts.clear();
    assert_eq!(only(&r, Code::MxMissing).params["domain"], "example.jp");
    let mut r = good();
    r.mx_hosts = vec![MxHost {
        preference: 0,
        exchange: ".".into(),
        cname: None,
        addresses: nx(".", "A/AAAA"),
        reverse: Vec::new(),
        tlsa: None,
    }];
    r.mta_sts.txt = nx("_mta-sts.example.jp", "TXT");
    assert_eq!(codes(&r), vec!["mx-null"]);
}

#[test]
fn unresolvable_and_aliased_mx_hosts() {
    let mut r = good();
    r.mx_hosts[0].addresses = nx("mx.example.jp", "A/AAAA");
    r.mx_hosts[0].reverse.clear();
    let f = only(&r, Code::MxHostUnresolvable);
    assert_eq!(f.params["mx_host"], "mx.example.jp");
    assert_eq!(f.params["detail"], "NXDOMAIN");
    let mut r = good();
    r.mx_hosts[0].cname = Some("real.example.net".into());
    assert_eq!(only(&r, Code::MxCname).params["target"], "real.example.net");
    // A timeout is not proof that the host does not resolve.
    let mut r = good();
    r.mx_hosts[0].addresses = absent("mx.example.jp", "A/AAAA", ResolveOutcome::Timeout);
    r.mx_hosts[0].reverse.clear();
    assert_eq!(codes(&r), vec!["domain-lookup-failed"]);
}

#[test]
fn reverse_dns_missing_and_not_confirmed_once_per_address() {
    let mut r = good();
    r.mx_hosts[0].reverse[0].ptr = nx("1.2.0.192.in-addr.arpa", "PTR");
    r.mx_hosts[0].reverse[0].confirmed.clear();
    let mut second = r.mx_hosts[0].clone();
    second.exchange = "mx2.example.jp".into();
    r.mx_hosts.push(second);
    r.mta_sts.policy = None;
    assert_eq!(only(&r, Code::PtrMissing).params["address"], "192.0.2.1");
    let mut r = good();
    r.mx_hosts[0].reverse[0].ptr.records = vec!["other.example.net".into()];
    r.mx_hosts[0].reverse[0].confirmed.clear();
    assert_eq!(
        only(&r, Code::PtrMismatch).params["ptr_names"],
        "other.example.net"
    );
    // A sending address without reverse DNS also blocks the sender requirements.
    let mut r = good();
    r.sending_ip = Some(ReverseDns {
        address: "198.51.100.7".into(),
        ptr: nx("7.100.51.198.in-addr.arpa", "PTR"),
        confirmed: Vec::new(),
    });
    assert_eq!(codes(&r), vec!["ptr-missing", "sender-requirements-unmet"]);
    assert_eq!(
        only(&r, Code::SenderRequirementsUnmet).params["missing"],
        "ptr-missing"
    );
}

#[test]
fn dmarc_missing_multiple_invalid_and_inherited() {
    let mut r = good();
    r.dmarc.lookup = nx("_dmarc.example.jp", "TXT");
    assert_eq!(
        codes(&r),
        vec!["dmarc-missing", "sender-requirements-unmet"]
    );
    // Two records: receivers apply neither.
    let mut r = good();
    r.dmarc.lookup.records = vec!["v=DMARC1; p=reject".into(), "v=DMARC1; p=none".into()];
    assert_eq!(only(&r, Code::DmarcMultipleRecords).params["count"], "2");
    // Other TXT records at _dmarc do not count (only a note that they are there).
    let mut r = good();
    r.dmarc
        .lookup
        .records
        .push("google-site-verification=x".into());
    assert_eq!(codes(&r), vec!["dmarc-unrelated-txt"]);
    for (record, detail) in [
        ("v=DMARC1; p=block", "p=block"),
        ("v=DMARC1; rua=mailto:a@example.jp", "p= tag"),
        ("v=DMARC1; p=reject; pct=150", "pct=150"),
        ("v=DMARC1; p=reject; adkim=x", "adkim=x"),
        ("v=DMARC1; p=reject; rua=a@example.jp", "mailto"),
        ("v=DMARC1; p=reject; p=none", "twice"),
    ] {
        let mut r = good();
        r.dmarc.lookup.records = vec![record.into()];
        let f = only(&r, Code::DmarcInvalid);
        assert!(f.params["detail"].contains(detail), "{record}: {f:?}");
    }
    // A subdomain without a record inherits the organisational domain's, with sp=.
    let mut r = good();
    r.domain = "news.example.jp".into();
    r.dmarc.lookup = nx("_dmarc.news.example.jp", "TXT");
    r.dmarc.org_lookup = Some(found(
        "_dmarc.example.jp",
        "TXT",
        &["v=DMARC1; p=reject; sp=none"],
    ));
    let f = only(&r, Code::DmarcPolicyNone);
    assert_eq!(f.params["tag"], "sp");
    assert_eq!(f.params["record_domain"], "example.jp");
    // ... and neither having one is dmarc-missing naming the organisational domain.
    r.dmarc.org_lookup = Some(nx("_dmarc.example.jp", "TXT"));
    assert_eq!(
        only(&r, Code::DmarcMissing).params["org_domain"],
        "example.jp"
    );
    // SERVFAIL says nothing about DMARC, only that a lookup failed.
    let mut r = good();
    r.dmarc.lookup = absent("_dmarc.example.jp", "TXT", ResolveOutcome::ServerFailure);
    assert_eq!(codes(&r), vec!["domain-lookup-failed"]);
    assert_eq!(
        only(&r, Code::DomainLookupFailed).params["names"],
        "_dmarc.example.jp"
    );
}

#[test]
fn a_domain_whose_own_name_fails_is_one_lookup_failure_not_missing_records() {
    // The MX lookup of the name itself failed (a CNAME loop); the names below it answered
    // NXDOMAIN, which says nothing about the domain's intent.
    let mut r = good();
    r.mx = absent("example.jp", "MX", ResolveOutcome::ServerFailure);
    r.dmarc.lookup = nx("_dmarc.example.jp", "TXT");
    r.tlsrpt = nx("_smtp._tls.example.jp", "TXT");
    assert_eq!(codes(&r), vec!["domain-lookup-failed"]);
    // The same records missing beside a working name are said.
    let mut r = good();
    r.dmarc.lookup = nx("_dmarc.example.jp", "TXT");
    r.dmarc.org_lookup = None;
    assert!(codes(&r).contains(&"dmarc-missing"), "{:?}", codes(&r));
}

#[test]
fn dmarc_policy_none_and_report_authorisation() {
    let mut r = good();
    r.dmarc.lookup.records = vec!["v=DMARC1; p=none".into()];
    assert_eq!(only(&r, Code::DmarcPolicyNone).params["tag"], "p");
    let mut r = good();
    r.dmarc.lookup.records =
        vec!["v=DMARC1; p=reject; rua=mailto:a@example.jp,mailto:r@reports.example.net!10m".into()];
    assert_eq!(
        external_report_destinations("example.jp", &r.dmarc.lookup.records[0]),
        vec!["reports.example.net".to_string()]
    );
    let name = report_authorization_name("example.jp", "reports.example.net");
    assert_eq!(name, "example.jp._report._dmarc.reports.example.net");
    r.dmarc.report_authorizations = vec![nx(&name, "TXT")];
    let f = only(&r, Code::DmarcRuaUnauthorized);
    assert_eq!(f.params["destination"], "reports.example.net");
    r.dmarc.report_authorizations = vec![found(&name, "TXT", &["v=DMARC1"])];
    assert_eq!(codes(&r), Vec::<&str>::new());
    // A subdomain of the same organisational domain needs no authorisation.
    assert!(
        external_report_destinations("example.jp", "v=DMARC1; p=none; rua=mailto:a@x.example.jp")
            .is_empty()
    );
}

fn with_key(txt: &str) -> DomainReport {
    let mut r = good();
    r.dkim[0].lookup.records = vec![txt.to_string()];
    r
}

#[test]
fn dkim_key_lengths_types_revoked_and_testing() {
    assert_eq!(
        parse_dkim_key(&format!("p={K1024}")),
        DkimKey::Rsa {
            bits: 1024,
            testing: false
        }
    );
    assert_eq!(
        parse_dkim_key(&format!("k=rsa; p={K2048}")),
        DkimKey::Rsa {
            bits: 2048,
            testing: false
        }
    );
    assert_eq!(
        parse_dkim_key(&format!("k=ed25519; p={ED25519}")),
        DkimKey::Ed25519 { testing: false }
    );
    let f = only(&with_key(&format!("v=DKIM1; p={K1024}")), Code::DkimKeyWeak);
    assert_eq!(
        (f.params["bits"].as_str(), f.severity),
        ("1024", Severity::Warning)
    );
    let r = with_key(&format!("v=DKIM1; p={K512}"));
    assert_eq!(only(&r, Code::DkimKeyWeak).severity, Severity::Error);
    assert_eq!(
        codes(&r),
        vec!["dkim-key-weak", "sender-requirements-unmet"]
    );
    assert_eq!(
        codes(&with_key("v=DKIM1; k=rsa; p=")),
        vec!["dkim-key-revoked"]
    );
    assert_eq!(
        codes(&with_key(&format!("v=DKIM1; t=s:y; p={K2048}"))),
        vec!["dkim-testing"]
    );
    let f = only(&with_key("v=DKIM1; k=dsa; p=AAAA"), Code::DkimKeyInvalid);
    assert!(f.params["detail"].contains("dsa"));
    assert_eq!(codes(&with_key("v=DKIM1; p=!!!")), vec!["dkim-key-invalid"]);
    assert_eq!(
        codes(&with_key(&format!("v=DKIM1; k=ed25519; p={ED25519}"))),
        Vec::<&str>::new()
    );
}

#[test]
fn dkim_missing_given_selector_or_nothing_found() {
    let mut r = good();
    r.dkim.push(DkimEvidence {
        selector: "gone".into(),
        given: true,
        lookup: nx("gone._domainkey.example.jp", "TXT"),
    });
    assert_eq!(only(&r, Code::DkimKeyMissing).params["selectors"], "gone");
    let mut r = good();
    r.dkim = vec![
        DkimEvidence {
            selector: "default".into(),
            given: false,
            lookup: nx("default._domainkey.example.jp", "TXT"),
        },
        DkimEvidence {
            selector: "google".into(),
            given: false,
            lookup: nx("google._domainkey.example.jp", "TXT"),
        },
    ];
    assert_eq!(
        only(&r, Code::DkimKeyMissing).params["selectors"],
        "default, google"
    );
    // With SPF known missing too, the requirements are unmet.
    r.spf = Some(spf_records(&[]));
    assert_eq!(
        only(&r, Code::SenderRequirementsUnmet).params["missing"],
        "spf-missing, dkim-key-missing"
    );
    // A record SPF cannot pass with is named by its own problem.
    let mut over = spf_records(&["v=spf1 include:esp.example -all"]);
    over.lookups = 11;
    r.spf = Some(over);
    assert_eq!(
        only(&r, Code::SenderRequirementsUnmet).params["missing"],
        "spf-too-many-lookups, dkim-key-missing"
    );
    // Findings already in the report are not read: the evidence decides.
    r.spf = Some(spf_records(&["v=spf1 -all"]));
    r.findings = vec![Finding::new(Code::SpfTooManyLookups)];
    assert_eq!(codes(&r), vec!["dkim-key-missing"]);
}

#[test]
fn mta_sts_record_policy_and_mx_match() {
    assert_eq!(
        codes(&{
            let mut r = good();
            r.mta_sts.txt = nx("_mta-sts.example.jp", "TXT");
            r.mta_sts.policy = None;
            r
        }),
        Vec::<&str>::new()
    );
    let mut r = good();
    r.mta_sts.txt.records = vec!["v=STSv1; id=bad-id!".into()];
    assert!(only(&r, Code::MtaStsInvalid).params["detail"].contains("id="));
    let mut r = good();
    r.mta_sts.txt.records = vec!["v=STSv1; id=1".into(), "v=STSv1; id=2".into()];
    assert!(only(&r, Code::MtaStsInvalid).params["detail"].contains("2 MTA-STS records"));
    let mut r = good();
    if let Some(p) = r.mta_sts.policy.as_mut() {
        p.fetched = false;
        p.detail = "certificate not trusted".into();
    }
    assert!(only(&r, Code::MtaStsInvalid).params["detail"].contains("certificate"));
    let mut r = good();
    if let Some(p) = r.mta_sts.policy.as_mut() {
        p.body = "version: STSv1\nmode: enforce\nmax_age: 86400\n".into();
    }
    assert!(only(&r, Code::MtaStsInvalid).params["detail"].contains("mx"));
    // Served as something else than text/plain (or without a type): a warning.
    for served in [Some("text/html"), None] {
        let mut r = good();
        if let Some(p) = r.mta_sts.policy.as_mut() {
            p.content_type = served.map(str::to_string);
        }
        let f = only(&r, Code::MtaStsInvalid);
        assert!(f.params["detail"].contains("not text/plain"), "{served:?}");
        assert_eq!(f.severity, Severity::Warning);
    }
    let mut r = good();
    if let Some(p) = r.mta_sts.policy.as_mut() {
        p.body = "version: STSv1\nmode: enforce\nmx: *.other.example\nmax_age: 86400\n".into();
    }
    let f = only(&r, Code::MtaStsMismatch);
    assert_eq!(
        (f.params["mx_host"].as_str(), f.severity),
        ("mx.example.jp", Severity::Error)
    );
    if let Some(p) = r.mta_sts.policy.as_mut() {
        p.body = p.body.replace("enforce", "testing");
    }
    assert_eq!(only(&r, Code::MtaStsMismatch).severity, Severity::Warning);
    if let Some(p) = r.mta_sts.policy.as_mut() {
        p.body = "version: STSv1\nmode: none\nmax_age: 86400\n".into();
    }
    assert_eq!(codes(&r), Vec::<&str>::new());
    assert!(sts_mx_matches("*.example.jp", "mx.example.jp"));
    assert!(!sts_mx_matches("*.example.jp", "a.mx.example.jp"));
    assert!(!sts_mx_matches("*.example.jp", "example.jp"));
    assert!(sts_mx_matches("MX.example.jp.", "mx.example.jp"));
}

#[test]
fn tlsrpt_missing_is_informational() {
    let mut r = good();
    r.tlsrpt = nx("_smtp._tls.example.jp", "TXT");
    let f = only(&r, Code::TlsrptMissing);
    assert_eq!(f.severity, Severity::Info);
    let mut r = good();
    r.tlsrpt.records = vec!["v=spf1 -all".into()];
    assert_eq!(codes(&r), vec!["tlsrpt-missing"]);
}

#[test]
fn tlsrpt_parser_accepts_mailto_and_https() {
    assert_eq!(
        parse_tlsrpt("v=TLSRPTv1; rua=mailto:tls@example.jp"),
        Ok(vec!["mailto:tls@example.jp".to_string()])
    );
    assert_eq!(
        parse_tlsrpt("v=TLSRPTv1;rua=https://reports.example.net/tlsrpt"),
        Ok(vec!["https://reports.example.net/tlsrpt".to_string()])
    );
    assert_eq!(
        parse_tlsrpt("v=TLSRPTv1; rua=mailto:tls@example.jp,https://reports.example.net/v1;"),
        Ok(vec![
            "mailto:tls@example.jp".to_string(),
            "https://reports.example.net/v1".to_string()
        ])
    );
    // Spaces around ; and , are allowed (RFC 8460 §3 field-delim), so are unknown tags.
    assert_eq!(
        parse_tlsrpt("v=TLSRPTv1 ;  rua=mailto:a@example.jp ,\thttps://r.example.net ; ext=1 ;")
            .map(|u| u.len()),
        Ok(2)
    );
}

#[test]
fn tlsrpt_parser_names_what_is_wrong() {
    let err = |txt: &str| parse_tlsrpt(txt).expect_err(txt);
    // A bare address: the value is named.
    let e = err("v=TLSRPTv1; rua=reports@example.jp");
    assert!(
        e.contains("\"reports@example.jp\"") && e.contains("mailto:"),
        "{e}"
    );
    assert!(
        err("v=TLSRPTv1; rua=mailto:tls@example.jp,ftp://x.example").contains("ftp://x.example")
    );
    assert!(err("v=TLSRPTv1; rua=mailto:reports").contains("user@domain"));
    assert!(err("v=TLSRPTv1; rua=https://").contains("without a host"));
    assert!(err("v=TLSRPTv1; rua=mailto:a@example.jp mailto:b@example.jp").contains("space"));
    assert!(err("v=TLSRPTv1; rua=mailto:a@example.jp,,").contains("empty"));
    // rua= missing, or misspelt in case.
    assert!(err("v=TLSRPTv1").contains("rua= tag"));
    assert!(err("v=TLSRPTv1; ruf=mailto:a@example.jp").contains("rua= tag"));
    assert!(err("v=TLSRPTv1; RUA=mailto:a@example.jp").contains("RUA="));
    // Wrong version, or not the way the record must begin.
    assert!(err("v=TLSRPTv2; rua=mailto:a@example.jp").contains("v=TLSRPTv2"));
    assert!(err("v=tlsrptv1; rua=mailto:a@example.jp").contains("must begin"));
    assert!(err(" v=TLSRPTv1; rua=mailto:a@example.jp").contains("must begin"));
    assert!(err("v=TLSRPTv10; rua=mailto:a@example.jp").contains("must begin"));
    // tag=value syntax.
    assert!(err("v=TLSRPTv1; rua = mailto:a@example.jp").contains("space around ="));
    assert!(err("v=TLSRPTv1; rua=mailto:a@example.jp; junk").contains("tag=value"));
    assert!(err("v=TLSRPTv1; rua=mailto:a@example.jp; rua=mailto:b@example.jp").contains("twice"));
    assert!(is_tlsrpt("v=TLSRPTv1") && is_tlsrpt("v=TLSRPTv1 ;rua=x"));
    assert!(!is_tlsrpt("v=TLSRPTv10") && !is_tlsrpt(" v=TLSRPTv1"));
    assert!(looks_like_tlsrpt("v = tlsrptv2; rua=x") && !looks_like_tlsrpt("v=spf1 -all"));
}

#[test]
fn tlsrpt_invalid_names_the_record_and_the_problem() {
    let with = |records: &[&str]| {
        let mut r = good();
        r.tlsrpt = found("_smtp._tls.example.jp", "TXT", records);
        r
    };
    let r = with(&["v=TLSRPTv1; rua=reports@example.jp"]);
    let f = only(&r, Code::TlsrptInvalid);
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.params["record"], "v=TLSRPTv1; rua=reports@example.jp");
    assert!(f.params["detail"].contains("reports@example.jp"));
    assert_eq!(f.params["domain"], "example.jp");
    assert_eq!(codes(&r), vec!["tlsrpt-invalid"]);
    // Two records: senders use neither.
    let r = with(&[
        "v=TLSRPTv1; rua=mailto:a@example.jp",
        "v=TLSRPTv1; rua=mailto:b@example.jp",
    ]);
    let f = only(&r, Code::TlsrptInvalid);
    assert!(f.params["detail"].starts_with("2 records"), "{f:?}");
    assert!(f.params["record"].contains(" | "));
    // Another version only: invalid, not missing.
    let r = with(&["v=TLSRPTv2; rua=mailto:a@example.jp"]);
    assert_eq!(codes(&r), vec!["tlsrpt-invalid"]);
    // Other TXT records beside one valid record are ignored; so is a v2 record beside it.
    let r = with(&[
        "google-site-verification=abc",
        "v=TLSRPTv2; rua=mailto:a@example.jp",
        "v=TLSRPTv1 ; rua=https://r.example.net/x",
    ]);
    assert_eq!(codes(&r), Vec::<&str>::new());
    // No answer: nothing said.
    let mut r = with(&["v=TLSRPTv1; rua=reports@example.jp"]);
    r.tlsrpt.outcome = ResolveOutcome::Timeout;
    assert!(!codes(&r).contains(&"tlsrpt-invalid"));
}

#[test]
fn tlsa_shapes() {
    let sha256 = "ab".repeat(32);
    assert!(check_tlsa(&format!("3 1 1 {sha256}")).is_ok());
    assert!(check_tlsa(&format!("2 0 1 {sha256}")).is_ok());
    assert!(check_tlsa(&format!("1 1 1 {sha256}")).is_err_and(|e| e.contains("PKIX")));
    assert!(check_tlsa("3 1 1 abcd").is_err_and(|e| e.contains("32 bytes")));
    assert!(check_tlsa("3 1 2 abcd").is_err_and(|e| e.contains("64 bytes")));
    assert!(check_tlsa(&format!("3 2 1 {sha256}")).is_err());
    let mut r = good();
    r.mx_hosts[0].tlsa = Some(found(
        "_25._tcp.mx.example.jp",
        "TLSA",
        &[&format!("3 1 1 {sha256}")],
    ));
    assert_eq!(codes(&r), Vec::<&str>::new());
    r.mx_hosts[0].tlsa = Some(found("_25._tcp.mx.example.jp", "TLSA", &["0 0 1 abcd"]));
    assert_eq!(
        only(&r, Code::TlsaMismatch).params["mx_host"],
        "mx.example.jp"
    );
}

#[test]
fn mail_from_alignment() {
    let mut r = good();
    r.mail_from = Some("bounce@mail.example.jp".into());
    assert_eq!(codes(&r), Vec::<&str>::new());
    r.mail_from = Some("bounce@sendgrid.example.net".into());
    assert_eq!(
        only(&r, Code::SenderRequirementsUnmet).params["missing"],
        "mail-from-not-aligned"
    );
}

#[test]
fn record_detection() {
    assert!(is_dmarc("v=DMARC1; p=none"));
    assert!(is_dmarc("v = DMARC1"));
    assert!(!is_dmarc("v=spf1 -all"));
    assert!(is_dkim_key("p="));
    assert!(!is_dkim_key("hello world"));
    assert!(tag_list("a=1; b=2;").is_ok());
    assert!(tag_list("a=1; junk").is_err());
    let p = parse_sts_policy(
        "version: STSv1\nmode: enforce\nmx: a.example\nmx: *.b.example\nmax_age: 604800\n",
    );
    assert_eq!(p.map(|p| p.mx.len()), Ok(2));
    assert!(parse_sts_policy("version: STSv1\nmode: strict\nmx: a\nmax_age: 1").is_err());
    assert!(
        parse_sts_policy("version: STSv1\nmode: enforce\nmx: a\nmax_age: 99999999999").is_err()
    );
}

#[test]
fn findings_use_only_their_codes_params() {
    // Every param a rule writes is one the knowledge base allows (checked in maildoc-kb for the
    // texts; here for the rules): gather all findings of the cases above.
    let mut r = good();
    r.dmarc.lookup.records = vec!["v=DMARC1; p=none; rua=mailto:x@other.example".into()];
    r.dmarc.report_authorizations = vec![nx("example.jp._report._dmarc.other.example", "TXT")];
    r.mx_hosts[0].reverse[0].confirmed.clear();
    r.mx_hosts[0].cname = Some("c.example".into());
    r.tlsrpt = nx("_smtp._tls.example.jp", "TXT");
    r.mail_from = Some("a@b.example".into());
    let all = diagnose(&r);
    assert!(all.len() >= 5, "{all:?}");
    for f in &all {
        for key in f.params.keys() {
            assert!(!key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }
}

fn bl(address: &str, zone: &str, outcome: ResolveOutcome, answers: &[&str]) -> DnsblCheck {
    DnsblCheck {
        address: address.into(),
        source: AddressOf::Mx("mx1.example.jp".into()),
        zone: zone.into(),
        query: DnsLookup {
            name: format!("x.{zone}"),
            rtype: "A".into(),
            outcome,
            records: answers.iter().map(|s| s.to_string()).collect(),
            detail: "no answer within 5000 ms".into(),
            authentic_data: false,
        },
        txt: None,
    }
}

#[test]
fn blocklists_tell_listings_refusals_and_timeouts_apart() {
    let mut r = good();
    r.dnsbl = vec![
        bl(
            "192.0.2.60",
            "bl.test",
            ResolveOutcome::Found,
            &["127.0.0.2"],
        ),
        bl("192.0.2.61", "bl.test", ResolveOutcome::NotFound, &[]),
        bl(
            "192.0.2.60",
            "refuse.test",
            ResolveOutcome::Found,
            &["127.255.255.254"],
        ),
        bl(
            "192.0.2.61",
            "refuse.test",
            ResolveOutcome::Found,
            &["127.255.255.254"],
        ),
        bl("192.0.2.60", "slow.test", ResolveOutcome::Timeout, &[]),
    ];
    let f = diagnose(&r);
    let listed: Vec<&Finding> = f.iter().filter(|f| f.code == Code::DnsblListed).collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].params["address"], "192.0.2.60");
    assert_eq!(listed[0].params["zone"], "bl.test");
    assert_eq!(listed[0].params["reason"], "-");
    let refused = only_in(&f, Code::DnsblQueryRefused);
    assert_eq!(refused.params["zone"], "refuse.test");
    assert_eq!(refused.params["addresses"], "192.0.2.60, 192.0.2.61");
    assert!(only_in(&f, Code::DomainLookupFailed).params["names"].contains("slow.test"));
}

fn only_in(f: &[Finding], code: Code) -> &Finding {
    let v: Vec<&Finding> = f.iter().filter(|x| x.code == code).collect();
    assert_eq!(v.len(), 1, "{code:?} in {f:?}");
    v[0]
}

#[test]
fn mx_smtp_refusal_and_silence_are_inconclusive_never_failures() {
    use maildoc_model::{
        Endpoint, GreetingOutcome, Origin, ProbeDepth, Protocol, Security, ServerEvidence,
        StarttlsOutcome, StepKind,
    };
    let ev = |host: &str, kinds: Vec<StepKind>| {
        let mut e = ServerEvidence::new(
            "mx1",
            Endpoint::new(Protocol::Smtp, host, 25, Security::Starttls),
            Origin::Flag,
            ProbeDepth::Transport,
        );
        for k in kinds {
            e.push(0, 0, k);
        }
        e
    };
    let greeting = |outcome, text: &str| StepKind::Greeting {
        outcome,
        text: text.into(),
        spoken: None,
        server_time: None,
    };
    let mut r = good();
    r.smtp = vec![
        ev(
            "busy.example.jp",
            vec![greeting(
                GreetingOutcome::Refused,
                "421 4.7.0 try again later",
            )],
        ),
        ev(
            "tarpit.example.jp",
            vec![greeting(GreetingOutcome::Silent, "")],
        ),
        ev(
            "plain.example.jp",
            vec![
                greeting(GreetingOutcome::Ready, "220 plain.example.jp ESMTP"),
                StepKind::Starttls {
                    outcome: StarttlsOutcome::NotOffered,
                    reply: String::new(),
                },
            ],
        ),
    ];
    let f = diagnose(&r);
    let inconclusive: Vec<&Finding> = f
        .iter()
        .filter(|f| f.code == Code::MxSmtpInconclusive)
        .collect();
    assert_eq!(inconclusive.len(), 2, "{f:?}");
    assert!(inconclusive[0].params["detail"].contains("421"));
    assert!(inconclusive.iter().all(|f| f.severity == Severity::Info));
    assert_eq!(
        only_in(&f, Code::MxStarttlsMissing).params["mx_host"],
        "plain.example.jp"
    );
    assert!(!f.iter().any(|f| f.code == Code::MxCertInvalid));
}

fn hex(alg: &'static ring::digest::Algorithm, data: &[u8]) -> String {
    ring::digest::digest(alg, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A certificate whose DER is `der` and whose SubjectPublicKeyInfo is `spki`, with the
/// digests the probe records.
fn cert(host: &str, der: &[u8], spki: &[u8]) -> maildoc_model::CertInfo {
    use ring::digest::{SHA256, SHA512};
    maildoc_model::CertInfo {
        sha256: hex(&SHA256, der),
        sha512: hex(&SHA512, der),
        spki_sha256: hex(&SHA256, spki),
        spki_sha512: hex(&SHA512, spki),
        ..crate::fixtures::leaf(host)
    }
}

/// `host` on port 25 with an established STARTTLS handshake presenting `chain`.
fn smtp_with_chain(
    host: &str,
    chain: Vec<maildoc_model::CertInfo>,
) -> maildoc_model::ServerEvidence {
    use maildoc_model::{Endpoint, Origin, ProbeDepth, Protocol, Security, StepKind, TlsMode};
    let mut e = maildoc_model::ServerEvidence::new(
        "mx1",
        Endpoint::new(Protocol::Smtp, host, 25, Security::Starttls),
        Origin::Flag,
        ProbeDepth::Transport,
    );
    let mut tls = crate::fixtures::tls_valid(host, TlsMode::Starttls);
    tls.chain = chain;
    e.push(0, 0, StepKind::Tls(Box::new(tls)));
    e
}

#[test]
fn tlsa_records_are_matched_against_the_presented_chain() {
    use ring::digest::{SHA256, SHA512};
    let (leaf_der, leaf_key, ca_der, ca_key) = (
        b"leaf certificate".as_slice(),
        b"leaf key".as_slice(),
        b"intermediate certificate".as_slice(),
        b"intermediate key".as_slice(),
    );
    let chain = vec![
        cert("mx.example.jp", leaf_der, leaf_key),
        cert("ca.example", ca_der, ca_key),
    ];
    let full = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    for (record, want) in [
        // DANE-EE: the leaf only, by certificate or key, SHA-256, SHA-512 or in full.
        (format!("3 1 1 {}", hex(&SHA256, leaf_key)), true),
        (format!("3 1 2 {}", hex(&SHA512, leaf_key)), true),
        (format!("3 0 1 {}", hex(&SHA256, leaf_der)), true),
        (format!("3 0 2 {}", hex(&SHA512, leaf_der)), true),
        (format!("3 0 0 {}", full(leaf_der)), true),
        (format!("3 1 0 {}", full(leaf_key).to_uppercase()), true),
        (format!("3 0 1 {}", hex(&SHA256, ca_der)), false),
        (format!("3 1 1 {}", hex(&SHA256, leaf_der)), false),
        // DANE-TA: a certificate of the chain above the leaf.
        (format!("2 0 1 {}", hex(&SHA256, ca_der)), true),
        (format!("2 1 2 {}", hex(&SHA512, ca_key)), true),
        (format!("2 0 0 {}", full(ca_der)), true),
        (format!("2 0 1 {}", hex(&SHA256, leaf_der)), false),
        // PKIX usages are not used for SMTP; bad hex never matches.
        (format!("1 1 1 {}", hex(&SHA256, leaf_key)), false),
        ("3 0 0 zz".to_string(), false),
        ("3 0 0 abc".to_string(), false),
    ] {
        assert_eq!(tlsa_matches(&record, &chain), Some(want), "{record}");
    }
    // A report written before the key digests were recorded: cannot tell.
    let mut old = chain.clone();
    old[0].spki_sha256.clear();
    assert_eq!(
        tlsa_matches(&format!("3 1 1 {}", hex(&SHA256, leaf_key)), &old),
        None
    );
    assert_eq!(tlsa_matches("3 1 1 ab", &[]), Some(false));
    assert_eq!(
        parse_tlsa("3 1 1 ABCD"),
        Some(Tlsa {
            usage: 3,
            selector: 1,
            matching: 1,
            data: "abcd".into()
        })
    );
    assert_eq!(parse_tlsa("3 1 x abcd"), None);

    // The rule: with --smtp, a well-formed record that matches nothing is tlsa-mismatch,
    // naming the record that would match; one matching record is enough.
    let wrong = format!("3 1 1 {}", "ab".repeat(32));
    let right = format!("3 1 1 {}", hex(&SHA256, leaf_key));
    let mut r = good();
    r.mx_hosts[0].tlsa = Some(found("_25._tcp.mx.example.jp", "TLSA", &[&wrong]));
    assert_eq!(
        codes(&r),
        Vec::<&str>::new(),
        "without --smtp only the shape"
    );
    r.smtp = vec![smtp_with_chain("mx.example.jp", chain.clone())];
    let f = only(&r, Code::TlsaMismatch);
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.params["detail"].contains("none of the 1 TLSA records"),
        "{f:?}"
    );
    assert!(f.params["detail"].contains(&right), "{f:?}");
    // Validated by DNSSEC: DANE senders hold the mail back, an error.
    if let Some(t) = r.mx_hosts[0].tlsa.as_mut() {
        t.authentic_data = true;
    }
    assert_eq!(only(&r, Code::TlsaMismatch).severity, Severity::Error);
    // The same host named by a second MX record: still one finding.
    let mut twice = r.clone();
    let mut backup = twice.mx_hosts[0].clone();
    backup.preference = 20;
    twice.mx_hosts.push(backup);
    only(&twice, Code::TlsaMismatch);
    if let Some(t) = r.mx_hosts[0].tlsa.as_mut() {
        t.records.push(right.clone());
    }
    assert_eq!(codes(&r), Vec::<&str>::new());
    // A handshake that was not established says nothing about the records.
    let mut r = good();
    r.mx_hosts[0].tlsa = Some(found("_25._tcp.mx.example.jp", "TLSA", &[&wrong]));
    r.smtp = vec![smtp_with_chain("mx.example.jp", chain)];
    for step in &mut r.smtp[0].steps {
        if let maildoc_model::StepKind::Tls(t) = &mut step.kind {
            t.handshake = maildoc_model::TlsHandshake::Failed;
        }
    }
    assert!(!codes(&r).contains(&"tlsa-mismatch"));
}

#[test]
fn mx_records_naming_one_host_twice_or_an_address() {
    // The same host at two preferences: one finding, with both preferences; the host's own
    // findings are not repeated.
    let mut r = good();
    let mut backup = r.mx_hosts[0].clone();
    backup.preference = 20;
    backup.exchange = "MX.example.jp".into();
    r.mx_hosts.push(backup);
    r.mx_hosts[0].cname = Some("real.example.net".into());
    let f = only(&r, Code::MxDuplicateHost);
    assert_eq!(f.params["mx_host"], "mx.example.jp");
    assert_eq!(f.params["preferences"], "10, 20");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(
        codes(&r),
        vec!["mx-duplicate-host", "mx-cname"],
        "one mx-cname for the host named twice"
    );
    // Two hosts at the same preference are load sharing (RFC 5321 §5.1), not a duplicate.
    let mut r = good();
    let mut second = r.mx_hosts[0].clone();
    second.exchange = "mx2.example.jp".into();
    r.mx_hosts.push(second);
    r.mta_sts.policy = None;
    assert_eq!(codes(&r), Vec::<&str>::new());

    // An address where a host name belongs: an error even when the resolver turned it into
    // an address, and nothing else is said about that "host".
    for literal in ["192.0.2.1", "2001:db8::25"] {
        let mut r = good();
        r.mx_hosts[0].exchange = literal.into();
        r.mx_hosts[0].addresses = nx(literal, "A/AAAA");
        r.mx_hosts[0].reverse.clear();
        r.mta_sts.policy = None;
        let f = only(&r, Code::MxIpLiteral);
        assert_eq!(f.params["mx_host"], literal);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(codes(&r), vec!["mx-ip-literal"]);
    }
    // A host name made of digits and letters is a host name.
    let mut r = good();
    r.mx_hosts[0].exchange = "192.0.2.1.example.jp".into();
    r.mta_sts.policy = None;
    assert!(!codes(&r).contains(&"mx-ip-literal"));
}

#[test]
fn mx_hosts_on_addresses_the_internet_cannot_reach() {
    // The only MX host on loopback and private addresses: no mail arrives, an error.
    let mut r = good();
    r.mx_hosts[0].addresses.records = vec!["127.0.0.1".into(), "192.168.1.10".into()];
    let f = only(&r, Code::MxPrivateAddress);
    assert_eq!(f.params["addresses"], "127.0.0.1, 192.168.1.10");
    assert_eq!(f.severity, Severity::Error);
    // Beside a reachable address (of this host or another), a warning.
    r.mx_hosts[0].addresses.records.push("203.0.113.25".into());
    let f = only(&r, Code::MxPrivateAddress);
    assert_eq!(f.params["addresses"], "127.0.0.1, 192.168.1.10");
    assert_eq!(f.severity, Severity::Warning);
    for (address, reachable) in [
        ("10.1.2.3", false),
        ("172.16.0.1", false),
        ("172.32.0.1", true),
        ("169.254.1.1", false),
        ("100.64.0.1", false),
        ("100.128.0.1", true),
        ("0.1.2.3", false),
        ("240.0.0.1", false),
        ("8.8.8.8", true),
        ("192.0.2.60", true),
        ("::1", false),
        ("fd00::25", false),
        ("fe80::1", false),
        ("::ffff:10.0.0.1", false),
        ("2001:db8::25", true),
        ("2a00:1450:4001::1b", true),
    ] {
        assert_eq!(
            internet_reachable(address.parse().unwrap()),
            reachable,
            "{address}"
        );
    }
}

fn dnssec_of(zone: &str, status: DnssecStatus) -> DnssecEvidence {
    DnssecEvidence {
        zone: zone.into(),
        ds: found(zone, "DS", &["12345 13 2"]),
        status,
        detail: "why".into(),
    }
}

#[test]
fn dnssec_keys_without_ds_and_broken_chains() {
    for status in [
        DnssecStatus::Secure,
        DnssecStatus::Unsigned,
        DnssecStatus::Unknown,
    ] {
        let mut r = good();
        r.dnssec = Some(dnssec_of("example.jp", status));
        r.mx_dnssec = vec![dnssec_of("example.jp", status)];
        assert_eq!(codes(&r), Vec::<&str>::new(), "{status:?}");
    }
    let mut r = good();
    r.dnssec = Some(dnssec_of("example.jp", DnssecStatus::KeysWithoutDs));
    assert_eq!(
        only(&r, Code::DnssecDsMissing).params["dns_zone"],
        "example.jp"
    );
    // Keys without DS in an MX host's zone are that zone owner's business: no finding.
    let mut r = good();
    r.mx_dnssec = vec![dnssec_of("example.jp", DnssecStatus::KeysWithoutDs)];
    assert_eq!(codes(&r), Vec::<&str>::new());
    // The domain's own zone broken: one error, naming the domain.
    let mut r = good();
    r.dnssec = Some(dnssec_of("example.jp", DnssecStatus::Bogus));
    r.mx_dnssec = vec![dnssec_of("example.jp", DnssecStatus::Bogus)];
    let f = only(&r, Code::DnssecBogus);
    assert_eq!(
        (f.params["whose"].as_str(), f.severity),
        ("example.jp", Severity::Error)
    );
    // The MX host's zone broken while the domain is fine: the finding names the MX host.
    let mut r = good();
    r.dnssec = Some(dnssec_of("example.jp", DnssecStatus::Unsigned));
    r.mx_hosts[0].exchange = "mx.hoster.example".into();
    r.mx_dnssec = vec![dnssec_of("hoster.example", DnssecStatus::Bogus)];
    let f = only(&r, Code::DnssecBogus);
    assert_eq!(f.params["dns_zone"], "hoster.example");
    assert_eq!(f.params["whose"], "mx.hoster.example");
}

#[test]
fn dmarc_reports_to_a_domain_that_takes_no_mail() {
    let mx = |outcome: ResolveOutcome, records: &[&str]| DnsLookup {
        outcome,
        ..found("example.jp", "MX", records)
    };
    let addresses = |outcome: ResolveOutcome| DnsLookup {
        outcome,
        ..found("example.jp", "A/AAAA", &[])
    };
    // good(): rua=mailto:d@example.jp, whose domain has an MX.
    let mut r = good();
    r.dmarc.report_mx = vec![mx(ResolveOutcome::Found, &["10 mx.example.jp"])];
    assert_eq!(codes(&r), Vec::<&str>::new());
    for (lookup, address, why) in [
        (mx(ResolveOutcome::NotFound, &[]), None, "does not exist"),
        (mx(ResolveOutcome::Found, &["0 ."]), None, "null MX"),
        (
            mx(ResolveOutcome::NoAddress, &[]),
            Some(addresses(ResolveOutcome::NoAddress)),
            "neither MX",
        ),
    ] {
        let mut r = good();
        r.dmarc.report_mx = vec![lookup];
        r.dmarc.report_addresses = address.into_iter().collect();
        let f = only(&r, Code::DmarcReportUndeliverable);
        assert!(f.params["detail"].contains(why), "{why}: {:?}", f.params);
        assert_eq!(f.params["destination"], "example.jp");
    }
    // No MX but an address (RFC 5321 §5.1), or lookups that got no answer: nothing to say.
    for (lookup, address) in [
        (
            mx(ResolveOutcome::NoAddress, &[]),
            Some(addresses(ResolveOutcome::Found)),
        ),
        (mx(ResolveOutcome::Timeout, &[]), None),
        (
            mx(ResolveOutcome::NoAddress, &[]),
            Some(addresses(ResolveOutcome::Timeout)),
        ),
    ] {
        let mut r = good();
        r.dmarc.report_mx = vec![lookup];
        r.dmarc.report_addresses = address.into_iter().collect();
        assert_eq!(codes(&r), Vec::<&str>::new());
    }
}

fn bimi_report(record: &str) -> DomainReport {
    let mut r = good();
    r.started_at_unix = 1_795_000_000; // 2026-11
    r.bimi = Some(found("default._bimi.example.jp", "TXT", &[record]));
    r
}

fn tiny_ps_logo() -> BimiLogo {
    BimiLogo {
        url: "https://example.jp/logo.svg".into(),
        fetched: true,
        detail: String::new(),
        content_type: Some("image/svg+xml".into()),
        size: 1000,
        sha256: "aa".into(),
        svg: Some(SvgFacts {
            version: Some("1.2".into()),
            base_profile: Some("tiny-ps".into()),
            has_title: true,
            root_position: false,
        }),
    }
}

fn mark_certificate() -> MarkCertificate {
    let mut leaf = crate::fixtures::leaf("example.jp");
    // Valid whenever the report runs.
    (leaf.not_before_unix, leaf.not_after_unix) = (0, i64::MAX);
    MarkCertificate {
        url: "https://example.jp/vmc.pem".into(),
        fetched: true,
        detail: String::new(),
        leaf: Some(leaf),
        logotype: true,
        logo_sha256: Some("aa".into()),
        subject_fields: [
            "markType",
            "organizationName",
            "streetAddress",
            "localityName",
            "countryName",
            "businessCategory",
            "serialNumber",
            "jurisdictionOfIncorporationCountryName",
            "trademarkCountryOrRegionName",
            "trademarkIdentifier",
            "commonName",
        ]
        .map(String::from)
        .to_vec(),
        mark_type: Some("Registered Mark".into()),
        extensions: vec!["2.5.29.17".into(), "1.3.6.1.5.5.7.1.12".into()],
        issuer_verified: true,
        issuer_detail: String::new(),
    }
}

#[test]
fn bimi_record_logo_and_mark_certificate() {
    let record = "v=BIMI1; l=https://example.jp/logo.svg; a=https://example.jp/vmc.pem";
    let detail = |r: &DomainReport| only(r, Code::BimiInvalid).params["detail"].clone();
    // A clean record, logo and certificate at p=reject: nothing to say.
    let mut r = bimi_report(record);
    r.bimi_assets = Some(BimiEvidence {
        logo: Some(tiny_ps_logo()),
        certificate: Some(mark_certificate()),
    });
    assert_eq!(codes(&r), Vec::<&str>::new());
    // Declining (both empty) is fine; no record is fine.
    assert_eq!(codes(&bimi_report("v=BIMI1; l=; a=")), Vec::<&str>::new());
    assert_eq!(codes(&bimi_report("not bimi")), Vec::<&str>::new());
    // The record itself.
    assert!(detail(&bimi_report("v=BIMI1; l=http://example.jp/logo.svg")).contains("https"));
    assert!(detail(&bimi_report("v=BIMI1; a=https://example.jp/vmc.pem")).contains("no logo"));
    // DMARC must be at enforcement.
    let mut r = r.clone();
    r.dmarc.lookup.records = vec!["v=DMARC1; p=none".into()];
    assert!(detail(&r).contains("p=none"));
    // The logo's profile.
    let with_logo = |edit: &dyn Fn(&mut BimiLogo)| {
        let mut r = bimi_report("v=BIMI1; l=https://example.jp/logo.svg");
        let mut logo = tiny_ps_logo();
        edit(&mut logo);
        r.bimi_assets = Some(BimiEvidence {
            logo: Some(logo),
            certificate: None,
        });
        r
    };
    assert_eq!(codes(&with_logo(&|_| {})), Vec::<&str>::new());
    for (edit, words) in [
        (
            &(|l: &mut BimiLogo| {
                l.fetched = false;
                l.detail = "HTTP status 404".into();
            }) as &dyn Fn(&mut BimiLogo),
            "404",
        ),
        (&|l: &mut BimiLogo| l.svg = None, "not an SVG"),
        (
            &|l: &mut BimiLogo| {
                if let Some(s) = l.svg.as_mut() {
                    s.version = Some("1.1".into());
                }
            },
            "version=1.1",
        ),
        (
            &|l: &mut BimiLogo| {
                if let Some(s) = l.svg.as_mut() {
                    s.base_profile = None;
                }
            },
            "baseProfile=(none)",
        ),
        (
            &|l: &mut BimiLogo| {
                if let Some(s) = l.svg.as_mut() {
                    s.has_title = false;
                }
            },
            "<title>",
        ),
        (
            &|l: &mut BimiLogo| {
                if let Some(s) = l.svg.as_mut() {
                    s.root_position = true;
                }
            },
            "x= or y=",
        ),
        (&|l: &mut BimiLogo| l.size = 40_000, "above 32 KB"),
    ] {
        let d = detail(&with_logo(edit));
        assert!(d.contains(words), "{words}: {d}");
    }
    // The mark certificate.
    let with_cert = |edit: &dyn Fn(&mut MarkCertificate)| {
        let mut r = bimi_report(record);
        let mut cert = mark_certificate();
        edit(&mut cert);
        r.bimi_assets = Some(BimiEvidence {
            logo: Some(tiny_ps_logo()),
            certificate: Some(cert),
        });
        r
    };
    for (edit, words) in [
        (
            &(|c: &mut MarkCertificate| {
                c.fetched = false;
                c.detail = "HTTP status 404".into();
            }) as &dyn Fn(&mut MarkCertificate),
            "could not be read",
        ),
        (
            &|c: &mut MarkCertificate| {
                if let Some(l) = c.leaf.as_mut() {
                    l.not_after_unix = 1_000_000;
                }
            },
            "expired on 1970-01-12",
        ),
        (
            &|c: &mut MarkCertificate| {
                if let Some(l) = c.leaf.as_mut() {
                    l.names = vec!["other.example".into()];
                }
            },
            "names other.example, not example.jp",
        ),
        (
            &|c: &mut MarkCertificate| c.logotype = false,
            "holds no logo",
        ),
        (&|c: &mut MarkCertificate| c.mark_type = None, "no markType"),
        (
            &|c: &mut MarkCertificate| c.extensions.push("2.5.29.30".into()),
            "name constraints",
        ),
        (
            &|c: &mut MarkCertificate| {
                c.extensions.push("1.3.6.1.4.1.53087.4.1".into());
                if let Some(l) = c.leaf.as_mut() {
                    l.not_before_unix = 1_750_000_000; // issued 2025-06
                }
            },
            "pilot identifier",
        ),
        (
            &|c: &mut MarkCertificate| c.mark_type = Some("Logo".into()),
            "\"Logo\" is not one of",
        ),
        (
            &|c: &mut MarkCertificate| c.mark_type = Some("Government Mark".into()),
            "lacks statuteCountryName, statuteCitation (needed for a Government Mark",
        ),
        (
            &|c: &mut MarkCertificate| {
                c.subject_fields
                    .retain(|f| f != "localityName" && f != "serialNumber");
            },
            "lacks serialNumber, localityName or stateOrProvinceName",
        ),
        (
            &|c: &mut MarkCertificate| {
                c.issuer_verified = false;
                c.issuer_detail = "its chain leads to no Mark Verifying Authority".into();
            },
            "not issued by a recognised Mark Verifying Authority",
        ),
        (
            &|c: &mut MarkCertificate| c.logo_sha256 = Some("bb".into()),
            "differs",
        ),
    ] {
        let d = detail(&with_cert(edit));
        assert!(d.contains(words), "{words}: {d}");
    }
}

#[test]
fn mx_hosts_outside_the_approved_ones() {
    let mut r = good();
    assert_eq!(codes(&r), Vec::<&str>::new());
    for approved in ["mx.example.jp", "example.jp", "MX.example.jp"] {
        r.approved_mx = vec!["other.example".into(), approved.to_ascii_lowercase()];
        assert_eq!(codes(&r), Vec::<&str>::new(), "{approved}");
    }
    r.approved_mx = vec!["other.example".into(), "x.example.jp".into()];
    let f = only(&r, Code::MxNotApproved);
    assert_eq!(f.params["mx_host"], "mx.example.jp");
    assert_eq!(f.params["approved"], "other.example, x.example.jp");
    // A suffix must end at a label: "ample.jp" does not approve mx.example.jp.
    r.approved_mx = vec!["ample.jp".into()];
    assert_eq!(
        only(&r, Code::MxNotApproved).params["mx_host"],
        "mx.example.jp"
    );
}

#[test]
fn dmarc_removed_tags_and_unrelated_txt() {
    let mut r = good();
    r.dmarc.lookup.records =
        vec!["v=DMARC1; p=reject; pct=50; ri=3600; rua=mailto:d@example.jp".into()];
    let f = only(&r, Code::DmarcRemovedTag);
    assert_eq!(f.params["tags"], "pct=, ri=");
    assert_eq!(f.severity, Severity::Info);
    let mut r = good();
    r.dmarc.lookup.records.push("v=spf1 -all".into());
    let f = only(&r, Code::DmarcUnrelatedTxt);
    assert_eq!(f.params["records"], "\"v=spf1 -all\"");
    assert_eq!(f.params["record_domain"], "example.jp");
}

#[test]
fn name_servers_outside_approved_ns() {
    let mut r = good();
    r.ns = Some(found(
        "example.jp",
        "NS",
        &["ns1.dns.example", "ns.other.example"],
    ));
    r.approved_ns = vec!["dns.example".into()];
    let f = only(&r, Code::NsNotApproved);
    assert_eq!(f.params["ns_host"], "ns.other.example");
    r.approved_ns.push("ns.other.example".into());
    assert_eq!(codes(&r), Vec::<&str>::new());
}

#[test]
fn a_parked_domain_must_say_it_has_no_mail() {
    let locked = || {
        let mut r = good();
        r.parked = true;
        r.mx = found("example.jp", "MX", &["0 ."]);
        r.mx_hosts[0].exchange = ".".into();
        r.spf = Some(spf_records(&["v=spf1  -all"]));
        r.dmarc.lookup.records = vec!["v=DMARC1; p=reject; sp=reject".into()];
        r
    };
    let parked_codes = |r: &DomainReport| -> Vec<&'static str> {
        codes(r)
            .into_iter()
            .filter(|c| *c == "parked-domain-open")
            .collect()
    };
    assert_eq!(parked_codes(&locked()), Vec::<&str>::new());
    let mut r = locked();
    r.parked = false;
    r.spf = Some(spf_records(&["v=spf1 mx -all"]));
    assert_eq!(parked_codes(&r), Vec::<&str>::new(), "only with --parked");
    for (edit, words) in [
        (
            &(|r: &mut DomainReport| r.mx_hosts[0].exchange = "mx.example.jp".into())
                as &dyn Fn(&mut DomainReport),
            "MX records name mx.example.jp",
        ),
        (
            &|r: &mut DomainReport| r.spf = Some(spf_records(&["v=spf1 mx -all"])),
            "not \"v=spf1 -all\"",
        ),
        (
            &|r: &mut DomainReport| r.spf = Some(spf_records(&[])),
            "no SPF record",
        ),
        (
            &|r: &mut DomainReport| {
                r.dmarc.lookup.records = vec!["v=DMARC1; p=reject; sp=none".into()]
            },
            "p=reject, sp=none",
        ),
        (
            &|r: &mut DomainReport| r.dmarc.lookup.records = vec!["v=DMARC1; p=quarantine".into()],
            "p=quarantine",
        ),
    ] {
        let mut r = locked();
        edit(&mut r);
        let f = only(&r, Code::ParkedDomainOpen);
        assert!(
            f.params["detail"].contains(words),
            "{words}: {:?}",
            f.params
        );
    }
}
