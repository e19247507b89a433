//! Saved evidence of `maildoc domain`, diagnosed again.
//!
//! `tests/fixtures/domain/*.json` are reports as `maildoc domain --format json` printed them
//! against the lab: each reads back into the typed `DomainReport` and writes out byte for
//! byte as it was, and `diagnose` on it gives the findings it was saved with, SPF included.
//! `tests/fixtures/spf/*.json` are SPF evidence of `maildoc_auth::spf::analyze` over
//! in-memory zones (every SPF finding code, with and without an address), saved with their
//! findings: they read back byte for byte, and `domain::spf::findings` gives those findings.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use maildoc_diagnose::domain::{self, spf};
use maildoc_model::code::Area;
use maildoc_model::domain::{DomainReport, SpfEvidence};
use maildoc_model::{Code, Finding};
use std::path::{Path, PathBuf};

fn fixtures(folder: &str) -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(folder);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 5, "{}", dir.display());
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The first line where `again` differs from `saved`, to say what changed.
fn first_difference(saved: &str, again: &str) -> String {
    let mut again_lines = again.lines();
    for (n, line) in saved.lines().enumerate() {
        let other = again_lines.next().unwrap_or_default();
        if line != other {
            return format!("line {}: {line:?} became {other:?}", n + 1);
        }
    }
    format!(
        "{} lines became {}",
        saved.lines().count(),
        again.lines().count()
    )
}

fn codes(findings: &[Finding]) -> Vec<Code> {
    findings.iter().map(|f| f.code).collect()
}

#[test]
fn saved_domain_reports_read_back_byte_for_byte() {
    for (path, text) in fixtures("domain") {
        let report: DomainReport =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(report.spf.is_some(), "{}", path.display());
        let again = serde_json::to_string_pretty(&report).unwrap() + "\n";
        assert!(
            again == text,
            "{}: {}",
            path.display(),
            first_difference(&text, &again)
        );
    }
}

#[test]
fn saved_domain_reports_diagnose_to_their_findings() {
    for (path, text) in fixtures("domain") {
        let report: DomainReport = serde_json::from_str(&text).unwrap();
        assert_eq!(
            domain::diagnose(&report),
            report.findings,
            "{}",
            path.display()
        );
        let spf = report.spf.as_ref().unwrap();
        assert_eq!(spf::findings(spf), spf.findings, "{}", path.display());
        assert_eq!(spf::usable(spf), report.spf_ok, "{}", path.display());
    }
}

#[test]
fn saved_spf_evidence_reads_back_and_gives_its_findings() {
    let mut seen: Vec<Code> = Vec::new();
    for (path, text) in fixtures("spf") {
        let evidence: SpfEvidence =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let again = serde_json::to_string_pretty(&evidence).unwrap();
        assert!(
            again == text,
            "{}: {}",
            path.display(),
            first_difference(&text, &again)
        );
        let findings = spf::findings(&evidence);
        assert_eq!(findings, evidence.findings, "{}", path.display());
        seen.extend(codes(&findings));
    }
    let missed: Vec<Code> = Code::ALL
        .iter()
        .copied()
        .filter(|c| c.area() == Area::Spf && !seen.contains(c))
        .collect();
    assert!(missed.is_empty(), "no fixture shows {missed:?}");
}
