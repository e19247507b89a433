//! The screens of `maildoc discover` (human and Markdown, both languages) on discoveries built
//! by hand, compared with golden files: refresh with
//! `MAILDOC_BLESS=1 cargo test -p maildoc-report --test discover_screens` and read the diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_engine::discover::{Discovery, FoundBy, FoundProvider, Note};
use maildoc_kb::Lang;
use maildoc_model::input::parse_address;
use maildoc_report::Format;
use maildoc_report::discover::{html, human, markdown, render};
use serde_json::json;
use std::path::PathBuf;

fn server(protocol: &str, host: &str, port: u16, security: &str) -> serde_json::Value {
    json!({
        "protocol": protocol,
        "host": host,
        "port": port,
        "security": security,
        "username": "taro@example.jp",
        "username_rule": { "kind": "address" },
    })
}

/// `server` with more fields.
fn with(mut base: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

/// A domain hosted at a provider the MX names, with SRV for incoming, a plaintext outgoing
/// guess, an autoconfig file with servers left out, and every kind of source result.
fn mixed() -> Discovery {
    let srv_from = "_imaps._tcp.example.jp";
    let imap = server("imap", "imap.example.jp", 993, "tls");
    let pop3 = with(
        server("pop3", "pop.example.jp", 995, "tls"),
        json!({ "username": null, "username_rule": { "kind": "other", "value": "the customer ID" } }),
    );
    let smtp = with(
        server("smtp", "mail.example.jp", 587, "plain"),
        json!({ "authentication": "password-encrypted" }),
    );
    let rec = |s: &serde_json::Value, source: &str, from: &str, candidate: usize| {
        with(
            s.clone(),
            json!({ "source": source, "from": from, "candidate": candidate }),
        )
    };
    let value = json!({
        "schema_version": 1,
        "maildoc_version": "0.0.0",
        "address": "taro@example.jp",
        "domain": "example.jp",
        "normalizations": [],
        "dns_server": "192.0.2.53:53",
        "elapsed_ms": 2345,
        "timeout_ms": 15000,
        "provider": {
            "id": "hosting",
            "name": "Example Hosting",
            "found_by": { "by": "mx", "exchange": "mx1.hosting.example" },
            "source": { "kind": "table", "url": "https://hosting.example/help" },
            "not_for_mail_apps": false,
            "notes": [
                { "id": "contract", "ja": "契約により | サーバー名が違います。", "en": "The server name depends on | the contract." },
                { "id": "empty", "ja": " ", "en": " " },
            ],
        },
        "incoming": rec(&imap, "srv", srv_from, 0),
        "alternative": rec(&pop3, "mx", "Example Hosting", 1),
        "outgoing": rec(&smtp, "guess", "mail.example.jp", 2),
        "sources": [
            { "kind": "provider", "target": "example.jp", "outcome": "not-listed", "at_ms": 0, "elapsed_ms": 0 },
            {
                "kind": "autoconfig",
                "target": "https://autoconfig.example.jp/mail/config-v1.1.xml",
                "outcome": "invalid",
                "detail": "no usable server",
                "at_ms": 30, "elapsed_ms": 25,
                "left_out": [
                    { "server_type": "exchange", "reason": "unknown-type" },
                    { "server_type": "imap", "reason": "bad-port", "value": "99999" },
                ],
            },
            {
                "kind": "autoconfig",
                "target": "https://example.jp/.well-known/autoconfig/mail/config-v1.1.xml",
                "outcome": "certificate-invalid",
                "detail": "certificate expired",
                "at_ms": 31, "elapsed_ms": 40,
            },
            { "kind": "srv", "target": srv_from, "outcome": "found", "detail": "0 0 993 imap.example.jp.", "at_ms": 5, "elapsed_ms": 3, "candidates": [0] },
            { "kind": "srv", "target": "_submissions._tcp.example.jp", "outcome": "nxdomain", "detail": "NXDOMAIN: the name does not exist", "at_ms": 5, "elapsed_ms": 3 },
            { "kind": "srv", "target": "_submission._tcp.example.jp", "outcome": "not-offered", "at_ms": 5, "elapsed_ms": 4 },
            { "kind": "mx", "target": "example.jp", "outcome": "found", "detail": "mx1.hosting.example", "at_ms": 5, "elapsed_ms": 6, "candidates": [1] },
            { "kind": "guess", "target": "example.jp", "outcome": "found", "detail": "1/3", "at_ms": 40, "elapsed_ms": 900, "candidates": [2, 3, 4] },
        ],
        "candidates": [
            with(imap.clone(), json!({ "source": "srv", "from": srv_from, "srv": { "priority": 0, "weight": 0 }, "status": "published" })),
            with(pop3.clone(), json!({ "source": "mx", "from": "Example Hosting", "status": "published" })),
            with(smtp.clone(), json!({ "source": "guess", "from": "mail.example.jp", "status": "answered", "detail": "220 mail.example.jp ESMTP | ready", "at_ms": 60, "elapsed_ms": 120 })),
            with(server("smtp", "smtp.example.jp", 465, "tls"), json!({ "source": "guess", "from": "smtp.example.jp", "status": "nxdomain", "detail": "NXDOMAIN", "at_ms": 41, "elapsed_ms": 3 })),
            with(server("imap", "example.jp", 993, "tls"), json!({ "source": "guess", "from": "example.jp", "status": "certificate-not-trusted", "detail": "self-signed certificate", "at_ms": 41, "elapsed_ms": 80 })),
        ],
    });
    serde_json::from_value(value).expect("a discovery")
}

/// A domain where nothing answered.
fn nothing() -> Discovery {
    serde_json::from_value(json!({
        "schema_version": 1,
        "maildoc_version": "0.0.0",
        "address": "taro@nowhere.example",
        "domain": "nowhere.example",
        "elapsed_ms": 800,
        "timeout_ms": 15000,
        "sources": [
            { "kind": "provider", "target": "nowhere.example", "outcome": "not-listed", "at_ms": 0, "elapsed_ms": 0 },
            { "kind": "mx", "target": "nowhere.example", "outcome": "not-listed", "detail": "mx.nowhere.example", "at_ms": 2, "elapsed_ms": 5 },
            { "kind": "guess", "target": "nowhere.example", "outcome": "nothing-answered", "detail": "0/2", "at_ms": 2, "elapsed_ms": 700, "candidates": [0, 1] },
        ],
        "candidates": [
            with(server("imap", "imap.nowhere.example", 993, "tls"), json!({ "source": "guess", "from": "imap.nowhere.example", "status": "connect-failed", "detail": "connection refused", "elapsed_ms": 1 })),
            with(server("smtp", "smtp.nowhere.example", 465, "tls"), json!({ "source": "guess", "from": "smtp.nowhere.example", "status": "deadline" })),
        ],
    }))
    .expect("a discovery")
}

/// What maildoc's tables say, with no network (the version pinned, as in the other cases).
fn tables(address: &str) -> Discovery {
    let (address, _) = parse_address(address).expect("an address");
    let mut d = maildoc_engine::discover::tables(&address, Vec::new());
    d.maildoc_version = "0.0.0".into();
    d
}

/// A customer's own domain whose MX is at Sakura: no settings found, the provider known by
/// the MX with its per-contract servers and notes, as discovery gives them.
fn sakura_customer() -> Discovery {
    let mut d = tables("taro@shop.example.jp");
    let p = maildoc_kb::providers::all()
        .iter()
        .find(|p| p.id == "sakura")
        .expect("sakura");
    d.provider = Some(FoundProvider {
        id: p.id.clone(),
        name: p.name.clone(),
        found_by: FoundBy::Mx {
            exchange: "www1234.sakura.ne.jp".into(),
        },
        source: p.source.clone(),
        not_for_mail_apps: false,
        notes: p
            .notes
            .iter()
            .map(|id| Note {
                id: id.clone(),
                ja: maildoc_kb::providers::note(id, Lang::Ja).unwrap().into(),
                en: maildoc_kb::providers::note(id, Lang::En).unwrap().into(),
            })
            .collect(),
        per_contract: p.servers.clone(),
    });
    d
}

fn compare(name: &str, got: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/discover")
        .join(name);
    maildoc_testkit::golden::compare(
        &path,
        got,
        "cargo test -p maildoc-report --test discover_screens",
    );
}

#[test]
fn golden_screens_in_both_languages() {
    let cases = [
        ("mixed", mixed()),
        ("nothing", nothing()),
        ("gmail", tables("taro@gmail.com")),
        ("softbank", tables("taro@softbank.ne.jp")),
        ("au", tables("taro@au.com")),
        ("nifty", tables("taro@nifty.com")),
        ("sakura-customer", sakura_customer()),
    ];
    for (name, d) in &cases {
        for &lang in Lang::ALL {
            let lang_name = lang.as_str();
            compare(&format!("{name}.{lang_name}.txt"), &human(d, lang));
            compare(&format!("{name}.{lang_name}.md"), &markdown(d, lang));
        }
    }
}

/// The words of each grade, in every format: C and D as seen working but not confirmed by
/// the provider, A and B as settled.
const UNCONFIRMED: [(Lang, &str); 2] = [
    (
        Lang::Ja,
        "の値は、動作の報告はありますが、プロバイダーの公式情報では確認できていません",
    ),
    (
        Lang::En,
        "these values have been seen working, but the provider's own information does not confirm them",
    ),
];
const NOT_CONFIRMED_GRADE: [(Lang, &str); 2] = [
    (Lang::Ja, "動作の報告あり・プロバイダー未確認"),
    (Lang::En, "seen working, not confirmed by the provider"),
];
const SETTLED_GRADE: [(Lang, &str); 2] = [(Lang::Ja, "確認済み"), (Lang::En, "settled")];

fn words(list: &[(Lang, &'static str)], lang: Lang) -> &'static str {
    list.iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, w)| *w)
        .unwrap()
}

/// The screens of a discovery in `lang`, with the HTML's text unescaped.
fn screens(d: &Discovery, lang: Lang) -> [String; 3] {
    let page = html(d, lang).replace("&#39;", "'").replace("&quot;", "\"");
    [human(d, lang), markdown(d, lang), page]
}

#[test]
fn unconfirmed_values_are_never_shown_as_certain() {
    // au: every value from real configurations (D).
    let au = tables("taro@au.com");
    for &lang in Lang::ALL {
        let html = html(&au, lang);
        for text in screens(&au, lang) {
            assert!(text.contains(words(&UNCONFIRMED, lang)), "{text}");
            assert!(text.contains(words(&NOT_CONFIRMED_GRADE, lang)), "{text}");
            assert!(!text.contains(words(&SETTLED_GRADE, lang)), "{text}");
        }
        // The HTML names the grade in the settings table, beside the values.
        assert!(
            html.contains(&format!(
                "<td>{}</td>",
                maildoc_report::html::escape(&format!(
                    "{} (D: {})",
                    words(&NOT_CONFIRMED_GRADE, lang),
                    if lang == Lang::Ja {
                        "実際の設定例"
                    } else {
                        "real configurations"
                    }
                ))
            )),
            "{html}"
        );
    }
    // Gmail: settled values, no caution.
    let gmail = tables("taro@gmail.com");
    for &lang in Lang::ALL {
        for text in [
            human(&gmail, lang),
            markdown(&gmail, lang),
            html(&gmail, lang),
        ] {
            assert!(text.contains(words(&SETTLED_GRADE, lang)), "{text}");
            assert!(!text.contains(words(&UNCONFIRMED, lang)), "{text}");
        }
    }
    // BIGLOBE: only its IMAP server (C) gets the caution; POP3 (A) and SMTP (B) do not.
    let biglobe = tables("taro@biglobe.ne.jp");
    let text = human(&biglobe, Lang::En);
    let cautions: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(words(&UNCONFIRMED, Lang::En)))
        .collect();
    assert_eq!(cautions.len(), 1, "{text}");
    assert!(cautions[0].contains("mail.biglobe.ne.jp:993"), "{text}");
    // Settled values with a user-name form seen only in real configurations: the user name
    // alone gets the caution.
    let mut d = tables("taro@gmail.com");
    if let Some(r) = d.incoming.as_mut() {
        r.server.username_grade = Some(maildoc_model::provider::Grade::D);
    }
    for (lang, said) in [
        (Lang::Ja, "ユーザー名の形式は、動作の報告はありますが"),
        (Lang::En, "the form of the user name has been seen working"),
    ] {
        let text = human(&d, lang);
        assert!(text.contains(said), "{text}");
        assert!(!text.contains(words(&UNCONFIRMED, lang)), "{text}");
    }
    // JSON carries the grade as a field.
    let json: serde_json::Value =
        serde_json::from_str(&render(&au, Format::Json, Lang::En)).unwrap();
    assert_eq!(json["incoming"]["grade"], "D");
    assert_eq!(json["outgoing"]["username_grade"], "D");
}

#[test]
fn per_contract_servers_say_where_the_name_is() {
    let d = sakura_customer();
    for &lang in Lang::ALL {
        let heading = if lang == Lang::Ja {
            "契約ごとに違うサーバー名"
        } else {
            "Server names that depend on your contract"
        };
        let place = if lang == Lang::Ja {
            "コントロールパネル"
        } else {
            "control panel"
        };
        for text in screens(&d, lang) {
            assert!(text.contains(heading), "{text}");
            assert!(text.contains(place), "{text}");
            assert!(text.contains(words(&NOT_CONFIRMED_GRADE, lang)), "{text}");
            assert!(
                !text.contains("sakura.ne.jp  "),
                "a server name was made up: {text}"
            );
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&render(&d, Format::Json, Lang::En)).unwrap();
    assert_eq!(json["provider"]["per_contract"][2]["port"], 587);
    assert_eq!(json["provider"]["per_contract"][2]["grade"], "C");
}

#[test]
fn nothing_unfilled_or_missing() {
    for d in [mixed(), nothing(), tables("taro@au.com"), sakura_customer()] {
        for &lang in Lang::ALL {
            for text in [human(&d, lang), markdown(&d, lang)] {
                assert!(!text.contains('{'), "an unfilled placeholder:\n{text}");
                assert!(
                    !text.lines().any(|l| l.trim() == "?" || l.contains(": ?")),
                    "a missing word:\n{text}"
                );
            }
        }
    }
}

#[test]
fn markdown_cells_escape_the_bar() {
    let md = markdown(&mixed(), Lang::En);
    assert!(md.contains("220 mail.example.jp ESMTP \\| ready"), "{md}");
}

#[test]
fn render_picks_the_format() {
    let d = mixed();
    assert_eq!(render(&d, Format::Human, Lang::Ja), human(&d, Lang::Ja));
    assert_eq!(
        render(&d, Format::Markdown, Lang::En),
        markdown(&d, Lang::En)
    );
    let back: Discovery = serde_json::from_str(&render(&d, Format::Json, Lang::En)).unwrap();
    assert_eq!(back, d);
}
