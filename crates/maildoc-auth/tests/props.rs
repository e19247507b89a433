//! SPF records as DNS serves them, whatever they hold: the parser reads back what it was
//! given and points its errors into the record; `check_host` and `analyze` over a zone of
//! hostile records stay within their limits.

use maildoc_auth::spf::{
    self, Answer, CheckOptions, DnsFuture, MAX_LOOKUPS, MAX_VOID_LOOKUPS, SpfDns, SpfResult,
};
use proptest::prelude::*;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU32, Ordering};

/// The names of the zone the evaluations run in.
const NAMES: [&str; 6] = [
    "example.test",
    "a.example.test",
    "b.example.test",
    "_spf.example.test",
    "mx.example.test",
    "explain.example.test",
];

/// Records as published, to be cut about.
const REAL: [&str; 7] = [
    "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.test ~all",
    "v=spf1 a mx -all",
    "v=spf1 redirect=_spf.example.test",
    "v=spf1 exists:%{ir}.%{v}._spf.%{d} -all",
    "v=spf1 a:mx.example.test/24//64 mx:example.test/28 ptr ?all exp=explain.%{d}",
    "v=spf1 include:a.example.test include:b.example.test -all",
    "v=spf1 +mx:%{o} ip4:198.51.100.7 -ip6:::1/128 moo=%{l1r-}.x all",
];

/// A domain-spec: a name of the zone, another name, macros; with `broken`, now and then
/// one that is not.
fn domain_spec(broken: bool) -> BoxedStrategy<String> {
    let valid = prop_oneof![
        6 => prop::sample::select(NAMES.to_vec()).prop_map(str::to_string),
        2 => "[a-z0-9-]{1,8}(\\.[a-z0-9-]{1,8}){0,2}\\.(test|example|jp)\\.?",
        3 => prop::sample::select(vec![
            "%{d}",
            "%{ir}.%{v}._spf.%{d}",
            "%{l}.example.test",
            "%{d2}",
            "%{o}",
            "%{h}",
            "%{p}.example.test",
            "%{s}",
            "%{L1r+-}.%{D128}",
            "%%.%_.%-.example.test",
        ])
        .prop_map(str::to_string),
    ];
    if !broken {
        return valid.boxed();
    }
    prop_oneof![
        11 => valid,
        1 => prop::sample::select(vec!["%{x}.test", "%{d0}.test", "%{d", "%", "a..", "-", "x.123"])
            .prop_map(str::to_string),
    ]
    .boxed()
}

fn cidr(broken: bool) -> BoxedStrategy<String> {
    let valid = prop_oneof![
        4 => Just(String::new()),
        2 => (0u16..=32).prop_map(|n| format!("/{n}")),
        2 => (0u16..=128).prop_map(|n| format!("//{n}")),
        2 => (0u16..=32, 0u16..=128).prop_map(|(a, b)| format!("/{a}//{b}")),
    ];
    if !broken {
        return valid.boxed();
    }
    prop_oneof![10 => valid, 1 => "/[0-9]{0,4}/?[0-9]{0,3}"].boxed()
}

/// One term as a record might hold it; with `broken`, now and then one that is wrong.
fn term(broken: bool) -> BoxedStrategy<String> {
    let qualifier = prop::sample::select(vec!["", "+", "-", "~", "?"]);
    let spec = move || domain_spec(broken);
    let max4 = if broken { 33u8 } else { 32 };
    let max6 = if broken { 129u8 } else { 128 };
    let mechanism = prop_oneof![
        Just("all".to_string()),
        spec().prop_map(|d| format!("include:{d}")),
        spec().prop_map(|d| format!("exists:{d}")),
        (
            prop_oneof![Just("a"), Just("mx"), Just("A"), Just("MX")],
            prop::option::of(spec()),
            cidr(broken)
        )
            .prop_map(|(m, d, c)| match d {
                Some(d) => format!("{m}:{d}{c}"),
                None => format!("{m}{c}"),
            }),
        prop::option::of(spec()).prop_map(|d| match d {
            Some(d) => format!("ptr:{d}"),
            None => "ptr".to_string(),
        }),
        (
            prop_oneof![
                any::<[u8; 4]>(),
                prop::sample::select(V4.map(|a| a.octets()).to_vec())
            ],
            prop::option::of(0u8..=max4)
        )
            .prop_map(|(o, p)| match p {
                Some(p) => format!("ip4:{}/{p}", Ipv4Addr::from(o)),
                None => format!("ip4:{}", Ipv4Addr::from(o)),
            }),
        (any::<[u8; 16]>(), prop::option::of(0u8..=max6)).prop_map(|(o, p)| match p {
            Some(p) => format!("ip6:{}/{p}", Ipv6Addr::from(o)),
            None => format!("ip6:{}", Ipv6Addr::from(o)),
        }),
    ];
    let directive = (qualifier, mechanism).prop_map(|(q, m)| format!("{q}{m}"));
    if !broken {
        return directive.boxed();
    }
    let modifier = prop_oneof![
        spec().prop_map(|d| format!("redirect={d}")),
        spec().prop_map(|d| format!("exp={d}")),
        "[a-zA-Z][a-zA-Z0-9._-]{0,6}=[!-~]{0,12}",
    ];
    prop_oneof![
        16 => directive,
        4 => modifier,
        1 => "[a-z0-9]{1,6}:[!-~]{0,12}",
        1 => "[!-~]{1,10}",
    ]
    .boxed()
}

/// A record made of terms, with one to three spaces between them; without `broken`, one
/// that parses, with at most a redirect and an explanation at its end.
fn record(broken: bool) -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("v=spf1"), Just("V=SPF1")],
        prop::collection::vec((term(broken), 1usize..4), 0..8),
        prop::option::of(domain_spec(false).prop_map(|d| format!("redirect={d}"))),
        prop::option::of(domain_spec(false).prop_map(|d| format!("exp={d}"))),
    )
        .prop_map(|(v, terms, redirect, exp)| {
            let mut r = v.to_string();
            let tail = redirect.into_iter().chain(exp).map(|m| (m, 1));
            for (t, spaces) in terms.into_iter().chain(tail) {
                r.push_str(&" ".repeat(spaces));
                r.push_str(&t);
            }
            r
        })
}

/// A real record with a few bytes replaced, removed or inserted.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(REAL.to_vec()),
        prop::collection::vec((any::<usize>(), 0u8..3, any::<u8>()), 1..5),
    )
        .prop_map(|(real, edits)| {
            let mut b = real.as_bytes().to_vec();
            for (at, how, byte) in edits {
                maildoc_testkit::mutate::edit(&mut b, at, how, byte);
            }
            b
        })
}

fn any_record() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => record(true).prop_map(String::into_bytes),
        2 => mutated(),
        1 => prop::collection::vec(any::<u8>(), 0..120),
        1 => prop::collection::vec(any::<u8>(), 0..80).prop_map(|t| [b"v=spf1 ".to_vec(), t].concat()),
    ]
}

/// A zone: for each name, TXT records (SPF and other), A and AAAA addresses, MX hosts;
/// and PTR names for a few addresses. Every query is counted.
#[derive(Debug, Default)]
struct Zone {
    txt: HashMap<String, Vec<Vec<u8>>>,
    a: HashMap<String, Vec<Ipv4Addr>>,
    aaaa: HashMap<String, Vec<Ipv6Addr>>,
    mx: HashMap<String, Vec<(u16, String)>>,
    ptr: HashMap<IpAddr, Vec<String>>,
    failing: Vec<String>,
    queries: AtomicU32,
}

fn answer<T: Clone>(zone: &Zone, name: &str, v: Option<&Vec<T>>) -> Answer<Vec<T>> {
    zone.queries.fetch_add(1, Ordering::Relaxed);
    if zone.failing.iter().any(|f| f == name) {
        return Answer::ServFail;
    }
    match v {
        Some(v) if !v.is_empty() => Answer::Records(v.clone()),
        Some(_) => Answer::NoData,
        None => Answer::NxDomain,
    }
}

impl SpfDns for Zone {
    fn txt<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Vec<u8>>> {
        Box::pin(std::future::ready(answer(self, name, self.txt.get(name))))
    }
    fn a<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Ipv4Addr>> {
        Box::pin(std::future::ready(answer(self, name, self.a.get(name))))
    }
    fn aaaa<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Ipv6Addr>> {
        Box::pin(std::future::ready(answer(self, name, self.aaaa.get(name))))
    }
    fn mx<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<(u16, String)>> {
        Box::pin(std::future::ready(answer(self, name, self.mx.get(name))))
    }
    fn ptr<'a>(&'a self, ip: IpAddr) -> DnsFuture<'a, Vec<String>> {
        Box::pin(std::future::ready(answer(self, "", self.ptr.get(&ip))))
    }
}

/// The addresses the zone hands out and the client may come from.
const V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(192, 0, 2, 1),
    Ipv4Addr::new(198, 51, 100, 7),
    Ipv4Addr::new(203, 0, 113, 9),
];
const V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);

/// A TXT record of the zone: mostly SPF, now and then something else.
fn txt() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => record(false).prop_map(String::into_bytes),
        2 => any_record(),
        1 => "[ -~]{0,20}".prop_map(String::into_bytes),
    ]
}

fn zone() -> impl Strategy<Value = Zone> {
    let per_name = (
        prop_oneof![
            6 => txt().prop_map(|r| vec![r]),
            1 => prop::collection::vec(txt(), 0..3),
        ],
        prop::collection::vec(prop::sample::select(V4.to_vec()), 0..3),
        any::<bool>(),
        prop::collection::vec((any::<u16>(), prop::sample::select(NAMES.to_vec())), 0..12),
        0u8..12,
    );
    (
        prop::collection::vec(per_name, NAMES.len()),
        prop::collection::vec(prop::sample::select(NAMES.to_vec()), 0..3),
    )
        .prop_map(|(entries, ptr_names)| {
            let mut z = Zone::default();
            for (name, (txt, a, v6, mx, fate)) in NAMES.iter().zip(entries) {
                let name = name.to_string();
                match fate {
                    // Absent (NXDOMAIN) or failing (SERVFAIL) now and then.
                    0 => continue,
                    1 => z.failing.push(name.clone()),
                    _ => {}
                }
                z.txt.insert(name.clone(), txt);
                z.a.insert(name.clone(), a);
                z.aaaa
                    .insert(name.clone(), if v6 { vec![V6] } else { Vec::new() });
                z.mx.insert(
                    name,
                    mx.into_iter().map(|(p, h)| (p, h.to_string())).collect(),
                );
            }
            let ptr: Vec<String> = ptr_names.into_iter().map(str::to_string).collect();
            for ip in V4 {
                z.ptr.insert(IpAddr::V4(ip), ptr.clone());
            }
            z.ptr.insert(IpAddr::V6(V6), ptr);
            z
        })
}

fn client_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        prop::sample::select(V4.to_vec()).prop_map(IpAddr::V4),
        Just(IpAddr::V6(V6)),
        Just(IpAddr::V6(V4[1].to_ipv6_mapped())),
        any::<[u8; 4]>().prop_map(|o| IpAddr::V4(o.into())),
        any::<[u8; 16]>().prop_map(|o| IpAddr::V6(o.into())),
    ]
}

fn run<F: std::future::Future>(f: F) -> Result<F::Output, TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| TestCaseError::fail(format!("a runtime: {e}")))?;
    Ok(runtime.block_on(f))
}

/// The queries of one set of names: an MX or PTR query, then both address queries for
/// each of at most ten names.
const NAME_SET: u32 = 1 + 10 * 2;
/// The most queries one `check_host` may send: the first TXT query; for each of the 10
/// counted terms a `%{p}` expansion and the term's own queries; the explanation's TXT
/// query with a `%{p}` expansion in its name and in its text.
const MAX_QUERIES: u32 = 1 + MAX_LOOKUPS * 2 * NAME_SET + 1 + 2 * NAME_SET;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// A record that parses reads back: each term is the text at its offset, the terms are
    /// the record's words in order, and the words alone parse to the same terms.
    #[test]
    fn parsed_records_read_back(record in record(true)) {
        let bytes = record.as_bytes();
        let words: Vec<&str> = record.split(' ').filter(|w| !w.is_empty()).skip(1).collect();
        match spf::parse(bytes) {
            Ok(parsed) => {
                let texts: Vec<&str> = parsed.terms.iter().map(|(_, t, _)| t.as_str()).collect();
                prop_assert_eq!(&texts, &words);
                for (offset, text, _) in &parsed.terms {
                    prop_assert_eq!(record.get(*offset..offset + text.len()), Some(text.as_str()));
                }
                let again = spf::parse(format!("v=spf1 {}", words.join(" ")).as_bytes());
                let terms = |r: &spf::Record| r.terms.iter().map(|(_, _, t)| t.clone()).collect::<Vec<_>>();
                prop_assert_eq!(again.map(|r| terms(&r)), Ok(terms(&parsed)));
            }
            Err(e) => {
                // The error names a word of the record and an offset inside it, or the
                // whole record at offset 0.
                if e.term.is_empty() {
                    prop_assert_eq!(e.offset, 0);
                } else {
                    prop_assert!(words.contains(&e.term.as_str()), "{:?} not in {:?}", e.term, words);
                    let inside = record.match_indices(e.term.as_str()).any(|(start, t)| {
                        (start..=start + t.len()).contains(&e.offset)
                    });
                    prop_assert!(inside, "offset {} outside `{}` in {}", e.offset, e.term, record);
                }
            }
        }
    }

    /// Any bytes, cut-about real records included: an error points into the record.
    #[test]
    fn errors_point_into_the_record(bytes in any_record()) {
        if let Err(e) = spf::parse(&bytes) {
            prop_assert!(e.offset <= bytes.len());
            prop_assert!(!e.message.is_empty());
            let _ = e.to_string();
        }
    }

    /// `check_host` over a zone of hostile records: it ends, within the lookup limits, with
    /// a bounded number of queries, and its trace and explanation stay small.
    #[test]
    fn check_host_stays_within_its_limits(
        zone in zone(),
        ip in client_ip(),
        top in prop::sample::select(NAMES.to_vec()),
        sender in prop_oneof![Just("user@example.test"), Just("example.test"), Just("@b.example.test"), Just("")],
    ) {
        let options = CheckOptions {
            receiver: Some("mx.receiver.test".into()),
            timestamp: 1_795_299_123,
            default_explanation: Some("not authorized".into()),
        };
        let out = run(spf::check_host(&zone, ip, top, sender, "helo.example.test", &options))?;
        prop_assert!(out.lookups <= MAX_LOOKUPS + 1, "{} lookups", out.lookups);
        prop_assert!(out.void_lookups <= MAX_VOID_LOOKUPS + 1);
        let queries = zone.queries.load(Ordering::Relaxed);
        prop_assert!(queries <= MAX_QUERIES, "{} queries", queries);
        prop_assert!(out.trace.len() <= 4 * MAX_QUERIES as usize, "{} steps", out.trace.len());
        if out.lookups > MAX_LOOKUPS {
            prop_assert_eq!(out.result, SpfResult::PermError);
            prop_assert!(out.term_over_limit.is_some());
        }
        if let Some(exp) = &out.explanation {
            prop_assert_eq!(out.result, SpfResult::Fail);
            prop_assert!(exp.len() <= 4096, "{} bytes of explanation", exp.len());
        }
        prop_assert!(serde_json::to_string(&out).is_ok());
    }

    /// `analyze` (and its evaluation for an address) over the same zones: it ends, walks at
    /// most 50 records, and its evidence names the domain asked about.
    #[test]
    fn analyze_stays_within_its_limits(
        zone in zone(),
        ip in client_ip(),
        top in prop::sample::select(NAMES.to_vec()),
    ) {
        let report = run(spf::analyze_with_ip(top, &zone, ip, None, &CheckOptions::default()))?;
        prop_assert!(report.tree.len() <= 50, "{} records walked", report.tree.len());
        prop_assert_eq!(&report.domain, top);
        prop_assert!(report.findings.is_empty());
        prop_assert!(serde_json::to_string(&report).is_ok());
    }
}
