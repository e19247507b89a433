//! DNSSEC of the domain's zone and of the zones its MX hosts live in.

use super::DomainView;
use maildoc_model::domain::{DnssecEvidence, DnssecStatus};
use maildoc_model::{Code, Finding};

/// DNSSEC, as checked one level down from each zone's parent: keys without a DS in the
/// domain's own zone (its owner can fix that), and a broken chain in the domain's zone or in
/// a zone its MX hosts live in (validating resolvers then cannot look those names up).
pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut out = Vec::new();
    let bogus = |d: &DnssecEvidence, whose: String| {
        Finding::new(Code::DnssecBogus)
            .param("dns_zone", &d.zone)
            .param("whose", whose)
            .param("detail", &d.detail)
            .evidence(&d.ds.name)
    };
    let own = report.dnssec.as_ref();
    if let Some(d) = own {
        match d.status {
            DnssecStatus::KeysWithoutDs => out.push(
                Finding::new(Code::DnssecDsMissing)
                    .param("dns_zone", &d.zone)
                    .evidence(&d.ds.name),
            ),
            DnssecStatus::Bogus => out.push(bogus(d, report.domain.clone())),
            _ => {}
        }
    }
    for d in &report.mx_dnssec {
        if d.status != DnssecStatus::Bogus || own.is_some_and(|o| o.zone == d.zone) {
            continue;
        }
        let hosts: Vec<&str> = report
            .mx_hosts
            .iter()
            .map(|h| h.exchange.as_str())
            .filter(|h| *h == d.zone || h.ends_with(&format!(".{}", d.zone)))
            .collect();
        out.push(bogus(d, hosts.join(", ")));
    }
    out
}
