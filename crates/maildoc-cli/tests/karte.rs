//! `maildoc karte new | check | show`: the binary against the lab (`lab/lab.sh start`) and
//! on files: a karte made from flags, checked with the lab's healthy servers (history
//! appended with result, codes and quota; the password nowhere in the file), risks found
//! across devices, a password typed into a field removed, bad files refused with the file,
//! line and field in Japanese and English, the questions of `karte new --interactive`, and
//! the provider tables' defaults with no network.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_karte::{CheckResult, Karte};
use maildoc_model::{Code, Protocol, Security};
use maildoc_testkit::lab::{Lab, Run, leaks, run_with_env};
use maildoc_testkit::scratch::Scratch;
use std::ffi::OsStr;
use std::path::Path;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// Runs the binary with `args` and `LANG=C`; `stdin` is written to its standard input (then
/// closed); `env` is set. `MAILDOC_PASSWORD` is removed unless `env` sets it.
fn maildoc(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut all: Vec<(&str, &OsStr)> = vec![("LANG", OsStr::new("C"))];
    all.extend(env.iter().map(|(k, v)| (*k, OsStr::new(v))));
    run_with_env(BIN, args, stdin.as_bytes(), &all)
}

fn load(path: &Path) -> Karte {
    maildoc_karte::load(path).unwrap_or_else(|e| panic!("{e}"))
}

/// `karte check FILE` against the lab, JSON, the password on standard input.
fn karte_check(file: &Path, password: Option<&str>, extra: &[&str]) -> Run {
    let lab = Lab::get();
    let (dns, ca) = (lab.dns(), lab.ca());
    let file = file.to_str().unwrap();
    let mut args = vec![
        "karte",
        "check",
        file,
        "--dns-server",
        &dns,
        "--ca-file",
        &ca,
        "--format",
        "json",
        "--timeout",
        "15",
    ];
    args.extend_from_slice(extra);
    match password {
        Some(p) => {
            args.push("--password-stdin");
            maildoc(&args, &format!("{p}\n"), &[])
        }
        None => {
            args.push("--no-login");
            maildoc(&args, "", &[])
        }
    }
}

/// `karte new taro@lab.example` with the lab's healthy servers and `devices`.
fn new_taro(file: &Path, devices: &[&str], extra: &[&str]) -> Run {
    let mut args = vec![
        "karte",
        "new",
        "taro@lab.example",
        "-o",
        file.to_str().unwrap(),
        "--imap",
        "imap.lab.example:993/ssl",
        "--pop3",
        "pop.lab.example:995/ssl",
        "--smtp",
        "smtp.lab.example:587/starttls",
        "--display-name",
        "山田 太郎",
        "--source",
        "https://lab.example/mail/settings",
        "--source",
        "登録内容のお知らせ",
        "--changed-by",
        "花子",
    ];
    for d in devices {
        args.push("--device");
        args.push(d);
    }
    args.extend_from_slice(extra);
    maildoc(&args, "", &[])
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn new_check_and_show_against_the_healthy_lab() {
    let lab = Lab::get();
    let password = lab.password("taro");
    let dir = Scratch::new("healthy");
    let file = dir.path("taro.karte.toml");
    let made = new_taro(
        &file,
        &[
            "自宅の iPhone:iphone:imap",
            "事務所のパソコン:outlook:pop3:keep",
        ],
        &["--lang", "ja"],
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(made.stderr.contains("カルテを"), "{}", made.stderr);
    let k = load(&file);
    assert_eq!(k.account.address, "taro@lab.example");
    assert_eq!(k.account.display_name.as_deref(), Some("山田 太郎"));
    assert_eq!(k.account.changed_by.as_deref(), Some("花子"));
    assert!(k.account.last_changed.is_some());
    assert_eq!(k.incoming.len(), 2);
    assert_eq!(
        (
            k.incoming[0].protocol,
            k.incoming[0].port,
            k.incoming[0].security
        ),
        (Protocol::Imap, Some(993), Some(Security::Tls))
    );
    let out = k.outgoing.as_ref().unwrap();
    assert_eq!(
        (out.port, out.security, out.auth),
        (Some(587), Some(Security::Starttls), Some(true))
    );
    assert_eq!(k.devices.len(), 2);
    assert_eq!(k.devices[1].deletes_from_server, Some(false));
    assert_eq!(k.sources.len(), 2);
    assert!(k.history.is_empty());
    // Not overwritten without --force.
    let again = new_taro(&file, &[], &["--lang", "en"]);
    assert_eq!(again.code, 3);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    assert_eq!(load(&file), k);

    // A real check with the password: healthy, quota read, history appended.
    let checked = karte_check(&file, Some(&password), &[]);
    assert_eq!(checked.code, 0, "{}\n{}", checked.stdout, checked.stderr);
    let report = checked.report();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert!(report.target.login);
    let ids: Vec<&str> = report.servers.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["imap", "pop3", "smtp"]);
    let k = load(&file);
    assert_eq!(k.history.len(), 1);
    let h = &k.history[0];
    assert_eq!(h.result, CheckResult::Ok);
    assert!(h.codes.is_empty());
    assert_eq!(h.at, maildoc_karte::whole_seconds(&report.started_at));
    assert!(!h.at.contains('.'), "{}", h.at);
    assert_eq!(h.login, Some(true));
    assert!(h.has_quota_reading(), "{h:?}");
    assert_eq!(
        h.servers,
        [
            "imap imap.lab.example:993/ssl",
            "pop3 pop.lab.example:995/ssl",
            "smtp smtp.lab.example:587/starttls"
        ]
    );
    // The password is nowhere in the file, nor in anything printed.
    let text = std::fs::read_to_string(&file).unwrap();
    for (what, s) in [
        ("file", &text),
        ("stdout", &checked.stdout),
        ("stderr", &checked.stderr),
    ] {
        let found = leaks(s, &password, &["taro@lab.example", "taro"]);
        assert!(found.is_empty(), "{what}: {found:?}");
    }

    // Without login: a second entry, no quota, and the earlier reading still counts.
    let checked = karte_check(&file, None, &[]);
    assert_eq!(checked.code, 0, "{}", checked.stderr);
    let k = load(&file);
    assert_eq!(k.history.len(), 2);
    assert_eq!(k.history[1].login, Some(false));
    assert!(!k.history[1].has_quota_reading());
    assert!(maildoc_engine::karte::risks(&k).is_empty());

    // The sheet: both languages, every format, the recorded checks, no password.
    for (lang, words) in [("ja", "メール設定カルテ"), ("en", "Mail settings karte")] {
        for format in ["human", "markdown", "html"] {
            let shown = maildoc(
                &[
                    "karte",
                    "show",
                    file.to_str().unwrap(),
                    "--format",
                    format,
                    "--lang",
                    lang,
                ],
                "",
                &[],
            );
            assert_eq!(shown.code, 0, "{}", shown.stderr);
            assert!(shown.stdout.contains(words), "{lang} {format}");
            assert!(shown.stdout.contains("imap.lab.example"));
            assert!(shown.stdout.contains(&k.history[0].at));
            assert!(leaks(&shown.stdout, &password, &[]).is_empty());
        }
    }
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_check_with_problems_records_its_codes_and_reports_the_risks() {
    let lab = Lab::get();
    let password = lab.password("taro");
    let dir = Scratch::new("problems");
    let file = dir.path("taro.karte.toml");
    let made = new_taro(
        &file,
        &["iPhone:iphone:imap", "PC:outlook:pop3:delete"],
        &["--smtp-auth", "none"],
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    // `karte new` already names the risks.
    assert!(made.stderr.contains("Mail may vanish"), "{}", made.stderr);
    let checked = karte_check(&file, Some(&password), &[]);
    assert_eq!(checked.code, 1, "{}", checked.stderr);
    let report = checked.report();
    let codes: Vec<Code> = report.findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&Code::SmtpRelayDenied), "{codes:?}");
    for risk in [Code::KartePop3RemovesImapMail, Code::KartePop3SingleCopy] {
        assert!(codes.contains(&risk), "{risk} in {codes:?}");
    }
    let k = load(&file);
    let h = k.history.last().unwrap();
    assert_eq!(h.result, CheckResult::Error);
    assert!(h.codes.contains(&"smtp-relay-denied".to_string()), "{h:?}");
    // Risks are not history: they follow from the file.
    assert!(!h.codes.iter().any(|c| c.starts_with("karte-")), "{h:?}");
    assert!(leaks(&std::fs::read_to_string(&file).unwrap(), &password, &[]).is_empty());
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_password_typed_into_the_karte_is_removed_when_saving() {
    let lab = Lab::get();
    let password = lab.password("taro");
    let dir = Scratch::new("typed");
    let file = dir.path("taro.karte.toml");
    // Typed into the display name while MAILDOC_PASSWORD is set: `new` removes it.
    let out = maildoc(
        &[
            "karte",
            "new",
            "taro@lab.example",
            "-o",
            file.to_str().unwrap(),
            "--imap",
            "imap.lab.example",
            "--smtp",
            "smtp.lab.example:587/starttls",
            "--display-name",
            &format!("Taro {password}"),
            "--lang",
            "en",
        ],
        "",
        &[("MAILDOC_PASSWORD", &password)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("account.display_name"),
        "{}",
        out.stderr
    );
    assert!(leaks(&out.stderr, &password, &[]).is_empty());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(leaks(&text, &password, &[]).is_empty(), "{text}");
    assert_eq!(
        load(&file).account.display_name.as_deref(),
        Some("Taro ********")
    );
    // Written by hand into the notes and a device's backup: `check` removes it.
    let text = text.replace(
        "[account]\n",
        &format!("[account]\nnotes = \"pw {password}\"\n"),
    ) + &format!(
        "\n[[devices]]\nname = \"PC\"\nprotocol = \"imap\"\nbackup = \"{password}\"\n"
    );
    std::fs::write(&file, text).unwrap();
    let checked = karte_check(&file, Some(&password), &["--lang", "ja"]);
    assert_eq!(checked.code, 0, "{}", checked.stderr);
    assert!(
        checked.stderr.contains("account.notes"),
        "{}",
        checked.stderr
    );
    assert!(
        checked.stderr.contains("devices[1].backup"),
        "{}",
        checked.stderr
    );
    let text = std::fs::read_to_string(&file).unwrap();
    for (what, s) in [
        ("file", &text),
        ("stdout", &checked.stdout),
        ("stderr", &checked.stderr),
    ] {
        let found = leaks(s, &password, &["taro@lab.example"]);
        assert!(found.is_empty(), "{what}: {found:?}");
    }
    assert_eq!(load(&file).history.len(), 1);
}

#[test]
fn bad_karte_files_are_refused_with_file_line_and_field() {
    let dir = Scratch::new("bad");
    let file = dir.path("bad.karte.toml");
    let path = file.to_str().unwrap();
    std::fs::write(
        &file,
        "karte_version = 1\n\n[account]\naddress = \"taro@lab.example\"\n\n[[devices]]\nname = \"PC\"\nprotocol = \"imap\"\n\n[[devices]]\nname = \"スマホ\"\nprotocol = \"smtp\"\n",
    )
    .unwrap();
    let ja = maildoc(&["karte", "show", path, "--lang", "ja"], "", &[]);
    assert_eq!(ja.code, 3);
    assert!(ja.stdout.is_empty());
    assert_eq!(
        ja.stderr.trim(),
        format!(
            "maildoc: {path}:12:1: devices[2].protocol の値が使えません: imap か pop3 を書いてください"
        )
    );
    let en = maildoc(
        &["karte", "check", path, "--no-login", "--lang", "en"],
        "",
        &[],
    );
    assert_eq!(en.code, 3);
    assert_eq!(
        en.stderr.trim(),
        format!(
            "maildoc: {path}:12:1: devices[2].protocol: the value cannot be used: write imap or pop3"
        )
    );
    // The file is left as it was.
    assert!(std::fs::read_to_string(&file).unwrap().contains("\"smtp\""));

    let cases: &[(&str, &str, &str)] = &[
        (
            "karte_version = 1\n[account]\naddress = \"taro@lab.example\"\npassword = \"x\"\n",
            ":4:1: ",
            "a karte never holds a password",
        ),
        (
            "karte_version = 3\n[account]\naddress = \"taro@lab.example\"\n",
            ":1:1: ",
            "this karte is version 3",
        ),
        (
            "[account]\naddress = \"taro@lab.example\"\n",
            ": ",
            "not a maildoc karte",
        ),
        (
            "karte_version = 1\n[account]\naddress = \"taro@lab.example\n",
            ":3:",
            "not valid TOML",
        ),
        (
            "karte_version = 1\n[account]\naddress = \"taro@lab.example\"\n[outgoing]\nhost = \"smtp.lab.example\"\nprot = 587\n",
            ":6:1: ",
            "outgoing.prot is not a field",
        ),
        (
            "karte_version = 1\n[account]\naddress = \"taro@lab.example\"\n[[incoming]]\nprotocol = \"imap\"\nhost = \"imap.lab.example\"\nport = 99999\n",
            ":7:",
            "incoming[1].port: the value cannot be used: write a port number from 1 to 65535",
        ),
    ];
    for (text, place, words) in cases {
        std::fs::write(&file, text).unwrap();
        let out = maildoc(&["karte", "show", path, "--lang", "en"], "", &[]);
        assert_eq!(out.code, 3, "{text}");
        assert!(
            out.stderr.starts_with(&format!("maildoc: {path}{place}"))
                && out.stderr.contains(words),
            "{text}\n{}",
            out.stderr
        );
    }
    std::fs::write(&file, cases[0].0).unwrap();
    let ja = maildoc(&["karte", "show", path, "--lang", "ja"], "", &[]);
    assert!(
        ja.stderr.contains("カルテにはパスワードを書けません"),
        "{}",
        ja.stderr
    );
    let missing = maildoc(
        &["karte", "show", "/nonexistent/k.toml", "--lang", "ja"],
        "",
        &[],
    );
    assert_eq!(missing.code, 3);
    assert!(
        missing
            .stderr
            .starts_with("maildoc: /nonexistent/k.toml: ファイルを読めませんでした"),
        "{}",
        missing.stderr
    );
}

#[test]
fn karte_new_asks_the_questions() {
    let dir = Scratch::new("interactive");
    let file = dir.path("k.toml");
    // One answer per line; empty lines take the defaults (from the flags here).
    let answers = [
        "山田商店",        // display name
        "",                // provider (none)
        "pop3,imap",       // incoming protocols
        "pop.lab.example", // POP3 host
        "ssl",             // security
        "",                // port: 995 from the security
        "info",            // user name
        "y",               // leave on server
        "14",              // days
        "",                // IMAP host (default imap.lab.example)
        "",                // security ssl
        "",                // port 993
        "",                // user name
        "",                // SMTP host (from --smtp)
        "starttls",        // security
        "",                // port 587
        "",                // user name
        "y",               // auth
        "レジのパソコン",  // device 1
        "thunderbird",     // app
        "pop3",            // protocol
        "y",               // deletes
        "",                // at once
        "",                // no backup
        "店長の iPad",     // device 2
        "iphone",
        "imap",
        "", // backup
        "", // end of devices
        "https://lab.example/help",
        "",     // end of sources
        "花子", // set up by
    ]
    .join("\n")
        + "\n";
    let out = maildoc(
        &[
            "karte",
            "new",
            "info@lab.example",
            "-o",
            file.to_str().unwrap(),
            "--interactive",
            "--smtp",
            "smtp.lab.example:587/starttls",
            "--imap",
            "imap.lab.example",
            "--lang",
            "ja",
        ],
        &answers,
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("受信方式"), "{}", out.stderr);
    assert!(
        !out.stderr.to_lowercase().contains("password:"),
        "never asks for a password"
    );
    let k = load(&file);
    assert_eq!(k.account.display_name.as_deref(), Some("山田商店"));
    assert_eq!(k.account.provider, None);
    assert_eq!(k.account.changed_by.as_deref(), Some("花子"));
    let protocols: Vec<Protocol> = k.incoming.iter().map(|s| s.protocol).collect();
    assert_eq!(protocols, [Protocol::Pop3, Protocol::Imap]);
    let pop = &k.incoming[0];
    assert_eq!(
        (
            pop.host.as_str(),
            pop.port,
            pop.username.as_deref(),
            pop.leave_on_server,
            pop.leave_on_server_days
        ),
        (
            "pop.lab.example",
            Some(995),
            Some("info"),
            Some(true),
            Some(14)
        )
    );
    assert_eq!(k.incoming[1].host, "imap.lab.example");
    assert_eq!(k.incoming[1].port, Some(993));
    assert_eq!(k.outgoing.as_ref().unwrap().auth, Some(true));
    assert_eq!(k.devices.len(), 2);
    assert_eq!(k.devices[0].app.as_deref(), Some("thunderbird"));
    assert_eq!(k.devices[0].deletes_from_server, Some(true));
    assert_eq!(k.devices[0].delete_after_days, None);
    assert_eq!(k.devices[1].protocol, Protocol::Imap);
    assert_eq!(k.sources.len(), 1);
    let codes: Vec<Code> = maildoc_engine::karte::risks(&k)
        .iter()
        .map(|f| f.code)
        .collect();
    assert_eq!(
        codes,
        [
            Code::KartePop3RemovesImapMail,
            Code::KartePop3SingleCopy,
            Code::KarteImapQuotaUnchecked
        ]
    );
}

#[test]
fn karte_new_takes_a_known_providers_settings_without_network() {
    // The tables answer at once: no DNS server is even given.
    let out = maildoc(
        &[
            "karte",
            "new",
            "someone@gmail.com",
            "-o",
            "-",
            "--device",
            "Phone:android-gmail:imap",
        ],
        "",
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let k = maildoc_karte::parse(&out.stdout, Path::new("-")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(k.account.address, "someone@gmail.com");
    let imap = k.incoming_server(Protocol::Imap).expect("an IMAP server");
    assert_eq!(imap.host, "imap.gmail.com");
    assert_eq!((imap.port, imap.security), (Some(993), Some(Security::Tls)));
    assert_eq!(k.outgoing.as_ref().unwrap().host, "smtp.gmail.com");
    assert!(!k.sources.is_empty(), "where the settings came from");
    assert!(k.account.provider.is_some());
    // An unknown domain with no flags and no way to discover: a usage error, not a guess.
    let out = maildoc(
        &[
            "karte",
            "new",
            "taro@unknown.invalid",
            "-o",
            "-",
            "--dns-server",
            "127.0.0.1:9",
            "--timeout",
            "2",
            "--lang",
            "en",
        ],
        "",
        &[],
    );
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("--imap"), "{}", out.stderr);
}
