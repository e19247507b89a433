//! The MX records and their hosts: missing or null MX, a host named twice, an address or an
//! alias in place of a host name, hosts without an address or only with addresses senders on
//! the internet cannot reach.

use super::DomainView;
use maildoc_model::{Code, Finding, ResolveOutcome, Severity};

pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut out = Vec::new();
    let domain = &report.domain;
    if report.mx.is_absent() {
        out.push(
            Finding::new(Code::MxMissing)
                .param("domain", domain)
                .evidence(&report.mx.name),
        );
        return out;
    }
    if report.mx_hosts.iter().any(|h| h.exchange == ".") {
        out.push(
            Finding::new(Code::MxNull)
                .param("domain", domain)
                .evidence(&report.mx.name),
        );
        return out;
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut private_hosts: Vec<(&str, Vec<&str>)> = Vec::new();
    for host in &report.mx_hosts {
        let name = host.exchange.as_str();
        if seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            continue;
        }
        seen.push(name);
        let same: Vec<String> = report
            .mx_hosts
            .iter()
            .filter(|h| h.exchange.eq_ignore_ascii_case(name))
            .map(|h| h.preference.to_string())
            .collect();
        if same.len() > 1 {
            out.push(
                Finding::new(Code::MxDuplicateHost)
                    .param("domain", domain)
                    .param("mx_host", name)
                    .param("preferences", same.join(", "))
                    .evidence(&report.mx.name),
            );
        }
        // RFC 5321 §5.1: the MX data MUST be a domain name. Many servers (Postfix, Exim
        // without allow_mx_to_ip) refuse it; whether this resolver made an address of it
        // says nothing about them.
        if name.parse::<std::net::IpAddr>().is_ok() {
            out.push(
                Finding::new(Code::MxIpLiteral)
                    .param("domain", domain)
                    .param("mx_host", name)
                    .evidence(&report.mx.name),
            );
            continue;
        }
        if let Some(target) = &host.cname {
            out.push(
                Finding::new(Code::MxCname)
                    .param("domain", domain)
                    .param("mx_host", &host.exchange)
                    .param("target", target)
                    .evidence(&host.addresses.name),
            );
        }
        let a = &host.addresses;
        let private: Vec<&str> = a
            .records
            .iter()
            .filter(|r| r.parse().is_ok_and(|ip| !internet_reachable(ip)))
            .map(String::as_str)
            .collect();
        if !private.is_empty() {
            private_hosts.push((name, private));
        }
        if a.is_absent() || (a.outcome == ResolveOutcome::Found && a.records.is_empty()) {
            let detail = match a.outcome {
                ResolveOutcome::NotFound => "NXDOMAIN",
                _ => "NODATA",
            };
            out.push(
                Finding::new(Code::MxHostUnresolvable)
                    .param("domain", domain)
                    .param("mx_host", &host.exchange)
                    .param("detail", detail)
                    .evidence(&a.name),
            );
        }
    }
    // Senders on the internet cannot reach these addresses. An error when no MX host has an
    // address they can reach: then no mail arrives at all.
    let any_reachable = report.mx_hosts.iter().any(|h| {
        h.addresses
            .records
            .iter()
            .any(|r| r.parse().is_ok_and(internet_reachable))
    });
    for (host, addresses) in private_hosts {
        let f = Finding::new(Code::MxPrivateAddress)
            .param("domain", domain)
            .param("mx_host", host)
            .param("addresses", addresses.join(", "))
            .evidence(host);
        out.push(if any_reachable {
            f
        } else {
            f.severity(Severity::Error)
        });
    }
    out
}

/// Whether senders on the internet can reach `ip`: not loopback, unspecified, RFC 1918
/// private, link-local, shared (100.64.0.0/10, RFC 6598), broadcast, multicast, "this
/// network" (0.0.0.0/8) or reserved (240.0.0.0/4); for IPv6 not loopback, unspecified,
/// unique-local (fc00::/7), link-local (fe80::/10) or multicast, and an IPv4-mapped address
/// as its IPv4 address. The documentation ranges count as reachable: they appear only in
/// examples and test zones.
pub(super) fn internet_reachable(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_unspecified()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => internet_reachable(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}
