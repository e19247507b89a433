//! A and AAAA lookups, and the SRV and MX lookups of settings discovery, keeping NXDOMAIN,
//! NODATA, resolver errors and timeouts apart.

use crate::clock::RunClock;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::rr::{RData, RecordType};
use maildoc_model::ResolveOutcome;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The longest one lookup may take, whatever the run's deadline.
const LOOKUP_CAP: Duration = Duration::from_secs(5);

/// What a lookup found.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    pub outcome: ResolveOutcome,
    pub addresses: Vec<IpAddr>,
    pub detail: String,
}

/// One SRV record (RFC 2782). A target of `.` means the service is not offered (RFC 6186).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    /// The target host without its final dot; `.` when the service is decidedly not offered.
    pub target: String,
}

/// One MX record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MxRecord {
    pub preference: u16,
    /// The exchange host without its final dot, lower case.
    pub exchange: String,
}

/// What a lookup of other records than addresses found. `NoAddress` stands for NODATA here:
/// the name exists but has no record of the type asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordLookup<T> {
    pub outcome: ResolveOutcome,
    pub records: Vec<T>,
    pub detail: String,
}

/// A resolver for the whole run: the system's, or one DNS server given with `--dns-server`.
#[derive(Clone, Debug)]
pub struct Dns {
    resolver: Option<TokioResolver>,
    setup_error: Option<String>,
    server: Option<SocketAddr>,
}

impl Dns {
    pub fn new(server: Option<SocketAddr>) -> Self {
        let mut opts = ResolverOpts::default();
        opts.timeout = Duration::from_secs(2);
        opts.attempts = 1;
        opts.cache_size = 0;
        opts.ndots = 0;
        let built = match server {
            Some(addr) => {
                let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                for conn in &mut ns.connections {
                    conn.port = addr.port();
                }
                let cfg = ResolverConfig::from_name_servers(vec![ns]);
                TokioResolver::builder_with_config(cfg, TokioRuntimeProvider::default())
                    .with_options(opts)
                    .build()
                    .map_err(|e| e.to_string())
            }
            None => TokioResolver::builder_tokio()
                .map_err(|e| e.to_string())
                .and_then(|b| b.with_options(opts).build().map_err(|e| e.to_string())),
        };
        match built {
            Ok(resolver) => Dns {
                resolver: Some(resolver),
                setup_error: None,
                server,
            },
            Err(e) => Dns {
                resolver: None,
                setup_error: Some(e),
                server,
            },
        }
    }

    pub fn server(&self) -> Option<SocketAddr> {
        self.server
    }

    /// Looks up A and AAAA together. An IP literal resolves to itself.
    pub async fn resolve(&self, host: &str, clock: &RunClock) -> Resolution {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Resolution {
                outcome: ResolveOutcome::Found,
                addresses: vec![ip],
                detail: "address literal".into(),
            };
        }
        let Some(resolver) = &self.resolver else {
            return Resolution {
                outcome: ResolveOutcome::ResolverError,
                addresses: Vec::new(),
                detail: self.setup_error.clone().unwrap_or_default(),
            };
        };
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        let budget = clock.budget(LOOKUP_CAP);
        let lookups = async {
            tokio::join!(
                resolver.lookup(fqdn.as_str(), RecordType::A),
                resolver.lookup(fqdn.as_str(), RecordType::AAAA)
            )
        };
        let Ok((v4, v6)) = tokio::time::timeout(budget, lookups).await else {
            return Resolution {
                outcome: ResolveOutcome::Timeout,
                addresses: Vec::new(),
                detail: format!("no answer within {} ms", budget.as_millis()),
            };
        };
        let mut addresses: Vec<IpAddr> = Vec::new();
        for lookup in [&v4, &v6].into_iter().flatten() {
            for record in lookup.answers() {
                match &record.data {
                    RData::A(a) => addresses.push(IpAddr::V4(a.0)),
                    RData::AAAA(a) => addresses.push(IpAddr::V6(a.0)),
                    _ => {}
                }
            }
        }
        if !addresses.is_empty() {
            return Resolution {
                outcome: ResolveOutcome::Found,
                addresses,
                detail: String::new(),
            };
        }
        // Neither gave an address: the A lookup's error speaks for the name, unless it only
        // timed out and the AAAA lookup got a definite answer.
        let errors = [v4.err(), v6.err()];
        let classified: Vec<(ResolveOutcome, String)> =
            errors.iter().flatten().map(classify).collect();
        let pick = |o: ResolveOutcome| classified.iter().find(|(c, _)| *c == o).cloned();
        let (outcome, detail) = pick(ResolveOutcome::NotFound)
            .or_else(|| pick(ResolveOutcome::ServerFailure))
            .or_else(|| pick(ResolveOutcome::NoAddress))
            .or_else(|| pick(ResolveOutcome::Timeout))
            .or_else(|| classified.first().cloned())
            .unwrap_or((ResolveOutcome::NoAddress, "no address records".into()));
        Resolution {
            outcome,
            addresses,
            detail,
        }
    }

    /// Looks up the SRV records of `name` (e.g. `_imaps._tcp.example.jp`), lowest priority
    /// first, then highest weight.
    pub async fn srv(&self, name: &str, clock: &RunClock) -> RecordLookup<SrvRecord> {
        let (outcome, data, detail) = self.records(name, RecordType::SRV, clock).await;
        let mut records: Vec<SrvRecord> = data
            .iter()
            .filter_map(|d| match d {
                RData::SRV(srv) => Some(SrvRecord {
                    priority: srv.priority,
                    weight: srv.weight,
                    port: srv.port,
                    target: host_of(&srv.target.to_ascii()),
                }),
                _ => None,
            })
            .collect();
        records.sort_by(|a, b| {
            (a.priority, std::cmp::Reverse(a.weight), &a.target).cmp(&(
                b.priority,
                std::cmp::Reverse(b.weight),
                &b.target,
            ))
        });
        RecordLookup {
            outcome: found_or(outcome, records.is_empty()),
            records,
            detail,
        }
    }

    /// Looks up the MX records of `domain`, most preferred first.
    pub async fn mx(&self, domain: &str, clock: &RunClock) -> RecordLookup<MxRecord> {
        let (outcome, data, detail) = self.records(domain, RecordType::MX, clock).await;
        let mut records: Vec<MxRecord> = data
            .iter()
            .filter_map(|d| match d {
                RData::MX(mx) => Some(MxRecord {
                    preference: mx.preference,
                    exchange: host_of(&mx.exchange.to_ascii()),
                }),
                _ => None,
            })
            .collect();
        records.sort_by(|a, b| (a.preference, &a.exchange).cmp(&(b.preference, &b.exchange)));
        RecordLookup {
            outcome: found_or(outcome, records.is_empty()),
            records,
            detail,
        }
    }

    /// One lookup of `rtype`, bounded by the lookup cap and the run's deadline.
    async fn records(
        &self,
        name: &str,
        rtype: RecordType,
        clock: &RunClock,
    ) -> (ResolveOutcome, Vec<RData>, String) {
        let Some(resolver) = &self.resolver else {
            return (
                ResolveOutcome::ResolverError,
                Vec::new(),
                self.setup_error.clone().unwrap_or_default(),
            );
        };
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let budget = clock.budget(LOOKUP_CAP);
        match tokio::time::timeout(budget, resolver.lookup(fqdn.as_str(), rtype)).await {
            Err(_) => (
                ResolveOutcome::Timeout,
                Vec::new(),
                format!("no answer within {} ms", budget.as_millis()),
            ),
            Ok(Ok(lookup)) => (
                ResolveOutcome::Found,
                lookup.answers().iter().map(|r| r.data.clone()).collect(),
                String::new(),
            ),
            Ok(Err(e)) => {
                let (outcome, detail) = classify(&e);
                (outcome, Vec::new(), detail)
            }
        }
    }
}

/// An answer without a record of the type asked for (only a CNAME, say) is NODATA.
fn found_or(outcome: ResolveOutcome, empty: bool) -> ResolveOutcome {
    if outcome == ResolveOutcome::Found && empty {
        ResolveOutcome::NoAddress
    } else {
        outcome
    }
}

/// A host name from DNS: lower case, without the final dot; the root stays `.`.
fn host_of(name: &str) -> String {
    let trimmed = name.trim_end_matches('.');
    if trimmed.is_empty() {
        ".".to_string()
    } else {
        trimmed.to_ascii_lowercase()
    }
}

fn classify(e: &NetError) -> (ResolveOutcome, String) {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(_)) if e.is_nx_domain() => (
            ResolveOutcome::NotFound,
            "NXDOMAIN: the name does not exist".into(),
        ),
        NetError::Dns(DnsError::NoRecordsFound(_)) => (
            ResolveOutcome::NoAddress,
            "NOERROR: the name exists but has no address record".into(),
        ),
        NetError::Dns(DnsError::ResponseCode(rc)) => (
            ResolveOutcome::ServerFailure,
            format!(
                "the DNS server answered {} ({rc})",
                rcode_name(u16::from(*rc))
            ),
        ),
        NetError::Timeout => (
            ResolveOutcome::Timeout,
            "no answer from the DNS server".into(),
        ),
        other => (ResolveOutcome::ResolverError, other.to_string()),
    }
}

/// The mnemonic of a DNS response code (RFC 1035, 6895).
fn rcode_name(code: u16) -> &'static str {
    match code {
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "error",
    }
}
