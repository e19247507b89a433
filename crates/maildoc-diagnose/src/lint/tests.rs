#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::fixtures::{self, Srv, codes, tls_valid};
use maildoc_model::provider::{Grade, ProviderServer, ProviderSource, RetiredSetting};
use maildoc_model::*;

/// Known server names as the engine passes them.
const KNOWN: &[&str] = &[
    "imap.uol.com.br",
    "smtp.q.com",
    "imap.gmail.com",
    "smtp.gmail.com",
    "pop.gmail.com",
    "outlook.office365.com",
    "smtp.office365.com",
    "imap.mail.me.com",
    "smtp.mail.me.com",
    "imap.mail.yahoo.co.jp",
    "smtp.mail.yahoo.co.jp",
];

fn srv(
    protocol: Protocol,
    host: &str,
    port: Option<u16>,
    security: Option<Security>,
) -> ServerSetting {
    ServerSetting {
        protocol,
        host: host.into(),
        port,
        security,
        username: None,
        auth: None,
    }
}

fn imap(host: &str) -> ServerSetting {
    srv(Protocol::Imap, host, Some(993), Some(Security::Tls))
}

fn account(address: &str, servers: Vec<ServerSetting>) -> AccountSettings {
    AccountSettings {
        address: address.into(),
        username: None,
        servers,
    }
}

fn run(address: &str, servers: Vec<ServerSetting>) -> Vec<Finding> {
    lint(&account(address, servers), None, KNOWN)
}

/// `code@server` of the findings for one IMAP host.
fn host_codes(address: &str, host: &str) -> Vec<String> {
    codes(&run(address, vec![imap(host)]))
}

/// The one finding there is, which has `code`.
fn only<'a>(f: &'a [Finding], code: &str) -> &'a Finding {
    assert!(
        f.len() == 1 && f[0].code.as_str() == code,
        "expected only {code}: {:?}\n{f:#?}",
        codes(f)
    );
    &f[0]
}

fn retired(
    host: Option<&str>,
    port: Option<u16>,
    security: Option<Security>,
    since: &str,
) -> RetiredSetting {
    RetiredSetting {
        host: host.map(str::to_string),
        protocol: port.map(|_| Protocol::Imap),
        port,
        security,
        since: since.into(),
        grade: Grade::B,
    }
}

fn provider(rule_imap: UsernameRule, rule_smtp: UsernameRule) -> ProviderInfo {
    ProviderInfo {
        id: "example-isp".into(),
        name: "Example ISP".into(),
        source: ProviderSource::Table {
            url: "https://isp.example/help".into(),
        },
        domains: vec!["isp.example.jp".into()],
        mx_suffixes: vec![],
        servers: vec![
            ProviderServer {
                protocol: Protocol::Imap,
                host: Some("imap.isp.example.jp".into()),
                port: 993,
                security: Security::Tls,
                username: rule_imap,
                grade: Grade::A,
                username_grade: Grade::A,
            },
            ProviderServer {
                protocol: Protocol::Smtp,
                host: Some("smtp.isp.example.jp".into()),
                port: 587,
                security: Security::Starttls,
                username: rule_smtp,
                grade: Grade::C,
                username_grade: Grade::A,
            },
        ],
        retired: vec![
            retired(Some("mail.isp-old.example.jp"), None, None, "2020-01"),
            retired(Some("pop.isp.example.jp"), None, None, "2021-04-01"),
            retired(Some("*.mail.isp.example.jp"), None, None, "2022-11-19"),
            retired(None, Some(143), Some(Security::Plain), "2019-10"),
        ],
        notes: vec![],
        not_for_mail_apps: false,
    }
}

// --- healthy -------------------------------------------------------------------------------

#[test]
fn healthy_settings_give_nothing() {
    let mut smtp = srv(
        Protocol::Smtp,
        "smtp.example.jp",
        Some(587),
        Some(Security::Starttls),
    );
    smtp.auth = Some(true);
    smtp.username = Some("taro@example.jp".into());
    let mut i = imap("imap.example.jp");
    i.username = Some("taro@example.jp".into());
    let servers = vec![
        i,
        srv(
            Protocol::Pop3,
            "pop.example.jp",
            Some(995),
            Some(Security::Tls),
        ),
        srv(
            Protocol::Pop3,
            "pop.example.jp",
            Some(110),
            Some(Security::Starttls),
        ),
        srv(
            Protocol::Imap,
            "imap.example.jp",
            Some(143),
            Some(Security::Plain),
        ),
        srv(
            Protocol::Smtp,
            "smtp.example.jp",
            Some(465),
            Some(Security::Tls),
        ),
        srv(
            Protocol::Smtp,
            "smtp.example.jp",
            Some(25),
            Some(Security::Plain),
        ),
        srv(Protocol::Smtp, "smtp.example.jp", None, None),
        smtp,
        // Known hosts as they are, in any case.
        imap("imap.gmail.com"),
        imap("IMAP.GMAIL.COM"),
        imap("Imap.Mail.Me.Com."),
        // Addresses, not names.
        imap("192.0.2.10"),
        imap("::1"),
        imap("[2001:db8::1]"),
    ];
    let f = run("taro@example.jp", servers);
    assert!(f.is_empty(), "{:?}", codes(&f));
}

#[test]
fn server_ids_and_params_follow_the_plan() {
    let servers = vec![
        imap("imap.gmial.com"),
        srv(
            Protocol::Imap,
            "imap.gmial.com",
            None,
            Some(Security::Starttls),
        ),
        srv(Protocol::Smtp, "smtp.gmial.com", Some(465), None),
    ];
    let s = account("taro@gmail.com", servers);
    assert_eq!(server_ids(&s), ["imap", "imap-2", "smtp"]);
    let f = lint(&s, None, KNOWN);
    assert_eq!(
        codes(&f),
        ["host-typo@imap", "host-typo@imap-2", "host-typo@smtp"]
    );
    let p = &f[1].params;
    assert_eq!(p["server"], "IMAP imap.gmial.com:143 STARTTLS");
    assert_eq!(p["protocol"], "IMAP");
    assert_eq!(p["host"], "imap.gmial.com");
    assert_eq!(p["port"], "143");
    assert_eq!(p["security"], "STARTTLS");
    assert_eq!(f[2].params["security"], "SSL/TLS");
    assert_eq!(f[2].params["suggestion"], "smtp.gmail.com");
    // No evidence: the lint reads settings, not the network.
    assert!(f.iter().all(|f| f.evidence.is_empty()));
}

// --- what the host field holds ---------------------------------------------------------------

#[test]
fn a_mail_address_in_the_host_field() {
    for host in [
        "taro@example.jp",
        "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ",
        " taro@gmial.com ",
    ] {
        let f = run("taro@example.jp", vec![imap(host)]);
        // One root cause: nothing about its characters or its spelling.
        let f = only(&f, "host-looks-like-address");
        assert_eq!(f.params["reason"], "contains-at", "{host}");
        assert_eq!(f.params["host"], host);
    }
}

#[test]
fn a_persons_name_in_the_host_field() {
    for host in [
        "Taro Yamada",
        "taro yamada",
        "Taro",
        "山田 太郎",
        "山田　太郎",
        "山田太郎",
        "やまだ",
        "Ｔａｒｏ　Ｙａｍａｄａ",
        " Jean-Luc Picard ",
    ] {
        let f = run("taro@example.jp", vec![imap(host)]);
        let f = only(&f, "host-looks-like-address");
        assert_eq!(f.params["reason"], "person-name", "{host}");
    }
    for host in [
        "localhost",
        "mailserver",
        "mail2",
        "Mail.Example.JP",
        "imap.example.jp",
        "メール.例え.jp",
        "192.0.2.1",
        "Exchange01",
    ] {
        assert!(
            !host_codes("taro@example.jp", host)
                .iter()
                .any(|c| c.starts_with("host-looks-like-address")),
            "{host}"
        );
    }
}

// --- characters --------------------------------------------------------------------------------

#[test]
fn invisible_characters_and_stray_spaces_in_the_host() {
    for (host, characters, shown) in [
        ("imap.example.jp ", "U+0020", "imap.example.jp␣"),
        (" imap.example.jp", "U+0020", "␣imap.example.jp"),
        (
            "imap.exa\u{200B}mple.jp",
            "U+200B",
            "imap.exa<U+200B>mple.jp",
        ),
        (
            "imap.example.jp\u{3000}",
            "U+3000",
            "imap.example.jp<U+3000>",
        ),
        (
            "\u{00A0}imap.example.jp",
            "U+00A0",
            "<U+00A0>imap.example.jp",
        ),
        ("imap.example.jp\t", "U+0009", "imap.example.jp<U+0009>"),
        ("imap .example.jp", "U+0020", "imap .example.jp"),
        (
            "\u{FEFF}imap.example.jp \u{200B}",
            "U+FEFF, U+0020, U+200B",
            "<U+FEFF>imap.example.jp␣<U+200B>",
        ),
    ] {
        let f = run("taro@example.jp", vec![imap(host)]);
        let f = only(&f, "invisible-characters");
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.params["field"], "host");
        assert_eq!(f.params["value"], host);
        assert_eq!(f.params["characters"], characters, "{host:?}");
        assert_eq!(f.params["shown"], shown, "{host:?}");
        assert_eq!(f.params["corrected"], "imap.example.jp", "{host:?}");
    }
}

#[test]
fn invisible_characters_in_the_user_name() {
    let mut s = imap("imap.example.jp");
    s.username = Some("taro@example.jp ".into());
    let f = run("taro@example.jp", vec![s.clone()]);
    let f = only(&f, "invisible-characters");
    // About the account, not one server.
    assert_eq!(f.server, None);
    assert_eq!(f.params["field"], "username");
    assert_eq!(f.params["corrected"], "taro@example.jp");
    assert_eq!(f.params["shown"], "taro@example.jp␣");
    // A space inside a user name can be seen; it is not flagged.
    s.username = Some("taro yamada".into());
    assert!(run("taro@example.jp", vec![s.clone()]).is_empty());
    // A zero-width space inside is.
    s.username = Some("ta\u{200B}ro".into());
    assert_eq!(
        codes(&run("taro@example.jp", vec![s.clone()])),
        ["invisible-characters"]
    );
    // The same user name on several servers, and a stray space in a host: one finding each.
    let mut host = s.clone();
    host.host = "imap.example.jp ".into();
    let smtp = with_user(
        srv(
            Protocol::Smtp,
            "smtp.example.jp",
            Some(587),
            Some(Security::Starttls),
        ),
        "ta\u{200B}ro",
    );
    assert_eq!(
        codes(&run("taro@example.jp", vec![host, smtp])),
        ["invisible-characters", "invisible-characters@imap"]
    );
}

/// The characters of every kind the lint calls invisible: bidi embeddings, overrides,
/// isolates and marks, zero-width characters, other format characters, control characters.
const INVISIBLE: &[char] = &[
    '\u{202A}',
    '\u{202B}',
    '\u{202C}',
    '\u{202D}',
    '\u{202E}',
    '\u{2066}',
    '\u{2067}',
    '\u{2068}',
    '\u{2069}',
    '\u{200E}',
    '\u{200F}',
    '\u{061C}',
    '\u{200B}',
    '\u{200C}',
    '\u{200D}',
    '\u{2060}',
    '\u{FEFF}',
    '\u{00AD}',
    '\u{E0041}',
    '\u{0001}',
    '\u{001B}',
    '\u{007F}',
];

#[test]
fn invisible_characters_in_the_address() {
    for &c in INVISIBLE {
        let address = format!("ta{c}ro@example.jp");
        let f = run(&address, vec![imap("imap.example.jp")]);
        let f = only(&f, "invisible-characters");
        let hex = format!("U+{:04X}", u32::from(c));
        // About the account, not one server.
        assert_eq!(f.server, None);
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.params["field"], "address");
        assert_eq!(f.params["value"], address);
        assert_eq!(f.params["characters"], hex);
        assert_eq!(f.params["shown"], format!("ta<{hex}>ro@example.jp"));
        assert_eq!(f.params["corrected"], "taro@example.jp");
    }
    // In the domain, and several: each named once, in order.
    let f = run(
        "\u{2067}taro\u{2069}@exa\u{200B}mple.jp\u{200B}",
        vec![imap("imap.example.jp")],
    );
    let f = only(&f, "invisible-characters");
    assert_eq!(f.params["characters"], "U+2067, U+2069, U+200B");
    assert_eq!(f.params["corrected"], "taro@example.jp");
    // Spaces and full-width characters in the address are maildoc's input, folded with a
    // note: no finding.
    for address in [" taro@example.jp ", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"] {
        assert!(run(address, vec![imap("imap.example.jp")]).is_empty());
    }
}

#[test]
fn the_same_characters_are_invisible_in_every_field() {
    for &c in INVISIBLE {
        let hex = format!("U+{:04X}", u32::from(c));
        let mut s = imap(&format!("imap.exa{c}mple.jp"));
        s.username = Some(format!("ta{c}ro"));
        let f = run(&format!("ta{c}ro@example.jp"), vec![s]);
        assert_eq!(
            codes(&f),
            [
                "invisible-characters",
                "invisible-characters",
                "invisible-characters@imap"
            ],
            "{hex}"
        );
        let fields: Vec<&str> = f.iter().map(|f| f.params["field"].as_str()).collect();
        assert_eq!(fields, ["address", "username", "host"], "{hex}");
        assert!(f.iter().all(|f| f.params["characters"] == hex), "{hex}");
        assert_eq!(f[1].params["corrected"], "taro");
        assert_eq!(f[2].params["corrected"], "imap.example.jp");
    }
}

#[test]
fn full_width_characters() {
    for (host, corrected) in [
        ("ｉｍａｐ．ｅｘａｍｐｌｅ．ｊｐ", "imap.example.jp"),
        ("imap.example．jp", "imap.example.jp"),
        ("imap。example。jp", "imap.example.jp"),
        ("imap.ｅｘａｍｐｌｅ.jp", "imap.example.jp"),
        ("mail.so−net.ne.jp", "mail.so-net.ne.jp"),
        ("mail.soーnet.ne.jp", "mail.so-net.ne.jp"),
        ("ｍａｉｌ．ｓｏ－ｎｅｔ．ｎｅ．ｊｐ", "mail.so-net.ne.jp"),
    ] {
        let f = run("taro@so-net.ne.jp", vec![imap(host)]);
        let f = only(&f, "full-width-characters");
        assert_eq!(f.severity, Severity::Warning, "{host}");
        assert_eq!(f.params["field"], "host");
        assert_eq!(f.params["value"], host);
        assert_eq!(f.params["corrected"], corrected, "{host}");
    }
    // Both at once: two findings, one per kind of character.
    let f = run("taro@example.jp", vec![imap("ｉｍａｐ.example.jp　")]);
    assert_eq!(
        codes(&f),
        ["invisible-characters@imap", "full-width-characters@imap"]
    );
    // A user name in full width does not log in: an error.
    let mut s = imap("imap.example.jp");
    s.username = Some("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ".into());
    let f = run("taro@example.jp", vec![s]);
    let f = only(&f, "full-width-characters");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.params["field"], "username");
    assert_eq!(f.params["corrected"], "taro@example.jp");
}

#[test]
fn japanese_names_are_not_full_width_mistakes() {
    // Internationalized names: kana, kanji and the long-vowel mark belong to the word.
    for host in [
        "メール.例え.jp",
        "mail.日本語.jp",
        "imap.ドメイン名例.jp",
        "ｍａｉｌ.日本語.jp",
    ] {
        let f = run("info@日本語.jp", vec![imap(host)]);
        let expected: &[&str] = if host.starts_with('ｍ') {
            // Only the full-width ASCII letters are.
            &["full-width-characters@imap"]
        } else {
            &[]
        };
        assert_eq!(codes(&f), expected, "{host}");
    }
    let f = run("info@日本語.jp", vec![imap("ｍａｉｌ.日本語.jp")]);
    assert_eq!(f[0].params["corrected"], "mail.日本語.jp");
}

// --- names: retired, look-alike, typo --------------------------------------------------------

#[test]
fn typos_of_known_hosts() {
    for (host, suggestion) in [
        ("imap.gmial.com", "imap.gmail.com"),
        ("imap.gmail.con", "imap.gmail.com"),
        ("imap.gmail.co", "imap.gmail.com"),
        ("imap.gmaill.com", "imap.gmail.com"),
        ("imapgmail.com", "imap.gmail.com"),
    ] {
        let f = run("taro@gmail.com", vec![imap(host)]);
        let f = only(&f, "host-typo");
        assert_eq!(f.params["suggestion"], suggestion, "{host}");
        assert_eq!(f.severity, Severity::Error);
    }
    // Case does not matter, and the typed case is kept in the params.
    let f = run("taro@gmail.com", vec![imap("IMAP.GMIAL.COM")]);
    let f = only(&f, "host-typo");
    assert_eq!(f.params["host"], "IMAP.GMIAL.COM");
    assert_eq!(f.params["suggestion"], "imap.gmail.com");
    // Two edits away is not a typo.
    assert!(host_codes("taro@gmail.com", "imap.gmial.con").is_empty());
}

#[test]
fn typos_of_the_own_domain() {
    for (address, host, suggestion) in [
        (
            "taro@example.co.jp",
            "imap.exmaple.co.jp",
            "imap.example.co.jp",
        ),
        (
            "taro@example.co.jp",
            "mail.exampl.co.jp",
            "mail.example.co.jp",
        ),
        ("taro@example.co.jp", "exmaple.co.jp", "example.co.jp"),
        ("taro@lab.example", "imap.lab.exmaple", "imap.lab.example"),
        ("taro@example.jp", "mail.examplejp", "mail.example.jp"),
    ] {
        let f = run(address, vec![imap(host)]);
        let f = only(&f, "host-typo");
        assert_eq!(f.params["suggestion"], suggestion, "{host}");
    }
}

#[test]
fn names_that_are_not_typos() {
    for (address, host) in [
        // Numbered servers.
        ("taro@gmail.com", "imap2.gmail.com"),
        ("taro@gmail.com", "pop3.gmail.com"),
        ("taro@xserver.example", "sv1234.xserver.jp"),
        ("taro@example.jp", "mail2.exampl3.jp"),
        // Anything in the own domain.
        ("taro@example.jp", "smtps.example.jp"),
        ("taro@example.jp", "imap.mail.example.jp"),
        ("taro@example.jp", "example.jp"),
        // Short labels have real neighbours.
        ("taro@example.jp", "imap.bol.com.br"),
        ("taro@example.jp", "smtp.qq.com"),
        // Short domains have too many real neighbours.
        ("taro@abc.jp", "mail.abd.jp"),
        ("taro@au.com", "mail.ai.com"),
        // Far from anything known.
        ("taro@example.jp", "mail.hosting.example"),
        // Internationalized and A-label names are never compared.
        ("info@日本語.jp", "mail.日本語.jp"),
        ("info@日本語.jp", "mail.xn--wgv71a119e.jp"),
        ("info@日本語.jp", "mail.xn--wgv71a119f.jp"),
        ("info@日本語.jp", "xn--imap-gmail.com"),
    ] {
        let f = run(address, vec![imap(host)]);
        assert!(f.is_empty(), "{address} {host}: {:?}", codes(&f));
    }
}

#[test]
fn look_alike_characters_in_hosts() {
    for (address, host, suggestion) in [
        ("taro@gmail.com", "imap.gmai1.com", "imap.gmail.com"),
        ("taro@gmail.com", "imap.gmaiI.com", "imap.gmail.com"),
        ("taro@gmail.com", "imap.gmai|.com", "imap.gmail.com"),
        (
            "taro@outlook.jp",
            "0utlook.office365.com",
            "outlook.office365.com",
        ),
        (
            "taro@outlook.jp",
            "outlook.office365.c0m",
            "outlook.office365.com",
        ),
        ("taro@icloud.com", "imap.mai1.me.com", "imap.mail.me.com"),
        // Cyrillic а and о.
        ("taro@gmail.com", "imap.gm\u{0430}il.com", "imap.gmail.com"),
        (
            "taro@example.jp",
            "mail.ex\u{0430}mple.jp",
            "mail.example.jp",
        ),
        // The own domain, short or long.
        ("taro@example.jp", "mail.examp1e.jp", "mail.example.jp"),
        ("taro@lab.example", "imap.1ab.example", "imap.lab.example"),
        ("taro@oki.jp", "mail.0ki.jp", "mail.oki.jp"),
    ] {
        let f = run(address, vec![imap(host)]);
        let f = only(&f, "host-look-alike");
        assert_eq!(f.params["suggestion"], suggestion, "{host}");
    }
}

#[test]
fn idn_hosts_are_not_look_alikes() {
    for (address, host) in [
        ("info@日本語.jp", "mail.日本語.jp"),
        ("info@日本語.jp", "imap.日本語.jp"),
        ("info@日本語.jp", "mail.xn--wgv71a119e.jp"),
        ("info@例え.jp", "メール.例え.jp"),
        ("taro@gmail.com", "imap.gmail.com"),
        ("taro@пример.рф", "почта.пример.рф"),
        ("taro@example.gr", "mail.παράδειγμα.gr"),
        // Lower-case i is not a look-alike of l: this is a typo if anything.
        ("taro@example.jp", "mail.example1.jp"),
        ("taro@example.jp", "mail01.example.jp"),
        ("taro@example.jp", "m0.example.jp"),
    ] {
        let f = run(address, vec![imap(host)]);
        assert!(
            !f.iter().any(|f| f.code == Code::HostLookAlike),
            "{host}: {:?}",
            codes(&f)
        );
    }
}

#[test]
fn retired_hosts_point_to_the_documented_one() {
    let p = provider(UsernameRule::Address, UsernameRule::Address);
    let s = account(
        "taro@isp.example.jp",
        vec![
            imap("mail.isp-old.example.jp"),
            srv(
                Protocol::Pop3,
                "POP.isp.example.jp",
                Some(995),
                Some(Security::Tls),
            ),
            srv(
                Protocol::Smtp,
                "mail.isp-old.example.jp",
                Some(587),
                Some(Security::Starttls),
            ),
        ],
    );
    let f = lint(&s, Some(&p), &[]);
    assert_eq!(
        codes(&f),
        [
            "host-retired@imap",
            "host-retired@pop3",
            "host-retired@smtp"
        ]
    );
    assert_eq!(f[0].params["suggestion"], "imap.isp.example.jp");
    assert_eq!(f[0].params["suggested_port"], "993");
    assert_eq!(f[0].params["suggested_security"], "SSL/TLS");
    assert_eq!(f[0].params["since"], "2020-01");
    // No POP3 server documented: the incoming one.
    assert_eq!(f[1].params["suggestion"], "imap.isp.example.jp");
    assert_eq!(f[1].params["since"], "2021-04-01");
    assert_eq!(f[2].params["suggestion"], "smtp.isp.example.jp");
    assert_eq!(f[2].params["suggested_port"], "587");
    assert_eq!(f[2].params["suggested_security"], "STARTTLS");
    assert_eq!(f[0].params["provider"], "Example ISP");
    assert_eq!(f[0].severity, Severity::Warning);
    // A pattern covers every name under its parent, not the parent itself.
    let s = account(
        "taro@isp.example.jp",
        vec![
            imap("violet.mail.isp.example.jp"),
            imap("mail.isp.example.jp"),
        ],
    );
    let f = lint(&s, Some(&p), &[]);
    assert_eq!(codes(&f), ["host-retired@imap"]);
    assert_eq!(f[0].params["since"], "2022-11-19");
    // The provider's hosts are known hosts too.
    let s = account("taro@isp.example.jp", vec![imap("imap.isp.exmaple.jp")]);
    let f = lint(&s, Some(&p), &[]);
    assert_eq!(codes(&f), ["host-typo@imap"]);
    assert_eq!(f[0].params["suggestion"], "imap.isp.example.jp");
}

#[test]
fn a_retired_port_and_security_names_the_current_setting() {
    let p = provider(UsernameRule::Address, UsernameRule::Address);
    let plain_143 = srv(
        Protocol::Imap,
        "imap.isp.example.jp",
        Some(143),
        Some(Security::Plain),
    );
    let s = account("taro@isp.example.jp", vec![plain_143]);
    let f = lint(&s, Some(&p), &[]);
    let f = only(&f, "setting-retired");
    assert_eq!(f.params["suggestion"], "imap.isp.example.jp");
    assert_eq!(f.params["suggested_port"], "993");
    assert_eq!(f.params["suggested_security"], "SSL/TLS");
    assert_eq!(f.params["since"], "2019-10");
    assert_eq!(f.params["port"], "143");
    assert_eq!(f.severity, Severity::Error);
    // Only when port and security were both given: 143 alone is completed to STARTTLS, and
    // the retired combination is not what the app uses.
    let s = account(
        "taro@isp.example.jp",
        vec![srv(Protocol::Imap, "imap.isp.example.jp", Some(143), None)],
    );
    assert!(lint(&s, Some(&p), &[]).is_empty());
    // Other protocols and ports are not this retired setting.
    let s = account(
        "taro@isp.example.jp",
        vec![srv(
            Protocol::Smtp,
            "smtp.isp.example.jp",
            Some(587),
            Some(Security::Starttls),
        )],
    );
    assert!(lint(&s, Some(&p), &[]).is_empty());
    // Without the provider, nothing is known to be retired.
    let s = account(
        "taro@isp.example.jp",
        vec![srv(
            Protocol::Imap,
            "imap.isp.example.jp",
            Some(143),
            Some(Security::Plain),
        )],
    );
    assert!(
        lint(&s, None, &[])
            .iter()
            .all(|f| f.code.as_str() != "setting-retired")
    );
}

#[test]
fn a_retired_server_is_never_the_replacement() {
    let mut p = provider(UsernameRule::Address, UsernameRule::Address);
    // The first IMAP server is itself on a retired host: the next one replaces.
    p.servers.insert(
        0,
        ProviderServer {
            protocol: Protocol::Imap,
            host: Some("mail.isp-old.example.jp".into()),
            port: 993,
            security: Security::Tls,
            username: UsernameRule::Address,
            grade: Grade::D,
            username_grade: Grade::D,
        },
    );
    let s = account("taro@isp.example.jp", vec![imap("pop.isp.example.jp")]);
    let f = lint(&s, Some(&p), &[]);
    assert_eq!(
        only(&f, "host-retired").params["suggestion"],
        "imap.isp.example.jp"
    );
}

// --- ports and security ------------------------------------------------------------------------

#[test]
fn port_and_security_that_do_not_belong_together() {
    use Protocol::*;
    use Security::*;
    for (protocol, port, security, code) in [
        (Pop3, 995, Plain, "plaintext-on-ssl-port"),
        (Pop3, 995, Starttls, "plaintext-on-ssl-port"),
        (Pop3, 110, Tls, "ssl-on-plaintext-port"),
        (Imap, 993, Plain, "plaintext-on-ssl-port"),
        (Imap, 143, Tls, "ssl-on-plaintext-port"),
        (Smtp, 465, Starttls, "plaintext-on-ssl-port"),
        (Smtp, 465, Plain, "plaintext-on-ssl-port"),
        (Smtp, 587, Tls, "ssl-on-plaintext-port"),
        (Smtp, 25, Tls, "ssl-on-plaintext-port"),
    ] {
        let f = run(
            "taro@example.jp",
            vec![srv(protocol, "mail.example.jp", Some(port), Some(security))],
        );
        let f = only(&f, code);
        assert_eq!(
            f.params["tls_port"],
            protocol.implicit_tls_port().to_string()
        );
        assert_eq!(f.params["plain_port"], protocol.starttls_port().to_string());
        assert_eq!(f.params["port"], port.to_string());
        assert_eq!(f.params["security"], security.label());
    }
    for (protocol, port, security) in [
        (Pop3, 995, Some(Tls)),
        (Pop3, 110, Some(Starttls)),
        (Pop3, 110, Some(Plain)),
        (Imap, 143, Some(Starttls)),
        (Smtp, 587, Some(Starttls)),
        (Smtp, 587, Some(Plain)),
        (Smtp, 25, Some(Starttls)),
        (Smtp, 2525, Some(Tls)),
        (Imap, 10143, Some(Plain)),
        (Imap, 143, None),
        (Smtp, 465, None),
    ] {
        let f = run(
            "taro@example.jp",
            vec![srv(protocol, "mail.example.jp", Some(port), security)],
        );
        assert!(
            f.is_empty(),
            "{protocol:?} {port} {security:?}: {:?}",
            codes(&f)
        );
    }
}

#[test]
fn ports_of_other_protocols() {
    use Protocol::*;
    use Security::*;
    for (protocol, port, security, owner, suggested) in [
        (Pop3, 993, Some(Tls), "IMAP", 995),
        (Pop3, 143, Some(Starttls), "IMAP", 110),
        (Imap, 995, Some(Tls), "POP3", 993),
        (Imap, 110, Some(Plain), "POP3", 143),
        (Imap, 587, Some(Starttls), "SMTP", 143),
        (Imap, 25, None, "SMTP", 993),
        (Pop3, 465, Some(Tls), "SMTP", 995),
        (Smtp, 993, Some(Tls), "IMAP", 465),
        (Smtp, 110, None, "POP3", 465),
        (Smtp, 143, Some(Starttls), "IMAP", 587),
    ] {
        let f = run(
            "taro@example.jp",
            vec![srv(protocol, "mail.example.jp", Some(port), security)],
        );
        // One root cause: not also a port/security mismatch.
        let f = only(&f, "port-of-other-protocol");
        assert_eq!(f.params["port_protocol"], owner);
        assert_eq!(
            f.params["suggested_port"],
            suggested.to_string(),
            "{protocol:?} {port}"
        );
    }
}

#[test]
fn smtp_authentication_off() {
    let mut s = srv(
        Protocol::Smtp,
        "smtp.example.jp",
        Some(587),
        Some(Security::Starttls),
    );
    s.auth = Some(false);
    let f = run("taro@example.jp", vec![s.clone()]);
    assert_eq!(only(&f, "smtp-auth-off").severity, Severity::Error);
    s.port = Some(465);
    s.security = Some(Security::Tls);
    assert_eq!(
        run("taro@example.jp", vec![s.clone()])[0].severity,
        Severity::Error
    );
    // Port 25 inside a provider's own network may work without it.
    s.port = Some(25);
    s.security = Some(Security::Plain);
    let f = run("taro@example.jp", vec![s.clone()]);
    assert_eq!(only(&f, "smtp-auth-off").severity, Severity::Warning);
    for auth in [Some(true), None] {
        s.auth = auth;
        assert!(run("taro@example.jp", vec![s.clone()]).is_empty());
    }
    // Incoming servers have no such setting.
    let mut i = imap("imap.example.jp");
    i.auth = Some(false);
    assert!(run("taro@example.jp", vec![i]).is_empty());
}

// --- user names --------------------------------------------------------------------------------

fn with_user(mut s: ServerSetting, user: &str) -> ServerSetting {
    s.username = Some(user.into());
    s
}

#[test]
fn user_name_form_against_the_provider() {
    let imap_s = || imap("imap.isp.example.jp");
    let smtp_s = || {
        srv(
            Protocol::Smtp,
            "smtp.isp.example.jp",
            Some(587),
            Some(Security::Starttls),
        )
    };
    let address = "taro@isp.example.jp";

    // The address is expected; the local part is given (on both servers: one finding).
    let p = provider(UsernameRule::Address, UsernameRule::Address);
    let s = account(
        address,
        vec![with_user(imap_s(), "taro"), with_user(smtp_s(), "taro")],
    );
    let f = lint(&s, Some(&p), &[]);
    let f = only(&f, "username-form-unexpected");
    assert_eq!(f.server.as_deref(), Some("imap"));
    assert_eq!(f.params["username"], "taro");
    assert_eq!(f.params["expected"], "taro@isp.example.jp");
    assert_eq!(f.params["provider"], "Example ISP");
    assert_eq!(f.severity, Severity::Warning);
    // The address, or another address (an alias logs in with the main one): fine.
    for user in [
        "taro@isp.example.jp",
        "TARO@isp.example.jp",
        "hanako@isp.example.jp",
    ] {
        let s = account(address, vec![with_user(imap_s(), user)]);
        assert!(lint(&s, Some(&p), &[]).is_empty(), "{user}");
    }

    // iCloud style: the local part for IMAP, the address for SMTP.
    let p = provider(UsernameRule::LocalPart, UsernameRule::Address);
    let s = account(
        address,
        vec![
            with_user(imap_s(), "taro@isp.example.jp"),
            with_user(smtp_s(), "taro@isp.example.jp"),
        ],
    );
    let f = lint(&s, Some(&p), &[]);
    assert_eq!(codes(&f), ["username-form-unexpected@imap"]);
    assert_eq!(f[0].params["expected"], "taro");
    let s = account(
        address,
        vec![with_user(imap_s(), "taro"), with_user(smtp_s(), "taro")],
    );
    let f = lint(&s, Some(&p), &[]);
    assert_eq!(codes(&f), ["username-form-unexpected@smtp"]);
    assert_eq!(f[0].params["expected"], "taro@isp.example.jp");

    // docomo style: an ID of the provider's own; the address never logs in.
    let id = || UsernameRule::Other("dアカウントID".into());
    let p = provider(id(), id());
    for user in ["taro@isp.example.jp", "taro"] {
        let s = account(address, vec![with_user(imap_s(), user)]);
        let f = lint(&s, Some(&p), &[]);
        let f = only(&f, "username-form-unexpected");
        assert_eq!(f.params["expected"], "dアカウントID");
        assert_eq!(f.severity, Severity::Error);
    }
    let s = account(address, vec![with_user(imap_s(), "d-account-0001")]);
    assert!(lint(&s, Some(&p), &[]).is_empty());

    // An ISPDB template: the user name made from the address another way.
    let t = || UsernameRule::Other("%EMAILLOCALPART%.%EMAILDOMAIN%".into());
    let p = provider(t(), t());
    let s = account(address, vec![with_user(imap_s(), "taro@isp.example.jp")]);
    let f = lint(&s, Some(&p), &[]);
    let f = only(&f, "username-form-unexpected");
    assert_eq!(f.params["expected"], "taro.isp.example.jp");
    assert_eq!(f.severity, Severity::Warning);
    for user in ["taro.isp.example.jp", "someone-else"] {
        let s = account(address, vec![with_user(imap_s(), user)]);
        assert!(lint(&s, Some(&p), &[]).is_empty(), "{user}");
    }

    // No user name given, or no provider: nothing to compare.
    let s = account(address, vec![imap_s()]);
    assert!(lint(&s, Some(&p), &[]).is_empty());
    let s = account(address, vec![with_user(imap_s(), "taro")]);
    assert!(lint(&s, None, &[]).is_empty());
}

#[test]
fn look_alike_user_names() {
    for (address, user, suggestion) in [
        ("taro1@example.jp", "tarol@example.jp", "taro1@example.jp"),
        ("taro1@example.jp", "tarol", "taro1"),
        ("yoko@example.jp", "y0ko@example.jp", "yoko@example.jp"),
        ("yoko@example.jp", "YOK0", "yoko"),
        ("abc@example.jp", "0312O456", "03120456"),
        (
            "abc@example.jp",
            "2024lO01@example.jp",
            "20241001@example.jp",
        ),
    ] {
        let f = run(address, vec![with_user(imap("mail.example.jp"), user)]);
        let f = only(&f, "username-look-alike");
        assert_eq!(f.params["username"], user);
        assert_eq!(f.params["suggestion"], suggestion, "{user}");
        assert_eq!(f.severity, Severity::Warning);
    }
    for (address, user) in [
        ("taro@example.jp", "taro"),
        ("taro@example.jp", "Taro@Example.jp"),
        ("taro@example.jp", "user01"),
        ("taro@example.jp", "ab12345"),
        ("taro@example.jp", "hello"),
        ("taro@example.jp", "1234"),
        ("taro@example.jp", "lol0"),
        ("l0l0@example.jp", "l0l0"),
        ("taro@example.jp", "Ｔａｒｏ"),
    ] {
        let f = run(address, vec![with_user(imap("mail.example.jp"), user)]);
        assert!(
            !f.iter().any(|f| f.code == Code::UsernameLookAlike),
            "{user}: {:?}",
            codes(&f)
        );
    }
}

// --- merging with the probe's findings ---------------------------------------------------------

fn merged(servers: Vec<ServerEvidence>, settings: AccountSettings) -> Vec<Finding> {
    merged_with(fixtures::report(servers), settings)
}

fn merged_with(mut r: Report, settings: AccountSettings) -> Vec<Finding> {
    r.findings = crate::diagnose(&r);
    merge(&r, lint(&settings, None, KNOWN))
}

#[test]
fn the_same_mistake_seen_twice_is_one_finding_with_the_evidence() {
    let probe = Srv::new(
        "smtp",
        Protocol::Smtp,
        "smtp.example.jp",
        587,
        Security::Tls,
    )
    .resolved()
    .connected()
    .tls({
        let mut t = tls_valid("smtp.example.jp", TlsMode::Implicit);
        t.handshake = TlsHandshake::Failed;
        t.chain.clear();
        t.failure = Some(TlsFailure {
            kind: TlsFailureKind::NotTls,
            detail: "plaintext".into(),
            received_text: Some("220 smtp.example.jp ESMTP".into()),
            received_spoken: Some(Spoken::Smtp),
        });
        t
    });
    let s = account(
        "taro@example.jp",
        vec![srv(
            Protocol::Smtp,
            "smtp.example.jp",
            Some(587),
            Some(Security::Tls),
        )],
    );
    let f = merged(vec![probe.build()], s);
    assert_eq!(codes(&f), ["ssl-on-plaintext-port@smtp"]);
    assert_eq!(f[0].evidence, ["smtp.3"]);
    assert_eq!(f[0].params["received"], "220 smtp.example.jp ESMTP");
}

#[test]
fn port_settings_stay_when_the_server_was_not_reached_and_go_when_it_was() {
    let s = || {
        account(
            "taro@gmail.com",
            vec![srv(
                Protocol::Imap,
                "imap.gmail.com",
                Some(143),
                Some(Security::Tls),
            )],
        )
    };
    // Refused: the setting is still wrong, and the next thing to fix.
    let refused = Srv::new("imap", Protocol::Imap, "imap.gmail.com", 143, Security::Tls)
        .resolved()
        .connect(ConnectOutcome::Refused);
    let f = merged(vec![refused.build()], s());
    assert_eq!(
        codes(&f),
        ["ssl-on-plaintext-port@imap", "connect-refused@imap"]
    );
    // Reached, and SSL/TLS on 143 works on this server: the evidence wins.
    let works = Srv::new("imap", Protocol::Imap, "imap.gmail.com", 143, Security::Tls).up();
    let f = merged(vec![works.build()], s());
    assert!(f.is_empty(), "{:?}", codes(&f));
    // Another protocol answered: the probe's finding says it.
    let s = account(
        "taro@example.jp",
        vec![srv(
            Protocol::Imap,
            "mail.example.jp",
            Some(995),
            Some(Security::Tls),
        )],
    );
    let pop = Srv::new(
        "imap",
        Protocol::Imap,
        "mail.example.jp",
        995,
        Security::Tls,
    )
    .resolved()
    .connected()
    .tls(tls_valid("mail.example.jp", TlsMode::Implicit))
    .greeting(GreetingOutcome::Ready, "+OK POP3", Some(Spoken::Pop3));
    let f = merged(vec![pop.build()], s);
    assert!(
        !codes(&f).contains(&"port-of-other-protocol@imap".to_string()),
        "{:?}",
        codes(&f)
    );
}

#[test]
fn a_wrong_host_name_explains_its_dns_failure() {
    for outcome in [
        ResolveOutcome::NotFound,
        ResolveOutcome::NoAddress,
        ResolveOutcome::ServerFailure,
    ] {
        let probe = Srv::new("imap", Protocol::Imap, "imap.gmial.com", 993, Security::Tls).step(
            5,
            StepKind::Resolve {
                host: "imap.gmial.com".into(),
                outcome,
                addresses: vec![],
                detail: "NXDOMAIN".into(),
            },
        );
        let s = account("taro@gmail.com", vec![imap("imap.gmial.com")]);
        let f = merged(vec![probe.build()], s);
        assert_eq!(codes(&f), ["host-typo@imap"], "{outcome:?}");
        assert_eq!(f[0].evidence, ["imap.1"]);
        assert_eq!(f[0].severity, Severity::Error);
    }
    // A timeout is the network's: both stay.
    let probe = Srv::new("imap", Protocol::Imap, "imap.gmial.com", 993, Security::Tls).step(
        5,
        StepKind::Resolve {
            host: "imap.gmial.com".into(),
            outcome: ResolveOutcome::Timeout,
            addresses: vec![],
            detail: String::new(),
        },
    );
    let s = account("taro@gmail.com", vec![imap("imap.gmial.com")]);
    assert_eq!(
        codes(&merged(vec![probe.build()], s)),
        ["host-typo@imap", "dns-timeout@imap"]
    );
    // A person's name: the lint's host-looks-like-address takes the DNS failure.
    let probe = Srv::new("imap", Protocol::Imap, "taro", 993, Security::Tls).step(
        5,
        StepKind::Resolve {
            host: "taro".into(),
            outcome: ResolveOutcome::NotFound,
            addresses: vec![],
            detail: String::new(),
        },
    );
    let s = account("taro@example.jp", vec![imap("Taro")]);
    let f = merged(vec![probe.build()], s);
    assert_eq!(codes(&f), ["host-looks-like-address@imap"]);
    assert_eq!(f[0].params["reason"], "person-name");
    assert_eq!(f[0].evidence, ["imap.1"]);
    // A retired host that no longer resolves: a warning becomes an error.
    let p = provider(UsernameRule::Address, UsernameRule::Address);
    let probe = Srv::new(
        "imap",
        Protocol::Imap,
        "mail.isp-old.example.jp",
        993,
        Security::Tls,
    )
    .step(
        5,
        StepKind::Resolve {
            host: "mail.isp-old.example.jp".into(),
            outcome: ResolveOutcome::NotFound,
            addresses: vec![],
            detail: String::new(),
        },
    );
    let mut r = fixtures::report(vec![probe.build()]);
    r.findings = crate::diagnose(&r);
    let s = account("taro@isp.example.jp", vec![imap("mail.isp-old.example.jp")]);
    let f = merge(&r, lint(&s, Some(&p), &[]));
    assert_eq!(codes(&f), ["host-retired@imap"]);
    assert_eq!(f[0].severity, Severity::Error);
}

#[test]
fn an_address_in_the_host_field_is_one_finding() {
    let probe = Srv::new(
        "imap",
        Protocol::Imap,
        "taro@example.jp",
        993,
        Security::Tls,
    )
    .step(
        0,
        StepKind::InvalidHost {
            host: "taro@example.jp".into(),
            reason: InvalidHostReason::ContainsAt,
        },
    );
    let s = account("taro@example.jp", vec![imap("taro@example.jp")]);
    let f = merged(vec![probe.build()], s);
    assert_eq!(codes(&f), ["host-looks-like-address@imap"]);
    assert_eq!(f[0].evidence, ["imap.1"]);
    // Invisible characters the plan could not fold: the lint finding says which.
    let probe = Srv::new(
        "imap",
        Protocol::Imap,
        "imap .example.jp",
        993,
        Security::Tls,
    )
    .step(
        0,
        StepKind::InvalidHost {
            host: "imap .example.jp".into(),
            reason: InvalidHostReason::BadCharacters,
        },
    );
    let s = account("taro@example.jp", vec![imap("imap .example.jp")]);
    let f = merged(vec![probe.build()], s);
    assert_eq!(codes(&f), ["invisible-characters@imap"]);
    assert_eq!(f[0].evidence, ["imap.1"]);
}

#[test]
fn smtp_auth_off_and_relay_denied_are_one_finding() {
    let relay = Srv::smtp_submission()
        .up()
        .skip(LoginSkipReason::SmtpAuthOff)
        .command(
            CommandKind::RcptExternal,
            "<someone@example.com>",
            ReplyOutcome::PermFail,
            "554 5.7.1 Relay access denied",
            Some(554),
            None,
        );
    let mut setting = srv(
        Protocol::Smtp,
        "smtp.example.jp",
        Some(587),
        Some(Security::Starttls),
    );
    setting.auth = Some(false);
    let f = merged(
        vec![relay.build()],
        account("taro@example.jp", vec![setting.clone()]),
    );
    assert_eq!(codes(&f), ["smtp-relay-denied@smtp"]);
    // Without the relay test's answer, the setting is reported.
    let quiet = Srv::smtp_submission()
        .up()
        .skip(LoginSkipReason::SmtpAuthOff);
    let f = merged(
        vec![quiet.build()],
        account("taro@example.jp", vec![setting]),
    );
    assert_eq!(codes(&f), ["smtp-auth-off@smtp"]);
}

#[test]
fn the_user_name_form_gives_way_to_the_login_evidence() {
    let p = provider(UsernameRule::Address, UsernameRule::Address);
    let s = account(
        "taro@isp.example.jp",
        vec![with_user(imap("imap.isp.example.jp"), "taro")],
    );
    let login = |outcome| {
        Srv::new(
            "imap",
            Protocol::Imap,
            "imap.isp.example.jp",
            993,
            Security::Tls,
        )
        .up()
        .login(fixtures::login_ev(
            "taro",
            UsernameForm::AsGiven,
            outcome,
            "a1 NO",
            None,
            None,
        ))
        .build()
    };
    let run = |ev: ServerEvidence| {
        let mut r = fixtures::report(vec![ev]);
        r.findings = crate::diagnose(&r);
        codes(&merge(&r, lint(&s, Some(&p), &[])))
    };
    // Accepted: the table was wrong for this account.
    assert!(run(login(LoginOutcome::Accepted)).is_empty());
    // Rejected: the table's expectation is the lead.
    let rejected = run(login(LoginOutcome::Rejected));
    assert!(
        rejected.contains(&"username-form-unexpected@imap".to_string()),
        "{rejected:?}"
    );
}

#[test]
fn full_width_text_replaces_the_input_note() {
    use maildoc_model::input::{Normalization, NormalizationKind};
    let ok = Srv::new(
        "imap",
        Protocol::Imap,
        "imap.example.jp",
        993,
        Security::Tls,
    )
    .up();
    let mut r = fixtures::report(vec![ok.build()]);
    for (field, original, normalized, kind) in [
        (
            "address",
            "ｔａｒｏ@example.jp",
            "taro@example.jp",
            NormalizationKind::Nfkc,
        ),
        (
            "imap",
            "ｉｍａｐ.example.jp",
            "imap.example.jp",
            NormalizationKind::Nfkc,
        ),
        (
            "username",
            "taro@example.jp ",
            "taro@example.jp",
            NormalizationKind::Trimmed,
        ),
    ] {
        r.target.normalizations.push(Normalization {
            field: field.into(),
            original: original.into(),
            normalized: normalized.into(),
            kinds: vec![kind],
        });
    }
    let s = account(
        "ｔａｒｏ@example.jp",
        vec![with_user(imap("ｉｍａｐ.example.jp"), "taro@example.jp ")],
    );
    let f = merged_with(r, s);
    // The address is not a setting the lint reads: its note stays. Account-wide findings
    // come first, the settings before the rest.
    assert_eq!(
        codes(&f),
        [
            "invisible-characters",
            "input-normalized",
            "full-width-characters@imap"
        ]
    );
    assert_eq!(f[0].params["field"], "username");
    assert_eq!(f[1].params["field"], "address");
}

#[test]
fn invisible_characters_in_the_address_replace_the_input_note() {
    use maildoc_model::input;
    let typed = "ta\u{202E}ro@example.jp";
    let (address, note) = input::parse_address(typed).unwrap();
    assert_eq!(address.full(), "taro@example.jp");
    let ok = Srv::new(
        "imap",
        Protocol::Imap,
        "imap.example.jp",
        993,
        Security::Tls,
    )
    .up();
    let mut r = fixtures::report(vec![ok.build()]);
    r.target.normalizations.extend(note);
    assert_eq!(codes(&crate::diagnose(&r)), ["input-normalized"]);
    let f = merged_with(r, account(typed, vec![imap("imap.example.jp")]));
    assert_eq!(codes(&f), ["invisible-characters"]);
    assert_eq!(f[0].params["field"], "address");
}

#[test]
fn settings_come_before_what_the_probe_found() {
    let imap_ev = Srv::imap_ssl().resolved().connect(ConnectOutcome::Refused);
    let smtp_ev = Srv::smtp_submission()
        .resolved()
        .connect(ConnectOutcome::Refused);
    let mut smtp = srv(
        Protocol::Smtp,
        "smtp.example.jp",
        Some(587),
        Some(Security::Starttls),
    );
    smtp.auth = Some(false);
    let s = account("taro@example.jp", vec![imap("imap.example.jp "), smtp]);
    let f = merged(vec![imap_ev.build(), smtp_ev.build()], s);
    assert_eq!(
        codes(&f),
        [
            "invisible-characters@imap",
            "connect-refused@imap",
            "smtp-auth-off@smtp",
            "connect-refused@smtp"
        ]
    );
}
