//! `maildoc domain --from FILE|-` against the lab's NSD (`lab/lab.sh start`): one JSON line
//! per input line with the same findings as single mode, lines that are not domains kept
//! with the reason, standard input, exit codes and usage errors. Every lookup goes to the
//! lab's NSD on loopback.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use maildoc_model::Code;
use maildoc_model::domain::DomainReport;
use maildoc_testkit::lab::{Lab, Run, run, run_with_input};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_maildoc");

/// Posture cases with different findings (see lab/templates/posture.lab.example.zone.in).
const CASES: &[&str] = &[
    "good",
    "nullmx",
    "nomx",
    "badmx",
    "cname",
    "nodmarc",
    "pnone",
    "twodmarc",
    "twospf",
    "badsyntax",
    "ruaext",
    "testing",
    "revoked",
    "k1024",
    "stsok",
    "stsmismatch",
];

fn net_args() -> Vec<String> {
    let lab = Lab::get();
    [
        "--dns-server",
        &lab.dns(),
        "--ca-file",
        &lab.ca(),
        "--dnsbl-zone",
        "bl.dnsbl.lab.example",
        "--dkim-selector",
        "s2048",
        "--timeout",
        "10",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect()
}

fn domain(args: &[&str]) -> Run {
    let mut all: Vec<String> = vec!["domain".into()];
    all.extend(args.iter().map(|a| a.to_string()));
    all.extend(net_args());
    run(BIN, &all, None)
}

fn codes(r: &DomainReport) -> Vec<Code> {
    let mut v: Vec<Code> = r.findings.iter().map(|f| f.code).collect();
    v.sort();
    v.dedup();
    v
}

fn lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn write_list(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("maildoc-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn every_domain_gets_one_line_with_the_findings_of_single_mode() {
    let mut list = String::from("# posture cases\n\n");
    for c in CASES {
        list.push_str(&format!("  {c}.posture.lab.example  \n"));
    }
    let path = write_list("cases.txt", list.as_bytes());
    let bulk = domain(&["--from", path.to_str().unwrap(), "--concurrency", "4"]);
    assert_eq!(bulk.code, 1, "problems found → 1\n{}", bulk.stderr);
    let out = lines(&bulk.stdout);
    assert_eq!(out.len(), CASES.len(), "{}", bulk.stdout);
    for (i, c) in CASES.iter().enumerate() {
        let name = format!("{c}.posture.lab.example");
        let line_no = i as u64 + 3;
        let found: Vec<&serde_json::Value> = out
            .iter()
            .filter(|v| v["domain"] == name.as_str())
            .collect();
        assert_eq!(found.len(), 1, "{name}: {}", bulk.stdout);
        assert_eq!(found[0]["line"], line_no, "{name}");
        assert_eq!(found[0]["input"], name.as_str(), "trimmed input");
        let from_bulk: DomainReport = serde_json::from_value(found[0].clone()).unwrap();
        let single = domain(&[&name, "--format", "json"]);
        let single: DomainReport = serde_json::from_str(&single.stdout).unwrap();
        assert_eq!(codes(&from_bulk), codes(&single), "{name}");
        assert_eq!(from_bulk.mx, single.mx, "{name}");
    }
    // The case list covers several outcomes, not one repeated.
    let distinct: std::collections::BTreeSet<Vec<Code>> = out
        .iter()
        .map(|v| codes(&serde_json::from_value(v.clone()).unwrap()))
        .collect();
    assert!(distinct.len() >= 10, "{distinct:?}");
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn lines_that_are_not_domains_are_kept_with_the_reason_and_exit_3() {
    let mut list = Vec::new();
    list.extend_from_slice("good.posture.lab.example\n".as_bytes());
    list.extend_from_slice("not a domain\n".as_bytes());
    list.extend_from_slice(b"\xff\xfe.example\r\n");
    list.extend_from_slice("ｇｏｏｄ．ｐｏｓｔｕｒｅ．ｌａｂ．ｅｘａｍｐｌｅ\r\n".as_bytes());
    list.extend_from_slice("taro@good.posture.lab.example".as_bytes());
    let path = write_list("mixed.txt", &list);
    let r = domain(&["--from", path.to_str().unwrap()]);
    assert_eq!(r.code, 3, "a line that is not a domain → 3\n{}", r.stderr);
    let mut out = lines(&r.stdout);
    out.sort_by_key(|v| v["line"].as_u64());
    assert_eq!(out.len(), 5, "{}", r.stdout);
    assert_eq!(out[0]["domain"], "good.posture.lab.example");
    assert_eq!(out[1]["input"], "not a domain");
    assert!(out[1]["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(out[1].get("findings").is_none());
    assert_eq!(out[2]["line"], 3);
    assert!(out[2]["input"].as_str().unwrap().ends_with(".example"));
    assert!(out[2]["error"].as_str().unwrap().contains("UTF-8"));
    // Full-width text and an address are read as the domain they name.
    assert_eq!(
        out[3]["input"],
        "ｇｏｏｄ．ｐｏｓｔｕｒｅ．ｌａｂ．ｅｘａｍｐｌｅ"
    );
    assert_eq!(out[3]["domain"], "good.posture.lab.example");
    assert_eq!(out[4]["domain"], "good.posture.lab.example");
    assert_eq!(out[4]["line"], 5, "a last line without a newline is read");
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn standard_input_and_a_clean_list_exit_0() {
    let mut args: Vec<String> = vec!["domain".into(), "--from".into(), "-".into()];
    args.extend(net_args());
    args.extend(["--dkim-selector".into(), "ed".into()]);
    let r = run_with_input(
        BIN,
        &args,
        b"good.posture.lab.example\nGOOD.posture.lab.example.\n",
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Standard error is not a terminal here: no progress bar and no summary.
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let stdout = r.stdout;
    let out = lines(&stdout);
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|v| v["domain"] == "good.posture.lab.example"
        && v["findings"].as_array().is_some_and(|f| f.is_empty())));
}

#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn usage_errors_exit_3() {
    let r = domain(&["--from", "/nonexistent/domains.txt"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("/nonexistent/domains.txt"),
        "{}",
        r.stderr
    );
    let path = write_list("one.txt", b"good.posture.lab.example\n");
    let r = domain(&["--from", path.to_str().unwrap(), "--format", "human"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let r = domain(&["good.posture.lab.example", "--from", path.to_str().unwrap()]);
    assert_eq!(r.code, 3, "a domain and --from together: {}", r.stderr);
}

/// On a terminal (a pseudo-terminal from util-linux `script`) the run shows a progress bar
/// and ends with a summary on standard error, in the chosen language.
#[test]
#[ignore = "needs the lab (lab/lab.sh start); scripts/test.sh runs it"]
fn a_terminal_gets_progress_and_a_summary() {
    let path = write_list(
        "tty.txt",
        b"good.posture.lab.example\nnodmarc.posture.lab.example\n",
    );
    let mut cmd = vec![BIN.to_string(), "domain".into(), "--from".into()];
    cmd.push(path.to_str().unwrap().to_string());
    cmd.extend(net_args());
    for (lang, summary) in [
        ("en", "2 lines done: 1 domains with problems"),
        ("ja", "2 行を処理: 問題のあるドメイン 1"),
    ] {
        let line = format!("{} --lang {lang}", cmd.join(" "));
        let out = Command::new("script")
            .args(["-qec", &line, "/dev/null"])
            .env("NO_COLOR", "1")
            .env("MAILDOC_DB", maildoc_testkit::history_db())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains(summary), "{lang}: {text}");
        assert!(text.contains("\"domain\":\"nodmarc.posture.lab.example\""));
    }
}
