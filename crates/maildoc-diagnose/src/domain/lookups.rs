//! Lookups of the domain check that got no definite answer (SERVFAIL, timeouts).

use super::DomainView;
use maildoc_model::domain::{DnsLookup, DomainReport};
use maildoc_model::{Code, Finding};

/// Lookups that got no definite answer: the other areas say nothing about what they were
/// to show, so the report must not look clean.
pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    failed(v.report).into_iter().collect()
}

fn failed(report: &DomainReport) -> Option<Finding> {
    let mut all: Vec<&DnsLookup> = vec![&report.mx, &report.dmarc.lookup];
    all.extend(&report.dmarc.org_lookup);
    all.extend(&report.dmarc.report_authorizations);
    for h in &report.mx_hosts {
        if h.exchange != "." {
            all.push(&h.addresses);
        }
        all.extend(h.reverse.iter().map(|r| &r.ptr));
    }
    all.extend(report.sending_ip.iter().map(|r| &r.ptr));
    all.extend(report.dkim.iter().map(|k| &k.lookup));
    all.push(&report.mta_sts.txt);
    all.push(&report.tlsrpt);
    all.extend(report.dnsbl.iter().map(|c| &c.query));
    let failed: Vec<&&DnsLookup> = all.iter().filter(|l| l.is_inconclusive()).collect();
    let first = failed.first()?;
    let mut names: Vec<&str> = failed.iter().take(5).map(|l| l.name.as_str()).collect();
    if failed.len() > 5 {
        names.push("...");
    }
    Some(
        Finding::new(Code::DomainLookupFailed)
            .param("domain", &report.domain)
            .param("names", names.join(", "))
            .param("detail", &first.detail),
    )
}

/// When the domain's own name gave no definite answer (its MX lookup failed: a CNAME loop, a
/// SERVFAIL), the records below it say nothing a reader can act on yet: the lookup failure
/// is the one finding, not every record "missing" beside it.
pub(super) fn explains(report: &DomainReport, findings: Vec<Finding>) -> Vec<Finding> {
    if !report.mx.is_inconclusive() {
        return findings;
    }
    findings
        .into_iter()
        .filter(|f| {
            !(f.code.as_str().ends_with("-missing") || f.code == Code::SenderRequirementsUnmet)
        })
        .collect()
}
