//! Reverse DNS of the MX hosts' addresses and of the sending address: a PTR name that exists and leads
//! back to the address (forward-confirmed).

use super::DomainView;
use maildoc_model::domain::{DomainReport, ReverseDns};
use maildoc_model::{Code, Finding, ResolveOutcome};

/// Whose address a reverse DNS check is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Source<'a> {
    /// An MX host's.
    Mx(&'a str),
    /// The sending address the check was given.
    SendingIp,
}

/// An address whose reverse DNS is missing or not forward-confirmed.
pub(super) struct Unconfirmed<'a> {
    pub(super) source: Source<'a>,
    reverse: &'a ReverseDns,
    /// [`Code::PtrMissing`] or [`Code::PtrMismatch`].
    pub(super) code: Code,
}

/// The addresses whose reverse DNS is wrong, each address judged once (the first time it
/// appears: MX hosts in order, then the sending address).
pub(super) fn unconfirmed(report: &DomainReport) -> Vec<Unconfirmed<'_>> {
    let mx = report
        .mx_hosts
        .iter()
        .flat_map(|h| h.reverse.iter().map(|r| (Source::Mx(&h.exchange), r)));
    let ip = report.sending_ip.iter().map(|r| (Source::SendingIp, r));
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for (source, r) in mx.chain(ip) {
        if seen.contains(&r.address.as_str()) {
            continue;
        }
        seen.push(&r.address);
        let code = if r.ptr.is_absent() {
            Code::PtrMissing
        } else if r.ptr.outcome == ResolveOutcome::Found && r.confirmed.is_empty() {
            Code::PtrMismatch
        } else {
            continue;
        };
        out.push(Unconfirmed {
            source,
            reverse: r,
            code,
        });
    }
    out
}

/// One finding per address, even when several MX hosts share it.
pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    v.reverse
        .iter()
        .map(|u| {
            let r = u.reverse;
            let host = match u.source {
                Source::Mx(host) => host,
                Source::SendingIp => v.report.domain.as_str(),
            };
            let f = Finding::new(u.code)
                .param("mx_host", host)
                .param("address", &r.address);
            let f = if u.code == Code::PtrMismatch {
                f.param("ptr_names", r.ptr.records.join(", "))
            } else {
                f
            };
            f.evidence(&r.ptr.name)
        })
        .collect()
}
