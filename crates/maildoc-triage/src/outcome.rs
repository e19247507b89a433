//! A triage with everything gathered along the way: what `explain` made of the error text,
//! the account check, the sender's domain check and what the user already tried. The support
//! summary is rendered from it.

use crate::{Area, Check, CheckOutcome, CheckStatus, Triage};
use maildoc_model::domain::DomainReport;
use maildoc_model::{Code, Protocol, Report};

/// Why the account check's line in the summary is not simply "done".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckNote {
    /// The user asked for no check.
    Skipped,
    /// It could not run: an address it cannot use, a password source or setting that failed,
    /// or maildoc's own setup.
    Failed,
    /// It ran without a password, so the login was not tried.
    NoLogin,
}

/// Why the sender's domain check did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderCheckNote {
    /// The user asked for no domain check.
    Skipped,
    /// It could not run: a domain it cannot use, a setting that failed, maildoc's own setup.
    Failed,
}

/// A triage and what was gathered for it.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub triage: Triage,
    /// What the user already tried, in their words.
    pub tried: Vec<String>,
    /// The account check's report, when it ran.
    pub report: Option<Report>,
    pub check_note: Option<CheckNote>,
    /// What `explain` made of the error text: candidate codes with likelihood (percent).
    pub explained: Option<Vec<(Code, u8)>>,
    /// The sender's domain check, when it ran.
    pub domain_report: Option<DomainReport>,
    pub domain_note: Option<SenderCheckNote>,
}

impl Outcome {
    /// A triage with nothing gathered yet.
    pub fn new(triage: Triage) -> Outcome {
        Outcome {
            triage,
            tried: Vec::new(),
            report: None,
            check_note: None,
            explained: None,
            domain_report: None,
            domain_note: None,
        }
    }

    /// The address to check, when the account check is ready and has neither run nor been
    /// given up.
    pub fn account_check_due(&self) -> Option<String> {
        if self.report.is_some() || self.check_note.is_some() {
            return None;
        }
        self.triage
            .checks_to_run()
            .into_iter()
            .find_map(|c| match c {
                Check::Account {
                    address,
                    status: CheckStatus::Ready,
                } => Some(address),
                _ => None,
            })
    }

    /// Folds the account check's report into the causes and keeps it for the summary. A
    /// check without a login is noted as such.
    pub fn record_account_check(&mut self, report: Report) {
        self.triage.record_check(CheckOutcome::from_report(&report));
        if !report.target.login {
            self.check_note = Some(CheckNote::NoLogin);
        }
        self.report = Some(report);
    }
}

impl CheckOutcome {
    /// What an account check's report says to triage: every finding code, and the areas it
    /// looked at (incoming when it probed IMAP or POP3, outgoing when it probed SMTP, login
    /// when it tried one).
    pub fn from_report(report: &Report) -> CheckOutcome {
        let probed = |wanted: &[Protocol]| {
            report
                .servers
                .iter()
                .any(|s| wanted.contains(&s.endpoint.protocol))
        };
        let areas = [
            (Area::Incoming, probed(&[Protocol::Imap, Protocol::Pop3])),
            (Area::Outgoing, probed(&[Protocol::Smtp])),
            (Area::Login, report.target.login),
        ]
        .into_iter()
        .filter_map(|(area, looked)| looked.then_some(area))
        .collect();
        CheckOutcome {
            codes: report.findings.iter().map(|f| f.code).collect(),
            areas,
        }
    }
}
