//! `maildoc_engine::domain` as a library: [`check`] and [`check_many`] against the lab's NSD
//! (`lab/lab.sh start`; zone `lab/templates/posture.lab.example.zone.in`) and against
//! in-process DNS servers that misbehave, with no binary in between.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use futures_util::StreamExt;
use maildoc_engine::domain::{DomainName, LineDone, Options, check, check_lines, check_many};
use maildoc_engine::{Clock, DomainPart, Env, Event};
use maildoc_model::Code;
use maildoc_model::ResolveOutcome;
use maildoc_model::domain::DomainReport;
use maildoc_testkit::hostile::{DnsBehaviour, dns};
use maildoc_testkit::lab::Lab;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The lab's resolver and CA, and its own blocklist (never the real ones).
fn lab() -> (Env, Options) {
    let lab = Lab::get();
    let server: SocketAddr = lab.dns().parse().expect("lab DNS address");
    let ca = std::fs::read(lab.ca()).expect("lab CA");
    let env = Env::new(Some(server), Some(&ca)).expect("env");
    let opts = Options {
        dnsbl_zones: vec!["bl.dnsbl.lab.example".into()],
        timeout: Duration::from_secs(10),
        ..Options::default()
    };
    (env, opts)
}

/// A server on loopback that misbehaves as `behaviour` says, with a deadline of `timeout`.
fn hostile(behaviour: DnsBehaviour, timeout: Duration) -> (Env, Options) {
    let env = Env::new(Some(dns(behaviour)), None).expect("env");
    let opts = Options {
        dnsbl_zones: vec!["bl.dnsbl.lab.example".into()],
        timeout,
        ..Options::default()
    };
    (env, opts)
}

fn name(domain: &str) -> DomainName {
    DomainName::parse(domain).expect("a domain name")
}

fn codes(r: &DomainReport) -> Vec<Code> {
    let mut v: Vec<Code> = r.findings.iter().map(|f| f.code).collect();
    v.sort();
    v.dedup();
    v
}

#[tokio::test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
async fn a_healthy_domain_has_nothing_to_fix() {
    let (env, opts) = lab();
    let opts = Options {
        dkim_selectors: vec![" S2048 ".into()],
        approved_mx: vec!["MX1.posture.lab.example.".into()],
        ..opts
    };
    let env = env.with_clock(Clock::Fixed(1_800_000_000));
    let mut told = Vec::new();
    let r = check(&env, &name("Good.Posture.Lab.Example."), &opts, |e| {
        told.push(e)
    })
    .await;
    assert_eq!(r.domain, "good.posture.lab.example");
    assert_eq!(r.started_at_unix, 1_800_000_000, "dated by the Env's clock");
    let mut parts: Vec<DomainPart> = told
        .iter()
        .map(|e| match e {
            Event::DomainPart { domain, part, .. } => {
                assert_eq!(domain, "good.posture.lab.example");
                *part
            }
            other => panic!("not a domain event: {other:?}"),
        })
        .collect();
    parts.sort_by_key(|p| format!("{p:?}"));
    parts.dedup();
    assert_eq!(parts.len(), 10, "every part told once: {told:?}");
    assert_eq!(told.len(), 10, "{told:?}");
    assert_eq!(codes(&r), vec![], "{:#?}", r.findings);
    assert!(!r.has_problems());
    assert_eq!(r.dns_server.as_deref(), Some(Lab::get().dns().as_str()));
    assert_eq!(r.approved_mx, vec!["mx1.posture.lab.example"]);
    let host = &r.mx_hosts[0];
    assert_eq!(host.exchange, "mx1.posture.lab.example");
    assert_eq!(host.addresses.records, vec!["192.0.2.60"]);
    assert_eq!(host.reverse[0].confirmed, vec!["mx1.posture.lab.example"]);
    assert!(r.dkim.iter().any(|k| k.selector == "s2048" && k.given));
    assert_eq!(r.spf_ok, Some(true));
    assert!(!r.dnsbl.is_empty(), "the lab's blocklist was asked");
    assert!(r.dnsbl.iter().all(|c| c.zone == "bl.dnsbl.lab.example"));
}

#[tokio::test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
async fn a_domain_without_mx_is_told_so() {
    let (env, opts) = lab();
    let r = check(&env, &name("nomx.posture.lab.example"), &opts, |_| {}).await;
    assert!(codes(&r).contains(&Code::MxMissing), "{:#?}", r.findings);
    assert!(r.has_problems());
    assert!(r.mx.is_absent(), "{:?}", r.mx);
    assert!(r.mx_hosts.is_empty());
}

#[tokio::test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
async fn many_domains_each_once_with_what_the_caller_knows_them_by() {
    let (env, opts) = lab();
    let inputs = [
        "good.posture.lab.example",
        "not a domain",
        "nomx.posture.lab.example",
        "nullmx.posture.lab.example",
    ];
    let stream =
        futures_util::stream::iter(inputs.iter().enumerate().map(|(i, s)| (i, s.to_string())));
    let heard = std::sync::Mutex::new(Vec::new());
    let mut done: Vec<(usize, Result<DomainReport, maildoc_engine::Error>)> =
        check_many(&env, stream, &opts, 2, |i, e| {
            if let Event::DomainPart { part, .. } = e {
                heard.lock().unwrap().push((*i, part));
            }
        })
        .collect()
        .await;
    done.sort_by_key(|(i, _)| *i);
    // Each domain's parts are heard with its key; the line that is no domain has none.
    let heard = heard.into_inner().unwrap();
    for i in [0, 2, 3] {
        assert!(heard.contains(&(i, DomainPart::Mx)), "{i}: {heard:?}");
        assert!(heard.contains(&(i, DomainPart::Dmarc)), "{i}: {heard:?}");
    }
    assert!(!heard.iter().any(|(i, _)| *i == 1), "{heard:?}");
    assert_eq!(done.len(), inputs.len());
    let report = |i: usize| done[i].1.as_ref().unwrap_or_else(|e| panic!("{i}: {e}"));
    assert_eq!(report(0).domain, "good.posture.lab.example");
    assert!(
        done[1]
            .1
            .as_ref()
            .is_err_and(|e| e.to_string().contains("space"))
    );
    assert!(codes(report(2)).contains(&Code::MxMissing));
    assert!(codes(report(3)).contains(&Code::MxNull));
}

#[tokio::test]
async fn a_silent_dns_server_ends_by_the_deadline() {
    let timeout = Duration::from_secs(2);
    let (env, opts) = hostile(DnsBehaviour::Silent, timeout);
    let started = Instant::now();
    let r = check(&env, &name("good.posture.lab.example"), &opts, |_| {}).await;
    let took = started.elapsed();
    assert!(took < timeout + Duration::from_secs(2), "took {took:?}");
    assert_eq!(
        codes(&r),
        vec![Code::DomainLookupFailed],
        "{:#?}",
        r.findings
    );
    assert_eq!(r.mx.outcome, ResolveOutcome::Timeout);
    assert_eq!(r.spf_ok, None);
}

#[tokio::test]
async fn a_failing_dns_server_claims_nothing_is_missing() {
    let (env, opts) = hostile(DnsBehaviour::ServFail, Duration::from_secs(5));
    let r = check(&env, &name("good.posture.lab.example"), &opts, |_| {}).await;
    assert_eq!(
        codes(&r),
        vec![Code::DomainLookupFailed],
        "{:#?}",
        r.findings
    );
    assert_eq!(r.mx.outcome, ResolveOutcome::ServerFailure);
}

#[tokio::test]
async fn a_domain_whose_names_loop_is_one_failed_lookup_not_missing_records() {
    let (env, opts) = hostile(DnsBehaviour::CnameLoop, Duration::from_secs(5));
    let r = check(&env, &name("loop.example.jp"), &opts, |_| {}).await;
    assert_eq!(
        codes(&r),
        vec![Code::DomainLookupFailed],
        "{:#?}",
        r.findings
    );
    assert!(r.findings[0].params["detail"].contains("loop"));
}

#[tokio::test]
async fn forged_answers_are_not_taken() {
    let (env, opts) = hostile(DnsBehaviour::Forged, Duration::from_secs(2));
    let r = check(&env, &name("good.posture.lab.example"), &opts, |_| {}).await;
    assert!(r.mx.is_inconclusive(), "{:?}", r.mx);
    assert_eq!(
        codes(&r),
        vec![Code::DomainLookupFailed],
        "{:#?}",
        r.findings
    );
}

#[tokio::test]
async fn dropping_the_check_stops_it() {
    let (env, opts) = hostile(DnsBehaviour::Silent, Duration::from_secs(60));
    let started = Instant::now();
    let domain = name("good.posture.lab.example");
    let cut = tokio::time::timeout(
        Duration::from_millis(300),
        check(&env, &domain, &opts, |_| {}),
    )
    .await;
    assert!(cut.is_err(), "a silent server cannot answer");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn many_domains_under_a_silent_server_each_end_by_their_deadline() {
    let timeout = Duration::from_secs(2);
    let (env, opts) = hostile(DnsBehaviour::Silent, timeout);
    let inputs = ["a.example", "b.example", "localhost", "c.example"];
    let stream = futures_util::stream::iter(inputs.map(|s| (s, s.to_string())));
    let started = Instant::now();
    let done: Vec<(&str, Result<DomainReport, maildoc_engine::Error>)> =
        check_many(&env, stream, &opts, 8, |_, _| {})
            .collect()
            .await;
    assert!(
        started.elapsed() < timeout + Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    // "localhost" is answered at once, before the others.
    assert_eq!(done[0].0, "localhost");
    assert!(done[0].1.is_err());
    for (input, outcome) in &done[1..] {
        let r = outcome.as_ref().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(r.domain, *input);
        assert_eq!(codes(r), vec![Code::DomainLookupFailed], "{input}");
    }
}

/// The lines of a file checked on every core: each line with its number, comments and blank
/// lines skipped, a line that is not UTF-8 answered as such, `finish` run on every outcome.
#[test]
fn the_lines_of_a_file_each_come_back_once_with_their_number() {
    let (env, opts) = hostile(DnsBehaviour::ServFail, Duration::from_secs(5));
    let input: &[u8] = b"a.example\n\n# a comment\nnot a domain\n\xff\xfe.example\nb.example\n";
    let lines = check_lines(input, &env, &opts, 4, |d: LineDone| {
        let codes = d.outcome.as_ref().map(codes).map_err(|e| e.to_string());
        (d.line, d.input, codes)
    });
    let mut done: Vec<_> = lines.map(|r| r.expect("the input is read")).collect();
    done.sort_by_key(|(line, _, _)| *line);
    let numbers: Vec<u64> = done.iter().map(|(line, _, _)| *line).collect();
    assert_eq!(numbers, vec![1, 4, 5, 6], "{done:?}");
    assert_eq!(done[0].2, Ok(vec![Code::DomainLookupFailed]));
    assert!(
        done[1].2.as_ref().is_err_and(|e| e.contains("space")),
        "{done:?}"
    );
    assert!(
        done[2].2.as_ref().is_err_and(|e| e.contains("UTF-8")),
        "{done:?}"
    );
    assert_eq!(done[3].1, "b.example");
}
