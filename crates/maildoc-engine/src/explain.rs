//! `maildoc explain`: an error text explained ([`explain`], pure, from `maildoc_explain`), and
//! for `--check` the account check run beside it, each candidate cause marked confirmed (the
//! check found its code) or not seen ([`cross_check`]).

use crate::{CheckOptions, Env, Error, Event};
use maildoc_model::{Code, Report, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

pub use maildoc_explain::{Explanation, explain};

/// What the check said about the candidates of an explanation.
#[derive(Clone, Debug, Serialize)]
pub struct CheckOutcome {
    pub address: String,
    /// Candidate codes the check found, in rank order.
    pub confirmed: Vec<Code>,
    /// Candidate codes the check did not find, in rank order.
    pub not_seen: Vec<Code>,
    /// Problems the check found that are not among the candidates.
    pub other: Vec<Code>,
    /// The whole check report.
    pub report: Report,
}

impl CheckOutcome {
    /// Compares the candidates of `e` with the findings of `report`.
    pub fn new(address: &str, e: &Explanation, report: Report) -> CheckOutcome {
        let candidates = e.codes();
        let found: Vec<Code> = report.findings.iter().map(|f| f.code).collect();
        let (confirmed, not_seen): (Vec<Code>, Vec<Code>) =
            candidates.iter().copied().partition(|c| found.contains(c));
        let mut other: Vec<Code> = Vec::new();
        for f in report.sorted_findings() {
            if f.severity != Severity::Info
                && !candidates.contains(&f.code)
                && !other.contains(&f.code)
            {
                other.push(f.code);
            }
        }
        CheckOutcome {
            address: address.to_string(),
            confirmed,
            not_seen,
            other,
            report,
        }
    }

    /// The params of the check's finding of `code`, when it found one.
    pub fn finding_params(&self, code: Code) -> Option<&BTreeMap<String, String>> {
        self.report
            .findings
            .iter()
            .find(|f| f.code == code)
            .map(|f| &f.params)
    }
}

/// Runs the account check of `opts` (as [`crate::check`] does, reporting the same progress)
/// and compares its findings with the candidates of `explanation`. The outcome's address is
/// the settings' address as given.
pub async fn cross_check(
    env: &Env,
    explanation: &Explanation,
    opts: CheckOptions,
    progress: impl FnMut(Event),
) -> Result<CheckOutcome, Error> {
    let address = opts.settings.address.clone();
    let report = crate::check(env, opts, progress).await?;
    Ok(CheckOutcome::new(&address, explanation, report))
}
