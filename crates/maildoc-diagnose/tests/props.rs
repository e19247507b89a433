//! The records `maildoc domain` reads from DNS and policy servers, whatever they hold: the
//! parsers read back what they were given and never panic on what they were not, the
//! blocklist answers and the Public Suffix List take any name, and the domain rules judge
//! any evidence.

use maildoc_diagnose::domain::{self, dnsbl, psl, records};
use maildoc_model::domain::*;
use maildoc_model::{CertInfo, ResolveOutcome};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};

/// DKIM keys as published: (p=, RSA bits or 0 for ed25519).
const KEYS: [(&str, u32); 4] = [
    (
        "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAPE3QUeOpT0a6C8Eiqnbs6MfXXgbaeFOpaKKwX2ADH1Bo4hrwiQG5kNUg6cfsrxPT/A9LOazaM4JjRyCR2sIYC8CAwEAAQ==",
        512,
    ),
    (
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC+m+07GYg9jRYFfK/ok4Mqe6OB6+XzLqZ9kgOB5KfRdERbu2cTnt89SO5zMKmQBv3T3dIfq/2cjTFesWa0CQaCWZc3Q+Pgnr1tmvpIDFp6g89NBY/8wPVTqH5cxA1DM4doAujN7m+qWFZoSSVuyq4vd+elfspMUdrEUOiY87dDYQIDAQAB",
        1024,
    ),
    (
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApko36b7oy32gXFAyCYpTwUdAUhN5OH6I357bmJHUhG+L8WwB6QAzKvpNh8us8zSUS37/pvFS4tKLi63XwdDDzVHTqz7Y9X8j3Y5tqKXmjX4x4A/WFmav8WZffcFaeWePDpaTjpbhA8VpFto5GFFqGgTxZybWv61s1MQY/JQj2ZSp6E8ub1ebJ5GhO0VSEXO8z96CqUWjXQ0umqPASrX/ahR0fU+GMM88qBrvSPBkEnc1EKg4H+ZvW/R2tS9bHGISXD17gnxvxvHtBVRgCQ4YPv89F4to2Axr7tIqpPh3ObOwJNt4qVcH4eSpFWu/dvHL7TWL9W2PkoGK7qN+JokcYwIDAQAB",
        2048,
    ),
    ("mPZ3HvhNCnHzn519Q3lkHHgpaXJy6X3loP39Ow5bSQk=", 0),
];

/// Records as published, to be cut about.
const REAL: [&str; 12] = [
    "v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:d@example.jp,mailto:x@report.example.net!10m; ruf=mailto:f@example.jp; adkim=s; aspf=r",
    "v=DMARC1; p=none",
    "v=DKIM1; k=rsa; t=y:s; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC+m+07GYg9jRYFfK/ok4Mqe6OB6+XzLqZ9kgOB5KfRdERbu2cTnt89SO5zMKmQBv3T3dIfq/2cjTFesWa0CQaCWZc3Q+Pgnr1tmvpIDFp6g89NBY/8wPVTqH5cxA1DM4doAujN7m+qWFZoSSVuyq4vd+elfspMUdrEUOiY87dDYQIDAQAB",
    "v=DKIM1; k=ed25519; p=mPZ3HvhNCnHzn519Q3lkHHgpaXJy6X3loP39Ow5bSQk=",
    "v=STSv1; id=20261122T000000",
    "version: STSv1\r\nmode: enforce\r\nmx: mx.example.jp\r\nmx: *.mail.example.jp\r\nmax_age: 86400\r\n",
    "v=TLSRPTv1; rua=mailto:tls@example.jp,https://report.example.jp/tlsrpt",
    "v=BIMI1; l=https://example.jp/logo.svg; a=https://example.jp/vmc.pem",
    "v=BIMI1; l=; a=",
    "3 1 1 2bb183af2e6ed2c72a1b0c81e7d3ef1f3b2e1c5d4a6f7e8d9c0b1a2f3e4d5c6b",
    "2 0 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "10 mx.example.jp",
];

/// One change to a string: a character replaced, removed or inserted.
fn mutate(s: &str, edits: &[(usize, u8, char)]) -> String {
    edits.iter().fold(s.to_string(), |text, &(at, how, c)| {
        maildoc_testkit::mutate::edit_chars(&text, at, how, c)
    })
}

/// Characters that matter to the record grammars more often than any other.
fn edit_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec![
            ';', '=', ',', ':', '@', '!', ' ', '\t', '\r', '\n', '*', '.', '/', '%', '0', '9', 'v',
            'p', 'k', 'm', '\u{0}', '\u{202e}', 'é', '日',
        ]),
        1 => any::<char>(),
    ]
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, char)>> {
    prop::collection::vec((any::<usize>(), 0u8..3, edit_char()), 1..6)
}

/// Anything a TXT record or a policy file may hold: real records cut about, or any text.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (prop::sample::select(REAL.to_vec()), edits()).prop_map(|(r, e)| mutate(r, &e)),
        1 => any::<String>(),
        1 => "[ -~]{0,60}",
        1 => prop::collection::vec(
            prop::sample::select(vec!["v=DMARC1", "v=STSv1", "v=TLSRPTv1", "v=BIMI1", "p=", "rua=mailto:", "id=", ";", " ", "=", ",", "mx:", "\r\n", "https://", "@"]),
            0..12,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

fn mixed_case(word: &str, mask: &[bool]) -> String {
    word.chars()
        .zip(mask.iter().cycle())
        .map(|(c, &up)| {
            if up {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn mask() -> impl Strategy<Value = Vec<bool>> {
    prop::collection::vec(any::<bool>(), 1..6)
}

fn domain_name() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z0-9]{1,8}){0,2}\\.(jp|com|net|co\\.jp|co\\.uk)"
}

fn mailbox() -> impl Strategy<Value = String> {
    ("[a-z0-9._+-]{1,10}", domain_name()).prop_map(|(l, d)| format!("{l}@{d}"))
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One DER element with its tag and length (short or long form).
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha(alg: &'static ring::digest::Algorithm, data: &[u8]) -> String {
    hex(ring::digest::digest(alg, data).as_ref())
}

fn cert(der: &[u8], spki: &[u8]) -> CertInfo {
    CertInfo {
        subject: "CN=mx.example.jp".into(),
        issuer: "CN=CA".into(),
        serial: "01".into(),
        not_before: String::new(),
        not_after: String::new(),
        not_before_unix: 0,
        not_after_unix: 0,
        names: vec!["mx.example.jp".into()],
        self_signed: false,
        sha256: sha(&ring::digest::SHA256, der),
        sha512: sha(&ring::digest::SHA512, der),
        spki_sha256: sha(&ring::digest::SHA256, spki),
        spki_sha512: sha(&ring::digest::SHA512, spki),
        aia_issuers: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Records written from their parts, with what they say.

/// Three in four as written, the rest cut about; now and then any text instead.
fn cut(written: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![
        3 => written.clone(),
        2 => (written, edits()).prop_map(|(r, e)| mutate(&r, &e)),
        1 => any_text(),
    ]
    .boxed()
}

fn dmarc_written() -> impl Strategy<Value = (String, records::Dmarc)> {
    (
        (
            0usize..3,
            prop::option::of(0usize..3),
            prop::option::of(0usize..3),
        ),
        prop::option::of(0u8..=100),
        (
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
        ),
        prop::collection::vec((mailbox(), prop::option::of("[0-9]{1,3}[kmg]?")), 0..3),
        prop::collection::vec(mailbox(), 0..2),
        (mask(), "[ ]{0,2}"),
    )
        .prop_map(
            |((p, sp, np), pct, (adkim, aspf), rua, ruf, (case, space))| {
                let policies = ["none", "quarantine", "reject"];
                let mut tags = vec![
                    "v=DMARC1".to_string(),
                    format!("p={}", mixed_case(policies[p], &case)),
                ];
                tags.extend(sp.map(|i| format!("sp={}", policies[i].to_ascii_uppercase())));
                tags.extend(np.map(|i| format!("np={}", policies[i])));
                tags.extend(pct.map(|n| format!("pct={n}")));
                let mode = |strict: bool| if strict { "S" } else { "r" };
                tags.extend(adkim.map(|s| format!("adkim={}", mode(s))));
                tags.extend(aspf.map(|s| format!("aspf={}", mode(s))));
                if !rua.is_empty() {
                    let uris: Vec<String> = rua
                        .iter()
                        .map(|(m, size)| match size {
                            Some(size) => format!("MailTo:{m}!{size}"),
                            None => format!("MailTo:{m}"),
                        })
                        .collect();
                    tags.push(format!("rua={}", uris.join(",")));
                }
                if !ruf.is_empty() {
                    let uris: Vec<String> = ruf.iter().map(|m| format!("mailto:{m}")).collect();
                    tags.push(format!("ruf={}", uris.join(", ")));
                }
                let mode_char = |m: Option<bool>| if m == Some(true) { 's' } else { 'r' };
                let said = records::Dmarc {
                    p: policies[p].to_string(),
                    sp: sp.map(|i| policies[i].to_string()),
                    np: np.map(|i| policies[i].to_string()),
                    pct: pct.unwrap_or(100),
                    adkim: mode_char(adkim),
                    aspf: mode_char(aspf),
                    rua: rua.into_iter().map(|(m, _)| m).collect(),
                    ruf,
                };
                (tags.join(&format!(";{space}")), said)
            },
        )
}

/// A DKIM key record of an RSA key of any size, as SubjectPublicKeyInfo or a bare
/// RSAPublicKey, in base64 with spaces anywhere.
fn dkim_written() -> impl Strategy<Value = (String, records::DkimKey)> {
    (
        prop::collection::vec(any::<u8>(), 1..600),
        prop::collection::vec(any::<u8>(), 1..4),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(
            (
                any::<usize>(),
                prop::sample::select(vec![" ", "\t", "\r\n "]),
            ),
            0..4,
        ),
    )
        .prop_map(|(modulus, exponent, spki, testing, gaps)| {
            let int = |b: &[u8]| {
                let mut v = b.to_vec();
                if v[0] & 0x80 != 0 {
                    v.insert(0, 0);
                }
                der(0x02, &v)
            };
            let rsa_key = der(0x30, &[int(&modulus), int(&exponent)].concat());
            let key = if spki {
                let oid = der(
                    0x06,
                    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
                );
                let algorithm = der(0x30, &[oid, der(0x05, &[])].concat());
                let bits = der(0x03, &[&[0u8][..], &rsa_key].concat());
                der(0x30, &[algorithm, bits].concat())
            } else {
                rsa_key
            };
            let mut p = base64(&key);
            for (at, gap) in gaps {
                let i = at % (p.len() + 1);
                p.insert_str(i, gap);
            }
            let flags = if testing { "t=y:s; " } else { "" };
            let significant: Vec<u8> = modulus.iter().copied().skip_while(|&b| b == 0).collect();
            let said = match significant.first() {
                Some(&first) => records::DkimKey::Rsa {
                    bits: (significant.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
                    testing,
                },
                None => records::DkimKey::Unusable {
                    detail: "p= is not an RSA public key".into(),
                    testing,
                },
            };
            (format!("v=DKIM1; {flags}k=rsa; p={p}"), said)
        })
}

/// A published key record, whole: (record, what it says).
fn dkim_published() -> impl Strategy<Value = (String, records::DkimKey)> {
    prop::sample::select(KEYS.to_vec()).prop_map(|(key, bits)| {
        if bits == 0 {
            (
                format!("v=DKIM1; k=ed25519; p={key}"),
                records::DkimKey::Ed25519 { testing: false },
            )
        } else {
            (
                format!("v=DKIM1; k=rsa; p={key}"),
                records::DkimKey::Rsa {
                    bits,
                    testing: false,
                },
            )
        }
    })
}

fn sts_txt_written() -> impl Strategy<Value = (String, String)> {
    "[A-Za-z0-9]{1,32}".prop_map(|id| (format!("v=STSv1; id={id};"), id))
}

/// An MTA-STS policy in any line order, with unknown keys; what it says, or `None` when it
/// must be refused (no mx: line outside mode none).
fn policy_written() -> impl Strategy<Value = (String, Option<records::StsPolicy>)> {
    (
        prop::sample::select(vec!["enforce", "testing", "none"]),
        0u64..=31_557_600,
        prop::collection::vec(
            prop_oneof![domain_name(), domain_name().prop_map(|d| format!("*.{d}"))],
            0..4,
        ),
        prop::collection::vec("[a-z_]{1,8}: [ -~]{0,10}", 0..3),
        prop::collection::vec(any::<u16>(), 16),
        any::<bool>(),
    )
        .prop_map(|(mode, max_age, mx, extra, order, crlf)| {
            let mut lines: Vec<String> = vec![
                "version: STSv1".into(),
                format!("mode: {mode}"),
                format!("max_age: {max_age}"),
            ];
            lines.extend(mx.iter().map(|m| format!("mx: {}", m.to_ascii_uppercase())));
            let known = ["version", "mode", "max_age", "mx"];
            lines.extend(
                extra
                    .into_iter()
                    .filter(|l| !known.contains(&l.split(':').next().unwrap_or_default())),
            );
            // Shuffled, the mx lines kept in their order.
            let mut keyed: Vec<(u16, usize, String)> = lines
                .into_iter()
                .enumerate()
                .map(|(i, l)| {
                    let key = if l.starts_with("mx:") {
                        0
                    } else {
                        order[i % order.len()]
                    };
                    (key, i, l)
                })
                .collect();
            keyed.sort();
            let end = if crlf { "\r\n" } else { "\n" };
            let body: String = keyed
                .into_iter()
                .map(|(_, _, l)| format!("{l}{end}"))
                .collect();
            let said = (!mx.is_empty() || mode == "none").then(|| records::StsPolicy {
                mode: mode.to_string(),
                max_age,
                mx,
            });
            (body, said)
        })
}

fn tlsrpt_written() -> impl Strategy<Value = (String, Vec<String>)> {
    (
        prop::collection::vec(
            prop_oneof![
                mailbox().prop_map(|m| format!("mailto:{m}")),
                (domain_name(), "(/[a-z0-9._-]{0,10}){0,2}")
                    .prop_map(|(d, p)| format!("https://{d}{p}")),
            ],
            1..4,
        ),
        prop::option::of("[a-z][a-z0-9_.-]{0,6}=[!-:<>-~]{1,10}"),
    )
        .prop_map(|(uris, extra)| {
            let extra = extra
                .filter(|e| !e.starts_with("rua="))
                .map(|e| format!("; {e}"))
                .unwrap_or_default();
            (format!("v=TLSRPTv1;rua={}{extra}", uris.join(",")), uris)
        })
}

fn bimi_written() -> impl Strategy<Value = (String, records::BimiRecord)> {
    let url = || {
        prop::option::of(
            (domain_name(), "[a-z0-9/._-]{0,12}").prop_map(|(d, p)| format!("https://{d}/{p}")),
        )
    };
    (url(), url(), mask()).prop_map(|(logo, vmc, case)| {
        let (logo, certificate) = (logo.unwrap_or_default(), vmc.unwrap_or_default());
        let record = format!(
            "v={}; l={logo}; a={certificate}",
            mixed_case("BIMI1", &case)
        );
        (record, records::BimiRecord { logo, certificate })
    })
}

/// A TLSA record of the shape SMTP uses, its data random.
fn tlsa_written() -> impl Strategy<Value = String> {
    (
        2u8..=3,
        0u8..=1,
        0u8..=2,
        prop::collection::vec(any::<u8>(), 64),
        1usize..=64,
    )
        .prop_map(|(usage, selector, matching, data, full)| {
            let len = match matching {
                1 => 32,
                2 => 64,
                _ => full,
            };
            format!("{usage} {selector} {matching} {}", hex(&data[..len]))
        })
}

/// The record of a writer, without what it says.
fn text_of<T: std::fmt::Debug>(
    written: impl Strategy<Value = (String, T)> + 'static,
) -> BoxedStrategy<String> {
    written.prop_map(|(r, _)| r).boxed()
}

// ---------------------------------------------------------------------------------------
// Evidence of `maildoc domain`, built around the records above.

fn outcome() -> impl Strategy<Value = ResolveOutcome> {
    prop_oneof![
        6 => Just(ResolveOutcome::Found),
        1 => Just(ResolveOutcome::NotFound),
        1 => Just(ResolveOutcome::NoAddress),
        1 => Just(ResolveOutcome::Timeout),
        1 => Just(ResolveOutcome::ServerFailure),
        1 => Just(ResolveOutcome::ResolverError),
    ]
}

fn lookup(records: impl Strategy<Value = String>) -> impl Strategy<Value = DnsLookup> {
    (
        "[a-z0-9._-]{0,20}",
        outcome(),
        prop::collection::vec(records, 0..3),
        any::<bool>(),
    )
        .prop_map(|(name, outcome, records, ad)| DnsLookup {
            name,
            rtype: "TXT".into(),
            outcome,
            records: if outcome == ResolveOutcome::Found {
                records
            } else {
                Vec::new()
            },
            detail: String::new(),
            authentic_data: ad,
        })
}

fn address() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<[u8; 4]>().prop_map(|o| Ipv4Addr::from(o).to_string()),
        1 => any::<[u8; 16]>().prop_map(|o| std::net::Ipv6Addr::from(o).to_string()),
        1 => prop::sample::select(vec!["127.0.0.2", "127.0.0.1", "127.255.255.254", "192.0.2.1"]).prop_map(str::to_string),
        1 => any_text(),
    ]
}

fn reverse() -> impl Strategy<Value = ReverseDns> {
    (
        address(),
        lookup(domain_name()),
        prop::collection::vec(domain_name(), 0..2),
    )
        .prop_map(|(address, ptr, confirmed)| ReverseDns {
            address,
            ptr,
            confirmed,
        })
}

fn host_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => domain_name(),
        1 => Just(".".to_string()),
        1 => any_text(),
    ]
}

fn mx_host() -> impl Strategy<Value = MxHost> {
    (
        any::<u16>(),
        host_name(),
        prop::option::of(host_name()),
        lookup(address()),
        prop::collection::vec(reverse(), 0..2),
        prop::option::of(lookup(cut(tlsa_written().boxed()))),
    )
        .prop_map(
            |(preference, exchange, cname, addresses, reverse, tlsa)| MxHost {
                preference,
                exchange,
                cname,
                addresses,
                reverse,
                tlsa,
            },
        )
}

fn dnssec_evidence() -> impl Strategy<Value = DnssecEvidence> {
    (
        domain_name(),
        lookup(any_text()),
        prop::sample::select(vec![
            DnssecStatus::Unsigned,
            DnssecStatus::KeysWithoutDs,
            DnssecStatus::Secure,
            DnssecStatus::Bogus,
            DnssecStatus::Unknown,
        ]),
        any_text(),
    )
        .prop_map(|(zone, ds, status, detail)| DnssecEvidence {
            zone,
            ds,
            status,
            detail,
        })
}

fn bimi_assets() -> impl Strategy<Value = BimiEvidence> {
    let logo = (
        any_text(),
        any::<bool>(),
        prop::option::of(
            prop::sample::select(vec!["image/svg+xml", "text/html", ""]).prop_map(str::to_string),
        ),
        0usize..100_000,
        prop::option::of((
            prop::option::of(any_text()),
            prop::option::of(any_text()),
            any::<bool>(),
            any::<bool>(),
        )),
    )
        .prop_map(|(url, fetched, content_type, size, svg)| BimiLogo {
            url,
            fetched,
            detail: String::new(),
            content_type,
            size,
            sha256: String::new(),
            svg: svg.map(
                |(version, base_profile, has_title, root_position)| SvgFacts {
                    version,
                    base_profile,
                    has_title,
                    root_position,
                },
            ),
        });
    let certificate = (
        any_text(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(any_text(), 0..3),
        prop::option::of(any_text()),
        any::<bool>(),
        (any::<i64>(), any::<i64>()),
    )
        .prop_map(
            |(url, fetched, logotype, subject_fields, mark_type, verified, (nb, na))| {
                let mut leaf = cert(b"leaf", b"spki");
                leaf.not_before_unix = nb;
                leaf.not_after_unix = na;
                MarkCertificate {
                    leaf: fetched.then_some(leaf),
                    logotype,
                    subject_fields,
                    mark_type,
                    issuer_verified: verified,
                    ..MarkCertificate::not_fetched(&url, String::new())
                }
            },
        );
    (prop::option::of(logo), prop::option::of(certificate))
        .prop_map(|(logo, certificate)| BimiEvidence { logo, certificate })
}

fn report() -> impl Strategy<Value = DomainReport> {
    let names = (
        prop_oneof![domain_name(), Just("例え.jp".to_string()), any_text()],
        prop::option::of(mailbox()),
        prop::option::of(address()),
        prop::collection::vec(domain_name(), 0..2),
        prop::collection::vec(domain_name(), 0..2),
        any::<bool>(),
        any::<u64>(),
    );
    let mail = (
        lookup(prop_oneof![
            Just("10 mx.example.jp".to_string()),
            Just("0 .".to_string()),
            any_text()
        ]),
        prop::collection::vec(mx_host(), 0..3),
        (
            lookup(cut(text_of(dmarc_written()))),
            prop_oneof![domain_name(), any_text()],
            prop::option::of(lookup(cut(text_of(dmarc_written())))),
            prop::collection::vec(lookup(any_text()), 0..2),
            prop::collection::vec(lookup(address()), 0..2),
        ),
        prop::collection::vec(
            (
                any_text(),
                any::<bool>(),
                lookup(cut(prop_oneof![
                    text_of(dkim_written()),
                    text_of(dkim_published())
                ]
                .boxed())),
            ),
            0..3,
        ),
        (
            lookup(cut(text_of(sts_txt_written()))),
            prop::option::of((
                any_text(),
                any::<bool>(),
                cut(text_of(policy_written())),
                prop::option::of(any_text()),
            )),
        ),
        lookup(cut(text_of(tlsrpt_written()))),
    );
    let rest = (
        prop::option::of(lookup(host_name())),
        prop::option::of(lookup(any_text())),
        prop::option::of(dnssec_evidence()),
        prop::collection::vec(dnssec_evidence(), 0..2),
        prop::option::of(lookup(cut(text_of(bimi_written())))),
        prop::option::of(bimi_assets()),
        prop::option::of(reverse()),
        prop::option::of(prop::collection::vec(any_text(), 0..3)),
        prop::option::of(any::<bool>()),
        prop::collection::vec(
            (
                address(),
                prop::option::of(any_text()).prop_map(|host| match host {
                    Some(h) => AddressOf::Mx(h),
                    None => AddressOf::SendingIp,
                }),
                domain_name(),
                lookup(address()),
                prop::option::of(lookup(any_text())),
            ),
            0..3,
        ),
    );
    (names, mail, rest).prop_map(|(names, mail, rest)| {
        let (domain, mail_from, ip, approved_mx, approved_ns, parked, started_at_unix) = names;
        let (mx, mx_hosts, dmarc, dkim, (sts_txt, policy), tlsrpt) = mail;
        let (ns, dnskey, dnssec, mx_dnssec, bimi, bimi_assets, sending_ip, spf, spf_ok, dnsbl) =
            rest;
        let (lookup, org_domain, org_lookup, report_authorizations, report_addresses) = dmarc;
        let spf = spf.map(|records| spf_evidence(&domain, records));
        DomainReport {
            version: DOMAIN_REPORT_VERSION,
            domain,
            started_at_unix,
            dns_server: None,
            mail_from,
            ip,
            approved_mx,
            approved_ns,
            parked,
            mx,
            mx_hosts,
            dmarc: DmarcEvidence {
                lookup,
                org_domain,
                org_lookup,
                report_authorizations,
                report_mx: Vec::new(),
                report_addresses,
            },
            dkim: dkim
                .into_iter()
                .map(|(selector, given, lookup)| DkimEvidence {
                    selector,
                    given,
                    lookup,
                })
                .collect(),
            mta_sts: MtaStsEvidence {
                txt: sts_txt,
                policy: policy.map(|(url, fetched, body, content_type)| PolicyFetch {
                    url,
                    fetched,
                    body,
                    content_type,
                    detail: String::new(),
                }),
            },
            tlsrpt,
            ns,
            dnskey,
            dnssec,
            mx_dnssec,
            bimi,
            bimi_assets,
            sending_ip,
            spf,
            spf_ok,
            dnsbl: dnsbl
                .into_iter()
                .map(|(address, source, zone, query, txt)| DnsblCheck {
                    address,
                    source,
                    zone,
                    query,
                    txt,
                })
                .collect(),
            smtp: Vec::new(),
            findings: Vec::new(),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    /// `tag=value` lists read back: tags lower-cased, values trimmed, a repeated tag refused.
    #[test]
    fn tag_lists_read_back(
        pairs in prop::collection::vec(("[A-Za-z0-9_]{1,8}", "([!-:<-~]([ !-:<-~]{0,12}[!-:<-~])?)?"), 0..8),
        spaces in prop::collection::vec(("[ \t]{0,2}", "[ \t]{0,2}"), 8),
        trailing in any::<bool>(),
    ) {
        let mut record = pairs
            .iter()
            .zip(&spaces)
            .map(|((t, v), (a, b))| format!("{a}{t}={b}{v}"))
            .collect::<Vec<_>>()
            .join(";");
        if trailing {
            record.push(';');
        }
        let want: Vec<(String, String)> =
            pairs.iter().map(|(t, v)| (t.to_ascii_lowercase(), v.clone())).collect();
        let mut tags: Vec<&String> = want.iter().map(|(t, _)| t).collect();
        tags.sort();
        tags.dedup();
        let got = records::tag_list(&record);
        if tags.len() == want.len() {
            prop_assert_eq!(got, Ok(want));
        } else {
            prop_assert!(got.is_err());
        }
    }

    /// A DMARC record written from its parts parses back to them, and its report
    /// destinations are the domains of its addresses.
    #[test]
    fn dmarc_records_read_back((record, said) in dmarc_written()) {
        prop_assert!(records::is_dmarc(&record));
        let dests: Vec<String> = said
            .rua
            .iter()
            .chain(&said.ruf)
            .filter_map(|m| m.split_once('@').map(|(_, d)| d.to_string()))
            .collect();
        prop_assert_eq!(records::parse_dmarc(&record), Ok(said));
        let got = domain::report_destination_domains(&record);
        prop_assert!(got.iter().all(|d| dests.contains(d)));
        prop_assert!(dests.iter().all(|d| got.contains(d)));
    }

    /// Any text as a DMARC record: an accepted one holds only what the grammar allows, and
    /// its report destinations are lower-case domains, each once.
    #[test]
    fn dmarc_any_text(txt in any_text(), record_domain in domain_name()) {
        if let Ok(d) = records::parse_dmarc(&txt) {
            prop_assert!(["none", "quarantine", "reject"].contains(&d.p.as_str()));
            prop_assert!(d.pct <= 100);
            prop_assert!(matches!(d.adkim, 'r' | 's') && matches!(d.aspf, 'r' | 's'));
            for a in d.rua.iter().chain(&d.ruf) {
                prop_assert!(a.contains('@') && !a.ends_with('@'), "{}", a);
            }
        }
        let all = domain::report_destination_domains(&txt);
        for (i, d) in all.iter().enumerate() {
            prop_assert_eq!(d, &d.to_ascii_lowercase());
            prop_assert!(!d.ends_with('.'));
            prop_assert!(!all[..i].contains(d));
        }
        for d in domain::external_report_destinations(&record_domain, &txt) {
            prop_assert!(all.contains(&d));
        }
        let _ = records::is_dmarc(&txt);
    }

    /// A DKIM key record, published or of an RSA key of any size: its size is read
    /// exactly; cut about or any text, it is judged without a panic.
    #[test]
    fn dkim_keys_are_measured(
        (record, said) in prop_oneof![dkim_written(), dkim_published()],
        e in edits(),
        txt in any_text(),
    ) {
        prop_assert!(records::is_dkim_key(&record));
        prop_assert_eq!(records::parse_dkim_key(&record), said);
        let _ = records::parse_dkim_key(&mutate(&record, &e)).testing();
        let _ = (records::parse_dkim_key(&txt), records::is_dkim_key(&txt));
    }

    /// MTA-STS: a record with an id of 1 to 32 letters and digits gives it back; a policy
    /// written from its parts, in any line order with unknown keys, parses back to them;
    /// anything else is refused or holds only what the grammar allows.
    #[test]
    fn mta_sts_reads_back(
        (txt_record, id) in sts_txt_written(),
        (body, said) in policy_written(),
        txt in any_text(),
    ) {
        prop_assert!(records::is_mta_sts(&txt_record));
        prop_assert_eq!(records::check_mta_sts_txt(&txt_record), Ok(id));
        match said {
            Some(policy) => prop_assert_eq!(records::parse_sts_policy(&body), Ok(policy)),
            None => prop_assert!(records::parse_sts_policy(&body).is_err()),
        }
        if let Ok(id) = records::check_mta_sts_txt(&txt) {
            prop_assert!((1..=32).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric()));
        }
        if let Ok(p) = records::parse_sts_policy(&txt) {
            prop_assert!(["enforce", "testing", "none"].contains(&p.mode.as_str()));
            prop_assert!(p.max_age <= 31_557_600);
        }
        let _ = records::is_mta_sts(&txt);
    }

    /// An MTA-STS `mx:` pattern matches its own host and, as `*.parent`, any one label
    /// under it, in any case; never two labels.
    #[test]
    fn sts_patterns_match(label in "[a-z0-9-]{1,10}", parent in domain_name(), other in any_text(), dots in "\\.?") {
        let host = format!("{label}.{parent}{dots}");
        let wildcard = format!("*.{parent}");
        let two_below = format!("x.{host}");
        prop_assert!(records::sts_mx_matches(&host.to_ascii_uppercase(), &host));
        prop_assert!(records::sts_mx_matches(&wildcard, &host.to_ascii_uppercase()));
        prop_assert!(!records::sts_mx_matches(&wildcard, &two_below));
        let _ = (records::sts_mx_matches(&other, &host), records::sts_mx_matches(&host, &other));
    }

    /// TLS-RPT: a record written from its URIs gives them back; any text is refused or
    /// holds only mailto: and https: URIs, and begins the way senders look for.
    #[test]
    fn tlsrpt_reads_back((record, uris) in tlsrpt_written(), txt in any_text()) {
        prop_assert_eq!(records::parse_tlsrpt(&record), Ok(uris));
        if let Ok(got) = records::parse_tlsrpt(&txt) {
            prop_assert!(records::is_tlsrpt(&txt) && records::looks_like_tlsrpt(&txt));
            for u in got {
                let lower = u.to_ascii_lowercase();
                prop_assert!(lower.starts_with("mailto:") || lower.starts_with("https://"), "{}", u);
            }
        }
    }

    /// BIMI: the logo and certificate URLs read back; any text is refused or holds only
    /// https:// URLs or nothing.
    #[test]
    fn bimi_reads_back((record, said) in bimi_written(), txt in any_text()) {
        prop_assert!(records::is_bimi(&record));
        prop_assert_eq!(records::parse_bimi(&record), Ok(said));
        if let Ok(b) = records::parse_bimi(&txt) {
            for url in [&b.logo, &b.certificate] {
                prop_assert!(url.is_empty() || url.to_ascii_lowercase().starts_with("https://"), "{}", url);
            }
        }
    }

    /// A TLSA record made from a chain's certificate or key matches that chain as a DANE
    /// client would match it; any text is judged without a panic.
    #[test]
    fn tlsa_records_match_their_chain(
        ders in prop::collection::vec((prop::collection::vec(any::<u8>(), 1..80), prop::collection::vec(any::<u8>(), 1..40)), 2..4),
        (usage, selector, matching) in (2u8..=3, 0u8..=1, 0u8..=2),
        upper in any::<bool>(),
        txt in any_text(),
    ) {
        let chain: Vec<CertInfo> = ders.iter().map(|(d, s)| cert(d, s)).collect();
        let (der, spki) = if usage == 3 { &ders[0] } else { &ders[1] };
        let data = match (selector, matching) {
            (0, 0) => hex(der),
            (1, 0) => hex(spki),
            (0, 1) => chain[usize::from(usage == 2)].sha256.clone(),
            (0, _) => chain[usize::from(usage == 2)].sha512.clone(),
            (_, 1) => chain[usize::from(usage == 2)].spki_sha256.clone(),
            _ => chain[usize::from(usage == 2)].spki_sha512.clone(),
        };
        let data = if upper { data.to_ascii_uppercase() } else { data };
        let record = format!("{usage} {selector} {matching} {data}");
        prop_assert_eq!(records::tlsa_matches(&record, &chain), Some(true), "{}", record);
        prop_assert_eq!(records::check_tlsa(&record), Ok(()));
        if records::check_tlsa(&txt).is_ok() {
            prop_assert!(records::parse_tlsa(&txt).is_some());
        }
        let _ = records::tlsa_matches(&txt, &chain);
    }

    /// Blocklist answers: listed as soon as one answer is a listing code, refused when all
    /// are the "you may not ask" codes or lie outside 127/8, nothing when none is an
    /// address; the order of the answers does not matter.
    #[test]
    fn dnsbl_answers_are_classified(
        answers in prop::collection::vec(prop_oneof![
            (2u8..=254).prop_map(|w| format!("127.0.0.{w}")),
            prop::sample::select(vec!["127.0.0.1", "127.0.0.255", "127.255.255.254", "127.255.255.252"]).prop_map(str::to_string),
            any::<[u8; 4]>().prop_map(|o| Ipv4Addr::from(o).to_string()),
            any_text(),
        ], 0..5),
        rotate in any::<usize>(),
        ip in prop_oneof![any::<[u8; 4]>().prop_map(IpAddr::from), any::<[u8; 16]>().prop_map(IpAddr::from)],
        zone in prop_oneof![domain_name(), any_text()],
    ) {
        let addrs: Vec<Ipv4Addr> = answers.iter().filter_map(|a| a.parse().ok()).collect();
        let listing = |a: &Ipv4Addr| {
            let [x, y, z, w] = a.octets();
            x == 127 && !(y == 255 && z == 255) && !(y == 0 && z == 0 && matches!(w, 1 | 255))
        };
        let want = if addrs.is_empty() {
            None
        } else if addrs.iter().any(listing) {
            Some(dnsbl::Verdict::Listed)
        } else {
            Some(dnsbl::Verdict::Refused)
        };
        prop_assert_eq!(dnsbl::classify(&answers), want);
        let mut turned = answers.clone();
        if !turned.is_empty() {
            let n = rotate % turned.len();
            turned.rotate_left(n);
        }
        prop_assert_eq!(dnsbl::classify(&turned), want);
        let name = dnsbl::query_name(ip, &zone);
        let zone = zone.trim_end_matches('.');
        prop_assert!(name.ends_with(zone));
        let labels = name[..name.len() - zone.len()].matches('.').count();
        prop_assert_eq!(labels, if ip.is_ipv4() { 4 } else { 32 });
        let _ = dnsbl::lists_ipv6(zone);
    }

    /// The organisational domain of any name: a suffix of the name's ASCII form with one
    /// label more than its public suffix, its own organisational domain; a name below a
    /// registered domain shares that domain's.
    #[test]
    fn organisational_domains(
        below in prop::collection::vec("[a-z0-9-]{1,8}", 0..3),
        label in "[a-z0-9]{1,10}",
        suffix in prop::sample::select(vec!["jp", "co.jp", "com", "co.uk", "kawasaki.jp", "city.kawasaki.jp", "ck", "www.ck", "github.io", "xn--wgv71a119e.jp", "東京.jp", "invalid-tld-x"]),
        any_name in prop_oneof![any::<String>(), "[a-zA-Z0-9.-]{0,30}", "[\\PC&&[^ ]]{1,12}\\.[a-z]{2,3}"],
        dot in "\\.?",
    ) {
        for name in [format!("{}.{label}.{suffix}{dot}", below.join(".")), any_name.clone()] {
            let name = name.trim_start_matches('.').to_string();
            if let Some(org) = psl::org_domain(&name) {
                let ascii = idna::domain_to_ascii(name.trim_end_matches('.')).unwrap_or_default();
                let dotted = format!(".{org}");
                prop_assert!(ascii == org || ascii.ends_with(&dotted), "{} of {}", org, name);
                prop_assert!(org.contains('.'), "{}", org);
                prop_assert_eq!(psl::org_domain(&org), Some(org.clone()));
                let deeper = format!("x1.{org}");
                prop_assert_eq!(psl::org_domain(&deeper), Some(org.clone()));
            }
        }
    }

    /// The domain rules over evidence full of hostile records: no panic, the same findings
    /// every time, each with a code and parameters that serialize.
    #[test]
    fn domain_rules_take_any_evidence(report in report()) {
        let findings = domain::diagnose(&report);
        prop_assert_eq!(&findings, &domain::diagnose(&report));
        prop_assert!(serde_json::to_string(&findings).is_ok());
        let _ = domain::applied_dmarc(&report.dmarc);
    }
}

/// SPF evidence of `domain` with these records at the top and nothing else found.
fn spf_evidence(domain: &str, records: Vec<String>) -> SpfEvidence {
    SpfEvidence::top_records(domain, records)
}
