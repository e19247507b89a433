//! Report JSON fixtures under `tests/fixtures/`: each `NAME.json` is a report as the engine
//! writes it, and `NAME.codes` lists the findings `diagnose` must give, one `code@server` (or
//! `code` for account-wide findings) a line, in output order. `#` starts a comment line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_diagnose::diagnose;
use maildoc_model::Report;
use std::path::{Path, PathBuf};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn fixture_folder_is_not_empty() {
    assert!(fixtures().len() >= 2);
}

#[test]
fn fixtures_give_the_expected_codes() {
    for path in fixtures() {
        let json = std::fs::read_to_string(&path).unwrap();
        let report: Report =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expected_path = path.with_extension("codes");
        let expected: Vec<String> = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()))
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        let findings = diagnose(&report);
        let got: Vec<String> = findings
            .iter()
            .map(|f| match &f.server {
                Some(server) => format!("{}@{server}", f.code),
                None => f.code.to_string(),
            })
            .collect();
        assert_eq!(got, expected, "{}", path.display());
        // Every finding about a server links to its steps and names the server.
        for f in findings.iter().filter(|f| f.server.is_some()) {
            assert!(!f.evidence.is_empty(), "{}: {f:?}", path.display());
            for key in ["server", "protocol", "host", "port", "security"] {
                assert!(
                    f.params.contains_key(key),
                    "{}: {key} in {f:?}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn fixture_params() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/isp-port25-username-form.json");
    let report: Report = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let findings = diagnose(&report);
    let get = |code: &str| {
        findings
            .iter()
            .find(|f| f.code.as_str() == code)
            .unwrap_or_else(|| panic!("no {code}"))
    };
    let blocked = get("port-25-blocked");
    assert_eq!(blocked.params["open_ports"], "587");
    assert_eq!(blocked.evidence, ["smtp.2", "smtp-587.2"]);
    let form = get("auth-username-form");
    assert_eq!(form.params["username"], "taro");
    assert_eq!(form.params["working_username"], "taro@example.jp");
    let quota = get("mailbox-near-quota");
    assert_eq!(quota.params["used"], "1.9 GB");
    assert_eq!(quota.params["limit"], "2.0 GB");
    assert_eq!(quota.params["percent"], "92");
    let chain = get("cert-chain-incomplete");
    assert_eq!(chain.params["aia_url"], "http://ca.example.net/g2.crt");
    assert_eq!(chain.params["server"], "IMAP imap.example.jp:993 SSL/TLS");
}
