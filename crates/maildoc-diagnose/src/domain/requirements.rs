//! The Gmail/Yahoo (2024) and Japanese carriers' sender requirements, as far as DNS shows
//! them: SPF or DKIM that can pass, a DMARC record, reverse DNS of the sending address, and
//! (with `--mail-from`) an envelope domain aligned with the domain.

use super::reverse::Source;
use super::{DomainView, dkim, psl, spf};
use maildoc_model::{Code, Finding, Severity};

/// A requirement the domain does not meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gap {
    /// Shown by a finding of this code.
    Shown(Code),
    /// The `--mail-from` domain is not aligned with the domain (no finding of its own).
    MailFromNotAligned,
}

impl Gap {
    /// How `missing` names it: the finding's code, or `mail-from-not-aligned`.
    fn name(self) -> &'static str {
        match self {
            Gap::Shown(code) => code.as_str(),
            Gap::MailFromNotAligned => "mail-from-not-aligned",
        }
    }
}

/// `sender-requirements-unmet`, whose `missing` lists what stands in the way: reverse DNS of
/// the sending address, DMARC, an RSA key too short to count, SPF and DKIM when neither can
/// pass, the envelope domain's alignment.
pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut missing: Vec<Gap> = Vec::new();
    let mut add = |gap: Gap| {
        if !missing.contains(&gap) {
            missing.push(gap);
        }
    };
    let sending_ip = v.reverse.iter().find(|u| u.source == Source::SendingIp);
    if let Some(u) = sending_ip {
        add(Gap::Shown(u.code));
    }
    if let Some(code) = v.dmarc.unusable() {
        add(Gap::Shown(code));
    }
    if v.dkim.iter().any(|s| dkim::too_short(&s.key)) {
        add(Gap::Shown(Code::DkimKeyWeak));
    }
    // SPF or DKIM: unmet only when SPF is known not to pass (no usable record, or the sending
    // address not authorized) and no usable DKIM key was seen.
    let spf_errors: Vec<Code> = report
        .spf
        .as_ref()
        .map(spf::findings)
        .unwrap_or_default()
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.code)
        .collect();
    let spf_fails = report.spf.as_ref().and_then(spf::usable) == Some(false)
        || spf_errors.contains(&Code::SpfIpNotAuthorized);
    let dkim_ok = v.dkim.iter().any(|s| dkim::usable(&s.key));
    if !dkim_ok && spf_fails {
        if spf_errors.is_empty() {
            add(Gap::Shown(Code::SpfMissing));
        }
        for code in spf_errors {
            add(Gap::Shown(code));
        }
        add(Gap::Shown(Code::DkimKeyMissing));
    }
    if let Some(from) = &report.mail_from {
        let from_domain = from.rsplit_once('@').map_or(from.as_str(), |(_, d)| d);
        if psl::org_domain(from_domain) != psl::org_domain(&report.domain) {
            add(Gap::MailFromNotAligned);
        }
    }
    if missing.is_empty() {
        return Vec::new();
    }
    let names: Vec<&str> = missing.iter().map(|g| g.name()).collect();
    vec![
        Finding::new(Code::SenderRequirementsUnmet)
            .param("domain", &report.domain)
            .param("missing", names.join(", ")),
    ]
}
