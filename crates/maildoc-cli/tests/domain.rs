//! `maildoc domain` against the lab's NSD (`lab/lab.sh start`; zones
//! `lab/templates/posture.lab.example.zone.in`, `2.0.192.in-addr.arpa.zone.in`,
//! `dmarc-reports.example.zone.in`): one subdomain of posture.lab.example per case, the codes
//! each must give, exit codes, both languages and the three formats; and a DNS server that
//! fails, which must give no finding that claims a record is missing. Every lookup goes to
//! the lab's NSD or an in-process server on loopback.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_model::Code;
use maildoc_model::domain::{AddressOf, DnssecEvidence, DnssecStatus, DomainReport};
use maildoc_testkit::hostile::{DnsBehaviour, dns};
use maildoc_testkit::lab::{Lab, Run, run};

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

fn domain_raw(name: &str, extra: &[&str]) -> Run {
    let lab = Lab::get();
    let mut args: Vec<String> = [
        "domain",
        name,
        "--dns-server",
        &lab.dns(),
        "--ca-file",
        &lab.ca(),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend(extra.iter().map(|a| a.to_string()));
    // Never the built-in (real) blocklists: the lab's list, which lists none of the usual
    // MX addresses.
    if !extra.contains(&"--dnsbl-zone") {
        args.extend([
            "--dnsbl-zone".to_string(),
            "bl.dnsbl.lab.example".to_string(),
        ]);
    }
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout".to_string(), "10".to_string()]);
    }
    run(BIN, &args, None)
}

/// The JSON report of `maildoc domain <case>.posture.lab.example`.
fn case(case: &str, extra: &[&str]) -> (DomainReport, Run) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let r = domain_raw(&format!("{case}.posture.lab.example"), &args);
    let report: DomainReport = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not a domain report ({e}):\n{}\n{}", r.stdout, r.stderr));
    (report, r)
}

fn codes(r: &DomainReport) -> Vec<Code> {
    let mut v: Vec<Code> = r.findings.iter().map(|f| f.code).collect();
    v.sort();
    v.dedup();
    v
}

fn param<'a>(r: &'a DomainReport, code: Code, key: &str) -> &'a str {
    r.findings
        .iter()
        .find(|f| f.code == code)
        .and_then(|f| f.params.get(key))
        .map(String::as_str)
        .unwrap_or_else(|| panic!("no {code} with {key}: {:?}", r.findings))
}

/// Asserts that the report has exactly `expected` (sorted the registry's way).
fn assert_codes(case_name: &str, r: &DomainReport, run: &Run, expected: &[Code]) {
    let mut want = expected.to_vec();
    want.sort();
    assert_eq!(
        codes(r),
        want,
        "{case_name}: findings {:#?}\nstderr: {}",
        r.findings,
        run.stderr
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_good_domain_has_nothing_to_fix_and_exits_0() {
    let (r, run) = case("good", &["--dkim-selector", "s2048"]);
    assert_codes("good", &r, &run, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let host = &r.mx_hosts[0];
    assert_eq!(host.exchange, "mx1.posture.lab.example");
    assert_eq!(host.addresses.records, vec!["192.0.2.60"]);
    assert_eq!(host.reverse[0].confirmed, vec!["mx1.posture.lab.example"]);
    // ed25519 at a selector that is not common is not seen without --dkim-selector...
    assert!(r.dkim.iter().all(|k| k.selector != "ed"));
    // ...and passes when given.
    let (r, run) = case(
        "good",
        &["--dkim-selector", "ed", "--dkim-selector", "s2048"],
    );
    assert_codes("good+ed", &r, &run, &[]);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn mx_cases() {
    let (r, run) = case("nullmx", &["--dkim-selector", "s2048"]);
    assert_codes("nullmx", &r, &run, &[Code::MxNull, Code::DkimKeyMissing]);
    assert_eq!(run.code, 1);
    let (r, run) = case("nomx", &[]);
    assert!(
        codes(&r).contains(&Code::MxMissing),
        "{:?}\n{}",
        r.findings,
        run.stderr
    );
    let (r, run) = case("badmx", &[]);
    assert!(
        codes(&r).contains(&Code::MxHostUnresolvable),
        "{}",
        run.stderr
    );
    assert_eq!(
        param(&r, Code::MxHostUnresolvable, "mx_host"),
        "nowhere.posture.lab.example"
    );
    assert_eq!(param(&r, Code::MxHostUnresolvable, "detail"), "NXDOMAIN");
    let (r, run) = case("cname", &[]);
    assert!(codes(&r).contains(&Code::MxCname), "{}", run.stderr);
    assert_eq!(
        param(&r, Code::MxCname, "target"),
        "mx1.posture.lab.example"
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn reverse_dns_cases() {
    let (r, run) = case("ptr", &[]);
    let c = codes(&r);
    assert!(
        c.contains(&Code::PtrMissing) && c.contains(&Code::PtrMismatch),
        "{c:?} {}",
        run.stderr
    );
    assert_eq!(param(&r, Code::PtrMissing, "address"), "192.0.2.62");
    assert_eq!(param(&r, Code::PtrMismatch, "address"), "192.0.2.61");
    assert_eq!(
        param(&r, Code::PtrMismatch, "ptr_names"),
        "other.posture.lab.example"
    );
    // --ip without reverse DNS blocks the sender requirements; a confirmed one does not.
    let (r, run) = case("good", &["--dkim-selector", "s2048", "--ip", "192.0.2.62"]);
    assert_codes(
        "good --ip .62",
        &r,
        &run,
        &[
            Code::PtrMissing,
            Code::SpfIpNotAuthorized,
            Code::SenderRequirementsUnmet,
        ],
    );
    // DKIM can still pass, so only the reverse DNS stands in the way.
    assert_eq!(
        param(&r, Code::SenderRequirementsUnmet, "missing"),
        "ptr-missing"
    );
    // The sending address goes by the domain it sends for.
    assert_eq!(
        param(&r, Code::PtrMissing, "mx_host"),
        "good.posture.lab.example"
    );
    let (r, run) = case("good", &["--dkim-selector", "s2048", "--ip", "192.0.2.60"]);
    assert_codes("good --ip .60", &r, &run, &[]);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn dmarc_cases() {
    let (r, run) = case("nodmarc", &["--dkim-selector", "s2048"]);
    assert!(codes(&r).contains(&Code::DmarcMissing), "{}", run.stderr);
    assert!(codes(&r).contains(&Code::SenderRequirementsUnmet));
    // The walk went up to the organisational domain (PSL: lab.example).
    assert_eq!(r.dmarc.org_domain, "lab.example");
    assert_eq!(
        r.dmarc.org_lookup.as_ref().map(|l| l.name.as_str()),
        Some("_dmarc.lab.example")
    );
    let (r, run) = case("twodmarc", &[]);
    assert!(
        codes(&r).contains(&Code::DmarcMultipleRecords),
        "{}",
        run.stderr
    );
    assert_eq!(param(&r, Code::DmarcMultipleRecords, "count"), "2");
    let (r, run) = case("pnone", &[]);
    assert!(codes(&r).contains(&Code::DmarcPolicyNone), "{}", run.stderr);
    // p=none meets the requirements; what is unmet here is SPF or DKIM (there is neither).
    assert_eq!(
        param(&r, Code::SenderRequirementsUnmet, "missing"),
        "spf-missing, dkim-key-missing"
    );
    let (r, run) = case("badsyntax", &[]);
    assert!(codes(&r).contains(&Code::DmarcInvalid), "{}", run.stderr);
    assert!(param(&r, Code::DmarcInvalid, "detail").contains("p=block"));
    let (r, run) = case("ruaext", &[]);
    assert!(
        codes(&r).contains(&Code::DmarcRuaUnauthorized),
        "{}",
        run.stderr
    );
    assert_eq!(
        param(&r, Code::DmarcRuaUnauthorized, "destination"),
        "dmarc-reports.example"
    );
    let (r, run) = case("ruaok", &[]);
    assert!(
        !codes(&r).contains(&Code::DmarcRuaUnauthorized),
        "{:?} {}",
        r.findings,
        run.stderr
    );
    assert_eq!(r.dmarc.report_authorizations.len(), 1);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn dkim_cases() {
    let selectors = ["k1024", "k512", "revoked", "testing", "dsa", "nosuch"];
    let mut extra: Vec<&str> = Vec::new();
    for s in &selectors {
        extra.extend(["--dkim-selector", s]);
    }
    let (r, run) = case("dkim", &extra);
    let weak: Vec<(&str, &str, maildoc_model::Severity)> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::DkimKeyWeak)
        .map(|f| {
            (
                f.params["selector"].as_str(),
                f.params["bits"].as_str(),
                f.severity,
            )
        })
        .collect();
    assert_eq!(
        weak,
        vec![
            ("k1024", "1024", maildoc_model::Severity::Warning),
            ("k512", "512", maildoc_model::Severity::Error)
        ],
        "{}",
        run.stderr
    );
    assert_eq!(param(&r, Code::DkimKeyRevoked, "selector"), "revoked");
    assert_eq!(param(&r, Code::DkimTesting, "selector"), "testing");
    assert_eq!(param(&r, Code::DkimKeyInvalid, "selector"), "dsa");
    assert_eq!(param(&r, Code::DkimKeyMissing, "selectors"), "nosuch");
    // The common selectors were tried too, and said so.
    assert!(r.dkim.iter().any(|k| k.selector == "default" && !k.given));
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn mta_sts_tlsrpt_and_tlsa_cases() {
    let (r, run) = case("stsnohost", &[]);
    assert!(codes(&r).contains(&Code::MtaStsInvalid), "{}", run.stderr);
    assert!(param(&r, Code::MtaStsInvalid, "detail").contains("NXDOMAIN"));
    let (r, run) = case("stsbadid", &[]);
    assert!(
        param(&r, Code::MtaStsInvalid, "detail").contains("id="),
        "{}",
        run.stderr
    );
    // No MTA-STS at all is not a finding; no TLS-RPT is informational only.
    let (r, run) = case("pnone", &[]);
    assert!(!codes(&r).contains(&Code::MtaStsInvalid));
    assert!(codes(&r).contains(&Code::TlsrptMissing), "{}", run.stderr);
    assert!(!codes(&r).contains(&Code::TlsrptInvalid));
    // A bare address in rua= and two records are invalid (a warning), not missing.
    let (r, run) = case("tlsrptbad", &[]);
    assert!(codes(&r).contains(&Code::TlsrptInvalid), "{}", run.stderr);
    assert!(!codes(&r).contains(&Code::TlsrptMissing));
    assert_eq!(
        param(&r, Code::TlsrptInvalid, "record"),
        "v=TLSRPTv1; rua=reports@tlsrptbad.posture.lab.example"
    );
    assert!(
        param(&r, Code::TlsrptInvalid, "detail")
            .contains("\"reports@tlsrptbad.posture.lab.example\" is not a mailto: or https: URI")
    );
    let (r, run) = case("tlsrpttwo", &[]);
    assert!(
        param(&r, Code::TlsrptInvalid, "detail").starts_with("2 records at _smtp._tls.tlsrpttwo"),
        "{}",
        run.stderr
    );
    let (r, run) = case("good", &["--dkim-selector", "s2048"]);
    assert!(
        !codes(&r)
            .iter()
            .any(|c| matches!(c, Code::TlsrptInvalid | Code::TlsrptMissing)),
        "{:?} {}",
        r.findings,
        run.stderr
    );
    let (r, run) = case("tlsa", &[]);
    assert!(codes(&r).contains(&Code::TlsaMismatch), "{}", run.stderr);
    assert!(param(&r, Code::TlsaMismatch, "detail").contains("PKIX"));
    let (r, run) = case("dane", &[]);
    assert!(!codes(&r).contains(&Code::TlsaMismatch), "{}", run.stderr);
    assert!(r.mx_hosts[0].tlsa.is_some());
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn spf_from_maildoc_auth() {
    let (r, run) = case("good", &["--dkim-selector", "s2048"]);
    assert_eq!(r.spf_ok, Some(true), "{}", run.stderr);
    assert!(r.spf.is_some());
    let (r, run) = case("twospf", &["--dkim-selector", "s2048"]);
    assert!(
        codes(&r).contains(&Code::SpfMultipleRecords),
        "{:?} {}",
        r.findings,
        run.stderr
    );
    assert_eq!(r.spf_ok, Some(false));
    // Neither SPF nor DKIM can pass: the requirements name both.
    let (r, run) = case("nodmarc", &[]);
    assert!(codes(&r).contains(&Code::SpfMissing), "{}", run.stderr);
    assert_eq!(
        param(&r, Code::SenderRequirementsUnmet, "missing"),
        "dmarc-missing, spf-missing, dkim-key-missing"
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn mail_from_alignment() {
    let (r, run) = case(
        "good",
        &[
            "--dkim-selector",
            "s2048",
            "--mail-from",
            "bounce@good.posture.lab.example",
        ],
    );
    assert_codes("aligned", &r, &run, &[]);
    let (r, run) = case(
        "good",
        &[
            "--dkim-selector",
            "s2048",
            "--mail-from",
            "bounce@mailer.example",
        ],
    );
    assert_codes("not aligned", &r, &run, &[Code::SenderRequirementsUnmet]);
    assert_eq!(
        param(&r, Code::SenderRequirementsUnmet, "missing"),
        "mail-from-not-aligned"
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn human_and_markdown_in_both_languages() {
    let r = domain_raw("nodmarc.posture.lab.example", &["--lang", "ja"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("DMARC レコードがありません"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("セレクタは DNS から一覧できない"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("SPF に問題があります"), "{}", r.stdout);
    let r = domain_raw(
        "nodmarc.posture.lab.example",
        &["--lang", "en", "--format", "markdown"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("# Domain diagnosis: nodmarc.posture.lab.example"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("has no DMARC record"), "{}", r.stdout);
    assert!(
        r.stdout.contains("cannot be listed from DNS"),
        "{}",
        r.stdout
    );
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn usage_errors_exit_3() {
    let r = domain_raw("localhost", &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let r = domain_raw("good.posture.lab.example", &["--ip", "not-an-ip"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
}

#[test]
fn a_failing_dns_server_claims_nothing_is_missing_but_says_so() {
    let server = dns(DnsBehaviour::ServFail).to_string();
    let r = run(
        BIN,
        &[
            "domain",
            "good.posture.lab.example",
            "--dns-server",
            &server,
            "--format",
            "json",
            "--timeout",
            "5",
            "--dnsbl-zone",
            "bl.dnsbl.lab.example",
        ]
        .map(String::from),
        None,
    );
    let report: DomainReport = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    let c = codes(&report);
    assert_eq!(c, vec![Code::DomainLookupFailed], "{:?}", report.findings);
    assert_eq!(r.code, 1);
}

/// The policies are served over HTTPS by the lab's MTA-STS server (127.0.2.43) with a
/// certificate from the lab's CA.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_domain_whose_name_loops_is_one_failed_lookup() {
    // loop.lab.example: a CNAME to loop2.lab.example, which is a CNAME back.
    let r = domain_raw("loop.lab.example", &["--format", "json"]);
    let report: DomainReport = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(codes(&report), [Code::DomainLookupFailed], "{}", r.stdout);
    assert!(param(&report, Code::DomainLookupFailed, "detail").contains("loop"));
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn mta_sts_policies_over_https() {
    let (r, run) = case("stsok", &[]);
    assert!(
        !codes(&r)
            .iter()
            .any(|c| matches!(c, Code::MtaStsInvalid | Code::MtaStsMismatch)),
        "{:?}\n{}",
        r.findings,
        run.stderr
    );
    assert!(r.mta_sts.policy.as_ref().is_some_and(|p| p.fetched));
    assert_eq!(
        r.mta_sts.policy.and_then(|p| p.content_type).as_deref(),
        Some("text/plain")
    );
    let (r, run) = case("stshtml", &[]);
    assert!(
        param(&r, Code::MtaStsInvalid, "detail").contains("served as text/html"),
        "{:?}\n{}",
        r.findings,
        run.stderr
    );
    assert!(!codes(&r).contains(&Code::MtaStsMismatch));
    let (r, run) = case("stsmismatch", &[]);
    assert!(codes(&r).contains(&Code::MtaStsMismatch), "{}", run.stderr);
    assert_eq!(
        param(&r, Code::MtaStsMismatch, "mx_host"),
        "mx1.posture.lab.example"
    );
    assert_eq!(
        param(&r, Code::MtaStsMismatch, "patterns"),
        "*.elsewhere.example"
    );
    let (r, run) = case("stsbadpolicy", &[]);
    assert!(
        param(&r, Code::MtaStsInvalid, "detail").contains("mode"),
        "{}",
        run.stderr
    );
    // Without the lab's CA the certificate does not verify, and the policy is not used.
    let lab = Lab::get();
    let run = maildoc_testkit::lab::run(
        BIN,
        &[
            "domain",
            "stsok.posture.lab.example",
            "--dns-server",
            &lab.dns(),
            "--format",
            "json",
            "--timeout",
            "10",
            "--dnsbl-zone",
            "bl.dnsbl.lab.example",
        ]
        .map(String::from),
        None,
    );
    let r: DomainReport =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    assert!(
        param(&r, Code::MtaStsInvalid, "detail").contains("certificate"),
        "{:?}",
        r.findings
    );
}

#[test]
fn a_silent_dns_server_is_bounded_by_the_timeout() {
    let server = dns(DnsBehaviour::Silent).to_string();
    let r = run(
        BIN,
        &[
            "domain",
            "good.posture.lab.example",
            "--dns-server",
            &server,
            "--format",
            "json",
            "--timeout",
            "3",
            "--dnsbl-zone",
            "bl.dnsbl.lab.example",
        ]
        .map(String::from),
        None,
    );
    assert!(r.elapsed.as_secs_f64() < 6.0, "took {:?}", r.elapsed);
    let report: DomainReport = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    assert_eq!(
        codes(&report),
        vec![Code::DomainLookupFailed],
        "{:?}",
        report.findings
    );
    assert_eq!(report.spf_ok, None);
}

/// DNS blocklists served by the lab's NSD (`lab/templates/dnsbl.lab.example.zone.in`):
/// bl.dnsbl.lab.example lists 192.0.2.64 only, refused.dnsbl.lab.example answers every query
/// with Spamhaus's "public resolver" code. A listing, a refusal and "not listed" are told
/// apart; the real lists are never asked.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn dnsbl_listing_refusal_and_not_listed() {
    let (r, run) = case(
        "dnsbl",
        &[
            "--dnsbl-zone",
            "bl.dnsbl.lab.example",
            "--dnsbl-zone",
            "refused.dnsbl.lab.example.",
            "--ip",
            "192.0.2.60",
        ],
    );
    let c = codes(&r);
    assert!(
        c.contains(&Code::DnsblListed) && c.contains(&Code::DnsblQueryRefused),
        "{:?}\n{}",
        r.findings,
        run.stderr
    );
    assert!(!c.contains(&Code::DomainLookupFailed), "{:?}", r.findings);
    let listed: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::DnsblListed)
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].params["address"], "192.0.2.64");
    assert_eq!(listed[0].params["mx_host"], "mx-listed.posture.lab.example");
    assert_eq!(listed[0].params["zone"], "bl.dnsbl.lab.example");
    assert_eq!(listed[0].params["answer"], "127.0.0.2");
    assert!(listed[0].params["reason"].contains("192.0.2.64 is listed"));
    assert_eq!(
        param(&r, Code::DnsblQueryRefused, "zone"),
        "refused.dnsbl.lab.example"
    );
    assert_eq!(
        param(&r, Code::DnsblQueryRefused, "answer"),
        "127.255.255.254"
    );
    assert_eq!(
        param(&r, Code::DnsblQueryRefused, "addresses"),
        "192.0.2.60, 192.0.2.64"
    );
    // Each address once per zone (192.0.2.60 is both --ip and mx1), IPv4 reversed.
    assert_eq!(r.dnsbl.len(), 4, "{:?}", r.dnsbl);
    assert!(
        r.dnsbl
            .iter()
            .any(|d| d.query.name == "60.2.0.192.bl.dnsbl.lab.example" && d.query.is_absent())
    );
    assert_eq!(run.code, 1);
    // Both languages on screen.
    for (lang, word) in [("ja", "ブロックリスト"), ("en", "blocklist")] {
        let run = domain_raw(
            "dnsbl.posture.lab.example",
            &["--lang", lang, "--dnsbl-zone", "bl.dnsbl.lab.example"],
        );
        assert!(run.stdout.contains(word), "{lang}: {}", run.stdout);
        assert!(
            run.stdout.contains("dnsbl-listed"),
            "{lang}: {}",
            run.stdout
        );
    }
    // A clean address on the lab's list alone: nothing about blocklists.
    let (r, _) = case("good", &["--dkim-selector", "s2048"]);
    assert!(r.dnsbl.iter().all(|d| d.query.is_absent()), "{:?}", r.dnsbl);
}

/// `--smtp` against the lab's loopback Postfix only (the cases' MX hosts are lab.example
/// names on 127.0.2.x): STARTTLS with a valid certificate, no STARTTLS, an expired
/// certificate, and a closed port 25 (inconclusive, not a failure).
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn smtp_starttls_and_certificate_of_the_mx() {
    let smtp_codes = |r: &DomainReport| -> Vec<Code> {
        codes(r)
            .into_iter()
            .filter(|c| {
                matches!(
                    c,
                    Code::MxStarttlsMissing | Code::MxCertInvalid | Code::MxSmtpInconclusive
                )
            })
            .collect()
    };
    let (r, run) = case("smtpok", &["--smtp"]);
    assert_eq!(smtp_codes(&r), vec![], "{:?}\n{}", r.findings, run.stderr);
    assert_eq!(r.smtp.len(), 1);
    assert_eq!(r.smtp[0].endpoint.host, "mail.lab.example");
    assert_eq!(r.smtp[0].endpoint.port, 25);
    // No login and no envelope on another party's server.
    assert!(
        r.smtp[0].steps.iter().all(|s| !matches!(
            s.kind,
            maildoc_model::StepKind::Command { .. }
                | maildoc_model::StepKind::Login(_)
                | maildoc_model::StepKind::LoginSkipped { .. }
        )),
        "{:?}",
        r.smtp[0].steps
    );
    let (r, _) = case("smtpnotls", &["--smtp"]);
    assert_eq!(smtp_codes(&r), vec![Code::MxStarttlsMissing]);
    assert_eq!(
        param(&r, Code::MxStarttlsMissing, "mx_host"),
        "nostarttls.lab.example"
    );
    let (r, _) = case("smtpbadcert", &["--smtp"]);
    assert_eq!(smtp_codes(&r), vec![Code::MxCertInvalid]);
    assert_eq!(param(&r, Code::MxCertInvalid, "verification"), "Expired");
    let (r, _) = case("smtpclosed", &["--smtp"]);
    assert_eq!(smtp_codes(&r), vec![Code::MxSmtpInconclusive]);
    assert!(
        r.findings
            .iter()
            .filter(|f| f.code == Code::MxSmtpInconclusive)
            .all(|f| f.severity == maildoc_model::Severity::Info)
    );
    // Without --smtp nothing is contacted.
    let (r, _) = case("smtpok", &[]);
    assert!(r.smtp.is_empty());
    // Both languages on screen.
    for (lang, word) in [("ja", "STARTTLS あり"), ("en", "STARTTLS offered")] {
        let run = domain_raw("smtpok.posture.lab.example", &["--lang", lang, "--smtp"]);
        assert!(run.stdout.contains(word), "{lang}: {}", run.stdout);
    }
}

/// `--smtp` with DANE: the TLSA records of MX hosts that are names of the lab's Postfix on
/// 127.0.2.10, computed by lab.sh from the certificates of this start. A DANE-EE record of the
/// leaf's key and a DANE-TA record of the intermediate match; another CA's key and the root
/// (which the server does not send) do not.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn dane_tlsa_compared_with_the_certificate_on_port_25() {
    for case_name in ["daneee", "daneta"] {
        let (r, run) = case(case_name, &["--smtp"]);
        let c = codes(&r);
        assert!(
            !c.contains(&Code::TlsaMismatch) && !c.contains(&Code::MxCertInvalid),
            "{case_name}: {:?}\n{}",
            r.findings,
            run.stderr
        );
        assert_eq!(
            r.mx_hosts[0].tlsa.as_ref().map(|t| t.records.len()),
            Some(1)
        );
        assert_eq!(r.smtp.len(), 1, "{case_name}");
    }
    let (r, run) = case("danebad", &["--smtp"]);
    let detail = param(&r, Code::TlsaMismatch, "detail");
    assert!(
        detail.contains("none of the 2 TLSA records"),
        "{detail}\n{}",
        run.stderr
    );
    assert_eq!(
        param(&r, Code::TlsaMismatch, "mx_host"),
        "mx-danebad.posture.lab.example"
    );
    // The record it names is the leaf key's: the one daneee publishes.
    let (ok, _) = case("daneee", &[]);
    let published = ok.mx_hosts[0].tlsa.as_ref().map(|t| t.records[0].clone());
    assert!(
        published.is_some_and(|p| detail.contains(&p)),
        "{detail} vs {:?}",
        ok.mx_hosts[0].tlsa
    );
    assert!(
        !codes(&r).contains(&Code::MxCertInvalid),
        "{:?}",
        r.findings
    );
    // Without --smtp the well-formed records are not judged.
    let (r, _) = case("danebad", &[]);
    assert!(!codes(&r).contains(&Code::TlsaMismatch), "{:?}", r.findings);
    // Both languages on screen.
    for (lang, word) in [("ja", "DANE で使えません"), ("en", "do not work for DANE")] {
        let run = domain_raw("danebad.posture.lab.example", &["--lang", lang, "--smtp"]);
        assert!(run.stdout.contains(word), "{lang}: {}", run.stdout);
    }
}

/// An IPv6 `--ip` is asked of the lab's list by its nibble-reversed name (RFC 5782 §2.4); the
/// list lists 2001:db8::64 and nothing else of IPv6.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn dnsbl_ipv6_addresses_by_nibbles() {
    let (r, run) = case("dnsbl", &["--ip", "2001:db8::64"]);
    let v6: Vec<_> = r
        .dnsbl
        .iter()
        .filter(|d| d.address == "2001:db8::64")
        .collect();
    assert_eq!(v6.len(), 1, "{:?}\n{}", r.dnsbl, run.stderr);
    assert_eq!(v6[0].source, AddressOf::SendingIp);
    assert_eq!(
        v6[0].query.name,
        "4.6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.dnsbl.lab.example"
    );
    let listed: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::DnsblListed)
        .map(|f| (f.params["address"].as_str(), f.params["mx_host"].as_str()))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("2001:db8::64", "dnsbl.posture.lab.example"),
            ("192.0.2.64", "mx-listed.posture.lab.example")
        ],
        "{:?}",
        r.findings
    );
    let (r, _) = case("dnsbl", &["--ip", "2001:db8::65"]);
    assert!(
        r.dnsbl
            .iter()
            .any(|d| d.address == "2001:db8::65" && d.query.is_absent()),
        "{:?}",
        r.dnsbl
    );
}

/// MX record sanity: one host named at two preferences, an IP address where a host name
/// belongs, and a host on an address the internet cannot reach.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn mx_duplicate_host_ip_literal_and_private_address() {
    let (r, run) = case("mxdup", &[]);
    assert_eq!(
        param(&r, Code::MxDuplicateHost, "mx_host"),
        "mx1.posture.lab.example",
        "{}",
        run.stderr
    );
    assert_eq!(param(&r, Code::MxDuplicateHost, "preferences"), "10, 20");
    let (r, run) = case("mxip", &[]);
    assert_eq!(
        param(&r, Code::MxIpLiteral, "mx_host"),
        "192.0.2.60",
        "{:?}\n{}",
        r.findings,
        run.stderr
    );
    assert!(
        !codes(&r).contains(&Code::MxHostUnresolvable),
        "{:?}",
        r.findings
    );
    assert_eq!(run.code, 1);
    let (r, run) = case("mxprivate", &[]);
    let private: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::MxPrivateAddress)
        .map(|f| {
            (
                f.params["mx_host"].as_str(),
                f.params["addresses"].as_str(),
                f.severity,
            )
        })
        .collect();
    assert_eq!(
        private,
        vec![(
            "mx-private.posture.lab.example",
            "10.0.0.25",
            maildoc_model::Severity::Warning
        )],
        "{}",
        run.stderr
    );
    // The --smtp cases' only MX host is the lab's loopback Postfix: nothing else to go to.
    let (r, _) = case("smtpok", &[]);
    assert_eq!(param(&r, Code::MxPrivateAddress, "addresses"), "127.0.2.10");
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == Code::MxPrivateAddress
                && f.severity == maildoc_model::Severity::Error)
    );
}

/// DNSSEC, checked from the parent's DS to the signature over the zone's keys, against four
/// zones the lab signs with ldns-signzone at each start (lab.sh sign_dnssec_zones).
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn dnssec_chains_of_the_domain_and_its_mx_zones() {
    let status = |d: &Option<DnssecEvidence>| d.as_ref().map(|d| d.status);
    let (r, run) = case("signed", &[]);
    assert_eq!(
        status(&r.dnssec),
        Some(DnssecStatus::Secure),
        "{}",
        run.stderr
    );
    assert_eq!(r.dnssec.as_ref().map(|d| d.ds.records.len()), Some(1));
    let dnssec_codes = |r: &DomainReport| -> Vec<Code> {
        codes(r)
            .into_iter()
            .filter(|c| matches!(c, Code::DnssecBogus | Code::DnssecDsMissing))
            .collect()
    };
    assert_eq!(dnssec_codes(&r), Vec::<Code>::new());
    // Said in words on the screen, in both languages.
    for (lang, words) in [
        ("en", "is protected by DNSSEC"),
        ("ja", "DNSSEC で守られています"),
    ] {
        let run = domain_raw("signed.posture.lab.example", &["--lang", lang]);
        assert!(run.stdout.contains(words), "{lang}:\n{}", run.stdout);
    }

    let (r, run) = case("island", &[]);
    assert_eq!(
        status(&r.dnssec),
        Some(DnssecStatus::KeysWithoutDs),
        "{}",
        run.stderr
    );
    assert_eq!(dnssec_codes(&r), vec![Code::DnssecDsMissing]);
    assert_eq!(
        param(&r, Code::DnssecDsMissing, "dns_zone"),
        "island.posture.lab.example"
    );

    let (r, _) = case("bogus", &[]);
    assert_eq!(status(&r.dnssec), Some(DnssecStatus::Bogus));
    assert!(param(&r, Code::DnssecBogus, "detail").contains("matches the parent's DS"));
    assert_eq!(
        param(&r, Code::DnssecBogus, "whose"),
        "bogus.posture.lab.example"
    );
    // The MX host lives in the same zone: one finding, not two.
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.code == Code::DnssecBogus)
            .count(),
        1
    );

    // Below the top of a signed zone, the name's own MX records must carry a good signature.
    let (r, _) = case("mail.signed", &[]);
    assert_eq!(status(&r.dnssec), Some(DnssecStatus::Secure));
    assert_eq!(
        r.dnssec.as_ref().map(|d| d.zone.as_str()),
        Some("signed.posture.lab.example")
    );
    let (r, _) = case("tampered.signed", &[]);
    assert_eq!(status(&r.dnssec), Some(DnssecStatus::Bogus));
    assert!(
        param(&r, Code::DnssecBogus, "detail")
            .contains("MX records of tampered.signed.posture.lab.example")
    );

    // A name without MX: its TXT records' signature is checked instead.
    let (r, _) = case("txtonly.signed", &[]);
    assert_eq!(status(&r.dnssec), Some(DnssecStatus::Secure));
    let (r, _) = case("tamperedtxt.signed", &[]);
    assert!(
        param(&r, Code::DnssecBogus, "detail")
            .contains("TXT records of tamperedtxt.signed.posture.lab.example")
    );

    let (r, _) = case("expired", &[]);
    assert_eq!(status(&r.dnssec), Some(DnssecStatus::Bogus));
    assert!(param(&r, Code::DnssecBogus, "detail").contains("validity period"));

    // An unsigned domain whose MX host is in the broken zone.
    let (r, _) = case("mxbogus", &[]);
    assert_eq!(status(&r.dnssec), Some(DnssecStatus::Unsigned));
    assert_eq!(
        r.mx_dnssec
            .iter()
            .map(|d| (d.zone.as_str(), d.status))
            .collect::<Vec<_>>(),
        vec![("bogus.posture.lab.example", DnssecStatus::Bogus)]
    );
    assert_eq!(
        param(&r, Code::DnssecBogus, "whose"),
        "mx1.bogus.posture.lab.example"
    );
    // A posture case without DNSSEC: unsigned, no finding.
    let (r, _) = case("stsok", &[]);
    assert_eq!(status(&r.dnssec), Some(DnssecStatus::Unsigned));
    assert_eq!(dnssec_codes(&r), Vec::<Code>::new());
}

/// A DMARC report destination whose domain takes no mail: one that does not exist (rua) and
/// one with a null MX (ruf). Destinations with an MX (good, ruaok) raise nothing.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn dmarc_report_destinations_that_take_no_mail() {
    let (r, run) = case("ruadead", &[]);
    let mut dead: Vec<(&str, &str)> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::DmarcReportUndeliverable)
        .map(|f| {
            (
                f.params["destination"].as_str(),
                f.params["detail"].as_str(),
            )
        })
        .collect();
    dead.sort();
    assert_eq!(dead.len(), 2, "{:?}\n{}", r.findings, run.stderr);
    assert_eq!(dead[0].0, "nowhere.posture.lab.example");
    assert!(dead[0].1.contains("NXDOMAIN"));
    assert_eq!(dead[1].0, "nullmx.posture.lab.example");
    assert!(dead[1].1.contains("null MX"));
    for fine in ["good", "ruaok"] {
        let (r, _) = case(fine, &[]);
        assert!(
            !codes(&r).contains(&Code::DmarcReportUndeliverable),
            "{fine}"
        );
    }
}

/// BIMI against the lab's HTTPS server: a logo in the SVG Tiny PS profile with a mark
/// certificate that names the domain and holds the same logo (bimiok); a logo outside the
/// profile, DMARC at p=none and a certificate URL that answers 404 (bimibad).
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn bimi_logo_and_mark_certificate_over_https() {
    let (r, run) = case("bimiok", &[]);
    assert!(
        !codes(&r).contains(&Code::BimiInvalid),
        "{:?}\n{}",
        r.findings,
        run.stderr
    );
    let assets = r.bimi_assets.clone().unwrap_or_default();
    let logo = assets.logo.unwrap_or_else(|| panic!("no logo: {r:?}"));
    assert!(logo.fetched && logo.svg.is_some(), "{logo:?}");
    assert_eq!(logo.content_type.as_deref(), Some("image/svg+xml"));
    let cert = assets
        .certificate
        .unwrap_or_else(|| panic!("no certificate: {r:?}"));
    assert!(cert.logotype, "{cert:?}");
    assert!(cert.issuer_verified, "{}", cert.issuer_detail);
    assert_eq!(cert.mark_type.as_deref(), Some("Registered Mark"));
    assert!(
        cert.subject_fields
            .iter()
            .any(|f| f == "trademarkIdentifier")
    );
    assert_eq!(cert.logo_sha256.as_deref(), Some(logo.sha256.as_str()));
    assert_eq!(
        cert.leaf.map(|l| l.names),
        Some(vec!["bimiok.posture.lab.example".to_string()])
    );

    let (r, _) = case("bimibad", &[]);
    let detail = param(&r, Code::BimiInvalid, "detail");
    for words in [
        "p=none",
        "version=1.1",
        "baseProfile=(none)",
        "no <title>",
        "x= or y=",
        "HTTP status 404",
    ] {
        assert!(detail.contains(words), "{words}: {detail}");
    }
    // The same certificate from a CA that is no Mark Verifying Authority (nor in --ca-file).
    let (r, _) = case("bimiuntrusted", &[]);
    let detail = param(&r, Code::BimiInvalid, "detail");
    assert!(detail.contains("no Mark Verifying Authority"), "{detail}");
    assert!(
        !detail.contains("expired") && !detail.contains("differs"),
        "{detail}"
    );
    // good.posture.lab.example: a profile logo without a certificate is fine.
    let (r, _) = case("good", &[]);
    assert!(!codes(&r).contains(&Code::BimiInvalid), "{:?}", r.findings);
}

/// `--approved-mx`: an MX host outside the approved hosts and domains is reported.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn mx_hosts_outside_approved_mx() {
    let (r, run) = case("good", &["--approved-mx", "posture.lab.example"]);
    assert!(!codes(&r).contains(&Code::MxNotApproved), "{}", run.stderr);
    assert_eq!(r.approved_mx, vec!["posture.lab.example"]);
    let (r, _) = case(
        "good",
        &[
            "--approved-mx",
            "MX.Provider.Example.",
            "--approved-mx",
            "x.posture.lab.example",
        ],
    );
    assert_eq!(
        param(&r, Code::MxNotApproved, "mx_host"),
        "mx1.posture.lab.example"
    );
    assert_eq!(
        param(&r, Code::MxNotApproved, "approved"),
        "mx.provider.example, x.posture.lab.example"
    );
}

/// `--parked`, `--approved-ns` and `--bimi-selector`.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn parked_domains_approved_name_servers_and_the_bimi_selector() {
    let parked = |r: &DomainReport| codes(r).contains(&Code::ParkedDomainOpen);
    let (r, run) = case("parked", &["--parked"]);
    assert!(!parked(&r), "{:?}\n{}", r.findings, run.stderr);
    assert!(r.parked);
    let (r, _) = case("good", &["--parked"]);
    assert!(param(&r, Code::ParkedDomainOpen, "detail").contains("MX records name"));
    let (r, _) = case("good", &[]);
    assert!(!parked(&r));

    let (r, _) = case("good", &["--approved-ns", "lab.example"]);
    assert!(
        !codes(&r).contains(&Code::NsNotApproved),
        "{:?}",
        r.findings
    );
    let (r, _) = case("good", &["--approved-ns", "dns.example"]);
    assert_eq!(param(&r, Code::NsNotApproved, "ns_host"), "ns.lab.example");

    let (r, _) = case("good", &["--bimi-selector", "Brand"]);
    assert_eq!(
        r.bimi.map(|b| b.name),
        Some("brand._bimi.good.posture.lab.example".to_string())
    );
}
