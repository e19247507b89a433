//! SPF (RFC 7208): [`parse`] a record with positions, [`check_host`] with a trace, and
//! [`analyze`] a domain's record tree for `maildoc domain`. The evidence types live in
//! `maildoc_model::domain::spf` (they are part of the domain report) and are re-exported here.

mod analyze;
mod eval;
mod macros;
mod parse;

pub use analyze::{analyze, analyze_with_ip};
pub use eval::{CheckOptions, check_host};
pub use maildoc_model::domain::spf::{
    DnsStatus, MAX_LOOKUPS, MAX_VOID_LOOKUPS, ParseError, QueryType, SpfEvidence, SpfOutcome,
    SpfResult, SpfSyntaxError, TraceStep,
};
pub use parse::{Directive, DomainSpec, Mechanism, Modifier, Qualifier, Record, Term, parse};

use serde::{Deserialize, Serialize};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;

/// The outcome of one DNS query, as SPF needs to tell them apart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "records")]
pub enum Answer<T> {
    /// RCODE 0 with at least one record of the asked type.
    Records(T),
    /// RCODE 3: the name does not exist.
    NxDomain,
    /// RCODE 0 and no record of the asked type.
    NoData,
    /// No answer in time.
    Timeout,
    /// SERVFAIL, REFUSED or any other error RCODE.
    ServFail,
}

impl<T> Answer<T> {
    /// NXDOMAIN or NODATA: a "void lookup" (RFC 7208 §4.6.4).
    pub fn is_void(&self) -> bool {
        matches!(self, Answer::NxDomain | Answer::NoData)
    }

    /// Timeout or SERVFAIL: a temporary error.
    pub fn is_error(&self) -> bool {
        matches!(self, Answer::Timeout | Answer::ServFail)
    }

    /// The outcome without the records, for the trace.
    pub fn status(&self) -> DnsStatus {
        match self {
            Answer::Records(_) => DnsStatus::Records,
            Answer::NxDomain => DnsStatus::NxDomain,
            Answer::NoData => DnsStatus::NoData,
            Answer::Timeout => DnsStatus::Timeout,
            Answer::ServFail => DnsStatus::ServFail,
        }
    }
}

/// A boxed DNS future: keeps [`SpfDns`] object-safe (`&dyn SpfDns` works) and `Send`.
pub type DnsFuture<'a, T> = Pin<Box<dyn Future<Output = Answer<T>> + Send + 'a>>;

/// The DNS queries SPF makes. Names are given without a trailing dot, as SPF builds them;
/// an implementation adds what its resolver needs. Each call is one query: no CNAME
/// flattening is asked of the implementation beyond what a resolver normally does.
pub trait SpfDns: Sync {
    /// TXT records of `name`, each as the concatenation of its character-strings (raw bytes).
    fn txt<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Vec<u8>>>;
    /// A records of `name`.
    fn a<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Ipv4Addr>>;
    /// AAAA records of `name`.
    fn aaaa<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<Ipv6Addr>>;
    /// MX records of `name`: (preference, exchange), exchange without the trailing dot.
    fn mx<'a>(&'a self, name: &'a str) -> DnsFuture<'a, Vec<(u16, String)>>;
    /// PTR records of `ip` (the implementation builds the in-addr.arpa / ip6.arpa name).
    fn ptr<'a>(&'a self, ip: IpAddr) -> DnsFuture<'a, Vec<String>>;
}

#[cfg(test)]
mod tests;
