//! The web app over HTTP, against in-process servers on loopback: the pages and their markup
//! contract, a check with and without JavaScript, the JSON API, and the guard that keeps other
//! web pages out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_engine::{CheckOptions, Env, Password};
use maildoc_model::Protocol;
use maildoc_model::settings::AccountSettings;
use maildoc_report::Lang;
use maildoc_testkit::hostile::{Behaviour, DnsBehaviour, Echo, Hostile, dns, reveal};
use maildoc_testkit::http::{Answer, events, post_events, post_form, request};
use maildoc_web::Config;

mod common;
use common::{codes_of, start};
use std::net::SocketAddr;
use std::time::Duration;

const PASSWORD: &str = "Web-Door-pw-5521";

fn config() -> Config {
    Config {
        env: Env::new(Some(dns(DnsBehaviour::ServFail)), None).unwrap(),
        lang: Lang::En,
        timeout: Duration::from_secs(8),
        token: None,
        max_jobs: 2,
        history: None,
    }
}

fn get(addr: SocketAddr, path: &str) -> Answer {
    request(addr, "GET", path, &[], b"")
}

/// The CSRF token the pages carry.
fn csrf(addr: SocketAddr) -> String {
    let answer = get(addr, "/api/token");
    let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    v["csrf"].as_str().unwrap().to_string()
}

/// Every `data-NAME="…"` value in `html`, in order.
fn data(html: &str, name: &str) -> Vec<String> {
    let key = format!("data-{name}=\"");
    html.match_indices(&key)
        .map(|(i, _)| {
            let rest = &html[i + key.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// Every form of the password a server could echo, none of which may be on a page.
fn assert_no_password(what: &str, text: &str) {
    assert!(!text.contains(PASSWORD), "{what} shows the password");
    for form in reveal(PASSWORD).lines().filter(|l| l.len() >= 8) {
        assert!(!text.contains(form), "{what} shows the password as {form}");
    }
}

#[test]
fn every_page_in_both_languages_under_a_strict_policy() {
    let addr = start(config());
    for path in [
        "/",
        "/check",
        "/domain",
        "/explain",
        "/discover",
        "/message",
    ] {
        for (query, header, lang) in [
            ("?lang=ja", None, "ja"),
            ("?lang=en", Some("ja"), "en"),
            ("", Some("ja-JP,ja;q=0.9,en;q=0.8"), "ja"),
            ("", Some("fr, en;q=0.5"), "en"),
            ("", None, "en"),
        ] {
            let headers: Vec<(&str, &str)> = header
                .map(|h| vec![("Accept-Language", h)])
                .unwrap_or_default();
            let a = request(addr, "GET", &format!("{path}{query}"), &headers, b"");
            assert_eq!(a.status, 200, "{path}{query}");
            assert!(
                a.body.contains(&format!("<html lang=\"{lang}\">")),
                "{path}{query} {header:?}: {}",
                &a.body[..200]
            );
            let csp = a.header("content-security-policy").unwrap();
            assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
            assert_eq!(a.header("x-frame-options"), Some("DENY"));
            assert!(!a.body.contains("<style") && !a.body.contains(" style="));
            assert!(!a.body.contains("<script>") && !a.body.contains(" onclick"));
            assert!(a.body.len() < 100 * 1024, "{path}: {} bytes", a.body.len());
        }
    }
    let start_page = get(addr, "/?lang=ja").body;
    assert!(start_page.contains("メールを受信できない"));
    assert!(start_page.contains("href=\"/check?lang=ja\""));
    // The language switch goes to the same page in the other language.
    assert!(start_page.contains("class=\"lang\" href=\"/?lang=en\""));
    for asset in ["/assets/app.css", "/assets/app.js"] {
        let a = get(addr, asset);
        assert_eq!(a.status, 200, "{asset}");
        assert!(a.body.len() > 500);
    }
    assert_eq!(get(addr, "/nothing-here").status, 404);
}

#[test]
fn other_hosts_and_other_sites_are_refused() {
    let addr = start(config());
    let token = csrf(addr);
    let port = addr.port();
    // DNS rebinding: a page of evil.example whose name now points to 127.0.0.1.
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        "127.0.0.1".to_string(),
    ] {
        let a = request(addr, "GET", "/", &[("Host", &host)], b"");
        assert_eq!(a.status, 403, "{host}");
        assert!(!a.body.contains(&token), "{host}: the token leaks");
        let a = request(addr, "GET", "/api/token", &[("Host", &host)], b"");
        assert_eq!(a.status, 403, "{host}");
    }
    assert_eq!(
        request(
            addr,
            "GET",
            "/",
            &[("Host", &format!("localhost:{port}"))],
            b""
        )
        .status,
        200
    );
    let fields = [
        ("_csrf", token.as_str()),
        ("address", "taro@example.jp"),
        ("no-login", "on"),
        ("imap", "127.0.0.1:9/plain"),
    ];
    let origin = format!("http://{addr}");
    for (headers, why) in [
        (vec![("Sec-Fetch-Site", "cross-site")], "cross-site"),
        (vec![("Sec-Fetch-Site", "same-site")], "same-site"),
        (vec![("Origin", "http://evil.example")], "another origin"),
        (vec![("Origin", "null")], "an opaque origin"),
    ] {
        let a = post_form(addr, "/check", &headers, &fields);
        assert_eq!(a.status, 403, "{why}");
    }
    let same = [
        ("Sec-Fetch-Site", "same-origin"),
        ("Origin", origin.as_str()),
    ];
    let no_token = [fields[1], fields[2], fields[3]];
    assert_eq!(post_form(addr, "/check", &same, &no_token).status, 403);
    let wrong = [("_csrf", "0000"), fields[1], fields[2], fields[3]];
    assert_eq!(post_form(addr, "/check", &same, &wrong).status, 403);
    let json = br#"{"text":"535 5.7.8"}"#;
    let plain = [("Content-Type", "application/json")];
    assert_eq!(
        request(addr, "POST", "/api/explain", &plain, json).status,
        403
    );
    let with = [
        ("Content-Type", "application/json"),
        ("X-CSRF-Token", token.as_str()),
    ];
    assert_eq!(
        request(addr, "POST", "/api/explain", &with, json).status,
        200
    );
    let cross = [
        ("Content-Type", "application/json"),
        ("X-CSRF-Token", token.as_str()),
        ("Origin", "http://evil.example"),
    ];
    assert_eq!(
        request(addr, "POST", "/api/explain", &cross, json).status,
        403
    );
    // Bodies are bounded: a form of 300 KiB, a bounce of 2 MiB.
    let big = "x".repeat(300 * 1024);
    let a = post_form(
        addr,
        "/domain",
        &same,
        &[("_csrf", &token), ("domain", &big)],
    );
    assert_eq!(a.status, 413);
    let huge = "y".repeat(2 * 1024 * 1024);
    let a = post_form(
        addr,
        "/explain",
        &same,
        &[("_csrf", &token), ("text", &huge)],
    );
    assert_eq!(a.status, 413);
}

#[test]
fn with_a_token_every_request_needs_it() {
    let addr = start(Config {
        token: Some("s3cret-t0ken".into()),
        ..config()
    });
    assert_eq!(get(addr, "/").status, 401);
    assert_eq!(get(addr, "/api/token").status, 401);
    assert_eq!(get(addr, "/?token=wrong").status, 401);
    let a = get(addr, "/check?token=s3cret-t0ken");
    assert_eq!(a.status, 303);
    assert_eq!(a.header("location"), Some("/check"));
    let cookie = a.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let cookie = cookie.split(';').next().unwrap();
    assert_eq!(
        request(addr, "GET", "/", &[("Cookie", cookie)], b"").status,
        200
    );
    let bearer = [("Authorization", "Bearer s3cret-t0ken")];
    assert_eq!(request(addr, "GET", "/", &bearer, b"").status, 200);
    let wrong = [("Authorization", "Bearer s3cret-t0keN")];
    assert_eq!(request(addr, "GET", "/", &wrong, b"").status, 401);
}

/// The options the CLI makes of `maildoc check ADDRESS --imap SPEC` with the password.
fn cli_options(imap: &str) -> CheckOptions {
    CheckOptions {
        settings: AccountSettings::from_texts(
            "taro@example.jp",
            None,
            &[(Protocol::Imap, imap)],
            true,
        )
        .unwrap(),
        password: Some(Password::new(PASSWORD.into())),
        login: true,
        smtp_auth: true,
        allow_plaintext_login: false,
        timeout: Duration::from_secs(8),
    }
}

/// Posted without JavaScript, the check answers with the whole result: the contract's rows
/// and findings, the same codes as the library gives the CLI, and no password anywhere, even
/// from a server that echoes it back in every form it can.
#[test]
fn a_check_without_javascript_keeps_the_contract_and_never_shows_the_password() {
    let addr = start(config());
    let token = csrf(addr);
    let echo = Hostile::start(Behaviour::Echo(Echo::ImapLogin));
    let imap = echo.spec("ssl");
    let a = post_form(
        addr,
        "/check",
        &[],
        &[
            ("_csrf", &token),
            ("lang", "ja"),
            ("address", "taro@example.jp"),
            ("password", PASSWORD),
            ("imap", &imap),
        ],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("<html lang=\"ja\">"));
    assert_eq!(data(&a.body, "state"), vec!["done"]);
    assert_eq!(data(&a.body, "server"), vec!["imap"]);
    assert_eq!(data(&a.body, "host"), vec!["127.0.0.1"]);
    assert_eq!(data(&a.body, "status"), vec!["fail"]);
    let mut page_codes = data(&a.body, "code");
    page_codes.sort();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let env = Env::new(None, None).unwrap();
    let library = runtime
        .block_on(maildoc_engine::check(&env, cli_options(&imap), |_| {}))
        .unwrap();
    assert_eq!(page_codes, codes_of(&library));
    assert_eq!(
        data(&a.body, "severity").len(),
        page_codes.len(),
        "each finding has its severity"
    );
    assert_no_password("the result page", &a.body);
    assert!(
        a.body
            .contains("name=\"password\" type=\"password\" value=\"\""),
        "the form never takes the password back"
    );
    let job = a
        .body
        .split("/jobs/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap();
    let md = get(addr, &format!("/jobs/{job}/report.md?lang=en"));
    assert_eq!(md.status, 200);
    assert!(
        md.header("content-disposition")
            .unwrap()
            .contains("attachment")
    );
    assert!(md.body.contains("taro@example.jp"));
    assert_no_password("the Markdown report", &md.body);
    let json = get(addr, &format!("/jobs/{job}/report.json"));
    let report: maildoc_model::Report = serde_json::from_str(&json.body).unwrap();
    assert_eq!(codes_of(&report), page_codes);
    assert_no_password("the JSON report", &json.body);
    assert_eq!(get(addr, "/jobs/0123/report.json").status, 404);
    // "Save as karte": the karte form filled from the check.
    let karte = get(addr, &format!("/karte?from={job}&lang=en")).body;
    assert!(karte.contains("value=\"taro@example.jp\""), "{karte}");
    assert!(karte.contains(&format!("value=\"{imap}\"")), "{karte}");
    assert_no_password("the karte form", &karte);
}

/// A form the check cannot start from is shown again with the reason, without the password.
#[test]
fn a_refused_check_says_why_in_the_pages_language() {
    let addr = start(config());
    let token = csrf(addr);
    for (lang, address, password, words) in [
        ("en", "taro.example.jp", PASSWORD, "needs an @"),
        ("ja", "taro.example.jp", PASSWORD, "@ が必要です"),
        ("en", "taro@example.jp", "", "Enter the password"),
        ("ja", "taro@example.jp", "", "パスワードを入れてください"),
    ] {
        let a = post_form(
            addr,
            "/check",
            &[],
            &[
                ("_csrf", &token),
                ("lang", lang),
                ("address", address),
                ("password", password),
            ],
        );
        assert_eq!(a.status, 422, "{address}");
        assert!(a.body.contains(words), "{lang}: {}", a.body);
        assert!(a.body.contains("role=\"alert\""));
        assert_no_password("the refusal", &a.body);
    }
    // A test message is never sent without logging in.
    for (lang, words) in [
        ("en", "Sending a test message needs a login"),
        ("ja", "テストメールを送るにはログインが必要です"),
    ] {
        let a = post_form(
            addr,
            "/check",
            &[],
            &[
                ("_csrf", &token),
                ("lang", lang),
                ("address", "taro@example.jp"),
                ("no-login", "on"),
                ("run", "roundtrip"),
            ],
        );
        assert_eq!(a.status, 422);
        assert!(a.body.contains(words), "{lang}: {}", a.body);
    }
}

/// Posted by the page's script, the check answers at once with its job, whose events come as
/// they happen: the plan, each step, each server's end, then the result.
#[test]
fn a_scripted_check_streams_its_steps() {
    let addr = start(config());
    let token = csrf(addr);
    let echo = Hostile::start(Behaviour::Echo(Echo::ImapPlain));
    let a = post_form(
        addr,
        "/check",
        &[("Accept", "application/json")],
        &[
            ("_csrf", &token),
            ("address", "taro@example.jp"),
            ("password", PASSWORD),
            ("imap", &echo.spec("plain")),
        ],
    );
    assert_eq!(a.status, 202, "{}", a.body);
    let started: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    let path = started["events"].as_str().unwrap();
    let told = events(addr, path, "done", Duration::from_secs(20));
    let names: Vec<&str> = told.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"planned"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let steps = names.iter().filter(|n| **n == "step").count();
    assert!(steps >= 3, "{names:?}");
    let done_at = names.iter().position(|n| *n == "server-done").unwrap();
    assert!(names[..done_at].contains(&"step"));
    // The row's dot as soon as the server is done, the result's dot for it.
    let server_done: serde_json::Value = serde_json::from_str(&told[done_at].1).unwrap();
    assert!(server_done["word"].as_str().is_some_and(|w| !w.is_empty()));
    for (name, data) in &told {
        assert_no_password(name, data);
    }
    let step: serde_json::Value = serde_json::from_str(&told[1].1).unwrap();
    assert_eq!(step["server"], "imap");
    assert!(step["label"].as_str().is_some_and(|l| !l.is_empty()));
    let done: serde_json::Value = serde_json::from_str(&told.last().unwrap().1).unwrap();
    let html = done["html"].as_str().unwrap();
    assert_eq!(data(html, "server"), vec!["imap"]);
    assert_eq!(
        data(html, "status"),
        vec![server_done["status"].as_str().unwrap().to_string()]
    );
    assert_ne!(
        server_done["status"], "ok",
        "a server that takes no password safely"
    );
    assert!(!data(html, "code").is_empty());
    // A late listener hears the whole story again.
    let again = events(addr, path, "done", Duration::from_secs(5));
    assert_eq!(again.len(), told.len());
}

/// `POST /api/check/stream`: the job first, then the same events as the page's stream, and
/// the report at the job's address; no password anywhere, though the server echoes it.
#[test]
fn the_api_streams_a_check_as_it_runs() {
    let addr = start(config());
    let token = csrf(addr);
    let headers = [
        ("Content-Type", "application/json"),
        ("X-CSRF-Token", token.as_str()),
    ];
    let echo = Hostile::start(Behaviour::Echo(Echo::ImapPlain));
    let body = serde_json::json!({
        "address": "taro@example.jp",
        "password": PASSWORD,
        "imap": echo.spec("plain"),
    })
    .to_string();
    let told = post_events(
        addr,
        "/api/check/stream",
        &headers,
        body.as_bytes(),
        "done",
        Duration::from_secs(20),
    );
    let names: Vec<&str> = told.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"job"), "{names:?}");
    assert_eq!(names.get(1), Some(&"planned"), "{names:?}");
    assert!(
        names.contains(&"step") && names.contains(&"server-done"),
        "{names:?}"
    );
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    for (name, data) in &told {
        assert_no_password(name, data);
    }
    let job: serde_json::Value = serde_json::from_str(&told[0].1).unwrap();
    let report_path = job["report"].as_str().unwrap();
    let report = get(addr, report_path);
    assert_eq!(report.status, 200, "{}", report.body);
    assert_no_password("report", &report.body);
    let report: maildoc_model::Report = serde_json::from_str(&report.body).unwrap();
    assert_eq!(report.servers.len(), 1);
    // Without the token the stream is not started.
    let refused = request(
        addr,
        "POST",
        "/api/check/stream",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
}

/// More checks than `max_jobs` at once are refused until one ends.
#[test]
fn a_flood_of_checks_is_refused_beyond_the_limit() {
    let addr = start(Config {
        max_jobs: 1,
        timeout: Duration::from_secs(3),
        ..config()
    });
    let token = csrf(addr);
    let silent = Hostile::start(Behaviour::Silent);
    let spec = silent.spec("plain");
    let fields = [
        ("_csrf", token.as_str()),
        ("address", "taro@example.jp"),
        ("no-login", "on"),
        ("imap", spec.as_str()),
    ];
    let scripted = [("Accept", "application/json")];
    assert_eq!(post_form(addr, "/check", &scripted, &fields).status, 202);
    let refused = post_form(addr, "/check", &scripted, &fields);
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("10"));
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(post_form(addr, "/check", &scripted, &fields).status, 202);
}

/// The JSON API: the same versioned documents as `--format json`.
#[test]
fn the_api_answers_with_the_versioned_documents() {
    let addr = start(config());
    let token = csrf(addr);
    let headers = [
        ("Content-Type", "application/json"),
        ("X-CSRF-Token", token.as_str()),
    ];
    let echo = Hostile::start(Behaviour::Echo(Echo::ImapLogin));
    let body = serde_json::json!({
        "address": "taro@example.jp",
        "password": PASSWORD,
        "imap": echo.spec("ssl"),
    })
    .to_string();
    let a = request(addr, "POST", "/api/check", &headers, body.as_bytes());
    assert_eq!(a.status, 200, "{}", a.body);
    let report: maildoc_model::Report = serde_json::from_str(&a.body).unwrap();
    assert_eq!(report.schema_version, maildoc_model::report::SCHEMA_VERSION);
    assert!(!report.findings.is_empty());
    assert_no_password("the API's report", &a.body);

    let bad = br#"{"address":"no-at-sign","no-login":true}"#;
    let a = request(addr, "POST", "/api/check", &headers, bad);
    assert_eq!(a.status, 422);
    assert!(a.body.contains("needs an @"), "{}", a.body);

    let a = request(
        addr,
        "POST",
        "/api/explain",
        &headers,
        br#"{"text":"535 5.7.8 Authentication failed"}"#,
    );
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert!(a.body.contains("auth-failed"), "{v}");

    let a = request(
        addr,
        "POST",
        "/api/domain",
        &headers,
        br#"{"domain":"posture.test"}"#,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v["domain"], "posture.test");
    assert!(a.body.contains("domain-lookup-failed"));
    let a = request(
        addr,
        "POST",
        "/api/domain",
        &headers,
        br#"{"domain":"localhost"}"#,
    );
    assert_eq!(a.status, 422);
}

/// The hidden fields of the first form on `page`, unescaped.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    let unescape = |v: &str| {
        v.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    page.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once('"')?;
            let value = rest.split_once("value=\"")?.1.split_once('"')?.0;
            Some((name.to_string(), unescape(value)))
        })
        .collect()
}

/// A whole triage through its pages, as a browser without JavaScript would post them: each
/// question answered with its first choice (the address and the sender typed where asked),
/// then the checks, then the summary for support.
#[test]
fn a_whole_triage_from_the_symptom_to_the_summary() {
    let addr = start(config());
    for lang in ["ja", "en"] {
        let mut page = get(addr, &format!("/triage?symptom=one-sender&lang={lang}")).body;
        // The language switch keeps the symptom: the same first question in the other language.
        let other = if lang == "ja" { "en" } else { "ja" };
        assert!(
            page.contains(&format!(
                "class=\"lang\" href=\"/triage?symptom=one-sender&amp;lang={other}\""
            )),
            "{page}"
        );
        let mut asked = Vec::new();
        for _ in 0..40 {
            if page.contains("name=\"run\"") {
                break;
            }
            let mut fields = hidden_fields(&page);
            let question = fields
                .iter()
                .find(|(k, _)| k == "question")
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("no question on {page}"));
            asked.push(question.clone());
            let answer = if page.contains("<textarea id=\"answer\"") {
                match question.as_str() {
                    "address" => "taro@example.jp".to_string(),
                    "sender" => "info@shop.example".to_string(),
                    _ => String::new(),
                }
            } else {
                let key = "name=\"answer\" value=\"";
                let at = page.find(key).unwrap() + key.len();
                page[at..page[at..].find('"').unwrap() + at].to_string()
            };
            fields.push(("answer".into(), answer));
            let refs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let a = post_form(addr, "/triage", &[], &refs);
            assert_eq!(a.status, 200, "{question}: {}", a.body);
            assert!(a.body.contains(&format!("<html lang=\"{lang}\">")));
            page = a.body;
        }
        assert!(asked.len() >= 3, "{asked:?}");
        assert!(
            page.contains("name=\"run\""),
            "never reached the checks: {asked:?}"
        );
        assert!(page.contains("taro@example.jp") && page.contains("shop.example"));
        let fields = hidden_fields(&page);
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let a = post_form(addr, "/triage", &[], &refs);
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(data(&a.body, "state"), vec!["done"]);
        assert!(a.body.contains("taro@example.jp"), "{}", a.body);
        let title = if lang == "ja" { "まとめ" } else { "ummary" };
        assert!(a.body.contains(title), "{}", a.body);
    }
    // A form that was not this server's, or a symptom that does not exist.
    let a = post_form(addr, "/triage", &[], &[("symptom", "receive")]);
    assert_eq!(a.status, 403);
    let token = csrf(addr);
    let a = post_form(
        addr,
        "/triage",
        &[],
        &[("_csrf", &token), ("symptom", "nothing")],
    );
    assert_eq!(a.status, 200);
    assert!(a.body.contains("name=\"symptom\" value=\"receive\""));
}

/// A karte made from the form, downloaded as its file, and opened again from it.
#[test]
fn a_karte_is_made_downloaded_and_opened_again() {
    let addr = start(config());
    let token = csrf(addr);
    let a = post_form(
        addr,
        "/karte",
        &[],
        &[
            ("_csrf", &token),
            ("lang", "ja"),
            ("address", "taro@example.jp"),
            ("display-name", "山田 太郎 <受付>"),
            ("imap", "imap.example.jp:993/ssl"),
            ("smtp", "smtp.example.jp:587/starttls"),
            (
                "devices",
                "事務所のPC:outlook:pop3:delete\niPhone:iphone:imap",
            ),
        ],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(data(&a.body, "state"), vec!["done"]);
    assert!(a.body.contains("class=\"sheet\""));
    assert!(a.body.contains("imap.example.jp") && a.body.contains("事務所のPC"));
    assert!(a.body.contains("山田 太郎 &lt;受付&gt;") && !a.body.contains("<受付>"));
    let toml = hidden_fields(&a.body)
        .into_iter()
        .find(|(k, _)| k == "toml")
        .map(|(_, v)| v)
        .unwrap();
    let d = post_form(
        addr,
        "/karte/download",
        &[],
        &[("_csrf", &token), ("toml", &toml)],
    );
    assert_eq!(d.status, 200);
    assert!(
        d.header("content-disposition")
            .unwrap()
            .contains("karte.toml")
    );
    assert!(d.body.contains("taro@example.jp") && d.body.contains("smtp.example.jp"));
    // Opened again with a note the form does not show: the form edits it, and an edit of
    // the name keeps the note, the devices and the servers.
    let noted = d.body.replacen(
        "name = \"事務所のPC\"",
        "name = \"事務所のPC\"\nnotes = \"keeps its notes\"",
        1,
    );
    assert_ne!(noted, d.body, "{}", d.body);
    let again = post_form(addr, "/karte", &[], &[("_csrf", &token), ("toml", &noted)]);
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.contains("事務所のPC") && again.body.contains("imap.example.jp"));
    let first_form = &again.body[..again.body.find("</form>").unwrap()];
    let mut fields = hidden_fields(first_form);
    for (name, value) in [
        ("address", "taro@example.jp"),
        ("display-name", "Taro"),
        ("imap", "imap.example.jp:993/ssl"),
        ("smtp", "smtp.example.jp:587/starttls"),
        (
            "devices",
            "事務所のPC:outlook:pop3:delete\niPhone:iphone:imap",
        ),
    ] {
        fields.push((name.into(), value.into()));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let edited = post_form(addr, "/karte", &[], &refs);
    assert_eq!(edited.status, 200, "{}", edited.body);
    let toml = hidden_fields(&edited.body)
        .into_iter()
        .find(|(k, _)| k == "toml")
        .map(|(_, v)| v)
        .unwrap();
    assert!(toml.contains("display_name = \"Taro\""), "{toml}");
    assert!(toml.contains("keeps its notes"), "{toml}");
    // What cannot be a karte says why, in the page's language.
    let bad = post_form(
        addr,
        "/karte",
        &[],
        &[
            ("_csrf", &token),
            ("lang", "en"),
            ("address", "taro@example.jp"),
            ("imap", "imap.example.jp"),
            ("devices", "no colons here"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("no colons here") && bad.body.contains("role=\"alert\""));
    let broken = post_form(
        addr,
        "/karte",
        &[],
        &[("_csrf", &token), ("toml", "not = [toml")],
    );
    assert_eq!(broken.status, 422);
    let refused = post_form(addr, "/karte/download", &[], &[("toml", &toml)]);
    assert_eq!(refused.status, 403);
}

/// The triage and karte calls of the JSON API.
#[test]
fn the_api_asks_the_triage_and_makes_kartes() {
    let addr = start(config());
    let token = csrf(addr);
    let headers = [
        ("Content-Type", "application/json"),
        ("X-CSRF-Token", token.as_str()),
    ];
    let post = |path: &str, body: serde_json::Value| {
        let a = request(addr, "POST", path, &headers, body.to_string().as_bytes());
        let v: serde_json::Value = serde_json::from_str(&a.body).unwrap_or_default();
        (a.status, v)
    };
    let (status, v) = post(
        "/api/triage",
        serde_json::json!({"symptom": "receive", "lang": "en"}),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["next"]["id"], "internet");
    assert_eq!(v["next"]["kind"], "choice");
    assert!(v["causes"].as_array().unwrap().len() > 3);
    let answers = serde_json::json!([["internet", "yes"], ["address", "taro@example.jp"]]);
    let (status, v) = post(
        "/api/triage",
        serde_json::json!({"symptom": "receive", "answers": answers, "run": true}),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["checks"]["account"],
        serde_json::Value::Null,
        "checked already"
    );
    assert_eq!(v["report"]["target"]["address"], "taro@example.jp");
    assert!(
        v["summary"]["markdown"]
            .as_str()
            .unwrap()
            .contains("taro@example.jp")
    );
    // The sender's domain is due until the run checks it.
    let sender = serde_json::json!([["sender", "info@shop.example"]]);
    let (_, v) = post(
        "/api/triage",
        serde_json::json!({"symptom": "one-sender", "answers": sender}),
    );
    assert_eq!(v["checks"]["sender"], "shop.example", "{v}");
    let (status, v) = post(
        "/api/triage",
        serde_json::json!({"symptom": "one-sender", "answers": sender, "run": true}),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["checks"]["sender"], serde_json::Value::Null, "{v}");
    assert_eq!(v["domain_report"]["domain"], "shop.example");
    let (status, v) = post("/api/triage", serde_json::json!({"symptom": "nothing"}));
    assert_eq!(status, 422, "{v}");
    let (status, v) = post(
        "/api/triage",
        serde_json::json!({"symptom": "receive", "answers": [["internet", "maybe-not"]]}),
    );
    assert_eq!(status, 422, "{v}");

    let (status, v) = post(
        "/api/karte",
        serde_json::json!({
            "address": "taro@example.jp",
            "imap": "imap.example.jp:993/ssl",
            "devices": "iPhone:iphone:imap",
        }),
    );
    assert_eq!(status, 200, "{v}");
    let toml = v["toml"].as_str().unwrap();
    assert!(toml.contains("imap.example.jp") && toml.contains("iPhone"));
    assert!(v["markdown"].as_str().unwrap().contains("taro@example.jp"));
    let (status, again) = post("/api/karte", serde_json::json!({ "toml": toml }));
    assert_eq!(status, 200);
    assert_eq!(again["toml"], v["toml"]);
    let (status, _) = post("/api/karte", serde_json::json!({"address": "no-at"}));
    assert_eq!(status, 422);
}

/// Discover's page: the settings to type, as a table, and each app's screens.
#[test]
fn discover_shows_the_settings_to_type() {
    let addr = start(config());
    let token = csrf(addr);
    for (lang, word) in [("ja", "受信"), ("en", "ncoming")] {
        let a = post_form(
            addr,
            "/discover",
            &[],
            &[
                ("_csrf", &token),
                ("lang", lang),
                ("address", "someone@icloud.com"),
            ],
        );
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(data(&a.body, "state"), vec!["done"]);
        assert!(a.body.contains("<table class=\"settings\">"), "{}", a.body);
        assert!(a.body.contains("imap.mail.me.com") && a.body.contains(word));
        assert!(a.body.contains("<section class=\"app\">"));
    }
    let a = post_form(
        addr,
        "/discover",
        &[],
        &[("_csrf", &token), ("address", "no-at")],
    );
    assert_eq!(a.status, 422);
}

/// A domain check posted by the page's script streams each part as it is done, then the
/// posture; without the script the same post answers with the whole page.
#[test]
fn a_domain_check_streams_its_parts() {
    let addr = start(config());
    let token = csrf(addr);
    let fields = [
        ("_csrf", token.as_str()),
        ("domain", "posture.test"),
        ("lang", "ja"),
    ];
    let a = post_form(addr, "/domain", &[("Accept", "application/json")], &fields);
    assert_eq!(a.status, 202, "{}", a.body);
    let started: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    let told = events(
        addr,
        started["events"].as_str().unwrap(),
        "done",
        Duration::from_secs(20),
    );
    let parts: Vec<serde_json::Value> = told
        .iter()
        .filter(|(n, _)| n == "domain-part")
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(parts.len(), 10, "{told:?}");
    assert!(
        parts
            .iter()
            .all(|p| p["label"].as_str().is_some_and(|l| !l.is_empty()))
    );
    let (last, data_json) = told.last().unwrap();
    assert_eq!(last, "done");
    let done: serde_json::Value = serde_json::from_str(data_json).unwrap();
    let html = done["html"].as_str().unwrap();
    assert!(html.contains("data-requirement=\"dmarc\"") && html.contains("data-area=\"spf\""));
    assert!(html.contains("/report.json"));
    let job = started["job"].as_str().unwrap();
    let json = get(addr, &format!("/jobs/{job}/report.json"));
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["domain"], "posture.test");
    let md = get(addr, &format!("/jobs/{job}/report.md?lang=en"));
    assert!(md.body.contains("posture.test"));

    let page = post_form(addr, "/domain", &[], &fields);
    assert_eq!(page.status, 200);
    assert_eq!(data(&page.body, "state"), vec!["done"]);
    let bad = post_form(
        addr,
        "/domain",
        &[("Accept", "application/json")],
        &[("_csrf", token.as_str()), ("domain", "localhost")],
    );
    assert_eq!(bad.status, 422);
}

/// Every check posted is kept: `/history` lists the address, its timeline shows the runs
/// with what changed, never the password (the server echoed it back); a server without a
/// history says so; an address that is none is refused in words.
#[test]
fn the_history_pages_show_each_run_and_what_changed() {
    let dir = maildoc_testkit::scratch::Scratch::new("web-history");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let history = runtime
        .block_on(maildoc_engine::history::History::open(
            &maildoc_engine::history::Location::Sqlite(dir.path("h.sqlite3")),
            maildoc_engine::history::Retention::default(),
        ))
        .unwrap();
    let addr = start(Config {
        history: Some(history),
        ..config()
    });
    let token = csrf(addr);
    let echo = Hostile::start(Behaviour::Echo(Echo::ImapLogin));
    let silent = Hostile::start(Behaviour::Silent);
    for imap in [echo.spec("ssl"), echo.spec("ssl"), silent.spec("ssl")] {
        let a = post_form(
            addr,
            "/check",
            &[],
            &[
                ("_csrf", &token),
                ("lang", "en"),
                ("address", "Taro@Example.JP"),
                ("password", PASSWORD),
                ("imap", &imap),
            ],
        );
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let index = get(addr, "/history?lang=ja");
    assert_eq!(index.status, 200);
    assert!(index.body.contains("<html lang=\"ja\">"));
    assert_eq!(data(&index.body, "subject"), vec!["taro@example.jp"]);
    assert!(
        index
            .body
            .contains("/history?subject=taro%40example.jp&amp;lang=ja")
    );

    let timeline = get(addr, "/history?subject=TARO%40example.jp&lang=en");
    assert_eq!(timeline.status, 200, "{}", timeline.body);
    // The language switch keeps the subject.
    assert!(
        timeline
            .body
            .contains("class=\"lang\" href=\"/history?subject=taro%40example.jp&amp;lang=ja\""),
        "{}",
        timeline.body
    );
    assert_eq!(data(&timeline.body, "run").len(), 3);
    assert_eq!(
        data(&timeline.body, "changed"),
        vec!["true", "false", "false"]
    );
    assert!(timeline.body.contains("No earlier run to compare with."));
    assert!(timeline.body.contains("Nothing changed"));
    assert!(
        !data(&timeline.body, "code").is_empty(),
        "the new findings are named"
    );
    assert_no_password("the history index", &index.body);
    assert_no_password("the timeline", &timeline.body);

    // Watched from the page: the form posts with the page's token and comes back to the
    // timeline, which says how it is watched; the index lists it; then it is stopped.
    assert!(timeline.body.contains("data-watched=\"false\""));
    assert!(timeline.body.contains("action=\"/history/watch\""));
    let watch = |path: &str, token: &str| {
        post_form(
            addr,
            path,
            &[],
            &[
                ("_csrf", token),
                ("lang", "en"),
                ("subject", "Taro@Example.JP"),
                ("every", "6h"),
            ],
        )
    };
    assert_eq!(watch("/history/watch", "not-the-token").status, 403);
    let added = watch("/history/watch", &token);
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(
        added.header("location"),
        Some("/history?subject=taro%40example.jp&lang=en")
    );
    let watched = get(addr, "/history?subject=taro%40example.jp&lang=en").body;
    assert!(watched.contains("data-watched=\"true\""), "{watched}");
    assert!(watched.contains("every 6h"), "{watched}");
    let index = get(addr, "/history?lang=en").body;
    assert_eq!(data(&index, "watch"), vec!["taro@example.jp"]);
    assert_eq!(watch("/history/unwatch", &token).status, 303);
    let stopped = get(addr, "/history?subject=taro%40example.jp&lang=en").body;
    assert!(stopped.contains("data-watched=\"false\""));
    let bad_every = post_form(
        addr,
        "/history/watch",
        &[],
        &[
            ("_csrf", &token),
            ("subject", "example.jp"),
            ("every", "5s"),
        ],
    );
    assert_eq!(bad_every.status, 422);

    let nothing = get(addr, "/history?subject=nobody%40example.jp&lang=en");
    assert_eq!(nothing.status, 200);
    assert!(nothing.body.contains("No runs kept yet"));
    let bad = get(addr, "/history?subject=not+a+domain&lang=en");
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("is neither a mail address nor a domain"));

    let off = start(config());
    let a = get(off, "/history?lang=en");
    assert_eq!(a.status, 422);
    assert!(a.body.contains("keeps no history"), "{}", a.body);
}

#[test]
fn a_pasted_message_is_read_with_its_route_and_findings() {
    let addr = start(config());
    let token = csrf(addr);
    let origin = format!("http://{addr}");
    let headers = [("Origin", origin.as_str())];
    let sample = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../maildoc-engine/tests/data/messages/list-dkim-broken-skew.eml"),
    )
    .unwrap();
    let a = post_form(
        addr,
        "/message",
        &headers,
        &[
            ("_csrf", token.as_str()),
            ("lang", "ja"),
            ("text", sample.as_str()),
        ],
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("<html lang=\"ja\">"));
    assert!(a.body.contains("<table class=\"route\">"), "{}", a.body);
    assert_eq!(
        data(&a.body, "code"),
        [
            "message-dmarc-fail",
            "message-dkim-fail",
            "message-not-aligned",
            "message-hop-clock-skew"
        ]
    );
    let empty = post_form(
        addr,
        "/message",
        &headers,
        &[("_csrf", token.as_str()), ("text", " ")],
    );
    assert_eq!(empty.status, 422);
}

#[test]
fn a_providers_status_is_read_or_said_unknown() {
    let addr = start(config());
    let token = csrf(addr);
    let origin = format!("http://{addr}");
    let headers = [("Origin", origin.as_str())];
    let post = |provider: &str| {
        post_form(
            addr,
            "/status",
            &headers,
            &[
                ("_csrf", token.as_str()),
                ("lang", "en"),
                ("provider", provider),
            ],
        )
    };
    // The config's DNS answers SERVFAIL: the feed cannot be fetched, so: unknown.
    let gmail = post("taro@gmail.com");
    assert_eq!(gmail.status, 200, "{}", gmail.body);
    assert_eq!(data(&gmail.body, "feed-state"), ["unknown"]);
    let au = post("au");
    assert_eq!(data(&au.body, "feed-state"), ["no-feed"]);
    assert!(
        au.body.contains("href=\"https://www.au.com/information/\""),
        "{}",
        au.body
    );
    assert_eq!(post("example.invalid").status, 422);
}
