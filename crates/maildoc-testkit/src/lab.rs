//! The lab: Dovecot, Postfix and NSD on 127.0.2.x, started by `lab/lab.sh start`, which
//! writes `lab.env`. Tests read it here; a missing lab is a test failure with a clear
//! message, never a silent skip.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use maildoc_model::{
    Code, Finding, LoginEvidence, LoginSkipReason, Report, ServerEvidence, Severity, StepKind,
};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Lab {
    vars: HashMap<String, String>,
}

impl Lab {
    /// Reads `$MAILDOC_LAB_DIR/lab.env` (default `/tmp/maildoc-lab`).
    pub fn get() -> Lab {
        let dir = std::env::var("MAILDOC_LAB_DIR").unwrap_or_else(|_| "/tmp/maildoc-lab".into());
        let path = PathBuf::from(&dir).join("lab.env");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the lab is not running ({}: {e}). Start it with `lab/lab.sh start` (the README's test command does this).",
                path.display()
            )
        });
        let vars = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), unquote(v.trim())))
            .collect();
        Lab { vars }
    }

    pub fn var(&self, key: &str) -> String {
        self.var_opt(key)
            .unwrap_or_else(|| panic!("lab.env has no {key}"))
    }

    /// A lab.env value that older labs may not write.
    pub fn var_opt(&self, key: &str) -> Option<String> {
        self.vars.get(key).cloned()
    }

    pub fn dns(&self) -> String {
        self.var("MAILDOC_LAB_DNS")
    }

    pub fn ca(&self) -> String {
        self.var("MAILDOC_LAB_CA")
    }

    /// The password of a lab user: `taro`, `hanako`, `full`, `near`, `apppw`.
    pub fn password(&self, user: &str) -> String {
        self.var(&format!("MAILDOC_LAB_PASS_{}", user.to_ascii_uppercase()))
    }

    /// `maildoc check` arguments that point at the lab's DNS and CA.
    pub fn base_args(&self, address: &str) -> Vec<String> {
        vec![
            "check".into(),
            address.into(),
            "--dns-server".into(),
            self.dns(),
            "--ca-file".into(),
            self.ca(),
            "--format".into(),
            "json".into(),
            "--timeout".into(),
            "15".into(),
        ]
    }

    /// Runs `bin check ADDRESS` against the lab (its DNS and CA, JSON, `--timeout 15`), then
    /// `args`; `password` goes to standard input. A later `--timeout` in `args` wins.
    pub fn check(
        &self,
        bin: &str,
        address: &str,
        args: &[&str],
        password: Option<&str>,
    ) -> Checked {
        let mut all = self.base_args(address);
        if args.contains(&"--timeout") {
            let at = all.iter().position(|a| a == "--timeout").unwrap_or(0);
            all.drain(at..at + 2);
        }
        all.extend(args.iter().map(|a| a.to_string()));
        Checked::new(run(bin, &all, password))
    }
}

fn unquote(v: &str) -> String {
    let v = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v);
    let v = v
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .unwrap_or(v);
    v.to_string()
}

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn report(&self) -> Report {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "not a JSON report ({e}):\nstdout: {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `bin` with `args`; `password` (if any) goes to standard input with --password-stdin.
pub fn run(bin: &str, args: &[String], password: Option<&str>) -> Run {
    match password {
        Some(p) => {
            let mut all = args.to_vec();
            all.push("--password-stdin".into());
            run_with_input(bin, &all, format!("{p}\n").as_bytes())
        }
        None => run_with_input(bin, args, b""),
    }
}

/// Runs `bin` with `args`, `input` written to its standard input.
pub fn run_with_input(bin: &str, args: &[String], input: &[u8]) -> Run {
    run_with_env(bin, args, input, &[])
}

/// Runs `bin` with `args` (any bytes), `input` written to its standard input, without
/// `MAILDOC_PASSWORD` and with `NO_COLOR=1` unless `env` sets them; `env` is set last.
pub fn run_with_env(
    bin: &str,
    args: &[impl AsRef<OsStr>],
    input: &[u8],
    env: &[(&str, &OsStr)],
) -> Run {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_remove("MAILDOC_PASSWORD")
        .env("NO_COLOR", "1")
        .env("MAILDOC_DB", crate::history_db())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// The codes of a report's findings, for a server id (or all with `None`).
pub fn codes(report: &Report, server: Option<&str>) -> Vec<Code> {
    let mut v: Vec<Code> = report
        .findings
        .iter()
        .filter(|f| server.is_none() || f.server.as_deref() == server)
        .map(|f| f.code)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// One JSON run of the binary with its report, and assertions that show the whole picture
/// (findings, steps, stderr) when they fail.
#[derive(Debug)]
pub struct Checked {
    pub run: Run,
    pub report: Report,
}

impl Checked {
    pub fn new(run: Run) -> Checked {
        let report = run.report();
        Checked { run, report }
    }

    /// Error and warning findings as `code@server` (just `code` when account-wide), sorted.
    pub fn problems(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .report
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .map(|f| label(f.server.as_deref(), f.code))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The error and warning findings are exactly `expected` (server id, code): the expected
    /// ones are there for the right server, and nothing unrelated is.
    pub fn assert_problems(&self, expected: &[(&str, Code)]) {
        let mut want: Vec<String> = expected
            .iter()
            .map(|(server, code)| label(Some(server).filter(|s| !s.is_empty()).copied(), *code))
            .collect();
        want.sort();
        want.dedup();
        assert_eq!(self.problems(), want, "findings differ\n{}", self.summary());
    }

    pub fn assert_exit(&self, code: i32) {
        assert_eq!(self.run.code, code, "exit code\n{}", self.summary());
    }

    /// The finding with this code for this server (panics when there is none).
    pub fn finding(&self, server: &str, code: Code) -> &Finding {
        self.report
            .findings
            .iter()
            .find(|f| f.code == code && f.server.as_deref() == Some(server))
            .unwrap_or_else(|| panic!("no {code} for {server}\n{}", self.summary()))
    }

    pub fn server(&self, id: &str) -> &ServerEvidence {
        self.report
            .servers
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("no server {id}\n{}", self.summary()))
    }

    /// The login attempts made on a server, in order.
    pub fn logins(&self, id: &str) -> Vec<&LoginEvidence> {
        self.server(id)
            .steps
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::Login(l) => Some(l),
                _ => None,
            })
            .collect()
    }

    /// Why the login on a server was skipped, if it was.
    pub fn login_skipped(&self, id: &str) -> Option<LoginSkipReason> {
        self.server(id).steps.iter().find_map(|s| match &s.kind {
            StepKind::LoginSkipped { reason } => Some(*reason),
            _ => None,
        })
    }

    /// The lines a server's transcript shows as sent by maildoc.
    pub fn sent(&self, id: &str) -> Vec<&str> {
        self.server(id)
            .transcript
            .iter()
            .filter(|l| l.dir == maildoc_model::Direction::Sent)
            .map(|l| l.text.as_str())
            .collect()
    }

    /// Exit code, elapsed time, findings, each server's steps, and stderr: for failure messages.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "exit {} after {:?}\nfindings:\n",
            self.run.code, self.run.elapsed
        );
        for f in &self.report.findings {
            out.push_str(&format!(
                "  {} {} {:?}\n",
                f.severity.as_str(),
                label(f.server.as_deref(), f.code),
                f.params
            ));
        }
        for s in &self.report.servers {
            out.push_str(&format!("server {} ({}):\n", s.id, s.endpoint.describe()));
            for step in &s.steps {
                let kind = serde_json::to_string(&step.kind).unwrap_or_default();
                let kind: String = kind.chars().take(300).collect();
                out.push_str(&format!("  {} +{}ms {kind}\n", step.id, step.elapsed_ms));
            }
        }
        if !self.run.stderr.is_empty() {
            out.push_str(&format!("stderr:\n{}\n", self.run.stderr));
        }
        out
    }
}

fn label(server: Option<&str>, code: Code) -> String {
    match server {
        Some(s) => format!("{code}@{s}"),
        None => code.to_string(),
    }
}

// --- secrets -------------------------------------------------------------------------------

/// How much of a password is looked for on its own: every run of this many characters.
const WINDOW: usize = 10;

/// The forms a password takes on the wire, as (what, text) pairs to look for in output: the
/// clear text; base64 of the password at each of the three byte alignments (the part of
/// base64(pad + password) that depends on the password alone, for 0, 1 and 2 pad bytes);
/// SASL PLAIN `\0user\0password` for each user name; and AUTH LOGIN's base64 of the password.
pub fn secret_needles(password: &str, usernames: &[&str]) -> Vec<(String, String)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = vec![("clear text".to_string(), password.to_string())];
    for pad in 0..3usize {
        let mut bytes = vec![b'x'; pad];
        bytes.extend_from_slice(password.as_bytes());
        let encoded = b64.encode(&bytes);
        // Whole 3-byte groups depend only on their own bytes; the first group holds the pad.
        let start = if pad == 0 { 0 } else { 4 };
        let end = bytes.len() / 3 * 4;
        if end > start {
            out.push((
                format!("base64 at alignment {pad}"),
                encoded[start..end].to_string(),
            ));
        }
    }
    for user in usernames {
        out.push((
            format!("SASL PLAIN for {user}"),
            b64.encode(format!("\0{user}\0{password}")),
        ));
    }
    out.push(("AUTH LOGIN password".to_string(), b64.encode(password)));
    out
}

/// Every way `text` gives `password` away: a needle of [`secret_needles`], the password as
/// hex or percent-encoded, any run of [`WINDOW`] characters of the clear password in any
/// ASCII case, or a base64-looking token (standard or
/// URL-safe alphabet, at any of its four start offsets) that decodes to bytes containing it.
pub fn leaks(text: &str, password: &str, usernames: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (what, needle) in secret_needles(password, usernames) {
        if text.contains(&needle) {
            found.push(format!("{what}: `{needle}`"));
        }
    }
    let lower = text.to_ascii_lowercase();
    let hex: String = password.bytes().map(|b| format!("{b:02x}")).collect();
    let every_byte: String = password.bytes().map(|b| format!("%{b:02x}")).collect();
    for (what, form) in [("hex", hex), ("percent-encoded", every_byte)] {
        if lower.contains(&form) {
            found.push(format!("{what}: `{form}`"));
        }
    }
    let chars: Vec<char> = password.to_ascii_lowercase().chars().collect();
    for window in chars.windows(WINDOW.min(chars.len())) {
        let piece: String = window.iter().collect();
        if lower.contains(&piece) {
            found.push(format!("part of the password: `{piece}`"));
            break;
        }
    }
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let engines = [
        (
            GeneralPurpose::new(&base64::alphabet::STANDARD, config),
            "+/",
        ),
        (
            GeneralPurpose::new(&base64::alphabet::URL_SAFE, config),
            "-_",
        ),
    ];
    for (engine, extra) in &engines {
        let tokens = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || extra.contains(c)))
            .filter(|t| t.len() >= 8);
        for token in tokens {
            for offset in 0..4 {
                let Some(t) = token.get(offset..) else { break };
                let whole = &t[..t.len() / 4 * 4];
                for candidate in [t, whole] {
                    if let Ok(bytes) = engine.decode(candidate)
                        && contains(&bytes, password.as_bytes())
                    {
                        found.push(format!("base64 token `{token}` decodes to the password"));
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_form_of_a_password_is_caught() {
        let pw = "Tz-9vQ!lab-Secret-4471";
        let users = ["taro@lab.example", "taro"];
        let b64 = base64::engine::general_purpose::STANDARD;
        assert!(leaks("nothing to see: <redacted>", pw, &users).is_empty());
        assert!(!leaks(&format!("C: PASS {pw}"), pw, &users).is_empty());
        assert!(!leaks("a Secret-4471 piece", pw, &users).is_empty());
        // SASL PLAIN as IMAP, POP3 and SMTP send it, glued to other text or not.
        let plain = b64.encode(format!("\0taro@lab.example\0{pw}"));
        assert!(!leaks(&format!("AUTH PLAIN {plain}"), pw, &users).is_empty());
        assert!(!leaks(&format!("x{plain}"), pw, &users).is_empty());
        // Any alignment inside a bigger blob, and URL-safe base64.
        for prefix in ["", "a", "ab", "abc"] {
            let blob = b64.encode(format!("{prefix}{pw}tail"));
            assert!(!leaks(&blob, pw, &users).is_empty(), "{prefix}");
        }
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("??{pw}"));
        assert!(!leaks(&url, pw, &users).is_empty());
        // AUTH LOGIN: the password alone.
        assert!(!leaks(&b64.encode(pw), pw, &users).is_empty());
    }
}
