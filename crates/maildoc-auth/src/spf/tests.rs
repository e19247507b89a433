//! Unit tests: parser positions, the lookup limit with its chain, void lookups, `+all`,
//! `ptr`, several records, and the evidence of `analyze`. DNS is an in-memory map.

use super::*;
use std::collections::HashMap;

#[derive(Default)]
struct Mem {
    txt: HashMap<String, Vec<String>>,
    a: HashMap<String, Vec<Ipv4Addr>>,
    mx: HashMap<String, Vec<(u16, String)>>,
    ptr: HashMap<IpAddr, Vec<String>>,
}

impl Mem {
    fn txt(mut self, name: &str, rec: &str) -> Self {
        self.txt.entry(name.into()).or_default().push(rec.into());
        self
    }
    fn a(mut self, name: &str, ip: &str) -> Self {
        let ip = ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
        self.a.entry(name.into()).or_default().push(ip);
        self
    }
    fn mx(mut self, name: &str, host: &str) -> Self {
        self.mx
            .entry(name.into())
            .or_default()
            .push((10, host.into()));
        self
    }
}

fn answer<T: Clone>(v: Option<&Vec<T>>) -> Answer<Vec<T>> {
    match v {
        Some(v) if !v.is_empty() => Answer::Records(v.clone()),
        _ => Answer::NxDomain,
    }
}

impl SpfDns for Mem {
    fn txt<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Vec<u8>>> {
        let v = self
            .txt
            .get(name)
            .map(|v| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>());
        Box::pin(std::future::ready(answer(v.as_ref())))
    }
    fn a<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Ipv4Addr>> {
        Box::pin(std::future::ready(answer(self.a.get(name))))
    }
    fn aaaa<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Ipv6Addr>> {
        let known = self.a.contains_key(name) || self.txt.contains_key(name);
        Box::pin(std::future::ready(if known {
            Answer::NoData
        } else {
            Answer::NxDomain
        }))
    }
    fn mx<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<(u16, String)>> {
        Box::pin(std::future::ready(answer(self.mx.get(name))))
    }
    fn ptr<'a>(&'a self, ip: IpAddr) -> DnsFuture<'a, Vec<String>> {
        Box::pin(std::future::ready(answer(self.ptr.get(&ip))))
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn perr(record: &str) -> ParseError {
    match parse(record.as_bytes()) {
        Err(e) => e,
        Ok(r) => ParseError {
            offset: usize::MAX,
            term: format!("parsed: {r:?}"),
            message: String::new(),
        },
    }
}

#[test]
fn parse_errors_name_the_byte_offset_and_the_term() {
    let e = perr("v=spf1 a inculde:_spf.example.com -all");
    assert_eq!((e.offset, e.term.as_str()), (9, "inculde:_spf.example.com"));
    assert_eq!(e.message, "unknown mechanism");

    let e = perr("v=spf1 ip4:192.0.2.0/33 -all");
    assert_eq!((e.offset, e.term.as_str()), (21, "ip4:192.0.2.0/33"));

    let e = perr("v=spf1 ip4:mail.example.com -all");
    assert_eq!((e.offset, e.term.as_str()), (11, "ip4:mail.example.com"));

    let e = perr("v=spf1 include:example -all");
    assert_eq!((e.offset, e.term.as_str()), (15, "include:example"));

    let e = perr("v=spf1 exists:%{x}.example.com -all");
    assert_eq!((e.offset, e.term.as_str()), (14, "exists:%{x}.example.com"));

    let e = perr("v=spf1 redirect=a.example redirect=b.example");
    assert_eq!((e.offset, e.term.as_str()), (26, "redirect=b.example"));

    let e = perr("v=spf1 -all:foo");
    assert_eq!((e.offset, e.term.as_str()), (11, "-all:foo"));

    assert!(e.to_string().contains("at byte 11 in `-all:foo`"));
}

#[test]
fn parser_accepts_what_rfc_7208_allows() {
    for ok in [
        "v=spf1",
        "V=SPF1 -ALL",
        "v=spf1 a/24//64 mx:mail.example.com/28 ptr ?ip6:2001:db8::/32 ~all",
        "v=spf1 a:foo:bar/baz.example.com include:%{d2}._spf.example.com -all",
        "v=spf1 unknown-mod=%{l} exp=explain.%{d} -all",
        "v=spf1  ip4:192.0.2.1   -all ",
    ] {
        assert!(
            parse(ok.as_bytes()).is_ok(),
            "{ok}: {:?}",
            parse(ok.as_bytes())
        );
    }
}

/// example.com → include one.test (3 lookups) and two.test → three.test (5 `a`).
fn over_limit_zone() -> Mem {
    Mem::default()
        .txt(
            "example.com",
            "v=spf1 include:one.test include:two.test -all",
        )
        .txt("one.test", "v=spf1 a mx a:x.one.test -all")
        .a("one.test", "198.51.100.1")
        .a("x.one.test", "198.51.100.2")
        .mx("one.test", "x.one.test")
        .txt("two.test", "v=spf1 include:three.test -all")
        .txt(
            "three.test",
            "v=spf1 a a:h1.three.test a:h2.three.test a:h3.three.test a:h4.three.test -all",
        )
        .a("three.test", "198.51.100.3")
        .a("h1.three.test", "198.51.100.4")
        .a("h2.three.test", "198.51.100.5")
        .a("h3.three.test", "198.51.100.6")
        .a("h4.three.test", "198.51.100.7")
}

#[tokio::test]
async fn the_include_chain_that_crosses_the_limit_is_named() {
    let dns = over_limit_zone();
    let out = check_host(
        &dns,
        ip("192.0.2.9"),
        "example.com",
        "a@example.com",
        "mx.example.net",
        &CheckOptions::default(),
    )
    .await;
    assert_eq!(out.result, SpfResult::PermError);
    assert_eq!(out.lookups, 11);
    assert_eq!(
        out.include_chain_over_limit.as_deref(),
        Some(&["example.com", "two.test", "three.test"].map(String::from)[..])
    );
    assert_eq!(out.term_over_limit.as_deref(), Some("a:h4.three.test"));
    // The trace shows every term up to there, and serializes.
    let json = serde_json::to_string(&out).unwrap_or_default();
    assert!(json.contains("\"term\":\"a:h3.three.test\""), "{json}");

    let report = analyze("example.com", &dns).await;
    assert_eq!(report.lookups, 11);
    assert_eq!(
        report.include_chain_over_limit,
        out.include_chain_over_limit
    );
    assert_eq!(report.term_over_limit.as_deref(), Some("a:h4.three.test"));
    assert_eq!(
        report.include_chain_over_limit.as_deref(),
        Some(&["example.com", "two.test", "three.test"].map(String::from)[..])
    );
}

#[tokio::test]
async fn three_void_lookups_are_a_permerror() {
    let dns = Mem::default().txt(
        "example.com",
        "v=spf1 a:gone1.example.com a:gone2.example.com mx:gone3.example.com -all",
    );
    let out = check_host(
        &dns,
        ip("192.0.2.9"),
        "example.com",
        "a@example.com",
        "h.example.net",
        &CheckOptions::default(),
    )
    .await;
    assert_eq!(out.result, SpfResult::PermError);
    assert_eq!(out.void_lookups, 3);
    let report = analyze("example.com", &dns).await;
    assert_eq!(report.void_lookups, 3);
    assert_eq!(
        report.void_names,
        [
            "gone1.example.com (a:gone1.example.com)",
            "gone2.example.com (a:gone2.example.com)",
            "gone3.example.com (mx:gone3.example.com)"
        ]
    );

    // Two are allowed.
    let dns = Mem::default().txt(
        "example.com",
        "v=spf1 a:gone1.example.com a:gone2.example.com -all",
    );
    let report = analyze("example.com", &dns).await;
    assert_eq!(report.void_lookups, 2);
}

#[tokio::test]
async fn plus_all_and_question_all_are_too_permissive() {
    for (rec, term) in [
        ("v=spf1 mx +all", "+all"),
        ("v=spf1 ?all", "?all"),
        ("v=spf1 all", "all"),
    ] {
        let dns = Mem::default()
            .txt("example.com", rec)
            .mx("example.com", "mx.example.com")
            .a("mx.example.com", "192.0.2.1");
        let report = analyze("example.com", &dns).await;
        assert_eq!(
            report.permissive_all,
            [("example.com".to_string(), term.to_string())],
            "{rec}"
        );
    }
    let dns = Mem::default().txt("example.com", "v=spf1 ~all");
    assert!(analyze("example.com", &dns).await.permissive_all.is_empty());
}

#[tokio::test]
async fn ptr_is_flagged_as_deprecated() {
    let dns = Mem::default()
        .txt("example.com", "v=spf1 include:esp.test -all")
        .txt("esp.test", "v=spf1 ptr:esp.test -all");
    let report = analyze("example.com", &dns).await;
    assert_eq!(
        report.ptr_terms,
        [("esp.test".to_string(), "ptr:esp.test".to_string())]
    );
}

#[tokio::test]
async fn several_records_are_a_permerror_and_all_are_kept() {
    let dns = Mem::default()
        .txt("example.com", "v=spf1 include:a.test -all")
        .txt("example.com", "v=spf1 include:b.test ~all")
        .txt("example.com", "google-site-verification=xyz");
    let out = check_host(
        &dns,
        ip("192.0.2.9"),
        "example.com",
        "a@example.com",
        "h.example.net",
        &CheckOptions::default(),
    )
    .await;
    assert_eq!(out.result, SpfResult::PermError);
    let report = analyze("example.com", &dns).await;
    assert_eq!(
        report.records,
        ["v=spf1 include:a.test -all", "v=spf1 include:b.test ~all"]
    );
    assert!(report.tree.is_empty(), "{:?}", report.tree);
}

#[tokio::test]
async fn missing_record_and_syntax_error_in_an_include() {
    let dns = Mem::default().txt("example.com", "google-site-verification=xyz");
    let report = analyze("example.com", &dns).await;
    assert_eq!(report.txt_status, DnsStatus::Records);
    assert!(report.records.is_empty(), "{:?}", report.records);

    let dns = Mem::default()
        .txt("example.com", "v=spf1 include:esp.test -all")
        .txt(
            "esp.test",
            "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.300 -all",
        );
    let report = analyze("example.com", &dns).await;
    let [e] = report.syntax_errors.as_slice() else {
        panic!("{:?}", report.syntax_errors);
    };
    assert_eq!(e.domain, "esp.test");
    assert_eq!(e.error.term, "ip4:198.51.100.300");
    assert_eq!(e.error.offset, 28);
}

#[tokio::test]
async fn with_an_ip_the_verdict_and_its_trace() {
    let dns = Mem::default()
        .txt("example.com", "v=spf1 include:esp.test -all")
        .txt("esp.test", "v=spf1 ip4:192.0.2.0/24 -all");
    let ok = analyze_with_ip(
        "example.com",
        &dns,
        ip("192.0.2.7"),
        None,
        &CheckOptions::default(),
    )
    .await;
    assert_eq!(ok.check.as_ref().map(|c| c.result), Some(SpfResult::Pass));
    assert_eq!(ok.ip, Some(ip("192.0.2.7")));

    let bad = analyze_with_ip(
        "example.com",
        &dns,
        ip("203.0.113.5"),
        Some("form@example.com"),
        &CheckOptions::default(),
    )
    .await;
    let check = bad.check.as_ref();
    assert_eq!(
        check.map(|c| (c.result, c.deciding_term())),
        Some((SpfResult::Fail, "-all"))
    );
    let trace = &bad
        .check
        .as_ref()
        .map(|c| c.trace.clone())
        .unwrap_or_default();
    assert!(trace.iter().any(|s| matches!(s,
        TraceStep::Term { term, target: Some(t), matched: false, .. }
            if term == "include:esp.test" && t == "esp.test")));
}

proptest::proptest! {
    #[test]
    fn the_parser_never_panics(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..80)) {
        let mut record = b"v=spf1 ".to_vec();
        record.extend(tail);
        let _ = parse(&record);
    }

    #[test]
    fn terms_made_of_spf_characters_never_panic(tail in "[a-z0-9:/.%{}+~?=_, -]{0,60}") {
        let record = format!("v=spf1 {tail}");
        if let Err(e) = parse(record.as_bytes()) {
            proptest::prop_assert!(e.offset <= record.len());
        }
    }
}
