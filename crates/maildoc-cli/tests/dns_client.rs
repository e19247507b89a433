//! maildoc's own DNS client end to end: an answer too large for UDP is asked again over TCP
//! (the lab's NSD, bigtxt.lab.example), forged answers (another ID, another question) from
//! an in-process server on loopback are not taken for the answer, and the zone of a domain
//! is found by its SOA for the NS and DNSKEY lookups.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_model::Code;
use maildoc_model::domain::DomainReport;
use maildoc_testkit::hostile::{DnsBehaviour, dns};
use maildoc_testkit::lab::{Lab, run};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// `maildoc domain NAME` against `dns_server`, never the built-in blocklists.
fn domain_run(name: &str, dns_server: &str, extra: &[&str]) -> maildoc_testkit::lab::Run {
    let mut args: Vec<String> = [
        "domain",
        name,
        "--dns-server",
        dns_server,
        "--dnsbl-zone",
        "bl.dnsbl.lab.example",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend(extra.iter().map(|a| a.to_string()));
    run(BIN, &args, None)
}

fn domain(
    name: &str,
    dns_server: &str,
    timeout: &str,
) -> (DomainReport, maildoc_testkit::lab::Run) {
    let r = domain_run(
        name,
        dns_server,
        &["--timeout", timeout, "--format", "json"],
    );
    let report = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not a domain report ({e}):\n{}\n{}", r.stdout, r.stderr));
    (report, r)
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn an_answer_too_large_for_udp_comes_over_tcp() {
    let lab = Lab::get();
    let (r, run) = domain("bigtxt.lab.example", &lab.dns(), "10");
    let codes: Vec<Code> = r.findings.iter().map(|f| f.code).collect();
    assert!(
        !codes.contains(&Code::SpfMissing),
        "{codes:?}\n{}",
        run.stderr
    );
    assert!(!codes.contains(&Code::DomainLookupFailed), "{codes:?}");
    let spf = r.spf.as_ref().unwrap();
    assert_eq!(spf.records, ["v=spf1 ip4:192.0.2.25 -all"], "{spf:?}");
}

#[test]
fn forged_answers_are_not_taken_for_the_answer() {
    let server = dns(DnsBehaviour::Forged).to_string();
    let (r, run) = domain("forged.hostile.test", &server, "4");
    let codes: Vec<Code> = r.findings.iter().map(|f| f.code).collect();
    // Taken as answers, they would read as "no MX, no SPF, no DMARC".
    for wrong in [Code::MxMissing, Code::SpfMissing, Code::DmarcMissing] {
        assert!(!codes.contains(&wrong), "{codes:?}");
    }
    assert!(codes.contains(&Code::DomainLookupFailed), "{codes:?}");
    assert!(
        r.mx.detail.contains("another question"),
        "{:?}",
        r.mx.detail
    );
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
}

/// NS and DNSKEY are asked at the top of the domain's zone (found from the SOA in the
/// answer's authority section), BIMI at default._bimi.<domain>.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn zone_name_servers_dnssec_keys_and_bimi() {
    let lab = Lab::get();
    let (r, run) = domain("good.posture.lab.example", &lab.dns(), "10");
    let ns = r.ns.as_ref().unwrap();
    assert_eq!(ns.name, "posture.lab.example", "{}", run.stderr);
    assert_eq!(ns.records, vec!["ns.lab.example"]);
    let keys = r.dnskey.as_ref().unwrap();
    assert_eq!(keys.name, "posture.lab.example");
    assert!(keys.records.is_empty());
    assert_eq!(
        r.bimi.as_ref().unwrap().records,
        vec!["v=BIMI1; l=https://bimi.posture.lab.example/ok.svg"]
    );
    // A zone with a DNSKEY at its top (the domain is the top itself).
    let (r, _) = domain("dmarc-reports.example", &lab.dns(), "10");
    let keys = r.dnskey.as_ref().unwrap();
    assert_eq!(keys.name, "dmarc-reports.example");
    assert_eq!(keys.records, vec!["257 3 13"]);
    let text = run_text("dmarc-reports.example", &lab.dns(), "en");
    assert!(
        text.contains(
            "dmarc-reports.example has DNSKEY records, but with no DS at the parent DNSSEC is \
             not in force (DNSKEY: 257 3 13)"
        ),
        "{text}"
    );
    let text = run_text("good.posture.lab.example", &lab.dns(), "ja");
    assert!(
        text.contains("posture.lab.example は DNSSEC で署名されていません"),
        "{text}"
    );
}

fn run_text(name: &str, dns_server: &str, lang: &str) -> String {
    domain_run(name, dns_server, &["--lang", lang]).stdout
}

/// A query lost once (a lossy network) is sent again after a moment and answered: the
/// lookup's answer (here NXDOMAIN) counts, nothing reads as a failed lookup.
#[test]
fn a_lost_query_is_sent_again() {
    let server = dns(DnsBehaviour::LosesFirst).to_string();
    let (r, run) = domain("lossy.hostile.test", &server, "10");
    let codes: Vec<Code> = r.findings.iter().map(|f| f.code).collect();
    assert!(
        !codes.contains(&Code::DomainLookupFailed),
        "{codes:?}\n{}",
        run.stderr
    );
    assert!(codes.contains(&Code::MxMissing), "{codes:?}");
    assert_eq!(r.mx.outcome, maildoc_model::ResolveOutcome::NotFound);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
}
