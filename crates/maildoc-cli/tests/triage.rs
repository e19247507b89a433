//! `maildoc triage`: every symptom path driven from answers files and flags, golden support
//! summaries in both languages (refresh with `MAILDOC_BLESS=1 cargo test -p maildoc-cli --test
//! triage` and read the diff), a run whose summary carries live check results from the lab,
//! and one run through a real terminal (tmux) to prove the arrow-key prompts work.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_testkit::lab::Lab;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// A password no lab user has.
const WRONG_PASSWORD: &str = "Wrong-Pw-Zq7Kx3Vb-lab-0000";

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("maildoc-triage-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("MAILDOC_PASSWORD")
        .env("LANG", "C")
        .env("MAILDOC_DB", maildoc_testkit::history_db())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let (Some(mut s), Some(text)) = (child.stdin.take(), stdin) {
        let _ = writeln!(s, "{text}");
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn explain(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status.code(),
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn write_answers(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The line of the causes table (text format) that comes first.
fn top_cause(text: &str, lang_header: &str) -> String {
    let mut lines = text.lines().skip_while(|l| l.trim() != lang_header);
    lines.next();
    lines.next().unwrap_or_default().trim().to_string()
}

/// Every symptom from an answers file: exit 0, the symptom and every answer in the summary,
/// the expected cause on top of the table.
#[test]
fn every_symptom_path_from_answers_files() {
    let dir = scratch("paths");
    let cases: &[(&str, &str, &str)] = &[
        (
            "receive",
            "internet = \"yes\"\noutage = \"no\"\nsince = \"sudden\"\nwebmail = \"works\"\nscope = \"all\"\n",
            "The mailbox is full",
        ),
        (
            "send",
            "internet = \"yes\"\noutage = \"no\"\nsince = \"from-start\"\nwebmail = \"works\"\nscope = \"all\"\n",
            "Wrong server settings",
        ),
        (
            "both",
            "internet = \"no\"\n",
            "This device's internet connection",
        ),
        (
            "signin",
            "internet = \"yes\"\nsince = \"from-start\"\nwebmail = \"works\"\n",
            "An app password or OAuth",
        ),
        (
            "one-sender",
            "since = \"sudden\"\nsender = \"news@shop.example\"\nsender-spam = \"no\"\nsender-others = \"yes\"\n",
            "The sender's domain has SPF",
        ),
        (
            "one-recipient",
            "since = \"sudden\"\nscope = \"some\"\nbounce = \"yes\"\n",
            "The recipient's server or filter rejects",
        ),
        (
            "notify-late",
            "internet = \"yes\"\noutage = \"no\"\nappears-on-open = \"yes\"\nsince = \"from-start\"\n",
            "The mail app's fetch interval",
        ),
    ];
    for (symptom, answers, top) in cases {
        let file = write_answers(
            &dir,
            &format!("{symptom}.toml"),
            &format!(
                "symptom = \"{symptom}\"\ntried = [\"restarted the device\"]\n[answers]\n{answers}"
            ),
        );
        // No sender's domain check here: shop.example is not in the lab.
        let o = run(
            &[
                "triage",
                "--answers",
                &file,
                "--no-domain-check",
                "--lang",
                "en",
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(0), "{symptom}\n{}", explain(&o));
        let text = stdout(&o);
        let first = top_cause(&text, "Possible causes");
        assert!(first.contains(top), "{symptom}: top is `{first}`\n{text}");
        assert!(text.contains("restarted the device"), "{symptom}\n{text}");
        let answered = answers.lines().count();
        assert_eq!(
            text.matches("\n    → ").count(),
            answered,
            "{symptom}: every answer shown\n{text}"
        );
        if *symptom == "one-sender" {
            assert!(
                text.contains("sender's domain shop.example was skipped (--no-domain-check)"),
                "{text}"
            );
        }
    }
}

#[test]
fn flags_override_the_file_and_explain_reads_the_error() {
    let dir = scratch("flags");
    let file = write_answers(
        &dir,
        "a.toml",
        "symptom = \"signin\"\n[answers]\ninternet = \"yes\"\nwebmail = \"fails\"\n",
    );
    let o = run(
        &[
            "triage",
            "--answers",
            &file,
            "--answer",
            "webmail=works",
            "--answer",
            "error=535 5.7.8 Error: authentication failed",
            "--tried",
            "typed the password again",
            "--format",
            "markdown",
            "--lang",
            "ja",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
    let text = stdout(&o);
    assert!(
        text.contains("| はい、ウェブメールでは見られる |"),
        "{text}"
    );
    assert!(text.contains("maildoc explain"), "{text}");
    assert!(text.contains("auth-failed"), "{text}");
    assert!(text.contains("- typed the password again"), "{text}");
}

#[test]
fn bad_input_is_a_usage_error_in_the_chosen_language() {
    let dir = scratch("bad");
    for (args, needle) in [
        (
            vec!["triage", "--symptom", "broken", "--lang", "en"],
            "unknown symptom",
        ),
        (
            vec![
                "triage",
                "--symptom",
                "receive",
                "--answer",
                "internet=perhaps",
            ],
            "not an answer to `internet`",
        ),
        (
            vec!["triage", "--symptom", "receive", "--answer", "nonsense"],
            "QUESTION=ANSWER",
        ),
        (
            vec![
                "triage",
                "--symptom",
                "receive",
                "--answer",
                "appears-on-open=yes",
            ],
            "not for this symptom",
        ),
        (vec!["triage", "--lang", "ja"], "症状がわかりません"),
    ] {
        let o = run(&args, None);
        assert_eq!(o.status.code(), Some(3), "{args:?}\n{}", explain(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(needle),
            "{args:?}\n{}",
            explain(&o)
        );
    }
    let file = write_answers(&dir, "typo.toml", "symptom = \"send\"\nanswer = {}\n");
    let o = run(&["triage", "--answers", &file], None);
    assert_eq!(o.status.code(), Some(3), "{}", explain(&o));
}

// ---- golden summaries ---------------------------------------------------------------------

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/triage")
}

fn compare(name: &str, actual: &str) {
    maildoc_testkit::golden::compare(
        &golden_dir().join(name),
        actual,
        "cargo test -p maildoc-cli --test triage",
    );
}

/// The summary of a receive triage in every format and both languages. No address: the
/// account check does not run, so nothing depends on the clock or the network.
#[test]
fn golden_summaries_in_both_languages() {
    let dir = scratch("golden");
    let file = write_answers(
        &dir,
        "receive.toml",
        "symptom = \"receive\"\n\
         tried = [\"端末を再起動した / restarted the phone\"]\n\
         [answers]\n\
         internet = \"yes\"\n\
         outage = \"unknown\"\n\
         other-addresses = \"yes\"\n\
         since = \"sudden\"\n\
         webmail = \"works\"\n\
         scope = \"some\"\n\
         one-sender = \"yes\"\n\
         sender = \"info@shop.example\"\n\
         sender-spam = \"no\"\n",
    );
    for lang in ["ja", "en"] {
        for (format, ext) in [("text", "txt"), ("markdown", "md"), ("html", "html")] {
            let o = run(
                &[
                    "triage",
                    "--answers",
                    &file,
                    "--no-domain-check",
                    "--format",
                    format,
                    "--lang",
                    lang,
                ],
                None,
            );
            assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
            compare(&format!("receive-one-sender.{lang}.{ext}"), &stdout(&o));
        }
    }
}

// ---- live check against the lab ------------------------------------------------------------

/// A sign-in triage with taro's address and a wrong password: the account check runs against
/// the lab, and the summary confirms `auth-failed` with the server's evidence.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn summary_contains_live_check_results_from_the_lab() {
    let lab = Lab::get();
    for (lang, confirmed) in [("en", "confirmed by the check"), ("ja", "チェックで確認")] {
        let o = run(
            &[
                "triage",
                "--symptom",
                "signin",
                "--answer",
                "internet=yes",
                "--answer",
                "webmail=works",
                "--address",
                "taro@lab.example",
                "--imap",
                "imap.lab.example:993/ssl",
                "--smtp",
                "smtp.lab.example:587/starttls",
                "--dns-server",
                &lab.dns(),
                "--ca-file",
                &lab.ca(),
                "--timeout",
                "15",
                "--password-stdin",
                "--format",
                "markdown",
                "--lang",
                lang,
            ],
            Some(WRONG_PASSWORD),
        );
        let text = stdout(&o);
        assert_eq!(o.status.code(), Some(1), "{}", explain(&o));
        assert!(
            !text.contains(WRONG_PASSWORD),
            "the password leaked\n{text}"
        );
        assert!(text.contains("(`auth-failed`)"), "{text}");
        assert!(text.contains("imap.lab.example:993"), "{text}");
        assert!(text.contains("AUTHENTICATIONFAILED"), "evidence\n{text}");
        let row = text
            .lines()
            .find(|l| l.contains(confirmed))
            .unwrap_or_else(|| panic!("no confirmed cause\n{text}"));
        assert!(
            row.contains("password") || row.contains("パスワード"),
            "{row}\n{text}"
        );
        assert!(text.contains("taro@lab.example"), "{text}");
    }
}

/// A one-sender triage whose sender is at a lab domain without DMARC or SPF: the sender's
/// domain check runs against the lab DNS (no DNS blocklist is asked), its findings appear in
/// the summary and confirm the sender's authentication as the cause.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn sender_domain_check_confirms_sender_auth_from_the_lab() {
    let lab = Lab::get();
    let dir = scratch("sender-domain");
    let file = write_answers(
        &dir,
        "one-sender.toml",
        "symptom = \"one-sender\"\n\
         [answers]\n\
         since = \"sudden\"\n\
         sender = \"news@nodmarc.posture.lab.example\"\n\
         sender-spam = \"no\"\n",
    );
    for (lang, format, confirmed, heading) in [
        (
            "en",
            "text",
            "confirmed by the check",
            "Findings for the sender's domain nodmarc.posture.lab.example",
        ),
        (
            "en",
            "markdown",
            "confirmed by the check",
            "## Findings for the sender's domain nodmarc.posture.lab.example",
        ),
        (
            "ja",
            "html",
            "チェックで確認",
            "送信者のドメイン nodmarc.posture.lab.example のチェック結果",
        ),
    ] {
        let o = run(
            &[
                "triage",
                "--answers",
                &file,
                "--no-check",
                "--dns-server",
                &lab.dns(),
                "--ca-file",
                &lab.ca(),
                "--timeout",
                "15",
                "--format",
                format,
                "--lang",
                lang,
            ],
            None,
        );
        let text = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{}", explain(&o));
        assert!(text.contains(heading), "{text}");
        assert!(text.contains("(dmarc-missing)"), "{text}");
        assert!(text.contains("(spf-missing)"), "{text}");
        assert!(!text.contains("maildoc cannot run it yet"), "{text}");
        let row = text
            .lines()
            .find(|l| l.contains(confirmed))
            .unwrap_or_else(|| panic!("no confirmed cause\n{text}"));
        assert!(row.contains("SPF"), "{row}\n{text}");
    }
}

// ---- a real terminal -----------------------------------------------------------------------

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("tmux is needed (`lab/lab.sh install` installs it): {e}"))
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "triage"]).stdout)
            .into_owned()
    }

    /// Waits (bounded) until the screen shows `needle`.
    fn wait_for(&self, needle: &str) {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the terminal never showed `{needle}`:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "triage"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

/// Starts `maildoc ARGS > summary` in a fresh tmux session of its own; returns the session,
/// the summary path and the file that receives the exit code when it ends.
fn start_in_tmux(name: &str, args: &str) -> (Tmux, PathBuf, PathBuf) {
    let dir = scratch(name);
    let out = dir.join("summary.txt");
    let done = dir.join("done");
    let tmux = Tmux {
        socket: format!("maildoc-triage-{}-{name}", std::process::id()),
    };
    let script = format!(
        "LANG=C NO_COLOR=1 MAILDOC_DB='{}' '{BIN}' {args} > '{}'; echo $? > '{}'",
        maildoc_testkit::history_db(),
        out.display(),
        done.display()
    );
    let o = tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "triage",
        "-x",
        "160",
        "-y",
        "50",
        "sh",
        "-c",
        &script,
    ]);
    assert!(
        o.status.success(),
        "tmux: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (tmux, out, done)
}

/// Waits (bounded) for the run to end; returns its exit code and summary.
fn finish(tmux: &Tmux, out: &Path, done: &Path) -> (String, String) {
    let start = Instant::now();
    while !done.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "maildoc did not finish:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(100));
    (
        std::fs::read_to_string(done).unwrap().trim().to_string(),
        std::fs::read_to_string(out).unwrap(),
    )
}

/// Once through a real terminal: choose the symptom and an answer with the arrow keys, type
/// what was tried, and find the choices in the summary.
#[test]
fn prompts_work_on_a_real_terminal() {
    let (tmux, out, done) = start_in_tmux("menu", "triage --lang en --no-check");
    // Symptom: the third entry, "Cannot send or receive mail".
    tmux.wait_for("What is the problem?");
    tmux.keys(&["Down", "Down", "Enter"]);
    // Internet: "No, they do not" (second); that ends the questions.
    tmux.wait_for("Can this device open web sites");
    tmux.keys(&["Down", "Enter"]);
    // The causes table is shown on the terminal as the answers come.
    tmux.wait_for("[likely] This device's internet connection");
    tmux.wait_for("Anything you already tried?");
    tmux.keys(&["-l", "turned wifi off and on"]);
    tmux.keys(&["Enter"]);
    let (code, summary) = finish(&tmux, &out, &done);
    assert_eq!(code, "0", "{summary}");
    assert!(
        summary.contains("Symptom: Cannot send or receive mail"),
        "{summary}"
    );
    assert!(summary.contains("→ No, they do not"), "{summary}");
    assert!(summary.contains("- turned wifi off and on"), "{summary}");
    let top = top_cause(&summary, "Possible causes");
    assert!(
        top.contains("[likely] This device's internet connection"),
        "{summary}"
    );
}

/// On a terminal, the account check runs as soon as the typed address is known, before the
/// remaining questions, and its results from the lab end up in the summary.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn interactive_triage_checks_the_typed_address_against_the_lab() {
    let lab = Lab::get();
    let args = format!(
        "triage --lang ja --symptom signin --no-login --imap imap.lab.example:993/ssl \
         --smtp smtp.lab.example:587/starttls --dns-server {} --ca-file '{}' --timeout 15",
        lab.dns(),
        lab.ca()
    );
    let (tmux, out, done) = start_in_tmux("check", &args);
    tmux.wait_for("ウェブサイト");
    tmux.keys(&["Enter"]);
    tmux.wait_for("あなたのメールアドレスは？");
    tmux.keys(&["-l", "taro@lab.example"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("taro@lab.example をチェックしています");
    // The next question comes after the check: an outage announced ends the questions.
    tmux.wait_for("障害・メンテナンスのお知らせ");
    tmux.keys(&["Enter"]);
    tmux.wait_for("すでに試したこと");
    tmux.keys(&["Enter"]);
    let (code, summary) = finish(&tmux, &out, &done);
    assert!(code == "0" || code == "1", "exit {code}\n{summary}");
    assert!(
        summary.contains("taro@lab.example のアカウントをチェックしました。パスワードがないため"),
        "{summary}"
    );
    assert!(summary.contains("IMAP imap.lab.example:993"), "{summary}");
    assert!(summary.contains("SMTP smtp.lab.example:587"), "{summary}");
    assert!(summary.contains("→ 「taro@lab.example」"), "{summary}");
    let top = top_cause(&summary, "考えられる原因");
    assert!(top.contains("プロバイダー側の障害"), "{summary}");
}
