//! The domain against what its owner declared: the approved MX hosts and name servers
//! (`--approved-mx`, `--approved-ns`) and a parked domain (`--parked`).

use super::DomainView;
use super::dmarc::Applied;
use maildoc_model::{Code, Finding, ResolveOutcome};

pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let mut out = approved_mx(v);
    out.extend(approved_ns(v));
    out.extend(parked(v));
    out
}

/// Whether `host` is one of `approved`, or lies under one of them (`google.com` approves
/// `aspmx.l.google.com`).
fn is_approved(host: &str, approved: &[String]) -> bool {
    approved
        .iter()
        .any(|a| host == a || host.ends_with(&format!(".{a}")))
}

/// `--approved-mx`: each MX host must be one of the approved hosts, or lie under an approved
/// domain (`google.com` approves `aspmx.l.google.com`).
fn approved_mx(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut out = Vec::new();
    if report.approved_mx.is_empty() {
        return out;
    }
    for host in &report.mx_hosts {
        let name = host.exchange.as_str();
        if name != "." && !is_approved(name, &report.approved_mx) {
            out.push(
                Finding::new(Code::MxNotApproved)
                    .param("domain", &report.domain)
                    .param("mx_host", name)
                    .param("approved", report.approved_mx.join(", "))
                    .evidence(&report.mx.name),
            );
        }
    }
    out
}

/// `--approved-ns`: each name server of the zone must be approved.
fn approved_ns(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut out = Vec::new();
    let Some(ns) = report
        .ns
        .as_ref()
        .filter(|_| !report.approved_ns.is_empty())
    else {
        return out;
    };
    for host in ns
        .records
        .iter()
        .filter(|h| !is_approved(h, &report.approved_ns))
    {
        out.push(
            Finding::new(Code::NsNotApproved)
                .param("domain", &report.domain)
                .param("ns_host", host)
                .param("approved", report.approved_ns.join(", "))
                .evidence(&ns.name),
        );
    }
    out
}

/// `--parked`: a domain that sends and receives no mail should say so: SPF `v=spf1 -all`,
/// DMARC p=reject and sp=reject, and no MX but a null MX (RFC 7505).
fn parked(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut out = Vec::new();
    if !report.parked {
        return out;
    }
    let mut problems: Vec<String> = Vec::new();
    let mail_hosts: Vec<&str> = report
        .mx_hosts
        .iter()
        .map(|h| h.exchange.as_str())
        .filter(|h| *h != ".")
        .collect();
    if !mail_hosts.is_empty() {
        problems.push(format!("MX records name {}", mail_hosts.join(", ")));
    } else if report.mx.outcome != ResolveOutcome::Found {
        problems.push("there is no null MX".into());
    }
    let spf: &[String] = report.spf.as_ref().map_or(&[], |s| &s.records);
    let locked_spf = |r: &String| r.split_whitespace().collect::<Vec<_>>() == ["v=spf1", "-all"];
    if spf.len() != 1 || !spf.iter().all(locked_spf) {
        problems.push(match spf {
            [] => "there is no SPF record".to_string(),
            records => format!(
                "the SPF record is {}, not \"v=spf1 -all\"",
                records.join(" and ")
            ),
        });
    }
    match &v.dmarc {
        Applied::Valid { parsed: d, .. }
            if d.p == "reject" && d.sp.as_deref().unwrap_or("reject") == "reject" => {}
        Applied::Valid { parsed: d, .. } => problems.push(format!(
            "the DMARC policy is p={}{}, not p=reject with sp=reject",
            d.p,
            d.sp.as_ref()
                .map(|sp| format!(", sp={sp}"))
                .unwrap_or_default()
        )),
        Applied::Invalid { .. } => problems.push("the DMARC record is not valid".into()),
        Applied::Unknown => {}
        Applied::Missing | Applied::Multiple { .. } => {
            problems.push("there is no usable DMARC record".into())
        }
    }
    if !problems.is_empty() {
        out.push(
            Finding::new(Code::ParkedDomainOpen)
                .param("domain", &report.domain)
                .param("detail", problems.join("; "))
                .evidence(&report.mx.name),
        );
    }
    out
}
