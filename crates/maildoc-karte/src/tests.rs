//! Round trips, the documented example, and clear errors for bad files.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use super::*;
use maildoc_model::{Code, Endpoint, Finding, Origin, ProbeDepth, Security, ServerEvidence};

/// The ```toml example of docs/karte.md.
pub(crate) fn docs_example() -> String {
    let doc = include_str!("../../../docs/karte.md");
    let start = doc
        .find("```toml\n")
        .expect("docs/karte.md has a ```toml example")
        + 8;
    let len = doc[start..].find("```").expect("the example ends");
    doc[start..start + len].to_string()
}

fn parse_ok(text: &str) -> Karte {
    parse(text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn parse_err(text: &str) -> LoadError {
    match parse(text, Path::new("t.toml")) {
        Ok(k) => panic!("parsed: {k:?}\n{text}"),
        Err(e) => *e,
    }
}

/// A scratch directory under the system's temporary directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "maildoc-karte-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_documented_example_loads() {
    let k = parse_ok(&docs_example());
    assert_eq!(k.karte_version, 1);
    assert_eq!(k.account.address, "taro@example.jp");
    assert_eq!(k.account.display_name.as_deref(), Some("山田 太郎"));
    assert_eq!(k.account.last_changed.as_deref(), Some("2026-04-01"));
    assert_eq!(k.incoming.len(), 2);
    assert_eq!(k.incoming[0].protocol, Protocol::Imap);
    assert_eq!(k.incoming[0].security, Some(Security::Tls));
    assert_eq!(k.incoming[1].leave_on_server_days, Some(14));
    let out = k.outgoing.as_ref().unwrap();
    assert_eq!(
        (out.port, out.security, out.auth),
        (Some(587), Some(Security::Starttls), Some(true))
    );
    assert_eq!(k.devices.len(), 2);
    assert_eq!(k.retention(&k.devices[1]), Retention::DeletesAfterDays(14));
    assert_eq!(k.sources.len(), 2);
    assert_eq!(k.history.len(), 1);
    assert!(k.history[0].has_quota_reading());
}

#[test]
fn round_trip_load_save_load() {
    let first = parse_ok(&docs_example());
    let written = to_toml(&first);
    assert!(written.starts_with(HEADER));
    let second = parse_ok(&written);
    assert_eq!(first, second);
    // Saving again gives the same bytes: the written form is stable.
    assert_eq!(to_toml(&second), written);
    // Through a file, atomically.
    let dir = Scratch::new("roundtrip");
    let path = dir.0.join("taro.karte.toml");
    save(&path, &first).unwrap();
    assert_eq!(load(&path).unwrap(), first);
    let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
}

#[test]
fn a_minimal_karte_round_trips_too() {
    let k = Karte::new("hanako@example.jp");
    let text = to_toml(&k);
    assert_eq!(parse_ok(&text), k);
    assert!(!text.contains("[[history]]"), "{text}");
}

#[test]
fn toml_dates_and_other_spellings_are_read() {
    let k = parse_ok(
        "karte_version = 1\n[account]\naddress = \"taro@example.jp\"\nlast_changed = 2026-04-01\n\
         [[incoming]]\nprotocol = \"imap\"\nhost = \"imap.example.jp\"\nsecurity = \"SSL/TLS\"\n\
         [outgoing]\nhost = \"smtp.example.jp\"\nsecurity = \"none\"\n\
         [[history]]\nat = 2026-04-01T10:15:00+09:00\nresult = \"warning\"\ncodes = [\"cert-expires-soon\", \"some-future-code\"]\n",
    );
    assert_eq!(k.account.last_changed.as_deref(), Some("2026-04-01"));
    assert_eq!(k.incoming[0].security, Some(Security::Tls));
    assert_eq!(k.outgoing.as_ref().unwrap().security, Some(Security::Plain));
    assert_eq!(k.history[0].at, "2026-04-01T10:15:00+09:00");
    assert_eq!(k.history[0].codes.len(), 2);
    // Written back in maildoc's own spelling, and read again the same.
    let text = to_toml(&k);
    assert!(text.contains("security = \"ssl\""), "{text}");
    assert_eq!(parse_ok(&text), k);
}

#[test]
fn syntax_errors_name_the_line() {
    let e = parse_err("karte_version = 1\n[account]\naddress = \"taro@example.jp\n");
    assert!(matches!(e.kind, ErrorKind::Syntax(_)), "{e:?}");
    assert_eq!(e.line, Some(3));
    assert!(e.to_string().starts_with("t.toml:3:"), "{e}");
}

#[test]
fn versions_are_checked() {
    let e = parse_err("[account]\naddress = \"taro@example.jp\"\n");
    assert_eq!(e.kind, ErrorKind::NotAKarte);
    let e = parse_err("karte_version = 2\n[account]\naddress = \"taro@example.jp\"\n");
    assert_eq!(e.kind, ErrorKind::NewerVersion(2));
    assert_eq!(e.line, Some(1));
    assert!(e.to_string().contains("newer"), "{e}");
    let e = parse_err("karte_version = \"one\"\n[account]\naddress = \"taro@example.jp\"\n");
    assert!(matches!(e.kind, ErrorKind::BadVersion(_)), "{e:?}");
    let e = parse_err("karte_version = 0\n[account]\naddress = \"taro@example.jp\"\n");
    assert!(matches!(e.kind, ErrorKind::BadVersion(_)), "{e:?}");
}

#[test]
fn a_password_key_is_refused_wherever_it_is() {
    for (text, key, line) in [
        (
            "karte_version = 1\n[account]\naddress = \"taro@example.jp\"\npassword = \"x\"\n",
            "password",
            4,
        ),
        (
            "karte_version = 1\n[account]\naddress = \"taro@example.jp\"\n[outgoing]\nhost = \"smtp.example.jp\"\nsmtp_pass = \"x\"\n",
            "smtp_pass",
            0,
        ),
        (
            "karte_version = 1\n[account]\naddress = \"taro@example.jp\"\n[[devices]]\nname = \"PC\"\nprotocol = \"imap\"\n\"パスワード\" = \"x\"\n",
            "パスワード",
            7,
        ),
    ] {
        match parse(text, Path::new("t.toml")).map_err(|e| *e) {
            Err(LoadError {
                kind: ErrorKind::PasswordField(k),
                line: l,
                ..
            }) if key != "smtp_pass" => {
                assert_eq!(k, key);
                assert_eq!(l, Some(line));
            }
            // `smtp_pass` is not a password word on its own: it is an unknown field.
            Err(LoadError {
                kind: ErrorKind::UnknownField { field },
                line,
                ..
            }) => {
                assert_eq!(field, "outgoing.smtp_pass");
                assert_eq!(line, Some(6));
            }
            other => panic!("{key}: {other:?}"),
        }
    }
}

#[test]
fn unknown_and_missing_fields_name_the_field() {
    let e = parse_err(
        "karte_version = 1\n[account]\naddress = \"taro@example.jp\"\n[[devices]]\nname = \"PC\"\nprotocol = \"imap\"\n[[devices]]\nname = \"Phone\"\nprotocol = \"imap\"\ncolour = \"red\"\n",
    );
    assert_eq!(
        e.kind,
        ErrorKind::UnknownField {
            field: "devices[2].colour".into()
        }
    );
    assert_eq!((e.line, e.column), (Some(10), Some(1)));
    let e = parse_err(
        "karte_version = 1\n[account]\naddress = \"taro@example.jp\"\n[[incoming]]\nprotocol = \"imap\"\nport = 993\n",
    );
    assert!(
        matches!(&e.kind, ErrorKind::MissingField { field } if field.ends_with("host")),
        "{e:?}"
    );
    let e = parse_err("karte_version = 1\n");
    assert!(
        matches!(&e.kind, ErrorKind::MissingField { field } if field == "account"),
        "{e:?}"
    );
}

#[test]
fn bad_values_name_the_field_and_what_it_must_hold() {
    let base = "karte_version = 1\n[account]\naddress = \"taro@example.jp\"\n";
    let cases: &[(&str, &str, Expected, usize)] = &[
        (
            "[[incoming]]\nprotocol = \"imap\"\nhost = \"imap.example.jp\"\nport = 99999\n",
            "incoming[1].port",
            Expected::Port,
            7,
        ),
        (
            "[[incoming]]\nprotocol = \"imap\"\nhost = \"imap.example.jp\"\nport = 0\n",
            "incoming[1].port",
            Expected::Port,
            7,
        ),
        (
            "[[incoming]]\nprotocol = \"smtp\"\nhost = \"smtp.example.jp\"\n",
            "incoming[1].protocol",
            Expected::IncomingProtocol,
            5,
        ),
        (
            "[[incoming]]\nprotocol = \"imap4\"\nhost = \"imap.example.jp\"\n",
            "incoming[1].protocol",
            Expected::IncomingProtocol,
            5,
        ),
        (
            "[outgoing]\nhost = \"smtp.example.jp\"\nsecurity = \"tls13\"\n",
            "outgoing.security",
            Expected::Security,
            6,
        ),
        (
            "[outgoing]\nhost = \"smtp.example.jp\"\nauth = \"yes\"\n",
            "outgoing.auth",
            Expected::Bool,
            6,
        ),
        (
            "[[devices]]\nname = \" \"\nprotocol = \"imap\"\n",
            "devices[1].name",
            Expected::NonEmpty,
            5,
        ),
        (
            "[[devices]]\nname = \"PC\"\nprotocol = \"pop3\"\ndeletes_from_server = true\ndelete_after_days = 0\n",
            "devices[1].delete_after_days",
            Expected::Days,
            8,
        ),
        (
            "[[sources]]\nurl = \"https://example.jp/\"\ndocument = \"letter\"\n",
            "sources[1].url",
            Expected::OneSource,
            5,
        ),
        (
            "[[history]]\nat = \"yesterday\"\nresult = \"ok\"\n",
            "history[1].at",
            Expected::Date,
            5,
        ),
        (
            "[[history]]\nat = \"2026-04-01T10:00:00Z\"\nresult = \"fine\"\n",
            "history[1].result",
            Expected::Result,
            6,
        ),
    ];
    for (tail, field, expected, line) in cases {
        let e = parse_err(&format!("{base}{tail}"));
        match &e.kind {
            ErrorKind::BadValue {
                field: f,
                expected: x,
                ..
            } => {
                assert_eq!((f.as_str(), x), (*field, expected), "{e}");
                assert_eq!(e.line, Some(*line), "{e}");
            }
            other => panic!("{field}: {other:?}"),
        }
    }
    let e = parse_err("karte_version = 1\n[account]\naddress = \"taro-at-example.jp\"\n");
    assert!(
        matches!(&e.kind, ErrorKind::BadValue { field, expected: Expected::Address(_), .. } if field == "account.address"),
        "{e:?}"
    );
    assert_eq!(e.line, Some(3));
    let e = parse_err(
        "karte_version = 1\n[account]\naddress = \"taro@example.jp\"\nlast_changed = \"4月1日\"\n",
    );
    assert!(
        matches!(
            &e.kind,
            ErrorKind::BadValue {
                expected: Expected::Date,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn unreadable_files_say_so() {
    let e = load(Path::new("/nonexistent/maildoc/karte.toml")).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Read(_)), "{e:?}");
    assert_eq!(e.line, None);
    assert!(
        e.to_string()
            .starts_with("/nonexistent/maildoc/karte.toml: ")
    );
}

#[test]
fn account_settings_from_a_karte() {
    let k = parse_ok(&docs_example());
    let s = to_account_settings(&k);
    assert_eq!(s.address, "taro@example.jp");
    let protocols: Vec<Protocol> = s.servers.iter().map(|s| s.protocol).collect();
    assert_eq!(protocols, [Protocol::Imap, Protocol::Pop3, Protocol::Smtp]);
    assert_eq!(s.servers[2].auth, Some(true));
    assert_eq!(s.servers[0].port, Some(993));
    assert_eq!(s.servers[0].username.as_deref(), Some("taro@example.jp"));
}

fn report_with(findings: Vec<Finding>, quota: Option<(u64, u64)>) -> Report {
    let mut imap = ServerEvidence::new(
        "imap",
        Endpoint::new(Protocol::Imap, "imap.example.jp", 993, Security::Tls),
        Origin::Flag,
        ProbeDepth::Full,
    );
    if let Some((usage, limit)) = quota {
        imap.push(
            10,
            1,
            StepKind::Quota {
                root: String::new(),
                resource: "STORAGE".into(),
                usage,
                limit,
            },
        );
    }
    let companion = ServerEvidence::new(
        "smtp-587",
        Endpoint::new(Protocol::Smtp, "smtp.example.jp", 587, Security::Starttls),
        Origin::Companion,
        ProbeDepth::PortOnly,
    );
    Report {
        schema_version: 1,
        maildoc_version: "0.1.0".into(),
        started_at: "2026-11-22T08:00:00.123456789Z".into(),
        started_at_unix: 1_795_334_400,
        elapsed_ms: 500,
        timeout_ms: 15_000,
        target: maildoc_model::TargetInfo {
            address: "taro@example.jp".into(),
            username: "taro@example.jp".into(),
            login: quota.is_some(),
            smtp_auth: true,
            allow_plaintext_login: false,
            dns_server: None,
            settings_source: maildoc_model::SettingsSource::Flags,
            provider: None,
            normalizations: Vec::new(),
        },
        servers: vec![imap, companion],
        findings,
    }
}

#[test]
fn history_entries_from_a_check() {
    let r = report_with(
        vec![
            Finding::new(Code::InputNormalized),
            Finding::new(Code::MailboxNearQuota).server("imap"),
            Finding::new(Code::InputNormalized),
        ],
        Some((900, 1000)),
    );
    let e = entry_from_report(&r);
    assert_eq!(e.at, "2026-11-22T08:00:00Z");
    assert_eq!(e.result, CheckResult::Warning);
    assert_eq!(e.codes, ["mailbox-near-quota", "input-normalized"]);
    assert_eq!(e.login, Some(true));
    assert_eq!(e.servers, ["imap imap.example.jp:993/ssl"]);
    assert_eq!(
        (e.quota_used_kib, e.quota_limit_kib),
        (Some(900), Some(1000))
    );
    assert_eq!(e.by.as_deref(), Some("maildoc 0.1.0"));
    let e = entry_from_report(&report_with(
        vec![Finding::new(Code::InputNormalized)],
        None,
    ));
    assert_eq!(e.result, CheckResult::Ok);
    assert!(!e.has_quota_reading());
    let e = entry_from_report(&report_with(
        vec![Finding::new(Code::AuthFailed).server("imap")],
        None,
    ));
    assert_eq!(e.result, CheckResult::Error);
    let mut k = parse_ok(&docs_example());
    append_history(&mut k, e.clone());
    assert_eq!(k.history.last(), Some(&e));
    assert_eq!(parse_ok(&to_toml(&k)), k);
}

#[test]
fn a_password_typed_into_any_field_is_redacted() {
    let secret = "Tz-9vQ!lab-Secret-4471";
    let mut k = parse_ok(&docs_example());
    k.account.notes = Some(format!("pw: {secret}"));
    k.devices[0].backup = Some(secret.to_string());
    k.sources[1].note = Some(format!("{secret} {secret}"));
    let found = redact(&mut k, secret);
    assert_eq!(
        found,
        ["account.notes", "devices[1].backup", "sources[2].note"]
    );
    let text = to_toml(&k);
    assert!(!text.contains(secret), "{text}");
    assert!(!text.contains("Secret-4471"), "{text}");
    assert_eq!(k.account.notes.as_deref(), Some("pw: ********"));
    // Nothing else changed.
    let mut clean = parse_ok(&docs_example());
    clean.account.notes = Some("pw: ********".into());
    clean.devices[0].backup = Some("********".into());
    clean.sources[1].note = Some("******** ********".into());
    assert_eq!(k, clean);
    // Not found: nothing changes; very short secrets are not searched for.
    assert!(redact(&mut k, secret).is_empty());
    assert!(redact(&mut k, "taro").len() > 1);
    assert!(redact(&mut k, "abc").is_empty());
}

#[test]
fn saving_keeps_the_old_file_until_the_new_one_is_complete() {
    let dir = Scratch::new("atomic");
    let path = dir.0.join("k.toml");
    std::fs::write(&path, "old").unwrap();
    // A directory in the way of the temporary file makes the write fail: the old file stays.
    let tmp = dir.0.join(format!(".k.toml.tmp-{}", std::process::id()));
    std::fs::create_dir(&tmp).unwrap();
    let e = save(&path, &Karte::new("taro@example.jp")).unwrap_err();
    assert_eq!(e.path, path);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
    std::fs::remove_dir(&tmp).unwrap();
    save(&path, &Karte::new("taro@example.jp")).unwrap();
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("karte_version = 1")
    );
}

#[test]
fn the_documented_example_is_exactly_what_maildoc_writes() {
    let example = docs_example();
    assert_eq!(to_toml(&parse_ok(&example)), format!("{HEADER}{example}"));
}

#[test]
fn links_are_followed_and_devices_never_replaced() {
    let dir = Scratch::new("links");
    let real = dir.0.join("real.toml");
    let link = dir.0.join("link.toml");
    save(&real, &Karte::new("taro@example.jp")).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let mut k = Karte::new("taro@example.jp");
    k.account.display_name = Some("Taro".into());
    save(&link, &k).unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link stays a link"
    );
    assert_eq!(load(&real).unwrap(), k);
    // A device is written in place, never renamed over (only the decision is tested here).
    assert_eq!(
        write_mode(Path::new("/dev/null")),
        Ok(WriteMode::InPlace(PathBuf::from("/dev/null")))
    );
    assert!(write_mode(&dir.0).is_err());
    assert_eq!(
        write_mode(&dir.0.join("new.toml")),
        Ok(WriteMode::Replace(dir.0.join("new.toml")))
    );
}

#[test]
fn devices_from_text() {
    let d = parse_device("事務所のパソコン:outlook:pop3:delete").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.name, "事務所のパソコン");
    assert_eq!(d.app.as_deref(), Some("outlook"));
    assert_eq!(d.protocol, Protocol::Pop3);
    assert_eq!(d.deletes_from_server, Some(true));
    let d = parse_device("iPhone：iphone：IMAP").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((d.protocol, d.deletes_from_server), (Protocol::Imap, None));
    let d = parse_device("PC::pop3:keep").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((d.app, d.deletes_from_server), (None, Some(false)));
    let d = parse_device("a:b:c:imap").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((d.name.as_str(), d.app.as_deref()), ("a:b", Some("c")));
    assert!(parse_device("PC:outlook").is_err());
    assert!(parse_device(":outlook:imap").is_err());
    assert!(parse_device("PC:outlook:smtp").is_err());
}

#[test]
fn sources_from_text() {
    assert_eq!(
        parse_source("https://example.jp/help").url.as_deref(),
        Some("https://example.jp/help")
    );
    assert_eq!(
        parse_source(" 登録内容のお知らせ ").document.as_deref(),
        Some("登録内容のお知らせ")
    );
}

#[test]
fn now_is_a_karte_time_in_whole_seconds() {
    let now = now_rfc3339();
    assert!(is_time(&now), "{now}");
    assert_eq!(whole_seconds(&now), now);
    assert!(!now.contains('.'), "{now}");
}
