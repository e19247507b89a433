//! The lab: Dovecot, Postfix and NSD on 127.0.2.x, started by `lab/lab.sh start`, which
//! writes `lab.env`. Tests read it here; a missing lab is a test failure with a clear
//! message, never a silent skip.

use maildoc_model::{Code, Report};
use std::collections::HashMap;
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
        self.vars
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("lab.env has no {key}"))
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
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_remove("MAILDOC_PASSWORD")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if password.is_some() {
        cmd.arg("--password-stdin");
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    if let (Some(mut stdin), Some(p)) = (child.stdin.take(), password) {
        let _ = writeln!(stdin, "{p}");
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
