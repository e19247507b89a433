//! A and AAAA lookups, and the SRV and MX lookups of settings discovery, keeping NXDOMAIN,
//! NODATA, resolver errors and timeouts apart.

use crate::clock::RunClock;
use client::Client;
use hickory_resolver::config::ProtocolConfig;
use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::{RData, RecordType};
use maildoc_model::ResolveOutcome;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

mod client;
mod dnssec;
#[cfg(test)]
mod fuzz;

pub use dnssec::DnssecChain;

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
    /// The AD (authentic data) bit of the answer: the resolver says it validated it with
    /// DNSSEC. maildoc does no validation of its own; false when there was no answer.
    pub authentic_data: bool,
}

/// One TLSA record (RFC 6698).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsaRecord {
    pub usage: u8,
    pub selector: u8,
    pub matching: u8,
    /// The association data, lower-case hex.
    pub data_hex: String,
}

/// A resolver for the whole run: the system's DNS servers (from the system's resolver
/// configuration), or one DNS server given with `--dns-server`, asked through maildoc's own
/// stub client ([`client`]). Clones share the sockets and the rate cap.
#[derive(Clone, Debug)]
pub struct Dns {
    /// The servers in the order they are tried; empty when `setup_error` says why.
    servers: Arc<Vec<Client>>,
    setup_error: Option<String>,
    server: Option<SocketAddr>,
    pace: Option<Arc<Pace>>,
}

/// The longest one server may take to answer before the next one (if any) is asked.
const ATTEMPT_CAP: Duration = Duration::from_secs(2);

/// A cap on the queries sent per second: each query takes the next free slot, one interval
/// after the previous one, and waits for it. Every query goes to one server, so no server
/// gets more than the cap. Idle time is not saved up for a burst.
#[derive(Debug)]
struct Pace {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pace {
    async fn take(&self, queries: u32) {
        let now = Instant::now();
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let at = (*next).max(now);
            *next = at + self.interval * queries;
            at
        };
        if at > now {
            tokio::time::sleep_until(at).await;
        }
    }
}

impl Dns {
    pub fn new(server: Option<SocketAddr>) -> Self {
        let servers = match server {
            Some(addr) => Ok(vec![addr]),
            None => system_servers(),
        };
        match servers {
            Ok(list) => Dns {
                servers: Arc::new(list.into_iter().map(Client::new).collect()),
                setup_error: None,
                server,
                pace: None,
            },
            Err(e) => Dns {
                servers: Arc::new(Vec::new()),
                setup_error: Some(e),
                server,
                pace: None,
            },
        }
    }

    /// The same resolver sending at most `per_second` queries a second (0: no cap). The
    /// wait for a slot counts against the run's deadline, not against one lookup's.
    pub fn with_rate_cap(mut self, per_second: u32) -> Self {
        self.pace = (per_second > 0).then(|| {
            Arc::new(Pace {
                interval: Duration::from_secs(1) / per_second,
                next: Mutex::new(Instant::now()),
            })
        });
        self
    }

    async fn pace(&self, queries: u32) {
        if let Some(p) = &self.pace {
            p.take(queries).await;
        }
    }

    pub fn server(&self) -> Option<SocketAddr> {
        self.server
    }

    /// The same servers and the same rate cap, with sockets of its own: for a runtime of its
    /// own (a socket's reader runs on the runtime that first used it).
    pub fn with_own_sockets(&self) -> Self {
        Dns {
            servers: Arc::new(
                self.servers
                    .iter()
                    .map(|c| Client::new(c.server()))
                    .collect(),
            ),
            setup_error: self.setup_error.clone(),
            server: self.server,
            pace: self.pace.clone(),
        }
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
        let (v4, v6) = tokio::join!(
            self.records(host, RecordType::A, clock),
            self.records(host, RecordType::AAAA, clock)
        );
        let mut addresses: Vec<IpAddr> = Vec::new();
        for data in [&v4.1, &v6.1] {
            for d in data {
                match d {
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
        // Neither gave an address: the A lookup's outcome speaks for the name, unless it
        // only timed out and the AAAA lookup got a definite answer.
        let outcomes = [(v4.0, v4.2), (v6.0, v6.2)];
        let pick = |o: ResolveOutcome| outcomes.iter().find(|(c, _)| *c == o).cloned();
        let (outcome, detail) = pick(ResolveOutcome::NotFound)
            .or_else(|| pick(ResolveOutcome::ServerFailure))
            .or_else(|| pick(ResolveOutcome::NoAddress))
            .or_else(|| pick(ResolveOutcome::Timeout))
            .unwrap_or_else(|| outcomes[0].clone());
        Resolution {
            outcome,
            addresses,
            detail,
        }
    }

    /// Looks up the SRV records of `name` (e.g. `_imaps._tcp.example.jp`), lowest priority
    /// first, then highest weight.
    pub async fn srv(&self, name: &str, clock: &RunClock) -> RecordLookup<SrvRecord> {
        let mut found = self
            .lookup(name, RecordType::SRV, clock, |d| match d {
                RData::SRV(srv) => Some(SrvRecord {
                    priority: srv.priority,
                    weight: srv.weight,
                    port: srv.port,
                    target: host_of(&srv.target.to_ascii()),
                }),
                _ => None,
            })
            .await;
        found.records.sort_by(|a, b| {
            (a.priority, std::cmp::Reverse(a.weight), &a.target).cmp(&(
                b.priority,
                std::cmp::Reverse(b.weight),
                &b.target,
            ))
        });
        found
    }

    /// Looks up the MX records of `domain`, most preferred first.
    pub async fn mx(&self, domain: &str, clock: &RunClock) -> RecordLookup<MxRecord> {
        let mut found = self
            .lookup(domain, RecordType::MX, clock, |d| match d {
                RData::MX(mx) => Some(MxRecord {
                    preference: mx.preference,
                    exchange: host_of(&mx.exchange.to_ascii()),
                }),
                _ => None,
            })
            .await;
        found
            .records
            .sort_by(|a, b| (a.preference, &a.exchange).cmp(&(b.preference, &b.exchange)));
        found
    }

    /// Looks up the TXT records of `name`, each record's strings joined (RFC 7208 §3.3),
    /// in the order the server gave them. Bytes that are not UTF-8 are replaced.
    pub async fn txt(&self, name: &str, clock: &RunClock) -> RecordLookup<String> {
        self.lookup(name, RecordType::TXT, clock, |d| match d {
            RData::TXT(txt) => Some(
                txt.txt_data
                    .iter()
                    .map(|part| String::from_utf8_lossy(part).into_owned())
                    .collect::<String>(),
            ),
            _ => None,
        })
        .await
    }

    /// Looks up the PTR records of `ip` (reverse DNS), as host names without the final dot.
    pub async fn ptr(&self, ip: IpAddr, clock: &RunClock) -> RecordLookup<String> {
        let name = reverse_name(ip);
        self.lookup(&name, RecordType::PTR, clock, |d| match d {
            RData::PTR(p) => Some(host_of(&p.0.to_ascii())),
            _ => None,
        })
        .await
    }

    /// Looks up the A records of `name` alone (a DNS blocklist query, RFC 5782).
    pub async fn a(&self, name: &str, clock: &RunClock) -> RecordLookup<std::net::Ipv4Addr> {
        self.lookup(name, RecordType::A, clock, |d| match d {
            RData::A(a) => Some(a.0),
            _ => None,
        })
        .await
    }

    /// Looks up the TLSA records of `name` (e.g. `_25._tcp.mx.example.jp`).
    pub async fn tlsa(&self, name: &str, clock: &RunClock) -> RecordLookup<TlsaRecord> {
        self.lookup(name, RecordType::TLSA, clock, |d| match d {
            RData::TLSA(t) => Some(TlsaRecord {
                usage: u8::from(t.cert_usage),
                selector: u8::from(t.selector),
                matching: u8::from(t.matching),
                data_hex: t.cert_data.iter().map(|b| format!("{b:02x}")).collect(),
            }),
            _ => None,
        })
        .await
    }

    /// Looks up the NS records of `name`, as host names without the final dot.
    pub async fn ns(&self, name: &str, clock: &RunClock) -> RecordLookup<String> {
        self.lookup(name, RecordType::NS, clock, |d| match d {
            RData::NS(ns) => Some(host_of(&ns.0.to_ascii())),
            _ => None,
        })
        .await
    }

    /// Looks up the CNAME of `name`, if it has one (the target without its final dot).
    pub async fn cname(&self, name: &str, clock: &RunClock) -> RecordLookup<String> {
        self.lookup(name, RecordType::CNAME, clock, |d| match d {
            RData::CNAME(c) => Some(host_of(&c.0.to_ascii())),
            _ => None,
        })
        .await
    }

    /// One record type's lookup: `pick` turns each answer of that type into a record; an
    /// answer with none left counts as NODATA.
    async fn lookup<T>(
        &self,
        name: &str,
        rtype: RecordType,
        clock: &RunClock,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> RecordLookup<T> {
        let (outcome, data, detail, ad) = self.records(name, rtype, clock).await;
        let records: Vec<T> = data.iter().filter_map(pick).collect();
        RecordLookup {
            outcome: found_or(outcome, records.is_empty()),
            records,
            detail,
            authentic_data: ad,
        }
    }

    /// The zone `name` belongs to: the owner of the SOA record in the answer (`name` is the
    /// top of its zone) or in the authority section of a NODATA or NXDOMAIN answer. `None`
    /// when the server said neither.
    pub async fn zone_of(&self, name: &str, clock: &RunClock) -> Option<String> {
        let answer = self
            .exchange(name, RecordType::SOA, false, clock)
            .await
            .ok()?;
        answer
            .answers
            .iter()
            .chain(answer.authorities.iter())
            .find(|r| r.record_type() == RecordType::SOA)
            .map(|r| host_of(&r.name.to_ascii()))
    }

    /// One query to the servers in order, under the run's clock: the whole answer, or why
    /// there is none.
    async fn exchange(
        &self,
        name: &str,
        rtype: RecordType,
        dnssec_ok: bool,
        clock: &RunClock,
    ) -> Result<Message, (ResolveOutcome, String)> {
        if self.servers.is_empty() {
            return Err((
                ResolveOutcome::ResolverError,
                self.setup_error.clone().unwrap_or_default(),
            ));
        }
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        self.pace(1).await;
        let budget = clock.budget(LOOKUP_CAP);
        // Each server gets ATTEMPT_CAP, all of them the budget.
        let end = Instant::now() + budget;
        let mut outcome = Err((ResolveOutcome::Timeout, NO_ANSWER.to_string()));
        for server in self.servers.iter() {
            let attempt_end = (Instant::now() + ATTEMPT_CAP).min(end);
            outcome = match server.query(&fqdn, rtype, dnssec_ok, attempt_end).await {
                Err((ResolveOutcome::Timeout, _)) if attempt_end == end => Err((
                    ResolveOutcome::Timeout,
                    format!("no answer within {} ms", budget.as_millis()),
                )),
                Err((ResolveOutcome::Timeout, _)) => {
                    Err((ResolveOutcome::Timeout, NO_ANSWER.to_string()))
                }
                other => other,
            };
            if outcome.is_ok() || Instant::now() >= end {
                break;
            }
        }
        outcome
    }

    /// One query: the outcome, the answers of the type asked for, a detail for people and
    /// the AD bit. NOERROR without such an answer is NODATA (`NoAddress`).
    pub(crate) async fn records(
        &self,
        name: &str,
        rtype: RecordType,
        clock: &RunClock,
    ) -> (ResolveOutcome, Vec<RData>, String, bool) {
        classify(self.exchange(name, rtype, false, clock).await, name, rtype)
    }
}

/// The most CNAMEs followed from one name: resolvers give up after a handful.
const MAX_CNAME_CHAIN: usize = 8;

/// The CNAME chain from `name` in an answer, when it goes round in a loop (or on past any
/// sensible length): `a → b → a`. A chain that ends is none.
fn cname_loop(answers: &[hickory_resolver::proto::rr::Record], name: &str) -> Option<String> {
    let targets: Vec<(String, String)> = answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::CNAME(c) => Some((host_of(&r.name.to_ascii()), host_of(&c.0.to_ascii()))),
            _ => None,
        })
        .collect();
    let mut chain = vec![host_of(name)];
    while let Some((_, next)) = targets
        .iter()
        .find(|(owner, _)| chain.last().is_some_and(|last| last == owner))
    {
        let looped = chain.contains(next);
        chain.push(next.clone());
        if looped || chain.len() > MAX_CNAME_CHAIN {
            return Some(chain.join(" → "));
        }
    }
    None
}

/// An answer (or why there is none) as the outcome, the answers of the type asked for, a
/// detail for people and the AD bit. NOERROR without such an answer is NODATA (`NoAddress`).
fn classify(
    outcome: Result<Message, (ResolveOutcome, String)>,
    name: &str,
    rtype: RecordType,
) -> (ResolveOutcome, Vec<RData>, String, bool) {
    match outcome {
        Err((outcome, detail)) => (outcome, Vec::new(), detail, false),
        Ok(answer) => {
            let ad = answer.metadata.authentic_data;
            match answer.metadata.response_code {
                ResponseCode::NoError => {
                    // A loop of CNAMEs has no answer to give: as a resolver would, it is a
                    // failure of the lookup, not a name without records.
                    if let Some(chain) = cname_loop(&answer.answers, name) {
                        return (
                            ResolveOutcome::ServerFailure,
                            Vec::new(),
                            format!("the name's CNAME records go round in a loop: {chain}"),
                            false,
                        );
                    }
                    let data: Vec<RData> = answer
                        .answers
                        .into_iter()
                        .filter(|r| r.record_type() == rtype)
                        .map(|r| r.data)
                        .collect();
                    if data.is_empty() {
                        (
                            ResolveOutcome::NoAddress,
                            data,
                            "NOERROR: the name exists but has no record of that type".into(),
                            ad,
                        )
                    } else {
                        (ResolveOutcome::Found, data, String::new(), ad)
                    }
                }
                ResponseCode::NXDomain => (
                    ResolveOutcome::NotFound,
                    Vec::new(),
                    "NXDOMAIN: the name does not exist".into(),
                    false,
                ),
                rc => (
                    ResolveOutcome::ServerFailure,
                    Vec::new(),
                    format!(
                        "the DNS server answered {} ({rc})",
                        rcode_name(u16::from(rc))
                    ),
                    false,
                ),
            }
        }
    }
}

const NO_ANSWER: &str = "no answer from the DNS server";

/// The DNS servers of the system's resolver configuration, each once.
fn system_servers() -> Result<Vec<SocketAddr>, String> {
    let (config, _) =
        hickory_resolver::system_conf::read_system_conf().map_err(|e| e.to_string())?;
    let mut servers: Vec<SocketAddr> = Vec::new();
    for ns in config.name_servers() {
        let port = ns
            .connections
            .iter()
            .find(|c| matches!(c.protocol, ProtocolConfig::Udp))
            .map_or(53, |c| c.port);
        let addr = SocketAddr::new(ns.ip, port);
        if !servers.contains(&addr) {
            servers.push(addr);
        }
    }
    if servers.is_empty() {
        return Err("the system names no DNS server".into());
    }
    Ok(servers)
}

/// An answer without a record of the type asked for (only a CNAME, say) is NODATA.
fn found_or(outcome: ResolveOutcome, empty: bool) -> ResolveOutcome {
    if outcome == ResolveOutcome::Found && empty {
        ResolveOutcome::NoAddress
    } else {
        outcome
    }
}

/// The reverse-DNS name of an address: `4.3.2.1.in-addr.arpa` or the nibbles under `ip6.arpa`.
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut labels: Vec<String> = Vec::with_capacity(34);
            for byte in v6.octets().iter().rev() {
                labels.push(format!("{:x}", byte & 0x0f));
                labels.push(format!("{:x}", byte >> 4));
            }
            labels.push("ip6.arpa".into());
            labels.join(".")
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cname_chain_that_comes_back_is_a_loop() {
        use hickory_resolver::proto::rr::rdata::CNAME;
        use hickory_resolver::proto::rr::{Name, Record};
        let cname = |from: &str, to: &str| {
            let name = |n: &str| Name::from_ascii(n).unwrap_or_default();
            Record::from_rdata(name(from), 60, RData::CNAME(CNAME(name(to))))
        };
        let looped = [
            cname("loop.example.jp.", "loop2.example.jp."),
            cname("loop2.example.jp.", "Loop.example.jp."),
        ];
        assert_eq!(
            cname_loop(&looped, "loop.example.jp").as_deref(),
            Some("loop.example.jp → loop2.example.jp → loop.example.jp")
        );
        let ends = [cname("www.example.jp.", "host.example.net.")];
        assert_eq!(cname_loop(&ends, "www.example.jp"), None);
        let long: Vec<Record> = (0..20)
            .map(|i| {
                cname(
                    &format!("n{i}.example.jp."),
                    &format!("n{}.example.jp.", i + 1),
                )
            })
            .collect();
        assert!(
            cname_loop(&long, "n0.example.jp").is_some(),
            "too long a chain"
        );
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("127.0.2.60".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
            "60.2.0.127.in-addr.arpa"
        );
        let v6 = reverse_name("2001:db8::1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])));
        assert!(v6.starts_with("1.0.0.0.0.0.0.0."));
        assert!(v6.ends_with(".8.b.d.0.1.0.0.2.ip6.arpa"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_cap_gives_each_query_the_next_slot() {
        let dns = Dns::new(Some(SocketAddr::from(([127, 0, 0, 1], 9)))).with_rate_cap(10);
        let start = Instant::now();
        // Five queries at once take the slots 0, 100, 200, 300 and 400 ms.
        futures_util::future::join_all((0..5).map(|_| dns.pace(1))).await;
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        // An A+AAAA pair takes two slots, so the query after it waits two intervals.
        dns.pace(2).await;
        dns.pace(1).await;
        assert_eq!(start.elapsed(), Duration::from_millis(700));
        // Idle time is not saved up: after a pause the next query goes at once, the one
        // after it an interval later.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let later = Instant::now();
        dns.pace(1).await;
        dns.pace(1).await;
        assert_eq!(later.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_copy_with_sockets_of_its_own_shares_the_cap() {
        let dns = Dns::new(Some(SocketAddr::from(([127, 0, 0, 1], 9)))).with_rate_cap(10);
        let other = dns.with_own_sockets();
        assert!(!Arc::ptr_eq(&dns.servers, &other.servers));
        assert_eq!(other.server(), dns.server());
        let start = Instant::now();
        futures_util::future::join_all((0..4).map(|i| {
            let d = if i % 2 == 0 { &dns } else { &other };
            d.pace(1)
        }))
        .await;
        assert_eq!(start.elapsed(), Duration::from_millis(300));
    }

    #[tokio::test(start_paused = true)]
    async fn no_cap_means_no_wait() {
        let dns = Dns::new(Some(SocketAddr::from(([127, 0, 0, 1], 9)))).with_rate_cap(0);
        let start = Instant::now();
        futures_util::future::join_all((0..100).map(|_| dns.pace(1))).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
