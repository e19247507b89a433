//! Tests of the provider knowledge: the embedded ISPDB, the own table (a golden table of every
//! domain), notes, MX and certificate lookups. Offline by construction: nothing here touches
//! the network. Panicking with a message is how they fail.
#![allow(clippy::panic)]

use super::*;
use Protocol::{Imap, Pop3, Smtp};
use Security::{Plain, Starttls, Tls};
use maildoc_model::provider::Grade;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

fn own() -> &'static [ProviderInfo] {
    let db = db();
    &db.providers[..db.own_count]
}

fn ispdb() -> &'static [ProviderInfo] {
    let db = db();
    &db.providers[db.own_count..]
}

fn by_id(id: &str) -> &'static ProviderInfo {
    all()
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no provider `{id}`"))
}

// ---------------------------------------------------------------------------------------------
// The ISPDB snapshot

#[test]
fn every_file_in_data_ispdb_is_embedded_unchanged() {
    let dir = data_dir().join("ispdb");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".xml"))
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = ISPDB_FILES.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(embedded, on_disk, "data/ispdb and the embedded list differ");
    for (name, text) in ISPDB_FILES {
        let disk = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert_eq!(*text, disk, "{name}: embedded text differs from the file");
    }
    // The snapshot of commit c6ad796 has 163 provider files (see data/ispdb/SOURCE.md).
    assert_eq!(ISPDB_FILES.len(), 163);
    for beside in ["LICENSE", "SOURCE.md"] {
        assert!(dir.join(beside).is_file(), "data/ispdb/{beside} is missing");
    }
    let license = std::fs::read_to_string(dir.join("LICENSE")).unwrap_or_default();
    assert!(license.starts_with("Mozilla Public License Version 2.0"));
    let source = std::fs::read_to_string(dir.join("SOURCE.md")).unwrap_or_default();
    assert!(source.contains("c6ad79659b5fc321d1593ec4c277815b83e5dec5"));
}

#[test]
fn every_ispdb_file_parses_and_yields_servers() {
    for (file, xml) in ISPDB_FILES {
        let p = parse_ispdb(file, xml).unwrap_or_else(|e| panic!("{e}"));
        assert!(!p.domains.is_empty(), "{file}: no domains");
        assert!(!p.servers.is_empty(), "{file}: no IMAP/POP3/SMTP server");
        assert!(!p.name.is_empty(), "{file}: no name");
        assert_eq!(
            p.source,
            ProviderSource::Ispdb {
                file: file.to_string()
            }
        );
        for s in &p.servers {
            assert!(s.port > 0, "{file}: port 0");
            let host = s.host.as_deref().unwrap_or_default();
            assert!(!host.is_empty(), "{file}: empty host");
            assert!(!host.contains(char::is_whitespace), "{file}: host {host:?}");
        }
        for d in &p.domains {
            assert_eq!(*d, d.trim().to_ascii_lowercase(), "{file}: domain {d:?}");
        }
    }
    // Every file made it into `all()`.
    assert_eq!(ispdb().len(), ISPDB_FILES.len());
    assert_eq!(all().len(), own().len() + ISPDB_FILES.len());
}

#[test]
fn ispdb_counts_match_the_snapshot_description() {
    // The snapshot has 142 imap, 165 pop3 and 202 smtp server elements, all with hostname, port
    // and socketType: every one of them must be read.
    let count = |proto| {
        ispdb()
            .iter()
            .flat_map(|p| &p.servers)
            .filter(|s| s.protocol == proto)
            .count()
    };
    assert_eq!(count(Imap), 142);
    assert_eq!(count(Pop3), 165);
    assert_eq!(count(Smtp), 202);
}

#[test]
fn ispdb_format_traps_are_handled() {
    // ews/owa/graph/exchange servers (no hostname or a URL) are skipped, imap/pop3/smtp kept.
    let o365 = by_id("office365.com");
    let protos: Vec<Protocol> = o365.servers.iter().map(|s| s.protocol).collect();
    assert_eq!(protos, vec![Imap, Pop3, Smtp]);
    // A server without <username> takes the incoming server's rule.
    let kokuyou = by_id("kokuyou.ne.jp");
    let smtp = kokuyou.servers.iter().find(|s| s.protocol == Smtp);
    assert_eq!(
        smtp.map(|s| (&s.username, s.port, s.security)),
        Some((&UsernameRule::LocalPart, 25, Plain))
    );
    // Other username templates are kept and expanded.
    let odd = ispdb()
        .iter()
        .flat_map(|p| &p.servers)
        .find(|s| matches!(&s.username, UsernameRule::Other(t) if t.contains("%EMAILDOMAIN%")))
        .unwrap_or_else(|| panic!("no %EMAILLOCALPART%.%EMAILDOMAIN% template"));
    assert_eq!(
        username_for(odd, "taro@example.jp").as_deref(),
        Some("taro.example.jp")
    );
    // Host templates are filled in per address and are not known hosts.
    let inbox = by_id("inbox.lv");
    let imap = inbox
        .servers
        .iter()
        .find(|s| s.protocol == Imap)
        .unwrap_or_else(|| panic!("inbox.lv imap"));
    assert_eq!(imap.host.as_deref(), Some("mail.%EMAILDOMAIN%"));
    assert_eq!(
        host_for(imap, "a@Inbox.LV").as_deref(),
        Some("mail.inbox.lv")
    );
    assert!(known_hosts().iter().all(|h| !h.contains('%')));
    // The %EMAILADDRESS typo means the whole address.
    assert_eq!(expand("%EMAILADDRESS", "a@b.jp"), "a@b.jp");
    // An entity in a display name is decoded.
    assert_eq!(by_id("1und1.de").name, "1&1");
    // Six Zoho files share one emailProvider id; ids are the file names and stay unique.
    assert!(ispdb().iter().any(|p| p.id == "zoho.eu"));
    // A domain listed twice in one file is kept once.
    let cty = ispdb()
        .iter()
        .find(|p| p.domains.iter().any(|d| d == "cty-net.ne.jp"))
        .unwrap_or_else(|| panic!("cty-net"));
    assert_eq!(
        cty.domains.iter().filter(|d| *d == "cty-net.ne.jp").count(),
        1
    );
}

#[test]
fn ispdb_mx_domains_follow_mx_comments_only() {
    let mx = |id: &str| by_id(id).mx_suffixes.clone();
    assert_eq!(
        mx("googlemail.com"),
        vec!["google.com", "jazztel.es", "nyu.edu"]
    );
    assert_eq!(mx("hotmail.com"), vec!["olc.protection.outlook.com"]);
    assert_eq!(mx("office365.com"), vec!["mail.protection.outlook.com"]);
    assert_eq!(mx("1und1.de"), vec!["kundenserver.de", "schlund.de"]);
    assert_eq!(mx("aol.com"), vec!["mail.gm0.yahoodns.net"]);
    // A later comment that does not mention MX ends the group.
    assert_eq!(
        mx("yahoo.com"),
        vec!["mail.am0.yahoodns.net", "am0.yahoodns.net"]
    );
    // "mail.com has MX of mx0.gmx.com ..." is followed by another comment, not by domains.
    assert!(mx("mail.com").is_empty());
    assert!(mx("gmx.net").is_empty());
    assert!(mentions_mx(" MX, for Google Apps "));
    assert!(!mentions_mx(" big domains "));
    assert!(!mentions_mx(" MXtoolbox "));
}

// ---------------------------------------------------------------------------------------------
// The own table

#[derive(Clone, Copy, Debug)]
enum U {
    A,
    L,
    O(&'static str),
}

/// Protocol, host, port, security, user name, grade of the server and of the user name.
type Server = (
    Protocol,
    Option<&'static str>,
    u16,
    Security,
    U,
    Grade,
    Grade,
);

use Grade::{A, B, C, D};

const DOCOMO_ID: U = U::O("IMAP専用ID (IMAP-only ID, in My docomo)");
const AU_ID: U = U::O("au が発行した ID (the ID au issued, not the address)");
const KAGOYA_ID: U = U::O("KAGOYA のメールアカウント名 (mail account name, e.g. kir000000.info)");

const AU: &[Server] = &[
    (Imap, Some("imap.ezweb.ne.jp"), 993, Tls, AU_ID, D, D),
    (Smtp, Some("smtp.ezweb.ne.jp"), 465, Tls, AU_ID, D, D),
];
const SO_NET: &[Server] = &[
    (Imap, Some("imap.so-net.ne.jp"), 993, Tls, U::A, C, D),
    (Pop3, Some("pop.so-net.ne.jp"), 995, Tls, U::A, C, D),
    (Smtp, Some("mail.so-net.ne.jp"), 587, Starttls, U::A, D, D),
];
const PLALA: &[Server] = &[(Smtp, Some("secure.plala.or.jp"), 587, Starttls, U::A, D, D)];
const ICLOUD: &[Server] = &[
    (Imap, Some("imap.mail.me.com"), 993, Tls, U::L, B, B),
    (Smtp, Some("smtp.mail.me.com"), 587, Starttls, U::A, B, B),
];
const GMAIL: &[Server] = &[
    (Imap, Some("imap.gmail.com"), 993, Tls, U::A, B, B),
    (Pop3, Some("pop.gmail.com"), 995, Tls, U::A, B, B),
    (Smtp, Some("smtp.gmail.com"), 465, Tls, U::A, B, B),
    (Smtp, Some("smtp.gmail.com"), 587, Starttls, U::A, C, B),
];
const OUTLOOK_COM: &[Server] = &[
    (Imap, Some("outlook.office365.com"), 993, Tls, U::A, A, A),
    (Pop3, Some("outlook.office365.com"), 995, Tls, U::A, A, A),
    (
        Smtp,
        Some("smtp-mail.outlook.com"),
        587,
        Starttls,
        U::A,
        A,
        A,
    ),
];
const M365: &[Server] = &[
    (Imap, Some("outlook.office365.com"), 993, Tls, U::A, A, A),
    (Pop3, Some("outlook.office365.com"), 995, Tls, U::A, A, A),
    (Smtp, Some("smtp.office365.com"), 587, Starttls, U::A, A, A),
];
const BIGLOBE: &[Server] = &[
    (Imap, Some("mail.biglobe.ne.jp"), 993, Tls, U::A, C, A),
    (Pop3, Some("mail.biglobe.ne.jp"), 995, Tls, U::A, A, A),
    (Smtp, Some("mail.biglobe.ne.jp"), 465, Tls, U::A, B, A),
];
const NIFTY: &[Server] = &[
    (Imap, Some("imap.nifty.com"), 993, Tls, U::A, C, B),
    (Pop3, Some("pop.nifty.com"), 995, Tls, U::A, B, B),
    (Smtp, Some("smtp.nifty.com"), 465, Tls, U::A, C, B),
    (Smtp, Some("smtp.nifty.com"), 587, Plain, U::A, B, B),
];
const OCN: &[Server] = &[
    (Imap, Some("imap.ocn.ne.jp"), 993, Tls, U::A, C, B),
    (Pop3, Some("pop.ocn.ne.jp"), 995, Tls, U::A, B, B),
    (Smtp, Some("smtp.ocn.ne.jp"), 465, Tls, U::A, B, B),
];
const GOO: &[Server] = &[
    (Imap, Some("imap.mail.goo.jp"), 993, Tls, U::A, B, B),
    (Pop3, Some("pop.mail.goo.jp"), 995, Tls, U::A, B, B),
    (Smtp, Some("smtp.mail.goo.jp"), 465, Tls, U::A, B, B),
];

/// Every domain of the own table (wildcards as an example subdomain): the provider it must
/// resolve to, and exactly the settings it must yield.
const GOLDEN: &[(&str, &str, &[Server])] = &[
    (
        "docomo.ne.jp",
        "docomo",
        &[
            (Imap, Some("imap.spmode.ne.jp"), 993, Tls, DOCOMO_ID, C, A),
            (Smtp, Some("smtp.spmode.ne.jp"), 465, Tls, DOCOMO_ID, C, A),
        ],
    ),
    ("au.com", "au", AU),
    ("ezweb.ne.jp", "au", AU),
    (
        "i.softbank.jp",
        "softbank-i",
        &[
            (Imap, Some("imap.softbank.jp"), 993, Tls, U::L, B, B),
            (Smtp, Some("smtp.softbank.jp"), 465, Tls, U::L, B, B),
        ],
    ),
    ("softbank.ne.jp", "softbank-mms", &[]),
    ("ab.auone-net.jp", "au-one-net", &[]),
    ("ab.dion.ne.jp", "au-one-net", &[]),
    ("so-net.ne.jp", "so-net", SO_NET),
    ("aa2.so-net.ne.jp", "so-net", SO_NET),
    ("plala.or.jp", "plala", PLALA),
    ("violet.plala.or.jp", "plala", PLALA),
    ("ocn.ne.jp", "ocn", OCN),
    ("biglobe.ne.jp", "biglobe", BIGLOBE),
    ("abc.biglobe.ne.jp", "biglobe", BIGLOBE),
    ("nifty.com", "nifty", NIFTY),
    ("goo.jp", "goo", GOO),
    (
        "yahoo.co.jp",
        "yahoo-japan",
        &[
            (Imap, Some("imap.mail.yahoo.co.jp"), 993, Tls, U::L, B, B),
            (Pop3, Some("pop.mail.yahoo.co.jp"), 995, Tls, U::L, B, B),
            (Smtp, Some("smtp.mail.yahoo.co.jp"), 465, Tls, U::L, B, B),
        ],
    ),
    (
        "ybb.ne.jp",
        "yahoo-bb",
        &[
            (Pop3, Some("ybbpop.mail.yahoo.co.jp"), 995, Tls, U::L, B, B),
            (Smtp, Some("ybbsmtp.mail.yahoo.co.jp"), 465, Tls, U::L, B, B),
        ],
    ),
    ("icloud.com", "icloud", ICLOUD),
    ("me.com", "icloud", ICLOUD),
    ("mac.com", "icloud", ICLOUD),
    ("gmail.com", "gmail", GMAIL),
    ("googlemail.com", "gmail", GMAIL),
    ("outlook.com", "outlook-com", OUTLOOK_COM),
    ("hotmail.com", "outlook-com", OUTLOOK_COM),
    ("live.com", "outlook-com", OUTLOOK_COM),
    ("msn.com", "outlook-com", OUTLOOK_COM),
    ("outlook.jp", "outlook-com", OUTLOOK_COM),
    ("hotmail.co.jp", "outlook-com", OUTLOOK_COM),
    ("live.jp", "outlook-com", OUTLOOK_COM),
    ("contoso.onmicrosoft.com", "microsoft-365", M365),
];

/// Hosting companies have no mail domains of their own: their settings by id.
const GOLDEN_HOSTERS: &[(&str, &[Server])] = &[
    (
        "xserver",
        &[
            (Imap, None, 993, Tls, U::A, C, C),
            (Imap, None, 143, Starttls, U::A, C, C),
            (Pop3, None, 995, Tls, U::A, C, C),
            (Pop3, None, 110, Starttls, U::A, C, C),
            (Smtp, None, 465, Tls, U::A, C, C),
            (Smtp, None, 587, Starttls, U::A, C, C),
        ],
    ),
    (
        "sakura",
        &[
            (Imap, None, 993, Tls, U::A, C, D),
            (Pop3, None, 995, Tls, U::A, C, D),
            (Smtp, None, 587, Starttls, U::A, C, D),
        ],
    ),
    (
        "lolipop",
        &[
            (Imap, Some("imap.lolipop.jp"), 993, Tls, U::A, D, D),
            (Pop3, Some("pop3.lolipop.jp"), 995, Tls, U::A, D, D),
            (Smtp, Some("smtp.lolipop.jp"), 465, Tls, U::A, D, D),
        ],
    ),
    (
        "kagoya",
        &[
            (Imap, Some("imap.kagoya.net"), 993, Tls, KAGOYA_ID, D, A),
            (
                Smtp,
                Some("smtp.kagoya.net"),
                587,
                Starttls,
                KAGOYA_ID,
                D,
                A,
            ),
            (Smtp, Some("smtp.kagoya.net"), 465, Tls, KAGOYA_ID, D, A),
        ],
    ),
    ("conoha-wing", &[(Smtp, None, 587, Starttls, U::A, D, D)]),
];

/// Every retired setting of the own table: provider, host, protocol, port, security, since,
/// grade.
type Retired = (
    &'static str,
    Option<&'static str>,
    Option<Protocol>,
    Option<u16>,
    Option<Security>,
    &'static str,
    Grade,
);

const GOLDEN_RETIRED: &[Retired] = &[
    (
        "plala",
        Some("*.mail.plala.or.jp"),
        None,
        None,
        None,
        "2022-11-19",
        B,
    ),
    ("plala", None, Some(Smtp), Some(25), None, "2006-07-26", A),
    ("ocn", None, None, None, Some(Plain), "2019-10", C),
    (
        "biglobe",
        None,
        Some(Pop3),
        Some(110),
        Some(Plain),
        "2022-04-03",
        B,
    ),
    (
        "biglobe",
        None,
        Some(Smtp),
        Some(587),
        Some(Plain),
        "2022-04-03",
        B,
    ),
    (
        "goo",
        Some("pop.mail.goo.ne.jp"),
        None,
        None,
        None,
        "2025-03-31",
        B,
    ),
    (
        "goo",
        Some("smtp.mail.goo.ne.jp"),
        None,
        None,
        None,
        "2025-03-31",
        B,
    ),
];

fn expected(servers: &[Server]) -> Vec<ProviderServer> {
    servers
        .iter()
        .map(
            |(protocol, host, port, security, user, grade, username_grade)| ProviderServer {
                protocol: *protocol,
                host: host.map(str::to_string),
                port: *port,
                security: *security,
                username: match user {
                    U::A => UsernameRule::Address,
                    U::L => UsernameRule::LocalPart,
                    U::O(s) => UsernameRule::Other(s.to_string()),
                },
                grade: *grade,
                username_grade: *username_grade,
            },
        )
        .collect()
}

#[test]
fn every_retired_setting_is_in_the_golden_table() {
    let got: Vec<Retired> = own()
        .iter()
        .flat_map(|p| {
            p.retired.iter().map(|r| {
                (
                    p.id.as_str(),
                    r.host.as_deref(),
                    r.protocol,
                    r.port,
                    r.security,
                    r.since.as_str(),
                    r.grade,
                )
            })
        })
        .collect();
    assert_eq!(got, GOLDEN_RETIRED);
    // Only plain names are known hosts; patterns are not.
    let hosts = known_hosts();
    assert!(hosts.contains(&"pop.mail.goo.ne.jp"));
    assert!(!hosts.iter().any(|h| h.starts_with("*.")));
    // Every provider with a retired setting has a current server to name instead.
    for p in own().iter().filter(|p| !p.retired.is_empty()) {
        assert!(
            p.servers.iter().any(|s| s.host.is_some()),
            "{}: retired settings but no server to name",
            p.id
        );
    }
}

#[test]
fn values_from_third_parties_and_real_configs_are_graded_so() {
    // Where the sources have no official value, nothing is graded A or B.
    for id in [
        "au",
        "so-net",
        "plala",
        "lolipop",
        "conoha-wing",
        "sakura",
        "xserver",
    ] {
        for s in &by_id(id).servers {
            assert!(!s.grade.confirmed(), "{id}: {s:?}");
        }
    }
    // Every ISPDB value is B.
    assert!(
        ispdb()
            .iter()
            .flat_map(|p| &p.servers)
            .all(|s| s.grade == B && s.username_grade == B)
    );
    assert!(A.confirmed() && B.confirmed() && !C.confirmed() && !D.confirmed());
}

#[test]
fn the_own_table_parses() {
    let raw = parse_table(TABLE).unwrap_or_else(|e| panic!("{e}"));
    let count = raw.provider.len();
    for p in raw.provider {
        let id = p.id.clone();
        p.into_info().unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    assert_eq!(own().len(), count, "an own-table entry was dropped");
}

#[test]
fn every_own_domain_yields_exactly_the_documented_settings() {
    for (domain, id, servers) in GOLDEN {
        let p = for_domain(domain).unwrap_or_else(|| panic!("{domain}: no provider"));
        assert_eq!(p.id, *id, "{domain}");
        assert_eq!(p.servers, expected(servers), "{domain}: settings differ");
        assert!(
            matches!(p.source, ProviderSource::Table { .. }),
            "{domain}: not from the own table"
        );
    }
    for (id, servers) in GOLDEN_HOSTERS {
        let p = by_id(id);
        assert!(p.domains.is_empty(), "{id}: hosters have no domains");
        assert_eq!(p.servers, expected(servers), "{id}: settings differ");
    }
    // Every domain of the own table is in the golden table (wildcards by an example).
    for p in own() {
        for d in &p.domains {
            let covered = GOLDEN.iter().any(|(g, id, _)| {
                *id == p.id
                    && match d.strip_prefix("*.") {
                        Some(parent) => is_strict_subdomain(g, parent),
                        None => g == d,
                    }
            });
            assert!(covered, "{}: domain {d} has no golden entry", p.id);
        }
        if p.domains.is_empty() {
            assert!(
                GOLDEN_HOSTERS.iter().any(|(id, _)| *id == p.id),
                "{}: no golden entry",
                p.id
            );
        }
    }
}

#[test]
fn the_own_table_is_well_formed() {
    for p in own() {
        assert!(!p.id.contains('.'), "{}: own ids have no dots", p.id);
        assert!(!p.name.trim().is_empty(), "{}: no name", p.id);
        let urls = table_urls(&p.id).unwrap_or_else(|| panic!("{}: no urls", p.id));
        let ProviderSource::Table { url } = &p.source else {
            panic!("{}: source", p.id)
        };
        assert_eq!(Some(url), urls.first(), "{}", p.id);
        assert!(
            url.starts_with("https://") || url.starts_with("http://"),
            "{}",
            p.id
        );
        for u in urls {
            assert!(
                u.starts_with("https://")
                    || u.starts_with("http://")
                    || u.strip_prefix("ispdb:")
                        .is_some_and(|f| ISPDB_FILES.iter().any(|(n, _)| *n == f)),
                "{}: bad source {u}",
                p.id
            );
        }
        for s in &p.servers {
            if let Some(h) = &s.host {
                assert_eq!(*h, h.to_ascii_lowercase(), "{}", p.id);
                assert!(h.contains('.') && !h.contains(char::is_whitespace), "{h}");
            } else {
                assert!(
                    !p.notes.is_empty(),
                    "{}: host per contract, but no note",
                    p.id
                );
            }
        }
        if p.not_for_mail_apps {
            assert!(
                p.servers.is_empty(),
                "{}: not for mail apps, yet servers",
                p.id
            );
        }
        if p.servers.is_empty() {
            assert!(!p.notes.is_empty(), "{}: no servers and no note", p.id);
        }
        for d in p.domains.iter().chain(&p.mx_suffixes) {
            let bare = d.strip_prefix("*.").unwrap_or(d);
            assert!(
                bare.contains('.') && !bare.contains('*') && *d == d.to_ascii_lowercase(),
                "{}: bad domain {d}",
                p.id
            );
        }
    }
}

#[test]
fn provider_ids_are_unique() {
    let mut seen = BTreeSet::new();
    for p in all() {
        assert!(seen.insert(p.id.as_str()), "duplicate provider id {}", p.id);
    }
}

#[test]
fn own_domains_are_unique_within_the_own_table() {
    let mut seen = BTreeMap::new();
    for p in own() {
        for d in &p.domains {
            if let Some(other) = seen.insert(d.as_str(), p.id.as_str()) {
                panic!("{d} is in both {other} and {}", p.id);
            }
        }
    }
}

#[test]
fn softbank_mms_is_not_for_mail_apps() {
    let p = for_domain("softbank.ne.jp").unwrap_or_else(|| panic!("softbank.ne.jp"));
    assert!(p.not_for_mail_apps);
    assert!(p.servers.is_empty());
    assert!(p.notes.iter().any(|n| n == "softbank-mms-only"));
    for &lang in Lang::ALL {
        assert!(note("softbank-mms-only", lang).is_some_and(|t| t.contains("i.softbank.jp")));
    }
    // The iPhone address of SoftBank is a mail address, with the ISPDB's servers.
    let i = for_domain("i.softbank.jp").unwrap_or_else(|| panic!("i.softbank.jp"));
    assert!(!i.not_for_mail_apps);
    assert_eq!(i.id, "softbank-i");
    assert_eq!(i.servers, by_id("i.softbank.jp").servers);
}

#[test]
fn domain_lookup_rules() {
    let id = |d: &str| for_domain(d).map(|p| p.id.as_str());
    // Case, spaces and a trailing dot do not matter.
    assert_eq!(id(" GMail.COM. "), Some("gmail"));
    assert_eq!(id("DoCoMo.ne.jp"), Some("docomo"));
    // The own table wins over the ISPDB for the same domain.
    assert!(
        by_id("googlemail.com")
            .domains
            .iter()
            .any(|d| d == "gmail.com")
    );
    assert!(
        by_id("hotmail.com")
            .domains
            .iter()
            .any(|d| d == "outlook.jp")
    );
    assert_eq!(id("outlook.jp"), Some("outlook-com"));
    assert_eq!(id("icloud.com"), Some("icloud"));
    assert_eq!(id("ocn.ne.jp"), Some("ocn"));
    // ISPDB-only domains come from the ISPDB (ocn.ad.jp is in the ISPDB's OCN file only).
    assert_eq!(id("ocn.ad.jp"), Some("ocn.ne.jp"));
    // The own OCN entry takes POP3 and SMTP from the ISPDB file it cites, unchanged, and adds
    // IMAP from other sources.
    assert_eq!(by_id("ocn").servers[1..], by_id("ocn.ne.jp").servers[..]);
    // The own @nifty entry replaces the snapshot's outdated file (POP3 on 110 without TLS).
    assert_eq!(id("nifty.com"), Some("nifty"));
    assert_ne!(by_id("nifty").servers, by_id("nifty.com").servers);
    assert_eq!(id("yahoo.co.jp"), Some("yahoo-japan"));
    // The own goo entry replaces the snapshot's old hosts.
    assert_eq!(id("goo.jp"), Some("goo"));
    assert_eq!(id("gmx.de"), Some("gmx.net"));
    // A wildcard covers subdomains, not look-alikes; plain domains cover no subdomains.
    assert_eq!(id("x.y.so-net.ne.jp"), Some("so-net"));
    assert_eq!(id("notso-net.ne.jp"), None);
    assert_eq!(id("foo.gmail.com"), None);
    assert_eq!(id("onmicrosoft.com"), Some("office365.com"));
    assert_eq!(id("example.jp"), None);
    assert_eq!(id(""), None);
}

#[test]
fn mx_lookup_works() {
    let id = |mx: &str| for_mx(mx).map(|p| p.id.as_str());
    assert_eq!(id("aspmx.l.google.com"), Some("gmail"));
    assert_eq!(id("ALT1.ASPMX.L.GOOGLE.COM."), Some("gmail"));
    assert_eq!(id("smtp.google.com"), Some("gmail"));
    assert_eq!(
        id("example-com.mail.protection.outlook.com"),
        Some("microsoft-365")
    );
    assert_eq!(
        id("outlook-com.olc.protection.outlook.com"),
        Some("outlook-com")
    );
    assert_eq!(id("dmail.kagoya.net"), Some("kagoya"));
    // ISPDB MX domains.
    assert_eq!(id("mx01.kundenserver.de"), Some("1und1.de"));
    assert_eq!(id("mta5.am0.yahoodns.net"), Some("yahoo.com"));
    assert_eq!(id("mx-eu.mail.am0.yahoodns.net"), Some("yahoo.com"));
    assert_eq!(id("mx.mail.gm0.yahoodns.net"), Some("aol.com"));
    assert_eq!(id("bgmgate1.biglobe.ne.jp"), Some("biglobe.ne.jp"));
    // Hosting companies, by the parent of their server names.
    assert_eq!(id("www1234.sakura.ne.jp"), Some("sakura"));
    assert_eq!(id("sv1234.xserver.jp"), Some("xserver"));
    assert_eq!(id("smtp.mail1234.conoha.ne.jp"), Some("conoha-wing"));
    // Not a suffix match.
    assert_eq!(id("notgoogle.com"), None);
    assert_eq!(id("mail.example.jp"), None);
    assert_eq!(id(""), None);
}

#[test]
fn certificate_names_of_shared_hosting() {
    let id = |n: &str| hosting_for_cert_name(n).map(|p| p.id.as_str());
    assert_eq!(id("*.sakura.ne.jp"), Some("sakura"));
    assert_eq!(id("www1234.sakura.ne.jp"), Some("sakura"));
    assert_eq!(id("SV1234.XServer.jp"), Some("xserver"));
    assert_eq!(id("*.xserver.jp"), Some("xserver"));
    assert_eq!(id("a.b.sakura.ne.jp"), None);
    assert_eq!(id("sakura.ne.jp"), None);
    assert_eq!(id("mail.example.jp"), None);
    assert_eq!(cert_patterns("sakura"), vec!["*.sakura.ne.jp"]);
    assert!(cert_patterns("gmail").is_empty());
}

#[test]
fn known_hosts_are_complete_and_deduplicated() {
    let hosts = known_hosts();
    let mut sorted = hosts.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(hosts, sorted);
    for h in [
        "imap.spmode.ne.jp",
        "smtp.spmode.ne.jp",
        "imap.gmail.com",
        "smtp-mail.outlook.com",
        "imap.mail.me.com",
        "imap.lolipop.jp",
        "imap.softbank.jp",
        "pop.mail.yahoo.co.jp",
    ] {
        assert!(hosts.contains(&h), "{h} missing");
    }
    for p in all() {
        for s in &p.servers {
            if let Some(h) = s.host.as_deref().filter(|h| !h.contains('%')) {
                assert!(hosts.contains(&h), "{h} missing");
            }
        }
    }
}

#[test]
fn usernames_and_hosts_for_an_address() {
    let docomo = for_domain("docomo.ne.jp").unwrap_or_else(|| panic!("docomo"));
    assert_eq!(username_for(&docomo.servers[0], "taro@docomo.ne.jp"), None);
    let icloud = for_domain("icloud.com").unwrap_or_else(|| panic!("icloud"));
    assert_eq!(
        username_for(&icloud.servers[0], "hanako@icloud.com").as_deref(),
        Some("hanako")
    );
    assert_eq!(
        username_for(&icloud.servers[1], "hanako@icloud.com").as_deref(),
        Some("hanako@icloud.com")
    );
    let xserver = by_id("xserver");
    assert_eq!(host_for(&xserver.servers[0], "a@example.jp"), None);
    assert_eq!(
        host_for(&icloud.servers[0], "hanako@icloud.com").as_deref(),
        Some("imap.mail.me.com")
    );
}

// ---------------------------------------------------------------------------------------------
// Notes

fn is_japanese(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x309F | 0x30A0..=0x30FF | 0x4E00..=0x9FFF | 0x3000..=0x303F | 0xFF00..=0xFFEF)
}

#[test]
fn every_note_exists_in_both_languages_and_every_note_is_used() {
    let raw = parse_table(TABLE).unwrap_or_else(|e| panic!("{e}"));
    let used: BTreeSet<&str> = own()
        .iter()
        .flat_map(|p| &p.notes)
        .map(String::as_str)
        .collect();
    for id in &used {
        for &lang in Lang::ALL {
            let text = note(id, lang).unwrap_or_else(|| panic!("note {id}: no {lang:?}"));
            assert!(!text.trim().is_empty(), "note {id}.{lang:?} is empty");
        }
    }
    for id in raw.note.keys() {
        assert!(used.contains(id.as_str()), "note {id} is not used");
    }
    assert_eq!(note("no-such-note", Lang::Ja), None);
}

#[test]
fn note_texts_read_well() {
    let raw = parse_table(TABLE).unwrap_or_else(|e| panic!("{e}"));
    for (id, n) in raw.note {
        let (ja, en) = (n.ja.trim(), n.en.trim());
        assert!(ja.chars().any(is_japanese), "{id}.ja: no Japanese");
        let non_ascii = en.chars().filter(|c| !c.is_ascii()).count();
        // English texts may quote a Japanese menu name, nothing more.
        assert!(
            non_ascii * 5 <= en.chars().count(),
            "{id}.en: too much non-ASCII"
        );
        for (lang, text) in [("ja", ja), ("en", en)] {
            // Product names that carry an exclamation mark are fine.
            let t = ["Yahoo!", "ロリポップ!", "S!メール"]
                .iter()
                .fold(text.to_string(), |t, name| t.replace(name, ""));
            assert!(
                !t.contains('!') && !t.contains('！'),
                "{id}.{lang}: exclamation"
            );
            assert!(!text.contains("  "), "{id}.{lang}: double space");
            assert!(!text.contains('\n'), "{id}.{lang}: stray line break");
            assert!(!text.contains('{'), "{id}.{lang}: braces");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// docs/providers.md

#[test]
fn docs_providers_md_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/providers.md");
    let expected = providers_markdown();
    assert_eq!(expected, providers_markdown());
    if std::env::var("MAILDOC_BLESS").as_deref() == Ok("1") {
        if let Err(e) = std::fs::write(&path, &expected) {
            panic!("cannot write {}: {e}", path.display());
        }
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{} is out of date; run `MAILDOC_BLESS=1 cargo test -p maildoc-kb`",
        path.display()
    );
}
