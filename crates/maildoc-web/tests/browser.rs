//! The web app in a real browser: Debian's headless Chromium driven over WebDriver, the pages
//! filled in and clicked as a person would, against the lab's real Dovecot, Postfix and NSD.
//! Each case's finding codes must be the library's (what `maildoc check` gives) for the same
//! input, the markup contract must hold, no page may show the password, and every page is
//! photographed in Japanese and English at desktop and phone width (`target/screenshots`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_engine::{CheckOptions, Env, Password};
use maildoc_model::Protocol;
use maildoc_model::settings::AccountSettings;
use maildoc_report::Lang;
use maildoc_testkit::lab::Lab;
use maildoc_testkit::webdriver::{Driver, Session};
use maildoc_web::Config;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

mod common;
use common::{codes_of, start};

const TIMEOUT: Duration = Duration::from_secs(10);

fn lab_env() -> Env {
    let lab = Lab::get();
    let ca = std::fs::read(lab.ca()).unwrap();
    Env::new(Some(lab.dns().parse().unwrap()), Some(&ca)).unwrap()
}

fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots")
}

/// The page now, photographed at desktop and at phone width (at its result, when it has one).
/// At either width nothing is wider than the window: no page scrolls sideways.
fn photograph(s: &Session<'_>, name: &str, lang: &str) {
    for (width, height) in [(1280, 900), (390, 844)] {
        s.resize(width, height);
        s.execute(
            "const r = document.querySelector('#results[data-state=done]'); \
             if (r) r.scrollIntoView();",
        );
        let overflow = s.execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
        );
        assert!(
            overflow.as_i64().is_some_and(|px| px <= 0),
            "{name} ({lang}) at {width} px scrolls sideways by {overflow} px"
        );
        s.screenshot(&screenshots().join(format!("{name}-{lang}-{width}.png")));
    }
    s.resize(1280, 900);
}

/// One check as a person fills it in.
struct Case {
    name: &'static str,
    password: String,
    imap: &'static str,
    smtp: &'static str,
}

impl Case {
    /// What the library gives `maildoc check taro@lab.example` with these flags.
    fn library_codes(&self, env: &Env) -> Vec<String> {
        let mut texts = Vec::new();
        if !self.imap.is_empty() {
            texts.push((Protocol::Imap, self.imap));
        }
        if !self.smtp.is_empty() {
            texts.push((Protocol::Smtp, self.smtp));
        }
        let opts = CheckOptions {
            settings: AccountSettings::from_texts("taro@lab.example", None, &texts, true).unwrap(),
            password: Some(Password::new(self.password.clone())),
            login: true,
            smtp_auth: true,
            allow_plaintext_login: false,
            timeout: TIMEOUT,
        };
        let runtime = tokio::runtime::Runtime::new().unwrap();
        codes_of(
            &runtime
                .block_on(maildoc_engine::check(env, opts, |_| {}))
                .unwrap(),
        )
    }
}

fn attributes(s: &Session<'_>, css: &str, name: &str) -> Vec<String> {
    s.find_all(css)
        .iter()
        .filter_map(|e| s.attribute(e, name))
        .collect()
}

/// Fills in the check form of the page now and sends it; waits for the result.
fn run_check(s: &Session<'_>, case: &Case, scripts: bool) {
    s.type_into(&s.find("#address"), "taro@lab.example");
    s.type_into(&s.find("#password"), &case.password);
    s.click(&s.find("#check-form summary"));
    if !case.imap.is_empty() {
        s.type_into(&s.find("#imap"), case.imap);
    }
    if !case.smtp.is_empty() {
        s.type_into(&s.find("#smtp"), case.smtp);
    }
    s.click(&s.find("#check-form button[type=submit]"));
    let limit = TIMEOUT + Duration::from_secs(10);
    assert!(
        s.wait_for("#results[data-state=done]", limit),
        "{} (scripts {scripts}): no result on {}: {}",
        case.name,
        s.url(),
        s.source()
    );
}

/// The check form's other button: a test message from inbox@lab.example to itself, sent
/// through the lab's Postfix and found in its Dovecot mailbox, then removed.
fn run_roundtrip(s: &Session<'_>, lab: &Lab, scripts: bool) {
    let password = lab.password("inbox");
    s.type_into(&s.find("#address"), "inbox@lab.example");
    s.type_into(&s.find("#password"), &password);
    s.click(&s.find("#check-form summary"));
    s.type_into(&s.find("#imap"), "imap.lab.example:993/ssl");
    s.type_into(&s.find("#smtp"), "smtp.lab.example:465/ssl");
    s.click(&s.find("#check-form button[value=roundtrip]"));
    assert!(
        s.wait_for(
            "#results[data-state=done] [data-roundtrip=arrived]",
            Duration::from_secs(40)
        ),
        "roundtrip (scripts {scripts}): not found on {}: {}",
        s.url(),
        s.source()
    );
    let page = s.source();
    assert!(
        !page.contains(&password),
        "the round trip shows the password"
    );
    assert!(page.contains("INBOX"), "{page}");
}

fn assert_no_password(s: &Session<'_>, case: &Case) {
    let page = s.source();
    assert!(
        !page.contains(&case.password),
        "{}: the page shows the password",
        case.name
    );
    let field = s.find("#password");
    assert_eq!(s.attribute(&field, "value").unwrap_or_default(), "");
}

/// The history the page's checks were kept in: a SQLite file in `dir`.
fn history(dir: &maildoc_testkit::scratch::Scratch) -> maildoc_engine::history::History {
    use maildoc_engine::history::{History, Location, Retention};
    let location = Location::Sqlite(dir.path("history.sqlite3"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(History::open(&location, Retention::default()))
        .unwrap()
}

/// From the start page to the history, then to the address's timeline: the checks just
/// made are there, newest first, and the step from the healthy run to the wrong password
/// shows the login failure as new.
fn look_back(s: &Session<'_>, addr: SocketAddr, lang: &str, cases: &[Case]) {
    s.goto(&format!("http://{addr}/?lang={lang}"));
    s.click(&s.find("a.button[href^='/history']"));
    assert!(
        s.wait_for("table.subjects", Duration::from_secs(5)),
        "{}",
        s.source()
    );
    photograph(s, "history", lang);
    s.click(&s.find("tr[data-subject='taro@lab.example'] a"));
    assert!(
        s.wait_for("ol.timeline", Duration::from_secs(5)),
        "{}",
        s.source()
    );
    let runs = attributes(s, "ol.timeline > li", "data-run");
    assert!(runs.len() >= cases.len(), "{runs:?}");
    let mut appeared = attributes(s, "ol.timeline .appeared [data-code]", "data-code");
    appeared.sort();
    assert!(
        appeared.contains(&"auth-failed".to_string()),
        "{appeared:?}"
    );
    assert!(
        appeared.contains(&"cert-expired".to_string()),
        "{appeared:?}"
    );
    let page = s.source();
    for case in cases {
        assert!(
            !page.contains(&case.password),
            "{}: the history shows the password",
            case.name
        );
    }
    photograph(s, "history-timeline", lang);
    // Watched from the page (the other language's walk may have watched it already: then
    // it is stopped).
    let (button, after) = if s.find_all("section.watch[data-watched=false]").is_empty() {
        (
            "form[action='/history/unwatch'] button",
            "section.watch[data-watched=false]",
        )
    } else {
        (
            "form[action='/history/watch'] button",
            "section.watch[data-watched=true]",
        )
    };
    s.click(&s.find(button));
    assert!(s.wait_for(after, Duration::from_secs(5)), "{}", s.source());
    photograph(s, "history-watch", lang);
}

/// A whole triage as a person clicks it: from the start page's "mail does not arrive", the
/// symptom, every question (the first answer, the address and the sender typed where asked),
/// the checks, the summary.
fn walk_a_triage(s: &Session<'_>, addr: SocketAddr, lang: &str) {
    s.goto(&format!("http://{addr}/?lang={lang}"));
    s.click(&s.find("a.button[href^='/triage']"));
    assert!(s.wait_for("form.triage", Duration::from_secs(5)));
    photograph(s, "triage-start", lang);
    s.click(&s.find("button[name=symptom][value=one-sender]"));
    // Read in one script call: the page may change between two WebDriver calls.
    let question_now = |s: &Session<'_>| {
        s.execute(
            "const q = document.querySelector('input[name=question]'); \
             return document.querySelector('input[name=run]') ? 'run' : (q ? q.value : null);",
        )
        .as_str()
        .map(str::to_string)
    };
    let mut first = true;
    let mut last: Option<String> = None;
    for _ in 0..40 {
        // The next page has come when it asks another question, or none.
        let started = std::time::Instant::now();
        let question = loop {
            let now = question_now(s);
            if now.is_some() && now != last {
                break now;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "stuck on {last:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let Some(question) = question.filter(|q| q != "run") else {
            break;
        };
        if first {
            photograph(s, "triage-question", lang);
            first = false;
        }
        match s.find_all("textarea#answer").first() {
            Some(text) => {
                let answer = match question.as_str() {
                    "address" => "taro@lab.example",
                    "sender" => "info@good.posture.lab.example",
                    _ => "",
                };
                s.type_into(text, answer);
                s.click(&s.find("fieldset button[type=submit]"));
            }
            None => s.click(&s.find("ul.answers button")),
        }
        last = Some(question);
    }
    assert!(!s.find_all("input[name=run]").is_empty(), "no checks page");
    photograph(s, "triage-checks", lang);
    s.click(&s.find("form.triage button[type=submit]"));
    assert!(
        s.wait_for(
            "#results[data-state=done]",
            TIMEOUT + Duration::from_secs(20)
        ),
        "no triage summary on {}",
        s.url()
    );
    let page = s.source();
    assert!(page.contains("taro@lab.example") && page.contains("good.posture.lab.example"));
    photograph(s, "triage-summary", lang);
}

#[test]
#[ignore = "needs the lab and chromium (scripts/test.sh installs and starts them)"]
fn a_person_checks_their_mail_in_the_browser() {
    let driver = Driver::start().expect("chromium and chromium-driver (lab/lab.sh install)");
    let env = lab_env();
    let history_dir = maildoc_testkit::scratch::Scratch::new("browser-history");
    let addr: SocketAddr = start(Config {
        env: env.clone(),
        lang: Lang::Ja,
        timeout: TIMEOUT,
        token: None,
        max_jobs: 4,
        history: Some(history(&history_dir)),
    });
    let lab = Lab::get();
    let right = lab.password("taro");
    let cases = [
        Case {
            name: "healthy",
            password: right.clone(),
            imap: "imap.lab.example:993/ssl",
            smtp: "smtp.lab.example:587/starttls",
        },
        Case {
            name: "wrong-password",
            password: "Not-The-Password-9".into(),
            imap: "imap.lab.example:993/ssl",
            smtp: "",
        },
        Case {
            name: "expired-certificate",
            password: right.clone(),
            imap: "expired.lab.example:993/ssl",
            smtp: "",
        },
        Case {
            name: "op25b",
            password: right.clone(),
            imap: "",
            smtp: "op25b.lab.example:25",
        },
    ];
    // A received message's source as a person pastes it (typed keys: a tab would move the
    // focus, so folded lines start with a space).
    let message = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../maildoc-engine/tests/data/messages/lab-postfix-dovecot.eml"),
    )
    .expect("the sample message")
    .replace("\r\n", "\n")
    .replace('\t', " ");
    for lang in ["ja", "en"] {
        let s = driver.session(lang, true);
        s.goto(&format!("http://{addr}/?lang={lang}"));
        assert_eq!(
            s.execute("return document.documentElement.lang"),
            serde_json::json!(lang)
        );
        photograph(&s, "start", lang);
        for (i, case) in cases.iter().enumerate() {
            // From the start page, as a person would: "cannot receive mail".
            s.goto(&format!("http://{addr}/?lang={lang}"));
            s.click(&s.find("a.button[href^='/check']"));
            assert!(s.wait_for("#check-form", Duration::from_secs(5)));
            if i == 0 {
                photograph(&s, "check-form", lang);
            }
            run_check(&s, case, true);
            let page_codes = {
                let mut c = attributes(&s, "#results [data-code]", "data-code");
                c.sort();
                c
            };
            assert_eq!(
                page_codes,
                case.library_codes(&env),
                "{} ({lang}): the page's codes are the library's",
                case.name
            );
            let statuses = attributes(&s, "#results [data-server]", "data-status");
            assert!(!statuses.is_empty(), "{}: no server rows", case.name);
            assert!(
                statuses
                    .iter()
                    .all(|st| ["ok", "warn", "fail"].contains(&st.as_str())),
                "{}: {statuses:?}",
                case.name
            );
            match case.name {
                "healthy" => assert!(statuses.iter().all(|st| st == "ok"), "{statuses:?}"),
                "wrong-password" => assert!(page_codes.contains(&"auth-failed".to_string())),
                "expired-certificate" => assert!(page_codes.contains(&"cert-expired".to_string())),
                _ => assert!(!page_codes.is_empty()),
            }
            for e in s.find_all("#results [data-code]") {
                let severity = s.attribute(&e, "data-severity").unwrap_or_default();
                assert!(["error", "warning", "info"].contains(&severity.as_str()));
            }
            assert_no_password(&s, case);
            let copy = s.find("#results button.copy");
            assert_eq!(
                s.attribute(&copy, "hidden"),
                None,
                "the script shows the copy button"
            );
            photograph(&s, &format!("check-{}", case.name), lang);
        }
        s.goto(&format!("http://{addr}/check?lang={lang}"));
        run_roundtrip(&s, &lab, true);
        photograph(&s, "roundtrip", lang);
        for (path, field, value, name) in [
            ("/domain", "#domain", "good.posture.lab.example", "domain"),
            (
                "/explain",
                "#text",
                "535 5.7.8 Error: authentication failed",
                "explain",
            ),
            ("/discover", "#address", "someone@icloud.com", "discover"),
            ("/message", "#text", message.as_str(), "message"),
            // A provider without a status feed: answered from the tables, no network.
            ("/status", "#provider", "au", "status"),
        ] {
            s.goto(&format!("http://{addr}{path}?lang={lang}"));
            s.type_into(&s.find(field), value);
            s.click(&s.find("form.job button[type=submit]"));
            assert!(
                s.wait_for("#results[data-state=done]", Duration::from_secs(30)),
                "{path}: no result on {}: {}",
                s.url(),
                s.source()
            );
            if name == "message" {
                // The whole message arrived, body and all, not only its headers.
                let l = if lang == "ja" { Lang::Ja } else { Lang::En };
                let headers_only = maildoc_report::ui::text("message-headers-only", l);
                assert!(!s.source().contains(headers_only), "{}", s.source());
            }
            photograph(&s, name, lang);
        }
        walk_a_triage(&s, addr, lang);
        s.goto(&format!("http://{addr}/karte?lang={lang}"));
        for (field, value) in [
            ("#address", "taro@lab.example"),
            ("#display-name", "Taro Yamada"),
            ("#imap", "imap.lab.example:993/ssl"),
            ("#smtp", "smtp.lab.example:587/starttls"),
            ("#devices", "Office PC:outlook:pop3:delete"),
        ] {
            s.type_into(&s.find(field), value);
        }
        s.click(&s.find("form.job button[type=submit]"));
        assert!(s.wait_for("#results[data-state=done] .sheet", Duration::from_secs(10)));
        photograph(&s, "karte", lang);
        look_back(&s, addr, lang, &cases);
    }
    // Without JavaScript the form posts as usual and the result page comes whole.
    let s = driver.session("ja", false);
    s.goto(&format!("http://{addr}/check?lang=ja"));
    assert_eq!(
        s.find_all("#live:not([hidden])").len(),
        0,
        "the live rows are for the script"
    );
    run_check(&s, &cases[1], false);
    let codes = attributes(&s, "#results [data-code]", "data-code");
    assert!(codes.contains(&"auth-failed".to_string()), "{codes:?}");
    assert_no_password(&s, &cases[1]);
    let copy = s.find("#results button.copy");
    assert!(
        s.attribute(&copy, "hidden").is_some(),
        "no copy button without a script"
    );
    photograph(&s, "check-noscript", "ja");
    s.goto(&format!("http://{addr}/check?lang=ja"));
    run_roundtrip(&s, &lab, false);
    // With the keyboard alone: the first Tab reaches the skip link, Enter in the password
    // field sends the form.
    let k = driver.session("en", true);
    k.goto(&format!("http://{addr}/check?lang=en"));
    k.type_into(&k.find("body"), TAB);
    assert_eq!(
        k.execute("return document.activeElement.className"),
        serde_json::json!("skip")
    );
    k.type_into(&k.find("#address"), "taro@lab.example");
    k.type_into(
        &k.find("#password"),
        &format!("{}{ENTER}", cases[1].password),
    );
    assert!(
        k.wait_for(
            "#results[data-state=done]",
            TIMEOUT + Duration::from_secs(10)
        ),
        "Enter sent no form: {}",
        k.source()
    );
    let codes = attributes(&k, "#results [data-code]", "data-code");
    assert!(!codes.is_empty(), "{codes:?}");
}

/// The WebDriver codes of the Tab and Enter keys.
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
