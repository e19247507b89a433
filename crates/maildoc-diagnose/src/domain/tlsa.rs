//! TLSA records of the MX hosts (DANE for SMTP, RFC 7672): their shape, and with `--smtp`
//! whether they match the certificates each host presents on port 25.

use super::{DomainView, records};
use maildoc_model::domain::DomainReport;
use maildoc_model::{CertInfo, Code, Finding, Severity};

/// The TLSA records of each MX host: a record of the wrong shape for SMTP, or (with `--smtp`,
/// when the host presented its certificates on port 25) no record matching them. One
/// finding per host; the mismatch wins. An error when the resolver validated the records
/// (AD bit): DANE senders then defer all mail to the host.
pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for host in &report.mx_hosts {
        let Some(t) = host.tlsa.as_ref().filter(|t| !t.records.is_empty()) else {
            continue;
        };
        // A host named by two MX records is judged once.
        if seen.contains(&t.name.as_str()) {
            continue;
        }
        seen.push(&t.name);
        let malformed = t.records.iter().find_map(|r| records::check_tlsa(r).err());
        let mismatch = presented_chain(report, &host.exchange).and_then(|chain| {
            let verdicts: Vec<Option<bool>> = t
                .records
                .iter()
                .map(|r| records::tlsa_matches(r, chain))
                .collect();
            if verdicts.iter().any(|v| *v != Some(false)) {
                return None;
            }
            let mut detail = format!(
                "none of the {} TLSA records matches the certificates {} presented on port 25",
                t.records.len(),
                host.exchange
            );
            if let Some(leaf) = chain.first().filter(|l| !l.spki_sha256.is_empty()) {
                detail.push_str(&format!(
                    "; a DANE-EE record for its current key would be \"3 1 1 {}\"",
                    leaf.spki_sha256
                ));
            }
            Some(detail)
        });
        let is_mismatch = mismatch.is_some();
        if let Some(detail) = mismatch.or(malformed) {
            let f = Finding::new(Code::TlsaMismatch)
                .param("mx_host", &host.exchange)
                .param("detail", detail)
                .evidence(&t.name);
            out.push(if is_mismatch && t.authentic_data {
                f.severity(Severity::Error)
            } else {
                f
            });
        }
    }
    out
}

/// The certificate chain `host` presented on port 25 (`--smtp`), when the handshake was
/// established.
fn presented_chain<'a>(report: &'a DomainReport, host: &str) -> Option<&'a [CertInfo]> {
    report
        .smtp
        .iter()
        .filter(|ev| ev.endpoint.host.eq_ignore_ascii_case(host))
        .flat_map(|ev| &ev.steps)
        .find_map(|step| match &step.kind {
            maildoc_model::StepKind::Tls(t)
                if t.handshake == maildoc_model::TlsHandshake::Established
                    && !t.chain.is_empty() =>
            {
                Some(t.chain.as_slice())
            }
            _ => None,
        })
}
