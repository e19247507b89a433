//! MTA-STS (RFC 8461): the `_mta-sts` record, the policy fetched over HTTPS and whether it
//! lists every MX host.

use super::{DomainView, records};
use maildoc_model::{Code, Finding, Severity};

pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut out = Vec::new();
    let domain = &report.domain;
    let m = &report.mta_sts;
    let sts: Vec<&String> = m
        .txt
        .records
        .iter()
        .filter(|r| records::is_mta_sts(r))
        .collect();
    let invalid = |detail: String| {
        Finding::new(Code::MtaStsInvalid)
            .param("domain", domain)
            .param("detail", detail)
    };
    match sts.len() {
        0 => return out, // no MTA-STS: optional
        1 => {}
        n => {
            out.push(
                invalid(format!("{n} MTA-STS records at {}", m.txt.name)).evidence(&m.txt.name),
            );
            return out;
        }
    }
    if let Err(detail) = records::check_mta_sts_txt(sts[0]) {
        out.push(invalid(detail).evidence(&m.txt.name));
        return out;
    }
    let Some(fetch) = &m.policy else {
        return out;
    };
    if !fetch.fetched {
        out.push(invalid(format!("{}: {}", fetch.url, fetch.detail)).evidence(&fetch.url));
        return out;
    }
    let policy = match records::parse_sts_policy(&fetch.body) {
        Ok(p) => p,
        Err(detail) => {
            out.push(invalid(format!("{}: {detail}", fetch.url)).evidence(&fetch.url));
            return out;
        }
    };
    // RFC 8461 §3.3: the policy MUST be served as text/plain; a strict sender ignores it
    // otherwise, so the rest of it still counts but may not be applied.
    if fetch.content_type.as_deref() != Some("text/plain") {
        let served = fetch.content_type.as_deref().unwrap_or("no Content-Type");
        out.push(
            invalid(format!(
                "{}: served as {served}, not text/plain (RFC 8461 §3.3)",
                fetch.url
            ))
            .severity(Severity::Warning)
            .evidence(&fetch.url),
        );
    }
    if policy.mode == "none" {
        return out;
    }
    for host in &report.mx_hosts {
        if host.exchange == "." {
            continue;
        }
        if !policy
            .mx
            .iter()
            .any(|p| records::sts_mx_matches(p, &host.exchange))
        {
            let f = Finding::new(Code::MtaStsMismatch)
                .param("domain", domain)
                .param("mx_host", &host.exchange)
                .param("patterns", policy.mx.join(", "))
                .evidence(&fetch.url);
            out.push(if policy.mode == "testing" {
                f.severity(Severity::Warning)
            } else {
                f
            });
        }
    }
    out
}
