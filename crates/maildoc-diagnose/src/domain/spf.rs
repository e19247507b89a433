//! SPF (RFC 7208) of the domain, from the evidence `maildoc_auth` gathered: a missing record,
//! several records, syntax errors and include or redirect targets without a usable record,
//! the 10-lookup and void-lookup limits, `+all`/`?all`, `ptr`, and a sending address that
//! would not pass.

use super::DomainView;
use maildoc_model::domain::SpfEvidence;
use maildoc_model::domain::spf::{MAX_LOOKUPS, MAX_VOID_LOOKUPS, SpfResult};
use maildoc_model::{Code, Finding, Severity};

/// The SPF findings of the report, when SPF was checked.
pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    v.report.spf.as_ref().map(findings).unwrap_or_default()
}

/// The SPF findings of `spf`, in a stable order: the record's presence, syntax errors and
/// broken targets, the lookup limits, `+all`/`?all`, `ptr`, then the sending address's
/// evaluation.
pub fn findings(spf: &SpfEvidence) -> Vec<Finding> {
    let mut out = record_findings(spf);
    if spf.records.len() == 1
        && let (Some(ip), Some(check)) = (spf.ip, &spf.check)
        && check.result != SpfResult::Pass
    {
        out.push(
            Finding::new(Code::SpfIpNotAuthorized)
                .param("domain", &spf.domain)
                .param("ip", ip)
                .param("result", check.result)
                .param("term", check.deciding_term())
                .param("reason", &check.reason),
        );
    }
    out
}

/// Whether SPF can pass for the domain: one `v=spf1` record and no SPF problem of error
/// severity in its tree (an address that does not pass is not one). `None` when the TXT
/// lookup got no definite answer.
pub fn usable(spf: &SpfEvidence) -> Option<bool> {
    if spf.inconclusive() {
        return None;
    }
    Some(
        spf.records.len() == 1
            && !record_findings(spf)
                .iter()
                .any(|f| f.severity == Severity::Error),
    )
}

/// The findings about the record tree itself, whatever address sends.
fn record_findings(spf: &SpfEvidence) -> Vec<Finding> {
    let mut out = Vec::new();
    let d = spf.domain.as_str();
    match spf.records.len() {
        0 => {
            // A failed TXT query says nothing about the record: `domain-lookup-failed`
            // reports it, not a missing record.
            if !spf.inconclusive() {
                out.push(Finding::new(Code::SpfMissing).param("domain", d));
            }
            return out;
        }
        1 => {}
        n => {
            out.push(
                Finding::new(Code::SpfMultipleRecords)
                    .param("domain", d)
                    .param("count", n)
                    .param("records", spf.records.join(" | ")),
            );
            return out;
        }
    }
    for e in &spf.syntax_errors {
        out.push(
            Finding::new(Code::SpfSyntaxError)
                .param("domain", d)
                .param("record_domain", &e.domain)
                .param("record", &e.record)
                .param("offset", e.error.offset)
                .param("term", &e.error.term)
                .param("message", &e.error.message),
        );
    }
    for (target, why) in &spf.broken_targets {
        out.push(
            Finding::new(Code::SpfSyntaxError)
                .param("domain", d)
                .param("record_domain", target)
                .param("record", "")
                .param("offset", 0)
                .param("term", target)
                .param("message", why),
        );
    }
    if spf.lookups > MAX_LOOKUPS {
        out.push(
            Finding::new(Code::SpfTooManyLookups)
                .param("domain", d)
                .param("lookups", spf.lookups)
                .param(
                    "chain",
                    spf.include_chain_over_limit
                        .as_deref()
                        .unwrap_or_default()
                        .join(" > "),
                )
                .param("term", spf.term_over_limit.as_deref().unwrap_or_default()),
        );
    }
    if spf.void_lookups > MAX_VOID_LOOKUPS {
        out.push(
            Finding::new(Code::SpfVoidLookups)
                .param("domain", d)
                .param("void_lookups", spf.void_lookups)
                .param("names", spf.void_names.join(", ")),
        );
    }
    if let Some((rd, term)) = spf.permissive_all.first() {
        out.push(
            Finding::new(Code::SpfTooPermissive)
                .param("domain", d)
                .param("record_domain", rd)
                .param("term", term),
        );
    }
    if !spf.ptr_terms.is_empty() {
        let terms: Vec<String> = spf
            .ptr_terms
            .iter()
            .map(|(rd, t)| format!("{t} ({rd})"))
            .collect();
        out.push(
            Finding::new(Code::SpfPtrDeprecated)
                .param("domain", d)
                .param("terms", terms.join(", ")),
        );
    }
    out
}
