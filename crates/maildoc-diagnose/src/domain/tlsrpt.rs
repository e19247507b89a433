//! TLS-RPT (RFC 8460): the `_smtp._tls` record.

use super::{DomainView, records};
use maildoc_model::{Code, Finding};

/// TLS-RPT (RFC 8460 §3): senders keep the records beginning with `v=TLSRPTv1` and use one
/// only when exactly one is left and it is valid. A record meant as TLS-RPT that begins
/// otherwise (another version, spaces) is reported as invalid rather than missing.
pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut out = Vec::new();
    let t = &report.tlsrpt;
    if t.is_inconclusive() {
        return out;
    }
    let invalid = |record: &str, detail: String| {
        Finding::new(Code::TlsrptInvalid)
            .param("domain", &report.domain)
            .param("record", record)
            .param("detail", detail)
            .evidence(&t.name)
    };
    let v1: Vec<&str> = t
        .records
        .iter()
        .map(String::as_str)
        .filter(|r| records::is_tlsrpt(r))
        .collect();
    match v1.as_slice() {
        [] => match t.records.iter().find(|r| records::looks_like_tlsrpt(r)) {
            Some(r) => {
                if let Err(detail) = records::parse_tlsrpt(r) {
                    out.push(invalid(r, detail));
                }
            }
            None => out.push(
                Finding::new(Code::TlsrptMissing)
                    .param("domain", &report.domain)
                    .evidence(&t.name),
            ),
        },
        [one] => {
            if let Err(detail) = records::parse_tlsrpt(one) {
                out.push(invalid(one, detail));
            }
        }
        many => out.push(invalid(
            &many.join(" | "),
            format!(
                "{} records at {} begin with v=TLSRPTv1; senders use none of them",
                many.len(),
                t.name
            ),
        )),
    }
    out
}
