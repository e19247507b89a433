//! The rules of `maildoc domain`: pure functions from a [`DomainReport`]'s evidence
//! to findings about the sending domain's posture and the sender-requirements verdict, one
//! module per area. Each area has `rules(&DomainView) -> Vec<Finding>`; [`diagnose`] calls
//! them in a fixed order. SPF is judged here too, from the record tree and evaluation that
//! `maildoc_auth` gathered (`DomainReport::spf`).

mod bimi;
mod dkim;
mod dmarc;
pub mod dnsbl;
mod dnssec;
mod lookups;
mod mta_sts;
mod mx;
mod mx_smtp;
mod policy;
pub mod psl;
pub mod records;
mod requirements;
mod reverse;
pub mod spf;
mod tlsa;
mod tlsrpt;

pub use dmarc::{
    AppliedDmarc, applied_dmarc, external_report_destinations, report_authorization_name,
    report_destination_domains,
};

use maildoc_model::Finding;
use maildoc_model::domain::DomainReport;

/// DKIM selectors tried besides the ones given. Selectors cannot be listed from DNS: a key
/// at another selector is simply not seen.
pub const COMMON_DKIM_SELECTORS: &[&str] = &[
    "default",
    "google",
    "selector1",
    "selector2",
    "k1",
    "s1",
    "s2",
    "dkim",
    "mail",
];

/// A domain report with what several areas read worked out once: the DMARC record that
/// applies, the DKIM keys, the addresses whose reverse DNS is wrong.
struct DomainView<'a> {
    report: &'a DomainReport,
    dmarc: dmarc::Applied<'a>,
    dkim: Vec<dkim::Selector<'a>>,
    reverse: Vec<reverse::Unconfirmed<'a>>,
}

impl<'a> DomainView<'a> {
    fn new(report: &'a DomainReport) -> Self {
        DomainView {
            report,
            dmarc: dmarc::Applied::of(&report.dmarc),
            dkim: dkim::selectors(report),
            reverse: reverse::unconfirmed(report),
        }
    }
}

/// All findings for the report, in a stable order: SPF, MX and reverse DNS, DMARC, DKIM,
/// MTA-STS, TLS-RPT, TLSA, DNSSEC, BIMI, approved MX hosts and name servers and a parked
/// domain, the sender-requirements verdict, DNS blocklists, the MX hosts over SMTP, then
/// the lookups that failed. `report.findings` is not read: a saved report diagnosed again
/// gives the findings it was saved with.
pub fn diagnose(report: &DomainReport) -> Vec<Finding> {
    let view = DomainView::new(report);
    let mut out = Vec::new();
    out.extend(spf::rules(&view));
    out.extend(mx::rules(&view));
    out.extend(reverse::rules(&view));
    out.extend(dmarc::rules(&view));
    out.extend(dkim::rules(&view));
    out.extend(mta_sts::rules(&view));
    out.extend(tlsrpt::rules(&view));
    out.extend(tlsa::rules(&view));
    out.extend(dnssec::rules(&view));
    out.extend(bimi::rules(&view));
    out.extend(policy::rules(&view));
    out.extend(requirements::rules(&view));
    out.extend(dnsbl::rules(&view));
    out.extend(mx_smtp::rules(&view));
    out.extend(lookups::rules(&view));
    lookups::explains(report, out)
}

#[cfg(test)]
mod tests;
