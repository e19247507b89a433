//! The DNS evidence of a domain check: MX hosts with their addresses, reverse DNS and TLSA,
//! DMARC and its report destinations, DNSSEC, and the blocklists.

use futures_util::future::join_all;
use maildoc_diagnose::domain::{self as rules, AppliedDmarc, psl};
use maildoc_model::ResolveOutcome;
use maildoc_model::domain::*;
use maildoc_probe::clock::RunClock;
use maildoc_probe::dns::{Dns, MxRecord, RecordLookup, Resolution};
use std::net::IpAddr;

/// How many blocklist queries are in flight at once.
const DNSBL_CONCURRENCY: usize = 16;

/// Each address (of the MX hosts and the sending address) against each zone (IPv6
/// addresses only against the zones that list IPv6): the A query, then the TXT query for the
/// reason when the A query answered. At most [`DNSBL_CONCURRENCY`] at once, each under the
/// run's clock.
pub(super) async fn dnsbl(
    dns: &Dns,
    zones: &[String],
    addresses: Vec<(AddressOf, IpAddr)>,
    clock: &RunClock,
) -> Vec<DnsblCheck> {
    use futures_util::stream::{self, StreamExt};
    let mut seen: Vec<IpAddr> = Vec::new();
    let mut jobs: Vec<(AddressOf, IpAddr, String, String)> = Vec::new();
    for (source, ip) in addresses {
        if seen.contains(&ip) {
            continue;
        }
        seen.push(ip);
        for zone in zones {
            if ip.is_ipv4() || rules::dnsbl::lists_ipv6(zone) {
                let name = rules::dnsbl::query_name(ip, zone);
                jobs.push((source.clone(), ip, zone.clone(), name));
            }
        }
    }
    stream::iter(jobs)
        .map(|(source, ip, zone, name)| async move {
            let query = lookup(&name, "A", dns.a(&name, clock).await, |a| a.to_string());
            let txt = if query.outcome == ResolveOutcome::Found {
                Some(txt(dns, &name, clock).await)
            } else {
                None
            };
            DnsblCheck {
                address: ip.to_string(),
                source,
                zone,
                query,
                txt,
            }
        })
        .buffered(DNSBL_CONCURRENCY)
        .collect()
        .await
}

/// A probe lookup as evidence, each record shown by `show`.
pub(super) fn lookup<T>(
    name: &str,
    rtype: &str,
    l: RecordLookup<T>,
    show: impl Fn(&T) -> String,
) -> DnsLookup {
    DnsLookup {
        name: name.to_string(),
        rtype: rtype.to_string(),
        outcome: l.outcome,
        records: l.records.iter().map(show).collect(),
        detail: l.detail,
        authentic_data: l.authentic_data,
    }
}

/// The DNSSEC evidence of `zone` from the probe's check.
pub(super) fn dnssec_evidence(
    zone: String,
    chain: maildoc_probe::dns::DnssecChain,
) -> DnssecEvidence {
    DnssecEvidence {
        ds: lookup(&zone, "DS", chain.ds, Clone::clone),
        zone,
        status: chain.status,
        detail: chain.detail,
    }
}

/// The DNSSEC check of each zone the MX hosts live in, each zone once, in the MX order.
pub(super) async fn mx_dnssec(
    dns: &Dns,
    records: &[MxRecord],
    clock: &RunClock,
) -> Vec<DnssecEvidence> {
    let mut hosts: Vec<&str> = Vec::new();
    for r in records {
        if r.exchange != "." && !hosts.contains(&r.exchange.as_str()) {
            hosts.push(&r.exchange);
        }
    }
    let mut zones: Vec<String> = Vec::new();
    for zone in join_all(hosts.iter().map(|h| dns.zone_of(h, clock)))
        .await
        .into_iter()
        .flatten()
    {
        if !zones.contains(&zone) {
            zones.push(zone);
        }
    }
    join_all(zones.into_iter().map(|zone| async move {
        let chain = dns.dnssec(&zone, clock).await;
        dnssec_evidence(zone, chain)
    }))
    .await
}

/// The TXT lookup of `name` as evidence.
pub(super) async fn txt(dns: &Dns, name: &str, clock: &RunClock) -> DnsLookup {
    lookup(name, "TXT", dns.txt(name, clock).await, String::clone)
}

/// PTR of `ip`, and which PTR names resolve back to it.
pub(super) async fn reverse(dns: &Dns, ip: IpAddr, clock: &RunClock) -> ReverseDns {
    let name = maildoc_probe::dns::reverse_name(ip);
    let ptr = lookup(&name, "PTR", dns.ptr(ip, clock).await, String::clone);
    let forwards = join_all(ptr.records.iter().map(|n| dns.resolve(n, clock))).await;
    let confirmed = ptr
        .records
        .iter()
        .zip(forwards)
        .filter(|(_, f)| f.addresses.contains(&ip))
        .map(|(n, _)| n.clone())
        .collect();
    ReverseDns {
        address: ip.to_string(),
        ptr,
        confirmed,
    }
}

/// The A and AAAA lookup of `name` as evidence.
fn addresses_lookup(name: &str, found: Resolution) -> DnsLookup {
    DnsLookup {
        name: name.to_string(),
        rtype: "A/AAAA".into(),
        outcome: found.outcome,
        records: found.addresses.iter().map(IpAddr::to_string).collect(),
        detail: found.detail,
        authentic_data: false,
    }
}

/// One MX host: its addresses, CNAME, the reverse DNS of each address and its `_25._tcp`
/// TLSA records (kept only when found). The null MX (`.`) is looked up no further.
pub(super) async fn mx_host(
    dns: &Dns,
    preference: u16,
    exchange: String,
    clock: &RunClock,
) -> MxHost {
    if exchange == "." {
        return MxHost {
            preference,
            exchange,
            cname: None,
            addresses: DnsLookup {
                name: ".".into(),
                rtype: "A/AAAA".into(),
                outcome: ResolveOutcome::NotFound,
                records: Vec::new(),
                detail: String::new(),
                authentic_data: false,
            },
            reverse: Vec::new(),
            tlsa: None,
        };
    }
    let tlsa_name = format!("_25._tcp.{exchange}");
    let (found, cname, tlsa) = tokio::join!(
        dns.resolve(&exchange, clock),
        dns.cname(&exchange, clock),
        dns.tlsa(&tlsa_name, clock)
    );
    let reverse = join_all(found.addresses.iter().map(|ip| reverse(dns, *ip, clock))).await;
    let tlsa = lookup(&tlsa_name, "TLSA", tlsa, |t| {
        format!("{} {} {} {}", t.usage, t.selector, t.matching, t.data_hex)
    });
    MxHost {
        preference,
        cname: cname.records.first().cloned(),
        addresses: addresses_lookup(&exchange, found),
        exchange,
        reverse,
        tlsa: (tlsa.outcome == ResolveOutcome::Found).then_some(tlsa),
    }
}

/// The DMARC record of `domain`, else of its organisational domain; then the report
/// authorisations of the destinations in another organisational domain, and whether each
/// destination can take mail.
pub(super) async fn dmarc(dns: &Dns, domain: &str, clock: &RunClock) -> DmarcEvidence {
    let org_domain = psl::org_domain(domain).unwrap_or_else(|| domain.to_string());
    let mut ev = DmarcEvidence {
        lookup: txt(dns, &format!("_dmarc.{domain}"), clock).await,
        org_domain: org_domain.clone(),
        org_lookup: None,
        report_authorizations: Vec::new(),
        report_mx: Vec::new(),
        report_addresses: Vec::new(),
    };
    let own = ev
        .lookup
        .records
        .iter()
        .any(|r| rules::records::is_dmarc(r));
    if !own && !ev.lookup.is_inconclusive() && org_domain != domain {
        ev.org_lookup = Some(txt(dns, &format!("_dmarc.{org_domain}"), clock).await);
    }
    let (names, destinations): (Vec<String>, Vec<String>) = match rules::applied_dmarc(&ev) {
        AppliedDmarc::Record {
            record_domain,
            record,
            ..
        } => (
            rules::external_report_destinations(record_domain, record)
                .iter()
                .map(|dest| rules::report_authorization_name(record_domain, dest))
                .collect(),
            rules::report_destination_domains(record),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let (authorizations, mail) = tokio::join!(
        join_all(names.iter().map(|n| txt(dns, n, clock))),
        join_all(destinations.iter().map(|d| report_mail(dns, d, clock)))
    );
    ev.report_authorizations = authorizations;
    for (mx, addresses) in mail {
        ev.report_mx.push(mx);
        ev.report_addresses.extend(addresses);
    }
    ev
}

/// Whether a report destination can take mail: its MX, and its address when it has none.
async fn report_mail(dns: &Dns, dest: &str, clock: &RunClock) -> (DnsLookup, Option<DnsLookup>) {
    let mx = lookup(dest, "MX", dns.mx(dest, clock).await, |r| {
        format!("{} {}", r.preference, r.exchange)
    });
    let addresses = if mx.outcome == ResolveOutcome::NoAddress {
        Some(addresses_lookup(dest, dns.resolve(dest, clock).await))
    } else {
        None
    };
    (mx, addresses)
}
