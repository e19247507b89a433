//! Arguments and environment that are not UTF-8, through the real binary: never a panic. A
//! value that must be text is a usage error (exit code 3) naming the argument and the first
//! byte that is not UTF-8, in Japanese and English; a file name is a path, and a file whose
//! name is in Latin-1 is read and written like any other. No network beyond 127.0.0.1: the
//! runs that get past the command line use `--dns-server 127.0.0.1:9` and servers on
//! 127.0.0.1:9, where nothing listens.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_testkit::lab::{Run, run_with_env};
use maildoc_testkit::scratch::Scratch;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// A value with the byte 0xFF at position 2.
const BAD: &[u8] = b"ab\xFFc";

/// A certificate to trust (`--ca-file`): a self-signed test CA that signs nothing.
const CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBljCCATugAwIBAgIUAIU/QrDZyUzi/mEhNnhPQJgQ4CkwCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUbWFpbGRvYyBhcmd2IHRlc3QgQ0EwIBcNMjYxMjA2MjAxMzMw
WhgPMjEyNjExMTIyMDEzMzBaMB8xHTAbBgNVBAMMFG1haWxkb2MgYXJndiB0ZXN0
IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEb2eJ1N7GOZDvtZa2iU1g3Lc6
zQGxD7OA4AZqcjyoLMJ7jRf+/kN+PendGSxr/w6mQEMh7fZY3niZXreclTmQaaNT
MFEwHQYDVR0OBBYEFByCQ7cyz3cuhrytlRdnHEE1BzmBMB8GA1UdIwQYMBaAFByC
Q7cyz3cuhrytlRdnHEE1BzmBMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID
SQAwRgIhAKPyDfO8+aZs8HdnvbJKfzjj2USELzdUS9SwEocTwBw4AiEA+ZIdt58i
N3trNEbutPmi676/cMVf2Zr3bgEwLZsf180=
-----END CERTIFICATE-----
";

fn os(bytes: &[u8]) -> OsString {
    OsStr::from_bytes(bytes).to_os_string()
}

/// `args` as OS strings: each `&str` as it is, `None` for [`BAD`].
fn argv(args: &[Option<&str>]) -> Vec<OsString> {
    args.iter()
        .map(|a| a.map_or_else(|| os(BAD), OsString::from))
        .collect()
}

/// Runs the binary with `args`, `LANG=C` and `env` (as the lab helpers do: no
/// `MAILDOC_PASSWORD` and `NO_COLOR=1` unless `env` sets them), standard input empty.
fn maildoc(args: &[OsString], env: &[(&str, OsString)]) -> Run {
    let mut all: Vec<(&str, &OsStr)> = vec![("LANG", OsStr::new("C"))];
    all.extend(env.iter().map(|(k, v)| (*k, v.as_os_str())));
    run_with_env(BIN, args, b"", &all)
}

/// No panic, whatever the exit code.
fn assert_no_panic(run: &Run, what: &str) {
    assert_ne!(run.code, 101, "{what}: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
}

/// A path in `dir` whose name is `name` in Latin-1 (`é` as the byte 0xE9): not UTF-8.
fn latin1(dir: &Scratch, name: &str) -> PathBuf {
    let bytes: Vec<u8> = name
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "{name} is not Latin-1 only"
    );
    dir.path(OsStr::from_bytes(&bytes))
}

/// A file named `name` in Latin-1 in `dir`, holding `content`.
fn write_latin1(dir: &Scratch, name: &str, content: &str) -> PathBuf {
    let path = latin1(dir, name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(content.as_bytes()))
        .unwrap();
    path
}

/// Every command (its words before the flag) and the flags of it that take text.
const TEXT_FLAGS: &[(&str, &[&str])] = &[
    (
        "check t@example.jp",
        &[
            "--imap",
            "--pop3",
            "--smtp",
            "--username",
            "--dns-server",
            "--timeout",
            "--format",
            "--client",
            "--smtp-auth",
            "--lang",
        ],
    ),
    ("discover t@example.jp", &["--dns-server", "--format"]),
    (
        "karte new t@example.jp",
        &[
            "--imap",
            "--username",
            "--device",
            "--display-name",
            "--provider",
            "--changed-by",
            "--source",
            "--leave-on-server-days",
        ],
    ),
    (
        "karte check k.toml",
        &["--format", "--client", "--dns-server"],
    ),
    ("karte show k.toml", &["--format"]),
    (
        "triage",
        &[
            "--symptom",
            "--answer",
            "--tried",
            "--address",
            "--username",
            "--smtp",
        ],
    ),
    ("explain 535 5.7.8", &["--check", "--imap"]),
    (
        "domain example.jp",
        &[
            "--mail-from",
            "--dkim-selector",
            "--dnsbl-zone",
            "--approved-mx",
            "--approved-ns",
            "--bimi-selector",
            "--ip",
            "--rate",
        ],
    ),
    ("domain --from -", &["--concurrency"]),
];

/// The commands whose argument without a flag is text, and how a message names it in English
/// and Japanese.
const TEXT_POSITIONALS: &[(&str, &str, &str)] = &[
    ("check", "the address", "メールアドレス"),
    ("discover", "the address", "メールアドレス"),
    ("karte new", "the address", "メールアドレス"),
    ("explain", "the error message", "エラーメッセージ"),
    ("domain", "the domain", "ドメイン"),
];

#[test]
fn text_that_is_not_utf8_is_a_usage_error_naming_the_argument() {
    let words = |s: &str| s.split(' ').map(OsString::from).collect::<Vec<_>>();
    let flags = TEXT_FLAGS.iter().flat_map(|(command, flags)| {
        flags.iter().map(move |flag| {
            let mut args = words(command);
            args.extend([OsString::from(flag), os(BAD)]);
            (args, *flag, *flag)
        })
    });
    let positionals = TEXT_POSITIONALS.iter().map(|(command, en, ja)| {
        let mut args = words(command);
        args.push(os(BAD));
        (args, *en, *ja)
    });
    for (args, en, ja) in flags.chain(positionals) {
        let what = format!("{args:?}");
        let run = maildoc(&args, &[]);
        assert_no_panic(&run, &what);
        assert_eq!(run.code, 3, "{what}: {}", run.stderr);
        assert_eq!(
            run.stderr,
            format!(
                "maildoc: {en} is not valid text (byte 0xFF at position 2); give it in UTF-8.\n"
            ),
            "{what}"
        );
        assert!(run.stdout.is_empty(), "{what}: {}", run.stdout);
        // Japanese, from LANG as from --lang.
        let run = maildoc(&args, &[("LANG", "ja_JP.UTF-8".into())]);
        assert_eq!(run.code, 3, "{what}: {}", run.stderr);
        assert_eq!(
            run.stderr,
            format!(
                "maildoc: {ja} が文字として読めません (位置 2 のバイト 0xFF)。UTF-8 で渡してください。\n"
            ),
            "{what}"
        );
    }
}

#[test]
fn the_flag_and_value_forms_say_the_same() {
    // A Latin-1 address: é is the byte 0xE9.
    let run = maildoc(&[os(b"check"), os(b"caf\xE9@example.jp")], &[]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr,
        "maildoc: the address is not valid text (byte 0xE9 at position 3); give it in UTF-8.\n"
    );
    // A global flag before the command.
    let run = maildoc(
        &[os(b"--lang"), os(BAD), os(b"check"), os(b"t@example.jp")],
        &[],
    );
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("--lang is not valid text"),
        "{}",
        run.stderr
    );
    // `--flag=value`, and --lang given after the bad value.
    let run = maildoc(
        &[
            os(b"check"),
            os(b"t@example.jp"),
            os(b"--imap=imap.\xE9xample.jp"),
            os(b"--lang"),
            os(b"ja"),
        ],
        &[],
    );
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr,
        "maildoc: --imap が文字として読めません (位置 5 のバイト 0xE9)。UTF-8 で渡してください。\n"
    );
    // A truncated UTF-8 sequence: the first byte that does not make a character.
    let run = maildoc(&[os(b"explain"), os(b"535 \xE3\x81")], &[]);
    assert_eq!(run.code, 3);
    assert!(
        run.stderr
            .contains("the error message is not valid text (byte 0xE3 at position 4)"),
        "{}",
        run.stderr
    );
}

#[test]
fn what_is_not_a_value_is_clap_s_usage_error() {
    for args in [
        vec![os(b"\xFF")],
        vec![os(b"check"), os(b"--\xFF"), os(b"t@example.jp")],
        vec![os(b"karte"), os(b"n\xE9w"), os(b"t@example.jp")],
    ] {
        let run = maildoc(&args, &[]);
        assert_no_panic(&run, &format!("{args:?}"));
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
    }
}

#[test]
fn latin1_file_names_are_paths() {
    let dir = Scratch::new("paths");
    let password = write_latin1(&dir, "passé", "secret\n");
    let empty_password = write_latin1(&dir, "vidé", "");
    let ca = write_latin1(&dir, "autorité.pem", CA_PEM);
    let karte = latin1(&dir, "karté.toml");
    let net = |mut args: Vec<OsString>| {
        args.extend(
            ["--dns-server", "127.0.0.1:9", "--timeout", "3"]
                .iter()
                .map(OsString::from),
        );
        args
    };

    // check: --password-file and --ca-file are read.
    let check = |password: &Path| {
        net(vec![
            "check".into(),
            "taro@example.jp".into(),
            "--imap".into(),
            "127.0.0.1:9/plain".into(),
            "--format".into(),
            "json".into(),
            "--password-file".into(),
            password.into(),
            "--ca-file".into(),
            ca.clone().into(),
        ])
    };
    let run = maildoc(&check(&password), &[]);
    assert_no_panic(&run, "check");
    assert_eq!(run.code, 1, "{}", run.stderr);
    // The server given (its other standard ports are tried beside it: it was refused).
    let given = run
        .report()
        .servers
        .iter()
        .filter(|s| s.origin == maildoc_model::Origin::Flag)
        .count();
    assert_eq!(given, 1);
    // An empty one is read too: it says so.
    let run = maildoc(&check(&empty_password), &[]);
    assert_eq!(run.code, 3);
    assert_eq!(run.stderr, "maildoc: The password is empty.\n");
    // One that does not exist is named (as well as a terminal can show it).
    let run = maildoc(&check(&latin1(&dir, "absenté")), &[]);
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("Could not read the password file")
            && run.stderr.contains("absent\u{FFFD}"),
        "{}",
        run.stderr
    );

    // karte new -o, show, check (which saves the file again).
    let run = maildoc(
        &[
            "karte".into(),
            "new".into(),
            "taro@example.jp".into(),
            "--imap".into(),
            "127.0.0.1:9/plain".into(),
            "--smtp".into(),
            "127.0.0.1:9/plain".into(),
            "-o".into(),
            karte.clone().into(),
        ],
        &[],
    );
    assert_no_panic(&run, "karte new");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(karte.is_file());
    let run = maildoc(&["karte".into(), "show".into(), karte.clone().into()], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("taro@example.jp"), "{}", run.stdout);
    let run = maildoc(
        &net(vec![
            "karte".into(),
            "check".into(),
            karte.clone().into(),
            "--no-login".into(),
            "--ca-file".into(),
            ca.clone().into(),
        ]),
        &[],
    );
    assert_no_panic(&run, "karte check");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let saved = std::fs::read_to_string(&karte).unwrap();
    assert!(saved.contains("[[history]]"), "{saved}");
    // Saved in place: no other file beside it.
    let names: Vec<OsString> = std::fs::read_dir(dir.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");

    // triage --answers.
    let answers = write_latin1(&dir, "réponses.toml", "symptom = \"send\"\n");
    let run = maildoc(
        &[
            "triage".into(),
            "--answers".into(),
            answers.into(),
            "--no-check".into(),
            "--no-domain-check".into(),
            "--no-input".into(),
        ],
        &[],
    );
    assert_no_panic(&run, "triage");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Cannot send mail"), "{}", run.stdout);

    // domain --from: the lines are read (the second is not a domain: no lookup).
    let from = write_latin1(&dir, "domaines-listés.txt", "# a comment\nnot-a-domain\n");
    let run = maildoc(&["domain".into(), "--from".into(), from.into()], &[]);
    assert_no_panic(&run, "domain --from");
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stdout.contains("\"line\":2"), "{}", run.stdout);
}

#[test]
fn environment_that_is_not_utf8() {
    let bad_address = argv(&[Some("check"), None]);
    // LANG: read as far as it goes (ja_JP. then a stray byte is still Japanese).
    let run = maildoc(&bad_address, &[("LANG", os(b"ja_JP.\xFF"))]);
    assert_no_panic(&run, "LANG");
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("メールアドレス"), "{}", run.stderr);
    let run = maildoc(&bad_address, &[("LANG", os(b"\xFF"))]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("the address"), "{}", run.stderr);
    // MAILDOC_PASSWORD: a usage error; with karte new (which removes it from the fields) and
    // NO_COLOR, nothing.
    let check = argv(&[
        Some("check"),
        Some("taro@example.jp"),
        Some("--imap"),
        Some("127.0.0.1:9/plain"),
        Some("--dns-server"),
        Some("127.0.0.1:9"),
    ]);
    let run = maildoc(&check, &[("MAILDOC_PASSWORD", os(b"p\xE4ss"))]);
    assert_no_panic(&run, "MAILDOC_PASSWORD");
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr,
        "maildoc: The MAILDOC_PASSWORD environment variable is not UTF-8.\n"
    );
    let new = argv(&[
        Some("karte"),
        Some("new"),
        Some("taro@example.jp"),
        Some("--imap"),
        Some("127.0.0.1:9/plain"),
        Some("-o"),
        Some("-"),
    ]);
    let run = maildoc(
        &new,
        &[
            ("MAILDOC_PASSWORD", os(b"p\xE4ss")),
            ("NO_COLOR", os(b"\xFF")),
        ],
    );
    assert_no_panic(&run, "karte new");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("taro@example.jp"), "{}", run.stdout);
    let mut no_login = check.clone();
    no_login.push("--no-login".into());
    let run = maildoc(&no_login, &[("NO_COLOR", os(b"\xFF"))]);
    assert_no_panic(&run, "NO_COLOR");
    assert_eq!(run.code, 1, "{}", run.stderr);
}
