//! SPF (RFC 7208): [`parse`] a record with positions, [`check_host`] with a trace, and
//! [`analyze`] a domain's record tree for `maildoc domain`.

mod analyze;
mod eval;
mod macros;
mod parse;

pub use analyze::{SpfReport, SpfSyntaxError, analyze, analyze_with_ip};
pub use eval::{CheckOptions, check_host};
pub use parse::{
    Directive, DomainSpec, Mechanism, Modifier, ParseError, Qualifier, Record, Term, parse,
};

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

/// [`Answer`] without its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsStatus {
    Records,
    NxDomain,
    NoData,
    Timeout,
    ServFail,
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

/// The result of `check_host()` (RFC 7208 §2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    PermError,
    TempError,
}

impl SpfResult {
    /// The lowercase name RFC 7208 uses (`softfail`, `permerror`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::PermError => "permerror",
            SpfResult::TempError => "temperror",
        }
    }
}

impl std::fmt::Display for SpfResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The DNS record type of a traced query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum QueryType {
    Txt,
    A,
    Aaaa,
    Mx,
    Ptr,
}

/// One step of an evaluation, in the order it happened. `depth` is 0 for the domain asked
/// about, 1 inside its includes or redirect, and so on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum TraceStep {
    /// A record is being evaluated for `domain`.
    Record {
        depth: u32,
        domain: String,
        record: String,
    },
    /// A DNS query and its outcome; `answers` lists the records in text form.
    Query {
        depth: u32,
        name: String,
        qtype: QueryType,
        status: DnsStatus,
        answers: Vec<String>,
        /// The query counted against the 10-lookup limit (the term's own query).
        counted: bool,
        /// Void lookups so far, when this query was one.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        void_count: Option<u32>,
    },
    /// A term was evaluated: did it match, and what did it yield.
    Term {
        depth: u32,
        domain: String,
        term: String,
        /// The term's target after macro expansion, for terms that have one.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        target: Option<String>,
        matched: bool,
        /// Lookups counted so far (after this term's own).
        lookups: u32,
        note: String,
    },
    /// The evaluation of `domain` ended with `result`.
    Result {
        depth: u32,
        domain: String,
        result: SpfResult,
        reason: String,
    },
}

/// Everything `check_host()` found out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpfOutcome {
    pub result: SpfResult,
    /// The explanation (`exp=`) for a `fail`, macro-expanded, or the default one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub explanation: Option<String>,
    /// Why the evaluation ended as it did, in plain English for logs (the findings carry the
    /// translated texts).
    pub reason: String,
    pub trace: Vec<TraceStep>,
    /// DNS-querying terms counted against the limit of 10 (RFC 7208 §4.6.4).
    pub lookups: u32,
    /// Lookups that returned NXDOMAIN or no records (limit 2).
    pub void_lookups: u32,
    /// When the 10-lookup limit was crossed: the domains from the one asked about down to the
    /// record whose term made the 11th lookup, e.g. `["example.com", "_spf.esp.test"]`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub include_chain_over_limit: Option<Vec<String>>,
    /// The term that made the 11th lookup, as written.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub term_over_limit: Option<String>,
    /// A syntax error met on the way (in the record of `domain`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub syntax_error: Option<(String, ParseError)>,
}

/// The lookup limits of RFC 7208 §4.6.4.
pub const MAX_LOOKUPS: u32 = 10;
/// The void-lookup limit of RFC 7208 §4.6.4.
pub const MAX_VOID_LOOKUPS: u32 = 2;

#[cfg(test)]
mod tests;
