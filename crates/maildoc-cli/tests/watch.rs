//! `maildoc watch` against the lab: watches added, run once as cron would, alerts raised
//! for a certificate within the warning days and posted to a webhook, nothing run again
//! before it is due, and an unchanged run that raises nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_testkit::lab::{Lab, Run, run_with_env};
use maildoc_testkit::scratch::Scratch;
use serde_json::Value;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

fn maildoc(db: &str, args: &[&str]) -> Run {
    run_with_env(
        BIN,
        args,
        b"",
        &[("MAILDOC_DB", OsStr::new(db)), ("LANG", OsStr::new("C"))],
    )
}

/// A webhook on loopback: each request's head and body, answered 200.
fn webhook() -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/maildoc-alerts", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let _ = reader
                .get_mut()
                .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
            let _ = tx.send((head, String::from_utf8_lossy(&body).into_owned()));
        }
    });
    (url, rx)
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn a_watch_runs_when_due_and_alerts_on_a_certificate_near_its_end() {
    let lab = Lab::get();
    let dir = Scratch::new("watch");
    let db = format!("sqlite:{}", dir.path("history.sqlite3").display());
    let (dns, ca) = (lab.dns(), lab.ca());

    let added = maildoc(&db, &["watch", "add", "Taro@LAB.example", "--every", "1h"]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(
        added.stdout.contains("taro@lab.example (check) every 1h"),
        "{}",
        added.stdout
    );
    let added = maildoc(
        &db,
        &["watch", "add", "good.posture.lab.example", "--every", "30m"],
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    let list: Value =
        serde_json::from_str(&maildoc(&db, &["watch", "list", "--format", "json"]).stdout).unwrap();
    assert_eq!(list["watches"].as_array().unwrap().len(), 2, "{list}");

    // The lab's certificates end in a year: with 400 warning days, that is an alert.
    let (url, posted) = webhook();
    let round = |extra: &[&str]| {
        let mut args = vec![
            "watch",
            "run",
            "--dns-server",
            &dns,
            "--ca-file",
            &ca,
            "--cert-days",
            "400",
            "--webhook",
            &url,
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        maildoc(&db, &args)
    };
    let first = round(&[]);
    assert_eq!(first.code, 1, "alerts were raised: {}", first.stderr);
    let alerts: Value = serde_json::from_str(&first.stdout).unwrap();
    let alerts = alerts["alerts"].as_array().unwrap();
    let expiring: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["code"] == "cert-expiring")
        .collect();
    assert!(!expiring.is_empty(), "{alerts:?}");
    assert!(expiring.iter().all(|a| a["subject"] == "taro@lab.example"));
    assert!(
        expiring[0]["text"].as_str().unwrap().contains("expires in"),
        "{expiring:?}"
    );
    // Each alert went to the webhook, with an ntfy title.
    for _ in alerts {
        let (head, body) = posted
            .recv_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        assert!(head.starts_with("POST /maildoc-alerts HTTP/1.0"), "{head}");
        assert!(head.contains("Title: maildoc: "), "{head}");
        assert!(body.contains("lab.example"), "{body}");
    }

    // Both runs are in the history, made by the watch.
    let runs: Value =
        serde_json::from_str(&maildoc(&db, &["history", "--format", "json"]).stdout).unwrap();
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().all(|r| r["origin"] == "watch"));

    // Nothing is due again for half an hour.
    let again = round(&[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let none: Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(none["alerts"], serde_json::json!([]));

    // Due again (added anew): the same state raises nothing, and is kept as a small row.
    maildoc(&db, &["watch", "add", "taro@lab.example", "--every", "1h"]);
    let same = round(&[]);
    assert_eq!(same.code, 0, "{}", same.stdout);
    let runs: Value = serde_json::from_str(
        &maildoc(&db, &["history", "taro@lab.example", "--format", "json"]).stdout,
    )
    .unwrap();
    assert_eq!(runs["runs"][0]["changed"], false, "{runs}");

    let past = maildoc(&db, &["watch", "alerts"]);
    assert_eq!(past.code, 0);
    assert!(past.stdout.contains("expires in"), "{}", past.stdout);

    let removed = maildoc(&db, &["watch", "remove", "good.posture.lab.example"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    let gone = maildoc(&db, &["watch", "remove", "good.posture.lab.example"]);
    assert_eq!(gone.code, 3);
    let bad = maildoc(&db, &["watch", "add", "example.jp", "--every", "5s"]);
    assert_eq!(bad.code, 3);
}

/// Whether every server logged in (and there was a login at all).
fn logged_in(outcomes: &[String]) -> bool {
    !outcomes.is_empty() && outcomes.iter().all(|o| o == "accepted")
}

/// The outcomes of the `login` steps of the newest kept run.
fn logins(db: &str, env: &[(&str, &OsStr)]) -> Vec<String> {
    let with_db = |args: &[&str]| {
        let mut all = vec![("MAILDOC_DB", OsStr::new(db)), ("LANG", OsStr::new("C"))];
        all.extend_from_slice(env);
        run_with_env(BIN, args, b"", &all)
    };
    let runs: Value =
        serde_json::from_str(&with_db(&["history", "--format", "json"]).stdout).unwrap();
    let id = runs["runs"][0]["id"].to_string();
    let shown = with_db(&["history", "--show", &id, "--format", "json"]);
    let report: Value = serde_json::from_str(&shown.stdout).unwrap();
    report["servers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .filter(|step| step["step"] == "login")
        .map(|step| step["outcome"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn a_watch_logs_in_with_the_password_kept_in_the_first_keyring_that_works() {
    let lab = Lab::get();
    let dir = Scratch::new("watch-keyring");
    let db = format!("sqlite:{}", dir.path("history.sqlite3").display());
    let (dns, ca) = (lab.dns(), lab.ca());
    let password = lab.password("taro");
    let data = dir.path("data");
    let runtime = dir.path("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let lab_bus = lab.var("MAILDOC_LAB_DBUS");
    // No session bus: the Secret Service is passed over.
    let headless: Vec<(&str, &OsStr)> = vec![
        ("XDG_DATA_HOME", data.as_os_str()),
        ("XDG_RUNTIME_DIR", runtime.as_os_str()),
        ("DBUS_SESSION_BUS_ADDRESS", OsStr::new("")),
        ("MAILDOC_KEYRING", OsStr::new("")),
    ];
    let with = |extra: &[(&'static str, &OsStr)], args: &[&str], input: &str| {
        let mut env = headless.clone();
        env.push(("MAILDOC_DB", OsStr::new(&db)));
        env.push(("LANG", OsStr::new("C")));
        env.extend_from_slice(extra);
        run_with_env(BIN, args, input.as_bytes(), &env)
    };
    let desktop = [("DBUS_SESSION_BUS_ADDRESS", OsStr::new(&lab_bus))];
    let keep = ["watch", "password", "taro@lab.example", "--password-stdin"];
    let forget = ["watch", "password", "taro@lab.example", "--forget"];
    let round = |extra: &[(&'static str, &OsStr)]| {
        with(&[], &["watch", "add", "taro@lab.example"], "");
        let ran = with(
            extra,
            &["watch", "run", "--dns-server", &dns, "--ca-file", &ca],
            "",
        );
        assert!(ran.code == 0 || ran.code == 1, "{}", ran.stderr);
        let mut env = headless.clone();
        env.extend_from_slice(extra);
        logins(&db, &env)
    };
    for extra in [&desktop[..], &[]] {
        with(extra, &forget, "");
    }

    // Without a password anywhere, the watch is added with a hint and checks without login.
    let added = with(&[], &["watch", "add", "taro@lab.example"], "");
    assert!(
        added
            .stderr
            .contains("maildoc watch password taro@lab.example"),
        "{}",
        added.stderr
    );
    assert_eq!(round(&[]), Vec::<String>::new());

    // A desktop session: the Secret Service takes it, and the watch logs in with it.
    let saved = with(&desktop, &keep, &password);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    assert!(
        saved
            .stdout
            .contains("in the desktop keyring (Secret Service)"),
        "{}",
        saved.stdout
    );
    assert!(logged_in(&round(&desktop)));
    let removed = with(&desktop, &forget, "");
    assert!(
        removed.stdout.contains("from the desktop keyring"),
        "{}",
        removed.stdout
    );

    // Headless: the kernel keyring takes it, and the output says why not the Secret Service.
    let saved = with(&[], &keep, &password);
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    assert!(
        saved.stdout.contains("in the kernel keyring"),
        "{}",
        saved.stdout
    );
    assert!(
        saved.stdout.contains("gone when this machine restarts"),
        "{}",
        saved.stdout
    );
    assert!(
        saved.stdout.contains("no D-Bus session bus"),
        "{}",
        saved.stdout
    );
    assert!(logged_in(&round(&[])));
    with(&[], &forget, "");

    // The file, chosen: 0600, and the watch logs in with it.
    let file_only = [("MAILDOC_KEYRING", OsStr::new("file"))];
    let saved = with(&file_only, &keep, &password);
    assert!(
        saved.stdout.contains("which only you can read"),
        "{}",
        saved.stdout
    );
    let file = data.join("maildoc").join("watch-passwords.toml");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(logged_in(&round(&file_only)));

    // A wrong password kept is the one used: the logins are refused.
    with(&file_only, &keep, "not-the-password");
    let refused = round(&file_only);
    assert!(
        !refused.is_empty() && refused.iter().all(|o| o != "accepted"),
        "{refused:?}"
    );

    // The history never holds it.
    let bytes = std::fs::read(dir.path("history.sqlite3")).unwrap();
    assert!(
        !bytes
            .windows(password.len())
            .any(|w| w == password.as_bytes())
    );

    // A store that refuses (a file others can read) is said, and the round goes on without
    // logging in; forgetting cannot be sure, so it fails.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    with(&[], &["watch", "add", "taro@lab.example"], "");
    let unread = with(
        &file_only,
        &["watch", "run", "--dns-server", &dns, "--ca-file", &ca],
        "",
    );
    assert!(
        unread
            .stderr
            .contains("could not be read, so it was checked without logging in")
            && unread.stderr.contains("chmod 600"),
        "{}",
        unread.stderr
    );
    let unsure = with(&file_only, &forget, "");
    assert_eq!(unsure.code, 2, "{}", unsure.stderr);
}

/// The messages in a lab mailbox's `new/`, by file name.
fn new_mail(lab: &Lab, login: &str) -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(&lab.var("MAILDOC_LAB_DIR"))
        .join("mail")
        .join(login)
        .join("Maildir")
        .join("new");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn alerts_are_mailed_through_the_account_and_arrive() {
    use base64::Engine as _;
    let lab = Lab::get();
    let dir = Scratch::new("watch-mail");
    let db = format!("sqlite:{}", dir.path("history.sqlite3").display());
    let (dns, ca) = (lab.dns(), lab.ca());
    let data = dir.path("data");
    let env: Vec<(&str, &OsStr)> = vec![
        ("MAILDOC_DB", OsStr::new(&db)),
        ("LANG", OsStr::new("C")),
        ("XDG_DATA_HOME", data.as_os_str()),
        ("MAILDOC_KEYRING", OsStr::new("file")),
    ];
    let run = |args: &[&str], input: &str| run_with_env(BIN, args, input.as_bytes(), &env);
    let round = |extra: &[&str]| {
        run(&["watch", "add", "taro@lab.example"], "");
        let mut args = vec![
            "watch",
            "run",
            "--dns-server",
            &dns,
            "--ca-file",
            &ca,
            "--cert-days",
            "400",
            "--mail-to",
            "inbox@lab.example",
            "--mail-from",
            "taro@lab.example",
        ];
        args.extend_from_slice(extra);
        run(&args, "")
    };

    // No password for the sending account: refused before anything runs.
    let refused = round(&[]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("maildoc watch password taro@lab.example"),
        "{}",
        refused.stderr
    );

    // With it kept, the round's alerts go out as one message through taro's own server.
    let kept = run(
        &["watch", "password", "taro@lab.example", "--password-stdin"],
        &lab.password("taro"),
    );
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    let before = new_mail(&lab, "inbox@lab.example");
    let sent = round(&[]);
    assert_eq!(sent.code, 1, "alerts: {}", sent.stderr);
    assert!(
        !sent.stderr.contains("could not be mailed"),
        "{}",
        sent.stderr
    );
    let mut arrived = Vec::new();
    for _ in 0..100 {
        arrived = new_mail(&lab, "inbox@lab.example");
        arrived.retain(|p| !before.contains(p));
        if !arrived.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(arrived.len(), 1, "one message for the round");
    // Dovecot keeps the message with LF line ends.
    let message = std::fs::read_to_string(&arrived[0])
        .unwrap()
        .replace("\r\n", "\n");
    assert!(
        message.contains("with ESMTPSA"),
        "sent logged in: {message}"
    );
    assert!(message.contains("\nFrom: taro@lab.example\n"), "{message}");
    assert!(
        message.contains("\nAuto-Submitted: auto-generated\n"),
        "{message}"
    );
    let body: String = message.split_once("\n\n").unwrap().1.split('\n').collect();
    let body = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.contains("taro@lab.example: the certificate of"),
        "{body}"
    );
    assert!(
        body.contains("maildoc history taro@lab.example --diff"),
        "{body}"
    );
    assert!(!message.contains(&lab.password("taro")));

    // A server that refuses the login: said on standard error, with the reason.
    run(
        &["watch", "password", "taro@lab.example", "--password-stdin"],
        "wrong-password",
    );
    let failed = round(&["--mail-smtp", "smtp.lab.example:465/ssl"]);
    assert!(
        failed.stderr.contains("The alerts could not be mailed:"),
        "{}",
        failed.stderr
    );
    assert_eq!(new_mail(&lab, "inbox@lab.example").len(), before.len() + 1);
}
