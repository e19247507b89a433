//! The history through the binary, against the lab: runs are kept (on SQLite and on the
//! lab's PostgreSQL), listed, compared and shown again; `--no-history` keeps nothing; a
//! history that cannot be written does not change the diagnosis; and no form of a password
//! is anywhere in the database files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_testkit::lab::{Lab, Run, leaks, run_with_env, secret_needles};
use maildoc_testkit::scratch::Scratch;
use serde_json::Value;
use std::ffi::OsStr;
use std::path::Path;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// `maildoc ARGS` with its history in `db`; `input` on standard input.
fn maildoc(db: &str, args: &[&str], input: &str) -> Run {
    run_with_env(
        BIN,
        args,
        input.as_bytes(),
        &[("MAILDOC_DB", OsStr::new(db)), ("LANG", OsStr::new("C"))],
    )
}

/// A check of taro@lab.example's IMAP over TLS with `password`, kept in `db`.
fn check(db: &str, lab: &Lab, password: &str, extra: &[&str]) -> Run {
    let (dns, ca) = (lab.dns(), lab.ca());
    let mut args = vec![
        "check",
        "taro@lab.example",
        "--imap",
        "imap.lab.example:993/ssl",
        "--dns-server",
        &dns,
        "--ca-file",
        &ca,
        "--format",
        "json",
        "--password-stdin",
    ];
    args.extend_from_slice(extra);
    maildoc(db, &args, &format!("{password}\n"))
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\nstderr: {}", run.stdout, run.stderr))
}

fn sqlite(dir: &Scratch) -> String {
    format!("sqlite:{}", dir.path("history.sqlite3").display())
}

/// A run that changed (a wrong password), and one that did not: the list, the diff in
/// JSON and in words, and a kept report shown again.
fn keeps_lists_and_compares(db: &str) {
    let lab = Lab::get();
    let right = lab.password("taro");
    assert_eq!(check(db, &lab, &right, &[]).code, 0);
    assert_eq!(check(db, &lab, &right, &[]).code, 0);
    let wrong = check(db, &lab, "Wrong-Password-77", &[]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);

    let list = maildoc(db, &["history", "taro@lab.example", "--format", "json"], "");
    assert_eq!(list.code, 0, "{}", list.stderr);
    let list = json(&list);
    let runs = list["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "{list}");
    assert_eq!(list["version"], 1);
    assert_eq!(runs[0]["codes"], serde_json::json!(["auth-failed"]));
    assert_eq!(runs[0]["worst"], "error");
    assert_eq!(runs[0]["changed"], true);
    assert_eq!(
        runs[1]["changed"], false,
        "the same result twice is kept once"
    );
    assert_eq!(runs[2]["kind"], "check");

    // The last two: the login failure appeared, and nothing else changed.
    let diff = maildoc(
        db,
        &["history", "Taro@LAB.example", "--diff", "--format", "json"],
        "",
    );
    assert_eq!(diff.code, 0, "{}", diff.stderr);
    let diff = json(&diff);
    assert_eq!(diff["appeared"][0]["code"], "auth-failed", "{diff}");
    assert_eq!(diff["appeared"][0]["server"], "imap");
    assert_eq!(diff["resolved"], serde_json::json!([]));
    assert_eq!(diff["from"]["id"], runs[1]["id"]);
    assert_eq!(diff["to"]["id"], runs[0]["id"]);

    // Two given runs, in either order; the same result twice has nothing changed.
    let (newest, oldest) = (runs[0]["id"].to_string(), runs[2]["id"].to_string());
    let both = json(&maildoc(
        db,
        &[
            "history",
            "taro@lab.example",
            "--diff",
            &newest,
            &oldest,
            "--format",
            "json",
        ],
        "",
    ));
    assert_eq!(both["from"]["id"], runs[2]["id"]);
    let same = maildoc(
        db,
        &[
            "history",
            "taro@lab.example",
            "--diff",
            &runs[1]["id"].to_string(),
            &oldest,
        ],
        "",
    );
    assert!(same.stdout.contains("Nothing changed"), "{}", same.stdout);

    // In words, in both languages.
    let en = maildoc(db, &["history", "taro@lab.example", "--diff"], "");
    assert!(en.stdout.contains("New findings"), "{}", en.stdout);
    assert!(en.stdout.contains("auth-failed"), "{}", en.stdout);
    let ja = maildoc(
        db,
        &["history", "taro@lab.example", "--diff", "--lang", "ja"],
        "",
    );
    assert!(ja.stdout.contains("新しく見つかった問題"), "{}", ja.stdout);
    let md = maildoc(db, &["history", "--format", "markdown"], "");
    assert!(md.stdout.contains("| Run |"), "{}", md.stdout);

    // A kept report, shown as `maildoc check` printed it.
    let shown = maildoc(db, &["history", "--show", &newest, "--format", "json"], "");
    assert_eq!(shown.code, 1, "a report with problems: {}", shown.stderr);
    assert_eq!(shown.report(), wrong.report());

    // Runs that are not there, and a diff with nothing to compare.
    let missing = maildoc(db, &["history", "--show", "999999"], "");
    assert_eq!(missing.code, 3);
    assert!(
        missing.stderr.contains("There is no run #999999"),
        "{}",
        missing.stderr
    );
    let lonely = maildoc(db, &["history", "nobody@lab.example", "--diff"], "");
    assert_eq!(lonely.code, 3);
    assert!(
        lonely.stderr.contains("no runs of nobody@lab.example"),
        "{}",
        lonely.stderr
    );
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn a_check_is_kept_listed_and_compared_on_sqlite() {
    let dir = Scratch::new("history-sqlite");
    keeps_lists_and_compares(&sqlite(&dir));
}

/// A new database in the lab's PostgreSQL, as a URL.
fn postgres_database(name: &str) -> String {
    let url = Lab::get().var("MAILDOC_LAB_PG_URL");
    let name = format!("cli_{name}_{}", std::process::id());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn a_check_is_kept_listed_and_compared_on_postgresql() {
    keeps_lists_and_compares(&postgres_database("keeps"));
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn no_history_keeps_nothing_and_a_broken_history_changes_no_diagnosis() {
    let lab = Lab::get();
    let dir = Scratch::new("history-off");
    let db = sqlite(&dir);
    let run = check(&db, &lab, &lab.password("taro"), &["--no-history"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list = maildoc(&db, &["history", "--format", "json"], "");
    assert_eq!(json(&list)["runs"], serde_json::json!([]));

    // A history in a place that cannot be a file: the check is made and printed as ever,
    // and standard error says the run was not kept.
    let blocker = dir.path("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let bad = format!("sqlite:{}", blocker.join("h.sqlite3").display());
    let run = check(&bad, &lab, &lab.password("taro"), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.report().findings, Vec::new());
    assert!(
        run.stderr.contains("was not kept in the history"),
        "{}",
        run.stderr
    );
    let read = maildoc(&bad, &["history"], "");
    assert_eq!(read.code, 2, "{}", read.stderr);

    let unusable = maildoc("mysql://x@y/z", &["history"], "");
    assert_eq!(unusable.code, 2);
    assert!(
        unusable.stderr.contains("sqlite:PATH"),
        "{}",
        unusable.stderr
    );
    let since = maildoc(&db, &["history", "--since", "last tuesday"], "");
    assert_eq!(since.code, 3);
}

/// Every byte of every file under `dir` (or the file itself), read as text.
fn file_texts(path: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap().flatten() {
            out.extend(file_texts(&entry.path()));
        }
    } else if let Ok(bytes) = std::fs::read(path) {
        out.push((
            path.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    out
}

/// Checks with the right and a wrong password, over IMAP and SMTP submission: then neither
/// password appears in the database, in any form.
fn passwords_never_kept(db: &str) -> [String; 2] {
    let lab = Lab::get();
    let right = lab.password("taro");
    let wrong = "Echo-Me-Not-3141".to_string();
    assert_eq!(check(db, &lab, &right, &[]).code, 0);
    assert_eq!(check(db, &lab, &wrong, &[]).code, 1);
    let smtp = check(db, &lab, &right, &["--smtp", "smtp.lab.example:465/ssl"]);
    assert!(smtp.code <= 1, "{}", smtp.stderr);
    let list = json(&maildoc(db, &["history", "--format", "json"], ""));
    assert!(list["runs"].as_array().unwrap().len() >= 3, "{list}");
    [right, wrong]
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn no_password_is_in_the_sqlite_files() {
    let dir = Scratch::new("history-secrets");
    let db = sqlite(&dir);
    let passwords = passwords_never_kept(&db);
    // The database, and its WAL when the last connection has not folded it in yet.
    let files = file_texts(dir.dir());
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("history.sqlite3")),
        "{names:?}"
    );
    for (file, text) in &files {
        for password in &passwords {
            let found = leaks(text, password, &["taro@lab.example", "taro"]);
            assert!(found.is_empty(), "{file}: {found:?}");
        }
    }
}

#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn no_password_is_in_the_postgresql_files() {
    let lab = Lab::get();
    let url = postgres_database("secrets");
    let passwords = passwords_never_kept(&url);
    // Written out of the WAL into the tables' files too, then everything searched: the
    // cluster's files and the server's log.
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client.batch_execute("CHECKPOINT").unwrap();
    let data = lab.var("MAILDOC_LAB_PG_DATA");
    let mut files = file_texts(Path::new(&data));
    let lab_dir = std::env::var("MAILDOC_LAB_DIR").unwrap_or_else(|_| "/tmp/maildoc-lab".into());
    files.extend(file_texts(&Path::new(&lab_dir).join("log/postgres.log")));
    assert!(files.len() > 100, "{}", files.len());
    // Every encoding in what maildoc stored; the clear and encoded forms a login sends in
    // every byte of the cluster (a full search of its gigabyte-sized WAL would take minutes).
    let kept: Vec<String> = client
        .query("SELECT json FROM reports", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(kept.iter().any(|j| j.contains("taro@lab.example")));
    for password in &passwords {
        for json in &kept {
            let found = leaks(json, password, &["taro@lab.example", "taro"]);
            assert!(found.is_empty(), "a kept report: {found:?}");
        }
        let needles = secret_needles(password, &["taro@lab.example", "taro"]);
        for (file, text) in &files {
            for (what, needle) in &needles {
                assert!(!text.contains(needle.as_str()), "{file}: {what}");
            }
        }
    }
}

/// A watch round killed in the middle (SIGKILL, no chance to clean up) leaves a history that
/// opens, passes SQLite's integrity check, and holds only whole runs: the runs of a round are
/// kept 500 to a transaction, so what was kept is whole chunks of them.
#[test]
#[ignore = "needs the lab: lab/lab.sh start"]
fn a_round_killed_midway_leaves_only_whole_runs() {
    let lab = Lab::get();
    let dir = Scratch::new("history-kill");
    let db = sqlite(&dir);
    let list = dir.path("domains.txt");
    let domains: Vec<String> = (0..1200)
        .map(|i| format!("gone{i}.posture.lab.example"))
        .collect();
    std::fs::write(&list, domains.join("\n")).unwrap();
    let added = maildoc(&db, &["watch", "add", "--from", list.to_str().unwrap()], "");
    assert_eq!(added.code, 0, "{}", added.stderr);

    let dns = lab.dns();
    let mut child = std::process::Command::new(BIN)
        .args(["watch", "run", "--dns-server", &dns, "--concurrency", "4"])
        .env("MAILDOC_DB", &db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some runs are kept, before all are.
    let path = dir.path("history.sqlite3");
    let start = std::time::Instant::now();
    loop {
        let kept = rusqlite_count(&path);
        if kept > 0 || start.elapsed() > std::time::Duration::from_secs(20) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let kept = rusqlite_count(&path);
    assert!(
        kept > 0 && kept < 1200 && kept % 500 == 0,
        "killed midway: {kept} runs kept"
    );

    let list = maildoc(&db, &["history", "--limit", "1000", "--format", "json"], "");
    assert_eq!(list.code, 0, "{}", list.stderr);
    let runs = json(&list)["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len() as i64, kept);
    for run in runs.iter().take(20) {
        let id = run["id"].to_string();
        let shown = maildoc(&db, &["history", "--show", &id, "--format", "json"], "");
        assert!(shown.code <= 1, "run {id}: {}", shown.stderr);
        let _: Value = serde_json::from_str(&shown.stdout).unwrap();
    }
    // The leases of the killed round run out; nothing is lost meanwhile, and the integrity
    // check passes.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

/// The runs kept in a SQLite history (0 before it exists).
fn rusqlite_count(path: &Path) -> i64 {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
        .unwrap_or(0)
}
