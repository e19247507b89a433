//! DNS blocklists (RFC 5782): the built-in zones from the embedded table
//! (`data/dnsbl-zones/`, compiled facts, see its SOURCE.md), the query names, and what an
//! answer means: listed, not listed, or "this resolver is refused by the list"; and the rule
//! that reports listings and refusals.

use super::DomainView;
use maildoc_model::{Code, Finding, ResolveOutcome};
use std::net::{IpAddr, Ipv4Addr};

/// The embedded zone table (tab-separated, header first).
pub const ZONES_TSV: &str = include_str!("../../data/dnsbl-zones/dnsbl-zones.tsv");

/// Lists left out of the defaults although usable with `--dnsbl-zone`: they list whole
/// ranges or networks (UCEPROTECT levels 2 and 3) or target IRC and proxies (DroneBL), so a
/// listing there says little about a sending domain and would raise false alarms.
const NOISY: &[&str] = &[
    "dnsbl-2.uceprotect.net",
    "dnsbl-3.uceprotect.net",
    "dnsbl.dronebl.org",
];

/// The zones checked when none are given: the active IPv4 block lists of the table that
/// are queried by reversed address and need no account key. Allow-lists (their answers mean
/// "good"), lists whose 127.0.0.1 means something else, decommissioned and historic zones,
/// lists that answer only registered resolvers, the components of `zen.spamhaus.org` (asked
/// once, through zen) and the [`NOISY`] lists are left out.
pub fn default_zones() -> Vec<String> {
    ZONES_TSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 8 {
                return None;
            }
            let (zone, kind, form, listed, special, access, status) = (
                cols[0], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7],
            );
            let usable = kind.split('+').any(|k| k == "ip4")
                && form == "reversed-ip"
                && status.starts_with("active")
                && !status.contains("component of")
                && !listed.to_ascii_lowercase().contains("allow-list")
                && !listed.to_ascii_lowercase().contains("white")
                && !special.contains("allow-listed")
                && !access.contains("must be registered");
            (usable && !NOISY.contains(&zone)).then(|| zone.to_string())
        })
        .collect()
}

/// The query name of `ip` on `zone` (RFC 5782 §2.1, §2.4): the octets of an IPv4 address
/// reversed, the 32 nibbles of an IPv6 address reversed (as under ip6.arpa).
pub fn query_name(ip: IpAddr, zone: &str) -> String {
    let zone = zone.trim_end_matches('.');
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.{zone}")
        }
        IpAddr::V6(v6) => {
            let mut name = String::with_capacity(64 + zone.len());
            for byte in v6.octets().iter().rev() {
                name.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            name.push_str(zone);
            name
        }
    }
}

/// Whether `zone` is asked about IPv6 addresses: the zones of the table that list IPv6
/// (`ip6` in their kind), and every zone the table does not know (given with
/// `--dnsbl-zone`: the user chose it). Most lists are IPv4 only, and asking them about
/// IPv6 only gets NXDOMAIN, which would read as "not listed".
pub fn lists_ipv6(zone: &str) -> bool {
    let zone = zone.trim_end_matches('.');
    ZONES_TSV
        .lines()
        .skip(1)
        .map(|line| line.split('\t').collect::<Vec<&str>>())
        .find(|cols| cols.first().is_some_and(|z| z.eq_ignore_ascii_case(zone)))
        .is_none_or(|cols| {
            cols.get(2)
                .is_some_and(|kind| kind.split('+').any(|k| k == "ip6"))
        })
}

/// What a blocklist's A answer means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// An answer in 127.0.0.2–127.0.0.254 (or elsewhere in 127/8 that is not a refusal code).
    Listed,
    /// The list refuses this resolver: 127.0.0.1 (URIBL/SURBL style, and never a listing
    /// by RFC 5782), 127.0.0.255 (DNSWL), 127.255.255.0/24 (Spamhaus 252/254/255), or an
    /// answer outside 127/8 (a resolver that rewrites NXDOMAIN).
    Refused,
}

/// Classifies the addresses of an A answer; `None` when there is no address.
pub fn classify(answers: &[String]) -> Option<Verdict> {
    let addrs: Vec<Ipv4Addr> = answers.iter().filter_map(|a| a.parse().ok()).collect();
    if addrs.is_empty() {
        return None;
    }
    let refused = |a: &Ipv4Addr| {
        let [x, y, z, w] = a.octets();
        x != 127 || (y == 0 && z == 0 && (w == 1 || w == 255)) || (y == 255 && z == 255)
    };
    if addrs.iter().any(|a| !refused(a)) {
        Some(Verdict::Listed)
    } else {
        Some(Verdict::Refused)
    }
}

/// DNS blocklists: one `dnsbl-listed` per address and zone that lists it; one
/// `dnsbl-query-refused` per zone that refused this resolver. NXDOMAIN/NODATA is "not
/// listed"; timeouts and SERVFAIL go to `domain-lookup-failed`.
pub(super) fn rules(v: &DomainView<'_>) -> Vec<Finding> {
    let report = v.report;
    let mut out = Vec::new();
    let mut refused: Vec<(&str, String, Vec<&str>)> = Vec::new();
    for c in &report.dnsbl {
        if c.query.outcome != ResolveOutcome::Found {
            continue;
        }
        match classify(&c.query.records) {
            Some(Verdict::Listed) => {
                let reason = c
                    .txt
                    .as_ref()
                    .map(|t| t.records.join(" / "))
                    .unwrap_or_default();
                out.push(
                    Finding::new(Code::DnsblListed)
                        .param("mx_host", c.source.name(&report.domain))
                        .param("address", &c.address)
                        .param("zone", &c.zone)
                        .param("answer", c.query.records.join(", "))
                        .param(
                            "reason",
                            if reason.is_empty() {
                                "-".to_string()
                            } else {
                                reason
                            },
                        )
                        .evidence(&c.query.name),
                );
            }
            Some(Verdict::Refused) => match refused.iter_mut().find(|(z, _, _)| *z == c.zone) {
                Some((_, _, addrs)) => {
                    if !addrs.contains(&c.address.as_str()) {
                        addrs.push(&c.address);
                    }
                }
                None => refused.push((&c.zone, c.query.records.join(", "), vec![&c.address])),
            },
            None => {}
        }
    }
    for (zone, answer, addrs) in refused {
        out.push(
            Finding::new(Code::DnsblQueryRefused)
                .param("zone", zone)
                .param("answer", answer)
                .param("addresses", addrs.join(", ")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Option<Verdict> {
        classify(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn answers_are_classified() {
        assert_eq!(v(&[]), None);
        assert_eq!(v(&["127.0.0.2"]), Some(Verdict::Listed));
        assert_eq!(v(&["127.0.0.10", "127.0.0.4"]), Some(Verdict::Listed));
        assert_eq!(v(&["127.0.0.38"]), Some(Verdict::Listed));
        // Spamhaus: public resolver, excessive queries, typo.
        assert_eq!(v(&["127.255.255.254"]), Some(Verdict::Refused));
        assert_eq!(v(&["127.255.255.255"]), Some(Verdict::Refused));
        assert_eq!(v(&["127.255.255.252"]), Some(Verdict::Refused));
        // URIBL / SURBL and DNSWL.
        assert_eq!(v(&["127.0.0.1"]), Some(Verdict::Refused));
        assert_eq!(v(&["127.0.0.255"]), Some(Verdict::Refused));
        // A resolver rewriting NXDOMAIN to a web server.
        assert_eq!(v(&["203.0.113.7"]), Some(Verdict::Refused));
        // A listing next to a refusal code is a listing.
        assert_eq!(v(&["127.255.255.254", "127.0.0.2"]), Some(Verdict::Listed));
    }

    #[test]
    fn query_names_reverse_the_octets_and_nibbles() {
        let ip: IpAddr = "192.0.2.60".parse().unwrap();
        assert_eq!(
            query_name(ip, "bl.lab.example."),
            "60.2.0.192.bl.lab.example"
        );
        // RFC 5782 §2.4's example.
        assert_eq!(
            query_name(
                "2001:db8:1:2:3:4:567:89ab".parse().unwrap(),
                "ugly.example.com"
            ),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com"
        );
        // Its IPv6 test point, ::FFFF:7F00:2.
        assert_eq!(
            query_name("::ffff:7f00:2".parse().unwrap(), "bl.example"),
            "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.bl.example"
        );
    }

    #[test]
    fn ipv6_is_asked_only_of_lists_that_list_it() {
        assert!(lists_ipv6("zen.spamhaus.org"));
        assert!(lists_ipv6("ZEN.spamhaus.org."));
        assert!(!lists_ipv6("bl.spamcop.net"));
        assert!(!lists_ipv6("psbl.surriel.com"));
        // A zone the table does not know was chosen by the user: asked.
        assert!(lists_ipv6("bl.dnsbl.lab.example"));
        let v6: Vec<String> = default_zones()
            .into_iter()
            .filter(|z| lists_ipv6(z))
            .collect();
        assert_eq!(v6, vec!["zen.spamhaus.org"]);
    }

    #[test]
    fn default_zones_skip_decommissioned_allow_and_domain_lists() {
        let z = default_zones();
        for want in ["zen.spamhaus.org", "bl.spamcop.net", "psbl.surriel.com"] {
            assert!(z.iter().any(|x| x == want), "{want} missing from {z:?}");
        }
        for skip in [
            "dnsbl.sorbs.net",
            "cbl.abuseat.org",
            "sbl.spamhaus.org",
            "dbl.spamhaus.org",
            "list.dnswl.org",
            "wl.mailspike.net",
            "multi.uribl.com",
            "hostkarma.junkemailfilter.com",
            "combined.mail.abusix.zone",
            "b.barracudacentral.org",
            "dnsbl-2.uceprotect.net",
            "dnsbl-3.uceprotect.net",
            "dnsbl.dronebl.org",
        ] {
            assert!(!z.iter().any(|x| x == skip), "{skip} in {z:?}");
        }
    }
}
