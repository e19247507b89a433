//! The SPF evidence of `maildoc domain`: the record tree of a domain as `maildoc_auth` walked
//! it, the counts RFC 7208 §4.6.4 limits and, with an address, the `check_host()` evaluation
//! with its trace. The rules in `maildoc_diagnose::domain::spf` turn it into findings.

use crate::Finding;
use serde::{Deserialize, Serialize, Serializer};
use std::net::IpAddr;

/// The lookup limit of RFC 7208 §4.6.4.
pub const MAX_LOOKUPS: u32 = 10;
/// The void-lookup limit of RFC 7208 §4.6.4.
pub const MAX_VOID_LOOKUPS: u32 = 2;

/// The outcome of one DNS query without its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsStatus {
    Records,
    NxDomain,
    NoData,
    Timeout,
    ServFail,
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

/// What is wrong with a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseError {
    /// Byte offset in the record (counting from the `v` of `v=spf1`).
    pub offset: usize,
    /// The term the error is in, as written (empty for errors about the whole record).
    pub term: String,
    /// What is wrong, in English (for logs and the trace).
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.term.is_empty() {
            write!(f, "at byte {}: {}", self.offset, self.message)
        } else {
            write!(
                f,
                "at byte {} in `{}`: {}",
                self.offset, self.term, self.message
            )
        }
    }
}

impl std::error::Error for ParseError {}

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

impl SpfOutcome {
    /// The term whose match decided the result (the last one that matched), or `""`.
    pub fn deciding_term(&self) -> &str {
        self.trace
            .iter()
            .rev()
            .find_map(|s| match s {
                TraceStep::Term {
                    term,
                    matched: true,
                    ..
                } => Some(term.as_str()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// A syntax error in one record of the tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpfSyntaxError {
    /// The domain whose record it is (the one asked about or an include/redirect target).
    pub domain: String,
    pub record: String,
    pub error: ParseError,
}

/// What `maildoc domain` learns about a domain's SPF.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpfEvidence {
    pub domain: String,
    /// The outcome of the TXT query of the domain.
    pub txt_status: DnsStatus,
    /// The `v=spf1` records at the domain (0, 1 or several).
    pub records: Vec<String>,
    /// Syntax errors anywhere in the tree.
    pub syntax_errors: Vec<SpfSyntaxError>,
    /// DNS-querying terms in the whole tree that an evaluation matching nothing would reach
    /// (include, a, mx, ptr, exists, redirect), counted as RFC 7208 counts them. Past 10 the
    /// record is a permerror for every receiver.
    pub lookups: u32,
    /// Lookups in the tree that return NXDOMAIN or no records (limit 2).
    pub void_lookups: u32,
    /// The names whose lookups were void, with the term that asked.
    pub void_names: Vec<String>,
    /// When the tree needs more than 10 lookups: the domains from the one asked about to the
    /// record whose term makes the 11th.
    pub include_chain_over_limit: Option<Vec<String>>,
    /// The term that makes the 11th lookup.
    pub term_over_limit: Option<String>,
    /// Include or redirect targets without a usable record (each a permerror), with why.
    pub broken_targets: Vec<(String, String)>,
    /// `+all` or `?all` (too permissive): (domain, term).
    pub permissive_all: Vec<(String, String)>,
    /// `ptr` terms (deprecated, RFC 7208 §5.5): (domain, term).
    pub ptr_terms: Vec<(String, String)>,
    /// `redirect=` modifiers: (domain, target).
    pub redirects: Vec<(String, String)>,
    /// Terms with macros, which depend on the sender or the IP and cannot be followed without
    /// them: (domain, term).
    pub macro_terms: Vec<(String, String)>,
    /// Every record in the tree: (domain, record), in the order walked.
    pub tree: Vec<(String, String)>,
    /// With an IP: the evaluation for mail from that IP.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub check: Option<SpfOutcome>,
    /// The IP evaluated, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ip: Option<IpAddr>,
    /// The SPF findings of the domain rules for this evidence, kept beside it in the report
    /// for readers of the JSON. The rules never read them: they judge the evidence above.
    pub findings: Vec<Finding>,
}

/// Writes the SPF evidence of a domain report as version 1 of the report has it: through a
/// JSON value, so every object's keys come in alphabetical order.
pub(super) fn serialize_sorted<S: Serializer>(
    spf: &Option<SpfEvidence>,
    s: S,
) -> Result<S::Ok, S::Error> {
    serde_json::to_value(spf)
        .map_err(serde::ser::Error::custom)?
        .serialize(s)
}

impl SpfEvidence {
    /// The evidence of `domain` whose TXT answer held `records` at its top, before anything
    /// below them was looked up: no lookups, no problems, no evaluation.
    pub fn top_records(domain: &str, records: Vec<String>) -> SpfEvidence {
        SpfEvidence {
            domain: domain.into(),
            txt_status: DnsStatus::Records,
            records,
            syntax_errors: Vec::new(),
            lookups: 0,
            void_lookups: 0,
            void_names: Vec::new(),
            include_chain_over_limit: None,
            term_over_limit: None,
            broken_targets: Vec::new(),
            permissive_all: Vec::new(),
            ptr_terms: Vec::new(),
            redirects: Vec::new(),
            macro_terms: Vec::new(),
            tree: Vec::new(),
            check: None,
            ip: None,
            findings: Vec::new(),
        }
    }

    /// The TXT query of the domain got no definite answer (a timeout or SERVFAIL): the
    /// evidence says nothing about the record.
    pub fn inconclusive(&self) -> bool {
        matches!(self.txt_status, DnsStatus::Timeout | DnsStatus::ServFail)
    }
}
